//! Retention: the items readers no longer need leave the database, with
//! their keys, feed links, prints and cluster membership, and leave their
//! keys behind as tombstones so that they never come back as new.
//!
//! A prune is planned once (which items may go), then carried out in
//! batches of at most [`BATCH`] items and [`BATCH_TIME`], one transaction each, so that the writer is
//! never held for long: the daemon takes the store's lock per batch, and
//! refreshes are stored between them. Each batch checks its items again,
//! since a refresh between two batches may have listed one of them again.

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::config::{Keep, Retention};

/// Items deleted per transaction at most.
const BATCH: usize = 300;

/// Time a batch spends deleting before it commits, whatever its count.
///
/// Decision: a time budget beside the count. A batch's cost per item is
/// its rows and index entries (about 10 per item), most of them random
/// pages of a large file: 300 items took 15 ms in a database of 160,000
/// items and of 1,080,000 alike, on a warm page cache, but a slower disk
/// or CPU, or a cold cache, moves it. The budget bounds the deleting only;
/// the commit comes on top (3 ms at 1,080,000 items), and so would the
/// writer's automatic checkpoint if the log reached it (60–120 ms there),
/// which is why the daemon copies the log into the file between batches.
const BATCH_TIME: std::time::Duration = std::time::Duration::from_millis(50);

/// Free pages given back to the file system per step (1 MB of 4 KB pages),
/// for the same reason.
const GIVE_BACK_PAGES: i64 = 250;

/// Expired tombstones deleted per step, for the same reason.
const TOMBSTONE_BATCH: i64 = 2000;

/// What a prune removed, or would remove (`dry_run`).
#[derive(Debug, Clone, Default)]
pub struct PruneReport {
    pub dry_run: bool,
    /// Per feed the items came from (their origin), in URL order.
    pub feeds: Vec<FeedPruned>,
    /// Per category of those feeds, in id order (an item counts in each
    /// category of its origin feed).
    pub categories: Vec<CategoryPruned>,
    /// Items removed.
    pub items: usize,
    /// Their stored text (title, summary, content), in bytes.
    pub bytes: u64,
    /// Keys of removed items left behind as tombstones.
    pub tombstones: usize,
    /// Tombstones older than 2 × `max_age`, removed.
    pub tombstones_expired: usize,
    /// Transactions the items were removed in.
    pub batches: usize,
    /// Returning the freed pages to the file system and emptying the
    /// write-ahead log ([`Store::give_back_step`] to the end).
    pub give_back: std::time::Duration,
}

impl PruneReport {
    /// Whether the prune removed anything (items or expired tombstones).
    pub fn changed(&self) -> bool {
        !self.dry_run && (self.items > 0 || self.tombstones_expired > 0)
    }
}

/// One feed's share of a [`PruneReport`].
#[derive(Debug, Clone, Default)]
pub struct FeedPruned {
    pub url: String,
    pub title: Option<String>,
    /// False for a feed no longer in the config.
    pub active: bool,
    pub items: usize,
    pub tombstones: usize,
    pub bytes: u64,
}

/// One category's share of a [`PruneReport`].
#[derive(Debug, Clone, Default)]
pub struct CategoryPruned {
    pub id: String,
    pub items: usize,
    pub tombstones: usize,
    pub bytes: u64,
}

/// Per origin feed: items, tombstones, text bytes.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    items: usize,
    tombstones: usize,
    bytes: u64,
}

impl Tally {
    fn add(&mut self, t: Tally) {
        self.items += t.items;
        self.tombstones += t.tombstones;
        self.bytes += t.bytes;
    }
}

/// A prune in progress: what may go, and what went so far.
pub struct PrunePlan {
    retention: Retention,
    now: i64,
    dry_run: bool,
    /// Items that may go, checked again batch by batch; ascending ids.
    candidates: Vec<i64>,
    done: usize,
    /// Items that every feed in the config carrying them lets go by its
    /// policy (age, cap, newest kept); ascending ids.
    ///
    /// Decision: computed once, not per batch. Items stored since only push
    /// older ones further from a feed's newest, and a feed that starts
    /// carrying an old item lists it, which each batch checks again.
    by_policy: Vec<i64>,
    by_feed: BTreeMap<i64, Tally>,
    /// Whether the expired tombstones are all gone (after the items).
    expired: bool,
    report: PruneReport,
}

/// Tombstones made before this time expire: they outlive their items by as
/// long again as items live (the longest any feed keeps them); with items
/// kept forever, so are they.
fn tombstone_horizon(plan: &PrunePlan) -> Option<i64> {
    let longest = plan
        .retention
        .policies()
        .map(|k| k.max_age)
        .reduce(|a, b| a.zip(b).map(|(a, b)| a.max(b)))
        .flatten()?;
    Some(cutoff(plan.now, Some(longest.saturating_mul(2))))
}

/// Unix seconds `d` before `now`; `None` (forever) is before every time.
fn cutoff(now: i64, d: Option<std::time::Duration>) -> i64 {
    match d {
        Some(d) => now.saturating_sub(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
        None => i64::MIN,
    }
}

/// What one item's feeds say about it.
struct Standing {
    origin: i64,
    cluster: Option<i64>,
    /// A feed in the config carries it.
    carried: bool,
    /// A feed in the config listed it in its latest successful fetch (or
    /// has had none since the schema recorded listings).
    listed: bool,
    /// A feed removed from the config less than `removed_feeds_after` ago
    /// carries it.
    in_grace: bool,
    /// Stored text, in bytes.
    bytes: i64,
}

/// Deletes one item: its keys, feed links, routes and print go by the
/// foreign keys' cascade; its search entry, in the index's own file, is
/// marked for the indexer.
fn delete_item(tx: &Connection, id: i64) -> Result<(), StoreError> {
    tx.prepare_cached("DELETE FROM items WHERE id = ?1")?
        .execute([id])?;
    super::search::mark_dirty(tx, id)
}

/// Whether an item may go, by the rules of `[retention]`.
fn may_go(s: &Standing, id: i64, plan: &PrunePlan) -> bool {
    if s.listed {
        return false;
    }
    if s.carried {
        plan.by_policy.binary_search(&id).is_ok()
    } else {
        // Only removed feeds carry it: their grace period alone decides,
        // so that a feed put back in time finds all its items.
        plan.retention.removed_feeds_after.is_some() && !s.in_grace
    }
}

/// Whether one feed's policy lets an item go: it is the feed's `rank`-th
/// newest, with this sort time.
fn feed_lets_go(keep: &Keep, sort_time: i64, rank: usize, now: i64) -> bool {
    if keep.max_items.is_some_and(|cap| rank > cap) {
        return true;
    }
    keep.max_age.is_some() && sort_time < cutoff(now, keep.max_age) && rank > keep.keep_min
}

fn standing(conn: &Connection, id: i64, grace_cutoff: i64) -> Result<Option<Standing>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT i.origin_feed, i.cluster_id,
                EXISTS (SELECT 1 FROM item_feeds f JOIN feeds d ON d.id = f.feed_id
                        WHERE f.item_id = i.id AND d.active = 1),
                EXISTS (SELECT 1 FROM item_feeds f JOIN feeds d ON d.id = f.feed_id
                        WHERE f.item_id = i.id AND d.active = 1
                          AND (d.last_listed IS NULL OR f.last_seen >= d.last_listed)),
                EXISTS (SELECT 1 FROM item_feeds f JOIN feeds d ON d.id = f.feed_id
                        WHERE f.item_id = i.id AND d.active = 0
                          AND (d.removed_at IS NULL OR d.removed_at > ?2)),
                length(CAST(i.title AS BLOB)) + COALESCE(length(CAST(i.summary AS BLOB)), 0)
                    + COALESCE(length(CAST(i.content AS BLOB)), 0)
             FROM items i WHERE i.id = ?1",
        )?
        .query_row(params![id, grace_cutoff], |r| {
            Ok(Standing {
                origin: r.get(0)?,
                cluster: r.get(1)?,
                carried: r.get(2)?,
                listed: r.get(3)?,
                in_grace: r.get(4)?,
                bytes: r.get(5)?,
            })
        })
        .optional()?)
}

impl Store {
    /// Removes (or with `dry_run` only counts) what `[retention]` lets go,
    /// as of `now`: [`Store::prune_plan`], then [`Store::prune_step`] until
    /// done, then [`Store::prune_finish`].
    pub fn prune(
        &mut self,
        retention: &Retention,
        now: DateTime<Utc>,
        dry_run: bool,
    ) -> Result<PruneReport, StoreError> {
        let mut plan = self.prune_plan(retention, now, dry_run)?;
        while self.prune_step(&mut plan)? {}
        let mut report = self.prune_finish(plan)?;
        if !dry_run && report.changed() {
            let started = std::time::Instant::now();
            while self.give_back_step()? {}
            report.give_back = started.elapsed();
        }
        Ok(report)
    }

    /// Which items may go: read only, in one read transaction.
    pub fn prune_plan(
        &mut self,
        retention: &Retention,
        now: DateTime<Utc>,
        dry_run: bool,
    ) -> Result<PrunePlan, StoreError> {
        let now = now.timestamp();
        let tx = self.conn.transaction()?;
        let mut by_policy = Vec::new();
        let lets_go_anything = retention
            .policies()
            .any(|k| k.max_age.is_some() || k.max_items.is_some());
        if lets_go_anything {
            let mut keep_of = HashMap::new();
            for row in tx
                .prepare("SELECT id, url FROM feeds WHERE active = 1")?
                .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
            {
                let (id, url) = row?;
                keep_of.insert(id, retention.keep_for(&url));
            }
            // Every (item, feed in the config) pair with the item's rank
            // in the feed, grouped by item: an item goes when each of its
            // feeds lets it go.
            let mut stmt = tx.prepare(
                "SELECT f.item_id, f.feed_id, i.sort_time, ROW_NUMBER() OVER (
                     PARTITION BY f.feed_id ORDER BY i.sort_time DESC, i.id DESC)
                 FROM item_feeds f JOIN feeds d ON d.id = f.feed_id JOIN items i ON i.id = f.item_id
                 WHERE d.active = 1
                 ORDER BY f.item_id",
            )?;
            let mut rows = stmt.query([])?;
            let mut current: Option<(i64, bool)> = None;
            while let Some(r) = rows.next()? {
                let (item, feed, sort_time, rank): (i64, i64, i64, i64) =
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
                let keep = keep_of.get(&feed).copied().unwrap_or(retention.keep);
                let goes = feed_lets_go(&keep, sort_time, usize::try_from(rank).unwrap_or(usize::MAX), now);
                match &mut current {
                    Some((id, all)) if *id == item => *all &= goes,
                    _ => {
                        if let Some((id, true)) = current {
                            by_policy.push(id);
                        }
                        current = Some((item, goes));
                    }
                }
            }
            if let Some((id, true)) = current {
                by_policy.push(id);
            }
        }
        let mut candidates: BTreeSet<i64> = by_policy.iter().copied().collect();
        if retention.removed_feeds_after.is_some() {
            let mut stmt = tx.prepare(
                "SELECT f.item_id FROM feeds d JOIN item_feeds f ON f.feed_id = d.id
                 WHERE d.active = 0 AND d.removed_at <= ?1",
            )?;
            for id in stmt.query_map([cutoff(now, retention.removed_feeds_after)], |r| {
                r.get::<_, i64>(0)
            })? {
                candidates.insert(id?);
            }
        }
        drop(tx);
        Ok(PrunePlan {
            retention: retention.clone(),
            now,
            dry_run,
            candidates: candidates.into_iter().collect(),
            done: 0,
            by_policy,
            by_feed: BTreeMap::new(),
            expired: false,
            report: PruneReport {
                dry_run,
                ..PruneReport::default()
            },
        })
    }

    /// Removes (or counts) the next batch of the plan in one transaction:
    /// items, then expired tombstones; false once nothing is left.
    pub fn prune_step(&mut self, plan: &mut PrunePlan) -> Result<bool, StoreError> {
        let r = self.prune_step_inner(plan);
        if r.is_err() {
            // Its transaction rolled back: so did the batch's counts.
            self.forget_unsaved();
        }
        self.writing(r)
    }

    fn prune_step_inner(&mut self, plan: &mut PrunePlan) -> Result<bool, StoreError> {
        if plan.done >= plan.candidates.len() {
            return self.expire_tombstones_step(plan);
        }
        let end = (plan.done + BATCH).min(plan.candidates.len());
        let grace_cutoff = cutoff(plan.now, plan.retention.removed_feeds_after);
        // Immediate: the write lock is taken (waiting for the writer) before
        // the batch reads what it checks, so nothing changes in between. A
        // dry run only reads, and rolls back.
        let tx = self.conn.transaction_with_behavior(if plan.dry_run {
            rusqlite::TransactionBehavior::Deferred
        } else {
            rusqlite::TransactionBehavior::Immediate
        })?;
        // The representative of a cluster may go before the cluster is
        // given another: the foreign key is checked at the commit.
        tx.execute_batch("PRAGMA defer_foreign_keys = ON")?;
        let mut batch = BTreeMap::<i64, Tally>::new();
        let mut clusters = BTreeSet::new();
        let mut gone = 0;
        let mut deleted = std::collections::HashSet::new();
        let started = std::time::Instant::now();
        let mut next = plan.done;
        while next < end {
            if gone > 0 && started.elapsed() >= BATCH_TIME {
                break;
            }
            let id = plan.candidates[next];
            next += 1;
            let Some(s) = standing(&tx, id, grace_cutoff)? else {
                continue;
            };
            if !may_go(&s, id, plan) {
                continue;
            }
            // Decision: an item only removed feeds carried leaves no
            // tombstones. Readers stopped seeing it when its feed left; a
            // feed put back later shows what it lists then, and an output
            // guid is the same as before, so readers that kept it know it.
            let keys = if !s.carried {
                if !plan.dry_run {
                    delete_item(&tx, id)?;
                    deleted.insert(id);
                }
                0
            } else if plan.dry_run {
                tx.prepare_cached("SELECT COUNT(*) FROM item_keys WHERE item_id = ?1")?
                    .query_row([id], |r| r.get::<_, i64>(0))? as usize
            } else {
                let keys = tx
                    .prepare_cached(
                        "INSERT OR REPLACE INTO tombstones (key, pruned)
                         SELECT key, ?2 FROM item_keys WHERE item_id = ?1",
                    )?
                    .execute(params![id, plan.now])?;
                delete_item(&tx, id)?;
                deleted.insert(id);
                keys
            };
            if let Some(c) = s.cluster {
                clusters.insert(c);
            }
            batch.entry(s.origin).or_default().add(Tally {
                items: 1,
                tombstones: keys,
                bytes: u64::try_from(s.bytes).unwrap_or(0),
            });
            gone += 1;
            // Fault injection for the test of a prune killed midway: the
            // process dies in the second batch, its transaction open and
            // an item deleted in it; debug builds only.
            #[cfg(debug_assertions)]
            if gone == 1
                && plan.report.batches == 1
                && std::env::var_os("HUIJU_FAILPOINT_PRUNE_ABORT").is_some()
            {
                std::process::abort();
            }
        }
        if !plan.dry_run {
            for c in clusters {
                // A cluster keeps its output id while any copy remains.
                let left: bool = tx
                    .prepare_cached("SELECT EXISTS (SELECT 1 FROM items WHERE cluster_id = ?1)")?
                    .query_row([c], |r| r.get(0))?;
                if left {
                    elect_representative(&tx, c)?;
                } else {
                    tx.prepare_cached("DELETE FROM clusters WHERE id = ?1")?
                        .execute([c])?;
                }
            }
            tx.commit()?;
            self.index.forget(&deleted);
            self.recent.forget(&deleted);
        }
        plan.done = next;
        if gone > 0 {
            plan.report.batches += 1;
        }
        for (feed, t) in batch {
            plan.by_feed.entry(feed).or_default().add(t);
            plan.report.items += t.items;
            plan.report.tombstones += t.tombstones;
            plan.report.bytes += t.bytes;
        }
        // Expired tombstones follow the items, a step at a time too.
        Ok(true)
    }

    /// After the items: deletes up to [`TOMBSTONE_BATCH`] tombstones older
    /// than their horizon; true while there may be more.
    fn expire_tombstones_step(&mut self, plan: &mut PrunePlan) -> Result<bool, StoreError> {
        let Some(horizon) = tombstone_horizon(plan).filter(|_| !plan.dry_run && !plan.expired) else {
            return Ok(false);
        };
        let n = self.conn.execute(
            "DELETE FROM tombstones WHERE key IN
                 (SELECT key FROM tombstones WHERE pruned < ?1 LIMIT ?2)",
            params![horizon, TOMBSTONE_BATCH],
        )?;
        plan.report.tombstones_expired += n;
        plan.expired = n < TOMBSTONE_BATCH as usize;
        Ok(!plan.expired)
    }

    /// Names the feeds and categories of the report (and for a dry run,
    /// counts the tombstones that would expire).
    pub fn prune_finish(&mut self, plan: PrunePlan) -> Result<PruneReport, StoreError> {
        let r = self.prune_finish_inner(plan);
        self.writing(r)
    }

    fn prune_finish_inner(&mut self, mut plan: PrunePlan) -> Result<PruneReport, StoreError> {
        if plan.dry_run
            && let Some(horizon) = tombstone_horizon(&plan)
        {
            plan.report.tombstones_expired = self.conn.query_row(
                "SELECT COUNT(*) FROM tombstones WHERE pruned < ?1",
                [horizon],
                |r| r.get::<_, i64>(0),
            )? as usize;
        }
        {
            let mut feed = self
                .conn
                .prepare_cached("SELECT url, title, active FROM feeds WHERE id = ?1")?;
            let mut categories = self
                .conn
                .prepare_cached("SELECT category FROM feed_categories WHERE feed_id = ?1")?;
            let mut by_category = BTreeMap::<String, Tally>::new();
            for (&id, &t) in &plan.by_feed {
                let (url, title, active) = feed.query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                plan.report.feeds.push(FeedPruned {
                    url,
                    title,
                    active,
                    items: t.items,
                    tombstones: t.tombstones,
                    bytes: t.bytes,
                });
                for c in categories.query_map([id], |r| r.get::<_, String>(0))? {
                    by_category.entry(c?).or_default().add(t);
                }
            }
            plan.report.categories = by_category
                .into_iter()
                .map(|(id, t)| CategoryPruned {
                    id,
                    items: t.items,
                    tombstones: t.tombstones,
                    bytes: t.bytes,
                })
                .collect();
        }
        plan.report.feeds.sort_by(|a, b| a.url.cmp(&b.url));
        // The in-memory near-duplicate index forgot the pruned items batch
        // by batch (`NearIndex::forget`), and is kept. Freed pages go back
        // by `give_back_step`, a step at a time.
        if !plan.dry_run {
            // A prune is the daemon's daily chore: SQLite's own advice is
            // to let it refresh the planner's statistics about that often
            // (it analyzes only tables whose sizes changed much).
            self.conn.execute_batch("PRAGMA optimize")?;
        }
        Ok(plan.report)
    }

    /// Adds `n` made-up tombstones pruned at times spread evenly over
    /// `from..to`, in one transaction; returns the time of the newest
    /// stored item (for `benches/prune.rs`, which prunes a database the
    /// year kept as if a year had passed).
    #[cfg(feature = "bench")]
    pub fn add_tombstones_for_bench(&mut self, n: usize, from: i64, to: i64) -> Result<i64, StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut add = tx.prepare("INSERT OR IGNORE INTO tombstones (key, pruned) VALUES (?1, ?2)")?;
            let span = (to - from).max(1);
            for i in 0..n {
                // Keys in no order, as a real table's are (hashes of URLs).
                let key = format!("bench:{:016x}", (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                add.execute(params![key, from + (i as i64 * span) / n.max(1) as i64])?;
            }
        }
        let newest = tx.query_row("SELECT COALESCE(MAX(sort_time), 0) FROM items", [], |r| r.get(0))?;
        tx.commit()?;
        Ok(newest)
    }

    /// Rewrites the database with `auto_vacuum = INCREMENTAL`, so that a
    /// database made before it gives pages freed by later prunes back to
    /// the file system; a database that has it only has its free pages
    /// returned. Returns the file's size before and after, in bytes.
    ///
    /// A one-time `VACUUM`: it copies every live page (the file's size
    /// again in temporary disk space; 0.3 s for 33 MB with a warm page
    /// cache) and holds the database's write lock throughout, so a running
    /// daemon's polls wait (and fail after 10 s).
    pub fn vacuum(&mut self) -> Result<(u64, u64), StoreError> {
        let r = self.vacuum_inner();
        self.writing(r)
    }

    fn vacuum_inner(&mut self) -> Result<(u64, u64), StoreError> {
        let size = |c: &Connection| -> Result<u64, StoreError> {
            let pages: i64 = c.query_row("PRAGMA page_count", [], |r| r.get(0))?;
            let page: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0))?;
            Ok((pages * page) as u64)
        };
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        let before = size(&self.conn)?;
        let auto_vacuum: i64 = self.conn.query_row("PRAGMA auto_vacuum", [], |r| r.get(0))?;
        if auto_vacuum == 2 {
            while self.give_back_step_inner()? {}
        } else {
            self.conn
                .execute_batch("PRAGMA auto_vacuum = INCREMENTAL; VACUUM;")?;
            self.conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        }
        Ok((before, size(&self.conn)?))
    }

    /// Returns up to [`GIVE_BACK_PAGES`] freed pages to the file system when
    /// the database allows it (`auto_vacuum = INCREMENTAL`), copying the
    /// step's log into the file (a passive checkpoint) while it is short;
    /// once none is left, empties the write-ahead log. True while there is
    /// more to do. The daemon does the same in two halves
    /// ([`Store::free_pages_step`] under the writer's lock, the checkpoints
    /// on a [`Checkpointer`] outside it).
    pub fn give_back_step(&mut self) -> Result<bool, StoreError> {
        let r = self.give_back_step_inner();
        self.writing(r)
    }

    fn give_back_step_inner(&mut self) -> Result<bool, StoreError> {
        let more = self.free_pages_inner()?;
        let mode = if more { "PASSIVE" } else { "TRUNCATE" };
        self.conn
            .query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |_| Ok(()))?;
        Ok(more)
    }

    /// Returns up to [`GIVE_BACK_PAGES`] freed pages to the file system when
    /// the database allows it (`auto_vacuum = INCREMENTAL`). True while
    /// freed pages are left: call again, letting the writer's lock go in
    /// between, and checkpoint the log the steps wrote
    /// ([`Checkpointer::passive`], then [`Checkpointer::truncate`] at the
    /// end).
    ///
    /// Decision: in steps, without the checkpoints. In one go, under the
    /// writer's lock, giving back took 140–440 ms after the daily prune of a
    /// year-old database (the year, BENCHMARKS.md), over the ~100 ms a poll
    /// may wait. Steps of 250 pages with a checkpoint in each took 50–150 ms,
    /// most of it the checkpoint, and 270–400 ms when the polls' log was
    /// there to copy too. A checkpoint on a connection of its own waits for
    /// no writer, so the daemon runs it with the lock let go.
    pub fn free_pages_step(&mut self) -> Result<bool, StoreError> {
        let r = self.free_pages_inner();
        self.writing(r)
    }

    fn free_pages_inner(&mut self) -> Result<bool, StoreError> {
        let auto_vacuum: i64 = self.conn.query_row("PRAGMA auto_vacuum", [], |r| r.get(0))?;
        let free: i64 = self.conn.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
        if auto_vacuum != 2 || free == 0 {
            return Ok(false);
        }
        // One row per page freed: stepped to the end, or it frees one.
        let mut stmt = self
            .conn
            .prepare_cached(&format!("PRAGMA incremental_vacuum({GIVE_BACK_PAGES})"))?;
        let mut rows = stmt.query([])?;
        while rows.next()?.is_some() {}
        Ok(free > GIVE_BACK_PAGES)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{items, job, store_with_feeds};
    use super::*;

    fn count(s: &Store, sql: &str) -> i64 {
        s.conn.query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// A fetch of `feed` that lists nothing, a second after the others
    /// (listings are told apart by the second).
    fn lists_nothing(s: &mut Store, feed: i64) {
        let mut j = job(feed, Vec::new());
        j.now += chrono::Duration::seconds(1);
        s.apply_refreshes(&[j]).unwrap();
    }

    fn retention(keep_min: usize) -> Retention {
        Retention {
            keep: Keep {
                max_age: Some(std::time::Duration::from_secs(24 * 3600)),
                max_items: None,
                keep_min,
            },
            ..Retention::default()
        }
    }

    /// Two feeds carry copies of two stories; the first stops listing its
    /// copies. A prune a year on takes them (and nothing the second still
    /// lists), the clusters keep their output ids with the second's copies
    /// as representatives, and the first listing them again stores nothing.
    #[test]
    fn pruned_copies_leave_their_clusters_and_do_not_come_back() {
        let dir = tempfile::tempdir().unwrap();
        let (mut s, a, b) = store_with_feeds(dir.path());
        s.apply_refreshes(&[job(a, items("a.example.cn"))]).unwrap();
        s.apply_refreshes(&[job(b, items("b.example.cn"))]).unwrap();
        assert_eq!(count(&s, "SELECT COUNT(*) FROM clusters"), 2);
        let guids = count(
            &s,
            "SELECT COUNT(*) FROM clusters c JOIN items i ON i.id = c.rep_item WHERE i.origin_feed = 1",
        );
        let entry_ids: Vec<String> = s
            .conn
            .prepare("SELECT entry_guid FROM clusters ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(guids, 2, "feed a's copies came first and represent the stories");
        // Feed a now lists nothing of these.
        lists_nothing(&mut s, a);
        let later = Utc::now() + chrono::Duration::days(365);

        let dry = s.prune(&retention(0), later, true).unwrap();
        assert_eq!((dry.items, dry.tombstones), (2, 2), "{dry:?}");
        assert_eq!(s.item_count().unwrap(), 4, "a dry run changes nothing");

        // Pruned by another process (`huiju prune` beside the daemon): this
        // store's in-memory index and recent prints still hold the items.
        let mut other = Store::open(&dir.path().join("h.db")).unwrap();
        let r = other.prune(&retention(0), later, false).unwrap();
        assert_eq!((r.items, r.tombstones, r.batches), (2, 2, 1), "{r:?}");
        assert_eq!(r.feeds.len(), 1);
        assert_eq!(r.feeds[0].url, "http://a.example.cn/feed.xml");
        assert_eq!(s.item_count().unwrap(), 2);
        for (table, left) in [
            ("item_keys", 2),
            ("item_feeds", 2),
            ("prints", 2),
            ("tombstones", 2),
        ] {
            assert_eq!(
                count(&s, &format!("SELECT COUNT(*) FROM {table}")),
                left,
                "{table}"
            );
        }
        let after: Vec<(String, i64)> = s
            .conn
            .prepare("SELECT c.entry_guid, i.origin_feed FROM clusters c JOIN items i ON i.id = c.rep_item ORDER BY c.id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(after.iter().map(|x| x.0.clone()).collect::<Vec<_>>(), entry_ids);
        assert!(after.iter().all(|x| x.1 == b), "{after:?}");
        let mut check = s.conn.prepare("PRAGMA foreign_key_check").unwrap();
        assert!(
            check.query([]).unwrap().next().unwrap().is_none(),
            "foreign keys hold"
        );
        drop(check);

        // A third copy is matched with what remains, not with what went.
        s.conn
            .execute(
                "INSERT INTO feeds (url) VALUES ('http://c.example.cn/feed.xml')",
                [],
            )
            .unwrap();
        let c = s.conn.last_insert_rowid();
        let counts = s
            .apply_refreshes(&[job(c, items("c.example.cn"))])
            .unwrap()
            .pop()
            .unwrap()
            .unwrap();
        assert_eq!((counts.new, counts.clustered), (2, 2));
        assert_eq!(s.item_count().unwrap(), 4);
        // Listed again: not new.
        let c = s
            .apply_refreshes(&[job(a, items("a.example.cn"))])
            .unwrap()
            .pop()
            .unwrap()
            .unwrap();
        assert_eq!((c.new, c.unchanged), (0, 2));
        assert_eq!(s.item_count().unwrap(), 4);
        // Copies again, through the in-memory index that held the pruned items.
        let c = s
            .apply_refreshes(&[job(b, items("b.example.cn"))])
            .unwrap()
            .pop()
            .unwrap()
            .unwrap();
        assert_eq!((c.new, c.unchanged), (0, 2));
    }

    /// A store with more than two steps' worth of freed pages.
    fn store_with_free_pages(dir: &Path) -> Store {
        let (s, a, _) = store_with_feeds(dir);
        let body = "字".repeat(4000);
        for i in 0..600 {
            s.conn
                .execute(
                    "INSERT INTO items (origin_feed, guid, title, content, first_seen, sort_time, content_hash)
                     VALUES (?1, ?2, 't', ?3, 0, 0, 0)",
                    params![a, format!("g{i}"), body],
                )
                .unwrap();
        }
        s.conn.execute("DELETE FROM items", []).unwrap();
        let free = count(&s, "PRAGMA freelist_count");
        assert!(free > 2 * GIVE_BACK_PAGES, "{free} free pages");
        s
    }

    /// Freed pages go back to the file system a bounded step at a time:
    /// more than one step for a large prune, the file shrinking with each,
    /// and then nothing left to do.
    #[test]
    fn space_goes_back_in_steps() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = store_with_free_pages(dir.path());
        let file = |s: &Store| count(s, "PRAGMA page_count");
        let mut sizes = vec![file(&s)];
        while s.give_back_step().unwrap() {
            sizes.push(file(&s));
        }
        sizes.push(file(&s));
        assert!(sizes.len() >= 3, "{sizes:?}");
        assert!(sizes.windows(2).all(|w| w[1] <= w[0]), "{sizes:?}");
        assert_eq!(count(&s, "PRAGMA freelist_count"), 0);
        assert!(!s.give_back_step().unwrap());
    }

    /// The daemon's way: pages freed under the writer's lock, the log
    /// copied by a connection of its own. The file on disk shrinks and the
    /// log ends empty, with every item still readable.
    #[test]
    fn a_checkpoint_connection_empties_the_log_of_the_steps() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = store_with_free_pages(dir.path());
        let db = dir.path().join("h.db");
        let wal = dir.path().join("h.db-wal");
        let on_disk = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let checkpoints = s.checkpointer().unwrap();
        checkpoints.truncate().unwrap();
        let before = on_disk(&db);
        let mut steps = 0;
        while s.free_pages_step().unwrap() {
            steps += 1;
            checkpoints.passive().unwrap();
        }
        assert!(on_disk(&wal) > 0, "the steps wrote to the log");
        checkpoints.truncate().unwrap();
        assert!(steps >= 2, "{steps} steps");
        assert_eq!(on_disk(&wal), 0, "the log is emptied");
        assert!(
            on_disk(&db) * 4 < before,
            "{} bytes, {before} before",
            on_disk(&db)
        );
        assert_eq!(count(&s, "PRAGMA freelist_count"), 0);
        let ok: String = s
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
    }

    /// `n` tombstones of items pruned at `pruned`.
    fn add_tombstones(s: &Store, n: i64, pruned: DateTime<Utc>) {
        for i in 0..n {
            s.conn
                .execute(
                    "INSERT INTO tombstones (key, pruned) VALUES (?1, ?2)",
                    params![format!("url:a.example.cn/{i}"), pruned.timestamp()],
                )
                .unwrap();
        }
    }

    /// A checkpoint between the steps, as the daemon makes on a connection
    /// of its own outside the writer's lock, starts the log over: each step
    /// finds it holding only the step before it, so the writer's automatic
    /// checkpoint (every 8,000 pages) never comes due inside a step.
    #[test]
    fn a_checkpoint_between_steps_starts_the_log_over() {
        let dir = tempfile::tempdir().unwrap();
        let (mut s, _, _) = store_with_feeds(dir.path());
        let now = Utc::now();
        add_tombstones(&s, 4 * TOMBSTONE_BATCH, now - chrono::Duration::days(3));
        let checkpoints = s.checkpointer().unwrap();
        checkpoints.truncate().unwrap();
        let mut plan = s.prune_plan(&retention(0), now, false).unwrap();
        // Pages in the log after each step.
        let mut held = Vec::new();
        while s.prune_step(&mut plan).unwrap() {
            held.push(checkpoints.passive().unwrap());
        }
        s.prune_finish(plan).unwrap();
        assert_eq!(held.len(), 4, "{held:?}");
        assert!(held[0] > 0, "{held:?}");
        // Without the log starting over, each would hold every step so far.
        assert!(held.iter().all(|&h| h <= 2 * held[0]), "{held:?}");
        assert_eq!(count(&s, "SELECT COUNT(*) FROM tombstones"), 0);
    }

    /// An HTML source that lists a pruned story again does not fetch its
    /// article page each poll: the tombstone makes it known, not its own.
    #[test]
    fn a_pruned_items_keys_stay_known() {
        let dir = tempfile::tempdir().unwrap();
        let (mut s, a, _) = store_with_feeds(dir.path());
        s.apply_refreshes(&[job(a, items("a.example.cn"))]).unwrap();
        let keys: Vec<String> = s
            .conn
            .prepare("SELECT key FROM item_keys")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        assert!(s.known_items(a, &refs).unwrap().values().all(|k| k.own));
        lists_nothing(&mut s, a);
        let later = Utc::now() + chrono::Duration::days(365);
        assert_eq!(s.prune(&retention(0), later, false).unwrap().items, 2);
        let known = s.known_items(a, &refs).unwrap();
        assert_eq!(known.len(), keys.len(), "{known:?}");
        assert!(known.values().all(|k| !k.own && k.content.is_none()));
    }

    /// A prune keeps the in-memory near-duplicate index, less the items it
    /// removed: a copy of a pruned story is new, and copies of what stays
    /// still join it.
    #[test]
    fn near_duplicates_merge_after_a_prune() {
        let dir = tempfile::tempdir().unwrap();
        let (mut s, a, b) = store_with_feeds(dir.path());
        let c = s
            .apply_refreshes(&[job(b, items("b.example.cn"))])
            .unwrap()
            .pop()
            .unwrap()
            .unwrap();
        assert_eq!(c.new, 2);
        let pruned: Vec<i64> = s.recent.order.iter().copied().collect();
        // Feed b leaves the config; feed c joins.
        let cfg = Config::parse(
            "[storage]\ndatabase = \"h.db\"\n[[category]]\nid = \"c\"\ntitle = \"c\"\n\
             [[feed]]\nurl = \"http://a.example.cn/feed.xml\"\ncategories = [\"c\"]\n\
             [[feed]]\nurl = \"http://c.example.cn/feed.xml\"\ncategories = [\"c\"]\n",
            &dir.path().join("huiju.toml"),
        )
        .unwrap();
        s.sync_config(&cfg).unwrap();
        let c_id = s.feed_state("http://c.example.cn/feed.xml").unwrap().unwrap().id;
        let gone_now = Retention {
            removed_feeds_after: Some(std::time::Duration::ZERO),
            ..Retention::default()
        };
        let r = s.prune(&gone_now, Utc::now(), false).unwrap();
        assert_eq!(r.items, 2, "{r:?}");
        assert!(s.index.df.is_some(), "the document frequencies are kept");
        let live = s.index.live.as_ref().expect("the index is kept");
        assert_eq!(live.items(), 0, "without the pruned items");
        assert!(pruned.iter().all(|id| s.recent.get(*id).is_none()));

        let c = s
            .apply_refreshes(&[job(a, items("a.example.cn"))])
            .unwrap()
            .pop()
            .unwrap()
            .unwrap();
        assert_eq!((c.new, c.clustered), (2, 0), "the pruned copies are no match");
        let c = s
            .apply_refreshes(&[job(c_id, items("c.example.cn"))])
            .unwrap()
            .pop()
            .unwrap()
            .unwrap();
        assert_eq!((c.new, c.clustered), (2, 2), "copies still merge");
        assert_eq!(s.index.live.as_ref().unwrap().items(), 4);
    }

    /// keep_min, and what a source still lists, outweigh max_age.
    #[test]
    fn keep_min_and_listing_protect() {
        let dir = tempfile::tempdir().unwrap();
        let (mut s, a, _) = store_with_feeds(dir.path());
        s.apply_refreshes(&[job(a, items("a.example.cn"))]).unwrap();
        let later = Utc::now() + chrono::Duration::days(365);
        assert_eq!(
            s.prune(&retention(0), later, false).unwrap().items,
            0,
            "still listed"
        );
        lists_nothing(&mut s, a);
        assert_eq!(
            s.prune(&retention(2), later, false).unwrap().items,
            0,
            "the newest 2"
        );
        assert_eq!(s.prune(&retention(1), later, false).unwrap().items, 1);
        assert_eq!(s.prune(&retention(0), later, false).unwrap().items, 1);
        // Expired tombstones go too.
        let much_later = later + chrono::Duration::days(3);
        let r = s.prune(&retention(0), much_later, false).unwrap();
        assert_eq!(r.tombstones_expired, 2, "{r:?}");
    }

    /// Expired tombstones go a bounded step at a time, each a call of its
    /// own (the daemon lets the writer's lock go between), until none is
    /// left; younger ones stay.
    #[test]
    fn tombstones_expire_in_steps() {
        let dir = tempfile::tempdir().unwrap();
        let (mut s, _, _) = store_with_feeds(dir.path());
        let now = Utc::now();
        let many = 2 * TOMBSTONE_BATCH + 10;
        add_tombstones(&s, many, now - chrono::Duration::days(3));
        s.conn
            .execute(
                "INSERT INTO tombstones (key, pruned) VALUES ('young', ?1)",
                [now.timestamp()],
            )
            .unwrap();
        let mut plan = s.prune_plan(&retention(0), now, false).unwrap();
        let mut steps = 1;
        while s.prune_step(&mut plan).unwrap() {
            steps += 1;
        }
        assert_eq!(steps, 3, "two full steps, then the rest");
        let r = s.prune_finish(plan).unwrap();
        assert_eq!(r.tombstones_expired, many as usize);
        assert_eq!(count(&s, "SELECT COUNT(*) FROM tombstones"), 1);
    }
}
