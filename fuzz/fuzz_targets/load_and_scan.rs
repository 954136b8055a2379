//! Loads arbitrary bytes as a manifest (YAML stream and JSON) and runs every rule on what loads.
//! Any panic is a bug; so is a load error without a position.
#![no_main]

use kubeward_load::{Loaded, Options};
use kubeward_rules::engine::Engine;
use kubeward_rules::exceptions::Exceptions;
use kubeward_rules::scan::Scan;
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;

fuzz_target!(|data: &[u8]| {
    let opts = Options::default();
    let mut scan = Scan::new(Engine::new(
        kubeward_rules::registry(),
        &HashMap::new(),
        Exceptions::default(),
    ));
    for json in [false, true] {
        let mut loaded = Loaded::default();
        kubeward_load::load_bytes("fuzz.yaml".into(), data, json, &opts, &mut loaded);
        for e in &loaded.errors {
            assert!(e.line > 0 && e.column > 0, "load error without a position: {e}");
        }
        scan.add_loaded(loaded);
    }
    let result = scan.finish();
    for f in &result.findings {
        assert!(f.location.line > 0, "finding without a line: {f:?}");
    }
});
