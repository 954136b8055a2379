use super::reference::container_images;
use crate::{Check, Cx, rule};
use kubeward_core::PodView;

rule! {
    /// ## What it finds
    /// Containers (init, regular, ephemeral) whose image has no tag or the tag `latest`, and
    /// no digest: `nginx`, `nginx:latest`, `registry:5000/app` (`5000` is a port, not a tag).
    /// An image with a digest (`app@sha256:...`, with or without a tag) is not reported; a
    /// malformed digest is KW502's finding.
    /// Containers without an `image` (filled in later by tooling) are skipped.
    ///
    /// ## Why it matters
    /// `latest` moves. Two nodes pulling at different times run different code, a rollback
    /// returns to whatever `latest` is now, and nobody can tell which version is running or
    /// whether it was scanned. A compromised or mistaken push is deployed on the next pod
    /// start. Such images also default to `imagePullPolicy: Always`, so every start depends on
    /// the registry being reachable.
    ///
    /// ## How to fix
    /// Use an explicit version tag, or better a digest (`image: nginx:1.27.3@sha256:...`),
    /// updated by your release tooling.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: nginx:latest   # KW501; use nginx:1.27.3
    /// ```
    ///
    /// ## References
    /// - Kubernetes documentation: Images — "avoid using the :latest tag"
    pub static RULE {
        code: "KW501",
        name: "image-latest-tag",
        severity: Medium,
        category: Images,
        summary: "Container image uses the `latest` tag or no tag",
        remediation: "Pin the image to an explicit version tag or a digest.",
        mitre: [(InitialAccess, "Compromised images in registry", "T1525")],
        nsa: ["Pod security: container images"],
        cis: [],
        pss: None,
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    for (c, image, r) in container_images(pod) {
        if r.is_latest() {
            let how = if r.tag.is_some() {
                "the `latest` tag"
            } else {
                "no tag (so `latest`)"
            };
            cx.report(
                c.field_ptr("image"),
                format_args!("{} uses image `{}` with {how}", c.describe(), image.trim()),
            )
            .evidence(format_args!("image: {image}"));
        }
    }
}
