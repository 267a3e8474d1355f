//! One story, one item: copies from other outlets collapse into one entry.

use std::collections::HashMap;

use crate::common::{self, corpus};
use crate::support::{ConfigText, Env, FeedText, FixtureServer, Route, count};

const CATEGORIES: &[(&str, &str)] = &[("jiangsu", "江苏资讯"), ("suzhou", "苏州")];

#[test]
fn a_republished_story_is_one_entry_with_a_stable_id() {
    let srv = FixtureServer::start();
    srv.feed("/origin.rss", "story-origin.rss")
        .feed("/copy.rss", "story-copy.rss");
    let copy = srv.url("/copy.rss");
    let origin = ConfigText::new()
        .categories(CATEGORIES)
        .feed(&srv.url("/origin.rss"), &["jiangsu"]);
    let env = Env::with(&origin);
    env.huiju(&["fetch"]).ok();
    let first = env.huiju(&["export", "jiangsu", "--format", "atom"]).ok().stdout;
    assert!(first.contains("<id>https://www.xhby.net/a/1.html</id>"));

    // The portal's copy arrives: new URL, suffixed headline, byline, boilerplate.
    env.write_config(&origin.clone().feed(&copy, &["suzhou", "jiangsu"]));
    env.huiju(&["fetch"]).ok();
    let atom = env.huiju(&["export", "jiangsu", "--format", "atom"]).ok().stdout;
    assert_eq!(
        count(&atom, "汇聚磅礴“工力量”"),
        1,
        "one entry for the story: {atom}"
    );
    assert_eq!(count(&atom, "<entry>"), 2, "the other story stays: {atom}");
    assert!(atom.contains("全省职工职业技能大赛5月启动"));
    assert!(
        atom.contains("<id>https://www.xhby.net/a/1.html</id>"),
        "the id did not change"
    );
    assert!(atom.contains("rel=\"related\""), "{atom}");
    assert!(
        atom.contains("href=\"http://www.szdushi.com.cn/news/202304/161234.html\""),
        "{atom}"
    );
    assert!(atom.contains("Also reported by"), "{atom}");
    // In 苏州, where only the copy's feed is, the story shows once too.
    let suzhou = env.huiju(&["export", "suzhou"]).ok().stdout;
    assert_eq!(count(&suzhou, "汇聚磅礴“工力量”"), 1, "{suzhou}");

    // explain says which cluster and why.
    let why = env
        .huiju(&["explain", "http://www.szdushi.com.cn/news/202304/161234.html"])
        .ok()
        .stdout;
    assert!(
        why.contains("2 copies, shown as one entry with id https://www.xhby.net/a/1.html"),
        "{why}"
    );
    assert!(why.contains("[representative] 新华日报"), "{why}");
    assert!(why.contains("→ same story"), "{why}");
    assert!(why.contains("headline: the same"), "{why}");
    assert!(why.contains("shared, specific to these items: «"), "{why}");
    let apart = env
        .huiju(&["explain", "http://www.szdushi.com.cn/news/202304/161235.html"])
        .ok()
        .stdout;
    assert!(apart.contains("cluster:   none"), "{apart}");

    // A higher-priority feed represents the story; the id still stays.
    let cfg = origin
        .clone()
        .feed_text(FeedText::new(&copy, &["suzhou", "jiangsu"]).key("priority", 10));
    env.write_config(&cfg);
    env.huiju(&["fetch"]).ok();
    let env2 = Env::with(&origin);
    env2.huiju(&["fetch"]).ok();
    env2.write_config(&cfg);
    env2.huiju(&["fetch"]).ok();
    let atom = env2.huiju(&["export", "jiangsu", "--format", "atom"]).ok().stdout;
    assert!(atom.contains("<id>https://www.xhby.net/a/1.html</id>"), "{atom}");
    assert!(
        atom.contains("<link href=\"http://www.szdushi.com.cn/news/202304/161234.html\" rel=\"alternate\""),
        "the priority feed's copy represents the story: {atom}"
    );

    // A category that shows every copy.
    let all_copies = cfg.category_key("suzhou", "dedup", false);
    env.write_config(&all_copies);
    let suzhou = env.huiju(&["export", "suzhou"]).ok().stdout;
    assert_eq!(
        count(&suzhou, "汇聚磅礴“工力量”"),
        1,
        "only the copy is in 苏州's feeds: {suzhou}"
    );
    let jiangsu = env.huiju(&["export", "jiangsu"]).ok().stdout;
    assert_eq!(
        count(&jiangsu, "汇聚磅礴“工力量”"),
        1,
        "江苏资讯 still collapses: {jiangsu}"
    );
    let off = all_copies.dedup("enabled", false);
    env.write_config(&off);
    let jiangsu = env.huiju(&["export", "jiangsu"]).ok().stdout;
    assert_eq!(
        count(&jiangsu, "汇聚磅礴“工力量”"),
        2,
        "dedup off shows every copy: {jiangsu}"
    );
}

/// Serves `feeds` as RSS feeds `/f{i}.xml` and returns their URLs.
fn serve(srv: &FixtureServer, feeds: &[Vec<corpus::Doc>]) -> Vec<String> {
    let mut urls = Vec::new();
    for (i, docs) in feeds.iter().enumerate() {
        let entries: Vec<common::Entry> = docs.iter().cloned().map(common::Entry::from).collect();
        let path = format!("/f{i}.xml");
        srv.route(
            &path,
            Route::Body {
                bytes: common::rss(&format!("源{i}"), "http://example.cn/", &entries).into_bytes(),
                content_type: "application/xml",
                etag: None,
            },
        );
        urls.push(srv.url(&path));
    }
    urls
}

/// A config with these feeds in 江苏资讯.
fn jiangsu_feeds(urls: &[String]) -> ConfigText {
    urls.iter()
        .fold(ConfigText::new().categories(CATEGORIES), |cfg, url| {
            cfg.feed(url, &["jiangsu"])
        })
}

/// Each stored item's link and cluster.
fn clusters(env: &Env) -> HashMap<String, Option<i64>> {
    let db = rusqlite::Connection::open(env.dir.path().join("huiju.db")).unwrap();
    let mut stmt = db.prepare("SELECT link, cluster_id FROM items").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The merged groups: cluster → the stories (by the generator's labels) of
/// its members.
fn merged(stored: &HashMap<String, Option<i64>>, story: &HashMap<String, u64>) -> HashMap<i64, Vec<u64>> {
    let mut groups: HashMap<i64, Vec<u64>> = HashMap::new();
    for (link, cluster) in stored {
        if let Some(c) = cluster {
            groups.entry(*c).or_default().push(story[link]);
        }
    }
    groups
}

/// Regional template news at volume (union reports, project lists,
/// notices: whole boilerplate sentences in common, no two items the same
/// story), reports of one event by several outlets, and a few 新华日报
/// stories reposted by portals among them: every repost joins its story,
/// and nothing else is merged.
#[test]
fn template_news_at_volume_stays_apart_and_reposts_still_merge() {
    const FEEDS: usize = 40;
    const PER_FEED: usize = 500;
    let mut feeds: Vec<Vec<corpus::Doc>> = (0..FEEDS).map(|f| corpus::templated(11, f, PER_FEED)).collect();
    // Five outlets report the same 60 events, each its own way.
    feeds.extend((0..5).map(|f| corpus::same_event(12, f, 60)));
    // 40 agency stories, each reposted by one to three portals.
    let groups = corpus::syndicated(13, 40);
    for (g, docs) in groups.iter().enumerate() {
        for (r, d) in docs.iter().enumerate() {
            feeds[(g * 7 + r * 13) % FEEDS].push(d.clone());
        }
    }
    let story: HashMap<String, u64> = feeds
        .iter()
        .flatten()
        .map(|d| (d.link.clone(), d.story))
        .collect();
    let total: usize = feeds.iter().map(Vec::len).sum();
    assert!(total >= 20_000, "{total} items");

    let srv = FixtureServer::start();
    let env = Env::with(&jiangsu_feeds(&serve(&srv, &feeds)).fetch("items_per_feed", 1000));
    env.huiju(&["fetch"]).ok();
    let stored = clusters(&env);
    assert_eq!(stored.len(), total, "every item is stored");

    let groups_by_cluster = merged(&stored, &story);
    let false_merges: Vec<&Vec<u64>> = groups_by_cluster
        .values()
        .filter(|members| members.iter().any(|s| *s != members[0]))
        .collect();
    assert!(
        false_merges.is_empty(),
        "{} clusters join different stories, e.g. {:?}",
        false_merges.len(),
        false_merges.first()
    );
    // Each agency story is one cluster holding all its reposts.
    for docs in &groups {
        let ids: Vec<Option<i64>> = docs.iter().map(|d| stored[&d.link]).collect();
        assert!(
            ids[0].is_some() && ids.iter().all(|c| *c == ids[0]),
            "«{}» and its reposts: clusters {ids:?}",
            docs[0].title
        );
    }
    let in_clusters = stored.values().filter(|c| c.is_some()).count();
    let reposts: usize = groups.iter().map(Vec::len).sum();
    assert_eq!(
        in_clusters, reposts,
        "only the agency stories and their reposts are merged"
    );
}

/// Near misses and hard copies, each pair from two outlets: parts of a
/// series and one notice for several provinces stay apart; copies with
/// broken markup or a rewritten headline merge.
#[test]
fn series_notices_broken_markup_and_rewritten_headlines() {
    let pairs = corpus::adversarial(21, 120);
    let (a, b): (Vec<corpus::Doc>, Vec<corpus::Doc>) =
        pairs.iter().map(|(a, b, _)| (a.clone(), b.clone())).unzip();
    let srv = FixtureServer::start();
    let env = Env::with(&jiangsu_feeds(&serve(&srv, &[a, b])));
    env.huiju(&["fetch"]).ok();
    let stored = clusters(&env);
    let mut wrong = Vec::new();
    for (a, b, same) in &pairs {
        let (ca, cb) = (stored[&a.link], stored[&b.link]);
        let merged = ca.is_some() && ca == cb;
        if merged != *same {
            wrong.push(format!("{} / {} (same story: {same})", a.title, b.title));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} pairs misjudged: {wrong:#?}",
        wrong.len(),
        pairs.len()
    );
}

/// A database whose clusters an earlier rule made: template reports joined
/// to an agency story's cluster, and two of them in a cluster of their own.
/// `recluster --dry-run` shows what it would split and changes nothing;
/// `recluster` splits them out (they show again) and the story's cluster
/// keeps its id and its reposts.
#[test]
fn recluster_splits_what_an_earlier_rule_merged() {
    let groups = corpus::syndicated(31, 3);
    let reports = corpus::templated(32, 0, 200);
    let mut own = reports.clone();
    own.extend(groups.iter().map(|g| g[0].clone()));
    let reposts: Vec<corpus::Doc> = groups.iter().flat_map(|g| g[1..].iter().cloned()).collect();
    let srv = FixtureServer::start();
    let env = Env::with(&jiangsu_feeds(&serve(&srv, &[own, reposts])));
    env.huiju(&["fetch"]).ok();

    let db = rusqlite::Connection::open(env.dir.path().join("huiju.db")).unwrap();
    let cluster_of = |link: &str| -> Option<i64> {
        db.query_row("SELECT cluster_id FROM items WHERE link = ?1", [link], |r| {
            r.get(0)
        })
        .unwrap()
    };
    let story = cluster_of(&groups[0][0].link).expect("the reposts joined the story");
    let entry: String = db
        .query_row("SELECT entry_guid FROM clusters WHERE id = ?1", [story], |r| {
            r.get(0)
        })
        .unwrap();
    // What the earlier rule did.
    for d in &reports[0..2] {
        db.execute(
            "UPDATE items SET cluster_id = ?1, cluster_sim = 0.9 WHERE link = ?2",
            rusqlite::params![story, d.link],
        )
        .unwrap();
    }
    let false_cluster: i64 = db
        .query_row(
            "INSERT INTO clusters (rep_item, entry_guid, created)
             SELECT id, guid, 0 FROM items WHERE link = ?1 RETURNING id",
            [&reports[2].link],
            |r| r.get(0),
        )
        .unwrap();
    for d in &reports[2..4] {
        db.execute(
            "UPDATE items SET cluster_id = ?1, cluster_sim = 0.9 WHERE link = ?2",
            rusqlite::params![false_cluster, d.link],
        )
        .unwrap();
    }
    db.execute("UPDATE meta SET value = 1 WHERE key = 'dedup_rule'", [])
        .unwrap();
    let warned = env.huiju(&["fetch"]).ok().stderr;
    assert!(warned.contains("run `huiju recluster --dry-run`"), "{warned}");
    let hidden = env.huiju(&["export", "jiangsu", "--limit", "1000"]).ok().stdout;
    assert_eq!(count(&hidden, &reports[0].title), 0, "the earlier rule hides it");
    assert_eq!(count(&hidden, &reports[3].title), 0, "the earlier rule hides it");

    let dry = env.huiju(&["recluster", "--dry-run"]).ok().stdout;
    assert!(dry.contains("3 items would be split out of 2 clusters"), "{dry}");
    for d in [&reports[0], &reports[1], &reports[3]] {
        assert!(dry.contains(&d.title), "{dry}");
    }
    assert!(dry.contains("dry run: nothing changed"), "{dry}");
    assert_eq!(
        cluster_of(&reports[0].link),
        Some(story),
        "a dry run changes nothing"
    );

    let done = env.huiju(&["recluster"]).ok().stdout;
    assert!(done.contains("3 items split out of 2 clusters"), "{done}");
    let shown = env
        .huiju(&["export", "jiangsu", "--limit", "1000", "--format", "atom"])
        .ok()
        .stdout;
    for d in &reports[0..4] {
        assert_eq!(
            count(&shown, &format!("<title>{}</title>", d.title)),
            1,
            "{} shows again",
            d.title
        );
    }
    // The story keeps its entry and its reposts.
    assert_eq!(count(&shown, &format!("<id>{entry}</id>")), 1, "{shown}");
    for d in &groups[0] {
        assert_eq!(cluster_of(&d.link), Some(story), "{}", d.link);
    }
    let quiet = env.huiju(&["fetch"]).ok().stderr;
    assert!(!quiet.contains("huiju recluster"), "{quiet}");
    let again = env.huiju(&["recluster"]).ok().stdout;
    assert!(again.contains(" 0 items split"), "{again}");
    // explain shows what the template reports share, discounted as common.
    let why = env.huiju(&["explain", &reports[1].link]).ok().stdout;
    assert!(why.contains("cluster:   none"), "{why}");
    assert!(why.contains("→ different story"), "{why}");
    assert!(why.contains("shared, common in the window (discounted"), "{why}");
}

/// Reposts that arrive before their original, each with another paragraph
/// dropped, do not look like one another; the original, a copy of each,
/// brings them into one cluster when it arrives.
#[test]
fn an_original_arriving_after_its_reposts_brings_them_together() {
    let groups = corpus::syndicated(31, 12);
    let originals: Vec<corpus::Doc> = groups.iter().map(|g| g[0].clone()).collect();
    let reposts: Vec<corpus::Doc> = groups.iter().flat_map(|g| g[1..].iter().cloned()).collect();
    let srv = FixtureServer::start();
    let urls = serve(&srv, &[reposts, originals]);
    let env = Env::with(&jiangsu_feeds(&urls[..1]));
    env.huiju(&["fetch"]).ok();
    env.write_config(&jiangsu_feeds(&urls));
    env.huiju(&["fetch"]).ok();
    let stored = clusters(&env);
    for g in &groups {
        let ids: Vec<Option<i64>> = g.iter().map(|d| stored[&d.link]).collect();
        assert!(
            ids[0].is_some() && ids.iter().all(|c| *c == ids[0]),
            "«{}» and its reposts: clusters {ids:?}",
            g[0].title
        );
    }
}
