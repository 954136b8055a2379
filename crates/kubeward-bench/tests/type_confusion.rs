//! Structural mutation: every object of the shared test data, with random fields replaced by
//! values of another type (null, number, string, list, mapping, boolean), through every rule.
//! The loader only checks `apiVersion`, `kind` and `metadata`; rules must cope with anything
//! else having any type.

use kubeward_bench::Rng;
use kubeward_core::{Entry, Node, Object, Pos, Value};
use kubeward_load::{Loaded, Options};
use kubeward_rules::scan::Scan;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");
const VARIANTS: usize = 12;
const DEADLINE: Duration = Duration::from_secs(15);

fn objects() -> Vec<Object> {
    let manifests = PathBuf::from(DATA).join("manifests");
    assert!(
        manifests.is_dir(),
        "shared test data missing: {}",
        manifests.display()
    );
    let (inputs, _) = kubeward_load::discover(&[manifests]);
    let mut loaded = Loaded::default();
    for input in &inputs {
        kubeward_load::load_input(input, &Options::default(), &mut loaded);
    }
    let text = kubeward_bench::generate::yaml(5, 100);
    kubeward_load::load_bytes(
        "generated.yaml".into(),
        text.as_bytes(),
        false,
        &Options::default(),
        &mut loaded,
    );
    loaded.objects
}

fn count(n: &Node) -> usize {
    1 + match &n.value {
        Value::Seq(items) => items.iter().map(count).sum(),
        Value::Map(entries) => entries.iter().map(|e| count(&e.value)).sum(),
        _ => 0,
    }
}

/// The `target`-th node in pre-order (`*target` counts down).
fn nth_mut<'a>(n: &'a mut Node, target: &mut usize) -> Option<&'a mut Node> {
    if *target == 0 {
        return Some(n);
    }
    *target -= 1;
    match &mut n.value {
        Value::Seq(items) => items.iter_mut().find_map(|c| nth_mut(c, target)),
        Value::Map(entries) => entries
            .iter_mut()
            .find_map(|e| nth_mut(&mut e.value, target)),
        _ => None,
    }
}

fn odd_value(rng: &mut Rng, pos: Pos) -> Value {
    let leaf = |rng: &mut Rng| match rng.below(6) {
        0 => Node::new(pos, Value::Null),
        1 => Node::new(pos, Value::Int(-1)),
        2 => Node::new(pos, Value::Str(Default::default())),
        3 => Node::new(pos, Value::Bool(true)),
        4 => Node::new(pos, Value::Float(f64::NAN)),
        _ => Node::new(pos, Value::Str("*".into())),
    };
    match rng.below(11) {
        0 => Value::Null,
        1 => Value::Bool(rng.chance(50)),
        2 => Value::Int(*rng.pick(&[0, -1, 1, i64::MIN, i64::MAX, 65536, 22])),
        3 => Value::Float(*rng.pick(&[0.5, f64::NAN, f64::INFINITY, -1e300])),
        4 => Value::Str(kubeward_core::Str::from(
            *rng.pick(&["", "*", "ALL", "true", "0", "latest", "é∂", "a/b:c@d"]),
        )),
        5 => Value::Seq(Vec::new()),
        6 => Value::Map(Vec::new()),
        7 => Value::Seq(vec![leaf(rng), leaf(rng)]),
        8 => Value::Map(vec![Entry {
            key: kubeward_core::Str::from(*rng.pick(&["name", "privileged", "add", "path", ""])),
            key_pos: pos,
            value: leaf(rng),
        }]),
        9 => Value::Seq(vec![Node::new(pos, Value::Map(Vec::new()))]),
        _ => Value::Str("x".repeat(10_000).into()),
    }
}

#[test]
fn rules_survive_fields_of_any_type() {
    let originals = objects();
    assert!(originals.len() > 1500, "{}", originals.len());
    let mut rng = Rng::new(0x7479_7065);
    let start = Instant::now();
    let mut engine = kubeward_bench::all_rules_engine();
    let mut failures = Vec::new();
    let mut variants = Vec::new();
    let (mut checked, mut findings) = (0usize, 0usize);
    'outer: for original in &originals {
        for v in 0..VARIANTS {
            if start.elapsed() > DEADLINE {
                break 'outer;
            }
            let mut root = original.root.clone();
            let n = count(&root);
            let mut changed = Vec::new();
            for _ in 0..1 + rng.below(3) {
                // Never the root itself (the loader guarantees a mapping).
                let mut target = 1 + rng.below(n.saturating_sub(1).max(1));
                if let Some(node) = nth_mut(&mut root, &mut target) {
                    node.value = odd_value(&mut rng, node.pos);
                    changed.push(node.pos);
                }
            }
            let object = Object::new(root, original.source.clone());
            let mut out = Vec::new();
            let result = catch_unwind(AssertUnwindSafe(|| {
                engine.check_object(&object, &mut out);
            }));
            checked += 1;
            findings += out.len();
            if result.is_err() {
                failures.push(format!(
                    "{} (doc {}, {} {}) variant {v}: panic; changed nodes at {changed:?}",
                    original.source.file, original.source.doc, original.kind, original.name
                ));
                // A panic may leave the engine half-way; start a fresh one.
                engine = kubeward_bench::all_rules_engine();
            }
            if variants.len() < 20_000 {
                variants.push(object);
            }
        }
    }
    // Snapshot rules (cross-object) over the mutated objects.
    let snap = catch_unwind(AssertUnwindSafe(|| {
        let mut scan = Scan::new(kubeward_bench::all_rules_engine());
        for o in variants {
            scan.add_object(o);
        }
        scan.finish().findings.len()
    }));
    match snap {
        Ok(n) => findings += n,
        Err(_) => failures.push("panic in a snapshot rule".into()),
    }
    println!(
        "{checked} mutated objects checked in {:.1} s, {findings} findings",
        start.elapsed().as_secs_f64()
    );
    assert!(
        checked >= 2000,
        "only {checked} checked before the deadline"
    );
    assert!(failures.is_empty(), "{failures:#?}");
}
