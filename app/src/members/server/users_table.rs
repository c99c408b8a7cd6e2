//! The users table's queries: plain async functions over a database connection.
//!
//! Every shape is an index range scan on both databases: prefix search compares folded
//! columns with `>= q AND < q + U+10FFFF` (byte order: SQLite's BINARY, Postgres's "C"
//! collation on those columns), and pages continue from the edge row's `(key, id)` with a
//! row-value comparison. The count stops at [`COUNT_CAP`] rows.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, IdenStatic, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
};

use super::page_plan::{Plan, plan_for_page, walk_tests_index_only};
use super::remembered::{CappedViews, RecentPages};
use crate::accounts::{Status, UserType};
use crate::entities::{room, user, user_room};
use crate::error::AppError;
use crate::members::query::{COUNT_CAP, Cursor, Dir, ParsedQuery, Position, Sort};
use crate::members::{MemberPage, MemberRow, RoomOption, RoomRef};
use crate::text::fold;
use crate::text::format_time;

/// A numeric ID or a portal ID ("cmouser21408246") in the search box.
fn id_in_query(folded: &str) -> Option<i64> {
    let digits = folded.strip_prefix("cmouser").unwrap_or(folded);
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The member's status as copied onto each of their room assignments by the database
/// (migration `m20261201_000007`); the entity leaves it out, as nothing else reads or
/// writes it.
fn assignment_status() -> Expr {
    Expr::col((user_room::Entity, Alias::new("status")))
}

/// The members assigned to `room_id` (with `status`, when given): one range of
/// `user_rooms (room_id, status, user_id)`.
fn room_members(room_id: i64, status: Option<Status>) -> SelectStatement {
    let mut members = Query::select();
    members
        .column((user_room::Entity, user_room::Column::UserId))
        .from(user_room::Entity)
        .and_where(Expr::col((user_room::Entity, user_room::Column::RoomId)).eq(room_id));
    if let Some(s) = status {
        members.and_where(assignment_status().eq(s));
    }
    members
}

/// `col` starts with `prefix`, as an index range (or, under [`Plan::SortIndex`], as a
/// plain test of each row).
fn starts_with(col: user::Column, prefix: &str, plan: Plan) -> Condition {
    let upper = format!("{prefix}\u{10FFFF}");
    let target: SimpleExpr = match plan {
        Plan::SearchIndexes | Plan::RoomIndex => Expr::col(col),
        Plan::SortIndex => Expr::cust(format!("(\"{}\" || '')", col.as_str())),
    };
    Condition::all()
        .add(target.clone().gte(prefix.to_owned()))
        .add(target.lt(upper))
}

/// The columns a search looks in, by prefix.
const SEARCH_COLUMNS: [user::Column; 5] = [
    user::Column::SearchFirst,
    user::Column::SearchLast,
    user::Column::SearchFull,
    user::Column::EmailLower,
    user::Column::UsernameLower,
];

/// Every filter of the view, without position or order.
pub(super) fn filtered(
    clinic_ids: &[i64],
    query: &ParsedQuery,
    plan: Plan,
) -> Select<user::Entity> {
    filtered_on(clinic_ids, query, &SEARCH_COLUMNS, plan)
}

/// [`filtered`], with the search looking only in `columns`.
fn filtered_on(
    clinic_ids: &[i64],
    query: &ParsedQuery,
    columns: &[user::Column],
    plan: Plan,
) -> Select<user::Entity> {
    let mut select = match clinic_ids {
        [one] => user::Entity::find().filter(user::Column::ClinicId.eq(*one)),
        many => user::Entity::find().filter(user::Column::ClinicId.is_in(many.to_vec())),
    };
    let folded = fold(&query.q);
    if !folded.is_empty() {
        let mut any = Condition::any();
        for &col in columns {
            any = any.add(starts_with(col, &folded, plan));
        }
        if let Some(id) = id_in_query(&folded).filter(|_| columns.len() == SEARCH_COLUMNS.len()) {
            any = any.add(user::Column::Id.eq(id));
        }
        select = select.filter(any);
    }
    if let Some(t) = query.user_type {
        select = select.filter(user::Column::UserType.eq(t));
    }
    if query.without_guests {
        select = select.filter(user::Column::UserType.ne(UserType::Guest));
    }
    if let Some(s) = query.status {
        select = select.filter(user::Column::Status.eq(s));
    }
    if let Some(room_id) = query.room {
        select = select.filter(if plan == Plan::RoomIndex {
            // The room's few matching members, from its assignments' index.
            Expr::col((user::Entity, user::Column::Id))
                .in_subquery(room_members(room_id, query.status))
        } else {
            // A primary-key probe per candidate row, not a materialised list of the room.
            Expr::exists(
                Query::select()
                    .expr(Expr::val(1))
                    .from(user_room::Entity)
                    .and_where(
                        Expr::col((user_room::Entity, user_room::Column::UserId))
                            .equals((user::Entity, user::Column::Id)),
                    )
                    .and_where(user_room::Column::RoomId.eq(room_id))
                    .to_owned(),
            )
        });
    }
    select
}

pub(super) fn sort_column(sort: Sort) -> user::Column {
    match sort {
        Sort::SignedUp => user::Column::SignedUpAt,
        Sort::LastLogin => user::Column::LastLoginAt,
        Sort::Name => user::Column::SearchFull,
    }
}

fn cursor_of(sort: Sort, u: &Listed) -> Cursor {
    cursor_at(sort, u.id, u.signed_up_at, u.last_login_at, &u.search_full)
}

/// The key a row with these values leaves a walk in `sort` at: the table's pages' edges,
/// the export's batches.
pub(super) fn cursor_at(
    sort: Sort,
    id: i64,
    signed_up_at: i64,
    last_login_at: i64,
    search_full: &str,
) -> Cursor {
    match sort {
        Sort::SignedUp => Cursor::Time {
            at: signed_up_at,
            id,
        },
        Sort::LastLogin => Cursor::Time {
            at: last_login_at,
            id,
        },
        Sort::Name => Cursor::Name {
            name: search_full.to_owned(),
            id,
        },
    }
}

/// `select` in the view's order: its sort key, then the ID (unique, so every walk is total).
pub(super) fn in_order(
    select: Select<user::Entity>,
    sort: Sort,
    plan: Plan,
    order: Order,
) -> Select<user::Entity> {
    select
        .order_by(sort_key(sort, plan), order.clone())
        .order_by(user::Column::Id, order)
}

/// The sort key to order by. When other indexes find the matches, the key is wrapped
/// (`+ 0`, `|| ''`) so the planner cannot choose to walk the sort index instead: with a
/// LIMIT it likes to avoid the sort, and would then test every row of the clinic.
fn sort_key(sort: Sort, plan: Plan) -> SimpleExpr {
    let col = sort_column(sort);
    if plan == Plan::SortIndex {
        return Expr::col(col);
    }
    match sort {
        Sort::Name => Expr::cust(format!("(\"{}\" || '')", col.as_str())),
        Sort::SignedUp | Sort::LastLogin => Expr::cust(format!("(\"{}\" + 0)", col.as_str())),
    }
}

/// `(key, id) > cursor` (or `<`), as one row-value comparison.
pub(super) fn beyond(sort: Sort, cursor: &Cursor, ascending: bool) -> SimpleExpr {
    let (key, id): (SimpleExpr, i64) = match cursor {
        Cursor::Time { at, id } => (Expr::val(*at), *id),
        Cursor::Name { name, id } => (Expr::val(name.clone()), *id),
    };
    let left = Expr::tuple([Expr::col(sort_column(sort)), Expr::col(user::Column::Id)]);
    let right = Expr::tuple([key, Expr::val(id)]);
    if ascending {
        left.gt(right)
    } else {
        left.lt(right)
    }
}

/// [`list`], answered from [`RecentPages`] when the same view was read at the same version
/// in the same time zone (or is being read by another request). `key` is the page's
/// [`RecentPages::key`], with the zone.
pub async fn list_recent(
    db: &impl ConnectionTrait,
    capped: &CappedViews,
    recent: &RecentPages,
    clinic_ids: &[i64],
    key: String,
    query: &ParsedQuery,
    zone: &jiff::tz::TimeZone,
) -> Result<MemberPage, AppError> {
    recent
        .get_or_read(key, async || {
            list(db, capped, clinic_ids, query, zone).await
        })
        .await
}

/// One page of the users of `clinic_ids` in the view `query`, its times in `zone`.
#[tracing::instrument(skip(db, capped, query, zone), fields(sort = ?query.sort, size = query.size))]
pub async fn list(
    db: &impl ConnectionTrait,
    capped: &CappedViews,
    clinic_ids: &[i64],
    query: &ParsedQuery,
    zone: &jiff::tz::TimeZone,
) -> Result<MemberPage, AppError> {
    if clinic_ids.is_empty() {
        return Err(AppError::Forbidden);
    }
    // Count first (it stops at the cap and uses the search indexes); how many match decides
    // how the page itself is best read.
    let key = CappedViews::key(clinic_ids, query);
    let counted = if capped.is_over_cap(&key) {
        COUNT_CAP + 1
    } else {
        let counted = capped_count(db, clinic_ids, query).await?;
        if counted > COUNT_CAP {
            capped.remember(key);
        }
        counted
    };
    let size = u64::from(query.size);
    let plan = plan_for_page(db, clinic_ids, query, counted, size + 1).await?;
    let ascending = query.dir == Dir::Asc;
    // Walking backwards (Previous) reads in the opposite order, then flips the rows.
    let backwards = matches!(query.position, Position::Before(_));
    let read_ascending = ascending != backwards;
    let mut select = filtered(clinic_ids, query, plan);
    match &query.position {
        Position::First => {}
        Position::After(c) | Position::Before(c) => {
            select = select.filter(beyond(query.sort, c, read_ascending));
        }
    }
    let order = if read_ascending {
        Order::Asc
    } else {
        Order::Desc
    };
    select = in_order(select, query.sort, plan, order.clone()).limit(size + 1);
    if plan == Plan::SortIndex && walk_tests_index_only(db.get_database_backend(), query.sort) {
        // The walk finds the page's IDs alone, testing each entry in the index; the page's
        // rows are then read by ID, and sorted again.
        let ids = select.select_only().column(user::Column::Id).into_query();
        select = in_order(
            user::Entity::find()
                .filter(Expr::col((user::Entity, user::Column::Id)).in_subquery(ids)),
            query.sort,
            Plan::SearchIndexes,
            order,
        );
    }
    let mut users = select
        .select_only()
        .columns(LISTED_COLUMNS)
        .column_as(rooms_json(db.get_database_backend()), "rooms")
        .into_model::<Listed>()
        .all(db)
        .await?;
    let more_this_way = users.len() as u64 > size;
    users.truncate(size as usize);
    if backwards {
        users.reverse();
    }
    let (has_next, has_prev) = match query.position {
        Position::First => (more_this_way, false),
        Position::After(_) => (more_this_way, true),
        Position::Before(_) => (true, more_this_way),
    };
    let next = has_next
        .then(|| users.last().map(|u| cursor_of(query.sort, u).encode()))
        .flatten();
    let prev = has_prev
        .then(|| users.first().map(|u| cursor_of(query.sort, u).encode()))
        .flatten();

    let rows = users
        .into_iter()
        .map(|u| to_row(u, zone))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(MemberPage {
        rows,
        next,
        prev,
        count: std::cmp::min(counted, COUNT_CAP),
        count_capped: counted > COUNT_CAP,
    })
}

/// How many users the view matches, up to `COUNT_CAP + 1`.
///
/// A search matches at least as many rows as any one of its columns does, so when one
/// column alone reaches the cap (a quick index range count) the search does too, and the
/// union of all five, which a database collects in full before counting, is skipped.
pub(super) async fn capped_count(
    db: &impl ConnectionTrait,
    clinic_ids: &[i64],
    query: &ParsedQuery,
) -> Result<u64, AppError> {
    let cap = COUNT_CAP + 1;
    let count = |select: Select<user::Entity>| {
        select
            .select_only()
            .column(user::Column::Id)
            .limit(cap)
            .count(db)
    };
    if !fold(&query.q).is_empty() {
        for col in SEARCH_COLUMNS {
            let one = filtered_on(clinic_ids, query, &[col], Plan::SearchIndexes);
            if count(one).await? >= cap {
                return Ok(cap);
            }
        }
    } else if let (Some(room_id), None) = (query.room, query.user_type) {
        return capped_room_count(db, clinic_ids, query, room_id, cap).await;
    }
    Ok(count(filtered(clinic_ids, query, Plan::SearchIndexes)).await?)
}

/// [`capped_count`] of a room filter, alone or with a status: one range of the index
/// `user_rooms (room_id, status, user_id)`, read until the cap, however many members of the
/// clinic share the status. The room must be one of `clinic_ids`' (a room of another clinic
/// counts nothing); its members are its clinic's, which every write of an assignment checks.
async fn capped_room_count(
    db: &impl ConnectionTrait,
    clinic_ids: &[i64],
    query: &ParsedQuery,
    room_id: i64,
    cap: u64,
) -> Result<u64, AppError> {
    let mut assignments = room_members(room_id, query.status);
    if query.without_guests {
        // The guests, read once from their own small index (`users_guests`; guests are
        // kept for days) and left out: no probe of the users table per assignment. The
        // type is written out, not bound, so that every plan can use the partial index.
        assignments.and_where(
            Expr::col((user_room::Entity, user_room::Column::UserId)).not_in_subquery(
                Query::select()
                    .column(user::Column::Id)
                    .from(user::Entity)
                    .and_where(Expr::cust("user_type = 'guest'"))
                    .to_owned(),
            ),
        );
    }
    assignments
        .and_where(
            Expr::col((user_room::Entity, user_room::Column::RoomId)).in_subquery(
                Query::select()
                    .column(room::Column::Id)
                    .from(room::Entity)
                    .and_where(room::Column::ClinicId.is_in(clinic_ids.to_vec()))
                    .to_owned(),
            ),
        )
        .limit(cap);
    let counted = Query::select()
        .expr(Expr::cust("count(*)"))
        .from_subquery(assignments, Alias::new("matches"))
        .to_owned();
    let row = db
        .query_one(&counted)
        .await?
        .ok_or_else(|| AppError::internal("a count returned no row"))?;
    let n: i64 = row.try_get_by_index(0)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// A users-table row as read: the columns the table shows or pages by (not the rest of
/// the account, least of all its password hash), and the user's rooms from [`rooms_json`].
#[derive(sea_orm::FromQueryResult)]
struct Listed {
    id: i64,
    first_name: String,
    last_name: String,
    username: String,
    email: String,
    user_type: UserType,
    status: Status,
    last_login_at: i64,
    signed_up_at: i64,
    search_full: String,
    rooms: Option<String>,
}

const LISTED_COLUMNS: [user::Column; 10] = [
    user::Column::Id,
    user::Column::FirstName,
    user::Column::LastName,
    user::Column::Username,
    user::Column::Email,
    user::Column::UserType,
    user::Column::Status,
    user::Column::LastLoginAt,
    user::Column::SignedUpAt,
    user::Column::SearchFull,
];

/// Each row's rooms as a JSON array of `[name, code, slug]`, read with the row itself: a
/// subquery per returned row (at most a page's), through `user_rooms`' primary key, saves
/// the page a second statement and its round trip.
fn rooms_json(backend: DbBackend) -> SimpleExpr {
    let rooms = "FROM user_rooms ur JOIN rooms r ON r.id = ur.room_id \
                 WHERE ur.user_id = users.id";
    Expr::cust(match backend {
        DbBackend::Postgres => {
            format!("(SELECT json_agg(json_build_array(r.name, r.code, r.slug))::text {rooms})")
        }
        _ => format!("(SELECT json_group_array(json_array(r.name, r.code, r.slug)) {rooms})"),
    })
}

/// The rooms of a [`Listed`] row, by name.
fn rooms_of(json: Option<&str>) -> Result<Vec<RoomRef>, AppError> {
    let triples: Vec<(String, String, String)> = match json {
        Some(json) => serde_json::from_str(json)
            .map_err(|e| AppError::internal(format!("a row's rooms did not read: {e}")))?,
        None => Vec::new(),
    };
    let mut rooms: Vec<RoomRef> = triples
        .into_iter()
        .map(|(name, code, slug)| RoomRef { name, code, slug })
        .collect();
    rooms.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(rooms)
}

/// The rooms of `clinic_ids`, for the room filter.
pub async fn rooms(
    db: &impl ConnectionTrait,
    clinic_ids: &[i64],
) -> Result<Vec<RoomOption>, AppError> {
    Ok(room::Entity::find()
        .filter(room::Column::ClinicId.is_in(clinic_ids.to_vec()))
        .order_by_asc(room::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|r| RoomOption {
            id: r.id,
            name: r.name,
        })
        .collect())
}

fn to_row(u: Listed, zone: &jiff::tz::TimeZone) -> Result<MemberRow, AppError> {
    let rooms = rooms_of(u.rooms.as_deref())?;
    let (user_type, status) = (u.user_type, u.status);
    Ok(MemberRow {
        id: u.id,
        first_name: u.first_name,
        last_name: u.last_name,
        username: u.username,
        email: u.email,
        user_type,
        status,
        last_login: (u.last_login_at > 0).then(|| format_time(u.last_login_at, zone)),
        signed_up: format_time(u.signed_up_at, zone),
        rooms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_portal_ids_are_recognised() {
        assert_eq!(id_in_query("21408246"), Some(21408246));
        assert_eq!(id_in_query("cmouser21408246"), Some(21408246));
        assert_eq!(id_in_query("cmouser"), None);
        assert_eq!(id_in_query("jane"), None);
        assert_eq!(id_in_query("99999999999999999999999"), None);
    }
}
