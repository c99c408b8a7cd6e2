//! "Possible duplicate": before a new member is created, or a profile saved, whose first and
//! last name and date of birth, or whose phone, match a member of the same clinic, the admin
//! sees who matched and chooses: go back, or go ahead (which the audit log records).
//!
//! The server answers such a save with [`crate::error::AppError::PossibleDuplicates`]; the
//! form sends again with `possible_duplicates_seen` holding the IDs the admin was shown. A
//! member who came to match in between is shown then, not passed over.

use leptos::prelude::*;

pub use crate::error::PossibleDuplicate;

/// The matches a form is showing, while the admin chooses.
pub type Shown = RwSignal<Option<Vec<PossibleDuplicate>>>;

/// Shows a save's refusal on its form: the matches when the server held it back as a
/// possible duplicate (focus on the warning), the form's messages otherwise.
pub fn show_refusal(shown: Shown, form: super::form::FormState, err: crate::error::AppError) {
    match err {
        crate::error::AppError::PossibleDuplicates { matches } => {
            shown.set(Some(matches));
            crate::ui::modal::focus_later("possible-duplicate-title".into());
        }
        err => {
            shown.set(None);
            form.show_error(err);
        }
    }
}

/// The IDs of the matches shown: what "Create anyway" or "Save anyway" sends as seen.
pub fn seen(shown: Shown) -> Vec<i64> {
    shown.with_untracked(|m| m.iter().flatten().map(|m| m.id).collect())
}

/// The warning over a form's buttons: who matched, each with a link that opens them in a
/// new tab, and the two ways on. `go_ahead` names the button that saves anyway ("Create
/// anyway", "Save anyway").
#[component]
pub fn PossibleDuplicates(
    matches: Signal<Option<Vec<PossibleDuplicate>>>,
    go_ahead: &'static str,
    #[prop(into)] on_back: Callback<()>,
    #[prop(into)] on_go_ahead: Callback<()>,
    busy: Signal<bool>,
) -> impl IntoView {
    view! {
        {move || matches.get().map(|found| {
            let one = found.len() == 1;
            view! {
                <section class="warning possible-duplicates" role="group" aria-labelledby="possible-duplicate-title"
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Escape" {
                            ev.prevent_default();
                            ev.stop_propagation();
                            on_back.run(());
                        }
                    }>
                    <h3 id="possible-duplicate-title" tabindex="-1">"Possible duplicate"</h3>
                    <p>{if one {
                        "This clinic already has a member who may be the same person:"
                    } else {
                        "This clinic already has members who may be the same person:"
                    }}</p>
                    <ul>
                        {found.into_iter().map(|m| view! {
                            <li>
                                <a href=format!("/admin/users?member={}", m.id) target="_blank" rel="noopener">
                                    {m.name.clone()}
                                </a>
                                {format!(" · Date of birth: {} · ID: {} · {}", m.birth_label(), m.id, m.reason())}
                            </li>
                        }).collect_view()}
                    </ul>
                    <p>{format!("Open {} to check (in a new tab). If this is someone else, choose {go_ahead}.",
                        if one { "the member" } else { "each member" })}</p>
                    <div class="form-actions">
                        <button type="button" class="button" on:click=move |_| on_back.run(())>"Go back"</button>
                        <button type="button" id="go-ahead-duplicate" class="button primary"
                            aria-disabled=move || busy.get().to_string()
                            on:click=move |_| on_go_ahead.run(())>{go_ahead}</button>
                    </div>
                </section>
            }
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_match_reads_as_the_form_writes_dates_and_says_what_matched() {
        let m = PossibleDuplicate {
            id: 7,
            name: "Jane Gomez".into(),
            date_of_birth: Some("1990-04-08".into()),
            same_name_and_birth: true,
            same_phone: false,
        };
        assert_eq!(m.birth_label(), "04/08/1990");
        assert_eq!(m.reason(), "Same name and date of birth");
        let phone_only = PossibleDuplicate {
            date_of_birth: None,
            same_name_and_birth: false,
            same_phone: true,
            ..m
        };
        assert_eq!(phone_only.birth_label(), "—");
        assert_eq!(phone_only.reason(), "Same phone");
    }
}
