//! Secrets and credentials in workloads and configuration data.

use crate::Rule;

mod credentials_in_configmap;
mod credentials_in_env_var;
pub mod detect;
mod secret_in_env_var;

pub static RULES: &[&Rule] = &[
    &credentials_in_env_var::RULE,
    &credentials_in_configmap::RULE,
    &secret_in_env_var::RULE,
];
