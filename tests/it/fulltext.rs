//! Whole articles for summary-only feeds (`[feed.fulltext]`): the item's
//! own page fetched, its body taken by a selector or by `auto`, through
//! the real binary and a real HTTP server, and what a reader then sees.

use std::path::Path;

use crate::support::{ConfigText, Env, FeedText, FixtureServer, Route, count, feedparser_read};

const CATEGORIES: &[(&str, &str)] = &[("wujiang", "吴江新闻")];

fn html(bytes: Vec<u8>) -> Route {
    Route::Body {
        bytes,
        content_type: "text/html",
        etag: None,
    }
}

/// A file of the repository.
fn repo_file(path: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// A summary-only RSS 2.0 feed: one item per (title, link, summary); an
/// item with a fourth, non-empty part also has it as `content:encoded`.
fn rss(items: &[(&str, &str, &str, &str)]) -> Vec<u8> {
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel>\
         <title>吴江新闻</title><link>/</link><description>吴江日报网</description>",
    );
    for (i, (title, link, summary, content)) in items.iter().enumerate() {
        x += &format!(
            "<item><title>{title}</title><link>{link}</link><guid>{link}</guid>\
             <description>{summary}</description><pubDate>Mon, 20 May 2024 0{}:30:00 +0800</pubDate>",
            i % 10
        );
        if !content.is_empty() {
            x += &format!("<content:encoded><![CDATA[{content}]]></content:encoded>");
        }
        x += "</item>";
    }
    x += "</channel></rss>";
    x.into_bytes()
}

/// The entry titled `title` of what feedparser reads from `doc`.
#[track_caller]
fn entry(doc: &str, title: &str) -> serde_json::Value {
    feedparser_read(doc)
        .into_iter()
        .find(|e| e["title"] == title)
        .unwrap_or_else(|| panic!("no entry {title} in {doc}"))
}

fn text(v: &serde_json::Value) -> &str {
    v.as_str().unwrap_or("")
}

/// The number of requests for each path.
fn asked(srv: &FixtureServer, paths: &[&str]) -> Vec<usize> {
    paths.iter().map(|p| srv.requests(p).len()).collect()
}

#[test]
fn a_summary_only_feed_gets_the_article_body_by_selector() {
    let srv = FixtureServer::start();
    let feed = srv.url("/rss.xml");
    srv.rss(
        "/rss.xml",
        rss(&[
            (
                "大运河江苏段一批文旅融合项目集中开工",
                &srv.url("/news/202304/170123.html"),
                "沿线8个设区市共有36个项目同步开工。",
                "",
            ),
            (
                "江苏今年将新改建农村公路3000公里",
                &srv.url("/news/show.php?id=170131"),
                "推动“四好农村路”提档升级。",
                "",
            ),
        ]),
    )
    .route(
        "/news/202304/170123.html",
        html(repo_file("config/samples/portal-article-170123.html")),
    )
    .route(
        "/news/show.php",
        html(repo_file("config/samples/portal-article-170131.html")),
    );
    let env = Env::with(
        &ConfigText::new().categories(CATEGORIES).feed_text(
            FeedText::new(&feed, &["wujiang"])
                .fulltext("content", "div.article-content")
                .fulltext("remove", vec![".share-bar", "p.editor"]),
        ),
    );
    let run = env.huiju(&["fetch"]).ok();
    assert!(
        run.line_for(&feed).ends_with("2 new, 0 updated, 0 unchanged"),
        "{}",
        run.stdout
    );
    let rss = env.huiju(&["export", "wujiang"]).ok().stdout;
    let canal = entry(&rss, "大运河江苏段一批文旅融合项目集中开工");
    let body = text(&canal["content"]);
    assert!(body.contains("淮安清江浦段将新建运河文化展示馆"), "{canal}");
    assert!(!body.contains("分享到") && !body.contains("责任编辑"), "{body}");
    assert!(!body.contains("网友热搜"), "only the selected body: {body}");
    assert_eq!(text(&canal["summary"]), "沿线8个设区市共有36个项目同步开工。");
    // Relative URLs in the page resolve against the page's URL.
    let road = entry(&rss, "江苏今年将新改建农村公路3000公里");
    assert!(
        text(&road["content"]).contains(&srv.url("/news/images/170131-road.jpg")),
        "{road}"
    );

    // The next poll fetches no page again, and the feed's summary-only
    // items leave the stored text as it is.
    let run = env.huiju(&["fetch"]).ok();
    assert!(
        run.line_for(&feed).ends_with("0 new, 0 updated, 2 unchanged"),
        "{}",
        run.stdout
    );
    assert_eq!(
        asked(&srv, &["/news/202304/170123.html", "/news/show.php"]),
        [1, 1]
    );
    let again = env.huiju(&["export", "wujiang"]).ok().stdout;
    assert!(again.contains("淮安清江浦段将新建运河文化展示馆"), "{again}");
}

#[test]
fn auto_finds_the_body_on_pages_of_different_layouts() {
    let srv = FixtureServer::start();
    let feed = srv.url("/rss.xml");
    let pages = [
        ("太湖岸线生态修复三期工程开工", "/a/portal.html", "portal.html"),
        ("平江路历史街区试行限流预约", "/a/comments.html", "comments.html"),
        (
            "苏州轨道交通8号线全线贯通",
            "/a/short.html",
            "short-paragraphs.html",
        ),
        ("城乡居民医保参保缴费通知", "/a/notice.html", "br-separated.html"),
    ];
    let items: Vec<(&str, String, &str, &str)> = pages
        .iter()
        .map(|(t, p, _)| (*t, srv.url(p), "摘要一句。", ""))
        .collect();
    let items: Vec<(&str, &str, &str, &str)> = items
        .iter()
        .map(|(t, l, s, c)| (*t, l.as_str(), *s, *c))
        .collect();
    srv.rss("/rss.xml", rss(&items));
    for (_, path, file) in pages {
        srv.route(path, html(repo_file(&format!("testdata/extract/{file}"))));
    }
    let env = Env::with(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed_text(FeedText::new(&feed, &["wujiang"]).fulltext("content", "auto")),
    );
    let run = env.huiju(&["fetch"]).ok();
    assert!(
        run.line_for(&feed).ends_with("4 new, 0 updated, 0 unchanged"),
        "{run:?}"
    );
    let rss = env.huiju(&["export", "wujiang"]).ok().stdout;
    let want: [(&str, &[&str], &[&str]); 4] = [
        (
            "太湖岸线生态修复三期工程开工",
            &["本报讯 19日上午", "东太湖蓝藻水华发生面积较往年明显下降。"],
            &[
                "热点排行",
                "东太湖综合整治后续工程通过验收",
                "版权所有",
                "当前位置",
            ],
        ),
        (
            "平江路历史街区试行限流预约",
            &["试行节假日限流预约。", "建议游客优先乘坐地铁1号线、4号线前往。"],
            &["网友评论", "早就该限流了", "赞(86)"],
        ),
        (
            "苏州轨道交通8号线全线贯通",
            &["今天下午，8号线全线贯通。", "预计年底开始试运行。"],
            &["苏城生活是一个关注", "S1线开通一周年"],
        ),
        (
            "城乡居民医保参保缴费通知",
            &["各乡镇人民政府，县各有关部门：", "不得以任何形式强迫参保。"],
            &["网站首页", "通知公告", "备案号"],
        ),
    ];
    for (title, has, has_not) in want {
        let e = entry(&rss, title);
        let body = text(&e["content"]);
        for h in has {
            assert!(body.contains(h), "{title}: missing {h} in {body}");
        }
        for h in has_not {
            assert!(!body.contains(h), "{title}: {h} in {body}");
        }
    }
}

/// Two feeds carry one story under different headlines and summaries:
/// only their article pages show it is the same story, and the
/// near-duplicate step sees them.
#[test]
fn near_duplicates_are_found_among_whole_articles() {
    let (a, b) = (FixtureServer::start(), FixtureServer::start_on("127.0.0.2"));
    let page = repo_file("testdata/extract/portal.html");
    a.rss(
        "/rss.xml",
        rss(&[(
            "吴江启动太湖岸线生态修复三期工程",
            &a.url("/wj/88520.html"),
            "工程全长约12.6公里，计划投资4.3亿元。",
            "",
        )]),
    )
    .route("/wj/88520.html", html(page.clone()));
    b.rss(
        "/rss.xml",
        rss(&[(
            "七都镇太湖岸线新添2100亩湿地",
            &b.url("/szxw/2024/0520/1.html"),
            "水鸟将有更多栖息地。",
            "",
        )]),
    )
    .route("/szxw/2024/0520/1.html", html(page));
    let config = |fulltext: bool| {
        let feed = |url: &str, title: &str| {
            let f = FeedText::new(url, &["wujiang"]).key("title", title);
            if fulltext {
                f.fulltext("content", "auto")
            } else {
                f
            }
        };
        ConfigText::new()
            .categories(CATEGORIES)
            .feed_text(feed(&a.url("/rss.xml"), "吴江日报"))
            .feed_text(feed(&b.url("/rss.xml"), "苏州日报"))
    };
    // Summaries alone: two stories.
    let env = Env::with(&config(false));
    env.huiju(&["fetch"]).ok();
    let atom = env.huiju(&["export", "wujiang", "--format", "atom"]).ok().stdout;
    assert_eq!(count(&atom, "<entry>"), 2, "{atom}");
    // Whole articles: one.
    let env = Env::with(&config(true));
    env.huiju(&["fetch"]).ok();
    let atom = env.huiju(&["export", "wujiang", "--format", "atom"]).ok().stdout;
    assert_eq!(count(&atom, "<entry>"), 1, "{atom}");
    assert!(atom.contains("Also reported by"), "{atom}");
}

#[test]
fn gbk_article_pages_are_read_in_their_charset() {
    let srv = FixtureServer::start();
    let feed = srv.url("/rss.xml");
    let page = String::from_utf8(repo_file("testdata/extract/portal.html")).unwrap();
    let gbk = |s: &str| encoding_rs::GBK.encode(s).0.into_owned();
    // Declared by <meta>, by the HTTP header, or nowhere.
    let meta = page.replace(
        "<meta charset=\"utf-8\">",
        "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">",
    );
    let bare = page.replace("<meta charset=\"utf-8\">", "");
    srv.rss(
        "/rss.xml",
        rss(&[
            ("一", &srv.url("/meta.html"), "摘要一。", ""),
            ("二", &srv.url("/header.html"), "摘要二。", ""),
            ("三", &srv.url("/bare.html"), "摘要三。", ""),
        ]),
    )
    .route("/meta.html", html(gbk(&meta)))
    .route(
        "/header.html",
        Route::Raw(gbk(&bare), vec![("content-type", "text/html; charset=GBK")]),
    )
    .route("/bare.html", html(gbk(&bare)));
    let env = Env::with(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed_text(FeedText::new(&feed, &["wujiang"]).fulltext("content", "#zoom")),
    );
    let run = env.huiju(&["fetch"]).ok();
    assert!(
        run.line_for(&feed).ends_with("3 new, 0 updated, 0 unchanged"),
        "{run:?}"
    );
    let rss = env.huiju(&["export", "wujiang"]).ok().stdout;
    assert!(!rss.contains('\u{FFFD}'), "{rss}");
    for title in ["一", "二", "三"] {
        let e = entry(&rss, title);
        assert!(
            text(&e["content"]).contains("“过去这一段岸线以硬质驳岸为主，水鸟很少落脚。”"),
            "{title}: {e}"
        );
    }
}

#[test]
fn a_failing_page_keeps_the_feeds_text_and_is_tried_again() {
    let srv = FixtureServer::start();
    let feed = srv.url("/rss.xml");
    // One item summary-only, one with a teaser as its content.
    srv.rss(
        "/rss.xml",
        rss(&[
            ("苏州湾隧道通车", &srv.url("/a/1.html"), "列表摘要。", ""),
            (
                "吴江新添湿地",
                &srv.url("/a/2.html"),
                "湿地摘要。",
                "<p>湿地导语。</p>",
            ),
        ]),
    )
    .route("/a/1.html", Route::Status(500, None))
    .route("/a/2.html", Route::Status(503, None));
    let env = Env::with(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed_text(FeedText::new(&feed, &["wujiang"]).fulltext("content", "auto")),
    );
    let run = env.huiju(&["fetch"]).ok();
    assert!(
        run.line_for(&feed)
            .ends_with("2 new, 0 updated, 0 unchanged (2 warnings, see `huiju inspect`)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("HTTP 500") && run.stderr.contains("HTTP 503"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("tried again on the next polls"),
        "{}",
        run.stderr
    );
    let rss = env.huiju(&["export", "wujiang"]).ok().stdout;
    let tunnel = entry(&rss, "苏州湾隧道通车");
    assert_eq!(text(&tunnel["summary"]), "列表摘要。");
    assert!(tunnel["content"].is_null(), "{tunnel}");
    assert_eq!(text(&entry(&rss, "吴江新添湿地")["content"]), "<p>湿地导语。</p>");

    // The pages work again: the next poll fetches them, and the items
    // gain their text.
    let article = |s: &str| {
        html(format!("<html><body><div><p>{s}全长约4.5公里，今天上午正式通车，沿线设有三处观景平台。</p><p>工程历时三年，总投资约二十亿元。</p></div></body></html>").into_bytes())
    };
    srv.route("/a/1.html", article("隧道"))
        .route("/a/2.html", article("湿地步道"));
    let run = env.huiju(&["fetch"]).ok();
    assert!(
        run.line_for(&feed).ends_with("0 new, 2 updated, 0 unchanged"),
        "{}",
        run.stdout
    );
    let rss = env.huiju(&["export", "wujiang"]).ok().stdout;
    assert!(
        text(&entry(&rss, "苏州湾隧道通车")["content"]).contains("隧道全长约4.5公里"),
        "{rss}"
    );
    assert!(
        text(&entry(&rss, "吴江新添湿地")["content"]).contains("湿地步道全长约4.5公里"),
        "{rss}"
    );
    // And no more after that.
    let run = env.huiju(&["fetch"]).ok();
    assert!(
        run.line_for(&feed).ends_with("0 new, 0 updated, 2 unchanged"),
        "{}",
        run.stdout
    );
    assert_eq!(asked(&srv, &["/a/1.html", "/a/2.html"]), [2, 2]);
}

#[test]
fn append_keeps_the_feeds_text_and_adds_the_article_after_it() {
    let srv = FixtureServer::start();
    let feed = srv.url("/rss.xml");
    srv.rss(
        "/rss.xml",
        rss(&[(
            "平江路历史街区试行限流预约",
            &srv.url("/a/1.html"),
            "编者按：暑期到了。",
            "",
        )]),
    )
    .route("/a/1.html", html(repo_file("testdata/extract/comments.html")));
    let env = Env::with(
        &ConfigText::new().categories(CATEGORIES).feed_text(
            FeedText::new(&feed, &["wujiang"])
                .fulltext("content", "div.article-body")
                .fulltext("mode", "append"),
        ),
    );
    env.huiju(&["fetch"]).ok();
    let rss = env.huiju(&["export", "wujiang"]).ok().stdout;
    let e = entry(&rss, "平江路历史街区试行限流预约");
    let body = text(&e["content"]);
    let (own, article) = (
        body.find("编者按：暑期到了。").expect("the feed's text"),
        body.find("试行节假日限流预约。").expect("the article"),
    );
    assert!(own < article, "{body}");
    assert_eq!(text(&e["summary"]), "编者按：暑期到了。");
}

#[test]
fn per_poll_bounds_the_pages_fetched() {
    let srv = FixtureServer::start();
    let feed = srv.url("/rss.xml");
    let links: Vec<String> = (1..=5).map(|n| srv.url(&format!("/a/{n}.html"))).collect();
    let titles: Vec<String> = (1..=5).map(|n| format!("第{n}条新闻")).collect();
    let items: Vec<(&str, &str, &str, &str)> = (0..5)
        .map(|i| (titles[i].as_str(), links[i].as_str(), "摘要。", ""))
        .collect();
    srv.rss("/rss.xml", rss(&items));
    for n in 1..=5 {
        srv.route(
            &format!("/a/{n}.html"),
            html(format!("<div class=\"zw\"><p>第{n}条新闻的正文，编号{n}{n}{n}。</p></div>").into_bytes()),
        );
    }
    let env = Env::with(
        &ConfigText::new().categories(CATEGORIES).feed_text(
            FeedText::new(&feed, &["wujiang"])
                .fulltext("content", "div.zw")
                .fulltext("per_poll", 2),
        ),
    );
    let pages = || -> usize { (1..=5).map(|n| srv.requests(&format!("/a/{n}.html")).len()).sum() };
    let run = env.huiju(&["fetch"]).ok();
    assert!(run.line_for(&feed).contains("5 new"), "{}", run.stdout);
    assert_eq!(pages(), 2, "at most per_poll");
    // The items still without their article are fetched on the next polls.
    env.huiju(&["fetch"]).ok();
    assert_eq!(pages(), 4);
    env.huiju(&["fetch"]).ok();
    assert_eq!(pages(), 5);
    env.huiju(&["fetch"]).ok();
    assert_eq!(pages(), 5, "every item has its text");
    let rss = env.huiju(&["export", "wujiang"]).ok().stdout;
    for n in 1..=5 {
        assert!(rss.contains(&format!("编号{n}{n}{n}")), "article {n}: {rss}");
    }
}

#[test]
fn links_to_another_site_are_not_fetched() {
    let (srv, other) = (FixtureServer::start(), FixtureServer::start_on("127.0.0.2"));
    let feed = srv.url("/rss.xml");
    srv.rss(
        "/rss.xml",
        rss(&[
            ("本站新闻", &srv.url("/a/1.html"), "本站摘要。", ""),
            ("转载新闻", &other.url("/a/2.html"), "外站摘要。", ""),
        ]),
    )
    .route("/a/1.html", html(repo_file("testdata/extract/portal.html")));
    other.route("/a/2.html", html(repo_file("testdata/extract/comments.html")));
    let env = Env::with(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed_text(FeedText::new(&feed, &["wujiang"]).fulltext("content", "auto")),
    );
    let run = env.huiju(&["fetch"]).ok();
    assert!(
        run.line_for(&feed).ends_with("2 new, 0 updated, 0 unchanged"),
        "not a warning: {}",
        run.stdout
    );
    assert!(other.requests("/a/2.html").is_empty());
    let rss = env.huiju(&["export", "wujiang"]).ok().stdout;
    assert!(
        text(&entry(&rss, "本站新闻")["content"]).contains("本报讯 19日上午"),
        "{rss}"
    );
    let e = entry(&rss, "转载新闻");
    assert!(e["content"].is_null(), "{e}");
    assert_eq!(text(&e["summary"]), "外站摘要。");
    // Nor on the next poll.
    env.huiju(&["fetch"]).ok();
    assert!(other.requests("/a/2.html").is_empty());
}

#[test]
fn preview_shows_what_the_fulltext_settings_extract() {
    let (srv, other) = (FixtureServer::start(), FixtureServer::start_on("127.0.0.2"));
    let feed = srv.url("/rss.xml");
    srv.rss(
        "/rss.xml",
        rss(&[
            (
                "太湖岸线生态修复三期工程开工",
                &srv.url("/a/1.html"),
                "工程全长约12.6公里。",
                "",
            ),
            ("转载新闻", &other.url("/a/2.html"), "外站摘要。", ""),
            ("平江路试行限流预约", &srv.url("/a/3.html"), "暑期限流。", ""),
        ]),
    )
    .route("/a/1.html", html(repo_file("testdata/extract/portal.html")))
    .route("/a/3.html", html(repo_file("testdata/extract/comments.html")));
    let env = Env::with(
        &ConfigText::new().categories(CATEGORIES).feed_text(
            FeedText::new(&feed, &["wujiang"])
                .key("title", "吴江日报")
                .fulltext("content", "auto")
                .fulltext("remove", vec![".bianji"]),
        ),
    );
    let out = env.huiju(&["preview", "吴江日报"]).ok().stdout;
    assert!(out.contains(&format!("source:    {feed}")), "{out}");
    assert!(
        out.contains("fulltext:  content auto, remove '.bianji', mode replace, per poll 10"),
        "{out}"
    );
    assert!(out.contains("items:     3"), "{out}");
    assert!(out.contains("[1] 太湖岸线生态修复三期工程开工"), "{out}");
    assert!(out.contains("    summary:  工程全长约12.6公里。"), "{out}");
    assert!(
        out.contains("chars: 本报讯 19日上午，吴江区太湖岸线生态修复三期工程在七都镇开工。"),
        "{out}"
    );
    assert!(
        out.contains("    article:  - (not fetched: another site)"),
        "{out}"
    );
    assert!(out.contains("chars: 暑期客流高峰到来"), "{out}");
    assert!(out.contains("warnings:  none"), "{out}");
    // Nothing is stored, and nothing was asked of the other site.
    let rss = env.huiju(&["export", "wujiang"]).ok().stdout;
    assert_eq!(count(&rss, "<item>"), 0, "{rss}");
    assert!(other.requests("/a/2.html").is_empty());

    // Another selector on the command line, which finds nothing: exit 1.
    let run = env.huiju(&["preview", &feed, "--content", "div.no-such", "--articles", "1"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains("fulltext:  content 'div.no-such'"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("    article:  - (content selector matched nothing)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("    article:  - (not fetched: beyond --articles)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("content selector 'div.no-such' matched nothing"),
        "{}",
        run.stdout
    );
    // Any feed, with --content; a page that is not a feed is refused.
    let env = Env::empty();
    let out = env.huiju(&["preview", &feed, "--content", "#zoom"]).ok().stdout;
    assert!(out.contains("chars: 本报讯 19日上午"), "{out}");
    let run = env.huiju(&["preview", &srv.url("/a/1.html"), "--content", "auto"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("is not a feed (RSS/Atom)"), "{}", run.stderr);
}
