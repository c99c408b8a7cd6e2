//! The two-step pages' form fields: a label, the input, and its error below it.

use leptos::prelude::*;

/// A password or code field with its error below it.
pub(super) fn field(
    id: &'static str,
    label: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
    error: impl Fn(&'static str) -> Option<String> + Copy + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id name=id type=kind autocomplete=autocomplete required
                inputmode=(kind == "text" && id == "code").then_some("numeric")
                aria-invalid=move || error(id).is_some().to_string()
                aria-describedby=format!("{id}-error")/>
            <p id=format!("{id}-error") class="field-error">{move || error(id)}</p>
        </div>
    }
}
