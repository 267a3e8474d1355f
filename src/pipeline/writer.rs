//! The database writer thread: every refresh's items are stored through
//! it, in batches.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::store::{Counts, Refreshed, Store};

use super::{SharedStore, anyhow_like};

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
/// own.)
pub(super) struct Writer {
    queue: Option<std::sync::mpsc::Sender<Write>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The thread that checkpoints the WAL, poked after each batch.
    checkpoints: Option<std::thread::JoinHandle<()>>,
    /// The thread that keeps the search index in step, poked after each
    /// batch, and told to stop between its own batches.
    indexer: Option<(std::thread::JoinHandle<()>, Arc<AtomicBool>)>,
}

/// Items the indexer takes in per transaction.
const INDEX_BATCH: usize = 2000;

/// How long the writer must have been idle before the indexer works, and
/// the longest it waits for that while the writer stays busy.
///
/// Decision: the indexer waits for a pause in the writer's batches. Run
/// beside a 1,000-feed cycle on two cores, even in the idle scheduling
/// class, it made the cycle store its items 13–25 % later; after the
/// cycle it costs the cycle nothing, and searches lag by a second. The
/// cap keeps a daemon that is never idle (many feeds on staggered
/// schedules) from starving the index.
const INDEX_QUIET: std::time::Duration = std::time::Duration::from_secs(1);
const INDEX_MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Starts the search indexer on a store of its own (see `store::search`):
/// once the writer pauses after it starts (a backlog from before, or a
/// deleted index), then after the writer's batches.
fn start_indexer(
    store: Store,
    pokes: std::sync::mpsc::Receiver<()>,
) -> (std::thread::JoinHandle<()>, Arc<AtomicBool>) {
    use std::sync::mpsc::RecvTimeoutError;
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = stop.clone();
    let mut store = store;
    let thread = std::thread::Builder::new()
        .name("huiju-search".into())
        .spawn(move || {
            crate::sys::in_the_background();
            let mut progress = 0;
            'run: loop {
                // A pause in the writer's batches, or the longest wait. The
                // first round runs a second after start, so a backlog (a
                // database from before search, a deleted index file) is
                // indexed even if nothing new is stored.
                let first = std::time::Instant::now();
                loop {
                    match pokes.recv_timeout(INDEX_QUIET) {
                        Ok(()) if first.elapsed() < INDEX_MAX_WAIT => {}
                        Ok(()) | Err(RecvTimeoutError::Timeout) => break,
                        Err(RecvTimeoutError::Disconnected) => break 'run,
                    }
                }
                while !stopping.load(Ordering::Relaxed) {
                    match store.index_search(INDEX_BATCH) {
                        Ok(r) if r.new + r.redone == 0 => break,
                        Ok(r) => {
                            progress += r.new;
                            if r.behind > 20_000 || (progress > 20_000 && r.behind == 0) {
                                tracing::info!(
                                    indexed = progress,
                                    behind = r.behind,
                                    "building the search index"
                                );
                            }
                            if r.behind == 0 {
                                progress = 0;
                            }
                        }
                        Err(e) => {
                            tracing::warn!(
                                "search index not updated: {}; tried again after the next batch",
                                anyhow_like(&e)
                            );
                            break;
                        }
                    }
                }
                if stopping.load(Ordering::Relaxed) || pokes.recv().is_err() {
                    break;
                }
            }
        })
        .expect("cannot start the search indexer thread");
    (thread, stop)
}

/// Batches between checkpoints on the checkpoint thread.
///
/// Decision: the writer used to checkpoint itself (SQLite's automatic
/// checkpoint every 8,000 WAL pages): copying the pages and waiting for two
/// syncs, about a fifth of its time in the 1,000-feed cycle. A second
/// connection on a thread of its own now does it (`PASSIVE`: it never
/// blocks the writer) every 16 batches, about 4,500 pages; the writer's
/// automatic checkpoint stays as the backstop that lets the WAL restart.
/// A checkpoint after every batch cost more CPU, on cores that were busy
/// anyway; 16 batches beat 4 and 8 (BENCHMARKS.md).
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
    Refresh(Box<Refreshed>, tokio::sync::oneshot::Sender<Stored>),
    Call(Box<dyn FnOnce(&mut Store) + Send>),
}

impl Writer {
    /// Starts the writer thread, which writes into `store`.
    pub(super) fn new(store: SharedStore) -> Writer {
        Writer::with_checkpoints(store, CHECKPOINT_EVERY)
    }

    /// A writer whose checkpoint thread checkpoints every `checkpoint_every` batches.
    pub(super) fn with_checkpoints(store: SharedStore, checkpoint_every: usize) -> Writer {
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
        let (index_poke, index_pokes) = std::sync::mpsc::sync_channel::<()>(1);
        let indexer = match store.lock().unwrap_or_else(|p| p.into_inner()).indexer() {
            Ok(s) => Some(start_indexer(s, index_pokes)),
            Err(e) => {
                tracing::warn!("no search indexer: {}", anyhow_like(&e));
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
                                jobs.push(*job);
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
                    index_poke.try_send(()).ok();
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
            indexer,
        }
    }

    fn send(&self, write: Write) {
        if let Some(queue) = &self.queue {
            queue.send(write).ok();
        }
    }

    /// Stores `job`, together with whatever other refreshes are waiting.
    pub(super) async fn store(&self, job: Refreshed) -> Result<Counts, String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(Write::Refresh(Box::new(job), tx));
        rx.await.map_or_else(
            |_| Err("storing failed: the database writer panicked (see the log)".into()),
            |(result, _job, _retired)| result,
        )
    }

    /// Runs `f` on the writer thread, between batches.
    pub(super) async fn call<T: Send + 'static>(
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
        // The writer's end closed the pokes' channels.
        if let Some(thread) = self.checkpoints.take() {
            thread.join().ok();
        }
        // Between two of its batches: a backlog is taken up at the next start.
        if let Some((thread, stop)) = self.indexer.take() {
            stop.store(true, Ordering::Relaxed);
            thread.join().ok();
        }
    }
}

/// Runs `f`; a panic in it (printed by the panic hook) is `None`, and the
/// thread that ran it goes on.
pub(super) fn unwind_to_caller<T>(f: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok()
}
