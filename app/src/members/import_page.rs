//! Import CSV's pages: the form that sends a file (`/admin/users/import`), and the import
//! (`/admin/import/:id`): the preview with its plan and rejected rows and the Import button,
//! then the progress (read again each second while it runs) and the result. The file is
//! sent by the form itself, with or without JavaScript.

use crate::ui::post_form::PostForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::import::{
    EarlyRefusal, FORM_PATH, ImportLine, ImportProgress, MAX_FILE_WORDS, UPLOAD_PATH, rows_count,
    states,
};
use super::types::FormOptions;
use super::{StartImport, load_import, member_form_options};
use crate::admin_frame::AdminLayout;
use crate::error::AppError;
use crate::ui::polling::poll_while;

#[component]
pub fn ImportFormPage() -> impl IntoView {
    let query = use_query_map();
    let refusal = query
        .read_untracked()
        .get("refused")
        .and_then(|key| EarlyRefusal::from_key(&key))
        .map(EarlyRefusal::message);
    let options = Resource::new(|| (), |()| member_form_options());
    view! {
        <Title text="Import CSV · Frontdesk"/>
        <AdminLayout>
            <p><a href="/admin/users">"Back to Users"</a></p>
            <h1>"Import CSV"</h1>
            <ImportForm options refusal/>
        </AdminLayout>
    }
}

/// The file, the room of new members without one, and the welcome email: sent as a form.
/// The rooms come from `options`, made by the page itself: a resource first made inside a
/// `Transition`'s content, as a refused import's page would, may miss its server value
/// while the page hydrates and panic.
#[component]
fn ImportForm(
    options: Resource<Result<FormOptions, AppError>>,
    refusal: Option<String>,
) -> impl IntoView {
    let file_error = RwSignal::new(refusal);
    // With JavaScript, a file past the limit is refused as soon as it is chosen.
    let on_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let size = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .and_then(|input| input.files())
                .and_then(|files| files.get(0))
                .map_or(0.0, |file| file.size());
            file_error.set(
                (size > super::import::MAX_FILE_BYTES as f64)
                    .then(|| EarlyRefusal::TooLarge.message()),
            );
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if file_error.get_untracked().as_deref() == Some(&EarlyRefusal::TooLarge.message()) {
            ev.prevent_default();
        }
    };
    view! {
        <p>"Choose a CSV file with the columns Export CSV writes, in any order, under a first line that names them. "
           "Username, First Name, Last Name and Email are required. "
           "Nothing is written until you press Import on the preview."</p>
        <form class="form" method="post" action=UPLOAD_PATH enctype="multipart/form-data"
            on:submit=on_submit>
            <div class="field">
                <label for="import-room">"Room for new members without one"</label>
                <Suspense fallback=|| view! { <select id="import-room" name="room" disabled=true></select> }>
                    {move || options.get().map(|result| match result {
                        Ok(o) => {
                            let many = o.clinics.len() > 1;
                            view! {
                                <select id="import-room" name="room" required aria-describedby="import-room-hint">
                                    {o.clinics.into_iter().map(|c| {
                                        let rooms = c.rooms.into_iter().map(|r| view! {
                                            <option value=r.id.to_string()>{r.name}</option>
                                        }).collect_view();
                                        if many {
                                            view! { <optgroup label=c.name>{rooms}</optgroup> }.into_any()
                                        } else {
                                            rooms.into_any()
                                        }
                                    }).collect_view()}
                                </select>
                            }.into_any()
                        }
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    })}
                </Suspense>
                <p id="import-room-hint" class="hint">"Members are imported into this room's clinic. A row's Rooms column (room codes) chooses its rooms instead."</p>
            </div>
            <div class="field checkbox">
                <input type="checkbox" id="import-welcome" name="welcome" value="1"/>
                <label for="import-welcome">"Send the welcome email to new members, so each can set a password"</label>
            </div>
            <div class="field">
                <label for="import-file">"CSV file"</label>
                <input type="file" id="import-file" name="file" accept=".csv,text/csv" required
                    on:change=on_file
                    aria-invalid=move || file_error.get().is_some().to_string()
                    aria-describedby="import-file-hint import-file-error"/>
                <p id="import-file-hint" class="hint">{format!("UTF-8, up to {MAX_FILE_WORDS}.")}</p>
                <p id="import-file-error" class="field-error">{move || file_error.get()}</p>
            </div>
            <button type="submit" id="import-preview" class="button primary">"Preview"</button>
        </form>
    }
}

#[component]
pub fn ImportPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    });
    let start = ServerAction::<StartImport>::new();
    // For a refused file's page, which shows the form again.
    let options = Resource::new(|| (), |()| member_form_options());
    let tick = RwSignal::new(0_u32);
    let progress = Resource::new(
        move || (id.get(), tick.get(), start.version().get()),
        |(id, _, _)| load_import(id),
    );
    // While it runs, ask again a second after each answer.
    poll_while(
        tick,
        move || matches!(progress.get(), Some(Ok(p)) if p.is_moving()),
    );
    view! {
        <Title text="Import CSV · Frontdesk"/>
        <AdminLayout>
            <p><a href="/admin/users">"Back to Users"</a></p>
            <Transition fallback=|| view! { <h1>"Import CSV"</h1><p class="loading">"Loading…"</p> }>
                {move || progress.get().map(|result| match result {
                    Ok(p) if p.state == states::REFUSED => view! {
                        <h1>"Import CSV"</h1>
                        <p>{format!("“{}” was not read: nothing was imported.", p.file_name)}</p>
                        <ImportForm options refusal=p.refusal.clone()/>
                    }.into_any(),
                    Ok(p) if p.state == states::PREVIEWED || p.state == states::READING => {
                        view! { <Preview p start/> }.into_any()
                    }
                    Ok(p) => view! { <Outcome p/> }.into_any(),
                    Err(err) => view! {
                        <h1>"Import CSV"</h1>
                        <p class="form-error" role="alert">{match err {
                            AppError::NotFound => "This import does not exist, or another admin started it.".to_owned(),
                            other => other.to_string(),
                        }}</p>
                    }.into_any(),
                })}
            </Transition>
        </AdminLayout>
    }
}

/// Rows with their line numbers and why.
#[component]
fn Lines(lines: Vec<ImportLine>, id: &'static str) -> impl IntoView {
    view! {
        <table class="import-lines" id=id>
            <thead><tr><th scope="col">"Line"</th><th scope="col">"Why"</th></tr></thead>
            <tbody>
                {lines.into_iter().map(|l| view! {
                    <tr>
                        <td>{l.line}</td>
                        <td><ul class="changes">{l.messages.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// "Showing the first 200 of 1,234."
fn shown_of(shown: usize, total: u64) -> Option<String> {
    (total > shown as u64).then(|| {
        format!(
            "Showing the first {} of {}.",
            shown,
            crate::text::thousands(total)
        )
    })
}

#[component]
fn Preview(p: ImportProgress, start: ServerAction<StartImport>) -> impl IntoView {
    let n = |v: u64| crate::text::thousands(v);
    let writes = p.to_create + p.to_update;
    let error = move || match start.value().get() {
        Some(Err(err)) => Some(err.to_string()),
        _ => None,
    };
    let rejected_shown = shown_of(p.rejected_lines.len(), p.to_reject);
    let flagged_shown = shown_of(p.flagged_lines.len(), p.to_flag);
    view! {
        <h1>{format!("Import preview: {}", p.file_name)}</h1>
        <p>{format!(
            "{} read into {}. Nothing has been written yet. New members without a room join {}; the welcome email {}.",
            rows_count(p.total),
            p.clinic,
            p.room,
            if p.welcome {
                "is sent to each"
            } else {
                "is not sent (they sign in once they set a password with Forgot password, or after you send each a reset)"
            },
        )}</p>
        <dl class="bulk-result" id="import-plan">
            <dt>"To create"</dt><dd id="import-to-create">{n(p.to_create)}</dd>
            <dt>"To update"</dt><dd id="import-to-update">{n(p.to_update)}</dd>
            <dt>"Unchanged"</dt><dd id="import-to-keep">{n(p.to_keep)}</dd>
            <dt>"Rejected"</dt><dd id="import-to-reject">{n(p.to_reject)}</dd>
            <dt>"Of those to create, possible duplicates"</dt><dd id="import-to-flag">{n(p.to_flag)}</dd>
        </dl>
        <p class="hint">"Members already here are matched by username, then by email, and their profiles updated from the file. Their user type, status and rooms stay as they are."</p>
        {(!p.ignored.is_empty()).then(|| view! {
            <p id="import-ignored">{format!("These columns are not imported: {}.", p.ignored.join(", "))}</p>
        })}
        {(!p.flagged_lines.is_empty()).then(|| view! {
            <h2>"Possible duplicates"</h2>
            <p>"These rows create members with the first and last name and date of birth, or the phone, of a member the clinic already has (by ID). Import creates them anyway, and the audit log says so: to leave one out, open the member to check, and take the row out of the file."</p>
            {flagged_shown.clone().map(|s| view! { <p>{s}</p> })}
            <Lines lines=p.flagged_lines.clone() id="import-flagged"/>
        })}
        {(!p.rejected_lines.is_empty()).then(|| view! {
            <h2>"Rejected rows"</h2>
            <p>"These rows are not imported. Correct them in the file and import it again: rows already imported are matched, not repeated."</p>
            {rejected_shown.clone().map(|s| view! { <p>{s}</p> })}
            <Lines lines=p.rejected_lines.clone() id="import-rejected"/>
        })}
        {if writes == 0 {
            view! { <p id="import-nothing" role="status">"Nothing to import: no row creates or changes a member."</p> }.into_any()
        } else {
            view! {
                <PostForm action=start class="form">
                    <input type="hidden" name="id" value=p.id.to_string()/>
                    {move || error().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
                    <div class="dialog-actions">
                        <a class="button" href="/admin/users">"Cancel"</a>
                        <button type="submit" id="import-start" class="button primary"
                            disabled=move || start.pending().get()>
                            {format!("Import {}", rows_count(writes))}
                        </button>
                    </div>
                </PostForm>
            }.into_any()
        }}
    }
}

/// What the state says aloud.
fn state_text(p: &ImportProgress) -> String {
    match p.state.as_str() {
        states::RUNNING => "Importing…".to_owned(),
        states::DONE => format!(
            "Done{}.",
            p.finished
                .as_ref()
                .map(|at| format!(" at {at}"))
                .unwrap_or_default()
        ),
        _ => format!(
            "Stopped: the {} rows written stay written. Import the same file again to finish: rows already imported are matched, not repeated.",
            crate::text::thousands(p.done)
        ),
    }
}

#[component]
fn Outcome(p: ImportProgress) -> impl IntoView {
    let n = |v: u64| crate::text::thousands(v);
    let rejected_shown = shown_of(p.rejected_lines.len(), p.to_reject);
    view! {
        <h1>{format!("Import: {}", p.file_name)}</h1>
        <p>{format!("Into {}; started {}.", p.clinic, p.created_at)}</p>
        <div class="bulk-progress">
            <label for="import-progress-bar">{p.done_label()}</label>
            <progress id="import-progress-bar" max=p.total.max(1).to_string() value=p.done.to_string()></progress>
        </div>
        <p role="status" id="import-state">{state_text(&p)}</p>
        <dl class="bulk-result">
            <dt>"Created"</dt><dd id="import-created">{n(p.created)}</dd>
            <dt>"Updated"</dt><dd id="import-updated">{n(p.updated)}</dd>
            <dt>"Unchanged"</dt><dd id="import-unchanged">{n(p.unchanged)}</dd>
            <dt>"Rejected"</dt><dd id="import-rejected-count">{n(p.rejected)}</dd>
            <dt>"Changed since the preview (left as they were)"</dt><dd id="import-conflicts">{n(p.conflicts)}</dd>
        </dl>
        {(!p.conflict_lines.is_empty()).then(|| view! {
            <h2>"Changed since the preview"</h2>
            <Lines lines=p.conflict_lines.clone() id="import-conflict-lines"/>
        })}
        {(!p.rejected_lines.is_empty()).then(|| view! {
            <h2>"Rejected rows"</h2>
            {rejected_shown.clone().map(|s| view! { <p>{s}</p> })}
            <Lines lines=p.rejected_lines.clone() id="import-rejected"/>
        })}
        <p><a href=FORM_PATH>"Import another file"</a></p>
    }
}
