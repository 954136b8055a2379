//! Oracles for the Pod Security Standards rules (KW101–KW119): Polaris's and Checkov's test
//! manifests, whose file names carry the other tool's verdict (`failure*`/`success*`/`mutated*`,
//! `*FAILED*`/`*PASSED*`/`*UNKNOWN*`). Each case runs one kubeward rule on one file. Where our
//! verdict differs from the other tool's, the case carries the reason; `docs/oracles/pss.md`
//! explains each disagreement. Our rules follow the PSA admission plugin, not the other tools.

mod common;

use common::{data, findings};

/// One oracle file: the rule we run, the file, and — when we disagree with the other tool —
/// why. `None` means we must agree with the verdict in the file name; `Some(reason)` means we
/// must give the opposite verdict.
type Case = (&'static str, &'static str, Option<&'static str>);

const POLARIS: &str = "manifests/polaris-testdata/test/checks";
const CHECKOV: &str = "manifests/checkov-k8s-tests/tests/kubernetes/checks";

/// Polaris `insecureCapabilities` passes a container that drops each capability on its own
/// list; PSA restricted (`capabilities_restricted`) requires `drop` to contain exactly `ALL`.
const DROP_ALL_EXACT: &str = "PSA restricted requires drop to contain the exact string ALL; dropping a list of named capabilities, or `All`/`all`, is rejected by PSA";

/// The other tool's verdict, from the file name.
fn theirs(file: &str) -> bool {
    let name = file.rsplit('/').next().unwrap_or(file);
    if name.starts_with("failure") || name.contains("FAILED") {
        true
    } else if name.starts_with("success")
        || name.starts_with("mutated")
        || name.contains("PASSED")
        || name.contains("PASS")
        || name.contains("UNKNOWN")
        || name.contains("UNKOWN")
    {
        false
    } else {
        panic!("no verdict in file name {file}")
    }
}

fn check(base: &str, cases: &[Case]) {
    let root = data().join(base);
    let mut problems = Vec::new();
    for &(code, file, why) in cases {
        let theirs = theirs(file);
        let ours = match why {
            None => theirs,
            Some(reason) => {
                assert!(!reason.is_empty(), "{file}: a disagreement needs a reason");
                !theirs
            }
        };
        let n = findings(code, &root.join(file));
        if (n > 0) != ours {
            problems.push(format!(
                "{code} on {file}: expected {}, got {n} finding(s)",
                if ours { "a finding" } else { "none" }
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn polaris() {
    check(
        POLARIS,
        &[
            ("KW102", "hostIPCSet/failure.yaml", None),
            ("KW102", "hostIPCSet/success.yaml", None),
            ("KW102", "hostIPCSet/mutated.yaml", None),
            ("KW102", "hostNetworkSet/failure.yaml", None),
            ("KW102", "hostNetworkSet/success.yaml", None),
            ("KW102", "hostNetworkSet/mutated.yaml", None),
            ("KW102", "hostPIDSet/failure.yaml", None),
            ("KW102", "hostPIDSet/success.yaml", None),
            ("KW102", "hostPIDSet/mutated.yaml", None),
            ("KW103", "hostPathSet/failure.yaml", None),
            ("KW103", "hostPathSet/success.yaml", None),
            ("KW113", "hostPathSet/failure.yaml", None),
            ("KW113", "hostPathSet/success.yaml", None),
            ("KW104", "hostPortSet/failure.yaml", None),
            ("KW104", "hostPortSet/success.yaml", None),
            ("KW104", "hostPortSet/mutated.yaml", None),
            ("KW111", "hostProcess/failure.yaml", None),
            ("KW111", "hostProcess/failure.container.yaml", None),
            ("KW111", "hostProcess/success.yaml", None),
            ("KW111", "hostProcess/success.container.yaml", None),
            ("KW105", "dangerousCapabilities/failure.yaml", None),
            ("KW105", "dangerousCapabilities/failure.all.yaml", None),
            ("KW105", "dangerousCapabilities/failure.all-caps.yaml", None),
            ("KW105", "dangerousCapabilities/failure.case.yaml", None),
            ("KW105", "dangerousCapabilities/success.yaml", None),
            ("KW105", "dangerousCapabilities/mutated.yaml", None),
            ("KW118", "insecureCapabilities/failure.yaml", None),
            ("KW118", "insecureCapabilities/failure.add.yaml", None),
            ("KW118", "insecureCapabilities/failure.drop-most.yaml", None),
            ("KW118", "insecureCapabilities/failure.pod.yaml", None),
            (
                "KW118",
                "insecureCapabilities/success.yaml",
                Some(DROP_ALL_EXACT),
            ),
            (
                "KW118",
                "insecureCapabilities/success.all.yaml",
                Some(DROP_ALL_EXACT),
            ),
            (
                "KW118",
                "insecureCapabilities/success.case.yaml",
                Some(DROP_ALL_EXACT),
            ),
            ("KW118", "insecureCapabilities/success.drop.yaml", None),
            (
                "KW118",
                "insecureCapabilities/success.pod.yaml",
                Some(DROP_ALL_EXACT),
            ),
            ("KW118", "insecureCapabilities/mutated.yaml", None),
            ("KW118", "insecureCapabilities/mutated.add.yaml", None),
            ("KW118", "insecureCapabilities/mutated.drop-most.yaml", None),
            ("KW114", "privilegeEscalationAllowed/failure.yaml", None),
            ("KW114", "privilegeEscalationAllowed/failure.pod.yaml", None),
            (
                "KW114",
                "privilegeEscalationAllowed/failure.pod_unspecified.yaml",
                None,
            ),
            (
                "KW114",
                "privilegeEscalationAllowed/failure.unspecified.yaml",
                None,
            ),
            ("KW114", "privilegeEscalationAllowed/success.yaml", None),
            ("KW114", "privilegeEscalationAllowed/success.pod.yaml", None),
            ("KW108", "procMount/failure.yaml", None),
            ("KW108", "procMount/success.yaml", None),
            ("KW119", "procMount/failure.yaml", None),
            ("KW119", "procMount/success.yaml", None),
            ("KW101", "runAsPrivileged/failure.yaml", None),
            ("KW101", "runAsPrivileged/failure.pod.yaml", None),
            ("KW101", "runAsPrivileged/failure.two_cont.yaml", None),
            (
                "KW101",
                "runAsPrivileged/failure.two_cont_one_unspecified.yaml",
                None,
            ),
            ("KW101", "runAsPrivileged/success.yaml", None),
            ("KW101", "runAsPrivileged/success.pod.yaml", None),
            ("KW101", "runAsPrivileged/success.pod_no_cont.yaml", None),
            (
                "KW115",
                "runAsRootAllowed/failure.yaml",
                Some(
                    "`apiVersion: v1` + `kind: Deployment` is not a Kubernetes Deployment (apps/v1); the API server would reject it, and kubeward does not check objects of unknown API groups",
                ),
            ),
            ("KW115", "runAsRootAllowed/success.yaml", None),
            ("KW115", "runAsRootAllowed/mutated.yaml", None),
        ],
    );
}

#[test]
fn checkov() {
    let mut cases: Vec<Case> = Vec::new();
    for (code, dir) in [
        ("KW114", "example_AllowPrivilegeEscalation"),
        ("KW105", "example_AllowedCapabilities"),
        ("KW105", "example_AllowedCapabilitiesSysAdmin"),
        ("KW118", "example_DropCapabilities"),
        ("KW104", "example_HostPort"),
        ("KW101", "example_PrivilegedContainers"),
        ("KW115", "example_RootContainers"),
        ("KW116", "example_RootContainersHighUID"),
        ("KW117", "example_Seccomp"),
        ("KW102", "example_ShareHost"),
    ] {
        let mut files: Vec<String> = std::fs::read_dir(data().join(CHECKOV).join(dir))
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
            .collect();
        files.sort();
        for f in files {
            let path: &'static str = Box::leak(format!("{dir}/{f}").into_boxed_str());
            cases.push((code, path, None));
        }
    }
    // `template.yaml` carries no verdict (a template for the other files).
    cases.retain(|c| !c.1.ends_with("/template.yaml"));
    for c in &mut cases {
        c.2 = checkov_disagreement(c.1);
    }
    check(CHECKOV, &cases);
}

/// Where we differ from Checkov, and why.
fn checkov_disagreement(file: &str) -> Option<&'static str> {
    Some(match file {
        "example_AllowPrivilegeEscalation/oc-deploymentConfig-FAILED.yml" => {
            "OpenShift DeploymentConfig (apiVersion v1 here, really apps.openshift.io/v1) is not a Kubernetes workload kind; PSA evaluates the Pods it creates, and so does kubeward"
        }
        "example_AllowedCapabilitiesSysAdmin/pod-FAILED2.yaml" => {
            "the Pod has `containers:` with no value: no container adds SYS_ADMIN (or anything); Checkov fails it only because it finds no securityContext"
        }
        "example_DropCapabilities/pod-drop-NET_RAW-capabilities-PASSED.yaml" => {
            "CKV_K8S_28 only asks for NET_RAW to be dropped; KW118 is PSA restricted capabilities, which requires drop: [ALL]"
        }
        "example_DropCapabilities/pod-drop-all-capabilities-PASSED2.yaml" => DROP_ALL_EXACT,
        "example_RootContainers/rootContainersFAILED-malformed-spec.yaml" => {
            "`spec` is a sequence, not a pod spec: there is no container to check (the API server rejects the object)"
        }
        "example_RootContainers/rootContainersPASSED.yaml" => {
            "PSA runAsNonRoot: a pod-level runAsNonRoot: false fails even when every container overrides it (pod3), and runAsUser > 0 without runAsNonRoot: true is not enough (pod4, pod5); Checkov accepts both"
        }
        "example_Seccomp/cronjob-seccomp-PASSED.yaml"
        | "example_Seccomp/pod-seccomp-PASSED.yaml"
        | "example_Seccomp/pod-seccomp-PASSED2.yaml"
        | "example_Seccomp/pod-seccomp-PASSED6.yaml" => {
            "only the deprecated seccomp.security.alpha.kubernetes.io/pod annotation is set; PSA restricted seccomp (1.19+) reads only the seccompProfile fields, so the pod fails restricted"
        }
        _ => return None,
    })
}
