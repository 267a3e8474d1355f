//! Search: terms of two, three and four Chinese characters, Traditional
//! queries for Simplified text, AND and `-term`, on every feed (`?q=`), on
//! an HTML page (`/search`) and as a feed of its own that changes when a
//! new item matches.

use crate::daemon::{free_port, get, start, wait_until};
use crate::support::{ConfigText, Env, FixtureServer, feedparser_entries};

fn rss(items: &[(&str, &str, &str)]) -> Vec<u8> {
    let mut doc = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>源</title>\n",
    );
    let date = chrono::Utc::now().to_rfc2822();
    for (guid, title, text) in items {
        doc.push_str(&format!(
            "<item><guid>http://news.example.cn/{guid}</guid><title>{title}</title>\
             <link>http://news.example.cn/{guid}.html</link><pubDate>{date}</pubDate>\
             <description>{text}</description></item>\n"
        ));
    }
    doc.push_str("</channel></rss>\n");
    doc.into_bytes()
}

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
    srv.rss("/a.rss", rss(STORIES));
    let port = free_port();
    let cfg = ConfigText::new()
        .server("listen", format!("127.0.0.1:{port}"))
        .server("base_url", format!("http://127.0.0.1:{port}"))
        .fetch("schedule", "0 0 3 * * *")
        .categories(&[("jiangsu", "江苏资讯")])
        .feed(&srv.url("/a.rss"), &["jiangsu"]);
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
    srv.rss("/a.rss", rss(&STORIES[..2]));
    let port = free_port();
    let cfg = ConfigText::new()
        .server("listen", format!("127.0.0.1:{port}"))
        .server("base_url", format!("http://127.0.0.1:{port}"))
        .fetch("schedule", "*/2 * * * * *")
        .categories(&[("jiangsu", "江苏资讯")])
        .feed(&srv.url("/a.rss"), &["jiangsu"]);
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
    srv.rss("/a.rss", rss(&STORIES[..3]));
    wait_until(20, "the new match", || {
        let r = get(port, &path, &[("If-None-Match", &etag)]).unwrap();
        r.status == 200 && r.body.contains("张家港港口吞吐量创新高")
    });
    assert_eq!(d.terminate(), 0);
}
