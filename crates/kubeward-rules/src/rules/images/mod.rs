//! Image and supply-chain rules.

use crate::Rule;

mod image_latest_tag;
mod image_not_pinned_by_digest;
pub mod reference;

pub static RULES: &[&Rule] = &[&image_latest_tag::RULE, &image_not_pinned_by_digest::RULE];
