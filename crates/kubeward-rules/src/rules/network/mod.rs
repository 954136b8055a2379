//! Network exposure rules; each file holds one rule.

use crate::Rule;

mod nodeport_service;

pub static RULES: &[&Rule] = &[&nodeport_service::RULE];
