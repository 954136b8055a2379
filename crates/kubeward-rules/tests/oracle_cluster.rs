//! Oracles for the cluster-level rules: Checkov's test manifests, whose file names carry
//! Checkov's verdict. Each case states what kubeward must do with the file; where that differs
//! from Checkov the case says why (see `docs/oracles/cluster.md`).
//!
//! Only KW807 has a counterpart among the oracles: neither Polaris nor Checkov checks admission
//! webhook configurations, and kubeward's `Cluster` object (KW601–KW603) exists only in
//! kubeward. Checkov's `ApiServerAnonymousAuth` checks the `--anonymous-auth` flag in a
//! kube-apiserver static pod, a different input (the node scan's, not a rule's).

mod common;

use common::{data, findings};

/// One oracle file: Checkov's verdict, ours, and why they differ when they do.
struct Case {
    code: &'static str,
    file: &'static str,
    /// Does Checkov flag it?
    theirs: bool,
    /// Does kubeward flag it?
    ours: bool,
    /// Why we differ (required when `theirs != ours`).
    why: &'static str,
}

const CHECKOV: &str = "manifests/checkov-k8s-tests/tests/kubernetes/checks";

fn check(base: &str, cases: &[Case]) {
    let root = data().join(base);
    let mut problems = Vec::new();
    for c in cases {
        assert!(
            c.theirs == c.ours || !c.why.is_empty(),
            "{}: a disagreement needs a reason",
            c.file
        );
        let n = findings(c.code, &root.join(c.file));
        if (n > 0) != c.ours {
            problems.push(format!(
                "{} on {}: expected {}, got {n} finding(s)",
                c.code,
                c.file,
                if c.ours { "a finding" } else { "none" }
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

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
