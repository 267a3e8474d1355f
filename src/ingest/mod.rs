//! Reading a source: fetched bytes become items huiju can store.
//!
//! `decode` (bytes → text, in the encoding the source really used) →
//! `parse` (RSS, Atom, RDF → a feed as written) or `scrape` (an HTML list
//! page or article → the same; `extract` finds an article's body without
//! a selector) → `normalize` (absolute links, identity
//! keys from `identity`, HTML made safe by `sanitize`, text by `text`).
//! Nothing here fails: each step returns what it read plus warnings.

pub mod decode;
pub(crate) mod extract;
pub(crate) mod identity;
pub mod normalize;
pub mod parse;
pub(crate) mod sanitize;
pub(crate) mod scrape;
pub(crate) mod text;
