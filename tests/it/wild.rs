//! Feeds as they are in the wild, read end to end by `huiju inspect`:
//! escaped markup, relative links and the bases they resolve against.

use std::path::Path;

use crate::support::{FixtureServer, Route, run};

fn testdata(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
        .display()
        .to_string()
}

fn inspect_json(source: &str) -> serde_json::Value {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_huiju"));
    cmd.args(["--config", "/nonexistent/huiju.toml", "inspect", source, "--json"]);
    let out = run(cmd).ok().stdout;
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// Escaped markup inside an attribute stays inside it: the title is the
/// text, not the rest of the tag (`dog" src=…>`).
#[test]
fn escaped_markup_in_an_attribute_stays_in_it() {
    let v = inspect_json(&testdata("escaping/attribute-escaped.xml"));
    let item = &v["items"][0];
    assert_eq!(item["title"], "猫狗同框", "{v}");
    let content = item["content"].as_str().unwrap();
    assert!(content.contains("alt=\"cat&lt;br /&gt;dog\""), "{content}");
    assert!(content.contains("一只猫和一只狗"), "{content}");
    assert!(!content.contains("dog\">"), "{content}");
}

/// Scripts, styles and comments in HTML and XHTML titles are not text.
#[test]
fn code_and_comments_are_not_title_text() {
    let v = inspect_json(&testdata("escaping/script-in-title.xml"));
    assert_eq!(v["title"], "安全 新闻", "{v}");
    assert_eq!(v["items"][0]["title"], "今日 要闻", "{v}");
}

/// Nested `xml:base`: the entry's base is relative to the feed's, the
/// content's is its own; non-ASCII paths are percent-encoded as UTF-8.
#[test]
fn nested_xml_base_resolves_each_url_where_it_is_written() {
    let v = inspect_json(&testdata("links/xml-base.xml"));
    let a = &v["items"][0];
    assert_eq!(a["link"], "https://base.example.cn/news/2026/12/1.html", "{v}");
    assert_eq!(
        a["enclosures"][0]["url"], "https://base.example.cn/news/2026/audio/1.mp3",
        "{v}"
    );
    let content = a["content"].as_str().unwrap();
    assert!(
        content.contains("src=\"https://base.example.cn/img/pic.jpg\""),
        "{content}"
    );
    assert!(
        content.contains("href=\"https://base.example.cn/img/%E6%B1%9F%E8%8B%8F.html\""),
        "{content}"
    );
    assert_eq!(v["items"][1]["link"], "https://base.example.cn/top.html", "{v}");
}

/// Without `xml:base`, relative URLs resolve against the document's
/// Content-Location when the server sends one, else the URL it came from.
#[test]
fn content_location_else_the_fetched_url_is_the_base() {
    let body = std::fs::read(testdata("links/content-location.xml")).unwrap();
    let srv = FixtureServer::start();
    srv.route(
        "/feeds/located.xml",
        Route::Raw(
            body.clone(),
            vec![
                ("content-type", "application/rss+xml"),
                ("content-location", "https://mirror.example.cn/news/feed.xml"),
            ],
        ),
    )
    .route(
        "/feeds/plain.xml",
        Route::Raw(body, vec![("content-type", "application/rss+xml")]),
    );

    let v = inspect_json(&srv.url("/feeds/located.xml"));
    let item = &v["items"][0];
    assert_eq!(item["link"], "https://mirror.example.cn/news/p/1.html", "{v}");
    assert_eq!(
        item["enclosures"][0]["url"], "https://mirror.example.cn/news/media/1.mp3",
        "{v}"
    );
    assert!(
        item["summary"]
            .as_str()
            .unwrap()
            .contains("href=\"https://mirror.example.cn/about/\""),
        "{v}"
    );

    let v = inspect_json(&srv.url("/feeds/plain.xml"));
    let item = &v["items"][0];
    assert_eq!(item["link"], srv.url("/feeds/p/1.html"), "{v}");
    assert_eq!(item["enclosures"][0]["url"], srv.url("/feeds/media/1.mp3"), "{v}");
}
