//! The audit report as one self-contained HTML page: inline CSS, charts drawn as inline SVG,
//! and a little inline JavaScript (severity filter, text search, sortable counts). No external
//! asset, no network access; every string from the log is HTML-escaped.

use crate::report::{OpList, Report};
use std::fmt::Write;

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

const CSS: &str = r#"
:root{--fg:#1d2330;--muted:#5b6475;--bg:#f6f7f9;--card:#fff;--line:#e3e6eb;--crit:#7a0019;--high:#c62828;--med:#ef6c00;--low:#2e7d32;--info:#1565c0}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:20px}header p{margin:0;color:#c9cfda}
main{padding:20px 28px;max-width:1400px}section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:0 0 18px}
h2{font-size:16px;margin:0 0 10px}.kpis{display:flex;flex-wrap:wrap;gap:12px}.kpi{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:120px}
.kpi b{display:block;font-size:22px}.kpi span{color:var(--muted);font-size:12px}table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}th{color:var(--muted);font-weight:600;cursor:default}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f0f2f5;padding:1px 4px;border-radius:3px;word-break:break-all}
.sev{display:inline-block;padding:1px 7px;border-radius:10px;color:#fff;font-size:11px;font-weight:700;text-transform:uppercase}
.sev-critical{background:var(--crit)}.sev-high{background:var(--high)}.sev-medium{background:var(--med)}.sev-low{background:var(--low)}.sev-info{background:var(--info)}
.muted{color:var(--muted)}.filters{display:flex;gap:14px;align-items:center;margin:0 0 10px;flex-wrap:wrap}.filters input[type=search]{padding:4px 8px;border:1px solid var(--line);border-radius:4px;min-width:240px}
.grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:18px}#alerts td:nth-child(2){min-width:190px}#alerts td:nth-child(6){min-width:320px}@media(max-width:900px){.grid{grid-template-columns:1fr}}svg text{font:11px system-ui,sans-serif;fill:#1d2330}
.note{background:#fff8e1;border:1px solid #ffe082;border-radius:6px;padding:8px 12px;margin:0 0 10px}details summary{cursor:pointer;color:var(--muted)}
"#;

const JS: &str = r#"
(function(){
  var boxes = document.querySelectorAll('input[data-sev]');
  var search = document.getElementById('alert-search');
  var rows = document.querySelectorAll('#alerts tbody tr.alert');
  var shown = document.getElementById('alerts-shown');
  function apply(){
    var on = {};
    for (var i = 0; i < boxes.length; i++) { on[boxes[i].getAttribute('data-sev')] = boxes[i].checked; }
    var q = search ? search.value.toLowerCase() : '';
    var n = 0;
    for (var j = 0; j < rows.length; j++) {
      var r = rows[j];
      var ok = on[r.getAttribute('data-sev')] !== false && (!q || r.textContent.toLowerCase().indexOf(q) >= 0);
      r.style.display = ok ? '' : 'none';
      var d = r.nextElementSibling;
      if (d && d.classList.contains('alert-detail')) { d.style.display = ok ? '' : 'none'; }
      if (ok) { n++; }
    }
    if (shown) { shown.textContent = String(n); }
  }
  for (var k = 0; k < boxes.length; k++) { boxes[k].addEventListener('change', apply); }
  if (search) { search.addEventListener('input', apply); }
  apply();
  document.documentElement.setAttribute('data-report-ready', 'true');
})();
"#;

fn sev_class(s: &str) -> String {
    format!("sev sev-{}", esc(s))
}

/// A horizontal bar chart of (label, value, colour) rows.
fn hbar(rows: &[(String, u64, &str)], title: &str) -> String {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let bar_h = 18;
    let label_w = 300;
    let chart_w = 360;
    let h = rows.len() as i64 * (bar_h + 6) + 10;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg role="img" aria-label="{}" width="100%" style="max-width:{}px" height="{}" viewBox="0 0 {} {}" xmlns="http://www.w3.org/2000/svg">"#,
        esc(title),
        label_w + chart_w + 70,
        h,
        label_w + chart_w + 70,
        h
    );
    for (i, (label, v, color)) in rows.iter().enumerate() {
        let y = i as i64 * (bar_h + 6) + 4;
        let w = ((*v as f64 / max as f64) * chart_w as f64).round().max(1.0) as i64;
        let shown: String = if label.chars().count() > 48 {
            label.chars().take(47).chain(['…']).collect()
        } else {
            label.clone()
        };
        let _ = write!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text><rect x="{}" y="{}" width="{w}" height="{bar_h}" fill="{color}"><title>{}: {v}</title></rect><text x="{}" y="{}">{v}</text>"#,
            label_w - 6,
            y + 13,
            esc(&shown),
            label_w,
            y,
            esc(label),
            label_w + w + 4,
            y + 13,
        );
    }
    s.push_str("</svg>");
    s
}

fn kind_color(kind: &str) -> &'static str {
    match kind {
        "control-plane" => "#90a4ae",
        "node" => "#b0bec5",
        "service-account" => "#5c6bc0",
        "person" => "#26a69a",
        "anonymous" => "#c62828",
        _ => "#8d6e63",
    }
}

fn timeline_svg(r: &Report) -> String {
    let b = &r.timeline.buckets;
    if b.is_empty() {
        return "<p class=\"muted\">no timestamps</p>".into();
    }
    let w = 1100i64;
    let h = 200i64;
    let left = 50i64;
    let bottom = 30i64;
    let plot_h = h - bottom - 10;
    let n = b.len() as i64;
    let bw = ((w - left - 10) / n).max(2);
    let max = b.iter().map(|x| x.requests).max().unwrap_or(0).max(1);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg role="img" aria-label="timeline" width="100%" height="{h}" viewBox="0 0 {w} {h}" preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg">"#
    );
    let _ = write!(
        s,
        r##"<line x1="{left}" y1="{}" x2="{}" y2="{}" stroke="#9aa3b2"/>"##,
        h - bottom,
        w - 10,
        h - bottom
    );
    let _ = write!(
        s,
        r#"<text x="{}" y="14" text-anchor="end">{max}</text><text x="{}" y="{}" text-anchor="end">0</text>"#,
        left - 4,
        left - 4,
        h - bottom
    );
    for (i, x) in b.iter().enumerate() {
        let xpos = left + i as i64 * bw;
        let rh = (x.requests as f64 / max as f64 * plot_h as f64).round() as i64;
        let dh = (x.denied as f64 / max as f64 * plot_h as f64).round() as i64;
        let title = format!(
            "{}: {} requests, {} writes, {} refused, {} alerts",
            x.start, x.requests, x.writes, x.denied, x.alerts
        );
        let _ = write!(
            s,
            r##"<g><title>{}</title><rect x="{xpos}" y="{}" width="{}" height="{rh}" fill="#90caf9"/><rect x="{xpos}" y="{}" width="{}" height="{dh}" fill="#ef6c00"/>"##,
            esc(&title),
            h - bottom - rh,
            (bw - 1).max(1),
            h - bottom - dh,
            (bw - 1).max(1),
        );
        if x.alerts > 0 {
            let _ = write!(
                s,
                r##"<circle cx="{}" cy="{}" r="4" fill="#c62828"/>"##,
                xpos + bw / 2,
                h - bottom - rh - 7
            );
        }
        s.push_str("</g>");
    }
    let label_every = (n / 8).max(1);
    for (i, x) in b.iter().enumerate() {
        if (i as i64) % label_every == 0 {
            let t = if r.timeline.bucket_seconds < 60 {
                x.start.get(11..19)
            } else {
                x.start.get(11..16)
            }
            .unwrap_or(&x.start);
            let _ = write!(
                s,
                r#"<text x="{}" y="{}">{}</text>"#,
                left + i as i64 * bw,
                h - bottom + 16,
                esc(t)
            );
        }
    }
    s.push_str("</svg>");
    s.push_str(r##"<p class="muted"><svg width="12" height="12"><rect width="12" height="12" fill="#90caf9"/></svg> requests &nbsp; <svg width="12" height="12"><rect width="12" height="12" fill="#ef6c00"/></svg> refused &nbsp; <svg width="12" height="12"><circle cx="6" cy="6" r="5" fill="#c62828"/></svg> alerts</p>"##);
    s
}

fn op_table(list: &OpList, id: &str, limit: usize) -> String {
    let mut s = String::new();
    if list.total == 0 {
        return "<p class=\"muted\">none</p>".into();
    }
    let _ = write!(
        s,
        r#"<table id="{id}"><thead><tr><th>time</th><th>identity</th><th>verb</th><th>target</th><th class="num">code</th><th>source</th><th>auditID</th></tr></thead><tbody>"#
    );
    for o in list.items.iter().take(limit) {
        let who = match &o.impersonated_by {
            Some(by) => format!(
                "{} <span class=\"muted\">as, by {}</span>",
                esc(&o.user),
                esc(by)
            ),
            None => esc(&o.user),
        };
        let target = if o.detail.is_empty() {
            esc(&o.target)
        } else {
            format!("{} <code>{}</code>", esc(&o.target), esc(&o.detail))
        };
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{who}</td><td>{}</td><td>{target}</td><td class=\"num\">{}</td><td>{}</td><td><code>{}</code></td></tr>",
            esc(&o.time.replace('T', " ")),
            esc(&o.verb),
            o.code.map_or(String::new(), |c| c.to_string()),
            esc(&o.source_ip),
            esc(&o.audit_id),
        );
    }
    s.push_str("</tbody></table>");
    if list.total as usize > limit.min(list.items.len()) {
        let _ = write!(
            s,
            "<p class=\"muted\">{} more not shown (the JSON report lists up to {}).</p>",
            list.total as usize - limit.min(list.items.len()),
            crate::report::MAX_LIST
        );
    }
    s
}

/// Renders the report as a complete HTML document.
pub fn render(r: &Report, inputs: &[String]) -> String {
    let t = &r.totals;
    let mut s = String::with_capacity(64 << 10);
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    s.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">");
    s.push_str("<title>kubeward audit report</title><style>");
    s.push_str(CSS);
    s.push_str("</style></head><body><header><h1>Kubernetes audit report</h1>");
    let _ = write!(
        s,
        "<p>{} &middot; {} .. {}</p></header><main>",
        esc(&inputs.join(", ")),
        esc(&r.first_seen),
        esc(&r.last_seen)
    );

    // Key figures.
    s.push_str("<section><div class=\"kpis\">");
    for (label, v) in [
        ("alerts", t.alerts),
        ("requests", t.requests),
        ("writes", t.writes),
        ("refused", t.denied),
        ("anonymous", t.anonymous),
        ("impersonated", t.impersonated),
        ("identities", t.identities),
        ("events", t.events),
    ] {
        let _ = write!(
            s,
            "<div class=\"kpi\"><b id=\"kpi-{label}\">{v}</b><span>{label}</span></div>"
        );
    }
    s.push_str("</div></section>");
    if t.writes_without_body > 0 || t.bad_records > 0 {
        s.push_str("<section>");
        if t.writes_without_body > 0 {
            let _ = write!(
                s,
                "<p class=\"note\">{} writes came without a request body (Metadata-level audit policy): the detections that read objects (privileged pods, RBAC content, NodePorts...) could not judge them.</p>",
                t.writes_without_body
            );
        }
        if t.bad_records > 0 {
            let _ = write!(
                s,
                "<p class=\"note\">{} records could not be parsed (see the command's error output).</p>",
                t.bad_records
            );
        }
        s.push_str("</section>");
    }

    // Alerts.
    let _ = write!(
        s,
        "<section><h2>Alerts (<span id=\"alerts-shown\">{}</span> of {})</h2><div class=\"filters\">",
        r.alerts.len(),
        r.alerts.len()
    );
    for sev in ["critical", "high", "medium", "low", "info"] {
        let n = r
            .alerts
            .iter()
            .filter(|a| a.severity.as_str() == sev)
            .count();
        let _ = write!(
            s,
            "<label><input type=\"checkbox\" data-sev=\"{sev}\" checked> <span class=\"{}\">{sev}</span> {n}</label>",
            sev_class(sev)
        );
    }
    s.push_str("<input type=\"search\" id=\"alert-search\" placeholder=\"filter: user, code, namespace...\" aria-label=\"filter alerts\"></div>");
    if r.alerts.is_empty() {
        s.push_str("<p class=\"muted\" id=\"no-alerts\">no alerts</p>");
    }
    s.push_str("<table id=\"alerts\"><thead><tr><th>severity</th><th>detection</th><th>first seen</th><th>identity</th><th>object</th><th>message</th><th class=\"num\">requests</th></tr></thead><tbody>");
    for a in &r.alerts {
        let sev = a.severity.as_str();
        let who = match &a.identity.impersonated_by {
            Some(by) => format!(
                "{} <span class=\"muted\">(as, by {})</span>",
                esc(&a.identity.user),
                esc(by)
            ),
            None => esc(&a.identity.user),
        };
        let mitre: Vec<String> = a
            .mitre
            .iter()
            .take(1)
            .map(|m| {
                format!(
                    "{} &middot; {}{}",
                    esc(m.tactic.title()),
                    esc(m.technique),
                    if m.id.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", esc(m.id))
                    }
                )
            })
            .collect();
        let _ = write!(
            s,
            "<tr class=\"alert\" data-sev=\"{sev}\" data-code=\"{}\"><td><span class=\"{}\">{sev}</span></td><td><b>{}</b> {}<br><span class=\"muted\">{}</span></td><td>{}</td><td>{who}<br><span class=\"muted\">{}</span></td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            a.code,
            sev_class(sev),
            a.code,
            esc(a.name),
            mitre.join("<br>"),
            esc(&a.first_seen.replace('T', " ")),
            esc(a.identity.kind.as_str()),
            esc(&a.object.describe()),
            esc(&a.message),
            a.count,
        );
        let evs: Vec<String> = a
            .events
            .iter()
            .map(|e| {
                format!(
                    "<code>{}</code> {} {} {}",
                    esc(&e.audit_id),
                    esc(&e.time.replace('T', " ")),
                    esc(&e.verb),
                    esc(&e.target)
                )
            })
            .collect();
        let ips = a.identity.source_ips.join(", ");
        let _ = write!(
            s,
            "<tr class=\"alert-detail\"><td></td><td colspan=\"6\"><details><summary>events and source</summary><p>source: {} &middot; user agent: {}</p><p>{}</p></details></td></tr>",
            esc(if ips.is_empty() { "-" } else { &ips }),
            esc(if a.identity.user_agent.is_empty() {
                "-"
            } else {
                &a.identity.user_agent
            }),
            evs.join("<br>"),
        );
    }
    s.push_str("</tbody></table></section>");

    // Timeline.
    let _ = write!(
        s,
        "<section><h2>Timeline ({} per bar)</h2>{}</section>",
        crate::time::format_duration(r.timeline.bucket_seconds * crate::time::SECOND),
        timeline_svg(r)
    );

    // Charts.
    s.push_str("<div class=\"grid\">");
    let comps: Vec<(String, u64, &str)> = r
        .components
        .iter()
        .map(|c| {
            (
                format!("{} ({} identities)", c.kind.as_str(), c.identities),
                c.requests,
                kind_color(c.kind.as_str()),
            )
        })
        .collect();
    let _ = write!(
        s,
        "<section><h2>Requests by kind of identity</h2>{}</section>",
        hbar(&comps, "requests by kind of identity")
    );
    let users: Vec<(String, u64, &str)> = r
        .users
        .iter()
        .take(15)
        .map(|u| (u.user.clone(), u.requests, kind_color(u.kind.as_str())))
        .collect();
    let _ = write!(
        s,
        "<section><h2>Requests by identity (top 15)</h2>{}</section>",
        hbar(&users, "requests by identity")
    );
    s.push_str("</div>");
    let res: Vec<(String, u64, &str)> = r
        .resources
        .iter()
        .take(20)
        .map(|x| (x.resource.clone(), x.requests, "#42a5f5"))
        .collect();
    let _ = write!(
        s,
        "<section><h2>Requests by resource type (top 20)</h2>{}",
        hbar(&res, "requests by resource type")
    );
    s.push_str("<details><summary>all resource types</summary><table id=\"resources\"><thead><tr><th>resource</th><th class=\"num\">requests</th><th class=\"num\">refused</th><th>verbs</th></tr></thead><tbody>");
    for x in &r.resources {
        let verbs: Vec<String> = x
            .verbs
            .iter()
            .map(|(k, v)| format!("{} {v}", esc(k)))
            .collect();
        let _ = write!(
            s,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            esc(&x.resource),
            x.requests,
            x.denied,
            verbs.join(", ")
        );
    }
    s.push_str("</tbody></table></details></section>");

    s.push_str("<section><h2>Identities</h2><table id=\"users\"><thead><tr><th>identity</th><th>kind</th><th class=\"num\">requests</th><th class=\"num\">writes</th><th class=\"num\">refused</th><th class=\"num\">alerts</th><th>first seen</th><th>last seen</th></tr></thead><tbody>");
    for u in r.users.iter().take(200) {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&u.user),
            esc(u.kind.as_str()),
            u.requests,
            u.writes,
            u.denied,
            u.alerts,
            esc(&u.first_seen.replace('T', " ")),
            esc(&u.last_seen.replace('T', " ")),
        );
    }
    s.push_str("</tbody></table></section>");

    for (title, id, list) in [
        (
            "Exec, attach, port-forward, logs and kubelet proxy",
            "ops-exec",
            &r.important.exec,
        ),
        (
            "Secret reads (outside the control plane)",
            "ops-secrets",
            &r.important.secret_reads,
        ),
        (
            "Deletions (outside the control plane)",
            "ops-deletions",
            &r.important.deletions,
        ),
        (
            "RBAC changes (outside the control plane)",
            "ops-rbac",
            &r.important.rbac_changes,
        ),
        ("Refused requests (401/403)", "ops-forbidden", &r.forbidden),
        ("Anonymous requests", "ops-anonymous", &r.anonymous),
    ] {
        let _ = write!(
            s,
            "<section><h2>{} ({})</h2>{}</section>",
            esc(title),
            list.total,
            op_table(list, id, 500)
        );
    }
    s.push_str("</main><script>");
    s.push_str(JS);
    s.push_str("</script></body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_that_matters() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }
}
