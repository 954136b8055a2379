//! Network exposure rules; each file holds one rule.

use crate::Rule;

mod ingress_without_tls;
mod kubernetes_dashboard_exposed;
mod loadbalancer_service;
mod missing_network_policy;
mod nodeport_service;
mod service_external_ips;
mod ssh_service_port;

pub static RULES: &[&Rule] = &[
    &nodeport_service::RULE,
    &loadbalancer_service::RULE,
    &service_external_ips::RULE,
    &ingress_without_tls::RULE,
    &missing_network_policy::RULE,
    &ssh_service_port::RULE,
    &kubernetes_dashboard_exposed::RULE,
];
