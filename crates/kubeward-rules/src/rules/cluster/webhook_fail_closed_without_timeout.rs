use super::webhook::{self, KINDS};
use crate::{Check, Cx, rule};
use kubeward_core::Object;

rule! {
    /// ## What it finds
    /// Admission webhooks (`webhooks[]` of a ValidatingWebhookConfiguration or
    /// MutatingWebhookConfiguration) that fail closed, `failurePolicy: Fail`, with a timeout
    /// of 10 seconds or more: `timeoutSeconds` absent or at least 10. Defaults follow the API
    /// version: `admissionregistration.k8s.io/v1` defaults `failurePolicy` to `Fail` and
    /// `timeoutSeconds` to 10; `v1beta1` defaulted them to `Ignore` and 30.
    ///
    /// An explicit `timeoutSeconds: 10` is flagged like an absent one: it is the same
    /// behaviour, and writing the default down does not shorten the wait.
    ///
    /// ## Why it matters
    /// When the webhook's backend is down (crashed, evicted, its node drained, a
    /// NetworkPolicy or certificate gone wrong), every request the webhook intercepts waits
    /// the whole timeout and is then rejected. Controllers retry, so the API server fills
    /// with requests waiting on a dead endpoint. kube-controller-manager and kube-scheduler
    /// renew their leader leases with a 10-second deadline: Gatekeeper lowered its webhook
    /// timeout to 3 s (#870, #871), then its mutation timeout to about 1 s (#1551), after a
    /// missing webhook pod made lease renewals time out and the cluster stopped healing
    /// itself; "If gatekeeper crashes, entire cluster stops functioning" (#291) describes
    /// 30-second API timeouts. Kyverno users report `context deadline exceeded` at the
    /// 10-second timeout (#2869).
    ///
    /// ## How to fix
    /// Set `timeoutSeconds` to a few seconds (Gatekeeper uses 3; a webhook should answer in
    /// milliseconds), run the webhook's backend with several replicas and a
    /// PodDisruptionBudget, and fail open (`failurePolicy: Ignore`) where a missed check is
    /// acceptable, e.g. mutating webhooks whose result a validating policy checks again. See
    /// also KW806 for webhooks that can block `kube-system`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: admissionregistration.k8s.io/v1
    /// kind: ValidatingWebhookConfiguration
    /// webhooks:
    /// - name: policy.example.com
    ///   failurePolicy: Fail
    ///   timeoutSeconds: 3     # without it: KW805 (10 s default)
    /// ```
    ///
    /// ## References
    /// - Kubernetes docs: Admission webhook good practices (timeouts, failure policy)
    /// - open-policy-agent/gatekeeper#291, #870, #1551; kyverno/kyverno#2869
    pub static RULE {
        code: "KW805",
        name: "webhook-fail-closed-without-timeout",
        severity: Medium,
        category: Governance,
        summary: "Fail-closed admission webhook with a timeout of 10 s or more",
        remediation: "Set `timeoutSeconds` to a few seconds, run the webhook highly available, and use `failurePolicy: Ignore` where a missed check is acceptable.",
        mitre: [(Impact, "Denial of service", "T1499")],
        nsa: [],
        cis: [],
        pss: None,
        check: Check::Object { kinds: KINDS, check },
    }
}

/// The longest timeout not reported: 10 s is the deadline of the control plane's leader-lease
/// renewals.
const LONGEST_SAFE: i64 = 9;

fn check(obj: &Object, cx: &mut Cx<'_>) {
    for hook in webhook::hooks(obj) {
        let Some(timeout) = hook.timeout else {
            continue;
        };
        if !hook.fail_closed || timeout <= LONGEST_SAFE {
            continue;
        }
        let policy = if hook.policy_written {
            ""
        } else {
            " (failurePolicy defaults to Fail)"
        };
        let default = if hook.timeout_written {
            ""
        } else {
            " (the default)"
        };
        let message = format!(
            "webhook `{}` fails closed{policy} with a {timeout} s timeout{default}: while its backend is down every request it intercepts waits {timeout} s and is then rejected",
            hook.name
        );
        let timeout_text = if hook.timeout_written {
            format!("timeoutSeconds: {timeout}")
        } else {
            format!("timeoutSeconds: {timeout} (default)")
        };
        cx.report(hook.policy_ptr(), message)
            .evidence(format_args!("{}, {timeout_text}", hook.policy_evidence()));
    }
}
