//! The audit event model (`audit.k8s.io/v1` `Event`, and the older v1beta1 shape).
//!
//! Strings borrow from the parsed text unless they contained escapes (`Cow`); the request and
//! response bodies stay raw JSON (`&RawValue`) until a detection asks for them, so a
//! Metadata-level event costs little more than the scan of its bytes.

use crate::time::{self, Micros};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use std::borrow::Cow;

/// The request stage an event was written at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    RequestReceived,
    ResponseStarted,
    ResponseComplete,
    Panic,
    /// No stage field (older or reconstructed events): treated as the request's only event.
    Unknown,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::RequestReceived => "RequestReceived",
            Stage::ResponseStarted => "ResponseStarted",
            Stage::ResponseComplete => "ResponseComplete",
            Stage::Panic => "Panic",
            Stage::Unknown => "",
        }
    }
}

/// A string that borrows from the input when it has no escapes. (serde's own `Cow<str>`
/// always allocates inside an `Option` or a `Vec`.)
struct BorrowedStr<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for BorrowedStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = BorrowedStr<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                v: &'de str,
            ) -> Result<Self::Value, E> {
                Ok(BorrowedStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(BorrowedStr(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(BorrowedStr(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

fn opt_str<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'a, str>>, D::Error> {
    Ok(Option::<BorrowedStr<'a>>::deserialize(d)?.map(|s| s.0))
}

/// A string, or `None` for any other JSON type: for the fields whose name a wrapper shares
/// with another meaning (`timestamp` is milliseconds since the epoch in CloudWatch).
fn lenient_str<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'a, str>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either<'a> {
        #[serde(borrow)]
        S(BorrowedStr<'a>),
        Other(serde::de::IgnoredAny),
    }
    Ok(match Option::<Either<'a>>::deserialize(d)? {
        Some(Either::S(s)) => Some(s.0),
        _ => None,
    })
}

fn vec_str<'de: 'a, 'a, D: Deserializer<'de>>(d: D) -> Result<Vec<Cow<'a, str>>, D::Error> {
    Ok(Option::<Vec<BorrowedStr<'a>>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .map(|s| s.0)
        .collect())
}

fn nullable_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// `user` and `impersonatedUser`.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct UserInfo<'a> {
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub username: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "vec_str")]
    pub groups: Vec<Cow<'a, str>>,
}

impl UserInfo<'_> {
    pub fn name(&self) -> &str {
        self.username.as_deref().unwrap_or("")
    }

    pub fn in_group(&self, group: &str) -> bool {
        self.groups.iter().any(|g| g == group)
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef<'a> {
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub resource: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub namespace: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub name: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub api_group: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub api_version: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub subresource: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct ResponseStatus<'a> {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub status: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub reason: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct Annotations<'a> {
    #[serde(
        borrow,
        default,
        rename = "authorization.k8s.io/decision",
        deserialize_with = "opt_str"
    )]
    pub decision: Option<Cow<'a, str>>,
    /// Raw JSON string: RBAC reasons are full of escaped quotes, so they are only decoded when
    /// someone reads them.
    #[serde(borrow, default, rename = "authorization.k8s.io/reason")]
    pub reason: Option<&'a RawValue>,
    #[serde(
        borrow,
        default,
        rename = "audit.k8s.io/truncated",
        deserialize_with = "opt_str"
    )]
    pub truncated: Option<Cow<'a, str>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LegacyMetadata<'a> {
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub creation_timestamp: Option<Cow<'a, str>>,
}

/// One audit event. Also carries the fields of the wrappers it may arrive in (EventList,
/// CloudWatch, GKE LogEntry, AKS diagnostic record), so one parse recognises every shape;
/// those are `pub(crate)` and empty on a plain event.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event<'a> {
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub kind: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub api_version: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub level: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "auditID", deserialize_with = "opt_str")]
    pub audit_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub stage: Option<Cow<'a, str>>,
    #[serde(borrow, default, rename = "requestURI", deserialize_with = "opt_str")]
    pub request_uri: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub verb: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub user: Option<UserInfo<'a>>,
    #[serde(borrow, default)]
    pub impersonated_user: Option<UserInfo<'a>>,
    #[serde(borrow, default, rename = "sourceIPs", deserialize_with = "vec_str")]
    pub source_ips: Vec<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub user_agent: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub object_ref: Option<ObjectRef<'a>>,
    #[serde(borrow, default)]
    pub response_status: Option<ResponseStatus<'a>>,
    /// The request body (Request level and above). For a patch it is the patch.
    #[serde(borrow, default)]
    pub request_object: Option<&'a RawValue>,
    /// The response body (RequestResponse level).
    #[serde(borrow, default)]
    pub response_object: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub request_received_timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub stage_timestamp: Option<Cow<'a, str>>,
    /// v1beta1 and older: the event time.
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub timestamp: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub metadata: Option<LegacyMetadata<'a>>,
    #[serde(borrow, default)]
    pub annotations: Option<Annotations<'a>>,

    // Wrapper fields (see `wrappers`).
    #[serde(borrow, default)]
    pub(crate) items: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) message: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) log_events: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) events: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) records: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) proto_payload: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(crate) properties: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(crate) operation_name: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(crate) resource_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(crate) result_type: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(crate) caller_ip_address: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(crate) time: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "opt_str")]
    pub(crate) insert_id: Option<Cow<'a, str>>,
}

fn s<'x>(v: &'x Option<Cow<'_, str>>) -> &'x str {
    v.as_deref().unwrap_or("")
}

impl<'a> Event<'a> {
    /// Parses one event (or wrapper) from JSON text.
    pub fn from_json(text: &'a str) -> serde_json::Result<Event<'a>> {
        serde_json::from_str(text)
    }

    /// Does this look like an audit event at all (and not a wrapper or something else)?
    pub fn looks_like_event(&self) -> bool {
        self.audit_id.is_some()
            || self.verb.is_some()
            || self.request_uri.is_some()
            || self.object_ref.is_some()
            || self.user.is_some()
            || self.stage.is_some()
    }

    pub fn stage(&self) -> Stage {
        match self.stage.as_deref() {
            Some("ResponseComplete") => Stage::ResponseComplete,
            Some("ResponseStarted") => Stage::ResponseStarted,
            Some("RequestReceived") => Stage::RequestReceived,
            Some("Panic") => Stage::Panic,
            _ => Stage::Unknown,
        }
    }

    pub fn audit_id(&self) -> &str {
        s(&self.audit_id)
    }

    pub fn verb(&self) -> &str {
        s(&self.verb)
    }

    pub fn request_uri(&self) -> &str {
        s(&self.request_uri)
    }

    /// The request path without the query string.
    pub fn path(&self) -> &str {
        let u = self.request_uri();
        u.split_once('?').map_or(u, |(p, _)| p)
    }

    pub fn user_agent(&self) -> &str {
        s(&self.user_agent)
    }

    /// The authenticated user's name ("" when the event has none).
    pub fn username(&self) -> &str {
        self.user.as_ref().map_or("", UserInfo::name)
    }

    /// The identity the request acted as: the impersonated user when there is one.
    pub fn effective_user(&self) -> Option<&UserInfo<'a>> {
        self.impersonated_user.as_ref().or(self.user.as_ref())
    }

    pub fn effective_username(&self) -> &str {
        self.effective_user().map_or("", UserInfo::name)
    }

    pub fn impersonated(&self) -> Option<&UserInfo<'a>> {
        self.impersonated_user
            .as_ref()
            .filter(|u| u.username.is_some() || !u.groups.is_empty())
    }

    fn oref(&self) -> Option<&ObjectRef<'a>> {
        self.object_ref.as_ref()
    }

    pub fn resource(&self) -> &str {
        self.oref().map_or("", |o| s(&o.resource))
    }

    pub fn subresource(&self) -> &str {
        self.oref().map_or("", |o| s(&o.subresource))
    }

    pub fn namespace(&self) -> &str {
        self.oref().map_or("", |o| s(&o.namespace))
    }

    pub fn name(&self) -> &str {
        self.oref().map_or("", |o| s(&o.name))
    }

    pub fn api_group(&self) -> &str {
        self.oref().map_or("", |o| s(&o.api_group))
    }

    /// A request for an API resource (as opposed to `/healthz`, `/version`, discovery...).
    pub fn is_resource_request(&self) -> bool {
        !self.resource().is_empty()
    }

    /// The HTTP status code, when the event has one.
    pub fn code(&self) -> Option<u16> {
        self.response_status
            .as_ref()
            .and_then(|r| r.code)
            .and_then(|c| u16::try_from(c).ok())
            .filter(|c| (100..600).contains(c))
    }

    /// `authorization.k8s.io/decision`: `allow` or `forbid`.
    pub fn decision(&self) -> Option<&str> {
        self.annotations
            .as_ref()
            .and_then(|a| a.decision.as_deref())
    }

    /// `authorization.k8s.io/reason`, decoded.
    pub fn authz_reason(&self) -> Option<String> {
        let raw = self.annotations.as_ref()?.reason?;
        serde_json::from_str::<String>(raw.get()).ok()
    }

    /// Was the request refused by authentication or authorization (401/403, or a `forbid`
    /// decision)?
    pub fn denied(&self) -> bool {
        matches!(self.code(), Some(401 | 403)) || self.decision() == Some("forbid")
    }

    /// Did the request succeed? An event without a status code (RequestReceived, or records that
    /// do not carry one) counts as successful unless it was denied.
    pub fn succeeded(&self) -> bool {
        match self.code() {
            Some(c) => (100..400).contains(&c),
            None => !self.denied(),
        }
    }

    /// The event's time: stageTimestamp, else requestReceivedTimestamp, else the v1beta1
    /// `timestamp` / `metadata.creationTimestamp`.
    pub fn time(&self) -> Option<Micros> {
        [
            &self.stage_timestamp,
            &self.request_received_timestamp,
            &self.timestamp,
        ]
        .into_iter()
        .find_map(|t| t.as_deref().and_then(time::parse))
        .or_else(|| {
            self.metadata
                .as_ref()
                .and_then(|m| m.creation_timestamp.as_deref())
                .and_then(time::parse)
        })
    }

    /// The decoded values of a query parameter of `requestURI`, in order.
    pub fn query_values(&self, key: &str) -> Vec<String> {
        query_values(self.request_uri(), key)
    }

    /// The command of an exec request: the `command=` parameters of `requestURI`, or
    /// `requestObject.command` (GKE and AKS record the exec options as the request body).
    pub fn exec_command(&self) -> Vec<String> {
        let from_uri = self.query_values("command");
        if !from_uri.is_empty() {
            return from_uri;
        }
        #[derive(Deserialize)]
        struct ExecOptions {
            #[serde(default, deserialize_with = "nullable_vec")]
            command: Vec<String>,
        }
        self.request_object
            .and_then(|raw| serde_json::from_str::<ExecOptions>(raw.get()).ok())
            .map(|o| o.command)
            .unwrap_or_default()
    }

    /// The request body parsed, when there is one.
    pub fn request_body(&self) -> Option<serde_json::Value> {
        self.request_object
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
            .filter(|v: &serde_json::Value| !v.is_null())
    }

    /// The response body parsed, when there is one.
    pub fn response_body(&self) -> Option<serde_json::Value> {
        self.response_object
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
            .filter(|v: &serde_json::Value| !v.is_null())
    }

    /// Fills in what older or reconstructed events leave out: an `objectRef` derived from the
    /// request path when the event has none.
    pub(crate) fn normalize(&mut self) {
        if self.object_ref.is_none()
            && let Some(uri) = self.request_uri.as_deref()
            && let Some(parsed) = parse_api_path(uri.split_once('?').map_or(uri, |(p, _)| p))
        {
            self.object_ref = Some(parsed.into_object_ref());
        }
    }
}

/// The decoded values of `key` in the query string of `uri` (`+` is a space, `%xx` escapes).
pub fn query_values(uri: &str, key: &str) -> Vec<String> {
    let Some((_, query)) = uri.split_once('?') else {
        return Vec::new();
    };
    query
        .split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .filter(|(k, _)| percent_decode(k) == key)
        .map(|(_, v)| percent_decode(v))
        .collect()
}

/// Decodes `%xx` escapes and `+` (a space in a query string); invalid escapes stay as written.
pub fn percent_decode(s: &str) -> String {
    if !s.bytes().any(|b| b == b'%' || b == b'+') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                    }
                    _ => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The parts of an API path (`/api/v1/namespaces/ns/pods/name/exec`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ApiPath {
    pub group: String,
    pub version: String,
    pub namespace: String,
    pub resource: String,
    pub name: String,
    pub subresource: String,
}

impl ApiPath {
    pub(crate) fn into_object_ref(self) -> ObjectRef<'static> {
        let opt = |s: String| (!s.is_empty()).then_some(Cow::Owned(s));
        ObjectRef {
            resource: opt(self.resource),
            namespace: opt(self.namespace),
            name: opt(self.name),
            api_group: opt(self.group),
            api_version: opt(self.version),
            subresource: opt(self.subresource),
        }
    }
}

/// Parses an API resource path: `/api/v1/...` or `/apis/<group>/<version>/...`. `None` for
/// non-resource paths (`/healthz`) and discovery (`/api`, `/apis/apps/v1`).
pub fn parse_api_path(path: &str) -> Option<ApiPath> {
    let mut segs = path.trim_matches('/').split('/');
    let (group, version) = match segs.next()? {
        "api" => (String::new(), segs.next()?.to_string()),
        "apis" => (segs.next()?.to_string(), segs.next()?.to_string()),
        _ => return None,
    };
    let rest: Vec<&str> = segs.filter(|s| !s.is_empty()).collect();
    resource_parts(group, version, &rest)
}

/// The resource part of a path after `<group>/<version>`: `namespaces/ns/pods/name/sub` or
/// `pods/name` or `namespaces/name`.
pub(crate) fn resource_parts(group: String, version: String, rest: &[&str]) -> Option<ApiPath> {
    let mut rest = rest;
    if rest.first() == Some(&"watch") {
        rest = &rest[1..];
    }
    let decode = |s: &str| percent_decode(s);
    let mut p = ApiPath {
        group,
        version,
        ..ApiPath::default()
    };
    match rest {
        [] => return None,
        ["namespaces", ns, sub @ ("status" | "finalize")] => {
            p.resource = "namespaces".into();
            p.name = decode(ns);
            p.namespace = decode(ns);
            p.subresource = (*sub).to_string();
        }
        ["namespaces", ns, tail @ ..] if !tail.is_empty() => {
            p.namespace = decode(ns);
            fill(&mut p, tail);
        }
        ["namespaces", ns] => {
            p.resource = "namespaces".into();
            p.name = decode(ns);
            p.namespace = decode(ns);
        }
        tail => fill(&mut p, tail),
    }
    Some(p)
}

fn fill(p: &mut ApiPath, tail: &[&str]) {
    if let Some(r) = tail.first() {
        p.resource = percent_decode(r);
    }
    if let Some(n) = tail.get(1) {
        p.name = percent_decode(n);
    }
    if let Some(sub) = tail.get(2) {
        p.subresource = percent_decode(sub);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_real_event_borrowing_its_strings() {
        let line = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/prod/pods/node-shell/exec?command=cat\u0026command=%2Fhost%2Fetc%2Fshadow\u0026container=shell","verb":"create","user":{"username":"kapi-admin","groups":["system:masters","system:authenticated"]},"sourceIPs":["127.0.0.1"],"userAgent":"kubectl","objectRef":{"resource":"pods","namespace":"prod","name":"node-shell","apiVersion":"v1","subresource":"exec"},"responseStatus":{"metadata":{},"code":400},"requestReceivedTimestamp":"2026-11-23T18:30:48.530000Z","stageTimestamp":"2026-11-23T18:30:48.546000Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by \"x\""}}"#;
        let ev = Event::from_json(line).unwrap();
        assert!(matches!(ev.user_agent, Some(Cow::Borrowed(_))));
        assert_eq!(ev.stage(), Stage::ResponseComplete);
        assert_eq!(ev.exec_command(), vec!["cat", "/host/etc/shadow"]);
        assert_eq!(
            (ev.resource(), ev.subresource(), ev.namespace(), ev.name()),
            ("pods", "exec", "prod", "node-shell")
        );
        assert_eq!(ev.code(), Some(400));
        assert!(!ev.succeeded());
        assert!(!ev.denied());
        assert_eq!(ev.authz_reason().as_deref(), Some("RBAC: allowed by \"x\""));
        assert_eq!(
            ev.time().map(time::format).as_deref(),
            Some("2026-11-23T18:30:48.546000Z")
        );
    }

    #[test]
    fn api_paths() {
        let p = parse_api_path("/api/v1/namespaces/prod/pods/x/exec").unwrap();
        assert_eq!(
            (
                p.namespace.as_str(),
                p.resource.as_str(),
                p.name.as_str(),
                p.subresource.as_str()
            ),
            ("prod", "pods", "x", "exec")
        );
        let p = parse_api_path("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/a").unwrap();
        assert_eq!(
            (p.group.as_str(), p.resource.as_str(), p.name.as_str()),
            ("rbac.authorization.k8s.io", "clusterrolebindings", "a")
        );
        let p = parse_api_path("/api/v1/namespaces/foo").unwrap();
        assert_eq!(
            (p.resource.as_str(), p.name.as_str()),
            ("namespaces", "foo")
        );
        let p = parse_api_path("/api/v1/secrets").unwrap();
        assert_eq!((p.resource.as_str(), p.namespace.as_str()), ("secrets", ""));
        let p = parse_api_path("/api/v1/nodes/n1/proxy/metrics").unwrap();
        assert_eq!(
            (p.resource.as_str(), p.subresource.as_str()),
            ("nodes", "proxy")
        );
        assert_eq!(parse_api_path("/api/v1"), None);
        assert_eq!(parse_api_path("/apis/apps/v1"), None);
        assert_eq!(parse_api_path("/healthz"), None);
    }

    #[test]
    fn query_decoding() {
        assert_eq!(
            query_values("/x?command=sh&command=-c&command=echo+a%20b&c", "command"),
            vec!["sh", "-c", "echo a b"]
        );
        assert_eq!(percent_decode("%zz%2"), "%zz%2");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
