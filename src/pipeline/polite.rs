//! Politeness, shared by every request huiju makes to a source: at most
//! `[fetch] concurrency` requests at once, `[fetch] per_host` to one host
//! with [`HOST_GAP`] between the starts of two (both overridden per host
//! by `[[host]]` tables), and Retry-After held per feed (and per host when
//! several feeds of it say so).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

use crate::config::HostRule;
use crate::fetch::FetchError;
use crate::schedule::{HostHolds, NetHealth, Policy};

/// The host a feed's politeness is counted by (empty for local files).
pub(crate) fn host_key(url: &Url) -> &str {
    url.host_str().unwrap_or("")
}

/// Pause between the starts of two requests to the same host, unless its
/// `[[host]]` table sets a `gap`.
pub(crate) const HOST_GAP: Duration = Duration::from_millis(250);

#[derive(Default)]
struct HostSlot {
    /// The host's request slots, and how many it was made with.
    permits: Option<(usize, Arc<Semaphore>)>,
    /// When the latest request to the host started (or will, once its
    /// wait ends); the next starts a gap after it.
    last_start: Option<Instant>,
}

/// Request slots held for one request (and what follows it, see
/// `Refresher::refresh`).
pub(crate) struct Permits {
    _host: OwnedSemaphorePermit,
    _global: OwnedSemaphorePermit,
}

/// What a failed request means for the feed's schedule.
pub(super) struct FailedRequest {
    /// The source asked not to be polled before this time (or, for 410
    /// Gone, the longest backoff).
    pub(super) retry_after: Option<DateTime<Utc>>,
    /// False when the network itself seems down: not the feed's fault.
    pub(super) counts: bool,
    pub(super) gone: bool,
}

pub(crate) struct Politeness {
    global: Arc<Semaphore>,
    per_host: usize,
    hosts: Mutex<HashMap<String, HostSlot>>,
    net: Mutex<NetHealth>,
    holds: Mutex<HostHolds>,
}

impl Politeness {
    pub(crate) fn new(concurrency: usize, per_host: usize) -> Politeness {
        Politeness {
            global: Arc::new(Semaphore::new(concurrency.max(1))),
            per_host: per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
            net: Mutex::new(NetHealth::default()),
            holds: Mutex::new(HostHolds::default()),
        }
    }

    /// The request slots of `host` under `rule` (its `[[host]]` table,
    /// if any), else the `[fetch] per_host` this was made with.
    pub(crate) fn slots(&self, rule: Option<&HostRule>) -> usize {
        rule.and_then(|r| r.per_host).unwrap_or(self.per_host).max(1)
    }

    /// Waits for a request slot for `host`, keeping its gap ([`HOST_GAP`]
    /// or its `[[host]]` table's) between requests to it.
    ///
    /// A reload that changes a host's `per_host` gives it new slots: the
    /// requests still holding old ones finish uncounted by the new, so for
    /// their duration the host may see both counts at once.
    pub(crate) async fn acquire(&self, host: &str, rule: Option<&HostRule>) -> Permits {
        let size = self.slots(rule);
        let gap = rule.and_then(|r| r.gap).unwrap_or(HOST_GAP);
        let sem = {
            let mut hosts = self.hosts.lock().expect("hosts lock");
            let slot = hosts.entry(host.to_string()).or_default();
            match &slot.permits {
                Some((n, sem)) if *n == size => sem.clone(),
                _ => {
                    let sem = Arc::new(Semaphore::new(size));
                    slot.permits = Some((size, sem.clone()));
                    sem
                }
            }
        };
        let host_permit = sem.acquire_owned().await.expect("semaphore never closed");
        let global = self
            .global
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore never closed");
        // Local files have no host to be polite to.
        let wait = if host.is_empty() {
            Duration::ZERO
        } else {
            let mut hosts = self.hosts.lock().expect("hosts lock");
            let slot = hosts.entry(host.to_string()).or_default();
            let now = Instant::now();
            // The gap is added here, not when the previous request
            // started: a reloaded gap applies to the next request at once.
            let start = slot.last_start.map_or(now, |t| (t + gap).max(now));
            slot.last_start = Some(start);
            start - now
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        Permits {
            _host: host_permit,
            _global: global,
        }
    }

    /// Until when a poll of the feed at `url` must wait: its own
    /// Retry-After (`own`) or its host's, if later than `now`.
    pub(super) fn held_until(
        &self,
        host: &str,
        own: Option<i64>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        own.and_then(|t| DateTime::from_timestamp(t, 0))
            .into_iter()
            .chain(self.holds.lock().expect("holds lock").held_until(host, now))
            .filter(|until| *until > now)
            .max()
    }

    /// The source answered (a body or a 304): the network is up and the
    /// feed's hold on its host is over.
    pub(super) fn answered(&self, host: &str, url: &Url) {
        self.net.lock().expect("net lock").response();
        self.holds.lock().expect("holds lock").clear(host, url.as_str());
    }

    /// Accounts for a failed request: the network's health, and a hold on
    /// the host when the source sent Retry-After.
    pub(super) fn failed(
        &self,
        host: &str,
        url: &Url,
        e: &FetchError,
        policy: &Policy,
        now: DateTime<Utc>,
    ) -> FailedRequest {
        let counts = if e.is_connect() {
            self.net.lock().expect("net lock").connect_failure(host)
        } else {
            if e.status().is_some() {
                self.net.lock().expect("net lock").response();
            }
            true
        };
        let longest = now + chrono::Duration::from_std(policy.max_backoff).unwrap_or(chrono::Duration::MAX);
        // 410 Gone: the source says the feed is gone for good. It is still
        // asked again, rarely (at the backoff cap), never dropped.
        let gone = e.status() == Some(410);
        let retry_after = if gone {
            Some(longest)
        } else {
            e.retry_after().map(|t| t.min(longest))
        };
        if let Some(until) = retry_after.filter(|_| !gone) {
            self.holds
                .lock()
                .expect("holds lock")
                .record(host, url.as_str(), until);
        }
        FailedRequest {
            retry_after,
            counts,
            gone,
        }
    }
}
