//! Where focus goes when the router shows another page. A page loaded by the browser starts
//! with focus at the top, and a screen reader reads its title; a page the router swaps in
//! would leave focus nowhere (the link pressed is gone) and say nothing. So, after a move to
//! another path, focus goes to the new page's main heading, which a screen reader reads out.
//! A change of the query alone (a search, a dialog) moves nothing; neither does a move after
//! which focus is still on something (the control pressed survived, or a dialog took it).

use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// Put once inside the router.
#[component]
pub fn PageFocus() -> impl IntoView {
    let pathname = use_location().pathname;
    Effect::new(move |previous: Option<String>| {
        let now = pathname.get();
        if previous.is_some_and(|p| p != now) {
            focus_heading(80);
        }
        now
    });
}

/// The same for a page that changed in place (a form replaced by its answer): focus goes to
/// the main heading when it is nowhere.
pub fn focus_main_heading() {
    focus_heading(80);
}

fn focus_heading(tries_left: u32) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        gloo_timers::callback::Timeout::new(25, move || {
            let doc = document();
            let lost = doc.active_element().is_none_or(|a| {
                doc.body()
                    .is_some_and(|b| a == *b.unchecked_ref::<leptos::web_sys::Element>())
            });
            if !lost {
                return;
            }
            let heading = doc
                .query_selector("main h1")
                .ok()
                .flatten()
                .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok());
            match heading {
                Some(h) => {
                    if !h.has_attribute("tabindex") {
                        let _ = h.set_attribute("tabindex", "-1");
                    }
                    let _ = h.focus();
                }
                None if tries_left > 0 => focus_heading(tries_left - 1),
                None => {}
            }
        })
        .forget();
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = tries_left;
}
