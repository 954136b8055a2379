//! Hostile and broken inputs: the loader must reject them quickly, with a position, and keep
//! whatever it can.

use kubeward_load::{Input, LoadError, Loaded, Options, discover, load_bytes, load_input};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn load(text: &str) -> Loaded {
    load_raw(text.as_bytes(), false)
}

fn load_raw(bytes: &[u8], json: bool) -> Loaded {
    let mut out = Loaded::default();
    load_bytes("t.yaml".into(), bytes, json, &Options::default(), &mut out);
    for e in &out.errors {
        assert!(e.line > 0 && e.column > 0, "error without position: {e}");
    }
    out
}

fn only_error(out: &Loaded) -> &LoadError {
    assert_eq!(out.errors.len(), 1, "{:#?}", out.errors);
    &out.errors[0]
}

#[test]
fn a_sparse_1_gib_file_is_rejected_quickly_without_reading() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.yaml");
    let f = std::fs::File::create(&p).unwrap();
    f.set_len(1 << 30).unwrap();
    let start = Instant::now();
    let mut out = Loaded::default();
    load_input(&Input::File(p), &Options::default(), &mut out);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    let e = only_error(&out);
    assert_eq!((e.line, e.column), (0, 0), "a whole-file error");
    assert!(e.message.contains("1 GiB"), "{}", e.message);
    assert!(e.message.contains("--max-file-size"), "{}", e.message);
    assert!(out.objects.is_empty());
}

#[test]
fn a_smaller_limit_applies_too() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.yaml");
    std::fs::write(&p, "apiVersion: v1\nkind: Pod\n").unwrap();
    let opts = Options {
        max_file_size: 10,
        ..Options::default()
    };
    let mut out = Loaded::default();
    load_input(&Input::File(p), &opts, &mut out);
    assert!(
        only_error(&out)
            .message
            .contains("larger than the 10 B limit")
    );
}

#[test]
fn a_binary_file_is_an_error_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("image.yaml");
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let mut x = 0x1234_5678_9abc_def1u64;
    for _ in 0..4096 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        png.push(x as u8);
    }
    std::fs::write(&p, &png).unwrap();
    let mut out = Loaded::default();
    load_input(&Input::File(p), &Options::default(), &mut out);
    let e = only_error(&out);
    assert_eq!((e.line, e.column), (1, 1), "{e}");
    assert!(e.message.contains("binary"), "{}", e.message);

    // Valid UTF-8 with a NUL later on: the NUL's position.
    let out = load("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\x00b\n");
    let e = only_error(&out);
    assert_eq!((e.line, e.column), (4, 10), "{e}");
    assert!(e.message.contains("NUL"), "{}", e.message);

    // Invalid UTF-8 (no NUL) in the middle of line 3.
    let out = load_raw(b"a: 1\nb: 2\nc: caf\xe9\n", false);
    let e = only_error(&out);
    assert_eq!((e.line, e.column), (3, 7), "{e}");
    assert!(e.message.contains("UTF-8"), "{}", e.message);
}

#[test]
fn deep_flow_nesting_is_an_error() {
    for open in ["[", "{", "{a: ", "[{a: "] {
        let text = open.repeat(100_000);
        let start = Instant::now();
        let out = load(&text);
        assert!(start.elapsed() < Duration::from_secs(5), "{open}: slow");
        let e = only_error(&out);
        assert!(
            e.message.contains("nesting deeper") || e.message.contains("recursion limit"),
            "{open}: {}",
            e.message
        );
        assert!(out.objects.is_empty());
    }
}

#[test]
fn deep_block_nesting_is_an_error() {
    let text: String = (0..5000)
        .map(|i| format!("{}a:\n", " ".repeat(i)))
        .collect();
    let e = only_error(&load(&text)).clone();
    assert!(
        e.message.contains("nesting deeper than 200"),
        "{}",
        e.message
    );
    assert_eq!(e.line, 201, "{e}");

    // Nested block sequences, `- - - - x`, and the same through a Kubernetes object.
    let text = format!("{}x\n", "- ".repeat(5000));
    assert!(only_error(&load(&text)).message.contains("nesting deeper"));
    let mut text = String::from("apiVersion: v1\nkind: ConfigMap\ndata:\n");
    for i in 0..5000 {
        text.push_str(&format!("{}k{i}:\n", " ".repeat(2 * i + 2)));
    }
    let out = load(&text);
    assert!(only_error(&out).message.contains("nesting deeper"));
    assert!(out.objects.is_empty());
}

#[test]
fn nesting_just_under_the_limit_loads() {
    let depth = 199;
    let text = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\nx: {}1{}\n",
        "[".repeat(depth - 1),
        "]".repeat(depth - 1)
    );
    let out = load(&text);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.objects.len(), 1);
}

#[test]
fn non_string_kind_or_api_version_is_an_error_at_its_position() {
    for (value, ty) in [
        ("0", "number"),
        ("[a]", "sequence"),
        ("{}", "mapping"),
        ("true", "boolean"),
    ] {
        let out = load(&format!(
            "apiVersion: v1\nkind: {value}\nmetadata:\n  name: x\n"
        ));
        let e = only_error(&out);
        assert_eq!((e.line, e.column), (2, 7), "{value}: {e}");
        assert!(e.message.contains("`kind` to be a string"), "{}", e.message);
        assert!(e.message.contains(ty), "{value}: {}", e.message);
        assert!(out.objects.is_empty());
    }
    let out = load("kind: Pod\napiVersion:\n  - v1\n");
    let e = only_error(&out);
    assert_eq!((e.line, e.column), (3, 3), "{e}");
    assert!(e.message.contains("`apiVersion` to be a string"));
    // A quoted number is a string: fine, and kept as written.
    let out = load("apiVersion: v1\nkind: \"0\"\n");
    assert!(out.errors.is_empty());
    assert_eq!(out.objects[0].kind, "0");
    // JSON too.
    let out = load_raw(b"{\n  \"apiVersion\": \"v1\",\n  \"kind\": 0\n}\n", true);
    assert_eq!((only_error(&out).line, only_error(&out).column), (3, 11));
}

#[test]
fn metadata_of_the_wrong_type_is_an_error() {
    let out = load("apiVersion: v1\nkind: Pod\nmetadata: [a]\n");
    let e = only_error(&out);
    assert_eq!((e.line, e.column), (3, 11));
    assert!(e.message.contains("`metadata` to be a mapping"));
}

#[test]
fn duplicate_keys_are_an_error_naming_both_lines() {
    let out = load(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  hostPID: false\n  containers: []\n  hostPID: true\n",
    );
    let e = only_error(&out);
    assert_eq!((e.line, e.column), (8, 3), "{e}");
    assert!(
        e.message.contains("duplicate key `hostPID`"),
        "{}",
        e.message
    );
    assert!(e.message.contains("first at line 6"), "{}", e.message);
    assert!(out.objects.is_empty(), "an ambiguous object is not scanned");

    // Flow mappings, quoted keys (same key text), and JSON.
    let e = only_error(&load("{a: 1, \"a\": 2}\n")).clone();
    assert!(e.message.contains("first at line 1"), "{e}");
    let out = load_raw(
        b"{\n  \"kind\": \"Pod\",\n  \"kind\": \"Secret\"\n}\n",
        true,
    );
    let e = only_error(&out);
    assert_eq!(e.line, 3);
    assert!(e.message.contains("first at line 2"), "{}", e.message);

    // The other documents of the stream are still loaded.
    let out = load("apiVersion: v1\nkind: Pod\nkind: Pod\n---\napiVersion: v1\nkind: Service\n");
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.objects.len(), 1);
    assert_eq!(out.objects[0].kind, "Service");
}

#[test]
fn billion_laughs_is_an_error() {
    let mut s = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\ndata:\n  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let mut prev = 'a';
    for c in 'b'..='i' {
        s.push_str(&format!(
            "  {c}: &{c} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
        prev = c;
    }
    let start = Instant::now();
    let out = load(&s);
    assert!(start.elapsed() < Duration::from_secs(5));
    let e = only_error(&out);
    assert!(e.message.contains("billion laughs"), "{}", e.message);
    assert!(e.line >= 6, "{e}");
    assert!(out.objects.is_empty());
}

#[test]
fn a_list_with_bad_items_keeps_the_good_ones() {
    let out = load(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: good1}\n- apiVersion: v1\n  kind: [Pod]\n  metadata: {name: bad}\n- just a string\n- apiVersion: v1\n  kind: Service\n  metadata: {name: good2}\n- apiVersion: v1\n  kind: Pod\n  metadata: 7\n",
    );
    let names: Vec<&str> = out.objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["good1", "good2"]);
    assert_eq!(out.objects[1].source.item, Some(3));
    assert_eq!(out.errors.len(), 2, "{:#?}", out.errors);
    assert_eq!((out.errors[0].line, out.errors[0].column), (8, 9));
    assert_eq!((out.errors[1].line, out.errors[1].column), (16, 13));
    assert_eq!(out.notes.len(), 1, "{:?}", out.notes);
    assert_eq!(out.notes[0].line, 10);

    // `items` of the wrong type is an error at `items`; a null `items` is an empty list.
    let out = load("apiVersion: v1\nkind: List\nitems: 3\n");
    assert_eq!((only_error(&out).line, only_error(&out).column), (3, 8));
    let out = load("apiVersion: v1\nkind: List\nitems:\n");
    assert!(out.errors.is_empty() && out.objects.is_empty());
    // Nested lists are not expanded (Kubernetes does not either): the inner List is an object.
    let out = load(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items:\n  - apiVersion: v1\n    kind: Pod\n",
    );
    assert_eq!(out.objects.len(), 1);
    assert_eq!(out.objects[0].kind, "List");
}

#[test]
fn a_dash_is_stdin() {
    let (inputs, errors) = discover(&[PathBuf::from("-")]);
    assert!(errors.is_empty());
    assert_eq!(inputs, [Input::Stdin]);
    assert_eq!(&*Input::Stdin.name(), "-");
    // `./-` is a file named `-`, not stdin.
    let (inputs, errors) = discover(&[PathBuf::from("./-")]);
    assert!(inputs.is_empty());
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, 0);
}

#[test]
fn syntax_errors_point_into_the_right_document() {
    let out = load(
        "apiVersion: v1\nkind: Pod\n---\n# c\napiVersion: v1\nkind: Pod\nmetadata: {name: [x\n---\napiVersion: v1\nkind: Service\n",
    );
    let e = only_error(&out);
    assert!(e.line >= 7, "{e}");
    assert_eq!(out.objects.len(), 2);
    // A tab used for indentation.
    let out = load("apiVersion: v1\nkind: Pod\nmetadata:\n\tname: x\n");
    assert_eq!(only_error(&out).line, 4);
    // An unterminated quoted string runs to the end of the input.
    let out = load("apiVersion: v1\nkind: \"Pod\nmetadata: {}\n");
    assert!(only_error(&out).line >= 2);
}

#[test]
fn odd_but_valid_inputs_load() {
    // BOM, CRLF, document end markers, comments only, explicit document start with content.
    let out = load(
        "\u{feff}apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: a\r\n...\r\n--- # c\r\napiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: b\r\n",
    );
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let names: Vec<&str> = out.objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(out.objects[1].root.pos.line, 7);
    let out = load("--- {apiVersion: v1, kind: Pod, metadata: {name: c}}\n");
    assert_eq!(out.objects.len(), 1);
    for empty in ["", "\n", "---", "---\n---\n", "# only\n", "...\n", "~\n"] {
        let out = load(empty);
        assert!(out.errors.is_empty() && out.objects.is_empty(), "{empty:?}");
    }
    // A very long line (4 MiB scalar) is fine.
    let text = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  k: {}\n",
        "x".repeat(4 << 20)
    );
    let out = load(&text);
    assert_eq!(out.objects.len(), 1);
}

#[test]
fn wide_mappings_stay_fast() {
    // 40k distinct keys in one mapping: the duplicate check must not go quadratic.
    let mut s = String::from("a:\n");
    for i in 0..40_000 {
        s.push_str(&format!("  k{i}: v\n"));
    }
    let start = Instant::now();
    let out = load(&s);
    assert!(out.errors.is_empty());
    let wide = start.elapsed();
    assert!(wide < Duration::from_secs(5), "{wide:?}");
}

#[test]
fn merging_a_wide_mapping_stays_fast() {
    // Was quadratic (a linear scan of the entries per merged key): 13 s in a debug build.
    let mut s = String::from("a: &a\n");
    for i in 0..40_000 {
        s.push_str(&format!("  k{i}: v\n"));
    }
    s.push_str("b:\n  <<: *a\n  extra: 1\n");
    let start = Instant::now();
    let out = load(&s);
    let merged = start.elapsed();
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert!(merged < Duration::from_secs(2), "merge took {merged:?}");
}

#[test]
fn signed_hex_and_octal_digits_are_strings() {
    // `-0x-8000000000000000` used to overflow negating i64::MIN (a panic in debug builds).
    let out = load(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\na: -0x-8000000000000000\nb: 0x-5\nc: 0o+7\n",
    );
    assert!(out.errors.is_empty());
    let root = &out.objects[0].root;
    for k in ["a", "b", "c"] {
        assert!(
            root.get(k).unwrap().as_str().is_some(),
            "{k}: {:?}",
            root.get(k)
        );
    }
}

#[test]
fn content_after_a_document_end_marker_is_an_error() {
    // Found by the `fast_vs_saphyr` fuzz target: `... key:` is not a key named "... key"; the
    // YAML spec allows only a comment after `...`, and saphyr rejects it.
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n...  spec:\n  hostPID: true\n";
    let out = load(text);
    assert_eq!(out.objects.len(), 1, "{:?}", out.notes);
    let e = only_error(&out);
    assert_eq!(e.line, 5, "{e}");
    let chunks = kubeward_load::yaml::document_chunks(text);
    let limits = kubeward_load::yaml::Limits::default();
    for (offset, chunk) in chunks {
        let fast = kubeward_load::yaml::parse_fast(chunk, offset, &limits);
        let slow = kubeward_load::yaml::parse_with_saphyr(chunk, offset, &limits);
        assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{chunk}");
    }
}

#[test]
fn an_unclosed_flow_collection_at_the_end_of_input_is_an_error() {
    // Found by the `load_and_scan` fuzz target (an index-out-of-bounds panic in the fast path).
    for text in [
        "a: [",
        "a: {",
        "a: [ ",
        "a:\n  b: {  ",
        "- [",
        "apiVersion: v1\nkind: Pod\nspec: [",
    ] {
        let out = load(text);
        assert_eq!(out.errors.len(), 1, "{text:?}: {:?}", out.errors);
        assert!(out.objects.is_empty(), "{text:?}");
    }
}

#[test]
fn a_block_scalar_ending_in_blank_spaces_at_the_end_of_input_parses_the_same_both_ways() {
    // Found by the `fast_vs_saphyr` fuzz target (three artifacts, all this shape).
    let limits = kubeward_load::yaml::Limits::default();
    for text in ["a: |\n  x\n    ", "a: |\n  x\n  ", "a:\n- |\n  x\n      "] {
        let fast = kubeward_load::yaml::parse_fast(text, 0, &limits);
        let slow = kubeward_load::yaml::parse_with_saphyr(text, 0, &limits);
        if fast.is_some() {
            assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{text:?}");
        }
    }
}
