//! `kubeward rbac who-can | can`: RBAC questions answered with the API server's semantics.

use anyhow::{Result, bail};
use kubeward_core::{Object, Str};
use kubeward_rbac::{Grant, Rbac, Request, Scope, Subject};
use serde_json::json;
use std::io::Write;

/// Parses `pods`, `pods/exec`, `deployments.apps`, `deployments.apps/scale` or a non-resource
/// URL (`/metrics`) into a request for `verb`.
pub fn parse_request(
    verb: &str,
    what: &str,
    namespace: Option<&str>,
    name: Option<&str>,
) -> Result<Request> {
    if what.starts_with('/') {
        return Ok(Request::NonResource {
            verb: verb.into(),
            path: what.into(),
        });
    }
    let (resource, subresource) = match what.split_once('/') {
        Some((r, s)) if !s.is_empty() => (r, Some(Str::from(s))),
        _ => (what.trim_end_matches('/'), None),
    };
    let (resource, group) = match resource.split_once('.') {
        Some((r, g)) => (r, g.to_string()),
        None => match kubeward_rbac::group_of(resource) {
            Some(g) => (resource, g.to_string()),
            None => bail!(
                "unknown resource `{resource}`: write it with its API group, e.g. `{resource}.example.com`"
            ),
        },
    };
    if resource.is_empty() || verb.is_empty() {
        bail!("expected a verb and a resource, e.g. `create pods/exec`");
    }
    // A cluster-scoped resource has no namespace, whatever -n says.
    let namespaced = kubeward_rbac::is_namespaced(resource).unwrap_or(true);
    Ok(Request::Resource {
        verb: verb.into(),
        group: group.into(),
        resource: resource.into(),
        subresource,
        name: name.map(Str::from),
        namespace: namespace.filter(|_| namespaced).map(Str::from),
    })
}

/// The RBAC objects of `objects`, with Kubernetes' defaults.
pub fn rbac_of(objects: &[Object]) -> Rbac {
    Rbac::new(objects.iter().filter(|o| {
        matches!(
            o.kind.as_str(),
            "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding"
        )
    }))
}

fn subject_json(s: &Subject) -> serde_json::Value {
    match s {
        Subject::User(u) => json!({"kind": "User", "name": u.as_str()}),
        Subject::Group(g) => json!({"kind": "Group", "name": g.as_str()}),
        Subject::ServiceAccount { namespace, name } => {
            json!({"kind": "ServiceAccount", "namespace": namespace.as_str(), "name": name.as_str()})
        }
    }
}

fn grant_json(g: &Grant<'_>) -> serde_json::Value {
    let binding = &g.binding;
    let mut b = json!({
        "kind": if binding.cluster { "ClusterRoleBinding" } else { "RoleBinding" },
        "name": binding.name.as_str(),
        "namespace": binding.namespace.as_deref(),
        "default": binding.default,
    });
    if let Some(src) = &binding.source {
        b["file"] = json!(&*src.file);
        b["line"] = json!(src.pos.line);
    }
    json!({
        "subject": subject_json(g.subject),
        "scope": match &g.scope {
            Scope::Cluster => json!({"cluster": true}),
            Scope::Namespace(ns) => json!({"namespace": ns.as_str()}),
        },
        "binding": b,
        "role": {
            "kind": g.role.kind.as_str(),
            "name": g.role.name.as_str(),
            "namespace": g.role.namespace.as_deref(),
            "default": g.role.default,
        },
        "rule": {
            "role": g.rule.origin.role.as_str(),
            "index": g.rule.origin.index,
            "verbs": g.rule.verbs.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "apiGroups": g.rule.api_groups.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "resources": g.rule.resources.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "resourceNames": g.rule.resource_names.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "nonResourceURLs": g.rule.non_resource_urls.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        },
        "evidence": g.evidence(),
    })
}

/// Writes the grants as a table or JSON.
pub fn write_grants(
    out: &mut dyn Write,
    json_format: bool,
    title: &str,
    req: &Request,
    grants: &[Grant<'_>],
) -> Result<()> {
    if json_format {
        let v = json!({
            "request": req.describe(),
            "allowed": !grants.is_empty(),
            "grants": grants.iter().map(grant_json).collect::<Vec<_>>(),
        });
        serde_json::to_writer_pretty(&mut *out, &v)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(out, "{title}")?;
    if grants.is_empty() {
        writeln!(out, "  nobody")?;
        return Ok(());
    }
    let width = grants
        .iter()
        .map(|g| g.subject.display().chars().count())
        .max()
        .unwrap_or(0);
    for g in grants {
        writeln!(
            out,
            "  {:<width$}  {:<22}  {}",
            g.subject.display(),
            g.scope.display(),
            g.evidence()
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse_like_kubectl_auth_can_i() {
        let r = parse_request("create", "pods/exec", Some("prod"), None).unwrap();
        assert_eq!(r.describe(), "create pods/exec in namespace prod");
        let r = parse_request("update", "deployments.apps/scale", Some("dev"), None).unwrap();
        assert_eq!(
            r.describe(),
            "update deployments.apps/scale in namespace dev"
        );
        let r = parse_request("get", "deployments", None, Some("web")).unwrap();
        assert_eq!(r.describe(), "get deployments.apps `web` (cluster-wide)");
        // Nodes are cluster-scoped: -n is ignored.
        let r = parse_request("get", "nodes/proxy", Some("dev"), None).unwrap();
        assert_eq!(r.describe(), "get nodes/proxy (cluster-wide)");
        assert!(matches!(
            parse_request("get", "/metrics", None, None).unwrap(),
            Request::NonResource { .. }
        ));
        assert!(parse_request("get", "widgets", None, None).is_err());
        assert!(parse_request("get", "widgets.example.com", None, None).is_ok());
    }
}
