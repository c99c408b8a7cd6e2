//! The browser's side of the idle timeout: a warning a minute before signing out.
//!
//! The server ends a session after the clinic's idle time without a request. Here, a key,
//! a click or a touch in any Frontdesk tab counts as activity: tabs share the time of the
//! last one through `localStorage`, and while someone is active the session is touched at
//! most every 30 s. A minute before the browser signs out, "Are you still there?" offers
//! **Stay signed in** (which touches the session and starts the time again) and
//! **Sign out**. The browser signs out a minute before the server would, because the server
//! may have last heard of activity up to a minute before it happened; it then ends the
//! session server-side and opens the sign-in page, which says why.

use leptos::prelude::*;

use super::{Me, current_user};
use crate::error::AppError;

/// Who is signed in, as a page read it while the server rendered it. The admin layout
/// shares its own with the idle watch, which reads the clinic's idle time from it: the
/// answer travels in the page, so hydrating calls no server function for it.
#[derive(Clone, Copy)]
pub struct SignedIn(pub Resource<Result<Option<Me>, AppError>>);

impl SignedIn {
    /// The page's, or a new one where no layout shares one.
    fn current() -> Self {
        use_context::<Self>().unwrap_or_else(|| Self(Resource::new(|| (), |_| current_user())))
    }
}

/// The dialog's question.
pub const STILL_THERE: &str = "Are you still there?";
/// What the sign-in page says after an idle sign-out.
pub const SIGNED_OUT_IDLE: &str =
    "You were signed out because Frontdesk was not used for a while. Sign in again to go on.";

/// Watches for activity on a signed-in page and signs out after the clinic's idle time.
#[component]
pub fn IdleWatch() -> impl IntoView {
    // Seconds until the browser signs out, while the warning shows.
    let seconds_left = RwSignal::new(None::<u32>);
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    // Made on the server as well: a page's resources pair up with the browser's by the
    // order they are made in.
    let signed_in = SignedIn::current();
    #[cfg(feature = "hydrate")]
    let watch = watch::start(seconds_left, signed_in);
    #[cfg(not(feature = "hydrate"))]
    let _ = signed_in;
    let stay = move || {
        #[cfg(feature = "hydrate")]
        watch.stay();
        seconds_left.set(None);
    };
    let sign_out = move |_| {
        #[cfg(feature = "hydrate")]
        watch::sign_out("/login");
    };
    // A modal dialog, so that it shows above (and is not made inert by) any dialog the
    // admin has open; it opens with the focus on Stay signed in.
    Effect::new(move |_| {
        let Some(el) = dialog.get() else { return };
        match (seconds_left.get().is_some(), el.open()) {
            (true, false) => {
                let _ = el.show_modal();
            }
            (false, true) => el.close(),
            _ => {}
        }
    });
    view! {
        <dialog class="modal idle" node_ref=dialog aria-labelledby="idle-title"
            aria-describedby="idle-text" on:cancel=move |_: leptos::ev::Event| stay()>
            <h2 id="idle-title">{STILL_THERE}</h2>
            <p id="idle-text">
                {move || {
                    let n = seconds_left.get().unwrap_or(0);
                    format!(
                        "To keep patient information private, you will be signed out in {n} second{}.",
                        if n == 1 { "" } else { "s" }
                    )
                }}
            </p>
            <div class="actions">
                <button type="button" class="button primary" autofocus on:click=move |_| stay()>
                    "Stay signed in"
                </button>
                <button type="button" class="button" on:click=sign_out>"Sign out"</button>
            </div>
        </dialog>
    }
}

#[cfg(feature = "hydrate")]
mod watch {
    use std::cell::Cell;
    use std::rc::Rc;

    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use leptos::web_sys::js_sys::Date;

    use super::SignedIn;
    use crate::auth::{current_user, logout};

    /// How long before signing out the warning shows.
    const WARN_MS: f64 = 60_000.0;
    /// Activity reaches the server at most this often.
    const TOUCH_MS: f64 = 30_000.0;
    /// How much earlier than the server the browser signs out.
    const MARGIN_MS: f64 = 60_000.0;
    /// Where tabs share the time of the last activity.
    const KEY: &str = "frontdesk.last-activity";

    #[derive(Clone, Copy)]
    pub struct Watch {
        last_touch: StoredValue<f64, LocalStorage>,
    }

    /// The time of the last activity in any tab. Tabs share it as whole milliseconds: an
    /// integer is all it needs, and writing and reading one keeps the code that formats
    /// and parses decimal fractions out of the bundle.
    fn shared_activity() -> Option<f64> {
        let at: i64 = window()
            .local_storage()
            .ok()
            .flatten()?
            .get_item(KEY)
            .ok()
            .flatten()?
            .parse()
            .ok()?;
        Some(at as f64)
    }

    fn record_activity(at: f64) {
        if let Some(storage) = window().local_storage().ok().flatten() {
            let _ = storage.set_item(KEY, &(at as i64).to_string());
        }
    }

    impl Watch {
        /// Tells the server someone is here (any server call touches the session).
        fn touch(self, now: f64) {
            self.last_touch.set_value(now);
            spawn_local(async {
                let _ = current_user().await;
            });
        }

        pub fn stay(self) {
            let now = Date::now();
            record_activity(now);
            self.touch(now);
        }
    }

    /// Ends the session server-side, then opens `to`.
    pub fn sign_out(to: &'static str) {
        spawn_local(async move {
            let _ = logout().await;
            let _ = window().location().set_href(to);
        });
    }

    pub fn start(seconds_left: RwSignal<Option<u32>>, signed_in: SignedIn) -> Watch {
        let now = Date::now();
        // Loading this page was a request: it counts as activity.
        record_activity(now);
        let watch = Watch {
            last_touch: StoredValue::new_local(now),
        };
        let idle_ms = Rc::new(Cell::new(None::<f64>));
        {
            let idle_ms = idle_ms.clone();
            Effect::new(move |_| {
                if let Some(Ok(Some(me))) = signed_in.0.get() {
                    idle_ms.set(Some(f64::from(me.idle_timeout_minutes) * 60_000.0));
                }
            });
        }
        let on_activity = move || {
            if seconds_left.get_untracked().is_some() {
                // Once the warning shows, only its buttons answer it.
                return;
            }
            let now = Date::now();
            record_activity(now);
            if now - watch.last_touch.get_value() >= TOUCH_MS {
                watch.touch(now);
            }
        };
        let listeners = [
            window_event_listener(leptos::ev::keydown, move |_| on_activity()),
            window_event_listener(leptos::ev::pointerdown, move |_| on_activity()),
            window_event_listener(leptos::ev::wheel, move |_| on_activity()),
        ];
        let signing_out = Cell::new(false);
        let timer = gloo_timers::callback::Interval::new(1_000, move || {
            let Some(idle_ms) = idle_ms.get() else {
                return;
            };
            let last = shared_activity().unwrap_or(now);
            let left = last + idle_ms - MARGIN_MS - Date::now();
            if left <= 0.0 {
                if !signing_out.replace(true) {
                    sign_out("/login?idle=1");
                }
            } else if left <= WARN_MS {
                seconds_left.set(Some((left / 1000.0).ceil() as u32));
            } else if seconds_left.get_untracked().is_some() {
                // Someone was active in another tab.
                seconds_left.set(None);
            }
        });
        let timer = StoredValue::new_local(Some(timer));
        on_cleanup(move || {
            timer.set_value(None);
            for listener in listeners {
                listener.remove();
            }
        });
        watch
    }
}
