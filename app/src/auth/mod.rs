//! Signing in and out, sessions, and the checks every server function starts with.

mod api;
mod page;
mod reset;

pub use api::*;
pub use page::*;
pub use reset::*;

#[cfg(feature = "ssr")]
pub mod guard;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod session;
#[cfg(feature = "ssr")]
pub mod tokens;

use serde::{Deserialize, Serialize};

/// What the browser may know about whoever is signed in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub user_id: i64,
    pub display_name: String,
    pub is_admin: bool,
    pub clinic_name: String,
}
