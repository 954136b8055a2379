//! Oracles for the network and governance rules: Polaris's and Checkov's test manifests, whose
//! file names carry the other tool's verdict. Each case states what kubeward must do with the
//! file; where that differs from the other tool the case says why (see
//! `docs/oracles/network.md`).

mod common;

use common::{Case, check};

const POLARIS: &str = "manifests/polaris-testdata/test/checks";
const CHECKOV: &str = "manifests/checkov-k8s-tests/tests/kubernetes/checks";

#[test]
fn polaris_tls_settings_missing_vs_kw304() {
    check(
        POLARIS,
        &[
            Case {
                code: "KW304",
                file: "tlsSettingsMissing/failure.yaml",
                theirs: true,
                ours: true,
                why: "",
            },
            // tls for example.com plus a host-less rule: any tls entry covers host-less rules.
            Case {
                code: "KW304",
                file: "tlsSettingsMissing/success.yaml",
                theirs: false,
                ours: false,
                why: "",
            },
        ],
    );
}

#[test]
fn polaris_missing_network_policy_vs_kw305() {
    // Polaris checks that each pod is selected by policies that both declare and contain
    // ingress and egress rules. KW305 only finds namespaces without any policy; whether each
    // pod is covered, and in which direction, is the network policy analysis's job (it
    // computes the allowed connections instead of guessing from the policy's shape).
    const SCOPE: &str = "KW305 only asks whether the namespace has a policy at all; per-pod and per-direction coverage is the netpol analysis's job";
    check(
        POLARIS,
        &[
            Case {
                code: "KW305",
                file: "missingNetworkPolicy/success.yaml",
                theirs: false,
                ours: false,
                why: "",
            },
            Case {
                code: "KW305",
                file: "missingNetworkPolicy/failure.netpol_missing_egress_in_policytypes.yaml",
                theirs: true,
                ours: false,
                why: SCOPE,
            },
            // policyTypes has Egress but no egress rules: that is deny-all egress, the
            // strictest setting, not a missing policy.
            Case {
                code: "KW305",
                file: "missingNetworkPolicy/failure.netpol_missing_egress_rules.yaml",
                theirs: true,
                ours: false,
                why: "Egress without egress rules denies all egress; it is stricter, not missing",
            },
            Case {
                code: "KW305",
                file: "missingNetworkPolicy/failure.netpol_missing_ingress_in_policytypes.yaml",
                theirs: true,
                ours: false,
                why: SCOPE,
            },
            // Same as above for ingress: deny-all ingress.
            Case {
                code: "KW305",
                file: "missingNetworkPolicy/failure.netpol_missing_ingress_rules.yaml",
                theirs: true,
                ours: false,
                why: "Ingress without ingress rules denies all ingress; it is stricter, not missing",
            },
            Case {
                code: "KW305",
                file: "missingNetworkPolicy/failure.netpol_targets_wrong_pod_label.yaml",
                theirs: true,
                ours: false,
                why: SCOPE,
            },
        ],
    );
}

#[test]
fn checkov_kubernetes_dashboard_vs_kw804() {
    // CKV_K8S_33 flags a container image containing `kubernetes-dashboard` or `kubernetesui`,
    // or pod labels `app`/`k8s-app: kubernetes-dashboard`. KW804 decides on the image only.
    const LABELS: &str = "only the labels say dashboard; labels are free text and the image (nginx / none) is not the dashboard";
    check(
        CHECKOV,
        &[
            Case {
                code: "KW804",
                file: "example_KubernetesDashboard/kube-dashboard-FAILED.yaml",
                theirs: true,
                ours: true,
                why: "",
            },
            Case {
                code: "KW804",
                file: "example_KubernetesDashboard/kube-dashboard-no-image-FAILED.yaml",
                theirs: true,
                ours: false,
                why: LABELS,
            },
            Case {
                code: "KW804",
                file: "example_KubernetesDashboard/kube-dashboard-no-image-PASSED.yaml",
                theirs: false,
                ours: false,
                why: "",
            },
            // No verdict in the name; Checkov's check flags it (image kubernetesui/dashboard).
            Case {
                code: "KW804",
                file: "example_KubernetesDashboard/kubernetes-dashboard-deployment.yaml",
                theirs: true,
                ours: true,
                why: "",
            },
            Case {
                code: "KW804",
                file: "example_KubernetesDashboard/nginx-deployment-FAILED.yaml",
                theirs: true,
                ours: false,
                why: LABELS,
            },
            Case {
                code: "KW804",
                file: "example_KubernetesDashboard/nginx-deployment-PASSED.yaml",
                theirs: false,
                ours: false,
                why: "",
            },
            // The chart's Service is ClusterIP: not exposed.
            Case {
                code: "KW307",
                file: "example_KubernetesDashboard/kube-dashboard-FAILED.yaml",
                theirs: false,
                ours: false,
                why: "",
            },
        ],
    );
}

#[test]
fn checkov_default_namespace_vs_kw801() {
    check(
        CHECKOV,
        &[
            // The default ServiceAccount and `kubernetes` Service: not workloads (Checkov
            // exempts them by name).
            Case {
                code: "KW801",
                file: "example_DefaultNamespace/default-k8s-service-and-sa-PASSED2.yaml",
                theirs: false,
                ours: false,
                why: "",
            },
            // No namespace in the manifest: it lands where `kubectl -n`, Helm or Kustomize put
            // it, so the manifest does not show it ends up in `default`.
            Case {
                code: "KW801",
                file: "example_DefaultNamespace/nginx-statefulset-FAILED.yaml",
                theirs: true,
                ours: false,
                why: "a manifest without metadata.namespace is not in `default` until applied without -n",
            },
            Case {
                code: "KW801",
                file: "example_DefaultNamespace/scope-PASSED.yaml",
                theirs: false,
                ours: false,
                why: "",
            },
            Case {
                code: "KW801",
                file: "example_NoDefaultNamespace/Dev-PASSED.yaml",
                theirs: false,
                ours: false,
                why: "",
            },
        ],
    );
}

// Every rule on every shared manifest (kube-score, kube-linter, ...) without a panic is
// checked once for all rules in crates/kubeward-bench/tests/corpus.rs.
