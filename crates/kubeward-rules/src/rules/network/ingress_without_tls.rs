use crate::{Check, Cx, rule, util};
use kubeward_core::{Node, Object};

rule! {
    /// ## What it finds
    /// Ingresses (`networking.k8s.io` and the old `extensions/v1beta1`) that serve plain HTTP:
    /// - no `spec.tls` at all (one finding on the Ingress), or
    /// - `spec.tls` entries that do not cover a rule's `host` (one finding per uncovered host).
    ///   A TLS host `*.example.com` covers one-label subdomains such as `shop.example.com`; a
    ///   `tls` entry without `hosts` covers every host (the controller's default certificate).
    ///   Rules without a `host` match every host and are covered once any `tls` entry exists.
    ///
    /// TLS terminated by the cloud load balancer is recognised from the certificate annotations
    /// `alb.ingress.kubernetes.io/certificate-arn` (AWS), `ingress.gcp.kubernetes.io/pre-shared-cert`
    /// and `networking.gke.io/managed-certificates` (GKE): such Ingresses are not flagged.
    /// An Ingress that routes nothing (no rules and no default backend) is not flagged.
    ///
    /// ## Why it matters
    /// Without TLS the traffic between clients and the cluster (sessions, credentials, API
    /// tokens, personal data) crosses the network in clear text, where it can be read or
    /// altered by anyone on the path.
    ///
    /// ## How to fix
    /// Add a `spec.tls` entry, with a certificate Secret, whose `hosts` list every host of the
    /// Ingress's rules (cert-manager can issue and renew the certificates), and redirect HTTP
    /// to HTTPS in the controller.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// spec:
    ///   tls:
    ///   - hosts: [shop.example.com]
    ///     secretName: shop-tls
    ///   rules:
    ///   - host: admin.example.com   # KW304: not covered by any tls entry
    /// ```
    ///
    /// ## References
    /// - Kubernetes docs: Ingress, TLS
    /// - NSA/CISA Kubernetes Hardening Guide: encrypt traffic in transit
    pub static RULE {
        code: "KW304",
        name: "ingress-without-tls",
        severity: Medium,
        category: Network,
        summary: "Ingress serves hosts over plain HTTP",
        remediation: "Add `spec.tls` entries (with certificate Secrets) covering every host of the Ingress.",
        mitre: [(Collection, "Collecting data from pod", "T1040")],
        nsa: ["Network separation and hardening"],
        cis: [],
        pss: None,
        check: Check::Object { kinds: &["Ingress"], check },
    }
}

/// Annotations with which a cloud load balancer terminates TLS for every host.
const CERT_ANNOTATIONS: &[&str] = &[
    "alb.ingress.kubernetes.io/certificate-arn",
    "ingress.gcp.kubernetes.io/pre-shared-cert",
    "networking.gke.io/managed-certificates",
];

/// Does the TLS host `tls` cover the rule host `host`?
fn covers(tls: &str, host: &str) -> bool {
    if tls.eq_ignore_ascii_case(host) {
        return true;
    }
    match (tls.strip_prefix("*."), host.split_once('.')) {
        (Some(suffix), Some((label, rest))) => {
            !label.is_empty() && label != "*" && rest.eq_ignore_ascii_case(suffix)
        }
        _ => false,
    }
}

fn check(obj: &Object, cx: &mut Cx<'_>) {
    let Some(spec) = obj.root.get("spec") else {
        return;
    };
    let rules = spec.get("rules").map(Node::items).unwrap_or_default();
    let routes =
        !rules.is_empty() || spec.get("defaultBackend").is_some() || spec.get("backend").is_some();
    if !routes {
        return;
    }
    if CERT_ANNOTATIONS
        .iter()
        .any(|k| obj.annotation(k).is_some_and(|v| !v.trim().is_empty()))
    {
        return;
    }
    let tls: Vec<&Node> = spec
        .get("tls")
        .map(Node::items)
        .unwrap_or_default()
        .iter()
        .filter(|t| t.is_map())
        .collect();
    if tls.is_empty() {
        let hosts: Vec<&str> = rules
            .iter()
            .filter_map(|r| r.get("host").and_then(Node::as_str))
            .collect();
        let f = cx.report(
            "/spec/tls",
            "Ingress has no TLS: every route is served over plain HTTP",
        );
        if hosts.is_empty() {
            f.evidence("tls: absent");
        } else {
            f.evidence(format_args!("tls: absent; hosts: {}", hosts.join(", ")));
        }
        return;
    }
    // A tls entry without hosts uses the controller's default certificate for every host.
    if tls.iter().any(|t| {
        t.get("hosts")
            .map(Node::items)
            .unwrap_or_default()
            .is_empty()
    }) {
        return;
    }
    let tls_hosts: Vec<&str> = tls
        .iter()
        .flat_map(|t| t.get("hosts").map(Node::items).unwrap_or_default())
        .filter_map(Node::as_str)
        .collect();
    for (i, r) in rules.iter().enumerate() {
        let Some(host_node) = r.get("host") else {
            continue;
        };
        let Some(host) = host_node.as_str().filter(|h| !h.is_empty()) else {
            continue;
        };
        if !tls_hosts.iter().any(|t| covers(t, host)) {
            cx.report(
                format_args!("/spec/rules/{i}/host"),
                format_args!(
                    "host `{host}` is not covered by any tls entry and is served over plain HTTP"
                ),
            )
            .evidence(util::show("host", host_node));
        }
    }
}
