use crate::{Check, Cx, rule};
use kubeward_core::PodView;

rule! {
    /// ## What it finds
    /// Workloads (Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets,
    /// ReplicationControllers, Jobs, CronJobs, PodTemplates) whose `metadata.namespace` is
    /// explicitly `default`.
    ///
    /// A manifest without `metadata.namespace` is **not** flagged: it lands wherever
    /// `kubectl apply -n`, Helm or Kustomize puts it, so the manifest alone does not say it
    /// ends up in `default` (and objects read from a live cluster always carry their
    /// namespace). Checkov's `CKV_K8S_21` flags missing namespaces too; see
    /// `docs/oracles/network.md`.
    ///
    /// ## Why it matters
    /// Namespaces are the unit of isolation in Kubernetes: RBAC, NetworkPolicies, Pod Security
    /// admission levels, quotas and limit ranges are all set per namespace. The `default`
    /// namespace usually has none of them, is shared by everything deployed without thought,
    /// and has a `default` service account that many bindings grant to. Workloads there share
    /// one flat trust boundary.
    ///
    /// ## How to fix
    /// Create a namespace per application or team, with its own RBAC, NetworkPolicies, Pod
    /// Security labels and quotas, and deploy the workload there.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: default   # KW801
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.7.4: the default namespace should not be used
    /// - NSA/CISA Kubernetes Hardening Guide: namespaces
    pub static RULE {
        code: "KW801",
        name: "workload-in-default-namespace",
        severity: Low,
        category: Governance,
        summary: "Workload deployed in the default namespace",
        remediation: "Deploy the workload in a dedicated namespace with its own RBAC, NetworkPolicies and Pod Security labels.",
        mitre: [(LateralMovement, "Cluster internal networking", "T1210")],
        nsa: ["Network separation and hardening: namespaces"],
        cis: ["5.7.4"],
        pss: None,
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    let object = pod.object;
    if object.namespace.as_deref() == Some("default") {
        cx.report(
            "/metadata/namespace",
            format_args!(
                "{} `{}` is deployed in the default namespace",
                object.kind, object.name
            ),
        )
        .evidence("namespace: default");
    }
}
