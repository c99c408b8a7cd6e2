//! Brakes on guessing: failed sign-ins per account, requests to the public forms per client
//! address, and emails per address. Built on governor's keyed GCRA limiters, in memory on
//! each server (with several servers, each brakes on its own share of the traffic).
//!
//! An account's brake only ever delays: after a burst of failures, one more try is allowed
//! every interval, so an attacker can slow a patient's sign-in but never lock them out.
//! Unknown usernames are braked exactly like real ones, so the brake tells nothing.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::AppError;

/// A burst, then one more every `every`.
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    pub burst: u32,
    pub every: Duration,
}

impl Rate {
    fn quota(self) -> Quota {
        Quota::with_period(self.every.max(Duration::from_millis(1)))
            .expect("a positive period")
            .allow_burst(NonZeroU32::new(self.burst.max(1)).expect("at least 1"))
    }
}

/// How hard each brake holds.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Failed sign-ins per username.
    pub sign_in_failures: Rate,
    /// Posts to the public forms (sign-in, forgot password, sign-up, guest entry, resend,
    /// confirm) per client address.
    pub public_posts: Rate,
    /// Emails the public forms may cause to one address.
    pub mail_per_address: Rate,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            sign_in_failures: Rate {
                burst: 5,
                every: Duration::from_secs(30),
            },
            public_posts: Rate {
                burst: 60,
                every: Duration::from_millis(500),
            },
            mail_per_address: Rate {
                burst: 5,
                every: Duration::from_secs(10 * 60),
            },
        }
    }
}

/// How soon an answer that must not tell a known account from an unknown one may leave:
/// long enough to cover the slower path (a lookup, a hash, a queued email) on a busy server.
pub const EVEN_ANSWER: Duration = Duration::from_millis(300);

/// Holds an answer until [`EVEN_ANSWER`] after `started`, so the work done for a known
/// account cannot be told by the time the answer takes.
pub async fn even_out(started: Instant) {
    tokio::time::sleep_until(tokio::time::Instant::from_std(started + EVEN_ANSWER)).await;
}

/// Keys kept before old ones are swept out.
const SWEEP_AT: usize = 100_000;

pub struct Throttle {
    failures: DefaultKeyedRateLimiter<String>,
    /// Usernames whose failures ran out, and until when.
    held: Mutex<HashMap<String, Instant>>,
    posts: DefaultKeyedRateLimiter<IpAddr>,
    mail: DefaultKeyedRateLimiter<String>,
}

impl Throttle {
    pub fn new(limits: Limits) -> Self {
        Self {
            failures: RateLimiter::keyed(limits.sign_in_failures.quota()),
            held: Mutex::new(HashMap::new()),
            posts: RateLimiter::keyed(limits.public_posts.quota()),
            mail: RateLimiter::keyed(limits.mail_per_address.quota()),
        }
    }

    /// One post to a public form from `ip`; refused once the address is over its rate.
    pub fn post_from(&self, ip: IpAddr) -> Result<(), AppError> {
        if self.posts.len() > SWEEP_AT {
            self.posts.retain_recent();
        }
        self.posts.check_key(&ip).map_err(|_| AppError::RateLimited)
    }

    /// Whether `username` may try a password now.
    pub fn may_try(&self, username: &str) -> Result<(), AppError> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        match held.get(username) {
            Some(until) if *until > Instant::now() => Err(AppError::RateLimited),
            Some(_) => {
                held.remove(username);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Counts a failed sign-in for `username`; once the burst is spent, holds further tries
    /// until the next one is due.
    pub fn failed(&self, username: &str) {
        if self.failures.len() > SWEEP_AT {
            self.failures.retain_recent();
        }
        if let Err(not_until) = self.failures.check_key(&username.to_owned()) {
            let wait = not_until.wait_time_from(self.failures.clock().now());
            let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
            if held.len() > SWEEP_AT {
                let now = Instant::now();
                held.retain(|_, until| *until > now);
            }
            held.insert(username.to_owned(), Instant::now() + wait);
        }
    }

    /// Whether the public forms may send one more email to `address` now. Beyond the rate
    /// the form answers as usual and sends nothing.
    pub fn may_mail(&self, address: &str) -> bool {
        if self.mail.len() > SWEEP_AT {
            self.mail.retain_recent();
        }
        self.mail.check_key(&address.trim().to_lowercase()).is_ok()
    }
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

/// The client address of the current request (the peer; no proxy header is trusted).
pub fn client_ip() -> IpAddr {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| {
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0.ip())
        })
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

/// One post to a public form from the current request's address.
pub fn public_post() -> Result<(), AppError> {
    let state = crate::state::AppState::current()?;
    state.throttle.post_from(client_ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> Limits {
        Limits {
            sign_in_failures: Rate {
                burst: 3,
                every: Duration::from_millis(200),
            },
            public_posts: Rate {
                burst: 2,
                every: Duration::from_secs(60),
            },
            mail_per_address: Rate {
                burst: 1,
                every: Duration::from_secs(60),
            },
        }
    }

    #[test]
    fn failures_hold_an_account_for_a_while_then_let_it_try_again() {
        let t = Throttle::new(quick());
        for _ in 0..3 {
            assert!(t.may_try("ana").is_ok());
            t.failed("ana");
        }
        assert!(t.may_try("ana").is_ok(), "the burst is three failures");
        t.failed("ana");
        assert!(matches!(t.may_try("ana"), Err(AppError::RateLimited)));
        assert!(t.may_try("bob").is_ok(), "other accounts are not held");
        std::thread::sleep(Duration::from_millis(250));
        assert!(t.may_try("ana").is_ok(), "never locked out for good");
    }

    #[test]
    fn posts_and_mail_are_counted_per_address() {
        let t = Throttle::new(quick());
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(t.post_from(a).is_ok() && t.post_from(a).is_ok());
        assert!(t.post_from(a).is_err());
        assert!(t.post_from(b).is_ok());
        assert!(t.may_mail("Ana@Example.com"));
        assert!(
            !t.may_mail("ana@example.com"),
            "case does not make a new address"
        );
        assert!(t.may_mail("bob@example.com"));
    }
}
