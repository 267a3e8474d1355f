//! Parsed items → items huiju stores: absolute links, an identity key,
//! clean text, a content hash that tells an update from a re-fetch.

use chrono::{DateTime, FixedOffset};
use url::Url;

use crate::decode::is_forbidden;
use crate::identity;
use crate::parse::{self, Enclosure};

/// An item ready for dedup and storage.
#[derive(Debug, Clone)]
pub struct Item {
    /// Identity key: `url:…` (a guid or link that is a web URL, normalized),
    /// `guid:…` (an opaque guid, scoped to the feed's host) or `hash:…`
    /// (title and content, when the source gives neither). Never random.
    pub key: String,
    /// Secondary key from the normalized link, so the same article under
    /// URL variants in two feeds is one item even when one has a guid.
    pub link_key: Option<String>,
    /// The id shown in output feeds: the source's own guid/id if it has one.
    pub guid: String,
    pub link: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub content: Option<String>,
    pub published: Option<DateTime<FixedOffset>>,
    pub author: Option<String>,
    pub categories: Vec<String>,
    pub enclosures: Vec<Enclosure>,
    /// Hash of what a reader sees; a change means "updated at its source".
    pub content_hash: i64,
}

/// Query parameters that only track readers and never select content.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "yclid",
    "igshid",
    "_hsenc",
    "_hsmi",
    "spm",
    "isappinstalled",
    "from_source",
    "share_token",
    "scene",
    "clicktime",
    "enterid",
    "xtor",
];

/// Normalizes a link for comparison: http = https, lower-case host, no
/// default port, no fragment, no tracking parameters, remaining parameters
/// sorted, trailing slash ignored. Returns `host/path?query` (no scheme).
pub fn normalize_link(link: &str) -> Option<String> {
    normalize_url(&Url::parse(link.trim()).ok()?)
}

/// [`normalize_link`] of a parsed URL.
fn normalize_url(u: &Url) -> Option<String> {
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    let host = u.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    // `www.` stays: it is a different host as far as anyone can know.
    let mut out = host;
    if let Some(port) = u.port().filter(|p| *p != 80 && *p != 443) {
        out.push(':');
        out.push_str(&port.to_string());
    }
    let path = u.path().trim_end_matches('/');
    out.push_str(path);
    let mut params: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            !k.starts_with("utm_") && !TRACKING_PARAMS.contains(&k.as_str())
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if !params.is_empty() {
        params.sort();
        let q = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        out.push('?');
        out.push_str(&q);
    }
    Some(out)
}

/// True when a normalized link points at a site's front page, which some
/// feeds give every item: such a link identifies nothing.
fn is_front_page(norm: &str) -> bool {
    !norm.contains('/') && !norm.contains('?')
}

/// Resolves `link` against `base` (the feed's site link or URL).
pub fn absolute(link: &str, base: Option<&Url>) -> Option<String> {
    absolute_url(link, base).map(String::from)
}

/// [`absolute`], parsed.
fn absolute_url(link: &str, base: Option<&Url>) -> Option<Url> {
    let link = link.trim();
    match Url::parse(link) {
        Ok(u) => Some(u),
        Err(url::ParseError::RelativeUrlWithoutBase) => base?.join(link).ok(),
        Err(_) => None,
    }
}

/// The feed's site link (`<channel><link>`, Atom `rel="alternate"`)
/// resolved against the URL the feed was fetched from: portals write
/// `<link>/</link>`. Only http(s).
pub fn site_url(feed: &parse::Feed, fetched_from: &Url) -> Option<Url> {
    feed.link
        .as_deref()
        .and_then(|l| fetched_from.join(l.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
}

/// Turns a parsed feed's items into storable items. `fetched_from` (the
/// document's URL: after redirects, or its Content-Location) anchors
/// relative links; `source` (the configured URL) scopes opaque guids, so a
/// feed that moves host keeps its items.
///
/// Relative URLs resolve against the `xml:base` in effect where the source
/// wrote them, when it wrote one. Otherwise an item's link and enclosures
/// resolve against the channel's link (portals write `<link>/</link>` and
/// item links relative to it), else the document's URL; URLs inside its
/// summary and content against the item's link, the page they were taken
/// from, else the same.
pub fn normalize(feed: &parse::Feed, fetched_from: &Url, source: &Url) -> Vec<Item> {
    let base = site_url(feed, fetched_from).unwrap_or_else(|| fetched_from.clone());
    let scope = identity::scope_of(source);
    feed.items
        .iter()
        .map(|it| normalize_item(it, &base, fetched_from, &scope))
        .collect()
}

/// Hash of what a reader sees of an item; a change means "updated".
fn content_hash(
    title: &str,
    link: Option<&str>,
    summary: Option<&str>,
    content: Option<&str>,
    author: Option<&str>,
    categories: &[String],
) -> i64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for part in [Some(title), link, summary, content, author] {
        h.update(part.unwrap_or("").as_bytes());
        h.update(&[0]);
    }
    for c in categories {
        h.update(c.as_bytes());
        h.update(&[1]);
    }
    h.digest() as i64
}

impl Item {
    /// Gives the item content that is already sanitized (an HTML source's
    /// article text, kept in the store from an earlier poll) and hashes it
    /// again, so that an unchanged item stays unchanged.
    pub fn set_stored_content(&mut self, content: Option<String>) {
        self.content = content;
        self.content_hash = content_hash(
            &self.title,
            self.link.as_deref(),
            self.summary.as_deref(),
            self.content.as_deref(),
            self.author.as_deref(),
            &self.categories,
        );
    }
}

/// `base` with the `xml:base` values applied in order (each relative one
/// against the one before); one that cannot be resolved is skipped.
fn with_xml_base<'a>(base: &Url, chain: impl IntoIterator<Item = &'a String>) -> Url {
    chain
        .into_iter()
        .fold(base.clone(), |b, x| b.join(x.trim()).unwrap_or(b))
}

fn normalize_item(it: &parse::Item, base: &Url, doc: &Url, scope: &str) -> Item {
    let xb = &it.xml_base;
    let item_xml_base = (!xb.is_empty()).then(|| with_xml_base(doc, &xb.item));
    // The base of a URL the source wrote inside `element`: its xml:base, if
    // any applies there.
    let xml_base_for = |own: &Option<String>| match (&item_xml_base, own) {
        (Some(b), own) if !xb.item.is_empty() || own.is_some() => Some(with_xml_base(b, own)),
        _ => None,
    };
    let link_base = xml_base_for(&xb.link);
    let base = if xb.item.is_empty() {
        base
    } else {
        item_xml_base.as_ref().unwrap_or(base)
    };
    // The link is parsed once: its text, the base of the item's relative
    // URLs and its normalized form all come from this parse (four parses
    // per item were 6 % of the CPU work of an ingest). A serialized URL is
    // ASCII without control characters, so it needs no `clean_text`.
    let link_url = it
        .link
        .as_deref()
        .and_then(|l| absolute_url(l, Some(link_base.as_ref().unwrap_or(base))));
    let link = link_url.as_ref().map(|u| u.as_str().to_string());
    let link_norm = link_url
        .as_ref()
        .and_then(normalize_url)
        .filter(|n| !is_front_page(n));
    // Item HTML is sanitized here, once, before it is hashed and stored;
    // relative URLs resolve against the item's own link.
    let item_base = link_url.unwrap_or_else(|| base.clone());
    let html = |h: &Option<String>, own_base: &Option<String>| {
        let b = xml_base_for(own_base);
        h.as_deref()
            .map(|h| crate::sanitize::sanitize(&clean_text(h), Some(b.as_ref().unwrap_or(&item_base))))
            .filter(|s| !s.trim().is_empty())
    };
    let summary = html(&it.summary, &xb.summary);
    let content = html(&it.content, &xb.content);
    let title = match it.title.as_deref().map(|t| collapse_ws(&clean_text(t))) {
        Some(t) if !t.is_empty() => t,
        // Readers need a title; take the start of the text, as feedparser does.
        _ => {
            let text = html_to_text(content.as_deref().or(summary.as_deref()).unwrap_or(""));
            let t: String = text.chars().take(40).collect();
            if t.is_empty() {
                "(无标题)".to_string()
            } else {
                t
            }
        }
    };
    let guid = it
        .guid
        .as_deref()
        .map(clean_text)
        .filter(|g| !g.trim().is_empty());
    let hash_key = || identity::hash_key(&title, content.as_deref().or(summary.as_deref()).unwrap_or(""));
    let key = match &guid {
        // Most guids that are URLs are the link itself, already normalized.
        Some(g) => match if it.link.as_deref() == Some(g.as_str()) && link_norm.is_some() {
            link_norm.clone()
        } else {
            normalize_link(g)
        } {
            Some(n) if g.starts_with("http") && !is_front_page(&n) => identity::url_key(&n),
            // Opaque guids ("12345") are only unique within their site.
            _ => identity::guid_key(scope, g),
        },
        None => match &link_norm {
            Some(n) => identity::url_key(n),
            None => hash_key(),
        },
    };
    let out_guid = match (&guid, &link) {
        (Some(g), _) => g.trim().to_string(),
        (None, Some(l)) if link_norm.is_some() => l.clone(),
        _ => format!("urn:huiju:{}", key.trim_start_matches("hash:")),
    };
    let author = it
        .author
        .as_deref()
        .map(|a| collapse_ws(&clean_text(a)))
        .filter(|a| !a.is_empty());
    let categories: Vec<String> = it
        .categories
        .iter()
        .map(|c| collapse_ws(&clean_text(c)))
        .filter(|c| !c.is_empty())
        .collect();
    let enclosures: Vec<Enclosure> = it
        .enclosures
        .iter()
        .filter_map(|e| {
            Some(Enclosure {
                url: absolute(&e.url, Some(base))?,
                mime: e.mime.clone(),
                length: e.length,
            })
        })
        .collect();
    let content_hash = content_hash(
        &title,
        link.as_deref(),
        summary.as_deref(),
        content.as_deref(),
        author.as_deref(),
        &categories,
    );
    Item {
        link_key: link_norm.map(|n| identity::url_key(&n)).filter(|k| *k != key),
        key,
        guid: out_guid,
        link,
        title,
        summary,
        content,
        published: it.published,
        author,
        categories,
        enclosures,
        content_hash,
    }
}

/// Removes characters XML forbids (which entities such as `&#1;` can produce).
pub fn clean_text(s: &str) -> String {
    if crate::decode::has_forbidden(s) {
        s.chars().filter(|&c| !is_forbidden(c)).collect()
    } else {
        s.to_string()
    }
}

fn collapse_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Plain text of an HTML fragment: tags dropped, entities decoded, blank
/// runs collapsed. Good enough for titles and lengths, not for rendering.
pub fn html_to_text(html: &str) -> String {
    let (mut untagged, mut out) = (String::new(), String::new());
    html_to_text_into(html, &mut untagged, &mut out);
    out
}

/// [`html_to_text`] into `out`, with `untagged` as scratch space: callers
/// that convert many fragments (fingerprinting, paragraph by paragraph)
/// reuse both buffers.
pub fn html_to_text_into(html: &str, untagged: &mut String, out: &mut String) {
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

    #[test]
    fn link_variants_are_one_link() {
        let a = normalize_link("http://WWW.Example.com:80/news/1.html?utm_source=rss&id=3&a=1#top").unwrap();
        let b = normalize_link("https://www.example.com/news/1.html/?a=1&id=3&spm=abc").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, "www.example.com/news/1.html?a=1&id=3");
        assert_ne!(
            normalize_link("https://example.com/a?id=1"),
            normalize_link("https://example.com/a?id=2")
        );
        assert_eq!(
            normalize_link("https://example.com:8443/x/").unwrap(),
            "example.com:8443/x"
        );
        assert_eq!(normalize_link("ftp://example.com/x"), None);
    }

    fn item(guid: Option<&str>, link: Option<&str>, title: &str) -> parse::Item {
        parse::Item {
            guid: guid.map(String::from),
            link: link.map(String::from),
            title: Some(title.into()),
            content: Some("<p>正文</p>".into()),
            ..Default::default()
        }
    }

    fn norm(items: Vec<parse::Item>, link: Option<&str>) -> Vec<Item> {
        let feed = parse::Feed {
            format: parse::Format::Rss20,
            title: None,
            link: link.map(String::from),
            description: None,
            items,
            ttl_minutes: None,
            warnings: vec![],
        };
        let url = Url::parse("https://news.example.cn/rss.xml").unwrap();
        normalize(&feed, &url, &url)
    }

    #[test]
    fn identity_prefers_guid_then_link_then_hash() {
        let v = norm(
            vec![
                item(
                    Some("http://news.example.cn/a/1.html?utm_medium=feed"),
                    None,
                    "一",
                ),
                item(Some("12345"), Some("/a/2.html"), "二"),
                item(None, Some("https://news.example.cn/a/3.html#comments"), "三"),
                item(None, None, "四"),
                item(None, None, "四"),
                item(None, Some("https://news.example.cn/"), "五"),
            ],
            Some("https://news.example.cn/"),
        );
        assert_eq!(v[0].key, "url:news.example.cn/a/1.html");
        assert_eq!(v[1].key, "guid:news.example.cn:12345");
        assert_eq!(v[1].link.as_deref(), Some("https://news.example.cn/a/2.html"));
        assert_eq!(v[1].link_key.as_deref(), Some("url:news.example.cn/a/2.html"));
        assert_eq!(v[1].guid, "12345");
        assert_eq!(v[2].key, "url:news.example.cn/a/3.html");
        assert_eq!(v[2].guid, "https://news.example.cn/a/3.html#comments");
        assert!(v[3].key.starts_with("hash:"));
        assert_eq!(v[3].key, v[4].key, "hash keys are stable");
        assert!(v[3].guid.starts_with("urn:huiju:"));
        // A front-page link identifies nothing: fall back to the hash.
        assert!(v[5].key.starts_with("hash:"), "{}", v[5].key);
    }

    #[test]
    fn content_hash_tracks_what_readers_see() {
        let a = norm(vec![item(None, Some("/a"), "标题")], None);
        let b = norm(vec![item(None, Some("/a"), "标题(更新)")], None);
        assert_eq!(a[0].key, b[0].key);
        assert_ne!(a[0].content_hash, b[0].content_hash);
    }

    #[test]
    fn missing_title_comes_from_text() {
        let v = norm(
            vec![parse::Item {
                summary: Some("<p>苏州&nbsp;今日 <b>晴</b></p>".into()),
                ..Default::default()
            }],
            None,
        );
        assert_eq!(v[0].title, "苏州 今日 晴");
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

    /// Without an `xml:base`, item links resolve against the channel's link;
    /// with one, against it (relative to the document's URL).
    #[test]
    fn xml_base_comes_before_the_channel_link() {
        let plain = item(None, Some("a/1.html"), "一");
        let based = parse::Item {
            xml_base: parse::XmlBase {
                item: vec!["/other/".into()],
                ..Default::default()
            },
            ..item(None, Some("a/2.html"), "二")
        };
        let v = norm(vec![plain, based], Some("https://news.example.cn/portal/"));
        assert_eq!(
            v[0].link.as_deref(),
            Some("https://news.example.cn/portal/a/1.html")
        );
        assert_eq!(
            v[1].link.as_deref(),
            Some("https://news.example.cn/other/a/2.html")
        );
    }
}
