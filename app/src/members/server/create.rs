//! Creating members on the server: the form's clinics, rooms and lists, the checks only the
//! server can make, and the insert. Changing them afterwards is in `edit`; the dialog is
//! `create_dialog`.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
};

use crate::accounts::choices::{self, check_lists};
use crate::accounts::profile::{ValidProfile, check_new_password, field, today};
use crate::accounts::store::{
    active_rooms, apply_profile, dedup, duplicates, is_unique_violation, policy_of, rejected,
};
use crate::accounts::{Status, UserType};
use crate::audit::{self, Action, Change};
use crate::auth::guard::Admin;
use crate::db::now_ms;
use crate::entities::{clinic, clinic_admin, password_history, room, user, user_room};
use crate::error::{AppError, FieldError};
use crate::members::RoomOption;
use crate::members::types::{ClinicChoice, FormOptions, NewMember, PROVIDER_ROLES};
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
        countries: choices::countries(),
        us_states: choices::us_states(),
        timezones: choices::timezones(),
    })
}

/// Creates a member; returns the new ID.
#[tracing::instrument(skip_all, fields(clinic_id = input.clinic_id, actor = admin.user_id))]
pub async fn create(state: &AppState, admin: &Admin, input: NewMember) -> Result<i64, AppError> {
    let clinic = admins_clinic(&state.db, admin, input.clinic_id).await?;
    let checked = check(state, &clinic, &input).await?;
    // Only a form that passed every check is held back for possible duplicates.
    let possible = super::possible_duplicates::seen_all(
        &state.db,
        clinic.id,
        &checked.valid,
        None,
        &input.possible_duplicates_seen,
    )
    .await?;
    let password_hash = if input.password.is_empty() {
        None
    } else {
        Some(state.hasher.hash(input.password.clone()).await?)
    };
    let id = insert(
        state,
        admin,
        &clinic,
        &input,
        checked,
        password_hash,
        &possible,
    )
    .await?;
    tracing::info!(member_id = id, "member created");
    Ok(id)
}

/// The clinic a new member goes in: one the admin administers.
async fn admins_clinic(
    db: &DatabaseConnection,
    admin: &Admin,
    clinic_id: i64,
) -> Result<clinic::Model, AppError> {
    let refused = || AppError::validation(field::CLINIC, "Choose one of your clinics.");
    if !admin.clinic_ids.contains(&clinic_id) {
        return Err(refused());
    }
    clinic::Entity::find_by_id(clinic_id)
        .one(db)
        .await?
        .ok_or_else(refused)
}

/// A new member that passed every check, ready to insert.
struct Checked {
    valid: ValidProfile,
    user_type: UserType,
    room_ids: Vec<i64>,
    active_rooms: Vec<room::Model>,
}

/// Every check of the form, all of them at once: rooms, user type, profile, password
/// (policy, common and personal), duplicates and the server's lists. One message per
/// rejected field, in the form's order.
async fn check(
    state: &AppState,
    clinic: &clinic::Model,
    input: &NewMember,
) -> Result<Checked, AppError> {
    let db = &state.db;
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
    let user_type = match UserType::from_key(&input.user_type) {
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
    errors.extend(password_errors(clinic, input));
    errors.extend(duplicates(db, clinic.id, &input.profile, None).await?);
    if let Some(valid) = &valid {
        check_lists(valid, &mut errors);
    }
    match valid.filter(|_| errors.is_empty()) {
        Some(valid) => Ok(Checked {
            valid,
            user_type,
            room_ids,
            active_rooms,
        }),
        None => Err(rejected(errors)),
    }
}

/// The password's messages, if one was given: the clinic's policy, then the common and
/// personal lists.
fn password_errors(clinic: &clinic::Model, input: &NewMember) -> Vec<FieldError> {
    let mut errors = check_new_password(
        &input.password,
        &input.confirm_password,
        input.profile.username.trim(),
        &policy_of(clinic),
    );
    if errors.is_empty()
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
    errors
}

/// Writes the member in one transaction: the account, its rooms, its first password in the
/// history, the clinic it administers, the welcome email when no password was given, and
/// the audit event. A username or email taken since the checks is named at its field.
async fn insert(
    state: &AppState,
    admin: &Admin,
    clinic: &clinic::Model,
    input: &NewMember,
    checked: Checked,
    password_hash: Option<String>,
    possible_duplicates: &[crate::members::duplicates::PossibleDuplicate],
) -> Result<i64, AppError> {
    let db = &state.db;
    let Checked {
        valid,
        user_type,
        room_ids,
        active_rooms,
    } = checked;
    let now = now_ms();
    let txn = crate::db::write_txn(db).await?;
    let row = new_row(clinic.id, user_type, &valid, password_hash.clone(), now);
    let created = match row.insert(&txn).await {
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
    attach(&txn, &created, &room_ids, password_hash, now).await?;
    let room_names: Vec<String> = active_rooms
        .iter()
        .filter(|r| room_ids.contains(&r.id))
        .map(|r| r.name.clone())
        .collect();
    let mut changes = vec![
        Change::new("User Type", "", user_type.label()),
        Change::new("Rooms", "", room_names.join(", ")),
    ];
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
    } else {
        changes.push(Change::new("Password", "", "set"));
    }
    changes.extend(super::possible_duplicates::audit_line(possible_duplicates));
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
    Ok(created.id)
}

/// The users row of a new member: Active, never signed in, at version 1.
pub(super) fn new_row(
    clinic_id: i64,
    user_type: UserType,
    valid: &ValidProfile,
    password_hash: Option<String>,
    now: i64,
) -> user::ActiveModel {
    let mut am = user::ActiveModel {
        clinic_id: Set(clinic_id),
        user_type: Set(user_type),
        provider_role: Set((user_type == UserType::Provider).then(|| PROVIDER_ROLES[0].to_owned())),
        password_hash: Set(password_hash),
        status: Set(Status::Active),
        delete_after: Set(None),
        email_confirmed_at: Set(None),
        last_login_at: Set(0),
        signed_up_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        ..Default::default()
    };
    apply_profile(&mut am, valid);
    am
}

/// What a new member holds beside its row: its rooms, its first password in the history,
/// and, for a Clinic Admin, the clinic it administers.
async fn attach(
    txn: &DatabaseTransaction,
    created: &user::Model,
    room_ids: &[i64],
    password_hash: Option<String>,
    now: i64,
) -> Result<(), AppError> {
    for room_id in room_ids {
        user_room::ActiveModel {
            user_id: Set(created.id),
            room_id: Set(*room_id),
            assigned_at: Set(now),
        }
        .insert(txn)
        .await?;
    }
    if let Some(hash) = password_hash {
        password_history::ActiveModel {
            user_id: Set(created.id),
            password_hash: Set(hash),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    if created.user_type == UserType::ClinicAdmin {
        clinic_admin::ActiveModel {
            user_id: Set(created.id),
            clinic_id: Set(created.clinic_id),
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}
