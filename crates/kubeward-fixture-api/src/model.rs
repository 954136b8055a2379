//! Which resources the server serves, and the discovery documents describing them.
//!
//! The core `v1`, `apps/v1`, `networking.k8s.io/v1` and `rbac.authorization.k8s.io/v1`
//! resource lists are the recorded responses of a real v1.26.5 server, served byte for byte.
//! `batch/v1`, `policy/v1`, `admissionregistration.k8s.io/v1` and `wgpolicyk8s.io/v1alpha2`
//! (the PolicyReport CRDs) are always served too, with lists generated in the same shape
//! (`singularName` empty for built-ins as in 1.26, `storageVersionHash` computed like the
//! apiserver: base64 of the first 8 bytes of SHA-256 of `group/version/Kind`). Custom resource
//! lists use the apiextensions-apiserver's shape (real `singularName`, its verb order). Any
//! other group a loaded object belongs to is served as well: a few more built-ins are known,
//! CustomResourceDefinitions loaded as objects define their resources, and anything else is
//! served as a custom resource with the plural the apiserver would guess.

use crate::json;
use anyhow::{Result, bail};
use serde_json::{Map, Value, json};
use std::collections::{BTreeSet, HashMap};

const VERSION_JSON: &str = include_str!("../recordings/version.json");
const API_JSON: &str = include_str!("../recordings/api.json");
const APIS_JSON: &str = include_str!("../recordings/apis.json");
const RECORDED_LISTS: [&str; 4] = [
    include_str!("../recordings/api-v1.json"),
    include_str!("../recordings/apis-apps-v1.json"),
    include_str!("../recordings/apis-networking.k8s.io-v1.json"),
    include_str!("../recordings/apis-rbac.authorization.k8s.io-v1.json"),
];

/// One served resource (the `resource` of a group-version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResourceType {
    pub group: String,
    pub version: String,
    /// Plural name, as in the URL.
    pub resource: String,
    pub kind: String,
    pub namespaced: bool,
    /// Served as a custom resource (unstructured JSON with sorted keys, CRD discovery shape).
    pub custom: bool,
    pub singular: String,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    /// Has a `/status` subresource (listed in discovery only).
    pub status: bool,
}

impl ResourceType {
    /// `v1`, `apps/v1`.
    pub(crate) fn group_version(&self) -> String {
        group_version(&self.group, &self.version)
    }
}

pub(crate) fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

/// Splits `apps/v1` into (`apps`, `v1`) and `v1` into (``, `v1`).
pub(crate) fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

/// Built-ins beyond the recorded lists: (group, version, resource, kind, namespaced, short
/// names, categories, status subresource, always served).
type StaticType = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [&'static str],
    &'static [&'static str],
    bool,
    bool,
);

const STATIC_TYPES: &[StaticType] = &[
    (
        "batch",
        "v1",
        "cronjobs",
        "CronJob",
        true,
        &["cj"],
        &["all"],
        true,
        true,
    ),
    (
        "batch",
        "v1",
        "jobs",
        "Job",
        true,
        &[],
        &["all"],
        true,
        true,
    ),
    (
        "policy",
        "v1",
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        true,
        &["pdb"],
        &[],
        true,
        true,
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        "MutatingWebhookConfiguration",
        false,
        &[],
        &["api-extensions"],
        false,
        true,
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "validatingadmissionpolicies",
        "ValidatingAdmissionPolicy",
        false,
        &[],
        &["api-extensions"],
        true,
        true,
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "validatingadmissionpolicybindings",
        "ValidatingAdmissionPolicyBinding",
        false,
        &[],
        &["api-extensions"],
        false,
        true,
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration",
        false,
        &[],
        &["api-extensions"],
        false,
        true,
    ),
    (
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        true,
        &["hpa"],
        &["all"],
        true,
        false,
    ),
    (
        "autoscaling",
        "v1",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        true,
        &["hpa"],
        &["all"],
        true,
        false,
    ),
    (
        "storage.k8s.io",
        "v1",
        "storageclasses",
        "StorageClass",
        false,
        &["sc"],
        &[],
        false,
        false,
    ),
    (
        "storage.k8s.io",
        "v1",
        "csidrivers",
        "CSIDriver",
        false,
        &[],
        &[],
        false,
        false,
    ),
    (
        "scheduling.k8s.io",
        "v1",
        "priorityclasses",
        "PriorityClass",
        false,
        &["pc"],
        &[],
        false,
        false,
    ),
    (
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        false,
        &["crd", "crds"],
        &["api-extensions"],
        true,
        false,
    ),
    (
        "apiregistration.k8s.io",
        "v1",
        "apiservices",
        "APIService",
        false,
        &[],
        &["api-extensions"],
        true,
        false,
    ),
    (
        "coordination.k8s.io",
        "v1",
        "leases",
        "Lease",
        true,
        &[],
        &[],
        false,
        false,
    ),
    (
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        "EndpointSlice",
        true,
        &[],
        &[],
        false,
        false,
    ),
    (
        "node.k8s.io",
        "v1",
        "runtimeclasses",
        "RuntimeClass",
        false,
        &[],
        &[],
        false,
        false,
    ),
    (
        "certificates.k8s.io",
        "v1",
        "certificatesigningrequests",
        "CertificateSigningRequest",
        false,
        &["csr"],
        &[],
        true,
        false,
    ),
    (
        "events.k8s.io",
        "v1",
        "events",
        "Event",
        true,
        &["ev"],
        &[],
        false,
        false,
    ),
];

/// The PolicyReport CRDs (wg-policy-prototypes), always served as custom resources.
const POLICY_REPORT_TYPES: &[(&str, &str, bool, &str)] = &[
    (
        "clusterpolicyreports",
        "ClusterPolicyReport",
        false,
        "cpolr",
    ),
    ("policyreports", "PolicyReport", true, "polr"),
];

/// Everything the server serves.
#[derive(Debug)]
pub(crate) struct Model {
    pub types: Vec<ResourceType>,
    by_resource: HashMap<(String, String, String), usize>,
    by_kind: HashMap<(String, String, String), usize>,
    /// Recorded resource lists by group-version, parsed (order preserved).
    recorded: HashMap<String, Value>,
    /// Built-in group order of the recorded `/apis`.
    builtin_group_order: Vec<String>,
}

impl Model {
    /// The served resources for the given (raw) objects.
    pub(crate) fn build(objects: &[Value]) -> Result<Model> {
        let mut model = Model {
            types: Vec::new(),
            by_resource: HashMap::new(),
            by_kind: HashMap::new(),
            recorded: HashMap::new(),
            builtin_group_order: Vec::new(),
        };
        let apis: Value = serde_json::from_str(APIS_JSON)?;
        for g in apis["groups"].as_array().into_iter().flatten() {
            if let Some(name) = g["name"].as_str() {
                model.builtin_group_order.push(name.to_string());
            }
        }
        for text in RECORDED_LISTS {
            let list: Value = serde_json::from_str(text)?;
            let gv = list["groupVersion"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let (group, version) = split_api_version(&gv);
            let resources = list["resources"].as_array().cloned().unwrap_or_default();
            let names: BTreeSet<&str> = resources
                .iter()
                .filter_map(|r| r["name"].as_str())
                .collect();
            for r in &resources {
                let Some(name) = r["name"].as_str() else {
                    continue;
                };
                if name.contains('/') {
                    continue;
                }
                let strings = |key: &str| -> Vec<String> {
                    r[key]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                };
                model.add(ResourceType {
                    group: group.into(),
                    version: version.into(),
                    resource: name.into(),
                    kind: r["kind"].as_str().unwrap_or_default().into(),
                    namespaced: r["namespaced"].as_bool().unwrap_or(false),
                    custom: false,
                    singular: String::new(),
                    short_names: strings("shortNames"),
                    categories: strings("categories"),
                    status: names.contains(format!("{name}/status").as_str()),
                });
            }
            model.recorded.insert(gv, list);
        }
        for s in STATIC_TYPES.iter().filter(|s| s.8) {
            model.add(static_type(s));
        }
        for (resource, kind, namespaced, short) in POLICY_REPORT_TYPES {
            model.add(ResourceType {
                group: "wgpolicyk8s.io".into(),
                version: "v1alpha2".into(),
                resource: (*resource).into(),
                kind: (*kind).into(),
                namespaced: *namespaced,
                custom: true,
                singular: kind.to_lowercase(),
                short_names: vec![(*short).into()],
                categories: Vec::new(),
                status: false,
            });
        }

        // CustomResourceDefinitions define resources.
        for obj in objects {
            if obj["apiVersion"]
                .as_str()
                .is_some_and(|v| v.starts_with("apiextensions.k8s.io/"))
                && obj["kind"] == "CustomResourceDefinition"
            {
                model.add_crd(obj);
            }
        }
        // Every other kind a loaded object has.
        let mut unknown: Vec<(String, String, String)> = Vec::new();
        let mut namespaced_kinds: BTreeSet<(String, String, String)> = BTreeSet::new();
        for obj in objects {
            let (Some(api_version), Some(kind)) =
                (obj["apiVersion"].as_str(), obj["kind"].as_str())
            else {
                bail!("object without apiVersion/kind: {obj}");
            };
            let (group, version) = split_api_version(api_version);
            let key = (group.to_string(), version.to_string(), kind.to_string());
            if obj["metadata"]["namespace"]
                .as_str()
                .is_some_and(|n| !n.is_empty())
            {
                namespaced_kinds.insert(key.clone());
            }
            if model.by_kind.contains_key(&key) || unknown.contains(&key) {
                continue;
            }
            if let Some(s) = STATIC_TYPES
                .iter()
                .find(|s| s.0 == group && s.1 == version && s.3 == kind)
            {
                model.add(static_type(s));
            } else {
                unknown.push(key);
            }
        }
        for key in unknown {
            let (group, version, kind) = key.clone();
            let resource = guess_resource(&kind);
            model.add(ResourceType {
                singular: kind.to_lowercase(),
                namespaced: namespaced_kinds.contains(&key),
                group,
                version,
                resource,
                kind,
                custom: true,
                short_names: Vec::new(),
                categories: Vec::new(),
                status: false,
            });
        }
        Ok(model)
    }

    fn add(&mut self, t: ResourceType) {
        let rkey = (t.group.clone(), t.version.clone(), t.resource.clone());
        let kkey = (t.group.clone(), t.version.clone(), t.kind.clone());
        if self.by_resource.contains_key(&rkey) {
            return;
        }
        let i = self.types.len();
        self.by_resource.insert(rkey, i);
        self.by_kind.entry(kkey).or_insert(i);
        self.types.push(t);
    }

    /// Registers the resources a CustomResourceDefinition object defines.
    fn add_crd(&mut self, crd: &Value) {
        let spec = &crd["spec"];
        let names = &spec["names"];
        let (Some(group), Some(plural), Some(kind)) = (
            spec["group"].as_str(),
            names["plural"].as_str(),
            names["kind"].as_str(),
        ) else {
            return;
        };
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        };
        for v in spec["versions"].as_array().into_iter().flatten() {
            let Some(version) = v["name"].as_str() else {
                continue;
            };
            if v["served"] == Value::Bool(false) {
                continue;
            }
            self.add(ResourceType {
                group: group.into(),
                version: version.into(),
                resource: plural.into(),
                kind: kind.into(),
                namespaced: spec["scope"].as_str() != Some("Cluster"),
                custom: true,
                singular: names["singular"]
                    .as_str()
                    .map_or_else(|| kind.to_lowercase(), str::to_string),
                short_names: strings(&names["shortNames"]),
                categories: strings(&names["categories"]),
                status: v["subresources"]["status"].is_object(),
            });
        }
    }

    /// The type serving `group/version/resource`.
    pub(crate) fn by_resource(&self, group: &str, version: &str, resource: &str) -> Option<usize> {
        self.by_resource
            .get(&(group.to_string(), version.to_string(), resource.to_string()))
            .copied()
    }

    /// The type of objects of `apiVersion`/`kind`.
    pub(crate) fn by_kind(&self, api_version: &str, kind: &str) -> Option<usize> {
        let (group, version) = split_api_version(api_version);
        self.by_kind
            .get(&(group.to_string(), version.to_string(), kind.to_string()))
            .copied()
    }

    /// Is `group` served by a built-in (go-restful) web service? Unknown paths under those get
    /// a `Status` 404; under other groups the real server's mux answers `404 page not found`.
    pub(crate) fn is_builtin_group(&self, group: &str) -> bool {
        self.types.iter().any(|t| t.group == group && !t.custom)
    }

    /// Served versions of `group`, preferred first.
    pub(crate) fn versions(&self, group: &str) -> Vec<String> {
        let mut versions: Vec<String> = Vec::new();
        for t in self.types.iter().filter(|t| t.group == group) {
            if !versions.contains(&t.version) {
                versions.push(t.version.clone());
            }
        }
        versions.sort_by_key(|v| std::cmp::Reverse(version_priority(v)));
        versions
    }

    /// Served groups (without the core group) in discovery order.
    pub(crate) fn groups(&self) -> Vec<String> {
        let served: BTreeSet<&str> = self
            .types
            .iter()
            .filter(|t| !t.group.is_empty())
            .map(|t| t.group.as_str())
            .collect();
        let mut out: Vec<String> = self
            .builtin_group_order
            .iter()
            .filter(|g| served.contains(g.as_str()))
            .cloned()
            .collect();
        for g in served {
            if !out.iter().any(|o| o == g) {
                out.push(g.to_string());
            }
        }
        out
    }

    /// `GET /version`, pretty-printed like the real handler (no trailing newline).
    pub(crate) fn version_body(git_version: &str) -> Vec<u8> {
        let mut v: Value = serde_json::from_str(VERSION_JSON).unwrap_or_else(|_| json!({}));
        let core = git_version.trim_start_matches('v');
        let mut parts = core.split(['.', '-', '+']);
        let major = parts.next().unwrap_or_default().to_string();
        let minor = parts.next().unwrap_or_default().to_string();
        v["major"] = Value::String(major);
        v["minor"] = Value::String(minor);
        v["gitVersion"] = Value::String(git_version.to_string());
        json::pretty(&v)
    }

    /// `GET /api` with this server's address.
    pub(crate) fn api_body(server_address: &str) -> Vec<u8> {
        let mut v: Value = serde_json::from_str(API_JSON).unwrap_or_else(|_| json!({}));
        v["serverAddressByClientCIDRs"] =
            json!([{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]);
        json::body(&v)
    }

    fn group_json(&self, group: &str) -> Value {
        let versions = self.versions(group);
        let entry = |v: &String| json!({"groupVersion": group_version(group, v), "version": v});
        json!({
            "name": group,
            "versions": versions.iter().map(entry).collect::<Vec<_>>(),
            "preferredVersion": versions.first().map(entry).unwrap_or(Value::Null),
        })
    }

    /// `GET /apis`: an APIGroupList of exactly the served groups.
    pub(crate) fn apis_body(&self) -> Vec<u8> {
        let groups: Vec<Value> = self.groups().iter().map(|g| self.group_json(g)).collect();
        json::body(&json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}))
    }

    /// `GET /apis/{group}`.
    pub(crate) fn group_body(&self, group: &str) -> Vec<u8> {
        let mut v = Map::new();
        v.insert("kind".into(), json!("APIGroup"));
        v.insert("apiVersion".into(), json!("v1"));
        if let Value::Object(g) = self.group_json(group) {
            v.extend(g);
        }
        json::body(&Value::Object(v))
    }

    /// `GET /api/v1`, `GET /apis/{group}/{version}`: the APIResourceList.
    pub(crate) fn resource_list_body(&self, group: &str, version: &str) -> Vec<u8> {
        let gv = group_version(group, version);
        let mut doc = match self.recorded.get(&gv) {
            Some(v) => v.clone(),
            None => {
                json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": []})
            }
        };
        let listed: BTreeSet<String> = doc["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["name"].as_str().map(str::to_string))
            .collect();
        let mut extra: Vec<&ResourceType> = self
            .types
            .iter()
            .filter(|t| t.group == group && t.version == version && !listed.contains(&t.resource))
            .collect();
        extra.sort_by(|a, b| a.resource.cmp(&b.resource));
        if let Some(resources) = doc["resources"].as_array_mut() {
            for t in extra {
                resources.push(resource_entry(t));
                if t.status {
                    resources.push(json!({
                        "name": format!("{}/status", t.resource),
                        "singularName": "",
                        "namespaced": t.namespaced,
                        "kind": t.kind,
                        "verbs": ["get", "patch", "update"],
                    }));
                }
            }
        }
        json::body(&doc)
    }
}

fn static_type(s: &StaticType) -> ResourceType {
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    ResourceType {
        group: s.0.into(),
        version: s.1.into(),
        resource: s.2.into(),
        kind: s.3.into(),
        namespaced: s.4,
        custom: false,
        singular: String::new(),
        short_names: strings(s.5),
        categories: strings(s.6),
        status: s.7,
    }
}

/// One `APIResource` entry in the built-in (or CRD) shape.
fn resource_entry(t: &ResourceType) -> Value {
    let mut v = Map::new();
    v.insert("name".into(), json!(t.resource));
    v.insert("singularName".into(), json!(t.singular));
    v.insert("namespaced".into(), json!(t.namespaced));
    v.insert("kind".into(), json!(t.kind));
    let verbs: &[&str] = if t.custom {
        &[
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "create",
            "update",
            "watch",
        ]
    } else {
        &[
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch",
        ]
    };
    v.insert("verbs".into(), json!(verbs));
    if !t.short_names.is_empty() {
        v.insert("shortNames".into(), json!(t.short_names));
    }
    if !t.categories.is_empty() {
        v.insert("categories".into(), json!(t.categories));
    }
    v.insert(
        "storageVersionHash".into(),
        json!(storage_version_hash(&t.group, &t.version, &t.kind)),
    );
    Value::Object(v)
}

/// `discovery.StorageVersionHash`: base64(sha256("group/version/Kind")[:8]).
pub(crate) fn storage_version_hash(group: &str, version: &str, kind: &str) -> String {
    use base64::Engine;
    let digest = ring::digest::digest(
        &ring::digest::SHA256,
        format!("{group}/{version}/{kind}").as_bytes(),
    );
    base64::engine::general_purpose::STANDARD.encode(&digest.as_ref()[..8])
}

/// `meta.UnsafeGuessKindToResource`: the plural the apiserver derives from a kind.
pub(crate) fn guess_resource(kind: &str) -> String {
    let singular = kind.to_lowercase();
    if singular.is_empty() || singular.ends_with("endpoints") {
        return singular;
    }
    if singular.ends_with('s') {
        format!("{singular}es")
    } else if let Some(stem) = singular.strip_suffix('y') {
        format!("{stem}ies")
    } else {
        format!("{singular}s")
    }
}

/// Kubernetes version priority: GA > beta > alpha > other, then higher numbers first.
fn version_priority(v: &str) -> (u8, u64, u64) {
    let Some(rest) = v.strip_prefix('v') else {
        return (0, 0, 0);
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let Ok(major) = digits.parse::<u64>() else {
        return (0, 0, 0);
    };
    let tail = &rest[digits.len()..];
    if tail.is_empty() {
        return (3, major, 0);
    }
    for (prefix, rank) in [("beta", 2), ("alpha", 1)] {
        if let Some(minor) = tail
            .strip_prefix(prefix)
            .and_then(|n| n.parse::<u64>().ok())
        {
            return (rank, major, minor);
        }
    }
    (0, 0, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_hashes_match_the_recordings() {
        assert_eq!(
            storage_version_hash("apps", "v1", "Deployment"),
            "8aSe+NMegvE="
        );
        assert_eq!(storage_version_hash("", "v1", "Pod"), "xPOwRZ+Yhw8=");
    }

    #[test]
    fn recorded_lists_are_served_verbatim() {
        let m = Model::build(&[]).unwrap();
        for text in RECORDED_LISTS {
            let v: Value = serde_json::from_str(text).unwrap();
            let (g, ver) = split_api_version(v["groupVersion"].as_str().unwrap());
            assert_eq!(
                String::from_utf8(m.resource_list_body(g, ver)).unwrap(),
                text
            );
        }
    }

    #[test]
    fn guesses_plurals_like_the_apiserver() {
        assert_eq!(guess_resource("PolicyReport"), "policyreports");
        assert_eq!(guess_resource("NetworkPolicy"), "networkpolicies");
        assert_eq!(guess_resource("Ingress"), "ingresses");
        assert_eq!(guess_resource("Endpoints"), "endpoints");
    }

    #[test]
    fn versions_sort_by_priority() {
        let mut v = vec!["v1beta1", "v1", "v2alpha1", "v2", "v1beta2"];
        v.sort_by_key(|x| std::cmp::Reverse(version_priority(x)));
        assert_eq!(v, ["v2", "v1", "v1beta2", "v1beta1", "v2alpha1"]);
    }
}
