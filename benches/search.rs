//! Search at scale: a store of `HUIJU_BENCH_SEARCH_ITEMS` items (default
//! 1,000,000; half generated random-character stories, half regional
//! template news, so that some terms are rare and some are in most items),
//! stored through `Store::apply_refreshes` as polls would store them, then
//! `?q=` searches of a category for 2- and 4-character terms taken from
//! the stored text at random (so their frequencies are the corpus's).
//!
//! Prints: the store's rate (without the index, which the daemon's
//! indexer thread keeps beside it), the indexer's rate, the search index's
//! size per item (SQLite's `dbstat`), and search latency p50 / p99 per
//! term length.
//!
//! `cargo bench --bench search` (about 3 minutes at a million items on the
//! 2-core machine of BENCHMARKS.md).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use huiju::config::Config;
use huiju::schedule::Plan;
use huiju::store::{Refreshed, SourceMeta, Store};

const FEEDS: usize = 1000;
const PER_POLL: usize = 50;

fn items_wanted() -> usize {
    std::env::var("HUIJU_BENCH_SEARCH_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

fn config(dir: &Path) -> Config {
    let mut text = String::from("[storage]\ndatabase = \"huiju.db\"\n[dedup]\nenabled = false\n");
    text.push_str("[[category]]\nid = \"news\"\ntitle = \"新闻\"\n");
    for f in 0..FEEDS {
        text.push_str(&format!(
            "[[feed]]\nurl = \"http://h{f}.example.cn/feed.xml\"\ncategories = [\"news\"]\n"
        ));
    }
    Config::parse(&text, &dir.join("huiju.toml")).expect("bench config")
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let mut store = Store::open(&dir.path().join("huiju.db")).unwrap();
    store.sync_config(&cfg).unwrap();
    let ids: Vec<i64> = cfg
        .feeds
        .iter()
        .map(|f| store.feed_state(f.url.as_str()).unwrap().unwrap().id)
        .collect();
    let wanted = items_wanted();
    let now = Utc::now();
    let plan = Plan {
        consecutive_errors: 0,
        next_due: now,
    };
    // Text to draw search terms from: some items' titles and bodies.
    let mut sample: Vec<String> = Vec::new();
    let (mut stored, mut storing) = (0, Duration::ZERO);
    let mut round = 0;
    'fill: loop {
        for chunk in (0..FEEDS).collect::<Vec<_>>().chunks(16) {
            let jobs: Vec<Refreshed> = chunk
                .iter()
                .map(|&f| {
                    let items = common::poll_items(f, round, FEEDS, PER_POLL);
                    if f.is_multiple_of(97) && round.is_multiple_of(5) {
                        sample.extend(
                            items
                                .iter()
                                .map(|i| format!("{}{}", i.title, i.summary.clone().unwrap_or_default())),
                        );
                    }
                    Refreshed {
                        feed_id: ids[f],
                        meta: SourceMeta::default(),
                        prints: Vec::new(),
                        items,
                        now,
                        plan,
                        near: None,
                        route: None,
                    }
                })
                .collect();
            let t = Instant::now();
            for r in store.apply_refreshes(&jobs).expect("store") {
                stored += r.expect("stored").new;
            }
            storing += t.elapsed();
            if stored >= wanted {
                break 'fill;
            }
        }
        round += 1;
        eprintln!("{stored} items stored");
    }
    println!(
        "stored {stored} items in {:.1} s of store time: {:.0} items/s (dedup off)",
        storing.as_secs_f64(),
        stored as f64 / storing.as_secs_f64()
    );
    // What the daemon's indexer thread does after the writer's batches.
    let t = Instant::now();
    let indexed = store.index_search_all().expect("index");
    println!(
        "indexed {indexed} items in {:.1} s: {:.0} items/s",
        t.elapsed().as_secs_f64(),
        indexed as f64 / t.elapsed().as_secs_f64()
    );
    let (index_bytes, items_bytes) = store.bench_table_bytes().expect("dbstat");
    println!(
        "search index {:.1} MB, {:.0} bytes per item; items table {:.1} MB",
        index_bytes as f64 / 1e6,
        index_bytes as f64 / stored as f64,
        items_bytes as f64 / 1e6
    );

    // Terms: 2 and 4 Chinese characters at random places in the sample.
    let mut rng = fastrand::Rng::with_seed(7);
    let han = |c: char| ('\u{4E00}'..='\u{9FFF}').contains(&c);
    for len in [2, 4] {
        let mut terms = Vec::new();
        while terms.len() < 200 {
            let s: Vec<char> = sample[rng.usize(..sample.len())].chars().collect();
            if s.len() < len {
                continue;
            }
            let at = rng.usize(..=s.len() - len);
            let t: String = s[at..at + len].iter().collect();
            if t.chars().all(han) {
                terms.push(t);
            }
        }
        let mut times = Vec::new();
        let mut hits = 0;
        for t in &terms {
            let start = Instant::now();
            let found = store.category_items("news", 100, Some(t), None).unwrap();
            times.push(start.elapsed());
            hits += found.len();
            assert!(!found.is_empty(), "{t} is in the stored text");
        }
        println!(
            "{len}-character terms: p50 {:.2} ms, p99 {:.2} ms over {} searches (limit 100, {:.0} results on average)",
            common::percentile(&mut times, 0.5).as_secs_f64() * 1e3,
            common::percentile(&mut times, 0.99).as_secs_f64() * 1e3,
            terms.len(),
            hits as f64 / terms.len() as f64
        );
    }
}
