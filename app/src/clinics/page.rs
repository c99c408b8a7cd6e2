//! `/admin/settings`: the clinic's workflow, password policy, grace period and idle time.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{ClinicSettings, SettingsInput, field, load_clinic_settings, save_clinic_settings};
use crate::admin_frame::AdminLayout;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let clinics = Resource::new(|| (), |_| load_clinic_settings());
    view! {
        <Title text="Settings · Frontdesk"/>
        <AdminLayout>
            <div class="page-head">
                <h1>"Settings"</h1>
            </div>
            <Suspense fallback=|| view! { <p class="loading">"Loading settings…"</p> }>
                {move || clinics.get().map(|result| match result {
                    Ok(list) => list.into_iter().map(|c| view! { <SettingsForm settings=c/> }).collect_view().into_any(),
                    Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </AdminLayout>
    }
}

#[component]
fn SettingsForm(settings: ClinicSettings) -> impl IntoView {
    let start = SettingsInput::from(&settings);
    let id = settings.clinic_id;
    let signup = RwSignal::new(start.signup_allowed);
    let guest = RwSignal::new(start.guest_allowed);
    let min_length = RwSignal::new(start.min_length.clone());
    let upper = RwSignal::new(start.require_upper);
    let lower = RwSignal::new(start.require_lower);
    let digit = RwSignal::new(start.require_digit);
    let symbol = RwSignal::new(start.require_symbol);
    let history = RwSignal::new(start.history_count.clone());
    let grace = RwSignal::new(start.delete_grace_days.clone());
    let idle = RwSignal::new(start.idle_timeout_minutes.clone());
    let guest_days = RwSignal::new(start.guest_retention_days.clone());
    let errors = RwSignal::new(Vec::<crate::error::FieldError>::new());
    let note = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let message = move |name: &'static str| {
        errors
            .read()
            .iter()
            .find(|e| e.field == name)
            .map(|e| e.message.clone())
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = SettingsInput {
            clinic_id: id,
            signup_allowed: signup.get_untracked(),
            guest_allowed: guest.get_untracked(),
            min_length: min_length.get_untracked(),
            require_upper: upper.get_untracked(),
            require_lower: lower.get_untracked(),
            require_digit: digit.get_untracked(),
            require_symbol: symbol.get_untracked(),
            history_count: history.get_untracked(),
            delete_grace_days: grace.get_untracked(),
            idle_timeout_minutes: idle.get_untracked(),
            guest_retention_days: guest_days.get_untracked(),
        };
        note.set(None);
        if let Err(found) = input.validate() {
            errors.set(found);
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = save_clinic_settings(input).await;
            busy.set(false);
            match result {
                Ok(_) => {
                    errors.set(Vec::new());
                    note.set(Some("Settings saved.".into()));
                }
                Err(err) => crate::error::show_failure(err, errors, note),
            }
        });
    };
    let check = move |label: &'static str, value: RwSignal<bool>| {
        view! {
            <label class="check">
                <input type="checkbox" checked=value.get_untracked() prop:checked=move || value.get()
                    on:change=move |ev| value.set(event_target_checked(&ev))/>
                " "{label}
            </label>
        }
    };
    let number = move |name: &'static str, label: &'static str, value: RwSignal<String>| {
        let id = format!("{name}-{id}");
        view! {
            <div class="field">
                <label for=id.clone()>{label}</label>
                <input id=id.clone() name=name inputmode="numeric" bind:value=value
                    aria-invalid=move || message(name).is_some().to_string()
                    aria-describedby=format!("{id}-error")/>
                <p class="field-error" id=format!("{id}-error")>{move || message(name)}</p>
            </div>
        }
    };
    view! {
        <form class="settings" novalidate on:submit=submit aria-labelledby=format!("clinic-{id}")>
            <h2 id=format!("clinic-{id}")>{settings.name.clone()}</h2>
            <fieldset>
                <legend>"Patient entry"</legend>
                {check("Patients may sign up", signup)}
                {check("Patients may enter as guests", guest)}
            </fieldset>
            <fieldset>
                <legend>"Password policy"</legend>
                {number(field::MIN_LENGTH, "Minimum length", min_length)}
                {check("An upper-case letter", upper)}
                {check("A lower-case letter", lower)}
                {check("A digit", digit)}
                {check("A symbol", symbol)}
                {number(field::HISTORY_COUNT, "Earlier passwords that may not be reused", history)}
            </fieldset>
            <fieldset>
                <legend>"Accounts"</legend>
                {number(field::GRACE_DAYS, "Pending delete: days before the account is deleted", grace)}
                {number(field::IDLE_MINUTES, "Sign out after this many idle minutes", idle)}
                {number(field::GUEST_DAYS, "Days a guest's record is kept after their visit", guest_days)}
            </fieldset>
            <p class="saved" role="status">{move || note.get()}</p>
            <div class="form-actions">
                <button type="submit" class="button primary" disabled=move || busy.get()>"Save settings"</button>
            </div>
        </form>
    }
}
