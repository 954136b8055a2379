//! What an anonymous request answered with a 2xx reveals: shared by KW601 (public information
//! only) and KW603 (discovery, resources and anything else).
//!
//! The cluster scan repeats a few requests without credentials and records each answer in the
//! `Cluster` object's `status.anonymous` (`[{path, status}]`, see `kubeward_core::cluster`).
//! 401 means anonymous authentication is off; 403 that it is on but nothing is granted; a 2xx
//! that the authorizer lets `system:anonymous` (group `system:unauthenticated`) read the path.

use crate::Cx;
use kubeward_core::{Node, Object};

/// Who reads what, for messages.
const GRANTEE: &str = "system:anonymous or system:unauthenticated";

/// How much an anonymous `GET` of a path reveals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Exposure {
    /// Paths Kubernetes makes public by default (`system:public-info-viewer`: version and
    /// health) or that are designed to be public (service-account issuer discovery). The text
    /// says what an anonymous user learns.
    PublicInfo(String),
    /// Anything else: API discovery, resources, metrics, logs. The text says what an
    /// anonymous user can do.
    Api(String),
}

/// One allowed anonymous request of a `Cluster` object.
#[derive(Debug)]
pub(super) struct Allowed<'a> {
    /// Index in `status.anonymous`.
    pub index: usize,
    pub path: &'a str,
    pub status: i64,
    pub exposure: Exposure,
}

/// The requests in `status.anonymous` that were answered with a 2xx. Entries without a path or
/// with a status that is not a number are skipped (nothing can be said about them).
pub(super) fn allowed(obj: &Object) -> Vec<Allowed<'_>> {
    let Some(list) = obj.root.path(&["status", "anonymous"]) else {
        return Vec::new();
    };
    list.items()
        .iter()
        .enumerate()
        .filter_map(|(index, entry)| {
            let path = entry
                .get("path")
                .and_then(Node::as_str)
                .filter(|p| !p.trim().is_empty())?;
            let status = entry.get("status").and_then(|s| {
                s.as_i64()
                    .or_else(|| s.as_str().and_then(|t| t.trim().parse().ok()))
            })?;
            (200..300).contains(&status).then(|| Allowed {
                index,
                path,
                status,
                exposure: classify(path),
            })
        })
        .collect()
}

/// Reports one allowed request at its `status` field.
pub(super) fn report(cx: &mut Cx<'_>, a: &Allowed<'_>, message: &str) {
    cx.report(
        format_args!("/status/anonymous/{}/status", a.index),
        message,
    )
    .evidence(format_args!("GET {} -> {}", a.path, a.status));
}

/// What an anonymous `GET path` that succeeded reveals.
pub(super) fn classify(path: &str) -> Exposure {
    let clean = path
        .trim()
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .trim_end_matches('/');
    let segments: Vec<&str> = clean.split('/').filter(|s| !s.is_empty()).collect();
    let shown = if clean.is_empty() { "/" } else { clean };
    match segments.as_slice() {
        ["version"] => Exposure::PublicInfo(format!(
            "the server version (`{shown}`, granted by the default system:public-info-viewer role), which tells an attacker which known vulnerabilities apply"
        )),
        ["version", ..] => Exposure::PublicInfo(format!(
            "the server version (`{shown}`), which tells an attacker which known vulnerabilities apply"
        )),
        [first] if matches!(*first, "healthz" | "livez" | "readyz") => {
            Exposure::PublicInfo(format!(
                "the server's health checks (`{shown}`, granted by the default system:public-info-viewer role)"
            ))
        }
        [first, ..] if matches!(*first, "healthz" | "livez" | "readyz") => {
            Exposure::PublicInfo(format!("the server's health checks (`{shown}`)"))
        }
        [".well-known", "openid-configuration"] | ["openid", "v1", "jwks"] => {
            Exposure::PublicInfo(format!(
                "the service-account issuer's OIDC discovery document (`{shown}`), often made public on purpose for workload identity federation"
            ))
        }
        [
            "api",
            "v1",
            "namespaces",
            "kube-public",
            "configmaps",
            "cluster-info",
        ] => Exposure::PublicInfo(format!(
            "kubeadm's `cluster-info` ConfigMap (`{shown}`: the cluster CA certificate and API server address), which kubeadm makes public on purpose for node bootstrap"
        )),
        [] => Exposure::Api(format!(
            "list the API server's paths (`/`): RBAC grants {GRANTEE} more than Kubernetes does by default"
        )),
        ["api"] | ["api", _] | ["apis"] | ["apis", _] | ["apis", _, _] => Exposure::Api(format!(
            "enumerate the API's groups and resources (discovery, `{shown}`): RBAC grants discovery to {GRANTEE}, which Kubernetes has not done by default since 1.14; the scan probes only a few paths, so more may be readable"
        )),
        ["openapi", ..] => Exposure::Api(format!(
            "read the API's OpenAPI schema (discovery, `{shown}`): RBAC grants discovery to {GRANTEE}, which Kubernetes has not done by default since 1.14"
        )),
        ["api", _, rest @ ..] => resource(rest, None, shown),
        ["apis", group, _, rest @ ..] => resource(rest, Some(group), shown),
        ["metrics", ..] => Exposure::Api(format!(
            "read the API server's metrics (`{shown}`): RBAC grants {GRANTEE} a non-resource URL that is not public by default"
        )),
        ["logs", ..] => Exposure::Api(format!(
            "read the control-plane node's log files (`{shown}`): RBAC grants {GRANTEE} a non-resource URL that is not public by default"
        )),
        ["debug", ..] => Exposure::Api(format!(
            "reach the API server's debug endpoints (`{shown}`): RBAC grants {GRANTEE} a non-resource URL that is not public by default"
        )),
        _ => Exposure::Api(format!(
            "read `{shown}`: RBAC grants {GRANTEE} a path that is not public by default"
        )),
    }
}

/// `rest` is what follows `/api/v1` or `/apis/<group>/<version>`: a resource list, an object,
/// or a subresource, possibly under `namespaces/<ns>/`.
fn resource(rest: &[&str], group: Option<&str>, shown: &str) -> Exposure {
    let (namespace, tail) = match rest {
        ["namespaces", ns, tail @ ..] if !tail.is_empty() => (Some(*ns), tail),
        _ => (None, rest),
    };
    let qualified = |r: &str| match group {
        Some(g) => format!("{r}.{g}"),
        None => r.to_string(),
    };
    let what = match tail {
        [r] => {
            let values = if *r == "secrets" {
                ", values included"
            } else {
                ""
            };
            format!("list {}{values}", qualified(r))
        }
        [r, more @ ..] => format!("read `{}/{}`", qualified(r), more.join("/")),
        [] => format!("read `{shown}`"),
    };
    let scope = match namespace {
        Some(ns) => format!(" in namespace `{ns}`"),
        None => String::new(),
    };
    Exposure::Api(format!(
        "{what}{scope} (`{shown}`): RBAC grants reads to {GRANTEE}"
    ))
}

#[cfg(test)]
mod tests {
    use super::{Exposure, classify};

    fn api(path: &str) -> String {
        match classify(path) {
            Exposure::Api(s) => s,
            Exposure::PublicInfo(s) => panic!("{path} classified as public info: {s}"),
        }
    }

    fn public(path: &str) -> String {
        match classify(path) {
            Exposure::PublicInfo(s) => s,
            Exposure::Api(s) => panic!("{path} classified as API access: {s}"),
        }
    }

    #[test]
    fn public_information() {
        assert!(public("/version").starts_with("the server version (`/version`, granted by"));
        assert!(public("/version/").contains("(`/version`, granted by"));
        assert!(public("/healthz").contains("health checks (`/healthz`, granted by"));
        assert!(public("/livez?verbose").contains("(`/livez`, granted by"));
        // Sub-paths are not granted by the default role: no claim that they are.
        assert_eq!(
            public("/readyz/etcd"),
            "the server's health checks (`/readyz/etcd`)"
        );
        assert!(public("/.well-known/openid-configuration").contains("OIDC"));
        assert!(public("/openid/v1/jwks").contains("OIDC"));
        assert!(
            public("/api/v1/namespaces/kube-public/configmaps/cluster-info").contains("kubeadm")
        );
    }

    #[test]
    fn discovery() {
        for p in [
            "/api",
            "/api/",
            "/apis",
            "/api/v1",
            "/apis/apps",
            "/apis/apps/v1",
        ] {
            assert!(api(p).starts_with("enumerate the API's groups"), "{p}");
        }
        assert!(api("/openapi/v2").starts_with("read the API's OpenAPI schema"));
        assert!(api("/").starts_with("list the API server's paths"));
        assert!(api("").starts_with("list the API server's paths"));
    }

    #[test]
    fn resources() {
        assert!(
            api("/api/v1/namespaces").starts_with("list namespaces (`/api/v1/namespaces`)"),
            "{}",
            api("/api/v1/namespaces")
        );
        assert!(api("/api/v1/namespaces?limit=1").starts_with("list namespaces ("));
        assert!(api("/api/v1/namespaces/default").starts_with("read `namespaces/default`"));
        assert!(api("/api/v1/secrets").starts_with("list secrets, values included ("));
        assert!(api("/api/v1/namespaces/prod/pods").starts_with("list pods in namespace `prod`"));
        assert!(
            api("/api/v1/namespaces/prod/pods/web/log")
                .starts_with("read `pods/web/log` in namespace `prod`")
        );
        assert!(
            api("/apis/apps/v1/namespaces/prod/deployments")
                .starts_with("list deployments.apps in namespace `prod`")
        );
        assert!(
            api("/apis/rbac.authorization.k8s.io/v1/clusterroles")
                .starts_with("list clusterroles.rbac.authorization.k8s.io")
        );
        assert!(api("/api/v1/namespaces").contains("system:anonymous"));
    }

    #[test]
    fn other_paths() {
        assert!(api("/metrics").starts_with("read the API server's metrics"));
        assert!(api("/logs/").starts_with("read the control-plane node's log files"));
        assert!(api("/debug/pprof/heap").starts_with("reach the API server's debug endpoints"));
        assert!(api("/something/else").starts_with("read `/something/else`"));
        // Odd input never panics.
        for p in [
            "//",
            "?",
            "#",
            "/api/v1/namespaces//",
            "/apis//v1/x",
            "\u{0}",
            "/api/v1/namespaces/x",
        ] {
            let _ = classify(p);
        }
    }
}
