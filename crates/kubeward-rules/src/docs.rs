//! The generated rules reference (`docs/rules.md`), from the rule registry and doc comments.

use crate::registry;
use std::fmt::Write;

/// Frameworks a rule maps to, as a short list: `PSS baseline: privileged`, `CIS 5.2.2`, ...
pub fn framework_labels(meta: &kubeward_core::RuleMeta) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(p) = meta.pss {
        let level = match p.level {
            kubeward_core::PssLevel::Baseline => "baseline",
            kubeward_core::PssLevel::Restricted => "restricted",
        };
        out.push(format!("PSS {level}: {}", p.control));
    }
    for c in meta.cis {
        out.push(format!("CIS {c}"));
    }
    if !meta.nsa.is_empty() {
        out.push("NSA/CISA".to_string());
    }
    for m in meta.mitre {
        if m.id.is_empty() {
            out.push(format!("MITRE {}", m.tactic));
        } else {
            out.push(format!("MITRE {} {}", m.tactic, m.id));
        }
    }
    out
}

/// The whole rules reference page, in Markdown.
pub fn rules_markdown() -> String {
    let mut s = String::new();
    s.push_str("# kubeward rules\n\n");
    s.push_str(
        "<!-- Generated from the rule registry and doc comments: do not edit by hand. \
         Regenerate with `kubeward rules --format markdown > docs/rules.md`; \
         a test fails when this file is stale. -->\n\n",
    );
    let _ = writeln!(s, "{} rules.\n", registry().len());
    s.push_str("| code | name | severity | category | frameworks |\n|---|---|---|---|---|\n");
    for r in registry() {
        let m = &r.meta;
        let _ = writeln!(
            s,
            "| [{}](#{}) | `{}` | {} | {} | {} |",
            m.code,
            m.code.to_lowercase(),
            m.name,
            m.severity,
            m.category.title(),
            framework_labels(m).join("<br>")
        );
    }
    for r in registry() {
        let m = &r.meta;
        let _ = writeln!(s, "\n## {}\n\n**`{}`** — {}\n", m.code, m.name, m.summary);
        let _ = writeln!(s, "- Severity: {}", m.severity);
        let _ = writeln!(s, "- Category: {}", m.category.title());
        for mitre in m.mitre {
            let _ = writeln!(
                s,
                "- MITRE ATT&CK: {} — {}{}",
                mitre.tactic,
                mitre.technique,
                if mitre.id.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", mitre.id)
                }
            );
        }
        if let Some(p) = m.pss {
            let _ = writeln!(
                s,
                "- Pod Security Standards: {:?} / `{}`",
                p.level, p.control
            );
        }
        if !m.cis.is_empty() {
            let _ = writeln!(s, "- CIS Kubernetes Benchmark: {}", m.cis.join(", "));
        }
        if !m.nsa.is_empty() {
            let _ = writeln!(s, "- NSA/CISA Hardening Guide: {}", m.nsa.join("; "));
        }
        let _ = writeln!(s, "- Fix: {}\n", m.remediation);
        // Demote the doc's headings one level under the rule's own heading.
        for line in m.doc_text().lines() {
            if line.starts_with('#') {
                let _ = writeln!(s, "##{line}");
            } else {
                let _ = writeln!(s, "{line}");
            }
        }
    }
    s
}
