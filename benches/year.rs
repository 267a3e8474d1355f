//! A simulated year of retention: `cargo bench --features bench --bench year`.
//!
//! Drives the real store (`Store::apply_refreshes`, `Store::prune_plan` /
//! `prune_step` / `prune_finish` as the daemon calls them) through a year
//! of days on an injected clock: every job's `now` and every item's date
//! are simulated times, nothing sleeps. Per day:
//!
//! - a prune at 04:00 with the policy under test, batch by batch;
//! - `HUIJU_BENCH_POLLS` (3) polls of every feed, each bringing its share of
//!   `HUIJU_BENCH_ITEMS_PER_DAY` (30) new items and listing its newest 50,
//!   16 refreshes per transaction, a passive checkpoint every 16 batches
//!   (as the writer does). Items are agency articles of 4–8 paragraphs
//!   (`common::corpus::syndicated`, about 2 KB of text); 10 % of a poll's
//!   items are a portal's repost of another feed's story of the same poll,
//!   under the feed's own URL (a near-duplicate copy). Feeds are RSS, Atom
//!   and GB18030 RSS (`common::encode`), decoded, parsed, normalized and
//!   fingerprinted by the real code before they are stored.
//!
//! `HUIJU_BENCH_FEEDS` (30, so that both policies run in about 5 minutes
//! on 2 cores; the time grows with the feeds) feeds; on the middle day 4 %
//! of them (at least 2) leave the config and as many new ones join
//! (`Store::sync_config_at`). Two policies, one after the other on fresh
//! databases: the default `[retention]` (180 days, `keep_min` 50, removed
//! feeds' items after 30 days; `HUIJU_BENCH_MAX_AGE_DAYS` changes the 180)
//! and `max_age = "0"` (kept forever; removed feeds still expire).
//! `HUIJU_BENCH_RETENTION=default` or `forever` runs one; `HUIJU_BENCH_DAYS`
//! (365) changes the length of the run.
//!
//! Prints, per simulated month: the database file and WAL sizes, rows of
//! items / tombstones / prints, the time to store a poll's refreshes (the
//! day's first poll, the first writes after the prune, and the others),
//! that day's prune, the month's longest prune, and of the month's prunes
//! the longest batch and the longest finish (expired tombstones, free pages
//! given back, the closing checkpoint), each of which the daemon runs under
//! the writer's lock; and this process's RSS.
//!
//! The simulated year ends a day before the real clock: the near-duplicate
//! index takes its window from the real clock, and simulated times in the
//! future would keep every item in memory.

use std::collections::VecDeque;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use huiju::config::{Config, Retention};
use huiju::ingest::{decode, normalize, parse};
use huiju::neardup::{self, Print};
use huiju::schedule::Plan;
use huiju::store::{Refreshed, SourceMeta, Store};
use url::Url;

mod common;

use common::corpus;

const DAY: i64 = 86_400;
const LISTED: usize = 50;
/// Refreshes per transaction: the fetch concurrency, which bounds the
/// writer's queue.
const BATCH: usize = 16;
const DUP_PCT: u64 = 10;
const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn at(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).expect("simulated time")
}

struct Sim {
    feeds: usize,
    per_day: usize,
    polls: usize,
    days: usize,
}

/// One feed of the simulation: its number (host `h{n}.example.cn`) and
/// what it lists, newest first.
struct Feed {
    n: usize,
    id: i64,
    url: Url,
    listed: VecDeque<(normalize::Item, Print)>,
}

fn config_text(feeds: &[usize]) -> String {
    let mut text =
        String::from("[storage]\ndatabase = \"huiju.db\"\n[[category]]\nid = \"news\"\ntitle = \"新闻\"\n");
    for f in feeds {
        text.push_str(&format!(
            "[[feed]]\nurl = \"http://h{f}.example.cn/feed.xml\"\ncategories = [\"news\"]\n"
        ));
    }
    text
}

/// Syncs the config of `numbers` as of `now`; the feeds, with what the
/// ones already known list.
fn sync(store: &mut Store, dir: &Path, numbers: &[usize], now: i64, old: Vec<Feed>) -> Vec<Feed> {
    let cfg = Config::parse(&config_text(numbers), &dir.join("huiju.toml")).expect("bench config");
    store.sync_config_at(&cfg, at(now)).expect("sync config");
    let mut old: std::collections::HashMap<usize, Feed> = old.into_iter().map(|f| (f.n, f)).collect();
    numbers
        .iter()
        .zip(&cfg.feeds)
        .map(|(&n, c)| {
            old.remove(&n).unwrap_or_else(|| Feed {
                n,
                id: store
                    .feed_state(c.url.as_str())
                    .expect("state")
                    .expect("synced")
                    .id,
                url: c.url.clone(),
                listed: VecDeque::new(),
            })
        })
        .collect()
}

/// A day's prune and what it cost.
#[derive(Default, Clone, Copy)]
struct PruneTime {
    total: Duration,
    longest_batch: Duration,
    /// `prune_finish`: expired tombstones, free pages given back, the
    /// closing checkpoint. The daemon holds the writer's lock for it.
    finish: Duration,
    items: usize,
}

/// Prunes as the daemon does: planned, then batch by batch, then finished.
fn prune(store: &mut Store, retention: &Retention, now: i64) -> PruneTime {
    let started = Instant::now();
    let mut plan = store.prune_plan(retention, at(now), false).expect("plan");
    let mut longest = Duration::ZERO;
    loop {
        let s = Instant::now();
        let more = store.prune_step(&mut plan).expect("prune batch");
        longest = longest.max(s.elapsed());
        if !more {
            break;
        }
    }
    let s = Instant::now();
    let r = store.prune_finish(plan).expect("prune finish");
    PruneTime {
        total: started.elapsed(),
        longest_batch: longest,
        finish: s.elapsed(),
        items: r.items,
    }
}

#[derive(Default)]
struct Phases {
    generate: Duration,
    read: Duration,
    store: Duration,
    prune: Duration,
    /// Transactions of refreshes so far: a passive checkpoint every 16, as
    /// the daemon's writer has its checkpoint thread do.
    batches: usize,
}

/// Generates one poll's new items for every feed and stores the
/// refreshes; returns the time storing took. `slot` numbers the poll over
/// the whole run (the seed).
fn poll(
    store: &mut Store,
    feeds: &mut [Feed],
    sim: &Sim,
    slot: u64,
    from: i64,
    to: i64,
    ph: &mut Phases,
) -> Duration {
    let k = sim.per_day / sim.polls;
    let s = Instant::now();
    // One agency story per (feed, item) of this poll; reposts of other
    // feeds' stories are taken from the same groups.
    let groups = corpus::syndicated(slot, feeds.len() * k);
    let base = common::base_unix();
    let mut docs = Vec::with_capacity(feeds.len());
    for (fi, f) in feeds.iter().enumerate() {
        let mut rng = fastrand::Rng::with_seed(slot.wrapping_mul(1_000_003) ^ f.n as u64);
        let entries: Vec<common::Entry> = (0..k)
            .map(|i| {
                let own = &groups[fi * k + i][0];
                let doc = if feeds.len() > 1 && rng.u64(0..100) < DUP_PCT {
                    let other = (fi + 1 + rng.usize(0..feeds.len() - 1)) % feeds.len();
                    &groups[other * k + i][1]
                } else {
                    own
                };
                // Newest first, spread over the time since the last poll.
                let t = to - (i as i64 + 1) * (to - from) / (k as i64 + 1) - (f.n % 60) as i64;
                common::Entry {
                    story: common::Story {
                        title: doc.title.clone(),
                        html: doc.html.clone(),
                    },
                    link: format!("http://h{}.example.cn/news/{slot}/{i}.html", f.n),
                    age: base - t,
                }
            })
            .collect();
        docs.push(common::encode(f.n, &entries, &format!("h{}.example.cn", f.n)));
    }
    drop(groups);
    ph.generate += s.elapsed();

    let s = Instant::now();
    for (f, bytes) in feeds.iter_mut().zip(&docs) {
        let d = decode::decode(bytes, None, None);
        let items = normalize::normalize(&parse::parse(&d.text, TZ), &f.url, &f.url);
        assert_eq!(items.len(), k, "every generated item read");
        let prints = neardup::print_items(&items);
        for pair in items.into_iter().zip(prints).rev() {
            f.listed.push_front(pair);
        }
        f.listed.truncate(LISTED);
    }
    drop(docs);
    ph.read += s.elapsed();

    let s = Instant::now();
    let now = at(to);
    let plan = Plan {
        consecutive_errors: 0,
        next_due: at(to + DAY / sim.polls as i64),
    };
    for chunk in feeds.chunks(BATCH) {
        let jobs: Vec<Refreshed> = chunk
            .iter()
            .map(|f| Refreshed {
                feed_id: f.id,
                meta: SourceMeta {
                    title: Some(format!("生成的新闻源 {}", f.n)),
                    etag: Some(format!("\"{slot}\"")),
                    ..SourceMeta::default()
                },
                items: f.listed.iter().map(|(i, _)| i.clone()).collect(),
                prints: f.listed.iter().map(|(_, p)| p.clone()).collect(),
                now,
                plan,
                near: Some(neardup::Settings::default()),
                route: None,
            })
            .collect();
        for r in store.apply_refreshes(&jobs).expect("store a batch") {
            r.expect("store a refresh");
        }
        drop(store.take_retired());
        ph.batches += 1;
        if ph.batches.is_multiple_of(16) {
            store
                .checkpointer()
                .and_then(|c| c.passive())
                .expect("checkpoint");
        }
    }
    ph.store += s.elapsed();
    s.elapsed()
}

struct Row {
    day: usize,
    /// Storing the refreshes of the day's first poll, the first writes
    /// after the prune, on average over the days since the row before.
    store_first: Duration,
    /// Storing the refreshes of one of the day's other polls, on average.
    store_other: Duration,
    sizes: huiju::store::Sizes,
    prune: PruneTime,
    month_longest_prune: Duration,
    month_longest_batch: Duration,
    month_longest_finish: Duration,
    rss_mb: f64,
}

fn run(sim: &Sim, name: &str, retention: &Retention) -> Vec<Row> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("huiju.db");
    let mut store = Store::open(&path).expect("open");
    // Days start at midnight UTC; the last ends a day before now.
    let end = common::base_unix() - DAY;
    let start = (end - sim.days as i64 * DAY).div_euclid(DAY) * DAY;
    let mut numbers: Vec<usize> = (0..sim.feeds).collect();
    let mut feeds = sync(&mut store, dir.path(), &numbers, start, Vec::new());
    let swap = (sim.feeds / 25).max(2).min(sim.feeds / 2);
    let mut ph = Phases::default();
    let mut rows = Vec::new();
    let (mut longest_prune, mut longest_batch, mut longest_finish) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    // Since the row before: storing the first polls, storing the others.
    let (mut first, mut other) = (Duration::ZERO, Duration::ZERO);
    let mut day_before = 0;
    let wall = Instant::now();
    for day in 0..sim.days {
        let t0 = start + day as i64 * DAY;
        if day == sim.days / 2 {
            // 4 % of the feeds (at least 2) leave the config, as many new
            // ones join.
            numbers.drain(..swap);
            numbers.extend(sim.feeds..sim.feeds + swap);
            feeds = sync(&mut store, dir.path(), &numbers, t0, feeds);
        }
        let s = Instant::now();
        let p = prune(&mut store, retention, t0 + 4 * 3600);
        ph.prune += s.elapsed();
        longest_prune = longest_prune.max(p.total);
        longest_batch = longest_batch.max(p.longest_batch);
        longest_finish = longest_finish.max(p.finish);
        for i in 0..sim.polls {
            let interval = DAY / sim.polls as i64;
            let to = t0 + (i as i64 + 1) * interval - 1800;
            let slot = (day * sim.polls + i) as u64;
            let took = poll(&mut store, &mut feeds, sim, slot, to - interval, to, &mut ph);
            *if i == 0 { &mut first } else { &mut other } += took;
        }
        let d = day + 1;
        if d % 30 == 0 || d == sim.days {
            rows.push(Row {
                day: d,
                store_first: first / (d - day_before) as u32,
                store_other: other / ((d - day_before) * (sim.polls - 1)).max(1) as u32,
                sizes: store.sizes().expect("sizes"),
                prune: p,
                month_longest_prune: longest_prune,
                month_longest_batch: longest_batch,
                month_longest_finish: longest_finish,
                rss_mb: rss_mb(),
            });
            longest_prune = Duration::ZERO;
            longest_batch = Duration::ZERO;
            longest_finish = Duration::ZERO;
            (first, other, day_before) = (Duration::ZERO, Duration::ZERO, d);
            let r = rows.last().expect("just pushed");
            eprintln!(
                "{name}: day {d}, {} items, {:.0} MB, {:.0} s",
                r.sizes.items,
                r.sizes.file as f64 / 1e6,
                wall.elapsed().as_secs_f64()
            );
        }
    }
    println!(
        "\n{name}: {} days in {:.0} s (generating {:.0} s, reading {:.0} s, storing {:.0} s, pruning {:.1} s)\n",
        sim.days,
        wall.elapsed().as_secs_f64(),
        ph.generate.as_secs_f64(),
        ph.read.as_secs_f64(),
        ph.store.as_secs_f64(),
        ph.prune.as_secs_f64()
    );
    println!(
        "| Day | Items | Tombstones | Prints | Database | WAL | Storing a poll: first / others | That day's prune | Month's longest prune | Longest batch | Longest finish | RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {:.0} MB | {:.1} MB | {:.0} / {:.0} ms | {:.0} ms ({} items) | {:.0} ms | {:.0} ms | {:.0} ms | {:.0} MB |",
            r.day,
            r.sizes.items,
            r.sizes.tombstones,
            r.sizes.prints,
            r.sizes.file as f64 / 1e6,
            r.sizes.wal as f64 / 1e6,
            r.store_first.as_secs_f64() * 1e3,
            r.store_other.as_secs_f64() * 1e3,
            r.prune.total.as_secs_f64() * 1e3,
            r.prune.items,
            r.month_longest_prune.as_secs_f64() * 1e3,
            r.month_longest_batch.as_secs_f64() * 1e3,
            r.month_longest_finish.as_secs_f64() * 1e3,
            r.rss_mb
        );
    }
    // The plateau: the last day's file against day 210's (past max_age
    // and the removed feeds' grace), and against day 90's.
    let size = |d: usize| rows.iter().find(|r| r.day == d).map(|r| r.sizes.file as f64);
    if let (Some(last), Some(a), Some(b)) = (rows.last(), size(90), size(210)) {
        let f = last.sizes.file as f64;
        println!(
            "\nday {}: database {:.2}× day 210's, {:.2}× day 90's; {:.0} bytes per item",
            last.day,
            f / b,
            f / a,
            f / last.sizes.items.max(1) as f64
        );
    }
    rows
}

fn main() {
    // `cargo test --benches` runs this without `--bench`: a small year.
    let full = std::env::args().any(|a| a == "--bench");
    let sim = if full {
        Sim {
            feeds: env_usize("HUIJU_BENCH_FEEDS", 30),
            per_day: env_usize("HUIJU_BENCH_ITEMS_PER_DAY", 30),
            polls: env_usize("HUIJU_BENCH_POLLS", 3),
            days: env_usize("HUIJU_BENCH_DAYS", 365),
        }
    } else {
        Sim {
            feeds: 6,
            per_day: 12,
            polls: 3,
            days: 40,
        }
    };
    assert!(
        sim.polls > 0 && sim.per_day >= sim.polls,
        "at least one new item per poll"
    );
    println!(
        "{} feeds × {} new items a day in {} polls, each feed listing its newest {LISTED}; {} days",
        sim.feeds, sim.per_day, sim.polls, sim.days
    );
    let default = if full {
        let days = env_usize("HUIJU_BENCH_MAX_AGE_DAYS", 180) as u64;
        let mut r = Retention::default();
        r.keep.max_age = Some(Duration::from_secs(days * DAY as u64));
        r
    } else {
        let mut r = Retention {
            removed_feeds_after: Some(Duration::from_secs(5 * DAY as u64)),
            ..Retention::default()
        };
        r.keep.max_age = Some(Duration::from_secs(10 * DAY as u64));
        r.keep.keep_min = 5;
        r
    };
    let mut forever = default.clone();
    forever.keep.max_age = None;
    let which = std::env::var("HUIJU_BENCH_RETENTION").unwrap_or_else(|_| "both".into());
    if which != "forever" {
        let rows = run(&sim, "retention (default)", &default);
        if !full {
            let last = rows.last().expect("a row");
            assert!(last.sizes.tombstones > 0, "the small year pruned");
        }
    }
    if which != "default" {
        run(&sim, "kept forever (max_age = \"0\")", &forever);
    }
}
