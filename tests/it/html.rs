//! Sources without a feed: a portal's list page read with CSS selectors,
//! with its article pages, through the real binary and a real HTTP server.

use std::path::Path;

use crate::support::{ConfigText, Env, FeedText, FixtureServer, Route, count, feedparser_entries, fixture};

const CATEGORIES: &[(&str, &str)] = &[("jiangsu", "江苏资讯")];

/// The selectors of the portal fixtures, as a `[[feed]]` of kind html.
fn untitled_html_feed(url: &str) -> FeedText {
    FeedText::new(url, &["jiangsu"])
        .key("kind", "html")
        .html("item", "ul.news-list > li")
        .html("title", "h3 a")
        .html("date", ".date")
        .html("date_format", "%Y-%m-%d %H:%M")
        .html("summary", "p.summary")
}

/// The portal's feed under the name it gives itself.
fn html_feed(url: &str) -> FeedText {
    untitled_html_feed(url).key("title", "苏州都市网·江苏资讯")
}

/// Fetches the articles' text, without the share bar and the editor's line.
fn with_articles(feed: FeedText) -> FeedText {
    feed.html("content", "div.article-content")
        .html("remove", vec![".share-bar", "p.editor"])
}

fn html(bytes: Vec<u8>) -> Route {
    Route::Body {
        bytes,
        content_type: "text/html",
        etag: None,
    }
}

/// The portal: its list page under /news/jiangsu/ and two article pages
/// that it links relatively (`../`, `/abs?id=`).
fn portal() -> FixtureServer {
    let srv = FixtureServer::start();
    srv.route("/news/jiangsu/list.html", html(fixture("portal-list.html")))
        .route(
            "/news/202304/170123.html",
            html(fixture("portal-article-170123.html")),
        )
        .route("/news/show.php", html(fixture("portal-article-170131.html")));
    srv
}

/// The portal plus the 新华日报 RSS feed whose story the portal copies.
fn portal_and_xinhua() -> FixtureServer {
    let srv = portal();
    srv.route(
        "/xinhua.rss",
        Route::Body {
            bytes: sample("xinhua-jiangsu.xml"),
            content_type: "application/rss+xml",
            etag: None,
        },
    );
    srv
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("config/samples")
            .join(name),
    )
    .unwrap()
}

#[test]
fn list_page_and_articles_are_stored_with_absolute_links_dates_and_text() {
    let srv = portal();
    let list = srv.url("/news/jiangsu/list.html");
    let env = Env::with(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed_text(with_articles(html_feed(&list))),
    );
    let run = env.huiju(&["fetch"]).ok();
    // `?id=170140` is the list page itself: no article body there, a warning.
    assert!(
        run.line_for(&list)
            .ends_with("4 new, 0 updated, 0 unchanged (1 warnings, see `huiju inspect`)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("content selector 'div.article-content' matched nothing"),
        "{}",
        run.stderr
    );
    let json = env.huiju(&["export", "jiangsu", "--format", "json"]).ok().stdout;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let items = v["items"].as_array().unwrap();
    let by_title = |t: &str| {
        items
            .iter()
            .find(|i| i["title"] == t)
            .unwrap_or_else(|| panic!("no item {t}: {json}"))
    };
    let canal = by_title("大运河江苏段一批文旅融合项目集中开工");
    assert_eq!(canal["url"], srv.url("/news/202304/170123.html"));
    assert_eq!(canal["date_published"], "2023-04-15T09:12:00+08:00");
    let text = canal["content_html"].as_str().unwrap();
    assert!(
        text.contains("淮安清江浦段将新建运河文化展示馆"),
        "article text: {text}"
    );
    assert!(!text.contains("分享到") && !text.contains("责任编辑"), "{text}");
    assert!(!text.contains("当前位置"), "only the content div: {text}");
    let road = by_title("江苏今年将新改建农村公路3000公里");
    assert_eq!(road["url"], srv.url("/news/show.php?id=170131"));
    // Relative URLs inside the article resolve against the article's URL.
    let text = road["content_html"].as_str().unwrap();
    assert!(
        text.contains(&format!("src=\"{}\"", srv.url("/news/images/road.jpg"))),
        "{text}"
    );
    // No body found: stored with its list summary.
    let expo = by_title("江苏书展将于7月在苏州举办");
    assert_eq!(expo["url"], srv.url("/news/jiangsu/list.html?id=170140"));
    assert!(
        expo["content_html"].as_str().unwrap().contains("本届书展"),
        "{expo}"
    );
    // Another site's page is linked, not fetched.
    let xhby = by_title("新华日报：大运河文旅项目开工");
    assert_eq!(
        xhby["url"],
        "https://www.xhby.net/content/s64398a17e4b0f3e8c1a2b5d2.html"
    );
    assert_eq!(srv.requests("/news/202304/170123.html").len(), 1);
    let rss = env.huiju(&["export", "jiangsu"]).ok().stdout;
    assert_eq!(feedparser_entries(&rss), 4);

    // The next poll fetches no article again and changes nothing.
    let run = env.huiju(&["fetch"]).ok();
    assert!(
        run.line_for(&list).contains("0 new, 0 updated, 4 unchanged"),
        "{}",
        run.stdout
    );
    assert_eq!(srv.requests("/news/202304/170123.html").len(), 1);
    let again = env.huiju(&["export", "jiangsu", "--format", "json"]).ok().stdout;
    assert!(
        again.contains("淮安清江浦段"),
        "the text fetched first stays: {again}"
    );
}

#[test]
fn selectors_that_match_nothing_are_a_feed_error_naming_page_and_selector() {
    let srv = portal_and_xinhua();
    let list = srv.url("/news/jiangsu/list.html");
    let env = Env::with(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed(&srv.url("/xinhua.rss"), &["jiangsu"])
            .feed_text(html_feed(&list).html("item", "div.news-box li")),
    );
    let run = env.huiju(&["fetch"]);
    assert_eq!(run.code, 0, "a failing feed does not fail fetch: {run:?}");
    assert_eq!(
        run.line_for(&list),
        format!(
            "{list}  error: no items on {list}: item selector 'div.news-box li' matched nothing \
             (has the page changed? try `huiju preview`)"
        )
    );
    assert!(
        run.line_for(&srv.url("/xinhua.rss")).contains("6 new"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("1 failed"), "{}", run.stdout);
    let rss = env.huiju(&["export", "jiangsu"]).ok().stdout;
    assert_eq!(count(&rss, "<item>"), 6, "the other feed is served");

    // Elements matched, but none had a link: also an error, saying so.
    env.write_config(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed_text(html_feed(&list).html("item", "div.crumb").html("title", "h1")),
    );
    let run = env.huiju(&["fetch"]);
    assert!(
        run.line_for(&list)
            .contains("item selector 'div.crumb' matched 1 elements, but none had both a title and a link"),
        "{}",
        run.stdout
    );
}

#[test]
fn gbk_pages_decode_by_meta_charset_and_by_http_charset() {
    let srv = FixtureServer::start();
    let gbk = fixture("portal-gbk-list.html");
    let meta = b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">";
    let at = gbk
        .windows(meta.len())
        .position(|w| w == meta)
        .expect("meta in fixture");
    let mut bare = gbk.clone();
    bare.drain(at..at + meta.len());
    srv.route("/meta.html", html(gbk)).route(
        "/header.html",
        Route::Raw(bare, vec![("content-type", "text/html; charset=GBK")]),
    );
    let env = Env::with(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed_text(html_feed(&srv.url("/meta.html")))
            .feed_text(untitled_html_feed(&srv.url("/header.html"))),
    );
    let run = env.huiju(&["fetch"]).ok();
    // Both pages list the same two stories (same links): one feed stores
    // them, the other finds them stored.
    assert!(
        run.stdout.contains(
            "total: 2 feeds; 2 new, 0 updated, 2 unchanged items; 0 not modified, 0 waiting, 0 failed"
        ),
        "{}",
        run.stdout
    );
    let rss = env.huiju(&["export", "jiangsu"]).ok().stdout;
    assert!(rss.contains("苏州中心春季消费节开幕 首日客流超8万人次"), "{rss}");
    assert!(rss.contains("以“乐享春光”为主题"), "{rss}");
    assert!(!rss.contains('\u{FFFD}'), "{rss}");

    let out = env.huiju(&["preview", &srv.url("/header.html")]).ok().stdout;
    assert!(
        out.contains("encoding:  gb18030 (HTTP Content-Type charset=GBK)"),
        "{out}"
    );
    assert!(out.contains("苏州工业园区出台生物医药产业新政"), "{out}");
    let out = env.huiju(&["preview", &srv.url("/meta.html")]).ok().stdout;
    assert!(out.contains("HTML <meta> charset=\"gb2312\""), "{out}");
    assert!(out.contains("title:     苏州新闻_苏州都市网"), "{out}");
}

#[test]
fn relative_links_become_absolute() {
    let srv = portal();
    let list = srv.url("/news/jiangsu/list.html");
    let env = Env::with(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed_text(html_feed(&list)),
    );
    env.huiju(&["fetch"]).ok();
    let rss = env.huiju(&["export", "jiangsu"]).ok().stdout;
    for link in [
        srv.url("/news/202304/170123.html"),          // ../202304/170123.html
        srv.url("/news/show.php?id=170131"),          // /news/show.php?id=170131
        srv.url("/news/jiangsu/list.html?id=170140"), // ?id=170140
        "https://www.xhby.net/content/s64398a17e4b0f3e8c1a2b5d2.html".to_string(),
    ] {
        assert!(rss.contains(&format!("<link>{link}</link>")), "{link} in {rss}");
    }
    // Without `content`, no article page is fetched.
    assert!(srv.requests("/news/202304/170123.html").is_empty());
}

#[test]
fn a_layout_change_is_an_error_and_earlier_items_stay() {
    let srv = portal();
    let list = srv.url("/news/jiangsu/list.html");
    let env = Env::with(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed_text(with_articles(html_feed(&list))),
    );
    env.huiju(&["fetch"]).ok();
    let before = env.huiju(&["export", "jiangsu"]).ok().stdout;
    assert_eq!(count(&before, "<item>"), 4);

    srv.route("/news/jiangsu/list.html", html(fixture("portal-list-v2.html")));
    let run = env.huiju(&["fetch"]).ok();
    assert!(
        run.line_for(&list).contains("error: no items on ")
            && run
                .line_for(&list)
                .contains("item selector 'ul.news-list > li' matched nothing"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains(&format!("refresh{{feed={list}}}")),
        "logged in the feed's span: {}",
        run.stderr
    );
    let after = env.huiju(&["export", "jiangsu"]).ok().stdout;
    assert_eq!(count(&after, "<item>"), 4, "earlier items still served: {after}");
    assert!(after.contains("淮安清江浦段"), "with their article text");

    // The page is back: the feed recovers, nothing is duplicated.
    srv.route("/news/jiangsu/list.html", html(fixture("portal-list.html")));
    let run = env.huiju(&["fetch"]).ok();
    assert!(run.line_for(&list).contains("0 new"), "{}", run.stdout);
}

#[test]
fn article_fetches_per_poll_are_bounded() {
    let srv = FixtureServer::start();
    let mut list = String::from("<html><body><ul class=\"news-list\">");
    for n in 1..=6 {
        list += &format!(
            "<li><h3><a href=\"/a/{n}.html\">第{n}条新闻</a></h3><span class=\"date\">2023-04-1{n} 09:00</span></li>"
        );
        srv.route(
            &format!("/a/{n}.html"),
            html(
                format!(
                    "<html><body><div class=\"article-content\"><p>第{n}条新闻的正文，编号{n}{n}{n}。</p></div></body></html>"
                )
                .into_bytes(),
            ),
        );
    }
    list += "</ul></body></html>";
    srv.route("/list.html", html(list.into_bytes()));
    let url = srv.url("/list.html");
    let env = Env::with(
        &ConfigText::new().categories(CATEGORIES).feed_text(
            html_feed(&url)
                .html("content", "div.article-content")
                .html("articles_per_poll", 2),
        ),
    );
    let articles = || {
        (1..=6)
            .map(|n| srv.requests(&format!("/a/{n}.html")).len())
            .sum::<usize>()
    };
    let run = env.huiju(&["fetch"]).ok();
    assert!(run.line_for(&url).contains("6 new"), "{}", run.stdout);
    assert_eq!(articles(), 2, "at most articles_per_poll");
    // Items still without text are fetched on the next polls, 2 at a time.
    env.huiju(&["fetch"]).ok();
    assert_eq!(articles(), 4);
    env.huiju(&["fetch"]).ok();
    assert_eq!(articles(), 6);
    env.huiju(&["fetch"]).ok();
    assert_eq!(articles(), 6, "every item has its text: no more requests");
    for n in 1..=6 {
        assert_eq!(srv.requests(&format!("/a/{n}.html")).len(), 1, "article {n} once");
    }
    let rss = env.huiju(&["export", "jiangsu"]).ok().stdout;
    for n in 1..=6 {
        assert!(rss.contains(&format!("编号{n}{n}{n}")), "article {n}: {rss}");
    }
}

#[test]
fn preview_prints_what_the_selectors_extract_with_warnings() {
    let srv = portal();
    let list = srv.url("/news/jiangsu/list.html");
    let env = Env::with(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed_text(with_articles(html_feed(&list))),
    );
    // By the feed's title: the configured selectors.
    let out = env.huiju(&["preview", "苏州都市网·江苏资讯"]).ok().stdout;
    assert!(out.contains("item:      'ul.news-list > li' matched 4"), "{out}");
    assert!(out.contains("[1] 大运河江苏段一批文旅融合项目集中开工"), "{out}");
    assert!(
        out.contains(&format!("    link:     {}", srv.url("/news/202304/170123.html"))),
        "{out}"
    );
    assert!(out.contains("    date:     2023-04-15 09:12 +08:00"), "{out}");
    assert!(
        out.contains("    summary:  沿线8个设区市共有36个项目同步开工。"),
        "{out}"
    );
    assert!(out.contains("chars: □ 记者 陈静怡 15日,大运河江苏段"), "{out}");
    assert!(out.contains("- (not fetched: another site)"), "{out}");
    assert!(
        out.contains("content selector 'div.article-content' matched nothing"),
        "{out}"
    );
    // Nothing is stored.
    let rss = env.huiju(&["export", "jiangsu"]).ok().stdout;
    assert_eq!(count(&rss, "<item>"), 0, "{rss}");

    // Selectors given on the command line, and what they miss.
    let run = env.huiju(&[
        "preview",
        &list,
        "--item",
        "ul.news-list > li",
        "--date",
        "span.published",
        "--summary",
        ".lead",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("date selector 'span.published' matched nothing in 4 of 4 items"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("summary selector '.lead' matched nothing in 4 of 4 items")
    );
    assert!(
        run.stdout
            .contains("date:     - (none: first-seen time will be used)")
    );

    // `inspect` reads feeds; for an html source it points here.
    let run = env.huiju(&["inspect", &list]);
    assert_eq!(run.code, 1, "not a feed: {run:?}");
    assert!(run.stderr.contains("is an html source"), "{}", run.stderr);

    // Nothing extracted: exit 1, and the warning says which selector.
    let run = env.huiju(&["preview", &list, "--item", "div.news-box li"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("item selector 'div.news-box li' matched nothing"),
        "{}",
        run.stdout
    );
    // A bad selector is an argument error.
    let run = env.huiju(&["preview", &list, "--title", "h3 >"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--title: bad CSS selector 'h3 >'"),
        "{}",
        run.stderr
    );
    // An unknown page without selectors.
    let run = env.huiju(&["preview", &srv.url("/other.html")]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("give at least --item"), "{}", run.stderr);
}

#[test]
fn the_portals_copy_of_a_story_merges_with_the_rss_item() {
    let srv = portal_and_xinhua();
    let list = srv.url("/news/jiangsu/list.html");
    let xinhua = ConfigText::new().categories(CATEGORIES).feed_text(
        FeedText::new(&srv.url("/xinhua.rss"), &["jiangsu"])
            .key("title", "新华日报")
            .key("priority", 10),
    );
    // The RSS feed first, then the portal (the feeds of one fetch run at
    // once; this keeps the order, and so the test, deterministic).
    let env = Env::with(&xinhua);
    env.huiju(&["fetch"]).ok();
    env.write_config(&xinhua.feed_text(with_articles(html_feed(&list))));
    env.huiju(&["fetch"]).ok();
    let atom = env.huiju(&["export", "jiangsu", "--format", "atom"]).ok().stdout;
    assert_eq!(
        count(&atom, "<title>大运河江苏段一批文旅融合项目集中开工</title>"),
        1,
        "one entry for the story: {atom}"
    );
    assert!(atom.contains("Also reported by"), "{atom}");
    assert!(
        atom.contains(&format!("href=\"{}\"", srv.url("/news/202304/170123.html"))),
        "the portal's copy is linked: {atom}"
    );
    let why = env
        .huiju(&["explain", &srv.url("/news/202304/170123.html")])
        .ok()
        .stdout;
    assert!(why.contains("[representative] 新华日报"), "{why}");
    assert!(why.contains("→ same story"), "{why}");
}

#[test]
fn a_failing_article_page_is_a_warning_and_is_tried_again() {
    let srv = FixtureServer::start();
    let list = "<ul class=\"news-list\"><li><h3><a href=\"/a/1.html\">苏州湾隧道通车</a></h3>\
                <span class=\"date\">2023-04-15 09:00</span><p class=\"summary\">列表摘要</p></li></ul>";
    srv.route("/list.html", html(list.as_bytes().to_vec()))
        .route("/a/1.html", Route::Status(500, None));
    let url = srv.url("/list.html");
    let env = Env::with(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed_text(html_feed(&url).html("content", "div.article-content")),
    );
    let run = env.huiju(&["fetch"]).ok();
    assert!(
        run.line_for(&url)
            .ends_with("1 new, 0 updated, 0 unchanged (1 warnings, see `huiju inspect`)"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("HTTP 500"), "{}", run.stderr);
    let rss = env.huiju(&["export", "jiangsu"]).ok().stdout;
    assert!(rss.contains("列表摘要"), "stored with its list summary: {rss}");

    // The page works again: the next poll fetches it and the item gains its text.
    srv.route(
        "/a/1.html",
        html(
            "<div class=\"article-content\"><p>隧道全长约4.5公里。</p></div>"
                .as_bytes()
                .to_vec(),
        ),
    );
    let run = env.huiju(&["fetch"]).ok();
    assert!(
        run.line_for(&url).ends_with("0 new, 1 updated, 0 unchanged"),
        "{}",
        run.stdout
    );
    let rss = env.huiju(&["export", "jiangsu"]).ok().stdout;
    assert!(rss.contains("隧道全长约4.5公里"), "{rss}");
    assert_eq!(srv.requests("/a/1.html").len(), 2);
}

/// A bug while reading a list page (a panic, injected by a debug-build
/// failpoint: no page is known to cause one) fails that source alone, is
/// recorded on its row, and backs it off, as for a feed.
#[test]
fn a_list_page_whose_reading_panics_is_recorded_and_backed_off() {
    let srv = portal_and_xinhua();
    let list = srv.url("/news/jiangsu/list.html");
    let env = Env::with(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed_text(with_articles(html_feed(&list)))
            .feed(&srv.url("/xinhua.rss"), &["jiangsu"]),
    );
    let mut cmd = env.command(&["fetch"]);
    cmd.env("HUIJU_FAILPOINT_PARSE_PANIC", "/news/jiangsu/");
    let run = crate::support::run(cmd);
    assert!(
        run.line_for(&list).contains("refresh task failed"),
        "{}",
        run.stdout
    );
    assert!(
        run.line_for(&srv.url("/xinhua.rss")).contains("new"),
        "{}",
        run.stdout
    );
    crate::support::assert_panic_recorded_and_backed_off(&env, &list);
    // No article page was asked for.
    assert!(srv.requests("/news/202304/170123.html").is_empty());
}
