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
    // Served as islands: only the page's live parts (`#[island]`) are marked for the
    // browser, and only they hydrate; the rest stays as the server wrote it.
    #[cfg(feature = "ssr")]
    if patient && let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
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

/// What every page's app does before its routes: the page's head, and, in the app's
/// bundle, the mark tests wait for once it has taken over (a patient's page, served as
/// islands, is marked by `ui::page_focus::patient_page_ready`).
fn frame() -> impl IntoView {
    provide_meta_context();
    #[cfg(feature = "hydrate")]
    Effect::new(|_| {
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

/// The patients' app: only [`crate::bundle::PATIENT_PATHS`], rendered on the server as
/// islands. Their bundle holds only the islands (`frontend-patient`), so no router runs in
/// the browser: every link loads its page from the server.
#[component]
pub fn PatientApp() -> impl IntoView {
    view! {
        {frame()}
        <Router>
            <Routes fallback=NotFound>
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

#[component]
pub fn App() -> impl IntoView {
    // The patients' pages' islands, served in this app (a build without the patients'
    // bundle, or a move from an admin page), render and hydrate as the plain components
    // they are, on the server and in the browser alike: tachys draws an island's wrapper
    // only where this is unset.
    provide_context(leptos::reactive::owner::IsHydrating(true));
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
                            <SignOut/>
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

/// The start page's Sign out, its island.
#[cfg_attr(feature = "islands", island)]
#[cfg_attr(not(feature = "islands"), component)]
fn SignOut() -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    view! {
        <PostForm action=logout>
            <button type="submit" class="button">"Sign out"</button>
        </PostForm>
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
