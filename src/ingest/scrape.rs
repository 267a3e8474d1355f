//! Decoded HTML → a feed: a portal's list page read with CSS selectors, and
//! an article page's body. For sites that publish no RSS at all.
//!
//! Like [`crate::ingest::parse`], this never fails: it returns what the selectors
//! found plus warnings, and [`Listing::problem`] says, for the caller to
//! decide, when nothing usable was found. Links are made absolute here
//! (against `<base href>`, else the page's URL after redirects), because
//! only this step knows the page they were written on.

use std::collections::HashSet;
use std::fmt::Write as _;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use scraper::{ElementRef, Html, Selector};
use url::Url;

use crate::ingest::parse::{self, Format};

/// A CSS selector and the text it was written as (for messages).
#[derive(Debug, Clone)]
pub struct Sel {
    pub css: String,
    selector: Selector,
}

impl Sel {
    /// Parses `css`; the error says what is wrong, for a config message.
    pub fn parse(css: &str) -> Result<Sel, String> {
        let css = css.trim();
        if css.is_empty() {
            return Err("empty CSS selector".to_string());
        }
        Selector::parse(css)
            .map(|selector| Sel {
                css: css.to_string(),
                selector,
            })
            .map_err(|e| format!("bad CSS selector '{css}': {}", describe(&e)))
    }
}

/// A selector error in words (scraper's own text for most kinds is "please
/// report this to the developer" and a Rust debug dump).
fn describe(e: &scraper::error::SelectorErrorKind) -> String {
    use scraper::error::SelectorErrorKind as K;
    match e {
        K::UnexpectedToken => "unexpected character".to_string(),
        K::EndOfLine => "it ends too early (a name missing at the end, or an unclosed [ or ()".to_string(),
        K::UnexpectedSelectorParseError(kind) => {
            let debug = format!("{kind:?}");
            let name = debug.split(['(', ' ']).next().unwrap_or("");
            match name {
                "DanglingCombinator" => "a combinator (>, +, ~) with nothing after it".to_string(),
                "EmptySelector" => "an empty selector (a stray comma?)".to_string(),
                "ClassNeedsIdent" => "'.' must be followed by a class name".to_string(),
                "NoIdentForPseudo" => "':' must be followed by a pseudo-class name".to_string(),
                "UnsupportedPseudoClassOrElement" => "unsupported pseudo-class or pseudo-element".to_string(),
                n if n.contains("Attr") => "malformed attribute selector ([name=value])".to_string(),
                n => {
                    // CamelCase → words.
                    let mut out = String::new();
                    for (i, c) in n.chars().enumerate() {
                        if c.is_uppercase() && i > 0 {
                            out.push(' ');
                        }
                        out.push(c.to_ascii_lowercase());
                    }
                    out
                }
            }
        }
        other => other.to_string().to_lowercase(),
    }
}

impl std::fmt::Display for Sel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.css)
    }
}

/// Where an article page's body is: the elements a CSS selector matches,
/// or `auto`, what [`extract`](crate::ingest::extract) finds.
#[derive(Debug, Clone)]
pub enum ArticleBody {
    Selector(Sel),
    Auto,
}

impl ArticleBody {
    /// `"auto"`, else a CSS selector; the error says what is wrong.
    pub fn parse(s: &str) -> Result<ArticleBody, String> {
        if s.trim().eq_ignore_ascii_case("auto") {
            Ok(ArticleBody::Auto)
        } else {
            Sel::parse(s)
                .map(ArticleBody::Selector)
                .map_err(|e| format!("{e} (give a CSS selector, or \"auto\")"))
        }
    }
}

impl std::fmt::Display for ArticleBody {
    /// `'div.content'`, or `auto`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ArticleBody::Selector(s) => write!(f, "'{s}'"),
            ArticleBody::Auto => f.write_str("auto"),
        }
    }
}

/// How to read one HTML source: the `[feed.html]` table of the config.
#[derive(Debug, Clone)]
pub struct Selectors {
    /// One element per item on the list page.
    pub item: Sel,
    /// Inside an item; default: the link element's text.
    pub title: Option<Sel>,
    /// Inside an item; default: the item itself when it is an `a[href]`,
    /// else its first `a[href]`.
    pub link: Option<Sel>,
    /// The attribute holding the URL (default `href`).
    pub link_attr: String,
    pub date: Option<Sel>,
    /// Read the date from this attribute (`<time datetime>`) instead of the text.
    pub date_attr: Option<String>,
    /// A chrono format such as `%Y-%m-%d %H:%M`; without one the common
    /// forms are tried. A format without a year takes the current one.
    pub date_format: Option<String>,
    pub summary: Option<Sel>,
    /// The article body on the item's own page; enables article fetches.
    pub content: Option<ArticleBody>,
    /// Removed from the article body (share bars, editor lines).
    pub remove: Vec<Sel>,
    /// At most this many article pages are fetched per poll.
    pub articles_per_poll: usize,
}

/// Default bound on article fetches per poll.
pub(crate) const ARTICLES_PER_POLL: usize = 10;

impl Selectors {
    /// Selectors with only `item` set (the rest default).
    pub fn new(item: Sel) -> Selectors {
        Selectors {
            item,
            title: None,
            link: None,
            link_attr: "href".to_string(),
            date: None,
            date_attr: None,
            date_format: None,
            summary: None,
            content: None,
            remove: Vec::new(),
            articles_per_poll: ARTICLES_PER_POLL,
        }
    }
}

/// What a list page yielded.
#[derive(Debug, Clone)]
pub(crate) struct Listing {
    /// Items with a title and an absolute link, in page order
    /// (`format` is [`Format::Html`]).
    pub feed: parse::Feed,
    /// Elements the item selector matched (items without a title or link
    /// are among them but not in `feed.items`).
    pub matched: usize,
    /// The item selector (for messages).
    pub item_css: String,
}

impl Listing {
    /// Why this page gave nothing usable, or `None` when it gave items.
    /// The caller decides what that means (`refresh` records a feed error).
    pub(crate) fn problem(&self) -> Option<String> {
        if self.matched == 0 {
            Some(format!("item selector '{}' matched nothing", self.item_css))
        } else if self.feed.items.is_empty() {
            Some(format!(
                "item selector '{}' matched {} elements, but none had both a title and a link",
                self.item_css, self.matched
            ))
        } else {
            None
        }
    }
}

/// Counts items in which an optional selector matched nothing, for one
/// warning per selector instead of one per item.
#[derive(Default)]
struct Missing {
    title: usize,
    link: usize,
    date: usize,
    summary: usize,
}

/// Reads a list page. `page_url` is where it came from after redirects;
/// dates without an offset are read in `tz`; `now` places yearless dates.
pub(crate) fn list(text: &str, page_url: &Url, sel: &Selectors, tz: Tz, now: DateTime<Utc>) -> Listing {
    let doc = Html::parse_document(text);
    let base = base_url(&doc, page_url);
    let mut warnings = Vec::new();
    let mut items = Vec::new();
    let mut missing = Missing::default();
    let mut seen_links = HashSet::new();
    let mut repeated = 0;
    let mut matched = 0;
    for el in doc.select(&sel.item.selector) {
        matched += 1;
        let no = matched;
        let link_el = match &sel.link {
            Some(s) => el.select(&s.selector).next(),
            None => first_anchor(el),
        };
        let raw_link = link_el.and_then(|l| {
            l.attr(&sel.link_attr)
                .or_else(|| first_anchor(l).and_then(|a| a.attr("href")))
        });
        let link = match raw_link.map(str::trim) {
            None | Some("") => {
                missing.link += 1;
                None
            }
            Some(raw) => match resolve(raw, &base) {
                Some(u) => Some(u),
                None => {
                    warnings.push(format!("item {no}: link '{raw}' is not a page address; skipped"));
                    None
                }
            },
        };
        let title = match &sel.title {
            Some(s) => el.select(&s.selector).next().map(|t| {
                let text = text_of(t);
                if text.is_empty() {
                    t.attr("title").map(collapse).unwrap_or_default()
                } else {
                    text
                }
            }),
            None => link_el.map(|l| {
                let text = text_of(l);
                if text.is_empty() {
                    l.attr("title").map(collapse).unwrap_or_default()
                } else {
                    text
                }
            }),
        }
        .filter(|t| !t.is_empty());
        if title.is_none() && link.is_some() {
            missing.title += 1;
        }
        let published = match &sel.date {
            Some(s) => match el.select(&s.selector).next() {
                Some(d) => {
                    let raw = match &sel.date_attr {
                        Some(a) => d.attr(a).map(collapse).unwrap_or_default(),
                        None => text_of(d),
                    };
                    let parsed = read_date(&raw, sel.date_format.as_deref(), tz, now);
                    if parsed.is_none() {
                        warnings.push(match &sel.date_format {
                            Some(f) => {
                                format!("item {no}: unreadable date '{raw}' (date_format '{f}'), ignored")
                            }
                            None => format!("item {no}: unreadable date '{raw}', ignored"),
                        });
                    }
                    parsed
                }
                None => {
                    missing.date += 1;
                    None
                }
            },
            None => None,
        };
        let summary = match &sel.summary {
            Some(s) => match el.select(&s.selector).next() {
                Some(e) => Some(e.inner_html()).filter(|h| !h.trim().is_empty()),
                None => {
                    missing.summary += 1;
                    None
                }
            },
            None => None,
        };
        let (Some(link), Some(title)) = (link, title) else {
            continue;
        };
        if !seen_links.insert(link.clone()) {
            repeated += 1;
            continue;
        }
        // A link that is not a web address (a `file://` sample) has no
        // normalized form; as a guid it still gives a stable identity.
        let guid = (!matches!(link.scheme(), "http" | "https")).then(|| link.to_string());
        items.push(parse::Item {
            guid,
            link: Some(link.to_string()),
            title: Some(title),
            summary,
            published,
            ..parse::Item::default()
        });
    }
    if matched > 0 {
        let note = |n: usize, what: &str, css: Option<&Sel>, then: &str| {
            let css = css.map_or_else(
                || "(default: the first a[href])".to_string(),
                |s| format!("'{s}'"),
            );
            (n > 0).then(|| format!("{what} selector {css} matched nothing in {n} of {matched} items{then}"))
        };
        warnings.extend(note(
            missing.link,
            "link",
            sel.link.as_ref(),
            "; they were skipped",
        ));
        if sel.title.is_some() {
            warnings.extend(note(
                missing.title,
                "title",
                sel.title.as_ref(),
                "; they were skipped",
            ));
        } else if missing.title > 0 {
            warnings.push(format!(
                "{} of {matched} items have a link without text; give a title selector",
                missing.title
            ));
        }
        warnings.extend(note(
            missing.date,
            "date",
            sel.date.as_ref(),
            "; they carry the time huiju first sees them",
        ));
        warnings.extend(note(missing.summary, "summary", sel.summary.as_ref(), ""));
    }
    if repeated > 0 {
        warnings.push(format!("{repeated} items repeat a link already listed; skipped"));
    }
    let title = doc
        .select(&Selector::parse("title").expect("static selector"))
        .next()
        .map(text_of)
        .filter(|t| !t.is_empty());
    let description = doc
        .select(&Selector::parse("meta[name=description]").expect("static selector"))
        .next()
        .and_then(|m| m.attr("content"))
        .map(collapse)
        .filter(|t| !t.is_empty());
    Listing {
        feed: parse::Feed {
            format: Format::Html,
            title,
            link: Some(page_url.to_string()),
            description,
            items,
            ttl_minutes: None,
            warnings,
        },
        matched,
        item_css: sel.item.css.clone(),
    }
}

/// An article page's body.
#[derive(Debug, Clone, Default)]
pub(crate) struct Article {
    /// The inner HTML of every element the content selector matched (or
    /// what the extractor found), with the `remove` selectors' elements
    /// taken out. Not yet sanitized.
    pub content: Option<String>,
    /// The content selector matched nothing (or only whitespace), or the
    /// extractor found no article text.
    pub warnings: Vec<String>,
    /// `remove` selectors that matched nothing (shown by `preview` only).
    pub unused_remove: Vec<String>,
}

/// Takes the body out of an article page.
pub(crate) fn article(text: &str, body: &ArticleBody, remove: &[Sel]) -> Article {
    let mut doc = Html::parse_document(text);
    let mut out = Article::default();
    for r in remove {
        let ids: Vec<_> = doc.select(&r.selector).map(|e| e.id()).collect();
        if ids.is_empty() {
            out.unused_remove.push(r.css.clone());
        }
        for id in ids {
            if let Some(mut node) = doc.tree.get_mut(id) {
                node.detach();
            }
        }
    }
    let content = match body {
        ArticleBody::Selector(s) => s,
        ArticleBody::Auto => {
            let found = crate::ingest::extract::extract(&mut doc);
            out.content = found.content;
            out.warnings = found.warnings;
            return out;
        }
    };
    let mut html = String::new();
    for el in doc.select(&content.selector) {
        // A match inside an earlier match is already included.
        if el
            .ancestors()
            .filter_map(ElementRef::wrap)
            .any(|a| content.selector.matches(&a))
        {
            continue;
        }
        html.push_str(&el.inner_html());
    }
    if html.trim().is_empty() {
        out.warnings
            .push(format!("content selector '{}' matched nothing", content.css));
    } else {
        out.content = Some(html.trim().to_string());
    }
    out
}

/// True when an article link is on the list page's own site, where the
/// content selector was written for: the same host or a sibling under the
/// same domain (`news.szdushi.com.cn` and `www.szdushi.com.cn`); for local
/// files, another local file. Links to other sites are not fetched.
pub(crate) fn same_site(page: &Url, link: &Url) -> bool {
    if page.scheme() == "file" || link.scheme() == "file" {
        return page.scheme() == link.scheme();
    }
    match (page.host_str(), link.host_str()) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b) || site_of(a) == site_of(b),
        _ => false,
    }
}

/// `www.szdushi.com.cn` → `szdushi.com.cn`; `a.b.example.com` → `example.com`.
fn site_of(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        return host;
    }
    let labels: Vec<&str> = host.split('.').collect();
    // Second-level domains under a country code (com.cn, gov.cn, com.hk, co.uk…).
    const SECOND_LEVEL: &[&str] = &["com", "net", "org", "gov", "edu", "ac", "co", "mil"];
    let n = if labels.len() >= 3
        && labels[labels.len() - 1].len() == 2
        && SECOND_LEVEL.contains(&labels[labels.len() - 2])
    {
        3
    } else {
        2
    };
    labels[labels.len().saturating_sub(n)..].join(".")
}

/// The page's `<base href>`, resolved against its URL, else the URL.
fn base_url(doc: &Html, page_url: &Url) -> Url {
    doc.select(&Selector::parse("base[href]").expect("static selector"))
        .next()
        .and_then(|b| b.attr("href"))
        .and_then(|h| page_url.join(h.trim()).ok())
        .unwrap_or_else(|| page_url.clone())
}

/// An absolute page URL for `raw`, or `None` for `javascript:`, `mailto:`
/// and bare fragments.
fn resolve(raw: &str, base: &Url) -> Option<Url> {
    if raw.starts_with('#') {
        return None;
    }
    let u = base.join(raw).ok()?;
    matches!(u.scheme(), "http" | "https" | "file").then_some(u)
}

/// `el` itself when it is an `a[href]`, else its first `a[href]`.
fn first_anchor(el: ElementRef<'_>) -> Option<ElementRef<'_>> {
    if el.value().name() == "a" && el.attr("href").is_some() {
        return Some(el);
    }
    el.descendent_elements()
        .find(|d| d.value().name() == "a" && d.attr("href").is_some())
}

/// The element's text with whitespace collapsed.
fn text_of(el: ElementRef<'_>) -> String {
    collapse(&el.text().collect::<String>())
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Common forms on Chinese list pages, tried when no format is given and
/// the general date reader fails: with a year, and without one
/// (`11-20 09:30`, the current year assumed).
const COMMON_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M",
    "%Y年%m月%d日",
    "%m-%d %H:%M",
    "%m/%d %H:%M",
    "%m-%d",
    "%m月%d日 %H:%M",
    "%m月%d日",
];

/// Reads a date as a list page writes it: with `format` if given (found
/// anywhere in the text, so `[2026-11-20]` and `发布时间：…` work), else with
/// [`parse::date::parse_date`], else by the common forms. Dates without an
/// offset are read in `tz`; a format without a year takes the year that
/// puts the date at most a day after `now`.
pub(crate) fn read_date(
    raw: &str,
    format: Option<&str>,
    tz: Tz,
    now: DateTime<Utc>,
) -> Option<DateTime<FixedOffset>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    if let Some(f) = format
        && let Some(d) = with_format(raw, f, tz, now)
    {
        return Some(d);
    }
    if let Some(d) = parse::date::parse_date(raw, tz) {
        return Some(d);
    }
    COMMON_FORMATS.iter().find_map(|f| with_format(raw, f, tz, now))
}

/// `raw` read with `format`, starting at its beginning or at any digit.
fn with_format(raw: &str, format: &str, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<FixedOffset>> {
    let has_year = ["%Y", "%y", "%G", "%g", "%C", "%s", "%+", "%c", "%D", "%F", "%x"]
        .iter()
        .any(|y| format.contains(y));
    let starts = raw
        .char_indices()
        .filter(|(i, c)| {
            *i == 0 || (c.is_ascii_digit() && !raw[..*i].ends_with(|p: char| p.is_ascii_digit()))
        })
        .map(|(i, _)| i)
        .take(32);
    for i in starts {
        let s = &raw[i..];
        if has_year {
            if let Some(d) = parse_at(s, format, tz) {
                return Some(d);
            }
        } else {
            let local_now = now.with_timezone(&tz);
            for year in [local_now.year(), local_now.year() - 1] {
                let (s, f) = (format!("{year} {s}"), format!("%Y {format}"));
                if let Some(d) = parse_at(&s, &f, tz)
                    && d.with_timezone(&Utc) <= now + chrono::Duration::days(1)
                {
                    return Some(d);
                }
            }
        }
    }
    None
}

fn parse_at(s: &str, format: &str, tz: Tz) -> Option<DateTime<FixedOffset>> {
    if let Ok((d, _)) = DateTime::parse_and_remainder(s, format) {
        return Some(d);
    }
    let local = |n: NaiveDateTime| tz.from_local_datetime(&n).earliest().map(|d| d.fixed_offset());
    if let Ok((n, _)) = NaiveDateTime::parse_and_remainder(s, format) {
        return local(n);
    }
    if let Ok((d, _)) = NaiveDate::parse_and_remainder(s, format) {
        return local(d.and_hms_opt(0, 0, 0)?);
    }
    None
}

/// Checks a `date_format` for the config: chrono must understand it and it
/// must be able to read back a date it wrote.
pub(crate) fn check_date_format(format: &str) -> Result<(), String> {
    use chrono::format::{Item, StrftimeItems};
    if format.trim().is_empty() {
        return Err("date_format is empty".to_string());
    }
    if StrftimeItems::new(format).any(|i| matches!(i, Item::Error)) {
        return Err(format!(
            "bad date_format '{format}': not a chrono format (e.g. \"%Y-%m-%d %H:%M\", \"%Y年%m月%d日\")"
        ));
    }
    let tz = chrono_tz::Asia::Shanghai;
    let sample = tz
        .with_ymd_and_hms(2026, 11, 20, 9, 30, 45)
        .single()
        .expect("a valid time")
        .fixed_offset();
    let mut written = String::new();
    let cannot =
        || format!("date_format '{format}' cannot read a date: it needs at least a month and a day (%m, %d)");
    write!(written, "{}", sample.format(format)).map_err(|_| cannot())?;
    let now = sample.with_timezone(&Utc);
    match with_format(&written, format, tz, now) {
        Some(d) if d.date_naive() == sample.date_naive() => Ok(()),
        _ => Err(cannot()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn testdata(name: &str) -> Vec<u8> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/html")
            .join(name);
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    fn sel(css: &str) -> Sel {
        Sel::parse(css).unwrap()
    }

    fn portal() -> Selectors {
        Selectors {
            title: Some(sel("h3 a")),
            date: Some(sel(".date")),
            date_format: Some("%Y-%m-%d %H:%M".into()),
            summary: Some(sel("p.summary")),
            ..Selectors::new(sel("ul.news-list > li"))
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-24T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    const SH: Tz = chrono_tz::Asia::Shanghai;

    fn page_url() -> Url {
        Url::parse("http://www.szdushi.com.cn/news/jiangsu/list.html").unwrap()
    }

    #[test]
    fn list_page_items_with_absolute_links_and_local_dates() {
        let text = String::from_utf8(testdata("list.html")).unwrap();
        let l = list(&text, &page_url(), &portal(), SH, now());
        assert_eq!(l.problem(), None);
        assert_eq!(l.matched, 4);
        let f = &l.feed;
        assert_eq!(f.format, Format::Html);
        assert_eq!(f.title.as_deref(), Some("江苏资讯_资讯中心_苏州都市网"));
        assert_eq!(f.items.len(), 4, "{:?}", f.warnings);
        let links: Vec<&str> = f.items.iter().map(|i| i.link.as_deref().unwrap()).collect();
        assert_eq!(
            links,
            [
                "http://www.szdushi.com.cn/news/202611/170001.html",
                "http://www.szdushi.com.cn/news/jiangsu/170002.html",
                "http://www.szdushi.com.cn/news/show.php?id=170003",
                "https://www.xhby.net/content/a.html",
            ]
        );
        let i = &f.items[0];
        assert_eq!(i.title.as_deref(), Some("苏州地铁6号线 开通运营"));
        assert_eq!(i.published.unwrap().to_rfc3339(), "2026-11-20T09:30:00+08:00");
        assert!(i.summary.as_deref().unwrap().contains("<b>6号线</b>"));
        assert!(i.guid.is_none());
        // The fourth item has no date element: one warning for the selector.
        assert!(f.items[3].published.is_none());
        assert!(
            f.warnings
                .iter()
                .any(|w| w.contains("date selector '.date' matched nothing in 1 of 4 items")),
            "{:?}",
            f.warnings
        );
    }

    #[test]
    fn base_href_anchors_relative_links() {
        let text = "<html><head><base href=\"/portal/\"></head><body>\
                    <ul><li><a href=\"a/1.html\">一</a></li><li><a href=\"?id=2\">二</a></li></ul></body></html>";
        let l = list(text, &page_url(), &Selectors::new(sel("li")), SH, now());
        let links: Vec<&str> = l.feed.items.iter().map(|i| i.link.as_deref().unwrap()).collect();
        assert_eq!(
            links,
            [
                "http://www.szdushi.com.cn/portal/a/1.html",
                "http://www.szdushi.com.cn/portal/?id=2"
            ]
        );
        assert_eq!(l.feed.items[1].title.as_deref(), Some("二"));
    }

    #[test]
    fn nothing_matched_is_a_problem_not_a_panic() {
        let l = list(
            "<html><body><p>改版了</p></body></html>",
            &page_url(),
            &portal(),
            SH,
            now(),
        );
        assert_eq!(l.matched, 0);
        assert!(l.feed.items.is_empty());
        assert_eq!(
            l.problem().unwrap(),
            "item selector 'ul.news-list > li' matched nothing"
        );
        // Elements without links are matched, but yield no items.
        let l = list(
            "<ul class=news-list><li><h3>无链接</h3></li><li><a href=\"javascript:void(0)\">x</a></li></ul>",
            &page_url(),
            &Selectors::new(sel("ul.news-list > li")),
            SH,
            now(),
        );
        assert_eq!(l.matched, 2);
        assert!(
            l.problem().unwrap().contains("none had both a title and a link"),
            "{:?}",
            l.problem()
        );
        assert!(
            l.feed.warnings.iter().any(|w| w.contains("not a page address")),
            "{:?}",
            l.feed.warnings
        );
        // Empty input and garbage are read, not refused.
        for junk in ["", "\u{0}\u{FFFD}<<<>>>", "<ul class=news-list><li><a href=x>"] {
            let _ = list(junk, &page_url(), &portal(), SH, now());
        }
    }

    #[test]
    fn repeated_links_and_file_urls() {
        let text = "<li><a href=\"1.html\">一</a></li><li><a href=\"1.html#top\">一</a></li>\
                    <li><a href=\"1.html\">一</a></li>";
        let base = Url::parse("file:///srv/samples/list.html").unwrap();
        let l = list(text, &base, &Selectors::new(sel("li")), SH, now());
        assert_eq!(l.feed.items.len(), 2);
        assert_eq!(
            l.feed.items[0].link.as_deref(),
            Some("file:///srv/samples/1.html")
        );
        // A file link has no web form: it is its own guid.
        assert_eq!(
            l.feed.items[0].guid.as_deref(),
            Some("file:///srv/samples/1.html")
        );
        assert!(
            l.feed
                .warnings
                .iter()
                .any(|w| w.contains("1 items repeat a link"))
        );
    }

    #[test]
    fn date_attribute_and_title_attribute() {
        let text = "<div class=row><a href=\"/n/1.html\" title=\"全文标题\"><img src=x.jpg></a>\
                    <time datetime=\"2026-11-20T09:30:00+08:00\">昨天</time></div>";
        let s = Selectors {
            date: Some(sel("time")),
            date_attr: Some("datetime".into()),
            ..Selectors::new(sel("div.row"))
        };
        let l = list(text, &page_url(), &s, SH, now());
        let i = &l.feed.items[0];
        assert_eq!(i.title.as_deref(), Some("全文标题"));
        assert_eq!(i.published.unwrap().to_rfc3339(), "2026-11-20T09:30:00+08:00");
    }

    #[test]
    fn dates_as_list_pages_write_them() {
        let d = |raw: &str, f: Option<&str>| read_date(raw, f, SH, now()).map(|d| d.to_rfc3339());
        let want = Some("2026-11-20T09:30:00+08:00".to_string());
        assert_eq!(d("2026-11-20 09:30", Some("%Y-%m-%d %H:%M")), want);
        assert_eq!(d("[2026-11-20 09:30]", Some("%Y-%m-%d %H:%M")), want);
        assert_eq!(d("发布时间：2026-11-20 09:30", Some("%Y-%m-%d %H:%M")), want);
        assert_eq!(d("2026年11月20日 09:30", None), want);
        assert_eq!(d("2026/11/20 09:30", None), want);
        assert_eq!(d("(11-20 09:30)", None), want);
        assert_eq!(d("11-20 09:30", Some("%m-%d %H:%M")), want);
        // A yearless date after today is last year's.
        assert_eq!(
            d("12-30", Some("%m-%d")),
            Some("2025-12-30T00:00:00+08:00".to_string())
        );
        assert_eq!(
            d("2026-11-20", Some("%Y-%m-%d")),
            Some("2026-11-20T00:00:00+08:00".to_string())
        );
        // The format fails, the general reader still knows the form.
        assert_eq!(d("2026-11-20T09:30:00+08:00", Some("%d.%m.%Y")), want);
        assert_eq!(d("明天", None), None);
        assert_eq!(d("", None), None);
    }

    #[test]
    fn date_formats_are_checked() {
        assert!(check_date_format("%Y-%m-%d %H:%M").is_ok());
        assert!(check_date_format("%Y年%m月%d日").is_ok());
        assert!(check_date_format("%m-%d %H:%M").is_ok());
        assert!(
            check_date_format("%Y-%m-%d %Q")
                .unwrap_err()
                .contains("not a chrono format")
        );
        assert!(
            check_date_format("%H:%M")
                .unwrap_err()
                .contains("needs at least a month and a day")
        );
        assert!(check_date_format("").is_err());
    }

    #[test]
    fn articles_only_on_the_list_pages_site() {
        let u = |s: &str| Url::parse(s).unwrap();
        let page = u("http://www.szdushi.com.cn/news/jiangsu/");
        assert!(same_site(&page, &u("https://www.szdushi.com.cn/a.html")));
        assert!(same_site(&page, &u("http://news.szdushi.com.cn/a.html")));
        assert!(!same_site(&page, &u("https://www.xhby.net/a.html")));
        assert!(!same_site(&page, &u("http://www.gov.cn/a.html")));
        assert!(same_site(
            &u("http://127.0.0.1:8080/l"),
            &u("http://127.0.0.1:9/a")
        ));
        assert!(!same_site(&u("http://127.0.0.1/l"), &u("http://127.0.0.2/a")));
        assert!(same_site(&u("file:///srv/l.html"), &u("file:///srv/a.html")));
        assert!(!same_site(
            &u("file:///srv/l.html"),
            &u("http://www.szdushi.com.cn/a.html")
        ));
    }

    #[test]
    fn bad_selectors_say_so() {
        assert!(
            Sel::parse("ul >")
                .unwrap_err()
                .contains("bad CSS selector 'ul >'")
        );
        assert!(Sel::parse("div[").is_err());
        assert!(Sel::parse("  ").is_err());
        assert_eq!(Sel::parse(" li a ").unwrap().css, "li a");
    }

    #[test]
    fn article_body_without_share_bar() {
        let text = String::from_utf8(testdata("article.html")).unwrap();
        let body = |css: &str| ArticleBody::Selector(sel(css));
        let a = article(
            &text,
            &body("div.article-content"),
            &[sel(".share-bar"), sel("p.editor"), sel(".none")],
        );
        let c = a.content.unwrap();
        assert!(c.contains("大运河江苏段"), "{c}");
        assert!(!c.contains("分享到"), "{c}");
        assert!(!c.contains("责任编辑"), "{c}");
        assert!(!c.contains("首页"), "{c}");
        assert!(a.warnings.is_empty());
        assert_eq!(a.unused_remove, [".none"]);
        let a = article(&text, &body("div.no-such"), &[]);
        assert!(a.content.is_none());
        assert_eq!(a.warnings, ["content selector 'div.no-such' matched nothing"]);
    }

    #[test]
    fn article_body_found_by_the_extractor_after_remove() {
        let text = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("config/samples/portal-article-170123.html"),
        )
        .unwrap();
        let a = article(&text, &ArticleBody::Auto, &[sel("p.editor")]);
        let c = a.content.unwrap();
        assert!(c.contains("淮安清江浦段将新建运河文化展示馆"), "{c}");
        assert!(
            !c.contains("责任编辑") && !c.contains("分享到") && !c.contains("网友热搜"),
            "{c}"
        );
        assert!(a.warnings.is_empty());
        let a = article("<ul><li><a href=/>首页</a></li></ul>", &ArticleBody::Auto, &[]);
        assert!(a.content.is_none());
        assert!(
            a.warnings[0].contains("found no article text"),
            "{:?}",
            a.warnings
        );
    }

    #[test]
    fn article_body_is_auto_or_a_selector() {
        assert!(matches!(ArticleBody::parse(" Auto "), Ok(ArticleBody::Auto)));
        assert_eq!(ArticleBody::parse("div.zw").unwrap().to_string(), "'div.zw'");
        assert_eq!(ArticleBody::Auto.to_string(), "auto");
        let e = ArticleBody::parse("div >").unwrap_err();
        assert!(
            e.starts_with("bad CSS selector 'div >'") && e.ends_with("(give a CSS selector, or \"auto\")"),
            "{e}"
        );
    }
}
