//! The in-memory LSH index of near-duplicate detection: band key → items,
//! for the items of a recent time span.
//!
//! Decision: the index lived in SQLite as one row per (band, time, item).
//! Band keys are hashes, so the 23 rows of each new item landed on 23
//! random B-tree pages, and every commit rewrote most of the index pages
//! into the WAL: at 1,000 feeds × 50 items, 38 of 43 s went to that. Now
//! the database keeps each item's keys in one append-only row (`prints`),
//! and this table, rebuilt from it on demand, answers the lookups. Its
//! size follows the items of the window being ingested (about 0.4 KB per
//! item), not the size of the database.

/// An open-addressing multimap from band key to item slot, with linear
/// probing: 8 bytes per entry, no allocation per key.
///
/// Decision: the entries are split among [`SEGMENTS`] tables by their
/// key's hash, each growing on its own. One table doubled all at once: at
/// 50,000 items it copied 8 MB into a new 16 MB, and that moment was the
/// peak memory of the 1,000-feed cycle (the same cycle with the table
/// allocated at full size from the start peaked 6.6 MB lower).
pub(crate) struct BandIndex {
    /// Every stored print with `t >= from` is in the index.
    from: i64,
    slots: Slots,
    /// Scratch of [`BandIndex::candidates_at`], kept between lookups: a new
    /// one each time was a large allocation per item, and each made glibc
    /// consolidate its free lists (7 % of the writer's time).
    hits: Vec<Hit>,
    segments: Vec<Segment>,
}

/// The items of a [`BandIndex`], by slot.
///
/// Decision: each slot's time is also kept as 4 bytes apart. Lookups and
/// inserts compare the times of every entry of a key, and read as
/// `(id, time)` pairs, 16 bytes a slot, those reads missed the CPU's
/// caches: they were 40 % of a lookup's time on template news. Ids are
/// read only for the items a lookup finds.
struct Slots {
    /// `(item id, time)` per slot.
    items: Vec<(i64, i64)>,
    /// Per slot, its time less `base`, saturated: exact unless at either
    /// end of the range, where the time is read from `items`.
    offsets: Vec<i32>,
    base: i64,
}

impl Slots {
    fn new(base: i64) -> Slots {
        Slots {
            items: Vec::new(),
            offsets: Vec::new(),
            base,
        }
    }

    fn len(&self) -> usize {
        self.items.len()
    }

    fn push(&mut self, id: i64, t: i64) {
        let offset = i32::try_from(t.saturating_sub(self.base)).unwrap_or(if t < self.base {
            i32::MIN
        } else {
            i32::MAX
        });
        self.items.push((id, t));
        self.offsets.push(offset);
    }

    fn time(&self, slot: u32) -> i64 {
        match self.offsets[slot as usize] {
            i32::MIN | i32::MAX => self.items[slot as usize].1,
            d => self.base + i64::from(d),
        }
    }

    fn id(&self, slot: u32) -> i64 {
        self.items[slot as usize].0
    }
}

/// A lookup's find: slot, id (read once the keys are walked), time, hits
/// through specific keys, hits through crowded keys.
type Hit = (u32, i64, i64, usize, usize);

/// One table of a [`BandIndex`].
struct Segment {
    /// `(band key, slot)`; `slot == EMPTY` marks a free entry. The length
    /// is a power of two.
    table: Vec<(u32, u32)>,
    used: usize,
}

const EMPTY: u32 = u32::MAX;

/// Tables of a [`BandIndex`] (a power of two).
const SEGMENT_BITS: u32 = 6;
const SEGMENTS: usize = 1 << SEGMENT_BITS;
/// Entries of a new table.
const SEGMENT_START: usize = 16;

/// Items of the window sharing a band key that make it crowded
/// ([`BandIndex::candidates`]): a feed of template items (all in the same
/// buckets) costs a bounded number of candidates, not all of them.
pub(crate) const PER_BAND: usize = 8;

/// Entries kept per band key: the latest (by time) `PER_KEY` items.
///
/// Decision: without a cap, N template items sharing their keys made one
/// probe run of N entries per key, walked by every insert and lookup:
/// O(N²) for a feed of N such items (4 × 5,000 took minutes). Dropping
/// the oldest entry of a full key keeps what lookups use (whether
/// [`PER_BAND`] items of a time window share the key, and its latest); the
/// price is that a lookup far back in time, behind more than `PER_KEY`
/// newer items with that key, misses. Every entry of a crowded key lies
/// in the probe runs that lookups of other keys walk, and each is a
/// random read of its item's time: the crowd itself is enough to tell one
/// in the window of the newest items, and walking twice or four times as
/// many was the largest cost of ingesting template news.
pub(crate) const PER_KEY: usize = PER_BAND;

/// A key's table and the hash bits that place it in the table.
fn spot(key: u32) -> (usize, usize) {
    // Band keys are hashes already; the multiply spreads the extra keys
    // (folded-headline hashes) as well. The top bits choose the table,
    // bits below them the entry.
    let m = u64::from(key).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    ((m >> (64 - SEGMENT_BITS)) as usize, (m >> 16) as usize)
}

impl Segment {
    fn with_capacity(cap: usize) -> Segment {
        Segment {
            table: vec![(0, EMPTY); cap],
            used: 0,
        }
    }

    fn home(&self, key: u32) -> usize {
        spot(key).1 & (self.table.len() - 1)
    }

    /// Adds `slot` under `key`, or, when the key has [`PER_KEY`] entries
    /// already, in place of its oldest (if `slot` is newer).
    fn put(&mut self, key: u32, slot: u32, slots: &Slots) {
        let mask = self.table.len() - 1;
        let mut i = self.home(key);
        // The key's entries in this probe run, and its oldest one.
        let (mut same, mut oldest) = (0, None::<(i64, usize)>);
        while self.table[i].1 != EMPTY {
            let (k, s) = self.table[i];
            if k == key {
                same += 1;
                let at = slots.time(s);
                if oldest.is_none_or(|(t, _)| at < t) {
                    oldest = Some((at, i));
                }
            }
            i = (i + 1) & mask;
        }
        match oldest {
            Some((t, at)) if same >= PER_KEY => {
                if slots.time(slot) > t {
                    self.table[at].1 = slot;
                }
            }
            _ => {
                self.table[i] = (key, slot);
                self.used += 1;
            }
        }
    }

    /// Moves `entries` into a table at most half full, as after growing.
    fn rebuild(&mut self, entries: Vec<(u32, u32)>, slots: &Slots) {
        let mut cap = SEGMENT_START;
        while entries.len() * 2 > cap {
            cap *= 2;
        }
        *self = Segment::with_capacity(cap);
        for (k, s) in entries {
            self.put(k, s, slots);
        }
    }

    /// Doubles the table.
    fn grow(&mut self, slots: &Slots) {
        let cap = self.table.len() * 2;
        let old = std::mem::replace(&mut self.table, vec![(0, EMPTY); cap]);
        self.used = 0;
        for (k, s) in old {
            if s != EMPTY {
                self.put(k, s, slots);
            }
        }
    }

    fn entries(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.table.iter().copied().filter(|(_, s)| *s != EMPTY)
    }
}

impl BandIndex {
    /// An empty index that claims every item from time `from` on.
    pub(crate) fn new(from: i64) -> BandIndex {
        BandIndex {
            from,
            slots: Slots::new(from),
            hits: Vec::new(),
            segments: (0..SEGMENTS)
                .map(|_| Segment::with_capacity(SEGMENT_START))
                .collect(),
        }
    }

    /// Earliest time from which the index holds every item.
    pub(crate) fn from(&self) -> i64 {
        self.from
    }

    /// Says the index now also holds every item from `from` on (after the
    /// caller inserted them).
    pub(crate) fn extend_to(&mut self, from: i64) {
        self.from = self.from.min(from);
    }

    pub(crate) fn items(&self) -> usize {
        self.slots.len()
    }

    /// Asks the CPU to load the home entries of `keys` into cache.
    ///
    /// Decision: the tables are megabytes of random keys, so each key's
    /// probe starts with a cache miss; asked for together, the misses
    /// overlap instead of following each other.
    fn prefetch(&self, keys: &[u32]) {
        for &k in keys {
            let seg = &self.segments[spot(k).0];
            super::prefetch(seg.table.as_ptr().wrapping_add(seg.home(k)));
        }
    }

    /// Adds item `id` at time `t` under each of its band keys.
    pub(crate) fn insert(&mut self, id: i64, t: i64, keys: &[u32]) {
        let slot = u32::try_from(self.slots.len()).expect("fewer than 4 billion items in the window");
        self.slots.push(id, t);
        self.prefetch(keys);
        for &k in keys {
            let seg = &mut self.segments[spot(k).0];
            if (seg.used + 1) * 10 > seg.table.len() * 7 {
                seg.grow(&self.slots);
            }
            seg.put(k, slot, &self.slots);
        }
    }

    /// Drops the items older than `from`, keeping the rest (and shrinking
    /// the tables to fit them).
    pub(crate) fn evict_before(&mut self, from: i64) {
        if from <= self.from {
            return;
        }
        self.from = from;
        self.retain(|_, t| t >= from);
    }

    /// Drops the items `gone` says are gone (deleted from the database),
    /// if it holds any; the tables are rebuilt only then.
    pub(crate) fn remove(&mut self, gone: impl Fn(i64) -> bool) {
        if self.slots.items.iter().any(|&(id, _)| gone(id)) {
            self.retain(|id, _| !gone(id));
        }
    }

    /// Keeps the items `keep(id, time)` is true of (and shrinks the tables
    /// to fit them).
    fn retain(&mut self, keep: impl Fn(i64, i64) -> bool) {
        let mut renumber = vec![EMPTY; self.slots.len()];
        let mut slots = Slots::new(self.slots.base);
        for (i, &(id, t)) in self.slots.items.iter().enumerate() {
            if keep(id, t) {
                renumber[i] = slots.len() as u32;
                slots.push(id, t);
            }
        }
        self.slots = slots;
        for seg in &mut self.segments {
            let entries = seg
                .entries()
                .filter(|(_, s)| renumber[*s as usize] != EMPTY)
                .map(|(k, s)| (k, renumber[s as usize]))
                .collect();
            seg.rebuild(entries, &self.slots);
        }
    }

    /// Items sharing a band key with `keys` whose time is within `window`
    /// of `t`, other than `exclude`, ranked by the keys they share (then
    /// newest id), at most `max`.
    ///
    /// A key that [`PER_BAND`] or more items of the window share is
    /// boilerplate by definition (a template's sentences, a portal's
    /// paragraphs): it gives only its latest item, and that hit ranks below
    /// any through a key few items share. A key with fewer gives them all.
    ///
    /// Decision: crowded keys still give one item, not none: a story that
    /// many outlets carry crowds its own keys, and its latest copy is the
    /// one to join.
    ///
    /// `exclude` is looked for among all the index's items (only `huiju
    /// explain` passes one that may be there); 0 excludes nothing.
    #[cfg(test)]
    pub fn candidates(&mut self, keys: &[u32], t: i64, window: i64, exclude: i64, max: usize) -> Vec<i64> {
        self.candidates_at(keys, t, window, exclude, max)
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    }

    /// [`BandIndex::candidates`] with each one's time: `(id, time)`.
    pub(crate) fn candidates_at(
        &mut self,
        keys: &[u32],
        t: i64,
        window: i64,
        exclude: i64,
        max: usize,
    ) -> Vec<(i64, i64)> {
        let (lo, hi) = (t.saturating_sub(window), t.saturating_add(window));
        let skip = if exclude == 0 {
            EMPTY
        } else {
            self.slots
                .items
                .iter()
                .position(|&(id, _)| id == exclude)
                .map_or(EMPTY, |s| s as u32)
        };
        let mut hits = std::mem::take(&mut self.hits);
        hits.clear();
        self.prefetch(keys);
        for &k in keys {
            // The key's items in the window: the first PER_BAND of them, how
            // many in all, and the latest (by time, then slot: a later slot
            // of the same time is a later item).
            let mut bucket = [(0i64, 0u32); PER_BAND];
            let (mut n, mut latest) = (0usize, (i64::MIN, 0u32));
            let seg = &self.segments[spot(k).0];
            let mask = seg.table.len() - 1;
            let mut i = seg.home(k);
            while seg.table[i].1 != EMPTY {
                let (key, slot) = seg.table[i];
                if key == k && slot != skip {
                    let at = self.slots.time(slot);
                    if at >= lo && at <= hi {
                        if n < PER_BAND {
                            bucket[n] = (at, slot);
                        }
                        n += 1;
                        latest = latest.max((at, slot));
                    }
                }
                i = (i + 1) & mask;
            }
            let crowded = n >= PER_BAND;
            let found: &[(i64, u32)] = if crowded {
                std::slice::from_ref(&latest)
            } else {
                &bucket[..n]
            };
            for &(time, slot) in found {
                let at = match hits.iter().position(|h| h.0 == slot) {
                    Some(at) => at,
                    None => {
                        hits.push((slot, 0, time, 0, 0));
                        hits.len() - 1
                    }
                };
                if crowded {
                    hits[at].4 += 1;
                } else {
                    hits[at].3 += 1;
                }
            }
        }
        for h in &mut hits {
            h.1 = self.slots.id(h.0);
        }
        // Ranked by keys shared, then newest id.
        let rank = |a: &Hit, b: &Hit| b.3.cmp(&a.3).then(b.4.cmp(&a.4)).then(b.1.cmp(&a.1));
        // Only the best `max` are ranked among themselves.
        if hits.len() > max && max > 0 {
            hits.select_nth_unstable_by(max - 1, rank);
            hits.truncate(max);
        }
        hits.sort_unstable_by(rank);
        let best = hits.iter().take(max).map(|h| (h.1, h.2)).collect();
        self.hits = hits;
        best
    }
}

/// Band keys as stored in a `prints` row: little-endian `u32`s.
pub(crate) fn keys_to_blob(keys: &[u32]) -> Vec<u8> {
    keys.iter().flat_map(|k| k.to_le_bytes()).collect()
}

pub(crate) fn blob_to_keys(blob: &[u8]) -> Vec<u32> {
    blob.chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_items_sharing_keys_ranked_by_keys_shared() {
        let mut ix = BandIndex::new(0);
        ix.insert(1, 100, &[10, 20, 30]);
        ix.insert(2, 100, &[10, 40, 50]);
        ix.insert(3, 100, &[60, 70, 80]);
        assert_eq!(ix.candidates(&[10, 20, 30], 100, 50, 0, 16), vec![1, 2]);
        assert_eq!(ix.candidates(&[10, 20, 30], 100, 50, 1, 16), vec![2]);
        assert!(ix.candidates(&[99], 100, 50, 0, 16).is_empty());
    }

    #[test]
    fn respects_the_time_window() {
        let mut ix = BandIndex::new(0);
        ix.insert(1, 1_000, &[7]);
        ix.insert(2, 5_000, &[7]);
        assert_eq!(ix.candidates(&[7], 1_100, 200, 0, 16), vec![1]);
        assert_eq!(ix.candidates(&[7], 4_900, 200, 0, 16), vec![2]);
    }

    /// Times too far from the index's own to keep in 4 bytes are compared
    /// exactly all the same.
    #[test]
    fn times_a_century_away_still_fall_in_or_out_of_the_window() {
        let mut ix = BandIndex::new(0);
        let far = 100 * 365 * 86_400;
        ix.insert(1, far, &[7]);
        ix.insert(2, far + 1_000, &[7]);
        ix.insert(3, -far, &[7]);
        assert_eq!(ix.candidates(&[7], far, 10, 0, 16), vec![1]);
        assert_eq!(ix.candidates(&[7], far + 1_000, 10, 0, 16), vec![2]);
        assert_eq!(ix.candidates(&[7], -far, 10, 0, 16), vec![3]);
        assert_eq!(ix.candidates(&[7], far + 500, 500, 0, 16), vec![2, 1]);
    }

    #[test]
    fn a_crowded_bucket_gives_only_its_latest_item_ranked_last() {
        let mut ix = BandIndex::new(0);
        for id in 1..=100 {
            ix.insert(id, id * 10, &[42]);
        }
        ix.insert(7_000, 500, &[43]);
        ix.insert(7_001, 500, &[43]);
        assert_eq!(ix.candidates(&[42], 1_000, 10_000, 0, 16), vec![100]);
        // Through a key few share, both; through the crowded one, its latest, after them.
        assert_eq!(
            ix.candidates(&[42, 43], 1_000, 10_000, 0, 16),
            vec![7_001, 7_000, 100]
        );
        // Fewer than the crowd within the window: all of them.
        let c = ix.candidates(&[42], 1_000, 65, 0, 16);
        assert_eq!(c, vec![100, 99, 98, 97, 96, 95, 94]);
    }

    #[test]
    fn a_crowded_key_keeps_only_its_latest_entries() {
        let mut ix = BandIndex::new(0);
        // Out of time order, as a backfill delivers them.
        for id in 0..5_000i64 {
            let t = (id * 7_919) % 5_000;
            ix.insert(id, t, &[42, id as u32 + 1_000]);
        }
        let crowded: usize = ix
            .segments
            .iter()
            .map(|g| g.entries().filter(|(k, _)| *k == 42).count())
            .sum();
        assert_eq!(crowded, PER_KEY);
        // The latest item by time is the one found.
        let c = ix.candidates(&[42], 5_000, 10_000, -1, 16);
        let times: Vec<i64> = c.iter().map(|id| (id * 7_919) % 5_000).collect();
        assert_eq!(times, vec![4_999]);
        // Keys the crowd shares with no one are all still there.
        assert_eq!(ix.candidates(&[1_000 + 4_321], 0, 10_000, -1, 16), vec![4_321]);
    }

    #[test]
    fn survives_growth_and_eviction() {
        let mut ix = BandIndex::new(0);
        for id in 0..20_000i64 {
            let k = id as u32;
            ix.insert(id, id, &[k, k.wrapping_mul(31), 5_000_000 + (k % 7)]);
        }
        assert_eq!(ix.candidates(&[12_345], 12_345, 10, -1, 16), vec![12_345]);
        // The tables hold 20,000 × 2 entries and the 7 crowded keys'
        // [`PER_KEY`] each, 30-70 % full, whatever size each one reached.
        let entries = 40_000 + 7 * PER_KEY;
        let capacity = |ix: &BandIndex| ix.segments.iter().map(|g| g.table.len()).sum::<usize>();
        assert!(
            (entries * 10 / 7..=entries * 10 / 3).contains(&capacity(&ix)),
            "{}",
            capacity(&ix)
        );
        assert!(ix.segments.iter().all(|g| g.used * 10 <= g.table.len() * 7));
        ix.evict_before(10_000);
        let kept = 20_000 + 7 * PER_KEY;
        // Half full at most, as after growing: within twice that.
        assert!(
            capacity(&ix) <= kept * 4 + SEGMENTS * SEGMENT_START,
            "{}",
            capacity(&ix)
        );
        assert_eq!(ix.items(), 10_000);
        assert_eq!(ix.from(), 10_000);
        assert!(ix.candidates(&[5], 5, 10, -1, 16).is_empty());
        assert_eq!(ix.candidates(&[19_999], 19_999, 10, -1, 16), vec![19_999]);
    }

    #[test]
    fn blobs_round_trip() {
        let keys = [0, 1, u32::MAX, 0xDEAD_BEEF];
        assert_eq!(blob_to_keys(&keys_to_blob(&keys)), keys);
    }
}
