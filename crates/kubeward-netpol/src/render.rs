//! Outputs: the connection list, the matrix (table, JSON, CSV, a self-contained HTML page),
//! exposure and reachability answers. JSON outputs carry `schemaVersion` (docs/netpol.md).

use crate::SCHEMA_VERSION;
use crate::conn::{ConnSet, Protocol};
use crate::engine::{Analysis, Endpoint, Matrix};
use crate::explain::{AdminHit, Reach, Side};
use crate::exposure::Exposure;
use crate::list::{Connection, end_name};
use crate::model::{Direction, Model};
use serde_json::{Value, json};
use std::io::{self, Write};

/// A connection set as JSON: `{"all": true}` or `{"TCP": [[80, 80], [8000, 8080]], "UDP": ...}`.
pub fn conns_json(c: &ConnSet) -> Value {
    if c.is_all() {
        return json!({"all": true});
    }
    let mut m = serde_json::Map::new();
    for p in Protocol::ALL {
        let ranges: Vec<Value> = c.ranges(p).map(|(s, e)| json!([s, e])).collect();
        if !ranges.is_empty() {
            m.insert(p.as_str().into(), Value::Array(ranges));
        }
    }
    Value::Object(m)
}

fn endpoint_json(model: &Model<'_>, e: &Endpoint) -> Value {
    match e {
        Endpoint::Workload(w) => {
            let wl = &model.workloads[*w];
            json!({
                "name": model.workload_name(*w),
                "namespace": model.namespaces[wl.namespace].name.as_str(),
                "kind": wl.kind.as_str(),
                "workload": wl.name.as_str(),
            })
        }
        Endpoint::External(r) => json!({
            "name": end_name(model, e),
            "external": true,
            "first": r.first().to_string(),
            "last": r.last().to_string(),
            "cidr": r.as_cidr(),
        }),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `{"schemaVersion": 1, "<key>": [...]}`, one element per line, streamed: a list can have
/// millions of elements.
fn write_json_array(
    out: &mut dyn Write,
    key: &str,
    items: impl Iterator<Item = Value>,
) -> io::Result<()> {
    writeln!(
        out,
        "{{\n  \"schemaVersion\": {SCHEMA_VERSION},\n  \"{key}\": ["
    )?;
    let mut first = true;
    for v in items {
        if !first {
            writeln!(out, ",")?;
        }
        first = false;
        write!(out, "    ")?;
        serde_json::to_writer(&mut *out, &v)?;
    }
    if !first {
        writeln!(out)?;
    }
    writeln!(out, "  ]\n}}")
}

/// `kubeward netpol list`: table, JSON or CSV.
pub fn write_list(
    out: &mut dyn Write,
    model: &Model<'_>,
    conns: &[Connection],
    format: &str,
) -> io::Result<()> {
    match format {
        "json" => write_json_array(
            out,
            "connections",
            conns.iter().map(|c| {
                json!({
                    "src": endpoint_json(model, &c.src),
                    "dst": endpoint_json(model, &c.dst),
                    "conn": c.conns.to_string(),
                    "ports": conns_json(&c.conns),
                })
            }),
        ),
        "csv" => {
            writeln!(out, "src,dst,conn")?;
            for c in conns {
                writeln!(
                    out,
                    "{},{},{}",
                    csv_field(&end_name(model, &c.src)),
                    csv_field(&end_name(model, &c.dst)),
                    csv_field(&c.conns.to_string())
                )?;
            }
            Ok(())
        }
        _ => {
            let rows: Vec<(String, String, String)> = conns
                .iter()
                .map(|c| {
                    (
                        end_name(model, &c.src),
                        end_name(model, &c.dst),
                        c.conns.to_string(),
                    )
                })
                .collect();
            let w1 = rows
                .iter()
                .map(|r| r.0.chars().count())
                .max()
                .unwrap_or(0)
                .max(6);
            let w2 = rows
                .iter()
                .map(|r| r.1.chars().count())
                .max()
                .unwrap_or(0)
                .max(11);
            writeln!(
                out,
                "{:<w1$}  {:<w2$}  CONNECTIONS",
                "SOURCE", "DESTINATION"
            )?;
            for (s, d, c) in &rows {
                writeln!(out, "{s:<w1$}  {d:<w2$}  {c}")?;
            }
            writeln!(
                out,
                "\n{} allowed connection{} between {} workload{} and external address ranges.",
                rows.len(),
                if rows.len() == 1 { "" } else { "s" },
                model.workloads.len(),
                if model.workloads.len() == 1 { "" } else { "s" },
            )
        }
    }
}

/// The rows (sources) and columns (destinations) of the matrix.
fn matrix_axes(model: &Model<'_>, m: &Matrix) -> (Vec<Endpoint>, Vec<Endpoint>) {
    let workloads = (0..model.workloads.len()).map(Endpoint::Workload);
    let rows = m
        .sources
        .iter()
        .map(|r| Endpoint::External(*r))
        .chain(workloads.clone())
        .collect();
    let cols = workloads
        .chain(m.destinations.iter().map(|r| Endpoint::External(*r)))
        .collect();
    (rows, cols)
}

/// The cell of the matrix; `None` on the diagonal (a workload to itself) and between two
/// external ranges.
fn cell<'m>(
    m: &'m Matrix,
    src: &Endpoint,
    dst: &Endpoint,
    src_ext: usize,
    dst_ext: usize,
) -> Option<&'m ConnSet> {
    match (src, dst) {
        (Endpoint::Workload(s), Endpoint::Workload(d)) if s == d => None,
        (Endpoint::Workload(s), Endpoint::Workload(d)) => Some(m.between(*s, *d)),
        (Endpoint::External(_), Endpoint::Workload(d)) => Some(m.from_external(src_ext, *d)),
        (Endpoint::Workload(s), Endpoint::External(_)) => Some(m.to_external(*s, dst_ext)),
        (Endpoint::External(_), Endpoint::External(_)) => None,
    }
}

/// Index of an external endpoint in its list (sources or destinations); 0 for workloads.
fn ext_index(list: &[crate::ip::IpRange], e: &Endpoint) -> usize {
    match e {
        Endpoint::External(r) => list.iter().position(|x| x == r).unwrap_or(0),
        Endpoint::Workload(_) => 0,
    }
}

/// Visits one cell: (row, column, connections; `None` on the diagonal).
type CellFn<'c> = dyn FnMut(usize, usize, Option<&ConnSet>) -> io::Result<()> + 'c;

/// `kubeward netpol matrix`: table, JSON, CSV or HTML.
pub fn write_matrix(
    out: &mut dyn Write,
    model: &Model<'_>,
    m: &Matrix,
    format: &str,
) -> io::Result<()> {
    let (rows, cols) = matrix_axes(model, m);
    let name = |e: &Endpoint| end_name(model, e);
    let grid = |f: &mut CellFn<'_>| -> io::Result<()> {
        for (i, r) in rows.iter().enumerate() {
            let ri = ext_index(&m.sources, r);
            for (j, c) in cols.iter().enumerate() {
                let cj = ext_index(&m.destinations, c);
                f(i, j, cell(m, r, c, ri, cj))?;
            }
        }
        Ok(())
    };
    match format {
        "json" => {
            // Streamed: a matrix of 2,000 workloads has 4,000,000 cells.
            writeln!(out, "{{\n  \"schemaVersion\": {SCHEMA_VERSION},")?;
            for (key, list) in [("sources", &rows), ("destinations", &cols)] {
                writeln!(out, "  \"{key}\": [")?;
                for (i, e) in list.iter().enumerate() {
                    let sep = if i + 1 == list.len() { "" } else { "," };
                    writeln!(out, "    {}{sep}", endpoint_json(model, e))?;
                }
                writeln!(out, "  ],")?;
            }
            writeln!(out, "  \"cells\": [")?;
            // The few distinct connection sets, formatted once each.
            let mut texts: rustc_hash::FxHashMap<*const ConnSet, String> = Default::default();
            grid(&mut |i, j, c| {
                if j == 0 {
                    write!(out, "    [")?;
                } else {
                    write!(out, ", ")?;
                }
                match c {
                    None => write!(out, "null")?,
                    Some(c) => {
                        let t = texts
                            .entry(std::ptr::from_ref(c))
                            .or_insert_with(|| Value::String(c.to_string()).to_string());
                        out.write_all(t.as_bytes())?;
                    }
                }
                if j + 1 == cols.len() {
                    writeln!(out, "]{}", if i + 1 == rows.len() { "" } else { "," })?;
                }
                Ok(())
            })?;
            writeln!(out, "  ]\n}}")
        }
        "csv" => {
            write!(out, "source\\destination")?;
            for c in &cols {
                write!(out, ",{}", csv_field(&name(c)))?;
            }
            writeln!(out)?;
            let mut line = String::new();
            grid(&mut |i, j, c| {
                if j == 0 {
                    line = csv_field(&name(&rows[i]));
                }
                line.push(',');
                if let Some(c) = c.filter(|c| !c.is_empty()) {
                    line.push_str(&csv_field(&c.to_string()));
                }
                if j + 1 == cols.len() {
                    writeln!(out, "{line}")?;
                }
                Ok(())
            })
        }
        "html" => write_matrix_html(out, model, m, &rows, &cols),
        _ => {
            let labels: Vec<String> = (1..=cols.len()).map(|i| i.to_string()).collect();
            let cw = labels.iter().map(String::len).max().unwrap_or(1);
            let nw = rows
                .iter()
                .map(|r| name(r).chars().count())
                .max()
                .unwrap_or(0)
                .max(6);
            write!(out, "{:<nw$} ", "SOURCE")?;
            for l in &labels {
                write!(out, " {l:>cw$}")?;
            }
            writeln!(out)?;
            let mut line = String::new();
            grid(&mut |i, j, c| {
                if j == 0 {
                    line = format!("{:<nw$} ", name(&rows[i]));
                }
                let sym = match c {
                    None => "-",
                    Some(c) if c.is_all() => "A",
                    Some(c) if c.is_empty() => ".",
                    Some(_) => "P",
                };
                line.push_str(&format!(" {sym:>cw$}"));
                if j + 1 == cols.len() {
                    writeln!(out, "{}", line.trim_end())?;
                }
                Ok(())
            })?;
            writeln!(out, "\nDestinations:")?;
            for (l, c) in labels.iter().zip(&cols) {
                writeln!(out, "  {l:>cw$}  {}", name(c))?;
            }
            writeln!(
                out,
                "\nA = all connections, P = some ports (`kubeward netpol list` shows which), . = none, - = itself / not analysed"
            )
        }
    }
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(ch),
        }
    }
    o
}

const HTML_STYLE: &str = r#"
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1d2330; }
h1 { font-size: 20px; margin: 0 0 4px; }
p.sub { color: #5a6475; margin: 0 0 16px; }
.legend { display: flex; gap: 18px; flex-wrap: wrap; margin: 0 0 16px; }
.legend span { display: inline-flex; align-items: center; gap: 6px; }
.sw { width: 16px; height: 16px; border-radius: 3px; display: inline-block; border: 1px solid #c5cbd6; }
.wrap { overflow: auto; max-height: 80vh; border: 1px solid #d8dde6; border-radius: 6px; }
table { border-collapse: separate; border-spacing: 0; }
th, td { border-right: 1px solid #eef0f4; border-bottom: 1px solid #eef0f4; }
thead th { position: sticky; top: 0; background: #f6f8fb; z-index: 2; vertical-align: bottom; padding: 4px 2px; }
thead th div { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; font-weight: 500; font-size: 12px; max-height: 260px; overflow: hidden; text-overflow: ellipsis; }
tbody th { position: sticky; left: 0; background: #f6f8fb; text-align: left; font-weight: 500; white-space: nowrap; padding: 2px 8px; font-size: 12px; z-index: 1; }
thead th.corner { left: 0; z-index: 3; text-align: left; padding: 6px 8px; }
td { width: 22px; min-width: 22px; height: 22px; text-align: center; font-size: 11px; cursor: default; }
td.all, .sw.all { background: #2e9e5b; color: #fff; }
td.some, .sw.some { background: #f2b544; color: #3b2a00; }
td.none, .sw.none { background: #f3f4f7; color: #b7bdc8; }
td.self, .sw.self { background: #d5d9e0; }
th.ext, td.ext-row { font-style: italic; }
tr.ns-start th, tr.ns-start td { border-top: 2px solid #9aa5b8; }
td:hover { outline: 2px solid #1d2330; outline-offset: -2px; }
.summary { margin: 16px 0 0; color: #39414f; }
"#;

/// Above this many cells the page shows namespaces (and the external ranges as one group)
/// instead of workloads: a grid of 200 × 200 is about what a screen can show.
pub const HTML_WORKLOAD_CELLS: usize = 40_000;

/// One row or column of the page: an endpoint, or a namespace of them.
struct Group {
    label: String,
    /// Indices into the rows (or columns).
    members: Vec<usize>,
    ns: Option<usize>,
    external: bool,
}

fn groups(model: &Model<'_>, axis: &[Endpoint], by_namespace: bool) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    for (i, e) in axis.iter().enumerate() {
        let (ns, external) = match e {
            Endpoint::Workload(w) => (Some(model.workloads[*w].namespace), false),
            Endpoint::External(_) => (None, true),
        };
        if by_namespace
            && let Some(g) = out
                .last_mut()
                .filter(|g| g.ns == ns && g.external == external)
        {
            g.members.push(i);
            continue;
        }
        let label = match (by_namespace, ns) {
            (true, Some(n)) => format!("namespace {}", model.namespaces[n].name),
            (true, None) => "external addresses".to_string(),
            (false, _) => end_name(model, e),
        };
        out.push(Group {
            label,
            members: vec![i],
            ns,
            external,
        });
    }
    for g in out
        .iter_mut()
        .filter(|g| by_namespace && g.members.len() > 1)
    {
        g.label = format!("{} ({})", g.label, g.members.len());
    }
    out
}

/// A self-contained HTML page: a colored grid (green: everything allowed, amber: some ports,
/// grey: nothing), a tooltip on every cell with the exact connections, sticky headers, a legend.
/// Large inputs are shown per namespace, each cell summarising its pairs.
fn write_matrix_html(
    out: &mut dyn Write,
    model: &Model<'_>,
    m: &Matrix,
    rows: &[Endpoint],
    cols: &[Endpoint],
) -> io::Result<()> {
    let by_ns = rows.len() * cols.len() > HTML_WORKLOAD_CELLS;
    let row_groups = groups(model, rows, by_ns);
    let col_groups = groups(model, cols, by_ns);
    let (mut all, mut some, mut none) = (0usize, 0usize, 0usize);
    writeln!(out, "<!DOCTYPE html>")?;
    writeln!(out, "<html lang=\"en\">")?;
    writeln!(out, "<head>")?;
    writeln!(out, "<meta charset=\"utf-8\"/>")?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>"
    )?;
    writeln!(
        out,
        "<title>kubeward: NetworkPolicy connectivity matrix</title>"
    )?;
    writeln!(out, "<style>{HTML_STYLE}</style>")?;
    writeln!(out, "</head>")?;
    writeln!(out, "<body>")?;
    writeln!(out, "<h1>NetworkPolicy connectivity matrix</h1>")?;
    writeln!(
        out,
        "<p class=\"sub\">Rows are sources, columns destinations: {} workloads in {} namespaces, {} policies.{} Hover a cell for the details.</p>",
        model.workloads.len(),
        model.namespaces.len(),
        model.policies.len() + model.admin.len() + usize::from(model.baseline.is_some()),
        if by_ns {
            " Too many workloads for one cell each: every cell is a namespace pair (<code>kubeward netpol list</code> or <code>--format csv</code> give every workload pair)."
        } else {
            ""
        },
    )?;
    writeln!(out, "<div class=\"legend\">")?;
    let legend: [(&str, &str); 4] = if by_ns {
        [
            ("all", "every pair allows everything"),
            ("some", "some pairs or some ports allowed"),
            ("none", "nothing allowed"),
            ("self", "itself / not analysed"),
        ]
    } else {
        [
            ("all", "all connections allowed"),
            ("some", "some ports allowed"),
            ("none", "nothing allowed"),
            ("self", "itself / not analysed"),
        ]
    };
    for (class, text) in legend {
        writeln!(out, "<span><i class=\"sw {class}\"></i>{text}</span>")?;
    }
    writeln!(out, "</div>")?;
    writeln!(out, "<div class=\"wrap\">")?;
    writeln!(out, "<table>")?;
    writeln!(out, "<thead>")?;
    write!(out, "<tr><th class=\"corner\">source \\ destination</th>")?;
    for g in &col_groups {
        let class = if g.external { " class=\"ext\"" } else { "" };
        write!(
            out,
            "<th{class} title=\"{}\"><div>{}</div></th>",
            esc(&g.label),
            esc(&g.label)
        )?;
    }
    writeln!(out, "</tr>")?;
    writeln!(out, "</thead>")?;
    writeln!(out, "<tbody>")?;
    let mut prev_ns = None;
    for rg in &row_groups {
        let start = rg.ns.is_some() && rg.ns != prev_ns;
        prev_ns = rg.ns;
        let class = if start && !by_ns {
            " class=\"ns-start\""
        } else {
            ""
        };
        let th_class = if rg.external {
            " class=\"ext-row\""
        } else {
            ""
        };
        write!(out, "<tr{class}><th{th_class}>{}</th>", esc(&rg.label))?;
        for cg in &col_groups {
            // Counts of the pairs of the cell: everything, some ports, nothing, not analysed.
            let (mut a, mut s, mut n, mut x) = (0usize, 0usize, 0usize, 0usize);
            let mut only = None;
            for &i in &rg.members {
                let r = &rows[i];
                let ri = ext_index(&m.sources, r);
                for &j in &cg.members {
                    let c = &cols[j];
                    let cj = ext_index(&m.destinations, c);
                    let v = cell(m, r, c, ri, cj);
                    match v {
                        None => x += 1,
                        Some(v) if v.is_all() => a += 1,
                        Some(v) if v.is_empty() => n += 1,
                        Some(_) => s += 1,
                    }
                    only = v;
                }
            }
            all += a;
            some += s;
            none += n;
            let pairs = a + s + n;
            let class = if pairs == 0 {
                "self"
            } else if a == pairs {
                "all"
            } else if n == pairs {
                "none"
            } else {
                "some"
            };
            let (text, mark) = if !by_ns {
                match only {
                    None => ("itself / not analysed".to_string(), String::new()),
                    Some(v) if v.is_empty() => ("no connections".to_string(), String::new()),
                    Some(v) => (
                        v.to_string(),
                        if v.is_all() { "A" } else { "P" }.to_string(),
                    ),
                }
            } else {
                let mark = match class {
                    "some" => format!("{}", (100 * (a + s)).div_ceil(pairs.max(1))),
                    "all" => "A".to_string(),
                    _ => String::new(),
                };
                (
                    format!(
                        "{pairs} pairs: {a} allow everything, {s} some ports, {n} nothing{}",
                        if x > 0 {
                            format!(" ({x} not analysed)")
                        } else {
                            String::new()
                        }
                    ),
                    mark,
                )
            };
            write!(
                out,
                "<td class=\"{class}\" title=\"{} \u{2192} {}: {}\">{mark}</td>",
                esc(&rg.label),
                esc(&cg.label),
                esc(&text)
            )?;
        }
        writeln!(out, "</tr>")?;
    }
    writeln!(out, "</tbody>")?;
    writeln!(out, "</table>")?;
    writeln!(out, "</div>")?;
    writeln!(
        out,
        "<p class=\"summary\">{all} pairs allow everything, {some} allow some ports, {none} allow nothing.{} Generated by kubeward netpol matrix.</p>",
        if by_ns {
            " In a namespace cell, the number is the share of its pairs that allow something."
        } else {
            ""
        }
    )?;
    writeln!(out, "</body>")?;
    writeln!(out, "</html>")
}

fn policy_list(model: &Model<'_>, ids: &[usize]) -> String {
    ids.iter()
        .map(|&p| model.policy_name(p))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `kubeward netpol exposure`: per workload, what it accepts and sends, and flags.
pub fn write_exposure(
    out: &mut dyn Write,
    model: &Model<'_>,
    list: &[Exposure],
    format: &str,
) -> io::Result<()> {
    if format == "json" {
        let side = |s: &crate::exposure::Side| {
            json!({
                "protected": s.protected,
                "policies": s.policies.iter().map(|&p| model.policy_name(p)).collect::<Vec<_>>(),
                "peers": s.peers.iter().map(|(e, c)| json!({
                    "peer": endpoint_json(model, e),
                    "conn": c.to_string(),
                    "ports": conns_json(c),
                })).collect::<Vec<_>>(),
                "rules": s.rules.iter().map(|r| json!({
                    "policy": model.policy_name(r.policy),
                    "rule": r.rule,
                    "peers": r.peers,
                    "ports": r.ports,
                    "wholeCluster": r.whole_cluster,
                })).collect::<Vec<_>>(),
            })
        };
        return write_json_array(
            out,
            "workloads",
            list.iter().map(|x| {
                json!({
                    "workload": endpoint_json(model, &Endpoint::Workload(x.workload)),
                    "edge": model.workloads[x.workload].edge,
                    "ingress": side(&x.ingress),
                    "egress": side(&x.egress),
                    "flags": x.flags.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
                })
            }),
        );
    }
    let (mut no_in, mut no_out) = (0, 0);
    for x in list {
        let w = &model.workloads[x.workload];
        writeln!(
            out,
            "{}{}",
            model.workload_name(x.workload),
            if w.edge {
                "  (exposed outside the cluster)"
            } else {
                ""
            }
        )?;
        for (d, s) in [
            (Direction::Ingress, &x.ingress),
            (Direction::Egress, &x.egress),
        ] {
            let (word, prep) = match d {
                Direction::Ingress => ("ingress", "from"),
                Direction::Egress => ("egress", "to"),
            };
            if !s.protected {
                match d {
                    Direction::Ingress => no_in += 1,
                    Direction::Egress => no_out += 1,
                }
                writeln!(
                    out,
                    "  {word}: UNPROTECTED (no policy selects it): {} anything",
                    if d == Direction::Ingress {
                        "accepts connections from"
                    } else {
                        "may connect to"
                    }
                )?;
                continue;
            }
            if s.policies.is_empty() {
                writeln!(out, "  {word}: decided by admin network policies")?;
            } else {
                writeln!(
                    out,
                    "  {word}: protected by {}",
                    policy_list(model, &s.policies)
                )?;
            }
            if s.peers.is_empty() {
                writeln!(out, "    nothing allowed")?;
            }
            for (e, c) in &s.peers {
                writeln!(out, "    {prep} {}: {c}", end_name(model, e))?;
            }
            for r in &s.rules {
                writeln!(
                    out,
                    "    rule {} {} #{}: {} {}, {}",
                    model.policy_name(r.policy),
                    word,
                    r.rule + 1,
                    prep,
                    r.peers.join("; "),
                    r.ports
                )?;
            }
        }
        for f in &x.flags {
            if !matches!(
                f,
                crate::exposure::Flag::UnprotectedIngress
                    | crate::exposure::Flag::UnprotectedEgress
            ) {
                writeln!(out, "  ! {}", f.describe())?;
            }
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "{} workload{}: {no_in} without ingress protection, {no_out} without egress protection.",
        list.len(),
        if list.len() == 1 { "" } else { "s" }
    )
}

fn admin_line(h: &AdminHit) -> String {
    let prio = h
        .priority
        .map(|p| format!(" (priority {p})"))
        .unwrap_or_default();
    let name = if h.rule_name.is_empty() {
        String::new()
    } else {
        format!(" `{}`", h.rule_name)
    };
    format!(
        "{} {}{prio} rule #{}{name}: {} {}",
        h.kind,
        h.policy,
        h.rule + 1,
        h.action.as_str(),
        h.conns
    )
}

fn side_lines(
    model: &Model<'_>,
    a: &Analysis<'_, '_>,
    reach: &Reach,
    s: &Side,
    port: Option<(Protocol, u16)>,
) -> Vec<String> {
    let (other, word, subject_word) = match s.direction {
        Direction::Egress => (&reach.dst, "egress", "from"),
        Direction::Ingress => (&reach.src, "ingress", "to"),
    };
    let Some(subject) = s.subject else {
        return vec![format!(
            "{word}: the {} is an external address: no policy applies, allowed",
            if s.direction == Direction::Egress {
                "source"
            } else {
                "destination"
            }
        )];
    };
    let wanted = |c: &ConnSet| match port {
        Some((p, n)) => c.contains(p, n),
        None => !c.is_empty(),
    };
    let ok = wanted(&s.conns);
    let mut lines = vec![format!(
        "{word} {subject_word} {}: {}",
        model.workload_name(subject),
        if ok { "allowed" } else { "denied" }
    )];
    for h in &s.admin {
        lines.push(format!("  {}", admin_line(h)));
    }
    if s.selecting.is_empty() {
        if s.baseline.is_empty() {
            lines.push(format!(
                "  no NetworkPolicy selects it for {}: not isolated{}",
                s.direction,
                if s.admin.is_empty() {
                    ""
                } else {
                    " (for what the admin policies left)"
                }
            ));
        } else {
            lines.push(format!(
                "  no NetworkPolicy selects it for {}: the baseline decides",
                s.direction
            ));
            for h in &s.baseline {
                lines.push(format!("  {}", admin_line(h)));
            }
        }
        return lines;
    }
    lines.push(format!(
        "  selected by {}",
        policy_list(model, &s.selecting)
    ));
    let allowing: Vec<_> = s.rules.iter().filter(|h| wanted(&h.conns)).collect();
    if allowing.is_empty() {
        let what = match port {
            Some((p, n)) => format!("{n}/{p}"),
            None => "any connection".to_string(),
        };
        lines.push(format!(
            "  no rule of these policies allows {what} {} {}",
            if s.direction == Direction::Egress {
                "to"
            } else {
                "from"
            },
            end_name(a.model, other)
        ));
    }
    for h in allowing {
        lines.push(format!(
            "  {} {} rule #{} allows {}",
            model.policy_name(h.policy),
            word,
            h.rule + 1,
            h.conns
        ));
    }
    lines
}

/// `kubeward netpol reach`: yes or no, and why.
pub fn write_reach(
    out: &mut dyn Write,
    a: &Analysis<'_, '_>,
    reach: &Reach,
    port: Option<(Protocol, u16)>,
    format: &str,
) -> io::Result<()> {
    let model = a.model;
    let allowed = reach.allows(port);
    if format == "json" {
        let side = |s: &Side| {
            json!({
                "direction": s.direction.as_str(),
                "subject": s.subject.map(|w| model.workload_name(w)),
                "allowed": match port { Some((p, n)) => s.conns.contains(p, n), None => !s.conns.is_empty() },
                "conn": s.conns.to_string(),
                "selectedBy": s.selecting.iter().map(|&p| model.policy_name(p)).collect::<Vec<_>>(),
                "rules": s.rules.iter().map(|h| json!({
                    "policy": model.policy_name(h.policy),
                    "rule": h.rule,
                    "pointer": format!("/spec/{}/{}", s.direction.field(), h.rule),
                    "conn": h.conns.to_string(),
                })).collect::<Vec<_>>(),
                "admin": s.admin.iter().chain(&s.baseline).map(|h| json!({
                    "kind": h.kind,
                    "policy": h.policy.as_str(),
                    "priority": h.priority,
                    "rule": h.rule,
                    "name": h.rule_name.as_str(),
                    "action": h.action.as_str(),
                    "conn": h.conns.to_string(),
                })).collect::<Vec<_>>(),
            })
        };
        let v = json!({
            "schemaVersion": SCHEMA_VERSION,
            "src": endpoint_json(model, &reach.src),
            "dst": endpoint_json(model, &reach.dst),
            "port": port.map(|(p, n)| json!({"protocol": p.as_str(), "port": n})),
            "allowed": allowed,
            "conn": reach.conns.to_string(),
            "egress": side(&reach.egress),
            "ingress": side(&reach.ingress),
        });
        serde_json::to_writer_pretty(&mut *out, &v)?;
        return writeln!(out);
    }
    let what = match port {
        Some((p, n)) => format!(" on {n}/{p}"),
        None => String::new(),
    };
    writeln!(
        out,
        "{}: {} -> {}{what}",
        if allowed { "yes" } else { "no" },
        end_name(model, &reach.src),
        end_name(model, &reach.dst)
    )?;
    for s in [&reach.egress, &reach.ingress] {
        for l in side_lines(model, a, reach, s, port) {
            writeln!(out, "  {l}")?;
        }
    }
    writeln!(out, "  allowed between them: {}", reach.conns)
}
