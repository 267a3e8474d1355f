//! What a refresh does with a fetched body, apart from the network: the
//! CPU step (decode, then parse a feed or scrape a list page, then
//! normalize and fingerprint), and the article pages of a source's items
//! (an HTML source's `content`, a feed's `[feed.fulltext]`), which
//! `huiju preview` fetches the same way.

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use tracing::warn;
use url::Url;

use crate::config::{ArticlePages, Feed};
use crate::fetch::{Body, Fetched, Fetcher, Validators};
use crate::ingest::normalize::{self, ArticleMode, Item};
use crate::ingest::{decode, parse, scrape};
use crate::neardup;
use crate::store::{Known, SourceMeta};

use super::anyhow_like;

/// A body read into items.
///
/// Decision: the parsed feed (or scraped list page) is not kept. It holds
/// every item's text a second time; kept until the store took the items,
/// it made the 1,000-feed cycle's peak 4 MB larger. Article pages' text is
/// added to the normalized items ([`with_articles`]).
pub(super) struct Read {
    pub(super) items: Vec<Item>,
    /// The items' near-duplicate prints, when asked for.
    pub(super) prints: Vec<neardup::Print>,
    pub(super) meta: SourceMeta,
    /// Warnings logged while reading.
    pub(super) warnings: usize,
    /// The soonest the source wants to be polled again (its `<ttl>`, or
    /// the response's max-age).
    pub(super) min_interval: Option<Duration>,
}

/// Reads a fetched body: a feed, or the list page of an HTML source.
/// Fingerprints the items when `near` (near-duplicate detection is on),
/// unless article pages are still to come ([`with_articles`] does it
/// then, so that near-duplicates are found among whole stories). `Err` is
/// why nothing could be read: the body is not a feed, or the list page
/// gave no items.
///
/// Never on an async worker: this is the CPU work of a refresh.
pub(super) fn read(feed: &Feed, body: Body, near: bool) -> Result<Read, String> {
    let articles = feed.article_pages().is_some();
    let (source, warnings, ttl) = match &feed.html {
        None => {
            let decoded = decode::decode(&body.bytes, body.charset.as_deref(), feed.encoding);
            let parsed = parse::parse(&decoded.text, feed.timezone);
            log_warnings(&decoded.warnings, &parsed.warnings);
            if parsed.format == parse::Format::Unknown {
                let why = parsed.warnings.last().map_or("nothing readable", String::as_str);
                return Err(format!("not a feed: {}", why.trim_start_matches("not a feed: ")));
            }
            let ttl = parsed.ttl_minutes.map(|m| Duration::from_secs(u64::from(m) * 60));
            (parsed, decoded.warnings.len(), ttl)
        }
        Some(selectors) => {
            let decoded = decode::decode_html(&body.bytes, body.charset.as_deref(), feed.encoding);
            let listing = scrape::list(
                &decoded.text,
                &body.final_url,
                selectors,
                feed.timezone,
                Utc::now(),
            );
            log_warnings(&decoded.warnings, &listing.feed.warnings);
            if let Some(problem) = listing.problem() {
                // The page changed or the selectors are wrong: a feed error
                // (so it shows on the status page); stored items stay.
                return Err(format!(
                    "no items on {}: {problem} (has the page changed? try `huiju preview`)",
                    body.final_url
                ));
            }
            (listing.feed, decoded.warnings.len(), None)
        }
    };
    let items = normalize::normalize(&source, &body.final_url, &feed.url);
    let prints = if near && !articles {
        neardup::print_items(&items)
    } else {
        Vec::new()
    };
    let meta = SourceMeta {
        title: source.title.clone(),
        site_link: normalize::site_url(&source, &body.final_url).map(String::from),
        etag: body.validators.etag,
        last_modified: body.validators.last_modified,
    };
    Ok(Read {
        warnings: warnings + source.warnings.len(),
        items,
        prints,
        meta,
        min_interval: ttl.max(body.max_age),
    })
}

fn log_warnings(decoding: &[String], reading: &[String]) {
    for w in decoding.iter().chain(reading) {
        warn!("{w}");
    }
}

/// Gives items the text of their article pages fetched this poll
/// (`pages`: the item's index, the body's HTML and the page's URL),
/// joined as `mode` says; the items already stored keep the article text
/// an earlier poll fetched (`known`). Fingerprints them when
/// `fingerprint` is set.
pub(super) fn with_articles(
    read: &mut Read,
    pages: Vec<(usize, String, Url)>,
    mode: ArticleMode,
    known: &HashMap<String, Known>,
    fingerprint: bool,
) {
    let mut fetched = vec![false; read.items.len()];
    for (i, html, page) in pages {
        read.items[i].add_article(&html, &page, mode);
        fetched[i] = true;
    }
    for (it, _) in read.items.iter_mut().zip(&fetched).filter(|(_, f)| !**f) {
        if let Some(k) = known.get(&it.key)
            && normalize::has_article(k.content.as_deref(), it.content.as_deref())
        {
            it.set_stored_content(k.content.clone());
        }
    }
    if fingerprint {
        read.prints = neardup::print_items(&read.items);
    }
}

/// An item's article page is fetched again on later polls, while its text
/// is missing, for this long after the item was first seen.
pub(crate) const ARTICLE_RETRY: Duration = Duration::from_secs(24 * 3600);

/// Whether an item's article page is fetched, and why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pick {
    Fetch(Url),
    NoLink,
    /// Only pages of the source's own site (the list page's, the feed's):
    /// the content selector was written for its layout.
    OtherSite,
    /// Past the number of pages to fetch.
    BeyondCap,
}

/// Which of the items with these (absolute) `links` (in the order of
/// `order`) get their article page fetched: links on `page`'s site (the
/// list page's, the feed's), at most `max`.
pub(crate) fn pick_articles(
    links: &[Option<&str>],
    page: &Url,
    order: impl IntoIterator<Item = usize>,
    max: usize,
) -> Vec<(usize, Pick)> {
    let mut taken = 0;
    order
        .into_iter()
        .map(|i| {
            let link = links[i].and_then(|l| Url::parse(l).ok());
            let pick = match link {
                None => Pick::NoLink,
                Some(l) if !scrape::same_site(page, &l) => Pick::OtherSite,
                Some(_) if taken >= max => Pick::BeyondCap,
                Some(l) => {
                    taken += 1;
                    Pick::Fetch(l)
                }
            };
            (i, pick)
        })
        .collect()
}

/// The items whose article page a poll fetches: new items first, then
/// the source's own items whose stored text has no article yet (a failed
/// fetch) from the last [`ARTICLE_RETRY`].
pub(super) fn articles_wanted(
    read: &Read,
    page: &Url,
    known: &HashMap<String, Known>,
    max: usize,
) -> Vec<(usize, Url)> {
    let recent = Utc::now().timestamp() - ARTICLE_RETRY.as_secs() as i64;
    let items = &read.items;
    let new = (0..items.len()).filter(|&i| !known.contains_key(&items[i].key));
    let retry = (0..items.len()).filter(|&i| {
        known.get(&items[i].key).is_some_and(|k| {
            k.own
                && k.first_seen >= recent
                && !normalize::has_article(k.content.as_deref(), items[i].content.as_deref())
        })
    });
    let links: Vec<Option<&str>> = items.iter().map(|it| it.link.as_deref()).collect();
    pick_articles(&links, page, new.chain(retry), max)
        .into_iter()
        .filter_map(|(i, pick)| match pick {
            Pick::Fetch(url) => Some((i, url)),
            _ => None,
        })
        .collect()
}

/// An article page's body, and the URL it was read from (after
/// redirects), which its relative URLs resolve against.
pub(crate) struct ArticlePage {
    pub(crate) article: scrape::Article,
    pub(crate) url: Url,
}

/// Fetches one article page and takes its body out as `pages` say (a
/// selector or the extractor, minus `remove`). Without politeness:
/// callers hold a request slot for its host.
pub(crate) async fn fetch_article(
    fetcher: &Fetcher,
    url: &Url,
    pages: &ArticlePages<'_>,
) -> Result<ArticlePage, String> {
    let body = match fetcher.fetch(url, &Validators::default()).await {
        Ok(Fetched::Body(b)) => b,
        Ok(Fetched::NotModified { .. }) => return Err("304 Not Modified to an unconditional request".into()),
        Err(e) => return Err(anyhow_like(&e)),
    };
    let (content, remove, forced) = (pages.content.clone(), pages.remove.to_vec(), pages.encoding);
    // An article page is a small part of a poll's CPU work: a blocking
    // task, not a place in the parsing threads' queue behind whole feeds.
    let url = body.final_url.clone();
    let article = tokio::task::spawn_blocking(move || {
        let decoded = decode::decode_html(&body.bytes, body.charset.as_deref(), forced);
        scrape::article(&decoded.text, &content, &remove)
    })
    .await
    .map_err(|e| format!("article task failed: {e}"))?;
    Ok(ArticlePage { article, url })
}
