//! The queues and the visits, on the server. Every change is one conditional `UPDATE`: of
//! two providers pressing Start on the same patient, exactly one finds them still waiting.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Statement,
};

use super::{Board, GONE_AFTER_MS, QueueEntry, RoomQueue, VisitView, visit_link};
use crate::accounts::UserType;
use crate::auth::guard::Provider;
use crate::auth::session::SessionUser;
use crate::db::now_ms;
use crate::entities::{room, user, user_room, visit};
use crate::error::AppError;
use crate::patients::service::visit_status;
use crate::text::format_time;

/// The rooms the caller serves: a Clinic Admin every active room of their clinics, a
/// Provider the active rooms of their clinic they are assigned to.
pub async fn rooms_of(
    db: &impl ConnectionTrait,
    who: &Provider,
) -> Result<Vec<room::Model>, AppError> {
    let mut mine = Condition::any();
    if !who.admin_of.is_empty() {
        mine = mine.add(room::Column::ClinicId.is_in(who.admin_of.clone()));
    }
    if who.user_type == UserType::Provider {
        let assigned: Vec<i64> = user_room::Entity::find()
            .filter(user_room::Column::UserId.eq(who.user_id))
            .all(db)
            .await?
            .into_iter()
            .map(|a| a.room_id)
            .collect();
        mine = mine.add(
            Condition::all()
                .add(room::Column::Id.is_in(assigned))
                .add(room::Column::ClinicId.eq(who.clinic_id)),
        );
    }
    Ok(room::Entity::find()
        .filter(mine)
        .filter(room::Column::Active.eq(true))
        .order_by_asc(room::Column::Name)
        .all(db)
        .await?)
}

fn ids(rooms: &[room::Model]) -> String {
    let ids: Vec<String> = rooms.iter().map(|r| r.id.to_string()).collect();
    if ids.is_empty() {
        "NULL".to_owned()
    } else {
        ids.join(", ")
    }
}

/// Those waiting (whose page still asks) and those in a visit, in every room of the caller.
pub async fn board(db: &DatabaseConnection, who: &Provider) -> Result<Board, AppError> {
    let rooms = rooms_of(db, who).await?;
    let now = now_ms();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT v.id AS id, v.room_id AS room_id, v.reason AS reason, v.status AS status, \
                 v.entered_at AS entered_at, v.started_at AS started_at, v.link_token AS link_token, \
                 u.first_name AS first_name, u.last_name AS last_name, u.user_type AS user_type, \
                 p.first_name AS p_first, p.last_name AS p_last \
                 FROM visits v JOIN users u ON u.id = v.user_id \
                 LEFT JOIN users p ON p.id = v.started_by \
                 WHERE v.room_id IN ({rooms}) AND (v.status = '{in_progress}' OR \
                 (v.status = '{waiting}' AND {here})) \
                 ORDER BY v.entered_at, v.id",
                rooms = ids(&rooms),
                in_progress = visit_status::IN_PROGRESS,
                waiting = visit_status::WAITING,
                here = still_here("v", now),
            ),
        ))
        .await?;
    let mut queues: Vec<RoomQueue> = rooms
        .iter()
        .map(|r| RoomQueue {
            room_id: r.id,
            name: r.name.clone(),
            waiting: Vec::new(),
            in_visit: Vec::new(),
        })
        .collect();
    let at: HashMap<i64, usize> = rooms.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let urls: HashMap<i64, Option<String>> =
        rooms.iter().map(|r| (r.id, r.visit_url.clone())).collect();
    for row in rows {
        let get_s = |c: &str| row.try_get::<String>("", c).unwrap_or_default();
        let id: i64 = row.try_get("", "id")?;
        let room_id: i64 = row.try_get("", "room_id")?;
        let Some(&i) = at.get(&room_id) else { continue };
        let in_progress = get_s("status") == visit_status::IN_PROGRESS;
        let provider = row
            .try_get::<Option<String>>("", "p_first")
            .ok()
            .flatten()
            .map(|f| format!("{f} {}", get_s("p_last")));
        let entry = QueueEntry {
            visit_id: id,
            name: format!("{} {}", get_s("first_name"), get_s("last_name")),
            guest: get_s("user_type") == UserType::Guest.key(),
            reason: get_s("reason"),
            entered_at: row.try_get("", "entered_at")?,
            started_at: row.try_get::<Option<i64>>("", "started_at").ok().flatten(),
            provider: in_progress.then(|| provider.unwrap_or_else(|| "a provider".to_owned())),
            link: in_progress.then(|| {
                let token = row
                    .try_get::<Option<String>>("", "link_token")
                    .ok()
                    .flatten();
                visit_link(
                    urls.get(&room_id).cloned().flatten().as_deref(),
                    id,
                    token.as_deref(),
                )
            }),
        };
        if in_progress {
            queues[i].in_visit.push(entry);
        } else {
            queues[i].waiting.push(entry);
        }
    }
    Ok(Board { now, rooms: queues })
}

/// The visit, when it is in one of the caller's rooms.
async fn visit_in_rooms(
    db: &DatabaseConnection,
    who: &Provider,
    visit_id: i64,
) -> Result<(visit::Model, room::Model), AppError> {
    let v = visit::Entity::find_by_id(visit_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let r = rooms_of(db, who)
        .await?
        .into_iter()
        .find(|r| r.id == v.room_id)
        .ok_or(AppError::NotFound)?;
    Ok((v, r))
}

/// What a refused change says: the visit moved on before the caller pressed.
async fn moved_on(db: &DatabaseConnection, v: &visit::Model) -> AppError {
    let fresh = visit::Entity::find_by_id(v.id).one(db).await.ok().flatten();
    let message = match fresh.as_ref().map(|f| f.status.as_str()) {
        Some(visit_status::IN_PROGRESS) => {
            let by = match fresh.and_then(|f| f.started_by) {
                Some(id) => user::Entity::find_by_id(id)
                    .one(db)
                    .await
                    .ok()
                    .flatten()
                    .map(|p| format!("{} {}", p.first_name, p.last_name)),
                None => None,
            };
            format!(
                "{} has already started this visit.",
                by.unwrap_or_else(|| "Another provider".to_owned())
            )
        }
        Some(visit_status::COMPLETED | visit_status::NO_SHOW) => {
            "This visit has already ended.".to_owned()
        }
        _ => "This patient is no longer waiting.".to_owned(),
    };
    AppError::Conflict { message }
}

/// Starts the visit of a waiting patient; returns its link.
#[tracing::instrument(skip_all, fields(visit_id = visit_id, provider = who.user_id))]
pub async fn start(
    db: &DatabaseConnection,
    who: &Provider,
    visit_id: i64,
) -> Result<String, AppError> {
    let (v, r) = visit_in_rooms(db, who, visit_id).await?;
    let now = now_ms();
    let token = crate::auth::session::new_token();
    let started = visit::Entity::update_many()
        .col_expr(visit::Column::Status, visit_status::IN_PROGRESS.into())
        .col_expr(visit::Column::StartedAt, now.into())
        .col_expr(visit::Column::StartedBy, who.user_id.into())
        .col_expr(visit::Column::LinkToken, token.clone().into())
        .filter(visit::Column::Id.eq(v.id))
        .filter(visit::Column::Status.eq(visit_status::WAITING))
        .filter(visit::Column::RoomId.eq(r.id))
        .exec(db)
        .await?
        .rows_affected;
    if started == 0 {
        // Pressed twice by the same provider: the visit they started.
        let fresh = visit::Entity::find_by_id(v.id).one(db).await?;
        if let Some(f) = fresh
            .filter(|f| f.status == visit_status::IN_PROGRESS && f.started_by == Some(who.user_id))
        {
            return Ok(visit_link(
                r.visit_url.as_deref(),
                f.id,
                f.link_token.as_deref(),
            ));
        }
        return Err(moved_on(db, &v).await);
    }
    tracing::info!(room_id = r.id, "visit started");
    Ok(visit_link(r.visit_url.as_deref(), v.id, Some(&token)))
}

/// Ends a visit: completed (from a visit in progress) or a no-show (from either).
#[tracing::instrument(skip_all, fields(visit_id = visit_id, provider = who.user_id))]
pub async fn finish(
    db: &DatabaseConnection,
    who: &Provider,
    visit_id: i64,
    no_show: bool,
) -> Result<(), AppError> {
    let (v, r) = match visit_in_rooms(db, who, visit_id).await {
        Ok(found) => found,
        // A visit its room's list no longer shows (the room closed, or the provider was
        // moved) can still be ended by whoever started it, or by the clinic's admin.
        Err(AppError::NotFound) => {
            let v = visit::Entity::find_by_id(visit_id)
                .one(db)
                .await?
                .ok_or(AppError::NotFound)?;
            let r = room::Entity::find_by_id(v.room_id)
                .one(db)
                .await?
                .ok_or(AppError::NotFound)?;
            let may = v.started_by == Some(who.user_id) && r.clinic_id == who.clinic_id
                || who.admin_of.contains(&r.clinic_id);
            if !may || v.status != visit_status::IN_PROGRESS {
                return Err(AppError::NotFound);
            }
            (v, r)
        }
        Err(other) => return Err(other),
    };
    let (to, from) = if no_show {
        (
            visit_status::NO_SHOW,
            vec![visit_status::WAITING, visit_status::IN_PROGRESS],
        )
    } else {
        (visit_status::COMPLETED, vec![visit_status::IN_PROGRESS])
    };
    let ended = visit::Entity::update_many()
        .col_expr(visit::Column::Status, to.into())
        .col_expr(visit::Column::EndedAt, now_ms().into())
        .col_expr(visit::Column::EndedBy, who.user_id.into())
        .filter(visit::Column::Id.eq(v.id))
        .filter(visit::Column::Status.is_in(from))
        .filter(visit::Column::RoomId.eq(r.id))
        .exec(db)
        .await?
        .rows_affected;
    if ended == 0 {
        return Err(moved_on(db, &v).await);
    }
    tracing::info!(room_id = r.id, status = to, "visit ended");
    Ok(())
}

/// A visit's page: for its patient, and for the providers of its room.
pub async fn view(
    db: &DatabaseConnection,
    me: &SessionUser,
    visit_id: i64,
) -> Result<VisitView, AppError> {
    // The reader's zone: the patient's, or the provider's.
    let zone = crate::text::zone(&me.timezone);
    let v = visit::Entity::find_by_id(visit_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    if v.user_id != me.user_id {
        let who = Provider::of(me).ok_or(AppError::NotFound)?;
        visit_in_rooms(db, &who, visit_id).await?;
    }
    let r = room::Entity::find_by_id(v.room_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let name = |u: Option<user::Model>| u.map(|u| format!("{} {}", u.first_name, u.last_name));
    let patient = name(user::Entity::find_by_id(v.user_id).one(db).await?).unwrap_or_default();
    let provider = match v.started_by {
        Some(id) => name(user::Entity::find_by_id(id).one(db).await?),
        None => None,
    };
    Ok(VisitView {
        room_name: r.name,
        patient,
        provider,
        status: visit_status::label(&v.status),
        in_progress: v.status == visit_status::IN_PROGRESS,
        started_at: v.started_at.map(|at| format_time(at, &zone)),
        ended_at: v.ended_at.map(|at| format_time(at, &zone)),
    })
}

/// The condition on visit `v` that its patient is still there: they entered within the
/// grace time, or a session of theirs was seen within it.
pub fn still_here(v: &str, now: i64) -> String {
    let gone = now - GONE_AFTER_MS;
    format!(
        "({v}.entered_at > {gone} OR EXISTS (SELECT 1 FROM sessions s \
         WHERE s.user_id = {v}.user_id AND s.last_seen_at > {gone}))"
    )
}

/// Records as left every waiting patient silent past the grace time (their tab closed),
/// as of when they were last seen: the once-a-minute job. Returns how many.
pub async fn end_silent_waits(db: &impl ConnectionTrait, now: i64) -> Result<u64, AppError> {
    Ok(db
        .execute_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "UPDATE visits SET status = '{left}', ended_at = CASE WHEN {seen} > entered_at \
                 THEN {seen} ELSE entered_at END WHERE status = '{waiting}' AND NOT {here}",
                seen = "COALESCE((SELECT MAX(s.last_seen_at) FROM sessions s \
                        WHERE s.user_id = visits.user_id), 0)",
                left = visit_status::LEFT,
                waiting = visit_status::WAITING,
                here = still_here("visits", now),
            ),
        ))
        .await?
        .rows_affected())
}
