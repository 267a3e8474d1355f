//! When a feed may be polled next: the politeness policy, as pure functions.
//!
//! The cron schedule says when polls are *considered*; the `next_due` time
//! computed here says whether a feed takes part. It only ever delays a
//! feed: a source's TTL or max-age lengthens its interval, errors back off
//! exponentially (with jitter, capped), and Retry-After is obeyed. A feed is
//! never dropped for good: the cap bounds every wait.

use std::collections::{HashMap, HashSet, VecDeque};
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

    #[cfg(test)]
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

/// Which due polls start now, and which wait their turn.
///
/// Every started refresh is a task that holds about 1.3 KB from the moment
/// it exists, most of it while it waits for a request slot; spawning every
/// due feed at once made the tasks the largest part of a 15,000-feed cycle
/// (19 MB of a 41 MB heap). Waiting here costs a queue entry instead.
///
/// At most `limit` polls run at once, and at most `per_host` of them for
/// one host (or the host's own limit, given with each poll offered): the request slots and the gap between requests to a host
/// (in `refresh`) still pace the requests themselves; this only decides
/// which refreshes exist. Decision: hosts take turns rather than the feeds
/// going in config order, so a host with hundreds of feeds (an RSSHub
/// instance, say) cannot fill every place while it waits out its gaps and
/// hold back every other host behind it.
#[derive(Debug)]
pub struct StartQueue<J> {
    limit: usize,
    per_host: usize,
    running: usize,
    hosts: HashMap<String, HostQueue<J>>,
    /// Hosts with waiting polls and room to start one, in turn order.
    turns: VecDeque<String>,
}

#[derive(Debug)]
struct HostQueue<J> {
    /// Places for this host: the limit its latest poll was offered with.
    limit: usize,
    running: usize,
    waiting: VecDeque<J>,
    /// Whether the host is in `turns` (at most once).
    in_turns: bool,
}

impl<J> StartQueue<J> {
    pub fn new(limit: usize, per_host: usize) -> StartQueue<J> {
        StartQueue {
            limit: limit.max(1),
            per_host: per_host.max(1),
            running: 0,
            hosts: HashMap::new(),
            turns: VecDeque::new(),
        }
    }

    /// Offers a poll of `host`: it comes back if it may start now (it then
    /// counts as running until [`StartQueue::finish`]), else it waits.
    /// `host_limit` (places for this host, 0 for the queue's `per_host`)
    /// replaces the host's earlier one: a reloaded limit takes effect with
    /// the next poll offered.
    pub fn push(&mut self, host: &str, host_limit: usize, job: J) -> Option<J> {
        let limit = if host_limit == 0 {
            self.per_host
        } else {
            host_limit
        };
        let h = self.hosts.entry(host.to_string()).or_insert_with(|| HostQueue {
            limit,
            running: 0,
            waiting: VecDeque::new(),
            in_turns: false,
        });
        h.limit = limit;
        // Nothing of this host waits ahead of it (else it would have no room
        // or be in turn), and while anything waits in turn every place is
        // taken: a new poll never overtakes a waiting one.
        if self.running < self.limit && h.running < h.limit {
            h.running += 1;
            self.running += 1;
            return Some(job);
        }
        h.waiting.push_back(job);
        if h.running < h.limit && !h.in_turns {
            h.in_turns = true;
            self.turns.push_back(host.to_string());
        }
        None
    }

    /// A poll of `host` ended; returns the poll that takes its place, if
    /// any (with its host), which counts as running from now.
    pub fn finish(&mut self, host: &str) -> Option<(String, J)> {
        self.running = self.running.saturating_sub(1);
        if let Some(h) = self.hosts.get_mut(host) {
            h.running = h.running.saturating_sub(1);
            if !h.waiting.is_empty() && !h.in_turns && h.running < h.limit {
                h.in_turns = true;
                self.turns.push_back(host.to_string());
            }
        }
        let next = self.next();
        if let Some(h) = self.hosts.get(host)
            && h.running == 0
            && h.waiting.is_empty()
        {
            self.hosts.remove(host);
        }
        next
    }

    fn next(&mut self) -> Option<(String, J)> {
        if self.running >= self.limit {
            return None;
        }
        let host = self.turns.pop_front()?;
        let h = self.hosts.get_mut(&host).expect("a host in turn has a queue");
        let job = h.waiting.pop_front().expect("a host in turn has a waiting poll");
        h.running += 1;
        self.running += 1;
        h.in_turns = !h.waiting.is_empty() && h.running < h.limit;
        if h.in_turns {
            self.turns.push_back(host.clone());
        }
        Some((host, job))
    }

    /// Takes every waiting poll out (at shutdown, when none may start).
    pub fn take_waiting(&mut self) -> Vec<J> {
        self.turns.clear();
        let mut out = Vec::new();
        self.hosts.retain(|_, h| {
            out.extend(h.waiting.drain(..));
            h.in_turns = false;
            h.running > 0
        });
        out
    }

    /// Polls waiting for a place (for the tests).
    #[cfg(test)]
    fn waiting(&self) -> usize {
        self.hosts.values().map(|h| h.waiting.len()).sum()
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

    /// Polls started by pushing `jobs` (host, id) in order.
    fn push_all(q: &mut StartQueue<u32>, jobs: &[(&str, u32)]) -> Vec<u32> {
        jobs.iter().filter_map(|&(h, j)| q.push(h, 0, j)).collect()
    }

    #[test]
    fn at_most_limit_polls_run_and_the_rest_start_in_order() {
        let mut q = StartQueue::new(3, 2);
        let hosts = ["a", "b", "c", "d", "e"];
        let jobs: Vec<(&str, u32)> = hosts.iter().zip(0..).map(|(h, j)| (*h, j)).collect();
        assert_eq!(push_all(&mut q, &jobs), [0, 1, 2]);
        assert_eq!(q.waiting(), 2);
        assert_eq!(q.finish("b"), Some(("d".to_string(), 3)));
        assert_eq!(q.finish("a"), Some(("e".to_string(), 4)));
        assert_eq!(q.finish("c"), None);
        assert_eq!(q.waiting(), 0);
        // d and e run: one place is free, so one new poll starts at once.
        assert_eq!(push_all(&mut q, &[("f", 5), ("g", 6)]), [5]);
        assert_eq!(q.waiting(), 1);
    }

    #[test]
    fn one_host_gets_at_most_per_host_places() {
        let mut q = StartQueue::new(10, 2);
        let jobs: Vec<(&str, u32)> = (0..5).map(|j| ("a", j)).collect();
        assert_eq!(
            push_all(&mut q, &jobs),
            [0, 1],
            "places are free, but not for a third poll of a"
        );
        // Another host is not held back by a's queue.
        assert_eq!(q.push("b", 0, 9), Some(9));
        assert_eq!(q.finish("b"), None);
        assert_eq!(q.finish("a"), Some(("a".to_string(), 2)));
        assert_eq!(q.finish("a"), Some(("a".to_string(), 3)));
        assert_eq!(q.finish("a"), Some(("a".to_string(), 4)));
        assert_eq!(q.finish("a"), None);
        assert_eq!(q.finish("a"), None);
        assert!(
            q.hosts.is_empty(),
            "hosts with nothing running or waiting are forgotten"
        );
    }

    #[test]
    fn hosts_take_turns_so_a_long_queue_holds_no_one_back() {
        // An RSSHub-like host with many feeds listed first, then two others.
        let mut q = StartQueue::new(2, 2);
        let mut jobs: Vec<(&str, u32)> = (0..10).map(|j| ("hub", j)).collect();
        jobs.extend([("x", 100), ("y", 200)]);
        assert_eq!(push_all(&mut q, &jobs), [0, 1]);
        let mut order = Vec::new();
        let mut running = vec!["hub", "hub"];
        while let Some(h) = running.pop() {
            if let Some((host, j)) = q.finish(h) {
                order.push(j);
                running.insert(
                    0,
                    if host == "hub" {
                        "hub"
                    } else if j == 100 {
                        "x"
                    } else {
                        "y"
                    },
                );
            }
        }
        assert_eq!(order.len(), 10, "every waiting poll started: {order:?}");
        let pos = |j| order.iter().position(|&o| o == j).unwrap();
        assert!(
            pos(100) <= 1 && pos(200) <= 2,
            "x and y waited behind hub's queue: {order:?}"
        );
    }

    #[test]
    fn waiting_polls_can_be_taken_out_at_shutdown() {
        let mut q = StartQueue::new(1, 1);
        assert_eq!(push_all(&mut q, &[("a", 1), ("b", 2), ("a", 3)]), [1]);
        let mut taken = q.take_waiting();
        taken.sort_unstable();
        assert_eq!(taken, [2, 3]);
        assert_eq!(q.finish("a"), None, "nothing is left to start");
    }
}
