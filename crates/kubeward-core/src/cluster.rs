//! What kubeward learns about a live cluster beyond its objects, and what it could not see.
//!
//! A cluster scan (and the snapshot file it can save) carries one object of its own,
//! `kubeward.io/v1alpha1` `Cluster`, next to the collected objects:
//!
//! ```yaml
//! apiVersion: kubeward.io/v1alpha1
//! kind: Cluster
//! metadata:
//!   name: prod                      # the kubeconfig context, or `in-cluster`
//! spec:
//!   server: https://10.0.0.1:6443
//!   namespaces: [payments]          # the scope asked for; absent = the whole cluster
//! status:
//!   collectedAt: "2026-11-23T21:00:00Z"
//!   version:                        # GET /version, as the server answered
//!     major: "1"
//!     minor: "26"
//!     gitVersion: v1.26.5
//!     platform: linux/amd64
//!   anonymous:                      # the same requests without credentials
//!   - {path: /version, status: 200}
//!   - {path: /api, status: 401}
//!   - {path: /api/v1/namespaces, status: 401}
//!   notVisible:                     # lists the API refused: nothing is claimed about them
//!   - {group: "", resource: secrets, namespace: prod, status: 403, reason: Forbidden,
//!      message: "secrets is forbidden: User \"alice\" cannot list ..."}
//!   requests: 42                    # requests made to collect
//!   secretValues: false             # whether Secret values were requested
//! ```
//!
//! Object rules for kind `Cluster` judge these facts (anonymous access, version support) the same
//! way whether they come from a live scan or a snapshot file read later. The scan turns
//! `status.notVisible` into the report's coverage section.

use crate::kinds::KUBEWARD_GROUP;
use crate::node::{Node, Str};
use crate::object::Object;
use serde::{Deserialize, Serialize};

/// The kind of kubeward's cluster object.
pub const CLUSTER_KIND: &str = "Cluster";
/// The kind of a snapshot document (a list of objects with one `Cluster` among them).
pub const SNAPSHOT_KIND: &str = "Snapshot";

/// A list (of a kind, cluster-wide or in one namespace) the API server refused to give.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotVisible {
    /// API group (`""` for the core group).
    pub group: String,
    /// Plural resource name, e.g. `secrets`.
    pub resource: String,
    /// The namespace that was refused; `None` for the cluster-wide list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// HTTP status (403, 404 when the API is not served, 0 when the request failed).
    pub status: u16,
    /// The Status `reason` (`Forbidden`, `NotFound`, ...), or a short cause.
    #[serde(default)]
    pub reason: String,
    /// The server's message, as given.
    #[serde(default)]
    pub message: String,
}

impl NotVisible {
    /// `secrets` or `networkpolicies.networking.k8s.io`, and `in namespace prod` when scoped.
    pub fn what(&self) -> String {
        let resource = if self.group.is_empty() {
            self.resource.clone()
        } else {
            format!("{}.{}", self.resource, self.group)
        };
        match &self.namespace {
            // The Namespace object itself, fetched by name for a `--namespace` scan.
            Some(ns) if self.group.is_empty() && self.resource == "namespaces" => {
                format!("namespace {ns} (the Namespace object)")
            }
            Some(ns) => format!("{resource} in namespace {ns}"),
            None => format!("{resource} (cluster-wide)"),
        }
    }
}

/// The identity of a scanned cluster, for reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterInfo {
    pub name: Str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collected_at: Option<String>,
}

/// Is this kubeward's `Cluster` object?
pub fn is_cluster(object: &Object) -> bool {
    object.builtin && object.kind == CLUSTER_KIND && object.group() == KUBEWARD_GROUP
}

/// The identity of the cluster an object of kind `Cluster` describes.
pub fn info(object: &Object) -> ClusterInfo {
    let text = |path: &[&str]| {
        object
            .root
            .path(path)
            .and_then(Node::as_str)
            .map(str::to_string)
    };
    ClusterInfo {
        name: object.name.clone(),
        server: text(&["spec", "server"]),
        version: text(&["status", "version", "gitVersion"]),
        collected_at: text(&["status", "collectedAt"]),
    }
}

/// The lists a `Cluster` object says could not be read. Entries without a resource are
/// skipped (a snapshot edited by hand cannot make the report claim coverage it lacks, it can
/// only add entries).
pub fn not_visible(object: &Object) -> Vec<NotVisible> {
    let Some(list) = object.root.path(&["status", "notVisible"]) else {
        return Vec::new();
    };
    list.items()
        .iter()
        .filter_map(|n| {
            let text = |key: &str| n.get(key).and_then(Node::as_str).map(str::to_string);
            Some(NotVisible {
                group: text("group").unwrap_or_default(),
                resource: text("resource").filter(|r| !r.is_empty())?,
                namespace: text("namespace").filter(|s| !s.is_empty()),
                status: n
                    .get("status")
                    .and_then(Node::as_i64)
                    .and_then(|s| u16::try_from(s).ok())
                    .unwrap_or(0),
                reason: text("reason").unwrap_or_default(),
                message: text("message").unwrap_or_default(),
            })
        })
        .collect()
}
