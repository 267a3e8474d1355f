//! `huiju rules test`: where the config's rules (and rules given on the
//! command line) would put the stored items, against where they are now.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};

use super::emit;
use crate::config::{ALL, Config};
use crate::store::{RulesTest, Store, TestFeed};

/// The config at `path`, with `added` rules (`exclude = { … }`, a TOML
/// key and value) put into the category `category`, or with no category
/// into `[[exclude]]`.
fn config_with(path: &Path, category: Option<&str>, added: &[String]) -> anyhow::Result<Config> {
    if added.is_empty() {
        return Ok(Config::load(path)?);
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut doc: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} is not TOML", path.display()))?;
    for rule in added {
        let given: toml::Table =
            toml::from_str(rule).with_context(|| format!("--rule '{rule}': want a key and a rule, e.g. exclude = {{ field = \"title\", contains = [\"广告\"] }}"))?;
        for (key, value) in given {
            let target = match category {
                None if key == "exclude" => &mut doc,
                None => bail!(
                    "--rule '{rule}': without --category only exclude (a [[exclude]] rule) can be given"
                ),
                Some(id) => {
                    let categories = doc.get_mut("category").and_then(|c| c.as_array_mut());
                    let Some(table) = categories.into_iter().flatten().find_map(|c| {
                        c.as_table_mut()
                            .filter(|t| t.get("id").and_then(|v| v.as_str()) == Some(id))
                    }) else {
                        bail!("--category {id}: no such category in {}", path.display());
                    };
                    table
                }
            };
            // Arrays of rules grow; `from` (and anything else) is replaced.
            match (target.get_mut(&key), value) {
                (Some(toml::Value::Array(list)), toml::Value::Array(more)) if key != "from" => {
                    list.extend(more)
                }
                (Some(toml::Value::Array(list)), one @ toml::Value::Table(_)) => list.push(one),
                (_, one @ toml::Value::Table(_)) => {
                    target.insert(key, toml::Value::Array(vec![one]));
                }
                (_, other) => {
                    target.insert(key, other);
                }
            }
        }
    }
    let text = toml::to_string(&doc).context("cannot write the config with --rule back out")?;
    // Named so that positions in messages are not taken for the file's.
    let name = format!(
        "{} + --rule",
        path.file_name().map_or("config".into(), |n| n.to_string_lossy())
    );
    Ok(Config::parse(&text, &path.with_file_name(name))?)
}

/// `huiju rules test`.
pub(super) fn test(
    path: &Path,
    category: Option<&str>,
    added: &[String],
    limit: usize,
) -> anyhow::Result<ExitCode> {
    let cfg = config_with(path, category, added)?;
    if let Some(id) = category
        && id != ALL
        && cfg.category(id).is_none()
    {
        bail!("--category {id}: no such category in {}", path.display());
    }
    // Not synced with this config: the stored routes are what the running
    // daemon (or the last command) made, the "now" of the comparison.
    let store = Store::open(&cfg.database)?;
    let feeds: Vec<TestFeed> = cfg
        .feeds
        .iter()
        .map(|f| (f.url.to_string(), f.title.clone(), f.categories.clone()))
        .collect();
    let report = store
        .rules_test(&cfg.rules, &feeds)
        .with_context(|| format!("cannot read the items in {}", cfg.database.display()))?;
    emit(&format_test(&cfg, &report, category, limit))?;
    Ok(ExitCode::SUCCESS)
}

fn format_test(cfg: &Config, report: &RulesTest, only: Option<&str>, limit: usize) -> String {
    let mut out = String::new();
    let mut ids: Vec<(&str, &str)> = cfg
        .categories
        .iter()
        .map(|c| (c.id.as_str(), c.title.as_str()))
        .collect();
    ids.push((ALL, "every feed"));
    // Categories only the stored routes know (removed from the config).
    for id in report.counts.keys() {
        if !ids.iter().any(|(i, _)| i == id) {
            ids.push((id.as_str(), "not in the config"));
        }
    }
    let mut changes = 0;
    for (id, title) in ids {
        if only.is_some_and(|o| o != id) {
            continue;
        }
        let (before, after) = report.counts.get(id).copied().unwrap_or_default();
        let of: Vec<_> = report.changes.iter().filter(|c| c.category == id).collect();
        let (enter, leave) = (
            of.iter().filter(|c| c.enters).count(),
            of.iter().filter(|c| !c.enters).count(),
        );
        changes += of.len();
        let _ = writeln!(
            out,
            "{id} ({title}): {before} → {after} items (+{enter} −{leave})"
        );
        for c in of.iter().take(limit) {
            let _ = writeln!(
                out,
                "  {} {}  {}  {}",
                if c.enters { "+" } else { "−" },
                c.title,
                c.link.as_deref().unwrap_or("-"),
                c.why
            );
        }
        if of.len() > limit {
            let _ = writeln!(out, "  … and {} more (--limit)", of.len() - limit);
        }
    }
    let _ = writeln!(
        out,
        "dry run over {} stored items: {changes} changes; nothing changed (reload the daemon, or run any command, to apply)",
        report.items
    );
    out
}
