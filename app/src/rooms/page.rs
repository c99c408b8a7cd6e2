//! `/admin/rooms`: the clinic's rooms, with create, edit, deactivate and reopen.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{
    RoomInput, RoomList, RoomRow, field, load_rooms, save_room, set_room_active, suggest_slug,
};
use crate::admin_frame::AdminLayout;
use crate::error::FieldError;

#[component]
pub fn RoomsPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let rooms = Resource::new(move || version.get(), |_| load_rooms());
    // The room being created or edited; `None` when the form is closed.
    let editing = RwSignal::new(None::<RoomInput>);
    let note = RwSignal::new(None::<String>);
    let saved = move |message: String| {
        editing.set(None);
        note.set(Some(message));
        version.update(|v| *v += 1);
    };
    // The list is read again: an edit refused because another admin saved the room in
    // between is cancelled to show the room as it is now.
    let closed = move || {
        editing.set(None);
        version.update(|v| *v += 1);
    };
    view! {
        <Title text="Rooms · Frontdesk"/>
        <AdminLayout>
            <Suspense fallback=|| view! { <p class="loading">"Loading rooms…"</p> }>
                {move || rooms.get().map(|result| match result {
                    Ok(list) => {
                        let first_clinic = list.clinics.first().map_or(0, |c| c.0);
                        let clinics = list.clinics.clone();
                        view! {
                            <div class="page-head">
                                <h1>"Rooms"</h1>
                                <button type="button" class="button primary" on:click=move |_| {
                                    note.set(None);
                                    editing.set(Some(RoomInput {
                                        clinic_id: first_clinic,
                                        guest_allowed: true,
                                        signup_allowed: true,
                                        ..RoomInput::default()
                                    }));
                                    crate::ui::modal::focus_later(format!("room-{}", field::NAME));
                                }>"New room"</button>
                            </div>
                            <p class="saved" role="status">{move || note.get()}</p>
                            {move || editing.get().map(|start| {
                                let clinics = clinics.clone();
                                view! { <RoomForm start clinics on_saved=saved on_cancel=closed/> }
                            })}
                            <RoomTable list=list.clone() editing note version/>
                        }.into_any()
                    }
                    Err(err) => view! {
                        <h1>"Rooms"</h1>
                        <p class="form-error" role="alert">{err.to_string()}</p>
                    }.into_any(),
                })}
            </Suspense>
        </AdminLayout>
    }
}

#[component]
fn RoomTable(
    list: RoomList,
    editing: RwSignal<Option<RoomInput>>,
    note: RwSignal<Option<String>>,
    version: RwSignal<u32>,
) -> impl IntoView {
    if list.rooms.is_empty() {
        return view! { <p class="empty">"No rooms yet. Create one with New room."</p> }.into_any();
    }
    // The room whose deactivation is being confirmed.
    let confirming = RwSignal::new(None::<i64>);
    let toggle = move |room: RoomRow| {
        confirming.set(None);
        let toggle_id = format!("room-toggle-{}", room.id);
        leptos::task::spawn_local(async move {
            match set_room_active(room.id, !room.active).await {
                Ok(r) => {
                    note.set(Some(if r.active {
                        format!("{} is open again.", r.name)
                    } else {
                        format!(
                            "{} was deactivated: its link now says the room is closed.",
                            r.name
                        )
                    }));
                    version.update(|v| *v += 1);
                    // The table is read again; focus returns to the row's button.
                    crate::ui::modal::focus_later(toggle_id);
                }
                Err(err) => {
                    note.set(Some(err.to_string()));
                    version.update(|v| *v += 1);
                }
            }
        });
    };
    view! {
        <table class="audit rooms">
            <thead>
                <tr>
                    <th scope="col">"Room"</th>
                    <th scope="col">"Code"</th>
                    <th scope="col">"Link"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Members"</th>
                    <th scope="col">"Action"</th>
                </tr>
            </thead>
            <tbody>
                {list.rooms.into_iter().map(|room| {
                    let edit = RoomInput::from_row(&room);
                    let name = room.name.clone();
                    let for_toggle = room.clone();
                    let id = room.id;
                    let toggle_id = format!("room-toggle-{id}");
                    let keep_id = format!("room-keep-{id}");
                    let question = format!(
                        "Deactivate {name}? Its link will say the room is closed; its {} members keep their accounts.",
                        crate::text::thousands(room.members)
                    );
                    let ask_or_toggle = {
                        let room = for_toggle.clone();
                        let keep_id = keep_id.clone();
                        move |_| {
                            if room.active {
                                confirming.set(Some(room.id));
                                crate::ui::modal::focus_later(keep_id.clone());
                            } else {
                                toggle(room.clone());
                            }
                        }
                    };
                    view! {
                        <tr>
                            <td>{room.name.clone()}</td>
                            <td>{room.code.clone()}</td>
                            <td><a href=format!("/u/{}", room.slug)>{format!("/u/{}", room.slug)}</a></td>
                            <td>{if room.active { "Active" } else { "Inactive" }}</td>
                            <td>{room.members}</td>
                            <td class="actions">
                                <button type="button" class="link-button" aria-label=format!("Edit {name}")
                                    on:click=move |_| {
                                        note.set(None);
                                        editing.set(Some(edit.clone()));
                                        crate::ui::modal::focus_later(format!("room-{}", field::NAME));
                                    }>"Edit"</button>
                                " "
                                <button type="button" id=toggle_id.clone() class="link-button" class:danger=room.active
                                    aria-label=format!("{} {name}", if room.active { "Deactivate" } else { "Reopen" })
                                    on:click=ask_or_toggle>
                                    {if room.active { "Deactivate" } else { "Reopen" }}
                                </button>
                                    <div class="confirm" role="alertdialog" aria-label=format!("Deactivate {}?", for_toggle.name)
                                        hidden=move || confirming.get() != Some(id)
                                        on:keydown={
                                            let toggle_id = toggle_id.clone();
                                            move |ev: leptos::ev::KeyboardEvent| {
                                                if ev.key() == "Escape" {
                                                    confirming.set(None);
                                                    crate::ui::modal::focus_later(toggle_id.clone());
                                                }
                                            }
                                        }>
                                        <p>{question.clone()}</p>
                                        <button type="button" class="button danger" on:click={
                                            let room = for_toggle.clone();
                                            move |_| toggle(room.clone())
                                        }>"Deactivate"</button>
                                        " "
                                        <button type="button" id=keep_id.clone() class="button" on:click={
                                            let toggle_id = toggle_id.clone();
                                            move |_| {
                                                confirming.set(None);
                                                crate::ui::modal::focus_later(toggle_id.clone());
                                            }
                                        }>"Keep it open"</button>
                                    </div>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn RoomForm(
    start: RoomInput,
    clinics: Vec<(i64, String)>,
    on_saved: impl Fn(String) + Copy + Send + Sync + 'static,
    on_cancel: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = start.id;
    let version = start.version;
    let clinic = RwSignal::new(start.clinic_id);
    let name = RwSignal::new(start.name.clone());
    let code = RwSignal::new(start.code.clone());
    let slug = RwSignal::new(start.slug.clone());
    // A new room's link follows its name until the admin types a link.
    let slug_typed = RwSignal::new(id.is_some());
    let visit_url = RwSignal::new(start.visit_url.clone());
    let guest = RwSignal::new(start.guest_allowed);
    let signup = RwSignal::new(start.signup_allowed);
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let form_error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let message = move |f: &'static str| {
        errors
            .read()
            .iter()
            .find(|e| e.field == f)
            .map(|e| e.message.clone())
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let input = RoomInput {
            id,
            clinic_id: clinic.get_untracked(),
            name: name.get_untracked(),
            code: code.get_untracked(),
            slug: slug.get_untracked(),
            guest_allowed: guest.get_untracked(),
            signup_allowed: signup.get_untracked(),
            visit_url: visit_url.get_untracked(),
            version,
        };
        form_error.set(None);
        if let Err(found) = input.validate() {
            errors.set(found);
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = save_room(input).await;
            busy.set(false);
            match result {
                Ok(room) => on_saved(if id.is_some() {
                    format!("{} was saved.", room.name)
                } else {
                    format!("{} was created: its link is /u/{}.", room.name, room.slug)
                }),
                Err(err) => crate::error::show_failure(err, errors, form_error),
            }
        });
    };
    let text =
        move |f: &'static str, label: &'static str, value: RwSignal<String>, hint: &'static str| {
            view! {
                <div class="field">
                    <label for=format!("room-{f}")>{label}</label>
                    <input id=format!("room-{f}") name=f bind:value=value autocomplete="off"
                        on:input=move |_| if f == field::SLUG { slug_typed.set(true) }
                        aria-invalid=move || message(f).is_some().to_string()
                        aria-describedby=format!("room-{f}-hint room-{f}-error")/>
                    <p class="hint" id=format!("room-{f}-hint")>{hint}</p>
                    <p class="field-error" id=format!("room-{f}-error")>{move || message(f)}</p>
                </div>
            }
        };
    Effect::new(move |_| {
        let n = name.get();
        if !slug_typed.get_untracked() {
            slug.set(suggest_slug(&n));
        }
    });
    let heading = if id.is_some() {
        "Edit room"
    } else {
        "New room"
    };
    view! {
        <form class="settings room-form" novalidate on:submit=submit aria-labelledby="room-form-title">
            <h2 id="room-form-title">{heading}</h2>
            <p class="form-error" role="alert" hidden=move || form_error.get().is_none()>{move || form_error.get()}</p>
            {(id.is_none() && clinics.len() > 1).then(|| view! {
                <div class="field">
                    <label for="room-clinic">"Clinic"</label>
                    <select id="room-clinic" on:change=move |ev| {
                        if let Ok(v) = event_target_value(&ev).parse() { clinic.set(v) }
                    }>
                        {clinics.iter().map(|(cid, cname)| view! {
                            <option value=cid.to_string() selected=*cid == clinic.get_untracked()>{cname.clone()}</option>
                        }).collect_view()}
                    </select>
                </div>
            })}
            {text(field::NAME, "Room name", name, "What patients see: \"Welcome to …\".")}
            {text(field::CODE, "Code", code, "Unique, e.g. TVJC-jessica.")}
            {text(field::SLUG, "Link", slug, "The room's address is /u/ followed by this, e.g. jessica.")}
            {text(field::VISIT_URL, "Visit link (optional)", visit_url,
                "Where a started visit takes place, {visit} standing for the visit's own random code, e.g. https://video.example.com/r/{visit}. Empty: Frontdesk's own visit page.")}
            <fieldset>
                <legend>"Patient entry in this room"</legend>
                <label class="check">
                    <input type="checkbox" prop:checked=move || guest.get() on:change=move |ev| guest.set(event_target_checked(&ev))/>
                    " Guests may enter"
                </label>
                <label class="check">
                    <input type="checkbox" prop:checked=move || signup.get() on:change=move |ev| signup.set(event_target_checked(&ev))/>
                    " Patients may sign up"
                </label>
                <p class="hint">"The clinic's settings must allow these too."</p>
            </fieldset>
            <div class="form-actions">
                <button type="button" class="button" on:click=move |_| on_cancel()>"Cancel"</button>
                <button type="submit" class="button primary" disabled=move || busy.get()>
                    {if id.is_some() { "Save room" } else { "Create room" }}
                </button>
            </div>
        </form>
    }
}
