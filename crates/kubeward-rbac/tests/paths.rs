//! The attack graph, one technique at a time: every fixture under `tests/fixtures/paths/` holds
//! manifests and, in comments, what the graph must (and must not) contain:
//!
//! - `# path: A TECH B TECH C` — the shortest path from A to C is exactly these hops;
//! - `# edge: A TECH B` / `# no-edge: A TECH B` — an edge with that technique exists / does not;
//! - `# no-path: A B` — B is unreachable from A;
//! - `# no-vertex: A` — the graph has no vertex A;
//! - `# critical: ENTRY CLASS SEVERITY A TECH B ...` — `critical_paths()` (or, when ENTRY is
//!   not an entry point, `paths_from(vertex:ENTRY)`) has this path from ENTRY to the target
//!   class, with that severity;
//! - `# no-critical: ENTRY CLASS` — no critical path from ENTRY to the class;
//! - `# defaults: true` — add Kubernetes' default RBAC (otherwise only the fixture's).
//!
//! `<technique>.yaml` is the positive fixture of each technique; `<technique>.<case>.yaml`
//! are further cases (mostly negative).

use kubeward_rbac::Rbac;
use kubeward_rbac::graph::{
    DiagramOptions, EntrySpec, Graph, Technique, render_dot, render_json, render_mermaid,
    render_table,
};
use std::path::{Path as FsPath, PathBuf};

fn fixtures_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/paths"))
}

fn load(text: &str, name: &str) -> Vec<kubeward_core::Object> {
    let mut loaded = kubeward_load::Loaded::default();
    kubeward_load::load_bytes(
        name.into(),
        text.as_bytes(),
        false,
        &kubeward_load::Options::default(),
        &mut loaded,
    );
    assert!(loaded.errors.is_empty(), "{name}: {:?}", loaded.errors);
    loaded.objects
}

fn graph_of(text: &str, name: &str) -> Graph {
    let objects = load(text, name);
    let defaults = text.lines().any(|l| l.trim() == "# defaults: true");
    let rbac = Rbac::build(&objects, defaults);
    Graph::build(&objects, &rbac)
}

fn tech(name: &str, file: &str) -> Technique {
    Technique::from_name(name).unwrap_or_else(|| panic!("{file}: unknown technique {name}"))
}

/// Edges out of a vertex, for failure messages.
fn dump(g: &Graph, id: &str) -> String {
    let Some(v) = g.find(id) else {
        let mut ids: Vec<&str> = g.vertices().map(|v| &*v.id).collect();
        ids.sort();
        return format!("no vertex {id}; vertices: {ids:#?}");
    };
    g.out_edges(v)
        .iter()
        .map(|e| format!("  {id} {} {}\n", e.technique, g.vertex(e.to).id))
        .collect()
}

/// `A TECH B TECH C` → (A, [(TECH, B), (TECH, C)]).
fn parse_seq<'a>(toks: &[&'a str], file: &str) -> (&'a str, Vec<(Technique, &'a str)>) {
    assert!(toks.len() % 2 == 1, "{file}: bad sequence {toks:?}");
    let hops = toks[1..]
        .chunks(2)
        .map(|c| (tech(c[0], file), c[1]))
        .collect();
    (toks[0], hops)
}

fn run_fixture(path: &FsPath) -> usize {
    let file = path.file_name().unwrap().to_string_lossy().to_string();
    let text = std::fs::read_to_string(path).unwrap();
    let g = graph_of(&text, &file);
    let mut checks = 0;
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("# ") else {
            continue;
        };
        let Some((kw, args)) = rest.split_once(": ") else {
            continue;
        };
        let toks: Vec<&str> = args.split_whitespace().collect();
        match kw {
            "path" => {
                let (from, hops) = parse_seq(&toks, &file);
                let to = hops.last().expect("a path has hops").1;
                let p = g.shortest_path(from, to).unwrap_or_else(|| {
                    panic!("{file}: no path {from} -> {to}\n{}", dump(&g, from))
                });
                let got: Vec<(Technique, &str)> =
                    p.hops.iter().map(|h| (h.technique, &*h.to.0.id)).collect();
                assert_eq!(got, hops, "{file}: path {from} -> {to}\n{}", dump(&g, from));
                for h in &p.hops {
                    assert!(!h.evidence.is_empty(), "{file}: hop without evidence");
                }
            }
            "edge" | "no-edge" => {
                assert_eq!(toks.len(), 3, "{file}: {line}");
                // A negative check on a vertex that does not exist would prove nothing.
                for id in [toks[0], toks[2]] {
                    assert!(g.find(id).is_some(), "{file}: {line}: {}", dump(&g, id));
                }
                let t = tech(toks[1], &file);
                let has = g
                    .edges_between(toks[0], toks[2])
                    .iter()
                    .any(|e| e.technique == t);
                assert_eq!(has, kw == "edge", "{file}: {line}\n{}", dump(&g, toks[0]));
            }
            "no-path" => {
                assert_eq!(toks.len(), 2, "{file}: {line}");
                for id in [toks[0], toks[1]] {
                    assert!(g.find(id).is_some(), "{file}: {line}: {}", dump(&g, id));
                }
                assert!(
                    g.shortest_path(toks[0], toks[1]).is_none(),
                    "{file}: {line}: {:?}",
                    g.shortest_path(toks[0], toks[1]).map(|p| p
                        .hops
                        .iter()
                        .map(|h| format!("{} {}", h.technique, h.to.0.id))
                        .collect::<Vec<_>>())
                );
            }
            "no-vertex" => {
                assert!(g.find(toks[0]).is_none(), "{file}: {line}");
            }
            "critical" | "no-critical" => {
                let entry = toks[0];
                let class = toks[1];
                // From an entry point, `critical_paths()`; from any other vertex, `paths_from`.
                let paths = if g.entries().any(|v| &*g.vertex(v).id == entry) {
                    g.critical_paths()
                } else {
                    g.paths_from(&EntrySpec::Vertex(entry.to_string()))
                        .unwrap_or_else(|e| panic!("{file}: {e}"))
                };
                let found = paths.iter().find(|p| {
                    &*p.entry.id == entry && p.target_class.map(|c| c.as_str()) == Some(class)
                });
                if kw == "no-critical" {
                    assert!(found.is_none(), "{file}: {line}: {}", render_table(&paths));
                } else {
                    let p = found.unwrap_or_else(|| {
                        panic!("{file}: {line}: not found in\n{}", render_table(&paths))
                    });
                    assert_eq!(p.severity.as_str(), toks[2], "{file}: {line}");
                    let (from, hops) = parse_seq(&toks[3..], &file);
                    assert_eq!(from, entry, "{file}: {line}");
                    let got: Vec<(Technique, &str)> =
                        p.hops.iter().map(|h| (h.technique, &*h.to.0.id)).collect();
                    assert_eq!(got, hops, "{file}: {line}\n{}", render_table(&paths));
                }
            }
            "defaults" | "note" => continue,
            _ => panic!("{file}: unknown directive {kw}"),
        }
        checks += 1;
    }
    checks
}

fn fixture_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures/paths")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_fixture_holds() {
    let mut total = 0;
    let mut failed = Vec::new();
    for f in fixture_files() {
        match std::panic::catch_unwind(|| run_fixture(&f)) {
            Ok(n) => {
                assert!(n > 0, "{}: no checks", f.display());
                total += n;
            }
            Err(_) => failed.push(f.file_name().unwrap().to_string_lossy().to_string()),
        }
    }
    assert!(failed.is_empty(), "failing fixtures: {failed:?}");
    assert!(total > 60, "only {total} checks");
}

#[test]
fn every_technique_has_a_positive_fixture_with_its_path() {
    for t in Technique::ALL {
        let file = fixtures_dir().join(format!("{}.yaml", t.name().to_ascii_lowercase()));
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|_| panic!("missing fixture {}", file.display()));
        let has_path = text.lines().any(|l| {
            (l.starts_with("# path: ") || l.starts_with("# critical: "))
                && l.split_whitespace().any(|w| w == t.name())
        });
        assert!(
            has_path,
            "{}: no `# path:` using {}",
            file.display(),
            t.name()
        );
    }
}

#[test]
fn every_technique_name_round_trips() {
    for t in Technique::ALL {
        assert_eq!(Technique::from_name(t.name()), Some(t));
        assert!(!t.summary().is_empty());
        assert!(t.attack_id().starts_with('T'));
    }
}

const SHOWCASE: &str = include_str!("fixtures/paths/showcase.yaml");

#[test]
fn critical_paths_are_sorted_and_serialise() {
    let g = graph_of(SHOWCASE, "showcase.yaml");
    let paths = g.critical_paths();
    assert!(!paths.is_empty());
    for w in paths.windows(2) {
        assert!(w[0].severity >= w[1].severity);
    }
    let json: serde_json::Value = serde_json::from_str(&render_json(&g, &paths)).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["paths"].as_array().unwrap().len(), paths.len());
    let first = &json["paths"][0];
    for key in [
        "severity",
        "exposure",
        "targetClass",
        "length",
        "steps",
        "entry",
        "target",
        "hops",
    ] {
        assert!(!first[key].is_null(), "missing {key} in {first}");
    }
    let hop = &first["hops"][0];
    for key in ["technique", "from", "to", "evidence"] {
        assert!(!hop[key].is_null(), "missing {key} in {hop}");
    }
    assert!(hop["evidence"][0]["type"].is_string());
}

#[test]
fn paths_from_a_pod_and_an_identity() {
    let g = graph_of(SHOWCASE, "showcase.yaml");
    let spec: EntrySpec = "pod:shop/frontend".parse().unwrap();
    let paths = g.paths_from(&spec).unwrap();
    assert!(!paths.is_empty());
    assert!(
        paths
            .iter()
            .all(|p| &*p.entry.id == "pod:shop/Deployment/frontend")
    );
    // An identity named in no binding gets its groups' paths (system:authenticated).
    let spec: EntrySpec = "identity:nobody".parse().unwrap();
    assert!(g.paths_from(&spec).is_ok());
    let spec: EntrySpec = "sa:ci/deployer".parse().unwrap();
    assert!(
        g.paths_from(&spec)
            .unwrap()
            .iter()
            .all(|p| &*p.entry.id == "sa:ci/deployer")
    );
    assert!(g.paths_from(&"pod:shop/nope".parse().unwrap()).is_err());
    assert!("pod:".parse::<EntrySpec>().is_err());
    assert!("what:x".parse::<EntrySpec>().is_err());
    assert_eq!(
        "pod:a/Deployment/b"
            .parse::<EntrySpec>()
            .unwrap()
            .to_string(),
        "pod:a/Deployment/b"
    );
}

/// Balanced braces/brackets and quotes outside quoted strings; every statement line ends in
/// `;` or is a brace.
fn check_dot_shape(dot: &str) {
    let mut depth = 0i32;
    let mut in_str = false;
    let mut escaped = false;
    for c in dot.chars() {
        if in_str {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '{' | '[' => depth += 1,
            '}' | ']' => {
                depth -= 1;
                assert!(depth >= 0, "unbalanced close");
            }
            _ => {}
        }
    }
    assert!(!in_str, "unterminated string");
    assert_eq!(depth, 0, "unbalanced braces");
    assert!(dot.starts_with("digraph "));
    for line in dot.lines().skip(1) {
        let l = line.trim();
        assert!(l == "}" || l.ends_with(';'), "bad DOT line: {line}");
    }
}

const NASTY: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: 'we"ird\name{x}'
  namespace: 'n#s'
spec:
  containers:
  - name: 'a<b>&"c`'
    image: x
    securityContext: {privileged: true}
"#;

#[test]
fn dot_output_is_well_formed_and_escaped() {
    for (text, name) in [(SHOWCASE, "showcase.yaml"), (NASTY, "nasty.yaml")] {
        let g = graph_of(text, name);
        let paths = g.critical_paths();
        assert!(!paths.is_empty(), "{name}");
        for opts in [
            DiagramOptions::default(),
            DiagramOptions { whole_graph: true },
        ] {
            let dot = render_dot(&g, &paths, opts);
            check_dot_shape(&dot);
        }
    }
    let g = graph_of(NASTY, "nasty.yaml");
    let dot = render_dot(&g, &g.critical_paths(), DiagramOptions::default());
    assert!(dot.contains(r#"we\"ird\\name{x}"#), "{dot}");
}

#[test]
fn dot_output_is_accepted_by_graphviz() {
    // Fails when graphviz is missing: CI must install it (`apt-get install graphviz`).
    for (text, name) in [(SHOWCASE, "showcase.yaml"), (NASTY, "nasty.yaml")] {
        let g = graph_of(text, name);
        let paths = g.critical_paths();
        for opts in [
            DiagramOptions::default(),
            DiagramOptions { whole_graph: true },
        ] {
            let dot = render_dot(&g, &paths, opts);
            let mut child = std::process::Command::new("dot")
                .arg("-Tsvg")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("`dot` (graphviz) must be installed: apt-get install graphviz");
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(dot.as_bytes())
                .unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{name}: dot rejected the output: {}\n{dot}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(String::from_utf8_lossy(&out.stdout).contains("<svg"));
        }
    }
}

#[test]
fn mermaid_output_shape() {
    for (text, name) in [(SHOWCASE, "showcase.yaml"), (NASTY, "nasty.yaml")] {
        let g = graph_of(text, name);
        let paths = g.critical_paths();
        let m = render_mermaid(&g, &paths, DiagramOptions::default());
        let mut lines = m.lines();
        assert_eq!(lines.next(), Some("flowchart LR"));
        let mut nodes = 0;
        let mut edges = 0;
        for line in lines {
            let l = line.trim_start();
            assert!(line.starts_with("  "), "{line}");
            if l.starts_with("classDef ") || l.starts_with("class ") {
                continue;
            }
            if let Some((a, rest)) = l.split_once(" -->|") {
                let (label, b) = rest.split_once("| ").expect(line);
                assert!(
                    a.starts_with('v') && a[1..].chars().all(|c| c.is_ascii_digit()),
                    "{line}"
                );
                assert!(
                    b.starts_with('v') && b[1..].chars().all(|c| c.is_ascii_digit()),
                    "{line}"
                );
                assert!(Technique::from_name(label).is_some(), "{line}");
                edges += 1;
                continue;
            }
            // vN<open>"label"<close>: the label holds no raw quote, `<`, `>` or `#` but entities.
            let id_end = l.find(|c: char| !c.is_ascii_alphanumeric()).expect(line);
            let (id, shape) = l.split_at(id_end);
            assert!(id.starts_with('v'), "{line}");
            let open = shape.find('"').expect(line);
            let close = shape.rfind('"').expect(line);
            assert!(close > open, "{line}");
            let label = &shape[open + 1..close];
            assert!(!label.contains(['"', '<', '>', '`']), "{line}");
            for (i, _) in label.match_indices('#') {
                let ent = &label[i..];
                let end = ent.find(';').expect(line);
                assert!(
                    ent[1..end].chars().all(|c| c.is_ascii_alphanumeric()),
                    "{line}"
                );
            }
            let pairs = [("([", "])"), ("{{", "}}"), ("[(", ")]"), ("[", "]")];
            assert!(
                pairs
                    .iter()
                    .any(|(o, c)| shape[..open] == **o && shape[close + 1..] == **c),
                "{line}"
            );
            nodes += 1;
        }
        assert!(nodes >= 2 && edges >= 1, "{name}: {m}");
    }
}

#[test]
fn table_output_has_one_block_per_path() {
    let g = graph_of(SHOWCASE, "showcase.yaml");
    let paths = g.critical_paths();
    let t = render_table(&paths);
    let blocks = t.lines().filter(|l| l.starts_with('[')).count();
    assert_eq!(blocks, paths.len());
    assert!(t.contains("ENDPOINT_EXPLOIT"));
    assert_eq!(
        render_table(&[]),
        "no attack path from an entry point to a critical target\n"
    );
    // The writers write what the renderers return.
    let opts = DiagramOptions::default();
    let mut buf = Vec::new();
    kubeward_rbac::graph::write_table(&mut buf, &paths).unwrap();
    assert_eq!(String::from_utf8(buf).unwrap(), t);
    let mut buf = Vec::new();
    kubeward_rbac::graph::write_json(&mut buf, &g, &paths).unwrap();
    assert_eq!(String::from_utf8(buf).unwrap(), render_json(&g, &paths));
    let mut buf = Vec::new();
    kubeward_rbac::graph::write_dot(&mut buf, &g, &paths, opts).unwrap();
    assert_eq!(
        String::from_utf8(buf).unwrap(),
        render_dot(&g, &paths, opts)
    );
    let mut buf = Vec::new();
    kubeward_rbac::graph::write_mermaid(&mut buf, &g, &paths, opts).unwrap();
    assert_eq!(
        String::from_utf8(buf).unwrap(),
        render_mermaid(&g, &paths, opts)
    );
}

#[test]
fn defaults_do_not_break_the_graph() {
    // With Kubernetes' default RBAC (whatever data/defaults.yaml holds), building works and
    // system:masters stays a cluster-admin target.
    let objects = load(SHOWCASE, "showcase.yaml");
    let rbac = Rbac::new(&objects);
    let g = Graph::build(&objects, &rbac);
    let masters = g.find("group:system:masters").unwrap();
    assert!(g.vertex(masters).critical.is_some());
    let _ = g.critical_paths();
}

#[test]
fn synthetic_cluster_builds() {
    let yaml = kubeward_rbac::graph::synthetic::synthetic_cluster(7, 300, 60, 150, 40);
    let objects = load(&yaml, "synthetic.yaml");
    assert!(objects.len() > 300);
    let rbac = Rbac::build(&objects, false);
    let g = Graph::build(&objects, &rbac);
    let paths = g.critical_paths();
    assert!(!paths.is_empty());
    // Deterministic for a seed.
    assert_eq!(
        yaml,
        kubeward_rbac::graph::synthetic::synthetic_cluster(7, 300, 60, 150, 40)
    );
}

/// Every manifest of the repository: examples, rule fixtures and path fixtures.
fn repo_manifests() -> Vec<PathBuf> {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let mut files = Vec::new();
    let mut stack = vec![
        root.join("examples"),
        root.join("crates/kubeward-rules/tests/fixtures"),
        fixtures_dir(),
    ];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
            {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(files.len() > 20, "found only {} manifests", files.len());
    files
}

/// A scan keeps only what the graph reads (`prune`): on every manifest of the repository, and
/// on all of them as one cluster, the graph of the pruned objects gives the same paths, hops
/// and evidence (fields, values, positions) as the whole objects.
#[test]
fn pruned_objects_give_the_same_paths() {
    let mut all = Vec::new();
    let same = |objects: &[kubeward_core::Object], name: &str| {
        let defaults = !name.contains("fixtures/paths/")
            || std::fs::read_to_string(name)
                .is_ok_and(|t| t.lines().any(|l| l.trim() == "# defaults: true"));
        let rbac = Rbac::build(objects, defaults);
        let whole = Graph::build(objects, &rbac);
        let namespaces: Vec<kubeward_core::Str> =
            objects.iter().filter_map(|o| o.namespace.clone()).collect();
        let pruned: Vec<kubeward_core::Object> = objects
            .iter()
            .cloned()
            .filter_map(|o| {
                if o.kind == "Namespace" {
                    Some(o)
                } else {
                    kubeward_rbac::graph::prune(o)
                }
            })
            .collect();
        let cut = Graph::build_in(&pruned, &rbac, namespaces);
        let a = whole.critical_paths();
        let b = cut.critical_paths();
        assert_eq!(render_json(&whole, &a), render_json(&cut, &b), "{name}");
        a.len()
    };
    let mut with_paths = 0;
    for f in repo_manifests() {
        let name = f.display().to_string();
        let mut loaded = kubeward_load::Loaded::default();
        kubeward_load::load_bytes(
            name.clone().into(),
            &std::fs::read(&f).unwrap(),
            f.extension().is_some_and(|x| x == "json"),
            &kubeward_load::Options::default(),
            &mut loaded,
        );
        if same(&loaded.objects, &name) > 0 {
            with_paths += 1;
        }
        all.extend(loaded.objects);
    }
    assert!(with_paths >= 30, "only {with_paths} inputs have paths");
    assert!(same(&all, "all") > 100);
}

/// Every manifest of the repository (examples, rule fixtures): building and rendering never
/// panics, whatever the input.
#[test]
fn any_manifest_builds_and_renders() {
    let files = repo_manifests();
    let mut all = Vec::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let mut loaded = kubeward_load::Loaded::default();
        let json = f.extension().is_some_and(|x| x == "json");
        kubeward_load::load_bytes(
            f.display().to_string().into(),
            &bytes,
            json,
            &kubeward_load::Options::default(),
            &mut loaded,
        );
        let rbac = Rbac::build(&loaded.objects, false);
        let g = Graph::build(&loaded.objects, &rbac);
        let paths = g.critical_paths();
        let _ = render_table(&paths);
        let _ = render_json(&g, &paths);
        check_dot_shape(&render_dot(
            &g,
            &paths,
            DiagramOptions { whole_graph: true },
        ));
        let _ = render_mermaid(&g, &paths, DiagramOptions::default());
        all.extend(loaded.objects);
    }
    // All of them as one cluster.
    let rbac = Rbac::new(&all);
    let g = Graph::build(&all, &rbac);
    assert!(!g.critical_paths().is_empty());
}
