//! CIS Kubernetes Benchmark versions and their recommendations (sections 1–4): ids, titles,
//! automated or manual, as kube-bench's definitions for cis-1.8 … cis-1.12 give them
//! (`tests/oracle_kube_bench.rs` holds this table to those files).
//!
//! Each recommendation has a stable key (its cis-1.12 id, or `1.2.12@1.8` and `4.2.15@1.11`
//! for the two that left the benchmark); a benchmark version maps keys to its ids.

use crate::rules::*;
use kubeward_core::{RuleMeta, Severity};
use serde::Serialize;

/// A benchmark version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Benchmark {
    #[serde(rename = "cis-1.8")]
    Cis18,
    #[serde(rename = "cis-1.9")]
    Cis19,
    #[serde(rename = "cis-1.10")]
    Cis110,
    #[serde(rename = "cis-1.11")]
    Cis111,
    #[serde(rename = "cis-1.12")]
    Cis112,
}

impl Benchmark {
    pub const ALL: [Benchmark; 5] = [
        Benchmark::Cis18,
        Benchmark::Cis19,
        Benchmark::Cis110,
        Benchmark::Cis111,
        Benchmark::Cis112,
    ];
    pub const NEWEST: Benchmark = Benchmark::Cis112;

    pub fn name(self) -> &'static str {
        match self {
            Benchmark::Cis18 => "cis-1.8",
            Benchmark::Cis19 => "cis-1.9",
            Benchmark::Cis110 => "cis-1.10",
            Benchmark::Cis111 => "cis-1.11",
            Benchmark::Cis112 => "cis-1.12",
        }
    }

    pub fn parse(s: &str) -> Result<Benchmark, String> {
        Benchmark::ALL
            .into_iter()
            .find(|b| b.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown benchmark `{s}` (expected {})",
                    Benchmark::ALL.map(Benchmark::name).join(", ")
                )
            })
    }

    /// kube-bench's version mapping: 1.26 → cis-1.8, 1.27 → cis-1.9, 1.28 → cis-1.10,
    /// 1.29–1.31 → cis-1.11, 1.32–1.34 → cis-1.12. Older versions get the oldest benchmark
    /// carried and newer ones the newest, with a note.
    pub fn for_version(major: u32, minor: u32) -> (Benchmark, Option<String>) {
        if major != 1 {
            return (
                Benchmark::NEWEST,
                Some(format!("unknown Kubernetes major version {major}")),
            );
        }
        match minor {
            0..=25 => (
                Benchmark::Cis18,
                Some(format!(
                    "Kubernetes 1.{minor} is older than the benchmarks carried (cis-1.8 is for 1.26)"
                )),
            ),
            26 => (Benchmark::Cis18, None),
            27 => (Benchmark::Cis19, None),
            28 => (Benchmark::Cis110, None),
            29..=31 => (Benchmark::Cis111, None),
            32..=34 => (Benchmark::Cis112, None),
            _ => (
                Benchmark::Cis112,
                Some(format!(
                    "Kubernetes 1.{minor} is newer than the newest benchmark carried (cis-1.12 is for 1.32–1.34)"
                )),
            ),
        }
    }
}

/// Which kube-bench target file a recommendation is in (and which role it applies to).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// Section 1: control-plane node files, API server, controller manager, scheduler.
    Master,
    /// Section 2.
    Etcd,
    /// Section 3.
    ControlPlane,
    /// Section 4: worker node files, kubelet, kube-proxy.
    Node,
}

/// One recommendation.
#[derive(Debug)]
pub struct Def {
    pub key: &'static str,
    pub target: Target,
    /// cis-1.12 wording (or the last benchmark's that had it).
    pub title: &'static str,
    /// Automated (scored) or Manual.
    pub automated: bool,
    /// Always reported as manual review (kube-bench `type: manual`): nothing to test.
    pub manual_only: bool,
    pub rule: &'static RuleMeta,
    /// Severity when the recommendation is not met.
    pub severity: Severity,
    pub remediation: &'static str,
}

macro_rules! defs {
    ($( $key:literal $target:ident $auto:ident $sev:ident $rule:ident $title:literal => $rem:literal; )*) => {
        /// Every recommendation of sections 1–4 in any carried benchmark, in cis-1.12 order.
        pub static DEFS: &[Def] = &[$(
            Def {
                key: $key,
                target: Target::$target,
                title: $title,
                automated: defs!(@auto $auto),
                manual_only: defs!(@only $auto),
                rule: &$rule,
                severity: Severity::$sev,
                remediation: $rem,
            },
        )*];
    };
    (@auto A) => { true };
    (@auto M) => { false };
    (@auto MO) => { false };
    (@only MO) => { true };
    (@only $x:ident) => { false };
}

defs! {
    "1.1.1" Master A Medium NODE_FILE_PERMISSIONS "Ensure that the API server pod specification file permissions are set to 600 or more restrictive (Automated)" => "chmod 600 the API server's static pod manifest.";
    "1.1.2" Master A Medium NODE_FILE_PERMISSIONS "Ensure that the API server pod specification file ownership is set to root:root (Automated)" => "chown root:root the API server's static pod manifest.";
    "1.1.3" Master A Medium NODE_FILE_PERMISSIONS "Ensure that the controller manager pod specification file permissions are set to 600 or more restrictive (Automated)" => "chmod 600 the controller manager's static pod manifest.";
    "1.1.4" Master A Medium NODE_FILE_PERMISSIONS "Ensure that the controller manager pod specification file ownership is set to root:root (Automated)" => "chown root:root the controller manager's static pod manifest.";
    "1.1.5" Master A Medium NODE_FILE_PERMISSIONS "Ensure that the scheduler pod specification file permissions are set to 600 or more restrictive (Automated)" => "chmod 600 the scheduler's static pod manifest.";
    "1.1.6" Master A Medium NODE_FILE_PERMISSIONS "Ensure that the scheduler pod specification file ownership is set to root:root (Automated)" => "chown root:root the scheduler's static pod manifest.";
    "1.1.7" Master A Medium NODE_FILE_PERMISSIONS "Ensure that the etcd pod specification file permissions are set to 600 or more restrictive (Automated)" => "chmod 600 etcd's static pod manifest.";
    "1.1.8" Master A Medium NODE_FILE_PERMISSIONS "Ensure that the etcd pod specification file ownership is set to root:root (Automated)" => "chown root:root etcd's static pod manifest.";
    "1.1.9" Master M Low NODE_FILE_PERMISSIONS "Ensure that the Container Network Interface file permissions are set to 600 or more restrictive (Manual)" => "chmod 600 the CNI configuration files named.";
    "1.1.10" Master M Low NODE_FILE_PERMISSIONS "Ensure that the Container Network Interface file ownership is set to root:root (Manual)" => "chown root:root the CNI configuration files named.";
    "1.1.11" Master A High NODE_FILE_PERMISSIONS "Ensure that the etcd data directory permissions are set to 700 or more restrictive (Automated)" => "chmod 700 etcd's --data-dir.";
    "1.1.12" Master A Medium NODE_FILE_PERMISSIONS "Ensure that the etcd data directory ownership is set to etcd:etcd (Automated)" => "chown etcd:etcd etcd's --data-dir (run etcd as the etcd user).";
    "1.1.13" Master A Critical NODE_FILE_PERMISSIONS "Ensure that the default administrative credential file permissions are set to 600 (Automated)" => "chmod 600 /etc/kubernetes/admin.conf and /etc/kubernetes/super-admin.conf.";
    "1.1.14" Master A High NODE_FILE_PERMISSIONS "Ensure that the default administrative credential file ownership is set to root:root (Automated)" => "chown root:root /etc/kubernetes/admin.conf and /etc/kubernetes/super-admin.conf.";
    "1.1.15" Master A High NODE_FILE_PERMISSIONS "Ensure that the scheduler.conf file permissions are set to 600 or more restrictive (Automated)" => "chmod 600 the scheduler's kubeconfig.";
    "1.1.16" Master A Medium NODE_FILE_PERMISSIONS "Ensure that the scheduler.conf file ownership is set to root:root (Automated)" => "chown root:root the scheduler's kubeconfig.";
    "1.1.17" Master A High NODE_FILE_PERMISSIONS "Ensure that the controller-manager.conf file permissions are set to 600 or more restrictive (Automated)" => "chmod 600 the controller manager's kubeconfig.";
    "1.1.18" Master A Medium NODE_FILE_PERMISSIONS "Ensure that the controller-manager.conf file ownership is set to root:root (Automated)" => "chown root:root the controller manager's kubeconfig.";
    "1.1.19" Master A High NODE_FILE_PERMISSIONS "Ensure that the Kubernetes PKI directory and file ownership is set to root:root (Automated)" => "chown -R root:root /etc/kubernetes/pki/.";
    "1.1.20" Master M Low NODE_FILE_PERMISSIONS "Ensure that the Kubernetes PKI certificate file permissions are set to 644 or more restrictive (Manual)" => "chmod 644 (600 up to cis-1.10) /etc/kubernetes/pki/*.crt and the certificates in subdirectories.";
    "1.1.21" Master M Critical NODE_FILE_PERMISSIONS "Ensure that the Kubernetes PKI key file permissions are set to 600 (Manual)" => "chmod 600 /etc/kubernetes/pki/*.key (and the keys in subdirectories).";
    "1.2.1" Master M Medium API_SERVER_AUTHENTICATION "Ensure that the --anonymous-auth argument is set to false (Manual)" => "Set --anonymous-auth=false in the API server's manifest (or limit anonymous access to health endpoints in an AuthenticationConfiguration).";
    "1.2.2" Master A High API_SERVER_AUTHENTICATION "Ensure that the --token-auth-file parameter is not set (Automated)" => "Remove --token-auth-file from the API server's manifest; use OIDC or certificates.";
    "1.2.3" Master M Low ADMISSION_PLUGINS "Ensure that the --DenyServiceExternalIPs is set (Manual)" => "Add DenyServiceExternalIPs to --enable-admission-plugins.";
    "1.2.4" Master A High CONTROL_PLANE_TLS "Ensure that the --kubelet-client-certificate and --kubelet-client-key arguments are set as appropriate (Automated)" => "Set --kubelet-client-certificate and --kubelet-client-key on the API server.";
    "1.2.5" Master A Medium CONTROL_PLANE_TLS "Ensure that the --kubelet-certificate-authority argument is set as appropriate (Automated)" => "Set --kubelet-certificate-authority on the API server (kubelets then need serving certificates signed by it).";
    "1.2.6" Master A Critical API_SERVER_AUTHORIZATION "Ensure that the --authorization-mode argument is not set to AlwaysAllow (Automated)" => "Set --authorization-mode=Node,RBAC.";
    "1.2.7" Master A Medium API_SERVER_AUTHORIZATION "Ensure that the --authorization-mode argument includes Node (Automated)" => "Include Node in --authorization-mode (Node,RBAC).";
    "1.2.8" Master A High API_SERVER_AUTHORIZATION "Ensure that the --authorization-mode argument includes RBAC (Automated)" => "Include RBAC in --authorization-mode (Node,RBAC).";
    "1.2.9" Master M Low ADMISSION_PLUGINS "Ensure that the admission control plugin EventRateLimit is set (Manual)" => "Add EventRateLimit to --enable-admission-plugins with an --admission-control-config-file.";
    "1.2.10" Master A High ADMISSION_PLUGINS "Ensure that the admission control plugin AlwaysAdmit is not set (Automated)" => "Remove AlwaysAdmit from --enable-admission-plugins.";
    "1.2.11" Master M Low ADMISSION_PLUGINS "Ensure that the admission control plugin AlwaysPullImages is set (Manual)" => "Add AlwaysPullImages to --enable-admission-plugins.";
    "1.2.12@1.8" Master M Low ADMISSION_PLUGINS "Ensure that the admission control plugin SecurityContextDeny is set if PodSecurityPolicy is not used (Manual)" => "Add SecurityContextDeny to --enable-admission-plugins (or use Pod Security Admission).";
    "1.2.12" Master A Medium ADMISSION_PLUGINS "Ensure that the admission control plugin ServiceAccount is set (Automated)" => "Remove ServiceAccount from --disable-admission-plugins.";
    "1.2.13" Master A Medium ADMISSION_PLUGINS "Ensure that the admission control plugin NamespaceLifecycle is set (Automated)" => "Remove NamespaceLifecycle from --disable-admission-plugins.";
    "1.2.14" Master A High ADMISSION_PLUGINS "Ensure that the admission control plugin NodeRestriction is set (Automated)" => "Add NodeRestriction to --enable-admission-plugins.";
    "1.2.15" Master A Low CONTROL_PLANE_HARDENING "Ensure that the --profiling argument is set to false (Automated)" => "Set --profiling=false on the API server.";
    "1.2.16" Master A High AUDIT_LOGGING "Ensure that the --audit-log-path argument is set (Automated)" => "Set --audit-log-path (e.g. /var/log/kubernetes/audit/audit.log) with --audit-policy-file.";
    "1.2.17" Master A Low AUDIT_LOGGING "Ensure that the --audit-log-maxage argument is set to 30 or as appropriate (Automated)" => "Set --audit-log-maxage=30 (days) or more.";
    "1.2.18" Master A Low AUDIT_LOGGING "Ensure that the --audit-log-maxbackup argument is set to 10 or as appropriate (Automated)" => "Set --audit-log-maxbackup=10 or more.";
    "1.2.19" Master A Low AUDIT_LOGGING "Ensure that the --audit-log-maxsize argument is set to 100 or as appropriate (Automated)" => "Set --audit-log-maxsize=100 (MB) or more.";
    "1.2.20" Master MO Info CONTROL_PLANE_HARDENING "Ensure that the --request-timeout argument is set as appropriate (Manual)" => "Review --request-timeout (default 60s); raise it only if needed.";
    "1.2.21" Master A Medium SERVICE_ACCOUNT_CREDENTIALS "Ensure that the --service-account-lookup argument is set to true (Automated)" => "Set --service-account-lookup=true or remove the flag (true is the default).";
    "1.2.22" Master A Medium SERVICE_ACCOUNT_CREDENTIALS "Ensure that the --service-account-key-file argument is set as appropriate (Automated)" => "Set --service-account-key-file to the public key(s) that verify service-account tokens.";
    "1.2.23" Master A High CONTROL_PLANE_TLS "Ensure that the --etcd-certfile and --etcd-keyfile arguments are set as appropriate (Automated)" => "Set --etcd-certfile and --etcd-keyfile on the API server.";
    "1.2.24" Master A High CONTROL_PLANE_TLS "Ensure that the --tls-cert-file and --tls-private-key-file arguments are set as appropriate (Automated)" => "Set --tls-cert-file and --tls-private-key-file on the API server.";
    "1.2.25" Master A High CONTROL_PLANE_TLS "Ensure that the --client-ca-file argument is set as appropriate (Automated)" => "Set --client-ca-file on the API server.";
    "1.2.26" Master A High CONTROL_PLANE_TLS "Ensure that the --etcd-cafile argument is set as appropriate (Automated)" => "Set --etcd-cafile on the API server.";
    "1.2.27" Master M High ENCRYPTION_AT_REST "Ensure that the --encryption-provider-config argument is set as appropriate (Manual)" => "Write an EncryptionConfiguration (kms v2 first for secrets) and set --encryption-provider-config.";
    "1.2.28" Master M High ENCRYPTION_AT_REST "Ensure that encryption providers are appropriately configured (Manual)" => "Make kms v2 (or secretbox) the first provider for secrets, then rewrite existing Secrets.";
    "1.2.29" Master M Low CONTROL_PLANE_TLS "Ensure that the API Server only makes use of Strong Cryptographic Ciphers (Manual)" => "Set --tls-cipher-suites to the strong suites listed by the benchmark.";
    "1.2.30" Master A Low SERVICE_ACCOUNT_CREDENTIALS "Ensure that the --service-account-extend-token-expiration parameter is set to false (Automated)" => "Set --service-account-extend-token-expiration=false.";
    "1.3.1" Master M Low CONTROL_PLANE_HARDENING "Ensure that the --terminated-pod-gc-threshold argument is set as appropriate (Manual)" => "Set --terminated-pod-gc-threshold (e.g. 10) on the controller manager.";
    "1.3.2" Master A Low CONTROL_PLANE_HARDENING "Ensure that the --profiling argument is set to false (Automated)" => "Set --profiling=false on the controller manager.";
    "1.3.3" Master A Medium SERVICE_ACCOUNT_CREDENTIALS "Ensure that the --use-service-account-credentials argument is set to true (Automated)" => "Set --use-service-account-credentials=true on the controller manager.";
    "1.3.4" Master A Medium SERVICE_ACCOUNT_CREDENTIALS "Ensure that the --service-account-private-key-file argument is set as appropriate (Automated)" => "Set --service-account-private-key-file on the controller manager.";
    "1.3.5" Master A Medium SERVICE_ACCOUNT_CREDENTIALS "Ensure that the --root-ca-file argument is set as appropriate (Automated)" => "Set --root-ca-file on the controller manager.";
    "1.3.6" Master A Medium CONTROL_PLANE_TLS "Ensure that the RotateKubeletServerCertificate argument is set to true (Automated)" => "Remove RotateKubeletServerCertificate=false from the controller manager's --feature-gates.";
    "1.3.7" Master A Medium CONTROL_PLANE_HARDENING "Ensure that the --bind-address argument is set to 127.0.0.1 (Automated)" => "Set --bind-address=127.0.0.1 on the controller manager.";
    "1.4.1" Master A Low CONTROL_PLANE_HARDENING "Ensure that the --profiling argument is set to false (Automated)" => "Set --profiling=false on the scheduler.";
    "1.4.2" Master A Medium CONTROL_PLANE_HARDENING "Ensure that the --bind-address argument is set to 127.0.0.1 (Automated)" => "Set --bind-address=127.0.0.1 on the scheduler.";
    "2.1" Etcd A High ETCD_TRANSPORT "Ensure that the --cert-file and --key-file arguments are set as appropriate (Automated)" => "Set etcd's --cert-file and --key-file (client TLS).";
    "2.2" Etcd A Critical ETCD_TRANSPORT "Ensure that the --client-cert-auth argument is set to true (Automated)" => "Set etcd's --client-cert-auth=true.";
    "2.3" Etcd A Medium ETCD_TRANSPORT "Ensure that the --auto-tls argument is not set to true (Automated)" => "Remove etcd's --auto-tls (or set it to false).";
    "2.4" Etcd A High ETCD_TRANSPORT "Ensure that the --peer-cert-file and --peer-key-file arguments are set as appropriate (Automated)" => "Set etcd's --peer-cert-file and --peer-key-file.";
    "2.5" Etcd A High ETCD_TRANSPORT "Ensure that the --peer-client-cert-auth argument is set to true (Automated)" => "Set etcd's --peer-client-cert-auth=true.";
    "2.6" Etcd A Medium ETCD_TRANSPORT "Ensure that the --peer-auto-tls argument is not set to true (Automated)" => "Remove etcd's --peer-auto-tls (or set it to false).";
    "2.7" Etcd M Medium ETCD_TRANSPORT "Ensure that a unique Certificate Authority is used for etcd (Manual)" => "Give etcd its own CA (--trusted-ca-file) that is not the cluster's client CA.";
    "3.1.1" ControlPlane MO Info API_SERVER_AUTHENTICATION "Client certificate authentication should not be used for users (Manual)" => "Use OIDC (or another external identity provider) for people; client certificates cannot be revoked.";
    "3.1.2" ControlPlane MO Info API_SERVER_AUTHENTICATION "Service account token authentication should not be used for users (Manual)" => "Use OIDC for people; service-account tokens are for workloads.";
    "3.1.3" ControlPlane MO Info API_SERVER_AUTHENTICATION "Bootstrap token authentication should not be used for users (Manual)" => "Use bootstrap tokens only to join nodes, and let them expire.";
    "3.2.1" ControlPlane M High AUDIT_LOGGING "Ensure that a minimal audit policy is created (Manual)" => "Write an audit Policy and set --audit-policy-file (and --audit-log-path).";
    "3.2.2" ControlPlane M Medium AUDIT_LOGGING "Ensure that the audit policy covers key security concerns (Manual)" => "Log secrets, configmaps and tokenreviews at Metadata; log pods/exec, pods/portforward, pods/proxy, services/proxy and pod/deployment changes.";
    "4.1.1" Node A Medium NODE_FILE_PERMISSIONS "Ensure that the kubelet service file permissions are set to 600 or more restrictive (Automated)" => "chmod 600 the kubelet's unit file and drop-ins named.";
    "4.1.2" Node A Medium NODE_FILE_PERMISSIONS "Ensure that the kubelet service file ownership is set to root:root (Automated)" => "chown root:root the kubelet's unit file and drop-ins named.";
    "4.1.3" Node M Medium NODE_FILE_PERMISSIONS "If proxy kubeconfig file exists ensure permissions are set to 600 or more restrictive (Manual)" => "chmod 600 kube-proxy's kubeconfig.";
    "4.1.4" Node M Medium NODE_FILE_PERMISSIONS "If proxy kubeconfig file exists ensure ownership is set to root:root (Manual)" => "chown root:root kube-proxy's kubeconfig.";
    "4.1.5" Node A High NODE_FILE_PERMISSIONS "Ensure that the --kubeconfig kubelet.conf file permissions are set to 600 or more restrictive (Automated)" => "chmod 600 the kubelet's --kubeconfig.";
    "4.1.6" Node A Medium NODE_FILE_PERMISSIONS "Ensure that the --kubeconfig kubelet.conf file ownership is set to root:root (Automated)" => "chown root:root the kubelet's --kubeconfig.";
    "4.1.7" Node M Low NODE_FILE_PERMISSIONS "Ensure that the certificate authorities file permissions are set to 644 or more restrictive (Manual)" => "chmod 644 (600 up to cis-1.10) the kubelet's client CA file.";
    "4.1.8" Node M Low NODE_FILE_PERMISSIONS "Ensure that the client certificate authorities file ownership is set to root:root (Manual)" => "chown root:root the kubelet's client CA file.";
    "4.1.9" Node A Medium NODE_FILE_PERMISSIONS "If the kubelet config.yaml configuration file is being used validate permissions set to 600 or more restrictive (Automated)" => "chmod 600 the kubelet's --config file (and --config-dir drop-ins).";
    "4.1.10" Node A Medium NODE_FILE_PERMISSIONS "If the kubelet config.yaml configuration file is being used validate file ownership is set to root:root (Automated)" => "chown root:root the kubelet's --config file (and --config-dir drop-ins).";
    "4.2.1" Node A Critical KUBELET_API_ACCESS "Ensure that the --anonymous-auth argument is set to false (Automated)" => "Set authentication.anonymous.enabled: false in the kubelet config and remove --anonymous-auth=true.";
    "4.2.2" Node A Critical KUBELET_API_ACCESS "Ensure that the --authorization-mode argument is not set to AlwaysAllow (Automated)" => "Set authorization.mode: Webhook in the kubelet config and remove --authorization-mode=AlwaysAllow.";
    "4.2.3" Node A High KUBELET_API_ACCESS "Ensure that the --client-ca-file argument is set as appropriate (Automated)" => "Set authentication.x509.clientCAFile in the kubelet config.";
    "4.2.4" Node M High KUBELET_READ_ONLY_PORT "Verify that if defined, the --read-only-port argument is set to 0 (Manual)" => "Set readOnlyPort: 0 in the kubelet config and remove --read-only-port.";
    "4.2.5" Node M Low KUBELET_HARDENING "Ensure that the --streaming-connection-idle-timeout argument is not set to 0 (Manual)" => "Set streamingConnectionIdleTimeout to a non-zero duration (e.g. 5m).";
    "4.2.6" Node A Low KUBELET_HARDENING "Ensure that the --make-iptables-util-chains argument is set to true (Automated)" => "Set makeIPTablesUtilChains: true (the default) and remove --make-iptables-util-chains=false.";
    "4.2.7" Node M Low KUBELET_HARDENING "Ensure that the --hostname-override argument is not set (Manual)" => "Remove --hostname-override from the kubelet's flags.";
    "4.2.8" Node M Info KUBELET_HARDENING "Ensure that the eventRecordQPS argument is set to a level which ensures appropriate event capture (Manual)" => "Set eventRecordQPS to a level that keeps the events you need (0 means unlimited).";
    "4.2.9" Node M Medium KUBELET_HARDENING "Ensure that the --tls-cert-file and --tls-private-key-file arguments are set as appropriate (Manual)" => "Set tlsCertFile and tlsPrivateKeyFile, or serverTLSBootstrap: true.";
    "4.2.10" Node A Medium KUBELET_HARDENING "Ensure that the --rotate-certificates argument is not set to false (Automated)" => "Set rotateCertificates: true and remove --rotate-certificates=false.";
    "4.2.11" Node M Medium KUBELET_HARDENING "Verify that the RotateKubeletServerCertificate argument is set to true (Manual)" => "Remove RotateKubeletServerCertificate=false from the kubelet's feature gates.";
    "4.2.12" Node M Low KUBELET_HARDENING "Ensure that the Kubelet only makes use of Strong Cryptographic Ciphers (Manual)" => "Set tlsCipherSuites to the strong suites listed by the benchmark.";
    "4.2.13" Node M Low KUBELET_HARDENING "Ensure that a limit is set on pod PIDs (Manual)" => "Set podPidsLimit (e.g. 4096) in the kubelet config.";
    "4.2.14" Node M Low KUBELET_HARDENING "Ensure that the --seccomp-default parameter is set to true (Manual)" => "Set seccompDefault: true in the kubelet config.";
    "4.2.15@1.11" Node M Info KUBELET_HARDENING "Ensure that the --IPAddressDeny is set to any (Manual)" => "Set IPAddressDeny=any (with an IPAddressAllow list) in the kubelet's systemd unit.";
    "4.3.1" Node A Medium KUBELET_HARDENING "Ensure that the kube-proxy metrics service is bound to localhost (Automated)" => "Set kube-proxy's metricsBindAddress to 127.0.0.1:10249 (or remove a non-local value).";
}

/// One recommendation as a benchmark version numbers and words it.
#[derive(Debug, Clone)]
pub struct Item {
    pub id: String,
    pub title: &'static str,
    pub def: &'static Def,
}

/// The recommendations of a benchmark version, in its order.
pub fn items(b: Benchmark) -> Vec<Item> {
    let mut out = Vec::new();
    for def in DEFS {
        let Some(id) = id_in(b, def.key) else {
            continue;
        };
        out.push(Item {
            id,
            title: title_in(b, def),
            def,
        });
    }
    out.sort_by_key(|i| id_order(&i.id));
    out
}

fn id_order(id: &str) -> Vec<u32> {
    id.split('.').filter_map(|p| p.parse().ok()).collect()
}

/// The id of a key in a benchmark, `None` when the benchmark does not have it.
pub fn id_in(b: Benchmark, key: &str) -> Option<String> {
    use Benchmark::*;
    match key {
        "1.2.12@1.8" => return (b == Cis18).then(|| "1.2.12".to_string()),
        "4.2.15@1.11" => return (b == Cis111).then(|| "4.2.15".to_string()),
        "1.2.30" if b < Cis111 => return None,
        "4.2.14" if b < Cis111 => return None,
        "4.3.1" if b == Cis18 => return None,
        _ => {}
    }
    if b == Cis18
        && let Some(n) = key.strip_prefix("1.2.")
        && let Ok(n) = n.parse::<u32>()
        && (12..=29).contains(&n)
    {
        return Some(format!("1.2.{}", n + 1));
    }
    Some(key.to_string())
}

fn title_in(b: Benchmark, def: &'static Def) -> &'static str {
    use Benchmark::*;
    match (def.key, b) {
        ("1.1.13", Cis18) => {
            "Ensure that the admin.conf file permissions are set to 600 or more restrictive (Automated)"
        }
        ("1.1.14", Cis18) => {
            "Ensure that the admin.conf file ownership is set to root:root (Automated)"
        }
        ("1.1.20", b) if b < Cis111 => {
            "Ensure that the Kubernetes PKI certificate file permissions are set to 600 or more restrictive (Manual)"
        }
        ("4.1.7", b) if b < Cis111 => {
            "Ensure that the certificate authorities file permissions are set to 600 or more restrictive (Manual)"
        }
        ("4.2.4", b) if b < Cis111 => {
            "Verify that the --read-only-port argument is set to 0 (Manual)"
        }
        _ => def.title,
    }
}

/// The title of a group of recommendations (`1.2` → `API Server`).
pub fn group_title(id: &str) -> &'static str {
    let group: Vec<&str> = id.split('.').collect();
    match group.as_slice() {
        ["1", "1", ..] => "Control Plane Node Configuration Files",
        ["1", "2", ..] => "API Server",
        ["1", "3", ..] => "Controller Manager",
        ["1", "4", ..] => "Scheduler",
        ["2", ..] => "Etcd Node Configuration",
        ["3", "1", ..] => "Authentication and Authorization",
        ["3", "2", ..] => "Logging",
        ["4", "1", ..] => "Worker Node Configuration Files",
        ["4", "2", ..] => "Kubelet",
        ["4", "3", ..] => "kube-proxy",
        _ => "",
    }
}

/// Strong cipher suites a benchmark accepts for the API server (1.2.29).
pub fn apiserver_ciphers(b: Benchmark) -> &'static [&'static str] {
    const V112: &[&str] = &[
        "TLS_AES_128_GCM_SHA256",
        "TLS_AES_256_GCM_SHA384",
        "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    ];
    const V110: &[&str] = &[
        "TLS_AES_128_GCM_SHA256",
        "TLS_AES_256_GCM_SHA384",
        "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    ];
    const V18: &[&str] = &[
        "TLS_AES_128_GCM_SHA256",
        "TLS_AES_256_GCM_SHA384",
        "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        "TLS_RSA_WITH_AES_128_CBC_SHA",
        "TLS_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_RSA_WITH_AES_256_CBC_SHA",
        "TLS_RSA_WITH_AES_256_GCM_SHA384",
    ];
    match b {
        Benchmark::Cis18 | Benchmark::Cis19 => V18,
        Benchmark::Cis110 | Benchmark::Cis111 => V110,
        Benchmark::Cis112 => V112,
    }
}

/// Strong cipher suites a benchmark accepts for the kubelet (4.2.12).
pub fn kubelet_ciphers(b: Benchmark) -> &'static [&'static str] {
    const V112: &[&str] = &[
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    ];
    const V111: &[&str] = &[
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_RSA_WITH_AES_128_GCM_SHA256",
    ];
    match b {
        Benchmark::Cis112 => V112,
        _ => V111,
    }
}

/// Expected maximum permissions of PKI certificates (1.1.20) and the kubelet's client CA
/// (4.1.7): 600 up to cis-1.10, 644 from cis-1.11.
pub fn certificate_mode(b: Benchmark) -> u32 {
    if b < Benchmark::Cis111 { 0o600 } else { 0o644 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_benchmark() {
        // (master, etcd, controlplane, node) per kube-bench's files.
        let expect = [
            (Benchmark::Cis18, 60, 7, 5, 23),
            (Benchmark::Cis19, 59, 7, 5, 24),
            (Benchmark::Cis110, 59, 7, 5, 24),
            (Benchmark::Cis111, 60, 7, 5, 26),
            (Benchmark::Cis112, 60, 7, 5, 25),
        ];
        for (b, m, e, c, n) in expect {
            let items = items(b);
            let count = |t: Target| items.iter().filter(|i| i.def.target == t).count();
            assert_eq!(
                (
                    count(Target::Master),
                    count(Target::Etcd),
                    count(Target::ControlPlane),
                    count(Target::Node)
                ),
                (m, e, c, n),
                "{}",
                b.name()
            );
        }
        let ids: Vec<String> = items(Benchmark::Cis18).into_iter().map(|i| i.id).collect();
        assert!(ids.contains(&"1.2.30".to_string()));
        assert_eq!(
            items(Benchmark::Cis18)
                .iter()
                .find(|i| i.id == "1.2.30")
                .unwrap()
                .def
                .key,
            "1.2.29"
        );
    }

    #[test]
    fn versions_map_like_kube_bench() {
        assert_eq!(Benchmark::for_version(1, 26).0, Benchmark::Cis18);
        assert_eq!(Benchmark::for_version(1, 30).0, Benchmark::Cis111);
        assert_eq!(Benchmark::for_version(1, 33).0, Benchmark::Cis112);
        assert!(Benchmark::for_version(1, 36).1.is_some());
        assert!(Benchmark::parse("cis-1.7").is_err());
    }
}
