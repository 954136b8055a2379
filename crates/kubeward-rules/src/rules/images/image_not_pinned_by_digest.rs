use super::reference::container_images;
use crate::{Check, Cx, rule};
use kubeward_core::PodView;

rule! {
    /// ## What it finds
    /// Containers (init, regular, ephemeral) whose image is not pinned by a content digest
    /// (`@sha256:<64 hex digits>`, `@sha512:<128 hex digits>`), e.g. `nginx:1.27`, or whose
    /// digest is malformed (`nginx@sha256:123456`, which no registry can serve). Containers
    /// without an `image` are skipped.
    ///
    /// ## Why it matters
    /// A tag is a mutable pointer: whoever can push to the repository (or compromise it) can
    /// make `nginx:1.27` mean different content, and nodes pull the new content on the next
    /// pod start. A digest names exactly one image, so what was reviewed, scanned and signed
    /// is what runs.
    ///
    /// ## How to fix
    /// Reference images by digest, keeping the tag for readability
    /// (`nginx:1.27.3@sha256:...`), and let release tooling (Renovate, Flux or Argo image
    /// updaters) bump the digest.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: app
    ///   image: nginx:1.27.3@sha256:<digest>
    /// ```
    ///
    /// ## References
    /// - SLSA and Sigstore guidance on immutable artifact references
    pub static RULE {
        code: "KW502",
        name: "image-not-pinned-by-digest",
        severity: Low,
        category: Images,
        summary: "Container image is not pinned by digest",
        remediation: "Reference the image by digest (`name:tag@sha256:...`).",
        mitre: [(InitialAccess, "Compromised images in registry", "T1525")],
        nsa: ["Pod security: container images"],
        cis: [],
        pss: None,
        check: Check::Pod(check),
    }
}

fn check(pod: &PodView<'_>, cx: &mut Cx<'_>) {
    for (c, image, r) in container_images(pod) {
        if !r.is_pinned() {
            cx.report(
                c.field_ptr("image"),
                format_args!(
                    "{} uses image `{}` {}",
                    c.describe(),
                    image.trim(),
                    if r.digest.is_some() {
                        "with a malformed digest"
                    } else {
                        "without a digest"
                    }
                ),
            )
            .evidence(format_args!("image: {image}"));
        }
    }
}
