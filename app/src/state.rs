//! What server functions and the server share: the database, the password hasher and the
//! settings that change behaviour. Handed to server functions through Leptos context.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::password::PasswordHasher;
use crate::auth::throttle::Throttle;

/// Settings the application code reads (the server crate loads them from the environment).
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// Mark cookies `Secure` and use the `__Host-` prefix (everywhere but plain-HTTP localhost).
    pub secure_cookies: bool,
    /// A session ends this long after sign-in, however active it is.
    pub session_absolute_ms: i64,
    /// How people reach Frontdesk ("https://frontdesk.example.org"): links in emails.
    pub public_url: String,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            session_absolute_ms: 12 * 60 * 60 * 1000,
            public_url: "http://127.0.0.1:3000".to_owned(),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub hasher: PasswordHasher,
    pub auth: Arc<AuthSettings>,
    /// Brakes on guessing and on mail from the public forms.
    pub throttle: Arc<Throttle>,
    /// Users-table views known to match more than the count's cap.
    pub capped_views: Arc<crate::members::server::remembered::CappedViews>,
    /// Users-table pages recently read, under their clinics' member versions.
    pub recent_pages: Arc<crate::members::server::remembered::RecentPages>,
    /// Wakes waiting patients' pages when their room's queue changes.
    pub queues: Arc<crate::visits::watch::QueueWatch>,
    /// Sessions' activity, written once a second.
    pub touches: Arc<crate::auth::touches::Touches>,
    /// Seals secrets kept at rest (authenticator apps' secrets).
    pub sealer: Arc<crate::auth::sealing::Sealer>,
    /// The relying party passkeys belong to (the public URL's host name); none when
    /// Frontdesk is reached at an IP address, where browsers refuse passkeys.
    pub passkeys: Option<Arc<webauthn_rs::Webauthn>>,
    /// Exports running on this server at once (Export CSV), so the users page keeps its
    /// connections.
    pub exports: Arc<tokio::sync::Semaphore>,
    /// Files being read on this server at once (Import CSV).
    pub imports: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// The state of the current request, or an internal error when it was not provided.
    pub fn current() -> Result<Self, crate::error::AppError> {
        leptos::prelude::use_context::<Self>()
            .ok_or_else(|| crate::error::AppError::internal("AppState missing from context"))
    }
}
