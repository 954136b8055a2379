//! RBAC risks: bindings (and unbound roles) of the input that grant dangerous permissions,
//! judged with the API server's semantics by `kubeward_rbac`. Each file holds one rule;
//! `common` builds the RBAC once per scan and drives the checks.

use crate::Rule;

mod admission_policy_write;
mod all_authenticated_binding;
mod anonymous_binding;
mod aws_auth_write;
mod bind_any_role;
pub(crate) mod common;
mod csr_approval;
mod ephemeral_containers;
mod escalate_roles;
mod impersonate;
mod namespace_write;
mod node_proxy;
mod node_write_or_eviction;
mod persistent_volume_create;
mod pod_create;
mod pod_exec;
mod pod_update;
mod secrets_read;
mod status_write;
mod system_masters_binding;
mod token_create;
mod webhook_write;
mod wildcard_admin;

pub static RULES: &[&Rule] = &[
    &wildcard_admin::RULE,
    &system_masters_binding::RULE,
    &anonymous_binding::RULE,
    &all_authenticated_binding::RULE,
    &impersonate::RULE,
    &bind_any_role::RULE,
    &escalate_roles::RULE,
    &secrets_read::RULE,
    &token_create::RULE,
    &csr_approval::RULE,
    &pod_create::RULE,
    &pod_update::RULE,
    &pod_exec::RULE,
    &ephemeral_containers::RULE,
    &node_proxy::RULE,
    &webhook_write::RULE,
    &admission_policy_write::RULE,
    &persistent_volume_create::RULE,
    &namespace_write::RULE,
    &node_write_or_eviction::RULE,
    &status_write::RULE,
    &aws_auth_write::RULE,
];
