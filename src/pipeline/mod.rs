//! The refresh of one source, from its state in the store to its items
//! stored, for feeds and HTML list pages alike; read
//! [`Refresher::refresh_source`] top to bottom. Around it: the politeness
//! every request keeps ([`polite`]), the parsing threads ([`cpu`]), the
//! database writer ([`writer`]) and the queue that starts refreshes for
//! `huiju fetch` and the daemon alike ([`start`]).
//!
//! Every step's failure becomes the source's outcome through one
//! [`Refresher::fail`]; nothing here stops other sources.

mod cpu;
mod polite;
mod read;
mod start;
mod writer;

use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;
use tracing::{Instrument, error_span, info, warn};
use url::Url;

use crate::config::{Config, Feed};
use crate::fetch::{FetchError, Fetched, Fetcher, Validators};
use crate::neardup;
use crate::schedule::{self, Plan, Policy, Poll};
use crate::store::{Counts, FeedRoute, Refreshed, Store, StoreError};

pub(crate) use polite::{Politeness, host_key};
pub(crate) use read::{Pick, fetch_article, pick_articles};
pub(crate) use start::Starts;

use cpu::CpuPool;
use polite::Permits;
use read::Read;
use writer::Writer;

/// The database, shared by refresh tasks. Locked only off the async
/// workers: on the refresher's writer thread, or in blocking tasks.
pub(crate) type SharedStore = Arc<Mutex<Store>>;

/// What happened to one source.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    Stored {
        counts: Counts,
        warnings: usize,
    },
    NotModified,
    /// The source asked (Retry-After) not to be polled before this time.
    Waiting {
        until: DateTime<Utc>,
    },
    Failed {
        error: String,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Report {
    pub(crate) url: Url,
    pub(crate) outcome: Outcome,
    /// The earliest next poll, and errors in a row, after this one.
    pub(crate) plan: Plan,
    /// Time spent fetching (None when no request was made).
    pub(crate) fetch_time: Option<Duration>,
}

impl Report {
    /// True when the stored items changed (output feeds must be re-rendered).
    pub(crate) fn changed(&self) -> bool {
        matches!(self.outcome, Outcome::Stored { counts, .. } if counts.new + counts.updated + counts.linked > 0)
    }

    /// The report of a refresh that never finished (a bug: its task
    /// panicked): a failure, due again at once.
    fn unfinished(url: Url, error: String) -> Report {
        Report {
            url,
            outcome: Outcome::Failed { error },
            plan: Plan {
                consecutive_errors: 0,
                next_due: Utc::now(),
            },
            fetch_time: None,
        }
    }
}

/// The settings a config reload replaces, swapped as one.
#[derive(Clone)]
pub(crate) struct Live {
    pub(crate) fetcher: Fetcher,
    pub(crate) policy: Policy,
    /// Near-duplicate detection (`[dedup]`), if enabled.
    pub(crate) near: Option<neardup::Settings>,
    /// `[[host]]` tables: slots and gap per host (the fetcher applies
    /// their headers).
    pub(crate) hosts: crate::config::HostRules,
    /// The rules that route items into categories (`[[exclude]]`,
    /// include, exclude, from, match), applied as items are stored.
    pub(crate) rules: Arc<crate::rules::Rules>,
}

impl Live {
    pub(crate) fn of(cfg: &Config) -> Live {
        Live {
            fetcher: Fetcher::new(&cfg.fetch),
            policy: Policy {
                max_backoff: cfg.fetch.max_backoff,
                ..Policy::default()
            },
            near: cfg.dedup,
            hosts: cfg.fetch.hosts.clone(),
            rules: cfg.rules.clone(),
        }
    }
}

/// Why a refresh failed, and what that means for the source's schedule.
struct Failure {
    error: String,
    status: Option<u16>,
    retry_after: Option<DateTime<Utc>>,
    /// Counted against the source (backoff), unless the fault is not its
    /// own: the network is down, or the database failed.
    counts: bool,
}

impl Failure {
    /// A body (HTTP 200) that could not be read, or whose reading
    /// panicked: counted, no Retry-After.
    fn unreadable(error: String) -> Failure {
        Failure {
            error,
            status: Some(200),
            retry_after: None,
            counts: true,
        }
    }

    /// The store failed: not the source's fault.
    fn storage(error: String) -> Failure {
        Failure {
            error,
            status: None,
            retry_after: None,
            counts: false,
        }
    }
}

/// What one refresh knows of its source once its state is read.
struct Context<'a> {
    feed: &'a Feed,
    /// The source's row, once known.
    feed_id: Option<i64>,
    host: String,
    /// Errors in a row before this poll.
    errors: u32,
    policy: Policy,
    jitter: f64,
    started: DateTime<Utc>,
    fetch_time: Option<Duration>,
}

impl Context<'_> {
    fn plan(&self, poll: Poll) -> Plan {
        schedule::plan(Utc::now(), poll, self.errors, self.policy, self.jitter)
    }

    fn report(&self, outcome: Outcome, plan: Plan) -> Report {
        Report {
            url: self.feed.url.clone(),
            outcome,
            plan,
            fetch_time: self.fetch_time,
        }
    }
}

/// Everything a refresh needs; one per process, shared by all refreshes.
pub(crate) struct Refresher {
    writes: Writer,
    /// Read refreshes allowed to wait for the write queue at once.
    queued: Semaphore,
    /// Threads that decode, parse and fingerprint: one per core.
    cpu: CpuPool,
    live: RwLock<Arc<Live>>,
    polite: Politeness,
    /// Set at shutdown: refreshes still waiting for the network give up;
    /// one already storing finishes its transaction.
    stopping: tokio::sync::watch::Sender<bool>,
}

impl Refresher {
    /// A refresher for `cfg`'s sources, writing into `store`. Its
    /// politeness limits (`[fetch] concurrency`, `per_host`) stay until
    /// the process ends; everything else, `[[host]]` tables included,
    /// follows [`Refresher::reload`].
    pub(crate) fn new(store: SharedStore, cfg: &Config) -> Refresher {
        let concurrency = cfg.fetch.concurrency.max(1);
        Refresher {
            writes: Writer::new(store),
            queued: Semaphore::new(concurrency),
            cpu: CpuPool::new(std::thread::available_parallelism().map_or(2, usize::from)),
            live: RwLock::new(Arc::new(Live::of(cfg))),
            polite: Politeness::new(concurrency, cfg.fetch.per_host),
            stopping: tokio::sync::watch::channel(false).0,
        }
    }

    /// Makes refreshes waiting for a slot or a response give up.
    pub(crate) fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// Takes the settings of a reloaded config, for the refreshes that
    /// start from now on.
    pub(crate) fn reload(&self, cfg: &Config) {
        *self.live.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(Live::of(cfg));
    }

    /// Request slots for `host` under the live `[[host]]` tables.
    pub(crate) fn host_slots(&self, host: &str) -> usize {
        self.polite.slots(self.live().hosts.find(host))
    }

    /// The settings refreshes start with now.
    pub(crate) fn live(&self) -> Arc<Live> {
        self.live.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Refreshes one source. Never fails: errors are recorded and reported.
    pub(crate) async fn refresh(&self, feed: &Feed) -> Report {
        // ERROR level so that the span (and the feed URL it carries) is
        // enabled whatever the filter: a warning must say which feed.
        let span = error_span!("refresh", feed = %feed.url);
        // Fault injection for the tests of a bug that panics a refresh task
        // itself (outside the parsing threads, which catch their panics);
        // debug builds only.
        #[cfg(debug_assertions)]
        if std::env::var("HUIJU_FAILPOINT_REFRESH_PANIC")
            .is_ok_and(|u| !u.is_empty() && feed.url.as_str().contains(&u))
        {
            panic!("failpoint HUIJU_FAILPOINT_REFRESH_PANIC");
        }
        let report = self.refresh_source(feed).instrument(span.clone()).await;
        let _e = span.enter();
        match &report.outcome {
            Outcome::Stored { counts, warnings } => info!(
                new = counts.new,
                updated = counts.updated,
                unchanged = counts.unchanged,
                warnings,
                "stored"
            ),
            Outcome::NotModified => info!("not modified"),
            Outcome::Waiting { until } => info!(%until, "waiting for the source's Retry-After"),
            // Logged by `fail`.
            Outcome::Failed { .. } => {}
        }
        report
    }

    /// The steps of a refresh, in order.
    async fn refresh_source(&self, feed: &Feed) -> Report {
        let live = self.live();
        let mut cx = Context {
            feed,
            feed_id: None,
            host: host_key(&feed.url).to_string(),
            errors: 0,
            policy: live.policy,
            jitter: fastrand::f64(),
            started: Utc::now(),
            fetch_time: None,
        };

        // 1. The source's state: its validators, errors and holds.
        let url = feed.url.to_string();
        let state = match self.store_call(move |s| s.feed_state(&url)).await {
            Ok(Some(state)) => state,
            Ok(None) => {
                let error = "feed is not in the database (config not synchronised)".to_string();
                return self.fail(&cx, Failure::storage(error)).await;
            }
            Err(f) => return self.fail(&cx, f).await,
        };
        cx.feed_id = Some(state.id);
        cx.errors = state.consecutive_errors;

        // 2. Held back by a Retry-After (its own, or its host's)?
        if let Some(until) = self.polite.held_until(&cx.host, state.retry_after, cx.started) {
            let plan = Plan {
                next_due: until,
                ..cx.plan(Poll::Skipped)
            };
            return cx.report(Outcome::Waiting { until }, plan);
        }

        // 3. The request. Its permits are kept until the body is read and
        // queued for the store (see `store`): at most `concurrency` bodies
        // are downloading or being read at once.
        let validators = Validators {
            etag: state.etag,
            last_modified: state.last_modified,
        };
        let request = async {
            let permits = self.polite.acquire(&cx.host, live.hosts.find(&cx.host)).await;
            let started = Instant::now();
            let fetched = Box::pin(live.fetcher.fetch(&feed.url, &validators)).await;
            (fetched, started.elapsed(), permits)
        };
        let mut stopping = self.stopping.subscribe();
        let (fetched, took, permits) = tokio::select! {
            r = request => r,
            // Not the source's failure: nothing is recorded.
            _ = stopping.wait_for(|s| *s) => {
                let error = "shutting down".to_string();
                return cx.report(Outcome::Failed { error }, cx.plan(Poll::Skipped));
            }
        };
        cx.fetch_time = Some(took);
        let mut permits = Some(permits);

        // 4. The response: not modified, an error, or a body.
        let body = match fetched {
            Ok(Fetched::Body(body)) => body,
            Ok(Fetched::NotModified { max_age }) => {
                self.polite.answered(&cx.host, &feed.url);
                return self.not_modified(&cx, max_age).await;
            }
            Err(e) => {
                let failure = self.request_failed(&cx, &e);
                return self.fail(&cx, failure).await;
            }
        };
        self.polite.answered(&cx.host, &feed.url);
        let page = body.final_url.clone();

        // 5. Read the body on the parsing threads: decode, parse the feed
        // (or scrape the list page), normalize, and fingerprint, unless
        // article pages are still to come.
        let mut read = match self.read(&cx, body, live.near.is_some()).await {
            Ok(read) => read,
            Err(f) => return self.fail(&cx, f).await,
        };

        // 6. Article pages (an HTML source's `content`, a feed's
        // `[feed.fulltext]`): those of its new items, then its items with
        // their text, fingerprinted.
        if let Some(pages) = feed.article_pages() {
            // Article pages take request slots of their own: holding this
            // one while waiting for them could deadlock a host's slots.
            drop(permits.take());
            read = match self.add_articles(&cx, &live, read, &page, &pages).await {
                Ok(read) => read,
                Err(f) => return self.fail(&cx, f).await,
            };
        }

        // 7. Store the items through the writer.
        let plan = cx.plan(Poll::Ok {
            min_interval: read.min_interval,
        });
        let warnings = read.warnings;
        let route = (!live.rules.is_empty()).then(|| FeedRoute {
            rules: live.rules.clone(),
            url: cx.feed.url.to_string(),
            title: cx.feed.title.clone().or_else(|| read.meta.title.clone()),
            categories: cx.feed.categories.clone(),
        });
        let job = Refreshed {
            route,
            feed_id: state.id,
            meta: read.meta,
            items: read.items,
            prints: read.prints,
            now: Utc::now(),
            plan,
            near: live.near,
        };
        match self.store(job, permits).await {
            Ok(counts) => cx.report(Outcome::Stored { counts, warnings }, plan),
            Err(error) => self.fail(&cx, Failure::storage(error)).await,
        }
    }

    /// What a failed request means: the network's health and the host's
    /// holds are updated, and the failure says whether it counts.
    fn request_failed(&self, cx: &Context<'_>, e: &FetchError) -> Failure {
        let held = self
            .polite
            .failed(&cx.host, &cx.feed.url, e, &cx.policy, cx.started);
        let mut error = anyhow_like(e);
        if held.gone {
            error = "gone: the source says this feed no longer exists (HTTP 410 Gone); \
                     asked again only rarely"
                .to_string();
        }
        if !held.counts {
            error.push_str(" (the network seems down; not counted against the feed)");
        }
        Failure {
            error,
            status: e.status(),
            retry_after: held.retry_after,
            counts: held.counts,
        }
    }

    /// Step 5 of a refresh, on the parsing threads: see [`read::read`].
    async fn read(&self, cx: &Context<'_>, body: crate::fetch::Body, near: bool) -> Result<Read, Failure> {
        let (feed, span) = (cx.feed.clone(), tracing::Span::current());
        let reading = self.cpu.run(move || {
            let _e = span.enter();
            // Fault injection for the tests of a reader bug (no input is
            // known to make the readers panic); debug builds only.
            #[cfg(debug_assertions)]
            if std::env::var("HUIJU_FAILPOINT_PARSE_PANIC")
                .is_ok_and(|u| !u.is_empty() && feed.url.as_str().contains(&u))
            {
                panic!("failpoint HUIJU_FAILPOINT_PARSE_PANIC");
            }
            read::read(&feed, body, near)
        });
        match reading.await {
            Ok(Ok(read)) => Ok(read),
            Ok(Err(error)) => Err(Failure::unreadable(error)),
            Err(e) => Err(Failure::unreadable(format!("refresh task failed: {e}"))),
        }
    }

    /// Step 6 of a refresh: fetches the article pages of a source's new
    /// items (politely, each with a request slot of its own; those of its
    /// own site only) and gives its items their text.
    async fn add_articles(
        &self,
        cx: &Context<'_>,
        live: &Live,
        mut read: Read,
        page: &Url,
        pages: &crate::config::ArticlePages<'_>,
    ) -> Result<Read, Failure> {
        let keys: Vec<String> = read.items.iter().map(|i| i.key.clone()).collect();
        let feed_id = cx.feed_id.expect("known before any request");
        let known = self
            .store_call(move |s| s.known_items(feed_id, &keys.iter().map(String::as_str).collect::<Vec<_>>()))
            .await?;
        let wanted = read::articles_wanted(&read, page, &known, pages.per_poll);
        let (mut fetched, mut bodies) = (0, Vec::new());
        for (i, url) in wanted {
            let mut stopping = self.stopping.subscribe();
            let got = tokio::select! {
                r = async {
                    let host = host_key(&url);
                    let _permits = self.polite.acquire(host, live.hosts.find(host)).await;
                    fetch_article(&live.fetcher, &url, pages).await
                } => r,
                _ = stopping.wait_for(|s| *s) => break,
            };
            match got {
                Ok(got) => {
                    fetched += 1;
                    for w in &got.article.warnings {
                        read.warnings += 1;
                        warn!("article {url}: {w}; stored with its summary, tried again on the next polls");
                    }
                    if let Some(html) = got.article.content {
                        bodies.push((i, html, got.url));
                    }
                }
                Err(e) => {
                    read.warnings += 1;
                    warn!("article {url}: {e}; stored with its summary, tried again on the next polls");
                }
            }
        }
        if fetched > 0 {
            info!(articles = fetched, "fetched article pages");
        }
        let (mode, near) = (pages.mode, live.near.is_some());
        let span = tracing::Span::current();
        self.cpu
            .run(move || {
                let _e = span.enter();
                read::with_articles(&mut read, bodies, mode, &known, near);
                read
            })
            .await
            .map_err(|e| Failure::unreadable(format!("refresh task failed: {e}")))
    }

    /// Records a 304 Not Modified.
    async fn not_modified(&self, cx: &Context<'_>, max_age: Option<Duration>) -> Report {
        let plan = cx.plan(Poll::Ok {
            min_interval: max_age,
        });
        let feed_id = cx.feed_id.expect("known before any request");
        match self
            .store_call(move |s| s.record_not_modified(feed_id, Utc::now(), plan))
            .await
        {
            Ok(()) => cx.report(Outcome::NotModified, plan),
            Err(f) => self.fail(cx, f).await,
        }
    }

    /// Every failed refresh ends here: its backoff is planned, the error
    /// recorded on the source's row (shown on the status page), and logged.
    async fn fail(&self, cx: &Context<'_>, f: Failure) -> Report {
        let plan = cx.plan(Poll::Failed {
            retry_after: f.retry_after,
            counts: f.counts,
        });
        if let Some(feed_id) = cx.feed_id {
            let (status, msg, retry_after) = (f.status, f.error.clone(), f.retry_after);
            let recorded = self
                .writes
                .call(move |s| s.record_error(feed_id, status, &msg, retry_after, Utc::now(), plan))
                .await;
            match recorded {
                Ok(Ok(())) => {}
                Ok(Err(e)) => warn!("could not record the error: {}", anyhow_like(&e)),
                Err(e) => warn!("could not record the error: {e}"),
            }
        }
        warn!(errors_in_a_row = plan.consecutive_errors, "{}", f.error);
        cx.report(Outcome::Failed { error: f.error }, plan)
    }

    /// Runs a short store call on the writer thread, between batches.
    async fn store_call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, Failure> {
        match self.writes.call(f).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(Failure::storage(anyhow_like(&e))),
            Err(e) => Err(Failure::storage(e)),
        }
    }

    /// Stores a read refresh through the write queue. At most
    /// `concurrency` read refreshes wait for the store at once, so memory
    /// stays bounded while downloads and reading go on beside the writes.
    ///
    /// The request slot (`permits`, if still held) is handed over for a
    /// place in that queue: at most `concurrency` sources are downloading
    /// or being read, and as many more waiting for the store.
    ///
    /// Decision: the slot used to be kept until the items were stored, so
    /// that only `concurrency` sources were in memory at all. Handed over,
    /// the writer finds more refreshes waiting and commits fewer, larger
    /// batches: in the 1,000-feed benchmark, 2-8 % faster for 6 MB more
    /// peak memory. Twice as many places gained nothing more.
    async fn store(&self, job: Refreshed, permits: Option<Permits>) -> Result<Counts, String> {
        let _place = self.queued.acquire().await.expect("semaphore never closed");
        drop(permits);
        self.writes.store(job).await
    }
}

/// Formats an error with its causes, `a: b: c`.
pub(crate) fn anyhow_like(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

#[cfg(test)]
mod tests;
