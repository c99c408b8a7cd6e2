//! The users page: the article's table with a search bar that works as a plain GET form.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::location::Url;

use super::{MemberPage, MemberRow, list_members};
use crate::layout::AdminLayout;
use crate::text::portal_id;

#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let page = Resource::new(q, list_members);
    let input = NodeRef::<leptos::html::Input>::new();
    let navigate = use_navigate();
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = input.get().map(|el| el.value()).unwrap_or_default();
        navigate(&users_url(&text), Default::default());
    };

    view! {
        <Title text="Users · Frontdesk"/>
        <AdminLayout>
            <div class="page-head">
                <h1>"Users"</h1>
            </div>
            // A plain GET form: without JavaScript the browser submits it; with JavaScript the
            // router navigates to the same URL without reloading the page.
            <form method="get" action="/admin/users" role="search" class="search" on:submit=search>
                <label for="q" class="visually-hidden">"Search users"</label>
                <input id="q" type="search" name="q" prop:value=q value=q node_ref=input
                    placeholder="Search by name, email, username or ID" autocomplete="off"/>
                <button type="submit" class="button">"Search"</button>
            </form>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading users…"</p> }>
                {move || page.get().map(|result| match result {
                    Ok(page) => view! { <MembersTable page query=q()/> }.into_any(),
                    Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                })}
            </Transition>
        </AdminLayout>
    }
}

/// The users page's URL for a search.
fn users_url(q: &str) -> String {
    let q = q.trim();
    if q.is_empty() {
        "/admin/users".to_owned()
    } else {
        format!("/admin/users?q={}", Url::escape(q))
    }
}

#[component]
fn MembersTable(page: MemberPage, query: String) -> impl IntoView {
    if page.rows.is_empty() {
        let message = if query.trim().is_empty() {
            "No users yet.".to_owned()
        } else {
            format!("No users match “{}”.", query.trim())
        };
        return view! {
            <div class="empty" role="status">
                <p>{message}</p>
                <a href="/admin/users" class="button">"Clear search"</a>
            </div>
        }
        .into_any();
    }
    let count = page.rows.len();
    let summary = if page.has_more {
        format!("Showing the first {count} users")
    } else {
        format!("{count} users")
    };
    view! {
        <p class="summary" role="status">{summary}</p>
        <table class="users">
            <thead>
                <tr>
                    <th scope="col">"Last login"</th>
                    <th scope="col">"User"</th>
                    <th scope="col">"Room"</th>
                    <th scope="col">"Action"</th>
                </tr>
            </thead>
            <tbody>
                {page.rows.into_iter().map(|row| view! { <MemberRowView row/> }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn MemberRowView(row: MemberRow) -> impl IntoView {
    let name = row.full_name();
    let last_login = match row.last_login.clone() {
        Some(at) => view! { <span>{at}</span> }.into_any(),
        None => view! { <small>"Not logged in!"</small> }.into_any(),
    };
    let rooms = row
        .rooms
        .iter()
        .map(|room| {
            view! {
                <div class="room">
                    <span class="line strong">{room.name.clone()}</span>
                    <span class="line">"Code: "{room.code.clone()}</span>
                    <span class="line">"Link: /u/"{room.slug.clone()}</span>
                </div>
            }
        })
        .collect_view();
    view! {
        <tr>
            <td>
                <span class="line">{last_login}</span>
                <span class="line">"Sign up: "{row.signed_up.clone()}</span>
                <span class="line">"Status: "{row.status.label()}</span>
            </td>
            <td>
                <span class="line strong">{name.clone()}</span>
                <span class="line">"ID: "{row.id}</span>
                <span class="line">"User name: "{row.username.clone()}</span>
                <span class="line">"Email: "{row.email.clone()}</span>
                <span class="line">"Portal ID: "{portal_id(row.id)}</span>
                <span class="line">"Type: "{row.user_type.label()}</span>
            </td>
            <td>{rooms}</td>
            <td class="actions">
                <button type="button" class="icon-button" disabled
                    aria-label=format!("Edit {name}") title="Edit">
                    <svg aria-hidden="true" viewBox="0 0 24 24" width="16" height="16">
                        <path d="M3 17.25V21h3.75L17.81 9.94l-3.75-3.75L3 17.25zm17.71-10.21a1 1 0 0 0 0-1.41l-2.34-2.34a1 1 0 0 0-1.41 0l-1.83 1.83 3.75 3.75 1.83-1.83z" fill="currentColor"/>
                    </svg>
                    " Edit"
                </button>
                <button type="button" class="link-button danger" disabled>"Delete"</button>
                <button type="button" class="link-button" disabled>"Set password"</button>
            </td>
        </tr>
    }
}
