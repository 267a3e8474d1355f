//! Full-text search: an FTS5 index (`item_search`, in a file of its own:
//! [`attach`]) of every item's title and text, folded as the near-duplicate step folds
//! (Traditional to Simplified, full-width to half-width, case), with runs
//! of Chinese (and Japanese, Korean) characters written as overlapping
//! pairs: `苏州工会` is indexed as `苏州 州工 工会`.
//!
//! Decision: character pairs, not FTS5's `trigram` tokenizer. Trigrams
//! cannot match a two-character word (苏州, 工会), the commonest length of
//! a Chinese search term; pairs match any term of two or more characters
//! as a phrase of its pairs (`"苏州 州工 工会"`), anywhere in the text. A
//! single character is a prefix query (`"苏" *`), which misses it only at
//! the end of a run. The pairs are written by huiju, so FTS5's default
//! `unicode61` tokenizer only splits them at spaces.

use std::path::{Path, PathBuf};

use super::*;
use crate::ingest::text::html_to_text;

/// Characters written as pairs: CJK ideographs (with extensions and
/// compatibility forms), kana, Hangul.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{AC00}'..='\u{D7AF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3FFFF}')
}

/// Appends the tokens of folded text to `out`, each followed by a space:
/// a pair per two neighbouring CJK characters (a lone one as itself), a
/// word per run of other letters and digits.
fn tokens(folded: &str, out: &mut Vec<String>) {
    let mut run: Vec<char> = Vec::new();
    let mut word = String::new();
    let flush_run = |run: &mut Vec<char>, out: &mut Vec<String>| {
        match run.len() {
            0 => {}
            1 => out.push(run[0].to_string()),
            _ => out.extend(run.windows(2).map(|w| [w[0], w[1]].iter().collect())),
        }
        run.clear();
    };
    let flush_word = |word: &mut String, out: &mut Vec<String>| {
        if !word.is_empty() {
            out.push(std::mem::take(word));
        }
    };
    for c in folded.chars() {
        if is_cjk(c) {
            flush_word(&mut word, out);
            run.push(c);
        } else if c.is_alphanumeric() {
            flush_run(&mut run, out);
            word.push(c);
        } else {
            flush_run(&mut run, out);
            flush_word(&mut word, out);
        }
    }
    flush_run(&mut run, out);
    flush_word(&mut word, out);
}

/// What the index holds for an item: its title, summary and content as
/// folded tokens.
pub(super) fn index_text(title: &str, summary: Option<&str>, content: Option<&str>) -> String {
    let mut toks = Vec::new();
    tokens(&crate::neardup::fold(title), &mut toks);
    for part in [summary, content].into_iter().flatten() {
        tokens(&crate::neardup::fold(&html_to_text(part)), &mut toks);
    }
    toks.join(" ")
}

/// A reader's search, as FTS5 queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SearchQuery {
    /// Items matching this expression (every term, none of the excluded).
    Match(String),
    /// Only exclusions were given: items matching none of these.
    Excluding(String),
    /// No term has a letter or digit: nothing matches.
    Nothing,
}

/// One term as an FTS5 phrase, or `None` when it has no token.
fn phrase(term: &str) -> Option<String> {
    let mut toks = Vec::new();
    tokens(&crate::neardup::fold(term), &mut toks);
    let single_cjk = toks.len() == 1 && toks[0].chars().count() == 1 && toks[0].chars().all(is_cjk);
    // Tokens hold letters and digits only, so they need no escaping.
    let p = format!("\"{}\"", toks.join(" "));
    match toks.len() {
        0 => None,
        _ if single_cjk => Some(format!("{p} *")),
        _ => Some(p),
    }
}

/// Reads `?q=`: terms separated by spaces must all occur (each anywhere
/// in the title or text, as written: a phrase); `-term` excludes.
pub(super) fn parse_query(q: &str) -> SearchQuery {
    let (mut wanted, mut unwanted) = (Vec::new(), Vec::new());
    for term in q.split_whitespace() {
        match term.strip_prefix('-') {
            Some(t) if !t.is_empty() => unwanted.extend(phrase(t)),
            _ => wanted.extend(phrase(term)),
        }
    }
    match (wanted.is_empty(), unwanted.is_empty()) {
        (true, true) => SearchQuery::Nothing,
        (true, false) => SearchQuery::Excluding(unwanted.join(" OR ")),
        (false, _) => {
            let mut e = wanted.join(" AND ");
            for u in unwanted {
                e.push_str(" NOT ");
                e.push_str(&u);
            }
            SearchQuery::Match(e)
        }
    }
}

/// The search index's file beside the database at `db`: `huiju.db` →
/// `huiju.search.db`. Derived data: deleted, it is built again from
/// `items`.
pub fn search_path(db: &Path) -> PathBuf {
    db.with_extension("search.db")
}

/// Attaches the search index's file as `search`, creating its tables if
/// needed (a new file, or one deleted to rebuild the index).
///
/// Decision: a file of its own, written by the indexer thread, rather than
/// a table in the database written by the writer. FTS5 costs 80–260 µs per
/// item (a token per character pair): in the writer it made ingest 1.5–5
/// times slower; in a file of its own the indexer takes its own write lock
/// and never holds the writer's (BENCHMARKS.md, "Search").
pub(super) fn attach(conn: &Connection, db: &Path) -> rusqlite::Result<()> {
    conn.execute(
        "ATTACH DATABASE ?1 AS search",
        [search_path(db).to_string_lossy().as_ref()],
    )?;
    conn.execute_batch("PRAGMA search.journal_mode = WAL; PRAGMA search.synchronous = NORMAL;")?;
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM search.sqlite_schema WHERE name = 'item_search')",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        // Contentless (the text is in `items`) with deletes by rowid (=
        // items.id). An 8 MB buffer of pending entries and merges of 8
        // segments: the indexer writes in batches, and the defaults (1 MB,
        // 4) made it flush and merge several times a batch; 32 MB was
        // faster still but cost the process 180 MB more at its peak.
        conn.execute_batch(
            "BEGIN IMMEDIATE;
             CREATE VIRTUAL TABLE IF NOT EXISTS search.item_search USING fts5(
                 body, content = '', contentless_delete = 1);
             INSERT INTO search.item_search (item_search, rank) VALUES ('hashsize', 8388608);
             INSERT INTO search.item_search (item_search, rank) VALUES ('automerge', 8);
             CREATE TABLE IF NOT EXISTS search.search_meta (
                 key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
             COMMIT;",
        )?;
    }
    Ok(())
}

/// An empty index in memory, for a database opened read-only whose index
/// file cannot be opened: searches find nothing, the rest works.
pub(super) fn attach_empty(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "ATTACH DATABASE ':memory:' AS search;
         CREATE VIRTUAL TABLE search.item_search USING fts5(body, content = '', contentless_delete = 1);
         CREATE TABLE search.search_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;",
    )
}

/// Marks item `id` for the indexer: changed, or deleted.
pub(super) fn mark_dirty(tx: &Connection, id: i64) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO search_dirty (item_id, n) VALUES (?1, 1)
         ON CONFLICT (item_id) DO UPDATE SET n = n + 1",
    )?
    .execute([id])?;
    Ok(())
}

/// The highest item id the index has taken in (0: none).
pub(super) fn indexed_upto(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT value FROM search.search_meta WHERE key = 'indexed_upto'")?
        .query_row([], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// Takes the index file's write lock as a transaction's first step.
///
/// Decision: not `BEGIN IMMEDIATE`, which would take the database's write
/// lock too and hold up the writer for the batch. And not a read first: a
/// transaction that read the index and then writes fails at once (WAL: its
/// snapshot is stale) if another indexer (`huiju fetch` beside the daemon)
/// wrote in between, where a first write waits for the lock.
fn take_index_lock(tx: &Connection) -> Result<(), StoreError> {
    tx.prepare_cached("INSERT OR REPLACE INTO search.search_meta (key, value) VALUES ('writer', 0)")?
        .execute([])?;
    Ok(())
}

/// What one call of [`Store::index_search`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Indexed {
    /// New items indexed.
    pub new: usize,
    /// Changed or deleted items whose entries were made again.
    pub redone: usize,
    /// New items still to index after this call.
    pub behind: usize,
}

impl Store {
    /// Bytes of the search index and of `items`, for the search benchmark.
    #[cfg(feature = "bench")]
    pub fn bench_table_bytes(&self) -> Result<(u64, u64), StoreError> {
        let bytes = |sql: &str| -> Result<u64, StoreError> {
            Ok(self.conn.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
        };
        Ok((
            bytes("SELECT COALESCE(SUM(pgsize), 0) FROM dbstat('search')")?,
            bytes("SELECT COALESCE(SUM(pgsize), 0) FROM dbstat('main') WHERE name = 'items'")?,
        ))
    }

    /// Indexes up to `batch` new items and `batch` changed or deleted ones,
    /// each set in one transaction on the index's file only.
    pub fn index_search(&mut self, batch: usize) -> Result<Indexed, StoreError> {
        let r = self.index_search_inner(batch);
        self.writing(r)
    }

    fn index_search_inner(&mut self, batch: usize) -> Result<Indexed, StoreError> {
        let mut done = Indexed::default();
        let limit = i64::try_from(batch).unwrap_or(i64::MAX);
        let text_of = |r: &rusqlite::Row| -> rusqlite::Result<String> {
            let (title, summary, content): (String, Option<String>, Option<String>) =
                (r.get(0)?, r.get(1)?, r.get(2)?);
            Ok(index_text(&title, summary.as_deref(), content.as_deref()))
        };
        {
            let tx = self.conn.transaction()?;
            take_index_lock(&tx)?;
            let upto = indexed_upto(&tx)?;
            let rows: Vec<(i64, String)> = tx
                .prepare_cached(
                    "SELECT title, summary, content, id FROM items WHERE id > ?1 ORDER BY id LIMIT ?2",
                )?
                .query_map(params![upto, limit], |r| Ok((r.get(3)?, text_of(r)?)))?
                .collect::<Result<_, _>>()?;
            if let Some(&(last, _)) = rows.last() {
                let mut insert =
                    tx.prepare_cached("INSERT INTO search.item_search (rowid, body) VALUES (?1, ?2)")?;
                for (id, text) in &rows {
                    insert.execute(params![id, text])?;
                }
                drop(insert);
                tx.execute(
                    "INSERT OR REPLACE INTO search.search_meta (key, value) VALUES ('indexed_upto', ?1)",
                    [last],
                )?;
                done.new = rows.len();
            }
            done.behind = tx
                .prepare_cached("SELECT COUNT(*) FROM items WHERE id > ?1")?
                .query_row([rows.last().map_or(upto, |r| r.0)], |r| r.get::<_, i64>(0))?
                as usize;
            tx.commit()?;
        }
        let dirty: Vec<(i64, i64)> = self
            .conn
            .prepare_cached("SELECT item_id, n FROM search_dirty ORDER BY item_id LIMIT ?1")?
            .query_map([limit], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        if !dirty.is_empty() {
            let tx = self.conn.transaction()?;
            take_index_lock(&tx)?;
            let upto = indexed_upto(&tx)?;
            for &(id, _) in &dirty {
                tx.prepare_cached("DELETE FROM search.item_search WHERE rowid = ?1")?
                    .execute([id])?;
                // Not yet taken in: the new items' pass will.
                if id > upto {
                    continue;
                }
                let text: Option<String> = tx
                    .prepare_cached("SELECT title, summary, content FROM items WHERE id = ?1")?
                    .query_row([id], text_of)
                    .optional()?;
                if let Some(text) = text {
                    tx.prepare_cached("INSERT INTO search.item_search (rowid, body) VALUES (?1, ?2)")?
                        .execute(params![id, text])?;
                }
            }
            tx.commit()?;
            // Then, in the database: marks changed since stay.
            let tx = self.conn.transaction()?;
            for &(id, n) in &dirty {
                tx.prepare_cached("DELETE FROM search_dirty WHERE item_id = ?1 AND n = ?2")?
                    .execute([id, n])?;
            }
            tx.commit()?;
            done.redone = dirty.len();
        }
        Ok(done)
    }

    /// Indexes everything not yet indexed, logging progress on a large
    /// backlog (a database from before search, or a deleted index file).
    pub fn index_search_all(&mut self) -> Result<usize, StoreError> {
        let mut total = 0;
        let started = std::time::Instant::now();
        let mut logged = false;
        loop {
            let r = self.index_search(2000)?;
            total += r.new + r.redone;
            if r.behind > 20_000 || (logged && r.behind > 0) {
                logged = true;
                tracing::info!(indexed = total, behind = r.behind, "building the search index");
            }
            if r.new == 0 && r.redone == 0 {
                break;
            }
        }
        if total > 0 {
            tracing::info!(
                indexed = total,
                ms = started.elapsed().as_millis() as u64,
                "search index up to date"
            );
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> String {
        let mut t = Vec::new();
        tokens(&crate::neardup::fold(s), &mut t);
        t.join(" ")
    }

    #[test]
    fn chinese_runs_become_pairs_and_other_words_stay_whole() {
        assert_eq!(toks("苏州工会"), "苏州 州工 工会");
        assert_eq!(toks("蘇州：iPhone15 发布"), "苏州 iphone15 发布");
        assert_eq!(toks("Ｓｕｚｈｏｕ 2024年"), "suzhou 2024 年");
        assert_eq!(toks("，。！"), "");
    }

    #[test]
    fn queries_are_phrases_of_pairs_with_and_and_not() {
        assert_eq!(parse_query("苏州"), SearchQuery::Match("\"苏州\"".into()));
        assert_eq!(
            parse_query("苏州工会  -广告 蘇州"),
            SearchQuery::Match("\"苏州 州工 工会\" AND \"苏州\" NOT \"广告\"".into())
        );
        assert_eq!(parse_query("苏"), SearchQuery::Match("\"苏\" *".into()));
        assert_eq!(
            parse_query("-广告 -招聘"),
            SearchQuery::Excluding("\"广告\" OR \"招聘\"".into())
        );
        assert_eq!(parse_query("， -"), SearchQuery::Nothing);
        // Quotes and FTS5 operators in a term are not syntax.
        assert_eq!(
            parse_query("\"AND\" NEAR("),
            SearchQuery::Match("\"and\" AND \"near\"".into())
        );
    }
}
