use crate::{Check, Cx, rule, util};
use kubeward_core::{Node, Object};

rule! {
    /// ## What it finds
    /// Services of `type: LoadBalancer` that are reachable from any address: no
    /// `spec.loadBalancerSourceRanges` (nor the legacy
    /// `service.beta.kubernetes.io/load-balancer-source-ranges` annotation), or a range list
    /// that contains `0.0.0.0/0` or `::/0`.
    ///
    /// Not flagged:
    /// - load balancers restricted to specific source ranges (the restriction is the fix; a
    ///   finding cannot be "less severe" for a partly open range, so a range list without an
    ///   any-address entry passes);
    /// - internal load balancers, recognised by the cloud providers' annotations:
    ///   `service.beta.kubernetes.io/aws-load-balancer-internal` (any value but `false`),
    ///   `service.beta.kubernetes.io/aws-load-balancer-scheme: internal`,
    ///   `networking.gke.io/load-balancer-type: Internal` (and the older
    ///   `cloud.google.com/load-balancer-type`),
    ///   `service.beta.kubernetes.io/azure-load-balancer-internal: "true"`.
    ///
    /// ## Why it matters
    /// A LoadBalancer Service gets an address from the cloud provider that, by default, accepts
    /// connections from the whole internet. Anything behind it (admin ports, databases, debug
    /// endpoints) is then one scan away from an attacker, and it bypasses the ingress layer's
    /// TLS, authentication and logging.
    ///
    /// ## How to fix
    /// Restrict `spec.loadBalancerSourceRanges` to the client networks that need access, make
    /// the load balancer internal with the provider's annotation, or use a ClusterIP Service
    /// behind an Ingress or Gateway with TLS.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// spec:
    ///   type: LoadBalancer   # KW302: no loadBalancerSourceRanges
    /// ```
    ///
    /// ## References
    /// - Kubernetes docs: Service, `loadBalancerSourceRanges`
    /// - NSA/CISA Kubernetes Hardening Guide: network separation and hardening
    pub static RULE {
        code: "KW302",
        name: "loadbalancer-service",
        severity: Medium,
        category: Network,
        summary: "Service exposed to any address through a cloud load balancer",
        remediation: "Set `spec.loadBalancerSourceRanges` to the client networks, make the load balancer internal, or use a ClusterIP Service behind an Ingress.",
        mitre: [(InitialAccess, "Exposed sensitive interfaces", "T1133")],
        nsa: ["Network separation and hardening"],
        cis: [],
        pss: None,
        check: Check::Object { kinds: &["Service"], check },
    }
}

/// Annotations that make a cloud load balancer internal, with the values that do.
fn is_internal(obj: &Object) -> bool {
    let ann = |k: &str| obj.annotation(k).map(str::trim);
    if ann("service.beta.kubernetes.io/aws-load-balancer-internal")
        .is_some_and(|v| !v.eq_ignore_ascii_case("false") && !v.is_empty())
    {
        return true;
    }
    if ann("service.beta.kubernetes.io/aws-load-balancer-scheme")
        .is_some_and(|v| v.eq_ignore_ascii_case("internal"))
    {
        return true;
    }
    for key in [
        "networking.gke.io/load-balancer-type",
        "cloud.google.com/load-balancer-type",
    ] {
        if ann(key).is_some_and(|v| v.eq_ignore_ascii_case("internal")) {
            return true;
        }
    }
    ann("service.beta.kubernetes.io/azure-load-balancer-internal")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

const SOURCE_RANGES_ANNOTATION: &str = "service.beta.kubernetes.io/load-balancer-source-ranges";

fn is_any(range: &str) -> bool {
    matches!(range.trim(), "0.0.0.0/0" | "::/0")
}

fn check(obj: &Object, cx: &mut Cx<'_>) {
    if obj.root.path(&["spec", "type"]).and_then(Node::as_str) != Some("LoadBalancer") {
        return;
    }
    if is_internal(obj) {
        return;
    }
    let ranges = obj
        .root
        .path(&["spec", "loadBalancerSourceRanges"])
        .map(Node::items)
        .unwrap_or_default();
    if !ranges.is_empty() {
        for (i, r) in ranges.iter().enumerate() {
            if let Some(text) = r.as_str()
                && is_any(text)
            {
                cx.report(
                    format_args!("/spec/loadBalancerSourceRanges/{i}"),
                    format_args!(
                        "LoadBalancer Service accepts connections from any address ({text})"
                    ),
                )
                .evidence(util::show("loadBalancerSourceRanges", r));
            }
        }
        return;
    }
    // The spec field takes precedence; the legacy annotation applies only without it.
    if let Some(ann) = obj.annotation(SOURCE_RANGES_ANNOTATION)
        && ann.split(',').any(|r| !r.trim().is_empty())
    {
        if let Some(any) = ann.split(',').find(|r| is_any(r)) {
            let ptr = format_args!(
                "/metadata/annotations/{}",
                kubeward_core::pointer::escape(SOURCE_RANGES_ANNOTATION)
            );
            cx.report(
                ptr,
                format_args!(
                    "LoadBalancer Service accepts connections from any address ({})",
                    any.trim()
                ),
            )
            .evidence(format_args!("{SOURCE_RANGES_ANNOTATION}: {ann}"));
        }
        return;
    }
    cx.report(
        "/spec/type",
        "LoadBalancer Service accepts connections from any address (no loadBalancerSourceRanges)",
    )
    .evidence("type: LoadBalancer");
}
