//! Rules: which items a category shows, by what the items say (issue 26).
//!
//! A rule is one field of an item, one test on it and maybe `not`:
//! `{ field = "text", contains = ["苏州", "昆山"] }`,
//! `{ field = "link", matches = "/zt/" }`, `{ field = "age", older_than =
//! "30d" }`. Tests run on folded text (full-width to half-width,
//! Traditional to Simplified, lower case: the near-duplicate step's
//! [`fold`]), so `蘇州` and `苏州` match alike.
//!
//! [`Rules`] routes an (item, feed) pair to categories: block rules first
//! (`[[exclude]]`, a `[[feed]]`'s `exclude`), then per category its own
//! feeds' items through `include`, the items of the categories in `from`
//! through `match`, and last `exclude`. Every decision names the rule that
//! made it ([`Hit`]), for `huiju explain` and `huiju rules test`.
//!
//! Pure: no I/O and no TOML. `config.rs` reads the rules and reports
//! mistakes as `file:line:col`; the store applies them to fresh and stored
//! items alike.

mod route;
#[cfg(test)]
mod tests;

pub(crate) use route::*;

use std::cell::OnceCell;
use std::fmt;
use std::time::Duration;

use aho_corasick::AhoCorasick;
use regex::{Regex, RegexBuilder};

use crate::neardup::fold;

/// What a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Title,
    /// Summary and content, as plain text.
    Content,
    /// Title or content.
    Text,
    Author,
    Link,
    /// The item's own categories, as its source gives them.
    Category,
    /// The feed's title or its URL.
    Feed,
    /// How old the item was when huiju first saw it.
    Age,
}

impl Field {
    /// Every field, as the config spells it.
    pub(crate) const NAMES: [&'static str; 8] = [
        "title", "content", "text", "author", "link", "category", "feed", "age",
    ];
    const ALL: [Field; 8] = [
        Field::Title,
        Field::Content,
        Field::Text,
        Field::Author,
        Field::Link,
        Field::Category,
        Field::Feed,
        Field::Age,
    ];

    pub(crate) fn parse(name: &str) -> Option<Field> {
        Field::NAMES
            .iter()
            .position(|n| *n == name)
            .map(|i| Field::ALL[i])
    }

    pub(crate) fn name(self) -> &'static str {
        Field::NAMES[self as usize]
    }
}

/// A rule's one test.
pub(crate) enum Test {
    /// Any of the words (folded once, here).
    Contains {
        /// As written, for messages.
        words: Vec<String>,
        finder: AhoCorasick,
    },
    Matches {
        /// As written, for messages.
        pattern: String,
        regex: Regex,
    },
    /// `age` only.
    OlderThan {
        /// As written (`"30d"`), for messages.
        written: String,
        secs: i64,
    },
}

impl Test {
    /// `contains = [...]`: any of `words`. None may be empty, nor the list.
    pub(crate) fn contains(words: Vec<String>) -> Result<Test, String> {
        if words.is_empty() {
            return Err("contains needs at least one word".to_string());
        }
        if words.iter().any(|w| w.trim().is_empty()) {
            return Err("contains has an empty word (it would match every item)".to_string());
        }
        let folded: Vec<String> = words.iter().map(|w| fold(w)).collect();
        let finder = AhoCorasick::new(&folded).map_err(|e| format!("contains: {e}"))?;
        Ok(Test::Contains { words, finder })
    }

    /// `matches = "..."`: a regex (the `regex` crate: linear time). The
    /// error is the regex crate's own message, on one line.
    pub(crate) fn matches(pattern: &str) -> Result<Test, String> {
        // Decision: the text is folded, so the pattern must be too, but
        // folding lower-cases ASCII and would turn `\D` into `\d` (`\W`,
        // `\S`, `\B`, `\P{..}` alike). So only the pattern's non-ASCII
        // characters are folded, each run as a whole (some Traditional
        // characters convert by their neighbours) and escaped (full-width
        // `（` folds to `(`, a literal in the folded text); ASCII case is
        // left to the regex, built case-insensitive.
        let regex = RegexBuilder::new(&fold_pattern(pattern))
            .case_insensitive(true)
            .build()
            .map_err(|e| regex_message(&e))?;
        Ok(Test::Matches {
            pattern: pattern.to_string(),
            regex,
        })
    }

    /// `older_than = "30d"` (`written`, read by config as `age`).
    pub(crate) fn older_than(written: &str, age: Duration) -> Test {
        Test::OlderThan {
            written: written.to_string(),
            secs: i64::try_from(age.as_secs()).unwrap_or(i64::MAX),
        }
    }

    /// The config key of this test.
    pub(crate) fn key(&self) -> &'static str {
        match self {
            Test::Contains { .. } => "contains",
            Test::Matches { .. } => "matches",
            Test::OlderThan { .. } => "older_than",
        }
    }
}

impl fmt::Debug for Test {
    /// As written: the automaton and the compiled regex say nothing more.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Test::Contains { words, .. } => f.debug_tuple("Contains").field(words).finish(),
            Test::Matches { pattern, .. } => f.debug_tuple("Matches").field(pattern).finish(),
            Test::OlderThan { written, .. } => f.debug_tuple("OlderThan").field(written).finish(),
        }
    }
}

/// `pattern` with each run of non-ASCII characters folded and escaped.
fn fold_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while !rest.is_empty() {
        let ascii = rest.find(|c: char| !c.is_ascii()).unwrap_or(rest.len());
        out.push_str(&rest[..ascii]);
        rest = &rest[ascii..];
        let run = rest.find(|c: char| c.is_ascii()).unwrap_or(rest.len());
        out.push_str(&regex::escape(&fold(&rest[..run])));
        rest = &rest[run..];
    }
    out
}

/// The regex crate's message without its drawing of the pattern: the
/// `error: ...` line of a syntax error, else the whole message.
fn regex_message(e: &regex::Error) -> String {
    let text = e.to_string();
    let message = text
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error:"))
        .unwrap_or(&text);
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One rule, with where it was written (for messages).
#[derive(Debug)]
pub(crate) struct Rule {
    field: Field,
    test: Test,
    not: bool,
    /// Its place among the rules (`suzhou.match[0]`); [`Rules::new`]
    /// names it.
    place: String,
    /// `huiju.toml:12:3`.
    location: String,
}

impl Rule {
    /// A rule at `location`; refuses a test the field cannot take.
    pub(crate) fn new(
        field: Field,
        test: Test,
        not: bool,
        location: impl Into<String>,
    ) -> Result<Rule, String> {
        let older = matches!(test, Test::OlderThan { .. });
        if older && field != Field::Age {
            return Err(format!(
                "older_than is for field = \"age\" only (this rule's field is \"{}\"; use contains or matches)",
                field.name()
            ));
        }
        if !older && field == Field::Age {
            return Err(format!(
                "field \"age\" takes older_than (e.g. older_than = \"30d\"), not {}",
                test.key()
            ));
        }
        Ok(Rule {
            field,
            test,
            not,
            place: String::new(),
            location: location.into(),
        })
    }

    pub(crate) fn place(&self) -> &str {
        &self.place
    }

    #[cfg(test)]
    pub(crate) fn location(&self) -> &str {
        &self.location
    }

    /// What the rule asks, in words: `title contains any of 推广, 广告`.
    pub(crate) fn description(&self) -> String {
        self.describe(None)
    }

    fn describe(&self, word: Option<usize>) -> String {
        let f = self.field.name();
        match (&self.test, self.not) {
            (Test::Contains { words, .. }, false) => match word.and_then(|w| words.get(w)) {
                Some(w) => format!("{f} contains {w}"),
                None if words.len() == 1 => format!("{f} contains {}", words[0]),
                None => format!("{f} contains any of {}", words.join(", ")),
            },
            (Test::Contains { words, .. }, true) if words.len() == 1 => {
                format!("{f} does not contain {}", words[0])
            }
            (Test::Contains { words, .. }, true) => format!("{f} contains none of {}", words.join(", ")),
            (Test::Matches { pattern, .. }, false) => format!("{f} matches {pattern}"),
            (Test::Matches { pattern, .. }, true) => format!("{f} does not match {pattern}"),
            (Test::OlderThan { written, .. }, false) => format!("{f} older than {written}"),
            (Test::OlderThan { written, .. }, true) => format!("{f} not older than {written}"),
        }
    }

    /// Whether the rule holds for `item` seen through `feed`; the hit
    /// names the word that matched, if one did.
    pub(crate) fn check<'r>(&'r self, item: &Folded, feed: &FeedRef) -> Option<Hit<'r>> {
        let found: Option<Option<usize>> = match &self.test {
            Test::Contains { finder, .. } => self.texts(item, feed, |t| {
                finder.find(t).map(|m| Some(m.pattern().as_usize()))
            }),
            Test::Matches { regex, .. } => self.texts(item, feed, |t| regex.is_match(t).then_some(None)),
            // Decision: rules are applied again to stored items (on every
            // reload), so `age` must not depend on when they run, or a
            // category would empty as its items grow old. It is how old
            // the item was when huiju first saw it, `first_seen −
            // published`: `older_than = "30d"` keeps a new feed's archive
            // out and leaves today's news in for good. No published date:
            // age 0, never older.
            Test::OlderThan { secs, .. } => item
                .view
                .published
                .is_some_and(|p| item.view.first_seen.saturating_sub(p) > *secs)
                .then_some(None),
        };
        match (found, self.not) {
            (Some(word), false) => Some(Hit { rule: self, word }),
            (None, true) => Some(Hit {
                rule: self,
                word: None,
            }),
            _ => None,
        }
    }

    /// The first `Some` of `test` on the texts of the rule's field.
    fn texts<T>(&self, item: &Folded, feed: &FeedRef, test: impl Fn(&str) -> Option<T>) -> Option<T> {
        match self.field {
            Field::Title => test(item.title()),
            Field::Content => test(item.content()),
            // Each on its own: no joined copy, and `^` anchors at the
            // start of either.
            Field::Text => test(item.title()).or_else(|| test(item.content())),
            Field::Author => test(item.author()),
            Field::Link => test(item.link()),
            Field::Category => item.categories().iter().find_map(|c| test(c)),
            Field::Feed => test(&feed.title).or_else(|| test(&feed.url)),
            Field::Age => None,
        }
    }
}

/// A rule that held, and the word that matched (a `contains` rule).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit<'r> {
    pub(crate) rule: &'r Rule,
    word: Option<usize>,
}

impl fmt::Display for Hit<'_> {
    /// `suzhou.match[0] text contains 苏州 (huiju.toml:58:3)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.rule;
        write!(f, "{} {} ({})", r.place, r.describe(self.word), r.location)
    }
}

/// An item as the rules see it, from a fresh item or a stored row.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ItemView<'a> {
    pub(crate) title: &'a str,
    /// Summary and content as plain text (one string, any separator).
    pub(crate) content_text: &'a str,
    /// Empty when there is none.
    pub(crate) author: &'a str,
    pub(crate) link: &'a str,
    /// The item's own categories, from its source.
    pub(crate) categories: &'a [String],
    /// Unix seconds.
    pub(crate) published: Option<i64>,
    /// When huiju first stored it (for a fresh item: now), unix seconds.
    pub(crate) first_seen: i64,
}

/// An [`ItemView`] and its fields folded on first use, each once: one
/// `Folded` serves every rule and every feed that carries the item.
#[derive(Debug, Default)]
pub(crate) struct Folded<'a> {
    view: ItemView<'a>,
    title: OnceCell<String>,
    content: OnceCell<String>,
    author: OnceCell<String>,
    link: OnceCell<String>,
    categories: OnceCell<Vec<String>>,
}

impl<'a> Folded<'a> {
    pub(crate) fn new(view: ItemView<'a>) -> Folded<'a> {
        Folded {
            view,
            ..Folded::default()
        }
    }

    #[cfg(test)]
    pub(crate) fn view(&self) -> &ItemView<'a> {
        &self.view
    }

    fn title(&self) -> &str {
        self.title.get_or_init(|| fold(self.view.title))
    }

    fn content(&self) -> &str {
        self.content.get_or_init(|| fold(self.view.content_text))
    }

    fn author(&self) -> &str {
        self.author.get_or_init(|| fold(self.view.author))
    }

    fn link(&self) -> &str {
        self.link.get_or_init(|| fold(self.view.link))
    }

    fn categories(&self) -> &[String] {
        self.categories
            .get_or_init(|| self.view.categories.iter().map(|c| fold(c)).collect())
    }
}
