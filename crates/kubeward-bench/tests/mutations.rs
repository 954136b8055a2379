//! A bounded, deterministic mutation fuzzer that runs in `cargo test`: real manifests are
//! broken in the usual ways (truncation, duplicated or re-indented lines, YAML indicator
//! characters, random bytes, NULs, invalid UTF-8, very long lines, deep nesting, values of the
//! wrong type) and fed through the loader and every rule. Nothing may panic and every load error
//! must carry a position.

use kubeward_bench::Rng;
use kubeward_load::{Loaded, Options, load_bytes};
use kubeward_rules::scan::Scan;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");
const CASES: usize = 3000;
/// Safety net for slow machines: stop early rather than blow the test budget.
const DEADLINE: Duration = Duration::from_secs(15);

fn seeds() -> Vec<(String, Vec<u8>)> {
    let manifests = PathBuf::from(DATA).join("manifests");
    assert!(
        manifests.is_dir(),
        "shared test data missing: {}",
        manifests.display()
    );
    let (inputs, _) = kubeward_load::discover(&[manifests]);
    let mut seeds: Vec<(String, Vec<u8>)> = inputs
        .iter()
        .enumerate()
        // Every 8th file, plus everything from the real application, keeps the set varied.
        .filter(|(i, input)| i % 8 == 0 || input.name().contains("microservices-demo"))
        .filter_map(|(_, input)| match input {
            kubeward_load::Input::File(p) => {
                Some((input.name().to_string(), std::fs::read(p).ok()?))
            }
            kubeward_load::Input::Stdin => None,
        })
        .filter(|(_, b)| b.len() < 64 * 1024)
        .collect();
    seeds.push((
        "generated".into(),
        kubeward_bench::generate::yaml(3, 20).into_bytes(),
    ));
    assert!(seeds.len() > 100, "{}", seeds.len());
    seeds
}

fn lines(b: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' {
            out.push((start, i + 1));
            start = i + 1;
        }
    }
    if start < b.len() {
        out.push((start, b.len()));
    }
    out
}

const INDICATORS: &[u8] = b"{}[]&*!|>:-?#%@`'\",";
const ODD_VALUES: &[&str] = &[
    "",
    "~",
    "null",
    "[]",
    "{}",
    "0",
    "-1",
    "true",
    "\"\"",
    "[a, {b: c}]",
    "{x: [1]}",
    "&x 1",
    "*x",
    "!!binary aGk=",
    "|",
    ">-",
    "'yes'",
    "1e400",
    "0x-1",
    "9999999999999999999999",
    "- a",
    "? a",
    ".nan",
    "\"\\u0000\"",
];

/// Applies one random mutation; returns its name.
fn mutate(rng: &mut Rng, b: &mut Vec<u8>) -> &'static str {
    let ls = lines(b);
    let line = if ls.is_empty() {
        (0, 0)
    } else {
        *rng.pick(&ls)
    };
    let at = rng.below(b.len() + 1);
    match rng.below(15) {
        0 => {
            b.truncate(at);
            "truncate"
        }
        1 => {
            let copy = b[line.0..line.1].to_vec();
            b.splice(line.1..line.1, copy);
            "duplicate line"
        }
        2 => {
            let indent = match rng.below(4) {
                0 => b"\t".to_vec(),
                1 => b" ".to_vec(),
                _ => vec![b' '; 1 + rng.below(8)],
            };
            b.splice(line.0..line.0, indent);
            "indent"
        }
        3 => {
            // Dedent: drop up to 4 leading spaces.
            let n = b[line.0..line.1]
                .iter()
                .take(4)
                .take_while(|&&c| c == b' ')
                .count();
            b.drain(line.0..line.0 + n.min(1 + rng.below(4)));
            "dedent"
        }
        4 => {
            let c = *rng.pick(INDICATORS);
            b.insert(at, c);
            "indicator"
        }
        5 => {
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(b.len().max(1));
                if i < b.len() {
                    b[i] = rng.next_u64() as u8;
                }
            }
            "random bytes"
        }
        6 => {
            b.insert(at, 0);
            "NUL"
        }
        7 => {
            let bad: &[&[u8]] = &[
                b"\xff",
                b"\xc3",
                b"\xed\xa0\x80",
                b"\xf4\x90\x80\x80",
                b"\x80",
            ];
            let bad = *rng.pick(bad);
            b.splice(at..at, bad.iter().copied());
            "invalid UTF-8"
        }
        8 => {
            let units: &[&[u8]] = &[b"a", b"a: ", b"- ", b"\\\"", b"[a, "];
            let unit = *rng.pick(units);
            let long: Vec<u8> = unit.iter().copied().cycle().take(200_000).collect();
            b.splice(line.1..line.1, long);
            "very long line"
        }
        9 => {
            let depth = 150 + rng.below(200);
            let nest = match rng.below(3) {
                0 => "[".repeat(depth),
                1 => "{a: ".repeat(depth),
                _ => (0..depth)
                    .map(|i| format!("{}k:\n", " ".repeat(i)))
                    .collect(),
            };
            b.splice(at..at, nest.into_bytes());
            "deep nesting"
        }
        10 => {
            b.drain(line.0..line.1);
            "delete line"
        }
        11 => {
            let other = if ls.is_empty() {
                (0, 0)
            } else {
                *rng.pick(&ls)
            };
            let (a, c) = if line.0 <= other.0 {
                (line, other)
            } else {
                (other, line)
            };
            if a.1 <= c.0 {
                let first = b[a.0..a.1].to_vec();
                let second = b[c.0..c.1].to_vec();
                b.splice(c.0..c.1, first);
                b.splice(a.0..a.1, second);
            }
            "swap lines"
        }
        12 => {
            let markers: &[&[u8]] = &[b"---\n", b"...\n", b"--- |\n", b"%YAML 1.2\n"];
            let marker = *rng.pick(markers);
            b.splice(line.0..line.0, marker.iter().copied());
            "document marker"
        }
        13 => {
            let texts: &[&[u8]] = &[b"&a ", b"*a", b"<<: *a\n", b"<<: [*a, *b]\n"];
            let text = *rng.pick(texts);
            b.splice(at..at, text.iter().copied());
            "anchor/alias"
        }
        _ => {
            // Replace the value of a `key: value` line with a value of another type.
            let text = &b[line.0..line.1];
            if let Some(colon) = text.windows(2).position(|w| w == b": ") {
                let start = line.0 + colon + 2;
                let end = if b[line.1 - 1] == b'\n' {
                    line.1 - 1
                } else {
                    line.1
                };
                let v = rng.pick(ODD_VALUES);
                if start <= end {
                    b.splice(start..end, v.bytes());
                }
            } else if !text.is_empty() && text[0] != b'\n' {
                // A bare key with a nested block: null it out or make it a scalar.
                let end = if b[line.1 - 1] == b'\n' {
                    line.1 - 1
                } else {
                    line.1
                };
                let v = rng.pick(ODD_VALUES);
                b.splice(end..end, format!(" {v}").into_bytes());
            }
            "odd value"
        }
    }
}

/// Cuts the input at a random line end (or keeps it whole) and ends it, without a newline, in
/// a YAML indicator: inputs that stop in the middle of a construct.
fn end_with_indicator(rng: &mut Rng, b: &mut Vec<u8>) -> &'static str {
    let ls = lines(b);
    if !ls.is_empty() && rng.chance(70) {
        let (_, end) = *rng.pick(&ls);
        b.truncate(end);
    }
    if b.last() == Some(&b'\n') && rng.chance(70) {
        b.pop();
    }
    let tails: &[&[u8]] = &[
        b" [",
        b" {",
        b" \"",
        b" '",
        b" |",
        b" >",
        b" &",
        b" *",
        b" !",
        b"? ",
        b"- ",
        b": ",
        b" [a,",
        b" {a: ",
        b" [a, {b: ",
        b" \"\\",
        b":",
        b"-",
        b"#",
        b" &a",
        b" !!str",
    ];
    let tail = *rng.pick::<&[u8]>(tails);
    b.extend_from_slice(tail);
    "end with an indicator"
}

#[test]
fn mutated_manifests_never_panic_and_errors_have_positions() {
    run(0x6b75_6265_7761_7264, CASES, false);
}

#[test]
fn mutated_manifests_ending_mid_construct_never_panic() {
    run(0x656e_6473, CASES / 2, true);
}

fn run(seed: u64, n: usize, end_mid_construct: bool) {
    let seeds = seeds();
    let mut rng = Rng::new(seed);
    let opts = Options::default();
    let start = Instant::now();
    let mut failures: Vec<String> = Vec::new();
    let (mut cases, mut objects, mut errors, mut findings) = (0usize, 0usize, 0usize, 0usize);
    let mut by_mutation: std::collections::BTreeMap<&str, usize> = Default::default();
    for case in 0..n {
        if start.elapsed() > DEADLINE {
            break;
        }
        cases += 1;
        let (name, seed) = rng.pick(&seeds);
        let mut bytes = seed.clone();
        let mut applied = Vec::new();
        for _ in 0..1 + rng.below(4) {
            let m = mutate(&mut rng, &mut bytes);
            *by_mutation.entry(m).or_default() += 1;
            applied.push(m);
        }
        if end_mid_construct {
            applied.push(end_with_indicator(&mut rng, &mut bytes));
        }
        let json = rng.chance(10);
        let what = format!("case {case} ({name}; {applied:?}; json={json})");
        let loaded = catch_unwind(|| {
            let mut out = Loaded::default();
            load_bytes("m.yaml".into(), &bytes, json, &opts, &mut out);
            out
        });
        let loaded = match loaded {
            Ok(l) => l,
            Err(_) => {
                failures.push(format!("{what}: panic while loading"));
                save(case, &bytes);
                continue;
            }
        };
        objects += loaded.objects.len();
        errors += loaded.errors.len();
        for e in &loaded.errors {
            if e.line == 0 || e.column == 0 {
                failures.push(format!("{what}: error without position: {e}"));
                save(case, &bytes);
            }
        }
        let scanned = catch_unwind(AssertUnwindSafe(|| {
            let mut scan = Scan::new(kubeward_bench::all_rules_engine());
            scan.add_loaded(loaded);
            scan.finish()
        }));
        match scanned {
            Ok(result) => {
                findings += result.findings.len();
                if let Some(f) = result.findings.iter().find(|f| f.location.line == 0) {
                    failures.push(format!("{what}: finding without a line: {}", f.rule.code));
                }
            }
            Err(_) => {
                failures.push(format!("{what}: panic while running rules"));
                save(case, &bytes);
            }
        }
    }
    println!(
        "{cases} mutated inputs in {:.1} s: {objects} objects, {errors} load errors, {findings} findings; mutations {by_mutation:?}",
        start.elapsed().as_secs_f64()
    );
    assert!(
        cases >= n.min(500),
        "only {cases} cases ran before the deadline"
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Keeps a failing input for reproduction.
fn save(case: usize, bytes: &[u8]) {
    let p = std::env::temp_dir().join(format!("kubeward-mutation-{case}.yaml"));
    let _ = std::fs::write(&p, bytes);
    eprintln!("saved failing input to {}", p.display());
}
