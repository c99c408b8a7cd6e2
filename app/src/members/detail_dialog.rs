//! "MEMBER DETAIL: JANE GOMEZ": the Edit modal with its Profile, Rooms, Management and Other
//! tabs. The open member and tab live in the URL (`?member=21408246&tab=profile`).

use leptos::prelude::*;

use super::detail_shared::Shared;
use super::duplicates::{PossibleDuplicates, seen, show_refusal};
use super::form::{FormAlert, FormState, PersonFields, ProfileFields, UsernameField, local_checks};
use super::lifecycle_dialogs::{ResetEmailButton, StatusEditor};
use super::management_tab::ManagementTab;
use super::types::{FormOptions, PROVIDER_ROLES};
use super::types::{MemberDetail, MemberHistory};
use super::{
    UserType, load_member_history, member_form_options, open_member, save_member_profile,
    save_member_rooms, save_member_type,
};
use crate::error::AppError;
use crate::text::portal_id;
use crate::ui::modal::{Modal, ModalClose};

/// The modal's tabs, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Profile,
    Rooms,
    Management,
    Other,
}

impl Tab {
    pub const ALL: [Self; 4] = [Self::Profile, Self::Rooms, Self::Management, Self::Other];

    pub fn param(self) -> &'static str {
        match self {
            Self::Profile => "profile",
            Self::Rooms => "rooms",
            Self::Management => "management",
            Self::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Profile => "Profile",
            Self::Rooms => "Rooms",
            Self::Management => "Management",
            Self::Other => "Other",
        }
    }

    pub fn from_param(value: Option<&str>) -> Self {
        Self::ALL
            .into_iter()
            .find(|t| Some(t.param()) == value)
            .unwrap_or(Self::Profile)
    }

    /// The tab an arrow, Home or End key moves to.
    fn step(self, key: &str) -> Option<Self> {
        let i = Self::ALL.iter().position(|t| *t == self)?;
        let n = Self::ALL.len();
        match key {
            "ArrowRight" => Some(Self::ALL[(i + 1) % n]),
            "ArrowLeft" => Some(Self::ALL[(i + n - 1) % n]),
            "Home" => Some(Self::ALL[0]),
            "End" => Some(Self::ALL[n - 1]),
            _ => None,
        }
    }
}

#[component]
pub fn MemberDetailDialog(
    id: i64,
    #[prop(into)] tab: Signal<Tab>,
    /// The URL of the modal on another tab.
    #[prop(into)]
    tab_url: Callback<Tab, String>,
    #[prop(into)] on_select: Callback<Tab>,
    #[prop(into)] on_close: Callback<()>,
    /// Called after every save (the users table refreshes).
    #[prop(into)]
    on_changed: Callback<()>,
    /// The delete confirmation's URL.
    delete_url: String,
) -> impl IntoView {
    // Both loads at this level, read in one Suspense: one deferred hydration, not nested ones.
    let loaded = Resource::new(|| (), move |_| open_member(id));
    let options = Resource::new(|| (), |_| member_form_options());
    let saves = RwSignal::new(0_u32);
    let history = Resource::new(move || saves.get(), move |_| load_member_history(id));
    let detail = RwSignal::new(None::<MemberDetail>);
    // After a conflict: load the member again (another view, recorded as such), so the
    // form shows the other admin's values and the history their change.
    let reload = Callback::new(move |()| {
        leptos::task::spawn_local(async move {
            if let Ok(fresh) = open_member(id).await {
                detail.set(Some(fresh));
                saves.update(|n| *n += 1);
            }
        });
    });
    let shared = Shared {
        detail,
        saves,
        on_changed,
        reload,
        delete_url: StoredValue::new(delete_url),
    };
    view! {
        <Modal labelled_by="member-detail-title" on_close wide=true>
            <Suspense fallback=|| view! { <h2 id="member-detail-title">"MEMBER DETAIL"</h2><p class="loading">"Loading…"</p> }>
                {move || loaded.get().zip(options.get()).map(|(result, options)| match result {
                    Ok(first) => {
                        if detail.read_untracked().is_none() {
                            detail.set(Some(first.clone()));
                        }
                        let options = options.ok();
                        view! {
                            <DetailBody first id tab tab_url on_select shared options history/>
                        }.into_any()
                    }
                    Err(err) => view! {
                        <h2 id="member-detail-title">"MEMBER DETAIL"</h2>
                        <p class="form-error" role="alert">{match err {
                            AppError::NotFound => "This member does not exist, or is not in your clinics.".to_owned(),
                            other => other.to_string(),
                        }}</p>
                    }.into_any(),
                })}
            </Suspense>
        </Modal>
    }
}

#[component]
fn DetailBody(
    first: MemberDetail,
    id: i64,
    tab: Signal<Tab>,
    tab_url: Callback<Tab, String>,
    on_select: Callback<Tab>,
    shared: Shared,
    options: Option<FormOptions>,
    history: Resource<Result<MemberHistory, AppError>>,
) -> impl IntoView {
    // Marks the tabs once the browser has taken them over (tests wait for it).
    let tablist = NodeRef::<leptos::html::Div>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(el) = tablist.get() {
            let _ = el.set_attribute("data-ready", "");
        }
    });
    let options = StoredValue::new(options);
    // The Profile form's typing belongs to the dialog, not to the tab (see `unsaved` below).
    let draft = ProfileFields::new(&first.profile);
    // The open tab is this dialog's own state; the address bar follows it (replaced, not
    // pushed) so that a reload reopens the same tab, without a router navigation.
    let tab = RwSignal::new(tab.get_untracked());
    let select = move |t: Tab| {
        tab.set(t);
        on_select.run(t);
    };
    let title = move || {
        shared
            .detail
            .get()
            .map(|d| d.title_name())
            .unwrap_or_else(|| first.title_name())
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if let Some(next) = tab.get_untracked().step(&ev.key()) {
            ev.prevent_default();
            select(next);
            crate::ui::modal::focus_later(format!("tab-{}", next.param()));
        }
    };
    let initial_tab = tab.get_untracked();
    // Profile typing waits while another tab is open, the Profile tab says it is unsaved,
    // and closing from any tab asks first.
    let unsaved = Signal::derive(move || {
        shared
            .detail
            .with(|d| d.as_ref().is_some_and(|d| d.profile != draft.get()))
    });
    if let Some(close) = use_context::<ModalClose>() {
        close.track_unsaved(unsaved);
    }
    view! {
        <h2 id="member-detail-title">"MEMBER DETAIL: "{title}</h2>
        <p class="detail-ids">"ID: "{id}" · Portal ID: "{portal_id(id)}</p>
        <div role="tablist" aria-label="Member detail" class="tabs" node_ref=tablist on:keydown=on_keydown>
            {Tab::ALL.into_iter().map(|t| {
                let selected = move || tab.get() == t;
                view! {
                    <a role="tab" id=format!("tab-{}", t.param()) href=tab_url.run(t)
                        aria-selected=move || selected().to_string()
                        aria-controls="member-panel"
                        tabindex=move || if selected() { "0" } else { "-1" }
                        autofocus=t == initial_tab
                        class:active=selected
                        on:click=move |ev| { ev.prevent_default(); select(t); }>
                        {t.label()}
                        {(t == Tab::Profile).then(|| view! {
                            <span class="unsaved" hidden=move || !unsaved.get()>
                                <span aria-hidden="true">" •"</span>
                                <span class="visually-hidden">" (unsaved changes)"</span>
                            </span>
                        })}
                    </a>
                }
            }).collect_view()}
        </div>
        <div role="tabpanel" id="member-panel" tabindex="0"
            aria-labelledby=move || format!("tab-{}", tab.get().param())>
            {move || match tab.get() {
                Tab::Profile => view! { <ProfileTab shared fields=draft options=options.get_value()/> }.into_any(),
                Tab::Rooms => view! { <RoomsTab shared/> }.into_any(),
                Tab::Management => view! { <ManagementTab shared history/> }.into_any(),
                Tab::Other => view! { <OtherTab shared/> }.into_any(),
            }}
        </div>
    }
}

/// A conflict's message with a way to see the other admin's changes.
#[component]
fn ConflictAlert(form: FormState, shared: Shared) -> impl IntoView {
    view! {
        <FormAlert form>
            <button type="button" class="button" on:click=move |_| {
                form.alert.set(None);
                shared.reload.run(());
            }>"Reload"</button>
        </FormAlert>
    }
}

#[component]
fn ProfileTab(
    shared: Shared,
    fields: ProfileFields,
    options: Option<FormOptions>,
) -> impl IntoView {
    let start = shared.detail.get_untracked();
    let Some(start) = start else {
        return ().into_any();
    };
    if start.user_type == UserType::Guest {
        return view! { <p>"A guest has no profile: they entered a room by name only."</p> }
            .into_any();
    }
    let form = FormState::new(local_checks(fields, Vec::new));
    let saved_note = RwSignal::new(false);
    // The members this save would make the member match, while the admin chooses.
    let possible: super::duplicates::Shown = RwSignal::new(None);
    let send = move |seen: Vec<i64>| {
        let Some(current) = shared.detail.get_untracked() else {
            return;
        };
        let profile = fields.get();
        form.busy.set(true);
        leptos::task::spawn_local(async move {
            let result = save_member_profile(current.id, current.version, profile, seen).await;
            form.busy.set(false);
            match result {
                Ok(detail) => {
                    possible.set(None);
                    fields.set(&detail.profile);
                    form.server.set(Vec::new());
                    shared.saved(detail);
                    saved_note.set(true);
                }
                Err(err) => show_refusal(possible, form, err),
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved_note.set(false);
        if form.busy.get_untracked() || !form.begin_submit() {
            return;
        }
        possible.set(None);
        send(Vec::new());
    };
    let go_ahead = move || {
        if !form.busy.get_untracked() {
            send(seen(possible));
        }
    };
    let back = move || {
        possible.set(None);
        super::form::focus_field(crate::accounts::profile::field::FIRST_NAME);
    };
    let cancel = move |_| {
        if let Some(d) = shared.detail.get_untracked() {
            fields.set(&d.profile);
        }
        form.server.set(Vec::new());
        form.alert.set(None);
        saved_note.set(false);
        possible.set(None);
    };
    // A reload after a conflict brings the other admin's values into the form.
    Effect::new(move |prev: Option<i32>| {
        let version = shared
            .detail
            .with(|d| d.as_ref().map(|d| d.version).unwrap_or_default());
        if prev.is_some_and(|p| p != version)
            && let Some(d) = shared.detail.get_untracked()
            && !form.busy.get_untracked()
        {
            fields.set(&d.profile);
        }
        version
    });
    let Some(options) = options else {
        return view! { <p class="form-error" role="alert">"The form could not be loaded. Please reload."</p> }
            .into_any();
    };
    view! {
        <form class="member-form" novalidate on:submit=submit>
            <ConflictAlert form shared/>
            <UsernameField form fields/>
            <PersonFields form fields options/>
            <p class="saved" role="status">{move || saved_note.get().then_some("Saved.")}</p>
            <PossibleDuplicates matches=possible.into() go_ahead="Save anyway" on_back=back
                on_go_ahead=go_ahead busy=form.busy.into()/>
            <div class="form-actions" hidden=move || possible.read().is_some()>
                <button type="button" class="button" on:click=cancel>"Cancel"</button>
                <button type="submit" class="button primary" aria-disabled=move || form.busy.get().to_string()>
                    {move || if form.busy.get() { "Saving…" } else { "Save" }}
                </button>
            </div>
        </form>
    }
    .into_any()
}

#[component]
fn RoomsTab(shared: Shared) -> impl IntoView {
    let form = FormState::new(Memo::new(|_| Vec::new()));
    let adding = RwSignal::new(String::new());
    let save = move |room_ids: Vec<i64>| {
        let Some(current) = shared.detail.get_untracked() else {
            return;
        };
        form.alert.set(None);
        form.busy.set(true);
        leptos::task::spawn_local(async move {
            let result = save_member_rooms(current.id, current.version, room_ids).await;
            form.busy.set(false);
            match result {
                Ok(detail) => {
                    adding.set(String::new());
                    shared.saved(detail);
                }
                Err(err) => form.alert.set(Some(err.to_string())),
            }
        });
    };
    let assigned = move || shared.detail.get().map(|d| d.rooms).unwrap_or_default();
    let addable = move || {
        shared
            .detail
            .get()
            .map(|d| {
                d.clinic_rooms
                    .into_iter()
                    .filter(|r| !d.rooms.iter().any(|a| a.id == r.id))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    view! {
        <ConflictAlert form shared/>
        <h3>"Assigned rooms"</h3>
        <ul class="room-list">
            {move || {
                let rooms = assigned();
                let last = rooms.len() == 1;
                rooms.iter().map(|r| {
                    let keep: Vec<i64> = rooms.iter().filter(|x| x.id != r.id).map(|x| x.id).collect();
                    let name = r.name.clone();
                    view! {
                        <li class="room">
                            <span class="line strong">{r.name.clone()}</span>
                            <span class="line">"Code: "{r.code.clone()}</span>
                            <span class="line">"Link: /u/"{r.slug.clone()}</span>
                            <button type="button" class="chip-remove" aria-label=format!("Remove {name}")
                                title=if last { "A member keeps at least one room" } else { "Remove" }
                                disabled=move || last || form.busy.get()
                                on:click=move |_| save(keep.clone())>"✕"</button>
                        </li>
                    }
                }).collect_view()
            }}
        </ul>
        <div class="add-room">
            <label for="add-room">"Add a room"</label>
            <select id="add-room" prop:value=move || adding.get()
                on:change=move |ev| adding.set(event_target_value(&ev))>
                <option value="">"Choose a room…"</option>
                {move || addable().into_iter().map(|r| view! {
                    <option value=r.id.to_string()>{r.name}</option>
                }).collect_view()}
            </select>
            <button type="button" class="button"
                disabled=move || adding.get().is_empty() || form.busy.get()
                on:click=move |_| {
                    if let Ok(id) = adding.get_untracked().parse::<i64>() {
                        let mut ids: Vec<i64> = assigned().iter().map(|r| r.id).collect();
                        ids.push(id);
                        save(ids);
                    }
                }>"Add"</button>
        </div>
    }
}

#[component]
fn OtherTab(shared: Shared) -> impl IntoView {
    let editing = RwSignal::new(false);
    let form = FormState::new(Memo::new(|_| Vec::new()));
    let user_type = RwSignal::new(String::new());
    let role = RwSignal::new(String::new());
    let start_edit = move |_| {
        if let Some(d) = shared.detail.get_untracked() {
            user_type.set(d.user_type.key().to_owned());
            role.set(
                d.provider_role
                    .unwrap_or_else(|| PROVIDER_ROLES[0].to_owned()),
            );
        }
        form.alert.set(None);
        editing.set(true);
        crate::ui::modal::focus_later("edit-user-type".into());
    };
    let stop_edit = move || {
        editing.set(false);
        crate::ui::modal::focus_later("user-type-edit".into());
    };
    let save = move |_| {
        let Some(current) = shared.detail.get_untracked() else {
            return;
        };
        if form.busy.get_untracked() {
            return;
        }
        form.busy.set(true);
        form.alert.set(None);
        let (t, r) = (user_type.get_untracked(), role.get_untracked());
        leptos::task::spawn_local(async move {
            let result = save_member_type(current.id, current.version, t, r).await;
            form.busy.set(false);
            match result {
                Ok(detail) => {
                    editing.set(false);
                    shared.saved(detail);
                    crate::ui::modal::focus_later("user-type-edit".into());
                }
                Err(err) => form.alert.set(Some(err.to_string())),
            }
        });
    };
    let d = move || shared.detail.get();
    view! {
        <ConflictAlert form shared/>
        <h3>"Login detail"</h3>
        <dl class="facts">
            <dt>"Username"</dt><dd>{move || d().map(|d| d.username)}</dd>
            <dt>"Password"</dt><dd>"xxxxxxxxxxxx"</dd>
            <dt>"Email"</dt><dd>{move || d().map(|d| d.email)}</dd>
        </dl>
        <StatusEditor detail=shared.detail
            on_saved=Callback::new(move |d| shared.saved(d))
            on_conflict=shared.reload/>
        <h3>"User type"</h3>
        {move || if editing.get() {
            view! {
                <div class="type-editor" on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Escape" {
                        ev.prevent_default();
                        ev.stop_propagation();
                        stop_edit();
                    }
                }>
                    <label>
                        <span>"User type"</span>
                        <select id="edit-user-type" prop:value=move || user_type.get()
                            on:change=move |ev| user_type.set(event_target_value(&ev))>
                            {[UserType::Member, UserType::Provider, UserType::ClinicAdmin].into_iter().map(|t| view! {
                                <option value=t.key() selected=user_type.get_untracked() == t.key()>{t.label()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label hidden=move || user_type.get() != UserType::Provider.key()>
                        <span>"Role"</span>
                        <select prop:value=move || role.get() on:change=move |ev| role.set(event_target_value(&ev))>
                            {PROVIDER_ROLES.into_iter().map(|r| view! {
                                <option value=r selected=role.get_untracked() == r>{r}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <div class="form-actions">
                        <button type="button" class="button" on:click=move |_| stop_edit()>"Cancel"</button>
                        <button type="button" class="button primary" aria-disabled=move || form.busy.get().to_string() on:click=save>"Save"</button>
                    </div>
                </div>
            }.into_any()
        } else {
            view! {
                <p class="type-line">
                    <span>{move || d().map(|d| d.type_label())}</span>" "
                    <button type="button" id="user-type-edit" class="link-button" on:click=start_edit
                        disabled=move || d().is_some_and(|d| d.user_type == UserType::Guest)>"Edit"</button>
                </p>
            }.into_any()
        }}
        {move || d().filter(|d| d.user_type != UserType::Guest).map(|d| view! {
            <ResetEmailButton id=d.id email=d.email.clone()/>
        })}
        <p>
            <a class="button danger" href=shared.delete_url.get_value()>"Disable And Remove Log In Detail"</a>
        </p>
    }
}
