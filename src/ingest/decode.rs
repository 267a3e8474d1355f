//! Bytes → UTF-8 text, before any XML parser sees the document.
//!
//! Chinese sites declare GB2312 and send GBK, declare UTF-8 and send GBK,
//! or send a charset in HTTP that contradicts the document. The order here
//! (override, BOM, HTTP charset, XML declaration, UTF-8, and for bytes that
//! are not UTF-8 the encoding `chardetng` guesses from them) passed every
//! probe in the team's crate notes (shared/reference/crate-notes.md,
//! outside this repository).

use encoding_rs::{Encoding, GB18030, GBK, UTF_8, WINDOWS_1252};

/// A decoded document and how we decided to read it.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// UTF-8 text with the BOM removed, the XML declaration rewritten to
    /// say UTF-8, and characters XML forbids removed.
    pub text: String,
    pub encoding: &'static Encoding,
    /// Why this encoding was used, for `huiju inspect`.
    pub reason: String,
    pub warnings: Vec<String>,
}

/// Decodes `bytes`. `http_charset` is the `charset` parameter of the HTTP
/// Content-Type, if any; `forced` a per-feed override from the config.
pub fn decode(bytes: &[u8], http_charset: Option<&str>, forced: Option<&'static Encoding>) -> Decoded {
    decode_as(bytes, http_charset, forced, false)
}

/// Decodes a web page: as [`decode`], but the document's own declaration
/// may also be an HTML `<meta charset>` or `<meta http-equiv=Content-Type>`
/// in the first 1024 bytes (the WHATWG prescan), which comes before an XML
/// declaration.
pub fn decode_html(bytes: &[u8], http_charset: Option<&str>, forced: Option<&'static Encoding>) -> Decoded {
    decode_as(bytes, http_charset, forced, true)
}

fn decode_as(
    bytes: &[u8],
    http_charset: Option<&str>,
    forced: Option<&'static Encoding>,
    html: bool,
) -> Decoded {
    if forced.is_none()
        && let Some((text, enc, reason, bad)) = decode_wide(bytes)
    {
        let mut warnings = Vec::new();
        if bad > 0 {
            warnings.push(format!("{bad} invalid {reason} sequences replaced by U+FFFD"));
        }
        return finish(
            text,
            enc,
            format!("{reason} (from the document's first bytes)"),
            warnings,
        );
    }
    let mut warnings = Vec::new();
    let (bom, bom_len) = match Encoding::for_bom(bytes) {
        Some((enc, len)) => (Some(enc), len),
        None => (None, 0),
    };
    let body = &bytes[bom_len..];
    let meta = if html { html_meta_charset(body) } else { None };
    let (declared, what) = match meta {
        Some(m) => (Some(m), "HTML <meta> charset"),
        None => (xml_declared_encoding(body), "XML declaration encoding"),
    };

    let (mut enc, mut reason) = if let Some(enc) = forced {
        (enc, "per-feed encoding override in the config".to_string())
    } else if let Some(enc) = bom {
        (enc, "byte order mark".to_string())
    } else {
        let http = http_charset.map(|c| (c, Encoding::for_label(c.trim().as_bytes())));
        let decl = declared
            .as_deref()
            .map(|d| (d, Encoding::for_label(d.as_bytes())));
        match (http, decl) {
            (Some((label, None)), _) => {
                warnings.push(format!("unknown HTTP charset '{label}' ignored"));
                from_declaration_or_default(decl, what, &mut warnings)
            }
            // Servers that send a Western default charset are usually just
            // misconfigured: the document's own declaration, or valid UTF-8, is
            // more trustworthy than iso-8859-1 on a Chinese site.
            (Some((label, Some(e))), d) if e == WINDOWS_1252 && (d.is_some() || is_utf8_non_ascii(body)) => {
                warnings.push(format!(
                    "HTTP charset '{label}' ignored in favour of {}",
                    if d.is_some() {
                        if html {
                            "the <meta> charset"
                        } else {
                            "the XML declaration"
                        }
                    } else {
                        "valid UTF-8"
                    }
                ));
                from_declaration_or_default(decl, what, &mut warnings)
            }
            (Some((label, Some(e))), _) => (e, format!("HTTP Content-Type charset={label}")),
            (None, decl) => from_declaration_or_default(decl, what, &mut warnings),
        }
    };

    // GB2312 and GBK are subsets of GB18030; reading them as GB18030 costs
    // nothing and accepts the 4-byte sequences real "GB2312" feeds contain.
    if enc == GBK {
        enc = GB18030;
    }
    // UTF-16 named by a declaration we could read as ASCII is a lie; the
    // "replacement" encoding (hz-gb-2312, iso-2022-cn) cannot be decoded.
    if bom.is_none() && forced.is_none() && (enc.name().starts_with("UTF-16") || enc.name() == "replacement")
    {
        warnings.push(format!(
            "declared encoding {} cannot be right here; read as UTF-8",
            enc.name()
        ));
        enc = UTF_8;
        reason = "UTF-8 (declared encoding unusable)".to_string();
    }

    let text = if enc == UTF_8 {
        match simdutf8::basic::from_utf8(body) {
            Ok(s) => s.to_string(),
            Err(_) => {
                // Bytes that are not UTF-8, whatever was said: what they are
                // is guessed from them (GBK from a mainland portal that
                // declares UTF-8, Big5 from Hong Kong and Taiwan, Latin-1
                // from a French blog that declares nothing …).
                let guess = guess_encoding(body);
                let (s, had_errors) = guess.decode_without_bom_handling(body);
                if !had_errors && bom.is_none() && forced.is_none() {
                    warnings.push(format!(
                        "not valid UTF-8 although {}; read as {} instead",
                        reason_short(&reason),
                        guess.name()
                    ));
                    enc = guess;
                    reason = format!(
                        "{} (the bytes are not UTF-8, despite {}; guessed from them)",
                        guess.name(),
                        reason_short(&reason)
                    );
                    s.into_owned()
                } else {
                    let (s, _) = UTF_8.decode_without_bom_handling(body);
                    let bad = s.matches('\u{FFFD}').count();
                    warnings.push(format!("{bad} invalid UTF-8 sequences replaced by U+FFFD"));
                    s.into_owned()
                }
            }
        }
    } else {
        let (s, had_errors) = enc.decode_without_bom_handling(body);
        if had_errors {
            let bad = s.matches('\u{FFFD}').count();
            warnings.push(format!(
                "{bad} byte sequences invalid in {} replaced by U+FFFD",
                enc.name()
            ));
        }
        s.into_owned()
    };

    finish(text, enc, reason, warnings)
}

/// The decoded text with its declaration rewritten to UTF-8 and the
/// characters XML forbids removed.
fn finish(text: String, encoding: &'static Encoding, reason: String, mut warnings: Vec<String>) -> Decoded {
    let text = rewrite_declaration(text);
    let (text, removed) = strip_forbidden(text);
    if removed > 0 {
        warnings.push(format!("removed {removed} control characters that XML forbids"));
    }
    Decoded {
        text,
        encoding,
        reason,
        warnings,
    }
}

/// A document in UTF-32 (with or without a byte order mark) or in UTF-16
/// without one, told by its first bytes as XML 1.0 (Appendix F) says:
/// `<?` (or a BOM) in four bytes, two or four a character. Its text, the
/// encoding to report, the encoding's name, and the invalid sequences
/// replaced. UTF-16 with a byte order mark is left to `Encoding::for_bom`.
///
/// encoding_rs has no UTF-32 (the WHATWG standard forbids it on the web):
/// it is decoded here, four bytes a character.
fn decode_wide(bytes: &[u8]) -> Option<(String, &'static Encoding, &'static str, usize)> {
    let utf32 = |body: &[u8], big: bool| {
        let mut bad = 0;
        let text = body
            .chunks(4)
            .map(|c| {
                let b: [u8; 4] = c.try_into().unwrap_or([0xFF; 4]);
                let n = if big {
                    u32::from_be_bytes(b)
                } else {
                    u32::from_le_bytes(b)
                };
                char::from_u32(n).unwrap_or_else(|| {
                    bad += 1;
                    '\u{FFFD}'
                })
            })
            .collect::<String>();
        (text, bad)
    };
    let utf16 = |body: &[u8], enc: &'static Encoding| {
        let (text, _) = enc.decode_without_bom_handling(body);
        let bad = text.matches('\u{FFFD}').count();
        (text.into_owned(), bad)
    };
    let (text, enc, name, bad) = match bytes.get(..4)? {
        [0, 0, 0xFE, 0xFF] => {
            let (t, bad) = utf32(&bytes[4..], true);
            (t, UTF_8, "UTF-32BE", bad)
        }
        [0xFF, 0xFE, 0, 0] => {
            let (t, bad) = utf32(&bytes[4..], false);
            (t, UTF_8, "UTF-32LE", bad)
        }
        [0, 0, 0, b'<'] => {
            let (t, bad) = utf32(bytes, true);
            (t, UTF_8, "UTF-32BE", bad)
        }
        [b'<', 0, 0, 0] => {
            let (t, bad) = utf32(bytes, false);
            (t, UTF_8, "UTF-32LE", bad)
        }
        [0, b'<', 0, b'?'] => {
            let (t, bad) = utf16(bytes, encoding_rs::UTF_16BE);
            (t, encoding_rs::UTF_16BE, "UTF-16BE", bad)
        }
        [b'<', 0, b'?', 0] => {
            let (t, bad) = utf16(bytes, encoding_rs::UTF_16LE);
            (t, encoding_rs::UTF_16LE, "UTF-16LE", bad)
        }
        _ => return None,
    };
    Some((text, enc, name, bad))
}

/// The encoding of bytes that are not UTF-8, guessed by Firefox's
/// detector; GBK is read as GB18030, its superset.
///
/// Decision: no top-level-domain hint. It is a strong prior: with `cn`,
/// Big5 and EUC-JP pages were guessed GBK (shared/reference/crate-notes.md),
/// and a mainland portal's GBK is guessed right without it.
fn guess_encoding(body: &[u8]) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(body, true);
    match detector.guess(None, false) {
        e if e == GBK => GB18030,
        e => e,
    }
}

fn reason_short(reason: &str) -> &str {
    if reason.starts_with("no declaration") {
        "it has no declaration"
    } else {
        reason
    }
}

/// `what` names the declaration: `XML declaration encoding` or `HTML <meta> charset`.
fn from_declaration_or_default(
    decl: Option<(&str, Option<&'static Encoding>)>,
    what: &str,
    warnings: &mut Vec<String>,
) -> (&'static Encoding, String) {
    match decl {
        Some((label, Some(e))) => (e, format!("{what}=\"{label}\"")),
        Some((label, None)) => {
            warnings.push(format!("unknown encoding '{label}' in the {what} ignored"));
            (UTF_8, "no usable declaration: UTF-8 by default".to_string())
        }
        None => (UTF_8, "no declaration: UTF-8 by default".to_string()),
    }
}

fn is_utf8_non_ascii(b: &[u8]) -> bool {
    !b.is_ascii() && simdutf8::basic::from_utf8(b).is_ok()
}

/// The `encoding="…"` of an XML declaration at the start of `b`, read as ASCII.
pub fn xml_declared_encoding(b: &[u8]) -> Option<String> {
    let head = &b[..b.len().min(512)];
    let start = head.iter().position(|&c| !c.is_ascii_whitespace())?;
    let head = &head[start..];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let i = decl.find("encoding")?;
    let rest = decl[i + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|&q| q == '"' || q == '\'')?;
    let rest = &rest[1..];
    let label = &rest[..rest.find(quote)?];
    Some(label.trim().to_string())
}

/// The charset an HTML page declares in a `<meta>` within its first 1024
/// bytes: `<meta charset=gbk>` or `<meta http-equiv="Content-Type"
/// content="text/html; charset=gb2312">`. A simplified WHATWG prescan:
/// comments are skipped, other tags' attributes are not mistaken for meta.
pub fn html_meta_charset(b: &[u8]) -> Option<String> {
    let b = &b[..b.len().min(1024)];
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"<!--") {
            i = find(b, i + 4, b"-->").map_or(b.len(), |e| e + 3);
        } else if b[i] == b'<'
            && b.len() > i + 5
            && b[i + 1..i + 5].eq_ignore_ascii_case(b"meta")
            && (b[i + 5].is_ascii_whitespace() || b[i + 5] == b'/')
        {
            let (attrs, end) = tag_attributes(b, i + 5);
            let get = |name: &str| attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
            if let Some(c) = get("charset").map(str::trim).filter(|c| !c.is_empty()) {
                return Some(c.to_string());
            }
            if get("http-equiv").is_some_and(|h| h.trim().eq_ignore_ascii_case("content-type"))
                && let Some(c) = get("content").and_then(charset_in_content)
            {
                return Some(c);
            }
            i = end;
        } else if b[i] == b'<'
            && b.get(i + 1)
                .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'/')
        {
            // Another tag: skip its attributes, whose values may say "<meta".
            let name_end = b[i + 1..]
                .iter()
                .position(|c| c.is_ascii_whitespace() || *c == b'>')
                .map_or(b.len(), |p| i + 1 + p);
            i = tag_attributes(b, name_end).1;
        } else {
            i += 1;
        }
    }
    None
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// Attributes (names lower-cased) from `i` to the end of the tag, and the
/// index after it.
fn tag_attributes(b: &[u8], mut i: usize) -> (Vec<(String, String)>, usize) {
    let mut attrs = Vec::new();
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() {
            return (attrs, i);
        }
        if b[i] == b'>' {
            return (attrs, i + 1);
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let name = String::from_utf8_lossy(&b[start..i]).to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let end = b[i + 1..]
                    .iter()
                    .position(|&c| c == q)
                    .map_or(b.len(), |p| i + 1 + p);
                value = String::from_utf8_lossy(&b[i + 1..end]).into_owned();
                i = (end + 1).min(b.len());
            } else {
                let start = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                    i += 1;
                }
                value = String::from_utf8_lossy(&b[start..i]).into_owned();
            }
        }
        if !name.is_empty() && !attrs.iter().any(|(k, _)| *k == name) {
            attrs.push((name, value));
        }
    }
}

/// `charset=…` inside a `content="text/html; charset=gb2312"`.
fn charset_in_content(content: &str) -> Option<String> {
    let lower = content.to_ascii_lowercase();
    let at = lower.find("charset")?;
    let rest = content[at + "charset".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let rest = rest.trim_start_matches(['"', '\'']);
    let end = rest
        .find(|c: char| c == ';' || c == '"' || c == '\'' || c.is_whitespace())
        .unwrap_or(rest.len());
    Some(rest[..end].to_string()).filter(|c| !c.is_empty())
}

/// Makes the declaration say UTF-8 so that no later parser decodes twice.
fn rewrite_declaration(text: String) -> String {
    let trimmed = text.trim_start();
    if !trimmed.starts_with("<?xml") {
        return text;
    }
    let offset = text.len() - trimmed.len();
    let Some(end) = trimmed.find("?>") else {
        return text;
    };
    let decl = &trimmed[..end];
    let Some(i) = decl.find("encoding") else {
        return text;
    };
    let after = &decl[i..];
    let Some(q1) = after.find(['"', '\'']) else {
        return text;
    };
    let quote = after.as_bytes()[q1] as char;
    let Some(q2) = after[q1 + 1..].find(quote) else {
        return text;
    };
    let (a, b) = (offset + i + q1 + 1, offset + i + q1 + 1 + q2);
    if text[a..b].eq_ignore_ascii_case("utf-8") {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..a]);
    out.push_str("UTF-8");
    out.push_str(&text[b..]);
    out
}

/// True for characters XML 1.0 does not allow anywhere in a document.
pub fn is_forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
}

/// Removes characters XML forbids; returns the text and how many went.
/// Whether `s` holds a character XML forbids, by bytes: C0 controls other
/// than tab, LF and CR are single bytes, U+FFFE/U+FFFF are `EF BF BE/BF`.
/// (A scan by `char` cost 5 % of parsing.)
pub fn has_forbidden(s: &str) -> bool {
    let b = s.as_bytes();
    // Whole chunks without an early exit, so that the compiler vectorizes
    // the test. `EF` also starts full-width punctuation (，：), so memchr
    // stops often in Chinese text; each stop costs two byte comparisons.
    let control = |x: u8| x < 0x20 && !matches!(x, b'\t' | b'\n' | b'\r');
    b.chunks(64)
        .any(|c| c.iter().fold(false, |acc, &x| acc | control(x)))
        || memchr::memchr_iter(0xEF, b)
            .any(|i| b.get(i + 1) == Some(&0xBF) && matches!(b.get(i + 2), Some(0xBE | 0xBF)))
}

pub fn strip_forbidden(text: String) -> (String, usize) {
    if !has_forbidden(&text) {
        return (text, 0);
    }
    let before = text.chars().count();
    let out: String = text.chars().filter(|&c| !is_forbidden(c)).collect();
    let removed = before - out.chars().count();
    (out, removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds that declare no encoding and are not UTF-8 are read in the
    /// encoding their bytes are in (testdata/encodings/README.md), not as
    /// GB18030 or with bytes replaced.
    #[test]
    fn undeclared_legacy_encodings_are_guessed() {
        for (file, want, text) in [
            ("big5-undeclared.xml", "Big5", "香港特區政府今日公佈最新施政報告"),
            (
                "shift_jis-undeclared.xml",
                "Shift_JIS",
                "東京都は本日、新しい交通計画を発表しました",
            ),
            (
                "euc-jp-undeclared.xml",
                "EUC-JP",
                "京都市の観光客数が過去最高を記録した",
            ),
            (
                "euc-kr-undeclared.xml",
                "EUC-KR",
                "서울시는 오늘 새로운 교통 계획을 발표했다",
            ),
            (
                "windows-1252-undeclared.xml",
                "windows-1252",
                "Les élèves très motivés",
            ),
            // KOI8-U is KOI8-R with Ukrainian letters in place of box
            // drawing: Russian text reads the same.
            ("koi8-r-undeclared.xml", "KOI8-U", "Власти города объявили"),
        ] {
            let path = format!("{}/testdata/encodings/{file}", env!("CARGO_MANIFEST_DIR"));
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            let d = decode(&bytes, None, None);
            assert_eq!(d.encoding.name(), want, "{file}: {}", d.reason);
            assert!(d.text.contains(text), "{file}: {}", d.text);
            assert!(!d.text.contains('\u{FFFD}'), "{file}");
        }
    }

    /// UTF-16 without a byte order mark and UTF-32 with or without one are
    /// read, not taken for UTF-8 garbage.
    #[test]
    fn wide_encodings_are_told_by_their_first_bytes() {
        for (file, reason) in [
            ("utf-16le-no-bom.xml", "UTF-16LE"),
            ("utf-16be-no-bom.xml", "UTF-16BE"),
            ("utf-32le-no-bom.xml", "UTF-32LE"),
            ("utf-32be-bom.xml", "UTF-32BE"),
        ] {
            let path = format!("{}/testdata/encodings/{file}", env!("CARGO_MANIFEST_DIR"));
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            let d = decode(&bytes, None, None);
            assert!(d.reason.starts_with(reason), "{file}: {}", d.reason);
            assert!(
                d.text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
                "{file}: {}",
                d.text
            );
            assert!(
                d.text.contains("<title>苏州地铁6号线今日开通 😀</title>"),
                "{file}: {}",
                d.text
            );
            assert!(d.warnings.is_empty(), "{file}: {:?}", d.warnings);
        }
    }

    #[test]
    fn forbidden_characters_found_by_bytes_as_by_chars() {
        for s in [
            "",
            "苏州\t\n\r",
            "a\u{1}b",
            "x\u{FFFE}",
            "\u{FFFF}",
            "\u{FFFD}\u{EFBF}",
            "\u{B}",
            "\u{7F}",
        ] {
            assert_eq!(has_forbidden(s), s.chars().any(is_forbidden), "{s:?}");
        }
        // Past the first 64-byte chunk, and at the very end.
        for tail in ["\u{1}", "\u{FFFE}", "\u{FFFF}", "，", "\u{FFFD}", ""] {
            for n in [63, 64, 65, 200] {
                let s = format!("{}{tail}", "苏".repeat(n / 3) + &"a".repeat(n % 3));
                assert_eq!(has_forbidden(&s), s.chars().any(is_forbidden), "{s:?}");
            }
        }
    }

    const DOC: &str =
        "<?xml version=\"1.0\" encoding=\"gb2312\"?><rss><channel><title>苏州新闻</title></channel></rss>";

    #[test]
    fn gb2312_declaration_reads_as_gb18030_and_is_rewritten() {
        let (bytes, _, _) = GBK.encode(DOC);
        let d = decode(&bytes, None, None);
        assert_eq!(d.encoding, GB18030);
        assert!(d.text.contains("苏州新闻"));
        assert!(
            d.text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
            "{}",
            d.text
        );
        assert!(d.reason.contains("declaration"), "{}", d.reason);
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    }

    #[test]
    fn utf8_declared_but_gbk_bytes_are_retried() {
        let doc = DOC.replace("gb2312", "utf-8");
        let (bytes, _, _) = GBK.encode(&doc);
        let d = decode(&bytes, None, None);
        assert!(d.text.contains("苏州新闻"));
        assert_eq!(d.encoding, GB18030);
        assert!(d.warnings[0].contains("not valid UTF-8"), "{:?}", d.warnings);
    }

    #[test]
    fn bom_beats_http_and_declaration() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(DOC.as_bytes()); // UTF-8 bytes, declaration says gb2312
        let d = decode(&bytes, Some("gbk"), None);
        assert_eq!(d.encoding, UTF_8);
        assert_eq!(d.reason, "byte order mark");
        assert!(d.text.starts_with("<?xml") && d.text.contains("苏州新闻"));
    }

    #[test]
    fn http_charset_beats_declaration_and_override_beats_all() {
        let doc = DOC.replace("gb2312", "utf-8").replace("苏州新闻", "蘇州新聞");
        let (bytes, _, _) = encoding_rs::BIG5.encode(&doc);
        let d = decode(&bytes, Some("big5"), None);
        assert_eq!(d.encoding, encoding_rs::BIG5);
        assert!(d.text.contains("蘇州新聞"), "{}", d.text);
        let d = decode(&bytes, Some("utf-8"), Some(encoding_rs::BIG5));
        assert!(d.reason.contains("override"));
        assert!(d.text.contains("蘇州新聞"));
    }

    #[test]
    fn western_http_default_does_not_garble_utf8() {
        let doc = DOC.replace("gb2312", "utf-8");
        let d = decode(doc.as_bytes(), Some("ISO-8859-1"), None);
        assert_eq!(d.encoding, UTF_8);
        assert!(d.text.contains("苏州新闻"));
        assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
    }

    #[test]
    fn control_characters_are_removed_with_a_warning() {
        let d = decode("<rss>a\u{0B}b\u{1}</rss>".as_bytes(), None, None);
        assert_eq!(d.text, "<rss>ab</rss>");
        assert_eq!(d.warnings, vec!["removed 2 control characters that XML forbids"]);
    }

    #[test]
    fn html_meta_charset_forms() {
        let m = |s: &str| html_meta_charset(s.as_bytes());
        assert_eq!(m("<html><head><meta charset=gbk>"), Some("gbk".into()));
        assert_eq!(m("<META CHARSET=\"GB2312\"/>"), Some("GB2312".into()));
        assert_eq!(
            m("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">"),
            Some("gb2312".into())
        );
        assert_eq!(
            m("<meta content='text/html;charset=GBK' http-equiv='content-type'>"),
            Some("GBK".into())
        );
        // Not a declaration: a comment, another tag's attribute, a meta without charset.
        assert_eq!(m("<!-- <meta charset=big5> --><title>x</title>"), None);
        assert_eq!(m("<div title=\"<meta charset=big5>\">"), None);
        assert_eq!(m("<meta name=keywords content=\"charset=big5\">"), None);
        assert_eq!(m("<metadata charset=big5>"), None);
        // Only the first 1024 bytes count.
        assert_eq!(m(&format!("{}<meta charset=gbk>", " ".repeat(1100))), None);
    }

    #[test]
    fn html_pages_are_read_by_their_meta_charset() {
        let page = "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Type\" \
                    content=\"text/html; charset=gb2312\"><title>江苏资讯</title></head></html>";
        let (bytes, _, _) = GBK.encode(page);
        let d = decode_html(&bytes, None, None);
        assert_eq!(d.encoding, GB18030);
        assert!(d.text.contains("江苏资讯"));
        assert_eq!(d.reason, "HTML <meta> charset=\"gb2312\"");
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
        // The HTTP header wins over <meta>, except a Western default.
        let d = decode_html(&bytes, Some("gbk"), None);
        assert!(d.reason.starts_with("HTTP"), "{}", d.reason);
        let d = decode_html(&bytes, Some("iso-8859-1"), None);
        assert_eq!(d.encoding, GB18030);
        assert!(d.warnings[0].contains("<meta> charset"), "{:?}", d.warnings);
        // A feed is not sniffed for <meta>.
        let d = decode(&bytes, None, None);
        assert!(!d.reason.contains("meta"), "{}", d.reason);
    }

    #[test]
    fn declaration_sniffing() {
        assert_eq!(
            xml_declared_encoding(b"  <?xml version='1.0' encoding = 'GBK' ?>"),
            Some("GBK".into())
        );
        assert_eq!(xml_declared_encoding(b"<?xml version=\"1.0\"?><rss/>"), None);
        assert_eq!(xml_declared_encoding(b"<rss/>"), None);
    }
}
