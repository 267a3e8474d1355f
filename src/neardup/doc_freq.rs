//! How common each shingle is in the recent window: boilerplate is
//! weak evidence, text only two items share is strong.

use super::*;

/// How many recent items contain each shingle, approximately: 8-bit
/// saturating counters indexed by the shingle's hash, halved every
/// [`DocFreq::HALF_LIFE`] items, so that the counts follow the recent
/// window (the window is the corpus).
///
/// Decision: a counting table, not a map of shingles: 1 MB whatever the
/// volume, one increment per counted shingle, and a collision only adds a
/// little to a count (weights only need "a few items" versus "many").
pub struct DocFreq {
    counts: Box<[u8]>,
    items: u32,
    /// Halve every count each [`DocFreq::HALF_LIFE`] items.
    decay: bool,
    /// Shingles of the item being added, to count each once per item.
    seen: Box<[u64; 64]>,
    /// Counter slots of the item being added.
    slots: Vec<usize>,
}

impl Default for DocFreq {
    fn default() -> Self {
        DocFreq {
            counts: vec![0u8; 1 << DocFreq::BITS].into_boxed_slice(),
            items: 0,
            decay: true,
            seen: Box::new([0; 64]),
            slots: Vec::new(),
        }
    }
}

impl DocFreq {
    const BITS: u32 = 20;
    /// Items between two halvings of every count.
    pub const HALF_LIFE: u32 = 20_000;
    /// Shingles in at most this many items weigh fully; more common ones
    /// weigh `FEW / count` (a story carried by a handful of outlets is
    /// still specific to it).
    const FEW: u32 = 6;

    fn slot(h: u64) -> usize {
        (h >> (64 - Self::BITS)) as usize
    }

    /// Counts without decay, for a window whose items are also counted
    /// out ([`DocFreq::remove`]) as they leave it.
    pub fn sliding() -> DocFreq {
        DocFreq {
            decay: false,
            ..DocFreq::default()
        }
    }

    /// Whether shingle `h` is counted: one in four.
    ///
    /// Decision: a sample, since counting is a random memory access per
    /// shingle on the one thread that writes (at one in two it was an
    /// eighth of that thread's time). A quarter of a news text's shingles,
    /// 50 to 100, weigh its specific and common parts within a few
    /// hundredths of all of them.
    pub(super) fn counted(h: u64) -> bool {
        h & 3 == 0
    }

    /// Calls `f` with the counter of each of an item's counted shingles,
    /// once each.
    fn each_count(&mut self, fp: &Fingerprint, mut f: impl FnMut(&mut u8)) {
        self.seen.fill(0);
        self.slots.clear();
        for &h in fp.shingles.iter().filter(|h| Self::counted(**h)) {
            let bit = ((h >> 2) & 4095) as usize;
            if self.seen[bit / 64] & (1 << (bit % 64)) != 0 {
                // Seen in this item (or a rare collision of 12 bits: a count
                // of one item less).
                continue;
            }
            self.seen[bit / 64] |= 1 << (bit % 64);
            let slot = Self::slot(h);
            // The counters are 1 MB of random slots: asked for together,
            // their cache misses overlap instead of following each other.
            prefetch(self.counts.as_ptr().wrapping_add(slot));
            self.slots.push(slot);
        }
        for &slot in &self.slots {
            f(&mut self.counts[slot]);
        }
    }

    /// What of `fp` counting reads: its counted shingles, a quarter of its
    /// size, to keep for [`DocFreq::remove`].
    pub fn counted_part(fp: &Fingerprint) -> Fingerprint {
        Fingerprint {
            shingles: fp
                .shingles
                .iter()
                .copied()
                .filter(|h| Self::counted(*h))
                .collect(),
            ..Fingerprint::default()
        }
    }

    /// Counts an item out again.
    pub fn remove(&mut self, fp: &Fingerprint) {
        self.each_count(fp, |c| *c = c.saturating_sub(1));
        self.items = self.items.saturating_sub(1);
    }

    /// Counts an item's shingles (each once).
    pub fn add(&mut self, fp: &Fingerprint) {
        self.each_count(fp, |c| *c = c.saturating_add(1));
        self.items += 1;
        if self.decay && self.items.is_multiple_of(Self::HALF_LIFE) {
            for c in self.counts.iter_mut() {
                *c /= 2;
            }
        }
    }

    /// Items counted so far.
    pub fn items(&self) -> u32 {
        self.items
    }

    /// About how many counted items contain shingle `h`.
    pub fn count(&self, h: u64) -> u32 {
        u32::from(self.counts[Self::slot(h)])
    }

    /// How much counted shingle `h` weighs as evidence of one story.
    pub fn weight(&self, h: u64) -> f64 {
        let c = self.count(h);
        if c <= Self::FEW {
            1.0
        } else {
            f64::from(Self::FEW) / f64::from(c)
        }
    }
}
