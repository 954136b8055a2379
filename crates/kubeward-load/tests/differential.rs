//! The fast YAML path must build exactly the tree saphyr builds (values and positions) for every
//! document it accepts. Checked over every manifest in the shared oracle data, the examples, and
//! deterministic mutations of them.

use kubeward_load::yaml::{Limits, document_chunks, parse_fast, parse_with_saphyr};
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    let p = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/manifests"
    ));
    assert!(
        p.is_dir(),
        "oracle data missing: {} (see README)",
        p.display()
    );
    p.to_path_buf()
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(p);
        }
    }
}

/// Compares one text chunk by chunk; returns (chunks, accepted by the fast path).
fn compare(text: &str, origin: &str) -> (usize, usize) {
    let limits = Limits::default();
    let (mut chunks, mut fast) = (0, 0);
    for (offset, chunk) in document_chunks(text) {
        chunks += 1;
        if let Some(tree) = parse_fast(chunk, offset, &limits) {
            fast += 1;
            let slow = parse_with_saphyr(chunk, offset, &limits);
            // Debug formatting compares NaN equal to NaN.
            assert_eq!(
                format!("{:?}", Some(&tree)),
                format!("{:?}", slow.as_ref()),
                "fast and saphyr trees differ in {origin} at line {}:\n{chunk}",
                offset + 1
            );
        }
    }
    (chunks, fast)
}

#[test]
fn fast_path_matches_saphyr_on_real_manifests() {
    let mut files = Vec::new();
    yaml_files(&data_dir(), &mut files);
    yaml_files(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples")),
        &mut files,
    );
    assert!(
        files.len() > 1000,
        "expected the shared manifests, found {}",
        files.len()
    );
    let (mut chunks, mut fast) = (0, 0);
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let (c, a) = compare(&text, &f.display().to_string());
        chunks += c;
        fast += a;
    }
    eprintln!("fast path accepted {fast} of {chunks} document chunks");
    // The fast path is only worth having if it takes the common case.
    assert!(
        fast * 100 >= chunks * 80,
        "fast path accepted only {fast} of {chunks}"
    );
}

#[test]
fn examples_take_the_fast_path_entirely() {
    let mut files = Vec::new();
    yaml_files(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples")),
        &mut files,
    );
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let (chunks, fast) = compare(&text, &f.display().to_string());
        assert_eq!(
            chunks,
            fast,
            "{} has documents the fast path declines",
            f.display()
        );
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Line-level and character-level edits that keep text mostly YAML-shaped, so that many mutants
/// are still accepted by the fast path and compared.
fn mutate(text: &str, rng: &mut Rng) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        return String::new();
    }
    const SNIPPETS: [&str; 24] = [
        " ", "  ", "- ", ":", ": ", "#", " #", "'", "\"", "[", "]", "{", "}", ",", "|", "|-", "|+",
        "~", "null", "yes", "0644", "-1", "\\", "é",
    ];
    for _ in 0..1 + rng.below(3) {
        let i = rng.below(lines.len());
        match rng.below(7) {
            0 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            1 => {
                lines.remove(i);
                if lines.is_empty() {
                    break;
                }
            }
            2 => lines[i].insert_str(0, "  "),
            3 => {
                let l = &mut lines[i];
                let cut = l.len() - l.trim_start().len();
                l.replace_range(..cut.min(2), "");
            }
            4 | 5 => {
                let l = &mut lines[i];
                let mut at = rng.below(l.len() + 1);
                while !l.is_char_boundary(at) {
                    at -= 1;
                }
                l.insert_str(at, SNIPPETS[rng.below(SNIPPETS.len())]);
            }
            _ => lines.insert(i, String::new()),
        }
    }
    lines.join("\n") + "\n"
}

#[test]
fn fast_path_matches_saphyr_on_mutations() {
    let mut files = Vec::new();
    yaml_files(&data_dir().join("microservices-demo"), &mut files);
    yaml_files(&data_dir().join("polaris-testdata"), &mut files);
    yaml_files(
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples")),
        &mut files,
    );
    let seeds: Vec<String> = files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut chunks, mut fast) = (0, 0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    for n in 0..20_000 {
        if std::time::Instant::now() > deadline {
            break;
        }
        let seed = &seeds[rng.below(seeds.len())];
        let mutant = mutate(seed, &mut rng);
        let (c, a) = compare(&mutant, &format!("mutant {n}"));
        chunks += c;
        fast += a;
    }
    eprintln!("mutations: fast path accepted {fast} of {chunks} chunks");
    assert!(fast > 1000, "too few mutants exercised the fast path");
}
