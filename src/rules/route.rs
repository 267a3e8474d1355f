//! Routing: which categories an (item, feed) pair is in, and which rule
//! decided each.

use std::collections::HashMap;
use std::fmt;

use super::{Folded, Hit, Rule, fold};
use crate::config::ALL;

/// One `[[category]]`'s rules, as [`Rules::new`] takes them.
#[derive(Debug, Default)]
pub(crate) struct CategorySpec {
    pub(crate) id: String,
    pub(crate) include: Vec<Rule>,
    pub(crate) exclude: Vec<Rule>,
    /// Category ids, or `"all"`.
    pub(crate) from: Vec<String>,
    pub(crate) matches: Vec<Rule>,
}

/// One `[[feed]]`'s block rules.
#[derive(Debug)]
pub(crate) struct FeedSpec {
    /// The feed's URL as `Feed::url` writes it (`Url::as_str`).
    pub(crate) url: String,
    /// How messages name the feed: its title, or its URL as written.
    pub(crate) label: String,
    pub(crate) exclude: Vec<Rule>,
}

/// Where a category takes items from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Every feed's items (that no block rule stops).
    All,
    Category(usize),
}

#[derive(Debug)]
struct CategoryRules {
    id: String,
    include: Vec<Rule>,
    exclude: Vec<Rule>,
    from: Vec<Source>,
    matches: Vec<Rule>,
}

/// Every rule of a config, compiled: block rules, and per category its
/// include, exclude, from and match. Built once per config (load and
/// reload), shared behind an `Arc`.
#[derive(Debug, Default)]
pub struct Rules {
    /// `[[exclude]]`.
    global: Vec<Rule>,
    /// `[[feed]] exclude`, by feed URL.
    feeds: HashMap<String, Vec<Rule>>,
    /// In config order.
    categories: Vec<CategoryRules>,
    /// Indices into `categories`, each after the categories it takes
    /// items from.
    order: Vec<usize>,
}

/// Rules that cannot be routed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RulesError {
    #[error("category '{category}' takes items from unknown category '{name}'")]
    UnknownSource { category: String, name: String },
    #[error("category '{0}' has from but no match: say which of those items to take")]
    FromWithoutMatch(String),
    #[error(
        "category '{0}' has match but no from: say which categories to take items from (\"all\": every feed)"
    )]
    MatchWithoutFrom(String),
    /// The categories of the cycle, the first repeated at the end
    /// (`["suzhou", "suzhou"]`: a category routed into itself).
    #[error("{}", cycle_message(.0))]
    Cycle(Vec<String>),
}

fn cycle_message(path: &[String]) -> String {
    if path.len() == 2 {
        format!("category '{}' takes items from itself", path[0])
    } else {
        format!(
            "categories take items from each other in a cycle: {}",
            path.join(" → ")
        )
    }
}

impl Rules {
    /// Compiles the rules and names each rule's place (`[[exclude]] #1`,
    /// `[[feed]] 新华日报 exclude[0]`, `suzhou.match[0]`). `categories`
    /// must list every configured category, with or without rules.
    pub(crate) fn new(
        mut global: Vec<Rule>,
        feeds: Vec<FeedSpec>,
        categories: Vec<CategorySpec>,
    ) -> Result<Rules, RulesError> {
        for (i, r) in global.iter_mut().enumerate() {
            r.place = format!("[[exclude]] #{}", i + 1);
        }
        let mut by_url = HashMap::new();
        for mut f in feeds {
            if f.exclude.is_empty() {
                continue;
            }
            for (i, r) in f.exclude.iter_mut().enumerate() {
                r.place = format!("[[feed]] {} exclude[{i}]", f.label);
            }
            by_url.insert(f.url, f.exclude);
        }
        let index: HashMap<&str, usize> = categories
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str(), i))
            .collect();
        let mut sources = Vec::with_capacity(categories.len());
        for c in &categories {
            match (c.from.is_empty(), c.matches.is_empty()) {
                (false, true) => return Err(RulesError::FromWithoutMatch(c.id.clone())),
                (true, false) => return Err(RulesError::MatchWithoutFrom(c.id.clone())),
                _ => {}
            }
            let mut from = Vec::with_capacity(c.from.len());
            for s in &c.from {
                let source = match index.get(s.as_str()) {
                    _ if s == ALL => Source::All,
                    Some(&i) => Source::Category(i),
                    None => {
                        return Err(RulesError::UnknownSource {
                            category: c.id.clone(),
                            name: s.clone(),
                        });
                    }
                };
                if !from.contains(&source) {
                    from.push(source);
                }
            }
            sources.push(from);
        }
        let order = order(&categories, &sources)?;
        let categories = categories
            .into_iter()
            .zip(sources)
            .map(|(c, from)| {
                let name = |mut rules: Vec<Rule>, key: &str| {
                    for (i, r) in rules.iter_mut().enumerate() {
                        r.place = format!("{}.{key}[{i}]", c.id);
                    }
                    rules
                };
                CategoryRules {
                    include: name(c.include, "include"),
                    exclude: name(c.exclude, "exclude"),
                    matches: name(c.matches, "match"),
                    from,
                    id: c.id,
                }
            })
            .collect();
        Ok(Rules {
            global,
            feeds: by_url,
            categories,
            order,
        })
    }

    /// What the rules decide by, not where they are written (a rule moved
    /// to another line has the same digest): the store routes its items
    /// again when the digest changes.
    pub(crate) fn digest(&self) -> String {
        fn line(out: &mut String, r: &Rule) {
            out.push_str(r.place());
            out.push('\t');
            out.push_str(&r.description());
            out.push('\n');
        }
        let mut out = String::new();
        for r in &self.global {
            line(&mut out, r);
        }
        let mut urls: Vec<&String> = self.feeds.keys().collect();
        urls.sort();
        for url in urls {
            for r in &self.feeds[url] {
                out.push_str(url);
                line(&mut out, r);
            }
        }
        for c in &self.categories {
            out.push_str(&format!("{} from {:?}\n", c.id, c.from));
            for r in c.include.iter().chain(&c.exclude).chain(&c.matches) {
                line(&mut out, r);
            }
        }
        out
    }

    /// No rule anywhere: every item is in its feeds' categories.
    pub(crate) fn is_empty(&self) -> bool {
        self.global.is_empty()
            && self.feeds.is_empty()
            && self
                .categories
                .iter()
                .all(|c| c.include.is_empty() && c.exclude.is_empty() && c.matches.is_empty())
    }

    /// The category ids, in config order (the order of
    /// [`Routing::verdicts`]).
    pub(crate) fn category_ids(&self) -> impl Iterator<Item = &str> {
        self.categories.iter().map(|c| c.id.as_str())
    }

    /// A feed as the rules see it: its block rules, its own categories
    /// and its title and URL folded (for `field = "feed"`). Make one per
    /// feed and route all its items through it.
    pub(crate) fn feed<'r, S: AsRef<str>>(
        &'r self,
        url: &str,
        title: Option<&str>,
        categories: &[S],
    ) -> FeedRef<'r> {
        let own = self
            .categories
            .iter()
            .map(|c| categories.iter().any(|o| o.as_ref() == c.id))
            .collect();
        FeedRef {
            title: title.map(fold).unwrap_or_default(),
            url: fold(url),
            exclude: self.feeds.get(url).map_or(&[], Vec::as_slice),
            own,
        }
    }

    /// Where one (item, feed) pair goes. An item several feeds carry is in
    /// the union of its pairs: [`Routing::union`].
    pub(crate) fn route<'r>(&'r self, item: &Folded, feed: &FeedRef<'r>) -> Routing<'r> {
        let check = |rules: &'r [Rule]| rules.iter().find_map(|r| r.check(item, feed));
        let blocked = check(&self.global).or_else(|| check(feed.exclude));
        let mut verdicts = self.categories(item, feed);
        if let Some(hit) = blocked {
            // Blocked where it would have been: an explanation names the
            // block rule there, and says nothing of categories the item
            // was never for. Blocked items are few; routing them as well
            // costs little.
            for v in verdicts.iter_mut().filter(|v| v.is_in()) {
                *v = Verdict::Blocked(hit);
            }
        }
        Routing {
            rules: self,
            blocked,
            verdicts,
        }
    }

    /// Each category's verdict on a pair, block rules aside.
    fn categories<'r>(&'r self, item: &Folded, feed: &FeedRef<'r>) -> Vec<Verdict<'r>> {
        let check = |rules: &'r [Rule]| rules.iter().find_map(|r| r.check(item, feed));
        let mut verdicts = vec![Verdict::Absent; self.categories.len()];
        for &i in &self.order {
            let c = &self.categories[i];
            let mut verdict = match (feed.own[i], c.include.is_empty()) {
                (false, _) => Verdict::Absent,
                (true, true) => Verdict::Own,
                (true, false) => check(&c.include).map_or(Verdict::NotIncluded, Verdict::Included),
            };
            if !verdict.is_in()
                && let Some(from) = c.from.iter().find(|s| match s {
                    Source::All => true,
                    Source::Category(j) => verdicts[*j].is_in(),
                })
                && let Some(hit) = check(&c.matches)
            {
                let from = match from {
                    Source::All => ALL,
                    Source::Category(j) => self.categories[*j].id.as_str(),
                };
                verdict = Verdict::Routed { from, hit };
            }
            if verdict.is_in()
                && let Some(hit) = check(&c.exclude)
            {
                verdict = Verdict::Excluded(hit);
            }
            verdicts[i] = verdict;
        }
        verdicts
    }
}

/// The categories in an order where each comes after those in its
/// `from`, or the first cycle found.
fn order(categories: &[CategorySpec], sources: &[Vec<Source>]) -> Result<Vec<usize>, RulesError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        i: usize,
        sources: &[Vec<Source>],
        marks: &mut [Mark],
        path: &mut Vec<usize>,
        order: &mut Vec<usize>,
    ) -> Result<(), Vec<usize>> {
        match marks[i] {
            Mark::Done => return Ok(()),
            Mark::Open => {
                let start = path.iter().position(|&p| p == i).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(i);
                return Err(cycle);
            }
            Mark::New => {}
        }
        marks[i] = Mark::Open;
        path.push(i);
        for s in &sources[i] {
            if let Source::Category(j) = *s {
                visit(j, sources, marks, path, order)?;
            }
        }
        path.pop();
        marks[i] = Mark::Done;
        order.push(i);
        Ok(())
    }
    let mut marks = vec![Mark::New; categories.len()];
    let mut order = Vec::with_capacity(categories.len());
    for i in 0..categories.len() {
        visit(i, sources, &mut marks, &mut Vec::new(), &mut order).map_err(|cycle| {
            RulesError::Cycle(cycle.into_iter().map(|i| categories[i].id.clone()).collect())
        })?;
    }
    Ok(order)
}

/// A feed as the rules see it ([`Rules::feed`]).
#[derive(Debug, Clone)]
pub(crate) struct FeedRef<'r> {
    /// Folded.
    pub(super) title: String,
    /// Folded.
    pub(super) url: String,
    exclude: &'r [Rule],
    /// Per category (config order): one of the feed's own.
    own: Vec<bool>,
}

/// Whether a pair is in one category, and why.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Verdict<'r> {
    /// Its feed is not in the category, and no `from`/`match` took it.
    Absent,
    /// In: its feed is in the category, which has no include rules.
    Own,
    /// In: its feed is in the category, and this include rule matched.
    Included(Hit<'r>),
    /// In: it is in `from` (a category id or "all"), and this match rule
    /// matched.
    Routed { from: &'r str, hit: Hit<'r> },
    /// Out: its feed is in the category, but no include rule matched.
    NotIncluded,
    /// Out: one of the category's exclude rules matched.
    Excluded(Hit<'r>),
    /// Out: it would be in, but a `[[exclude]]` or its feed's `exclude`
    /// rule matched (which keeps it out of every category).
    Blocked(Hit<'r>),
}

impl<'r> Verdict<'r> {
    pub(crate) fn is_in(&self) -> bool {
        matches!(self, Verdict::Own | Verdict::Included(_) | Verdict::Routed { .. })
    }

    /// The rule that decided, if one did.
    #[cfg(test)]
    pub(crate) fn hit(&self) -> Option<Hit<'r>> {
        match *self {
            Verdict::Included(h)
            | Verdict::Routed { hit: h, .. }
            | Verdict::Excluded(h)
            | Verdict::Blocked(h) => Some(h),
            Verdict::Absent | Verdict::Own | Verdict::NotIncluded => None,
        }
    }
}

impl fmt::Display for Verdict<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Absent => f.write_str("not from its feeds"),
            Verdict::Own => f.write_str("own feed"),
            Verdict::Included(h) => write!(f, "included by {h}"),
            Verdict::Routed { from, hit } => write!(f, "included from {from} by {hit}"),
            Verdict::NotIncluded => f.write_str("own feed, but no include rule matched"),
            Verdict::Excluded(h) => write!(f, "excluded by {h}"),
            Verdict::Blocked(h) => write!(f, "blocked by {h}"),
        }
    }
}

/// Where an item goes: per category, whether it is in and why; and
/// whether a block rule keeps it out of everything, `all` included.
#[derive(Debug, Clone)]
pub(crate) struct Routing<'r> {
    rules: &'r Rules,
    /// The block rule that matched; `None`: the item is in `all`.
    pub(crate) blocked: Option<Hit<'r>>,
    /// Per category, in config order ([`Rules::category_ids`]).
    pub(crate) verdicts: Vec<Verdict<'r>>,
}

impl<'r> Routing<'r> {
    /// In the `all` feed: no block rule matched.
    pub(crate) fn in_all(&self) -> bool {
        self.blocked.is_none()
    }

    /// Every category with its verdict, in config order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&'r str, Verdict<'r>)> + '_ {
        self.rules.category_ids().zip(self.verdicts.iter().copied())
    }

    /// The ids of the categories the item is in.
    #[cfg(test)]
    pub(crate) fn ids(&self) -> impl Iterator<Item = &'r str> + '_ {
        self.iter().filter(|(_, v)| v.is_in()).map(|(id, _)| id)
    }

    #[cfg(test)]
    pub(crate) fn verdict(&self, category: &str) -> Option<Verdict<'r>> {
        self.iter().find(|(id, _)| *id == category).map(|(_, v)| v)
    }

    /// Adds the routing of another feed carrying the same item: it is in
    /// a category if one pair is, and in `all` if one pair is. A verdict
    /// that is in wins; among verdicts that are out, the first one that
    /// names a reason (not [`Verdict::Absent`]) is kept.
    pub(crate) fn union(&mut self, other: Routing<'r>) {
        debug_assert!(std::ptr::eq(self.rules, other.rules), "routings of one Rules");
        if other.blocked.is_none() {
            self.blocked = None;
        }
        for (mine, theirs) in self.verdicts.iter_mut().zip(other.verdicts) {
            if !mine.is_in() && (theirs.is_in() || matches!(mine, Verdict::Absent)) {
                *mine = theirs;
            }
        }
    }
}
