use super::common::{self, RETAIN};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;
use kubeward_rbac::graph::TargetClass;

rule! {
    /// ## What it finds
    /// Attack paths, in the attack graph of the whole input (the one `kubeward paths` prints),
    /// from an entry point to the secrets of `kube-system` (the control plane's tokens and keys): read directly, through a pod created there that mounts them, or through a token secret. Entry points are workloads exposed outside the cluster
    /// (NodePort or LoadBalancer Services, Ingresses), every pod (assuming one of its containers
    /// is compromised), anonymous requests and every authenticated user. One finding per entry
    /// point: the shortest path, each hop with its technique; the evidence lists the fields and
    /// bindings each hop rests on.
    ///
    /// The finding is on the entry's object, at the first of its fields the path uses (for an
    /// anonymous or authenticated entry: on the binding that names the group).
    ///
    /// **Severity is the path's**: critical when the entry is exposed outside the cluster,
    /// anonymous or any authenticated user and the path takes at most 3 attacker steps; high for
    /// a longer such path or a pod entry within 3 steps; medium otherwise. A severity set for
    /// KW232 in the config applies to all its findings.
    ///
    /// ## Why it matters
    /// Each misconfiguration on a path may look tolerable alone (a service account that can
    /// create pods, a Service of type LoadBalancer, a token mounted by default); chained, they
    /// let an attacker who holds the entry reach the target. The path says which link to cut.
    ///
    /// ## How to fix
    /// Break the path at its cheapest link, usually: do not mount a token the workload does not
    /// use (`automountServiceAccountToken: false`), narrow the role its service account is
    /// bound to, drop privileged settings and host mounts, or stop exposing the workload. Run
    /// `kubeward paths --from <entry>` to see the path with all its evidence, in table, JSON,
    /// DOT or Mermaid form.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: RoleBinding
    /// metadata: {name: ci-secrets, namespace: kube-system}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
    /// subjects: [{kind: ServiceAccount, name: ci, namespace: build}]
    /// ---
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: secret-reader}
    /// rules: [{apiGroups: [""], resources: [secrets], verbs: [get, list]}]
    /// ---
    /// apiVersion: batch/v1
    /// kind: Job
    /// metadata: {name: build, namespace: build}   # KW232: its pods hold the `ci` token
    /// spec:
    ///   template:
    ///     spec:
    ///       serviceAccountName: ci
    ///       restartPolicy: Never
    ///       containers: [{name: build, image: builder:1.0}]
    /// ```
    ///
    /// ## References
    /// - `docs/paths.md` (techniques, their exact conditions, approximations)
    /// - KubeHound attack graph (DataDog), techniques catalogue
    pub static RULE {
        code: "KW232",
        name: "attack-path-to-kube-system-secrets",
        severity: Critical,
        category: Rbac,
        summary: "An attack path leads from an entry point to the secrets of kube-system",
        remediation: "Cut the path at its cheapest link: unmount unused tokens, narrow the service account's role, drop privileged settings and host mounts, or stop exposing the workload; `kubeward paths --from <entry>` shows every hop.",
        mitre: [(CredentialAccess, "List Kubernetes secrets", "T1552.007")],
        nsa: ["Authentication and authorization", "Pod security"],
        cis: [],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    common::check(snapshot, cx, TargetClass::KubeSystemSecrets);
}
