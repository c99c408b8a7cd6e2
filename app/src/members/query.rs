//! What the users table shows: search, filters, sort, page size and position.
//!
//! The same [`UsersQuery`] lives in the URL (`?q=gom&status=active&sort=name&dir=asc`), is
//! sent to the server function, and is parsed by [`UsersQuery::parse`] in the browser and on
//! the server alike. Paging is by keyset: `after` / `before` hold the sort key and ID of the
//! row at the page's edge, so no page ever counts or skips through the table.

use serde::{Deserialize, Serialize};

use super::{Status, UserType};
use crate::error::AppError;

/// The users table's view exactly as it appears in the URL: every field a string, empty when
/// absent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default, rename = "type")]
    pub user_type: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub room: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub dir: String,
    #[serde(default)]
    pub size: String,
    #[serde(default)]
    pub after: String,
    #[serde(default)]
    pub before: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sort {
    #[default]
    SignedUp,
    LastLogin,
    Name,
}

impl Sort {
    pub const ALL: [Self; 3] = [Self::SignedUp, Self::LastLogin, Self::Name];

    pub fn param(self) -> &'static str {
        match self {
            Self::SignedUp => "signed_up",
            Self::LastLogin => "last_login",
            Self::Name => "name",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::SignedUp => "Sign-up date",
            Self::LastLogin => "Last login",
            Self::Name => "Name",
        }
    }

    /// The direction a person expects first: newest dates, names A to Z.
    pub fn default_dir(self) -> Dir {
        match self {
            Self::SignedUp | Self::LastLogin => Dir::Desc,
            Self::Name => Dir::Asc,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dir {
    Asc,
    #[default]
    Desc,
}

impl Dir {
    pub fn param(self) -> &'static str {
        match self {
            Self::Asc => "asc",
            Self::Desc => "desc",
        }
    }
}

pub const PAGE_SIZES: [u32; 3] = [25, 50, 100];
/// The user type filter's value for every type, guests included. Without a type, the table
/// shows everyone but guests: the members, providers and admins a clinic admin manages day
/// to day, not the one-time visitors who entered a room by name.
pub const ALL_TYPES: &str = "all";
/// Longest search accepted; nothing stored is longer.
pub const MAX_QUERY_CHARS: usize = 254;
/// Counts stop here: "10,000+" beyond.
pub const COUNT_CAP: u64 = 10_000;

/// The key of a page's edge row: its sort value and ID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cursor {
    Time { at: i64, id: i64 },
    Name { name: String, id: i64 },
}

impl Cursor {
    pub fn encode(&self) -> String {
        match self {
            Self::Time { at, id } => format!("{at}~{id}"),
            Self::Name { name, id } => format!("{name}~{id}"),
        }
    }

    fn decode(sort: Sort, text: &str, field: &str) -> Result<Self, AppError> {
        let bad = || {
            AppError::validation(
                field,
                "This page link is not valid. Start again from the first page.",
            )
        };
        let (key, id) = text.rsplit_once('~').ok_or_else(bad)?;
        let id: i64 = id.parse().map_err(|_| bad())?;
        match sort {
            Sort::Name => {
                if key.chars().count() > 201 {
                    return Err(bad());
                }
                Ok(Self::Name {
                    name: key.to_owned(),
                    id,
                })
            }
            Sort::SignedUp | Sort::LastLogin => Ok(Self::Time {
                at: key.parse().map_err(|_| bad())?,
                id,
            }),
        }
    }
}

/// Where the page starts.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Position {
    #[default]
    First,
    After(Cursor),
    Before(Cursor),
}

/// A validated [`UsersQuery`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedQuery {
    pub q: String,
    pub user_type: Option<UserType>,
    /// No type chosen (the default view): guests are left out.
    pub without_guests: bool,
    pub status: Option<Status>,
    pub room: Option<i64>,
    pub sort: Sort,
    pub dir: Dir,
    pub size: u32,
    pub position: Position,
}

impl UsersQuery {
    /// Checks every field; a rejected one is named, with a sentence a person can act on.
    pub fn parse(&self) -> Result<ParsedQuery, AppError> {
        if self.q.chars().count() > MAX_QUERY_CHARS {
            return Err(AppError::validation(
                "q",
                format!("Search for at most {MAX_QUERY_CHARS} characters."),
            ));
        }
        let user_type = match self.user_type.as_str() {
            "" | ALL_TYPES => None,
            v => Some(UserType::from_key(v).ok_or_else(|| {
                AppError::validation("type", "Choose a user type from the list.")
            })?),
        };
        let status =
            match self.status.as_str() {
                "" => None,
                v => Some(Status::from_key(v).ok_or_else(|| {
                    AppError::validation("status", "Choose a status from the list.")
                })?),
            };
        let room = match self.room.as_str() {
            "" => None,
            v => Some(
                v.parse::<i64>()
                    .map_err(|_| AppError::validation("room", "Choose a room from the list."))?,
            ),
        };
        let sort = match self.sort.as_str() {
            "" => Sort::default(),
            v => Sort::ALL
                .into_iter()
                .find(|s| s.param() == v)
                .ok_or_else(|| {
                    AppError::validation("sort", "Sort by sign-up date, last login or name.")
                })?,
        };
        let dir = match self.dir.as_str() {
            "" => sort.default_dir(),
            "asc" => Dir::Asc,
            "desc" => Dir::Desc,
            _ => {
                return Err(AppError::validation(
                    "dir",
                    "Order is ascending or descending.",
                ));
            }
        };
        let size = match self.size.as_str() {
            "" => PAGE_SIZES[0],
            v => v
                .parse::<u32>()
                .ok()
                .filter(|n| PAGE_SIZES.contains(n))
                .ok_or_else(|| {
                    AppError::validation("size", "Show 25, 50 or 100 users per page.")
                })?,
        };
        let position = match (self.after.as_str(), self.before.as_str()) {
            ("", "") => Position::First,
            (after, "") => Position::After(Cursor::decode(sort, after, "after")?),
            ("", before) => Position::Before(Cursor::decode(sort, before, "before")?),
            _ => return Err(AppError::validation("after", "A page has one position.")),
        };
        Ok(ParsedQuery {
            q: self.q.clone(),
            user_type,
            without_guests: self.user_type.is_empty(),
            status,
            room,
            sort,
            dir,
            size,
            position,
        })
    }

    /// Reads the view from a URL's query pairs.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> Self {
        let mut query = Self::default();
        for (key, value) in pairs {
            match key {
                "q" => query.q = value,
                "type" => query.user_type = value,
                "status" => query.status = value,
                "room" => query.room = value,
                "sort" => query.sort = value,
                "dir" => query.dir = value,
                "size" => query.size = value,
                "after" => query.after = value,
                "before" => query.before = value,
                _ => {}
            }
        }
        query
    }

    /// Reads the view from a lookup of query parameters by name.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let field = |name: &str| get(name).unwrap_or_default();
        Self {
            q: field("q"),
            user_type: field("type"),
            status: field("status"),
            room: field("room"),
            sort: field("sort"),
            dir: field("dir"),
            size: field("size"),
            after: field("after"),
            before: field("before"),
        }
    }

    /// The query pairs of this view, without empty fields or defaults, in a stable order:
    /// the shortest URL for the view.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        let sort = Sort::ALL.into_iter().find(|s| s.param() == self.sort);
        let default_sort = sort == Some(Sort::default());
        let default_dir = sort.unwrap_or_default().default_dir().param() == self.dir;
        let default_size = self.size == PAGE_SIZES[0].to_string();
        [
            ("q", self.q.trim()),
            ("type", self.user_type.as_str()),
            ("status", self.status.as_str()),
            ("room", self.room.as_str()),
            ("sort", if default_sort { "" } else { self.sort.as_str() }),
            ("dir", if default_dir { "" } else { self.dir.as_str() }),
            ("size", if default_size { "" } else { self.size.as_str() }),
            ("after", self.after.as_str()),
            ("before", self.before.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect()
    }

    /// The same view from its first page (what a change of search, filter or sort shows).
    pub fn first_page(&self) -> Self {
        Self {
            after: String::new(),
            before: String::new(),
            ..self.clone()
        }
    }

    /// Whether any search or filter narrows the table.
    pub fn is_filtered(&self) -> bool {
        !self.q.trim().is_empty()
            || !self.user_type.is_empty()
            || !self.status.is_empty()
            || !self.room.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&'static str, &str)]) -> UsersQuery {
        UsersQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, (*v).to_owned())))
    }

    #[test]
    fn empty_query_is_the_default_view() {
        let parsed = UsersQuery::default().parse().expect("valid");
        assert_eq!(parsed.sort, Sort::SignedUp);
        assert_eq!(parsed.dir, Dir::Desc);
        assert_eq!(parsed.size, 25);
        assert_eq!(parsed.position, Position::First);
        assert!(parsed.without_guests, "guests wait under All types");
        let all = query(&[("type", ALL_TYPES)]).parse().expect("valid");
        assert_eq!((all.user_type, all.without_guests), (None, false));
        let guests = query(&[("type", "guest")]).parse().expect("valid");
        assert_eq!(
            (guests.user_type, guests.without_guests),
            (Some(UserType::Guest), false)
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        for (key, value) in [
            ("sort", "email"),
            ("dir", "sideways"),
            ("size", "10000"),
            ("size", "-1"),
            ("status", "deleted"),
            ("type", "robot"),
            ("room", "1 OR 1=1"),
            ("after", "nonsense"),
        ] {
            let err = query(&[(key, value)]).parse().expect_err(value);
            assert!(err.field_message(key).is_some(), "{key}={value}: {err:?}");
        }
        let long = "a".repeat(5000);
        assert!(
            query(&[("q", &long)])
                .parse()
                .expect_err("long")
                .field_message("q")
                .is_some()
        );
    }

    #[test]
    fn cursors_round_trip_per_sort() {
        let c = Cursor::Time {
            at: 1_649_427_818_000,
            id: 21_408_246,
        };
        let parsed = query(&[("after", &c.encode())]).parse().expect("valid");
        assert_eq!(parsed.position, Position::After(c));

        let c = Cursor::Name {
            name: "jane gomez".into(),
            id: 7,
        };
        let parsed = query(&[("sort", "name"), ("before", &c.encode())])
            .parse()
            .expect("valid");
        assert_eq!(parsed.position, Position::Before(c));
        assert_eq!(parsed.dir, Dir::Asc, "names default to A to Z");
    }

    #[test]
    fn names_with_the_separator_still_decode() {
        let c = Cursor::Name {
            name: "a~b".into(),
            id: 9,
        };
        let parsed = query(&[("sort", "name"), ("after", &c.encode())])
            .parse()
            .expect("valid");
        assert_eq!(parsed.position, Position::After(c));
    }

    #[test]
    fn pairs_skip_empty_fields_and_first_page_drops_the_cursor() {
        let q = query(&[("q", " gom "), ("status", "active"), ("after", "5~6")]);
        assert_eq!(
            q.pairs(),
            vec![("q", "gom"), ("status", "active"), ("after", "5~6")]
        );
        assert_eq!(
            q.first_page().pairs(),
            vec![("q", "gom"), ("status", "active")]
        );
        assert!(q.is_filtered());
        let defaults = query(&[
            ("q", "gom"),
            ("sort", "signed_up"),
            ("dir", "desc"),
            ("size", "25"),
        ]);
        assert_eq!(defaults.pairs(), vec![("q", "gom")]);
        let named = query(&[("sort", "name"), ("dir", "asc"), ("size", "50")]);
        assert_eq!(named.pairs(), vec![("sort", "name"), ("size", "50")]);
        assert!(!UsersQuery::default().is_filtered());
    }
}
