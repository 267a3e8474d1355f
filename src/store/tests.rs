use super::queries::OwnWalk;
use super::*;

const RSS: &str = r#"<rss version="2.0"><channel><title>t</title>
    <item><title>苏州地铁新线开通</title><link>http://a.example.cn/1.html</link>
    <description>苏州轨道交通新线今日开通运营，沿线设站二十座。</description></item>
    <item><title>太湖蓝藻监测</title><link>http://a.example.cn/2.html</link>
    <description>太湖水质监测站报告本周蓝藻密度下降。</description></item>
    </channel></rss>"#;

pub(super) fn items(host: &str) -> Vec<Item> {
    let url = url::Url::parse(&format!("http://{host}/feed.xml")).unwrap();
    let feed = crate::ingest::parse::parse(&RSS.replace("a.example.cn", host), chrono_tz::Asia::Shanghai);
    crate::ingest::normalize::normalize(&feed, &url, &url)
}

pub(super) fn job(feed_id: i64, items: Vec<Item>) -> Refreshed {
    let now = Utc::now();
    Refreshed {
        feed_id,
        meta: SourceMeta::default(),
        prints: neardup::print_items(&items),
        items,
        now,
        plan: Plan {
            consecutive_errors: 0,
            next_due: now,
        },
        near: Some(neardup::Settings {
            params: neardup::Params::default(),
            window: std::time::Duration::from_secs(72 * 3600),
        }),
        route: None,
    }
}

pub(super) fn store_with_feeds(dir: &Path) -> (Store, i64, i64) {
    let cfg = Config::parse(
        "[storage]\ndatabase = \"h.db\"\n[[category]]\nid = \"c\"\ntitle = \"c\"\n\
         [[feed]]\nurl = \"http://a.example.cn/feed.xml\"\ncategories = [\"c\"]\n\
         [[feed]]\nurl = \"http://b.example.cn/feed.xml\"\ncategories = [\"c\"]\n",
        &dir.join("huiju.toml"),
    )
    .unwrap();
    let mut s = Store::open(&dir.join("h.db")).unwrap();
    s.sync_config(&cfg).unwrap();
    let a = s.feed_state("http://a.example.cn/feed.xml").unwrap().unwrap().id;
    let b = s.feed_state("http://b.example.cn/feed.xml").unwrap().unwrap().id;
    (s, a, b)
}

/// Group commit: a refresh that fails in a batch is rolled back alone;
/// the others of the batch are stored, and the in-memory index still
/// finds their copies afterwards.
#[test]
fn a_failing_refresh_in_a_batch_loses_only_itself() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, a, b) = store_with_feeds(dir.path());
    let jobs = [
        job(a, items("a.example.cn")),
        job(9_999, items("x.example.cn")), // no such feed: foreign key fails
    ];
    let r = s.apply_refreshes(&jobs).unwrap();
    assert_eq!(r[0].as_ref().unwrap().new, 2);
    assert!(r[1].is_err());
    assert_eq!(s.item_count().unwrap(), 2);
    // The same stories under another host's URLs: clustered with feed a's.
    let r = s
        .apply_refresh(
            b,
            &SourceMeta::default(),
            &items("b.example.cn"),
            Utc::now(),
            jobs[0].plan,
            jobs[0].near.as_ref(),
        )
        .unwrap();
    assert_eq!((r.new, r.clustered), (2, 2));
}

/// The lookup table is built from the database when a process starts
/// (prints read by the items' sort time): copies stored after a restart
/// join the stories stored before it, in a batch whose first job succeeds
/// without savepoints.
#[test]
fn copies_are_found_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, a, b) = store_with_feeds(dir.path());
    let r = s.apply_refreshes(&[job(a, items("a.example.cn"))]).unwrap();
    assert_eq!(r[0].as_ref().unwrap().new, 2);
    drop(s);
    let mut s = Store::open(&dir.path().join("h.db")).unwrap();
    let r = s.apply_refreshes(&[job(b, items("b.example.cn"))]).unwrap();
    let c = r[0].as_ref().unwrap();
    assert_eq!((c.new, c.clustered), (2, 2));
}

/// Items dated long ago are looked up in an index of their span of
/// time, built once for a run of them: copies of one old story stored
/// in the same batch, and in the next, still find each other.
#[test]
fn old_copies_find_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, a, b) = store_with_feeds(dir.path());
    let dated = |host: &str, days_ago: i64| {
        let mut v = items(host);
        for (n, it) in v.iter_mut().enumerate() {
            let t = Utc::now() - chrono::Duration::days(days_ago) + chrono::Duration::hours(n as i64);
            it.published = Some(t.fixed_offset());
        }
        v
    };
    let r = s
        .apply_refreshes(&[
            job(a, dated("a.example.cn", 365)),
            job(b, dated("b.example.cn", 365)),
        ])
        .unwrap();
    let c = r[1].as_ref().unwrap();
    assert_eq!((c.new, c.clustered), (2, 2), "copies in one batch");
    let r = s.apply_refreshes(&[job(a, dated("c.example.cn", 200))]).unwrap();
    assert_eq!(r[0].as_ref().unwrap().clustered, 0, "nothing of its time to copy");
    let r = s.apply_refreshes(&[job(b, dated("d.example.cn", 200))]).unwrap();
    assert_eq!(r[0].as_ref().unwrap().clustered, 2, "copies in the next batch");
}

/// The status page's counts are of distinct items: one carried by two
/// feeds of a category counts once there, and once in each category
/// of its feeds; items of feeds no longer configured are not in `all`.
#[test]
fn status_counts_items_once() {
    let dir = tempfile::tempdir().unwrap();
    let feed = |host: &str, cats: &str| {
        format!("[[feed]]\nurl = \"http://{host}/feed.xml\"\ncategories = [{cats}]\n")
    };
    let head = "[storage]\ndatabase = \"h.db\"\n[[category]]\nid = \"c\"\ntitle = \"c\"\n\
                [[category]]\nid = \"d\"\ntitle = \"d\"\n";
    let text = [
        head.to_string(),
        feed("a.example.cn", "\"c\""),
        feed("b.example.cn", "\"c\""),
        feed("e.example.cn", "\"d\""),
        feed("g.example.cn", "\"c\", \"d\""),
        feed("old.example.cn", "\"d\""),
    ]
    .concat();
    let cfg = Config::parse(&text, &dir.path().join("huiju.toml")).unwrap();
    let mut s = Store::open(&dir.path().join("h.db")).unwrap();
    s.sync_config(&cfg).unwrap();
    let id = |s: &Store, host: &str| {
        s.feed_state(&format!("http://{host}/feed.xml"))
            .unwrap()
            .unwrap()
            .id
    };
    let (a, b, e, g, old) = (
        id(&s, "a.example.cn"),
        id(&s, "b.example.cn"),
        id(&s, "e.example.cn"),
        id(&s, "g.example.cn"),
        id(&s, "old.example.cn"),
    );
    // Feeds a, b and e carry the same two items (same links); g two of
    // its own; the feed that leaves the config two more.
    let jobs = [
        job(a, items("a.example.cn")),
        job(b, items("a.example.cn")),
        job(e, items("a.example.cn")),
        job(g, items("g.example.cn")),
        job(old, items("old.example.cn")),
    ];
    for r in s.apply_refreshes(&jobs).unwrap() {
        r.unwrap();
    }
    assert_eq!(s.item_count().unwrap(), 6);
    let status = s.status().unwrap();
    let counts = &status.categories;
    assert_eq!((counts["c"], counts["d"], counts["all"]), (4, 6, 6));
    let items: Vec<i64> = status.feeds.iter().map(|f| f.items).collect();
    assert_eq!(items, [2, 2, 2, 2, 2], "a, b, e, g, old by URL");
    let cfg = Config::parse(
        &text.replace(&feed("old.example.cn", "\"d\""), ""),
        &dir.path().join("huiju.toml"),
    )
    .unwrap();
    s.sync_config(&cfg).unwrap();
    let status = s.status().unwrap();
    let counts = &status.categories;
    assert_eq!((counts["c"], counts["d"], counts["all"]), (4, 4, 4));
    assert_eq!(status.feeds.len(), 4, "only active feeds are listed");
}

/// Output feeds list items newest first, ties by id, by walking
/// `items_sort` (keyed by time alone since migration 6): never by
/// sorting the category, which at a million items took seconds.
#[test]
fn listings_walk_the_time_index_without_sorting() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(&dir.path().join("h.db")).unwrap();
    s.conn
        .execute_batch(
            "INSERT INTO feeds (id, url) VALUES (1, 'http://a.example.cn/');
             INSERT INTO items (id, origin_feed, guid, title, first_seen, sort_time, content_hash)
             VALUES (1, 1, 'a', 't', 0, 100, 0), (2, 1, 'b', 't', 0, 300, 0),
                    (3, 1, 'c', 't', 0, 100, 0), (4, 1, 'd', 't', 0, 200, 0);",
        )
        .unwrap();
    let sql = "SELECT x.id FROM items x ORDER BY x.sort_time DESC, x.id DESC LIMIT 10";
    let plan: Vec<String> = s
        .conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap()
        .query_map([], |r| r.get(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let plan = plan.join("\n");
    assert!(
        plan.contains("items_sort") && !plan.contains("TEMP B-TREE"),
        "{plan}"
    );
    let order: Vec<i64> = s
        .conn
        .prepare(sql)
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(order, [2, 4, 3, 1]);
}

/// A database at schema version `version` with one feed, item 7 and
/// the rows `sql` adds, at `path`.
fn old_database(path: &Path, version: usize, sql: &str) {
    let mut c = Connection::open(path).unwrap();
    Migrations::new(migrations()[..version].to_vec())
        .to_latest(&mut c)
        .unwrap();
    c.execute_batch(&format!(
        "INSERT INTO feeds (id, url) VALUES (1, 'http://a.example.cn/');
         INSERT INTO items (id, origin_feed, guid, title, first_seen, sort_time, content_hash)
             VALUES (7, 1, 'g', 't', 100, 100, 0);
         {sql}"
    ))
    .unwrap();
}

/// Migration 7 marks the clusters of a database that has some for a
/// check with the current rule.
#[test]
fn clusters_of_an_earlier_rule_are_marked_for_a_recheck() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    old_database(
        &path,
        6,
        "INSERT INTO clusters (id, rep_item, entry_guid, created) VALUES (1, 7, 'g', 100);",
    );
    assert!(Store::open(&path).unwrap().clusters_predate_rule().unwrap());
    let fresh = Store::open(&dir.path().join("new.db")).unwrap();
    assert!(
        !fresh.clusters_predate_rule().unwrap(),
        "a new database has nothing to check"
    );
}

/// Migration 3 moves the LSH rows of a version-2 database into prints.
#[test]
fn lsh_rows_become_prints() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    old_database(
        &path,
        2,
        "INSERT INTO lsh VALUES (11, 100, 7), (4294967295, 100, 7);",
    );
    let s = Store::open(&path).unwrap();
    let (t, blob): (i64, Vec<u8>) = s
        .conn
        .query_row("SELECT t, keys FROM prints WHERE item_id = 7", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(t, 100);
    let mut keys = band_index::blob_to_keys(&blob);
    keys.sort();
    assert_eq!(keys, vec![11, u32::MAX]);
    let lsh: i64 = s
        .conn
        .query_row("SELECT count(*) FROM sqlite_master WHERE name = 'lsh'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(lsh, 0);
}

/// The indexer takes in the items a database held before search (or
/// before its index file was deleted).
#[test]
fn the_search_index_is_built_for_stored_items() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    old_database(
        &path,
        9,
        "INSERT INTO feed_categories (category, feed_id) VALUES ('c', 1);
         INSERT INTO item_feeds (item_id, feed_id) VALUES (7, 1);
         UPDATE items SET title = '蘇州工會召開大會', summary = '<p>本報訊</p>' WHERE id = 7;",
    );
    let mut s = Store::open(&path).unwrap();
    assert!(
        s.category_items("c", 10, Some("苏州"), None).unwrap().is_empty(),
        "not yet"
    );
    assert_eq!(s.index_search_all().unwrap(), 1);
    assert_eq!(s.category_items("c", 10, None, None).unwrap().len(), 1);
    for q in ["苏州", "工会", "苏州工会", "本报"] {
        let found = s.category_items("c", 10, Some(q), None).unwrap();
        assert_eq!(found.len(), 1, "{q}");
    }
    assert!(s.category_items("c", 10, Some("南京"), None).unwrap().is_empty());
}

/// The index follows changes and deletions: a changed item is found by
/// its new words, not its old; a deleted one is not found; an id SQLite
/// gives again after the newest item was deleted is indexed anew.
#[test]
fn the_search_index_follows_changed_and_deleted_items() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, a, _) = store_with_feeds(dir.path());
    s.apply_refreshes(&[job(a, items("a.example.cn"))]).unwrap();
    s.index_search_all().unwrap();
    let found = |s: &Store, q: &str| -> Vec<String> {
        s.category_items("c", 10, Some(q), None)
            .unwrap()
            .into_iter()
            .map(|i| i.title)
            .collect()
    };
    assert_eq!(found(&s, "蓝藻"), ["太湖蓝藻监测"]);
    // The source changes the story's text.
    let mut changed = items("a.example.cn");
    changed[1].summary = Some("太湖水质监测站报告本周水质优良。".into());
    changed[1].content_hash ^= 1;
    let c = s
        .apply_refreshes(&[job(a, changed)])
        .unwrap()
        .pop()
        .unwrap()
        .unwrap();
    assert_eq!(c.updated, 1);
    s.index_search_all().unwrap();
    assert!(found(&s, "蓝藻密度").is_empty());
    assert_eq!(found(&s, "水质优良"), ["太湖蓝藻监测"]);
    // The newest item goes; a new item takes its id.
    let newest: i64 = s
        .conn
        .query_row("SELECT MAX(id) FROM items", [], |r| r.get(0))
        .unwrap();
    s.conn
        .execute("DELETE FROM items WHERE id = ?1", [newest])
        .unwrap();
    super::search::mark_dirty(&s.conn, newest).unwrap();
    s.index_search_all().unwrap();
    assert!(found(&s, "水质优良").is_empty());
    let mut other = items("a.example.cn");
    other.truncate(1);
    other[0].title = "南通港口新航线".into();
    other[0].key = "url:http://a.example.cn/9.html".into();
    other[0].link_key = None;
    other[0].guid = "http://a.example.cn/9.html".into();
    s.apply_refreshes(&[job(a, other)]).unwrap();
    let id: i64 = s
        .conn
        .query_row("SELECT MAX(id) FROM items", [], |r| r.get(0))
        .unwrap();
    assert_eq!(id, newest, "SQLite gave the id again");
    s.index_search_all().unwrap();
    assert_eq!(found(&s, "南通"), ["南通港口新航线"]);
}

/// A category's newest items are the same whichever walk finds them: the
/// walk over every item, the sort of its feeds' items, and the walk over
/// the items rules routed in; routed items follow their item's date when
/// it changes.
#[test]
fn every_walk_finds_a_categorys_newest_items() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Config::parse(
        "[storage]\ndatabase = \"h.db\"\n\
         [[category]]\nid = \"big\"\ntitle = \"b\"\n[[category]]\nid = \"small\"\ntitle = \"s\"\n\
         [[category]]\nid = \"other\"\ntitle = \"o\"\n[[category]]\nid = \"routed\"\ntitle = \"r\"\n\
         [[feed]]\nurl = \"http://f1.example.cn/\"\ncategories = [\"big\", \"small\"]\n\
         [[feed]]\nurl = \"http://f2.example.cn/\"\ncategories = [\"big\"]\n\
         [[feed]]\nurl = \"http://f3.example.cn/\"\ncategories = [\"other\"]\n\
         [[feed]]\nurl = \"http://f4.example.cn/\"\ncategories = [\"other\"]\n",
        &dir.path().join("huiju.toml"),
    )
    .unwrap();
    let mut s = Store::open(&dir.path().join("h.db")).unwrap();
    s.sync_config(&cfg).unwrap();
    let feeds: Vec<i64> = (1..=4)
        .map(|n| {
            s.feed_state(&format!("http://f{n}.example.cn/"))
                .unwrap()
                .unwrap()
                .id
        })
        .collect();
    const N: i64 = 3000;
    let feed_of = |i: i64| feeds[(i % 4) as usize];
    // Dates with ties (three items per second), unlike the ids' order.
    let time_of = |i: i64| (i * 37) % 1000;
    let mut sql = String::from("BEGIN;");
    for i in 1..=N {
        let f = feed_of(i);
        sql.push_str(&format!(
            "INSERT INTO items (id, origin_feed, guid, title, first_seen, sort_time, content_hash)
             VALUES ({i}, {f}, 'g{i}', 't', 0, {}, 0);
             INSERT INTO item_feeds (item_id, feed_id) VALUES ({i}, {f});",
            time_of(i)
        ));
    }
    sql.push_str("COMMIT;");
    s.conn.execute_batch(&sql).unwrap();
    // What rules would have written: some of big's items taken out of it,
    // some of the other feeds' items routed into big and into routed.
    let routes = "INSERT INTO item_routes (item_id, feed_id, category, included, sort_time)
                  SELECT m.item_id, m.feed_id, ?1, ?2, i.sort_time FROM item_feeds m JOIN items i ON i.id = m.item_id
                  WHERE m.item_id % ?3 = 0 AND m.feed_id IN (SELECT value FROM json_each(?4))";
    let ids = |v: &[i64]| serde_json::to_string(v).unwrap();
    for (category, included, every, on) in [
        ("big", false, 7, ids(&feeds[..2])),
        ("big", true, 5, ids(&feeds[2..])),
        ("routed", true, 3, ids(&feeds)),
    ] {
        s.conn
            .execute(routes, params![category, included, every, on])
            .unwrap();
    }
    let expected = |s: &Store, category: &str, limit: usize| -> Vec<String> {
        let mut members: Vec<(i64, i64)> = (1..=N)
            .filter(|&i| {
                let own = feed_of(i) == feeds[0] || (category == "big" && feed_of(i) == feeds[1]);
                match category {
                    "big" => (own && i % 7 != 0) || (!own && i % 5 == 0),
                    "small" => own,
                    _ => i % 3 == 0,
                }
            })
            .map(|i| {
                let t: i64 = s
                    .conn
                    .query_row("SELECT sort_time FROM items WHERE id = ?1", [i], |r| r.get(0))
                    .unwrap();
                (t, i)
            })
            .collect();
        members.sort_unstable_by(|a, b| b.cmp(a));
        members.iter().take(limit).map(|(_, i)| format!("g{i}")).collect()
    };
    let check = |s: &Store, category: &str, limit: usize, walk: Option<OwnWalk>| {
        if let Some(walk) = walk {
            assert_eq!(
                s.own_walk(category, limit as i64).unwrap(),
                walk,
                "{category}, {limit}"
            );
        }
        let got: Vec<String> = s
            .category_items(category, limit, None, None)
            .unwrap()
            .into_iter()
            .map(|i| i.guid)
            .collect();
        assert_eq!(got, expected(s, category, limit), "{category}, {limit}");
    };
    check(&s, "big", 10, Some(OwnWalk::Items));
    check(&s, "big", 900, Some(OwnWalk::Feeds));
    check(&s, "small", 10, Some(OwnWalk::Items));
    check(&s, "small", 300, Some(OwnWalk::Feeds));
    check(&s, "routed", 20, Some(OwnWalk::Nothing));
    // A routed item redated to the newest: first in its category.
    s.conn
        .execute("UPDATE items SET sort_time = 5000 WHERE id = 9", [])
        .unwrap();
    check(&s, "routed", 20, None);
    assert_eq!(s.category_items("routed", 1, None, None).unwrap()[0].guid, "g9");
}
