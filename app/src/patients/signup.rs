//! Sign-up (`/u/{slug}/sign-up`) and its email confirmation (`/confirm-email`). Every valid
//! sign-up gets the same answer, so the page never tells whether an account exists.

// `sign_up` takes each field of the form as its own argument, so that the form posts
// as plain HTML without JavaScript; the server-function macro repeats that signature.
#![allow(clippy::too_many_arguments)]

use crate::ui::post_form::{Fields, FromFields, PostForm, last_error};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::room::{PatientCard, slug_param, split_error};
use super::{SignUpForm, words};
use crate::accounts::profile::{DEFAULT_TIMEZONE, field};
use crate::auth::url_error;
use crate::error::AppError;
use crate::ui::password_rules::rule_items;

/// The sign-up form's room, policy and time zones. Public: anyone with the room's link.
#[server(endpoint = "patients/signup_form")]
pub async fn load_signup_form(slug: String) -> Result<Option<SignUpForm>, AppError> {
    // Public: describes the room's sign-up form, nothing about anyone.
    let state = crate::state::AppState::current()?;
    super::service::signup_form(&state.db, &slug).await
}

/// Signs up in a room. The answer is the same whether or not the address has an account.
#[server(endpoint = "patients/sign_up")]
pub async fn sign_up(
    slug: String,
    first_name: String,
    last_name: String,
    email: String,
    password: String,
    confirm_password: String,
    date_of_birth: String,
    phone: String,
    timezone: String,
) -> Result<(), AppError> {
    // Public: the room and its clinic decide, in the service, whether sign-up is open.
    crate::auth::guard::public_post()?;
    let started = std::time::Instant::now();
    let state = crate::state::AppState::current()?;
    let input = super::SignUpInput {
        first_name,
        last_name,
        email,
        password,
        confirm_password,
        date_of_birth,
        phone,
        timezone,
    };
    super::service::sign_up(&state, &slug, input).await?;
    crate::auth::throttle::even_out(started).await;
    leptos_axum::redirect(&format!("/u/{}/sign-up?sent=1", slug.trim().to_lowercase()));
    Ok(())
}

/// Whose sign-up a confirmation link finishes: (first name, clinic). Public: the token is
/// the credential.
#[server(endpoint = "auth/confirm_info")]
pub async fn confirm_info(token: String) -> Result<Option<(String, String)>, AppError> {
    // Public: answers only about the link it is given.
    let state = crate::state::AppState::current()?;
    super::service::confirm_info(&state.db, &token).await
}

/// Confirms the email of a sign-up: the account is made and signed in. Public: the
/// single-use token and the password chosen at sign-up, together, prove who the caller is.
#[server(endpoint = "auth/confirm")]
pub async fn confirm_sign_up(token: String, password: String) -> Result<(), AppError> {
    // Public: the single-use token and the sign-up's password prove who the caller is.
    crate::auth::guard::public_post()?;
    let state = crate::state::AppState::current()?;
    let session = super::service::confirm(&state, &token, password).await?;
    if let Some(old) = crate::auth::guard::current_token() {
        crate::auth::session::end(&state.db, &old).await?;
    }
    crate::auth::guard::set_session_cookie(&session)?;
    leptos_axum::redirect("/account?welcome=1");
    Ok(())
}

/// Sends a waiting sign-up's confirmation link again. Public; the answer never says
/// whether a sign-up was waiting.
#[server(endpoint = "auth/resend")]
pub async fn resend_confirmation(username: String) -> Result<(), AppError> {
    // Public: the link only ever goes to the address the sign-up gave.
    crate::auth::guard::public_post()?;
    let state = crate::state::AppState::current()?;
    super::service::resend(&state, &username).await?;
    leptos_axum::redirect("/login?resent=1");
    Ok(())
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let slug = slug_param();
    let query = use_query_map();
    let form = Resource::new(slug, load_signup_form);
    let sent = move || query.read().get("sent").is_some();
    view! {
        <PatientCard>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || form.get().map(|result| match result {
                    Ok(Some(f)) if sent() => {
                        crate::ui::page_focus::focus_main_heading();
                        view! {
                        <Title text="Check your email · Frontdesk"/>
                        <p class="brand">{f.room.clinic_name.clone()}</p>
                        <h1>"Check your email"</h1>
                        <p class="notice" role="status">{words::SIGNUP_ANSWER}</p>
                        <p><a href=format!("/u/{}", f.room.slug)>"Back to the room"</a></p>
                        }.into_any()
                    }
                    Ok(Some(f)) if !f.room.signup_allowed => view! {
                        <p class="brand">{f.room.clinic_name.clone()}</p>
                        <h1>"Sign up"</h1>
                        <p class="form-error" role="alert">{if f.room.open { words::SIGNUP_CLOSED } else { "This room is closed. Please contact your clinic." }}</p>
                        <p><a href=format!("/u/{}", f.room.slug)>"Back to the room"</a></p>
                    }.into_any(),
                    Ok(Some(f)) => view! {
                        <Title text=format!("Sign up · {}", f.room.name)/>
                        <SignUpFormView form=f failed=untrack(url_error(SignUp::PATH))/>
                    }.into_any(),
                    Ok(None) => view! {
                        <h1>"Room not found"</h1>
                        <p>"Check the link you were given, or contact your clinic."</p>
                    }.into_any(),
                    Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </PatientCard>
    }
}

/// The sign-up form, the page's island: the password rules tick as the patient types.
/// `failed` is a JavaScript-off post's error.
#[cfg_attr(feature = "islands", island)]
#[cfg_attr(not(feature = "islands"), component)]
fn SignUpFormView(form: SignUpForm, failed: Option<AppError>) -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = last_error(action, failed);
    let (field_error, form_error) = split_error(error);
    let form_error = move || {
        error()
            .filter(|e| matches!(e, AppError::Forbidden))
            .map(|_| words::SIGNUP_CLOSED.to_owned())
            .or_else(form_error)
    };
    let password = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let policy = form.policy.clone();
    let text = move |name: &'static str,
                     label: &'static str,
                     kind: &'static str,
                     autocomplete: &'static str,
                     required: bool| {
        view! {
            <div class="field">
                <label for=name>{label}{(!required).then_some(" (optional)")}</label>
                <input id=name name=name type=kind autocomplete=autocomplete required=required
                    aria-invalid=move || field_error(name).is_some().to_string()
                    aria-describedby=format!("{name}-error")/>
                <p id=format!("{name}-error") class="field-error">{move || field_error(name)}</p>
            </div>
        }
    };
    let login = format!("/login?next=/u/{}", form.room.slug);
    view! {
        <p class="brand">{form.room.clinic_name.clone()}</p>
        <h1>"Sign up"</h1>
        <p>{format!("Create your account to enter {}.", form.room.name)}</p>
        <PostForm action=action class="form" novalidate=true>
            {move || form_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> }.into_any())}
            <input type="hidden" name="slug" value=form.room.slug.clone()/>
            {text(field::FIRST_NAME, "First name", "text", "given-name", true)}
            {text(field::LAST_NAME, "Last name", "text", "family-name", true)}
            <div class="field">
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="email" required
                    autocapitalize="none" spellcheck="false" bind:value=email
                    aria-invalid=move || field_error(field::EMAIL).is_some().to_string()
                    aria-describedby="email-hint email-error"/>
                <p id="email-hint" class="hint">"You will sign in with it."</p>
                <p id="email-error" class="field-error">{move || field_error(field::EMAIL)}</p>
            </div>
            <div class="field">
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="new-password"
                    required bind:value=password
                    aria-invalid=move || field_error(field::PASSWORD).is_some().to_string()
                    aria-describedby="password-error password-rules"/>
                <p id="password-error" class="field-error">{move || field_error(field::PASSWORD)}</p>
            </div>
            <ul id="password-rules" class="requirements" aria-live="polite">
                {move || rule_items(policy.rules(&password.get(), email.get().trim()))}
            </ul>
            {text(field::CONFIRM_PASSWORD, "Confirm password", "password", "new-password", true)}
            {text(field::DATE_OF_BIRTH, "Date of birth", "date", "bday", true)}
            {text(field::PHONE, "Phone", "tel", "tel", false)}
            <div class="field">
                <label for="timezone">"Time zone"</label>
                <select id="timezone" name="timezone"
                    aria-invalid=move || field_error(field::TIMEZONE).is_some().to_string()
                    aria-describedby="timezone-error">
                    {form.timezones.iter().map(|t| view! {
                        <option value=t.value.clone() selected=t.value == DEFAULT_TIMEZONE>{t.label.clone()}</option>
                    }).collect_view()}
                </select>
                <p id="timezone-error" class="field-error">{move || field_error(field::TIMEZONE)}</p>
            </div>
            <button type="submit" class="button primary" disabled=move || action.pending().get()>
                "Sign up"
            </button>
        </PostForm>
        <p class="below-form">"Already have an account? "<a href=login>"Log in"</a></p>
    }
}

#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let info = Resource::new(token, confirm_info);
    view! {
        <Title text="Confirm your email · Frontdesk"/>
        <PatientCard>
            <Suspense fallback=|| view! { <p class="loading">"Checking your link…"</p> }>
                {move || info.get().map(|result| match result {
                    Ok(Some((first_name, clinic))) => view! {
                        <ConfirmForm token=token() first_name clinic failed=untrack(url_error(ConfirmSignUp::PATH))/>
                    }.into_any(),
                    Ok(None) => view! {
                        <h1>"Confirm your email"</h1>
                        <p class="form-error" role="alert">{
                            untrack(url_error(ConfirmSignUp::PATH))
                                .filter(|e| !matches!(e, AppError::Validation { field, .. } if field == "password"))
                                .map(|e| confirm_form_error(&e))
                                .unwrap_or_else(|| words::DEAD_CONFIRM.to_owned())
                        }</p>
                        <p><a href="/login">"Sign in"</a></p>
                    }.into_any(),
                    Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </PatientCard>
    }
}

/// What a failed confirmation says over the form: only Frontdesk's own words.
fn confirm_form_error(e: &AppError) -> String {
    crate::auth::known(e, &[words::DEAD_CONFIRM, words::ALREADY_MEMBER])
}

/// The confirmation's form, the page's island. `failed` is a JavaScript-off post's error.
#[cfg_attr(feature = "islands", island)]
#[cfg_attr(not(feature = "islands"), component)]
fn ConfirmForm(
    token: String,
    first_name: String,
    clinic: String,
    failed: Option<AppError>,
) -> impl IntoView {
    let action = ServerAction::<ConfirmSignUp>::new();
    let error = last_error(action, failed);
    let password_error = move || {
        error()
            .filter(|e| matches!(e, AppError::Validation { field, .. } if field == "password"))
            .map(|e| {
                crate::auth::known(
                    &e,
                    &[
                        words::CONFIRM_PASSWORD_MISSING,
                        words::CONFIRM_PASSWORD_WRONG,
                    ],
                )
            })
    };
    let form_error = move || {
        error()
            .filter(|e| !matches!(e, AppError::Validation { field, .. } if field == "password"))
            .map(|e| confirm_form_error(&e))
    };
    view! {
        <p class="brand">{clinic.clone()}</p>
        <h1>"Confirm your email"</h1>
        <p>{format!("Hello {first_name}. Confirm your email address to finish signing up with {clinic}.")}</p>
        <PostForm action=action class="form" novalidate=true>
            {move || form_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> }.into_any())}
            <input type="hidden" name="token" value=token/>
            <div class="field">
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password"
                    autocomplete="current-password" required
                    aria-invalid=move || password_error().is_some().to_string()
                    aria-describedby="password-hint password-error"/>
                <p id="password-hint" class="hint">"The password you chose when you signed up."</p>
                <p id="password-error" class="field-error">{move || password_error()}</p>
            </div>
            <button type="submit" class="button primary" disabled=move || action.pending().get()>
                "Confirm and sign in"
            </button>
        </PostForm>
        <p class="below-form">"Did not sign up? Ignore the email: nothing is made without this password."</p>
    }
}

// How each form that posts to these functions makes its call in the browser.

impl FromFields for SignUp {
    fn from_fields(f: &Fields) -> Self {
        Self {
            slug: f.text("slug"),
            first_name: f.text(field::FIRST_NAME),
            last_name: f.text(field::LAST_NAME),
            email: f.text(field::EMAIL),
            password: f.text(field::PASSWORD),
            confirm_password: f.text(field::CONFIRM_PASSWORD),
            date_of_birth: f.text(field::DATE_OF_BIRTH),
            phone: f.text(field::PHONE),
            timezone: f.text(field::TIMEZONE),
        }
    }
}

impl FromFields for ConfirmSignUp {
    fn from_fields(f: &Fields) -> Self {
        Self {
            token: f.text("token"),
            password: f.text("password"),
        }
    }
}

impl FromFields for ResendConfirmation {
    fn from_fields(f: &Fields) -> Self {
        Self {
            username: f.text("username"),
        }
    }
}
