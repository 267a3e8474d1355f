//! Rules at scale: `HUIJU_BENCH_RULES_ITEMS` stored items (default
//! 1,000,000; random-character stories and template news, as in
//! `benches/search.rs`) in 1,000 feeds of 4 categories, then a config with
//! 50 rules (block rules, include/exclude, and a category taking items
//! from another by `match`): the time to apply them to every stored item
//! (what a reload that changes rules costs), and the time to render the
//! RSS of categories filled each way (a third of the feeds; 1 % of them;
//! rules only; `all`), p50 and p99 over 200 runs.
//!
//! `cargo bench --features bench --bench rules` (about 2 minutes at a
//! million items on the 2-core machine of BENCHMARKS.md).

mod common;

use std::path::Path;
use std::time::Instant;

use huiju::config::Config;
use huiju::store::Store;

const FEEDS: usize = 1000;
const PER_POLL: usize = 50;
const CATEGORIES: [&str; 5] = ["jiangsu", "suzhou", "caijing", "tiyu", "kunshan"];

/// The config: feeds spread over the first three categories, one in a
/// hundred also in `kunshan`; `rules` adds 50 rules, `tiyu` taking items
/// from every feed by `match`.
fn config(dir: &Path, rules: bool) -> Config {
    // Dedup on, as by default, so renders collapse copies as the server's do
    // (the fill itself stores no prints).
    let mut text = String::from("[storage]\ndatabase = \"huiju.db\"\n");
    let words = [
        "推广", "广告", "招聘", "工会", "项目", "安全", "天气", "交通", "学校", "医院",
    ];
    for (i, c) in CATEGORIES.iter().enumerate() {
        text.push_str(&format!("[[category]]\nid = \"{c}\"\ntitle = \"{c}\"\n"));
        if rules && i < 3 {
            // 12 per category: 6 excludes (contains), 5 regex excludes, 1 include.
            text.push_str("exclude = [\n");
            for w in 0..6 {
                text.push_str(&format!(
                    "  {{ field = \"title\", contains = [\"{}{}\"] }},\n",
                    words[(w + i) % words.len()],
                    w
                ));
            }
            for w in &words[..5] {
                text.push_str(&format!(
                    "  {{ field = \"text\", matches = \"{w}\\\\d{{3}}号\" }},\n"
                ));
            }
            text.push_str("]\ninclude = [{ field = \"link\", matches = \"^http\" }]\n");
        }
        if rules && *c == "tiyu" {
            text.push_str(
                "from = [\"all\"]\nmatch = [{ field = \"text\", contains = [\"体育\", \"马拉松\", \"足球\", \"工会\"] }]\n",
            );
        }
    }
    if rules {
        for w in &words[..10] {
            text.push_str(&format!(
                "[[exclude]]\nfield = \"title\"\nmatches = \"^【{w}】\"\n"
            ));
        }
        text.push_str("[[exclude]]\nfield = \"age\"\nolder_than = \"30d\"\n");
    }
    for f in 0..FEEDS {
        let also = if f % 100 == 0 { ", \"kunshan\"" } else { "" };
        text.push_str(&format!(
            "[[feed]]\nurl = \"http://h{f}.example.cn/feed.xml\"\ncategories = [\"{}\"{also}]\n",
            CATEGORIES[f % 3]
        ));
        if rules && f < 2 {
            text.push_str("exclude = [{ field = \"author\", contains = [\"某某\"] }]\n");
        }
    }
    Config::parse(&text, &dir.join("huiju.toml")).expect("bench config")
}

fn main() {
    let wanted: usize = std::env::var("HUIJU_BENCH_RULES_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let plain = config(dir.path(), false);
    let ruled = config(dir.path(), true);
    let mut store = Store::open(&dir.path().join("huiju.db")).unwrap();
    let stored = common::fill_store(&mut store, &plain, PER_POLL, wanted);
    println!(
        "{stored} items stored, {} rules; RSS {:.0} MB",
        50,
        common::rss_mb()
    );
    store.sync_config(&ruled).unwrap();
    let t = Instant::now();
    let r = store
        .bench_reroute(&ruled)
        .expect("reroute")
        .expect("rules changed");
    println!(
        "rules applied to {} pairs ({} changed) in {:.1} s (target < 10 s at 1,000,000); RSS {:.0} MB",
        r.pairs,
        r.changed,
        t.elapsed().as_secs_f64(),
        common::rss_mb()
    );
    for category in ["jiangsu", "kunshan", "tiyu", "all"] {
        let mut times = Vec::new();
        for _ in 0..200 {
            let t = Instant::now();
            let items = store
                .category_items(category, 100, None, ruled.collapse_threshold(category))
                .unwrap();
            let doc = huiju::render::for_category(&ruled, category, None, &items, huiju::render::Format::Rss);
            times.push(t.elapsed());
            assert!(
                items.len() == 100 && !doc.is_empty(),
                "{category}: {} items",
                items.len()
            );
        }
        println!(
            "{category}.rss, 100 items: p50 {:.2} ms, p99 {:.2} ms (target p50 < 20 ms)",
            common::percentile(&mut times, 0.5).as_secs_f64() * 1e3,
            common::percentile(&mut times, 0.99).as_secs_f64() * 1e3
        );
    }
    println!("RSS after the renders: {:.0} MB", common::rss_mb());
}
