//! The passwords an account keeps: a new one checked against the clinic's policy, the
//! common and personal lists and the account's recent ones, then stored with its history,
//! every outstanding link ended and, when asked, every session.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::tokens;
use crate::accounts::profile::{check_new_password, field};
use crate::db::now_ms;
use crate::entities::{password_history, session, user};
use crate::error::AppError;
use crate::state::AppState;
use crate::validation::PasswordPolicy;

/// Whether `password` is member `u`'s own, braked like a sign-in: a stolen session cannot
/// guess the password behind it. Every "your password again" asks here.
pub async fn is_own_password(
    state: &AppState,
    u: &user::Model,
    password: &str,
) -> Result<bool, AppError> {
    let slot = state
        .throttle
        .take(&state.db, &super::throttle::Guess::CurrentPassword(u.id))
        .await?;
    if state
        .hasher
        .verify(password.to_owned(), u.password_hash.clone())
        .await?
    {
        state.throttle.right(&state.db, slot).await?;
        Ok(true)
    } else {
        state.throttle.wrong(&state.db, slot).await?;
        Ok(false)
    }
}

/// Ends every session of `user_id`: their next request is signed out.
pub async fn end_sessions(db: &impl ConnectionTrait, user_id: i64) -> Result<(), AppError> {
    end_sessions_of(db, &[user_id]).await
}

/// [`end_sessions`] for each of `user_ids` at once (a bulk action).
pub async fn end_sessions_of(db: &impl ConnectionTrait, user_ids: &[i64]) -> Result<(), AppError> {
    session::Entity::delete_many()
        .filter(session::Column::UserId.is_in(user_ids.to_vec()))
        .exec(db)
        .await?;
    Ok(())
}

/// Checks a new password against the clinic's policy and the member's recent passwords;
/// returns its hash.
pub async fn new_password_hash(
    state: &AppState,
    member: &user::Model,
    policy: &PasswordPolicy,
    password: &str,
    confirm: &str,
) -> Result<String, AppError> {
    if password.is_empty() {
        return Err(AppError::validation(
            field::PASSWORD,
            "Enter a new password.",
        ));
    }
    let mut errors = check_new_password(password, confirm, &member.username, policy);
    if errors.is_empty()
        && let Some(refusal) = crate::common_passwords::refusal(
            password,
            &[
                &member.first_name,
                &member.last_name,
                &member.username,
                &member.email,
            ],
        )
    {
        errors.push(crate::error::FieldError::new(field::PASSWORD, refusal));
    }
    if !errors.is_empty() {
        return Err(AppError::fields(errors));
    }
    let recent: Vec<String> = password_history::Entity::find()
        .filter(password_history::Column::UserId.eq(member.id))
        .order_by_desc(password_history::Column::CreatedAt)
        .order_by_desc(password_history::Column::Id)
        .limit(u64::from(policy.history_count.max(1)))
        .select_only()
        .column(password_history::Column::PasswordHash)
        .into_tuple()
        .all(&state.db)
        .await?;
    for old in recent {
        if state.hasher.verify(password.to_owned(), Some(old)).await? {
            return Err(AppError::validation(
                field::PASSWORD,
                format!(
                    "That password was used recently. Choose one that is not among the last {}.",
                    policy.history_count.max(1)
                ),
            ));
        }
    }
    state.hasher.hash(password.to_owned()).await
}

/// Stores a new password hash inside `txn`: the history keeps it, every outstanding link
/// dies, and (when asked) every session ends.
pub async fn store_password(
    txn: &impl ConnectionTrait,
    member_id: i64,
    hash: String,
    end_all_sessions: bool,
) -> Result<(), AppError> {
    let now = now_ms();
    user::Entity::update_many()
        .col_expr(
            user::Column::PasswordHash,
            sea_orm::sea_query::Expr::val(Some(hash.clone())),
        )
        .col_expr(user::Column::UpdatedAt, now.into())
        .filter(user::Column::Id.eq(member_id))
        .exec(txn)
        .await?;
    password_history::ActiveModel {
        user_id: Set(member_id),
        password_hash: Set(hash),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    tokens::kill_all(txn, member_id).await?;
    // A sign-in half done with the old password ends with it.
    crate::entities::second_step::Entity::delete_many()
        .filter(crate::entities::second_step::Column::UserId.eq(member_id))
        .exec(txn)
        .await?;
    if end_all_sessions {
        end_sessions(txn, member_id).await?;
    }
    Ok(())
}
