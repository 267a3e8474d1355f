//! End-to-end ingest: `cargo bench --bench ingest`.
//!
//! A server in this process serves `HUIJU_BENCH_FEEDS` (default 1,000)
//! generated feeds of `HUIJU_BENCH_ITEMS_PER_FEED` (50) items each: RSS 2.0
//! and Atom mixed, a tenth of them GB18030, about 10 % of the items copies
//! of other feeds' stories under new URLs. Each feed has its own loopback
//! address (127.1.x.y) so that per-host politeness applies as it would to
//! 1,000 sites. The release `huiju` binary then runs `fetch` twice on a
//! fresh database: a full cycle, then one where every source answers 304.
//! The same job is done by `benches/feedparser_ingest.py` (feedparser +
//! sqlite3 + a thread pool), the way many small aggregators are written,
//! and by `huiju fetch` with near-duplicate detection off.
//!
//! `HUIJU_BENCH_CORPUS=templated` serves regional template news instead
//! (`common/corpus.rs`: union reports, project lists, notices; no two
//! items the same story), the hardest text for near-duplicate detection.
//! Items are dated back from the current hour (`HUIJU_BENCH_BASE` fixes it).
//!
//! Prints wall time, items/s and peak RSS of each process (from `wait4`).
//! `huiju fetch` also brings the search index up to date before it ends,
//! which the daemon does after its cycle; its rate and the dedup on/off
//! ratio are of the time it reports for fetching and storing.
//! The server runs as a child process: a child's peak RSS (`ru_maxrss`)
//! starts from its parent's, so the parent must stay small. To profile
//! `huiju fetch` by hand, run the bench binary with
//! `HUIJU_BENCH_SERVE_DIR=DIR`: it serves and writes `DIR/huiju.toml`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

mod common;

struct Served {
    feeds: Vec<(bytes::Bytes, String)>,
    ok: AtomicU64,
    not_modified: AtomicU64,
}

async fn feed(State(s): State<Arc<Served>>, UrlPath(name): UrlPath<String>, h: HeaderMap) -> Response {
    let Some((body, etag)) = name
        .strip_suffix(".xml")
        .and_then(|i| i.parse::<usize>().ok())
        .and_then(|i| s.feeds.get(i))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if h.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        s.not_modified.fetch_add(1, Ordering::Relaxed);
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag.clone())]).into_response();
    }
    s.ok.fetch_add(1, Ordering::Relaxed);
    (
        [
            (header::CONTENT_TYPE, "application/xml".to_string()),
            (header::ETAG, etag.clone()),
        ],
        body.clone(),
    )
        .into_response()
}

/// `HUIJU_BENCH_CORPUS`: `mixed` (the default: random text, 10 % copies)
/// or `templated` (regional template news, no copies).
fn corpus() -> String {
    std::env::var("HUIJU_BENCH_CORPUS").unwrap_or_else(|_| "mixed".into())
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs a child to completion; returns wall time, peak RSS in KiB, its
/// exit status and what it wrote to stdout.
#[allow(clippy::zombie_processes)] // reaped by wait4 below
fn measure(cmd: &mut Command) -> (Duration, u64, i32, String) {
    let mut out = tempfile::tempfile().expect("a file for the child's stdout");
    let start = Instant::now();
    let child = cmd
        .stdout(out.try_clone().expect("the stdout file again"))
        .spawn()
        .expect("spawn benchmark child");
    let mut status = 0;
    // SAFETY: plain FFI call with valid pointers; reaps our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(r, child.id() as i32, "wait4 failed");
    let wall = start.elapsed();
    let mut stdout = String::new();
    use std::io::{Read, Seek};
    out.rewind().and_then(|()| out.read_to_string(&mut stdout)).ok();
    (wall, usage.ru_maxrss as u64, libc::WEXITSTATUS(status), stdout)
}

/// `huiju fetch`'s own time for fetching and storing, without bringing the
/// search index up to date afterwards (which the daemon does after the
/// cycle, when the writer pauses): the cycle's time as readers see it.
fn stored_in(stdout: &str) -> Option<Duration> {
    let rest = stdout.split("fetched and stored in ").nth(1)?;
    let secs: f64 = rest.split(' ').next()?.parse().ok()?;
    Some(Duration::from_secs_f64(secs))
}

fn count(db: &Path, sql: &str) -> i64 {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

struct Row {
    what: &'static str,
    wall: Duration,
    /// `huiju fetch`'s time to the last item stored ([`stored_in`]); the
    /// rate is of this time when there is one.
    stored: Option<Duration>,
    items: i64,
    /// Peak RSS of the child that did the run; none for one done in this process.
    rss_kib: Option<u64>,
}

/// Server mode (a child process, so that the generated feeds do not count
/// in the peak RSS that children inherit from this process): generates the
/// feeds, writes `huiju.toml` and `urls.txt` into `dir`, prints `ready`
/// and serves until killed. `GET /stats` answers `200s 304s` and resets.
fn serve(dir: &Path, feeds: usize, per_feed: usize) {
    if std::env::var_os("HUIJU_BENCH_CHILD").is_some() {
        // Dies with the benchmark, even when it panics: an orphaned
        // server kept the pipes of `cargo bench | tail` open.
        // SAFETY: prctl with plain integer arguments.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) };
    }
    let dup_pct = 10;
    let templated = corpus() == "templated";
    // One loopback address per feed: 127.1.0.1, 127.1.0.2, …
    let addr = |f: usize| Ipv4Addr::new(127, 1, (f / 250) as u8, (f % 250 + 1) as u8);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut listeners = Vec::with_capacity(feeds);
    let mut hosts = Vec::with_capacity(feeds);
    rt.block_on(async {
        for f in 0..feeds {
            let l = tokio::net::TcpListener::bind(SocketAddr::new(IpAddr::V4(addr(f)), 0))
                .await
                .expect("bind a 127.1.x.y address (Linux routes all of 127/8 to lo)");
            hosts.push(l.local_addr().unwrap().to_string());
            listeners.push(l);
        }
    });
    let t = Instant::now();
    let bodies: Vec<(bytes::Bytes, String)> = (0..feeds)
        .map(|f| {
            let b = if templated {
                common::templated_feed_bytes(f, per_feed, &hosts[f])
            } else {
                common::feed_bytes(f, feeds, per_feed, dup_pct, &hosts[f])
            };
            (bytes::Bytes::from(b), format!("\"v1-{f}\""))
        })
        .collect();
    let total_bytes: usize = bodies.iter().map(|(b, _)| b.len()).sum();
    eprintln!(
        "generated {feeds} feeds × {per_feed} items, {:.1} MB, in {:.1?}",
        total_bytes as f64 / 1e6,
        t.elapsed()
    );
    let served = Arc::new(Served {
        feeds: bodies,
        ok: AtomicU64::new(0),
        not_modified: AtomicU64::new(0),
    });
    let stats = |State(s): State<Arc<Served>>| async move {
        format!(
            "{} {}",
            s.ok.swap(0, Ordering::Relaxed),
            s.not_modified.swap(0, Ordering::Relaxed)
        )
    };
    let app = axum::Router::new()
        .route("/feed/{name}", axum::routing::get(feed))
        .route("/stats", axum::routing::get(stats))
        .with_state(served);
    for l in listeners {
        rt.spawn(axum::serve(l, app.clone()).into_future());
    }

    let cats = [
        "jiangsu", "suzhou", "caijing", "tiyu", "fangchan", "qiche", "lvyou",
    ];
    let mut cfg = String::from("[storage]\ndatabase = \"huiju.db\"\n[fetch]\ntimeout = 30\n");
    for c in cats {
        cfg.push_str(&format!("[[category]]\nid = \"{c}\"\ntitle = \"{c}\"\n"));
    }
    let mut urls = String::new();
    for (f, host) in hosts.iter().enumerate() {
        let url = format!("http://{host}/feed/{f}.xml");
        cfg.push_str(&format!(
            "[[feed]]\nurl = \"{url}\"\ncategories = [\"{}\"]\n",
            cats[f % cats.len()]
        ));
        urls.push_str(&url);
        urls.push('\n');
    }
    // The same feeds with near-duplicate detection off, into another database.
    let off = cfg.replacen(
        "database = \"huiju.db\"",
        "database = \"nodedup.db\"\n[dedup]\nenabled = false",
        1,
    );
    std::fs::write(dir.join("huiju-nodedup.toml"), off).unwrap();
    std::fs::write(dir.join("huiju.toml"), cfg).unwrap();
    std::fs::write(dir.join("urls.txt"), urls).unwrap();
    std::fs::write(dir.join("stats-host"), &hosts[0]).unwrap();
    println!("ready");
    rt.block_on(std::future::pending::<()>());
}

/// `(200s, 304s)` answered since the last call.
fn stats(dir: &Path) -> (u64, u64) {
    use std::io::{Read, Write};
    let host = std::fs::read_to_string(dir.join("stats-host")).unwrap();
    let mut s = std::net::TcpStream::connect(host.trim()).unwrap();
    write!(s, "GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut r = String::new();
    s.read_to_string(&mut r).unwrap();
    let body = r.rsplit("\r\n\r\n").next().unwrap_or("");
    let mut n = body.split_whitespace().map(|v| v.parse().unwrap_or(0));
    (n.next().unwrap_or(0), n.next().unwrap_or(0))
}

/// Items per commit of [`storage_floor`]: about what the writer of the
/// 1,000-feed cycle commits at once (about 120 commits for 50,000 items).
const FLOOR_BATCH: i64 = 400;

/// A floor under the store step: the rows `huiju fetch` stored in `db`
/// (items, their keys, feeds and prints), copied by SQL alone from memory
/// into a fresh database `to` with the same schema and settings, in
/// commits of [`FLOOR_BATCH`] items, closing included. No parsing, no
/// bindings, no lookups: what SQLite itself takes to write these bytes.
fn storage_floor(db: &Path, to: &Path) -> Duration {
    let c = rusqlite::Connection::open(to).unwrap();
    c.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;
         PRAGMA wal_autocheckpoint = 8000; PRAGMA cache_spill = 2000;",
    )
    .unwrap();
    c.execute("ATTACH ?1 AS stored", [db.to_str().unwrap()]).unwrap();
    let schema: Vec<String> = c
        .prepare("SELECT sql FROM stored.sqlite_master WHERE sql NOT NULL AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for sql in &schema {
        c.execute_batch(sql).unwrap();
    }
    // As in huiju's store, foreign keys are checked: an item's feed and
    // cluster must exist. The clusters, created as copies arrive, are there
    // beforehand.
    c.execute_batch(
        "ATTACH ':memory:' AS m;
         PRAGMA foreign_keys = OFF;
         INSERT INTO feeds SELECT * FROM stored.feeds;
         INSERT INTO feed_categories SELECT * FROM stored.feed_categories;
         INSERT INTO clusters SELECT * FROM stored.clusters;
         PRAGMA foreign_keys = ON;
         CREATE TABLE m.items AS SELECT * FROM stored.items; CREATE INDEX m.i ON items(id);
         CREATE TABLE m.item_keys AS SELECT * FROM stored.item_keys; CREATE INDEX m.k ON item_keys(item_id);
         CREATE TABLE m.item_feeds AS SELECT * FROM stored.item_feeds; CREATE INDEX m.f ON item_feeds(item_id);
         CREATE TABLE m.prints AS SELECT * FROM stored.prints; CREATE INDEX m.p ON prints(item_id);
         DETACH stored;",
    )
    .unwrap();
    let last: i64 = c
        .query_row("SELECT max(id) FROM m.items", [], |r| r.get(0))
        .unwrap();
    let start = Instant::now();
    for from in (1..=last).step_by(FLOOR_BATCH as usize) {
        let to = from + FLOOR_BATCH;
        c.execute_batch(&format!(
            "BEGIN;
             INSERT INTO items SELECT * FROM m.items WHERE id >= {from} AND id < {to} ORDER BY id;
             INSERT INTO item_keys SELECT * FROM m.item_keys WHERE item_id >= {from} AND item_id < {to};
             INSERT INTO item_feeds SELECT * FROM m.item_feeds WHERE item_id >= {from} AND item_id < {to};
             INSERT INTO prints SELECT * FROM m.prints WHERE item_id >= {from} AND item_id < {to} ORDER BY item_id;
             COMMIT;"
        ))
        .unwrap();
    }
    drop(c);
    start.elapsed()
}

fn main() {
    let feeds = env_usize("HUIJU_BENCH_FEEDS", 1000);
    let per_feed = env_usize("HUIJU_BENCH_ITEMS_PER_FEED", 50);
    if let Some(dir) = std::env::var_os("HUIJU_BENCH_SERVE_DIR") {
        serve(Path::new(&dir), feeds, per_feed);
        return;
    }
    let bin = env!("CARGO_BIN_EXE_huiju");
    let dir = tempfile::tempdir().unwrap();
    let mut server = Command::new(std::env::current_exe().unwrap())
        .env("HUIJU_BENCH_SERVE_DIR", dir.path())
        .env("HUIJU_BENCH_CHILD", "1")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start the feed server");
    let mut ready = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.stdout.take().unwrap()),
        &mut ready,
    )
    .unwrap();
    assert_eq!(ready.trim(), "ready", "the feed server did not start");
    let db = dir.path().join("huiju.db");

    let mut rows = Vec::new();
    let huiju = || {
        let mut c = Command::new(bin);
        c.arg("--config").arg(dir.path().join("huiju.toml")).arg("fetch");
        c.env("RUST_LOG", "error");
        c
    };
    let (wall, rss, code, out) = measure(&mut huiju());
    assert_eq!(code, 0, "huiju fetch failed");
    let items = count(&db, "SELECT count(*) FROM items");
    let clusters = count(&db, "SELECT count(DISTINCT coalesce(cluster_id, -id)) FROM items");
    let (ok, _) = stats(dir.path());
    eprintln!("huiju: {ok} feeds fetched, {items} items stored in {clusters} stories");
    rows.push(Row {
        what: "huiju fetch, all new",
        wall,
        stored: stored_in(&out),
        items,
        rss_kib: Some(rss),
    });
    let (wall, rss, code, out) = measure(&mut huiju());
    assert_eq!(code, 0, "huiju fetch (304 cycle) failed");
    let (ok, nm) = stats(dir.path());
    eprintln!("huiju second cycle: {nm} answered 304, {ok} answered 200");
    rows.push(Row {
        what: "huiju fetch, all 304",
        wall,
        stored: stored_in(&out),
        items: 0,
        rss_kib: Some(rss),
    });

    let mut off = Command::new(bin);
    off.arg("--config")
        .arg(dir.path().join("huiju-nodedup.toml"))
        .arg("fetch");
    off.env("RUST_LOG", "error");
    let (wall, rss, code, out) = measure(&mut off);
    assert_eq!(code, 0, "huiju fetch (dedup off) failed");
    stats(dir.path());
    rows.push(Row {
        what: "huiju fetch, all new, dedup off",
        wall,
        stored: stored_in(&out),
        items: count(&dir.path().join("nodedup.db"), "SELECT count(*) FROM items"),
        rss_kib: Some(rss),
    });
    if let (Some(on), Some(off)) = (rows.first(), rows.last()) {
        let took = |r: &Row| r.stored.unwrap_or(r.wall).as_secs_f64();
        eprintln!(
            "dedup on runs at {:.2}× the speed of dedup off (fetched and stored)",
            took(off) / took(on)
        );
    }

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/feedparser_ingest.py");
    let py_db = dir.path().join("py.db");
    let python = || {
        let mut c = Command::new("python3");
        c.arg(&script).arg(dir.path().join("urls.txt")).arg(&py_db);
        c
    };
    // The script is the yardstick of the mixed set only.
    let script_runs = corpus() != "templated";
    match script_runs.then(|| Command::new("python3").args(["-c", "import feedparser"]).status()) {
        None => {}
        Some(Ok(s)) if s.success() => {
            let (wall, rss, code, _) = measure(&mut python());
            assert_eq!(code, 0, "the feedparser script failed");
            let items = count(&py_db, "SELECT count(*) FROM items");
            rows.push(Row {
                what: "feedparser + sqlite3, all new",
                wall,
                stored: None,
                items,
                rss_kib: Some(rss),
            });
            let (wall, rss, _, _) = measure(&mut python());
            rows.push(Row {
                what: "feedparser + sqlite3, all 304",
                wall,
                stored: None,
                items: 0,
                rss_kib: Some(rss),
            });
        }
        _ => eprintln!("python3 with feedparser not found: skipping the comparison"),
    }

    // Last: its in-memory copy of the rows grows this process, and a child
    // started afterwards would inherit that as its starting peak RSS.
    let floor = storage_floor(&db, &dir.path().join("floor.db"));
    rows.push(Row {
        what: "SQLite alone: huiju's rows copied by SQL",
        wall: floor,
        stored: None,
        items,
        rss_kib: None,
    });

    println!("\n| Run | Wall | Fetched and stored | Items stored | Items/s | Peak RSS |");
    println!("|---|---|---|---|---|---|");
    let mut rates = HashMap::new();
    for r in &rows {
        let took = r.stored.unwrap_or(r.wall);
        let rate = r.items as f64 / took.as_secs_f64();
        rates.insert(r.what, (rate, took));
        println!(
            "| {} | {:.2} s | {} | {} | {} | {} |",
            r.what,
            r.wall.as_secs_f64(),
            r.stored
                .map_or_else(|| "–".into(), |d| format!("{:.2} s", d.as_secs_f64())),
            r.items,
            if r.items > 0 {
                format!("{rate:.0}")
            } else {
                "–".into()
            },
            r.rss_kib
                .map_or_else(|| "–".into(), |kib| format!("{:.1} MB", kib as f64 / 1024.0))
        );
    }
    if let (Some(h), Some(p)) = (
        rates.get("huiju fetch, all new"),
        rates.get("feedparser + sqlite3, all new"),
    ) {
        println!("\nhuiju / feedparser, new items: {:.1}×", h.0 / p.0);
        println!("SQLite alone stored the rows in {:.2} s", floor.as_secs_f64());
    }
    if let (Some(h), Some(p)) = (
        rates.get("huiju fetch, all 304"),
        rates.get("feedparser + sqlite3, all 304"),
    ) {
        println!(
            "huiju / feedparser, all-304 cycle: {:.1}× faster",
            p.1.as_secs_f64() / h.1.as_secs_f64()
        );
    }
    server.kill().ok();
    server.wait().ok();
}
