//! Test support: a real HTTP server on 127.0.0.1 serving fixture bytes, a
//! temporary config and database, and the real `huiju` binary.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// What the fixture server answers on one path.
#[derive(Clone)]
pub enum Route {
    /// 200 with these bytes; with an ETag, `If-None-Match` gets a 304.
    Body {
        bytes: Vec<u8>,
        content_type: &'static str,
        etag: Option<&'static str>,
    },
    /// 200 with these bytes and exactly these headers.
    Raw(Vec<u8>, Vec<(&'static str, &'static str)>),
    /// A bare status, optionally with Retry-After.
    Status(u16, Option<&'static str>),
    /// Sleeps this long before answering (a hanging source).
    Hang(Duration),
    /// Redirects to itself forever.
    RedirectLoop,
}

/// One request the server saw.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub body: String,
    pub path: String,
    pub if_none_match: Option<String>,
    pub user_agent: Option<String>,
    /// Every header, names lowercase.
    pub headers: HashMap<String, String>,
    /// When it arrived (to order requests across servers).
    pub at: std::time::Instant,
}

#[derive(Default)]
struct Shared {
    routes: HashMap<String, Route>,
    seen: Vec<Seen>,
    /// Every answer waits this long first.
    delay: Duration,
    in_flight: usize,
    max_in_flight: usize,
}

/// A fixture HTTP server on `127.0.0.1:0` (or another loopback address,
/// for a second host), running until dropped.
pub struct FixtureServer {
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

impl FixtureServer {
    pub fn start() -> FixtureServer {
        FixtureServer::start_on("127.0.0.1")
    }

    /// On `ip:0`: Linux routes all of 127.0.0.0/8 to the loopback device,
    /// so `127.0.0.2` is another host to huiju, on the same machine.
    pub fn start_on(ip: &'static str) -> FixtureServer {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let state = shared.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let app = axum::Router::new().fallback(handle).with_state(state);
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await
                    .unwrap();
            });
        });
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("fixture server starts");
        FixtureServer {
            addr,
            shared,
            _shutdown: tx,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn route(&self, path: &str, route: Route) -> &Self {
        self.shared.lock().unwrap().routes.insert(path.to_string(), route);
        self
    }

    /// Serves a fixture file as an XML feed.
    pub fn feed(&self, path: &str, fixture_name: &str) -> &Self {
        self.route(
            path,
            Route::Body {
                bytes: fixture(fixture_name),
                content_type: "application/xml",
                etag: None,
            },
        )
    }

    /// Serves `bytes` at `path` as an RSS document, without an ETag.
    pub fn rss(&self, path: &str, bytes: Vec<u8>) -> &Self {
        self.route(
            path,
            Route::Body {
                bytes,
                content_type: "application/rss+xml",
                etag: None,
            },
        )
    }

    /// Every answer is held this long (to see requests overlap).
    pub fn delay(&self, d: Duration) -> &Self {
        self.shared.lock().unwrap().delay = d;
        self
    }

    /// The most requests that were being answered at once.
    pub fn max_in_flight(&self) -> usize {
        self.shared.lock().unwrap().max_in_flight
    }

    pub fn requests(&self, path: &str) -> Vec<Seen> {
        self.shared
            .lock()
            .unwrap()
            .seen
            .iter()
            .filter(|s| s.path == path)
            .cloned()
            .collect()
    }
}

async fn handle(State(shared): State<Arc<Mutex<Shared>>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let method = req.method().to_string();
    let (parts, body) = req.into_parts();
    let h = &parts.headers;
    let get = |name: header::HeaderName| h.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let if_none_match = get(header::IF_NONE_MATCH);
    let user_agent = get(header::USER_AGENT);
    let headers = h
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
    let delay = {
        let mut s = shared.lock().unwrap();
        s.in_flight += 1;
        s.max_in_flight = s.max_in_flight.max(s.in_flight);
        s.delay
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let route = {
        let mut s = shared.lock().unwrap();
        s.in_flight -= 1;
        s.seen.push(Seen {
            method,
            body: String::from_utf8_lossy(&body).into_owned(),
            path: path.clone(),
            if_none_match: if_none_match.clone(),
            user_agent,
            headers,
            at: std::time::Instant::now(),
        });
        s.routes.get(&path).cloned()
    };
    match route {
        None => (StatusCode::NOT_FOUND, "no such fixture").into_response(),
        Some(Route::Body {
            bytes,
            content_type,
            etag,
        }) => {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
            if let Some(etag) = etag {
                headers.insert(header::ETAG, HeaderValue::from_static(etag));
                if if_none_match.as_deref() == Some(etag) {
                    return (StatusCode::NOT_MODIFIED, headers).into_response();
                }
            }
            (StatusCode::OK, headers, Body::from(bytes)).into_response()
        }
        Some(Route::Raw(bytes, headers)) => {
            let mut map = HeaderMap::new();
            for (k, v) in headers {
                map.insert(header::HeaderName::from_static(k), HeaderValue::from_static(v));
            }
            (StatusCode::OK, map, Body::from(bytes)).into_response()
        }
        Some(Route::Status(code, retry_after)) => {
            let mut headers = HeaderMap::new();
            if let Some(r) = retry_after {
                headers.insert(header::RETRY_AFTER, HeaderValue::from_static(r));
            }
            (StatusCode::from_u16(code).unwrap(), headers, "fixture error").into_response()
        }
        Some(Route::Hang(d)) => {
            tokio::time::sleep(d).await;
            (StatusCode::OK, "too late").into_response()
        }
        Some(Route::RedirectLoop) => {
            (StatusCode::FOUND, [(header::LOCATION, path.clone())], "again").into_response()
        }
    }
}

/// A temporary folder for a config file; the database lives beside it.
pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    /// Writes `config` as `huiju.toml`.
    pub fn with(config: &ConfigText) -> Env {
        let env = Env::empty();
        env.write_config(config);
        env
    }

    /// The folder alone, for a config that names paths inside it.
    pub fn empty() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("huiju.toml")
    }

    pub fn write_config(&self, config: &impl std::fmt::Display) {
        std::fs::write(self.config(), config.to_string()).unwrap();
    }

    /// `huiju --config <this config> args…`, not started (to add to it).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_huiju"));
        cmd.arg("--config").arg(self.config()).args(args);
        cmd
    }

    /// Runs `huiju --config <this config> args…`.
    pub fn huiju(&self, args: &[&str]) -> Run {
        run(self.command(args))
    }
}

pub fn run(mut cmd: Command) -> Run {
    cmd.env_remove("HUIJU_CONFIG").env_remove("RUST_LOG");
    let out: Output = cmd.output().expect("huiju runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "huiju failed:\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// The stdout line about `url`.
    #[track_caller]
    pub fn line_for(&self, url: &str) -> &str {
        self.stdout
            .lines()
            .find(|l| l.starts_with(&format!("{url} ")))
            .unwrap_or_else(|| panic!("no line for {url} in:\n{}", self.stdout))
    }
}

/// The text of a huiju config, built up key by key:
///
/// ```text
/// ConfigText::new()
///     .fetch("timeout", 2)
///     .categories(&[("misc", "其他")])
///     .feed(&url, &["misc"])
/// ```
///
/// Values are written by the `toml` crate, so any string (a URL, a path, a
/// CSS selector) is quoted correctly. Tables come out in a fixed order;
/// keys, categories and feeds in the order they were given.
#[derive(Clone)]
pub struct ConfigText {
    database: String,
    server: Table,
    fetch: Table,
    dedup: Table,
    retention: Table,
    publish: Table,
    categories: Vec<Table>,
    feeds: Vec<FeedText>,
    hosts: Vec<Table>,
    excludes: Vec<Table>,
}

type Table = Vec<(String, toml::Value)>;

/// One `[[feed]]`, with its optional `[feed.html]` selectors and
/// `[feed.fulltext]` settings.
#[derive(Clone)]
pub struct FeedText {
    keys: Table,
    html: Table,
    fulltext: Table,
}

impl ConfigText {
    /// No keys but the database, `huiju.db` beside the config.
    pub fn new() -> ConfigText {
        ConfigText {
            database: "huiju.db".to_string(),
            server: Table::new(),
            fetch: Table::new(),
            dedup: Table::new(),
            retention: Table::new(),
            publish: Table::new(),
            categories: Vec::new(),
            feeds: Vec::new(),
            hosts: Vec::new(),
            excludes: Vec::new(),
        }
    }

    /// `[storage] database`: relative paths are read against the config's folder.
    pub fn database(mut self, path: impl std::fmt::Display) -> Self {
        self.database = path.to_string();
        self
    }

    pub fn server(mut self, key: &str, value: impl Into<toml::Value>) -> Self {
        set(&mut self.server, key, value);
        self
    }

    pub fn fetch(mut self, key: &str, value: impl Into<toml::Value>) -> Self {
        set(&mut self.fetch, key, value);
        self
    }

    pub fn dedup(mut self, key: &str, value: impl Into<toml::Value>) -> Self {
        set(&mut self.dedup, key, value);
        self
    }

    pub fn retention(mut self, key: &str, value: impl Into<toml::Value>) -> Self {
        set(&mut self.retention, key, value);
        self
    }

    pub fn publish(mut self, key: &str, value: impl Into<toml::Value>) -> Self {
        set(&mut self.publish, key, value);
        self
    }

    /// `[[category]]` entries from `(id, title)` pairs.
    pub fn categories(mut self, list: &[(&str, &str)]) -> Self {
        for (id, title) in list {
            self.categories.push(vec![key("id", *id), key("title", *title)]);
        }
        self
    }

    /// Sets `name` on the category `id`, added before; setting `id` renames it.
    #[track_caller]
    pub fn category_key(mut self, id: &str, name: &str, value: impl Into<toml::Value>) -> Self {
        let id = toml::Value::from(id);
        let category = self
            .categories
            .iter_mut()
            .find(|c| c.iter().any(|(k, v)| k == "id" && *v == id))
            .unwrap_or_else(|| panic!("no category {id}"));
        set(category, name, value);
        self
    }

    /// A `[[host]]` table: `match = pattern` and these keys (`headers`
    /// given as a `toml::Table` value).
    pub fn host(mut self, pattern: &str, keys: &[(&str, toml::Value)]) -> Self {
        let mut table = vec![key("match", pattern)];
        for (k, v) in keys {
            set(&mut table, k, v.clone());
        }
        self.hosts.push(table);
        self
    }

    /// A `[[exclude]]` rule (blocks matching items of every feed), from
    /// TOML: `field = "title"\ncontains = ["广告"]`.
    #[track_caller]
    pub fn exclude(mut self, rule: &str) -> Self {
        let table: toml::Table = toml::from_str(rule).unwrap();
        self.excludes.push(table.into_iter().collect());
        self
    }

    /// A `[[feed]]` with a URL and categories only.
    pub fn feed(self, url: &str, categories: &[&str]) -> Self {
        self.feed_text(FeedText::new(url, categories))
    }

    /// A `[[feed]]` with more keys than its URL and categories.
    pub fn feed_text(mut self, feed: FeedText) -> Self {
        self.feeds.push(feed);
        self
    }
}

impl FeedText {
    pub fn new(url: &str, categories: &[&str]) -> FeedText {
        FeedText {
            keys: vec![key("url", url), key("categories", categories.to_vec())],
            html: Table::new(),
            fulltext: Table::new(),
        }
    }

    /// Any other `[[feed]]` key: `title`, `priority`, `kind`, …
    pub fn key(mut self, name: &str, value: impl Into<toml::Value>) -> Self {
        set(&mut self.keys, name, value);
        self
    }

    /// A `[feed.html]` key; `kind = "html"` is not implied.
    pub fn html(mut self, name: &str, value: impl Into<toml::Value>) -> Self {
        set(&mut self.html, name, value);
        self
    }

    /// A `[feed.fulltext]` key: `content`, `remove`, `mode`, `per_poll`.
    pub fn fulltext(mut self, name: &str, value: impl Into<toml::Value>) -> Self {
        set(&mut self.fulltext, name, value);
        self
    }
}

fn key(name: &str, value: impl Into<toml::Value>) -> (String, toml::Value) {
    (name.to_string(), value.into())
}

/// Sets `name`, in place if it is there already, so that a test can change
/// one key of a config it shares with another.
fn set(table: &mut Table, name: &str, value: impl Into<toml::Value>) {
    let value = value.into();
    match table.iter_mut().find(|(k, _)| k == name) {
        Some((_, v)) => *v = value,
        None => table.push((name.to_string(), value)),
    }
}

impl std::fmt::Display for ConfigText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let storage = vec![key("database", self.database.as_str())];
        let mut tables = vec![("[storage]", &storage)];
        for (header, keys) in [
            ("[server]", &self.server),
            ("[fetch]", &self.fetch),
            ("[dedup]", &self.dedup),
            ("[retention]", &self.retention),
            ("[publish]", &self.publish),
        ] {
            if !keys.is_empty() {
                tables.push((header, keys));
            }
        }
        tables.extend(self.categories.iter().map(|c| ("[[category]]", c)));
        tables.extend(self.hosts.iter().map(|h| ("[[host]]", h)));
        tables.extend(self.excludes.iter().map(|h| ("[[exclude]]", h)));
        for feed in &self.feeds {
            tables.push(("[[feed]]", &feed.keys));
            if !feed.html.is_empty() {
                tables.push(("[feed.html]", &feed.html));
            }
            if !feed.fulltext.is_empty() {
                tables.push(("[feed.fulltext]", &feed.fulltext));
            }
        }
        for (i, (header, keys)) in tables.into_iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "{header}")?;
            for (k, v) in keys {
                writeln!(f, "{k} = {v}")?;
            }
        }
        Ok(())
    }
}

/// Checks a document with Python's feedparser: well-formed and `bozo == 0`.
/// Returns the number of entries feedparser read.
#[track_caller]
pub fn feedparser_entries(doc: &str) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.xml");
    std::fs::write(&path, doc).unwrap();
    let script = "import sys, feedparser\n\
                  d = feedparser.parse(sys.argv[1])\n\
                  print(int(d.bozo), len(d.entries), repr(d.get('bozo_exception', '')))";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "feedparser is needed for this test (pip install feedparser): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut parts = stdout.split_whitespace();
    assert_eq!(parts.next(), Some("0"), "feedparser says bozo: {stdout}\n{doc}");
    parts.next().unwrap().parse().unwrap()
}

/// What Python's feedparser reads from a document (which must be
/// well-formed, `bozo == 0`): per entry, its `title`, `link`, `summary`
/// and `content` (the first content's value, or null).
#[track_caller]
pub fn feedparser_read(doc: &str) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.xml");
    std::fs::write(&path, doc).unwrap();
    let script = "import sys, json, feedparser\n\
                  d = feedparser.parse(sys.argv[1])\n\
                  assert not d.bozo, repr(d.get('bozo_exception'))\n\
                  print(json.dumps([{'title': e.get('title'), 'link': e.get('link'), \
                  'summary': e.get('summary'), \
                  'content': e['content'][0]['value'] if e.get('content') else None} for e in d.entries]))";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "feedparser could not read the document (pip install feedparser): {}\n{doc}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Occurrences of `needle` in `hay`.
pub fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

/// Asserts what a user sees of a source whose refresh panicked once: one
/// error in a row, recorded as a panic, and the next poll backed off.
pub fn assert_panic_recorded_and_backed_off(env: &Env, url: &str) {
    let db = rusqlite::Connection::open(env.config().with_file_name("huiju.db")).unwrap();
    let (errors, last_error, due_in): (i64, Option<String>, i64) = db
        .query_row(
            "SELECT consecutive_errors, last_error, next_due - unixepoch() FROM feeds WHERE url = ?1",
            [url],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(errors, 1);
    assert!(
        last_error.as_deref().is_some_and(|e| e.contains("panicked")),
        "{last_error:?}"
    );
    assert!(due_in > 0, "backed off: due in {due_in} s");
}

/// An RSS 2.0 document of `(guid, title, description)` items dated now,
/// links and guids under `http://news.example.cn/`.
pub fn rss_today(items: &[(&str, &str, &str)]) -> Vec<u8> {
    let mut doc = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>源</title>\n",
    );
    let date = chrono::Utc::now().to_rfc2822();
    for (guid, title, text) in items {
        doc.push_str(&format!(
            "<item><guid>http://news.example.cn/{guid}</guid><title>{title}</title>\
             <link>http://news.example.cn/{guid}.html</link><pubDate>{date}</pubDate>\
             <description>{text}</description></item>\n"
        ));
    }
    doc.push_str("</channel></rss>\n");
    doc.into_bytes()
}
