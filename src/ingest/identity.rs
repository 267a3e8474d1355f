//! Identity keys: how huiju tells that an item it reads is one it has
//! stored. One home for their format, used when items are written
//! (`normalize`) and when a user names one (`huiju explain`).
//!
//! - `url:{link}`: a guid or link that is a web URL, normalized
//!   ([`normalize_link`]);
//! - `guid:{scope}:{guid}`: an opaque guid ("12345"), unique only within
//!   its source's host, the scope;
//! - `hash:{…}`: neither; a hash of the title and text.

use url::Url;

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
pub(crate) fn normalize_link(link: &str) -> Option<String> {
    normalize_url(&Url::parse(link.trim()).ok()?)
}

/// [`normalize_link`] of a parsed URL.
pub(crate) fn normalize_url(u: &Url) -> Option<String> {
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
pub(crate) fn is_front_page(norm: &str) -> bool {
    !norm.contains('/') && !norm.contains('?')
}

/// The key of a normalized web link.
pub(crate) fn url_key(normalized: &str) -> String {
    format!("url:{normalized}")
}

/// The key of an opaque guid of a source whose scope is `scope`.
pub(crate) fn guid_key(scope: &str, guid: &str) -> String {
    format!("guid:{scope}:{}", guid.trim())
}

/// The key of an item with neither guid nor link.
pub(crate) fn hash_key(title: &str, text: &str) -> String {
    let h = xxhash_rust::xxh3::xxh3_128(format!("{title}\u{0}{text}").as_bytes());
    format!("hash:{h:032x}")
}

/// The scope of opaque guids read from the source configured as
/// `source`: its host, so that a feed that moves to https or another path
/// keeps its items; a local file is a scope of its own.
pub(crate) fn scope_of(source: &Url) -> String {
    match source.host_str() {
        Some(h) if !h.is_empty() => h.to_ascii_lowercase(),
        _ => source.to_string(),
    }
}

/// The keys an item that a user names by its link or guid (`given`) may
/// be stored under, given the sources that may have brought it.
pub(crate) fn lookup_keys<'a>(given: &str, sources: impl IntoIterator<Item = &'a Url>) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(n) = normalize_link(given) {
        keys.push(url_key(&n));
    }
    for source in sources {
        let key = guid_key(&scope_of(source), given);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_named_item_is_looked_up_by_every_key_it_may_have() {
        let a = Url::parse("https://News.Example.cn/rss.xml").unwrap();
        let b = Url::parse("http://other.example.cn/feed").unwrap();
        let b2 = Url::parse("https://other.example.cn/feed2").unwrap();
        assert_eq!(
            lookup_keys(" 12345 ", [&a, &b, &b2]),
            vec!["guid:news.example.cn:12345", "guid:other.example.cn:12345"]
        );
        let keys = lookup_keys("https://news.example.cn/a/1.html?utm_source=x", [&a]);
        assert_eq!(keys[0], "url:news.example.cn/a/1.html");
        // Written as `normalize` writes them.
        assert_eq!(guid_key(&scope_of(&a), "12345"), keys_of_written_guid());
    }

    fn keys_of_written_guid() -> String {
        let feed = crate::ingest::parse::parse(
            "<rss version=\"2.0\"><channel><item><title>t</title><guid isPermaLink=\"false\">12345</guid></item></channel></rss>",
            chrono_tz::Asia::Shanghai,
        );
        let url = Url::parse("https://News.Example.cn/rss.xml").unwrap();
        crate::ingest::normalize::normalize(&feed, &url, &url)
            .remove(0)
            .key
    }
}
