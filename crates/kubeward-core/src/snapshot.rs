//! The set of objects under analysis, for rules that look across objects.
//!
//! A large manifest scan keeps a reference ([`ObjectRef`]) to every object but the full tree only
//! of the kinds some snapshot rule asked for, so memory stays bounded by what rules need.

use crate::object::{Object, ObjectRef};
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct Snapshot {
    /// Full objects of the kinds that were retained.
    pub objects: Vec<Object>,
    /// Every object seen, with whether it carries a pod template (a workload).
    pub refs: Vec<(Arc<ObjectRef>, bool)>,
}

impl Snapshot {
    /// Retained objects of one kind.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Object> + 'a {
        self.objects.iter().filter(move |o| o.kind == kind)
    }

    /// Every workload (object with a pod template) seen.
    pub fn workloads(&self) -> impl Iterator<Item = &Arc<ObjectRef>> {
        self.refs.iter().filter(|(_, w)| *w).map(|(r, _)| r)
    }
}
