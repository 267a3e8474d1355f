//! What readers of the store ask: a category's items, the status page's
//! counts, and the items `huiju explain` looks at.

use super::search::SearchQuery;
use super::*;

/// One stored item, as `huiju explain` describes it.
#[derive(Debug, Clone)]
pub struct ItemBrief {
    pub id: i64,
    pub title: String,
    pub content: Option<String>,
    pub summary: Option<String>,
    pub link: Option<String>,
    pub guid: String,
    pub source: String,
    pub priority: i64,
    pub sort_time: i64,
    pub cluster: Option<i64>,
    pub cluster_sim: Option<f64>,
}

impl ItemBrief {
    pub fn fingerprint(&self) -> neardup::Fingerprint {
        neardup::item_fingerprint(&self.title, self.content.as_deref(), self.summary.as_deref())
    }
}

/// One feed's polling state, for the status page.
#[derive(Debug, Clone)]
pub struct FeedStatus {
    pub url: String,
    pub title: Option<String>,
    pub last_attempt: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_status: Option<u16>,
    pub consecutive_errors: u32,
    pub last_error: Option<String>,
    /// Earliest next poll (backoff, TTL or Retry-After).
    pub next_due: Option<DateTime<Utc>>,
    /// Items the feed carries.
    pub items: i64,
}

/// What the status page shows of the database.
#[derive(Debug, Clone)]
pub struct Status {
    /// Distinct items per category id, plus `all` (items of active feeds).
    pub categories: HashMap<String, i64>,
    /// Active feeds, by URL.
    pub feeds: Vec<FeedStatus>,
}

/// [`Store::count_items`]'s answer.
struct ItemCounts {
    categories: HashMap<String, i64>,
    /// Items per feed id.
    feeds: HashMap<i64, i64>,
}

/// An item as output feeds show it.
#[derive(Debug, Clone)]
pub struct StoredItem {
    pub guid: String,
    pub link: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub content: Option<String>,
    pub author: Option<String>,
    pub categories: Vec<String>,
    pub enclosures: Vec<Enclosure>,
    pub published: Option<DateTime<FixedOffset>>,
    pub first_seen: DateTime<Utc>,
    pub modified: Option<DateTime<Utc>>,
    /// Ids of the categories whose feeds carry the item.
    pub feed_categories: Vec<String>,
    /// Name of the feed the item came from.
    pub source_title: String,
    pub source_url: String,
    /// Other sources of the same story (name, link), when copies collapse.
    pub also: Vec<(String, Option<String>)>,
}

impl StoredItem {
    /// The date output feeds show: the source's date, else when first seen.
    pub fn date(&self, tz: chrono_tz::Tz) -> DateTime<FixedOffset> {
        self.published
            .unwrap_or_else(|| self.first_seen.with_timezone(&tz).fixed_offset())
    }

    /// When the item last changed: a source update, else its date.
    pub fn updated(&self, tz: chrono_tz::Tz) -> DateTime<FixedOffset> {
        let date = self.date(tz);
        match self.modified {
            Some(m) if m > date => m.with_timezone(&tz).fixed_offset(),
            _ => date,
        }
    }
}

/// SQL that is true when item `item` is in `category` (an SQL expression,
/// a category id): a feed in the config carries it in that category and
/// no rule took it out there (an `item_routes` row with `included = 0`),
/// or a rule routed it in through a feed in the config. For `all`: a feed
/// in the config carries it and no block rule stopped that pair.
pub(super) fn member_sql(item: &str, category: &str, all: bool) -> String {
    if all {
        format!(
            "EXISTS (SELECT 1 FROM item_feeds m JOIN feeds a ON a.id = m.feed_id
                     WHERE m.item_id = {item} AND a.active = 1
                       AND NOT EXISTS (SELECT 1 FROM item_routes r WHERE r.item_id = m.item_id
                                       AND r.feed_id = m.feed_id AND r.category = 'all' AND r.included = 0))
             AND {category} = {category}"
        )
    } else {
        format!(
            "({} OR EXISTS (SELECT 1 FROM item_routes r JOIN feeds a ON a.id = r.feed_id
                            WHERE r.item_id = {item} AND r.category = {category} AND r.included = 1 AND a.active = 1))",
            own_member_sql(item, category)
        )
    }
}

/// The first half of [`member_sql`]: in `category` through its own feeds.
fn own_member_sql(item: &str, category: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM item_feeds m JOIN feed_categories c ON c.feed_id = m.feed_id
                 WHERE m.item_id = {item} AND c.category = {category}
                   AND NOT EXISTS (SELECT 1 FROM item_routes r WHERE r.item_id = m.item_id
                                   AND r.feed_id = m.feed_id AND r.category = {category} AND r.included = 0))"
    )
}

/// One row of [`Store::category_items`]' query: the item, its id, and its
/// cluster's id and entry guid when it represents one.
fn read_stored_item(r: &rusqlite::Row) -> rusqlite::Result<(StoredItem, i64, Option<i64>, Option<String>)> {
    let published: Option<i64> = r.get(8)?;
    let offset: Option<i32> = r.get(9)?;
    let published = published.and_then(|p| {
        let off = FixedOffset::east_opt(offset.unwrap_or(0))?;
        off.timestamp_opt(p, 0).single()
    });
    let categories: String = r.get(6)?;
    let enclosures: String = r.get(7)?;
    let item = StoredItem {
        guid: r.get(0)?,
        link: r.get(1)?,
        title: r.get(2)?,
        summary: r.get(3)?,
        content: r.get(4)?,
        author: r.get(5)?,
        categories: serde_json::from_str(&categories).unwrap_or_default(),
        enclosures: serde_json::from_str(&enclosures).unwrap_or_default(),
        published,
        first_seen: DateTime::from_timestamp(r.get(10)?, 0).unwrap_or_default(),
        modified: r
            .get::<_, Option<i64>>(11)?
            .and_then(|m| DateTime::from_timestamp(m, 0)),
        feed_categories: {
            // The feeds' categories the rules left it in, then those
            // rules routed it into.
            let mut ids: Vec<String> = Vec::new();
            for list in [r.get::<_, Option<String>>(14)?, r.get::<_, Option<String>>(18)?]
                .into_iter()
                .flatten()
            {
                for c in list.split(',') {
                    if !ids.iter().any(|x| x == c) {
                        ids.push(c.to_string());
                    }
                }
            }
            ids
        },
        source_title: r.get(12)?,
        source_url: r.get(13)?,
        also: Vec::new(),
    };
    Ok((item, r.get(15)?, r.get(16)?, r.get(17)?))
}

/// [`Store::own_walk`]'s choice.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum OwnWalk {
    /// No active feed is in the category.
    Nothing,
    /// Every item, newest first, each tested.
    Items,
    /// The items of the category's feeds, sorted.
    Feeds,
}

impl Store {
    /// The newest `limit` items of `category` (or of every active feed for
    /// `all`), each once, newest first.
    /// `query`, when given, keeps the items the search index finds for it
    /// (every term, none of the `-term`s; see `search.rs`).
    /// `collapse`: copies of one story at least this alike become one entry
    /// (the representative, with the cluster's stable id and the other
    /// sources in [`StoredItem::also`]); `None` shows every copy.
    pub fn category_items(
        &self,
        category: &str,
        limit: usize,
        query: Option<&str>,
        collapse: Option<f64>,
    ) -> Result<Vec<StoredItem>, StoreError> {
        let search = query.map(super::search::parse_query);
        if let Some(SearchQuery::Nothing) = search {
            return Ok(Vec::new());
        }
        // Decision: only the newest `scan` items of the category are
        // candidates. Scanning every member to collapse clusters made each
        // render read the whole category: 1–4 s at a million items. The
        // walks follow indexes and stop early. Without collapsing, `limit`
        // candidates are exactly the answer; with it, each copy of a story
        // among them costs one entry, so a first walk takes twice the limit
        // and a second, eight times (nearly all recent items copies), only
        // when the first came short.
        let threshold = collapse.unwrap_or(2.0);
        let scans: &[usize] = match collapse {
            None => &[limit],
            Some(_) => &[
                limit.saturating_mul(2).saturating_add(50),
                limit.saturating_mul(8).saturating_add(200),
            ],
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut rows = Vec::new();
        for &scan in scans {
            let scan = i64::try_from(scan).unwrap_or(i64::MAX);
            let (sql, fts) = self.category_sql(category, search.as_ref(), scan)?;
            let mut stmt = self.conn.prepare_cached(&sql)?;
            rows = stmt
                .query_map(params![limit, category, fts, threshold, scan], read_stored_item)?
                .collect::<Result<Vec<_>, _>>()?;
            if rows.len() as i64 >= limit {
                break;
            }
        }
        let shown: std::collections::HashSet<String> = rows.iter().map(|(i, ..)| i.guid.clone()).collect();
        let mut also = self.conn.prepare_cached(
            "SELECT COALESCE(f.title, f.source_title, f.url), i.link FROM items i JOIN feeds f ON f.id = i.origin_feed
             WHERE i.cluster_id = ?1 AND i.id != ?2 AND i.cluster_sim >= ?3 ORDER BY i.sort_time, i.id",
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for (mut item, id, cluster, entry_guid) in rows {
            if let (Some(c), Some(g)) = (cluster, entry_guid) {
                item.also = also
                    .query_map(params![c, id, threshold], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()?;
                // The cluster keeps the id readers first saw, unless a copy
                // shown on its own here (a stricter category) already has it.
                if !item.also.is_empty() && (g == item.guid || !shown.contains(&g)) {
                    item.guid = g;
                }
            }
            out.push(item);
        }
        Ok(out)
    }

    /// The SQL of [`Store::category_items`] walking `scan` candidates, and
    /// the search expression it binds to ?3.
    fn category_sql<'q>(
        &self,
        category: &str,
        search: Option<&'q SearchQuery>,
        scan: i64,
    ) -> Result<(String, Option<&'q str>), StoreError> {
        let member = member_sql("x.id", "?2", category == ALL);
        // The walk over candidates: newest first by date, or, for a search,
        // the newest stored among the index's matches (rowids grow as items
        // are stored), which the index yields in that order, stopping early.
        let (from, walk_filter, order, filter, fts) = match search {
            None => (
                "items x",
                "AND ?3 IS NULL",
                "x.sort_time DESC, x.id DESC",
                "",
                None,
            ),
            Some(SearchQuery::Match(e)) => (
                "item_search CROSS JOIN items x ON x.id = item_search.rowid",
                "AND item_search MATCH ?3",
                "item_search.rowid DESC",
                // A story matches when one of its copies does: its entry
                // (the representative) shows even if another copy had
                // the words.
                "",
                Some(e.as_str()),
            ),
            Some(SearchQuery::Excluding(e)) => (
                "items x",
                "AND x.id NOT IN (SELECT rowid FROM item_search WHERE item_search MATCH ?3)",
                "x.sort_time DESC, x.id DESC",
                "AND i.id NOT IN (SELECT rowid FROM item_search WHERE item_search MATCH ?3)",
                Some(e.as_str()),
            ),
            Some(SearchQuery::Nothing) => unreachable!("no walk for a query that finds nothing"),
        };
        // ?4: the collapse threshold; above 1.0 nothing collapses.
        let recent = if category == ALL || matches!(search, Some(SearchQuery::Match(_))) {
            format!(
                "SELECT x.id, x.cluster_id, x.cluster_sim FROM {from}
                 WHERE {member} {walk_filter}
                 ORDER BY {order} LIMIT ?5"
            )
        } else {
            // Decision: two walks, merged: the items of the category's own
            // feeds (newest first along `items_sort`, each tested), and the
            // items rules routed in (newest first along `item_routes_in`).
            // One walk testing membership for both read every item of a
            // category that only rules fill: 0.2 s at a million items.
            // Each walk yields (id, sort_time) from an index alone; only the
            // newest ?5 of both read their item's row.
            let excluded = if let Some(SearchQuery::Excluding(_)) = search {
                "AND r.item_id NOT IN (SELECT rowid FROM item_search WHERE item_search MATCH ?3)"
            } else {
                "AND ?3 IS NULL"
            };
            let routed = format!(
                "SELECT * FROM (SELECT r.item_id AS id, r.sort_time FROM item_routes r
                                WHERE r.category = ?2 AND r.included = 1
                                  AND EXISTS (SELECT 1 FROM feeds a WHERE a.id = r.feed_id AND a.active = 1)
                                  {excluded}
                                ORDER BY r.sort_time DESC, r.item_id DESC LIMIT ?5)"
            );
            let own = match self.own_walk(category, scan)? {
                OwnWalk::Nothing => String::new(),
                OwnWalk::Items => format!(
                    "SELECT * FROM (SELECT x.id, x.sort_time FROM items x
                                    WHERE {} {walk_filter}
                                    ORDER BY x.sort_time DESC, x.id DESC LIMIT ?5) UNION ",
                    own_member_sql("x.id", "?2")
                ),
                OwnWalk::Feeds => format!(
                    "SELECT * FROM (SELECT DISTINCT x.id, x.sort_time
                                    FROM feed_categories c CROSS JOIN item_feeds m ON m.feed_id = c.feed_id
                                    CROSS JOIN items x ON x.id = m.item_id
                                    WHERE c.category = ?2
                                      AND NOT EXISTS (SELECT 1 FROM item_routes r WHERE r.item_id = m.item_id
                                                      AND r.feed_id = m.feed_id AND r.category = ?2
                                                      AND r.included = 0)
                                      {walk_filter}
                                    ORDER BY x.sort_time DESC, x.id DESC LIMIT ?5) UNION "
                ),
            };
            format!(
                "SELECT x.id, x.cluster_id, x.cluster_sim
                 FROM (SELECT id, sort_time FROM ({own}{routed}) ORDER BY sort_time DESC, id DESC LIMIT ?5) w
                 CROSS JOIN items x ON x.id = w.id"
            )
        };
        // Decision: `CROSS JOIN` fixes the order of the categories' lookup,
        // the item's feed links first, then their feeds' categories. With
        // the statistics `PRAGMA optimize` leaves after a prune, SQLite
        // chose to walk every feed's links for each item instead: renders
        // of `all` went from 5 ms to 150 ms on a 780 MB database,
        // and grew with the database (the year, BENCHMARKS.md).
        let sql = format!(
            "WITH recent AS ({recent}),
             entries AS (
                 SELECT DISTINCT CASE WHEN c.id IS NOT NULL AND (x.id = c.rep_item OR x.cluster_sim >= ?4)
                                      THEN c.rep_item ELSE x.id END AS id
                 FROM recent x LEFT JOIN clusters c ON c.id = x.cluster_id AND ?4 <= 1.0)
             SELECT i.guid, i.link, i.title, i.summary, i.content, i.author, i.categories,
                    i.enclosures, i.published, i.published_off, i.first_seen, i.modified,
                    COALESCE(f.title, f.source_title, f.url), f.url,
                    (SELECT group_concat(DISTINCT fc.category) FROM item_feeds x
                     CROSS JOIN feed_categories fc ON fc.feed_id = x.feed_id
                     WHERE (x.item_id = i.id
                        OR x.item_id IN (SELECT m.id FROM items m WHERE m.cluster_id = cl.id AND m.cluster_sim >= ?4))
                       AND NOT EXISTS (SELECT 1 FROM item_routes r WHERE r.item_id = x.item_id
                                       AND r.feed_id = x.feed_id AND r.category = fc.category AND r.included = 0)),
                    i.id, cl.id, cl.entry_guid,
                    (SELECT group_concat(DISTINCT r.category) FROM item_routes r JOIN feeds a ON a.id = r.feed_id
                     WHERE (r.item_id = i.id
                        OR r.item_id IN (SELECT m.id FROM items m WHERE m.cluster_id = cl.id AND m.cluster_sim >= ?4))
                       AND r.included = 1 AND a.active = 1 AND r.category != 'all')
             FROM items i JOIN feeds f ON f.id = i.origin_feed
             LEFT JOIN clusters cl ON cl.id = i.cluster_id AND cl.rep_item = i.id AND ?4 <= 1.0
             WHERE i.id IN entries {filter}
             ORDER BY i.sort_time DESC, i.id DESC LIMIT ?1"
        );
        Ok((sql, fts))
    }

    /// How to find the newest `scan` items of `category`'s own feeds: the
    /// cheaper of walking every item newest first, testing each (about
    /// `scan / share` items, `share` being the category's part of the
    /// active feeds), and sorting every item its feeds carry (about
    /// `share × items`). A category of 10 feeds among 1,000 took 0.2 s
    /// per render at a million items by the first.
    pub(super) fn own_walk(&self, category: &str, scan: i64) -> Result<OwnWalk, StoreError> {
        let (own, active, items): (i64, i64, i64) = self
            .conn
            .prepare_cached(
                "SELECT (SELECT COUNT(*) FROM feed_categories c JOIN feeds a ON a.id = c.feed_id
                         WHERE c.category = ?1 AND a.active = 1),
                        (SELECT COUNT(*) FROM feeds WHERE active = 1),
                        COALESCE((SELECT MAX(id) FROM items) - (SELECT MIN(id) FROM items) + 1, 0)",
            )?
            .query_row([category], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        if own == 0 {
            return Ok(OwnWalk::Nothing);
        }
        let share = own as f64 / active.max(own) as f64;
        Ok(if share * (items as f64) < scan as f64 / share {
            OwnWalk::Feeds
        } else {
            OwnWalk::Items
        })
    }

    /// Earliest next poll of every active feed (unix seconds), by URL.
    pub fn due_times(&self) -> Result<HashMap<String, i64>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT url, MAX(COALESCE(next_due, 0), COALESCE(retry_after, 0)) FROM feeds WHERE active = 1",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The status page's figures: every active feed's state and items, and
    /// the items of each category.
    pub fn status(&self) -> Result<Status, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT f.id, f.url, COALESCE(f.title, f.source_title), f.last_attempt, f.last_success,
                    f.last_status, f.consecutive_errors, f.last_error,
                    MAX(COALESCE(f.next_due, 0), COALESCE(f.retry_after, 0))
             FROM feeds f WHERE f.active = 1 ORDER BY f.url",
        )?;
        let ts = |v: Option<i64>| v.filter(|t| *t > 0).and_then(|t| DateTime::from_timestamp(t, 0));
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                FeedStatus {
                    url: r.get(1)?,
                    title: r.get(2)?,
                    last_attempt: ts(r.get(3)?),
                    last_success: ts(r.get(4)?),
                    last_status: r.get(5)?,
                    consecutive_errors: r.get(6)?,
                    last_error: r.get(7)?,
                    next_due: ts(r.get(8)?),
                    items: 0,
                },
            ))
        })?;
        let mut feeds: Vec<(i64, FeedStatus)> = rows.collect::<Result<_, _>>()?;
        let counts = self.count_items()?;
        for (id, f) in &mut feeds {
            f.items = counts.feeds.get(id).copied().unwrap_or(0);
        }
        Ok(Status {
            categories: counts.categories,
            feeds: feeds.into_iter().map(|(_, f)| f).collect(),
        })
    }

    /// Distinct items per category id plus `all` (items of active feeds),
    /// and items per feed id.
    fn count_items(&self) -> Result<ItemCounts, StoreError> {
        // Decision: one pass over `item_feeds` in its key's order (an
        // item's feeds are adjacent), counting each item once per category
        // here, rather than `COUNT(DISTINCT)` in SQL, which built a
        // temporary B-tree of every item per category, plus a `COUNT(*)`
        // per feed: the status page took 0.5–1.0 s at a million items,
        // now 0.2 s (BENCHMARKS.md).
        let mut names: Vec<String> = vec![crate::config::ALL.to_string()];
        // Per feed: the indices into `names` its items count in, and its items.
        let mut of_feed: HashMap<i64, (Vec<usize>, i64)> = HashMap::new();
        {
            let mut stmt = self.conn.prepare(
                "SELECT f.id, f.active, c.category FROM feeds f
                 LEFT JOIN feed_categories c ON c.feed_id = f.id",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let (slots, _) = of_feed.entry(r.get(0)?).or_default();
                if r.get::<_, bool>(1)? && !slots.contains(&0) {
                    slots.push(0);
                }
                if let Some(cat) = r.get::<_, Option<String>>(2)? {
                    let k = names.iter().position(|n| *n == cat).unwrap_or_else(|| {
                        names.push(cat);
                        names.len() - 1
                    });
                    slots.push(k);
                }
            }
        }
        // What rules changed, per (item, feed) pair, in the same order as
        // the pairs below (both tables' keys start with item, feed).
        let mut routes: Vec<(i64, i64, String, bool)> = Vec::new();
        {
            let mut stmt = self.conn.prepare(
                "SELECT r.item_id, r.feed_id, r.category, r.included FROM item_routes r
                 JOIN feeds a ON a.id = r.feed_id WHERE a.active = 1 ORDER BY r.item_id, r.feed_id",
            )?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                routes.push((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?));
            }
        }
        let slot_of = |names: &mut Vec<String>, cat: &str| {
            names.iter().position(|n| n == cat).unwrap_or_else(|| {
                names.push(cat.to_string());
                names.len() - 1
            })
        };
        for (.., cat, _) in &routes {
            slot_of(&mut names, cat);
        }
        let mut counts = vec![0i64; names.len()];
        // The last item counted in each slot: the same item through a
        // second feed of a category is not counted again.
        let mut last = vec![0i64; names.len()];
        let mut next_route = 0;
        let mut slots_now: Vec<usize> = Vec::new();
        // The ORDER BY makes SQLite read the table itself: unordered, it
        // reads the (feed, item) index, where an item's feeds are apart.
        let mut stmt = self
            .conn
            .prepare("SELECT item_id, feed_id FROM item_feeds ORDER BY item_id, feed_id")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (item, feed): (i64, i64) = (r.get(0)?, r.get(1)?);
            let Some((slots, items)) = of_feed.get_mut(&feed) else {
                continue;
            };
            *items += 1;
            slots_now.clear();
            slots_now.extend_from_slice(slots);
            while next_route < routes.len() && (routes[next_route].0, routes[next_route].1) < (item, feed) {
                next_route += 1;
            }
            while next_route < routes.len() && (routes[next_route].0, routes[next_route].1) == (item, feed) {
                let (.., cat, included) = &routes[next_route];
                let k = names
                    .iter()
                    .position(|n| n == cat)
                    .expect("every routed category has a slot");
                if *included {
                    slots_now.push(k);
                } else {
                    slots_now.retain(|&s| s != k);
                }
                next_route += 1;
            }
            for &k in &slots_now {
                if last[k] != item {
                    last[k] = item;
                    counts[k] += 1;
                }
            }
        }
        Ok(ItemCounts {
            categories: names.into_iter().zip(counts).collect(),
            feeds: of_feed.into_iter().map(|(id, (_, n))| (id, n)).collect(),
        })
    }

    /// Active feeds that failed their last poll.
    pub fn feeds_in_error(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM feeds WHERE active = 1 AND consecutive_errors > 0",
            [],
            |r| r.get(0),
        )?)
    }

    /// The item a URL (link or guid, in any of its variants) identifies.
    pub fn find_item(&self, given: &str) -> Result<Option<i64>, StoreError> {
        // Opaque guids are keyed per source host: every source ever stored
        // (also those since removed from the config) may have brought it.
        let sources: Vec<Url> = self
            .conn
            .prepare("SELECT url FROM feeds")?
            .query_map([], |r| r.get::<_, String>(0))?
            .filter_map(|u| u.ok().and_then(|u| Url::parse(&u).ok()))
            .collect();
        let mut by_key = self
            .conn
            .prepare("SELECT item_id FROM item_keys WHERE key = ?1")?;
        for key in crate::ingest::identity::lookup_keys(given, &sources) {
            if let Some(id) = by_key.query_row([&key], |r| r.get(0)).optional()? {
                return Ok(Some(id));
            }
        }
        Ok(None)
    }

    /// What `huiju explain` shows about one item.
    pub fn item_brief(&self, id: i64) -> Result<ItemBrief, StoreError> {
        Ok(self.conn.query_row(
            "SELECT i.id, i.title, i.content, i.summary, i.link, i.guid, COALESCE(f.title, f.source_title, f.url),
                    f.priority, i.sort_time, i.cluster_id, i.cluster_sim
             FROM items i JOIN feeds f ON f.id = i.origin_feed WHERE i.id = ?1",
            [id],
            |r| {
                Ok(ItemBrief {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    content: r.get(2)?,
                    summary: r.get(3)?,
                    link: r.get(4)?,
                    guid: r.get(5)?,
                    source: r.get(6)?,
                    priority: r.get(7)?,
                    sort_time: r.get(8)?,
                    cluster: r.get(9)?,
                    cluster_sim: r.get(10)?,
                })
            },
        )?)
    }

    /// A cluster's representative, entry id and members (first stored first).
    pub fn cluster(&self, cluster: i64) -> Result<(i64, String, Vec<i64>), StoreError> {
        let (rep, guid): (i64, String) = self.conn.query_row(
            "SELECT rep_item, entry_guid FROM clusters WHERE id = ?1",
            [cluster],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let mut stmt = self
            .conn
            .prepare("SELECT id FROM items WHERE cluster_id = ?1 ORDER BY id")?;
        let members = stmt
            .query_map([cluster], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok((rep, guid, members))
    }

    /// Whether the stored clusters were made by an earlier near-duplicate
    /// rule than [`neardup::RULE`] (then `huiju recluster` should check them).
    pub fn clusters_predate_rule(&self) -> Result<bool, StoreError> {
        let rule: i64 = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'dedup_rule'", [], |r| {
                r.get(0)
            })?;
        Ok(rule < neardup::RULE)
    }
}
