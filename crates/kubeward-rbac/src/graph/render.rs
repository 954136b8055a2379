//! Output: a table (one block per path), JSON (`docs/paths.md`), Graphviz DOT, Mermaid.

use super::paths::Paths;
use super::{Graph, Path, Technique, VertexInfo, VertexKind};
use rustc_hash::FxHashSet;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::sync::Arc;

/// What a diagram shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiagramOptions {
    /// Every vertex and edge of the graph, not only those on the paths.
    pub whole_graph: bool,
}

/// One block per path: entry => target, then each hop `TECHNIQUE -> vertex` with its evidence.
pub fn render_table(paths: &[Path]) -> String {
    let mut out = String::new();
    if paths.is_empty() {
        out.push_str("no attack path from an entry point to a critical target\n");
        return out;
    }
    for (i, p) in paths.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let target = match p.target_class {
            Some(c) => format!("{}: {}", c.as_str(), p.target.name),
            None => p.target.name.clone(),
        };
        let _ = writeln!(
            out,
            "[{}] {}: {} => {} ({} step{}, {} hop{})",
            p.severity,
            p.exposure.as_str(),
            p.entry.name,
            target,
            p.steps,
            if p.steps == 1 { "" } else { "s" },
            p.length,
            if p.length == 1 { "" } else { "s" },
        );
        let _ = writeln!(out, "      {}", p.entry.name);
        for (j, h) in p.hops.iter().enumerate() {
            let _ = writeln!(
                out,
                "  {:>2}. {:<24} -> {}",
                j + 1,
                h.technique.name(),
                h.to.0.name
            );
            for e in h.evidence.iter() {
                let _ = writeln!(out, "          {e}");
            }
        }
        if let Some(why) = &p.target.why_critical {
            for e in why.iter() {
                let _ = writeln!(out, "      critical: {e}");
            }
        }
    }
    out
}

pub fn write_table(w: &mut dyn Write, paths: &[Path]) -> io::Result<()> {
    w.write_all(render_table(paths).as_bytes())
}

/// The JSON document (see `docs/paths.md`).
pub fn render_json(graph: &Graph, paths: &[Path]) -> String {
    let doc = Paths::new(graph, paths.to_vec());
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

pub fn write_json(w: &mut dyn Write, graph: &Graph, paths: &[Path]) -> io::Result<()> {
    w.write_all(render_json(graph, paths).as_bytes())
}

/// The vertices and edges to draw.
struct Diagram {
    vertices: Vec<Arc<VertexInfo>>,
    /// (from, to, technique) as indices into `vertices`.
    edges: Vec<(usize, usize, Technique)>,
}

fn diagram(graph: &Graph, paths: &[Path], opts: DiagramOptions) -> Diagram {
    if opts.whole_graph {
        return Diagram {
            vertices: graph.vertices.clone(),
            edges: graph
                .edges()
                .map(|e| (e.from as usize, e.to as usize, e.technique))
                .collect(),
        };
    }
    let mut index: rustc_hash::FxHashMap<Arc<str>, usize> = Default::default();
    let mut vertices: Vec<Arc<VertexInfo>> = Vec::new();
    let mut add = |v: &Arc<VertexInfo>, vertices: &mut Vec<Arc<VertexInfo>>| -> usize {
        *index.entry(v.id.clone()).or_insert_with(|| {
            vertices.push(v.clone());
            vertices.len() - 1
        })
    };
    let mut seen: FxHashSet<(usize, usize, Technique)> = FxHashSet::default();
    let mut edges = Vec::new();
    for p in paths {
        add(&p.entry, &mut vertices);
        for h in &p.hops {
            let a = add(&h.from.0, &mut vertices);
            let b = add(&h.to.0, &mut vertices);
            if seen.insert((a, b, h.technique)) {
                edges.push((a, b, h.technique));
            }
        }
    }
    Diagram { vertices, edges }
}

/// A DOT double-quoted string: backslashes and quotes escaped, newlines as `\n`.
pub(crate) fn dot_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn dot_shape(kind: VertexKind) -> &'static str {
    match kind {
        VertexKind::Identity => "ellipse",
        VertexKind::PermissionSet => "note",
        VertexKind::Pod => "box3d",
        VertexKind::Container => "box",
        VertexKind::Node => "hexagon",
        VertexKind::Volume => "cylinder",
        VertexKind::Secret => "folder",
        VertexKind::Endpoint => "cds",
        VertexKind::ClusterAdmin => "doubleoctagon",
    }
}

/// Graphviz DOT: the vertices and edges of `paths` (or the whole graph). Entries are green,
/// critical targets red.
pub fn render_dot(graph: &Graph, paths: &[Path], opts: DiagramOptions) -> String {
    let d = diagram(graph, paths, opts);
    let mut out = String::new();
    out.push_str("digraph kubeward_paths {\n");
    out.push_str("  rankdir=LR;\n");
    out.push_str(
        "  node [fontname=\"Helvetica\", fontsize=10, style=filled, fillcolor=\"#ffffff\"];\n",
    );
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=9];\n");
    for v in &d.vertices {
        let mut attrs = format!("label={}, shape={}", dot_quote(&v.name), dot_shape(v.kind));
        if v.critical.is_some() {
            attrs.push_str(", fillcolor=\"#ffcdd2\", color=\"#c62828\", penwidth=2");
        } else if v.entry.is_some() && v.kind != VertexKind::Pod {
            attrs.push_str(", fillcolor=\"#c8e6c9\", color=\"#2e7d32\", penwidth=2");
        }
        let _ = writeln!(out, "  {} [{attrs}];", dot_quote(&v.id));
    }
    for (a, b, t) in &d.edges {
        let _ = writeln!(
            out,
            "  {} -> {} [label={}];",
            dot_quote(&d.vertices[*a].id),
            dot_quote(&d.vertices[*b].id),
            dot_quote(t.name())
        );
    }
    out.push_str("}\n");
    out
}

pub fn write_dot(
    w: &mut dyn Write,
    graph: &Graph,
    paths: &[Path],
    opts: DiagramOptions,
) -> io::Result<()> {
    w.write_all(render_dot(graph, paths, opts).as_bytes())
}

/// Text inside a Mermaid `"..."` label: `#`, quotes, angle brackets, `&` and backticks as
/// entity codes; newlines as spaces.
pub(crate) fn mermaid_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Mermaid `flowchart LR`: the vertices and edges of `paths` (or the whole graph). Vertex ids
/// are `v0`, `v1`...; labels are quoted and escaped.
pub fn render_mermaid(graph: &Graph, paths: &[Path], opts: DiagramOptions) -> String {
    let d = diagram(graph, paths, opts);
    let mut out = String::from("flowchart LR\n");
    for (i, v) in d.vertices.iter().enumerate() {
        let label = mermaid_text(&v.name);
        let shape = match v.kind {
            VertexKind::Identity => format!("([\"{label}\"])"),
            VertexKind::Node | VertexKind::ClusterAdmin => format!("{{{{\"{label}\"}}}}"),
            VertexKind::Volume | VertexKind::Secret => format!("[(\"{label}\")]"),
            _ => format!("[\"{label}\"]"),
        };
        let _ = writeln!(out, "  v{i}{shape}");
    }
    for (a, b, t) in &d.edges {
        let _ = writeln!(out, "  v{a} -->|{}| v{b}", t.name());
    }
    out.push_str("  classDef entry fill:#c8e6c9,stroke:#2e7d32,stroke-width:2px\n");
    out.push_str("  classDef critical fill:#ffcdd2,stroke:#c62828,stroke-width:2px\n");
    for (i, v) in d.vertices.iter().enumerate() {
        if v.critical.is_some() {
            let _ = writeln!(out, "  class v{i} critical");
        } else if v.entry.is_some() && v.kind != VertexKind::Pod {
            let _ = writeln!(out, "  class v{i} entry");
        }
    }
    out
}

pub fn write_mermaid(
    w: &mut dyn Write,
    graph: &Graph,
    paths: &[Path],
    opts: DiagramOptions,
) -> io::Result<()> {
    w.write_all(render_mermaid(graph, paths, opts).as_bytes())
}
