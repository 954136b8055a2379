//! Kubeconfig files for the fixture server, shaped like kubeadm's `admin.conf`.

use crate::config::Identity;
use base64::Engine;

/// One context of a generated kubeconfig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeconfigContext {
    /// Context name (also used as the name of its user entry).
    pub name: String,
    pub identity: Identity,
    /// Default namespace of the context.
    pub namespace: Option<String>,
}

impl KubeconfigContext {
    pub fn new(name: impl Into<String>, identity: Identity) -> KubeconfigContext {
        KubeconfigContext {
            name: name.into(),
            identity,
            namespace: None,
        }
    }

    pub fn namespace(mut self, ns: impl Into<String>) -> Self {
        self.namespace = Some(ns.into());
        self
    }
}

/// The credentials of a user entry.
#[derive(Debug)]
pub(crate) enum Credentials<'a> {
    Token(&'a str),
    Cert { cert_pem: &'a str, key_pem: &'a str },
    None,
}

/// A YAML string scalar (JSON strings are valid YAML).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
}

/// Renders a complete kubeconfig.
pub(crate) fn render(
    server: &str,
    ca_pem: &str,
    cluster: &str,
    contexts: &[(&KubeconfigContext, Credentials<'_>)],
    current: &str,
) -> String {
    let mut out = String::new();
    out.push_str("apiVersion: v1\nkind: Config\nclusters:\n");
    out.push_str(&format!(
        "- name: {}\n  cluster:\n    server: {}\n    certificate-authority-data: {}\n",
        q(cluster),
        q(server),
        b64(ca_pem)
    ));
    out.push_str("users:\n");
    for (ctx, creds) in contexts {
        out.push_str(&format!("- name: {}\n  user:", q(&ctx.name)));
        match creds {
            Credentials::Token(t) => out.push_str(&format!("\n    token: {}\n", q(t))),
            Credentials::Cert { cert_pem, key_pem } => out.push_str(&format!(
                "\n    client-certificate-data: {}\n    client-key-data: {}\n",
                b64(cert_pem),
                b64(key_pem)
            )),
            Credentials::None => out.push_str(" {}\n"),
        }
    }
    out.push_str("contexts:\n");
    for (ctx, _) in contexts {
        out.push_str(&format!(
            "- name: {}\n  context:\n    cluster: {}\n    user: {}\n",
            q(&ctx.name),
            q(cluster),
            q(&ctx.name)
        ));
        if let Some(ns) = &ctx.namespace {
            out.push_str(&format!("    namespace: {}\n", q(ns)));
        }
    }
    out.push_str(&format!(
        "current-context: {}\npreferences: {{}}\n",
        q(current)
    ));
    out
}
