//! Cluster-level rules: what a live scan learns about the cluster itself (kubeward's own
//! `Cluster` object: anonymous access, version support) and cluster-wide configuration
//! objects (admission webhooks, the namespaces' `default` ServiceAccounts); each file holds
//! one rule.

use crate::Rule;

mod anonymous;
mod webhook;

mod anonymous_api_read;
mod anonymous_auth_enabled;
mod default_service_account_automount;
mod kubernetes_version_unsupported;
mod webhook_fail_closed_without_timeout;
mod webhook_intercepts_kube_system;

pub static RULES: &[&Rule] = &[
    &anonymous_auth_enabled::RULE,
    &kubernetes_version_unsupported::RULE,
    &anonymous_api_read::RULE,
    &webhook_fail_closed_without_timeout::RULE,
    &webhook_intercepts_kube_system::RULE,
    &default_service_account_automount::RULE,
];
