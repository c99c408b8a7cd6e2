//! Frontdesk's application: shared types, validation, server functions and components.
//! Compiled into the server (`ssr`) and into the browser bundle (`hydrate`).

pub mod accounts;
mod admin_frame;
pub mod audit;
pub mod auth;
mod bundle;
pub mod clinics;
pub mod error;
mod layout;
pub mod mail;
pub mod members;
pub mod patients;
pub mod rooms;
pub mod text;
pub mod two_step;
pub mod ui;
pub mod validation;
pub mod visits;

#[cfg(feature = "ssr")]
pub mod common_passwords;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod entities;
#[cfg(feature = "ssr")]
pub mod retention;
#[cfg(feature = "ssr")]
pub mod state;

pub use layout::{App, PatientApp, shell};

/// Called by the browser bundle once the page has loaded.
#[cfg(feature = "hydrate")]
pub fn hydrate() {
    leptos::mount::hydrate_body(App);
}

/// Called by the patients' bundle (`frontend-patient`) once a patient's page has loaded,
/// before its islands hydrate. The server rendered the page as islands (`layout::shell`):
/// the start script (`bundle.rs`) hydrates each by the function the bundle exports for it,
/// then calls [`patient_page_ready`].
#[cfg(feature = "hydrate")]
pub fn hydrate_patient() {
    leptos::mount::hydrate_islands();
    // No router runs here: where a server function sends the page, the browser loads it.
    let _ = leptos::server_fn::redirect::set_redirect_hook(ui::page_focus::load_next);
    text::tell_browser_zone();
}

/// Called once every island of a patient's page has hydrated.
#[cfg(feature = "hydrate")]
pub fn patient_page_ready() {
    ui::page_focus::patient_page_ready();
}
