//! The set of objects under analysis, for rules that look across objects.
//!
//! A large manifest scan keeps the full tree only of the kinds some snapshot rule asked for, and
//! a reference ([`ObjectRef`]) to each workload, so memory stays bounded by what rules need.

use crate::object::{Object, ObjectRef};
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct Snapshot {
    /// Full objects of the kinds that were retained.
    pub objects: Vec<Object>,
    /// Every workload (object with a pod template) seen.
    pub workloads: Vec<Arc<ObjectRef>>,
}

impl Snapshot {
    /// Retained objects of one kind.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Object> + 'a {
        self.objects.iter().filter(move |o| o.kind == kind)
    }

    /// Every workload (object with a pod template) seen.
    pub fn workloads(&self) -> impl Iterator<Item = &Arc<ObjectRef>> {
        self.workloads.iter()
    }
}
