//! The built-in rules, one file each, grouped by area. Each group lists its rules in `RULES`.

use crate::Rule;

pub mod cluster;
pub mod governance;
pub mod images;
pub mod network;
pub mod paths;
pub mod pss;
pub mod rbac;
pub mod secrets;
pub mod workload;

/// Every group of built-in rules.
pub static ALL: &[&[&Rule]] = &[
    pss::RULES,
    rbac::RULES,
    paths::RULES,
    workload::RULES,
    secrets::RULES,
    images::RULES,
    network::RULES,
    governance::RULES,
    cluster::RULES,
];
