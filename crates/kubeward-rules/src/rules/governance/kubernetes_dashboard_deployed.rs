use crate::{Check, Cx, rule};
use kubeward_core::PodView;

rule! {
    /// ## What it finds
    /// Containers running the Kubernetes Dashboard image: `kubernetesui/dashboard` (and the
    /// v3 `dashboard-api`, `dashboard-web`, `dashboard-auth` images), the older
    /// `k8s.gcr.io/kubernetes-dashboard-amd64` (any architecture), and images under
    /// `registry.k8s.io/dashboard/` or `k8s.gcr.io/dashboard/`, from any registry or mirror.
    /// The dashboard's `metrics-scraper` image is not the UI and is not flagged.
    ///
    /// The image decides, not labels: `k8s-app: kubernetes-dashboard` on some other image
    /// is not the dashboard, and the dashboard under other labels still is. (Checkov's
    /// `CKV_K8S_33` also matches the labels; see `docs/oracles/network.md`.)
    ///
    /// ## Why it matters
    /// The dashboard is a web interface able to do anything its service account can, which in
    /// many installations is cluster-admin. Once deployed it is one misconfigured Service,
    /// Ingress or `kubectl proxy` away from exposure, and exposed dashboards have been a common
    /// way into clusters (Microsoft's threat matrix: "Exposed sensitive interfaces").
    ///
    /// ## How to fix
    /// Remove the dashboard and use `kubectl`, or a client-side tool (Headlamp, Lens, k9s) that
    /// acts with each user's own credentials. If you keep it, give its service account
    /// minimal, read-only permissions, require login, and never expose it (see KW307).
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: kubernetes-dashboard
    ///   image: kubernetesui/dashboard:v2.7.0   # KW804
    /// ```
    ///
    /// ## References
    /// - Microsoft Threat Matrix for Kubernetes: Exposed sensitive interfaces
    /// - DISA Kubernetes STIG V-242395: the Kubernetes dashboard must not be enabled
    pub static RULE {
        code: "KW804",
        name: "kubernetes-dashboard-deployed",
        severity: Medium,
        category: Governance,
        summary: "Kubernetes Dashboard is deployed",
        remediation: "Remove the Kubernetes Dashboard; if it must stay, give it a minimal service account and never expose it.",
        mitre: [(InitialAccess, "Exposed sensitive interfaces", "T1133")],
        nsa: [],
        cis: [],
        pss: None,
        check: Check::Pod(check),
    }
}

/// Is `image` (`[registry/]path[:tag][@digest]`) a Kubernetes Dashboard image?
pub(crate) fn is_dashboard_image(image: &str) -> bool {
    let image = image.trim();
    let image = image.split_once('@').map_or(image, |(name, _)| name);
    // A tag follows the last `:` after the last `/` (a `:` before it is a registry port).
    let name = match image.rfind(':') {
        Some(i) if !image[i..].contains('/') => &image[..i],
        _ => image,
    };
    let name = name.to_ascii_lowercase();
    let segments: Vec<&str> = name.split('/').collect();
    let Some((last, parents)) = segments.split_last() else {
        return false;
    };
    if last.starts_with("kubernetes-dashboard") {
        return true;
    }
    if parents.last() == Some(&"kubernetesui") && last.starts_with("dashboard") {
        return true;
    }
    // registry.k8s.io/dashboard/dashboard:v2.7.0 and the like.
    matches!(parents.first(), Some(&("registry.k8s.io" | "k8s.gcr.io")))
        && parents.contains(&"dashboard")
        && !last.contains("metrics-scraper")
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    for c in pod.containers() {
        let Some(image) = c.image() else {
            continue;
        };
        if is_dashboard_image(image) {
            cx.report(
                c.field_ptr("image"),
                format_args!("{} runs the Kubernetes Dashboard", c.describe()),
            )
            .evidence(format_args!("image: {image}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_dashboard_image;

    #[test]
    fn dashboard_images() {
        for yes in [
            "kubernetesui/dashboard:v2.7.0",
            "docker.io/kubernetesui/dashboard:v2.0.0-rc7",
            "docker.io/kubernetesui/dashboard-api:1.10.1",
            "mirror.example.com:5000/kubernetesui/dashboard-web@sha256:abcd",
            "k8s.gcr.io/kubernetes-dashboard-amd64:v1.10.1",
            "gcr.io/google_containers/kubernetes-dashboard-arm64:v1.8.3",
            "registry.k8s.io/dashboard/dashboard:v2.7.0",
        ] {
            assert!(is_dashboard_image(yes), "{yes}");
        }
        for no in [
            "kubernetesui/metrics-scraper:v1.0.8",
            "registry.k8s.io/dashboard/metrics-scraper:v1.0.8",
            "nginx:1.27",
            "example.com/dashboard:1",
            "grafana/grafana:10",
            "",
            ":",
            "/",
        ] {
            assert!(!is_dashboard_image(no), "{no}");
        }
    }
}
