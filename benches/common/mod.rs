//! Generated feeds shared by the benchmarks: deterministic pseudo-Chinese
//! news items, written as RSS 2.0 (UTF-8 or GB18030) or Atom 1.0.
#![allow(dead_code)] // each bench uses part of it

pub mod corpus;

use std::fmt::Write;

/// One generated story.
#[derive(Clone)]
pub struct Story {
    pub title: String,
    /// HTML body: 2–4 paragraphs of 60–140 characters, about 300 in all.
    pub html: String,
}

/// Deterministic pseudo-Chinese text: characters drawn from the common
/// Hanzi range (3,500), with numbers, as news copy has.
pub fn text(rng: &mut fastrand::Rng, chars: usize) -> String {
    let mut s = String::with_capacity(chars * 3);
    for _ in 0..chars {
        if rng.u8(..) < 8 {
            write!(s, "{}", rng.u32(1..100_000)).unwrap();
        } else {
            s.push(char::from_u32(0x4E00 + rng.u32(0..3500)).unwrap());
        }
    }
    s
}

pub fn story(seed: u64) -> Story {
    let mut rng = fastrand::Rng::with_seed(seed);
    let title_len = rng.usize(12..26);
    let title = text(&mut rng, title_len);
    let mut html = String::new();
    for _ in 0..rng.usize(2..5) {
        let n = rng.usize(60..140);
        write!(html, "<p>{}。</p>", text(&mut rng, n)).unwrap();
    }
    Story { title, html }
}

/// An item of a generated feed.
pub struct Entry {
    pub story: Story,
    pub link: String,
    /// Seconds before [`base_unix`].
    pub age: i64,
}

impl From<corpus::Doc> for Entry {
    fn from(d: corpus::Doc) -> Entry {
        Entry {
            story: Story {
                title: d.title,
                html: d.html,
            },
            link: d.link,
            age: d.age,
        }
    }
}

/// The time items' ages count back from: `HUIJU_BENCH_BASE` (Unix
/// seconds), else the start of the current hour, so that generated news is
/// recent news, as a poll brings it.
pub fn base_unix() -> i64 {
    std::env::var("HUIJU_BENCH_BASE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            now - now % 3600
        })
}

/// Items of feed `f` (of `feeds`) with `n` items; about `dup_pct` percent are
/// copies (same title and text, a byline added, another URL) of items of
/// other feeds, as when a portal republishes an agency story.
pub fn entries(f: usize, feeds: usize, n: usize, dup_pct: u32, host: &str) -> Vec<Entry> {
    let mut rng = fastrand::Rng::with_seed(f as u64 ^ 0x5eed);
    (0..n)
        .map(|i| {
            let own = (f * n + i) as u64;
            let mut story = if feeds > 1 && rng.u32(0..100) < dup_pct {
                // A story from another feed.
                let other = (f + 1 + rng.usize(0..feeds - 1)) % feeds;
                story((other * n + rng.usize(0..n)) as u64)
            } else {
                story(own)
            };
            if own.is_multiple_of(3) {
                story.html.push_str("<p>（来源：新华日报）</p>");
            }
            Entry {
                story,
                link: format!("http://{host}/news/2026/11/{own}.html?from=rss"),
                age: (i as i64) * 600 + rng.i64(0..300),
            }
        })
        .collect()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// RSS 2.0; dates in the common Chinese-portal form without a zone.
pub fn rss(title: &str, link: &str, entries: &[Entry]) -> String {
    let mut x = String::with_capacity(entries.len() * 1200);
    write!(
        x,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>{}</title>\
         <link>{}</link><description>generated</description>\n",
        esc(title),
        esc(link)
    )
    .unwrap();
    for e in entries {
        let t =
            chrono::DateTime::from_timestamp(base_unix() - e.age, 0).unwrap() + chrono::Duration::hours(8);
        writeln!(
            x,
            "<item><title>{}</title><link>{}</link><guid isPermaLink=\"true\">{}</guid>\
             <pubDate>{}</pubDate><description>{}</description></item>",
            esc(&e.story.title),
            esc(&e.link),
            esc(&e.link),
            t.format("%Y-%m-%d %H:%M:%S"),
            esc(&e.story.html)
        )
        .unwrap();
    }
    x.push_str("</channel></rss>\n");
    x
}

/// Atom 1.0 with RFC 3339 dates and HTML content.
pub fn atom(title: &str, link: &str, entries: &[Entry]) -> String {
    let mut x = String::with_capacity(entries.len() * 1200);
    write!(
        x,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\
         <title>{}</title><id>{}</id><link href=\"{}\"/><updated>2026-11-24T12:00:00+08:00</updated>\n",
        esc(title),
        esc(link),
        esc(link)
    )
    .unwrap();
    for e in entries {
        let t = chrono::DateTime::from_timestamp(base_unix() - e.age, 0).unwrap();
        writeln!(
            x,
            "<entry><title>{}</title><id>{}</id><link href=\"{}\"/><updated>{}</updated>\
             <content type=\"html\">{}</content></entry>",
            esc(&e.story.title),
            esc(&e.link),
            esc(&e.link),
            t.to_rfc3339(),
            esc(&e.story.html)
        )
        .unwrap();
    }
    x.push_str("</feed>\n");
    x
}

/// The same RSS, encoded in GB18030 and declared as GB2312 (as many
/// Chinese portals do).
pub fn rss_gb(title: &str, link: &str, entries: &[Entry]) -> Vec<u8> {
    let utf8 = rss(title, link, entries).replacen("encoding=\"UTF-8\"", "encoding=\"GB2312\"", 1);
    encoding_rs::GB18030.encode(&utf8).0.into_owned()
}

/// Feed number `f` of a generated set: every third is Atom, every tenth
/// GB18030 RSS, the rest UTF-8 RSS.
pub fn feed_bytes(f: usize, feeds: usize, n: usize, dup_pct: u32, host: &str) -> Vec<u8> {
    encode(f, &entries(f, feeds, n, dup_pct, host), host)
}

/// Feed number `f` of the templated set ([`corpus::templated`]: regional
/// portals' template news, no two items the same story), `n` items.
pub fn templated_feed_bytes(f: usize, n: usize, host: &str) -> Vec<u8> {
    let e: Vec<Entry> = corpus::templated(TEMPLATED_SEED, f, n)
        .into_iter()
        .map(Entry::from)
        .collect();
    encode(f, &e, host)
}

/// The seed of the templated set the benchmarks serve.
pub const TEMPLATED_SEED: u64 = 2026;

/// Feed `f`'s entries as its format: every third is Atom, every tenth
/// GB18030 RSS, the rest UTF-8 RSS.
pub fn encode(f: usize, e: &[Entry], host: &str) -> Vec<u8> {
    let title = format!("生成的新闻源 {f}");
    let link = format!("http://{host}/");
    if f % 3 == 2 {
        atom(&title, &link, e).into_bytes()
    } else if f % 10 == 1 {
        rss_gb(&title, &link, e)
    } else {
        rss(&title, &link, e).into_bytes()
    }
}

/// Poll `round` of feed `f` of `feeds`: `per_poll` new items, read as a
/// poll reads them (decode, parse, normalize). Even feeds give random-
/// character stories (every character pair rare), odd ones template news
/// (common pairs in most items). For the benches that fill a store with
/// distinct items (`search`, `rules`).
pub fn poll_items(
    f: usize,
    round: usize,
    feeds: usize,
    per_poll: usize,
) -> Vec<huiju::ingest::normalize::Item> {
    use huiju::ingest::{decode, normalize, parse};
    let host = format!("h{f}.example.cn");
    // Distinct items per round: the feed index moves on each round.
    let g = round * feeds + f;
    let bytes = if f.is_multiple_of(2) {
        feed_bytes(g, feeds * 1000, per_poll, 0, &host)
    } else {
        templated_feed_bytes(g, per_poll, &host)
    };
    let d = decode::decode(&bytes, None, None);
    let url = url::Url::parse(&format!("http://{host}/feed.xml")).unwrap();
    normalize::normalize(&parse::parse(&d.text, chrono_tz::Asia::Shanghai), &url, &url)
}

/// Syncs `cfg` into `store` and fills it with at least `wanted` distinct
/// items: rounds of [`poll_items`] (`per_poll` per feed), 16 refreshes a
/// transaction as the writer stores them. Returns how many were stored.
pub fn fill_store(
    store: &mut huiju::store::Store,
    cfg: &huiju::config::Config,
    per_poll: usize,
    wanted: usize,
) -> usize {
    store.sync_config(cfg).expect("sync the config");
    let ids: Vec<i64> = cfg
        .feeds
        .iter()
        .map(|f| store.feed_state(f.url.as_str()).unwrap().unwrap().id)
        .collect();
    let now = chrono::Utc::now();
    let plan = huiju::schedule::Plan {
        consecutive_errors: 0,
        next_due: now,
    };
    let mut stored = 0;
    for round in 0.. {
        for chunk in (0..ids.len()).collect::<Vec<_>>().chunks(16) {
            let jobs: Vec<huiju::store::Refreshed> = chunk
                .iter()
                .map(|&f| huiju::store::Refreshed {
                    feed_id: ids[f],
                    meta: huiju::store::SourceMeta::default(),
                    prints: Vec::new(),
                    items: poll_items(f, round, ids.len(), per_poll),
                    now,
                    plan,
                    near: None,
                    route: None,
                })
                .collect();
            for r in store.apply_refreshes(&jobs).expect("store") {
                stored += r.expect("stored").new;
            }
            if stored >= wanted {
                return stored;
            }
        }
        eprintln!("{stored} items stored");
    }
    unreachable!("the rounds are endless")
}

/// This process's resident memory (VmRSS), in MB.
pub fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// The `p` quantile (0…1) of `v`.
pub fn percentile(v: &mut [std::time::Duration], p: f64) -> std::time::Duration {
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}
