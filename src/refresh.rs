//! The orchestrator: one feed refresh runs fetch → decode → parse →
//! normalize → store, in that order (like Miniflux's `RefreshFeed`). Every
//! step's failure becomes a per-feed outcome; nothing here stops other feeds.
//!
//! Politeness lives here too, shared by `huiju fetch` and the daemon: at most
//! `[fetch] concurrency` requests at once, `[fetch] per_host` per host with a gap
//! between them, Retry-After per feed (and per host when several feeds of
//! it say so), and backoff planned by [`crate::schedule`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::{Instrument, error_span, info, warn};
use url::Url;

use crate::config::{Config, Feed};
use crate::fetch::{Body, FetchError, Fetched, Fetcher, Validators};
use crate::schedule::{self, HostHolds, NetHealth, Plan, Policy, Poll, StartQueue};
use crate::store::{Counts, Refreshed, SourceMeta, Store, StoreError};
use crate::{decode, normalize, parse, scrape};

/// The database, shared by refresh tasks. Locked only off the async
/// workers: on the refresher's writer thread, or in blocking tasks.
pub type SharedStore = Arc<Mutex<Store>>;

/// The thread that writes to the database for refreshes, and its queue.
///
/// Decision: group commit by one writer thread. It takes everything queued
/// as one batch, stores it in one transaction and hands each refresh its
/// result; while it commits, the next batch gathers. With one transaction
/// per feed, 1,000 feeds cost 1,000 WAL syncs; batched, the writes of a
/// whole poll cycle share a few. Short store calls (a feed's state, a 304
/// or an error to record) run on it too, between batches. (Before, each
/// refresh waited for the store lock on a blocking thread of its own:
/// tokio kept starting threads for them, each with allocator caches of its
/// own. BENCHMARKS.md has the figures.)
struct Writer {
    queue: Option<std::sync::mpsc::Sender<Write>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The thread that checkpoints the WAL, poked after each batch.
    checkpoints: Option<std::thread::JoinHandle<()>>,
}

/// Batches between checkpoints on the checkpoint thread.
///
/// Decision: the writer used to checkpoint itself (SQLite's automatic
/// checkpoint every 8,000 WAL pages): copying the pages and waiting for two
/// syncs, about a fifth of its time in the 1,000-feed cycle. A second
/// connection on a thread of its own now does it (`PASSIVE`: it never
/// blocks the writer) every 16 batches, about 4,500 pages; the writer's
/// automatic checkpoint stays as the backstop that lets the WAL restart.
/// A checkpoint after every batch was tried in session 3: more CPU, on
/// cores that were busy anyway. Every 4, 8 or 16 batches were measured
/// now; figures in BENCHMARKS.md.
const CHECKPOINT_EVERY: usize = 16;

/// A refresh's result, its job and fingerprints to free, back from the writer.
type Stored = (
    Result<Counts, String>,
    Refreshed,
    Vec<Arc<crate::neardup::Fingerprint>>,
);

enum Write {
    /// The job comes back with the result: its items are freed by the
    /// caller, not by the writer, which sets the pace of a cycle; so are
    /// the fingerprints the store let go of (the first reply of a batch
    /// carries them).
    Refresh(Refreshed, tokio::sync::oneshot::Sender<Stored>),
    Call(Box<dyn FnOnce(&mut Store) + Send>),
}

impl Writer {
    /// Starts the writer thread, which writes into `store`.
    fn new(store: SharedStore) -> Writer {
        Writer::with_checkpoints(store, CHECKPOINT_EVERY)
    }

    /// A writer whose checkpoint thread checkpoints every `checkpoint_every` batches.
    fn with_checkpoints(store: SharedStore, checkpoint_every: usize) -> Writer {
        let (tx, rx) = std::sync::mpsc::channel::<Write>();
        let (poke, pokes) = std::sync::mpsc::sync_channel::<()>(1);
        let checkpointer = store.lock().unwrap_or_else(|p| p.into_inner()).checkpointer();
        let checkpoints = match checkpointer {
            Ok(c) => Some(
                std::thread::Builder::new()
                    .name("huiju-checkpoint".into())
                    .spawn(move || {
                        for n in 1.. {
                            if pokes.recv().is_err() {
                                break;
                            }
                            if n % checkpoint_every == 0
                                && let Err(e) = c.passive()
                            {
                                tracing::warn!("WAL checkpoint failed: {e}");
                            }
                        }
                    })
                    .expect("cannot start the checkpoint thread"),
            ),
            Err(e) => {
                tracing::warn!("checkpoints stay on the writer: {e}");
                None
            }
        };
        let thread = std::thread::Builder::new()
            .name("huiju-writer".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut guard = store.lock().unwrap_or_else(|p| p.into_inner());
                    let (mut jobs, mut replies) = (Vec::new(), Vec::new());
                    for write in std::iter::once(first).chain(rx.try_iter()) {
                        match write {
                            Write::Call(f) => {
                                unwind_to_caller(|| f(&mut guard));
                            }
                            Write::Refresh(job, reply) => {
                                jobs.push(job);
                                replies.push(reply);
                            }
                        }
                    }
                    if jobs.is_empty() {
                        drop(guard);
                        poke.try_send(()).ok();
                        continue;
                    }
                    let stored = unwind_to_caller(|| guard.apply_refreshes(&jobs));
                    let mut retired = guard.take_retired();
                    drop(guard);
                    // A full queue means the checkpointer is at work: this
                    // batch waits for the next poke.
                    poke.try_send(()).ok();
                    match stored {
                        Some(Ok(results)) => {
                            for ((r, reply), job) in results.into_iter().zip(replies).zip(jobs) {
                                reply
                                    .send((r.map_err(|e| anyhow_like(&e)), job, std::mem::take(&mut retired)))
                                    .ok();
                            }
                        }
                        Some(Err(e)) => {
                            let msg = anyhow_like(&e);
                            for (reply, job) in replies.into_iter().zip(jobs) {
                                reply
                                    .send((Err(msg.clone()), job, std::mem::take(&mut retired)))
                                    .ok();
                            }
                        }
                        // Dropped replies tell the callers.
                        None => {}
                    }
                }
            })
            .expect("cannot start the database writer thread");
        Writer {
            queue: Some(tx),
            thread: Some(thread),
            checkpoints,
        }
    }

    fn send(&self, write: Write) {
        if let Some(queue) = &self.queue {
            queue.send(write).ok();
        }
    }

    /// Stores `job`, together with whatever other refreshes are waiting.
    async fn store(&self, job: Refreshed) -> Result<Counts, String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(Write::Refresh(job, tx));
        rx.await.map_or_else(
            |_| Err("storing failed: the database writer panicked (see the log)".into()),
            |(result, _job, _retired)| result,
        )
    }

    /// Runs `f` on the writer thread, between batches.
    async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> T + Send + 'static,
    ) -> Result<T, String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(Write::Call(Box::new(move |s| {
            tx.send(f(s)).ok();
        })));
        rx.await
            .map_err(|_| "storage call failed: the database writer panicked (see the log)".to_string())
    }
}

impl Drop for Writer {
    /// Lets the writer finish what is queued, so the database is closed
    /// when the last refresher is gone.
    fn drop(&mut self) {
        drop(self.queue.take());
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
        // The writer's end closed the pokes' channel.
        if let Some(thread) = self.checkpoints.take() {
            thread.join().ok();
        }
    }
}

/// Runs `f`; a panic in it (printed by the panic hook) is `None`, and the
/// thread that ran it goes on.
fn unwind_to_caller<T>(f: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok()
}

/// Threads for the CPU work of refreshes (decode, parse, normalize,
/// fingerprint), one per core, taking jobs in order.
///
/// Decision: threads of our own, not `spawn_blocking` under a semaphore of
/// one slot per core. Tokio starts a new blocking thread whenever none is
/// idle at the instant of a spawn, and the thread that just finished a
/// parse is not idle yet: the 1,000-feed benchmark spread its parsing over
/// 9 threads on 2 cores, each with allocator caches of its own. Each job
/// holds one feed's document tree, so more at once than cores would only
/// cost memory.
struct CpuPool {
    jobs: Option<std::sync::mpsc::Sender<CpuJob>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

type CpuJob = Box<dyn FnOnce() + Send>;

/// Puts the calling thread in Linux's `SCHED_BATCH` class: it still gets
/// its fair share of a core, but waking up it no longer preempts the
/// thread that is running.
///
/// Decision: for the parsing threads. There are more busy threads than
/// cores in a refresh cycle, and the database writer is the one serial
/// step: each time a parsing thread woke for the next feed it could
/// preempt the writer mid-batch (150 ms of a 1.1 s cycle spent preempted,
/// `perf sched`). In the 1,000-feed cycle: 2-3 % less wall and CPU time
/// (interleaved runs, BENCHMARKS.md session 12). The tokio workers stay as
/// they are: they also answer HTTP requests, whose latency matters more,
/// and batching them as well gained nothing more; nor did batching the
/// checkpoint thread.
fn yield_to_the_writer() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: sets the calling thread's own policy; `param` is valid.
        // A refusal (no such policy) only leaves the default.
        unsafe { libc::sched_setscheduler(0, libc::SCHED_BATCH, &param) };
    }
}

impl CpuPool {
    fn new(threads: usize) -> CpuPool {
        let (tx, rx) = std::sync::mpsc::channel::<CpuJob>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = (0..threads.max(1))
            .map(|i| {
                let rx = rx.clone();
                std::thread::Builder::new()
                    .name(format!("huiju-cpu-{i}"))
                    .spawn(move || {
                        yield_to_the_writer();
                        loop {
                            let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                            let Ok(job) = job else { break };
                            // A panicking job loses only its own result
                            // (its caller sees the reply dropped).
                            unwind_to_caller(job);
                        }
                    })
                    .expect("cannot start the parsing threads")
            })
            .collect();
        CpuPool {
            jobs: Some(tx),
            threads,
        }
    }

    /// Runs `f` on a pool thread; `Err` if it panicked.
    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: CpuJob = Box::new(move || {
            tx.send(f()).ok();
        });
        if let Some(jobs) = &self.jobs {
            jobs.send(job).ok();
        }
        rx.await.map_err(|_| "it panicked (see the log)".to_string())
    }
}

impl Drop for CpuPool {
    fn drop(&mut self) {
        drop(self.jobs.take());
        for t in self.threads.drain(..) {
            t.join().ok();
        }
    }
}

/// What happened to one feed.
#[derive(Debug, Clone)]
pub enum Outcome {
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
        status: Option<u16>,
    },
}

#[derive(Debug, Clone)]
pub struct Report {
    pub url: Url,
    pub outcome: Outcome,
    /// The earliest next poll, and errors in a row, after this one.
    pub plan: Plan,
    /// Time spent fetching (None when no request was made).
    pub fetch_time: Option<Duration>,
}

impl Report {
    fn new(feed: &Feed, outcome: Outcome, plan: Plan, fetch_time: Option<Duration>) -> Report {
        Report {
            url: feed.url.clone(),
            outcome,
            plan,
            fetch_time,
        }
    }

    /// True when the stored items changed (output feeds must be re-rendered).
    pub fn changed(&self) -> bool {
        matches!(self.outcome, Outcome::Stored { counts, .. } if counts.new + counts.updated + counts.linked > 0)
    }
}

/// The host a feed's politeness is counted by (empty for local files).
pub fn host_key(url: &Url) -> &str {
    url.host_str().unwrap_or("")
}

/// Pause between two requests to the same host.
pub const HOST_GAP: Duration = Duration::from_millis(250);

#[derive(Default)]
struct HostSlot {
    permits: Option<Arc<Semaphore>>,
    next_start: Option<Instant>,
}

/// Everything a refresh needs; one per process, shared by all refreshes.
pub struct Refresher {
    pub store: SharedStore,
    writes: Writer,
    /// Parsed refreshes allowed to wait for the write queue at once.
    queued: Semaphore,
    /// Threads that decode, parse and fingerprint feeds: one per core.
    cpu: CpuPool,
    /// The HTTP client and backoff policy; replaced when the config reloads.
    settings: std::sync::RwLock<(Fetcher, Policy)>,
    /// Near-duplicate detection (`[dedup]`), if enabled.
    near: std::sync::RwLock<Option<crate::neardup::Settings>>,
    global: Arc<Semaphore>,
    concurrency: usize,
    per_host: usize,
    hosts: Mutex<HashMap<String, HostSlot>>,
    net: Mutex<NetHealth>,
    holds: Mutex<HostHolds>,
    /// Set at shutdown: refreshes still waiting for the network give up;
    /// one already storing finishes its transaction.
    stopping: tokio::sync::watch::Sender<bool>,
}

/// Permits held for the duration of one request.
struct Permits {
    _host: OwnedSemaphorePermit,
    _global: OwnedSemaphorePermit,
}

impl Refresher {
    /// `concurrency` requests at once in all, `per_host` to one host.
    pub fn new(
        store: SharedStore,
        fetcher: Fetcher,
        policy: Policy,
        concurrency: usize,
        per_host: usize,
    ) -> Refresher {
        Refresher {
            writes: Writer::new(store.clone()),
            store,
            queued: Semaphore::new(concurrency.max(1)),
            cpu: CpuPool::new(std::thread::available_parallelism().map_or(2, usize::from)),
            settings: std::sync::RwLock::new((fetcher, policy)),
            near: std::sync::RwLock::new(None),
            global: Arc::new(Semaphore::new(concurrency.max(1))),
            concurrency: concurrency.max(1),
            per_host: per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
            net: Mutex::new(NetHealth::default()),
            holds: Mutex::new(HostHolds::default()),
            stopping: tokio::sync::watch::channel(false).0,
        }
    }

    /// Makes refreshes waiting for a slot or a response give up.
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// Installs the HTTP client and policy of a reloaded config.
    pub fn set_settings(&self, fetcher: Fetcher, policy: Policy) {
        *self.settings.write().unwrap_or_else(|p| p.into_inner()) = (fetcher, policy);
    }

    /// Turns near-duplicate detection on (with these settings) or off.
    pub fn set_near_dup(&self, near: Option<crate::neardup::Settings>) {
        *self.near.write().unwrap_or_else(|p| p.into_inner()) = near;
    }

    pub fn settings(&self) -> (Fetcher, Policy) {
        self.settings.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Runs a short store call on the writer thread: refreshes queue as
    /// cheap tasks, not as parked threads (1,000 feeds once parked 400
    /// threads and 200 MB behind a long write).
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, String> {
        self.writes.call(f).await?.map_err(|e| anyhow_like(&e))
    }

    /// Waits for a request slot for `host`, keeping [`HOST_GAP`] between
    /// requests to it.
    async fn acquire(&self, host: &str) -> Permits {
        let sem = {
            let mut hosts = self.hosts.lock().expect("hosts lock");
            let slot = hosts.entry(host.to_string()).or_default();
            slot.permits
                .get_or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
                .clone()
        };
        let host_permit = sem.acquire_owned().await.expect("semaphore never closed");
        let global = self
            .global
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore never closed");
        // Local files have no host to be polite to.
        let wait = if host.is_empty() {
            Duration::ZERO
        } else {
            let mut hosts = self.hosts.lock().expect("hosts lock");
            let slot = hosts.entry(host.to_string()).or_default();
            let now = Instant::now();
            let start = slot.next_start.map_or(now, |t| t.max(now));
            slot.next_start = Some(start + HOST_GAP);
            start - now
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        Permits {
            _host: host_permit,
            _global: global,
        }
    }

    /// A queue deciding which refreshes start ([`StartQueue`]): room for
    /// every request slot four times over (refreshes also wait for the
    /// store, and for the gap between requests to their host), and for
    /// each host twice its own slots, so the next refresh of a host is
    /// ready when a request slot frees.
    pub fn start_queue<J>(&self) -> StartQueue<J> {
        StartQueue::new(self.concurrency * 4, self.per_host * 2)
    }

    /// Refreshes every configured feed once, concurrently but politely.
    /// Reports come back in config order.
    pub async fn refresh_all(self: &Arc<Self>, cfg: &Config) -> Vec<Report> {
        let mut queue = self.start_queue();
        let mut tasks = tokio::task::JoinSet::new();
        // Task → feed, to know whose place a task that panicked frees.
        let mut index_of = HashMap::new();
        let start = |tasks: &mut tokio::task::JoinSet<_>, index_of: &mut HashMap<_, _>, i: usize| {
            let (this, feed) = (self.clone(), cfg.feeds[i].clone());
            let task = tasks.spawn(async move { (i, this.refresh(&feed).await) });
            index_of.insert(task.id(), i);
        };
        for (i, feed) in cfg.feeds.iter().enumerate() {
            if let Some(i) = queue.push(host_key(&feed.url), i) {
                start(&mut tasks, &mut index_of, i);
            }
        }
        let mut reports: Vec<(usize, Report)> = Vec::with_capacity(cfg.feeds.len());
        while let Some(r) = tasks.join_next_with_id().await {
            let id = match &r {
                Ok((id, _)) => *id,
                Err(e) => e.id(),
            };
            let i = index_of.remove(&id).expect("every task is indexed");
            if let Some((_, next)) = queue.finish(host_key(&cfg.feeds[i].url)) {
                start(&mut tasks, &mut index_of, next);
            }
            match r {
                Ok((_, r)) => reports.push(r),
                Err(e) => {
                    // A bug: nothing was recorded for the feed, but it is
                    // reported like any failure rather than left out.
                    let error = format!("refresh task failed: {e}");
                    warn!(feed = %cfg.feeds[i].url, "{error}");
                    let plan = Plan {
                        consecutive_errors: 0,
                        next_due: Utc::now(),
                    };
                    let outcome = Outcome::Failed { error, status: None };
                    reports.push((i, Report::new(&cfg.feeds[i], outcome, plan, None)));
                }
            }
        }
        reports.sort_by_key(|(i, _)| *i);
        reports.into_iter().map(|(_, r)| r).collect()
    }

    /// Refreshes one feed. Never fails: errors are recorded and reported.
    pub async fn refresh(&self, feed: &Feed) -> Report {
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
        let report = self.refresh_inner(feed).instrument(span.clone()).await;
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
            Outcome::Failed { error, .. } => {
                warn!(errors_in_a_row = report.plan.consecutive_errors, "{error}")
            }
        }
        report
    }

    async fn refresh_inner(&self, feed: &Feed) -> Report {
        let now = Utc::now();
        let (fetcher, policy) = self.settings();
        let report = |outcome, plan, fetch_time| Report::new(feed, outcome, plan, fetch_time);
        let failed = |error: String| {
            let plan = Plan {
                consecutive_errors: 0,
                next_due: now,
            };
            report(Outcome::Failed { error, status: None }, plan, None)
        };
        let url = feed.url.to_string();
        let state = match self.blocking(move |s| s.feed_state(&url)).await {
            Ok(Some(state)) => state,
            Ok(None) => return failed("feed is not in the database (config not synchronised)".into()),
            Err(error) => return failed(error),
        };
        let skipped = schedule::plan(now, Poll::Skipped, state.consecutive_errors, policy, 0.0);
        let host = host_key(&feed.url).to_string();
        let held = state
            .retry_after
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .into_iter()
            .chain(self.holds.lock().expect("holds lock").held_until(&host, now))
            .filter(|until| *until > now)
            .max();
        if let Some(until) = held {
            let plan = Plan {
                next_due: until,
                ..skipped
            };
            return report(Outcome::Waiting { until }, plan, None);
        }

        let feed_id = state.id;
        let prev = Validators {
            etag: state.etag,
            last_modified: state.last_modified,
        };
        // The permits are kept until the body is parsed and queued for the
        // store, not only while it downloads: at most `concurrency` bodies
        // are downloading or parsing at once, whatever the speed of parsing
        // (see `store_refreshed`).
        let request = async {
            let permits = self.acquire(&host).await;
            let started = Instant::now();
            let fetched = Box::pin(fetcher.fetch(&feed.url, &prev)).await;
            (fetched, Some(started.elapsed()), permits)
        };
        let mut stopping = self.stopping.subscribe();
        let (fetched, fetch_time, permits) = tokio::select! {
            r = request => r,
            _ = stopping.wait_for(|s| *s) => {
                return report(Outcome::Failed { error: "shutting down".into(), status: None }, skipped, None);
            }
        };
        let polled = Polled {
            feed_id,
            errors: state.consecutive_errors,
            policy,
            jitter: fastrand::f64(),
            fetch_time,
        };
        // Boxed, like the request above: a future has room for its largest
        // step from the start, and at the start of a cycle every feed's
        // refresh waits for a request slot. Each waiting refresh held 4.4 KB
        // instead of 1.1 KB; a `fetch` of 20,000 feeds peaked at 160 MB
        // instead of 82 MB (with `Feed::html` boxed too).
        Box::pin(self.handle_response(feed, fetched, fetcher, permits, host, now, polled)).await
    }

    /// What follows a poll's response: record a 304 or an error, or decode,
    /// parse and store the body.
    #[allow(clippy::too_many_arguments)]
    async fn handle_response(
        &self,
        feed: &Feed,
        fetched: Result<Fetched, FetchError>,
        fetcher: Fetcher,
        permits: Permits,
        host: String,
        now: DateTime<Utc>,
        polled: Polled,
    ) -> Report {
        let Polled {
            feed_id,
            errors,
            policy,
            jitter,
            fetch_time,
        } = polled;
        let report = |outcome, plan, fetch_time| Report::new(feed, outcome, plan, fetch_time);
        let body = match fetched {
            Ok(Fetched::NotModified { max_age }) => {
                self.net.lock().expect("net lock").response();
                self.holds
                    .lock()
                    .expect("holds lock")
                    .clear(&host, feed.url.as_str());
                let plan = schedule::plan(
                    now,
                    Poll::Ok {
                        min_interval: max_age,
                    },
                    errors,
                    policy,
                    jitter,
                );
                return match self
                    .blocking(move |s| s.record_not_modified(feed_id, Utc::now(), plan))
                    .await
                {
                    Ok(()) => report(Outcome::NotModified, plan, fetch_time),
                    Err(error) => report(Outcome::Failed { error, status: None }, plan, fetch_time),
                };
            }
            Ok(Fetched::Body(body)) => body,
            Err(e) => {
                let counts = if e.is_connect() {
                    self.net.lock().expect("net lock").connect_failure(&host)
                } else {
                    if e.status().is_some() {
                        self.net.lock().expect("net lock").response();
                    }
                    true
                };
                let longest =
                    now + chrono::Duration::from_std(policy.max_backoff).unwrap_or(chrono::Duration::MAX);
                // 410 Gone: the source says the feed is gone for good. It is
                // still asked again, rarely (at the backoff cap), never dropped.
                let gone = e.status() == Some(410);
                let retry_after = if gone {
                    Some(longest)
                } else {
                    e.retry_after().map(|t| t.min(longest))
                };
                if let Some(until) = retry_after.filter(|_| !gone) {
                    self.holds
                        .lock()
                        .expect("holds lock")
                        .record(&host, feed.url.as_str(), until);
                }
                let plan = schedule::plan(now, Poll::Failed { retry_after, counts }, errors, policy, jitter);
                let mut error = anyhow_like(&e);
                if gone {
                    error = "gone: the source says this feed no longer exists (HTTP 410 Gone); \
                             asked again only rarely"
                        .to_string();
                }
                if !counts {
                    error.push_str(" (the network seems down; not counted against the feed)");
                }
                let status = e.status();
                let msg = error.clone();
                if let Err(db) = self
                    .blocking(move |s| s.record_error(feed_id, status, &msg, retry_after, Utc::now(), plan))
                    .await
                {
                    warn!("could not record the error: {db}");
                }
                return report(Outcome::Failed { error, status }, plan, fetch_time);
            }
        };
        self.net.lock().expect("net lock").response();
        self.holds
            .lock()
            .expect("holds lock")
            .clear(&host, feed.url.as_str());
        if let Some(selectors) = &feed.html {
            // Article pages take request slots of their own: holding this one
            // while waiting for them could deadlock a host's slots.
            drop(permits);
            return self.refresh_html(feed, selectors, &fetcher, body, polled).await;
        }

        let feed = feed.clone();
        let store = self.store.clone();
        let near = *self.near.read().unwrap_or_else(|p| p.into_inner());
        // Decoding, parsing and fingerprinting are CPU work: off the async
        // workers.
        let span = tracing::Span::current();
        let result = self
            .cpu
            .run(move || {
                let _e = span.enter();
                // Fault injection for the tests of a parser bug (no input is
                // known to make the parsers panic); debug builds only.
                #[cfg(debug_assertions)]
                if std::env::var("HUIJU_FAILPOINT_PARSE_PANIC")
                    .is_ok_and(|u| !u.is_empty() && feed.url.as_str().contains(&u))
                {
                    panic!("failpoint HUIJU_FAILPOINT_PARSE_PANIC");
                }
                let decoded = decode::decode(&body.bytes, body.charset.as_deref(), feed.encoding);
                let parsed = parse::parse(&decoded.text, feed.timezone);
                let warnings: Vec<String> =
                    decoded.warnings.iter().chain(&parsed.warnings).cloned().collect();
                for w in &warnings {
                    warn!("{w}");
                }
                let now = Utc::now();
                if parsed.format == parse::Format::Unknown {
                    let error = format!(
                        "not a feed: {}",
                        parsed
                            .warnings
                            .last()
                            .map_or("nothing readable", String::as_str)
                            .trim_start_matches("not a feed: ")
                    );
                    let plan = polled.unreadable(now);
                    store
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .record_error(feed_id, Some(200), &error, None, now, plan)
                        .ok();
                    return Err((error, plan));
                }
                let ttl = parsed.ttl_minutes.map(|m| Duration::from_secs(u64::from(m) * 60));
                let min_interval = ttl.max(body.max_age);
                let plan = schedule::plan(now, Poll::Ok { min_interval }, errors, policy, jitter);
                let mut items = normalize::normalize(&parsed, &body.final_url, &feed.url);
                if near.is_some() {
                    crate::neardup::fingerprint_items(&mut items);
                }
                let meta = SourceMeta {
                    title: parsed.title.clone(),
                    site_link: normalize::site_url(&parsed, &body.final_url).map(String::from),
                    etag: body.validators.etag,
                    last_modified: body.validators.last_modified,
                };
                let job = Refreshed {
                    feed_id,
                    meta,
                    items,
                    now,
                    plan,
                    near,
                };
                Ok((job, warnings.len()))
            })
            .await;
        match result {
            Ok(Ok((job, warnings))) => {
                let plan = job.plan;
                match self.store_refreshed(job, Some(permits)).await {
                    Ok(counts) => report(Outcome::Stored { counts, warnings }, plan, fetch_time),
                    Err(error) => report(
                        Outcome::Failed {
                            error,
                            status: Some(200),
                        },
                        plan,
                        fetch_time,
                    ),
                }
            }
            Ok(Err((error, plan))) => report(
                Outcome::Failed {
                    error,
                    status: Some(200),
                },
                plan,
                fetch_time,
            ),
            Err(e) => {
                // A parser bug (the panic hook printed it): counted like a
                // body that is not a feed, so that the feed backs off and
                // the status page shows it, instead of being asked again
                // at every tick.
                let plan = polled.unreadable(Utc::now());
                let error = format!("refresh task failed: {e}");
                let msg = error.clone();
                if let Err(db) = self
                    .blocking(move |s| s.record_error(feed_id, Some(200), &msg, None, Utc::now(), plan))
                    .await
                {
                    warn!("could not record the error: {db}");
                }
                report(
                    Outcome::Failed {
                        error,
                        status: Some(200),
                    },
                    plan,
                    fetch_time,
                )
            }
        }
    }

    /// Stores a parsed refresh through the write queue. At most
    /// `concurrency` parsed refreshes wait for the store at once, so memory
    /// stays bounded while downloads and parsing go on beside the writes.
    ///
    /// The request slot (`permits`) is handed over for a place in that
    /// queue: at most `concurrency` feeds are downloading or parsing, and
    /// as many more waiting for the store.
    ///
    /// Decision: the slot used to be kept until the items were stored, so
    /// that only `concurrency` feeds were in memory at all. Handed over,
    /// the writer finds more refreshes waiting and commits fewer, larger
    /// batches: in the 1,000-feed benchmark, 2-8 % faster for 6 MB more
    /// peak memory (BENCHMARKS.md, session 7). Twice as many places gained
    /// nothing more.
    async fn store_refreshed(&self, job: Refreshed, permits: Option<Permits>) -> Result<Counts, String> {
        let _place = self.queued.acquire().await.expect("semaphore never closed");
        drop(permits);
        self.writes.store(job).await
    }
}

/// What a poll knows once the page is fetched, for the steps after it.
#[derive(Clone, Copy)]
struct Polled {
    feed_id: i64,
    /// Errors in a row before this poll.
    errors: u32,
    policy: Policy,
    jitter: f64,
    fetch_time: Option<Duration>,
}

impl Polled {
    /// The plan after a body that could not be read as a feed: a failure
    /// that counts, with no Retry-After.
    fn unreadable(&self, now: DateTime<Utc>) -> Plan {
        let failed = Poll::Failed {
            retry_after: None,
            counts: true,
        };
        schedule::plan(now, failed, self.errors, self.policy, self.jitter)
    }
}

/// An item's article page is fetched again on later polls, while its text
/// is missing, for this long after the item was first seen.
pub const ARTICLE_RETRY: Duration = Duration::from_secs(24 * 3600);

/// The HTML source path: list page → items → article pages → store.
impl Refresher {
    async fn refresh_html(
        &self,
        feed: &Feed,
        selectors: &scrape::Selectors,
        fetcher: &Fetcher,
        body: Body,
        p: Polled,
    ) -> Report {
        let report = |outcome, plan| Report::new(feed, outcome, plan, p.fetch_time);
        let failed_plan = |now| {
            schedule::plan(
                now,
                Poll::Failed {
                    retry_after: None,
                    counts: true,
                },
                p.errors,
                p.policy,
                p.jitter,
            )
        };
        // Decoding and reading the page are CPU work: off the async workers.
        let span = tracing::Span::current();
        let (page, forced, tz) = (body.final_url.clone(), feed.encoding, feed.timezone);
        let sel = selectors.clone();
        let bytes = body.bytes;
        let charset = body.charset;
        let read = tokio::task::spawn_blocking(move || {
            let _e = span.enter();
            let decoded = decode::decode_html(&bytes, charset.as_deref(), forced);
            let listing = scrape::list(&decoded.text, &page, &sel, tz, Utc::now());
            for w in decoded.warnings.iter().chain(&listing.feed.warnings) {
                warn!("{w}");
            }
            (decoded.warnings.len() + listing.feed.warnings.len(), listing)
        })
        .await;
        let (mut warnings, mut listing) = match read {
            Ok(r) => r,
            Err(e) => {
                return report(
                    Outcome::Failed {
                        error: format!("refresh task failed: {e}"),
                        status: None,
                    },
                    failed_plan(Utc::now()),
                );
            }
        };
        if let Some(problem) = listing.problem() {
            // The page changed or the selectors are wrong: a feed error (so
            // it shows on the status page); the items stored so far stay.
            let error = format!(
                "no items on {}: {problem} (has the page changed? try `huiju preview`)",
                body.final_url
            );
            let now = Utc::now();
            let plan = failed_plan(now);
            let (feed_id, msg) = (p.feed_id, error.clone());
            if let Err(db) = self
                .blocking(move |s| s.record_error(feed_id, Some(200), &msg, None, now, plan))
                .await
            {
                warn!("could not record the error: {db}");
            }
            return report(
                Outcome::Failed {
                    error,
                    status: Some(200),
                },
                plan,
            );
        }

        let mut items = normalize::normalize(&listing.feed, &body.final_url, &feed.url);
        if let Some(content) = &selectors.content {
            let keys: Vec<String> = items.iter().map(|i| i.key.clone()).collect();
            let feed_id = p.feed_id;
            let known = match self
                .blocking(move |s| {
                    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                    s.known_items(feed_id, &keys)
                })
                .await
            {
                Ok(k) => k,
                Err(error) => {
                    return report(Outcome::Failed { error, status: None }, failed_plan(Utc::now()));
                }
            };
            // New items first, then own items still without text (a failed
            // fetch) from the last day; at most `articles_per_poll`.
            let recent = Utc::now().timestamp() - ARTICLE_RETRY.as_secs() as i64;
            // Only pages of the list page's own site: the content selector
            // was written for its layout.
            let on_site = |i: usize| {
                listing.feed.items[i]
                    .link
                    .as_deref()
                    .and_then(|l| Url::parse(l).ok())
                    .is_some_and(|l| scrape::same_site(&body.final_url, &l))
            };
            let mut wanted: Vec<usize> = (0..items.len())
                .filter(|&i| !known.contains_key(&items[i].key) && on_site(i))
                .collect();
            wanted.extend((0..items.len()).filter(|&i| {
                known
                    .get(&items[i].key)
                    .is_some_and(|k| k.own && k.content.is_none() && k.first_seen >= recent)
                    && on_site(i)
            }));
            wanted.truncate(selectors.articles_per_poll);
            let mut fetched = 0;
            for i in wanted {
                let Some(url) = listing.feed.items[i]
                    .link
                    .as_deref()
                    .and_then(|l| Url::parse(l).ok())
                else {
                    continue;
                };
                let host = host_key(&url).to_string();
                let mut stopping = self.stopping.subscribe();
                let got = tokio::select! {
                    r = async {
                        let _permits = self.acquire(&host).await;
                        fetch_article(fetcher, &url, content, &selectors.remove, forced).await
                    } => r,
                    _ = stopping.wait_for(|s| *s) => break,
                };
                match got {
                    Ok(article) => {
                        fetched += 1;
                        for w in &article.warnings {
                            warnings += 1;
                            warn!("article {url}: {w}; stored with its list summary");
                        }
                        listing.feed.items[i].content = article.content;
                    }
                    Err(e) => {
                        warnings += 1;
                        warn!(
                            "article {url}: {e}; stored with its list summary, tried again on the next polls"
                        );
                    }
                }
            }
            if fetched > 0 {
                info!(articles = fetched, "fetched article pages");
            }
            // Again, now with the articles' text; items already stored keep
            // the text fetched on an earlier poll.
            items = normalize::normalize(&listing.feed, &body.final_url, &feed.url);
            for it in &mut items {
                if let Some(k) = known.get(&it.key)
                    && it.content.is_none()
                {
                    it.set_stored_content(k.content.clone());
                }
            }
        }

        let near = *self.near.read().unwrap_or_else(|p| p.into_inner());
        let meta = SourceMeta {
            title: listing.feed.title.clone(),
            site_link: normalize::site_url(&listing.feed, &body.final_url).map(String::from),
            etag: body.validators.etag,
            last_modified: body.validators.last_modified,
        };
        let plan = schedule::plan(
            Utc::now(),
            Poll::Ok {
                min_interval: body.max_age,
            },
            p.errors,
            p.policy,
            p.jitter,
        );
        let span = tracing::Span::current();
        let fingerprinted = self
            .cpu
            .run(move || {
                let _e = span.enter();
                if near.is_some() {
                    crate::neardup::fingerprint_items(&mut items);
                }
                items
            })
            .await;
        let stored = match fingerprinted {
            Ok(items) => {
                let job = Refreshed {
                    feed_id: p.feed_id,
                    meta,
                    items,
                    now: Utc::now(),
                    plan,
                    near,
                };
                self.store_refreshed(job, None).await
            }
            Err(e) => Err(format!("refresh task failed: {e}")),
        };
        match stored {
            Ok(counts) => report(Outcome::Stored { counts, warnings }, plan),
            Err(error) => report(
                Outcome::Failed {
                    error,
                    status: Some(200),
                },
                plan,
            ),
        }
    }
}

/// Fetches one article page and takes its body out with `content` (minus
/// `remove`). Without politeness: callers hold a request slot for its host.
pub async fn fetch_article(
    fetcher: &Fetcher,
    url: &Url,
    content: &scrape::Sel,
    remove: &[scrape::Sel],
    forced: Option<&'static encoding_rs::Encoding>,
) -> Result<scrape::Article, String> {
    let body = match fetcher.fetch(url, &Validators::default()).await {
        Ok(Fetched::Body(b)) => b,
        Ok(Fetched::NotModified { .. }) => return Err("304 Not Modified to an unconditional request".into()),
        Err(e) => return Err(anyhow_like(&e)),
    };
    let (content, remove) = (content.clone(), remove.to_vec());
    tokio::task::spawn_blocking(move || {
        let decoded = decode::decode_html(&body.bytes, body.charset.as_deref(), forced);
        scrape::article(&decoded.text, &content, &remove)
    })
    .await
    .map_err(|e| format!("article task failed: {e}"))
}

/// Formats an error with its causes, `a: b: c`.
pub fn anyhow_like(e: &dyn std::error::Error) -> String {
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
mod tests {
    use super::*;

    /// A panic on the writer or a parsing thread fails that one call; the
    /// thread goes on serving the others (a daemon that stopped storing
    /// after one bad feed would lose every later poll).
    #[tokio::test]
    async fn a_panic_fails_one_call_and_the_threads_go_on() {
        let dir = tempfile::tempdir().unwrap();
        let store: SharedStore = Arc::new(Mutex::new(Store::open(&dir.path().join("h.db")).unwrap()));
        let writer = Writer::new(store);
        let err = writer.call(|_: &mut Store| -> () { panic!("test panic") }).await;
        assert!(err.unwrap_err().contains("panicked"));
        let feeds = writer
            .call(|s: &mut Store| s.due_times().map(|d| d.len()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(feeds, 0);

        let pool = CpuPool::new(1);
        assert!(pool.run(|| -> u32 { panic!("test panic") }).await.is_err());
        assert_eq!(pool.run(|| 6 * 7).await, Ok(42));
    }

    /// Parsing threads never preempt the database writer when they wake:
    /// they run in `SCHED_BATCH`, while other threads keep the default.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn parsing_threads_run_as_batch_work() {
        // SAFETY: queries the calling thread's own policy.
        let policy = || unsafe { libc::sched_getscheduler(0) };
        let pool = CpuPool::new(2);
        for _ in 0..4 {
            assert_eq!(pool.run(policy).await, Ok(libc::SCHED_BATCH));
        }
        assert_eq!(policy(), libc::SCHED_OTHER);
    }

    /// The checkpoint thread moves what the writer committed into the
    /// database file: a reader of the file alone (`immutable`, blind to
    /// the WAL) sees it, while the writer's own checkpoint (every 8,000
    /// pages) has not run.
    #[tokio::test]
    async fn the_checkpoint_thread_moves_commits_into_the_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        let store: SharedStore = Arc::new(Mutex::new(Store::open(&path).unwrap()));
        let cfg = Config::parse(
            "[storage]\ndatabase = \"h.db\"\n[[category]]\nid = \"c\"\ntitle = \"c\"\n\
             [[feed]]\nurl = \"http://a.example.cn/feed.xml\"\ncategories = [\"c\"]\n",
            &dir.path().join("huiju.toml"),
        )
        .unwrap();
        let in_file = || {
            Store::open_read_only(&path)
                .and_then(|s| s.due_times())
                .map_or(0, |d| d.len())
        };
        let writer = Writer::with_checkpoints(store, 2);
        writer
            .call(move |s: &mut Store| s.sync_config(&cfg))
            .await
            .unwrap()
            .unwrap();
        // Each call is a batch and pokes the thread (a poke that finds the
        // last one not yet taken is dropped, as while it checkpoints).
        let start = std::time::Instant::now();
        while in_file() == 0 && start.elapsed() < Duration::from_secs(10) {
            writer.call(|_: &mut Store| ()).await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(in_file(), 1, "the feed reached the database file");
        drop(writer);
    }
}
