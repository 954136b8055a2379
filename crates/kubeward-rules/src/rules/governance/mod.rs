//! Governance rules (namespaces, admission labels, unwanted components); each file holds one rule.

use crate::Rule;

mod kubernetes_dashboard_deployed;
mod namespace_without_pss_enforce;
mod workload_in_default_namespace;
mod workload_in_kube_system;

pub static RULES: &[&Rule] = &[
    &workload_in_default_namespace::RULE,
    &workload_in_kube_system::RULE,
    &namespace_without_pss_enforce::RULE,
    &kubernetes_dashboard_deployed::RULE,
];
