//! The command line: the binary edge, where errors become messages and
//! exit codes (`anyhow`, printed with `{:#}`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use serde::Serialize;
use url::Url;

use crate::config::{ALL, Config};
use crate::fetch::{Fetched, Fetcher, Validators};
use crate::ingest::{decode, normalize, parse};
use crate::pipeline::{self, Outcome, Refresher, Starts};
use crate::render::{self, Format};
use crate::store::Store;

mod rules;

#[derive(Parser, Debug)]
#[command(
    name = "huiju",
    version,
    about = "汇聚 huiju: aggregates RSS/Atom feeds into merged feeds per category"
)]
pub struct Cli {
    /// Config file [default: $HUIJU_CONFIG, else config/huiju.toml]
    #[arg(
        long,
        global = true,
        env = "HUIJU_CONFIG",
        default_value = "config/huiju.toml",
        hide_default_value = true,
        hide_env = true
    )]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Validate the config and print a one-line summary.
    Check,
    /// Run the daemon: poll feeds on their schedules and serve the merged feeds over HTTP.
    Run {
        /// Log as text lines or as JSON objects.
        #[arg(long, value_enum, default_value = "text")]
        log_format: LogFormat,
    },
    /// Show which story cluster a stored item is in, and why (its similarity to the others).
    Explain {
        /// The item's link or guid (any URL variant).
        url: String,
    },
    /// Check stored clusters with the current near-duplicate rule and split out items that are not the same story.
    Recluster {
        /// Show what would change without changing it.
        #[arg(long)]
        dry_run: bool,
    },
    /// Remove what [retention] lets go: old items, and the items of feeds removed from the config.
    Prune {
        /// Show what would go without changing anything.
        #[arg(long, conflicts_with = "vacuum")]
        dry_run: bool,
        /// Then rewrite the database once so that later prunes shrink the file (databases made before retention; slow, see the README).
        #[arg(long)]
        vacuum: bool,
    },
    /// Copy the database to FILE while the daemon may be writing to it (a consistent snapshot, renamed into place when complete).
    Backup {
        file: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Turn a feed reader's OPML export into [[feed]] entries (printed, or appended with --write).
    ImportOpml {
        file: PathBuf,
        /// Append to the config file after checking that the result is valid.
        #[arg(long)]
        write: bool,
    },
    /// Poll every feed once and store what is new.
    Fetch,
    /// Write every category's merged feeds (and `all`, the OPML list, their .gz twins) into [publish] dir once, for nginx or a CDN to serve.
    Publish {
        /// Into this folder instead of [publish] dir (with [publish]'s other settings, or the defaults).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Print the merged feed of one category (or `all`).
    Export {
        /// Category id from the config, or `all`.
        category: String,
        #[arg(long, value_enum, default_value = "rss")]
        format: Format,
        /// Number of items [default: fetch.items_per_feed from the config]
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Decode, parse and normalize one feed without storing it, and show what huiju reads.
    Inspect {
        /// A file path or an http(s)/file URL.
        source: String,
        /// Print a JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// Zone for dates without an offset [default: the feed's or the config's, else Asia/Shanghai]
        #[arg(long)]
        timezone: Option<chrono_tz::Tz>,
        /// Force an encoding (e.g. gbk, big5)
        #[arg(long)]
        encoding: Option<String>,
    },
    /// Show what an HTML source's CSS selectors extract from its page, or a feed's [feed.fulltext] from its items' pages, without storing anything.
    Preview(Box<PreviewArgs>),
    /// Rules that route items into categories: try them on the stored items.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// A dry run: which stored items the config's rules would put into each category or take out, and the rule that decided.
    Test {
        /// Only this category (or `all`).
        #[arg(long)]
        category: Option<String>,
        /// Also this rule, as a TOML key and value: `exclude = { field = "title", contains = ["广告"] }` (into --category's include, exclude or match; without --category, a [[exclude]] rule). Repeatable.
        #[arg(long)]
        rule: Vec<String>,
        /// Items listed per category.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

/// `huiju preview`: the configured selectors of a `kind = "html"` feed,
/// or any page with selectors given here (which override the config's);
/// for a feed with `[feed.fulltext]` (or any feed with `--content`), what
/// its items' article pages give.
#[derive(clap::Args, Debug)]
pub struct PreviewArgs {
    /// A configured feed's URL or title, or any http(s)/file URL or path.
    pub source: String,
    /// Selector of one element per item.
    #[arg(long)]
    pub item: Option<String>,
    /// Title inside an item [default: the link's text].
    #[arg(long)]
    pub title: Option<String>,
    /// Link inside an item [default: the item's first a[href]].
    #[arg(long)]
    pub link: Option<String>,
    /// Date inside an item.
    #[arg(long)]
    pub date: Option<String>,
    /// chrono format of the date, e.g. "%Y-%m-%d %H:%M" [default: common forms].
    #[arg(long)]
    pub date_format: Option<String>,
    /// Summary inside an item.
    #[arg(long)]
    pub summary: Option<String>,
    /// Article body on the item's own page: a CSS selector, or "auto" (fetches article pages).
    #[arg(long)]
    pub content: Option<String>,
    /// Removed from the article body (repeatable).
    #[arg(long)]
    pub remove: Vec<String>,
    /// Article pages to fetch [default: 3, at most the feed's articles_per_poll or fulltext per_poll].
    #[arg(long)]
    pub articles: Option<usize>,
    /// Zone for dates without an offset [default: the feed's or the config's].
    #[arg(long)]
    pub timezone: Option<chrono_tz::Tz>,
    /// Force an encoding (e.g. gbk).
    #[arg(long)]
    pub encoding: Option<String>,
}

/// Runs the CLI and turns the result into an exit code.
pub fn main() -> ExitCode {
    crate::sys::limit_malloc_arenas();
    let cli = Cli::parse();
    match &cli.command {
        Command::Run { log_format } => init_logging("huiju=info", *log_format),
        _ => init_logging("huiju=warn", LogFormat::Text),
    }
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("huiju: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per event, for log shippers.
    Json,
}

/// Logs go to stderr, filtered by `RUST_LOG` (else `default`). Under
/// systemd (`JOURNAL_STREAM` set) lines carry no time or colour: journald
/// adds its own.
fn init_logging(default: &str, format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text if journald => builder.with_ansi(false).without_time().init(),
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check => {
            let cfg = Config::load(&cli.config)?;
            emit(&format!("{}\n", cfg.summary()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Run { .. } => {
            let rt = runtime()?;
            rt.block_on(crate::daemon::run(cli.config.clone(), shutdown_signal()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::ImportOpml { file, write } => import_opml(&cli.config, &file, write),
        Command::Explain { url } => explain(&cli.config, &url),
        Command::Recluster { dry_run } => recluster(&cli.config, dry_run),
        Command::Prune { dry_run, vacuum } => prune(&cli.config, dry_run, vacuum),
        Command::Backup { file, force } => backup(&cli.config, &file, force),
        Command::Rules {
            command:
                RulesCommand::Test {
                    category,
                    rule,
                    limit,
                },
        } => rules::test(&cli.config, category.as_deref(), &rule, limit),
        Command::Fetch => {
            let started = std::time::Instant::now();
            let cfg = Config::load(&cli.config)?;
            let store = open_store(&cfg)?;
            if store.clusters_predate_rule()? {
                tracing::warn!("{}", crate::store::RECLUSTER_HINT);
            }
            let reports = {
                let refresher = Arc::new(Refresher::new(Arc::new(Mutex::new(store)), &cfg));
                let starts = Starts::new(refresher, cfg.fetch.concurrency, cfg.fetch.per_host);
                runtime()?.block_on(starts.refresh_all(&cfg.feeds))
            };
            let stored = started.elapsed();
            let usage = crate::sys::usage().map_or(String::new(), |u| {
                format!(
                    " ({:.3} s of CPU, {:.1} MB peak memory)",
                    u.cpu.as_secs_f64(),
                    u.peak_rss_bytes as f64 / 1_048_576.0
                )
            });
            // The daemon's indexer follows its writer, after the memory of
            // the burst is given back; here the same, before the command ends.
            crate::sys::release_free_memory();
            let indexed = Store::open(&cfg.database)?
                .index_search_all()
                .with_context(|| format!("cannot update the search index of {}", cfg.database.display()))?;
            let mut out = format_reports(&reports);
            // Two times, since the second can be the longer: storing is the
            // cycle readers wait for, indexing follows it in the daemon.
            let _ = writeln!(
                out,
                "fetched and stored in {:.3} s{usage}; {indexed} items indexed for search in {:.3} s",
                stored.as_secs_f64(),
                (started.elapsed() - stored).as_secs_f64()
            );
            emit(&out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Publish { dir } => publish(&cli.config, dir),
        Command::Export {
            category,
            format,
            limit,
        } => {
            let cfg = Config::load(&cli.config)?;
            if category != ALL && cfg.category(&category).is_none() {
                let known: Vec<&str> = cfg.categories.iter().map(|c| c.id.as_str()).collect();
                bail!("unknown category '{category}' (known: all, {})", known.join(", "));
            }
            // Export only reads: on a read-only disk it still shows what is stored.
            let store = match open_store(&cfg) {
                Ok(s) => s,
                Err(e) => Store::open_read_only(&cfg.database).map_err(|_| e)?,
            };
            let items = store.category_items(
                &category,
                limit.unwrap_or(cfg.fetch.items_per_feed),
                None,
                cfg.collapse_threshold(&category),
            )?;
            emit(&render::for_category(&cfg, &category, None, &items, format))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Inspect {
            source,
            json,
            timezone,
            encoding,
        } => inspect(&cli.config, &source, json, timezone, encoding.as_deref()),
        Command::Preview(args) => preview(&cli.config, &args),
    }
}

/// A `file://` URL for a path, or the URL itself; `None` for anything else.
fn source_url(source: &str) -> Option<Url> {
    match Url::parse(source) {
        Ok(u) if matches!(u.scheme(), "http" | "https" | "file") => Some(u),
        _ => {
            let path = std::path::absolute(source).ok()?;
            if !path.exists() {
                return None;
            }
            Url::from_file_path(&path).ok()
        }
    }
}

fn preview(config_path: &std::path::Path, a: &PreviewArgs) -> anyhow::Result<ExitCode> {
    let cfg = if config_path.exists() {
        Config::load(config_path)
            .inspect_err(|e| eprintln!("huiju: note: not using the config: {e}"))
            .ok()
    } else {
        None
    };
    let given = source_url(&a.source);
    let feed_cfg = cfg
        .as_ref()
        .and_then(|c| {
            c.feeds
                .iter()
                .find(|f| given.as_ref() == Some(&f.url) || f.title.as_deref() == Some(a.source.as_str()))
        })
        .cloned();
    let url = match (&feed_cfg, given) {
        (Some(f), _) => f.url.clone(),
        (None, Some(u)) => u,
        (None, None) => bail!(
            "'{}' is neither a configured feed's URL or title nor an http(s)/file URL or existing file",
            a.source
        ),
    };
    let fetch_cfg = cfg
        .as_ref()
        .map(|c| c.fetch.clone())
        .unwrap_or_else(default_fetch);
    let tz = a
        .timezone
        .or(feed_cfg.as_ref().map(|f| f.timezone))
        .unwrap_or(fetch_cfg.timezone);
    let forced = match &a.encoding {
        Some(label) => Some(
            encoding_rs::Encoding::for_label(label.as_bytes())
                .ok_or_else(|| anyhow::anyhow!("unknown encoding '{label}'"))?,
        ),
        None => feed_cfg.as_ref().and_then(|f| f.encoding),
    };
    let source = PreviewSource {
        url,
        feed: feed_cfg,
        fetcher: Fetcher::new(&fetch_cfg),
        hosts: fetch_cfg.hosts,
        tz,
        forced,
    };
    // A feed (RSS/Atom) with [feed.fulltext], or any feed with --content:
    // its items' article pages. Anything else: a page read by selectors.
    let is_html = a.item.is_some() || source.feed.as_ref().is_some_and(|f| f.html.is_some());
    let has_fulltext = source.feed.as_ref().is_some_and(|f| f.fulltext.is_some());
    if !is_html && (has_fulltext || a.content.is_some()) {
        preview_fulltext(&source, a)
    } else {
        preview_html(&source, a)
    }
}

/// What `preview` reads: the source, its configured feed if any, and how
/// to fetch and read it.
struct PreviewSource {
    url: Url,
    feed: Option<crate::config::Feed>,
    fetcher: Fetcher,
    hosts: crate::config::HostRules,
    tz: chrono_tz::Tz,
    /// The encoding given with --encoding, else the feed's.
    forced: Option<&'static encoding_rs::Encoding>,
}

impl PreviewSource {
    /// The source's body, fetched unconditionally.
    fn fetch(&self, rt: &tokio::runtime::Runtime) -> anyhow::Result<crate::fetch::Body> {
        let url = &self.url;
        let fetched = rt
            .block_on(self.fetcher.fetch(url, &Validators::default()))
            .with_context(|| format!("cannot fetch {url}"))?;
        match fetched {
            Fetched::Body(body) => Ok(body),
            Fetched::NotModified { .. } => {
                bail!("{url} answered 304 Not Modified to an unconditional request")
            }
        }
    }
}

/// The start of an HTML fragment's text, at most `n` characters, and its
/// length in characters.
fn text_head(html: &str, n: usize) -> (String, usize) {
    let text = crate::ingest::text::html_to_text(html);
    let count = text.chars().count();
    let mut h: String = text.chars().take(n).collect();
    if count > n {
        h.push('…');
    }
    (h, count)
}

/// The preview's closing lines: every warning, or none.
fn write_warnings(out: &mut String, warnings: &[String]) {
    out.push('\n');
    if warnings.is_empty() {
        let _ = writeln!(out, "warnings:  none");
    } else {
        let _ = writeln!(out, "warnings:  {}", warnings.len());
        for w in warnings {
            let _ = writeln!(out, "  - {w}");
        }
    }
}

/// `preview` of a page without a feed: what its selectors read, and its
/// first items' article pages.
fn preview_html(source: &PreviewSource, a: &PreviewArgs) -> anyhow::Result<ExitCode> {
    use crate::ingest::scrape::{self, Sel};
    let (url, tz, forced) = (&source.url, source.tz, source.forced);
    let sel = preview_selectors(source.feed.as_ref(), a, url)?;
    let articles = a.articles.unwrap_or(sel.articles_per_poll.min(3));
    let rt = runtime()?;
    let body = source.fetch(&rt)?;
    let decoded = decode::decode_html(&body.bytes, body.charset.as_deref(), forced);
    let listing = scrape::list(&decoded.text, &body.final_url, &sel, tz, chrono::Utc::now());
    let mut warnings = decoded.warnings.clone();
    warnings.extend(listing.feed.warnings.iter().cloned());
    if let Some(p) = listing.problem() {
        warnings.push(p);
    }

    // Article pages of the first items, chosen and fetched as a poll does.
    let links: Vec<Option<&str>> = listing.feed.items.iter().map(|i| i.link.as_deref()).collect();
    let pages = sel.content.as_ref().map(|content| crate::config::ArticlePages {
        content,
        remove: &sel.remove,
        mode: normalize::ArticleMode::Replace,
        per_poll: sel.articles_per_poll,
        encoding: forced,
    });
    let (bodies, notes) = preview_articles(
        &rt,
        source,
        &links,
        &body.final_url,
        pages.as_ref(),
        articles,
        &mut warnings,
    );

    let mut out = String::new();
    let s = |o: &Option<Sel>| o.as_ref().map_or("-".to_string(), |s| format!("'{s}'"));
    let _ = writeln!(out, "source:    {url}");
    let _ = writeln!(out, "encoding:  {} ({})", decoded.encoding.name(), decoded.reason);
    let _ = writeln!(out, "title:     {}", listing.feed.title.as_deref().unwrap_or("-"));
    let _ = writeln!(out, "item:      '{}' matched {}", sel.item, listing.matched);
    let _ = writeln!(
        out,
        "selectors: title {}, link {} @{}, date {}{}, summary {}, content {}",
        if sel.title.is_some() {
            s(&sel.title)
        } else {
            "(the link's text)".into()
        },
        if sel.link.is_some() {
            s(&sel.link)
        } else {
            "(first a[href])".into()
        },
        sel.link_attr,
        s(&sel.date),
        sel.date_format
            .as_ref()
            .map_or(String::new(), |f| format!(" as '{f}'")),
        s(&sel.summary),
        sel.content.as_ref().map_or("-".to_string(), |c| c.to_string()),
    );
    let _ = writeln!(out, "timezone:  {tz}");
    let _ = writeln!(out, "items:     {}", listing.feed.items.len());
    for (i, it) in listing.feed.items.iter().enumerate() {
        out.push('\n');
        let _ = writeln!(out, "[{}] {}", i + 1, it.title.as_deref().unwrap_or("-"));
        let _ = writeln!(out, "    link:     {}", it.link.as_deref().unwrap_or("-"));
        let _ = writeln!(out, "    date:     {}", preview_date(it.published, tz));
        let _ = writeln!(
            out,
            "    summary:  {}",
            it.summary
                .as_deref()
                .map_or("-".to_string(), |h| text_head(h, 60).0)
        );
        if sel.content.is_some() {
            let _ = writeln!(out, "    content:  {}", preview_content(&bodies[i], notes[i]));
        }
    }
    write_warnings(&mut out, &warnings);
    emit(&out)?;
    Ok(if listing.feed.items.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `preview` of a feed with `[feed.fulltext]` (or `--content`): its
/// items, and what the fulltext settings take from their first article
/// pages, fetched as a poll fetches them.
fn preview_fulltext(source: &PreviewSource, a: &PreviewArgs) -> anyhow::Result<ExitCode> {
    use crate::ingest::scrape::{ARTICLES_PER_POLL, ArticleBody, Sel};
    let (url, tz) = (&source.url, source.tz);
    let configured = source.feed.as_ref().and_then(|f| f.fulltext.as_deref().cloned());
    let mut ft = match (configured, &a.content) {
        (Some(ft), _) => ft,
        (None, Some(_)) => crate::config::Fulltext {
            content: ArticleBody::Auto,
            remove: Vec::new(),
            mode: normalize::ArticleMode::Replace,
            per_poll: ARTICLES_PER_POLL,
        },
        (None, None) => {
            bail!("{url} has no [feed.fulltext] in the config: give --content (a CSS selector, or \"auto\")")
        }
    };
    if let Some(c) = &a.content {
        ft.content = ArticleBody::parse(c).map_err(|e| anyhow::anyhow!("--content: {e}"))?;
    }
    if !a.remove.is_empty() {
        ft.remove = a
            .remove
            .iter()
            .map(|r| Sel::parse(r).map_err(|e| anyhow::anyhow!("--remove: {e}")))
            .collect::<anyhow::Result<_>>()?;
    }
    let articles = a.articles.unwrap_or(ft.per_poll.min(3));
    let rt = runtime()?;
    let body = source.fetch(&rt)?;
    let decoded = decode::decode(&body.bytes, body.charset.as_deref(), source.forced);
    let parsed = parse::parse(&decoded.text, tz);
    if parsed.format == parse::Format::Unknown {
        bail!(
            "{url} is not a feed (RSS/Atom); to read a page without a feed give --item and the other selectors"
        );
    }
    let items = normalize::normalize(&parsed, &body.final_url, url);
    let mut warnings = decoded.warnings.clone();
    warnings.extend(parsed.warnings.iter().cloned());

    let links: Vec<Option<&str>> = items.iter().map(|i| i.link.as_deref()).collect();
    let pages = crate::config::ArticlePages {
        content: &ft.content,
        remove: &ft.remove,
        mode: ft.mode,
        per_poll: ft.per_poll,
        encoding: None,
    };
    let (bodies, notes) = preview_articles(
        &rt,
        source,
        &links,
        &body.final_url,
        Some(&pages),
        articles,
        &mut warnings,
    );

    let mut out = String::new();
    let _ = writeln!(out, "source:    {url}");
    let _ = writeln!(out, "encoding:  {} ({})", decoded.encoding.name(), decoded.reason);
    let _ = writeln!(out, "title:     {}", parsed.title.as_deref().unwrap_or("-"));
    let remove = if ft.remove.is_empty() {
        String::new()
    } else {
        let r: Vec<String> = ft.remove.iter().map(|r| format!("'{r}'")).collect();
        format!(", remove {}", r.join(" "))
    };
    let mode = match ft.mode {
        normalize::ArticleMode::Replace => "replace",
        normalize::ArticleMode::Append => "append",
    };
    let _ = writeln!(
        out,
        "fulltext:  content {}{remove}, mode {mode}, per poll {}",
        ft.content, ft.per_poll
    );
    let _ = writeln!(out, "timezone:  {tz}");
    let _ = writeln!(out, "items:     {}", items.len());
    for (i, it) in items.iter().enumerate() {
        out.push('\n');
        let _ = writeln!(out, "[{}] {}", i + 1, it.title);
        let _ = writeln!(out, "    link:     {}", it.link.as_deref().unwrap_or("-"));
        let _ = writeln!(out, "    date:     {}", preview_date(it.published, tz));
        let own = it.summary.as_deref().or(it.content.as_deref());
        let _ = writeln!(
            out,
            "    summary:  {}",
            own.map_or("-".to_string(), |h| text_head(h, 60).0)
        );
        let _ = writeln!(out, "    article:  {}", preview_content(&bodies[i], notes[i]));
    }
    write_warnings(&mut out, &warnings);
    emit(&out)?;
    Ok(if bodies.iter().any(Option::is_some) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// An item's date as `preview` shows it.
fn preview_date(d: Option<chrono::DateTime<chrono::FixedOffset>>, tz: chrono_tz::Tz) -> String {
    d.map_or("- (none: first-seen time will be used)".to_string(), |d| {
        d.with_timezone(&tz).format("%Y-%m-%d %H:%M %:z").to_string()
    })
}

/// An article page's text as `preview` shows it, or why there is none.
fn preview_content(body: &Option<String>, note: &str) -> String {
    match body {
        Some(b) => {
            let (h, n) = text_head(b, 80);
            format!("{n} chars: {h}")
        }
        None => note.to_string(),
    }
}

/// The selectors `preview` reads a page with: the configured source's,
/// with those given on the command line in their place.
fn preview_selectors(
    feed_cfg: Option<&crate::config::Feed>,
    a: &PreviewArgs,
    url: &Url,
) -> anyhow::Result<crate::ingest::scrape::Selectors> {
    use crate::ingest::scrape::{self, Sel, Selectors};
    let parse_sel = |css: &str, flag: &str| Sel::parse(css).map_err(|e| anyhow::anyhow!("--{flag}: {e}"));
    let mut sel = match (feed_cfg.and_then(|f| f.html.as_deref().cloned()), &a.item) {
        (_, Some(item)) => {
            let base = feed_cfg.and_then(|f| f.html.as_deref().cloned());
            let item = parse_sel(item, "item")?;
            match base {
                Some(b) => Selectors { item, ..b },
                None => Selectors::new(item),
            }
        }
        (Some(s), None) => s,
        (None, None) if feed_cfg.is_some() => bail!(
            "{url} is an RSS/Atom feed in the config, not kind = \"html\" (see `huiju inspect`); \
             give --item to read it as a page, or --content to see what its items' pages give"
        ),
        (None, None) => {
            bail!("{url} is not an html source in the config: give at least --item (one element per item)")
        }
    };
    let opt = |v: &Option<String>, flag: &str| v.as_deref().map(|c| parse_sel(c, flag)).transpose();
    if a.title.is_some() {
        sel.title = opt(&a.title, "title")?;
    }
    if a.link.is_some() {
        sel.link = opt(&a.link, "link")?;
    }
    if a.date.is_some() {
        sel.date = opt(&a.date, "date")?;
    }
    if let Some(f) = &a.date_format {
        scrape::check_date_format(f).map_err(|e| anyhow::anyhow!("--date-format: {e}"))?;
        sel.date_format = Some(f.clone());
    }
    if a.summary.is_some() {
        sel.summary = opt(&a.summary, "summary")?;
    }
    if let Some(c) = &a.content {
        sel.content = Some(scrape::ArticleBody::parse(c).map_err(|e| anyhow::anyhow!("--content: {e}"))?);
    }
    if !a.remove.is_empty() {
        sel.remove = a
            .remove
            .iter()
            .map(|r| parse_sel(r, "remove"))
            .collect::<anyhow::Result<_>>()?;
    }
    Ok(sel)
}

/// The article pages of the first `max` items (their `links`) on
/// `page`'s site, fetched one at a time with the gap to their host, as a
/// poll does: each item's text, or a note saying why there is none.
fn preview_articles(
    rt: &tokio::runtime::Runtime,
    source: &PreviewSource,
    links: &[Option<&str>],
    page: &Url,
    pages: Option<&crate::config::ArticlePages<'_>>,
    max: usize,
    warnings: &mut Vec<String>,
) -> (Vec<Option<String>>, Vec<&'static str>) {
    let mut bodies: Vec<Option<String>> = vec![None; links.len()];
    let mut notes: Vec<&'static str> = vec!["-"; links.len()];
    if let Some(pages) = pages {
        let polite = pipeline::Politeness::new(1, 1);
        let mut unused: Option<Vec<String>> = None;
        for (i, pick) in pipeline::pick_articles(links, page, 0..links.len(), max) {
            let link = match pick {
                pipeline::Pick::Fetch(link) => link,
                pipeline::Pick::NoLink => continue,
                pipeline::Pick::OtherSite => {
                    notes[i] = "- (not fetched: another site)";
                    continue;
                }
                pipeline::Pick::BeyondCap => {
                    notes[i] = "- (not fetched: beyond --articles)";
                    continue;
                }
            };
            let fetched = rt.block_on(async {
                let host = pipeline::host_key(&link);
                let _permits = polite.acquire(host, source.hosts.find(host)).await;
                pipeline::fetch_article(&source.fetcher, &link, pages).await
            });
            match fetched {
                Ok(got) => {
                    let art = got.article;
                    for w in &art.warnings {
                        warnings.push(format!("article {link}: {w}"));
                    }
                    unused = Some(match unused {
                        None => art.unused_remove.clone(),
                        Some(u) => u.into_iter().filter(|r| art.unused_remove.contains(r)).collect(),
                    });
                    if art.content.is_none() {
                        notes[i] = match pages.content {
                            crate::ingest::scrape::ArticleBody::Auto => "- (no article text found)",
                            crate::ingest::scrape::ArticleBody::Selector(_) => {
                                "- (content selector matched nothing)"
                            }
                        };
                    }
                    bodies[i] = art.content;
                }
                Err(e) => {
                    notes[i] = "- (article fetch failed)";
                    warnings.push(format!("article {link}: {e}"));
                }
            }
        }
        for r in unused.unwrap_or_default() {
            warnings.push(format!(
                "remove selector '{r}' matched nothing in the articles fetched"
            ));
        }
    }
    (bodies, notes)
}

fn explain(config_path: &std::path::Path, url: &str) -> anyhow::Result<ExitCode> {
    use crate::neardup;
    let cfg = Config::load(config_path)?;
    let mut store = Store::open(&cfg.database)?;
    let Some(id) = store.find_item(url)? else {
        bail!("no stored item has the link or guid '{url}'");
    };
    let item = store.item_brief(id)?;
    let fp = item.fingerprint();
    let settings = cfg.dedup.unwrap_or_default();
    let p = settings.params;
    let df = store.doc_freq_around(item.sort_time, settings.window)?;
    let when = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .map(|d| {
                d.with_timezone(&cfg.fetch.timezone)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default()
    };
    // The comparison with another stored item, and the text it rests on.
    let describe = |out: &mut String, other: &crate::store::ItemBrief| {
        let ofp = other.fingerprint();
        let s = neardup::compare_weighed(&fp, &ofp, &df);
        let _ = writeln!(
            out,
            "      score {:.2} (containment {:.2}, specific {:.2}, numbers agree {:.2}), jaccard {:.2}, {} shingles in common → {}",
            s.score(),
            s.containment,
            s.specific,
            s.numbers,
            s.jaccard,
            s.common,
            if s.is_duplicate(&p) {
                "same story"
            } else {
                "different story"
            }
        );
        let _ = writeln!(
            out,
            "      headline: {} (bigrams {:.2})",
            s.headline.describe(),
            s.title
        );
        let ev = neardup::evidence(
            &item.title,
            item.content.as_deref().or(item.summary.as_deref()).unwrap_or(""),
            &ofp,
            Some(&df),
            3,
        );
        let quote = |runs: &[String]| {
            runs.iter()
                .map(|r| {
                    let short: String = r.chars().take(40).collect();
                    let more = if r.chars().count() > 40 { "…" } else { "" };
                    format!("«{short}{more}»")
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let _ = writeln!(
            out,
            "      shared, specific to these items: {}",
            if ev.specific.is_empty() {
                "nothing".into()
            } else {
                quote(&ev.specific)
            }
        );
        if !ev.boilerplate.is_empty() {
            let _ = writeln!(
                out,
                "      shared, common in the window (discounted {:.0} %): {}",
                s.boilerplate * 100.0,
                quote(&ev.boilerplate)
            );
        }
    };
    let mut out = String::new();
    let _ = writeln!(out, "item:      {} (#{})", item.title, item.id);
    let _ = writeln!(out, "source:    {} (priority {})", item.source, item.priority);
    let _ = writeln!(out, "link:      {}", item.link.as_deref().unwrap_or("-"));
    if item.link.as_deref() != Some(item.guid.as_str()) {
        let _ = writeln!(out, "guid:      {}", item.guid);
    }
    let _ = writeln!(out, "date:      {}", when(item.sort_time));
    let _ = writeln!(
        out,
        "dedup:     {} (threshold {:.2}, window ±{} h, {} items around it counted for boilerplate)",
        if cfg.dedup.is_some() { "on" } else { "off" },
        p.threshold,
        settings.window.as_secs() / 3600,
        df.items()
    );
    match item.cluster {
        Some(c) => {
            let (rep, entry, members) = store.cluster(c)?;
            let _ = writeln!(
                out,
                "cluster:   #{c}, {} copies, shown as one entry with id {entry}",
                members.len()
            );
            for m in members {
                let other = store.item_brief(m)?;
                let mark = if m == rep { "representative" } else { "copy" };
                let _ = writeln!(
                    out,
                    "  - [{mark}] {} · {} · {}",
                    other.source,
                    other.title,
                    when(other.sort_time)
                );
                let _ = writeln!(out, "      {}", other.link.as_deref().unwrap_or("-"));
                if m != id {
                    let _ = writeln!(out, "      vs this item:");
                    describe(&mut out, &other);
                }
            }
            if let Some(s) = item.cluster_sim {
                let _ = writeln!(out, "joined with score {s:.2}");
            }
        }
        None => {
            let _ = writeln!(out, "cluster:   none: no other stored item is the same story");
            let candidates = store.near_candidates_of(id, &fp, settings.window)?;
            if candidates.is_empty() {
                let _ = writeln!(out, "candidates: none share an LSH band within the window");
            }
            for c in candidates {
                let other = store.item_brief(c)?;
                let _ = writeln!(
                    out,
                    "  candidate {} · {} · {}",
                    other.source,
                    other.title,
                    when(other.sort_time)
                );
                describe(&mut out, &other);
            }
        }
    }
    let routing = store.item_routing(&cfg.rules, id)?;
    if routing.is_empty() {
        let _ = writeln!(out, "categories: none (no feed in the config carries it)");
    } else {
        let _ = writeln!(out, "categories:");
        for (category, is_in, why) in routing {
            let _ = writeln!(out, "  {} {category}: {why}", if is_in { "in " } else { "out" });
        }
    }
    emit(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// `huiju recluster`: stored clusters checked again with the current rule.
fn recluster(config_path: &std::path::Path, dry_run: bool) -> anyhow::Result<ExitCode> {
    let cfg = Config::load(config_path)?;
    let Some(settings) = cfg.dedup else {
        bail!("near-duplicate detection is off ([dedup] enabled = false): nothing to check");
    };
    let mut store = Store::open(&cfg.database)?;
    let report = store
        .recluster(&settings, dry_run)
        .with_context(|| format!("cannot recluster {}", cfg.database.display()))?;
    let mut out = String::new();
    let moved = report.splits.len();
    let _ = writeln!(
        out,
        "{} clusters checked: {} are one story each; {} items {} out of {} clusters ({} new clusters of copies among them)",
        report.clusters,
        report.kept,
        moved,
        if dry_run { "would be split" } else { "split" },
        report.clusters - report.kept,
        report.new_clusters
    );
    for s in &report.splits {
        let _ = writeln!(
            out,
            "  cluster #{}: «{}» leaves «{}» (headline {}; specific {:.2}, numbers {:.2})",
            s.cluster,
            s.title,
            s.kept_title,
            s.sim.headline.describe(),
            s.sim.specific,
            s.sim.numbers
        );
    }
    if dry_run && moved > 0 {
        let _ = writeln!(out, "dry run: nothing changed; run `huiju recluster` to apply");
    }
    emit(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// `huiju backup FILE`: a snapshot of the database, then its size and items.
fn backup(config_path: &std::path::Path, file: &std::path::Path, force: bool) -> anyhow::Result<ExitCode> {
    let cfg = Config::load(config_path)?;
    let started = std::time::Instant::now();
    let report = crate::store::backup(&cfg.database, file, force)?;
    emit(&format!(
        "backup: {} ({}, {} items) from {} in {:.1} s\n",
        report.path.display(),
        crate::store::human_size(report.bytes),
        report.items,
        cfg.database.display(),
        started.elapsed().as_secs_f64()
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// `huiju prune`: what `[retention]` lets go, per feed, then totals.
fn prune(config_path: &std::path::Path, dry_run: bool, vacuum: bool) -> anyhow::Result<ExitCode> {
    let cfg = Config::load(config_path)?;
    // Synced first: a feed just removed from the config starts its grace
    // period now, not at the daemon's next reload.
    let mut store = open_store(&cfg)?;
    let report = store
        .prune(&cfg.retention, chrono::Utc::now(), dry_run)
        .with_context(|| format!("cannot prune {}", cfg.database.display()))?;
    let mut out = format_prune(&report);
    if vacuum {
        let (before, after) = store
            .vacuum()
            .with_context(|| format!("cannot vacuum {}", cfg.database.display()))?;
        let _ = writeln!(
            out,
            "vacuum: {} -> {}; later prunes give freed space back (auto_vacuum = incremental)",
            crate::store::human_size(before),
            crate::store::human_size(after)
        );
    }
    emit(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn format_prune(report: &crate::store::PruneReport) -> String {
    use crate::store::human_size;
    let mut out = String::new();
    let verb = if report.dry_run { "would go" } else { "went" };
    for f in &report.feeds {
        let _ = writeln!(
            out,
            "{}{}  {} items ({}) {verb}, {} tombstones",
            f.url,
            if f.active {
                ""
            } else {
                " (removed from the config)"
            },
            f.items,
            human_size(f.bytes),
            f.tombstones
        );
    }
    for c in &report.categories {
        let _ = writeln!(
            out,
            "category {}  {} items ({}) {verb}, {} tombstones",
            c.id,
            c.items,
            human_size(c.bytes),
            c.tombstones
        );
    }
    let _ = writeln!(
        out,
        "total: {} items ({} of text) {verb}, leaving {} tombstones; {} expired tombstones {verb}",
        report.items,
        human_size(report.bytes),
        report.tombstones,
        report.tombstones_expired
    );
    if report.dry_run {
        let _ = writeln!(out, "dry run: nothing changed; run `huiju prune` to apply");
    }
    out
}

/// Completes on SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("can listen for SIGTERM");
    let mut int = signal(SignalKind::interrupt()).expect("can listen for SIGINT");
    let which = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    };
    tracing::info!("{which} received");
}

fn import_opml(
    config_path: &std::path::Path,
    file: &std::path::Path,
    write: bool,
) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let feeds = crate::opml::import(&text).with_context(|| format!("cannot import {}", file.display()))?;
    let existing = Config::load(config_path).ok();
    let known: Vec<String> = existing
        .as_ref()
        .map(|c| c.categories.iter().map(|c| c.id.clone()).collect())
        .unwrap_or_default();
    let known_urls: Vec<String> = existing
        .as_ref()
        .map(|c| c.feeds.iter().map(|f| f.url.to_string()).collect())
        .unwrap_or_default();
    let fresh: Vec<_> = feeds
        .into_iter()
        .filter(|f| {
            !known_urls
                .iter()
                .any(|k| url::Url::parse(&f.url).is_ok_and(|u| u.as_str() == k))
        })
        .collect();
    let titles: HashMap<String, String> = existing
        .as_ref()
        .map(|c| {
            c.categories
                .iter()
                .map(|c| (c.title.clone(), c.id.clone()))
                .collect()
        })
        .unwrap_or_default();
    let snippet = crate::opml::to_toml(&fresh, &known, &titles);
    if !write {
        emit(&snippet)?;
        return Ok(ExitCode::SUCCESS);
    }
    let current = std::fs::read_to_string(config_path)
        .with_context(|| format!("cannot read config file {}", config_path.display()))?;
    let combined = format!("{current}\n{snippet}");
    // Never leave a config that does not load: check the result first.
    Config::parse(&combined, config_path).context("the config with the imported feeds would not be valid")?;
    std::fs::write(config_path, combined)
        .with_context(|| format!("cannot write {}", config_path.display()))?;
    emit(&format!(
        "added {} feeds to {}\n",
        fresh.len(),
        config_path.display()
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// `huiju publish`: one pass, as the daemon makes after each change.
fn publish(config_path: &std::path::Path, dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let cfg = Config::load(config_path)?;
    let p = match (cfg.publish.clone(), dir) {
        (Some(p), Some(dir)) => crate::config::Publish { dir, ..p },
        (Some(p), None) => p,
        (None, Some(dir)) => crate::config::Publish {
            dir,
            formats: Format::ALL.to_vec(),
            gzip: true,
            brotli: false,
            debounce: crate::config::Publish::DEFAULT_DEBOUNCE,
        },
        (None, None) => bail!(
            "{} has no [publish] dir: add one, or give --dir DIR",
            cfg.path.display()
        ),
    };
    let store = open_store(&cfg)?;
    let started = std::time::Instant::now();
    let r = runtime()?.block_on(crate::publish::once(Arc::new(cfg), &p, store))?;
    emit(&format!(
        "{}: {} files written, {} documents unchanged, {} files removed ({} ms)\n",
        p.dir.display(),
        r.written,
        r.unchanged,
        r.removed,
        started.elapsed().as_millis()
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// Writes to stdout; a reader that went away (`huiju export all | head`)
/// is not an error.
fn emit(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e).context("cannot write to stdout"),
        _ => Ok(()),
    }
}

fn open_store(cfg: &Config) -> anyhow::Result<Store> {
    let mut store = Store::open(&cfg.database)?;
    store
        .sync_config(cfg)
        .with_context(|| format!("cannot record the feed list in {}", cfg.database.display()))?;
    store.reroute_all(&cfg.rules, cfg.routes_key()).with_context(|| {
        format!(
            "cannot apply the rules to the items in {}",
            cfg.database.display()
        )
    })?;
    Ok(store)
}

fn format_reports(reports: &[pipeline::Report]) -> String {
    let mut out = String::new();
    let (mut new, mut updated, mut unchanged, mut not_modified, mut waiting, mut failed) = (0, 0, 0, 0, 0, 0);
    for r in reports {
        let what = match &r.outcome {
            Outcome::Stored { counts, warnings } => {
                new += counts.new;
                updated += counts.updated;
                unchanged += counts.unchanged;
                let mut s = format!(
                    "{} new, {} updated, {} unchanged",
                    counts.new, counts.updated, counts.unchanged
                );
                if *warnings > 0 {
                    s.push_str(&format!(" ({warnings} warnings, see `huiju inspect`)"));
                }
                s
            }
            Outcome::NotModified => {
                not_modified += 1;
                "not modified".to_string()
            }
            Outcome::Waiting { until } => {
                waiting += 1;
                format!(
                    "waiting: the source asked not to be polled before {}",
                    until.to_rfc3339()
                )
            }
            Outcome::Failed { error, .. } => {
                failed += 1;
                format!("error: {error}")
            }
        };
        let _ = writeln!(out, "{}  {what}", r.url);
    }
    let _ = writeln!(
        out,
        "total: {} feeds; {new} new, {updated} updated, {unchanged} unchanged items; \
         {not_modified} not modified, {waiting} waiting, {failed} failed",
        reports.len()
    );
    out
}

/// The JSON shape of `huiju inspect --json` (documented in the README).
#[derive(Serialize)]
struct InspectOut {
    source: String,
    format: parse::Format,
    encoding: &'static str,
    encoding_reason: String,
    title: Option<String>,
    link: Option<String>,
    description: Option<String>,
    warnings: Vec<String>,
    items: Vec<InspectItem>,
}

#[derive(Serialize)]
struct InspectItem {
    /// Identity key used for dedup.
    id: String,
    /// The id output feeds show.
    guid: String,
    link: Option<String>,
    title: String,
    published: Option<String>,
    author: Option<String>,
    categories: Vec<String>,
    summary: Option<String>,
    content: Option<String>,
    enclosures: Vec<parse::Enclosure>,
}

fn inspect(
    config_path: &std::path::Path,
    source: &str,
    json: bool,
    timezone: Option<chrono_tz::Tz>,
    encoding: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let url = match Url::parse(source) {
        Ok(u) if matches!(u.scheme(), "http" | "https" | "file") => u,
        _ => {
            let path = std::path::absolute(source).with_context(|| format!("bad path '{source}'"))?;
            if !path.exists() {
                bail!("'{source}' is neither an http(s)/file URL nor an existing file");
            }
            Url::from_file_path(&path).map_err(|()| anyhow::anyhow!("bad path '{source}'"))?
        }
    };
    // The config, when there is a valid one, supplies fetch settings and
    // the feed's own timezone and encoding; inspect works without it.
    let cfg = if config_path.exists() {
        Config::load(config_path)
            .inspect_err(|e| eprintln!("huiju: note: not using the config: {e}"))
            .ok()
    } else {
        None
    };
    let fetch_cfg = cfg
        .as_ref()
        .map(|c| c.fetch.clone())
        .unwrap_or_else(default_fetch);
    let feed_cfg = cfg
        .as_ref()
        .and_then(|c| c.feeds.iter().find(|f| f.url == url))
        .cloned();
    if feed_cfg.as_ref().is_some_and(|f| f.html.is_some()) {
        eprintln!(
            "huiju: note: {url} is an html source (kind = \"html\"): `huiju preview` shows what its selectors read"
        );
    }
    let tz = timezone
        .or(feed_cfg.as_ref().map(|f| f.timezone))
        .unwrap_or(fetch_cfg.timezone);
    let forced = match encoding {
        Some(label) => Some(
            encoding_rs::Encoding::for_label(label.as_bytes())
                .ok_or_else(|| anyhow::anyhow!("unknown encoding '{label}'"))?,
        ),
        None => feed_cfg.as_ref().and_then(|f| f.encoding),
    };

    let fetcher = Fetcher::new(&fetch_cfg);
    let fetched = runtime()?
        .block_on(fetcher.fetch(&url, &Validators::default()))
        .with_context(|| format!("cannot fetch {url}"))?;
    let Fetched::Body(body) = fetched else {
        bail!("{url} answered 304 Not Modified to an unconditional request");
    };
    let decoded = decode::decode(&body.bytes, body.charset.as_deref(), forced);
    let parsed = parse::parse(&decoded.text, tz);
    let items = normalize::normalize(&parsed, &body.final_url, &url);
    let mut warnings = decoded.warnings.clone();
    warnings.extend(parsed.warnings.iter().cloned());
    let out = InspectOut {
        source: url.to_string(),
        format: parsed.format,
        encoding: decoded.encoding.name(),
        encoding_reason: decoded.reason.clone(),
        title: parsed.title.clone(),
        link: normalize::site_url(&parsed, &body.final_url)
            .map(String::from)
            .or_else(|| parsed.link.clone()),
        description: parsed.description.clone(),
        warnings,
        items: items
            .into_iter()
            .map(|i| InspectItem {
                id: i.key,
                guid: i.guid,
                link: i.link,
                title: i.title,
                published: i.published.map(|d| d.to_rfc3339()),
                author: i.author,
                categories: i.categories,
                summary: i.summary,
                content: i.content,
                enclosures: i.enclosures,
            })
            .collect(),
    };
    if json {
        emit(&format!("{}\n", serde_json::to_string_pretty(&out)?))?;
    } else {
        emit(&format_inspect(&out))?;
    }
    Ok(if parsed.format == parse::Format::Unknown {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn default_fetch() -> crate::config::Fetch {
    Config::parse("", std::path::Path::new("(defaults)"))
        .expect("an empty config is valid")
        .fetch
}

fn format_inspect(o: &InspectOut) -> String {
    let mut out = String::new();
    let dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".to_string());
    let _ = writeln!(out, "source:    {}", o.source);
    let _ = writeln!(out, "format:    {}", o.format);
    let _ = writeln!(out, "encoding:  {} ({})", o.encoding, o.encoding_reason);
    let _ = writeln!(out, "title:     {}", dash(&o.title));
    let _ = writeln!(out, "link:      {}", dash(&o.link));
    let _ = writeln!(out, "items:     {}", o.items.len());
    if o.warnings.is_empty() {
        let _ = writeln!(out, "warnings:  none");
    } else {
        let _ = writeln!(out, "warnings:  {}", o.warnings.len());
        for w in &o.warnings {
            let _ = writeln!(out, "  - {w}");
        }
    }
    for (n, i) in o.items.iter().enumerate() {
        out.push('\n');
        let _ = writeln!(out, "[{}] {}", n + 1, i.title);
        let _ = writeln!(out, "    id:         {}", i.id);
        let _ = writeln!(out, "    guid:       {}", i.guid);
        let _ = writeln!(out, "    link:       {}", dash(&i.link));
        let _ = writeln!(
            out,
            "    published:  {}",
            i.published
                .clone()
                .unwrap_or_else(|| "- (none: first-seen time will be used)".to_string())
        );
        let _ = writeln!(out, "    author:     {}", dash(&i.author));
        let _ = writeln!(
            out,
            "    categories: {}",
            if i.categories.is_empty() {
                "-".to_string()
            } else {
                i.categories.join(", ")
            }
        );
        let len = |s: &Option<String>| s.as_ref().map_or(0, |s| s.chars().count());
        let _ = writeln!(
            out,
            "    content:    {} chars, summary {} chars{}",
            len(&i.content),
            len(&i.summary),
            if i.enclosures.is_empty() {
                String::new()
            } else {
                format!(", {} enclosures", i.enclosures.len())
            }
        );
    }
    out
}
