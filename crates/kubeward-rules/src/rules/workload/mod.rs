//! Workload hardening beyond the Pod Security Standards: immutable filesystems, resource
//! bounds, host paths, service accounts, process namespaces, privileged CronJobs.

use crate::Rule;

mod default_service_account;
mod host_path;
mod missing_cpu_limit;
mod missing_cpu_request;
mod missing_memory_limit;
mod missing_memory_request;
mod privileged_cronjob;
mod resources;
mod runtime_socket_mount;
mod sensitive_host_path;
mod service_account_token_automount;
mod shared_process_namespace;
mod ssh_port_exposed;
mod writable_root_filesystem;

pub static RULES: &[&Rule] = &[
    &writable_root_filesystem::RULE,
    &missing_cpu_limit::RULE,
    &missing_memory_limit::RULE,
    &missing_cpu_request::RULE,
    &missing_memory_request::RULE,
    &runtime_socket_mount::RULE,
    &sensitive_host_path::RULE,
    &ssh_port_exposed::RULE,
    &default_service_account::RULE,
    &service_account_token_automount::RULE,
    &shared_process_namespace::RULE,
    &privileged_cronjob::RULE,
];
