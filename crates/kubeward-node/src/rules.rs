//! The KW6xx rules the node and etcd checks report under. Each CIS recommendation maps to one
//! rule (its concern); a result carries its own severity, as findings of other rules whose
//! gravity varies do. `kubeward_node::rules::ALL` lists them for `kubeward rules`/`explain`.

use kubeward_core::{Category, Mitre, RuleMeta, Severity, Tactic};

macro_rules! node_rule {
    (
        $(#[doc = $doc:literal])*
        $id:ident {
            code: $code:literal, name: $name:literal, severity: $sev:ident,
            summary: $summary:literal, remediation: $rem:literal,
            mitre: [$(($tactic:ident, $tech:literal, $tid:literal)),* $(,)?],
            nsa: [$($nsa:literal),* $(,)?],
            cis: [$($cis:literal),* $(,)?] $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        pub static $id: RuleMeta = RuleMeta {
            code: $code,
            name: $name,
            severity: Severity::$sev,
            category: Category::Node,
            summary: $summary,
            remediation: $rem,
            mitre: &[$(Mitre { tactic: Tactic::$tactic, technique: $tech, id: $tid }),*],
            nsa: &[$($nsa),*],
            cis: &[$($cis),*],
            pss: None,
            doc: concat!($($doc, "\n"),*),
        };
    };
}

node_rule! {
    /// ## What it finds
    /// Control-plane and node files whose permissions or ownership are looser than the CIS
    /// benchmark allows: static pod manifests, kubeconfigs (`admin.conf`, `super-admin.conf`,
    /// `scheduler.conf`, `controller-manager.conf`, `kubelet.conf`), the PKI directory, the etcd
    /// data directory, CNI files, the kubelet's systemd unit and config file.
    ///
    /// ## Why it matters
    /// A kubeconfig or private key readable by another local user is a credential for the
    /// cluster: `admin.conf` is cluster-admin, `/etc/kubernetes/pki/ca.key` signs any identity,
    /// the etcd data directory holds every Secret. A writable manifest or unit lets a local user
    /// change what runs as root (persistence through static pods).
    ///
    /// ## How to fix
    /// `chmod 600` kubeconfigs, keys, manifests and unit files (`644` for certificates),
    /// `chmod 700` the etcd data directory, `chown root:root` (the etcd data directory
    /// `etcd:etcd`). Each result names the file and what was found.
    NODE_FILE_PERMISSIONS {
        code: "KW610", name: "node-file-permissions", severity: High,
        summary: "control-plane or node file with loose permissions or ownership",
        remediation: "chmod 600 (644 for certificates, 700 for the etcd data dir) and chown root:root the named file.",
        mitre: [(CredentialAccess, "Application credentials in configuration files", "T1552.001"),
                (Persistence, "Static pods", "")],
        nsa: ["Protecting Kubernetes infrastructure"],
        cis: ["1.1.1", "1.1.13", "1.1.19", "1.1.21", "4.1.1", "4.1.5", "4.1.9"],
    }
}

node_rule! {
    /// ## What it finds
    /// An API server that accepts anonymous requests (`--anonymous-auth` not `false`) or
    /// static bearer tokens from a file (`--token-auth-file`); CIS 3.1 reminders about user
    /// authentication.
    ///
    /// ## Why it matters
    /// Static tokens never expire and cannot be revoked without restarting the API server;
    /// anonymous access makes every RBAC mistake bound to `system:unauthenticated` reachable
    /// from the network.
    ///
    /// ## How to fix
    /// Set `--anonymous-auth=false` (or limit anonymous access to health endpoints with an
    /// `AuthenticationConfiguration`), remove `--token-auth-file` and use OIDC or client
    /// certificates managed outside the cluster.
    API_SERVER_AUTHENTICATION {
        code: "KW611", name: "api-server-weak-authentication", severity: High,
        summary: "API server accepts anonymous requests or static token files",
        remediation: "Set --anonymous-auth=false and remove --token-auth-file.",
        mitre: [(InitialAccess, "Exposed sensitive interfaces", "T1133"),
                (CredentialAccess, "Application credentials in configuration files", "T1552.001")],
        nsa: ["Authentication and authorization"],
        cis: ["1.2.1", "1.2.2", "3.1.1", "3.1.2", "3.1.3"],
    }
}

node_rule! {
    /// ## What it finds
    /// An API server whose authorizers allow everything (`AlwaysAllow`) or lack `Node` or
    /// `RBAC` — from `--authorization-mode` or a structured `--authorization-config`.
    ///
    /// ## Why it matters
    /// With `AlwaysAllow` every authenticated identity, every service account token included,
    /// is cluster-admin. Without `Node`, kubelets are not confined to their own node's objects.
    ///
    /// ## How to fix
    /// `--authorization-mode=Node,RBAC` (kubeadm's default).
    API_SERVER_AUTHORIZATION {
        code: "KW612", name: "api-server-authorization-weak", severity: Critical,
        summary: "API server authorization allows everything or lacks Node/RBAC",
        remediation: "Set --authorization-mode=Node,RBAC.",
        mitre: [(PrivilegeEscalation, "Cluster-admin binding", "T1078")],
        nsa: ["Authentication and authorization"],
        cis: ["1.2.6", "1.2.7", "1.2.8"],
    }
}

node_rule! {
    /// ## What it finds
    /// Admission plugins that CIS wants enabled but are not (`NodeRestriction`,
    /// `EventRateLimit`, `AlwaysPullImages`, `DenyServiceExternalIPs`), protective defaults
    /// disabled (`ServiceAccount`, `NamespaceLifecycle`), or `AlwaysAdmit` enabled.
    ///
    /// ## Why it matters
    /// Without `NodeRestriction` a compromised kubelet can label other nodes and modify pods
    /// it does not run; `DenyServiceExternalIPs` closes CVE-2020-8554 (traffic interception
    /// through `externalIPs`).
    ///
    /// ## How to fix
    /// Adjust `--enable-admission-plugins` / `--disable-admission-plugins` as the result says.
    ADMISSION_PLUGINS {
        code: "KW613", name: "admission-plugins-weakened", severity: Medium,
        summary: "API server admission plugins weakened",
        remediation: "Enable NodeRestriction (and the other plugins named); never enable AlwaysAdmit or disable ServiceAccount/NamespaceLifecycle.",
        mitre: [(PrivilegeEscalation, "Privileged container", "T1611")],
        nsa: ["Pod security"],
        cis: ["1.2.3", "1.2.9", "1.2.10", "1.2.11", "1.2.12", "1.2.13", "1.2.14"],
    }
}

node_rule! {
    /// ## What it finds
    /// API server audit logging missing or too short-lived (`--audit-log-path`,
    /// `--audit-log-maxage/maxbackup/maxsize`), no audit policy, or a policy that leaves key
    /// requests unaudited (exec, port-forward, proxy, pod and deployment changes) or writes
    /// Secret contents into the log (`Request`/`RequestResponse` on secrets).
    ///
    /// ## Why it matters
    /// Without an audit trail an intrusion through the API cannot be reconstructed; logging
    /// Secrets at Request level copies credentials into log files.
    ///
    /// ## How to fix
    /// Set `--audit-policy-file` and `--audit-log-path` with retention
    /// (`--audit-log-maxage=30 --audit-log-maxbackup=10 --audit-log-maxsize=100`), and a
    /// policy that logs Secrets, ConfigMaps and TokenReviews at `Metadata`.
    AUDIT_LOGGING {
        code: "KW614", name: "audit-logging-insufficient", severity: High,
        summary: "API server audit logging missing, short-lived or incomplete",
        remediation: "Set --audit-policy-file and --audit-log-path with retention; log secrets at Metadata only.",
        mitre: [(DefenseEvasion, "Delete Kubernetes events", "T1070")],
        nsa: ["Audit logging and threat detection"],
        cis: ["1.2.16", "1.2.17", "1.2.18", "1.2.19", "3.2.1", "3.2.2"],
    }
}

node_rule! {
    /// ## What it finds
    /// Control-plane connections without TLS or without verifying the peer: API server to
    /// kubelets (`--kubelet-client-certificate/key`, `--kubelet-certificate-authority`), to etcd
    /// (`--etcd-certfile/keyfile/cafile`), its own serving certificate and client CA, weak
    /// cipher suites, kubelet serving-certificate rotation disabled in the controller manager.
    ///
    /// ## Why it matters
    /// Unverified or unencrypted control-plane traffic can be intercepted on the node network:
    /// etcd traffic carries every Secret.
    ///
    /// ## How to fix
    /// Set the named TLS flags (kubeadm sets all of them) and restrict `--tls-cipher-suites`
    /// to AEAD suites.
    CONTROL_PLANE_TLS {
        code: "KW615", name: "control-plane-tls-incomplete", severity: High,
        summary: "control-plane TLS missing, unverified or weak",
        remediation: "Set the named certificate, key and CA flags; restrict --tls-cipher-suites to strong suites.",
        mitre: [(CredentialAccess, "Application credentials in configuration files", "T1552.001")],
        nsa: ["Network separation and hardening"],
        cis: ["1.2.4", "1.2.5", "1.2.23", "1.2.24", "1.2.25", "1.2.26", "1.2.29", "1.3.6"],
    }
}

node_rule! {
    /// ## What it finds
    /// Weak service-account token handling: token lookup disabled, no service-account key
    /// configured, extended token expiration left on, controllers sharing one credential
    /// (`--use-service-account-credentials`), no signing key or root CA in the controller
    /// manager.
    ///
    /// ## Why it matters
    /// Tokens of deleted service accounts stay valid without lookup; extended expiration keeps
    /// stolen projected tokens valid for a year.
    ///
    /// ## How to fix
    /// Set the named flags as the result says.
    SERVICE_ACCOUNT_CREDENTIALS {
        code: "KW616", name: "service-account-credentials-weak", severity: Medium,
        summary: "service-account token handling weakened",
        remediation: "Keep --service-account-lookup=true, set the SA key files, --service-account-extend-token-expiration=false, --use-service-account-credentials=true.",
        mitre: [(CredentialAccess, "Container service account", "T1528")],
        nsa: ["Authentication and authorization"],
        cis: ["1.2.21", "1.2.22", "1.2.30", "1.3.3", "1.3.4", "1.3.5"],
    }
}

node_rule! {
    /// ## What it finds
    /// Control-plane components with profiling on, bound to all interfaces, or without the
    /// limits CIS asks for (request timeout, terminated-pod garbage collection).
    ///
    /// ## Why it matters
    /// Profiling endpoints disclose internals and cost CPU on request; a controller manager or
    /// scheduler listening on every interface exposes its endpoints to the node network.
    ///
    /// ## How to fix
    /// `--profiling=false`, `--bind-address=127.0.0.1`.
    CONTROL_PLANE_HARDENING {
        code: "KW617", name: "control-plane-hardening-missing", severity: Medium,
        summary: "control-plane component exposes profiling or binds to all interfaces",
        remediation: "Set --profiling=false and --bind-address=127.0.0.1.",
        mitre: [(Discovery, "Exposed sensitive interfaces", "T1046")],
        nsa: ["Protecting Kubernetes infrastructure"],
        cis: ["1.2.15", "1.2.20", "1.3.1", "1.3.2", "1.3.7", "1.4.1", "1.4.2"],
    }
}

node_rule! {
    /// ## What it finds
    /// Secrets not encrypted at rest, or encrypted weakly: no `--encryption-provider-config`,
    /// an `EncryptionConfiguration` whose first provider for secrets is `identity`, that does
    /// not cover secrets, or that uses `aescbc` (weak) or `kms` v1 (deprecated); key files
    /// readable by others.
    ///
    /// ## Why it matters
    /// Anyone who reads etcd or one of its backups reads every Secret in the cluster:
    /// service-account tokens, registry credentials, TLS keys.
    ///
    /// ## How to fix
    /// Configure a KMS v2 provider (or secretbox) first for `secrets`, then rewrite existing
    /// Secrets: `kubectl get secrets -A -o json | kubectl replace -f -`.
    ENCRYPTION_AT_REST {
        code: "KW618", name: "secrets-encryption-at-rest-weak", severity: High,
        summary: "Secrets not encrypted at rest, or encrypted with a weak or deprecated provider",
        remediation: "Put a kms v2 (or secretbox) provider first for secrets and rewrite existing Secrets.",
        mitre: [(CredentialAccess, "List Kubernetes secrets", "T1552.007")],
        nsa: ["Secrets"],
        cis: ["1.2.27", "1.2.28"],
    }
}

node_rule! {
    /// ## What it finds
    /// etcd configured without client or peer TLS, without client-certificate authentication,
    /// with self-signed automatic certificates, or sharing the cluster CA (CIS section 2).
    ///
    /// ## Why it matters
    /// etcd holds the whole cluster state; whoever can talk to it is cluster-admin and reads
    /// every Secret, bypassing the API server's authorization and audit log.
    ///
    /// ## How to fix
    /// `--cert-file/--key-file`, `--client-cert-auth=true`, `--peer-cert-file/--peer-key-file`,
    /// `--peer-client-cert-auth=true`, no `--auto-tls`/`--peer-auto-tls`, and an etcd-only CA in
    /// `--trusted-ca-file`.
    ETCD_TRANSPORT {
        code: "KW619", name: "etcd-transport-insecure", severity: Critical,
        summary: "etcd without TLS, client-certificate authentication or a dedicated CA",
        remediation: "Enable client and peer TLS with client-certificate authentication and a dedicated CA.",
        mitre: [(CredentialAccess, "List Kubernetes secrets", "T1552.007")],
        nsa: ["Protecting Kubernetes infrastructure"],
        cis: ["2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7"],
    }
}

node_rule! {
    /// ## What it finds
    /// A kubelet whose API accepts anonymous requests, authorizes everything (`AlwaysAllow`)
    /// or has no client CA to verify the API server — resolved from the flags, the config file
    /// the kubelet actually uses and the kubelet's own defaults (which differ without a config
    /// file).
    ///
    /// ## Why it matters
    /// The kubelet API (port 10250) runs commands in every pod of the node (`/exec`, `/run`):
    /// anonymous access with `AlwaysAllow` is remote code execution on the node.
    ///
    /// ## How to fix
    /// In the `KubeletConfiguration`: `authentication.anonymous.enabled: false`,
    /// `authentication.webhook.enabled: true`, `authorization.mode: Webhook`,
    /// `authentication.x509.clientCAFile` set; remove contrary flags.
    KUBELET_API_ACCESS {
        code: "KW620", name: "kubelet-api-unauthenticated", severity: Critical,
        summary: "kubelet API accepts anonymous or unauthorized requests",
        remediation: "Disable anonymous auth, use Webhook authorization and set a client CA in the kubelet config.",
        mitre: [(Execution, "Exec into container", "T1609"), (Discovery, "Access Kubelet API", "T1613")],
        nsa: ["Protecting Kubernetes infrastructure"],
        cis: ["4.2.1", "4.2.2", "4.2.3"],
    }
}

node_rule! {
    /// ## What it finds
    /// A kubelet serving its unauthenticated read-only port (`readOnlyPort`/`--read-only-port`
    /// not 0; 10255 is the flag default when no config file is used).
    ///
    /// ## Why it matters
    /// The read-only port serves pod specs (environment variables included), node stats and
    /// metrics to anyone on the network, without authentication.
    ///
    /// ## How to fix
    /// `readOnlyPort: 0` in the `KubeletConfiguration`, and no `--read-only-port` flag.
    KUBELET_READ_ONLY_PORT {
        code: "KW621", name: "kubelet-read-only-port", severity: High,
        summary: "kubelet serves the unauthenticated read-only port",
        remediation: "Set readOnlyPort: 0 and remove --read-only-port.",
        mitre: [(Discovery, "Access Kubelet API", "T1613")],
        nsa: ["Protecting Kubernetes infrastructure"],
        cis: ["4.2.4"],
    }
}

node_rule! {
    /// ## What it finds
    /// Kubelet and kube-proxy settings CIS section 4 asks for: idle streaming timeout, iptables
    /// chains, hostname override, event rate, serving certificate and its rotation, cipher
    /// suites, pod PID limit, seccomp by default, kube-proxy metrics on localhost.
    ///
    /// ## Why it matters
    /// Each is a smaller weakness: unbounded PIDs allow a fork bomb to take the node down,
    /// containers without a seccomp profile reach every system call, a self-signed kubelet
    /// certificate cannot be verified by the API server.
    ///
    /// ## How to fix
    /// Set the named `KubeletConfiguration` field (or remove the contrary flag).
    KUBELET_HARDENING {
        code: "KW622", name: "kubelet-hardening-missing", severity: Medium,
        summary: "kubelet or kube-proxy hardening setting missing",
        remediation: "Set the named KubeletConfiguration field or remove the contrary flag.",
        mitre: [(Impact, "Denial of service", "T1499"), (PrivilegeEscalation, "Privileged container", "T1611")],
        nsa: ["Protecting Kubernetes infrastructure"],
        cis: ["4.2.5", "4.2.6", "4.2.7", "4.2.8", "4.2.9", "4.2.10", "4.2.11", "4.2.12", "4.2.13", "4.2.14", "4.3.1"],
    }
}

node_rule! {
    /// ## What it finds
    /// An etcd endpoint that answers a client presenting no certificate (live check by
    /// `kubeward etcd`).
    ///
    /// ## Why it matters
    /// Anyone who reaches the port reads and writes the whole cluster state, every Secret
    /// included, without going through the API server's authorization or audit log.
    ///
    /// ## How to fix
    /// Start etcd with `--client-cert-auth=true` and `--trusted-ca-file` set to a CA that
    /// signs only the API server's etcd client certificates.
    ETCD_NO_CLIENT_CERT {
        code: "KW630", name: "etcd-accepts-clients-without-certificate", severity: Critical,
        summary: "etcd answers clients without a client certificate",
        remediation: "Start etcd with --client-cert-auth=true and a dedicated --trusted-ca-file.",
        mitre: [(CredentialAccess, "List Kubernetes secrets", "T1552.007"), (InitialAccess, "Exposed sensitive interfaces", "T1133")],
        nsa: ["Protecting Kubernetes infrastructure"],
        cis: ["2.2"],
    }
}

node_rule! {
    /// ## What it finds
    /// An etcd endpoint that answers over plain HTTP (no TLS), tried by `kubeward etcd` on
    /// the given host and port.
    ///
    /// ## Why it matters
    /// Everything, Secrets included, crosses the network in clear text, and nothing
    /// authenticates the client.
    ///
    /// ## How to fix
    /// Serve clients over TLS only: `--listen-client-urls=https://...`, `--cert-file`,
    /// `--key-file`.
    ETCD_PLAIN_HTTP {
        code: "KW631", name: "etcd-plain-http", severity: Critical,
        summary: "etcd answers over plain HTTP",
        remediation: "Listen on https:// URLs only, with --cert-file and --key-file.",
        mitre: [(CredentialAccess, "List Kubernetes secrets", "T1552.007")],
        nsa: ["Network separation and hardening"],
        cis: ["2.1"],
    }
}

node_rule! {
    /// ## What it finds
    /// An etcd endpoint that accepts a client certificate signed by a CA it should not trust
    /// (`kubeward etcd` generates a throw-away CA and client certificate and tries them).
    ///
    /// ## Why it matters
    /// If etcd trusts any CA (or a public one), anyone can mint a certificate it accepts.
    ///
    /// ## How to fix
    /// Set `--trusted-ca-file` to the etcd CA only.
    ETCD_FOREIGN_CA {
        code: "KW632", name: "etcd-accepts-foreign-client-certificate", severity: Critical,
        summary: "etcd accepts a client certificate from an unrelated CA",
        remediation: "Point --trusted-ca-file at the dedicated etcd CA only.",
        mitre: [(CredentialAccess, "List Kubernetes secrets", "T1552.007")],
        nsa: ["Protecting Kubernetes infrastructure"],
        cis: ["2.2", "2.7"],
    }
}

node_rule! {
    /// ## What it finds
    /// Secrets stored in etcd in plain text (the API server's protobuf `k8s\x00` or JSON `{`
    /// encoding) — read by `kubeward etcd`, which looks at the first bytes of every value under
    /// `/registry/secrets/` and never prints or keeps a value. Each one is named by
    /// namespace/name.
    ///
    /// ## Why it matters
    /// Encryption at rest only applies to writes after it is configured: Secrets written
    /// before stay in plain text until rewritten, whatever the configuration says.
    ///
    /// ## How to fix
    /// Configure encryption (KW618), then rewrite every Secret:
    /// `kubectl get secrets -A -o json | kubectl replace -f -`.
    SECRETS_PLAINTEXT_IN_ETCD {
        code: "KW633", name: "secrets-plaintext-in-etcd", severity: High,
        summary: "Secrets stored in etcd without encryption",
        remediation: "Configure encryption at rest, then rewrite every Secret (kubectl replace).",
        mitre: [(CredentialAccess, "List Kubernetes secrets", "T1552.007")],
        nsa: ["Secrets"],
        cis: ["1.2.27", "1.2.28"],
    }
}

node_rule! {
    /// ## What it finds
    /// Secrets stored in etcd encrypted with `aescbc` (weak) or `kms` v1 (deprecated), found by
    /// their stored prefix `k8s:enc:aescbc:v1:` / `k8s:enc:kms:v1:`.
    ///
    /// ## Why it matters
    /// CBC is open to padding-oracle attacks and the key sits on the control-plane node; KMS v1
    /// is deprecated and slow (a KMS call per Secret).
    ///
    /// ## How to fix
    /// Move to kms v2, then rewrite the Secrets.
    SECRETS_WEAKLY_ENCRYPTED {
        code: "KW634", name: "secrets-weakly-encrypted-in-etcd", severity: Medium,
        summary: "Secrets in etcd encrypted with aescbc or kms v1",
        remediation: "Switch the first provider to kms v2 and rewrite the Secrets.",
        mitre: [(CredentialAccess, "List Kubernetes secrets", "T1552.007")],
        nsa: ["Secrets"],
        cis: ["1.2.28"],
    }
}

/// Every rule of this crate, by code.
pub static ALL: &[&RuleMeta] = &[
    &NODE_FILE_PERMISSIONS,
    &API_SERVER_AUTHENTICATION,
    &API_SERVER_AUTHORIZATION,
    &ADMISSION_PLUGINS,
    &AUDIT_LOGGING,
    &CONTROL_PLANE_TLS,
    &SERVICE_ACCOUNT_CREDENTIALS,
    &CONTROL_PLANE_HARDENING,
    &ENCRYPTION_AT_REST,
    &ETCD_TRANSPORT,
    &KUBELET_API_ACCESS,
    &KUBELET_READ_ONLY_PORT,
    &KUBELET_HARDENING,
    &ETCD_NO_CLIENT_CERT,
    &ETCD_PLAIN_HTTP,
    &ETCD_FOREIGN_CA,
    &SECRETS_PLAINTEXT_IN_ETCD,
    &SECRETS_WEAKLY_ENCRYPTED,
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_free_well_formed_and_documented() {
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for r in ALL {
            assert!(codes.insert(r.code) && names.insert(r.name), "{}", r.code);
            assert!(r.code.starts_with("KW6") && r.code.len() == 5, "{}", r.code);
            // KW601–KW603 belong to the cluster rules.
            assert!(r.code >= "KW610", "{}", r.code);
            for h in ["## What it finds", "## Why it matters", "## How to fix"] {
                assert!(r.doc.contains(h), "{} lacks {h}", r.code);
            }
            assert!(!r.mitre.is_empty(), "{}", r.code);
        }
        let mut sorted: Vec<&str> = ALL.iter().map(|r| r.code).collect();
        sorted.sort_unstable();
        assert_eq!(sorted, ALL.iter().map(|r| r.code).collect::<Vec<_>>());
    }
}
