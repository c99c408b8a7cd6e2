//! `/account/security` (the account's own two-step sign-in) and `/login/second-step` (the
//! code after the password). Every form posts to its server function and works without
//! JavaScript; errors come back next to their field.

use crate::ui::post_form::PostForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::fields::field;
use super::passkey_forms::{Ceremony, Passkeys, UsePasskey};
use super::{
    BeginApp, RECOVERY_CODES, RemovePasskey, RenewCodes, SecondStep, SecurityView, StepView,
    TurnOffApp, TurnOnApp, words,
};
use crate::auth::{IdleWatch, Logout, known, url_error};
use crate::error::AppError;
use crate::patients::{PatientCard, split_error};

/// Messages the second step may show from its URL (a post without JavaScript).
const STEP_MESSAGES: &[&str] = &[
    words::WRONG_CODE,
    words::ENTER_CODE,
    words::USED_CODE,
    words::WRONG_RECOVERY,
    words::ENTER_RECOVERY,
    words::STEP_EXPIRED,
    words::PASSKEY_UNREADABLE,
    words::WRONG_PASSKEY,
    words::PASSKEY_AGAIN,
    words::NO_PASSKEY,
];

#[component]
pub fn SecondStepPage() -> impl IntoView {
    let action = ServerAction::<SecondStep>::new();
    let from_url = url_error(SecondStep::PATH);
    let error = move || action.value().get().and_then(Result::err).or_else(from_url);
    // Words from the URL are shown only when they are the step's own.
    let (field_error, _) = split_error(error);
    let field_error = move |name: &'static str| {
        field_error(name).map(|m| {
            if STEP_MESSAGES.contains(&m.as_str()) {
                m
            } else {
                words::WRONG_CODE.to_owned()
            }
        })
    };
    let form_error = move || {
        error().and_then(|e| match &e {
            AppError::Validation { field, .. } if field != "form" => None,
            other => Some(known(other, STEP_MESSAGES)),
        })
    };
    let recovery_open = move || field_error("recovery_code").is_some();
    let step = Resource::new(|| (), |_| super::load_step());
    let ways = move |s: StepView| {
        let intro = match (s.app, s.passkey) {
            (true, true) => {
                "Enter the code your authenticator app shows for Frontdesk, or use your passkey."
            }
            (true, false) => "Enter the code your authenticator app shows for Frontdesk.",
            _ => "Use the passkey on this device, or one of your recovery codes.",
        };
        view! {
            <p>{intro}</p>
            {s.passkey.then(|| view! { <UsePasskey passkeys_here=s.passkeys_here/> })}
            {s.app.then(|| view! {
                <PostForm action=action class="form" novalidate=true>
                    {field("code", "6-digit code", "text", "one-time-code", field_error)}
                    <button type="submit" class="button primary" disabled=move || action.pending().get()>
                        "Verify"
                    </button>
                </PostForm>
            })}
            <details class="notice" open=recovery_open>
                <summary>"Use a recovery code"</summary>
                <PostForm action=action class="form" novalidate=true>
                    {field("recovery_code", "Recovery code", "text", "off", field_error)}
                    <button type="submit" class="button" disabled=move || action.pending().get()>
                        "Verify"
                    </button>
                </PostForm>
            </details>
        }
    };
    view! {
        <Title text="Two-step sign-in · Frontdesk"/>
        <main class="auth-page">
            <div class="card">
                <p class="brand">"Frontdesk"</p>
                <h1>"Two-step sign-in"</h1>
                {move || form_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
                <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || step.get().map(|result| match result {
                        Ok(s) => ways(s).into_any(),
                        // Ended, expired or never begun: only "Start again" is left.
                        Err(_) if form_error().is_none() => view! {
                            <p class="form-error" role="alert">{words::STEP_EXPIRED}</p>
                        }.into_any(),
                        Err(_) => ().into_any(),
                    })}
                </Suspense>
                <p class="below-form"><a href="/login">"Start again"</a></p>
            </div>
        </main>
    }
}

/// The forms of `/account/security`: the page reads the account's state again after each.
#[derive(Clone, Copy)]
struct Forms {
    begin: ServerAction<BeginApp>,
    turn_on: ServerAction<TurnOnApp>,
    turn_off: ServerAction<TurnOffApp>,
    renew: ServerAction<RenewCodes>,
    add_passkey: Ceremony<()>,
    remove_passkey: ServerAction<RemovePasskey>,
}

#[component]
pub fn SecurityPage() -> impl IntoView {
    let forms = Forms {
        begin: ServerAction::new(),
        turn_on: ServerAction::new(),
        turn_off: ServerAction::new(),
        renew: ServerAction::new(),
        add_passkey: Ceremony::new(),
        remove_passkey: ServerAction::new(),
    };
    let state = Resource::new(
        move || {
            (
                forms.begin.version().get(),
                forms.turn_on.version().get(),
                forms.turn_off.version().get(),
                forms.renew.version().get(),
                forms.add_passkey.successes.get(),
                forms.remove_passkey.version().get(),
            )
        },
        |_| super::load_security(),
    );
    view! {
        <Title text="Security · Frontdesk"/>
        <PatientCard>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || state.get().map(|result| match result {
                    Ok(v) => view! { <Security v forms/> }.into_any(),
                    Err(AppError::Unauthorized) => view! {
                        <h1>"Security"</h1>
                        <p><a class="button primary" href="/login?next=/account/security">"Sign in"</a></p>
                    }.into_any(),
                    Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </PatientCard>
        <IdleWatch/>
    }
}

#[component]
fn Security(v: SecurityView, forms: Forms) -> impl IntoView {
    let query = use_query_map();
    // What the last form did, from the query its redirect added.
    let notice = move || {
        let q = query.read();
        if q.get("on").is_some() {
            Some("The authenticator app is on. Signing in now asks for its code.")
        } else if q.get("off").is_some() {
            Some("The authenticator app is off.")
        } else if q.get("codes").is_some() {
            Some("New recovery codes were made. The earlier ones no longer work.")
        } else if q.get("removed").is_some() {
            Some("The passkey was removed.")
        } else {
            None
        }
    };
    let logout = ServerAction::<Logout>::new();
    let (back, back_label) = if v.is_admin {
        ("/admin/users", "Back to Users")
    } else {
        ("/account", "Back to your account")
    };
    view! {
        <div class="account-head">
            <p class="brand">{v.clinic_name.clone()}</p>
            {(!v.required).then(|| view! { <a href=back>{back_label}</a> })}
            <PostForm action=logout class="inline">
                <button type="submit" class="button">"Sign out"</button>
            </PostForm>
        </div>
        <h1>"Security"</h1>
        {v.required.then(|| view! { <p class="notice" role="alert">{words::REQUIRED}</p> })}
        {move || notice().map(|n| view! { <p class="notice" role="status">{n}</p> })}
        <section aria-labelledby="two-step-title">
            <h2 id="two-step-title">"Two-step sign-in"</h2>
            <p>"After your password, signing in asks for a second proof that it is you: a 6-digit code from an authenticator app on your phone, or a passkey on your device."</p>
            <h3 id="app">"Authenticator app"</h3>
            {if v.app_on {
                view! { <AppOn action=forms.turn_off/> }.into_any()
            } else if let Some(setup) = v.setup.clone() {
                view! { <AppSetupForm setup action=forms.turn_on/> }.into_any()
            } else {
                view! { <BeginForm action=forms.begin/> }.into_any()
            }}
            <Passkeys v=v.clone() adding=forms.add_passkey remove=forms.remove_passkey/>
            <h3>"Recovery codes"</h3>
            <RecoveryCodes v action=forms.renew/>
        </section>
    }
}

#[component]
fn BeginForm(action: ServerAction<BeginApp>) -> impl IntoView {
    let from_url = url_error(BeginApp::PATH);
    let error = move || action.value().get().and_then(Result::err).or_else(from_url);
    view! {
        <p>"Off. Use an app such as Google Authenticator, Microsoft Authenticator or 1Password."</p>
        {move || error().map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
        <PostForm action=action class="form">
            <button type="submit" class="button primary">"Set up an authenticator app"</button>
        </PostForm>
    }
}

#[component]
fn AppSetupForm(setup: super::AppSetup, action: ServerAction<TurnOnApp>) -> impl IntoView {
    let from_url = url_error(TurnOnApp::PATH);
    let error = move || action.value().get().and_then(Result::err).or_else(from_url);
    let (field_error, form_error) = split_error(error);
    view! {
        <ol class="steps">
            <li>"Scan this QR code with the app, or enter the secret key below."</li>
            <li>"Enter the 6-digit code the app then shows, and turn it on."</li>
        </ol>
        <div class="qr" role="img" aria-label="QR code of the secret key" inner_html=setup.qr_svg></div>
        <p>"Secret key"</p>
        <p><code class="secret" id="secret-key">{setup.secret}</code></p>
        {move || form_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
        <PostForm action=action class="form" novalidate=true>
            {field("password", "Your password", "password", "current-password", field_error)}
            {field("code", "Code from the app", "text", "one-time-code", field_error)}
            <button type="submit" class="button primary" disabled=move || action.pending().get()>"Turn on"</button>
        </PostForm>
    }
}

#[component]
fn AppOn(action: ServerAction<TurnOffApp>) -> impl IntoView {
    let from_url = url_error(TurnOffApp::PATH);
    let error = move || action.value().get().and_then(Result::err).or_else(from_url);
    let (field_error, form_error) = split_error(error);
    view! {
        <p>"On. Signing in asks for a code from your app."</p>
        <details class="notice" open=move || error().is_some()>
            <summary>"Turn off the authenticator app"</summary>
            {move || form_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            <PostForm action=action class="form" novalidate=true>
                {field("password", "Your password", "password", "current-password", field_error)}
                <button type="submit" class="button" disabled=move || action.pending().get()>"Turn off"</button>
            </PostForm>
        </details>
    }
}

#[component]
fn RecoveryCodes(v: SecurityView, action: ServerAction<RenewCodes>) -> impl IntoView {
    let from_url = url_error(RenewCodes::PATH);
    let error = move || action.value().get().and_then(Result::err).or_else(from_url);
    let (field_error, form_error) = split_error(error);
    let fresh = !v.new_codes.is_empty();
    view! {
        {fresh.then(|| view! {
            <div class="notice" role="status">
                <p><strong>"Save these recovery codes now: they are shown only this once."</strong></p>
                <p>"Each works once, in place of a code from the app or a passkey, when your phone or device is not at hand."</p>
                <ol class="recovery-codes">
                    {v.new_codes.iter().map(|c| view! { <li><code>{c.clone()}</code></li> }).collect_view()}
                </ol>
            </div>
        })}
        {if v.factor_on() {
            view! {
                <p>{format!("{} of {RECOVERY_CODES} codes left.", v.codes_left)}</p>
                <details class="notice" open=move || error().is_some()>
                    <summary>"Make new codes"</summary>
                    {move || form_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
                    <PostForm action=action class="form" novalidate=true>
                        {field("codes_password", "Your password", "password", "current-password", field_error)}
                        <button type="submit" class="button" disabled=move || action.pending().get()>"Make new codes"</button>
                    </PostForm>
                </details>
            }.into_any()
        } else {
            view! { <p>"Made when you turn on an authenticator app or add a passkey."</p> }.into_any()
        }}
    }
}
