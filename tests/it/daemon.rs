//! `huiju run` as a real process: HTTP, schedules, signals, reloads.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{ConfigText, Env, FixtureServer, Route, count, feedparser_entries};

/// A running daemon; killed if a test ends without stopping it.
pub(crate) struct Daemon {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `cond` every 100 ms for up to `secs` seconds.
#[track_caller]
pub(crate) fn wait_until(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}

/// A raw HTTP/1.1 response.
pub(crate) struct Resp {
    pub(crate) status: u16,
    headers: Vec<(String, String)>,
    pub(crate) body: String,
    pub(crate) bytes: Vec<u8>,
}

impl Resp {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// GET over a plain socket, so the test sees exactly what a reader gets.
pub(crate) fn get(port: u16, path: &str, headers: &[(&str, &str)]) -> Option<Resp> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&raw[split + 4..]).into_owned(),
        bytes: raw[split + 4..].to_vec(),
    })
}

const CATEGORIES: &[(&str, &str)] = &[("jiangsu", "江苏资讯"), ("misc", "其他")];

/// A daemon serving on `port` that polls on `schedule`, with no feeds yet.
pub(crate) fn config(port: u16, schedule: &str) -> ConfigText {
    ConfigText::new()
        .server("listen", format!("127.0.0.1:{port}"))
        .server("base_url", format!("http://127.0.0.1:{port}"))
        .fetch("schedule", schedule)
        .categories(CATEGORIES)
}

pub(crate) fn start(env: &Env, port: u16) -> Daemon {
    start_with(env, port, &[])
}

fn start_with(env: &Env, port: u16, vars: &[(&str, &std::ffi::OsStr)]) -> Daemon {
    let log = env.dir.path().join("daemon.log");
    let child = Command::new(env!("CARGO_BIN_EXE_huiju"))
        .arg("--config")
        .arg(env.config())
        .arg("run")
        .env_remove("HUIJU_CONFIG")
        .env_remove("NOTIFY_SOCKET")
        .env_remove("WATCHDOG_USEC")
        .env("RUST_LOG", "huiju=info")
        .envs(vars.iter().copied())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("huiju run starts");
    let d = Daemon { child, port, log };
    wait_until(20, "/healthz", || {
        get(port, "/healthz", &[]).is_some_and(|r| r.status == 200)
    });
    d
}

impl Daemon {
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub(crate) fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig}");
    }

    pub(crate) fn feed(&self, path: &str) -> Resp {
        get(self.port, path, &[]).unwrap_or_else(|| panic!("GET {path} failed"))
    }

    /// SIGTERM, then the exit code (within 10 s).
    pub(crate) fn terminate(mut self) -> i32 {
        self.signal("-TERM");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(
                Instant::now() < deadline,
                "did not exit within 10 s of SIGTERM:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[test]
fn serves_feeds_polls_on_schedule_and_stops_cleanly() {
    let srv = FixtureServer::start();
    srv.feed("/x.rss", "xinhua.rss")
        .feed("/gb.xml", "suzhou-gb2312.xml");
    let port = free_port();
    let env = Env::with(
        &config(port, "*/2 * * * * *")
            .feed(&srv.url("/x.rss"), &["jiangsu"])
            .feed(&srv.url("/gb.xml"), &["jiangsu"]),
    );
    let d = start(&env, port);
    // The first poll at start, then the cron ticks (every 2 s) poll again.
    wait_until(20, "a scheduled poll", || srv.requests("/x.rss").len() >= 3);

    let rss = d.feed("/feeds/jiangsu.rss");
    assert_eq!(rss.status, 200);
    assert_eq!(
        rss.header("content-type"),
        Some("application/rss+xml; charset=utf-8")
    );
    assert!(rss.body.contains(&format!(
        "href=\"http://127.0.0.1:{port}/feeds/jiangsu.rss\" rel=\"self\""
    )));
    assert_eq!(count(&rss.body, "<item>"), 4, "{}", rss.body);
    assert_eq!(feedparser_entries(&rss.body), 4);
    // The feed's date is when it last changed (its entries were stored
    // now), not its newest entry's date (2023).
    let lm = chrono::DateTime::parse_from_rfc2822(rss.header("last-modified").unwrap()).unwrap();
    assert!(
        (chrono::Utc::now() - lm.to_utc()).num_seconds().abs() < 120,
        "{lm}"
    );

    // Conditional requests: ETag and Last-Modified both give 304.
    // Kept rendered: polling the same feed again costs no rendering.
    let renders = |d: &Daemon| -> u64 {
        let m = d.feed("/metrics").body;
        let line = m
            .lines()
            .find(|l| l.starts_with("huiju_renders_total "))
            .expect("renders metric")
            .to_string();
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    let before = renders(&d);
    for _ in 0..5 {
        assert_eq!(d.feed("/feeds/jiangsu.rss").body, rss.body);
    }
    assert_eq!(renders(&d), before, "cached bytes served without rendering");
    let etag = rss.header("etag").expect("an ETag").to_string();
    let again = get(port, "/feeds/jiangsu.rss", &[("If-None-Match", &etag)]).unwrap();
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let since = get(
        port,
        "/feeds/jiangsu.rss",
        &[("If-Modified-Since", rss.header("last-modified").unwrap())],
    )
    .unwrap();
    assert_eq!(since.status, 304);
    let before_the_change = get(
        port,
        "/feeds/jiangsu.rss",
        &[("If-Modified-Since", "Sat, 15 Apr 2023 03:30:00 GMT")],
    )
    .unwrap();
    assert_eq!(
        before_the_change.status, 200,
        "stored after the newest entry's date"
    );
    let stale = get(port, "/feeds/jiangsu.rss", &[("If-None-Match", "\"stale\"")]).unwrap();
    assert_eq!(stale.status, 200);

    let atom = d.feed("/feeds/jiangsu.atom");
    assert_eq!(
        atom.header("content-type"),
        Some("application/atom+xml; charset=utf-8")
    );
    assert_eq!(feedparser_entries(&atom.body), 4);
    assert!(
        atom.body
            .contains(&format!("<id>http://127.0.0.1:{port}/feeds/jiangsu</id>"))
    );
    let json = d.feed("/feeds/all.json");
    assert_eq!(
        json.header("content-type"),
        Some("application/feed+json; charset=utf-8")
    );
    let v: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(v["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(v["items"].as_array().unwrap().len(), 4);

    // RSSHub-style filters.
    assert_eq!(count(&d.feed("/feeds/jiangsu.rss?limit=1").body, "<item>"), 1);
    let q = d.feed("/feeds/jiangsu.rss?q=%E8%BF%90%E6%B2%B3").body; // 运河
    assert_eq!(count(&q, "<item>"), 1, "{q}");
    assert!(q.contains("大运河江苏段文旅项目集中开工"));

    assert_eq!(d.feed("/feeds/sport.rss").status, 404);
    assert!(
        d.feed("/feeds/sport.rss")
            .body
            .contains("unknown category 'sport'")
    );
    assert_eq!(d.feed("/feeds/jiangsu.xml").status, 404);
    assert_eq!(d.feed("/etc/passwd").status, 404);

    // Readers asking for gzip get the document compressed once at render
    // time, under its own ETag, which revalidates like the plain one.
    let plain = d.feed("/feeds/all.rss");
    let gz = get(port, "/feeds/all.rss", &[("Accept-Encoding", "br;q=0.5, gzip")]).unwrap();
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    let mut unzipped = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz.bytes[..]), &mut unzipped).unwrap();
    assert_eq!(unzipped, plain.body);
    let gz_etag = gz.header("etag").unwrap();
    assert_ne!(Some(gz_etag), plain.header("etag"));
    assert!(gz.header("vary").is_some_and(|v| v.contains("accept-encoding")));
    let again = get(
        port,
        "/feeds/all.rss",
        &[("Accept-Encoding", "gzip"), ("If-None-Match", gz_etag)],
    )
    .unwrap();
    assert_eq!(again.status, 304);
    let refused = get(port, "/feeds/all.rss", &[("Accept-Encoding", "gzip;q=0")]).unwrap();
    assert_eq!(refused.header("content-encoding"), None);
    assert_eq!(refused.body, plain.body);

    let status = d.feed("/");
    assert_eq!(status.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(
        status.body.contains("江苏资讯") && status.body.contains(&srv.url("/gb.xml")),
        "{}",
        status.body
    );
    assert!(status.body.contains("name=\"viewport\"") && !status.body.contains("<script"));
    let opml = d.feed("/opml").body;
    assert!(
        opml.contains(&format!("xmlUrl=\"http://127.0.0.1:{port}/feeds/jiangsu.rss\"")),
        "{opml}"
    );
    // The Prometheus text format by default (curl, older scrapers) …
    let plain = d.feed("/metrics");
    let content_type = |r: &Resp| {
        r.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert!(
        content_type(&plain).starts_with("text/plain; version=0.0.4"),
        "{:?}",
        plain.headers
    );
    assert!(
        plain.body.contains("# TYPE huiju_fetches_total counter"),
        "{}",
        plain.body
    );
    assert!(!plain.body.contains("# EOF"), "{}", plain.body);
    // … OpenMetrics to a scraper that asks for it, as Prometheus does.
    let open = get(
        port,
        "/metrics",
        &[(
            "Accept",
            "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
        )],
    )
    .unwrap();
    assert!(
        content_type(&open).starts_with("application/openmetrics-text"),
        "{:?}",
        open.headers
    );
    assert!(open.body.ends_with("# EOF\n"), "{}", open.body);
    let metrics = plain.body;
    assert!(
        metrics.contains("huiju_fetches_total{outcome=\"ok\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("huiju_items_total{kind=\"new\"} 4"), "{metrics}");
    assert!(
        metrics.contains("huiju_http_requests_total{route=\"/feeds/{file}\",status=\"304\"} 3"),
        "{metrics}"
    );
    assert!(metrics.contains("huiju_fetch_duration_seconds_count"));

    // `fetch` and `export` keep working beside the daemon on the same database.
    env.huiju(&["fetch"]).ok();
    assert_eq!(count(&env.huiju(&["export", "jiangsu"]).ok().stdout, "<item>"), 4);

    assert_eq!(d.terminate(), 0);
}

#[test]
fn retry_after_holds_the_daemon_back() {
    let srv = FixtureServer::start();
    srv.route("/busy.rss", Route::Status(429, Some("3600")))
        .route("/hang.rss", Route::Hang(Duration::from_secs(60)))
        .route("/gone.rss", Route::Status(410, None))
        .feed("/ok.rss", "xinhua.rss")
        .feed("/a-ok.rss", "xinhua.rss");
    let port = free_port();
    let env = Env::with(
        &config(port, "* * * * * *")
            .feed(&srv.url("/a-ok.rss"), &["jiangsu"])
            .feed(&srv.url("/busy.rss"), &["misc"])
            .feed(&srv.url("/hang.rss"), &["misc"])
            .feed(&srv.url("/gone.rss"), &["misc"])
            .feed(&srv.url("/ok.rss"), &["jiangsu"]),
    );
    let d = start(&env, port);
    // Ticks every second: the healthy feed keeps being polled, the busy one
    // not, and the hanging one is not asked again while its poll still runs.
    wait_until(20, "several polls of the healthy feed", || {
        srv.requests("/ok.rss").len() >= 4
    });
    assert_eq!(
        srv.requests("/busy.rss").len(),
        1,
        "asked again before Retry-After"
    );
    assert_eq!(
        srv.requests("/hang.rss").len(),
        1,
        "polls of one feed must not overlap"
    );
    let page = d.feed("/").body;
    assert!(page.contains("HTTP 429 Too Many Requests"), "{page}");
    assert!(
        page.contains("已失效 Gone"),
        "a 410 feed is shown as gone: {page}"
    );
    // Failing feeds come first, and the count of them leads the page.
    assert!(page.contains("2 个出错"), "{page}");
    let at = |path: &str| page.find(&format!(">{}<", srv.url(path))).unwrap();
    assert!(at("/gone.rss") < at("/a-ok.rss") && at("/busy.rss") < at("/gone.rss"));
    assert_eq!(
        srv.requests("/gone.rss").len(),
        1,
        "a gone feed is not asked again soon"
    );
    drop(d);
    // A restarted daemon still knows (the state lives in the database).
    let d = start(&env, port);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(srv.requests("/busy.rss").len(), 1);
    assert_eq!(d.terminate(), 0);
}

#[test]
fn polls_waiting_to_start_do_not_hold_up_shutdown() {
    // Ten hanging feeds of one host with one request slot: four polls
    // start (the host's share), six wait for a place. At SIGTERM the
    // waiting ones must be dropped, not counted as still running.
    let srv = FixtureServer::start();
    let port = free_port();
    let cfg = (0..10).fold(
        config(port, "0 0 0 1 1 *")
            .fetch("concurrency", 1)
            .fetch("per_host", 2),
        |cfg, i| {
            let path = format!("/hang{i}.rss");
            srv.route(&path, Route::Hang(Duration::from_secs(60)));
            cfg.feed(&srv.url(&path), &["misc"])
        },
    );
    let env = Env::with(&cfg);
    let d = start(&env, port);
    let asked = || {
        (0..10)
            .filter(|i| !srv.requests(&format!("/hang{i}.rss")).is_empty())
            .count()
    };
    wait_until(20, "a hanging poll", || asked() > 0);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(asked(), 1, "one request slot, and that request hangs");
    let log_path = d.log.clone();
    assert_eq!(d.terminate(), 0);
    let log = std::fs::read_to_string(log_path).unwrap();
    assert!(!log.contains("still running"), "{log}");
    assert!(log.contains("stopped"), "{log}");
}

#[test]
fn polls_that_panic_give_their_places_back() {
    // A bug that panics a refresh task, injected (debug builds) on every
    // poll of /bug1.rss and /bug2.rss. Their host has two places to start
    // polls in (per_host 1): had the panicking polls kept theirs, /ok.rss
    // would never be polled, and had they stayed "in flight", the buggy
    // feeds would never be tried again.
    let srv = FixtureServer::start();
    srv.feed("/bug1.rss", "xinhua.rss")
        .feed("/bug2.rss", "xinhua.rss")
        .feed("/ok.rss", "xinhua.rss");
    let port = free_port();
    let env = Env::with(
        &config(port, "* * * * * *")
            .fetch("concurrency", 1)
            .fetch("per_host", 1)
            .feed(&srv.url("/bug1.rss"), &["jiangsu"])
            .feed(&srv.url("/bug2.rss"), &["jiangsu"])
            .feed(&srv.url("/ok.rss"), &["jiangsu"]),
    );
    let d = start_with(
        &env,
        port,
        &[("HUIJU_FAILPOINT_REFRESH_PANIC", std::ffi::OsStr::new("/bug"))],
    );
    wait_until(20, "five polls of the healthy feed", || {
        srv.requests("/ok.rss").len() >= 5
    });
    wait_until(20, "the buggy feeds tried again", || {
        count(&d.log(), "failpoint HUIJU_FAILPOINT_REFRESH_PANIC") >= 4
    });
    assert_eq!(d.feed("/healthz").status, 200);
    assert_eq!(d.terminate(), 0);
}

#[test]
fn reloads_on_sighup_and_on_file_change_and_keeps_a_good_config() {
    let srv = FixtureServer::start();
    srv.feed("/x.rss", "xinhua.rss").feed("/tiyu.rdf", "tiyu.rdf");
    let port = free_port();
    let one = config(port, "0 0 3 * * *").feed(&srv.url("/x.rss"), &["jiangsu"]);
    let env = Env::with(&one);
    // systemd's side of sd_notify: a datagram socket the daemon reports to.
    let sock_path = env.dir.path().join("notify.sock");
    let sock = std::os::unix::net::UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let notes = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let reader = {
        let notes = notes.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            let deadline = Instant::now() + Duration::from_secs(90);
            while Instant::now() < deadline {
                if let Ok(n) = sock.recv(&mut buf) {
                    let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
                    let stop = msg.contains("STOPPING=1");
                    notes.lock().unwrap().push(msg);
                    if stop {
                        return;
                    }
                }
            }
        })
    };
    let d = start_with(
        &env,
        port,
        &[
            ("NOTIFY_SOCKET", sock_path.as_os_str()),
            ("WATCHDOG_USEC", std::ffi::OsStr::new("1000000")),
        ],
    );
    let saw = |what: &str| notes.lock().unwrap().iter().any(|m| m.contains(what));
    wait_until(10, "READY=1", || saw("READY=1"));
    wait_until(10, "a watchdog ping", || saw("WATCHDOG=1"));
    wait_until(20, "the first poll", || {
        count(&d.feed("/feeds/all.rss").body, "<item>") == 2
    });

    // Add a feed, SIGHUP: it is polled at once (the schedule is daily).
    let two = one.clone().feed(&srv.url("/tiyu.rdf"), &["misc"]);
    env.write_config(&two);
    d.signal("-HUP");
    wait_until(20, "the added feed's items", || {
        d.feed("/feeds/misc.rss").body.contains("苏州马拉松鸣枪开跑")
    });

    // A broken config is refused with `check`'s message; the old one keeps serving.
    env.write_config(&two.to_string().replace("title = \"其他\"", "title = \"其他"));
    d.signal("-HUP");
    wait_until(20, "the refusal in the log", || {
        d.log().contains("keeping the running config")
    });
    let log = d.log();
    assert!(
        log.contains(&format!("{}:", env.config().display())),
        "names the file: {log}"
    );
    assert_eq!(d.feed("/healthz").status, 200);
    assert_eq!(count(&d.feed("/feeds/all.rss").body, "<item>"), 4);
    assert_eq!(d.feed("/feeds/misc.rss").status, 200);

    // Saving a fixed config is enough: the folder is watched. A renamed
    // category shows at once, the removed feed's category is gone.
    let tmp = env.dir.path().join("huiju.toml.new");
    std::fs::write(&tmp, one.category_key("misc", "id", "tiyu").to_string()).unwrap();
    std::fs::rename(&tmp, env.config()).unwrap(); // as editors save
    wait_until(20, "the file-change reload", || {
        d.feed("/feeds/tiyu.rss").status == 200
    });
    assert_eq!(d.feed("/feeds/misc.rss").status, 404);
    assert_eq!(
        count(&d.feed("/feeds/all.rss").body, "<item>"),
        2,
        "removed feed's items leave `all`"
    );
    assert_eq!(d.terminate(), 0);
    reader.join().unwrap();
    let notes = notes.lock().unwrap().clone();
    // The test's own writes of the config also trigger the file watcher, so
    // a step may reload twice; every reload ends with READY, refused or not.
    let reloads = notes
        .iter()
        .filter(|m| m.contains("RELOADING=1") && m.contains("MONOTONIC_USEC="))
        .count();
    assert!(reloads >= 3, "two SIGHUPs and one file change: {notes:?}");
    let readies = notes.iter().filter(|m| m.contains("READY=1")).count();
    assert_eq!(
        readies,
        reloads + 1,
        "READY after start and after each reload: {notes:?}"
    );
    assert!(notes.last().unwrap().contains("STOPPING=1"), "{notes:?}");
}

/// A real feed reader: newsboat subscribes to a category and reads every
/// item with its Chinese title.
#[test]
fn newsboat_reads_a_category() {
    let srv = FixtureServer::start();
    srv.feed("/x.rss", "xinhua.rss")
        .feed("/gb.xml", "suzhou-gb2312.xml");
    let port = free_port();
    let env = Env::with(
        &config(port, "0 0 3 * * *")
            .feed(&srv.url("/x.rss"), &["jiangsu"])
            .feed(&srv.url("/gb.xml"), &["jiangsu"]),
    );
    let d = start(&env, port);
    wait_until(20, "both feeds polled", || {
        count(&d.feed("/feeds/jiangsu.rss").body, "<item>") == 4
    });

    let home = env.dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let urls = home.join("urls");
    std::fs::write(&urls, format!("http://127.0.0.1:{port}/feeds/jiangsu.rss\n")).unwrap();
    let cache = home.join("cache.db");
    let out = Command::new("newsboat")
        .args(["-x", "reload", "-u"])
        .arg(&urls)
        .arg("-c")
        .arg(&cache)
        .arg("-C")
        .arg(home.join("config"))
        .env("HOME", &home)
        .output()
        .expect("newsboat is installed (apt-get install newsboat; .ci/run does it)");
    assert!(
        out.status.success(),
        "newsboat: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = rusqlite::Connection::open(&cache).unwrap();
    let mut titles: Vec<String> = db
        .prepare("SELECT title FROM rss_item ORDER BY title")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    titles.sort();
    let mut expected = vec![
        "汇聚磅礴“工力量” 书写劳动新荣光",
        "大运河江苏段文旅项目集中开工",
        "苏州地铁S1线全线电通",
        "平江路启动古建修缮",
    ];
    expected.sort();
    assert_eq!(titles, expected);
    let feed_title: String = db
        .query_row("SELECT title FROM rss_feed", [], |r| r.get(0))
        .unwrap();
    assert_eq!(feed_title, "江苏资讯");
    assert_eq!(d.terminate(), 0);
}

/// WebSub: the hub is advertised, and told when a category's feed changes.
#[test]
fn websub_hub_is_advertised_and_notified() {
    let srv = FixtureServer::start();
    srv.feed("/x.rss", "xinhua.rss")
        .route("/hub", Route::Status(204, None));
    let port = free_port();
    let env = Env::with(
        &config(port, "0 0 3 * * *")
            .server("websub_hub", srv.url("/hub"))
            .feed(&srv.url("/x.rss"), &["jiangsu"]),
    );
    let d = start(&env, port);
    wait_until(20, "a publish ping to the hub", || {
        !srv.requests("/hub").is_empty()
    });
    let ping = &srv.requests("/hub")[0];
    assert_eq!(ping.method, "POST");
    assert!(ping.body.contains("hub.mode=publish"), "{}", ping.body);
    let topic = format!("hub.url=http%3A%2F%2F127.0.0.1%3A{port}%2Ffeeds%2Fjiangsu.rss");
    assert!(ping.body.contains(&topic), "{}", ping.body);
    assert!(ping.body.contains("feeds%2Fall.atom"), "{}", ping.body);
    let rss = d.feed("/feeds/jiangsu.rss").body;
    assert!(
        rss.contains(&format!("<atom:link href=\"{}\" rel=\"hub\"/>", srv.url("/hub"))),
        "{rss}"
    );
    assert_eq!(d.terminate(), 0);
}

/// A source adds an item dated before the newest one already shown: the
/// document changed, so a reader that sends only `If-Modified-Since` gets
/// it, with a later Last-Modified; asking again gets 304.
#[test]
fn an_older_dated_new_item_changes_last_modified() {
    let srv = FixtureServer::start();
    srv.feed("/x.rss", "xinhua.rss");
    let port = free_port();
    let env = Env::with(&config(port, "*/1 * * * * *").feed(&srv.url("/x.rss"), &["jiangsu"]));
    let d = start(&env, port);
    wait_until(20, "the first poll", || {
        d.feed("/feeds/jiangsu.rss").body.contains("大运河")
    });
    let first = d.feed("/feeds/jiangsu.rss");
    let lm = first.header("last-modified").unwrap().to_string();
    // Last-Modified has whole seconds: the change comes in a later one.
    std::thread::sleep(Duration::from_millis(1100));
    let older = String::from_utf8(crate::support::fixture("xinhua.rss"))
        .unwrap()
        .replace(
            "  </channel>",
            "    <item><title>2020年的旧闻今日补发</title><link>https://www.xhby.net/a/old.html</link>\
             <pubDate>Wed, 15 Jan 2020 09:00:00 +0800</pubDate><description>补发。</description></item>\n  </channel>",
        );
    srv.route(
        "/x.rss",
        Route::Body {
            bytes: older.into_bytes(),
            content_type: "application/xml",
            etag: None,
        },
    );
    wait_until(20, "the older item", || {
        d.feed("/feeds/jiangsu.rss").body.contains("2020年的旧闻")
    });
    let again = get(port, "/feeds/jiangsu.rss", &[("If-Modified-Since", &lm)]).unwrap();
    assert_eq!(again.status, 200, "the document changed since {lm}");
    assert!(again.body.contains("2020年的旧闻"));
    let newer = again.header("last-modified").unwrap().to_string();
    let parse = |s: &str| chrono::DateTime::parse_from_rfc2822(s).unwrap();
    assert!(parse(&newer) > parse(&lm), "{newer} after {lm}");
    let unchanged = get(port, "/feeds/jiangsu.rss", &[("If-Modified-Since", &newer)]).unwrap();
    assert_eq!(unchanged.status, 304);
    assert_eq!(d.terminate(), 0);
}
