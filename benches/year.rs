//! A simulated year of running: `cargo bench --features bench --bench year`.
//!
//! Drives the real store through a year of days on an injected clock: every
//! job's `now`, every item's date and every prune's `now` are simulated
//! times, nothing sleeps. The store is driven through the calls the daemon
//! makes, in its order:
//!
//! - **Polls.** Every feed is polled `HUIJU_BENCH_POLLS` (48) times a day,
//!   every 30 minutes. Its `HUIJU_BENCH_ITEMS_PER_DAY` (40) new items
//!   appear at random times of the day, each in the first poll after it
//!   (so about 43 % of the polls find nothing new). A poll that finds
//!   nothing new gets a 304 from the `HUIJU_BENCH_CONDITIONAL_PCT` (70) %
//!   of feeds that answer conditional requests
//!   (`Store::record_not_modified`, one `UPDATE` of the feed's row), and a
//!   200 listing the same items from the others; a poll with new items is
//!   a 200 listing the feed's newest 50 (`Store::apply_refreshes`, every
//!   listed item looked up and marked seen). Each poll first reads the
//!   feed's state (`Store::feed_state`), as the daemon does before its
//!   request. Polls go to the store 16 at a time (the fetch concurrency):
//!   the 200s in one transaction, the 304s each in their own; a passive
//!   checkpoint every 16 such batches, as the writer's checkpoint thread.
//! - **Items.** Agency articles of 4–8 paragraphs (`corpus::syndicated`,
//!   about 2 KB of text); 10 % are a portal's repost of another feed's
//!   story of the same poll (a near-duplicate copy). New items are written
//!   as RSS, Atom or GB18030 RSS and decoded, parsed, normalized and
//!   fingerprinted by the real code; a body listing only items already
//!   read is not read again (the store gets the same items, which is all
//!   it sees of a 200).
//! - **Search.** After each poll with new items, a second store (as the
//!   daemon's indexer thread) indexes them.
//! - **Prune.** At 04:00 every day, with the policy under test, planned,
//!   then batch by batch, then finished, as the daemon prunes.
//! - **Config.** On day 15 of every 30, 2 % of the feeds (at least one)
//!   leave the config and as many new ones join (`Store::sync_config_at`).
//!
//! Policies: `[retention]` with `max_age = HUIJU_BENCH_MAX_AGE_DAYS` (90)
//! days and the other keys at their defaults (`keep_min` 50, removed
//! feeds' items after 30 days), then on a fresh database `max_age = "0"`
//! (kept forever; removed feeds' items still go).
//! `HUIJU_BENCH_RETENTION=default` or `forever` runs one.
//!
//! Scale: `HUIJU_BENCH_FEEDS` (30) feeds, so that one policy runs in a few
//! minutes on 2 cores; `HUIJU_BENCH_SCALE=issue` sets 300 (the scale of
//! issue 25: 300 feeds, 40 new items a day, polls every 30 minutes, 90
//! days); the variables above still override it. `HUIJU_BENCH_DAYS` (365).
//! `HUIJU_BENCH_LOCK=FILE` takes an exclusive `flock` on FILE for each
//! simulated month and lets it go between months, so that a long run
//! shares a machine with builds that take the lock shared.
//!
//! Prints a row every 30 days, on day 120 and on the last day: the
//! database file, its WAL and the search index's file; rows of items,
//! tombstones and prints; storing a poll's batches (the first poll after
//! the prune, the others), a 304; that day's prune and the month's longest
//! prune, batch, finish and giving back of space; the render of `all.rss`
//! as the server makes it (`category_items` with its default count and
//! collapse, then `render::for_category`, on a read connection of its
//! own): the p50 of 20 renders at each of 8 moments spread over the day,
//! and the median of those; and this process's RSS. Then whether the issue's targets
//! hold: the database on the last day within 10 % of day 120's, RSS within
//! 10 MB of day 30's, render time flat (each row's p50 within 25 % of day
//! 30's).
//!
//! RSS is this process's: the store, its read connection and the indexer's,
//! and the simulation's own state, which stops growing on the second day
//! (each feed's 50 listed items with their prints).

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use huiju::config::{Config, Retention};
use huiju::ingest::{decode, normalize, parse};
use huiju::neardup::{self, Print};
use huiju::render::{self, Format};
use huiju::schedule::Plan;
use huiju::store::{Refreshed, SourceMeta, Store};
use url::Url;

mod common;

use common::corpus;

const DAY: i64 = 86_400;
const LISTED: usize = 50;
/// Polls per batch of the writer: the fetch concurrency, which bounds the
/// writer's queue.
const BATCH: usize = 16;
const DUP_PCT: u64 = 10;
const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;
/// Renders of `all.rss` timed at each moment of a row's day.
const RENDERS: usize = 20;

/// Moments of a row's day at which `all.rss` is timed: the row gives the
/// median of their p50s.
const RENDER_MOMENTS: usize = 8;

/// Whether the table has a row for the end of day `d`.
fn row_day(d: usize, days: usize) -> bool {
    d.is_multiple_of(30) || d == 120 || d == days
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn at(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).expect("simulated time")
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

struct Sim {
    feeds: usize,
    per_day: usize,
    polls: usize,
    days: usize,
    /// Per cent of feeds that answer 304 to a poll that finds nothing new.
    conditional_pct: u64,
}

/// One feed of the simulation: its number (host `h{n}.example.cn`) and
/// what it lists, newest first.
struct Feed {
    n: usize,
    id: i64,
    url: Url,
    listed: VecDeque<(normalize::Item, Print)>,
    /// The times of today's new items, per poll.
    arrivals: Vec<Vec<i64>>,
}

impl Feed {
    fn conditional(&self, sim: &Sim) -> bool {
        (self.n as u64 * 37) % 100 < sim.conditional_pct
    }
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

/// Syncs the config of `numbers` as of `now`; the config, and the feeds
/// with what the ones already known list.
fn sync(store: &mut Store, dir: &Path, numbers: &[usize], now: i64, old: Vec<Feed>) -> (Config, Vec<Feed>) {
    let cfg = Config::parse(&config_text(numbers), &dir.join("huiju.toml")).expect("bench config");
    store.sync_config_at(&cfg, at(now)).expect("sync config");
    let mut old: HashMap<usize, Feed> = old.into_iter().map(|f| (f.n, f)).collect();
    let feeds = numbers
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
                arrivals: Vec::new(),
            })
        })
        .collect();
    (cfg, feeds)
}

/// A day's prune and what it cost.
#[derive(Default, Clone, Copy)]
struct PruneTime {
    total: Duration,
    longest_batch: Duration,
    /// `prune_finish`: expired tombstones and the report. The daemon
    /// holds the writer's lock for it.
    finish: Duration,
    /// The longest step of giving the free pages back
    /// (`free_pages_step`), each under the writer's lock.
    give_back: Duration,
    items: usize,
    /// Steps under the writer's lock (batches, finish, giving back), and
    /// those of them over the ~100 ms a poll should wait at most.
    steps: usize,
    slow_steps: usize,
}

/// What a poll should wait for a step of the prune at most.
const STEP_AIM: Duration = Duration::from_millis(100);

/// Prunes as the daemon does: planned, then batch by batch, then finished.
fn prune(store: &mut Store, retention: &Retention, now: i64) -> PruneTime {
    let started = Instant::now();
    let mut plan = store.prune_plan(retention, at(now), false).expect("plan");
    // The log copied into the file before each step, outside the lock, as
    // the daemon does it.
    let checkpoints = store.checkpointer().expect("checkpoint connection");
    let mut longest = Duration::ZERO;
    let mut held = Vec::new();
    loop {
        checkpoints.passive().expect("passive checkpoint");
        let s = Instant::now();
        let more = store.prune_step(&mut plan).expect("prune batch");
        held.push(s.elapsed());
        longest = longest.max(s.elapsed());
        if !more {
            break;
        }
    }
    let s = Instant::now();
    let r = store.prune_finish(plan).expect("prune finish");
    let finish = s.elapsed();
    held.push(finish);
    // Freed pages go back a step at a time, as the daemon does it, with
    // the checkpoints on a connection of their own: the longest step is
    // what a poll may wait.
    let mut give_back = Duration::ZERO;
    if r.changed() {
        loop {
            checkpoints.passive().expect("passive checkpoint");
            let s = Instant::now();
            let more = store.free_pages_step().expect("give back");
            held.push(s.elapsed());
            give_back = give_back.max(s.elapsed());
            if !more {
                break;
            }
        }
        checkpoints.truncate().expect("truncating checkpoint");
    }
    PruneTime {
        total: started.elapsed(),
        longest_batch: longest,
        finish,
        give_back,
        items: r.items,
        steps: held.len(),
        slow_steps: held.iter().filter(|&&h| h > STEP_AIM).count(),
    }
}

#[derive(Default)]
struct Phases {
    generate: Duration,
    read: Duration,
    store: Duration,
    index: Duration,
    prune: Duration,
    render: Duration,
    /// Time spent waiting for `HUIJU_BENCH_LOCK`.
    waited: Duration,
    /// Writer batches so far: a passive checkpoint every 16.
    batches: usize,
    /// Polls answered 304, 200 with new items, 200 with nothing new.
    not_modified: u64,
    with_new: u64,
    same: u64,
    /// Time of the 304s' `record_not_modified`.
    not_modified_time: Duration,
    /// The prunes' steps under the writer's lock, and those over [`STEP_AIM`].
    prune_steps: usize,
    slow_prune_steps: usize,
}

/// Draws the times of each feed's new items of the day starting at `t0`,
/// each in the poll after it.
fn arrivals(feeds: &mut [Feed], sim: &Sim, day: usize, t0: i64) {
    let interval = DAY / sim.polls as i64;
    for f in feeds {
        let mut rng = fastrand::Rng::with_seed((day as u64).wrapping_mul(7_919) ^ (f.n as u64) << 20);
        f.arrivals = vec![Vec::new(); sim.polls];
        for _ in 0..sim.per_day {
            let s = rng.i64(0..DAY);
            f.arrivals[(s / interval) as usize].push(t0 + s);
        }
        for a in &mut f.arrivals {
            // Newest first, as a feed lists them.
            a.sort_unstable_by(|x, y| y.cmp(x));
        }
    }
}

/// Reads the new items of poll `i` (at `to`) of every feed that has any;
/// `slot` numbers the poll over the whole run (the seed).
fn read_new(feeds: &mut [Feed], i: usize, slot: u64, ph: &mut Phases) {
    let s = Instant::now();
    let counts: Vec<usize> = feeds.iter().map(|f| f.arrivals[i].len()).collect();
    let total: usize = counts.iter().sum();
    if total == 0 {
        return;
    }
    // One agency story per new item of this poll; reposts of other feeds'
    // stories are taken from the same groups.
    let groups = corpus::syndicated(slot, total);
    let owner: Vec<usize> = counts
        .iter()
        .enumerate()
        .flat_map(|(fi, &k)| std::iter::repeat_n(fi, k))
        .collect();
    let base = common::base_unix();
    let mut docs = Vec::with_capacity(feeds.len());
    let mut first = 0;
    for (fi, f) in feeds.iter().enumerate() {
        let k = counts[fi];
        if k == 0 {
            docs.push(None);
            continue;
        }
        let mut rng = fastrand::Rng::with_seed(slot.wrapping_mul(1_000_003) ^ f.n as u64);
        let entries: Vec<common::Entry> = f.arrivals[i]
            .iter()
            .enumerate()
            .map(|(j, &t)| {
                let own = &groups[first + j][0];
                let other = rng.usize(0..total);
                let doc = if owner[other] != fi && rng.u64(0..100) < DUP_PCT {
                    &groups[other][1]
                } else {
                    own
                };
                common::Entry {
                    story: common::Story {
                        title: doc.title.clone(),
                        html: doc.html.clone(),
                    },
                    link: format!("http://h{}.example.cn/news/{slot}/{j}.html", f.n),
                    age: base - t,
                }
            })
            .collect();
        first += k;
        docs.push(Some(common::encode(
            f.n,
            &entries,
            &format!("h{}.example.cn", f.n),
        )));
    }
    drop(groups);
    ph.generate += s.elapsed();

    let s = Instant::now();
    for (f, bytes) in feeds.iter_mut().zip(&docs) {
        let Some(bytes) = bytes else { continue };
        let d = decode::decode(bytes, None, None);
        let items = normalize::normalize(&parse::parse(&d.text, TZ), &f.url, &f.url);
        assert_eq!(items.len(), f.arrivals[i].len(), "every generated item read");
        let prints = neardup::print_items(&items);
        for pair in items.into_iter().zip(prints).rev() {
            f.listed.push_front(pair);
        }
        f.listed.truncate(LISTED);
    }
    ph.read += s.elapsed();
}

/// Stores poll `i` (at `to`) of every feed as the daemon would: returns
/// the time storing took.
fn store_poll(store: &mut Store, feeds: &[Feed], sim: &Sim, i: usize, to: i64, ph: &mut Phases) -> Duration {
    let s = Instant::now();
    let now = at(to);
    let plan = Plan {
        consecutive_errors: 0,
        next_due: at(to + DAY / sim.polls as i64),
    };
    for chunk in feeds.chunks(BATCH) {
        let mut jobs = Vec::new();
        for f in chunk {
            let state = store.feed_state(f.url.as_str()).expect("state").expect("synced");
            let new = !f.arrivals[i].is_empty();
            if !new && f.conditional(sim) && !f.listed.is_empty() {
                let s = Instant::now();
                store.record_not_modified(state.id, now, plan).expect("304");
                ph.not_modified_time += s.elapsed();
                ph.not_modified += 1;
                continue;
            }
            *if new { &mut ph.with_new } else { &mut ph.same } += 1;
            jobs.push(Refreshed {
                feed_id: f.id,
                meta: SourceMeta {
                    title: Some(format!("生成的新闻源 {}", f.n)),
                    etag: f.conditional(sim).then(|| format!("\"{to}\"")),
                    ..SourceMeta::default()
                },
                items: f.listed.iter().map(|(i, _)| i.clone()).collect(),
                prints: f.listed.iter().map(|(_, p)| p.clone()).collect(),
                now,
                plan,
                near: Some(neardup::Settings::default()),
                route: None,
            });
        }
        if !jobs.is_empty() {
            for r in store.apply_refreshes(&jobs).expect("store a batch") {
                r.expect("store a refresh");
            }
            drop(store.take_retired());
        }
        ph.batches += 1;
        if ph.batches.is_multiple_of(16) {
            store
                .checkpointer()
                .and_then(|c| c.passive())
                .expect("checkpoint");
        }
    }
    let took = s.elapsed();
    ph.store += took;
    took
}

/// The p50 of [`RENDERS`] renders of `all.rss` as the server makes one.
fn render_p50(reader: &Store, cfg: &Config) -> (Duration, usize) {
    let limit = cfg.fetch.items_per_feed;
    let collapse = cfg.collapse_threshold("all");
    let mut times = Vec::with_capacity(RENDERS);
    let mut bytes = 0;
    for _ in 0..RENDERS {
        let s = Instant::now();
        let items = reader
            .category_items("all", limit, None, collapse)
            .expect("all's items");
        let body = render::for_category(cfg, "all", None, &items, Format::Rss);
        times.push(s.elapsed());
        bytes = body.len();
    }
    (common::percentile(&mut times, 0.5), bytes)
}

/// An exclusive `flock` on `HUIJU_BENCH_LOCK`, held while `file` is open.
struct Lock {
    file: Option<std::fs::File>,
}

impl Lock {
    fn take(ph: &mut Phases) -> Lock {
        use std::os::fd::AsRawFd;
        let Some(path) = std::env::var_os("HUIJU_BENCH_LOCK") else {
            return Lock { file: None };
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("lock file");
        let s = Instant::now();
        // SAFETY: a valid descriptor, owned by `file`.
        let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        assert_eq!(r, 0, "flock");
        ph.waited += s.elapsed();
        Lock { file: Some(file) }
    }
}

struct Row {
    day: usize,
    /// Storing a poll of every feed: the first poll after the prune, on
    /// average over the days since the row before.
    store_first: Duration,
    /// Storing one of the other polls, on average.
    store_other: Duration,
    /// One 304, on average since the row before.
    not_modified: Duration,
    sizes: huiju::store::Sizes,
    prune: PruneTime,
    month_longest_prune: Duration,
    month_longest_batch: Duration,
    month_longest_finish: Duration,
    month_longest_give_back: Duration,
    render_p50: Duration,
    render_bytes: usize,
    rss_mb: f64,
}

fn run(sim: &Sim, name: &str, retention: &Retention) -> Vec<Row> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("huiju.db");
    let mut store = Store::open(&path).expect("open");
    let mut indexer = store.indexer().expect("indexer");
    let reader = Store::open(&path).expect("reader");
    // Days start at midnight UTC; the last ends a day before now.
    let end = common::base_unix() - DAY;
    let start = (end - sim.days as i64 * DAY).div_euclid(DAY) * DAY;
    let mut numbers: Vec<usize> = (0..sim.feeds).collect();
    let (mut cfg, mut feeds) = sync(&mut store, dir.path(), &numbers, start, Vec::new());
    let swap = (sim.feeds * 2 / 100).max(1).min(sim.feeds / 2);
    let mut next_n = sim.feeds;
    let mut ph = Phases::default();
    let mut rows = Vec::new();
    let (mut longest_prune, mut longest_batch, mut longest_finish, mut longest_give_back) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO, Duration::ZERO);
    // The year's largest prune: items, and its giving back of space.
    let mut largest = PruneTime::default();
    // Since the row before: storing the first polls after the prune, the
    // others; 304s.
    let (mut first, mut other, mut firsts, mut others) = (Duration::ZERO, Duration::ZERO, 0u32, 0u32);
    let (mut nm_time, mut nm) = (Duration::ZERO, 0u64);
    let interval = DAY / sim.polls as i64;
    // The render's p50 at each moment of a row's day so far.
    let mut renders = Vec::new();
    let wall = Instant::now();
    let mut lock = Lock { file: None };
    for day in 0..sim.days {
        if day % 30 == 0 {
            if lock.file.take().is_some() {
                // flock(2) is not fair: taken again at once, the lock goes
                // back to this process before the builds waiting for it
                // are woken.
                std::thread::sleep(Duration::from_secs(1));
                ph.waited += Duration::from_secs(1);
            }
            lock = Lock::take(&mut ph);
        }
        let t0 = start + day as i64 * DAY;
        if day % 30 == 15 {
            // 2 % of the feeds (at least one) leave the config, as many
            // new ones join.
            numbers.drain(..swap);
            numbers.extend(next_n..next_n + swap);
            next_n += swap;
            (cfg, feeds) = sync(&mut store, dir.path(), &numbers, t0, feeds);
        }
        arrivals(&mut feeds, sim, day, t0);
        let mut p = None;
        for i in 0..sim.polls {
            let to = t0 + (i as i64 + 1) * interval;
            let prune_at = t0 + 4 * 3600;
            let after_prune = p.is_none() && to > prune_at;
            if after_prune {
                let s = Instant::now();
                let t = prune(&mut store, retention, prune_at);
                ph.prune += s.elapsed();
                ph.prune_steps += t.steps;
                ph.slow_prune_steps += t.slow_steps;
                longest_prune = longest_prune.max(t.total);
                longest_batch = longest_batch.max(t.longest_batch);
                longest_finish = longest_finish.max(t.finish);
                longest_give_back = longest_give_back.max(t.give_back);
                if t.items > largest.items {
                    largest = t;
                }
                p = Some(t);
            }
            let slot = (day * sim.polls + i) as u64;
            let (nm_before, nmt_before) = (ph.not_modified, ph.not_modified_time);
            read_new(&mut feeds, i, slot, &mut ph);
            let took = store_poll(&mut store, &feeds, sim, i, to, &mut ph);
            nm += ph.not_modified - nm_before;
            nm_time += ph.not_modified_time - nmt_before;
            if after_prune {
                first += took;
                firsts += 1;
            } else {
                other += took;
                others += 1;
            }
            if feeds.iter().any(|f| !f.arrivals[i].is_empty()) {
                let s = Instant::now();
                while {
                    let r = indexer.index_search(2000).expect("index");
                    r.new + r.redone > 0
                } {}
                ph.index += s.elapsed();
            }
            // The render is timed at moments spread over a row's day: its
            // cost depends on what the newest items are (a window of copies
            // makes it read four times the rows), which one moment samples.
            let every = (sim.polls / RENDER_MOMENTS).max(1);
            if row_day(day + 1, sim.days) && i % every == every - 1 {
                let s = Instant::now();
                renders.push(render_p50(&reader, &cfg));
                ph.render += s.elapsed();
            }
        }
        let d = day + 1;
        if row_day(d, sim.days) {
            let (render_p50, render_bytes) = {
                renders.sort();
                let mid = renders[renders.len() / 2];
                renders.clear();
                mid
            };
            rows.push(Row {
                day: d,
                store_first: first / firsts.max(1),
                store_other: other / others.max(1),
                not_modified: nm_time / u32::try_from(nm.max(1)).unwrap_or(u32::MAX),
                sizes: store.sizes().expect("sizes"),
                prune: p.unwrap_or_default(),
                month_longest_prune: longest_prune,
                month_longest_batch: longest_batch,
                month_longest_finish: longest_finish,
                month_longest_give_back: longest_give_back,
                render_p50,
                render_bytes,
                rss_mb: common::rss_mb(),
            });
            if d % 30 == 0 || d == sim.days {
                longest_prune = Duration::ZERO;
                longest_batch = Duration::ZERO;
                longest_finish = Duration::ZERO;
                longest_give_back = Duration::ZERO;
            }
            (first, other, firsts, others) = (Duration::ZERO, Duration::ZERO, 0, 0);
            (nm_time, nm) = (Duration::ZERO, 0);
            let r = rows.last().expect("just pushed");
            eprintln!(
                "{name}: day {d}, {} items, {:.0} MB, {:.0} s",
                r.sizes.items,
                r.sizes.file as f64 / 1e6,
                wall.elapsed().as_secs_f64()
            );
        }
    }
    drop(lock);
    if let Some(keep) = std::env::var_os("HUIJU_BENCH_KEEP_DB") {
        let dest = Path::new(&keep).join(format!("{}.db", name.split(' ').next().unwrap_or("year")));
        huiju::store::backup(&path, &dest, true).expect("copy of the database");
    }
    let polls = ph.not_modified + ph.with_new + ph.same;
    println!(
        "{name}: {} of {} prune steps held the writer over {} ms",
        ph.slow_prune_steps,
        ph.prune_steps,
        STEP_AIM.as_millis()
    );
    println!(
        "\n{name}: {} days in {:.0} s ({:.0} s waiting for the lock; generating {:.0} s, reading {:.0} s, \
         storing {:.0} s, indexing {:.0} s, pruning {:.1} s, rendering {:.1} s)",
        sim.days,
        (wall.elapsed() - ph.waited).as_secs_f64(),
        ph.waited.as_secs_f64(),
        ph.generate.as_secs_f64(),
        ph.read.as_secs_f64(),
        ph.store.as_secs_f64(),
        ph.index.as_secs_f64(),
        ph.prune.as_secs_f64(),
        ph.render.as_secs_f64()
    );
    println!(
        "{polls} polls: {} with new items ({:.0} %), {} 304s ({:.0} %, {:.0} µs each), {} 200s with nothing new ({:.0} %)\n",
        ph.with_new,
        ph.with_new as f64 * 100.0 / polls as f64,
        ph.not_modified,
        ph.not_modified as f64 * 100.0 / polls as f64,
        ph.not_modified_time.as_secs_f64() * 1e6 / ph.not_modified.max(1) as f64,
        ph.same,
        ph.same as f64 * 100.0 / polls as f64,
    );
    println!(
        "| Day | Items | Tombstones | Prints | Database | WAL | Search index | Storing a poll: after the prune / others | A 304 | That day's prune | Month's longest prune / batch / finish / giving back | `all.rss` p50 | RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {:.0} MB | {:.1} MB | {:.0} MB | {:.0} / {:.0} ms | {:.0} µs | {:.0} ms ({} items) | {:.0} / {:.0} / {:.0} / {:.0} ms | {:.1} ms | {:.0} MB |",
            r.day,
            r.sizes.items,
            r.sizes.tombstones,
            r.sizes.prints,
            r.sizes.file as f64 / 1e6,
            r.sizes.wal as f64 / 1e6,
            r.sizes.search as f64 / 1e6,
            ms(r.store_first),
            ms(r.store_other),
            r.not_modified.as_secs_f64() * 1e6,
            ms(r.prune.total),
            r.prune.items,
            ms(r.month_longest_prune),
            ms(r.month_longest_batch),
            ms(r.month_longest_finish),
            ms(r.month_longest_give_back),
            ms(r.render_p50),
            r.rss_mb
        );
    }
    let row = |d: usize| rows.iter().find(|r| r.day == d);
    let last = rows.last().expect("a row");
    println!(
        "\n`all.rss`: {} bytes; the year's largest prune: {} items in {:.0} ms, its longest step giving back space {:.0} ms; \
         on day {}: {:.0} bytes of database per item ({:.0} with the WAL and the search index)",
        last.render_bytes,
        largest.items,
        ms(largest.total),
        ms(largest.give_back),
        last.day,
        last.sizes.file as f64 / last.sizes.items.max(1) as f64,
        (last.sizes.file + last.sizes.wal + last.sizes.search) as f64 / last.sizes.items.max(1) as f64,
    );
    if let (Some(d30), Some(d120)) = (row(30), row(120)) {
        let size = last.sizes.file as f64 / d120.sizes.file as f64;
        let rss = last.rss_mb - d30.rss_mb;
        let render = rows
            .iter()
            .map(|r| r.render_p50.as_secs_f64() / d30.render_p50.as_secs_f64())
            .fold((f64::MAX, 0.0f64), |(lo, hi), x| (lo.min(x), hi.max(x)));
        let holds = |ok: bool| if ok { "holds" } else { "MISSED" };
        println!(
            "targets: database day {} / day 120 = {size:.3} (within 10 %: {}); RSS day {} − day 30 = {rss:+.1} MB \
             (within +10 MB: {}); render p50 / day 30's from {:.2} to {:.2} (flat, within 25 %: {})",
            last.day,
            holds((size - 1.0).abs() <= 0.10),
            last.day,
            holds(rss <= 10.0),
            render.0,
            render.1,
            holds(render.0 >= 0.75 && render.1 <= 1.25)
        );
    }
    rows
}

fn main() {
    // One base time for the whole run: dates are written and read back
    // relative to it.
    if std::env::var_os("HUIJU_BENCH_BASE").is_none() {
        // SAFETY: no other thread runs yet.
        unsafe { std::env::set_var("HUIJU_BENCH_BASE", common::base_unix().to_string()) };
    }
    // `cargo test --benches` runs this without `--bench`: a small year.
    let full = std::env::args().any(|a| a == "--bench");
    let issue = std::env::var("HUIJU_BENCH_SCALE").is_ok_and(|s| s == "issue");
    let sim = if full {
        Sim {
            feeds: env_usize("HUIJU_BENCH_FEEDS", if issue { 300 } else { 30 }),
            per_day: env_usize("HUIJU_BENCH_ITEMS_PER_DAY", 40),
            polls: env_usize("HUIJU_BENCH_POLLS", 48),
            days: env_usize("HUIJU_BENCH_DAYS", 365),
            conditional_pct: env_usize("HUIJU_BENCH_CONDITIONAL_PCT", 70) as u64,
        }
    } else {
        Sim {
            feeds: 6,
            per_day: 12,
            polls: 8,
            days: 40,
            conditional_pct: 70,
        }
    };
    assert!(
        sim.polls > 0 && DAY % sim.polls as i64 == 0,
        "polls divide the day"
    );
    let mut default = Retention::default();
    if full {
        let days = env_usize("HUIJU_BENCH_MAX_AGE_DAYS", 90) as u64;
        default.keep.max_age = Some(Duration::from_secs(days * DAY as u64));
    } else {
        default.removed_feeds_after = Some(Duration::from_secs(5 * DAY as u64));
        default.keep.max_age = Some(Duration::from_secs(10 * DAY as u64));
        default.keep.keep_min = 5;
    }
    println!(
        "{} feeds × {} new items a day, polled {} times a day ({} % answer 304 when nothing is new), \
         each listing its newest {LISTED}; {} days; max_age {} days",
        sim.feeds,
        sim.per_day,
        sim.polls,
        sim.conditional_pct,
        sim.days,
        default.keep.max_age.map_or(0, |d| d.as_secs() / DAY as u64)
    );
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
