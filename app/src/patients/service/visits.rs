//! Guests, members entering a waiting room, the queue and leaving it.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
};

use super::super::{GuestInput, VisitState, WaitStatus, guest_field, visit_reason};
use super::{entry_of, room_by_slug, visit_status};
use crate::accounts::{Status, UserType};
use crate::auth::session::{self, SessionUser, hash_token, new_token};
use crate::db::now_ms;
use crate::entities::{room, user, user_room, visit};
use crate::error::AppError;
use crate::state::AppState;
use crate::text::fold;

async fn waiting_guests(db: &impl ConnectionTrait, room_id: i64) -> Result<i64, AppError> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT COUNT(*) AS n FROM visits v JOIN users u ON u.id = v.user_id \
                 WHERE v.room_id = {room_id} AND v.status = '{}' AND u.user_type = '{}'",
                visit_status::WAITING,
                UserType::Guest.key()
            ),
        ))
        .await?;
    Ok(row.map_or(Ok(0), |r| r.try_get::<i64>("", "n"))?)
}

/// A unique username for a guest, who never signs in with it.
fn guest_username() -> String {
    let token = new_token();
    format!("guest-{}", &hash_token(&token)[..20])
}

/// Creates a guest and their visit (waiting) in the room; returns the session token.
#[tracing::instrument(skip_all)]
pub async fn enter_as_guest(
    state: &AppState,
    slug: &str,
    input: GuestInput,
) -> Result<String, AppError> {
    let (r, c) = room_by_slug(&state.db, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    if !entry_of(&r, &c, None).guest_allowed {
        return Err(AppError::Forbidden);
    }
    let valid = input.validate().map_err(AppError::fields)?;
    // A flood of guests can neither fill the queue ahead of real patients nor come from
    // one address: each address enters a few guests, then one every few minutes, and a
    // room holds so many waiting guests at most.
    state
        .throttle
        .guest_entry(&state.db, crate::auth::throttle::client_ip())
        .await?;
    let now = now_ms();
    let username = guest_username();
    let txn = crate::db::write_txn(&state.db).await?;
    // Guest entries to one room take turns for the count (on SQLite the write transaction
    // already does). `FOR NO KEY UPDATE` leaves the room's key free: inserts that refer to
    // the room (assignments, visits) take no turn, and so cannot deadlock with this one.
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        room::Entity::find_by_id(r.id)
            .lock(sea_orm::sea_query::LockType::NoKeyUpdate)
            .one(&txn)
            .await?;
    }
    if waiting_guests(&txn, r.id).await? >= state.throttle.guests_waiting_per_room() {
        return Err(AppError::validation("form", super::super::words::ROOM_FULL));
    }
    let guest = user::ActiveModel {
        clinic_id: Set(c.id),
        user_type: Set(UserType::Guest),
        provider_role: Set(None),
        username: Set(username.clone()),
        username_lower: Set(username.clone()),
        email: Set(String::new()),
        email_lower: Set(username),
        first_name: Set(valid.first_name.clone()),
        last_name: Set(valid.last_name.clone()),
        search_first: Set(fold(&valid.first_name)),
        search_last: Set(fold(&valid.last_name)),
        search_full: Set(fold(&format!("{} {}", valid.first_name, valid.last_name))),
        password_hash: Set(None),
        country: Set(crate::accounts::profile::DEFAULT_COUNTRY.to_owned()),
        timezone: Set(crate::accounts::profile::DEFAULT_TIMEZONE.to_owned()),
        status: Set(Status::Active),
        last_login_at: Set(now),
        signed_up_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    user_room::ActiveModel {
        user_id: Set(guest.id),
        room_id: Set(r.id),
        assigned_at: Set(now),
    }
    .insert(&txn)
    .await?;
    add_visit(&txn, &r, guest.id, valid.reason).await?;
    let token = session::create(&txn, guest.id, state.auth.session_absolute_ms).await?;
    txn.commit().await?;
    tracing::info!(
        user_id = guest.id,
        room_id = r.id,
        "guest entered a waiting room"
    );
    Ok(token)
}

async fn add_visit(
    db: &impl ConnectionTrait,
    r: &room::Model,
    user_id: i64,
    reason: String,
) -> Result<(), AppError> {
    visit::ActiveModel {
        clinic_id: Set(r.clinic_id),
        room_id: Set(r.id),
        user_id: Set(user_id),
        reason: Set(reason),
        status: Set(visit_status::WAITING.to_owned()),
        entered_at: Set(now_ms()),
        ended_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A signed-in member enters a room of their clinic's waiting room.
#[tracing::instrument(skip_all, fields(user_id = me.user_id))]
pub async fn join(
    db: &DatabaseConnection,
    me: &SessionUser,
    slug: &str,
    reason: &str,
) -> Result<(), AppError> {
    if me.user_type == UserType::Guest {
        return Err(AppError::Forbidden);
    }
    let (r, _) = room_by_slug(db, slug).await?.ok_or(AppError::NotFound)?;
    if r.clinic_id != me.clinic_id {
        return Err(AppError::NotFound);
    }
    if !r.active {
        return Err(AppError::validation("form", "This room is closed."));
    }
    let reason = visit_reason(reason).map_err(|m| AppError::validation(guest_field::REASON, m))?;
    let txn = crate::db::write_txn(db).await?;
    // One wait at a time: an earlier wait in any room counts as left.
    end_waiting(&txn, me.user_id, visit_status::LEFT).await?;
    add_visit(&txn, &r, me.user_id, reason).await?;
    txn.commit().await?;
    Ok(())
}

async fn end_waiting(db: &impl ConnectionTrait, user_id: i64, to: &str) -> Result<u64, AppError> {
    Ok(visit::Entity::update_many()
        .col_expr(visit::Column::Status, to.into())
        .col_expr(visit::Column::EndedAt, now_ms().into())
        .filter(visit::Column::UserId.eq(user_id))
        .filter(visit::Column::Status.eq(visit_status::WAITING))
        .exec(db)
        .await?
        .rows_affected)
}

/// The caller's newest visit and, while they wait, their place in the queue.
pub async fn queue(
    db: &DatabaseConnection,
    me: &SessionUser,
) -> Result<Option<WaitStatus>, AppError> {
    Ok(newest_visit(db, me).await?.map(|(_, status)| status))
}

/// As [`queue`]; but when the page already shows `shown` and the visit goes on, the
/// answer waits (up to `hold`) for the room's queue to change.
pub async fn queue_after(
    state: &AppState,
    me: &SessionUser,
    shown: Option<WaitStatus>,
    hold: std::time::Duration,
) -> Result<Option<WaitStatus>, AppError> {
    let watching = state.queues.watch();
    let now = newest_visit(&state.db, me).await?;
    match (now, shown) {
        (Some((room, status)), Some(shown)) if status == shown && status.state.goes_on() => {
            // Between 70 % of the hold and all of it: pages that began asking together (after
            // a server restart, say) do not all ask again together.
            let hold = hold.mul_f64(0.7 + rand::random::<f64>() * 0.3);
            watching.until_changed(room, hold).await;
            queue(&state.db, me).await
        }
        (now, _) => Ok(now.map(|(_, status)| status)),
    }
}

#[derive(FromQueryResult)]
struct NewestVisit {
    id: i64,
    room_id: i64,
    status: String,
    link_token: Option<String>,
    slug: String,
    room_name: String,
    visit_url: Option<String>,
    first_name: String,
    ahead: i64,
}

/// The caller's newest visit, with its room.
async fn newest_visit(
    db: &DatabaseConnection,
    me: &SessionUser,
) -> Result<Option<(i64, WaitStatus)>, AppError> {
    // One statement, as this runs for every waiting page's question: the newest visit,
    // its room, and while waiting, those who entered the room before and are still there
    // (over the (room_id, status, entered_at) index).
    let now = now_ms();
    let Some(v) = NewestVisit::find_by_statement(sea_orm::Statement::from_string(
        db.get_database_backend(),
        format!(
            "SELECT v.id, v.room_id, v.status, v.link_token, r.slug, r.name AS room_name, \
             r.visit_url, u.first_name, CASE WHEN v.status = '{waiting}' THEN \
             (SELECT COUNT(*) FROM visits a WHERE a.room_id = v.room_id \
             AND a.status = '{waiting}' AND (a.entered_at < v.entered_at \
             OR (a.entered_at = v.entered_at AND a.id < v.id)) AND {here}) ELSE 0 END AS ahead \
             FROM visits v JOIN rooms r ON r.id = v.room_id JOIN users u ON u.id = v.user_id \
             WHERE v.user_id = {user} ORDER BY v.entered_at DESC, v.id DESC LIMIT 1",
            waiting = visit_status::WAITING,
            here = crate::visits::service::still_here("a", now),
            user = me.user_id,
        ),
    ))
    .one(db)
    .await?
    else {
        return Ok(None);
    };
    let state = match v.status.as_str() {
        visit_status::WAITING => VisitState::Waiting {
            place: v.ahead.max(0) as u64 + 1,
        },
        visit_status::IN_PROGRESS => VisitState::InProgress,
        visit_status::COMPLETED => VisitState::Completed,
        visit_status::NO_SHOW => VisitState::NoShow,
        _ => VisitState::Left,
    };
    let visit_link = (state == VisitState::InProgress)
        .then(|| crate::visits::visit_link(v.visit_url.as_deref(), v.id, v.link_token.as_deref()));
    Ok(Some((
        v.room_id,
        WaitStatus {
            slug: v.slug,
            room_name: v.room_name,
            first_name: v.first_name,
            state,
            visit_link,
        },
    )))
}

/// Leaves the waiting room; returns the room's link, when the caller had a visit.
#[tracing::instrument(skip_all, fields(user_id = me.user_id))]
pub async fn leave(db: &DatabaseConnection, me: &SessionUser) -> Result<Option<String>, AppError> {
    let newest = visit::Entity::find()
        .filter(visit::Column::UserId.eq(me.user_id))
        .order_by_desc(visit::Column::EnteredAt)
        .order_by_desc(visit::Column::Id)
        .one(db)
        .await?;
    end_waiting(db, me.user_id, visit_status::LEFT).await?;
    let Some(v) = newest else { return Ok(None) };
    Ok(room::Entity::find_by_id(v.room_id)
        .one(db)
        .await?
        .map(|r| r.slug))
}
