//! The parsing threads: the CPU work of refreshes, off the async workers.

use std::sync::{Arc, Mutex};

use super::writer::unwind_to_caller;

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
pub(super) struct CpuPool {
    jobs: Option<std::sync::mpsc::Sender<CpuJob>>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

type CpuJob = Box<dyn FnOnce() + Send>;

impl CpuPool {
    pub(super) fn new(threads: usize) -> CpuPool {
        let (tx, rx) = std::sync::mpsc::channel::<CpuJob>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = (0..threads.max(1))
            .map(|i| {
                let rx = rx.clone();
                std::thread::Builder::new()
                    .name(format!("huiju-cpu-{i}"))
                    .spawn(move || {
                        crate::sys::yield_to_the_writer();
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
    pub(super) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, String> {
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
