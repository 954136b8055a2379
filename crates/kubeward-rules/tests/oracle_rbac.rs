//! Oracles for the RBAC rules (KW2xx): the RBAC test manifests of Checkov and Polaris, whose
//! file names carry the other tool's verdict. Each case states what kubeward must do with the
//! file; where that differs from the other tool the case says why (see
//! `docs/oracles/rbac.md`).
//!
//! Checkov judges each Role and ClusterRole on its own; its test files hold roles that nothing
//! binds, which kubeward reports on the role itself ("nothing in the input binds it"). Polaris
//! judges roles and bindings. Every file is run with the one kubeward rule that implements the
//! same control, so a file is not counted as flagged for a different risk it also contains.

mod common;

use common::{Case, check};

const CHECKOV: &str = "manifests/checkov-k8s-tests/tests/kubernetes/checks";
const POLARIS: &str = "manifests/polaris-testdata/test/checks";

const fn case(code: &'static str, file: &'static str, theirs: bool, ours: bool) -> Case {
    Case {
        code,
        file,
        theirs,
        ours,
        why: "",
    }
}

#[test]
fn checkov_webhooks_vs_kw216() {
    // CKV_K8S_155 "Minimize ClusterRoles that grant control over validating or mutating
    // admission webhook configurations": create, update or patch on the configurations.
    check(
        CHECKOV,
        &[
            // create on mutatingwebhookconfigurations.
            case(
                "KW216",
                "example_RbacControlWebhooks/clusterrole-failed-1.yaml",
                true,
                true,
            ),
            // patch on validatingwebhookconfigurations.
            case(
                "KW216",
                "example_RbacControlWebhooks/clusterrole-failed-2.yaml",
                true,
                true,
            ),
            // get on everything.
            case(
                "KW216",
                "example_RbacControlWebhooks/clusterrole-passed-1.yaml",
                false,
                false,
            ),
            // get/list/watch on validatingwebhookconfigurations in any group.
            case(
                "KW216",
                "example_RbacControlWebhooks/clusterrole-passed-2.yaml",
                false,
                false,
            ),
        ],
    );
}

#[test]
fn checkov_csr_approval_vs_kw210() {
    // CKV_K8S_156 "Minimize ClusterRoles that grant permissions to approve
    // CertificateSigningRequests": update on certificatesigningrequests/approval and approve
    // on signers.
    check(
        CHECKOV,
        &[
            // Both halves, written out.
            case(
                "KW210",
                "example_RbacApproveCertificateSigningRequests/clusterrole-failed-1.yaml",
                true,
                true,
            ),
            // `*` on `*` in certificates.k8s.io: both halves.
            case(
                "KW210",
                "example_RbacApproveCertificateSigningRequests/clusterrole-failed-2.yaml",
                true,
                true,
            ),
            // approve on `*` and update on `*/approval`: both halves through wildcards.
            case(
                "KW210",
                "example_RbacApproveCertificateSigningRequests/clusterrole-failed-3.yaml",
                true,
                true,
            ),
            // approve everywhere, but no approval update.
            case(
                "KW210",
                "example_RbacApproveCertificateSigningRequests/clusterrole-passed-1.yaml",
                false,
                false,
            ),
            // The empty verb grants nothing.
            case(
                "KW210",
                "example_RbacApproveCertificateSigningRequests/clusterrole-passed-2.yaml",
                false,
                false,
            ),
        ],
    );
}

#[test]
fn checkov_bind_vs_kw206() {
    // CKV_K8S_157 "Minimize Roles and ClusterRoles that grant permissions to bind
    // RoleBindings or ClusterRoleBindings": `bind` on rolebindings or clusterrolebindings.
    check(
        CHECKOV,
        &[
            Case {
                code: "KW206",
                file: "example_RbacBindRoleBindings/clusterrole-failed-1.yaml",
                theirs: true,
                ours: false,
                why: "`bind` on rolebindings: the API server checks `bind` on the role a binding \
                      refers to (roles/clusterroles), never on the binding resources, so this \
                      rule grants nothing beyond `delete rolebindings`",
            },
            // Writing bindings without `bind`: escalation prevention applies.
            case(
                "KW206",
                "example_RbacBindRoleBindings/clusterrole-passed-1.yaml",
                false,
                false,
            ),
            // `*` on rolebindings and roles: `bind` on roles and create on rolebindings.
            case(
                "KW206",
                "example_RbacBindRoleBindings/role-failed-2.yaml",
                true,
                true,
            ),
            // No `bind` anywhere.
            case(
                "KW206",
                "example_RbacBindRoleBindings/role-passed-2.yaml",
                false,
                false,
            ),
        ],
    );
}

#[test]
fn checkov_escalate_vs_kw207() {
    // CKV_K8S_158 "Minimize Roles and ClusterRoles that grant permissions to escalate Roles
    // or ClusterRoles": `escalate` on roles or clusterroles.
    check(
        CHECKOV,
        &[
            Case {
                code: "KW207",
                file: "example_RbacEscalateRoles/clusterrole-failed-1.yaml",
                theirs: true,
                ours: false,
                why: "`get` and `escalate` on roles but no create/update/patch: `escalate` only \
                      lifts the check on writing roles, which this role cannot do",
            },
            // No `escalate`.
            case(
                "KW207",
                "example_RbacEscalateRoles/clusterrole-passed-1.yaml",
                false,
                false,
            ),
            // `*` on roles: escalate and write.
            case(
                "KW207",
                "example_RbacEscalateRoles/role-failed-2.yaml",
                true,
                true,
            ),
            // `*` on pods and serviceaccounts only.
            case(
                "KW207",
                "example_RbacEscalateRoles/role-passed-2.yaml",
                false,
                false,
            ),
        ],
    );
}

#[test]
fn checkov_wildcards_vs_kw201() {
    // CKV_K8S_49 "Minimize wildcard use in Roles and ClusterRoles": any `*` in apiGroups,
    // resources or verbs. KW201 reports grants of everything (`*` on `*` in `*`); narrower
    // wildcards are judged by what they grant, by the other KW2xx rules.
    let narrower = "a wildcard that does not grant everything: KW201 reports only `*` verbs on \
                    `*` resources in `*` groups; what a narrower wildcard grants is judged by the \
                    rule for that risk (here nothing risky is granted)";
    check(
        CHECKOV,
        &[
            Case {
                code: "KW201",
                file: "example_WildcardRoles/role-failed-1.yaml",
                theirs: true,
                ours: false,
                why: "`*` resources with the empty verb `\"\"`: grants nothing at all",
            },
            Case {
                code: "KW201",
                file: "example_WildcardRoles/role-failed-2.yaml",
                theirs: true,
                ours: false,
                why: narrower,
            },
            Case {
                code: "KW201",
                file: "example_WildcardRoles/role-failed-3.yaml",
                theirs: true,
                ours: false,
                why: narrower,
            },
            case(
                "KW201",
                "example_WildcardRoles/role-passed-1.yaml",
                false,
                false,
            ),
            // `rules:` is null.
            case(
                "KW201",
                "example_WildcardRoles/role-passed-2.yaml",
                false,
                false,
            ),
        ],
    );
}

#[test]
fn checkov_default_service_account_binding_vs_kw201() {
    // CKV_K8S_42 "Ensure that default service accounts are not actively used" flags bindings
    // to a namespace's `default` service account. A different control from KW201's, but the
    // failing file binds cluster-admin (the default role, which kubeward knows) to it.
    check(
        CHECKOV,
        &[
            // `destroy-k8s`: cluster-admin for the default service account.
            case(
                "KW201",
                "example_DefaultServiceAccountBinding/DefaultServiceAccountBinding-FAILED.yaml",
                true,
                true,
            ),
            // Pod readers, and `secret-reader`, a ClusterRole not in the input.
            case(
                "KW201",
                "example_DefaultServiceAccountBinding/DefaultServiceAccountBinding-PASSED.yaml",
                false,
                false,
            ),
        ],
    );
}

/// Runs `code` on every file of a Polaris check directory; Polaris's verdict is in the file
/// name (`failure.*` flagged, `success.*` not). `differ` lists, with the reason, every file
/// where kubeward's verdict is the opposite; the test fails if a listed file is missing or if
/// any verdict is not as stated.
fn polaris(dir: &str, code: &'static str, differ: &[(&str, &'static str)]) {
    let root = common::data().join(POLARIS).join(dir);
    let mut files: Vec<String> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".yaml") || f.ends_with(".yml"))
        .collect();
    files.sort();
    for (f, _) in differ {
        assert!(
            files.iter().any(|x| x == f),
            "{dir}/{f} is not in the oracle"
        );
    }
    let cases: Vec<Case> = files
        .iter()
        .map(|f| {
            let theirs = f.starts_with("failure");
            let why = differ.iter().find(|(d, _)| d == f).map(|(_, why)| *why);
            Case {
                code,
                file: Box::leak(format!("{dir}/{f}").into_boxed_str()),
                theirs,
                ours: if why.is_some() { !theirs } else { theirs },
                why: why.unwrap_or(""),
            }
        })
        .collect();
    assert!(!cases.is_empty(), "no files in {dir}");
    check(POLARIS, &cases);
}

/// KW213 leaves grants of everything to KW201 (one finding instead of one per rule).
const EVERYTHING: &str = "`*` on `*` in `*`: a grant of everything, which KW201 reports (see the \
                          KW201 case for this file); the other KW2xx rules do not repeat it";
const MISSING: &str = "the binding refers to a role that is not in the input (nor one of \
                       Kubernetes' defaults): it grants nothing that kubeward can judge";

#[test]
fn polaris_pod_exec_attach_vs_kw213() {
    // Polaris `clusterrolePodExecAttach`, `rolePodExecAttach`: roles that allow `create` or
    // `get` on pods/exec or pods/attach (`get` is exec over WebSocket before Kubernetes 1.35,
    // which KW213 reports too). Both tools skip Kubernetes' default roles (`admin`,
    // `cluster-admin`) redeclared in the input; Polaris also skips `system:` and GKE names,
    // whose files here grant everything (KW201's).
    polaris(
        "clusterrolePodExecAttach",
        "KW213",
        &[("failure.all_wildcards.yaml", EVERYTHING)],
    );
    polaris(
        "rolePodExecAttach",
        "KW213",
        &[("failure.all_wildcards.yaml", EVERYTHING)],
    );
}

#[test]
fn polaris_pod_exec_attach_bindings_vs_kw213() {
    // Polaris `clusterrolebindingPodExecAttach`, `rolebindingClusterRolePodExecAttach`,
    // `rolebindingRolePodExecAttach`: bindings to such roles.
    let system_prefix = "the binding gives `system:test`, a ClusterRole granting `*` on `*`, \
                         to a user: a grant of everything, which KW201 reports";
    polaris(
        "clusterrolebindingPodExecAttach",
        "KW213",
        &[
            ("failure.all_wildcards.yaml", EVERYTHING),
            ("failure.binding_points_to_missing_ref.yaml", MISSING),
            ("failure.binding_to_system_prefix.yaml", system_prefix),
            (
                "success.defaultclusterrolebinding_system-controller-generic-garbage-collector.yaml",
                "Polaris skips the binding for its name; but Kubernetes' own binding of that \
                 name binds the garbage collector's service account, not User testuser, and the \
                 role the input defines under that name creates pods/attach: testuser can \
                 attach to any pod",
            ),
        ],
    );
    polaris(
        "rolebindingClusterRolePodExecAttach",
        "KW213",
        &[
            ("failure.all_wildcards.yaml", EVERYTHING),
            ("failure.binding_points_to_missing_ref.yaml", MISSING),
            ("failure.binding_to_system_prefix.yaml", system_prefix),
        ],
    );
    polaris(
        "rolebindingRolePodExecAttach",
        "KW213",
        &[
            ("failure.all_wildcards.yaml", EVERYTHING),
            ("failure.binding_points_to_missing_ref.yaml", MISSING),
            ("failure.binding_to_system_prefix.yaml", system_prefix),
        ],
    );
}

#[test]
fn polaris_everything_files_are_kw201s() {
    // The files KW213 leaves to KW201 above: KW201 reports each.
    check(
        POLARIS,
        &[
            case(
                "KW201",
                "clusterrolePodExecAttach/failure.all_wildcards.yaml",
                true,
                true,
            ),
            case(
                "KW201",
                "rolePodExecAttach/failure.all_wildcards.yaml",
                true,
                true,
            ),
            case(
                "KW201",
                "clusterrolebindingPodExecAttach/failure.all_wildcards.yaml",
                true,
                true,
            ),
            case(
                "KW201",
                "clusterrolebindingPodExecAttach/failure.binding_to_system_prefix.yaml",
                true,
                true,
            ),
            case(
                "KW201",
                "rolebindingClusterRolePodExecAttach/failure.all_wildcards.yaml",
                true,
                true,
            ),
            case(
                "KW201",
                "rolebindingClusterRolePodExecAttach/failure.binding_to_system_prefix.yaml",
                true,
                true,
            ),
            case(
                "KW201",
                "rolebindingRolePodExecAttach/failure.all_wildcards.yaml",
                true,
                true,
            ),
            case(
                "KW201",
                "rolebindingRolePodExecAttach/failure.binding_to_system_prefix.yaml",
                true,
                true,
            ),
        ],
    );
}

#[test]
fn polaris_cluster_admin_vs_kw201() {
    // Polaris `clusterrolebindingClusterAdmin`, `rolebindingClusterAdminClusterRole`,
    // `rolebindingClusterAdminRole`: bindings to `cluster-admin` or to a role with `*` (or
    // every read and write verb) on `*` in `*`. Polaris skips bindings named `system:...` and
    // GKE's `gce:podsecuritypolicy:calico-sa`, by name.
    let by_name = "Polaris skips the binding for its name, but a binding's name is whatever its \
                   author wrote: this one is not Kubernetes' (nor GKE's) and gives a role with `*` \
                   on `*` in `*` to User testuser";
    for dir in [
        "clusterrolebindingClusterAdmin",
        "rolebindingClusterAdminClusterRole",
        "rolebindingClusterAdminRole",
    ] {
        polaris(
            dir,
            "KW201",
            &[
                ("success.gce_calico_binding.yaml", by_name),
                ("success.system_prefix_binding.yaml", by_name),
            ],
        );
    }
}
