//! The rules as an editor writes them (TOML, through `Config::parse`) on
//! the items a Jiangsu portal sees.

use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::config::Config;

const DAY: i64 = 24 * 3600;
const NOW: i64 = 1_750_000_000;

fn rules(toml: &str) -> Arc<Rules> {
    match Config::parse(toml, Path::new("huiju.toml")) {
        Ok(c) => c.rules,
        Err(e) => panic!("{e}\n{toml}"),
    }
}

fn item(title: &str) -> ItemView<'_> {
    ItemView {
        title,
        first_seen: NOW,
        ..ItemView::default()
    }
}

/// Whether `rule` (an inline table) holds for `view`, seen through a
/// feed titled 新華日報.
fn holds(rule: &str, view: ItemView) -> bool {
    let rules = rules(&format!(
        "[[category]]\nid = \"c\"\ntitle = \"c\"\ninclude = [{rule}]\n\n\
         [[feed]]\nurl = \"https://news.example.cn/Jiangsu/feed.xml\"\ntitle = \"新華日報\"\ncategories = [\"c\"]\n"
    ));
    let feed = rules.feed(
        "https://news.example.cn/Jiangsu/feed.xml",
        Some("新華日報"),
        &["c"],
    );
    let routing = rules.route(&Folded::new(view), &feed);
    match routing.verdicts[0] {
        Verdict::Included(_) => true,
        Verdict::NotIncluded => false,
        v => panic!("{v:?}"),
    }
}

#[test]
fn words_match_folded_text() {
    let rule = r#"{ field = "title", contains = ["苏州", "abc"] }"#;
    assert!(holds(rule, item("蘇州工業園區")), "Traditional text");
    assert!(holds(rule, item("苏州工业园区")));
    assert!(holds(rule, item("ＡＢＣ公司")), "full-width letters");
    assert!(holds(rule, item("ABC公司")), "upper case");
    assert!(!holds(rule, item("无锡新闻")));
    // The words are folded too.
    let traditional = r#"{ field = "title", contains = ["蘇州", "ＡＢＣ"] }"#;
    assert!(holds(traditional, item("苏州工业园区")));
    assert!(holds(traditional, item("abc公司")));
}

#[test]
fn regexes_keep_their_escapes_and_fold_their_chinese() {
    let digits = r#"{ field = "title", matches = "第\\d+届" }"#;
    assert!(holds(digits, item("第12届苏州国际马拉松")));
    assert!(
        holds(digits, item("第１２届苏州国际马拉松")),
        "full-width digits fold"
    );
    assert!(!holds(digits, item("第十二届苏州国际马拉松")));
    // Folding the pattern whole would make `\D` a `\d`.
    let no_digit = r#"{ field = "title", matches = "^\\D+$" }"#;
    assert!(holds(no_digit, item("蘇州新聞")));
    assert!(!holds(no_digit, item("苏州2024")));
    // Traditional characters in the pattern, ASCII case.
    let trad = r#"{ field = "title", matches = "^蘇州.*開工|GDP" }"#;
    assert!(holds(trad, item("苏州一批项目集中开工")));
    assert!(holds(trad, item("一季度gdp增长")));
    // The issue's ad pattern; full-width brackets in a pattern are text.
    let ad = r#"{ field = "title", matches = "^【(广告|推广)】" }"#;
    assert!(holds(ad, item("【推广】新楼盘开盘")));
    assert!(!holds(ad, item("关于【推广】的说明")));
    let paren = r#"{ field = "title", matches = "（广告）$" }"#;
    assert!(holds(paren, item("新楼盘开盘(广告)")));
    assert!(holds(paren, item("新楼盘开盘（广告）")));
    assert!(!holds(paren, item("新楼盘开盘广告")), "not a group");
}

#[test]
fn not_inverts() {
    let rule = r#"{ field = "title", contains = ["推广"], not = true }"#;
    assert!(holds(rule, item("苏州新闻")));
    assert!(!holds(rule, item("推广：新楼盘")));
    let rule = r#"{ field = "author", matches = ".", not = true }"#;
    assert!(holds(rule, item("没有作者")), "no author: nothing matches");
}

#[test]
fn descriptions_say_what_a_rule_asks() {
    let rule = |field, test, not| {
        Rule::new(field, test, not, "huiju.toml:1:1")
            .unwrap()
            .description()
    };
    let words = |w: &[&str]| Test::contains(w.iter().map(|w| w.to_string()).collect()).unwrap();
    assert_eq!(rule(Field::Title, words(&["推广"]), false), "title contains 推广");
    assert_eq!(
        rule(Field::Title, words(&["推广"]), true),
        "title does not contain 推广"
    );
    assert_eq!(
        rule(Field::Text, words(&["苏州", "姑苏"]), true),
        "text contains none of 苏州, 姑苏"
    );
    assert_eq!(
        rule(Field::Link, Test::matches("/zt/").unwrap(), true),
        "link does not match /zt/"
    );
    let month = Test::older_than("30d", std::time::Duration::from_secs(30 * DAY as u64));
    assert_eq!(rule(Field::Age, month, false), "age older than 30d");
}

#[test]
fn every_field() {
    let cats = ["体育".to_string(), "Running".to_string()];
    let view = ItemView {
        title: "苏州马拉松开跑",
        content_text: "三万名跑者从金鸡湖出发。",
        author: "記者 王敏",
        link: "https://www.szdushi.com.cn/Sport/2025/0412.html",
        categories: &cats,
        ..item("")
    };
    let yes = |rule: &str| holds(rule, view);
    assert!(yes(r#"{ field = "title", contains = ["马拉松"] }"#));
    assert!(!yes(r#"{ field = "title", contains = ["金鸡湖"] }"#));
    assert!(yes(r#"{ field = "content", contains = ["金鸡湖"] }"#));
    assert!(!yes(r#"{ field = "content", contains = ["马拉松"] }"#));
    assert!(yes(r#"{ field = "text", contains = ["马拉松"] }"#));
    assert!(yes(r#"{ field = "text", contains = ["金鸡湖"] }"#));
    assert!(
        yes(r#"{ field = "text", matches = "^三万" }"#),
        "^ anchors at the content's start too"
    );
    assert!(yes(r#"{ field = "author", contains = ["记者"] }"#));
    assert!(yes(r#"{ field = "link", matches = "/sport/\\d{4}/" }"#));
    assert!(yes(r#"{ field = "category", contains = ["体育"] }"#));
    assert!(yes(r#"{ field = "category", matches = "^running$" }"#));
    assert!(!yes(r#"{ field = "category", contains = ["财经"] }"#));
    // The feed's title (as configured) or its URL.
    assert!(yes(r#"{ field = "feed", contains = ["新华日报"] }"#));
    assert!(yes(r#"{ field = "feed", contains = ["/jiangsu/"] }"#));
    assert!(!yes(r#"{ field = "feed", contains = ["苏州都市网"] }"#));
}

/// `age` is how old an item was when first seen, so re-applying the rules
/// later never drops it.
#[test]
fn age_is_first_seen_minus_published() {
    let rule = r#"{ field = "age", older_than = "30d" }"#;
    let at = |published: Option<i64>, first_seen: i64| ItemView {
        published,
        first_seen,
        ..item("旧闻")
    };
    assert!(holds(rule, at(Some(NOW - 31 * DAY), NOW)), "an archive item");
    assert!(!holds(rule, at(Some(NOW - 29 * DAY), NOW)));
    assert!(
        !holds(rule, at(Some(NOW - 400 * DAY), NOW - 400 * DAY + 3600)),
        "news when first seen stays in, however old now"
    );
    assert!(!holds(rule, at(None, NOW)), "no date: age 0");
    assert!(!holds(rule, at(Some(NOW + DAY), NOW)), "dated in the future");
    let fresh = r#"{ field = "age", older_than = "30d", not = true }"#;
    assert!(holds(fresh, at(None, NOW)));
}

/// The issue's 苏州 page, and a chain: 昆山 takes from 苏州, which takes
/// from 江苏.
const PORTAL: &str = r#"
[[category]]
id = "jiangsu"
title = "江苏资讯"

[[category]]
id = "kunshan"
title = "昆山"
from = ["suzhou"]
match = [{ field = "text", contains = ["昆山"] }]

[[category]]
id = "suzhou"
title = "苏州"
from = ["jiangsu"]
match = [{ field = "text", contains = ["苏州", "姑苏", "昆山"] }]
include = [{ field = "link", contains = ["/suzhou/"] }]
exclude = [{ field = "category", contains = ["体育"] }]

[[category]]
id = "weather"
title = "天气"
from = ["all"]
match = [{ field = "title", contains = ["天气", "气温"] }]

[[category]]
id = "lvyou"
title = "旅游"

[[feed]]
url = "https://xh.example.cn/rss.xml"
title = "新华日报"
categories = ["jiangsu"]

[[feed]]
url = "https://sz.example.cn/rss.xml"
title = "苏州都市网"
categories = ["suzhou"]

[[feed]]
url = "https://travel.example.hk/rss.xml"
title = "旅游"
categories = ["lvyou"]
exclude = [{ field = "link", matches = "/zt/" }]

[[exclude]]
field = "title"
contains = ["推广", "广告", "招聘"]

[[exclude]]
field = "age"
older_than = "30d"
"#;

struct Portal {
    rules: Arc<Rules>,
}

impl Portal {
    fn new() -> Portal {
        Portal { rules: rules(PORTAL) }
    }

    fn feed(&self, name: &str) -> FeedRef<'_> {
        match name {
            "xinhua" => self
                .rules
                .feed("https://xh.example.cn/rss.xml", Some("新华日报"), &["jiangsu"]),
            "szdushi" => self
                .rules
                .feed("https://sz.example.cn/rss.xml", Some("苏州都市网"), &["suzhou"]),
            "lvyou" => self
                .rules
                .feed("https://travel.example.hk/rss.xml", Some("旅游"), &["lvyou"]),
            _ => unreachable!(),
        }
    }

    fn route(&self, feed: &str, view: ItemView) -> Routing<'_> {
        self.rules.route(&Folded::new(view), &self.feed(feed))
    }

    /// The categories it is in, and why each.
    fn explain(&self, feed: &str, view: ItemView) -> Vec<String> {
        explain(&self.route(feed, view))
    }
}

fn explain(routing: &Routing) -> Vec<String> {
    routing
        .iter()
        .filter(|(_, v)| !matches!(v, Verdict::Absent))
        .map(|(id, v)| format!("{id}: {v}"))
        .collect()
}

#[test]
fn own_feeds_and_include() {
    let p = Portal::new();
    assert_eq!(
        p.explain("xinhua", item("南京地铁新线开通")),
        ["jiangsu: own feed"]
    );
    let local = ItemView {
        link: "https://sz.example.cn/suzhou/1.html",
        ..item("姑苏区老街改造完成")
    };
    assert_eq!(
        p.explain("szdushi", local),
        ["suzhou: included by suzhou.include[0] link contains /suzhou/ (huiju.toml:17:12)"]
    );
    let elsewhere = ItemView {
        link: "https://sz.example.cn/wuxi/1.html",
        ..item("无锡新闻")
    };
    let r = p.route("szdushi", elsewhere);
    assert_eq!(r.ids().count(), 0);
    assert!(r.in_all(), "not in a category, still in all");
    assert_eq!(explain(&r), ["suzhou: own feed, but no include rule matched"]);
}

#[test]
fn from_and_match_route_through_a_chain() {
    let p = Portal::new();
    let r = p.route("xinhua", item("昆山开通第二条地铁线"));
    assert_eq!(r.ids().collect::<Vec<_>>(), ["jiangsu", "kunshan", "suzhou"]);
    assert_eq!(
        explain(&r),
        [
            "jiangsu: own feed",
            "kunshan: included from suzhou by kunshan.match[0] text contains 昆山 (huiju.toml:10:10)",
            "suzhou: included from jiangsu by suzhou.match[0] text contains 昆山 (huiju.toml:16:10)",
        ]
    );
    // Matched in the content, in Traditional characters.
    let content = ItemView {
        content_text: "記者從蘇州市政府獲悉……",
        ..item("全省文旅项目集中开工")
    };
    assert_eq!(
        p.route("xinhua", content).ids().collect::<Vec<_>>(),
        ["jiangsu", "suzhou"]
    );
    // An item that fails suzhou's include may still come in by match,
    // through another feed's category.
    assert_eq!(
        p.route("xinhua", item("南京新闻")).ids().collect::<Vec<_>>(),
        ["jiangsu"]
    );
}

#[test]
fn exclude_beats_own_and_routed_and_what_it_keeps_out_is_not_passed_on() {
    let p = Portal::new();
    let cats = ["体育".to_string()];
    let sport = ItemView {
        categories: &cats,
        ..item("昆山马拉松开跑")
    };
    let r = p.route("xinhua", sport);
    assert_eq!(r.ids().collect::<Vec<_>>(), ["jiangsu"]);
    assert_eq!(
        r.verdict("suzhou").unwrap().to_string(),
        "excluded by suzhou.exclude[0] category contains 体育 (huiju.toml:18:12)"
    );
    assert!(
        matches!(r.verdict("kunshan"), Some(Verdict::Absent)),
        "kunshan takes from suzhou after suzhou's exclude"
    );
    let own = ItemView {
        categories: &cats,
        link: "https://sz.example.cn/suzhou/2.html",
        ..item("苏州队夺冠")
    };
    assert!(!p.route("szdushi", own).verdicts[2].is_in());
}

#[test]
fn from_all_takes_every_feed() {
    let p = Portal::new();
    for feed in ["xinhua", "szdushi", "lvyou"] {
        let r = p.route(feed, item("明天气温下降"));
        assert!(matches!(
            r.verdict("weather"),
            Some(Verdict::Routed { from: "all", .. })
        ));
    }
}

#[test]
fn block_rules_keep_items_out_of_everything() {
    let p = Portal::new();
    let r = p.route("xinhua", item("苏州招聘会本周六举行"));
    assert!(!r.in_all());
    assert_eq!(r.ids().count(), 0);
    assert_eq!(
        r.blocked.unwrap().to_string(),
        "[[exclude]] #1 title contains 招聘 (huiju.toml:46:1)"
    );
    assert_eq!(
        explain(&r)[1],
        "suzhou: blocked by [[exclude]] #1 title contains 招聘 (huiju.toml:46:1)",
        "blocked where it would have been"
    );
    assert_eq!(explain(&r).len(), 2, "and nowhere else: {:?}", explain(&r));
    let rule = r.verdicts[0].hit().unwrap().rule;
    assert_eq!(
        (rule.place(), rule.location(), rule.description().as_str()),
        (
            "[[exclude]] #1",
            "huiju.toml:46:1",
            "title contains any of 推广, 广告, 招聘"
        )
    );
    // Stale: first seen long after it was published.
    let stale = ItemView {
        published: Some(NOW - 60 * DAY),
        ..item("苏州旧闻")
    };
    assert_eq!(
        p.route("xinhua", stale).blocked.unwrap().to_string(),
        "[[exclude]] #2 age older than 30d (huiju.toml:50:1)"
    );
    // A feed's own block rules apply to its items only.
    let zt = ItemView {
        link: "https://travel.example.hk/zt/2025/index.html",
        ..item("苏州园林专题")
    };
    assert_eq!(
        p.route("lvyou", zt).blocked.unwrap().to_string(),
        "[[feed]] 旅游 exclude[0] link matches /zt/ (huiju.toml:44:12)"
    );
    assert!(p.route("xinhua", zt).in_all());
}

/// An item two feeds carry is where either pair puts it.
#[test]
fn union_over_feeds() {
    let p = Portal::new();
    let view = ItemView {
        link: "https://travel.example.hk/zt/suzhou.html",
        ..item("苏州园林游")
    };
    let mut r = p.route("lvyou", view);
    assert!(!r.in_all());
    r.union(p.route("xinhua", view));
    assert!(r.in_all(), "the 新华日报 copy is not blocked");
    assert_eq!(r.ids().collect::<Vec<_>>(), ["jiangsu", "suzhou"]);
    assert!(
        r.verdict("lvyou")
            .unwrap()
            .to_string()
            .starts_with("blocked by [[feed]] 旅游"),
        "the reason it is not in lvyou is kept"
    );
}

#[test]
fn fields_are_folded_once_and_only_when_a_rule_reads_them() {
    let p = Portal::new();
    let folded = Folded::new(ItemView {
        content_text: "正文",
        ..item("南京新闻")
    });
    let feed = p.feed("xinhua");
    let first = p.rules.route(&folded, &feed);
    let title = folded.title.get().unwrap().as_ptr();
    let again = p.rules.route(&folded, &feed);
    assert_eq!(folded.title.get().unwrap().as_ptr(), title, "not folded again");
    assert_eq!(explain(&first), explain(&again));
    assert!(folded.author.get().is_none() && folded.categories.get().is_none());
    assert_eq!(folded.view().title, "南京新闻");
}

#[test]
fn rules_are_shared_between_threads() {
    fn send_sync<T: Send + Sync + std::fmt::Debug>() {}
    send_sync::<Rules>();
    assert!(
        rules(PORTAL)
            .category_ids()
            .eq(["jiangsu", "kunshan", "suzhou", "weather", "lvyou"])
    );
    assert!(!rules(PORTAL).is_empty());
    assert!(rules("[[category]]\nid = \"a\"\ntitle = \"a\"\n").is_empty());
}

#[test]
fn regex_messages_are_one_line() {
    let e = Test::matches("(苏州").unwrap_err();
    assert_eq!(e, "unclosed group");
    let e = Test::matches("a{99999999}").unwrap_err();
    assert!(!e.contains('\n'), "{e}");
    assert_eq!(fold_pattern(r"\D（蘇州）\W"), r"\D\(苏州\)\W");
}

/// The shipped example config routes as its comments say.
#[test]
fn the_shipped_example() {
    let c = Config::parse(
        include_str!("../../config/huiju.toml"),
        Path::new("config/huiju.toml"),
    )
    .unwrap();
    let feed = |title: &str| {
        let f = c
            .feeds
            .iter()
            .find(|f| f.title.as_deref() == Some(title))
            .unwrap();
        c.rules.feed(f.url.as_str(), f.title.as_deref(), &f.categories)
    };
    let (xinhua, portal) = (feed("新华日报"), feed("苏州都市网·江苏资讯"));
    // Prefixes: the example's line numbers change as it is edited.
    let route = |feed: &FeedRef, view| explain(&c.rules.route(&Folded::new(view), feed));
    let starts = |got: Vec<String>, want: &[&str]| {
        assert_eq!(got.len(), want.len(), "{got:?}");
        for (g, w) in got.iter().zip(want) {
            assert!(g.starts_with(w), "{g}\nwant {w}");
        }
    };
    let kunshan = ItemView {
        content_text: "昆山电子信息产业一季度产值稳中有升。",
        ..item("一季度江苏电子信息产业稳中有升")
    };
    starts(
        route(&xinhua, kunshan),
        &[
            "jiangsu: own feed",
            "suzhou: included from jiangsu by suzhou.match[0] text contains 昆山 (config/huiju.toml:",
        ],
    );
    let jobs = item("江苏高校毕业生“春风行动”专场招聘会举行 提供岗位超2万个");
    assert!(route(&xinhua, jobs)[0].starts_with("jiangsu: blocked by [[exclude]] #1 title contains 招聘"));
    let video = ItemView {
        link: "http://www.szdushi.com.cn/video/202304/1.html",
        ..item("视频：苏州新闻")
    };
    assert!(
        route(&portal, video)[0].starts_with("jiangsu: blocked by [[feed]] 苏州都市网·江苏资讯 exclude[0]")
    );
    starts(
        route(&xinhua, video),
        &[
            "jiangsu: own feed",
            "suzhou: included from jiangsu by suzhou.match[0] text contains 苏州 (config/huiju.toml:",
        ],
    );
}
