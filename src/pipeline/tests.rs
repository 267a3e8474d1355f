use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::SharedStore;
use super::cpu::CpuPool;
use super::writer::Writer;
use crate::config::Config;
use crate::store::Store;

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
