//! Oracles for the cluster-level rules: Checkov's test manifests, whose file names carry
//! Checkov's verdict. Each case states what kubeward must do with the file; where that differs
//! from Checkov the case says why (see `docs/oracles/cluster.md`).
//!
//! Only KW807 has a counterpart among the oracles: neither Polaris nor Checkov checks admission
//! webhook configurations, and kubeward's `Cluster` object (KW601–KW603) exists only in
//! kubeward. Checkov's `ApiServerAnonymousAuth` checks the `--anonymous-auth` flag in a
//! kube-apiserver static pod, a different input (the node scan's, not a rule's).

mod common;

use common::{Case, check};

const CHECKOV: &str = "manifests/checkov-k8s-tests/tests/kubernetes/checks";

#[test]
fn checkov_default_service_account_vs_kw807() {
    // CKV_K8S_41 "Ensure that default service accounts are not actively used": the `default`
    // ServiceAccount must set automountServiceAccountToken: false.
    check(
        CHECKOV,
        &[
            // `automountServiceAccountToken: true`.
            Case {
                code: "KW807",
                file: "example_DefaultServiceAccount/DefaultServiceAccount-FAILED.yaml",
                theirs: true,
                ours: true,
                why: "",
            },
            // The field is absent.
            Case {
                code: "KW807",
                file: "example_DefaultServiceAccount/DefaultServiceAccount-FAILED2.yaml",
                theirs: true,
                ours: true,
                why: "",
            },
            // `default` with `false`, and another account (`notdefault`) without the field.
            Case {
                code: "KW807",
                file: "example_DefaultServiceAccount/DefaultServiceAccount-PASSED.yaml",
                theirs: false,
                ours: false,
                why: "",
            },
        ],
    );
}
