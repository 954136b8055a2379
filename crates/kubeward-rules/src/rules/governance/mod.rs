//! Rules of this group; each file holds one rule.

use crate::Rule;

pub static RULES: &[&Rule] = &[];
