//! Where the time of one admission decision goes, single-threaded, without the network:
//! decoding, a fresh engine per request (what the server does), and the alternative it was
//! measured against (one engine reused for every request).
//!
//! `cargo run --release -p kubeward-admission --example judge_bench [REVIEW.json] [N]`

use kubeward_admission::config::{Level, Settings};
use kubeward_admission::judge::{Facts, Judge};
use kubeward_admission::review;
use kubeward_core::{Object, Source};
use kubeward_rules::Engine;
use kubeward_rules::exceptions::{Date, Exceptions};
use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

fn per_op(label: &str, n: u32, mut f: impl FnMut()) {
    for _ in 0..n / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    let us = start.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    println!("{label:<48} {us:>9.2} µs/op");
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/bench/deployment-review.json").to_string()
    });
    let n: u32 = args.next().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let body = std::fs::read(&path).expect("reads the review");
    let judge = Judge::new(Settings::default());
    let facts = Facts::default();
    println!("{path}: {} bytes, {n} iterations", body.len());

    per_op("decode (AdmissionReview -> Node tree)", n, || {
        black_box(review::decode(black_box(&body)).unwrap());
    });
    per_op(
        "decode + decide (fresh engine, the server's path)",
        n,
        || {
            let r = review::decode(black_box(&body)).unwrap();
            black_box(judge.decide(r, &facts));
        },
    );
    per_op("decide + encode the response", n, || {
        let r = review::decode(black_box(&body)).unwrap();
        black_box(judge.decide(r, &facts).response.to_bytes());
    });

    let rules = judge.rules(Level::Restricted);
    let overrides = HashMap::new();
    per_op("Engine::new alone (restricted rules)", n, || {
        black_box(Engine::new(
            rules,
            &overrides,
            Exceptions::new(Vec::new(), Date::today()),
        ));
    });
    let object = || {
        let r = review::decode(&body).unwrap();
        Object::new(
            r.object.unwrap(),
            Source {
                file: "admission".into(),
                doc: 0,
                item: None,
            },
        )
    };
    let obj = object();
    per_op("check_object, fresh engine each time", n, || {
        let mut e = Engine::new(
            rules,
            &overrides,
            Exceptions::new(Vec::new(), Date::today()),
        );
        let mut out = Vec::new();
        e.check_object(black_box(&obj), &mut out);
        black_box(out);
    });
    let mut reused = Engine::new(
        rules,
        &overrides,
        Exceptions::new(Vec::new(), Date::today()),
    );
    per_op("check_object, one engine reused", n, || {
        let mut out = Vec::new();
        reused.check_object(black_box(&obj), &mut out);
        black_box(out);
    });
}
