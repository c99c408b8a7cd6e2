//! An action on many members, as it runs and once done (`/admin/bulk/:id`): how far it is,
//! read again each second until done, and what it did: members changed, already so,
//! changed by someone else meanwhile (named, each a link to open), not allowed (with why),
//! or gone.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::bulk::{BulkMember, BulkProgress};
use super::load_bulk_progress;
use crate::admin_frame::AdminLayout;
use crate::error::AppError;
use crate::ui::polling::poll_while;

#[component]
pub fn BulkActionPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    });
    let tick = RwSignal::new(0_u32);
    let progress = Resource::new(
        move || (id.get(), tick.get()),
        |(id, _)| load_bulk_progress(id),
    );
    // While it runs, ask again a second after each answer.
    poll_while(
        tick,
        move || matches!(progress.get(), Some(Ok(p)) if p.is_moving()),
    );
    view! {
        <Title text="Bulk action · Frontdesk"/>
        <AdminLayout>
            <p><a href="/admin/users">"Back to Users"</a></p>
            <Transition fallback=|| view! { <h1>"Bulk action"</h1><p class="loading">"Loading…"</p> }>
                {move || progress.get().map(|result| match result {
                    Ok(p) => view! { <Progress p/> }.into_any(),
                    Err(err) => view! {
                        <h1>"Bulk action"</h1>
                        <p class="form-error" role="alert">{match err {
                            AppError::NotFound => "This bulk action does not exist, or another admin started it.".to_owned(),
                            other => other.to_string(),
                        }}</p>
                    }.into_any(),
                })}
            </Transition>
        </AdminLayout>
    }
}

/// What the state says aloud.
fn state_text(p: &BulkProgress) -> String {
    match p.state.as_str() {
        "selecting" => "Listing the members of the view…".to_owned(),
        "running" => "Working…".to_owned(),
        "done" => format!(
            "Done{}.",
            p.finished
                .as_ref()
                .map(|at| format!(" at {at}"))
                .unwrap_or_default()
        ),
        "failed" => format!(
            "Stopped: errors kept it from finishing. The {} members done stay done; choose the action again for the rest.",
            crate::text::thousands(p.done)
        ),
        _ => "Not confirmed: nothing was changed.".to_owned(),
    }
}

#[component]
fn Progress(p: BulkProgress) -> impl IntoView {
    let n = |v: u64| crate::text::thousands(v);
    let member_link = |m: &BulkMember| {
        let url = format!("/admin/users?q={}&member={}&tab=profile", m.id, m.id);
        let text = if m.name.is_empty() {
            format!("ID: {}", m.id)
        } else {
            format!("{} (ID: {})", m.name, m.id)
        };
        view! { <a href=url>{text}</a> }
    };
    let conflicted = p.conflicted.clone();
    let refused = p.refused_members.clone();
    view! {
        <h1>{p.title.clone()}</h1>
        <p>{format!("On {}; started {}.", p.scope, p.created)}</p>
        <div class="bulk-progress">
            <label for="bulk-progress-bar">{p.done_label()}</label>
            <progress id="bulk-progress-bar" max=p.total.max(1).to_string() value=p.done.to_string()></progress>
        </div>
        <p role="status" id="bulk-state">{state_text(&p)}</p>
        <dl class="bulk-result">
            <dt>"Changed"</dt><dd id="bulk-changed">{n(p.changed)}</dd>
            <dt>"Already so"</dt><dd id="bulk-unchanged">{n(p.unchanged)}</dd>
            <dt>"Changed by someone else since the selection (left as they were)"</dt>
            <dd id="bulk-conflicts">{n(p.conflicts)}</dd>
            <dt>"Not allowed"</dt><dd id="bulk-refused">{n(p.refused)}</dd>
            <dt>"No longer in your clinics"</dt><dd id="bulk-gone">{n(p.gone)}</dd>
        </dl>
        {(!conflicted.is_empty()).then(|| view! {
            <h2>"Changed by someone else"</h2>
            <p>"These members changed after they were selected and were left as they are. Open each to see the change, and act on them one by one."</p>
            <ul class="bulk-members">
                {conflicted.iter().map(|m| view! { <li>{member_link(m)}</li> }).collect_view()}
            </ul>
        })}
        {(!refused.is_empty()).then(|| view! {
            <h2>"Not allowed"</h2>
            <ul class="bulk-members">
                {refused.iter().map(|(m, why)| view! { <li>{member_link(m)}": "{why.clone()}</li> }).collect_view()}
            </ul>
        })}
    }
}
