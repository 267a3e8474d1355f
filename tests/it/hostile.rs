//! Hostile and broken input: nothing lost, nothing let in.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use crate::support::{ConfigText, Env, FixtureServer, Route, count, feedparser_entries, fixture};

const CATEGORIES: &[(&str, &str)] = &[("misc", "其他")];

#[test]
fn item_html_is_sanitized_and_every_format_stays_valid() {
    let srv = FixtureServer::start();
    srv.feed("/xss.rss", "xss.rss");
    let env = Env::with(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed(&srv.url("/xss.rss"), &["misc"]),
    );
    env.huiju(&["fetch"]).ok();
    for format in ["rss", "atom", "json"] {
        let doc = env.huiju(&["export", "misc", "--format", format]).ok().stdout;
        // What a reader would execute, in any escaping.
        let lower = doc.to_ascii_lowercase();
        for bad in [
            "<script",
            "&lt;script",
            "onerror",
            "onclick",
            "onload",
            "javascript:",
            "<iframe",
            "&lt;iframe",
        ] {
            assert!(!lower.contains(bad), "{format}: {bad} survived in {doc}");
        }
        assert!(
            !lower.contains("style=") && !lower.contains("&lt;form"),
            "{format}: {doc}"
        );
        // Ordinary content and the title's awkward characters survive.
        assert!(doc.contains("相对链接"), "{doc}");
        assert!(
            doc.contains("https://evil.example.cn/a/2.html"),
            "relative link made absolute: {doc}"
        );
        assert!(
            doc.contains("控制字符") && !doc.contains('\u{1}') && !doc.contains('\u{1f}'),
            "{doc}"
        );
        if format == "json" {
            let v: serde_json::Value = serde_json::from_str(&doc).expect("valid JSON");
            assert_eq!(v["items"].as_array().unwrap().len(), 2);
            assert!(
                v["items"][0]["title"]
                    .as_str()
                    .unwrap()
                    .contains("]]> 与 <b> & \"引号\"")
            );
        } else {
            assert_eq!(feedparser_entries(&doc), 2, "{format} is well-formed");
            assert!(doc.contains("]]&gt;") || doc.contains("]]]]><![CDATA[>"), "{doc}");
        }
    }
}

#[test]
fn entity_bombs_and_external_entities_are_inert() {
    let srv = FixtureServer::start();
    srv.feed("/bomb.xml", "billion-laughs.xml");
    let env = Env::with(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed(&srv.url("/bomb.xml"), &["misc"]),
    );
    let started = Instant::now();
    let run = env.huiju(&["fetch"]).ok();
    assert!(
        run.line_for(&srv.url("/bomb.xml")).contains("1 new"),
        "{}",
        run.stdout
    );
    let doc = env.huiju(&["export", "misc"]).ok().stdout;
    assert!(!doc.contains("lollollol"), "entities were not expanded: {doc}");
    assert!(!doc.contains("root:"), "no external entity was read: {doc}");
    assert!(doc.contains("外部实体"), "{doc}");
    // Expanding lol9 would take 10^9 copies; not expanding is instant.
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn odd_documents_and_answers_fail_alone_with_a_reason() {
    let srv = FixtureServer::start();
    srv.route(
        "/empty.xml",
        Route::Raw(Vec::new(), vec![("content-type", "application/xml")]),
    )
    .route(
        "/zero.rss",
        Route::Raw(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>空</title></channel></rss>"
                .as_bytes()
                .to_vec(),
            vec![("content-type", "application/rss+xml")],
        ),
    )
    // A valid feed served as text/html: read by what it is.
    .route(
        "/as-html.rss",
        Route::Raw(
            fixture("xinhua.rss"),
            vec![("content-type", "text/html; charset=utf-8")],
        ),
    )
    .route("/gone.rss", Route::Status(410, None))
    .route("/missing.rss", Route::Status(404, None))
    .feed("/page.html", "page.html");
    let env = Env::with(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed(&srv.url("/empty.xml"), &["misc"])
            .feed(&srv.url("/zero.rss"), &["misc"])
            .feed(&srv.url("/as-html.rss"), &["misc"])
            .feed(&srv.url("/gone.rss"), &["misc"])
            .feed(&srv.url("/missing.rss"), &["misc"])
            .feed(&srv.url("/page.html"), &["misc"]),
    );
    let run = env.huiju(&["fetch"]).ok();
    assert!(
        run.line_for(&srv.url("/empty.xml"))
            .contains("error: not a feed: empty document"),
        "{}",
        run.stdout
    );
    assert!(
        run.line_for(&srv.url("/zero.rss"))
            .ends_with("0 new, 0 updated, 0 unchanged"),
        "{}",
        run.stdout
    );
    assert!(
        run.line_for(&srv.url("/as-html.rss"))
            .ends_with("2 new, 0 updated, 0 unchanged")
    );
    assert!(
        run.line_for(&srv.url("/gone.rss"))
            .contains("gone: the source says this feed no longer exists")
    );
    assert!(
        run.line_for(&srv.url("/missing.rss"))
            .contains("error: HTTP 404 Not Found")
    );
    assert!(run.line_for(&srv.url("/page.html")).contains("not a feed"));
    // A gone feed is not asked again soon (but is never dropped for good).
    let again = env.huiju(&["fetch"]).ok();
    assert!(
        again.line_for(&srv.url("/gone.rss")).contains("waiting"),
        "{}",
        again.stdout
    );
    assert_eq!(srv.requests("/gone.rss").len(), 1);
}

/// `fetch` of /bug.rss and /ok.rss with the debug-build failpoint `var`
/// panicking on /bug.rss: the buggy feed is reported failed, the other
/// stored. Returns the server and the environment for more checks.
fn fetch_with_a_panic(var: &str) -> (FixtureServer, Env) {
    let srv = FixtureServer::start();
    srv.feed("/bug.rss", "xinhua.rss").feed("/ok.rss", "xinhua.rss");
    let env = Env::with(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed(&srv.url("/bug.rss"), &["misc"])
            .feed(&srv.url("/ok.rss"), &["misc"]),
    );
    let mut cmd = env.command(&["fetch"]);
    cmd.env(var, "/bug.rss");
    let run = crate::support::run(cmd);
    assert!(
        run.line_for(&srv.url("/bug.rss")).contains("refresh task failed"),
        "{}",
        run.stdout
    );
    assert!(
        run.line_for(&srv.url("/ok.rss")).contains("2 new"),
        "{}",
        run.stdout
    );
    (srv, env)
}

/// A parser bug (a panic, injected by a debug-build failpoint: no input is
/// known to cause one) fails that feed alone, is recorded, and backs the
/// feed off like any failed poll instead of leaving it due at once.
#[test]
fn a_panicking_parser_fails_one_feed_and_backs_it_off() {
    let (srv, env) = fetch_with_a_panic("HUIJU_FAILPOINT_PARSE_PANIC");
    crate::support::assert_panic_recorded_and_backed_off(&env, &srv.url("/bug.rss"));
}

/// A bug that panics the refresh task itself (outside the parsing threads)
/// is reported as that feed's failure; the other feeds go on.
#[test]
fn a_refresh_task_that_panics_is_reported_and_the_rest_go_on() {
    fetch_with_a_panic("HUIJU_FAILPOINT_REFRESH_PANIC");
}

/// A server that sends a valid start, then one byte every 300 ms forever.
fn trickle_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut s = stream;
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf);
                let _ = s.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n\r\n<?xml version=\"1.0\"?><rss>",
                );
                for _ in 0..200 {
                    std::thread::sleep(Duration::from_millis(300));
                    if s.write_all(b" ").is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}/slow.rss")
}

#[test]
fn trickling_and_tls_failures_cost_at_most_the_timeout() {
    let srv = FixtureServer::start();
    srv.feed("/ok.rss", "xinhua.rss");
    let slow = trickle_server();
    // TLS to a port that speaks plain HTTP.
    let tls = format!("https://{}/ok.rss", srv.addr);
    let env = Env::with(
        &ConfigText::new()
            .fetch("timeout", 2)
            .categories(CATEGORIES)
            .feed(&slow, &["misc"])
            .feed(&tls, &["misc"])
            .feed(&srv.url("/ok.rss"), &["misc"]),
    );
    let started = Instant::now();
    let run = env.huiju(&["fetch"]).ok();
    assert!(
        run.line_for(&slow).contains("error: timed out after 2 s"),
        "{}",
        run.stdout
    );
    let tls_line = run.line_for(&tls).to_ascii_lowercase();
    assert!(tls_line.contains("error: tls handshake failed"), "{tls_line}");
    assert!(
        run.line_for(&srv.url("/ok.rss"))
            .ends_with("2 new, 0 updated, 0 unchanged")
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the trickle was cut by the total timeout"
    );
}

/// `huiju fetch` killed with SIGKILL in the middle of a large ingest: the
/// database stays consistent, no feed is half-stored, the next run completes.
#[test]
fn a_killed_ingest_leaves_a_consistent_database() {
    let srv = FixtureServer::start();
    let big = |n: usize, host: &str| {
        let mut s = String::from("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>大源</title>");
        for i in 0..n {
            s.push_str(&format!(
                "<item><title>第{i}条 {host} 新闻</title><link>https://{host}/a/{i}.html</link>\
                 <description>苏州今日第{i}条消息，内容编号{i}。</description></item>"
            ));
        }
        s.push_str("</channel></rss>");
        s.into_bytes()
    };
    let n = 5_000;
    for k in 0..4 {
        srv.route(
            &format!("/big{k}.rss"),
            Route::Raw(
                big(n, &format!("site{k}.example.cn")),
                vec![("content-type", "application/rss+xml")],
            ),
        );
    }
    let cfg = (0..4).fold(ConfigText::new().categories(CATEGORIES), |cfg, k| {
        cfg.feed(&srv.url(&format!("/big{k}.rss")), &["misc"])
    });
    let env = Env::with(&cfg);
    let db = env.dir.path().join("huiju.db");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_huiju"))
        .arg("--config")
        .arg(env.config())
        .arg("fetch")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill once the first feed's transaction has committed, with others in flight.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let committed = rusqlite::Connection::open(&db)
            .and_then(|c| c.query_row("SELECT COUNT(*) FROM items", [], |r| r.get::<_, i64>(0)))
            .unwrap_or(0);
        if committed > 0 || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let check = |db: &std::path::Path| {
        let c = rusqlite::Connection::open(db).unwrap();
        let ok: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(ok, "ok");
        let mut stmt = c
            .prepare("SELECT f.url, COUNT(x.item_id) FROM feeds f LEFT JOIN item_feeds x ON x.feed_id = f.id GROUP BY f.id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect::<Vec<_>>()
    };
    let after_kill = check(&db);
    for (url, items) in &after_kill {
        assert!(
            *items == 0 || *items == n as i64,
            "{url} half-stored: {items} items"
        );
    }
    let stored: i64 = after_kill.iter().map(|(_, n)| n).sum();
    assert!(
        stored >= n as i64,
        "at least one feed had committed before the kill"
    );

    env.huiju(&["fetch"]).ok();
    let after_rerun = check(&db);
    assert!(
        after_rerun.iter().all(|(_, items)| *items == n as i64),
        "{after_rerun:?}"
    );
    assert_eq!(
        count(
            &env.huiju(&["export", "misc", "--limit", "5"]).ok().stdout,
            "<item>"
        ),
        5
    );
}

/// A mount owned by one test, unmounted when dropped: a small tmpfs (needs
/// root, as CI runs; `None` elsewhere, and the test says so), or a bind mount.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(dir: &std::path::Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(dir).ok()?;
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("cannot mount a tmpfs (not root?): storage-fault test not run");
        }
        ok.then(|| Tmpfs(dir.to_owned()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

fn big_feed(n: usize) -> Vec<u8> {
    let mut s = String::from("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>大源</title>");
    for i in 0..n {
        s.push_str(&format!(
            "<item><title>长文第{i}篇</title><link>https://big.example.cn/{i}.html</link><description>{}</description></item>",
            format!("苏州新闻正文第{i}段。").repeat(20)
        ));
    }
    s.push_str("</channel></rss>");
    s.into_bytes()
}

#[test]
fn a_full_disk_fails_the_refresh_cleanly_and_keeps_what_was_stored() {
    let env = Env::empty();
    let Some(disk) = Tmpfs::mount(&env.dir.path().join("disk"), "384k") else {
        return;
    };
    let srv = FixtureServer::start();
    srv.feed("/small.rss", "xinhua.rss");
    let db = disk.0.join("huiju.db");
    let small = ConfigText::new()
        .database(db.display())
        .categories(CATEGORIES)
        .feed(&srv.url("/small.rss"), &["misc"]);
    env.write_config(&small);
    env.huiju(&["fetch"]).ok();
    let before = env.huiju(&["export", "misc"]).ok().stdout;
    srv.route(
        "/big.rss",
        Route::Raw(big_feed(3000), vec![("content-type", "application/rss+xml")]),
    );
    env.write_config(&small.feed(&srv.url("/big.rss"), &["misc"]));
    let run = env.huiju(&["fetch"]).ok();
    let line = run.line_for(&srv.url("/big.rss"));
    assert!(
        line.contains(&format!("cannot write to database {}", db.display())),
        "{line}"
    );
    assert!(line.contains("full"), "{line}");
    let c = rusqlite::Connection::open(&db).unwrap();
    let ok: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
    let big: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM items WHERE link LIKE 'https://big.example.cn/%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(big, 0, "the failed refresh stored nothing");
    assert_eq!(
        env.huiju(&["export", "misc"]).ok().stdout,
        before,
        "what was stored is intact"
    );
}

#[test]
fn a_full_disk_keeps_the_daemon_serving_and_it_recovers() {
    let env = Env::empty();
    let Some(disk) = Tmpfs::mount(&env.dir.path().join("disk"), "16m") else {
        return;
    };
    let srv = FixtureServer::start();
    srv.feed("/x.rss", "xinhua.rss");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    env.write_config(
        &ConfigText::new()
            .database(disk.0.join("huiju.db").display())
            .server("listen", format!("127.0.0.1:{port}"))
            .fetch("schedule", "* * * * * *")
            .categories(CATEGORIES)
            .feed(&srv.url("/x.rss"), &["misc"]),
    );
    let log = env.dir.path().join("daemon.log");
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Killed(
        std::process::Command::new(env!("CARGO_BIN_EXE_huiju"))
            .arg("--config")
            .arg(env.config())
            .arg("run")
            .env("RUST_LOG", "huiju=info")
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let get = |path: &str| -> (u16, String) {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        (out[9..12].parse().unwrap(), out)
    };
    let wait = |what: &str, cond: &dyn Fn() -> bool| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !cond() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    wait("items", &|| {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            && count(&get("/feeds/misc.rss").1, "<item>") == 2
    });
    // Fill the disk to the last byte.
    let filler = disk.0.join("filler");
    {
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        let one = [0u8; 1];
        while f.write_all(&one).is_ok() {}
    }
    // The source changes; the poll cannot store it.
    let changed = String::from_utf8(fixture("xinhua.rss"))
        .unwrap()
        .replace("集中开工", "集中开工(更新)");
    srv.route(
        "/x.rss",
        Route::Raw(
            changed.into_bytes(),
            vec![("content-type", "application/rss+xml")],
        ),
    );
    wait("a failed write in the log", &|| {
        std::fs::read_to_string(&log)
            .unwrap()
            .contains("cannot write to database")
    });
    let (status, body) = get("/feeds/misc.rss");
    assert_eq!(status, 200);
    assert_eq!(count(&body, "<item>"), 2, "still serving what it has");
    assert_eq!(get("/healthz").0, 200);
    std::fs::remove_file(&filler).unwrap();
    wait("recovery", &|| {
        get("/feeds/misc.rss").1.contains("集中开工(更新)")
    });
    let _ = std::process::Command::new("kill")
        .arg(child.0.id().to_string())
        .status();
    assert_eq!(child.0.wait().unwrap().code(), Some(0));
}

#[test]
fn a_feed_of_100000_items_is_stored_whole() {
    let srv = FixtureServer::start();
    let mut s = String::from("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>十万条</title>");
    for i in 0..100_000 {
        s.push_str(&format!(
            "<item><title>第{i}条</title><link>https://many.example.cn/{i}.html</link><description>消息{i}</description></item>"
        ));
    }
    s.push_str("</channel></rss>");
    srv.route(
        "/many.rss",
        Route::Raw(s.into_bytes(), vec![("content-type", "application/rss+xml")]),
    );
    // Near-duplicate detection off: this test is about volume, and a debug
    // build fingerprints slowly (benches measure the real speed).
    let env = Env::with(
        &ConfigText::new()
            .dedup("enabled", false)
            .categories(CATEGORIES)
            .feed(&srv.url("/many.rss"), &["misc"]),
    );
    let run = env.huiju(&["fetch"]).ok();
    assert!(
        run.line_for(&srv.url("/many.rss"))
            .ends_with("100000 new, 0 updated, 0 unchanged"),
        "{}",
        run.stdout
    );
    let doc = env.huiju(&["export", "misc", "--limit", "3"]).ok().stdout;
    assert_eq!(count(&doc, "<item>"), 3);
    let again = env.huiju(&["fetch"]).ok();
    assert!(
        again
            .line_for(&srv.url("/many.rss"))
            .ends_with("0 new, 0 updated, 100000 unchanged")
    );
}

/// The database's folder becomes read-only (a read-only bind mount; needs
/// root, as CI has): `fetch` fails naming the database, `export` still
/// shows what is stored, nothing is corrupted.
#[test]
fn a_read_only_disk_is_a_clear_error_and_export_still_works() {
    let env = Env::empty();
    let real = env.dir.path().join("real");
    let view = env.dir.path().join("view");
    std::fs::create_dir_all(&real).unwrap();
    std::fs::create_dir_all(&view).unwrap();
    let bind = std::process::Command::new("mount")
        .arg("--bind")
        .arg(&real)
        .arg(&view)
        .status();
    if !bind.is_ok_and(|s| s.success()) {
        eprintln!("cannot bind-mount (not root?): read-only disk test not run");
        return;
    }
    let _unmount = Tmpfs(view.clone());
    let srv = FixtureServer::start();
    srv.feed("/x.rss", "xinhua.rss");
    let db = view.join("huiju.db");
    env.write_config(
        &ConfigText::new()
            .database(db.display())
            .categories(CATEGORIES)
            .feed(&srv.url("/x.rss"), &["misc"]),
    );
    env.huiju(&["fetch"]).ok();
    let before = env.huiju(&["export", "misc"]).ok().stdout;
    let ro = std::process::Command::new("mount")
        .args(["-o", "remount,bind,ro"])
        .arg(&view)
        .status()
        .unwrap();
    assert!(ro.success());
    let run = env.huiju(&["fetch"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains(&format!("cannot open database {}", db.display())),
        "{}",
        run.stderr
    );
    let after = env.huiju(&["export", "misc"]).ok().stdout;
    assert_eq!(after, before, "export still shows what is stored");
    assert_eq!(count(&after, "<item>"), 2);
    let c = rusqlite::Connection::open_with_flags(
        format!("file:{}?immutable=1", db.display()),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI,
    )
    .unwrap();
    let ok: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
}

/// A DNS failure, in a network namespace of its own (no interface is up,
/// so no query leaves the machine; needs root, as CI has).
#[test]
fn a_dns_failure_is_a_clear_per_feed_error() {
    let env = Env::with(
        &ConfigText::new()
            .categories(CATEGORIES)
            .feed("http://no-such-host.huiju-test.invalid/feed.rss", &["misc"]),
    );
    let out = std::process::Command::new("unshare")
        .arg("-n")
        .arg(env!("CARGO_BIN_EXE_huiju"))
        .arg("--config")
        .arg(env.config())
        .arg("fetch")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("unshare failed") || stderr.contains("Operation not permitted") {
        eprintln!("cannot create a network namespace (not root?): DNS test not run");
        return;
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("http://no-such-host"))
        .expect("a line for the feed");
    assert!(
        line.contains("error: cannot connect") && line.contains("dns error"),
        "{line}"
    );
}
