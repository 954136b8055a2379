//! Writes a large, realistic Metadata-level audit log (JSON lines) for the benchmark.
//!
//! `cargo run --release -p kubeward-audit --example gen_audit -- --requests 1000000 --out /tmp/audit-1m.log`
//! (`--quiet`: only the control plane and service accounts, a log that raises no alert).
//!
//! Deterministic (a fixed-seed generator). The mix follows what a busy cluster's API server
//! logs at Metadata level with the default stages (RequestReceived + ResponseComplete, plus
//! ResponseStarted for watches): ~75 % control plane (node and controller leases, kubelet pod
//! status patches, controller list/watch/update, events), ~15 % service accounts of add-ons and
//! applications, ~9 % people (kubectl get/describe/apply/logs, some exec, secret reads, RBAC
//! changes, refused requests), and anonymous health probes. Events are 0.9–1.4 KB, like real
//! ones with the authorization annotations.

use std::fmt::Write as _;
use std::io::{BufWriter, Write};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len() as u64) as usize]
    }
}

struct Req {
    user: String,
    groups: &'static str,
    verb: &'static str,
    resource: &'static str,
    group: &'static str,
    version: &'static str,
    sub: &'static str,
    ns: String,
    name: String,
    code: u16,
    ua: String,
    ip: String,
    reason: String,
    watch: bool,
    uri_extra: String,
}

fn uuid(r: &mut Rng) -> String {
    let a = r.next();
    let b = r.next();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0x3fff | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

fn ts(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let us = micros.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // days since 1970-01-01 -> civil date (Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{us:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

const NAMESPACES: &[&str] = &[
    "default",
    "prod",
    "staging",
    "payments",
    "web",
    "data",
    "monitoring",
    "ingress-nginx",
    "cert-manager",
    "argocd",
];
const PEOPLE: &[&str] = &[
    "alice@example.com",
    "bob@example.com",
    "carol@example.com",
    "dave@example.com",
    "ci-deployer",
];
const CONTROLLERS: &[&str] = &[
    "replicaset-controller",
    "deployment-controller",
    "endpointslice-controller",
    "endpoint-controller",
    "generic-garbage-collector",
    "namespace-controller",
    "job-controller",
    "cronjob-controller",
    "daemon-set-controller",
    "statefulset-controller",
    "horizontal-pod-autoscaler",
    "resourcequota-controller",
];
const ADDON_SAS: &[(&str, &str)] = &[
    ("monitoring", "prometheus"),
    ("ingress-nginx", "ingress-nginx"),
    ("cert-manager", "cert-manager"),
    ("argocd", "argocd-application-controller"),
    ("kube-system", "coredns"),
    ("kube-system", "metrics-server"),
    ("web", "frontend"),
    ("payments", "api"),
];

fn request(r: &mut Rng, quiet: bool) -> Req {
    let roll = if quiet { r.below(900) } else { r.below(1000) };
    let ns = r.pick(NAMESPACES).to_string();
    let node = format!("node-{:03}", r.below(60));
    let base = Req {
        user: String::new(),
        groups: "",
        verb: "get",
        resource: "",
        group: "",
        version: "v1",
        sub: "",
        ns: String::new(),
        name: String::new(),
        code: 200,
        ua: String::new(),
        ip: format!("10.0.{}.{}", r.below(8), r.below(250) + 2),
        reason: String::new(),
        watch: false,
        uri_extra: String::new(),
    };
    match roll {
        // Node leases and kubelet traffic.
        0..=279 => {
            let kind = r.below(4);
            let (verb, resource, group, sub, ns2, name) = match kind {
                0 => ("update", "leases", "coordination.k8s.io", "", "kube-node-lease".to_string(), node.clone()),
                1 => ("patch", "pods", "", "status", ns.clone(), format!("web-{:x}-{:05x}", r.below(4096), r.below(1 << 20))),
                2 => ("get", "nodes", "", "", String::new(), node.clone()),
                _ => ("get", "configmaps", "", "", ns.clone(), "kube-root-ca.crt".to_string()),
            };
            Req {
                user: format!("system:node:{node}"),
                groups: r#"["system:nodes","system:authenticated"]"#,
                verb,
                resource,
                group,
                version: "v1",
                sub,
                ns: ns2,
                name,
                ua: "kubelet/v1.29.4 (linux/amd64) kubernetes/55019c8".into(),
                reason: String::new(),
                ..base
            }
        }
        // Controllers and the control plane.
        280..=739 => {
            let c = r.pick(CONTROLLERS);
            let what = r.below(10);
            let (verb, resource, group, sub, watch) = match what {
                0..=2 => ("update", "leases", "coordination.k8s.io", "", false),
                3 => ("create", "events", "", "", false),
                4 => ("update", "endpointslices", "discovery.k8s.io", "", false),
                5 => ("update", "replicasets", "apps", "status", false),
                6 => ("watch", "pods", "", "", true),
                7 => ("list", "pods", "", "", false),
                8 => ("get", "deployments", "apps", "", false),
                _ => ("patch", "pods", "", "status", false),
            };
            let (user, groups, nsx) = if what <= 2 {
                ("system:kube-controller-manager".to_string(), r#"["system:authenticated"]"#, "kube-system".to_string())
            } else {
                (format!("system:serviceaccount:kube-system:{c}"), r#"["system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated"]"#, ns.clone())
            };
            let code = if r.below(200) == 0 { 409 } else if what == 3 { 201 } else { 200 };
            Req {
                reason: format!("RBAC: allowed by ClusterRoleBinding \"system:controller:{c}\" of ClusterRole \"system:controller:{c}\" to ServiceAccount \"{c}/kube-system\""),
                user,
                groups,
                verb,
                resource,
                group,
                version: "v1",
                sub,
                ns: if resource == "leases" { "kube-system".into() } else { nsx },
                name: if verb == "list" || verb == "watch" { String::new() } else { format!("{c}-{:x}", r.below(65536)) },
                code,
                ua: format!("kube-controller-manager/v1.29.4 (linux/amd64) kubernetes/55019c8/{c}"),
                ip: "10.0.0.10".into(),
                watch,
                uri_extra: if watch { "?allowWatchBookmarks=true&resourceVersion=123456&timeout=7m45s&timeoutSeconds=465&watch=true".into() } else { String::new() },
            }
        }
        // Add-on and application service accounts.
        740..=899 => {
            let (sns, sa) = *r.pick(ADDON_SAS);
            let what = r.below(6);
            let (verb, resource, group, watch) = match what {
                0 => ("watch", "secrets", "", true),
                1 => ("list", "configmaps", "", false),
                2 => ("get", "services", "", false),
                3 => ("watch", "endpointslices", "discovery.k8s.io", true),
                4 => ("update", "leases", "coordination.k8s.io", false),
                _ => ("get", "ingresses", "networking.k8s.io", false),
            };
            Req {
                user: format!("system:serviceaccount:{sns}:{sa}"),
                groups: r#"["system:serviceaccounts","system:serviceaccounts:ns","system:authenticated"]"#,
                verb,
                resource,
                group,
                version: "v1",
                ns: ns.clone(),
                name: if verb == "get" || verb == "update" { format!("{sa}-{:x}", r.below(4096)) } else { String::new() },
                ua: format!("{sa}/v1.2.3 (linux/amd64) kubernetes/$Format"),
                reason: format!("RBAC: allowed by ClusterRoleBinding \"{sa}\" of ClusterRole \"{sa}\" to ServiceAccount \"{sa}/{sns}\""),
                watch,
                uri_extra: if watch { "?watch=true&timeoutSeconds=300".into() } else { String::new() },
                ..base
            }
        }
        // People.
        900..=989 => {
            let who = r.pick(PEOPLE).to_string();
            let what = r.below(100);
            let (verb, resource, group, sub, code) = match what {
                0..=39 => ("list", "pods", "", "", 200),
                40..=54 => ("get", "deployments", "apps", "", 200),
                55..=64 => ("list", "events", "", "", 200),
                65..=72 => ("get", "pods", "", "log", 200),
                73..=80 => ("patch", "deployments", "apps", "", 200),
                81..=85 => ("get", "secrets", "", "", 200),
                86..=89 => ("list", "secrets", "", "", 403),
                90..=92 => ("create", "pods", "", "exec", 101),
                93..=94 => ("create", "rolebindings", "rbac.authorization.k8s.io", "", 201),
                95..=96 => ("delete", "pods", "", "", 200),
                _ => ("list", "nodes", "", "", 403),
            };
            let nsx = if resource == "nodes" { String::new() } else { ns.clone() };
            Req {
                user: who.clone(),
                groups: r#"["developers","system:authenticated"]"#,
                verb,
                resource,
                group,
                version: "v1",
                sub,
                ns: nsx,
                name: if matches!(verb, "get" | "patch" | "delete") || sub == "exec" { format!("web-{:x}", r.below(4096)) } else { String::new() },
                code,
                ua: "kubectl/v1.29.4 (darwin/arm64) kubernetes/55019c8".into(),
                ip: format!("192.168.{}.{}", r.below(4), r.below(250) + 2),
                reason: if code == 403 { String::new() } else { format!("RBAC: allowed by RoleBinding \"dev-edit/{ns}\" of ClusterRole \"edit\" to Group \"developers\"") },
                uri_extra: if sub == "exec" { "?command=sh&container=app&stdin=true&stdout=true&tty=true".into() } else { String::new() },
                ..base
            }
        }
        // Anonymous health probes.
        _ => Req {
            user: "system:anonymous".into(),
            groups: r#"["system:unauthenticated"]"#,
            verb: "get",
            ua: "kube-probe/1.29".into(),
            reason: "RBAC: allowed by ClusterRoleBinding \"system:public-info-viewer\" of ClusterRole \"system:public-info-viewer\" to Group \"system:unauthenticated\"".into(),
            ip: "10.0.0.1".into(),
            uri_extra: "/livez".into(),
            ..base
        },
    }
}

fn uri(q: &Req) -> String {
    if q.resource.is_empty() {
        return q.uri_extra.clone();
    }
    let mut u = if q.group.is_empty() {
        format!("/api/{}", q.version)
    } else {
        format!("/apis/{}/{}", q.group, q.version)
    };
    if !q.ns.is_empty() {
        let _ = write!(u, "/namespaces/{}", q.ns);
    }
    let _ = write!(u, "/{}", q.resource);
    if !q.name.is_empty() {
        let _ = write!(u, "/{}", q.name);
    }
    if !q.sub.is_empty() {
        let _ = write!(u, "/{}", q.sub);
    }
    u.push_str(&q.uri_extra.replace('&', "\\u0026"));
    u
}

fn event(out: &mut String, q: &Req, id: &str, stage: &str, recv: i64, at: i64) {
    out.clear();
    let _ = write!(
        out,
        r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{id}","stage":"{stage}","requestURI":"{}","verb":"{}","user":{{"username":"{}","groups":{}}},"sourceIPs":["{}"],"userAgent":"{}""#,
        uri(q),
        q.verb,
        q.user,
        if q.groups.is_empty() { "[]" } else { q.groups },
        q.ip,
        q.ua
    );
    if !q.resource.is_empty() {
        let _ = write!(out, r#","objectRef":{{"resource":"{}""#, q.resource);
        if !q.ns.is_empty() {
            let _ = write!(out, r#","namespace":"{}""#, q.ns);
        }
        if !q.name.is_empty() {
            let _ = write!(out, r#","name":"{}""#, q.name);
        }
        if !q.group.is_empty() {
            let _ = write!(out, r#","apiGroup":"{}""#, q.group);
        }
        let _ = write!(out, r#","apiVersion":"{}""#, q.version);
        if !q.sub.is_empty() {
            let _ = write!(out, r#","subresource":"{}""#, q.sub);
        }
        out.push('}');
    }
    if stage != "RequestReceived" {
        let status = if q.code >= 400 {
            r#","status":"Failure","reason":"Forbidden""#
        } else {
            ""
        };
        let _ = write!(
            out,
            r#","responseStatus":{{"metadata":{{}}{status},"code":{}}}"#,
            q.code
        );
    }
    let _ = write!(
        out,
        r#","requestReceivedTimestamp":"{}","stageTimestamp":"{}""#,
        ts(recv),
        ts(at)
    );
    if stage != "RequestReceived" {
        let decision = if q.code == 403 { "forbid" } else { "allow" };
        let reason = q.reason.replace('"', "\\\"");
        let _ = write!(
            out,
            r#","annotations":{{"authorization.k8s.io/decision":"{decision}","authorization.k8s.io/reason":"{reason}"}}"#
        );
    }
    out.push('}');
}

fn main() {
    let mut requests: u64 = 500_000;
    let mut out_path = String::from("audit.log");
    let mut quiet = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--requests" => {
                requests = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--requests N")
            }
            "--out" => out_path = args.next().expect("--out FILE"),
            // Only the control plane and service accounts: a log that raises no alert.
            "--quiet" => quiet = true,
            other => {
                eprintln!("unknown argument {other} (use --requests N --out FILE [--quiet])");
                std::process::exit(2);
            }
        }
    }
    let f = std::fs::File::create(&out_path).expect("create output");
    let mut w = BufWriter::with_capacity(1 << 20, f);
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    // 2026-11-23T00:00:00Z, about 2,000 requests a second.
    let mut t: i64 = 1_795_392_000_000_000;
    let mut line = String::with_capacity(2048);
    let mut events = 0u64;
    for _ in 0..requests {
        t += 200 + r.below(800) as i64;
        let q = request(&mut r, quiet);
        let id = uuid(&mut r);
        let done = t + 500 + r.below(20_000) as i64;
        for (stage, at) in [
            ("RequestReceived", t),
            ("ResponseStarted", t + 300),
            ("ResponseComplete", done),
        ] {
            if stage == "ResponseStarted" && !q.watch {
                continue;
            }
            event(&mut line, &q, &id, stage, t, at);
            w.write_all(line.as_bytes()).expect("write");
            w.write_all(b"\n").expect("write");
            events += 1;
        }
    }
    w.flush().expect("flush");
    eprintln!("{events} events for {requests} requests written to {out_path}");
}
