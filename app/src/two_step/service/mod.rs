//! Two-step sign-in on the server: authenticator apps (TOTP with `totp-rs`: SHA-1, 6 digits,
//! 30-second steps, one step either side), passkeys (WebAuthn with `webauthn-rs`), recovery
//! codes, the half-done sign-in between the password and the second factor, and each
//! change's audit event and email. What each part shares
//! is here: the account and its row, the TOTP of a secret, codes as typed, the password
//! asked again, and the trail and mail of a change.

mod codes;
mod passkeys;
mod removal;
mod second_step;
mod setup;

use passkeys::has_passkey;
pub use passkeys::{begin_passkey, finish_passkey, relying_party, remove_passkey};
pub use removal::*;
pub use second_step::*;
pub use setup::*;

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use totp_rs::{Builder, Totp};

use crate::audit::{self, Action, Change};
use crate::db::now_ms;
use crate::entities::{clinic, passkey, recovery_code, second_step as step, two_step, user};
use crate::error::AppError;
use crate::mail::outbox::{self, Envelope};
use crate::state::AppState;

use super::words;

/// An app being set up keeps its secret this long; then "Set up" starts afresh, so a
/// secret shown once is not shown again to whoever holds the session later.
pub(super) const PENDING_MS: i64 = 15 * 60 * 1000;

/// What the sealed values are (bound into each seal).
pub(super) const APP_SECRET: &str = "app_secret";

pub(super) const CODES: &str = "recovery_codes";

pub(super) const STEP_SECONDS: u64 = 30;

/// The account `id` with its clinic, or 401 when it is gone.
pub(super) async fn account(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<(user::Model, clinic::Model), AppError> {
    let u = user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let c = clinic::Entity::find_by_id(u.clinic_id)
        .one(db)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok((u, c))
}

pub(super) async fn row(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Option<two_step::Model>, AppError> {
    Ok(two_step::Entity::find_by_id(user_id).one(db).await?)
}

/// The sealed secret of an app being set up, while it is fresh.
pub(super) fn pending_of(r: &two_step::Model) -> Option<String> {
    r.app_pending
        .clone()
        .filter(|_| r.updated_at > now_ms() - PENDING_MS)
}

/// Locks account `user_id`'s row for the rest of `txn` (Postgres; SQLite's write
/// transactions are one at a time already): changes to one account's factors then follow
/// one another, and each sees whether it leaves the last factor.
pub(super) async fn lock_account(txn: &impl ConnectionTrait, user_id: i64) -> Result<(), AppError> {
    user::Entity::find_by_id(user_id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(())
}

/// Whether account `user_id` has a second factor on: an authenticator app or a passkey.
pub async fn is_on(db: &impl ConnectionTrait, user_id: i64) -> Result<bool, AppError> {
    let app_on = row(db, user_id)
        .await?
        .is_some_and(|r| r.app_on_at.is_some());
    Ok(app_on || has_passkey(db, user_id).await?)
}

/// Account `user_id`'s second factors in words ("an authenticator app and 2 passkeys"), or
/// none when it has none.
pub async fn factors(db: &impl ConnectionTrait, user_id: i64) -> Result<Option<String>, AppError> {
    let app = row(db, user_id)
        .await?
        .is_some_and(|r| r.app_on_at.is_some())
        .then(|| "an authenticator app".to_owned());
    let keys = passkey::Entity::find()
        .filter(passkey::Column::UserId.eq(user_id))
        .count(db)
        .await?;
    let keys = match keys {
        0 => None,
        1 => Some("a passkey".to_owned()),
        n => Some(format!("{n} passkeys")),
    };
    Ok(match (app, keys) {
        (Some(a), Some(k)) => Some(format!("{a} and {k}")),
        (a, k) => a.or(k),
    })
}

/// The TOTP of `secret`, labelled for `u` at `c` in the app.
pub(super) fn totp(secret: Vec<u8>, u: &user::Model, c: &clinic::Model) -> Result<Totp, AppError> {
    let label = |text: &str| text.replace(':', " ");
    Builder::new()
        .with_secret(secret)
        .with_step_duration(STEP_SECONDS)
        .with_skew(1)
        .with_issuer(Some(label(&c.name)))
        .with_account_name(label(&u.username))
        .build()
        .map_err(|e| AppError::internal(format!("TOTP for user {}: {e}", u.id)))
}

pub(super) fn unix_seconds() -> u64 {
    u64::try_from(now_ms() / 1000).unwrap_or_default()
}

/// `code` as typed (spaces allowed) when it is six digits.
pub(super) fn six_digits(code: &str) -> Option<String> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

/// The step a right `code` of `secret` names now, or the field message.
pub(super) fn check_code(t: &Totp, code: &str) -> Result<u64, AppError> {
    let digits = six_digits(code).ok_or_else(|| AppError::validation("code", words::ENTER_CODE))?;
    t.check(&digits, unix_seconds())
        .ok_or_else(|| AppError::validation("code", words::WRONG_CODE))
}

/// A recovery code as stored: lowercase letters and digits only.
pub(super) fn folded_recovery(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Checks `password` as the account's own (braked like a sign-in); the message goes next to
/// `field`.
pub(super) async fn own_password(
    state: &AppState,
    u: &user::Model,
    field: &str,
    password: &str,
) -> Result<(), AppError> {
    if password.is_empty() {
        return Err(AppError::validation(field, "Enter your password."));
    }
    if crate::auth::passwords::is_own_password(state, u, password).await? {
        Ok(())
    } else {
        Err(AppError::validation(field, "That is not your password."))
    }
}

/// After a factor's removal: when none is left, the rest of two-step sign-in goes too
/// (recovery codes, half-done sign-ins). Whether none was left.
pub(super) async fn forget_if_none_left(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<bool, AppError> {
    let none_left = !is_on(db, user_id).await?;
    if none_left {
        forget(db, user_id).await?;
    }
    Ok(none_left)
}

/// Everything of account `user_id`'s two-step sign-in.
pub(super) async fn forget(db: &impl ConnectionTrait, user_id: i64) -> Result<(), AppError> {
    two_step::Entity::delete_by_id(user_id).exec(db).await?;
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    step::Entity::delete_many()
        .filter(step::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    passkey::Entity::delete_many()
        .filter(passkey::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

pub(super) enum Mail {
    AppAdded,
    PasskeyAdded,
    /// `last`: no second factor is left.
    AppRemoved {
        last: bool,
    },
    PasskeyRemoved {
        last: bool,
    },
    /// Every factor, by an admin or from the command line.
    AllRemoved,
    Codes,
}

const ADDED: &str = "A second factor was added to your account";
const REMOVED: &str = "A second factor was removed from your account";
const PASSWORD_ONLY: &str = " Signing in now asks for your password only.";

/// The audit event and the email of a change to `u`'s two-step sign-in.
pub(super) async fn changed(
    db: &impl ConnectionTrait,
    c: &clinic::Model,
    u: &user::Model,
    actor: i64,
    change: Change,
    kind: Mail,
) -> Result<(), AppError> {
    audit::service::record(db, c.id, actor, u.id, Action::TwoStepChanged, &[change]).await?;
    let then = |last: bool| if last { PASSWORD_ONLY } else { "" };
    let (subject, line) = match kind {
        Mail::AppAdded => (
            ADDED,
            "An authenticator app was turned on for signing in to your account.".to_owned(),
        ),
        Mail::PasskeyAdded => (
            ADDED,
            "A passkey was added for signing in to your account.".to_owned(),
        ),
        Mail::AppRemoved { last } => (
            REMOVED,
            format!(
                "The authenticator app was turned off for your account.{}",
                then(last)
            ),
        ),
        Mail::PasskeyRemoved { last } => (
            REMOVED,
            format!("A passkey was removed from your account.{}", then(last)),
        ),
        Mail::AllRemoved => (
            REMOVED,
            format!("Two-step sign-in was turned off for your account.{PASSWORD_ONLY}"),
        ),
        Mail::Codes => (
            "New recovery codes were made for your account",
            "New recovery codes were made for your account; the earlier ones no longer work."
                .to_owned(),
        ),
    };
    let message =
        crate::mail::templates::two_step_changed(&u.email, &c.name, &u.first_name, subject, &line);
    mail(db, c, u, &message).await
}

pub(super) async fn mail(
    db: &impl ConnectionTrait,
    c: &clinic::Model,
    u: &user::Model,
    message: &crate::mail::Message,
) -> Result<(), AppError> {
    if u.email.is_empty() {
        return Ok(());
    }
    outbox::enqueue(
        db,
        Envelope {
            clinic_id: Some(c.id),
            user_id: Some(u.id),
            ..Envelope::default()
        },
        message,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_six_digits_with_spaces_allowed() {
        assert_eq!(six_digits("123 456").as_deref(), Some("123456"));
        assert_eq!(six_digits("12345"), None);
        assert_eq!(six_digits("12345a"), None);
        assert_eq!(six_digits("+12345"), None);
    }
}
