//! huiju (汇聚): aggregates RSS/Atom feeds, deduplicates their items and
//! republishes merged feeds per category.
//!
//! The modules follow the data flow:
//! `config → schedule → fetch → decode → parse → normalize → store → render → serve`,
//! with [`pipeline`] calling the steps in order, [`daemon`] running them on
//! cron schedules, and [`cli`] at the edge.
//! See ARCHITECTURE.md for the invariants.

pub mod band_index;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod decode;
pub mod fetch;
mod identity;
pub mod metrics;
pub mod neardup;
pub mod normalize;
pub mod opml;
pub mod parse;
pub mod pipeline;
pub mod render;
pub mod sanitize;
pub mod schedule;
pub mod scrape;
pub mod serve;
pub mod store;
pub mod sys;
