//! One Kubernetes object and where it came from.

use crate::finding::Location;
use crate::node::{Node, Pos, Str};
use serde::Serialize;
use std::sync::Arc;

/// The annotation listing rules an object is excepted from (`"KW101,KW104"`).
pub const IGNORE_ANNOTATION: &str = "kubeward.io/ignore";
/// The annotation giving the reason for [`IGNORE_ANNOTATION`].
pub const IGNORE_REASON_ANNOTATION: &str = "kubeward.io/ignore-reason";

/// Where an object was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// File path as given (`-` for stdin, `cluster` for live objects).
    pub file: Arc<str>,
    /// 0-based index of the YAML document in the file.
    pub doc: u32,
    /// Index within a `kind: List` (or `*List`) document, when the object was an item of one.
    pub item: Option<u32>,
}

/// One Kubernetes object: its tree and its source.
#[derive(Debug, Clone)]
pub struct Object {
    pub root: Node,
    pub source: Source,
    pub api_version: Str,
    pub kind: Str,
    pub name: Str,
    pub namespace: Option<Str>,
    /// `metadata.uid`, set on objects read from a cluster or a snapshot.
    pub uid: Option<Str>,
    /// The uid of the controller named in `metadata.ownerReferences` (`controller: true`):
    /// the Deployment of a ReplicaSet, the ReplicaSet of a Pod.
    pub owner: Option<Str>,
    /// Is this a built-in kind in its real API group (not a CRD that shares the name)?
    pub builtin: bool,
}

impl Object {
    /// Builds an object from a tree that has string `apiVersion` and `kind` (the loader checks).
    pub fn new(root: Node, source: Source) -> Object {
        let text = |n: Option<&Node>| Str::from(n.and_then(Node::as_str).unwrap_or_default());
        let meta = root.get("metadata");
        let name = meta
            .and_then(|m| m.get("name").or_else(|| m.get("generateName")))
            .and_then(Node::as_str)
            .map(Str::from)
            .unwrap_or_default();
        let namespace = meta
            .and_then(|m| m.get("namespace"))
            .and_then(Node::as_str)
            .filter(|s| !s.is_empty())
            .map(Str::from);
        let uid = meta
            .and_then(|m| m.get("uid"))
            .and_then(Node::as_str)
            .filter(|s| !s.is_empty())
            .map(Str::from);
        let owner = meta
            .and_then(|m| m.get("ownerReferences"))
            .and_then(|refs| {
                refs.items()
                    .iter()
                    .find(|r| r.get("controller").is_some_and(Node::is_true))
            })
            .and_then(|r| r.get("uid"))
            .and_then(Node::as_str)
            .filter(|s| !s.is_empty())
            .map(Str::from);
        let api_version = text(root.get("apiVersion"));
        let kind = text(root.get("kind"));
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        Object {
            builtin: crate::kinds::is_builtin(group, &kind),
            api_version,
            kind,
            name,
            namespace,
            uid,
            owner,
            root,
            source,
        }
    }

    pub fn metadata(&self) -> Option<&Node> {
        self.root.get("metadata")
    }

    /// An annotation's value (object metadata).
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.root
            .path(&["metadata", "annotations", key])
            .and_then(Node::as_str)
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.root
            .path(&["metadata", "labels", key])
            .and_then(Node::as_str)
    }

    /// The API group, without version (`""` for the core group).
    pub fn group(&self) -> &str {
        match self.api_version.rsplit_once('/') {
            Some((group, _)) => group,
            None => "",
        }
    }

    /// The source position of the field at `ptr` (or its nearest existing ancestor).
    pub fn locate(&self, ptr: &str) -> Location {
        let pos = crate::pointer::locate(&self.root, ptr);
        Location {
            file: self.source.file.clone(),
            line: pos.line,
            column: pos.col,
        }
    }

    /// The compact reference findings carry.
    pub fn to_ref(&self) -> ObjectRef {
        ObjectRef {
            api_version: self.api_version.clone(),
            kind: self.kind.clone(),
            namespace: self.namespace.clone(),
            name: self.name.clone(),
            uid: self.uid.clone(),
            file: self.source.file.clone(),
            doc: self.source.doc,
            item: self.source.item,
            pos: self.root.pos,
            ignore: self.annotation(IGNORE_ANNOTATION).map(Str::from),
        }
    }
}

/// Identity and origin of an object, small enough to keep for every object of a large scan.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    pub api_version: Str,
    pub kind: Str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<Str>,
    pub name: Str,
    /// `metadata.uid` of a live (or snapshot) object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<Str>,
    #[serde(skip)]
    pub file: Arc<str>,
    #[serde(skip)]
    pub doc: u32,
    #[serde(skip)]
    pub item: Option<u32>,
    #[serde(skip)]
    pub pos: Pos,
    /// The object's `kubeward.io/ignore` annotation, if any (see exceptions).
    #[serde(skip)]
    pub ignore: Option<Str>,
}

impl ObjectRef {
    /// `Kind/namespace/name`, or `Kind/name` for objects without a namespace.
    pub fn display_name(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{}/{}", self.kind, ns, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }

    /// The namespace the object lands in when applied without `-n`: `default` when unset.
    /// Only meaningful for namespaced kinds.
    pub fn effective_namespace(&self) -> &str {
        self.namespace.as_deref().unwrap_or("default")
    }
}
