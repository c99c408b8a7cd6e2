//! The patient's own account: profile, contact fields, password.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::super::{AccountView, ContactInput, RoomLink};
use crate::accounts::UserType;
use crate::accounts::choices;
use crate::accounts::store::{checked_profile, claim_version, policy_of, profile_of, stale};
use crate::audit::service::profile_changes;
use crate::audit::{self, Action, Change};
use crate::auth::passwords::{new_password_hash, store_password};
use crate::auth::session::{SessionUser, hash_token};
use crate::entities::{clinic, room, user, user_room, visit};
use crate::error::AppError;
use crate::state::AppState;

/// The caller's own account; guests have none.
async fn own_account(db: &impl ConnectionTrait, me: &SessionUser) -> Result<user::Model, AppError> {
    if me.user_type == UserType::Guest {
        return Err(AppError::Forbidden);
    }
    user::Entity::find_by_id(me.user_id)
        .one(db)
        .await?
        .ok_or(AppError::Unauthorized)
}

pub async fn account(db: &DatabaseConnection, me: &SessionUser) -> Result<AccountView, AppError> {
    let u = own_account(db, me).await?;
    let c = clinic::Entity::find_by_id(u.clinic_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let visits = visit::Entity::find()
        .filter(visit::Column::UserId.eq(u.id))
        .order_by_desc(visit::Column::EnteredAt)
        .limit(50)
        .all(db)
        .await?;
    let room_ids: Vec<i64> = visits.iter().map(|v| v.room_id).collect();
    let rooms = room::Entity::find()
        .filter(room::Column::Id.is_in(room_ids))
        .all(db)
        .await?;
    let own_rooms = own_rooms(db, u.id).await?;
    // The patient's own zone, as their profile says.
    let zone = crate::text::zone(&u.timezone);
    let visits = super::visit_rows(
        db,
        visits,
        |id| {
            rooms
                .iter()
                .find(|r| r.id == id)
                .map(|r| r.name.clone())
                .unwrap_or_default()
        },
        &zone,
    )
    .await?;
    let p = profile_of(&u);
    Ok(AccountView {
        rooms: own_rooms,
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        username: u.username.clone(),
        email: u.email.clone(),
        date_of_birth: u.date_of_birth.clone(),
        clinic_name: c.name.clone(),
        contact: ContactInput {
            version: u.version,
            phone: p.phone,
            address: p.address,
            city: p.city,
            state: p.state,
            zip: p.zip,
            country: p.country,
            timezone: p.timezone,
        },
        visits,
        policy: policy_of(&c),
        countries: choices::countries(),
        us_states: choices::us_states(),
        timezones: choices::timezones(),
    })
}

/// The active rooms a patient belongs to, by name.
async fn own_rooms(db: &DatabaseConnection, user_id: i64) -> Result<Vec<RoomLink>, AppError> {
    let ids: Vec<i64> = user_room::Entity::find()
        .filter(user_room::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.room_id)
        .collect();
    Ok(room::Entity::find()
        .filter(room::Column::Id.is_in(ids))
        .filter(room::Column::Active.eq(true))
        .order_by_asc(room::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|r| RoomLink {
            name: r.name,
            slug: r.slug,
        })
        .collect())
}

/// Saves the contact fields of the caller's own profile, through the same rules as the
/// admin's Profile tab.
#[tracing::instrument(skip_all, fields(user_id = me.user_id))]
pub async fn save_contact(
    db: &DatabaseConnection,
    me: &SessionUser,
    input: ContactInput,
) -> Result<AccountView, AppError> {
    let old = own_account(db, me).await?;
    let mut profile = profile_of(&old);
    profile.phone = input.phone;
    profile.address = input.address;
    profile.city = input.city;
    profile.state = input.state;
    profile.zip = input.zip;
    profile.country = input.country;
    profile.timezone = input.timezone;
    let valid = checked_profile(db, old.clinic_id, &profile, Some(old.id)).await?;
    stale(input.version, &old)?;
    let changes = profile_changes(&old, &valid);
    if !changes.is_empty() {
        let am = user::ActiveModel {
            address: Set(valid.address.clone()),
            city: Set(valid.city.clone()),
            state: Set(valid.state.clone()),
            zip: Set(valid.zip.clone()),
            country: Set(valid.country.clone()),
            phone: Set(valid.phone.clone()),
            timezone: Set(valid.timezone.clone()),
            ..<user::ActiveModel as Default>::default()
        };
        let txn = crate::db::write_txn(db).await?;
        claim_version(&txn, old.id, input.version, am).await?;
        audit::service::record(
            &txn,
            old.clinic_id,
            old.id,
            old.id,
            Action::ProfileChanged,
            &changes,
        )
        .await?;
        txn.commit().await?;
    }
    account(db, me).await
}

/// Changes the caller's own password after checking the current one; every other session
/// of theirs ends.
#[tracing::instrument(skip_all, fields(user_id = me.user_id))]
pub async fn change_password(
    state: &AppState,
    me: &SessionUser,
    current_token: &str,
    current: &str,
    password: &str,
    confirm: &str,
) -> Result<(), AppError> {
    let u = own_account(&state.db, me).await?;
    if current.is_empty() {
        return Err(AppError::validation(
            "current_password",
            "Enter your current password.",
        ));
    }
    if !crate::auth::passwords::is_own_password(state, &u, current).await? {
        return Err(AppError::validation(
            "current_password",
            "That is not your current password.",
        ));
    }
    let c = clinic::Entity::find_by_id(u.clinic_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let hash = new_password_hash(state, &u, &policy_of(&c), password, confirm).await?;
    let txn = crate::db::write_txn(&state.db).await?;
    store_password(&txn, u.id, hash, false).await?;
    crate::entities::session::Entity::delete_many()
        .filter(crate::entities::session::Column::UserId.eq(u.id))
        .filter(crate::entities::session::Column::TokenHash.ne(hash_token(current_token)))
        .exec(&txn)
        .await?;
    audit::service::record(
        &txn,
        u.clinic_id,
        u.id,
        u.id,
        Action::PasswordSet,
        &[Change::new("Password", "", "changed by the member")],
    )
    .await?;
    txn.commit().await?;
    tracing::info!("password changed by its owner");
    Ok(())
}
