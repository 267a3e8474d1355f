//! How long a prune holds the writer on a large database:
//! `HUIJU_BENCH_PRUNE_DB=FILE cargo bench --features bench --bench prune`.
//!
//! FILE is a database the year kept (`HUIJU_BENCH_KEEP_DB=DIR` with
//! `benches/year.rs`; at the scale and `HUIJU_BENCH_DAYS=90`, one
//! of 1,065,600 items that no prune has touched yet). It is copied twice,
//! `HUIJU_BENCH_TOMBSTONES` (2,160,000: a year's, two keys a pruned item)
//! made-up tombstones are added, pruned over the 90 days before the
//! horizon so that a day's worth expire, and a prune as of a day after
//! the newest item is timed step by step (each batch of items and of
//! expired tombstones, the finish, each step giving back space), with
//! `max_age = "90d"`:
//!
//! - as the daemon prunes: the log copied into the file before each step
//!   on a connection of its own, outside the steps' time;
//! - without those copies, so that the writer's own automatic checkpoint
//!   (every 8,000 pages) falls inside some steps.

use std::time::{Duration, Instant};

use huiju::config::Retention;
use huiju::store::Store;

const DAY: i64 = 86_400;

fn prune(path: &std::path::Path, now: i64, copy_log: bool) {
    let mut store = Store::open(path).expect("open the copy");
    let mut retention = Retention::default();
    retention.keep.max_age = Some(Duration::from_secs(90 * DAY as u64));
    let at = chrono::DateTime::from_timestamp(now, 0).expect("a time");
    let started = Instant::now();
    let mut plan = store.prune_plan(&retention, at, false).expect("plan");
    let planned = started.elapsed();
    let checkpoints = store.checkpointer().expect("checkpoint connection");
    let copy = || {
        if copy_log {
            checkpoints.passive().expect("passive checkpoint");
        }
    };
    let mut held = Vec::new();
    loop {
        copy();
        let s = Instant::now();
        let more = store.prune_step(&mut plan).expect("prune step");
        held.push((s.elapsed(), "a batch"));
        if !more {
            break;
        }
    }
    copy();
    let s = Instant::now();
    let report = store.prune_finish(plan).expect("finish");
    held.push((s.elapsed(), "the finish"));
    loop {
        copy();
        let s = Instant::now();
        let more = store.free_pages_step().expect("give back");
        held.push((s.elapsed(), "giving back"));
        if !more {
            break;
        }
    }
    checkpoints.truncate().expect("truncating checkpoint");
    let total = started.elapsed();
    held.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let q = |p: usize| held[(held.len() - 1) * p / 100].0;
    let (longest, what) = *held.last().expect("a step");
    println!(
        "{}: {} items, {} tombstones expired; plan {:.0} ms (no lock); {} steps under the lock: \
         p50 {:.1} ms, p99 {:.1} ms, longest {:.1} ms ({what}), {} over 100 ms; {:.1} s in all",
        if copy_log {
            "log copied before each step (the daemon)"
        } else {
            "log left to the writer's own checkpoint"
        },
        report.items,
        report.tombstones_expired,
        ms(planned),
        held.len(),
        ms(q(50)),
        ms(q(99)),
        ms(longest),
        held.iter().filter(|h| h.0 > Duration::from_millis(100)).count(),
        total.as_secs_f64()
    );
}

fn main() {
    let Some(kept) = std::env::var_os("HUIJU_BENCH_PRUNE_DB") else {
        println!("set HUIJU_BENCH_PRUNE_DB to a database kept by benches/year.rs (HUIJU_BENCH_KEEP_DB)");
        return;
    };
    let tombstones = std::env::var("HUIJU_BENCH_TOMBSTONES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_160_000usize);
    let dir = tempfile::tempdir_in(
        std::path::Path::new(&kept)
            .parent()
            .unwrap_or(std::path::Path::new(".")),
    )
    .expect("temp dir beside the kept database");
    for copy_log in [true, false] {
        let path = dir.path().join("huiju.db");
        std::fs::copy(&kept, &path).expect("copy of the kept database");
        let newest = {
            let mut store = Store::open(&path).expect("open the copy");
            let newest = store.add_tombstones_for_bench(0, 0, 0).expect("newest item");
            let now = newest + DAY;
            // Pruned over the 90 days before the horizon (2 × max_age).
            let horizon = now - 180 * DAY;
            store
                .add_tombstones_for_bench(tombstones, horizon - DAY, horizon + 89 * DAY)
                .expect("tombstones");
            newest
        };
        prune(&path, newest + DAY, copy_log);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
