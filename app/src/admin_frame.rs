//! The frame around every admin page. Features use it; the router (`layout`) uses them.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::auth::{IdleWatch, Logout, SignedIn, current_user};

/// The frame of every admin page: brand, clinic, navigation and sign-out.
#[component]
pub fn AdminLayout(children: Children) -> impl IntoView {
    let who = Resource::new(|| (), |_| current_user());
    provide_context(SignedIn(who));
    let logout = ServerAction::<Logout>::new();
    view! {
        <a class="skip-link" href="#main" on:click=skip_to_main>"Skip to main content"</a>
        <header class="topbar">
            <a class="brand" href="/admin/users">"Frontdesk"</a>
            <nav aria-label="Admin">
                <A href="/admin/users">"Users"</A>
                <A href="/admin/rooms">"Rooms"</A>
                <A href="/admin/audit">"Audit"</A>
                <A href="/admin/settings">"Settings"</A>
            </nav>
            <div class="who">
                <Suspense>
                    {move || who.get().and_then(Result::ok).flatten().map(|me| view! {
                        <span class="clinic">{me.clinic_name}</span>
                        <span class="name">{me.display_name}</span>
                    })}
                </Suspense>
                <ActionForm action=logout attr:class="inline">
                    <button type="submit" class="link-button">"Sign out"</button>
                </ActionForm>
            </div>
        </header>
        <main class="admin" id="main" tabindex="-1">{children()}</main>
        <IdleWatch/>
    }
}

/// Moves focus to the page's content (the router would take the link for a navigation).
fn skip_to_main(ev: leptos::ev::MouseEvent) {
    ev.prevent_default();
    crate::ui::modal::focus_later("main".into());
}
