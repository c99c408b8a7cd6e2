//! The sign-in page. Works with and without JavaScript: without it, the form posts to the
//! server function, which answers with a redirect (and, after a failure, the error in the URL).

use crate::ui::post_form::{PostForm, last_error};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::Login;
use crate::error::AppError;
use crate::patients::{ResendConfirmation, words};

/// Messages the sign-in page may show. An error decoded from the URL is shown only when its
/// text is one of these, so a crafted link cannot put words of its own on this page.
const KNOWN_MESSAGES: &[&str] = &[
    "Enter your username.",
    "Enter your password.",
    super::NO_MATCH,
    "This account is not active. Please contact your clinic.",
];

fn shown(err: &AppError) -> String {
    let text = err.to_string();
    if KNOWN_MESSAGES.contains(&text.as_str()) {
        text
    } else if matches!(err, AppError::RateLimited) {
        AppError::RateLimited.to_string()
    } else {
        "Sign-in failed. Please try again.".to_owned()
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = untrack(move || query.read().get("next").filter(|n| super::safe_next(n)));
    let failed = untrack(super::url_error(Login::PATH));
    view! {
        <Title text="Sign in · Frontdesk"/>
        <main class="auth-page">
            <div class="card">
                <p class="brand">"Frontdesk"</p>
                <h1>"Sign in"</h1>
                <p class="notice" role="status" hidden=move || query.read().get("idle").is_none()>
                    {super::SIGNED_OUT_IDLE}
                </p>
                <p class="notice" role="status" hidden=move || query.read().get("reset").is_none()>
                    "Your password is set. Sign in with it."
                </p>
                <p class="notice" role="status" hidden=move || query.read().get("resent").is_none()>
                    {words::RESENT}
                </p>
                <SignInForm next failed/>
            </div>
        </main>
    }
}

/// The sign-in form, live in the browser: the page's only island. `next` is the page to go
/// to afterwards (already checked as safe); `failed` is the error a JavaScript-off post
/// brought back in the URL.
#[cfg_attr(feature = "islands", island)]
#[cfg_attr(not(feature = "islands"), component)]
fn SignInForm(next: Option<String>, failed: Option<AppError>) -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let error = last_error(action, failed);
    let field_error = move |field: &'static str| {
        error().and_then(|e| match &e {
            AppError::Validation { field: f, .. } if f == field => Some(shown(&e)),
            _ => None,
        })
    };
    // After any "do not match", the same offer to send a sign-up's link again: a sign-up
    // still waiting for its email answers exactly like a wrong password.
    let unconfirmed = move || error().is_some_and(|e| e.to_string() == super::NO_MATCH);
    let resend = ServerAction::<ResendConfirmation>::new();
    let username = RwSignal::new(String::new());
    let form_error = move || {
        error().and_then(|e| match &e {
            AppError::Validation { field, .. } if field != "form" => None,
            _ => Some(shown(&e)),
        })
    };

    view! {
        <PostForm action=action class="form" novalidate=true>
            {next.map(|n| view! { <input type="hidden" name="next" value=n/> })}
            {move || form_error().map(|msg| view! {
                <p class="form-error" role="alert">{msg}</p>
            }.into_any())}
            <div class="field">
                <label for="username">"Username"</label>
                <input id="username" name="username" type="text" autocomplete="username"
                    autocapitalize="none" spellcheck="false" required bind:value=username
                    aria-invalid=move || field_error("username").is_some().to_string()
                    aria-describedby="username-error"/>
                <p id="username-error" class="field-error">{move || field_error("username")}</p>
            </div>
            <div class="field">
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password"
                    autocomplete="current-password" required
                    aria-invalid=move || field_error("password").is_some().to_string()
                    aria-describedby="password-error"/>
                <p id="password-error" class="field-error">{move || field_error("password")}</p>
            </div>
            <button type="submit" class="button primary" disabled=move || action.pending().get()>
                {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
            </button>
        </PostForm>
        // Offered after every "do not match", folded: it is for the few who just
        // signed up, and says nothing about the account either way.
        {move || unconfirmed().then(|| view! {
            <details class="notice">
                <summary>"Just signed up?"</summary>
                <p>{words::UNCONFIRMED}</p>
                <PostForm action=resend class="form" novalidate=true>
                    <div class="field">
                        <label for="resend-username">"Your email"</label>
                        <input id="resend-username" name="username" type="email" autocomplete="email"
                            value=username.get_untracked()/>
                    </div>
                    <button type="submit" class="button">"Send the link again"</button>
                </PostForm>
            </details>
        }.into_any())}
        <p class="below-form"><a href="/forgot-password">"Forgot password?"</a></p>
    }
}
