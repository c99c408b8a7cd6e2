//! Export CSV: the users page's current view (search, filters, sort), every matching row,
//! as one CSV file. Rows are read a batch at a time past the last one sent (the table's own
//! keyset), written and sent before the next is read, so the server's memory stays flat
//! however many rows there are. Each export is an audit event, written before its first
//! byte, in every clinic it reads; two run at once on a server at most.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::sea_query::Order;
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::page_plan::{Plan, plan_for};
use super::users_table::{beyond, capped_count, cursor_at, filtered, in_order};
use crate::audit::{self, Action, Change};
use crate::auth::session::{self, SessionUser};
use crate::entities::{clinic, room, user, user_room};
use crate::error::AppError;
use crate::members::query::{Cursor, Dir, ParsedQuery, UsersQuery};
use crate::state::AppState;

/// Rows read and sent at a time.
const BATCH: u64 = 1000;

/// Exports one server runs at once; another is answered "busy" until one of them ends.
pub const AT_ONCE: usize = 2;

/// What a page of another site that links to the export gets instead of it.
pub const EXPORT_FROM_FRONTDESK: &str =
    "Export CSV starts from Frontdesk's own users page. Open Users there and export.";

/// A member's fields as exported (never the password's hash).
#[derive(Debug, FromQueryResult)]
struct Exported {
    id: i64,
    clinic_id: i64,
    user_type: crate::accounts::UserType,
    status: crate::accounts::Status,
    username: String,
    first_name: String,
    last_name: String,
    email: String,
    date_of_birth: Option<String>,
    address: Option<String>,
    city: Option<String>,
    state: Option<String>,
    zip: Option<String>,
    country: String,
    phone: Option<String>,
    pcp_name: Option<String>,
    pcp_phone: Option<String>,
    timezone: String,
    signed_up_at: i64,
    last_login_at: i64,
    search_full: String,
}

const EXPORTED_COLUMNS: [user::Column; 21] = [
    user::Column::Id,
    user::Column::ClinicId,
    user::Column::UserType,
    user::Column::Status,
    user::Column::Username,
    user::Column::FirstName,
    user::Column::LastName,
    user::Column::Email,
    user::Column::DateOfBirth,
    user::Column::Address,
    user::Column::City,
    user::Column::State,
    user::Column::Zip,
    user::Column::Country,
    user::Column::Phone,
    user::Column::PcpName,
    user::Column::PcpPhone,
    user::Column::Timezone,
    user::Column::SignedUpAt,
    user::Column::LastLoginAt,
    user::Column::SearchFull,
];

/// The file's columns: the member's IDs, type and status, then the Create a Member fields in
/// the article's order, then when they signed up and last signed in.
pub const HEADER: [&str; 22] = [
    "ID",
    "Portal ID",
    "User Type",
    "Status",
    "Clinic",
    "Rooms",
    "Username",
    "First Name",
    "Last Name",
    "Email",
    "Date of Birth",
    "Address",
    "City",
    "State",
    "Zip",
    "Country",
    "Phone",
    "Primary Care Physician Name",
    "Primary Care Physician Phone",
    "Timezone",
    "Signed Up",
    "Last Login",
];

/// A cell as written: a value a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a
/// tab or a carriage return first) is kept as text by a leading apostrophe.
fn cell(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_owned(),
    }
}

/// `ms` in the admin's time zone, ISO 8601 with its offset; empty for never.
fn when(ms: i64, tz: &jiff::tz::TimeZone) -> String {
    if ms <= 0 {
        return String::new();
    }
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned_datetime(tz.clone())
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string()
        })
        .unwrap_or_default()
}

/// What the export needs besides the rows: who asks, in which clinics, in which time zone.
struct Walk {
    /// Held while the export runs (dropped with the stream, however it ends).
    _permit: tokio::sync::OwnedSemaphorePermit,
    state: AppState,
    clinic_ids: Vec<i64>,
    clinic_names: HashMap<i64, String>,
    query: ParsedQuery,
    /// The members picked on the page ("Export selected"), when not the whole view.
    only: Option<Vec<i64>>,
    tz: jiff::tz::TimeZone,
}

impl Walk {
    /// The batch after `cursor`, in the view's order.
    async fn batch(&self, cursor: Option<&Cursor>, plan: Plan) -> Result<Vec<Exported>, AppError> {
        let ascending = self.query.dir == Dir::Asc;
        let mut select = picked(filtered(&self.clinic_ids, &self.query, plan), &self.only);
        if let Some(c) = cursor {
            select = select.filter(beyond(self.query.sort, c, ascending));
        }
        let order = if ascending { Order::Asc } else { Order::Desc };
        Ok(in_order(select, self.query.sort, plan, order)
            .limit(BATCH)
            .select_only()
            .columns(EXPORTED_COLUMNS)
            .into_model::<Exported>()
            .all(&self.state.db)
            .await?)
    }

    /// The codes of the rooms of `ids`, by member.
    async fn rooms(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<String>>, AppError> {
        let pairs: Vec<(i64, String)> = user_room::Entity::find()
            .select_only()
            .column(user_room::Column::UserId)
            .column(room::Column::Code)
            .inner_join(room::Entity)
            .filter(user_room::Column::UserId.is_in(ids.to_vec()))
            .order_by_asc(room::Column::Code)
            .into_tuple()
            .all(&self.state.db)
            .await?;
        let mut by_member: HashMap<i64, Vec<String>> = HashMap::new();
        for (id, code) in pairs {
            by_member.entry(id).or_default().push(code);
        }
        Ok(by_member)
    }

    /// `rows` as CSV lines.
    fn lines(
        &self,
        rows: &[Exported],
        rooms: &HashMap<i64, Vec<String>>,
    ) -> Result<Vec<u8>, AppError> {
        let mut out = csv::Writer::from_writer(Vec::new());
        for u in rows {
            let room_codes = rooms.get(&u.id).map(|c| c.join(" ")).unwrap_or_default();
            let opt = |v: &Option<String>| cell(v.as_deref().unwrap_or_default());
            out.write_record([
                u.id.to_string(),
                crate::text::portal_id(u.id),
                u.user_type.label().to_owned(),
                u.status.label().to_owned(),
                cell(
                    self.clinic_names
                        .get(&u.clinic_id)
                        .map_or("", String::as_str),
                ),
                cell(&room_codes),
                cell(&u.username),
                cell(&u.first_name),
                cell(&u.last_name),
                cell(&u.email),
                opt(&u.date_of_birth),
                opt(&u.address),
                opt(&u.city),
                opt(&u.state),
                opt(&u.zip),
                cell(&u.country),
                opt(&u.phone),
                opt(&u.pcp_name),
                opt(&u.pcp_phone),
                cell(&u.timezone),
                when(u.signed_up_at, &self.tz),
                when(u.last_login_at, &self.tz),
            ])
            .map_err(|e| AppError::internal(format!("CSV: {e}")))?;
        }
        out.into_inner()
            .map_err(|e| AppError::internal(format!("CSV: {e}")))
    }
}

/// `select` narrowed to the members picked, if any.
fn picked(
    select: sea_orm::Select<user::Entity>,
    only: &Option<Vec<i64>>,
) -> sea_orm::Select<user::Entity> {
    match only {
        Some(ids) => select.filter(user::Column::Id.is_in(ids.clone())),
        None => select,
    }
}

/// The members `ids` names ("21408246,21408247"): none for the whole view, at most a
/// page's.
fn picked_ids(ids: &str) -> Result<Option<Vec<i64>>, AppError> {
    if ids.trim().is_empty() {
        return Ok(None);
    }
    let refuse = || AppError::validation("ids", "Select the members of one page at most.");
    let ids: Vec<i64> = ids
        .split(',')
        .map(|id| id.trim().parse().map_err(|_| refuse()))
        .collect::<Result<_, _>>()?;
    if ids.len() > crate::members::bulk::MAX_PICKED {
        return Err(refuse());
    }
    Ok(Some(ids))
}

/// The export of `query` (only the members `ids` names, if any) for the session in
/// `headers`: a CSV download, or the refusal.
pub async fn export_csv(
    state: AppState,
    headers: &axum::http::HeaderMap,
    query: UsersQuery,
    ids: &str,
) -> Response {
    match start(state, headers, query, ids).await {
        Ok(response) => response,
        Err(err) => {
            let status =
                StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, err.to_string()).into_response()
        }
    }
}

/// The admin of the session in `headers`, with two-step sign-in done where it is required,
/// in the zone they read times in.
pub(super) async fn admin_of(
    state: &AppState,
    headers: &axum::http::HeaderMap,
) -> Result<SessionUser, AppError> {
    let token = session::token_from_headers(headers).ok_or(AppError::Unauthorized)?;
    let me = session::lookup(&state.db, &state.touches, &token)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if me.admin_of.is_empty() || me.two_step_missing {
        return Err(AppError::Forbidden);
    }
    Ok(crate::auth::guard::in_browser_zone(me, headers))
}

async fn start(
    state: AppState,
    headers: &axum::http::HeaderMap,
    query: UsersQuery,
    ids: &str,
) -> Result<Response, AppError> {
    // An admin only, of their own clinics, from Frontdesk's own pages.
    let me = admin_of(&state, headers).await?;
    if crate::auth::guard::started_elsewhere(headers) {
        return Ok((StatusCode::FORBIDDEN, EXPORT_FROM_FRONTDESK).into_response());
    }
    let permit = state
        .exports
        .clone()
        .try_acquire_owned()
        .map_err(|_| AppError::Busy)?;
    let parsed = query.parse()?;
    let only = picked_ids(ids)?;
    let tz = crate::text::zone(&me.timezone);
    let clinic_names = clinic::Entity::find()
        .filter(clinic::Column::Id.is_in(me.admin_of.clone()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let counted = capped_count(&state.db, &me.admin_of, &parsed).await?;
    let plan = plan_for(&parsed, counted);
    // Audited before the first byte: an export that stops halfway shows too, with the rows
    // its view matched when it began.
    let rows = picked(filtered(&me.admin_of, &parsed, plan), &only)
        .count(&state.db)
        .await?;
    let view = match &only {
        Some(ids) => format!("{} selected of {}", ids.len(), describe(&query)),
        None => describe(&query),
    };
    audit_export(&state, &me, &view, rows).await?;
    let walk = Walk {
        _permit: permit,
        state,
        clinic_ids: me.admin_of.clone(),
        clinic_names,
        query: parsed,
        only,
        tz,
    };
    let head = {
        // A byte-order mark first: spreadsheets then read the file as UTF-8.
        let mut w = csv::Writer::from_writer("\u{feff}".as_bytes().to_vec());
        w.write_record(HEADER)
            .map_err(|e| AppError::internal(format!("CSV: {e}")))?;
        w.into_inner()
            .map_err(|e| AppError::internal(format!("CSV: {e}")))?
    };
    let stream = futures::stream::unfold(
        (walk, Step::Head(head), 0u64),
        move |(walk, step, sent)| async move {
            let cursor = match step {
                Step::Head(head) => {
                    return Some((Ok(Bytes::from(head)), (walk, Step::From(None), sent)));
                }
                Step::From(cursor) => cursor,
                Step::Done => return None,
            };
            match next_lines(&walk, cursor.as_ref(), plan).await {
                Ok((0, _, _)) => None,
                Ok((n, last, bytes)) => {
                    let step = match last {
                        Some(last) if n == BATCH => Step::From(Some(last)),
                        _ => Step::Done,
                    };
                    Some((Ok(Bytes::from(bytes)), (walk, step, sent + n)))
                }
                Err(err) => {
                    tracing::warn!(error = %err, rows = sent, "export stopped");
                    let stopped = std::io::Error::other("export stopped");
                    Some((Err(stopped), (walk, Step::Done, sent)))
                }
            }
        },
    );
    // Fused: a body wrapper (compression) may ask once more after the end.
    let mut response = Body::from_stream(futures::StreamExt::fuse(stream)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"users.csv\""),
    );
    Ok(response)
}

/// Where an export stands: its header to send, the batch after a cursor (none: the first),
/// or done.
enum Step {
    Head(Vec<u8>),
    From(Option<Cursor>),
    Done,
}

/// The batch after `cursor` as CSV lines: how many rows, the last one's cursor, the bytes.
async fn next_lines(
    walk: &Walk,
    cursor: Option<&Cursor>,
    plan: Plan,
) -> Result<(u64, Option<Cursor>, Vec<u8>), AppError> {
    let rows = walk.batch(cursor, plan).await?;
    let ids: Vec<i64> = rows.iter().map(|u| u.id).collect();
    let rooms = walk.rooms(&ids).await?;
    let bytes = walk.lines(&rows, &rooms)?;
    let last = rows.last().map(|u| {
        let sort = walk.query.sort;
        cursor_at(sort, u.id, u.signed_up_at, u.last_login_at, &u.search_full)
    });
    Ok((rows.len() as u64, last, bytes))
}

/// The view as the audit trail names it.
pub(super) fn describe(q: &UsersQuery) -> String {
    let mut parts = Vec::new();
    let mut add = |name: &str, value: &str| {
        if !value.is_empty() {
            parts.push(format!("{name}: {value}"));
        }
    };
    add("search", &q.q);
    // No type is the default view: everyone but guests.
    add(
        "type",
        if q.user_type.is_empty() {
            "all but guests"
        } else {
            &q.user_type
        },
    );
    add("status", &q.status);
    add("room", &q.room);
    add("sort", &q.sort);
    add("direction", &q.dir);
    parts.join(", ")
}

/// The export's audit event in each clinic it reads: which view, how many rows it matched.
async fn audit_export(
    state: &AppState,
    me: &SessionUser,
    view: &str,
    rows: u64,
) -> Result<(), AppError> {
    let changes = [
        Change::new("View", "", view),
        Change::new("Rows", "", rows.to_string()),
    ];
    for &clinic_id in &me.admin_of {
        audit::service::record_clinic(&state.db, clinic_id, me.user_id, Action::Exported, &changes)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_is_named_by_its_type_the_default_without_guests() {
        let view = |user_type: &str| UsersQuery {
            user_type: user_type.into(),
            ..UsersQuery::default()
        };
        assert_eq!(describe(&view("")), "type: all but guests");
        assert_eq!(describe(&view("all")), "type: all");
        assert_eq!(describe(&view("guest")), "type: guest");
    }

    #[test]
    fn formulas_are_kept_as_text() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\tx"), "'\tx");
        assert_eq!(cell("Jane"), "Jane");
        assert_eq!(cell(""), "");
    }
}
