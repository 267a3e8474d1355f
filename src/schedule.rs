//! When a feed may be polled next: the politeness policy, as pure functions.
//!
//! The cron schedule says when polls are *considered*; the `next_due` time
//! computed here says whether a feed takes part. It only ever delays a
//! feed: a source's TTL or max-age lengthens its interval, errors back off
//! exponentially (with jitter, capped), and Retry-After is obeyed. A feed is
//! never dropped for good: the cap bounds every wait.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Backoff settings.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Wait after the first counted error; doubles with each further one.
    pub base_backoff: Duration,
    /// Longest wait for errors, TTLs or Retry-After alike.
    pub max_backoff: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            base_backoff: Duration::from_secs(5 * 60),
            max_backoff: Duration::from_secs(24 * 3600),
        }
    }
}

/// How a poll ended, as far as scheduling cares.
#[derive(Debug, Clone, Copy)]
pub enum Poll {
    /// 200 or 304; `min_interval` from the source's TTL or max-age.
    Ok { min_interval: Option<Duration> },
    /// A failure. `counts` is false when the whole network was down.
    Failed {
        retry_after: Option<DateTime<Utc>>,
        counts: bool,
    },
    /// Not polled (still waiting for Retry-After): nothing changes.
    Skipped,
}

/// The state a poll leaves: consecutive errors and the earliest next poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub consecutive_errors: u32,
    pub next_due: DateTime<Utc>,
}

fn chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Plans the next poll after `poll`, given the errors so far. `jitter` is
/// in `[0, 1)`; the backoff is scaled by `0.8 + 0.4 × jitter` so that feeds
/// failing together do not retry together.
pub fn plan(now: DateTime<Utc>, poll: Poll, errors_before: u32, policy: Policy, jitter: f64) -> Plan {
    match poll {
        Poll::Ok { min_interval } => Plan {
            consecutive_errors: 0,
            next_due: now + chrono(min_interval.unwrap_or_default().min(policy.max_backoff)),
        },
        Poll::Failed { retry_after, counts } => {
            let errors = if counts {
                errors_before.saturating_add(1)
            } else {
                errors_before
            };
            let backoff = if counts {
                let exp = errors.saturating_sub(1).min(30);
                let raw = policy
                    .base_backoff
                    .saturating_mul(1u32 << exp)
                    .min(policy.max_backoff);
                raw.mul_f64(0.8 + 0.4 * jitter.clamp(0.0, 1.0))
                    .min(policy.max_backoff)
            } else {
                Duration::ZERO
            };
            let mut next_due = now + chrono(backoff);
            if let Some(ra) = retry_after {
                next_due = next_due.max(ra.min(now + chrono(policy.max_backoff)));
            }
            Plan {
                consecutive_errors: errors,
                next_due,
            }
        }
        Poll::Skipped => Plan {
            consecutive_errors: errors_before,
            next_due: now,
        },
    }
}

/// Tells "the network is down" from "this source is down": connection
/// failures on several hosts with no successful response since mean the
/// former, and then errors don't count against feeds.
#[derive(Debug, Default)]
pub struct NetHealth {
    failing_hosts: HashSet<String>,
}

impl NetHealth {
    /// Hosts that must fail to connect, with nothing succeeding, before the
    /// network is considered down.
    const DOWN_AFTER: usize = 3;

    /// Any HTTP response (even an error status) proves the network works.
    pub fn response(&mut self) {
        self.failing_hosts.clear();
    }

    /// Records a connection failure; returns true when it should count
    /// against the feed (the network itself seems fine).
    pub fn connect_failure(&mut self, host: &str) -> bool {
        self.failing_hosts.insert(host.to_string());
        self.failing_hosts.len() < Self::DOWN_AFTER
    }

    pub fn is_down(&self) -> bool {
        self.failing_hosts.len() >= Self::DOWN_AFTER
    }
}

/// Retry-After per host: one feed's Retry-After holds only that feed, but
/// when several feeds of one host say so, the whole host waits.
#[derive(Debug, Default)]
pub struct HostHolds {
    /// host → feed URL → until.
    holds: HashMap<String, HashMap<String, DateTime<Utc>>>,
}

impl HostHolds {
    /// Feeds of one host that must ask us to wait before the host waits.
    const WIDEN_AT: usize = 2;

    pub fn record(&mut self, host: &str, feed: &str, until: DateTime<Utc>) {
        self.holds
            .entry(host.to_string())
            .or_default()
            .insert(feed.to_string(), until);
    }

    pub fn clear(&mut self, host: &str, feed: &str) {
        if let Some(h) = self.holds.get_mut(host) {
            h.remove(feed);
        }
    }

    /// When the whole host may be asked again, if it is held.
    pub fn held_until(&self, host: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let active: Vec<DateTime<Utc>> = self
            .holds
            .get(host)?
            .values()
            .copied()
            .filter(|u| *u > now)
            .collect();
        (active.len() >= Self::WIDEN_AT)
            .then(|| active.into_iter().max())
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2023-04-15T00:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn failed(errors_before: u32, jitter: f64) -> Plan {
        plan(
            now(),
            Poll::Failed {
                retry_after: None,
                counts: true,
            },
            errors_before,
            Policy::default(),
            jitter,
        )
    }

    #[test]
    fn errors_back_off_exponentially_with_jitter_and_a_cap() {
        let mins = |p: Plan| (p.next_due - now()).num_seconds() as f64 / 60.0;
        assert_eq!(failed(0, 0.5).consecutive_errors, 1);
        assert_eq!(mins(failed(0, 0.5)), 5.0);
        assert_eq!(mins(failed(1, 0.5)), 10.0);
        assert_eq!(mins(failed(3, 0.5)), 40.0);
        assert_eq!(mins(failed(0, 0.0)), 4.0);
        assert!(mins(failed(0, 0.999)) < 6.0);
        // Capped at 24 h however long it goes on: the feed is never dropped.
        assert_eq!(mins(failed(50, 0.999)), 24.0 * 60.0);
        assert_eq!(failed(u32::MAX, 0.5).consecutive_errors, u32::MAX);
    }

    #[test]
    fn success_resets_and_ttl_only_lengthens() {
        let p = plan(now(), Poll::Ok { min_interval: None }, 7, Policy::default(), 0.5);
        assert_eq!(
            p,
            Plan {
                consecutive_errors: 0,
                next_due: now()
            }
        );
        let ttl = Some(Duration::from_secs(3600));
        let p = plan(now(), Poll::Ok { min_interval: ttl }, 0, Policy::default(), 0.5);
        assert_eq!((p.next_due - now()).num_minutes(), 60);
        let p = plan(
            now(),
            Poll::Ok {
                min_interval: Some(Duration::from_secs(99 * 86400)),
            },
            0,
            Policy::default(),
            0.5,
        );
        assert_eq!((p.next_due - now()).num_hours(), 24);
    }

    #[test]
    fn retry_after_is_obeyed_and_network_outages_do_not_count() {
        let ra = now() + chrono::Duration::hours(2);
        let p = plan(
            now(),
            Poll::Failed {
                retry_after: Some(ra),
                counts: true,
            },
            0,
            Policy::default(),
            0.5,
        );
        assert_eq!(p.next_due, ra);
        let p = plan(
            now(),
            Poll::Failed {
                retry_after: None,
                counts: false,
            },
            4,
            Policy::default(),
            0.5,
        );
        assert_eq!(
            p,
            Plan {
                consecutive_errors: 4,
                next_due: now()
            }
        );
    }

    #[test]
    fn network_down_needs_several_hosts_failing() {
        let mut n = NetHealth::default();
        assert!(n.connect_failure("a.cn"));
        assert!(n.connect_failure("b.cn"));
        assert!(!n.connect_failure("c.cn"));
        assert!(n.is_down());
        n.response();
        assert!(n.connect_failure("c.cn"));
    }

    #[test]
    fn host_holds_widen_only_with_several_feeds() {
        let mut h = HostHolds::default();
        let later = now() + chrono::Duration::hours(1);
        h.record("x.cn", "https://x.cn/a", later);
        assert_eq!(h.held_until("x.cn", now()), None);
        h.record("x.cn", "https://x.cn/b", later + chrono::Duration::hours(1));
        assert_eq!(
            h.held_until("x.cn", now()),
            Some(later + chrono::Duration::hours(1))
        );
        h.clear("x.cn", "https://x.cn/a");
        assert_eq!(h.held_until("x.cn", now()), None);
        assert_eq!(h.held_until("y.cn", now()), None);
    }
}
