//! Server functions of two-step sign-in. The account's own (`security/…`) answer any
//! signed-in member about themselves; the second step answers whoever holds a half-done
//! sign-in's cookie; removing another member's factor is a Clinic Admin's.

use crate::ui::post_form::{Fields, FromFields};
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
    let answer = if recovery.trim().is_empty() {
        super::service::Answer::App(&code)
    } else {
        super::service::Answer::Recovery(&recovery)
    };
    let landing = pass_step(&state, answer).await?;
    leptos_axum::redirect(&landing);
    Ok(())
}

/// Finishes the half-done sign-in of this request's cookie with `answer`: the session's
/// cookie in place of the step's, and where the browser goes now.
#[cfg(feature = "ssr")]
async fn pass_step(
    state: &crate::state::AppState,
    answer: super::service::Answer<'_>,
) -> Result<String, AppError> {
    let token = step_token(state.auth.secure_cookies);
    let passed = super::service::finish_step(state, token.as_deref(), answer).await?;
    let session = crate::auth::service::open_session(state, &passed.user).await?;
    crate::auth::guard::set_session_cookie(&session)?;
    step_cookie("", state.auth.secure_cookies, 0);
    Ok(crate::auth::service::landing(
        &passed.user,
        passed.next.as_deref(),
    ))
}

/// Which answers the half-done sign-in of this browser can take. Public: the half-done
/// sign-in's cookie is what proves the first step.
#[server(endpoint = "auth/second-step/view")]
pub async fn load_step() -> Result<super::StepView, AppError> {
    // Public: braked per address; answers only the holder of a half-done sign-in's cookie.
    crate::auth::guard::public_post()?;
    let state = crate::state::AppState::current()?;
    let token = step_token(state.auth.secure_cookies);
    super::service::step_view(&state, token.as_deref()).await
}

/// Begins the passkey ceremony of the second step: the options for the browser's
/// `navigator.credentials.get()`, as JSON.
#[server(endpoint = "auth/second-step/passkey/begin")]
pub async fn begin_step_passkey() -> Result<String, AppError> {
    // Public: braked per address; answers only the holder of a half-done sign-in's cookie.
    crate::auth::guard::public_post()?;
    let state = crate::state::AppState::current()?;
    let token = step_token(state.auth.secure_cookies);
    super::service::begin_step_passkey(&state, token.as_deref()).await
}

/// The second step with a passkey: the browser's answer to the ceremony (the credential's
/// `toJSON()`). Answers where the browser goes now; the page goes there itself.
#[server(endpoint = "auth/second-step/passkey")]
pub async fn step_with_passkey(answer: String) -> Result<String, AppError> {
    // Public: braked per address here, and per account in the service like a password.
    crate::auth::guard::public_post()?;
    let state = crate::state::AppState::current()?;
    if state.passkeys.is_none() {
        // Not an answer at all: nothing is counted against the sign-in.
        return Err(AppError::Conflict {
            message: super::words::PASSKEYS_NEED_A_NAME.to_owned(),
        });
    }
    if answer.len() > MAX_ANSWER {
        return Err(AppError::validation(
            "form",
            super::words::PASSKEY_UNREADABLE,
        ));
    }
    pass_step(&state, super::service::Answer::Passkey(&answer)).await
}

/// The longest answer to a passkey ceremony read (a real one is under 2 KB).
#[cfg(feature = "ssr")]
const MAX_ANSWER: usize = 16 * 1024;

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

/// Begins adding a passkey named `passkey_name` for the caller, after their password:
/// the options for the browser's `navigator.credentials.create()`, as JSON.
#[server(endpoint = "security/passkey/add")]
pub async fn begin_passkey(
    passkey_name: String,
    passkey_password: String,
) -> Result<String, AppError> {
    let me = own_account().await?;
    let state = crate::state::AppState::current()?;
    super::service::begin_passkey(&state, &me, &passkey_name, &passkey_password).await
}

/// Adds the passkey begun for the caller, with the browser's answer (the credential's
/// `toJSON()`).
#[server(endpoint = "security/passkey/confirm")]
pub async fn finish_passkey(answer: String) -> Result<(), AppError> {
    let me = own_account().await?;
    let state = crate::state::AppState::current()?;
    if answer.len() > MAX_ANSWER {
        return Err(AppError::validation(
            "form",
            super::words::PASSKEY_UNREADABLE,
        ));
    }
    let token = crate::auth::guard::current_token().unwrap_or_default();
    super::service::finish_passkey(&state, &me, &token, &answer).await
}

/// Removes one of the caller's passkeys; their password is asked again.
#[server(endpoint = "security/passkey/remove")]
pub async fn remove_passkey(passkey: String, remove_password: String) -> Result<(), AppError> {
    let me = own_account().await?;
    let state = crate::state::AppState::current()?;
    super::service::remove_passkey(&state, &me, &passkey, &remove_password).await?;
    leptos_axum::redirect("/account/security?removed=1#passkeys");
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

// How each form that posts to these functions makes its call in the browser.

impl FromFields for SecondStep {
    fn from_fields(f: &Fields) -> Self {
        Self {
            code: f.get("code"),
            recovery_code: f.get("recovery_code"),
        }
    }
}

impl FromFields for BeginApp {
    fn from_fields(_: &Fields) -> Self {
        Self {}
    }
}

impl FromFields for TurnOnApp {
    fn from_fields(f: &Fields) -> Self {
        Self {
            password: f.text("password"),
            code: f.text("code"),
        }
    }
}

impl FromFields for TurnOffApp {
    fn from_fields(f: &Fields) -> Self {
        Self {
            password: f.text("password"),
        }
    }
}

impl FromFields for RenewCodes {
    fn from_fields(f: &Fields) -> Self {
        Self {
            codes_password: f.text("codes_password"),
        }
    }
}

impl FromFields for RemovePasskey {
    fn from_fields(f: &Fields) -> Self {
        Self {
            passkey: f.text("passkey"),
            remove_password: f.text("remove_password"),
        }
    }
}
