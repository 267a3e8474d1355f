//! `[publish]`: the merged feeds written as files into a folder that nginx
//! or a CDN's origin serves, so that readers' polls need not reach huiju.
//!
//! The bytes are the served ones: each document comes from the server's
//! render cache ([`AppState::document`]), so a published file, `/feeds/…`
//! and `huiju export` agree. A file's mtime is its document's
//! Last-Modified, from which nginx derives its own Last-Modified and ETag
//! (mtime and size): they change only when the document does. Every file
//! is written beside its place, synced and renamed over it, so a reader
//! gets the old document or the new one, never part of one; files whose
//! bytes did not change are left alone, mtime and all.
//!
//! The daemon runs [`start`]: a task that writes again whenever the
//! rendered documents are dropped (a poll changed items, a prune, a rule
//! change, a reload), at most once per `debounce`, retrying a failed pass
//! with backoff. `huiju publish` runs [`once`].

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use chrono::Utc;
use tracing::{Instrument as _, error, info};

use crate::config::{ALL, Config, Publish};
use crate::metrics::Metrics;
use crate::render::Format;
use crate::serve::AppState;
use crate::store::Store;

/// A pass that could not finish; the files it did write are complete.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PublishError {
    #[error("cannot create the folder {}", .path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot rename {} to {}", .from.display(), .to.display())]
    Rename {
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot list {}", .path.display())]
    List {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot remove {}", .path.display())]
    Remove {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot render {file} for {}: {reason}", .dir.display())]
    Render {
        file: String,
        dir: PathBuf,
        reason: String,
    },
}

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Report {
    /// Files written, compressed twins included.
    pub written: usize,
    /// Documents whose file already held their bytes.
    pub unchanged: usize,
    /// Files of categories, formats or twins no longer configured.
    pub removed: usize,
    /// Categories (and `all`) whose documents were written anew.
    pub changed: Vec<String>,
}

/// The longest wait before a failed pass is tried again.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// One document as the server has it.
struct Doc {
    category: String,
    /// Under `feeds/`: `{category}.{ext}`.
    name: String,
    body: Bytes,
    gzip: Option<Bytes>,
    modified: SystemTime,
}

/// Writes every configured document into `p.dir` once, with the documents
/// the server `app` has (or renders now).
pub(crate) async fn pass(app: &Arc<AppState>, cfg: &Config, p: &Publish) -> Result<Report, PublishError> {
    let span = tracing::info_span!("publish", dir = %p.dir.display());
    async {
        let mut docs = Vec::new();
        for category in cfg.categories.iter().map(|c| c.id.as_str()).chain([ALL]) {
            for &format in &p.formats {
                let name = format!("{category}.{}", format.extension());
                let r = app
                    .document(category, format)
                    .await
                    .map_err(|reason| PublishError::Render {
                        file: name.clone(),
                        dir: p.dir.clone(),
                        reason,
                    })?;
                docs.push(Doc {
                    category: category.to_string(),
                    name,
                    body: r.body.clone(),
                    gzip: r.gzip.clone(),
                    modified: r.last_modified.into(),
                });
            }
        }
        let opml = crate::serve::opml_document(cfg);
        let p = p.clone();
        tokio::task::spawn_blocking(move || write_all(&p, &docs, opml.as_bytes()))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    }
    .instrument(span)
    .await
}

/// `huiju publish`: one pass over `store` into `p.dir`.
pub(crate) async fn once(cfg: Arc<Config>, p: &Publish, store: Store) -> Result<Report, PublishError> {
    let app = AppState::new(cfg.clone(), store, Arc::new(Metrics::default()));
    pass(&app, &cfg, p).await
}

/// For `benches/publish.rs`: `passes` publish passes over `cfg`'s
/// database, each after the rendered documents are dropped (as a poll
/// that changed items drops them); with `fresh`, the folder is emptied
/// first, so every file is written. The time of each pass.
#[cfg(feature = "bench")]
pub fn bench_passes(cfg: Config, passes: usize, fresh: bool) -> Vec<Duration> {
    let p = cfg.publish.clone().expect("a [publish] table");
    let store = Store::open(&cfg.database).expect("the database opens");
    let cfg = Arc::new(cfg);
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let app = AppState::new(cfg.clone(), store, Arc::new(Metrics::default()));
    (0..passes)
        .map(|_| {
            if fresh {
                let _ = std::fs::remove_dir_all(&p.dir);
            }
            app.invalidate_all();
            let t = Instant::now();
            rt.block_on(pass(&app, &cfg, &p)).expect("publish pass");
            t.elapsed()
        })
        .collect()
}

/// Runs the daemon's publisher: a pass now, then one after each drop of
/// the rendered documents, while `[publish]` is configured. `published`
/// hears which categories' files changed, once they are in place (WebSub).
pub(crate) fn start(
    app: Arc<AppState>,
    published: impl Fn(&Config, &[String]) + Send + Sync + 'static,
) -> tokio::task::JoinHandle<()> {
    let mut drops = app.drops();
    tokio::spawn(async move {
        let mut due = true;
        let mut last: Option<Instant> = None;
        let mut backoff: Option<Duration> = None;
        loop {
            if !due && drops.changed().await.is_err() {
                return;
            }
            due = false;
            let Some(debounce) = app.config().publish.as_ref().map(|p| p.debounce) else {
                drops.mark_unchanged();
                continue;
            };
            // A burst of polls drops the cache many times: the drops that
            // come while this waits are written by the same pass.
            if let Some(last) = last {
                tokio::time::sleep_until((last + debounce).into()).await;
            }
            drops.mark_unchanged();
            let cfg = app.config();
            let Some(p) = cfg.publish.clone() else { continue };
            let started = Instant::now();
            let result = pass(&app, &cfg, &p).await;
            last = Some(Instant::now());
            let m = &app.metrics;
            match result {
                Ok(r) => {
                    m.publish_passes.inc();
                    m.published_files.inc_by(r.written as u64);
                    m.publish_failing.set(0);
                    m.last_publish.set(Utc::now().timestamp());
                    m.last_publish_seconds.set(started.elapsed().as_secs_f64());
                    backoff = None;
                    if r.written > 0 || r.removed > 0 {
                        info!(
                            dir = %p.dir.display(),
                            written = r.written,
                            unchanged = r.unchanged,
                            removed = r.removed,
                            ms = started.elapsed().as_millis() as u64,
                            "published"
                        );
                    }
                    if !r.changed.is_empty() {
                        published(&cfg, &r.changed);
                    }
                }
                Err(e) => {
                    let wait = backoff.map_or(Duration::from_secs(1), |b| (b * 2).min(MAX_BACKOFF));
                    backoff = Some(wait);
                    let message = crate::pipeline::anyhow_like(&e);
                    error!(
                        retry_in_s = wait.as_secs(),
                        "publish failed; the feeds are still served over HTTP: {message}"
                    );
                    m.publish_errors.inc();
                    m.publish_failing.set(1);
                    *m.publish_error.lock().unwrap_or_else(|p| p.into_inner()) =
                        Some((Utc::now().timestamp(), message));
                    tokio::time::sleep(wait).await;
                    due = true;
                }
            }
        }
    })
}

/// On a blocking thread: the documents, the OPML list and their twins into
/// `p.dir`, then the files no longer configured out of it.
fn write_all(p: &Publish, docs: &[Doc], opml: &[u8]) -> Result<Report, PublishError> {
    let feeds = p.dir.join("feeds");
    std::fs::create_dir_all(&feeds).map_err(|source| PublishError::CreateDir {
        path: feeds.clone(),
        source,
    })?;
    let mut report = Report::default();
    let mut changed = BTreeSet::new();
    for d in docs {
        let path = feeds.join(&d.name);
        if put(p, &path, &d.body, d.gzip.as_ref(), Some(d.modified), &mut report)? {
            changed.insert(d.category.clone());
        }
    }
    put(p, &p.dir.join("opml.xml"), opml, None, None, &mut report)?;
    for (ext, on) in [("gz", p.gzip), ("br", p.brotli)] {
        let path = p.dir.join(format!("opml.xml.{ext}"));
        if !on && path.exists() {
            remove(&path)?;
            report.removed += 1;
        }
    }
    report.removed += remove_stale(p, &feeds, docs)?;
    for dir in [&feeds, &p.dir] {
        // The renames are durable once their folder is synced.
        File::open(dir)
            .and_then(|f| f.sync_all())
            .map_err(|source| PublishError::Write {
                path: dir.clone(),
                source,
            })?;
    }
    report.changed = changed.into_iter().collect();
    Ok(report)
}

/// Writes `body` at `path` and its configured twins, each unless it holds
/// those bytes already; the twins first, so that when the document is in
/// place they are too. Whether the document itself was written.
fn put(
    p: &Publish,
    path: &Path,
    body: &[u8],
    gzip: Option<&Bytes>,
    modified: Option<SystemTime>,
    report: &mut Report,
) -> Result<bool, PublishError> {
    let fresh = !holds(path, body);
    if p.gzip {
        let gz_path = twin(path, "gz");
        let gz = gzip.map_or_else(|| Bytes::from(crate::serve::gzip(body)), Bytes::clone);
        if !holds(&gz_path, &gz) {
            replace(&gz_path, &gz, modified)?;
            report.written += 1;
        }
    }
    if p.brotli {
        // Compressing costs more than comparing: only for a new document
        // or a missing twin.
        let br_path = twin(path, "br");
        if fresh || !br_path.exists() {
            replace(&br_path, &brotli(body), modified)?;
            report.written += 1;
        }
    }
    if fresh {
        replace(path, body, modified)?;
        report.written += 1;
    } else {
        report.unchanged += 1;
    }
    Ok(fresh)
}

fn twin(path: &Path, ext: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

/// Whether the file at `path` holds exactly `bytes`.
fn holds(path: &Path, bytes: &[u8]) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.len() == bytes.len() as u64)
        && std::fs::read(path).is_ok_and(|b| b == bytes)
}

/// Writes a temporary file in `path`'s folder, gives it `modified`, syncs
/// it and renames it over `path`.
fn replace(path: &Path, bytes: &[u8], modified: Option<SystemTime>) -> Result<(), PublishError> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        if let Some(t) = modified {
            f.set_modified(t)?;
        }
        f.sync_all()
    })();
    if let Err(source) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(PublishError::Write { path: tmp, source });
    }
    std::fs::rename(&tmp, path).map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        PublishError::Rename {
            from: tmp.clone(),
            to: path.to_owned(),
            source,
        }
    })
}

fn remove(path: &Path) -> Result<(), PublishError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(PublishError::Remove {
            path: path.to_owned(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// Removes from `feeds` the documents (and twins) of categories and
/// formats no longer published, and temporary files that a process which
/// is gone left behind. Other files are not huiju's and stay.
fn remove_stale(p: &Publish, feeds: &Path, docs: &[Doc]) -> Result<usize, PublishError> {
    let wanted: BTreeSet<&str> = docs.iter().map(|d| d.name.as_str()).collect();
    let list = std::fs::read_dir(feeds).map_err(|source| PublishError::List {
        path: feeds.to_owned(),
        source,
    })?;
    let mut removed = 0;
    for entry in list.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let stale = if let Some(rest) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) {
            rest.rsplit_once('.')
                .and_then(|(_, pid)| pid.parse::<i32>().ok())
                .is_some_and(|pid| pid != std::process::id() as i32 && !alive(pid))
        } else {
            let (doc, twin) = match name.rsplit_once('.') {
                Some((doc, "gz")) => (doc, Some(p.gzip)),
                Some((doc, "br")) => (doc, Some(p.brotli)),
                _ => (name.as_str(), None),
            };
            let ours = doc
                .rsplit_once('.')
                .is_some_and(|(_, ext)| Format::ALL.iter().any(|f| f.extension() == ext));
            ours && (!wanted.contains(doc) || twin == Some(false))
        };
        if stale {
            remove(&entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Whether process `pid` exists (signal 0 checks without sending).
fn alive(pid: i32) -> bool {
    // SAFETY: kill with signal 0 sends nothing; it only checks the pid.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// The brotli twin: quality 9 (11 takes tenths of a second per feed).
fn brotli(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() / 4);
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 64 * 1024, 9, 22);
        w.write_all(body).expect("writing to memory");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(dir: &Path) -> Publish {
        Publish {
            dir: dir.to_owned(),
            formats: vec![Format::Rss, Format::Atom],
            gzip: true,
            brotli: true,
            debounce: Duration::ZERO,
        }
    }

    fn doc(category: &str, ext: &str, body: &str, at: i64) -> Doc {
        Doc {
            category: category.to_string(),
            name: format!("{category}.{ext}"),
            body: Bytes::from(body.to_string()),
            gzip: None,
            modified: SystemTime::UNIX_EPOCH + Duration::from_secs(at as u64),
        }
    }

    fn mtime(path: &Path) -> SystemTime {
        std::fs::metadata(path).unwrap().modified().unwrap()
    }

    fn unzip(bytes: &[u8]) -> String {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(bytes), &mut s).unwrap();
        s
    }

    fn unbrotli(bytes: &[u8]) -> String {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut brotli::Decompressor::new(bytes, 4096), &mut s).unwrap();
        s
    }

    /// Files and twins hold the document with its time; an unchanged
    /// document is not written again; a category gone from the config
    /// goes, other files stay.
    #[test]
    fn writes_changed_documents_and_removes_stale_ones() {
        let dir = tempfile::tempdir().unwrap();
        let p = settings(dir.path());
        let feeds = dir.path().join("feeds");
        let docs = vec![
            doc("a", "rss", "<rss>a</rss>", 1_700_000_000),
            doc("all", "rss", "<rss>all</rss>", 1_700_000_100),
        ];
        let r = write_all(&p, &docs, b"<opml/>").unwrap();
        // Each of three files with two twins.
        assert_eq!((r.written, r.unchanged, r.removed), (9, 0, 0));
        assert_eq!(r.changed, vec!["a".to_string(), "all".to_string()]);
        let a = feeds.join("a.rss");
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "<rss>a</rss>");
        assert_eq!(
            unzip(&std::fs::read(feeds.join("a.rss.gz")).unwrap()),
            "<rss>a</rss>"
        );
        assert_eq!(
            unbrotli(&std::fs::read(feeds.join("a.rss.br")).unwrap()),
            "<rss>a</rss>"
        );
        assert_eq!(mtime(&a), docs[0].modified);
        assert_eq!(mtime(&feeds.join("a.rss.gz")), docs[0].modified);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("opml.xml")).unwrap(),
            "<opml/>"
        );

        std::fs::write(feeds.join("notes.txt"), "mine").unwrap();
        std::fs::write(feeds.join("gone.atom"), "old").unwrap();
        std::fs::write(feeds.join("gone.atom.gz"), "old").unwrap();
        // Left by a process that no longer exists (pid_max is below 2^22).
        std::fs::write(feeds.join(".a.rss.4999999.tmp"), "half").unwrap();
        let again = vec![
            doc("a", "rss", "<rss>a</rss>", 1_800_000_000),
            doc("all", "rss", "<rss>all, changed</rss>", 1_700_000_200),
        ];
        let r = write_all(&p, &again, b"<opml/>").unwrap();
        assert_eq!((r.written, r.unchanged, r.removed), (3, 2, 3), "{r:?}");
        assert_eq!(r.changed, vec!["all".to_string()]);
        assert_eq!(mtime(&a), docs[0].modified, "unchanged bytes keep their time");
        assert_eq!(mtime(&feeds.join("all.rss")), again[1].modified);
        let mut left: Vec<String> = std::fs::read_dir(&feeds)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "a.rss",
                "a.rss.br",
                "a.rss.gz",
                "all.rss",
                "all.rss.br",
                "all.rss.gz",
                "notes.txt"
            ]
        );

        // Twins turned off go too.
        let plain = Publish {
            gzip: false,
            brotli: false,
            ..p
        };
        let r = write_all(&plain, &again, b"<opml/>").unwrap();
        assert_eq!((r.written, r.removed), (0, 6), "{r:?}");
        assert!(!dir.path().join("opml.xml.gz").exists());
    }

    /// A file where the feeds folder should be: the error names the path.
    #[test]
    fn an_unwritable_folder_names_the_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("feeds"), "in the way").unwrap();
        let e = write_all(&settings(dir.path()), &[doc("a", "rss", "x", 0)], b"").unwrap_err();
        let feeds = dir.path().join("feeds");
        assert!(
            crate::pipeline::anyhow_like(&e)
                .starts_with(&format!("cannot create the folder {}: ", feeds.display())),
            "{}",
            crate::pipeline::anyhow_like(&e)
        );
    }
}
