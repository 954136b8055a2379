//! The detections: code, name, the catalogue entries (D01–D51 of
//! `shared/reference/audit-logs.md`) they implement, severity, threat-matrix mapping and
//! documentation. `KW7nn` implements `Dnn`.

use kubeward_core::{Mitre, Severity, Tactic};
use serde::Serialize;

/// When a detection runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// On by default.
    On,
    /// Records routine activity at `info` severity: off unless the config sets `activity: true`
    /// (or the detection also has non-activity alerts, which stay on).
    Activity,
    /// Needs data from the config (an allow-list of images, users, networks...); silent
    /// without it.
    Configured,
}

/// One detection's metadata. Its documentation is Markdown with the headings
/// `## What it finds`, `## Why it matters`, `## How to respond`.
#[derive(Debug, Serialize)]
pub struct Detection {
    pub code: &'static str,
    pub name: &'static str,
    /// The catalogue entry it implements (`D01`...).
    pub catalogue: &'static str,
    pub severity: Severity,
    pub mode: Mode,
    pub mitre: &'static [Mitre],
    pub summary: &'static str,
    #[serde(skip)]
    pub doc: &'static str,
}

const fn m(tactic: Tactic, technique: &'static str, id: &'static str) -> Mitre {
    Mitre {
        tactic,
        technique,
        id,
    }
}

pub(crate) const M_EXEC: Mitre = m(Tactic::Execution, "Exec into container", "T1609");
pub(crate) const M_SHELL: Mitre = m(Tactic::Execution, "bash/cmd inside container", "T1059");
pub(crate) const M_DOWNLOAD: Mitre = m(Tactic::Execution, "bash/cmd inside container", "T1105");
pub(crate) const M_SA_TOKEN: Mitre = m(
    Tactic::CredentialAccess,
    "Container service account",
    "T1552.007",
);
pub(crate) const M_METADATA: Mitre = m(
    Tactic::CredentialAccess,
    "Access managed identity credentials",
    "T1552.005",
);
pub(crate) const M_CRED_FILES: Mitre = m(
    Tactic::CredentialAccess,
    "Application credentials in configuration files",
    "T1552.001",
);
pub(crate) const M_COLLECT: Mitre = m(Tactic::Collection, "Collecting data from pod", "T1530");
const M_PORTFWD: Mitre = m(
    Tactic::LateralMovement,
    "Cluster internal networking",
    "T1572",
);
const M_NEW_CONTAINER: Mitre = m(Tactic::Execution, "New container", "T1610");
const M_PRIV: Mitre = m(Tactic::PrivilegeEscalation, "Privileged container", "T1611");
const M_HOSTPATH: Mitre = m(Tactic::PrivilegeEscalation, "hostPath mount", "T1611");
const M_HOSTPATH_P: Mitre = m(Tactic::Persistence, "Writable hostPath mount", "T1611");
const M_BACKDOOR: Mitre = m(Tactic::Persistence, "Backdoor container", "T1610");
const M_NAME_SIM: Mitre = m(
    Tactic::DefenseEvasion,
    "Pod / container name similarity",
    "T1036.005",
);
const M_CONTAINER_SA: Mitre = m(
    Tactic::CredentialAccess,
    "Container service account",
    "T1528",
);
const M_SA_PERSIST: Mitre = m(Tactic::Persistence, "Container service account", "T1136");
const M_IMAGE: Mitre = m(
    Tactic::InitialAccess,
    "Compromised images in registry",
    "T1525",
);
const M_EXPOSED: Mitre = m(
    Tactic::InitialAccess,
    "Exposed sensitive interfaces",
    "T1133",
);
const M_EXPOSED_PLAIN: Mitre = m(
    Tactic::InitialAccess,
    "Exposed sensitive interfaces",
    "T1040",
);
const M_EXPOSED_ANON: Mitre = m(
    Tactic::InitialAccess,
    "Exposed sensitive interfaces",
    "T1190",
);
const M_COREDNS: Mitre = m(Tactic::LateralMovement, "CoreDNS poisoning", "T1565.001");
const M_API: Mitre = m(
    Tactic::Discovery,
    "Access the Kubernetes API server",
    "T1613",
);
const M_PERMS: Mitre = m(
    Tactic::Discovery,
    "Access the Kubernetes API server",
    "T1069",
);
const M_UA: Mitre = m(
    Tactic::Discovery,
    "Access the Kubernetes API server",
    "T1078",
);
const M_SECRETS: Mitre = m(
    Tactic::CredentialAccess,
    "List Kubernetes secrets",
    "T1552.007",
);
const M_ADMIN_BINDING: Mitre = m(
    Tactic::PrivilegeEscalation,
    "Cluster-admin binding",
    "T1098.006",
);
const M_PROXY: Mitre = m(Tactic::DefenseEvasion, "Connect from proxy server", "T1134");
const M_TOR: Mitre = m(
    Tactic::DefenseEvasion,
    "Connect from proxy server",
    "T1090.003",
);
const M_KUBECONFIG: Mitre = m(Tactic::InitialAccess, "Kubeconfig file", "T1098");
const M_WEBHOOK: Mitre = m(
    Tactic::Persistence,
    "Malicious admission controller",
    "T1546",
);
const M_WEBHOOK_CRED: Mitre = m(
    Tactic::CredentialAccess,
    "Malicious admission controller",
    "T1546",
);
const M_CRON: Mitre = m(Tactic::Persistence, "Kubernetes CronJob", "T1053.007");
const M_SIDECAR: Mitre = m(Tactic::Execution, "Sidecar injection", "T1609");
const M_EVENTS: Mitre = m(Tactic::DefenseEvasion, "Delete Kubernetes events", "T1070");
const M_DESTROY: Mitre = m(Tactic::Impact, "Data destruction", "T1485");
const M_CLOUD_CREDS: Mitre = m(Tactic::InitialAccess, "Using cloud credentials", "T1078");
const M_KUBELET: Mitre = m(Tactic::Discovery, "Access Kubelet API", "T1613");

use Severity::{High, Info, Low, Medium};

macro_rules! det {
    ($code:literal, $name:literal, $d:literal, $sev:expr, $mode:ident, [$($m:expr),+ $(,)?], $summary:literal, $doc:literal $(,)?) => {
        Detection {
            code: $code,
            name: $name,
            catalogue: $d,
            severity: $sev,
            mode: Mode::$mode,
            mitre: &[$($m),+],
            summary: $summary,
            doc: $doc,
        }
    };
}

/// Every detection, by code.
pub static DETECTIONS: &[Detection] = &[
    det!(
        "KW701",
        "exec-into-pod",
        "D01",
        Medium,
        On,
        [M_EXEC],
        "someone ran a command in a container through the API (pods/exec)",
        "## What it finds\nA `create` (or `get`) on `pods/exec`: `kubectl exec`. The alert carries the command decoded from the `command=` parameters of `requestURI` (or the request body on GKE and AKS) and the container. A request the API server refused (401/403) is not an exec; it counts towards KW720 instead. The control plane's own execs into system namespaces are ignored; a controller identity exec'ing into an application's pod is reported.\n\n## Why it matters\nExec gives an interactive foothold inside a workload with its service account token, its secrets and its network position. Attackers and insiders use it to move laterally and to read data; in production it should be rare and attributable.\n\n## How to respond\nConfirm the person and the reason (ticket, incident). Look at the command and at what the same identity did before and after. If it was not expected, rotate the pod's service account token and any secret the container can read, and restrict `pods/exec` in RBAC."
    ),
    det!(
        "KW702",
        "attach-to-pod",
        "D02",
        Medium,
        On,
        [M_EXEC],
        "someone attached to a running container's process (pods/attach)",
        "## What it finds\nA `create`/`get` on `pods/attach` (`kubectl attach`, `kubectl run -it`).\n\n## Why it matters\nAttach connects to the main process's stdin/stdout: same power as exec when the process is a shell or an interpreter.\n\n## How to respond\nAs for KW701: check who and why; restrict `pods/attach` to the people who need it."
    ),
    det!(
        "KW703",
        "suspicious-exec-command",
        "D03",
        High,
        On,
        [
            M_SHELL,
            M_DOWNLOAD,
            M_SA_TOKEN,
            M_METADATA,
            M_CRED_FILES,
            M_COLLECT
        ],
        "an exec ran a command attackers use: token theft, reverse shell, download, cloud metadata, sensitive files, kubectl cp",
        "## What it finds\nAn exec (or attach) whose decoded command reads the service-account token (`/var/run/secrets/kubernetes.io/serviceaccount`, Azure workload-identity and EKS token paths), opens a reverse shell (`/dev/tcp/`, `nc -e`, `socat`, `mkfifo`, `bash -i`), downloads and runs code (`curl`/`wget` piped to a shell), queries a cloud metadata service (169.254.169.254, metadata.google.internal), reads sensitive files (`/etc/shadow`, SSH keys, kubeconfigs, cloud credentials, `/proc/*/environ`) or copies files out of the pod (`tar cf -`, which is what `kubectl cp` from a pod runs). Each alert names the category and its technique.\n\n## Why it matters\nThese are the first steps of credential theft and container escape after an attacker gets exec rights.\n\n## How to respond\nTreat the pod's service account, its secrets and any cloud role of the node as compromised: rotate them. Find how the identity got exec rights and remove them. Check the pod and node for persistence."
    ),
    det!(
        "KW704",
        "port-forward",
        "D04",
        Low,
        On,
        [M_PORTFWD],
        "someone opened a port-forward into a pod (pods/portforward)",
        "## What it finds\nA request on `pods/portforward` (`kubectl port-forward`).\n\n## Why it matters\nPort-forward tunnels a local port to a pod, past Services, Ingresses and NetworkPolicies: a way to reach databases and admin interfaces that are not exposed.\n\n## How to respond\nConfirm it was expected. Restrict `pods/portforward` in RBAC."
    ),
    det!(
        "KW705",
        "ephemeral-container",
        "D05",
        Medium,
        On,
        [M_NEW_CONTAINER, M_EXEC],
        "an ephemeral (debug) container was added to a running pod",
        "## What it finds\nA successful `update`/`patch` (or `create`) on `pods/ephemeralcontainers`: `kubectl debug`.\n\n## Why it matters\nAn ephemeral container runs a new image inside an existing pod, sharing its namespaces and volumes; with a privileged profile it reaches the node. Image policies that only check Pod creation miss it.\n\n## How to respond\nCheck who debugged what and why; look at the container's image and securityContext in the alert. Restrict `pods/ephemeralcontainers`."
    ),
    det!(
        "KW706",
        "privileged-pod",
        "D06",
        High,
        On,
        [M_PRIV],
        "a pod or workload runs a privileged container (or explicitly as root)",
        "## What it finds\nA Pod created or updated with a container (init, regular or ephemeral) that sets `privileged: true` (high), or that explicitly runs as root (`runAsUser: 0` or `runAsNonRoot: false`, medium); and workload templates (Deployment, DaemonSet, StatefulSet, ReplicaSet, Job, CronJob, ReplicationController, PodTemplate) written with the same, by anyone but the control plane. Pods that controllers create in system namespaces are not judged (the platform's own DaemonSets); a pod created by a controller from a workload already alerted on is folded into that alert. Patches are judged by what they set.\n\n## Why it matters\nA privileged container is root on the node: it can load kernel modules, mount the host's disks and escape.\n\n## How to respond\nFind who created it and whether it is an approved system component. If not, delete it, and check the node for persistence. Enforce Pod Security Admission `baseline`/`restricted` on the namespace."
    ),
    det!(
        "KW707",
        "dangerous-capabilities",
        "D07",
        High,
        On,
        [M_PRIV],
        "a container adds a dangerous Linux capability (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE, BPF, ALL...)",
        "## What it finds\n`securityContext.capabilities.add` with ALL, SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE, SYS_RAWIO, SYS_BOOT, BPF, PERFMON, DAC_READ_SEARCH or DAC_OVERRIDE, in a pod or workload template (same scope as KW706).\n\n## Why it matters\nEach of these is a known container-escape or host-tampering primitive (mounts, ptrace of host processes, kernel modules, eBPF, raw network).\n\n## How to respond\nDrop the capability unless the workload is a vetted system agent; enforce PSA `baseline`."
    ),
    det!(
        "KW708",
        "hostpath-mount",
        "D08",
        High,
        On,
        [M_HOSTPATH, M_HOSTPATH_P],
        "a pod or workload mounts a directory of the node (hostPath), high for sensitive paths",
        "## What it finds\n`spec.volumes[].hostPath` in a pod or workload template (same scope as KW706). Sensitive paths (`/`, `/etc`, `/root`, `/proc`, `/sys`, `/dev`, `/boot`, `/home`, `/var/log`, `/var/lib/kubelet`, `/var/lib/docker`, `/etc/kubernetes`, the container runtime sockets...) are high; any other hostPath is medium.\n\n## Why it matters\nA hostPath gives the container the node's files: the runtime socket or `/` is a full escape, `/var/log` allows the kubelet log-symlink escape, `/etc/kubernetes` holds credentials.\n\n## How to respond\nRemove the mount or make it `readOnly` and narrow the path; allow it only for vetted system agents."
    ),
    det!(
        "KW709",
        "host-network",
        "D09",
        Medium,
        On,
        [M_PRIV, M_PORTFWD],
        "a pod or workload uses the node's network namespace (hostNetwork)",
        "## What it finds\n`spec.hostNetwork: true` in a pod or workload template (same scope as KW706).\n\n## Why it matters\nThe pod sees all of the node's interfaces and traffic, binds node ports, reaches node-local services (kubelet, metadata) and bypasses NetworkPolicies.\n\n## How to respond\nRemove it unless the workload is a vetted network agent."
    ),
    det!(
        "KW710",
        "host-pid",
        "D10",
        High,
        On,
        [M_PRIV],
        "a pod or workload shares the node's process namespace (hostPID)",
        "## What it finds\n`spec.hostPID: true` in a pod or workload template (same scope as KW706).\n\n## Why it matters\nThe container sees every process of the node, their environments and, as root, can enter them (`nsenter -t 1`): a container escape.\n\n## How to respond\nRemove it; allow only for vetted node agents."
    ),
    det!(
        "KW711",
        "host-ipc",
        "D11",
        Medium,
        On,
        [M_PRIV],
        "a pod or workload shares the node's IPC namespace (hostIPC)",
        "## What it finds\n`spec.hostIPC: true` in a pod or workload template (same scope as KW706).\n\n## Why it matters\nShared memory and semaphores of the node's processes become readable and writable from the container.\n\n## How to respond\nRemove it."
    ),
    det!(
        "KW712",
        "workload-in-system-namespace",
        "D12",
        Medium,
        On,
        [M_BACKDOOR, M_NAME_SIM],
        "a pod or workload was created in a system namespace (kube-system, kube-public, kube-node-lease...)",
        "## What it finds\nA successful `create` of a Pod or workload in a system namespace by anyone but the control plane, and pods that controllers create there from an image that is not on the `system-images` list (default: the Kubernetes, cloud-provider and common add-on registries).\n\n## Why it matters\nSystem namespaces hold the cluster's most privileged service accounts and are rarely watched; attackers hide backdoors there under names that look like system components.\n\n## How to respond\nCheck the image and who created it. System components should be installed by a known pipeline; delete anything else."
    ),
    det!(
        "KW713",
        "controller-service-account-pod",
        "D13",
        High,
        On,
        [M_CONTAINER_SA],
        "a pod in kube-system was given a controller's service account",
        "## What it finds\nA pod or workload created in `kube-system` by anyone but the control plane whose `serviceAccountName` is one of the kube-controller-manager's controller accounts (`*-controller`, `generic-garbage-collector`, `namespace-controller`...).\n\n## Why it matters\nThose accounts hold powerful rights (create pods anywhere, read all secrets, approve certificates). Running a pod as one of them steals its token.\n\n## How to respond\nDelete the pod; rotate the service account's tokens; find how the identity could create pods in kube-system."
    ),
    det!(
        "KW714",
        "untrusted-image",
        "D14",
        Medium,
        Configured,
        [M_IMAGE],
        "a pod or workload uses an image outside the configured trusted registries",
        "## What it finds\nWhen the config lists `trusted-images` (globs like `registry.example.com/*`), a pod or workload template whose container image matches none of them. Silent without the list.\n\n## Why it matters\nImages from unknown registries are how backdoored or cryptomining containers get in.\n\n## How to respond\nCheck the image's origin and digest. Enforce the registry list at admission."
    ),
    det!(
        "KW715",
        "nodeport-service",
        "D15",
        Medium,
        On,
        [M_EXPOSED],
        "a Service of type NodePort was created or changed",
        "## What it finds\nA successful `create`/`update`/`patch` of a Service that sets `spec.type: NodePort` (patches included).\n\n## Why it matters\nA NodePort opens the port on every node, often reachable from outside the cluster and past NetworkPolicies and load-balancer controls.\n\n## How to respond\nConfirm the exposure is intended; prefer ClusterIP behind an Ingress or an internal LoadBalancer."
    ),
    det!(
        "KW716",
        "ingress-without-tls",
        "D16",
        Low,
        On,
        [M_EXPOSED_PLAIN],
        "an Ingress was created without TLS",
        "## What it finds\nA successful `create` of an Ingress with no `spec.tls`.\n\n## Why it matters\nThe service is published over plain HTTP: credentials and tokens cross the network in clear text.\n\n## How to respond\nAdd a TLS section (cert-manager) or confirm the endpoint carries nothing sensitive."
    ),
    det!(
        "KW717",
        "credentials-in-configmap",
        "D17",
        Medium,
        On,
        [M_CRED_FILES],
        "a ConfigMap was written with what looks like a credential",
        "## What it finds\nA successful `create`/`update`/`patch` of a ConfigMap whose keys or values look like credentials: AWS access keys (`AKIA...`, `aws_access_key_id`, `aws_secret_access_key`), `password`, `passphrase`, `secret_key`, `api_key`, `client_secret`, private keys (`-----BEGIN ... PRIVATE KEY-----`). The alert names the keys, never the values.\n\n## Why it matters\nConfigMaps are not secret: any identity that can read them (often broad) gets the credential; they end up in logs and Git.\n\n## How to respond\nRotate the credential; move it to a Secret (or an external secret store)."
    ),
    det!(
        "KW718",
        "sensitive-configmap-modified",
        "D18",
        High,
        On,
        [M_COREDNS, M_ADMIN_BINDING],
        "a cluster-critical ConfigMap was changed: CoreDNS, aws-auth, kube-proxy, kubeadm-config...",
        "## What it finds\nA successful `update`/`patch`/`delete` in `kube-system` of `coredns`, `kube-dns`, `aws-auth`, `kube-proxy`, `kubeadm-config`, `kubelet-config` or `extension-apiserver-authentication`, by anyone but the control plane.\n\n## Why it matters\nCoreDNS changes redirect service names (CoreDNS poisoning); `aws-auth` maps IAM roles to Kubernetes groups (a backdoor to `system:masters` on EKS); the others change how nodes and the API server authenticate.\n\n## How to respond\nDiff the change against the previous version (the request body is in the audit log at Request level); revert anything unexplained."
    ),
    det!(
        "KW719",
        "anonymous-request",
        "D19",
        Medium,
        On,
        [M_EXPOSED_ANON],
        "a request by an unauthenticated (anonymous) client",
        "## What it finds\nRequests by `system:anonymous` or the `system:unauthenticated` group: allowed ones on resources or writes (high), allowed ones on other paths (medium), refused ones (low, grouped per source address). Health and version probes (`/healthz`, `/livez`, `/readyz`, `/version`) from private addresses are ignored; from a public address they are reported (low): the API server answers the internet.\n\n## Why it matters\nAnonymous access should be off or limited to health checks. Anything more means a misconfigured RBAC binding to `system:anonymous`/`system:unauthenticated`, or a scanner probing an exposed API server.\n\n## How to respond\nRemove bindings to anonymous users; set `--anonymous-auth=false` or restrict it to health paths; keep the API server off the public internet."
    ),
    det!(
        "KW720",
        "forbidden-burst",
        "D20",
        Medium,
        On,
        [M_API],
        "one identity received many 401/403 answers in a short time (permission probing)",
        "## What it finds\nAt least `thresholds.forbidden-burst.count` (default 10) requests of one identity refused with 401/403 (or an authorization `forbid`) within `thresholds.forbidden-burst.window` (default 10m). Control-plane identities are skipped unless the requests come from a public address.\n\n## Why it matters\nAn attacker with a stolen token tries what it can do: the refusals are the trace of that reconnaissance (and of attempted escalation).\n\n## How to respond\nLook at what was attempted (the alert lists the requests). If the identity is not expected to probe, revoke its credentials."
    ),
    det!(
        "KW721",
        "secret-read",
        "D21",
        Medium,
        On,
        [M_SECRETS],
        "a person read (or tried to read) secrets",
        "## What it finds\n`get`/`list`/`watch` on secrets by a person or an anonymous client (not a service account or the control plane); refused attempts (401/403/404) are reported too. A cluster-wide list is KW722.\n\n## Why it matters\nApplications read their secrets through mounted volumes or their service account; a person reading secret values through the API is either an incident response or credential theft.\n\n## How to respond\nConfirm the need; consider the secrets read exposed and rotate them if not."
    ),
    det!(
        "KW722",
        "secret-enumeration",
        "D22",
        High,
        On,
        [M_SECRETS],
        "secrets were dumped cluster-wide, or one identity read secrets across many namespaces",
        "## What it finds\nA successful list/watch of secrets across all namespaces (`/api/v1/secrets`) by anyone but the control plane; and one identity making at least `thresholds.secret-enumeration.requests` (15) secret reads, or reading secrets in `namespaces` (3) or more namespaces, within `window` (30m), refused attempts included.\n\n## Why it matters\nSecret enumeration is the classic credential-access step: one cluster-wide list returns every token and password of the cluster.\n\n## How to respond\nTreat every secret the identity could read as exposed; rotate; remove cluster-wide secret read rights from anything that does not need them."
    ),
    det!(
        "KW723",
        "secret-modified",
        "D23",
        Info,
        Activity,
        [M_SECRETS],
        "a secret was created, changed or deleted (activity)",
        "## What it finds\nSuccessful writes and deletes of secrets by anyone but the control plane, outside kube-system. Activity: reported only with `activity: true`.\n\n## Why it matters\nAn audit trail of credential changes (planted credentials, deleted evidence).\n\n## How to respond\nNormally none; use it when investigating."
    ),
    det!(
        "KW724",
        "service-account-token-minted",
        "D24",
        Medium,
        On,
        [M_CONTAINER_SA],
        "a service-account token was minted through the TokenRequest API",
        "## What it finds\nA successful `create` on `serviceaccounts/token` (`kubectl create token`), except by kubelets (they mint the tokens of the pods they run) and by the control plane in system namespaces. High when the service account was bound to a privileged role earlier in the same log.\n\n## Why it matters\nA minted token is a bearer credential for the account, usable from anywhere until it expires (days or a year with `--duration`): a persistence and lateral-movement tool.\n\n## How to respond\nCheck who minted it and for how long. If unexpected, rotate the service account's signing (delete and recreate the account) and remove the rights to `serviceaccounts/token`."
    ),
    det!(
        "KW725",
        "service-account-created",
        "D25",
        Medium,
        On,
        [M_SA_PERSIST],
        "a service account was created in a system namespace (elsewhere: activity)",
        "## What it finds\nA successful `create` of a ServiceAccount in a system namespace by anyone but the control plane (medium); in other namespaces it is activity (`info`, with `activity: true`).\n\n## Why it matters\nAn account in kube-system blends in with the controllers' accounts: a place to hang a cluster-admin binding for persistence.\n\n## How to respond\nCheck the account's bindings; delete it if unexplained."
    ),
    det!(
        "KW726",
        "privileged-role-binding",
        "D26",
        High,
        On,
        [M_ADMIN_BINDING],
        "a binding to a privileged role (cluster-admin, admin, system:masters, controller roles) was created",
        "## What it finds\nA `create`/`update`/`patch` of a ClusterRoleBinding to `cluster-admin`, `admin`, `system:masters`, `system:kube-controller-manager`, `system:kube-scheduler` or `system:node`, or of a RoleBinding to `cluster-admin`, by anyone but the control plane. Critical when a subject is a service account or everyone (`system:authenticated`, `system:unauthenticated`, `system:anonymous`). Refused attempts are reported too (medium): they show intent; a refused binding write carries no body, so its role is unknown, and it is reported the same way.\n\n## Why it matters\nThe shortest path to owning a cluster; binding cluster-admin to a service account gives a token-based backdoor.\n\n## How to respond\nRemove the binding unless approved; rotate the subject's credentials; find how the writer got `bind`/`escalate` rights."
    ),
    det!(
        "KW727",
        "role-binding-changed",
        "D27",
        Low,
        On,
        [M_ADMIN_BINDING],
        "a RoleBinding or ClusterRoleBinding was created, changed or deleted",
        "## What it finds\nA successful write or delete of a (Cluster)RoleBinding by anyone but the control plane (medium when a service account is the writer or a subject), when KW726 does not already cover it.\n\n## Why it matters\nRBAC changes are how access is granted; an audit trail of them is the baseline of any investigation.\n\n## How to respond\nCheck the change against the access-request process."
    ),
    det!(
        "KW728",
        "wildcard-role",
        "D28",
        High,
        On,
        [M_ADMIN_BINDING],
        "a Role or ClusterRole grants `*` verbs or resources, or the escalate/bind/impersonate verbs",
        "## What it finds\nA successful `create`/`update`/`patch` of a Role or ClusterRole whose rules (or patch) contain `*` in `verbs` or `resources`, or the verbs `escalate`, `bind` or `impersonate`, by anyone but the control plane.\n\n## Why it matters\nWildcards grant everything, including rights added to the API later; `escalate`/`bind` let the holder grant themselves any role, `impersonate` lets them act as anyone.\n\n## How to respond\nReplace the wildcard by the verbs and resources needed; remove escalate/bind/impersonate."
    ),
    det!(
        "KW729",
        "role-with-write-permissions",
        "D29",
        Low,
        On,
        [M_ADMIN_BINDING],
        "a Role or ClusterRole with write verbs was created",
        "## What it finds\nA successful `create` of a Role or ClusterRole granting create/update/patch/delete/deletecollection, by anyone but the control plane, when no stronger role detection (KW728, KW730, KW731) fires on it.\n\n## Why it matters\nAn audit trail of new write rights.\n\n## How to respond\nCheck the role is needed and bound to the right subjects."
    ),
    det!(
        "KW730",
        "role-with-pod-exec",
        "D30",
        Medium,
        On,
        [M_ADMIN_BINDING, M_EXEC],
        "a Role or ClusterRole grants pods/exec (or pods/attach)",
        "## What it finds\nA successful `create`/`update`/`patch` of a Role or ClusterRole whose rules include `pods/exec`, `pods/attach` or `pods/*`, by anyone but the control plane.\n\n## Why it matters\nExec into pods is lateral movement and credential theft (every pod's service account token).\n\n## How to respond\nGrant exec only to break-glass roles."
    ),
    det!(
        "KW731",
        "role-with-node-proxy",
        "D31",
        High,
        On,
        [M_ADMIN_BINDING, M_KUBELET],
        "a Role or ClusterRole grants nodes/proxy (direct kubelet API access)",
        "## What it finds\nA successful `create`/`update`/`patch` of a Role or ClusterRole whose rules include `nodes/proxy`, `nodes/*` or `*` resources, by anyone but the control plane.\n\n## Why it matters\n`nodes/proxy` reaches the kubelet API through the API server: exec in any pod of the node, bypassing pods/exec RBAC and its audit.\n\n## How to respond\nRemove it; monitoring needs `nodes/metrics` and `nodes/stats`, not proxy."
    ),
    det!(
        "KW732",
        "system-role-modified",
        "D32",
        High,
        On,
        [M_ADMIN_BINDING],
        "a built-in `system:` Role, ClusterRole or binding was created, changed or deleted",
        "## What it finds\nA successful write or delete of a Role, ClusterRole, RoleBinding or ClusterRoleBinding whose name starts with `system:` (except `system:coredns` and `system:managed-certificate-controller`, which distributions change), by anyone but the control plane.\n\n## Why it matters\nThe control plane depends on those roles; widening one gives a controller's or a node's identity more power (a quiet backdoor), deleting one breaks the cluster.\n\n## How to respond\nCompare with the defaults (`kubectl auth reconcile`); revert."
    ),
    det!(
        "KW733",
        "rbac-change-then-workload",
        "D33",
        Medium,
        On,
        [M_ADMIN_BINDING],
        "the same identity changed RBAC and then created or changed a workload within minutes",
        "## What it finds\nA successful RBAC write (role or binding) followed, within `thresholds.rbac-then-workload.window` (5m), by a successful create/update/patch of a pod or workload by the same identity (not the control plane).\n\n## Why it matters\nThe pattern of an attacker granting themselves rights and immediately using them to run code.\n\n## How to respond\nReview both changes together; if either is unexplained, revert both."
    ),
    det!(
        "KW734",
        "impersonation",
        "D34",
        High,
        On,
        [M_PROXY],
        "a request was made while impersonating another identity",
        "## What it finds\nA request with `impersonatedUser`: high when the target is privileged (group `system:masters`, a `system:` user, a service account bound to a privileged role earlier in the log, or a configured admin user), low otherwise. Identities listed in `trusted-impersonators` (authenticating proxies) are skipped.\n\n## Why it matters\nImpersonation acts with another identity's rights and hides the real actor in every later log line.\n\n## How to respond\nCheck who holds the `impersonate` verb and why; remove it from everything but authenticating proxies."
    ),
    det!(
        "KW735",
        "client-certificate-request",
        "D35",
        Medium,
        On,
        [M_KUBECONFIG],
        "a client certificate for the API server was requested or approved",
        "## What it finds\nA `create` of a CertificateSigningRequest for the `kubernetes.io/kube-apiserver-client` signer (client auth) by anyone but the control plane, and manual approvals (`certificatesigningrequests/approval`). Critical (even when refused) when the CSR asks for the `system:masters` organisation, decoded from the PEM request.\n\n## Why it matters\nA signed client certificate is a credential that cannot be revoked short of rotating the cluster CA: a favourite persistence mechanism.\n\n## How to respond\nDeny or delete unexpected CSRs; check the subject (CN/O) in the alert; if one was issued, plan a CA rotation."
    ),
    det!(
        "KW736",
        "admission-webhook-changed",
        "D36",
        Medium,
        On,
        [M_WEBHOOK, M_WEBHOOK_CRED],
        "an admission webhook configuration was created, changed or deleted",
        "## What it finds\nA successful write or delete of a Mutating- or ValidatingWebhookConfiguration by anyone but the control plane. High when a webhook has `failurePolicy: Ignore` (it fails open), when a mutating webhook sees pods or secrets, or when the configuration is deleted.\n\n## Why it matters\nA malicious mutating webhook injects containers into every pod and sees every secret; deleting or failing open a policy webhook disables enforcement.\n\n## How to respond\nCheck the webhook's service/URL and owner; revert unknown changes."
    ),
    det!(
        "KW737",
        "cronjob-changed",
        "D37",
        Medium,
        On,
        [M_CRON],
        "a CronJob was created or changed (high when it downloads and runs code)",
        "## What it finds\nA successful `create`/`update`/`patch` of a CronJob by anyone but the control plane; high when its command pipes a download into a shell (`curl ... | sh`). Jobs created by people are activity (`info`).\n\n## Why it matters\nCronJobs are a persistence mechanism that re-creates the attacker's pod on a schedule.\n\n## How to respond\nCheck the schedule, image and command; delete if unexplained."
    ),
    det!(
        "KW738",
        "daemonset-created",
        "D38",
        Medium,
        On,
        [M_NEW_CONTAINER, M_BACKDOOR],
        "a DaemonSet was created (a pod on every node)",
        "## What it finds\nA successful `create` of a DaemonSet by anyone but the control plane.\n\n## Why it matters\nA DaemonSet puts a container on every node: the standard way to deploy a node-level backdoor or miner cluster-wide.\n\n## How to respond\nCheck its image and host access (KW706–KW711 alerts on the same object)."
    ),
    det!(
        "KW739",
        "sidecar-injection",
        "D39",
        Low,
        On,
        [M_SIDECAR],
        "a workload was patched to add a container",
        "## What it finds\nA successful `patch` of a Deployment, DaemonSet, StatefulSet or ReplicaSet that adds a container: a JSON patch `add` to a `containers`/`initContainers` list, or a merge patch listing a container with more than an image change.\n\n## Why it matters\nSidecar injection runs the attacker's container next to a trusted one, with its service account and volumes.\n\n## How to respond\nDiff the workload against its source of truth (GitOps)."
    ),
    det!(
        "KW740",
        "deployment-created-deleted",
        "D40",
        Info,
        Activity,
        [M_NEW_CONTAINER],
        "a Deployment was created or deleted (activity)",
        "## What it finds\nSuccessful create and delete of Deployments by anyone but the control plane. Activity: reported only with `activity: true`.\n\n## Why it matters\nAn audit trail of what runs in the cluster.\n\n## How to respond\nNormally none."
    ),
    det!(
        "KW741",
        "events-deleted",
        "D41",
        Medium,
        On,
        [M_EVENTS],
        "events (the cluster's record of what happened to pods) were deleted",
        "## What it finds\nA successful `delete`/`deletecollection` of events (core or `events.k8s.io`) by anyone but the control plane.\n\n## Why it matters\nEvents show what happened to pods (failed mounts, image pulls, restarts); deleting them removes evidence.\n\n## How to respond\nFind what the identity did before deleting; rely on the audit log, which events deletion cannot touch."
    ),
    det!(
        "KW742",
        "namespace-created-deleted",
        "D42",
        Medium,
        On,
        [M_DESTROY],
        "a namespace was deleted (or created outside the allowed list)",
        "## What it finds\nA successful `delete` of a namespace by anyone but the control plane (medium; everything in it is destroyed). Creations are activity, or medium when the config lists `allowed-namespaces` and the name matches none.\n\n## Why it matters\nDeleting a namespace destroys every object in it.\n\n## How to respond\nConfirm it was planned; restore from backup otherwise."
    ),
    det!(
        "KW743",
        "disallowed-user",
        "D43",
        Medium,
        Configured,
        [M_CLOUD_CREDS],
        "a request by a user outside the configured allowed list, or by a configured admin user",
        "## What it finds\nWhen the config lists `allowed-users`, any request by a person or service account (not the control plane) matching none of them; when it lists `admin-users` (shared full-admin accounts such as `kubernetes-admin`), any request by one of them (low).\n\n## Why it matters\nUnknown identities are stolen or forgotten credentials; shared admin accounts make actions unattributable.\n\n## How to respond\nIdentify the credential's owner; revoke unknown ones; use personal identities."
    ),
    det!(
        "KW744",
        "node-registered",
        "D44",
        Medium,
        On,
        [M_CONTAINER_SA],
        "a Node object was created by something other than that node's kubelet, or a node failed to register",
        "## What it finds\nA `create` of a Node that is not the kubelet registering itself (`system:node:<name>` creating `<name>`), or a refused node registration.\n\n## Why it matters\nA rogue node receives pods, and with them their service-account tokens and secrets.\n\n## How to respond\nDelete unknown nodes; check the node-authorizer setup and bootstrap tokens."
    ),
    det!(
        "KW745",
        "node-proxy-access",
        "D45",
        High,
        On,
        [M_KUBELET, M_EXEC],
        "the kubelet API was used through the API server's node proxy",
        "## What it finds\nRequests on `nodes/proxy` by anyone but the control plane, except metrics scraping (`/metrics`, `/metrics/*`, `/stats/summary`).\n\n## Why it matters\nThe kubelet API runs commands in any pod of the node (`/run`, `/exec`) and lists them, without pods/exec RBAC and without pods/exec audit events.\n\n## How to respond\nRemove `nodes/proxy` from the identity's roles; investigate the node's pods."
    ),
    det!(
        "KW746",
        "permission-enumeration",
        "D46",
        Low,
        On,
        [M_PERMS],
        "an identity listed its own permissions (SelfSubjectRulesReview, `kubectl auth can-i --list`)",
        "## What it finds\nA `create` of `selfsubjectrulesreviews` by a person (low) or a service account (medium: code running in a pod asking what it may do), and `selfsubjectaccessreviews` by a service account.\n\n## Why it matters\nThe first thing attack tools do with a new token is ask what it can do.\n\n## How to respond\nFor a service account: find the pod that used its token and what it ran."
    ),
    det!(
        "KW747",
        "discovery-burst",
        "D47",
        Low,
        On,
        [M_API],
        "one identity listed many sensitive resource types within a minute",
        "## What it finds\nOne identity (not the control plane) listing (list/watch) at least `thresholds.discovery-burst.types` (5) distinct sensitive resource types (secrets, configmaps, service accounts, roles and bindings, nodes, namespaces, pods, webhooks, CRDs, CSRs, PVs) within `window` (1m), allowed or not.\n\n## Why it matters\nSweeping reconnaissance of a cluster's RBAC, secrets and nodes is typical of attack tooling; people using kubectl look at a few types at a time.\n\n## How to respond\nCheck the user agent and source; revoke the credential if unexpected."
    ),
    det!(
        "KW748",
        "suspicious-user-agent",
        "D48",
        Low,
        On,
        [M_UA],
        "the API was used by a scripting client or an attack tool",
        "## What it finds\nResource requests by a person or service account whose user agent is an attack or scanning tool (kube-hunter, peirates, kubiscan, nuclei, masscan, zgrab...: high) or a generic scripting client (curl, wget, python-requests, aiohttp, Go's default client, PowerShell: low). Health paths are ignored. One alert per identity and agent per window.\n\n## Why it matters\nPeople use kubectl and controllers identify themselves; raw HTTP clients against the API are scripts, exploits or stolen tokens used by hand. (The user agent is set by the client: its absence proves nothing.)\n\n## How to respond\nIdentify the script and its owner."
    ),
    det!(
        "KW749",
        "system-identity-from-public-ip",
        "D49",
        High,
        On,
        [M_CONTAINER_SA, M_CLOUD_CREDS],
        "a control-plane or service-account identity made a request from a public address",
        "## What it finds\nA successful request by a `system:` user, a node, or a service account whose `sourceIPs` include a public address outside `trusted-networks`. Managed control-plane principals (`eks:*`) are skipped. Without ASN data the detector cannot tell a cloud provider's egress from the internet: list your nodes' and NAT gateways' public ranges in `trusted-networks`.\n\n## Why it matters\nThese identities live inside the cluster; seen from outside, their token or certificate was stolen.\n\n## How to respond\nRevoke the token (rotate the service account), find where it leaked."
    ),
    det!(
        "KW750",
        "known-bad-source-ip",
        "D50",
        High,
        Configured,
        [M_TOR],
        "a request came from an address on the configured threat list (Tor exits, IOCs)",
        "## What it finds\nAny request whose `sourceIPs` include an address in `ioc-networks` (a threat-intelligence list of Tor exit nodes or indicators of compromise, supplied in the config). Silent without the list.\n\n## Why it matters\nLegitimate administration does not come from anonymising networks or known attacker infrastructure.\n\n## How to respond\nRevoke the credential used; block the source."
    ),
    det!(
        "KW751",
        "destructive-change",
        "D51",
        Medium,
        On,
        [M_DESTROY],
        "network policies deleted, collections deleted, or a burst of workload deletions",
        "## What it finds\nA successful delete of a NetworkPolicy, or a `deletecollection` of anything, by anyone but the control plane (medium); and one identity deleting at least `thresholds.delete-burst.count` (10) pods or workloads within `window` (5m) (high).\n\n## Why it matters\nRemoving network segmentation opens lateral movement; mass deletion is sabotage (or ransom).\n\n## How to respond\nStop the identity; restore from Git/backups."
    ),
];

/// A detection by code (`KW701`) or name (`exec-into-pod`), case-insensitive.
pub fn find(code_or_name: &str) -> Option<&'static Detection> {
    DETECTIONS
        .iter()
        .find(|d| d.code.eq_ignore_ascii_case(code_or_name) || d.name == code_or_name)
}

/// The index of a detection in [`DETECTIONS`].
pub(crate) fn index(code: &str) -> Option<usize> {
    DETECTIONS.iter().position(|d| d.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_complete_and_consistent() {
        assert_eq!(DETECTIONS.len(), 51);
        for (i, d) in DETECTIONS.iter().enumerate() {
            assert_eq!(d.code, format!("KW7{:02}", i + 1));
            assert_eq!(d.catalogue, format!("D{:02}", i + 1));
            for h in [
                "## What it finds\n",
                "## Why it matters\n",
                "## How to respond\n",
            ] {
                assert!(d.doc.contains(h), "{} lacks {h:?}", d.code);
            }
            assert!(
                d.name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{}",
                d.name
            );
            assert!(!d.mitre.is_empty());
            assert!(
                d.summary.chars().next().is_some_and(char::is_lowercase),
                "{}",
                d.code
            );
        }
        assert_eq!(find("kw706").map(|d| d.name), Some("privileged-pod"));
        assert_eq!(find("privileged-pod").map(|d| d.code), Some("KW706"));
        assert!(find("KW799").is_none());
    }
}
