//! Near-duplicate detection: fingerprint throughput, and LSH candidate
//! lookup with a large index. Run with `cargo bench --bench neardup`
//! (`HUIJU_BENCH_ITEMS=1000000` by default; set it lower for a quick run).
//!
//! Prints medians; see BENCHMARKS.md for the figures on the team machine.

use std::time::{Duration, Instant};

use huiju::neardup;
use huiju::store::Store;

mod common;

/// Deterministic pseudo-Chinese text: words drawn from a 3,500-character
/// alphabet (the common Hanzi range), with numbers.
fn article(seed: u64, paragraphs: usize) -> String {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut html = String::new();
    for _ in 0..paragraphs {
        html.push_str("<p>");
        for _ in 0..rng.usize(60..140) {
            if rng.u8(..) < 8 {
                html.push_str(&rng.u32(1..100_000).to_string());
            } else {
                html.push(char::from_u32(0x4E00 + rng.u32(0..3500)).unwrap());
            }
        }
        html.push_str("。</p>");
    }
    html
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // `cargo test --benches` runs bench targets with `--bench`-less args: keep it quick.
    let quick = std::env::args().any(|a| a == "--test" || a.starts_with("--list"));
    let n: usize = if quick {
        2_000
    } else {
        std::env::var("HUIJU_BENCH_ITEMS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1_000_000)
    };

    // 1. Fingerprint throughput.
    let docs: Vec<String> = (0..2_000).map(|i| article(i, 3 + (i % 5) as usize)).collect();
    let bytes: usize = docs.iter().map(String::len).sum();
    let start = Instant::now();
    let mut shingles = 0;
    for d in &docs {
        shingles += neardup::fingerprint("苏州地铁6号线今日开通", d)
            .shingle_set()
            .len();
    }
    let el = start.elapsed();
    println!(
        "fingerprint: {:.0} items/s ({:.1} MB/s, {} shingles per item on average)",
        docs.len() as f64 / el.as_secs_f64(),
        bytes as f64 / el.as_secs_f64() / 1e6,
        shingles / docs.len()
    );

    // 1b. Template news, as `HUIJU_BENCH_CORPUS=templated` serves it: 100
    // feeds of 50 items, fingerprinted and banded as the parsing threads
    // do, with their buffers kept; the best of 30 passes, per item.
    let items: Vec<common::corpus::Doc> = (0..100)
        .flat_map(|f| common::corpus::templated(common::TEMPLATED_SEED, f, 50))
        .collect();
    let mut best = Duration::MAX;
    for _ in 0..if quick { 2 } else { 30 } {
        let mut scratch = neardup::Scratch::default();
        let start = Instant::now();
        for d in &items {
            let fp = neardup::fingerprint_with(&mut scratch, &d.title, &d.html);
            std::hint::black_box(neardup::bands(&fp));
        }
        best = best.min(start.elapsed());
    }
    println!(
        "fingerprint and bands, template news: {:.2} µs an item (best of passes over {} items)",
        best.as_secs_f64() * 1e6 / items.len() as f64,
        items.len()
    );

    // 2. An index of n items spread over a year, built in batches.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.db");
    let mut store = Store::open(&path).expect("open");
    let rss_before = rss_kib();
    let year = 365 * 86400;
    let base = 1_680_000_000i64;
    let start = Instant::now();
    let batch = 20_000;
    let mut i = 0;
    while i < n {
        let rows: Vec<(i64, neardup::Fingerprint)> = (i..(i + batch).min(n))
            .map(|k| {
                let t = base + (k as i64 * year / n as i64);
                (
                    t,
                    neardup::fingerprint(&format!("标题{k}"), &article(10_000 + k as u64, 3)),
                )
            })
            .collect();
        store.load_index_for_bench(&rows).expect("load");
        i += batch;
    }
    store.checkpoint().expect("checkpoint");
    let db_size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "index: {n} items in {:.1} s, database {:.0} MB ({:.0} bytes per item), process RSS +{} MB",
        start.elapsed().as_secs_f64(),
        db_size as f64 / 1e6,
        db_size as f64 / n as f64,
        (rss_kib().saturating_sub(rss_before)) / 1024
    );

    // 3. Lookups: new items at random times (mostly no match), and copies of
    //    stored items (one match each).
    let window = Duration::from_secs(72 * 3600);
    let mut fresh = Vec::new();
    let mut copies = Vec::new();
    let mut found = 0;
    for q in 0..2_000u64 {
        let fp = neardup::fingerprint("新标题", &article(5_000_000 + q, 3));
        let t = base + (q as i64 * 7919 % year);
        let s = Instant::now();
        let c = store.lsh_candidates(&fp, t, window).expect("lookup");
        fresh.push(s.elapsed());
        std::hint::black_box(c);
        let k = (q as usize * 7919) % n;
        let t = base + (k as i64 * year / n as i64);
        let copy = neardup::fingerprint(&format!("标题{k}_新华报业网"), &article(10_000 + k as u64, 3));
        let s = Instant::now();
        let c = store.lsh_candidates(&copy, t, window).expect("lookup");
        copies.push(s.elapsed());
        found += usize::from(!c.is_empty());
    }
    println!(
        "lookup with {n} items: median {:?} for a new story, {:?} for a copy ({found}/2000 copies found)",
        median(fresh),
        median(copies)
    );

    // 4. Runs of old items, as one feed brings them: 40 runs of 50 stories
    //    half an hour apart, each run at a random time of the year.
    let mut runs = Vec::new();
    for r in 0..40u64 {
        let t0 = base + (r as i64 * 104_729 % year);
        for k in 0..50u64 {
            let fp = neardup::fingerprint("新标题", &article(6_000_000 + r * 50 + k, 3));
            let s = Instant::now();
            let c = store
                .lsh_candidates(&fp, t0 + k as i64 * 1800, window)
                .expect("lookup");
            runs.push(s.elapsed());
            std::hint::black_box(c);
        }
    }
    let total: Duration = runs.iter().sum();
    println!(
        "lookup of old items in runs of 50 (half an hour apart): median {:?}, mean {:?}",
        median(runs),
        total / 2000
    );
}
