//! The CIS checks, evaluated on the node's effective configuration.
//!
//! Status follows kube-bench's semantics so results compare: `pass`; `fail` when an automated
//! (scored) recommendation is not met; `warn` when a manual one is not met, when it can only
//! be reviewed by a person, or when the node does not show enough to decide; `info` when the
//! recommendation does not apply here (no scheduler on this node, no kube-proxy kubeconfig).
//! Unlike kube-bench, values are the *effective* ones: defaults count (an absent
//! `--profiling` is `true`; an absent kubelet `authorization.mode` is `Webhook` with a config
//! file and `AlwaysAllow` without one), and every observed value names its source.

use crate::auditpolicy::Policy;
use crate::bench::{self, Benchmark, Def, Target};
use crate::config::{Component, NodeConfig};
use crate::encryption::{self, Analysis, Verdict as EncVerdict};
use crate::error::Problem;
use crate::flags::{parse_bool, parse_gates, split_list};
use crate::fsroot::{octal, within};
use crate::kubelet::Kubelet;
use crate::origin::{Origin, Setting};
use crate::yamlfile::{expect_kind, parse_file, text_of};
use kubeward_core::{Node, Severity};
use serde::Serialize;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Warn,
    Info,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Warn => "warn",
            Status::Info => "info",
        }
    }
}

/// A value the check looked at: a flag, a config field, a file's mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Observed {
    /// `--anonymous-auth`, `authentication.anonymous.enabled`, a file path, ...
    pub name: String,
    /// `None`: not set (and no default applies).
    pub value: Option<String>,
    pub source: Option<Origin>,
}

impl Observed {
    pub fn new(name: impl Into<String>, value: Option<String>, source: Option<Origin>) -> Self {
        Observed {
            name: name.into(),
            value,
            source,
        }
    }

    fn setting(name: impl Into<String>, s: &Setting) -> Self {
        Observed::new(name, Some(s.value.clone()), Some(s.source.clone()))
    }

    fn unset(name: impl Into<String>) -> Self {
        Observed::new(name, None, None)
    }
}

/// The result of one recommendation on this node.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    /// The benchmark's id (`1.2.6`).
    pub id: String,
    /// The group's title (`API Server`).
    pub group: &'static str,
    pub title: &'static str,
    /// Automated (scored) recommendation, or manual.
    pub automated: bool,
    pub status: Status,
    /// The KW6xx rule this recommendation belongs to.
    pub code: &'static str,
    pub rule: &'static str,
    /// How grave it is that the recommendation is not met (`null` on pass and info).
    pub severity: Option<Severity>,
    pub observed: Vec<Observed>,
    /// One sentence: why this status.
    pub reason: String,
    /// More: each file that failed, each encryption or audit-policy observation.
    pub details: Vec<String>,
    pub remediation: &'static str,
    /// The recommendation's stable key (its cis-1.12 id).
    #[serde(skip)]
    pub key: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum V {
    Ok,
    Bad,
    Unknown,
    NotApplicable,
}

#[derive(Debug)]
struct Eval {
    v: V,
    observed: Vec<Observed>,
    reason: String,
    details: Vec<String>,
    severity: Option<Severity>,
}

impl Eval {
    fn new(v: V, reason: impl Into<String>) -> Eval {
        Eval {
            v,
            observed: Vec::new(),
            reason: reason.into(),
            details: Vec::new(),
            severity: None,
        }
    }
    fn ok(reason: impl Into<String>) -> Eval {
        Eval::new(V::Ok, reason)
    }
    fn bad(reason: impl Into<String>) -> Eval {
        Eval::new(V::Bad, reason)
    }
    fn unknown(reason: impl Into<String>) -> Eval {
        Eval::new(V::Unknown, reason)
    }
    fn na(reason: impl Into<String>) -> Eval {
        Eval::new(V::NotApplicable, reason)
    }
    fn when(ok: bool, good: impl Into<String>, bad: impl Into<String>) -> Eval {
        if ok { Eval::ok(good) } else { Eval::bad(bad) }
    }
    fn obs(mut self, o: Observed) -> Eval {
        self.observed.push(o);
        self
    }
    fn detail(mut self, d: impl Into<String>) -> Eval {
        self.details.push(d.into());
        self
    }
    fn severity(mut self, s: Severity) -> Eval {
        self.severity = Some(s);
        self
    }
}

/// `anonymous` of an `AuthenticationConfiguration`: enabled, limited to health endpoints, where.
pub type Anonymous = (bool, bool, Origin);

/// What the checks share: the configuration and the files referenced from it, parsed once.
#[derive(Debug)]
pub struct Context<'a> {
    pub cfg: &'a NodeConfig,
    pub bench: Benchmark,
    pub encryption: Option<Result<Analysis, Problem>>,
    pub policy: Option<Result<Policy, Problem>>,
    /// Authorizer types from `--authorization-config`.
    pub authorizers: Option<Result<(Vec<String>, Origin), Problem>>,
    /// `anonymous` of `--authentication-config`: enabled, health-only conditions, origin.
    pub anonymous: Option<Result<Option<Anonymous>, Problem>>,
}

impl<'a> Context<'a> {
    /// Reads the files the API server's flags name (encryption configuration, audit policy,
    /// structured authorization and authentication configuration).
    pub fn new(cfg: &'a NodeConfig, bench: Benchmark) -> Context<'a> {
        let api = cfg.apiserver.as_ref();
        let file_flag = |flag: &str| {
            api.and_then(|a| a.flag(flag))
                .filter(|s| !s.value.is_empty())
        };
        let encryption = file_flag("encryption-provider-config")
            .map(|s| encryption::analyse(&cfg.root, &s.value));
        let policy = file_flag("audit-policy-file").map(|s| {
            cfg.root
                .read(&s.value)
                .and_then(|text| Policy::parse(&s.value, &text))
        });
        let authorizers =
            file_flag("authorization-config").map(|s| authorization_config(cfg, &s.value));
        let anonymous =
            file_flag("authentication-config").map(|s| authentication_config(cfg, &s.value));
        Context {
            cfg,
            bench,
            encryption,
            policy,
            authorizers,
            anonymous,
        }
    }

    /// Problems met reading the referenced files.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        if let Some(Err(e)) = &self.encryption {
            out.push(e.clone());
        }
        if let Some(Err(e)) = &self.policy {
            out.push(e.clone());
        }
        if let Some(Err(e)) = &self.authorizers {
            out.push(e.clone());
        }
        if let Some(Err(e)) = &self.anonymous {
            out.push(e.clone());
        }
        out
    }
}

fn authorization_config(cfg: &NodeConfig, path: &str) -> Result<(Vec<String>, Origin), Problem> {
    let doc = parse_file(&cfg.root, path)?;
    expect_kind(
        path,
        &doc,
        "AuthorizationConfiguration",
        &["apiserver.config.k8s.io"],
    )?;
    let list = doc.get("authorizers").map(Node::items).unwrap_or_default();
    if list.is_empty() {
        return Err(Problem::new(
            path,
            doc.pos.line,
            doc.pos.col,
            "expected a non-empty `authorizers` list",
        ));
    }
    let mut types = Vec::new();
    for a in list {
        match a.get("type").and_then(Node::as_str) {
            Some(t) => types.push(t.to_string()),
            None => {
                return Err(Problem::new(
                    path,
                    a.pos.line,
                    a.pos.col,
                    "expected `type` in the authorizer",
                ));
            }
        }
    }
    Ok((types, Origin::file(path, list[0].pos.line)))
}

fn authentication_config(cfg: &NodeConfig, path: &str) -> Result<Option<Anonymous>, Problem> {
    let doc = parse_file(&cfg.root, path)?;
    expect_kind(
        path,
        &doc,
        "AuthenticationConfiguration",
        &["apiserver.config.k8s.io"],
    )?;
    let Some(anon) = doc.get("anonymous") else {
        return Ok(None);
    };
    let enabled = anon.get("enabled").and_then(Node::as_bool).unwrap_or(false);
    let conditions = anon.get("conditions").map(Node::items).unwrap_or_default();
    let health_only = !conditions.is_empty()
        && conditions.iter().all(|c| {
            matches!(
                c.get("path").and_then(Node::as_str),
                Some("/healthz" | "/livez" | "/readyz")
            )
        });
    Ok(Some((
        enabled,
        health_only,
        Origin::file(path, anon.pos.line),
    )))
}

/// Runs every recommendation of the benchmark that applies to the node's roles.
pub fn run(cx: &Context<'_>) -> Vec<CheckResult> {
    let cfg = cx.cfg;
    let control_plane =
        cfg.apiserver.is_some() || cfg.controller_manager.is_some() || cfg.scheduler.is_some();
    let mut out = Vec::new();
    for item in bench::items(cx.bench) {
        let applies = match item.def.target {
            Target::Master | Target::ControlPlane => control_plane,
            Target::Etcd => cfg.etcd.is_some(),
            Target::Node => cfg.kubelet.is_some(),
        };
        if !applies {
            continue;
        }
        let e = evaluate(cx, item.def);
        out.push(finish(item.id, item.title, item.def, e));
    }
    out
}

fn finish(id: String, title: &'static str, def: &'static Def, e: Eval) -> CheckResult {
    let status = if def.manual_only && e.v != V::NotApplicable {
        Status::Warn
    } else {
        match e.v {
            V::Ok => Status::Pass,
            V::Bad if def.automated => Status::Fail,
            V::Bad | V::Unknown => Status::Warn,
            V::NotApplicable => Status::Info,
        }
    };
    let severity = match status {
        Status::Fail | Status::Warn => Some(e.severity.unwrap_or(def.severity)),
        _ => None,
    };
    CheckResult {
        group: bench::group_title(&id),
        id,
        title,
        automated: def.automated,
        status,
        code: def.rule.code,
        rule: def.rule.name,
        severity,
        observed: e.observed,
        reason: if def.manual_only && e.v != V::NotApplicable {
            format!("manual review: {}", e.reason)
        } else {
            e.reason
        },
        details: e.details,
        remediation: def.remediation,
        key: def.key,
    }
}

fn evaluate(cx: &Context<'_>, def: &Def) -> Eval {
    let cfg = cx.cfg;
    let api = cfg.apiserver.as_ref();
    let cm = cfg.controller_manager.as_ref();
    let sched = cfg.scheduler.as_ref();
    let etcd = cfg.etcd.as_ref();
    let kl = cfg.kubelet.as_ref();
    match def.key {
        "1.1.1" => manifest_mode(cx, api, "kube-apiserver"),
        "1.1.2" => manifest_owner(cx, api, "kube-apiserver"),
        "1.1.3" => manifest_mode(cx, cm, "kube-controller-manager"),
        "1.1.4" => manifest_owner(cx, cm, "kube-controller-manager"),
        "1.1.5" => manifest_mode(cx, sched, "kube-scheduler"),
        "1.1.6" => manifest_owner(cx, sched, "kube-scheduler"),
        "1.1.7" => manifest_mode(cx, etcd, "etcd"),
        "1.1.8" => manifest_owner(cx, etcd, "etcd"),
        "1.1.9" => files_mode(cx, &cni_files(cx), 0o600, "CNI files"),
        "1.1.10" => files_owner(cx, &cni_files(cx), "root", "root", "CNI files"),
        "1.1.11" => etcd_data_dir(cx, true),
        "1.1.12" => etcd_data_dir(cx, false),
        "1.1.13" => files_mode(cx, &admin_confs(cx), 0o600, "administrative kubeconfigs"),
        "1.1.14" => files_owner(
            cx,
            &admin_confs(cx),
            "root",
            "root",
            "administrative kubeconfigs",
        ),
        "1.1.15" => kubeconfig_of(cx, sched, "/etc/kubernetes/scheduler.conf", true),
        "1.1.16" => kubeconfig_of(cx, sched, "/etc/kubernetes/scheduler.conf", false),
        "1.1.17" => kubeconfig_of(cx, cm, "/etc/kubernetes/controller-manager.conf", true),
        "1.1.18" => kubeconfig_of(cx, cm, "/etc/kubernetes/controller-manager.conf", false),
        "1.1.19" => files_owner(cx, &pki(cx, |_| true), "root", "root", "PKI files"),
        "1.1.20" => files_mode(
            cx,
            &pki(cx, |p| p.ends_with(".crt")),
            bench::certificate_mode(cx.bench),
            "PKI certificates",
        ),
        "1.1.21" => files_mode(cx, &pki(cx, |p| p.ends_with(".key")), 0o600, "PKI keys"),
        "1.2.1" => with(api, "kube-apiserver", |c| anonymous_auth(cx, c)),
        "1.2.2" => with(api, "kube-apiserver", |c| unset(c, "token-auth-file")),
        "1.2.3" => with(api, "kube-apiserver", |c| {
            plugin_enabled(c, "DenyServiceExternalIPs")
        }),
        "1.2.4" => with(api, "kube-apiserver", |c| {
            all_set(c, &["kubelet-client-certificate", "kubelet-client-key"])
        }),
        "1.2.5" => with(api, "kube-apiserver", |c| {
            all_set(c, &["kubelet-certificate-authority"])
        }),
        "1.2.6" => with(api, "kube-apiserver", |c| {
            authorizer(cx, c, "AlwaysAllow", false)
        }),
        "1.2.7" => with(api, "kube-apiserver", |c| authorizer(cx, c, "Node", true)),
        "1.2.8" => with(api, "kube-apiserver", |c| authorizer(cx, c, "RBAC", true)),
        "1.2.9" => with(api, "kube-apiserver", |c| {
            plugin_enabled(c, "EventRateLimit")
        }),
        "1.2.10" => with(api, "kube-apiserver", |c| {
            plugin_not_enabled(c, "AlwaysAdmit")
        }),
        "1.2.11" => with(api, "kube-apiserver", |c| {
            plugin_enabled(c, "AlwaysPullImages")
        }),
        "1.2.12@1.8" => with(api, "kube-apiserver", |c| {
            let e = plugin_enabled(c, "SecurityContextDeny");
            if e.v == V::Ok {
                return e;
            }
            let p = plugin_enabled(c, "PodSecurityPolicy");
            if p.v == V::Ok { p } else { e }
        }),
        "1.2.12" => with(api, "kube-apiserver", |c| {
            plugin_not_disabled(c, "ServiceAccount")
        }),
        "1.2.13" => with(api, "kube-apiserver", |c| {
            plugin_not_disabled(c, "NamespaceLifecycle")
        }),
        "1.2.14" => with(api, "kube-apiserver", |c| {
            plugin_enabled(c, "NodeRestriction")
        }),
        "1.2.15" => with(api, "kube-apiserver", |c| {
            bool_flag(c, "profiling", false, true)
        }),
        "1.2.16" => with(api, "kube-apiserver", |c| {
            let e = all_set(c, &["audit-log-path"]);
            if e.v == V::Bad && c.flag("audit-webhook-config-file").is_some() {
                e.detail("--audit-webhook-config-file is set: events go to a webhook, but none to a log file")
            } else {
                e
            }
        }),
        "1.2.17" => with(api, "kube-apiserver", |c| {
            at_least(c, "audit-log-maxage", 30)
        }),
        "1.2.18" => with(api, "kube-apiserver", |c| {
            at_least(c, "audit-log-maxbackup", 10)
        }),
        "1.2.19" => with(api, "kube-apiserver", |c| {
            at_least(c, "audit-log-maxsize", 100)
        }),
        "1.2.20" => with(api, "kube-apiserver", |c| {
            let s = c.flag("request-timeout");
            Eval::ok("check that --request-timeout suits the cluster").obs(flag_obs(
                "--request-timeout",
                s.as_ref(),
                Some(("1m0s", "kube-apiserver default")),
            ))
        }),
        "1.2.21" => with(api, "kube-apiserver", |c| {
            bool_flag(c, "service-account-lookup", true, true)
        }),
        "1.2.22" => with(api, "kube-apiserver", |c| {
            all_set(c, &["service-account-key-file"])
        }),
        "1.2.23" => with(api, "kube-apiserver", |c| {
            all_set(c, &["etcd-certfile", "etcd-keyfile"])
        }),
        "1.2.24" => with(api, "kube-apiserver", |c| {
            all_set(c, &["tls-cert-file", "tls-private-key-file"])
        }),
        "1.2.25" => with(api, "kube-apiserver", |c| all_set(c, &["client-ca-file"])),
        "1.2.26" => with(api, "kube-apiserver", |c| all_set(c, &["etcd-cafile"])),
        "1.2.27" => with(api, "kube-apiserver", |c| encryption_flag(cx, c)),
        "1.2.28" => with(api, "kube-apiserver", |c| encryption_providers(cx, c)),
        "1.2.29" => with(api, "kube-apiserver", |c| {
            ciphers(
                "--tls-cipher-suites",
                c.flag("tls-cipher-suites"),
                bench::apiserver_ciphers(cx.bench),
            )
        }),
        "1.2.30" => with(api, "kube-apiserver", |c| {
            bool_flag(c, "service-account-extend-token-expiration", false, true)
        }),
        "1.3.1" => with(cm, "kube-controller-manager", |c| {
            all_set(c, &["terminated-pod-gc-threshold"])
        }),
        "1.3.2" => with(cm, "kube-controller-manager", |c| {
            bool_flag(c, "profiling", false, true)
        }),
        "1.3.3" => with(cm, "kube-controller-manager", |c| {
            bool_flag(c, "use-service-account-credentials", true, false)
        }),
        "1.3.4" => with(cm, "kube-controller-manager", |c| {
            all_set(c, &["service-account-private-key-file"])
        }),
        "1.3.5" => with(cm, "kube-controller-manager", |c| {
            all_set(c, &["root-ca-file"])
        }),
        "1.3.6" => with(cm, "kube-controller-manager", |c| {
            gate_not_false(c.flag("feature-gates"), "RotateKubeletServerCertificate")
        }),
        "1.3.7" => with(cm, "kube-controller-manager", bind_address),
        "1.4.1" => with(sched, "kube-scheduler", |c| {
            bool_flag(c, "profiling", false, true)
        }),
        "1.4.2" => with(sched, "kube-scheduler", bind_address),
        "2.1" => with(etcd, "etcd", |c| {
            etcd_set(
                c,
                &[
                    ("cert-file", "ETCD_CERT_FILE"),
                    ("key-file", "ETCD_KEY_FILE"),
                ],
            )
        }),
        "2.2" => with(etcd, "etcd", |c| {
            etcd_bool(c, "client-cert-auth", "ETCD_CLIENT_CERT_AUTH", true)
        }),
        "2.3" => with(etcd, "etcd", |c| {
            etcd_bool(c, "auto-tls", "ETCD_AUTO_TLS", false)
        }),
        "2.4" => with(etcd, "etcd", |c| {
            etcd_set(
                c,
                &[
                    ("peer-cert-file", "ETCD_PEER_CERT_FILE"),
                    ("peer-key-file", "ETCD_PEER_KEY_FILE"),
                ],
            )
        }),
        "2.5" => with(etcd, "etcd", |c| {
            etcd_bool(
                c,
                "peer-client-cert-auth",
                "ETCD_PEER_CLIENT_CERT_AUTH",
                true,
            )
        }),
        "2.6" => with(etcd, "etcd", |c| {
            etcd_bool(c, "peer-auto-tls", "ETCD_PEER_AUTO_TLS", false)
        }),
        "2.7" => with(etcd, "etcd", |c| etcd_unique_ca(cx, c)),
        "3.1.1" => Eval::ok("client certificates cannot be revoked; check how people authenticate"),
        "3.1.2" => Eval::ok("check that people do not use service-account tokens"),
        "3.1.3" => Eval::ok("check that bootstrap tokens are only used to join nodes"),
        "3.2.1" => with(api, "kube-apiserver", |c| audit_policy_set(cx, c)),
        "3.2.2" => with(api, "kube-apiserver", |_| audit_policy_concerns(cx)),
        "4.1.1" => with_kubelet(kl, |k| unit_files(cx, k, true)),
        "4.1.2" => with_kubelet(kl, |k| unit_files(cx, k, false)),
        "4.1.3" => proxy_kubeconfig(cx, true),
        "4.1.4" => proxy_kubeconfig(cx, false),
        "4.1.5" => with_kubelet(kl, |k| kubelet_kubeconfig(cx, k, true)),
        "4.1.6" => with_kubelet(kl, |k| kubelet_kubeconfig(cx, k, false)),
        "4.1.7" => with_kubelet(kl, |k| kubelet_ca_file(cx, k, true)),
        "4.1.8" => with_kubelet(kl, |k| kubelet_ca_file(cx, k, false)),
        "4.1.9" => with_kubelet(kl, |k| kubelet_config_files(cx, k, true)),
        "4.1.10" => with_kubelet(kl, |k| kubelet_config_files(cx, k, false)),
        "4.2.1" => with_kubelet(kl, |k| {
            kubelet_value(
                k,
                "anonymous-auth",
                &["authentication", "anonymous", "enabled"],
                |v| parse_bool(v) == Some(false),
                "anonymous requests are refused",
                "the kubelet API accepts anonymous requests (expected false)",
            )
        }),
        "4.2.2" => with_kubelet(kl, |k| {
            kubelet_value(
                k,
                "authorization-mode",
                &["authorization", "mode"],
                |v| !v.contains("AlwaysAllow"),
                "requests are authorized",
                "every request to the kubelet API is authorized",
            )
        }),
        "4.2.3" => with_kubelet(kl, |k| {
            kubelet_value(
                k,
                "client-ca-file",
                &["authentication", "x509", "clientCAFile"],
                |v| !v.is_empty(),
                "client certificates are verified",
                "the kubelet cannot verify client certificates (no client CA)",
            )
        }),
        "4.2.4" => with_kubelet(kl, |k| {
            kubelet_value(
                k,
                "read-only-port",
                &["readOnlyPort"],
                |v| v.trim() == "0",
                "the read-only port is off",
                "the unauthenticated read-only port is served (expected 0)",
            )
        }),
        "4.2.5" => with_kubelet(kl, |k| {
            kubelet_value(
                k,
                "streaming-connection-idle-timeout",
                &["streamingConnectionIdleTimeout"],
                |v| !is_zero_duration(v),
                "idle streaming connections time out",
                "0: idle streaming connections (exec, port-forward) never time out",
            )
        }),
        "4.2.6" => with_kubelet(kl, |k| {
            kubelet_value(
                k,
                "make-iptables-util-chains",
                &["makeIPTablesUtilChains"],
                |v| parse_bool(v) == Some(true),
                "the kubelet manages its iptables chains",
                "the kubelet does not manage its iptables chains (expected true)",
            )
        }),
        "4.2.7" => with_kubelet(kl, |k| {
            let s = k.cmd.get("hostname-override");
            let o = flag_obs("--hostname-override", s.as_ref(), None);
            Eval::when(
                s.is_none(),
                "not set",
                "set: TLS between the kubelet and the API server may not match the node's name",
            )
            .obs(o)
        }),
        "4.2.8" => with_kubelet(kl, |k| {
            kubelet_value(
                k,
                "event-qps",
                &["eventRecordQPS"],
                |v| v.trim().parse::<f64>().is_ok_and(|q| q >= 0.0),
                "events are recorded",
                "negative event rate",
            )
        }),
        "4.2.9" => with_kubelet(kl, kubelet_serving_cert),
        "4.2.10" => with_kubelet(kl, |k| {
            kubelet_value(
                k,
                "rotate-certificates",
                &["rotateCertificates"],
                |v| parse_bool(v) == Some(true),
                "client certificates are rotated",
                "client certificate rotation is off (expected true)",
            )
        }),
        "4.2.11" => with_kubelet(kl, |k| {
            let s = k.feature_gate("RotateKubeletServerCertificate");
            let o = match &s {
                Some(s) => Observed::setting("RotateKubeletServerCertificate", s),
                None => Observed::new(
                    "RotateKubeletServerCertificate",
                    Some("true".into()),
                    Some(Origin::Default("feature gate default (beta, on)")),
                ),
            };
            let off = s
                .as_ref()
                .is_some_and(|s| parse_bool(&s.value) == Some(false));
            Eval::when(
                !off,
                "serving certificates can be rotated",
                "the feature gate is disabled",
            )
            .obs(o)
        }),
        "4.2.12" => with_kubelet(kl, |k| {
            if k.config_failed && k.cmd.get("tls-cipher-suites").is_none() {
                return config_unknown(k);
            }
            ciphers(
                "tlsCipherSuites",
                k.setting(Some("tls-cipher-suites"), &["tlsCipherSuites"]),
                bench::kubelet_ciphers(cx.bench),
            )
        }),
        "4.2.13" => with_kubelet(kl, |k| {
            kubelet_value(
                k,
                "pod-max-pids",
                &["podPidsLimit"],
                |v| v.trim().parse::<i64>().is_ok_and(|n| n > 0),
                "pods have a PID limit",
                "no PID limit per pod (-1 is unlimited)",
            )
        }),
        "4.2.14" => with_kubelet(kl, |k| {
            kubelet_value(
                k,
                "seccomp-default",
                &["seccompDefault"],
                |v| parse_bool(v) == Some(true),
                "containers get the RuntimeDefault seccomp profile",
                "containers without a profile run unconfined (expected true)",
            )
        }),
        "4.2.15@1.11" => with_kubelet(kl, |k| {
            let d = k.unit.as_ref().and_then(|u| u.ip_address_deny.clone());
            match d {
                Some((v, o)) => {
                    Eval::when(v.split_whitespace().any(|w| w == "any"), "set", "not `any`")
                        .obs(Observed::new("IPAddressDeny", Some(v), Some(o)))
                }
                None => Eval::bad("IPAddressDeny= is not set in the kubelet's systemd unit")
                    .obs(Observed::unset("IPAddressDeny")),
            }
        }),
        "4.3.1" => proxy_metrics(cx),
        other => Eval::unknown(format!("no evaluation for {other}")),
    }
}

fn with(c: Option<&Component>, name: &str, f: impl FnOnce(&Component) -> Eval) -> Eval {
    match c {
        Some(c) => f(c),
        None => Eval::na(format!("{name} does not run on this node")),
    }
}

fn with_kubelet(k: Option<&Kubelet>, f: impl FnOnce(&Kubelet) -> Eval) -> Eval {
    match k {
        Some(k) => f(k),
        None => Eval::na("no kubelet on this node"),
    }
}

fn flag_obs(name: &str, s: Option<&Setting>, default: Option<(&str, &'static str)>) -> Observed {
    match (s, default) {
        (Some(s), _) => Observed::setting(name, s),
        (None, Some((v, what))) => {
            Observed::new(name, Some(v.to_string()), Some(Origin::Default(what)))
        }
        (None, None) => Observed::unset(name),
    }
}

// ---- files ---------------------------------------------------------------------------------

fn mode_line(cx: &Context<'_>, path: &str) -> Option<(u32, String)> {
    let st = cx.cfg.root.stat(path)?;
    Some((
        st.mode,
        format!("{} {}", octal(st.mode), cx.cfg.root.owner(&st)),
    ))
}

fn manifest_mode(cx: &Context<'_>, c: Option<&Component>, name: &str) -> Eval {
    match c.and_then(|c| c.manifest.as_deref()) {
        Some(m) => files_mode(cx, &[m.to_string()], 0o600, "manifest"),
        None => Eval::na(format!(
            "{name} does not run from a static pod manifest on this node"
        )),
    }
}

fn manifest_owner(cx: &Context<'_>, c: Option<&Component>, name: &str) -> Eval {
    match c.and_then(|c| c.manifest.as_deref()) {
        Some(m) => files_owner(cx, &[m.to_string()], "root", "root", "manifest"),
        None => Eval::na(format!(
            "{name} does not run from a static pod manifest on this node"
        )),
    }
}

/// Every file must be at most `max`; observed lists each file, details the offenders.
fn files_mode(cx: &Context<'_>, paths: &[String], max: u32, what: &str) -> Eval {
    let mut observed = Vec::new();
    let mut bad = Vec::new();
    for p in paths {
        let Some((mode, line)) = mode_line(cx, p) else {
            continue;
        };
        if !within(mode, max) {
            bad.push(format!(
                "{p}: {} (expected {} or more restrictive)",
                octal(mode),
                octal(max)
            ));
        }
        observed.push(Observed::new(
            p.clone(),
            Some(line),
            Some(Origin::file(p.clone(), 0)),
        ));
    }
    if observed.is_empty() {
        return Eval::na(format!("no {what} on this node"));
    }
    let mut e = if bad.is_empty() {
        Eval::ok(format!(
            "{} {what}: all {} or more restrictive",
            observed.len(),
            octal(max)
        ))
    } else {
        Eval::bad(format!(
            "{} of {} {what} more permissive than {}",
            bad.len(),
            observed.len(),
            octal(max)
        ))
    };
    e.details = bad;
    trim_observed(&mut observed);
    e.observed = observed;
    e
}

fn files_owner(cx: &Context<'_>, paths: &[String], user: &str, group: &str, what: &str) -> Eval {
    let root = &cx.cfg.root;
    let uid = root.user_id(user);
    let gid = root.group_id(group);
    let mut observed = Vec::new();
    let mut bad = Vec::new();
    for p in paths {
        let Some(st) = root.stat(p) else {
            continue;
        };
        let owner = root.owner(&st);
        if Some(st.uid) != uid || Some(st.gid) != gid {
            bad.push(format!("{p}: owned by {owner} (expected {user}:{group})"));
        }
        observed.push(Observed::new(
            p.clone(),
            Some(owner),
            Some(Origin::file(p.clone(), 0)),
        ));
    }
    if observed.is_empty() {
        return Eval::na(format!("no {what} on this node"));
    }
    let mut e = if bad.is_empty() {
        Eval::ok(format!(
            "{} {what}: all owned by {user}:{group}",
            observed.len()
        ))
    } else {
        Eval::bad(format!(
            "{} of {} {what} not owned by {user}:{group}",
            bad.len(),
            observed.len()
        ))
    };
    if uid.is_none() {
        e = e.detail(format!("the node has no user `{user}` (/etc/passwd)"));
    }
    e.details.extend(bad);
    trim_observed(&mut observed);
    e.observed = observed;
    e
}

/// Many files (the PKI): keep the report readable, the details list every offender.
fn trim_observed(observed: &mut Vec<Observed>) {
    const MAX: usize = 25;
    if observed.len() > MAX {
        let more = observed.len() - MAX;
        observed.truncate(MAX);
        observed.push(Observed::new(format!("… {more} more"), None, None));
    }
}

fn cni_files(cx: &Context<'_>) -> Vec<String> {
    let root = &cx.cfg.root;
    let dir = cx
        .cfg
        .kubelet
        .as_ref()
        .and_then(|k| k.cmd.get("cni-conf-dir"))
        .map_or_else(|| "/etc/cni/net.d".to_string(), |s| s.value);
    let mut out: Vec<String> = root
        .walk(&dir, 1000)
        .into_iter()
        .filter(|p| root.stat(p).is_some_and(|s| !s.is_dir))
        .collect();
    out.extend(
        root.walk("/var/lib/cni/networks", 1000)
            .into_iter()
            .filter(|p| root.stat(p).is_some_and(|s| !s.is_dir)),
    );
    out
}

fn admin_confs(cx: &Context<'_>) -> Vec<String> {
    [
        "/etc/kubernetes/admin.conf",
        "/etc/kubernetes/super-admin.conf",
    ]
    .into_iter()
    .filter(|p| cx.cfg.root.exists(p))
    .map(str::to_string)
    .collect()
}

fn pki(cx: &Context<'_>, keep: impl Fn(&str) -> bool) -> Vec<String> {
    cx.cfg
        .root
        .walk("/etc/kubernetes/pki", 10_000)
        .into_iter()
        .filter(|p| keep(p))
        .collect()
}

fn kubeconfig_of(cx: &Context<'_>, c: Option<&Component>, default: &str, mode: bool) -> Eval {
    let Some(c) = c else {
        return Eval::na("the component does not run on this node");
    };
    let path = c
        .flag("kubeconfig")
        .or_else(|| c.flag("authentication-kubeconfig"))
        .map_or_else(|| default.to_string(), |s| s.value);
    if mode {
        files_mode(cx, &[path], 0o600, "kubeconfig")
    } else {
        files_owner(cx, &[path], "root", "root", "kubeconfig")
    }
}

fn etcd_data_dir(cx: &Context<'_>, mode: bool) -> Eval {
    let Some(etcd) = cx.cfg.etcd.as_ref() else {
        return Eval::na("etcd does not run on this node");
    };
    let (dir, source) = match etcd.flag_or_env("data-dir", "ETCD_DATA_DIR") {
        Some(s) => (s.value, s.source),
        None => (
            "/var/lib/etcd/default.etcd".to_string(),
            Origin::Default("kube-bench's default etcd data directory"),
        ),
    };
    let root = &cx.cfg.root;
    let Some(st) = root.stat(&dir) else {
        return Eval::unknown(format!(
            "the etcd data directory {dir} is not visible on this filesystem"
        ))
        .obs(Observed::new("--data-dir", Some(dir), Some(source)));
    };
    let seen = Observed::new(
        dir.clone(),
        Some(format!("{} {}", octal(st.mode), root.owner(&st))),
        Some(source),
    );
    if mode {
        Eval::when(
            within(st.mode, 0o700),
            "700 or more restrictive",
            format!(
                "{} (expected 700 or more restrictive): other users can read the etcd database",
                octal(st.mode)
            ),
        )
        .obs(seen)
    } else {
        let uid = root.user_id("etcd");
        let gid = root.group_id("etcd");
        let mut e = Eval::when(
            Some(st.uid) == uid && Some(st.gid) == gid,
            "owned by etcd:etcd",
            format!("owned by {} (expected etcd:etcd)", root.owner(&st)),
        )
        .obs(seen);
        if uid.is_none() {
            e = e.detail("the node has no `etcd` user: etcd runs as root here (kubeadm's default); CIS expects a dedicated etcd user");
        }
        e
    }
}

fn unit_files(cx: &Context<'_>, k: &Kubelet, mode: bool) -> Eval {
    let files: Vec<String> = k.unit.as_ref().map(|u| u.files.clone()).unwrap_or_default();
    if files.is_empty() {
        return Eval::na("the kubelet is not run by a systemd unit found on this node");
    }
    if mode {
        files_mode(cx, &files, 0o600, "kubelet unit files")
    } else {
        files_owner(cx, &files, "root", "root", "kubelet unit files")
    }
}

fn kubelet_kubeconfig(cx: &Context<'_>, k: &Kubelet, mode: bool) -> Eval {
    let path = k
        .cmd
        .get("kubeconfig")
        .map_or_else(|| "/etc/kubernetes/kubelet.conf".to_string(), |s| s.value);
    if mode {
        files_mode(cx, &[path], 0o600, "kubelet kubeconfig")
    } else {
        files_owner(cx, &[path], "root", "root", "kubelet kubeconfig")
    }
}

fn kubelet_ca_file(cx: &Context<'_>, k: &Kubelet, mode: bool) -> Eval {
    let Some(ca) = k.path_setting(
        Some("client-ca-file"),
        &["authentication", "x509", "clientCAFile"],
    ) else {
        return Eval::na("the kubelet has no client CA file (see 4.2.3)");
    };
    let e = if mode {
        files_mode(
            cx,
            std::slice::from_ref(&ca.value),
            bench::certificate_mode(cx.bench),
            "client CA file",
        )
    } else {
        files_owner(
            cx,
            std::slice::from_ref(&ca.value),
            "root",
            "root",
            "client CA file",
        )
    };
    if e.v == V::NotApplicable {
        return Eval::unknown(format!(
            "the kubelet's client CA file {} does not exist",
            ca.value
        ))
        .obs(Observed::setting("clientCAFile", &ca));
    }
    e
}

fn kubelet_config_files(cx: &Context<'_>, k: &Kubelet, mode: bool) -> Eval {
    let files: Vec<String> = k.layers.iter().map(|(p, _)| p.clone()).collect();
    if files.is_empty() {
        if let Some(c) = &k.config_file {
            return Eval::unknown(format!(
                "the kubelet's --config {} could not be read",
                c.value
            ));
        }
        return Eval::na("the kubelet uses no config file");
    }
    if mode {
        files_mode(cx, &files, 0o600, "kubelet config files")
    } else {
        files_owner(cx, &files, "root", "root", "kubelet config files")
    }
}

fn proxy_kubeconfig(cx: &Context<'_>, mode: bool) -> Eval {
    let from_proxy = cx
        .cfg
        .proxy
        .as_ref()
        .and_then(|p| p.flag("kubeconfig"))
        .map(|s| s.value);
    let candidates: Vec<String> = match from_proxy {
        Some(p) => vec![p],
        None => [
            "/etc/kubernetes/proxy.conf",
            "/etc/kubernetes/kubelet-kubeconfig",
            "/etc/kubernetes/ssl/kubecfg-kube-proxy.yaml",
            "/var/lib/kube-proxy/kubeconfig",
        ]
        .into_iter()
        .map(str::to_string)
        .collect(),
    };
    let found: Vec<String> = candidates
        .into_iter()
        .filter(|p| cx.cfg.root.exists(p))
        .collect();
    if found.is_empty() {
        return Eval::na(
            "no kube-proxy kubeconfig on this node's filesystem (kubeadm keeps it in a ConfigMap)",
        );
    }
    if mode {
        files_mode(cx, &found, 0o600, "kube-proxy kubeconfig")
    } else {
        files_owner(cx, &found, "root", "root", "kube-proxy kubeconfig")
    }
}

// ---- flags ---------------------------------------------------------------------------------

fn unset(c: &Component, flag: &str) -> Eval {
    let s = c.flag(flag);
    let o = flag_obs(&format!("--{flag}"), s.as_ref(), None);
    Eval::when(s.is_none(), "not set", format!("--{flag} is set")).obs(o)
}

fn all_set(c: &Component, flags: &[&str]) -> Eval {
    let mut observed = Vec::new();
    let mut missing = Vec::new();
    for f in flags {
        let s = c.flag(f).filter(|s| !s.value.is_empty());
        if s.is_none() {
            missing.push(format!("--{f}"));
        }
        observed.push(flag_obs(&format!("--{f}"), s.as_ref(), None));
    }
    let mut e = Eval::when(
        missing.is_empty(),
        "set",
        format!("not set: {}", missing.join(", ")),
    );
    e.observed = observed;
    e
}

/// A boolean flag that should be `want`; `default` when absent.
fn bool_flag(c: &Component, flag: &str, want: bool, default: bool) -> Eval {
    let s = c.flag(flag);
    let (value, o) = match &s {
        Some(s) => (
            parse_bool(&s.value),
            Observed::setting(format!("--{flag}"), s),
        ),
        None => (
            Some(default),
            Observed::new(
                format!("--{flag}"),
                Some(default.to_string()),
                Some(Origin::Default("component default")),
            ),
        ),
    };
    match value {
        Some(v) => Eval::when(v == want, format!("{v}"), format!("{v} (expected {want})")).obs(o),
        None => Eval::bad(format!("not a boolean (expected {want})")).obs(o),
    }
}

fn at_least(c: &Component, flag: &str, min: i64) -> Eval {
    let s = c.flag(flag);
    let o = flag_obs(&format!("--{flag}"), s.as_ref(), None);
    match s.as_ref().map(|s| s.value.trim().parse::<i64>()) {
        None => Eval::bad(format!("not set (expected {min} or more)")).obs(o),
        Some(Ok(n)) => Eval::when(
            n >= min,
            format!("{n}"),
            format!("{n} (expected {min} or more)"),
        )
        .obs(o),
        Some(Err(_)) => Eval::bad(format!("not a number (expected {min} or more)")).obs(o),
    }
}

/// Enabled admission plugins: `--enable-admission-plugins` plus the deprecated
/// `--admission-control`.
fn enabled_plugins(c: &Component) -> (Vec<String>, Observed) {
    let mut list = Vec::new();
    let mut obs = None;
    for f in ["admission-control", "enable-admission-plugins"] {
        if let Some(s) = c.flag(f) {
            list.extend(split_list(&s.value));
            obs = Some(Observed::setting(format!("--{f}"), &s));
        }
    }
    (
        list,
        obs.unwrap_or_else(|| Observed::unset("--enable-admission-plugins")),
    )
}

fn plugin_enabled(c: &Component, plugin: &str) -> Eval {
    let (list, o) = enabled_plugins(c);
    Eval::when(
        list.iter().any(|p| p == plugin),
        format!("{plugin} is enabled"),
        format!("{plugin} is not in --enable-admission-plugins"),
    )
    .obs(o)
}

fn plugin_not_enabled(c: &Component, plugin: &str) -> Eval {
    let (list, o) = enabled_plugins(c);
    Eval::when(
        !list.iter().any(|p| p == plugin),
        format!("{plugin} is not enabled"),
        format!("{plugin} is enabled"),
    )
    .obs(o)
}

fn plugin_not_disabled(c: &Component, plugin: &str) -> Eval {
    let s = c.flag("disable-admission-plugins");
    let list = s.as_ref().map(|s| split_list(&s.value)).unwrap_or_default();
    Eval::when(
        !list.iter().any(|p| p == plugin),
        format!("{plugin} is not disabled"),
        format!("{plugin} is in --disable-admission-plugins"),
    )
    .obs(flag_obs("--disable-admission-plugins", s.as_ref(), None))
}

fn anonymous_auth(cx: &Context<'_>, c: &Component) -> Eval {
    if let Some(s) = c.flag("anonymous-auth") {
        let v = parse_bool(&s.value);
        return Eval::when(
            v == Some(false),
            "false",
            format!("{} (expected false)", s.value),
        )
        .obs(Observed::setting("--anonymous-auth", &s));
    }
    match &cx.anonymous {
        Some(Ok(Some((enabled, health_only, origin)))) => {
            let o = Observed::new(
                "anonymous.enabled",
                Some(enabled.to_string()),
                Some(origin.clone()),
            );
            if !enabled {
                Eval::ok("anonymous requests are refused (AuthenticationConfiguration)").obs(o)
            } else if *health_only {
                Eval::ok("anonymous requests are allowed only on /healthz, /livez and /readyz")
                    .obs(o)
            } else {
                Eval::bad("the AuthenticationConfiguration allows anonymous requests").obs(o)
            }
        }
        Some(Err(_)) => Eval::unknown("the --authentication-config file could not be read"),
        _ => Eval::bad("true (the default): anonymous requests are accepted").obs(Observed::new(
            "--anonymous-auth",
            Some("true".into()),
            Some(Origin::Default("kube-apiserver default")),
        )),
    }
}

/// `want`: whether `name` must be among the authorizers (`false`: must not).
fn authorizer(cx: &Context<'_>, c: &Component, name: &str, want: bool) -> Eval {
    let (modes, o) = match (&cx.authorizers, c.flag("authorization-mode")) {
        (Some(Ok((types, origin))), _) => (
            types.clone(),
            Observed::new("authorizers", Some(types.join(",")), Some(origin.clone())),
        ),
        (Some(Err(_)), _) => {
            return Eval::unknown("the --authorization-config file could not be read");
        }
        (None, Some(s)) => (
            split_list(&s.value),
            Observed::setting("--authorization-mode", &s),
        ),
        (None, None) => (
            vec!["AlwaysAllow".to_string()],
            Observed::new(
                "--authorization-mode",
                Some("AlwaysAllow".into()),
                Some(Origin::Default("kube-apiserver default")),
            ),
        ),
    };
    let has = modes.iter().any(|m| m == name);
    if want {
        Eval::when(
            has,
            format!("includes {name}"),
            format!("does not include {name}"),
        )
        .obs(o)
    } else {
        Eval::when(
            !has,
            format!("does not include {name}"),
            format!("includes {name}: every request is authorized"),
        )
        .obs(o)
    }
}

fn encryption_flag(cx: &Context<'_>, c: &Component) -> Eval {
    match (c.flag("encryption-provider-config"), &cx.encryption) {
        (Some(s), Some(Ok(_))) => {
            Eval::ok("set").obs(Observed::setting("--encryption-provider-config", &s))
        }
        (Some(s), _) => Eval::bad(format!(
            "set, but {} cannot be read as an EncryptionConfiguration",
            s.value
        ))
        .obs(Observed::setting("--encryption-provider-config", &s)),
        (None, _) => Eval::bad("not set: Secrets are stored in etcd in plain text")
            .obs(Observed::unset("--encryption-provider-config")),
    }
}

fn encryption_providers(cx: &Context<'_>, c: &Component) -> Eval {
    let Some(s) = c.flag("encryption-provider-config") else {
        return Eval::bad("no encryption configuration: Secrets are stored in plain text")
            .obs(Observed::unset("--encryption-provider-config"));
    };
    let a = match &cx.encryption {
        Some(Ok(a)) => a,
        _ => {
            return Eval::unknown(format!(
                "{} cannot be read as an EncryptionConfiguration",
                s.value
            ))
            .obs(Observed::setting("--encryption-provider-config", &s));
        }
    };
    let writer = a.secrets.write_provider.clone();
    let line = a
        .secrets
        .entry
        .and_then(|i| a.entries.get(i))
        .and_then(|e| e.providers.first())
        .map_or(0, |p| p.line);
    let o = Observed::new(
        "secrets: first provider",
        Some(writer.clone().unwrap_or_else(|| "not covered".into())),
        Some(Origin::file(a.file.clone(), line)),
    );
    let mut e = match a.secrets_verdict {
        EncVerdict::Strong => Eval::ok(format!(
            "secrets are written with {}",
            writer.unwrap_or_default()
        )),
        EncVerdict::Weak => Eval::bad(format!(
            "secrets are written with {}, rated weak or deprecated",
            writer.unwrap_or_default()
        ))
        .severity(Severity::Medium),
        EncVerdict::Plaintext => {
            Eval::bad("new Secrets are stored in plain text").severity(Severity::High)
        }
    }
    .obs(o);
    if let Some(m) = &a.mode {
        e = e.obs(Observed::new(
            a.file.clone(),
            Some(format!("{m} {}", a.owner.clone().unwrap_or_default())),
            Some(Origin::file(a.file.clone(), 0)),
        ));
    }
    for ob in &a.observations {
        let at = if ob.line > 0 {
            format!(" ({}:{})", a.file, ob.line)
        } else {
            String::new()
        };
        e = e.detail(format!("{}: {}{at}", ob.severity, ob.message));
        if ob.severity >= Severity::High {
            if e.v == V::Ok {
                e.v = V::Bad;
                e.reason = ob.message.clone();
            }
            e.severity = e.severity.max(Some(ob.severity));
        }
    }
    e
}

fn ciphers(name: &str, s: Option<Setting>, allowed: &[&str]) -> Eval {
    let Some(s) = s else {
        return Eval::bad("not set: the Go defaults include suites the benchmark does not accept")
            .obs(Observed::unset(name));
    };
    let list = split_list(&s.value);
    let weak: Vec<&String> = list
        .iter()
        .filter(|c| !allowed.contains(&c.as_str()))
        .collect();
    let o = Observed::setting(name, &s);
    if list.is_empty() {
        return Eval::bad("empty: the Go defaults apply").obs(o);
    }
    Eval::when(
        weak.is_empty(),
        "only strong suites",
        format!(
            "not accepted by the benchmark: {}",
            weak.iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
    .obs(o)
}

fn gate_not_false(s: Option<Setting>, gate: &str) -> Eval {
    let value = s.as_ref().and_then(|s| {
        parse_gates(&s.value)
            .into_iter()
            .find(|(k, _)| k == gate)
            .map(|(_, v)| v)
    });
    let o = match (&s, &value) {
        (Some(s), Some(v)) => Observed::new(gate, Some(v.clone()), Some(s.source.clone())),
        _ => Observed::new(
            gate,
            Some("true".into()),
            Some(Origin::Default("feature gate default (on)")),
        ),
    };
    Eval::when(
        value.as_deref() != Some("false"),
        "not disabled",
        "disabled (expected true)",
    )
    .obs(o)
}

fn is_loopback(addr: &str) -> bool {
    let a = addr.trim().trim_start_matches('[').trim_end_matches(']');
    a == "::1" || a == "localhost" || a.starts_with("127.")
}

fn bind_address(c: &Component) -> Eval {
    match c.flag("bind-address") {
        Some(s) => Eval::when(
            is_loopback(&s.value),
            format!("{} (loopback)", s.value),
            format!("{} (expected 127.0.0.1)", s.value),
        )
        .obs(Observed::setting("--bind-address", &s)),
        None => {
            Eval::bad("not set: the default 0.0.0.0 listens on every interface").obs(Observed::new(
                "--bind-address",
                Some("0.0.0.0".into()),
                Some(Origin::Default("component default")),
            ))
        }
    }
}

fn etcd_set(c: &Component, pairs: &[(&str, &str)]) -> Eval {
    let mut observed = Vec::new();
    let mut missing = Vec::new();
    for (flag, env) in pairs {
        let s = c.flag_or_env(flag, env).filter(|s| !s.value.is_empty());
        if s.is_none() {
            missing.push(format!("--{flag}"));
        }
        observed.push(flag_obs(&format!("--{flag}"), s.as_ref(), None));
    }
    let mut e = Eval::when(
        missing.is_empty(),
        "set",
        format!("not set: {}", missing.join(", ")),
    );
    e.observed = observed;
    e
}

fn etcd_bool(c: &Component, flag: &str, env: &str, want: bool) -> Eval {
    let s = c.flag_or_env(flag, env);
    let (v, o) = match &s {
        Some(s) => (
            parse_bool(&s.value),
            Observed::setting(format!("--{flag}"), s),
        ),
        None => (
            Some(false),
            Observed::new(
                format!("--{flag}"),
                Some("false".into()),
                Some(Origin::Default("etcd default")),
            ),
        ),
    };
    match v {
        Some(v) => Eval::when(v == want, v.to_string(), format!("{v} (expected {want})")).obs(o),
        None => Eval::bad(format!("not a boolean (expected {want})")).obs(o),
    }
}

fn etcd_unique_ca(cx: &Context<'_>, c: &Component) -> Eval {
    let Some(ca) = c
        .flag_or_env("trusted-ca-file", "ETCD_TRUSTED_CA_FILE")
        .filter(|s| !s.value.is_empty())
    else {
        return Eval::bad("--trusted-ca-file is not set").obs(Observed::unset("--trusted-ca-file"));
    };
    let o = Observed::setting("--trusted-ca-file", &ca);
    let cluster_ca = cx
        .cfg
        .apiserver
        .as_ref()
        .and_then(|a| a.flag("client-ca-file"));
    let Some(cluster) = cluster_ca else {
        return Eval::ok(
            "set (compare it with the cluster CA by hand: no API server on this node)",
        )
        .obs(o);
    };
    let o2 = Observed::setting("kube-apiserver --client-ca-file", &cluster);
    let same_path = cluster.value == ca.value;
    let root = &cx.cfg.root;
    let same_content = match (root.read(&ca.value), root.read(&cluster.value)) {
        (Ok(a), Ok(b)) => Some(a.trim() == b.trim()),
        _ => None,
    };
    if same_path || same_content == Some(true) {
        Eval::bad(
            "etcd trusts the cluster CA: every client certificate of the cluster can talk to etcd",
        )
        .obs(o)
        .obs(o2)
    } else if same_content.is_none() {
        Eval::unknown("the CA files could not both be read to compare them")
            .obs(o)
            .obs(o2)
    } else {
        Eval::ok("etcd has its own CA").obs(o).obs(o2)
    }
}

fn audit_policy_set(cx: &Context<'_>, c: &Component) -> Eval {
    let Some(s) = c.flag("audit-policy-file") else {
        return Eval::bad("--audit-policy-file is not set: the API server audits nothing")
            .obs(Observed::unset("--audit-policy-file"));
    };
    let o = Observed::setting("--audit-policy-file", &s);
    match &cx.policy {
        Some(Ok(p)) => Eval::when(
            p.rule_count() > 0,
            format!("{} rules", p.rule_count()),
            "the policy has no rules: nothing is audited",
        )
        .obs(o),
        _ => Eval::unknown(format!("{} cannot be read as an audit Policy", s.value)).obs(o),
    }
}

fn audit_policy_concerns(cx: &Context<'_>) -> Eval {
    let p = match &cx.policy {
        Some(Ok(p)) => p,
        Some(Err(_)) => return Eval::unknown("the audit policy cannot be read"),
        None => return Eval::bad("no audit policy: nothing is audited"),
    };
    let concerns = p.concerns();
    let bad: Vec<String> = concerns.iter().filter_map(|c| c.problem.clone()).collect();
    let mut e = if bad.is_empty() {
        Eval::ok(
            "the policy covers secrets at Metadata, exec/portforward/proxy and pod/deployment changes",
        )
    } else {
        Eval::bad(format!(
            "{} of {} concerns not covered",
            bad.len(),
            concerns.len()
        ))
    };
    for c in &concerns {
        e = e.obs(Observed::new(
            c.what.clone(),
            Some(c.level.clone()),
            Some(match c.line {
                Some(l) => Origin::file(p.path.clone(), l),
                None => Origin::Default("no rule matches: None"),
            }),
        ));
    }
    e.details = bad;
    e
}

// ---- kubelet -------------------------------------------------------------------------------

fn config_unknown(k: &Kubelet) -> Eval {
    Eval::unknown(format!(
        "the kubelet's --config {} could not be read: the value is unknown",
        k.config_file.as_ref().map_or("", |s| s.value.as_str())
    ))
}

fn kubelet_value(
    k: &Kubelet,
    flag: &str,
    path: &[&str],
    good: impl Fn(&str) -> bool,
    ok: &str,
    bad: &str,
) -> Eval {
    if k.config_failed && k.cmd.get(flag).is_none() {
        return config_unknown(k);
    }
    let name = if k.cmd.get(flag).is_some() {
        format!("--{flag}")
    } else {
        path.join(".")
    };
    match k.effective(Some(flag), path) {
        Some(s) => {
            let o = Observed::setting(name, &s);
            let mut e = Eval::when(good(&s.value), ok, format!("{}: {bad}", s.value)).obs(o);
            // A flag that overrides the file is worth pointing out.
            if let Some(flag_s) = k.cmd.get(flag)
                && let Some(file_s) = k.config_value(path)
                && file_s.value != flag_s.value
            {
                e = e.detail(format!(
                    "--{flag}={} ({}) overrides {}: {} ({})",
                    flag_s.value,
                    flag_s.source,
                    path.join("."),
                    file_s.value,
                    file_s.source
                ));
            }
            e
        }
        None => Eval::when(good(""), ok, format!("not set: {bad}")).obs(Observed::unset(name)),
    }
}

fn kubelet_serving_cert(k: &Kubelet) -> Eval {
    if k.config_failed && k.cmd.get("tls-cert-file").is_none() {
        return config_unknown(k);
    }
    let cert = k.setting(Some("tls-cert-file"), &["tlsCertFile"]);
    let key = k.setting(Some("tls-private-key-file"), &["tlsPrivateKeyFile"]);
    let bootstrap = k.setting(None, &["serverTLSBootstrap"]);
    let mut e = match (&cert, &key, &bootstrap) {
        (Some(_), Some(_), _) => Eval::ok("set"),
        (_, _, Some(b)) if parse_bool(&b.value) == Some(true) => {
            Eval::ok("serverTLSBootstrap: serving certificates come from the certificates API")
        }
        _ => Eval::bad(
            "not set: the kubelet serves a self-signed certificate the API server cannot verify",
        ),
    };
    e = e
        .obs(flag_obs("tlsCertFile", cert.as_ref(), None))
        .obs(flag_obs("tlsPrivateKeyFile", key.as_ref(), None));
    if let Some(b) = &bootstrap {
        e = e.obs(Observed::setting("serverTLSBootstrap", b));
    }
    e
}

/// `0`, `0s`, `0m0s` ...
fn is_zero_duration(v: &str) -> bool {
    let v = v.trim();
    !v.is_empty()
        && v.chars()
            .all(|c| c == '0' || c.is_ascii_alphabetic() || c == '.')
        && v.chars().any(|c| c == '0')
}

fn proxy_metrics(cx: &Context<'_>) -> Eval {
    let Some(p) = cx.cfg.proxy.as_ref() else {
        return Eval::na(
            "kube-proxy is not visible on this node (not running, or its process table is not mounted)",
        );
    };
    if let Some(s) = p.flag("metrics-bind-address") {
        let host = s
            .value
            .rsplit_once(':')
            .map_or(s.value.as_str(), |(h, _)| h);
        return Eval::when(
            is_loopback(host),
            "bound to localhost",
            format!("{} is not a loopback address", s.value),
        )
        .obs(Observed::setting("--metrics-bind-address", &s));
    }
    if let Some(cfg) = p.flag("config") {
        let root = &cx.cfg.root;
        match parse_file(root, &cfg.value) {
            Ok(doc) => {
                return match doc.get("metricsBindAddress") {
                    Some(n) => {
                        let v = text_of(n);
                        let host = v
                            .rsplit_once(':')
                            .map_or(v.as_str(), |(h, _)| h)
                            .to_string();
                        Eval::when(
                            v.is_empty() || is_loopback(&host),
                            "bound to localhost",
                            format!("{v} is not a loopback address"),
                        )
                        .obs(Observed::new(
                            "metricsBindAddress",
                            Some(v),
                            Some(Origin::file(cfg.value.clone(), n.pos.line)),
                        ))
                    }
                    None => Eval::ok("not set: 127.0.0.1:10249 (default)").obs(Observed::new(
                        "metricsBindAddress",
                        Some("127.0.0.1:10249".into()),
                        Some(Origin::Default("kube-proxy default")),
                    )),
                };
            }
            Err(_) => {
                return Eval::unknown(format!(
                    "kube-proxy reads --config {} inside its container; the file is not on the node's filesystem",
                    cfg.value
                ))
                .obs(Observed::setting("--config", &cfg));
            }
        }
    }
    Eval::ok("not set: 127.0.0.1:10249 (default)").obs(Observed::new(
        "--metrics-bind-address",
        Some("127.0.0.1:10249".into()),
        Some(Origin::Default("kube-proxy default")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_addresses() {
        assert!(is_zero_duration("0"));
        assert!(is_zero_duration("0s"));
        assert!(is_zero_duration("0m0s"));
        assert!(!is_zero_duration("5m"));
        assert!(!is_zero_duration("4h0m0s"));
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("[::1]"));
        assert!(!is_loopback("0.0.0.0"));
    }
}
