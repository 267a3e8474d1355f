//! fetch → store → export, as a user runs it.

use std::time::Duration;

use crate::support::{ConfigText, Env, FixtureServer, Route, count, feedparser_entries, fixture};

const CATEGORIES: &[(&str, &str)] = &[
    ("jiangsu", "江苏资讯"),
    ("suzhou", "苏州"),
    ("tiyu", "体育"),
    ("caijing", "财经"),
    ("misc", "其他"),
];

/// The main scenario: seven sources of every kind, one broken, one not a
/// feed, one down.
fn portal() -> (FixtureServer, Env) {
    let srv = FixtureServer::start();
    srv.feed("/xinhua.rss", "xinhua.rss")
        .feed("/suzhou.xml", "suzhou-gb2312.xml")
        .feed("/tiyu.rdf", "tiyu.rdf")
        .feed("/caijing.atom", "caijing.atom")
        .feed("/broken.xml", "broken.xml")
        .feed("/page.html", "page.html")
        .route("/down.xml", Route::Status(500, None));
    let cfg = ConfigText::new()
        .categories(CATEGORIES)
        .feed(&srv.url("/xinhua.rss"), &["jiangsu"])
        .feed(&srv.url("/suzhou.xml"), &["suzhou", "jiangsu"])
        .feed(&srv.url("/tiyu.rdf"), &["tiyu"])
        .feed(&srv.url("/caijing.atom"), &["caijing"])
        .feed(&srv.url("/broken.xml"), &["misc"])
        .feed(&srv.url("/page.html"), &["misc"])
        .feed(&srv.url("/down.xml"), &["misc"]);
    (srv, Env::with(&cfg))
}

#[test]
fn fetch_reports_each_feed_and_survives_broken_ones() {
    let (srv, env) = portal();
    let run = env.huiju(&["fetch"]).ok();
    // The two feeds run concurrently and share one article (under URL
    // variants): whichever stores it first reports it new, the other unchanged.
    let (x, s) = (
        run.line_for(&srv.url("/xinhua.rss")),
        run.line_for(&srv.url("/suzhou.xml")),
    );
    let split = |a: &str, b: &str| x.ends_with(a) && s.ends_with(b);
    assert!(
        split(
            "  2 new, 0 updated, 0 unchanged",
            "  2 new, 0 updated, 1 unchanged"
        ) || split(
            "  1 new, 0 updated, 1 unchanged",
            "  3 new, 0 updated, 0 unchanged"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.line_for(&srv.url("/tiyu.rdf"))
            .ends_with("2 new, 0 updated, 0 unchanged")
    );
    assert!(run.line_for(&srv.url("/caijing.atom")).contains("3 new"));
    // Broken XML: what could be read is stored, with warnings.
    assert!(
        run.line_for(&srv.url("/broken.xml"))
            .contains("2 new, 0 updated, 0 unchanged (3 warnings"),
        "{}",
        run.stdout
    );
    assert!(
        run.line_for(&srv.url("/page.html"))
            .contains("error: not a feed: the root element is <html>"),
        "{}",
        run.stdout
    );
    assert!(
        run.line_for(&srv.url("/down.xml"))
            .contains("error: HTTP 500 Internal Server Error")
    );
    assert!(
        run.stdout.contains(
            "total: 7 feeds; 11 new, 0 updated, 1 unchanged items; 0 not modified, 0 waiting, 2 failed"
        ),
        "{}",
        run.stdout
    );
    // Warnings name their feed.
    assert!(
        run.stderr
            .contains(&format!("refresh{{feed={}}}", srv.url("/broken.xml"))),
        "{}",
        run.stderr
    );
    // The User-Agent names huiju and its version.
    let ua = srv.requests("/xinhua.rss")[0].user_agent.clone().unwrap();
    assert!(
        ua.starts_with(&format!("huiju/{}", env!("CARGO_PKG_VERSION"))),
        "{ua}"
    );
}

#[test]
fn export_merges_dedups_and_orders_a_category() {
    let (srv, env) = portal();
    // 新华日报 first, so that it is the article's source, then everything.
    let full = std::fs::read_to_string(env.config()).unwrap();
    env.write_config(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed(&srv.url("/xinhua.rss"), &["jiangsu"]),
    );
    env.huiju(&["fetch"]).ok();
    env.write_config(&full);
    let run = env.huiju(&["fetch"]).ok();
    assert!(
        run.line_for(&srv.url("/suzhou.xml"))
            .ends_with("  2 new, 0 updated, 1 unchanged"),
        "{}",
        run.stdout
    );
    let rss = env.huiju(&["export", "jiangsu"]).ok().stdout;
    // The same article from two feeds under URL variants: shown once.
    assert_eq!(
        count(&rss, "<title>汇聚磅礴“工力量” 书写劳动新荣光</title>"),
        1,
        "{rss}"
    );
    // GB2312 text arrives as UTF-8, and its `2023年04月15日 11:30` date is China time.
    assert!(rss.contains("<title>苏州地铁S1线全线电通</title>"));
    assert!(
        rss.contains("<pubDate>Sat, 15 Apr 2023 11:30:00 +0800</pubDate>"),
        "{rss}"
    );
    // `CST` is China Standard Time, not US Central.
    assert!(
        rss.contains("<pubDate>Fri, 14 Apr 2023 09:00:00 +0800</pubDate>"),
        "{rss}"
    );
    assert!(rss.contains("<title>江苏资讯</title>"));
    // Newest first: 11:30 S1, 10:09 article, 14 Apr 09:30 平江路, 14 Apr 09:00 运河.
    let order: Vec<usize> = ["苏州地铁S1线", "汇聚磅礴", "平江路启动", "大运河江苏段"]
        .iter()
        .map(|t| rss.find(t).unwrap_or_else(|| panic!("{t} missing")))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    // The article keeps the source's guid and names its source feed.
    assert!(
        rss.contains(">https://www.xhby.net/a/1.html?utm_source=rss&amp;utm_medium=feed</guid>"),
        "{rss}"
    );
    assert!(
        rss.contains(&format!(
            "<source url=\"{}\">新华日报·江苏</source>",
            srv.url("/xinhua.rss")
        )),
        "{rss}"
    );
    assert!(rss.contains("<dc:creator>吉强</dc:creator>"));
    assert_eq!(feedparser_entries(&rss), 4);

    // An item whose feeds are in two categories appears once in each.
    let suzhou = env.huiju(&["export", "suzhou"]).ok().stdout;
    assert_eq!(count(&suzhou, "汇聚磅礴“工力量”"), 1);
    assert_eq!(count(&suzhou, "<item>"), 3);
    assert!(!suzhou.contains("大运河"));

    // `all`: every item once.
    let all = env.huiju(&["export", "all", "--format", "atom"]).ok().stdout;
    assert_eq!(count(&all, "<entry>"), 11, "{all}");
    assert_eq!(feedparser_entries(&all), 11);
    assert!(
        all.contains("<published>2023-04-15T19:30:00+08:00</published>"),
        "RDF dc:date kept"
    );
    let limited = env.huiju(&["export", "all", "--limit", "3"]).ok().stdout;
    assert_eq!(count(&limited, "<item>"), 3);
}

#[test]
fn exports_validate_even_with_hostile_text() {
    let srv = FixtureServer::start();
    srv.feed("/control.xml", "control.xml")
        .feed("/broken.xml", "broken.xml");
    let env = Env::with(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed(&srv.url("/control.xml"), &["misc"])
            .feed(&srv.url("/broken.xml"), &["misc"]),
    );
    env.huiju(&["fetch"]).ok();
    for format in ["rss", "atom"] {
        let doc = env.huiju(&["export", "misc", "--format", format]).ok().stdout;
        assert!(doc.contains("车展开幕"), "control characters removed: {doc}");
        assert!(doc.contains("房价 小幅上涨—新盘入市"), "entities read: {doc}");
        assert_eq!(feedparser_entries(&doc), 3);
    }
}

#[test]
fn unknown_category_is_an_error() {
    let (_srv, env) = portal();
    let run = env.huiju(&["export", "sport"]);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr
            .contains("unknown category 'sport' (known: all, jiangsu, suzhou, tiyu, caijing, misc)"),
        "{}",
        run.stderr
    );
}

#[test]
fn etag_source_polled_twice_gets_a_304() {
    let srv = FixtureServer::start();
    srv.route(
        "/etag.rss",
        Route::Body {
            bytes: fixture("xinhua.rss"),
            content_type: "application/rss+xml; charset=utf-8",
            etag: Some("\"v1\""),
        },
    );
    let env = Env::with(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed(&srv.url("/etag.rss"), &["jiangsu"]),
    );
    env.huiju(&["fetch"]).ok();
    let before = env.huiju(&["export", "jiangsu"]).ok().stdout;
    let second = env.huiju(&["fetch"]).ok();
    assert!(
        second.line_for(&srv.url("/etag.rss")).ends_with("not modified"),
        "{}",
        second.stdout
    );
    let seen = srv.requests("/etag.rss");
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].if_none_match, None);
    assert_eq!(seen[1].if_none_match.as_deref(), Some("\"v1\""));
    assert_eq!(
        env.huiju(&["export", "jiangsu"]).ok().stdout,
        before,
        "a 304 changes nothing"
    );
}

#[test]
fn an_item_changed_at_its_source_is_updated_in_place() {
    let srv = FixtureServer::start();
    srv.feed("/x.rss", "xinhua.rss");
    let env = Env::with(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed(&srv.url("/x.rss"), &["jiangsu"]),
    );
    env.huiju(&["fetch"]).ok();
    let v2 = String::from_utf8(fixture("xinhua.rss")).unwrap().replace(
        "大运河江苏段文旅项目集中开工",
        "大运河江苏段文旅项目集中开工(更正)",
    );
    srv.route(
        "/x.rss",
        Route::Body {
            bytes: v2.into_bytes(),
            content_type: "application/xml",
            etag: None,
        },
    );
    let run = env.huiju(&["fetch"]).ok();
    assert!(
        run.line_for(&srv.url("/x.rss"))
            .ends_with("0 new, 1 updated, 1 unchanged"),
        "{}",
        run.stdout
    );
    let atom = env.huiju(&["export", "jiangsu", "--format", "atom"]).ok().stdout;
    assert_eq!(count(&atom, "<entry>"), 2);
    assert!(atom.contains("集中开工(更正)</title>"));
    assert!(!atom.contains("集中开工</title>"));
    assert_eq!(
        count(&atom, "<id>https://www.xhby.net/a/2.html</id>"),
        1,
        "same id after the update"
    );
}

#[test]
fn retry_after_is_honoured_by_later_runs() {
    let srv = FixtureServer::start();
    srv.route("/busy.rss", Route::Status(429, Some("3600")));
    srv.feed("/ok.rss", "xinhua.rss");
    let env = Env::with(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed(&srv.url("/busy.rss"), &["misc"])
            .feed(&srv.url("/ok.rss"), &["jiangsu"]),
    );
    let first = env.huiju(&["fetch"]).ok();
    assert!(
        first
            .line_for(&srv.url("/busy.rss"))
            .contains("error: HTTP 429 Too Many Requests")
    );
    let second = env.huiju(&["fetch"]).ok();
    assert!(
        second
            .line_for(&srv.url("/busy.rss"))
            .contains("waiting: the source asked not to be polled before"),
        "{}",
        second.stdout
    );
    assert_eq!(
        srv.requests("/busy.rss").len(),
        1,
        "not asked again before Retry-After"
    );
    assert_eq!(
        srv.requests("/ok.rss").len(),
        2,
        "other feeds are polled as usual"
    );
}

#[test]
fn slow_huge_and_looping_sources_fail_alone() {
    let srv = FixtureServer::start();
    srv.route("/hang.rss", Route::Hang(Duration::from_secs(60)))
        .route(
            "/huge.rss",
            Route::Body {
                bytes: vec![b' '; 5 * 1024 * 1024],
                content_type: "application/xml",
                etag: None,
            },
        )
        .route("/loop.rss", Route::RedirectLoop)
        .feed("/ok.rss", "xinhua.rss");
    let env = Env::with(
        &ConfigText::new()
            .fetch("timeout", 2)
            .fetch("max_body", "1 MiB")
            .categories(CATEGORIES)
            .feed(&srv.url("/hang.rss"), &["misc"])
            .feed(&srv.url("/huge.rss"), &["misc"])
            .feed(&srv.url("/loop.rss"), &["misc"])
            .feed(&srv.url("/ok.rss"), &["jiangsu"]),
    );
    let run = env.huiju(&["fetch"]).ok();
    assert!(
        run.line_for(&srv.url("/hang.rss"))
            .contains("error: timed out after 2 s"),
        "{}",
        run.stdout
    );
    assert!(
        run.line_for(&srv.url("/huge.rss"))
            .contains("error: body larger than max_body (1048576 bytes)"),
        "{}",
        run.stdout
    );
    assert!(
        run.line_for(&srv.url("/loop.rss")).contains("too many redirects"),
        "{}",
        run.stdout
    );
    assert!(
        run.line_for(&srv.url("/ok.rss"))
            .ends_with("2 new, 0 updated, 0 unchanged")
    );
    // At most 5 redirects were followed: 1 request + 5 redirects.
    assert_eq!(srv.requests("/loop.rss").len(), 6);
}

#[test]
fn an_undated_item_keeps_its_first_seen_time() {
    let srv = FixtureServer::start();
    srv.feed("/undated.xml", "undated.xml");
    let env = Env::with(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed(&srv.url("/undated.xml"), &["misc"]),
    );
    env.huiju(&["fetch"]).ok();
    let first = env.huiju(&["export", "misc"]).ok().stdout;
    let date = |doc: &str| {
        doc.split("<pubDate>")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_string()
    };
    assert!(
        date(&first).ends_with("+0800"),
        "first-seen time in the configured zone: {first}"
    );
    std::thread::sleep(Duration::from_millis(1100));
    env.huiju(&["fetch"]).ok();
    let second = env.huiju(&["export", "misc"]).ok().stdout;
    assert_eq!(date(&first), date(&second));
}

#[test]
fn an_unusable_database_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "x").unwrap();
    let env = Env::with(
        &ConfigText::new()
            .database(blocker.join("huiju.db").display())
            .categories(CATEGORIES)
            .feed("https://example.invalid/x.rss", &["misc"]),
    );
    let run = env.huiju(&["fetch"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("database") && run.stderr.contains("not-a-dir"),
        "{}",
        run.stderr
    );
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

#[test]
fn gzip_bodies_are_decoded_and_bombs_are_cut() {
    let srv = FixtureServer::start();
    srv.route(
        "/gz.rss",
        Route::Raw(
            gzip(&fixture("xinhua.rss")),
            vec![
                ("content-type", "application/rss+xml"),
                ("content-encoding", "gzip"),
            ],
        ),
    );
    // 5 MiB of spaces compress to a few KiB: the cap counts decompressed bytes.
    srv.route(
        "/bomb.rss",
        Route::Raw(
            gzip(&vec![b' '; 5 * 1024 * 1024]),
            vec![("content-type", "application/xml"), ("content-encoding", "gzip")],
        ),
    );
    let env = Env::with(
        &ConfigText::new()
            .fetch("max_body", "1 MiB")
            .categories(CATEGORIES)
            .feed(&srv.url("/gz.rss"), &["jiangsu"])
            .feed(&srv.url("/bomb.rss"), &["misc"]),
    );
    let run = env.huiju(&["fetch"]).ok();
    assert!(
        run.line_for(&srv.url("/gz.rss"))
            .ends_with("2 new, 0 updated, 0 unchanged"),
        "{}",
        run.stdout
    );
    assert!(
        run.line_for(&srv.url("/bomb.rss"))
            .contains("body larger than max_body"),
        "{}",
        run.stdout
    );
}

#[test]
fn http_charset_beats_a_wrong_declaration() {
    // A Big5 body whose XML declaration claims UTF-8, served with the right
    // charset in Content-Type, as misconfigured CMSs do. Read by the
    // declaration (or the GB18030 fallback) the title would be garbage.
    let doc = "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>港台旅遊</title>\
               <item><title>蘇州園林一日遊</title><link>https://travel.example.hk/1.html</link></item></channel></rss>";
    let (big5, _, unmappable) = encoding_rs::BIG5.encode(doc);
    assert!(!unmappable);
    let srv = FixtureServer::start();
    srv.route(
        "/big5.rss",
        Route::Raw(
            big5.into_owned(),
            vec![("content-type", "text/xml; charset=Big5")],
        ),
    );
    let env = Env::with(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed(&srv.url("/big5.rss"), &["misc"]),
    );
    env.huiju(&["fetch"]).ok();
    let rss = env.huiju(&["export", "misc"]).ok().stdout;
    assert!(rss.contains("<title>蘇州園林一日遊</title>"), "{rss}");
    assert!(rss.contains(">港台旅遊</source>"), "{rss}");
}

#[test]
fn a_dead_network_does_not_count_against_feeds() {
    // Three loopback hosts with nothing listening: every connection is refused,
    // as when the machine's network is down.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let urls: Vec<String> = (2..=4)
        .map(|h| format!("http://127.0.0.{h}:{port}/feed.rss"))
        .collect();
    let cfg = urls
        .iter()
        .fold(ConfigText::new().categories(CATEGORIES), |cfg, u| {
            cfg.feed(u, &["misc"])
        });
    let env = Env::with(&cfg);
    let run = env.huiju(&["fetch"]).ok();
    for u in &urls {
        assert!(
            run.line_for(u).contains("error: cannot connect"),
            "{}",
            run.stdout
        );
    }
    assert_eq!(
        count(
            &run.stdout,
            "the network seems down; not counted against the feed"
        ),
        1,
        "{}",
        run.stdout
    );
}

#[test]
fn a_host_with_many_feeds_holds_no_other_host_back() {
    // One host with ten feeds (an RSSHub instance, say), listed first, and
    // another host's feed last. With one request slot, polls of the busy
    // host are a quarter second apart; the other host must not wait for
    // all ten of them.
    let busy = FixtureServer::start();
    let other = FixtureServer::start_on("127.0.0.2");
    other.feed("/other.rss", "xinhua.rss");
    let mut cfg = ConfigText::new()
        .fetch("concurrency", 1)
        .fetch("per_host", 2)
        .categories(CATEGORIES);
    for i in 0..10 {
        let path = format!("/busy{i}.rss");
        busy.feed(&path, "xinhua.rss");
        cfg = cfg.feed(&busy.url(&path), &["jiangsu"]);
    }
    cfg = cfg.feed(&other.url("/other.rss"), &["misc"]);
    let env = Env::with(&cfg);
    let run = env.huiju(&["fetch"]).ok();
    assert_eq!(
        count(&run.stdout, "unchanged\n"),
        11,
        "every feed is read:\n{}",
        run.stdout
    );

    let mut busy_times: Vec<_> = (0..10)
        .flat_map(|i| busy.requests(&format!("/busy{i}.rss")))
        .map(|s| s.at)
        .collect();
    busy_times.sort();
    let other_at = other.requests("/other.rss")[0].at;
    assert!(
        other_at < busy_times[4],
        "the other host was asked only after {} of the busy host's feeds",
        busy_times.iter().filter(|t| **t < other_at).count()
    );
}

/// An RSS feed of one item with this guid (not a permalink) and link.
fn one_item_feed(guid: &str, link: &str) -> Route {
    let doc = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>源</title><link>{link}</link>
<item><title>大运河江苏段一批文旅融合项目集中开工</title><link>{link}</link>
<guid isPermaLink="false">{guid}</guid><description>项目总投资超百亿元。</description></item>
</channel></rss>"#
    );
    Route::Body {
        bytes: doc.into_bytes(),
        content_type: "application/rss+xml",
        etag: None,
    }
}

/// `explain` finds an item by the guid any of its sources gave it: the
/// identity keys it looks up are the ones the store writes, also for the
/// second source of one article (whose guid is not the item's own).
#[test]
fn explain_finds_an_item_by_any_sources_guid() {
    let first = FixtureServer::start();
    let second = FixtureServer::start_on("127.0.0.2");
    let link = "https://www.xhby.example.cn/news/2023/0417/1.html";
    first.route("/a.rss", one_item_feed("xhby-2023-0417-1", link));
    second.route("/b.rss", one_item_feed("szdushi-88231", link));
    let env = Env::with(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed(&first.url("/a.rss"), &["jiangsu"])
            .feed(&second.url("/b.rss"), &["suzhou"]),
    );
    env.huiju(&["fetch"]).ok();
    for given in ["xhby-2023-0417-1", "szdushi-88231", link] {
        let out = env.huiju(&["explain", given]).ok().stdout;
        assert!(
            out.contains("item:      大运河江苏段一批文旅融合项目集中开工"),
            "{given}: {out}"
        );
    }
    let run = env.huiju(&["explain", "no-such-guid"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no-such-guid"), "{}", run.stderr);
}
