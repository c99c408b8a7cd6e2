//! Members (patients) and the other users of a clinic: the admin's users table.

mod api;
#[cfg(feature = "ssr")]
pub mod create;
mod create_dialog;
mod detail_dialog;
mod dialog;
#[cfg(feature = "ssr")]
pub mod edit;
pub(crate) mod form;
#[cfg(feature = "ssr")]
pub mod lifecycle;
mod login_detail;
pub mod options;
mod page;
pub mod query;
#[cfg(feature = "ssr")]
pub mod remembered;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
mod table;
pub mod types;

pub use api::*;
pub use page::*;
pub use query::{ParsedQuery, UsersQuery};

use crate::accounts::{Status, UserType};

use serde::{Deserialize, Serialize};

/// A room as the users table shows it: name, code and link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomRef {
    pub name: String,
    pub code: String,
    pub slug: String,
}

/// A room in the users table's room filter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomOption {
    pub id: i64,
    pub name: String,
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
    /// Cursor for the next page (`after=`), when there is one.
    pub next: Option<String>,
    /// Cursor for the previous page (`before=`), when there is one.
    pub prev: Option<String>,
    /// How many users match, counted up to [`query::COUNT_CAP`].
    pub count: u64,
    /// Whether more than `count` match ("10,000+").
    pub count_capped: bool,
}

impl MemberPage {
    /// "1 user", "2,345 users", "10,000+ users".
    pub fn count_label(&self) -> String {
        let n = group_thousands(self.count);
        match (self.count, self.count_capped) {
            (_, true) => format!("{n}+ users"),
            (1, false) => "1 user".to_owned(),
            _ => format!("{n} users"),
        }
    }
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
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
    fn counts_read_like_the_spec() {
        let page = |count, count_capped| MemberPage {
            rows: vec![],
            next: None,
            prev: None,
            count,
            count_capped,
        };
        assert_eq!(page(10_000, true).count_label(), "10,000+ users");
        assert_eq!(page(2345, false).count_label(), "2,345 users");
        assert_eq!(page(1, false).count_label(), "1 user");
        assert_eq!(page(0, false).count_label(), "0 users");
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
