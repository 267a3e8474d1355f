//! Process tuning: the few calls huiju makes to the C library about its
//! own process and threads. Each is a hint the system may refuse; a
//! refusal leaves the default and says so in the log.

/// Limits glibc's malloc arenas to one for each thread that allocates
/// much: 2 × cores + 6.
///
/// glibc gives each thread that allocates its own arena (up to 8 per core)
/// and keeps freed memory in each. huiju's threads are the async workers
/// and the parsing threads (one each per core), the main thread, the
/// database writer, its checkpointer and search indexer, and, in the
/// daemon, a blocking thread or two: 2 × cores + 6 gives each its own.
/// `MALLOC_ARENA_MAX` in the environment still decides when set.
///
/// Decision: no fewer. Past the limit, threads share arenas, and a thread
/// waits whenever the one it shares with holds the arena's lock. With
/// cores + 2 (4 on two cores) the writer, the one serial step of a
/// refresh cycle, shared an arena with a busy thread and went to sleep on
/// its lock some 2,600 times in the 1,000-feed cycle (`perf` sched
/// switches); with its own, 4 times, and the cycle stored its items
/// about a tenth sooner, for a megabyte more at its peak (BENCHMARKS.md). Far
/// fewer than glibc's default, which had transient threads each keep an
/// arena of their own (21 MB more at the peak of a cycle, when parsing
/// ran on tokio's blocking threads).
///
/// Call first thing in `main`, before other threads exist.
pub(crate) fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        let arenas = 2 * std::thread::available_parallelism().map_or(2, usize::from) + 6;
        // SAFETY: mallopt only sets an allocator parameter, before other
        // threads exist (see above).
        let ok = unsafe { libc::mallopt(libc::M_ARENA_MAX, i32::try_from(arenas).unwrap_or(i32::MAX)) };
        if ok != 1 {
            // Logging is not set up yet: straight to stderr.
            eprintln!("huiju: note: could not limit malloc arenas to {arenas}; glibc's default stays");
        }
    }
}

/// Gives free heap pages back to the system.
///
/// glibc keeps what a burst of polls freed (bodies, parsed items,
/// fingerprints) in its arenas, so the idle daemon stayed as large as the
/// burst's peak: after a 1,000-feed cycle 56 MB resident instead of 47 MB,
/// after 15,000 feeds 110 MB instead of 93 MB. 2-3 ms each time.
pub(crate) fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the kernel; any
    // thread may call it at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// What this process has used so far: CPU time (user and system, all
/// threads) and its peak resident memory.
pub(crate) struct Usage {
    pub(crate) cpu: std::time::Duration,
    pub(crate) peak_rss_bytes: u64,
}

/// [`Usage`] now. `huiju fetch` reports it beside the wall time: on a
/// shared machine the wall time of the same work varies by a sixth from
/// hour to hour.
pub(crate) fn usage() -> Option<Usage> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: getrusage fills the zeroed struct it is given.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
            return None;
        }
        let secs = |t: libc::timeval| -> Option<std::time::Duration> {
            Some(std::time::Duration::new(
                u64::try_from(t.tv_sec).ok()?,
                u32::try_from(t.tv_usec).ok()? * 1000,
            ))
        };
        Some(Usage {
            cpu: secs(ru.ru_utime)? + secs(ru.ru_stime)?,
            // Linux counts it in kilobytes.
            peak_rss_bytes: u64::try_from(ru.ru_maxrss).ok()? * 1024,
        })
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// Puts the calling thread in Linux's `SCHED_BATCH` class: it still gets
/// its fair share of a core, but waking up it no longer preempts the
/// thread that is running.
///
/// Decision: for the parsing threads only. There are more busy threads
/// than cores in a refresh cycle, and the database writer is the one
/// serial step: each time a parsing thread woke for the next feed it could
/// preempt the writer mid-batch (150 ms of a 1.1 s cycle, `perf sched`).
/// Batched, the 1,000-feed cycle took 2-3 % less wall and CPU time. The
/// tokio workers stay as they are: they also answer HTTP requests, whose
/// latency matters more, and batching them too gained nothing. The
/// systemd unit allows `sched_setscheduler` for this one call (its
/// exposure score goes from 1.1 to 1.2); `RestrictRealtime=` still
/// forbids the real-time classes.
pub(crate) fn yield_to_the_writer() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: sets the calling thread's own policy; `param` is valid.
        let rc = unsafe { libc::sched_setscheduler(0, libc::SCHED_BATCH, &param) };
        if rc != 0 {
            let e = std::io::Error::last_os_error();
            tracing::info!(
                "parsing thread stays in the default scheduling class: sched_setscheduler(SCHED_BATCH): {e}"
            );
        }
    }
}

/// Puts the calling thread in the idle scheduling class (`SCHED_IDLE`):
/// for work that may lag, such as the search indexer, which then runs only
/// on CPU time the parsing threads and the writer leave.
///
/// Decision: `SCHED_IDLE`, not nice 10. At nice 10 the indexer still took
/// a share of the cores during a 1,000-feed cycle and stored items ~30 %
/// later; idle, it waits for the cycle to end (BENCHMARKS.md, "Search").
pub(crate) fn in_the_background() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: sets the calling thread's own policy; `param` is valid.
        let rc = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) };
        if rc != 0 {
            let e = std::io::Error::last_os_error();
            tracing::info!(
                "search indexer stays in the default scheduling class: sched_setscheduler(SCHED_IDLE): {e}"
            );
        }
    }
}
