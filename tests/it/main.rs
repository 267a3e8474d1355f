//! Integration tests: the real `huiju` binary against a real HTTP server on
//! 127.0.0.1 and a real SQLite file in a temporary folder.

mod backup;
mod check;
// The generated corpora and feed writers the benchmarks use.
#[path = "../../benches/common/mod.rs"]
mod common;
mod daemon;
mod fulltext;
mod hostile;
mod hosts;
mod html;
mod inspect;
mod neardup;
mod pipeline;
mod publish;
mod retention;
mod rules;
mod search;
mod support;
mod wild;
