//! The authorizer: does a rule allow a request, who may make it, may a given user.
//!
//! Matching follows the API server's `rbac/v1` helpers (`VerbMatches`, `APIGroupMatches`,
//! `ResourceMatches`, `ResourceNameMatches`, `NonResourceURLMatches`):
//! - `*` in verbs, apiGroups or resources matches anything; `*/scale` matches the `scale`
//!   subresource of every resource; `pods/*` is **not** a wildcard (only `*/sub` is);
//! - a rule with `resourceNames` matches only requests for one of those names, so it never
//!   allows `list`, `watch`, `create` or `deletecollection` (no name);
//! - `nonResourceURLs` match exactly or by a trailing `*` prefix, and only through
//!   ClusterRoleBindings;
//! - a RoleBinding grants its role's rules only in its own namespace, and never cluster-scoped
//!   resources.

use crate::model::{Binding, Role, RoleKind, Rule, Subject};
use kubeward_core::Str;

/// A resource request (`kubectl auth can-i create pods/exec -n prod`) or a non-resource one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Resource {
        verb: Str,
        group: Str,
        resource: Str,
        subresource: Option<Str>,
        /// The object's name, when the request names one (`get`, `update`, ...).
        name: Option<Str>,
        /// `None`: a cluster-scoped resource, or every namespace at once.
        namespace: Option<Str>,
    },
    NonResource {
        verb: Str,
        path: Str,
    },
}

impl Request {
    pub fn verb(&self) -> &str {
        match self {
            Request::Resource { verb, .. } | Request::NonResource { verb, .. } => verb,
        }
    }

    /// `create pods/exec` (for messages).
    pub fn describe(&self) -> String {
        match self {
            Request::Resource {
                verb,
                group,
                resource,
                subresource,
                name,
                namespace,
            } => {
                let mut r = resource.to_string();
                if !group.is_empty() {
                    r.push('.');
                    r.push_str(group);
                }
                if let Some(s) = subresource {
                    r.push('/');
                    r.push_str(s);
                }
                let mut out = format!("{verb} {r}");
                if let Some(n) = name {
                    out.push_str(&format!(" `{n}`"));
                }
                match namespace {
                    Some(ns) => out.push_str(&format!(" in namespace {ns}")),
                    None => out.push_str(" (cluster-wide)"),
                }
                out
            }
            Request::NonResource { verb, path } => format!("{verb} {path}"),
        }
    }
}

/// Does `rule` allow `req`? (Binding scope is checked by the caller.)
pub fn rule_allows(rule: &Rule, req: &Request) -> bool {
    match req {
        Request::Resource {
            verb,
            group,
            resource,
            subresource,
            name,
            ..
        } => {
            verb_matches(rule, verb)
                && rule
                    .api_groups
                    .iter()
                    .any(|g| g == "*" || g == group.as_str())
                && resource_matches(rule, resource, subresource.as_deref())
                && (rule.resource_names.is_empty()
                    || name
                        .as_ref()
                        .is_some_and(|n| rule.resource_names.iter().any(|r| r == n)))
        }
        Request::NonResource { verb, path } => {
            verb_matches(rule, verb)
                && rule.non_resource_urls.iter().any(|u| {
                    u == "*"
                        || u == path
                        || u.strip_suffix('*').is_some_and(|p| path.starts_with(p))
                })
        }
    }
}

fn verb_matches(rule: &Rule, verb: &str) -> bool {
    rule.verbs.iter().any(|v| v == "*" || v == verb)
}

fn resource_matches(rule: &Rule, resource: &str, subresource: Option<&str>) -> bool {
    rule.resources.iter().any(|r| {
        if r == "*" {
            return true;
        }
        match subresource {
            None => r == resource,
            Some(sub) => {
                r.strip_prefix(resource)
                    .and_then(|rest| rest.strip_prefix('/'))
                    .is_some_and(|s| s == sub)
                    || r.strip_prefix("*/").is_some_and(|s| s == sub)
            }
        }
    })
}

/// Where a grant applies.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Through a ClusterRoleBinding: every namespace and cluster-scoped resources.
    Cluster,
    /// Through a RoleBinding: this namespace only.
    Namespace(Str),
}

impl Scope {
    pub fn display(&self) -> String {
        match self {
            Scope::Cluster => "cluster-wide".to_string(),
            Scope::Namespace(ns) => format!("namespace {ns}"),
        }
    }
}

/// One way a subject is allowed a request: the binding, the role, the rule.
#[derive(Debug, Clone)]
pub struct Grant<'a> {
    pub subject: &'a Subject,
    pub binding: &'a Binding,
    pub role: &'a Role,
    pub rule: &'a Rule,
    pub scope: Scope,
}

impl Grant<'_> {
    /// `ClusterRoleBinding/ci -> ClusterRole/deployer rules[2]: verbs [create] on [pods/exec]`.
    pub fn evidence(&self) -> String {
        let origin = if self.rule.origin.role == self.role.name {
            format!("rules[{}]", self.rule.origin.index)
        } else {
            format!(
                "rules[{}] of ClusterRole/{} (aggregated)",
                self.rule.origin.index, self.rule.origin.role
            )
        };
        format!(
            "{} -> {} {origin}: {}",
            self.binding.display(),
            self.role.display(),
            self.rule.describe()
        )
    }
}

/// Does a binding of this kind, in this namespace, reach `req`?
pub(crate) fn binding_reaches(binding: &Binding, role: &Role, req: &Request) -> Option<Scope> {
    match (&binding.namespace, req) {
        (None, _) => Some(Scope::Cluster),
        // RoleBindings never grant non-resource URLs.
        (Some(_), Request::NonResource { .. }) => None,
        (Some(bns), Request::Resource { namespace, .. }) => {
            // A RoleBinding referring to a Role in another namespace is not valid.
            if role.kind == RoleKind::Role && role.namespace.as_ref() != Some(bns) {
                return None;
            }
            match namespace {
                Some(ns) if ns == bns => Some(Scope::Namespace(bns.clone())),
                _ => None,
            }
        }
    }
}

/// The groups the API server gives a user name on top of those it was given: every
/// authenticated user is in `system:authenticated`; a service account's token adds
/// `system:serviceaccounts` and `system:serviceaccounts:<ns>`; `system:anonymous` is in
/// `system:unauthenticated` only.
pub fn implied_groups(user: &str) -> Vec<Str> {
    if user == "system:anonymous" {
        return vec!["system:unauthenticated".into()];
    }
    let mut groups: Vec<Str> = vec!["system:authenticated".into()];
    if let Some(rest) = user.strip_prefix("system:serviceaccount:")
        && let Some((ns, _)) = rest.split_once(':')
    {
        groups.push("system:serviceaccounts".into());
        groups.push(format!("system:serviceaccounts:{ns}").into());
    }
    groups
}

/// Does a binding subject cover the user `user` in `groups`?
pub fn subject_covers(subject: &Subject, user: &str, groups: &[Str]) -> bool {
    match subject {
        Subject::User(u) => u == user,
        Subject::Group(g) => groups.iter().any(|x| x == g),
        Subject::ServiceAccount { namespace, name } => user
            .strip_prefix("system:serviceaccount:")
            .and_then(|rest| rest.split_once(':'))
            .is_some_and(|(ns, n)| ns == namespace.as_str() && n == name.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(verbs: &[&str], groups: &[&str], resources: &[&str], names: &[&str]) -> Rule {
        let v = |x: &[&str]| x.iter().map(|s| Str::from(*s)).collect();
        Rule {
            verbs: v(verbs),
            api_groups: v(groups),
            resources: v(resources),
            resource_names: v(names),
            ..Rule::default()
        }
    }

    fn req(
        verb: &str,
        group: &str,
        resource: &str,
        sub: Option<&str>,
        name: Option<&str>,
    ) -> Request {
        Request::Resource {
            verb: verb.into(),
            group: group.into(),
            resource: resource.into(),
            subresource: sub.map(Str::from),
            name: name.map(Str::from),
            namespace: Some("dev".into()),
        }
    }

    #[test]
    fn api_groups_are_respected() {
        let r = rule(&["get"], &["example.com"], &["secrets"], &[]);
        assert!(!rule_allows(&r, &req("get", "", "secrets", None, None)));
        assert!(rule_allows(
            &r,
            &req("get", "example.com", "secrets", None, None)
        ));
        let any = rule(&["get"], &["*"], &["secrets"], &[]);
        assert!(rule_allows(&any, &req("get", "", "secrets", None, None)));
    }

    #[test]
    fn subresources_and_their_wildcards() {
        let exec = req("create", "", "pods", Some("exec"), None);
        assert!(rule_allows(
            &rule(&["create"], &[""], &["pods/exec"], &[]),
            &exec
        ));
        assert!(rule_allows(
            &rule(&["create"], &[""], &["*/exec"], &[]),
            &exec
        ));
        assert!(rule_allows(&rule(&["create"], &[""], &["*"], &[]), &exec));
        // `pods` does not include its subresources, and `pods/*` is not a wildcard.
        assert!(!rule_allows(
            &rule(&["create"], &[""], &["pods"], &[]),
            &exec
        ));
        assert!(!rule_allows(
            &rule(&["create"], &[""], &["pods/*"], &[]),
            &exec
        ));
        // `*/scale` is every resource's scale subresource, not the resources themselves.
        let scale = rule(&["update"], &["apps"], &["*/scale"], &[]);
        assert!(rule_allows(
            &scale,
            &req("update", "apps", "deployments", Some("scale"), None)
        ));
        assert!(!rule_allows(
            &scale,
            &req("update", "apps", "deployments", None, None)
        ));
    }

    #[test]
    fn resource_names_limit_to_named_requests() {
        let r = rule(&["get", "list"], &[""], &["secrets"], &["app-tls"]);
        assert!(rule_allows(
            &r,
            &req("get", "", "secrets", None, Some("app-tls"))
        ));
        assert!(!rule_allows(
            &r,
            &req("get", "", "secrets", None, Some("db"))
        ));
        assert!(!rule_allows(&r, &req("list", "", "secrets", None, None)));
    }

    #[test]
    fn non_resource_urls_match_exactly_or_by_a_trailing_star() {
        let r = Rule {
            verbs: vec!["get".into()],
            non_resource_urls: vec!["/healthz".into(), "/api/*".into()],
            ..Rule::default()
        };
        let nr = |p: &str| Request::NonResource {
            verb: "get".into(),
            path: p.into(),
        };
        assert!(rule_allows(&r, &nr("/healthz")));
        assert!(!rule_allows(&r, &nr("/healthz/ready")));
        assert!(rule_allows(&r, &nr("/api/v1")));
        assert!(!rule_allows(&r, &nr("/apis")));
        // A non-resource rule grants no resources.
        assert!(!rule_allows(&r, &req("get", "", "pods", None, None)));
    }

    #[test]
    fn groups_implied_by_user_names() {
        assert_eq!(
            implied_groups("system:serviceaccount:ci:deployer"),
            [
                "system:authenticated",
                "system:serviceaccounts",
                "system:serviceaccounts:ci"
            ]
        );
        assert_eq!(
            implied_groups("system:anonymous"),
            ["system:unauthenticated"]
        );
        let sa = Subject::ServiceAccount {
            namespace: "ci".into(),
            name: "deployer".into(),
        };
        assert!(subject_covers(
            &sa,
            "system:serviceaccount:ci:deployer",
            &[]
        ));
        assert!(!subject_covers(&sa, "system:serviceaccount:ci:other", &[]));
    }
}
