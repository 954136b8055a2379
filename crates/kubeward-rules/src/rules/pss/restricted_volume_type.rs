use crate::{Check, Cx, restricted, rule};
use kubeward_core::{Node, PodView};

/// The volume sources the restricted level forbids (every in-tree source not in the allowed
/// list: `configMap`, `csi`, `downwardAPI`, `emptyDir`, `ephemeral`, `image`,
/// `persistentVolumeClaim`, `projected`, `secret`).
const FORBIDDEN: &[&str] = &[
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
];

rule! {
    /// ## What it finds
    /// Pod volumes of a type the restricted level does not allow. Allowed are only `configMap`,
    /// `csi`, `downwardAPI`, `emptyDir`, `ephemeral`, `image`, `persistentVolumeClaim`,
    /// `projected` and `secret`; every other in-tree type is reported: `hostPath` (also
    /// reported by KW103, as both PSA controls fail on it), `nfs`, `iscsi`, `gitRepo`,
    /// `flexVolume`, `rbd`, `cephfs`, cloud disks (`awsElasticBlockStore`, `gcePersistentDisk`,
    /// `azureDisk`, ...), and so on.
    ///
    /// A volume with no source at all is not reported: the API server defaults it to `emptyDir`
    /// before admission. Keys that are not volume sources (typos) are left to schema validation.
    ///
    /// ## Why it matters
    /// The allowed types are mediated by Kubernetes objects that RBAC and admission control
    /// (PersistentVolumeClaims, CSI drivers, ConfigMaps, Secrets). The others let a pod author
    /// name storage directly: a host directory, an NFS export or an iSCSI target, a cloud disk
    /// by id, or run a git clone on the node (`gitRepo`, CVE-2018-11235 and later) or a node-side
    /// binary (`flexVolume`).
    ///
    /// ## How to fix
    /// Use a PersistentVolumeClaim (backed by a PersistentVolume or a StorageClass) or a CSI
    /// volume; use an init container instead of `gitRepo`.
    ///
    /// ## Example
    /// ```yaml
    /// volumes:
    /// - name: shared
    ///   nfs:                  # KW113
    ///     server: nfs.internal
    ///     path: /exports/shared
    /// ```
    ///
    /// ## References
    /// - Pod Security Standards, restricted: Volume Types (`restrictedVolumes`)
    pub static RULE {
        code: "KW113",
        name: "restricted-volume-type",
        severity: Medium,
        category: PodSecurity,
        summary: "Pod uses a volume type the restricted level forbids",
        remediation: "Use a PersistentVolumeClaim, CSI, ConfigMap, Secret, projected, downwardAPI or emptyDir volume.",
        mitre: [
            (PrivilegeEscalation, "hostPath mount", "T1611"),
            (LateralMovement, "Access cloud resources", ""),
        ],
        nsa: ["Pod security: pod security enforcement"],
        cis: [],
        pss: restricted("restrictedVolumes"),
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    for (i, vol) in pod.volumes() {
        let name = vol
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or("<unnamed>");
        for entry in vol.entries() {
            if entry.value.is_null() || !FORBIDDEN.contains(&entry.key.as_str()) {
                continue;
            }
            let key = &entry.key;
            cx.report(
                pod.ptr(&format!("volumes/{i}/{key}")),
                format_args!("volume `{name}` uses the restricted volume type {key}"),
            )
            .evidence(format_args!("volume type: {key}"));
        }
    }
}
