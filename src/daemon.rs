//! `huiju run`: the long-running service. It serves HTTP from the moment it
//! starts, polls feeds on their cron schedules, reloads its config on SIGHUP
//! or when the file changes, and talks to systemd (READY, RELOADING,
//! STOPPING, watchdog).
//!
//! [`run`] takes the shutdown signal as a future so tests can drive it
//! (like mini-redis's `server::run`).

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sd_notify::NotifyState;
use tokio::sync::{Notify, mpsc};
use tokio_cron_scheduler::{Job, JobScheduler};
use tracing::{error, info, warn};
use uuid::Uuid;

use crate::config::{ALL, Config, ConfigError, Feed, Retention};
use crate::metrics::Metrics;
use crate::pipeline::{Refresher, Report, Starts, anyhow_like};
use crate::serve::{self, AppState};
use crate::store::{PruneReport, Reroute, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub(crate) enum DaemonError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the scheduler: {0}")]
    Scheduler(String),
}

/// Freed memory is given back to the system at most this often.
const TRIM_INTERVAL: Duration = Duration::from_secs(60);

/// How long shutdown waits for refreshes in progress to finish.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(8);

/// Polls feeds: decides who is due, never runs two polls of one feed at once.
struct Poller {
    refresher: Arc<Refresher>,
    app: Arc<AppState>,
    /// URLs of feeds being polled (or waiting for a slot) right now.
    inflight: Mutex<HashSet<String>>,
    /// Starts polls, and holds those waiting for a place to start.
    starts: Arc<Starts>,
    /// Earliest next poll per feed URL (backoff, TTL, Retry-After).
    due: Mutex<HashMap<String, DateTime<Utc>>>,
    idle: Notify,
    stopping: AtomicBool,
    /// When freed memory was last given back to the system (see
    /// [`crate::sys::release_free_memory`]).
    trimmed: Mutex<Option<std::time::Instant>>,
}

impl Poller {
    /// Polls every feed of the current config on `schedule` that is due.
    fn tick(self: &Arc<Self>, schedule: &str) {
        let cfg = self.app.config();
        for feed in cfg.feeds.iter().filter(|f| f.schedule == schedule) {
            self.poll_if_due(feed.clone());
        }
    }

    fn poll_if_due(self: &Arc<Self>, feed: Feed) {
        if self.stopping.load(Ordering::SeqCst) {
            return;
        }
        let url = feed.url.to_string();
        let due = self.due.lock().expect("due lock").get(&url).copied();
        if due.is_some_and(|d| d > Utc::now()) {
            return;
        }
        // A poll of this feed still running (a slow source, or a queue for
        // its host) makes this tick skip it: work never piles up.
        if !self.inflight.lock().expect("inflight lock").insert(url) {
            return;
        }
        let this = self.clone();
        let (url, categories) = (feed.url.to_string(), feed.categories.clone());
        self.starts
            .submit(feed, move |report| this.finished(&url, &categories, report));
    }

    /// A poll ended (`None`: it will not run, being stopped first).
    fn finished(&self, url: &str, categories: &[String], report: Option<Report>) {
        if let Some(report) = report {
            if !self.stopping.load(Ordering::SeqCst) {
                self.app.metrics.record(&report);
            }
            self.due
                .lock()
                .expect("due lock")
                .insert(url.to_string(), report.plan.next_due);
            if report.changed() {
                // An item's change shows in every category that carries it,
                // through any feed: drop every rendered document.
                self.app.invalidate_all();
                self.announce(categories);
            }
        }
        self.done(url);
    }

    /// A feed's poll ended, or will not run: once none is left, the burst
    /// is over.
    fn done(&self, url: &str) {
        let mut inflight = self.inflight.lock().unwrap_or_else(|e| e.into_inner());
        inflight.remove(url);
        if inflight.is_empty() {
            self.idle.notify_waiters();
            drop(inflight);
            self.after_burst();
        }
    }

    /// At shutdown: no new polls, and those waiting to start never will.
    fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.starts.stop();
    }

    /// Once no poll is running: gives the memory the burst freed back to
    /// the system, at most once a minute (it takes a few milliseconds).
    fn after_burst(&self) {
        // Not at shutdown: a poll may end as the runtime shuts down, where
        // nothing can be spawned any more.
        if self.stopping.load(Ordering::SeqCst) {
            return;
        }
        let now = std::time::Instant::now();
        {
            let mut last = self.trimmed.lock().expect("trimmed lock");
            if last.is_some_and(|t| now.duration_since(t) < TRIM_INTERVAL) {
                return;
            }
            *last = Some(now);
        }
        tokio::task::spawn_blocking(crate::sys::release_free_memory);
    }

    /// WebSub: tells the hub which category feeds changed, unless the
    /// publisher does, once their files are in place.
    fn announce(&self, categories: &[String]) {
        let cfg = self.app.config();
        if cfg.publish.is_none() {
            let categories = categories.iter().map(String::as_str).chain([ALL]);
            websub_publish(&cfg, &self.refresher, categories);
        }
    }

    /// Waits until no poll is running, at most `limit`.
    async fn drain(&self, limit: Duration) -> bool {
        let wait = async {
            loop {
                let notified = self.idle.notified();
                if self.inflight.lock().expect("inflight lock").is_empty() {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }
}

/// Tells the WebSub hub, if one is configured, that `categories`' feeds
/// changed, in every format.
fn websub_publish<'a>(cfg: &Config, refresher: &Refresher, categories: impl Iterator<Item = &'a str>) {
    let Some(hub) = cfg.server.websub_hub.clone() else {
        return;
    };
    let mut topics = Vec::new();
    for c in categories {
        for f in crate::render::Format::ALL {
            topics.push(format!("{}/feeds/{c}.{}", cfg.server.base_url, f.extension()));
        }
    }
    let fetcher = refresher.live().fetcher.clone();
    tokio::spawn(async move {
        if let Err(e) = fetcher.websub_publish(&hub, &topics).await {
            warn!(hub = %hub, "WebSub publish failed: {e}");
        }
    });
}

/// Prunes what `[retention]` lets go, on its schedule (see `store::prune`).
struct Pruner {
    /// The writer's store: its lock is taken per batch, so refreshes are
    /// stored between batches, and its near-duplicate index learns of the
    /// prune.
    store: Arc<Mutex<Store>>,
    app: Arc<AppState>,
    /// A prune still running makes the next tick skip.
    running: AtomicBool,
}

impl Pruner {
    async fn tick(self: Arc<Self>) {
        if self.running.swap(true, Ordering::SeqCst) {
            return;
        }
        let cfg = self.app.config();
        let started = std::time::Instant::now();
        let this = self.clone();
        let pruned = tokio::task::spawn_blocking(move || this.prune(&cfg.database, &cfg.retention)).await;
        self.running.store(false, Ordering::SeqCst);
        match pruned {
            Ok(Ok(r)) => {
                let took = started.elapsed();
                self.app.metrics.pruned_items.inc_by(r.items as u64);
                self.app.metrics.last_prune.set(Utc::now().timestamp());
                self.app.metrics.last_prune_seconds.set(took.as_secs_f64());
                if r.items > 0 {
                    self.app.invalidate_all();
                }
                info!(
                    items = r.items,
                    feeds = r.feeds.len(),
                    tombstones = r.tombstones,
                    tombstones_expired = r.tombstones_expired,
                    batches = r.batches,
                    ms = took.as_millis() as u64,
                    "pruned"
                );
            }
            Ok(Err(e)) => error!("prune failed: {}", anyhow_like(&e)),
            Err(e) => error!("prune failed: {e}"),
        }
    }

    /// On a blocking thread.
    fn prune(&self, db: &Path, retention: &Retention) -> Result<PruneReport, StoreError> {
        // Decision: planned on a connection of its own, without the
        // writer's lock: the plan reads every old item, which may take a
        // second on a large database, and polls would wait for it.
        let mut planner = Store::open(db)?;
        let mut plan = planner.prune_plan(retention, Utc::now(), false)?;
        let lock = || self.store.lock().unwrap_or_else(|p| p.into_inner());
        // The log (what polls and the steps wrote) is copied into the file
        // before each step, outside the writer's lock, so that the writer's
        // own automatic checkpoint (every 8,000 pages) never falls inside a
        // step: on a 2 GB database it made one batch in about ten take
        // 60–240 ms instead of 15.
        let checkpoints = planner.checkpointer()?;
        while {
            checkpoints.passive()?;
            lock().prune_step(&mut plan)?
        } {}
        let mut report = lock().prune_finish(plan)?;
        if report.changed() {
            // The same for the pages given back.
            let started = std::time::Instant::now();
            while {
                checkpoints.passive()?;
                lock().free_pages_step()?
            } {}
            checkpoints.truncate()?;
            report.give_back = started.elapsed();
        }
        Ok(report)
    }
}

/// Applies the rules to the stored items again whenever a config changes
/// them (see `store::routes`), batch by batch under the writer's lock.
struct Rerouter {
    store: Arc<Mutex<Store>>,
    app: Arc<AppState>,
    /// Bumped by each config: a reroute for an older one stops.
    generation: AtomicU64,
}

impl Rerouter {
    /// Starts applying `cfg`'s rules, if the stored items were routed by
    /// others; returns at once.
    fn start(self: &Arc<Self>, cfg: Arc<Config>) {
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let this = self.clone();
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let app = this.app.clone();
            match tokio::task::spawn_blocking(move || this.run(&cfg, generation)).await {
                Ok(Ok(Some(r))) => {
                    app.invalidate_all();
                    info!(
                        pairs = r.pairs,
                        changed = r.changed,
                        ms = started.elapsed().as_millis() as u64,
                        "rules applied to the stored items"
                    );
                }
                Ok(Ok(None)) => {}
                Ok(Err(e)) => error!(
                    "cannot apply the rules to the stored items: {}; feeds show them as routed before",
                    anyhow_like(&e)
                ),
                Err(e) => error!("cannot apply the rules to the stored items: {e}"),
            }
        });
    }

    /// On a blocking thread. `None`: nothing to do, or a newer config
    /// took over.
    fn run(&self, cfg: &Config, generation: u64) -> Result<Option<Reroute>, StoreError> {
        let lock = || self.store.lock().unwrap_or_else(|p| p.into_inner());
        let key = cfg.routes_key();
        if lock().routes_key()? == Some(key) {
            return Ok(None);
        }
        let mut progress = Reroute::default();
        let mut logged = 0;
        while !progress.done {
            if self.generation.load(Ordering::SeqCst) != generation {
                return Ok(None);
            }
            lock().reroute_step(&cfg.rules, key, &mut progress)?;
            if progress.pairs >= logged + 100_000 {
                logged = progress.pairs;
                info!(
                    pairs = progress.pairs,
                    changed = progress.changed,
                    "applying the rules to the stored items"
                );
            }
        }
        Ok(Some(progress))
    }
}

/// Cron jobs, one per distinct schedule expression.
struct Jobs {
    scheduler: JobScheduler,
    /// (expression, zone it is read in) → job.
    by_schedule: HashMap<(String, chrono_tz::Tz), Uuid>,
    pruner: Arc<Pruner>,
    rerouter: Arc<Rerouter>,
    /// The prune job, by its schedule and zone.
    prune: Option<((String, chrono_tz::Tz), Uuid)>,
}

impl Jobs {
    async fn sync(&mut self, cfg: &Config, poller: &Arc<Poller>) -> Result<(), DaemonError> {
        let tz = cfg.fetch.timezone;
        let wanted: HashSet<(String, chrono_tz::Tz)> =
            cfg.feeds.iter().map(|f| (f.schedule.clone(), tz)).collect();
        let gone: Vec<(String, chrono_tz::Tz)> = self
            .by_schedule
            .keys()
            .filter(|k| !wanted.contains(*k))
            .cloned()
            .collect();
        for key in gone {
            if let Some(id) = self.by_schedule.remove(&key)
                && let Err(e) = self.scheduler.remove(&id).await
            {
                warn!(schedule = key.0, "cannot remove cron job: {e}");
            }
        }
        for key in wanted {
            if self.by_schedule.contains_key(&key) {
                continue;
            }
            let s = key.0.clone();
            let (p, sched) = (poller.clone(), s.clone());
            let job = Job::new_async_tz(s.as_str(), tz, move |_, _| {
                let (p, sched) = (p.clone(), sched.clone());
                Box::pin(async move { p.tick(&sched) })
            })
            .map_err(|e| DaemonError::Scheduler(format!("schedule '{s}': {e}")))?;
            let id = self
                .scheduler
                .add(job)
                .await
                .map_err(|e| DaemonError::Scheduler(e.to_string()))?;
            self.by_schedule.insert(key, id);
        }
        self.sync_prune(cfg).await
    }

    /// The prune job follows `[retention] schedule`.
    async fn sync_prune(&mut self, cfg: &Config) -> Result<(), DaemonError> {
        let key = (cfg.retention.schedule.clone(), cfg.fetch.timezone);
        if self.prune.as_ref().is_some_and(|(k, _)| *k == key) {
            return Ok(());
        }
        if let Some((old, id)) = self.prune.take()
            && let Err(e) = self.scheduler.remove(&id).await
        {
            warn!(schedule = old.0, "cannot remove the prune job: {e}");
        }
        let pruner = self.pruner.clone();
        let job = Job::new_async_tz(key.0.as_str(), key.1, move |_, _| Box::pin(pruner.clone().tick()))
            .map_err(|e| DaemonError::Scheduler(format!("retention schedule '{}': {e}", key.0)))?;
        let id = self
            .scheduler
            .add(job)
            .await
            .map_err(|e| DaemonError::Scheduler(e.to_string()))?;
        self.prune = Some((key, id));
        Ok(())
    }
}

fn notify(states: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(states) {
        warn!("cannot notify systemd: {e}");
    }
}

/// Runs the daemon on the config at `config_path` until `shutdown` completes.
/// Logs a warning when the database's clusters were made by an earlier
/// near-duplicate rule, which merged template news it should not have.
async fn warn_if_clusters_predate_rule(store: &Arc<Mutex<Store>>) {
    let store = store.clone();
    let old = tokio::task::spawn_blocking(move || store.lock().expect("store lock").clusters_predate_rule())
        .await
        .expect("a query does not panic");
    if let Ok(true) = old {
        warn!("{}", crate::store::RECLUSTER_HINT);
    }
}

pub(crate) async fn run(config_path: PathBuf, shutdown: impl Future<Output = ()>) -> Result<(), DaemonError> {
    let cfg = Arc::new(Config::load(&config_path)?);
    let db = cfg.database.clone();
    let (writer, reader) = tokio::task::spawn_blocking(move || -> Result<_, StoreError> {
        Ok((Store::open(&db)?, Store::open(&db)?))
    })
    .await
    .expect("opening the database does not panic")?;
    let listener = tokio::net::TcpListener::bind(&cfg.server.listen)
        .await
        .map_err(|source| DaemonError::Bind {
            addr: cfg.server.listen.clone(),
            source,
        })?;
    let addr: SocketAddr = listener.local_addr().map_err(|source| DaemonError::Bind {
        addr: cfg.server.listen.clone(),
        source,
    })?;
    let metrics = Arc::new(Metrics::default());
    let app = AppState::new(cfg.clone(), reader, metrics);
    let store = Arc::new(Mutex::new(writer));
    {
        let (store, cfg) = (store.clone(), cfg.clone());
        tokio::task::spawn_blocking(move || store.lock().expect("store lock").sync_config(&cfg))
            .await
            .expect("sync does not panic")?;
    }

    // Serve from now on: no source, however slow, delays the server.
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let router = serve::router(app.clone());
    let server = tokio::spawn(async move {
        let stopped = async move {
            let _ = stop_rx.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, router)
            .with_graceful_shutdown(stopped)
            .await
        {
            error!("HTTP server failed: {e}");
        }
    });
    info!(%addr, config = %config_path.display(), feeds = cfg.feeds.len(), "huiju is running");
    warn_if_clusters_predate_rule(&store).await;

    let refresher = Arc::new(Refresher::new(store.clone(), &cfg));
    let due = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || store.lock().expect("store lock").due_times())
            .await
            .expect("query does not panic")?
    };
    let poller = Arc::new(Poller {
        refresher: refresher.clone(),
        app: app.clone(),
        inflight: Mutex::new(HashSet::new()),
        starts: Starts::new(refresher.clone(), cfg.fetch.concurrency, cfg.fetch.per_host),
        due: Mutex::new(
            due.into_iter()
                .filter_map(|(u, t)| Some((u, DateTime::from_timestamp(t, 0)?)))
                .collect(),
        ),
        idle: Notify::new(),
        stopping: AtomicBool::new(false),
        trimmed: Mutex::new(None),
    });
    let scheduler = JobScheduler::new()
        .await
        .map_err(|e| DaemonError::Scheduler(e.to_string()))?;
    let mut jobs = Jobs {
        scheduler,
        by_schedule: HashMap::new(),
        pruner: Arc::new(Pruner {
            store: store.clone(),
            app: app.clone(),
            running: AtomicBool::new(false),
        }),
        rerouter: Arc::new(Rerouter {
            store: store.clone(),
            app: app.clone(),
            generation: AtomicU64::new(0),
        }),
        prune: None,
    };
    // Writes `[publish]`'s folder now and whenever a document may have
    // changed, off the polls' and the server's way.
    let publisher = {
        let refresher = refresher.clone();
        crate::publish::start(app.clone(), move |cfg, categories| {
            websub_publish(cfg, &refresher, categories.iter().map(String::as_str));
        })
    };
    jobs.rerouter.start(cfg.clone());
    jobs.sync(&cfg, &poller).await?;
    jobs.scheduler
        .start()
        .await
        .map_err(|e| DaemonError::Scheduler(e.to_string()))?;
    notify(&[NotifyState::Ready]);
    start_watchdog(app.clone());
    // Feeds never polled, or due already, start now rather than at the next tick.
    for feed in &cfg.feeds {
        poller.poll_if_due(feed.clone());
    }

    let mut reloads = reload_triggers(&config_path);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(why) = reloads.recv() => {
                reload(&config_path, &why, &app, &store, &refresher, &poller, &mut jobs).await;
            }
        }
    }

    info!("shutting down: no new polls; letting running ones finish");
    notify(&[NotifyState::Stopping]);
    poller.stop();
    refresher.stop();
    // A pass cut short leaves complete files (each is renamed into place).
    publisher.abort();
    if let Err(e) = jobs.scheduler.shutdown().await {
        warn!("scheduler shutdown: {e}");
    }
    let _ = stop_tx.send(true);
    if !poller.drain(DRAIN_TIMEOUT).await {
        warn!(
            "some refreshes were still running after {} s; their transactions roll back",
            DRAIN_TIMEOUT.as_secs()
        );
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), server).await;
    info!("stopped");
    Ok(())
}

/// Applies a new config, or keeps the running one if the new one is invalid.
async fn reload(
    path: &Path,
    why: &str,
    app: &Arc<AppState>,
    store: &Arc<Mutex<Store>>,
    refresher: &Arc<Refresher>,
    poller: &Arc<Poller>,
    jobs: &mut Jobs,
) {
    let mut states = vec![NotifyState::Reloading];
    if let Ok(now) = NotifyState::monotonic_usec_now() {
        states.push(now);
    }
    notify(&states);
    let old = app.config();
    match Config::load(path) {
        Err(e) => error!(
            "config reload ({why}) failed; keeping the running config: {}",
            anyhow_like(&e)
        ),
        Ok(new) => {
            if new.server.listen != old.server.listen
                || new.database != old.database
                || (new.fetch.concurrency, new.fetch.per_host) != (old.fetch.concurrency, old.fetch.per_host)
            {
                warn!("listen, database, concurrency and per_host take effect after a restart");
            }
            let new = Arc::new(new);
            let synced = {
                let (store, new) = (store.clone(), new.clone());
                tokio::task::spawn_blocking(move || store.lock().expect("store lock").sync_config(&new)).await
            };
            match synced {
                Ok(Ok(())) => {
                    app.set_config(new.clone());
                    refresher.reload(&new);
                    jobs.rerouter.start(new.clone());
                    if let Err(e) = jobs.sync(&new, poller).await {
                        error!("cannot update the cron jobs: {e}");
                    }
                    let known: HashSet<&str> = old.feeds.iter().map(|f| f.url.as_str()).collect();
                    let added: Vec<&Feed> = new
                        .feeds
                        .iter()
                        .filter(|f| !known.contains(f.url.as_str()))
                        .collect();
                    info!(
                        why,
                        feeds = new.feeds.len(),
                        added = added.len(),
                        removed = old.feeds.len() + added.len() - new.feeds.len(),
                        "config reloaded"
                    );
                    for f in added {
                        poller.poll_if_due(f.clone());
                    }
                }
                Ok(Err(e)) => {
                    error!(
                        "config reload ({why}) failed; keeping the running config: {}",
                        anyhow_like(&e)
                    )
                }
                Err(e) => error!("config reload ({why}) failed: {e}"),
            }
        }
    }
    notify(&[NotifyState::Ready]);
}

/// SIGHUP, and changes to the config file (its folder is watched, because
/// editors replace files by rename), as a stream of reasons.
fn reload_triggers(path: &Path) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel(8);
    let hup_tx = tx.clone();
    tokio::spawn(async move {
        let mut hup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            Ok(s) => s,
            Err(e) => return error!("cannot listen for SIGHUP: {e}"),
        };
        while hup.recv().await.is_some() {
            if hup_tx.send("SIGHUP".to_string()).await.is_err() {
                return;
            }
        }
    });
    let file = path.file_name().map(|f| f.to_os_string());
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let (fs_tx, mut fs_rx) = mpsc::unbounded_channel::<()>();
    let watcher = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
        let Ok(ev) = ev else { return };
        if matches!(ev.kind, notify::EventKind::Access(_)) {
            return;
        }
        if ev
            .paths
            .iter()
            .any(|p| p.file_name().map(|f| f.to_os_string()) == file)
        {
            let _ = fs_tx.send(());
        }
    });
    match watcher {
        Ok(mut w) => {
            use notify::Watcher;
            if let Err(e) = w.watch(&dir, notify::RecursiveMode::NonRecursive) {
                warn!(
                    "cannot watch {} for config changes (SIGHUP still reloads): {e}",
                    dir.display()
                );
            }
            tokio::spawn(async move {
                let _keep = w;
                while fs_rx.recv().await.is_some() {
                    // An editor's save is several events: wait for quiet.
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    while fs_rx.try_recv().is_ok() {}
                    if tx.send("config file changed".to_string()).await.is_err() {
                        return;
                    }
                }
            });
        }
        Err(e) => warn!("cannot watch the config file (SIGHUP still reloads): {e}"),
    }
    rx
}

/// Pings systemd's watchdog at half its interval, only while the database answers.
fn start_watchdog(app: Arc<AppState>) {
    let Some(interval) = sd_notify::watchdog_enabled() else {
        return;
    };
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval / 2);
        loop {
            tick.tick().await;
            match app.ping().await {
                Ok(()) => notify(&[NotifyState::Watchdog]),
                Err(e) => warn!("database not answering; withholding the watchdog ping: {e}"),
            }
        }
    });
}
