use crate::exceptions::Date;
use crate::{Check, Cx, rule, util};
use kubeward_core::{Node, Object};

rule! {
    /// ## What it finds
    /// A live cluster whose Kubernetes minor version is past its upstream end of life. The
    /// version is the API server's `gitVersion` (`status.version.gitVersion` of kubeward's
    /// `Cluster` object: `v1.26.5`, `v1.29.3-eks-adc7111`, `v1.28.9-gke.1000000`,
    /// `v1.30.2+k3s1`); it is judged at the time the cluster was scanned
    /// (`status.collectedAt`), so a snapshot file scanned again later gives the same result.
    /// Without `collectedAt` it is judged today.
    ///
    /// Upstream end-of-life dates, from the Kubernetes release team
    /// (`kubernetes/website` `data/releases/eol.yaml` and the release pages):
    ///
    /// | minor | end of life | | minor | end of life |
    /// |---|---|---|---|---|
    /// | 1.19 | 2021-10-28 | | 1.29 | 2025-02-28 |
    /// | 1.20 | 2022-02-28 | | 1.30 | 2025-07-15 |
    /// | 1.21 | 2022-06-28 | | 1.31 | 2025-11-11 |
    /// | 1.22 | 2022-12-08 | | 1.32 | 2026-02-28 |
    /// | 1.23 | 2023-02-28 | | 1.33 | 2026-06-28 (scheduled) |
    /// | 1.24 | 2023-07-28 | | 1.34 | 2026-10-27 (scheduled) |
    /// | 1.25 | 2023-10-28 | | 1.35 | 2027-02-28 (scheduled) |
    /// | 1.26 | 2024-02-28 | | 1.36 | 2027-06-28 (scheduled) |
    /// | 1.27 | 2024-07-16 | | 1.37 | 2027-10-28 (scheduled) |
    /// | 1.28 | 2024-10-22 | | | |
    ///
    /// Dates up to 1.32 are those the release team recorded when it retired the minor; they
    /// can differ from the date first planned (1.27 was planned for 2024-06-28 and ended on
    /// 2024-07-16). Later dates are the release team's schedule, not yet confirmed, and are
    /// marked as such in the message. A minor older than
    /// 1.19 is past end of life; a minor newer than 1.37, and a version that cannot be parsed,
    /// are not flagged. A version counts as unsupported from its end-of-life day on.
    ///
    /// Managed offerings run on their own calendar: EKS and AKS extended (paid or LTS)
    /// support, GKE's extended channel and OpenShift keep patching minors the upstream project
    /// has dropped. The rule still reports them, with "upstream" in the message; if your
    /// provider still covers the version, record an exception with its end date as expiry.
    ///
    /// ## Why it matters
    /// An end-of-life minor gets no more patch releases: vulnerabilities published after that
    /// date (API server, kubelet, kube-proxy) stay open. Upgrades also get harder the further
    /// behind a cluster falls, since each step may cross only one minor for the control plane.
    ///
    /// Severity is medium: the finding is about exposure to future vulnerabilities, not a
    /// reachable hole in itself, and many flagged managed clusters are still patched by their
    /// provider. Raise it in `kubeward.yaml` (`severity: {KW602: high}`) if you run
    /// self-managed clusters.
    ///
    /// ## How to fix
    /// Upgrade the control plane, then the nodes, one minor at a time, to a supported minor
    /// (the message names the oldest one still supported on the scan date). Check deprecated
    /// APIs before each step.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kubeward.io/v1alpha1
    /// kind: Cluster
    /// status:
    ///   collectedAt: "2026-11-23T21:00:00Z"
    ///   version:
    ///     gitVersion: v1.26.5   # KW602: end of life since 2024-02-28
    /// ```
    ///
    /// ## References
    /// - Kubernetes release history and end-of-life dates: https://kubernetes.io/releases/
    /// - Kubernetes version skew policy
    pub static RULE {
        code: "KW602",
        name: "kubernetes-version-unsupported",
        severity: Medium,
        category: Node,
        summary: "Cluster runs a Kubernetes minor version past its upstream end of life",
        remediation: "Upgrade the cluster, one minor at a time, to a minor version that is still supported.",
        mitre: [(InitialAccess, "Application vulnerability", "T1190")],
        nsa: ["Upgrading and application security practices"],
        cis: [],
        pss: None,
        check: Check::Object { kinds: &["Cluster"], check },
    }
}

/// Upstream end of life of Kubernetes minors 1.19 … 1.37: (minor, date, scheduled). `scheduled`
/// dates are the release team's plan, not yet confirmed by a final patch release in the
/// end-of-life list kubeward's table was built from.
const EOL: &[(u32, &str, bool)] = &[
    (19, "2021-10-28", false),
    (20, "2022-02-28", false),
    (21, "2022-06-28", false),
    (22, "2022-12-08", false),
    (23, "2023-02-28", false),
    (24, "2023-07-28", false),
    (25, "2023-10-28", false),
    (26, "2024-02-28", false),
    (27, "2024-07-16", false),
    (28, "2024-10-22", false),
    (29, "2025-02-28", false),
    (30, "2025-07-15", false),
    (31, "2025-11-11", false),
    (32, "2026-02-28", false),
    (33, "2026-06-28", true),
    (34, "2026-10-27", true),
    (35, "2027-02-28", true),
    (36, "2027-06-28", true),
    (37, "2027-10-28", true),
];

/// The (major, minor) of a `gitVersion`: `v1.26.5`, `1.26`, `v1.29.3-eks-adc7111`,
/// `v1.30.2+k3s1`. `None` for anything else.
fn parse_version(git: &str) -> Option<(u32, u32)> {
    let s = git.trim();
    let s = s
        .strip_prefix('v')
        .or_else(|| s.strip_prefix('V'))
        .unwrap_or(s);
    let (major, rest) = s.split_once('.')?;
    if major.is_empty() || !major.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (minor, after) = rest.split_at(digits);
    if minor.is_empty() || !(after.is_empty() || after.starts_with(['.', '-', '+'])) {
        return None;
    }
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// The end of life of a 1.x minor: `Some((date, scheduled))`, or `None` when the minor is
/// newer than the table. Minors older than the table get the table's first date.
fn end_of_life(minor: u32) -> Option<(Date, bool, bool)> {
    let first = EOL.first()?;
    let (date, scheduled, older) = if minor < first.0 {
        (first.1, first.2, true)
    } else {
        let &(_, date, scheduled) = EOL.iter().find(|(m, _, _)| *m == minor)?;
        (date, scheduled, false)
    };
    Some((Date::parse(date)?, scheduled, older))
}

/// The oldest minor whose end of life is after `on`, if the table has one.
fn oldest_supported(on: Date) -> Option<u32> {
    EOL.iter()
        .find(|(_, date, _)| Date::parse(date).is_some_and(|d| d > on))
        .map(|(m, _, _)| *m)
}

/// The date a `collectedAt` timestamp (`2026-11-23T21:00:00Z`) falls on.
fn collected_on(text: &str) -> Option<Date> {
    let day = text.trim().split(['T', 't', ' ']).next()?;
    Date::parse(day)
}

/// Why a version is unsupported on `on`: the message, or `None` when it is supported, newer
/// than the table, or not a version.
fn judge(git: &str, on: Date) -> Option<String> {
    let (major, minor) = parse_version(git)?;
    if major != 1 {
        return None;
    }
    let (eol, scheduled, older) = end_of_life(minor)?;
    if on < eol {
        return None;
    }
    let first = EOL.first().map_or(0, |f| f.0);
    let mut msg = if older {
        format!(
            "Kubernetes {git} is past upstream end of life: 1.{minor} is older than 1.{first}, which reached end of life on {eol}"
        )
    } else {
        let planned = if scheduled { " (scheduled date)" } else { "" };
        format!(
            "Kubernetes {git} is past upstream end of life: 1.{minor} reached end of life on {eol}{planned}"
        )
    };
    match oldest_supported(on) {
        Some(m) => msg.push_str(&format!(
            "; on {on} the oldest upstream-supported minor is 1.{m}"
        )),
        None => msg.push_str(&format!(
            "; on {on} no minor up to 1.{} is supported upstream any more",
            EOL.last().map_or(0, |l| l.0)
        )),
    }
    let lower = git.to_ascii_lowercase();
    let provider = if lower.contains("-eks-") {
        Some("EKS")
    } else if lower.contains("-gke.") {
        Some("GKE")
    } else {
        None
    };
    if let Some(p) = provider {
        msg.push_str(&format!(
            " ({p} extended support may still patch it: check the provider's calendar)"
        ));
    }
    Some(msg)
}

fn check(obj: &Object, cx: &mut Cx<'_>) {
    let Some(version) = obj.root.path(&["status", "version", "gitVersion"]) else {
        return;
    };
    let Some(git) = version.as_str() else {
        return;
    };
    let on = obj
        .root
        .path(&["status", "collectedAt"])
        .and_then(Node::as_str)
        .and_then(collected_on)
        .unwrap_or_else(Date::today);
    if let Some(message) = judge(git, on) {
        cx.report("/status/version/gitVersion", message)
            .evidence(util::show("gitVersion", version));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn parses_versions() {
        assert_eq!(parse_version("v1.26.5"), Some((1, 26)));
        assert_eq!(parse_version("v1.26"), Some((1, 26)));
        assert_eq!(parse_version("1.26.5"), Some((1, 26)));
        assert_eq!(parse_version(" V1.9.0 "), Some((1, 9)));
        assert_eq!(parse_version("v1.29.3-eks-adc7111"), Some((1, 29)));
        assert_eq!(parse_version("v1.28.9-gke.1000000"), Some((1, 28)));
        assert_eq!(parse_version("v1.30.2+k3s1"), Some((1, 30)));
        assert_eq!(parse_version("v1.31.0-rc.1"), Some((1, 31)));
        assert_eq!(parse_version("v1.27+"), Some((1, 27)));
        for bad in [
            "",
            "v",
            "v1",
            "1",
            "garbage",
            "v1.",
            "v1.x",
            "v1.26x",
            "vv1.26",
            "v.26",
            "v-1.26",
            "1.-26",
            "v1.99999999999",
            "①.26",
            "v1 .26",
        ] {
            assert_eq!(parse_version(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn end_of_life_lookup() {
        assert_eq!(end_of_life(26), Some((d("2024-02-28"), false, false)));
        assert_eq!(end_of_life(27), Some((d("2024-07-16"), false, false)));
        assert_eq!(end_of_life(37), Some((d("2027-10-28"), true, false)));
        assert_eq!(end_of_life(18), Some((d("2021-10-28"), false, true)));
        assert_eq!(end_of_life(0), Some((d("2021-10-28"), false, true)));
        assert_eq!(end_of_life(38), None);
        // The table is complete and in order, and every date parses.
        for pair in EOL.windows(2) {
            assert_eq!(pair[0].0 + 1, pair[1].0);
            assert!(Date::parse(pair[0].1).unwrap() < Date::parse(pair[1].1).unwrap());
        }
        assert_eq!(EOL.first().map(|e| e.0), Some(19));
        assert_eq!(EOL.last().map(|e| e.0), Some(37));
    }

    #[test]
    fn oldest_supported_minor() {
        assert_eq!(oldest_supported(d("2026-11-23")), Some(35));
        assert_eq!(oldest_supported(d("2024-02-27")), Some(26));
        // The end-of-life day itself no longer counts as supported.
        assert_eq!(oldest_supported(d("2024-02-28")), Some(27));
        assert_eq!(oldest_supported(d("2030-01-01")), None);
    }

    #[test]
    fn collected_at() {
        assert_eq!(collected_on("2026-11-23T21:00:00Z"), Some(d("2026-11-23")));
        assert_eq!(collected_on("2026-11-23"), Some(d("2026-11-23")));
        assert_eq!(collected_on("2026-11-23 21:00:00"), Some(d("2026-11-23")));
        assert_eq!(collected_on("yesterday"), None);
        assert_eq!(collected_on(""), None);
    }

    #[test]
    fn judges() {
        let on = d("2026-11-23");
        let m = judge("v1.26.5", on).unwrap();
        assert_eq!(
            m,
            "Kubernetes v1.26.5 is past upstream end of life: 1.26 reached end of life on 2024-02-28; on 2026-11-23 the oldest upstream-supported minor is 1.35"
        );
        assert!(
            judge("v1.34.1", on)
                .unwrap()
                .contains("2026-10-27 (scheduled date)")
        );
        assert_eq!(judge("v1.35.0", on), None);
        assert_eq!(judge("v1.40.0", on), None);
        assert_eq!(judge("v2.0.0", on), None);
        assert_eq!(judge("garbage", on), None);
        assert!(
            judge("v1.16.3", on)
                .unwrap()
                .contains("1.16 is older than 1.19, which reached end of life on 2021-10-28")
        );
        assert!(
            judge("v1.29.3-eks-adc7111", on)
                .unwrap()
                .contains("EKS extended support")
        );
        assert!(
            judge("v1.28.9-gke.1000000", on)
                .unwrap()
                .contains("GKE extended support")
        );
        assert!(!judge("v1.30.2+k3s1", on).unwrap().contains("extended"));
        // Judged on the scan date: the same version was supported the day before its end of life.
        assert_eq!(judge("v1.26.5", d("2024-02-27")), None);
        assert!(judge("v1.26.5", d("2024-02-28")).is_some());
        assert!(
            judge("v1.37.0", d("2028-01-01"))
                .unwrap()
                .ends_with("on 2028-01-01 no minor up to 1.37 is supported upstream any more")
        );
    }
}
