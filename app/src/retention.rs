//! What Frontdesk forgets, and when: the once-a-minute job every server runs.
//!
//! Each step is one statement (or one per item) that a second server running it at the same
//! time finds already done. Nothing here is kept for its own sake: a dead session, link,
//! sign-up, queued message or brake holds nothing anyone may use, and some of it holds
//! patient data (a sign-up's name and date of birth, a queued message's address).

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::db::now_ms;
use crate::error::AppError;

/// How much one run forgot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Forgotten {
    pub accounts: usize,
    pub sessions: u64,
    pub links: u64,
    pub signups: u64,
    pub messages: u64,
    pub brakes: u64,
    pub guests: usize,
    /// Waits ended because the patient's page fell silent (a closed tab).
    pub silent_waits: u64,
    /// Bulk actions never confirmed, or done long ago, with their lists of members.
    pub bulk_actions: u64,
    /// Imports never started, or done long ago, with their rows.
    pub imports: u64,
}

impl Forgotten {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Runs every step once.
pub async fn forget_expired(db: &DatabaseConnection) -> Result<Forgotten, AppError> {
    let now = now_ms();
    let accounts = crate::members::server::lifecycle::purge_due(db).await?;
    // A session ends at its absolute limit, or once its clinic's idle time has passed.
    let sessions = db
        .execute_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "DELETE FROM sessions WHERE expires_at <= {now} OR last_seen_at <= {now} - 60000 * \
                 (SELECT CAST(c.idle_timeout_minutes AS BIGINT) FROM users u JOIN clinics c ON c.id = u.clinic_id \
                  WHERE u.id = sessions.user_id)"
            ),
        ))
        .await?
        .rows_affected();
    let links = crate::auth::tokens::forget_dead(db).await?;
    let signups = crate::patients::service::forget_signups(
        db,
        sea_orm::Condition::all().add(sea_orm::ColumnTrait::lte(
            &crate::entities::signup::Column::ExpiresAt,
            now,
        )),
    )
    .await?;
    let messages = crate::mail::outbox::drop_expired(db).await?;
    let brakes = crate::auth::brakes::sweep(db).await?;
    let silent_waits = crate::visits::service::end_silent_waits(db, now).await?;
    let guests = forget_ended_guests(db, now).await?;
    let bulk_actions = crate::members::server::bulk::forget_old(db, now).await?;
    let imports = crate::members::server::import_state::forget_old(db, now).await?;
    Ok(Forgotten {
        accounts,
        sessions,
        links,
        signups,
        messages,
        brakes,
        guests,
        silent_waits,
        bulk_actions,
        imports,
    })
}

/// The condition on guests `u` whose every visit ended (or, never ended, began), and whose
/// record was made, more than `days` (an SQL expression) before `now`.
pub(crate) fn guests_kept_past(now: i64, days: &str) -> String {
    format!(
        "u.user_type = 'guest' AND NOT EXISTS (SELECT 1 FROM visits v \
         WHERE v.user_id = u.id AND COALESCE(v.ended_at, v.entered_at) > {now} - 86400000 * {days}) \
         AND u.signed_up_at <= {now} - 86400000 * {days}"
    )
}

/// Guests deleted per run, at most; the next run takes the rest.
const GUESTS_PER_RUN: u64 = 200;

/// Deletes guests whose every visit ended (or, never ended, began) longer ago than their
/// clinic keeps guests, as a deletion by an admin would: visits, session and all, with the
/// audit trail kept and masked. Returns how many went.
async fn forget_ended_guests(db: &DatabaseConnection, now: i64) -> Result<usize, AppError> {
    use sea_orm::EntityTrait;
    let ids: Vec<i64> = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT u.id AS id FROM users u JOIN clinics c ON c.id = u.clinic_id \
                 WHERE {} LIMIT {GUESTS_PER_RUN}",
                guests_kept_past(now, "CAST(c.guest_retention_days AS BIGINT)")
            ),
        ))
        .await?
        .iter()
        .filter_map(|row| row.try_get::<i64>("", "id").ok())
        .collect();
    let mut deleted = 0;
    for id in ids {
        let Some(guest) = crate::entities::user::Entity::find_by_id(id)
            .one(db)
            .await?
        else {
            continue;
        };
        let txn = crate::db::write_txn(db).await?;
        if crate::members::server::lifecycle::erase(
            &txn,
            &guest,
            None,
            "guest record kept its time",
            false,
        )
        .await?
        {
            deleted += 1;
        }
        txn.commit().await?;
    }
    Ok(deleted)
}
