//! The orchestrator: one feed refresh runs fetch → decode → parse →
//! normalize → store, in that order (like Miniflux's `RefreshFeed`). Every
//! step's failure becomes a per-feed outcome; nothing here stops other feeds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;
use tracing::{Instrument, error_span, info, warn};
use url::Url;

use crate::config::{Config, Feed};
use crate::fetch::{Fetched, Fetcher, Validators};
use crate::store::{Counts, SourceMeta, Store, StoreError};
use crate::{decode, normalize, parse};

/// The database, shared by refresh tasks. Locked only inside blocking tasks.
pub type SharedStore = Arc<Mutex<Store>>;

/// What happened to one feed.
#[derive(Debug, Clone)]
pub enum Outcome {
    Stored {
        counts: Counts,
        warnings: usize,
    },
    NotModified,
    /// The source asked (Retry-After) not to be polled before this time.
    Waiting {
        until: DateTime<Utc>,
    },
    Failed {
        error: String,
    },
}

#[derive(Debug, Clone)]
pub struct Report {
    pub url: Url,
    pub outcome: Outcome,
}

/// Maximum feeds fetched at once, and from one host at once.
const GLOBAL_LIMIT: usize = 16;
const PER_HOST_LIMIT: usize = 2;

/// Refreshes every configured feed once, concurrently but politely.
/// Reports come back in config order.
pub async fn refresh_all(cfg: &Config, store: &SharedStore, fetcher: &Fetcher) -> Vec<Report> {
    let global = Arc::new(Semaphore::new(GLOBAL_LIMIT));
    let mut hosts: HashMap<String, Arc<Semaphore>> = HashMap::new();
    let mut tasks = tokio::task::JoinSet::new();
    for (i, feed) in cfg.feeds.iter().enumerate() {
        let host = feed.url.host_str().unwrap_or("").to_string();
        let host_sem = hosts
            .entry(host)
            .or_insert_with(|| Arc::new(Semaphore::new(PER_HOST_LIMIT)))
            .clone();
        let (global, store, fetcher, feed) = (global.clone(), store.clone(), fetcher.clone(), feed.clone());
        tasks.spawn(async move {
            let _host = host_sem.acquire_owned().await.expect("semaphore never closed");
            let _slot = global.acquire_owned().await.expect("semaphore never closed");
            (i, refresh_feed(&store, &fetcher, &feed).await)
        });
    }
    let mut reports: Vec<(usize, Report)> = Vec::with_capacity(cfg.feeds.len());
    while let Some(r) = tasks.join_next().await {
        match r {
            Ok(r) => reports.push(r),
            Err(e) => warn!("refresh task failed: {e}"),
        }
    }
    reports.sort_by_key(|(i, _)| *i);
    reports.into_iter().map(|(_, r)| r).collect()
}

/// Refreshes one feed. Never fails: errors are recorded and reported.
pub async fn refresh_feed(store: &SharedStore, fetcher: &Fetcher, feed: &Feed) -> Report {
    // ERROR level so that the span (and the feed URL it carries) is enabled
    // whatever the filter: a warning inside must always say which feed.
    let span = error_span!("refresh", feed = %feed.url);
    let outcome = refresh_inner(store, fetcher, feed).instrument(span.clone()).await;
    let _e = span.enter();
    match &outcome {
        Outcome::Stored { counts, warnings } => info!(
            new = counts.new,
            updated = counts.updated,
            unchanged = counts.unchanged,
            warnings,
            "stored"
        ),
        Outcome::NotModified => info!("not modified"),
        Outcome::Waiting { until } => info!(%until, "waiting for the source's Retry-After"),
        Outcome::Failed { error } => warn!("{error}"),
    }
    Report {
        url: feed.url.clone(),
        outcome,
    }
}

async fn blocking<T: Send + 'static>(
    store: &SharedStore,
    f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, String> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        let mut guard = store.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    })
    .await
    .map_err(|e| format!("storage task failed: {e}"))?
    .map_err(|e| anyhow_like(&e))
}

/// Formats an error with its causes, `a: b: c`.
pub fn anyhow_like(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

async fn refresh_inner(store: &SharedStore, fetcher: &Fetcher, feed: &Feed) -> Outcome {
    let url = feed.url.to_string();
    let state = match blocking(store, move |s| s.feed_state(&url)).await {
        Ok(Some(state)) => state,
        Ok(None) => {
            return Outcome::Failed {
                error: "feed is not in the database (config not synchronised)".into(),
            };
        }
        Err(error) => return Outcome::Failed { error },
    };
    let now = Utc::now();
    if let Some(until) = state.retry_after.and_then(|t| DateTime::from_timestamp(t, 0))
        && until > now
    {
        return Outcome::Waiting { until };
    }
    let feed_id = state.id;
    let prev = Validators {
        etag: state.etag,
        last_modified: state.last_modified,
    };
    let body = match fetcher.fetch(&feed.url, &prev).await {
        Ok(Fetched::NotModified) => {
            return match blocking(store, move |s| s.record_not_modified(feed_id, Utc::now())).await {
                Ok(()) => Outcome::NotModified,
                Err(error) => Outcome::Failed { error },
            };
        }
        Ok(Fetched::Body(body)) => body,
        Err(e) => {
            let error = anyhow_like(&e);
            let (status, retry_after) = (e.status(), e.retry_after());
            let msg = error.clone();
            if let Err(db) = blocking(store, move |s| {
                s.record_error(feed_id, status, &msg, retry_after, Utc::now())
            })
            .await
            {
                warn!("could not record the error: {db}");
            }
            return Outcome::Failed { error };
        }
    };

    let feed = feed.clone();
    let store2 = store.clone();
    // Decoding and parsing are CPU work: keep them off the async workers,
    // together with the store transaction that follows.
    let span = tracing::Span::current();
    let result = tokio::task::spawn_blocking(move || {
        let _e = span.enter();
        let decoded = decode::decode(&body.bytes, body.charset.as_deref(), feed.encoding);
        let parsed = parse::parse(&decoded.text, feed.timezone);
        let warnings: Vec<String> = decoded.warnings.iter().chain(&parsed.warnings).cloned().collect();
        for w in &warnings {
            warn!("{w}");
        }
        let mut guard = store2.lock().unwrap_or_else(|p| p.into_inner());
        let now = Utc::now();
        if parsed.format == parse::Format::Unknown {
            let error = format!(
                "not a feed: {}",
                parsed
                    .warnings
                    .last()
                    .map_or("nothing readable", String::as_str)
                    .trim_start_matches("not a feed: ")
            );
            guard.record_error(feed_id, Some(200), &error, None, now).ok();
            return Err(error);
        }
        let items = normalize::normalize(&parsed, &body.final_url, &feed.url);
        let meta = SourceMeta {
            title: parsed.title.clone(),
            site_link: parsed.link.clone(),
            etag: body.validators.etag,
            last_modified: body.validators.last_modified,
        };
        guard
            .apply_refresh(feed_id, &meta, &items, now)
            .map(|counts| (counts, warnings.len()))
            .map_err(|e| anyhow_like(&e))
    })
    .await;
    match result {
        Ok(Ok((counts, warnings))) => Outcome::Stored { counts, warnings },
        Ok(Err(error)) => Outcome::Failed { error },
        Err(e) => Outcome::Failed {
            error: format!("refresh task failed: {e}"),
        },
    }
}
