//! `docs/rules.md` is generated from the registry; this test fails when it is stale.
//! Regenerate with `kubeward rules --format markdown > docs/rules.md`
//! (or `UPDATE_DOCS=1 cargo test -p kubeward-rules --test docs`).

use std::path::Path;

#[test]
fn rules_reference_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules.md");
    let expected = kubeward_rules::docs::rules_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "docs/rules.md is stale: run `kubeward rules --format markdown > docs/rules.md`"
    );
}
