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

/// Asks the CPU to load the cache line at `p` (a hint: it never faults,
/// whatever the address, and does nothing off x86-64). Used where several
/// cache misses can be asked for together, so that they overlap.
pub(crate) fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint; it never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

pub(crate) mod band_index;
mod doc_freq;
mod headline;
mod sketch;
mod story;

pub use doc_freq::*;
pub use headline::*;
pub use sketch::*;
pub use story::*;
// The one folding: the rule engine matches on text folded as stories are.
pub(crate) use story::fold;

#[cfg(test)]
mod labelled;
#[cfg(test)]
mod tests;

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

/// The character bigrams of a headline, sorted and unique, each as its
/// two code points side by side.
///
/// Decision: the code points themselves, not a hash of the pair: they fit
/// a `u64` with room to spare, so no two bigrams collide, and hashing each
/// (xxh3 on six bytes) was a twentieth of fingerprinting. The values live
/// only in memory, never in the database.
fn title_bigrams(headline: &str) -> Vec<u64> {
    let mut title: Vec<u64> = headline
        .chars()
        .zip(headline.chars().skip(1))
        .map(|(a, b)| u64::from(u32::from(a)) << 21 | u64::from(u32::from(b)))
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
