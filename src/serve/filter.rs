//! The query parameters RSSHub users know, on every served feed:
//! `filter`, `filterout` (title or text), `filter_title`,
//! `filterout_title`, `filter_description`, `filterout_description`,
//! `filter_author`, `filterout_author` (regexes), `filter_time` (seconds)
//! and `brief=N` (the text cut to N characters).
//!
//! Decision: the regexes are rules (`rules::Rule`), matched as rules match,
//! on folded text, case-insensitively: `filter=蘇州` finds 苏州, as a
//! category rule would. RSSHub matches raw text; a reader who wants one
//! script only gets both, which on Chinese portals is what they meant.

use chrono::Utc;

use crate::ingest::text::html_to_text;
use crate::rules::{Field, Folded, ItemView, Rule, Rules, Test};
use crate::store::StoredItem;

/// The feed query's filter parameters, as given.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct FilterParams {
    filter: Option<String>,
    filterout: Option<String>,
    filter_title: Option<String>,
    filterout_title: Option<String>,
    filter_description: Option<String>,
    filterout_description: Option<String>,
    filter_author: Option<String>,
    filterout_author: Option<String>,
    /// Seconds (a string: `serde(flatten)` hands numbers over as text).
    filter_time: Option<String>,
    brief: Option<String>,
}

/// The parameters compiled; `None` of [`Filters::of`] when none is given.
pub(super) struct Filters {
    rules: Vec<Rule>,
    /// Only items dated within this many seconds.
    within: Option<u64>,
    brief: Option<usize>,
}

impl Filters {
    /// Compiles the parameters; `Err` names the one whose regex is bad.
    pub(super) fn of(p: &FilterParams) -> Result<Option<Filters>, String> {
        let mut rules = Vec::new();
        for (name, value, field, not) in [
            ("filter", &p.filter, Field::Text, false),
            ("filterout", &p.filterout, Field::Text, true),
            ("filter_title", &p.filter_title, Field::Title, false),
            ("filterout_title", &p.filterout_title, Field::Title, true),
            ("filter_description", &p.filter_description, Field::Content, false),
            (
                "filterout_description",
                &p.filterout_description,
                Field::Content,
                true,
            ),
            ("filter_author", &p.filter_author, Field::Author, false),
            ("filterout_author", &p.filterout_author, Field::Author, true),
        ] {
            let Some(pattern) = value.as_deref().filter(|v| !v.is_empty()) else {
                continue;
            };
            let test = Test::matches(pattern).map_err(|m| format!("{name}: {m}"))?;
            rules.push(Rule::new(field, test, not, name).map_err(|m| format!("{name}: {m}"))?);
        }
        let number = |name: &str, v: &Option<String>| -> Result<Option<u64>, String> {
            v.as_deref()
                .map(|t| {
                    t.trim()
                        .parse::<u64>()
                        .map_err(|_| format!("{name}: want a whole number, not '{t}'"))
                })
                .transpose()
        };
        let within = number("filter_time", &p.filter_time)?;
        let brief = number("brief", &p.brief)?.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        if rules.is_empty() && within.is_none() && brief.is_none() {
            return Ok(None);
        }
        Ok(Some(Filters { rules, within, brief }))
    }

    /// The items that pass, at most `limit`, cut short with `brief`.
    pub(super) fn apply(&self, items: Vec<StoredItem>, limit: usize, tz: chrono_tz::Tz) -> Vec<StoredItem> {
        let none = Rules::default();
        let feed = none.feed::<&str>("", None, &[]);
        let since = self
            .within
            .map(|s| Utc::now().timestamp() - i64::try_from(s).unwrap_or(i64::MAX / 2));
        let mut out = Vec::new();
        for mut item in items {
            if out.len() == limit {
                break;
            }
            if since.is_some_and(|t| item.date(tz).timestamp() < t) {
                continue;
            }
            let text = [item.summary.as_deref(), item.content.as_deref()]
                .into_iter()
                .flatten()
                .map(html_to_text)
                .collect::<Vec<_>>()
                .join("\n");
            let folded = Folded::new(ItemView {
                title: &item.title,
                content_text: &text,
                author: item.author.as_deref().unwrap_or(""),
                link: item.link.as_deref().unwrap_or(""),
                categories: &item.categories,
                published: item.published.map(|d| d.timestamp()),
                first_seen: item.first_seen.timestamp(),
            });
            if !self.rules.iter().all(|r| r.check(&folded, &feed).is_some()) {
                continue;
            }
            drop(folded);
            if let Some(n) = self.brief {
                let short: String = text.chars().take(n).collect();
                let cut = short.chars().count() < text.chars().count();
                let short = html_escape::encode_text(&short).into_owned();
                item.summary = Some(if cut { format!("{short}…") } else { short });
                item.content = None;
            }
            out.push(item);
        }
        out
    }
}
