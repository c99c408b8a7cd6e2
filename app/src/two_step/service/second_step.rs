//! The second step of a sign-in: the half-done sign-in a right password starts, and the
//! code from the app or the recovery code that finishes it.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};

use super::{APP_SECRET, account, check_code, folded_recovery, mail, row, totp};
use crate::audit::{self, Action, Change};
use crate::auth::session::{hash_token, new_token};
use crate::auth::throttle::Guess;
use crate::db::now_ms;
use crate::entities::{clinic, recovery_code, second_step, two_step, user};
use crate::error::AppError;
use crate::state::AppState;
use crate::two_step::words;

/// A half-done sign-in lasts this long.
pub const STEP_MS: i64 = 5 * 60 * 1000;

/// Wrong answers a half-done sign-in takes before it ends.
const STEP_ATTEMPTS: i32 = 5;

/// A sign-in whose password was right, for an account with a second factor: the token for
/// the second step's cookie.
pub async fn start_step(
    db: &impl ConnectionTrait,
    user_id: i64,
    next: Option<String>,
) -> Result<String, AppError> {
    let now = now_ms();
    // Half-done sign-ins nobody finished go first.
    second_step::Entity::delete_many()
        .filter(second_step::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    let token = new_token();
    second_step::ActiveModel {
        token_hash: Set(hash_token(&token)),
        user_id: Set(user_id),
        next_path: Set(next),
        expires_at: Set(now + STEP_MS),
        attempts: Set(0),
        passkey_challenge: Set(None),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// An answer to the second step.
pub enum Answer<'a> {
    /// A code from the authenticator app.
    App(&'a str),
    Recovery(&'a str),
    /// The browser's answer to the passkey ceremony (the credential's `toJSON()`).
    Passkey(&'a str),
}

/// The half-done sign-in behind `token` while it can still be answered.
async fn open_step(state: &AppState, token: Option<&str>) -> Result<second_step::Model, AppError> {
    let expired = || AppError::validation("form", words::STEP_EXPIRED);
    let token = token.filter(|t| !t.is_empty()).ok_or_else(expired)?;
    second_step::Entity::find_by_id(hash_token(token))
        .one(&state.db)
        .await?
        .filter(|s| s.expires_at > now_ms() && s.attempts < STEP_ATTEMPTS)
        .ok_or_else(expired)
}

/// Which answers the half-done sign-in behind `token` can take.
pub async fn step_view(
    state: &AppState,
    token: Option<&str>,
) -> Result<crate::two_step::StepView, AppError> {
    let step = open_step(state, token).await?;
    let app = row(&state.db, step.user_id)
        .await?
        .is_some_and(|r| r.app_on_at.is_some());
    let passkey = super::has_passkey(&state.db, step.user_id).await?;
    Ok(crate::two_step::StepView {
        app,
        passkey,
        passkeys_here: state.passkeys.is_some(),
    })
}

/// Begins the passkey ceremony of the half-done sign-in behind `token`: the options for
/// the browser, as JSON.
pub async fn begin_step_passkey(state: &AppState, token: Option<&str>) -> Result<String, AppError> {
    let step = open_step(state, token).await?;
    super::passkeys::begin_sign_in(state, &step).await
}

/// Who finished their second step, and where they were going.
pub struct Passed {
    pub user: user::Model,
    pub next: Option<String>,
}

/// The second step of the sign-in behind `token`. The half-done sign-in is claimed and the
/// answer used in one transaction: of two answers sent together, one passes and the other
/// changes nothing. A wrong answer is counted; the fifth ends the half-done sign-in and
/// tells the account's owner, whose password someone has.
pub async fn finish_step(
    state: &AppState,
    token: Option<&str>,
    answer: Answer<'_>,
) -> Result<Passed, AppError> {
    let expired = || AppError::validation("form", words::STEP_EXPIRED);
    let step = open_step(state, token).await?;
    let hash = step.token_hash.clone();
    let (u, c) = account(&state.db, step.user_id).await?;
    // Suspended or put to Pending delete since the password: the sign-in is over.
    if u.status != crate::accounts::Status::Active {
        return Err(expired());
    }
    let slot = state
        .throttle
        .take(&state.db, &Guess::SecondStep(u.id))
        .await?;
    let txn = crate::db::write_txn(&state.db).await?;
    let claimed = second_step::Entity::delete_many()
        .filter(second_step::Column::TokenHash.eq(hash.clone()))
        .filter(second_step::Column::ExpiresAt.gt(now_ms()))
        .filter(second_step::Column::Attempts.lt(STEP_ATTEMPTS))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        txn.rollback().await?;
        state.throttle.right(&state.db, slot).await?;
        return Err(expired());
    }
    let checked = match answer {
        Answer::App(code) => use_app_code(state, &txn, &u, &c, code).await,
        Answer::Recovery(code) => use_recovery_code(&txn, &u, &c, code).await,
        Answer::Passkey(json) => {
            let challenge = step.passkey_challenge.as_deref();
            super::passkeys::use_passkey(state, &txn, &u, challenge, json).await
        }
    };
    match checked {
        Ok(()) => {
            txn.commit().await?;
            state.throttle.right(&state.db, slot).await?;
            Ok(Passed {
                user: u,
                next: step.next_path,
            })
        }
        Err(err) => {
            txn.rollback().await?;
            state.throttle.wrong(&state.db, slot).await?;
            wrong_answer(state, &hash, &u, &c).await?;
            Err(err)
        }
    }
}

/// Counts a wrong answer to the half-done sign-in `hash` (a passkey ceremony begun for it is
/// over too); the last one allowed ends it and emails the account's owner.
async fn wrong_answer(
    state: &AppState,
    hash: &str,
    u: &user::Model,
    c: &clinic::Model,
) -> Result<(), AppError> {
    second_step::Entity::update_many()
        .col_expr(
            second_step::Column::Attempts,
            sea_orm::sea_query::ExprTrait::add(
                sea_orm::sea_query::Expr::col(second_step::Column::Attempts),
                1,
            ),
        )
        .col_expr(
            second_step::Column::PasskeyChallenge,
            Option::<String>::None.into(),
        )
        .filter(second_step::Column::TokenHash.eq(hash))
        .exec(&state.db)
        .await?;
    let ended = second_step::Entity::delete_many()
        .filter(second_step::Column::TokenHash.eq(hash))
        .filter(second_step::Column::Attempts.gte(STEP_ATTEMPTS))
        .exec(&state.db)
        .await?;
    if ended.rows_affected == 1 {
        tracing::warn!(user_id = u.id, "second step ended after wrong answers");
        let message = crate::mail::templates::two_step_changed(
            &u.email,
            &c.name,
            &u.first_name,
            "Someone signed in with your password",
            "Someone entered your password and then wrong codes, and was stopped. If it was not you, change your password now.",
        );
        mail(&state.db, c, u, &message).await?;
    }
    Ok(())
}

async fn use_app_code(
    state: &AppState,
    db: &impl ConnectionTrait,
    u: &user::Model,
    c: &clinic::Model,
    code: &str,
) -> Result<(), AppError> {
    let r = row(db, u.id).await?;
    let Some(sealed) = r
        .filter(|r| r.app_on_at.is_some())
        .and_then(|r| r.app_secret)
    else {
        return Err(AppError::validation("code", words::WRONG_CODE));
    };
    let t = totp(state.sealer.open(&sealed, APP_SECRET, u.id)?, u, c)?;
    let step = i64::try_from(check_code(&t, code)?).unwrap_or(0);
    // A code is accepted once: of two sign-ins with the same code, one passes.
    let taken = two_step::Entity::update_many()
        .col_expr(two_step::Column::AppLastStep, step.into())
        .filter(two_step::Column::UserId.eq(u.id))
        .filter(two_step::Column::AppOnAt.is_not_null())
        .filter(two_step::Column::AppLastStep.lt(step))
        .exec(db)
        .await?;
    if taken.rows_affected == 1 {
        Ok(())
    } else {
        Err(AppError::validation("code", words::USED_CODE))
    }
}

/// Uses one of `u`'s recovery codes: audited, and the owner told how many are left.
async fn use_recovery_code(
    db: &impl ConnectionTrait,
    u: &user::Model,
    c: &clinic::Model,
    code: &str,
) -> Result<(), AppError> {
    let folded = folded_recovery(code);
    if folded.len() != 16 {
        return Err(AppError::validation("recovery_code", words::WRONG_RECOVERY));
    }
    let used = recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(u.id))
        .filter(recovery_code::Column::CodeHash.eq(hash_token(&folded)))
        .exec(db)
        .await?;
    if used.rows_affected != 1 {
        return Err(AppError::validation("recovery_code", words::WRONG_RECOVERY));
    }
    let left = recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(u.id))
        .count(db)
        .await?;
    audit::service::record(
        db,
        c.id,
        u.id,
        u.id,
        Action::TwoStepChanged,
        &[Change::new(
            "Recovery codes left",
            (left + 1).to_string(),
            left.to_string(),
        )],
    )
    .await?;
    let line = format!(
        "A recovery code was used to sign in to your account. {left} of your codes are left; make new ones on your Security page if that is few."
    );
    let message = crate::mail::templates::two_step_changed(
        &u.email,
        &c.name,
        &u.first_name,
        "A recovery code was used to sign in",
        &line,
    );
    mail(db, c, u, &message).await?;
    tracing::info!(user_id = u.id, "recovery code used");
    Ok(())
}
