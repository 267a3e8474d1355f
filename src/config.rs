//! The feed-list config: a hand-edited TOML file, loaded and validated in one
//! step so that every later stage can trust it.
//!
//! Errors name the file and, where the TOML parser or a span tells us, the
//! line and column, so `huiju check` reads like a compiler message.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;
use url::Url;

/// The category id that means "every category"; no configured category may use it.
pub const ALL: &str = "all";

/// Default User-Agent: names huiju and its version so operators can find us.
pub const DEFAULT_USER_AGENT: &str = concat!("huiju/", env!("CARGO_PKG_VERSION"), " (feed aggregator)");

/// A config that failed to load. The message always starts with `file:line:col`
/// when a position is known, else with the file name.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{location}: {message}")]
    Invalid { location: String, message: String },
}

/// The validated configuration. Passed explicitly to whoever needs it.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file this was read from (for messages).
    pub path: PathBuf,
    pub server: Server,
    /// Absolute path of the SQLite database.
    pub database: PathBuf,
    pub fetch: Fetch,
    pub categories: Vec<Category>,
    pub feeds: Vec<Feed>,
    /// Near-duplicate detection; `None` when `[dedup] enabled = false`.
    pub dedup: Option<crate::neardup::Settings>,
    pub retention: Retention,
    /// `[publish]`: the merged feeds written as files; `None` without it.
    pub publish: Option<Publish>,
    /// Which categories items go to, by what they say: `[[exclude]]`,
    /// `[[feed]] exclude`, `[[category]] include`, `exclude`, `from` and
    /// `match`, compiled. Always present (no rules: every item is in its
    /// feeds' categories).
    pub(crate) rules: std::sync::Arc<crate::rules::Rules>,
}

/// `[retention]`: how long stored items are kept (see `store::prune`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    /// What feeds without their own `retention` keep.
    pub keep: Keep,
    /// Items that only feeds removed from the config carry go this long
    /// after their removal; `None`: kept forever.
    pub removed_feeds_after: Option<Duration>,
    /// When the daemon prunes: cron with seconds, in `[fetch] timezone`.
    pub schedule: String,
    /// Feeds whose `[[category]]` or `[[feed]]` retention makes their
    /// policy differ from `keep`, by feed URL.
    pub feeds: BTreeMap<String, Keep>,
}

/// How long one feed's items are kept: `[retention]`, overridden per
/// `[[category]]`, overridden per `[[feed]]` (the most specific wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keep {
    /// Items older than this by their sort time may go; `None`: kept forever.
    pub max_age: Option<Duration>,
    /// Only the feed's newest this many items are kept; `None`: no cap.
    /// A cap: `keep_min` does not protect items beyond it.
    pub max_items: Option<usize>,
    /// A feed never loses its newest this many items to `max_age`.
    pub keep_min: usize,
}

impl Keep {
    /// The policy that keeps whatever either keeps: a feed in two
    /// categories keeps its items as long as the more patient one does.
    ///
    /// Decision: the longest, not the first category's: an item shown in
    /// a category must stay for as long as that category promises.
    fn longest(self, other: Keep) -> Keep {
        Keep {
            max_age: self.max_age.zip(other.max_age).map(|(a, b)| a.max(b)),
            max_items: self.max_items.zip(other.max_items).map(|(a, b)| a.max(b)),
            keep_min: self.keep_min.max(other.keep_min),
        }
    }

    /// The fields `over` sets, the others from `self`.
    fn with(self, over: &KeepOverride) -> Keep {
        Keep {
            max_age: over.max_age.unwrap_or(self.max_age),
            max_items: over.max_items.unwrap_or(self.max_items),
            keep_min: over.keep_min.unwrap_or(self.keep_min),
        }
    }
}

impl Retention {
    /// The policy of the feed at `url`.
    pub fn keep_for(&self, url: &str) -> Keep {
        self.feeds.get(url).copied().unwrap_or(self.keep)
    }

    /// Every policy in use.
    pub fn policies(&self) -> impl Iterator<Item = Keep> + '_ {
        std::iter::once(self.keep).chain(self.feeds.values().copied())
    }
}

/// A `retention = { … }` table of a category or a feed: the fields it sets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct KeepOverride {
    max_age: Option<Option<Duration>>,
    max_items: Option<Option<usize>>,
    keep_min: Option<usize>,
}

const DAY: u64 = 24 * 3600;

impl Default for Retention {
    /// The one home of the defaults: validation fills in from here.
    fn default() -> Retention {
        Retention {
            keep: Keep {
                max_age: Some(Duration::from_secs(180 * DAY)),
                max_items: None,
                keep_min: 50,
            },
            removed_feeds_after: Some(Duration::from_secs(30 * DAY)),
            schedule: "0 0 4 * * *".to_string(),
            feeds: BTreeMap::new(),
        }
    }
}

/// `[publish]`: where and how the merged feeds are written as files, for
/// nginx or a CDN's origin to serve (see `publish`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publish {
    /// Absolute path of the folder served.
    pub dir: PathBuf,
    /// Formats written, each once, in the order given.
    pub formats: Vec<crate::render::Format>,
    /// A `.gz` beside each file (nginx `gzip_static`).
    pub gzip: bool,
    /// A `.br` beside each file (the `brotli_static` of ngx_brotli).
    pub brotli: bool,
    /// Least time between two passes, so a burst of polls is written once.
    pub debounce: Duration,
}

impl Publish {
    pub const DEFAULT_DEBOUNCE: Duration = Duration::from_secs(5);
}

#[derive(Debug, Clone)]
pub struct Server {
    pub listen: String,
    /// Public URL of this server, without a trailing slash; used for self links.
    pub base_url: String,
    /// A WebSub hub to advertise in output feeds and to notify of changes.
    pub websub_hub: Option<Url>,
}

#[derive(Debug, Clone)]
pub struct Fetch {
    /// Cron expression with a seconds field, as tokio-cron-scheduler reads it.
    pub schedule: String,
    /// Zone for dates that carry no offset, unless a feed overrides it.
    pub timezone: Tz,
    /// Total time one request may take, body included.
    pub timeout: Duration,
    pub user_agent: String,
    /// Bodies larger than this (after decompression) are cut and the fetch fails.
    pub max_body: u64,
    /// How many items an output feed carries.
    pub items_per_feed: usize,
    /// Longest wait after repeated errors (backoff cap).
    pub max_backoff: Duration,
    /// Requests at once, in all and to one host.
    pub concurrency: usize,
    pub per_host: usize,
    /// `[[host]]` tables: politeness and request headers per host.
    pub hosts: HostRules,
}

/// One `[[host]]` table: what requests to a host (or a domain and its
/// subdomains) get instead of the `[fetch]` defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRule {
    /// Lowercase; `example.com` (that host only) or `*.example.com` (the
    /// domain itself and every subdomain).
    pub pattern: String,
    /// Request slots for one host (each matching host has its own).
    pub per_host: Option<usize>,
    /// Pause between the starts of two requests to one host.
    pub gap: Option<Duration>,
    pub user_agent: Option<String>,
    /// Extra request headers, names and values checked valid.
    pub headers: Vec<(String, String)>,
}

/// Every `[[host]]` table; [`HostRules::find`] picks the one for a host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostRules(Vec<HostRule>);

impl HostRules {
    /// The most specific rule matching `host`: an exact name over any
    /// wildcard, a longer wildcard over a shorter one.
    pub fn find(&self, host: &str) -> Option<&HostRule> {
        let host = host.trim_end_matches('.');
        let mut best: Option<(usize, &HostRule)> = None;
        for r in &self.0 {
            let score = match r.pattern.strip_prefix("*.") {
                None if r.pattern.eq_ignore_ascii_case(host) => usize::MAX,
                None => continue,
                Some(domain) => {
                    let matches = host.eq_ignore_ascii_case(domain)
                        || (host.len() > domain.len()
                            && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
                            && host[host.len() - domain.len()..].eq_ignore_ascii_case(domain));
                    if !matches {
                        continue;
                    }
                    domain.len()
                }
            };
            if best.is_none_or(|(b, _)| score > b) {
                best = Some((score, r));
            }
        }
        best.map(|(_, r)| r)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct Category {
    pub id: String,
    pub title: String,
    pub description: String,
    /// This category's own threshold: copies less alike than this are
    /// shown separately here (2.0 shows every copy). `None`: the global one.
    pub dedup_threshold: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Feed {
    /// `http(s)://` or `file://`; relative paths in the file are resolved
    /// against the config's folder and stored here as `file://` URLs.
    pub url: Url,
    pub categories: Vec<String>,
    /// Name shown as the item's source; falls back to the feed's own title.
    pub title: Option<String>,
    pub timezone: Tz,
    /// This feed's own cron schedule, else `[fetch] schedule`.
    pub schedule: String,
    /// Forces the character encoding (an encoding_rs / WHATWG label).
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// Among copies of one story, the highest priority feed's represents it.
    pub priority: i64,
    /// `kind = "html"`: a web page read with these CSS selectors
    /// (`[feed.html]`); `None` for an RSS/Atom feed. Boxed: most feeds
    /// have none, and every refresh in flight holds a copy of its `Feed`.
    pub html: Option<Box<crate::ingest::scrape::Selectors>>,
    /// `[feed.fulltext]`: the article pages of an RSS/Atom feed's items.
    /// Boxed, as `html`.
    pub fulltext: Option<Box<Fulltext>>,
}

/// `[feed.fulltext]`: where the body is on the page each item links to,
/// and what it does to the item's text.
#[derive(Debug, Clone)]
pub struct Fulltext {
    pub content: crate::ingest::scrape::ArticleBody,
    /// Taken out of the page before the body is read.
    pub remove: Vec<crate::ingest::scrape::Sel>,
    pub mode: crate::ingest::normalize::ArticleMode,
    /// At most this many article pages a poll.
    pub per_poll: usize,
}

/// How a source's article pages are fetched and what their text does:
/// an HTML source's `[feed.html] content`, or a feed's `[feed.fulltext]`.
#[derive(Debug, Clone, Copy)]
pub struct ArticlePages<'a> {
    pub content: &'a crate::ingest::scrape::ArticleBody,
    pub remove: &'a [crate::ingest::scrape::Sel],
    pub mode: crate::ingest::normalize::ArticleMode,
    pub per_poll: usize,
    /// The encoding the pages are read in whatever they declare: an HTML
    /// source's `encoding` (its list page and articles are one site's);
    /// a feed's article pages go by their own declarations.
    pub encoding: Option<&'static encoding_rs::Encoding>,
}

impl Feed {
    /// Its article pages, if it fetches any.
    pub fn article_pages(&self) -> Option<ArticlePages<'_>> {
        if let Some(h) = &self.html {
            return h.content.as_ref().map(|content| ArticlePages {
                content,
                remove: &h.remove,
                mode: crate::ingest::normalize::ArticleMode::Replace,
                per_poll: h.articles_per_poll,
                encoding: self.encoding,
            });
        }
        self.fulltext.as_deref().map(|f| ArticlePages {
            content: &f.content,
            remove: &f.remove,
            mode: f.mode,
            per_poll: f.per_poll,
            encoding: None,
        })
    }
}

impl Config {
    /// Reads and validates `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Validates `text` as if read from `path` (which anchors relative paths).
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let ctx = Ctx { text, path };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let message = e.message().trim_end().to_string();
            ctx.err(e.span(), message)
        })?;
        raw.validate(&ctx)
    }

    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }

    /// How alike copies must be to show as one entry in `category`
    /// (`None`: every copy on its own, as when `[dedup]` is off).
    pub fn collapse_threshold(&self, category: &str) -> Option<f64> {
        let global = self.dedup?.params.threshold;
        match self.category(category).and_then(|c| c.dedup_threshold) {
            Some(t) if t > 1.0 => None,
            Some(t) => Some(t),
            None => Some(global),
        }
    }

    /// What the stored routes depend on: the rules, and each feed's name
    /// and categories. Routes made under another key are made again.
    pub(crate) fn routes_key(&self) -> i64 {
        let mut text = self.rules.digest();
        for f in &self.feeds {
            text.push_str(&format!("{}\t{:?}\t{:?}\n", f.url, f.title, f.categories));
        }
        // Stored in an INTEGER column: the hash's bits, as signed.
        xxhash_rust::xxh3::xxh3_64(text.as_bytes()) as i64
    }

    /// One-line summary printed by `huiju check`. Every count is given,
    /// zero too (`0 host rules`): the line keeps one shape for scripts.
    pub fn summary(&self) -> String {
        format!(
            "{}: ok, {} categories, {} feeds, {} host rules, database {}",
            self.path.display(),
            self.categories.len(),
            self.feeds.len(),
            self.fetch.hosts.len(),
            self.database.display()
        )
    }
}

struct Ctx<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Ctx<'_> {
    fn err(&self, span: Option<Range<usize>>, message: impl Into<String>) -> ConfigError {
        let location = match span {
            Some(span) => self.location(span.start),
            None => self.path.display().to_string(),
        };
        ConfigError::Invalid {
            location,
            message: one_line(&message.into()),
        }
    }

    fn at<T>(&self, v: &Spanned<T>, message: impl Into<String>) -> ConfigError {
        self.err(Some(v.span()), message)
    }

    /// `file:line:col` of byte offset `pos`.
    fn location(&self, pos: usize) -> String {
        let (line, col) = line_col(self.text, pos);
        format!("{}:{line}:{col}", self.path.display())
    }

    fn dir(&self) -> PathBuf {
        match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        }
    }
}

/// Keeps a message on one line: values quoted in it may hold TOML `\n`
/// escapes or other control characters (found by fuzzing).
fn one_line(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for c in message.trim_end().chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    out
}

/// 1-based line and column (in characters) of byte offset `pos`.
fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(text.len());
    let before = &text[..pos];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    server: RawServer,
    #[serde(default)]
    storage: RawStorage,
    #[serde(default)]
    fetch: RawFetch,
    #[serde(default, rename = "category")]
    categories: Vec<RawCategory>,
    #[serde(default, rename = "feed")]
    feeds: Vec<RawFeed>,
    #[serde(default)]
    dedup: RawDedup,
    #[serde(default)]
    retention: RawRetention,
    publish: Option<Spanned<RawPublish>>,
    #[serde(default, rename = "host")]
    hosts: Vec<RawHost>,
    /// `[[exclude]]`: block rules for every feed.
    #[serde(default, rename = "exclude")]
    excludes: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHost {
    #[serde(rename = "match")]
    pattern: Spanned<String>,
    per_host: Option<Spanned<usize>>,
    gap: Option<Spanned<String>>,
    user_agent: Option<Spanned<String>>,
    #[serde(default)]
    headers: Option<Spanned<std::collections::BTreeMap<String, Spanned<String>>>>,
}

/// Headers huiju sets itself, refused in `[[host]] headers`.
const OWN_HEADERS: [&str; 6] = [
    "host",
    "if-none-match",
    "if-modified-since",
    "content-length",
    "accept-encoding",
    "user-agent",
];

fn validate_hosts(raw: Vec<RawHost>, ctx: &Ctx) -> Result<HostRules, ConfigError> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut rules = Vec::with_capacity(raw.len());
    for h in raw {
        let pattern = h
            .pattern
            .get_ref()
            .trim()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let domain = pattern.strip_prefix("*.").unwrap_or(&pattern);
        if domain.is_empty() || domain.contains(['*', '/', ':', ' ']) || url::Host::parse(domain).is_err() {
            return Err(ctx.at(
                &h.pattern,
                format!(
                    "host match '{}': need a host name (\"example.com\") or \"*.example.com\" \
                     (the domain and its subdomains)",
                    h.pattern.get_ref()
                ),
            ));
        }
        let line = line_col(ctx.text, h.pattern.span().start).0;
        if let Some(first) = seen.insert(pattern.clone(), line) {
            return Err(ctx.at(
                &h.pattern,
                format!("duplicate host match '{pattern}' (first at line {first})"),
            ));
        }
        let per_host = match h.per_host {
            Some(n) if *n.get_ref() == 0 => return Err(ctx.at(&n, "host per_host must be at least 1")),
            Some(n) => Some(n.into_inner()),
            None => None,
        };
        let gap = match h.gap {
            Some(g) => Some(parse_gap(g.get_ref()).map_err(|m| ctx.at(&g, format!("host gap: {m}")))?),
            None => None,
        };
        let user_agent = match h.user_agent {
            Some(u)
                if u.get_ref().trim().is_empty()
                    || reqwest::header::HeaderValue::from_str(u.get_ref()).is_err() =>
            {
                return Err(ctx.at(&u, "host user_agent must be a non-empty, valid header value"));
            }
            Some(u) => Some(u.into_inner()),
            None => None,
        };
        let mut headers = Vec::new();
        if let Some(table) = h.headers {
            let at = table.span();
            for (name, value) in table.into_inner() {
                if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                    return Err(ctx.err(Some(at.clone()), format!("invalid header name '{name}'")));
                }
                if OWN_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                    let hint = if name.eq_ignore_ascii_case("user-agent") {
                        "; use user_agent"
                    } else {
                        ""
                    };
                    return Err(ctx.err(
                        Some(at.clone()),
                        format!("header '{name}' is set by huiju itself{hint}"),
                    ));
                }
                if reqwest::header::HeaderValue::from_str(value.get_ref()).is_err() {
                    return Err(ctx.at(&value, format!("invalid value for header '{name}'")));
                }
                headers.push((name, value.into_inner()));
            }
        }
        rules.push(HostRule {
            pattern,
            per_host,
            gap,
            user_agent,
            headers,
        });
    }
    Ok(HostRules(rules))
}

/// A `[[host]] gap`: a whole number and a unit, `ms`, `s` or `m`
/// (`"0ms"`, `"250ms"`, `"2s"`); at most an hour.
fn parse_gap(t: &str) -> Result<Duration, String> {
    let t = t.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let bad = || format!("bad duration '{t}': use a number and a unit, e.g. \"0ms\", \"250ms\", \"2s\"");
    let n: u64 = num.parse().map_err(|_| bad())?;
    let ms = match unit.trim() {
        "ms" => Some(n),
        "s" => n.checked_mul(1000),
        "m" => n.checked_mul(60_000),
        _ => return Err(bad()),
    };
    ms.filter(|ms| *ms <= 3_600_000)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("bad duration '{t}': more than an hour"))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRetention {
    max_age: Option<Spanned<String>>,
    max_items: Option<Spanned<i64>>,
    keep_min: Option<Spanned<i64>>,
    removed_feeds_after: Option<Spanned<String>>,
    schedule: Option<Spanned<String>>,
}

/// `retention = { … }` in a `[[category]]` or a `[[feed]]`: what one
/// feed keeps; the schedule and removed feeds are global.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawKeep {
    max_age: Option<Spanned<String>>,
    max_items: Option<Spanned<i64>>,
    keep_min: Option<Spanned<i64>>,
}

impl RawKeep {
    /// `owner` names the table in messages (`retention`, `category 'x' retention`).
    fn validate(&self, owner: &str, ctx: &Ctx) -> Result<KeepOverride, ConfigError> {
        let max_age = match &self.max_age {
            Some(s) => Some(parse_age(s.get_ref()).map_err(|m| ctx.at(s, format!("{owner}.max_age: {m}")))?),
            None => None,
        };
        let count = |v: &Spanned<i64>, name: &str| {
            usize::try_from(*v.get_ref()).map_err(|_| ctx.at(v, format!("{owner}.{name} must be 0 or more")))
        };
        Ok(KeepOverride {
            max_age,
            // 0: no cap, as "0" is forever for max_age.
            max_items: match &self.max_items {
                Some(n) => Some(Some(count(n, "max_items")?).filter(|&n| n > 0)),
                None => None,
            },
            keep_min: self.keep_min.as_ref().map(|n| count(n, "keep_min")).transpose()?,
        })
    }
}

impl RawRetention {
    fn validate(self, ctx: &Ctx) -> Result<Retention, ConfigError> {
        let defaults = Retention::default();
        let keep = RawKeep {
            max_age: self.max_age,
            max_items: self.max_items,
            keep_min: self.keep_min,
        }
        .validate("retention", ctx)?;
        let schedule = match self.schedule {
            Some(s) => {
                validate_cron(s.get_ref()).map_err(|m| ctx.at(&s, format!("retention.schedule: {m}")))?;
                s.into_inner()
            }
            None => defaults.schedule,
        };
        let removed_feeds_after = match &self.removed_feeds_after {
            Some(s) => parse_age(s.get_ref())
                .map_err(|m| ctx.at(s, format!("retention.removed_feeds_after: {m}")))?,
            None => defaults.removed_feeds_after,
        };
        Ok(Retention {
            keep: defaults.keep.with(&keep),
            removed_feeds_after,
            schedule,
            feeds: BTreeMap::new(),
        })
    }
}

/// A retention duration: a whole number and a unit, `s`, `m`, `h`, `d` or
/// `w` (`"90d"`); `"0"` (with or without a unit) means forever, `None`.
///
/// Decision: a string with a unit, not integer seconds as `[fetch]` has:
/// retention is counted in days, and `"90d"` is what the other readers'
/// settings and the issue's users write.
fn parse_age(t: &str) -> Result<Option<Duration>, String> {
    let t = t.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let bad = || {
        format!("bad duration '{t}': use a number and a unit, e.g. \"90d\", \"12h\" (\"0\" keeps forever)")
    };
    let n: u64 = num.parse().map_err(|_| bad())?;
    let mult = match unit.trim() {
        "" if n == 0 => 1,
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => DAY,
        "w" => 7 * DAY,
        _ => return Err(bad()),
    };
    if n == 0 {
        return Ok(None);
    }
    n.checked_mul(mult)
        .filter(|s| *s <= 100 * 365 * DAY)
        .map(|s| Some(Duration::from_secs(s)))
        .ok_or_else(|| format!("bad duration '{t}': more than 100 years"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPublish {
    dir: Option<Spanned<String>>,
    formats: Option<Spanned<Vec<Spanned<String>>>>,
    gzip: Option<bool>,
    brotli: Option<bool>,
    debounce: Option<Spanned<String>>,
}

impl RawPublish {
    fn validate(raw: Spanned<RawPublish>, ctx: &Ctx) -> Result<Publish, ConfigError> {
        use crate::render::Format;
        let span = raw.span();
        let raw = raw.into_inner();
        let dir = match raw.dir {
            Some(d) if d.get_ref().trim().is_empty() => return Err(ctx.at(&d, "publish.dir is empty")),
            Some(d) => {
                let p = PathBuf::from(d.get_ref());
                if p.is_absolute() { p } else { ctx.dir().join(p) }
            }
            None => {
                return Err(ctx.err(
                    Some(span),
                    "publish.dir is missing: the folder nginx or a CDN's origin serves",
                ));
            }
        };
        let formats = match raw.formats {
            None => Format::ALL.to_vec(),
            Some(list) if list.get_ref().is_empty() => {
                return Err(ctx.at(&list, "publish.formats is empty: list rss, atom or json"));
            }
            Some(list) => {
                let mut out = Vec::new();
                for f in list.into_inner() {
                    let format = match f.get_ref().as_str() {
                        "rss" => Format::Rss,
                        "atom" => Format::Atom,
                        "json" => Format::Json,
                        other => {
                            return Err(ctx.at(
                                &f,
                                format!("publish.formats: unknown format '{other}': use rss, atom or json"),
                            ));
                        }
                    };
                    if out.contains(&format) {
                        return Err(ctx.at(&f, format!("publish.formats: '{}' is listed twice", f.get_ref())));
                    }
                    out.push(format);
                }
                out
            }
        };
        let debounce = match &raw.debounce {
            Some(d) => parse_gap(d.get_ref()).map_err(|m| ctx.at(d, format!("publish.debounce: {m}")))?,
            None => Publish::DEFAULT_DEBOUNCE,
        };
        Ok(Publish {
            dir,
            formats,
            gzip: raw.gzip.unwrap_or(true),
            brotli: raw.brotli.unwrap_or(false),
            debounce,
        })
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDedup {
    enabled: Option<bool>,
    threshold: Option<Spanned<f64>>,
    /// Hours.
    window: Option<Spanned<u64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawServer {
    listen: Option<Spanned<String>>,
    base_url: Option<Spanned<String>>,
    websub_hub: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    database: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFetch {
    schedule: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
    /// Seconds.
    timeout: Option<Spanned<u64>>,
    user_agent: Option<String>,
    max_body: Option<Spanned<Size>>,
    items_per_feed: Option<Spanned<usize>>,
    /// Seconds.
    max_backoff: Option<Spanned<u64>>,
    concurrency: Option<Spanned<usize>>,
    per_host: Option<Spanned<usize>>,
}

/// A byte size: an integer, or a string such as `"15 MiB"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Size {
    Bytes(u64),
    Text(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    id: Spanned<String>,
    title: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    /// `false` shows every copy in this category.
    dedup: Option<bool>,
    dedup_threshold: Option<Spanned<f64>>,
    retention: Option<RawKeep>,
    /// An item of this category's own feeds enters only if it matches one.
    include: Option<Vec<Spanned<RawRule>>>,
    /// Keeps matching items out of this category.
    exclude: Option<Vec<Spanned<RawRule>>>,
    /// Also takes the items of these categories ("all": every feed) that
    /// match one of `match`.
    from: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(rename = "match")]
    matches: Option<Spanned<Vec<Spanned<RawRule>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeed {
    url: Spanned<String>,
    categories: Spanned<Vec<Spanned<String>>>,
    title: Option<String>,
    timezone: Option<Spanned<String>>,
    encoding: Option<Spanned<String>>,
    schedule: Option<Spanned<String>>,
    #[serde(default)]
    priority: i64,
    /// `"feed"` (the default) or `"html"`.
    kind: Option<Spanned<String>>,
    html: Option<Spanned<RawHtml>>,
    fulltext: Option<Spanned<RawFulltext>>,
    retention: Option<RawKeep>,
    /// Block rules for this feed's items.
    #[serde(default)]
    exclude: Vec<Spanned<RawRule>>,
}

/// `[feed.html]`: how to read a web page as a feed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHtml {
    item: Spanned<String>,
    title: Option<Spanned<String>>,
    link: Option<Spanned<String>>,
    link_attr: Option<Spanned<String>>,
    date: Option<Spanned<String>>,
    date_attr: Option<Spanned<String>>,
    date_format: Option<Spanned<String>>,
    summary: Option<Spanned<String>>,
    content: Option<Spanned<String>>,
    #[serde(default)]
    remove: Vec<Spanned<String>>,
    articles_per_poll: Option<Spanned<usize>>,
}

impl RawHtml {
    fn validate(self, ctx: &Ctx) -> Result<crate::ingest::scrape::Selectors, ConfigError> {
        use crate::ingest::scrape::{ARTICLES_PER_POLL, ArticleBody, Sel, Selectors};
        let sel = |s: &Spanned<String>, key: &str| {
            Sel::parse(s.get_ref()).map_err(|m| ctx.at(s, format!("html.{key}: {m}")))
        };
        let opt = |s: &Option<Spanned<String>>, key: &str| s.as_ref().map(|s| sel(s, key)).transpose();
        let attr = |s: &Option<Spanned<String>>, key: &str| match s {
            Some(a) if a.get_ref().trim().is_empty() => Err(ctx.at(a, format!("html.{key} is empty"))),
            Some(a) => Ok(Some(a.get_ref().trim().to_ascii_lowercase())),
            None => Ok(None),
        };
        if let Some(f) = &self.date_format {
            crate::ingest::scrape::check_date_format(f.get_ref()).map_err(|m| ctx.at(f, m))?;
            if self.date.is_none() {
                return Err(ctx.at(f, "html.date_format needs a date selector (html.date)"));
            }
        }
        if let Some(a) = &self.date_attr
            && self.date.is_none()
        {
            return Err(ctx.at(a, "html.date_attr needs a date selector (html.date)"));
        }
        if self.content.is_none() {
            if let Some(r) = self.remove.first() {
                return Err(ctx.at(
                    r,
                    "html.remove applies to the article body: it needs a content selector (html.content)",
                ));
            }
            if let Some(n) = &self.articles_per_poll {
                return Err(ctx.at(
                    n,
                    "html.articles_per_poll needs a content selector (html.content): without one no article is fetched",
                ));
            }
        }
        let articles_per_poll = match &self.articles_per_poll {
            Some(n) if *n.get_ref() == 0 => {
                return Err(ctx.at(
                    n,
                    "html.articles_per_poll must be at least 1 (leave out html.content to fetch no articles)",
                ));
            }
            Some(n) => *n.get_ref(),
            None => ARTICLES_PER_POLL,
        };
        Ok(Selectors {
            item: sel(&self.item, "item")?,
            title: opt(&self.title, "title")?,
            link: opt(&self.link, "link")?,
            link_attr: attr(&self.link_attr, "link_attr")?.unwrap_or_else(|| "href".to_string()),
            date: opt(&self.date, "date")?,
            date_attr: attr(&self.date_attr, "date_attr")?,
            date_format: self.date_format.map(|f| f.into_inner()),
            summary: opt(&self.summary, "summary")?,
            content: self
                .content
                .as_ref()
                .map(|c| ArticleBody::parse(c.get_ref()).map_err(|m| ctx.at(c, format!("html.content: {m}"))))
                .transpose()?,
            remove: self
                .remove
                .iter()
                .map(|r| sel(r, "remove"))
                .collect::<Result<_, _>>()?,
            articles_per_poll,
        })
    }
}

/// `[feed.fulltext]`: the article pages of a feed's items.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFulltext {
    content: Spanned<String>,
    #[serde(default)]
    remove: Vec<Spanned<String>>,
    mode: Option<Spanned<String>>,
    per_poll: Option<Spanned<usize>>,
}

impl RawFulltext {
    fn validate(self, ctx: &Ctx) -> Result<Fulltext, ConfigError> {
        use crate::ingest::normalize::ArticleMode;
        use crate::ingest::scrape::{ARTICLES_PER_POLL, ArticleBody, Sel};
        let content = ArticleBody::parse(self.content.get_ref())
            .map_err(|m| ctx.at(&self.content, format!("fulltext.content: {m}")))?;
        let remove = self
            .remove
            .iter()
            .map(|r| Sel::parse(r.get_ref()).map_err(|m| ctx.at(r, format!("fulltext.remove: {m}"))))
            .collect::<Result<_, _>>()?;
        let mode = match &self.mode {
            None => ArticleMode::Replace,
            Some(m) => match m.get_ref().trim() {
                "replace" => ArticleMode::Replace,
                "append" => ArticleMode::Append,
                other => {
                    return Err(ctx.at(
                        m,
                        format!("fulltext.mode must be \"replace\" or \"append\", not '{other}'"),
                    ));
                }
            },
        };
        let per_poll = match &self.per_poll {
            Some(n) if *n.get_ref() == 0 => {
                return Err(ctx.at(
                    n,
                    "fulltext.per_poll must be at least 1 (leave out [feed.fulltext] to fetch no article pages)",
                ));
            }
            Some(n) => *n.get_ref(),
            None => ARTICLES_PER_POLL,
        };
        Ok(Fulltext {
            content,
            remove,
            mode,
            per_poll,
        })
    }
}

impl RawConfig {
    fn validate(self, ctx: &Ctx) -> Result<Config, ConfigError> {
        let listen = match self.server.listen {
            Some(l) => {
                l.get_ref()
                    .parse::<std::net::SocketAddr>()
                    .map_err(|e| ctx.at(&l, format!("bad listen address '{}': {e}", l.get_ref())))?;
                l.into_inner()
            }
            None => "127.0.0.1:8080".to_string(),
        };
        let base_url = match self.server.base_url {
            Some(b) => {
                let u = Url::parse(b.get_ref())
                    .map_err(|e| ctx.at(&b, format!("bad base_url '{}': {e}", b.get_ref())))?;
                if !matches!(u.scheme(), "http" | "https") {
                    return Err(ctx.at(&b, format!("base_url '{}' must be http(s)", b.get_ref())));
                }
                b.into_inner().trim_end_matches('/').to_string()
            }
            None => format!("http://{listen}"),
        };
        let websub_hub = match self.server.websub_hub {
            Some(h) => {
                let u = Url::parse(h.get_ref())
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .ok_or_else(|| {
                        ctx.at(
                            &h,
                            format!("bad websub_hub '{}': need an http(s) URL", h.get_ref()),
                        )
                    })?;
                Some(u)
            }
            None => None,
        };

        let database = {
            let p = PathBuf::from(self.storage.database.as_deref().unwrap_or("huiju.db"));
            if p.is_absolute() { p } else { ctx.dir().join(p) }
        };

        let mut fetch = self.fetch.validate(ctx)?;
        fetch.hosts = validate_hosts(self.hosts, ctx)?;

        let mut retention = self.retention.validate(ctx)?;
        let publish = self.publish.map(|p| RawPublish::validate(p, ctx)).transpose()?;
        let mut categories: Vec<Category> = Vec::new();
        let mut cat_ids: HashMap<String, usize> = HashMap::new();
        // What each category's feeds keep, when the category says.
        let mut cat_keep: HashMap<String, Keep> = HashMap::new();
        let mut category_rules = Vec::new();
        for c in self.categories {
            let id = c.id.get_ref();
            if id == ALL {
                return Err(ctx.at(&c.id, "category id 'all' is reserved (it means every category)"));
            }
            if id.is_empty()
                || !id
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-' || ch == '_')
            {
                return Err(ctx.at(
                    &c.id,
                    format!("category id '{id}' must be a URL slug: lower-case a-z, 0-9, '-' or '_'"),
                ));
            }
            if let Some(&first) = cat_ids.get(id) {
                let first = line_col(ctx.text, first).0;
                return Err(ctx.at(
                    &c.id,
                    format!("duplicate category id '{id}' (first defined at line {first})"),
                ));
            }
            if c.title.get_ref().trim().is_empty() {
                return Err(ctx.at(&c.title, format!("category '{id}' has an empty title")));
            }
            // Offsets, not lines: counting lines from the start for every
            // entry made validation quadratic in the file's length.
            cat_ids.insert(id.clone(), c.id.span().start);
            let dedup_threshold = match (c.dedup, &c.dedup_threshold) {
                (Some(false), _) => Some(2.0),
                (_, Some(t)) => Some(threshold(t, ctx)?),
                _ => None,
            };
            if let Some(r) = &c.retention {
                let over = r.validate(&format!("category '{id}' retention"), ctx)?;
                cat_keep.insert(id.clone(), retention.keep.with(&over));
            }
            category_rules.push(RawCategoryRules {
                id: id.clone(),
                include: c.include.unwrap_or_default(),
                exclude: c.exclude.unwrap_or_default(),
                from: c.from,
                matches: c.matches,
            });
            let title = c.title.into_inner();
            categories.push(Category {
                dedup_threshold,
                id: c.id.into_inner(),
                description: c.description.unwrap_or_else(|| title.clone()),
                title,
            });
        }

        let mut feeds = Vec::with_capacity(self.feeds.len());
        let mut seen_urls: HashMap<String, usize> = HashMap::new();
        let mut feed_rules = Vec::new();
        for f in self.feeds {
            let url = resolve_feed_url(f.url.get_ref(), &ctx.dir()).map_err(|msg| ctx.at(&f.url, msg))?;
            if let Some(first) = seen_urls.insert(url.to_string(), f.url.span().start) {
                let first = line_col(ctx.text, first).0;
                return Err(ctx.at(
                    &f.url,
                    format!("duplicate feed url '{url}' (first listed at line {first})"),
                ));
            }
            if f.categories.get_ref().is_empty() {
                return Err(ctx.at(
                    &f.categories,
                    format!("feed '{url}' lists no categories; give it at least one"),
                ));
            }
            let mut cats = Vec::new();
            for c in f.categories.get_ref() {
                if !cat_ids.contains_key(c.get_ref()) {
                    let mut known: Vec<&str> = cat_ids.keys().map(String::as_str).collect();
                    known.sort_unstable();
                    return Err(ctx.at(
                        c,
                        format!(
                            "feed '{url}' names unknown category '{}' (known: {})",
                            c.get_ref(),
                            if known.is_empty() {
                                "none".to_string()
                            } else {
                                known.join(", ")
                            }
                        ),
                    ));
                }
                if !cats.contains(c.get_ref()) {
                    cats.push(c.get_ref().clone());
                }
            }
            let timezone = match &f.timezone {
                Some(tz) => parse_tz(tz, ctx)?,
                None => fetch.timezone,
            };
            let encoding = match &f.encoding {
                Some(e) => Some(
                    encoding_rs::Encoding::for_label(e.get_ref().trim().as_bytes()).ok_or_else(|| {
                        ctx.at(
                            e,
                            format!(
                                "unknown encoding '{}' (try utf-8, gbk, gb18030, big5)",
                                e.get_ref()
                            ),
                        )
                    })?,
                ),
                None => None,
            };
            let schedule = match &f.schedule {
                Some(s) => {
                    validate_cron(s.get_ref()).map_err(|m| ctx.at(s, m))?;
                    s.get_ref().clone()
                }
                None => fetch.schedule.clone(),
            };
            let html = match (&f.kind, f.html) {
                (Some(k), _) if !matches!(k.get_ref().as_str(), "feed" | "html") => {
                    return Err(ctx.at(
                        k,
                        format!("unknown feed kind '{}' (use \"feed\" or \"html\")", k.get_ref()),
                    ));
                }
                (Some(k), None) if k.get_ref() == "html" => {
                    return Err(ctx.at(
                        k,
                        format!(
                            "feed '{url}' is kind = \"html\" but has no [feed.html] table; \
                             give at least its item selector (item = \"ul.list li\")"
                        ),
                    ));
                }
                (Some(k), Some(h)) if k.get_ref() == "feed" => {
                    return Err(ctx.at(
                        &h,
                        format!(
                            "feed '{url}' has a [feed.html] table but kind = \"feed\"; use kind = \"html\""
                        ),
                    ));
                }
                (_, Some(h)) => Some(Box::new(h.into_inner().validate(ctx)?)),
                (_, None) => None,
            };
            let fulltext = match f.fulltext {
                Some(t) if html.is_some() => {
                    return Err(ctx.at(
                        &t,
                        format!(
                            "feed '{url}' is an html source: [feed.fulltext] is for RSS/Atom feeds \
                             (an html source's article pages come from [feed.html] content)"
                        ),
                    ));
                }
                Some(t) => Some(Box::new(t.into_inner().validate(ctx)?)),
                None => None,
            };
            // Most specific wins: the feed's own table over its categories'
            // (the longest of those) over `[retention]`.
            let mut keep = cats
                .iter()
                .map(|c| cat_keep.get(c).copied().unwrap_or(retention.keep))
                .reduce(Keep::longest)
                .unwrap_or(retention.keep);
            if let Some(r) = &f.retention {
                keep = keep.with(&r.validate(&format!("feed '{url}' retention"), ctx)?);
            }
            if keep != retention.keep {
                retention.feeds.insert(url.to_string(), keep);
            }
            if !f.exclude.is_empty() {
                feed_rules.push((url.to_string(), feed_label(f.title.as_deref(), &f.url), f.exclude));
            }
            feeds.push(Feed {
                html,
                fulltext,
                priority: f.priority,
                schedule,
                url,
                categories: cats,
                title: f.title.filter(|t| !t.trim().is_empty()),
                timezone,
                encoding,
            });
        }

        let dedup = if self.dedup.enabled == Some(false) {
            None
        } else {
            let defaults = crate::neardup::Params::default();
            let hours = match &self.dedup.window {
                Some(w) if *w.get_ref() == 0 => return Err(ctx.at(w, "dedup window must be at least 1 hour")),
                Some(w) => *w.get_ref(),
                None => crate::neardup::DEFAULT_WINDOW_HOURS,
            };
            Some(crate::neardup::Settings {
                params: crate::neardup::Params {
                    threshold: match &self.dedup.threshold {
                        Some(t) => threshold(t, ctx)?,
                        None => defaults.threshold,
                    },
                    ..defaults
                },
                window: Duration::from_secs(hours * 3600),
            })
        };
        let rules = validate_rules(self.excludes, category_rules, feed_rules, ctx)?;
        Ok(Config {
            rules: std::sync::Arc::new(rules),
            retention,
            publish,
            dedup,
            path: ctx.path.to_owned(),
            server: Server {
                listen,
                base_url,
                websub_hub,
            },
            database,
            fetch,
            categories,
            feeds,
        })
    }
}

impl RawFetch {
    fn validate(self, ctx: &Ctx) -> Result<Fetch, ConfigError> {
        let schedule = match self.schedule {
            Some(s) => {
                validate_cron(s.get_ref()).map_err(|m| ctx.at(&s, m))?;
                s.into_inner()
            }
            None => "0 */15 * * * *".to_string(),
        };
        let timezone = match &self.timezone {
            Some(tz) => parse_tz(tz, ctx)?,
            None => chrono_tz::Asia::Shanghai,
        };
        let timeout = match self.timeout {
            Some(t) if *t.get_ref() == 0 => {
                return Err(ctx.at(&t, "timeout must be at least 1 second"));
            }
            Some(t) => Duration::from_secs(*t.get_ref()),
            None => Duration::from_secs(20),
        };
        let max_body = match self.max_body {
            Some(s) => {
                let n = match s.get_ref() {
                    Size::Bytes(n) => *n,
                    Size::Text(t) => parse_size(t).map_err(|m| ctx.at(&s, m))?,
                };
                if n == 0 {
                    return Err(ctx.at(&s, "max_body must be more than 0 bytes"));
                }
                n
            }
            None => 15 * 1024 * 1024,
        };
        let items_per_feed = match self.items_per_feed {
            Some(n) if *n.get_ref() == 0 => {
                return Err(ctx.at(&n, "items_per_feed must be at least 1"));
            }
            Some(n) => n.into_inner(),
            None => 100,
        };
        let max_backoff = match self.max_backoff {
            Some(t) if *t.get_ref() < 60 => return Err(ctx.at(&t, "max_backoff must be at least 60 seconds")),
            Some(t) => Duration::from_secs(*t.get_ref()),
            None => Duration::from_secs(24 * 3600),
        };
        let at_least_one = |v: Option<Spanned<usize>>, name: &str, default: usize| match v {
            Some(n) if *n.get_ref() == 0 => Err(ctx.at(&n, format!("{name} must be at least 1"))),
            Some(n) => Ok(n.into_inner()),
            None => Ok(default),
        };
        let concurrency = at_least_one(self.concurrency, "concurrency", 16)?;
        let per_host = at_least_one(self.per_host, "per_host", 2)?;
        Ok(Fetch {
            concurrency,
            per_host,
            max_backoff,
            schedule,
            timezone,
            timeout,
            user_agent: self
                .user_agent
                .filter(|u| !u.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_USER_AGENT.to_string()),
            max_body,
            items_per_feed,
            hosts: HostRules::default(),
        })
    }
}

fn threshold(t: &Spanned<f64>, ctx: &Ctx) -> Result<f64, ConfigError> {
    let v = *t.get_ref();
    if (crate::neardup::MIN_THRESHOLD..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(ctx.at(
            t,
            format!("dedup threshold {v} is out of range: use 0.5 (loose) to 1.0 (identical text)"),
        ))
    }
}

fn parse_tz(tz: &Spanned<String>, ctx: &Ctx) -> Result<Tz, ConfigError> {
    tz.get_ref().parse::<Tz>().map_err(|_| {
        ctx.at(
            tz,
            format!(
                "unknown timezone '{}' (use an IANA name such as Asia/Shanghai)",
                tz.get_ref()
            ),
        )
    })
}

/// Checks a cron expression exactly as tokio-cron-scheduler will parse it.
pub fn validate_cron(expr: &str) -> Result<(), String> {
    let fields = expr.split_whitespace().count();
    if !(6..=7).contains(&fields) {
        return Err(format!(
            "bad cron expression '{expr}': it has {fields} fields but needs 6, seconds first \
             (e.g. \"0 */15 * * * *\" for every 15 minutes)"
        ));
    }
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(expr)
        .map(|_| ())
        .map_err(|e| {
            format!(
                "bad cron expression '{expr}': {e} (6 fields, seconds first: sec min hour day month weekday)"
            )
        })
}

/// Resolves a `[[feed]] url`: http(s) and file URLs as they are, a bare path
/// relative to the config's folder.
fn resolve_feed_url(raw: &str, dir: &Path) -> Result<Url, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("feed url is empty".to_string());
    }
    match Url::parse(raw) {
        Ok(u) => match u.scheme() {
            "http" | "https" => {
                if u.host_str().is_none_or(str::is_empty) {
                    Err(format!("bad feed url '{raw}': no host"))
                } else {
                    Ok(u)
                }
            }
            "file" => Ok(u),
            other => Err(format!(
                "bad feed url '{raw}': scheme '{other}' is not supported (use http, https or file)"
            )),
        },
        Err(url::ParseError::RelativeUrlWithoutBase) if !raw.contains("://") => {
            let p = Path::new(raw);
            let abs = if p.is_absolute() {
                p.to_owned()
            } else {
                dir.join(p)
            };
            let abs = std::path::absolute(&abs).unwrap_or(abs);
            Url::from_file_path(&abs).map_err(|()| format!("bad feed path '{raw}'"))
        }
        Err(e) => Err(format!("bad feed url '{raw}': {e}")),
    }
}

fn parse_size(t: &str) -> Result<u64, String> {
    let t = t.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("bad size '{t}': expected a number of bytes or e.g. \"15 MiB\""))?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1024,
        "m" | "mb" => 1_000_000,
        "mib" => 1024 * 1024,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1024 * 1024 * 1024,
        other => {
            return Err(format!(
                "bad size '{t}': unknown unit '{other}' (use KiB, MiB, GiB)"
            ));
        }
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("bad size '{t}': too large"))
}

/// A rule as written: `{ field = "title", contains = ["推广"] }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    field: Spanned<String>,
    contains: Option<Spanned<Vec<Spanned<String>>>>,
    matches: Option<Spanned<String>>,
    older_than: Option<Spanned<String>>,
    #[serde(default)]
    not: bool,
}

/// A `[[category]]`'s rules, kept until every category id is known.
struct RawCategoryRules {
    id: String,
    include: Vec<Spanned<RawRule>>,
    exclude: Vec<Spanned<RawRule>>,
    from: Option<Spanned<Vec<Spanned<String>>>>,
    matches: Option<Spanned<Vec<Spanned<RawRule>>>>,
}

/// How rule messages name a feed: its title, else its URL as written.
fn feed_label(title: Option<&str>, url: &Spanned<String>) -> String {
    match title {
        Some(t) if !t.trim().is_empty() => t.trim().to_string(),
        _ => url.get_ref().trim().to_string(),
    }
}

impl RawRule {
    fn validate(rule: Spanned<RawRule>, ctx: &Ctx) -> Result<crate::rules::Rule, ConfigError> {
        use crate::rules::{Field, Rule, Test};
        let location = ctx.location(rule.span().start);
        let at_rule = rule.span();
        let r = rule.into_inner();
        let name = r.field.get_ref().trim();
        let field = Field::parse(name).ok_or_else(|| {
            ctx.at(
                &r.field,
                format!("unknown rule field '{name}' (use {})", Field::NAMES.join(", ")),
            )
        })?;
        let given: Vec<(&str, Range<usize>)> = [
            r.contains.as_ref().map(|v| ("contains", v.span())),
            r.matches.as_ref().map(|v| ("matches", v.span())),
            r.older_than.as_ref().map(|v| ("older_than", v.span())),
        ]
        .into_iter()
        .flatten()
        .collect();
        let test_at = match given.as_slice() {
            [] => {
                return Err(ctx.err(
                    Some(at_rule),
                    "rule has no test: give one of contains = [\"…\"], matches = \"regex\" or older_than = \"30d\" (for age)",
                ));
            }
            [(_, span)] => span.clone(),
            [(first, _), (second, span), ..] => {
                return Err(ctx.err(
                    Some(span.clone()),
                    format!("rule has two tests, {first} and {second}: give one (two rules for both)"),
                ));
            }
        };
        let test = if let Some(words) = r.contains {
            if let Some(w) = words.get_ref().iter().find(|w| w.get_ref().trim().is_empty()) {
                return Err(ctx.at(w, "contains has an empty word: it would match every item"));
            }
            Test::contains(words.get_ref().iter().map(|w| w.get_ref().clone()).collect())
                .map_err(|m| ctx.at(&words, m))?
        } else if let Some(p) = r.matches {
            Test::matches(p.get_ref()).map_err(|m| ctx.at(&p, format!("bad regex '{}': {m}", p.get_ref())))?
        } else if let Some(age) = r.older_than {
            match parse_age(age.get_ref()) {
                Ok(Some(d)) => Test::older_than(age.get_ref().trim(), d),
                Ok(None) => return Err(ctx.at(&age, "older_than must be more than 0 (e.g. \"30d\")")),
                Err(m) => return Err(ctx.at(&age, format!("older_than: {m}"))),
            }
        } else {
            unreachable!("one test was given")
        };
        Rule::new(field, test, r.not, location).map_err(|m| ctx.err(Some(test_at), m))
    }
}

fn validate_rule_list(
    rules: Vec<Spanned<RawRule>>,
    ctx: &Ctx,
) -> Result<Vec<crate::rules::Rule>, ConfigError> {
    rules.into_iter().map(|r| RawRule::validate(r, ctx)).collect()
}

/// `[[exclude]]`, `[[feed]] exclude` and the `[[category]]` rules,
/// compiled; `from` checked against the category ids and for cycles.
fn validate_rules(
    global: Vec<Spanned<RawRule>>,
    categories: Vec<RawCategoryRules>,
    feeds: Vec<(String, String, Vec<Spanned<RawRule>>)>,
    ctx: &Ctx,
) -> Result<crate::rules::Rules, ConfigError> {
    use crate::rules::{CategorySpec, FeedSpec, Rules, RulesError};
    let global = validate_rule_list(global, ctx)?;
    let feeds = feeds
        .into_iter()
        .map(|(url, label, exclude)| {
            Ok(FeedSpec {
                url,
                label,
                exclude: validate_rule_list(exclude, ctx)?,
            })
        })
        .collect::<Result<Vec<_>, ConfigError>>()?;
    let ids: Vec<&str> = categories.iter().map(|c| c.id.as_str()).collect();
    // Where each category's `from` is, for a cycle's message.
    let mut from_at: HashMap<String, Range<usize>> = HashMap::new();
    let mut specs = Vec::with_capacity(categories.len());
    for c in &categories {
        let id = &c.id;
        let mut from = Vec::new();
        if let Some(list) = &c.from {
            for s in list.get_ref() {
                if s.get_ref() != ALL && !ids.contains(&s.get_ref().as_str()) {
                    let mut known = ids.clone();
                    known.sort_unstable();
                    return Err(ctx.at(
                        s,
                        format!(
                            "category '{id}' takes items from unknown category '{}' (known: all, {})",
                            s.get_ref(),
                            known.join(", ")
                        ),
                    ));
                }
                from.push(s.get_ref().clone());
            }
            from_at.insert(id.clone(), list.span());
        }
        let has_match = c.matches.as_ref().is_some_and(|m| !m.get_ref().is_empty());
        match (&c.from, &c.matches) {
            (Some(f), _) if !from.is_empty() && !has_match => {
                return Err(ctx.at(
                    f,
                    format!(
                        "category '{id}' has from but no match: add match = [ … ], the rules an item of those categories must meet"
                    ),
                ));
            }
            (_, Some(m)) if from.is_empty() => {
                return Err(ctx.at(
                    m,
                    format!(
                        "category '{id}' has match but no from: add from = [\"…\"], the categories to take items from (\"all\": every feed)"
                    ),
                ));
            }
            _ => {}
        }
        specs.push(from);
    }
    let specs = categories
        .into_iter()
        .zip(specs)
        .map(|(c, from)| {
            Ok(CategorySpec {
                include: validate_rule_list(c.include, ctx)?,
                exclude: validate_rule_list(c.exclude, ctx)?,
                matches: validate_rule_list(c.matches.map(Spanned::into_inner).unwrap_or_default(), ctx)?,
                from,
                id: c.id,
            })
        })
        .collect::<Result<Vec<_>, ConfigError>>()?;
    Rules::new(global, feeds, specs).map_err(|e| {
        let span = match &e {
            RulesError::Cycle(path) => path.first().and_then(|id| from_at.get(id)).cloned(),
            _ => None,
        };
        ctx.err(span, e.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[[category]]
id = "jiangsu"
title = "江苏资讯"

[[feed]]
url = "https://example.com/feed.xml"
categories = ["jiangsu"]
"#;

    fn err(text: &str) -> String {
        Config::parse(text, Path::new("/etc/huiju/huiju.toml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn defaults_fill_in() {
        let c = Config::parse(MINIMAL, Path::new("/etc/huiju/huiju.toml")).unwrap();
        assert_eq!(c.fetch.timezone, chrono_tz::Asia::Shanghai);
        assert_eq!(c.fetch.timeout, Duration::from_secs(20));
        assert_eq!(c.fetch.max_body, 15 * 1024 * 1024);
        assert_eq!(c.fetch.items_per_feed, 100);
        assert_eq!(c.database, PathBuf::from("/etc/huiju/huiju.db"));
        assert!(c.fetch.user_agent.starts_with("huiju/"));
        assert_eq!(c.categories[0].description, "江苏资讯");
    }

    #[test]
    fn publish_defaults_and_mistakes() {
        use crate::render::Format;
        let c = Config::parse(MINIMAL, Path::new("/etc/huiju/huiju.toml")).unwrap();
        assert_eq!(c.publish, None);
        let c = Config::parse(
            &format!("[publish]\ndir = \"public\"\n{MINIMAL}"),
            Path::new("/etc/huiju/huiju.toml"),
        )
        .unwrap();
        let p = c.publish.unwrap();
        assert_eq!(p.dir, PathBuf::from("/etc/huiju/public"));
        assert_eq!(p.formats, vec![Format::Rss, Format::Atom, Format::Json]);
        assert!(p.gzip && !p.brotli);
        assert_eq!(p.debounce, Publish::DEFAULT_DEBOUNCE);
        let c = Config::parse(
            &format!(
                "[publish]\ndir = \"/srv/feeds\"\nformats = [\"atom\"]\ngzip = false\nbrotli = true\ndebounce = \"250ms\"\n{MINIMAL}"
            ),
            Path::new("/etc/huiju/huiju.toml"),
        )
        .unwrap();
        let p = c.publish.unwrap();
        assert_eq!(
            (p.dir, p.formats, p.gzip, p.brotli, p.debounce),
            (
                PathBuf::from("/srv/feeds"),
                vec![Format::Atom],
                false,
                true,
                Duration::from_millis(250)
            )
        );
        let e = err(&format!("[publish]\ngzip = true\n{MINIMAL}"));
        assert!(
            e.starts_with("/etc/huiju/huiju.toml:1:1: publish.dir is missing"),
            "{e}"
        );
        let e = err(&format!(
            "[publish]\ndir = \"p\"\nformats = [\"rss\", \"xml\"]\n{MINIMAL}"
        ));
        assert!(
            e.starts_with("/etc/huiju/huiju.toml:3:19: publish.formats: unknown format 'xml'"),
            "{e}"
        );
        let e = err(&format!(
            "[publish]\ndir = \"p\"\nformats = [\"rss\", \"rss\"]\n{MINIMAL}"
        ));
        assert!(e.contains(":3:19: publish.formats: 'rss' is listed twice"), "{e}");
        let e = err(&format!("[publish]\ndir = \"\"\n{MINIMAL}"));
        assert!(
            e.starts_with("/etc/huiju/huiju.toml:2:7: publish.dir is empty"),
            "{e}"
        );
        let e = err(&format!("[publish]\ndir = \"p\"\ndebounce = \"5\"\n{MINIMAL}"));
        assert!(e.contains(":3:12: publish.debounce: bad duration '5'"), "{e}");
        let e = err(&format!("[publish]\ndir = \"p\"\nroot = \"q\"\n{MINIMAL}"));
        assert!(e.contains(":3:1: unknown field `root`"), "{e}");
    }

    #[test]
    fn unknown_category_names_line_and_known_ids() {
        let e = err(&MINIMAL.replace("[\"jiangsu\"]", "[\"jiangsu\", \"sport\"]"));
        assert!(e.starts_with("/etc/huiju/huiju.toml:8:"), "{e}");
        assert!(
            e.contains("unknown category 'sport'") && e.contains("known: jiangsu"),
            "{e}"
        );
    }

    #[test]
    fn five_field_cron_says_six_fields_seconds_first() {
        let e = err(&format!("[fetch]\nschedule = \"*/15 * * * *\"\n{MINIMAL}"));
        assert!(e.starts_with("/etc/huiju/huiju.toml:2:12:"), "{e}");
        assert!(e.contains("needs 6") && e.contains("seconds first"), "{e}");
        let e = err(&format!(
            "[fetch]\nschedule = \"0 */15 * * * mon-xyz\"\n{MINIMAL}"
        ));
        assert!(e.contains("bad cron expression"), "{e}");
    }

    #[test]
    fn duplicates_are_refused() {
        let e = err(&format!(
            "{MINIMAL}\n[[category]]\nid = \"jiangsu\"\ntitle = \"x\"\n"
        ));
        assert!(
            e.contains("duplicate category id 'jiangsu' (first defined at line 3)"),
            "{e}"
        );
        // Host case does not make a different feed.
        let e = err(&format!(
            "{MINIMAL}\n[[feed]]\nurl = \"https://EXAMPLE.com/feed.xml\"\ncategories = [\"jiangsu\"]\n"
        ));
        assert!(
            e.contains("duplicate feed url 'https://example.com/feed.xml' (first listed at line 7)"),
            "{e}"
        );
    }

    #[test]
    fn bad_values_name_the_problem() {
        let e = err("this is = not toml");
        assert!(e.starts_with("/etc/huiju/huiju.toml:1:"), "{e}");
        let e = err(&MINIMAL.replace("https://example.com/feed.xml", "ftp://example.com/x"));
        assert!(e.contains("scheme 'ftp' is not supported"), "{e}");
        let e = err(&MINIMAL.replace("https://example.com/feed.xml", "http://"));
        assert!(e.contains("bad feed url 'http://'"), "{e}");
        let e = err(&format!("[fetch]\ntimezone = \"Asia/Beijing\"\n{MINIMAL}"));
        assert!(e.contains(":2:12: unknown timezone 'Asia/Beijing'"), "{e}");
        let e = err(&format!("{MINIMAL}encoding = \"klingon\"\n"));
        assert!(e.contains("unknown encoding 'klingon'"), "{e}");
        let e = err(&MINIMAL.replace("\"jiangsu\"\ntitle", "\"all\"\ntitle"));
        assert!(e.contains("'all' is reserved"), "{e}");
        let e = err(&format!("{MINIMAL}colour = \"red\"\n"));
        assert!(e.contains("unknown field `colour`"), "{e}");
    }

    #[test]
    fn fuzz_finding_messages_stay_on_one_line() {
        // fuzz/artifacts/config: escaped newlines in keys and values were
        // copied into the message.
        for text in [
            "[\"\\n\"]",
            "[server]\nlisten = \"a\\nb\"",
            &MINIMAL.replace("[\"jiangsu\"]", "[\"x\\ny\"]"),
        ] {
            let e = err(text);
            assert_eq!(e.lines().count(), 1, "{e:?}");
            assert!(e.starts_with("/etc/huiju/huiju.toml:"), "{e}");
        }
    }

    #[test]
    fn relative_paths_resolve_against_config_folder() {
        let c = Config::parse(
            &MINIMAL.replace("https://example.com/feed.xml", "samples/a.xml"),
            Path::new("/srv/conf/huiju.toml"),
        )
        .unwrap();
        assert_eq!(c.feeds[0].url.as_str(), "file:///srv/conf/samples/a.xml");
    }

    const HTML: &str = r#"
[[feed]]
url = "https://www.szdushi.com.cn/news/jiangsu/"
kind = "html"
categories = ["jiangsu"]

[feed.html]
item = "ul.news-list > li"
title = "h3 a"
date = ".date"
date_format = "%Y-%m-%d %H:%M"
content = "div.article-content"
remove = [".share-bar", "p.editor"]
"#;

    #[test]
    fn html_sources() {
        let c = Config::parse(&format!("{MINIMAL}{HTML}"), Path::new("/etc/huiju/huiju.toml")).unwrap();
        assert!(c.feeds[0].html.is_none(), "kind defaults to feed");
        let h = c.feeds[1].html.as_ref().unwrap();
        assert_eq!(h.item.css, "ul.news-list > li");
        assert_eq!(h.link_attr, "href");
        assert_eq!(h.articles_per_poll, 10);
        assert_eq!(h.remove.len(), 2);
        // An inline table without `kind` is an html source too.
        let inline = format!(
            "{MINIMAL}\n[[feed]]\nurl = \"https://gov.example.cn/\"\ncategories = [\"jiangsu\"]\nhtml = {{ item = \"li\" }}\n"
        );
        let c = Config::parse(&inline, Path::new("/etc/huiju/huiju.toml")).unwrap();
        assert_eq!(c.feeds[1].html.as_ref().unwrap().item.css, "li");
        // The article body found by the extractor.
        let auto = format!("{MINIMAL}{HTML}").replace("\"div.article-content\"", "\"auto\"");
        let c = Config::parse(&auto, Path::new("/etc/huiju/huiju.toml")).unwrap();
        let content = c.feeds[1].html.as_ref().unwrap().content.as_ref().unwrap();
        assert!(matches!(content, crate::ingest::scrape::ArticleBody::Auto));
    }

    const FULLTEXT: &str = r#"
[[feed]]
url = "https://rss.example.cn/suzhou.xml"
categories = ["jiangsu"]

[feed.fulltext]
content = "div.article-content"
remove = [".share-bar"]
mode = "append"
per_poll = 4
"#;

    #[test]
    fn fulltext_for_feeds() {
        use crate::ingest::normalize::ArticleMode;
        use crate::ingest::scrape::ArticleBody;
        let c = Config::parse(
            &format!("{MINIMAL}{FULLTEXT}"),
            Path::new("/etc/huiju/huiju.toml"),
        )
        .unwrap();
        assert!(c.feeds[0].fulltext.is_none() && c.feeds[0].article_pages().is_none());
        let f = &c.feeds[1];
        assert!(f.html.is_none(), "still a feed");
        let ft = f.fulltext.as_ref().unwrap();
        assert!(matches!(&ft.content, ArticleBody::Selector(s) if s.css == "div.article-content"));
        assert_eq!(ft.remove[0].css, ".share-bar");
        assert_eq!((ft.mode, ft.per_poll), (ArticleMode::Append, 4));
        let pages = f.article_pages().unwrap();
        assert_eq!((pages.mode, pages.per_poll), (ArticleMode::Append, 4));
        assert!(pages.encoding.is_none(), "article pages go by their own charset");
        // Defaults: replace, 10 a poll; "auto"; an inline table.
        let inline = format!(
            "{MINIMAL}\n[[feed]]\nurl = \"https://b.example.cn/rss\"\ncategories = [\"jiangsu\"]\n\
             fulltext = {{ content = \"auto\" }}\n"
        );
        let c = Config::parse(&inline, Path::new("/etc/huiju/huiju.toml")).unwrap();
        let ft = c.feeds[1].fulltext.as_ref().unwrap();
        assert!(matches!(ft.content, ArticleBody::Auto));
        assert_eq!(
            (ft.mode, ft.per_poll, ft.remove.len()),
            (ArticleMode::Replace, 10, 0)
        );
        // An HTML source's content is its article pages, in replace mode
        // and in the source's own encoding.
        let c = Config::parse(
            &format!("{MINIMAL}{HTML}").replace("[feed.html]", "encoding = \"gbk\"\n[feed.html]"),
            Path::new("/etc/huiju/huiju.toml"),
        );
        let c = c.unwrap();
        let pages = c.feeds[1].article_pages().unwrap();
        assert_eq!((pages.mode, pages.per_poll), (ArticleMode::Replace, 10));
        assert_eq!(pages.encoding, Some(encoding_rs::GBK));
    }

    #[test]
    fn fulltext_mistakes_name_line_and_column() {
        let text = format!("{MINIMAL}{FULLTEXT}");
        let e = err(&text.replace("\"div.article-content\"", "\"div >\""));
        assert!(
            e.starts_with("/etc/huiju/huiju.toml:15:11: fulltext.content: bad CSS selector 'div >'"),
            "{e}"
        );
        assert!(e.ends_with("(give a CSS selector, or \"auto\")"), "{e}");
        let e = err(&text.replace("\"div.article-content\"", "\"\""));
        assert!(e.contains(":15:11: fulltext.content: empty CSS selector"), "{e}");
        let e = err(&text.replace("\".share-bar\"", "\".share-bar >\""));
        assert!(e.contains(":16:11: fulltext.remove: bad CSS selector"), "{e}");
        let e = err(&text.replace("\"append\"", "\"prepend\""));
        assert!(
            e.contains(":17:8: fulltext.mode must be \"replace\" or \"append\", not 'prepend'"),
            "{e}"
        );
        let e = err(&text.replace("per_poll = 4", "per_poll = 0"));
        assert!(e.contains(":18:12: fulltext.per_poll must be at least 1"), "{e}");
        let e = err(&text.replace("content = \"div.article-content\"\n", ""));
        assert!(e.contains("missing field `content`"), "{e}");
        let e = err(&text.replace("mode = ", "modus = "));
        assert!(e.contains("unknown field `modus`"), "{e}");
        // An HTML source's article pages are [feed.html] content.
        let e = err(&format!("{MINIMAL}{HTML}\n[feed.fulltext]\ncontent = \"auto\"\n"));
        assert!(e.contains(":23:1: feed 'https://www.szdushi.com.cn/news/jiangsu/' is an html source: [feed.fulltext] is for RSS/Atom feeds"), "{e}");
    }

    #[test]
    fn html_mistakes_name_line_and_column() {
        let e = err(&format!("{MINIMAL}{HTML}").replace("\"h3 a\"", "\"h3 >\""));
        assert!(
            e.starts_with("/etc/huiju/huiju.toml:17:9: html.title: bad CSS selector 'h3 >'"),
            "{e}"
        );
        let e = err(&format!("{MINIMAL}{HTML}").replace("%Y-%m-%d %H:%M", "%H:%M"));
        assert!(
            e.starts_with("/etc/huiju/huiju.toml:19:15: date_format '%H:%M' cannot read a date"),
            "{e}"
        );
        let e = err(&format!("{MINIMAL}{HTML}").replace("%Y-%m-%d %H:%M", "%Y-%Q"));
        assert!(e.contains("not a chrono format"), "{e}");
        let e = err(&format!("{MINIMAL}{HTML}").replace("\"div.article-content\"", "\"\""));
        assert!(e.contains(":20:11: html.content: empty CSS selector"), "{e}");
        let e = err(&format!("{MINIMAL}{HTML}").replace("kind = \"html\"", "kind = \"scrape\""));
        assert!(e.contains(":12:8: unknown feed kind 'scrape'"), "{e}");
        let e = err(&format!("{MINIMAL}{HTML}").replace("kind = \"html\"", "kind = \"feed\""));
        assert!(e.contains("has a [feed.html] table but kind = \"feed\""), "{e}");
        let e = err(&format!("{MINIMAL}{HTML}").replace("[feed.html]", "[feed.htm]"));
        assert!(e.contains("unknown field `htm`"), "{e}");
        let e = err(&format!("{MINIMAL}{HTML}").replace("item = ", "items = "));
        assert!(e.contains("unknown field `items`"), "{e}");
        let e = err(&format!("{MINIMAL}{HTML}").replace("content = \"div.article-content\"\n", ""));
        assert!(e.contains("html.remove applies to the article body"), "{e}");
        let html_only = format!("{MINIMAL}{}", &HTML[..HTML.find("[feed.html]").unwrap()]);
        let e = err(&html_only);
        assert!(e.contains("has no [feed.html] table"), "{e}");
    }

    #[test]
    fn retention_defaults_and_mistakes() {
        let c = Config::parse(MINIMAL, Path::new("/etc/huiju/huiju.toml")).unwrap();
        assert_eq!(c.retention, Retention::default());
        assert_eq!(c.retention.keep.max_age, Some(Duration::from_secs(180 * DAY)));
        let c = Config::parse(
            &format!("[retention]\nmax_age = \"0\"\nkeep_min = 5\nremoved_feeds_after = \"12h\"\n{MINIMAL}"),
            Path::new("/etc/huiju/huiju.toml"),
        )
        .unwrap();
        assert_eq!(c.retention.keep.max_age, None);
        assert_eq!(c.retention.keep.keep_min, 5);
        assert_eq!(
            c.retention.removed_feeds_after,
            Some(Duration::from_secs(12 * 3600))
        );
        let e = err(&format!("[retention]\nmax_age = \"90 days\"\n{MINIMAL}"));
        assert!(
            e.starts_with("/etc/huiju/huiju.toml:2:11: retention.max_age: bad duration '90 days'"),
            "{e}"
        );
        let e = err(&format!("[retention]\nkeep_min = -1\n{MINIMAL}"));
        assert!(
            e.starts_with("/etc/huiju/huiju.toml:2:12: retention.keep_min must be 0 or more"),
            "{e}"
        );
        let e = err(&format!("[retention]\nschedule = \"0 4 * * *\"\n{MINIMAL}"));
        assert!(
            e.contains(":2:12: retention.schedule: bad cron expression"),
            "{e}"
        );
        let e = err(&format!("[retention]\nmax_item = 3\n{MINIMAL}"));
        assert!(e.contains("unknown field `max_item`"), "{e}");
    }

    /// A feed's policy: its own table over its categories' (the longest
    /// keep of those) over `[retention]`, field by field.
    #[test]
    fn retention_cascades_from_global_to_category_to_feed() {
        let text = "[retention]\nmax_age = \"90d\"\nkeep_min = 10\n\
             [[category]]\nid = \"a\"\ntitle = \"A\"\nretention = { max_age = \"30d\", max_items = 100 }\n\
             [[category]]\nid = \"b\"\ntitle = \"B\"\nretention = { max_age = \"365d\" }\n\
             [[category]]\nid = \"c\"\ntitle = \"C\"\n\
             [[feed]]\nurl = \"http://x.cn/1\"\ncategories = [\"a\"]\n\
             [[feed]]\nurl = \"http://x.cn/2\"\ncategories = [\"a\", \"b\"]\n\
             [[feed]]\nurl = \"http://x.cn/3\"\ncategories = [\"a\"]\nretention = { max_items = 0, keep_min = 3 }\n\
             [[feed]]\nurl = \"http://x.cn/4\"\ncategories = [\"c\"]\n";
        let c = Config::parse(text, Path::new("huiju.toml")).unwrap();
        let keep = |u: &str| c.retention.keep_for(u);
        let days = |d: u64| Some(Duration::from_secs(d * DAY));
        assert_eq!(
            keep("http://x.cn/1"),
            Keep {
                max_age: days(30),
                max_items: Some(100),
                keep_min: 10
            }
        );
        // In a and b: b's year, and no cap (b inherits none).
        assert_eq!(
            keep("http://x.cn/2"),
            Keep {
                max_age: days(365),
                max_items: None,
                keep_min: 10
            }
        );
        assert_eq!(
            keep("http://x.cn/3"),
            Keep {
                max_age: days(30),
                max_items: None,
                keep_min: 3
            }
        );
        assert_eq!(keep("http://x.cn/4"), c.retention.keep);
        assert_eq!(c.retention.feeds.len(), 3, "only feeds that differ are listed");

        let e = err(&text.replace("max_items = 100", "max_items = -1"));
        assert!(
            e.starts_with("/etc/huiju/huiju.toml:7:44: category 'a' retention.max_items must be 0 or more"),
            "{e}"
        );
        let e = err(&text.replace("max_items = 0, keep_min = 3", "schedule = \"0 0 4 * * *\""));
        assert!(e.contains("unknown field `schedule`"), "{e}");
    }

    /// Rules of every kind, after [`MINIMAL`] (whose last table is its
    /// `[[feed]]`); line 9 is the first line here.
    const RULES: &str = r#"exclude = [{ field = "link", matches = "/zt/" }]

[[category]]
id = "suzhou"
title = "苏州"
from = ["jiangsu"]
match = [{ field = "text", contains = ["苏州", "昆山"] }]
exclude = [{ field = "title", matches = "^【(广告|推广)】" }]

[[exclude]]
field = "title"
contains = ["推广", "广告", "招聘"]

[[exclude]]
field = "age"
older_than = "30d"
"#;

    fn rules_err(from: &str, to: &str) -> String {
        let text = format!("{MINIMAL}{RULES}");
        assert!(text.contains(from), "{from}");
        err(&text.replacen(from, to, 1))
    }

    #[test]
    fn rules_of_every_kind() {
        let c = Config::parse(&format!("{MINIMAL}{RULES}"), Path::new("/etc/huiju/huiju.toml")).unwrap();
        assert!(c.rules.category_ids().eq(["jiangsu", "suzhou"]));
        assert!(!c.rules.is_empty());
        assert!(
            Config::parse(MINIMAL, Path::new("huiju.toml"))
                .unwrap()
                .rules
                .is_empty()
        );
        // `from = ["all"]`, `include`, `not`, and a feed named by its title.
        let more = format!(
            "{MINIMAL}title = \"新华日报\"\n{RULES}\n[[category]]\nid = \"weather\"\ntitle = \"天气\"\n\
             from = [\"all\", \"suzhou\"]\nmatch = [{{ field = \"title\", contains = [\"天气\"] }}]\n\
             include = [{{ field = \"author\", matches = \"^$\", not = true }}]\n"
        );
        let c = Config::parse(&more, Path::new("huiju.toml")).unwrap();
        assert_eq!(c.rules.category_ids().count(), 3);
        assert_eq!(c.feeds[0].title.as_deref(), Some("新华日报"));
    }

    #[test]
    fn rule_mistakes_name_line_and_column() {
        let cases = [
            (
                rules_err("field = \"age\"", "field = \"body\""),
                "23:9: unknown rule field 'body' (use title, content, text, author, link, category, feed, age)",
            ),
            (
                rules_err("older_than = \"30d\"", "older = \"30d\""),
                "24:1: unknown field `older`, expected one of `field`, `contains`, `matches`, `older_than`, `not`",
            ),
            (
                rules_err("older_than = \"30d\"\n", ""),
                "22:1: rule has no test: give one of contains = [\"…\"], matches = \"regex\" or older_than = \"30d\" (for age)",
            ),
            (
                rules_err("\"招聘\"]\n", "\"招聘\"]\nmatches = \"x\"\n"),
                "21:11: rule has two tests, contains and matches: give one (two rules for both)",
            ),
            (
                rules_err("field = \"age\"", "field = \"title\""),
                "24:14: older_than is for field = \"age\" only (this rule's field is \"title\"; use contains or matches)",
            ),
            (
                rules_err("field = \"title\"\ncontains", "field = \"age\"\ncontains"),
                "20:12: field \"age\" takes older_than (e.g. older_than = \"30d\"), not contains",
            ),
            (
                rules_err("[\"推广\", \"广告\", \"招聘\"]", "[]"),
                "20:12: contains needs at least one word",
            ),
            (
                rules_err("\"广告\", \"招聘\"]", "\"广告\", \" \"]"),
                "20:25: contains has an empty word: it would match every item",
            ),
            (
                rules_err("推广)】\"", "推广】\""),
                "16:41: bad regex '^【(广告|推广】': unclosed group",
            ),
            (
                rules_err("older_than = \"30d\"", "older_than = \"0\""),
                "24:14: older_than must be more than 0 (e.g. \"30d\")",
            ),
            (
                rules_err("older_than = \"30d\"", "older_than = \"30 days\""),
                "24:14: older_than: bad duration '30 days'",
            ),
            (
                rules_err("from = [\"jiangsu\"]", "from = [\"wuxi\"]"),
                "14:9: category 'suzhou' takes items from unknown category 'wuxi' (known: all, jiangsu, suzhou)",
            ),
            (
                rules_err(
                    "match = [{ field = \"text\", contains = [\"苏州\", \"昆山\"] }]\n",
                    "",
                ),
                "14:8: category 'suzhou' has from but no match: add match = [ … ]",
            ),
            (
                rules_err("from = [\"jiangsu\"]\n", ""),
                "14:9: category 'suzhou' has match but no from: add from = [\"…\"]",
            ),
            (
                rules_err("from = [\"jiangsu\"]", "from = [\"suzhou\"]"),
                "14:8: category 'suzhou' takes items from itself",
            ),
            (
                rules_err(
                    "title = \"江苏资讯\"\n",
                    "title = \"江苏资讯\"\nfrom = [\"suzhou\"]\nmatch = [{ field = \"text\", contains = [\"南京\"] }]\n",
                ),
                "5:8: categories take items from each other in a cycle: jiangsu → suzhou → jiangsu",
            ),
            (
                rules_err("\"/zt/\"", "\"/zt/(\""),
                "9:40: bad regex '/zt/(': unclosed group",
            ),
            (
                rules_err("field = \"link\"", "field = \"link\", not = \"yes\""),
                "9:36: invalid type: string \"yes\", expected a boolean",
            ),
        ];
        for (e, want) in cases {
            assert!(
                e.starts_with(&format!("/etc/huiju/huiju.toml:{want}")),
                "{e}\nwant {want}"
            );
            assert_eq!(e.lines().count(), 1, "{e}");
        }
    }

    #[test]
    fn the_most_specific_host_table_wins() {
        let c = Config::parse(
            &format!(
                "{MINIMAL}\n[[host]]\nmatch = \"*.example.com\"\ngap = \"2s\"\n\
                 [[host]]\nmatch = \"*.news.example.com\"\ngap = \"1s\"\n\
                 [[host]]\nmatch = \"rss.news.example.com\"\ngap = \"0ms\"\nper_host = 16\n"
            ),
            Path::new("huiju.toml"),
        )
        .unwrap();
        let gap = |h: &str| c.fetch.hosts.find(h).and_then(|r| r.gap).map(|d| d.as_millis());
        assert_eq!(gap("rss.news.example.com"), Some(0));
        assert_eq!(gap("RSS.news.example.com."), Some(0));
        assert_eq!(gap("a.news.example.com"), Some(1000));
        assert_eq!(
            gap("news.example.com"),
            Some(1000),
            "a wildcard matches its domain too"
        );
        assert_eq!(gap("example.com"), Some(2000));
        assert_eq!(gap("www.example.com"), Some(2000));
        assert_eq!(gap("badexample.com"), None);
        assert_eq!(gap("example.org"), None);
        assert_eq!(
            c.fetch.hosts.find("rss.news.example.com").unwrap().per_host,
            Some(16)
        );
    }

    #[test]
    fn gaps() {
        assert_eq!(parse_gap("0ms"), Ok(Duration::ZERO));
        assert_eq!(parse_gap("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_gap(" 2s "), Ok(Duration::from_secs(2)));
        assert_eq!(parse_gap("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_gap("2").is_err());
        assert!(parse_gap("-1s").is_err());
        assert!(parse_gap("2h").is_err());
        assert!(parse_gap("61m").unwrap_err().contains("more than an hour"));
    }

    #[test]
    fn ages() {
        assert_eq!(parse_age("90d").unwrap(), Some(Duration::from_secs(90 * DAY)));
        assert_eq!(parse_age("2w").unwrap(), Some(Duration::from_secs(14 * DAY)));
        assert_eq!(parse_age("0d").unwrap(), None);
        assert_eq!(parse_age("0").unwrap(), None);
        assert!(parse_age("90").is_err(), "a unit is needed but for 0");
        assert!(parse_age("d").is_err());
        assert!(parse_age("99999999999w").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("15 MiB").unwrap(), 15 * 1024 * 1024);
        assert_eq!(parse_size("512kib").unwrap(), 512 * 1024);
        assert!(parse_size("lots").is_err());
    }
}
