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
use std::collections::HashSet;

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
pub fn fingerprint_items(items: &mut [crate::normalize::Item]) {
    let mut scratch = Scratch::default();
    for it in items {
        let fp = item_fingerprint_with(
            &mut scratch,
            &it.title,
            it.content.as_deref(),
            it.summary.as_deref(),
        );
        it.band_keys = bands(&fp);
        it.fingerprint = Some(std::sync::Arc::new(fp));
    }
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
}

impl Fingerprint {
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
    /// Share of the numbers of the item with fewer numbers found in the other.
    pub numbers: f64,
    /// Jaccard overlap of the headlines' character bigrams.
    pub title: f64,
    /// Shingles in common.
    pub common: usize,
    /// Exactly one of the two carries a correction notice.
    pub correction: bool,
}

impl Similarity {
    /// The score compared with the threshold: containment, held down by
    /// disagreeing numbers.
    pub fn score(&self) -> f64 {
        self.containment.min(self.numbers)
    }

    pub fn is_duplicate(&self, p: &Params) -> bool {
        let overlap = self.jaccard >= p.min_jaccard
            || (self.title >= p.teaser_title && self.jaccard >= 0.1 && self.common >= 20);
        overlap && !self.correction && self.score() >= p.threshold
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
            crate::normalize::html_to_text_into(line, untagged, text);
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
/// whether it holds a boilerplate phrase.
fn phrase_kinds(p: &str) -> (bool, bool) {
    let (mut list, mut boilerplate) = (false, false);
    for m in PHRASES_AC.find_iter(p) {
        if m.pattern().as_usize() < LIST_MARKERS.len() {
            list = true;
            break;
        }
        boilerplate = true;
    }
    (list, boilerplate)
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

fn is_byline(p: &str) -> bool {
    // Counted no further than the limit: most paragraphs are prose.
    let n = p.chars().take(61).count();
    if n > 60 {
        return false;
    }
    p.starts_with('□')
        || p.starts_with('■')
        || p.starts_with("本报讯")
        || ((p.contains("记者") || p.contains("通讯员")) && n <= 40)
        || (n <= 30 && looks_like_dateline(p))
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

/// The story's text into `scratch.story`; true if it carries a correction notice.
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
    for_each_paragraph(html, untagged, text, |p| {
        fold_into(p, folded);
        let p = strip_lead_byline(folded.trim());
        let (list, boilerplate) = phrase_kinds(p);
        if list {
            return false;
        }
        correction |= is_correction(p);
        if !(p.is_empty() || is_byline(p) || is_nav(p) || boilerplate) {
            push_word_chars(p, out);
        }
        true
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
    if chars < 60 {
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
    let mut title: Vec<u64> = folded_title
        .chars()
        .zip(folded_title.chars().skip(1))
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
    Fingerprint {
        shingles,
        set: std::sync::OnceLock::new(),
        numbers,
        title,
        keys,
        correction,
    }
}

fn intersection(a: &[u64], b: &[u64]) -> usize {
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

pub fn compare(a: &Fingerprint, b: &Fingerprint) -> Similarity {
    let (a_set, b_set) = (a.shingle_set(), b.shingle_set());
    let common = intersection(a_set, b_set) as f64;
    let (la, lb) = (a_set.len() as f64, b_set.len() as f64);
    let union = la + lb - common;
    let min = la.min(lb);
    let numbers = {
        let (na, nb) = (a.numbers.len(), b.numbers.len());
        if na.min(nb) == 0 {
            // One side mentions no figures at all while the other has
            // several: not the same report.
            if na.max(nb) >= 3 { 0.5 } else { 1.0 }
        } else {
            intersection(&a.numbers, &b.numbers) as f64 / na.min(nb) as f64
        }
    };
    let title = {
        let c = intersection(&a.title, &b.title) as f64;
        let u = (a.title.len() + b.title.len()) as f64 - c;
        if u > 0.0 { c / u } else { 0.0 }
    };
    Similarity {
        jaccard: if union > 0.0 { common / union } else { 0.0 },
        containment: if min > 0.0 { common / min } else { 0.0 },
        numbers,
        title,
        common: common as usize,
        correction: a.correction != b.correction,
    }
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
pub fn band_set(fp: &Fingerprint) -> HashSet<u32> {
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

/// The labelled set in `testdata/neardup/pairs.jsonl` (see its README):
/// precision and recall of the decision, and recall of the LSH index.
#[cfg(test)]
mod labelled {
    use super::*;

    struct Tally {
        tp: usize,
        fp: usize,
        fn_: usize,
        tn: usize,
        lsh_missed: usize,
        errors: Vec<String>,
        /// Lowest score of a duplicate, highest of a distinct pair that overlaps.
        dup_min: f64,
        distinct_max: f64,
    }

    fn evaluate(params: &Params) -> Tally {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/neardup/pairs.jsonl");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut t = Tally {
            tp: 0,
            fp: 0,
            fn_: 0,
            tn: 0,
            lsh_missed: 0,
            errors: Vec::new(),
            dup_min: f64::MAX,
            distinct_max: 0.0,
        };
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).expect("valid JSON line");
            let doc = |k: &str| fingerprint(v[k]["title"].as_str().unwrap(), v[k]["html"].as_str().unwrap());
            let (a, b) = (doc("a"), doc("b"));
            let sim = compare(&a, &b);
            let dup = v["label"] == "dup";
            let said = sim.is_duplicate(params);
            let overlaps = !sim.correction
                && (sim.jaccard >= params.min_jaccard
                    || (sim.title >= params.teaser_title && sim.jaccard >= 0.1));
            if dup {
                t.dup_min = t.dup_min.min(sim.score());
            } else if overlaps {
                t.distinct_max = t.distinct_max.max(sim.score());
            }
            match (dup, said) {
                (true, true) => t.tp += 1,
                (false, true) => t.fp += 1,
                (true, false) => t.fn_ += 1,
                (false, false) => t.tn += 1,
            }
            if dup && said && band_set(&a).is_disjoint(&band_set(&b)) {
                t.lsh_missed += 1;
            }
            if dup != said {
                t.errors.push(format!(
                    "{} {} ({}): score {:.2} c {:.2} n {:.2} j {:.2} title {:.2} common {}",
                    v["id"].as_str().unwrap(),
                    v["label"].as_str().unwrap(),
                    v["kind"].as_str().unwrap(),
                    sim.score(),
                    sim.containment,
                    sim.numbers,
                    sim.jaccard,
                    sim.title,
                    sim.common
                ));
            }
        }
        t
    }

    #[test]
    fn precision_and_recall_on_the_labelled_pairs() {
        let t = evaluate(&Params::default());
        let precision = t.tp as f64 / (t.tp + t.fp).max(1) as f64;
        let recall = t.tp as f64 / (t.tp + t.fn_).max(1) as f64;
        let pairs = t.tp + t.fp + t.fn_ + t.tn;
        println!(
            "labelled pairs: {pairs} ({} dup, {} distinct); precision {precision:.3}, recall {recall:.3}; \
             LSH missed {} of {} found duplicates",
            t.tp + t.fn_,
            t.fp + t.tn,
            t.lsh_missed,
            t.tp
        );
        println!(
            "scores: duplicates ≥ {:.2}; overlapping distinct pairs ≤ {:.2} (threshold {:.2})",
            t.dup_min,
            t.distinct_max,
            Params::default().threshold
        );
        for e in &t.errors {
            println!("  misjudged: {e}");
        }
        assert!(pairs >= 300, "the labelled set has at least 300 pairs");
        assert!(precision >= 0.99, "precision {precision:.3}");
        assert!(recall >= 0.95, "recall {recall:.3}");
        assert_eq!(
            t.lsh_missed, 0,
            "every duplicate found by comparison is also an LSH candidate"
        );
    }
}
