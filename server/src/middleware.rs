//! Layers in front of the pages and the server functions.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use app::auth::guard::PageSession;
use app::auth::session;
use app::error::AppError;
use app::state::AppState;

/// Admin pages need a Clinic Admin's session, the providers' page a Provider's or a Clinic
/// Admin's, the account page a member's (not a guest's);
/// anyone else is sent to the sign-in page.
/// This guards pages only: every server function checks its caller itself.
///
/// Every request for a page gets its [`PageSession`] here, which this guard's lookup fills
/// and the page's own reads of who is signed in share.
pub async fn admin_pages(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let once = PageSession::default();
    if req.method() == Method::GET && !req.uri().path().starts_with("/api/") {
        req.extensions_mut().insert(once.clone());
    }
    let path = req.uri().path();
    let admin_page = path == "/admin" || path.starts_with("/admin/");
    let account_page = path == "/account" || path == "/account/security";
    let provider_page = path == "/provider";
    if !admin_page && !account_page && !provider_page {
        return next.run(req).await;
    }
    let token = session::token_from_headers(req.headers());
    let allowed = match token {
        Some(token) => match once.lookup(&state, &token).await {
            // Their clinic requires a second factor: setting it up comes first.
            Ok(Some(user)) if user.two_step_missing && !account_page => {
                return Redirect::to(app::two_step::SECURITY_REQUIRED).into_response();
            }
            Ok(Some(user)) if account_page => user.user_type != app::accounts::UserType::Guest,
            Ok(Some(user)) if provider_page => app::auth::guard::Provider::of(&user).is_some(),
            Ok(Some(user)) => !user.admin_of.is_empty(),
            Ok(None) => false,
            Err(err) => {
                tracing::warn!(error = %err, "session lookup failed: answered 503");
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
        },
        None => false,
    };
    if allowed {
        next.run(req).await
    } else if account_page {
        Redirect::to(&format!("/login?next={path}")).into_response()
    } else if provider_page {
        Redirect::to("/login?next=/provider").into_response()
    } else {
        Redirect::to("/login").into_response()
    }
}

/// Server functions answer every error with 500; this gives each error its own status
/// (422 for a rejected field, 401, 403, 404, 409, 429), read from the error itself.
pub async fn server_fn_status(req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let response = next.run(req).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key("serverfnerror")
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, 64 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Refuses requests sent from another site (cross-site request forgery): every call of a
/// server function, whatever its method or encoding, and anything else that is not a
/// GET or HEAD. Pages and files stay reachable by links from anywhere.
pub async fn same_origin(req: Request, next: Next) -> Response {
    let guarded = req.uri().path().starts_with("/api/")
        || (req.method() != Method::GET && req.method() != Method::HEAD);
    if guarded && !same_site(req.headers()) {
        return (StatusCode::FORBIDDEN, "Cross-site requests are refused.").into_response();
    }
    next.run(req).await
}

fn same_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && (site == "cross-site" || site == "same-site")
    {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Non-browser clients send no Origin; browsers always do on cross-origin POSTs.
        return true;
    };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .unwrap_or("");
    origin_host == host
}

/// How long any request may take before it is answered 503.
pub const REQUEST_DEADLINE: std::time::Duration = std::time::Duration::from_secs(20);
/// How long Import CSV's upload may take: sending its largest file over a slow link and
/// checking it (the upload is also cut after 30 s without a byte).
pub const UPLOAD_DEADLINE: std::time::Duration = std::time::Duration::from_secs(900);

/// Largest request body a server function (or any other request) reads; larger ones are
/// refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Largest body of Import CSV's upload: the file and the form around it. The upload itself
/// refuses a larger declared length, and says why, before reading any of it.
pub const UPLOAD_BODY_BYTES: usize = app::members::import::MAX_FILE_BYTES as usize + 64 * 1024;

/// Refuses a body past its path's limit: a declared length at once (413), a longer body as
/// it is read. Import CSV's upload has a limit of its own and answers an oversized file
/// itself.
pub async fn body_limit(req: Request, next: Next) -> Response {
    let upload = req.uri().path() == app::members::import::UPLOAD_PATH;
    let limit = if upload {
        UPLOAD_BODY_BYTES
    } else {
        MAX_BODY_BYTES
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if !upload && declared.is_some_and(|n| n > limit as u64) {
        return (StatusCode::PAYLOAD_TOO_LARGE, "length limit exceeded").into_response();
    }
    let req = req.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, limit)));
    next.run(req).await
}

/// Answers 503 to a request still unanswered after [`REQUEST_DEADLINE`], instead of holding
/// its connection open for good, and logs its method and path (never the query, which may
/// hold a search for a patient's name).
pub async fn deadline(req: Request, next: Next) -> Response {
    let (method, path) = (req.method().clone(), req.uri().path().to_owned());
    let deadline = if path == app::members::import::UPLOAD_PATH {
        UPLOAD_DEADLINE
    } else {
        REQUEST_DEADLINE
    };
    match tokio::time::timeout(deadline, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(%method, %path, ?deadline, "request unanswered in time: answered 503");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "Frontdesk took too long to answer. Please try again.",
            )
                .into_response()
        }
    }
}

/// How long browsers and proxies may keep each answer.
///
/// - Bundle files named by their content (`/pkg/frontdesk.<hash>.wasm`): a year, never
///   revalidated; a new build has new names.
/// - Other files (the favicon; the bundle in builds without hashed names): kept, but
///   revalidated before each use.
/// - Pages and server-function answers, which carry patient data: never stored.
pub async fn cache_policy(req: Request, next: Next) -> Response {
    let mut policy = cache_policy_for(req.uri().path());
    let mut response = next.run(req).await;
    // A file that is missing now (a page from a newer build reached this server first) may
    // be there in a moment: an error is never kept, least of all for a year.
    let status = response.status();
    if !status.is_success() && status != StatusCode::NOT_MODIFIED {
        policy = NO_STORE;
    }
    let headers = response.headers_mut();
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    // A file is sent brotli, gzip or plain by what the browser accepts: caches keep each.
    if policy != NO_STORE && !headers.contains_key(header::VARY) {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";
const NO_STORE: &str = "no-store";

fn cache_policy_for(path: &str) -> &'static str {
    if let Some(file) = path.strip_prefix("/pkg/") {
        if content_named(file) {
            IMMUTABLE
        } else {
            REVALIDATE
        }
    } else if path == "/favicon.ico" {
        REVALIDATE
    } else {
        NO_STORE
    }
}

/// `name.<hash>.ext`, the hash being cargo-leptos's: 22 characters of URL-safe base64 (MD5).
fn content_named(file: &str) -> bool {
    let mut parts = file.split('.');
    let (Some(name), Some(hash), Some(ext), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    !name.is_empty()
        && !ext.is_empty()
        && hash.len() == 22
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The nonce a page's inline scripts carry: fresh for every request, made by
/// [`security_headers`] (which names it in the page's policy) and handed to the page's
/// rendering ([`provide_page_nonce`]), which puts it on the hydration scripts.
#[derive(Clone)]
struct PageNonce(std::sync::Arc<str>);

impl PageNonce {
    fn new() -> Self {
        use base64::Engine as _;
        let bytes: [u8; 16] = rand::random();
        Self(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(bytes)
                .into(),
        )
    }
}

/// Makes this request's [`PageNonce`] the one the page renders with. Called where the
/// rendering's context is set up, after leptos_axum provides its own, which this replaces.
pub fn provide_page_nonce() {
    let nonce = leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<PageNonce>().cloned());
    if let Some(PageNonce(value)) = nonce {
        leptos::prelude::provide_context(leptos::nonce::Nonce::from_value(value));
    }
}

/// The Content-Security-Policy of everything but a page (server-function answers, files):
/// it may load and run nothing.
const NOTHING_POLICY: HeaderValue =
    HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'");

/// A page's Content-Security-Policy: scripts only from Frontdesk itself and the inline
/// hydration scripts that carry this response's nonce, the wasm bundle, no plugins, no
/// framing, forms posting only back to Frontdesk. (`None` cannot happen: the nonce is
/// URL-safe base64.)
fn page_policy(nonce: &PageNonce) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "default-src 'self'; script-src 'self' 'nonce-{}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        nonce.0
    ))
    .ok()
}

/// The Content-Security-Policy of every response (the router adds the static security
/// headers with `SetResponseHeaderLayer`). Pages (HTML) get their policy here, with the
/// nonce this layer made for the request, rather than from the rendering: one place decides
/// it for every response, and a page can never go out under another response's policy.
pub async fn security_headers(mut req: Request, next: Next) -> Response {
    let nonce = PageNonce::new();
    req.extensions_mut().insert(nonce.clone());
    let mut response = next.run(req).await;
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let headers = response.headers_mut();
    let policy = if is_page { page_policy(&nonce) } else { None };
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        policy.unwrap_or(NOTHING_POLICY),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn cache_policy_by_path() {
        let hashed = "/pkg/frontdesk.Ab9_-cDeFgHiJkLmNoPqRs.wasm";
        assert_eq!(cache_policy_for(hashed), IMMUTABLE);
        assert_eq!(
            cache_policy_for("/pkg/frontdesk.Ab9_-cDeFgHiJkLmNoPqRs.js"),
            IMMUTABLE
        );
        assert_eq!(cache_policy_for("/pkg/frontdesk.wasm"), REVALIDATE);
        assert_eq!(cache_policy_for("/pkg/frontdesk.short.css"), REVALIDATE);
        assert_eq!(
            cache_policy_for("/pkg/frontdesk.Ab9_-cDeFgHiJkLmNoPq!s.js"),
            REVALIDATE
        );
        assert_eq!(cache_policy_for("/favicon.ico"), REVALIDATE);
        assert_eq!(cache_policy_for("/admin/users"), NO_STORE);
        assert_eq!(cache_policy_for("/api/list_members"), NO_STORE);
        assert_eq!(cache_policy_for("/u/jessica"), NO_STORE);
    }

    #[test]
    fn same_origin_rules() {
        assert!(same_site(&headers(&[("host", "127.0.0.1:3000")])));
        assert!(same_site(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000")
        ])));
        assert!(!same_site(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://evil.example")
        ])));
        assert!(!same_site(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(same_site(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://127.0.0.1:3000")
        ])));
    }

    /// A router whose `/wait/{secs}` answers after that many seconds of tokio's clock, and
    /// whose `/never` and Import CSV's upload path never answer, behind [`deadline`].
    fn waiting_router() -> axum::Router {
        use axum::routing::{get, post};
        async fn wait(axum::extract::Path(secs): axum::extract::Path<u64>) -> &'static str {
            tokio::time::sleep(std::time::Duration::from_secs(secs)).await;
            "answered"
        }
        async fn never() -> &'static str {
            std::future::pending::<()>().await;
            "unreachable"
        }
        axum::Router::new()
            .route("/wait/{secs}", get(wait))
            .route("/never", get(never))
            .route(app::members::import::UPLOAD_PATH, post(never))
            .layer(axum::middleware::from_fn(deadline))
    }

    /// Sends one request on a paused clock (which moves on whenever every task waits); the
    /// status, the body, and how long the clock moved.
    async fn answer(method: &str, uri: &str) -> (StatusCode, String, std::time::Duration) {
        use tower::ServiceExt;
        let started = tokio::time::Instant::now();
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .body(axum::body::Body::empty())
            .expect("request");
        // A router without its deadline would never answer `/never`: an hour fails it.
        let response = tokio::time::timeout(
            std::time::Duration::from_secs(3600),
            waiting_router().oneshot(request),
        )
        .await
        .expect("answered within the hour")
        .expect("infallible");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .expect("body");
        (
            status,
            String::from_utf8_lossy(&body).into_owned(),
            started.elapsed(),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_unanswered_at_the_deadline_is_answered_503_then_and_not_before() {
        let (status, body, took) = answer("GET", "/wait/19").await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "answered"));
        assert_eq!(took.as_secs(), 19);

        let (status, body, took) = answer("GET", "/never").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body, "Frontdesk took too long to answer. Please try again.");
        assert_eq!(took, REQUEST_DEADLINE);
    }

    #[tokio::test(start_paused = true)]
    async fn import_csvs_upload_has_a_deadline_of_its_own() {
        let (status, _, took) = answer("POST", app::members::import::UPLOAD_PATH).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(took, UPLOAD_DEADLINE);
        assert!(UPLOAD_DEADLINE > REQUEST_DEADLINE);
    }
}
