//! `/admin/settings`: the clinic's workflow, password policy, grace period and idle time.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    ClinicSettings, DORMANT_COUNT_CAP, SettingsInput, dormant_due, field, guests_past_keeping,
    load_clinic_settings, save_clinic_settings,
};
use crate::admin_frame::AdminLayout;
use crate::text::thousands;

/// The settings' number fields, in the order the form shows them.
const NUMBERS: [&str; 7] = [
    field::MIN_LENGTH,
    field::HISTORY_COUNT,
    field::GRACE_DAYS,
    field::IDLE_MINUTES,
    field::GUEST_DAYS,
    field::DORMANT_MONTHS,
    field::DORMANT_WARN_DAYS,
];

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
    let two_step = RwSignal::new(settings.require_two_step);
    let version = RwSignal::new(settings.version);
    let dormant = RwSignal::new(start.dormant == Some(true));
    let dormant_months = RwSignal::new(start.dormant_months.clone());
    let dormant_warn_days = RwSignal::new(start.dormant_warn_days.clone());
    // How many members the policy as chosen would suspend next: the saved policy's at
    // first, then asked again as the admin changes it, before saving.
    let due = RwSignal::new(Some((settings.dormant_months, settings.dormant_due)));
    Effect::new(move |asked: Option<(bool, String)>| {
        let now = (dormant.get(), dormant_months.get());
        if asked.is_some() && asked.as_ref() != Some(&now) {
            match now.1.trim().parse::<u32>() {
                _ if !now.0 => due.set(Some((0, 0))),
                Ok(months) if (1..=60).contains(&months) => {
                    let asked = now.clone();
                    leptos::task::spawn_local(async move {
                        let answer = dormant_due(id, months).await;
                        // An answer to an earlier choice is not this one's.
                        if (dormant.get_untracked(), dormant_months.get_untracked()) == asked {
                            due.set(answer.ok().map(|n| (months, n)));
                        }
                    });
                }
                // Months the form will refuse: no count until they are whole.
                _ => due.set(None),
            }
        }
        now
    });
    let errors = RwSignal::new(Vec::<crate::error::FieldError>::new());
    let note = RwSignal::new(None::<String>);
    // What refused the whole form (another admin's save in between): said as an alert.
    let failure = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let message = move |name: &'static str| {
        errors
            .read()
            .iter()
            .find(|e| e.field == name)
            .map(|e| e.message.clone())
    };
    // Shortening the keeping time of guests' records deletes those already older: the form
    // says how many and asks before saving such a change.
    let kept_days = RwSignal::new(settings.guest_retention_days);
    let asked = RwSignal::new(None::<(u64, SettingsInput)>);
    let read = move || SettingsInput {
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
        require_two_step: Some(two_step.get_untracked()),
        version: Some(version.get_untracked()),
        dormant: Some(dormant.get_untracked()),
        dormant_months: dormant_months.get_untracked(),
        dormant_warn_days: dormant_warn_days.get_untracked(),
    };
    let show_errors = move |found: Vec<crate::error::FieldError>| {
        let first = NUMBERS
            .iter()
            .find(|name| found.iter().any(|e| e.field == **name));
        if let Some(name) = first {
            crate::ui::modal::focus_later(format!("{name}-{id}"));
        }
        errors.set(found);
    };
    let save = move |input: SettingsInput| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = save_clinic_settings(input).await;
            busy.set(false);
            match result {
                Ok(saved) => {
                    version.set(saved.version);
                    due.set(Some((saved.dormant_months, saved.dormant_due)));
                    kept_days.set(saved.guest_retention_days);
                    errors.set(Vec::new());
                    note.set(Some("Settings saved.".into()));
                }
                Err(err) => {
                    crate::error::show_failure(err, errors, failure);
                    show_errors(errors.get_untracked());
                }
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let input = read();
        note.set(None);
        failure.set(None);
        asked.set(None);
        let days = match input.validate() {
            Ok(valid) => valid.guest_retention_days,
            Err(found) => return show_errors(found),
        };
        if days >= kept_days.get_untracked() {
            return save(input);
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let counted = guests_past_keeping(id, days).await;
            busy.set(false);
            match counted {
                Ok(0) => save(input),
                Ok(n) => {
                    asked.set(Some((n, input)));
                    crate::ui::modal::focus_later(format!("keep-editing-{id}"));
                }
                Err(err) => crate::error::show_failure(err, errors, failure),
            }
        });
    };
    let keep_editing = move |_| {
        asked.set(None);
        crate::ui::modal::focus_later(format!("{}-{id}", field::GUEST_DAYS));
    };
    let confirm = move |_| {
        if let Some((_, input)) = asked.get_untracked() {
            asked.set(None);
            crate::ui::modal::focus_later(format!("save-{id}"));
            save(input);
        }
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
            <fieldset>
                <legend>"Dormant accounts"</legend>
                {check("Suspend members who have not signed in for a while", dormant)}
                <div hidden=move || !dormant.get()>
                    {number(field::DORMANT_MONTHS, "Months without signing in (1 to 60)", dormant_months)}
                    {number(field::DORMANT_WARN_DAYS, "Days before, email them a warning with a sign-in link (0 to 30)", dormant_warn_days)}
                </div>
                <p class="hint">"Members only: never Clinic Admins, Providers or guests. A member set Active again on the Other tab has the months again from then."</p>
                <p class="hint" id=format!("dormant-due-{id}") role="status">{move || due.get().map(|due| match due {
                    (0, _) => "Off: no one is suspended for not signing in.".to_owned(),
                    (months, 0) => format!("No member has gone {months} months without signing in."),
                    (months, n) => {
                        let who = match n {
                            1 => "1 member has".to_owned(),
                            n if n > DORMANT_COUNT_CAP => format!("{}+ members have", thousands(DORMANT_COUNT_CAP)),
                            n => format!("{} members have", thousands(n)),
                        };
                        let days = dormant_warn_days.get().trim().parse::<u32>().unwrap_or(0);
                        let then = if days == 0 {
                            "The policy suspends them within a minute of being on.".to_owned()
                        } else {
                            format!("The policy emails each a warning, then suspends them {days} days later unless they sign in.")
                        };
                        format!("{who} not signed in for {months} months. {then}")
                    }
                })}</p>
            </fieldset>
            <fieldset>
                <legend>"Two-step sign-in"</legend>
                {check("Require two-step sign-in for Clinic Admins and Providers", two_step)}
                <p class="hint">"Those without it are led to set it up before any other page."</p>
            </fieldset>
            <div class="warning" role="alertdialog" hidden=move || asked.read().is_none()
                aria-labelledby=format!("forget-title-{id}") aria-describedby=format!("forget-text-{id}")>
                <p id=format!("forget-title-{id}")><strong>{move || asked.read().as_ref().map(|(n, _)| {
                    format!("Delete {} guest {}?", thousands(*n), if *n == 1 { "record" } else { "records" })
                })}</strong></p>
                <p id=format!("forget-text-{id}")>{move || asked.read().as_ref().map(|(_, input)| format!(
                    "These guests' visits ended more than {} days ago. Saving deletes their records \
                     within a minute, and they cannot be brought back.",
                    input.guest_retention_days.trim()
                ))}</p>
                <div class="form-actions">
                    <button type="button" id=format!("keep-editing-{id}") class="button"
                        on:click=keep_editing>"Keep editing"</button>
                    <button type="button" class="button danger" on:click=confirm>"Save and delete"</button>
                </div>
            </div>
            <p class="saved" role="status">{move || note.get()}</p>
            <p class="form-error" role="alert" hidden=move || failure.read().is_none()>{move || failure.get()}</p>
            <div class="form-actions">
                <button type="submit" id=format!("save-{id}") class="button primary"
                    aria-disabled=move || busy.get().to_string()>"Save settings"</button>
            </div>
        </form>
    }
}
