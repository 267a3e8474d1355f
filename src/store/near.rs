//! The near-duplicate step's side of the store: the in-memory band index
//! over the stored prints, the recent fingerprints and sketches, and the
//! choice of an item's cluster.

use super::*;

/// The in-memory LSH lookup tables.
#[derive(Default)]
pub(super) struct NearIndex {
    /// Every item from a window before now on (see [`index_floor`]).
    pub(super) live: Option<BandIndex>,
    /// The items of a span of older times, `(index, end)`: built by the
    /// first lookup of an older item and used by the next ones that fall in
    /// its span (a feed's old items come in runs of nearby dates). Dropped
    /// at the end of each batch: it is memory for a rare case.
    pub(super) past: Option<(BandIndex, i64)>,
    /// Whether the current batch looked anything up in `past`: a batch that
    /// did not lets it go.
    pub(super) past_used: bool,
    /// How many recent items contain each shingle: what makes text
    /// boilerplate rather than evidence. Made with `live`, from the newest
    /// stored items of the window, then kept up to date as items are stored.
    pub(super) df: Option<Box<neardup::DocFreq>>,
    /// Buffers for fingerprinting candidates that are not in [`RecentPrints`].
    pub(super) scratch: neardup::Scratch,
    /// Sketches of the items stored, or compared, since the index was
    /// built, by id, with their time: what tells most candidates apart
    /// without reading their text ([`neardup::may_match`]).
    pub(super) sketches: rustc_hash::FxHashMap<i64, (i64, neardup::Sketch)>,
}

impl NearIndex {
    pub(super) fn add_sketch(&mut self, id: i64, t: i64, fp: &neardup::Fingerprint) {
        if self.sketches.len() >= MAX_SKETCHES {
            // A backfill of months: start again rather than grow.
            self.sketches.clear();
        }
        self.sketches.insert(id, (t, fp.sketch()));
    }

    /// Lets go of items deleted from the database (by a prune), so that a
    /// lookup neither finds them nor, should SQLite give a new item one of
    /// their ids, mistakes one for the other.
    ///
    /// Decision: the document frequencies stay. They weigh shingles by how
    /// many recent items carry them, and an item pruned is old, its counts
    /// halved away long since (or it left by a cap, and its text was as
    /// common as it was). Counting them again from the newest items' text,
    /// as dropping the whole index did, held the first writes after each
    /// prune for 0.2–0.25 s (BENCHMARKS.md, the year).
    pub(super) fn forget(&mut self, gone: &std::collections::HashSet<i64>) {
        if let Some(ix) = &mut self.live {
            ix.remove(|id| gone.contains(&id));
        }
        self.past = None;
        self.sketches.retain(|id, _| !gone.contains(id));
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
pub(super) fn index_bands(
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
pub(super) struct RecentPrints {
    pub(super) order: std::collections::VecDeque<i64>,
    pub(super) prints: rustc_hash::FxHashMap<i64, Arc<neardup::Fingerprint>>,
    /// Prints let go of, for the caller to free ([`Store::take_retired`]):
    /// freeing them (memory the parsing threads allocated) was 4 % of the
    /// writer's time.
    pub(super) retired: Vec<Arc<neardup::Fingerprint>>,
}

impl RecentPrints {
    const KEEP: usize = 512;

    pub(super) fn get(&self, id: i64) -> Option<&neardup::Fingerprint> {
        self.prints.get(&id).map(|fp| &**fp)
    }

    /// Lets go of items deleted from the database (see [`NearIndex::forget`]).
    pub(super) fn forget(&mut self, gone: &std::collections::HashSet<i64>) {
        if self.order.iter().any(|id| gone.contains(id)) {
            self.order.retain(|id| !gone.contains(id));
            for id in gone {
                if let Some(print) = self.prints.remove(id) {
                    self.retired.push(print);
                }
            }
        }
    }

    pub(super) fn add(&mut self, id: i64, fp: &Arc<neardup::Fingerprint>) {
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
///
/// `now` places the in-memory index's window: the refresh's time when
/// storing, so that a simulated clock (`benches/year.rs`) moves it as the
/// daemon's clock does.
#[allow(clippy::too_many_arguments)]
fn near_candidates(
    conn: &Connection,
    index: &mut NearIndex,
    keys: &[u32],
    t: i64,
    window: i64,
    exclude: i64,
    now: i64,
) -> Result<Vec<(i64, i64)>, StoreError> {
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
    now: i64,
) -> Result<(Vec<(i64, neardup::Similarity)>, usize), StoreError> {
    let window = i64::try_from(settings.window.as_secs()).unwrap_or(i64::MAX / 4);
    let mut text = conn.prepare_cached("SELECT title, content, summary FROM items WHERE id = ?1")?;
    let mut found: Vec<(i64, neardup::Similarity)> = Vec::new();
    let mut loads = 0;
    let candidates = near_candidates(conn, index, keys, t, window, exclude, now)?;
    let seen = candidates.len();
    // Their sketches asked for together: each is a cache miss, which one
    // by one would follow each other.
    for (cand, _) in &candidates {
        if let Some((_, sketch)) = index.sketches.get(cand) {
            sketch.prefetch();
        }
    }
    for (cand, at) in candidates {
        // The sketch first, for a fingerprint in memory too: it rules out
        // most candidates of template news (a feed's own recent items among
        // them) for a fraction of the full comparison.
        let sketched = match index.sketches.get(&cand) {
            Some((_, sketch)) if !neardup::may_match(fp, sketch, &settings.params) => continue,
            Some(_) => true,
            None => false,
        };
        let loaded;
        let other = match recent.get(cand) {
            Some(other) if neardup::surely_apart(fp, other, &settings.params) => {
                continue;
            }
            Some(other) => other,
            None => {
                // The best ranked first: past these, a candidate is not
                // worth reading and fingerprinting its text again.
                if !sketched && loads == MAX_LOADED {
                    continue;
                }
                loads += 1;
                // Pruned since the index was built (by `huiju prune`, which
                // cannot reach this process's index): no longer a candidate.
                let Some((title, content, summary)) = text
                    .query_row([cand], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, Option<String>>(1)?,
                            r.get::<_, Option<String>>(2)?,
                        ))
                    })
                    .optional()?
                else {
                    continue;
                };
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
    // A match from memory ([`RecentPrints`]) may have been pruned since
    // (by another process). Unchecked, its missing row failed the whole
    // batch, which was then stored again with the memory dropped. Matches
    // are few (most items have none), so each is checked.
    if !found.is_empty() {
        let mut exists = conn.prepare_cached("SELECT 1 FROM items WHERE id = ?1")?;
        let mut kept = Vec::with_capacity(found.len());
        for m in found {
            if exists.exists([m.0])? {
                kept.push(m);
            }
        }
        found = kept;
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
pub(super) fn near_cluster(
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
    let (found, candidates) = near_matches(conn, index, fp, keys, t, 0, settings, recent, now)?;
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
pub(super) fn elect_representative(conn: &Connection, cluster: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE clusters SET rep_item = (
             SELECT i.id FROM items i JOIN feeds f ON f.id = i.origin_feed
             WHERE i.cluster_id = ?1 ORDER BY f.priority DESC, i.sort_time ASC, i.id ASC LIMIT 1)
         WHERE id = ?1",
    )?
    .execute([cluster])?;
    Ok(())
}

impl Store {
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
            Utc::now().timestamp(),
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
            Utc::now().timestamp(),
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
}
