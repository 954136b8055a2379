//! Oracle tests: the workload, secrets and image rules against Polaris's and Checkov's own test
//! fixtures (pass/fail in the file names). Where we disagree on purpose the file is listed in
//! `DISAGREE` with the reason, and the test asserts our verdict. See `docs/oracles/workload.md`.

mod common;

use common::{data, rule, scan_file};
use std::path::{Path, PathBuf};

/// Does rule `code` report anything on `path`?
fn flags(code: &str, path: &Path) -> bool {
    !scan_file(&[rule(code)], path).findings.is_empty()
}

/// (oracle check, our rule codes): the oracle fails a file when any of our rules reports on it.
const POLARIS: &[(&str, &[&str])] = &[
    ("cpuLimitsMissing", &["KW121"]),
    ("cpuRequestsMissing", &["KW123"]),
    ("memoryLimitsMissing", &["KW122"]),
    ("memoryRequestsMissing", &["KW124"]),
    ("notReadOnlyRootFilesystem", &["KW120"]),
    ("tagNotSpecified", &["KW501"]),
    ("sensitiveContainerEnvVar", &["KW401"]),
    ("sensitiveConfigmapContent", &["KW402"]),
    ("automountServiceAccountToken", &["KW129"]),
];

const CHECKOV: &[(&str, &[&str])] = &[
    ("example_ReadOnlyFilesystem", &["KW120"]),
    (
        "example_Requests_Limits",
        &["KW121", "KW122", "KW123", "KW124"],
    ),
    ("example_ImageTagFixed", &["KW501"]),
    ("example_ImageDigest", &["KW502"]),
    ("example_DockerSocketVolume", &["KW125"]),
    ("example_Secrets", &["KW403"]),
    ("example_DefaultServiceAccount", &["KW128"]),
    ("example_ServiceAccountTokens", &["KW129"]),
    // example_ShareHost (CKV_K8S_17/18/19) checks hostPID/hostIPC/hostNetwork, which the PSS
    // rules cover; none of its files sets shareProcessNamespace, so it says nothing about KW130.
];

/// Files where our verdict differs from the oracle's, with the reason we are right. The test
/// asserts our verdict (the opposite of the oracle's) for these.
const DISAGREE: &[(&str, &str)] = &[
    (
        "polaris/automountServiceAccountToken/success.serviceaccount.yaml",
        "the pod relies on its ServiceAccount's automountServiceAccountToken: false; KW129 checks \
         the pod spec alone (the same check runs at admission, where the ServiceAccount is not \
         visible) and asks for the explicit pod-level setting",
    ),
    (
        "checkov/example_ImageDigest/imageWithTagAndDigest-PASSED.yaml",
        "`@sha256:123456` is not a digest (sha256 digests are 64 hex digits): the reference \
         cannot be pulled and pins nothing, so KW502 reports a malformed digest",
    ),
    (
        "checkov/example_ImageDigest/kafka-PASSED.yaml",
        "same fake `@sha256:123456` digest",
    ),
    (
        "checkov/example_DefaultServiceAccount/DefaultServiceAccount-FAILED.yaml",
        "a different check: CKV_K8S_41 wants the `default` ServiceAccount object to set \
         automountServiceAccountToken: false; KW128 reports pods that run as `default`, and \
         these files contain no pods",
    ),
    (
        "checkov/example_DefaultServiceAccount/DefaultServiceAccount-FAILED2.yaml",
        "as above: only a Namespace and a ServiceAccount, no pod runs as `default`",
    ),
];

fn verdicts(
    base: &Path,
    checks: &[(&str, &[&str])],
    prefix: &str,
    oracle_fails: fn(&str) -> Option<bool>,
) -> (usize, Vec<String>) {
    let mut n = 0;
    let mut problems = Vec::new();
    for (check, codes) in checks {
        let dir = base.join(check);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        files.sort();
        for f in files {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let Some(oracle) = oracle_fails(name) else {
                continue;
            };
            n += 1;
            let key = format!("{prefix}/{check}/{name}");
            let ours = codes.iter().any(|c| flags(c, &f));
            let expected = match DISAGREE.iter().find(|(k, _)| *k == key) {
                Some(_) => !oracle,
                None => oracle,
            };
            if ours != expected {
                problems.push(format!(
                    "{key}: oracle says {}, we say {}",
                    if oracle { "fail" } else { "pass" },
                    if ours { "fail" } else { "pass" }
                ));
            }
        }
    }
    (n, problems)
}

#[test]
fn polaris_and_checkov_agree_or_disagree_as_documented() {
    let data = data();
    let (np, mut problems) = verdicts(
        &data.join("manifests/polaris-testdata/test/checks"),
        POLARIS,
        "polaris",
        |name| {
            if name.starts_with("success") {
                Some(false)
            } else if name.starts_with("failure") {
                Some(true)
            } else {
                None // mutated*.yaml: Polaris's auto-fix output, not a verdict
            }
        },
    );
    let (nc, more) = verdicts(
        &data.join("manifests/checkov-k8s-tests/tests/kubernetes/checks"),
        CHECKOV,
        "checkov",
        |name| {
            if name.contains("UNKNOWN") {
                None // Checkov cannot parse these (malformed specs); no verdict
            } else if name.contains("FAILED") {
                Some(true)
            } else if name.contains("PASSED") || name.contains("PASS") || name.contains("pass") {
                Some(false)
            } else {
                None
            }
        },
    );
    problems.extend(more);
    assert!(np > 30 && nc > 20, "too few oracle files: {np} + {nc}");
    for (key, _) in DISAGREE {
        assert!(!key.is_empty());
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
