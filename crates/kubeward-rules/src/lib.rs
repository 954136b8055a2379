//! kubeward's rules: the registry, the engine that runs them, and the built-in rule set.
//!
//! A rule is a [`Rule`]: metadata ([`RuleMeta`], whose `doc` is the rule's doc comment) plus a
//! [`Check`]. Rules are declared with the [`rule!`] macro, one per file under `rules/`, and
//! listed once in [`registry`]. Three kinds of check:
//! - [`Check::Pod`] sees the pod spec of every workload kind through [`PodView`];
//! - [`Check::Object`] sees one object of the kinds it names;
//! - [`Check::Snapshot`] sees the whole input set (cross-object rules).
//!
//! Object and pod checks are what the admission webhook and the live scan reuse.

pub mod config;
pub mod docs;
pub mod engine;
pub mod exceptions;
pub mod rules;
pub mod scan;
pub mod select;
pub mod util;

pub use engine::{Cx, Engine, Reported, RuleStats};
use kubeward_core::{Object, PodView, Pss, PssLevel, RuleMeta, Snapshot};

/// A rule: what it is and how it checks.
#[derive(Debug)]
pub struct Rule {
    pub meta: RuleMeta,
    pub check: Check,
}

/// How a rule checks.
#[derive(Debug, Clone, Copy)]
pub enum Check {
    /// Runs on the pod spec of every pod-template-bearing kind.
    Pod(fn(&PodView<'_>, &mut Cx<'_>)),
    /// Runs on each object whose kind is in `kinds`.
    Object {
        kinds: &'static [&'static str],
        check: fn(&Object, &mut Cx<'_>),
    },
    /// Runs once on the snapshot. `retain` names the kinds it needs kept and how much of each
    /// object (a manifest scan drops every other object once object rules have seen it).
    Snapshot {
        retain: &'static [(&'static str, Keep)],
        check: fn(&Snapshot, &mut Cx<'_>),
    },
}

/// How much of an object a snapshot rule needs kept. When several selected rules ask for one
/// kind, the engine keeps the largest (declaration order): `Whole` wins over `Rbac`, and the
/// RBAC rules then build their analysis from the kept trees instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Keep {
    /// `apiVersion`, `kind` and `metadata` (without `managedFields`): identity, labels,
    /// annotations, and a position to report at.
    Metadata,
    /// For Role, ClusterRole, RoleBinding and ClusterRoleBinding: the evaluator's compact form
    /// (rules, subjects, roleRef and the positions findings point at), not the tree; rules read
    /// it with [`scan::rbac_input`].
    Rbac,
    /// What the NetworkPolicy analysis reads (`kubeward_netpol::prune`): a workload's
    /// identity, owners, pod-template labels and container ports; a Service's type, selector,
    /// ports and external IPs; an Ingress's backends. Other kinds keep their metadata.
    Pods,
    /// What the attack graph reads (`kubeward_rbac::graph::prune`): a workload's pod spec
    /// without commands, probes, resources or plain env values; a Service's type and selector;
    /// a Secret's type and metadata, never its data. Other kinds keep their metadata.
    Graph,
    /// The whole object.
    Whole,
}

/// A Pod Security Standards baseline control.
pub const fn baseline(control: &'static str) -> Option<Pss> {
    Some(Pss {
        level: PssLevel::Baseline,
        control,
    })
}

/// A Pod Security Standards restricted control.
pub const fn restricted(control: &'static str) -> Option<Pss> {
    Some(Pss {
        level: PssLevel::Restricted,
        control,
    })
}

/// Declares a rule; its doc comment becomes its documentation.
///
/// ```ignore
/// rule! {
///     /// ## What it finds
///     /// ...
///     pub static PRIVILEGED_CONTAINER {
///         code: "KW101", name: "privileged-container", severity: High, category: PodSecurity,
///         summary: "...", remediation: "...",
///         mitre: [(PrivilegeEscalation, "Privileged container", "T1611")],
///         nsa: ["..."], cis: ["5.2.2"], pss: baseline("privileged"),
///         check: Check::Pod(check),
///     }
/// }
/// ```
#[macro_export]
macro_rules! rule {
    (
        $(#[doc = $doc:literal])*
        $vis:vis static $id:ident {
            code: $code:literal,
            name: $name:literal,
            severity: $sev:ident,
            category: $cat:ident,
            summary: $summary:literal,
            remediation: $rem:literal,
            mitre: [$(($tactic:ident, $tech:literal, $tid:literal)),* $(,)?],
            nsa: [$($nsa:literal),* $(,)?],
            cis: [$($cis:literal),* $(,)?],
            pss: $pss:expr,
            check: $check:expr $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        $vis static $id: $crate::Rule = $crate::Rule {
            meta: ::kubeward_core::RuleMeta {
                code: $code,
                name: $name,
                severity: ::kubeward_core::Severity::$sev,
                category: ::kubeward_core::Category::$cat,
                summary: $summary,
                remediation: $rem,
                mitre: &[$(::kubeward_core::Mitre {
                    tactic: ::kubeward_core::Tactic::$tactic,
                    technique: $tech,
                    id: $tid,
                }),*],
                nsa: &[$($nsa),*],
                cis: &[$($cis),*],
                pss: $pss,
                doc: concat!($($doc, "\n"),*),
            },
            check: $check,
        };
    };
}

/// Every built-in rule, sorted by code.
pub fn registry() -> &'static [&'static Rule] {
    static SORTED: std::sync::OnceLock<Vec<&'static Rule>> = std::sync::OnceLock::new();
    SORTED.get_or_init(|| {
        let mut all: Vec<&'static Rule> =
            rules::ALL.iter().flat_map(|g| g.iter().copied()).collect();
        all.sort_by_key(|r| r.meta.code);
        all
    })
}

/// Looks a rule up by code (`KW101`) or name (`privileged-container`).
pub fn find(code_or_name: &str) -> Option<&'static Rule> {
    registry()
        .iter()
        .copied()
        .find(|r| r.meta.code.eq_ignore_ascii_case(code_or_name) || r.meta.name == code_or_name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for r in registry() {
            let m = &r.meta;
            assert!(codes.insert(m.code), "duplicate code {}", m.code);
            assert!(names.insert(m.name), "duplicate name {}", m.name);
            assert!(
                m.code.len() == 5
                    && m.code.starts_with("KW")
                    && m.code[2..].bytes().all(|b| b.is_ascii_digit()),
                "bad code {}",
                m.code
            );
            let area = m.code.as_bytes()[2] - b'0';
            let expected = match m.category {
                kubeward_core::Category::PodSecurity => 1,
                kubeward_core::Category::Rbac => 2,
                kubeward_core::Category::Network => 3,
                kubeward_core::Category::Secrets => 4,
                kubeward_core::Category::Images => 5,
                kubeward_core::Category::Node => 6,
                kubeward_core::Category::Audit => 7,
                kubeward_core::Category::Governance => 8,
            };
            assert_eq!(
                area, expected,
                "{} is in the wrong area for its category",
                m.code
            );
            assert!(
                m.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{} is not kebab-case",
                m.name
            );
            assert!(!m.mitre.is_empty(), "{} has no MITRE mapping", m.code);
            let doc = m.doc_text();
            for heading in ["## What it finds", "## Why it matters", "## How to fix"] {
                assert!(doc.contains(heading), "{} doc lacks `{heading}`", m.code);
            }
            assert!(
                !m.summary.is_empty() && !m.remediation.is_empty(),
                "{}",
                m.code
            );
        }
    }
}
