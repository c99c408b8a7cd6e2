//! `/admin/audit`: the clinic's audit events, newest first, filtered by member and action.
//! The filters are a plain GET form and the pager a link, so the URL holds the view.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::location::Url;

use super::{Action, AuditQuery, AuditRow, BULK_ACTION_FIELD, IMPORT_FIELD, list_audit};
use crate::admin_frame::AdminLayout;

fn audit_url(query: &AuditQuery) -> String {
    let pairs: Vec<String> = [
        ("member", &query.member),
        ("action", &query.action),
        ("before", &query.before),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k}={}", Url::escape(v)))
    .collect();
    if pairs.is_empty() {
        "/admin/audit".to_owned()
    } else {
        format!("/admin/audit?{}", pairs.join("&"))
    }
}

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        let params = params.read();
        AuditQuery {
            member: params.get("member").unwrap_or_default(),
            action: params.get("action").unwrap_or_default(),
            before: params.get("before").unwrap_or_default(),
        }
    });
    let page = Resource::new(move || query.get(), list_audit);
    let initial = query.get_untracked();
    view! {
        <Title text="Audit · Frontdesk"/>
        <AdminLayout>
            <div class="page-head">
                <h1>"Audit"</h1>
            </div>
            <form method="get" action="/admin/audit" class="toolbar">
                <div class="filters">
                    <label>
                        <span>"Member ID"</span>
                        <input name="member" inputmode="numeric" value=initial.member.clone()
                            prop:value=move || query.get().member autocomplete="off"/>
                    </label>
                    <label>
                        <span>"Action"</span>
                        <select name="action" prop:value=move || query.get().action>
                            <option value="" selected=initial.action.is_empty()>"All actions"</option>
                            {Action::ALL.into_iter().map(|a| view! {
                                <option value=a.as_db() selected=initial.action == a.as_db()>{a.label()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" class="button">"Apply"</button>
                </div>
            </form>
            <Transition fallback=|| view! { <p class="loading">"Loading events…"</p> }>
                {move || page.get().map(|result| match result {
                    Ok(page) if page.rows.is_empty() => view! {
                        <div class="empty" role="status"><p>"No events match these filters."</p></div>
                    }.into_any(),
                    Ok(page) => {
                        let older = page.next.map(|before| audit_url(&AuditQuery { before, ..query.get_untracked() }));
                        view! {
                            <AuditTable rows=page.rows show_member=true/>
                            <nav class="pager" aria-label="Pages">
                                {(!query.get_untracked().before.is_empty()).then(|| view! {
                                    <a class="button" href=audit_url(&AuditQuery { before: String::new(), ..query.get_untracked() })>"Newest"</a>
                                })}
                                {match older {
                                    Some(url) => view! { <a class="button" href=url rel="next">"Older"</a> }.into_any(),
                                    None => view! { <span class="button" aria-disabled="true">"Older"</span> }.into_any(),
                                }}
                            </nav>
                        }.into_any()
                    }
                    Err(err) => view! {
                        <div class="form-error" role="alert">
                            <p>{err.to_string()}</p>
                            <a href="/admin/audit">"Show all events"</a>
                        </div>
                    }.into_any(),
                })}
            </Transition>
        </AdminLayout>
    }
}

/// Events as a table: when, who, what, and what changed.
#[component]
pub fn AuditTable(rows: Vec<AuditRow>, show_member: bool) -> impl IntoView {
    view! {
        // On a phone the table scrolls in its own box, which the keyboard must reach.
        <table class="audit" tabindex="0" aria-label="Audit events">
            <thead>
                <tr>
                    <th scope="col">"When"</th>
                    <th scope="col">"Who"</th>
                    {show_member.then(|| view! { <th scope="col">"Member"</th> })}
                    <th scope="col">"Action"</th>
                    <th scope="col">"Changes"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|row| view! {
                    <tr>
                        <td>{row.at}</td>
                        <td>{row.actor}</td>
                        {show_member.then(|| view! {
                            <td>{row.member_id.map(|id| format!("ID: {id}")).unwrap_or_default()}</td>
                        })}
                        <td>{row.action.label()}</td>
                        <td>
                            <ul class="changes">
                                {row.changes.into_iter().map(|c| {
                                    // A bulk action's or an import's number opens its
                                    // progress and result.
                                    let page = match c.field.as_str() {
                                        BULK_ACTION_FIELD => Some("bulk"),
                                        IMPORT_FIELD => Some("import"),
                                        _ => None,
                                    };
                                    if let Some(page) = page
                                        && let Some(n) = c.to.strip_prefix('#')
                                        && n.parse::<i64>().is_ok()
                                    {
                                        let href = format!("/admin/{page}/{n}");
                                        return view! { <li>{format!("{}: ", c.field)}<a href=href>{c.to.clone()}</a></li> }.into_any();
                                    }
                                    let text = match (c.from.is_empty(), c.to.is_empty()) {
                                        (true, _) => format!("{}: {}", c.field, c.to),
                                        (false, true) => format!("{}: {} → (empty)", c.field, c.from),
                                        (false, false) => format!("{}: {} → {}", c.field, c.from, c.to),
                                    };
                                    view! { <li>{text}</li> }.into_any()
                                }).collect_view()}
                            </ul>
                        </td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
