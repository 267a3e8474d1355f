//! One story, one item: copies from other outlets collapse into one entry.

use crate::support::{Env, FixtureServer, count};

const CATEGORIES: &str = "[[category]]\nid = \"jiangsu\"\ntitle = \"江苏资讯\"\n\n[[category]]\nid = \"suzhou\"\ntitle = \"苏州\"\n";

fn feed(url: &str, cats: &str, extra: &str) -> String {
    format!("\n[[feed]]\nurl = \"{url}\"\ncategories = [{cats}]\n{extra}")
}

#[test]
fn a_republished_story_is_one_entry_with_a_stable_id() {
    let srv = FixtureServer::start();
    srv.feed("/origin.rss", "story-origin.rss")
        .feed("/copy.rss", "story-copy.rss");
    let origin = feed(&srv.url("/origin.rss"), "\"jiangsu\"", "");
    let copy = feed(&srv.url("/copy.rss"), "\"suzhou\", \"jiangsu\"", "");
    let env = Env::new(&format!("{CATEGORIES}{origin}"));
    env.huiju(&["fetch"]).ok();
    let first = env.huiju(&["export", "jiangsu", "--format", "atom"]).ok().stdout;
    assert!(first.contains("<id>https://www.xhby.net/a/1.html</id>"));

    // The portal's copy arrives: new URL, suffixed headline, byline, boilerplate.
    env.write_config(&format!(
        "[storage]\ndatabase = \"huiju.db\"\n{CATEGORIES}{origin}{copy}"
    ));
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
    let apart = env
        .huiju(&["explain", "http://www.szdushi.com.cn/news/202304/161235.html"])
        .ok()
        .stdout;
    assert!(apart.contains("cluster:   none"), "{apart}");

    // A higher-priority feed represents the story; the id still stays.
    let copy_first = feed(
        &srv.url("/copy.rss"),
        "\"suzhou\", \"jiangsu\"",
        "priority = 10\n",
    );
    let cfg = format!("[storage]\ndatabase = \"huiju.db\"\n{CATEGORIES}{origin}{copy_first}");
    env.write_config(&cfg);
    env.huiju(&["fetch"]).ok();
    let fresh = tempfile::tempdir().unwrap();
    let env2 = Env { dir: fresh };
    env2.write_config(&format!(
        "[storage]\ndatabase = \"huiju.db\"\n{CATEGORIES}{origin}"
    ));
    env2.huiju(&["fetch"]).ok();
    env2.write_config(&format!(
        "[storage]\ndatabase = \"huiju.db\"\n{CATEGORIES}{origin}{copy_first}"
    ));
    env2.huiju(&["fetch"]).ok();
    let atom = env2.huiju(&["export", "jiangsu", "--format", "atom"]).ok().stdout;
    assert!(atom.contains("<id>https://www.xhby.net/a/1.html</id>"), "{atom}");
    assert!(
        atom.contains("<link href=\"http://www.szdushi.com.cn/news/202304/161234.html\" rel=\"alternate\""),
        "the priority feed's copy represents the story: {atom}"
    );

    // A category that shows every copy.
    let all_copies = cfg.replace("title = \"苏州\"\n", "title = \"苏州\"\ndedup = false\n");
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
    let off = all_copies.replace("[storage]", "[dedup]\nenabled = false\n\n[storage]");
    env.write_config(&off);
    let jiangsu = env.huiju(&["export", "jiangsu"]).ok().stdout;
    assert_eq!(
        count(&jiangsu, "汇聚磅礴“工力量”"),
        2,
        "dedup off shows every copy: {jiangsu}"
    );
}
