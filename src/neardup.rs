//! One story, one item: near-duplicate detection across sources.
//!
//! A 新华日报 story republished by a city portal keeps its text but gets a
//! new URL, a new headline suffix, a byline, the portal's boilerplate, maybe
//! Traditional characters or one paragraph less. Exact dedup cannot see it.
//!
//! The fingerprint is the set of character 3-gram shingles of the item's
//! folded plain text (Chinese has no spaces: character n-grams need no
//! segmenter), after dropping bylines, datelines and portal boilerplate;
//! plus the numbers the text mentions. Two items are the same story when
//! the smaller one's shingles are almost all in the larger (containment),
//! the sets overlap enough overall (Jaccard), and their numbers agree —
//! the last is what keeps template bulletins (weather, traffic, markets),
//! which differ only in their figures, apart.
//!
//! Candidates come from an LSH index over a one-permutation MinHash
//! signature (one hash per shingle, [`BINS`] bins), so finding them never
//! scans the table.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

/// MinHash bins (one-permutation hashing).
pub const BINS: usize = 63;
/// LSH bands of [`ROWS`] bins each: P(candidate) = 1 − (1 − J³)²¹, 0.94 at
/// Jaccard 0.5 and 0.0002 at 0.02.
pub const BANDS: usize = 21;
pub const ROWS: usize = BINS / BANDS;

/// Tuning of the duplicate decision.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Minimum score (see [`Similarity::score`]) to call two items one story.
    pub threshold: f64,
    /// Minimum Jaccard overlap, so that a short text inside a long one
    /// (a quote, a one-line brief) is not taken for the same story...
    pub min_jaccard: f64,
    /// ...unless the headlines agree at least this much: a portal's teaser
    /// (first paragraph) of a full article is the same story.
    pub teaser_title: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            // On the labelled set, copies score 0.87 and up, distinct pairs
            // that overlap at most 0.80: the threshold sits between.
            threshold: 0.85,
            min_jaccard: 0.4,
            teaser_title: 0.6,
        }
    }
}

/// Near-duplicate detection as configured (`[dedup]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub params: Params,
    /// Copies are looked for within this distance in time.
    pub window: std::time::Duration,
}

/// The version of the decision rule, recorded with the clusters it made
/// (`huiju recluster` checks clusters made by an earlier one). 2: text
/// weighed by how common it is in the window; headlines that differ in a
/// part or a token.
pub const RULE: i64 = 2;

/// `[dedup] window` unless configured: a story's copies appear within
/// three days.
pub const DEFAULT_WINDOW_HOURS: u64 = 72;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            params: Params::default(),
            window: std::time::Duration::from_secs(DEFAULT_WINDOW_HOURS * 3600),
        }
    }
}

/// Fingerprints an item as stored: its content, else its summary.
pub fn item_fingerprint(title: &str, content: Option<&str>, summary: Option<&str>) -> Fingerprint {
    item_fingerprint_with(&mut Scratch::default(), title, content, summary)
}

/// [`item_fingerprint`] with buffers kept from the previous item.
pub fn item_fingerprint_with(
    scratch: &mut Scratch,
    title: &str,
    content: Option<&str>,
    summary: Option<&str>,
) -> Fingerprint {
    fingerprint_with(scratch, title, content.or(summary).unwrap_or(""))
}

/// Fingerprints each item as stored (before it is stored: the refresh's
/// CPU work, done outside the store lock).
pub fn print_items(items: &[crate::ingest::normalize::Item]) -> Vec<Print> {
    let mut scratch = Scratch::default();
    items
        .iter()
        .map(|it| {
            let fp = item_fingerprint_with(
                &mut scratch,
                &it.title,
                it.content.as_deref(),
                it.summary.as_deref(),
            );
            Print {
                bands: bands(&fp),
                fingerprint: std::sync::Arc::new(fp),
            }
        })
        .collect()
}

/// An item's near-duplicate print, made on the parsing threads and carried
/// beside the item to the store.
#[derive(Debug, Clone)]
pub struct Print {
    /// Shared: the store keeps the fingerprints of the items it stored
    /// last (`RecentPrints`), and copying each was 5 % of the writer's time.
    pub fingerprint: std::sync::Arc<Fingerprint>,
    /// The fingerprint's LSH band keys ([`bands`]), computed with it,
    /// outside the store's writer.
    pub bands: Vec<u32>,
}

/// The working buffers of fingerprinting, reused from one item to the next.
///
/// Decision: one set per batch of items (a feed's, or a writer's), not new
/// strings per item: allocating, growing and freeing them was a fifth of
/// fingerprinting, and freeing large blocks made glibc consolidate its
/// free lists again and again.
#[derive(Debug, Default)]
pub struct Scratch {
    /// A paragraph with its tags dropped, then as plain text.
    untagged: String,
    text: String,
    /// A paragraph, or the headline, folded.
    folded: String,
    /// The story's text ([`story_text`]).
    story: String,
    /// The string an index key hashes.
    key: String,
}

/// What an item's text looks like to the detector.
#[derive(Debug, Clone, Default)]
pub struct Fingerprint {
    /// Hashed 3-gram shingles in text order, repeats included: all that
    /// the MinHash signature needs.
    pub shingles: Vec<u64>,
    /// The same shingles sorted and unique, made on first comparison.
    ///
    /// Decision: sorting was 15 % of fingerprinting, and most items are
    /// never compared with anything (they share no LSH band with a stored
    /// item), so the set is made only for the few that are, on the writer.
    set: std::sync::OnceLock<Vec<u64>>,
    /// Hashed numbers in the text, sorted, unique.
    pub numbers: Vec<u64>,
    /// Hashed character bigrams of the headline (tags and outlet suffixes
    /// removed), sorted, unique.
    pub title: Vec<u64>,
    /// Extra index keys for copies that MinHash bands miss because one side
    /// is much shorter (a teaser): the folded headline, and the text's start.
    pub keys: Vec<u64>,
    /// The text carries a correction notice (更正, 应为…).
    pub correction: bool,
    /// The headline as compared: folded, tags and outlet suffixes removed,
    /// letters and digits only ([`story_title`]).
    pub headline: Box<str>,
    /// The shingles a [`Sketch`] keeps (their high 16 bits), sorted and
    /// unique, made on first use: only items that have candidates need
    /// them (most news has none).
    sample: std::sync::OnceLock<Vec<u16>>,
}

impl Fingerprint {
    /// Unique shingles, without sorting them: an upper bound is enough.
    fn shingle_count(&self) -> usize {
        self.set.get().map_or(self.shingles.len(), Vec::len)
    }

    /// The shingles sorted and unique (made once, on first use).
    pub fn shingle_set(&self) -> &[u64] {
        self.set.get_or_init(|| {
            let mut set = self.shingles.clone();
            set.sort_unstable();
            set.dedup();
            set
        })
    }
}

/// How two headlines relate, after tags and outlet suffixes are removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Headline {
    /// Equal, or one is the other with words left out (a shortened headline).
    Same,
    /// Alike but reworded.
    Similar,
    /// Equal but for one short token in the same place: a template filled
    /// for another place or subject (`甘肃：…须知` / `河北：…须知`), or a
    /// reworded verb (`召开` / `举行`). Only near-identical text decides.
    Substituted,
    /// A number or a part marker differs: another part of a series (`（上）`
    /// / `（下）`, `之一` / `之二`, `模块二` / `模块七`), another issue or
    /// another day's notice (both give figures, and neither's are all in
    /// the other's). Never the same story.
    Series,
    /// Little in common.
    Different,
}

impl Headline {
    pub fn describe(self) -> &'static str {
        match self {
            Headline::Same => "the same",
            Headline::Similar => "alike",
            Headline::Substituted => "one token differs (another place or subject?)",
            Headline::Series => "a figure or part marker differs: another part, issue or day",
            Headline::Different => "different",
        }
    }
}

/// Whether both headlines give figures and neither's figures are all in
/// the other's: another day's notice (`2月6日` / `4月20日`), another issue
/// (`第37期` / `第38期`). A copy keeps the figures of its headline; a
/// rewrite may add one (`今年` → `2023年`), which is still a subset.
fn numbers_conflict(a: &str, b: &str) -> bool {
    fn figures(s: &str) -> Vec<&str> {
        let mut v: Vec<&str> = s
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .map(|n| n.trim_matches('.'))
            .filter(|n| !n.is_empty())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
    let (fa, fb) = (figures(a), figures(b));
    let within = |x: &[&str], y: &[&str]| x.iter().all(|n| y.binary_search(n).is_ok());
    !fa.is_empty() && !fb.is_empty() && !within(&fa, &fb) && !within(&fb, &fa)
}

/// Characters that number the parts of a series or the issues of a bulletin.
fn is_ordinal(c: char) -> bool {
    c.is_ascii_digit() || "〇零一二三四五六七八九十百千两上中下甲乙丙丁ⅰⅱⅲⅳⅴⅵⅶⅷⅸⅹ".contains(c)
}

/// How headline `a` relates to `b` (both from [`story_title`]), given the
/// Jaccard overlap of their bigrams.
pub fn headline_relation(a: &str, b: &str, bigrams: f64) -> Headline {
    let (na, nb) = (a.chars().count(), b.chars().count());
    if a == b || (na >= 6 && nb >= 6 && (a.contains(b) || b.contains(a))) {
        return Headline::Same;
    }
    if numbers_conflict(a, b) {
        return Headline::Series;
    }
    // Characters before and after the difference, and the difference of each.
    let prefix = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let suffix = a
        .chars()
        .rev()
        .zip(b.chars().rev())
        .take(na.min(nb) - prefix)
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (na - prefix - suffix, nb - prefix - suffix);
    if ma > 0 && mb > 0 {
        // A number next to the difference belongs to it: `第37期` / `第38期`
        // differ in one digit, but the token is the whole number.
        let before = prefix.checked_sub(1).and_then(|i| a.chars().nth(i));
        let after = a.chars().nth(na - suffix);
        let digits_around =
            before.is_some_and(|c| c.is_ascii_digit()) || after.is_some_and(|c| c.is_ascii_digit());
        let ordinal = |s: &str, n: usize| s.chars().skip(prefix).take(n - prefix - suffix).all(is_ordinal);
        if ordinal(a, na) && ordinal(b, nb) && ((ma <= 4 && mb <= 4) || digits_around) {
            return Headline::Series;
        }
        let kept = prefix + suffix;
        if ma <= 4 && mb <= 4 && kept >= 4 && kept * 5 >= na.max(nb) * 3 {
            return Headline::Substituted;
        }
    } else if (prefix + suffix) * 5 >= na.min(nb) * 4 {
        // One adds words to the other (`今年` / `2023年` is a substitution).
        return Headline::Same;
    }
    if bigrams >= 0.5 {
        Headline::Similar
    } else {
        Headline::Different
    }
}

/// About 130 bytes that stand for a stored item's fingerprint in memory:
/// enough to tell that it cannot be the same story as a new item without
/// reading and fingerprinting its text again.
///
/// Decision: a sample of the shingles (those whose hash is 0 modulo
/// [`SKETCH_RATE`]), 16 bits each, and 32-bit hashes of the figures, all in
/// one allocation with the headline: a sampled containment is within a few
/// hundredths of the real one on texts of news length, and every item of
/// a busy window (50,000) costs about 10 MB.
#[derive(Debug, Clone)]
pub struct Sketch(Box<[u16]>);

/// Layout of a [`Sketch`]: unique shingles (2 words), samples, figures,
/// correction flag, a spare word; then the samples, the figures (2 words
/// each) and the headline in UTF-16.
const SKETCH_HEADER: usize = 6;

impl Sketch {
    fn shingles(&self) -> usize {
        usize::from(self.0[0]) | usize::from(self.0[1]) << 16
    }

    fn sample(&self) -> &[u16] {
        &self.0[SKETCH_HEADER..SKETCH_HEADER + usize::from(self.0[2])]
    }

    /// The figures' hashes (high 32 bits), sorted.
    fn numbers(&self) -> impl Iterator<Item = u32> + '_ {
        let at = SKETCH_HEADER + usize::from(self.0[2]);
        self.0[at..at + 2 * usize::from(self.0[3])]
            .chunks_exact(2)
            .map(|w| u32::from(w[0]) | u32::from(w[1]) << 16)
    }

    fn correction(&self) -> bool {
        self.0[4] != 0
    }

    fn headline(&self) -> String {
        let at = SKETCH_HEADER + usize::from(self.0[2]) + 2 * usize::from(self.0[3]);
        String::from_utf16_lossy(&self.0[at..])
    }
}

/// One shingle in this many is in a [`Sketch`].
const SKETCH_RATE: u64 = 8;
/// Samples below which a [`Sketch`] says nothing (a short text is compared in full).
const SKETCH_MIN: usize = 12;
/// How far below a bar a sampled score may be and still be compared in
/// full: about three standard deviations of the estimate at [`SKETCH_MIN`].
const SKETCH_MARGIN: f64 = 0.25;

impl Fingerprint {
    /// The sampled shingles of [`Sketch`] (their high 16 bits), sorted and unique.
    pub fn sample(&self) -> &[u16] {
        self.sample.get_or_init(|| {
            let mut sample: Vec<u16> = self
                .shingles
                .iter()
                .filter(|h| *h % SKETCH_RATE == 0)
                .map(|h| (h >> 48) as u16)
                .collect();
            sample.sort_unstable();
            sample.dedup();
            sample
        })
    }

    pub fn sketch(&self) -> Sketch {
        // Counts past a word's range are cut: a sketch only rules out.
        let sample = self.sample();
        let sample = &sample[..sample.len().min(usize::from(u16::MAX))];
        let numbers = &self.numbers[..self.numbers.len().min(usize::from(u16::MAX))];
        // UTF-16: two bytes a Chinese character instead of three.
        let headline: Vec<u16> = self.headline.encode_utf16().take(512).collect();
        let shingles = u32::try_from(self.shingle_count()).unwrap_or(u32::MAX);
        let mut w = Vec::with_capacity(SKETCH_HEADER + sample.len() + 2 * numbers.len() + headline.len());
        w.extend([
            shingles as u16,
            (shingles >> 16) as u16,
            sample.len() as u16,
            numbers.len() as u16,
            u16::from(self.correction),
            0,
        ]);
        w.extend_from_slice(sample);
        for n in numbers {
            let h = (n >> 32) as u32;
            w.extend([h as u16, (h >> 16) as u16]);
        }
        w.extend(headline);
        Sketch(w.into_boxed_slice())
    }
}

/// Whether new item `a` may be the same story as the item `b` sketches:
/// false only when the full comparison would say no (its bars lowered by
/// [`SKETCH_MARGIN`] for the sampling error).
pub fn may_match(a: &Fingerprint, b: &Sketch, p: &Params) -> bool {
    let a_sample = a.sample();
    let b_numbers = b.0[3] as usize;
    if a.correction != b.correction() || numbers_disagree(a, b.numbers(), b_numbers, p) {
        return false;
    }
    let b_sample = b.sample();
    if a_sample.len().min(b_sample.len()) < SKETCH_MIN {
        return true;
    }
    // Cheapest first: most candidates fail on the sampled text alone.
    let common = intersection(a_sample, b_sample) as f64;
    let (la, lb) = (a_sample.len() as f64, b_sample.len() as f64);
    let containment = common / la.min(lb);
    if containment < p.threshold - SKETCH_MARGIN {
        return false;
    }
    let jaccard = common / (la + lb - common);
    let b_headline = b.headline();
    let title = {
        let bt = title_bigrams(&b_headline);
        let c = intersection(&a.title, &bt) as f64;
        let u = (a.title.len() + bt.len()) as f64 - c;
        if u > 0.0 { c / u } else { 0.0 }
    };
    let headline = headline_relation(&a.headline, &b_headline, title);
    if headline == Headline::Series {
        return false;
    }
    let teaser_side = |no_numbers_is_a: bool| {
        let (sa, sb) = (a.shingle_count(), b.shingles());
        (if no_numbers_is_a { sa <= sb } else { sb <= sa }) && containment >= STRICT - SKETCH_MARGIN
    };
    let (na, nb) = (a.numbers.len(), b_numbers);
    let numbers = if na.min(nb) == 0 && na.max(nb) >= 3 && !teaser_side(na == 0) {
        0.5
    } else {
        1.0
    };
    let overlap = jaccard >= p.min_jaccard - SKETCH_MARGIN || title >= p.teaser_title - SKETCH_MARGIN;
    let vouched = matches!(headline, Headline::Same | Headline::Similar);
    let bar = if vouched {
        p.threshold
    } else {
        p.threshold.max(STRICT)
    } - SKETCH_MARGIN;
    overlap && containment.min(numbers) >= bar
}

/// Whether both items mention figures and too few agree for the two to be
/// one story, from `a`'s figures and the other's `b` (sorted 32-bit
/// hashes, `nb` of them). Exact but for hash collisions, and costs no text
/// comparison.
fn numbers_disagree(a: &Fingerprint, b: impl Iterator<Item = u32>, nb: usize, p: &Params) -> bool {
    let na = a.numbers.len();
    if na.min(nb) == 0 {
        return false;
    }
    let mut a = a.numbers.iter().map(|h| (h >> 32) as u32).peekable();
    let mut common = 0;
    for y in b {
        while a.next_if(|x| *x < y).is_some() {}
        if a.next_if_eq(&y).is_some() {
            common += 1;
        }
    }
    (common as f64) < p.threshold * na.min(nb) as f64
}

/// Whether item `a` and another are apart whatever their text: exactly
/// one is a correction, or both mention figures and too few agree.
pub fn surely_apart(a: &Fingerprint, b: &Fingerprint, p: &Params) -> bool {
    a.correction != b.correction
        || numbers_disagree(a, b.numbers.iter().map(|h| (h >> 32) as u32), b.numbers.len(), p)
}

/// How alike two fingerprints are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    /// |A ∩ B| / |A ∪ B| of the shingles.
    pub jaccard: f64,
    /// |A ∩ B| / min(|A|, |B|): a copy with a paragraph dropped still scores 1.
    pub containment: f64,
    /// Containment with each shingle weighed by how specific it is to a few
    /// items of the window ([`DocFreq::weight`]): text that many recent
    /// items share (a template's sentences, a portal's paragraphs) counts
    /// for little. Equal to `containment` without document frequencies.
    pub specific: f64,
    /// Share of the shingles in common that were discounted as common to
    /// many items (0 without document frequencies).
    pub boilerplate: f64,
    /// Share of the numbers of the item with fewer numbers found in the other.
    pub numbers: f64,
    /// Jaccard overlap of the headlines' character bigrams.
    pub title: f64,
    /// How the headlines relate.
    pub headline: Headline,
    /// Shingles in common.
    pub common: usize,
    /// Exactly one of the two carries a correction notice.
    pub correction: bool,
}

/// Texts whose headlines do not vouch for each other (reworded past
/// recognition, or differing in one token) are one story only when this
/// much of the text is shared.
///
/// Decision: a portal that rewrites a headline copies the text whole, so a
/// high bar costs few copies; two template reports differ only in their
/// fills and one sentence, so a lower bar merges them.
const STRICT: f64 = 0.95;

impl Similarity {
    /// The score compared with the threshold: containment of the specific
    /// text, held down by disagreeing numbers.
    pub fn score(&self) -> f64 {
        self.containment.min(self.specific).min(self.numbers)
    }

    pub fn is_duplicate(&self, p: &Params) -> bool {
        if self.correction || self.headline == Headline::Series {
            return false;
        }
        // A teaser (a portal's first paragraph of a full article) overlaps
        // little: its headline vouches for it, and all of it is in the other.
        let teaser = self.title >= p.teaser_title
            && self.common >= 20
            && (self.jaccard >= 0.1
                || (self.headline == Headline::Same && self.common >= 40 && self.containment >= STRICT));
        let overlap = self.jaccard >= p.min_jaccard || teaser;
        let vouched = matches!(self.headline, Headline::Same | Headline::Similar);
        // Without the headlines' word, the text itself must be near
        // identical; how specific it is answers another question
        // (boilerplate) and has its own bar, the threshold.
        let near_identical = vouched || self.containment >= p.threshold.max(STRICT);
        // Two fills of one template share text that is nearly all common in
        // the window, and differ in little that is not common either: then
        // `specific` stays near containment, and only equal headlines
        // (after outlet suffixes and tags) make them one story.
        //
        // Decision: a bar on the share of boilerplate this high only. A
        // story that many outlets carry is common text too: its shingles
        // weigh 6/count, so its copies reach 0.9 only past 60 in a window.
        let not_all_boilerplate = self.headline == Headline::Same || self.boilerplate < MOSTLY_BOILERPLATE;
        overlap && near_identical && not_all_boilerplate && self.score() >= p.threshold
    }
}

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
    fn counted(h: u64) -> bool {
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
            #[cfg(target_arch = "x86_64")]
            // SAFETY: a prefetch is a hint; it never faults, whatever the address.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                    self.counts.as_ptr().wrapping_add(slot).cast::<i8>(),
                )
            };
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

/// Paragraphs that are never the story: portal navigation, copyright lines,
/// sharing widgets, editor credits.
const BOILERPLATE: &[&str] = &[
    "当前位置",
    "手机版",
    "电脑版",
    "返回顶部",
    "客户端",
    "不代表本站",
    "本站",
    "投稿",
    "新闻线索",
    "声明:",
    "版权所有",
    "copyright",
    "icp备",
    "icp证",
    "首页>",
    "首页 >",
    "网友热搜",
    "最新发布",
    "更多搜索",
    "内容精选",
    "责任编辑",
    "免责声明",
    "扫一扫",
    "分享到",
    "打印本页",
    "关闭窗口",
    "相关链接",
    "相关阅读",
    "延伸阅读",
    "来源:",
    "来源：",
    "编辑:",
    "编辑：",
];

/// Markers of the "related stories" lists portals put under an article:
/// nothing after them is the story.
const LIST_MARKERS: &[&str] = &[
    "相关阅读",
    "相关新闻",
    "延伸阅读",
    "推荐阅读",
    "猜你喜欢",
    "热门排行",
    "热门推荐",
    "24小时热榜",
];

/// Words of a correction notice: any of the first three alone, or the
/// fourth (应为, "should read") with one of the others.
const CORRECTION_WORDS: [&str; 8] = ["更正", "勘误", "致歉", "应为", "原文", "此前", "刊发", "版本"];

/// Searchers for [`CORRECTION_WORDS`], built once: `str::contains` set one
/// up for every paragraph.
static CORRECTION_FINDERS: LazyLock<Vec<memchr::memmem::Finder<'static>>> =
    LazyLock::new(|| CORRECTION_WORDS.iter().map(memchr::memmem::Finder::new).collect());

/// A correction notice: a corrected version is a story the reader must see.
fn is_correction(p: &str) -> bool {
    let f = &*CORRECTION_FINDERS;
    let has = |i: usize| f[i].find(p.as_bytes()).is_some();
    has(0) || has(1) || has(2) || (has(3) && (4..8).any(has))
}

/// Block-level tags: a paragraph ends before each.
fn is_block_tag(name: &[u8]) -> bool {
    let mut buf = [0u8; 8];
    if name.is_empty() || name.len() > buf.len() {
        return false;
    }
    buf[..name.len()].copy_from_slice(name);
    buf.make_ascii_lowercase();
    matches!(
        &buf[..name.len()],
        b"p" | b"br"
            | b"div"
            | b"li"
            | b"h1"
            | b"h2"
            | b"h3"
            | b"h4"
            | b"h5"
            | b"h6"
            | b"tr"
            | b"section"
            | b"article"
    )
}

/// Calls `f` with each paragraph of `html` as plain text (tags dropped,
/// entities decoded, blank runs collapsed, trimmed), skipping empty ones,
/// until `f` returns false. A paragraph ends before a block tag and at a
/// line break.
///
/// Two buffers serve every paragraph: this ran once per item with five
/// allocations per paragraph, the largest share of fingerprinting.
fn for_each_paragraph(html: &str, untagged: &mut String, text: &mut String, mut f: impl FnMut(&str) -> bool) {
    let mut segment = |seg: &str| -> bool {
        for line in seg.split('\n') {
            crate::ingest::text::html_to_text_into(line, untagged, text);
            let t = text.trim();
            if !t.is_empty() && !f(t) {
                return false;
            }
        }
        true
    };
    let bytes = html.as_bytes();
    let mut last = 0;
    for i in memchr::memchr_iter(b'<', bytes) {
        let mut j = i + 1;
        while bytes.get(j) == Some(&b'/') {
            j += 1;
        }
        let k = j + bytes[j..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if is_block_tag(&bytes[j..k]) {
            if !segment(&html[last..i]) {
                return;
            }
            last = i;
        }
    }
    segment(&html[last..]);
}

/// Boilerplate phrases and list markers in one automaton, so that a
/// paragraph is searched once for both (each search was 2 % of ingest).
/// Patterns below `LIST_MARKERS.len()` are list markers.
static PHRASES_AC: LazyLock<AhoCorasick> = LazyLock::new(|| {
    // Decision: leftmost-first, not overlapping. Only the non-overlapping
    // search uses aho-corasick's SIMD prefilter: 0.34 instead of 1.77 ns
    // per byte on the seed article. It reports the same two answers: list
    // markers come first (so they win over the same words as boilerplate),
    // and no boilerplate phrase ends with the start of a list marker (a
    // unit test holds the cases).
    AhoCorasick::builder()
        .match_kind(aho_corasick::MatchKind::LeftmostFirst)
        .build(LIST_MARKERS.iter().chain(BOILERPLATE))
        .expect("static phrases")
});

/// Whether a paragraph (folded) starts a "related stories" list, and
/// whether it is furniture: it holds a boilerplate phrase and is short,
/// starts with the phrase, or holds two.
///
/// Decision: not any paragraph with a phrase in it. Prose mentions `客户端`
/// or `本站` in passing, and whether such a sentence stands in a paragraph
/// of its own or inside a run-together article must not change the text.
fn phrase_kinds(p: &str) -> (bool, bool) {
    let (mut list, mut found, mut first) = (false, 0, usize::MAX);
    for m in PHRASES_AC.find_iter(p) {
        if m.pattern().as_usize() < LIST_MARKERS.len() {
            list = true;
            break;
        }
        found += 1;
        first = first.min(m.start());
    }
    let furniture = found >= 2 || (found == 1 && (first < 6 || p.chars().nth(SHORT_SENTENCE).is_none()));
    (list, furniture)
}

/// Characters of the Basic Multilingual Plane that Traditional→Simplified
/// conversion may change, mapped to what they become next to characters
/// that are not special (0 for the others, [`CONTEXT`] for the special). Most text has none: then the
/// conversion, three hash lookups per character in fast2s, is skipped;
/// otherwise each character is one table lookup.
static T2S: LazyLock<Vec<u16>> = LazyLock::new(|| {
    let mut table = vec![0u16; 0x10000];
    for c in ('\u{800}'..='\u{FFFF}').filter(|c| c.len_utf8() == 3) {
        let s: String = ['0', c, '0'].iter().collect();
        let to = fast2s::convert(&s).chars().nth(1).expect("three in, three out");
        if to != c {
            table[c as usize] = u16::try_from(u32::from(to)).expect("BMP to BMP");
        }
    }
    for c in T2S_CONTEXT.chars() {
        table[c as usize] = CONTEXT;
    }
    table
});

/// The characters fast2s converts depending on their neighbours (its
/// special cases: 乾隆 stays, 看著 becomes 看着 …), converted one by one
/// ([`in_context`]).
const T2S_CONTEXT: &str = "兒覆夥藉瞭麽幺於乾著苧闔鍾讎畫";
/// [`T2S`]'s mark of a character of [`T2S_CONTEXT`] (U+0001 is no CJK).
const CONTEXT: u16 = 1;

/// Full-width ASCII to half-width, Traditional to Simplified, lower case.
fn fold(s: &str) -> String {
    let mut out = String::new();
    fold_into(s, &mut out);
    out
}

/// [`fold`] into a reused buffer.
fn fold_into(s: &str, out: &mut String) {
    // One pass and no allocation: this ran once per paragraph with three
    // allocations and a full Unicode lower-casing, 20 % of ingest time.
    out.clear();
    out.reserve(s.len());
    let t2s: &[u16] = &T2S;
    // Characters that stay as they are (nearly all) are copied as runs of
    // bytes, not pushed one by one.
    let mut run = 0;
    for (i, c) in s.char_indices() {
        if c.is_ascii() {
            if !c.is_ascii_uppercase() {
                continue;
            }
        } else if c >= '\u{2E80}' && !('\u{FF01}'..='\u{FF5E}').contains(&c) && c != '\u{3000}' {
            let to = t2s.get(c as usize).copied().unwrap_or(0);
            if to == 0 {
                continue;
            }
            out.push_str(&s[run..i]);
            run = i + c.len_utf8();
            out.push(if to == CONTEXT {
                in_context(s, i, c)
            } else {
                char::from_u32(u32::from(to)).unwrap_or(c)
            });
            continue;
        }
        out.push_str(&s[run..i]);
        run = i + c.len_utf8();
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' | '\u{A0}' => ' ',
            _ => c,
        };
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            // Latin, Greek, Cyrillic …; CJK has no case.
            out.extend(c.to_lowercase());
        }
    }
    out.push_str(&s[run..]);
}

/// What fast2s makes of the character of [`T2S_CONTEXT`] at byte `i` of
/// `s`, between its neighbours.
///
/// Decision: fast2s on the three characters, not on the whole paragraph a
/// second time (4 % of the parsing threads: 著 alone is common in
/// Simplified text). Its special cases are pairs of CJK characters, which
/// folding leaves as they are, so the unfolded neighbours give the same
/// answer; `'0'` stands for the start and end of the text, as in fast2s.
fn in_context(s: &str, i: usize, c: char) -> char {
    let prev = s[..i].chars().next_back().unwrap_or('0');
    let next = s[i + c.len_utf8()..].chars().next().unwrap_or('0');
    let window: String = [prev, c, next].iter().collect();
    fast2s::convert(&window).chars().nth(1).unwrap_or(c)
}

/// `char::is_alphanumeric` with the common CJK block first (its table
/// lookup was 7 % of ingest time).
fn is_word_char(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c) || c.is_alphanumeric()
}

/// A byline or dateline. `whole` is a paragraph of its own: then a short
/// one naming a reporter is a byline too; a sentence inside a paragraph
/// (`记者从市交通局获悉。`) is not.
fn is_byline(p: &str, whole: bool) -> bool {
    // Counted no further than the limit: most paragraphs are prose.
    let n = p.chars().take(61).count();
    if n > 60 {
        return false;
    }
    p.starts_with('□')
        || p.starts_with('■')
        || p.starts_with("本报讯")
        || (whole && (p.contains("记者") || p.contains("通讯员")) && n <= 40)
        || (n <= 30 && !p.ends_with('。') && looks_like_dateline(p))
}

/// `新华日报 2023-04-15 10:09`: a source name and a date, nothing else.
fn looks_like_dateline(p: &str) -> bool {
    let digits = p.chars().filter(char::is_ascii_digit).count();
    digits >= 6 && (p.contains('-') || p.contains('年') || p.contains('/'))
}

/// Navigation bars: several very short words separated by spaces.
fn is_nav(p: &str) -> bool {
    // By characters, stopping at the first word of five: a paragraph of
    // prose (no spaces in Chinese) is rejected after five characters, not
    // after a scan of all of it.
    let (mut words, mut run) = (0, 0);
    for c in p.chars() {
        if c.is_whitespace() {
            if run > 0 {
                words += 1;
                run = 0;
            }
        } else {
            run += 1;
            if run > 4 {
                return false;
            }
        }
    }
    words + usize::from(run > 0) >= 4
}

/// `本报讯（记者 吉强）` at the start of the first paragraph.
fn strip_lead_byline(p: &str) -> &str {
    if let Some(rest) = p.strip_prefix("本报讯") {
        let close = rest
            .char_indices()
            .take(40)
            .find(|(_, c)| *c == ')' || *c == '）');
        if let Some((i, c)) = close {
            return rest[i + c.len_utf8()..].trim_start();
        }
        return rest.trim_start();
    }
    p
}

/// Appends the letters, digits and dots of `p` to `out`, copying runs of
/// them as slices rather than character by character.
fn push_word_chars(p: &str, out: &mut String) {
    let mut run = 0;
    for (i, c) in p.char_indices() {
        if !(is_word_char(c) || c == '.') {
            out.push_str(&p[run..i]);
            run = i + c.len_utf8();
        }
    }
    out.push_str(&p[run..]);
}

/// The story's own text: folded, bylines and boilerplate dropped, only
/// letters and digits kept.
pub fn story_text(html: &str) -> String {
    let mut scratch = Scratch::default();
    story_into(html, &mut scratch);
    scratch.story
}

/// Whether `s` has at most `n` characters, counted by bytes that start
/// one (a pass the compiler vectorizes) and only when the byte length
/// leaves it open.
fn at_most_chars(s: &str, n: usize) -> bool {
    s.len() <= n || (s.len() <= 4 * n && s.bytes().filter(|b| (*b as i8) >= -0x40).count() <= n)
}

/// Paragraphs up to this many characters are judged whole, as a portal
/// lays them out; longer ones (an article whose paragraphs were run
/// together, a list page) are judged sentence by sentence.
///
/// Decision: whole short paragraphs, because furniture such as a
/// disclaimer is several sentences of which only one names itself
/// (`本站…。…转载请注明出处。`); sentences in long ones, because a whole
/// article in one `<p>` that mentions `来源` once must not be dropped.
const WHOLE_PARAGRAPH: usize = 200;

/// A sentence of a long paragraph holding a boilerplate phrase is dropped
/// only up to this length: prose may mention `客户端` or `本站`.
const SHORT_SENTENCE: usize = 60;

/// Credit lines a republication puts on top (`原标题：…`, `图片来源：视觉中国`):
/// never the story.
const CREDIT_PREFIXES: &[&str] = &[
    "原标题:",
    "原题:",
    "图片来源:",
    "图片来自:",
    "图源:",
    "题图:",
    "题图来源:",
    "封面图片:",
    "封面图:",
    "来源:",
    "文章来源:",
    "转自:",
];

/// A credit line (folded) without its credit. A paragraph of its own that
/// starts with one is all credit. In a sentence of a run-together article,
/// the credit ends at the first blank within [`CREDIT_LEN`] characters, or
/// is all of a short sentence; a long one without a blank is kept whole
/// (its end cannot be told).
fn strip_credit(p: &str, whole: bool) -> &str {
    // Most paragraphs start with none of the prefixes' first characters:
    // a character compared instead of a dozen prefixes.
    let Some(first) = p.chars().next() else {
        return p;
    };
    if !CREDIT_PREFIXES.iter().any(|c| c.starts_with(first)) {
        return p;
    }
    let Some(rest) = CREDIT_PREFIXES.iter().find_map(|c| p.strip_prefix(c)) else {
        return p;
    };
    let rest = rest.trim_start();
    if whole && p.chars().nth(SHORT_SENTENCE).is_none() {
        return "";
    }
    match rest
        .char_indices()
        .take(CREDIT_LEN)
        .find(|(_, c)| c.is_whitespace())
    {
        Some((i, _)) => rest[i..].trim_start(),
        None if rest.chars().nth(CREDIT_LEN).is_none() => "",
        None => p,
    }
}

/// The longest credit (`视觉中国`, an original headline) [`strip_credit`]
/// takes off a run-together first sentence.
const CREDIT_LEN: usize = 40;

/// Words inside parentheses that make the parenthetical a note of the
/// republishing desk, not story text: `（责任编辑：张三）`, `（来源：新华日报）`,
/// `（本文图片由受访单位提供）`.
const NOTE_WORDS: &[&str] = &["编辑", "来源", "记者", "原标题", "图片", "摄影", "通讯员", "稿件"];

/// Calls `f` with each sentence of `p`: the text up to and including a
/// sentence end (`。!?;…`) and the closing quotes and brackets after it.
fn for_each_sentence(p: &str, mut f: impl FnMut(&str) -> bool) -> bool {
    let mut start = 0;
    let mut chars = p.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if matches!(c, '。' | '!' | '?' | ';' | '…') {
            while let Some(&(_, n)) = chars.peek() {
                if matches!(
                    n,
                    '”' | '"' | '’' | '\'' | ')' | '」' | '』' | '》' | '…' | '。' | '!' | '?'
                ) {
                    chars.next();
                } else {
                    break;
                }
            }
            let end = chars.peek().map_or(p.len(), |(i, _)| *i);
            if !f(p[start..end].trim()) {
                return false;
            }
            start = end;
        }
    }
    start >= p.len() || f(p[start..].trim())
}

/// Appends the letters, digits and dots of `p` to `out`, leaving out the
/// desk's notes in parentheses ([`NOTE_WORDS`]) and entity names left by
/// text escaped twice (`&amp;nbsp;` reads as `&nbsp;`).
fn push_story_chars(p: &str, out: &mut String) {
    let mut rest = p;
    while let Some(i) = memchr::memchr2(b'(', b'&', rest.as_bytes()) {
        push_word_chars(&rest[..i], out);
        let tail = &rest[i..];
        let skip = if tail.starts_with('(') {
            // A note closes within 40 characters and names the desk.
            tail.char_indices()
                .take(40)
                .find(|(_, c)| *c == ')')
                .filter(|(j, _)| NOTE_WORDS.iter().any(|w| tail[..*j].contains(w)))
                .map(|(j, _)| j + 1)
        } else {
            // `&name;`: up to ten ASCII letters and a semicolon.
            let name = tail[1..]
                .bytes()
                .take(11)
                .take_while(u8::is_ascii_alphanumeric)
                .count();
            (name > 0 && tail.as_bytes().get(1 + name) == Some(&b';')).then_some(name + 2)
        };
        let skip = skip.unwrap_or(1);
        if skip == 1 {
            push_word_chars(&tail[..1], out);
        }
        rest = &tail[skip..];
    }
    push_word_chars(rest, out);
}

/// The story's text into `scratch.story`; true if it carries a correction notice.
///
/// The result does not depend on how the text is laid out: a paragraph
/// break, a `<br>`, a line break or none between two sentences give the
/// same text, since only letters and digits are kept and furniture is
/// recognised by its words, not by its place.
fn story_into(html: &str, scratch: &mut Scratch) -> bool {
    let Scratch {
        untagged,
        text,
        folded,
        story: out,
        ..
    } = scratch;
    out.clear();
    let mut correction = false;
    // One piece of text (a short paragraph, or a sentence of a long one):
    // false once a "related stories" list starts.
    let mut piece = |p: &str, whole: bool, out: &mut String| -> bool {
        let p = strip_credit(strip_lead_byline(p.trim()), whole);
        let (list, boilerplate) = phrase_kinds(p);
        if list && (whole || LIST_MARKERS.iter().any(|m| p.starts_with(m))) {
            return false;
        }
        correction |= is_correction(p);
        if !(p.is_empty() || is_byline(p, whole) || is_nav(p) || boilerplate) {
            push_story_chars(p, out);
        }
        true
    };
    for_each_paragraph(html, untagged, text, |p| {
        fold_into(p, folded);
        let p = folded.trim();
        if at_most_chars(p, WHOLE_PARAGRAPH) {
            piece(p, true, out)
        } else {
            for_each_sentence(p, |s| piece(s, false, out))
        }
    });
    correction
}

/// A headline without outlet suffixes and bracketed tags, folded.
pub fn story_title(title: &str) -> String {
    title_of_folded(&fold(title))
}

/// [`story_title`] of a headline already folded.
fn title_of_folded(t: &str) -> String {
    let mut t = t;
    // Suffixes such as `_新华报业网`, ` - 苏州都市网`, ` | 交汇点`. Most
    // headlines have none of the separators' characters: one pass over
    // them saves six substring searches (1 % of the parsing threads).
    let separators: &[&str] = if t.contains(['_', '-', '|', '—']) {
        &["_", " - ", "-", " | ", "|", "——"]
    } else {
        &[]
    };
    for &sep in separators {
        if let Some(i) = t.rfind(sep) {
            let tail = &t[i + sep.len()..];
            if !tail.is_empty() && tail.chars().count() <= 8 && i > 0 {
                t = &t[..i];
            }
        }
    }
    let mut out = String::with_capacity(t.len());
    let mut depth = 0usize;
    for c in t.chars() {
        match c {
            '【' | '[' => depth += 1,
            '】' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    // Three copies of every headline for a rare tag: only when one may be there.
    if out.contains('(') {
        out = out
            .replace("(图)", "")
            .replace("(视频)", "")
            .replace("(组图)", "");
    }
    out.retain(is_word_char);
    out
}

/// A text shorter than this (in characters) is fingerprinted with its
/// headline in front.
const TITLE_INTO_TEXT_BELOW: usize = 60;

/// splitmix64's finalizer: spreads packed code points over all 64 bits.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn hash(s: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(s.as_bytes())
}

/// Fingerprints an item from its title and HTML content.
#[cfg(any(test, feature = "bench"))]
pub fn fingerprint(title: &str, html: &str) -> Fingerprint {
    fingerprint_with(&mut Scratch::default(), title, html)
}

/// [`fingerprint`] with buffers kept from the previous item.
pub fn fingerprint_with(scratch: &mut Scratch, title: &str, html: &str) -> Fingerprint {
    let correction = story_into(html, scratch);
    fold_into(title, &mut scratch.folded);
    let correction = correction || is_correction(&scratch.folded);
    let folded_title = title_of_folded(&scratch.folded);
    let Scratch { story: text, key, .. } = scratch;
    let mut chars = text.chars().count();
    // Summary-only feeds: let the headline carry weight when there is little text.
    if chars < TITLE_INTO_TEXT_BELOW {
        text.insert_str(0, &folded_title);
        chars = text.chars().count();
    }
    // Shingles from a rolling window of three code points (21 bits each
    // pack into one u64), without collecting the characters first.
    // Sized by the characters, an upper bound: the vector is kept with the
    // item until it is stored, and recently stored items keep theirs.
    let mut shingles: Vec<u64> = Vec::with_capacity(chars);
    // Numbers: runs of ASCII digits and inner dots, found in the same pass.
    let mut numbers: Vec<u64> = Vec::new();
    let mut number: Option<usize> = None;
    let (mut window, mut n) = (0u64, 0);
    for (i, c) in text.char_indices() {
        if c.is_ascii_digit() {
            number.get_or_insert(i);
        } else if c == '.' {
            continue;
        } else if let Some(start) = number.take() {
            numbers.push(hash(text[start..i].trim_end_matches('.')));
        }
        window = ((window << 21) | u64::from(c)) & ((1 << 63) - 1);
        n += 1;
        if n >= 3 {
            shingles.push(mix(window));
        }
    }
    if let Some(start) = number {
        numbers.push(hash(text[start..].trim_end_matches('.')));
    }
    if n < 3 {
        shingles.push(mix(window));
    }
    numbers.sort_unstable();
    numbers.dedup();
    let mut keys = Vec::new();
    if folded_title.chars().count() >= 6 {
        key.clear();
        key.push_str("title:");
        key.push_str(&folded_title);
        keys.push(hash(key));
    }
    key.clear();
    key.push_str("lead:");
    let mut lead = 0;
    key.extend(text.chars().filter(|c| *c != '.').take(24).inspect(|_| lead += 1));
    if lead == 24 {
        keys.push(hash(key));
    }
    let title = title_bigrams(&folded_title);
    Fingerprint {
        shingles,
        set: std::sync::OnceLock::new(),
        numbers,
        title,
        keys,
        correction,
        headline: folded_title.into_boxed_str(),
        sample: std::sync::OnceLock::new(),
    }
}

/// The hashed character bigrams of a headline, sorted and unique.
fn title_bigrams(headline: &str) -> Vec<u64> {
    let mut title: Vec<u64> = headline
        .chars()
        .zip(headline.chars().skip(1))
        .map(|(a, b)| {
            // The two characters' UTF-8, as `hash` of their string sees it.
            let mut buf = [0u8; 8];
            let n = a.encode_utf8(&mut buf).len();
            let m = b.encode_utf8(&mut buf[n..]).len();
            xxhash_rust::xxh3::xxh3_64(&buf[..n + m])
        })
        .collect();
    title.sort_unstable();
    title.dedup();
    title
}

fn intersection<T: Ord>(a: &[T], b: &[T]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// How alike two fingerprints are, all text weighing the same.
pub fn compare(a: &Fingerprint, b: &Fingerprint) -> Similarity {
    compare_with(a, b, None)
}

/// [`compare_with`], always weighing the shingles: for tools that show
/// the evidence, not only the decision.
pub fn compare_weighed(a: &Fingerprint, b: &Fingerprint, df: &DocFreq) -> Similarity {
    let mut sim = compare(a, b);
    (sim.specific, sim.boilerplate) = weighed(a.shingle_set(), b.shingle_set(), df);
    sim
}

/// How alike two fingerprints are, with shingles weighed by how specific
/// they are to a few items of the window when `df` is given.
pub fn compare_with(a: &Fingerprint, b: &Fingerprint, df: Option<&DocFreq>) -> Similarity {
    let (a_set, b_set) = (a.shingle_set(), b.shingle_set());
    let common = intersection(a_set, b_set) as f64;
    let (la, lb) = (a_set.len() as f64, b_set.len() as f64);
    let union = la + lb - common;
    let min = la.min(lb);
    let containment = if min > 0.0 { common / min } else { 0.0 };
    let numbers = {
        let (na, nb) = (a.numbers.len(), b.numbers.len());
        // The side without figures is a teaser found whole in the other.
        let teaser = if na == 0 { la <= lb } else { lb <= la } && containment >= STRICT;
        if na.min(nb) == 0 {
            // One side mentions no figures at all while the other has
            // several: not the same report, unless it is the other's start.
            if na.max(nb) >= 3 && !teaser { 0.5 } else { 1.0 }
        } else {
            intersection(&a.numbers, &b.numbers) as f64 / na.min(nb) as f64
        }
    };
    let title = {
        let c = intersection(&a.title, &b.title) as f64;
        let u = (a.title.len() + b.title.len()) as f64 - c;
        if u > 0.0 { c / u } else { 0.0 }
    };
    let mut sim = Similarity {
        jaccard: if union > 0.0 { common / union } else { 0.0 },
        containment,
        specific: containment,
        boilerplate: 0.0,
        numbers,
        title,
        headline: headline_relation(&a.headline, &b.headline, title),
        common: common as usize,
        correction: a.correction != b.correction,
    };
    // Weighing costs a lookup per shingle, and can only lower the score:
    // only worth it when the raw text could make the two one story at the
    // lowest threshold the config allows.
    if let Some(df) = df
        && sim.is_duplicate(&Params {
            threshold: MIN_THRESHOLD,
            ..Params::default()
        })
    {
        (sim.specific, sim.boilerplate) = weighed(a_set, b_set, df);
    }
    sim
}

/// The share of discounted weight above which shared text is template
/// text, whatever its containment.
const MOSTLY_BOILERPLATE: f64 = 0.9;

/// The lowest `[dedup] threshold` the config accepts.
pub const MIN_THRESHOLD: f64 = 0.5;

/// Weighed containment of two sorted shingle sets, and the share of the
/// weight of their common shingles that was discounted: over the shingles
/// [`DocFreq`] counts.
fn weighed(a: &[u64], b: &[u64], df: &DocFreq) -> (f64, f64) {
    let (mut wa, mut wb, mut wc, mut nc) = (0.0, 0.0, 0.0, 0usize);
    let a: Vec<u64> = a.iter().copied().filter(|h| DocFreq::counted(*h)).collect();
    let b: Vec<u64> = b.iter().copied().filter(|h| DocFreq::counted(*h)).collect();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let (x, y) = (a.get(i).copied(), b.get(j).copied());
        match (x, y) {
            (Some(x), Some(y)) if x == y => {
                let w = df.weight(x);
                wa += w;
                wb += w;
                wc += w;
                nc += 1;
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => {
                wa += df.weight(x);
                i += 1;
            }
            (Some(x), None) => {
                wa += df.weight(x);
                i += 1;
            }
            (_, Some(y)) => {
                wb += df.weight(y);
                j += 1;
            }
            (None, None) => unreachable!("loop condition"),
        }
    }
    let min = f64::min(wa, wb);
    let specific = if min > 0.0 { wc / min } else { 0.0 };
    let boilerplate = if nc > 0 { 1.0 - wc / nc as f64 } else { 0.0 };
    (specific, boilerplate)
}

/// What two items share, as text: for `huiju explain`.
#[derive(Debug, Default)]
pub struct Evidence {
    /// Runs of shared text specific to a few items, longest first.
    pub specific: Vec<String>,
    /// Runs of shared text that many items of the window carry
    /// (discounted as boilerplate), longest first.
    pub boilerplate: Vec<String>,
}

/// The runs of the story text of item `(title, html)` whose shingles are
/// also in `other`, sorted into specific and boilerplate by `df` (a
/// shingle weighing less than half is boilerplate); at most `max` of each.
pub fn evidence(title: &str, html: &str, other: &Fingerprint, df: Option<&DocFreq>, max: usize) -> Evidence {
    let mut text = story_text(html);
    if text.chars().count() < TITLE_INTO_TEXT_BELOW {
        text.insert_str(0, &story_title(title));
    }
    let set = other.shingle_set();
    let chars: Vec<char> = text.chars().collect();
    // Per character: shared with `other`; per shingle end: its weight, if counted.
    let mut shared = vec![false; chars.len()];
    let mut weight: Vec<Option<f64>> = vec![None; chars.len()];
    // Shingles skip the dots inside numbers, as the fingerprint's do.
    let letters: Vec<usize> = (0..chars.len()).filter(|&i| chars[i] != '.').collect();
    let mut window = 0u64;
    for (n, &i) in letters.iter().enumerate() {
        window = ((window << 21) | u64::from(chars[i])) & ((1 << 63) - 1);
        if n < 2 {
            continue;
        }
        let h = mix(window);
        if set.binary_search(&h).is_ok() {
            shared[letters[n - 2]..=i].fill(true);
            if let Some(df) = df.filter(|_| DocFreq::counted(h)) {
                weight[i] = Some(df.weight(h));
            }
        }
    }
    // A run of shared text is boilerplate when most of its counted
    // shingles weigh less than half.
    let mut ev = Evidence::default();
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        while i < chars.len() && shared[i] == shared[start] {
            i += 1;
        }
        if !shared[start] {
            continue;
        }
        let (light, counted) = weight[start..i]
            .iter()
            .flatten()
            .fold((0, 0), |(l, n), w| (l + usize::from(*w < 0.5), n + 1));
        let run: String = chars[start..i].iter().collect();
        if counted > 0 && light * 2 > counted {
            ev.boilerplate.push(run);
        } else {
            ev.specific.push(run);
        }
    }
    for runs in [&mut ev.specific, &mut ev.boilerplate] {
        runs.retain(|r| r.chars().count() >= 4);
        runs.sort_by_key(|r| std::cmp::Reverse(r.chars().count()));
        runs.truncate(max);
    }
    ev
}

/// One-permutation MinHash: each shingle lands in one bin by its hash,
/// each bin keeps its minimum; empty bins borrow from the next full one.
pub fn signature(fp: &Fingerprint) -> [u32; BINS] {
    let mut sig = [u32::MAX; BINS];
    for &h in &fp.shingles {
        let bin = (h % BINS as u64) as usize;
        let v = (h >> 32) as u32;
        if v < sig[bin] {
            sig[bin] = v;
        }
    }
    // Densify: rotation keeps the estimate unbiased enough for banding.
    if sig.iter().any(|v| *v != u32::MAX) {
        for i in 0..BINS {
            if sig[i] == u32::MAX {
                let mut j = (i + 1) % BINS;
                while sig[j] == u32::MAX {
                    j = (j + 1) % BINS;
                }
                sig[i] = sig[j].wrapping_add(i as u32);
            }
        }
    }
    sig
}

/// LSH band keys: items sharing any band key are candidates.
pub fn bands(fp: &Fingerprint) -> Vec<u32> {
    let sig = signature(fp);
    (0..BANDS)
        .map(|b| {
            // The band number and its rows, hashed in one call (the
            // streaming hasher gives the same value, at several times the cost).
            let mut buf = [0u8; 4 * (ROWS + 1)];
            buf[..4].copy_from_slice(&(b as u32).to_le_bytes());
            for (r, v) in sig[b * ROWS..(b + 1) * ROWS].iter().enumerate() {
                buf[4 * (r + 1)..4 * (r + 2)].copy_from_slice(&v.to_le_bytes());
            }
            xxhash_rust::xxh3::xxh3_64(&buf) as u32
        })
        .chain(fp.keys.iter().map(|k| *k as u32))
        .collect()
}

/// Distinct band keys of a fingerprint, as a set (for tests and tools).
#[cfg(test)]
pub fn band_set(fp: &Fingerprint) -> std::collections::HashSet<u32> {
    bands(fp).into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The phrases are searched without overlaps, leftmost first: a list
    /// marker must still be seen when boilerplate comes before it or is the
    /// same words.
    #[test]
    fn list_markers_are_seen_beside_boilerplate() {
        assert_eq!(phrase_kinds("相关阅读"), (true, false));
        assert_eq!(phrase_kinds("延伸阅读:"), (true, false));
        assert_eq!(phrase_kinds("版权所有 本站 相关新闻"), (true, true));
        let prose = "据新华社客户端消息，来源于省总工会、省人社厅和省统计局等多个部门的数据显示，全省工会工作在助企纾困、技能提升方面成效明显。";
        assert_eq!(phrase_kinds(prose), (false, false));
        assert_eq!(
            phrase_kinds(
                "本站部分文章来自网络，转载请注明出处，如有侵权请联系删除，我们将在第一时间处理，感谢您的理解与支持，谢谢合作，祝您阅读愉快。"
            ),
            (false, true)
        );
        assert_eq!(phrase_kinds("热门推荐阅读"), (true, false));
        assert_eq!(phrase_kinds("本站声明:转载请注明"), (false, true));
        assert_eq!(phrase_kinds("苏州地铁6号线今日开通"), (false, false));
    }

    #[test]
    fn correction_notices_need_a_correction_word() {
        assert!(is_correction("本报4月15日刊发的报道更正如下"));
        assert!(is_correction("特此勘误"));
        assert!(is_correction("谨向读者致歉。"));
        assert!(is_correction("原文中“3亿元”应为“3000万元”"));
        assert!(is_correction("“3亿元”应为“3000万元”,此前版本有误"));
        assert!(!is_correction("新区面积应为全市最大"), "应为 alone");
        assert!(!is_correction("此前刊发的版本"), "no correction word");
        assert!(!is_correction("苏州地铁6号线今日开通"));
    }

    /// Numbers run over inner dots and are found wherever they stand.
    #[test]
    fn numbers_are_digit_runs_with_inner_dots() {
        let fp = fingerprint("标题", "<p>增长3.5%,达到1200亿元。</p><p>共12.个项目</p><p>7</p>");
        let mut want: Vec<u64> = ["3.5", "1200", "12", "7"].iter().map(|n| hash(n)).collect();
        want.sort_unstable();
        assert_eq!(fp.numbers, want);
    }

    #[test]
    fn navigation_bars_are_short_words_between_spaces() {
        assert!(is_nav("首页 新闻 体育 财经"));
        assert!(is_nav("  首页  新闻\u{3000}体育 财经 "));
        assert!(!is_nav("首页 新闻 体育"), "three words are not a bar");
        assert!(!is_nav("首页 新闻 体育 财经频道页"), "a word of five characters");
        assert!(!is_nav("苏州地铁6号线今日开通运营"));
    }

    /// Buffers reused from item to item carry nothing over: a long story, a
    /// short one (which takes in its headline), a correction, an empty one.
    #[test]
    fn a_reused_scratch_fingerprints_as_a_fresh_one() {
        let items = [
            ("苏州地铁6号线今日开通_新华报业网", SEED.to_string()),
            ("短讯", "<p>今日晴。</p>".to_string()),
            (
                "【更正】苏州地铁",
                format!("{SEED}<p>原文“3亿元”应为“3000万元”</p>"),
            ),
            ("", String::new()),
            (
                "苏州天气预报 - 苏州都市网",
                "<p>多云,气温14到25度,东南风3级。</p>".to_string(),
            ),
        ];
        let mut scratch = Scratch::default();
        for round in 0..2 {
            for (title, html) in &items {
                let (a, b) = (
                    fingerprint_with(&mut scratch, title, html),
                    fingerprint(title, html),
                );
                let what = format!("round {round}: {title}");
                assert_eq!(a.shingles, b.shingles, "{what}");
                assert_eq!(a.numbers, b.numbers, "{what}");
                assert_eq!(a.title, b.title, "{what}");
                assert_eq!(a.keys, b.keys, "{what}");
                assert_eq!(a.correction, b.correction, "{what}");
            }
        }
    }

    #[test]
    fn the_shingle_set_is_the_shingles_sorted_and_unique() {
        let fp = fingerprint("标题", "<p>苏州苏州苏州苏州地铁开通地铁开通</p>");
        let set = fp.shingle_set();
        assert!(set.windows(2).all(|w| w[0] < w[1]), "{set:?}");
        let mut raw = fp.shingles.clone();
        assert!(raw.len() > set.len(), "the text repeats shingles");
        raw.sort_unstable();
        raw.dedup();
        assert_eq!(raw, set);
    }

    /// `fast2s::replace` writes each converted character into the three
    /// bytes of the original: every three-byte character must convert to a
    /// three-byte one, or `fold` would corrupt its string.
    #[test]
    fn fast2s_keeps_three_byte_characters_three_bytes() {
        for c in ('\u{800}'..='\u{FFFF}').filter(|c| c.len_utf8() == 3) {
            for ctx in ['0', '的', '乾'] {
                let s: String = [ctx, c, ctx].iter().collect();
                let out = fast2s::convert(&s);
                assert!(
                    out.chars().all(|o| o.len_utf8() == 3 || o == '0'),
                    "{c:?} → {out:?}"
                );
            }
        }
        assert_eq!(fold("ＡＢＣ　臺灣 Straße"), "abc 台湾 straße");
        assert_eq!(fold("乾隆的乾兒子"), "乾隆的干儿子");
        assert_eq!(fold("看著"), "看着");
        assert_eq!(fold("慰藉"), "慰藉");
        assert!(T2S['臺' as usize] != 0 && T2S['台' as usize] == 0 && T2S['a' as usize] == 0);
    }

    /// The conversion table and its special characters give what fast2s
    /// gives: every character that may change, beside itself, an ordinary
    /// character and each special one (whose conversion depends on the
    /// neighbour).
    #[test]
    fn fold_converts_as_fast2s_does() {
        let mut contexts: Vec<char> = T2S_CONTEXT.chars().collect();
        contexts.extend([
            '0', '的', '口', '麻', '家', '書', '計', '企', '看', '慰', '隆', '寬', '望',
        ]);
        for c in ('\u{2E80}'..='\u{FFFF}').filter(|c| T2S[*c as usize] != 0) {
            for &x in &contexts {
                for s in [[x, c], [c, x], [c, c]] {
                    let s: String = s.iter().collect();
                    assert_eq!(fold(&s), fast2s::convert(&s), "{s}");
                }
            }
        }
    }

    /// Whole texts fold as the two-step way did: case and width folded
    /// first, then the text through fast2s. Special characters stand beside
    /// each other, beside their special neighbours (converted or not), at
    /// the start and end, and beside full-width and upper-case letters.
    #[test]
    fn texts_with_special_characters_fold_as_through_fast2s() {
        fn reference(s: &str) -> String {
            let mut out = String::new();
            for c in s.chars() {
                match c {
                    '\u{FF01}'..='\u{FF5E}' => {
                        out.push(char::from_u32(c as u32 - 0xFEE0).unwrap().to_ascii_lowercase())
                    }
                    '\u{3000}' | '\u{A0}' => out.push(' '),
                    _ => out.extend(c.to_lowercase()),
                }
            }
            fast2s::convert(&out)
        }
        let alphabet: Vec<char> =
            format!("{T2S_CONTEXT}口麻家書计計企看慰狼隆坤卦寬望答批回甚樊校定仇憑的臺灣ＡＢａZ　 0")
                .chars()
                .collect();
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..20_000 {
            let len = rng.usize(1..8);
            let s: String = (0..len).map(|_| alphabet[rng.usize(..alphabet.len())]).collect();
            assert_eq!(fold(&s), reference(&s), "{s}");
        }
    }

    const SEED: &str = "<p>5年来,助企纾困、提振发展信心,返还小微企业工会经费45.1亿元;搭建职工成长成才平台,推动108.32万名职工晋升技能等级。</p>\
        <p>志不求易者成,事不避难者进。在江苏省工会十五大即将召开之际,回顾过去5年,江苏工会牢记嘱托、感恩奋进。</p>\
        <p>扎根矿山22年的徐矿集团张双楼煤矿瓦斯班班长吕龙清,评上技师,每月享受2500元的特殊人才津贴。</p>\
        <p>迄今,全省已出台涉及产业工人的政策文件55项,培育各级各类试点单位9000多家,覆盖职工730多万人。</p>";

    #[test]
    fn the_seed_republished_by_a_portal_is_the_same_story() {
        let copy = format!(
            "<p>首页 > 资讯中心 > 江苏资讯</p><p>新华日报 2023-04-15 10:09</p><p>□ 记者 吉强 通讯员 谢丹娜</p>{}\
             <p>资讯 苏州 娱乐 体育 财经</p><p>Copyright (C) www.szdushi.com.cn</p><p>苏州都市网 版权所有 苏ICP备2021029242号-1</p>",
            SEED.replace(',', "，").replace(';', "；")
        );
        let s = compare(
            &fingerprint("汇聚磅礴“工力量”", SEED),
            &fingerprint("汇聚磅礴“工力量”_新华报业网", &copy),
        );
        assert!(s.containment > 0.97 && s.numbers == 1.0, "{s:?}");
        assert!(s.is_duplicate(&Params::default()));
        assert!(!band_set(&fingerprint("", SEED)).is_disjoint(&band_set(&fingerprint("", &copy))));
    }

    /// The same text laid out in every way portals lay it out fingerprints
    /// the same: paragraphs, `<br>`, line breaks or none; indents and
    /// `&nbsp;`; full-width or half-width punctuation; a credit line on top
    /// and the desk's note at the end.
    #[test]
    fn the_fingerprint_does_not_depend_on_layout() {
        let paras: Vec<&str> = SEED
            .split("</p>")
            .filter(|p| !p.is_empty())
            .map(|p| &p[3..])
            .collect();
        let half = |s: &str| s.replace('，', ",").replace('；', ";").replace('：', ":");
        let full = |s: &str| s.replace(',', "，").replace(';', "；").replace(':', "：");
        let layouts = [
            SEED.to_string(),
            format!("<p>{}</p>", paras.join("")),
            paras.join("<br>"),
            paras.join("<br/><br/>\r\n"),
            paras.join("\n\n"),
            paras.join(""),
            paras.iter().map(|p| format!("<p>　　{p}</p>\n")).collect(),
            paras
                .iter()
                .map(|p| format!("<p>&nbsp;&nbsp;&nbsp;&nbsp;{p}</p>"))
                .collect(),
            full(SEED),
            half(SEED),
            format!("<p>原标题：汇聚磅礴“工力量”</p>{SEED}"),
            format!("<p>图片来源：视觉中国</p>{SEED}"),
            format!("{}（责任编辑：张三）", paras.join("")),
            format!("<p>图片来源：视觉中国 {}（责任编辑：张三）</p>", paras.join("")),
            format!("<p>{}（本文来源：新华日报）</p>", paras.join("")),
            paras.join("<p><p>").replace("。", "。</div>"),
        ];
        let want = fingerprint("", SEED);
        for html in &layouts {
            let fp = fingerprint("", html);
            assert_eq!(fp.shingle_set(), want.shingle_set(), "{html}");
            assert_eq!(fp.numbers, want.numbers, "{html}");
        }
    }

    /// A whole article in one paragraph that mentions a boilerplate word in
    /// passing is still the story (only short sentences with one are dropped).
    #[test]
    fn a_run_together_article_mentioning_a_source_keeps_its_text() {
        let one = format!(
            "<p>{}据新华社客户端消息，来源于省总工会、省人社厅和省统计局等多个部门的数据显示，全省工会工作在助企纾困、技能提升方面成效明显。</p>",
            SEED.replace("<p>", "").replace("</p>", "")
        );
        let text = story_text(&one);
        assert!(text.chars().count() > 200, "{text}");
        assert!(text.contains("来源于省总工会"), "{text}");
        let split = story_text(&one.replace("。", "。</p><p>"));
        assert_eq!(text, split);
    }

    #[test]
    fn headlines_that_differ_in_a_part_or_issue_number_are_a_series() {
        let rel = |a: &str, b: &str| {
            let (fa, fb) = (fingerprint(a, ""), fingerprint(b, ""));
            headline_relation(&fa.headline, &fb.headline, compare(&fa, &fb).title)
        };
        for (a, b) in [
            (
                "如何选择国际学校 一位父亲的超全解析（上）",
                "如何选择国际学校 一位父亲的超全解析（下）",
            ),
            (
                "安徽：2019年艺术专业统一考试模块二考试说明",
                "安徽：2019年艺术专业统一考试模块七考试说明",
            ),
            ("苏州工会动态（第37期）", "苏州工会动态（第38期）"),
            ("苏州市区4月15日天气预报", "苏州市区4月16日天气预报"),
            ("大运河文化带建设巡礼之一", "大运河文化带建设巡礼之二"),
            (
                "宿迁交警发布出行提示 泗洪县5条道路2月6日起施工管制（第124期）",
                "宿迁交警发布出行提示 泗洪县5条道路4月20日起施工管制",
            ),
        ] {
            assert_eq!(rel(a, b), Headline::Series, "{a} / {b}");
        }
        for (a, b) in [
            (
                "甘肃：2019年普通高校招生考试报名须知",
                "河北：2019年普通高校招生考试报名须知",
            ),
            (
                "南京秦淮区总工会开展劳模进校园活动",
                "南京鼓楼区总工会开展劳模进校园活动",
            ),
            ("全省工会十五大今日召开", "全省工会十五大今日举行"),
        ] {
            assert_eq!(rel(a, b), Headline::Substituted, "{a} / {b}");
        }
        for (a, b) in [
            ("【江苏】汇聚磅礴“工力量”_新华报业网", "汇聚磅礴“工力量”"),
            (
                "苏州地铁6号线今日开通 沿线21座车站同步启用",
                "苏州地铁6号线今日开通",
            ),
            ("全省职工职业技能大赛5月启动", "2023年全省职工职业技能大赛5月启动"),
        ] {
            assert_eq!(rel(a, b), Headline::Same, "{a} / {b}");
        }
        assert_eq!(
            rel(
                "南京发布养老护理产业84项重点项目清单",
                "南京秦淮区总工会开展“劳模进校园”活动"
            ),
            Headline::Different
        );
    }

    /// Parts of a series are apart even when a summary-only feed gives both
    /// the same introduction.
    #[test]
    fn parts_of_a_series_are_never_one_story() {
        let intro = "<p>择校季来临，一位父亲花了半年走访苏州12所国际学校，把课程、学费和升学去向整理成了这份解析。</p>";
        let s = compare(
            &fingerprint("如何选择国际学校 一位父亲的超全解析（上）", intro),
            &fingerprint("如何选择国际学校 一位父亲的超全解析（下）", intro),
        );
        assert!(s.containment > 0.9, "{s:?}");
        assert!(!s.is_duplicate(&Params::default()), "{s:?}");
    }

    /// Text shared by many items of the window (a template's sentences)
    /// weighs little; text only two items share weighs fully.
    #[test]
    fn text_common_in_the_window_is_weak_evidence() {
        let boiler = "<p>活动现场，来自多家企业的一线职工参加了技能展示和经验交流。近年来，各级工会围绕重点产业广泛开展劳动和技能竞赛，推动产业工人队伍建设改革走深走实。\
            下一步，全区将加大对重点领域项目的服务保障力度，引导广大职工在推动高质量发展中建功立业，为经济社会发展贡献力量。</p>";
        let item = |fact: &str| fingerprint("区总工会开展劳模进校园活动", &format!("{boiler}<p>{fact}</p>"));
        let a = item("劳模走进中华中学讲述扎根岗位的故事。");
        let b = item("大国工匠走进琅琊路小学带来手工课。");
        let mut df = DocFreq::default();
        for i in 0..200 {
            df.add(&item(&format!("其他内容{}", i * 7919)));
        }
        let raw = compare(&a, &b);
        assert!(
            raw.is_duplicate(&Params::default()),
            "the raw text alone would merge them: {raw:?}"
        );
        let weighed = compare_with(&a, &b, Some(&df));
        assert!(weighed.specific < 0.5, "{weighed:?}");
        assert!(weighed.boilerplate > 0.8, "{weighed:?}");
        assert!(!weighed.is_duplicate(&Params::default()));
        // A copy of one of them, in the same window, is still the same story.
        let copy = fingerprint(
            "区总工会开展劳模进校园活动_南京日报",
            &format!("{boiler}<p>劳模走进中华中学讲述扎根岗位的故事。</p>"),
        );
        let s = compare_with(&a, &copy, Some(&df));
        assert!(s.specific > 0.99 && s.is_duplicate(&Params::default()), "{s:?}");
    }

    /// A sketch gives back what it packs, and says "may match" for the
    /// item itself and its copy but not for a template report beside it.
    #[test]
    fn a_sketch_keeps_what_it_packs() {
        let fp = fingerprint("【江苏】汇聚磅礴“工力量”_新华报业网", SEED);
        let sk = fp.sketch();
        assert_eq!(sk.headline(), &*fp.headline);
        assert_eq!(sk.sample(), fp.sample());
        assert!(sk.sample().len() >= SKETCH_MIN, "{}", sk.sample().len());
        let want: Vec<u32> = fp.numbers.iter().map(|h| (h >> 32) as u32).collect();
        assert_eq!(sk.numbers().collect::<Vec<_>>(), want);
        assert!(!sk.correction());
        let p = Params::default();
        assert!(may_match(&fp, &sk, &p));
        let copy = fingerprint("汇聚磅礴“工力量”", &SEED.replace("<p>", "<p>　　"));
        assert!(may_match(&copy, &sk, &p));
        let part = |m: &str| fingerprint(&format!("汇聚磅礴“工力量”（{m}）"), SEED);
        assert!(!may_match(&part("下"), &part("上").sketch(), &p), "a series part");
        let other_figures = fingerprint(
            "汇聚磅礴“工力量”",
            &SEED
                .replace("45.1", "38.2")
                .replace("108.32", "96.5")
                .replace("2500", "1800"),
        );
        assert!(!may_match(&other_figures, &sk, &p), "other figures");
    }

    #[test]
    fn traditional_characters_fold_to_simplified() {
        let t = fingerprint(
            "",
            "<p>記者從江蘇省總工會獲悉，全省職工勞動競賽參與人數創新高，達到4070萬人次。</p>",
        );
        let s = fingerprint(
            "",
            "<p>记者从江苏省总工会获悉,全省职工劳动竞赛参与人数创新高,达到4070万人次。</p>",
        );
        assert_eq!(compare(&t, &s).jaccard, 1.0);
    }

    #[test]
    fn template_bulletins_with_other_figures_are_apart() {
        let day = |d: u32, hi: u32, lo: u32, wind: u32| {
            format!(
                "<p>苏州市气象台{d}日发布天气预报:今天多云到阴,最高气温{hi}℃,最低气温{lo}℃,东南风{wind}到{}级。\
                 明天阴有小雨,气温略有下降。请市民注意添衣保暖,出行携带雨具。</p>",
                wind + 1
            )
        };
        let a = fingerprint("苏州天气预报", &day(14, 25, 16, 3));
        let b = fingerprint("苏州天气预报", &day(15, 22, 14, 2));
        let s = compare(&a, &b);
        assert!(!s.is_duplicate(&Params::default()), "{s:?}");
    }

    #[test]
    fn titles_lose_outlet_suffixes_and_tags() {
        assert_eq!(
            story_title("【江苏】汇聚磅礴“工力量”_新华报业网"),
            story_title("汇聚磅礴“工力量”")
        );
        assert_eq!(story_title("苏州地铁6号线开通 - 苏州都市网"), "苏州地铁6号线开通");
        assert_eq!(story_title("[视频]太湖蓝藻防控(图)"), "太湖蓝藻防控");
    }

    #[test]
    fn bylines_and_boilerplate_are_not_story_text() {
        let t = story_text(
            "<p>本报讯（记者 王明）苏州今日开通地铁。</p><p>□ 记者 吉强</p><p>（责任编辑：张三）</p>",
        );
        assert_eq!(t, "苏州今日开通地铁");
    }
}

/// The labelled sets in `testdata/neardup/` (see its README): precision
/// and recall of the decision, and recall of the LSH index, on the tuning
/// half of `pairs.jsonl` (odd ids) and on the held-out pairs (its even
/// ids, and `heldout.jsonl`, drawn with another seed), each judged alone
/// and with the document frequencies of all the set's texts.
#[cfg(test)]
mod labelled {
    use super::*;

    #[derive(Default)]
    struct Tally {
        tp: usize,
        fp: usize,
        fn_: usize,
        tn: usize,
        lsh_missed: usize,
        sketch_missed: usize,
        errors: Vec<String>,
        /// Per kind: pairs, and of them judged wrongly.
        kinds: std::collections::BTreeMap<String, (usize, usize)>,
    }

    impl Tally {
        fn by_kind(&self) -> String {
            self.kinds
                .iter()
                .filter(|(_, (_, wrong))| *wrong > 0)
                .map(|(k, (n, wrong))| format!("{k} {wrong}/{n} wrong"))
                .collect::<Vec<_>>()
                .join(", ")
        }
        fn precision(&self) -> f64 {
            self.tp as f64 / (self.tp + self.fp).max(1) as f64
        }
        fn recall(&self) -> f64 {
            self.tp as f64 / (self.tp + self.fn_).max(1) as f64
        }
        fn pairs(&self) -> usize {
            self.tp + self.fp + self.fn_ + self.tn
        }
    }

    /// The pairs of `file` whose id passes `keep`.
    fn pairs(file: &str, keep: impl Fn(&str) -> bool) -> Vec<serde_json::Value> {
        let path = format!("{}/testdata/neardup/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("valid JSON line"))
            .filter(|v| keep(v["id"].as_str().unwrap()))
            .collect()
    }

    fn evaluate(pairs: &[serde_json::Value], with_df: bool) -> Tally {
        let doc =
            |v: &serde_json::Value| fingerprint(v["title"].as_str().unwrap(), v["html"].as_str().unwrap());
        let docs: Vec<(Fingerprint, Fingerprint)> =
            pairs.iter().map(|v| (doc(&v["a"]), doc(&v["b"]))).collect();
        // The set's texts stand for the window.
        let mut df = DocFreq::default();
        for (a, b) in &docs {
            df.add(a);
            df.add(b);
        }
        let params = Params::default();
        let mut t = Tally::default();
        for (v, (a, b)) in pairs.iter().zip(&docs) {
            let sim = compare_with(a, b, with_df.then_some(&df));
            let dup = v["label"] == "dup";
            let said = sim.is_duplicate(&params);
            match (dup, said) {
                (true, true) => t.tp += 1,
                (false, true) => t.fp += 1,
                (true, false) => t.fn_ += 1,
                (false, false) => t.tn += 1,
            }
            let kind = t
                .kinds
                .entry(v["kind"].as_str().unwrap_or("").to_string())
                .or_default();
            kind.0 += 1;
            kind.1 += usize::from(dup != said);
            if dup && said && band_set(a).is_disjoint(&band_set(b)) {
                t.lsh_missed += 1;
            }
            // The store compares a candidate in full only when its sketch
            // may match: it must for every pair the comparison merges.
            if said && !(may_match(a, &b.sketch(), &params) && may_match(b, &a.sketch(), &params)) {
                t.sketch_missed += 1;
            }
            if dup != said {
                t.errors.push(format!(
                    "{} {} ({}): score {:.2} c {:.2} specific {:.2} boilerplate {:.2} n {:.2} j {:.2} title {:.2} {:?} common {}",
                    v["id"].as_str().unwrap(),
                    v["label"].as_str().unwrap(),
                    v["kind"].as_str().unwrap(),
                    sim.score(),
                    sim.containment,
                    sim.specific,
                    sim.boilerplate,
                    sim.numbers,
                    sim.jaccard,
                    sim.title,
                    sim.headline,
                    sim.common
                ));
            }
        }
        t
    }

    fn check(name: &str, pairs: &[serde_json::Value]) {
        for with_df in [false, true] {
            let t = evaluate(pairs, with_df);
            println!(
                "{name}{}: {} pairs; precision {:.3}, recall {:.3}; LSH missed {} of {} found duplicates",
                if with_df {
                    ", with document frequencies"
                } else {
                    ""
                },
                t.pairs(),
                t.precision(),
                t.recall(),
                t.lsh_missed,
                t.tp
            );
            for e in &t.errors {
                println!("  misjudged: {e}");
            }
            assert!(t.pairs() >= 150, "{name}: {} pairs", t.pairs());
            if !t.by_kind().is_empty() {
                println!("  misjudged by kind: {}", t.by_kind());
            }
            assert!(t.precision() >= 0.99, "{name}: precision {:.3}", t.precision());
            assert!(t.recall() >= 0.95, "{name}: recall {:.3}", t.recall());
            assert_eq!(
                t.lsh_missed, 0,
                "{name}: every duplicate found by comparison is also an LSH candidate"
            );
            assert_eq!(
                t.sketch_missed, 0,
                "{name}: every pair the comparison merges passes the sketch"
            );
        }
    }

    fn odd(id: &str) -> bool {
        id.bytes().last().is_some_and(|d| (d - b'0') % 2 == 1)
    }

    #[test]
    fn precision_and_recall_on_the_tuning_pairs() {
        check("tuning (pairs.jsonl, odd ids)", &pairs("pairs.jsonl", odd));
    }

    #[test]
    fn precision_and_recall_on_the_held_out_pairs() {
        check(
            "held out (pairs.jsonl, even ids)",
            &pairs("pairs.jsonl", |id| !odd(id)),
        );
        check("held out (heldout.jsonl)", &pairs("heldout.jsonl", |_| true));
    }

    /// Real news pairs that may not be committed (their text has no licence
    /// to redistribute): `HUIJU_NEARDUP_PAIRS=FILE cargo test --lib
    /// neardup::labelled::external -- --ignored --nocapture` judges any
    /// file in the format of `pairs.jsonl` (testdata/neardup/README.md).
    #[test]
    #[ignore = "needs HUIJU_NEARDUP_PAIRS"]
    fn external() {
        let path = std::env::var("HUIJU_NEARDUP_PAIRS").expect("HUIJU_NEARDUP_PAIRS=FILE");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let pairs: Vec<serde_json::Value> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("valid JSON line"))
            .collect();
        check(&path, &pairs);
    }
}
