//! `huiju backup` of a database the daemon is writing to, and the
//! database's sizes on `/metrics` and the status page.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::daemon::{config, free_port, start, wait_until};
use crate::support::{ConfigText, Env, FixtureServer};

/// An RSS document of items `from..to` of feed `feed`, dated now.
fn rss(feed: usize, from: usize, to: usize) -> Vec<u8> {
    let mut doc = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>源</title>\n",
    );
    let date = chrono::Utc::now().to_rfc2822();
    for i in from..to {
        doc.push_str(&format!(
            "<item><guid>http://news{feed}.example.cn/{i}</guid><title>第 {feed} 源第 {i} 条：{}</title>\
             <link>http://news{feed}.example.cn/{i}.html</link><pubDate>{date}</pubDate>\
             <description>本报讯 {feed}-{i}：{}</description></item>\n",
            "城市建设".repeat(i % 7 + 1),
            "各地各部门认真贯彻落实。".repeat(i % 11 + 3),
        ));
    }
    doc.push_str("</channel></rss>\n");
    doc.into_bytes()
}

fn db(env: &Env) -> PathBuf {
    env.config().with_file_name("huiju.db")
}

/// The ids of the items in the database at `path`, as committed now.
fn item_ids(path: &Path) -> BTreeSet<i64> {
    let c = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = c.prepare("SELECT id FROM items").unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn integrity(path: &Path) -> String {
    let c = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap()
}

/// Three feeds polled every second, each poll listing new items, while
/// `huiju backup` runs: every copy is sound and holds what was committed
/// before it started.
#[test]
fn a_backup_taken_while_the_daemon_writes_is_consistent_and_complete() {
    const FEEDS: usize = 3;
    let srv = Arc::new(FixtureServer::start());
    for f in 0..FEEDS {
        srv.rss(&format!("/f{f}.xml"), rss(f, 0, 40));
    }
    let port = free_port();
    let mut cfg = config(port, "* * * * * *");
    for f in 0..FEEDS {
        cfg = cfg.feed(&srv.url(&format!("/f{f}.xml")), &["jiangsu"]);
    }
    let env = Env::with(&cfg);
    let daemon = start(&env, port);
    wait_until(30, "the first items stored", || {
        db(&env).exists() && item_ids(&db(&env)).len() >= 40 * FEEDS
    });

    // Each feed lists 30 more items every 300 ms (its newest 200).
    let stop = Arc::new(AtomicBool::new(false));
    let grower = {
        let (srv, stop) = (srv.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut n: usize = 40;
            while !stop.load(Ordering::Relaxed) {
                n += 30;
                for f in 0..FEEDS {
                    srv.rss(&format!("/f{f}.xml"), rss(f, n.saturating_sub(200), n));
                }
                std::thread::sleep(Duration::from_millis(300));
            }
        })
    };

    // Back to back for a while: the copies are quick, and at least one
    // must overlap a poll's commit.
    let mut grew_during = 0;
    let started = std::time::Instant::now();
    let mut round = 0;
    while started.elapsed() < Duration::from_secs(4)
        || (grew_during == 0 && started.elapsed() < Duration::from_secs(20))
    {
        round += 1;
        std::thread::sleep(Duration::from_millis(100));
        let before = item_ids(&db(&env));
        let dest = env.dir.path().join(format!("backup-{round}.db"));
        let out = env.huiju(&["backup", dest.to_str().unwrap()]).ok();
        let after = item_ids(&db(&env));
        assert!(out.stdout.contains("backup: "), "{}", out.stdout);
        assert!(out.stdout.contains(" items)"), "{}", out.stdout);
        assert_eq!(integrity(&dest), "ok", "round {round}");
        let copy = item_ids(&dest);
        let missing: Vec<_> = before.difference(&copy).collect();
        assert!(
            missing.is_empty(),
            "round {round}: {} items committed before the backup are not in it: {missing:?}",
            missing.len()
        );
        // Nothing that was not committed by the time the backup ended.
        assert!(copy.is_subset(&after), "round {round}");
        assert!(
            out.stdout.contains(&format!("{} items", copy.len())),
            "{}",
            out.stdout
        );
        if after.len() > before.len() {
            grew_during += 1;
        }
        // No temporary file left behind.
        let leftovers: Vec<_> = std::fs::read_dir(env.dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("partial"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
    stop.store(true, Ordering::Relaxed);
    grower.join().unwrap();
    let total = item_ids(&db(&env)).len();
    assert!(
        total > 40 * FEEDS + 100,
        "the daemon kept writing: {total} items\n{}",
        daemon.log()
    );
    // At least one backup ran while polls were storing items.
    assert!(grew_during > 0, "no poll stored items during a backup");
    assert_eq!(daemon.terminate(), 0);
}

/// An existing file is kept unless `--force`; a folder that cannot hold
/// the backup gives an error naming the path; nothing half-written stays.
#[test]
fn backup_refuses_to_overwrite_and_names_the_path_it_cannot_write() {
    let srv = FixtureServer::start();
    srv.rss("/f.xml", rss(0, 0, 12));
    let env = Env::with(
        &ConfigText::new()
            .categories(&[("misc", "其他")])
            .feed(&srv.url("/f.xml"), &["misc"]),
    );
    env.huiju(&["fetch"]).ok();

    let dest = env.dir.path().join("copy.db");
    std::fs::write(&dest, b"an older backup").unwrap();
    let out = env.huiju(&["backup", dest.to_str().unwrap()]);
    assert_ne!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains(dest.to_str().unwrap()), "{}", out.stderr);
    assert!(out.stderr.contains("--force"), "{}", out.stderr);
    assert_eq!(std::fs::read(&dest).unwrap(), b"an older backup");

    let out = env.huiju(&["backup", "--force", dest.to_str().unwrap()]).ok();
    assert!(out.stdout.contains("12 items"), "{}", out.stdout);
    assert_eq!(integrity(&dest), "ok");
    assert_eq!(item_ids(&dest).len(), 12);

    // Not even `--force` replaces the database itself.
    let live = db(&env);
    let out = env.huiju(&["backup", "--force", live.to_str().unwrap()]);
    assert_ne!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("is the database itself"), "{}", out.stderr);
    assert_eq!(item_ids(&live).len(), 12);

    // A folder that does not exist, and one that is a file (root can write
    // anywhere, so permissions would not test this).
    let blocker = env.dir.path().join("not-a-folder");
    std::fs::write(&blocker, b"").unwrap();
    for target in [
        env.dir.path().join("missing").join("copy.db"),
        blocker.join("copy.db"),
    ] {
        let out = env.huiju(&["backup", target.to_str().unwrap()]);
        assert_ne!(out.code, 0, "{out:?}");
        assert!(
            out.stderr.contains(target.to_str().unwrap()),
            "the error names {}: {}",
            target.display(),
            out.stderr
        );
        assert!(!target.exists());
    }
    let names: Vec<_> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("partial")), "{names:?}");
}

/// `/metrics` has the database's size and rows; the status page shows them.
#[test]
fn metrics_and_the_status_page_show_the_database_size() {
    let srv = FixtureServer::start();
    srv.rss("/f.xml", rss(0, 0, 15));
    let port = free_port();
    let env = Env::with(&config(port, "* * * * * *").feed(&srv.url("/f.xml"), &["jiangsu"]));
    let daemon = start(&env, port);
    wait_until(30, "the items stored", || {
        db(&env).exists() && item_ids(&db(&env)).len() == 15
    });

    let metrics = daemon.feed("/metrics").body;
    let gauge = |name: &str| -> i64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in\n{metrics}"))
    };
    assert!(gauge("huiju_database_size_bytes{file=\"main\"}") > 0, "{metrics}");
    gauge("huiju_database_size_bytes{file=\"wal\"}");
    assert!(
        gauge("huiju_database_size_bytes{file=\"search\"}") > 0,
        "{metrics}"
    );
    assert_eq!(gauge("huiju_database_rows{table=\"items\"}"), 15, "{metrics}");
    assert_eq!(gauge("huiju_database_rows{table=\"tombstones\"}"), 0, "{metrics}");
    assert!(
        metrics.contains("# TYPE huiju_database_size_bytes gauge"),
        "{metrics}"
    );

    let page = daemon.feed("/").body;
    assert!(page.contains("数据库 Database"), "{page}");
    let file_row = page
        .split("<tr><th>文件 File</th><td>")
        .nth(1)
        .and_then(|r| r.split("</td>").next())
        .unwrap_or_else(|| panic!("no file size in\n{page}"));
    assert!(
        file_row.ends_with(" kB") || file_row.ends_with(" MB"),
        "{file_row}"
    );
    assert!(page.contains("<tr><th>条目 Items</th><td>15</td>"), "{page}");
    assert_eq!(daemon.terminate(), 0);
}
