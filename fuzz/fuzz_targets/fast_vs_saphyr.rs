//! Differential: whenever the fast YAML path accepts a document chunk, saphyr must build the
//! identical tree (values and positions). Also must not panic on any input.
#![no_main]

use kubeward_load::yaml::{Limits, document_chunks, parse_fast, parse_with_saphyr};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let limits = Limits::default();
    for (offset, chunk) in document_chunks(text) {
        if let Some(tree) = parse_fast(chunk, offset, &limits) {
            let slow = parse_with_saphyr(chunk, offset, &limits);
            // Debug formatting compares NaN equal to NaN.
            assert_eq!(
                format!("{:?}", Some(&tree)),
                format!("{:?}", slow.as_ref()),
                "fast and saphyr trees differ at line {}:\n{chunk}",
                offset + 1
            );
        }
    }
});
