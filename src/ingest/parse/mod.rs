//! Decoded text → a feed: RSS 0.9x, RSS 1.0 (RDF), RSS 2.0, Atom 0.3 and 1.0,
//! detected from the document.
//!
//! Invariant: parsing never fails. It returns what it could read plus
//! warnings; deciding that a document is "not a feed" is the caller's call
//! ([`Format::Unknown`]).

pub mod date;
pub mod xml;

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use serde::Serialize;

use self::xml::Element;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Format {
    #[serde(rename = "RSS 0.90")]
    Rss090,
    #[serde(rename = "RSS 0.91")]
    Rss091,
    #[serde(rename = "RSS 0.92")]
    Rss092,
    /// Drafts between 0.92 and 2.0 that some feeds still declare.
    #[serde(rename = "RSS 0.93")]
    Rss093,
    #[serde(rename = "RSS 0.94")]
    Rss094,
    #[serde(rename = "RSS 1.0")]
    Rss10,
    #[serde(rename = "RSS 2.0")]
    Rss20,
    #[serde(rename = "Atom 0.3")]
    Atom03,
    #[serde(rename = "Atom 1.0")]
    Atom10,
    /// A web page read with CSS selectors ([`crate::ingest::scrape`]), for
    /// sources without a feed.
    #[serde(rename = "HTML")]
    Html,
    /// Not a feed (an HTML page, an empty body, some other XML).
    #[serde(rename = "unknown")]
    Unknown,
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = serde_json::to_value(self).ok();
        f.write_str(s.as_ref().and_then(|v| v.as_str()).unwrap_or("unknown"))
    }
}

/// A feed as the source wrote it, before normalization.
#[derive(Debug, Clone)]
pub struct Feed {
    pub format: Format,
    pub title: Option<String>,
    pub link: Option<String>,
    pub description: Option<String>,
    pub items: Vec<Item>,
    /// RSS `<ttl>`: minutes the source asks caches to wait between polls.
    pub ttl_minutes: Option<u32>,
    pub warnings: Vec<String>,
}

/// One entry as the source wrote it.
#[derive(Debug, Clone, Default)]
pub struct Item {
    /// RSS `<guid>`, Atom `<id>`, RSS 1.0 `rdf:about`.
    pub guid: Option<String>,
    pub link: Option<String>,
    pub title: Option<String>,
    /// HTML.
    pub summary: Option<String>,
    /// HTML (content:encoded, Atom content).
    pub content: Option<String>,
    pub published: Option<DateTime<FixedOffset>>,
    pub updated: Option<DateTime<FixedOffset>>,
    pub author: Option<String>,
    pub categories: Vec<String>,
    pub enclosures: Vec<Enclosure>,
    /// `xml:base` attributes that apply to the item's URLs, as written.
    pub xml_base: XmlBase,
}

/// The `xml:base` attributes in effect for an item, kept as written:
/// resolving them needs the document's URL, which [`crate::ingest::normalize`]
/// has. Each relative one resolves against the one before it, the first
/// against the document's URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XmlBase {
    /// Those of the document element, the channel and the item, outermost first.
    pub item: Vec<String>,
    /// Those of the link, summary and content elements themselves.
    pub link: Option<String>,
    pub summary: Option<String>,
    pub content: Option<String>,
}

impl XmlBase {
    /// True when no `xml:base` applies to anything in the item.
    pub fn is_empty(&self) -> bool {
        *self == XmlBase::default()
    }
}

/// `xml:base` of an element, if it has a non-empty one.
fn xml_base(el: &Element) -> Option<String> {
    el.attr("xml:base").and_then(nonempty)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Enclosure {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mime: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub length: Option<u64>,
}

/// Parses a decoded document. Dates without an offset are read in `tz`.
pub fn parse(text: &str, tz: Tz) -> Feed {
    let doc = xml::parse(text);
    let mut feed = Feed {
        format: Format::Unknown,
        title: None,
        link: None,
        description: None,
        items: Vec::new(),
        ttl_minutes: None,
        warnings: doc.warnings,
    };
    let Some(mut root) = doc.root else {
        feed.warnings.push(if text.trim().is_empty() {
            "empty document".to_string()
        } else {
            "no XML element found".to_string()
        });
        return feed;
    };
    let mut p = Parser {
        tz,
        warnings: Vec::new(),
        bases: xml_base(&root).into_iter().collect(),
    };
    if root.is("", "rss") {
        feed.format = match root.attr("version").map(str::trim) {
            Some("0.91") => Format::Rss091,
            Some("0.92") => Format::Rss092,
            Some("0.93") => Format::Rss093,
            Some("0.94") => Format::Rss094,
            _ => Format::Rss20,
        };
        if let Some(channel) = root.child("", "channel") {
            p.bases.extend(xml_base(channel));
            p.rss_channel(&mut feed, channel, channel);
            // Items written beside the channel rather than inside it.
            if feed.items.is_empty() {
                p.rss_channel(&mut feed, channel, &root);
            }
        } else {
            // Items (and the channel's fields) right inside `<rss>`: read
            // them there rather than lose them.
            p.warnings
                .push("<rss> has no <channel>; read its children as the channel's".into());
            p.rss_channel(&mut feed, &root, &root);
        }
    } else if root.is("rdf", "RDF") {
        let rss090 = root
            .attrs
            .iter()
            .any(|(_, v)| v.contains("my.netscape.com/rdf/simple/0.9"));
        feed.format = if rss090 { Format::Rss090 } else { Format::Rss10 };
        match root.child("", "channel") {
            Some(channel) => {
                p.bases.extend(xml_base(channel));
                p.rss_channel(&mut feed, channel, &root)
            }
            None => p.rss_channel(&mut feed, &Element::default(), &root),
        }
    } else if root.is("atom", "feed") || (root.ns.is_empty() && root.local == "feed") {
        if root.ns.is_empty() {
            // `<feed>` without the Atom namespace: read it as Atom anyway.
            p.warnings
                .push("<feed> lacks the Atom namespace; read as Atom".into());
            adopt_atom_ns(&mut root);
        }
        // Only Atom 1.0 has its namespace; the 0.3 URI and its drafts' are 0.3.
        feed.format = if doc.root_ns_uri.is_empty() || doc.root_ns_uri == "http://www.w3.org/2005/Atom" {
            Format::Atom10
        } else {
            Format::Atom03
        };
        p.atom_feed(&mut feed, &root);
    } else {
        let name = if root.ns.is_empty() {
            root.local.to_string()
        } else {
            format!("{}:{}", root.ns, root.local)
        };
        let hint = if root.local.eq_ignore_ascii_case("html") {
            " (an HTML page, not a feed)"
        } else {
            ""
        };
        p.warnings
            .push(format!("not a feed: the root element is <{name}>{hint}"));
    }
    feed.warnings.extend(p.warnings);
    feed
}

struct Parser {
    tz: Tz,
    warnings: Vec<String>,
    /// `xml:base` of the document element and the channel, outermost first.
    bases: Vec<String>,
}

/// Trims and drops empty strings.
fn nonempty(s: impl Into<String>) -> Option<String> {
    let s = s.into();
    let t = s.trim();
    if t.is_empty() {
        None
    } else if t.len() == s.len() {
        Some(s)
    } else {
        Some(t.to_string())
    }
}

impl Parser {
    fn date(&mut self, el: Option<&Element>, what: &str, item_no: usize) -> Option<DateTime<FixedOffset>> {
        let raw = el?.text();
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        let d = date::parse_date(raw, self.tz);
        if d.is_none() {
            self.warnings
                .push(format!("item {item_no}: unreadable {what} '{raw}', ignored"));
        }
        d
    }

    /// RSS 0.9x/2.0 (items inside `channel`) and RSS 1.0 (items beside it).
    fn rss_channel(&mut self, feed: &mut Feed, channel: &Element, items_parent: &Element) {
        feed.title = channel
            .child_text("", "title")
            .or_else(|| channel.child_text("dc", "title"));
        feed.link = channel.child_text("", "link");
        feed.description = channel
            .child_text("", "description")
            .or_else(|| channel.child_text("dc", "description"))
            .or_else(|| channel.child_text("itunes", "subtitle"))
            .or_else(|| channel.child_text("itunes", "summary"));
        feed.ttl_minutes = channel.child_text("", "ttl").and_then(|t| t.parse().ok());
        for (i, it) in items_parent.children_named("", "item").enumerate() {
            let item = self.rss_item(it, i + 1);
            feed.items.push(item);
        }
        // Some RSS 1.0 producers put items inside the channel.
        if feed.items.is_empty() && !std::ptr::eq(channel, items_parent) {
            for (i, it) in channel.children_named("", "item").enumerate() {
                let item = self.rss_item(it, i + 1);
                feed.items.push(item);
            }
        }
    }

    fn rss_item(&mut self, it: &Element, no: usize) -> Item {
        let guid_el = it.child("", "guid");
        let guid = guid_el
            .and_then(|g| nonempty(g.text()))
            .or_else(|| it.attr("rdf:about").and_then(nonempty));
        let permalink = guid_el
            .and_then(|g| g.attr("isPermaLink"))
            .is_none_or(|v| !v.trim().eq_ignore_ascii_case("false"));
        let link_el = it.child("", "link");
        let mut link = link_el.and_then(|l| nonempty(l.text()));
        if link.is_none() && permalink && guid_el.is_some() {
            link = guid
                .clone()
                .filter(|g| g.starts_with("http://") || g.starts_with("https://"));
        }
        let published = match it.child("", "pubDate") {
            Some(el) => self.date(Some(el), "pubDate", no),
            None => self.date(it.child("dc", "date"), "dc:date", no),
        }
        .or_else(|| self.date(it.child("dcterms", "issued"), "dcterms:issued", no));
        let updated = self.date(it.child("dcterms", "modified"), "dcterms:modified", no);
        let author = it
            .child_text("dc", "creator")
            .or_else(|| it.child_text("", "author"))
            .or_else(|| it.child_text("dc", "author"))
            .or_else(|| it.child_text("itunes", "author"))
            .map(|a| rss_author(&a));
        let mut categories: Vec<String> = it
            .children_named("", "category")
            .chain(it.children_named("dc", "subject"))
            .chain(it.children_named("media", "category"))
            .filter_map(|c| nonempty(c.text()))
            .collect();
        // Podcast categories name themselves in `text`, nested for subcategories.
        let mut stack: Vec<&Element> = it.children_named("itunes", "category").collect();
        stack.reverse();
        while let Some(c) = stack.pop() {
            categories.extend(c.attr("text").and_then(nonempty));
            stack.extend(
                c.children_named("itunes", "category")
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev(),
            );
        }
        categories.dedup();
        let mut enclosures: Vec<Enclosure> = it
            .children_named("", "enclosure")
            .filter_map(|e| {
                Some(Enclosure {
                    url: nonempty(e.attr("url")?)?,
                    mime: e.attr("type").and_then(nonempty),
                    length: e
                        .attr("length")
                        .and_then(|l| l.trim().parse().ok())
                        .filter(|&l| l > 0),
                })
            })
            .collect();
        enclosures.extend(it.children_named("media", "content").filter_map(|m| {
            Some(Enclosure {
                url: nonempty(m.attr("url")?)?,
                mime: m.attr("type").and_then(nonempty),
                length: m.attr("fileSize").and_then(|l| l.trim().parse().ok()),
            })
        }));
        let media_group = it.child("media", "group");
        // Some producers write `<summary>` in RSS: the first of it and
        // `<description>` is the summary, a second one the content.
        let mut described = it
            .elements()
            .filter(|e| e.is("", "description") || e.is("", "summary"));
        let (first_description, second_description) = (described.next(), described.next());
        let summary_el = first_description
            .or_else(|| it.child("dc", "description"))
            .or_else(|| it.child("itunes", "summary"))
            .or_else(|| it.child("media", "description"))
            .or_else(|| media_group.and_then(|g| g.child("media", "description")));
        let content_el = it
            .child("content", "encoded")
            .or_else(|| it.child("xhtml", "body"))
            .or_else(|| it.child("", "fullitem"))
            .or_else(|| it.child("", "body"))
            .or(second_description);
        Item {
            xml_base: XmlBase {
                item: self.bases.iter().cloned().chain(xml_base(it)).collect(),
                link: link_el.and_then(xml_base),
                summary: summary_el.and_then(xml_base),
                content: content_el.and_then(xml_base),
            },
            guid,
            link,
            // Dublin Core and the older content elements stand in for
            // the RSS ones when those are missing, as feedparser reads them.
            title: it
                .child("", "title")
                .or_else(|| it.child("dc", "title"))
                .or_else(|| it.child("media", "title"))
                .or_else(|| media_group.and_then(|g| g.child("media", "title")))
                .and_then(|t| nonempty(t.text())),
            summary: summary_el.and_then(|d| nonempty(d.html())),
            content: content_el
                .map(|c| {
                    if c.is("xhtml", "body") {
                        c.xhtml()
                    } else {
                        c.html()
                    }
                })
                .and_then(nonempty),
            published,
            updated,
            author,
            categories,
            enclosures,
        }
    }

    fn atom_feed(&mut self, feed: &mut Feed, root: &Element) {
        feed.title = root.child("atom", "title").and_then(|t| nonempty(atom_plain(t)));
        feed.link = atom_link(root, "alternate");
        feed.description = root
            .child("atom", "subtitle")
            .or_else(|| root.child("atom", "tagline"))
            .and_then(|t| nonempty(atom_plain(t)));
        let feed_author = root
            .child("atom", "author")
            .and_then(|a| a.child_text("atom", "name"));
        // Early Atom 0.3 producers wrote `<item>` for `<entry>`.
        let entries = root
            .elements()
            .filter(|e| e.is("atom", "entry") || e.is("atom", "item"));
        for (i, e) in entries.enumerate() {
            let no = i + 1;
            let published = match e.child("atom", "published") {
                Some(el) => self.date(Some(el), "published", no),
                None => self.date(e.child("atom", "issued"), "issued", no),
            };
            let updated = match e.child("atom", "updated") {
                Some(el) => self.date(Some(el), "updated", no),
                None => self.date(e.child("atom", "modified"), "modified", no),
            };
            let content = e.child("atom", "content");
            let mut enclosures: Vec<Enclosure> = e
                .children_named("atom", "link")
                .filter(|l| l.attr("rel") == Some("enclosure"))
                .filter_map(|l| {
                    Some(Enclosure {
                        url: nonempty(l.attr("href")?)?,
                        mime: l.attr("type").and_then(nonempty),
                        length: l.attr("length").and_then(|v| v.trim().parse().ok()),
                    })
                })
                .collect();
            enclosures.dedup();
            let summary = e.child("atom", "summary").or_else(|| {
                e.child("media", "group")
                    .unwrap_or(e)
                    .child("media", "description")
            });
            feed.items.push(Item {
                xml_base: XmlBase {
                    item: self.bases.iter().cloned().chain(xml_base(e)).collect(),
                    link: alternate_link(e).and_then(xml_base),
                    summary: summary.and_then(xml_base),
                    content: content.and_then(xml_base),
                },
                guid: e.child_text("atom", "id"),
                link: atom_link(e, "alternate"),
                title: e.child("atom", "title").and_then(|t| nonempty(atom_plain(t))),
                summary: summary.and_then(|s| nonempty(atom_html(s, feed.format))),
                content: content.and_then(|c| nonempty(atom_html(c, feed.format))),
                // Atom says `updated` is required and `published` optional:
                // fall back so an entry with only `updated` still has a date.
                published: published.or(updated),
                updated,
                author: e
                    .child("atom", "author")
                    .and_then(|a| a.child_text("atom", "name"))
                    .or_else(|| e.child_text("dc", "creator"))
                    .or_else(|| feed_author.clone()),
                categories: e
                    .children_named("atom", "category")
                    .filter_map(|c| c.attr("label").or(c.attr("term")).and_then(nonempty))
                    .collect(),
                enclosures,
            });
        }
    }
}

/// Puts un-namespaced elements into the Atom namespace.
fn adopt_atom_ns(el: &mut Element) {
    if el.ns.is_empty() {
        el.ns = "atom".into();
    }
    for n in &mut el.children {
        if let xml::Node::Elem(e) = n {
            adopt_atom_ns(e);
        }
    }
}

/// `jiqiang@example.com (吉强)` and `吉强 (jiqiang@example.com)` → `吉强`:
/// readers show the name; a plain name stays as it is.
fn rss_author(a: &str) -> String {
    // `Name <name@example.com>`
    if let (Some(open), Some(close)) = (a.find('<'), a.rfind('>'))
        && open < close
        && a[open..close].contains('@')
        && !a[..open].trim().is_empty()
    {
        return a[..open].trim().to_string();
    }
    if let (Some(open), Some(close)) = (a.find('('), a.rfind(')'))
        && open < close
    {
        let (inside, outside) = (a[open + 1..close].trim(), a[..open].trim());
        if outside.contains('@') && !inside.is_empty() {
            return inside.to_string();
        }
        if inside.contains('@') && !outside.is_empty() && a[close + 1..].trim().is_empty() {
            return outside.to_string();
        }
    }
    a.trim().to_string()
}

/// The `href` of the first `<link>` with `rel` (no `rel` means alternate);
/// early Atom 0.3 producers wrote the URL as the element's text.
fn atom_link(el: &Element, rel: &str) -> Option<String> {
    el.children_named("atom", "link")
        .find(|l| l.attr("rel").unwrap_or("alternate") == rel)
        .and_then(|l| l.attr("href").and_then(nonempty).or_else(|| nonempty(l.text())))
}

/// The element [`atom_link`] reads the alternate link from.
fn alternate_link(el: &Element) -> Option<&Element> {
    el.children_named("atom", "link")
        .find(|l| l.attr("rel").unwrap_or("alternate") == "alternate")
}

/// Content sent as base64: Atom 0.3 says so with `mode="base64"`, Atom 1.0
/// with a media type that is neither text nor XML (RFC 4287 4.1.3.3).
fn base64_content(el: &Element) -> Option<String> {
    let mode = el.attr("mode").map(str::trim);
    let ty = el.attr("type").map(|t| t.trim().to_ascii_lowercase());
    let binary_type = ty.as_deref().is_some_and(|t| {
        t.contains('/') && !t.starts_with("text/") && !t.ends_with("+xml") && !t.ends_with("/xml")
    });
    if !(mode.is_some_and(|m| m.eq_ignore_ascii_case("base64")) || mode.is_none() && binary_type) {
        return None;
    }
    let bytes = decode_base64(&el.text())?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Standard base64 (RFC 4648), white space ignored; `None` when it is not.
fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// True for the `type`s whose content is markup rather than plain text.
fn is_markup_type(ty: &str) -> bool {
    ty.contains("html") || ty.ends_with("xml")
}

/// An Atom text construct as HTML. In Atom 1.0 an XHTML construct's `<div>`
/// only wraps the content; in Atom 0.3 it is part of it.
fn atom_html(el: &Element, format: Format) -> String {
    let ty = el.attr("type").unwrap_or("text").trim();
    if let Some(decoded) = base64_content(el) {
        return if is_markup_type(ty) {
            decoded
        } else {
            html_escape::encode_text(&decoded).into_owned()
        };
    }
    match ty {
        "html" | "text/html" => el.text(),
        "xhtml" | "application/xhtml+xml" => match el.child("xhtml", "div").or_else(|| el.child("", "div")) {
            Some(div) if format != Format::Atom03 => div.xhtml(),
            _ => el.xhtml(),
        },
        // Atom 0.3 `mode="escaped"` content also arrives as text.
        _ if el.attr("mode") == Some("escaped") => el.text(),
        // Markup written into a text construct is markup the source meant.
        _ if el.elements().next().is_some() => el.xhtml(),
        _ => html_escape::encode_text(&el.text()).into_owned(),
    }
}

/// An Atom text construct as plain text (for titles).
fn atom_plain(el: &Element) -> String {
    let ty = el.attr("type").unwrap_or("text").trim();
    if let Some(decoded) = base64_content(el) {
        return if is_markup_type(ty) {
            crate::ingest::text::html_to_text(&decoded)
        } else {
            decoded
        };
    }
    match ty {
        "html" | "text/html" => crate::ingest::text::html_to_text(&el.text()),
        // Markup, not text: a script inside must not become title text.
        "xhtml" | "application/xhtml+xml" => crate::ingest::text::html_to_text(&el.xhtml()),
        _ => el.text(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Asia::Shanghai;

    fn fixture(name: &str) -> String {
        let path = format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        crate::ingest::decode::decode(&bytes, None, None).text
    }

    /// An element that cannot stand inside a text-only one closes it: the
    /// title keeps its text, the link and the partial description are the
    /// item's own (testdata/broken/README.md).
    #[test]
    fn a_title_never_swallows_the_elements_after_it() {
        let f = parse(&fixture("broken/title-not-closed.xml"), Shanghai);
        assert_eq!(f.items.len(), 1);
        let it = &f.items[0];
        assert_eq!(it.title.as_deref(), Some("盐城 & 大丰港区职工运动会开幕"));
        assert_eq!(it.link.as_deref(), Some("https://www.ycnews.example/p/1.html"));
        assert!(it.summary.as_deref().unwrap().contains("未闭合的标签"), "{it:?}");
        assert!(
            f.warnings
                .iter()
                .any(|w| w.contains("closed by the element after them")),
            "{:?}",
            f.warnings
        );
    }

    /// Text that an Atom `type="xhtml"` construct escaped stays text: it
    /// reaches the reader as `&lt;blink&gt;`, not as a tag.
    #[test]
    fn escaped_text_in_xhtml_stays_text() {
        let f = parse(&fixture("escaping/atom-xhtml-escaped.xml"), Shanghai);
        let it = &f.items[0];
        assert_eq!(it.summary.as_deref(), Some("History of the &lt;blink&gt; tag"));
        assert_eq!(
            it.content.as_deref(),
            Some("<p>Use &lt;p&gt; &amp; <b>bold</b></p>")
        );
    }

    /// RSS 0.93 and 0.94 are reported as what they declare.
    #[test]
    fn rss_093_and_094_are_named() {
        for (v, want) in [
            ("0.93", Format::Rss093),
            ("0.94", Format::Rss094),
            ("2.0", Format::Rss20),
        ] {
            let doc = format!(
                "<rss version=\"{v}\"><channel><title>t</title><item><title>a</title></item></channel></rss>"
            );
            let f = parse(&doc, Shanghai);
            assert_eq!(f.format, want);
            assert_eq!(f.format.to_string(), format!("RSS {v}"));
            assert_eq!(f.items.len(), 1);
        }
    }

    /// Dublin Core and older content elements stand in for missing RSS ones.
    #[test]
    fn dublin_core_and_old_content_elements_are_fallbacks() {
        let f = parse(&fixture("fields/dc-fallbacks.xml"), Shanghai);
        let (a, b) = (&f.items[0], &f.items[1]);
        assert_eq!(a.title.as_deref(), Some("Dublin Core title"));
        assert_eq!(a.summary.as_deref(), Some("Dublin Core description"));
        assert_eq!(a.author.as_deref(), Some("Jane Roe"));
        assert_eq!(
            a.content.as_deref(),
            Some("<p>Body in <b>XHTML</b> &amp; text</p>")
        );
        assert_eq!(a.updated.unwrap().to_rfc3339(), "2026-11-30T08:00:00+00:00");
        assert_eq!(b.content.as_deref(), Some("<p>The full text</p>"));
    }

    /// `</item>` closes a `<description>` left open, and the next items read.
    #[test]
    fn an_unclosed_description_ends_with_its_item() {
        let f = parse(&fixture("broken/description-not-closed.xml"), Shanghai);
        let titles: Vec<_> = f.items.iter().map(|i| i.title.as_deref().unwrap_or("")).collect();
        assert_eq!(titles, ["Первая", "Вторая", "Третья"]);
        assert_eq!(
            f.items[0].summary.as_deref().map(str::trim),
            Some("Власти Афин начали …")
        );
    }

    /// `<rss>` with its items right inside it still has them.
    #[test]
    fn items_outside_a_channel_are_read() {
        let f = parse(&fixture("broken/no-channel.xml"), Shanghai);
        let titles: Vec<_> = f.items.iter().map(|i| i.title.as_deref().unwrap_or("")).collect();
        assert_eq!(titles, ["第一条", "第二条"]);
        assert_eq!(f.title.as_deref(), Some("无频道的源"));
        assert!(
            f.warnings.iter().any(|w| w.contains("has no <channel>")),
            "{:?}",
            f.warnings
        );
    }

    /// Escaped `&lt;!DOCTYPE` or `&lt;!'` in a description loses no item.
    #[test]
    fn escaped_doctypes_in_descriptions_lose_no_item() {
        let f = parse(&fixture("escaping/not-a-doctype.xml"), Shanghai);
        let titles: Vec<_> = f.items.iter().map(|i| i.title.as_deref().unwrap_or("")).collect();
        assert_eq!(titles, ["Doctypes", "Not a doctype", "After them"]);
        assert_eq!(f.items[2].link.as_deref(), Some("https://lessons.example.com/3"));
        assert!(
            f.items[0].summary.as_deref().unwrap().ends_with("&lt;!DOCTYPE"),
            "{:?}",
            f.items[0].summary
        );
    }

    /// Atom 0.3 under a draft's namespace URI, `mode="base64"` decoded, and
    /// inline XHTML whose `<div>` belongs to the content.
    #[test]
    fn atom_03_drafts_and_base64() {
        let f = parse(&fixture("fields/atom03-echo.xml"), Shanghai);
        assert_eq!(f.format, Format::Atom03);
        assert_eq!(f.title.as_deref(), Some("Echo-era feed"));
        assert_eq!(f.description.as_deref(), Some("Written before Atom had its name"));
        assert_eq!(f.link.as_deref(), Some("https://echo.example.org/"));
        let it = &f.items[0];
        assert_eq!(it.summary.as_deref(), Some("Example <b>Atom</b>"));
        assert_eq!(it.content.as_deref(), Some("<div>Inline <b>XHTML</b></div>"));
        assert_eq!(it.published.unwrap().to_rfc3339(), "2004-01-02T03:04:05+00:00");
        assert_eq!(it.updated.unwrap().to_rfc3339(), "2004-01-03T03:04:05+00:00");
    }

    #[test]
    fn base64_decoding() {
        assert_eq!(decode_base64("RXhh\nbXBsZQ==").as_deref(), Some(&b"Example"[..]));
        assert_eq!(decode_base64("5rGf6IuP").as_deref(), Some("江苏".as_bytes()));
        assert_eq!(decode_base64("not base64!"), None);
    }

    /// Of several `<updated>`, the first is the entry's date.
    #[test]
    fn the_first_of_several_updated_counts() {
        let f = parse(&fixture("fields/atom-several-updated.xml"), Shanghai);
        assert_eq!(
            f.items[0].updated.unwrap().to_rfc3339(),
            "2026-12-01T09:00:00+08:00"
        );
        assert_eq!(
            f.items[0].published.unwrap().to_rfc3339(),
            "2026-12-01T09:00:00+08:00"
        );
    }

    #[test]
    fn dcterms_issued_and_modified_date_an_item() {
        let f = parse(&fixture("fields/dcterms-dates.xml"), Shanghai);
        let it = &f.items[0];
        assert_eq!(it.published.unwrap().to_rfc3339(), "2026-11-30T08:00:00+00:00");
        assert_eq!(it.updated.unwrap().to_rfc3339(), "2026-12-01T08:00:00+00:00");
    }

    /// Podcast (iTunes) and Media RSS elements stand in for missing RSS ones.
    #[test]
    fn podcast_and_media_rss_fallbacks() {
        let f = parse(&fixture("fields/podcast-and-media.xml"), Shanghai);
        assert_eq!(f.description.as_deref(), Some("每周的新闻播客"));
        let (a, b) = (&f.items[0], &f.items[1]);
        assert_eq!(a.author.as_deref(), Some("王明"));
        assert_eq!(a.summary.as_deref(), Some("本期讲江苏"));
        assert_eq!(a.categories, ["新闻", "地方"]);
        assert_eq!(b.title.as_deref(), Some("第二期"));
        assert_eq!(b.summary.as_deref(), Some("本期讲苏州"));
        assert_eq!(b.categories, ["访谈"]);
    }

    /// `<rss>` in the Userland namespace is RSS; `<summary>` stands for
    /// `<description>`; `Name (email)` is the name.
    #[test]
    fn namespaced_rss_and_its_variants() {
        let f = parse(&fixture("fields/rss-namespaced.xml"), Shanghai);
        assert_eq!(f.format, Format::Rss20);
        assert_eq!(
            f.description.as_deref(),
            Some("RSS with a default namespace on its root")
        );
        let it = &f.items[0];
        assert_eq!(it.title.as_deref(), Some("Still an item"));
        assert_eq!(it.summary.as_deref(), Some("Written as summary"));
        assert_eq!(it.author.as_deref(), Some("Jane Roe"));
    }

    /// UTF-8 written byte by byte as references reads as what it spells.
    #[test]
    fn utf8_bytes_written_as_references() {
        let f = parse(&fixture("encodings/utf8-bytes-as-references.xml"), Shanghai);
        assert_eq!(f.title.as_deref(), Some("江苏新闻"));
        assert_eq!(f.items[0].title.as_deref(), Some("It’s été…"));
        assert_eq!(f.items[0].summary.as_deref(), Some("… and café"));
    }

    /// `xml:base` is carried, outermost first, for normalize to resolve.
    #[test]
    fn xml_base_is_kept_per_element() {
        let f = parse(&fixture("links/xml-base.xml"), Shanghai);
        let a = &f.items[0].xml_base;
        assert_eq!(a.item, ["https://base.example.cn/news/", "2026/"]);
        assert_eq!(a.content.as_deref(), Some("/img/"));
        assert_eq!(a.link, None);
        assert_eq!(f.items[1].xml_base.item, ["https://base.example.cn/news/"]);
    }

    #[test]
    fn rss2_with_extensions() {
        let f = parse(&fixture("rss2.xml"), Shanghai);
        assert_eq!(f.format, Format::Rss20);
        assert_eq!(f.title.as_deref(), Some("新华日报·江苏"));
        assert_eq!(f.items.len(), 3);
        let a = &f.items[0];
        assert_eq!(a.guid.as_deref(), Some("https://www.xhby.net/a/1.html"));
        assert_eq!(a.author.as_deref(), Some("吉强"));
        assert_eq!(a.categories, vec!["江苏", "工会"]);
        assert!(a.content.as_deref().unwrap().starts_with("<p>5年来"));
        assert_eq!(a.enclosures[0].mime.as_deref(), Some("image/jpeg"));
        assert_eq!(a.published.unwrap().to_rfc3339(), "2023-04-15T10:09:00+08:00");
        // Item 2: no guid, a Chinese CMS date; item 3: bad date, kept with a warning.
        assert_eq!(f.items[1].guid, None);
        assert_eq!(
            f.items[1].published.unwrap().to_rfc3339(),
            "2023-04-14T08:30:00+08:00"
        );
        assert_eq!(f.items[2].published, None);
        assert_eq!(f.items[2].title.as_deref(), Some("日期坏了的一条"));
        assert!(
            f.warnings
                .iter()
                .any(|w| w.contains("item 3: unreadable pubDate 'garbage'")),
            "{:?}",
            f.warnings
        );
    }

    #[test]
    fn rss1_rdf() {
        let f = parse(&fixture("rss1.xml"), Shanghai);
        assert_eq!(f.format, Format::Rss10);
        assert_eq!(f.items.len(), 2);
        assert_eq!(
            f.items[0].guid.as_deref(),
            Some("http://sports.example.cn/1.html")
        );
        assert_eq!(f.items[0].author.as_deref(), Some("王明"));
        assert_eq!(f.items[0].categories, vec!["马拉松"]);
        assert_eq!(
            f.items[0].published.unwrap().to_rfc3339(),
            "2023-04-15T19:30:00+08:00"
        );
    }

    #[test]
    fn atom_text_constructs_and_bad_dates() {
        let f = parse(&fixture("atom.xml"), Shanghai);
        assert_eq!(f.format, Format::Atom10);
        assert_eq!(f.title.as_deref(), Some("江苏财经"));
        assert_eq!(f.items.len(), 3);
        let a = &f.items[0];
        assert_eq!(a.link.as_deref(), Some("https://finance.example.cn/a/1"));
        assert_eq!(a.content.as_deref(), Some("<p>一季度 <b>GDP</b> 增长</p>"));
        assert_eq!(a.author.as_deref(), Some("李华"));
        // xhtml content is serialized back; text summaries are escaped.
        assert_eq!(f.items[1].content.as_deref(), Some("<p>园区 &amp; 新区</p>"));
        assert_eq!(f.items[1].summary.as_deref(), Some("a &lt; b"));
        // One entry's unreadable date does not fail the feed.
        assert_eq!(f.items[2].published, None);
        assert_eq!(f.items[2].title.as_deref(), Some("日期不合规的条目"));
        assert_eq!(
            f.items[2].author.as_deref(),
            Some("编辑部"),
            "feed-level author applies"
        );
    }

    #[test]
    fn atom_without_namespace_is_still_read() {
        let f = parse(
            "<feed><title>无命名空间</title><entry><id>1</id><title>条目</title><updated>2023-04-15T10:09:00+08:00</updated></entry></feed>",
            Shanghai,
        );
        assert_eq!(f.format, Format::Atom10);
        assert_eq!(f.title.as_deref(), Some("无命名空间"));
        assert_eq!(f.items.len(), 1);
        assert_eq!(
            f.items[0].published.unwrap().to_rfc3339(),
            "2023-04-15T10:09:00+08:00"
        );
        assert!(f.warnings[0].contains("lacks the Atom namespace"));
    }

    #[test]
    fn html_page_and_empty_body_are_not_feeds() {
        let f = parse("<!DOCTYPE html><html><body><p>首页</p></body></html>", Shanghai);
        assert_eq!(f.format, Format::Unknown);
        assert!(
            f.warnings.iter().any(|w| w.contains("HTML page")),
            "{:?}",
            f.warnings
        );
        let f = parse("", Shanghai);
        assert_eq!(f.format, Format::Unknown);
        assert_eq!(f.warnings, vec!["empty document"]);
    }

    #[test]
    fn rss_author_forms() {
        assert_eq!(rss_author("jq@example.com (吉强)"), "吉强");
        assert_eq!(rss_author("吉强 (jq@example.com)"), "吉强");
        assert_eq!(rss_author("吉强 <jq@example.com>"), "吉强");
        assert_eq!(rss_author("吉强 (江苏)"), "吉强 (江苏)");
        assert_eq!(rss_author(" 吉强 "), "吉强");
    }
}
