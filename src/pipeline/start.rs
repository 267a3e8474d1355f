//! Starting refreshes: the one way `huiju fetch` and the daemon run them,
//! through a [`StartQueue`] that keeps hosts taking turns.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::config::Feed;
use crate::schedule::StartQueue;

use super::{Refresher, Report, host_key};

/// What to do with a refresh's report: `None` when it never ran (the
/// queue stopped first).
type Done = Box<dyn FnOnce(Option<Report>) + Send>;

struct Start {
    feed: Feed,
    done: Done,
}

/// Refreshes waiting to start and running, for one refresher.
pub(crate) struct Starts {
    refresher: Arc<Refresher>,
    queue: Mutex<StartQueue<Start>>,
    stopping: AtomicBool,
}

impl Starts {
    /// Room for every request slot four times over (refreshes also wait
    /// for the store, and for the gap between requests to their host), and
    /// for each host twice its own slots (`per_host`, or its `[[host]]`
    /// table's, as the refresher has them when a poll is offered), so the
    /// next refresh of a host is ready when a request slot frees.
    pub(crate) fn new(refresher: Arc<Refresher>, concurrency: usize, per_host: usize) -> Arc<Starts> {
        Arc::new(Starts {
            refresher,
            queue: Mutex::new(StartQueue::new(concurrency.max(1) * 4, per_host.max(1) * 2)),
            stopping: AtomicBool::new(false),
        })
    }

    /// Refreshes `feed` as soon as the queue lets it start; `done` gets
    /// its report, on the refresh's task.
    pub(crate) fn submit(self: &Arc<Self>, feed: Feed, done: impl FnOnce(Option<Report>) + Send + 'static) {
        let start = Start {
            feed,
            done: Box::new(done),
        };
        let now = {
            let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            // Checked under the lock `stop` empties the queue under: a
            // refresh queued after that would never start.
            if self.stopping.load(Ordering::SeqCst) {
                Err(start)
            } else {
                let host = host_key(&start.feed.url).to_string();
                let places = self.refresher.host_slots(&host) * 2;
                Ok(queue.push(&host, places, start))
            }
        };
        match now {
            Ok(Some(start)) => self.start(start),
            Ok(None) => {}
            Err(start) => (start.done)(None),
        }
    }

    /// Runs a refresh the queue let start; when it ends, starts the one
    /// that takes its place.
    fn start(self: &Arc<Self>, start: Start) {
        let this = self.clone();
        tokio::spawn(async move {
            let Start { feed, done } = start;
            let (url, host) = (feed.url.clone(), host_key(&feed.url).to_string());
            // A task of its own: a refresh that panics (a bug) still ends
            // here, reported like any failure, and frees its place.
            let refresher = this.refresher.clone();
            let report = match tokio::spawn(async move { refresher.refresh(&feed).await }).await {
                Ok(report) => report,
                Err(e) => {
                    let error = format!("refresh task failed: {e}");
                    tracing::warn!(feed = %url, "{error}");
                    Report::unfinished(url, error)
                }
            };
            let next = this.queue.lock().unwrap_or_else(|p| p.into_inner()).finish(&host);
            done(Some(report));
            if let Some((_, next)) = next {
                if this.stopping.load(Ordering::SeqCst) {
                    (next.done)(None);
                } else {
                    this.start(next);
                }
            }
        });
    }

    /// No more starts: refreshes waiting to start never will (their `done`
    /// gets `None`); those running go on.
    pub(crate) fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        let waiting = self
            .queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take_waiting();
        for start in waiting {
            (start.done)(None);
        }
    }

    /// Refreshes every source of `feeds` once, concurrently but politely.
    /// Reports come back in the order of `feeds`.
    pub(crate) async fn refresh_all(self: &Arc<Self>, feeds: &[Feed]) -> Vec<Report> {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        for (i, feed) in feeds.iter().enumerate() {
            let tx = tx.clone();
            self.submit(feed.clone(), move |report| {
                tx.send((i, report)).ok();
            });
        }
        drop(tx);
        let mut reports: Vec<Option<Report>> = vec![None; feeds.len()];
        while let Some((i, report)) = rx.recv().await {
            reports[i] = report;
        }
        feeds
            .iter()
            .zip(reports)
            .map(|(feed, r)| {
                r.unwrap_or_else(|| Report::unfinished(feed.url.clone(), "not started: shutting down".into()))
            })
            .collect()
    }
}
