//! `metav1.Status` error bodies, field for field as `k8s.io/apimachinery/pkg/api/errors` builds
//! them (`NewNotFound`, `NewForbidden`, `NewBadRequest`, `NewResourceExpired`, ...), in the
//! Go struct order `kind, apiVersion, metadata, status, message, reason, details, code`
//! (`details` fields in the order `name, group, kind, uid, causes, retryAfterSeconds`, empty
//! ones omitted).

use serde_json::{Map, Value, json};

/// The parts of a failure `Status`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Status {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    /// `None` leaves `details` out; `Some` writes it even when empty (`"details":{}`).
    pub details: Option<Details>,
    /// `metadata.continue` (only the 410 of an expired continue token carries one).
    pub continue_token: Option<String>,
}

/// `metav1.StatusDetails`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Details {
    pub name: String,
    pub group: String,
    pub kind: String,
    pub causes: Vec<Value>,
    pub retry_after_seconds: u32,
}

impl Status {
    /// The compact JSON body (newline-terminated, like every apiserver response).
    pub(crate) fn body(&self) -> Vec<u8> {
        let mut meta = Map::new();
        if let Some(c) = &self.continue_token {
            meta.insert("continue".into(), Value::String(c.clone()));
        }
        let mut v = Map::new();
        v.insert("kind".into(), json!("Status"));
        v.insert("apiVersion".into(), json!("v1"));
        v.insert("metadata".into(), Value::Object(meta));
        v.insert("status".into(), json!("Failure"));
        v.insert("message".into(), Value::String(self.message.clone()));
        v.insert("reason".into(), json!(self.reason));
        if let Some(d) = &self.details {
            let mut dm = Map::new();
            if !d.name.is_empty() {
                dm.insert("name".into(), json!(d.name));
            }
            if !d.group.is_empty() {
                dm.insert("group".into(), json!(d.group));
            }
            if !d.kind.is_empty() {
                dm.insert("kind".into(), json!(d.kind));
            }
            if !d.causes.is_empty() {
                dm.insert("causes".into(), Value::Array(d.causes.clone()));
            }
            if d.retry_after_seconds > 0 {
                dm.insert("retryAfterSeconds".into(), json!(d.retry_after_seconds));
            }
            v.insert("details".into(), Value::Object(dm));
        }
        v.insert("code".into(), json!(self.code));
        crate::json::body(&Value::Object(v))
    }
}

/// `group/resource` as `GroupResource.String()` prints it: `secrets`, `deployments.apps`.
pub(crate) fn group_resource(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}

/// 401 from the authentication filter.
pub(crate) fn unauthorized() -> Status {
    Status {
        code: 401,
        reason: "Unauthorized",
        message: "Unauthorized".into(),
        ..Status::default()
    }
}

/// 404 of a missing object (`NewNotFound`).
pub(crate) fn not_found(group: &str, resource: &str, name: &str) -> Status {
    Status {
        code: 404,
        reason: "NotFound",
        message: format!(
            "{} {} not found",
            group_resource(group, resource),
            go_quote(name)
        ),
        details: Some(Details {
            name: name.into(),
            group: group.into(),
            kind: resource.into(),
            ..Details::default()
        }),
        ..Status::default()
    }
}

/// 404 of a path no route matches under a go-restful web service (`/api/v1/foos`).
pub(crate) fn no_route() -> Status {
    Status {
        code: 404,
        reason: "NotFound",
        message: "the server could not find the requested resource".into(),
        details: Some(Details::default()),
        ..Status::default()
    }
}

/// 400 (`NewBadRequest`).
pub(crate) fn bad_request(message: String) -> Status {
    Status {
        code: 400,
        reason: "BadRequest",
        message,
        ..Status::default()
    }
}

/// 410 of a continue token whose resourceVersion was compacted (`handleCompactedErrorForPaging`).
pub(crate) fn continue_expired(new_token: String) -> Status {
    Status {
        code: 410,
        reason: "Expired",
        message: "The provided continue parameter is too old to display a consistent list result. \
                  You can start a new list without the continue parameter, or use the continue token \
                  in this response to retrieve the remainder of the results. Continuing with the \
                  provided token results in an inconsistent list - objects that were created, \
                  modified, or deleted between the time the first chunk was returned and now may \
                  show up in the list."
            .into(),
        continue_token: Some(new_token),
        ..Status::default()
    }
}

/// 403 from the authorization filter (`responsewriters.Forbidden` → `NewForbidden`).
pub(crate) fn forbidden(attrs: &Attributes<'_>) -> Status {
    let reason = match attrs.resource {
        None => format!(
            "User {} cannot {} path {}",
            go_quote(attrs.user),
            attrs.verb,
            go_quote(attrs.path)
        ),
        Some(res) => {
            let scope = if attrs.namespace.is_empty() {
                "at the cluster scope".to_string()
            } else {
                format!("in the namespace {}", go_quote(attrs.namespace))
            };
            format!(
                "User {} cannot {} resource {} in API group {} {scope}",
                go_quote(attrs.user),
                attrs.verb,
                go_quote(res.resource),
                go_quote(res.group)
            )
        }
    };
    let (message, details) = match attrs.resource {
        None => (format!("forbidden: {reason}"), Details::default()),
        Some(res) => {
            let gr = group_resource(res.group, res.resource);
            let message = if res.name.is_empty() {
                format!("{gr} is forbidden: {reason}")
            } else {
                format!("{gr} {} is forbidden: {reason}", go_quote(res.name))
            };
            let details = Details {
                name: res.name.into(),
                group: res.group.into(),
                kind: res.resource.into(),
                ..Details::default()
            };
            (message, details)
        }
    };
    Status {
        code: 403,
        reason: "Forbidden",
        message,
        details: Some(details),
        ..Status::default()
    }
}

/// What the authorizer was asked (`authorizer.Attributes`).
#[derive(Debug)]
pub(crate) struct Attributes<'a> {
    pub user: &'a str,
    pub verb: &'a str,
    pub path: &'a str,
    pub namespace: &'a str,
    pub resource: Option<ResourceAttrs<'a>>,
}

/// The resource part of [`Attributes`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResourceAttrs<'a> {
    pub group: &'a str,
    pub resource: &'a str,
    pub name: &'a str,
}

/// 405 for a verb the fixture does not implement on a known path.
pub(crate) fn method_not_allowed() -> Status {
    Status {
        code: 405,
        reason: "MethodNotAllowed",
        message: "the server does not allow this method on the requested resource".into(),
        details: Some(Details::default()),
        ..Status::default()
    }
}

/// 406 when no Accept alternative can be served.
pub(crate) fn not_acceptable() -> Status {
    Status {
        code: 406,
        reason: "NotAcceptable",
        message:
            "only the following media types are accepted: application/json, application/yaml, \
                  application/vnd.kubernetes.protobuf"
                .into(),
        ..Status::default()
    }
}

/// 415 for a PATCH content type the resource does not support.
pub(crate) fn unsupported_patch() -> Status {
    Status {
        code: 415,
        reason: "UnsupportedMediaType",
        message: "the body of the request was in an unknown format - accepted media types include: \
                  application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
            .into(),
        ..Status::default()
    }
}

/// 422 of a server-side apply without `fieldManager`.
pub(crate) fn apply_needs_field_manager() -> Status {
    Status {
        code: 422,
        reason: "Invalid",
        message: "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch".into(),
        details: Some(Details {
            group: "meta.k8s.io".into(),
            kind: "PatchOptions".into(),
            causes: vec![json!({
                "reason": "FieldValueRequired",
                "message": "Required value: is required for apply patch",
                "field": "fieldManager"
            })],
            ..Details::default()
        }),
        ..Status::default()
    }
}

/// An injected 429 with a `Status` body, as `NewTooManyRequests` builds it.
pub(crate) fn too_many_requests(retry_after: u32) -> Status {
    Status {
        code: 429,
        reason: "TooManyRequests",
        message: "Too many requests, please try again later.".into(),
        details: Some(Details {
            retry_after_seconds: retry_after,
            ..Details::default()
        }),
        ..Status::default()
    }
}

/// An injected 500 (`NewInternalError`).
pub(crate) fn internal_error(cause: &str) -> Status {
    Status {
        code: 500,
        reason: "InternalError",
        message: format!("Internal error occurred: {cause}"),
        details: Some(Details {
            causes: vec![json!({ "message": cause })],
            ..Details::default()
        }),
        ..Status::default()
    }
}

/// An injected 503 (`NewServiceUnavailable`).
pub(crate) fn service_unavailable(message: &str, retry_after: u32) -> Status {
    Status {
        code: 503,
        reason: "ServiceUnavailable",
        message: message.into(),
        details: (retry_after > 0).then(|| Details {
            retry_after_seconds: retry_after,
            ..Details::default()
        }),
        ..Status::default()
    }
}

/// Go's `%q` for the plain strings used in messages.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &Status) -> String {
        String::from_utf8(s.body()).unwrap()
    }

    #[test]
    fn bodies_match_the_recordings() {
        assert_eq!(
            text(&unauthorized()),
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}\n"
        );
        assert_eq!(
            text(&not_found("", "pods", "does-not-exist")),
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"pods \\\"does-not-exist\\\" not found\",\"reason\":\"NotFound\",\"details\":{\"name\":\"does-not-exist\",\"kind\":\"pods\"},\"code\":404}\n"
        );
        let attrs = Attributes {
            user: "alice",
            verb: "list",
            path: "/api/v1/namespaces/prod/secrets",
            namespace: "prod",
            resource: Some(ResourceAttrs {
                group: "",
                resource: "secrets",
                name: "",
            }),
        };
        assert_eq!(
            text(&forbidden(&attrs)),
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\"secrets is forbidden: User \\\"alice\\\" cannot list resource \\\"secrets\\\" in API group \\\"\\\" in the namespace \\\"prod\\\"\",\"reason\":\"Forbidden\",\"details\":{\"kind\":\"secrets\"},\"code\":403}\n"
        );
    }
}
