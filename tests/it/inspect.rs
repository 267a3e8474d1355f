//! `huiju inspect`: what huiju reads from one feed, for people and scripts.

use std::path::Path;

use crate::support::{FixtureServer, run};

fn fixture_path(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn inspect(args: &[&str]) -> crate::support::Run {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_huiju"));
    // A config that does not exist: inspect must work without one.
    cmd.args(["--config", "/nonexistent/huiju.toml", "inspect"])
        .args(args);
    run(cmd)
}

#[test]
fn json_describes_a_gb2312_feed() {
    let out = inspect(&[&fixture_path("suzhou-gb2312.xml"), "--json"])
        .ok()
        .stdout;
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["format"], "RSS 2.0");
    assert_eq!(v["encoding"], "gb18030");
    assert!(v["encoding_reason"].as_str().unwrap().contains("gb2312"));
    assert_eq!(v["title"], "苏州都市网 苏州");
    assert_eq!(v["link"], "http://www.szdushi.com.cn/");
    assert_eq!(v["warnings"].as_array().unwrap().len(), 0);
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["id"], "url:www.xhby.net/a/1.html");
    assert_eq!(items[0]["published"], "2023-04-15T10:09:00+08:00");
    assert_eq!(items[1]["published"], "2023-04-15T11:30:00+08:00");
    assert_eq!(items[2]["published"], "2023-04-14T09:30:00+08:00");
    assert_eq!(items[1]["title"], "苏州地铁S1线全线电通");
    for key in ["link", "author", "categories", "summary", "content"] {
        assert!(items[0].get(key).is_some(), "{key} present");
    }
}

#[test]
fn text_output_shows_repairs_and_undated_items() {
    let out = inspect(&[&fixture_path("broken.xml")]).ok().stdout;
    assert!(out.contains("format:    RSS 2.0"), "{out}");
    assert!(out.contains("1 bare '&' read as text"), "{out}");
    assert!(out.contains("&nbsp;"), "{out}");
    assert!(out.contains("truncated"), "{out}");
    assert!(
        out.contains("published:  - (none: first-seen time will be used)"),
        "{out}"
    );
}

#[test]
fn timezone_and_encoding_can_be_overridden() {
    let out = inspect(&[
        &fixture_path("suzhou-gb2312.xml"),
        "--json",
        "--timezone",
        "Asia/Tokyo",
    ])
    .ok()
    .stdout;
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["items"][0]["published"], "2023-04-15T10:09:00+09:00");
    let out = inspect(&[&fixture_path("suzhou-gb2312.xml"), "--json", "--encoding", "big5"])
        .ok()
        .stdout;
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["encoding"], "Big5");
}

#[test]
fn over_http_and_for_a_non_feed() {
    let srv = FixtureServer::start();
    srv.feed("/tiyu.rdf", "tiyu.rdf").feed("/page.html", "page.html");
    let out = inspect(&[&srv.url("/tiyu.rdf")]).ok().stdout;
    assert!(out.contains("format:    RSS 1.0"), "{out}");
    assert!(out.contains("[1] 苏州马拉松鸣枪开跑"), "{out}");
    let page = inspect(&[&srv.url("/page.html")]);
    assert_eq!(page.code, 1, "not a feed");
    assert!(
        page.stdout.contains("not a feed: the root element is <html>"),
        "{}",
        page.stdout
    );
    let missing = inspect(&[&srv.url("/nothing.xml")]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("cannot fetch") && missing.stderr.contains("HTTP 404"),
        "{}",
        missing.stderr
    );
}

/// `&#146;` and the other references to 0x80–0x9F are the windows-1252
/// characters, as HTML reads them, not C1 controls.
#[test]
fn c1_references_read_as_windows_1252() {
    let out = inspect(&[&fixture_path("c1-references.rss"), "--json"])
        .ok()
        .stdout;
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let item = &v["items"][0];
    assert_eq!(item["title"], "It’s “new” €5", "{out}");
    assert!(item["summary"].as_str().unwrap().contains("The – dash"), "{out}");
}

/// A channel link written relative to the feed (`<link>/news/</link>`, as
/// portals write it) is read absolute, against the URL the feed came from.
#[test]
fn a_relative_channel_link_is_made_absolute() {
    let srv = FixtureServer::start();
    srv.route(
        "/rss/jiangsu.xml",
        crate::support::Route::Body {
            bytes:
                b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><link>/news/</link>\
                     <item><title>a</title><link>2026/1.html</link></item></channel></rss>"
                    .to_vec(),
            content_type: "application/xml",
            etag: None,
        },
    );
    let out = inspect(&[&srv.url("/rss/jiangsu.xml"), "--json"]).ok().stdout;
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["link"], srv.url("/news/"), "{out}");
    assert_eq!(v["items"][0]["link"], srv.url("/news/2026/1.html"), "{out}");
}
