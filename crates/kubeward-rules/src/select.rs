//! Choosing rules: `--select`, `--ignore`, `--framework`.

use crate::{Rule, registry};
use kubeward_core::RuleMeta;
use kubeward_core::meta::FRAMEWORKS;

/// Does a selector name this rule? A selector is `ALL`, a code (`KW101`), a code prefix
/// (`KW1`, `KW10`), or a rule name (`privileged-container`).
pub fn matches(selector: &str, meta: &RuleMeta) -> bool {
    let s = selector.trim();
    s.eq_ignore_ascii_case("all")
        || meta.name == s
        || (s.len() >= 2
            && s.len() <= meta.code.len()
            && meta.code[..s.len()].eq_ignore_ascii_case(s))
}

/// Checks that a selector names at least one rule.
pub fn check_selector(selector: &str, flag: &str) -> Result<(), String> {
    if registry().iter().any(|r| matches(selector, &r.meta)) {
        Ok(())
    } else {
        Err(format!(
            "unknown rule code or name `{selector}` in {flag} (see `kubeward rules`)"
        ))
    }
}

/// The rules a scan runs: those named by `select` (all when empty), minus `ignore`, kept only
/// if they belong to one of `frameworks` (any when empty). Unknown selectors or frameworks are
/// errors, never a silently empty scan.
pub fn select(
    select: &[String],
    ignore: &[String],
    frameworks: &[String],
) -> Result<Vec<&'static Rule>, String> {
    for s in select {
        check_selector(s, "--select")?;
    }
    for s in ignore {
        check_selector(s, "--ignore")?;
    }
    for f in frameworks {
        if !FRAMEWORKS.contains(&f.as_str()) {
            return Err(format!(
                "unknown framework `{f}` (expected one of: {})",
                FRAMEWORKS.join(", ")
            ));
        }
    }
    Ok(registry()
        .iter()
        .copied()
        .filter(|r| select.is_empty() || select.iter().any(|s| matches(s, &r.meta)))
        .filter(|r| !ignore.iter().any(|s| matches(s, &r.meta)))
        .filter(|r| {
            frameworks.is_empty()
                || frameworks
                    .iter()
                    .any(|f| r.meta.in_framework(f).unwrap_or(false))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_by_code_prefix_and_name() {
        let all = select(&[], &[], &[]).unwrap();
        assert_eq!(all.len(), registry().len());
        let area1 = select(&["KW1".into()], &[], &[]).unwrap();
        assert!(!area1.is_empty());
        assert!(area1.iter().all(|r| r.meta.code.starts_with("KW1")));
        let first = registry()[0];
        let by_name = select(&[first.meta.name.into()], &[], &[]).unwrap();
        assert_eq!(by_name.len(), 1);
        let ignored = select(&[], &[first.meta.code.to_lowercase()], &[]).unwrap();
        assert_eq!(ignored.len(), registry().len() - 1);
    }

    #[test]
    fn unknown_selectors_and_frameworks_are_errors() {
        let e = select(&["KW999".into()], &[], &[]).unwrap_err();
        assert!(
            e.contains("unknown rule code or name `KW999` in --select"),
            "{e}"
        );
        assert!(
            select(&[], &["nope".into()], &[])
                .unwrap_err()
                .contains("--ignore")
        );
        assert!(
            select(&[], &[], &["pci".into()])
                .unwrap_err()
                .contains("unknown framework")
        );
        assert!(select(&["K".into()], &[], &[]).is_err());
    }

    #[test]
    fn frameworks_filter() {
        let baseline = select(&[], &[], &["pss-baseline".into()]).unwrap();
        let restricted = select(&[], &[], &["pss-restricted".into()]).unwrap();
        assert!(baseline.len() < restricted.len());
        assert!(baseline.iter().all(|r| r.meta.pss.is_some()));
    }
}
