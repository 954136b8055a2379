//! Kubernetes NetworkPolicy analysis: which workloads can reach which (and which external
//! address ranges), on which ports, and why; who is unprotected; policy lint checks.
//!
//! ```text
//! objects ──► Model::build ──► Analysis::new ──► matrix() / connections() / explain() / exposure()
//!                         └──► lint::*
//! ```
//!
//! The semantics are Kubernetes' (see `docs/netpol.md`): a pod selected by no policy for a
//! direction is not isolated for it; the policies selecting a pod combine as a union; ingress
//! and egress must both allow a connection; named ports resolve on the destination pod.
//! AdminNetworkPolicy and BaselineAdminNetworkPolicy are applied before and after.

pub mod admin;
pub mod conn;
pub mod engine;
pub mod error;
pub mod explain;
pub mod exposure;
pub mod ip;
pub mod lint;
pub mod list;
pub mod model;
pub mod ranges;
pub mod render;
pub mod retain;
pub mod selector;

pub use conn::{ConnSet, Protocol};
pub use engine::{Analysis, Endpoint, Matrix};
pub use error::{Error, Errors};
pub use ip::IpRange;
pub use list::{Connection, End};
pub use model::{Direction, Model};
pub use retain::{PRUNED_KINDS, prune};

/// Version of the JSON outputs (`docs/netpol.md`).
pub const SCHEMA_VERSION: u32 = 1;
