//! Parsed items → items huiju stores: absolute links, an identity key,
//! clean text, a content hash that tells an update from a re-fetch.

use chrono::{DateTime, FixedOffset};
use url::Url;

use crate::ingest::identity::{self, is_front_page, normalize_link, normalize_url};
use crate::ingest::parse::{self, Enclosure};
use crate::ingest::text::{clean_text, collapse_ws, html_to_text};

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

/// How the body of an item's article page joins the text its source gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ArticleMode {
    /// The page's body is the item's content (its summary stays).
    #[default]
    Replace,
    /// The page's body follows the item's own content, else its summary.
    Append,
}

/// Wraps the text huiju took from an item's article page. The sanitizer
/// keeps no `class` attribute, so no source can write this: in stored
/// content it means the page was fetched.
const ARTICLE_START: &str = "<div class=\"huiju-article\">";

/// Whether an item's `stored` content holds its article page's text,
/// fetched on an earlier poll, when its source now gives `own` as its
/// content: marked so, or stored where the source gives none (an HTML
/// source's list page, a summary-only feed; and content stored before
/// the mark existed).
pub fn has_article(stored: Option<&str>, own: Option<&str>) -> bool {
    stored.is_some_and(|s| s.contains(ARTICLE_START) || own.is_none())
}

impl Item {
    /// Adds the body of the item's article page (`html`, read from `page`,
    /// against which its relative URLs resolve), sanitized and marked (see
    /// [`has_article`]), as `mode` says; hashes the item again.
    pub fn add_article(&mut self, html: &str, page: &Url, mode: ArticleMode) {
        let body = crate::ingest::sanitize::sanitize(&clean_text(html), Some(page));
        if body.trim().is_empty() {
            return;
        }
        let article = format!("{ARTICLE_START}{}</div>", body.trim());
        let content = match mode {
            ArticleMode::Replace => article,
            ArticleMode::Append => {
                let own = self.content.as_deref().or(self.summary.as_deref()).unwrap_or("");
                format!("{own}{article}")
            }
        };
        self.set_stored_content(Some(content));
    }

    /// Gives the item content that is already sanitized (article text,
    /// fresh or kept in the store from an earlier poll) and hashes it
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
            .map(|h| {
                crate::ingest::sanitize::sanitize(&clean_text(h), Some(b.as_ref().unwrap_or(&item_base)))
            })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_text_replaces_or_follows_the_items_own_and_is_marked() {
        let original = norm(
            vec![parse::Item {
                summary: Some("<p>一句话摘要。</p>".into()),
                content: None,
                ..item(None, Some("https://news.example.cn/a/1.html"), "标题")
            }],
            None,
        )
        .remove(0);
        let page = Url::parse("https://www.example.cn/2024/a/1.html").unwrap();
        let html = "<p>全文第一段。<img src=\"../img/1.jpg\" onerror=\"x()\"></p><script>bad()</script>";

        let mut it = original.clone();
        it.add_article(html, &page, ArticleMode::Replace);
        let c = it.content.clone().unwrap();
        assert_eq!(
            c,
            "<div class=\"huiju-article\"><p>全文第一段。<img src=\"https://www.example.cn/2024/img/1.jpg\"></p></div>"
        );
        assert_eq!(
            it.summary.as_deref(),
            Some("<p>一句话摘要。</p>"),
            "the summary stays"
        );
        assert_ne!(it.content_hash, original.content_hash);
        assert!(has_article(Some(&c), None) && has_article(Some(&c), Some("<p>全文</p>")));

        let mut it = original.clone();
        it.add_article(html, &page, ArticleMode::Append);
        let c = it.content.clone().unwrap();
        assert!(
            c.starts_with("<p>一句话摘要。</p><div class=\"huiju-article\"><p>全文第一段。"),
            "{c}"
        );
        // After the item's own content, when it has some.
        let mut it = norm(
            vec![item(None, Some("https://news.example.cn/a/3.html"), "三")],
            None,
        )
        .remove(0);
        it.add_article(html, &page, ArticleMode::Append);
        let c = it.content.unwrap();
        assert!(c.starts_with("<p>正文</p><div class=\"huiju-article\">"), "{c}");

        // Nothing left after sanitizing: nothing added.
        let mut it = original.clone();
        it.add_article("<script>x()</script>", &page, ArticleMode::Replace);
        assert_eq!(it.content, None);
        assert_eq!(it.content_hash, original.content_hash);

        // A source cannot fake the mark: the sanitizer drops classes.
        let fake = parse::Item {
            content: Some("<div class=\"huiju-article\">假的</div>".into()),
            ..item(None, Some("https://news.example.cn/a/2.html"), "二")
        };
        let own = norm(vec![fake], None).remove(0).content.unwrap();
        assert!(!has_article(Some(&own), Some(&own)), "{own}");
        // Stored text where the source gives none is an article; stored
        // text equal to the source's own, unmarked, is not.
        assert!(has_article(Some("<p>旧全文</p>"), None));
        assert!(!has_article(None, None));
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
