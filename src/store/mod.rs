//! SQLite storage. The only module that knows SQL.
//!
//! rusqlite is blocking: async code never calls it on an async worker and
//! never holds a [`Store`] across an `.await`. Refreshes write through the
//! pipeline's writer thread; the HTTP server reads on blocking tasks.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension, named_params, params};
use rusqlite_migration::{M, Migrations};
use url::Url;

use crate::config::{ALL, Config};
use crate::ingest::normalize::Item;
use crate::ingest::parse::Enclosure;
use crate::neardup;
use crate::neardup::band_index::{self, BandIndex};
use crate::schedule::Plan;

mod backup;
mod near;
mod prune;
mod queries;
mod recluster;
mod routes;
mod search;

pub use backup::*;
use near::*;
pub use prune::*;
pub use queries::*;
pub use routes::{FeedRoute, Reroute, RouteChange, RulesTest, TestFeed};
pub use search::{Indexed, search_path};

/// What to tell a user whose clusters an earlier rule made.
pub const RECLUSTER_HINT: &str = "the stored clusters were made by an earlier near-duplicate rule, which merged \
     distinct template reports; run `huiju recluster --dry-run` to see what it would split, then `huiju recluster`";

/// Schema migrations, applied in order at open; the version is kept in
/// `PRAGMA user_version`.
fn migrations() -> Vec<M<'static>> {
    vec![
        M::up(include_str!("../../migrations/0001_init.sql")),
        M::up(include_str!("../../migrations/0002_clusters.sql")),
        M::up_with_hook(
            include_str!("../../migrations/0003_prints.sql"),
            move_lsh_to_prints,
        ),
        M::up(include_str!("../../migrations/0004_lean_indexes.sql")),
        M::up(include_str!("../../migrations/0005_no_item_keys_index.sql")),
        M::up(include_str!("../../migrations/0006_items_sort_on_time.sql")),
        M::up(include_str!("../../migrations/0007_dedup_rule.sql")),
        M::up(include_str!("../../migrations/0008_retention.sql")),
        M::up(include_str!("../../migrations/0009_item_routes.sql")),
        M::up(include_str!("../../migrations/0010_search.sql")),
        M::up(include_str!("../../migrations/0011_tombstone_expiry.sql")),
        M::up(include_str!("../../migrations/0012_routes_sort.sql")),
    ]
}

/// Migration 3: one `prints` row per item from its `lsh` rows, then no `lsh`.
fn move_lsh_to_prints(tx: &rusqlite::Transaction) -> rusqlite_migration::HookResult {
    let mut by_item: std::collections::BTreeMap<i64, (i64, Vec<u32>)> = Default::default();
    {
        let mut stmt = tx.prepare("SELECT item_id, t, band FROM lsh")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let e = by_item.entry(r.get(0)?).or_insert((r.get(1)?, Vec::new()));
            e.1.push(r.get::<_, i64>(2)? as u32);
        }
        let mut put = tx.prepare("INSERT INTO prints (item_id, t, keys) VALUES (?1, ?2, ?3)")?;
        for (id, (t, keys)) in by_item {
            put.execute(params![id, t, band_index::keys_to_blob(&keys)])?;
        }
    }
    tx.execute_batch("DROP TABLE lsh")?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {path}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot bring database {path} to the current schema")]
    Migrate {
        path: PathBuf,
        #[source]
        source: rusqlite_migration::Error,
    },
    #[error("cannot create the folder for database {path}")]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("database query failed")]
    Sql(#[from] rusqlite::Error),
    /// A write failed (disk full, read-only file system …); the transaction
    /// rolled back and nothing was half-stored.
    #[error("cannot write to database {path}; nothing was stored")]
    Write {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
}

pub struct Store {
    conn: Connection,
    /// The database file, for messages.
    path: PathBuf,
    /// Near-duplicate lookup table of recent items, built from `prints` at
    /// first use; dropped (and rebuilt) when a write rolls back.
    index: NearIndex,
    /// Fingerprints of the items stored last, across batches; dropped with
    /// `index` when a write rolls back.
    recent: RecentPrints,
}

/// One feed's successful refresh, ready to store.
pub struct Refreshed {
    pub feed_id: i64,
    pub meta: SourceMeta,
    pub items: Vec<Item>,
    /// The items' near-duplicate prints, in the same order; empty when
    /// near-duplicate detection is off.
    pub prints: Vec<neardup::Print>,
    pub now: DateTime<Utc>,
    pub plan: Plan,
    /// Near-duplicate detection settings, if enabled.
    pub near: Option<neardup::Settings>,
    /// The rules and the feed as they see it; `None` when the config has
    /// no rules (every item is in its feeds' categories).
    pub route: Option<FeedRoute>,
}

/// What the last polls of a feed left behind.
#[derive(Debug, Clone, Default)]
pub struct FeedState {
    pub id: i64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Unix seconds before which the source asked not to be polled.
    pub retry_after: Option<i64>,
    pub consecutive_errors: u32,
}

/// What one successful refresh did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Of the unchanged, those this feed carries for the first time.
    pub linked: usize,
    /// Of the new, those found to be a copy of a story already stored.
    pub clustered: usize,
}

/// An item already stored, as [`Store::known_items`] reports it.
#[derive(Debug, Clone)]
pub struct Known {
    /// The stored (sanitized) content, if it has any.
    pub content: Option<String>,
    /// Unix seconds.
    pub first_seen: i64,
    /// True when the asking feed brought it first (and so may update it).
    pub own: bool,
}

/// The source's own description of itself, and its HTTP validators.
#[derive(Debug, Clone, Default)]
pub struct SourceMeta {
    pub title: Option<String>,
    pub site_link: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// Whether any item was ever pruned (and may come back): asked once per
/// batch, inside its transaction, so that a prune by another process
/// counts from the next batch on.
///
/// Decision: the tombstone lookup of every new item is skipped while there
/// are none. That lookup made storing the 1,000-feed cycle's 50,000 new
/// items several per cent slower on a database never pruned.
fn any_tombstones(tx: &Connection) -> Result<bool, StoreError> {
    Ok(tx.query_row("SELECT EXISTS (SELECT 1 FROM tombstones)", [], |r| r.get(0))?)
}

/// What a batch's refreshes need to know of the store as it starts.
#[derive(Debug, Clone, Copy)]
struct Before {
    /// Whether tombstones exist ([`any_tombstones`]).
    buried: bool,
    /// The highest item id the search index has taken in: an item stored
    /// with an id at or below it (the id of a deleted item, reused) is
    /// marked for the indexer, which would skip it.
    search_upto: i64,
}

impl Before {
    fn read(tx: &Connection) -> Result<Before, StoreError> {
        Ok(Before {
            buried: any_tombstones(tx)?,
            search_upto: search::indexed_upto(tx)?,
        })
    }
}

/// Stores one refresh (the body of [`Store::apply_refreshes`] per job).
fn apply_one(
    tx: &Connection,
    index: &mut NearIndex,
    recent: &mut RecentPrints,
    job: &Refreshed,
    before: Before,
) -> Result<Counts, StoreError> {
    let buried = before.buried;
    let Refreshed {
        feed_id,
        ref meta,
        ref items,
        ref prints,
        now,
        plan,
        near,
        ref route,
    } = *job;
    let near = near.as_ref();
    let feed_ref = route
        .as_ref()
        .map(|r| r.rules.feed(&r.url, r.title.as_deref(), &r.categories));
    let routes = route.as_ref().zip(feed_ref.as_ref());
    let now_s = now.timestamp();
    let mut counts = Counts::default();
    {
        let mut by_key = tx.prepare_cached("SELECT item_id FROM item_keys WHERE key = ?1")?;
        let mut origin_of = tx.prepare_cached("SELECT origin_feed, content_hash FROM items WHERE id = ?1")?;
        let mut add_key =
            tx.prepare_cached("INSERT OR IGNORE INTO item_keys (key, item_id) VALUES (?1, ?2)")?;
        let mut add_feed = tx.prepare_cached(
            "INSERT OR IGNORE INTO item_feeds (item_id, feed_id, last_seen) VALUES (?1, ?2, ?3)",
        )?;
        // Every listed item is marked seen by this fetch: what its source
        // still lists is never pruned (see `prune`).
        let mut seen =
            tx.prepare_cached("UPDATE item_feeds SET last_seen = ?3 WHERE item_id = ?1 AND feed_id = ?2")?;
        let mut tombstone = tx.prepare_cached("SELECT 1 FROM tombstones WHERE key = ?1")?;
        // Positional parameters and no RETURNING: the insert runs for every
        // new item in the one writing thread, and binding by name looked up
        // each of the 14 names in turn (5 % of that thread's time).
        let mut insert = tx.prepare_cached(
            "INSERT INTO items (origin_feed, guid, link, title, summary, content, author, categories,
                                    enclosures, published, published_off, first_seen, sort_time, content_hash,
                                    cluster_id, cluster_sim)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, COALESCE(?10, ?12), ?13, ?14, ?15)",
        )?;
        let mut update = tx.prepare_cached(
                "UPDATE items SET link = :link, title = :title, summary = :summary, content = :content,
                        author = :author, categories = :categories, enclosures = :enclosures,
                        published = COALESCE(:published, published), published_off = COALESCE(:off, published_off),
                        sort_time = COALESCE(:published, published, first_seen), modified = :now,
                        content_hash = :hash
                 WHERE id = :id",
            )?;
        for (i, it) in items.iter().enumerate() {
            let mut existing: Option<i64> = by_key.query_row([&it.key], |r| r.get(0)).optional()?;
            if existing.is_none()
                && let Some(lk) = &it.link_key
                && let Some(id) = by_key.query_row([lk], |r| r.get::<_, i64>(0)).optional()?
            {
                // Same link, different identity: the same article from
                // another feed, unless this feed itself uses one link for
                // several items (then they are distinct items).
                let (origin, _): (i64, i64) = origin_of.query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
                if origin != feed_id {
                    existing = Some(id);
                }
            }
            let published = it.published.map(|d| d.timestamp());
            let offset = it.published.map(|d| d.offset().local_minus_utc());
            let categories = serde_json::to_string(&it.categories).expect("strings serialize");
            let enclosures = serde_json::to_string(&it.enclosures).expect("enclosures serialize");
            match existing {
                Some(id) => {
                    add_key.execute(params![it.key, id])?;
                    if let Some(lk) = &it.link_key {
                        add_key.execute(params![lk, id])?;
                    }
                    let linked = add_feed.execute(params![id, feed_id, now_s])? > 0;
                    if linked {
                        // Already stored, but new to this feed: it now
                        // shows in this feed's categories too.
                        counts.linked += 1;
                    } else {
                        seen.execute(params![id, feed_id, now_s])?;
                    }
                    let (origin, hash): (i64, i64) =
                        origin_of.query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
                    // Only the feed an item came from may change it, so two
                    // feeds carrying slightly different copies don't flip it
                    // back and forth on every poll.
                    let updated = origin == feed_id && hash != it.content_hash;
                    if updated {
                        update.execute(named_params! {
                            ":link": it.link, ":title": it.title, ":summary": it.summary, ":content": it.content,
                            ":author": it.author, ":categories": categories, ":enclosures": enclosures,
                            ":published": published, ":off": offset, ":now": now_s, ":hash": it.content_hash,
                            ":id": id,
                        })?;
                        search::mark_dirty(tx, id)?;
                        counts.updated += 1;
                    } else {
                        counts.unchanged += 1;
                    }
                    // A pair the rules have not seen, or an item that
                    // changed: routed by what it says now.
                    if let Some((route, feed)) = routes
                        && (linked || updated)
                    {
                        routes::route_stored(tx, route, feed, id, feed_id, None)?;
                    }
                }
                // Pruned before: its source listed it again (it had dropped
                // it, or it was kept only by a feed since removed). Not new
                // to readers, who saw it once: counted as unchanged.
                //
                // Decision: only the identity key is looked up, as a live
                // item is. A tombstoned link key would also hold back new
                // items of a feed that gives several items one link.
                None if buried && tombstone.exists([&it.key])? => counts.unchanged += 1,
                None => {
                    let t = published.unwrap_or(now_s);
                    let near = near.zip(prints.get(i));
                    let (joined, among_similar) = match near {
                        Some((settings, print)) => near_cluster(
                            tx,
                            index,
                            t,
                            &print.fingerprint,
                            &print.bands,
                            settings,
                            now_s,
                            recent,
                        )?,
                        None => (None, false),
                    };
                    insert.execute(params![
                        feed_id,
                        it.guid,
                        it.link,
                        it.title,
                        it.summary,
                        it.content,
                        it.author,
                        categories,
                        enclosures,
                        published,
                        offset,
                        now_s,
                        it.content_hash,
                        joined.map(|(cluster, _)| cluster),
                        joined.map(|(_, score)| score)
                    ])?;
                    let id = tx.last_insert_rowid();
                    add_key.execute(params![it.key, id])?;
                    if let Some(lk) = &it.link_key {
                        add_key.execute(params![lk, id])?;
                    }
                    add_feed.execute(params![id, feed_id, now_s])?;
                    if id <= before.search_upto {
                        search::mark_dirty(tx, id)?;
                    }
                    if let Some((route, feed)) = routes {
                        routes::route_stored(tx, route, feed, id, feed_id, Some((it, now_s)))?;
                    }
                    counts.new += 1;
                    if let Some((cluster, _)) = joined {
                        elect_representative(tx, cluster)?;
                        counts.clustered += 1;
                    }
                    if let Some((_, print)) = near {
                        let fp = &print.fingerprint;
                        index_bands(tx, index, id, t, &print.bands)?;
                        // Decision: counted, and sketched, only when the item
                        // had candidates itself. Items of template news all do:
                        // their shared text is what the counts are for, and
                        // they are compared again and again. An item of text
                        // like no other (most news) would count only shingles
                        // no other item has, which weigh fully uncounted too,
                        // and is a candidate only for its rare copies, which
                        // may read its text. Counting and sketching every
                        // item was 6 % of the writer's time and 8 MB of a
                        // 50,000-item cycle of such news.
                        if among_similar {
                            if let Some(df) = &mut index.df {
                                df.add(fp);
                            }
                            index.add_sketch(id, t, fp);
                        }
                        recent.add(id, fp);
                    }
                }
            }
        }
    }
    tx.prepare_cached(
        "UPDATE feeds SET source_title = ?2, site_link = ?3, etag = ?4, last_modified = ?5,
                    last_attempt = ?6, last_success = ?6, last_status = 200, consecutive_errors = 0,
                    last_error = NULL, retry_after = NULL, next_due = ?7, last_listed = ?6
             WHERE id = ?1",
    )?
    .execute(params![
        feed_id,
        meta.title,
        meta.site_link,
        meta.etag,
        meta.last_modified,
        now_s,
        plan.next_due.timestamp()
    ])?;
    Ok(counts)
}

/// Checkpoints on a connection of their own, so that a thread other than
/// the writer copies the WAL into the database file and waits for its
/// syncs (see `pipeline::writer::Writer`).
pub struct Checkpointer {
    conn: Connection,
}

impl Checkpointer {
    /// Copies what the WAL holds into the database file, without waiting
    /// for (or blocking) the writer and readers (`PASSIVE`); returns the
    /// pages the log held since it last started over. Once all are copied,
    /// the next write starts the log over.
    pub fn passive(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))?)
    }

    /// Copies the whole WAL into the database file and empties it
    /// (`TRUNCATE`): waits for the writer of the moment to commit, and
    /// keeps the next one waiting while it copies.
    pub fn truncate(&self) -> Result<(), StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }
}

impl Store {
    /// Opens (creating if needed) the database and migrates it.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder {
                path: path.to_owned(),
                source,
            })?;
        }
        let open_err = |source| StoreError::Open {
            path: path.to_owned(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(open_err)?;
        // A new database gives pages freed by `prune` back to the file
        // system (`PRAGMA incremental_vacuum` after each prune); this can
        // only be chosen before the first table exists, and before WAL.
        let tables: i64 = conn
            .query_row("SELECT COUNT(*) FROM sqlite_schema", [], |r| r.get(0))
            .map_err(open_err)?;
        if tables == 0 {
            conn.execute_batch("PRAGMA auto_vacuum = INCREMENTAL")
                .map_err(open_err)?;
        }
        // No mmap: near-duplicate lookups are answered in memory now, and
        // mapped pages would count in the daemon's RSS as the file grows.
        // temp_store in memory: savepoints (a batch stored again after a
        // failure) and statement journals keep changed pages in a journal
        // that otherwise goes to a temporary file (17 % of storing time in
        // pwrite when every refresh had a savepoint). Checkpoints every
        // 8,000 pages (32 MB of WAL) instead of 1,000: each one syncs, and
        // a 50,000-item cycle ran 10 % faster. Changed pages stay in memory
        // up to 2,000 (8 MB) in a transaction, beyond the cache's 2 MB of
        // pages read: SQLite otherwise writes changed pages to the WAL
        // before the commit once the cache is full, and a page changed again
        // afterwards is written twice (a third of the WAL of a 50,000-item
        // cycle, BENCHMARKS.md).
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
             PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 8000; PRAGMA cache_spill = 2000;",
        )
        .map_err(open_err)?;
        // The write path alone caches about 20 statements (rusqlite keeps 16).
        conn.set_prepared_statement_cache_capacity(64);
        Migrations::new(migrations())
            .to_latest(&mut conn)
            .map_err(|source| StoreError::Migrate {
                path: path.to_owned(),
                source,
            })?;
        search::attach(&conn, path).map_err(|source| StoreError::Open {
            path: search::search_path(path),
            source,
        })?;
        Ok(Store::on(conn, path))
    }

    /// A store on an open connection to the database at `path`.
    fn on(conn: Connection, path: &Path) -> Store {
        Store {
            conn,
            path: path.to_owned(),
            index: NearIndex::default(),
            recent: RecentPrints::default(),
        }
    }

    /// Names the database in errors of writes.
    fn writing<T>(&self, r: Result<T, StoreError>) -> Result<T, StoreError> {
        r.map_err(|e| self.write_error(e))
    }

    fn write_error(&self, e: StoreError) -> StoreError {
        match e {
            StoreError::Sql(source) => StoreError::Write {
                path: self.path.clone(),
                source,
            },
            other => other,
        }
    }

    /// Fingerprints of recent items the store no longer keeps, for the
    /// caller to free off the writing thread.
    pub fn take_retired(&mut self) -> Vec<Arc<neardup::Fingerprint>> {
        std::mem::take(&mut self.recent.retired)
    }

    /// A second connection to this database that only moves the WAL into
    /// the database file (see [`Checkpointer`]).
    pub fn checkpointer(&self) -> Result<Checkpointer, StoreError> {
        let open_err = |source| StoreError::Open {
            path: self.path.clone(),
            source,
        };
        let conn = Connection::open(&self.path).map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(open_err)?;
        Ok(Checkpointer { conn })
    }

    /// A store of its own on this database, for the search indexer.
    pub fn indexer(&self) -> Result<Store, StoreError> {
        Store::open(&self.path)
    }

    /// Opens an existing database for reading only, as it is (no
    /// migrations, no WAL files): for a read-only or full disk.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        use rusqlite::OpenFlags;
        let uri = format!("file:{}?immutable=1", path.display());
        let conn =
            Connection::open_with_flags(uri, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI)
                .map_err(|source| StoreError::Open {
                path: path.to_owned(),
                source,
            })?;
        let index = format!("file:{}?immutable=1", search::search_path(path).display());
        if conn.execute("ATTACH DATABASE ?1 AS search", [&index]).is_err() {
            search::attach_empty(&conn).map_err(|source| StoreError::Open {
                path: path.to_owned(),
                source,
            })?;
        }
        Ok(Store::on(conn, path))
    }

    /// Makes the feeds table and category membership match the config.
    pub fn sync_config(&mut self, cfg: &Config) -> Result<(), StoreError> {
        let r = self.sync_config_inner(cfg, Utc::now());
        self.writing(r)
    }

    /// [`Store::sync_config`] as of `now`, the time a feed leaving the
    /// config is stamped with (for a simulated clock, `benches/year.rs`).
    #[cfg(feature = "bench")]
    pub fn sync_config_at(&mut self, cfg: &Config, now: DateTime<Utc>) -> Result<(), StoreError> {
        let r = self.sync_config_inner(cfg, now);
        self.writing(r)
    }

    /// Stores one successful refresh of `feed_id` in a single transaction.
    #[cfg(test)]
    pub fn apply_refresh(
        &mut self,
        feed_id: i64,
        meta: &SourceMeta,
        items: &[Item],
        now: DateTime<Utc>,
        plan: Plan,
        near: Option<&neardup::Settings>,
    ) -> Result<Counts, StoreError> {
        let job = Refreshed {
            feed_id,
            meta: meta.clone(),
            items: items.to_vec(),
            prints: near.map_or_else(Vec::new, |_| neardup::print_items(items)),
            now,
            plan,
            near: near.copied(),
            route: None,
        };
        self.apply_refreshes(std::slice::from_ref(&job))?
            .pop()
            .expect("one result per job")
    }

    /// Stores several refreshes in one transaction (group commit: one WAL
    /// write and sync for many feeds); if one fails, the batch is stored
    /// again with a savepoint per refresh, so that it rolls back only
    /// itself. The outer error is a failure of the whole transaction, in
    /// which nothing was stored.
    pub fn apply_refreshes(
        &mut self,
        jobs: &[Refreshed],
    ) -> Result<Vec<Result<Counts, StoreError>>, StoreError> {
        // What a caller left untaken since the last batch (the writer takes
        // them after each): at most one batch's worth is ever held.
        //
        // Decision: not a cap mid-batch. A batch of more than 512 new
        // items overflowed one, and the writer freed them itself (2 % of
        // its time).
        self.recent.retired.clear();
        let r = self.apply_refreshes_inner(jobs);
        if r.as_ref().map_or(true, |rs| rs.iter().any(Result::is_err)) {
            self.forget_unsaved();
        }
        if !std::mem::take(&mut self.index.past_used) {
            self.index.past = None;
        }
        r.map(|rs| {
            rs.into_iter()
                .map(|r| r.map_err(|e| self.write_error(e)))
                .collect()
        })
        .map_err(|e| self.write_error(e))
    }

    fn apply_refreshes_inner(
        &mut self,
        jobs: &[Refreshed],
    ) -> Result<Vec<Result<Counts, StoreError>>, StoreError> {
        // Optimistic first: the whole batch in one transaction without
        // savepoints. A savepoint copies every page it first changes into an
        // in-memory journal; that was 11 % of a cycle's CPU, all of it in
        // the one thread that writes. Jobs almost never fail, and when one
        // does, the batch is rolled back and stored again with a savepoint
        // per job, so that the failure still costs only that job.
        match self.apply_all_or_nothing(jobs) {
            Ok(counts) => return Ok(counts.into_iter().map(Ok).collect()),
            Err(_) => self.forget_unsaved(),
        }
        self.apply_each_under_savepoint(jobs)
    }

    /// Drops what memory holds of the stored items: after a rollback, it may
    /// hold items that are not in the database.
    fn forget_unsaved(&mut self) {
        self.index = NearIndex::default();
        self.recent = RecentPrints::default();
    }

    /// Stores every job or none.
    fn apply_all_or_nothing(&mut self, jobs: &[Refreshed]) -> Result<Vec<Counts>, StoreError> {
        let Store {
            conn, index, recent, ..
        } = self;
        let tx = conn.transaction()?;
        let before = Before::read(&tx)?;
        let counts = jobs
            .iter()
            .map(|job| apply_one(&tx, index, recent, job, before))
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit()?;
        Ok(counts)
    }

    /// Stores each job under its own savepoint: a failing job rolls back only itself.
    fn apply_each_under_savepoint(
        &mut self,
        jobs: &[Refreshed],
    ) -> Result<Vec<Result<Counts, StoreError>>, StoreError> {
        let Store {
            conn, index, recent, ..
        } = self;
        let mut tx = conn.transaction()?;
        let before = Before::read(&tx)?;
        let mut results = Vec::with_capacity(jobs.len());
        for job in jobs {
            let sp = tx.savepoint()?;
            match apply_one(&sp, index, recent, job, before) {
                Ok(counts) => {
                    sp.commit()?;
                    results.push(Ok(counts));
                }
                // SQLite rolls the whole transaction back on some errors (a
                // full disk): then every job of the batch failed, for this
                // reason.
                Err(e) if sp.is_autocommit() => return Err(e),
                Err(e) => results.push(Err(e)),
            }
        }
        tx.commit()?;
        Ok(results)
    }

    /// Records a 304: nothing about the items changes.
    pub fn record_not_modified(
        &mut self,
        feed_id: i64,
        now: DateTime<Utc>,
        plan: Plan,
    ) -> Result<(), StoreError> {
        let r = self.record_not_modified_inner(feed_id, now, plan);
        self.writing(r)
    }

    /// Records a failed refresh; `retry_after` is when the source allows the next try.
    pub fn record_error(
        &mut self,
        feed_id: i64,
        status: Option<u16>,
        error: &str,
        retry_after: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        plan: Plan,
    ) -> Result<(), StoreError> {
        let r = self.record_error_inner(feed_id, status, error, retry_after, now, plan);
        self.writing(r)
    }

    /// The body of [`Store::sync_config`], whose errors name the database.
    fn sync_config_inner(&mut self, cfg: &Config, now: DateTime<Utc>) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        // A feed leaving the config is stamped once; one coming back is not
        // removed any more.
        tx.execute(
            "UPDATE feeds SET active = 0,
                 removed_at = CASE WHEN active = 1 THEN ?1 ELSE removed_at END",
            [now.timestamp()],
        )?;
        tx.execute("DELETE FROM feed_categories", [])?;
        {
            // Prepared once, not per feed: 15,000 feeds made 30,000
            // prepares (5 % of an all-304 cycle's CPU), at every reload too.
            let mut upsert = tx.prepare(
                "INSERT INTO feeds (url, title, active, priority) VALUES (?1, ?2, 1, ?3)
                 ON CONFLICT(url) DO UPDATE SET title = excluded.title, active = 1, priority = excluded.priority,
                     removed_at = NULL
                 RETURNING id",
            )?;
            let mut categorize =
                tx.prepare("INSERT OR IGNORE INTO feed_categories (category, feed_id) VALUES (?1, ?2)")?;
            for f in &cfg.feeds {
                let id: i64 = upsert.query_row(params![f.url.as_str(), f.title, f.priority], |r| r.get(0))?;
                for c in &f.categories {
                    categorize.execute(params![c, id])?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn feed_state(&self, url: &str) -> Result<Option<FeedState>, StoreError> {
        // Cached: every refresh asks, on the writer thread.
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, etag, last_modified, retry_after, consecutive_errors FROM feeds WHERE url = ?1",
            )?
            .query_row([url], |r| {
                Ok(FeedState {
                    id: r.get(0)?,
                    etag: r.get(1)?,
                    last_modified: r.get(2)?,
                    retry_after: r.get(3)?,
                    consecutive_errors: r.get(4)?,
                })
            })
            .optional()?)
    }

    /// The body of [`Store::record_not_modified`], whose errors name the database.
    fn record_not_modified_inner(
        &mut self,
        feed_id: i64,
        now: DateTime<Utc>,
        plan: Plan,
    ) -> Result<(), StoreError> {
        // Cached: a cycle of 304s runs it for every feed.
        self.conn
            .prepare_cached(
                "UPDATE feeds SET last_attempt = ?2, last_success = ?2, last_status = 304,
                    consecutive_errors = 0, last_error = NULL, retry_after = NULL, next_due = ?3
             WHERE id = ?1",
            )?
            .execute(params![feed_id, now.timestamp(), plan.next_due.timestamp()])?;
        Ok(())
    }

    /// The body of [`Store::record_error`], whose errors name the database.
    fn record_error_inner(
        &mut self,
        feed_id: i64,
        status: Option<u16>,
        error: &str,
        retry_after: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        plan: Plan,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE feeds SET last_attempt = ?2, last_status = ?3, last_error = ?4,
                    consecutive_errors = ?6, retry_after = ?5, next_due = ?7
             WHERE id = ?1",
            params![
                feed_id,
                now.timestamp(),
                status,
                error,
                retry_after.map(|d| d.timestamp()),
                plan.consecutive_errors,
                plan.next_due.timestamp()
            ],
        )?;
        Ok(())
    }

    /// A cheap query that proves the database answers.
    pub fn ping(&self) -> Result<(), StoreError> {
        self.conn.query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }

    /// Which of `keys` (identity or link keys) are stored, with what an
    /// HTML source needs to know before fetching article pages: the stored
    /// content, when it was first seen, and whether `feed_id` brought it.
    pub fn known_items(&self, feed_id: i64, keys: &[&str]) -> Result<HashMap<String, Known>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT i.content, i.first_seen, i.origin_feed = ?2
             FROM item_keys k JOIN items i ON i.id = k.item_id WHERE k.key = ?1",
        )?;
        let buried = any_tombstones(&self.conn)?;
        let mut tombstone = self
            .conn
            .prepare_cached("SELECT pruned FROM tombstones WHERE key = ?1")?;
        let mut out = HashMap::new();
        for key in keys {
            let mut known = stmt
                .query_row(params![key, feed_id], |r| {
                    Ok(Known {
                        content: r.get(0)?,
                        first_seen: r.get(1)?,
                        own: r.get(2)?,
                    })
                })
                .optional()?;
            // A pruned item listed again is not stored again (its tombstone
            // says so), so its article page is not worth fetching: known,
            // and not this feed's to retry.
            if known.is_none() && buried {
                known = tombstone
                    .query_row([key], |r| r.get(0))
                    .optional()?
                    .map(|pruned| Known {
                        content: None,
                        first_seen: pruned,
                        own: false,
                    });
            }
            if let Some(known) = known {
                out.insert(key.to_string(), known);
            }
        }
        Ok(out)
    }

    /// Number of stored items (for summaries and tests).
    #[cfg(test)]
    pub fn item_count(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM items", [], |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests;
