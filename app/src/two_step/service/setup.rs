//! Setting up an authenticator app, turning it on and off, and recovery codes: what
//! `/account/security` does.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use super::codes::{factor_added, make_codes};
use super::{
    APP_SECRET, CODES, Mail, account, changed, check_code, forget_if_none_left, is_on,
    lock_account, own_password, pending_of, row, totp,
};
use crate::audit::Change;
use crate::auth::session::SessionUser;
use crate::auth::throttle::Guess;
use crate::db::now_ms;
use crate::entities::{clinic, recovery_code, two_step, user};
use crate::error::AppError;
use crate::state::AppState;
use crate::two_step::{AppSetup, SecurityView, words};

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
        passkeys: super::passkeys::items(&state.db, u.id, &crate::text::zone(&u.timezone)).await?,
        passkeys_here: state.passkeys.is_some(),
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
    let app_on = row(&state.db, me.user_id)
        .await?
        .is_some_and(|r| r.app_on_at.is_some());
    if app_on {
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
        ..Default::default()
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
    lock_account(&txn, u.id).await?;
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
    factor_added(state, &txn, u.id, current_token).await?;
    let change = Change::new("Authenticator app", "Off", "On");
    changed(&txn, &c, &u, u.id, change, Mail::AppAdded).await?;
    txn.commit().await?;
    tracing::info!(user_id = u.id, "authenticator app turned on");
    Ok(())
}

/// The account of `me`, which has a second factor on, once `password` (typed into `field`)
/// proved to be its own: what turning the app off and making new codes start with.
async fn with_factor_on(
    state: &AppState,
    me: &SessionUser,
    field: &str,
    password: &str,
) -> Result<(user::Model, clinic::Model), AppError> {
    let (u, c) = account(&state.db, me.user_id).await?;
    if !is_on(&state.db, u.id).await? {
        return Err(AppError::Conflict {
            message: words::NOT_ON.to_owned(),
        });
    }
    own_password(state, &u, field, password).await?;
    Ok((u, c))
}

/// Turns the app off, after the account's password. Without a factor left, the recovery
/// codes go too.
pub async fn turn_off_app(
    state: &AppState,
    me: &SessionUser,
    password: &str,
) -> Result<(), AppError> {
    let (u, c) = with_factor_on(state, me, "password", password).await?;
    let txn = crate::db::write_txn(&state.db).await?;
    lock_account(&txn, u.id).await?;
    let off = two_step::Entity::update_many()
        .col_expr(two_step::Column::AppSecret, Option::<String>::None.into())
        .col_expr(two_step::Column::AppOnAt, Option::<i64>::None.into())
        .col_expr(two_step::Column::AppPending, Option::<String>::None.into())
        .col_expr(two_step::Column::UpdatedAt, now_ms().into())
        .filter(two_step::Column::UserId.eq(u.id))
        .filter(two_step::Column::AppOnAt.is_not_null())
        .exec(&txn)
        .await?;
    if off.rows_affected != 1 {
        return Err(AppError::Conflict {
            message: words::APP_NOT_ON.to_owned(),
        });
    }
    let last = forget_if_none_left(&txn, u.id).await?;
    let change = Change::new("Authenticator app", "On", "Off");
    changed(&txn, &c, &u, u.id, change, Mail::AppRemoved { last }).await?;
    txn.commit().await?;
    tracing::info!(user_id = u.id, "authenticator app turned off");
    Ok(())
}

/// New recovery codes in place of the old, after the account's password.
pub async fn renew_codes(
    state: &AppState,
    me: &SessionUser,
    password: &str,
) -> Result<(), AppError> {
    let (u, c) = with_factor_on(state, me, "codes_password", password).await?;
    let txn = crate::db::write_txn(&state.db).await?;
    lock_account(&txn, u.id).await?;
    if !is_on(&txn, u.id).await? {
        return Err(AppError::Conflict {
            message: words::NOT_ON.to_owned(),
        });
    }
    make_codes(state, &txn, u.id).await?;
    let change = Change::new("Recovery codes", "Earlier codes", "New codes");
    changed(&txn, &c, &u, u.id, change, Mail::Codes).await?;
    txn.commit().await?;
    Ok(())
}
