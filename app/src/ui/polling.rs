//! Asking again while something moves: a page that follows background work (a bulk action,
//! an import) reads its progress again a second after each answer, until it is done.

use leptos::prelude::*;

/// How long a page waits after an answer before asking again.
pub const POLL_MS: u32 = 1_000;

/// Moves `tick` (read by the resource that asks) a second after each answer for which
/// `moving` says the work goes on. In the browser only: the server renders one answer.
pub fn poll_while(tick: RwSignal<u32>, moving: impl Fn() -> bool + 'static) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if moving() {
            gloo_timers::callback::Timeout::new(POLL_MS, move || {
                let _ = tick.try_update(|n| *n += 1);
            })
            .forget();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (tick, moving);
}
