//! Rules: categories by what an item says. A province-wide feed's stories
//! about 苏州 reach the 苏州 category; advertising is kept out of every
//! feed; changing a rule changes the served feeds without a refetch; `huiju
//! rules test` shows what a change would do before it is made.

use std::time::Duration;

use crate::support::{ConfigText, Env, FixtureServer, rss_today};

/// A province-wide feed (jiangsu) and a city feed (suzhou).
fn sources(srv: &FixtureServer) -> (String, String) {
    srv.rss(
        "/xhrb.rss",
        rss_today(&[
            (
                "js1",
                "工业园区发布新政",
                "本报讯 苏州工业园区昨日发布支持集成电路产业的新政。",
            ),
            ("js2", "南京地铁新线开通", "本报讯 南京地铁七号线今日开通运营。"),
            (
                "js3",
                "昆山举办招商会",
                "本報訊 崑山市舉辦招商推介會，蘇州多家企業參加。",
            ),
            ("js4", "【推广】江南名苑火热认筹", "楼盘广告。"),
        ]),
    );
    srv.rss(
        "/szdsb.rss",
        rss_today(&[
            ("sz1", "姑苏区老街修缮完工", "本报讯 平江路修缮工程完工。"),
            ("sz2", "某公司招聘启事", "招聘若干名。"),
        ]),
    );
    (srv.url("/xhrb.rss"), srv.url("/szdsb.rss"))
}

fn match_suzhou() -> toml::Value {
    toml::from_str::<toml::Table>(
        "m = [{ field = \"text\", contains = [\"苏州\", \"姑苏\", \"昆山\", \"张家港\"] }]",
    )
    .unwrap()
    .remove("m")
    .unwrap()
}

fn portal(x: &str, s: &str) -> ConfigText {
    ConfigText::new()
        .dedup("enabled", false)
        .categories(&[("jiangsu", "江苏资讯"), ("suzhou", "苏州")])
        .category_key("suzhou", "from", vec!["jiangsu"])
        .category_key("suzhou", "match", match_suzhou())
        .exclude("field = \"title\"\ncontains = [\"推广\", \"广告\", \"招聘\"]")
        .feed(x, &["jiangsu"])
        .feed(s, &["suzhou"])
}

fn export(env: &Env, category: &str) -> String {
    env.huiju(&["export", category, "--format", "json", "--limit", "100"])
        .ok()
        .stdout
}

#[test]
fn rules_route_province_stories_to_the_city_and_keep_ads_out() {
    let srv = FixtureServer::start();
    let (x, s) = sources(&srv);
    let env = Env::with(&portal(&x, &s));
    let run = env.huiju(&["fetch"]).ok();
    // Stored whatever the rules say: the ads are items too.
    assert!(run.line_for(&x).contains("4 new"), "{}", run.stdout);

    let suzhou = export(&env, "suzhou");
    // Its own feed's story, and the province's stories about 苏州 and 昆山
    // (written in Traditional characters: 崑山, 蘇州).
    for title in ["姑苏区老街修缮完工", "工业园区发布新政", "昆山举办招商会"] {
        assert!(suzhou.contains(title), "{title}: {suzhou}");
    }
    assert!(!suzhou.contains("南京地铁"), "{suzhou}");
    assert!(!suzhou.contains("招聘"), "blocked everywhere: {suzhou}");

    let jiangsu = export(&env, "jiangsu");
    assert!(jiangsu.contains("工业园区发布新政") && jiangsu.contains("南京地铁新线开通"));
    assert!(!jiangsu.contains("推广"), "{jiangsu}");
    let all = export(&env, "all");
    assert!(!all.contains("推广") && !all.contains("招聘"), "{all}");
    assert_eq!(crate::support::count(&all, "\n      \"title\": \""), 4, "{all}");
    // The routed story is labelled with both categories.
    let rss = env.huiju(&["export", "suzhou"]).ok().stdout;
    let item = rss
        .split("<item>")
        .find(|i| i.contains("工业园区发布新政"))
        .unwrap();
    assert!(
        item.contains(">江苏资讯</category>") && item.contains(">苏州</category>"),
        "{item}"
    );
}

/// Changing a rule re-applies it to the stored items at once, without
/// polling the sources again; a story routed out and back keeps its id.
#[test]
fn a_rule_change_applies_to_stored_items_without_a_refetch() {
    let srv = FixtureServer::start();
    let (x, s) = sources(&srv);
    let cfg = portal(&x, &s);
    let env = Env::with(&cfg);
    env.huiju(&["fetch"]).ok();
    let polls = srv.requests("/xhrb.rss").len();
    let id_of = |doc: &str, title: &str| -> String {
        let v: serde_json::Value = serde_json::from_str(doc).unwrap();
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["title"] == title)
            .map(|i| i["id"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    let before = id_of(&export(&env, "suzhou"), "工业园区发布新政");
    assert!(!before.is_empty());

    // 苏州 no longer matches: only 姑苏 and 昆山 do.
    let narrower: toml::Value =
        toml::from_str::<toml::Table>("m = [{ field = \"text\", contains = [\"姑苏\", \"昆山\"] }]")
            .unwrap()
            .remove("m")
            .unwrap();
    env.write_config(&cfg.clone().category_key("suzhou", "match", narrower));
    let suzhou = export(&env, "suzhou");
    assert!(!suzhou.contains("工业园区发布新政"), "{suzhou}");
    assert!(suzhou.contains("昆山举办招商会"), "{suzhou}");

    // Back: the same entry, with the same id, as readers saw it first.
    env.write_config(&cfg);
    let suzhou = export(&env, "suzhou");
    assert_eq!(id_of(&suzhou, "工业园区发布新政"), before);
    assert_eq!(srv.requests("/xhrb.rss").len(), polls, "no source was polled");
}

/// `huiju rules test` lists what a config change (or a rule given on the
/// command line) would move, with the deciding rule, and changes nothing.
#[test]
fn rules_test_is_a_dry_run_naming_the_deciding_rule() {
    let srv = FixtureServer::start();
    let (x, s) = sources(&srv);
    let cfg = portal(&x, &s);
    let env = Env::with(&cfg);
    env.huiju(&["fetch"]).ok();

    let run = env.huiju(&["rules", "test"]).ok();
    assert!(
        run.stdout.contains("suzhou (苏州): 3 → 3 items (+0 −0)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("0 changes"), "{}", run.stdout);

    // An editor drafts a rule keeping 南京 out of 江苏资讯.
    let run = env
        .huiju(&[
            "rules",
            "test",
            "--category",
            "jiangsu",
            "--rule",
            "exclude = { field = \"title\", contains = [\"南京\"] }",
        ])
        .ok();
    assert!(
        run.stdout.contains("jiangsu (江苏资讯): 3 → 2 items (+0 −1)"),
        "{}",
        run.stdout
    );
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains("南京地铁新线开通"))
        .unwrap();
    assert!(line.trim_start().starts_with('−'), "{line}");
    assert!(
        line.contains("http://news.example.cn/js2.html")
            && line.contains("excluded by jiangsu.exclude[0] title contains 南京"),
        "{line}"
    );
    assert!(
        !run.stdout.contains("suzhou ("),
        "only --category: {}",
        run.stdout
    );
    // Nothing changed.
    assert!(export(&env, "jiangsu").contains("南京地铁新线开通"));

    // The same rule written into the file: the dry run names its line.
    let file = cfg.clone().category_key(
        "jiangsu",
        "exclude",
        toml::from_str::<toml::Table>("e = [{ field = \"title\", contains = [\"南京\"] }]")
            .unwrap()
            .remove("e")
            .unwrap(),
    );
    env.write_config(&file);
    let run = env.huiju(&["rules", "test"]).ok();
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains("南京地铁新线开通"))
        .unwrap();
    let text = file.to_string();
    let at = text.lines().position(|l| l.starts_with("exclude = [{")).unwrap() + 1;
    assert!(line.contains(&format!("huiju.toml:{at}:")), "{line}\n{text}");
    // Applied by the next command that opens the store.
    assert!(!export(&env, "jiangsu").contains("南京地铁新线开通"));
    let run = env.huiju(&["rules", "test"]).ok();
    assert!(run.stdout.contains("0 changes"), "{}", run.stdout);
}

/// The daemon re-applies rules on reload and serves the change.
#[test]
fn the_daemon_applies_changed_rules_on_reload() {
    use crate::daemon::{free_port, start, wait_until};
    let srv = FixtureServer::start();
    let (x, s) = sources(&srv);
    let port = free_port();
    let cfg = portal(&x, &s)
        .server("listen", format!("127.0.0.1:{port}"))
        .server("base_url", format!("http://127.0.0.1:{port}"))
        .fetch("schedule", "0 0 3 * * *");
    let env = Env::with(&cfg);
    let d = start(&env, port);
    wait_until(20, "the first poll", || {
        let body = d.feed("/feeds/suzhou.rss").body;
        body.contains("工业园区发布新政") && body.contains("姑苏区老街修缮完工")
    });
    let polls = srv.requests("/xhrb.rss").len();
    // The status page counts what the feeds show: 3 in 苏州 (1 own, 2
    // routed), 3 in 江苏资讯 (the ad blocked), 4 in all.
    let page = d.feed("/").body;
    for (id, n) in [("suzhou", 3), ("jiangsu", 3), ("all", 4)] {
        assert!(
            page.contains(&format!("<small>({id})</small></td><td>{n}</td>")),
            "{id}: {page}"
        );
    }
    let narrower: toml::Value =
        toml::from_str::<toml::Table>("m = [{ field = \"text\", contains = [\"姑苏\"] }]")
            .unwrap()
            .remove("m")
            .unwrap();
    env.write_config(&cfg.clone().category_key("suzhou", "match", narrower));
    wait_until(20, "the rule applied", || {
        !d.feed("/feeds/suzhou.rss").body.contains("工业园区发布新政")
    });
    assert!(
        d.log().contains("rules applied to the stored items"),
        "{}",
        d.log()
    );
    assert!(
        d.feed("/")
            .body
            .contains("<small>(suzhou)</small></td><td>1</td>")
    );

    // A bad regex is refused with check's message; the running rules stay.
    let bad: toml::Value = toml::from_str::<toml::Table>("m = [{ field = \"title\", matches = \"(苏州\" }]")
        .unwrap()
        .remove("m")
        .unwrap();
    env.write_config(&cfg.clone().category_key("suzhou", "match", bad));
    wait_until(20, "the refusal", || {
        d.log().contains("keeping the running config")
    });
    let log = d.log();
    let line = log
        .lines()
        .find(|l| l.contains("keeping the running config"))
        .unwrap();
    assert!(
        line.contains("huiju.toml:") && line.contains("bad regex"),
        "{line}"
    );
    let body = d.feed("/feeds/suzhou.rss").body;
    assert!(
        body.contains("姑苏区老街修缮完工") && !body.contains("工业园区发布新政"),
        "{body}"
    );
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(srv.requests("/xhrb.rss").len(), polls, "no source was polled");
    assert_eq!(d.terminate(), 0);
}

/// `huiju explain` names the rules that routed an item.
#[test]
fn explain_names_the_rules_that_routed_an_item() {
    let srv = FixtureServer::start();
    let (x, s) = sources(&srv);
    let env = Env::with(&portal(&x, &s));
    env.huiju(&["fetch"]).ok();
    let run = env.huiju(&["explain", "http://news.example.cn/js3.html"]).ok();
    assert!(run.stdout.contains("in  jiangsu: own feed"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("in  suzhou: included from jiangsu by suzhou.match[0] text contains "),
        "{}",
        run.stdout
    );
    let run = env.huiju(&["explain", "http://news.example.cn/js4.html"]).ok();
    assert!(
        run.stdout
            .contains("out all: blocked by [[exclude]] #1 title contains 推广"),
        "{}",
        run.stdout
    );
}
