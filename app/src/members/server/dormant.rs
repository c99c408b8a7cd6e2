//! The dormant-account policy: a clinic's Members who have not signed in for its months
//! (counted from sign-up for those who never did) are suspended by the once-a-minute job,
//! after an email warning them its warning days before. Never Clinic Admins, Providers,
//! guests, or members already suspended or pending delete.
//!
//! Every server runs the job. Each batch claims its members with one conditional `UPDATE …
//! RETURNING` that only matches them while they still qualify, so with several servers at
//! once each member is warned once and suspended once, and audited as such.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect, Statement,
};

use crate::accounts::{Status, UserType};
use crate::audit::{self, Action, Change};
use crate::db::DAY_MS;
use crate::entities::{clinic, user};
use crate::error::AppError;
use crate::mail::outbox::{self, Envelope};

/// Members acted on per transaction.
pub const BATCH: u64 = 200;
use crate::clinics::DORMANT_COUNT_CAP as COUNT_CAP;

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub warned: usize,
    pub suspended: usize,
}

/// The moment `months` calendar months before `now` (ms): the same day of the month and
/// time, or the month's last day when it is shorter. `None` out of the calendar's range.
pub fn months_before(now: i64, months: u32) -> Option<i64> {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now) * 1_000_000).ok()?;
    let total = at.year() * 12 + i32::from(u8::from(at.month())) - 1 - months as i32;
    let (year, month) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    let month = time::Month::try_from(month as u8).ok()?;
    let day = Ord::min(at.day(), month.length(year));
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    Some((at.replace_date(date).unix_timestamp_nanos() / 1_000_000) as i64)
}

/// Active Members of `clinic_id` whose last sign-in, sign-up and setting Active again are
/// all before `before`: one range of `users_clinic_status_last_login`.
fn dormant_since(clinic_id: i64, before: i64) -> sea_orm::Select<user::Entity> {
    user::Entity::find()
        .filter(user::Column::ClinicId.eq(clinic_id))
        .filter(user::Column::Status.eq(Status::Active))
        .filter(user::Column::LastLoginAt.lt(before))
        .filter(user::Column::SignedUpAt.lt(before))
        .filter(
            user::Column::ActiveSince
                .is_null()
                .or(user::Column::ActiveSince.lt(before)),
        )
        .filter(user::Column::UserType.eq(UserType::Member))
}

/// The latest of the member's sign-in, sign-up and setting Active again, in SQL: when the
/// policy's months start.
const LAST_SEEN: &str = "CASE WHEN COALESCE(active_since, 0) > \
     (CASE WHEN last_login_at > signed_up_at THEN last_login_at ELSE signed_up_at END) \
     THEN active_since \
     ELSE (CASE WHEN last_login_at > signed_up_at THEN last_login_at ELSE signed_up_at END) END";

/// How many members of `clinic_id` a policy of `months` months would suspend next (those
/// already past it), up to [`COUNT_CAP`] + 1.
pub async fn due(
    db: &impl ConnectionTrait,
    clinic_id: i64,
    months: u32,
    now: i64,
) -> Result<u64, AppError> {
    let Some(before) = months_before(now, months).filter(|_| months > 0) else {
        return Ok(0);
    };
    let ids = dormant_since(clinic_id, before)
        .select_only()
        .column(user::Column::Id)
        .limit(COUNT_CAP + 1)
        .into_tuple::<i64>()
        .all(db)
        .await?;
    Ok(ids.len() as u64)
}

/// One round of the policy over every clinic that has it on, at `now`.
pub async fn run(db: &DatabaseConnection, public_url: &str, now: i64) -> Result<Round, AppError> {
    let clinics = clinic::Entity::find()
        .filter(clinic::Column::DormantMonths.gt(0))
        .all(db)
        .await?;
    let mut round = Round::default();
    for c in clinics {
        // One clinic's failure leaves the others to their policies.
        match clinic_round(db, public_url, &c, now).await {
            Ok(r) => {
                round.warned += r.warned;
                round.suspended += r.suspended;
            }
            Err(err) => {
                tracing::warn!(clinic_id = c.id, error = %err, "dormant-account policy failed")
            }
        }
    }
    Ok(round)
}

/// One round of clinic `c`'s policy.
async fn clinic_round(
    db: &DatabaseConnection,
    public_url: &str,
    c: &clinic::Model,
    now: i64,
) -> Result<Round, AppError> {
    let mut round = Round::default();
    let months = c.dormant_months.clamp(1, 60) as u32;
    let warn_days = i64::from(c.dormant_warn_days.clamp(0, 30));
    let (Some(cutoff), Some(warn_by)) = (
        months_before(now, months),
        months_before(now + warn_days * DAY_MS, months),
    ) else {
        return Err(AppError::internal(
            "the policy's months fall outside the calendar",
        ));
    };
    // A claim holds only while the clinic's policy is still the one read here.
    let policy = format!(
        "EXISTS (SELECT 1 FROM clinics c WHERE c.id = users.clinic_id \
         AND c.dormant_months = {months} AND c.dormant_warn_days = {warn_days})"
    );
    if warn_days > 0 {
        // Those the policy will suspend within the warning's days (never anyone seen after
        // now: the warning is always about time already passed).
        let by = Ord::min(warn_by, now);
        loop {
            let n = warn_batch(db, public_url, c, months, by, now, &policy).await?;
            round.warned += n;
            if (n as u64) < BATCH {
                break;
            }
        }
    }
    // Suspended once warned at least the warning's days ago (a member warned late, such as
    // when the policy was just turned on, still has those days).
    let warned_before = (warn_days > 0).then(|| now - warn_days * DAY_MS);
    loop {
        let n = suspend_batch(db, c, months, cutoff, warned_before, now, &policy).await?;
        round.suspended += n;
        if (n as u64) < BATCH {
            break;
        }
    }
    Ok(round)
}

/// Whether clinic `c`'s policy is still the one read at the round's start, held so for the
/// rest of the batch's transaction: on Postgres a settings save then waits for the batch
/// (and clears the warnings it sent); SQLite's write transactions already run one at a time.
async fn policy_holds(txn: &impl ConnectionTrait, c: &clinic::Model) -> Result<bool, AppError> {
    let backend = txn.get_database_backend();
    let lock = match backend {
        sea_orm::DbBackend::Postgres => " FOR SHARE",
        _ => "",
    };
    let sql = format!(
        "SELECT id FROM clinics WHERE id = {} AND dormant_months = {} AND dormant_warn_days = {}{lock}",
        c.id, c.dormant_months, c.dormant_warn_days
    );
    Ok(txn
        .query_one_raw(Statement::from_string(backend, sql))
        .await?
        .is_some())
}

#[derive(FromQueryResult)]
struct Claimed {
    id: i64,
    email: String,
    first_name: String,
}

/// Claims up to [`BATCH`] members for `update` (a `SET` clause) among those `select` finds,
/// each only if `still` holds for it in the same statement; returns the ones claimed.
async fn claim(
    txn: &impl ConnectionTrait,
    select: sea_orm::Select<user::Entity>,
    update: &str,
    still: &str,
) -> Result<Vec<Claimed>, AppError> {
    let candidates: Vec<i64> = select
        .select_only()
        .column(user::Column::Id)
        .limit(BATCH)
        .into_tuple()
        .all(txn)
        .await?;
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let ids = candidates
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "UPDATE users SET {update} WHERE id IN ({ids}) AND status = 'active' AND {still} \
         RETURNING id, email, first_name"
    );
    Ok(
        Claimed::find_by_statement(Statement::from_string(txn.get_database_backend(), sql))
            .all(txn)
            .await?,
    )
}

/// Warns the next batch of members who will be dormant by `by`, and were not warned since
/// their last sign-in. Returns how many.
async fn warn_batch(
    db: &DatabaseConnection,
    public_url: &str,
    c: &clinic::Model,
    months: u32,
    by: i64,
    now: i64,
    policy: &str,
) -> Result<usize, AppError> {
    let not_warned = format!("(dormant_warned_at IS NULL OR dormant_warned_at <= {LAST_SEEN})");
    let select = dormant_since(c.id, by).filter(Expr::cust(not_warned.clone()));
    let txn = crate::db::write_txn(db).await?;
    if !policy_holds(&txn, c).await? {
        txn.rollback().await?;
        return Ok(0);
    }
    let claimed = claim(
        &txn,
        select,
        &format!("dormant_warned_at = {now}"),
        &format!("{LAST_SEEN} < {by} AND user_type = 'member' AND {not_warned} AND {policy}"),
    )
    .await?;
    let days = c.dormant_warn_days.clamp(1, 30);
    let link = format!("{public_url}/login");
    for m in &claimed {
        let message = crate::mail::templates::dormant_warning(
            &m.email,
            &c.name,
            &m.first_name,
            &link,
            months,
            days,
        );
        outbox::enqueue(
            &txn,
            Envelope {
                clinic_id: Some(c.id),
                user_id: Some(m.id),
                ..Envelope::default()
            },
            &message,
        )
        .await?;
    }
    let events: Vec<(i64, Vec<Change>)> = claimed
        .iter()
        .map(|m| {
            (
                m.id,
                vec![Change::new(
                    "Warning",
                    "",
                    format!("suspension in {days} days unless they sign in"),
                )],
            )
        })
        .collect();
    audit::service::record_many(&txn, c.id, None, Action::DormantWarned, &events).await?;
    txn.commit().await?;
    Ok(claimed.len())
}

/// Suspends the next batch of members dormant since before `cutoff` (and, with warnings,
/// warned at or before `warned_before`), signing each out. Returns how many.
async fn suspend_batch(
    db: &DatabaseConnection,
    c: &clinic::Model,
    months: u32,
    cutoff: i64,
    warned_before: Option<i64>,
    now: i64,
    policy: &str,
) -> Result<usize, AppError> {
    let warned = match warned_before {
        Some(at) => format!("dormant_warned_at > {LAST_SEEN} AND dormant_warned_at <= {at}"),
        None => "1 = 1".to_owned(),
    };
    let select = dormant_since(c.id, cutoff).filter(Expr::cust(warned.clone()));
    let txn = crate::db::write_txn(db).await?;
    if !policy_holds(&txn, c).await? {
        txn.rollback().await?;
        return Ok(0);
    }
    let claimed = claim(
        &txn,
        select,
        &format!("status = 'suspended', updated_at = {now}, version = version + 1"),
        &format!("{LAST_SEEN} < {cutoff} AND user_type = 'member' AND {warned} AND {policy}"),
    )
    .await?;
    let ids: Vec<i64> = claimed.iter().map(|m| m.id).collect();
    if !ids.is_empty() {
        crate::auth::passwords::end_sessions_of(&txn, &ids).await?;
        crate::auth::tokens::kill_all_of(&txn, &ids).await?;
    }
    let why = format!("not signed in for {months} months");
    let events: Vec<(i64, Vec<Change>)> = ids
        .iter()
        .map(|&id| {
            (
                id,
                vec![
                    Change::new("Status", Status::Active.label(), Status::Suspended.label()),
                    Change::new("Why", "", why.clone()),
                ],
            )
        })
        .collect();
    audit::service::record_many(&txn, c.id, None, Action::DormantSuspended, &events).await?;
    txn.commit().await?;
    Ok(ids.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        let t = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .expect("date");
        (t.unix_timestamp_nanos() / 1_000_000) as i64
    }

    #[test]
    fn months_are_calendar_months_ending_on_a_shorter_months_last_day() {
        assert_eq!(
            months_before(at("2027-03-31T10:00:00Z"), 1),
            Some(at("2027-02-28T10:00:00Z"))
        );
        assert_eq!(
            months_before(at("2027-01-15T00:00:00Z"), 13),
            Some(at("2025-12-15T00:00:00Z"))
        );
        assert_eq!(
            months_before(at("2028-03-30T08:30:00Z"), 1),
            Some(at("2028-02-29T08:30:00Z"))
        );
    }
}
