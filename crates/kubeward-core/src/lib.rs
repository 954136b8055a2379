//! kubeward's model: what every other crate speaks.
//!
//! An [`Object`] is one Kubernetes object as a tree of [`Node`]s that remember where they came
//! from (line and column), so any JSON pointer into it resolves to a source location. Rules read
//! typed views ([`PodView`]) of it and emit [`Finding`]s described by a [`RuleMeta`].
//! Nothing here does I/O.

pub mod cluster;
pub mod finding;
pub mod kinds;
pub mod meta;
pub mod node;
pub mod object;
pub mod pointer;
pub mod snapshot;
pub mod view;

pub use finding::{Finding, Location, Severity};
pub use meta::{Category, Mitre, Pss, PssLevel, RuleMeta, Tactic};
pub use node::{Entry, Node, Pos, Str, Value};
pub use object::{Object, ObjectRef, Source};
pub use snapshot::Snapshot;
pub use view::{ContainerList, ContainerView, Describe, PodView, Ptr};
