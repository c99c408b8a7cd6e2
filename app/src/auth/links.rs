//! Set-password links by email: a token issued and its message queued in the caller's
//! transaction, so a link exists only if its email will go out, and the other way round.

use sea_orm::ConnectionTrait;

use super::tokens::{self, Purpose};
use crate::entities::user;
use crate::error::AppError;
use crate::mail::{outbox, templates};

/// Queues a set-password link to the member: a welcome for a new account, a reset later.
pub async fn queue_link(
    txn: &impl ConnectionTrait,
    public_url: &str,
    clinic_name: &str,
    member: &user::Model,
    purpose: Purpose,
) -> Result<(), AppError> {
    let (token, expires_at) = tokens::issue(txn, member.id, purpose).await?;
    let link = tokens::link(public_url, &token);
    let message = match purpose {
        Purpose::Welcome => templates::welcome(
            &member.email,
            clinic_name,
            &member.first_name,
            &link,
            purpose.hours(),
        ),
        Purpose::AdminReset | Purpose::SelfReset => templates::reset(
            &member.email,
            clinic_name,
            &member.first_name,
            &link,
            purpose.hours(),
        ),
    };
    let envelope = outbox::Envelope {
        clinic_id: Some(member.clinic_id),
        user_id: Some(member.id),
        signup_id: None,
        expires_at: Some(expires_at),
    };
    outbox::enqueue(txn, envelope, &message).await
}
