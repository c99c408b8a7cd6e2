//! The frame around every admin page. Features use it; the router (`layout`) uses them.

use crate::ui::post_form::PostForm;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use crate::auth::{IdleWatch, Logout, Me, SignedIn, current_user};
use crate::error::AppError;

/// The admin navigation's links, in order.
const NAVIGATION: [(&str, &str); 6] = [
    ("/admin/users", "Users"),
    ("/admin/rooms", "Rooms"),
    ("/admin/audit", "Audit"),
    ("/admin/settings", "Settings"),
    ("/provider", "Patients waiting"),
    ("/account/security", "Security"),
];

/// The frame of every admin page: brand, clinic, navigation and sign-out.
#[component]
pub fn AdminLayout(children: Children) -> impl IntoView {
    let who = Resource::new(|| (), |_| current_user());
    provide_context(SignedIn(who));
    // On a phone the navigation and the account sit behind "Menu"; a wide screen shows both
    // and never the button. Following a link, or Escape, folds the menu away again.
    let menu_open = RwSignal::new(false);
    let pathname = use_location().pathname;
    Effect::new(move |_| {
        pathname.track();
        menu_open.set(false);
    });
    let on_menu_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" && menu_open.get_untracked() {
            menu_open.set(false);
            crate::ui::modal::focus_later("menu-button".into());
        }
    };
    view! {
        <SkipLink/>
        <header class="topbar">
            <a class="brand" href="/admin/users">"Frontdesk"</a>
            <button type="button" id="menu-button" class="button menu-button"
                aria-expanded=move || menu_open.get().to_string() aria-controls="admin-menu"
                on:click=move |_| menu_open.update(|open| *open = !*open)>"Menu"</button>
            <div id="admin-menu" class="menu" class:open=move || menu_open.get() on:keydown=on_menu_keydown>
                // A list: each link is its own item to a screen reader, a text browser and
                // a copy of the page, not one run of words.
                <nav aria-label="Admin">
                    <ul>
                        {NAVIGATION.into_iter().map(|(href, label)| view! {
                            <li><A href=href>{label}</A></li>
                        }).collect_view()}
                    </ul>
                </nav>
                <WhoBar who/>
            </div>
        </header>
        <main class="admin" id="main" tabindex="-1">{children()}</main>
        <IdleWatch/>
    }
}

/// Who is signed in, at which clinic, and Sign out. `users_link` adds the way back to the
/// users table for a Clinic Admin, on pages outside this frame.
#[component]
pub(crate) fn WhoBar(
    who: Resource<Result<Option<Me>, AppError>>,
    #[prop(optional)] users_link: bool,
) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    view! {
        <div class="who">
            <Suspense>
                {move || who.get().and_then(Result::ok).flatten().map(|me| view! {
                    {(users_link && me.is_admin).then(|| view! { <a href="/admin/users">"Users"</a> })}
                    <span class="clinic">{me.clinic_name}</span>
                    <span class="name">{me.display_name}</span>
                })}
            </Suspense>
            <PostForm action=logout class="inline">
                <button type="submit" class="link-button">"Sign out"</button>
            </PostForm>
        </div>
    }
}

/// The first stop of the Tab key: past the bar, to the page's content.
#[component]
pub(crate) fn SkipLink() -> impl IntoView {
    view! { <a class="skip-link" href="#main" on:click=skip_to_main>"Skip to main content"</a> }
}

/// Moves focus to the page's content (the router would take the link for a navigation).
fn skip_to_main(ev: leptos::ev::MouseEvent) {
    ev.prevent_default();
    crate::ui::modal::focus_later("main".into());
}
