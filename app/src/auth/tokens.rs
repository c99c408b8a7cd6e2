//! Single-use password links: 256 random bits in the link, their SHA-256 in the database,
//! an expiry, and dead once used or once the password changes another way.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};

use super::session::{hash_token, new_token};
use crate::db::now_ms;
use crate::entities::{mail_outbox, password_token};
use crate::error::AppError;

/// What a link is for, and how long it lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Sent when an admin creates a member without a password.
    Welcome,
    /// Sent by an admin ("Send Reset Password Email").
    AdminReset,
    /// Asked for by the patient ("Forgot password").
    SelfReset,
}

impl Purpose {
    pub fn as_db(self) -> &'static str {
        match self {
            Self::Welcome => "welcome",
            Self::AdminReset | Self::SelfReset => "reset",
        }
    }

    pub fn hours(self) -> i64 {
        match self {
            Self::Welcome | Self::AdminReset => 72,
            Self::SelfReset => 1,
        }
    }
}

/// Stores a new link for `user_id`; returns the token to put in it and when it dies.
pub async fn issue(
    db: &impl ConnectionTrait,
    user_id: i64,
    purpose: Purpose,
) -> Result<(String, i64), AppError> {
    let token = new_token();
    let now = now_ms();
    let expires_at = now + purpose.hours() * 3_600_000;
    password_token::ActiveModel {
        token_hash: Set(hash_token(&token)),
        user_id: Set(user_id),
        purpose: Set(purpose.as_db().to_owned()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((token, expires_at))
}

/// The live link behind `token`: unused and unexpired.
pub async fn find_live(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<password_token::Model>, AppError> {
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    let now = now_ms();
    Ok(password_token::Entity::find()
        .filter(password_token::Column::TokenHash.eq(hash_token(token)))
        .filter(password_token::Column::UsedAt.is_null())
        .filter(password_token::Column::ExpiresAt.gt(now))
        .one(db)
        .await?)
}

/// Ends every outstanding link of `user_id`: after any password change, a change of email
/// or username, suspension and Pending delete. Their messages not yet sent are dropped.
pub async fn kill_all(db: &impl ConnectionTrait, user_id: i64) -> Result<(), AppError> {
    kill_all_of(db, &[user_id]).await
}

/// [`kill_all`] for each of `user_ids` at once (a bulk action).
pub async fn kill_all_of(db: &impl ConnectionTrait, user_ids: &[i64]) -> Result<(), AppError> {
    password_token::Entity::delete_many()
        .filter(password_token::Column::UserId.is_in(user_ids.to_vec()))
        .exec(db)
        .await?;
    mail_outbox::Entity::delete_many()
        .filter(mail_outbox::Column::UserId.is_in(user_ids.to_vec()))
        .filter(mail_outbox::Column::Status.ne("sent"))
        .filter(mail_outbox::Column::ExpiresAt.is_not_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets links that were used or have expired; returns how many.
pub async fn forget_dead(db: &impl ConnectionTrait) -> Result<u64, AppError> {
    Ok(password_token::Entity::delete_many()
        .filter(
            sea_orm::Condition::any()
                .add(password_token::Column::UsedAt.is_not_null())
                .add(password_token::Column::ExpiresAt.lte(now_ms())),
        )
        .exec(db)
        .await?
        .rows_affected)
}

/// The link a token goes into.
pub fn link(public_url: &str, token: &str) -> String {
    format!(
        "{}/reset-password?token={token}",
        public_url.trim_end_matches('/')
    )
}
