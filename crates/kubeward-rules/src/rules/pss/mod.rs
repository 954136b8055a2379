//! Pod Security Standards controls (baseline and restricted), exactly as the PSA admission
//! plugin checks them (`kubernetes/pod-security-admission/policy/check_*.go`).

use crate::Rule;

mod privileged_container;

pub static RULES: &[&Rule] = &[&privileged_container::RULE];
