//! `[publish]` and `huiju publish`: the merged feeds as files, served by a
//! real nginx (`deploy/nginx/huiju.conf`, started on 127.0.0.1) in front of
//! a real daemon.
//!
//! The tests that need nginx skip, saying so, where it is not installed;
//! `.ci/run` installs it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::daemon::{Resp, config, free_port, get, start, wait_until};
use crate::support::{ConfigText, Env, FixtureServer, Route, feedparser_entries, fixture};

/// nginx serving `public` with the deploy config, huiju on `upstream`;
/// stopped when dropped.
struct Nginx {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Nginx {
    fn get(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        get(self.port, path, headers).unwrap_or_else(|| {
            let log = std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default();
            panic!("nginx: GET {path} failed; its log:\n{log}")
        })
    }
}

fn nginx_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|d| d.join("nginx"))
        .find(|p| p.is_file())
}

/// Starts nginx on a free port with `deploy/nginx/huiju.conf` pointed at
/// `public` and the daemon on `upstream`, or `None` (with a message) where
/// nginx is not installed.
fn nginx(public: &Path, upstream: u16) -> Option<Nginx> {
    let Some(bin) = nginx_binary() else {
        eprintln!("SKIPPED: nginx is not installed here (apt-get install nginx-light); .ci/run installs it");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let deploy =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/nginx/huiju.conf"))
            .unwrap();
    let mut server = deploy.clone();
    for (from, to) in [
        ("listen 80;", format!("listen 127.0.0.1:{port};")),
        (
            "root /var/lib/huiju/public;",
            format!("root {};", public.display()),
        ),
        ("server 127.0.0.1:8080;", format!("server 127.0.0.1:{upstream};")),
    ] {
        assert!(server.contains(from), "deploy/nginx/huiju.conf has no `{from}`");
        server = server.replace(from, &to);
    }
    std::fs::write(dir.path().join("huiju.conf"), server).unwrap();
    let d = dir.path().display();
    // As root, nginx would hand requests to `nobody`, who cannot read a
    // temporary folder.
    let user = if unsafe { libc::geteuid() } == 0 {
        "user root;"
    } else {
        ""
    };
    let main = format!(
        "{user}\nworker_processes 1;\nevents {{ worker_connections 256; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/tmp;\n  proxy_temp_path {d}/tmp;\n\
         fastcgi_temp_path {d}/tmp;\n  uwsgi_temp_path {d}/tmp;\n  scgi_temp_path {d}/tmp;\n\
         include {d}/huiju.conf;\n}}\n"
    );
    std::fs::create_dir(dir.path().join("tmp")).unwrap();
    std::fs::write(dir.path().join("nginx.conf"), main).unwrap();
    let child = Command::new(bin)
        .arg("-p")
        .arg(dir.path())
        .arg("-c")
        .arg(dir.path().join("nginx.conf"))
        .arg("-e")
        .arg(dir.path().join("error.log"))
        .args([
            "-g",
            &format!("daemon off; master_process off; pid {d}/nginx.pid; error_log {d}/error.log info;"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nginx starts");
    let n = Nginx { child, port, dir };
    wait_until(10, "nginx to listen", || {
        get(port, "/nonexistent-probe", &[]).is_some()
    });
    Some(n)
}

const FORMATS: [(&str, &str); 3] = [
    ("rss", "application/rss+xml; charset=utf-8"),
    ("atom", "application/atom+xml; charset=utf-8"),
    ("json", "application/feed+json; charset=utf-8"),
];

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).unwrap();
    out
}

/// A daemon config publishing into `public` beside it.
fn publishing(port: u16, schedule: &str, debounce: &str) -> ConfigText {
    config(port, schedule)
        .publish("dir", "public")
        .publish("debounce", debounce)
}

fn published(env: &Env, file: &str) -> PathBuf {
    env.dir.path().join("public/feeds").join(file)
}

/// Whether the published `file` holds `text`.
fn holds(env: &Env, file: &str, text: &str) -> bool {
    std::fs::read_to_string(published(env, file)).is_ok_and(|s| s.contains(text))
}

/// Every published document, through nginx: the bytes `huiju export` and
/// the daemon give, the right Content-Type, the daemon's Last-Modified,
/// read by feedparser (bozo 0); gzip from the `.gz` twin; the OPML list;
/// everything else proxied, `/metrics` refused.
#[test]
fn nginx_serves_the_published_documents() {
    let srv = FixtureServer::start();
    srv.feed("/x.rss", "xinhua.rss")
        .feed("/gb.xml", "suzhou-gb2312.xml");
    let port = free_port();
    let env = Env::with(
        &publishing(port, "0 0 3 * * *", "100ms")
            .feed(&srv.url("/x.rss"), &["jiangsu"])
            .feed(&srv.url("/gb.xml"), &["jiangsu"]),
    );
    let d = start(&env, port);
    wait_until(20, "the polled items published", || {
        holds(&env, "all.json", "大运河") && holds(&env, "all.json", "苏州地铁S1线")
    });
    let Some(n) = nginx(&env.dir.path().join("public"), port) else {
        return;
    };
    for category in ["jiangsu", "misc", "all"] {
        for (ext, content_type) in FORMATS {
            let path = format!("/feeds/{category}.{ext}");
            let r = n.get(&path, &[]);
            assert_eq!(r.status, 200, "{path}");
            assert_eq!(r.header("content-type"), Some(content_type), "{path}");
            assert_eq!(r.header("cache-control"), Some("public, max-age=60"), "{path}");
            let export = env
                .huiju(&["export", category, "--format", ext])
                .ok()
                .stdout
                .into_bytes();
            assert!(r.bytes == export, "{path}: nginx's bytes differ from export's");
            let direct = d.feed(&path);
            assert!(
                r.bytes == direct.bytes,
                "{path}: nginx's bytes differ from the daemon's"
            );
            assert_eq!(
                r.header("last-modified"),
                direct.header("last-modified"),
                "{path}"
            );
            assert!(r.header("etag").is_some(), "{path}");
            let items = if category == "misc" { 0 } else { 4 };
            match ext {
                "json" => {
                    let v: serde_json::Value = serde_json::from_slice(&r.bytes).unwrap();
                    assert_eq!(v["version"], "https://jsonfeed.org/version/1.1");
                    assert_eq!(v["items"].as_array().unwrap().len(), items, "{path}");
                }
                _ => assert_eq!(feedparser_entries(&r.body), items, "{path}"),
            }
            let gz = n.get(&path, &[("Accept-Encoding", "gzip")]);
            assert_eq!(gz.status, 200);
            assert_eq!(gz.header("content-encoding"), Some("gzip"), "{path}");
            assert_eq!(gz.header("content-type"), Some(content_type), "{path}");
            let twin = std::fs::read(published(&env, &format!("{category}.{ext}.gz"))).unwrap();
            assert!(gz.bytes == twin, "{path}: not the .gz twin's bytes");
            assert!(
                gunzip(&gz.bytes) == export,
                "{path}: the twin holds another document"
            );
            assert_ne!(
                gz.header("etag"),
                r.header("etag"),
                "{path}: one ETag per representation"
            );
        }
    }
    let opml = n.get("/opml", &[]);
    assert_eq!(opml.status, 200);
    assert_eq!(opml.header("content-type"), Some("text/x-opml; charset=utf-8"));
    assert_eq!(opml.body, d.feed("/opml").body);

    // Filtered feeds, the status page and search come from the daemon.
    let limited = n.get("/feeds/jiangsu.rss?limit=1", &[]);
    assert_eq!(limited.status, 200);
    assert_eq!(
        crate::support::count(&limited.body, "<item>"),
        1,
        "{}",
        limited.body
    );
    let status = n.get("/", &[]);
    assert_eq!(status.status, 200);
    assert!(
        status.body.contains("发布 Publish") && status.body.contains("正常 OK"),
        "{}",
        status.body
    );
    assert_eq!(n.get("/metrics", &[]).status, 403);
    assert_eq!(n.get("/feeds/.all.rss.1.tmp", &[]).status, 403);
    assert_eq!(d.terminate(), 0);
}

/// nginx's validators give 304 until a poll changes the category, then
/// 200 with the new item and new validators; a category the poll did not
/// change keeps its ETag.
#[test]
fn validators_give_304_until_a_poll_changes_the_category() {
    let srv = FixtureServer::start();
    srv.feed("/x.rss", "xinhua.rss");
    let port = free_port();
    let env = Env::with(
        &publishing(port, "*/1 * * * * *", "100ms")
            .feed(&srv.url("/x.rss"), &["jiangsu"])
            .feed(&srv.url("/gb.xml"), &["misc"]),
    );
    srv.feed("/gb.xml", "suzhou-gb2312.xml");
    let d = start(&env, port);
    // `all` is written last in a pass: when it holds both sources' items,
    // so do the others.
    wait_until(20, "the polled items published", || {
        holds(&env, "all.json", "大运河") && holds(&env, "all.json", "苏州地铁S1线")
    });
    let Some(n) = nginx(&env.dir.path().join("public"), port) else {
        return;
    };
    let first = n.get("/feeds/jiangsu.rss", &[]);
    let etag = first.header("etag").unwrap().to_string();
    let lm = first.header("last-modified").unwrap().to_string();
    let gz_etag = n
        .get("/feeds/jiangsu.rss", &[("Accept-Encoding", "gzip")])
        .header("etag")
        .unwrap()
        .to_string();
    let misc = n.get("/feeds/misc.rss", &[]);
    let misc_etag = misc.header("etag").unwrap().to_string();
    // Polls every second change nothing: still 304.
    std::thread::sleep(Duration::from_millis(2200));
    assert_eq!(
        n.get("/feeds/jiangsu.rss", &[("If-None-Match", &etag)]).status,
        304
    );
    assert_eq!(
        n.get("/feeds/jiangsu.rss", &[("If-Modified-Since", &lm)]).status,
        304
    );
    let gz = n.get(
        "/feeds/jiangsu.rss",
        &[("If-None-Match", &gz_etag), ("Accept-Encoding", "gzip")],
    );
    assert_eq!(gz.status, 304);

    let changed = String::from_utf8(fixture("xinhua.rss")).unwrap().replace(
        "  </channel>",
        "    <item><title>运河边新开一座图书馆</title><link>https://www.xhby.net/a/library.html</link>\
         <description>新馆开放。</description></item>\n  </channel>",
    );
    srv.route(
        "/x.rss",
        Route::Body {
            bytes: changed.into_bytes(),
            content_type: "application/xml",
            etag: None,
        },
    );
    let mut fresh = None;
    wait_until(20, "a 200 with the new item", || {
        let r = n.get("/feeds/jiangsu.rss", &[("If-None-Match", &etag)]);
        let done = r.status == 200;
        if done {
            fresh = Some(r);
        }
        done
    });
    let fresh = fresh.unwrap();
    assert!(fresh.body.contains("运河边新开一座图书馆"), "{}", fresh.body);
    assert_eq!(feedparser_entries(&fresh.body), 3);
    let new_etag = fresh.header("etag").unwrap().to_string();
    assert_ne!(new_etag, etag);
    let parse = |s: &str| chrono::DateTime::parse_from_rfc2822(s).unwrap();
    assert!(parse(fresh.header("last-modified").unwrap()) > parse(&lm));
    assert_eq!(
        n.get("/feeds/jiangsu.rss", &[("If-Modified-Since", &lm)]).status,
        200
    );
    assert_eq!(
        n.get("/feeds/jiangsu.rss", &[("If-None-Match", &new_etag)])
            .status,
        304
    );
    let misc_after = n.get("/feeds/misc.rss", &[("If-None-Match", &misc_etag)]);
    assert_eq!(
        misc_after.status, 304,
        "an unchanged category keeps its validators:\n{}\n{}",
        misc.body, misc_after.body
    );
    assert_eq!(d.terminate(), 0);
}

/// What a reader got: a whole, valid RSS document, or why not.
fn check_whole(r: &Resp) -> Result<String, String> {
    if r.status != 200 {
        return Err(format!("status {}", r.status));
    }
    let len: usize = r
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .ok_or("no length")?;
    if len != r.bytes.len() {
        return Err(format!("{} bytes of {len}", r.bytes.len()));
    }
    let body = match r.header("content-encoding") {
        Some("gzip") => gunzip(&r.bytes),
        _ => r.bytes.clone(),
    };
    let channel = rss::Channel::read_from(&body[..]).map_err(|e| format!("invalid RSS: {e}"))?;
    if channel.items().len() != 2 {
        return Err(format!("{} items", channel.items().len()));
    }
    Ok(channel.title().to_string())
}

/// A reader polling nginx in a loop while the daemon writes the document
/// anew 100 times (a config reload retitles the category each time) gets
/// a whole, valid document every time.
#[test]
fn a_reader_never_sees_a_partial_document_while_the_daemon_republishes() {
    let srv = FixtureServer::start();
    srv.feed("/x.rss", "xinhua.rss");
    let port = free_port();
    let base = publishing(port, "0 0 3 * * *", "0ms").feed(&srv.url("/x.rss"), &["jiangsu"]);
    let env = Env::with(&base);
    let d = start(&env, port);
    wait_until(20, "the polled items published", || {
        holds(&env, "jiangsu.rss", "大运河")
    });
    let Some(n) = nginx(&env.dir.path().join("public"), port) else {
        return;
    };
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new((0usize, Vec::<String>::new(), Vec::<String>::new())));
    let reader = {
        let (stop, seen, port) = (stop.clone(), seen.clone(), n.port);
        std::thread::spawn(move || {
            let mut gzip = false;
            while !stop.load(Ordering::SeqCst) {
                let headers: &[(&str, &str)] = if gzip { &[("Accept-Encoding", "gzip")] } else { &[] };
                gzip = !gzip;
                let got = get(port, "/feeds/jiangsu.rss", headers)
                    .ok_or_else(|| "no answer".to_string())
                    .and_then(|r| check_whole(&r));
                let mut s = seen.lock().unwrap();
                s.0 += 1;
                match got {
                    Ok(title) if s.1.last() != Some(&title) => s.1.push(title),
                    Ok(_) => {}
                    Err(e) => s.2.push(e),
                }
            }
        })
    };
    for i in 1..=100 {
        let title = format!("江苏资讯第{i}版");
        env.write_config(&base.clone().category_key("jiangsu", "title", title.as_str()));
        d.signal("-HUP");
        wait_until(20, &format!("republish {i}"), || {
            holds(&env, "jiangsu.rss", &format!("<title>{title}</title>"))
        });
    }
    stop.store(true, Ordering::SeqCst);
    reader.join().unwrap();
    let (reads, titles, errors) = seen.lock().unwrap().clone();
    assert!(
        errors.is_empty(),
        "{} of {reads} reads went wrong: {:?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
    assert!(reads >= 100, "only {reads} reads");
    assert!(
        titles.len() >= 10,
        "the reader saw {} versions: {titles:?}",
        titles.len()
    );
    assert_eq!(titles.last().map(String::as_str), Some("江苏资讯第100版"));
    let last = n.get("/feeds/jiangsu.rss", &[]);
    assert_eq!(feedparser_entries(&last.body), 2);
    let leftovers: Vec<_> = std::fs::read_dir(env.dir.path().join("public/feeds"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(d.terminate(), 0);
}

fn metric(d: &crate::daemon::Daemon, name: &str) -> Option<f64> {
    d.feed("/metrics")
        .body
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// A file where the feeds folder should be: the failure shows on the
/// status page and in /metrics, the daemon keeps polling and serving, and
/// once the way is clear the documents are published.
#[test]
fn an_unwritable_folder_shows_on_the_status_page_and_recovers() {
    let srv = FixtureServer::start();
    srv.feed("/x.rss", "xinhua.rss");
    let port = free_port();
    let env = Env::with(&publishing(port, "0 0 3 * * *", "100ms").feed(&srv.url("/x.rss"), &["jiangsu"]));
    let public = env.dir.path().join("public");
    std::fs::create_dir(&public).unwrap();
    // A file, not a folder: writing fails even for root.
    std::fs::write(public.join("feeds"), "in the way").unwrap();
    let d = start(&env, port);
    let feeds = public.join("feeds").display().to_string();
    wait_until(20, "the failure on the status page", || {
        let page = d.feed("/").body;
        page.contains("发布失败") && page.contains(&feeds)
    });
    assert!(metric(&d, "huiju_publish_errors_total").is_some_and(|n| n >= 1.0));
    assert_eq!(metric(&d, "huiju_publish_failing"), Some(1.0));
    wait_until(20, "the poll's items served over HTTP", || {
        d.feed("/feeds/jiangsu.rss").body.contains("大运河")
    });
    assert!(d.log().contains("publish failed"), "{}", d.log());

    std::fs::remove_file(public.join("feeds")).unwrap();
    wait_until(40, "the retry to publish", || {
        holds(&env, "jiangsu.rss", "大运河")
    });
    wait_until(10, "the status page to clear", || {
        let page = d.feed("/").body;
        !page.contains("发布失败") && page.contains("正常 OK")
    });
    assert_eq!(metric(&d, "huiju_publish_failing"), Some(0.0));
    let served = d.feed("/feeds/jiangsu.rss");
    assert!(std::fs::read(published(&env, "jiangsu.rss")).unwrap() == served.bytes);
    assert_eq!(d.terminate(), 0);
}

/// `huiju publish`: one pass; again, nothing to write; a category taken
/// out of the config takes its files with it. Without a folder, it says
/// how to give one.
#[test]
fn the_publish_command_writes_one_pass() {
    let srv = FixtureServer::start();
    srv.feed("/x.rss", "xinhua.rss");
    let text = ConfigText::new()
        .categories(&[("jiangsu", "江苏资讯"), ("misc", "其他")])
        .feed(&srv.url("/x.rss"), &["jiangsu"]);
    let env = Env::with(&text);
    env.huiju(&["fetch"]).ok();
    let none = env.huiju(&["publish"]);
    assert_eq!(none.code, 2);
    assert!(
        none.stderr
            .contains("has no [publish] dir: add one, or give --dir DIR"),
        "{}",
        none.stderr
    );

    let out = env.dir.path().join("out");
    let dir = out.to_str().unwrap();
    let first = env.huiju(&["publish", "--dir", dir]).ok();
    // 3 categories × 3 formats and the OPML list, each with its .gz.
    assert!(
        first
            .stdout
            .contains(": 20 files written, 0 documents unchanged, 0 files removed"),
        "{}",
        first.stdout
    );
    for format in ["rss", "atom", "json"] {
        let export = env.huiju(&["export", "all", "--format", format]).ok().stdout;
        let file = out.join(format!("feeds/all.{format}"));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), export);
        assert_eq!(
            gunzip(&std::fs::read(out.join(format!("feeds/all.{format}.gz"))).unwrap()),
            export.as_bytes()
        );
    }
    assert_eq!(
        feedparser_entries(&std::fs::read_to_string(out.join("feeds/jiangsu.atom")).unwrap()),
        2
    );
    let mtime = |f: &str| std::fs::metadata(out.join(f)).unwrap().modified().unwrap();
    let before = mtime("feeds/all.rss");
    let again = env.huiju(&["publish", "--dir", dir]).ok();
    assert!(
        again
            .stdout
            .contains(": 0 files written, 10 documents unchanged, 0 files removed"),
        "{}",
        again.stdout
    );
    assert_eq!(mtime("feeds/all.rss"), before);

    // [publish] in the config: only RSS, without twins; misc gone.
    env.write_config(
        &ConfigText::new()
            .categories(&[("jiangsu", "江苏资讯")])
            .feed(&srv.url("/x.rss"), &["jiangsu"])
            .publish("dir", "out")
            .publish("formats", vec!["rss"])
            .publish("gzip", false),
    );
    let third = env.huiju(&["publish"]).ok();
    // Gone: misc in three formats, the Atom and JSON of the rest, and the twins.
    assert!(
        third
            .stdout
            .contains(": 1 files written, 2 documents unchanged, 17 files removed"),
        "{}",
        third.stdout
    );
    let mut left: Vec<String> = std::fs::read_dir(out.join("feeds"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["all.rss", "jiangsu.rss"]);
}

/// `huiju check` reads `[publish]` and names the line of a mistake.
#[test]
fn check_names_a_publish_mistake() {
    let env = Env::with(
        &ConfigText::new()
            .categories(&[("misc", "其他")])
            .publish("dir", "out")
            .publish("formats", vec!["rss", "html"]),
    );
    let r = env.huiju(&["check"]);
    assert_eq!(r.code, 2);
    let config = env.config().display().to_string();
    assert!(
        r.stderr.contains(&format!("{config}:6:"))
            && r.stderr.contains("publish.formats: unknown format 'html'"),
        "{}",
        r.stderr
    );
}

/// Per ping: `jiangsu.rss` as it was then, and the topics not yet published.
type Pings = Arc<Mutex<Vec<(String, Vec<String>)>>>;

/// A WebSub hub that checks, as each ping arrives, that the published
/// files it names are in place.
fn hub(public: PathBuf) -> (u16, Pings) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let pings = Arc::new(Mutex::new(Vec::new()));
    let record = pings.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let mut raw = Vec::new();
            let mut buf = [0u8; 8192];
            // Headers, then the body by its Content-Length.
            let body = loop {
                let Ok(n) = s.read(&mut buf) else {
                    break String::new();
                };
                if n == 0 {
                    break String::new();
                }
                raw.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&raw).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len: usize = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().to_string())
                        })
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    if body.len() >= len {
                        break body.to_string();
                    }
                }
            };
            let topics: Vec<String> = url::form_urlencoded::parse(body.as_bytes())
                .filter(|(k, _)| k == "hub.url")
                .map(|(_, v)| v.into_owned())
                .collect();
            let missing: Vec<String> = topics
                .iter()
                .filter_map(|t| t.split_once("/feeds/").map(|(_, f)| f.to_string()))
                .filter(|f| !public.join("feeds").join(f).is_file())
                .collect();
            let jiangsu = std::fs::read_to_string(public.join("feeds/jiangsu.rss")).unwrap_or_default();
            record.lock().unwrap().push((jiangsu, missing));
            let _ = s.write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (port, pings)
}

/// With publishing on, the hub hears of a change once the files are in
/// place: every topic it is told of is a published file by then.
#[test]
fn websub_hub_is_told_after_the_files_are_in_place() {
    let srv = FixtureServer::start();
    srv.feed("/x.rss", "xinhua.rss");
    let port = free_port();
    let env = Env::empty();
    let (hub_port, pings) = hub(env.dir.path().join("public"));
    env.write_config(
        &publishing(port, "0 0 3 * * *", "100ms")
            .server("websub_hub", format!("http://127.0.0.1:{hub_port}/hub"))
            .feed(&srv.url("/x.rss"), &["jiangsu"]),
    );
    let d = start(&env, port);
    wait_until(20, "a ping after the poll", || {
        pings
            .lock()
            .unwrap()
            .iter()
            .any(|(jiangsu, _)| jiangsu.contains("大运河"))
    });
    for (_, missing) in pings.lock().unwrap().iter() {
        assert!(
            missing.is_empty(),
            "the hub was told of {missing:?} before they were published"
        );
    }
    assert_eq!(d.terminate(), 0);
}
