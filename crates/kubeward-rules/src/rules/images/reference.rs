//! Parsing container image references the way the container runtimes do
//! (`[registry[:port]/]repository[:tag][@algorithm:digest]`), without allocating.
//!
//! The subtle cases: `registry:5000/app` has a port, not a tag; `app@sha256:...` is pinned with
//! no tag; `app:1.2@sha256:...` has both (the digest wins at pull time).

use kubeward_core::{ContainerView, PodView};

/// Every container of the pod whose `image` parses: the container, the image as written, and
/// its parts.
pub(super) fn container_images<'p, 'a>(
    pod: &'p PodView<'a>,
) -> impl Iterator<Item = (ContainerView<'a>, &'a str, ImageRef<'a>)> + 'p {
    pod.containers().filter_map(|c| {
        let image = c.image()?;
        Some((c, image, ImageRef::parse(image)?))
    })
}

/// The parts of an image reference, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// `registry.example.com:5000`, when the first path component names a registry.
    pub registry: Option<&'a str>,
    /// `library/nginx`, `team/app`.
    pub repository: &'a str,
    pub tag: Option<&'a str>,
    /// `sha256:...` (the part after `@`).
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    /// Parses a reference; `None` for an empty or blank one.
    pub fn parse(image: &'a str) -> Option<ImageRef<'a>> {
        let image = image.trim();
        if image.is_empty() {
            return None;
        }
        let (name, digest) = match image.split_once('@') {
            Some((n, d)) => (n, Some(d).filter(|d| !d.is_empty())),
            None => (image, None),
        };
        // A tag is a `:` after the last `/`; a `:` before it is a registry port.
        let last_slash = name.rfind('/').map_or(0, |i| i + 1);
        let (path, tag) = match name[last_slash..].rfind(':') {
            Some(i) => {
                let at = last_slash + i;
                (&name[..at], Some(&name[at + 1..]).filter(|t| !t.is_empty()))
            }
            None => (name, None),
        };
        let (registry, repository) = match path.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (Some(first), rest)
            }
            _ => (None, path),
        };
        Some(ImageRef {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// Pinned to a content digest (`@sha256:...`, `@sha512:...`)?
    pub fn is_pinned(&self) -> bool {
        self.digest
            .and_then(|d| d.split_once(':'))
            .is_some_and(|(alg, hex)| {
                let len_ok = match alg {
                    "sha256" => hex.len() == 64,
                    "sha512" => hex.len() == 128,
                    "" => false,
                    _ => hex.len() >= 32,
                };
                len_ok && hex.bytes().all(|b| b.is_ascii_hexdigit())
            })
    }

    /// Resolves to a moving `latest` image: no digest, and no tag or the tag `latest`. A
    /// malformed digest is not `latest` (it is meant to pin; [`ImageRef::is_pinned`] reports
    /// that it does not).
    pub fn is_latest(&self) -> bool {
        self.digest.is_none() && self.tag.is_none_or(|t| t == "latest")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn parses() {
        let r = ImageRef::parse("nginx").unwrap();
        assert_eq!(
            (r.registry, r.repository, r.tag, r.digest),
            (None, "nginx", None, None)
        );
        assert!(r.is_latest() && !r.is_pinned());

        let r = ImageRef::parse("nginx:1.27").unwrap();
        assert_eq!(r.tag, Some("1.27"));
        assert!(!r.is_latest());

        let r = ImageRef::parse("nginx:latest").unwrap();
        assert!(r.is_latest());

        let r = ImageRef::parse("registry:5000/app").unwrap();
        assert_eq!(
            (r.registry, r.repository, r.tag),
            (Some("registry:5000"), "app", None)
        );
        assert!(r.is_latest());

        let r = ImageRef::parse("registry:5000/team/app:v2").unwrap();
        assert_eq!(
            (r.registry, r.repository, r.tag),
            (Some("registry:5000"), "team/app", Some("v2"))
        );

        let image = format!("app@{D}");
        let r = ImageRef::parse(&image).unwrap();
        assert_eq!((r.repository, r.tag, r.digest), ("app", None, Some(D)));
        assert!(r.is_pinned() && !r.is_latest());

        let image = format!("ghcr.io/org/app:latest@{D}");
        let r = ImageRef::parse(&image).unwrap();
        assert_eq!(r.registry, Some("ghcr.io"));
        assert_eq!(r.tag, Some("latest"));
        assert!(r.is_pinned() && !r.is_latest());

        let r = ImageRef::parse("localhost/app").unwrap();
        assert_eq!(r.registry, Some("localhost"));
        let r = ImageRef::parse("library/nginx").unwrap();
        assert_eq!((r.registry, r.repository), (None, "library/nginx"));

        // A malformed digest does not pin.
        let r = ImageRef::parse("app@sha256:abc").unwrap();
        assert!(!r.is_pinned() && !r.is_latest());
        let image = format!("app@{D}0");
        assert!(!ImageRef::parse(&image).unwrap().is_pinned());
        let r = ImageRef::parse("app:").unwrap();
        assert_eq!(r.tag, None);
        assert!(ImageRef::parse("  ").is_none());
        // Never panics on odd input.
        for s in ["@", ":", "/", "a/:", "ü:ü/ü@ü", "::@::", "/@sha256:"] {
            let _ = ImageRef::parse(s).map(|r| (r.is_latest(), r.is_pinned()));
        }
    }
}
