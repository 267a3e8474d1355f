//! The HTTP side of the daemon (axum). It never fetches: it answers from the
//! database and from rendered documents kept in memory until their category
//! changes, so a reader's poll costs no query and no rendering.
//!
//! No request path touches the filesystem.

mod filter;
mod search;
mod status;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::config::{ALL, Config};
use crate::metrics::{Metrics, RequestLabel};
use crate::render::{self, Format};
use crate::store::{Store, StoreError};

/// A rendered output feed with its validators.
pub(crate) struct Rendered {
    pub body: Bytes,
    /// The body gzipped once at render time, for cached documents: feed
    /// readers ask with `Accept-Encoding: gzip`, and compressing 170 KB per
    /// request held huiju to about 220 requests/s.
    pub gzip: Option<Bytes>,
    /// Strong ETag: a hash of the bytes.
    pub etag: String,
    /// When the document last changed: when this daemon first rendered
    /// these bytes, or, for the first rendering since it started, when its
    /// newest entry was stored or changed (never an entry's own date: an
    /// entry dated earlier than the newest still changes the document).
    pub last_modified: DateTime<Utc>,
    pub content_type: &'static str,
}

/// Which document a render makes.
enum Doc {
    /// A category's, kept in the cache and gzipped once.
    Cached,
    /// A category's with `?limit=`, `?q=` or filters (`filter.rs`):
    /// rendered per request.
    Filtered(Option<filter::Filters>),
    /// A search's over every feed, with its own title and self link.
    Search,
}

/// A cached document's ETag and the time it first had it.
type Version = (String, DateTime<Utc>);

/// A document rendered once, however many readers ask for it at the same time.
type RenderCell = tokio::sync::OnceCell<Arc<Rendered>>;

/// Shared by all requests.
pub(crate) struct AppState {
    config: RwLock<Arc<Config>>,
    /// A read connection of its own, so readers never wait for a refresh's
    /// write transaction (WAL).
    reader: Mutex<Store>,
    /// One cell per (category, format): concurrent readers of a document
    /// that is not rendered yet wait for a single rendering (no stampede
    /// when a refresh drops the cache under load).
    cache: Mutex<HashMap<(String, Format), Arc<RenderCell>>>,
    /// Per cached document: the ETag it had last and since when, so that a
    /// rendering of the same bytes keeps its Last-Modified.
    changed: Mutex<HashMap<(String, Format), Version>>,
    /// Bumped each time the cache is dropped: the publisher (`publish`)
    /// waits on it to write the documents again.
    drops: tokio::sync::watch::Sender<u64>,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    pub(crate) fn new(config: Arc<Config>, reader: Store, metrics: Arc<Metrics>) -> Arc<AppState> {
        Arc::new(AppState {
            config: RwLock::new(config),
            reader: Mutex::new(reader),
            cache: Mutex::new(HashMap::new()),
            changed: Mutex::new(HashMap::new()),
            drops: tokio::sync::watch::Sender::new(0),
            metrics,
        })
    }

    pub(crate) fn config(&self) -> Arc<Config> {
        self.config.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Installs a new config; every rendered document is dropped.
    pub(crate) fn set_config(&self, config: Arc<Config>) {
        *self.config.write().unwrap_or_else(|p| p.into_inner()) = config;
        self.invalidate_all();
    }

    /// Drops every rendered document.
    pub(crate) fn invalidate_all(&self) {
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.drops.send_modify(|n| *n += 1);
    }

    /// Wakes whenever the rendered documents are dropped (a document may
    /// have changed).
    pub(crate) fn drops(&self) -> tokio::sync::watch::Receiver<u64> {
        self.drops.subscribe()
    }

    /// The document `/feeds/{category}.{ext}` serves, from the cache:
    /// the same bytes, gzip and validators a reader gets.
    pub(crate) async fn document(
        self: &Arc<Self>,
        category: &str,
        format: Format,
    ) -> Result<Arc<Rendered>, String> {
        self.rendered(category, format, None, None, None).await
    }

    /// Proves the database answers (health checks, the watchdog).
    pub(crate) async fn ping(self: &Arc<Self>) -> Result<(), String> {
        self.read(|s| s.ping()).await
    }

    /// Runs `f` on the read connection, off the async workers.
    async fn read<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, String> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let guard = this.reader.lock().unwrap_or_else(|p| p.into_inner());
            f(&guard).map_err(|e| crate::pipeline::anyhow_like(&e))
        })
        .await
        .map_err(|e| e.to_string())?
    }

    /// Renders a category (from the cache when there is no filter).
    async fn rendered(
        self: &Arc<Self>,
        category: &str,
        format: Format,
        limit: Option<usize>,
        query: Option<String>,
        filters: Option<filter::Filters>,
    ) -> Result<Arc<Rendered>, String> {
        // Decision: documents with parameters are rendered per request and
        // not kept: the cache holds one document per category and format,
        // so its size is bounded by the config, whatever readers ask.
        if limit.is_some() || query.is_some() || filters.is_some() {
            return self
                .render(category, format, limit, query, Doc::Filtered(filters))
                .await;
        }
        let cell = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((category.to_string(), format))
            .or_default()
            .clone();
        cell.get_or_try_init(|| self.render(category, format, None, None, Doc::Cached))
            .await
            .cloned()
    }

    /// Renders a category's document, a filtered one, or a search's
    /// (`/search.{ext}?q=`, over `all`).
    async fn render(
        self: &Arc<Self>,
        category: &str,
        format: Format,
        limit: Option<usize>,
        query: Option<String>,
        doc: Doc,
    ) -> Result<Arc<Rendered>, String> {
        let precompress = matches!(doc, Doc::Cached);
        let cfg = self.config();
        let limit = limit.unwrap_or(cfg.fetch.items_per_feed).clamp(1, 1000);
        let cat = category.to_string();
        let collapse = cfg.collapse_threshold(category);
        let q = query.clone();
        let is_search = matches!(doc, Doc::Search);
        let tz = cfg.fetch.timezone;
        let items = match doc {
            // Filters drop items: four times as many are read for them.
            Doc::Filtered(Some(f)) => {
                self.read(move |s| {
                    let items = s.category_items(&cat, (limit * 4).min(4000), q.as_deref(), collapse)?;
                    Ok(f.apply(items, limit, tz))
                })
                .await?
            }
            _ => {
                self.read(move |s| s.category_items(&cat, limit, q.as_deref(), collapse))
                    .await?
            }
        };
        let search = query.as_deref().filter(|_| is_search);
        let body = render::for_category(&cfg, category, search, &items, format);
        self.metrics.renders.inc();
        let stored = items
            .iter()
            .map(|i| i.modified.map_or(i.first_seen, |m| m.max(i.first_seen)))
            .max()
            .unwrap_or(DateTime::UNIX_EPOCH);
        let etag = format!("\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(body.as_bytes()));
        let last_modified = if precompress {
            let mut changed = self.changed.lock().unwrap_or_else(|p| p.into_inner());
            let key = (category.to_string(), format);
            let since = match changed.get(&key) {
                Some((previous, since)) if *previous == etag => *since,
                // Other bytes than last time: changed now (and never before
                // the newest entry was stored).
                Some(_) => Utc::now().max(stored),
                None => stored,
            };
            changed.insert(key, (etag.clone(), since));
            since
        } else {
            stored
        };
        let gzip = if precompress {
            let b = body.clone();
            tokio::task::spawn_blocking(move || gzip(b.as_bytes()))
                .await
                .ok()
                .map(Bytes::from)
        } else {
            None
        };
        Ok(Arc::new(Rendered {
            etag,
            gzip,
            body: Bytes::from(body),
            last_modified,
            content_type: format.content_type(),
        }))
    }
}

pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(status::page))
        .route("/feeds/{file}", get(feed))
        .route("/search", get(search::page))
        .route("/search.rss", get(|s, q, h| search::feed(s, q, h, Format::Rss)))
        .route("/search.atom", get(|s, q, h| search::feed(s, q, h, Format::Atom)))
        .route("/search.json", get(|s, q, h| search::feed(s, q, h, Format::Json)))
        .route("/opml", get(opml))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found\n") })
        .layer(middleware::from_fn_with_state(state.clone(), count_requests))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(state)
}

async fn count_requests(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let resp = next.run(req).await;
    state
        .metrics
        .requests
        .get_or_create(&RequestLabel {
            route,
            status: resp.status().as_u16(),
        })
        .inc();
    resp
}

#[derive(Deserialize)]
struct FeedQuery {
    /// A string: `serde(flatten)` hands numbers over as text.
    limit: Option<String>,
    q: Option<String>,
    #[serde(flatten)]
    filters: filter::FilterParams,
}

fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

async fn feed(
    State(state): State<Arc<AppState>>,
    Path(file): Path<String>,
    Query(query): Query<FeedQuery>,
    headers: HeaderMap,
) -> Response {
    let Some((category, ext)) = file.rsplit_once('.') else {
        return (StatusCode::NOT_FOUND, "use /feeds/CATEGORY.rss, .atom or .json\n").into_response();
    };
    let format = match ext {
        "rss" => Format::Rss,
        "atom" => Format::Atom,
        "json" => Format::Json,
        _ => {
            return (
                StatusCode::NOT_FOUND,
                format!("unknown format '.{ext}': use .rss, .atom or .json\n"),
            )
                .into_response();
        }
    };
    if category != ALL && state.config().category(category).is_none() {
        return (StatusCode::NOT_FOUND, format!("unknown category '{category}'\n")).into_response();
    }
    let limit = match query.limit.as_deref().map(|l| l.trim().parse::<usize>()) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => return (StatusCode::BAD_REQUEST, "limit: want a whole number\n").into_response(),
    };
    let filters = match filter::Filters::of(&query.filters) {
        Ok(f) => f,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    };
    let q = query.q.map(|q| q.trim().to_string()).filter(|q| !q.is_empty());
    let r = match state.rendered(category, format, limit, q, filters).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(category, "cannot render: {e}");
            return (StatusCode::SERVICE_UNAVAILABLE, "the database is not answering\n").into_response();
        }
    };
    respond(&headers, &r)
}

/// A rendered document as the answer to a request with `headers`:
/// validators, 304, gzip.
fn respond(headers: &HeaderMap, r: &Rendered) -> Response {
    let gz = r.gzip.as_ref().filter(|_| accepts_gzip(headers));
    let etag = if gz.is_some() {
        gzip_etag(&r.etag)
    } else {
        r.etag.clone()
    };
    let mut h = HeaderMap::new();
    h.insert(
        header::ETAG,
        HeaderValue::from_str(&etag).expect("hex is a valid header"),
    );
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(
        header::LAST_MODIFIED,
        HeaderValue::from_str(&http_date(r.last_modified)).expect("dates are valid headers"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    if not_modified(headers, r) {
        return (StatusCode::NOT_MODIFIED, h).into_response();
    }
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(r.content_type));
    if let Some(gz) = gz {
        // Already compressed: the compression layer leaves it as it is.
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        return (StatusCode::OK, h, gz.clone()).into_response();
    }
    (StatusCode::OK, h, r.body.clone()).into_response()
}

pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 3),
        flate2::Compression::default(),
    );
    e.write_all(bytes).expect("writing to memory");
    e.finish().expect("writing to memory")
}

/// Whether the client takes gzip (`Accept-Encoding`, RFC 9110 §12.5.3):
/// listed (or `*`) without `q=0`.
fn accepts_gzip(req: &HeaderMap) -> bool {
    req.get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// ETag of the gzipped representation: a representation's strong ETag
/// must differ from the other's (RFC 9110 §8.8.3).
fn gzip_etag(etag: &str) -> String {
    format!("{}-gz\"", etag.trim_end_matches('"'))
}

/// RFC 9110: If-None-Match decides when present, else If-Modified-Since.
fn not_modified(req: &HeaderMap, r: &Rendered) -> bool {
    if let Some(inm) = req.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        return inm
            .split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == r.etag || t == gzip_etag(&r.etag));
    }
    req.get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
        .is_some_and(|since| r.last_modified.timestamp() <= since.timestamp())
}

/// The OPML list of the category feeds, as `/opml` serves it.
pub(crate) fn opml_document(cfg: &Config) -> String {
    crate::opml::export(&cfg.categories, &cfg.server.base_url, "huiju 汇聚")
}

async fn opml(State(state): State<Arc<AppState>>) -> Response {
    let body = opml_document(&state.config());
    ([(header::CONTENT_TYPE, "text/x-opml; charset=utf-8")], body).into_response()
}

async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    match state.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("database: {e}\n")).into_response(),
    }
}

/// The metrics in the Prometheus text format, or in OpenMetrics when the
/// scraper's `Accept` names it (as Prometheus itself does), as the
/// Prometheus client libraries negotiate.
async fn metrics(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Ok(n) = state.read(|s| s.feeds_in_error()).await {
        state.metrics.feeds_in_error.set(n);
    }
    if let Ok(sizes) = state.read(|s| s.sizes()).await {
        state.metrics.set_sizes(&sizes);
    }
    let openmetrics = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/openmetrics-text"));
    let body = state.metrics.encode();
    if openmetrics {
        (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            body,
        )
            .into_response()
    } else {
        (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
            crate::metrics::to_text_format(&body),
        )
            .into_response()
    }
}
