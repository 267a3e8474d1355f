//! Criterion micro-benchmarks of the pipeline's steps:
//! `cargo bench --bench pipeline` (add a filter, e.g. `-- render`).
//!
//! - decode + parse of a 1 MB feed, UTF-8 and GB18030;
//! - normalize + fingerprint + dedup (exact and near) + store of 10,000
//!   items from 200 feeds into a fresh SQLite file, stored as the daemon
//!   stores them (refreshes batched into transactions);
//! - rendering a 500-item category as RSS and as Atom;
//! - parsing and validating a 10,000-feed config.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use huiju::config::Config;
use huiju::ingest::{decode, normalize, parse};
use huiju::render::Format;
use huiju::schedule::Plan;
use huiju::store::{Refreshed, SourceMeta, Store};
use huiju::{neardup, render};
use url::Url;

mod common;

const TZ: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

/// A feed of at least 1 MB of generated items.
fn one_mb_entries() -> Vec<common::Entry> {
    let mut n = 0;
    loop {
        n += 100;
        let e = common::entries(0, 1, n, 0, "example.cn");
        if common::rss("t", "http://example.cn/", &e).len() >= 1 << 20 {
            return e;
        }
    }
}

fn decode_parse(c: &mut Criterion) {
    let e = one_mb_entries();
    let utf8 = common::rss("江苏新闻", "http://example.cn/", &e).into_bytes();
    let gb = common::rss_gb("江苏新闻", "http://example.cn/", &e);
    let mut g = c.benchmark_group("decode_parse");
    for (name, bytes) in [("utf8_1mb", &utf8), ("gb18030_1mb", &gb)] {
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                let d = decode::decode(black_box(bytes), None, None);
                let f = parse::parse(&d.text, TZ);
                assert_eq!(f.items.len(), e.len());
                f
            })
        });
    }
    g.finish();
}

const FEEDS: usize = 200;
const PER_FEED: usize = 50;

/// A config of `feeds` feeds on distinct hosts, all in one category.
fn config_text(feeds: usize) -> String {
    let mut text =
        String::from("[storage]\ndatabase = \"huiju.db\"\n[[category]]\nid = \"news\"\ntitle = \"新闻\"\n");
    for f in 0..feeds {
        text.push_str(&format!(
            "[[feed]]\nurl = \"http://h{f}.example.cn/feed.xml\"\ncategories = [\"news\"]\n"
        ));
    }
    text
}

fn config(dir: &Path) -> Config {
    Config::parse(&config_text(FEEDS), &dir.join("huiju.toml")).expect("bench config")
}

/// Parsing and validating a hand-edited config runs at every start and
/// reload. Guards a fixed bug: validation once turned each span into a line
/// number by scanning from the top, so 20,000 feeds took 6 s to check.
fn config_parse(c: &mut Criterion) {
    let text = config_text(10_000);
    let path = Path::new("/etc/huiju/huiju.toml");
    let mut g = c.benchmark_group("config");
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("parse_validate_10k_feeds", |b| {
        b.iter(|| {
            let cfg = Config::parse(black_box(&text), path).expect("bench config");
            assert_eq!(cfg.feeds.len(), 10_000);
            cfg
        })
    });
    g.finish();
}

/// The generated feeds, parsed (what reaches normalize).
fn parsed_feeds() -> Vec<(Url, parse::Feed)> {
    (0..FEEDS)
        .map(|f| {
            let host = format!("h{f}.example.cn");
            let bytes = common::feed_bytes(f, FEEDS, PER_FEED, 10, &host);
            let d = decode::decode(&bytes, None, None);
            let url = Url::parse(&format!("http://{host}/feed.xml")).unwrap();
            (url, parse::parse(&d.text, TZ))
        })
        .collect()
}

/// Normalize, fingerprint and store every feed, 16 refreshes per
/// transaction (the fetch concurrency, which bounds the write queue).
fn ingest(store: &mut Store, feeds: &[(Url, parse::Feed)], ids: &[i64], near: neardup::Settings) -> usize {
    let now = Utc::now();
    let plan = Plan {
        consecutive_errors: 0,
        next_due: now,
    };
    let mut new = 0;
    for (chunk, idc) in feeds.chunks(16).zip(ids.chunks(16)) {
        let jobs: Vec<Refreshed> = chunk
            .iter()
            .zip(idc)
            .map(|((url, feed), id)| {
                let items = normalize::normalize(feed, url, url);
                Refreshed {
                    feed_id: *id,
                    meta: SourceMeta::default(),
                    prints: neardup::print_items(&items),
                    items,
                    now,
                    plan,
                    near: Some(near),
                    route: None,
                }
            })
            .collect();
        for r in store.apply_refreshes(&jobs).expect("store") {
            new += r.expect("stored").new;
        }
    }
    new
}

fn fresh_store(dir: &Path, cfg: &Config) -> (Store, Vec<i64>) {
    for f in ["huiju.db", "huiju.db-wal", "huiju.db-shm"] {
        std::fs::remove_file(dir.join(f)).ok();
    }
    let mut store = Store::open(&dir.join("huiju.db")).unwrap();
    store.sync_config(cfg).unwrap();
    let ids = cfg
        .feeds
        .iter()
        .map(|f| store.feed_state(f.url.as_str()).unwrap().unwrap().id)
        .collect();
    (store, ids)
}

fn near_settings() -> neardup::Settings {
    neardup::Settings {
        params: neardup::Params::default(),
        window: Duration::from_secs(72 * 3600),
    }
}

fn store_items(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let feeds = parsed_feeds();
    let mut g = c.benchmark_group("ingest");
    g.sample_size(10);
    g.throughput(Throughput::Elements((FEEDS * PER_FEED) as u64));
    g.bench_function("normalize_dedup_store_10k", |b| {
        b.iter_batched(
            || fresh_store(dir.path(), &cfg),
            |(mut store, ids)| {
                let new = ingest(&mut store, &feeds, &ids, near_settings());
                assert_eq!(new, FEEDS * PER_FEED);
                store
            },
            BatchSize::PerIteration,
        )
    });
    // The CPU part alone, for the split.
    g.bench_function("normalize_fingerprint_10k", |b| {
        b.iter(|| {
            let mut n = 0;
            for (url, feed) in &feeds {
                for it in normalize::normalize(feed, url, url) {
                    let fp =
                        neardup::item_fingerprint(&it.title, it.content.as_deref(), it.summary.as_deref());
                    n += neardup::bands(&fp).len();
                }
            }
            n
        })
    });
    g.finish();
}

fn render_500(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let feeds = parsed_feeds();
    let (mut store, ids) = fresh_store(dir.path(), &cfg);
    ingest(&mut store, &feeds, &ids, near_settings());
    let items = store
        .category_items("news", 500, None, cfg.collapse_threshold("news"))
        .unwrap();
    assert_eq!(items.len(), 500);
    let mut g = c.benchmark_group("render_500");
    g.bench_function("query", |b| {
        b.iter(|| {
            store
                .category_items("news", 500, None, cfg.collapse_threshold("news"))
                .unwrap()
        })
    });
    for (name, f) in [("rss", Format::Rss), ("atom", Format::Atom)] {
        g.bench_function(name, |b| {
            b.iter(|| render::for_category(&cfg, "news", None, black_box(&items), f))
        });
    }
    g.finish();
    // The status page's figures over the same items: every category's
    // distinct items and every feed's (BENCHMARKS.md, status page).
    let mut g = c.benchmark_group("status");
    g.throughput(Throughput::Elements((FEEDS * PER_FEED) as u64));
    g.bench_function("counts_10k_items", |b| b.iter(|| store.status().unwrap()));
    g.finish();
}

criterion_group!(benches, config_parse, decode_parse, store_items, render_500);
criterion_main!(benches);
