use super::webhook::{self, KINDS};
use crate::{Check, Cx, rule};
use kubeward_core::Object;

rule! {
    /// ## What it finds
    /// Admission webhooks that fail closed (`failurePolicy: Fail`, the default in
    /// `admissionregistration.k8s.io/v1`; `v1beta1` defaulted to `Ignore`) and intercept
    /// namespaced objects of the built-in API groups in `kube-system`:
    /// - a rule matches namespaced objects: its `scope` is `*`, `Namespaced` or absent, its
    ///   `apiGroups` include `""`, `*` or another group served by Kubernetes itself (`apps`,
    ///   `batch`, `*.k8s.io`...), and its `resources` are not all cluster-scoped (`*`,
    ///   `pods`, `*/status`; a resource kubeward does not know counts as namespaced);
    /// - the `namespaceSelector` selects `kube-system`, judged on the labels it has by
    ///   default, which is only `kubernetes.io/metadata.name: kube-system`. Absent or `{}`
    ///   selects it; `kubernetes.io/metadata.name NotIn [kube-system]` excludes it, and so
    ///   does any selector `kube-system`'s default labels cannot satisfy (a `matchLabels`,
    ///   `In` or `Exists` on another key). `DoesNotExist` or `NotIn` on another key selects
    ///   it.
    ///
    /// Judgments: an `objectSelector` does not count as an exclusion, since the objects in
    /// `kube-system` carry whatever labels their charts give them. A `matchConditions`
    /// expression does, when it is plainly `request.namespace != "kube-system"` (or
    /// `!(request.namespace in [..., "kube-system"])`), alone or joined by `&&`: conditions
    /// are evaluated by the API server itself, so they still skip the call when the backend
    /// is down. Labels you add to `kube-system` yourself (e.g. Gatekeeper's
    /// `admission.gatekeeper.sh/ignore`) are not visible to this check: record an exception
    /// if you rely on one. Webhooks that only match CRD groups (cert-manager's, Kyverno's
    /// own policies) are not reported: blocking them does not stop the control plane.
    ///
    /// ## Why it matters
    /// When the webhook's backend is down, the API server rejects every request the webhook
    /// matches, in `kube-system` too: CoreDNS, kube-proxy, the CNI and CSI agents cannot be
    /// recreated or rescheduled, and if the webhook's own pods run in the cluster they may be
    /// unable to come back (Gatekeeper #291 "If gatekeeper crashes, entire cluster stops
    /// functioning", #725 clusters that cannot bootstrap; sylva-core #2535, a Kyverno webhook
    /// that did not exclude its own namespace and blocked the cluster when all its admission
    /// pods died). The Kubernetes good practices for admission webhooks say to leave
    /// `kube-system` and the webhook's own namespace alone.
    ///
    /// ## How to fix
    /// Exclude `kube-system` (and the webhook's own namespace) with a `namespaceSelector`:
    /// ```yaml
    /// namespaceSelector:
    ///   matchExpressions:
    ///   - key: kubernetes.io/metadata.name
    ///     operator: NotIn
    ///     values: [kube-system, my-webhook-namespace]
    /// ```
    /// or fail open (`failurePolicy: Ignore`) and enforce the same policy with a
    /// ValidatingAdmissionPolicy, which runs inside the API server.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: admissionregistration.k8s.io/v1
    /// kind: ValidatingWebhookConfiguration
    /// webhooks:
    /// - name: pods.policy.example.com
    ///   failurePolicy: Fail          # KW806: no namespaceSelector, pods in kube-system
    ///   rules:
    ///   - apiGroups: [""]
    ///     apiVersions: [v1]
    ///     operations: [CREATE, UPDATE]
    ///     resources: [pods]
    /// ```
    ///
    /// ## References
    /// - Kubernetes docs: Admission webhook good practices (avoid operating on kube-system)
    /// - open-policy-agent/gatekeeper#291, #725
    pub static RULE {
        code: "KW806",
        name: "webhook-intercepts-kube-system",
        severity: High,
        category: Governance,
        summary: "Fail-closed admission webhook intercepts objects in kube-system",
        remediation: "Exclude kube-system with a namespaceSelector on `kubernetes.io/metadata.name`, or fail open.",
        mitre: [(Impact, "Denial of service", "T1499")],
        nsa: [],
        cis: [],
        pss: None,
        check: Check::Object { kinds: KINDS, check },
    }
}

fn check(obj: &Object, cx: &mut Cx<'_>) {
    for hook in webhook::hooks(obj) {
        if !hook.fail_closed {
            continue;
        }
        let Some((rule_index, resources)) = webhook::namespaced_builtin_rule(hook.node) else {
            continue;
        };
        let selector = hook.node.get("namespaceSelector");
        if webhook::selects_kube_system(selector) != Some(true)
            || webhook::condition_skips_kube_system(hook.node)
        {
            continue;
        }
        let what = if resources.iter().any(|r| r == "*" || r == "*/*") {
            "every kind of object".to_string()
        } else {
            let shown: Vec<&str> = resources.iter().take(3).map(String::as_str).collect();
            let more = if resources.len() > 3 { ", ..." } else { "" };
            format!("{}{more}", shown.join(", "))
        };
        let policy = if hook.policy_written {
            ""
        } else {
            " (failurePolicy defaults to Fail)"
        };
        let message = format!(
            "webhook `{}` fails closed{policy} and intercepts {what} in kube-system (rules[{rule_index}]; no namespaceSelector excludes kube-system): while its backend is down the control plane cannot create or update them there",
            hook.name
        );
        // A selector written without a value is absent; point at it when it is there.
        let ptr = if hook.node.entry("namespaceSelector").is_some() {
            hook.field_ptr("namespaceSelector")
        } else {
            hook.ptr()
        };
        cx.report(ptr, message)
            .evidence(webhook::show_selector(selector));
    }
}
