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

mod recluster;

/// What to tell a user whose clusters an earlier rule made.
pub const RECLUSTER_HINT: &str = "the stored clusters were made by an earlier near-duplicate rule, which merged \
     distinct template reports; run `huiju recluster --dry-run` to see what it would split, then `huiju recluster`";

/// Schema migrations, applied in order at open; the version is kept in
/// `PRAGMA user_version`.
fn migrations() -> Vec<M<'static>> {
    vec![
        M::up(include_str!("../migrations/0001_init.sql")),
        M::up(include_str!("../migrations/0002_clusters.sql")),
        M::up_with_hook(include_str!("../migrations/0003_prints.sql"), move_lsh_to_prints),
        M::up(include_str!("../migrations/0004_lean_indexes.sql")),
        M::up(include_str!("../migrations/0005_no_item_keys_index.sql")),
        M::up(include_str!("../migrations/0006_items_sort_on_time.sql")),
        M::up(include_str!("../migrations/0007_dedup_rule.sql")),
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

/// The in-memory LSH lookup tables.
#[derive(Default)]
struct NearIndex {
    /// Every item from a window before now on (see [`index_floor`]).
    live: Option<BandIndex>,
    /// The items of a span of older times, `(index, end)`: built by the
    /// first lookup of an older item and used by the next ones that fall in
    /// its span (a feed's old items come in runs of nearby dates). Dropped
    /// at the end of each batch: it is memory for a rare case.
    past: Option<(BandIndex, i64)>,
    /// Whether the current batch looked anything up in `past`: a batch that
    /// did not lets it go.
    past_used: bool,
    /// How many recent items contain each shingle: what makes text
    /// boilerplate rather than evidence. Made with `live`, from the newest
    /// stored items of the window, then kept up to date as items are stored.
    df: Option<Box<neardup::DocFreq>>,
    /// Buffers for fingerprinting candidates that are not in [`RecentPrints`].
    scratch: neardup::Scratch,
    /// Sketches of the items stored, or compared, since the index was
    /// built, by id, with their time: what tells most candidates apart
    /// without reading their text ([`neardup::may_match`]).
    sketches: HashMap<i64, (i64, neardup::Sketch)>,
}

impl NearIndex {
    fn add_sketch(&mut self, id: i64, t: i64, fp: &neardup::Fingerprint) {
        if self.sketches.len() >= MAX_SKETCHES {
            // A backfill of months: start again rather than grow.
            self.sketches.clear();
        }
        self.sketches.insert(id, (t, fp.sketch()));
    }
}

/// Sketches kept at most (a few hundred bytes each).
const MAX_SKETCHES: usize = 200_000;

/// How much wider than one lookup's window [`NearIndex::past`] is built, on
/// each side.
const PAST_MARGIN: i64 = 24 * 3600;

/// Items [`NearIndex::past`] may hold (about 0.4 KB each) before it is
/// built anew around the next lookup.
const PAST_MAX_ITEMS: usize = 100_000;

/// Stored items fingerprinted to count document frequencies when the
/// in-memory index is first built (the newest of the window).
const DF_WARM_ITEMS: i64 = neardup::DocFreq::HALF_LIFE as i64 / 2;

/// Stores an item's LSH band keys and adds them to the in-memory tables
/// that cover its time.
fn index_bands(
    conn: &Connection,
    index: &mut NearIndex,
    id: i64,
    t: i64,
    keys: &[u32],
) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached("INSERT INTO prints (item_id, t, keys) VALUES (?1, ?2, ?3)")?;
    stmt.execute(params![id, t, band_index::keys_to_blob(keys)])?;
    if let Some(ix) = &mut index.live
        && t >= ix.from()
    {
        ix.insert(id, t, keys);
    }
    if let Some((ix, end)) = &mut index.past
        && t >= ix.from()
        && t < *end
    {
        ix.insert(id, t, keys);
    }
    Ok(())
}

/// Reads the stored prints of items with `from <= sort_time < to` into `ix`.
///
/// Decision: by the items' sort time, through `items_sort`, not by the
/// prints' own time through an index of theirs: the two are equal when an
/// item is stored (an update that re-dates it moves only the sort time, and
/// the lookup follows the item), and that index cost a WAL page per item.
fn load_prints(conn: &Connection, ix: &mut BandIndex, from: i64, to: i64) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.item_id, i.sort_time, p.keys FROM items i JOIN prints p ON p.item_id = i.id
         WHERE i.sort_time >= ?1 AND i.sort_time < ?2",
    )?;
    let mut rows = stmt.query(params![from, to])?;
    while let Some(r) = rows.next()? {
        let keys = band_index::blob_to_keys(r.get_ref(2)?.as_blob().map_err(rusqlite::Error::from)?);
        ix.insert(r.get(0)?, r.get(1)?, &keys);
    }
    Ok(())
}

/// How far before the window the in-memory index keeps items, so that
/// its trimming (hourly at most) does not reload them at once.
const INDEX_MARGIN: i64 = 6 * 3600;

/// Makes the in-memory index hold every item of the last `window`,
/// loading it from the database at first use, and trims items too old to
/// be looked up ([`index_floor`]) at most hourly.
fn prepare_index(conn: &Connection, index: &mut NearIndex, now: i64, window: i64) -> Result<(), StoreError> {
    let floor = index_floor(now, window);
    match &mut index.live {
        Some(ix) if ix.from() < floor - 3600 => {
            ix.evict_before(floor);
            index.sketches.retain(|_, (t, _)| *t >= floor);
        }
        Some(_) => {}
        None => {
            let from = now.saturating_sub(window).saturating_sub(INDEX_MARGIN);
            let mut ix = BandIndex::new(from);
            load_prints(conn, &mut ix, from, i64::MAX)?;
            index.live = Some(ix);
        }
    }
    if index.df.is_none() {
        index.df = Some(warm_doc_freq(conn, &mut index.scratch)?);
    }
    Ok(())
}

/// Document frequencies of the newest stored items that have prints.
///
/// Decision: counted again from their text at start, not stored: the
/// table is 1 MB and changes with every item, and this costs a few
/// milliseconds per thousand items, once per process.
fn warm_doc_freq(
    conn: &Connection,
    scratch: &mut neardup::Scratch,
) -> Result<Box<neardup::DocFreq>, StoreError> {
    let mut df = Box::<neardup::DocFreq>::default();
    let mut stmt = conn.prepare(
        "SELECT i.title, i.content, i.summary FROM items i JOIN prints p ON p.item_id = i.id
         ORDER BY i.sort_time DESC LIMIT ?1",
    )?;
    let mut rows = stmt.query([DF_WARM_ITEMS])?;
    while let Some(r) = rows.next()? {
        let (title, content, summary): (String, Option<String>, Option<String>) =
            (r.get(0)?, r.get(1)?, r.get(2)?);
        df.add(&neardup::item_fingerprint_with(
            scratch,
            &title,
            content.as_deref(),
            summary.as_deref(),
        ));
    }
    Ok(df)
}

/// The oldest time the in-memory index extends back to: far enough for new
/// items dated up to one window back (common: a feed's items span days).
/// Lookups for older items use a temporary index of their span.
fn index_floor(now: i64, window: i64) -> i64 {
    now.saturating_sub(window.saturating_mul(2))
        .saturating_sub(INDEX_MARGIN)
}

/// Fingerprints of the items stored last: a feed's own earlier items and
/// the stories of the last few batches are the likeliest candidates, and
/// recomputing them from their stored text would cost most of the
/// comparison.
#[derive(Default)]
struct RecentPrints {
    order: std::collections::VecDeque<i64>,
    prints: HashMap<i64, Arc<neardup::Fingerprint>>,
    /// Prints let go of, for the caller to free ([`Store::take_retired`]):
    /// freeing them (memory the parsing threads allocated) was 4 % of the
    /// writer's time.
    retired: Vec<Arc<neardup::Fingerprint>>,
}

impl RecentPrints {
    const KEEP: usize = 512;

    fn get(&self, id: i64) -> Option<&neardup::Fingerprint> {
        self.prints.get(&id).map(|fp| &**fp)
    }

    fn add(&mut self, id: i64, fp: &Arc<neardup::Fingerprint>) {
        if self.order.len() == Self::KEEP
            && let Some(old) = self.order.pop_front()
            && let Some(print) = self.prints.remove(&old)
        {
            self.retired.push(print);
        }
        self.order.push_back(id);
        self.prints.insert(id, Arc::clone(fp));
    }
}

/// Candidates compared with each new item, at most: the best ranked (a
/// copy shares most of its keys), so that the cost per item is bounded
/// whatever the text.
const MAX_CANDIDATES: usize = 8;

/// Of those, candidates whose fingerprint is not in memory ([`RecentPrints`])
/// and is made again from their stored text, at most.
const MAX_LOADED: usize = 4;

/// Items sharing an LSH band key with `keys` within `window` of time `t`,
/// those sharing the most keys first, at most [`MAX_CANDIDATES`] (see
/// [`BandIndex::candidates`]). Items older than the in-memory index are
/// read from the database: the index extends back to them when they are
/// recent enough, else the index of a span of past times around them
/// (kept for the next lookups of the batch that fall in it).
fn near_candidates(
    conn: &Connection,
    index: &mut NearIndex,
    keys: &[u32],
    t: i64,
    window: i64,
    exclude: i64,
) -> Result<Vec<(i64, i64)>, StoreError> {
    let now = Utc::now().timestamp();
    prepare_index(conn, index, now, window)?;
    let ix = index.live.as_mut().expect("prepared above");
    let need = t.saturating_sub(window);
    if need < ix.from() {
        if need >= index_floor(now, window) {
            let to = ix.from();
            load_prints(conn, ix, need, to)?;
            ix.extend_to(need);
        } else {
            let end = t.saturating_add(window).saturating_add(1);
            index.past_used = true;
            let past = past_index(conn, &mut index.past, need, end)?;
            return Ok(past.candidates_at(keys, t, window, exclude, MAX_CANDIDATES));
        }
    }
    Ok(ix.candidates_at(keys, t, window, exclude, MAX_CANDIDATES))
}

/// The index of past times, made to cover `from..to`.
///
/// Decision: extended by the spans it lacks, not built anew around each
/// lookup that falls outside it. A backfill's items come in no time order
/// (feed after feed, each newest first): building anew read the whole
/// span's prints again for most items, and ingest time grew with the
/// square of the items.
fn past_index<'a>(
    conn: &Connection,
    past: &'a mut Option<(BandIndex, i64)>,
    from: i64,
    to: i64,
) -> Result<&'a mut BandIndex, StoreError> {
    if past.as_ref().is_some_and(|(p, _)| p.items() > PAST_MAX_ITEMS) {
        *past = None;
    }
    let (p, end) = match past {
        Some(p) => p,
        None => {
            let start = from.saturating_sub(PAST_MARGIN);
            past.insert((BandIndex::new(start), start))
        }
    };
    if from < p.from() {
        let lo = from.saturating_sub(PAST_MARGIN);
        load_prints(conn, p, lo, p.from())?;
        p.extend_to(lo);
    }
    if to > *end {
        let hi = to.saturating_add(PAST_MARGIN);
        load_prints(conn, p, *end, hi)?;
        *end = hi;
    }
    Ok(p)
}

/// The candidates of a new item that are the same story, best first, and
/// how many candidates there were.
#[allow(clippy::too_many_arguments)]
fn near_matches(
    conn: &Connection,
    index: &mut NearIndex,
    fp: &neardup::Fingerprint,
    keys: &[u32],
    t: i64,
    exclude: i64,
    settings: &neardup::Settings,
    recent: &RecentPrints,
) -> Result<(Vec<(i64, neardup::Similarity)>, usize), StoreError> {
    let window = i64::try_from(settings.window.as_secs()).unwrap_or(i64::MAX / 4);
    let mut text = conn.prepare_cached("SELECT title, content, summary FROM items WHERE id = ?1")?;
    let mut found: Vec<(i64, neardup::Similarity)> = Vec::new();
    let mut loads = 0;
    let candidates = near_candidates(conn, index, keys, t, window, exclude)?;
    let seen = candidates.len();
    for (cand, at) in candidates {
        let loaded;
        let other = match recent.get(cand) {
            Some(other) if neardup::surely_apart(fp, other, &settings.params) => {
                continue;
            }
            Some(other) => other,
            None => {
                match index.sketches.get(&cand) {
                    Some((_, sketch)) if !neardup::may_match(fp, sketch, &settings.params) => continue,
                    Some(_) => {}
                    // The best ranked first: past these, a candidate is not
                    // worth reading and fingerprinting its text again.
                    None if loads == MAX_LOADED => continue,
                    None => {}
                }
                loads += 1;
                let (title, content, summary): (String, Option<String>, Option<String>) =
                    text.query_row([cand], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                loaded = neardup::item_fingerprint_with(
                    &mut index.scratch,
                    &title,
                    content.as_deref(),
                    summary.as_deref(),
                );
                index.add_sketch(cand, at, &loaded);
                &loaded
            }
        };
        let sim = neardup::compare_with(fp, other, index.df.as_deref());
        if sim.is_duplicate(&settings.params) {
            found.push((cand, sim));
        }
    }
    // Best first; ties to the earlier ranked (stable sort).
    found.sort_by(|a, b| b.1.score().total_cmp(&a.1.score()));
    Ok((found, seen))
}

/// The cluster a new item joins, and its score, if it copies a stored
/// story; and whether it had candidates at all (then it lives among
/// similar items, and its sketch is worth keeping). The cluster is created on the first copy (the matched item is
/// its representative until [`elect_representative`] runs); its entry id
/// stays that of the copy readers saw first.
///
/// Decision: before the insert, so the copy's row is written with its
/// cluster, not updated right after (one statement fewer per copy, in the
/// one thread that writes).
#[allow(clippy::too_many_arguments)]
fn near_cluster(
    conn: &Connection,
    index: &mut NearIndex,
    t: i64,
    fp: &neardup::Fingerprint,
    keys: &[u32],
    settings: &neardup::Settings,
    now: i64,
    recent: &RecentPrints,
) -> Result<(Option<(i64, f64)>, bool), StoreError> {
    // Not stored yet: no id of its own to leave out of the candidates.
    let (found, candidates) = near_matches(conn, index, fp, keys, t, 0, settings, recent)?;
    let Some(&(matched, sim)) = found.first() else {
        return Ok((None, candidates > 0));
    };
    let mut cluster_of = conn.prepare_cached("SELECT cluster_id FROM items WHERE id = ?1")?;
    let existing: Option<i64> = cluster_of.query_row([matched], |r| r.get(0))?;
    let cluster = match existing {
        Some(c) => c,
        None => {
            let c: i64 = conn
                .prepare_cached(
                    "INSERT INTO clusters (rep_item, entry_guid, created)
                 SELECT id, guid, ?2 FROM items WHERE id = ?1 RETURNING id",
                )?
                .query_row(params![matched, now], |r| r.get(0))?;
            conn.prepare_cached("UPDATE items SET cluster_id = ?1, cluster_sim = 1.0 WHERE id = ?2")?
                .execute(params![c, matched])?;
            c
        }
    };
    // Other stored items this one copies that are in no cluster join it
    // too: two reposts that each dropped another paragraph look different
    // to each other, and when the first arrived before the original it
    // stood alone; the original, a copy of both, brings them together.
    //
    // Decision: items already in another cluster stay there. Joining two
    // clusters would take one entry id from readers who saw it.
    for &(other, sim) in &found[1..] {
        if cluster_of
            .query_row([other], |r| r.get::<_, Option<i64>>(0))?
            .is_none()
        {
            conn.prepare_cached("UPDATE items SET cluster_id = ?1, cluster_sim = ?2 WHERE id = ?3")?
                .execute(params![cluster, sim.score(), other])?;
        }
    }
    Ok((Some((cluster, sim.score())), true))
}

/// Makes the cluster's representative its copy of highest feed priority,
/// then earliest, then first stored.
fn elect_representative(conn: &Connection, cluster: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE clusters SET rep_item = (
             SELECT i.id FROM items i JOIN feeds f ON f.id = i.origin_feed
             WHERE i.cluster_id = ?1 ORDER BY f.priority DESC, i.sort_time ASC, i.id ASC LIMIT 1)
         WHERE id = ?1",
    )?
    .execute([cluster])?;
    Ok(())
}

/// Stores one refresh (the body of [`Store::apply_refreshes`] per job).
fn apply_one(
    tx: &Connection,
    index: &mut NearIndex,
    recent: &mut RecentPrints,
    job: &Refreshed,
) -> Result<Counts, StoreError> {
    let Refreshed {
        feed_id,
        ref meta,
        ref items,
        ref prints,
        now,
        plan,
        near,
    } = *job;
    let near = near.as_ref();
    let now_s = now.timestamp();
    let mut counts = Counts::default();
    {
        let mut by_key = tx.prepare_cached("SELECT item_id FROM item_keys WHERE key = ?1")?;
        let mut origin_of = tx.prepare_cached("SELECT origin_feed, content_hash FROM items WHERE id = ?1")?;
        let mut add_key =
            tx.prepare_cached("INSERT OR IGNORE INTO item_keys (key, item_id) VALUES (?1, ?2)")?;
        let mut add_feed =
            tx.prepare_cached("INSERT OR IGNORE INTO item_feeds (item_id, feed_id) VALUES (?1, ?2)")?;
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
                    if add_feed.execute(params![id, feed_id])? > 0 {
                        // Already stored, but new to this feed: it now
                        // shows in this feed's categories too.
                        counts.linked += 1;
                    }
                    let (origin, hash): (i64, i64) =
                        origin_of.query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
                    // Only the feed an item came from may change it, so two
                    // feeds carrying slightly different copies don't flip it
                    // back and forth on every poll.
                    if origin == feed_id && hash != it.content_hash {
                        update.execute(named_params! {
                            ":link": it.link, ":title": it.title, ":summary": it.summary, ":content": it.content,
                            ":author": it.author, ":categories": categories, ":enclosures": enclosures,
                            ":published": published, ":off": offset, ":now": now_s, ":hash": it.content_hash,
                            ":id": id,
                        })?;
                        counts.updated += 1;
                    } else {
                        counts.unchanged += 1;
                    }
                }
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
                    add_feed.execute(params![id, feed_id])?;
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
                    last_error = NULL, retry_after = NULL, next_due = ?7
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

/// One stored item, as `huiju explain` describes it.
#[derive(Debug, Clone)]
pub struct ItemBrief {
    pub id: i64,
    pub title: String,
    pub content: Option<String>,
    pub summary: Option<String>,
    pub link: Option<String>,
    pub guid: String,
    pub source: String,
    pub priority: i64,
    pub sort_time: i64,
    pub cluster: Option<i64>,
    pub cluster_sim: Option<f64>,
}

impl ItemBrief {
    pub fn fingerprint(&self) -> neardup::Fingerprint {
        neardup::item_fingerprint(&self.title, self.content.as_deref(), self.summary.as_deref())
    }
}

/// One feed's polling state, for the status page.
#[derive(Debug, Clone)]
pub struct FeedStatus {
    pub url: String,
    pub title: Option<String>,
    pub last_attempt: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_status: Option<u16>,
    pub consecutive_errors: u32,
    pub last_error: Option<String>,
    /// Earliest next poll (backoff, TTL or Retry-After).
    pub next_due: Option<DateTime<Utc>>,
    /// Items the feed carries.
    pub items: i64,
}

/// What the status page shows of the database.
#[derive(Debug, Clone)]
pub struct Status {
    /// Distinct items per category id, plus `all` (items of active feeds).
    pub categories: HashMap<String, i64>,
    /// Active feeds, by URL.
    pub feeds: Vec<FeedStatus>,
}

/// [`Store::count_items`]'s answer.
struct ItemCounts {
    categories: HashMap<String, i64>,
    /// Items per feed id.
    feeds: HashMap<i64, i64>,
}

/// An item as output feeds show it.
#[derive(Debug, Clone)]
pub struct StoredItem {
    pub guid: String,
    pub link: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub content: Option<String>,
    pub author: Option<String>,
    pub categories: Vec<String>,
    pub enclosures: Vec<Enclosure>,
    pub published: Option<DateTime<FixedOffset>>,
    pub first_seen: DateTime<Utc>,
    pub modified: Option<DateTime<Utc>>,
    /// Ids of the categories whose feeds carry the item.
    pub feed_categories: Vec<String>,
    /// Name of the feed the item came from.
    pub source_title: String,
    pub source_url: String,
    /// Other sources of the same story (name, link), when copies collapse.
    pub also: Vec<(String, Option<String>)>,
}

impl StoredItem {
    /// The date output feeds show: the source's date, else when first seen.
    pub fn date(&self, tz: chrono_tz::Tz) -> DateTime<FixedOffset> {
        self.published
            .unwrap_or_else(|| self.first_seen.with_timezone(&tz).fixed_offset())
    }

    /// When the item last changed: a source update, else its date.
    pub fn updated(&self, tz: chrono_tz::Tz) -> DateTime<FixedOffset> {
        let date = self.date(tz);
        match self.modified {
            Some(m) if m > date => m.with_timezone(&tz).fixed_offset(),
            _ => date,
        }
    }
}

/// Checkpoints on a connection of their own, so that a thread other than
/// the writer copies the WAL into the database file and waits for its
/// syncs (see `pipeline::writer::Writer`).
pub struct Checkpointer {
    conn: Connection,
}

impl Checkpointer {
    /// Copies what the WAL holds into the database file, without waiting
    /// for (or blocking) the writer and readers (`PASSIVE`).
    pub fn passive(&self) -> Result<(), StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
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
        Ok(Store {
            conn,
            path: path.to_owned(),
            index: NearIndex::default(),
            recent: RecentPrints::default(),
        })
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
        Ok(Store {
            conn,
            path: path.to_owned(),
            index: NearIndex::default(),
            recent: RecentPrints::default(),
        })
    }

    /// Makes the feeds table and category membership match the config.
    pub fn sync_config(&mut self, cfg: &Config) -> Result<(), StoreError> {
        let r = self.sync_config_inner(cfg);
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
        let counts = jobs
            .iter()
            .map(|job| apply_one(&tx, index, recent, job))
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
        let mut results = Vec::with_capacity(jobs.len());
        for job in jobs {
            let sp = tx.savepoint()?;
            match apply_one(&sp, index, recent, job) {
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
    fn sync_config_inner(&mut self, cfg: &Config) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute("UPDATE feeds SET active = 0", [])?;
        tx.execute("DELETE FROM feed_categories", [])?;
        {
            // Prepared once, not per feed: 15,000 feeds made 30,000
            // prepares (5 % of an all-304 cycle's CPU), at every reload too.
            let mut upsert = tx.prepare(
                "INSERT INTO feeds (url, title, active, priority) VALUES (?1, ?2, 1, ?3)
                 ON CONFLICT(url) DO UPDATE SET title = excluded.title, active = 1, priority = excluded.priority
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

    /// The newest `limit` items of `category` (or of every active feed for
    /// `all`), each once, newest first.
    /// `query`, when given, keeps items whose title or text contains it.
    /// `collapse`: copies of one story at least this alike become one entry
    /// (the representative, with the cluster's stable id and the other
    /// sources in [`StoredItem::also`]); `None` shows every copy.
    pub fn category_items(
        &self,
        category: &str,
        limit: usize,
        query: Option<&str>,
        collapse: Option<f64>,
    ) -> Result<Vec<StoredItem>, StoreError> {
        let member = if category == ALL {
            "EXISTS (SELECT 1 FROM item_feeds m JOIN feeds a ON a.id = m.feed_id
                     WHERE m.item_id = x.id AND a.active = 1) AND ?2 = ?2"
        } else {
            "EXISTS (SELECT 1 FROM item_feeds m JOIN feed_categories c ON c.feed_id = m.feed_id
                     WHERE m.item_id = x.id AND c.category = ?2)"
        };
        let search = |t: &str| {
            if query.is_some() {
                format!(
                    "AND ({t}.title LIKE ?3 ESCAPE '\\' OR {t}.summary LIKE ?3 ESCAPE '\\' \
                     OR {t}.content LIKE ?3 ESCAPE '\\')"
                )
            } else {
                "AND ?3 IS NULL".to_string()
            }
        };
        let (member_filter, filter) = (search("x"), search("i"));
        // ?4: the collapse threshold; above 1.0 nothing collapses.
        // Decision: only the newest ?5 items of the category (limit × 8 +
        // 200) are candidates. Scanning every member to collapse clusters
        // made each render read the whole category: 1–4 s at a million
        // items. The walk follows `items_sort` and stops early; the result
        // differs only if nearly all recent items are copies.
        let sql = format!(
            "WITH recent AS (
                 SELECT x.id, x.cluster_id, x.cluster_sim FROM items x
                 WHERE {member} {member_filter}
                 ORDER BY x.sort_time DESC, x.id DESC LIMIT ?5),
             entries AS (
                 SELECT DISTINCT CASE WHEN c.id IS NOT NULL AND (x.id = c.rep_item OR x.cluster_sim >= ?4)
                                      THEN c.rep_item ELSE x.id END AS id
                 FROM recent x LEFT JOIN clusters c ON c.id = x.cluster_id AND ?4 <= 1.0)
             SELECT i.guid, i.link, i.title, i.summary, i.content, i.author, i.categories,
                    i.enclosures, i.published, i.published_off, i.first_seen, i.modified,
                    COALESCE(f.title, f.source_title, f.url), f.url,
                    (SELECT group_concat(DISTINCT fc.category) FROM item_feeds x
                     JOIN feed_categories fc ON fc.feed_id = x.feed_id
                     WHERE x.item_id = i.id
                        OR x.item_id IN (SELECT m.id FROM items m WHERE m.cluster_id = cl.id AND m.cluster_sim >= ?4)),
                    i.id, cl.id, cl.entry_guid
             FROM items i JOIN feeds f ON f.id = i.origin_feed
             LEFT JOIN clusters cl ON cl.id = i.cluster_id AND cl.rep_item = i.id AND ?4 <= 1.0
             WHERE i.id IN entries {filter}
             ORDER BY i.sort_time DESC, i.id DESC LIMIT ?1"
        );
        let pattern = query.map(|q| {
            let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            format!("%{escaped}%")
        });
        let threshold = collapse.unwrap_or(2.0);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let scan = i64::try_from(limit.saturating_mul(8).saturating_add(200)).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let map = |r: &rusqlite::Row| -> rusqlite::Result<(StoredItem, i64, Option<i64>, Option<String>)> {
            let published: Option<i64> = r.get(8)?;
            let offset: Option<i32> = r.get(9)?;
            let published = published.and_then(|p| {
                let off = FixedOffset::east_opt(offset.unwrap_or(0))?;
                off.timestamp_opt(p, 0).single()
            });
            let categories: String = r.get(6)?;
            let enclosures: String = r.get(7)?;
            let item = StoredItem {
                guid: r.get(0)?,
                link: r.get(1)?,
                title: r.get(2)?,
                summary: r.get(3)?,
                content: r.get(4)?,
                author: r.get(5)?,
                categories: serde_json::from_str(&categories).unwrap_or_default(),
                enclosures: serde_json::from_str(&enclosures).unwrap_or_default(),
                published,
                first_seen: DateTime::from_timestamp(r.get(10)?, 0).unwrap_or_default(),
                modified: r
                    .get::<_, Option<i64>>(11)?
                    .and_then(|m| DateTime::from_timestamp(m, 0)),
                feed_categories: r
                    .get::<_, Option<String>>(14)?
                    .map(|c| c.split(',').map(str::to_string).collect())
                    .unwrap_or_default(),
                source_title: r.get(12)?,
                source_url: r.get(13)?,
                also: Vec::new(),
            };
            Ok((item, r.get(15)?, r.get(16)?, r.get(17)?))
        };
        let rows = stmt
            .query_map(params![limit, category, pattern, threshold, scan], map)?
            .collect::<Result<Vec<_>, _>>()?;
        let shown: std::collections::HashSet<String> = rows.iter().map(|(i, ..)| i.guid.clone()).collect();
        let mut also = self.conn.prepare_cached(
            "SELECT COALESCE(f.title, f.source_title, f.url), i.link FROM items i JOIN feeds f ON f.id = i.origin_feed
             WHERE i.cluster_id = ?1 AND i.id != ?2 AND i.cluster_sim >= ?3 ORDER BY i.sort_time, i.id",
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for (mut item, id, cluster, entry_guid) in rows {
            if let (Some(c), Some(g)) = (cluster, entry_guid) {
                item.also = also
                    .query_map(params![c, id, threshold], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()?;
                // The cluster keeps the id readers first saw, unless a copy
                // shown on its own here (a stricter category) already has it.
                if !item.also.is_empty() && (g == item.guid || !shown.contains(&g)) {
                    item.guid = g;
                }
            }
            out.push(item);
        }
        Ok(out)
    }

    /// Earliest next poll of every active feed (unix seconds), by URL.
    pub fn due_times(&self) -> Result<HashMap<String, i64>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT url, MAX(COALESCE(next_due, 0), COALESCE(retry_after, 0)) FROM feeds WHERE active = 1",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The status page's figures: every active feed's state and items, and
    /// the items of each category.
    pub fn status(&self) -> Result<Status, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT f.id, f.url, COALESCE(f.title, f.source_title), f.last_attempt, f.last_success,
                    f.last_status, f.consecutive_errors, f.last_error,
                    MAX(COALESCE(f.next_due, 0), COALESCE(f.retry_after, 0))
             FROM feeds f WHERE f.active = 1 ORDER BY f.url",
        )?;
        let ts = |v: Option<i64>| v.filter(|t| *t > 0).and_then(|t| DateTime::from_timestamp(t, 0));
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                FeedStatus {
                    url: r.get(1)?,
                    title: r.get(2)?,
                    last_attempt: ts(r.get(3)?),
                    last_success: ts(r.get(4)?),
                    last_status: r.get(5)?,
                    consecutive_errors: r.get(6)?,
                    last_error: r.get(7)?,
                    next_due: ts(r.get(8)?),
                    items: 0,
                },
            ))
        })?;
        let mut feeds: Vec<(i64, FeedStatus)> = rows.collect::<Result<_, _>>()?;
        let counts = self.count_items()?;
        for (id, f) in &mut feeds {
            f.items = counts.feeds.get(id).copied().unwrap_or(0);
        }
        Ok(Status {
            categories: counts.categories,
            feeds: feeds.into_iter().map(|(_, f)| f).collect(),
        })
    }

    /// Distinct items per category id plus `all` (items of active feeds),
    /// and items per feed id.
    fn count_items(&self) -> Result<ItemCounts, StoreError> {
        // Decision: one pass over `item_feeds` in its key's order (an
        // item's feeds are adjacent), counting each item once per category
        // here, rather than `COUNT(DISTINCT)` in SQL, which built a
        // temporary B-tree of every item per category, plus a `COUNT(*)`
        // per feed: the status page took 0.5–1.0 s at a million items,
        // now 0.2 s (BENCHMARKS.md).
        let mut names: Vec<String> = vec![crate::config::ALL.to_string()];
        // Per feed: the indices into `names` its items count in, and its items.
        let mut of_feed: HashMap<i64, (Vec<usize>, i64)> = HashMap::new();
        {
            let mut stmt = self.conn.prepare(
                "SELECT f.id, f.active, c.category FROM feeds f
                 LEFT JOIN feed_categories c ON c.feed_id = f.id",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let (slots, _) = of_feed.entry(r.get(0)?).or_default();
                if r.get::<_, bool>(1)? && !slots.contains(&0) {
                    slots.push(0);
                }
                if let Some(cat) = r.get::<_, Option<String>>(2)? {
                    let k = names.iter().position(|n| *n == cat).unwrap_or_else(|| {
                        names.push(cat);
                        names.len() - 1
                    });
                    slots.push(k);
                }
            }
        }
        let mut counts = vec![0i64; names.len()];
        // The last item counted in each slot: the same item through a
        // second feed of a category is not counted again.
        let mut last = vec![0i64; names.len()];
        // The ORDER BY makes SQLite read the table itself: unordered, it
        // reads the (feed, item) index, where an item's feeds are apart.
        let mut stmt = self
            .conn
            .prepare("SELECT item_id, feed_id FROM item_feeds ORDER BY item_id")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (item, feed): (i64, i64) = (r.get(0)?, r.get(1)?);
            let Some((slots, items)) = of_feed.get_mut(&feed) else {
                continue;
            };
            *items += 1;
            for &k in slots.iter() {
                if last[k] != item {
                    last[k] = item;
                    counts[k] += 1;
                }
            }
        }
        Ok(ItemCounts {
            categories: names.into_iter().zip(counts).collect(),
            feeds: of_feed.into_iter().map(|(id, (_, n))| (id, n)).collect(),
        })
    }

    /// Active feeds that failed their last poll.
    pub fn feeds_in_error(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM feeds WHERE active = 1 AND consecutive_errors > 0",
            [],
            |r| r.get(0),
        )?)
    }

    /// The item a URL (link or guid, in any of its variants) identifies.
    pub fn find_item(&self, given: &str) -> Result<Option<i64>, StoreError> {
        // Opaque guids are keyed per source host: every source ever stored
        // (also those since removed from the config) may have brought it.
        let sources: Vec<Url> = self
            .conn
            .prepare("SELECT url FROM feeds")?
            .query_map([], |r| r.get::<_, String>(0))?
            .filter_map(|u| u.ok().and_then(|u| Url::parse(&u).ok()))
            .collect();
        let mut by_key = self
            .conn
            .prepare("SELECT item_id FROM item_keys WHERE key = ?1")?;
        for key in crate::ingest::identity::lookup_keys(given, &sources) {
            if let Some(id) = by_key.query_row([&key], |r| r.get(0)).optional()? {
                return Ok(Some(id));
            }
        }
        Ok(None)
    }

    /// What `huiju explain` shows about one item.
    pub fn item_brief(&self, id: i64) -> Result<ItemBrief, StoreError> {
        Ok(self.conn.query_row(
            "SELECT i.id, i.title, i.content, i.summary, i.link, i.guid, COALESCE(f.title, f.source_title, f.url),
                    f.priority, i.sort_time, i.cluster_id, i.cluster_sim
             FROM items i JOIN feeds f ON f.id = i.origin_feed WHERE i.id = ?1",
            [id],
            |r| {
                Ok(ItemBrief {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    content: r.get(2)?,
                    summary: r.get(3)?,
                    link: r.get(4)?,
                    guid: r.get(5)?,
                    source: r.get(6)?,
                    priority: r.get(7)?,
                    sort_time: r.get(8)?,
                    cluster: r.get(9)?,
                    cluster_sim: r.get(10)?,
                })
            },
        )?)
    }

    /// A cluster's representative, entry id and members (first stored first).
    pub fn cluster(&self, cluster: i64) -> Result<(i64, String, Vec<i64>), StoreError> {
        let (rep, guid): (i64, String) = self.conn.query_row(
            "SELECT rep_item, entry_guid FROM clusters WHERE id = ?1",
            [cluster],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM items WHERE cluster_id = ?1 ORDER BY id")?;
        let members = stmt
            .query_map([cluster], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok((rep, guid, members))
    }

    /// Whether the stored clusters were made by an earlier near-duplicate
    /// rule than [`neardup::RULE`] (then `huiju recluster` should check them).
    pub fn clusters_predate_rule(&self) -> Result<bool, StoreError> {
        let rule: i64 = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'dedup_rule'", [], |r| {
                r.get(0)
            })?;
        Ok(rule < neardup::RULE)
    }

    /// Document frequencies of the stored items dated within `window` of
    /// `t` (the newest [`DF_WARM_ITEMS`] of them), as the writer would
    /// have counted them: what `explain` weighs shared text by.
    pub fn doc_freq_around(
        &self,
        t: i64,
        window: std::time::Duration,
    ) -> Result<neardup::DocFreq, StoreError> {
        let window = i64::try_from(window.as_secs()).unwrap_or(i64::MAX / 4);
        let mut df = neardup::DocFreq::sliding();
        let mut scratch = neardup::Scratch::default();
        let mut stmt = self.conn.prepare(
            "SELECT i.title, i.content, i.summary FROM items i
             WHERE i.sort_time BETWEEN ?1 AND ?2 AND EXISTS (SELECT 1 FROM prints p WHERE p.item_id = i.id)
             ORDER BY i.sort_time DESC LIMIT ?3",
        )?;
        let mut rows = stmt.query(params![
            t.saturating_sub(window),
            t.saturating_add(window),
            DF_WARM_ITEMS
        ])?;
        while let Some(r) = rows.next()? {
            let (title, content, summary): (String, Option<String>, Option<String>) =
                (r.get(0)?, r.get(1)?, r.get(2)?);
            df.add(&neardup::item_fingerprint_with(
                &mut scratch,
                &title,
                content.as_deref(),
                summary.as_deref(),
            ));
        }
        Ok(df)
    }

    /// Items sharing an LSH band with `id` within `window` of its time.
    pub fn near_candidates_of(
        &mut self,
        id: i64,
        fp: &neardup::Fingerprint,
        window: std::time::Duration,
    ) -> Result<Vec<i64>, StoreError> {
        let t: i64 = self
            .conn
            .query_row("SELECT sort_time FROM items WHERE id = ?1", [id], |r| r.get(0))?;
        near_candidates(
            &self.conn,
            &mut self.index,
            &neardup::bands(fp),
            t,
            i64::try_from(window.as_secs()).unwrap_or(i64::MAX / 4),
            id,
        )
        .map(|c| c.into_iter().map(|(id, _)| id).collect())
    }

    /// LSH candidates for a fingerprint at time `t` (for benchmarks and tools).
    #[cfg(feature = "bench")]
    pub fn lsh_candidates(
        &mut self,
        fp: &neardup::Fingerprint,
        t: i64,
        window: std::time::Duration,
    ) -> Result<Vec<i64>, StoreError> {
        near_candidates(
            &self.conn,
            &mut self.index,
            &neardup::bands(fp),
            t,
            i64::try_from(window.as_secs()).unwrap_or(i64::MAX / 4),
            0,
        )
        .map(|c| c.into_iter().map(|(id, _)| id).collect())
    }

    /// Bulk-loads synthetic items with their LSH keys, for benchmarks:
    /// `(time, fingerprint)` pairs in one transaction.
    #[cfg(feature = "bench")]
    pub fn load_index_for_bench(&mut self, rows: &[(i64, neardup::Fingerprint)]) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            tx.execute("INSERT OR IGNORE INTO feeds (id, url) VALUES (1, 'bench:')", [])?;
            let mut item = tx.prepare_cached(
                "INSERT INTO items (origin_feed, guid, title, first_seen, sort_time, content_hash)
                 VALUES (1, '', '', ?1, ?1, 0) RETURNING id",
            )?;
            for (t, fp) in rows {
                let id: i64 = item.query_row([t], |r| r.get(0))?;
                index_bands(&tx, &mut NearIndex::default(), id, *t, &neardup::bands(fp))?;
            }
        }
        tx.commit()?;
        self.index = NearIndex::default();
        Ok(())
    }

    /// Moves the write-ahead log into the database file (for size figures).
    #[cfg(feature = "bench")]
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
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
        let mut out = HashMap::new();
        for key in keys {
            if let Some(known) = stmt
                .query_row(params![key, feed_id], |r| {
                    Ok(Known {
                        content: r.get(0)?,
                        first_seen: r.get(1)?,
                        own: r.get(2)?,
                    })
                })
                .optional()?
            {
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
mod tests {
    use super::*;

    const RSS: &str = r#"<rss version="2.0"><channel><title>t</title>
        <item><title>苏州地铁新线开通</title><link>http://a.example.cn/1.html</link>
        <description>苏州轨道交通新线今日开通运营，沿线设站二十座。</description></item>
        <item><title>太湖蓝藻监测</title><link>http://a.example.cn/2.html</link>
        <description>太湖水质监测站报告本周蓝藻密度下降。</description></item>
        </channel></rss>"#;

    fn items(host: &str) -> Vec<Item> {
        let url = url::Url::parse(&format!("http://{host}/feed.xml")).unwrap();
        let feed = crate::ingest::parse::parse(&RSS.replace("a.example.cn", host), chrono_tz::Asia::Shanghai);
        crate::ingest::normalize::normalize(&feed, &url, &url)
    }

    fn job(feed_id: i64, items: Vec<Item>) -> Refreshed {
        let now = Utc::now();
        Refreshed {
            feed_id,
            meta: SourceMeta::default(),
            prints: neardup::print_items(&items),
            items,
            now,
            plan: Plan {
                consecutive_errors: 0,
                next_due: now,
            },
            near: Some(neardup::Settings {
                params: neardup::Params::default(),
                window: std::time::Duration::from_secs(72 * 3600),
            }),
        }
    }

    fn store_with_feeds(dir: &Path) -> (Store, i64, i64) {
        let cfg = Config::parse(
            "[storage]\ndatabase = \"h.db\"\n[[category]]\nid = \"c\"\ntitle = \"c\"\n\
             [[feed]]\nurl = \"http://a.example.cn/feed.xml\"\ncategories = [\"c\"]\n\
             [[feed]]\nurl = \"http://b.example.cn/feed.xml\"\ncategories = [\"c\"]\n",
            &dir.join("huiju.toml"),
        )
        .unwrap();
        let mut s = Store::open(&dir.join("h.db")).unwrap();
        s.sync_config(&cfg).unwrap();
        let a = s.feed_state("http://a.example.cn/feed.xml").unwrap().unwrap().id;
        let b = s.feed_state("http://b.example.cn/feed.xml").unwrap().unwrap().id;
        (s, a, b)
    }

    /// Group commit: a refresh that fails in a batch is rolled back alone;
    /// the others of the batch are stored, and the in-memory index still
    /// finds their copies afterwards.
    #[test]
    fn a_failing_refresh_in_a_batch_loses_only_itself() {
        let dir = tempfile::tempdir().unwrap();
        let (mut s, a, b) = store_with_feeds(dir.path());
        let jobs = [
            job(a, items("a.example.cn")),
            job(9_999, items("x.example.cn")), // no such feed: foreign key fails
        ];
        let r = s.apply_refreshes(&jobs).unwrap();
        assert_eq!(r[0].as_ref().unwrap().new, 2);
        assert!(r[1].is_err());
        assert_eq!(s.item_count().unwrap(), 2);
        // The same stories under another host's URLs: clustered with feed a's.
        let r = s
            .apply_refresh(
                b,
                &SourceMeta::default(),
                &items("b.example.cn"),
                Utc::now(),
                jobs[0].plan,
                jobs[0].near.as_ref(),
            )
            .unwrap();
        assert_eq!((r.new, r.clustered), (2, 2));
    }

    /// The lookup table is built from the database when a process starts
    /// (prints read by the items' sort time): copies stored after a restart
    /// join the stories stored before it, in a batch whose first job succeeds
    /// without savepoints.
    #[test]
    fn copies_are_found_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let (mut s, a, b) = store_with_feeds(dir.path());
        let r = s.apply_refreshes(&[job(a, items("a.example.cn"))]).unwrap();
        assert_eq!(r[0].as_ref().unwrap().new, 2);
        drop(s);
        let mut s = Store::open(&dir.path().join("h.db")).unwrap();
        let r = s.apply_refreshes(&[job(b, items("b.example.cn"))]).unwrap();
        let c = r[0].as_ref().unwrap();
        assert_eq!((c.new, c.clustered), (2, 2));
    }

    /// Items dated long ago are looked up in an index of their span of
    /// time, built once for a run of them: copies of one old story stored
    /// in the same batch, and in the next, still find each other.
    #[test]
    fn old_copies_find_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let (mut s, a, b) = store_with_feeds(dir.path());
        let dated = |host: &str, days_ago: i64| {
            let mut v = items(host);
            for (n, it) in v.iter_mut().enumerate() {
                let t = Utc::now() - chrono::Duration::days(days_ago) + chrono::Duration::hours(n as i64);
                it.published = Some(t.fixed_offset());
            }
            v
        };
        let r = s
            .apply_refreshes(&[
                job(a, dated("a.example.cn", 365)),
                job(b, dated("b.example.cn", 365)),
            ])
            .unwrap();
        let c = r[1].as_ref().unwrap();
        assert_eq!((c.new, c.clustered), (2, 2), "copies in one batch");
        let r = s.apply_refreshes(&[job(a, dated("c.example.cn", 200))]).unwrap();
        assert_eq!(r[0].as_ref().unwrap().clustered, 0, "nothing of its time to copy");
        let r = s.apply_refreshes(&[job(b, dated("d.example.cn", 200))]).unwrap();
        assert_eq!(r[0].as_ref().unwrap().clustered, 2, "copies in the next batch");
    }

    /// The status page's counts are of distinct items: one carried by two
    /// feeds of a category counts once there, and once in each category
    /// of its feeds; items of feeds no longer configured are not in `all`.
    #[test]
    fn status_counts_items_once() {
        let dir = tempfile::tempdir().unwrap();
        let feed = |host: &str, cats: &str| {
            format!("[[feed]]\nurl = \"http://{host}/feed.xml\"\ncategories = [{cats}]\n")
        };
        let head = "[storage]\ndatabase = \"h.db\"\n[[category]]\nid = \"c\"\ntitle = \"c\"\n\
                    [[category]]\nid = \"d\"\ntitle = \"d\"\n";
        let text = [
            head.to_string(),
            feed("a.example.cn", "\"c\""),
            feed("b.example.cn", "\"c\""),
            feed("e.example.cn", "\"d\""),
            feed("g.example.cn", "\"c\", \"d\""),
            feed("old.example.cn", "\"d\""),
        ]
        .concat();
        let cfg = Config::parse(&text, &dir.path().join("huiju.toml")).unwrap();
        let mut s = Store::open(&dir.path().join("h.db")).unwrap();
        s.sync_config(&cfg).unwrap();
        let id = |s: &Store, host: &str| {
            s.feed_state(&format!("http://{host}/feed.xml"))
                .unwrap()
                .unwrap()
                .id
        };
        let (a, b, e, g, old) = (
            id(&s, "a.example.cn"),
            id(&s, "b.example.cn"),
            id(&s, "e.example.cn"),
            id(&s, "g.example.cn"),
            id(&s, "old.example.cn"),
        );
        // Feeds a, b and e carry the same two items (same links); g two of
        // its own; the feed that leaves the config two more.
        let jobs = [
            job(a, items("a.example.cn")),
            job(b, items("a.example.cn")),
            job(e, items("a.example.cn")),
            job(g, items("g.example.cn")),
            job(old, items("old.example.cn")),
        ];
        for r in s.apply_refreshes(&jobs).unwrap() {
            r.unwrap();
        }
        assert_eq!(s.item_count().unwrap(), 6);
        let status = s.status().unwrap();
        let counts = &status.categories;
        assert_eq!((counts["c"], counts["d"], counts["all"]), (4, 6, 6));
        let items: Vec<i64> = status.feeds.iter().map(|f| f.items).collect();
        assert_eq!(items, [2, 2, 2, 2, 2], "a, b, e, g, old by URL");
        let cfg = Config::parse(
            &text.replace(&feed("old.example.cn", "\"d\""), ""),
            &dir.path().join("huiju.toml"),
        )
        .unwrap();
        s.sync_config(&cfg).unwrap();
        let status = s.status().unwrap();
        let counts = &status.categories;
        assert_eq!((counts["c"], counts["d"], counts["all"]), (4, 4, 4));
        assert_eq!(status.feeds.len(), 4, "only active feeds are listed");
    }

    /// Output feeds list items newest first, ties by id, by walking
    /// `items_sort` (keyed by time alone since migration 6): never by
    /// sorting the category, which at a million items took seconds.
    #[test]
    fn listings_walk_the_time_index_without_sorting() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("h.db")).unwrap();
        s.conn
            .execute_batch(
                "INSERT INTO feeds (id, url) VALUES (1, 'http://a.example.cn/');
                 INSERT INTO items (id, origin_feed, guid, title, first_seen, sort_time, content_hash)
                 VALUES (1, 1, 'a', 't', 0, 100, 0), (2, 1, 'b', 't', 0, 300, 0),
                        (3, 1, 'c', 't', 0, 100, 0), (4, 1, 'd', 't', 0, 200, 0);",
            )
            .unwrap();
        let sql = "SELECT x.id FROM items x ORDER BY x.sort_time DESC, x.id DESC LIMIT 10";
        let plan: Vec<String> = s
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap()
            .query_map([], |r| r.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let plan = plan.join("\n");
        assert!(
            plan.contains("items_sort") && !plan.contains("TEMP B-TREE"),
            "{plan}"
        );
        let order: Vec<i64> = s
            .conn
            .prepare(sql)
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(order, [2, 4, 3, 1]);
    }

    /// A database at schema version `version` with one feed, item 7 and
    /// the rows `sql` adds, at `path`.
    fn old_database(path: &Path, version: usize, sql: &str) {
        let mut c = Connection::open(path).unwrap();
        Migrations::new(migrations()[..version].to_vec())
            .to_latest(&mut c)
            .unwrap();
        c.execute_batch(&format!(
            "INSERT INTO feeds (id, url) VALUES (1, 'http://a.example.cn/');
             INSERT INTO items (id, origin_feed, guid, title, first_seen, sort_time, content_hash)
                 VALUES (7, 1, 'g', 't', 100, 100, 0);
             {sql}"
        ))
        .unwrap();
    }

    /// Migration 7 marks the clusters of a database that has some for a
    /// check with the current rule.
    #[test]
    fn clusters_of_an_earlier_rule_are_marked_for_a_recheck() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        old_database(
            &path,
            6,
            "INSERT INTO clusters (id, rep_item, entry_guid, created) VALUES (1, 7, 'g', 100);",
        );
        assert!(Store::open(&path).unwrap().clusters_predate_rule().unwrap());
        let fresh = Store::open(&dir.path().join("new.db")).unwrap();
        assert!(
            !fresh.clusters_predate_rule().unwrap(),
            "a new database has nothing to check"
        );
    }

    /// Migration 3 moves the LSH rows of a version-2 database into prints.
    #[test]
    fn lsh_rows_become_prints() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        old_database(
            &path,
            2,
            "INSERT INTO lsh VALUES (11, 100, 7), (4294967295, 100, 7);",
        );
        let s = Store::open(&path).unwrap();
        let (t, blob): (i64, Vec<u8>) = s
            .conn
            .query_row("SELECT t, keys FROM prints WHERE item_id = 7", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(t, 100);
        let mut keys = band_index::blob_to_keys(&blob);
        keys.sort();
        assert_eq!(keys, vec![11, u32::MAX]);
        let lsh: i64 = s
            .conn
            .query_row("SELECT count(*) FROM sqlite_master WHERE name = 'lsh'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(lsh, 0);
    }
}
