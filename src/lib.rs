//! huiju (汇聚): aggregates RSS/Atom feeds, deduplicates their items and
//! republishes merged feeds per category.
//!
//! The modules follow the data flow:
//! `config → fetch → decode → parse → normalize → store → render`,
//! with [`refresh`] calling the steps in order and [`cli`] at the edge.
//! See ARCHITECTURE.md for the invariants.

pub mod cli;
pub mod config;
pub mod decode;
pub mod fetch;
pub mod normalize;
pub mod parse;
pub mod refresh;
pub mod render;
pub mod store;
