use crate::{Check, Cx, rule};
use kubeward_core::{Node, PodView};

rule! {
    /// ## What it finds
    /// Secrets passed to containers (init, regular, ephemeral) as environment variables:
    /// `env[].valueFrom.secretKeyRef` (one finding per variable) and `envFrom[].secretRef`
    /// (one finding per referenced Secret).
    ///
    /// ## Why it matters
    /// Environment variables leak more easily than files: they are inherited by every child
    /// process, readable in `/proc/<pid>/environ` by anything sharing the process namespace,
    /// shown by the container runtime's inspect API, printed by crash reporters and debug
    /// endpoints, and frozen at container start (a rotated Secret is not picked up). Mounted
    /// files avoid all of this and are updated in place.
    ///
    /// ## How to fix
    /// Mount the Secret as a volume (`secret:` volume or projected volume) and have the
    /// application read the file; many images accept `*_FILE` variables for this.
    ///
    /// ## Example
    /// ```yaml
    /// env:
    /// - name: DB_PASSWORD
    ///   valueFrom:
    ///     secretKeyRef: {name: db, key: password}   # KW403
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.4.1: Prefer using secrets as files over secrets as environment variables
    pub static RULE {
        code: "KW403",
        name: "secret-in-env-var",
        severity: Low,
        category: Secrets,
        summary: "Secret passed to a container as an environment variable",
        remediation: "Mount the Secret as a volume and read it from the file.",
        mitre: [(CredentialAccess, "Application credentials in configuration files", "T1552.007")],
        nsa: ["Secrets"],
        cis: ["5.4.1"],
        pss: None,
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    for c in pod.containers() {
        if let Some(env) = c.get("env") {
            for (i, var) in env.items().iter().enumerate() {
                let Some(r) = var.path(&["valueFrom", "secretKeyRef"]) else {
                    continue;
                };
                let name = var.get("name").and_then(Node::as_str).unwrap_or("");
                let secret = r.get("name").and_then(Node::as_str).unwrap_or("?");
                let key = r.get("key").and_then(Node::as_str).unwrap_or("?");
                cx.report(
                    c.field_ptr(&format!("env/{i}/valueFrom/secretKeyRef")),
                    format_args!(
                        "{} gets env var `{name}` from Secret `{secret}`",
                        c.describe()
                    ),
                )
                .evidence(format_args!("secretKeyRef: {secret}/{key}"));
            }
        }
        if let Some(env_from) = c.get("envFrom") {
            for (i, src) in env_from.items().iter().enumerate() {
                let Some(r) = src.get("secretRef") else {
                    continue;
                };
                let secret = r.get("name").and_then(Node::as_str).unwrap_or("?");
                cx.report(
                    c.field_ptr(&format!("envFrom/{i}/secretRef")),
                    format_args!(
                        "{} loads every key of Secret `{secret}` as env vars",
                        c.describe()
                    ),
                )
                .evidence(format_args!("envFrom.secretRef: {secret}"));
            }
        }
    }
}
