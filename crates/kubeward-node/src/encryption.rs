//! Encryption at rest: the `EncryptionConfiguration` the API server's
//! `--encryption-provider-config` names, read the way the API server reads it.
//!
//! For each resource the first `resources` entry that names it decides (explicitly, or through
//! `*.` for the core group, `*.GROUP`, or `*.*`); the first provider of that entry encrypts new
//! writes, the others only decrypt. `identity` first means new writes are stored in plain text.
//! Provider ratings follow the Kubernetes documentation: `aescbc` is weak (padding-oracle
//! attacks on CBC), `aesgcm` needs its key rotated every 200,000 writes, `secretbox` is
//! strong, `kms` v1 is deprecated, `kms` v2 is recommended.
//!
//! Key material (`secret:`) is never read into the report: only key names and their decoded
//! length in bytes.

use crate::error::Problem;
use crate::fsroot::{Root, octal, within};
use crate::yamlfile::{expect_kind, parse_file};
use kubeward_core::{Node, Severity};
use serde::Serialize;

/// One provider of an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Provider {
    /// `identity`, `aescbc`, `aesgcm`, `secretbox`, `kms`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `kms` only: `v1` or `v2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_version: Option<String>,
    /// `kms` only: the plugin's name (appears in the stored prefix).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Key names, in order (the first encrypts). Never the key material.
    pub keys: Vec<String>,
    /// Decoded key lengths in bytes, same order (`null` when not valid base64).
    pub key_bytes: Vec<Option<usize>>,
    pub line: u32,
}

impl Provider {
    /// `aescbc`, `kms v2`, ...
    pub fn label(&self) -> String {
        match &self.kms_version {
            Some(v) => format!("kms {v}"),
            None => self.kind.clone(),
        }
    }
}

/// One `resources` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub resources: Vec<String>,
    pub providers: Vec<Provider>,
    pub line: u32,
}

/// How one resource is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Coverage {
    pub resource: String,
    /// The entry that decides (index into `entries`), `None` when no entry names it.
    pub entry: Option<usize>,
    /// The provider that encrypts new writes (`identity` = plain text); `None` when not covered.
    pub write_provider: Option<String>,
    pub encrypted: bool,
}

/// One observation about the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Observation {
    pub severity: Severity,
    pub message: String,
    pub line: u32,
}

/// The analysis of an `EncryptionConfiguration`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Analysis {
    pub file: String,
    pub entries: Vec<Entry>,
    pub secrets: Coverage,
    pub configmaps: Coverage,
    /// Is the way secrets are written good (not identity, not weak, not deprecated)?
    pub secrets_verdict: Verdict,
    pub observations: Vec<Observation>,
    /// `stat` of the file: permissions and owner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// How well secrets are protected at rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// kms v2 or secretbox (or aesgcm, with a rotation note).
    Strong,
    /// aescbc, or kms v1 (deprecated).
    Weak,
    /// identity first, or secrets not covered at all.
    Plaintext,
}

const PROVIDER_TYPES: &[&str] = &["identity", "aescbc", "aesgcm", "secretbox", "kms"];

/// Reads and analyses the file (a node path).
pub fn analyse(root: &Root, path: &str) -> Result<Analysis, Problem> {
    let doc = parse_file(root, path)?;
    let mut a = analyse_doc(path, &doc)?;
    if let Some(st) = root.stat(path) {
        a.mode = Some(octal(st.mode));
        a.owner = Some(root.owner(&st));
        if !within(st.mode, 0o600) {
            let local_keys = a
                .entries
                .iter()
                .flat_map(|e| &e.providers)
                .any(|p| !p.keys.is_empty());
            a.observations.push(Observation {
                severity: if local_keys {
                    Severity::High
                } else {
                    Severity::Low
                },
                message: format!(
                    "the file's permissions are {} (expected 600 or more restrictive){}",
                    octal(st.mode),
                    if local_keys {
                        ": the encryption keys in it are readable by other users of the node"
                    } else {
                        ""
                    }
                ),
                line: 0,
            });
        }
    }
    Ok(a)
}

/// Analyses a parsed `EncryptionConfiguration`.
pub fn analyse_doc(path: &str, doc: &Node) -> Result<Analysis, Problem> {
    expect_kind(
        path,
        doc,
        "EncryptionConfiguration",
        &["apiserver.config.k8s.io"],
    )?;
    let err = |n: &Node, msg: String| Problem::new(path, n.pos.line, n.pos.col, msg);
    let resources = doc.get("resources").ok_or_else(|| {
        err(
            doc,
            "expected `resources:` (a list of resources and providers)".into(),
        )
    })?;
    if !matches!(resources.value, kubeward_core::Value::Seq(_)) {
        return Err(err(
            resources,
            format!(
                "expected `resources` to be a list, found {}",
                resources.type_name()
            ),
        ));
    }
    let mut entries = Vec::new();
    let mut observations = Vec::new();
    for item in resources.items() {
        let names = item.get("resources").map(Node::items).unwrap_or_default();
        if names.is_empty() {
            return Err(err(
                item,
                "expected a non-empty `resources` list in the entry".into(),
            ));
        }
        let mut list = Vec::new();
        for n in names {
            match n.as_str() {
                Some(s) => list.push(s.to_string()),
                None => {
                    return Err(err(
                        n,
                        format!("expected a resource name, found {}", n.type_name()),
                    ));
                }
            }
        }
        let provs = item.get("providers").map(Node::items).unwrap_or_default();
        if provs.is_empty() {
            return Err(err(
                item,
                "expected a non-empty `providers` list in the entry".into(),
            ));
        }
        let mut providers = Vec::new();
        for p in provs {
            let present: Vec<&str> = p
                .entries()
                .iter()
                .map(|e| e.key.as_str())
                .filter(|k| PROVIDER_TYPES.contains(k))
                .collect();
            let kind = match present.as_slice() {
                [one] => *one,
                [] => {
                    return Err(err(
                        p,
                        format!(
                            "expected one provider ({}), found {}",
                            PROVIDER_TYPES.join(", "),
                            p.entries().first().map_or_else(
                                || p.type_name().to_string(),
                                |e| format!("`{}`", e.key)
                            )
                        ),
                    ));
                }
                more => {
                    return Err(err(
                        p,
                        format!(
                            "expected one provider per list item, found {}",
                            more.join(" and ")
                        ),
                    ));
                }
            };
            let body = p.get(kind).unwrap_or(Node::null());
            let mut keys = Vec::new();
            let mut key_bytes = Vec::new();
            if matches!(kind, "aescbc" | "aesgcm" | "secretbox") {
                for k in body.get("keys").map(Node::items).unwrap_or_default() {
                    keys.push(
                        k.get("name")
                            .and_then(Node::scalar_text)
                            .unwrap_or_else(|| "(unnamed)".into()),
                    );
                    key_bytes.push(k.get("secret").and_then(Node::as_str).and_then(base64_len));
                }
                if keys.is_empty() {
                    return Err(err(
                        p,
                        format!("expected `{kind}.keys` with at least one key"),
                    ));
                }
            }
            let (kms_version, name) = if kind == "kms" {
                let v = body
                    .get("apiVersion")
                    .and_then(Node::as_str)
                    .unwrap_or("v1")
                    .to_string();
                (Some(v), body.get("name").and_then(Node::scalar_text))
            } else {
                (None, None)
            };
            providers.push(Provider {
                kind: kind.to_string(),
                kms_version,
                name,
                keys,
                key_bytes,
                line: p.pos.line,
            });
        }
        entries.push(Entry {
            resources: list,
            providers,
            line: item.pos.line,
        });
    }
    let secrets = coverage(&entries, "secrets", "");
    let configmaps = coverage(&entries, "configmaps", "");

    // Ratings of the provider that writes secrets.
    let secrets_verdict = match (&secrets.entry, &secrets.write_provider) {
        (None, _) | (_, None) => {
            observations.push(Observation {
                severity: Severity::High,
                message: "no entry covers `secrets` (nor `*.` or `*.*`): Secrets are stored in plain text".into(),
                line: 0,
            });
            Verdict::Plaintext
        }
        (Some(i), Some(_)) => {
            let e = &entries[*i];
            let first = &e.providers[0];
            let v = rate(first, &mut observations);
            if first.kind == "identity" {
                let later: Vec<String> = e.providers[1..].iter().map(Provider::label).collect();
                observations.push(Observation {
                    severity: Severity::High,
                    message: format!(
                        "`identity` is the first provider for secrets: new writes are stored in plain \
                         text{}",
                        if later.is_empty() {
                            String::new()
                        } else {
                            format!(" ({} only decrypt what is already encrypted)", later.join(", "))
                        }
                    ),
                    line: first.line,
                });
            }
            v
        }
    };
    if let Some(i) = secrets.entry {
        let e = &entries[i];
        let explicit = e.resources.iter().any(|r| r == "secrets");
        for (j, other) in entries.iter().enumerate().skip(i + 1) {
            if other.resources.iter().any(|r| r == "secrets") && explicit {
                observations.push(Observation {
                    severity: Severity::Low,
                    message: format!(
                        "the entry at line {} also lists secrets but never applies: the entry at line {} comes first",
                        other.line, e.line
                    ),
                    line: entries[j].line,
                });
            }
        }
    }
    if !configmaps.encrypted {
        observations.push(Observation {
            severity: Severity::Info,
            message:
                "configmaps are not encrypted at rest (encrypt them too if they hold credentials)"
                    .into(),
            line: 0,
        });
    }
    Ok(Analysis {
        file: path.to_string(),
        entries,
        secrets,
        configmaps,
        secrets_verdict,
        observations,
        mode: None,
        owner: None,
    })
}

fn rate(p: &Provider, obs: &mut Vec<Observation>) -> Verdict {
    let push = |obs: &mut Vec<Observation>, severity, message: String| {
        obs.push(Observation {
            severity,
            message,
            line: p.line,
        });
    };
    match (p.kind.as_str(), p.kms_version.as_deref()) {
        ("identity", _) => Verdict::Plaintext,
        ("aescbc", _) => {
            push(
                obs,
                Severity::Medium,
                "secrets are encrypted with aescbc, which the Kubernetes documentation rates weak \
                 (CBC is open to padding-oracle attacks) and does not recommend: migrate to kms v2 \
                 (or secretbox)"
                    .into(),
            );
            key_lengths(p, &[32], obs);
            Verdict::Weak
        }
        ("aesgcm", _) => {
            push(
                obs,
                Severity::Low,
                "secrets are encrypted with aesgcm: its key must be rotated before 200,000 writes \
                 (random nonces); kms v2 manages this for you"
                    .into(),
            );
            key_lengths(p, &[16, 24, 32], obs);
            Verdict::Strong
        }
        ("secretbox", _) => {
            push(
                obs,
                Severity::Info,
                "secrets are encrypted with secretbox (XSalsa20-Poly1305, strong); the key lives on \
                 the control-plane node: kms v2 keeps it in an external KMS"
                    .into(),
            );
            key_lengths(p, &[32], obs);
            Verdict::Strong
        }
        ("kms", Some("v2")) => Verdict::Strong,
        ("kms", _) => {
            push(
                obs,
                Severity::Medium,
                "secrets are encrypted with kms v1, deprecated since Kubernetes 1.28 and disabled by \
                 default since 1.29: migrate to kms v2"
                    .into(),
            );
            Verdict::Weak
        }
        _ => Verdict::Plaintext,
    }
}

fn key_lengths(p: &Provider, allowed: &[usize], obs: &mut Vec<Observation>) {
    for (name, len) in p.keys.iter().zip(&p.key_bytes) {
        let ok = len.is_some_and(|l| allowed.contains(&l));
        if !ok {
            obs.push(Observation {
                severity: Severity::High,
                message: format!(
                    "{} key `{name}` is {}: expected {} bytes",
                    p.kind,
                    len.map_or_else(|| "not valid base64".to_string(), |l| format!("{l} bytes")),
                    allowed
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" or ")
                ),
                line: p.line,
            });
        }
    }
}

/// Which entry decides for `resource` in `group` (`""` = core): the first entry naming it
/// exactly (`secrets` / `deployments.apps`), by `*.group` (`*.` = core group), or `*.*`.
pub fn coverage(entries: &[Entry], resource: &str, group: &str) -> Coverage {
    let exact = if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    };
    let group_wild = format!("*.{group}");
    let found = entries.iter().position(|e| {
        e.resources.iter().any(|r| {
            *r == exact
                || (group.is_empty() && *r == format!("{resource}."))
                || *r == group_wild
                || r == "*.*"
        })
    });
    let write = found
        .and_then(|i| entries[i].providers.first())
        .map(Provider::label);
    Coverage {
        resource: exact,
        entry: found,
        encrypted: write.as_deref().is_some_and(|w| w != "identity"),
        write_provider: write,
    }
}

/// The decoded length of standard base64 (padding optional); `None` when it is not base64.
fn base64_len(s: &str) -> Option<usize> {
    let s = s.trim();
    let body = s.trim_end_matches('=');
    if s.len() - body.len() > 2
        || !body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
    {
        return None;
    }
    match body.len() % 4 {
        1 => None,
        r => Some(body.len() / 4 * 3 + if r == 0 { 0 } else { r - 1 }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yamlfile::parse_text;

    fn run(yaml: &str) -> Result<Analysis, Problem> {
        let doc = parse_text("/etc/kubernetes/enc.yaml", yaml)?;
        analyse_doc("/etc/kubernetes/enc.yaml", &doc)
    }

    const HEAD: &str = "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n";

    #[test]
    fn identity_first_means_plaintext() {
        let a = run(&format!(
            "{HEAD}resources:\n- resources: [secrets]\n  providers:\n  - identity: {{}}\n  - aescbc:\n      keys:\n      - name: key1\n        secret: c2VjcmV0IGlzIHNlY3VyZSwgb3IgaXMgaXQ/Cg==\n"
        ))
        .unwrap();
        assert_eq!(a.secrets_verdict, Verdict::Plaintext);
        assert_eq!(a.secrets.write_provider.as_deref(), Some("identity"));
        assert!(!a.secrets.encrypted);
        let msgs: Vec<&str> = a.observations.iter().map(|o| o.message.as_str()).collect();
        assert!(
            msgs.iter()
                .any(|m| m.contains("`identity` is the first provider")),
            "{msgs:?}"
        );
        // The key material never appears in the analysis.
        let json = serde_json::to_string(&a).unwrap();
        assert!(!json.contains("c2VjcmV0"), "{json}");
        assert!(json.contains("key1"));
    }

    #[test]
    fn ratings() {
        let key32 = "dGhpcnR5LXR3by1ieXRlLWxvbmcta2V5LWZvci1hZXM=";
        let a = run(&format!(
            "{HEAD}resources:\n- resources: [secrets]\n  providers:\n  - aescbc:\n      keys: [{{name: k, secret: {key32}}}]\n"
        ))
        .unwrap();
        assert_eq!(a.secrets_verdict, Verdict::Weak);
        assert_eq!(a.entries[0].providers[0].key_bytes, [Some(32)]);
        let a = run(&format!(
            "{HEAD}resources:\n- resources: ['*.*']\n  providers:\n  - kms:\n      apiVersion: v2\n      name: vault\n      endpoint: unix:///kms.sock\n"
        ))
        .unwrap();
        assert_eq!(a.secrets_verdict, Verdict::Strong);
        assert_eq!(a.secrets.write_provider.as_deref(), Some("kms v2"));
        assert!(a.configmaps.encrypted);
        let a = run(&format!(
            "{HEAD}resources:\n- resources: [events]\n  providers: [{{identity: {{}}}}]\n- resources: ['*.']\n  providers:\n  - kms: {{name: old, endpoint: unix:///k}}\n"
        ))
        .unwrap();
        assert_eq!(a.secrets.entry, Some(1));
        assert_eq!(a.secrets_verdict, Verdict::Weak);
        let a = run(&format!(
            "{HEAD}resources:\n- resources: [configmaps]\n  providers:\n  - secretbox: {{keys: [{{name: k, secret: c2hvcnQ=}}]}}\n"
        ))
        .unwrap();
        assert_eq!(a.secrets_verdict, Verdict::Plaintext);
        assert_eq!(a.secrets.entry, None);
    }

    #[test]
    fn malformed_configurations_are_problems_with_lines() {
        let e = run(&format!("{HEAD}resources:\n- resources: [secrets]\n  providers:\n  - aescbc: {{}}\n    identity: {{}}\n")).unwrap_err();
        assert_eq!(e.line, 6);
        assert!(e.message.contains("one provider per list item"), "{e}");
        let e = run(&format!(
            "{HEAD}resources:\n- resources: [secrets]\n  providers:\n  - rot13: {{}}\n"
        ))
        .unwrap_err();
        assert!(e.message.contains("found `rot13`"), "{e}");
        let e = run(&format!("{HEAD}resources: {{}}\n")).unwrap_err();
        assert!(e.message.contains("to be a list"), "{e}");
        let e = run("apiVersion: v1\nkind: ConfigMap\n").unwrap_err();
        assert!(e.message.contains("EncryptionConfiguration"), "{e}");
        let e = run(&format!(
            "{HEAD}resources:\n- resources: [secrets]\n  providers:\n  - aescbc: {{keys: []}}\n"
        ))
        .unwrap_err();
        assert!(e.message.contains("at least one key"), "{e}");
    }

    #[test]
    fn base64_lengths() {
        assert_eq!(base64_len("YQ=="), Some(1));
        assert_eq!(base64_len("YWI="), Some(2));
        assert_eq!(base64_len("YWJj"), Some(3));
        assert_eq!(base64_len("not base64!"), None);
    }
}
