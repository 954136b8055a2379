//! RBAC objects as the authorizer sees them: roles with their rules, bindings with their
//! subjects, read from `Object`s (manifests, a live cluster, or kubeward's built-in defaults).

use kubeward_core::{Node, Object, ObjectRef, Pos, Str};
use std::sync::Arc;

/// `Role` or `ClusterRole`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RoleKind {
    Role,
    ClusterRole,
}

impl RoleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::Role => "Role",
            RoleKind::ClusterRole => "ClusterRole",
        }
    }
}

/// One `PolicyRule`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rule {
    pub verbs: Vec<Str>,
    pub api_groups: Vec<Str>,
    pub resources: Vec<Str>,
    pub resource_names: Vec<Str>,
    pub non_resource_urls: Vec<Str>,
    /// Where the rule is written: the role it came from (after aggregation, the contributing
    /// role) and its index in that role's `rules`.
    pub origin: RuleOrigin,
}

/// The role and index a rule was written in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleOrigin {
    pub role: Str,
    pub index: u32,
}

impl Rule {
    fn from_node(n: &Node, role: &str, index: u32) -> Rule {
        let list = |key: &str| -> Vec<Str> {
            n.get(key)
                .map(|v| {
                    v.items()
                        .iter()
                        .filter_map(Node::scalar_text)
                        .map(Str::from)
                        .collect()
                })
                .unwrap_or_default()
        };
        Rule {
            verbs: list("verbs"),
            api_groups: list("apiGroups"),
            resources: list("resources"),
            resource_names: list("resourceNames"),
            non_resource_urls: list("nonResourceURLs"),
            origin: RuleOrigin {
                role: Str::from(role),
                index,
            },
        }
    }

    /// `verbs [..] on resources [..] in apiGroups [..]` for evidence.
    pub fn describe(&self) -> String {
        let join = |v: &[Str]| {
            v.iter()
                .map(|s| if s.is_empty() { "\"\"" } else { s.as_str() })
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut out = format!("verbs [{}]", join(&self.verbs));
        if !self.resources.is_empty() {
            out.push_str(&format!(
                " on [{}] in apiGroups [{}]",
                join(&self.resources),
                join(&self.api_groups)
            ));
        }
        if !self.resource_names.is_empty() {
            out.push_str(&format!(" resourceNames [{}]", join(&self.resource_names)));
        }
        if !self.non_resource_urls.is_empty() {
            out.push_str(&format!(
                " on nonResourceURLs [{}]",
                join(&self.non_resource_urls)
            ));
        }
        out
    }
}

/// A label selector (`matchLabels` and `matchExpressions`) as aggregation rules use it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    pub match_labels: Vec<(Str, Str)>,
    pub expressions: Vec<Expression>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expression {
    pub key: Str,
    pub operator: Str,
    pub values: Vec<Str>,
}

impl Selector {
    fn from_node(n: &Node) -> Selector {
        let match_labels = n
            .get("matchLabels")
            .map(|m| {
                m.entries()
                    .iter()
                    .filter_map(|e| e.value.scalar_text().map(|v| (e.key.clone(), Str::from(v))))
                    .collect()
            })
            .unwrap_or_default();
        let expressions = n
            .get("matchExpressions")
            .map(|list| {
                list.items()
                    .iter()
                    .filter_map(|x| {
                        Some(Expression {
                            key: Str::from(x.get("key")?.as_str()?),
                            operator: Str::from(x.get("operator")?.as_str()?),
                            values: x
                                .get("values")
                                .map(|v| {
                                    v.items()
                                        .iter()
                                        .filter_map(Node::scalar_text)
                                        .map(Str::from)
                                        .collect()
                                })
                                .unwrap_or_default(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        Selector {
            match_labels,
            expressions,
        }
    }

    /// Does a set of labels satisfy the selector? An empty selector matches nothing here: the
    /// aggregation controller ignores empty selectors (it would otherwise aggregate every role).
    pub fn matches(&self, labels: &[(Str, Str)]) -> bool {
        if self.match_labels.is_empty() && self.expressions.is_empty() {
            return false;
        }
        let get = |k: &str| labels.iter().find(|(key, _)| key == k).map(|(_, v)| v);
        self.match_labels
            .iter()
            .all(|(k, v)| get(k).is_some_and(|x| x == v))
            && self.expressions.iter().all(|e| {
                let value = get(&e.key);
                match e.operator.as_str() {
                    "In" => value.is_some_and(|v| e.values.contains(v)),
                    "NotIn" => value.is_none_or(|v| !e.values.contains(v)),
                    "Exists" => value.is_some(),
                    "DoesNotExist" => value.is_none(),
                    _ => false, // an invalid operator selects nothing
                }
            })
    }
}

/// A `Role` or `ClusterRole`.
#[derive(Debug, Clone)]
pub struct Role {
    pub kind: RoleKind,
    /// For a Role; `None` for a ClusterRole.
    pub namespace: Option<Str>,
    pub name: Str,
    pub labels: Vec<(Str, Str)>,
    /// The role's own rules, then (for an aggregated ClusterRole) the aggregated ones.
    pub rules: Vec<Rule>,
    /// `aggregationRule.clusterRoleSelectors`.
    pub aggregation: Option<Vec<Selector>>,
    /// The object it was read from; `None` for kubeward's built-in defaults.
    pub source: Option<Arc<ObjectRef>>,
    /// One of Kubernetes' default roles (from kubeward's built-in data or a manifest that
    /// carries `kubernetes.io/bootstrapping: rbac-defaults`).
    pub default: bool,
    /// Where each of the role's own `rules[i]` is written (for findings on a role that is kept
    /// without its tree).
    pub rule_pos: Vec<Pos>,
}

impl Role {
    /// The role an object defines (`builtin` is whether it comes from kubeward's built-in
    /// defaults rather than the input); `None` for other kinds.
    pub fn from_object(o: &Object, builtin: bool) -> Option<Role> {
        let default = builtin;
        let kind = match o.kind.as_str() {
            "Role" => RoleKind::Role,
            "ClusterRole" => RoleKind::ClusterRole,
            _ => return None,
        };
        if !o.builtin {
            return None;
        }
        let labels = labels(o);
        let default = default
            || labels
                .iter()
                .any(|(k, v)| k == "kubernetes.io/bootstrapping" && v == "rbac-defaults");
        let rules = o
            .root
            .get("rules")
            .map(|r| {
                r.items()
                    .iter()
                    .enumerate()
                    .map(|(i, n)| Rule::from_node(n, &o.name, i as u32))
                    .collect()
            })
            .unwrap_or_default();
        let rule_pos = o
            .root
            .get("rules")
            .map(|r| r.items().iter().map(|n| n.pos).collect())
            .unwrap_or_default();
        let aggregation = (kind == RoleKind::ClusterRole)
            .then(|| o.root.path(&["aggregationRule", "clusterRoleSelectors"]))
            .flatten()
            .map(|s| s.items().iter().map(Selector::from_node).collect());
        Some(Role {
            kind,
            namespace: match kind {
                RoleKind::Role => Some(o.namespace.clone().unwrap_or_else(|| "default".into())),
                RoleKind::ClusterRole => None,
            },
            name: o.name.clone(),
            labels,
            rules,
            aggregation,
            source: (!builtin).then(|| Arc::new(o.to_ref())),
            default,
            rule_pos,
        })
    }

    /// `ClusterRole/admin` or `Role/dev/deployer`.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{}/{}", self.kind.as_str(), ns, self.name),
            None => format!("{}/{}", self.kind.as_str(), self.name),
        }
    }
}

/// Who a binding names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    User(Str),
    Group(Str),
    ServiceAccount { namespace: Str, name: Str },
}

impl Subject {
    /// `User alice`, `Group system:masters`, `ServiceAccount ci/deployer`.
    pub fn display(&self) -> String {
        match self {
            Subject::User(u) => format!("User {u}"),
            Subject::Group(g) => format!("Group {g}"),
            Subject::ServiceAccount { namespace, name } => {
                format!("ServiceAccount {namespace}/{name}")
            }
        }
    }

    /// The user name the API server knows the subject by (`system:serviceaccount:ns:name`).
    pub fn user_name(&self) -> Option<String> {
        match self {
            Subject::User(u) => Some(u.to_string()),
            Subject::ServiceAccount { namespace, name } => {
                Some(format!("system:serviceaccount:{namespace}:{name}"))
            }
            Subject::Group(_) => None,
        }
    }
}

/// What a binding points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleRef {
    pub kind: RoleKind,
    pub name: Str,
}

/// A `RoleBinding` or `ClusterRoleBinding`.
#[derive(Debug, Clone)]
pub struct Binding {
    pub cluster: bool,
    /// For a RoleBinding.
    pub namespace: Option<Str>,
    pub name: Str,
    pub role_ref: RoleRef,
    pub subjects: Vec<Subject>,
    /// The object it was read from; `None` for kubeward's built-in defaults.
    pub source: Option<Arc<ObjectRef>>,
    pub default: bool,
    /// Where `roleRef.name` is written.
    pub role_ref_pos: Pos,
    /// Every `subjects[i]` entry as written (kind and name), with its index and position,
    /// valid or not.
    pub subject_entries: Vec<SubjectEntry>,
}

/// One `subjects[i]` entry of a binding, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectEntry {
    pub index: u32,
    pub kind: Str,
    pub name: Str,
    pub pos: Pos,
}

impl Binding {
    /// The binding an object defines (`builtin`: from kubeward's built-in defaults); `None` for
    /// other kinds or an invalid roleRef.
    pub fn from_object(o: &Object, builtin: bool) -> Option<Binding> {
        let default = builtin;
        let cluster = match o.kind.as_str() {
            "RoleBinding" => false,
            "ClusterRoleBinding" => true,
            _ => return None,
        };
        if !o.builtin {
            return None;
        }
        let role_ref = o.root.get("roleRef")?;
        let kind = match role_ref.get("kind").and_then(Node::as_str) {
            Some("Role") if !cluster => RoleKind::Role,
            Some("ClusterRole") => RoleKind::ClusterRole,
            _ => return None, // the API server rejects anything else
        };
        // Where a finding at `/roleRef/name` points, as for the object's tree.
        let role_ref_pos = kubeward_core::pointer::locate(&o.root, "/roleRef/name");
        let name = Str::from(role_ref.get("name").and_then(Node::as_str)?);
        let subject_entries = o
            .root
            .get("subjects")
            .map(|s| {
                s.items()
                    .iter()
                    .enumerate()
                    .filter_map(|(i, n)| {
                        Some(SubjectEntry {
                            index: i as u32,
                            kind: Str::from(n.get("kind").and_then(Node::as_str)?),
                            name: Str::from(n.get("name").and_then(Node::as_str)?),
                            pos: n.pos,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let namespace = (!cluster).then(|| o.namespace.clone().unwrap_or_else(|| "default".into()));
        let subjects = o
            .root
            .get("subjects")
            .map(|s| {
                s.items()
                    .iter()
                    .filter_map(|n| subject(n, namespace.as_deref()))
                    .collect()
            })
            .unwrap_or_default();
        let default = default
            || labels(o)
                .iter()
                .any(|(k, v)| k == "kubernetes.io/bootstrapping" && v == "rbac-defaults");
        Some(Binding {
            cluster,
            namespace,
            name: o.name.clone(),
            role_ref: RoleRef { kind, name },
            subjects,
            source: (!builtin).then(|| Arc::new(o.to_ref())),
            default,
            role_ref_pos,
            subject_entries,
        })
    }

    /// `ClusterRoleBinding/x` or `RoleBinding/ns/x`.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("RoleBinding/{ns}/{}", self.name),
            None => format!("ClusterRoleBinding/{}", self.name),
        }
    }
}

/// A subject entry; a ServiceAccount without a namespace in a RoleBinding defaults to the
/// binding's namespace (as `kubectl create rolebinding --serviceaccount` writes it, and as
/// the API server's defaulting does).
fn subject(n: &Node, binding_ns: Option<&str>) -> Option<Subject> {
    let name = Str::from(n.get("name").and_then(Node::as_str)?);
    match n.get("kind").and_then(Node::as_str)? {
        "User" => Some(Subject::User(name)),
        "Group" => Some(Subject::Group(name)),
        "ServiceAccount" => {
            let namespace = n
                .get("namespace")
                .and_then(Node::as_str)
                .filter(|s| !s.is_empty())
                .or(binding_ns)?;
            Some(Subject::ServiceAccount {
                namespace: Str::from(namespace),
                name,
            })
        }
        _ => None,
    }
}

fn labels(o: &Object) -> Vec<(Str, Str)> {
    o.root
        .path(&["metadata", "labels"])
        .map(|m| {
            m.entries()
                .iter()
                .filter_map(|e| e.value.scalar_text().map(|v| (e.key.clone(), Str::from(v))))
                .collect()
        })
        .unwrap_or_default()
}
