//! The set of objects under analysis, for rules that look across objects.
//!
//! A large manifest scan keeps the full tree only of the kinds some snapshot rule asked for, and
//! a reference ([`ObjectRef`]) to each workload, so memory stays bounded by what rules need.

use crate::Str;
use crate::object::{Object, ObjectRef};
use std::any::Any;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
pub struct Snapshot {
    /// Full objects of the kinds that were retained.
    pub objects: Vec<Object>,
    /// Every workload (object with a pod template) seen.
    pub workloads: Vec<Arc<ObjectRef>>,
    /// Every namespace an object of the input was in, kept or not (filled by a scan; a
    /// snapshot built by hand may leave it empty: its objects then tell).
    pub namespaces: BTreeSet<Str>,
    /// Results several snapshot rules share (the RBAC analysis), computed by the first rule
    /// that asks. Valid for the objects as they were then: a snapshot is built, then checked.
    pub memo: Memo,
}

/// Shared, lazily computed values of one snapshot, by key.
#[derive(Default)]
pub struct Memo(Mutex<Vec<(&'static str, Arc<dyn Any + Send + Sync>)>>);

impl Memo {
    /// The value under `key`, if one was stored (and is a `T`).
    pub fn get<T: Any + Send + Sync>(&self, key: &'static str) -> Option<Arc<T>> {
        let found = self
            .0
            .lock()
            .ok()
            .and_then(|m| m.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()))?;
        found.downcast::<T>().ok()
    }

    /// The value under `key`, computed by `init` the first time.
    pub fn get_or_init<T: Any + Send + Sync>(
        &self,
        key: &'static str,
        init: impl FnOnce() -> T,
    ) -> Arc<T> {
        let found = self
            .0
            .lock()
            .ok()
            .and_then(|m| m.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()));
        if let Some(v) = found.and_then(|v| v.downcast::<T>().ok()) {
            return v;
        }
        // Computed outside the lock: `init` may itself use the memo.
        let v = Arc::new(init());
        if let Ok(mut m) = self.0.lock() {
            m.retain(|(k, _)| *k != key);
            m.push((key, v.clone()));
        }
        v
    }
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<&str> = self
            .0
            .lock()
            .map(|m| m.iter().map(|(k, _)| *k).collect())
            .unwrap_or_default();
        f.debug_tuple("Memo").field(&keys).finish()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memo_computes_once_per_key() {
        let memo = Memo::default();
        let mut calls = 0;
        let a = memo.get_or_init("k", || {
            calls += 1;
            41
        });
        let b = memo.get_or_init("k", || {
            calls += 1;
            0
        });
        assert_eq!((*a, *b, calls), (41, 41, 1));
        let c = memo.get_or_init("other", || String::from("x"));
        assert_eq!(*c, "x");
    }
}
