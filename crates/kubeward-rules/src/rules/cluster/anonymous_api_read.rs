use super::anonymous::{self, Exposure};
use crate::{Check, Cx, rule};
use kubeward_core::Object;

rule! {
    /// ## What it finds
    /// A live cluster whose API server serves requests made without credentials beyond the
    /// public version and health endpoints: API discovery (`/api`, `/apis`, `/openapi`),
    /// resources (`/api/v1/namespaces`, any list or object), or other non-resource URLs
    /// (`/metrics`, `/logs`, `/debug`). kubeward's cluster scan repeats a few requests
    /// anonymously and records the answers in its `Cluster` object (`status.anonymous`); one
    /// finding per path answered with a 2xx, saying what an anonymous user can do
    /// ("anonymous users can list namespaces").
    ///
    /// Answers of 401 (anonymous authentication off) and 403 (on, but nothing granted) are
    /// not findings. Anonymous reads of the version and health endpoints, which Kubernetes
    /// grants by default, are KW601 `anonymous-auth-enabled` (low).
    ///
    /// ## Why it matters
    /// Since Kubernetes 1.14 an anonymous user can read nothing but the version and the
    /// health checks (and, on kubeadm clusters, the `cluster-info` ConfigMap in
    /// `kube-public`, which holds only the CA certificate and the server address: that one is
    /// reported by KW601). A 2xx on anything else means the authorizer grants more to
    /// `system:anonymous` or `system:unauthenticated`: an RBAC binding to one of them, or
    /// `--authorization-mode=AlwaysAllow`. Whatever that grant covers is open to everyone who
    /// can reach the API server, with no identity in the audit log. Even discovery alone is
    /// critical: the scan probes only a few paths, the binding that allows discovery often
    /// allows more, and discovery lists every installed CRD (what software runs, what to
    /// attack next).
    ///
    /// ## How to fix
    /// Find and delete the bindings: `kubectl get clusterrolebindings,rolebindings -A -o
    /// wide | grep -E 'system:(anonymous|unauthenticated)'` (keep only
    /// `system:public-info-viewer`), and make sure `--authorization-mode` is `Node,RBAC`,
    /// never `AlwaysAllow`. Then disable anonymous authentication (`--anonymous-auth=false`)
    /// unless load-balancer health checks need it.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kubeward.io/v1alpha1
    /// kind: Cluster
    /// status:
    ///   anonymous:
    ///   - {path: /version, status: 200}              # KW601
    ///   - {path: /api, status: 200}                  # KW603: discovery
    ///   - {path: /api/v1/namespaces, status: 200}    # KW603: anonymous users can list namespaces
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 1.2.1 (--anonymous-auth=false) and 1.2.6 (authorization mode not AlwaysAllow)
    /// - Kubernetes docs: RBAC good practices, bindings to system:unauthenticated
    pub static RULE {
        code: "KW603",
        name: "anonymous-api-read",
        severity: Critical,
        category: Node,
        summary: "Anonymous users can read the Kubernetes API (discovery or resources)",
        remediation: "Remove RBAC bindings to system:anonymous and system:unauthenticated, never use AlwaysAllow, and disable anonymous authentication.",
        mitre: [
            (InitialAccess, "Exposed sensitive interfaces", "T1133"),
            (Discovery, "Access the Kubernetes API server", "T1613"),
        ],
        nsa: ["Authentication and authorization"],
        cis: ["1.2.1", "1.2.6"],
        pss: None,
        check: Check::Object { kinds: &["Cluster"], check },
    }
}

fn check(obj: &Object, cx: &mut Cx<'_>) {
    for a in anonymous::allowed(obj) {
        if let Exposure::Api(what) = &a.exposure {
            let message = format!("anonymous users can {what}");
            anonymous::report(cx, &a, &message);
        }
    }
}
