use super::detect;
use crate::{Check, Cx, rule, util};
use kubeward_core::{Node, PodView};

rule! {
    /// ## What it finds
    /// Environment variables of any container (init, regular, ephemeral) whose literal `value`
    /// looks like a credential:
    /// - by name: the name contains `PASSWORD`, `PASSWD`, `PASSPHRASE`, `SECRET`, `TOKEN`,
    ///   `CREDENTIALS`, `API_KEY`, `ACCESS_KEY`, `PRIVATE_KEY`, `<qualifier>_KEY` such as
    ///   `AZURE_BATCH_KEY`, or ends with `_PASS` / `_PWD` (camelCase names such as
    ///   `dbPassword` count) — unless its last word says it is *about* a credential
    ///   (`PASSWORD_FILE`, `TOKEN_URL`, `SECRET_NAME`, `TOKEN_TTL`, `ACCESS_KEY_ID`...), or
    ///   the value is empty, a `$(VAR)` / `${VAR}` / `{{ template }}` reference, a file path,
    ///   a boolean or masked (`****`);
    /// - by value, whatever the name: AWS access key ids (`AKIA...`), private key blocks
    ///   (`-----BEGIN ... PRIVATE KEY-----`), GitHub, GitLab, Slack, Google API and Stripe
    ///   tokens, JSON Web Tokens, and URLs with a `user:password@` part.
    ///
    /// Values from `valueFrom` are not literals and are not reported here (see KW403). The
    /// evidence shows the variable's name and the value's length, never the value.
    ///
    /// ## Why it matters
    /// A literal value is part of the manifest: it is in version control, in every copy of the
    /// chart, in the object readable by anyone who may `get` the workload (a much wider group
    /// than those who may read Secrets), in `kubectl describe` output and in CI logs.
    ///
    /// ## How to fix
    /// Move the value into a Secret (or an external secret store) and reference it, preferably
    /// as a mounted file; rotate the credential, since it has already been exposed.
    ///
    /// ## Example
    /// ```yaml
    /// env:
    /// - name: DB_PASSWORD
    ///   value: hunter2          # KW401
    /// - name: DB_PASSWORD       # instead
    ///   valueFrom:
    ///     secretKeyRef: {name: db, key: password}
    /// ```
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guide: secrets
    /// - Microsoft Threat Matrix for Kubernetes: Application credentials in configuration files
    pub static RULE {
        code: "KW401",
        name: "credentials-in-env-var",
        severity: High,
        category: Secrets,
        summary: "Credential written as a literal environment variable value",
        remediation: "Move the credential into a Secret, reference it from the pod, and rotate it.",
        mitre: [(CredentialAccess, "Application credentials in configuration files", "T1552.001"), (LateralMovement, "Application credentials in configuration files", "T1552.001")],
        nsa: ["Secrets"],
        cis: ["5.4.1"],
        pss: None,
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    for c in pod.containers() {
        let Some(env) = c.get("env") else {
            continue;
        };
        for (i, var) in env.items().iter().enumerate() {
            let Some(value) = var.get("value").and_then(Node::as_str) else {
                continue;
            };
            let name = var.get("name").and_then(Node::as_str).unwrap_or("");
            let what = if let Some(hit) = detect::find_secret_value(value) {
                hit.kind.describe()
            } else if let Some(kind) = detect::credential_name(name)
                && detect::is_literal_value(value)
            {
                match kind {
                    detect::NameKind::Password => "a literal password",
                    detect::NameKind::Secret => "a literal secret",
                    detect::NameKind::Token => "a literal token",
                    detect::NameKind::Key => "a literal key",
                    detect::NameKind::Credentials => "literal credentials",
                }
            } else {
                continue;
            };
            cx.report(
                c.field_ptr(&format!("env/{i}/value")),
                format_args!("{} sets env var `{name}` to {what}", c.describe()),
            )
            .evidence(format_args!("{name}={}", util::redact(value)));
        }
    }
}
