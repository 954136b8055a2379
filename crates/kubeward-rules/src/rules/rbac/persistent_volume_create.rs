use super::common::{self, Allowed, Ask, Env, RETAIN, Risk, Verdict};
use crate::{Check, Cx, rule};
use kubeward_core::Snapshot;

rule! {
    /// ## What it finds
    /// Grants of `create` on PersistentVolumes. They are cluster-scoped: only
    /// ClusterRoleBindings grant it.
    ///
    /// Reported on each binding of the input that grants it (at `roleRef.name`, naming the
    /// subjects and the scope), and on each ClusterRole of the input that grants it but that
    /// nothing in the input binds. Kubernetes' own default bindings are not reported.
    ///
    /// ## Why it matters
    /// A PersistentVolume can be a `hostPath` (or `local`) volume on any path of a node. A
    /// claim bound to it mounts the node's filesystem into a pod, and Pod Security admission
    /// does not stop it: the pod only names a PersistentVolumeClaim, which even the
    /// `restricted` level allows.
    ///
    /// ## How to fix
    /// Let a storage provisioner create volumes (dynamic provisioning through
    /// StorageClasses); grant PersistentVolume creation only to it and to administrators.
    ///
    /// ## Example
    /// ```yaml
    /// rules:
    /// - apiGroups: [""]
    ///   resources: ["persistentvolumes"]
    ///   verbs: ["create"]   # KW218
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.9 (minimize access to create persistent volumes)
    /// - Kubernetes docs: RBAC good practices, persistent volume creation
    pub static RULE {
        code: "KW218",
        name: "rbac-persistent-volume-create",
        severity: High,
        category: Rbac,
        summary: "Binding or role grants creating PersistentVolumes (hostPath ones included)",
        remediation: "Use dynamic provisioning; grant PersistentVolume creation only to the provisioner and administrators.",
        mitre: [(PrivilegeEscalation, "hostPath mount", "T1611")],
        nsa: ["Authentication and authorization: least privilege"],
        cis: ["5.1.9"],
        pss: None,
        check: Check::Snapshot { retain: RETAIN, check },
    }
}

static ASKS: [Ask; 1] = [Ask::cluster("create", "", "persistentvolumes")];

static RISK: Risk = Risk {
    asks: &ASKS,
    judge,
    skip_everything: true,
    always_judge: false,
};

fn judge(_: &Allowed<'_>, _: &Env<'_>) -> Option<Verdict> {
    Some(Verdict::new(
        "create hostPath PersistentVolumes that any claim can then mount, whatever Pod Security \
         the namespace enforces (create persistentvolumes)",
    ))
}

fn check(snapshot: &Snapshot, cx: &mut Cx<'_>) {
    common::check(snapshot, cx, &RISK);
}
