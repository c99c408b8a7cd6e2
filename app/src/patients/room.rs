//! A room's page (`/u/{slug}`), guest entry (`/u/{slug}/guest`) and the waiting room
//! (`/u/{slug}/waiting`), whose place in the queue updates itself.

use crate::ui::post_form::{Fields, FromFields, PostForm, last_error};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::server_fn::codec::Json;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{RoomEntry, VisitState, WaitStatus, guest_field, words};
use crate::auth::url_error;
use crate::error::AppError;

/// A room's public face. Public: anyone with the link may look.
#[server(endpoint = "patients/room")]
pub async fn load_room(slug: String) -> Result<Option<RoomEntry>, AppError> {
    // Public: a room's page is open to anyone who has its link.
    let caller = crate::auth::guard::current_session().await?;
    let state = crate::state::AppState::current()?;
    super::service::room_entry(&state.db, &slug, caller).await
}

/// Enters the room's waiting room as a guest: first and last name, reason for visit.
#[server(endpoint = "patients/enter")]
pub async fn enter_as_guest(
    slug: String,
    first_name: String,
    last_name: String,
    reason: String,
) -> Result<(), AppError> {
    // Public: the room and its clinic decide, in the service, whether guests may enter.
    crate::auth::guard::public_post()?;
    let state = crate::state::AppState::current()?;
    let input = super::GuestInput {
        first_name,
        last_name,
        reason,
    };
    let token = super::service::enter_as_guest(&state, &slug, input).await?;
    state.queues.changed_here();
    // Whoever this browser was before, it is now this guest.
    if let Some(old) = crate::auth::guard::current_token() {
        crate::auth::session::end(&state.db, &old).await?;
    }
    crate::auth::guard::set_session_cookie(&token)?;
    // The service found a room under this link, so it is a plain, safe path segment.
    leptos_axum::redirect(&format!("/u/{}/waiting", slug.trim().to_lowercase()));
    Ok(())
}

/// A signed-in member enters the waiting room of a room of their clinic.
#[server(endpoint = "patients/join")]
pub async fn join_waiting_room(slug: String, reason: String) -> Result<(), AppError> {
    let me = crate::auth::guard::require_user().await?;
    let state = crate::state::AppState::current()?;
    super::service::join(&state.db, &me, &slug, &reason).await?;
    state.queues.changed_here();
    leptos_axum::redirect(&format!("/u/{}/waiting", slug.trim().to_lowercase()));
    Ok(())
}

/// The caller's newest visit and place in the queue; `None` without a session or a visit.
/// When the page says it shows `shown` and that still holds, the answer waits until the
/// room's queue changes (at most `visits::watch::HOLD`).
#[server(endpoint = "patients/queue", input = Json)]
pub async fn queue_status(shown: Option<WaitStatus>) -> Result<Option<WaitStatus>, AppError> {
    // Public: it only ever answers about the caller's own visit.
    let Some(me) = crate::auth::guard::current_session().await? else {
        return Ok(None);
    };
    let state = crate::state::AppState::current()?;
    super::service::queue_after(&state, &me, shown, crate::visits::watch::HOLD).await
}

/// Leaves the waiting room. A guest's session ends with it.
#[server(endpoint = "patients/leave")]
pub async fn leave_waiting_room() -> Result<(), AppError> {
    let me = crate::auth::guard::require_user().await?;
    let state = crate::state::AppState::current()?;
    let slug = super::service::leave(&state.db, &me).await?;
    state.queues.changed_here();
    if me.user_type == crate::accounts::UserType::Guest {
        if let Some(token) = crate::auth::guard::current_token() {
            crate::auth::session::end(&state.db, &token).await?;
        }
        crate::auth::guard::clear_session_cookie()?;
    }
    match slug {
        Some(slug) => leptos_axum::redirect(&format!("/u/{slug}?left=1")),
        None => leptos_axum::redirect("/"),
    }
    Ok(())
}

pub(crate) fn slug_param() -> impl Fn() -> String + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || params.read().get("slug").unwrap_or_default()
}

fn not_found_status() {
    #[cfg(feature = "ssr")]
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        options.set_status(axum::http::StatusCode::NOT_FOUND);
    }
}

/// The card every patient page sits in.
#[component]
pub(crate) fn PatientCard(children: Children) -> impl IntoView {
    view! {
        <main class="auth-page patient">
            <div class="card">{children()}</div>
        </main>
    }
}

#[component]
fn RoomMissing() -> impl IntoView {
    not_found_status();
    view! {
        <h1>"Room not found"</h1>
        <p>"Check the link you were given, or contact your clinic."</p>
    }
}

#[component]
fn RoomClosed(room: RoomEntry) -> impl IntoView {
    view! {
        <p class="brand">{room.clinic_name.clone()}</p>
        <h1>{format!("{} is closed", room.name)}</h1>
        <p>"This room is closed. Please contact your clinic."</p>
    }
}

#[component]
pub fn RoomPage() -> impl IntoView {
    let slug = slug_param();
    let query = use_query_map();
    let room = Resource::new(slug, load_room);
    view! {
        <PatientCard>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || room.get().map(|result| match result {
                    Ok(Some(r)) if !r.open => view! { <RoomClosed room=r/> }.into_any(),
                    Ok(Some(r)) => {
                        let left = query.read().get("left").is_some();
                        let title = format!("{} · Frontdesk", r.name);
                        let guest_href = format!("/u/{}/guest", r.slug);
                        let signup_href = format!("/u/{}/sign-up", r.slug);
                        let nothing_open = !r.guest_allowed && !r.signup_allowed;
                        view! {
                            <Title text=title/>
                            <p class="brand">{r.clinic_name.clone()}</p>
                            <h1>{format!("Welcome to {}", r.name)}</h1>
                            {left.then(|| view! { <p class="notice" role="status">"You left the waiting room."</p> })}
                            {match r.signed_in_as.clone() {
                                Some(name) => view! {
                                    <JoinForm slug=r.slug.clone() name failed=untrack(url_error(JoinWaitingRoom::PATH))/>
                                }.into_any(),
                                None => view! {
                                    <div class="choices">
                                        {r.guest_allowed.then(|| view! {
                                            <a class="button primary" href=guest_href.clone()>"Enter as guest"</a>
                                        })}
                                        {r.signup_allowed.then(|| view! {
                                            <a class="button" href=signup_href.clone()>"Sign up"</a>
                                        })}
                                        <a class="button" href=format!("/login?next=/u/{}", r.slug)>"Log in"</a>
                                    </div>
                                    {nothing_open.then(|| view! {
                                        <p class="hint">"Log in with the account your clinic gave you to enter this room."</p>
                                    })}
                                }.into_any(),
                            }}
                        }.into_any()
                    }
                    Ok(None) => view! { <RoomMissing/> }.into_any(),
                    Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </PatientCard>
    }
}

/// A signed-in member's way into the waiting room: the reason for the visit. An island;
/// `failed` is a JavaScript-off post's error.
#[cfg_attr(feature = "islands", island)]
#[cfg_attr(not(feature = "islands"), component)]
fn JoinForm(slug: String, name: String, failed: Option<AppError>) -> impl IntoView {
    let action = ServerAction::<JoinWaitingRoom>::new();
    let error = last_error(action, failed);
    let reason_error = move || {
        error().map(|e| match e.field_message(guest_field::REASON) {
            Some(m) => m,
            None => e.to_string(),
        })
    };
    view! {
        <p>{format!("Signed in as {name}.")}" "<a href="/account">"Your account"</a></p>
        <PostForm action=action class="form" novalidate=true>
            <input type="hidden" name="slug" value=slug/>
            <div class="field">
                <label for="reason">"Reason for visit"</label>
                <textarea id="reason" name="reason" rows="3" maxlength="500" required
                    aria-invalid=move || reason_error().is_some().to_string()
                    aria-describedby="reason-error"></textarea>
                <p id="reason-error" class="field-error">{move || reason_error()}</p>
            </div>
            <button type="submit" class="button primary" disabled=move || action.pending().get()>
                "Enter the waiting room"
            </button>
        </PostForm>
    }
}

#[component]
pub fn GuestEntryPage() -> impl IntoView {
    let slug = slug_param();
    let room = Resource::new(slug, load_room);
    view! {
        <PatientCard>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || room.get().map(|result| match result {
                    Ok(Some(r)) if !r.open => view! { <RoomClosed room=r/> }.into_any(),
                    Ok(Some(r)) if !r.guest_allowed => view! {
                        <p class="brand">{r.clinic_name.clone()}</p>
                        <h1>{format!("Welcome to {}", r.name)}</h1>
                        <p class="form-error" role="alert">{words::GUESTS_CLOSED}</p>
                        <p><a href=format!("/u/{}", r.slug)>"Back to the room"</a></p>
                    }.into_any(),
                    Ok(Some(r)) => view! {
                        <Title text=format!("Enter as guest · {}", r.name)/>
                        <GuestForm room=r failed=untrack(url_error(EnterAsGuest::PATH))/>
                    }.into_any(),
                    Ok(None) => view! { <RoomMissing/> }.into_any(),
                    Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </PatientCard>
    }
}

/// The field messages a form may show from the server; anything else becomes one line
/// over the form.
pub(crate) fn split_error(
    error: impl Fn() -> Option<AppError> + Copy + Send + Sync + 'static,
) -> (
    impl Fn(&'static str) -> Option<String> + Copy + Send + Sync + 'static,
    impl Fn() -> Option<String> + Copy + Send + Sync + 'static,
) {
    let field = move |name: &'static str| error().and_then(|e| e.field_message(name));
    let form = move || {
        error().and_then(|e| match &e {
            AppError::Validation { field, message } if field == "form" || field == "token" => {
                Some(message.clone())
            }
            AppError::Validation { .. } | AppError::Invalid { .. } => None,
            other => Some(other.to_string()),
        })
    };
    (field, form)
}

/// The guest's form, the page's island. `failed` is a JavaScript-off post's error.
#[cfg_attr(feature = "islands", island)]
#[cfg_attr(not(feature = "islands"), component)]
fn GuestForm(room: RoomEntry, failed: Option<AppError>) -> impl IntoView {
    let action = ServerAction::<EnterAsGuest>::new();
    let error = last_error(action, failed);
    let (field_error, form_error) = split_error(error);
    let form_error = move || {
        error()
            .filter(|e| matches!(e, AppError::Forbidden))
            .map(|_| words::GUESTS_CLOSED.to_owned())
            .or_else(form_error)
    };
    let input = move |name: &'static str, label: &'static str, autocomplete: &'static str| {
        view! {
            <div class="field">
                <label for=name>{label}</label>
                <input id=name name=name type="text" autocomplete=autocomplete required maxlength="100"
                    aria-invalid=move || field_error(name).is_some().to_string()
                    aria-describedby=format!("{name}-error")/>
                <p id=format!("{name}-error") class="field-error">{move || field_error(name)}</p>
            </div>
        }
    };
    // After a refused entry, focus goes to the first field in error, or to the message on
    // top: a keyboard or screen-reader user lands on what to fix, and hears it.
    Effect::new(move |_| {
        if action.value().with(|v| matches!(v, Some(Err(_)))) {
            let first = [
                guest_field::FIRST_NAME,
                guest_field::LAST_NAME,
                guest_field::REASON,
            ]
            .into_iter()
            .find(|name| field_error(name).is_some());
            crate::ui::modal::focus_later(first.unwrap_or("guest-form-error").to_owned());
        }
    });
    let back = format!("/u/{}", room.slug);
    view! {
        <p class="brand">{room.clinic_name.clone()}</p>
        <h1>"Enter as guest"</h1>
        <p>{format!("You are entering the waiting room of {}.", room.name)}</p>
        <PostForm action=action class="form" novalidate=true>
            {move || form_error().map(|m| view! { <p class="form-error" id="guest-form-error" tabindex="-1" role="alert">{m}</p> }.into_any())}
            <input type="hidden" name="slug" value=room.slug.clone()/>
            {input(guest_field::FIRST_NAME, "First name", "given-name")}
            {input(guest_field::LAST_NAME, "Last name", "family-name")}
            <div class="field">
                <label for="reason">"Reason for visit"</label>
                <textarea id="reason" name="reason" rows="3" maxlength="500" required
                    aria-invalid=move || field_error(guest_field::REASON).is_some().to_string()
                    aria-describedby="reason-error"></textarea>
                <p id="reason-error" class="field-error">{move || field_error(guest_field::REASON)}</p>
            </div>
            <button type="submit" class="button primary" disabled=move || action.pending().get()>
                "Enter the waiting room"
            </button>
        </PostForm>
        <p class="below-form"><a href=back>"Back"</a></p>
    }
}

#[component]
pub fn WaitingRoomPage() -> impl IntoView {
    let slug = slug_param();
    let first = Resource::new(|| (), |_| queue_status(None));
    view! {
        <Title text=WAITING_TITLE/>
        <PatientCard>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || first.get().map(|result| match result {
                    Ok(Some(s)) => view! {
                        <Title text=queue_title(&s.state)/>
                        <LiveQueue first=s/>
                    }.into_any(),
                    Ok(None) => view! {
                        <h1>"You are not in a waiting room"</h1>
                        <p><a class="button primary" href=format!("/u/{}", slug())>"Go to the room"</a></p>
                    }.into_any(),
                    Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </PatientCard>
    }
}

const WAITING_TITLE: &str = "Waiting room · Frontdesk";

/// The waiting page's title: it says so once the provider is ready.
fn queue_title(state: &VisitState) -> &'static str {
    match state {
        VisitState::InProgress => "Your provider is ready · Frontdesk",
        _ => WAITING_TITLE,
    }
}

/// The patient's visit as it stands, asked again as soon as answered while they wait or
/// are in a visit: the server answers when it changes. The view is built again only when
/// what it says changes: a started visit is announced once, and its link keeps focus.
/// The page's island.
#[cfg_attr(feature = "islands", island)]
#[cfg_attr(not(feature = "islands"), component)]
fn LiveQueue(first: WaitStatus) -> impl IntoView {
    let leave = ServerAction::<LeaveWaitingRoom>::new();
    let current = RwSignal::new(first);
    // The title follows the visit (the server wrote the first one).
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| document().set_title(queue_title(&current.read().state)));
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move {
        // Ends with the page: the signal is gone when the answer comes.
        while let Some(shown) = current.try_get_untracked().filter(|s| s.state.goes_on()) {
            match queue_status(Some(shown.clone())).await {
                Ok(Some(fresh)) => {
                    if fresh != shown {
                        current.try_set(fresh);
                    }
                }
                // The session ended (left from another tab, or signed out): no longer waiting.
                Ok(None) => {
                    current.try_update(|s| s.state = VisitState::Left);
                }
                _ => {
                    gloo_timers::future::TimeoutFuture::new(super::RETRY_MS).await;
                }
            }
        }
    });
    view! { {move || view! { <QueueView status=current.get() leave/> }} }
}

#[component]
fn QueueView(status: WaitStatus, leave: ServerAction<LeaveWaitingRoom>) -> impl IntoView {
    let room_href = format!("/u/{}", status.slug);
    match status.state {
        VisitState::Waiting { place } => view! {
            <p class="brand">{status.room_name.clone()}</p>
            <h1>"You are in the waiting room"</h1>
            <p>{format!("Hello {}. Your provider will see you soon.", status.first_name)}</p>
            <div class="queue" role="status" aria-live="polite" aria-atomic="true">
                <span class="queue-label">"Your place in the queue"</span>
                <span class="queue-place">{place}</span>
                <span class="queue-note">{if place == 1 { "You are next.".to_owned() } else { format!("{} ahead of you.", place - 1) }}</span>
            </div>
            <noscript>
                <p>
                    <a href=format!("{room_href}/waiting")>"Refresh to see your place"</a>
                    " at least once a minute: a waiting room that has not heard from you for two minutes takes you as gone."
                </p>
            </noscript>
            <PostForm action=leave class="form">
                <button type="submit" class="button" disabled=move || leave.pending().get()>
                    "Leave the waiting room"
                </button>
            </PostForm>
        }.into_any(),
        VisitState::InProgress => {
            let link = status.visit_link.clone().unwrap_or_default();
            view! {
                <p class="brand">{status.room_name.clone()}</p>
                <h1>"Your provider is ready"</h1>
                <p role="alert">{format!("{}, your visit has started.", status.first_name)}</p>
                <p><a class="button primary" id="join-visit" href=link>"Join your visit"</a></p>
            }.into_any()
        }
        state => {
            let (title, text) = match state {
                VisitState::Completed => ("Your visit has ended", "Thank you for visiting."),
                VisitState::NoShow => (
                    "Your visit has ended",
                    "Your provider called when you were not here. To be seen, enter the waiting room again.",
                ),
                _ => ("You left the waiting room", "You can enter again from the room's page."),
            };
            view! {
                <p class="brand">{status.room_name.clone()}</p>
                <h1>{title}</h1>
                <p role="status">{text}</p>
                <p><a class="button" href=room_href>"Back to the room"</a></p>
            }.into_any()
        }
    }
}

// How each form that posts to these functions makes its call in the browser.

impl FromFields for EnterAsGuest {
    fn from_fields(f: &Fields) -> Self {
        Self {
            slug: f.text("slug"),
            first_name: f.text(guest_field::FIRST_NAME),
            last_name: f.text(guest_field::LAST_NAME),
            reason: f.text(guest_field::REASON),
        }
    }
}

impl FromFields for JoinWaitingRoom {
    fn from_fields(f: &Fields) -> Self {
        Self {
            slug: f.text("slug"),
            reason: f.text(guest_field::REASON),
        }
    }
}

impl FromFields for LeaveWaitingRoom {
    fn from_fields(_: &Fields) -> Self {
        Self {}
    }
}
