//! Listing, saving and (de)activating rooms, each change audited.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};

use super::{RoomInput, RoomList, RoomRow, field};
use crate::accounts::store::is_unique_violation;
use crate::audit::{self, Action, Change};
use crate::auth::guard::Admin;
use crate::db::now_ms;
use crate::entities::{clinic, room, room_count};
use crate::error::{AppError, FieldError};

fn to_row(r: &room::Model, members: u64) -> RoomRow {
    RoomRow {
        id: r.id,
        clinic_id: r.clinic_id,
        name: r.name.clone(),
        code: r.code.clone(),
        slug: r.slug.clone(),
        active: r.active,
        guest_allowed: r.guest_allowed,
        signup_allowed: r.signup_allowed,
        visit_url: r.visit_url.clone().unwrap_or_default(),
        members,
        version: r.version,
    }
}

/// Each room's number of assigned members, as the database keeps it (`room_counts`): one
/// lookup per room however many members it has.
async fn member_counts(
    db: &impl ConnectionTrait,
    room_ids: Vec<i64>,
) -> Result<Vec<(i64, u64)>, AppError> {
    let counts = room_count::Entity::find()
        .filter(room_count::Column::RoomId.is_in(room_ids))
        .all(db)
        .await?;
    Ok(counts
        .into_iter()
        .map(|c| (c.room_id, c.members.max(0) as u64))
        .collect())
}

pub async fn list(db: &impl ConnectionTrait, clinic_ids: &[i64]) -> Result<RoomList, AppError> {
    let clinics = clinic::Entity::find()
        .filter(clinic::Column::Id.is_in(clinic_ids.to_vec()))
        .order_by_asc(clinic::Column::Name)
        .all(db)
        .await?;
    let rooms = room::Entity::find()
        .filter(room::Column::ClinicId.is_in(clinic_ids.to_vec()))
        .order_by_desc(room::Column::Active)
        .order_by_asc(room::Column::Name)
        .all(db)
        .await?;
    let counts = member_counts(db, rooms.iter().map(|r| r.id).collect()).await?;
    let count_of = |id: i64| counts.iter().find(|(r, _)| *r == id).map_or(0, |(_, n)| *n);
    Ok(RoomList {
        clinics: clinics.into_iter().map(|c| (c.id, c.name)).collect(),
        rooms: rooms.iter().map(|r| to_row(r, count_of(r.id))).collect(),
    })
}

async fn row_of(db: &impl ConnectionTrait, r: &room::Model) -> Result<RoomRow, AppError> {
    let n = member_counts(db, vec![r.id]).await?;
    Ok(to_row(r, n.first().map_or(0, |(_, n)| *n)))
}

/// The room with `id`, when it belongs to one of the admin's clinics.
async fn find_room(
    db: &impl ConnectionTrait,
    admin: &Admin,
    id: i64,
) -> Result<room::Model, AppError> {
    room::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|r| admin.clinic_ids.contains(&r.clinic_id))
        .ok_or(AppError::NotFound)
}

/// Messages for a code or link another room already has.
async fn taken(db: &impl ConnectionTrait, valid: &RoomInput) -> Result<Vec<FieldError>, AppError> {
    let mut errors = Vec::new();
    let others = |col: room::Column, value: &str| {
        let q = room::Entity::find().filter(col.eq(value.to_owned()));
        match valid.id {
            Some(id) => q.filter(room::Column::Id.ne(id)),
            None => q,
        }
    };
    if others(room::Column::Code, &valid.code)
        .one(db)
        .await?
        .is_some()
    {
        errors.push(FieldError::new(field::CODE, "Another room has that code."));
    }
    if others(room::Column::Slug, &valid.slug)
        .one(db)
        .await?
        .is_some()
    {
        errors.push(FieldError::new(field::SLUG, "Another room has that link."));
    }
    Ok(errors)
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn changes(old: Option<&room::Model>, new: &RoomInput) -> Vec<Change> {
    let mut out = Vec::new();
    let mut diff = |label: &str, from: String, to: String| {
        if from != to {
            out.push(Change::new(label, from, to));
        }
    };
    let o = |f: fn(&room::Model) -> String| old.map(f).unwrap_or_default();
    diff("Room", o(|r| r.name.clone()), new.name.clone());
    diff("Code", o(|r| r.code.clone()), new.code.clone());
    diff(
        "Link",
        o(|r| format!("/u/{}", r.slug)),
        format!("/u/{}", new.slug),
    );
    diff(
        "Guests may enter",
        o(|r| yes_no(r.guest_allowed).into()),
        yes_no(new.guest_allowed).into(),
    );
    diff(
        "Patients may sign up",
        o(|r| yes_no(r.signup_allowed).into()),
        yes_no(new.signup_allowed).into(),
    );
    diff(
        "Visit link",
        o(|r| r.visit_url.clone().unwrap_or_default()),
        new.visit_url.clone(),
    );
    out
}

/// What an admin is told whose edit started from an older version of the room.
fn changed_meanwhile() -> AppError {
    AppError::Conflict {
        message: "Another admin changed this room since you opened it. Cancel to see the \
                  room as it is now, then edit it again."
            .into(),
    }
}

/// What an admin is told whose Deactivate or Reopen met another admin's change.
fn changed_just_now() -> AppError {
    AppError::Conflict {
        message: "Another admin changed this room just now. The list shows it as it is: \
                  try again if it still needs it."
            .into(),
    }
}

/// Writes `am` over the room `old`, moving its version by one, if no one else has since
/// `old` was read; `None` when someone has.
async fn claim_version(
    txn: &impl ConnectionTrait,
    old: &room::Model,
    mut am: room::ActiveModel,
) -> Result<Option<room::Model>, sea_orm::DbErr> {
    am.version = Set(old.version + 1);
    let result = room::Entity::update_many()
        .set(am)
        .filter(room::Column::Id.eq(old.id))
        .filter(room::Column::Version.eq(old.version))
        .exec(txn)
        .await?;
    if result.rows_affected != 1 {
        return Ok(None);
    }
    room::Entity::find_by_id(old.id).one(txn).await
}

#[tracing::instrument(skip_all, fields(room_id = ?input.id, actor = admin.user_id))]
pub async fn save(
    db: &sea_orm::DatabaseConnection,
    admin: &Admin,
    input: RoomInput,
) -> Result<RoomRow, AppError> {
    let old = match input.id {
        Some(id) => Some(find_room(db, admin, id).await?),
        None => None,
    };
    let clinic_id = old.as_ref().map_or(input.clinic_id, |r| r.clinic_id);
    if !admin.clinic_ids.contains(&clinic_id) {
        return Err(AppError::validation(
            field::CLINIC,
            "Choose one of your clinics.",
        ));
    }
    let valid = input.validate().map_err(AppError::fields)?;
    let errors = taken(db, &valid).await?;
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    if let Some(old) = &old
        && valid.version != Some(old.version)
    {
        return Err(changed_meanwhile());
    }
    let changed = changes(old.as_ref(), &valid);
    if changed.is_empty()
        && let Some(old) = &old
    {
        return row_of(db, old).await;
    }
    let mut am = match &old {
        Some(_) => <room::ActiveModel as Default>::default(),
        None => room::ActiveModel {
            clinic_id: Set(clinic_id),
            active: Set(true),
            created_at: Set(now_ms()),
            ..Default::default()
        },
    };
    am.name = Set(valid.name.clone());
    am.code = Set(valid.code.clone());
    am.slug = Set(valid.slug.clone());
    am.guest_allowed = Set(valid.guest_allowed);
    am.signup_allowed = Set(valid.signup_allowed);
    am.visit_url = Set(Some(valid.visit_url.clone()).filter(|u| !u.is_empty()));
    let txn = crate::db::write_txn(db).await?;
    let written = match &old {
        Some(old) => claim_version(&txn, old, am).await,
        None => am.insert(&txn).await.map(Some),
    };
    let saved = match written {
        Ok(Some(saved)) => saved,
        Ok(None) => {
            txn.rollback().await?;
            return Err(changed_meanwhile());
        }
        Err(err) if is_unique_violation(&err) => {
            txn.rollback().await?;
            // Another admin took the code or link since the check above.
            let errors = taken(db, &valid).await?;
            return Err(if errors.is_empty() {
                AppError::Conflict {
                    message: "That code or link was just taken. Try again.".into(),
                }
            } else {
                AppError::fields(errors)
            });
        }
        Err(err) => return Err(err.into()),
    };
    let action = if old.is_some() {
        Action::RoomChanged
    } else {
        Action::RoomCreated
    };
    audit::service::record_clinic(&txn, clinic_id, admin.user_id, action, &changed).await?;
    txn.commit().await?;
    tracing::info!(room_id = saved.id, "room saved");
    row_of(db, &saved).await
}

#[tracing::instrument(skip_all, fields(room_id = id, actor = admin.user_id))]
pub async fn set_active(
    db: &sea_orm::DatabaseConnection,
    admin: &Admin,
    id: i64,
    active: bool,
) -> Result<RoomRow, AppError> {
    let old = find_room(db, admin, id).await?;
    if old.active == active {
        return row_of(db, &old).await;
    }
    let txn = crate::db::write_txn(db).await?;
    let Some(saved) = claim_version(
        &txn,
        &old,
        room::ActiveModel {
            active: Set(active),
            ..Default::default()
        },
    )
    .await?
    else {
        // Another admin changed the room since it was read here: their change stands, and
        // the admin sees the room as it is now.
        txn.rollback().await?;
        return Err(changed_just_now());
    };
    let state = |a: bool| if a { "Active" } else { "Inactive" };
    audit::service::record_clinic(
        &txn,
        old.clinic_id,
        admin.user_id,
        Action::RoomChanged,
        &[Change::new(
            &format!("Room {}", old.name),
            state(old.active),
            state(active),
        )],
    )
    .await?;
    txn.commit().await?;
    row_of(db, &saved).await
}
