//! Creating members on the server: the form's clinics, rooms and lists, the checks only the
//! server can make, and the insert. Changing them afterwards is in `edit`; the dialog is
//! `create_dialog`.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};

use super::options::check_lists;
use super::options::{self, ClinicChoice, FormOptions, PROVIDER_ROLES};
use super::types::NewMember;
use super::{RoomOption, Status, UserType};
use crate::accounts::profile::{check_new_password, field, today};
use crate::accounts::store::{
    active_rooms, apply_profile, dedup, duplicates, is_unique_violation, policy_of, rejected,
};
use crate::audit::{self, Action, Change};
use crate::auth::guard::Admin;
use crate::db::now_ms;
use crate::entities::{clinic, clinic_admin, password_history, room, user, user_room};
use crate::error::{AppError, FieldError};
use crate::state::AppState;

/// The admin's clinics with their active rooms and policies, and the lists the form offers.
pub async fn form_options(
    db: &impl ConnectionTrait,
    clinic_ids: &[i64],
) -> Result<FormOptions, AppError> {
    let clinics = clinic::Entity::find()
        .filter(clinic::Column::Id.is_in(clinic_ids.to_vec()))
        .order_by_asc(clinic::Column::Name)
        .all(db)
        .await?;
    let rooms = room::Entity::find()
        .filter(room::Column::ClinicId.is_in(clinic_ids.to_vec()))
        .filter(room::Column::Active.eq(true))
        .order_by_asc(room::Column::Name)
        .all(db)
        .await?;
    Ok(FormOptions {
        clinics: clinics
            .iter()
            .map(|c| ClinicChoice {
                id: c.id,
                name: c.name.clone(),
                rooms: rooms
                    .iter()
                    .filter(|r| r.clinic_id == c.id)
                    .map(|r| RoomOption {
                        id: r.id,
                        name: r.name.clone(),
                    })
                    .collect(),
                policy: policy_of(c),
            })
            .collect(),
        countries: options::countries(),
        us_states: options::us_states(),
        timezones: options::timezones(),
    })
}

/// Creates a member; returns the new ID.
#[tracing::instrument(skip_all, fields(clinic_id = input.clinic_id, actor = admin.user_id))]
pub async fn create(state: &AppState, admin: &Admin, input: NewMember) -> Result<i64, AppError> {
    let db = &state.db;
    if !admin.clinic_ids.contains(&input.clinic_id) {
        return Err(AppError::validation(
            field::CLINIC,
            "Choose one of your clinics.",
        ));
    }
    let clinic = clinic::Entity::find_by_id(input.clinic_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::validation(field::CLINIC, "Choose one of your clinics."))?;
    let mut errors = Vec::new();

    let active_rooms = active_rooms(db, clinic.id).await?;
    let room_ids = dedup(&input.room_ids);
    if room_ids.is_empty() {
        errors.push(FieldError::new(field::ROOMS, "Choose at least one room."));
    } else if room_ids
        .iter()
        .any(|id| !active_rooms.iter().any(|r| r.id == *id))
    {
        errors.push(FieldError::new(
            field::ROOMS,
            "Choose rooms of this clinic.",
        ));
    }
    let user_type = match UserType::from_db(&input.user_type) {
        Some(t) if t != UserType::Guest => t,
        _ if input.user_type.is_empty() => UserType::Member,
        _ => {
            errors.push(FieldError::new(
                field::USER_TYPE,
                "Choose Member, Provider or Clinic Admin.",
            ));
            UserType::Member
        }
    };
    let valid = match input.profile.validate(today()) {
        Ok(valid) => Some(valid),
        Err(errs) => {
            errors.extend(errs);
            None
        }
    };
    let password_errors = check_new_password(
        &input.password,
        &input.confirm_password,
        input.profile.username.trim(),
        &policy_of(&clinic),
    );
    if password_errors.is_empty()
        && !input.password.is_empty()
        && let Some(refusal) = crate::common_passwords::refusal(
            &input.password,
            &[
                &input.profile.first_name,
                &input.profile.last_name,
                &input.profile.username,
                &input.profile.email,
            ],
        )
    {
        errors.push(FieldError::new(field::PASSWORD, refusal));
    }
    errors.extend(password_errors);
    errors.extend(duplicates(db, clinic.id, &input.profile, None).await?);
    if let Some(valid) = &valid {
        check_lists(valid, &mut errors);
    }
    let Some(valid) = valid.filter(|_| errors.is_empty()) else {
        return Err(rejected(errors));
    };

    let password_hash = if input.password.is_empty() {
        None
    } else {
        Some(state.hasher.hash(input.password.clone()).await?)
    };
    let now = now_ms();
    let mut am = user::ActiveModel {
        clinic_id: Set(clinic.id),
        user_type: Set(user_type.as_db().to_owned()),
        provider_role: Set((user_type == UserType::Provider).then(|| PROVIDER_ROLES[0].to_owned())),
        password_hash: Set(password_hash.clone()),
        status: Set(Status::Active.as_db().to_owned()),
        delete_after: Set(None),
        email_confirmed_at: Set(None),
        last_login_at: Set(0),
        signed_up_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        ..Default::default()
    };
    apply_profile(&mut am, &valid);

    let txn = crate::db::write_txn(db).await?;
    let created = match am.insert(&txn).await {
        Ok(created) => created,
        Err(err) if is_unique_violation(&err) => {
            txn.rollback().await?;
            // Someone took the username or email since the check above.
            let errors = duplicates(db, clinic.id, &input.profile, None).await?;
            return Err(if errors.is_empty() {
                AppError::Conflict {
                    message: "That username or email was just taken. Try again.".into(),
                }
            } else {
                rejected(errors)
            });
        }
        Err(err) => return Err(err.into()),
    };
    for room_id in &room_ids {
        user_room::ActiveModel {
            user_id: Set(created.id),
            room_id: Set(*room_id),
            assigned_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    if let Some(hash) = password_hash {
        password_history::ActiveModel {
            user_id: Set(created.id),
            password_hash: Set(hash),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    if user_type == UserType::ClinicAdmin {
        clinic_admin::ActiveModel {
            user_id: Set(created.id),
            clinic_id: Set(clinic.id),
        }
        .insert(&txn)
        .await?;
    }
    let room_names: Vec<String> = active_rooms
        .iter()
        .filter(|r| room_ids.contains(&r.id))
        .map(|r| r.name.clone())
        .collect();
    let mut changes = vec![
        Change::new("User Type", "", user_type.label()),
        Change::new("Rooms", "", room_names.join(", ")),
    ];
    if !input.password.is_empty() {
        changes.push(Change::new("Password", "", "set"));
    }
    if input.password.is_empty() {
        // No password yet: a welcome email with a link to set one, in this transaction.
        crate::auth::links::queue_link(
            &txn,
            &state.auth.public_url,
            &clinic.name,
            &created,
            crate::auth::tokens::Purpose::Welcome,
        )
        .await?;
        changes.push(Change::new("Welcome email", "", "sent"));
    }
    audit::service::record(
        &txn,
        clinic.id,
        admin.user_id,
        created.id,
        Action::Created,
        &changes,
    )
    .await?;
    txn.commit().await?;
    tracing::info!(member_id = created.id, "member created");
    Ok(created.id)
}
