//! The document shell and the router. The frame around admin pages is `admin_frame`.

use crate::ui::post_form::PostForm;
use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, Link, MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::audit::AuditLogPage;
use crate::auth::{ForgotPasswordPage, LoginPage, Logout, ResetPasswordPage, current_user};
use crate::bundle::BundleScript;
use crate::clinics::SettingsPage;
use crate::members::{BulkActionPage, ImportFormPage, ImportPage, UsersPage};
use crate::patients::{
    AccountPage, ConfirmEmailPage, GuestEntryPage, RoomPage, SignUpPage, WaitingRoomPage,
};
use crate::rooms::RoomsPage;
use crate::two_step::{SecondStepPage, SecurityPage};
use crate::visits::{ProviderPage, VisitPage};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    // A patient's page is served with the patients' bundle, when the build made one: the
    // page and the bundle that hydrates it are the same app.
    let patient = crate::bundle::patient_page(&options);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <BundleScript options=options.clone() patient/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                // The build names the bundle's files by their content (`hash-files`), so
                // browsers may keep them for good; these read the names from `hash.txt`.
                <HashedStylesheet options id="leptos"/>
                <MetaTags/>
            </head>
            <body>
                {if patient { view! { <PatientApp/> }.into_any() } else { view! { <App/> }.into_any() }}
            </body>
        </html>
    }
}

/// What every page's app does before its routes: the page's head, and the mark tests wait
/// for once the browser bundle has taken over.
fn frame() -> impl IntoView {
    provide_meta_context();
    #[cfg(feature = "hydrate")]
    Effect::new(|_| {
        crate::ui::page_focus::mark_hydrated();
        crate::text::tell_browser_zone();
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "");
        }
    });
    view! {
        <Link rel="icon" href="/favicon.ico" type_="image/x-icon"/>
        <Title text="Frontdesk"/>
    }
}

/// The patients' app: only [`crate::bundle::PATIENT_PATHS`], so their bundle holds none of the admin
/// pages. A link to any other page loads that page from the server, with its own bundle.
#[component]
pub fn PatientApp() -> impl IntoView {
    view! {
        {frame()}
        <Router>
            <crate::ui::page_focus::PageFocus/>
            <Routes fallback=Elsewhere>
                <Route path=path!("/") view=Home ssr=SsrMode::Async/>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/forgot-password") view=ForgotPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/reset-password") view=ResetPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/confirm-email") view=ConfirmEmailPage ssr=SsrMode::Async/>
                <Route path=path!("/u/:slug") view=RoomPage ssr=SsrMode::Async/>
                <Route path=path!("/u/:slug/guest") view=GuestEntryPage ssr=SsrMode::Async/>
                <Route path=path!("/u/:slug/sign-up") view=SignUpPage ssr=SsrMode::Async/>
                <Route path=path!("/u/:slug/waiting") view=WaitingRoomPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}

/// A page the patients' app does not hold. Moved to by the router, it is loaded from the
/// server as a new page; as the page first rendered (a path the server took for a
/// patient's that the router does not), it is not found, on the server and in the browser
/// alike.
#[component]
fn Elsewhere() -> impl IntoView {
    if !crate::ui::page_focus::hydrated() {
        return view! { <NotFound/> }.into_any();
    }
    let location = leptos_router::hooks::use_location();
    crate::ui::page_focus::load_elsewhere(
        &location.pathname.get_untracked(),
        &location.search.get_untracked(),
    );
    view! { <main class="auth-page"><p class="loading">"Loading…"</p></main> }.into_any()
}

#[component]
pub fn App() -> impl IntoView {
    view! {
        {frame()}
        <Router>
            <crate::ui::page_focus::PageFocus/>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=Home ssr=SsrMode::Async/>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/login/second-step") view=SecondStepPage ssr=SsrMode::Async/>
                <Route path=path!("/forgot-password") view=ForgotPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/reset-password") view=ResetPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/users") view=UsersPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/bulk/:id") view=BulkActionPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/users/import") view=ImportFormPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/import/:id") view=ImportPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/audit") view=AuditLogPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/settings") view=SettingsPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/rooms") view=RoomsPage ssr=SsrMode::Async/>
                <Route path=path!("/u/:slug") view=RoomPage ssr=SsrMode::Async/>
                <Route path=path!("/u/:slug/guest") view=GuestEntryPage ssr=SsrMode::Async/>
                <Route path=path!("/u/:slug/sign-up") view=SignUpPage ssr=SsrMode::Async/>
                <Route path=path!("/u/:slug/waiting") view=WaitingRoomPage ssr=SsrMode::Async/>
                <Route path=path!("/confirm-email") view=ConfirmEmailPage ssr=SsrMode::Async/>
                <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async/>
                <Route path=path!("/account/security") view=SecurityPage ssr=SsrMode::Async/>
                <Route path=path!("/provider") view=ProviderPage ssr=SsrMode::Async/>
                <Route path=path!("/visit/:id") view=VisitPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}

#[component]
fn Home() -> impl IntoView {
    let who = Resource::new(|| (), |_| current_user());
    let logout = ServerAction::<Logout>::new();
    view! {
        <main class="auth-page">
            <div class="card">
                <p class="brand">"Frontdesk"</p>
                <Suspense>
                    {move || who.get().map(|r| match r.ok().flatten() {
                        Some(me) if me.is_admin => view! {
                            <h1>"Welcome back"</h1>
                            <p><a class="button primary" href="/admin/users">"Open the admin panel"</a></p>
                        }.into_any(),
                        Some(me) => view! {
                            <h1>{format!("Signed in as {}", me.display_name)}</h1>
                            <p><a class="button primary" href="/account">"Your account"</a></p>
                            <PostForm action=logout>
                                <button type="submit" class="button">"Sign out"</button>
                            </PostForm>
                        }.into_any(),
                        None => view! {
                            <h1>"Patient accounts for your clinic"</h1>
                            <p><a class="button primary" href="/login">"Sign in"</a></p>
                        }.into_any(),
                    })}
                </Suspense>
            </div>
        </main>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
            options.set_status(axum::http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Title text="Not found · Frontdesk"/>
        <main class="auth-page">
            <div class="card">
                <h1>"Page not found"</h1>
                <p><a href="/">"Go to the start page"</a></p>
            </div>
        </main>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::bundle::{PATIENT_PATHS, is_patient_path};

    fn paths<IV: IntoView + 'static>(app: fn() -> IV) -> BTreeSet<String> {
        leptos_axum::generate_route_list(app)
            .iter()
            .map(|route| route.path().replace('{', ":").replace('}', ""))
            .collect()
    }

    #[test]
    fn the_patients_app_holds_the_patient_paths_and_no_other_page_is_one() {
        let patients = paths(PatientApp);
        let all = paths(App);
        let listed: BTreeSet<String> = PATIENT_PATHS.iter().map(|p| p.to_string()).collect();
        assert_eq!(patients, listed);
        assert!(
            patients.is_subset(&all),
            "every patient page is a page of the app"
        );
        for page in all.difference(&patients) {
            let example = page.replace(":slug", "jessica").replace(":id", "7");
            assert!(
                !is_patient_path(&example),
                "{page} is served with the app's bundle"
            );
        }
    }

    #[test]
    fn a_patient_path_matches_segment_by_segment() {
        for path in [
            "/",
            "/login",
            "/u/jessica",
            "/u/jessica/",
            "/u/jessica/waiting",
        ] {
            assert!(is_patient_path(path), "{path}");
        }
        for path in [
            "/u",
            "/u/",
            "/u//waiting",
            "/u/jessica/other",
            "/login/second-step",
            "/admin/users",
            "/loginx",
        ] {
            assert!(!is_patient_path(path), "{path}");
        }
    }
}
