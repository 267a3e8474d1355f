//! huiju (汇聚): aggregates RSS/Atom feeds, deduplicates their items and
//! republishes merged feeds per category.
//!
//! The modules follow the data flow:
//! `config → schedule → fetch → decode → parse → normalize → store → render → serve`,
//! with [`pipeline`] calling the steps in order, [`daemon`] running them on
//! cron schedules, and [`cli`] at the edge.
//! See ARCHITECTURE.md for the invariants.

pub mod cli;
pub mod config;
mod daemon;
mod fetch;
pub mod ingest;
mod metrics;
pub mod neardup;
mod opml;
mod pipeline;
pub mod render;
pub mod schedule;
mod serve;
pub mod store;
mod sys;
