//! Oracle: np-guard/netpol-analyzer's connection lists (`../shared/data/netpol-np-guard`).
//!
//! For every test directory, `kubeward netpol list` (the library path it runs) must produce the
//! same set of connections as np-guard's expected output, compared as sets of (source,
//! destination, connection set) after normalising np-guard's text format here. Directories where
//! we disagree, that are out of scope, or that must be rejected are listed below with the
//! reason, and that verdict is asserted too, so the list cannot rot. See
//! `docs/oracles/netpol.md`.

use kubeward_core::Object;
use kubeward_netpol::list::{connections, end_name};
use kubeward_netpol::{Analysis, ConnSet, Model, Protocol};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/netpol-np-guard"
);

fn data() -> PathBuf {
    let p = PathBuf::from(DATA);
    assert!(
        p.join("tests").is_dir(),
        "the np-guard oracle data is missing at {} (../shared/data/netpol-np-guard): this test needs it",
        p.display()
    );
    p
}

/// Loads a directory the way `kubeward netpol list DIR` does.
fn load(dir: &Path) -> (Vec<Object>, Vec<String>) {
    let (inputs, errs) = kubeward_load::discover(&[dir.to_path_buf()]);
    let mut loaded = kubeward_load::Loaded::default();
    for i in &inputs {
        kubeward_load::load_input(i, &kubeward_load::Options::default(), &mut loaded);
    }
    let errors = errs
        .iter()
        .chain(&loaded.errors)
        .map(ToString::to_string)
        .collect();
    (loaded.objects, errors)
}

type ConnList = BTreeMap<(String, String), ConnSet>;

/// Our connection list, or the analysis error.
fn ours(objects: &[Object]) -> Result<ConnList, String> {
    let model = Model::build(objects).map_err(|e| e.to_string())?;
    let analysis = Analysis::new(&model);
    let matrix = analysis.matrix();
    let mut out = ConnList::new();
    for c in connections(&analysis, &matrix) {
        out.insert(
            (end_name(&model, &c.src), end_name(&model, &c.dst)),
            c.conns,
        );
    }
    Ok(out)
}

/// Parses np-guard's `TCP 80,8080-8090,UDP 53` / `All Connections`.
fn parse_conns(s: &str) -> ConnSet {
    if s.trim() == "All Connections" {
        return ConnSet::all();
    }
    let mut c = ConnSet::none();
    let mut proto = None;
    for part in s.split(',') {
        let part = part.trim();
        let ports = match part.split_once(' ') {
            Some((p, rest)) => {
                proto = Some(Protocol::parse(p).unwrap_or_else(|| panic!("protocol in `{s}`")));
                rest
            }
            None => part,
        };
        let p = proto.unwrap_or_else(|| panic!("no protocol in `{s}`"));
        let (a, b) = ports.split_once('-').unwrap_or((ports, ports));
        c.union_with(&ConnSet::ports(p, a.parse().unwrap(), b.parse().unwrap()));
    }
    c
}

/// np-guard's expected list: `src => dst : conns` lines.
fn expected(dir: &str) -> Option<ConnList> {
    let p = Path::new(DATA).join(format!("expected/{dir}_connlist_output.txt"));
    let text = std::fs::read_to_string(p).ok()?;
    let mut out = ConnList::new();
    for line in text.lines().filter(|l| l.contains(" => ")) {
        let (pair, conns) = line
            .rsplit_once(" : ")
            .unwrap_or_else(|| panic!("line `{line}`"));
        let (src, dst) = pair.split_once(" => ").unwrap();
        out.insert((src.to_string(), dst.to_string()), parse_conns(conns));
    }
    Some(out)
}

fn diff(ours: &ConnList, theirs: &ConnList) -> String {
    let mut s = String::new();
    let keys: BTreeSet<_> = ours.keys().chain(theirs.keys()).collect();
    for k in keys {
        match (ours.get(k), theirs.get(k)) {
            (Some(a), Some(b)) if a == b => {}
            (a, b) => s.push_str(&format!(
                "  {} => {}: ours {} / np-guard {}\n",
                k.0,
                k.1,
                a.map_or("-".into(), ToString::to_string),
                b.map_or("-".into(), ToString::to_string)
            )),
        }
    }
    s
}

/// What we assert for a directory.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Same connection set as np-guard.
    Same,
    /// Same, except np-guard's `{ingress-controller}` lines (its Ingress/Route analysis, which
    /// kubeward does not do); those lines must exist.
    SameWithoutIngressController,
    /// Same for IPv4; np-guard ignores IPv6 addresses (with a warning), kubeward analyses them
    /// and so lists extra IPv6 destination ranges.
    SameForIpv4,
    /// Pods whose ownerReference has no `kind`, which the API server rejects: kubeward warns and
    /// takes each pod as its own workload; np-guard groups them under `NAME[Pod]`.
    OwnerWithoutKind,
    /// Invalid input: an error naming file:line:column and containing this text.
    Error(&'static str),
    /// No connection-list oracle (np-guard only has exposure or diff outputs for it, or none):
    /// the analysis must succeed.
    NoOracle,
    /// No oracle, and the input has YAML the loader rejects: the load errors carry positions.
    LoadError,
    /// Out of scope: OVN-Kubernetes (Cluster)UserDefinedNetworks, NetworkAttachmentDefinitions,
    /// MultiNetworkPolicies, KubeVirt VirtualMachines (np-guard's multi-network analysis). The
    /// directory must contain one of these kinds.
    MultiNetwork,
    /// np-guard rejects it; kubeward accepts it, with this reason.
    Accepted(&'static str),
    /// Analysed, with a warning containing this text (an invalid field left out); the same
    /// connections as np-guard when it has a list.
    Warned(&'static str),
}

use Expect::*;

const CASES: &[(&str, Expect)] = &[
    ("acs-security-demos", SameWithoutIngressController),
    ("acs-security-demos-added-workloads", LoadError),
    ("acs-security-demos-new", NoOracle),
    (
        "acs-security-demos-with-netpol-list",
        SameWithoutIngressController,
    ),
    ("acs_security_frontend_demos", Same),
    ("anp_and_banp_using_networks_test", Same),
    ("anp_and_banp_using_networks_with_ipv6_test", SameForIpv4),
    ("anp_bad_path_test_1", Error("have the same priority 50")),
    ("anp_bad_path_test_12", Error("a rule needs an `action`")),
    (
        "anp_bad_path_test_14",
        Error("a rule needs at least one peer in `from`"),
    ),
    (
        "anp_bad_path_test_15",
        Error("a rule needs at least one peer in `from`"),
    ),
    ("anp_bad_path_test_18", Error("unknown action `Ok`")),
    ("anp_bad_path_test_19", Error("`zc00::/8` is not a CIDR")),
    (
        "anp_bad_path_test_20",
        Error("priority must be 0-1000, found 1001"),
    ),
    (
        "anp_bad_path_test_3",
        Error("a second AdminNetworkPolicy named `same-name`"),
    ),
    (
        "anp_bad_path_test_5",
        Error("a subject needs exactly one of `namespaces` or `pods`"),
    ),
    (
        "anp_bad_path_test_6",
        Error("a rule needs at least one peer in `to`"),
    ),
    (
        "anp_bad_path_test_8",
        Error("a port needs exactly one of portNumber, portRange or namedPort"),
    ),
    ("anp_bad_path_test_9", Error("unknown action `Accept`")),
    ("anp_banp_blog_demo", Same),
    ("anp_banp_core_test", Same),
    ("anp_banp_explain_demo", NoOracle),
    ("anp_banp_test_with_named_port_matched", Same),
    ("anp_banp_test_with_named_port_unmatched", Same),
    ("anp_test_10_swapping_rules", Same),
    ("anp_test_12", Same),
    ("anp_test_1_deny_traffic_at_cluster_level", Same),
    ("anp_test_2_allow_traffic_at_cluster_level", Same),
    ("anp_test_4_with_priority_chang_pass_to_banp", Same),
    ("anp_test_6", Same),
    ("anp_test_6_swapping_rules", Same),
    ("anp_test_7", Same),
    ("anp_test_8", Same),
    ("anp_test_9", Same),
    ("anp_test_9_swapping_rules", Same),
    ("anp_test_combining_test_6_and_test_10", Same),
    ("anp_test_multiple_anps", Same),
    ("anp_test_named_ports_multiple_peers", Same),
    ("anp_with_banp_new_test", Same),
    ("anp_with_banp_pass_test", Same),
    ("anp_with_np_and_banp_pass_test", Same),
    ("anp_with_np_pass_test", Same),
    ("bad_netpols/subdir1", Error("`A` is not a CIDR")),
    ("bad_netpols/subdir2", Error("invalid label key")),
    (
        "bad_netpols/subdir3",
        Error("a peer may have an ipBlock or selectors"),
    ),
    (
        "bad_netpols/subdir4",
        Error("a peer needs podSelector, namespaceSelector or ipBlock"),
    ),
    // `port: abc`, a named port no container defines: valid (np-guard accepts it too, without a
    // connection list); KW3xx lint material.
    ("bad_netpols/subdir5", NoOracle),
    (
        "bad_netpols/subdir6",
        Accepted(
            "a named port in an egress rule whose peer is an ipBlock: the API server accepts it; a named port resolves on the destination pod, so it never matches an address outside the cluster and allows nothing there (np-guard stops with an error)",
        ),
    ),
    ("bad_netpols/subdir7", Error("invalid label value")),
    (
        "banp_bad_path_test_11",
        Error("a rule needs at least one peer in `from`"),
    ),
    (
        "banp_bad_path_test_13",
        Error("a port needs exactly one of portNumber, portRange or namedPort"),
    ),
    (
        "banp_bad_path_test_14",
        Error("unknown action `Pass` (expected Allow or Deny)"),
    ),
    ("banp_bad_path_test_15", Error("`zc00::/8` is not a CIDR")),
    (
        "banp_bad_path_test_2",
        Error("must be named `default`, not `banp-name`"),
    ),
    ("banp_bad_path_test_3", Error("needs a `subject`")),
    (
        "banp_bad_path_test_4",
        Error("a subject needs exactly one of `namespaces` or `pods`"),
    ),
    (
        "banp_bad_path_test_5",
        Error("a rule needs at least one peer in `to`"),
    ),
    (
        "banp_bad_path_test_8",
        Error("unknown action `Pass` (expected Allow or Deny)"),
    ),
    ("banp_test_core_egress_sctp_rules", Same),
    ("banp_test_core_egress_tcp_rules", Same),
    ("banp_test_core_egress_udp_rules", Same),
    ("banp_test_core_gress_rules", Same),
    ("banp_test_core_gress_swapping_rules", Same),
    ("banp_test_core_ingress_sctp_swapping_rules", Same),
    ("banp_test_core_ingress_tcp_rules", Same),
    ("banp_test_core_ingress_udp_rules", Same),
    ("banp_test_core_ingress_udp_swapping_rules", Same),
    ("basic", NoOracle),
    ("core_pods_without_host_ip", Same),
    ("cudn_bad_test_1", MultiNetwork),
    ("cudn_test_1", MultiNetwork),
    ("cudn_test_2", MultiNetwork),
    ("cudn_test_3", MultiNetwork),
    ("cudn_test_4", MultiNetwork),
    ("cudn_test_5", MultiNetwork),
    ("cudn_test_6", MultiNetwork),
    ("deny_all_to_from_a_deployment", NoOracle),
    ("deny_all_to_from_a_deployment_changed_netpol", NoOracle),
    ("dirty", LoadError),
    ("document_with_syntax_error", LoadError),
    (
        "example_pods_w_same_owner_and_labels_gap_anp_good",
        OwnerWithoutKind,
    ),
    (
        "example_pods_w_same_owner_and_labels_gap_banp_good",
        OwnerWithoutKind,
    ),
    (
        "example_pods_w_same_owner_and_labels_gap_no_policy",
        OwnerWithoutKind,
    ),
    (
        "example_pods_w_same_owner_and_labels_gap_with_good_match_expression",
        OwnerWithoutKind,
    ),
    (
        "example_pods_w_same_owner_and_labels_gap_with_good_match_expression2",
        OwnerWithoutKind,
    ),
    (
        "example_w_err_pods_w_same_owner_and_labels_gap_anp",
        OwnerWithoutKind,
    ),
    ("exposure_allow_all_in_cluster_test", NoOracle),
    ("exposure_allow_all_two_workloads_test", NoOracle),
    ("exposure_allow_egress_deny_ingress_test", NoOracle),
    ("exposure_allow_ingress_deny_egress_test", NoOracle),
    ("exposure_matched_and_unmatched_rules_test", NoOracle),
    ("exposure_only_matched_rules_test", NoOracle),
    (
        "exposure_test_conn_entire_cluster_with_empty_selectors",
        NoOracle,
    ),
    ("exposure_test_conn_to_all_pods_in_a_new_ns", NoOracle),
    ("exposure_test_conn_to_all_pods_in_an_existing_ns", NoOracle),
    ("exposure_test_conn_to_new_pod_in_an_existing_ns", NoOracle),
    (
        "exposure_test_conn_with_new_pod_selector_and_ns_selector",
        NoOracle,
    ),
    ("exposure_test_conn_with_only_pod_selector", NoOracle),
    ("exposure_test_different_but_equiv_rules", NoOracle),
    (
        "exposure_test_egress_to_entire_cluster_with_named_ports",
        NoOracle,
    ),
    ("exposure_test_egress_with_named_port", NoOracle),
    (
        "exposure_test_egress_with_named_port_with_matching_pod",
        NoOracle,
    ),
    (
        "exposure_test_ingress_from_entire_cluster_with_named_ports",
        NoOracle,
    ),
    ("exposure_test_minimal_netpol_analysis", NoOracle),
    (
        "exposure_test_pod_exposed_only_to_representative_peers",
        Same,
    ),
    ("exposure_test_real_namespace_with_matching_pod", NoOracle),
    ("exposure_test_real_namespace_without_real_pod", NoOracle),
    (
        "exposure_test_rule_with_multiple_match_expressions",
        NoOracle,
    ),
    (
        "exposure_test_same_unmatched_rule_in_ingress_egress",
        NoOracle,
    ),
    ("exposure_test_to_any_namespace_with_podSelector", NoOracle),
    ("exposure_test_to_namespace_except_specific_pod", NoOracle),
    ("exposure_test_with_anp_1", NoOracle),
    ("exposure_test_with_anp_10_with_real_pod", NoOracle),
    ("exposure_test_with_anp_11_with_named_port", NoOracle),
    ("exposure_test_with_anp_12", NoOracle),
    ("exposure_test_with_anp_13", NoOracle),
    ("exposure_test_with_anp_15", NoOracle),
    ("exposure_test_with_anp_2_w_np", NoOracle),
    ("exposure_test_with_anp_3_w_banp", NoOracle),
    ("exposure_test_with_anp_4_entire_cluster_example", NoOracle),
    ("exposure_test_with_anp_5_entire_cluster_example", NoOracle),
    ("exposure_test_with_anp_6_entire_cluster_example", NoOracle),
    ("exposure_test_with_anp_8", NoOracle),
    ("exposure_test_with_anp_9", NoOracle),
    ("exposure_test_with_different_rules_1", NoOracle),
    ("exposure_test_with_different_rules_2", NoOracle),
    (
        "exposure_test_with_different_rules_2_with_matching_pod",
        NoOracle,
    ),
    ("exposure_test_with_different_rules_3", NoOracle),
    ("exposure_test_with_different_rules_4", NoOracle),
    (
        "exposure_test_with_different_rules_4_with_matching_pods",
        NoOracle,
    ),
    ("exposure_test_with_different_rules_6", NoOracle),
    (
        "exposure_test_with_match_expression_does_not_exist_op",
        NoOracle,
    ),
    ("exposure_test_with_match_expression_exists_op", NoOracle),
    (
        "exposure_test_with_match_expression_exists_op_with_matching_pods",
        NoOracle,
    ),
    ("exposure_test_with_match_expression_in_op", NoOracle),
    (
        "exposure_test_with_match_expression_in_op_with_matching_pod",
        NoOracle,
    ),
    ("exposure_test_with_match_expression_not_in_op", NoOracle),
    (
        "exposure_test_with_match_expression_not_in_op_with_matching_pods",
        NoOracle,
    ),
    ("exposure_test_with_multiple_policies_1", NoOracle),
    (
        "exposure_test_with_multiple_policies_1_with_matching_pod",
        NoOracle,
    ),
    ("exposure_test_with_multiple_policies_2", NoOracle),
    ("exposure_test_with_no_netpols", NoOracle),
    ("exposure_test_with_real_pod_and_namespace", NoOracle),
    ("exposure_to_namespace_with_multiple_labels_test", NoOracle),
    (
        "exposure_to_new_namespace_conn_and_entire_cluster",
        NoOracle,
    ),
    (
        "exposure_to_new_namespace_conn_and_entire_cluster_with_matching_pod",
        NoOracle,
    ),
    ("ingress_example_with_named_port", NoOracle),
    ("ipblockstest", Same),
    ("ipblockstest_3", Same),
    ("ipblockstest_4", Same),
    ("k8s_ingress_test", SameWithoutIngressController),
    ("k8s_ingress_test_new", NoOracle),
    (
        "malformed-pod-example-2",
        Warned("expected a list of ports, found a mapping"),
    ),
    ("malformed-pod-example-3", NoOracle),
    ("minikube_resources", Same),
    ("minimal_test_in_ns", Same),
    ("missing_workload_resources", NoOracle),
    (
        "multiple_ingress_objects_with_different_ports_new",
        NoOracle,
    ),
    ("multiple_topology_resources_2", Same),
    ("multiple_topology_resources_3", Same),
    ("multiple_topology_resources_4", Same),
    ("nad_test_11", MultiNetwork),
    ("nad_test_12", MultiNetwork),
    ("nad_test_13", MultiNetwork),
    ("nad_test_16", MultiNetwork),
    ("nad_test_17", MultiNetwork),
    ("nad_test_2", MultiNetwork),
    ("nad_test_3", MultiNetwork),
    ("nad_test_4", MultiNetwork),
    ("nad_test_6", MultiNetwork),
    ("netpol-analysis-example-minimal", Same),
    ("netpol-diff-example-minimal", NoOracle),
    ("netpol_named_port_test", Warned("expected `containerPort`")),
    (
        "netpol_named_port_test_2",
        Warned("expected `containerPort`"),
    ),
    ("new_online_boutique", Same),
    ("new_online_boutique_synthesis", Same),
    ("no_netpols_dir", NoOracle),
    (
        "np_bad_path_test_1",
        Error("a second NetworkPolicy named default/backend-netpol"),
    ),
    (
        "np_bad_path_test_2",
        Error("endPort cannot be used with a named port (`http`)"),
    ),
    (
        "np_test_with_empty_port_range",
        Error("endPort must be a port number from port (10) to 65535"),
    ),
    (
        "one_ingress_multiple_services",
        SameWithoutIngressController,
    ),
    ("onlineboutique", Same),
    ("onlineboutique_with_pods_severe_error", LoadError),
    ("onlineboutique_with_replicas", NoOracle),
    ("onlineboutique_with_replicas_and_variants", NoOracle),
    ("onlineboutique_workloads", Same),
    (
        "onlineboutique_workloads_changed_netpols_and_workloads",
        NoOracle,
    ),
    ("onlineboutique_workloads_with_configmap", NoOracle),
    ("only_pods_test", NoOracle),
    (
        "semanticDiff-different-topologies-policy-b-with-ipblock",
        Same,
    ),
    (
        "semanticDiff-same-topologies-illegal-podlist",
        Error("have different values for label `app`, which a policy selects on"),
    ),
    ("semanticDiff-same-topologies-new2", Same),
    ("semanticDiff-same-topologies-new3", Same),
    ("semanticDiff-same-topologies-old1", Same),
    ("semanticDiff-same-topologies-old2", Same),
    ("semanticDiff-same-topologies-old3", Same),
    ("services", NoOracle),
    ("test_with_irrelevant_oc_resources", NoOracle),
    ("test_with_named_ports_changed_netpol", Same),
    ("test_with_named_ports_changed_netpol_2", Same),
    ("udn_and_vms_test_1", MultiNetwork),
    ("udn_and_vms_test_2", MultiNetwork),
    ("udn_and_vms_test_4", MultiNetwork),
    ("udn_and_vms_test_5", MultiNetwork),
    ("udn_bad_path_test_2", MultiNetwork),
    ("udn_bad_path_test_3", MultiNetwork),
    ("udn_bad_path_test_4", MultiNetwork),
    ("udn_bad_path_test_5", MultiNetwork),
    ("udn_bad_path_test_6", MultiNetwork),
    ("udn_bad_path_test_7", MultiNetwork),
    ("udn_test_2", MultiNetwork),
    ("udn_test_3", MultiNetwork),
    ("udn_warning_test_3", MultiNetwork),
    ("udn_with_ingress_controller_two_pods", MultiNetwork),
    ("udn_with_vm_and_ingress_controller", MultiNetwork),
    ("vm_example", NoOracle),
    ("with_end_port_example", Same),
];

/// The analysis of a directory: model warnings and the connection list, or the error.
fn analyse(objects: &[Object]) -> Result<(Vec<String>, ConnList), String> {
    let model = Model::build(objects).map_err(|e| e.to_string())?;
    let warnings = model.warnings.iter().map(ToString::to_string).collect();
    drop(model);
    Ok((warnings, ours(objects)?))
}

fn check_error(
    dir: &str,
    text: &str,
    r: Result<(Vec<String>, ConnList), String>,
) -> Result<(), String> {
    match r {
        Ok(_) => Err(format!(
            "expected an error containing `{text}`, the analysis succeeded"
        )),
        Err(e) => {
            let first = e
                .lines()
                .find(|l| l.contains(text))
                .ok_or_else(|| format!("error `{e}` does not contain `{text}`"))?;
            // file:line:column: ...
            let pos = first.split(": ").next().unwrap_or_default();
            let mut parts = pos.rsplitn(3, ':');
            let col = parts.next().and_then(|c| c.parse::<u32>().ok());
            let line = parts.next().and_then(|c| c.parse::<u32>().ok());
            if !matches!((line, col), (Some(l), Some(c)) if l > 0 && c > 0) || !pos.contains(dir) {
                return Err(format!("error without file:line:column: `{first}`"));
            }
            Ok(())
        }
    }
}

fn check(dir: &str, expect: Expect) -> Result<(), String> {
    let path = data().join("tests").join(dir);
    let (objects, load_errors) = load(&path);
    let oracle = expected(dir);
    let compare = |o: &ConnList, e: &ConnList| -> Result<(), String> {
        if o == e {
            Ok(())
        } else {
            Err(format!(
                "connections differ (ours / np-guard):\n{}",
                diff(o, e)
            ))
        }
    };
    let need_oracle = || {
        oracle
            .clone()
            .ok_or_else(|| "no expected output".to_string())
    };
    if !matches!(expect, LoadError | MultiNetwork) && !load_errors.is_empty() {
        return Err(format!("unexpected load errors: {load_errors:?}"));
    }
    match expect {
        Same => compare(&analyse(&objects)?.1, &need_oracle()?),
        SameWithoutIngressController => {
            let mut e = need_oracle()?;
            let before = e.len();
            e.retain(|(src, _), _| src != "{ingress-controller}");
            if e.len() == before {
                return Err("no {ingress-controller} lines: use Same".into());
            }
            compare(&analyse(&objects)?.1, &e)
        }
        SameForIpv4 => {
            let mut o = analyse(&objects)?.1;
            let before = o.len();
            // Workload names have no `:`; IPv6 ranges always do.
            o.retain(|(src, dst), _| !src.contains(':') && !dst.contains(':'));
            if o.len() == before {
                return Err("no IPv6 ranges in our list: use Same".into());
            }
            compare(&o, &need_oracle()?)
        }
        OwnerWithoutKind => {
            let (warnings, o) = analyse(&objects)?;
            if !warnings
                .iter()
                .any(|w| w.contains("an ownerReference needs `kind` and `name`"))
            {
                return Err(format!(
                    "expected an ownerReference warning, got {warnings:?}"
                ));
            }
            if oracle.as_ref().is_some_and(|e| *e == o) {
                return Err("now equal to np-guard: use Same".into());
            }
            // Each pod is its own workload.
            let names: BTreeSet<&str> = o
                .keys()
                .flat_map(|(a, b)| [a.as_str(), b.as_str()])
                .collect();
            if names.iter().any(|n| n.contains("internal-security")) {
                return Err(format!(
                    "pods grouped under their kind-less owner: {names:?}"
                ));
            }
            Ok(())
        }
        Error(text) => check_error(dir, text, analyse(&objects)),
        Accepted(why) => {
            let (_, o) =
                analyse(&objects).map_err(|e| format!("should be accepted ({why}): {e}"))?;
            if o.is_empty() {
                return Err(format!("accepted ({why}) but nothing listed"));
            }
            Ok(())
        }
        Warned(text) => {
            let (warnings, o) = analyse(&objects)?;
            if !warnings.iter().any(|w| w.contains(text)) {
                return Err(format!(
                    "expected a warning containing `{text}`, got {warnings:?}"
                ));
            }
            match &oracle {
                Some(e) => compare(&o, e),
                None => Ok(()),
            }
        }
        NoOracle => {
            if oracle.is_some() {
                return Err("np-guard has a connection list for it now: compare".into());
            }
            analyse(&objects).map(|_| ())
        }
        LoadError => {
            if load_errors.is_empty() {
                return Err("expected load errors".into());
            }
            if load_errors.iter().any(|e| !e.contains(dir)) {
                return Err(format!("load errors without their file: {load_errors:?}"));
            }
            Ok(())
        }
        MultiNetwork => {
            const KINDS: [&str; 6] = [
                "UserDefinedNetwork",
                "ClusterUserDefinedNetwork",
                "NetworkAttachmentDefinition",
                "MultiNetworkPolicy",
                "VirtualMachine",
                "VirtualMachineInstance",
            ];
            if !objects.iter().any(|o| KINDS.contains(&o.kind.as_str())) {
                return Err("no multi-network kinds here".into());
            }
            // Out of scope, but it must not crash: an analysis or a clear error.
            let _ = analyse(&objects);
            Ok(())
        }
    }
}

#[test]
fn np_guard_connection_lists() {
    let root = data();
    // Every directory of the oracle is in CASES, and every case exists.
    let mut dirs: BTreeSet<String> = BTreeSet::new();
    for e in std::fs::read_dir(root.join("tests")).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name == "bad_netpols" {
            for s in std::fs::read_dir(root.join("tests").join(&name)).unwrap() {
                dirs.insert(format!(
                    "{name}/{}",
                    s.unwrap().file_name().to_string_lossy()
                ));
            }
        } else {
            dirs.insert(name);
        }
    }
    let listed: BTreeSet<String> = CASES.iter().map(|(d, _)| d.to_string()).collect();
    let missing: Vec<_> = dirs.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&dirs).collect();
    assert!(
        missing.is_empty(),
        "oracle directories not in CASES: {missing:?}"
    );
    assert!(stale.is_empty(), "CASES not in the oracle data: {stale:?}");

    let mut failures = Vec::new();
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    for (dir, expect) in CASES {
        let kind = match expect {
            Same | SameWithoutIngressController | SameForIpv4 => "agree",
            Warned(_) if expected(dir).is_some() => "agree",
            Error(_) => "rejected",
            _ => "other",
        };
        *tally.entry(kind).or_default() += 1;
        if let Err(why) = check(dir, *expect) {
            failures.push(format!("{dir} ({expect:?}): {why}"));
        }
    }
    println!("np-guard oracle: {tally:?}");
    assert!(
        failures.is_empty(),
        "{} directories disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The documented figures (docs/oracles/netpol.md).
    // 91 directories have an np-guard connection list: 64 agree, 5 are the kind-less
    // ownerReference cases, 22 are multi-network (out of scope).
    assert_eq!(tally.get("agree"), Some(&64));
    let with_list = |f: fn(&Expect) -> bool| {
        CASES
            .iter()
            .filter(|(d, e)| f(e) && expected(d).is_some())
            .count()
    };
    assert_eq!(with_list(|_| true), 91);
    assert_eq!(with_list(|e| matches!(e, OwnerWithoutKind)), 5);
    assert_eq!(with_list(|e| matches!(e, MultiNetwork)), 22);
}

/// The oracle's connection-set syntax is understood the way we print ours.
#[test]
fn np_guard_conn_strings_parse() {
    for s in [
        "All Connections",
        "TCP 80",
        "SCTP 1-9002,9004-65535,TCP 1-79,81-65535,UDP 1-52,54-65535",
    ] {
        assert_eq!(parse_conns(s).to_string(), s);
    }
}
