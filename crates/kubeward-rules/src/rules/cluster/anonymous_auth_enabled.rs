use super::anonymous::{self, Exposure};
use crate::{Check, Cx, rule};
use kubeward_core::Object;

rule! {
    /// ## What it finds
    /// A live cluster whose API server answers requests made without credentials, where what
    /// they read is only public information: the version (`/version`), the health checks
    /// (`/healthz`, `/livez`, `/readyz`), the service-account issuer's OIDC discovery
    /// document, or kubeadm's `kube-public/cluster-info` ConfigMap (CA certificate and server
    /// address, public by design for node bootstrap). kubeward's cluster scan repeats a few requests anonymously and records the
    /// answers in its `Cluster` object (`status.anonymous`); one finding per path answered
    /// with a 2xx.
    ///
    /// This is what a default kubeadm cluster does: `--anonymous-auth` is on and the
    /// `system:public-info-viewer` ClusterRole is bound to `system:unauthenticated`. Anonymous
    /// access to anything else (discovery, resources, metrics, logs) is reported by KW603
    /// `anonymous-api-read` at critical severity instead: the two are split because findings
    /// carry one severity per rule, and a version string is not a resource read.
    ///
    /// ## Why it matters
    /// Anyone who can reach the API server learns its exact version, hence which published
    /// vulnerabilities apply, without leaving a credential in the audit log. More
    /// importantly, the API server accepts unauthenticated requests at all: a single RBAC
    /// binding to `system:anonymous` or `system:unauthenticated` added later (a debugging
    /// shortcut, a Helm chart) exposes whatever it grants to the whole network, and
    /// authentication bugs are reachable without credentials.
    ///
    /// ## How to fix
    /// Where nothing needs unauthenticated access, start the API server with
    /// `--anonymous-auth=false` (CIS 1.2.1). Load balancers that probe `/healthz` or
    /// `/livez` then need credentials or a TCP check; since Kubernetes 1.32 the structured
    /// `AuthenticationConfiguration` can instead allow anonymous requests to the health
    /// endpoints only (`anonymous.conditions`). On managed clusters the flag is the
    /// provider's: remove the `system:public-info-viewer` binding to `system:unauthenticated`
    /// if the version must not be public.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kubeward.io/v1alpha1
    /// kind: Cluster
    /// status:
    ///   anonymous:
    ///   - {path: /version, status: 200}   # KW601
    ///   - {path: /api, status: 403}
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 1.2.1: Ensure that the --anonymous-auth argument is set to false
    /// - Kubernetes docs: Authenticating, anonymous requests
    pub static RULE {
        code: "KW601",
        name: "anonymous-auth-enabled",
        severity: Low,
        category: Node,
        summary: "API server accepts anonymous requests (version and health only)",
        remediation: "Start the API server with `--anonymous-auth=false`, or limit anonymous access to the health endpoints.",
        mitre: [(Discovery, "Access the Kubernetes API server", "T1613")],
        nsa: ["Authentication and authorization"],
        cis: ["1.2.1"],
        pss: None,
        check: Check::Object { kinds: &["Cluster"], check },
    }
}

fn check(obj: &Object, cx: &mut Cx<'_>) {
    for a in anonymous::allowed(obj) {
        if let Exposure::PublicInfo(what) = &a.exposure {
            let message = format!(
                "the API server accepts anonymous requests: anyone who reaches it can read {what}"
            );
            anonymous::report(cx, &a, &message);
        }
    }
}
