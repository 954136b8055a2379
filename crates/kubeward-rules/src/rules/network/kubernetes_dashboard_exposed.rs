use crate::{Check, Cx, rule, util};
use kubeward_core::{Node, Object};

rule! {
    /// ## What it finds
    /// The Kubernetes Dashboard exposed outside the cluster:
    /// - a dashboard Service of `type: NodePort` or `LoadBalancer`, or with `externalIPs`;
    /// - an Ingress with a backend Service whose name contains `kubernetes-dashboard`
    ///   (rules' paths, `defaultBackend`, and the `extensions/v1beta1` `backend.serviceName`).
    ///
    /// A Service is a dashboard Service when its name contains `kubernetes-dashboard`, or its
    /// labels or selector have `k8s-app`, `app` or `app.kubernetes.io/name` equal to
    /// `kubernetes-dashboard`. The dashboard's `metrics-scraper` Service is not the UI and is
    /// skipped. An internal load balancer still counts: it exposes the dashboard to the whole
    /// network, not only to the cluster.
    ///
    /// ## Why it matters
    /// The dashboard is a full cluster-management interface. Exposed dashboards (Tesla's 2018
    /// cryptomining breach being the best known) let anyone who reaches them act with the
    /// dashboard's service account, often cluster-admin, or with skipped login. Microsoft's
    /// threat matrix lists it under Initial Access, "Exposed sensitive interfaces".
    ///
    /// ## How to fix
    /// Keep the dashboard Service `ClusterIP` and reach it with `kubectl port-forward` or
    /// `kubectl proxy`; if it must be published, put it behind an authenticating proxy with
    /// TLS, restricted to administrators' networks. Better, do not deploy it (see KW804).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata:
    ///   name: kubernetes-dashboard
    ///   namespace: kubernetes-dashboard
    /// spec:
    ///   type: NodePort   # KW307
    /// ```
    ///
    /// ## References
    /// - Microsoft Threat Matrix for Kubernetes: Exposed sensitive interfaces
    /// - Kubernetes Dashboard docs: accessing the dashboard
    pub static RULE {
        code: "KW307",
        name: "kubernetes-dashboard-exposed",
        severity: High,
        category: Network,
        summary: "Kubernetes Dashboard exposed outside the cluster",
        remediation: "Keep the dashboard Service ClusterIP and use `kubectl port-forward`, or remove the dashboard.",
        mitre: [(InitialAccess, "Exposed sensitive interfaces", "T1133")],
        nsa: ["Network separation and hardening"],
        cis: [],
        pss: None,
        check: Check::Object { kinds: &["Service", "Ingress"], check },
    }
}

const DASHBOARD: &str = "kubernetes-dashboard";

/// Is a Service of this name the dashboard (and not its metrics scraper)?
fn dashboard_name(name: &str) -> bool {
    name.contains(DASHBOARD) && !name.contains("metrics-scraper")
}

fn is_dashboard_service(obj: &Object) -> bool {
    if dashboard_name(&obj.name) {
        return true;
    }
    let keys = ["k8s-app", "app", "app.kubernetes.io/name"];
    let labels = obj.root.path(&["metadata", "labels"]);
    let selector = obj.root.path(&["spec", "selector"]);
    [labels, selector].into_iter().flatten().any(|m| {
        keys.iter()
            .any(|k| m.get(k).and_then(Node::as_str) == Some(DASHBOARD))
    })
}

fn check(obj: &Object, cx: &mut Cx<'_>) {
    match obj.kind.as_str() {
        "Service" => check_service(obj, cx),
        "Ingress" => check_ingress(obj, cx),
        _ => {}
    }
}

fn check_service(obj: &Object, cx: &mut Cx<'_>) {
    if !is_dashboard_service(obj) {
        return;
    }
    let Some(spec) = obj.root.get("spec") else {
        return;
    };
    if let Some(t) = spec.get("type")
        && matches!(t.as_str(), Some("NodePort" | "LoadBalancer"))
    {
        let how = if t.as_str() == Some("NodePort") {
            "on a port of every node"
        } else {
            "through a load balancer"
        };
        cx.report(
            "/spec/type",
            format_args!("Kubernetes Dashboard Service is exposed {how}"),
        )
        .evidence(util::show("type", t));
        return;
    }
    if let Some(ips) = spec.get("externalIPs")
        && !ips.items().is_empty()
    {
        cx.report(
            "/spec/externalIPs",
            "Kubernetes Dashboard Service is exposed on external IPs",
        )
        .evidence(util::show("externalIPs", ips));
    }
}

/// The backend Service name of an Ingress backend (v1 `service.name` or v1beta1 `serviceName`)
/// with the pointer suffix of the field.
fn backend_service(backend: &Node) -> Option<(&Node, &'static str)> {
    if let Some(n) = backend.path(&["service", "name"]) {
        return Some((n, "/service/name"));
    }
    backend.get("serviceName").map(|n| (n, "/serviceName"))
}

fn check_ingress(obj: &Object, cx: &mut Cx<'_>) {
    let Some(spec) = obj.root.get("spec") else {
        return;
    };
    let mut hits: Vec<(String, &Node)> = Vec::new();
    for key in ["defaultBackend", "backend"] {
        if let Some(b) = spec.get(key)
            && let Some((n, suffix)) = backend_service(b)
        {
            hits.push((format!("/spec/{key}{suffix}"), n));
        }
    }
    for (i, r) in spec
        .get("rules")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let paths = r
            .path(&["http", "paths"])
            .map(Node::items)
            .unwrap_or_default();
        for (j, p) in paths.iter().enumerate() {
            if let Some(b) = p.get("backend")
                && let Some((n, suffix)) = backend_service(b)
            {
                hits.push((format!("/spec/rules/{i}/http/paths/{j}/backend{suffix}"), n));
            }
        }
    }
    for (ptr, node) in hits {
        let Some(name) = node.as_str().filter(|n| dashboard_name(n)) else {
            continue;
        };
        cx.report(
            ptr,
            format_args!("Ingress routes to the Kubernetes Dashboard Service `{name}`"),
        )
        .evidence(util::show("service", node));
    }
}
