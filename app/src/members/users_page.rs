//! The users page: the article's table, with search, filters, sort and keyset paging that
//! all live in the URL. Without JavaScript the toolbar is a plain GET form and the pager
//! plain links; with it, typing searches as you type and nothing reloads.

use leptos::prelude::*;
use leptos::server::codee::{Decoder, Encoder};
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::location::Url;

use super::bulk_bar::{BulkBar, RecentBulk, Selection};
use super::create_dialog::CreateMemberDialog;
use super::detail_dialog::{MemberDetailDialog, Tab};
use super::lifecycle_dialogs::{DeleteDialog, SetPasswordDialog};
use super::query::{ALL_TYPES, PAGE_SIZES, Sort};
use super::search_typing::Typing;
use super::{Status, UserType, UsersQuery, list_rooms, members_table};
use crate::admin_frame::AdminLayout;
use crate::error::AppError;

/// `url` with one more query pair.
fn with_param(url: String, pair: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{pair}")
}

/// The URL of a view with a member's detail open on `tab`.
pub fn member_url(query: &UsersQuery, id: i64, tab: Tab) -> String {
    with_param(
        users_url(query),
        &format!("member={id}&tab={}", tab.param()),
    )
}

/// Which modal the URL opens over the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Modal {
    None,
    Create,
    Member(i64),
    Delete(i64),
    SetPassword(i64),
}

/// A view with the delete confirmation (or the Set password dialog) open for a member.
pub fn action_url(query: &UsersQuery, action: &str, id: i64) -> String {
    with_param(users_url(query), &format!("{action}={id}"))
}

/// The message over the table after an action: what happened, and whom to open.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Notice {
    text: String,
    open: Option<i64>,
}

/// Rewrites the address bar in place (no navigation, no history entry).
fn replace_address(url: &str) {
    #[cfg(feature = "hydrate")]
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&leptos::wasm_bindgen::JsValue::NULL, "", Some(url));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = url;
}

/// The users page's URL for a view.
pub fn users_url(query: &UsersQuery) -> String {
    let pairs = query.pairs();
    if pairs.is_empty() {
        return "/admin/users".to_owned();
    }
    let encoded: Vec<String> = pairs
        .into_iter()
        .map(|(k, v)| format!("{k}={}", Url::escape(v)))
        .collect();
    format!("/admin/users?{}", encoded.join("&"))
}

/// Export CSV of the view `query` shows: every row it matches, whatever page is open.
pub fn export_url(query: &UsersQuery) -> String {
    let whole = UsersQuery {
        size: String::new(),
        after: String::new(),
        before: String::new(),
        ..query.clone()
    };
    users_url(&whole).replacen("/admin/users", "/admin/users/export.csv", 1)
}

/// How the first page's table reaches hydration: as nothing. The server's markup for it is
/// already in the page, and hydrating `inner_html` keeps that markup as it is, so the answer
/// travels as an empty string (an error as its JSON) rather than as a second, escaped copy
/// of the whole table. Later answers come from the server function with their HTML.
struct TableInPage;

impl Encoder<Result<String, AppError>> for TableInPage {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(answer: &Result<String, AppError>) -> Result<String, Self::Error> {
        match answer {
            Ok(_) => Ok(String::new()),
            Err(err) => serde_json::to_string(err),
        }
    }
}

impl Decoder<Result<String, AppError>> for TableInPage {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(encoded: &str) -> Result<Result<String, AppError>, Self::Error> {
        if encoded.is_empty() {
            Ok(Ok(String::new()))
        } else {
            serde_json::from_str(encoded).map(Err)
        }
    }
}

/// The count line of a rendered table ("2,345 users", or why it is empty), as the server
/// wrote it (without the renderer's markers).
fn count_in(html: &str) -> Option<String> {
    const START: &str = "<p class=\"summary\">";
    let from = html.find(START)? + START.len();
    let to = from + html[from..].find("</p>")?;
    let mut text = String::new();
    let mut in_tag = false;
    for c in html[from..to].chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    Some(text)
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let params = use_query_map();
    let view_query = Memo::new(move |_| {
        let params = params.read();
        UsersQuery::from_lookup(|name| params.get(name))
    });
    // Bumped after a create or a save, so the table shows the change at once.
    let refresh = RwSignal::new(0_u32);
    let page = Resource::<_, TableInPage>::new_with_options(
        move || (view_query.get(), refresh.get()),
        |(query, _)| members_table(query),
        false,
    );
    let modal = Memo::new(move |_| {
        let params = params.read();
        if params.get("new").is_some() {
            Modal::Create
        } else if let Some(id) = params.get("member").and_then(|m| m.parse().ok()) {
            Modal::Member(id)
        } else if let Some(id) = params.get("delete").and_then(|m| m.parse().ok()) {
            Modal::Delete(id)
        } else if let Some(id) = params.get("password").and_then(|m| m.parse().ok()) {
            Modal::SetPassword(id)
        } else {
            Modal::None
        }
    });
    let tab = Signal::derive(move || Tab::from_param(params.read().get("tab").as_deref()));
    let notice = RwSignal::new(None::<Notice>);
    let rooms = Resource::new(|| (), |_| list_rooms());
    let (pending, set_pending) = signal(false);

    let go = {
        let navigate = use_navigate();
        move |query: UsersQuery, replace: bool| {
            navigate(
                &users_url(&query),
                NavigateOptions {
                    replace,
                    scroll: false,
                    ..Default::default()
                },
            );
        }
    };

    let typing = Typing::new();
    let refs = ToolbarRefs::default();
    let on_input = {
        let go = go.clone();
        move |ev: leptos::ev::Event| {
            let go = go.clone();
            typing.key(event_target_value(&ev), move |q| {
                let query = UsersQuery {
                    q,
                    ..view_query.get_untracked().first_page()
                };
                go(query, true);
            });
        }
    };
    let on_change = {
        let go = go.clone();
        move |_: leptos::ev::Event| go(refs.query(), false)
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        typing.submitted();
        go(refs.query(), false);
    };

    // The server renders the table (count, rows of links, pager) for the view it was asked
    // for; the browser shows that HTML as it is, when it arrives. Hydrating leaves the
    // server's markup in place, so the rows are never built in the browser.
    let body = move || {
        page.get().map(|result| match result {
            Ok(html) => view! { <div class="members-table" inner_html=html></div> }.into_any(),
            Err(err) => view! {
                <div class="form-error" role="alert">
                    <p>{err.to_string()}</p>
                    <a href="/admin/users">"Show all users"</a>
                </div>
            }
            .into_any(),
        })
    };
    let fallback = || view! { <p class="loading">"Loading users…"</p> };
    // Each new count ("12 users") is said politely as the table changes. Set by an effect,
    // so the server's render and hydration agree on an empty region.
    let count_said = RwSignal::new(String::new());
    // A new view, and the new table it brings, have nothing ticked: the selection starts
    // again with each (a search typed after "Select all" is never what an action acts on).
    let selection = Selection::new();
    Effect::new(move |_| {
        view_query.track();
        selection.clear();
    });
    Effect::new(move |_| {
        if let Some(Ok(html)) = page.get() {
            selection.clear();
            if let Some(count) = count_in(&html) {
                count_said.set(count);
            }
        }
    });
    // The pending flag matters only in the browser; on the server, Transition's pending
    // effect can outlive the render and touch disposed state (leptos 0.8.23).
    #[cfg(feature = "hydrate")]
    let table = view! { <Transition fallback set_pending=set_pending>{body}</Transition> };
    #[cfg(not(feature = "hydrate"))]
    let table = {
        let _ = set_pending;
        view! { <Transition fallback>{body}</Transition> }
    };

    let q_value = move || typing.typed.get().unwrap_or_else(|| view_query.get().q);
    // A search the address made without the box ("Clear search and filters", Back): the
    // box shows the address's search, and typing still waiting to search is dropped.
    Effect::new(move |previous: Option<String>| {
        let q = view_query.with(|v| v.q.clone());
        if previous.is_some_and(|p| p != q) && !typing.sent_for(&q) {
            typing.forget();
        }
        q
    });
    // The server renders each field's current value as plain attributes (read once, so the
    // page works without JavaScript); in the browser `prop:value` keeps the fields in step
    // with the URL as it changes.
    let initial = view_query.get_untracked();

    view! {
        <Title text="Users · Frontdesk"/>
        <AdminLayout>
            <div class="page-head">
                <h1>"Users"</h1>
                <div class="page-actions">
                    <a id="export-csv" class="button" download
                        href=move || export_url(&view_query.get())>"Export CSV"</a>
                    <a id="import-csv" class="button" href=super::import::FORM_PATH>"Import CSV"</a>
                    <a id="new-member" class="button primary"
                        href=move || with_param(users_url(&view_query.get()), "new=1")>"New Member"</a>
                </div>
            </div>
            <RecentBulk/>
            {move || notice.get().map(|n| view! {
                <p class="notice" role="status" id="action-notice" tabindex="-1">
                    {n.text}" "
                    {n.open.map(|id| view! {
                        <a href=member_url(&view_query.get_untracked(), id, Tab::Profile)>"Open"</a>
                    })}
                </p>
            })}
            <form method="get" action="/admin/users" class="toolbar" on:submit=on_submit on:change=on_change>
                <div role="search" class="search">
                    <label for="q" class="visually-hidden">"Search users"</label>
                    <input id="q" type="search" name="q" prop:value=q_value value=initial.q.clone()
                        placeholder="Search by name, email, username or ID" autocomplete="off"
                        node_ref=refs.q on:input=on_input on:change=|ev| ev.stop_propagation()/>
                    <button type="submit" class="button">"Search"</button>
                </div>
                <Filters view_query refs initial=initial.clone() rooms/>
            </form>
            // Always present, shown by attribute: its markup never differs between the server's
            // render and hydration.
            <p class="loading" role="status" hidden=move || !pending.get()>"Loading…"</p>
            <p class="visually-hidden" role="status" id="users-count-said">{move || count_said.get()}</p>
            <BulkBar selection view_query rooms export_href=export_url/>
            <div class="table-area" on:change=move |ev| selection.on_change(ev)>{table}</div>
            <OpenDialog modal tab view_query notice refresh/>
        </AdminLayout>
    }
}

/// The dialog the address names (`new`, `member`, `delete`, `password`), if any.
/// Closing it returns focus to the button that opened it; an action done in it is said
/// over the table (`notice`), and the table is read again (`refresh`).
#[component]
fn OpenDialog(
    modal: Memo<Modal>,
    tab: Signal<Tab>,
    view_query: Memo<UsersQuery>,
    notice: RwSignal<Option<Notice>>,
    refresh: RwSignal<u32>,
) -> impl IntoView {
    let navigate = use_navigate();
    let close_modal = {
        let navigate = navigate.clone();
        Callback::new(move |()| {
            let back_to = match modal.get_untracked() {
                Modal::Member(id) => format!("edit-{id}"),
                Modal::Delete(id) => format!("delete-{id}"),
                Modal::SetPassword(id) => format!("password-{id}"),
                _ => "new-member".to_owned(),
            };
            navigate(
                &users_url(&view_query.get_untracked()),
                NavigateOptions {
                    scroll: false,
                    ..Default::default()
                },
            );
            crate::ui::modal::focus_later(back_to);
        })
    };
    // After an action: say what happened over the table, refresh it, close the dialog.
    let after_action = {
        let navigate = navigate.clone();
        Callback::new(move |done: Notice| {
            notice.set(Some(done));
            refresh.update(|n| *n += 1);
            navigate(
                &users_url(&view_query.get_untracked()),
                NavigateOptions {
                    scroll: false,
                    ..Default::default()
                },
            );
            crate::ui::modal::focus_later("action-notice".to_owned());
        })
    };
    let on_created = Callback::new(move |(id, name): (i64, String)| {
        after_action.run(Notice {
            text: format!("{name} was created (ID: {id})."),
            open: Some(id),
        })
    });
    let on_deleted = Callback::new(move |name: String| {
        after_action.run(Notice {
            text: format!("{name} was deleted."),
            open: None,
        })
    });
    let on_password = Callback::new(move |name: String| {
        after_action.run(Notice {
            text: format!("Password set for {name}."),
            open: None,
        })
    });
    // The detail's tab changes the address without a navigation (see MemberDetailDialog).
    let select_tab = Callback::new(move |t: Tab| {
        if let Modal::Member(id) = modal.get_untracked() {
            replace_address(&member_url(&view_query.get_untracked(), id, t));
        }
    });
    let on_changed = Callback::new(move |()| refresh.update(|n| *n += 1));
    view! {
    {move || match modal.get() {
        Modal::None => ().into_any(),
        Modal::Create => view! {
            <CreateMemberDialog on_close=close_modal on_created/>
        }.into_any(),
        Modal::Member(id) => view! {
            <MemberDetailDialog id tab
                tab_url=Callback::new(move |t: Tab| member_url(&view_query.get_untracked(), id, t))
                on_select=select_tab on_close=close_modal on_changed
                delete_url=action_url(&view_query.get_untracked(), "delete", id)/>
        }.into_any(),
        Modal::Delete(id) => view! {
            <DeleteDialog id on_close=close_modal on_deleted/>
        }.into_any(),
        Modal::SetPassword(id) => view! {
            <SetPasswordDialog id on_close=close_modal on_done=on_password/>
        }.into_any(),
    }}
    }
}

/// The toolbar's filters, sort and page size. Each select shows the view in the address:
/// the server renders the current value as a plain `selected` (read once, so the form
/// works without JavaScript), and `prop:value` keeps it in step as the address changes.
#[component]
fn Filters(
    view_query: Memo<UsersQuery>,
    refs: ToolbarRefs,
    initial: UsersQuery,
    rooms: Resource<Result<Vec<super::RoomOption>, AppError>>,
) -> impl IntoView {
    let parsed = initial.parse().ok();
    let sort_now = parsed.as_ref().map(|p| p.sort).unwrap_or_default();
    let size_now = parsed.as_ref().map_or(PAGE_SIZES[0], |p| p.size);
    view! {
    <div class="filters">
        <label>
            <span>"User type"</span>
            <select name="type" node_ref=refs.user_type prop:value=move || view_query.get().user_type>
                <option value="" selected=initial.user_type.is_empty()>"All but guests"</option>
                <option value=ALL_TYPES selected=initial.user_type == ALL_TYPES>"All types"</option>
                {UserType::ALL.into_iter().map(|t| view! {
                    <option value=t.key() selected=initial.user_type == t.key()>{t.label()}</option>
                }).collect_view()}
            </select>
        </label>
        <label>
            <span>"Status"</span>
            <select name="status" node_ref=refs.status prop:value=move || view_query.get().status>
                <option value="" selected=initial.status.is_empty()>"All statuses"</option>
                {Status::ALL.into_iter().map(|s| view! {
                    <option value=s.key() selected=initial.status == s.key()>{s.label()}</option>
                }).collect_view()}
            </select>
        </label>
        <label>
            <span>"Room"</span>
            <select name="room" node_ref=refs.room prop:value=move || view_query.get().room>
                <option value="" selected=initial.room.is_empty()>"All rooms"</option>
                <Suspense>
                    {
                        let room_now = initial.room.clone();
                        move || {
                            let room_now = room_now.clone();
                            rooms.get().and_then(Result::ok).map(move |rooms| rooms.into_iter().map(|r| {
                                let id = r.id.to_string();
                                let selected = id == room_now;
                                view! { <option value=id selected=selected>{r.name}</option> }
                            }).collect_view())
                        }
                    }
                </Suspense>
            </select>
        </label>
        <label>
            <span>"Sort by"</span>
            <select name="sort" node_ref=refs.sort
                prop:value=move || view_query.get().parse().map(|p| p.sort).unwrap_or_default().param()>
                {Sort::ALL.into_iter().map(|s| view! {
                    <option value=s.param() selected=s == sort_now>{s.label()}</option>
                }).collect_view()}
            </select>
        </label>
        <label>
            <span>"Order"</span>
            <select name="dir" node_ref=refs.dir prop:value=move || view_query.get().dir>
                <option value="" selected=initial.dir.is_empty()>"Default"</option>
                <option value="asc" selected=initial.dir == "asc">"Ascending"</option>
                <option value="desc" selected=initial.dir == "desc">"Descending"</option>
            </select>
        </label>
        <label>
            <span>"Per page"</span>
            <select name="size" node_ref=refs.size
                prop:value=move || view_query.get().parse().map_or(PAGE_SIZES[0], |p| p.size).to_string()>
                {PAGE_SIZES.into_iter().map(|n| {
                    let v = n.to_string();
                    view! { <option value=v.clone() selected=n == size_now>{v.clone()}</option> }
                }).collect_view()}
            </select>
        </label>
        <button type="submit" class="button">"Apply"</button>
    </div>
    }
}

/// The toolbar's fields, read when the admin changes one.
#[derive(Clone, Copy, Default)]
struct ToolbarRefs {
    q: NodeRef<leptos::html::Input>,
    user_type: NodeRef<leptos::html::Select>,
    status: NodeRef<leptos::html::Select>,
    room: NodeRef<leptos::html::Select>,
    sort: NodeRef<leptos::html::Select>,
    dir: NodeRef<leptos::html::Select>,
    size: NodeRef<leptos::html::Select>,
}

impl ToolbarRefs {
    /// The view the toolbar describes (its first page).
    fn query(&self) -> UsersQuery {
        let select =
            |r: NodeRef<leptos::html::Select>| r.get().map(|el| el.value()).unwrap_or_default();
        UsersQuery {
            q: self.q.get().map(|el| el.value()).unwrap_or_default(),
            user_type: select(self.user_type),
            status: select(self.status),
            room: select(self.room),
            sort: select(self.sort),
            dir: select(self.dir),
            size: select(self.size),
            ..UsersQuery::default()
        }
    }
}
