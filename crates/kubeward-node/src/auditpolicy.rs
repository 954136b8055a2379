//! The API server's audit policy (`--audit-policy-file`), evaluated with the API server's
//! semantics: rules in order, the first that matches a request sets its level, no match means
//! `None`. A request is matched for an ordinary user (no `users:` restriction applies to it;
//! `userGroups` applies when it names `system:authenticated`) in an application namespace.
//!
//! What CIS 3.2.2 asks for: Secrets, ConfigMaps and TokenReviews logged at `Metadata` (not
//! less, and not `Request`/`RequestResponse`, which would write their content to the log);
//! `pods/exec`, `pods/portforward`, `pods/proxy`, `services/proxy` logged; changes to Pods
//! and Deployments logged.

use crate::error::Problem;
use crate::yamlfile::{expect_kind, parse_text};
use kubeward_core::{Node, Value};
use serde::Serialize;

/// Audit levels, least first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Level {
    None,
    Metadata,
    Request,
    RequestResponse,
}

impl Level {
    fn parse(s: &str) -> Option<Level> {
        Some(match s {
            "None" => Level::None,
            "Metadata" => Level::Metadata,
            "Request" => Level::Request,
            "RequestResponse" => Level::RequestResponse,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "None",
            Level::Metadata => "Metadata",
            Level::Request => "Request",
            Level::RequestResponse => "RequestResponse",
        }
    }
}

#[derive(Debug, Clone)]
struct GroupResources {
    group: String,
    resources: Vec<String>,
    resource_names: Vec<String>,
}

#[derive(Debug, Clone)]
struct Rule {
    level: Level,
    line: u32,
    users: Vec<String>,
    user_groups: Vec<String>,
    verbs: Vec<String>,
    resources: Vec<GroupResources>,
    namespaces: Vec<String>,
    non_resource_urls: Vec<String>,
}

/// A parsed audit policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub path: String,
    rules: Vec<Rule>,
}

/// One request the policy is asked about.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub verb: &'a str,
    pub group: &'a str,
    pub resource: &'a str,
    pub subresource: &'a str,
    /// `""` for a cluster-scoped resource.
    pub namespace: &'a str,
}

/// What the policy does with a concern of CIS 3.2.2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Concern {
    pub what: String,
    /// The lowest and highest level among the concern's requests.
    pub level: String,
    /// The rule that decides (its line), when one matches.
    pub line: Option<u32>,
    pub ok: bool,
    pub problem: Option<String>,
}

impl Policy {
    pub fn parse(path: &str, text: &str) -> Result<Policy, Problem> {
        let doc = parse_text(path, text)?;
        expect_kind(path, &doc, "Policy", &["audit.k8s.io"])?;
        let err = |n: &Node, m: String| Problem::new(path, n.pos.line, n.pos.col, m);
        let rules_node = doc.get("rules").ok_or_else(|| {
            err(
                &doc,
                "expected `rules:` (an audit policy needs at least one rule)".into(),
            )
        })?;
        if !matches!(rules_node.value, Value::Seq(_)) {
            return Err(err(
                rules_node,
                format!(
                    "expected `rules` to be a list, found {}",
                    rules_node.type_name()
                ),
            ));
        }
        let strings = |n: Option<&Node>, what: &str| -> Result<Vec<String>, Problem> {
            let Some(n) = n else { return Ok(Vec::new()) };
            if !matches!(n.value, Value::Seq(_)) {
                return Err(err(
                    n,
                    format!("expected `{what}` to be a list, found {}", n.type_name()),
                ));
            }
            n.items()
                .iter()
                .map(|i| {
                    i.scalar_text().ok_or_else(|| {
                        err(
                            i,
                            format!("expected a string in `{what}`, found {}", i.type_name()),
                        )
                    })
                })
                .collect()
        };
        let mut rules = Vec::new();
        for r in rules_node.items() {
            let level_node = r
                .get("level")
                .ok_or_else(|| err(r, "expected `level` in the rule".into()))?;
            let level = level_node.as_str().and_then(Level::parse).ok_or_else(|| {
                err(
                    level_node,
                    format!(
                        "expected level None, Metadata, Request or RequestResponse, found `{}`",
                        level_node.scalar_text().unwrap_or_default()
                    ),
                )
            })?;
            let mut resources = Vec::new();
            if let Some(list) = r.get("resources") {
                for g in list.items() {
                    resources.push(GroupResources {
                        group: g
                            .get("group")
                            .and_then(Node::scalar_text)
                            .unwrap_or_default(),
                        resources: strings(g.get("resources"), "resources")?,
                        resource_names: strings(g.get("resourceNames"), "resourceNames")?,
                    });
                }
            }
            rules.push(Rule {
                level,
                line: r.pos.line,
                users: strings(r.get("users"), "users")?,
                user_groups: strings(r.get("userGroups"), "userGroups")?,
                verbs: strings(r.get("verbs"), "verbs")?,
                resources,
                namespaces: strings(r.get("namespaces"), "namespaces")?,
                non_resource_urls: strings(r.get("nonResourceURLs"), "nonResourceURLs")?,
            });
        }
        Ok(Policy {
            path: path.to_string(),
            rules,
        })
    }

    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// The level of a request from an ordinary authenticated user, and the deciding rule's line.
    pub fn level(&self, req: &Request<'_>) -> (Level, Option<u32>) {
        for r in &self.rules {
            if matches(r, req) {
                return (r.level, Some(r.line));
            }
        }
        (Level::None, None)
    }

    /// The CIS 3.2.2 concerns, each judged.
    pub fn concerns(&self) -> Vec<Concern> {
        let read_write = [
            "get", "list", "watch", "create", "update", "patch", "delete",
        ];
        let changes = ["create", "update", "patch", "delete"];
        let mut out = Vec::new();
        let sensitive: [(&str, &str, &str, &[&str]); 3] = [
            ("secrets", "", "app", &read_write),
            ("configmaps", "", "app", &read_write),
            ("tokenreviews", "authentication.k8s.io", "", &["create"]),
        ];
        for (res, group, ns, verbs) in sensitive {
            let levels: Vec<(Level, Option<u32>)> = verbs
                .iter()
                .map(|v| {
                    self.level(&Request {
                        verb: v,
                        group,
                        resource: res,
                        subresource: "",
                        namespace: ns,
                    })
                })
                .collect();
            let (min, max, line) = span(&levels);
            let problem = if min == Level::None {
                Some(format!("some {res} requests are not audited (level None)"))
            } else if max > Level::Metadata {
                Some(format!(
                    "{res} are audited at {} level: their content is written to the audit log",
                    max.as_str()
                ))
            } else {
                None
            };
            out.push(concern(
                format!("{res} at Metadata"),
                min,
                max,
                line,
                problem,
            ));
        }
        for (res, sub) in [
            ("pods", "exec"),
            ("pods", "portforward"),
            ("pods", "proxy"),
            ("services", "proxy"),
        ] {
            let levels: Vec<_> = ["create", "get"]
                .iter()
                .map(|v| {
                    self.level(&Request {
                        verb: v,
                        group: "",
                        resource: res,
                        subresource: sub,
                        namespace: "app",
                    })
                })
                .collect();
            let (min, max, line) = span(&levels);
            let problem =
                (min == Level::None).then(|| format!("{res}/{sub} requests are not audited"));
            out.push(concern(
                format!("{res}/{sub} audited"),
                min,
                max,
                line,
                problem,
            ));
        }
        for (res, group) in [("pods", ""), ("deployments", "apps")] {
            let levels: Vec<_> = changes
                .iter()
                .map(|v| {
                    self.level(&Request {
                        verb: v,
                        group,
                        resource: res,
                        subresource: "",
                        namespace: "app",
                    })
                })
                .collect();
            let (min, max, line) = span(&levels);
            let problem = (min == Level::None).then(|| format!("changes to {res} are not audited"));
            out.push(concern(
                format!("{res} changes audited"),
                min,
                max,
                line,
                problem,
            ));
        }
        out
    }
}

fn span(levels: &[(Level, Option<u32>)]) -> (Level, Level, Option<u32>) {
    let min = levels.iter().map(|l| l.0).min().unwrap_or(Level::None);
    let max = levels.iter().map(|l| l.0).max().unwrap_or(Level::None);
    let line = levels.iter().find(|l| l.0 == min).and_then(|l| l.1);
    (min, max, line)
}

fn concern(
    what: String,
    min: Level,
    max: Level,
    line: Option<u32>,
    problem: Option<String>,
) -> Concern {
    Concern {
        what,
        level: if min == max {
            min.as_str().to_string()
        } else {
            format!("{}..{}", min.as_str(), max.as_str())
        },
        line,
        ok: problem.is_none(),
        problem,
    }
}

/// The API server's rule matching (`k8s.io/apiserver/pkg/audit/policy/checker.go`) for an
/// ordinary authenticated user.
fn matches(r: &Rule, req: &Request<'_>) -> bool {
    if !r.users.is_empty() {
        return false;
    }
    if !r.user_groups.is_empty() && !r.user_groups.iter().any(|g| g == "system:authenticated") {
        return false;
    }
    if !r.verbs.is_empty() && !r.verbs.iter().any(|v| v == req.verb || v == "*") {
        return false;
    }
    if !r.non_resource_urls.is_empty() {
        return false;
    }
    if !r.namespaces.is_empty() && !r.namespaces.iter().any(|n| n == req.namespace) {
        return false;
    }
    if r.resources.is_empty() {
        return true;
    }
    let combined = if req.subresource.is_empty() {
        req.resource.to_string()
    } else {
        format!("{}/{}", req.resource, req.subresource)
    };
    r.resources.iter().any(|gr| {
        if gr.group != req.group {
            return false;
        }
        if gr.resources.is_empty() {
            return true;
        }
        // Requests here have a generic name: resourceNames-restricted rules do not match.
        if !gr.resource_names.is_empty() {
            return false;
        }
        gr.resources.iter().any(|res| {
            *res == combined
                || res == "*"
                || (!req.subresource.is_empty() && res.strip_prefix("*/") == Some(req.subresource))
                || res.strip_suffix("/*") == Some(req.resource)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "apiVersion: audit.k8s.io/v1\nkind: Policy\n";

    #[test]
    fn a_good_policy() {
        let p = Policy::parse(
            "/p.yaml",
            &format!(
                "{HEAD}rules:\n- level: None\n  users: [system:kube-proxy]\n- level: Metadata\n  resources:\n  - group: \"\"\n    resources: [secrets, configmaps]\n  - group: authentication.k8s.io\n    resources: [tokenreviews]\n- level: RequestResponse\n  resources:\n  - group: \"\"\n    resources: [pods/exec, pods/portforward, pods/proxy, services/proxy]\n- level: Request\n  verbs: [create, update, patch, delete]\n  resources:\n  - group: \"\"\n    resources: [pods]\n  - group: apps\n    resources: [deployments]\n- level: Metadata\n"
            ),
        )
        .unwrap();
        let concerns = p.concerns();
        assert!(concerns.iter().all(|c| c.ok), "{concerns:#?}");
        assert_eq!(concerns[0].line, Some(6));
    }

    #[test]
    fn request_level_secrets_and_unaudited_exec() {
        let p = Policy::parse(
            "/p.yaml",
            &format!(
                "{HEAD}rules:\n- level: None\n  resources:\n  - group: \"\"\n    resources: [\"pods/*\"]\n- level: RequestResponse\n"
            ),
        )
        .unwrap();
        let c = p.concerns();
        let bad: Vec<&str> = c.iter().filter_map(|c| c.problem.as_deref()).collect();
        assert!(
            bad.iter()
                .any(|m| m.contains("secrets are audited at RequestResponse")),
            "{bad:?}"
        );
        assert!(
            bad.iter()
                .any(|m| m.contains("pods/exec requests are not audited")),
            "{bad:?}"
        );
        assert!(
            bad.iter()
                .any(|m| m.contains("changes to pods are not audited")),
            "{bad:?}"
        );
        assert!(!bad.iter().any(|m| m.contains("services/proxy")), "{bad:?}");
    }

    #[test]
    fn malformed_policies_are_problems_with_lines() {
        let e = Policy::parse("/p.yaml", &format!("{HEAD}rules:\n- level: Loud\n")).unwrap_err();
        assert_eq!(
            (e.line, e.message.as_str()),
            (
                4,
                "expected level None, Metadata, Request or RequestResponse, found `Loud`"
            )
        );
        let e = Policy::parse(
            "/p.yaml",
            &format!("{HEAD}rules:\n- level: None\n  verbs: get\n"),
        )
        .unwrap_err();
        assert!(e.message.contains("`verbs` to be a list"), "{e}");
        let e = Policy::parse("/p.yaml", HEAD).unwrap_err();
        assert!(e.message.contains("expected `rules:`"), "{e}");
    }
}
