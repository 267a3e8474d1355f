//! Text helpers shared by the readers, the near-duplicate step and the
//! renderers: characters XML forbids, white space, and the plain text of
//! an HTML fragment. A leaf: it knows nothing of feeds or items.

use crate::ingest::decode::is_forbidden;

/// Removes characters XML forbids (which entities such as `&#1;` can produce).
pub(crate) fn clean_text(s: &str) -> String {
    if crate::ingest::decode::has_forbidden(s) {
        s.chars().filter(|&c| !is_forbidden(c)).collect()
    } else {
        s.to_string()
    }
}

/// `s` with each run of white space one space, and none at the ends.
pub(crate) fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Plain text of an HTML fragment: tags dropped, entities decoded, blank
/// runs collapsed. Good enough for titles and lengths, not for rendering.
pub(crate) fn html_to_text(html: &str) -> String {
    let (mut untagged, mut out) = (String::new(), String::new());
    html_to_text_into(html, &mut untagged, &mut out);
    out
}

/// [`html_to_text`] into `out`, with `untagged` as scratch space: callers
/// that convert many fragments (fingerprinting, paragraph by paragraph)
/// reuse both buffers.
pub(crate) fn html_to_text_into(html: &str, untagged: &mut String, out: &mut String) {
    untagged.clear();
    // Each tag becomes a space. '<' and '>' are ASCII, so the text between
    // tags is copied by slices; an unclosed tag drops the rest.
    let mut rest = html;
    while let Some(lt) = memchr::memchr(b'<', rest.as_bytes()) {
        untagged.push_str(&rest[..lt]);
        untagged.push(' ');
        // A script or style element's text is code, and a comment's is
        // hidden: neither is text a reader sees.
        let after = &rest.as_bytes()[lt + 1..];
        if after.starts_with(b"!--") {
            rest = match memchr::memmem::find(&after[3..], b"-->") {
                Some(end) => &rest[lt + 1 + 3 + end + 3..],
                None => "",
            };
            continue;
        }
        if let Some(name) = [&b"script"[..], b"style"].into_iter().find(|n| {
            after.len() > n.len()
                && after[..n.len()].eq_ignore_ascii_case(n)
                && !after[n.len()].is_ascii_alphanumeric()
        }) {
            rest = match find_end_tag(&rest[lt + 1..], name) {
                Some(end) => &rest[lt + 1 + end..],
                None => "",
            };
            continue;
        }
        rest = match tag_end(&rest.as_bytes()[lt..]) {
            Some(end) => &rest[lt + end..],
            None => "",
        };
    }
    untagged.push_str(rest);
    out.clear();
    if memchr::memchr(b'&', untagged.as_bytes()).is_some() {
        push_words(&html_escape::decode_html_entities(untagged.as_str()), out);
    } else {
        push_words(untagged, out);
    }
}

/// The offset just past the tag that starts `b` (at its `<`): the first `>`
/// outside a quoted attribute value, which may hold `>` and `<`
/// (`alt="cat&lt;br /&gt;dog"` once unescaped).
fn tag_end(b: &[u8]) -> Option<usize> {
    let gt = memchr::memchr(b'>', b)?;
    // Most tags have no quote before their `>`.
    if !b[..gt].iter().any(|&c| c == b'"' || c == b'\'') {
        return Some(gt + 1);
    }
    let (mut i, mut after_eq) = (1, false);
    while i < b.len() {
        match b[i] {
            b'>' => return Some(i + 1),
            q @ (b'"' | b'\'') if after_eq => match memchr::memchr(q, &b[i + 1..]) {
                Some(close) => i += close + 1,
                // An unclosed quote: the plain `>` is the best guess.
                None => return Some(gt + 1),
            },
            _ => {}
        }
        if b[i] == b'=' {
            after_eq = true;
        } else if !b[i].is_ascii_whitespace() {
            after_eq = false;
        }
        i += 1;
    }
    Some(gt + 1)
}

/// The offset just past `</name ...>` in `s`, case-insensitively.
fn find_end_tag(s: &str, name: &[u8]) -> Option<usize> {
    let b = s.as_bytes();
    let mut from = 0;
    while let Some(i) = memchr::memmem::find(&b[from..], b"</").map(|i| i + from) {
        let tag = &b[i + 2..];
        if tag.len() >= name.len() && tag[..name.len()].eq_ignore_ascii_case(name) {
            return memchr::memchr(b'>', &b[i..]).map(|gt| i + gt + 1);
        }
        from = i + 2;
    }
    None
}

/// Appends the words of `s` to `out`, one space between them: what
/// `split_whitespace` and a join give, by bytes. Only ASCII and characters
/// led by `C2`, `E1`, `E2` or `E3` can be Unicode white space, so CJK text
/// is skipped three bytes at a time without decoding (the `char` loop was
/// a tenth of fingerprinting).
fn push_words(s: &str, out: &mut String) {
    // A byte that may start white space (a superset: all of ASCII's
    // control characters).
    let maybe_space = |c: u8| c <= b' ' || c == 0xC2 || (0xE1..=0xE3).contains(&c);
    let b = s.as_bytes();
    let (mut i, mut word) = (0, None);
    while i < b.len() {
        if word.is_some() {
            // Inside a word, 32 bytes at a time while none may be white
            // space (the fold, unlike `any`, vectorizes).
            while let Some(chunk) = b.get(i..i + 32)
                && !chunk.iter().fold(false, |a, &c| a | maybe_space(c))
            {
                i += 32;
            }
            if i >= b.len() {
                break;
            }
        }
        // Other bytes, continuation bytes included, are one byte of a word.
        let (space, len) = match b[i] {
            c @ 0..0x80 => (matches!(c, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' '), 1),
            0xC2 | 0xE1 | 0xE2 | 0xE3 => {
                let c = s[i..].chars().next().expect("a character starts here");
                (c.is_whitespace(), c.len_utf8())
            }
            _ => (false, 1),
        };
        if space {
            if let Some(start) = word.take() {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(&s[start..i]);
            }
        } else if word.is_none() {
            word = Some(i);
        }
        i += len;
    }
    if let Some(start) = word {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&s[start..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_joined_as_split_whitespace_joins_them() {
        let pieces = [
            "苏州",
            " ",
            "\u{3000}",
            "\u{A0}",
            "\u{2003}",
            "\u{2028}",
            "\u{1680}",
            "\u{85}",
            "\t\n",
            "a",
            "É",
            "\u{3002}",
            "\u{E000}",
            "😀",
            "\u{200B}",
            "\u{FEFF}",
            "x y",
            "\r\u{0B}\u{0C}",
            "苏州工业园区今日举行新闻发布会宣布",
        ];
        let mut rng = fastrand::Rng::with_seed(11);
        for _ in 0..20_000 {
            let s: String = (0..rng.usize(0..24))
                .map(|_| pieces[rng.usize(..pieces.len())])
                .collect();
            let mut out = String::new();
            push_words(&s, &mut out);
            assert_eq!(out, s.split_whitespace().collect::<Vec<_>>().join(" "), "{s:?}");
        }
    }

    /// Quoted attribute values may hold `>` and `<`; scripts, styles and
    /// comments hold no text a reader sees.
    #[test]
    fn text_of_html_skips_whole_tags_code_and_comments() {
        assert_eq!(html_to_text("<img alt=\"cat<br />dog\" src='x.jpg'>猫狗"), "猫狗");
        assert_eq!(html_to_text("<a title=\"a > b\">链接</a>"), "链接");
        assert_eq!(html_to_text("<b>it's</b> <i>ok</i>"), "it's ok");
        assert_eq!(
            html_to_text("安全<SCRIPT type=\"x\">alert('<b>')</script>新闻<style>p{}</style>"),
            "安全 新闻"
        );
        assert_eq!(html_to_text("a<!-- <p>隐藏</p> -->b<!-- 未闭合"), "a b");
        assert_eq!(html_to_text("<scripts>不是脚本</scripts>"), "不是脚本");
    }
}
