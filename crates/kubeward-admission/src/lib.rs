//! kubeward's validating admission webhook: the rules of `kubeward scan`, enforced when
//! objects are created or updated (`kubeward admission serve`), answered offline
//! (`kubeward admission review`), and installed fail-safe (`kubeward admission manifests`).
//!
//! - [`review`]: the `admission.k8s.io/v1` AdmissionReview wire format.
//! - [`config`]: the `admission:` section of `kubeward.yaml` (levels, actions, exemptions).
//! - [`judge`]: what is judged, by which rules, and the response.
//! - [`kinds`]: which rules run at admission, and the webhook rules for their kinds.
//! - [`namespaces`]: what is read from the API server (namespaces' labels, a binding's role).
//! - [`server`]: the HTTPS server, with [`tls`] (certificate reload) and [`metrics`].
//! - [`pki`]: a CA and serving certificate for the webhook's Service (rcgen).
//! - [`manifests`]: what `kubeward admission manifests` prints.

pub mod config;
pub mod judge;
pub mod kinds;
pub mod manifests;
pub mod metrics;
pub mod namespaces;
pub mod pki;
pub mod review;
pub mod server;
pub use kubeward_tls as tls;

pub use config::{Action, AdmissionConfig, Level, Settings};
pub use judge::{Decision, Facts, Judge, NamespaceLabels, Outcome, RoleRef, Skip, Violation};
pub use review::{DecodeError, Operation, Response, Review};
