//! How the users table finds a view's rows: by the search columns' or the room's indexes,
//! collecting the matches and sorting them, or by walking the sort order's index and
//! testing each row. Which is shorter depends on how many match and on the clinic's size.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbBackend};

use crate::error::AppError;
use crate::members::query::{COUNT_CAP, ParsedQuery, Sort};
use crate::text::fold;

/// Matches at or above which a view is "dense" for a reading of all its matches (Export
/// CSV, bulk actions): reading the sort order's index and testing each row finds them
/// sooner than collecting every match and sorting them.
const DENSE_MATCHES: u64 = 3_000;

/// A page's walk of the sort order's index passes about `members / counted` rows for each
/// row it keeps; collecting the matches reads each match once, then sorts them. Where the
/// walk reads each row it passes (or probes its room), a row walked costs about a third of
/// a match collected, or more (measured at 7,000,000 in a clinic: 3.8 µs a row walked
/// against 4 µs a match collected on Postgres; a room's probe 3.2 against 8.6 µs on SQLite).
const WALKED_PER_COLLECTED: u64 = 3;

/// Where the walk tests a search in the index itself ([`walk_tests_in_index`]): 0.5 µs a
/// row walked against 16 µs a match collected (SQLite, "hiroshi y" at 7,000,000 in a
/// clinic), 0.44 µs an entry on Postgres's index-only scan.
const WALKED_IN_INDEX_PER_COLLECTED: u64 = 30;

/// Matches below which a page collects them whatever the clinic's size: at most this many
/// rows read and sorted, without reading the size.
const FEW_MATCHES: u64 = 1_000;

/// Whether a page of `wanted` rows out of `counted` matches among `members` users is found
/// sooner by walking the sort order than by collecting the matches: walking passes about
/// `members × wanted / counted` rows, `per_collected` of them in the time collecting one
/// match takes. A view over the cap (its matches unknown, and too many to collect) always
/// walks.
fn walk_is_shorter(counted: u64, members: u64, wanted: u64, per_collected: u64) -> bool {
    counted > COUNT_CAP
        || members.saturating_mul(wanted)
            < per_collected.saturating_mul(counted.saturating_mul(counted))
}

/// Whether a walk of `query` on `backend` tests its search in the index, reading only the
/// page's rows: a search without a room filter, in an order whose index holds the search
/// columns (SQLite's sign-up and name orders, `m20261201_000005`; Postgres's name order,
/// `m20261211_000021`, as an index-only scan).
fn walk_tests_in_index(backend: DbBackend, query: &ParsedQuery) -> bool {
    let covered = match backend {
        DbBackend::Postgres => query.sort == Sort::Name,
        _ => matches!(query.sort, Sort::SignedUp | Sort::Name),
    };
    covered && query.room.is_none() && !fold(&query.q).is_empty()
}

/// How a page's rows are found.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Plan {
    /// Range scans on the search columns' indexes, then sort the matches (a search with
    /// few matches).
    SearchIndexes,
    /// The room's assignments with the status asked for (`user_rooms (room_id, status,
    /// user_id)`), then sort the matches (a room filter with few matches, no search, no
    /// user type).
    RoomIndex,
    /// Walk the sort order's index and test each row (many matches, or nothing narrows);
    /// the search columns are wrapped (`col || ''`) so that neither database picks their
    /// indexes, and a room is a probe of each row's assignment.
    SortIndex,
}

/// Which rows a view with `counted` matches is best read by, to read all of them.
pub(super) fn plan_for(query: &ParsedQuery, counted: u64) -> Plan {
    plan_with(query, counted >= DENSE_MATCHES)
}

/// Which rows a view is best read by, `dense` or not.
fn plan_with(query: &ParsedQuery, dense: bool) -> Plan {
    if dense {
        Plan::SortIndex
    } else if !fold(&query.q).is_empty() {
        Plan::SearchIndexes
    } else if query.room.is_some() && query.user_type.is_none() {
        // The assignments' index holds room and status, not the user type: with a type,
        // the room's range may be far larger than the matches.
        Plan::RoomIndex
    } else {
        Plan::SortIndex
    }
}

/// How a page of `wanted` rows (its size and one more) of a view with `counted` matches is
/// best read: a view with few matches collects them, one over the cap walks, and between
/// the two the clinic's size decides ([`walk_is_shorter`]).
pub(super) async fn plan_for_page(
    db: &impl ConnectionTrait,
    clinic_ids: &[i64],
    query: &ParsedQuery,
    counted: u64,
    wanted: u64,
) -> Result<Plan, AppError> {
    let dense = if counted < FEW_MATCHES {
        false
    } else if counted > COUNT_CAP {
        true
    } else {
        let per_collected = if walk_tests_in_index(db.get_database_backend(), query) {
            WALKED_IN_INDEX_PER_COLLECTED
        } else {
            WALKED_PER_COLLECTED
        };
        walk_is_shorter(
            counted,
            members_of(db, clinic_ids).await?,
            wanted,
            per_collected,
        )
    };
    Ok(plan_with(query, dense))
}

/// Whether a walk in `sort` on `backend` is best made for the page's IDs alone, then its
/// rows read by ID. Postgres tests a row's columns after reading the row from the table,
/// unless the walk is an index-only scan; its name order's index holds every column a walk
/// tests (migration `m20261211_000021`), and a page in name order can pass tens of
/// thousands of rows before its first match ("jo" in a clinic of 7,000,000: 56,441 rows,
/// 226 → 25 ms). Its other orders' indexes do not, and there the second read of the page's
/// rows would only add to the walk's. SQLite tests its covering indexes' columns in the
/// index before reading a row, without being asked.
pub(super) fn walk_tests_index_only(backend: DbBackend, sort: Sort) -> bool {
    backend == DbBackend::Postgres && sort == Sort::Name
}

/// How many users `clinic_ids` have in all, as the database keeps it
/// (`member_versions.members`): one primary-key lookup per clinic.
async fn members_of(db: &impl ConnectionTrait, clinic_ids: &[i64]) -> Result<u64, AppError> {
    let counts = Query::select()
        .column(Alias::new("members"))
        .from(Alias::new("member_versions"))
        .and_where(Expr::col(Alias::new("clinic_id")).is_in(clinic_ids.to_vec()))
        .to_owned();
    let mut members = 0u64;
    for row in db.query_all(&counts).await? {
        let n: i64 = row.try_get_by_index(0)?;
        members = members.saturating_add(u64::try_from(n).unwrap_or(0));
    }
    Ok(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// At a million members a page of 25 walks from about 3,000 matches, as it always
    /// has; at seven million, from about 7,800; a small clinic walks for a few hundred;
    /// a walk that tests in the index, from about a third as many; a view over the cap always
    /// walks, and no size overflows.
    #[test]
    fn a_page_walks_the_sort_order_when_that_passes_fewer_rows_than_collecting() {
        let walks_from = |members: u64, wanted: u64, per: u64| {
            (1..=COUNT_CAP + 1)
                .find(|&counted| walk_is_shorter(counted, members, wanted, per))
                .expect("the cap walks")
        };
        let (row, entry) = (WALKED_PER_COLLECTED, WALKED_IN_INDEX_PER_COLLECTED);
        assert_eq!(walks_from(1_000_000, 26, row), 2_944);
        assert_eq!(walks_from(7_000_000, 26, row), 7_789);
        assert_eq!(walks_from(20_000, 26, row), 417);
        assert_eq!(walks_from(7_000_000, 101, row), COUNT_CAP + 1);
        assert_eq!(walks_from(7_000_000, 26, entry), 2_464);
        assert!(walk_is_shorter(COUNT_CAP + 1, u64::MAX, u64::MAX, row));
        assert!(!walk_is_shorter(COUNT_CAP, u64::MAX, 26, u64::MAX));
    }

    fn parsed(pairs: &[(&str, &str)]) -> ParsedQuery {
        let mut query = crate::members::query::UsersQuery::default();
        for (k, v) in pairs {
            match *k {
                "q" => query.q = (*v).to_owned(),
                "sort" => query.sort = (*v).to_owned(),
                "room" => query.room = (*v).to_owned(),
                _ => unreachable!("{k}"),
            }
        }
        query.parse().expect("a valid view")
    }

    /// A search walks in the index where the order's index holds the search columns, and
    /// not with a room (probed per row) or without a search.
    #[test]
    fn a_search_is_tested_in_the_index_where_the_orders_index_holds_it() {
        use sea_orm::DatabaseBackend::{Postgres, Sqlite};
        let tested = |backend, view: &[(&str, &str)]| walk_tests_in_index(backend, &parsed(view));
        assert!(tested(Sqlite, &[("q", "jo")]));
        assert!(tested(Sqlite, &[("q", "jo"), ("sort", "name")]));
        assert!(!tested(Sqlite, &[("q", "jo"), ("sort", "last_login")]));
        assert!(!tested(Sqlite, &[("q", "jo"), ("room", "4")]));
        assert!(!tested(Sqlite, &[]));
        assert!(!tested(Postgres, &[("q", "jo")]));
        assert!(tested(Postgres, &[("q", "jo"), ("sort", "name")]));
        assert!(!tested(
            Postgres,
            &[("q", "jo"), ("sort", "name"), ("room", "4")]
        ));
    }
}
