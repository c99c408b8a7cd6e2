//! The users page's bulk actions: a checkbox on each row and one for the page (in the
//! server's table), "Select all N matching" for the whole view, the action bar, and the
//! confirmation that names the action and how many members it changes. Confirmed, the
//! action runs in the background and its progress page opens; the page lists the admin's
//! recent actions to go back to.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::bulk::BulkLine;
use super::bulk::{BulkKind, BulkPrepared, BulkScope};
use super::{UsersQuery, confirm_bulk, prepare_bulk};
use crate::error::AppError;
use crate::ui::modal::Modal;

/// The action list's value for "Export selected" (not a background action: a download).
const EXPORT: &str = "export";

/// Which members are selected: those ticked on the page, or (`all_matching`) every member
/// the view matches.
#[derive(Clone, Copy)]
pub struct Selection {
    pub picked: RwSignal<Vec<i64>>,
    /// How many rows the page shows.
    pub on_page: RwSignal<usize>,
    pub all_matching: RwSignal<bool>,
    /// The table's count line ("2,345 users"), as the server wrote it.
    pub count: RwSignal<String>,
}

impl Selection {
    pub fn new() -> Self {
        Self {
            picked: RwSignal::new(Vec::new()),
            on_page: RwSignal::new(0),
            all_matching: RwSignal::new(false),
            count: RwSignal::new(String::new()),
        }
    }

    /// A new table is shown: nothing of it is ticked.
    pub fn clear(&self) {
        self.picked.set(Vec::new());
        self.all_matching.set(false);
    }

    /// Reads the ticks after a checkbox in the table changed (`ev`, heard on the element
    /// around the table); the page's own checkbox ticks or unticks every row.
    pub fn on_change(&self, ev: leptos::ev::Event) {
        #[cfg(feature = "hydrate")]
        {
            use leptos::wasm_bindgen::JsCast;
            use leptos::web_sys::{Element, HtmlInputElement};
            let Some(target) = ev
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            else {
                return;
            };
            let Some(area) = ev
                .current_target()
                .and_then(|t| t.dyn_into::<Element>().ok())
            else {
                return;
            };
            let boxes: Vec<HtmlInputElement> = area
                .query_selector_all("input.pick-member")
                .map(|list| {
                    (0..list.length())
                        .filter_map(|i| list.item(i))
                        .filter_map(|n| n.dyn_into::<HtmlInputElement>().ok())
                        .collect()
                })
                .unwrap_or_default();
            if target.id() == "pick-page" {
                for b in &boxes {
                    b.set_checked(target.checked());
                }
            } else if !target.class_list().contains("pick-member") {
                return;
            }
            let picked: Vec<i64> = boxes
                .iter()
                .filter(|b| b.checked())
                .filter_map(|b| b.value().parse().ok())
                .collect();
            let whole_page = !boxes.is_empty() && picked.len() == boxes.len();
            if let Some(page_box) = area
                .query_selector("#pick-page")
                .ok()
                .flatten()
                .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
            {
                page_box.set_checked(whole_page);
                page_box.set_indeterminate(!picked.is_empty() && !whole_page);
            }
            if !whole_page {
                self.all_matching.set(false);
            }
            if let Some(line) = area.query_selector("p.summary").ok().flatten() {
                self.count.set(line.text_content().unwrap_or_default());
            }
            self.on_page.set(boxes.len());
            self.picked.set(picked);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    }
}

impl Default for Selection {
    fn default() -> Self {
        Self::new()
    }
}

/// "2,345 users" as 2,345, and whether more match ("10,000+ users").
fn count_of(label: &str) -> (u64, bool) {
    let digits: String = label.chars().filter(char::is_ascii_digit).collect();
    (digits.parse().unwrap_or(0), label.contains('+'))
}

/// The bar over the table while members are selected.
#[component]
pub fn BulkBar(
    selection: Selection,
    view_query: Memo<UsersQuery>,
    rooms: Resource<Result<Vec<super::RoomOption>, AppError>>,
    /// Export CSV's address for a view ("Export selected" narrows it to the picked).
    export_href: fn(&UsersQuery) -> String,
) -> impl IntoView {
    let kind = RwSignal::new(String::new());
    let room = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let prepared = RwSignal::new(None::<BulkPrepared>);
    let count = selection.count;
    let needs_room = move || BulkKind::from_key(&kind.get()).is_some_and(BulkKind::needs_room);
    let picked_text = move || {
        if selection.all_matching.get() {
            format!("All {} matching this view are selected.", count.get())
        } else {
            match selection.picked.get().len() {
                1 => "1 user selected.".to_owned(),
                n => format!("{n} users selected."),
            }
        }
    };
    let can_widen = move || {
        let (n, more) = count_of(&count.get());
        let picked = selection.picked.get().len();
        !selection.all_matching.get()
            && picked > 0
            && picked == selection.on_page.get()
            && (more || n > picked as u64)
    };
    let apply = move |_| {
        error.set(None);
        let chosen = kind.get_untracked();
        let view = view_query.get_untracked().first_page();
        let all = selection.all_matching.get_untracked();
        let picked = selection.picked.get_untracked();
        if chosen == EXPORT {
            let mut url = export_href(&view);
            if !all {
                let ids: Vec<String> = picked.iter().map(i64::to_string).collect();
                let sep = if url.contains('?') { '&' } else { '?' };
                url = format!("{url}{sep}ids={}", ids.join(","));
            }
            let _ = window().location().set_href(&url);
            return;
        }
        if chosen.is_empty() {
            error.set(Some("Choose an action.".to_owned()));
            return;
        }
        let room_id = room.get_untracked().parse::<i64>().ok();
        if needs_room() && room_id.is_none() {
            error.set(Some("Choose a room.".to_owned()));
            return;
        }
        let scope = if all {
            BulkScope::View(view)
        } else {
            BulkScope::Picked(picked)
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = prepare_bulk(chosen, room_id, scope).await;
            busy.set(false);
            match result {
                Ok(p) => prepared.set(Some(p)),
                Err(err) => error.set(Some(err.to_string())),
            }
        });
    };
    let room_options = move || {
        rooms.get().and_then(Result::ok).map(|rooms| {
            rooms
                .into_iter()
                .map(|r| view! { <option value=r.id.to_string()>{r.name}</option> })
                .collect_view()
        })
    };
    view! {
        <Show when=move || !selection.picked.get().is_empty()>
            <div class="bulk-bar" role="group" aria-label="Selected users">
                <p class="bulk-count" id="bulk-count" aria-live="polite">{picked_text}</p>
                <Show when=can_widen>
                    <button type="button" class="link-button" id="select-all-matching"
                        on:click=move |_| {
                            selection.all_matching.set(true);
                            crate::ui::modal::focus_later("select-page-only".to_owned());
                        }>
                        {move || format!("Select all {} matching this view", count.get())}
                    </button>
                </Show>
                <Show when=move || selection.all_matching.get()>
                    <button type="button" class="link-button" id="select-page-only"
                        on:click=move |_| {
                            selection.all_matching.set(false);
                            crate::ui::modal::focus_later("select-all-matching".to_owned());
                        }>
                        "Select this page only"
                    </button>
                </Show>
                <label>
                    <span>"Action"</span>
                    <select id="bulk-action" on:change=move |ev| kind.set(event_target_value(&ev))
                        prop:value=move || kind.get()>
                        <option value="">"Choose an action"</option>
                        {BulkKind::ALL.into_iter().map(|k| view! {
                            <option value=k.key()>{k.label()}</option>
                        }).collect_view()}
                        <option value=EXPORT>"Export selected"</option>
                    </select>
                </label>
                <Show when=needs_room>
                    <label>
                        <span>"Room"</span>
                        <select id="bulk-room" on:change=move |ev| room.set(event_target_value(&ev))
                            prop:value=move || room.get()>
                            <option value="">"Choose a room"</option>
                            <Suspense>{room_options}</Suspense>
                        </select>
                    </label>
                </Show>
                <button type="button" class="button" id="bulk-apply" on:click=apply
                    disabled=move || busy.get()>"Apply to selected"</button>
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            </div>
        </Show>
        {move || prepared.get().map(|p| {
            let on_close = Callback::new(move |()| {
                prepared.set(None);
                crate::ui::modal::focus_later("bulk-apply".to_owned());
            });
            view! { <BulkConfirm prepared=p on_close/> }
        })}
    }
}

/// The admin's recent bulk actions, each a link to its progress, asked for once the page
/// runs in the browser (the server's render never waits for them).
#[component]
pub fn RecentBulk() -> impl IntoView {
    let recent = RwSignal::new(Vec::<BulkLine>::new());
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            if let Ok(lines) = super::recent_bulk().await {
                recent.set(lines);
            }
        });
    });
    move || {
        let lines = recent.get();
        (!lines.is_empty()).then(|| {
            view! {
                <ul class="bulk-recent" aria-label="Your bulk actions">
                    {lines.into_iter().map(|l| view! {
                        <li><a href=format!("/admin/bulk/{}", l.id)>{l.title}</a>": "{l.state}</li>
                    }).collect_view()}
                </ul>
            }
        })
    }
}

/// "Suspend 3 members?": what the action does to each, and the confirming button.
#[component]
fn BulkConfirm(prepared: BulkPrepared, #[prop(into)] on_close: Callback<()>) -> impl IntoView {
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let id = prepared.id;
    let confirm = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match confirm_bulk(id).await {
                Ok(id) => navigate(&format!("/admin/bulk/{id}"), Default::default()),
                Err(err) => {
                    busy.set(false);
                    error.set(Some(err.to_string()));
                }
            }
        });
    };
    view! {
        <Modal labelled_by="bulk-title" on_close>
            <h2 id="bulk-title">{prepared.question.clone()}</h2>
            <p>{prepared.consequence.clone()}</p>
            <p>"It runs in the background: you can leave this page and come back to its progress."</p>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <div class="form-actions">
                // Focus starts on Cancel: Enter alone never changes many members.
                <button type="button" class="button" autofocus on:click=move |_| on_close.run(())>"Cancel"</button>
                <button type="button" class="button primary" id="bulk-confirm"
                    on:click=confirm disabled=move || busy.get()>{prepared.confirm.clone()}</button>
            </div>
        </Modal>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_read_from_the_count_line() {
        assert_eq!(count_of("2,345 users"), (2345, false));
        assert_eq!(count_of("10,000+ users"), (10000, true));
        assert_eq!(count_of("1 user"), (1, false));
    }
}
