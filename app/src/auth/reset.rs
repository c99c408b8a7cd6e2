//! Forgot password and "Set Password Now": both work with and without JavaScript.
//!
//! Forgot password answers the same whether or not an account matches. A link sets the
//! password once, ends the member's other sessions, kills their other links, and does not
//! sign in by itself.

use crate::ui::post_form::{Fields, FromFields, PostForm, last_error};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::server_fn::error::ServerFnUrlError;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::error::AppError;
use crate::validation::PasswordPolicy;

/// The one answer Forgot password gives.
pub const FORGOT_ANSWER: &str = "If an account matches, we have sent a link to its email address. The link works once, for 1 hour.";
/// What a dead link says.
pub const DEAD_LINK: &str =
    "This link has expired or was already used. Ask for a new one on the sign-in page.";

/// Emails a 1-hour link to the account with this username or email, if there is one.
/// Public: anyone may ask, and every caller gets the same answer.
#[server(endpoint = "auth/forgot")]
pub async fn forgot_password(identifier: String) -> Result<(), AppError> {
    // Public: the answer never says whether an account exists; braked per address.
    super::guard::public_post()?;
    let started = std::time::Instant::now();
    let state = crate::state::AppState::current()?;
    if identifier.trim().is_empty() {
        return Err(AppError::validation(
            "identifier",
            "Enter your username or email address.",
        ));
    }
    if identifier.len() <= 254 && state.throttle.may_mail(identifier.trim()) {
        service::send_self_reset(&state, identifier.trim()).await?;
    }
    super::throttle::even_out(started).await;
    leptos_axum::redirect("/forgot-password?sent=1");
    Ok(())
}

/// Whether a link is live, and the password policy it must meet. Public: the token is the
/// credential.
#[server(endpoint = "auth/reset_info")]
pub async fn reset_info(token: String) -> Result<Option<PasswordPolicy>, AppError> {
    // Public: answers only about the link it is given.
    let state = crate::state::AppState::current()?;
    service::policy_for(&state, &token).await
}

/// Sets the password through a link. Public: the token is the credential.
#[server(endpoint = "auth/reset")]
pub async fn reset_password(
    token: String,
    password: String,
    confirm_password: String,
) -> Result<(), AppError> {
    // Public: the single-use token proves who the caller is.
    super::guard::public_post()?;
    let state = crate::state::AppState::current()?;
    service::reset(&state, &token, &password, &confirm_password).await?;
    leptos_axum::redirect("/login?reset=1");
    Ok(())
}

#[cfg(feature = "ssr")]
mod service {
    use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

    use crate::accounts::store::policy_of;
    use crate::accounts::{Status, UserType};
    use crate::audit::{self, Action, Change};
    use crate::auth::links::queue_link;
    use crate::auth::passwords::{new_password_hash, store_password};
    use crate::auth::tokens::{self, Purpose};
    use crate::db::now_ms;
    use crate::entities::{clinic, password_token, user};
    use crate::error::AppError;
    use crate::state::AppState;
    use crate::validation::PasswordPolicy;

    pub async fn send_self_reset(state: &AppState, identifier: &str) -> Result<(), AppError> {
        let lower = identifier.to_lowercase();
        let accounts = user::Entity::find()
            .filter(
                Condition::any()
                    .add(user::Column::UsernameLower.eq(lower.clone()))
                    .add(user::Column::EmailLower.eq(lower)),
            )
            .filter(user::Column::Status.eq(Status::Active))
            .filter(user::Column::UserType.ne(UserType::Guest))
            .all(&state.db)
            .await?;
        for member in accounts {
            let Some(clinic) = clinic::Entity::find_by_id(member.clinic_id)
                .one(&state.db)
                .await?
            else {
                continue;
            };
            let txn = crate::db::write_txn(&state.db).await?;
            queue_link(
                &txn,
                &state.auth.public_url,
                &clinic.name,
                &member,
                Purpose::SelfReset,
            )
            .await?;
            txn.commit().await?;
            tracing::info!(user_id = member.id, "password reset link requested");
        }
        Ok(())
    }

    async fn member_of(
        state: &AppState,
        token: &str,
    ) -> Result<Option<(password_token::Model, user::Model, clinic::Model)>, AppError> {
        let Some(link) = tokens::find_live(&state.db, token).await? else {
            return Ok(None);
        };
        // A link sets the password of an active account only.
        let Some(member) = user::Entity::find_by_id(link.user_id)
            .filter(user::Column::Status.eq(Status::Active))
            .one(&state.db)
            .await?
        else {
            return Ok(None);
        };
        let Some(clinic) = clinic::Entity::find_by_id(member.clinic_id)
            .one(&state.db)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some((link, member, clinic)))
    }

    pub async fn policy_for(
        state: &AppState,
        token: &str,
    ) -> Result<Option<PasswordPolicy>, AppError> {
        Ok(member_of(state, token)
            .await?
            .map(|(_, _, clinic)| policy_of(&clinic)))
    }

    pub async fn reset(
        state: &AppState,
        token: &str,
        password: &str,
        confirm: &str,
    ) -> Result<(), AppError> {
        let Some((link, member, clinic)) = member_of(state, token).await? else {
            return Err(AppError::validation("token", super::DEAD_LINK));
        };
        let hash =
            new_password_hash(state, &member, &policy_of(&clinic), password, confirm).await?;
        let txn = crate::db::write_txn(&state.db).await?;
        // Use the link up first: of two racing uses, one finds it gone.
        let used = password_token::Entity::update_many()
            .col_expr(password_token::Column::UsedAt, now_ms().into())
            .filter(password_token::Column::Id.eq(link.id))
            .filter(password_token::Column::UsedAt.is_null())
            .exec(&txn)
            .await?;
        if used.rows_affected != 1 {
            return Err(AppError::validation("token", super::DEAD_LINK));
        }
        store_password(&txn, member.id, hash, true).await?;
        if member.email_confirmed_at.is_none() {
            user::Entity::update_many()
                .col_expr(user::Column::EmailConfirmedAt, now_ms().into())
                .filter(user::Column::Id.eq(member.id))
                .exec(&txn)
                .await?;
        }
        audit::service::record(
            &txn,
            member.clinic_id,
            member.id,
            member.id,
            Action::PasswordSet,
            &[Change::new("Password", "", "set through an emailed link")],
        )
        .await?;
        txn.commit().await?;
        tracing::info!(user_id = member.id, "password set through a link");
        Ok(())
    }
}

/// An error decoded from a JavaScript-off form's redirect, when it belongs to `path`.
pub(crate) fn url_error(path: &'static str) -> impl Fn() -> Option<AppError> + Copy + 'static {
    let query = use_query_map();
    move || {
        let q = query.read();
        match (q.get("__path"), q.get("__err")) {
            (Some(p), Some(err)) if p == path => {
                Some(ServerFnUrlError::<AppError>::decode_err(&err))
            }
            _ => None,
        }
    }
}

/// Only messages Frontdesk itself writes are shown from a URL.
pub(crate) fn known(err: &AppError, known: &[&str]) -> String {
    let text = err.to_string();
    if known.contains(&text.as_str()) || matches!(err, AppError::RateLimited) {
        text
    } else {
        "That did not work. Please try again.".to_owned()
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let failed = untrack(url_error(ForgotPassword::PATH));
    let sent = move || query.read().get("sent").is_some();
    view! {
        <Title text="Forgot password · Frontdesk"/>
        <main class="auth-page">
            <div class="card">
                <p class="brand">"Frontdesk"</p>
                <h1>"Forgot password"</h1>
                <p class="notice" role="status" hidden=move || !sent()>{FORGOT_ANSWER}</p>
                <ForgotForm failed/>
            </div>
        </main>
    }
}

/// The forgot-password form, the page's island; `failed` is a JavaScript-off post's error.
#[cfg_attr(feature = "islands", island)]
#[cfg_attr(not(feature = "islands"), component)]
fn ForgotForm(failed: Option<AppError>) -> impl IntoView {
    let action = ServerAction::<ForgotPassword>::new();
    let last = last_error(action, failed);
    let error = move || last().map(|e| known(&e, &["Enter your username or email address."]));
    view! {
        <PostForm action=action class="form" novalidate=true>
            <div class="field">
                <label for="identifier">"Username or email"</label>
                <input id="identifier" name="identifier" type="text" autocomplete="username"
                    autocapitalize="none" spellcheck="false" required
                    aria-invalid=move || error().is_some().to_string()
                    aria-describedby="identifier-error"/>
                <p id="identifier-error" class="field-error">{move || error()}</p>
            </div>
            <button type="submit" class="button primary" disabled=move || action.pending().get()>
                "Email me a link"
            </button>
        </PostForm>
        <p><a href="/login">"Back to sign in"</a></p>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let info = Resource::new(token, reset_info);
    view! {
        <Title text="Set Password Now · Frontdesk"/>
        <main class="auth-page">
            <div class="card">
                <p class="brand">"Frontdesk"</p>
                <h1>"Set Password Now"</h1>
                <Suspense fallback=|| view! { <p class="loading">"Checking your link…"</p> }>
                    {move || info.get().map(|result| match result {
                        Ok(Some(policy)) => view! {
                            <ResetForm token=token() policy failed=untrack(url_error(ResetPassword::PATH))/>
                        }.into_any(),
                        Ok(None) => view! {
                            <p class="form-error" role="alert">{DEAD_LINK}</p>
                            <p><a href="/forgot-password">"Ask for a new link"</a></p>
                        }.into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    })}
                </Suspense>
            </div>
        </main>
    }
}

/// The new password's form, the page's island: the password rules tick as the patient
/// types. `failed` is a JavaScript-off post's error.
#[cfg_attr(feature = "islands", island)]
#[cfg_attr(not(feature = "islands"), component)]
fn ResetForm(token: String, policy: PasswordPolicy, failed: Option<AppError>) -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let error = last_error(action, failed);
    let field_error = move |name: &'static str| {
        error().and_then(|e| e.field_message(name)).map(|m| {
            if m == DEAD_LINK
                || m.starts_with("The password")
                || m.starts_with("That password")
                || m.starts_with("Enter")
                || m.starts_with("The two")
            {
                m
            } else {
                "That did not work. Please try again.".to_owned()
            }
        })
    };
    let password = RwSignal::new(String::new());
    view! {
        <PostForm action=action class="form" novalidate=true>
            <p class="form-error" role="alert" hidden=move || field_error("token").is_none()>
                {move || field_error("token")}
            </p>
            <input type="hidden" name="token" value=token/>
            <div class="field">
                <label for="password">"New password"</label>
                <input id="password" name="password" type="password" autocomplete="new-password"
                    required bind:value=password
                    aria-invalid=move || field_error("password").is_some().to_string()
                    aria-describedby="password-error password-rules"/>
                <p id="password-error" class="field-error">{move || field_error("password")}</p>
            </div>
            <ul id="password-rules" class="requirements" aria-live="polite">
                {move || crate::ui::password_rules::rule_items(policy.rules(&password.get(), ""))}
            </ul>
            <div class="field">
                <label for="confirm_password">"Confirm password"</label>
                <input id="confirm_password" name="confirm_password" type="password"
                    autocomplete="new-password" required
                    aria-invalid=move || field_error("confirm_password").is_some().to_string()
                    aria-describedby="confirm_password-error"/>
                <p id="confirm_password-error" class="field-error">{move || field_error("confirm_password")}</p>
            </div>
            <button type="submit" class="button primary" disabled=move || action.pending().get()>
                "Set Password Now"
            </button>
        </PostForm>
    }
}

// How each form that posts to these functions makes its call in the browser.

impl FromFields for ForgotPassword {
    fn from_fields(f: &Fields) -> Self {
        Self {
            identifier: f.text("identifier"),
        }
    }
}

impl FromFields for ResetPassword {
    fn from_fields(f: &Fields) -> Self {
        Self {
            token: f.text("token"),
            password: f.text("password"),
            confirm_password: f.text("confirm_password"),
        }
    }
}
