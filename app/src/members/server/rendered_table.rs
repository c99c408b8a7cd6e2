//! The users table as the server renders it: the count, the rows and the pager of one view.
//!
//! Its rows hold links only, so the browser never builds them: the page shows the HTML the
//! server made (at first render and after each search), and the router follows the links
//! as it follows any other. Text is escaped by the renderer, as in every server-rendered
//! page.

use leptos::prelude::*;

use crate::accounts::UserType;
use crate::members::detail_dialog::Tab;
use crate::members::users_page::{action_url, member_url, users_url};
use crate::members::{MemberPage, MemberRow, UsersQuery};
use crate::text::portal_id;

/// The table of `page`, read for `query` (its links keep the view), as HTML.
///
/// Without the empty comments the renderer puts between neighbouring text nodes: they tell
/// hydration where one text ends, and this markup is never hydrated. Text that came from a
/// user cannot hold one, since its `<` is escaped.
pub fn render(page: MemberPage, query: UsersQuery) -> String {
    view! { <MembersTable page query/> }
        .to_html()
        .replace("<!>", "")
}

#[component]
fn MembersTable(page: MemberPage, query: UsersQuery) -> impl IntoView {
    if page.rows.is_empty() {
        let message = if query.is_filtered() {
            "No users match this search and these filters."
        } else {
            "No users yet."
        };
        return view! {
            <div class="empty">
                // The page says this line aloud, as it says a count.
                <p class="summary">{message}</p>
                {query.is_filtered().then(|| view! {
                    <a href="/admin/users" class="button">"Clear search and filters"</a>
                })}
            </div>
        }
        .into_any();
    }
    let prev_url = page.prev.as_ref().map(|cursor| {
        users_url(&UsersQuery {
            before: cursor.clone(),
            ..query.first_page()
        })
    });
    let next_url = page.next.as_ref().map(|cursor| {
        users_url(&UsersQuery {
            after: cursor.clone(),
            ..query.first_page()
        })
    });
    view! {
        <p class="summary">{page.count_label()}</p>
        <table class="users">
            <caption class="visually-hidden">"Users"</caption>
            <thead>
                <tr>
                    <th scope="col" class="pick">
                        <span class="visually-hidden">"Select"</span>
                        <input type="checkbox" id="pick-page" autocomplete="off"
                            aria-label="Select every user on this page"/>
                    </th>
                    <th scope="col">"Last login"</th>
                    <th scope="col">"User"</th>
                    <th scope="col">"Room"</th>
                    <th scope="col">"Action"</th>
                </tr>
            </thead>
            <tbody>
                {page.rows.into_iter().map(|row| {
                    let edit_url = member_url(&query, row.id, Tab::Profile);
                    let delete_url = action_url(&query, "delete", row.id);
                    let password_url = action_url(&query, "password", row.id);
                    view! { <MemberRowView row edit_url delete_url password_url/> }
                }).collect_view()}
            </tbody>
        </table>
        <nav class="pager" aria-label="Pages">
            {match prev_url {
                Some(url) => view! { <a class="button" href=url rel="prev">"Previous"</a> }.into_any(),
                None => view! { <span class="button" aria-disabled="true">"Previous"</span> }.into_any(),
            }}
            {match next_url {
                Some(url) => view! { <a class="button" href=url rel="next">"Next"</a> }.into_any(),
                None => view! { <span class="button" aria-disabled="true">"Next"</span> }.into_any(),
            }}
        </nav>
    }
    .into_any()
}

#[component]
fn MemberRowView(
    row: MemberRow,
    edit_url: String,
    delete_url: String,
    password_url: String,
) -> impl IntoView {
    let name = row.full_name();
    // A guest entered by name only: no username, email or password to show or set.
    let has_login = row.user_type != UserType::Guest;
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
            <td class="pick">
                <input type="checkbox" class="pick-member" value=row.id.to_string()
                    autocomplete="off" aria-label=format!("Select {name}")/>
            </td>
            <td>
                <span class="line">{last_login}</span>
                <span class="line">"Sign up: "{row.signed_up.clone()}</span>
                <span class="line">"Status: "{row.status.label()}</span>
            </td>
            <td>
                <span class="line strong">{name.clone()}</span>
                <span class="line">"ID: "{row.id}</span>
                {has_login.then(|| view! {
                    <span class="line">"User name: "{row.username.clone()}</span>
                    <span class="line">"Email: "{row.email.clone()}</span>
                })}
                <span class="line">"Portal ID: "{portal_id(row.id)}</span>
                <span class="line">"Type: "{row.user_type.label()}</span>
            </td>
            <td>{rooms}</td>
            <td class="actions">
                <a id=format!("edit-{}", row.id) class="icon-button" href=edit_url
                    aria-label=format!("Edit {name}") title="Edit">
                    <svg aria-hidden="true" viewBox="0 0 24 24" width="16" height="16">
                        <path d="M3 17.25V21h3.75L17.81 9.94l-3.75-3.75L3 17.25zm17.71-10.21a1 1 0 0 0 0-1.41l-2.34-2.34a1 1 0 0 0-1.41 0l-1.83 1.83 3.75 3.75 1.83-1.83z" fill="currentColor"/>
                    </svg>
                    " Edit"
                </a>
                <a id=format!("delete-{}", row.id) class="link-button danger" href=delete_url
                    aria-label=format!("Delete {name}")>"Delete"</a>
                {has_login.then(|| view! {
                    <a id=format!("password-{}", row.id) class="link-button" href=password_url
                        aria-label=format!("Set password for {name}")>"Set password"</a>
                })}
            </td>
        </tr>
    }
}
