//! Two-step sign-in on the server: authenticator apps (TOTP with `totp-rs`: SHA-1, 6 digits,
//! 30-second steps, one step either side), recovery codes, the half-done sign-in between the
//! password and the code, and each change's audit event and email.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use totp_rs::{Builder, Totp};

use super::{AppSetup, RECOVERY_CODES, SecurityView, words};
use crate::audit::{self, Action, Change};
use crate::auth::session::{SessionUser, hash_token, new_token};
use crate::auth::throttle::Guess;
use crate::db::now_ms;
use crate::entities::{clinic, recovery_code, second_step, two_step, user};
use crate::error::AppError;
use crate::mail::outbox::{self, Envelope};
use crate::state::AppState;

/// A half-done sign-in lasts this long.
pub const STEP_MS: i64 = 5 * 60 * 1000;
/// Wrong answers a half-done sign-in takes before it ends.
const STEP_ATTEMPTS: i32 = 5;
/// An app being set up keeps its secret this long; then "Set up" starts afresh, so a
/// secret shown once is not shown again to whoever holds the session later.
const PENDING_MS: i64 = 15 * 60 * 1000;
/// What the sealed values are (bound into each seal).
const APP_SECRET: &str = "app_secret";
const CODES: &str = "recovery_codes";
const STEP_SECONDS: u64 = 30;

/// The account `id` with its clinic, or 401 when it is gone.
async fn account(
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

async fn row(db: &impl ConnectionTrait, user_id: i64) -> Result<Option<two_step::Model>, AppError> {
    Ok(two_step::Entity::find_by_id(user_id).one(db).await?)
}

/// The sealed secret of an app being set up, while it is fresh.
fn pending_of(r: &two_step::Model) -> Option<String> {
    r.app_pending
        .clone()
        .filter(|_| r.updated_at > now_ms() - PENDING_MS)
}

/// Whether account `user_id` has a second factor on.
pub async fn is_on(db: &impl ConnectionTrait, user_id: i64) -> Result<bool, AppError> {
    Ok(row(db, user_id)
        .await?
        .is_some_and(|r| r.app_on_at.is_some()))
}

/// The TOTP of `secret`, labelled for `u` at `c` in the app.
fn totp(secret: Vec<u8>, u: &user::Model, c: &clinic::Model) -> Result<Totp, AppError> {
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

fn unix_seconds() -> u64 {
    u64::try_from(now_ms() / 1000).unwrap_or_default()
}

/// `code` as typed (spaces allowed) when it is six digits.
fn six_digits(code: &str) -> Option<String> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

/// A recovery code as stored: lowercase letters and digits only.
fn folded_recovery(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Ten new recovery codes, each 80 random bits as four groups of four (base32, lowercase).
fn new_codes() -> Vec<String> {
    const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 16];
            rand::fill(&mut bytes);
            let chars: Vec<char> = bytes
                .iter()
                .map(|b| ALPHABET[usize::from(b % 32)] as char)
                .collect();
            chars
                .chunks(4)
                .map(|group| group.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// Replaces the account's recovery codes with new ones, kept (sealed) to be shown once.
async fn make_codes(
    state: &AppState,
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<(), AppError> {
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    let codes = new_codes();
    recovery_code::Entity::insert_many(codes.iter().map(|code| recovery_code::ActiveModel {
        user_id: Set(user_id),
        code_hash: Set(hash_token(&folded_recovery(code))),
    }))
    .exec(db)
    .await?;
    let unseen = state
        .sealer
        .seal(codes.join(" ").as_bytes(), CODES, user_id)?;
    two_step::Entity::update_many()
        .col_expr(two_step::Column::UnseenCodes, Some(unseen).into())
        .filter(two_step::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// What `/account/security` shows `me`. Recovery codes not yet shown are shown now, and
/// only now.
pub async fn view(state: &AppState, me: &SessionUser) -> Result<SecurityView, AppError> {
    let (u, c) = account(&state.db, me.user_id).await?;
    let r = row(&state.db, u.id).await?;
    let app_on = r.as_ref().is_some_and(|r| r.app_on_at.is_some());
    let setup = match r.as_ref().and_then(pending_of) {
        Some(sealed) if !app_on => match state.sealer.open(&sealed, APP_SECRET, u.id) {
            Ok(secret) => {
                let t = totp(secret, &u, &c)?;
                let secret = t.secret().to_base32();
                let link = t
                    .to_url()
                    .map_err(|e| AppError::internal(format!("otpauth link: {e}")))?;
                Some(AppSetup {
                    secret: group_by_four(&secret),
                    qr_svg: qr_svg(&link)?,
                    link,
                })
            }
            // Sealed under another key: "Set up" starts afresh.
            Err(_) => None,
        },
        _ => None,
    };
    let mut new_codes = Vec::new();
    if let Some(sealed) = r.as_ref().and_then(|r| r.unseen_codes.clone()) {
        // Taken once: of two pages opened together, one shows them.
        let taken = two_step::Entity::update_many()
            .col_expr(two_step::Column::UnseenCodes, Option::<String>::None.into())
            .filter(two_step::Column::UserId.eq(u.id))
            .filter(two_step::Column::UnseenCodes.eq(sealed.clone()))
            .exec(&state.db)
            .await?;
        if taken.rows_affected == 1 {
            let plain = state.sealer.open(&sealed, CODES, u.id)?;
            new_codes = String::from_utf8_lossy(&plain)
                .split(' ')
                .map(str::to_owned)
                .collect();
        }
    }
    let codes_left = recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(u.id))
        .count(&state.db)
        .await?;
    Ok(SecurityView {
        clinic_name: c.name.clone(),
        is_admin: !me.admin_of.is_empty(),
        app_on,
        setup,
        codes_left: u32::try_from(codes_left).unwrap_or(u32::MAX),
        new_codes,
        required: me.two_step_missing,
    })
}

fn group_by_four(text: &str) -> String {
    text.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn qr_svg(link: &str) -> Result<String, AppError> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::new(link.as_bytes())
        .map_err(|e| AppError::internal(format!("QR code: {e}")))?;
    Ok(code
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build())
}

/// Starts setting up an authenticator app: a new secret, kept sealed until the app's first
/// code turns it on.
pub async fn begin_app(state: &AppState, me: &SessionUser) -> Result<(), AppError> {
    if is_on(&state.db, me.user_id).await? {
        return Err(AppError::Conflict {
            message: words::ALREADY_ON.to_owned(),
        });
    }
    let mut secret = vec![0u8; 20];
    rand::fill(&mut secret[..]);
    let pending = state.sealer.seal(&secret, APP_SECRET, me.user_id)?;
    let now = now_ms();
    two_step::Entity::insert(two_step::ActiveModel {
        user_id: Set(me.user_id),
        app_secret: Set(None),
        app_on_at: Set(None),
        app_last_step: Set(0),
        app_pending: Set(Some(pending)),
        unseen_codes: Set(None),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(two_step::Column::UserId)
            .update_columns([two_step::Column::AppPending, two_step::Column::UpdatedAt])
            .to_owned(),
    )
    .exec(&state.db)
    .await?;
    Ok(())
}

/// The step a right `code` of `secret` names now, or the field message.
fn check_code(t: &Totp, code: &str) -> Result<u64, AppError> {
    let digits = six_digits(code).ok_or_else(|| AppError::validation("code", words::ENTER_CODE))?;
    t.check(&digits, unix_seconds())
        .ok_or_else(|| AppError::validation("code", words::WRONG_CODE))
}

/// Turns on the app being set up, when `code` is one of its codes. The first factor of an
/// account brings its recovery codes.
pub async fn turn_on_app(
    state: &AppState,
    me: &SessionUser,
    current_token: &str,
    password: &str,
    code: &str,
) -> Result<(), AppError> {
    let (u, c) = account(&state.db, me.user_id).await?;
    let r = row(&state.db, u.id).await?;
    if r.as_ref().is_some_and(|r| r.app_on_at.is_some()) {
        return Err(AppError::Conflict {
            message: words::ALREADY_ON.to_owned(),
        });
    }
    let Some(pending) = r.as_ref().and_then(pending_of) else {
        return Err(AppError::validation("code", words::SET_UP_FIRST));
    };
    // Whoever holds a session but not the password cannot tie the account to their phone.
    own_password(state, &u, "password", password).await?;
    let slot = state
        .throttle
        .take(&state.db, &Guess::SecondStep(u.id))
        .await?;
    let t = totp(state.sealer.open(&pending, APP_SECRET, u.id)?, &u, &c)?;
    let step = match check_code(&t, code) {
        Ok(step) => step,
        Err(err) => {
            state.throttle.wrong(&state.db, slot).await?;
            return Err(err);
        }
    };
    state.throttle.right(&state.db, slot).await?;
    let txn = crate::db::write_txn(&state.db).await?;
    let now = now_ms();
    let on = two_step::Entity::update_many()
        .col_expr(two_step::Column::AppSecret, Some(pending.clone()).into())
        .col_expr(two_step::Column::AppOnAt, Some(now).into())
        .col_expr(
            two_step::Column::AppLastStep,
            i64::try_from(step).unwrap_or(0).into(),
        )
        .col_expr(two_step::Column::AppPending, Option::<String>::None.into())
        .col_expr(two_step::Column::UpdatedAt, now.into())
        .filter(two_step::Column::UserId.eq(u.id))
        .filter(two_step::Column::AppPending.eq(pending))
        .filter(two_step::Column::AppOnAt.is_null())
        .exec(&txn)
        .await?;
    if on.rows_affected != 1 {
        return Err(AppError::Conflict {
            message: words::ALREADY_ON.to_owned(),
        });
    }
    let first_codes = recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(u.id))
        .count(&txn)
        .await?
        == 0;
    if first_codes {
        make_codes(state, &txn, u.id).await?;
    }
    // Sessions opened with the password alone end: from now on, signing in takes the code.
    crate::entities::session::Entity::delete_many()
        .filter(crate::entities::session::Column::UserId.eq(u.id))
        .filter(crate::entities::session::Column::TokenHash.ne(hash_token(current_token)))
        .exec(&txn)
        .await?;
    let change = Change::new("Authenticator app", "Off", "On");
    changed(&txn, &c, &u, u.id, change, Mail::Added).await?;
    txn.commit().await?;
    tracing::info!(user_id = u.id, "authenticator app turned on");
    Ok(())
}

/// Checks `password` as the account's own, braked like a sign-in.
async fn own_password(
    state: &AppState,
    u: &user::Model,
    field: &str,
    password: &str,
) -> Result<(), AppError> {
    if password.is_empty() {
        return Err(AppError::validation(field, "Enter your password."));
    }
    let slot = state
        .throttle
        .take(&state.db, &Guess::CurrentPassword(u.id))
        .await?;
    if state
        .hasher
        .verify(password.to_owned(), u.password_hash.clone())
        .await?
    {
        state.throttle.right(&state.db, slot).await?;
        Ok(())
    } else {
        state.throttle.wrong(&state.db, slot).await?;
        Err(AppError::validation(field, "That is not your password."))
    }
}

/// Turns the app off, after the account's password. Without a factor, the recovery codes
/// go too.
pub async fn turn_off_app(
    state: &AppState,
    me: &SessionUser,
    password: &str,
) -> Result<(), AppError> {
    let (u, c) = account(&state.db, me.user_id).await?;
    if !is_on(&state.db, u.id).await? {
        return Err(AppError::Conflict {
            message: words::NOT_ON.to_owned(),
        });
    }
    own_password(state, &u, "password", password).await?;
    let txn = crate::db::write_txn(&state.db).await?;
    forget(&txn, u.id).await?;
    let change = Change::new("Authenticator app", "On", "Off");
    changed(&txn, &c, &u, u.id, change, Mail::Removed).await?;
    txn.commit().await?;
    tracing::info!(user_id = u.id, "authenticator app turned off");
    Ok(())
}

/// Everything of account `user_id`'s two-step sign-in.
async fn forget(db: &impl ConnectionTrait, user_id: i64) -> Result<(), AppError> {
    two_step::Entity::delete_by_id(user_id).exec(db).await?;
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    second_step::Entity::delete_many()
        .filter(second_step::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// New recovery codes in place of the old, after the account's password.
pub async fn renew_codes(
    state: &AppState,
    me: &SessionUser,
    password: &str,
) -> Result<(), AppError> {
    let (u, c) = account(&state.db, me.user_id).await?;
    if !is_on(&state.db, u.id).await? {
        return Err(AppError::Conflict {
            message: words::NOT_ON.to_owned(),
        });
    }
    own_password(state, &u, "codes_password", password).await?;
    let txn = crate::db::write_txn(&state.db).await?;
    make_codes(state, &txn, u.id).await?;
    let change = Change::new("Recovery codes", "Earlier codes", "New codes");
    changed(&txn, &c, &u, u.id, change, Mail::Codes).await?;
    txn.commit().await?;
    Ok(())
}

/// A Clinic Admin removes member `member_id`'s second factor (a lost phone), after their
/// own password.
pub async fn remove_for_member(
    state: &AppState,
    admin: &crate::auth::guard::Admin,
    member_id: i64,
    password: &str,
) -> Result<(), AppError> {
    let (me, _) = account(&state.db, admin.user_id).await?;
    let member = user::Entity::find_by_id(member_id)
        .one(&state.db)
        .await?
        .filter(|m| admin.clinic_ids.contains(&m.clinic_id))
        .ok_or(AppError::NotFound)?;
    own_password(state, &me, "password", password).await?;
    if !is_on(&state.db, member.id).await? {
        return Err(AppError::Conflict {
            message: "This member has no second factor to remove.".to_owned(),
        });
    }
    let c = clinic::Entity::find_by_id(member.clinic_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let txn = crate::db::write_txn(&state.db).await?;
    forget(&txn, member.id).await?;
    let change = Change::new("Authenticator app", "On", "Removed by an admin");
    changed(&txn, &c, &member, admin.user_id, change, Mail::Removed).await?;
    txn.commit().await?;
    tracing::info!(
        member_id = member.id,
        actor = admin.user_id,
        "second factor removed"
    );
    Ok(())
}

/// Turns off `username`'s two-step sign-in from the server's command line, for an account
/// no admin can help (the clinic's only admin lost their phone and codes). Audited as the
/// member's own change, and mailed. False when there was nothing to remove.
pub async fn remove_from_command_line(
    db: &sea_orm::DatabaseConnection,
    username: &str,
) -> Result<bool, AppError> {
    let Some(member) = user::Entity::find()
        .filter(user::Column::UsernameLower.eq(username.trim().to_lowercase()))
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    if !is_on(db, member.id).await? {
        return Ok(false);
    }
    let c = clinic::Entity::find_by_id(member.clinic_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let txn = crate::db::write_txn(db).await?;
    forget(&txn, member.id).await?;
    let change = Change::new(
        "Authenticator app",
        "On",
        "Removed from the server's command line",
    );
    changed(&txn, &c, &member, member.id, change, Mail::Removed).await?;
    txn.commit().await?;
    tracing::info!(
        member_id = member.id,
        "second factor removed from the command line"
    );
    Ok(true)
}

enum Mail {
    Added,
    Removed,
    Codes,
}

/// The audit event and the email of a change to `u`'s two-step sign-in.
async fn changed(
    db: &impl ConnectionTrait,
    c: &clinic::Model,
    u: &user::Model,
    actor: i64,
    change: Change,
    kind: Mail,
) -> Result<(), AppError> {
    audit::service::record(db, c.id, actor, u.id, Action::TwoStepChanged, &[change]).await?;
    let (subject, line) = match kind {
        Mail::Added => (
            "A second factor was added to your account",
            "An authenticator app was turned on for signing in to your account.",
        ),
        Mail::Removed => (
            "A second factor was removed from your account",
            "The authenticator app was turned off for your account: signing in now asks for your password only.",
        ),
        Mail::Codes => (
            "New recovery codes were made for your account",
            "New recovery codes were made for your account; the earlier ones no longer work.",
        ),
    };
    let message =
        crate::mail::templates::two_step_changed(&u.email, &c.name, &u.first_name, subject, line);
    mail(db, c, u, &message).await
}

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
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Who finished their second step, and where they were going.
pub struct Passed {
    pub user: user::Model,
    pub next: Option<String>,
}

/// The second step of the sign-in behind `token`, with an app's `code` or a `recovery`
/// code. The half-done sign-in is claimed and the code used in one transaction: of two
/// answers sent together, one passes and the other changes nothing. A wrong answer is
/// counted; the fifth ends the half-done sign-in and tells the account's owner, whose
/// password someone has.
pub async fn finish_step(
    state: &AppState,
    token: Option<&str>,
    code: &str,
    recovery: &str,
) -> Result<Passed, AppError> {
    let expired = || AppError::validation("form", words::STEP_EXPIRED);
    let token = token.filter(|t| !t.is_empty()).ok_or_else(expired)?;
    let hash = hash_token(token);
    let step = second_step::Entity::find_by_id(hash.clone())
        .one(&state.db)
        .await?
        .filter(|s| s.expires_at > now_ms() && s.attempts < STEP_ATTEMPTS)
        .ok_or_else(expired)?;
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
    let with_recovery = !recovery.trim().is_empty();
    let answer = if with_recovery {
        use_recovery_code(&txn, &u, &c, recovery).await
    } else {
        use_app_code(state, &txn, &u, &c, code).await
    };
    match answer {
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

/// Counts a wrong answer to the half-done sign-in `hash`; the last one allowed ends it and
/// emails the account's owner.
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

async fn mail(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_ten_different_groups_of_sixteen_characters() {
        let codes = new_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        for code in &codes {
            assert_eq!(code.len(), 19, "{code}");
            assert_eq!(folded_recovery(code).len(), 16);
        }
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), RECOVERY_CODES);
        assert_eq!(folded_recovery(" ABCD-efgh ijkl-MNOP "), "abcdefghijklmnop");
    }

    #[test]
    fn a_code_is_six_digits_with_spaces_allowed() {
        assert_eq!(six_digits("123 456").as_deref(), Some("123456"));
        assert_eq!(six_digits("12345"), None);
        assert_eq!(six_digits("12345a"), None);
        assert_eq!(six_digits("+12345"), None);
    }
}
