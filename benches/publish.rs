//! Publishing at scale: `HUIJU_BENCH_PUBLISH_ITEMS` stored items (default
//! 1,000,000, filled as `benches/rules.rs` fills them) in 1,000 feeds of 4
//! categories, then
//!
//! 1. the cost of one publish pass (4 categories and `all`, RSS, Atom and
//!    JSON Feed, each with its `.gz`): every file written anew, and
//!    nothing changed (rendered and compared), p50 and max of 10 passes;
//! 2. requests/s of `GET /feeds/all.rss` from the huiju daemon against
//!    nginx (`deploy/nginx/huiju.conf`, 2 workers) serving the published
//!    file: plain, gzip and 304, with wrk (`-t2 -c64`, 10 s after 3 s of
//!    warm-up), which shares the 2 cores with the server.
//!
//! `cargo bench --features bench --bench publish` (about 4 minutes at a
//! million items on the 2-core machine of BENCHMARKS.md). Part 2 needs
//! nginx and wrk (`apt-get install nginx-light wrk`) and is skipped
//! without them.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use huiju::config::Config;
use huiju::store::Store;

const FEEDS: usize = 1000;
const PER_POLL: usize = 50;
const CATEGORIES: [&str; 4] = ["jiangsu", "suzhou", "caijing", "tiyu"];

/// Feeds spread over the four categories; their URLs refuse connections at
/// once, so the daemon's start-up poll changes nothing.
fn config_text(port: u16) -> String {
    let mut text = format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\n[storage]\ndatabase = \"huiju.db\"\n\
         [fetch]\nschedule = \"0 0 0 1 1 *\"\n[dedup]\nenabled = false\n\
         [publish]\ndir = \"public\"\n"
    );
    for c in CATEGORIES {
        text.push_str(&format!("[[category]]\nid = \"{c}\"\ntitle = \"分类{c}\"\n"));
    }
    for f in 0..FEEDS {
        text.push_str(&format!(
            "[[feed]]\nurl = \"http://127.0.0.1:9/f{f}.xml\"\ncategories = [\"{}\"]\n",
            CATEGORIES[f % 4]
        ));
    }
    text
}

fn fill(dir: &Path, cfg: &Config, wanted: usize) -> usize {
    let mut store = Store::open(&dir.join("huiju.db")).unwrap();
    common::fill_store(&mut store, cfg, PER_POLL, wanted)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn tool(name: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([std::path::PathBuf::from("/usr/sbin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn wait_for(port: u16, path: &str) {
    for _ in 0..200 {
        if curl(port, path, &[]).is_some_and(|(status, _)| status == "200") {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("nothing answers {path} on port {port}");
}

/// Status and headers of a GET, by curl.
fn curl(port: u16, path: &str, headers: &[&str]) -> Option<(String, String)> {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-o", "/dev/null", "-D", "-"]);
    for h in headers {
        cmd.args(["-H", h]);
    }
    let out = cmd.arg(format!("http://127.0.0.1:{port}{path}")).output().ok()?;
    let head = String::from_utf8_lossy(&out.stdout).into_owned();
    let status = head.split_whitespace().nth(1)?.to_string();
    Some((status, head))
}

fn header(head: &str, name: &str) -> String {
    head.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
        .unwrap_or_default()
}

/// Requests/s (and p50 latency) of wrk on `port`'s all.rss.
fn wrk(wrk: &Path, port: u16, header: Option<&str>) -> (f64, String) {
    let url = format!("http://127.0.0.1:{port}/feeds/all.rss");
    let run = |d: &str| {
        let mut cmd = Command::new(wrk);
        cmd.args(["-t2", "-c64", "-d", d, "--latency"]);
        if let Some(h) = header {
            cmd.args(["-H", h]);
        }
        String::from_utf8_lossy(&cmd.arg(&url).output().expect("wrk runs").stdout).into_owned()
    };
    run("3s");
    let out = run("10s");
    let rps = out
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    let p50 = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("50%"))
        .map_or_else(String::new, |v| v.trim().to_string());
    assert!(
        !out.contains("Non-2xx") || header.is_some_and(|h| h.starts_with("If-None-Match")),
        "{out}"
    );
    (rps, p50)
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        // SIGTERM: nginx's master stops its workers.
        unsafe { libc::kill(self.0.id() as i32, libc::SIGTERM) };
        let _ = self.0.wait();
    }
}

fn main() {
    let wanted: usize = std::env::var("HUIJU_BENCH_PUBLISH_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config_path = dir.path().join("huiju.toml");
    std::fs::write(&config_path, config_text(port)).unwrap();
    let cfg = Config::load(&config_path).expect("bench config");
    let t = Instant::now();
    let stored = fill(dir.path(), &cfg, wanted);
    println!(
        "{stored} items stored in {FEEDS} feeds of {} categories ({:.0} s)",
        CATEGORIES.len(),
        t.elapsed().as_secs_f64()
    );

    let documents = (CATEGORIES.len() + 1) * 3;
    for (fresh, what) in [(true, "every file written"), (false, "nothing changed")] {
        let mut times = huiju::bench_publish_passes(cfg.clone(), 10, fresh);
        let max = *times.iter().max().unwrap();
        let p50 = common::percentile(&mut times, 0.5);
        println!(
            "publish pass, {what}: p50 {:.1} ms, max {:.1} ms for {} categories ({documents} documents \
             and their .gz): p50 {:.1} ms per category (target < 50 ms)",
            p50.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
            CATEGORIES.len() + 1,
            p50.as_secs_f64() * 1e3 / (CATEGORIES.len() + 1) as f64
        );
    }
    let all = std::fs::metadata(dir.path().join("public/feeds/all.rss"))
        .unwrap()
        .len();
    let all_gz = std::fs::metadata(dir.path().join("public/feeds/all.rss.gz"))
        .unwrap()
        .len();
    println!("all.rss: {all} bytes, {all_gz} gzipped");

    let (Some(nginx), Some(wrk_bin)) = (tool("nginx"), tool("wrk")) else {
        println!("nginx or wrk is not installed: requests/s not measured");
        return;
    };
    let daemon = Killed(
        Command::new(env!("CARGO_BIN_EXE_huiju"))
            .arg("--config")
            .arg(&config_path)
            .arg("run")
            .env("RUST_LOG", "huiju=error")
            .stderr(Stdio::null())
            .spawn()
            .expect("huiju runs"),
    );
    wait_for(port, "/feeds/all.rss");
    let nport = free_port();
    let ndir = dir.path().join("nginx");
    std::fs::create_dir_all(ndir.join("tmp")).unwrap();
    let deploy =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/nginx/huiju.conf")).unwrap();
    let server = deploy
        .replace("listen 80;", &format!("listen 127.0.0.1:{nport};"))
        .replace(
            "root /var/lib/huiju/public;",
            &format!("root {};", dir.path().join("public").display()),
        )
        .replace("server 127.0.0.1:8080;", &format!("server 127.0.0.1:{port};"));
    std::fs::write(ndir.join("huiju.conf"), server).unwrap();
    let n = ndir.display();
    let user = if unsafe { libc::geteuid() } == 0 {
        "user root;"
    } else {
        ""
    };
    std::fs::write(
        ndir.join("nginx.conf"),
        format!(
            "{user}\nworker_processes 2;\npid {n}/nginx.pid;\nevents {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  keepalive_requests 1000000;\n  client_body_temp_path {n}/tmp;\n\
             proxy_temp_path {n}/tmp;\n  fastcgi_temp_path {n}/tmp;\n  uwsgi_temp_path {n}/tmp;\n\
             scgi_temp_path {n}/tmp;\n  include {n}/huiju.conf;\n}}\n"
        ),
    )
    .unwrap();
    let _nginx = Killed(
        Command::new(nginx)
            .arg("-p")
            .arg(&ndir)
            .arg("-c")
            .arg(ndir.join("nginx.conf"))
            .arg("-e")
            .arg(ndir.join("error.log"))
            .args(["-g", "daemon off;"])
            .spawn()
            .expect("nginx runs"),
    );
    wait_for(nport, "/feeds/all.rss");
    let (_, h_head) = curl(port, "/feeds/all.rss", &[]).unwrap();
    let (_, n_head) = curl(nport, "/feeds/all.rss", &[]).unwrap();
    let (h_etag, n_etag) = (header(&h_head, "etag"), header(&n_head, "etag"));
    println!(
        "Last-Modified: huiju {}, nginx {}",
        header(&h_head, "last-modified"),
        header(&n_head, "last-modified")
    );
    println!("| request | huiju req/s (p50) | nginx req/s (p50) | nginx / huiju |");
    println!("|---|---:|---:|---:|");
    for (what, h_header, n_header) in [
        ("full GET, plain", None, None),
        (
            "full GET, gzip",
            Some("Accept-Encoding: gzip".to_string()),
            Some("Accept-Encoding: gzip".to_string()),
        ),
        (
            "304 (If-None-Match)",
            Some(format!("If-None-Match: {h_etag}")),
            Some(format!("If-None-Match: {n_etag}")),
        ),
    ] {
        let (h, h50) = wrk(&wrk_bin, port, h_header.as_deref());
        let (x, x50) = wrk(&wrk_bin, nport, n_header.as_deref());
        println!("| {what} | {h:.0} ({h50}) | {x:.0} ({x50}) | **{:.2}×** |", x / h);
    }
    drop(daemon);
}
