//! NetworkPolicy semantics, case by case, on small manifests; and the class-based matrix
//! against pair-by-pair evaluation on the benchmark's generated cluster.

mod cluster_gen;

use kubeward_core::Object;
use kubeward_netpol::engine::Endpoint;
use kubeward_netpol::ip::{Family, IpRange};
use kubeward_netpol::{Analysis, ConnSet, Direction, Model, Protocol};

fn objects(yaml: &str) -> Vec<Object> {
    let mut loaded = kubeward_load::Loaded::default();
    kubeward_load::load_bytes(
        "test.yaml".into(),
        yaml.as_bytes(),
        false,
        &Default::default(),
        &mut loaded,
    );
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    loaded.objects
}

/// `ns/name` → what `src` may send to `dst`.
fn conns(m: &Model<'_>, src: &str, dst: &str) -> ConnSet {
    let a = Analysis::new(m);
    let ep = |s: &str| match s.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(v4)) => Endpoint::External(IpRange {
            family: Family::V4,
            start: u32::from(v4).into(),
            end: u32::from(v4).into(),
        }),
        _ => Endpoint::Workload(m.find_workload(s).unwrap()),
    };
    let (s, d) = (ep(src), ep(dst));
    let direct = a.allowed(&s, &d);
    // The matrix (classes) must agree with the direct evaluation.
    if let (Endpoint::Workload(si), Endpoint::Workload(di)) = (s, d) {
        assert_eq!(a.matrix().between(si, di), &direct, "{src} -> {dst}");
    }
    direct
}

fn tcp(p: u16) -> ConnSet {
    ConnSet::ports(Protocol::Tcp, p, p)
}

fn pod(ns: &str, name: &str, labels: &str, ports: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels: {{{labels}}}\nspec:\n  containers:\n  - name: c\n    image: i\n    ports: [{ports}]\n"
    )
}

fn ns(name: &str, labels: &str) -> String {
    format!(
        "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels: {{{labels}}}\n"
    )
}

fn np(ns: &str, name: &str, spec: &str) -> String {
    format!(
        "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n{spec}\n"
    )
}

fn base() -> String {
    [
        ns("a", "team: blue"),
        ns("b", "team: green"),
        pod("a", "web", "app: web", "{name: http, containerPort: 8080}"),
        pod(
            "a",
            "db",
            "app: db, tier: data",
            "{name: pg, containerPort: 5432}",
        ),
        pod("b", "client", "app: client", ""),
    ]
    .concat()
}

#[test]
fn pods_selected_by_no_policy_are_open_both_ways() {
    let o = objects(&base());
    let m = Model::build(&o).unwrap();
    assert!(conns(&m, "a/web", "a/db").is_all());
    assert!(conns(&m, "b/client", "a/web").is_all());
    assert!(conns(&m, "8.8.8.8", "a/web").is_all());
    assert!(conns(&m, "a/web", "8.8.8.8").is_all());
}

#[test]
fn empty_pod_selector_isolates_every_pod_of_its_namespace_only() {
    let o = objects(&(base() + &np("a", "deny", "  podSelector: {}")));
    let m = Model::build(&o).unwrap();
    assert!(conns(&m, "a/web", "a/db").is_empty());
    assert!(conns(&m, "b/client", "a/web").is_empty());
    assert!(conns(&m, "8.8.8.8", "a/db").is_empty());
    // Only Ingress by default: egress stays open, and namespace b is untouched.
    assert!(conns(&m, "a/web", "b/client").is_all());
    assert!(conns(&m, "a/web", "8.8.8.8").is_all());
}

#[test]
fn policy_types_default_and_explicit() {
    // Egress rules imply Egress; `egress: []` does not.
    let with_rules = np(
        "a",
        "e",
        "  podSelector: {}\n  egress:\n  - to:\n    - podSelector: {matchLabels: {app: db}}",
    );
    let o = objects(&(base() + &with_rules));
    let m = Model::build(&o).unwrap();
    assert!(m.policies[0].affects_ingress && m.policies[0].affects_egress);
    assert!(conns(&m, "a/web", "b/client").is_empty());
    assert!(
        conns(&m, "a/db", "a/web").is_empty(),
        "ingress is isolated too (no ingress rules)"
    );
    let empty = np("a", "e", "  podSelector: {}\n  egress: []");
    let o = objects(&(base() + &empty));
    let m = Model::build(&o).unwrap();
    assert!(m.policies[0].affects_ingress && !m.policies[0].affects_egress);
    assert!(conns(&m, "a/web", "b/client").is_all());
    // policyTypes: [Egress] only: ingress untouched, no egress rules: deny all egress.
    let egress_only = np("a", "e", "  podSelector: {}\n  policyTypes: [Egress]");
    let o = objects(&(base() + &egress_only));
    let m = Model::build(&o).unwrap();
    assert!(conns(&m, "b/client", "a/web").is_all());
    assert!(conns(&m, "a/web", "b/client").is_empty());
    assert!(conns(&m, "a/web", "1.1.1.1").is_empty());
}

#[test]
fn empty_rule_allows_everything_and_missing_rules_deny() {
    let o = objects(
        &(base()
            + &np(
                "a",
                "all",
                "  podSelector: {matchLabels: {app: web}}\n  ingress:\n  - {}",
            )),
    );
    let m = Model::build(&o).unwrap();
    assert!(conns(&m, "b/client", "a/web").is_all());
    assert!(conns(&m, "8.8.8.8", "a/web").is_all());
    let o = objects(
        &(base()
            + &np(
                "a",
                "none",
                "  podSelector: {matchLabels: {app: web}}\n  ingress: []",
            )),
    );
    let m = Model::build(&o).unwrap();
    assert!(conns(&m, "b/client", "a/web").is_empty());
}

#[test]
fn namespace_and_pod_selectors_in_one_peer_are_anded_in_two_peers_ored() {
    let and = np(
        "a",
        "p",
        "  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {team: green}}\n      podSelector: {matchLabels: {app: web}}",
    );
    let o = objects(&(base() + &and));
    let m = Model::build(&o).unwrap();
    assert!(
        conns(&m, "b/client", "a/db").is_empty(),
        "client is in team green but not app=web"
    );
    assert!(
        conns(&m, "a/web", "a/db").is_empty(),
        "web is app=web but in team blue"
    );
    let or = np(
        "a",
        "p",
        "  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {team: green}}\n    - podSelector: {matchLabels: {app: web}}",
    );
    let o = objects(&(base() + &or));
    let m = Model::build(&o).unwrap();
    assert!(conns(&m, "b/client", "a/db").is_all());
    assert!(conns(&m, "a/web", "a/db").is_all());
    // podSelector alone means the policy's namespace.
    let own = np(
        "b",
        "p",
        "  podSelector: {}\n  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: web}}",
    );
    let o = objects(&(base() + &own));
    let m = Model::build(&o).unwrap();
    assert!(
        conns(&m, "a/web", "b/client").is_empty(),
        "web is in namespace a, not b"
    );
}

#[test]
fn match_expressions_select_targets_and_peers() {
    let p = np(
        "a",
        "p",
        "  podSelector:\n    matchExpressions:\n    - {key: tier, operator: Exists}\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchExpressions:\n        - {key: team, operator: NotIn, values: [blue]}\n      podSelector:\n        matchExpressions:\n        - {key: app, operator: In, values: [client, other]}\n        - {key: legacy, operator: DoesNotExist}",
    );
    let o = objects(&(base() + &p));
    let m = Model::build(&o).unwrap();
    assert!(conns(&m, "b/client", "a/db").is_all());
    assert!(conns(&m, "a/web", "a/db").is_empty());
    assert!(
        conns(&m, "b/client", "a/web").is_all(),
        "web has no tier label: not selected"
    );
}

#[test]
fn ports_protocols_ranges_and_named_ports() {
    let p = np(
        "a",
        "p",
        "  podSelector: {}\n  ingress:\n  - ports:\n    - port: 80\n    - {port: 53, protocol: UDP}\n    - {protocol: SCTP}\n    - {port: 30000, endPort: 30010}\n    - port: http\n    - {port: pg, protocol: UDP}",
    );
    let o = objects(&(base() + &p));
    let m = Model::build(&o).unwrap();
    let mut want = tcp(80);
    want.union_with(&ConnSet::ports(Protocol::Udp, 53, 53));
    want.union_with(&ConnSet::protocol(Protocol::Sctp));
    want.union_with(&ConnSet::ports(Protocol::Tcp, 30000, 30010));
    // `http` resolves on web (8080); on db it does not exist; `pg` is TCP, the rule says UDP.
    let mut web = want.clone();
    web.union_with(&tcp(8080));
    assert_eq!(conns(&m, "b/client", "a/web"), web);
    assert_eq!(conns(&m, "b/client", "a/db"), want);
    assert_eq!(
        conns(&m, "b/client", "a/db").to_string(),
        "SCTP 1-65535,TCP 80,30000-30010,UDP 53"
    );
}

#[test]
fn egress_named_ports_resolve_on_the_destination() {
    let p = np(
        "b",
        "p",
        "  podSelector: {}\n  egress:\n  - ports:\n    - port: pg\n    - port: http",
    );
    let o = objects(&(base() + &p));
    let m = Model::build(&o).unwrap();
    assert_eq!(conns(&m, "b/client", "a/db"), tcp(5432));
    assert_eq!(conns(&m, "b/client", "a/web"), tcp(8080));
    assert!(
        conns(&m, "b/client", "8.8.8.8").is_empty(),
        "named ports never match an address"
    );
}

#[test]
fn policies_combine_as_a_union_and_both_directions_must_allow() {
    let p1 = np(
        "a",
        "p1",
        "  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - ports: [{port: 5432}]",
    );
    let p2 = np(
        "a",
        "p2",
        "  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - ports: [{port: 9187}]",
    );
    let eg = np(
        "b",
        "eg",
        "  podSelector: {}\n  egress:\n  - ports: [{port: 9187}, {port: 53, protocol: UDP}]",
    );
    let o = objects(&(base() + &p1 + &p2));
    let m = Model::build(&o).unwrap();
    let mut both = tcp(5432);
    both.union_with(&tcp(9187));
    assert_eq!(conns(&m, "b/client", "a/db"), both);
    let o = objects(&(base() + &p1 + &p2 + &eg));
    let m = Model::build(&o).unwrap();
    assert_eq!(conns(&m, "b/client", "a/db"), tcp(9187));
}

#[test]
fn ip_blocks_with_except_split_the_external_space() {
    let p = np(
        "a",
        "p",
        "  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}",
    );
    let o = objects(&(base() + &p));
    let m = Model::build(&o).unwrap();
    let a = Analysis::new(&m);
    let ranges: Vec<String> = a.sources.iter().map(ToString::to_string).collect();
    assert_eq!(
        ranges,
        [
            "0.0.0.0-9.255.255.255",
            "10.0.0.0-10.0.255.255",
            "10.1.0.0-10.1.255.255",
            "10.2.0.0-10.255.255.255",
            "11.0.0.0-255.255.255.255"
        ]
    );
    assert!(conns(&m, "10.0.0.1", "a/web").is_all());
    assert!(conns(&m, "10.1.0.1", "a/web").is_empty());
    assert!(conns(&m, "10.200.0.1", "a/web").is_all());
    assert!(conns(&m, "192.168.0.1", "a/web").is_empty());
    assert!(
        conns(&m, "b/client", "a/web").is_empty(),
        "an ipBlock does not name pods"
    );
    assert_eq!(
        a.destinations.len(),
        1,
        "no egress ipBlock: one destination range"
    );
}

#[test]
fn namespaces_referenced_but_not_declared_have_their_name_label() {
    let y = pod("c", "px", "app: px", "")
        + &pod("d", "py", "app: py", "")
        + &np(
            "d",
            "p",
            "  podSelector: {}\n  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: c}}",
        );
    let o = objects(&y);
    let m = Model::build(&o).unwrap();
    assert!(m.namespaces.iter().all(|n| n.object.is_none()));
    assert!(conns(&m, "c/px", "d/py").is_all());
    // A declared namespace gets the label too (the API server sets it).
    let o = objects(&base());
    let m = Model::build(&o).unwrap();
    assert_eq!(
        m.namespaces[0].labels.get("kubernetes.io/metadata.name"),
        Some("a")
    );
}

#[test]
fn every_workload_kind_with_its_template_labels() {
    let y = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: w}
spec:
  template:
    metadata: {labels: {k: d}}
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: s, namespace: w}
spec:
  template:
    metadata: {labels: {k: s}}
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ds, namespace: w}
spec:
  template:
    metadata: {labels: {k: ds}}
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: ReplicationController
metadata: {name: rc, namespace: w}
spec:
  template:
    metadata: {labels: {k: rc}}
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: j, namespace: w}
spec:
  template:
    metadata: {labels: {k: j}}
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: cj, namespace: w}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        metadata: {labels: {k: cj}}
        spec: {containers: [{name: c, image: i}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: d-abc
  namespace: w
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: d, uid: u1, controller: true}]
spec:
  template:
    metadata: {labels: {k: d, pod-template-hash: abc}}
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: d-abc-1
  namespace: w
  labels: {k: d, pod-template-hash: abc}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: d-abc, uid: u2, controller: true}]
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: orphan-1
  namespace: w
  labels: {k: o}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: gone-123, uid: u3, controller: true}]
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: orphan-2
  namespace: w
  labels: {k: o}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: gone-123, uid: u3, controller: true}]
spec: {containers: [{name: c, image: i}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-cj, namespace: w}
spec:
  podSelector: {matchLabels: {k: cj}}
"#;
    let o = objects(y);
    let m = Model::build(&o).unwrap();
    let names: Vec<String> = (0..m.workloads.len()).map(|w| m.workload_name(w)).collect();
    // The ReplicaSet and its pod fold into the Deployment; the orphans into their ReplicaSet.
    assert_eq!(
        names,
        [
            "w/cj[CronJob]",
            "w/d[Deployment]",
            "w/ds[DaemonSet]",
            "w/gone-123[ReplicaSet]",
            "w/j[Job]",
            "w/rc[ReplicationController]",
            "w/s[StatefulSet]"
        ]
    );
    // The CronJob's job template labels are what policies select.
    assert!(conns(&m, "w/d", "w/cj").is_empty());
    assert!(conns(&m, "w/cj", "w/d").is_all());
}

#[test]
fn invalid_policies_are_errors_with_positions_never_panics() {
    let bad = [
        (
            "  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 300.0.0.0/8}",
            "is not a CIDR",
            11,
        ),
        (
            "  podSelector: {}\n  ingress:\n  - from:\n    - {}",
            "a peer needs",
            11,
        ),
        (
            "  podSelector: {}\n  ingress:\n  - ports: [{port: 80, endPort: 70}]",
            "endPort must be",
            10,
        ),
        (
            "  podSelector: {}\n  ingress:\n  - ports: [{port: 80, protocol: ICMP}]",
            "unknown protocol `ICMP`",
            10,
        ),
        (
            "  podSelector: {}\n  policyTypes: [Both]",
            "unknown policy type `Both`",
            9,
        ),
        (
            "  podSelector: {matchExpressions: [{key: a, operator: In}]}",
            "needs at least one value",
            8,
        ),
        (
            "  podSelector: {matchExpressions: [{key: a, operator: Near, values: [b]}]}",
            "unknown operator",
            8,
        ),
        (
            "  podSelector: {matchLabels: {app: 3}}",
            "expected a string label value",
            8,
        ),
        (
            "  podSelector: {}\n  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/8]}",
            "strict subset",
            11,
        ),
        ("  ingress: []", "`spec.podSelector` is required", 7),
    ];
    for (spec, want, line) in bad {
        let o = objects(&np("a", "p", spec));
        let err = Model::build(&o).expect_err(spec).to_string();
        assert!(err.contains(want), "{spec}: {err}");
        assert!(
            err.starts_with(&format!("test.yaml:{line}:")),
            "{spec}: {err}"
        );
    }
    // Nulls where mappings are expected are absent, not errors.
    let o = objects(&np("a", "p", "  podSelector:\n  ingress:\n  -\n  egress:"));
    let m = Model::build(&o).unwrap();
    assert_eq!(m.policies[0].ingress.len(), 1);
}

#[test]
fn explanations_agree_with_the_matrix() {
    let p = np(
        "a",
        "p",
        "  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: web}}\n    ports: [{port: pg}]",
    );
    let o = objects(&(base() + &p));
    let m = Model::build(&o).unwrap();
    let a = Analysis::new(&m);
    let web = m.find_workload("a/web").unwrap();
    let db = m.find_workload("a/db").unwrap();
    let client = m.find_workload("b/client").unwrap();
    let r = a.explain(&Endpoint::Workload(web), &Endpoint::Workload(db));
    assert_eq!(r.conns, tcp(5432));
    assert!(r.allows(Some((Protocol::Tcp, 5432))) && !r.allows(Some((Protocol::Tcp, 80))));
    assert_eq!(r.ingress.selecting, vec![0]);
    assert_eq!(r.ingress.rules.len(), 1);
    assert!(!r.egress.isolated());
    let r = a.explain(&Endpoint::Workload(client), &Endpoint::Workload(db));
    assert!(r.conns.is_empty() && r.ingress.rules.is_empty() && r.ingress.isolated());
    assert_eq!(a.selecting(Direction::Ingress, db), &[0]);
}

/// The matrix computed per class equals pair-by-pair evaluation, on the benchmark's cluster
/// (both variants), workloads and external ranges alike.
#[test]
fn class_matrix_equals_pairwise_evaluation() {
    for worst in [false, true] {
        let o = objects(&cluster_gen::generate(120, 6, worst));
        let m = Model::build(&o).unwrap();
        let a = Analysis::new(&m);
        let mx = a.matrix();
        let n = m.workloads.len();
        assert_eq!(n, 120);
        if worst {
            assert_eq!(mx.classes, n, "every workload distinct in the worst case");
        } else {
            assert!(mx.classes < n, "classes group workloads");
        }
        let mut allowed = 0;
        for s in 0..n {
            for d in 0..n {
                let direct = a.allowed(&Endpoint::Workload(s), &Endpoint::Workload(d));
                assert_eq!(
                    mx.between(s, d),
                    &direct,
                    "{} -> {}",
                    m.workload_name(s),
                    m.workload_name(d)
                );
                allowed += usize::from(!direct.is_empty());
            }
            for (y, r) in mx.destinations.iter().enumerate() {
                assert_eq!(
                    mx.to_external(s, y),
                    &a.allowed(&Endpoint::Workload(s), &Endpoint::External(*r))
                );
            }
        }
        for (x, r) in mx.sources.iter().enumerate() {
            for d in 0..n {
                assert_eq!(
                    mx.from_external(x, d),
                    &a.allowed(&Endpoint::External(*r), &Endpoint::Workload(d))
                );
            }
        }
        // Not trivially all or nothing.
        assert!(allowed > n && allowed < n * n / 2, "{allowed}");
    }
}

/// Too many workloads for a cell each: the HTML page shows namespace pairs, still one colored
/// cell per (row, column) with its counts in the tooltip.
#[test]
fn large_html_matrices_are_shown_per_namespace() {
    let o = objects(&cluster_gen::generate(250, 5, false));
    let m = Model::build(&o).unwrap();
    let a = Analysis::new(&m);
    let mx = a.matrix();
    let mut html = Vec::new();
    kubeward_netpol::render::write_matrix(&mut html, &m, &mx, "html").unwrap();
    let html = String::from_utf8(html).unwrap();
    // Rows: the external sources, then 5 namespaces; columns: 5 namespaces, then external.
    assert_eq!(html.matches("<tr><th").count(), 7, "the header and 6 rows");
    assert_eq!(html.matches("<td class=").count(), 6 * 6);
    assert!(
        html.contains("<th title=\"namespace ns-01 (50)\"><div>namespace ns-01 (50)</div></th>")
    );
    let own = "namespace ns-01 (50) \u{2192} namespace ns-01 (50): 2450 pairs: ";
    assert!(html.contains(own), "{html}");
    assert!(html.contains("(50 not analysed)"));
    // The per-pair counts add up to the pairs of the matrix.
    let total: usize = html
        .split("\">")
        .filter_map(|t| {
            t.split(" pairs: ")
                .next()?
                .rsplit(": ")
                .next()?
                .parse::<usize>()
                .ok()
        })
        .sum();
    let n = m.workloads.len();
    assert_eq!(
        total,
        n * (n - 1) + n * (mx.sources.len() + mx.destinations.len())
    );
}

/// Pods grouped under a controller that is not in the input must agree on the labels the
/// policies look at; other labels may differ.
#[test]
fn pods_of_one_controller_must_agree_on_selected_labels() {
    let pod = |name: &str, labels: &str| {
        format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: a\n  labels: {{{labels}}}\n  ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: rs, uid: u, controller: true}}]\nspec: {{containers: [{{name: c, image: i}}]}}\n"
        )
    };
    let policy = np("a", "p", "  podSelector: {matchLabels: {app: web}}");
    let same = pod("rs-1", "app: web, hash: one") + &pod("rs-2", "app: web, hash: two") + &policy;
    let o = objects(&same);
    let m = Model::build(&o).unwrap();
    assert_eq!(m.workloads.len(), 1);
    assert_eq!(m.workload_name(0), "a/rs[ReplicaSet]");
    let differ = pod("rs-1", "app: web") + &pod("rs-2", "app: api") + &policy;
    let o = objects(&differ);
    let err = Model::build(&o).unwrap_err().to_string();
    assert!(
        err.starts_with("test.yaml:16:")
            && err.contains("pods of a/rs[ReplicaSet] have different values for label `app`"),
        "{err}"
    );
}
