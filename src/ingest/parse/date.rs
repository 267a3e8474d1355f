//! Dates as feeds really write them.
//!
//! RFC 822 with and without weekday or seconds, RFC 3339, and the forms
//! Chinese CMSs produce (`2023-04-15 10:09`, `2023/04/15 10:09:00`,
//! `2023年04月15日 10:09`). `CST` and `GMT+8` mean China Standard Time here
//! (chrono reads CST as US Central, 14 hours off). A date without an offset
//! is read in the feed's zone.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

/// Parses `raw`; `None` when nothing sensible can be read.
pub fn parse_date(raw: &str, tz: Tz) -> Option<DateTime<FixedOffset>> {
    if let Some(n) = numeric_local(raw.trim()) {
        return local(n, tz);
    }
    let s = normalize(raw, tz);
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(&s) {
        return Some(d);
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(&s) {
        return Some(d);
    }
    const WITH_OFFSET: &[&str] = &[
        "%Y-%m-%d %H:%M:%S%.f %z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M %z",
        "%Y-%m-%d %H:%M%z",
        "%Y-%m-%dT%H:%M%z",
        "%d %b %Y %H:%M:%S %z",
        "%d %b %Y %H:%M %z",
        "%d %B %Y %H:%M:%S %z",
        "%d %B %Y %H:%M %z",
        "%b %d %Y %H:%M:%S %z",
    ];
    for f in WITH_OFFSET {
        if let Ok(d) = DateTime::parse_from_str(&s, f) {
            return Some(d);
        }
    }
    const LOCAL: &[&str] = &[
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
        "%d %b %Y %H:%M:%S",
        "%d %b %Y %H:%M",
        "%d %B %Y %H:%M:%S",
        "%d %B %Y %H:%M",
    ];
    for f in LOCAL {
        if let Ok(n) = NaiveDateTime::parse_from_str(&s, f) {
            return local(n, tz);
        }
    }
    for f in ["%Y-%m-%d", "%d %b %Y", "%d %B %Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(&s, f) {
            return local(d.and_hms_opt(0, 0, 0)?, tz);
        }
    }
    // Unix seconds, as some APIs-turned-feeds write.
    if s.len() == 10 && s.bytes().all(|b| b.is_ascii_digit()) {
        let secs: i64 = s.parse().ok()?;
        return Some(
            DateTime::from_timestamp(secs, 0)?
                .with_timezone(&tz)
                .fixed_offset(),
        );
    }
    None
}

/// `2023-04-15 10:09[:00[.123]]` (or with `T`) and nothing more, the form
/// most Chinese CMSs write, read without the string rewriting and the
/// dozen format attempts below (which were a fifth of parsing a feed).
/// `None` for anything else, which then takes the general path; a unit
/// test checks that both paths agree.
fn numeric_local(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let d = b.get(r)?;
        d.iter()
            .all(u8::is_ascii_digit)
            .then(|| d.iter().fold(0, |n, c| n * 10 + u32::from(c - b'0')))
    };
    if b.len() < 16 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b' ' | b'T') || b[13] != b':' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)?;
    let (h, m) = (num(11..13)?, num(14..16)?);
    let (sec, nano) = match &b[16..] {
        [] => (0, 0),
        [b':', ..] if b.len() == 19 => (num(17..19)?, 0),
        [b':', _, _, b'.', frac @ ..] if (1..=9).contains(&frac.len()) => {
            let f = num(20..b.len())?;
            (num(17..19)?, f * 10u32.pow(9 - u32::try_from(frac.len()).ok()?))
        }
        _ => return None,
    };
    date.and_hms_nano_opt(h, m, sec, nano)
}

fn local(n: NaiveDateTime, tz: Tz) -> Option<DateTime<FixedOffset>> {
    // In a DST gap or fold, take the earlier reading rather than nothing.
    tz.from_local_datetime(&n).earliest().map(|d| d.fixed_offset())
}

/// Brings the many spellings to a few forms chrono reads.
fn normalize(raw: &str, tz: Tz) -> String {
    let mut s: String = raw
        .trim()
        .chars()
        .map(|c| match c {
            // Full-width digits, colon, plus, minus and space.
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '：' => ':',
            '＋' => '+',
            '－' | '−' => '-',
            '\u{3000}' | '\u{a0}' => ' ',
            _ => c,
        })
        .collect();

    // 2023年04月15日 10时09分 → 2023-04-15 10:09
    if s.contains('年') || s.contains('月') {
        s = s
            .replace("年", "-")
            .replace("月", "-")
            .replace("日", " ")
            .replace("号", " ")
            .replace(['时', '点'], ":")
            .replace("分", ":")
            .replace("秒", "");
        s = s.trim_end_matches(':').to_string();
    }
    for prefix in ["发布时间:", "发布时间", "时间:"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest.trim().to_string();
        }
    }
    // "北京时间" names the zone, wherever the feed is configured to be.
    if s.contains("北京时间") {
        s = format!("{} +0800", s.replace("北京时间", " ").trim());
    }
    // 2023/04/15 and 2023.04.15 → 2023-04-15 (only in the date part).
    if s.len() >= 8 && s.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
        let (date, rest) = s.split_at(s.find([' ', 'T']).unwrap_or(s.len()));
        s = format!("{}{}", date.replace(['/', '.'], "-"), rest);
    }
    // Drop a leading weekday: feeds get it wrong, and it adds nothing.
    if let Some(i) = s.find(',') {
        let head = s[..i].trim();
        if head.len() <= 9 && head.chars().all(|c| c.is_ascii_alphabetic()) {
            s = s[i + 1..].trim_start().to_string();
        }
    }
    s = zone_names(&s, tz);
    // Collapse runs of spaces.
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Rewrites zone names and `GMT+8` style offsets to `+0800`.
fn zone_names(s: &str, tz: Tz) -> String {
    let mut words: Vec<String> = s.split_whitespace().map(str::to_string).collect();
    let american = tz.name().starts_with("America/") || tz.name().starts_with("US/");
    for w in &mut words {
        let upper = w.to_ascii_uppercase();
        let replacement = match upper.as_str() {
            "CST" if american => Some("-0600".to_string()),
            "CST" | "CCT" | "BJT" | "HKT" | "AWST" | "SGT" => Some("+0800".to_string()),
            "JST" | "KST" => Some("+0900".to_string()),
            "UT" | "UTC" | "GMT" | "Z" => Some("+0000".to_string()),
            _ => gmt_offset(&upper),
        };
        if let Some(r) = replacement {
            *w = r;
        }
    }
    // "+08:00" as a separate word → "+0800" so %z and RFC 2822 both read it.
    if let Some(last) = words.last_mut()
        && last.len() == 6
        && (last.starts_with('+') || last.starts_with('-'))
        && last.as_bytes()[3] == b':'
    {
        last.remove(3);
    }
    words.join(" ")
}

/// `GMT+8`, `UTC+08:00`, `GMT-5` → `+0800`, `-0500`.
fn gmt_offset(w: &str) -> Option<String> {
    let rest = w.strip_prefix("GMT").or_else(|| w.strip_prefix("UTC"))?;
    let sign = rest.chars().next().filter(|c| *c == '+' || *c == '-')?;
    let body = &rest[1..];
    // Only digits and a colon: anything else is not an offset (and byte
    // arithmetic below must not split a multi-byte character; found by fuzzing).
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit() || b == b':') {
        return None;
    }
    let (h, m) = match body.split_once(':') {
        Some((h, m)) => (h, m),
        None if body.len() > 2 => body.split_at(body.len() - 2),
        None => (body, "0"),
    };
    let h: u32 = h.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    (h <= 14 && m < 60).then(|| format!("{sign}{h:02}{m:02}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Asia::Shanghai;

    fn p(s: &str) -> String {
        parse_date(s, Shanghai)
            .map(|d| d.to_rfc3339())
            .unwrap_or_else(|| "none".into())
    }

    #[test]
    fn chinese_cms_forms_are_read_in_the_feed_zone() {
        assert_eq!(p("2023-04-15 10:09"), "2023-04-15T10:09:00+08:00");
        assert_eq!(p("2023/04/15 10:09:00"), "2023-04-15T10:09:00+08:00");
        assert_eq!(p("2023年04月15日 10:09"), "2023-04-15T10:09:00+08:00");
        assert_eq!(p("2023年4月5日 9:09"), "2023-04-05T09:09:00+08:00");
        assert_eq!(p("2023年04月15日10时09分"), "2023-04-15T10:09:00+08:00");
        assert_eq!(p("２０２３－０４－１５　１０：０９"), "2023-04-15T10:09:00+08:00");
        assert_eq!(p("2023-04-15"), "2023-04-15T00:00:00+08:00");
        let tokyo = parse_date("2023-04-15 10:09", chrono_tz::Asia::Tokyo).unwrap();
        assert_eq!(tokyo.to_rfc3339(), "2023-04-15T10:09:00+09:00");
    }

    #[test]
    fn rfc822_variants() {
        assert_eq!(p("Sat, 15 Apr 2023 10:09:00 +0800"), "2023-04-15T10:09:00+08:00");
        assert_eq!(p("15 Apr 2023 10:09 +0800"), "2023-04-15T10:09:00+08:00");
        assert_eq!(p("Sat, 15 Apr 2023 02:09:00 GMT"), "2023-04-15T02:09:00+00:00");
        // A wrong weekday is ignored rather than losing the date.
        assert_eq!(p("Mon, 15 Apr 2023 10:09:00 +0800"), "2023-04-15T10:09:00+08:00");
        assert_eq!(p("Sat, 15 Apr 2023 10:09:00 +08:00"), "2023-04-15T10:09:00+08:00");
        assert_eq!(
            p("Saturday, 15 April 2023 10:09:00 +0800"),
            "2023-04-15T10:09:00+08:00"
        );
        assert_eq!(p("Sat, 15 Apr 2023 10:09:00"), "2023-04-15T10:09:00+08:00");
    }

    #[test]
    fn china_standard_time_names() {
        assert_eq!(p("Sat, 15 Apr 2023 10:09:00 CST"), "2023-04-15T10:09:00+08:00");
        assert_eq!(p("Fri, 14 Apr 2023 09:00:00 GMT+8"), "2023-04-14T09:00:00+08:00");
        assert_eq!(p("2023-04-15 10:09:00 GMT+08:00"), "2023-04-15T10:09:00+08:00");
        assert_eq!(p("北京时间 2023-04-15 10:09"), "2023-04-15T10:09:00+08:00");
        let tokyo = parse_date("2023-04-15 10:09 北京时间", chrono_tz::Asia::Tokyo).unwrap();
        assert_eq!(tokyo.to_rfc3339(), "2023-04-15T10:09:00+08:00");
        // A feed set to an American zone means US Central by CST.
        let chicago = parse_date("Sat, 15 Apr 2023 10:09:00 CST", chrono_tz::America::Chicago).unwrap();
        assert_eq!(chicago.to_rfc3339(), "2023-04-15T10:09:00-06:00");
    }

    #[test]
    fn rfc3339_and_iso() {
        assert_eq!(p("2023-04-15T10:09:00+08:00"), "2023-04-15T10:09:00+08:00");
        assert_eq!(p("2023-04-15T02:09:00Z"), "2023-04-15T02:09:00+00:00");
        assert_eq!(
            p("2023-04-15T10:09:00.123+08:00"),
            "2023-04-15T10:09:00.123+08:00"
        );
        assert_eq!(p("2023-04-15T10:09:00"), "2023-04-15T10:09:00+08:00");
        assert_eq!(p("2023-04-15 10:09:00+0800"), "2023-04-15T10:09:00+08:00");
    }

    #[test]
    fn fuzz_finding_gmt_followed_by_non_ascii_is_not_a_panic() {
        // fuzz/artifacts/decode_parse/crash-*: `GMT+8` followed by CJK text
        // made the offset parser split a character.
        assert_eq!(p("Sat, 15 Apr 2023 10:09:00 GMT+8躹剖"), "none");
        assert_eq!(p("GMT+8\u{FFFD}剖躹"), "none");
        assert_eq!(p("2023-04-15 10:09 UTC+08:00"), "2023-04-15T10:09:00+08:00");
    }

    /// The shortcut for `YYYY-MM-DD HH:MM[:SS[.f]]` reads what the general
    /// path reads, and leaves everything else to it.
    #[test]
    fn numeric_dates_read_as_the_general_path_reads_them() {
        let general = |s: &str| -> Option<NaiveDateTime> {
            let f = [
                "%Y-%m-%d %H:%M:%S%.f",
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%d %H:%M",
                "%Y-%m-%dT%H:%M",
            ];
            f.iter().find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        };
        let mut taken = 0;
        for date in [
            "2023-04-15",
            "2024-02-29",
            "2023-02-29",
            "2023-13-01",
            "2023-4-15",
            "2023/04/15",
            "０２３-04-15",
        ] {
            for sep in [" ", "T", "  ", "t"] {
                for time in [
                    "10:09",
                    "23:59:59",
                    "00:00:00.5",
                    "10:09:00.123456789",
                    "10:09:00.1234567890",
                    "24:00",
                    "10:60",
                    "10:09:60",
                    "9:09",
                    "10:09:5",
                    "10:09:00.",
                    "10:09:00+08:00",
                    "10:09 CST",
                    "10:09:00Z",
                ] {
                    let s = format!("{date}{sep}{time}");
                    if let Some(n) = numeric_local(&s) {
                        taken += 1;
                        assert_eq!(Some(n), general(&s), "{s}");
                    }
                }
            }
        }
        assert_eq!(
            taken,
            2 * 2 * 4,
            "two valid dates, two separators, four valid times"
        );
    }

    #[test]
    fn garbage_is_none() {
        assert_eq!(p("garbage"), "none");
        assert_eq!(p(""), "none");
        assert_eq!(p("2023-13-45 10:09"), "none");
        assert_eq!(p("昨天"), "none");
    }
}
