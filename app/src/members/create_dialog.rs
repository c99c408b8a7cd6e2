//! "Create a Member": the article's form, in its order, checked as the admin types and
//! again (finally) by the server.

use leptos::prelude::*;

use super::duplicates::{PossibleDuplicates, seen, show_refusal};
use super::form::{
    FormAlert, FormState, PasswordFields, PersonFields, ProfileFields, SelectField, UsernameField,
    field_id, local_checks,
};
use super::types::FormOptions;
use super::types::NewMember;
use super::{UserType, create_member, member_form_options};
use crate::accounts::choices::Choice;
use crate::accounts::profile::{ProfileInput, check_new_password, field};
use crate::error::FieldError;
use crate::ui::modal::{Modal, ModalClose};

#[component]
pub fn CreateMemberDialog(
    #[prop(into)] on_close: Callback<()>,
    /// Called with the new member's ID and name once they exist.
    #[prop(into)]
    on_created: Callback<(i64, String)>,
) -> impl IntoView {
    let options = Resource::new(|| (), |_| member_form_options());
    view! {
        <Modal labelled_by="create-member-title" on_close wide=true>
            <h2 id="create-member-title">"Create a Member"</h2>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || options.get().map(|result| match result {
                    Ok(options) => view! { <CreateMemberForm options on_created/> }.into_any(),
                    Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </Modal>
    }
}

#[component]
fn CreateMemberForm(options: FormOptions, on_created: Callback<(i64, String)>) -> impl IntoView {
    let first_clinic = options.clinics.first().map(|c| c.id).unwrap_or_default();
    let clinic = RwSignal::new(first_clinic.to_string());
    let clinic_id = Memo::new(move |_| clinic.get().parse::<i64>().unwrap_or_default());
    let clinics = StoredValue::new(options.clinics.clone());
    let clinic_rooms = move || {
        clinics.with_value(|list| {
            list.iter()
                .find(|c| c.id == clinic_id.get())
                .map(|c| c.rooms.clone())
                .unwrap_or_default()
        })
    };
    let policy = Signal::derive(move || {
        clinics.with_value(|list| {
            list.iter()
                .find(|c| c.id == clinic_id.get())
                .map(|c| c.policy.clone())
                .unwrap_or_default()
        })
    });
    // A clinic with a single room: that room is the answer.
    let only_room = |rooms: Vec<super::RoomOption>| match rooms.as_slice() {
        [one] => vec![one.id],
        _ => Vec::new(),
    };
    let rooms = RwSignal::new(only_room(clinic_rooms()));
    let user_type = RwSignal::new(UserType::Member.key().to_owned());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let fields = ProfileFields::new(&ProfileInput::new_member());
    // Username follows Email until the admin types in it.
    let username_edited = RwSignal::new(false);

    let local = local_checks(fields, move || {
        let mut errors = Vec::new();
        if rooms.read().is_empty() {
            errors.push(FieldError::new(field::ROOMS, "Choose at least one room."));
        }
        errors.extend(check_new_password(
            &password.get(),
            &confirm.get(),
            fields.username.get().trim(),
            &policy.get(),
        ));
        errors
    });
    let form = FormState::new(local);
    let close = use_context::<ModalClose>();
    if let Some(close) = close {
        let blank = (
            clinic.get_untracked(),
            rooms.get_untracked(),
            user_type.get_untracked(),
            untrack(|| fields.get()),
        );
        close.track_unsaved(Signal::derive(move || {
            let now = (clinic.get(), rooms.get(), user_type.get(), fields.get());
            now != blank || !password.read().is_empty() || !confirm.read().is_empty()
        }));
    }
    Effect::new(move |_| {
        let email = fields.email.get();
        if !username_edited.get_untracked() {
            fields.username.set(email);
            form.edited(field::USERNAME);
        }
    });

    // The members this one may duplicate, while the admin chooses.
    let possible: super::duplicates::Shown = RwSignal::new(None);
    let send = move |seen: Vec<i64>| {
        let member = NewMember {
            clinic_id: clinic_id.get_untracked(),
            room_ids: rooms.get_untracked(),
            user_type: user_type.get_untracked(),
            password: password.get_untracked(),
            confirm_password: confirm.get_untracked(),
            profile: fields.get(),
            possible_duplicates_seen: seen,
        };
        let name = format!(
            "{} {}",
            member.profile.first_name.trim(),
            member.profile.last_name.trim()
        );
        form.busy.set(true);
        leptos::task::spawn_local(async move {
            let result = create_member(member).await;
            form.busy.set(false);
            match result {
                Ok(id) => on_created.run((id, name)),
                Err(err) => show_refusal(possible, form, err),
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if form.busy.get_untracked() || !form.begin_submit() {
            return;
        }
        possible.set(None);
        send(Vec::new());
    };
    let go_ahead = move || {
        if form.busy.get_untracked() {
            return;
        }
        send(seen(possible));
    };
    let back = move || {
        possible.set(None);
        super::form::focus_field(field::FIRST_NAME);
    };

    let clinic_choices: Vec<Choice> = options
        .clinics
        .iter()
        .map(|c| Choice {
            value: c.id.to_string(),
            label: c.name.clone(),
        })
        .collect();
    let type_choices: Vec<Choice> = [UserType::Member, UserType::Provider, UserType::ClinicAdmin]
        .into_iter()
        .map(|t| Choice {
            value: t.key().to_owned(),
            label: t.label().to_owned(),
        })
        .collect();
    let on_clinic = Callback::new(move |()| rooms.set(only_room(clinic_rooms())));
    view! {
        <form class="member-form" novalidate on:submit=submit>
            <FormAlert form/>
            <SelectField form name=field::CLINIC label="Clinic" value=clinic choices=clinic_choices
                required=true on_edit=on_clinic/>
            <RoomPicker form rooms clinic_rooms=Signal::derive(clinic_rooms)/>
            <SelectField form name=field::USER_TYPE label="User Type" value=user_type choices=type_choices/>
            <UsernameField form fields on_edit=Callback::new(move |()| username_edited.set(true))/>
            <PasswordFields form password confirm username=fields.username policy/>
            <PersonFields form fields options/>
            <PossibleDuplicates matches=possible.into() go_ahead="Create anyway" on_back=back
                on_go_ahead=go_ahead busy=form.busy.into()/>
            <div class="form-actions" hidden=move || possible.read().is_some()>
                <button type="button" class="button"
                    on:click=move |_| { if let Some(close) = close { close.request() } }>"Cancel"</button>
                <button type="submit" class="button primary" aria-disabled=move || form.busy.get().to_string()>
                    {move || if form.busy.get() { "Creating…" } else { "Create" }}
                </button>
            </div>
        </form>
    }
}

/// The member's rooms as chips, each removable, and a list to add one more of the clinic's.
#[component]
fn RoomPicker(
    form: FormState,
    rooms: RwSignal<Vec<i64>>,
    clinic_rooms: Signal<Vec<super::RoomOption>>,
) -> impl IntoView {
    let rooms_invalid = move || form.message(field::ROOMS).is_some();
    // What the picker last said: "Added …" or "Removed …", for screen readers.
    let said = RwSignal::new(String::new());
    let room_name = move |id: i64| {
        clinic_rooms
            .get_untracked()
            .into_iter()
            .find(|r| r.id == id)
            .map(|r| r.name)
            .unwrap_or_default()
    };
    let add = move |value: String| {
        if let Ok(id) = value.parse::<i64>()
            && !rooms.read_untracked().contains(&id)
        {
            rooms.update(|r| r.push(id));
            form.edited(field::ROOMS);
            said.set(format!("Added {}.", room_name(id)));
        }
    };
    // Arrow keys and typing browse the list (a closed select changes its value on them);
    // Enter, or choosing with the pointer, adds.
    let browsing = StoredValue::new(false);
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" {
            ev.prevent_default();
            add(event_target_value(&ev));
        } else if ev.key() != "Tab" {
            browsing.set_value(true);
        }
    };
    let on_change = move |ev: leptos::ev::Event| {
        if browsing.get_value() {
            browsing.set_value(false);
        } else {
            add(event_target_value(&ev));
        }
    };
    let remove = move |id: i64| {
        rooms.update(|r| r.retain(|x| *x != id));
        said.set(format!("Removed {}.", room_name(id)));
        crate::ui::modal::focus_later(field_id(field::ROOMS));
    };
    view! {
        <fieldset class="field rooms" class:invalid=rooms_invalid
            aria-describedby=format!("{}-error", field_id(field::ROOMS))>
            <legend>"Rooms"<span class="required" aria-hidden="true">" *"</span></legend>
            <ul class="chips">
                {move || rooms.get().into_iter().map(|id| {
                    let name = room_name(id);
                    view! {
                        <li class="chip">
                            {name.clone()}
                            <button type="button" class="chip-remove" aria-label=format!("Remove {name}")
                                on:click=move |_| remove(id)>"✕"</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <label class="visually-hidden" for=field_id(field::ROOMS)>"Add a room"</label>
            <select id=field_id(field::ROOMS) prop:value=String::new on:change=on_change
                on:keydown=on_key aria-invalid=move || rooms_invalid().to_string()
                aria-describedby=format!("{}-error", field_id(field::ROOMS))>
                <option value="">"Add a room…"</option>
                {move || clinic_rooms.get().into_iter().filter(|r| !rooms.read().contains(&r.id)).map(|r| view! {
                    <option value=r.id.to_string()>{r.name}</option>
                }).collect_view()}
            </select>
            <p class="field-error" id=format!("{}-error", field_id(field::ROOMS))>
                {move || form.message(field::ROOMS)}
            </p>
            <p class="visually-hidden" role="status">{move || said.get()}</p>
        </fieldset>
    }
}
