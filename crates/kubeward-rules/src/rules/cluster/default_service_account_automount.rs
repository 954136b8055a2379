use crate::{Check, Cx, rule, util};
use kubeward_core::{Node, Object};

rule! {
    /// ## What it finds
    /// ServiceAccounts named `default` (in any namespace) that do not set
    /// `automountServiceAccountToken: false`: absent, `true`, or a value that is not the
    /// boolean `false` (such as the string `"false"`).
    ///
    /// This is the ServiceAccount side of two pod rules: KW128 `default-service-account`
    /// reports pods that run as `default`, and KW129 `service-account-token-automount`
    /// reports pods that do not turn the token mount off themselves. The pod's own
    /// `automountServiceAccountToken` wins over the ServiceAccount's, so this rule is the
    /// namespace-wide safety net for the pods nobody configured.
    ///
    /// ## Why it matters
    /// Every namespace gets a `default` ServiceAccount, and every pod that names no service
    /// account runs as it. Unless the account says otherwise, each of those pods gets an API
    /// token mounted in every container: whoever compromises one of them holds the account's
    /// permissions, and roles bound to `default` "to make something work" are shared by
    /// every such pod. Most applications never call the API.
    ///
    /// ## How to fix
    /// Set `automountServiceAccountToken: false` on the `default` ServiceAccount of each
    /// namespace, and give workloads that call the API their own ServiceAccount with only
    /// the roles they need.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ServiceAccount
    /// metadata:
    ///   name: default
    ///   namespace: shop
    /// automountServiceAccountToken: false
    /// ```
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.5: Ensure that default service accounts are not actively used
    /// - Kubernetes docs: Configure Service Accounts for Pods, opt out of API credential automounting
    pub static RULE {
        code: "KW807",
        name: "default-service-account-automount",
        severity: Low,
        category: Governance,
        summary: "Namespace's default ServiceAccount mounts its token into pods",
        remediation: "Set `automountServiceAccountToken: false` on the `default` ServiceAccount.",
        mitre: [(CredentialAccess, "Container service account", "T1528")],
        nsa: ["Authentication and authorization: service accounts"],
        cis: ["5.1.5"],
        pss: None,
        check: Check::Object { kinds: &["ServiceAccount"], check },
    }
}

const FIELD: &str = "automountServiceAccountToken";

fn check(obj: &Object, cx: &mut Cx<'_>) {
    if obj.root.path(&["metadata", "name"]).and_then(Node::as_str) != Some("default") {
        return;
    }
    let subject = match &obj.namespace {
        Some(ns) => format!("the `default` ServiceAccount of namespace `{ns}`"),
        None => "the `default` ServiceAccount".to_string(),
    };
    let pods =
        "so every pod of the namespace that names no service account gets an API token mounted";
    match obj.root.get(FIELD) {
        Some(v) if v.as_bool() == Some(false) => {}
        Some(v) => {
            let (message, evidence) = match (v.as_bool(), v.as_str()) {
                (Some(_), _) => (
                    format!("{subject} sets `{FIELD}: true`, {pods}"),
                    util::show(FIELD, v),
                ),
                (None, Some(s)) => (
                    format!("{subject} sets {FIELD} to a string, not the boolean false, {pods}"),
                    format!("{FIELD}: \"{s}\""),
                ),
                (None, None) => (
                    format!(
                        "{subject} sets {FIELD} to {}, not the boolean false, {pods}",
                        v.type_name()
                    ),
                    util::show(FIELD, v),
                ),
            };
            cx.report(format_args!("/{FIELD}"), message)
                .evidence(evidence);
        }
        None => {
            // A field written without a value is absent; point at it when it is there.
            let ptr = if obj.root.entry(FIELD).is_some() {
                format!("/{FIELD}")
            } else {
                "/metadata/name".to_string()
            };
            cx.report(
                ptr,
                format!("{subject} does not set `{FIELD}: false`, {pods}"),
            )
            .evidence(format_args!("{FIELD}: <unset>"));
        }
    }
}
