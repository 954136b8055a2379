//! The `admission.k8s.io/v1` AdmissionReview wire format: decoding a request (strictly: a
//! request kubeward cannot read is an error with a clear message, never a guess) and encoding
//! the response in the same version, with the request's `uid`.
//!
//! `request.object` and `request.oldObject` are decoded straight into kubeward's [`Node`] tree
//! (the rules' input), without an intermediate `serde_json::Value`.

use kubeward_core::{Entry, Node, Pos, Str, Value};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The only version kubeward speaks (the webhook configuration asks for it).
pub const API_VERSION: &str = "admission.k8s.io/v1";
pub const KIND: &str = "AdmissionReview";

/// What is being done to the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Create,
    Update,
    Delete,
    Connect,
}

impl Operation {
    pub const ALL: [Operation; 4] = [
        Operation::Create,
        Operation::Update,
        Operation::Delete,
        Operation::Connect,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
            Operation::Connect => "CONNECT",
        }
    }
}

/// `group`, `version`, `kind` of the request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct GroupVersionKind {
    pub group: String,
    pub version: String,
    pub kind: String,
}

/// One decoded AdmissionReview request.
#[derive(Debug, Clone)]
pub struct Review {
    pub uid: String,
    pub kind: GroupVersionKind,
    pub sub_resource: String,
    pub name: String,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    pub operation: Operation,
    pub username: String,
    pub groups: Vec<String>,
    /// The object (absent on DELETE).
    pub object: Option<Node>,
    /// The object before an UPDATE (or the deleted one).
    pub old_object: Option<Node>,
    pub dry_run: bool,
}

impl Review {
    /// `Deployment shop/web`, `ClusterRole admin`.
    pub fn describe(&self) -> String {
        let name = if self.name.is_empty() {
            "(generated name)"
        } else {
            &self.name
        };
        if self.namespace.is_empty() {
            format!("{} {name}", self.kind.kind)
        } else {
            format!("{} {}/{name}", self.kind.kind, self.namespace)
        }
    }
}

/// Why a request body is not an AdmissionReview kubeward can answer. Each is answered with
/// HTTP 400 and this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the body is not a valid AdmissionReview: {0}")]
    Json(String),
    #[error(
        "apiVersion is {0}; kubeward answers {API_VERSION} only (set admissionReviewVersions: [\"v1\"] in the webhook configuration)"
    )]
    ApiVersion(String),
    #[error("kind is {0}; expected {KIND}")]
    Kind(String),
    #[error("the AdmissionReview has no `request`")]
    NoRequest,
    #[error("request.uid is missing or empty: the response could not be matched to the request")]
    NoUid,
    #[error("request.operation is {0}; expected CREATE, UPDATE, DELETE or CONNECT")]
    Operation(String),
    #[error("request.object is missing on {0}: there is nothing to judge")]
    NoObject(&'static str),
    #[error("request.{0} is not a JSON object")]
    NotAnObject(&'static str),
}

fn quoted(s: Option<&str>) -> String {
    match s {
        Some(s) => format!("`{s}`"),
        None => "missing".to_string(),
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    kind: Option<String>,
    request: Option<RawRequest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRequest {
    uid: Option<String>,
    #[serde(default)]
    kind: Option<GroupVersionKind>,
    sub_resource: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
    operation: Option<String>,
    user_info: Option<UserInfo>,
    object: Option<ObjectNode>,
    old_object: Option<ObjectNode>,
    dry_run: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UserInfo {
    username: Option<String>,
    groups: Option<Vec<String>>,
}

/// Decodes an AdmissionReview request body.
pub fn decode(body: &[u8]) -> Result<Review, DecodeError> {
    let env: Envelope =
        serde_json::from_slice(body).map_err(|e| DecodeError::Json(e.to_string()))?;
    if env.api_version.as_deref() != Some(API_VERSION) {
        return Err(DecodeError::ApiVersion(quoted(env.api_version.as_deref())));
    }
    if env.kind.as_deref() != Some(KIND) {
        return Err(DecodeError::Kind(quoted(env.kind.as_deref())));
    }
    let r = env.request.ok_or(DecodeError::NoRequest)?;
    let uid = r.uid.filter(|u| !u.is_empty()).ok_or(DecodeError::NoUid)?;
    let operation = match r.operation.as_deref() {
        Some("CREATE") => Operation::Create,
        Some("UPDATE") => Operation::Update,
        Some("DELETE") => Operation::Delete,
        Some("CONNECT") => Operation::Connect,
        other => return Err(DecodeError::Operation(quoted(other))),
    };
    let object = r.object.map(|n| n.0).filter(|n| !n.is_null());
    let old_object = r.old_object.map(|n| n.0).filter(|n| !n.is_null());
    for (field, node) in [("object", &object), ("oldObject", &old_object)] {
        if node.as_ref().is_some_and(|n| !n.is_map()) {
            return Err(DecodeError::NotAnObject(field));
        }
    }
    if object.is_none() && matches!(operation, Operation::Create | Operation::Update) {
        return Err(DecodeError::NoObject(operation.as_str()));
    }
    let user = r.user_info.unwrap_or_default();
    Ok(Review {
        uid,
        kind: r.kind.unwrap_or_default(),
        sub_resource: r.sub_resource.unwrap_or_default(),
        name: r.name.unwrap_or_default(),
        namespace: r.namespace.unwrap_or_default(),
        operation,
        username: user.username.unwrap_or_default(),
        groups: user.groups.unwrap_or_default(),
        object,
        old_object,
        dry_run: r.dry_run.unwrap_or(false),
    })
}

/// A JSON value decoded into a [`Node`] (positions unknown).
#[derive(Debug)]
pub struct JsonNode(pub Node);

impl<'de> Deserialize<'de> for JsonNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor(Depth::Other)).map(JsonNode)
    }
}

/// A Kubernetes object decoded into a [`Node`], without `metadata.managedFields`: no rule
/// reads it, and it is often the largest part of what the API server sends.
#[derive(Debug)]
pub struct ObjectNode(pub Node);

impl<'de> Deserialize<'de> for ObjectNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor(Depth::Root)).map(ObjectNode)
    }
}

/// Where in an object a value is, for what is skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Depth {
    Root,
    Metadata,
    Other,
}

struct NodeVisitor(Depth);

impl<'de> de::DeserializeSeed<'de> for NodeVisitor {
    type Value = Node;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(self)
    }
}

fn leaf(value: Value) -> Node {
    Node::new(Pos::UNKNOWN, value)
}

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(leaf(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(leaf(Value::Int(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(leaf(match i64::try_from(v) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Float(v as f64),
        }))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(leaf(Value::Float(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(leaf(Value::Str(Str::from(v))))
    }

    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(leaf(Value::Str(Str::from(v))))
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(leaf(Value::Null))
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(leaf(Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(n) = seq.next_element_seed(NodeVisitor(Depth::Other))? {
            items.push(n);
        }
        Ok(leaf(Value::Seq(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries: Vec<Entry> = Vec::new();
        while let Some(key) = map.next_key::<Str>()? {
            let depth = match (self.0, key.as_str()) {
                (Depth::Metadata, "managedFields") => {
                    map.next_value::<de::IgnoredAny>()?;
                    continue;
                }
                (Depth::Root, "metadata") => Depth::Metadata,
                _ => Depth::Other,
            };
            let value = map.next_value_seed(NodeVisitor(depth))?;
            entries.push(Entry {
                key,
                key_pos: Pos::UNKNOWN,
                value,
            });
        }
        if let Some(dup) = duplicate_key(&entries) {
            return Err(de::Error::custom(format_args!("duplicate key `{dup}`")));
        }
        Ok(leaf(Value::Map(entries)))
    }
}

/// A key that occurs twice in a mapping (the API server never sends one; a request with one
/// is refused rather than read one way while Kubernetes reads it another).
fn duplicate_key(entries: &[Entry]) -> Option<&str> {
    if entries.len() <= 16 {
        for (i, a) in entries.iter().enumerate() {
            if entries[..i].iter().any(|b| b.key == a.key) {
                return Some(&a.key);
            }
        }
        return None;
    }
    let mut keys: Vec<&str> = entries.iter().map(|e| e.key.as_str()).collect();
    keys.sort_unstable();
    keys.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
}

/// The `status` of a denial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
}

/// An AdmissionReview response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Response {
    pub uid: String,
    pub allowed: bool,
    pub status: Option<Status>,
    pub warnings: Vec<String>,
    /// Keys without a prefix: the API server prefixes them with the webhook's name.
    pub audit_annotations: Vec<(String, String)>,
}

impl Response {
    /// The AdmissionReview carrying this response, as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        let mut response = serde_json::Map::new();
        response.insert("uid".into(), self.uid.clone().into());
        response.insert("allowed".into(), self.allowed.into());
        if let Some(s) = &self.status {
            response.insert(
                "status".into(),
                serde_json::json!({
                    "metadata": {},
                    "status": "Failure",
                    "message": s.message,
                    "reason": s.reason,
                    "code": s.code,
                }),
            );
        }
        if !self.warnings.is_empty() {
            response.insert("warnings".into(), self.warnings.clone().into());
        }
        if !self.audit_annotations.is_empty() {
            let map: serde_json::Map<String, serde_json::Value> = self
                .audit_annotations
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::from(v.as_str())))
                .collect();
            response.insert("auditAnnotations".into(), map.into());
        }
        serde_json::json!({
            "apiVersion": API_VERSION,
            "kind": KIND,
            "response": response,
        })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&self.to_json()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(request: &str) -> String {
        format!(
            r#"{{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{request}}}"#
        )
    }

    #[test]
    fn decodes_a_request() {
        let body = review(
            r#"{"uid":"u-1","kind":{"group":"apps","version":"v1","kind":"Deployment"},
               "name":"web","namespace":"shop","operation":"CREATE",
               "userInfo":{"username":"alice","groups":["dev","system:authenticated"]},
               "object":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
                         "spec":{"replicas":2,"x":1.5,"big":18446744073709551615,"n":null}},
               "oldObject":null,"dryRun":true,"options":{"kind":"CreateOptions"}}"#,
        );
        let r = decode(body.as_bytes()).unwrap();
        assert_eq!(r.uid, "u-1");
        assert_eq!(r.kind.kind, "Deployment");
        assert_eq!(r.operation, Operation::Create);
        assert_eq!(r.groups, ["dev", "system:authenticated"]);
        assert!(r.dry_run && r.old_object.is_none());
        let o = r.object.as_ref().unwrap();
        let spec = o.get("spec").unwrap();
        assert_eq!(spec.get("replicas").and_then(Node::as_i64), Some(2));
        assert!(matches!(spec.get("x").unwrap().value, Value::Float(f) if f == 1.5));
        assert!(matches!(spec.get("big").unwrap().value, Value::Float(_)));
        assert!(spec.get("n").is_none() && spec.entry("n").is_some());
        assert_eq!(r.describe(), "Deployment shop/web");
    }

    #[test]
    fn bad_requests_have_clear_messages() {
        let e = |body: &str| decode(body.as_bytes()).unwrap_err().to_string();
        assert!(
            e("{not json").starts_with(
                "the body is not a valid AdmissionReview: key must be a string at line 1 column 2"
            ),
            "{}",
            e("{not json")
        );
        assert!(e("").contains("EOF while parsing"));
        assert!(e(r#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}"#)
            .starts_with("apiVersion is `admission.k8s.io/v1beta1`; kubeward answers admission.k8s.io/v1 only"));
        assert!(e(r#"{"kind":"AdmissionReview"}"#).starts_with("apiVersion is missing"));
        assert_eq!(
            e(r#"{"apiVersion":"admission.k8s.io/v1","kind":"Pod"}"#),
            "kind is `Pod`; expected AdmissionReview"
        );
        assert_eq!(
            e(r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#),
            "the AdmissionReview has no `request`"
        );
        assert!(
            e(&review(r#"{"operation":"CREATE","object":{}}"#))
                .starts_with("request.uid is missing")
        );
        assert!(
            e(&review(r#"{"uid":"","operation":"CREATE","object":{}}"#))
                .starts_with("request.uid is missing")
        );
        assert!(
            e(&review(r#"{"uid":5}"#)).contains("invalid type: integer `5`, expected a string")
        );
        assert_eq!(
            e(&review(r#"{"uid":"x","operation":"PATCH"}"#)),
            "request.operation is `PATCH`; expected CREATE, UPDATE, DELETE or CONNECT"
        );
        assert_eq!(
            e(&review(r#"{"uid":"x","operation":"CREATE"}"#)),
            "request.object is missing on CREATE: there is nothing to judge"
        );
        assert_eq!(
            e(&review(r#"{"uid":"x","operation":"CREATE","object":[1]}"#)),
            "request.object is not a JSON object"
        );
        assert!(
            e(&review(
                r#"{"uid":"x","operation":"CREATE","object":{"a":1,"a":2}}"#
            ))
            .contains("duplicate key `a`")
        );
        // DELETE needs no object.
        assert!(decode(review(r#"{"uid":"x","operation":"DELETE"}"#).as_bytes()).is_ok());
    }

    #[test]
    fn managed_fields_are_not_kept() {
        let body = review(
            r#"{"uid":"x","operation":"CREATE","object":{"metadata":{"name":"a","managedFields":[{"manager":"kubectl","fieldsV1":{"f:spec":{}}}],"labels":{"managedFields":"kept"}},"spec":{"managedFields":1}}}"#,
        );
        let o = decode(body.as_bytes()).unwrap().object.unwrap();
        let meta = o.get("metadata").unwrap();
        assert!(meta.entry("managedFields").is_none());
        assert!(meta.path(&["labels", "managedFields"]).is_some());
        assert!(o.path(&["spec", "managedFields"]).is_some());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!(
            r#"{{"uid":"x","operation":"CREATE","object":{}{}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let err = decode(review(&deep).as_bytes()).unwrap_err().to_string();
        assert!(err.contains("recursion limit exceeded"), "{err}");
    }

    #[test]
    fn many_keys_duplicates_are_found() {
        let mut keys: Vec<String> = (0..100).map(|i| format!("\"k{i}\":{i}")).collect();
        keys.push("\"k7\":0".into());
        let body = review(&format!(
            r#"{{"uid":"x","operation":"CREATE","object":{{{}}}}}"#,
            keys.join(",")
        ));
        assert!(
            decode(body.as_bytes())
                .unwrap_err()
                .to_string()
                .contains("duplicate key `k7`")
        );
    }

    #[test]
    fn response_in_the_same_version_with_the_uid() {
        let r = Response {
            uid: "abc".into(),
            allowed: false,
            status: Some(Status {
                code: 403,
                reason: "Forbidden",
                message: "no".into(),
            }),
            warnings: vec!["w".into()],
            audit_annotations: vec![("violations".into(), "[]".into())],
        };
        let v: serde_json::Value = serde_json::from_slice(&r.to_bytes()).unwrap();
        assert_eq!(v["apiVersion"], API_VERSION);
        assert_eq!(v["kind"], KIND);
        assert_eq!(v["response"]["uid"], "abc");
        assert_eq!(v["response"]["allowed"], false);
        assert_eq!(v["response"]["status"]["code"], 403);
        assert_eq!(v["response"]["warnings"][0], "w");
        assert_eq!(v["response"]["auditAnnotations"]["violations"], "[]");
        let ok = Response {
            uid: "u".into(),
            allowed: true,
            ..Response::default()
        };
        let v = ok.to_json();
        assert!(v["response"].get("status").is_none() && v["response"].get("warnings").is_none());
    }
}
