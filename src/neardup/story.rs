//! The story text of an item: its paragraphs without portal furniture,
//! bylines, credits and desk notes, folded (Traditional to Simplified,
//! full-width to half-width), whatever markup split it.

use super::*;

/// Paragraphs that are never the story: portal navigation, copyright lines,
/// sharing widgets, editor credits.
pub(super) const BOILERPLATE: &[&str] = &[
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
pub(super) const LIST_MARKERS: &[&str] = &[
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
pub(super) const CORRECTION_WORDS: [&str; 8] =
    ["更正", "勘误", "致歉", "应为", "原文", "此前", "刊发", "版本"];

/// Searchers for [`CORRECTION_WORDS`], built once: `str::contains` set one
/// up for every paragraph.
pub(super) static CORRECTION_FINDERS: LazyLock<Vec<memchr::memmem::Finder<'static>>> =
    LazyLock::new(|| CORRECTION_WORDS.iter().map(memchr::memmem::Finder::new).collect());

/// A correction notice: a corrected version is a story the reader must see.
pub(super) fn is_correction(p: &str) -> bool {
    let f = &*CORRECTION_FINDERS;
    let has = |i: usize| f[i].find(p.as_bytes()).is_some();
    has(0) || has(1) || has(2) || (has(3) && (4..8).any(has))
}

/// Block-level tags: a paragraph ends before each.
pub(super) fn is_block_tag(name: &[u8]) -> bool {
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
pub(super) fn for_each_paragraph(
    html: &str,
    untagged: &mut String,
    text: &mut String,
    mut f: impl FnMut(&str) -> bool,
) {
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
pub(super) static PHRASES_AC: LazyLock<AhoCorasick> = LazyLock::new(|| {
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
pub(super) fn phrase_kinds(p: &str) -> (bool, bool) {
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
pub(super) static T2S: LazyLock<T2sTable> = LazyLock::new(|| {
    let mut to = vec![0u16; 0x10000];
    for c in ('\u{800}'..='\u{FFFF}').filter(|c| c.len_utf8() == 3) {
        let s: String = ['0', c, '0'].iter().collect();
        let into = fast2s::convert(&s).chars().nth(1).expect("three in, three out");
        if into != c {
            to[c as usize] = u16::try_from(u32::from(into)).expect("BMP to BMP");
        }
    }
    for c in T2S_CONTEXT.chars() {
        to[c as usize] = CONTEXT;
    }
    let mut changes = vec![0u64; 0x10000 / 64];
    for (i, _) in to.iter().enumerate().filter(|(_, t)| **t != 0) {
        changes[i / 64] |= 1 << (i % 64);
    }
    T2sTable { to, changes }
});

/// [`T2S`]: what each character becomes, and one bit per character that
/// says whether it changes.
///
/// Decision: the bits are looked at first. They take 8 KB, which stays in
/// the CPU's nearest cache, where the 128 KB of targets did not; nearly
/// every character of Simplified text is answered by them alone.
pub(super) struct T2sTable {
    to: Vec<u16>,
    changes: Vec<u64>,
}

impl T2sTable {
    /// What `c` becomes (0: itself; [`CONTEXT`]: it depends on its neighbours).
    pub(super) fn get(&self, c: char) -> u16 {
        let i = c as usize;
        match self.changes.get(i / 64) {
            Some(bits) if bits & (1 << (i % 64)) != 0 => self.to[i],
            _ => 0,
        }
    }
}

/// The characters fast2s converts depending on their neighbours (its
/// special cases: 乾隆 stays, 看著 becomes 看着 …), converted one by one
/// ([`in_context`]).
pub(super) const T2S_CONTEXT: &str = "兒覆夥藉瞭麽幺於乾著苧闔鍾讎畫";
/// [`T2S`]'s mark of a character of [`T2S_CONTEXT`] (U+0001 is no CJK).
pub(super) const CONTEXT: u16 = 1;

/// Full-width ASCII to half-width, Traditional to Simplified, lower case.
/// The rule engine (`crate::rules`) matches on this folding too.
pub(crate) fn fold(s: &str) -> String {
    let mut out = String::new();
    fold_into(s, &mut out);
    out
}

/// [`fold`] into a reused buffer.
pub(super) fn fold_into(s: &str, out: &mut String) {
    // One pass and no allocation: this ran once per paragraph with three
    // allocations and a full Unicode lower-casing, 20 % of ingest time.
    out.clear();
    out.reserve(s.len());
    let t2s = &*T2S;
    // Characters that stay as they are (nearly all) are copied as runs of
    // bytes, not pushed one by one.
    let mut run = 0;
    for (i, c) in s.char_indices() {
        if c.is_ascii() {
            if !c.is_ascii_uppercase() {
                continue;
            }
        } else if c >= '\u{2E80}' && !('\u{FF01}'..='\u{FF5E}').contains(&c) && c != '\u{3000}' {
            let to = t2s.get(c);
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
pub(super) fn in_context(s: &str, i: usize, c: char) -> char {
    let prev = s[..i].chars().next_back().unwrap_or('0');
    let next = s[i + c.len_utf8()..].chars().next().unwrap_or('0');
    let window: String = [prev, c, next].iter().collect();
    fast2s::convert(&window).chars().nth(1).unwrap_or(c)
}

/// `char::is_alphanumeric` with the common CJK block first (its table
/// lookup was 7 % of ingest time).
///
/// Punctuation of Chinese text (`，。、“”《》`) is neither, and falls outside
/// that block too: its blocks are answered without the lookup as well.
pub(super) fn is_word_char(c: char) -> bool {
    match c {
        '\u{4E00}'..='\u{9FFF}' => true,
        _ if c.is_ascii() => c.is_ascii_alphanumeric(),
        // General Punctuation (up to the superscripts), and CJK Symbols
        // and Punctuation but for its ideographic letters and numbers
        // (々〆〇, 〡…〩, 〱…〵, 〸…〼): a unit test compares every one.
        '\u{2000}'..='\u{206F}' | '\u{3000}'..='\u{3004}' | '\u{3008}'..='\u{3020}' => false,
        _ => c.is_alphanumeric(),
    }
}

/// A byline or dateline. `whole` is a paragraph of its own: then a short
/// one naming a reporter is a byline too; a sentence inside a paragraph
/// (`记者从市交通局获悉。`) is not.
pub(super) fn is_byline(p: &str, whole: bool) -> bool {
    // Most paragraphs are prose, longer than any byline. Past 240 bytes a
    // text has more than 60 characters (none takes more than four bytes);
    // shorter ones are counted by the bytes that start a character (a pass
    // that vectorizes), not decoded.
    if p.len() > 4 * 60 {
        return false;
    }
    let n = p.bytes().filter(|b| (*b as i8) >= -0x40).count();
    if n > 60 {
        return false;
    }
    p.starts_with('□')
        || p.starts_with('■')
        || p.starts_with("本报讯")
        || (whole && n <= 40 && (p.contains("记者") || p.contains("通讯员")))
        || (n <= 30 && !p.ends_with('。') && looks_like_dateline(p))
}

/// `新华日报 2023-04-15 10:09`: a source name and a date, nothing else.
pub(super) fn looks_like_dateline(p: &str) -> bool {
    let digits = p.chars().filter(char::is_ascii_digit).count();
    digits >= 6 && (p.contains('-') || p.contains('年') || p.contains('/'))
}

/// Navigation bars: several very short words separated by spaces.
pub(super) fn is_nav(p: &str) -> bool {
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
pub(super) fn strip_lead_byline(p: &str) -> &str {
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
pub(super) fn push_word_chars(p: &str, out: &mut String) {
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
pub(super) fn at_most_chars(s: &str, n: usize) -> bool {
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
pub(super) const WHOLE_PARAGRAPH: usize = 200;

/// A sentence of a long paragraph holding a boilerplate phrase is dropped
/// only up to this length: prose may mention `客户端` or `本站`.
pub(super) const SHORT_SENTENCE: usize = 60;

/// Credit lines a republication puts on top (`原标题：…`, `图片来源：视觉中国`):
/// never the story.
pub(super) const CREDIT_PREFIXES: &[&str] = &[
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

/// The first characters of [`CREDIT_PREFIXES`] (a unit test holds the two
/// lists together).
pub(super) const CREDIT_FIRSTS: [char; 7] = ['原', '图', '题', '封', '来', '文', '转'];

/// A credit line (folded) without its credit. A paragraph of its own that
/// starts with one is all credit. In a sentence of a run-together article,
/// the credit ends at the first blank within [`CREDIT_LEN`] characters, or
/// is all of a short sentence; a long one without a blank is kept whole
/// (its end cannot be told).
pub(super) fn strip_credit(p: &str, whole: bool) -> &str {
    // Most paragraphs start with none of the prefixes' first characters:
    // one character looked up instead of a dozen prefixes compared.
    let Some(first) = p.chars().next() else {
        return p;
    };
    if !CREDIT_FIRSTS.contains(&first) {
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
pub(super) const CREDIT_LEN: usize = 40;

/// Words inside parentheses that make the parenthetical a note of the
/// republishing desk, not story text: `（责任编辑：张三）`, `（来源：新华日报）`,
/// `（本文图片由受访单位提供）`.
pub(super) const NOTE_WORDS: &[&str] = &["编辑", "来源", "记者", "原标题", "图片", "摄影", "通讯员", "稿件"];

/// Calls `f` with each sentence of `p`: the text up to and including a
/// sentence end (`。!?;…`) and the closing quotes and brackets after it.
pub(super) fn for_each_sentence(p: &str, mut f: impl FnMut(&str) -> bool) -> bool {
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
pub(super) fn push_story_chars(p: &str, out: &mut String) {
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
pub(super) fn story_into(html: &str, scratch: &mut Scratch) -> bool {
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
pub(super) fn title_of_folded(t: &str) -> String {
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
        // A one-byte separator is a `memrchr`, not a substring search.
        let found = match sep.as_bytes() {
            &[b] => memchr::memrchr(b, t.as_bytes()),
            _ => t.rfind(sep),
        };
        if let Some(i) = found {
            let tail = &t[i + sep.len()..];
            if !tail.is_empty() && tail.chars().count() <= 8 && i > 0 {
                t = &t[..i];
            }
        }
    }
    // One pass: bracketed tags, picture and video marks, and all that is
    // not a letter or a digit left out.
    let mut out = String::with_capacity(t.len());
    let mut depth = 0usize;
    let mut rest = t;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match c {
            '【' | '[' => depth += 1,
            '】' | ']' => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            '(' => {
                if let Some(after) = ["图)", "视频)", "组图)"]
                    .iter()
                    .find_map(|m| rest.strip_prefix(m))
                {
                    rest = after;
                }
            }
            _ if is_word_char(c) => out.push(c),
            _ => {}
        }
    }
    out
}
