//! Prints the attack paths of manifest files: `cargo run -p kubeward-rbac --example paths_show -- FILE... [--json|--dot|--mermaid|--all]`.

use kubeward_rbac::Rbac;
use kubeward_rbac::graph::{
    DiagramOptions, EntrySpec, Graph, render_dot, render_json, render_mermaid, render_table,
};

fn main() {
    let mut loaded = kubeward_load::Loaded::default();
    let mut format = "table".to_string();
    let mut from: Option<EntrySpec> = None;
    let mut whole = false;
    let mut defaults = false;
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--json" | "--dot" | "--mermaid" => format = a[2..].to_string(),
            "--all" => whole = true,
            "--defaults" => defaults = true,
            _ if a.starts_with("--from=") => from = Some(a[7..].parse().expect("--from")),
            path => {
                let bytes = std::fs::read(path).expect("read");
                kubeward_load::load_bytes(
                    path.into(),
                    &bytes,
                    false,
                    &kubeward_load::Options::default(),
                    &mut loaded,
                );
            }
        }
    }
    let rbac = Rbac::build(&loaded.objects, defaults);
    let graph = Graph::build(&loaded.objects, &rbac);
    let paths = match &from {
        Some(f) => graph.paths_from(f).expect("--from"),
        None => graph.critical_paths(),
    };
    let opts = DiagramOptions { whole_graph: whole };
    let out = match format.as_str() {
        "json" => render_json(&graph, &paths),
        "dot" => render_dot(&graph, &paths, opts),
        "mermaid" => render_mermaid(&graph, &paths, opts),
        _ => render_table(&paths),
    };
    print!("{out}");
}
