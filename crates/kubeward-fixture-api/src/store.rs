//! The objects, stored the way the apiserver returns them, serialised once.
//!
//! On the way in, each object gets what the apiserver adds on create when missing: `uid`
//! (deterministic, UUID-shaped, from a hash of group/kind/namespace/name), `resourceVersion`,
//! `creationTimestamp`, a generated name for `generateName`, namespace `default` for namespaced
//! kinds, and the defaults of Secrets (`stringData` merged into `data`, `type: Opaque`) and
//! Namespaces (`kubernetes.io/metadata.name` label, `spec.finalizers`, `status.phase`).
//! Everything else is kept as given.
//!
//! On the way out, built-in objects are written like the Go structs: `metadata` first with the
//! `ObjectMeta` field order, then the kind's fields (`spec`, `status`, ...), and list items carry
//! no `kind`/`apiVersion`. Custom resources are unstructured maps, which Go writes with every
//! object's keys sorted, `apiVersion`/`kind` included in list items too. Objects live in a
//! `BTreeMap` keyed like their etcd key (`namespace/name`, or `name`), which gives the real
//! list order.

use crate::json;
use crate::model::ResourceType;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// `ObjectMeta` field order.
const META_ORDER: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "selfLink",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
    "managedFields",
];

/// Top-level field order of built-in kinds after `metadata` (Go struct order).
fn kind_order(kind: &str) -> &'static [&'static str] {
    match kind {
        "Secret" => &["immutable", "data", "stringData", "type"],
        "ConfigMap" => &["immutable", "data", "binaryData"],
        "ServiceAccount" => &[
            "secrets",
            "imagePullSecrets",
            "automountServiceAccountToken",
        ],
        "Role" | "ClusterRole" => &["rules", "aggregationRule"],
        "RoleBinding" | "ClusterRoleBinding" => &["subjects", "roleRef"],
        "ValidatingWebhookConfiguration" | "MutatingWebhookConfiguration" => &["webhooks"],
        "Endpoints" => &["subsets"],
        _ => &["spec", "status"],
    }
}

/// One stored object.
#[derive(Debug)]
pub(crate) struct Stored {
    pub name: String,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    pub resource_version: String,
    pub creation_timestamp: String,
    /// The list-item JSON (built-ins without `kind`/`apiVersion`).
    pub item: Vec<u8>,
    /// `metadata` as `ObjectMeta` JSON (for `PartialObjectMetadata` and Table rows).
    pub meta: Vec<u8>,
    /// What the Table printers show beyond name and age.
    pub table: TableInfo,
}

/// Printer columns of the kinds with a dedicated printer.
#[derive(Debug, Default)]
pub(crate) struct TableInfo {
    /// Secret `type` and number of `data` keys.
    pub secret: Option<(String, usize)>,
    /// Namespace `status.phase`.
    pub phase: Option<String>,
}

impl Stored {
    /// The etcd-like key inside the resource's collection.
    pub(crate) fn key(&self) -> String {
        key(&self.namespace, &self.name)
    }

    /// The object as `GET` returns it (built-ins get `kind`/`apiVersion` back in front).
    pub(crate) fn full(&self, rt: &ResourceType) -> Vec<u8> {
        if rt.custom {
            return self.item.clone();
        }
        let mut out = Vec::with_capacity(self.item.len() + 64);
        out.extend_from_slice(b"{\"kind\":");
        out.extend_from_slice(json::string(&rt.kind).as_bytes());
        out.extend_from_slice(b",\"apiVersion\":");
        out.extend_from_slice(json::string(&rt.group_version()).as_bytes());
        if self.item.len() > 2 {
            out.push(b',');
        }
        out.extend_from_slice(&self.item[1..]);
        out
    }

    /// The object as a `serde_json::Value` with `kind`/`apiVersion`.
    pub(crate) fn value(&self, rt: &ResourceType) -> Value {
        serde_json::from_slice(&self.full(rt)).unwrap_or(Value::Null)
    }
}

pub(crate) fn key(namespace: &str, name: &str) -> String {
    if namespace.is_empty() {
        name.to_string()
    } else {
        format!("{namespace}/{name}")
    }
}

/// All objects, one ordered collection per served resource type.
#[derive(Debug)]
pub(crate) struct Store {
    pub collections: Vec<BTreeMap<String, Arc<Stored>>>,
    /// The cluster's current resourceVersion.
    pub rv: u64,
    /// Continue tokens with a resourceVersion up to this one are expired (compacted).
    pub compacted: i64,
}

impl Store {
    pub(crate) fn new(types: usize) -> Store {
        Store {
            collections: (0..types).map(|_| BTreeMap::new()).collect(),
            rv: 0,
            compacted: 0,
        }
    }

    pub(crate) fn insert(&mut self, type_index: usize, stored: Stored) {
        if let Some(c) = self.collections.get_mut(type_index) {
            c.insert(stored.key(), Arc::new(stored));
        }
    }

    pub(crate) fn get(
        &self,
        type_index: usize,
        namespace: &str,
        name: &str,
    ) -> Option<Arc<Stored>> {
        self.collections
            .get(type_index)?
            .get(&key(namespace, name))
            .cloned()
    }
}

/// What to fill in when preparing an object.
#[derive(Debug)]
pub(crate) struct Fill<'a> {
    /// resourceVersion for objects without one (or always, with `force_rv`).
    pub rv: u64,
    pub force_rv: bool,
    pub creation_timestamp: &'a str,
    /// Keep this uid (an update of an existing object).
    pub uid: Option<String>,
}

/// Turns a manifest into a stored object of type `rt`.
pub(crate) fn prepare(rt: &ResourceType, value: Value, fill: &Fill<'_>) -> Result<Stored, String> {
    let Value::Object(mut obj) = value else {
        return Err("an object must be a mapping".into());
    };
    let api_version = obj.remove("apiVersion").unwrap_or(Value::Null);
    let kind = obj.remove("kind").unwrap_or(Value::Null);
    let mut meta = match obj.remove("metadata") {
        Some(Value::Object(m)) => m,
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err(format!("{}: metadata must be a mapping", rt.kind)),
    };
    // Go omits empty and null metadata fields.
    meta.retain(|_, v| match v {
        Value::Null => false,
        Value::Object(m) => !m.is_empty(),
        Value::String(s) => !s.is_empty(),
        _ => true,
    });
    let namespace = if rt.namespaced {
        let ns = meta
            .get("namespace")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_string();
        meta.insert("namespace".into(), Value::String(ns.clone()));
        ns
    } else {
        meta.remove("namespace");
        String::new()
    };
    let name = match meta.get("name").and_then(Value::as_str) {
        Some(n) => n.to_string(),
        None => match meta.get("generateName").and_then(Value::as_str) {
            Some(prefix) => {
                let n = format!("{prefix}{}", name_suffix(rt, &namespace, prefix, fill.rv));
                meta.insert("name".into(), Value::String(n.clone()));
                n
            }
            None => {
                return Err(format!(
                    "{}: metadata.name or metadata.generateName is required",
                    rt.kind
                ));
            }
        },
    };
    if !meta.contains_key("uid") {
        let uid = fill
            .uid
            .clone()
            .unwrap_or_else(|| uid(rt, &namespace, &name));
        meta.insert("uid".into(), Value::String(uid));
    }
    let rv = match meta.get("resourceVersion") {
        Some(v) if !fill.force_rv => v.as_str().map_or_else(|| v.to_string(), str::to_string),
        _ => fill.rv.to_string(),
    };
    meta.insert("resourceVersion".into(), Value::String(rv.clone()));
    if !meta.contains_key("creationTimestamp") {
        meta.insert(
            "creationTimestamp".into(),
            Value::String(fill.creation_timestamp.to_string()),
        );
    }
    for map in ["labels", "annotations"] {
        if let Some(Value::Object(m)) = meta.get_mut(map) {
            sort_map(m);
        }
    }

    let mut table = TableInfo::default();
    if !rt.custom && rt.group.is_empty() {
        match rt.kind.as_str() {
            "Secret" => table.secret = Some(default_secret(&mut obj)),
            "ConfigMap" => {
                for map in ["data", "binaryData"] {
                    if let Some(Value::Object(m)) = obj.get_mut(map) {
                        sort_map(m);
                    }
                }
            }
            "Namespace" => table.phase = Some(default_namespace(&mut obj, &mut meta, &name)),
            _ => {}
        }
    }

    let meta = ordered(meta, META_ORDER);
    let creation_timestamp = meta
        .get("creationTimestamp")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let meta_bytes = json::to_vec(&Value::Object(meta.clone()));
    let item = if rt.custom {
        let mut full = Map::new();
        full.insert("apiVersion".into(), api_version);
        full.insert("kind".into(), kind);
        full.insert("metadata".into(), Value::Object(meta));
        full.extend(obj);
        json::to_vec(&json::sorted(Value::Object(full)))
    } else {
        let mut out = Map::new();
        out.insert("metadata".into(), Value::Object(meta));
        out.extend(ordered(obj, kind_order(&rt.kind)));
        json::to_vec(&Value::Object(out))
    };
    Ok(Stored {
        name,
        namespace,
        resource_version: rv,
        creation_timestamp,
        item,
        meta: meta_bytes,
        table,
    })
}

/// `map` with the keys of `order` first, in that order, then the others as they were.
fn ordered(mut map: Map<String, Value>, order: &[&str]) -> Map<String, Value> {
    let mut out = Map::new();
    for k in order {
        if let Some(v) = map.remove(*k) {
            out.insert((*k).to_string(), v);
        }
    }
    out.extend(map);
    out
}

/// Sorts a Go `map[string]...` field's keys.
fn sort_map(m: &mut Map<String, Value>) {
    let mut entries: Vec<(String, Value)> = std::mem::take(m).into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    m.extend(entries);
}

/// Secret defaulting: `stringData` merged into `data` (base64), `type: Opaque`.
fn default_secret(obj: &mut Map<String, Value>) -> (String, usize) {
    use base64::Engine;
    if let Some(Value::Object(string_data)) = obj.remove("stringData") {
        let data = obj
            .entry("data")
            .or_insert_with(|| Value::Object(Map::new()));
        if !data.is_object() {
            *data = Value::Object(Map::new());
        }
        if let Value::Object(data) = data {
            for (k, v) in string_data {
                let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
                data.insert(k, Value::String(encoded));
            }
        }
    }
    let mut data_len = 0;
    match obj.get_mut("data") {
        Some(Value::Object(data)) => {
            sort_map(data);
            data_len = data.len();
        }
        Some(Value::Null) => {
            obj.remove("data");
        }
        _ => {}
    }
    let ty = match obj.get("type").and_then(Value::as_str) {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => {
            obj.insert("type".into(), Value::String("Opaque".into()));
            "Opaque".to_string()
        }
    };
    (ty, data_len)
}

/// Namespace defaulting; returns the phase.
fn default_namespace(
    obj: &mut Map<String, Value>,
    meta: &mut Map<String, Value>,
    name: &str,
) -> String {
    let labels = meta
        .entry("labels")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(labels) = labels {
        labels.insert(
            "kubernetes.io/metadata.name".into(),
            Value::String(name.to_string()),
        );
        sort_map(labels);
    }
    let spec = obj
        .entry("spec")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(spec) = spec {
        spec.entry("finalizers")
            .or_insert_with(|| serde_json::json!(["kubernetes"]));
    }
    let status = obj
        .entry("status")
        .or_insert_with(|| Value::Object(Map::new()));
    let mut phase = "Active".to_string();
    if let Value::Object(status) = status {
        let p = status
            .entry("phase")
            .or_insert_with(|| Value::String("Active".into()));
        if let Some(p) = p.as_str() {
            phase = p.to_string();
        }
    }
    phase
}

fn digest(text: &str) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, text.as_bytes())
        .as_ref()
        .to_vec()
}

/// A deterministic version-4-shaped UUID for an object.
pub(crate) fn uid(rt: &ResourceType, namespace: &str, name: &str) -> String {
    let mut b = digest(&format!(
        "uid\0{}\0{}\0{namespace}\0{name}",
        rt.group, rt.kind
    ));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b[..16].iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The 5-character suffix of a generated name (alphabet of `utilrand.String`).
fn name_suffix(rt: &ResourceType, namespace: &str, prefix: &str, seq: u64) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    digest(&format!(
        "name\0{}\0{}\0{namespace}\0{prefix}\0{seq}",
        rt.group, rt.kind
    ))
    .iter()
    .take(5)
    .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
    .collect()
}
