use super::common::{self, RETAIN};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;
use kubeward_rbac::graph::TargetClass;

rule! {
    /// ## What it finds
    /// Attack paths, in the attack graph of the whole input (the one `kubeward paths` prints),
    /// from an entry point to root on a node: a container escape (privileged, hostPID with nsenter, kernel modules, ptrace, core_pattern, writable or sensitive hostPath, the container runtime's socket) from a pod the attacker holds, starts, execs into or patches. Entry points are workloads exposed outside the cluster
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
    /// KW231 in the config applies to all its findings.
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
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: agent, namespace: monitoring}
    /// spec:
    ///   selector: {matchLabels: {app: agent}}
    ///   template:
    ///     metadata: {labels: {app: agent}}
    ///     spec:
    ///       containers:
    ///       - name: agent
    ///         image: agent:1.0
    ///         securityContext: {privileged: true}   # KW231: CE_PRIV_MOUNT to every node
    /// ```
    ///
    /// ## References
    /// - `docs/paths.md` (techniques, their exact conditions, approximations)
    /// - KubeHound attack graph (DataDog), techniques catalogue
    pub static RULE {
        code: "KW231",
        name: "attack-path-to-node-root",
        severity: Critical,
        category: Rbac,
        summary: "An attack path leads from an entry point to root on a node",
        remediation: "Cut the path at its cheapest link: unmount unused tokens, narrow the service account's role, drop privileged settings and host mounts, or stop exposing the workload; `kubeward paths --from <entry>` shows every hop.",
        mitre: [(PrivilegeEscalation, "Privileged container", "T1611")],
        nsa: ["Authentication and authorization", "Pod security"],
        cis: [],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    common::check(snapshot, cx, TargetClass::NodeRoot);
}
