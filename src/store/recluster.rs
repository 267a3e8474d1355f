//! `huiju recluster`: stored clusters checked again with the current rule.
//!
//! A database built by an earlier rule holds false merges: template
//! reports or parts of a series shown as one entry. Each cluster is
//! checked member by member, against document frequencies of the items
//! around it in time (the window it was judged in); the members that are
//! not the same story as the rest are split out and shown again.

use rusqlite::{Connection, params};

use super::{Store, StoreError, elect_representative};
use crate::neardup::{self, DocFreq, Fingerprint, Settings, Similarity};

/// What `huiju recluster` found (and, unless a dry run, changed).
#[derive(Debug, Default)]
pub struct Report {
    /// Clusters checked.
    pub clusters: usize,
    /// Of those, clusters left exactly as they were.
    pub kept: usize,
    /// Items moved out of their cluster, with why.
    pub splits: Vec<Split>,
    /// Clusters made of items split out together (copies of one another).
    pub new_clusters: usize,
}

/// One item that leaves its cluster.
#[derive(Debug)]
pub struct Split {
    pub cluster: i64,
    pub title: String,
    /// The headline of the item whose entry the cluster keeps.
    pub kept_title: String,
    /// How the item compares with that one.
    pub sim: Similarity,
}

/// A group of items that leaves cluster `from`.
struct Move {
    from: i64,
    /// Each item, and its score against the group's first (none for the first).
    items: Vec<(i64, Option<f64>)>,
    /// The item the group's new cluster is made from; none for an item alone.
    first: Option<i64>,
}

/// A stored item as reclustering needs it.
struct Member {
    id: i64,
    title: String,
    fp: Fingerprint,
}

/// Items sorted by time, fingerprinted as they enter the window around the
/// cluster being checked and counted out as they leave it.
struct Window<'c> {
    stmt: rusqlite::Statement<'c>,
    df: DocFreq,
    scratch: neardup::Scratch,
    /// Entered items, as `(sort time, counted part of the fingerprint)`,
    /// oldest first.
    inside: std::collections::VecDeque<(i64, Fingerprint)>,
    /// Sort time and id of the last item read.
    last: (i64, i64),
}

impl<'c> Window<'c> {
    fn new(conn: &'c Connection) -> Result<Window<'c>, StoreError> {
        let stmt = conn.prepare(
            "SELECT i.id, i.sort_time, i.title, i.content, i.summary FROM items i
             WHERE EXISTS (SELECT 1 FROM prints p WHERE p.item_id = i.id)
               AND (i.sort_time, i.id) > (?1, ?2) AND i.sort_time <= ?3
             ORDER BY i.sort_time, i.id",
        )?;
        Ok(Window {
            stmt,
            df: DocFreq::sliding(),
            scratch: neardup::Scratch::default(),
            inside: Default::default(),
            last: (i64::MIN, i64::MIN),
        })
    }

    /// Makes the counts those of the items dated within `lo..=hi`.
    fn cover(&mut self, lo: i64, hi: i64) -> Result<(), StoreError> {
        if hi > self.last.0 {
            let mut rows = self.stmt.query(params![self.last.0, self.last.1, hi])?;
            while let Some(r) = rows.next()? {
                let (id, t): (i64, i64) = (r.get(0)?, r.get(1)?);
                let (title, content, summary): (String, Option<String>, Option<String>) =
                    (r.get(2)?, r.get(3)?, r.get(4)?);
                let fp = neardup::item_fingerprint_with(
                    &mut self.scratch,
                    &title,
                    content.as_deref(),
                    summary.as_deref(),
                );
                self.df.add(&fp);
                // Only what counting it out reads: a window of a busy
                // database holds tens of thousands of items.
                self.inside.push_back((t, DocFreq::counted_part(&fp)));
                self.last = (t, id);
            }
        }
        while self.inside.front().is_some_and(|(t, _)| *t < lo) {
            let (_, fp) = self.inside.pop_front().expect("checked above");
            self.df.remove(&fp);
        }
        Ok(())
    }
}

/// The members of `cluster`, the one whose guid is its entry id first (its
/// group keeps the cluster, so the entry readers know keeps its id), then
/// the representative, then by time.
fn members(conn: &Connection, cluster: i64) -> Result<Vec<Member>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT i.id, i.title, i.content, i.summary FROM items i JOIN clusters c ON c.id = i.cluster_id
         WHERE c.id = ?1
         ORDER BY i.guid = c.entry_guid DESC, i.id = c.rep_item DESC, i.sort_time, i.id",
    )?;
    let rows = stmt.query_map([cluster], |r| {
        let (title, content, summary): (String, Option<String>, Option<String>) =
            (r.get(1)?, r.get(2)?, r.get(3)?);
        Ok(Member {
            id: r.get(0)?,
            fp: neardup::item_fingerprint(&title, content.as_deref(), summary.as_deref()),
            title,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Splits `members` into groups of copies: each member joins the first
/// group holding an item it is the same story as (the best match, as when
/// it was stored), else starts one.
fn group(members: &[Member], df: &DocFreq, settings: &Settings) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, m) in members.iter().enumerate() {
        let home = groups.iter().position(|g| {
            g.iter().any(|&j| {
                neardup::compare_with(&m.fp, &members[j].fp, Some(df)).is_duplicate(&settings.params)
            })
        });
        match home {
            Some(g) => groups[g].push(i),
            None => groups.push(vec![i]),
        }
    }
    groups
}

impl Store {
    /// Checks every cluster again with the current rule; unless `dry_run`,
    /// moves the items that are not the same story as the rest out of it:
    /// alone, or into a new cluster with the items they do copy. A cluster
    /// keeps its id and entry id for the group that holds its entry's item.
    pub fn recluster(&mut self, settings: &Settings, dry_run: bool) -> Result<Report, StoreError> {
        let r = self.recluster_inner(settings, dry_run);
        if dry_run { r } else { self.writing(r) }
    }

    fn recluster_inner(&mut self, settings: &Settings, dry_run: bool) -> Result<Report, StoreError> {
        let window = i64::try_from(settings.window.as_secs()).unwrap_or(i64::MAX / 4);
        let clusters: Vec<(i64, i64)> = self
            .conn
            .prepare(
                "SELECT c.id, i.sort_time FROM clusters c JOIN items i ON i.id = c.rep_item
                 ORDER BY i.sort_time, c.id",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut report = Report {
            clusters: clusters.len(),
            ..Report::default()
        };
        let mut moves: Vec<Move> = Vec::new();
        {
            let mut win = Window::new(&self.conn)?;
            for &(cluster, t) in &clusters {
                win.cover(t.saturating_sub(window), t.saturating_add(window))?;
                let members = members(&self.conn, cluster)?;
                let groups = group(&members, &win.df, settings);
                if groups.len() == 1 {
                    report.kept += 1;
                    continue;
                }
                let keeper = &members[groups[0][0]];
                for g in &groups[1..] {
                    for &i in g {
                        let m = &members[i];
                        report.splits.push(Split {
                            cluster,
                            title: m.title.clone(),
                            kept_title: keeper.title.clone(),
                            sim: neardup::compare_weighed(&m.fp, &keeper.fp, &win.df),
                        });
                    }
                    if g.len() > 1 {
                        report.new_clusters += 1;
                    }
                    // The group's first item (the earliest) is the one its
                    // entry's id comes from.
                    let first = &members[g[0]];
                    let items = g
                        .iter()
                        .map(|&i| {
                            let m = &members[i];
                            let sim = (g.len() > 1 && i != g[0])
                                .then(|| neardup::compare_with(&m.fp, &first.fp, Some(&win.df)).score());
                            (m.id, sim)
                        })
                        .collect();
                    moves.push(Move {
                        from: cluster,
                        items,
                        first: (g.len() > 1).then_some(first.id),
                    });
                }
            }
        }
        if dry_run {
            return Ok(report);
        }
        let now = chrono::Utc::now().timestamp();
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'dedup_rule'",
            [neardup::RULE],
        )?;
        let mut touched = std::collections::BTreeSet::new();
        for Move {
            from: cluster,
            items,
            first,
        } in moves
        {
            let new_cluster = match first {
                Some(first) => Some(
                    tx.prepare_cached(
                        "INSERT INTO clusters (rep_item, entry_guid, created)
                         SELECT id, guid, ?2 FROM items WHERE id = ?1 RETURNING id",
                    )?
                    .query_row(params![first, now], |r| r.get::<_, i64>(0))?,
                ),
                None => None,
            };
            for (id, sim) in items {
                let sim = new_cluster.map(|_| sim.unwrap_or(1.0));
                tx.prepare_cached("UPDATE items SET cluster_id = ?1, cluster_sim = ?2 WHERE id = ?3")?
                    .execute(params![new_cluster, sim, id])?;
            }
            if let Some(c) = new_cluster {
                elect_representative(&tx, c)?;
            }
            touched.insert(cluster);
        }
        for cluster in touched {
            elect_representative(&tx, cluster)?;
        }
        tx.commit()?;
        // What memory holds of clusters is read from the database again.
        self.forget_unsaved();
        Ok(report)
    }
}
