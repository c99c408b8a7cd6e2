//! Signing in and out, sessions, and the checks every server function starts with.

mod api;
mod idle;
mod page;
mod reset;

pub use api::*;
pub use idle::*;
pub use page::*;
pub use reset::*;

#[cfg(feature = "ssr")]
pub mod brakes;
#[cfg(feature = "ssr")]
pub mod guard;
#[cfg(feature = "ssr")]
pub mod links;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod passwords;
#[cfg(feature = "ssr")]
pub mod sealing;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod throttle;
#[cfg(feature = "ssr")]
pub mod tokens;
#[cfg(feature = "ssr")]
pub mod touches;

use serde::{Deserialize, Serialize};

/// The one answer to a wrong password, an unknown username and a sign-up not yet confirmed.
pub const NO_MATCH: &str = "That username and password do not match an account.";

/// What the browser may know about whoever is signed in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub user_id: i64,
    pub display_name: String,
    pub is_admin: bool,
    pub clinic_name: String,
    /// The clinic's idle time: the browser warns a minute before it signs out.
    pub idle_timeout_minutes: u32,
}

/// Where a sign-in may send the browser next: a room's page, the account page or the
/// providers' page, nothing
/// else, so a crafted link cannot send anyone off-site.
pub fn safe_next(next: &str) -> bool {
    if ["/account", "/account/security", "/provider"].contains(&next) {
        return true;
    }
    next.strip_prefix("/u/").is_some_and(|slug| {
        (1..=64).contains(&slug.len())
            && slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_room_pages_and_the_account_page_are_followed() {
        assert!(super::safe_next("/account"));
        assert!(super::safe_next("/provider"));
        assert!(super::safe_next("/u/jessica"));
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/u/../admin",
            "/u/a?x=1",
            "/admin/users",
            "/u/",
        ] {
            assert!(!super::safe_next(bad), "{bad}");
        }
    }
}
