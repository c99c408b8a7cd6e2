//! The member detail's Management tab: user type, clinic, sign-up and last login, whether
//! two-step sign-in is on (and its removal for a lost phone), the member's visits and the
//! history of what was done to them.

use leptos::prelude::*;

use super::detail_shared::Shared;
use super::types::MemberHistory;
use crate::audit::AuditTable;
use crate::error::AppError;

#[component]
pub(super) fn ManagementTab(
    shared: Shared,
    history: Resource<Result<MemberHistory, AppError>>,
) -> impl IntoView {
    let d = move || shared.detail.get();
    view! {
        <dl class="facts">
            <dt>"User type"</dt><dd>{move || d().map(|d| d.user_type.label())}</dd>
            <dt>"Role"</dt><dd>{move || d().and_then(|d| d.provider_role).unwrap_or_else(|| "—".into())}</dd>
            <dt>"Clinic"</dt><dd>{move || d().map(|d| d.clinic_name)}</dd>
            <dt>"Sign up"</dt><dd>{move || d().map(|d| d.signed_up)}</dd>
            <dt>"Last login"</dt><dd>{move || d().map(|d| d.last_login.unwrap_or_else(|| "Not logged in!".into()))}</dd>
        </dl>
        <h3>"Two-step sign-in"</h3>
        <TwoStepRemoval shared/>
        <h3>"Visits"</h3>
        {move || d().map(|d| if d.visits.is_empty() {
            view! { <p class="muted">"No visits yet."</p> }.into_any()
        } else {
            let shown = d.visits.len();
            view! {
                <table class="visits" tabindex="0" aria-label="Visits">
                    <thead><tr>
                        <th scope="col">"Date"</th><th scope="col">"Room"</th>
                        <th scope="col">"Provider"</th><th scope="col">"Duration"</th>
                        <th scope="col">"Reason"</th><th scope="col">"Status"</th>
                    </tr></thead>
                    <tbody>
                        {d.visits.into_iter().map(|v| view! {
                            <tr><td>{v.at}</td><td>{v.room}</td><td>{v.provider}</td><td>{v.duration}</td>
                                <td>{v.reason}</td><td>{v.status}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
                {(d.visit_count > shown as u64).then(|| view! {
                    <p class="muted">{format!("The newest {shown} of {} visits.", d.visit_count)}</p>
                })}
            }.into_any()
        })}
        <h3>"History"</h3>
        <Transition fallback=|| view! { <p class="loading">"Loading history…"</p> }>
            {move || history.get().map(|result| match result {
                Ok(MemberHistory { rows }) if rows.is_empty() => view! { <p class="muted">"No events yet."</p> }.into_any(),
                Ok(MemberHistory { rows }) => view! { <AuditTable rows show_member=false/> }.into_any(),
                Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
            })}
        </Transition>
    }
}

/// Whether the member has two-step sign-in on, and its removal for a lost phone: the admin
/// enters their own password again.
#[component]
fn TwoStepRemoval(shared: Shared) -> impl IntoView {
    let asking = RwSignal::new(false);
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let factors = move || shared.detail.get().and_then(|d| d.two_step);
    let on = move || factors().is_some();
    let ask = move |_| {
        error.set(None);
        asking.set(true);
        crate::ui::modal::focus_later("remove-two-step-password".into());
    };
    let cancel = move || {
        password.set(String::new());
        error.set(None);
        asking.set(false);
        crate::ui::modal::focus_later("remove-two-step".into());
    };
    let remove = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(member) = shared.detail.get_untracked() else {
            return;
        };
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let typed = password.get_untracked();
        leptos::task::spawn_local(async move {
            let result = crate::two_step::remove_member_two_step(member.id, typed).await;
            busy.set(false);
            match result {
                Ok(()) => {
                    password.set(String::new());
                    asking.set(false);
                    shared.detail.update(|d| {
                        if let Some(d) = d {
                            d.two_step = None;
                        }
                    });
                    shared.saves.update(|n| *n += 1);
                    shared.on_changed.run(());
                    crate::ui::modal::focus_later("two-step-state".into());
                }
                Err(err) => {
                    error.set(Some(
                        err.field_message("password")
                            .unwrap_or_else(|| err.to_string()),
                    ));
                    crate::ui::modal::focus_later("remove-two-step-password".into());
                }
            }
        });
    };
    view! {
        <p id="two-step-state" tabindex="-1">
            {move || factors().map_or_else(|| "Off.".to_owned(), |f| format!("On: {f}."))}
        </p>
        {move || (on() && !asking.get()).then(|| view! {
            <button type="button" id="remove-two-step" class="button" on:click=ask>
                "Remove two-step sign-in"
            </button>
        })}
        {move || asking.get().then(|| view! {
            <form class="form" novalidate on:submit=remove on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Escape" {
                    ev.prevent_default();
                    ev.stop_propagation();
                    cancel();
                }
            }>
                <p>"For a member who lost their phone: they sign in with their password alone until they set it up again, and get an email saying so."</p>
                <div class="field">
                    <label for="remove-two-step-password">"Your password"</label>
                    <input id="remove-two-step-password" type="password" autocomplete="current-password"
                        bind:value=password aria-invalid=move || error.get().is_some().to_string()
                        aria-describedby="remove-two-step-password-error"/>
                    <p id="remove-two-step-password-error" class="field-error">{move || error.get()}</p>
                </div>
                <div class="form-actions">
                    <button type="button" class="button" on:click=move |_| cancel()>"Cancel"</button>
                    <button type="submit" class="button danger" aria-disabled=move || busy.get().to_string()>
                        "Remove"
                    </button>
                </div>
            </form>
        })}
    }
}
