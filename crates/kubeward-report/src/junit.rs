//! JUnit XML: one `<testsuite>` per rule that ran, one failing `<testcase>` per finding and one
//! passing `<testcase>` standing for the objects that passed; load errors form a
//! `kubeward.load` suite of `<error>` test cases.

use crate::RenderOptions;
use kubeward_core::Finding;
use kubeward_rules::scan::ScanResult;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Escapes text for an XML attribute value or element content. Characters XML 1.0 cannot
/// carry at all (control characters other than tab, newline and carriage return, and the
/// non-characters U+FFFE/U+FFFF) become U+FFFD; tab, newline and carriage return are written
/// as character references so attribute values keep them.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Element content: like [`escape`] but keeps newlines readable.
fn escape_text(s: &str) -> String {
    escape(s).replace("&#10;", "\n")
}

fn failure_body(f: &Finding) -> String {
    let mut body = format!(
        "{}:{}:{}\n{} {}: {}\nobject: {}\npath: {}\n",
        f.location.file,
        f.location.line,
        f.location.column,
        f.rule.code,
        f.rule.name,
        f.message,
        f.object.display_name(),
        if f.path.is_empty() { "/" } else { &f.path },
    );
    if let Some(e) = &f.evidence {
        let _ = writeln!(body, "evidence: {e}");
    }
    let _ = writeln!(body, "fix: {}", f.rule.remediation);
    body
}

pub(crate) fn render(
    result: &ScanResult,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut suites = String::new();
    let (mut total_tests, mut total_failures) = (0u64, 0u64);

    for (active, stats) in &result.rules {
        let m = &active.rule.meta;
        let suite_name = format!("{} {}", m.code, m.name);
        let findings: Vec<&Finding> = result
            .findings
            .iter()
            .filter(|f| f.rule.code == m.code)
            .collect();
        let failures = findings.len() as u64;
        let tests = stats.evaluated.max(failures);
        let passed = stats.evaluated.saturating_sub(stats.failed);
        total_tests += tests;
        total_failures += failures;
        let _ = writeln!(
            suites,
            r#"  <testsuite name="{}" tests="{tests}" failures="{failures}" errors="0" skipped="0">"#,
            escape(&suite_name)
        );
        for f in &findings {
            let _ = write!(
                suites,
                r#"    <testcase classname="{}" name="{}" file="{}""#,
                escape(&f.object.display_name()),
                escape(&suite_name),
                escape(&f.location.file),
            );
            if f.location.line > 0 {
                let _ = write!(suites, r#" line="{}""#, f.location.line);
            }
            let _ = writeln!(
                suites,
                r#">
      <failure message="{}" type="{}">{}</failure>
    </testcase>"#,
                escape(&f.message),
                f.severity,
                escape_text(&failure_body(f)),
            );
        }
        if passed > 0 {
            let noun = if passed == 1 { "object" } else { "objects" };
            let _ = writeln!(
                suites,
                r#"    <testcase classname="kubeward" name="{} ({passed} {noun} passed)"/>"#,
                escape(&suite_name)
            );
        }
        suites.push_str("  </testsuite>\n");
    }

    let errors = result.errors.len() as u64;
    if errors > 0 {
        let _ = writeln!(
            suites,
            r#"  <testsuite name="kubeward.load" tests="{errors}" failures="0" errors="{errors}" skipped="0">"#
        );
        for e in &result.errors {
            let place = if e.line > 0 {
                format!("{}:{}:{}", e.file, e.line, e.column)
            } else {
                e.file.to_string()
            };
            let _ = write!(
                suites,
                r#"    <testcase classname="kubeward.load" name="{}" file="{}""#,
                escape(&place),
                escape(&e.file)
            );
            if e.line > 0 {
                let _ = write!(suites, r#" line="{}""#, e.line);
            }
            let _ = writeln!(
                suites,
                r#">
      <error message="{}" type="load-error">{}</error>
    </testcase>"#,
                escape(&e.message),
                escape_text(&format!("{place}: {}", e.message)),
            );
        }
        suites.push_str("  </testsuite>\n");
    }

    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="kubeward {}" tests="{}" failures="{total_failures}" errors="{errors}">"#,
        escape(opts.version),
        total_tests + errors,
    )?;
    out.write_all(suites.as_bytes())?;
    writeln!(out, "</testsuites>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;"
        );
        assert_eq!(
            escape("a\u{1}b\u{1b}[31m\u{ffff}"),
            "a\u{fffd}b\u{fffd}[31m\u{fffd}"
        );
        assert_eq!(escape("tab\tnl\ncr\r"), "tab&#9;nl&#10;cr&#13;");
        assert_eq!(escape_text("one\ntwo"), "one\ntwo");
    }
}
