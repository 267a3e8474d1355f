//! huiju (汇聚): aggregates RSS/Atom feeds, deduplicates their items and
//! republishes merged feeds per category.
//!
//! The modules below are listed in the order data flows through them:
//! `config → schedule → fetch → ingest (decode, parse, normalize) →
//! neardup → store → render → serve`, with [`pipeline`] taking one source
//! through those steps, [`daemon`] running it on cron schedules, and
//! [`cli`] at the edge. See ARCHITECTURE.md for the code map and the
//! invariants.

// What to read, and when.
pub mod config;
// Which categories an item goes to, by what it says (compiled from the
// config; applied by the store).
pub mod rules;
pub mod schedule;

// Reading a source: bytes from the network, then items.
mod fetch;
pub mod ingest;

// One story, one item; then kept.
pub mod neardup;
pub mod store;

// Merged feeds out, rendered and served over HTTP.
pub mod render;
mod serve;
// The same documents as files, for nginx or a CDN's origin.
mod publish;
#[cfg(feature = "bench")]
pub use publish::bench_passes as bench_publish_passes;

// Served beside them: the feed list as OPML, and metrics.
mod metrics;
mod opml;

// One source through all of the above (pipeline); every source, on
// schedule (daemon).
mod daemon;
mod pipeline;

// The edges: the command line, and the process itself.
pub mod cli;
mod sys;
