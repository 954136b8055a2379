//! Shared check of the four resource rules (KW121-KW124): is a CPU or memory limit or request
//! set for each container?

use crate::Cx;
use kubeward_core::{ContainerList, Node, PodView};

/// Is `resources.<section>.<resource>` set (not absent, null or blank)?
fn is_set(resources: Option<&Node>, section: &str, resource: &str) -> bool {
    resources
        .and_then(|r| r.get(section))
        .and_then(|s| s.get(resource))
        .is_some_and(|v| v.as_str().is_none_or(|s| !s.trim().is_empty()))
}

/// Reports every regular and init container without `resources.<section>.<resource>`.
///
/// Ephemeral containers cannot set resources and are skipped. A pod-level value
/// (`spec.resources`, Kubernetes 1.32+) bounds every container, so it satisfies the rule. For
/// requests, a limit without a request counts as the request: Kubernetes copies the limit into
/// the request in that case.
pub(super) fn check_missing(pod: &PodView<'_>, cx: &mut Cx<'_>, section: &str, resource: &str) {
    let pod_resources = pod.get("resources");
    if is_set(pod_resources, section, resource)
        || (section == "requests" && is_set(pod_resources, "limits", resource))
    {
        return;
    }
    for c in pod.containers() {
        if c.list == ContainerList::EphemeralContainers {
            continue;
        }
        let resources = c.get("resources");
        if is_set(resources, section, resource)
            || (section == "requests" && is_set(resources, "limits", resource))
        {
            continue;
        }
        let ptr = if resources.and_then(|r| r.get(section)).is_some() {
            c.field_ptr(if section == "limits" {
                "resources/limits"
            } else {
                "resources/requests"
            })
        } else if resources.is_some() {
            c.field_ptr("resources")
        } else {
            c.ptr()
        };
        let what = if resource == "cpu" { "CPU" } else { resource };
        let singular = if section == "limits" {
            "limit"
        } else {
            "request"
        };
        cx.report(
            ptr,
            format_args!("{} has no {what} {singular}", c.describe()),
        )
        .evidence(format_args!("resources.{section}.{resource}: not set"));
    }
}
