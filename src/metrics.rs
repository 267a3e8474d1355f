//! Prometheus metrics, served at `/metrics` in the OpenMetrics text format.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::refresh::{Outcome, Report};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabel {
    pub route: String,
    pub status: u16,
}

/// All counters of one daemon.
pub struct Metrics {
    registry: Registry,
    fetches: Family<OutcomeLabel, Counter>,
    items: Family<KindLabel, Counter>,
    fetch_seconds: Histogram,
    /// Set from the database just before each scrape.
    pub feeds_in_error: Gauge,
    pub requests: Family<RequestLabel, Counter>,
    /// Output documents rendered (cache misses and filtered requests).
    pub renders: Counter,
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
        Metrics {
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
    pub fn record(&self, r: &Report) {
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

    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}
