//! A scan keeps only what the analysis reads of workloads, Services and Ingresses
//! (`kubeward_netpol::prune`), or the attack graph's larger cut (`kubeward_rbac::graph::prune`)
//! when the path rules are selected too. On every np-guard input directory and every manifest
//! of the repository, both cuts give the same connections and the same lint results (objects,
//! pointers, messages) as the whole objects.

use kubeward_core::Object;
use kubeward_netpol::list::{connections, end_name};
use kubeward_netpol::{Analysis, Model, lint};
use std::path::{Path, PathBuf};

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/netpol-np-guard"
);

fn load(dir: &Path) -> Vec<Object> {
    let (inputs, _) = kubeward_load::discover(&[dir.to_path_buf()]);
    let mut loaded = kubeward_load::Loaded::default();
    for i in &inputs {
        kubeward_load::load_input(i, &kubeward_load::Options::default(), &mut loaded);
    }
    loaded.objects
}

/// Connections and lints, as text; `None` when the model does not build.
fn outcome(objects: &[Object]) -> Option<String> {
    let model = Model::build(objects).ok()?;
    let analysis = Analysis::new(&model);
    let matrix = analysis.matrix();
    let mut out = String::new();
    for c in connections(&analysis, &matrix) {
        out.push_str(&format!(
            "{} => {} : {:?}\n",
            end_name(&model, &c.src),
            end_name(&model, &c.dst),
            c.conns
        ));
    }
    for l in lint::all(&analysis) {
        let line = l.object.root.pos.line;
        out.push_str(&format!(
            "{:?} {}/{} {} {} (object line {line}) {}\n",
            l.check, l.object.kind, l.object.name, l.pointer, l.message, l.object.source.file
        ));
    }
    Some(out)
}

fn cut(objects: &[Object], f: fn(Object) -> Option<Object>) -> Vec<Object> {
    objects
        .iter()
        .cloned()
        .map(|o| {
            let whole = o.clone();
            f(o).unwrap_or(whole)
        })
        .collect()
}

#[test]
fn pruned_objects_give_the_same_analysis() {
    let data = PathBuf::from(DATA);
    assert!(
        data.join("tests").is_dir(),
        "np-guard data missing at {DATA}"
    );
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(data.join("tests"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    let repo = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    dirs.push(repo.join("examples"));
    dirs.push(repo.join("crates/kubeward-rules/tests/fixtures"));
    dirs.sort();
    let (mut compared, mut with_lints) = (0, 0);
    for dir in &dirs {
        let objects = load(dir);
        let Some(whole) = outcome(&objects) else {
            continue;
        };
        let netpol = outcome(&cut(&objects, kubeward_netpol::prune));
        let graph = outcome(&cut(&objects, kubeward_rbac::graph::prune));
        assert_eq!(
            Some(&whole),
            netpol.as_ref(),
            "{}: netpol cut",
            dir.display()
        );
        assert_eq!(Some(&whole), graph.as_ref(), "{}: graph cut", dir.display());
        compared += 1;
        if whole.contains("(object line") {
            with_lints += 1;
        }
    }
    assert!(compared > 100, "only {compared} inputs compared");
    assert!(with_lints > 50, "only {with_lints} inputs with lints");
}
