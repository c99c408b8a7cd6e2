//! Creating members and changing them from the Member Detail modal.
//!
//! Every function takes the admin's clinics and finds the member only among them, so a
//! member of another clinic is simply "not found". Every change is one transaction that
//! starts with its write (SQLite takes its write lock at once), checks the version the admin
//! read, and records an audit event.

use std::collections::{HashMap, HashSet};

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr, TransactionTrait,
};

use super::detail::{
    AssignedRoom, CONFLICT_MESSAGE, MemberDetail, MemberHistory, NewMember, VisitRow,
};
use super::options::{self, ClinicChoice, FormOptions, PROVIDER_ROLES};
use super::profile::{Day, ProfileInput, ValidProfile, check_new_password, field, format_phone};
use super::{RoomOption, Status, UserType, format_time};
use crate::audit::{self, Action, Change, mask_date, mask_phone};
use crate::auth::guard::Admin;
use crate::entities::{clinic, clinic_admin, password_history, room, user, user_room, visit};
use crate::error::{AppError, FieldError};
use crate::state::{AppState, now_ms};
use crate::text::fold;
use crate::validation::{Email, PasswordPolicy, Username};

/// Visits shown in the Management tab.
const VISITS_SHOWN: u64 = 50;
/// Audit events shown in the Management tab.
const HISTORY_SHOWN: u64 = 100;

/// The form's order of fields, for listing field messages in the order the admin reads them.
const FORM_ORDER: [&str; 19] = [
    field::CLINIC,
    field::ROOMS,
    field::USER_TYPE,
    field::USERNAME,
    field::PASSWORD,
    field::CONFIRM_PASSWORD,
    field::FIRST_NAME,
    field::LAST_NAME,
    field::EMAIL,
    field::DATE_OF_BIRTH,
    field::ADDRESS,
    field::CITY,
    field::STATE,
    field::ZIP,
    field::COUNTRY,
    field::PHONE,
    field::PCP_NAME,
    field::PCP_PHONE,
    field::TIMEZONE,
];

fn rejected(mut errors: Vec<FieldError>) -> AppError {
    errors.sort_by_key(|e| FORM_ORDER.iter().position(|f| *f == e.field));
    AppError::fields(errors)
}

pub fn policy_of(c: &clinic::Model) -> PasswordPolicy {
    PasswordPolicy {
        min_length: Ord::max(c.pw_min_length, 1) as u32,
        require_upper: c.pw_require_upper,
        require_lower: c.pw_require_lower,
        require_digit: c.pw_require_digit,
        require_symbol: c.pw_require_symbol,
        history_count: Ord::max(c.pw_history_count, 0) as u32,
    }
}

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

/// The checks only the server can make: the country, state and time zone are on its lists.
fn check_lists(valid: &ValidProfile, errors: &mut Vec<FieldError>) {
    if !options::countries()
        .iter()
        .any(|c| c.value == valid.country)
    {
        errors.push(FieldError::new(
            field::COUNTRY,
            "Choose a country from the list.",
        ));
    }
    if let (Some(state), "US") = (&valid.state, valid.country.as_str())
        && !options::us_states().iter().any(|s| &s.value == state)
    {
        errors.push(FieldError::new(
            field::STATE,
            "Choose a state from the list.",
        ));
    }
    if !options::timezones()
        .iter()
        .any(|t| t.value == valid.timezone)
    {
        errors.push(FieldError::new(
            field::TIMEZONE,
            "Choose a time zone from the list.",
        ));
    }
}

/// Field messages for a username taken anywhere, or an email taken in the clinic. Only
/// values that are valid on their own are looked up.
async fn duplicates(
    db: &impl ConnectionTrait,
    clinic_id: i64,
    input: &ProfileInput,
    except: Option<i64>,
) -> Result<Vec<FieldError>, AppError> {
    let mut errors = Vec::new();
    let others = |select: sea_orm::Select<user::Entity>| match except {
        Some(id) => select.filter(user::Column::Id.ne(id)),
        None => select,
    };
    if let Ok(username) = Username::parse(&input.username) {
        let taken = others(
            user::Entity::find()
                .filter(user::Column::UsernameLower.eq(username.as_str().to_lowercase())),
        )
        .count(db)
        .await?
            > 0;
        if taken {
            errors.push(FieldError::new(
                field::USERNAME,
                "That username is taken. Choose another.",
            ));
        }
    }
    if let Ok(email) = Email::parse(&input.email) {
        let taken = others(
            user::Entity::find()
                .filter(user::Column::ClinicId.eq(clinic_id))
                .filter(user::Column::EmailLower.eq(email.as_str().to_lowercase())),
        )
        .count(db)
        .await?
            > 0;
        if taken {
            errors.push(FieldError::new(
                field::EMAIL,
                "Another user of this clinic has that email address.",
            ));
        }
    }
    Ok(errors)
}

fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Writes a validated profile into the row, with its folded search columns.
fn apply_profile(am: &mut user::ActiveModel, v: &ValidProfile) {
    am.username = Set(v.username.clone());
    am.username_lower = Set(v.username.to_lowercase());
    am.email = Set(v.email.clone());
    am.email_lower = Set(v.email.to_lowercase());
    am.first_name = Set(v.first_name.clone());
    am.last_name = Set(v.last_name.clone());
    am.search_first = Set(fold(&v.first_name));
    am.search_last = Set(fold(&v.last_name));
    am.search_full = Set(fold(&format!("{} {}", v.first_name, v.last_name)));
    am.date_of_birth = Set(v.date_of_birth.clone());
    am.address = Set(v.address.clone());
    am.city = Set(v.city.clone());
    am.state = Set(v.state.clone());
    am.zip = Set(v.zip.clone());
    am.country = Set(v.country.clone());
    am.phone = Set(v.phone.clone());
    am.pcp_name = Set(v.pcp_name.clone());
    am.pcp_phone = Set(v.pcp_phone.clone());
    am.timezone = Set(v.timezone.clone());
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
    let valid = match input.profile.validate(Day::today()) {
        Ok(valid) => Some(valid),
        Err(errs) => {
            errors.extend(errs);
            None
        }
    };
    errors.extend(check_new_password(
        &input.password,
        &input.confirm_password,
        input.profile.username.trim(),
        &policy_of(&clinic),
    ));
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

    let txn = db.begin().await?;
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
        super::lifecycle::queue_link(
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

fn dedup(ids: &[i64]) -> Vec<i64> {
    let mut seen = HashSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}

async fn active_rooms(
    db: &impl ConnectionTrait,
    clinic_id: i64,
) -> Result<Vec<room::Model>, AppError> {
    Ok(room::Entity::find()
        .filter(room::Column::ClinicId.eq(clinic_id))
        .filter(room::Column::Active.eq(true))
        .order_by_asc(room::Column::Name)
        .all(db)
        .await?)
}

/// The member with `id` among the admin's clinics.
pub(crate) async fn find_member(
    db: &impl ConnectionTrait,
    admin: &Admin,
    id: i64,
) -> Result<user::Model, AppError> {
    user::Entity::find_by_id(id)
        .filter(user::Column::ClinicId.is_in(admin.clinic_ids.clone()))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

fn to_assigned(r: &room::Model) -> AssignedRoom {
    AssignedRoom {
        id: r.id,
        name: r.name.clone(),
        code: r.code.clone(),
        slug: r.slug.clone(),
    }
}

fn visit_status_label(status: &str) -> String {
    match status {
        "waiting" => "Waiting",
        "in_progress" => "In progress",
        "completed" => "Completed",
        "left" => "Left",
        other => other,
    }
    .to_owned()
}

/// The profile as the form holds it.
fn profile_of(u: &user::Model) -> ProfileInput {
    let mut p = ProfileInput {
        username: u.username.clone(),
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        email: u.email.clone(),
        address: u.address.clone().unwrap_or_default(),
        city: u.city.clone().unwrap_or_default(),
        state: u.state.clone().unwrap_or_default(),
        zip: u.zip.clone().unwrap_or_default(),
        country: u.country.clone(),
        phone: u.phone.as_deref().map(format_phone).unwrap_or_default(),
        pcp_name: u.pcp_name.clone().unwrap_or_default(),
        pcp_phone: u.pcp_phone.as_deref().map(format_phone).unwrap_or_default(),
        timezone: u.timezone.clone(),
        ..ProfileInput::default()
    };
    p.set_date_of_birth(u.date_of_birth.as_deref());
    p
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
    let room_names: HashMap<i64, &str> = clinic_rooms
        .iter()
        .map(|r| (r.id, r.name.as_str()))
        .collect();
    let visits = visit::Entity::find()
        .filter(visit::Column::UserId.eq(u.id))
        .order_by_desc(visit::Column::EnteredAt)
        .limit(VISITS_SHOWN)
        .all(db)
        .await?;
    let visit_count = if (visits.len() as u64) < VISITS_SHOWN {
        visits.len() as u64
    } else {
        visit::Entity::find()
            .filter(visit::Column::UserId.eq(u.id))
            .count(db)
            .await?
    };
    let user_type = UserType::from_db(&u.user_type)
        .ok_or_else(|| AppError::internal(format!("user {} has an unknown type", u.id)))?;
    let status = Status::from_db(&u.status)
        .ok_or_else(|| AppError::internal(format!("user {} has an unknown status", u.id)))?;
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
        signed_up: format_time(u.signed_up_at),
        last_login: (u.last_login_at > 0).then(|| format_time(u.last_login_at)),
        visits: visits
            .into_iter()
            .map(|v| VisitRow {
                at: format_time(v.entered_at),
                room: room_names
                    .get(&v.room_id)
                    .copied()
                    .unwrap_or_default()
                    .to_owned(),
                reason: v.reason,
                status: visit_status_label(&v.status),
            })
            .collect(),
        visit_count,
        is_self: u.id == admin.user_id,
        delete_on: u
            .delete_after
            .filter(|_| status == Status::PendingDelete)
            .map(format_time),
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
        rows: audit::service::for_member(db, id, HISTORY_SHOWN).await?,
    })
}

/// Claims the member's next version inside `txn`: the first write of every change. Fails
/// with the conflict message when someone saved since `version` was read.
pub(crate) async fn claim_version(
    txn: &impl ConnectionTrait,
    id: i64,
    version: i32,
    mut am: user::ActiveModel,
) -> Result<(), AppError> {
    am.updated_at = Set(now_ms());
    let result = user::Entity::update_many()
        .set(am)
        .col_expr(
            user::Column::Version,
            Expr::col(user::Column::Version).add(1),
        )
        .filter(user::Column::Id.eq(id))
        .filter(user::Column::Version.eq(version))
        .exec(txn)
        .await;
    match result {
        Ok(r) if r.rows_affected == 1 => Ok(()),
        Ok(_) => Err(AppError::Conflict {
            message: CONFLICT_MESSAGE.into(),
        }),
        Err(err) if is_unique_violation(&err) => Err(AppError::Conflict {
            message:
                "That username or email was just taken by someone else. Check them and save again."
                    .into(),
        }),
        Err(err) => Err(err.into()),
    }
}

pub(crate) fn stale(version: i32, u: &user::Model) -> Result<(), AppError> {
    if u.version == version {
        Ok(())
    } else {
        Err(AppError::Conflict {
            message: CONFLICT_MESSAGE.into(),
        })
    }
}

/// What changed between the stored profile and the saved one, masked where sensitive.
fn profile_changes(old: &user::Model, new: &ValidProfile) -> Vec<Change> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let phone = |v: &Option<String>| mask_phone(&text(v));
    let mut changes = Vec::new();
    let mut diff = |label: &str, from: String, to: String, shown: &dyn Fn(&str) -> String| {
        if from != to {
            changes.push(Change::new(label, shown(&from), shown(&to)));
        }
    };
    let plain = |s: &str| s.to_owned();
    diff(
        "Username",
        old.username.clone(),
        new.username.clone(),
        &plain,
    );
    diff(
        "First Name",
        old.first_name.clone(),
        new.first_name.clone(),
        &plain,
    );
    diff(
        "Last Name",
        old.last_name.clone(),
        new.last_name.clone(),
        &plain,
    );
    diff("Email", old.email.clone(), new.email.clone(), &plain);
    diff(
        "Date of Birth",
        text(&old.date_of_birth),
        text(&new.date_of_birth),
        &mask_date,
    );
    diff("Address", text(&old.address), text(&new.address), &plain);
    diff("City", text(&old.city), text(&new.city), &plain);
    diff("State", text(&old.state), text(&new.state), &plain);
    diff("Zip", text(&old.zip), text(&new.zip), &plain);
    diff("Country", old.country.clone(), new.country.clone(), &plain);
    diff("Phone", text(&old.phone), text(&new.phone), &|s| {
        phone(&Some(s.to_owned()))
    });
    diff(
        "Primary Care Physician Name",
        text(&old.pcp_name),
        text(&new.pcp_name),
        &plain,
    );
    diff(
        "Primary Care Physician Phone",
        text(&old.pcp_phone),
        text(&new.pcp_phone),
        &|s| phone(&Some(s.to_owned())),
    );
    diff(
        "Timezone",
        old.timezone.clone(),
        new.timezone.clone(),
        &plain,
    );
    changes
}

/// Saves the Profile tab.
#[tracing::instrument(skip_all, fields(member_id = id, actor = admin.user_id))]
pub async fn save_profile(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i64,
    version: i32,
    input: ProfileInput,
) -> Result<MemberDetail, AppError> {
    let old = find_member(db, admin, id).await?;
    if old.user_type == UserType::Guest.as_db() {
        return Err(AppError::validation(
            field::USERNAME,
            "A guest has no profile to edit.",
        ));
    }
    let mut errors = duplicates(db, old.clinic_id, &input, Some(id)).await?;
    let valid = match input.validate(Day::today()) {
        Ok(valid) => Some(valid),
        Err(errs) => {
            errors.extend(errs);
            None
        }
    };
    if let Some(valid) = &valid {
        check_lists(valid, &mut errors);
    }
    let Some(valid) = valid.filter(|_| errors.is_empty()) else {
        return Err(rejected(errors));
    };
    stale(version, &old)?;
    let changes = profile_changes(&old, &valid);
    if changes.is_empty() {
        return detail_of(db, admin, old).await;
    }
    let mut am = <user::ActiveModel as Default>::default();
    apply_profile(&mut am, &valid);
    let txn = db.begin().await?;
    claim_version(&txn, id, version, am).await?;
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

pub(crate) async fn reload(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i64,
) -> Result<MemberDetail, AppError> {
    let u = find_member(db, admin, id).await?;
    detail_of(db, admin, u).await
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
    let clinic_rooms: HashMap<i64, room::Model> = room::Entity::find()
        .filter(room::Column::ClinicId.eq(old.clinic_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let current: Vec<i64> = user_room::Entity::find()
        .filter(user_room::Column::UserId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.room_id)
        .collect();
    for room_id in &wanted {
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
    let name = |id: &i64| {
        clinic_rooms
            .get(id)
            .map(|r| r.name.clone())
            .unwrap_or_default()
    };
    let names = |ids: &[i64]| ids.iter().map(name).collect::<Vec<_>>().join(", ");
    let mut changes = Vec::new();
    if !added.is_empty() {
        changes.push(Change::new("Rooms added", "", names(&added)));
    }
    if !removed.is_empty() {
        changes.push(Change::new("Rooms removed", names(&removed), ""));
    }
    let now = now_ms();
    let txn = db.begin().await?;
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

/// Changes the user type (and a provider's role) from the Other tab. A Clinic Admin is
/// one by their row in `clinic_admins`, kept in step here.
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
    let new_type = match UserType::from_db(user_type) {
        Some(t) if t != UserType::Guest => t,
        _ => {
            return Err(AppError::validation(
                field::USER_TYPE,
                "Choose Member, Provider or Clinic Admin.",
            ));
        }
    };
    let old_type = UserType::from_db(&old.user_type);
    if old_type == Some(UserType::Guest) {
        return Err(AppError::validation(
            field::USER_TYPE,
            "A guest's type cannot be changed.",
        ));
    }
    let role = if new_type == UserType::Provider {
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
        Some(role.to_owned())
    } else {
        None
    };
    if id == admin.user_id && new_type != UserType::ClinicAdmin {
        return Err(AppError::validation(
            field::USER_TYPE,
            "You cannot take away your own Clinic Admin type.",
        ));
    }
    stale(version, &old)?;
    let describe = |t: Option<UserType>, role: &Option<String>| match (t, role) {
        (Some(UserType::Provider), Some(role)) => format!("Provider ({role})"),
        (Some(t), _) => t.label().to_owned(),
        (None, _) => String::new(),
    };
    let from = describe(old_type, &old.provider_role);
    let to = describe(Some(new_type), &role);
    if from == to {
        return detail_of(db, admin, old).await;
    }
    let am = user::ActiveModel {
        user_type: Set(new_type.as_db().to_owned()),
        provider_role: Set(role),
        ..Default::default()
    };
    let txn = db.begin().await?;
    claim_version(&txn, id, version, am).await?;
    let was_admin = old_type == Some(UserType::ClinicAdmin);
    let is_admin = new_type == UserType::ClinicAdmin;
    if is_admin && !was_admin {
        clinic_admin::ActiveModel {
            user_id: Set(id),
            clinic_id: Set(old.clinic_id),
        }
        .insert(&txn)
        .await?;
    } else if was_admin && !is_admin {
        clinic_admin::Entity::delete_many()
            .filter(clinic_admin::Column::UserId.eq(id))
            .filter(clinic_admin::Column::ClinicId.eq(old.clinic_id))
            .exec(&txn)
            .await?;
    }
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
