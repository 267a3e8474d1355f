//! Search: terms of two, three and four Chinese characters, Traditional
//! queries for Simplified text, AND and `-term`, on every feed (`?q=`), on
//! an HTML page (`/search`) and as a feed of its own that changes when a
//! new item matches.

use crate::daemon::{free_port, get, start, wait_until};
use crate::support::{ConfigText, Env, FixtureServer, feedparser_entries, rss_today};

const STORIES: &[(&str, &str, &str)] = &[
    (
        "a",
        "市总工会开展劳模进校园活动",
        "本报讯 苏州市总工会昨日组织劳动模范走进校园。",
    ),
    (
        "b",
        "南京发布养老服务新政",
        "本报讯 南京市民政局发布养老服务补贴办法。",
    ),
    (
        "c",
        "张家港港口吞吐量创新高",
        "本报讯 张家港港今年吞吐量再创新高，苏州港口群协同发展。",
    ),
    ("d", "【推广】苏州楼盘认筹", "广告：苏州工业园区新盘。"),
];

/// A daemon on `port` polling `srv`'s `/a.rss` on `schedule`, in 江苏资讯.
fn portal(port: u16, schedule: &str, srv: &FixtureServer) -> ConfigText {
    ConfigText::new()
        .server("listen", format!("127.0.0.1:{port}"))
        .server("base_url", format!("http://127.0.0.1:{port}"))
        .fetch("schedule", schedule)
        .categories(&[("jiangsu", "江苏资讯")])
        .feed(&srv.url("/a.rss"), &["jiangsu"])
}

fn enc(q: &str) -> String {
    url::form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

/// The titles in a JSON Feed document, in order.
fn titles(doc: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(doc).unwrap_or_else(|e| panic!("{e}: {doc}"));
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn search_finds_short_chinese_terms_folded_with_and_and_exclusion() {
    let srv = FixtureServer::start();
    srv.rss("/a.rss", rss_today(STORIES));
    let port = free_port();
    let cfg = portal(port, "0 0 3 * * *", &srv);
    let env = Env::with(&cfg);
    let d = start(&env, port);
    wait_until(20, "the first poll", || {
        d.feed("/feeds/all.json").body.contains("张家港港口")
    });
    let search = |q: &str| titles(&d.feed(&format!("/feeds/jiangsu.json?q={}", enc(q))).body);
    // The indexer follows the writer by a moment.
    wait_until(20, "the index", || search("张家港").len() == 1);
    // Two characters, in a title and in text only.
    assert_eq!(search("工会"), ["市总工会开展劳模进校园活动"]);
    assert_eq!(search("苏州").len(), 3, "{:?}", search("苏州"));
    // Three and four characters, across a title's start and in the middle of text.
    assert_eq!(search("张家港"), ["张家港港口吞吐量创新高"]);
    assert_eq!(search("养老服务"), ["南京发布养老服务新政"]);
    // Not a substring: the pairs must follow each other.
    assert!(search("苏南").is_empty());
    // Traditional and full-width queries find Simplified text.
    assert_eq!(search("蘇州 工會"), ["市总工会开展劳模进校园活动"]);
    // AND of terms, and exclusion.
    assert_eq!(search("苏州 港口"), ["张家港港口吞吐量创新高"]);
    let mut not_ads = search("苏州 -广告");
    not_ads.sort();
    assert_eq!(not_ads, ["市总工会开展劳模进校园活动", "张家港港口吞吐量创新高"]);
    assert_eq!(search("-苏州"), ["南京发布养老服务新政"]);
    assert!(search("，").is_empty());

    // The HTML page: results, and the same search as feeds.
    let page = d.feed(&format!("/search?q={}", enc("苏州 -广告"))).body;
    assert!(
        page.contains("市总工会开展劳模进校园活动") && !page.contains("【推广】"),
        "{page}"
    );
    assert!(
        page.contains(&format!("/search.rss?q={}", enc("苏州 -广告"))),
        "{page}"
    );
    assert!(page.contains("<form action=\"/search\""), "{page}");
    assert_eq!(d.feed("/search").status, 200, "an empty form");
    assert!(
        d.feed("/").body.contains("<form action=\"/search\""),
        "the status page links it"
    );
    assert_eq!(d.feed("/search.rss").status, 400);
    assert_eq!(d.terminate(), 0);
}

/// A saved search is a subscription: 304 while nothing new matches, then
/// the new item; its documents read cleanly.
#[test]
fn a_search_feed_changes_when_a_new_item_matches() {
    let srv = FixtureServer::start();
    srv.rss("/a.rss", rss_today(&STORIES[..2]));
    let port = free_port();
    let cfg = portal(port, "*/2 * * * * *", &srv);
    let env = Env::with(&cfg);
    let d = start(&env, port);
    wait_until(20, "the first poll", || {
        d.feed("/feeds/all.json").body.contains("南京发布")
    });
    let path = format!("/search.rss?q={}", enc("苏州"));
    wait_until(20, "the index", || {
        get(port, &path, &[]).unwrap().body.contains("市总工会")
    });
    let first = get(port, &path, &[]).unwrap();
    assert_eq!(first.status, 200);
    assert_eq!(feedparser_entries(&first.body), 1);
    assert!(
        first
            .body
            .contains(&format!("http://127.0.0.1:{port}/search.rss?q={}", enc("苏州")))
    );
    for f in ["atom", "json"] {
        let doc = d.feed(&format!("/search.{f}?q={}", enc("苏州"))).body;
        assert!(doc.contains("市总工会"), "{doc}");
    }
    let etag = first.header("etag").unwrap().to_string();
    let again = get(port, &path, &[("If-None-Match", &etag)]).unwrap();
    assert_eq!(again.status, 304);

    // The source adds a story about 苏州.
    srv.rss("/a.rss", rss_today(&STORIES[..3]));
    wait_until(20, "the new match", || {
        let r = get(port, &path, &[("If-None-Match", &etag)]).unwrap();
        r.status == 200 && r.body.contains("张家港港口吞吐量创新高")
    });
    assert_eq!(d.terminate(), 0);
}

/// RSSHub's query parameters: regex filters on title, text and author
/// (folded, as rules are), a time window, `brief`, and a 400 naming a bad
/// regex; each combination is its own document with its own ETag.
#[test]
fn feeds_take_rsshubs_filter_parameters() {
    let srv = FixtureServer::start();
    let mut doc = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>源</title>\n",
    );
    let now = chrono::Utc::now();
    for (guid, title, text, author, days) in [
        (
            "a",
            "市总工会开展劳模进校园活动",
            "本报讯 苏州市总工会昨日组织劳动模范走进校园。",
            "张三",
            0,
        ),
        (
            "b",
            "南京发布养老服务新政",
            "本报讯 南京市民政局发布养老服务补贴办法。",
            "李四",
            0,
        ),
        ("c", "【推广】苏州楼盘认筹", "广告：苏州工业园区新盘。", "王五", 3),
    ] {
        doc.push_str(&format!(
            "<item><guid>http://news.example.cn/{guid}</guid><title>{title}</title>\
             <link>http://news.example.cn/{guid}.html</link><author>{author}</author>\
             <pubDate>{}</pubDate><description>{text}</description></item>\n",
            (now - chrono::Duration::days(days)).to_rfc2822()
        ));
    }
    doc.push_str("</channel></rss>\n");
    srv.rss("/a.rss", doc.into_bytes());
    let port = free_port();
    let cfg = portal(port, "0 0 3 * * *", &srv);
    let env = Env::with(&cfg);
    let d = start(&env, port);
    wait_until(20, "the first poll", || {
        d.feed("/feeds/all.json").body.contains("南京发布")
    });
    let get_titles = |params: &str| titles(&d.feed(&format!("/feeds/jiangsu.json?{params}")).body);
    assert_eq!(
        get_titles(&format!("filter={}", enc("蘇州"))).len(),
        2,
        "folded, title or text"
    );
    assert_eq!(
        get_titles(&format!("filter_title={}", enc("^【(广告|推广)】"))),
        ["【推广】苏州楼盘认筹"]
    );
    let mut kept = get_titles(&format!("filterout_title={}", enc("推广")));
    kept.sort();
    assert_eq!(kept, ["南京发布养老服务新政", "市总工会开展劳模进校园活动"]);
    assert_eq!(
        get_titles(&format!("filter_author={}", enc("李"))),
        ["南京发布养老服务新政"]
    );
    assert_eq!(
        get_titles(&format!("filter_description={}", enc("补贴"))),
        ["南京发布养老服务新政"]
    );
    assert_eq!(
        get_titles(&format!("filterout_description={}", enc("苏州"))),
        ["南京发布养老服务新政"]
    );
    assert_eq!(
        get_titles("filter_time=86400").len(),
        2,
        "the 3-day-old item is out"
    );
    assert_eq!(get_titles("filter_time=86400&limit=1").len(), 1);
    let brief: serde_json::Value = serde_json::from_str(
        &d.feed(&format!("/feeds/jiangsu.json?brief=6&filter={}", enc("南京")))
            .body,
    )
    .unwrap();
    let item = &brief["items"][0];
    assert_eq!(item["title"], "南京发布养老服务新政");
    let text = item["content_html"]
        .as_str()
        .or(item["summary"].as_str())
        .unwrap_or_default()
        .to_string();
    assert!(
        text.starts_with("本报讯 南京") && text.chars().count() <= 8,
        "{item}"
    );
    // Each combination has its own validators; the plain document keeps its own.
    let plain = get(port, "/feeds/jiangsu.rss", &[]).unwrap();
    let filtered = get(port, &format!("/feeds/jiangsu.rss?filter={}", enc("南京")), &[]).unwrap();
    assert_ne!(plain.header("etag"), filtered.header("etag"));
    let again = get(
        port,
        &format!("/feeds/jiangsu.rss?filter={}", enc("南京")),
        &[("If-None-Match", filtered.header("etag").unwrap())],
    )
    .unwrap();
    assert_eq!(again.status, 304);
    // A bad regex is a 400 naming the parameter.
    let bad = get(
        port,
        &format!("/feeds/jiangsu.rss?filter_title={}", enc("(推广")),
        &[],
    )
    .unwrap();
    assert_eq!(bad.status, 400);
    assert!(bad.body.starts_with("filter_title: "), "{}", bad.body);
    assert_eq!(get(port, "/feeds/jiangsu.rss?brief=x", &[]).unwrap().status, 400);
    assert_eq!(d.terminate(), 0);
}

/// The index is derived data: deleted, a daemon that stores nothing new
/// builds it again from the stored items at start.
#[test]
fn a_deleted_index_is_built_again_at_start() {
    let srv = FixtureServer::start();
    srv.rss("/a.rss", rss_today(STORIES));
    let port = free_port();
    let cfg = portal(port, "0 0 0 1 1 * 2099", &srv);
    let env = Env::with(&cfg);
    let run = env.huiju(&["fetch"]).ok();
    // `fetch` indexes what it stored before it ends, and says so apart
    // from the time it took to store it.
    let indexed = format!("; {} items indexed for search in ", STORIES.len());
    assert!(
        run.stdout.contains("fetched and stored in ") && run.stdout.contains(&indexed),
        "{}",
        run.stdout
    );
    // With the CPU time and peak memory storing took: some, and the
    // process's own size, not a page count.
    let usage = run.stdout.split(" s (").nth(1).and_then(|r| r.split(')').next());
    let (cpu, peak) = usage
        .and_then(|u| u.split_once(" s of CPU, "))
        .and_then(|(c, m)| {
            Some((
                c.parse::<f64>().ok()?,
                m.strip_suffix(" MB peak memory")?.parse::<f64>().ok()?,
            ))
        })
        .unwrap_or_else(|| panic!("no CPU time and peak memory: {}", run.stdout));
    assert!(cpu > 0.0 && cpu < 60.0, "{cpu}");
    assert!(peak > 2.0 && peak < 1024.0, "{peak}");
    let index = env.config().with_file_name("huiju.search.db");
    assert!(index.exists());
    for suffix in ["", "-wal", "-shm"] {
        let mut p = index.clone().into_os_string();
        p.push(suffix);
        std::fs::remove_file(p).ok();
    }
    // The source fails from now on: the daemon stores nothing.
    srv.route("/a.rss", crate::support::Route::Status(500, None));
    let d = start(&env, port);
    let path = format!("/search.json?q={}", enc("张家港"));
    wait_until(20, "the index built again", || {
        titles(&d.feed(&path).body) == ["张家港港口吞吐量创新高"]
    });
    assert_eq!(d.terminate(), 0);
}
