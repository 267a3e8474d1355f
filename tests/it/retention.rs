//! `[retention]` and `huiju prune`: old items go, unless a feed still lists
//! them or they are its newest; what went does not come back as new; the
//! items of a removed feed go after its grace period; the file shrinks.

use std::path::PathBuf;
use std::time::Duration;

use crate::support::{ConfigText, Env, FeedText, FixtureServer};

/// An RSS document of `(guid, title, pubDate)` items.
fn rss(items: &[(&str, &str, &str)]) -> Vec<u8> {
    let mut doc = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>源</title>\n",
    );
    for (guid, title, date) in items {
        doc.push_str(&format!(
            "<item><guid>http://news.example.cn/{guid}</guid><title>{title}</title>\
             <link>http://news.example.cn/{guid}.html</link><pubDate>{date}</pubDate>\
             <description>{title}：本报讯，{guid} 号稿件正文。</description></item>\n"
        ));
    }
    doc.push_str("</channel></rss>\n");
    doc.into_bytes()
}

/// [`rss`] of owned `(guid, title, pubDate)` items.
fn rss_owned(items: &[(String, String, String)]) -> Vec<u8> {
    let v: Vec<(&str, &str, &str)> = items
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    rss(&v)
}

/// A date `days` before now, as RSS writes it.
fn days_ago(days: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::days(days)).to_rfc2822()
}

fn db(env: &Env) -> PathBuf {
    env.config().with_file_name("huiju.db")
}

/// Rows per table, to see that nothing changed.
fn rows(env: &Env) -> Vec<(String, i64)> {
    let c = rusqlite::Connection::open(db(env)).unwrap();
    [
        "items",
        "item_keys",
        "item_feeds",
        "prints",
        "tombstones",
        "clusters",
    ]
    .iter()
    .map(|t| {
        let n = c
            .query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))
            .unwrap();
        (t.to_string(), n)
    })
    .collect()
}

fn titles(env: &Env) -> String {
    env.huiju(&["export", "all", "--format", "json", "--limit", "1000"])
        .ok()
        .stdout
}

/// A portal feed with six stories from 2020 and one from yesterday; later
/// it lists only the newest two.
#[test]
fn old_items_go_but_not_the_newest_nor_what_the_source_lists() {
    let srv = FixtureServer::start();
    let mut first: Vec<(String, String, String)> = (1..=6)
        .map(|i| {
            (
                format!("old{i}"),
                format!("旧闻{i}"),
                format!("Mon, 0{i} Jun 2020 09:00:00 +0800"),
            )
        })
        .collect();
    first.push(("new1".into(), "新闻一".into(), days_ago(1)));
    srv.rss("/a.rss", rss_owned(&first));
    let url = srv.url("/a.rss");
    // keep_min 3: the feed's newest three are kept, one of them from 2020.
    let cfg = ConfigText::new()
        .retention("max_age", "90d")
        .retention("keep_min", 3)
        .categories(&[("jiangsu", "江苏")])
        .feed(&url, &["jiangsu"]);
    let env = Env::with(&cfg);
    assert!(env.huiju(&["fetch"]).ok().line_for(&url).contains("7 new"));

    // Everything is still listed: nothing goes, however old.
    let run = env.huiju(&["prune"]).ok();
    assert!(
        run.stdout.contains("total: 0 items (0 kB of text) went"),
        "{}",
        run.stdout
    );
    let shown = titles(&env);
    assert!((1..=6).all(|i| shown.contains(&format!("旧闻{i}"))), "{shown}");

    // The source now lists only yesterday's story and today's.
    std::thread::sleep(Duration::from_millis(1100)); // listings are told apart by the second
    let second = vec![
        first[6].clone(),
        ("new2".to_string(), "新闻二".to_string(), days_ago(0)),
    ];
    srv.rss("/a.rss", rss_owned(&second));
    assert!(env.huiju(&["fetch"]).ok().line_for(&url).contains("1 new"));

    // A dry run says what would go, and changes nothing.
    let before = (rows(&env), std::fs::read(db(&env)).unwrap().len());
    let run = env.huiju(&["prune", "--dry-run"]).ok();
    assert!(
        run.stdout.contains(&format!("{url}  5 items (")) && run.stdout.contains(" would go, 10 tombstones"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("category jiangsu  5 items ("),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("dry run: nothing changed"), "{}", run.stdout);
    assert_eq!((rows(&env), std::fs::read(db(&env)).unwrap().len()), before);

    let run = env.huiju(&["prune"]).ok();
    assert!(
        run.stdout.contains(&format!("{url}  5 items (")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("total: 5 items (") && run.stdout.contains(") went, leaving 10 tombstones"),
        "{}",
        run.stdout
    );
    // Each leaves two keys behind: its guid and its link.
    let shown = titles(&env);
    for (gone, left) in [
        ("旧闻1", false),
        ("旧闻5", false),
        ("旧闻6", true),
        ("新闻一", true),
        ("新闻二", true),
    ] {
        assert_eq!(shown.contains(gone), left, "{gone}: {shown}");
    }

    // The source lists its old stories again: none is new, none shows.
    std::thread::sleep(Duration::from_millis(1100));
    let mut again = first.clone();
    again.push(second[1].clone());
    srv.rss("/a.rss", rss_owned(&again));
    let run = env.huiju(&["fetch"]).ok();
    assert!(
        run.line_for(&url).ends_with("0 new, 0 updated, 8 unchanged"),
        "{}",
        run.stdout
    );
    assert!(!titles(&env).contains("旧闻1"));
    // Listed now, so the next prune keeps them all.
    assert!(
        env.huiju(&["prune"])
            .ok()
            .stdout
            .contains("total: 0 items (0 kB of text) went")
    );
}

/// A feed taken out of the config keeps its items for `removed_feeds_after`,
/// then loses them; another feed's items stay.
#[test]
fn a_removed_feeds_items_go_after_the_grace_period_and_not_before() {
    let srv = FixtureServer::start();
    srv.rss("/a.rss", rss(&[("a1", "甲一", &days_ago(1))]));
    srv.rss(
        "/b.rss",
        rss(&[("b1", "乙一", &days_ago(1)), ("b2", "乙二", &days_ago(2))]),
    );
    let (a, b) = (srv.url("/a.rss"), srv.url("/b.rss"));
    let both = ConfigText::new()
        .categories(&[("misc", "其他")])
        .feed(&a, &["misc"])
        .feed(&b, &["misc"]);
    let env = Env::with(&both);
    env.huiju(&["fetch"]).ok();
    let only_a = ConfigText::new()
        .categories(&[("misc", "其他")])
        .feed(&a, &["misc"]);
    let grace = |d: &str| only_a.clone().retention("removed_feeds_after", d);

    env.write_config(&grace("30d"));
    let run = env.huiju(&["prune"]).ok();
    assert!(
        run.stdout.contains("total: 0 items (0 kB of text) went"),
        "{}",
        run.stdout
    );
    assert_eq!(rows(&env)[0], ("items".to_string(), 3));

    // The grace period (counted from the removal the prune above saw) ends.
    std::thread::sleep(Duration::from_millis(2100));
    env.write_config(&grace("1s"));
    let run = env.huiju(&["prune"]).ok();
    assert!(
        run.stdout
            .contains(&format!("{b} (removed from the config)  2 items (")),
        "{}",
        run.stdout
    );
    assert_eq!(rows(&env)[0], ("items".to_string(), 1));
    // Put back, the feed shows what it lists again.
    env.write_config(&both);
    let run = env.huiju(&["fetch"]).ok();
    assert!(run.line_for(&b).contains("2 new"), "{}", run.stdout);
}

/// Pages freed by a prune go back to the file system: the file shrinks.
#[test]
fn the_database_file_shrinks_after_a_prune() {
    let srv = FixtureServer::start();
    let body = "本报讯　".repeat(400);
    let items: Vec<(String, String)> = (0..300).map(|i| (format!("p{i}"), format!("稿件{i}"))).collect();
    let mut doc = String::from("<rss version=\"2.0\"><channel><title>t</title>");
    for (g, t) in &items {
        doc.push_str(&format!(
            "<item><guid>http://x.example.cn/{g}</guid><title>{t} {g}</title><pubDate>Mon, 01 Jun 2020 09:00:00 +0800</pubDate><description>{t}{g}{body}</description></item>"
        ));
    }
    doc.push_str("</channel></rss>");
    srv.rss("/big.rss", doc.into_bytes());
    let cfg = ConfigText::new()
        .retention("keep_min", 0)
        .categories(&[("misc", "其他")])
        .feed(&srv.url("/big.rss"), &["misc"]);
    let env = Env::with(&cfg);
    env.huiju(&["fetch"]).ok();
    env.huiju(&["prune"]).ok(); // empties the WAL: the file holds everything
    let full = std::fs::metadata(db(&env)).unwrap().len();
    // The source moves on; its 2020 stories are no longer listed.
    std::thread::sleep(Duration::from_millis(1100));
    srv.rss("/big.rss", rss(&[("s1", "小", &days_ago(1))]));
    env.huiju(&["fetch"]).ok();
    let run = env.huiju(&["prune"]).ok();
    assert!(run.stdout.contains("total: 300 items ("), "{}", run.stdout);
    let after = std::fs::metadata(db(&env)).unwrap().len();
    assert!(after * 2 < full, "{full} bytes before, {after} after");
    assert_eq!(
        std::fs::metadata(db(&env).with_extension("db-wal")).map_or(0, |m| m.len()),
        0
    );
}

/// The daemon prunes on `[retention] schedule` through the same code, logs
/// a summary line, and its feeds stop showing what went.
#[test]
fn the_daemon_prunes_on_its_schedule() {
    use crate::daemon::{config, free_port, start, wait_until};
    let srv = FixtureServer::start();
    srv.rss(
        "/a.rss",
        rss(&[
            ("old1", "旧闻1", "Mon, 01 Jun 2020 09:00:00 +0800"),
            ("old2", "旧闻2", "Tue, 02 Jun 2020 09:00:00 +0800"),
        ]),
    );
    let url = srv.url("/a.rss");
    let port = free_port();
    // Polled by `huiju fetch` below, not by the daemon (no poll in years).
    let cfg = config(port, "0 0 0 1 1 * 2099")
        .retention("keep_min", 0)
        .retention("schedule", "*/2 * * * * *")
        .feed(&url, &["misc"]);
    let env = Env::with(&cfg);
    env.huiju(&["fetch"]).ok();
    std::thread::sleep(Duration::from_millis(1100));
    srv.rss("/a.rss", rss(&[("new1", "新闻一", &days_ago(0))]));
    env.huiju(&["fetch"]).ok();

    let d = start(&env, port);
    assert!(d.feed("/feeds/all.json").body.contains("旧闻1"));
    wait_until(20, "a prune", || d.log().contains("pruned"));
    let log = d.log();
    let line = log.lines().find(|l| l.contains("pruned")).unwrap();
    assert!(line.contains("items=2"), "{log}");
    let body = d.feed("/feeds/all.json").body;
    assert!(!body.contains("旧闻1") && body.contains("新闻一"), "{body}");
    let metrics = d.feed("/metrics").body;
    assert!(metrics.contains("\nhuiju_pruned_items_total 2\n"), "{metrics}");
    assert!(
        !metrics.contains("\nhuiju_last_prune_timestamp_seconds 0\n"),
        "{metrics}"
    );
    // Its duration: a prune of two items, on a debug build, on a busy VM.
    let took: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("huiju_last_prune_duration_seconds ")?.parse().ok())
        .unwrap_or_else(|| panic!("no prune duration in\n{metrics}"));
    assert!(took > 0.0 && took < 10.0, "{took} s\n{metrics}");
    let page = d.feed("/").body;
    assert!(page.contains("上次清理 Last prune"), "{page}");
    assert!(page.contains("，用时 ") && page.contains("清除 2 条"), "{page}");
    assert_eq!(d.terminate(), 0);
}

/// A database made before retention (no auto_vacuum) keeps its size after
/// a prune; `huiju prune --vacuum` rewrites it once, and it shrinks.
#[test]
fn prune_vacuum_shrinks_an_older_database() {
    let srv = FixtureServer::start();
    let body = "本报讯　".repeat(400);
    let items: Vec<(String, String, String)> = (0..200)
        .map(|i| {
            (
                format!("v{i}"),
                format!("稿件{i}{body}"),
                "Mon, 01 Jun 2020 09:00:00 +0800".to_string(),
            )
        })
        .collect();
    let v: Vec<(&str, &str, &str)> = items
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    srv.rss("/big.rss", rss(&v));
    let cfg = ConfigText::new()
        .retention("keep_min", 0)
        .categories(&[("misc", "其他")])
        .feed(&srv.url("/big.rss"), &["misc"]);
    let env = Env::with(&cfg);
    env.huiju(&["fetch"]).ok();
    {
        // As a database made before retention: auto_vacuum off.
        let c = rusqlite::Connection::open(db(&env)).unwrap();
        c.execute_batch("PRAGMA auto_vacuum = NONE; VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
        let mode: i64 = c.query_row("PRAGMA auto_vacuum", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, 0);
    }
    let full = std::fs::metadata(db(&env)).unwrap().len();
    std::thread::sleep(Duration::from_millis(1100));
    srv.rss("/big.rss", rss(&[("s1", "小", &days_ago(1))]));
    env.huiju(&["fetch"]).ok();
    assert!(env.huiju(&["prune"]).ok().stdout.contains("total: 200 items ("));
    let pruned = std::fs::metadata(db(&env)).unwrap().len();
    assert!(
        pruned * 10 > full * 9,
        "freed pages stay in the file: {full} → {pruned}"
    );
    let run = env.huiju(&["prune", "--vacuum"]).ok();
    assert!(run.stdout.contains("vacuum: "), "{}", run.stdout);
    let after = std::fs::metadata(db(&env)).unwrap().len();
    assert!(
        after * 2 < full,
        "{full} bytes before, {after} after:\n{}",
        run.stdout
    );
    let c = rusqlite::Connection::open(db(&env)).unwrap();
    let mode: i64 = c.query_row("PRAGMA auto_vacuum", [], |r| r.get(0)).unwrap();
    assert_eq!(mode, 2, "incremental from now on");
}

/// A prune killed in the middle of a batch loses that batch's work only:
/// the database is consistent, what the first batch removed stays removed,
/// and the next prune finishes the job.
#[test]
fn a_prune_killed_midway_leaves_a_consistent_database() {
    let srv = FixtureServer::start();
    let items: Vec<(String, String)> = (0..700).map(|i| (format!("k{i}"), format!("稿件{i}"))).collect();
    let v: Vec<(&str, &str, &str)> = items
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str(), "Mon, 01 Jun 2020 09:00:00 +0800"))
        .collect();
    srv.rss("/a.rss", rss(&v));
    let cfg = ConfigText::new()
        .dedup("enabled", false)
        .retention("keep_min", 0)
        .categories(&[("misc", "其他")])
        .feed(&srv.url("/a.rss"), &["misc"]);
    let env = Env::with(&cfg);
    env.huiju(&["fetch"]).ok();
    std::thread::sleep(Duration::from_millis(1100));
    srv.rss("/a.rss", rss(&[("new1", "新闻一", &days_ago(0))]));
    env.huiju(&["fetch"]).ok();

    let mut cmd = env.command(&["prune"]);
    cmd.env("HUIJU_FAILPOINT_PRUNE_ABORT", "1");
    let run = crate::support::run(cmd);
    assert_ne!(run.code, 0, "the failpoint ends the process: {run:?}");

    let c = rusqlite::Connection::open(db(&env)).unwrap();
    let ok: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
    let broken = c
        .prepare("PRAGMA foreign_key_check")
        .unwrap()
        .query_map([], |_| Ok(()))
        .unwrap()
        .count();
    assert_eq!(broken, 0);
    drop(c);
    let counts: std::collections::HashMap<String, i64> = rows(&env).into_iter().collect();
    // The failpoint aborts the second batch at its first deletion; how many
    // items the first one took depends on its time budget (`store::prune`).
    let first = 701 - counts["items"];
    assert!(
        (1..700).contains(&first),
        "the first batch went, the second rolled back: {counts:?}"
    );
    assert_eq!(counts["item_feeds"], counts["items"]);
    assert_eq!(counts["tombstones"], first * 2, "two keys per pruned item");

    let run = env.huiju(&["prune"]).ok();
    assert!(
        run.stdout.contains(&format!("total: {} items (", 700 - first)),
        "{}",
        run.stdout
    );
    let shown = titles(&env);
    assert!(shown.contains("新闻一") && !shown.contains("旧稿"), "{shown}");
}

/// `retention` in a `[[category]]` and a `[[feed]]` overrides `[retention]`,
/// the most specific winning: a category that keeps forever, a feed capped
/// at its newest two, and a story carried by a forever feed and a 90-day
/// one stays.
#[test]
fn category_and_feed_retention_override_the_global_one() {
    let srv = FixtureServer::start();
    let old = |prefix: &str, title: &str| -> Vec<(String, String, String)> {
        (1..=3)
            .map(|i| {
                (
                    format!("{prefix}{i}"),
                    format!("{title}{i}"),
                    format!("Mon, 0{i} Jun 2020 09:00:00 +0800"),
                )
            })
            .collect()
    };
    // `shared1` is carried by the 90-day feed and the forever feed.
    let mut a = old("a", "甲稿");
    a.push((
        "shared1".into(),
        "共稿".into(),
        "Mon, 01 Jun 2020 09:00:00 +0800".into(),
    ));
    let b = vec![(
        "shared1".to_string(),
        "共稿".to_string(),
        "Mon, 01 Jun 2020 09:00:00 +0800".to_string(),
    )];
    let c: Vec<(String, String, String)> = (1..=4)
        .map(|i| (format!("c{i}"), format!("丙稿{i}"), days_ago(i)))
        .collect();
    srv.rss("/a.rss", rss_owned(&a));
    srv.rss("/b.rss", rss_owned(&[old("b", "乙稿"), b].concat()));
    srv.rss("/c.rss", rss_owned(&c));
    let (ua, ub, uc) = (srv.url("/a.rss"), srv.url("/b.rss"), srv.url("/c.rss"));
    let forever: toml::Table = toml::from_str("max_age = \"0\"").unwrap();
    let capped: toml::Table = toml::from_str("max_items = 2").unwrap();
    let cfg = ConfigText::new()
        .dedup("enabled", false)
        .retention("max_age", "90d")
        .retention("keep_min", 0)
        .categories(&[("misc", "其他"), ("archive", "档案")])
        .category_key("archive", "retention", forever)
        .feed(&ua, &["misc"])
        .feed(&ub, &["archive"])
        .feed_text(FeedText::new(&uc, &["misc"]).key("retention", capped));
    let env = Env::with(&cfg);
    env.huiju(&["fetch"]).ok();
    // Every source moves on.
    std::thread::sleep(Duration::from_millis(1100));
    for path in ["/a.rss", "/b.rss", "/c.rss"] {
        srv.rss(
            path,
            rss(&[(&format!("{}-today", &path[1..2]), "今日", &days_ago(0))]),
        );
    }
    env.huiju(&["fetch"]).ok();

    let run = env.huiju(&["prune"]).ok();
    let shown = titles(&env);
    // The 90-day feed's 2020 stories go, but not the one the forever feed carries too.
    assert!(
        (1..=3).all(|i| !shown.contains(&format!("甲稿{i}"))),
        "{shown}\n{}",
        run.stdout
    );
    assert!(shown.contains("共稿"), "{shown}");
    // The forever category's feed keeps its 2020 stories.
    assert!((1..=3).all(|i| shown.contains(&format!("乙稿{i}"))), "{shown}");
    // The capped feed keeps its newest two (today's and yesterday's), young as the others are.
    assert!(shown.contains("丙稿1"), "{shown}");
    assert!((2..=4).all(|i| !shown.contains(&format!("丙稿{i}"))), "{shown}");
    assert!(run.stdout.contains(&format!("{uc}  3 items (")), "{}", run.stdout);
    assert!(run.stdout.contains("category misc  6 items ("), "{}", run.stdout);
    assert!(!run.stdout.contains("category archive"), "{}", run.stdout);

    // A mistake in a category's table names it and its line.
    let bad: toml::Table = toml::from_str("max_age = \"3 months\"").unwrap();
    env.write_config(&cfg.clone().category_key("archive", "retention", bad));
    let run = env.huiju(&["check"]);
    assert!(
        run.stderr
            .contains("category 'archive' retention.max_age: bad duration '3 months'"),
        "{run:?}"
    );
}
