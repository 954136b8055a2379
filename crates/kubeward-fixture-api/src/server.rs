//! Request handling, in the order of kube-apiserver's filter chain: authentication (x509 client
//! certificate, then bearer token; anonymous last when enabled) → injected faults (where API
//! Priority and Fairness rejects) → authorization (RBAC-worded denials) → the handlers
//! (discovery, list, get, patch), with content negotiation on `Accept` for the `meta.k8s.io`
//! Table and PartialObjectMetadata forms.

use crate::config::{Fault, ForbidRule, RecordedRequest, Scope, Slow, ThrottleBody, User};
use crate::model::{Model, ResourceType};
use crate::status::{self, Attributes, ResourceAttrs, Status};
use crate::store::{self, Fill, Store, Stored};
use crate::{json, paging, timefmt};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// Everything a request handler needs.
#[derive(Debug)]
pub(crate) struct State {
    pub model: Model,
    pub store: RwLock<Store>,
    pub tokens: HashMap<String, User>,
    pub anonymous: Option<Vec<String>>,
    pub forbid: Vec<ForbidRule>,
    pub faults: Vec<(Fault, AtomicUsize)>,
    pub slow: Vec<Slow>,
    pub page_size_max: Option<usize>,
    pub expire_continue_tokens: bool,
    pub creation_timestamp: String,
    pub version_body: Vec<u8>,
    pub api_body: Vec<u8>,
    pub apis_body: Vec<u8>,
    pub requests: Mutex<Vec<RecordedRequest>>,
    pub audit_seq: AtomicU64,
}

/// What to send back.
#[derive(Debug)]
struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    retry_after: Option<u32>,
}

impl Reply {
    fn json(status: u16, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            body,
            retry_after: None,
        }
    }

    fn ok(body: Vec<u8>) -> Reply {
        Reply::json(200, body)
    }

    fn status(s: Status) -> Reply {
        let retry_after = s
            .details
            .as_ref()
            .map(|d| d.retry_after_seconds)
            .filter(|n| *n > 0 && matches!(s.code, 429 | 500..=599));
        Reply {
            retry_after,
            ..Reply::json(s.code, s.body())
        }
    }

    /// Go's `http.NotFound`: what the apiserver's mux answers for paths no web service owns.
    fn plain_not_found() -> Reply {
        Reply {
            status: 404,
            content_type: "text/plain; charset=utf-8",
            body: b"404 page not found\n".to_vec(),
            retry_after: None,
        }
    }

    /// What API Priority and Fairness sends when it rejects a request (`http.Error`).
    fn plain_too_many_requests(retry_after: u32) -> Reply {
        Reply {
            status: 429,
            content_type: "text/plain; charset=utf-8",
            body: b"Too many requests, please try again later.\n".to_vec(),
            retry_after: Some(retry_after),
        }
    }
}

/// The parsed request.
#[derive(Debug)]
struct Ctx<'a> {
    method: &'a str,
    path: &'a str,
    params: &'a [(String, String)],
    accept: Option<&'a str>,
    content_type: Option<&'a str>,
    body: &'a [u8],
}

impl Ctx<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Serves one request.
pub(crate) async fn handle(
    state: Arc<State>,
    cert_user: Option<Arc<User>>,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().map(str::to_string);
    let header = |name: header::HeaderName| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let accept = header(header::ACCEPT);
    let content_type = header(header::CONTENT_TYPE);
    let authorization = header(header::AUTHORIZATION);
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let params = query_pairs(query.as_deref().unwrap_or_default());
    let ctx = Ctx {
        method: &method,
        path: &path,
        params: &params,
        accept: accept.as_deref(),
        content_type: content_type.as_deref(),
        body: &body,
    };
    let (user, reply) = respond(&state, cert_user.as_deref(), authorization.as_deref(), &ctx);
    if let Ok(mut requests) = state.requests.lock() {
        requests.push(RecordedRequest {
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            accept: accept.clone(),
            content_type: content_type.clone(),
            user: user.as_ref().map(|u| u.name.clone()),
            groups: user.as_ref().map(|u| u.groups.clone()).unwrap_or_default(),
            status: reply.status,
        });
    }
    if let Some(slow) = state.slow.iter().find(|s| path.starts_with(&s.path_prefix)) {
        tokio::time::sleep(slow.delay).await;
    }
    into_response(&state, reply, user.is_some())
}

fn into_response(state: &State, reply: Reply, authenticated: bool) -> Response<Full<Bytes>> {
    let seq = state.audit_seq.fetch_add(1, Ordering::Relaxed);
    let mut resp = Response::new(Full::new(Bytes::from(reply.body)));
    *resp.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(reply.content_type),
    );
    if reply.content_type.starts_with("text/plain") {
        h.insert(
            "x-content-type-options",
            HeaderValue::from_static("nosniff"),
        );
    }
    if let Ok(v) = HeaderValue::from_str(&audit_id(seq)) {
        h.insert("audit-id", v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, private"),
    );
    if authenticated {
        h.insert(
            "x-kubernetes-pf-flowschema-uid",
            HeaderValue::from_static("4f3b2a6e-7c1d-4e8a-9b0f-2d5c6e7f8a91"),
        );
        h.insert(
            "x-kubernetes-pf-prioritylevel-uid",
            HeaderValue::from_static("9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"),
        );
    }
    if let Some(n) = reply.retry_after {
        h.insert(header::RETRY_AFTER, HeaderValue::from(n));
    }
    resp
}

fn audit_id(seq: u64) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, &seq.to_le_bytes());
    let b = d.as_ref();
    let hex: String = b[..16].iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-4{}-a{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

/// Authenticates, applies faults, authorizes and dispatches.
fn respond(
    state: &State,
    cert_user: Option<&User>,
    authorization: Option<&str>,
    ctx: &Ctx<'_>,
) -> (Option<User>, Reply) {
    let user = match authenticate(state, cert_user, authorization) {
        Auth::User(u) => u,
        Auth::Failed => return (None, Reply::status(status::unauthorized())),
        Auth::NoCredentials => match &state.anonymous {
            Some(_) => User {
                name: "system:anonymous".into(),
                groups: vec!["system:unauthenticated".into()],
            },
            None => return (None, Reply::status(status::unauthorized())),
        },
    };
    if let Some(reply) = injected_fault(state, ctx.path) {
        return (Some(user), reply);
    }
    let route = parse_route(&state.model, ctx.path);
    if let Some(denial) = authorize(state, &user, ctx, &route) {
        return (Some(user), Reply::status(denial));
    }
    let reply = dispatch(state, ctx, route);
    (Some(user), reply)
}

enum Auth {
    User(User),
    NoCredentials,
    Failed,
}

fn authenticated(user: &User) -> User {
    let mut u = user.clone();
    if !u.groups.iter().any(|g| g == "system:authenticated") {
        u.groups.push("system:authenticated".into());
    }
    u
}

/// x509 first, then bearer tokens (the union authenticator's order); a bearer token that is
/// not accepted fails the request even when anonymous access is on.
fn authenticate(state: &State, cert_user: Option<&User>, authorization: Option<&str>) -> Auth {
    if let Some(u) = cert_user {
        return Auth::User(authenticated(u));
    }
    let Some(header) = authorization else {
        return Auth::NoCredentials;
    };
    let mut parts = header.splitn(3, ' ');
    let scheme = parts.next().unwrap_or_default();
    let token = parts.next().unwrap_or_default();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Auth::NoCredentials;
    }
    match state.tokens.get(token) {
        Some(u) => Auth::User(authenticated(u)),
        None => Auth::Failed,
    }
}

fn injected_fault(state: &State, path: &str) -> Option<Reply> {
    for (fault, counter) in &state.faults {
        if !path.starts_with(&fault.path_prefix) {
            continue;
        }
        if counter.fetch_add(1, Ordering::Relaxed) >= fault.count {
            continue;
        }
        return Some(match (fault.status, fault.body) {
            (429, ThrottleBody::PlainText) => {
                Reply::plain_too_many_requests(fault.retry_after.max(1))
            }
            (429, ThrottleBody::Status) => {
                Reply::status(status::too_many_requests(fault.retry_after.max(1)))
            }
            (503, _) => Reply::status(status::service_unavailable(
                "the server is currently unable to handle the request",
                fault.retry_after,
            )),
            (code, _) => {
                let mut s = status::internal_error("injected fault");
                s.code = code;
                Reply::status(s)
            }
        });
    }
    None
}

/// What a path addresses.
#[derive(Debug)]
enum Route {
    Version,
    Api,
    Apis,
    Group(String),
    ResourceList {
        group: String,
        version: String,
    },
    Resource(ResourceReq),
    /// No route under a go-restful web service: `Status` 404.
    NotFoundStatus,
    /// No web service at all: Go's plain `404 page not found`.
    NotFoundPlain,
}

#[derive(Debug)]
struct ResourceReq {
    group: String,
    version: String,
    /// The namespace in the path (`/namespaces/{ns}/{resource}`).
    path_namespace: String,
    resource: String,
    name: Option<String>,
    subresource: Option<String>,
}

impl ResourceReq {
    /// The namespace the authorizer sees (a namespace's own name for `namespaces/{name}`).
    fn authz_namespace(&self) -> &str {
        if self.resource == "namespaces" && self.group.is_empty() && self.path_namespace.is_empty()
        {
            self.name.as_deref().unwrap_or_default()
        } else {
            &self.path_namespace
        }
    }
}

fn parse_route(model: &Model, path: &str) -> Route {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let not_found = |group: &str| {
        if model.is_builtin_group(group) {
            Route::NotFoundStatus
        } else {
            Route::NotFoundPlain
        }
    };
    match segs.as_slice() {
        ["version"] => Route::Version,
        ["api"] => Route::Api,
        ["apis"] => Route::Apis,
        ["api", "v1"] => Route::ResourceList {
            group: String::new(),
            version: "v1".into(),
        },
        ["api", "v1", rest @ ..] => resource_route("", "v1", rest).unwrap_or(Route::NotFoundStatus),
        ["api", ..] => Route::NotFoundStatus,
        ["apis", group] => {
            if model.versions(group).is_empty() {
                Route::NotFoundPlain
            } else {
                Route::Group((*group).to_string())
            }
        }
        ["apis", group, version, rest @ ..] => {
            if !model.versions(group).iter().any(|v| v == version) {
                return not_found(group);
            }
            if rest.is_empty() {
                return Route::ResourceList {
                    group: (*group).to_string(),
                    version: (*version).to_string(),
                };
            }
            resource_route(group, version, rest).unwrap_or_else(|| not_found(group))
        }
        _ => Route::NotFoundPlain,
    }
}

fn resource_route(group: &str, version: &str, rest: &[&str]) -> Option<Route> {
    let (path_namespace, parts) = match rest {
        ["namespaces", ns, resource, tail @ ..] if !matches!(*resource, "status" | "finalize") => (
            ns.to_string(),
            std::iter::once(*resource)
                .chain(tail.iter().copied())
                .collect::<Vec<_>>(),
        ),
        _ => (String::new(), rest.to_vec()),
    };
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    Some(Route::Resource(ResourceReq {
        group: group.into(),
        version: version.into(),
        path_namespace,
        resource: parts[0].into(),
        name: parts.get(1).map(|s| s.to_string()),
        subresource: parts.get(2).map(|s| s.to_string()),
    }))
}

fn is_watch(ctx: &Ctx<'_>) -> bool {
    matches!(ctx.param("watch"), Some("true" | "1"))
}

/// RBAC-style decision: `None` allows.
fn authorize(state: &State, user: &User, ctx: &Ctx<'_>, route: &Route) -> Option<Status> {
    let anonymous = user.name == "system:anonymous";
    let Route::Resource(r) = route else {
        // Non-resource URLs: discovery is open to authenticated users (system:discovery).
        let allowed = !anonymous || anonymous_allows(state, ctx.path);
        return (!allowed).then(|| {
            let verb = ctx.method.to_ascii_lowercase();
            status::forbidden(&Attributes {
                user: &user.name,
                verb: &verb,
                path: ctx.path,
                namespace: "",
                resource: None,
            })
        });
    };
    let verb = match (ctx.method, r.name.is_some()) {
        ("GET" | "HEAD", _) if is_watch(ctx) => "watch",
        ("GET" | "HEAD", true) => "get",
        ("GET" | "HEAD", false) => "list",
        ("PATCH", _) => "patch",
        ("PUT", _) => "update",
        ("POST", _) => "create",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        _ => "unknown",
    };
    let namespace = r.authz_namespace();
    let denied = (anonymous && !anonymous_allows(state, ctx.path))
        || state
            .forbid
            .iter()
            .any(|rule| rule_matches(rule, user, verb, r, namespace));
    denied.then(|| {
        let resource = match &r.subresource {
            Some(sub) => format!("{}/{sub}", r.resource),
            None => r.resource.clone(),
        };
        let mut s = status::forbidden(&Attributes {
            user: &user.name,
            verb,
            path: ctx.path,
            namespace,
            resource: Some(ResourceAttrs {
                group: &r.group,
                resource: &resource,
                name: r.name.as_deref().unwrap_or_default(),
            }),
        });
        // `details.kind` is the resource without the subresource.
        if let Some(d) = s.details.as_mut() {
            d.kind.clone_from(&r.resource);
        }
        s
    })
}

fn anonymous_allows(state: &State, path: &str) -> bool {
    state
        .anonymous
        .iter()
        .flatten()
        .any(|p| match p.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => path == p,
        })
}

fn rule_matches(
    rule: &ForbidRule,
    user: &User,
    verb: &str,
    r: &ResourceReq,
    namespace: &str,
) -> bool {
    let subject = rule
        .subject
        .as_ref()
        .is_none_or(|s| *s == user.name || user.groups.iter().any(|g| g == s));
    let resource = rule.resource == "*"
        || rule.resource == r.resource
        || rule.resource == status::group_resource(&r.group, &r.resource);
    let scope = match &rule.scope {
        Scope::Any => true,
        Scope::Cluster => namespace.is_empty(),
        Scope::Namespace(ns) => ns == namespace,
    };
    let verb = rule.verbs.is_empty() || rule.verbs.iter().any(|v| v == verb);
    subject && resource && scope && verb
}

fn dispatch(state: &State, ctx: &Ctx<'_>, route: Route) -> Reply {
    let discovery = |body: &[u8]| {
        if ctx.method != "GET" {
            return Reply::status(status::method_not_allowed());
        }
        match negotiate(ctx.accept, Endpoint::Discovery) {
            Some(_) => Reply::ok(body.to_vec()),
            None => Reply::status(status::not_acceptable()),
        }
    };
    match route {
        Route::Version => discovery(&state.version_body),
        Route::Api => discovery(&state.api_body),
        Route::Apis => discovery(&state.apis_body),
        Route::Group(g) => discovery(&state.model.group_body(&g)),
        Route::ResourceList { group, version } => {
            discovery(&state.model.resource_list_body(&group, &version))
        }
        Route::NotFoundStatus => Reply::status(status::no_route()),
        Route::NotFoundPlain => Reply::plain_not_found(),
        Route::Resource(r) => resource(state, ctx, &r),
    }
}

fn resource(state: &State, ctx: &Ctx<'_>, r: &ResourceReq) -> Reply {
    let not_found = || {
        if state.model.is_builtin_group(&r.group) {
            Reply::status(status::no_route())
        } else {
            Reply::plain_not_found()
        }
    };
    let Some(ti) = state.model.by_resource(&r.group, &r.version, &r.resource) else {
        return not_found();
    };
    let rt = &state.model.types[ti];
    if r.subresource.is_some()
        || (!rt.namespaced && !r.path_namespace.is_empty())
        || (rt.namespaced && r.name.is_some() && r.path_namespace.is_empty())
    {
        return not_found();
    }
    match (ctx.method, &r.name) {
        ("GET", _) if is_watch(ctx) => Reply::status(status::bad_request(
            "watch is not supported by the kubeward fixture API server".into(),
        )),
        ("GET", None) => list(state, ctx, ti, &r.path_namespace),
        ("GET", Some(name)) => get(state, ctx, ti, &r.path_namespace, name),
        ("PATCH", Some(name)) => patch(state, ctx, ti, &r.path_namespace, name),
        _ => Reply::status(status::method_not_allowed()),
    }
}

/// The representation chosen from `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Json,
    /// `meta.k8s.io` Table in this version.
    Table(&'static str),
    /// `PartialObjectMetadata` (get) or `PartialObjectMetadataList` (list) in this version.
    Metadata(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Discovery,
    List,
    Get,
}

/// The first acceptable alternative of an `Accept` header (`None`: 406).
fn negotiate(accept: Option<&str>, endpoint: Endpoint) -> Option<Want> {
    let accept = accept.map(str::trim).filter(|a| !a.is_empty());
    let Some(accept) = accept else {
        return Some(Want::Json);
    };
    for alternative in accept.split(',') {
        let mut pieces = alternative.split(';').map(str::trim);
        let mime = pieces.next().unwrap_or_default().to_ascii_lowercase();
        if !matches!(mime.as_str(), "application/json" | "*/*" | "application/*") {
            continue;
        }
        let mut params: HashMap<String, String> = HashMap::new();
        for p in pieces {
            if let Some((k, v)) = p.split_once('=') {
                params.insert(
                    k.trim().to_ascii_lowercase(),
                    v.trim().trim_matches('"').to_string(),
                );
            }
        }
        let Some(as_kind) = params.get("as") else {
            return Some(Want::Json);
        };
        if params.get("g").map(String::as_str) != Some("meta.k8s.io") {
            continue;
        }
        let version: &'static str = match params.get("v").map(String::as_str) {
            Some("v1") => "v1",
            Some("v1beta1") => "v1beta1",
            _ => continue,
        };
        match (as_kind.as_str(), endpoint) {
            ("Table", Endpoint::List | Endpoint::Get) => return Some(Want::Table(version)),
            ("PartialObjectMetadataList", Endpoint::List)
            | ("PartialObjectMetadata", Endpoint::Get) => {
                return Some(Want::Metadata(version));
            }
            _ => {}
        }
    }
    None
}

/// `metav1.ListMeta` JSON (`resourceVersion`, `continue`, `remainingItemCount`).
fn list_meta(rv: &str, continue_token: Option<&str>, remaining: Option<usize>) -> String {
    let mut out = String::from("{");
    if !rv.is_empty() {
        out.push_str("\"resourceVersion\":");
        out.push_str(&json::string(rv));
    }
    if let Some(c) = continue_token {
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str("\"continue\":");
        out.push_str(&json::string(c));
    }
    if let Some(n) = remaining {
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str(&format!("\"remainingItemCount\":{n}"));
    }
    out.push('}');
    out
}

/// A page of a list.
#[derive(Debug)]
struct Page {
    items: Vec<Arc<Stored>>,
    rv: String,
    continue_token: Option<String>,
    remaining: Option<usize>,
}

fn list(state: &State, ctx: &Ctx<'_>, ti: usize, namespace: &str) -> Reply {
    let rt = &state.model.types[ti];
    let Some(want) = negotiate(ctx.accept, Endpoint::List) else {
        return Reply::status(status::not_acceptable());
    };
    let page = match page(state, ctx, ti, namespace) {
        Ok(p) => p,
        Err(s) => return Reply::status(*s),
    };
    let mut out =
        Vec::with_capacity(page.items.iter().map(|i| i.item.len() + 1).sum::<usize>() + 256);
    let meta = list_meta(&page.rv, page.continue_token.as_deref(), page.remaining);
    match want {
        Want::Json if rt.custom => {
            // An UnstructuredList: Go map, sorted keys, `continue` always present.
            out.extend_from_slice(b"{\"apiVersion\":");
            out.extend_from_slice(json::string(&rt.group_version()).as_bytes());
            out.extend_from_slice(b",\"items\":[");
            join(&mut out, page.items.iter().map(|i| i.item.as_slice()));
            out.extend_from_slice(b"],\"kind\":");
            out.extend_from_slice(json::string(&format!("{}List", rt.kind)).as_bytes());
            out.extend_from_slice(b",\"metadata\":{\"continue\":");
            out.extend_from_slice(
                json::string(page.continue_token.as_deref().unwrap_or_default()).as_bytes(),
            );
            if let Some(n) = page.remaining {
                out.extend_from_slice(format!(",\"remainingItemCount\":{n}").as_bytes());
            }
            out.extend_from_slice(b",\"resourceVersion\":");
            out.extend_from_slice(json::string(&page.rv).as_bytes());
            out.extend_from_slice(b"}}\n");
        }
        Want::Json => {
            out.extend_from_slice(b"{\"kind\":");
            out.extend_from_slice(json::string(&format!("{}List", rt.kind)).as_bytes());
            out.extend_from_slice(b",\"apiVersion\":");
            out.extend_from_slice(json::string(&rt.group_version()).as_bytes());
            out.extend_from_slice(b",\"metadata\":");
            out.extend_from_slice(meta.as_bytes());
            out.extend_from_slice(b",\"items\":[");
            join(&mut out, page.items.iter().map(|i| i.item.as_slice()));
            out.extend_from_slice(b"]}\n");
        }
        Want::Metadata(v) => {
            out.extend_from_slice(
                format!("{{\"kind\":\"PartialObjectMetadataList\",\"apiVersion\":\"meta.k8s.io/{v}\",\"metadata\":")
                    .as_bytes(),
            );
            out.extend_from_slice(meta.as_bytes());
            out.extend_from_slice(b",\"items\":[");
            for (i, item) in page.items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                partial_object_metadata(&mut out, v, item);
            }
            out.extend_from_slice(b"]}\n");
        }
        Want::Table(v) => table(&mut out, rt, v, &meta, &page.items, ctx, true),
    }
    Reply::ok(out)
}

fn join<'a>(out: &mut Vec<u8>, items: impl Iterator<Item = &'a [u8]>) {
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(item);
    }
}

/// Selects the page a list request asks for (`limit`, `continue`, `resourceVersion`).
fn page(state: &State, ctx: &Ctx<'_>, ti: usize, namespace: &str) -> Result<Page, Box<Status>> {
    let continue_param = ctx.param("continue").filter(|c| !c.is_empty());
    let rv_param = ctx.param("resourceVersion").unwrap_or_default();
    if continue_param.is_some() && !rv_param.is_empty() && rv_param != "0" {
        return Err(Box::new(status::bad_request(
            "specifying resource version is not allowed when using continue".into(),
        )));
    }
    let resume = continue_param
        .map(paging::decode)
        .transpose()
        .map_err(|e| Box::new(status::bad_request(e)))?;
    let store = state
        .store
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(r) = &resume
        && r.rv > 0
        && (state.expire_continue_tokens || r.rv <= store.compacted)
    {
        return Err(Box::new(status::continue_expired(paging::encode_start(
            &r.start, -1,
        ))));
    }
    let list_rv: i64 = match &resume {
        Some(r) if r.rv > 0 => r.rv,
        _ => i64::try_from(store.rv).unwrap_or(i64::MAX),
    };
    let mut limit = ctx
        .param("limit")
        .and_then(|l| l.parse::<i64>().ok())
        .filter(|l| *l > 0)
        .map(|l| usize::try_from(l).unwrap_or(usize::MAX));
    // resourceVersion=0 without continue is served from the watch cache, which ignores limit.
    if rv_param == "0" && resume.is_none() {
        limit = None;
    }
    if let Some(max) = state.page_size_max {
        limit = Some(limit.map_or(max, |l| l.min(max)));
    }
    let prefix = if namespace.is_empty() {
        String::new()
    } else {
        format!("{namespace}/")
    };
    let start = format!(
        "{prefix}{}",
        resume.as_ref().map_or("", |r| r.start.as_str())
    );
    let Some(collection) = store.collections.get(ti) else {
        return Err(Box::new(status::no_route()));
    };
    let mut iter = collection
        .range::<String, _>(start..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(_, v)| v);
    let items: Vec<Arc<Stored>> = match limit {
        Some(n) => iter.by_ref().take(n).cloned().collect(),
        None => iter.by_ref().cloned().collect(),
    };
    let remaining = iter.count();
    let (continue_token, remaining) = match items.last() {
        Some(last) if remaining > 0 => {
            let key = last.key();
            let relative = key.get(prefix.len()..).unwrap_or_default();
            (Some(paging::encode(relative, list_rv)), Some(remaining))
        }
        _ => (None, None),
    };
    Ok(Page {
        items,
        rv: list_rv.to_string(),
        continue_token,
        remaining,
    })
}

fn partial_object_metadata(out: &mut Vec<u8>, version: &str, item: &Stored) {
    out.extend_from_slice(
        format!("{{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s.io/{version}\",\"metadata\":").as_bytes(),
    );
    out.extend_from_slice(&item.meta);
    out.push(b'}');
}

const NAME_DESCRIPTION: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: http://kubernetes.io/docs/user-guide/identifiers#names";
const CREATED_DESCRIPTION: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
const SECRET_TYPE_DESCRIPTION: &str = "Used to facilitate programmatic handling of secret data. More info: https://kubernetes.io/docs/concepts/configuration/secret/#secret-types";
const SECRET_DATA_DESCRIPTION: &str = "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4";

/// Which table convertor the real server uses for a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Printer {
    /// `pkg/printers/internalversion`: Name, Type, Data, Age.
    Secret,
    /// Name, Status, Age.
    Namespace,
    /// The CRD convertor without printer columns: Name, Age (date).
    Custom,
    /// `rest.NewDefaultTableConvertor`: Name, Created At.
    Default,
}

fn printer(rt: &ResourceType) -> Printer {
    match (rt.custom, rt.group.as_str(), rt.kind.as_str()) {
        (true, _, _) => Printer::Custom,
        (false, "", "Secret") => Printer::Secret,
        (false, "", "Namespace") => Printer::Namespace,
        _ => Printer::Default,
    }
}

/// A `meta.k8s.io` Table of `items`.
fn table(
    out: &mut Vec<u8>,
    rt: &ResourceType,
    version: &str,
    meta: &str,
    items: &[Arc<Stored>],
    ctx: &Ctx<'_>,
    list: bool,
) {
    let printer = printer(rt);
    let column = |name: &str, ty: &str, format: &str, description: &str| json!({"name": name, "type": ty, "format": format, "description": description, "priority": 0});
    let columns = match printer {
        Printer::Secret => vec![
            column("Name", "string", "name", NAME_DESCRIPTION),
            column("Type", "string", "", SECRET_TYPE_DESCRIPTION),
            column("Data", "string", "", SECRET_DATA_DESCRIPTION),
            column("Age", "string", "", CREATED_DESCRIPTION),
        ],
        Printer::Namespace => vec![
            column("Name", "string", "name", NAME_DESCRIPTION),
            column("Status", "string", "", "The status of the namespace"),
            column("Age", "string", "", CREATED_DESCRIPTION),
        ],
        Printer::Custom => vec![
            column("Name", "string", "name", NAME_DESCRIPTION),
            column("Age", "date", "", CREATED_DESCRIPTION),
        ],
        Printer::Default => vec![
            column("Name", "string", "name", NAME_DESCRIPTION),
            column("Created At", "date", "", CREATED_DESCRIPTION),
        ],
    };
    let now = timefmt::now_unix();
    let age = |s: &Stored| match timefmt::parse_rfc3339(&s.creation_timestamp) {
        Some(t) => timefmt::human_duration(now - t),
        None => "<unknown>".to_string(),
    };
    let include = ctx.param("includeObject").unwrap_or("Metadata");
    out.extend_from_slice(
        format!("{{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/{version}\",\"metadata\":")
            .as_bytes(),
    );
    out.extend_from_slice(meta.as_bytes());
    out.extend_from_slice(b",\"columnDefinitions\":");
    json::write(out, &Value::Array(columns));
    out.extend_from_slice(b",\"rows\":");
    if items.is_empty() && printer == Printer::Default && list {
        // The default convertor leaves a nil slice.
        out.extend_from_slice(b"null");
    } else {
        out.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let cells = match printer {
                Printer::Secret => {
                    let (ty, n) = item
                        .table
                        .secret
                        .clone()
                        .unwrap_or_else(|| ("Opaque".into(), 0));
                    json!([item.name, ty, n, age(item)])
                }
                Printer::Namespace => json!([
                    item.name,
                    item.table.phase.clone().unwrap_or_default(),
                    age(item)
                ]),
                Printer::Custom | Printer::Default => json!([item.name, item.creation_timestamp]),
            };
            out.extend_from_slice(b"{\"cells\":");
            json::write(out, &cells);
            out.extend_from_slice(b",\"object\":");
            match include {
                "None" => out.extend_from_slice(b"null"),
                "Object" => out.extend_from_slice(&item.full(rt)),
                _ => partial_object_metadata(out, version, item),
            }
            out.push(b'}');
        }
        out.push(b']');
    }
    out.extend_from_slice(b"}\n");
}

fn get(state: &State, ctx: &Ctx<'_>, ti: usize, namespace: &str, name: &str) -> Reply {
    let rt = &state.model.types[ti];
    let Some(want) = negotiate(ctx.accept, Endpoint::Get) else {
        return Reply::status(status::not_acceptable());
    };
    let found = state
        .store
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(ti, namespace, name);
    let Some(obj) = found else {
        return Reply::status(status::not_found(&rt.group, &rt.resource, name));
    };
    let mut out = Vec::with_capacity(obj.item.len() + 128);
    match want {
        Want::Json => out.extend_from_slice(&obj.full(rt)),
        Want::Metadata(v) => partial_object_metadata(&mut out, v, &obj),
        Want::Table(v) => {
            let meta = list_meta(&obj.resource_version, None, None);
            table(
                &mut out,
                rt,
                v,
                &meta,
                std::slice::from_ref(&obj),
                ctx,
                false,
            );
            return Reply::ok(out);
        }
    }
    out.push(b'\n');
    Reply::ok(out)
}

/// PATCH: server-side apply (create or replace) and JSON merge patch.
fn patch(state: &State, ctx: &Ctx<'_>, ti: usize, namespace: &str, name: &str) -> Reply {
    let rt = &state.model.types[ti];
    let content_type = ctx
        .content_type
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let apply = match content_type.as_str() {
        "application/apply-patch+yaml" => true,
        "application/merge-patch+json" => false,
        "application/strategic-merge-patch+json" if !rt.custom => false,
        _ => return Reply::status(status::unsupported_patch()),
    };
    if apply && ctx.param("fieldManager").is_none_or(str::is_empty) {
        return Reply::status(status::apply_needs_field_manager());
    }
    let patch_value = if apply {
        parse_apply_body(ctx.body)
    } else {
        serde_json::from_slice::<Value>(ctx.body).map_err(|e| format!("error decoding patch: {e}"))
    };
    let patch_value = match patch_value {
        Ok(Value::Object(m)) => Value::Object(m),
        Ok(_) => return Reply::status(status::bad_request("the patch must be an object".into())),
        Err(e) => return Reply::status(status::bad_request(e)),
    };

    let mut store = state
        .store
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let existing = store.get(ti, namespace, name);
    let mut value = if apply {
        if let Err(e) = check_applied(rt, &patch_value, namespace, name) {
            return Reply::status(status::bad_request(e));
        }
        patch_value
    } else {
        let Some(old) = &existing else {
            return Reply::status(status::not_found(&rt.group, &rt.resource, name));
        };
        let mut v = old.value(rt);
        merge_patch(&mut v, &patch_value);
        v
    };
    // Identity fields: the URL decides, the server keeps uid and creationTimestamp.
    let old_value = existing.as_ref().map(|o| o.value(rt));
    if let Value::Object(obj) = &mut value {
        obj.insert("apiVersion".into(), Value::String(rt.group_version()));
        obj.insert("kind".into(), Value::String(rt.kind.clone()));
        let new_generation = generation(old_value.as_ref(), &value_without_meta(obj));
        let meta = obj
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if !meta.is_object() {
            *meta = Value::Object(Map::new());
        }
        if let Value::Object(meta) = meta {
            meta.insert("name".into(), Value::String(name.to_string()));
            if rt.namespaced {
                meta.insert("namespace".into(), Value::String(namespace.to_string()));
            }
            for k in ["uid", "resourceVersion", "creationTimestamp", "generation"] {
                meta.remove(k);
            }
            if let Some(old_meta) = old_value.as_ref().and_then(|o| o["metadata"].as_object()) {
                for k in ["uid", "creationTimestamp"] {
                    if let Some(v) = old_meta.get(k) {
                        meta.insert(k.into(), v.clone());
                    }
                }
            }
            if rt.custom {
                meta.insert("generation".into(), json!(new_generation));
            }
        }
    }
    let rv = store.rv + 1;
    let fill = Fill {
        rv,
        force_rv: true,
        creation_timestamp: &state.creation_timestamp,
        uid: None,
    };
    let stored = match store::prepare(rt, value, &fill) {
        Ok(s) => s,
        Err(e) => return Reply::status(status::bad_request(e)),
    };
    let body = {
        let mut b = stored.full(rt);
        b.push(b'\n');
        b
    };
    // dryRun=All validates and answers without persisting.
    if ctx.param("dryRun") != Some("All") {
        store.rv = rv;
        store.insert(ti, stored);
    }
    Reply::json(if existing.is_some() { 200 } else { 201 }, body)
}

fn value_without_meta(obj: &Map<String, Value>) -> Value {
    Value::Object(
        obj.iter()
            .filter(|(k, _)| k.as_str() != "metadata")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// `metadata.generation` of a custom resource after a write: 1 on create, +1 when anything
/// but metadata changed.
fn generation(old: Option<&Value>, new_content: &Value) -> i64 {
    let Some(old) = old else { return 1 };
    let old_generation = old["metadata"]["generation"].as_i64().unwrap_or(1);
    let old_content = old
        .as_object()
        .map(value_without_meta)
        .unwrap_or(Value::Null);
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Value::Object(m) = &mut v {
            m.remove("apiVersion");
            m.remove("kind");
        }
        json::sorted(v)
    };
    if strip(&old_content) == strip(new_content) {
        old_generation
    } else {
        old_generation + 1
    }
}

/// The body of a server-side apply: one YAML or JSON object.
fn parse_apply_body(body: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("error decoding YAML: {e}"))?;
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|e| format!("error decoding YAML: {e}"));
    }
    let mut loaded = kubeward_load::Loaded::default();
    kubeward_load::load_bytes(
        "apply".into(),
        body,
        false,
        &kubeward_load::Options::default(),
        &mut loaded,
    );
    if let Some(e) = loaded.errors.first() {
        return Err(format!("error decoding YAML: {}", e.message));
    }
    match loaded.objects.as_slice() {
        [one] => Ok(one.root.to_json()),
        [] => Err("error decoding YAML: Object 'Kind' is missing".into()),
        _ => Err("error decoding YAML: expected exactly one object".into()),
    }
}

/// What the apply handler checks before anything else.
fn check_applied(rt: &ResourceType, v: &Value, namespace: &str, name: &str) -> Result<(), String> {
    let api_version = v["apiVersion"].as_str().unwrap_or_default();
    if api_version != rt.group_version() {
        return Err(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({})",
            rt.group_version()
        ));
    }
    let kind = v["kind"].as_str().unwrap_or_default();
    if kind != rt.kind {
        return Err(format!(
            "the kind in the data ({kind}) does not match the expected kind ({})",
            rt.kind
        ));
    }
    if let Some(n) = v["metadata"]["name"].as_str()
        && !n.is_empty()
        && n != name
    {
        return Err(format!(
            "the name of the object ({n}) does not match the name on the URL ({name})"
        ));
    }
    if let Some(ns) = v["metadata"]["namespace"].as_str()
        && rt.namespaced
        && !ns.is_empty()
        && ns != namespace
    {
        return Err(
            "the namespace of the provided object does not match the namespace sent on the request"
                .into(),
        );
    }
    Ok(())
}

/// RFC 7386 JSON merge patch.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// Decoded `key=value` pairs of a query string.
pub(crate) fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_like_the_apiserver() {
        use Endpoint::*;
        assert_eq!(negotiate(None, List), Some(Want::Json));
        assert_eq!(
            negotiate(
                Some("application/json;as=Table;v=v1;g=meta.k8s.io,application/json"),
                List
            ),
            Some(Want::Table("v1"))
        );
        assert_eq!(
            negotiate(
                Some("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"),
                List
            ),
            Some(Want::Metadata("v1"))
        );
        assert_eq!(
            negotiate(
                Some("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"),
                Get
            ),
            None
        );
        assert_eq!(
            negotiate(
                Some(
                    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
                ),
                Discovery
            ),
            Some(Want::Json)
        );
        assert_eq!(
            negotiate(Some("application/vnd.kubernetes.protobuf"), List),
            None
        );
    }

    #[test]
    fn decodes_queries() {
        assert_eq!(
            query_pairs("limit=2&continue=a%3D%3D&x"),
            vec![
                ("limit".into(), "2".into()),
                ("continue".into(), "a==".into()),
                ("x".into(), String::new())
            ]
        );
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("a%2"), "a%2");
    }

    #[test]
    fn merge_patch_follows_rfc7386() {
        let mut t = json!({"a": {"b": 1, "c": 2}, "d": [1]});
        merge_patch(&mut t, &json!({"a": {"b": null, "e": 3}, "d": [2]}));
        assert_eq!(t, json!({"a": {"c": 2, "e": 3}, "d": [2]}));
    }
}
