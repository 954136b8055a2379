//! Exceptions: accepted risks that suppress findings.
//!
//! Two sources: the object's own `kubeward.io/ignore` annotation (`"KW101,KW104"`, codes,
//! prefixes or names) and `exceptions:` entries of `kubeward.yaml` that match by rule,
//! namespace, kind and name glob, with a reason and an optional expiry date. An expired entry
//! no longer suppresses anything; expired and unused entries are reported.

use crate::select;
use kubeward_core::{Finding, Location};
use std::fmt;

/// A calendar date (UTC), for exception expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Date> {
        let mut parts = s.trim().splitn(3, '-');
        let year: i32 = parts.next()?.parse().ok()?;
        let month: u32 = parts.next()?.parse().ok()?;
        let day: u32 = parts.next()?.parse().ok()?;
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days)
            .contains(&day)
            .then_some(Date { year, month, day })
    }

    /// Today's date in UTC.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days((secs / 86_400) as i64)
    }

    /// The date `days` days after 1970-01-01 (Howard Hinnant's civil-from-days).
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// One `exceptions:` entry of `kubeward.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    /// Rule selectors (codes, prefixes, names); the entry applies to findings of any of them.
    pub rules: Vec<String>,
    /// Namespace glob; `None` matches any.
    pub namespace: Option<String>,
    /// Kind, exact (case-insensitive); `None` matches any.
    pub kind: Option<String>,
    /// Name glob (`*`, `?`); `None` matches any.
    pub name: Option<String>,
    pub reason: String,
    pub expires: Option<Date>,
    /// Where the entry is written.
    pub location: Location,
}

impl Exception {
    fn matches(&self, f: &Finding) -> bool {
        self.rules.iter().any(|s| select::matches(s, f.rule))
            && self
                .kind
                .as_ref()
                .is_none_or(|k| k.eq_ignore_ascii_case(&f.object.kind))
            && self
                .namespace
                .as_ref()
                .is_none_or(|g| glob(g, f.object.effective_namespace()))
            && self.name.as_ref().is_none_or(|g| glob(g, &f.object.name))
    }
}

/// A problem with an exception entry, reported after the scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExceptionProblem {
    /// The entry expired on `expires` and no longer suppresses anything.
    Expired { exception: Exception, matched: u64 },
    /// The entry matched no finding: stale, or mistyped.
    Unused { exception: Exception },
}

impl fmt::Display for ExceptionProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExceptionProblem::Expired {
                exception: e,
                matched,
            } => write!(
                f,
                "{}:{}: exception for {} expired on {}; {matched} finding(s) it would cover are reported again",
                e.location.file,
                e.location.line,
                e.rules.join(","),
                e.expires.map(|d| d.to_string()).unwrap_or_default()
            ),
            ExceptionProblem::Unused { exception: e } => write!(
                f,
                "{}:{}: exception for {} matched no finding; remove it if it is stale",
                e.location.file,
                e.location.line,
                e.rules.join(",")
            ),
        }
    }
}

/// Exceptions in force for a scan, with usage counts.
#[derive(Debug, Default)]
pub struct Exceptions {
    entries: Vec<(Exception, u64)>,
    today: Option<Date>,
    /// Findings suppressed by object annotations.
    pub by_annotation: u64,
}

impl Exceptions {
    /// Exceptions from config entries, judged against `today`.
    pub fn new(entries: Vec<Exception>, today: Date) -> Exceptions {
        Exceptions {
            entries: entries.into_iter().map(|e| (e, 0)).collect(),
            today: Some(today),
            by_annotation: 0,
        }
    }

    fn expired(&self, e: &Exception) -> bool {
        matches!((e.expires, self.today), (Some(exp), Some(today)) if exp < today)
    }

    /// Does an exception cover this finding? Counts the use either way.
    pub fn suppresses(&mut self, f: &Finding) -> bool {
        if let Some(list) = &f.object.ignore
            && list
                .split(',')
                .any(|s| !s.trim().is_empty() && select::matches(s, f.rule))
        {
            self.by_annotation += 1;
            return true;
        }
        let mut suppressed = false;
        for i in 0..self.entries.len() {
            if self.entries[i].0.matches(f) {
                self.entries[i].1 += 1;
                if !self.expired(&self.entries[i].0) {
                    suppressed = true;
                }
            }
        }
        suppressed
    }

    /// Expired and unused entries.
    pub fn problems(&self) -> Vec<ExceptionProblem> {
        self.entries
            .iter()
            .filter_map(|(e, used)| {
                if self.expired(e) {
                    Some(ExceptionProblem::Expired {
                        exception: e.clone(),
                        matched: *used,
                    })
                } else if *used == 0 {
                    Some(ExceptionProblem::Unused {
                        exception: e.clone(),
                    })
                } else {
                    None
                }
            })
            .collect()
    }
}

/// Matches `*` (any run) and `?` (one character) globs.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("node-exporter*", "node-exporter-abc"));
        assert!(glob("*", ""));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "abbc"));
        assert!(glob("*-prod-*", "db-prod-1"));
        assert!(!glob("prod", "production"));
    }

    #[test]
    fn dates() {
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_days(20_780).to_string(), "2026-11-23");
        assert_eq!(Date::parse("2024-02-29").unwrap().day, 29);
        assert!(Date::parse("2023-02-29").is_none());
        assert!(Date::parse("2023-13-01").is_none());
        assert!(Date::parse("soon").is_none());
        assert!(Date::parse("2026-11-22") < Date::parse("2026-11-23"));
    }
}
