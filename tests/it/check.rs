//! `huiju check` and the bundled example config.

use std::path::Path;
use std::process::Command;

use crate::support::{ConfigText, Env, count, feedparser_entries, run};

/// One category with one feed.
fn good() -> ConfigText {
    ConfigText::new()
        .fetch("schedule", "0 */15 * * * *")
        .categories(&[("jiangsu", "江苏资讯")])
        .feed("https://www.example.com/rss.xml", &["jiangsu"])
}

#[test]
fn a_valid_config_prints_a_summary() {
    let env = Env::with(&good());
    let out = env.huiju(&["check"]).ok().stdout;
    assert!(
        out.contains("ok, 1 categories, 1 feeds, 0 host rules, database "),
        "{out}"
    );
    assert_eq!(out.lines().count(), 1);
}

/// Each broken config fails with `file:line:col: message`.
#[test]
fn broken_configs_name_file_line_and_problem() {
    // good() as literal bytes: the broken configs are edits of them, and
    // the line numbers their messages must name count these lines.
    const GOOD: &str = r#"[storage]
database = "huiju.db"

[fetch]
schedule = "0 */15 * * * *"

[[category]]
id = "jiangsu"
title = "江苏资讯"

[[feed]]
url = "https://www.example.com/rss.xml"
categories = ["jiangsu"]
"#;
    let cases: &[(&str, &str, &str)] = &[
        (
            GOOD.replace("[\"jiangsu\"]", "[\"sport\"]").leak(),
            ":13:",
            "names unknown category 'sport'",
        ),
        (
            GOOD.replace("0 */15 * * * *", "*/15 * * * *").leak(),
            ":5:",
            "needs 6, seconds first",
        ),
        (
            format!(
                "{GOOD}\n[[feed]]\nurl = \"https://www.example.com/rss.xml\"\ncategories = [\"jiangsu\"]\n"
            )
            .leak(),
            ":16:",
            "duplicate feed url",
        ),
        (
            format!("{GOOD}\n[[category]]\nid = \"jiangsu\"\ntitle = \"x\"\n").leak(),
            ":16:",
            "duplicate category id",
        ),
        (
            GOOD.replace("https://www.example.com/rss.xml", "htp:/x").leak(),
            ":12:",
            "scheme 'htp' is not supported",
        ),
        (
            format!("{GOOD}timezone = \"Mars/Olympus\"\n").leak(),
            ":14:",
            "unknown timezone 'Mars/Olympus'",
        ),
        (
            GOOD.replace("title = \"江苏资讯\"", "title = \"江苏资讯").leak(),
            ":9:",
            "",
        ),
    ];
    for (text, line, message) in cases {
        let env = Env::empty();
        env.write_config(text);
        let run = env.huiju(&["check"]);
        assert_eq!(run.code, 2, "{text}\n{run:?}");
        let expected_file = format!("{}{line}", env.config().display());
        assert!(
            run.stderr.contains(&expected_file),
            "expected {expected_file} in: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains(message),
            "expected '{message}' in: {}",
            run.stderr
        );
        assert_eq!(
            run.stderr.trim().lines().count(),
            1,
            "one-line message: {}",
            run.stderr
        );
    }
}

#[test]
fn config_comes_from_env_when_no_flag() {
    let env = Env::with(&good());
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_huiju"));
    cmd.arg("check").current_dir(env.dir.path());
    let mut cmd2 = Command::new(env!("CARGO_BIN_EXE_huiju"));
    cmd2.arg("check").current_dir(env.dir.path());
    // No flag, no env: config/huiju.toml relative to the working directory.
    let missing = run(cmd);
    assert_ne!(missing.code, 0);
    assert!(missing.stderr.contains("config/huiju.toml"), "{}", missing.stderr);
    let out = cmd2.env("HUIJU_CONFIG", env.config()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The README's first command, on a copy of the bundled example: offline,
/// every sample feed is read and the 江苏资讯 feed validates.
#[test]
fn the_example_config_aggregates_the_samples_offline() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().unwrap();
    let cfg_dir = tmp.path().join("config");
    std::fs::create_dir_all(cfg_dir.join("samples")).unwrap();
    std::fs::copy(root.join("config/huiju.toml"), cfg_dir.join("huiju.toml")).unwrap();
    for entry in std::fs::read_dir(root.join("config/samples")).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, cfg_dir.join("samples").join(p.file_name().unwrap())).unwrap();
    }
    let huiju = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_huiju"));
        cmd.current_dir(tmp.path()).args(args);
        run(cmd)
    };
    huiju(&["check"]).ok();
    let fetch = huiju(&["fetch"]).ok();
    assert!(fetch.stdout.contains("0 failed"), "{}", fetch.stdout);
    assert!(
        !fetch.stdout.contains(" 0 new"),
        "every sample has items: {}",
        fetch.stdout
    );
    assert!(
        tmp.path().join("data/huiju.db").exists(),
        "database beside the config's ../data"
    );
    let rss = huiju(&["export", "jiangsu"]).ok().stdout;
    assert!(rss.contains("<title>江苏资讯</title>"));
    assert!(count(&rss, "<item>") >= 6);
    assert!(feedparser_entries(&rss) >= 6);
    // The portal list page (kind = "html") and its article pages, read
    // from files: its copy of a 新华日报 story is merged into that story.
    assert!(
        fetch.stdout.contains("portal-jiangsu-list.html  8 new"),
        "{}",
        fetch.stdout
    );
    assert_eq!(
        count(&rss, "<title>大运河江苏段一批文旅融合项目集中开工</title>"),
        1,
        "{rss}"
    );
    assert!(rss.contains("Also reported by: <a href=\"file://"), "{rss}");
    assert!(
        rss.contains("四好农村路"),
        "article text from the sample page: {rss}"
    );
    let lvyou = huiju(&["export", "lvyou", "--format", "atom"]).ok().stdout;
    assert!(lvyou.contains("蘇州園林"), "Big5 sample decoded: {lvyou}");
    assert!(lvyou.contains("+08:00"), "GMT+8 dates: {lvyou}");
}

/// `import-opml`: a reader's export (no `version` attribute) becomes
/// `[[feed]]` entries; `--write` appends them only if the result is valid.
#[test]
fn import_opml_prints_and_appends_valid_config() {
    let opml = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/opml/reader-export.opml");
    let env = Env::with(&good());
    let original = std::fs::read_to_string(env.config()).unwrap();
    let printed = env.huiju(&["import-opml", opml.to_str().unwrap()]).ok().stdout;
    assert!(
        printed.contains("url = \"https://news.ycombinator.com/rss\""),
        "{printed}"
    );
    assert_eq!(
        count(
            &printed,
            "url = \"https://feeds.arstechnica.com/arstechnica/index\""
        ),
        1,
        "{printed}"
    );
    assert!(
        printed.contains("title = \"Tech News\""),
        "reader folders become categories: {printed}"
    );
    assert!(
        !printed.contains("title = \"江苏资讯\""),
        "a folder named like a category joins it: {printed}"
    );
    assert!(printed.contains("categories = [\"jiangsu\"]"), "{printed}");
    assert_eq!(
        original,
        std::fs::read_to_string(env.config()).unwrap(),
        "printing changes nothing"
    );

    let run = env
        .huiju(&["import-opml", "--write", opml.to_str().unwrap()])
        .ok();
    assert!(run.stdout.contains("added 7 feeds"), "{}", run.stdout);
    let check = env.huiju(&["check"]).ok().stdout;
    assert!(check.contains("8 feeds"), "{check}");
    // Importing again adds nothing new.
    let again = env.huiju(&["import-opml", opml.to_str().unwrap()]).ok().stdout;
    assert!(!again.contains("[[feed]]"), "{again}");

    // Not OPML: a clear error, and the config is untouched.
    let bad = env.dir.path().join("bad.opml");
    std::fs::write(&bad, "<rss><channel/></rss>").unwrap();
    let before = std::fs::read_to_string(env.config()).unwrap();
    let run = env.huiju(&["import-opml", "--write", bad.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("bad.opml"), "{}", run.stderr);
    assert_eq!(before, std::fs::read_to_string(env.config()).unwrap());
}
