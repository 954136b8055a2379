use super::detect::{self, TextFind};
use crate::{Check, Cx, rule, util};
use kubeward_core::{Object, pointer};

rule! {
    /// ## What it finds
    /// ConfigMaps holding credentials, with the detectors of KW401:
    /// - a `data` key named like a credential (`db_password`, `AWS_SECRET_ACCESS_KEY`,
    ///   `apiKey`) with a literal one-line value;
    /// - a `data` value containing a recognised secret format (AWS access key id, private key
    ///   block, GitHub/GitLab/Slack/Google/Stripe token, JSON Web Token, URL with
    ///   `user:password@`);
    /// - in multi-line values (configuration files), a line assigning a literal to a
    ///   credential-named key: `password: x`, `db.password=x`, `"apiKey": "x"`,
    ///   `export TOKEN=x`. References (`${DB_PASSWORD}`), comments and paths are ignored;
    /// - a `data` or `binaryData` key naming a credential file (`id_rsa`, `tls.key`, `*.p12`,
    ///   `*.jks`, `.pgpass`, `.netrc`, `.dockerconfigjson`...) or, for `binaryData` (whose
    ///   content is not inspected), a credential-named key.
    ///
    /// One finding per key, at the key; the evidence names the key and line and the length of
    /// the value, never the value. Only ConfigMaps are checked; Secrets are where credentials
    /// belong.
    ///
    /// ## Why it matters
    /// ConfigMaps are not treated as sensitive: they are readable by far more users and
    /// service accounts than Secrets, are not encrypted at rest by the usual `EncryptionConfiguration`,
    /// show up in `kubectl describe`, and are committed to version control with the rest of
    /// the configuration.
    ///
    /// ## How to fix
    /// Move the credential into a Secret (mounted as a file) or an external secret store,
    /// reference it from the configuration (`${DB_PASSWORD}`), and rotate it.
    ///
    /// ## Example
    /// ```yaml
    /// kind: ConfigMap
    /// data:
    ///   application.properties: |
    ///     spring.datasource.password=hunter2   # KW402
    /// ```
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guide: secrets
    /// - Microsoft Threat Matrix for Kubernetes: Application credentials in configuration files
    pub static RULE {
        code: "KW402",
        name: "credentials-in-configmap",
        severity: High,
        category: Secrets,
        summary: "Credential stored in a ConfigMap",
        remediation: "Move the credential into a Secret or an external secret store, and rotate it.",
        mitre: [(CredentialAccess, "Application credentials in configuration files", "T1552.001"), (LateralMovement, "Application credentials in configuration files", "T1552.001")],
        nsa: ["Secrets"],
        cis: [],
        pss: None,
        check: Check::Object { kinds: &["ConfigMap"], check },
    }
}

fn check(obj: &Object, cx: &mut Cx<'_>) {
    if let Some(data) = obj.root.get("data") {
        for e in data.entries() {
            let Some(value) = e.value.as_str() else {
                continue;
            };
            let key = e.key.as_str();
            let single_line = !value.trim().contains('\n');
            let found = if detect::credential_file_name(key) && !value.trim().is_empty() {
                Some((
                    format!("key `{key}` holds a credential file"),
                    format!("data.{key}: <redacted, {} chars>", value.chars().count()),
                ))
            } else if let Some(hit) = detect::scan_text(value).filter(|_| !single_line) {
                Some(match hit.what {
                    TextFind::Value { kind, len } => (
                        format!(
                            "key `{key}` contains {} (line {})",
                            kind.describe(),
                            hit.line
                        ),
                        format!("data.{key} line {}: <redacted, {len} chars>", hit.line),
                    ),
                    TextFind::Assignment { key: k, kind, len } => (
                        format!(
                            "key `{key}` sets `{k}` to a literal {} (line {})",
                            kind.describe(),
                            hit.line
                        ),
                        format!("data.{key} line {}: {k}=<redacted, {len} chars>", hit.line),
                    ),
                })
            } else if let Some(hit) = detect::find_secret_value(value) {
                Some((
                    format!("key `{key}` contains {}", hit.kind.describe()),
                    format!("data.{key}: {}", util::redact(value)),
                ))
            } else if single_line
                && let Some(kind) = detect::credential_name(key)
                && detect::is_literal_value(value)
            {
                Some((
                    format!("key `{key}` holds a literal {}", kind.describe()),
                    format!("data.{key}: {}", util::redact(value)),
                ))
            } else {
                None
            };
            if let Some((message, evidence)) = found {
                cx.report(
                    format!("/data/{}", pointer::escape(key)),
                    format!("ConfigMap {message}"),
                )
                .evidence(evidence);
            }
        }
    }
    if let Some(binary) = obj.root.get("binaryData") {
        for e in binary.entries() {
            let key = e.key.as_str();
            if e.value.is_null() {
                continue;
            }
            let what = if detect::credential_file_name(key) {
                "a credential file".to_string()
            } else if let Some(kind) = detect::credential_name(key) {
                format!("a {}", kind.describe())
            } else {
                continue;
            };
            let len = e.value.as_str().map_or(0, |s| s.chars().count());
            cx.report(
                format!("/binaryData/{}", pointer::escape(key)),
                format!("ConfigMap binaryData key `{key}` looks like {what}"),
            )
            .evidence(format!("binaryData.{key}: <redacted, {len} chars>"));
        }
    }
}
