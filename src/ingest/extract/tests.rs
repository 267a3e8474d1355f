use super::*;

fn testdata(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The text of what `auto` takes from `page`, and its HTML.
#[track_caller]
fn body(page: &str) -> (String, String) {
    let got = extract_html(page);
    let html = got
        .content
        .unwrap_or_else(|| panic!("no body found: {:?}", got.warnings));
    (crate::ingest::text::html_to_text(&html), html)
}

#[track_caller]
fn has_all(text: &str, wanted: &[&str]) {
    for w in wanted {
        assert!(text.contains(w), "missing {w:?} in: {text}");
    }
}

#[track_caller]
fn has_none(text: &str, unwanted: &[&str]) {
    for u in unwanted {
        assert!(!text.contains(u), "{u:?} should not be in: {text}");
    }
}

/// `page` without class and id attributes: what scoring alone finds.
fn unnamed(page: &str) -> String {
    regex::Regex::new(r#"\s(class|id)="[^"]*""#)
        .unwrap()
        .replace_all(page, "")
        .into_owned()
}

#[test]
fn punctuation_and_text_are_counted_the_chinese_way() {
    let m = Measure::of("苏州，无锡、常州。1,000 元；www.example.com 好! Done.", false);
    assert_eq!(m.punct, 6, "{m:?}");
    assert_eq!(m.enders, 3, "{m:?}");
    assert_eq!(m.chars, "苏州无锡常州1000元wwwexamplecom好Done".chars().count());
    assert_eq!(m.links, 0);
    assert_eq!(Measure::of("首页", true).links, 2);
}

#[test]
fn portal_page_without_its_navigation_sidebar_and_footer() {
    let page = testdata("testdata/extract/portal.html");
    let (text, html) = body(&page);
    has_all(
        &text,
        &[
            "本报讯 19日上午，吴江区太湖岸线生态修复三期工程在七都镇开工。",
            "为鸟类和鱼类留出栖息空间。",
            "沿线的骑行道将保持开放。",
            "东太湖蓝藻水华发生面积较往年明显下降。",
        ],
    );
    assert!(html.contains("src=\"/uploads/2024/05/taihu-0519.jpg\""), "{html}");
    has_none(
        &text,
        &[
            "吴江区启动太湖岸线生态修复三期工程\n",
            "当前位置",
            "吴江新闻",
            "相关新闻",
            "东太湖综合整治后续工程通过验收",
            "上一篇",
            "热点排行",
            "吴江高铁站综合枢纽开工建设",
            "肖甸湖森林公园",
            "版权所有",
            "客户端下载",
        ],
    );
    // The same page without class and id names: scoring alone.
    let (text, _) = body(&unnamed(&page));
    has_all(
        &text,
        &["本报讯 19日上午", "东太湖蓝藻水华发生面积较往年明显下降。"],
    );
    has_none(
        &text,
        &[
            "热点排行",
            "吴江高铁站综合枢纽开工建设",
            "东太湖综合整治后续工程",
            "版权所有",
        ],
    );
}

#[test]
fn paragraphs_of_one_short_sentence() {
    let page = testdata("testdata/extract/short-paragraphs.html");
    let (text, _) = body(&page);
    let paragraphs = [
        "今天下午，8号线全线贯通。",
        "这是苏州第8条贯通的地铁线。",
        "8号线全长35.6公里。",
        "共设28座车站，全部为地下站。",
        "线路串起吴中、姑苏、相城。",
        "与1、2、3号线等多条线路换乘。",
        "接下来进入铺轨阶段。",
        "预计年底开始试运行。",
        "后续进展，我们继续关注！",
    ];
    has_all(&text, &paragraphs);
    let at: Vec<usize> = paragraphs.iter().map(|p| text.find(p).unwrap()).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "in order: {text}");
    has_none(
        &text,
        &[
            "关于我们",
            "苏城生活是一个关注",
            "推荐阅读",
            "S1线开通一周年",
            "投稿邮箱",
        ],
    );
}

#[test]
fn text_separated_by_br_in_a_layout_table() {
    let page = testdata("testdata/extract/br-separated.html");
    let (text, html) = body(&page);
    has_all(
        &text,
        &[
            "各乡镇人民政府，县各有关部门：",
            "一、缴费时间",
            "个人缴费标准为每人每年380元。",
            "不得以任何形式强迫参保。",
            "县医疗保障局",
        ],
    );
    assert!(html.matches("<br>").count() >= 10, "line breaks kept: {html}");
    has_none(
        &text,
        &[
            "网站首页",
            "通知公告",
            "政策文件",
            "打印本页",
            "备案号",
            "网站地图",
        ],
    );
}

#[test]
fn comments_are_not_the_article() {
    let page = testdata("testdata/extract/comments.html");
    let article = [
        "暑期客流高峰到来，平江路历史街区从6日起试行节假日限流预约。",
        "建议游客优先乘坐地铁1号线、4号线前往。",
    ];
    let comments = [
        "网友评论",
        "姑苏老居民",
        "早就该限流了",
        "志愿者辛苦了",
        "查看全部评论",
        "赞(86)",
    ];
    let (text, _) = body(&page);
    has_all(&text, &article);
    has_none(&text, &comments);
    // Without the names that say "comments", scoring alone.
    let (text, _) = body(&unnamed(&page));
    has_all(&text, &article);
    has_none(&text, &comments);
}

#[test]
fn the_sample_portal_articles() {
    let (text, _) = body(&testdata("config/samples/portal-article-170123.html"));
    has_all(
        &text,
        &[
            "15日,大运河江苏段文旅融合重点项目集中开工仪式在扬州举行",
            "也有“烟火气”。",
        ],
    );
    has_none(&text, &["分享到", "首页", "相关阅读", "网友热搜", "版权所有"]);
    let (text, html) = body(&testdata("config/samples/portal-article-170131.html"));
    has_all(&text, &["记者从省交通运输厅获悉", "带动农民就近就业增收。"]);
    assert!(html.contains("images/170131-road.jpg"), "{html}");
    has_none(&text, &["分享到", "资讯中心", "网友热搜", "版权所有"]);
}

/// A real page's text (`shared/reference/seed-article.txt` beside the
/// repository, when it is there: it is not ours to commit), set in a
/// portal's layout with and without class names.
#[test]
fn the_seed_article_in_a_portal_layout() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/seed-article.txt");
    let Ok(seed) = std::fs::read_to_string(&path) else {
        eprintln!("skipped: no {}", path.display());
        return;
    };
    let lines: Vec<&str> = seed.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let side = lines
        .iter()
        .position(|l| *l == "网友热搜")
        .expect("the sidebar's first heading");
    let (crumb, title, meta) = (lines[0], lines[1], lines[2]);
    let article = &lines[3..side];
    let mut page = format!(
        "<html><head><title>{title}</title></head><body>\
         <div class=\"nav\"><a href=\"/\">首页</a> <a href=\"/news/\">资讯</a> <a href=\"/ent/\">娱乐</a></div>\
         <div class=\"crumb\">{}</div><div class=\"article\"><h1>{title}</h1><div class=\"meta\">{meta}</div>\
         <div class=\"article-content\">",
        crumb
            .split(" > ")
            .map(|c| format!("<a href=\"/{c}/\">{c}</a>"))
            .collect::<Vec<_>>()
            .join(" &gt; ")
    );
    for p in article {
        if p.contains('。') {
            page += &format!("<p>{p}</p>");
        } else {
            page += &format!("<p><strong>{p}</strong></p>");
        }
    }
    page += "</div></div><div class=\"side\">";
    for h in &lines[side..side + 3] {
        page +=
            &format!("<div class=\"box\"><h4>{h}</h4><ul><li><a href=\"/x\">{h}的链接</a></li></ul></div>");
    }
    page += "</div><div class=\"footer\">";
    for l in &lines[side + 3..] {
        page += &format!("<p>{l}</p>");
    }
    page += "</div></body></html>";
    let head = |s: &str| s.chars().take(30).collect::<String>();
    let tail = |s: &str| {
        s.chars()
            .rev()
            .take(30)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<String>()
    };
    let (first, last) = (head(article[1]), tail(article[article.len() - 1]));
    for page in [page.clone(), unnamed(&page)] {
        let (text, _) = body(&page);
        has_all(&text, &[&first, &last, article[0]]);
        has_none(&text, &["网友热搜", "内容精选", "版权所有", "资讯中心"]);
    }
}

#[test]
fn pages_without_an_article_give_nothing_and_say_so() {
    for page in [
        "",
        "<<<>>>",
        "<html><body><ul><li><a href=/1>首页</a></li><li><a href=/2>新闻</a></li></ul></body></html>",
        "<div>图片</div><img src=a.jpg>",
        "<p>短。</p>",
    ] {
        let got = extract_html(page);
        assert!(got.content.is_none(), "{page}: {got:?}");
        assert_eq!(got.warnings.len(), 1, "{got:?}");
        assert!(got.warnings[0].starts_with("content \"auto\" found no article text"));
    }
    // Deep nesting and a list page: read without trouble.
    let deep = format!(
        "{}<p>很深的一段话，也能读到。这是第二句。</p>{}",
        "<div>".repeat(5_000),
        "</div>".repeat(5_000)
    );
    let _ = extract_html(&deep);
    let _ = extract_html(&testdata("config/samples/portal-jiangsu-list.html"));
}

/// Not a test: runs the extractor over every `.html` file in
/// `$HUIJU_EXTRACT_PAGES` (decoded as article pages are) and writes each
/// result's text to `$HUIJU_EXTRACT_OUT/NAME.txt`, to judge it on real
/// pages that cannot be committed:
/// `HUIJU_EXTRACT_PAGES=… HUIJU_EXTRACT_OUT=… cargo test --lib survey -- --ignored`.
#[test]
#[ignore]
fn survey() {
    let (Some(pages), Some(out)) = (
        std::env::var_os("HUIJU_EXTRACT_PAGES"),
        std::env::var_os("HUIJU_EXTRACT_OUT"),
    ) else {
        return;
    };
    std::fs::create_dir_all(&out).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(&pages)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    names.sort();
    for path in names {
        let bytes = std::fs::read(&path).unwrap();
        // Saved copies are often UTF-8 still declaring the site's GBK.
        let forced = std::str::from_utf8(&bytes).is_ok().then_some(encoding_rs::UTF_8);
        let text = crate::ingest::decode::decode_html(&bytes, None, forced).text;
        let got = extract_html(&text);
        let body = got
            .content
            .as_deref()
            .map(crate::ingest::text::html_to_text)
            .unwrap_or_else(|| format!("(nothing: {:?})", got.warnings));
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        std::fs::write(std::path::Path::new(&out).join(format!("{name}.txt")), body).unwrap();
    }
}

/// Not a test: the best candidates of `$HUIJU_EXTRACT_PAGE`, for tuning.
#[test]
#[ignore]
fn candidates() {
    let Some(path) = std::env::var_os("HUIJU_EXTRACT_PAGE") else {
        return;
    };
    let bytes = std::fs::read(path).unwrap();
    let forced = std::str::from_utf8(&bytes).is_ok().then_some(encoding_rs::UTF_8);
    let text = crate::ingest::decode::decode_html(&bytes, None, forced).text;
    let doc = Html::parse_document(&text);
    let page = Page::read(&doc, true);
    let mut c: Vec<usize> = (0..page.nodes.len())
        .filter(|&i| page.nodes[i].score.is_some())
        .collect();
    c.sort_by(|&a, &b| {
        page.nodes[b]
            .final_score()
            .total_cmp(&page.nodes[a].final_score())
    });
    for &i in c.iter().take(12) {
        let e = &page.nodes[i];
        let el = e.element().unwrap();
        println!(
            "{:8.1} raw {:8.1} {} class={:?} id={:?} furniture={} {:?}",
            e.final_score(),
            e.score.unwrap(),
            el.name(),
            el.attr("class"),
            el.attr("id"),
            e.furniture,
            e.total
        );
    }
}
