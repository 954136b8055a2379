//! The attack techniques: the edge types of the graph.

use serde::{Serialize, Serializer};
use std::fmt;

/// One attack technique: what an attacker holding the `from` vertex does to get the `to` vertex.
///
/// The names are KubeHound's edge labels where KubeHound has the technique
/// ([`Technique::in_kubehound`]); the others are kubeward's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Technique {
    // Container escapes (container → node).
    CeNsenter,
    CePrivMount,
    CeModuleLoad,
    CeSysPtrace,
    CeUmhCorePattern,
    CeVarLogSymlink,
    ExploitContainerdSock,
    ExploitHostWrite,
    ExploitHostRead,
    // Structure.
    ContainerAttach,
    IdentityAssume,
    GroupMember,
    PermissionDiscover,
    VolumeDiscover,
    VolumeAccess,
    PodAttach,
    ShareProcessNamespace,
    EndpointExploit,
    // Credentials.
    TokenSteal,
    ExploitHostTraverse,
    SecretMount,
    // RBAC.
    PodCreate,
    PodExec,
    PodPatch,
    NodeProxy,
    TokenList,
    TokenBruteforce,
    SecretRead,
    SaTokenCreate,
    IdentityImpersonate,
    RoleBind,
    RoleEscalate,
    CsrApprove,
    WebhookWrite,
}

impl Technique {
    /// Every technique, in the order edges are preferred when several lead to the same vertex.
    pub const ALL: [Technique; 34] = [
        Technique::CeNsenter,
        Technique::CePrivMount,
        Technique::CeModuleLoad,
        Technique::CeSysPtrace,
        Technique::CeUmhCorePattern,
        Technique::CeVarLogSymlink,
        Technique::ExploitContainerdSock,
        Technique::ExploitHostWrite,
        Technique::ExploitHostRead,
        Technique::ContainerAttach,
        Technique::IdentityAssume,
        Technique::GroupMember,
        Technique::PermissionDiscover,
        Technique::VolumeDiscover,
        Technique::VolumeAccess,
        Technique::PodAttach,
        Technique::ShareProcessNamespace,
        Technique::EndpointExploit,
        Technique::TokenSteal,
        Technique::ExploitHostTraverse,
        Technique::SecretMount,
        Technique::PodCreate,
        Technique::PodExec,
        Technique::PodPatch,
        Technique::NodeProxy,
        Technique::TokenList,
        Technique::TokenBruteforce,
        Technique::SecretRead,
        Technique::SaTokenCreate,
        Technique::IdentityImpersonate,
        Technique::RoleBind,
        Technique::RoleEscalate,
        Technique::CsrApprove,
        Technique::WebhookWrite,
    ];

    /// The edge label (`CE_PRIV_MOUNT`).
    pub fn name(self) -> &'static str {
        match self {
            Technique::CeNsenter => "CE_NSENTER",
            Technique::CePrivMount => "CE_PRIV_MOUNT",
            Technique::CeModuleLoad => "CE_MODULE_LOAD",
            Technique::CeSysPtrace => "CE_SYS_PTRACE",
            Technique::CeUmhCorePattern => "CE_UMH_CORE_PATTERN",
            Technique::CeVarLogSymlink => "CE_VAR_LOG_SYMLINK",
            Technique::ExploitContainerdSock => "EXPLOIT_CONTAINERD_SOCK",
            Technique::ExploitHostWrite => "EXPLOIT_HOST_WRITE",
            Technique::ExploitHostRead => "EXPLOIT_HOST_READ",
            Technique::ContainerAttach => "CONTAINER_ATTACH",
            Technique::IdentityAssume => "IDENTITY_ASSUME",
            Technique::GroupMember => "GROUP_MEMBER",
            Technique::PermissionDiscover => "PERMISSION_DISCOVER",
            Technique::VolumeDiscover => "VOLUME_DISCOVER",
            Technique::VolumeAccess => "VOLUME_ACCESS",
            Technique::PodAttach => "POD_ATTACH",
            Technique::ShareProcessNamespace => "SHARE_PS_NAMESPACE",
            Technique::EndpointExploit => "ENDPOINT_EXPLOIT",
            Technique::TokenSteal => "TOKEN_STEAL",
            Technique::ExploitHostTraverse => "EXPLOIT_HOST_TRAVERSE",
            Technique::SecretMount => "SECRET_MOUNT",
            Technique::PodCreate => "POD_CREATE",
            Technique::PodExec => "POD_EXEC",
            Technique::PodPatch => "POD_PATCH",
            Technique::NodeProxy => "NODE_PROXY",
            Technique::TokenList => "TOKEN_LIST",
            Technique::TokenBruteforce => "TOKEN_BRUTEFORCE",
            Technique::SecretRead => "SECRET_READ",
            Technique::SaTokenCreate => "SA_TOKEN_CREATE",
            Technique::IdentityImpersonate => "IDENTITY_IMPERSONATE",
            Technique::RoleBind => "ROLE_BIND",
            Technique::RoleEscalate => "ROLE_ESCALATE",
            Technique::CsrApprove => "CSR_APPROVE",
            Technique::WebhookWrite => "WEBHOOK_WRITE",
        }
    }

    /// The technique with this edge label.
    pub fn from_name(name: &str) -> Option<Technique> {
        Technique::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Does KubeHound compute this edge? (`false`: kubeward adds it.)
    pub fn in_kubehound(self) -> bool {
        !matches!(
            self,
            Technique::ExploitContainerdSock
                | Technique::IdentityImpersonate
                | Technique::RoleEscalate
                | Technique::NodeProxy
                | Technique::CsrApprove
                | Technique::SaTokenCreate
                | Technique::WebhookWrite
                | Technique::SecretMount
                | Technique::SecretRead
                | Technique::GroupMember
        )
    }

    /// A structural hop: no attacker action, only a consequence of holding the `from` vertex
    /// (a pod's containers, an identity's permissions, a container's volumes). Severity counts
    /// the other hops ("steps").
    pub fn is_structural(self) -> bool {
        matches!(
            self,
            Technique::ContainerAttach
                | Technique::GroupMember
                | Technique::PermissionDiscover
                | Technique::VolumeDiscover
        )
    }

    /// The MITRE ATT&CK (Enterprise) technique id the step maps to.
    pub fn attack_id(self) -> &'static str {
        match self {
            Technique::CeNsenter
            | Technique::CePrivMount
            | Technique::CeModuleLoad
            | Technique::CeSysPtrace
            | Technique::CeUmhCorePattern
            | Technique::CeVarLogSymlink
            | Technique::ExploitContainerdSock
            | Technique::ExploitHostWrite
            | Technique::ExploitHostRead => "T1611",
            Technique::ContainerAttach | Technique::PodExec | Technique::NodeProxy => "T1609",
            Technique::IdentityAssume
            | Technique::TokenSteal
            | Technique::ExploitHostTraverse
            | Technique::TokenList
            | Technique::TokenBruteforce
            | Technique::SaTokenCreate => "T1528",
            Technique::SecretMount | Technique::SecretRead => "T1552.007",
            Technique::GroupMember | Technique::PermissionDiscover | Technique::VolumeDiscover => {
                "T1613"
            }
            Technique::VolumeAccess | Technique::PodAttach | Technique::ShareProcessNamespace => {
                "T1609"
            }
            Technique::EndpointExploit => "T1190",
            Technique::PodCreate | Technique::PodPatch => "T1610",
            Technique::IdentityImpersonate => "T1134",
            Technique::RoleBind | Technique::RoleEscalate | Technique::CsrApprove => "T1098.006",
            Technique::WebhookWrite => "T1525",
        }
    }

    /// One line: what the attacker does.
    pub fn summary(self) -> &'static str {
        match self {
            Technique::CeNsenter => "privileged + hostPID: nsenter into the host's PID 1",
            Technique::CePrivMount => "privileged: mount the host's disk and write to it",
            Technique::CeModuleLoad => "privileged or SYS_MODULE: load a kernel module",
            Technique::CeSysPtrace => {
                "hostPID + SYS_PTRACE + SYS_ADMIN, AppArmor unconfined: ptrace a host process"
            }
            Technique::CeUmhCorePattern => {
                "root + hostPath /proc: write core_pattern, the kernel runs it on the host"
            }
            Technique::CeVarLogSymlink => {
                "hostPath /var/log + get pods/log: symlink a log to any host file"
            }
            Technique::ExploitContainerdSock => {
                "container runtime socket: start a privileged container on the node"
            }
            Technique::ExploitHostWrite => "writable hostPath: write host files (cron, ssh keys)",
            Technique::ExploitHostRead => "read-only sensitive hostPath: read host secrets",
            Technique::ContainerAttach => "a pod's containers",
            Technique::IdentityAssume => "use the credentials present (token, node certificate)",
            Technique::GroupMember => {
                "the API server puts the identity in the group (system:authenticated...)"
            }
            Technique::PermissionDiscover => "the permissions an identity holds",
            Technique::VolumeDiscover => "a volume mounted in the container",
            Technique::VolumeAccess => "the node can read every volume of its pods",
            Technique::PodAttach => "the node can enter every pod running on it",
            Technique::ShareProcessNamespace => {
                "shared process namespace: reach sibling containers"
            }
            Technique::EndpointExploit => "exploit an exposed service to run code in a container",
            Technique::TokenSteal => "read a service account token",
            Technique::ExploitHostTraverse => {
                "hostPath above /var/lib/kubelet/pods: read other pods' token volumes"
            }
            Technique::SecretMount => "a secret mounted or injected into the container",
            Technique::PodCreate => {
                "create a pod: privileged on any node, or as any service account of the namespace"
            }
            Technique::PodExec => "exec into the pod",
            Technique::PodPatch => "patch the pod or its controller to run attacker code",
            Technique::NodeProxy => "kubelet API through nodes/proxy: exec into any pod",
            Technique::TokenList => "list secrets: read service account token secrets",
            Technique::TokenBruteforce => "get secrets: guess legacy token secret names",
            Technique::SecretRead => "read secrets",
            Technique::SaTokenCreate => "create serviceaccounts/token: mint a token",
            Technique::IdentityImpersonate => "impersonate the identity",
            Technique::RoleBind => "bind a role the attacker does not hold",
            Technique::RoleEscalate => "escalate: add any permission to one's own role",
            Technique::CsrApprove => "create and approve a client certificate for system:masters",
            Technique::WebhookWrite => "mutating webhook: rewrite every admitted object",
        }
    }
}

impl fmt::Display for Technique {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl Serialize for Technique {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}
