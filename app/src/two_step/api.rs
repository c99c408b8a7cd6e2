//! Server functions of two-step sign-in. The account's own (`security/…`) answer any
//! signed-in member about themselves; the second step answers whoever holds a half-done
//! sign-in's cookie; removing another member's factor is a Clinic Admin's.

use leptos::prelude::*;

use super::SecurityView;
use crate::error::AppError;

/// Name of the half-done sign-in's cookie over plain HTTP (localhost).
pub const STEP_COOKIE: &str = "frontdesk_second_step";
/// Its name over HTTPS, pinned to this host.
pub const SECURE_STEP_COOKIE: &str = "__Host-frontdesk_second_step";

/// Puts the half-done sign-in's cookie on the current response: five minutes, this site
/// only, never sent by another site's page.
#[cfg(feature = "ssr")]
pub fn set_step_cookie(token: &str, secure: bool) {
    step_cookie(token, secure, super::service::STEP_MS / 1000);
}

#[cfg(feature = "ssr")]
fn step_cookie(token: &str, secure: bool, max_age_s: i64) {
    crate::auth::guard::put_cookie(&crate::auth::session::build_cookie(
        (STEP_COOKIE, SECURE_STEP_COOKIE),
        token,
        secure,
        cookie::SameSite::Strict,
        max_age_s,
    ));
}

/// The half-done sign-in's token sent with the current request, if any, under the one
/// name of this server's mode (over HTTPS, only the `__Host-` cookie counts).
#[cfg(feature = "ssr")]
fn step_token(secure: bool) -> Option<String> {
    let name = if secure {
        SECURE_STEP_COOKIE
    } else {
        STEP_COOKIE
    };
    let parts = use_context::<axum::http::request::Parts>()?;
    crate::auth::session::cookie_value(&parts.headers, name)
}

/// The second step of a sign-in: a code from the authenticator app, or a recovery code.
/// Public: the half-done sign-in's cookie is what proves the first step.
#[server(endpoint = "auth/second-step")]
pub async fn second_step(
    code: Option<String>,
    recovery_code: Option<String>,
) -> Result<(), AppError> {
    // Public: braked per address here, and per account in the service like a password.
    crate::auth::guard::public_post()?;
    let state = crate::state::AppState::current()?;
    let code = code.unwrap_or_default();
    let recovery = recovery_code.unwrap_or_default();
    if code.len() > 40 || recovery.len() > 80 {
        return Err(AppError::validation("code", super::words::WRONG_CODE));
    }
    let passed = super::service::finish_step(
        &state,
        step_token(state.auth.secure_cookies).as_deref(),
        &code,
        &recovery,
    )
    .await?;
    let token = crate::auth::service::open_session(&state, &passed.user).await?;
    crate::auth::guard::set_session_cookie(&token)?;
    step_cookie("", state.auth.secure_cookies, 0);
    let landing = crate::auth::service::landing(&passed.user, passed.next.as_deref());
    leptos_axum::redirect(&landing);
    Ok(())
}

/// The caller's own two-step sign-in, for `/account/security`.
#[server(endpoint = "security/view")]
pub async fn load_security() -> Result<SecurityView, AppError> {
    let me = own_account().await?;
    let state = crate::state::AppState::current()?;
    super::service::view(&state, &me).await
}

/// Any signed-in member, not a guest: a guest has no password to protect.
#[cfg(feature = "ssr")]
async fn own_account() -> Result<crate::auth::session::SessionUser, AppError> {
    let me = crate::auth::guard::require_user().await?;
    if me.user_type == crate::accounts::UserType::Guest {
        return Err(AppError::Forbidden);
    }
    Ok(me)
}

/// Starts setting up an authenticator app for the caller: a new secret to scan.
#[server(endpoint = "security/app/add")]
pub async fn begin_app() -> Result<(), AppError> {
    let me = own_account().await?;
    let state = crate::state::AppState::current()?;
    super::service::begin_app(&state, &me).await?;
    leptos_axum::redirect("/account/security#app");
    Ok(())
}

/// Turns on the caller's app being set up, with a code from it and their password.
#[server(endpoint = "security/app/confirm")]
pub async fn turn_on_app(password: String, code: String) -> Result<(), AppError> {
    let me = own_account().await?;
    let state = crate::state::AppState::current()?;
    let token = crate::auth::guard::current_token().unwrap_or_default();
    super::service::turn_on_app(&state, &me, &token, &password, &code).await?;
    leptos_axum::redirect("/account/security?on=1");
    Ok(())
}

/// Turns the caller's app off; their password is asked again.
#[server(endpoint = "security/app/remove")]
pub async fn turn_off_app(password: String) -> Result<(), AppError> {
    let me = own_account().await?;
    let state = crate::state::AppState::current()?;
    super::service::turn_off_app(&state, &me, &password).await?;
    leptos_axum::redirect("/account/security?off=1");
    Ok(())
}

/// New recovery codes for the caller in place of the old; their password is asked again.
#[server(endpoint = "security/app/new-codes")]
pub async fn renew_codes(codes_password: String) -> Result<(), AppError> {
    let me = own_account().await?;
    let state = crate::state::AppState::current()?;
    super::service::renew_codes(&state, &me, &codes_password).await?;
    leptos_axum::redirect("/account/security?codes=1");
    Ok(())
}

/// A Clinic Admin removes a member's second factor (a lost phone), after their own
/// password.
#[server(endpoint = "members/two-step/remove")]
pub async fn remove_member_two_step(member_id: i64, password: String) -> Result<(), AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::service::remove_for_member(&state, &admin, member_id, &password).await
}
