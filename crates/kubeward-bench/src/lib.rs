//! Benchmark support for kubeward: a deterministic generator of realistic manifests, timed
//! parse-only and full-scan runs, and a small PRNG shared with the robustness tests.

pub mod generate;

use kubeward_core::Object;
use kubeward_load::{Input, LoadError, Note, Options, Sink};
use kubeward_rules::engine::Engine;
use kubeward_rules::exceptions::Exceptions;
use kubeward_rules::scan::{Scan, ScanResult};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// xorshift64* — small, fast, deterministic; good enough for test data and mutations.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // Never zero (xorshift would stay at zero).
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15 | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (`n > 0`; returns 0 for `n == 0`).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// An engine with every built-in rule at its default severity and no exceptions.
pub fn all_rules_engine() -> Engine {
    Engine::new(
        kubeward_rules::registry(),
        &HashMap::new(),
        Exceptions::default(),
    )
}

/// What one timed run saw.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunStats {
    pub files: u64,
    pub bytes: u64,
    pub objects: u64,
    pub errors: u64,
    pub findings: u64,
    pub elapsed: Duration,
    /// Part of `elapsed` spent in [`Scan::finish`] (snapshot rules, sorting).
    pub finish: Duration,
}

impl RunStats {
    pub fn objects_per_sec(&self) -> f64 {
        self.objects as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn mb_per_sec(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Expands paths (files and directories) the way the CLI does; exits on a missing path.
pub fn inputs(paths: &[PathBuf]) -> Result<(Vec<Input>, u64), String> {
    let (inputs, errors) = kubeward_load::discover(paths);
    if let Some(e) = errors.first() {
        return Err(e.to_string());
    }
    let bytes = inputs
        .iter()
        .map(|i| match i {
            Input::File(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
            Input::Stdin => 0,
        })
        .sum();
    Ok((inputs, bytes))
}

/// Loads every input and throws the objects away: the parse-only baseline.
pub fn parse_only(inputs: &[Input], bytes: u64, opts: &Options) -> RunStats {
    let start = Instant::now();
    let mut stats = RunStats {
        files: inputs.len() as u64,
        bytes,
        ..RunStats::default()
    };
    // The same streaming load the scan uses, with each object dropped as it arrives.
    struct Count<'s>(&'s mut RunStats);
    impl Sink for Count<'_> {
        fn object(&mut self, _: Object) {
            self.0.objects += 1;
        }
        fn error(&mut self, _: LoadError) {
            self.0.errors += 1;
        }
        fn note(&mut self, _: Note) {}
    }
    for input in inputs {
        kubeward_load::load_input(input, opts, &mut Count(&mut stats));
    }
    stats.elapsed = start.elapsed();
    stats
}

/// Loads every input and runs every rule (object, pod and snapshot rules), rendering nothing.
pub fn scan_all(inputs: &[Input], bytes: u64, opts: &Options) -> (RunStats, ScanResult) {
    let start = Instant::now();
    let mut scan = Scan::new(all_rules_engine());
    for input in inputs {
        scan.add_input(input, opts);
    }
    let finishing = Instant::now();
    let result = scan.finish();
    let finish = finishing.elapsed();
    let stats = RunStats {
        finish,
        files: inputs.len() as u64,
        bytes,
        objects: result.objects,
        errors: result.errors.len() as u64,
        findings: result.findings.len() as u64,
        elapsed: start.elapsed(),
    };
    (stats, result)
}

/// Peak resident set size of this process in bytes (`VmHWM`), if the OS tells us.
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Parses "1GiB", "512MiB", "100MB", "64k", "12345".
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let num: f64 = num.parse().ok()?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        _ => return None,
    };
    Some((num * mult as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("1GiB"), Some(1 << 30));
        assert_eq!(parse_size("512MiB"), Some(512 << 20));
        assert_eq!(parse_size("100MB"), Some(100_000_000));
        assert_eq!(parse_size("1.5k"), Some(1500));
        assert_eq!(parse_size("7"), Some(7));
        assert_eq!(parse_size("7 parsecs"), None);
    }

    #[test]
    fn rng_is_deterministic_and_bounded() {
        let mut a = Rng::new(1);
        let mut b = Rng::new(1);
        for _ in 0..1000 {
            let x = a.below(7);
            assert_eq!(x, b.below(7));
            assert!(x < 7);
        }
        assert_eq!(Rng::new(0).below(0), 0);
    }
}
