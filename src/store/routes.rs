//! Rules applied to stored items: `item_routes` holds, per (item, feed)
//! pair, where the rules' verdict differs from the feed's own categories
//! (see migration 0009). Rows are written when a pair is stored, and for
//! every pair again when the rules (or the feeds' categories) change, in
//! batches, as a prune is.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use super::*;
use crate::ingest::text::html_to_text;
use crate::rules::{FeedRef, Folded, ItemView, Routing, Rules};

/// Pairs routed again per transaction (each a few rule checks and at most
/// a few row writes).
const BATCH: usize = 1000;

/// What the writer needs to route one feed's items: the rules, and the
/// feed as they see it.
#[derive(Debug, Clone)]
pub struct FeedRoute {
    pub rules: Arc<Rules>,
    pub url: String,
    /// The config's name for the feed, else the source's own title.
    pub title: Option<String>,
    pub categories: Vec<String>,
}

/// An item's summary and content as plain text, as the rules read them.
fn content_text(summary: Option<&str>, content: Option<&str>) -> String {
    let mut text = String::new();
    for part in [summary, content].into_iter().flatten() {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&html_to_text(part));
    }
    text
}

/// An item's fields the rules read, as stored.
struct Text<'a> {
    title: &'a str,
    summary: Option<&'a str>,
    content: Option<&'a str>,
    author: Option<&'a str>,
    link: Option<&'a str>,
    categories: &'a [String],
    published: Option<i64>,
    first_seen: i64,
}

/// Where the rules put one (item, feed) pair, the item as stored.
fn route_text<'r>(rules: &'r Rules, feed: &FeedRef<'r>, t: &Text) -> Routing<'r> {
    let text = content_text(t.summary, t.content);
    let item = Folded::new(ItemView {
        title: t.title,
        content_text: &text,
        author: t.author.unwrap_or(""),
        link: t.link.unwrap_or(""),
        categories: t.categories,
        published: t.published,
        first_seen: t.first_seen,
    });
    rules.route(&item, feed)
}

/// The rows one pair needs: `(category, included)` where the verdict
/// differs from the feed's own categories, and `all` when blocked.
fn deviations(rules: &Rules, feed: &FeedRef, own: &[String], t: &Text) -> Vec<(String, bool)> {
    let routing = route_text(rules, feed, t);
    let mut rows = Vec::new();
    for (id, verdict) in routing.iter() {
        let mine = own.iter().any(|c| c == id);
        if mine != verdict.is_in() {
            rows.push((id.to_string(), verdict.is_in()));
        }
    }
    if !routing.in_all() {
        rows.push((crate::config::ALL.to_string(), false));
    }
    rows
}

/// The rows one pair has, sorted.
fn stored_pair(tx: &Connection, item: i64, feed: i64) -> Result<Vec<(String, bool)>, StoreError> {
    Ok(tx
        .prepare_cached(
            "SELECT category, included FROM item_routes WHERE item_id = ?1 AND feed_id = ?2 ORDER BY category",
        )?
        .query_map(params![item, feed], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// Replaces the rows of one pair, `old` (sorted) by `rows`; true when
/// they changed.
fn write_pair(
    tx: &Connection,
    item: i64,
    feed: i64,
    old: &[(String, bool)],
    rows: &[(String, bool)],
) -> Result<bool, StoreError> {
    let mut new = rows.to_vec();
    new.sort();
    if old == new.as_slice() {
        return Ok(false);
    }
    if !old.is_empty() {
        tx.prepare_cached("DELETE FROM item_routes WHERE item_id = ?1 AND feed_id = ?2")?
            .execute(params![item, feed])?;
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO item_routes (item_id, feed_id, category, included, sort_time)
         SELECT ?1, ?2, ?3, ?4, sort_time FROM items WHERE id = ?1",
    )?;
    for (category, included) in &new {
        insert.execute(params![item, feed, category, included])?;
    }
    Ok(true)
}

/// Routes a pair the writer just stored: a new item as written (`fresh`:
/// the pair has no rows yet), else the item as its row now reads (a
/// changed item, or one a feed carries for the first time), so that the
/// writer and [`Store::reroute_step`] read the same text.
pub(super) fn route_stored(
    tx: &Connection,
    route: &FeedRoute,
    feed: &FeedRef,
    item_id: i64,
    feed_id: i64,
    new: Option<(&crate::ingest::normalize::Item, i64)>,
) -> Result<(), StoreError> {
    let rows = match new {
        Some((it, now)) => deviations(
            &route.rules,
            feed,
            &route.categories,
            &Text {
                title: &it.title,
                summary: it.summary.as_deref(),
                content: it.content.as_deref(),
                author: it.author.as_deref(),
                link: it.link.as_deref(),
                categories: &it.categories,
                published: it.published.map(|d| d.timestamp()),
                first_seen: now,
            },
        ),
        None => {
            let row = tx
                .prepare_cached(
                    "SELECT title, summary, content, author, link, categories, published, first_seen
                     FROM items WHERE id = ?1",
                )?
                .query_row([item_id], Row::read)?;
            deviations(&route.rules, feed, &route.categories, &row.text())
        }
    };
    // A new pair has no rows yet.
    let old = if new.is_some() {
        Vec::new()
    } else {
        stored_pair(tx, item_id, feed_id)?
    };
    write_pair(tx, item_id, feed_id, &old, &rows)?;
    Ok(())
}

/// A stored item's fields the rules read, owned.
struct Row {
    title: String,
    summary: Option<String>,
    content: Option<String>,
    author: Option<String>,
    link: Option<String>,
    categories: Vec<String>,
    published: Option<i64>,
    first_seen: i64,
}

impl Row {
    /// From 8 columns starting at 0: title, summary, content, author,
    /// link, categories, published, first_seen.
    fn read(r: &rusqlite::Row) -> rusqlite::Result<Row> {
        Row::read_at(r, 0)
    }

    fn read_at(r: &rusqlite::Row, at: usize) -> rusqlite::Result<Row> {
        let categories: String = r.get(at + 5)?;
        Ok(Row {
            title: r.get(at)?,
            summary: r.get(at + 1)?,
            content: r.get(at + 2)?,
            author: r.get(at + 3)?,
            link: r.get(at + 4)?,
            categories: serde_json::from_str(&categories).unwrap_or_default(),
            published: r.get(at + 6)?,
            first_seen: r.get(at + 7)?,
        })
    }

    fn text(&self) -> Text<'_> {
        Text {
            title: &self.title,
            summary: self.summary.as_deref(),
            content: self.content.as_deref(),
            author: self.author.as_deref(),
            link: self.link.as_deref(),
            categories: &self.categories,
            published: self.published,
            first_seen: self.first_seen,
        }
    }
}

/// Where a reroute of every stored pair has got to.
#[derive(Debug, Default)]
pub struct Reroute {
    /// The last (item, feed) pair done.
    after: (i64, i64),
    pub pairs: usize,
    /// Pairs whose categories changed.
    pub changed: usize,
    pub done: bool,
}

/// The feeds in the config, as the rules see them, by id.
type Feeds = HashMap<i64, (String, Option<String>, Vec<String>)>;

impl Store {
    /// The rules' key the stored routes were made with (`None`: never).
    pub fn routes_key(&self) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'routes_key'", [], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Routes every stored pair again by `rules` unless they were made
    /// with `key` already; `None` when nothing was to do.
    pub fn reroute_all(&mut self, rules: &Rules, key: i64) -> Result<Option<Reroute>, StoreError> {
        if self.routes_key()? == Some(key) {
            return Ok(None);
        }
        let mut progress = Reroute::default();
        while !progress.done {
            self.reroute_step(rules, key, &mut progress)?;
        }
        Ok(Some(progress))
    }

    /// [`Store::reroute_all`] with `cfg`'s rules and key, for the rules
    /// benchmark.
    #[cfg(feature = "bench")]
    pub fn bench_reroute(&mut self, cfg: &crate::config::Config) -> Result<Option<Reroute>, StoreError> {
        self.reroute_all(&cfg.rules, cfg.routes_key())
    }

    /// Routes the next batch of stored pairs again by `rules`; records
    /// `key` once every pair is done. Call until [`Reroute::done`].
    pub fn reroute_step(
        &mut self,
        rules: &Rules,
        key: i64,
        progress: &mut Reroute,
    ) -> Result<(), StoreError> {
        let r = self.reroute_step_inner(rules, key, progress);
        self.writing(r)
    }

    fn reroute_step_inner(
        &mut self,
        rules: &Rules,
        key: i64,
        progress: &mut Reroute,
    ) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let feeds: Feeds = {
            let mut stmt = tx.prepare_cached(
                "SELECT f.id, f.url, COALESCE(f.title, f.source_title), group_concat(c.category)
                 FROM feeds f LEFT JOIN feed_categories c ON c.feed_id = f.id
                 WHERE f.active = 1 GROUP BY f.id",
            )?;
            stmt.query_map([], |r| {
                let cats: Option<String> = r.get(3)?;
                Ok((
                    r.get::<_, i64>(0)?,
                    (
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        cats.map(|c| c.split(',').map(str::to_string).collect())
                            .unwrap_or_default(),
                    ),
                ))
            })?
            .collect::<Result<_, _>>()?
        };
        if rules.is_empty() {
            // Nothing routes: every row goes, in one statement (they are
            // few, being exceptions).
            tx.execute("DELETE FROM item_routes", [])?;
            progress.done = true;
        } else {
            let refs: HashMap<i64, FeedRef> = feeds
                .iter()
                .map(|(&id, (url, title, cats))| (id, rules.feed(url, title.as_deref(), cats)))
                .collect();
            let mut stmt = tx.prepare_cached(
                "SELECT m.item_id, m.feed_id, i.title, i.summary, i.content, i.author, i.link, i.categories,
                        i.published, i.first_seen
                 FROM item_feeds m JOIN items i ON i.id = m.item_id
                 WHERE (m.item_id, m.feed_id) > (?1, ?2)
                 ORDER BY m.item_id, m.feed_id LIMIT ?3",
            )?;
            let batch: Vec<(i64, i64, Row)> = stmt
                .query_map(params![progress.after.0, progress.after.1, BATCH as i64], |r| {
                    Ok((r.get(0)?, r.get(1)?, Row::read_at(r, 2)?))
                })?
                .collect::<Result<_, _>>()?;
            let seen = batch.len();
            // The batch's rows in one range read, not a query per pair.
            let mut old: HashMap<(i64, i64), Vec<(String, bool)>> = HashMap::new();
            if let (Some(first), Some(last)) = (batch.first(), batch.last()) {
                let mut stmt = tx.prepare_cached(
                    "SELECT item_id, feed_id, category, included FROM item_routes
                     WHERE item_id BETWEEN ?1 AND ?2 ORDER BY item_id, feed_id, category",
                )?;
                let rows = stmt.query_map(params![first.0, last.0], |r| {
                    Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?)))
                })?;
                for row in rows {
                    let (pair, route) = row?;
                    old.entry(pair).or_default().push(route);
                }
            }
            // Decision: the rules' verdicts on two threads. Reading and
            // writing rows is one connection's, but the rules are pure, and
            // folding every item's text was most of re-applying them.
            let verdict = |part: &[(i64, i64, Row)]| -> Vec<Option<Vec<(String, bool)>>> {
                part.iter()
                    .map(|(_, feed, row)| {
                        let (feed_ref, (_, _, own)) = (refs.get(feed)?, feeds.get(feed)?);
                        Some(deviations(rules, feed_ref, own, &row.text()))
                    })
                    .collect()
            };
            let verdicts = std::thread::scope(|s| {
                let (first, second) = batch.split_at(batch.len() / 2);
                let other = s.spawn(|| verdict(second));
                let mut all = verdict(first);
                all.extend(other.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
                all
            });
            for ((item, feed, _), routed) in batch.iter().zip(verdicts) {
                progress.after = (*item, *feed);
                // A feed no longer in the config: its rows are ignored.
                let Some(routed) = routed else { continue };
                progress.pairs += 1;
                let old = old.remove(&(*item, *feed)).unwrap_or_default();
                if write_pair(&tx, *item, *feed, &old, &routed)? {
                    progress.changed += 1;
                }
            }
            progress.done = seen < BATCH;
        }
        if progress.done {
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('routes_key', ?1)",
                [key],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// One item that other rules would put into a category or take out.
#[derive(Debug, Clone)]
pub struct RouteChange {
    pub category: String,
    /// True: it would enter; false: it would leave.
    pub enters: bool,
    pub title: String,
    pub link: Option<String>,
    /// The verdict under the rules tested, in words, with the rule that
    /// decided (`included from jiangsu by suzhou.match[0] text contains 苏州
    /// (huiju.toml:58:3)`).
    pub why: String,
}

/// What [`Store::rules_test`] found.
#[derive(Debug, Default)]
pub struct RulesTest {
    /// Stored items read.
    pub items: usize,
    pub changes: Vec<RouteChange>,
    /// Per category (and `all`): items in it now, and under the rules.
    pub counts: BTreeMap<String, (usize, usize)>,
}

/// Where the rules put an item, through each (feed, stored row) pair that
/// carries it: the union of the pairs' routings (`None`: no pair).
fn route_pairs<'r, 'a>(
    rules: &'r Rules,
    pairs: impl Iterator<Item = (&'a FeedRef<'r>, &'a Row)>,
) -> Option<Routing<'r>>
where
    'r: 'a,
{
    let mut routing: Option<Routing> = None;
    for (feed, row) in pairs {
        let r = route_text(rules, feed, &row.text());
        match &mut routing {
            Some(u) => u.union(r),
            None => routing = Some(r),
        }
    }
    routing
}

/// A feed of the config being tested: URL, name, categories.
pub type TestFeed = (String, Option<String>, Vec<String>);

impl Store {
    /// A dry run: where `rules`, with `feeds` in their categories, would
    /// put every stored item, against where the stored routes put it now.
    /// Changes nothing.
    pub fn rules_test(&self, rules: &Rules, feeds: &[TestFeed]) -> Result<RulesTest, StoreError> {
        let all = crate::config::ALL;
        // Now: the active feeds' categories, as stored.
        let mut now_feeds: HashMap<i64, Vec<String>> = HashMap::new();
        // Per URL: the feed's id and the source's own title.
        let mut id_of: HashMap<String, (i64, Option<String>)> = HashMap::new();
        {
            let mut stmt = self.conn.prepare(
                "SELECT f.id, f.url, f.active, c.category, f.source_title FROM feeds f
                 LEFT JOIN feed_categories c ON c.feed_id = f.id",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let (id, url, active, cat): (i64, String, bool, Option<String>) =
                    (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
                id_of.insert(url, (id, r.get(4)?));
                if active {
                    let cats = now_feeds.entry(id).or_default();
                    cats.extend(cat);
                }
            }
        }
        // Under test: the config's feeds, by the ids their URLs have here.
        let tested: HashMap<i64, (&TestFeed, FeedRef)> = feeds
            .iter()
            .filter_map(|f| {
                let (id, source_title) = id_of.get(&f.0)?;
                let title = f.1.as_deref().or(source_title.as_deref());
                Some((*id, (f, rules.feed(&f.0, title, &f.2))))
            })
            .collect();
        let mut routes = self
            .conn
            .prepare_cached("SELECT feed_id, category, included FROM item_routes WHERE item_id = ?1")?;
        let mut stmt = self.conn.prepare(
            "SELECT m.item_id, m.feed_id, i.title, i.summary, i.content, i.author, i.link, i.categories,
                    i.published, i.first_seen
             FROM item_feeds m JOIN items i ON i.id = m.item_id ORDER BY m.item_id, m.feed_id",
        )?;
        let mut rows = stmt.query([])?;
        let mut out = RulesTest::default();
        // One item's pairs: (feed, row).
        let mut pairs: Vec<(i64, Row)> = Vec::new();
        let mut current: Option<i64> = None;
        let mut flush =
            |item: i64, pairs: &mut Vec<(i64, Row)>, out: &mut RulesTest| -> Result<(), StoreError> {
                if pairs.is_empty() {
                    return Ok(());
                }
                out.items += 1;
                // Where it is now.
                let mut before: BTreeSet<String> = BTreeSet::new();
                let routed: Vec<(i64, String, bool)> = routes
                    .query_map([item], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<Result<_, _>>()?;
                for (feed, _) in pairs.iter() {
                    let Some(own) = now_feeds.get(feed) else {
                        continue;
                    };
                    let mut set: BTreeSet<String> = own.iter().cloned().collect();
                    set.insert(all.to_string());
                    for (f, c, included) in &routed {
                        if f == feed {
                            if *included {
                                set.insert(c.clone());
                            } else {
                                set.remove(c);
                            }
                        }
                    }
                    before.extend(set);
                }
                // Where the rules tested put it.
                let routing = route_pairs(
                    rules,
                    pairs
                        .iter()
                        .filter_map(|(feed, row)| Some((&tested.get(feed)?.1, row))),
                );
                let mut after: BTreeSet<String> = BTreeSet::new();
                let mut why: HashMap<String, String> = HashMap::new();
                if let Some(r) = &routing {
                    if r.in_all() {
                        after.insert(all.to_string());
                    } else if let Some(hit) = r.blocked {
                        why.insert(all.to_string(), format!("blocked by {hit}"));
                    }
                    for (id, verdict) in r.iter() {
                        if verdict.is_in() {
                            after.insert(id.to_string());
                        }
                        why.insert(id.to_string(), verdict.to_string());
                    }
                }
                let row = &pairs[0].1;
                for c in before.union(&after) {
                    let (b, a) = (before.contains(c), after.contains(c));
                    let e = out.counts.entry(c.clone()).or_default();
                    e.0 += usize::from(b);
                    e.1 += usize::from(a);
                    if a != b {
                        out.changes.push(RouteChange {
                            category: c.clone(),
                            enters: a,
                            title: row.title.clone(),
                            link: row.link.clone(),
                            why: why
                                .get(c)
                                .cloned()
                                .unwrap_or_else(|| "its feeds are no longer in the config".to_string()),
                        });
                    }
                }
                pairs.clear();
                Ok(())
            };
        while let Some(r) = rows.next()? {
            let (item, feed): (i64, i64) = (r.get(0)?, r.get(1)?);
            if current != Some(item) {
                if let Some(c) = current {
                    flush(c, &mut pairs, &mut out)?;
                }
                current = Some(item);
            }
            pairs.push((feed, Row::read_at(r, 2)?));
        }
        if let Some(c) = current {
            flush(c, &mut pairs, &mut out)?;
        }
        Ok(out)
    }
}

impl Store {
    /// Where the rules put item `id` through the feeds in the config that
    /// carry it: per category it is in, or that a rule kept it out of,
    /// the verdict in words; `all` first when a block rule stopped it.
    pub fn item_routing(&self, rules: &Rules, id: i64) -> Result<Vec<(String, bool, String)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT f.url, COALESCE(f.title, f.source_title),
                    (SELECT group_concat(c.category) FROM feed_categories c WHERE c.feed_id = f.id),
                    i.title, i.summary, i.content, i.author, i.link, i.categories, i.published, i.first_seen
             FROM item_feeds m JOIN feeds f ON f.id = m.feed_id JOIN items i ON i.id = m.item_id
             WHERE m.item_id = ?1 AND f.active = 1",
        )?;
        let pairs: Vec<(TestFeed, Row)> = stmt
            .query_map([id], |r| {
                let cats: Option<String> = r.get(2)?;
                let cats = cats
                    .map(|c| c.split(',').map(str::to_string).collect())
                    .unwrap_or_default();
                Ok(((r.get(0)?, r.get(1)?, cats), Row::read_at(r, 3)?))
            })?
            .collect::<Result<_, _>>()?;
        let refs: Vec<FeedRef> = pairs
            .iter()
            .map(|((url, title, cats), _)| rules.feed(url, title.as_deref(), cats))
            .collect();
        let Some(routing) = route_pairs(rules, refs.iter().zip(pairs.iter().map(|(_, row)| row))) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        if let Some(hit) = routing.blocked {
            out.push((crate::config::ALL.to_string(), false, format!("blocked by {hit}")));
        }
        for (category, verdict) in routing.iter() {
            if !matches!(verdict, crate::rules::Verdict::Absent) {
                out.push((category.to_string(), verdict.is_in(), verdict.to_string()));
            }
        }
        Ok(out)
    }
}
