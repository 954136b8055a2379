//! Network exposure rules; each file holds one rule.

use crate::Rule;

mod ingress_without_tls;
mod invalid_network_policy;
mod kubernetes_dashboard_exposed;
mod loadbalancer_service;
mod missing_network_policy;
mod no_default_deny_egress;
mod no_default_deny_ingress;
mod nodeport_service;
mod policy_allows_all_namespaces;
mod policy_allows_metadata_egress;
mod policy_common;
mod policy_internet_ingress_internal;
mod policy_namespace_selector_nothing;
mod policy_selects_nothing;
mod policy_undefined_named_port;
mod service_external_ips;
mod ssh_service_port;
mod workload_not_isolated;

pub static RULES: &[&Rule] = &[
    &nodeport_service::RULE,
    &loadbalancer_service::RULE,
    &service_external_ips::RULE,
    &ingress_without_tls::RULE,
    &missing_network_policy::RULE,
    &ssh_service_port::RULE,
    &kubernetes_dashboard_exposed::RULE,
    &no_default_deny_ingress::RULE,
    &no_default_deny_egress::RULE,
    &workload_not_isolated::RULE,
    &policy_selects_nothing::RULE,
    &policy_allows_all_namespaces::RULE,
    &policy_allows_metadata_egress::RULE,
    &policy_internet_ingress_internal::RULE,
    &policy_undefined_named_port::RULE,
    &policy_namespace_selector_nothing::RULE,
    &invalid_network_policy::RULE,
];
