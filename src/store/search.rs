//! Full-text search: an FTS5 index (`item_search`, migration 0010) of
//! every item's title and text, folded as the near-duplicate step folds
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

/// Indexes item `id` (new, or changed: its old entry goes first).
pub(super) fn index_item(tx: &Connection, id: i64, text: &str, replace: bool) -> Result<(), StoreError> {
    if replace {
        tx.prepare_cached("DELETE FROM item_search WHERE rowid = ?1")?
            .execute([id])?;
    }
    tx.prepare_cached("INSERT INTO item_search (rowid, body) VALUES (?1, ?2)")?
        .execute(params![id, text])?;
    Ok(())
}

/// Migration 10's hook: every stored item indexed, with progress in the log.
pub(super) fn build_index(tx: &rusqlite::Transaction) -> rusqlite_migration::HookResult {
    let total: i64 = tx.query_row("SELECT COUNT(*) FROM items", [], |r| r.get(0))?;
    if total > 0 {
        tracing::info!(items = total, "building the search index (once)");
    }
    let started = std::time::Instant::now();
    let mut stmt = tx.prepare("SELECT id, title, summary, content FROM items")?;
    let mut insert = tx.prepare("INSERT INTO item_search (rowid, body) VALUES (?1, ?2)")?;
    let mut rows = stmt.query([])?;
    let mut done = 0;
    while let Some(r) = rows.next()? {
        let (id, title, summary, content): (i64, String, Option<String>, Option<String>) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        insert.execute(params![
            id,
            index_text(&title, summary.as_deref(), content.as_deref())
        ])?;
        done += 1;
        if done % 50_000 == 0 {
            tracing::info!(done, items = total, "building the search index");
        }
    }
    if total > 0 {
        tracing::info!(
            items = total,
            ms = started.elapsed().as_millis() as u64,
            "search index built"
        );
    }
    Ok(())
}

impl Store {
    /// Bytes of the search index's tables and of `items`, for the search
    /// benchmark.
    #[cfg(feature = "bench")]
    pub fn bench_table_bytes(&self) -> Result<(u64, u64), StoreError> {
        let bytes = |pattern: &str| -> Result<u64, StoreError> {
            Ok(self.conn.query_row(
                "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name LIKE ?1",
                [pattern],
                |r| r.get::<_, i64>(0),
            )? as u64)
        };
        Ok((bytes("item_search%")?, bytes("items")?))
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
