//! Where focus goes when the router shows another page. A page loaded by the browser starts
//! with focus at the top, and a screen reader reads its title; a page the router swaps in
//! would leave focus nowhere (the link pressed is gone) and say nothing. So, after a move to
//! another path, focus goes to the new page's main heading, which a screen reader reads out.
//! A change of the query alone (a search, a dialog) moves nothing; neither does a move after
//! which focus is still on something (the control pressed survived, or a dialog took it).
//! A move the patients' app hands to the server (a page of the other bundle) counts as a
//! move too: the page it loads takes focus the same way.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// Put once inside the router.
#[component]
pub fn PageFocus() -> impl IntoView {
    let pathname = use_location().pathname;
    Effect::new(move |previous: Option<String>| {
        let now = pathname.get();
        let moved = match &previous {
            Some(p) => *p != now,
            None => handed_over(&now),
        };
        if moved {
            focus_heading(80);
        }
        now
    });
}

/// Whether this page's app has taken over the page the server rendered: until then, what
/// renders is that page, not a move.
static HYDRATED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Marks the page's app as hydrated (once its first render is done).
pub fn mark_hydrated() {
    HYDRATED.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Whether [`mark_hydrated`] has run in this page (never on the server).
pub fn hydrated() -> bool {
    HYDRATED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Where the page last handed over by [`load_elsewhere`] was going (this tab only).
#[cfg(feature = "hydrate")]
const HANDED_OVER: &str = "frontdesk.handed-over";

/// Loads `path` (with `query`, if any) from the server in place of the page the router was
/// moving to, which this app does not hold; the loaded page then takes focus as after a move.
/// The router has already put the path in the history, so the load replaces that entry.
pub fn load_elsewhere(path: &str, query: &str) {
    #[cfg(feature = "hydrate")]
    {
        // Only a path of this site: "//host" or "/\\host" would leave it.
        let path = match path.as_bytes() {
            [b'/', b'/' | b'\\', ..] | [] => "/",
            [b'/', ..] => path,
            _ => "/",
        };
        let href = match query.trim_start_matches('?') {
            "" => path.to_owned(),
            query => format!("{path}?{query}"),
        };
        if let Ok(Some(storage)) = window().session_storage() {
            let _ = storage.set_item(HANDED_OVER, path);
        }
        // The page being left is no longer the hydrated one (tests wait for the next).
        if let Some(body) = document().body() {
            let _ = body.remove_attribute("data-hydrated");
        }
        let _ = window().location().replace(&href);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (path, query);
}

/// Whether this page was loaded by [`load_elsewhere`]; asked once.
fn handed_over(path: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        let Ok(Some(storage)) = window().session_storage() else {
            return false;
        };
        let to = storage.get_item(HANDED_OVER).ok().flatten();
        let _ = storage.remove_item(HANDED_OVER);
        to.as_deref() == Some(path)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = path;
        false
    }
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
