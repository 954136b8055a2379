//! The shapes audit events arrive in, recognised from one parse of the record:
//!
//! * a plain `Event` (v1, v1beta1, or with fields missing);
//! * an `EventList` (`items`), and any list of records under `items`, `records` (Azure storage
//!   exports), `logEvents` (CloudWatch subscriptions) or `events` (`aws logs filter-log-events`);
//! * a CloudWatch log event whose `message` is the event as a JSON string (EKS);
//! * an AKS diagnostic record whose `properties.log` is the event as a string or an object;
//! * a GKE Cloud Audit `LogEntry` (`protoPayload`), mapped to the event model the way Falco's
//!   k8saudit-gke plugin and Panther map it (verb from `methodName`, object from
//!   `resourceName`, the response code inferred when the entry does not carry one);
//! * an Azure Activity Log record of a Kubernetes operation on an AKS or Arc cluster
//!   (`operationName` `.../MANAGEDCLUSTERS/<group>/<resource>/WRITE`).

use crate::event::{ApiPath, Event, ObjectRef, ResponseStatus, UserInfo, resource_parts};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// What one record turned into.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Tally {
    pub events: u64,
    /// Records that are valid but not Kubernetes audit events (other GCP services' log
    /// entries, Azure activity of other resource types, ...).
    pub skipped: u64,
}

const MAX_DEPTH: u8 = 4;

/// Sends every audit event in `ev` (a parsed record) to `sink`. An `Err` describes why the
/// record is not usable; events already delivered from it stay delivered.
pub(crate) fn dispatch(
    mut ev: Event<'_>,
    depth: u8,
    sink: &mut dyn FnMut(&Event<'_>),
    tally: &mut Tally,
) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err("records nested more than 4 levels deep".into());
    }
    if let Some(pp) = ev.proto_payload {
        return match gke::convert(&ev, pp)? {
            Some(owned) => {
                sink(&owned.as_event());
                tally.events += 1;
                Ok(())
            }
            None => {
                tally.skipped += 1;
                Ok(())
            }
        };
    }
    if let Some(props) = ev.properties
        && !ev.looks_like_event()
    {
        #[derive(Deserialize)]
        struct Props<'a> {
            #[serde(borrow, default)]
            log: Option<&'a RawValue>,
        }
        let props: Props<'_> = serde_json::from_str(props.get())
            .map_err(|e| format!("AKS record: `properties`: {e}"))?;
        return match props.log {
            Some(log) => nested(log, depth, "AKS record `properties.log`", sink, tally),
            None => {
                tally.skipped += 1;
                Ok(())
            }
        };
    }
    for (key, list) in [
        ("items", ev.items),
        ("records", ev.records),
        ("logEvents", ev.log_events),
        ("events", ev.events),
    ] {
        if let Some(list) = list {
            return list_of(list, key, depth, sink, tally);
        }
    }
    if let Some(message) = ev.message
        && !ev.looks_like_event()
    {
        return nested(message, depth, "CloudWatch `message`", sink, tally);
    }
    if ev.operation_name.is_some() && !ev.looks_like_event() {
        return match azure_activity(&ev) {
            Some(owned) => {
                sink(&owned.as_event());
                tally.events += 1;
                Ok(())
            }
            None => {
                tally.skipped += 1;
                Ok(())
            }
        };
    }
    if ev.looks_like_event() {
        match ev.kind.as_deref() {
            None | Some("Event") => {}
            Some(other) => {
                return Err(format!(
                    "not an audit event: kind `{other}` (expected `Event` or `EventList`)"
                ));
            }
        }
        ev.normalize();
        sink(&ev);
        tally.events += 1;
        return Ok(());
    }
    Err(
        "not an audit event: expected an audit.k8s.io Event or EventList, or a CloudWatch, \
         GKE or AKS record holding one"
            .into(),
    )
}

/// A record held as a JSON string (CloudWatch `message`, AKS `properties.log`) or inline.
fn nested(
    raw: &RawValue,
    depth: u8,
    what: &str,
    sink: &mut dyn FnMut(&Event<'_>),
    tally: &mut Tally,
) -> Result<(), String> {
    let text = raw.get();
    if text.starts_with('"') {
        let decoded: String = serde_json::from_str(text).map_err(|e| format!("{what}: {e}"))?;
        let inner = Event::from_json(&decoded).map_err(|e| format!("{what}: {e}"))?;
        dispatch(inner, depth + 1, sink, tally).map_err(|e| format!("{what}: {e}"))
    } else {
        let inner = Event::from_json(text).map_err(|e| format!("{what}: {e}"))?;
        dispatch(inner, depth + 1, sink, tally).map_err(|e| format!("{what}: {e}"))
    }
}

fn list_of(
    raw: &RawValue,
    key: &str,
    depth: u8,
    sink: &mut dyn FnMut(&Event<'_>),
    tally: &mut Tally,
) -> Result<(), String> {
    let items: Option<Vec<&RawValue>> =
        serde_json::from_str(raw.get()).map_err(|e| format!("`{key}`: {e}"))?;
    let mut errors = Vec::new();
    for (i, item) in items.unwrap_or_default().into_iter().enumerate() {
        let res = Event::from_json(item.get())
            .map_err(|e| e.to_string())
            .and_then(|ev| dispatch(ev, depth + 1, sink, tally));
        if let Err(e) = res {
            errors.push(format!("`{key}[{i}]`: {e}"));
        }
    }
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.remove(0)),
        n => Err(format!("{} (and {} more bad items)", errors[0], n - 1)),
    }
}

/// An event built from another shape, owning its strings.
#[derive(Debug, Default)]
pub(crate) struct OwnedEvent {
    audit_id: Option<String>,
    verb: String,
    stage: &'static str,
    level: Option<&'static str>,
    request_uri: Option<String>,
    user: Option<String>,
    source_ips: Vec<String>,
    user_agent: Option<String>,
    object: ApiPath,
    code: Option<i64>,
    time: Option<String>,
    decision: Option<&'static str>,
    request: Option<Box<RawValue>>,
    response: Option<Box<RawValue>>,
}

impl OwnedEvent {
    pub(crate) fn as_event(&self) -> Event<'_> {
        fn b(s: &Option<String>) -> Option<Cow<'_, str>> {
            s.as_deref().map(Cow::Borrowed)
        }
        fn nb(s: &str) -> Option<Cow<'_, str>> {
            (!s.is_empty()).then_some(Cow::Borrowed(s))
        }
        Event {
            kind: Some(Cow::Borrowed("Event")),
            level: self.level.map(Cow::Borrowed),
            audit_id: b(&self.audit_id),
            stage: Some(Cow::Borrowed(self.stage)),
            request_uri: b(&self.request_uri),
            verb: nb(&self.verb),
            user: self.user.as_deref().map(|u| UserInfo {
                username: Some(Cow::Borrowed(u)),
                groups: Vec::new(),
            }),
            source_ips: self
                .source_ips
                .iter()
                .map(|s| Cow::Borrowed(s.as_str()))
                .collect(),
            user_agent: b(&self.user_agent),
            object_ref: (!self.object.resource.is_empty()).then(|| ObjectRef {
                resource: nb(&self.object.resource),
                namespace: nb(&self.object.namespace),
                name: nb(&self.object.name),
                api_group: nb(&self.object.group),
                api_version: nb(&self.object.version),
                subresource: nb(&self.object.subresource),
            }),
            response_status: self.code.map(|c| ResponseStatus {
                code: Some(c),
                ..ResponseStatus::default()
            }),
            request_object: self.request.as_deref(),
            response_object: self.response.as_deref(),
            stage_timestamp: b(&self.time),
            annotations: self.decision.map(|d| crate::event::Annotations {
                decision: Some(Cow::Borrowed(d)),
                ..Default::default()
            }),
            ..Event::default()
        }
    }
}

fn raw_of(v: Option<Value>) -> Option<Box<RawValue>> {
    let v = v.filter(|v| !v.is_null())?;
    RawValue::from_string(v.to_string()).ok()
}

pub(crate) mod gke {
    use super::*;

    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase")]
    struct AuthenticationInfo {
        #[serde(default)]
        principal_email: Option<String>,
        #[serde(default)]
        authority_selector: Option<String>,
    }

    #[derive(Deserialize, Default)]
    struct AuthorizationInfo {
        #[serde(default)]
        granted: Option<bool>,
    }

    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase")]
    struct RequestMetadata {
        #[serde(default, alias = "callerIP")]
        caller_ip: Option<String>,
        #[serde(default)]
        caller_supplied_user_agent: Option<String>,
    }

    #[derive(Deserialize, Default)]
    struct Status {
        #[serde(default)]
        code: Option<i64>,
    }

    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase")]
    struct AuditLog {
        #[serde(default)]
        service_name: Option<String>,
        #[serde(default)]
        method_name: Option<String>,
        #[serde(default)]
        resource_name: Option<String>,
        #[serde(default)]
        authentication_info: Option<AuthenticationInfo>,
        #[serde(default)]
        authorization_info: Option<Vec<AuthorizationInfo>>,
        #[serde(default)]
        request_metadata: Option<RequestMetadata>,
        #[serde(default)]
        request: Option<Value>,
        #[serde(default)]
        response: Option<Value>,
        #[serde(default)]
        status: Option<Status>,
        #[serde(default)]
        timestamp: Option<String>,
    }

    /// gRPC status code to the HTTP status the API server answered with.
    fn http_from_grpc(code: i64) -> i64 {
        match code {
            0 => 200,
            1 => 499,
            3 | 9 | 11 => 400,
            4 => 504,
            5 => 404,
            6 | 10 => 409,
            7 => 403,
            8 => 429,
            12 => 501,
            14 => 503,
            16 => 401,
            _ => 500,
        }
    }

    fn is_version(s: &str) -> bool {
        let Some(rest) = s.strip_prefix('v') else {
            return false;
        };
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let tail = &rest[digits..];
        digits > 0 && (tail.is_empty() || tail.starts_with("alpha") || tail.starts_with("beta"))
    }

    /// `None`: a valid LogEntry of another Google service.
    pub(crate) fn convert(outer: &Event<'_>, pp: &RawValue) -> Result<Option<OwnedEvent>, String> {
        let log: AuditLog = serde_json::from_str(pp.get())
            .map_err(|e| format!("GKE LogEntry `protoPayload`: {e}"))?;
        let method = log.method_name.as_deref().unwrap_or("");
        let is_k8s = log.service_name.as_deref() == Some("k8s.io") || method.starts_with("io.k8s.");
        if !is_k8s {
            return Ok(None);
        }
        let mut ev = OwnedEvent {
            audit_id: outer.insert_id.as_deref().map(str::to_string),
            stage: "ResponseComplete",
            ..OwnedEvent::default()
        };
        // methodName: io.k8s.<group>.<version>.<resource>[.<subresource>].<verb>
        let parts: Vec<&str> = method
            .strip_prefix("io.k8s.")
            .unwrap_or(method)
            .split('.')
            .collect();
        if let Some(vi) = parts.iter().position(|p| is_version(p)) {
            let tail = &parts[vi + 1..];
            if let Some((verb, res)) = tail.split_last() {
                ev.verb = (*verb).to_string();
                ev.object.resource = res.first().map(|s| s.to_string()).unwrap_or_default();
                ev.object.subresource = res.get(1).map(|s| s.to_string()).unwrap_or_default();
            }
            ev.object.version = parts[vi].to_string();
            let group = parts[..vi].join(".");
            ev.object.group = if group == "core" {
                String::new()
            } else {
                group
            };
        } else if let Some(verb) = parts.last() {
            ev.verb = (*verb).to_string();
        }
        // resourceName: <group>/<version>/[namespaces/<ns>/]<resource>[/<name>[/<sub>]]
        if let Some(rn) = log.resource_name.as_deref() {
            let segs: Vec<&str> = rn.split('/').filter(|s| !s.is_empty()).collect();
            if segs.len() >= 3 {
                let group = if segs[0] == "core" {
                    String::new()
                } else {
                    segs[0].to_string()
                };
                if let Some(p) = resource_parts(group, segs[1].to_string(), &segs[2..]) {
                    let verb_sub = std::mem::take(&mut ev.object.subresource);
                    ev.object = ApiPath {
                        subresource: if p.subresource.is_empty() {
                            verb_sub
                        } else {
                            p.subresource.clone()
                        },
                        ..p
                    };
                }
            }
        }
        if ev.object.namespace.is_empty() || ev.object.name.is_empty() {
            let meta = log.request.as_ref().and_then(|r| r.get("metadata"));
            if ev.object.namespace.is_empty()
                && let Some(ns) = meta
                    .and_then(|m| m.get("namespace"))
                    .and_then(Value::as_str)
            {
                ev.object.namespace = ns.to_string();
            }
            if ev.object.name.is_empty()
                && ev.verb == "create"
                && let Some(n) = meta.and_then(|m| m.get("name")).and_then(Value::as_str)
            {
                ev.object.name = n.to_string();
            }
        }
        let auth = log.authentication_info.unwrap_or_default();
        ev.user = auth
            .principal_email
            .or(auth.authority_selector)
            .filter(|u| !u.is_empty());
        let md = log.request_metadata.unwrap_or_default();
        ev.source_ips = md.caller_ip.into_iter().collect();
        ev.user_agent = md.caller_supplied_user_agent;
        let granted = log.authorization_info.as_deref().unwrap_or_default();
        let denied = granted.iter().any(|a| a.granted == Some(false));
        let allowed = !granted.is_empty() && granted.iter().all(|a| a.granted != Some(false));
        ev.decision = if denied {
            Some("forbid")
        } else if allowed {
            Some("allow")
        } else {
            None
        };
        let grpc = log.status.as_ref().and_then(|s| s.code).filter(|&c| c != 0);
        let response_failure = log.response.as_ref().and_then(|r| {
            let is_status = r.get("kind").and_then(Value::as_str) == Some("Status")
                || r.get("status").and_then(Value::as_str) == Some("Failure");
            is_status.then(|| r.get("code").and_then(Value::as_i64).unwrap_or(500))
        });
        let streaming = matches!(
            ev.object.subresource.as_str(),
            "exec" | "attach" | "portforward"
        );
        ev.code = Some(if let Some(c) = grpc {
            http_from_grpc(c)
        } else if let Some(c) = response_failure {
            c
        } else if denied {
            403
        } else if streaming {
            101
        } else if ev.verb == "create" {
            201
        } else {
            200
        });
        if streaming && ev.code == Some(101) {
            ev.stage = "ResponseStarted";
        }
        ev.level = Some(if log.response.is_some() {
            "RequestResponse"
        } else if log.request.is_some() {
            "Request"
        } else {
            "Metadata"
        });
        ev.time = outer
            .timestamp
            .as_deref()
            .map(str::to_string)
            .or(log.timestamp);
        ev.request = raw_of(log.request);
        ev.response = raw_of(log.response);
        Ok(Some(ev))
    }
}

/// An Azure Activity Log record of a Kubernetes operation (`Microsoft.ContainerService/
/// managedClusters/...` or `Microsoft.Kubernetes/connectedClusters/...`).
fn azure_activity(ev: &Event<'_>) -> Option<OwnedEvent> {
    let op = ev.operation_name.as_deref()?.to_ascii_lowercase();
    let cluster_kind = ["/managedclusters/", "/connectedclusters/"]
        .into_iter()
        .find(|k| op.contains(k))?;
    let after = op.split_once(cluster_kind)?.1;
    let segs: Vec<&str> = after.split('/').collect();
    let (action, res) = segs.split_last()?;
    let verb = match *action {
        "write" => "update",
        "delete" => "delete",
        "read" => "get",
        "action" => "create",
        _ => return None,
    };
    let (group, resource) = match res {
        [resource] => ("", *resource),
        [group, resource] => (*group, *resource),
        [group, .., resource] => (*group, *resource),
        [] => return None,
    };
    if resource == "diagnosticlogs" || resource.is_empty() {
        return None;
    }
    let name = ev
        .resource_id
        .as_deref()
        .and_then(|id| {
            let segs: Vec<&str> = id.split('/').collect();
            let i = segs
                .iter()
                .rposition(|s| s.eq_ignore_ascii_case(resource))?;
            segs.get(i + 1).map(|s| s.to_string())
        })
        .unwrap_or_default();
    let result = ev.result_type.as_deref().unwrap_or("").to_ascii_lowercase();
    let (stage, code) = match result.as_str() {
        "start" | "started" | "accepted" => ("RequestReceived", None),
        "success" | "succeeded" => ("ResponseComplete", Some(200)),
        "failure" | "failed" => ("ResponseComplete", Some(403)),
        _ => ("ResponseComplete", None),
    };
    Some(OwnedEvent {
        verb: verb.into(),
        stage,
        object: ApiPath {
            group: if group == "core" {
                String::new()
            } else {
                group.to_string()
            },
            resource: resource.to_string(),
            name,
            ..ApiPath::default()
        },
        code,
        source_ips: ev.caller_ip_address.iter().map(|s| s.to_string()).collect(),
        time: ev.time.as_deref().map(str::to_string),
        user: None,
        ..OwnedEvent::default()
    })
}
