//! The checks that open every server function: who is calling, and may they?

use crate::auth::session::{self, SessionUser};
use crate::error::AppError;
use crate::state::AppState;

/// The signed-in user of the current request, if any, in the zone they read times in
/// ([`in_browser_zone`]).
pub async fn current_session() -> Result<Option<SessionUser>, AppError> {
    let state = AppState::current()?;
    let Some(token) = current_token() else {
        return Ok(None);
    };
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>();
    let user = match parts
        .as_ref()
        .and_then(|p| p.extensions.get::<PageSession>())
    {
        Some(once) => once.lookup(&state, &token).await?,
        None => session::lookup(&state.db, &state.touches, &token).await?,
    };
    Ok(user.map(|u| match &parts {
        Some(parts) => in_browser_zone(u, &parts.headers),
        None => u,
    }))
}

/// A page request's session, looked up once however many parts of the page ask who is
/// signed in (the page's guard, its frame, each of its resources). The server gives every
/// request for a page one; a server function's request has none and looks up each time,
/// since it may sign in or out on the way.
#[derive(Clone, Default)]
pub struct PageSession(std::sync::Arc<tokio::sync::OnceCell<Option<SessionUser>>>);

impl PageSession {
    /// The session of `token`, looked up by the first caller; the others wait for it.
    pub async fn lookup(
        &self,
        state: &AppState,
        token: &str,
    ) -> Result<Option<SessionUser>, AppError> {
        self.0
            .get_or_try_init(|| session::lookup(&state.db, &state.touches, token))
            .await
            .cloned()
    }
}

/// `user` as they read times: a profile that names no Timezone takes the browser's zone, as
/// its page last said (`BROWSER_ZONE_COOKIE`, when the time zone database holds it); with
/// neither, the empty name reads UTC (`text::zone`).
pub fn in_browser_zone(mut user: SessionUser, headers: &axum::http::HeaderMap) -> SessionUser {
    if user.timezone.is_empty() {
        user.timezone = headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(cookie::Cookie::split_parse)
            .filter_map(Result::ok)
            .find(|c| c.name() == crate::text::BROWSER_ZONE_COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|zone| zone.len() <= 64 && jiff::tz::TimeZone::get(zone).is_ok())
            .unwrap_or_default();
    }
    user
}

/// The session token sent with the current request, if any.
pub fn current_token() -> Option<String> {
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>()?;
    session::token_from_headers(&parts.headers)
}

/// A Clinic Admin, with the clinics they administer.
#[derive(Clone, Debug)]
pub struct Admin {
    pub user_id: i64,
    pub clinic_ids: Vec<i64>,
    /// Moves forward with every change their users tables would show.
    pub members_version: i64,
    /// Their profile's time zone (else their browser's): the times they are shown are in it.
    pub zone: jiff::tz::TimeZone,
}

/// What a page of another site that links to a member's detail gets instead of it.
pub const OPEN_FROM_FRONTDESK: &str =
    "A member's detail opens from Frontdesk's own users page. Search for the member there.";

/// Refuses a request started by a page of another site (a link or a form elsewhere, told by
/// the browser's `Sec-Fetch-Site`), for reads that leave a trace in the admin's name: a
/// stranger's page cannot make an admin's browser record "Viewed" for a member.
pub fn started_here() -> Result<(), AppError> {
    let elsewhere = leptos::prelude::use_context::<axum::http::request::Parts>()
        .is_some_and(|parts| started_elsewhere(&parts.headers));
    if elsewhere {
        Err(AppError::validation("member", OPEN_FROM_FRONTDESK))
    } else {
        Ok(())
    }
}

/// Whether the browser says another site's page started this request (`Sec-Fetch-Site`).
pub fn started_elsewhere(headers: &axum::http::HeaderMap) -> bool {
    matches!(
        headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()),
        Some("cross-site" | "same-site")
    )
}

/// Succeeds only for a signed-in Clinic Admin of at least one clinic.
/// Anonymous callers get `Unauthorized`, everyone else `Forbidden`.
pub async fn require_admin() -> Result<Admin, AppError> {
    let user = current_session().await?.ok_or(AppError::Unauthorized)?;
    if user.admin_of.is_empty() {
        return Err(AppError::Forbidden);
    }
    Ok(Admin {
        user_id: user.user_id,
        zone: crate::text::zone(&user.timezone),
        clinic_ids: user.admin_of,
        members_version: user.members_version,
    })
}

/// Someone who sees patients: a Provider (in the rooms they are assigned to) or a Clinic
/// Admin (in every room of their clinics).
#[derive(Clone, Debug)]
pub struct Provider {
    pub user_id: i64,
    pub clinic_id: i64,
    pub user_type: crate::accounts::UserType,
    pub admin_of: Vec<i64>,
    /// Their profile's time zone (else their browser's): the times they are shown are in it.
    pub zone: jiff::tz::TimeZone,
}

impl Provider {
    pub fn of(user: &SessionUser) -> Option<Self> {
        let provider = user.user_type == crate::accounts::UserType::Provider;
        ((provider && !user.two_step_missing) || !user.admin_of.is_empty()).then(|| Self {
            user_id: user.user_id,
            clinic_id: user.clinic_id,
            user_type: user.user_type,
            admin_of: user.admin_of.clone(),
            zone: crate::text::zone(&user.timezone),
        })
    }
}

/// Succeeds only for a signed-in Provider or Clinic Admin.
/// Anonymous callers get `Unauthorized`, everyone else `Forbidden`.
pub async fn require_provider() -> Result<Provider, AppError> {
    let user = current_session().await?.ok_or(AppError::Unauthorized)?;
    Provider::of(&user).ok_or(AppError::Forbidden)
}

/// Succeeds for any signed-in user.
pub async fn require_user() -> Result<SessionUser, AppError> {
    current_session().await?.ok_or(AppError::Unauthorized)
}

/// Puts a new session's cookie on the current response.
pub fn set_session_cookie(token: &str) -> Result<(), AppError> {
    let state = AppState::current()?;
    put_cookie(&session::set_cookie(
        token,
        state.auth.secure_cookies,
        state.auth.session_absolute_ms / 1000,
    ));
    Ok(())
}

/// Takes the session cookie off the browser.
pub fn clear_session_cookie() -> Result<(), AppError> {
    let state = AppState::current()?;
    put_cookie(&session::clear_cookie(state.auth.secure_cookies));
    Ok(())
}

/// Adds a `Set-Cookie` header with `value` to the current response.
pub fn put_cookie(value: &str) {
    let options = leptos::prelude::expect_context::<leptos_axum::ResponseOptions>();
    if let Ok(value) = axum::http::HeaderValue::from_str(value) {
        options.append_header(axum::http::header::SET_COOKIE, value);
    }
}

/// One post to a public form from the current request's address: the public functions'
/// first line (the per-address brake).
pub fn public_post() -> Result<(), AppError> {
    let state = AppState::current()?;
    state.throttle.post_from(crate::auth::throttle::client_ip())
}
