//! A few hundred bytes that stand for a stored item's fingerprint, to
//! rule out candidates without reading their text.

use super::*;

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
pub(super) const SKETCH_HEADER: usize = 6;

impl Sketch {
    pub(super) fn shingles(&self) -> usize {
        usize::from(self.0[0]) | usize::from(self.0[1]) << 16
    }

    pub(super) fn sample(&self) -> &[u16] {
        &self.0[SKETCH_HEADER..SKETCH_HEADER + usize::from(self.0[2])]
    }

    /// The figures' hashes (high 32 bits), sorted.
    pub(super) fn numbers(&self) -> impl Iterator<Item = u32> + '_ {
        let at = SKETCH_HEADER + usize::from(self.0[2]);
        self.0[at..at + 2 * usize::from(self.0[3])]
            .chunks_exact(2)
            .map(|w| u32::from(w[0]) | u32::from(w[1]) << 16)
    }

    /// Asks the CPU to load the sketch's first bytes (its header and
    /// samples) into cache.
    pub(crate) fn prefetch(&self) {
        prefetch(self.0.as_ptr());
    }

    pub(super) fn correction(&self) -> bool {
        self.0[4] != 0
    }

    pub(super) fn headline(&self) -> String {
        let at = SKETCH_HEADER + usize::from(self.0[2]) + 2 * usize::from(self.0[3]);
        String::from_utf16_lossy(&self.0[at..])
    }
}

/// One shingle in this many is in a [`Sketch`].
pub(super) const SKETCH_RATE: u64 = 8;
/// Samples below which a [`Sketch`] says nothing (a short text is compared in full).
pub(super) const SKETCH_MIN: usize = 12;
/// How far below a bar a sampled score may be and still be compared in
/// full: about three standard deviations of the estimate at [`SKETCH_MIN`].
pub(super) const SKETCH_MARGIN: f64 = 0.25;

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
pub(super) fn numbers_disagree(a: &Fingerprint, b: impl Iterator<Item = u32>, nb: usize, p: &Params) -> bool {
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
