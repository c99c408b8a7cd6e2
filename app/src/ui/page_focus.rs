//! Where focus goes when the router shows another page. A page loaded by the browser starts
//! with focus at the top, and a screen reader reads its title; a page the router swaps in
//! would leave focus nowhere (the link pressed is gone) and say nothing. So, after a move to
//! another path, focus goes to the new page's main heading, which a screen reader reads out.
//! A change of the query alone (a search, a dialog) moves nothing; neither does a move after
//! which focus is still on something (the control pressed survived, or a dialog took it).
//! A patient's page has no router: where a form sends it, the page is loaded from the
//! server ([`load_next`]), and that page takes focus the same way.

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

/// Where the page last handed over by [`load_next`] was going (this tab only).
#[cfg(feature = "hydrate")]
const HANDED_OVER: &str = "frontdesk.handed-over";

/// Loads `href` from the server: where a server function sends a patient's page, which has
/// no router in the browser. The loaded page then takes focus as after a move.
pub fn load_next(href: &str) {
    #[cfg(feature = "hydrate")]
    {
        let href = site_path(href);
        let path = href.split(['?', '#']).next().unwrap_or("/");
        if let Ok(Some(storage)) = window().session_storage() {
            let _ = storage.set_item(HANDED_OVER, path);
        }
        // The page being left is no longer the hydrated one (tests wait for the next).
        if let Some(body) = document().body() {
            let _ = body.remove_attribute("data-hydrated");
        }
        let _ = window().location().assign(href);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = href;
}

/// `href` when it is a path of this site, else the start page: "//host" or "/\\host" would
/// leave it, and so would "/\t/host", as browsers drop tabs and line breaks from a URL.
#[cfg(any(feature = "hydrate", test))]
fn site_path(href: &str) -> &str {
    match href.as_bytes() {
        _ if href.chars().any(|c| c.is_control() || c.is_whitespace()) => "/",
        [b'/', b'/' | b'\\', ..] | [] => "/",
        [b'/', ..] => href,
        _ => "/",
    }
}

/// A patient's page once its islands have hydrated: marked as hydrated, and its main
/// heading focused when [`load_next`] brought the browser here.
pub fn patient_page_ready() {
    #[cfg(feature = "hydrate")]
    {
        if window()
            .location()
            .pathname()
            .is_ok_and(|path| handed_over(&path))
        {
            focus_heading(80);
        }
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "");
        }
    }
}

/// Whether this page was loaded by [`load_next`]; asked once.
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

#[cfg(test)]
mod tests {
    use super::site_path;

    #[test]
    fn a_server_functions_redirect_stays_on_this_site() {
        for ours in ["/u/jessica/waiting", "/login?resent=1", "/admin/users", "/"] {
            assert_eq!(site_path(ours), ours);
        }
        for away in [
            "//evil.example/",
            "/\\evil.example/",
            "/\t/evil.example/",
            "/\n/evil.example/",
            " //evil.example/",
            "https://evil.example/",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(site_path(away), "/", "{away:?}");
        }
    }
}
