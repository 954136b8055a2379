//! Attack paths as findings: one per entry point and class of critical target, from the attack
//! graph of `kubeward_rbac::graph` (`common` builds it once per scan).

use crate::Rule;

mod common;
pub(crate) use common::skip;
mod to_cluster_admin;
mod to_kube_system_secrets;
mod to_node_root;

pub static RULES: &[&Rule] = &[
    &to_cluster_admin::RULE,
    &to_node_root::RULE,
    &to_kube_system_secrets::RULE,
];
