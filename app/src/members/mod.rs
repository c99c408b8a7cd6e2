//! Members (patients) and the other users of a clinic: the admin's users table.
//!
//! The screens and their server functions sit here, shared by browser and server: the users
//! page, the Create a Member dialog, the Member Detail dialog and its lifecycle dialogs.
//! What only the server runs (the queries, the writes, the remembered pages and the table
//! as the server renders it) is in [`server`].

mod api;
pub mod bulk;
mod bulk_bar;
mod bulk_page;
mod create_dialog;
mod detail_dialog;
mod detail_shared;
pub mod duplicates;
pub(crate) mod form;
pub mod import;
mod import_page;
mod lifecycle_dialogs;
mod management_tab;
pub mod query;
mod search_typing;
#[cfg(feature = "ssr")]
pub mod server;
pub mod types;
mod users_page;

pub use api::*;
pub use bulk_page::BulkActionPage;
pub use import_page::{ImportFormPage, ImportPage};
pub use query::{ParsedQuery, UsersQuery};
pub use users_page::*;

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
    /// "YYYY-MM-DD HH:MM:SS" and the zone's abbreviation, in the reader's time zone, or `None` for "Not logged in!".
    pub last_login: Option<String>,
    /// "YYYY-MM-DD HH:MM:SS" and the zone's abbreviation, in the reader's time zone.
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
        let n = crate::text::thousands(self.count);
        match (self.count, self.count_capped) {
            (_, true) => format!("{n}+ users"),
            (1, false) => "1 user".to_owned(),
            _ => format!("{n} users"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
