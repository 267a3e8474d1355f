//! Prometheus metrics, served at `/metrics` in the Prometheus text format
//! (version 0.0.4), or in OpenMetrics when the scraper asks for it.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::pipeline::{Outcome, Report};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RequestLabel {
    pub route: String,
    pub status: u16,
}

/// All counters of one daemon.
pub(crate) struct Metrics {
    registry: Registry,
    fetches: Family<OutcomeLabel, Counter>,
    items: Family<KindLabel, Counter>,
    fetch_seconds: Histogram,
    /// Set from the database just before each scrape.
    pub feeds_in_error: Gauge,
    pub requests: Family<RequestLabel, Counter>,
    /// Output documents rendered (cache misses and filtered requests).
    pub renders: Counter,
    /// Items removed by the daemon's prunes.
    pub pruned_items: Counter,
    /// When the daemon's last prune ended, unix seconds (0: none yet).
    pub last_prune: Gauge,
    /// How long the daemon's last prune took, seconds, from its plan to its
    /// closing checkpoint, waits for the writer's lock included.
    pub last_prune_seconds: Gauge<f64, AtomicU64>,
    /// `[publish]` passes that ended, whether they wrote anything or not.
    pub publish_passes: Counter,
    /// Files written into the publish folder (documents and their twins).
    pub published_files: Counter,
    /// Publish passes that failed (each is retried, backing off).
    pub publish_errors: Counter,
    /// 1 while the last publish pass failed.
    pub publish_failing: Gauge,
    /// When the last publish pass ended well, unix seconds (0: none yet).
    pub last_publish: Gauge,
    pub last_publish_seconds: Gauge<f64, AtomicU64>,
    /// The last publish failure, for the status page: when, and what.
    pub publish_error: std::sync::Mutex<Option<(i64, String)>>,
    /// The database's sizes, set from it just before each scrape.
    db_bytes: Family<FileLabel, Gauge>,
    db_rows: Family<TableLabel, Gauge>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FileLabel {
    file: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TableLabel {
    table: &'static str,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("huiju");
        let fetches = Family::<OutcomeLabel, Counter>::default();
        registry.register("fetches", "Feed polls by outcome", fetches.clone());
        let items = Family::<KindLabel, Counter>::default();
        registry.register(
            "items",
            "Items seen by polls: new, updated in place, or duplicate (already stored)",
            items.clone(),
        );
        let fetch_seconds = Histogram::new(exponential_buckets(0.01, 2.0, 14));
        registry.register(
            "fetch_duration_seconds",
            "Time to fetch a feed",
            fetch_seconds.clone(),
        );
        let feeds_in_error = Gauge::default();
        registry.register(
            "feeds_in_error",
            "Active feeds whose last poll failed",
            feeds_in_error.clone(),
        );
        let requests = Family::<RequestLabel, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests served, by route and status",
            requests.clone(),
        );
        let renders = Counter::default();
        registry.register(
            "renders",
            "Output feeds rendered from the database (cached ones are not counted)",
            renders.clone(),
        );
        let pruned_items = Counter::default();
        registry.register(
            "pruned_items",
            "Items removed by the daemon's prunes ([retention])",
            pruned_items.clone(),
        );
        let last_prune = Gauge::default();
        registry.register(
            "last_prune_timestamp_seconds",
            "When the daemon's last prune ended, unix seconds",
            last_prune.clone(),
        );
        let last_prune_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "last_prune_duration_seconds",
            "How long the daemon's last prune took, seconds (its batches and the waits between them)",
            last_prune_seconds.clone(),
        );
        let publish_passes = Counter::default();
        registry.register(
            "publish_passes",
            "Passes that wrote the feeds into [publish] dir (changed files only)",
            publish_passes.clone(),
        );
        let published_files = Counter::default();
        registry.register(
            "published_files",
            "Files written into [publish] dir, compressed twins included",
            published_files.clone(),
        );
        let publish_errors = Counter::default();
        registry.register(
            "publish_errors",
            "Publish passes that failed (retried with backoff)",
            publish_errors.clone(),
        );
        let publish_failing = Gauge::default();
        registry.register(
            "publish_failing",
            "1 while the last publish pass failed, else 0",
            publish_failing.clone(),
        );
        let last_publish = Gauge::default();
        registry.register(
            "last_publish_timestamp_seconds",
            "When the last publish pass that succeeded ended, unix seconds",
            last_publish.clone(),
        );
        let last_publish_seconds = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "last_publish_duration_seconds",
            "How long the last successful publish pass took, seconds (rendering included)",
            last_publish_seconds.clone(),
        );
        let db_bytes = Family::<FileLabel, Gauge>::default();
        registry.register(
            "database_size_bytes",
            "Size on disk of the database (file=\"main\") and of its write-ahead log (file=\"wal\")",
            db_bytes.clone(),
        );
        let db_rows = Family::<TableLabel, Gauge>::default();
        registry.register(
            "database_rows",
            "Rows in the database's largest tables (items, tombstones, prints)",
            db_rows.clone(),
        );
        Metrics {
            publish_passes,
            published_files,
            publish_errors,
            publish_failing,
            last_publish,
            last_publish_seconds,
            publish_error: std::sync::Mutex::new(None),
            db_bytes,
            db_rows,
            pruned_items,
            last_prune,
            last_prune_seconds,
            renders,
            registry,
            fetches,
            items,
            fetch_seconds,
            feeds_in_error,
            requests,
        }
    }
}

impl Metrics {
    /// Counts one refresh.
    pub(crate) fn record(&self, r: &Report) {
        let outcome = match &r.outcome {
            Outcome::Stored { counts, .. } => {
                for (kind, n) in [
                    ("new", counts.new),
                    ("updated", counts.updated),
                    ("duplicate", counts.unchanged),
                ] {
                    self.items.get_or_create(&KindLabel { kind }).inc_by(n as u64);
                }
                "ok"
            }
            Outcome::NotModified => "not_modified",
            Outcome::Waiting { .. } => "waiting",
            Outcome::Failed { .. } => "error",
        };
        self.fetches.get_or_create(&OutcomeLabel { outcome }).inc();
        if let Some(d) = r.fetch_time {
            self.fetch_seconds.observe(d.as_secs_f64());
        }
    }

    /// Sets the database gauges.
    pub(crate) fn set_sizes(&self, s: &crate::store::Sizes) {
        let clamp = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.db_bytes
            .get_or_create(&FileLabel { file: "main" })
            .set(clamp(s.file));
        self.db_bytes
            .get_or_create(&FileLabel { file: "wal" })
            .set(clamp(s.wal));
        self.db_bytes
            .get_or_create(&FileLabel { file: "search" })
            .set(clamp(s.search));
        for (table, n) in [
            ("items", s.items),
            ("tombstones", s.tombstones),
            ("prints", s.prints),
        ] {
            self.db_rows.get_or_create(&TableLabel { table }).set(n);
        }
    }

    pub(crate) fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

/// The Prometheus text exposition format (version 0.0.4) of an OpenMetrics
/// text document, as the Prometheus client libraries write it: a counter
/// family `x` is named `x_total` in its `# HELP` and `# TYPE` lines, as
/// its samples are; `_created` samples, `# UNIT` lines and `# EOF` go.
pub(crate) fn to_text_format(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let meta = ["# HELP ", "# TYPE "].iter().find_map(|p| {
            let rest = line.strip_prefix(p)?;
            let (name, tail) = rest.split_once(' ')?;
            counters.contains(name).then(|| format!("{p}{name}_total {tail}"))
        });
        match meta {
            Some(l) => out.push_str(&l),
            None if counters
                .iter()
                .any(|c| line.strip_prefix(c).is_some_and(|r| r.starts_with("_created"))) =>
            {
                continue;
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text format names counters by their samples and has no
    /// OpenMetrics-only lines; gauges and histograms are the same in both.
    #[test]
    fn the_text_format_of_the_daemons_metrics() {
        let m = Metrics::default();
        m.renders.inc();
        m.feeds_in_error.set(2);
        m.last_prune_seconds.set(0.25);
        m.set_sizes(&crate::store::Sizes {
            file: 4096,
            wal: 0,
            search: 8192,
            items: 3,
            tombstones: 1,
            prints: 3,
        });
        let open = m.encode();
        assert!(open.ends_with("# EOF\n"), "{open}");
        let text = to_text_format(&open);
        assert!(!text.contains("# EOF") && !text.contains("_created"), "{text}");
        assert!(text.contains("# TYPE huiju_renders_total counter\n"), "{text}");
        assert!(text.contains("# HELP huiju_renders_total "), "{text}");
        assert!(text.contains("\nhuiju_renders_total 1\n"), "{text}");
        assert!(
            text.contains("# TYPE huiju_feeds_in_error gauge\nhuiju_feeds_in_error 2\n"),
            "{text}"
        );
        assert!(
            text.contains("huiju_database_size_bytes{file=\"main\"} 4096\n"),
            "{text}"
        );
        assert!(
            text.contains("huiju_database_rows{table=\"items\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "# TYPE huiju_last_prune_duration_seconds gauge\nhuiju_last_prune_duration_seconds 0.25\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("# TYPE huiju_fetch_duration_seconds histogram"),
            "{text}"
        );
    }
}
