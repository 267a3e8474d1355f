//! Getting a feed's bytes. The only module that knows HTTP.
//!
//! Conditional GET with the validators the store kept, a total timeout, at
//! most 5 redirects, gzip/br/deflate, and a body cap counted on the
//! decompressed stream (so a 50 MB body or a compression bomb is cut, never
//! buffered whole). `file://` URLs read local files, for offline examples.

use std::io::Read;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use url::Url;

use crate::config;

/// Why a fetch failed. Messages leave out the URL: they are always shown in
/// the context of the feed (its tracing span, its line in `huiju fetch`).
#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    #[error("HTTP {status}")]
    Status {
        status: StatusCode,
        /// When the source allows the next request (Retry-After on 429/503).
        retry_after: Option<DateTime<Utc>>,
    },
    #[error("timed out after {} s", .0.as_secs())]
    Timeout(Duration),
    #[error("body larger than max_body ({0} bytes); cut off")]
    TooLarge(u64),
    /// The TLS handshake failed (certificate, protocol): the network works,
    /// the source's HTTPS does not.
    #[error("TLS handshake failed: {0}")]
    Tls(String),
    /// The host could not be reached at all (DNS, refused, unreachable):
    /// when every host fails this way, the network is down, not the feed.
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("{0}")]
    Request(String),
    #[error("cannot read {}", .path.display())]
    File {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl FetchError {
    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(status.as_u16()),
            _ => None,
        }
    }

    /// True for failures of the network path rather than of the source.
    pub(crate) fn is_connect(&self) -> bool {
        matches!(self, FetchError::Connect(_))
    }

    pub(crate) fn retry_after(&self) -> Option<DateTime<Utc>> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Validators from the previous 200 response.
#[derive(Debug, Clone, Default)]
pub(crate) struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug)]
pub(crate) enum Fetched {
    /// 304: the source has nothing new.
    NotModified {
        /// Cache-Control max-age, if the source sent one.
        max_age: Option<Duration>,
    },
    Body(Body),
}

#[derive(Debug)]
pub(crate) struct Body {
    pub bytes: Vec<u8>,
    /// `charset` of the Content-Type, if the server sent one.
    pub charset: Option<String>,
    pub validators: Validators,
    /// The document's URL, which its relative links resolve against: its
    /// `Content-Location` when the server names one (resolved against the
    /// URL after redirects), else the URL after redirects.
    pub final_url: Url,
    /// Cache-Control max-age: the source's own idea of how often to poll.
    pub max_age: Option<Duration>,
}

/// A configured HTTP client; cheap to clone.
#[derive(Clone)]
pub(crate) struct Fetcher {
    client: reqwest::Client,
    timeout: Duration,
    max_body: u64,
    /// `[[host]]` tables: their user agent and headers.
    hosts: std::sync::Arc<config::HostRules>,
}

impl Fetcher {
    pub(crate) fn new(cfg: &config::Fetch) -> Fetcher {
        // reqwest is built with rustls but no crypto provider (ring builds
        // faster and smaller than aws-lc); it must be installed before use.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(&cfg.user_agent)
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::limited(5))
            // Decision: no idle connections. An idle connection keeps its
            // read buffer, sized to the last body; a cycle of 1,000 hosts
            // held 58 MB that way with the default pool (90 s), still 30 MB
            // with a 600 ms idle timeout. A new connection per feed costs a
            // handshake, once per feed per poll.
            .pool_max_idle_per_host(0)
            .build()
            .expect("the HTTP client settings are static and valid");
        Fetcher {
            client,
            timeout: cfg.timeout,
            max_body: cfg.max_body,
            hosts: std::sync::Arc::new(cfg.hosts.clone()),
        }
    }

    /// Fetches `url`, conditionally when `prev` holds validators.
    pub(crate) async fn fetch(&self, url: &Url, prev: &Validators) -> Result<Fetched, FetchError> {
        if url.scheme() == "file" {
            return self.read_file(url);
        }
        // reqwest's timeout covers the body too; the outer one is a backstop.
        match tokio::time::timeout(self.timeout + Duration::from_secs(1), self.get(url, prev)).await {
            Ok(r) => r,
            Err(_) => Err(FetchError::Timeout(self.timeout)),
        }
    }

    async fn get(&self, url: &Url, prev: &Validators) -> Result<Fetched, FetchError> {
        let mut req = self.client.get(url.clone()).header(
            header::ACCEPT,
            "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8",
        );
        // The host's `[[host]]` headers replace huiju's own of the same
        // name (Accept); the validators come after and are never replaced.
        if let Some(rule) = url.host_str().and_then(|h| self.hosts.find(h)) {
            let mut extra = HeaderMap::new();
            let pairs = rule.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
            for (name, value) in pairs.chain(rule.user_agent.as_deref().map(|u| ("user-agent", u))) {
                // Checked by the config; a bad one is left out, not fatal.
                if let (Ok(n), Ok(v)) = (
                    header::HeaderName::from_bytes(name.as_bytes()),
                    header::HeaderValue::from_str(value),
                ) {
                    extra.insert(n, v);
                }
            }
            req = req.headers(extra);
        }
        if let Some(etag) = &prev.etag {
            req = req.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &prev.last_modified {
            req = req.header(header::IF_MODIFIED_SINCE, lm);
        }
        let mut resp = req.send().await.map_err(|e| self.request_error(&e))?;
        let status = resp.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified {
                max_age: max_age(resp.headers()),
            });
        }
        if !status.is_success() {
            let retry_after = if matches!(
                status,
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
            ) {
                retry_after(resp.headers(), Utc::now())
            } else {
                None
            };
            return Err(FetchError::Status { status, retry_after });
        }
        let too_large = || FetchError::TooLarge(self.max_body);
        if resp.content_length().is_some_and(|n| n > self.max_body) {
            return Err(too_large());
        }
        let headers = resp.headers().clone();
        let final_url = document_url(resp.url(), &headers);
        // Sized once by the announced length (known unless the body is
        // compressed): grown chunk by chunk, every body was copied about
        // twice over by reallocation.
        let announced = resp.content_length().unwrap_or(0).min(self.max_body);
        let mut bytes = Vec::with_capacity(usize::try_from(announced).unwrap_or(0));
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.request_error(&e))? {
            if bytes.len() as u64 + chunk.len() as u64 > self.max_body {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body(Body {
            bytes,
            charset: charset(&headers),
            validators: Validators {
                etag: header_str(&headers, header::ETAG),
                last_modified: header_str(&headers, header::LAST_MODIFIED),
            },
            final_url,
            max_age: max_age(&headers),
        }))
    }

    fn read_file(&self, url: &Url) -> Result<Fetched, FetchError> {
        let path = url
            .to_file_path()
            .map_err(|()| FetchError::Request(format!("'{url}' is not a local file path")))?;
        let file_err = |source| FetchError::File {
            path: path.clone(),
            source,
        };
        let file = std::fs::File::open(&path).map_err(file_err)?;
        let mut bytes = Vec::new();
        file.take(self.max_body + 1)
            .read_to_end(&mut bytes)
            .map_err(file_err)?;
        if bytes.len() as u64 > self.max_body {
            return Err(FetchError::TooLarge(self.max_body));
        }
        Ok(Fetched::Body(Body {
            bytes,
            charset: None,
            validators: Validators::default(),
            final_url: url.clone(),
            max_age: None,
        }))
    }

    fn request_error(&self, e: &reqwest::Error) -> FetchError {
        if e.is_timeout() {
            return FetchError::Timeout(self.timeout);
        }
        let reason = if e.is_redirect() {
            "too many redirects (more than 5)".to_string()
        } else {
            // reqwest's own message repeats the URL; its causes say what happened.
            let mut causes = Vec::new();
            let mut src = std::error::Error::source(e);
            while let Some(s) = src {
                let msg = s.to_string();
                if !causes.iter().any(|c: &String| c.contains(&msg)) {
                    causes.push(msg);
                }
                src = s.source();
            }
            if causes.is_empty() {
                e.to_string()
            } else {
                causes.join(": ")
            }
        };
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            if let Some(tls) = find_tls(s) {
                return FetchError::Tls(tls.to_string());
            }
            src = s.source();
        }
        if e.is_connect() {
            FetchError::Connect(reason)
        } else {
            FetchError::Request(reason)
        }
    }

    /// Tells a WebSub hub that `topics` changed (`hub.mode=publish`).
    pub(crate) async fn websub_publish(&self, hub: &Url, topics: &[String]) -> Result<(), FetchError> {
        let body = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("hub.mode", "publish");
            for t in topics {
                form.append_pair("hub.url", t);
            }
            form.finish()
        };
        let resp = self
            .client
            .post(hub.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| self.request_error(&e))?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(FetchError::Status {
                status: resp.status(),
                retry_after: None,
            })
        }
    }
}

/// The rustls error inside `e`: rustls errors arrive wrapped in (nested)
/// io::Errors, whose `source()` skips the wrapped error itself.
fn find_tls<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(t) = e.downcast_ref::<rustls::Error>() {
        return Some(t);
    }
    let inner = e.downcast_ref::<std::io::Error>()?.get_ref()?;
    find_tls(inner)
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<String> {
    h.get(name)?
        .to_str()
        .ok()
        .map(str::to_string)
        .filter(|s| !s.is_empty())
}

/// `Content-Location` resolved against `fetched` when it is an http(s) URL,
/// else `fetched`. Servers behind a proxy sometimes name their internal
/// address there (`http://10.0.0.5/rss.xml`): links resolved against it
/// would be dead for every reader, so a private or local host is taken
/// only from a source that is itself on one.
fn document_url(fetched: &Url, h: &HeaderMap) -> Url {
    header_str(h, header::CONTENT_LOCATION)
        .and_then(|cl| fetched.join(cl.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .filter(|u| !is_internal_host(u) || is_internal_host(fetched))
        .unwrap_or_else(|| fetched.clone())
}

/// True for `localhost` and loopback, private and link-local addresses.
fn is_internal_host(u: &Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost") || d.to_ascii_lowercase().ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => {
            ip.is_loopback() || ip.is_private() || ip.is_link_local() || ip.is_unspecified()
        }
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback()
                || ip.is_unspecified()
                || (ip.segments()[0] & 0xfe00) == 0xfc00
                || (ip.segments()[0] & 0xffc0) == 0xfe80
        }
        None => true,
    }
}

fn charset(h: &HeaderMap) -> Option<String> {
    let ct = h.get(header::CONTENT_TYPE)?.to_str().ok()?;
    ct.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            // Quoted as browsers accept it: "gbk", 'gbk' (servers send both).
            .then(|| v.trim().trim_matches(['"', '\'']).to_string())
    })
}

/// `Cache-Control: max-age=N`, capped at a day.
fn max_age(h: &HeaderMap) -> Option<Duration> {
    let cc = h.get(header::CACHE_CONTROL)?.to_str().ok()?;
    cc.split(',').find_map(|d| {
        let (k, v) = d.trim().split_once('=')?;
        if !k.trim().eq_ignore_ascii_case("max-age") {
            return None;
        }
        let secs: u64 = v.trim().parse().ok()?;
        Some(Duration::from_secs(secs.min(86400)))
    })
}

/// Reads Retry-After (seconds or an HTTP date), capped at a week so a typo
/// at the source cannot silence a feed for years.
pub(crate) fn retry_after(h: &HeaderMap, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let v = h.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    let at = match v.parse::<u64>() {
        Ok(secs) => now + chrono::Duration::seconds(secs.min(7 * 86400) as i64),
        Err(_) => DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc),
    };
    Some(at.min(now + chrono::Duration::days(7)).max(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relative links resolve against Content-Location, itself relative
    /// to the URL fetched; a non-web one is ignored.
    #[test]
    fn content_location_is_the_document_url() {
        let fetched = Url::parse("https://news.example.cn/rss/feed.xml").unwrap();
        let mut h = HeaderMap::new();
        assert_eq!(document_url(&fetched, &h), fetched);
        h.insert(header::CONTENT_LOCATION, "/mirror/feed.xml".parse().unwrap());
        assert_eq!(
            document_url(&fetched, &h).as_str(),
            "https://news.example.cn/mirror/feed.xml"
        );
        h.insert(header::CONTENT_LOCATION, "file:///etc/passwd".parse().unwrap());
        assert_eq!(document_url(&fetched, &h), fetched);
        // An internal address leaked by a proxied server is not the base...
        for internal in [
            "http://10.0.0.5/rss.xml",
            "http://localhost:8080/rss.xml",
            "http://[fd00::1]/rss.xml",
        ] {
            h.insert(header::CONTENT_LOCATION, internal.parse().unwrap());
            assert_eq!(document_url(&fetched, &h), fetched, "{internal}");
        }
        // ...unless the source is internal itself.
        let local = Url::parse("http://127.0.0.1:8097/feed.xml").unwrap();
        h.insert(
            header::CONTENT_LOCATION,
            "http://192.168.1.2/feed.xml".parse().unwrap(),
        );
        assert_eq!(document_url(&local, &h).as_str(), "http://192.168.1.2/feed.xml");
    }

    #[test]
    fn retry_after_forms() {
        let now = DateTime::parse_from_rfc3339("2023-04-15T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, "120".parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(now + chrono::Duration::seconds(120)));
        h.insert(
            header::RETRY_AFTER,
            "Sat, 15 Apr 2023 01:00:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h, now), Some(now + chrono::Duration::hours(1)));
        h.insert(header::RETRY_AFTER, "99999999".parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(now + chrono::Duration::days(7)));
        h.insert(header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h, now), None);
    }

    #[test]
    fn charset_from_content_type() {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, "text/xml; Charset=\"GBK\"".parse().unwrap());
        assert_eq!(charset(&h).as_deref(), Some("GBK"));
        h.insert(
            header::CONTENT_TYPE,
            "application/atom+xml;charset='gb2312'".parse().unwrap(),
        );
        assert_eq!(charset(&h).as_deref(), Some("gb2312"));
    }
}
