//! A modal dialog over the users page. The server renders it open (so a reloaded URL shows
//! it, also without JavaScript); in the browser it becomes a true modal (`showModal`): the
//! page behind is inert, focus stays inside, and Esc closes it through `on_close`.

use leptos::prelude::*;

#[component]
pub fn Modal(
    /// The ID of the heading that names the dialog.
    labelled_by: &'static str,
    #[prop(into)] on_close: Callback<()>,
    #[prop(optional)] wide: bool,
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(el) = dialog.get() {
            if el.open() {
                el.close();
            }
            let _ = el.show_modal();
        }
    });
    view! {
        <dialog class="modal" class:wide=wide node_ref=dialog open=true aria-labelledby=labelled_by
            on:cancel=move |ev: leptos::ev::Event| {
                ev.prevent_default();
                on_close.run(());
            }>
            <button type="button" class="icon-button close" aria-label="Close"
                on:click=move |_| on_close.run(())>"✕"</button>
            {children()}
        </dialog>
    }
}

/// Moves focus to the element with `id` once the page has settled (after a dialog closes,
/// back to the button that opened it). Tries for a moment: the element may still be behind
/// a closing dialog, or not rendered yet.
pub fn focus_later(id: String) {
    #[cfg(feature = "hydrate")]
    try_focus(id, 20);
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

#[cfg(feature = "hydrate")]
fn try_focus(id: String, tries_left: u32) {
    use leptos::wasm_bindgen::JsCast;
    gloo_timers::callback::Timeout::new(25, move || {
        let doc = document();
        let focused = doc
            .get_element_by_id(&id)
            .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok())
            .is_some_and(|el| {
                let _ = el.focus();
                doc.active_element().is_some_and(|active| active.id() == id)
            });
        if !focused && tries_left > 0 {
            try_focus(id, tries_left - 1);
        }
    })
    .forget();
}
