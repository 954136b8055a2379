//! Oracle: kube-bench's check definitions for CIS 1.8 … 1.12
//! (`../shared/data/kube-bench-cfg/`, aquasecurity/kube-bench @ a73ce378, Apache-2.0).
//!
//! 1. **Definitions**: for every benchmark, our recommendations have exactly kube-bench's ids,
//!    titles (whitespace normalized), automated/manual (`scored`) and manual-only
//!    (`type: manual`) flags, target by target.
//! 2. **Verdicts**: kube-bench's evaluation is emulated on every fixture root (its `audit`
//!    commands replaced by what they print on that node: `ps` shows the component's command
//!    line, `stat`/`find` the fixture's files, `$kubeletconf` is the first existing file of
//!    kube-bench's candidate list, as kube-bench picks it), its test items evaluated with its
//!    semantics (`flag` regex on the first occurrence, `path` on the config file, `env`,
//!    `set`, `compare` ops, `bin_op`, `use_multiple_values`; unscored failures are WARN,
//!    `type: manual` is WARN). Every disagreement with our status is listed below with its
//!    reason (`docs/oracles/node.md`); a new or vanished disagreement fails the test.
//!
//! The test fails, never skips, when the data is missing.

mod common;

use common::fixture::{materialize, variants};
use kubeward_core::{Node, Value};
use kubeward_node::bench::{self, Benchmark, Target};
use kubeward_node::config::{Component, NodeConfig};
use kubeward_node::fsroot::Root;
use kubeward_node::{NodeOptions, Status, check_node};
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    let d = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/kube-bench-cfg"
    ));
    assert!(
        d.join("cis-1.12/master.yaml").exists(),
        "kube-bench definitions missing at {} (see ../shared/data/README.md)",
        d.display()
    );
    d
}

/// kube-bench's YAML, with one repair: cis-*/etcd.yaml check 2.4 continues a double-quoted
/// `text:` on a line indented less than its key, which the YAML specification (and kubeward's
/// parser) rejects and go-yaml accepts; the continuation is joined to its line first.
fn parse_yaml(path: &Path) -> Node {
    let text = std::fs::read_to_string(path).unwrap();
    let mut fixed = String::with_capacity(text.len());
    let mut open = false;
    for line in text.lines() {
        if open {
            fixed.pop(); // the newline
            fixed.push(' ');
            fixed.push_str(line.trim_start());
        } else {
            fixed.push_str(line);
        }
        fixed.push('\n');
        if line.trim_start().starts_with("text: \"") || open {
            let quotes = line.matches('"').count();
            open = if open {
                quotes % 2 == 0
            } else {
                quotes % 2 == 1
            };
        }
    }
    kubeward_node::yamlfile::parse_text(&path.display().to_string(), &fixed).unwrap()
}

/// One kube-bench check.
#[derive(Debug, Clone)]
struct KbCheck {
    id: String,
    text: String,
    target: Target,
    scored: bool,
    kind: String,
    audit: String,
    audit_config: String,
    multiple: bool,
    node: Node,
}

fn text_of(n: Option<&Node>) -> String {
    n.and_then(Node::scalar_text).unwrap_or_default()
}

fn load_bench(b: Benchmark) -> Vec<KbCheck> {
    let mut out = Vec::new();
    for (file, target) in [
        ("master", Target::Master),
        ("etcd", Target::Etcd),
        ("controlplane", Target::ControlPlane),
        ("node", Target::Node),
    ] {
        let doc = parse_yaml(&data_dir().join(b.name()).join(format!("{file}.yaml")));
        for g in doc.get("groups").map(Node::items).unwrap_or_default() {
            for c in g.get("checks").map(Node::items).unwrap_or_default() {
                out.push(KbCheck {
                    id: text_of(c.get("id")),
                    text: text_of(c.get("text"))
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" "),
                    target,
                    scored: c.get("scored").is_some_and(Node::is_true),
                    kind: text_of(c.get("type")),
                    audit: text_of(c.get("audit")),
                    audit_config: text_of(c.get("audit_config")),
                    multiple: c.get("use_multiple_values").is_some_and(Node::is_true),
                    node: c.clone(),
                });
            }
        }
    }
    out
}

#[test]
fn our_recommendations_are_kube_benchs() {
    for b in Benchmark::ALL {
        let theirs = load_bench(b);
        let ours = bench::items(b);
        let t: Vec<(String, String, Target, bool, bool)> = theirs
            .iter()
            // 3.2.2 is `type: manual` (always WARN) in kube-bench; kubeward evaluates the audit
            // policy (docs/oracles/node.md), so it is not manual-only here.
            .map(|c| {
                (
                    c.id.clone(),
                    c.text.clone(),
                    c.target,
                    c.scored,
                    c.kind == "manual" && c.id != "3.2.2",
                )
            })
            .collect();
        let o: Vec<(String, String, Target, bool, bool)> = ours
            .iter()
            .map(|i| {
                (
                    i.id.clone(),
                    i.title.to_string(),
                    i.def.target,
                    i.def.automated,
                    i.def.manual_only,
                )
            })
            .collect();
        for (a, b2) in t.iter().zip(&o) {
            assert_eq!(a, b2, "{}", b.name());
        }
        assert_eq!(t.len(), o.len(), "{}: number of recommendations", b.name());
    }
}

// ---- kube-bench's evaluation, emulated --------------------------------------------------------

/// What kube-bench's variables resolve to on a node (cfg/config.yaml: first existing file of
/// each candidate list, else the default).
struct Vars {
    map: BTreeMap<&'static str, String>,
}

fn first_existing(root: &Root, candidates: &[&str], default: &str) -> String {
    candidates
        .iter()
        .find(|c| root.exists(c))
        .map_or_else(|| default.to_string(), |c| c.to_string())
}

impl Vars {
    fn new(root: &Root) -> Vars {
        let mut map = BTreeMap::new();
        let f = |c: &[&str], d: &str| first_existing(root, c, d);
        map.insert(
            "$apiserverconf",
            f(
                &["/etc/kubernetes/manifests/kube-apiserver.yaml"],
                "/etc/kubernetes/manifests/kube-apiserver.yaml",
            ),
        );
        map.insert(
            "$controllermanagerconf",
            f(
                &["/etc/kubernetes/manifests/kube-controller-manager.yaml"],
                "/etc/kubernetes/manifests/kube-controller-manager.yaml",
            ),
        );
        map.insert(
            "$schedulerconf",
            f(
                &["/etc/kubernetes/manifests/kube-scheduler.yaml"],
                "/etc/kubernetes/manifests/kube-scheduler.yaml",
            ),
        );
        map.insert(
            "$etcdconf",
            f(
                &["/etc/kubernetes/manifests/etcd.yaml"],
                "/etc/kubernetes/manifests/etcd.yaml",
            ),
        );
        map.insert(
            "$schedulerkubeconfig",
            f(
                &["/etc/kubernetes/scheduler.conf"],
                "/etc/kubernetes/scheduler.conf",
            ),
        );
        map.insert(
            "$controllermanagerkubeconfig",
            f(
                &["/etc/kubernetes/controller-manager.conf"],
                "/etc/kubernetes/controller-manager.conf",
            ),
        );
        map.insert(
            "$kubeletsvc",
            f(
                &[
                    "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
                    "/etc/systemd/system/kubelet.service",
                    "/lib/systemd/system/kubelet.service",
                ],
                "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf",
            ),
        );
        map.insert(
            "$kubeletconf",
            f(
                &[
                    "/etc/kubernetes/kubelet-config.yaml",
                    "/etc/kubernetes/kubelet/kubelet-config.json",
                    "/var/lib/rancher/rke2/agent/etc/kubelet.conf.d",
                    "/var/lib/kubelet/config.yaml",
                    "/etc/kubernetes/azure.json",
                    "/var/lib/kubelet/config.yml",
                    "/etc/kubernetes/kubelet/config.json",
                    "/etc/kubernetes/kubelet/config",
                    "/home/kubernetes/kubelet-config.yaml",
                    "/home/kubernetes/kubelet-config.yml",
                    "/etc/default/kubeletconfig.json",
                    "/etc/default/kubelet",
                ],
                "/var/lib/kubelet/config.yaml",
            ),
        );
        map.insert(
            "$kubeletkubeconfig",
            f(
                &[
                    "/etc/kubernetes/kubelet.conf",
                    "/etc/kubernetes/kubelet-kubeconfig.conf",
                    "/var/lib/kubelet/kubeconfig",
                ],
                "/etc/kubernetes/kubelet.conf",
            ),
        );
        map.insert(
            "$kubeletcafile",
            f(
                &["/etc/kubernetes/pki/ca.crt", "/etc/kubernetes/certs/ca.crt"],
                "/etc/kubernetes/pki/ca.crt",
            ),
        );
        map.insert(
            "$proxykubeconfig",
            f(
                &[
                    "/etc/kubernetes/kubelet-kubeconfig",
                    "/etc/kubernetes/kubelet-kubeconfig.conf",
                    "/etc/kubernetes/kubelet/config",
                    "/etc/kubernetes/ssl/kubecfg-kube-proxy.yaml",
                    "/var/lib/kubelet/kubeconfig",
                ],
                "/etc/kubernetes/proxy.conf",
            ),
        );
        Vars { map }
    }

    fn get(&self, audit: &str) -> Option<String> {
        // The longest variable named in the command (`$kubeletkubeconfig` before `$kubeletconf`).
        self.map
            .iter()
            .filter(|(k, _)| audit.contains(*k))
            .max_by_key(|(k, _)| k.len())
            .map(|(_, v)| v.clone())
    }
}

fn ps_line(c: Option<&Component>) -> String {
    c.map(|c| {
        let mut w = vec![
            c.cmd
                .program
                .as_ref()
                .map(|p| p.text.clone())
                .unwrap_or_default(),
        ];
        w.extend(c.cmd.words());
        w.join(" ")
    })
    .unwrap_or_default()
}

fn stat_line(root: &Root, path: &str, fmt: &str) -> Option<String> {
    let meta = std::fs::metadata(root.resolve(path)).ok()?;
    Some(match fmt {
        "perm" => format!("permissions={:o}", meta.mode() & 0o7777),
        _ => format!(
            "{}:{}",
            root.user_name(meta.uid()),
            root.group_name(meta.gid())
        ),
    })
}

/// What the check's `audit` command prints on this node.
fn audit_output(c: &KbCheck, cfg: &NodeConfig, vars: &Vars) -> String {
    let root = &cfg.root;
    let a = c.audit.as_str();
    let perm = a.contains("permissions=%a");
    let fmt = if perm { "perm" } else { "owner" };
    if a.contains("providers:") {
        // grep -A1 'providers:' $FILE | tail -n1 | grep -o "[A-Za-z]*" | sed 's/^/provider=/'
        let Some(file) = cfg
            .apiserver
            .as_ref()
            .and_then(|x| x.flag("encryption-provider-config"))
        else {
            return String::new();
        };
        let Ok(text) = root.read(&file.value) else {
            return String::new();
        };
        let lines: Vec<&str> = text.lines().collect();
        let mut last = "";
        for (i, l) in lines.iter().enumerate() {
            if l.contains("providers:") {
                last = lines.get(i + 1).copied().unwrap_or("");
            }
        }
        return last
            .split(|ch: char| !ch.is_ascii_alphabetic())
            .filter(|w| !w.is_empty())
            .map(|w| format!("provider={w}"))
            .collect::<Vec<_>>()
            .join("\n");
    }
    if a.contains("CAFILE") {
        let kubelet_ca = cfg
            .kubelet
            .as_ref()
            .and_then(|k| k.cmd.get("client-ca-file"))
            .map(|s| s.value);
        let ca = kubelet_ca.unwrap_or_else(|| vars.map["$kubeletcafile"].clone());
        return stat_line(root, &ca, fmt).unwrap_or_default();
    }
    if a.contains("DATA_DIR") {
        let dir = cfg
            .etcd
            .as_ref()
            .and_then(|e| e.flag("data-dir"))
            .map(|s| s.value)
            .filter(|d| root.stat(d).is_some_and(|s| s.is_dir))
            .unwrap_or_else(|| "/var/lib/etcd/default.etcd".into());
        return stat_line(root, &dir, fmt).unwrap_or_default();
    }
    if a.contains("cni-conf-dir") {
        // Only the kubelet's --cni-conf-dir (gone since 1.24) and /var/lib/cni/networks.
        let mut lines = Vec::new();
        let dir = cfg
            .kubelet
            .as_ref()
            .and_then(|k| k.cmd.get("cni-conf-dir"))
            .map(|s| s.value);
        for d in dir
            .into_iter()
            .chain(std::iter::once("/var/lib/cni/networks".to_string()))
        {
            for p in root.walk(&d, 1000).into_iter().skip(1) {
                if let Some(l) = stat_line(root, &p, fmt) {
                    lines.push(l);
                }
            }
        }
        return lines.join("\n");
    }
    if a.contains("adminconf") {
        let mut lines = Vec::new();
        for p in [
            "/etc/kubernetes/admin.conf",
            "/etc/kubernetes/super-admin.conf",
        ] {
            if let Some(l) = stat_line(root, p, fmt) {
                lines.push(if perm {
                    format!("{l} {p}")
                } else {
                    format!("ownership={l} {p}")
                });
            }
        }
        return lines.join("\n");
    }
    if a.contains("find /etc/kubernetes/pki/") {
        let filter = if a.contains("'*.crt'") {
            ".crt"
        } else if a.contains("'*.key'") {
            ".key"
        } else {
            ""
        };
        return root
            .walk("/etc/kubernetes/pki", 10_000)
            .into_iter()
            .filter(|p| p.ends_with(filter))
            .filter_map(|p| stat_line(root, &p, fmt))
            .collect::<Vec<_>>()
            .join("\n");
    }
    if a.contains("stat -c") {
        // A variable (`$kubeletconf`), or a literal path (`test -e /etc/kubernetes/admin.conf`).
        let literal = a
            .split("test -e ")
            .nth(1)
            .and_then(|r| r.split([' ', ';']).next())
            .filter(|p| p.starts_with('/'))
            .map(str::to_string);
        let Some(path) = vars.get(a).or(literal) else {
            panic!("{}: no file in `{a}`", c.id)
        };
        if !root.exists(&path) {
            return if a.contains("File not found") {
                "File not found".into()
            } else {
                String::new()
            };
        }
        return stat_line(root, &path, fmt).unwrap_or_default();
    }
    if a.contains("$apiserverbin") {
        return ps_line(cfg.apiserver.as_ref());
    }
    if a.contains("$controllermanagerbin") {
        return ps_line(cfg.controller_manager.as_ref());
    }
    if a.contains("$schedulerbin") {
        return ps_line(cfg.scheduler.as_ref());
    }
    if a.contains("$etcdbin") {
        return ps_line(cfg.etcd.as_ref());
    }
    if a.contains("$kubeletbin") {
        return cfg
            .kubelet
            .as_ref()
            .map(|k| {
                let mut w = vec!["/usr/bin/kubelet".to_string()];
                w.extend(k.cmd.words());
                w.join(" ")
            })
            .unwrap_or_default();
    }
    if a.contains("$proxybin") {
        return ps_line(cfg.proxy.as_ref());
    }
    if a.is_empty() {
        return String::new();
    }
    panic!("{}: audit not emulated: {a}", c.id);
}

fn audit_config_output(c: &KbCheck, cfg: &NodeConfig, vars: &Vars) -> Option<Node> {
    if c.audit_config.is_empty() {
        return None;
    }
    let path = if c.audit_config.contains("$proxykubeconfig") {
        vars.map["$proxykubeconfig"].clone()
    } else {
        vars.map["$kubeletconf"].clone()
    };
    let text = cfg.root.read(&path).ok()?;
    kubeward_node::yamlfile::parse_text(&path, &text).ok()
}

/// `{.a.b}` and `{range .list[:]}{}{','}{end}` on a YAML tree.
fn json_path(doc: &Node, path: &str) -> Option<String> {
    if let Some(rest) = path.strip_prefix("{range .") {
        let field = rest.split('[').next()?;
        let items = doc.get(field)?.items();
        return Some(
            items
                .iter()
                .filter_map(Node::scalar_text)
                .map(|s| format!("{s},"))
                .collect(),
        );
    }
    let inner = path.strip_prefix("{.")?.strip_suffix('}')?;
    let mut n = doc;
    for k in inner.split('.') {
        n = n.get(k)?;
    }
    match &n.value {
        Value::Seq(_) | Value::Map(_) => Some(kubeward_node::yamlfile::text_of(n)),
        _ => n.scalar_text(),
    }
}

/// kube-bench's `findValue`: the flag anywhere in the output (substring), its value by the
/// regex `(flag)(=|: *)*([^\s]*)` at the first occurrence.
fn find_flag(s: &str, flag: &str) -> Option<String> {
    let at = s.find(flag)?;
    let mut rest = &s[at + flag.len()..];
    // `(=|: *)*`
    loop {
        if let Some(r) = rest.strip_prefix('=') {
            rest = r;
        } else if let Some(r) = rest.strip_prefix(':') {
            rest = r.trim_start_matches(' ');
        } else {
            break;
        }
    }
    // `([^\s]*)`; empty: a bare `--flag` is "true", another keyword itself.
    let value: String = rest.chars().take_while(|ch| !ch.is_whitespace()).collect();
    Some(if !value.is_empty() {
        value
    } else if flag.starts_with("--") {
        "true".into()
    } else {
        flag.to_string()
    })
}

fn compare(op: &str, value: &str, want: &str) -> bool {
    let num = |s: &str| s.trim().parse::<i64>().ok();
    match op {
        "eq" => {
            let l = value.to_ascii_lowercase();
            if l == "true" || l == "false" {
                l == want
            } else {
                value == want
            }
        }
        "noteq" => {
            let l = value.to_ascii_lowercase();
            if l == "true" || l == "false" {
                l != want
            } else {
                value != want
            }
        }
        "gt" => matches!((num(value), num(want)), (Some(a), Some(b)) if a > b),
        "gte" => matches!((num(value), num(want)), (Some(a), Some(b)) if a >= b),
        "lt" => matches!((num(value), num(want)), (Some(a), Some(b)) if a < b),
        "lte" => matches!((num(value), num(want)), (Some(a), Some(b)) if a <= b),
        "has" => value.contains(want),
        "nothave" => !value.contains(want),
        "valid_elements" => {
            let allowed: Vec<&str> = want.split(',').map(str::trim).collect();
            value
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .all(|v| allowed.contains(&v))
        }
        "bitmask" => match (u32::from_str_radix(want, 8), u32::from_str_radix(value, 8)) {
            (Ok(m), Ok(v)) => m & v == v,
            _ => false,
        },
        other => panic!("compare op {other} not emulated"),
    }
}

struct Item {
    flag: String,
    path: String,
    env: String,
    set: bool,
    op: String,
    value: String,
}

fn items_of(c: &KbCheck) -> (Vec<Item>, String) {
    let tests = c.node.get("tests");
    let bin_op = tests.map(|t| text_of(t.get("bin_op"))).unwrap_or_default();
    let items = tests
        .and_then(|t| t.get("test_items"))
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .map(|i| Item {
            flag: text_of(i.get("flag")),
            path: text_of(i.get("path")),
            env: text_of(i.get("env")),
            set: i.get("set").and_then(Node::as_bool).unwrap_or(true),
            op: i
                .path(&["compare", "op"])
                .map(|n| text_of(Some(n)))
                .unwrap_or_default(),
            value: i
                .path(&["compare", "value"])
                .map(|n| text_of(Some(n)))
                .unwrap_or_default(),
        })
        .collect();
    (items, bin_op)
}

/// One test item on one output line (kube-bench `testItem.evaluate`).
fn evaluate(item: &Item, found: Option<String>) -> bool {
    match (found, item.set) {
        (None, set) => !set,
        (Some(_), false) => false,
        (Some(v), true) => item.op.is_empty() || compare(&item.op, &v, &item.value),
    }
}

/// kube-bench's state for a check on a node.
fn kube_bench_state(c: &KbCheck, cfg: &NodeConfig, vars: &Vars) -> Status {
    if c.kind == "manual" {
        return Status::Warn;
    }
    let out = audit_output(c, cfg, vars);
    let conf = audit_config_output(c, cfg, vars);
    let env_out: String = cfg
        .etcd
        .as_ref()
        .map(|e| {
            e.env
                .iter()
                .map(|(k, v)| format!("{k}={}", v.value))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default();
    let (items, bin_op) = items_of(c);
    if items.is_empty() {
        return Status::Warn;
    }
    let lines: Vec<&str> = if c.multiple {
        out.trim_end().split('\n').collect()
    } else {
        vec![out.trim_end()]
    };
    let mut results = Vec::new();
    for item in &items {
        // Flag in the audit output first, then the config file's path, then the environment.
        let mut ok = true;
        for line in &lines {
            let mut found = if item.flag.is_empty() {
                None
            } else {
                find_flag(line, &item.flag)
            };
            if found.is_none()
                && !item.path.is_empty()
                && let Some(doc) = &conf
            {
                found = json_path(doc, &item.path);
            }
            if found.is_none() && !item.env.is_empty() {
                found = find_flag(&env_out, &format!("{}=", item.env))
                    .map(|v| v.trim_start_matches('=').trim_matches('"').to_string());
            }
            if !evaluate(item, found) {
                ok = false;
                break;
            }
        }
        results.push(ok);
    }
    let pass = if bin_op == "or" {
        results.iter().any(|r| *r)
    } else {
        results.iter().all(|r| *r)
    };
    match (pass, c.scored) {
        (true, _) => Status::Pass,
        (false, true) => Status::Fail,
        (false, false) => Status::Warn,
    }
}

/// Where kubeward's verdict differs from kube-bench's, and why (docs/oracles/node.md).
/// (fixture, benchmark, id) → (ours, kube-bench's, reason)
type Known = BTreeMap<(String, &'static str, String), (Status, Status, &'static str)>;

fn known_disagreements() -> Known {
    use Status::*;
    let mut m: Known = BTreeMap::new();
    let mut add = |fixtures: &[String], key: &str, benches: &[Benchmark], ours, theirs, why| {
        for f in fixtures {
            for b in benches {
                if let Some(id) = bench::id_in(*b, key) {
                    m.insert((f.clone(), b.name(), id), (ours, theirs, why));
                }
            }
        }
    };
    let all = &Benchmark::ALL;
    let up_to_1_10 = &[Benchmark::Cis18, Benchmark::Cis19, Benchmark::Cis110];
    let from_1_11 = &[Benchmark::Cis111, Benchmark::Cis112];
    let one = |s: &str| vec![s.to_string()];
    let cp: Vec<String> = variants()
        .into_iter()
        .filter(|v| v.starts_with("cp-") && v != "cp-broken-manifest")
        .chain(["control-plane".to_string()])
        .collect();
    let workers: Vec<String> = variants()
        .into_iter()
        .filter(|v| v.starts_with("worker-"))
        .chain(["worker".to_string()])
        .collect();
    let every: Vec<String> = cp.iter().chain(&workers).cloned().collect();

    // kube-proxy is not visible on a kubeadm node's filesystem or process table here: we say
    // so (info); kube-bench's `set: false` branch passes.
    add(&every, "4.3.1", all, Info, Pass, "proxy-not-visible");
    // No kube-proxy kubeconfig on the node: does not apply (info); kube-bench finds no
    // `permissions` in an empty output and warns.
    add(&every, "4.1.3", all, Info, Warn, "proxy-kubeconfig-absent");
    add(&every, "4.1.4", all, Info, Warn, "proxy-kubeconfig-absent");
    // serverTLSBootstrap: serving certificates come from the certificates API; kube-bench
    // only accepts tlsCertFile/tlsPrivateKeyFile.
    let bootstrap: Vec<String> = every
        .iter()
        .filter(|f| *f != "worker-no-config-file")
        .cloned()
        .collect();
    add(&bootstrap, "4.2.9", all, Pass, Warn, "server-tls-bootstrap");
    // kube-bench only looks under --cni-conf-dir (gone since 1.24) and /var/lib/cni/networks;
    // the CNI configuration is in /etc/cni/net.d.
    add(&cp, "1.1.9", all, Pass, Warn, "cni-dir");
    add(&cp, "1.1.10", all, Pass, Warn, "cni-dir");
    // kube-bench always warns on 3.2.2 (type: manual); kubeward evaluates the audit policy.
    let with_policy: Vec<String> = cp
        .iter()
        .filter(|f| *f != "cp-no-audit-log")
        .cloned()
        .collect();
    add(
        &with_policy,
        "3.2.2",
        all,
        Pass,
        Warn,
        "audit-policy-evaluated",
    );
    // kube-bench passes an absent --bind-address; the default is 0.0.0.0 (every interface).
    add(
        &one("cp-defaults"),
        "1.3.7",
        all,
        Fail,
        Pass,
        "bind-address-default",
    );
    add(
        &one("cp-defaults"),
        "1.4.2",
        all,
        Fail,
        Pass,
        "bind-address-default",
    );
    // aescbc is in kube-bench's accepted list; the Kubernetes documentation rates it weak.
    add(
        &one("cp-encryption-aescbc"),
        "1.2.28",
        all,
        Warn,
        Pass,
        "aescbc-weak",
    );
    // kube-bench only checks that --trusted-ca-file is set; here it is the cluster CA.
    add(
        &one("cp-etcd-insecure"),
        "2.7",
        all,
        Warn,
        Pass,
        "etcd-shared-ca",
    );
    // kube-bench does not read --authorization-config (Node and RBAC are in it).
    add(
        &one("cp-structured-authz"),
        "1.2.7",
        all,
        Pass,
        Fail,
        "authorization-config",
    );
    add(
        &one("cp-structured-authz"),
        "1.2.8",
        all,
        Pass,
        Fail,
        "authorization-config",
    );
    // kube-bench reads the first config file of its list (/var/lib/kubelet/config.yaml, the
    // decoy), not the one the kubelet's --config names.
    let dropin = one("worker-dropin-override");
    add(&dropin, "4.2.1", all, Fail, Pass, "first-config-file");
    add(&dropin, "4.2.2", all, Fail, Pass, "first-config-file");
    add(&dropin, "4.2.4", all, Warn, Pass, "first-config-file");
    add(&dropin, "4.2.10", all, Fail, Pass, "first-config-file");
    // The kubelet runs without --config: legacy defaults (anonymous, AlwaysAllow, read-only
    // port 10255). kube-bench reads /var/lib/kubelet/config.yaml anyway.
    let noconf = one("worker-no-config-file");
    for key in ["4.2.1", "4.2.2", "4.2.3", "4.2.10"] {
        add(&noconf, key, all, Fail, Pass, "no-config-file");
    }
    for key in ["4.2.4", "4.2.12", "4.2.13", "4.2.14"] {
        add(&noconf, key, all, Warn, Pass, "no-config-file");
    }
    for key in ["4.1.8", "4.1.9", "4.1.10"] {
        add(&noconf, key, all, Info, Pass, "no-config-file");
    }
    add(&noconf, "4.1.7", from_1_11, Info, Pass, "no-config-file");
    add(&noconf, "4.1.7", up_to_1_10, Info, Warn, "no-config-file");
    m
}

#[test]
fn verdicts_agree_with_kube_bench_except_where_listed() {
    let mut fixtures: Vec<String> = vec!["control-plane".into(), "worker".into()];
    // A manifest that does not parse: kube-bench on that node would see no API server process
    // at all (it cannot start); our handling of the error is tested in tests/nodes.rs.
    fixtures.extend(variants().into_iter().filter(|v| v != "cp-broken-manifest"));
    let known = known_disagreements();
    let mut seen = BTreeMap::new();
    let mut compared = 0;
    for name in &fixtures {
        let root_dir = materialize(name);
        let root = Root::new(root_dir.path(), None).unwrap();
        let cfg = NodeConfig::discover(root).unwrap();
        let vars = Vars::new(&cfg.root);
        for b in Benchmark::ALL {
            let report = check_node(&NodeOptions {
                root: root_dir.path().to_path_buf(),
                benchmark: Some(b),
                ..NodeOptions::default()
            })
            .unwrap();
            let ours: BTreeMap<&str, Status> = report
                .checks
                .iter()
                .map(|c| (c.id.as_str(), c.status))
                .collect();
            for kb in load_bench(b) {
                let Some(our) = ours.get(kb.id.as_str()) else {
                    continue; // a target that does not apply to this node
                };
                compared += 1;
                let theirs = kube_bench_state(&kb, &cfg, &vars);
                if *our != theirs {
                    seen.insert((name.clone(), b.name(), kb.id.clone()), (*our, theirs));
                }
            }
        }
    }
    let unexpected: Vec<String> = seen
        .iter()
        .filter(|(k, v)| known.get(*k).map(|(o, t, _)| (*o, *t)) != Some(**v))
        .map(|((f, b, id), (o, t))| format!("{f} {b} {id}: ours {o:?}, kube-bench {t:?}"))
        .collect();
    let vanished: Vec<String> = known
        .iter()
        .filter(|(k, _)| fixtures.contains(&k.0) && !seen.contains_key(*k))
        .map(|((f, b, id), (o, t, why))| {
            format!("{f} {b} {id}: expected ours {o:?} vs {t:?} ({why})")
        })
        .collect();
    assert!(
        unexpected.is_empty() && vanished.is_empty(),
        "{compared} verdicts compared\nunexpected disagreements:\n{}\n\nlisted but not seen:\n{}",
        unexpected.join("\n"),
        vanished.join("\n")
    );
    let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
    for k in seen.keys() {
        *by_reason.entry(known[k].2).or_default() += 1;
    }
    eprintln!(
        "{} fixtures x 5 benchmarks: {compared} verdicts compared, {} disagreements, all listed: {by_reason:?}",
        fixtures.len(),
        seen.len()
    );
    assert!(compared > 4000, "{compared}");
}
