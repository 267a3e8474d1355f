//! `[[host]]` tables: politeness, user agent and headers per host.

use std::time::Duration;

use crate::support::{ConfigText, Env, FixtureServer, Route, count, fixture};

const CATEGORIES: &[(&str, &str)] = &[("misc", "其他")];

fn value(v: impl Into<toml::Value>) -> toml::Value {
    v.into()
}

/// A local RSSHub-like host: with `gap = "0ms"` and 16 slots its 200
/// feeds are asked many at once; by default it would see one at a time,
/// a quarter second apart.
#[test]
fn a_host_with_no_gap_and_many_slots_is_polled_at_once() {
    let hub = FixtureServer::start();
    hub.delay(Duration::from_millis(100));
    let mut cfg = ConfigText::new()
        .fetch("concurrency", 32)
        .categories(CATEGORIES)
        .host("127.0.0.1", &[("per_host", value(16)), ("gap", value("0ms"))]);
    for i in 0..200 {
        let path = format!("/route{i}.rss");
        hub.feed(&path, "xinhua.rss");
        cfg = cfg.feed(&hub.url(&path), &["misc"]);
    }
    let env = Env::with(&cfg);
    let run = env.huiju(&["fetch"]).ok();
    assert_eq!(count(&run.stdout, "unchanged\n"), 200, "{}", run.stdout);
    let most = hub.max_in_flight();
    assert!(most > 8, "at most {most} requests at once with per_host = 16");
    assert!(most <= 16, "{most} requests at once, more than per_host = 16");
}

/// A fragile host with `gap = "1s"`: its requests start a second apart,
/// while another host keeps the default.
#[test]
fn a_host_with_a_long_gap_is_asked_slowly() {
    let fragile = FixtureServer::start_on("127.0.0.2");
    let mut cfg = ConfigText::new()
        .categories(CATEGORIES)
        .host("127.0.0.2", &[("gap", value("1s"))]);
    for i in 0..3 {
        let path = format!("/portal{i}.rss");
        fragile.feed(&path, "xinhua.rss");
        cfg = cfg.feed(&fragile.url(&path), &["misc"]);
    }
    let env = Env::with(&cfg);
    env.huiju(&["fetch"]).ok();
    let mut times: Vec<_> = (0..3)
        .flat_map(|i| fragile.requests(&format!("/portal{i}.rss")))
        .map(|s| s.at)
        .collect();
    times.sort();
    assert_eq!(times.len(), 3);
    for w in times.windows(2) {
        let apart = w[1] - w[0];
        assert!(
            apart >= Duration::from_millis(950),
            "requests only {apart:?} apart"
        );
    }
}

/// `user_agent` and `headers` reach the host they are set for, on a 304
/// poll too (with its validators), and no other host.
#[test]
fn headers_and_user_agent_reach_only_their_host() {
    let portal = FixtureServer::start();
    let other = FixtureServer::start_on("127.0.0.2");
    portal.route(
        "/feed.rss",
        Route::Body {
            bytes: fixture("xinhua.rss"),
            content_type: "application/rss+xml",
            etag: Some("\"v1\""),
        },
    );
    other.feed("/other.rss", "xinhua.rss");
    let mut headers = toml::Table::new();
    headers.insert("Referer".into(), value("https://portal.example/"));
    headers.insert("Accept-Language".into(), value("zh-CN"));
    let cfg = ConfigText::new()
        .fetch("user_agent", "huiju-test-default")
        .categories(CATEGORIES)
        .host(
            "127.0.0.1",
            &[
                ("user_agent", value("Mozilla/5.0 portal")),
                ("headers", toml::Value::Table(headers)),
            ],
        )
        .feed(&portal.url("/feed.rss"), &["misc"])
        .feed(&other.url("/other.rss"), &["misc"]);
    let env = Env::with(&cfg);
    env.huiju(&["fetch"]).ok();
    let run = env.huiju(&["fetch"]).ok();
    assert!(run.stdout.contains("not modified"), "{}", run.stdout);

    let seen = portal.requests("/feed.rss");
    assert_eq!(seen.len(), 2);
    for s in &seen {
        assert_eq!(s.user_agent.as_deref(), Some("Mozilla/5.0 portal"));
        assert_eq!(
            s.headers.get("referer").map(String::as_str),
            Some("https://portal.example/")
        );
        assert_eq!(
            s.headers.get("accept-language").map(String::as_str),
            Some("zh-CN")
        );
    }
    assert_eq!(
        seen[1].if_none_match.as_deref(),
        Some("\"v1\""),
        "the 304 poll sends its validators"
    );

    for s in other.requests("/other.rss") {
        assert_eq!(s.user_agent.as_deref(), Some("huiju-test-default"));
        assert!(!s.headers.contains_key("referer"), "{:?}", s.headers);
        assert!(!s.headers.contains_key("accept-language"), "{:?}", s.headers);
    }
}

/// Mistakes in `[[host]]` name file, line and column.
#[test]
fn check_names_the_line_of_a_bad_host_table() {
    let base = "[storage]\ndatabase = \"huiju.db\"\n\n[[category]]\nid = \"misc\"\ntitle = \"x\"\n\n";
    let cases = [
        (
            "[[host]]\nmatch = \"a.example\"\ngap = \"2 parsecs\"\n",
            ":10:7: host gap: bad duration",
        ),
        ("[[host]]\nmatch = \"\"\n", ":9:9: host match ''"),
        ("[[host]]\nmatch = \"*.\"\n", ":9:9: host match"),
        (
            "[[host]]\nmatch = \"a.example\"\nper_host = 0\n",
            ":10:12: host per_host must be at least 1",
        ),
        (
            "[[host]]\nmatch = \"a.example\"\nheaders = { \"Bad Name\" = \"x\" }\n",
            ":10:11: invalid header name 'Bad Name'",
        ),
        (
            "[[host]]\nmatch = \"a.example\"\nheaders = { Referer = \"a\\nb\" }\n",
            ":10:23: invalid value for header 'Referer'",
        ),
        (
            "[[host]]\nmatch = \"a.example\"\n\n[[host]]\nmatch = \"A.example\"\n",
            ":12:9: duplicate host match 'a.example' (first at line 9)",
        ),
        (
            "[[host]]\nmatch = \"a.example\"\nslots = 3\n",
            ":10:1: unknown field `slots`",
        ),
    ];
    for (table, want) in cases {
        let env = Env::empty();
        std::fs::write(env.config(), format!("{base}{table}")).unwrap();
        let out = env.huiju(&["check"]);
        assert_ne!(out.code, 0, "{table}");
        assert!(
            out.stderr.contains("huiju.toml") && out.stderr.contains(want),
            "{table}\n{}",
            out.stderr
        );
    }
    // A good one passes.
    let env = Env::empty();
    let good = "[[host]]\nmatch = \"*.rsshub.example\"\nper_host = 16\ngap = \"0ms\"\nheaders = { Referer = \"https://x.example/\" }\n";
    let two = format!("{good}\n[[host]]\nmatch = \"portal.example\"\ngap = \"2s\"\n");
    std::fs::write(env.config(), format!("{base}{two}")).unwrap();
    let out = env.huiju(&["check"]).ok().stdout;
    assert!(out.contains(", 0 feeds, 2 host rules, database "), "{out}");
}

/// A reload's `[[host]]` tables apply to the requests that start after it.
#[test]
fn host_tables_follow_a_reload() {
    use crate::daemon::{config, free_port, start, wait_until};
    let srv = FixtureServer::start();
    srv.feed("/a.rss", "xinhua.rss").feed("/b.rdf", "tiyu.rdf");
    let port = free_port();
    let one = config(port, "0 0 3 * * *").feed(&srv.url("/a.rss"), &["jiangsu"]);
    let env = Env::with(&one);
    let d = start(&env, port);
    wait_until(20, "the first poll", || !srv.requests("/a.rss").is_empty());
    assert!(!srv.requests("/a.rss")[0].headers.contains_key("referer"));

    // A new table and a new feed (polled at once): the new request has it.
    let mut headers = toml::Table::new();
    headers.insert("Referer".into(), value("https://portal.example/"));
    let two = one
        .host("127.0.0.1", &[("headers", toml::Value::Table(headers))])
        .feed(&srv.url("/b.rdf"), &["misc"]);
    env.write_config(&two);
    wait_until(20, "the added feed's poll", || !srv.requests("/b.rdf").is_empty());
    let seen = &srv.requests("/b.rdf")[0];
    assert_eq!(
        seen.headers.get("referer").map(String::as_str),
        Some("https://portal.example/"),
        "{}",
        d.log()
    );
    assert_eq!(d.terminate(), 0);
}
