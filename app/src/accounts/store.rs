//! The accounts' store: the reads and writes every feature shares. A member found among
//! clinics, the next version claimed (a save against an older one refused), a profile
//! applied, a profile checked as saved (its fields, the server's lists, duplicate usernames
//! and emails named at their fields), and a clinic's policy.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, SqlErr,
};

use std::collections::{HashMap, HashSet};

use super::choices::check_lists;
use super::profile::{FORM_ORDER, ProfileInput, ValidProfile, field, format_phone, today};
use crate::db::now_ms;
use crate::entities::{clinic, room, user};
use crate::error::{AppError, FieldError};
use crate::text::fold;
use crate::validation::{Email, PasswordPolicy, Username};

/// The message a save gets when another admin saved the member in between.
pub const CONFLICT_MESSAGE: &str =
    "This member was changed by someone else — reload to see their changes";

/// The member with `id` among `clinic_ids` (an admin's clinics).
pub async fn find_in_clinics(
    db: &impl ConnectionTrait,
    clinic_ids: &[i64],
    id: i64,
) -> Result<user::Model, AppError> {
    user::Entity::find_by_id(id)
        .filter(user::Column::ClinicId.is_in(clinic_ids.to_vec()))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Claims the member's next version inside `txn`: the first write of every change. Fails
/// with the conflict message when someone saved since `version` was read.
pub async fn claim_version(
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

pub fn stale(version: i32, u: &user::Model) -> Result<(), AppError> {
    if u.version == version {
        Ok(())
    } else {
        Err(AppError::Conflict {
            message: CONFLICT_MESSAGE.into(),
        })
    }
}

/// The profile as the form holds it.
pub fn profile_of(u: &user::Model) -> ProfileInput {
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

/// Writes a validated profile into the row, with its folded search columns.
pub fn apply_profile(am: &mut user::ActiveModel, v: &ValidProfile) {
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

/// A profile as saved by anyone: its fields by their rules and the server's lists, its
/// username and email not another user's. Every message at once, or the valid profile.
pub async fn checked_profile(
    db: &impl ConnectionTrait,
    clinic_id: i64,
    input: &ProfileInput,
    except: Option<i64>,
) -> Result<ValidProfile, AppError> {
    let mut errors = duplicates(db, clinic_id, input, except).await?;
    match input.validate(today()) {
        Ok(valid) => {
            check_lists(&valid, &mut errors);
            if errors.is_empty() {
                return Ok(valid);
            }
        }
        Err(errs) => errors.extend(errs),
    }
    Err(rejected(errors))
}

/// Field messages for a username taken anywhere, or an email taken in the clinic. Only
/// values that are valid on their own are looked up.
pub async fn duplicates(
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

pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

pub fn rejected(mut errors: Vec<FieldError>) -> AppError {
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

/// The full names ("First Last") of the users among `ids` (the actors of events, the
/// providers of visits, the members a bulk action reports on), by ID; no statement when
/// there are none. A deleted user is missing from the map.
pub async fn names_of(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, String>, DbErr> {
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(user::Entity::find()
        .select_only()
        .columns([
            user::Column::Id,
            user::Column::FirstName,
            user::Column::LastName,
        ])
        .filter(user::Column::Id.is_in(ids))
        .into_tuple::<(i64, String, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, first, last)| (id, format!("{first} {last}")))
        .collect())
}

pub fn dedup(ids: &[i64]) -> Vec<i64> {
    let mut seen = HashSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}

pub async fn active_rooms(
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
