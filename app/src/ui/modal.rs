//! A modal dialog over the users page. The server renders it open (so a reloaded URL shows
//! it, also without JavaScript); in the browser it becomes a true modal (`showModal`): the
//! page behind is inert, focus stays inside, and Esc closes it through `on_close`, asking
//! "Discard changes?" first when the form inside has unsaved typing.

use leptos::prelude::*;

/// What a dialog's contents use to close it, and to say whether closing would lose typing.
/// Escape, ✕ and the forms' Cancel all go through [`ModalClose::request`].
#[derive(Clone, Copy)]
pub struct ModalClose {
    unsaved: RwSignal<Option<Signal<bool>>>,
    asking: RwSignal<bool>,
    close: Callback<()>,
}

impl ModalClose {
    /// Closes the dialog, after asking "Discard changes?" when the form has unsaved typing.
    pub fn request(&self) {
        let unsaved = self
            .unsaved
            .try_get_untracked()
            .flatten()
            .and_then(|dirty| dirty.try_get_untracked())
            .unwrap_or(false);
        if unsaved {
            remember_focus();
            self.asking.set(true);
            focus_later("discard-keep".into());
        } else {
            self.close_now();
        }
    }

    /// Closes without asking. The focused field is let go first, while its form still
    /// exists: its blur handler runs against live state, never after the dialog is gone.
    pub fn close_now(&self) {
        blur_focused();
        self.close.run(());
    }

    /// The form's "has unsaved changes", read when a close is requested (a form that is
    /// gone counts as saved).
    pub fn track_unsaved(&self, dirty: Signal<bool>) {
        self.unsaved.set(Some(dirty));
    }
}

#[component]
pub fn Modal(
    /// The ID of the heading that names the dialog.
    labelled_by: &'static str,
    #[prop(into)] on_close: Callback<()>,
    #[prop(optional)] wide: bool,
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let close = ModalClose {
        unsaved: RwSignal::new(None),
        asking: RwSignal::new(false),
        close: on_close,
    };
    provide_context(close);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(el) = dialog.get() {
            if el.open() {
                el.close();
            }
            let _ = el.show_modal();
            focus_autofocus(el, 80);
        }
    });
    let keep_editing = move || {
        close.asking.set(false);
        restore_focus();
    };
    view! {
        <dialog class="modal" class:wide=wide node_ref=dialog open=true aria-labelledby=labelled_by
            on:cancel=move |ev: leptos::ev::Event| {
                ev.prevent_default();
                if close.asking.get_untracked() {
                    keep_editing();
                } else {
                    close.request();
                }
            }>
            <button type="button" class="icon-button close" aria-label="Close"
                on:click=move |_| close.request()>"✕"</button>
            <div class="discard" role="alertdialog" aria-labelledby="discard-title"
                    aria-describedby="discard-text" hidden=move || !close.asking.get()>
                    <p id="discard-title"><strong>"Discard changes?"</strong></p>
                    <p id="discard-text">"What you typed here will be lost."</p>
                    <div class="form-actions">
                        <button type="button" id="discard-keep" class="button"
                            on:click=move |_| keep_editing()>"Keep editing"</button>
                        <button type="button" class="button danger"
                            on:click=move |_| {
                                close.asking.set(false);
                                close.close_now();
                            }>"Discard"</button>
                    </div>
            </div>
            {children()}
        </dialog>
    }
}

/// Puts focus on the dialog's `autofocus` element once its contents have loaded. Opened in
/// the page (not loaded with it), the dialog shows before its contents: the browser's own
/// autofocus has found only ✕ by then. Focus the user moved elsewhere is left alone.
#[cfg(feature = "hydrate")]
fn focus_autofocus(dialog: leptos::web_sys::HtmlDialogElement, tries_left: u32) {
    use leptos::wasm_bindgen::JsCast;
    gloo_timers::callback::Timeout::new(25, move || {
        if !dialog.is_connected() {
            return;
        }
        let doc = document();
        let unmoved = doc.active_element().is_none_or(|active| {
            active == *dialog.unchecked_ref::<leptos::web_sys::Element>()
                || doc
                    .body()
                    .is_some_and(|b| active == *b.unchecked_ref::<leptos::web_sys::Element>())
                || active.class_list().contains("close")
        });
        if !unmoved {
            return;
        }
        match dialog
            .query_selector("[autofocus]")
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok())
        {
            Some(target) => {
                let _ = target.focus();
            }
            None if tries_left > 0 => focus_autofocus(dialog, tries_left - 1),
            None => {}
        }
    })
    .forget();
}

/// Lets go of the focused element (firing its blur handler now).
fn blur_focused() {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        if let Some(el) = document()
            .active_element()
            .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok())
        {
            let _ = el.blur();
        }
    }
}

// The element focused when "Discard changes?" was asked, to return to on "Keep editing".
#[cfg(feature = "hydrate")]
thread_local! {
    static ASKED_FROM: std::cell::RefCell<Option<leptos::web_sys::HtmlElement>> =
        const { std::cell::RefCell::new(None) };
}

fn remember_focus() {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let focused = document()
            .active_element()
            .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok());
        ASKED_FROM.with(|f| *f.borrow_mut() = focused);
    }
}

fn restore_focus() {
    #[cfg(feature = "hydrate")]
    ASKED_FROM.with(|f| {
        if let Some(el) = f.borrow_mut().take()
            && el.is_connected()
        {
            let _ = el.focus();
        }
    });
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
