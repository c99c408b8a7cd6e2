//! Reading and saving clinic settings.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};

use super::{ClinicSettings, SettingsInput};
use crate::accounts::store::policy_of;
use crate::audit::{self, Action, Change};
use crate::auth::guard::Admin;
use crate::db::now_ms;
use crate::entities::{clinic, user};
use crate::error::AppError;

fn to_settings(c: &clinic::Model, dormant_due: u64) -> ClinicSettings {
    ClinicSettings {
        clinic_id: c.id,
        name: c.name.clone(),
        signup_allowed: c.signup_allowed,
        guest_allowed: c.guest_allowed,
        policy: policy_of(c),
        delete_grace_days: c.delete_grace_days.max(0) as u32,
        idle_timeout_minutes: c.idle_timeout_minutes.max(0) as u32,
        guest_retention_days: c.guest_retention_days.max(0) as u32,
        require_two_step: c.require_two_step,
        version: c.version,
        dormant_months: c.dormant_months.max(0) as u32,
        dormant_warn_days: c.dormant_warn_days.max(0) as u32,
        dormant_due,
    }
}

/// `c`'s settings, with how many members its dormant-account policy would suspend next.
async fn read(db: &impl ConnectionTrait, c: &clinic::Model) -> Result<ClinicSettings, AppError> {
    let months = c.dormant_months.max(0) as u32;
    let due = crate::members::server::dormant::due(db, c.id, months, now_ms()).await?;
    Ok(to_settings(c, due))
}

pub async fn settings(
    db: &impl ConnectionTrait,
    clinic_ids: &[i64],
) -> Result<Vec<ClinicSettings>, AppError> {
    let clinics = clinic::Entity::find()
        .filter(clinic::Column::Id.is_in(clinic_ids.to_vec()))
        .order_by_asc(clinic::Column::Name)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(clinics.len());
    for c in &clinics {
        out.push(read(db, c).await?);
    }
    Ok(out)
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// What changed, field by field, in the words of the settings page.
fn changes(old: &ClinicSettings, new: &ClinicSettings) -> Vec<Change> {
    let mut out = Vec::new();
    let mut diff = |label: &str, from: String, to: String| {
        if from != to {
            out.push(Change::new(label, from, to));
        }
    };
    diff(
        "Sign-up allowed",
        yes_no(old.signup_allowed).into(),
        yes_no(new.signup_allowed).into(),
    );
    diff(
        "Guest entry allowed",
        yes_no(old.guest_allowed).into(),
        yes_no(new.guest_allowed).into(),
    );
    let (a, b) = (&old.policy, &new.policy);
    diff(
        "Minimum password length",
        a.min_length.to_string(),
        b.min_length.to_string(),
    );
    diff(
        "Upper-case letter required",
        yes_no(a.require_upper).into(),
        yes_no(b.require_upper).into(),
    );
    diff(
        "Lower-case letter required",
        yes_no(a.require_lower).into(),
        yes_no(b.require_lower).into(),
    );
    diff(
        "Digit required",
        yes_no(a.require_digit).into(),
        yes_no(b.require_digit).into(),
    );
    diff(
        "Symbol required",
        yes_no(a.require_symbol).into(),
        yes_no(b.require_symbol).into(),
    );
    diff(
        "Password history",
        a.history_count.to_string(),
        b.history_count.to_string(),
    );
    diff(
        "Pending-delete grace period (days)",
        old.delete_grace_days.to_string(),
        new.delete_grace_days.to_string(),
    );
    diff(
        "Idle sign-out (minutes)",
        old.idle_timeout_minutes.to_string(),
        new.idle_timeout_minutes.to_string(),
    );
    diff(
        "Guest records kept (days)",
        old.guest_retention_days.to_string(),
        new.guest_retention_days.to_string(),
    );
    diff(
        "Two-step sign-in required of admins and providers",
        yes_no(old.require_two_step).into(),
        yes_no(new.require_two_step).into(),
    );
    let dormant = |s: &ClinicSettings| match s.dormant_months {
        0 => "off".to_owned(),
        months => format!(
            "after {months} months, warned {} days before",
            s.dormant_warn_days
        ),
    };
    diff("Dormant members suspended", dormant(old), dormant(new));
    out
}

/// What an admin is told whose form was opened before another admin's save.
fn changed_meanwhile() -> AppError {
    AppError::Conflict {
        message: "Another admin saved this clinic's settings since you opened the page. \
                  Reload the page to see theirs, then make your change again."
            .into(),
    }
}

/// Saves one of the admin's clinics' settings, with an audit event of what changed.
#[tracing::instrument(skip_all, fields(clinic_id = input.clinic_id, actor = admin.user_id))]
pub async fn save(
    db: &sea_orm::DatabaseConnection,
    admin: &Admin,
    input: SettingsInput,
) -> Result<ClinicSettings, AppError> {
    if !admin.clinic_ids.contains(&input.clinic_id) {
        return Err(AppError::NotFound);
    }
    let mut valid = input.validate().map_err(AppError::fields)?;
    let old = clinic::Entity::find_by_id(input.clinic_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    if input.require_two_step.is_none() {
        valid.require_two_step = old.require_two_step;
    }
    if input.dormant.is_none() {
        valid.dormant_months = old.dormant_months.max(0) as u32;
        valid.dormant_warn_days = old.dormant_warn_days.max(0) as u32;
    }
    if input.version != Some(old.version) {
        return Err(changed_meanwhile());
    }
    let before = to_settings(&old, 0);
    let changed = changes(&before, &valid);
    if changed.is_empty() {
        return read(db, &old).await;
    }
    let p = &valid.policy;
    let am = clinic::ActiveModel {
        version: Set(old.version + 1),
        signup_allowed: Set(valid.signup_allowed),
        guest_allowed: Set(valid.guest_allowed),
        pw_min_length: Set(p.min_length as i32),
        pw_require_upper: Set(p.require_upper),
        pw_require_lower: Set(p.require_lower),
        pw_require_digit: Set(p.require_digit),
        pw_require_symbol: Set(p.require_symbol),
        pw_history_count: Set(p.history_count as i32),
        delete_grace_days: Set(valid.delete_grace_days as i32),
        idle_timeout_minutes: Set(valid.idle_timeout_minutes as i32),
        guest_retention_days: Set(valid.guest_retention_days as i32),
        require_two_step: Set(valid.require_two_step),
        dormant_months: Set(valid.dormant_months as i32),
        dormant_warn_days: Set(valid.dormant_warn_days as i32),
        ..Default::default()
    };
    let txn = crate::db::write_txn(db).await?;
    let written = clinic::Entity::update_many()
        .set(am)
        .filter(clinic::Column::Id.eq(old.id))
        .filter(clinic::Column::Version.eq(old.version))
        .exec(&txn)
        .await?;
    if written.rows_affected != 1 {
        txn.rollback().await?;
        return Err(changed_meanwhile());
    }
    if before.dormant_months != valid.dormant_months
        || valid.dormant_warn_days < before.dormant_warn_days
    {
        // A warning promised what the old policy would do (its months, and at least its
        // days): under new months, or fewer days, each member is warned again first.
        user::Entity::update_many()
            .col_expr(
                user::Column::DormantWarnedAt,
                Expr::value(Option::<i64>::None),
            )
            .filter(user::Column::ClinicId.eq(old.id))
            .filter(user::Column::DormantWarnedAt.is_not_null())
            .exec(&txn)
            .await?;
    }
    audit::service::record_clinic(
        &txn,
        old.id,
        admin.user_id,
        Action::SettingsChanged,
        &changed,
    )
    .await?;
    txn.commit().await?;
    let saved = clinic::Entity::find_by_id(old.id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    read(db, &saved).await
}

/// How many of a clinic's guests a keeping time of `days` lets go at once: the records the
/// once-a-minute job would delete after it is saved.
pub async fn guests_past(
    db: &impl ConnectionTrait,
    admin: &Admin,
    clinic_id: i64,
    days: u32,
) -> Result<u64, AppError> {
    if !admin.clinic_ids.contains(&clinic_id) {
        return Err(AppError::NotFound);
    }
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT COUNT(*) AS n FROM users u WHERE u.clinic_id = {clinic_id} AND {}",
                crate::retention::guests_kept_past(
                    crate::db::now_ms(),
                    &format!("CAST({days} AS BIGINT)")
                )
            ),
        ))
        .await?;
    Ok(row
        .and_then(|r| r.try_get::<i64>("", "n").ok())
        .unwrap_or(0)
        .max(0) as u64)
}
