//! PolicyReport output: a `v1` `List` of `wgpolicyk8s.io/v1alpha2` `PolicyReport`s (one per
//! namespace) and one `ClusterPolicyReport`, the format of the Kubernetes Policy working group
//! that Kyverno, Trivy-operator and policy-reporter dashboards read (`docs/policyreport.md`).
//!
//! `kubeward scan --cluster --format policyreport | kubectl apply --server-side -f -` stores the
//! results in the cluster. Every finding becomes a `fail` result in the report of the namespace
//! its object lives in (cluster-scoped objects: the `ClusterPolicyReport`); lists the API server
//! refused and load errors become `error` results, so a dashboard never shows "all clear" where
//! kubeward could not look.

use crate::RenderOptions;
use kubeward_core::cluster::NotVisible;
use kubeward_core::{Finding, ObjectRef, Severity};
use kubeward_load::LoadError;
use kubeward_rules::scan::ScanResult;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

/// The API version of the reports.
pub const API_VERSION: &str = "wgpolicyk8s.io/v1alpha2";
/// `metadata.name` of every report kubeward writes.
pub const REPORT_NAME: &str = "kubeward";
/// `source` of every result.
pub const SOURCE: &str = "kubeward";
/// `policy` of the `error` results for lists the API server refused.
pub const COLLECTION_POLICY: &str = "kubeward-collection";
/// `policy` of the `error` results for inputs that could not be loaded.
pub const LOAD_POLICY: &str = "kubeward-load";
/// The label that marks kubeward's reports (`kubectl delete polr -A -l ...`).
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "kubeward");

/// Writes the reports with the current time as every result's timestamp.
pub(crate) fn render(
    result: &ScanResult,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    render_at(result, opts, SystemTime::now(), out)
}

/// Writes the reports with `at` as the timestamp of every result (one scan, one time).
pub fn render_at(
    result: &ScanResult,
    _opts: &RenderOptions,
    at: SystemTime,
    out: &mut dyn Write,
) -> io::Result<()> {
    let list = reports(result, Timestamp::of(at));
    serde_json::to_writer_pretty(&mut *out, &list).map_err(io::Error::other)?;
    out.write_all(b"\n")
}

/// `metav1.Timestamp`: seconds and nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Timestamp {
    pub seconds: i64,
    pub nanos: i32,
}

impl Timestamp {
    pub fn of(at: SystemTime) -> Timestamp {
        match at.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp {
                seconds: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                nanos: d.subsec_nanos() as i32,
            },
            // Before 1970: whole seconds towards the past, nanos counting forward.
            Err(e) => {
                let d = e.duration();
                let (mut seconds, mut nanos) =
                    (-i64::try_from(d.as_secs()).unwrap_or(i64::MAX), 0i32);
                if d.subsec_nanos() > 0 {
                    seconds -= 1;
                    nanos = 1_000_000_000 - d.subsec_nanos() as i32;
                }
                Timestamp { seconds, nanos }
            }
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct List {
    api_version: &'static str,
    kind: &'static str,
    items: Vec<Report>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata,
    summary: Summary,
    results: Vec<ResultOut>,
}

#[derive(Serialize)]
struct Metadata {
    name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    labels: BTreeMap<&'static str, &'static str>,
}

#[derive(Serialize, Default)]
struct Summary {
    pass: u64,
    fail: u64,
    warn: u64,
    error: u64,
    skip: u64,
}

#[derive(Serialize)]
struct ResultOut {
    source: &'static str,
    policy: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    severity: Option<&'static str>,
    result: Outcome,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    scored: bool,
    message: String,
    timestamp: Timestamp,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    resources: Vec<ResourceOut>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    properties: Map<String, Value>,
}

#[derive(Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Outcome {
    Fail,
    Error,
}

/// `corev1.ObjectReference`, the fields kubeward knows.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResourceOut {
    api_version: String,
    kind: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uid: Option<String>,
}

/// The reports' results, cluster-scoped first, then by namespace.
#[derive(Default)]
struct Placement {
    cluster: Vec<ResultOut>,
    namespaces: BTreeMap<String, Vec<ResultOut>>,
}

impl Placement {
    fn put(&mut self, namespace: Option<&str>, result: ResultOut) {
        match namespace {
            Some(ns) => self
                .namespaces
                .entry(ns.to_string())
                .or_default()
                .push(result),
            None => self.cluster.push(result),
        }
    }
}

fn reports(result: &ScanResult, at: Timestamp) -> List {
    let mut placed = Placement::default();
    for f in &result.findings {
        let namespace = report_namespace(&f.object);
        placed.put(namespace, finding_result(f, namespace, at));
    }
    for nv in &result.not_visible {
        placed.put(nv.namespace.as_deref(), not_visible_result(nv, at));
    }
    for e in &result.errors {
        placed.cluster.push(load_error_result(e, at));
    }
    // The ClusterPolicyReport is always written, even empty: applying it replaces the previous
    // scan's, so cluster-level results that are gone do not linger.
    let mut items = vec![report("ClusterPolicyReport", None, placed.cluster)];
    for (ns, results) in placed.namespaces {
        items.push(report("PolicyReport", Some(ns), results));
    }
    List {
        api_version: "v1",
        kind: "List",
        items,
    }
}

fn report(kind: &'static str, namespace: Option<String>, results: Vec<ResultOut>) -> Report {
    let mut summary = Summary::default();
    for r in &results {
        match r.result {
            Outcome::Fail => summary.fail += 1,
            Outcome::Error => summary.error += 1,
        }
    }
    Report {
        api_version: API_VERSION,
        kind,
        metadata: Metadata {
            name: REPORT_NAME,
            namespace,
            labels: BTreeMap::from([MANAGED_BY]),
        },
        summary,
        results,
    }
}

fn finding_result(f: &Finding, namespace: Option<&str>, at: Timestamp) -> ResultOut {
    let o = &f.object;
    let mut properties = Map::new();
    let mut prop = |k: &str, v: String| {
        properties.insert(k.to_string(), Value::String(v));
    };
    prop("path", f.path.to_string());
    if let Some(evidence) = &f.evidence {
        prop("evidence", evidence.to_string());
    }
    if f.location.line > 0 {
        prop("file", f.location.file.to_string());
        prop("line", f.location.line.to_string());
    }
    let mut mitre: Vec<&str> = f
        .rule
        .mitre
        .iter()
        .map(|m| m.id)
        .filter(|id| !id.is_empty())
        .collect();
    mitre.sort_unstable();
    mitre.dedup();
    if !mitre.is_empty() {
        prop("mitre", mitre.join(","));
    }
    ResultOut {
        source: SOURCE,
        policy: f.rule.code.to_string(),
        rule: Some(f.rule.name.to_string()),
        category: Some(f.rule.category.title()),
        severity: Some(severity(f.severity)),
        result: Outcome::Fail,
        scored: true,
        message: f.message.to_string(),
        timestamp: at,
        resources: vec![ResourceOut {
            api_version: o.api_version.to_string(),
            kind: o.kind.to_string(),
            name: o.name.to_string(),
            namespace: namespace.map(str::to_string),
            uid: o.uid.as_ref().map(|u| u.to_string()),
        }],
        properties,
    }
}

fn not_visible_result(nv: &NotVisible, at: Timestamp) -> ResultOut {
    let cause = match (nv.reason.is_empty(), nv.message.is_empty()) {
        (false, false) => format!("{} ({})", nv.reason, nv.message),
        (false, true) => nv.reason.clone(),
        (true, false) if nv.status > 0 => format!("HTTP {} ({})", nv.status, nv.message),
        (true, false) => nv.message.clone(),
        (true, true) if nv.status > 0 => format!("HTTP {}", nv.status),
        (true, true) => "request failed".to_string(),
    };
    let resource = if nv.group.is_empty() {
        nv.resource.clone()
    } else {
        format!("{}.{}", nv.resource, nv.group)
    };
    let mut properties = Map::new();
    properties.insert("resource".into(), Value::String(resource.clone()));
    if let Some(ns) = &nv.namespace {
        properties.insert("namespace".into(), Value::String(ns.clone()));
    }
    properties.insert("status".into(), Value::String(nv.status.to_string()));
    if !nv.reason.is_empty() {
        properties.insert("reason".into(), Value::String(nv.reason.clone()));
    }
    let resources = nv
        .namespace
        .iter()
        .map(|ns| ResourceOut {
            api_version: "v1".into(),
            kind: "Namespace".into(),
            name: ns.clone(),
            namespace: None,
            uid: None,
        })
        .collect();
    ResultOut {
        source: SOURCE,
        policy: COLLECTION_POLICY.to_string(),
        rule: Some(resource),
        category: None,
        severity: None,
        result: Outcome::Error,
        scored: false,
        message: format!("could not list {}: {cause}", nv.what()),
        timestamp: at,
        resources,
        properties,
    }
}

fn load_error_result(e: &LoadError, at: Timestamp) -> ResultOut {
    let mut properties = Map::new();
    properties.insert("file".into(), Value::String(e.file.to_string()));
    if e.line > 0 {
        properties.insert("line".into(), Value::String(e.line.to_string()));
        properties.insert("column".into(), Value::String(e.column.to_string()));
    }
    ResultOut {
        source: SOURCE,
        policy: LOAD_POLICY.to_string(),
        rule: None,
        category: None,
        severity: None,
        result: Outcome::Error,
        scored: false,
        message: e.to_string(),
        timestamp: at,
        resources: Vec::new(),
        properties,
    }
}

/// The CRD's severity enum (`critical`, `high`, `medium`, `low`, `info`): the same five levels.
fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Info => "info",
    }
}

/// The namespace whose report holds findings on `o`: `None` for cluster-scoped objects, the
/// effective namespace (`default` when unset) for objects of namespaced kinds.
fn report_namespace(o: &ObjectRef) -> Option<&str> {
    let group = o.api_version.rsplit_once('/').map_or("", |(g, _)| g);
    match scope(group, &o.kind) {
        Scope::Cluster => None,
        Scope::Namespaced => Some(o.effective_namespace()),
        Scope::Unknown => o.namespace.as_deref(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Cluster,
    Namespaced,
    Unknown,
}

/// Whether objects of a kind live in a namespace, for the built-in kinds (and kubeward's
/// `Cluster`); `Unknown` for custom resources, whose scope only their CRD knows.
fn scope(group: &str, kind: &str) -> Scope {
    let cluster_scoped = match group {
        "" => matches!(
            kind,
            "Namespace" | "Node" | "PersistentVolume" | "ComponentStatus"
        ),
        "rbac.authorization.k8s.io" => matches!(kind, "ClusterRole" | "ClusterRoleBinding"),
        "admissionregistration.k8s.io" => matches!(
            kind,
            "ValidatingWebhookConfiguration"
                | "MutatingWebhookConfiguration"
                | "ValidatingAdmissionPolicy"
                | "ValidatingAdmissionPolicyBinding"
                | "MutatingAdmissionPolicy"
                | "MutatingAdmissionPolicyBinding"
        ),
        "networking.k8s.io" => matches!(kind, "IngressClass" | "IPAddress" | "ServiceCIDR"),
        "apiextensions.k8s.io" => kind == "CustomResourceDefinition",
        "apiregistration.k8s.io" => kind == "APIService",
        "storage.k8s.io" => matches!(
            kind,
            "StorageClass" | "CSIDriver" | "CSINode" | "VolumeAttachment" | "VolumeAttributesClass"
        ),
        "scheduling.k8s.io" => kind == "PriorityClass",
        "node.k8s.io" => kind == "RuntimeClass",
        "certificates.k8s.io" => matches!(kind, "CertificateSigningRequest" | "ClusterTrustBundle"),
        "flowcontrol.apiserver.k8s.io" => {
            matches!(kind, "FlowSchema" | "PriorityLevelConfiguration")
        }
        "policy" | "extensions" => kind == "PodSecurityPolicy",
        "resource.k8s.io" => matches!(kind, "DeviceClass" | "ResourceSlice"),
        kubeward_core::kinds::KUBEWARD_GROUP => kind == kubeward_core::cluster::CLUSTER_KIND,
        _ => false,
    };
    if cluster_scoped {
        Scope::Cluster
    } else if kubeward_core::kinds::is_builtin(group, kind) || namespaced_extra(group, kind) {
        Scope::Namespaced
    } else {
        Scope::Unknown
    }
}

/// Namespaced built-in kinds that `kubeward_core::kinds` does not list.
fn namespaced_extra(group: &str, kind: &str) -> bool {
    matches!(
        (group, kind),
        ("", "Event")
            | ("", "Binding")
            | ("events.k8s.io", "Event")
            | ("discovery.k8s.io", "EndpointSlice")
            | ("coordination.k8s.io", "Lease")
            | ("storage.k8s.io", "CSIStorageCapacity")
            | ("autoscaling", "HorizontalPodAutoscaler")
            | ("batch", "CronJob")
            | ("networking.k8s.io", "Ingress")
            | ("resource.k8s.io", "ResourceClaim")
            | ("resource.k8s.io", "ResourceClaimTemplate")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn scope_by_group_and_kind() {
        assert_eq!(scope("", "Namespace"), Scope::Cluster);
        assert_eq!(
            scope("rbac.authorization.k8s.io", "ClusterRole"),
            Scope::Cluster
        );
        assert_eq!(
            scope("rbac.authorization.k8s.io", "Role"),
            Scope::Namespaced
        );
        assert_eq!(scope("apps", "Deployment"), Scope::Namespaced);
        assert_eq!(scope("", "Secret"), Scope::Namespaced);
        assert_eq!(scope("kubeward.io", "Cluster"), Scope::Cluster);
        // Cluster API's `Cluster` is a namespaced custom resource.
        assert_eq!(scope("cluster.x-k8s.io", "Cluster"), Scope::Unknown);
        assert_eq!(scope("example.com", "Widget"), Scope::Unknown);
        assert_eq!(scope("storage.k8s.io", "StorageClass"), Scope::Cluster);
    }

    #[test]
    fn timestamps() {
        let t = Timestamp::of(UNIX_EPOCH + Duration::new(1_700_000_000, 250));
        assert_eq!(
            t,
            Timestamp {
                seconds: 1_700_000_000,
                nanos: 250
            }
        );
        let before = Timestamp::of(UNIX_EPOCH - Duration::new(1, 250));
        assert_eq!(
            before,
            Timestamp {
                seconds: -2,
                nanos: 999_999_750
            }
        );
    }
}
