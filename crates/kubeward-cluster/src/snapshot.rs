//! The `Cluster` object and the snapshot file.
//!
//! A snapshot is one JSON document, `kubeward.io/v1alpha1` `Snapshot`, whose `items` are the
//! `Cluster` object and then every collected object, pretty-printed (one field per line, so two
//! snapshots diff well and findings point at a line). Secret values are never written: a
//! Secret keeps its metadata and type only, even when values were read for the scan.
//! `kubeward scan` reads it like any manifest file (it is a list), with the same findings.

use crate::Collection;
use kubeward_core::cluster::NotVisible;
use kubeward_core::kinds::KUBEWARD_API_VERSION;
use serde_json::{Map, Value, json};
use std::io::{self, Write};

/// The `apiVersion` of snapshot documents (the version of their format).
pub const SNAPSHOT_API_VERSION: &str = KUBEWARD_API_VERSION;

/// What the `Cluster` object records.
pub(crate) struct ClusterFacts<'a> {
    pub name: &'a str,
    pub uid: Option<&'a str>,
    pub server: &'a str,
    pub namespaces: &'a [String],
    pub version: Option<&'a Value>,
    pub anonymous: &'a [(String, u16)],
    pub not_visible: &'a [NotVisible],
    pub not_served: &'a [String],
    pub requests: u64,
    pub secret_values: bool,
}

/// The `Cluster` object as compact JSON.
pub(crate) fn cluster_object(f: &ClusterFacts) -> Vec<u8> {
    let mut spec = Map::new();
    spec.insert("server".into(), f.server.into());
    if !f.namespaces.is_empty() {
        spec.insert("namespaces".into(), json!(f.namespaces));
    }
    let mut status = Map::new();
    status.insert("collectedAt".into(), now_rfc3339().into());
    if let Some(v) = f.version {
        let mut version = Map::new();
        for key in ["major", "minor", "gitVersion", "platform"] {
            if let Some(x) = v.get(key).and_then(Value::as_str) {
                version.insert(key.into(), x.into());
            }
        }
        status.insert("version".into(), Value::Object(version));
    }
    if !f.anonymous.is_empty() {
        let probes: Vec<Value> = f
            .anonymous
            .iter()
            .map(|(path, status)| json!({"path": path, "status": status}))
            .collect();
        status.insert("anonymous".into(), Value::Array(probes));
    }
    status.insert("notVisible".into(), json!(f.not_visible));
    if !f.not_served.is_empty() {
        status.insert("notServed".into(), json!(f.not_served));
    }
    status.insert("requests".into(), f.requests.into());
    status.insert("secretValues".into(), f.secret_values.into());
    let mut metadata = Map::new();
    metadata.insert("name".into(), f.name.into());
    if let Some(uid) = f.uid {
        metadata.insert("uid".into(), uid.into());
    }
    let object = json!({
        "apiVersion": KUBEWARD_API_VERSION,
        "kind": "Cluster",
        "metadata": metadata,
        "spec": spec,
        "status": status,
    });
    serde_json::to_vec(&object).unwrap_or_default()
}

/// Writes `collection` as a snapshot document.
pub fn write_snapshot(collection: &Collection, out: &mut dyn Write) -> io::Result<()> {
    let collected_at = serde_json::from_slice::<Value>(&collection.cluster)
        .ok()
        .and_then(|c| {
            c.pointer("/status/collectedAt")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_default();
    let header = json!({
        "name": collection.name,
        "creationTimestamp": collected_at,
    });
    writeln!(out, "{{")?;
    writeln!(out, "  \"apiVersion\": {},", json!(SNAPSHOT_API_VERSION))?;
    writeln!(out, "  \"kind\": \"Snapshot\",")?;
    writeln!(out, "  \"metadata\": {},", header)?;
    write!(out, "  \"items\": [")?;
    let all =
        std::iter::once(&collection.cluster[..]).chain(collection.items.iter().map(|b| &b[..]));
    for (i, bytes) in all.enumerate() {
        let Ok(mut value) = serde_json::from_slice::<Value>(bytes) else {
            continue;
        };
        strip_secret_values(&mut value);
        let text = serde_json::to_string_pretty(&value).map_err(io::Error::other)?;
        if i > 0 {
            write!(out, ",")?;
        }
        write!(out, "\n    {}", text.replace('\n', "\n    "))?;
    }
    writeln!(out, "\n  ]")?;
    writeln!(out, "}}")?;
    Ok(())
}

/// A Secret keeps metadata and type only.
fn strip_secret_values(value: &mut Value) {
    let is_secret = value.get("kind").and_then(Value::as_str) == Some("Secret")
        && value.get("apiVersion").and_then(Value::as_str) == Some("v1");
    if let (true, Value::Object(fields)) = (is_secret, value) {
        fields.remove("data");
        fields.remove("stringData");
        if let Some(Value::Object(annotations)) = fields
            .get_mut("metadata")
            .and_then(|m| m.get_mut("annotations"))
        {
            annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
        }
    }
}

/// The current time as `2026-11-23T21:00:00Z`.
pub(crate) fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339(secs)
}

fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_467_600), "2026-11-23T21:00:00Z");
    }

    #[test]
    fn secrets_lose_values_and_last_applied() {
        let mut v = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s", "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"p\":\"aHVudGVyMg==\"}}",
                "team": "a"}},
            "data": {"p": "aHVudGVyMg=="}, "stringData": {"q": "hunter2"}, "type": "Opaque"});
        strip_secret_values(&mut v);
        let text = v.to_string();
        assert!(!text.contains("aHVudGVyMg"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("\"team\""));
        assert!(text.contains("Opaque"));
    }
}
