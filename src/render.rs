//! Stored items → RSS 2.0 and Atom 1.0 documents, written with the `rss`
//! and `atom_syndication` crates (the user's choice of writers), and JSON
//! Feed 1.1 documents, written with serde_json.
//!
//! Both XML writers escape markup but check nothing else (the team's crate
//! notes, outside this repository):
//! we strip characters XML forbids, and set ids, dates and self links
//! ourselves so that the output validates. The JSON Feed gets the same
//! clean text, so all three formats show the same item.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};
use chrono_tz::Tz;
use serde::Serialize;

use crate::ingest::text::{clean_text, html_to_text};
use crate::store::StoredItem;

/// The feed being rendered: a category, or `all`.
#[derive(Debug, Clone)]
pub struct Channel<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    /// Public base URL of this server, without a trailing slash.
    pub base_url: &'a str,
    /// Zone for dates the source did not give (first-seen times).
    pub tz: Tz,
    /// Category id → title, to label items with the categories they are in.
    pub category_titles: &'a HashMap<String, String>,
    /// A WebSub hub to advertise (`rel="hub"`), if configured.
    pub hub: Option<&'a str>,
    /// A search's terms: the document is `/search.{ext}?q=…`, not a
    /// category's.
    pub search: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Rss, Format::Atom, Format::Json];

    pub fn extension(self) -> &'static str {
        match self {
            Format::Rss => "rss",
            Format::Atom => "atom",
            Format::Json => "json",
        }
    }

    /// The HTTP `Content-Type` of a document in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }
}

const GENERATOR: &str = concat!("huiju ", env!("CARGO_PKG_VERSION"));

impl Channel<'_> {
    fn self_url(&self, f: Format) -> String {
        match self.search {
            Some(q) => format!("{}/search.{}?q={}", self.base_url, f.extension(), encode_query(q)),
            None => format!("{}/feeds/{}.{}", self.base_url, self.id, f.extension()),
        }
    }

    /// The Atom feed's id: the document's address without its format.
    fn feed_id(&self) -> String {
        match self.search {
            Some(q) => format!("{}/search?q={}", self.base_url, encode_query(q)),
            None => format!("{}/feeds/{}", self.base_url, self.id),
        }
    }

    /// Newest change among the items; a fixed time for an empty feed, so the
    /// document stays byte-identical until something changes.
    fn updated(&self, items: &[StoredItem]) -> DateTime<FixedOffset> {
        items
            .iter()
            .map(|i| i.updated(self.tz))
            .max()
            .unwrap_or_else(|| DateTime::UNIX_EPOCH.fixed_offset())
    }

    /// The huiju categories of an item, this channel's first.
    fn labels(&self, item: &StoredItem) -> Vec<(String, String)> {
        let mut ids: Vec<&String> = item.feed_categories.iter().collect();
        ids.sort_by_key(|c| *c != self.id);
        ids.into_iter()
            .filter_map(|id| Some((id.clone(), self.category_titles.get(id)?.clone())))
            .collect()
    }
}

/// Title and description of a category's feed, or of `all`.
pub fn channel_text(cfg: &crate::config::Config, category: &str) -> (String, String) {
    match cfg.category(category) {
        Some(c) => (c.title.clone(), c.description.clone()),
        None => ("全部".to_string(), "All categories · 全部分类".to_string()),
    }
}

/// A search's terms as a URL's query value.
pub fn encode_query(q: &str) -> String {
    url::form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

/// The document for `category` (or `all`) as `export` and the server give
/// it; with `search`, the document of that search over `all`.
pub fn for_category(
    cfg: &crate::config::Config,
    category: &str,
    search: Option<&str>,
    items: &[StoredItem],
    f: Format,
) -> String {
    let (title, description) = match search {
        Some(q) => (format!("搜索：{q}"), format!("huiju 汇聚 · search: {q}")),
        None => channel_text(cfg, category),
    };
    let titles: HashMap<String, String> = cfg
        .categories
        .iter()
        .map(|c| (c.id.clone(), c.title.clone()))
        .collect();
    let ch = Channel {
        id: category,
        title: &title,
        description: &description,
        base_url: &cfg.server.base_url,
        tz: cfg.fetch.timezone,
        category_titles: &titles,
        hub: cfg.server.websub_hub.as_ref().map(url::Url::as_str),
        search,
    };
    render(&ch, items, f)
}

pub fn render(ch: &Channel, items: &[StoredItem], f: Format) -> String {
    match f {
        Format::Rss => rss(ch, items),
        Format::Atom => atom(ch, items),
        Format::Json => json(ch, items),
    }
}

fn x(s: &str) -> String {
    clean_text(s)
}

fn xo(s: &Option<String>) -> Option<String> {
    s.as_deref().map(x)
}

/// A collapsed story's text ends with the other sources that reported it.
fn with_also(it: &StoredItem) -> std::borrow::Cow<'_, StoredItem> {
    if it.also.is_empty() {
        return std::borrow::Cow::Borrowed(it);
    }
    let sources: Vec<String> = it
        .also
        .iter()
        .map(|(name, link)| match link {
            Some(l) => format!(
                "<a href=\"{}\">{}</a>",
                html_escape::encode_double_quoted_attribute(l),
                html_escape::encode_text(name)
            ),
            None => html_escape::encode_text(name).into_owned(),
        })
        .collect();
    let footer = format!(
        "<p class=\"huiju-also\">也报道了这则新闻 · Also reported by: {}</p>",
        sources.join("、")
    );
    let mut copy = it.clone();
    match (&mut copy.content, &mut copy.summary) {
        (Some(c), _) => c.push_str(&footer),
        (None, Some(s)) => s.push_str(&footer),
        (None, None) => copy.summary = Some(footer),
    }
    std::borrow::Cow::Owned(copy)
}

/// RSS 2.0.
pub fn rss(ch: &Channel, items: &[StoredItem]) -> String {
    let mut channel = rss::Channel {
        title: x(ch.title),
        link: format!("{}/", ch.base_url),
        description: x(ch.description),
        generator: Some(GENERATOR.to_string()),
        last_build_date: Some(ch.updated(items).to_rfc2822()),
        ..Default::default()
    };
    channel.atom_ext = Some(rss::extension::atom::AtomExtension {
        links: std::iter::once(atom_syndication::Link {
            href: ch.self_url(Format::Rss),
            rel: "self".into(),
            mime_type: Some("application/rss+xml".into()),
            ..Default::default()
        })
        .chain(ch.hub.map(|h| atom_syndication::Link {
            href: h.to_string(),
            rel: "hub".into(),
            ..Default::default()
        }))
        .collect(),
    });
    channel.items = items
        .iter()
        .map(|it| {
            let it = &*with_also(it);
            let (description, content) = match (&it.summary, &it.content) {
                (Some(s), Some(c)) if s != c => (Some(s), Some(c)),
                (s, c) => (s.as_ref().or(c.as_ref()), None),
            };
            let mut categories: Vec<rss::Category> = ch
                .labels(it)
                .into_iter()
                .map(|(id, title)| rss::Category {
                    name: x(&title),
                    domain: Some(format!("{}/feeds/{id}.rss", ch.base_url)),
                })
                .collect();
            categories.extend(it.categories.iter().map(|c| rss::Category {
                name: x(c),
                domain: None,
            }));
            rss::Item {
                title: Some(x(&it.title)),
                link: xo(&it.link),
                description: description.map(|d| x(d)),
                content: content.map(|c| x(c)),
                guid: Some(rss::Guid {
                    value: x(&it.guid),
                    permalink: it.link.as_deref() == Some(it.guid.as_str()),
                }),
                pub_date: Some(it.date(ch.tz).to_rfc2822()),
                // RSS <author> must be an e-mail address; dc:creator takes a name.
                dublin_core_ext: it.author.as_ref().map(|a| {
                    rss::extension::dublincore::DublinCoreExtension {
                        creators: vec![x(a)],
                        ..Default::default()
                    }
                }),
                categories,
                source: Some(rss::Source {
                    url: x(&it.source_url),
                    title: Some(x(&it.source_title)),
                }),
                enclosure: it.enclosures.first().map(|e| rss::Enclosure {
                    url: x(&e.url),
                    length: e.length.unwrap_or(0).to_string(),
                    mime_type: e
                        .mime
                        .clone()
                        .unwrap_or_else(|| "application/octet-stream".into()),
                }),
                ..Default::default()
            }
        })
        .collect();
    channel.to_string()
}

/// An Atom id must be an IRI: a source guid that is not one is wrapped.
fn atom_id(guid: &str) -> String {
    match url::Url::parse(guid) {
        Ok(_) => guid.to_string(),
        Err(_) => format!(
            "urn:huiju:guid:{}",
            url::form_urlencoded::byte_serialize(guid.as_bytes()).collect::<String>()
        ),
    }
}

/// Atom 1.0.
pub fn atom(ch: &Channel, items: &[StoredItem]) -> String {
    use atom_syndication::{Category, Content, Entry, Feed, Generator, Link, Person, Source, Text};
    let link = |href: String, rel: &str, mime: Option<&str>| Link {
        href,
        rel: rel.to_string(),
        mime_type: mime.map(str::to_string),
        ..Default::default()
    };
    let entries = items
        .iter()
        .map(|it| {
            let it = &*with_also(it);
            let date = it.date(ch.tz);
            let (summary, content) = match (&it.summary, &it.content) {
                (Some(s), Some(c)) if s != c => (Some(s), Some(c)),
                (s, c) => (None, c.as_ref().or(s.as_ref())),
            };
            let mut categories: Vec<Category> = ch
                .labels(it)
                .into_iter()
                .map(|(id, title)| Category {
                    term: id,
                    scheme: Some(format!("{}/feeds/", ch.base_url)),
                    label: Some(x(&title)),
                })
                .collect();
            categories.extend(it.categories.iter().map(|c| Category {
                term: x(c),
                ..Default::default()
            }));
            let mut links: Vec<Link> = it
                .link
                .iter()
                .map(|l| link(x(l), "alternate", Some("text/html")))
                .collect();
            // Other sources of the same story.
            links.extend(it.also.iter().filter_map(|(name, href)| {
                Some(Link {
                    title: Some(x(name)),
                    ..link(x(href.as_ref()?), "related", Some("text/html"))
                })
            }));
            links.extend(it.enclosures.iter().map(|e| Link {
                length: e.length.map(|l| l.to_string()),
                ..link(x(&e.url), "enclosure", e.mime.as_deref())
            }));
            Entry {
                id: atom_id(&x(&it.guid)),
                title: Text::plain(x(&it.title)),
                updated: it.updated(ch.tz),
                published: Some(date),
                authors: it
                    .author
                    .iter()
                    .map(|a| Person {
                        name: x(a),
                        ..Default::default()
                    })
                    .collect(),
                categories,
                links,
                summary: summary.map(|s| Text::html(x(s))),
                content: content.map(|c| Content {
                    value: Some(x(c)),
                    content_type: Some("html".into()),
                    ..Default::default()
                }),
                source: Some(Source {
                    title: Text::plain(x(&it.source_title)),
                    id: x(&it.source_url),
                    updated: date,
                    links: vec![link(x(&it.source_url), "self", None)],
                    ..Default::default()
                }),
                ..Default::default()
            }
        })
        .collect();
    let feed = Feed {
        title: Text::plain(x(ch.title)),
        subtitle: Some(Text::plain(x(ch.description))),
        id: ch.feed_id(),
        updated: ch.updated(items),
        links: [
            link(ch.self_url(Format::Atom), "self", Some("application/atom+xml")),
            link(format!("{}/", ch.base_url), "alternate", Some("text/html")),
        ]
        .into_iter()
        .chain(ch.hub.map(|h| link(h.to_string(), "hub", None)))
        .collect(),
        generator: Some(Generator {
            value: "huiju".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
            ..Default::default()
        }),
        entries,
        ..Default::default()
    };
    feed.to_string()
}

/// A JSON Feed 1.1 document (<https://www.jsonfeed.org/version/1.1/>).
#[derive(Serialize)]
struct JsonFeed {
    version: &'static str,
    title: String,
    home_page_url: String,
    feed_url: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<JsonHub>,
    items: Vec<JsonItem>,
}

#[derive(Serialize)]
struct JsonHub {
    #[serde(rename = "type")]
    kind: &'static str,
    url: String,
}

#[derive(Serialize)]
struct JsonItem {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    title: String,
    content_html: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
    date_published: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_modified: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<JsonAuthor>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<JsonAttachment>,
    #[serde(rename = "_huiju")]
    huiju: JsonExtension,
}

#[derive(Serialize)]
struct JsonAuthor {
    name: String,
}

#[derive(Serialize)]
struct JsonAttachment {
    url: String,
    mime_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    size_in_bytes: Option<u64>,
}

/// Our extension object: JSON Feed reserves keys starting with `_` for these.
#[derive(Serialize)]
struct JsonExtension {
    source: JsonSource,
}

#[derive(Serialize)]
struct JsonSource {
    title: String,
    url: String,
}

/// JSON Feed 1.1.
pub fn json(ch: &Channel, items: &[StoredItem]) -> String {
    let items = items
        .iter()
        .map(|it| {
            let it = &*with_also(it);
            let published = it.date(ch.tz);
            let modified = it.updated(ch.tz);
            // JSON Feed needs content_html or content_text: the summary
            // stands in for missing content, an empty string for neither.
            let content_html = it
                .content
                .as_ref()
                .or(it.summary.as_ref())
                .map(|c| x(c))
                .unwrap_or_default();
            let summary = match (&it.summary, &it.content) {
                (Some(s), Some(_)) => Some(html_to_text(&x(s))).filter(|s| !s.is_empty()),
                _ => None,
            };
            let mut tags: Vec<String> = ch.labels(it).into_iter().map(|(_, title)| x(&title)).collect();
            for c in &it.categories {
                let c = x(c);
                if !tags.contains(&c) {
                    tags.push(c);
                }
            }
            JsonItem {
                id: x(&it.guid),
                url: xo(&it.link),
                title: x(&it.title),
                content_html,
                summary,
                date_published: published.to_rfc3339(),
                date_modified: (modified != published).then(|| modified.to_rfc3339()),
                authors: it.author.iter().map(|a| JsonAuthor { name: x(a) }).collect(),
                tags,
                attachments: it
                    .enclosures
                    .iter()
                    .map(|e| JsonAttachment {
                        url: x(&e.url),
                        mime_type: e
                            .mime
                            .as_deref()
                            .map_or_else(|| "application/octet-stream".into(), x),
                        size_in_bytes: e.length,
                    })
                    .collect(),
                huiju: JsonExtension {
                    source: JsonSource {
                        title: x(&it.source_title),
                        url: x(&it.source_url),
                    },
                },
            }
        })
        .collect();
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: x(ch.title),
        home_page_url: format!("{}/", ch.base_url),
        feed_url: ch.self_url(Format::Json),
        description: x(ch.description),
        hubs: ch
            .hub
            .map(|h| JsonHub {
                kind: "WebSub",
                url: h.to_string(),
            })
            .into_iter()
            .collect(),
        items,
    };
    serde_json::to_string_pretty(&feed).expect("a JSON Feed has only string keys")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn item(title: &str, guid: &str) -> StoredItem {
        StoredItem {
            guid: guid.into(),
            link: Some("https://news.example.cn/a/1.html".into()),
            title: title.into(),
            summary: Some("<p>摘要 ]]> & </p>".into()),
            content: None,
            author: Some("吉强".into()),
            categories: vec!["工会".into()],
            enclosures: vec![],
            published: Some(
                FixedOffset::east_opt(8 * 3600)
                    .unwrap()
                    .with_ymd_and_hms(2023, 4, 15, 10, 9, 0)
                    .unwrap(),
            ),
            first_seen: Utc.with_ymd_and_hms(2023, 4, 15, 3, 0, 0).unwrap(),
            modified: None,
            feed_categories: vec!["jiangsu".into()],
            source_title: "新华日报".into(),
            source_url: "https://www.xhby.net/rss.xml".into(),
            also: vec![],
        }
    }

    #[test]
    fn a_websub_hub_is_advertised_in_every_format() {
        let titles = HashMap::new();
        let mut ch = channel(&titles);
        ch.hub = Some("https://hub.example.cn/");
        let items = [item("t", "1")];
        assert!(rss(&ch, &items).contains("<atom:link href=\"https://hub.example.cn/\" rel=\"hub\"/>"));
        assert!(atom(&ch, &items).contains("<link href=\"https://hub.example.cn/\" rel=\"hub\"/>"));
        let v: serde_json::Value = serde_json::from_str(&json(&ch, &items)).unwrap();
        assert_eq!(v["hubs"][0]["type"], "WebSub");
        assert_eq!(v["hubs"][0]["url"], "https://hub.example.cn/");
        assert!(!rss(&channel(&titles), &items).contains("rel=\"hub\""));
    }

    fn channel(titles: &HashMap<String, String>) -> Channel<'_> {
        Channel {
            id: "jiangsu",
            title: "江苏资讯",
            description: "江苏新闻",
            base_url: "http://127.0.0.1:8080",
            tz: chrono_tz::Asia::Shanghai,
            category_titles: titles,
            hub: None,
            search: None,
        }
    }

    #[test]
    fn rss_carries_what_readers_need() {
        let titles = HashMap::from([("jiangsu".to_string(), "江苏资讯".to_string())]);
        let out = rss(&channel(&titles), &[item("标题 <b>&</b>\u{1}", "12345")]);
        assert!(
            out.contains("<title>标题 &lt;b&gt;&amp;&lt;/b&gt;</title>"),
            "{out}"
        );
        assert!(
            out.contains("<pubDate>Sat, 15 Apr 2023 10:09:00 +0800</pubDate>"),
            "{out}"
        );
        assert!(out.contains("<guid isPermaLink=\"false\">12345</guid>"), "{out}");
        assert!(out.contains("<dc:creator>吉强</dc:creator>"), "{out}");
        assert!(
            out.contains("<source url=\"https://www.xhby.net/rss.xml\">新华日报</source>"),
            "{out}"
        );
        assert!(
            out.contains("href=\"http://127.0.0.1:8080/feeds/jiangsu.rss\" rel=\"self\""),
            "{out}"
        );
        assert!(out.contains(">江苏资讯</category>"), "{out}");
        assert!(!out.contains('\u{1}'));
    }

    #[test]
    fn atom_ids_are_iris_and_dates_keep_offsets() {
        let titles = HashMap::new();
        let out = atom(
            &channel(&titles),
            &[item("t", "12345"), item("u", "https://x.cn/a")],
        );
        assert!(out.contains("<id>urn:huiju:guid:12345</id>"), "{out}");
        assert!(out.contains("<id>https://x.cn/a</id>"), "{out}");
        assert!(
            out.contains("<published>2023-04-15T10:09:00+08:00</published>"),
            "{out}"
        );
        assert!(
            out.contains("<updated>2023-04-15T10:09:00+08:00</updated>"),
            "{out}"
        );
        assert!(
            out.contains("<id>http://127.0.0.1:8080/feeds/jiangsu</id>"),
            "{out}"
        );
    }

    fn json_value(out: &str) -> serde_json::Value {
        serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"))
    }

    #[test]
    fn json_feed_carries_what_readers_need() {
        let titles = HashMap::from([("jiangsu".to_string(), "江苏资讯".to_string())]);
        let mut it = item("汇聚磅礴“工力量”", "12345");
        it.content = Some("<p>全文 <b>内容</b></p>".into());
        it.summary = Some("<p>摘要 &amp; 导语</p>".into());
        it.modified = Some(Utc.with_ymd_and_hms(2023, 4, 16, 1, 0, 0).unwrap());
        it.enclosures = vec![
            crate::ingest::parse::Enclosure {
                url: "https://news.example.cn/a/1.jpg".into(),
                mime: Some("image/jpeg".into()),
                length: Some(1234),
            },
            crate::ingest::parse::Enclosure {
                url: "https://news.example.cn/a/1.bin".into(),
                mime: None,
                length: None,
            },
        ];
        let out = json(&channel(&titles), &[it]);
        let v = json_value(&out);
        assert_eq!(v["version"], "https://jsonfeed.org/version/1.1");
        assert_eq!(v["title"], "江苏资讯");
        assert_eq!(v["description"], "江苏新闻");
        assert_eq!(v["home_page_url"], "http://127.0.0.1:8080/");
        assert_eq!(v["feed_url"], "http://127.0.0.1:8080/feeds/jiangsu.json");
        let i = &v["items"][0];
        assert_eq!(i["id"], "12345");
        assert_eq!(i["url"], "https://news.example.cn/a/1.html");
        assert_eq!(i["title"], "汇聚磅礴“工力量”");
        assert_eq!(i["content_html"], "<p>全文 <b>内容</b></p>");
        assert_eq!(i["summary"], "摘要 & 导语");
        assert_eq!(i["date_published"], "2023-04-15T10:09:00+08:00");
        assert_eq!(i["date_modified"], "2023-04-16T09:00:00+08:00");
        assert_eq!(i["authors"], serde_json::json!([{"name": "吉强"}]));
        assert_eq!(i["tags"], serde_json::json!(["江苏资讯", "工会"]));
        assert_eq!(
            i["attachments"],
            serde_json::json!([
                {"url": "https://news.example.cn/a/1.jpg", "mime_type": "image/jpeg", "size_in_bytes": 1234},
                {"url": "https://news.example.cn/a/1.bin", "mime_type": "application/octet-stream"},
            ])
        );
        assert_eq!(
            i["_huiju"],
            serde_json::json!({"source": {"title": "新华日报", "url": "https://www.xhby.net/rss.xml"}})
        );
        // Chinese text is written as is, not as \u escapes.
        assert!(out.contains("汇聚磅礴“工力量”"), "{out}");
    }

    #[test]
    fn json_feed_omits_what_is_absent() {
        let titles = HashMap::new();
        let mut bare = item("t", "https://x.cn/a");
        bare.link = None;
        bare.author = None;
        bare.categories.clear();
        let mut empty = item("u", "u");
        empty.summary = None;
        let v = json_value(&json(&channel(&titles), &[item("s", "1"), bare, empty]));
        let items = v["items"].as_array().unwrap();
        assert_eq!(items.len(), 3);
        // The summary stands in for missing content and is not repeated.
        assert_eq!(items[0]["content_html"], "<p>摘要 ]]> & </p>");
        assert_eq!(items[0]["tags"], serde_json::json!(["工会"]));
        let obj = items[1].as_object().unwrap();
        for absent in [
            "url",
            "summary",
            "date_modified",
            "authors",
            "tags",
            "attachments",
        ] {
            assert!(!obj.contains_key(absent), "{absent} in {obj:?}");
        }
        assert_eq!(items[1]["id"], "https://x.cn/a");
        // JSON Feed needs content_html or content_text on every item.
        assert_eq!(items[2]["content_html"], "");
    }

    #[test]
    fn json_feed_survives_quotes_newlines_and_control_characters() {
        let titles = HashMap::new();
        let mut ch = channel(&titles);
        ch.title = "频道 \"引号\"\u{7}";
        let title = "他说：\"你好\"\n第二行\t\\ </script>\u{1}\u{0}\u{1f}";
        let out = json(&ch, &[item(title, "g\u{2}\"1")]);
        let v = json_value(&out);
        assert_eq!(v["title"], "频道 \"引号\"");
        assert_eq!(v["items"][0]["title"], "他说：\"你好\"\n第二行\t\\ </script>");
        assert_eq!(v["items"][0]["id"], "g\"1");
        assert!(!out.contains("\\u0001") && !out.contains("\\u0000"), "{out}");
    }

    #[test]
    fn formats_name_their_extension_and_content_type() {
        let titles = HashMap::new();
        let ch = channel(&titles);
        for (f, ext, ct) in [
            (Format::Rss, "rss", "application/rss+xml; charset=utf-8"),
            (Format::Atom, "atom", "application/atom+xml; charset=utf-8"),
            (Format::Json, "json", "application/feed+json; charset=utf-8"),
        ] {
            assert_eq!(f.extension(), ext);
            assert_eq!(f.content_type(), ct);
            assert!(!render(&ch, &[item("t", "1")], f).is_empty());
        }
        assert!(render(&ch, &[], Format::Json).starts_with('{'));
    }
}
