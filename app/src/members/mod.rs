//! Members (patients) and the other users of a clinic: the admin's users table.

mod api;
mod page;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::*;
pub use page::*;

use serde::{Deserialize, Serialize};

/// The kinds of user the article names, plus guests who entered a room by name only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserType {
    Member,
    Provider,
    ClinicAdmin,
    Guest,
}

impl UserType {
    pub const ALL: [Self; 4] = [Self::Member, Self::Provider, Self::ClinicAdmin, Self::Guest];

    pub fn as_db(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Provider => "provider",
            Self::ClinicAdmin => "clinic_admin",
            Self::Guest => "guest",
        }
    }

    pub fn from_db(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_db() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Member => "Member",
            Self::Provider => "Provider",
            Self::ClinicAdmin => "Clinic Admin",
            Self::Guest => "Guest",
        }
    }
}

/// Account status; only Active accounts can sign in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Active,
    Suspended,
    PendingDelete,
}

impl Status {
    pub const ALL: [Self; 3] = [Self::Active, Self::Suspended, Self::PendingDelete];

    pub fn as_db(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::PendingDelete => "pending_delete",
        }
    }

    pub fn from_db(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_db() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Suspended => "Suspended",
            Self::PendingDelete => "Pending delete",
        }
    }
}

/// A room as the users table shows it: name, code and link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomRef {
    pub name: String,
    pub code: String,
    pub slug: String,
}

/// One row of the users table, with each cell's lines as the article shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRow {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub username: String,
    pub email: String,
    pub user_type: UserType,
    pub status: Status,
    /// "YYYY-MM-DD HH:MM:SS" (UTC), or `None` for "Not logged in!".
    pub last_login: Option<String>,
    /// "YYYY-MM-DD HH:MM:SS" (UTC).
    pub signed_up: String,
    pub rooms: Vec<RoomRef>,
}

impl MemberRow {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// One page of the users table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberPage {
    pub rows: Vec<MemberRow>,
    /// Whether more rows follow this page.
    pub has_more: bool,
}

/// Formats stored milliseconds as the article does: "2022-04-08 14:23:38" (UTC).
pub fn format_time(ms: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_article() {
        // 2022-04-08 14:23:38 UTC
        assert_eq!(format_time(1_649_427_818_000), "2022-04-08 14:23:38");
    }

    #[test]
    fn db_names_round_trip() {
        for t in UserType::ALL {
            assert_eq!(UserType::from_db(t.as_db()), Some(t));
        }
        for s in Status::ALL {
            assert_eq!(Status::from_db(s.as_db()), Some(s));
        }
        assert_eq!(Status::from_db("deleted"), None);
    }
}
