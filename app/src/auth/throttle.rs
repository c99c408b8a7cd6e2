//! Brakes on guessing and on the public forms.
//!
//! Guesses at a password (sign-in, confirming a sign-up, changing a password) are braked in
//! the database ([`super::brakes`]), where every server sees the same counts: a guess takes
//! its slot before the password is checked and gives it back when the password was right.
//! A sign-in is braked per account and address (a burst, then one more every interval:
//! slowed, never locked out for good), and per account across all addresses; once the
//! account's allowance is spent, only addresses that have failed against it in the last
//! hour are refused, so a stranger cannot keep the owner out. Unknown usernames are braked
//! exactly like real ones, so the brake tells nothing.
//!
//! Posts to the public forms per client address, and emails per address, are governor's
//! keyed GCRA limiters in memory on each server.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sea_orm::ConnectionTrait;

use super::brakes;
use crate::error::AppError;

pub use super::brakes::Rate;

/// The in-memory limiter's quota for a rate.
fn quota(rate: Rate) -> Quota {
    Quota::with_period(rate.every.max(Duration::from_millis(1)))
        .expect("a positive period")
        .allow_burst(NonZeroU32::new(rate.burst.max(1)).expect("at least 1"))
}

/// How hard each brake holds.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Guesses at one account's password from one address (and at one sign-up's, and at
    /// one member's current password).
    pub sign_in_failures: Rate,
    /// Guesses at one account's password from all addresses together.
    pub account_failures: Rate,
    /// Guesses at one account's second step (app codes and recovery codes, from anywhere):
    /// whoever guesses here already has the password. 10, then one every 5 minutes: 288 a
    /// day, each matching 3 in a million codes.
    pub second_step_failures: Rate,
    /// Posts to the public forms (sign-in, forgot password, sign-up, guest entry, resend,
    /// confirm) per client address.
    pub public_posts: Rate,
    /// Emails the public forms may cause to one address.
    pub mail_per_address: Rate,
    /// Guests one client address may enter into waiting rooms.
    pub guest_entries: Rate,
    /// Guests one room holds waiting at most (members are not counted).
    pub guests_waiting_per_room: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            sign_in_failures: Rate {
                burst: 5,
                every: Duration::from_secs(30),
            },
            second_step_failures: Rate {
                burst: 10,
                every: Duration::from_secs(5 * 60),
            },
            account_failures: Rate {
                burst: 100,
                every: Duration::from_secs(36),
            },
            public_posts: Rate {
                burst: 60,
                every: Duration::from_millis(500),
            },
            mail_per_address: Rate {
                burst: 5,
                every: Duration::from_secs(10 * 60),
            },
            guest_entries: Rate {
                burst: 3,
                every: Duration::from_secs(10 * 60),
            },
            guests_waiting_per_room: 50,
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

/// Keys kept in memory before old ones are swept out.
const SWEEP_AT: usize = 100_000;

/// How long an address that failed against an account stays refused once the account's
/// allowance is spent.
const FAILED_ADDRESS_MS: i64 = 60 * 60 * 1000;

pub struct Throttle {
    limits: Limits,
    posts: DefaultKeyedRateLimiter<IpAddr>,
    mail: DefaultKeyedRateLimiter<String>,
}

/// What a guess is at.
#[derive(Clone, Debug)]
pub enum Guess {
    /// A sign-in to `account` (the username as typed, folded) from `address`.
    SignIn { account: String, address: IpAddr },
    /// The password of sign-up `id`, given to confirm it.
    Confirm(i64),
    /// Member `id`'s current password, given to change it.
    CurrentPassword(i64),
    /// A code from member `id`'s authenticator app or one of their recovery codes.
    SecondStep(i64),
}

/// The slots a guess took; give them back when it was right.
#[must_use = "a right guess gives its slot back, a wrong one is marked"]
pub struct Slot {
    taken: Vec<(String, Rate)>,
    /// The account and address of a sign-in, marked when it fails.
    failed_mark: Option<String>,
}

impl Throttle {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            posts: RateLimiter::keyed(quota(limits.public_posts)),
            mail: RateLimiter::keyed(quota(limits.mail_per_address)),
        }
    }

    /// Takes a slot for `guess`, or refuses with 429 when its brake holds.
    pub async fn take(&self, db: &impl ConnectionTrait, guess: &Guess) -> Result<Slot, AppError> {
        let each = self.limits.sign_in_failures;
        match guess {
            Guess::SignIn { account, address } => {
                let address = address.to_string();
                let pair = brakes::key(&["sign-in", account, &address]);
                if !brakes::take(db, &pair, each).await? {
                    return Err(AppError::RateLimited);
                }
                let mut slot = Slot {
                    taken: vec![(pair.clone(), each)],
                    failed_mark: Some(brakes::key(&["failed", account, &address])),
                };
                let whole = brakes::key(&["sign-in", account]);
                let all = self.limits.account_failures;
                if brakes::take(db, &whole, all).await? {
                    slot.taken.push((whole, all));
                } else if brakes::marked(db, slot.failed_mark.as_deref().unwrap_or_default())
                    .await?
                {
                    brakes::give_back(db, &pair, each).await?;
                    return Err(AppError::RateLimited);
                }
                Ok(slot)
            }
            Guess::Confirm(id) | Guess::CurrentPassword(id) | Guess::SecondStep(id) => {
                let (kind, each) = match guess {
                    Guess::Confirm(_) => ("confirm", each),
                    Guess::CurrentPassword(_) => ("current-password", each),
                    _ => ("second-step", self.limits.second_step_failures),
                };
                let key = brakes::key(&[kind, &id.to_string()]);
                if !brakes::take(db, &key, each).await? {
                    return Err(AppError::RateLimited);
                }
                Ok(Slot {
                    taken: vec![(key, each)],
                    failed_mark: None,
                })
            }
        }
    }

    /// One guest entered from `address`; refused with 429 past the address's allowance.
    pub async fn guest_entry(
        &self,
        db: &impl ConnectionTrait,
        address: IpAddr,
    ) -> Result<(), AppError> {
        let key = brakes::key(&["guest-entry", &address.to_string()]);
        if brakes::take(db, &key, self.limits.guest_entries).await? {
            Ok(())
        } else {
            Err(AppError::RateLimited)
        }
    }

    /// How many guests a room holds waiting at most.
    pub fn guests_waiting_per_room(&self) -> i64 {
        i64::from(self.limits.guests_waiting_per_room)
    }

    /// The guess was right: its slots go back.
    pub async fn right(&self, db: &impl ConnectionTrait, slot: Slot) -> Result<(), AppError> {
        for (key, rate) in &slot.taken {
            brakes::give_back(db, key, *rate).await?;
        }
        Ok(())
    }

    /// The guess was wrong: its slots stay taken, and a sign-in's address is marked as one
    /// that failed against the account.
    pub async fn wrong(&self, db: &impl ConnectionTrait, slot: Slot) -> Result<(), AppError> {
        if let Some(mark) = &slot.failed_mark {
            brakes::mark(db, mark, crate::db::now_ms() + FAILED_ADDRESS_MS).await?;
        }
        Ok(())
    }

    /// One post to a public form from `ip`; refused once the address is over its rate.
    pub fn post_from(&self, ip: IpAddr) -> Result<(), AppError> {
        if self.posts.len() > SWEEP_AT {
            self.posts.retain_recent();
        }
        self.posts.check_key(&ip).map_err(|_| AppError::RateLimited)
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

/// The client's address, as the server's front door worked it out: the peer, or, when the
/// peer is a trusted proxy, the address that proxy says it forwarded for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// The client address of the current request.
pub fn client_ip() -> IpAddr {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| {
            let extensions = &parts.extensions;
            extensions.get::<ClientAddress>().map(|a| a.0).or_else(|| {
                extensions
                    .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                    .map(|info| info.0.ip())
            })
        })
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
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
            account_failures: Rate {
                burst: 3,
                every: Duration::from_millis(200),
            },
            second_step_failures: Rate {
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
            guest_entries: Rate {
                burst: 1,
                every: Duration::from_secs(60),
            },
            guests_waiting_per_room: 1,
        }
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
