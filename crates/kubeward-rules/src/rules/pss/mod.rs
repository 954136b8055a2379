//! Pod Security Standards controls (baseline and restricted), exactly as the PSA admission
//! plugin checks them (`kubernetes/pod-security-admission/policy/check_*.go`).

use crate::Rule;

mod common;

mod apparmor_unconfined;
mod capabilities_not_dropped;
mod dangerous_capabilities;
mod host_namespace_sharing;
mod host_port;
mod host_probe;
mod hostpath_volume;
mod privilege_escalation_allowed;
mod privileged_container;
mod proc_mount_in_user_namespace;
mod restricted_volume_type;
mod run_as_root_allowed;
mod run_as_uid_zero;
mod seccomp_profile_missing;
mod seccomp_unconfined;
mod selinux_custom_options;
mod unmasked_proc_mount;
mod unsafe_sysctls;
mod windows_host_process;

pub static RULES: &[&Rule] = &[
    &privileged_container::RULE,
    &host_namespace_sharing::RULE,
    &hostpath_volume::RULE,
    &host_port::RULE,
    &dangerous_capabilities::RULE,
    &apparmor_unconfined::RULE,
    &selinux_custom_options::RULE,
    &unmasked_proc_mount::RULE,
    &seccomp_unconfined::RULE,
    &unsafe_sysctls::RULE,
    &windows_host_process::RULE,
    &host_probe::RULE,
    &restricted_volume_type::RULE,
    &privilege_escalation_allowed::RULE,
    &run_as_root_allowed::RULE,
    &run_as_uid_zero::RULE,
    &seccomp_profile_missing::RULE,
    &capabilities_not_dropped::RULE,
    &proc_mount_in_user_namespace::RULE,
];
