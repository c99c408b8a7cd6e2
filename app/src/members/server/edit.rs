//! The Member Detail modal on the server: opening a member, and saving the Profile, Rooms and
//! Other tabs.
//!
//! Every function takes the admin's clinics and finds the member only among them, so a
//! member of another clinic is simply "not found". Every change is one transaction that
//! starts with its write (SQLite takes its write lock at once), checks the version the admin
//! read, and records an audit event.

use std::collections::{HashMap, HashSet};

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::accounts::profile::{ProfileInput, field};
use crate::accounts::store::{
    apply_profile, checked_profile, claim_version, dedup, find_in_clinics, profile_of, stale,
};
use crate::accounts::{Status, UserType};
use crate::audit::service::profile_changes;
use crate::audit::{self, Action, Change};
use crate::auth::guard::Admin;
use crate::db::now_ms;
use crate::entities::{clinic, clinic_admin, room, user, user_room, visit};
use crate::error::AppError;
use crate::members::types::{AssignedRoom, MemberDetail, MemberHistory, PROVIDER_ROLES};
use crate::patients::VisitRow;
use crate::text::format_time;

/// Visits shown in the Management tab.
const VISITS_SHOWN: u64 = 50;
/// Audit events shown in the Management tab.
const HISTORY_SHOWN: u64 = 100;

/// The member with `id` among the admin's clinics.
pub(crate) async fn find_member(
    db: &impl ConnectionTrait,
    admin: &Admin,
    id: i64,
) -> Result<user::Model, AppError> {
    find_in_clinics(db, &admin.clinic_ids, id).await
}

fn to_assigned(r: &room::Model) -> AssignedRoom {
    AssignedRoom {
        id: r.id,
        name: r.name.clone(),
        code: r.code.clone(),
        slug: r.slug.clone(),
    }
}

/// The member's newest visits as the Management tab lists them, and how many there are.
async fn newest_visits(
    db: &impl ConnectionTrait,
    member_id: i64,
    clinic_rooms: &[room::Model],
    zone: &jiff::tz::TimeZone,
) -> Result<(Vec<VisitRow>, u64), AppError> {
    let room_names: HashMap<i64, &str> = clinic_rooms
        .iter()
        .map(|r| (r.id, r.name.as_str()))
        .collect();
    let visits = visit::Entity::find()
        .filter(visit::Column::UserId.eq(member_id))
        .order_by_desc(visit::Column::EnteredAt)
        .limit(VISITS_SHOWN)
        .all(db)
        .await?;
    let count = if (visits.len() as u64) < VISITS_SHOWN {
        visits.len() as u64
    } else {
        visit::Entity::find()
            .filter(visit::Column::UserId.eq(member_id))
            .count(db)
            .await?
    };
    let rows = crate::patients::service::visit_rows(
        db,
        visits,
        |id| room_names.get(&id).copied().unwrap_or_default().to_owned(),
        zone,
    )
    .await?;
    Ok((rows, count))
}

async fn detail_of(
    db: &impl ConnectionTrait,
    admin: &Admin,
    u: user::Model,
) -> Result<MemberDetail, AppError> {
    let clinic = clinic::Entity::find_by_id(u.clinic_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let clinic_rooms: Vec<room::Model> = room::Entity::find()
        .filter(room::Column::ClinicId.eq(u.clinic_id))
        .order_by_asc(room::Column::Name)
        .all(db)
        .await?;
    let assigned: HashSet<i64> = user_room::Entity::find()
        .filter(user_room::Column::UserId.eq(u.id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.room_id)
        .collect();
    let (visits, visit_count) = newest_visits(db, u.id, &clinic_rooms, &admin.zone).await?;
    let (user_type, status) = (u.user_type, u.status);
    Ok(MemberDetail {
        id: u.id,
        clinic_id: u.clinic_id,
        clinic_name: clinic.name,
        version: u.version,
        user_type,
        provider_role: u.provider_role.clone(),
        status,
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        username: u.username.clone(),
        email: u.email.clone(),
        profile: profile_of(&u),
        rooms: clinic_rooms
            .iter()
            .filter(|r| assigned.contains(&r.id))
            .map(to_assigned)
            .collect(),
        clinic_rooms: clinic_rooms
            .iter()
            .filter(|r| r.active)
            .map(to_assigned)
            .collect(),
        signed_up: format_time(u.signed_up_at, &admin.zone),
        last_login: (u.last_login_at > 0).then(|| format_time(u.last_login_at, &admin.zone)),
        visits,
        visit_count,
        is_self: u.id == admin.user_id,
        delete_on: u
            .delete_after
            .filter(|_| status == Status::PendingDelete)
            .map(|at| format_time(at, &admin.zone)),
        delete_grace_days: clinic.delete_grace_days.max(1) as u32,
        two_step: crate::two_step::service::factors(db, u.id).await?,
    })
}

/// Opens a member's detail, and records that the admin looked.
#[tracing::instrument(skip_all, fields(member_id = id, actor = admin.user_id))]
pub async fn open(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i64,
) -> Result<MemberDetail, AppError> {
    let u = find_member(db, admin, id).await?;
    let clinic_id = u.clinic_id;
    let detail = detail_of(db, admin, u).await?;
    audit::service::record(db, clinic_id, admin.user_id, id, Action::Viewed, &[]).await?;
    Ok(detail)
}

/// The member's audit history, newest first.
pub async fn history(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i64,
) -> Result<MemberHistory, AppError> {
    find_member(db, admin, id).await?;
    Ok(MemberHistory {
        rows: audit::service::for_member(db, id, HISTORY_SHOWN, &admin.zone).await?,
    })
}

/// Saves the Profile tab.
#[tracing::instrument(skip_all, fields(member_id = id, actor = admin.user_id))]
pub async fn save_profile(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i64,
    version: i32,
    input: ProfileInput,
    seen: &[i64],
) -> Result<MemberDetail, AppError> {
    let old = find_member(db, admin, id).await?;
    if old.user_type == UserType::Guest {
        return Err(AppError::validation(
            field::USERNAME,
            "A guest has no profile to edit.",
        ));
    }
    let valid = checked_profile(db, old.clinic_id, &input, Some(id)).await?;
    stale(version, &old)?;
    let mut changes = profile_changes(&old, &valid);
    if changes.is_empty() {
        return detail_of(db, admin, old).await;
    }
    if super::possible_duplicates::matching_fields_changed(&old, &valid) {
        let possible =
            super::possible_duplicates::seen_all(db, old.clinic_id, &valid, Some(id), seen).await?;
        changes.extend(super::possible_duplicates::audit_line(&possible));
    }
    let mut am = <user::ActiveModel as Default>::default();
    apply_profile(&mut am, &valid);
    let txn = crate::db::write_txn(db).await?;
    claim_version(&txn, id, version, am).await?;
    // A link sent to the old address (or naming the old username) dies with it.
    if !old.email.eq_ignore_ascii_case(&valid.email)
        || !old.username.eq_ignore_ascii_case(&valid.username)
    {
        crate::auth::tokens::kill_all(&txn, id).await?;
    }
    audit::service::record(
        &txn,
        old.clinic_id,
        admin.user_id,
        id,
        Action::ProfileChanged,
        &changes,
    )
    .await?;
    txn.commit().await?;
    reload(db, admin, id).await
}

/// The rooms of the member's clinic by ID, and the member's current rooms, once every room
/// wanted is one of the clinic's that is active or already the member's.
async fn rooms_allowed(
    db: &DatabaseConnection,
    member: &user::Model,
    wanted: &[i64],
) -> Result<(HashMap<i64, room::Model>, Vec<i64>), AppError> {
    let clinic_rooms: HashMap<i64, room::Model> = room::Entity::find()
        .filter(room::Column::ClinicId.eq(member.clinic_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let current: Vec<i64> = user_room::Entity::find()
        .filter(user_room::Column::UserId.eq(member.id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.room_id)
        .collect();
    for room_id in wanted {
        let allowed = match clinic_rooms.get(room_id) {
            Some(r) => r.active || current.contains(room_id),
            None => false,
        };
        if !allowed {
            return Err(AppError::validation(
                field::ROOMS,
                "Choose rooms of this member's clinic.",
            ));
        }
    }
    Ok((clinic_rooms, current))
}

/// The audit's lines for rooms added and removed, by name.
fn room_changes(rooms: &HashMap<i64, room::Model>, added: &[i64], removed: &[i64]) -> Vec<Change> {
    let name = |id: &i64| rooms.get(id).map(|r| r.name.clone()).unwrap_or_default();
    let names = |ids: &[i64]| ids.iter().map(name).collect::<Vec<_>>().join(", ");
    let mut changes = Vec::new();
    if !added.is_empty() {
        changes.push(Change::new("Rooms added", "", names(added)));
    }
    if !removed.is_empty() {
        changes.push(Change::new("Rooms removed", names(removed), ""));
    }
    changes
}

/// Saves the Rooms tab: the member's rooms become `room_ids` (at least one, all of the
/// member's clinic; rooms already assigned may stay even when deactivated).
#[tracing::instrument(skip_all, fields(member_id = id, actor = admin.user_id))]
pub async fn save_rooms(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i64,
    version: i32,
    room_ids: Vec<i64>,
) -> Result<MemberDetail, AppError> {
    let old = find_member(db, admin, id).await?;
    let wanted = dedup(&room_ids);
    if wanted.is_empty() {
        return Err(AppError::validation(
            field::ROOMS,
            "A member keeps at least one room.",
        ));
    }
    let (clinic_rooms, current) = rooms_allowed(db, &old, &wanted).await?;
    stale(version, &old)?;
    let added: Vec<i64> = wanted
        .iter()
        .copied()
        .filter(|r| !current.contains(r))
        .collect();
    let removed: Vec<i64> = current
        .iter()
        .copied()
        .filter(|r| !wanted.contains(r))
        .collect();
    if added.is_empty() && removed.is_empty() {
        return detail_of(db, admin, old).await;
    }
    let changes = room_changes(&clinic_rooms, &added, &removed);
    let now = now_ms();
    let txn = crate::db::write_txn(db).await?;
    claim_version(&txn, id, version, <user::ActiveModel as Default>::default()).await?;
    if !removed.is_empty() {
        user_room::Entity::delete_many()
            .filter(user_room::Column::UserId.eq(id))
            .filter(user_room::Column::RoomId.is_in(removed))
            .exec(&txn)
            .await?;
    }
    for room_id in added {
        user_room::ActiveModel {
            user_id: Set(id),
            room_id: Set(room_id),
            assigned_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    audit::service::record(
        &txn,
        old.clinic_id,
        admin.user_id,
        id,
        Action::RoomsChanged,
        &changes,
    )
    .await?;
    txn.commit().await?;
    reload(db, admin, id).await
}

/// The type and provider role chosen in the Other tab, when they are ones a member may have
/// (a guest keeps being a guest; a Provider's role is on the list, Doctor when none).
fn chosen_type(
    old: &user::Model,
    user_type: &str,
    provider_role: &str,
) -> Result<(UserType, Option<String>), AppError> {
    let new_type = match UserType::from_key(user_type) {
        Some(t) if t != UserType::Guest => t,
        _ => {
            return Err(AppError::validation(
                field::USER_TYPE,
                "Choose Member, Provider or Clinic Admin.",
            ));
        }
    };
    if old.user_type == UserType::Guest {
        return Err(AppError::validation(
            field::USER_TYPE,
            "A guest's type cannot be changed.",
        ));
    }
    if new_type != UserType::Provider {
        return Ok((new_type, None));
    }
    let role = if provider_role.is_empty() {
        PROVIDER_ROLES[0]
    } else {
        provider_role
    };
    if !PROVIDER_ROLES.contains(&role) {
        return Err(AppError::validation(
            "provider_role",
            "Choose a role from the list.",
        ));
    }
    Ok((new_type, Some(role.to_owned())))
}

/// A Clinic Admin is one by their row in `clinic_admins`: added or removed with the type.
async fn keep_admin_row(
    txn: &DatabaseTransaction,
    old: &user::Model,
    new_type: UserType,
) -> Result<(), AppError> {
    let was_admin = old.user_type == UserType::ClinicAdmin;
    let is_admin = new_type == UserType::ClinicAdmin;
    if is_admin && !was_admin {
        clinic_admin::ActiveModel {
            user_id: Set(old.id),
            clinic_id: Set(old.clinic_id),
        }
        .insert(txn)
        .await?;
    } else if was_admin && !is_admin {
        clinic_admin::Entity::delete_many()
            .filter(clinic_admin::Column::UserId.eq(old.id))
            .filter(clinic_admin::Column::ClinicId.eq(old.clinic_id))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Changes the user type (and a provider's role) from the Other tab.
#[tracing::instrument(skip_all, fields(member_id = id, actor = admin.user_id))]
pub async fn save_type(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i64,
    version: i32,
    user_type: &str,
    provider_role: &str,
) -> Result<MemberDetail, AppError> {
    let old = find_member(db, admin, id).await?;
    let (new_type, role) = chosen_type(&old, user_type, provider_role)?;
    let old_type = old.user_type;
    if id == admin.user_id && new_type != UserType::ClinicAdmin {
        return Err(AppError::validation(
            field::USER_TYPE,
            "You cannot take away your own Clinic Admin type.",
        ));
    }
    stale(version, &old)?;
    let describe = |t: UserType, role: &Option<String>| match (t, role) {
        (UserType::Provider, Some(role)) => format!("Provider ({role})"),
        (t, _) => t.label().to_owned(),
    };
    let from = describe(old_type, &old.provider_role);
    let to = describe(new_type, &role);
    if from == to {
        return detail_of(db, admin, old).await;
    }
    let am = user::ActiveModel {
        user_type: Set(new_type),
        provider_role: Set(role),
        ..Default::default()
    };
    let txn = crate::db::write_txn(db).await?;
    claim_version(&txn, id, version, am).await?;
    keep_admin_row(&txn, &old, new_type).await?;
    audit::service::record(
        &txn,
        old.clinic_id,
        admin.user_id,
        id,
        Action::TypeChanged,
        &[Change::new("User Type", from, to)],
    )
    .await?;
    txn.commit().await?;
    reload(db, admin, id).await
}

pub(crate) async fn reload(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i64,
) -> Result<MemberDetail, AppError> {
    let u = find_member(db, admin, id).await?;
    detail_of(db, admin, u).await
}
