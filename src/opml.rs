//! OPML subscription lists: exporting huiju's category feeds for feed
//! readers, and importing a reader's export as config entries.
//!
//! Import reads with our lenient XML reader ([`crate::ingest::parse::xml`]) rather
//! than the `opml` crate, which rejects documents without a `version`
//! attribute — and many readers write exactly those. Pure functions: the
//! caller reads and writes the files.

use std::collections::HashSet;

use quick_xml::escape::escape;

use crate::config::{ALL, Category};
use crate::ingest::parse::xml::{self, Element};
use crate::ingest::text::clean_text;

/// Title of the `all` feed, as `export` shows it.
const ALL_TITLE: &str = "全部";

/// Category id (and title) for imported feeds that were in no folder.
const IMPORTED_ID: &str = "imported";
const IMPORTED_TITLE: &str = "导入";

/// Why a document could not be imported.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpmlError {
    #[error("not an OPML document: no root element found")]
    NoRoot,
    #[error("not an OPML document: the root element is <{0}>, expected <opml>")]
    NotOpml(String),
    #[error("the OPML document lists no feeds: no <outline> has an xmlUrl attribute")]
    NoFeeds,
}

/// One feed read from an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Imported {
    /// The `xmlUrl`, trimmed.
    pub url: String,
    /// The outline's `title`, else its `text`.
    pub title: Option<String>,
    /// Name of the nearest enclosing folder (an outline without `xmlUrl`).
    pub category: Option<String>,
}

/// Text for XML content and double-quoted attributes: forbidden characters
/// dropped, markup characters and quotes escaped.
fn esc(s: &str) -> String {
    escape(clean_text(s).as_str()).into_owned()
}

/// An OPML 2.0 list of huiju's feeds: `all` first, then each category, as RSS.
pub(crate) fn export(categories: &[Category], base_url: &str, title: &str) -> String {
    let base = base_url.trim_end_matches('/');
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n");
    out.push_str(&format!(
        "  <head>\n    <title>{}</title>\n  </head>\n  <body>\n",
        esc(title)
    ));
    let feeds =
        std::iter::once((ALL, ALL_TITLE)).chain(categories.iter().map(|c| (c.id.as_str(), c.title.as_str())));
    for (id, title) in feeds {
        let title = esc(title);
        out.push_str(&format!(
            "    <outline type=\"rss\" text=\"{title}\" title=\"{title}\" xmlUrl=\"{}\" htmlUrl=\"{}\"/>\n",
            esc(&format!("{base}/feeds/{id}.rss")),
            esc(&format!("{base}/")),
        ));
    }
    out.push_str("  </body>\n</opml>\n");
    out
}

/// The feeds of an OPML document, at any depth, in document order, each URL
/// once (the first wins; URLs are compared as URLs when they parse).
pub(crate) fn import(text: &str) -> Result<Vec<Imported>, OpmlError> {
    let doc = xml::parse(text);
    let root = doc.root.ok_or(OpmlError::NoRoot)?;
    if !root.local.eq_ignore_ascii_case("opml") {
        return Err(OpmlError::NotOpml(root.local.into_owned()));
    }
    let mut feeds = Vec::new();
    let mut seen = HashSet::new();
    collect(&root, None, &mut feeds, &mut seen);
    if feeds.is_empty() {
        return Err(OpmlError::NoFeeds);
    }
    Ok(feeds)
}

/// A trimmed, single-line, non-empty attribute value.
fn attr_text(el: &Element, name: &str) -> Option<String> {
    let v = clean_text(el.attr(name)?);
    let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
    (!v.is_empty()).then_some(v)
}

fn collect(el: &Element, folder: Option<&str>, feeds: &mut Vec<Imported>, seen: &mut HashSet<String>) {
    for child in el.elements() {
        if !child.local.eq_ignore_ascii_case("outline") {
            collect(child, folder, feeds, seen);
            continue;
        }
        let name = attr_text(child, "title").or_else(|| attr_text(child, "text"));
        match attr_text(child, "xmlUrl") {
            Some(url) => {
                let key = url::Url::parse(&url).map_or_else(|_| url.clone(), String::from);
                if seen.insert(key) {
                    feeds.push(Imported {
                        url,
                        title: name,
                        category: folder.map(str::to_string),
                    });
                }
                collect(child, folder, feeds, seen);
            }
            // A folder; one without a name leaves its feeds in the outer folder.
            None => collect(child, name.as_deref().or(folder), feeds, seen),
        }
    }
}

/// A category id from a folder name: lower-case ASCII letters and digits,
/// other runs as `-`; empty when nothing is left (e.g. a Chinese name).
fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.is_empty() && !s.ends_with('-') {
            s.push('-');
        }
    }
    s.trim_end_matches('-').to_string()
}

/// A TOML basic string, quoted and escaped.
fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Config entries for `feeds`: a `[[category]]` per folder that is not
/// already a category (`existing_categories` are category ids; a folder
/// whose name or slug is one of them is reused), then a `[[feed]]` each.
/// Feeds in no folder go to the category `imported`. `existing_titles`
/// maps category titles to ids, so a folder named like a category's title
/// (江苏资讯) joins that category (jiangsu).
pub(crate) fn to_toml(
    feeds: &[Imported],
    existing_categories: &[String],
    existing_titles: &std::collections::HashMap<String, String>,
) -> String {
    let existing: HashSet<&str> = existing_categories.iter().map(String::as_str).collect();
    let mut taken: HashSet<String> = existing_categories.iter().cloned().collect();
    taken.insert(ALL.to_string());
    let need_imported = feeds.iter().any(|f| f.category.is_none());
    if need_imported {
        taken.insert(IMPORTED_ID.to_string());
    }

    // Folder name → category id, and the categories to create, in order.
    let mut ids: Vec<(&str, String)> = Vec::new();
    let mut new: Vec<(String, &str)> = Vec::new();
    let mut numbered = 0;
    for name in feeds.iter().filter_map(|f| f.category.as_deref()) {
        if ids.iter().any(|(n, _)| *n == name) {
            continue;
        }
        let s = slug(name);
        let id = if existing.contains(name) {
            name.to_string()
        } else if let Some(id) = existing_titles.get(name) {
            id.clone()
        } else if existing.contains(s.as_str()) {
            s
        } else {
            let id = if s.is_empty() {
                loop {
                    numbered += 1;
                    let id = format!("cat-{numbered}");
                    if !taken.contains(&id) {
                        break id;
                    }
                }
            } else {
                (1..)
                    .map(|n| if n == 1 { s.clone() } else { format!("{s}-{n}") })
                    .find(|id| !taken.contains(id))
                    .expect("an unused suffix")
            };
            taken.insert(id.clone());
            new.push((id.clone(), name));
            id
        };
        ids.push((name, id));
    }
    if need_imported && !existing.contains(IMPORTED_ID) {
        new.push((IMPORTED_ID.to_string(), IMPORTED_TITLE));
    }

    let mut out = String::from("# Imported from OPML by huiju import-opml\n");
    for (id, title) in &new {
        out.push_str(&format!(
            "\n[[category]]\nid = {}\ntitle = {}\n",
            toml_str(id),
            toml_str(title)
        ));
    }
    for f in feeds {
        let category = match f.category.as_deref() {
            Some(name) => ids.iter().find(|(n, _)| *n == name).map(|(_, id)| id.as_str()),
            None => None,
        }
        .unwrap_or(IMPORTED_ID);
        out.push_str(&format!("\n[[feed]]\nurl = {}\n", toml_str(&f.url)));
        if let Some(t) = &f.title {
            out.push_str(&format!("title = {}\n", toml_str(t)));
        }
        out.push_str(&format!("categories = [{}]\n", toml_str(category)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const READER_EXPORT: &str = include_str!("../testdata/opml/reader-export.opml");

    fn cat(id: &str, title: &str) -> Category {
        Category {
            id: id.into(),
            title: title.into(),
            description: title.into(),
            dedup_threshold: None,
        }
    }

    fn outlines(el: &Element) -> Vec<&Element> {
        let mut v = Vec::new();
        for c in el.elements() {
            if c.local == "outline" {
                v.push(c);
            }
            v.extend(outlines(c));
        }
        v
    }

    #[test]
    fn export_is_well_formed_with_hostile_titles() {
        let cats = [
            cat("jiangsu", "江苏资讯"),
            cat("tech", "Tech & <News> \"quoted\" 'single'\u{1}"),
        ];
        let out = export(&cats, "http://127.0.0.1:8080/", "huiju & <co>");
        // The strict reader accepts it, not only our lenient one.
        let mut r = quick_xml::Reader::from_str(&out);
        loop {
            match r.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("not well-formed: {e}\n{out}"),
            }
        }
        let doc = xml::parse(&out);
        assert!(doc.warnings.is_empty(), "{:?}", doc.warnings);
        let root = doc.root.unwrap();
        assert_eq!(root.local, "opml");
        assert_eq!(root.attr("version"), Some("2.0"));
        assert_eq!(
            root.child("", "head").unwrap().child_text("", "title").as_deref(),
            Some("huiju & <co>")
        );
        let o = outlines(&root);
        assert_eq!(o.len(), 3);
        assert_eq!(o[0].attr("text"), Some("全部"));
        assert_eq!(o[0].attr("xmlUrl"), Some("http://127.0.0.1:8080/feeds/all.rss"));
        assert_eq!(o[1].attr("title"), Some("江苏资讯"));
        assert_eq!(
            o[1].attr("xmlUrl"),
            Some("http://127.0.0.1:8080/feeds/jiangsu.rss")
        );
        assert_eq!(o[1].attr("htmlUrl"), Some("http://127.0.0.1:8080/"));
        assert_eq!(o[2].attr("text"), Some("Tech & <News> \"quoted\" 'single'"));
        assert!(o.iter().all(|o| o.attr("type") == Some("rss")));
    }

    #[test]
    fn export_round_trips_through_import() {
        let cats = [cat("jiangsu", "江苏资讯"), cat("caijing", "财经 & 股市")];
        let feeds = import(&export(&cats, "https://huiju.example.cn", "huiju")).unwrap();
        let urls: Vec<&str> = feeds.iter().map(|f| f.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://huiju.example.cn/feeds/all.rss",
                "https://huiju.example.cn/feeds/jiangsu.rss",
                "https://huiju.example.cn/feeds/caijing.rss"
            ]
        );
        assert_eq!(feeds[2].title.as_deref(), Some("财经 & 股市"));
        assert!(feeds.iter().all(|f| f.category.is_none()));
    }

    #[test]
    fn import_reads_a_reader_export_without_version() {
        let feeds = import(READER_EXPORT).unwrap();
        let got: Vec<(&str, Option<&str>, Option<&str>)> = feeds
            .iter()
            .map(|f| (f.url.as_str(), f.title.as_deref(), f.category.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "https://www.xhby.net/rss/jiangsu.xml",
                    Some("新华日报·江苏"),
                    Some("江苏资讯")
                ),
                (
                    "http://www.szdushi.com.cn/rss/suzhou.xml",
                    Some("苏州都市网"),
                    Some("江苏资讯")
                ),
                (
                    "http://www.people.com.cn/rss/politics.xml",
                    Some("人民网 时政"),
                    Some("新闻")
                ),
                (
                    "https://feeds.arstechnica.com/arstechnica/index",
                    Some("Ars Technica"),
                    Some("Tech News")
                ),
                (
                    "https://example.com/att/feed.xml",
                    Some("AT&T Tech & Policy"),
                    Some("Tech News")
                ),
                ("https://news.ycombinator.com/rss", Some("Hacker News"), None),
                (
                    "http://www.xinhuanet.com/politics/news_politics.xml",
                    Some("新华网"),
                    None
                ),
            ]
        );
    }

    #[test]
    fn import_dedups_urls_compared_as_urls() {
        let text = r#"<opml><body>
            <outline text="A" xmlUrl="http://Example.COM/feed"/>
            <outline text="B" xmlUrl="http://example.com/feed"/>
            <outline text="C" xmlUrl="http://example.com/other"/>
        </body></opml>"#;
        let feeds = import(text).unwrap();
        assert_eq!(feeds.len(), 2);
        assert_eq!(feeds[0].title.as_deref(), Some("A"));
        assert_eq!(feeds[1].title.as_deref(), Some("C"));
    }

    #[test]
    fn import_errors_name_the_problem() {
        let e = import("<rss version=\"2.0\"><channel/></rss>").unwrap_err();
        assert!(matches!(e, OpmlError::NotOpml(ref r) if r == "rss"), "{e:?}");
        assert!(e.to_string().contains("<rss>"), "{e}");
        assert!(matches!(import(""), Err(OpmlError::NoRoot)));
        assert!(matches!(import("not xml at all"), Err(OpmlError::NoRoot)));
        let e =
            import("<opml version=\"1.0\"><body><outline text=\"Empty folder\"/></body></opml>").unwrap_err();
        assert!(matches!(e, OpmlError::NoFeeds), "{e:?}");
        assert!(e.to_string().contains("xmlUrl"), "{e}");
    }

    #[test]
    fn slugs_keep_ascii_letters_and_digits() {
        assert_eq!(slug("Tech News"), "tech-news");
        assert_eq!(slug("  C++ / Rust 2024!  "), "c-rust-2024");
        assert_eq!(slug("江苏资讯"), "");
        assert_eq!(slug("江苏 Jiangsu 资讯"), "jiangsu");
    }

    fn table<'a>(v: &'a toml::Value, key: &str) -> Vec<&'a toml::Value> {
        v.get(key)
            .and_then(toml::Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    }

    fn s<'a>(v: &'a toml::Value, key: &str) -> Option<&'a str> {
        v.get(key).and_then(toml::Value::as_str)
    }

    #[test]
    fn to_toml_writes_categories_and_feeds() {
        let feeds = import(READER_EXPORT).unwrap();
        let out = to_toml(&feeds, &[], &Default::default());
        assert!(
            out.starts_with("# Imported from OPML by huiju import-opml\n"),
            "{out}"
        );
        let v: toml::Value = toml::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
        let cats: Vec<(Option<&str>, Option<&str>)> = table(&v, "category")
            .iter()
            .map(|c| (s(c, "id"), s(c, "title")))
            .collect();
        assert_eq!(
            cats,
            [
                (Some("cat-1"), Some("江苏资讯")),
                (Some("cat-2"), Some("新闻")),
                (Some("tech-news"), Some("Tech News")),
                (Some("imported"), Some("导入")),
            ]
        );
        let feeds_out = table(&v, "feed");
        assert_eq!(feeds_out.len(), 7);
        let cats_of = |i: usize| -> Vec<&str> {
            feeds_out[i]["categories"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap())
                .collect()
        };
        assert_eq!(
            s(feeds_out[0], "url"),
            Some("https://www.xhby.net/rss/jiangsu.xml")
        );
        assert_eq!(s(feeds_out[0], "title"), Some("新华日报·江苏"));
        assert_eq!(cats_of(0), ["cat-1"]);
        assert_eq!(cats_of(2), ["cat-2"]);
        assert_eq!(s(feeds_out[4], "title"), Some("AT&T Tech & Policy"));
        assert_eq!(cats_of(4), ["tech-news"]);
        assert_eq!(cats_of(5), ["imported"]);
    }

    #[test]
    fn to_toml_output_is_a_valid_config() {
        let feeds = import(READER_EXPORT).unwrap();
        let out = to_toml(&feeds, &[], &Default::default());
        let config = crate::config::Config::parse(&out, std::path::Path::new("/tmp/imported.toml"))
            .unwrap_or_else(|e| panic!("{e}\n{out}"));
        assert_eq!(config.categories.len(), 4);
        assert_eq!(config.feeds.len(), 7);
    }

    #[test]
    fn to_toml_reuses_existing_categories() {
        let feeds = vec![
            Imported {
                url: "https://a.example/feed".into(),
                title: None,
                category: Some("Tech News".into()),
            },
            Imported {
                url: "https://b.example/feed".into(),
                title: Some("B \"quoted\"\n\\ \u{1}".into()),
                category: Some("jiangsu".into()),
            },
            Imported {
                url: "https://c.example/feed".into(),
                title: None,
                category: None,
            },
            Imported {
                url: "https://d.example/feed".into(),
                title: None,
                category: Some("All".into()),
            },
        ];
        let existing = [
            "tech-news".to_string(),
            "jiangsu".to_string(),
            "imported".to_string(),
        ];
        let out = to_toml(&feeds, &existing, &Default::default());
        let v: toml::Value = toml::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
        // Only the folder "All" is new, and `all` is reserved.
        let cats: Vec<(Option<&str>, Option<&str>)> = table(&v, "category")
            .iter()
            .map(|c| (s(c, "id"), s(c, "title")))
            .collect();
        assert_eq!(cats, [(Some("all-2"), Some("All"))]);
        let f = table(&v, "feed");
        let first_cat = |i: usize| f[i]["categories"][0].as_str().unwrap();
        assert_eq!(
            [first_cat(0), first_cat(1), first_cat(2), first_cat(3)],
            ["tech-news", "jiangsu", "imported", "all-2"]
        );
        assert_eq!(s(f[0], "title"), None);
        assert_eq!(s(f[1], "title"), Some("B \"quoted\"\n\\ \u{1}"));
    }

    #[test]
    fn to_toml_numbers_chinese_folders_past_taken_ids() {
        let feed = |url: &str, folder: &str| Imported {
            url: url.into(),
            title: None,
            category: Some(folder.into()),
        };
        let feeds = [
            feed("https://a.example/1", "江苏资讯"),
            feed("https://a.example/2", "体育"),
            feed("https://a.example/3", "江苏资讯"),
            feed("https://a.example/4", "Tech News!"),
            feed("https://a.example/5", "tech news"),
        ];
        let out = to_toml(&feeds, &["cat-1".to_string()], &Default::default());
        let v: toml::Value = toml::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
        let ids: Vec<&str> = table(&v, "category").iter().filter_map(|c| s(c, "id")).collect();
        assert_eq!(ids, ["cat-2", "cat-3", "tech-news", "tech-news-2"]);
        let f = table(&v, "feed");
        assert_eq!(f[2]["categories"][0].as_str(), Some("cat-2"));
        assert!(!out.contains("imported"), "{out}");
    }
}
