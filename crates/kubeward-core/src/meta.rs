//! What a rule is, independent of how it checks: code, name, severity, and framework mappings.

use crate::finding::Severity;
use serde::Serialize;
use std::fmt;

/// Tactics of the Kubernetes threat matrix (MITRE ATT&CK for containers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tactic {
    InitialAccess,
    Execution,
    Persistence,
    PrivilegeEscalation,
    DefenseEvasion,
    CredentialAccess,
    Discovery,
    LateralMovement,
    Collection,
    Impact,
}

impl Tactic {
    pub const ALL: [Tactic; 10] = [
        Tactic::InitialAccess,
        Tactic::Execution,
        Tactic::Persistence,
        Tactic::PrivilegeEscalation,
        Tactic::DefenseEvasion,
        Tactic::CredentialAccess,
        Tactic::Discovery,
        Tactic::LateralMovement,
        Tactic::Collection,
        Tactic::Impact,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Tactic::InitialAccess => "Initial Access",
            Tactic::Execution => "Execution",
            Tactic::Persistence => "Persistence",
            Tactic::PrivilegeEscalation => "Privilege Escalation",
            Tactic::DefenseEvasion => "Defense Evasion",
            Tactic::CredentialAccess => "Credential Access",
            Tactic::Discovery => "Discovery",
            Tactic::LateralMovement => "Lateral Movement",
            Tactic::Collection => "Collection",
            Tactic::Impact => "Impact",
        }
    }
}

impl fmt::Display for Tactic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// One cell of the threat matrix a rule maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Mitre {
    pub tactic: Tactic,
    /// The technique's name in Microsoft's Threat Matrix for Kubernetes.
    pub technique: &'static str,
    /// The MITRE ATT&CK Enterprise technique id (e.g. `T1611`), empty when there is none.
    #[serde(skip_serializing_if = "str::is_empty")]
    pub id: &'static str,
}

/// Pod Security Standards profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PssLevel {
    Baseline,
    Restricted,
}

/// The Pod Security Standards control a rule implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pss {
    pub level: PssLevel,
    /// The PSA check id (`privileged`, `hostNamespaces`, ...).
    pub control: &'static str,
}

/// What area of security a rule belongs to (the hundreds digit of its code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    PodSecurity,
    Rbac,
    Network,
    Secrets,
    Images,
    Node,
    Audit,
    Governance,
}

impl Category {
    pub fn title(self) -> &'static str {
        match self {
            Category::PodSecurity => "Pod and container security",
            Category::Rbac => "RBAC and identity",
            Category::Network => "Network",
            Category::Secrets => "Secrets and configuration data",
            Category::Images => "Images and supply chain",
            Category::Node => "Node, control plane, etcd",
            Category::Audit => "Audit-log detections",
            Category::Governance => "Governance",
        }
    }
}

/// Everything about a rule except its check. The docs are the rule's doc comment.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable code, `KW` + area digit + two digits. Never reused.
    pub code: &'static str,
    /// Kebab-case name of the bad thing (`privileged-container`).
    pub name: &'static str,
    pub severity: Severity,
    pub category: Category,
    /// One line: what the rule finds.
    pub summary: &'static str,
    /// How to fix it, in one or two sentences.
    pub remediation: &'static str,
    pub mitre: &'static [Mitre],
    /// NSA/CISA Kubernetes Hardening Guide sections.
    pub nsa: &'static [&'static str],
    /// CIS Kubernetes Benchmark recommendation ids.
    pub cis: &'static [&'static str],
    pub pss: Option<Pss>,
    /// The full documentation (the rule's doc comment), Markdown.
    pub doc: &'static str,
}

impl RuleMeta {
    /// The documentation with the one leading space of each `///` line removed.
    pub fn doc_text(&self) -> String {
        let mut out = String::with_capacity(self.doc.len());
        for line in self.doc.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out.trim().to_string()
    }

    /// Does this rule belong to a compliance framework (`pss-baseline`, `pss-restricted`,
    /// `nsa`, `cis`, `mitre`)? `None` for an unknown framework name.
    pub fn in_framework(&self, framework: &str) -> Option<bool> {
        Some(match framework {
            "pss-baseline" => matches!(self.pss, Some(p) if p.level == PssLevel::Baseline),
            "pss-restricted" => self.pss.is_some(),
            "nsa" => !self.nsa.is_empty(),
            "cis" => !self.cis.is_empty(),
            "mitre" => !self.mitre.is_empty(),
            _ => return None,
        })
    }
}

/// The framework names accepted by `--framework`.
pub const FRAMEWORKS: [&str; 5] = ["pss-baseline", "pss-restricted", "nsa", "cis", "mitre"];
