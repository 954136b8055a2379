//! Admission webhook configurations (`ValidatingWebhookConfiguration`,
//! `MutatingWebhookConfiguration`): the defaults of each API version and what a webhook
//! matches. Shared by KW805 and KW806.

use kubeward_core::{Node, Object};

/// The kinds both rules check.
pub(super) const KINDS: &[&str] = &[
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
];

/// The label every namespace carries (set by the API server since 1.21), and the only label
/// `kube-system` has by default.
const NAME_LABEL: &str = "kubernetes.io/metadata.name";
const KUBE_SYSTEM: &str = "kube-system";

/// One entry of `webhooks[]`, with its failure policy and timeout resolved.
#[derive(Debug)]
pub(super) struct Hook<'a> {
    pub index: usize,
    pub node: &'a Node,
    /// `name`, or `#<index>` when it has none.
    pub name: String,
    /// `failurePolicy` resolves to `Fail`.
    pub fail_closed: bool,
    /// `failurePolicy` is written (not defaulted).
    pub policy_written: bool,
    /// The effective timeout in seconds, when `timeoutSeconds` is absent or an integer.
    pub timeout: Option<i64>,
    /// `timeoutSeconds` is written (not defaulted).
    pub timeout_written: bool,
}

impl Hook<'_> {
    pub fn ptr(&self) -> String {
        format!("/webhooks/{}", self.index)
    }

    pub fn field_ptr(&self, field: &str) -> String {
        format!("/webhooks/{}/{field}", self.index)
    }

    /// Where a finding about the failure policy points: the field, or the webhook when it is
    /// defaulted.
    pub fn policy_ptr(&self) -> String {
        if self.policy_written {
            self.field_ptr("failurePolicy")
        } else {
            self.ptr()
        }
    }

    /// `failurePolicy: Fail` or `failurePolicy: Fail (default)`.
    pub fn policy_evidence(&self) -> String {
        let value = if self.fail_closed { "Fail" } else { "Ignore" };
        if self.policy_written {
            format!("failurePolicy: {value}")
        } else {
            format!("failurePolicy: {value} (default)")
        }
    }
}

/// The webhooks of a configuration, in order. Entries that are not mappings, and entries whose
/// `failurePolicy` is not `Fail` or `Ignore` (the API server rejects those), are skipped.
pub(super) fn hooks(obj: &Object) -> Vec<Hook<'_>> {
    // v1beta1 defaulted `failurePolicy` to Ignore and `timeoutSeconds` to 30; v1 defaults them
    // to Fail and 10.
    let beta = obj.api_version.ends_with("/v1beta1");
    let Some(list) = obj.root.get("webhooks") else {
        return Vec::new();
    };
    list.items()
        .iter()
        .enumerate()
        .filter(|(_, n)| n.is_map())
        .filter_map(|(index, node)| {
            let (fail_closed, policy_written) = match node.get("failurePolicy") {
                None => (!beta, false),
                Some(p) => match p.as_str() {
                    Some("Fail") => (true, true),
                    Some("Ignore") => (false, true),
                    _ => return None,
                },
            };
            let (timeout, timeout_written) = match node.get("timeoutSeconds") {
                None => (Some(if beta { 30 } else { 10 }), false),
                Some(t) => (t.as_i64(), true),
            };
            let name = node
                .get("name")
                .and_then(Node::as_str)
                .filter(|s| !s.is_empty())
                .map_or_else(|| format!("#{index}"), str::to_string);
            Some(Hook {
                index,
                node,
                name,
                fail_closed,
                policy_written,
                timeout,
                timeout_written,
            })
        })
        .collect()
}

/// Resources that are cluster-scoped in every Kubernetes version that serves them. A
/// webhook rule limited to these never sees an object in a namespace.
const CLUSTER_SCOPED: &[&str] = &[
    "apiservices",
    "certificatesigningrequests",
    "clusterrolebindings",
    "clusterroles",
    "clustertrustbundles",
    "componentstatuses",
    "csidrivers",
    "csinodes",
    "customresourcedefinitions",
    "deviceclasses",
    "flowschemas",
    "ingressclasses",
    "ipaddresses",
    "mutatingadmissionpolicies",
    "mutatingadmissionpolicybindings",
    "mutatingwebhookconfigurations",
    "namespaces",
    "nodes",
    "persistentvolumes",
    "podsecuritypolicies",
    "priorityclasses",
    "prioritylevelconfigurations",
    "resourceslices",
    "runtimeclasses",
    "selfsubjectaccessreviews",
    "selfsubjectreviews",
    "selfsubjectrulesreviews",
    "servicecidrs",
    "storageclasses",
    "storageversionmigrations",
    "storageversions",
    "subjectaccessreviews",
    "tokenreviews",
    "validatingadmissionpolicies",
    "validatingadmissionpolicybindings",
    "validatingwebhookconfigurations",
    "volumeattachments",
    "volumeattributesclasses",
];

/// API groups served by Kubernetes itself (as opposed to CRDs): the control plane's own
/// objects live there.
fn builtin_group(group: &str) -> bool {
    group.is_empty()
        || group == "*"
        || group.ends_with(".k8s.io")
        || matches!(
            group,
            "apps" | "batch" | "autoscaling" | "policy" | "extensions"
        )
}

fn texts(node: Option<&Node>) -> Vec<String> {
    node.map(|n| n.items().iter().filter_map(Node::scalar_text).collect())
        .unwrap_or_default()
}

/// The first rule of the webhook that can match namespaced objects of a built-in API group:
/// `(index, resources that are not cluster-scoped)`. A rule matches namespaced objects when
/// its `scope` is `*`, `Namespaced` or absent and one of its resources is not known to be
/// cluster-scoped (`*`, `pods`, `*/status`, or a name kubeward does not know).
pub(super) fn namespaced_builtin_rule(hook: &Node) -> Option<(usize, Vec<String>)> {
    let rules = hook.get("rules")?;
    rules.items().iter().enumerate().find_map(|(i, rule)| {
        let scope = rule.get("scope").map(Node::as_str);
        if !matches!(scope, None | Some(Some("*" | "Namespaced"))) {
            return None;
        }
        if !texts(rule.get("apiGroups"))
            .iter()
            .any(|g| builtin_group(g))
        {
            return None;
        }
        let namespaced: Vec<String> = texts(rule.get("resources"))
            .into_iter()
            .filter(|r| {
                let base = r.split('/').next().unwrap_or_default();
                !CLUSTER_SCOPED.contains(&base)
            })
            .collect();
        (!namespaced.is_empty()).then_some((i, namespaced))
    })
}

/// Does `selector` (a `namespaceSelector`) select `kube-system`, judged on the labels it has
/// by default (`kubernetes.io/metadata.name: kube-system` only)? `None` when the selector is
/// not a valid label selector (the API server rejects it).
pub(super) fn selects_kube_system(selector: Option<&Node>) -> Option<bool> {
    let Some(sel) = selector else {
        return Some(true);
    };
    if !sel.is_map() {
        return None;
    }
    let label = |key: &str| (key == NAME_LABEL).then_some(KUBE_SYSTEM);
    let mut selected = true;
    if let Some(labels) = sel.get("matchLabels") {
        if !labels.is_map() {
            return None;
        }
        for e in labels.entries() {
            let want = e.value.scalar_text()?;
            if label(&e.key) != Some(want.as_str()) {
                selected = false;
            }
        }
    }
    if let Some(exprs) = sel.get("matchExpressions") {
        for expr in exprs.items() {
            let key = expr.get("key").and_then(Node::as_str)?;
            let values = texts(expr.get("values"));
            let has = label(key);
            let listed = has.is_some_and(|v| values.iter().any(|x| x == v));
            let ok = match expr.get("operator").and_then(Node::as_str)? {
                "In" => listed,
                "NotIn" => !listed,
                "Exists" => has.is_some(),
                "DoesNotExist" => has.is_none(),
                _ => return None,
            };
            selected &= ok;
        }
    }
    Some(selected)
}

/// A short rendering of a `namespaceSelector`, for evidence.
pub(super) fn show_selector(selector: Option<&Node>) -> String {
    let Some(sel) = selector else {
        return "namespaceSelector: <unset>".to_string();
    };
    let mut parts = Vec::new();
    if let Some(labels) = sel.get("matchLabels") {
        for e in labels.entries() {
            parts.push(format!(
                "{}={}",
                e.key,
                e.value.scalar_text().unwrap_or_default()
            ));
        }
    }
    if let Some(exprs) = sel.get("matchExpressions") {
        for expr in exprs.items() {
            let key = expr
                .get("key")
                .and_then(Node::scalar_text)
                .unwrap_or_default();
            let op = expr
                .get("operator")
                .and_then(Node::scalar_text)
                .unwrap_or_default();
            let values = texts(expr.get("values"));
            if values.is_empty() {
                parts.push(format!("{key} {op}"));
            } else {
                parts.push(format!("{key} {op} [{}]", values.join(", ")));
            }
        }
    }
    if parts.is_empty() {
        "namespaceSelector: {}".to_string()
    } else {
        format!("namespaceSelector: {}", parts.join(", "))
    }
}

/// Does a `matchConditions` entry skip requests in `kube-system`? Only the plain forms are
/// recognised: the whole expression (or one `&&` conjunct of an expression without `||`) is
/// `request.namespace != "kube-system"` or `!(request.namespace in [..., "kube-system", ...])`.
pub(super) fn condition_skips_kube_system(hook: &Node) -> bool {
    let Some(conditions) = hook.get("matchConditions") else {
        return false;
    };
    conditions.items().iter().any(|c| {
        let Some(expr) = c.get("expression").and_then(Node::as_str) else {
            return false;
        };
        let e: String = expr
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| if c == '\'' { '"' } else { c })
            .collect();
        if e.contains("||") {
            return false;
        }
        e.split("&&").any(|part| {
            let part = part.trim_start_matches('(').trim_end_matches(')');
            let q = format!("\"{KUBE_SYSTEM}\"");
            part == format!("request.namespace!={q}")
                || part == format!("{q}!=request.namespace")
                || part
                    .strip_prefix("!request.namespacein[")
                    .or_else(|| part.strip_prefix("!(request.namespacein["))
                    .and_then(|rest| rest.split(']').next())
                    .is_some_and(|list| list.split(',').any(|v| v == q))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeward_core::Node;

    /// A tree from JSON text (JSON is YAML flow syntax).
    fn node(json: &str) -> Node {
        let docs = kubeward_load::yaml::parse_stream(json, &kubeward_load::Limits::default());
        docs.into_iter()
            .next()
            .and_then(|d| d.root.ok())
            .unwrap_or_else(|| panic!("bad test input {json}"))
    }

    #[test]
    fn selectors() {
        let sel = |j: &str| selects_kube_system(Some(&node(j)));
        assert_eq!(selects_kube_system(None), Some(true));
        assert_eq!(sel("{}"), Some(true));
        assert_eq!(
            sel(
                r#"{"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"NotIn","values":["kube-system"]}]}"#
            ),
            Some(false)
        );
        assert_eq!(
            sel(
                r#"{"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"NotIn","values":["kyverno"]}]}"#
            ),
            Some(true)
        );
        assert_eq!(
            sel(r#"{"matchExpressions":[{"key":"control-plane","operator":"DoesNotExist"}]}"#),
            Some(true)
        );
        assert_eq!(
            sel(r#"{"matchExpressions":[{"key":"team","operator":"Exists"}]}"#),
            Some(false)
        );
        assert_eq!(
            sel(r#"{"matchExpressions":[{"key":"team","operator":"In","values":["a"]}]}"#),
            Some(false)
        );
        assert_eq!(sel(r#"{"matchLabels":{"team":"a"}}"#), Some(false));
        assert_eq!(
            sel(r#"{"matchLabels":{"kubernetes.io/metadata.name":"kube-system"}}"#),
            Some(true)
        );
        assert_eq!(
            sel(r#"{"matchExpressions":[{"key":"x","operator":"Bogus"}]}"#),
            None
        );
        assert_eq!(sel(r#"{"matchExpressions":[{"operator":"Exists"}]}"#), None);
        assert_eq!(sel(r#""kube-system""#), None);
        assert_eq!(sel(r#"{"matchLabels":["a"]}"#), None);
        assert_eq!(sel(r#"{"matchLabels":{"team":["a"]}}"#), None);
        assert_eq!(sel(r#"{"matchLabels":{"team":null}}"#), None);
    }

    #[test]
    fn rules() {
        let r = |j: &str| namespaced_builtin_rule(&node(j));
        assert_eq!(
            r(r#"{"rules":[{"apiGroups":[""],"resources":["pods"]}]}"#),
            Some((0, vec!["pods".to_string()]))
        );
        assert_eq!(
            r(
                r#"{"rules":[{"apiGroups":[""],"resources":["namespaces","nodes/status"]},{"apiGroups":["*"],"resources":["*"],"scope":"Namespaced"}]}"#
            ),
            Some((1, vec!["*".to_string()]))
        );
        assert_eq!(
            r(r#"{"rules":[{"apiGroups":["*"],"resources":["*"],"scope":"Cluster"}]}"#),
            None
        );
        assert_eq!(
            r(r#"{"rules":[{"apiGroups":["cert-manager.io"],"resources":["*/*"]}]}"#),
            None
        );
        assert_eq!(r(r#"{"rules":[{"resources":["pods"]}]}"#), None);
        assert_eq!(r(r#"{"rules":"pods"}"#), None);
        assert_eq!(r(r#"{}"#), None);
    }

    #[test]
    fn match_conditions() {
        let c = |expr: &str| {
            let escaped = expr.replace('\\', "\\\\").replace('"', "\\\"");
            let j = format!(r#"{{"matchConditions":[{{"name":"x","expression":"{escaped}"}}]}}"#);
            condition_skips_kube_system(&node(&j))
        };
        assert!(c(r#"request.namespace != "kube-system""#));
        assert!(c(r#"request.namespace != 'kube-system'"#));
        assert!(c(r#"'kube-system' != request.namespace"#));
        assert!(c(
            r#"!(request.namespace in ['kube-system', 'kube-public'])"#
        ));
        assert!(c(
            r#"request.kind.kind == "Pod" && request.namespace != "kube-system""#
        ));
        assert!(!c(r#"request.namespace == "kube-system""#));
        assert!(!c(r#"request.namespace != "kube-system" || true"#));
        assert!(!c(r#"request.namespace != "kube-public""#));
        assert!(!c(""));
    }
}
