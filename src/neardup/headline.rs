//! How two headlines relate: the same, reworded, one token apart, parts
//! of a series, or different stories.

/// How two headlines relate, after tags and outlet suffixes are removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Headline {
    /// Equal, or one is the other with words left out (a shortened headline).
    Same,
    /// Alike but reworded.
    Similar,
    /// Equal but for one short token in the same place: a template filled
    /// for another place or subject (`甘肃：…须知` / `河北：…须知`), or a
    /// reworded verb (`召开` / `举行`). Only near-identical text decides.
    Substituted,
    /// A number or a part marker differs: another part of a series (`（上）`
    /// / `（下）`, `之一` / `之二`, `模块二` / `模块七`), another issue or
    /// another day's notice (both give figures, and neither's are all in
    /// the other's). Never the same story.
    Series,
    /// Little in common.
    Different,
}

impl Headline {
    pub fn describe(self) -> &'static str {
        match self {
            Headline::Same => "the same",
            Headline::Similar => "alike",
            Headline::Substituted => "one token differs (another place or subject?)",
            Headline::Series => "a figure or part marker differs: another part, issue or day",
            Headline::Different => "different",
        }
    }
}

/// Whether both headlines give figures and neither's figures are all in
/// the other's: another day's notice (`2月6日` / `4月20日`), another issue
/// (`第37期` / `第38期`). A copy keeps the figures of its headline; a
/// rewrite may add one (`今年` → `2023年`), which is still a subset.
pub(super) fn numbers_conflict(a: &str, b: &str) -> bool {
    fn figures(s: &str) -> Vec<&str> {
        let mut v: Vec<&str> = s
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .map(|n| n.trim_matches('.'))
            .filter(|n| !n.is_empty())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
    let (fa, fb) = (figures(a), figures(b));
    let within = |x: &[&str], y: &[&str]| x.iter().all(|n| y.binary_search(n).is_ok());
    !fa.is_empty() && !fb.is_empty() && !within(&fa, &fb) && !within(&fb, &fa)
}

/// Characters that number the parts of a series or the issues of a bulletin.
pub(super) fn is_ordinal(c: char) -> bool {
    c.is_ascii_digit() || "〇零一二三四五六七八九十百千两上中下甲乙丙丁ⅰⅱⅲⅳⅴⅵⅶⅷⅸⅹ".contains(c)
}

/// How headline `a` relates to `b` (both from [`story_title`]), given the
/// Jaccard overlap of their bigrams.
pub fn headline_relation(a: &str, b: &str, bigrams: f64) -> Headline {
    let (na, nb) = (a.chars().count(), b.chars().count());
    if a == b || (na >= 6 && nb >= 6 && (a.contains(b) || b.contains(a))) {
        return Headline::Same;
    }
    if numbers_conflict(a, b) {
        return Headline::Series;
    }
    // Characters before and after the difference, and the difference of each.
    let prefix = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let suffix = a
        .chars()
        .rev()
        .zip(b.chars().rev())
        .take(na.min(nb) - prefix)
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (na - prefix - suffix, nb - prefix - suffix);
    if ma > 0 && mb > 0 {
        // A number next to the difference belongs to it: `第37期` / `第38期`
        // differ in one digit, but the token is the whole number.
        let before = prefix.checked_sub(1).and_then(|i| a.chars().nth(i));
        let after = a.chars().nth(na - suffix);
        let digits_around =
            before.is_some_and(|c| c.is_ascii_digit()) || after.is_some_and(|c| c.is_ascii_digit());
        let ordinal = |s: &str, n: usize| s.chars().skip(prefix).take(n - prefix - suffix).all(is_ordinal);
        if ordinal(a, na) && ordinal(b, nb) && ((ma <= 4 && mb <= 4) || digits_around) {
            return Headline::Series;
        }
        let kept = prefix + suffix;
        if ma <= 4 && mb <= 4 && kept >= 4 && kept * 5 >= na.max(nb) * 3 {
            return Headline::Substituted;
        }
    } else if (prefix + suffix) * 5 >= na.min(nb) * 4 {
        // One adds words to the other (`今年` / `2023年` is a substitution).
        return Headline::Same;
    }
    if bigrams >= 0.5 {
        Headline::Similar
    } else {
        Headline::Different
    }
}
