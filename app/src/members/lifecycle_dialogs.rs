//! The account's lifecycle on screen: the Delete confirmation, the Set password dialog, and
//! the Other tab's status, reset email and removal controls.

use leptos::prelude::*;

use super::form::{FormAlert, FormState, PasswordFields};
use super::types::MemberDetail;
use super::types::confirms_username;
use super::{
    Status, delete_member, load_delete_preview, load_password_info, save_member_status,
    send_member_reset, set_member_password,
};
use crate::accounts::profile::check_new_password;
use crate::error::AppError;
use crate::ui::modal::{Modal, ModalClose};

/// The article's warning, shown before any deletion.
pub const DELETE_WARNING: &str = "Note: When a patient account is deleted, all the visit records and data associated with his/her profile will also be removed and not be retrievable.";

/// Delete (row action) and Disable And Remove Log In Detail: one confirmation.
#[component]
pub fn DeleteDialog(
    id: i64,
    #[prop(into)] on_close: Callback<()>,
    /// Called with the member's name once they are gone.
    #[prop(into)]
    on_deleted: Callback<String>,
) -> impl IntoView {
    let preview = Resource::new(|| (), move |_| load_delete_preview(id));
    view! {
        <Modal labelled_by="delete-title" on_close>
            <Suspense fallback=|| view! { <h2 id="delete-title">"Delete account"</h2><p class="loading">"Loading…"</p> }>
                {move || preview.get().map(|result| match result {
                    Ok(p) => {
                        let typed = RwSignal::new(String::new());
                        let form = FormState::new(Memo::new(|_| Vec::new()));
                        let username = p.username.clone();
                        let matches = move || confirms_username(&typed.get(), &username);
                        let name = p.name.clone();
                        let confirm = move |ev: leptos::ev::SubmitEvent| {
                            ev.prevent_default();
                            if form.busy.get_untracked() {
                                return;
                            }
                            form.busy.set(true);
                            form.alert.set(None);
                            let name = name.clone();
                            let typed = typed.get_untracked();
                            leptos::task::spawn_local(async move {
                                let result = delete_member(id, typed).await;
                                form.busy.set(false);
                                match result {
                                    Ok(()) => on_deleted.run(name),
                                    Err(err) => form.alert.set(Some(err.to_string())),
                                }
                            });
                        };
                        let visits = match p.visits {
                            1 => "1 visit record will be removed.".to_owned(),
                            n => format!("{n} visit records will be removed."),
                        };
                        view! {
                            <h2 id="delete-title">{format!("Delete {}?", p.name)}</h2>
                            <form class="confirm" on:submit=confirm>
                                <FormAlert form/>
                                <p class="warning">{DELETE_WARNING}</p>
                                <p>{visits}</p>
                                {p.is_self.then(|| view! { <p class="form-error">"You cannot delete your own account."</p> })}
                                <div class="field">
                                    <label for="confirm-username">
                                        "Type the username "<strong>{p.username.clone()}</strong>" to confirm"
                                    </label>
                                    <input id="confirm-username" autocomplete="off" autocapitalize="none"
                                        spellcheck="false" bind:value=typed autofocus/>
                                </div>
                                <div class="form-actions">
                                    <button type="button" class="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                                    <button type="submit" class="button danger"
                                        disabled=move || !matches() || form.busy.get()>"Delete permanently"</button>
                                </div>
                            </form>
                        }.into_any()
                    }
                    Err(err) => view! {
                        <h2 id="delete-title">"Delete account"</h2>
                        <p class="form-error" role="alert">{not_found_text(err)}</p>
                    }.into_any(),
                })}
            </Suspense>
        </Modal>
    }
}

fn not_found_text(err: AppError) -> String {
    match err {
        AppError::NotFound => "This member does not exist, or is not in your clinics.".to_owned(),
        other => other.to_string(),
    }
}

/// Set password (row action): the clinic's policy checked live and on the server.
#[component]
pub fn SetPasswordDialog(
    id: i64,
    #[prop(into)] on_close: Callback<()>,
    /// Called with the member's name once the password is set.
    #[prop(into)]
    on_done: Callback<String>,
) -> impl IntoView {
    let info = Resource::new(|| (), move |_| load_password_info(id));
    view! {
        <Modal labelled_by="set-password-title" on_close>
            <Suspense fallback=|| view! { <h2 id="set-password-title">"Set password"</h2><p class="loading">"Loading…"</p> }>
                {move || info.get().map(|result| match result {
                    Ok(info) => {
                        let password = RwSignal::new(String::new());
                        let confirm = RwSignal::new(String::new());
                        let username = RwSignal::new(info.username.clone());
                        let sign_out = RwSignal::new(true);
                        let policy = info.policy.clone();
                        let local = Memo::new(move |_| {
                            let mut errors = check_new_password(&password.get(), &confirm.get(), &username.get(), &policy);
                            if password.read().is_empty() {
                                errors.push(crate::error::FieldError::new("password", "Enter a new password."));
                            }
                            errors
                        });
                        let form = FormState::new(local);
                        let close = use_context::<ModalClose>();
                        if let Some(close) = close {
                            close.track_unsaved(Signal::derive(move || {
                                !password.read().is_empty() || !confirm.read().is_empty()
                            }));
                        }
                        let name = info.name.clone();
                        let submit = move |ev: leptos::ev::SubmitEvent| {
                            ev.prevent_default();
                            if form.busy.get_untracked() || !form.begin_submit() {
                                return;
                            }
                            form.busy.set(true);
                            let (p, c, s) = (password.get_untracked(), confirm.get_untracked(), sign_out.get_untracked());
                            let name = name.clone();
                            leptos::task::spawn_local(async move {
                                let result = set_member_password(id, p, c, s).await;
                                form.busy.set(false);
                                match result {
                                    Ok(()) => on_done.run(name),
                                    Err(err) => form.show_error(err),
                                }
                            });
                        };
                        let policy = Signal::stored(info.policy.clone());
                        view! {
                            <h2 id="set-password-title">{format!("Set password for {}", info.name)}</h2>
                            <form class="member-form single" novalidate on:submit=submit>
                                <FormAlert form/>
                                <PasswordFields form password confirm username policy required=true/>
                                <label class="check">
                                    <input type="checkbox" prop:checked=move || sign_out.get()
                                        on:change=move |ev| sign_out.set(event_target_checked(&ev))/>
                                    " Sign the member out everywhere"
                                </label>
                                <div class="form-actions">
                                    <button type="button" class="button"
                                        on:click=move |_| { if let Some(close) = close { close.request() } }>"Cancel"</button>
                                    <button type="submit" class="button primary" aria-disabled=move || form.busy.get().to_string()>"Set password"</button>
                                </div>
                            </form>
                        }.into_any()
                    }
                    Err(err) => view! {
                        <h2 id="set-password-title">"Set password"</h2>
                        <p class="form-error" role="alert">{not_found_text(err)}</p>
                    }.into_any(),
                })}
            </Suspense>
        </Modal>
    }
}

/// The Other tab's Login detail with the Status drop-down, Save User Status and Cancel.
#[component]
pub fn StatusEditor(
    detail: RwSignal<Option<MemberDetail>>,
    #[prop(into)] on_saved: Callback<MemberDetail>,
    #[prop(into)] on_conflict: Callback<()>,
) -> impl IntoView {
    let now = detail
        .get_untracked()
        .map(|d| d.status)
        .unwrap_or(Status::Active);
    let chosen = RwSignal::new(now.key().to_owned());
    let form = FormState::new(Memo::new(|_| Vec::new()));
    let saved_note = RwSignal::new(None::<String>);
    let unchanged = move || {
        detail.with(|d| d.as_ref().map(|d| d.status.key().to_owned())) == Some(chosen.get())
    };
    // Pending delete schedules a deletion for good: Save User Status first says what will
    // happen and when, and only "Schedule deletion" saves it.
    let confirming = RwSignal::new(false);
    // The buttons stay focusable while they cannot act (aria-disabled): focus stays on Save
    // User Status after a save instead of falling to the page.
    let save = move |confirmed: bool| {
        let Some(current) = detail.get_untracked() else {
            return;
        };
        if form.busy.get_untracked() || untrack(unchanged) {
            return;
        }
        let status = chosen.get_untracked();
        if status == Status::PendingDelete.key() && !confirmed {
            confirming.set(true);
            crate::ui::modal::focus_later("confirm-pending-delete".into());
            return;
        }
        confirming.set(false);
        form.busy.set(true);
        form.alert.set(None);
        saved_note.set(None);
        leptos::task::spawn_local(async move {
            let result = save_member_status(current.id, current.version, status).await;
            form.busy.set(false);
            match result {
                Ok(d) => {
                    saved_note.set(Some(format!("Status saved: {}.", d.status.label())));
                    on_saved.run(d);
                }
                Err(err @ AppError::Conflict { .. }) => {
                    form.alert.set(Some(err.to_string()));
                    on_conflict.run(());
                }
                Err(err) => form.alert.set(Some(err.to_string())),
            }
        });
    };
    let cancel = move |_| {
        if let Some(d) = detail.get_untracked() {
            chosen.set(d.status.key().to_owned());
        }
        confirming.set(false);
        form.alert.set(None);
    };
    // Back to the status as saved: nothing is scheduled.
    let keep = move || {
        confirming.set(false);
        if let Some(d) = detail.get_untracked() {
            chosen.set(d.status.key().to_owned());
        }
        crate::ui::modal::focus_later("member-status".into());
    };
    let consequence = move || {
        detail.with(|d| {
            d.as_ref().map(|d| {
                let days = match d.delete_grace_days {
                    1 => "1 day".to_owned(),
                    n => format!("{n} days"),
                };
                format!(
                    "Pending delete signs {} {} out and keeps them out. In {days} their account, \
                     visit records and data are deleted for good, unless the status is set to \
                     Active before then.",
                    d.first_name, d.last_name
                )
            })
        })
    };
    view! {
        <FormAlert form/>
        <div class="status-editor">
            <label for="member-status">"Status"</label>
            <select id="member-status" prop:value=move || chosen.get()
                on:change=move |ev| {
                    confirming.set(false);
                    chosen.set(event_target_value(&ev));
                }>
                {Status::ALL.into_iter().map(|s| view! {
                    <option value=s.key() selected=s == now>{s.label()}</option>
                }).collect_view()}
            </select>
            <button type="button" class="button primary" on:click=move |_| save(false)
                aria-disabled=move || (unchanged() || form.busy.get()).to_string()>"Save User Status"</button>
            <button type="button" class="button" on:click=cancel
                aria-disabled=move || unchanged().to_string()>"Cancel"</button>
        </div>
        {move || confirming.get().then(|| view! {
            <div class="confirm-inline" role="group" aria-labelledby="pending-delete-question"
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Escape" {
                        ev.prevent_default();
                        ev.stop_propagation();
                        keep();
                    }
                }>
                <p id="pending-delete-question" class="warning">{consequence}</p>
                <div class="form-actions">
                    <button type="button" class="button" on:click=move |_| keep()>"Go back"</button>
                    <button type="button" id="confirm-pending-delete" class="button danger"
                        on:click=move |_| save(true)
                        aria-disabled=move || form.busy.get().to_string()>"Schedule deletion"</button>
                </div>
            </div>
        })}
        <p class="muted" hidden=move || detail.with(|d| d.as_ref().and_then(|d| d.delete_on.clone()).is_none())>
            {move || detail.with(|d| d.as_ref().and_then(|d| d.delete_on.clone()).map(|on| format!("This account will be deleted for good on {on} unless it is set Active before then.")))}
        </p>
        <p class="saved" role="status">{move || saved_note.get()}</p>
    }
}

/// Send Reset Password Email.
#[component]
pub fn ResetEmailButton(id: i64, email: String) -> impl IntoView {
    let note = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let send = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let email = email.clone();
        leptos::task::spawn_local(async move {
            let result = send_member_reset(id).await;
            busy.set(false);
            note.set(Some(match result {
                Ok(()) => format!("A reset link was sent to {email}. It works once, for 72 hours."),
                Err(err) => err.to_string(),
            }));
        });
    };
    view! {
        <p>
            <button type="button" class="button" on:click=send aria-disabled=move || busy.get().to_string()>
                "Send Reset Password Email"
            </button>
        </p>
        <p class="saved" role="status">{move || note.get()}</p>
    }
}
