//! The outbox: messages are queued in the database with the change that caused them, and
//! sent by a worker that may run on every server at once.
//!
//! A worker claims a message with one conditional `UPDATE` that sets a lease
//! (`locked_until`) only if nobody holds one; the database's row lock makes exactly one of
//! two racing workers see its update applied. The lease outlasts a send's timeout, so a
//! message is sent once unless a server dies between sending and recording it (then it is
//! sent again after the lease: at least once, never lost).
//!
//! Nothing usable stays at rest: once a message is sent or given up, its recipient and body
//! (which may hold a single-use link) are blanked in the same statement that records it,
//! and a message whose link dies before it is sent is never sent and is dropped by the
//! purge ([`drop_expired`]).

use std::time::Duration;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::Message;
use super::mailer::{Mailer, SEND_TIMEOUT};
use crate::db::now_ms;
use crate::entities::mail_outbox;
use crate::error::AppError;

/// How the worker paces itself.
#[derive(Clone, Copy, Debug)]
pub struct OutboxSettings {
    /// How long a claim lasts; longer than a send may take.
    pub lease_ms: i64,
    /// Wait after the first failure; doubles with each further one.
    pub first_retry_ms: i64,
    /// The longest wait between attempts.
    pub max_retry_ms: i64,
    /// How often an idle worker looks for due messages.
    pub poll: Duration,
    /// Attempts before a message is marked failed.
    pub max_attempts: i32,
    /// Messages claimed per round.
    pub batch: u64,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        Self {
            lease_ms: 4 * SEND_TIMEOUT.as_millis() as i64,
            first_retry_ms: 2_000,
            max_retry_ms: 5 * 60_000,
            poll: Duration::from_millis(500),
            max_attempts: 30,
            batch: 20,
        }
    }
}

impl OutboxSettings {
    /// The wait before attempt `attempts + 1`.
    pub fn backoff_ms(&self, attempts: i32) -> i64 {
        let doublings = attempts.saturating_sub(1).clamp(0, 30) as u32;
        Ord::min(
            self.first_retry_ms.saturating_mul(1_i64 << doublings),
            self.max_retry_ms,
        )
    }
}

/// Whom a queued message is about, and how long it may wait.
#[derive(Clone, Copy, Debug, Default)]
pub struct Envelope {
    pub clinic_id: Option<i64>,
    /// The member it is about; their deletion removes it.
    pub user_id: Option<i64>,
    /// The sign-up it confirms, before there is a member.
    pub signup_id: Option<i64>,
    /// When the link it carries dies: unsent by then, it is dropped.
    pub expires_at: Option<i64>,
}

/// Queues `message`; call it on the transaction that makes the change it reports.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    envelope: Envelope,
    message: &Message,
) -> Result<(), AppError> {
    let now = now_ms();
    mail_outbox::ActiveModel {
        clinic_id: Set(envelope.clinic_id),
        user_id: Set(envelope.user_id),
        signup_id: Set(envelope.signup_id),
        to_address: Set(message.to.clone()),
        subject: Set(message.subject.clone()),
        text_body: Set(message.text.clone()),
        html_body: Set(message.html.clone()),
        status: Set("pending".to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        expires_at: Set(envelope.expires_at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Claims `id` for this worker; false when another holds it or it is no longer due.
async fn claim(db: &DatabaseConnection, id: i64, settings: &OutboxSettings) -> Result<bool, DbErr> {
    let now = now_ms();
    let result = mail_outbox::Entity::update_many()
        .col_expr(
            mail_outbox::Column::LockedUntil,
            Expr::val(now + settings.lease_ms),
        )
        .col_expr(
            mail_outbox::Column::Attempts,
            Expr::col(mail_outbox::Column::Attempts).add(1),
        )
        .filter(mail_outbox::Column::Id.eq(id))
        .filter(mail_outbox::Column::Status.eq("pending"))
        .filter(mail_outbox::Column::NextAttemptAt.lte(now))
        .filter(
            mail_outbox::Column::LockedUntil
                .is_null()
                .or(mail_outbox::Column::LockedUntil.lt(now)),
        )
        .filter(live(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Sends what is due, once; returns how many messages went out.
pub async fn run_once(
    db: &DatabaseConnection,
    mailer: &Mailer,
    settings: &OutboxSettings,
) -> Result<usize, DbErr> {
    let mut sent = 0;
    for id in due(db, settings).await? {
        if !claim(db, id, settings).await? {
            continue;
        }
        let Some(row) = mail_outbox::Entity::find_by_id(id).one(db).await? else {
            continue;
        };
        let message = Message {
            to: row.to_address.clone(),
            subject: row.subject.clone(),
            text: row.text_body.clone(),
            html: row.html_body.clone(),
        };
        match mailer.send(id, &message).await {
            Ok(()) => {
                mark_sent(db, id).await?;
                tracing::info!(message_id = id, attempts = row.attempts, "mail sent");
                sent += 1;
            }
            Err(error) => {
                let give_up = row.attempts >= settings.max_attempts;
                mark_failed(db, &row, settings, give_up, error).await?;
                // The reason stays in the row: a server's answer may quote the address.
                tracing::warn!(
                    message_id = id,
                    attempts = row.attempts,
                    give_up,
                    "mail not sent"
                );
            }
        }
    }
    Ok(sent)
}

/// The messages due now and not claimed by a server, oldest first, one batch of them.
async fn due(db: &DatabaseConnection, settings: &OutboxSettings) -> Result<Vec<i64>, DbErr> {
    let now = now_ms();
    mail_outbox::Entity::find()
        .select_only()
        .column(mail_outbox::Column::Id)
        .filter(mail_outbox::Column::Status.eq("pending"))
        .filter(mail_outbox::Column::NextAttemptAt.lte(now))
        .filter(
            mail_outbox::Column::LockedUntil
                .is_null()
                .or(mail_outbox::Column::LockedUntil.lt(now)),
        )
        .filter(live(now))
        .order_by_asc(mail_outbox::Column::NextAttemptAt)
        .order_by_asc(mail_outbox::Column::Id)
        .limit(settings.batch)
        .into_tuple()
        .all(db)
        .await
}

/// A sent message keeps its subject and times; its address and bodies go.
async fn mark_sent(db: &DatabaseConnection, id: i64) -> Result<(), DbErr> {
    let update = mail_outbox::Entity::update_many()
        .col_expr(mail_outbox::Column::Status, Expr::val("sent"))
        .col_expr(mail_outbox::Column::SentAt, Expr::val(now_ms()))
        .col_expr(mail_outbox::Column::LockedUntil, Expr::val(None::<i64>))
        .col_expr(mail_outbox::Column::LastError, Expr::val(None::<String>));
    forget_contents(update)
        .filter(mail_outbox::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// A failed attempt waits its backoff for the next; the last one gives up, and the message
/// keeps no address or bodies.
async fn mark_failed(
    db: &DatabaseConnection,
    row: &mail_outbox::Model,
    settings: &OutboxSettings,
    give_up: bool,
    error: String,
) -> Result<(), DbErr> {
    let update = mail_outbox::Entity::update_many()
        .col_expr(
            mail_outbox::Column::Status,
            Expr::val(if give_up { "failed" } else { "pending" }),
        )
        .col_expr(
            mail_outbox::Column::NextAttemptAt,
            Expr::val(now_ms() + settings.backoff_ms(row.attempts)),
        )
        .col_expr(mail_outbox::Column::LockedUntil, Expr::val(None::<i64>))
        .col_expr(mail_outbox::Column::LastError, Expr::val(Some(error)));
    let update = if give_up {
        forget_contents(update)
    } else {
        update
    };
    update
        .filter(mail_outbox::Column::Id.eq(row.id))
        .exec(db)
        .await?;
    Ok(())
}

/// A message done with (sent, or given up on) keeps no address and no body.
fn forget_contents(
    update: sea_orm::UpdateMany<mail_outbox::Entity>,
) -> sea_orm::UpdateMany<mail_outbox::Entity> {
    update
        .col_expr(mail_outbox::Column::ToAddress, Expr::val(""))
        .col_expr(mail_outbox::Column::TextBody, Expr::val(""))
        .col_expr(mail_outbox::Column::HtmlBody, Expr::val(""))
}

/// Not carrying a link, or carrying one that still works at `now`.
fn live(now: i64) -> sea_orm::Condition {
    sea_orm::Condition::any()
        .add(mail_outbox::Column::ExpiresAt.is_null())
        .add(mail_outbox::Column::ExpiresAt.gt(now))
}

/// Drops every message whose link died before it was sent; returns how many.
pub async fn drop_expired(db: &DatabaseConnection) -> Result<u64, DbErr> {
    Ok(mail_outbox::Entity::delete_many()
        .filter(mail_outbox::Column::Status.ne("sent"))
        .filter(mail_outbox::Column::ExpiresAt.lte(now_ms()))
        .exec(db)
        .await?
        .rows_affected)
}

/// Runs the worker until the process ends.
pub async fn run_forever(db: DatabaseConnection, mailer: Mailer, settings: OutboxSettings) {
    loop {
        match run_once(&db, &mailer, &settings).await {
            Ok(n) if n as u64 >= settings.batch => continue,
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "mail outbox unavailable"),
        }
        tokio::time::sleep(settings.poll).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let s = OutboxSettings::default();
        assert_eq!(s.backoff_ms(1), 2_000);
        assert_eq!(s.backoff_ms(2), 4_000);
        assert_eq!(s.backoff_ms(3), 8_000);
        assert_eq!(s.backoff_ms(20), 300_000);
        assert_eq!(s.backoff_ms(i32::MAX), 300_000);
    }
}
