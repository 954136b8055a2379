//! Labels and label selectors with the API server's semantics: `matchLabels` and
//! `matchExpressions` (`In`, `NotIn`, `Exists`, `DoesNotExist`) ANDed; an empty selector
//! matches everything.

use kubeward_core::Str;
use std::fmt;

/// A label set, sorted by key (keys are unique).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Labels(Vec<(Str, Str)>);

impl Labels {
    pub fn new(mut pairs: Vec<(Str, Str)>) -> Labels {
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        pairs.dedup_by(|a, b| a.0 == b.0);
        Labels(pairs)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .map(|i| self.0[i].1.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Adds a label unless the key is already set.
    pub fn insert_default(&mut self, key: &str, value: &str) {
        if let Err(i) = self.0.binary_search_by(|(k, _)| k.as_str().cmp(key)) {
            self.0.insert(i, (key.into(), value.into()));
        }
    }
}

impl fmt::Display for Labels {
    /// `a=1,b=2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sep = "";
        for (k, v) in self.iter() {
            write!(f, "{sep}{k}={v}")?;
            sep = ",";
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    In(Vec<Str>),
    NotIn(Vec<Str>),
    Exists,
    DoesNotExist,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Requirement {
    pub key: Str,
    pub op: Op,
}

impl Requirement {
    pub fn matches(&self, labels: &Labels) -> bool {
        let value = labels.get(&self.key);
        match &self.op {
            Op::In(values) => value.is_some_and(|v| values.iter().any(|x| x == v)),
            Op::NotIn(values) => value.is_none_or(|v| values.iter().all(|x| x != v)),
            Op::Exists => value.is_some(),
            Op::DoesNotExist => value.is_none(),
        }
    }
}

/// A label selector. `matchLabels` are kept as `In` requirements with one value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Selector {
    pub requirements: Vec<Requirement>,
}

impl Selector {
    /// The selector that matches everything (`{}`).
    pub fn everything() -> Selector {
        Selector::default()
    }

    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }

    /// The label keys the selector looks at.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.requirements.iter().map(|r| r.key.as_str())
    }
}

impl fmt::Display for Selector {
    /// The `kubectl` selector syntax: `app=web,tier in (a,b),!legacy`; `{}` when empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.requirements.is_empty() {
            return f.write_str("{}");
        }
        let mut sep = "";
        for r in &self.requirements {
            f.write_str(sep)?;
            sep = ",";
            match &r.op {
                Op::In(v) if v.len() == 1 => write!(f, "{}={}", r.key, v[0])?,
                Op::NotIn(v) if v.len() == 1 => write!(f, "{}!={}", r.key, v[0])?,
                Op::In(v) => write!(f, "{} in ({})", r.key, join(v))?,
                Op::NotIn(v) => write!(f, "{} notin ({})", r.key, join(v))?,
                Op::Exists => write!(f, "{}", r.key)?,
                Op::DoesNotExist => write!(f, "!{}", r.key)?,
            }
        }
        Ok(())
    }
}

fn join(v: &[Str]) -> String {
    v.iter().map(Str::as_str).collect::<Vec<_>>().join(",")
}

/// Checks a label key as the API server does: an optional DNS-subdomain prefix and `/`, then a
/// name of at most 63 characters (alphanumerics, `-`, `_`, `.`; alphanumeric at both ends).
pub fn check_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix
        && (p.is_empty() || p.len() > 253 || !is_dns_subdomain(p))
    {
        return Err(format!(
            "invalid label key `{key}`: the prefix must be a DNS subdomain (lower-case letters, digits, `-` and `.`)"
        ));
    }
    if name.is_empty() {
        return Err(format!("invalid label key `{key}`: the name part is empty"));
    }
    check_name_part(name).map_err(|why| format!("invalid label key `{key}`: {why}"))
}

/// Checks a label value: empty, or at most 63 characters of alphanumerics, `-`, `_`, `.`,
/// alphanumeric at both ends.
pub fn check_value(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    check_name_part(value).map_err(|why| format!("invalid label value `{value}`: {why}"))
}

fn check_name_part(s: &str) -> Result<(), String> {
    if s.len() > 63 {
        return Err("longer than 63 characters".into());
    }
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if !s.chars().all(ok_char) {
        return Err("only letters, digits, `-`, `_` and `.` are allowed".into());
    }
    let first = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
    let last = s.chars().last().is_some_and(|c| c.is_ascii_alphanumeric());
    if !first || !last {
        return Err("must start and end with a letter or digit".into());
    }
    Ok(())
}

fn is_dns_subdomain(s: &str) -> bool {
    s.split('.').all(|part| {
        !part.is_empty()
            && part.len() <= 63
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !part.starts_with('-')
            && !part.ends_with('-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        Labels::new(
            pairs
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        )
    }

    fn req(key: &str, op: Op) -> Requirement {
        Requirement {
            key: key.into(),
            op,
        }
    }

    #[test]
    fn operators_follow_the_api_semantics() {
        let l = labels(&[("app", "web"), ("tier", "front")]);
        let vals = |v: &[&str]| v.iter().map(|s| Str::from(*s)).collect::<Vec<_>>();
        assert!(req("app", Op::In(vals(&["web", "api"]))).matches(&l));
        assert!(!req("app", Op::In(vals(&["api"]))).matches(&l));
        assert!(!req("missing", Op::In(vals(&["x"]))).matches(&l));
        // NotIn matches when the key is absent.
        assert!(req("missing", Op::NotIn(vals(&["x"]))).matches(&l));
        assert!(!req("app", Op::NotIn(vals(&["web"]))).matches(&l));
        assert!(req("tier", Op::Exists).matches(&l));
        assert!(!req("tier", Op::DoesNotExist).matches(&l));
        assert!(req("missing", Op::DoesNotExist).matches(&l));
        let sel = Selector {
            requirements: vec![req("app", Op::In(vals(&["web"]))), req("tier", Op::Exists)],
        };
        assert!(sel.matches(&l));
        assert!(!sel.matches(&labels(&[("app", "web")])));
        assert!(Selector::everything().matches(&Labels::default()));
        assert_eq!(sel.to_string(), "app=web,tier");
    }

    #[test]
    fn keys_and_values_are_checked_like_the_api_server() {
        assert!(check_key("app").is_ok());
        assert!(check_key("kubernetes.io/metadata.name").is_ok());
        assert!(check_key("app.kubernetes.io/name").is_ok());
        assert!(check_key("-app").is_err());
        assert!(check_key("Example.com/app").is_err());
        assert!(check_key("/app").is_err());
        assert!(check_key("a/b/c").is_err());
        assert!(check_key(&"a".repeat(64)).is_err());
        assert!(check_value("").is_ok());
        assert!(check_value("v1.2_3-x").is_ok());
        assert!(check_value("has space").is_err());
        assert!(check_value("trailing-").is_err());
    }

    #[test]
    fn labels_lookup_and_defaults() {
        let mut l = labels(&[("b", "2"), ("a", "1")]);
        assert_eq!(l.get("a"), Some("1"));
        assert_eq!(l.get("c"), None);
        l.insert_default("a", "9");
        l.insert_default("c", "3");
        assert_eq!(l.to_string(), "a=1,b=2,c=3");
    }
}
