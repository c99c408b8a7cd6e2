//! The passkey parts of `/account/security` (the list, adding one, removing one) and of
//! `/login/second-step` ("Use a passkey"). Adding and using a passkey need JavaScript: until
//! the page runs in the browser they say so, and their buttons wait. Removing one is a
//! plain form.

use crate::ui::post_form::PostForm;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use super::{PasskeyItem, RemovePasskey, SecurityView, browser, words};
use crate::auth::url_error;
use crate::error::AppError;
use crate::patients::split_error;

/// True once the page runs in the browser.
fn in_browser() -> ReadSignal<bool> {
    let (ready, set_ready) = signal(false);
    Effect::new(move |_| set_ready.set(true));
    ready
}

/// A passkey ceremony started by a click: whether it runs, and how it ended. Plain signals
/// rather than an `Action`: the browser's promises cannot move between threads.
pub(super) struct Ceremony<T: Send + Sync + 'static> {
    pub running: RwSignal<bool>,
    pub ended: RwSignal<Option<Result<T, AppError>>>,
    /// Ceremonies that succeeded so far: what a page reads its state again on.
    pub successes: RwSignal<u32>,
}

impl<T: Send + Sync + 'static> Clone for Ceremony<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for Ceremony<T> {}

impl<T: Clone + Send + Sync + 'static> Ceremony<T> {
    pub fn new() -> Self {
        Self {
            running: RwSignal::new(false),
            ended: RwSignal::new(None),
            successes: RwSignal::new(0),
        }
    }

    /// Runs `work` in the browser unless a ceremony already runs.
    fn run(self, work: impl std::future::Future<Output = Result<T, AppError>> + 'static) {
        if self.running.get_untracked() {
            return;
        }
        self.running.set(true);
        self.ended.set(None);
        leptos::task::spawn_local(async move {
            let result = work.await;
            if result.is_ok() {
                self.successes.update(|n| *n += 1);
            }
            self.ended.set(Some(result));
            self.running.set(false);
        });
    }

    fn error(self) -> impl Fn() -> Option<AppError> + Copy + Send + Sync + 'static {
        move || self.ended.get().and_then(Result::err)
    }
}

/// A refusal in the browser, as the form's error.
fn refused(message: browser::Refused) -> AppError {
    AppError::validation("form", message)
}

/// The account's passkeys on its Security page: the list, "Add a passkey", and "Remove a
/// passkey".
#[component]
pub(super) fn Passkeys(
    v: SecurityView,
    adding: Ceremony<()>,
    remove: ServerAction<RemovePasskey>,
) -> impl IntoView {
    view! {
        <h3 id="passkeys">"Passkeys"</h3>
        <p>"A passkey signs you in with this device's fingerprint, face or screen lock instead of a code."</p>
        <PasskeyList items=v.passkeys.clone()/>
        {if v.passkeys_here {
            view! { <AddPasskey adding/> }.into_any()
        } else {
            view! { <p class="notice">{words::PASSKEYS_NEED_A_NAME}</p> }.into_any()
        }}
        {(!v.passkeys.is_empty()).then(|| view! { <RemovePasskeyForm items=v.passkeys.clone() action=remove/> })}
    }
}

#[component]
fn PasskeyList(items: Vec<PasskeyItem>) -> impl IntoView {
    if items.is_empty() {
        return view! { <p>"None added."</p> }.into_any();
    }
    view! {
        <ul class="passkeys">
            {items.into_iter().map(|p| {
                let used = p.last_used.map_or_else(
                    || "not used yet".to_owned(),
                    |day| format!("last used {day}"),
                );
                view! {
                    <li><strong>{p.name}</strong>" · added "{p.added}" · "{used}</li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn AddPasskey(adding: Ceremony<()>) -> impl IntoView {
    let ready = in_browser();
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let (field_error, form_error) = split_error(adding.error());
    let added = move || matches!(adding.ended.get(), Some(Ok(())));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (typed_name, typed_password) = (name.get_untracked(), password.get_untracked());
        adding.run(async move {
            let options = super::begin_passkey(typed_name, typed_password).await?;
            let answer = browser::create_passkey(&options).await.map_err(refused)?;
            super::finish_passkey(answer).await
        });
    };
    Effect::new(move |_| {
        if added() {
            name.set(String::new());
            password.set(String::new());
        }
    });
    let invalid = move |id: &'static str| field_error(id).is_some().to_string();
    view! {
        {move || added().then(|| view! { <p class="notice" role="status">"The passkey was added."</p> })}
        {move || form_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
        <form class="form" novalidate on:submit=submit>
            <div class="field">
                <label for="passkey_name">"Passkey name"</label>
                <input id="passkey_name" name="passkey_name" type="text" autocomplete="off"
                    maxlength=super::PASSKEY_NAME_MAX placeholder="Work laptop" required
                    bind:value=name aria-invalid=move || invalid("passkey_name")
                    aria-describedby="passkey_name-error"/>
                <p id="passkey_name-error" class="field-error">{move || field_error("passkey_name")}</p>
            </div>
            <div class="field">
                <label for="passkey_password">"Your password"</label>
                <input id="passkey_password" name="passkey_password" type="password"
                    autocomplete="current-password" required bind:value=password
                    aria-invalid=move || invalid("passkey_password")
                    aria-describedby="passkey_password-error"/>
                <p id="passkey_password-error" class="field-error">{move || field_error("passkey_password")}</p>
            </div>
            <button type="submit" class="button primary"
                disabled=move || !ready.get() || adding.running.get()>
                "Add a passkey"
            </button>
        </form>
        {move || (!ready.get()).then(|| view! { <p class="hint">{words::NEEDS_JAVASCRIPT}</p> })}
    }
}

#[component]
fn RemovePasskeyForm(
    items: Vec<PasskeyItem>,
    action: ServerAction<RemovePasskey>,
) -> impl IntoView {
    let from_url = url_error(RemovePasskey::PATH);
    let error = move || action.value().get().and_then(Result::err).or_else(from_url);
    let (field_error, form_error) = split_error(error);
    view! {
        <details class="notice" open=move || error().is_some()>
            <summary>"Remove a passkey"</summary>
            {move || form_error().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            <PostForm action=action class="form" novalidate=true>
                <div class="field">
                    <label for="passkey">"Passkey"</label>
                    <select id="passkey" name="passkey"
                        aria-invalid=move || field_error("passkey").is_some().to_string()
                        aria-describedby="passkey-error">
                        {items.into_iter().map(|p| view! {
                            <option value=p.id>{format!("{} (added {})", p.name, p.added)}</option>
                        }).collect_view()}
                    </select>
                    <p id="passkey-error" class="field-error">{move || field_error("passkey")}</p>
                </div>
                {super::fields::field("remove_password", "Your password", "password", "current-password", field_error)}
                <button type="submit" class="button" disabled=move || action.pending().get()>"Remove"</button>
            </PostForm>
        </details>
    }
}

/// "Use a passkey" on the second step: the ceremony, then the page the sign-in leads to.
#[component]
pub(super) fn UsePasskey(passkeys_here: bool) -> impl IntoView {
    let ready = in_browser();
    let using: Ceremony<String> = Ceremony::new();
    let error = using.error();
    Effect::new(move |_| {
        if let Some(Ok(landing)) = using.ended.get() {
            let _ = window().location().set_href(&landing);
        }
    });
    let start = move |_| {
        using.run(async move {
            let options = super::begin_step_passkey().await?;
            let answer = browser::use_passkey(&options).await.map_err(refused)?;
            super::step_with_passkey(answer).await
        });
    };
    if !passkeys_here {
        return view! { <p class="notice">{words::PASSKEYS_NEED_A_NAME}</p> }.into_any();
    }
    view! {
        <div class="passkey-step">
            {move || error().map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
            <button type="button" class="button primary" on:click=start
                disabled=move || !ready.get() || using.running.get()>
                "Use a passkey"
            </button>
            {move || (!ready.get()).then(|| view! { <p class="hint">{words::NEEDS_JAVASCRIPT}</p> })}
        </div>
    }
    .into_any()
}
