//! Frontdesk's server: wires axum, the database, background work and the command line
//! around the `app` crate.

pub mod bench;
mod bench_duplicates;
mod bench_import;
mod bench_pages;
mod bench_writes;
mod bulk_load;
pub mod db;
mod error_links;
pub mod front_door;
mod middleware;
pub mod new_clinic;
pub mod queue_load;
pub mod seed;
pub mod settings;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::http::{HeaderValue, header};
use leptos::prelude::*;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use sea_orm::DatabaseConnection;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use app::auth::password::PasswordHasher;
use app::mail::mailer::Mailer;
use app::mail::outbox::{self, OutboxSettings};
use app::state::{AppState, AuthSettings};
use app::{App, shell};

pub use settings::Settings;

/// The stack of each runtime worker. Rendering a page nests deeply, and more so in
/// unoptimised (development and test) builds than tokio's default 2 MiB allows for the
/// member detail; the memory is reserved, and only what is touched is used.
pub const WORKER_STACK_BYTES: usize = 8 << 20;

/// Everything the router's handlers share.
#[derive(Clone, FromRef)]
pub struct ServerState {
    pub leptos_options: LeptosOptions,
    pub app: AppState,
    pub front_door: Arc<front_door::FrontDoor>,
    pub error_links: Arc<error_links::ErrorLinks>,
}

impl ServerState {
    pub fn new(settings: &Settings, app: AppState) -> Self {
        Self {
            leptos_options: leptos_options(settings),
            front_door: Arc::new(front_door::FrontDoor::new(
                &settings.public_url(),
                settings.trusted_proxies.clone(),
            )),
            error_links: Arc::new(error_links::ErrorLinks::new(app.db.clone())),
            app,
        }
    }
}

/// Leptos options for a built site under `site_root`.
pub fn leptos_options(settings: &Settings) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("frontdesk")
        .site_root(settings.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(settings.bind)
        .hash_files(bundle_names_are_hashed())
        .build()
}

/// The file `cargo leptos build` writes beside the binary, naming the bundle's files by
/// their content (`hash-files` in Cargo.toml). Pages read it to link those files.
const HASH_FILE: &str = "hash.txt";

/// Whether this binary was built with content-named bundle files: its hash file is beside
/// it. Test binaries and `cargo run` builds have none and link the plain names.
fn bundle_names_are_hashed() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(HASH_FILE).is_file()))
        .unwrap_or(false)
}

pub fn app_state(db: DatabaseConnection, settings: &Settings) -> anyhow::Result<AppState> {
    Ok(AppState {
        sealer: Arc::new(settings.sealer()?),
        passkeys: app::two_step::service::relying_party(&settings.public_url()).map(Arc::new),
        exports: Arc::new(tokio::sync::Semaphore::new(
            app::members::server::export::AT_ONCE,
        )),
        imports: Arc::new(tokio::sync::Semaphore::new(
            app::members::server::import_read::AT_ONCE,
        )),
        queues: Arc::new(app::visits::watch::QueueWatch::new(db.clone())),
        touches: Arc::new(app::auth::touches::Touches::new(db.clone())),
        db,
        hasher: PasswordHasher::for_this_machine(),
        auth: Arc::new(AuthSettings {
            secure_cookies: settings.secure_cookies(),
            public_url: settings.public_url(),
            ..AuthSettings::default()
        }),
        throttle: Arc::new(app::auth::throttle::Throttle::new({
            let mut limits = app::auth::throttle::Limits::default();
            limits.public_posts.burst = settings.public_post_burst.max(1);
            limits.guest_entries.burst = settings.guest_burst.max(1);
            limits
        })),
        capped_views: Arc::default(),
        recent_pages: Arc::new(app::members::server::remembered::RecentPages::new(
            settings.recent_pages,
        )),
    })
}

/// The app's pages, listed once per process.
///
/// Listing them renders the app with a process-wide switch on (leptos_server 0.8's
/// `SuppressResourceLoad`), and every resource first polled while it is on, in any page
/// that any server in the process is rendering, waits forever: that page never finishes
/// and is answered 503 at the deadline (leptos-rs/leptos#4773). A second listing, by a
/// second router in the same process, would do exactly that to pages already being served,
/// so the list is made once, before any router exists, and copied after.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The members "Export selected" names (`ids=1,2,3`), besides the view.
#[derive(serde::Deserialize)]
struct ExportPicked {
    #[serde(default)]
    ids: String,
}

/// Export CSV of the users page's view (its query string), streamed.
async fn export_users(
    axum::extract::State(app): axum::extract::State<AppState>,
    headers: axum::http::HeaderMap,
    axum::extract::Query(query): axum::extract::Query<app::members::query::UsersQuery>,
    axum::extract::Query(picked): axum::extract::Query<ExportPicked>,
) -> axum::response::Response {
    app::members::server::export::export_csv(app, &headers, query, &picked.ids).await
}

/// Import CSV's upload: the file read into a preview.
async fn import_users(
    axum::extract::State(app): axum::extract::State<AppState>,
    headers: axum::http::HeaderMap,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> axum::response::Response {
    app::members::server::import_read::import_csv(app, &headers, multipart).await
}

/// The whole HTTP application: pages, server functions, static files.
pub fn router(state: ServerState) -> Router {
    let routes = page_routes();
    let context = {
        let app = state.app.clone();
        move || {
            provide_context(app.clone());
            middleware::provide_page_nonce();
        }
    };
    let admin_guard =
        axum::middleware::from_fn_with_state(state.app.clone(), middleware::admin_pages);

    // `leptos_routes_with_context` registers the pages and every server function
    // (under /api/); the layers below tell the two apart by path.
    Router::new()
        .route("/admin/users/export.csv", axum::routing::get(export_users))
        .route(
            app::members::import::UPLOAD_PATH,
            axum::routing::post(import_users).layer(axum::extract::DefaultBodyLimit::max(
                middleware::UPLOAD_BODY_BYTES,
            )),
        )
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            ServerState,
            _,
        >(context, shell))
        .layer(admin_guard)
        .layer(axum::middleware::from_fn(middleware::server_fn_status))
        .layer(axum::middleware::from_fn_with_state(
            state.error_links.clone(),
            error_links::sign_error_links,
        ))
        .layer(axum::middleware::from_fn(middleware::same_origin))
        .layer(axum::middleware::from_fn(middleware::body_limit))
        // Files already compressed at build time (`.br`, `.gz` beside them) are served as
        // they are; this compresses pages and server-function answers on the fly.
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn(middleware::cache_policy))
        .layer(axum::middleware::from_fn(middleware::deadline))
        .layer(axum::middleware::from_fn_with_state(
            state.front_door.clone(),
            front_door::front_door,
        ))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        // The same on every answer, whatever produced it.
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .with_state(state)
}

/// How often each server forgets what has expired (see `app::retention`).
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Starts the background work every server runs: the mail outbox worker and, once a
/// minute, forgetting what has expired (accounts past their pending-delete grace period,
/// dead sessions, links and sign-ups, undelivered dead mail, idle brakes, and files of mail
/// that is gone), taking up bulk actions and imports whose server stopped, and the clinics'
/// dormant-account policies. All are safe with several servers on one database.
pub fn start_background(
    db: DatabaseConnection,
    mailer: Mailer,
    production: bool,
    public_url: String,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    check_mailer(&mailer, production)?;
    let outbox = tokio::spawn(outbox::run_forever(
        db.clone(),
        mailer.clone(),
        OutboxSettings::default(),
    ));
    let purge = tokio::spawn(async move {
        loop {
            forget_expired(&db, &mailer).await;
            match app::members::server::bulk_work::resume_abandoned(&db, &public_url).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(actions = n, "bulk actions taken up again"),
                Err(err) => tracing::warn!(error = %err, "taking up bulk actions failed"),
            }
            match app::members::server::import_work::resume_abandoned(&db, &public_url).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(imports = n, "imports taken up again"),
                Err(err) => tracing::warn!(error = %err, "taking up imports failed"),
            }
            let now = app::db::now_ms();
            match app::members::server::dormant::run(&db, &public_url, now).await {
                Ok(r) if r == Default::default() => {}
                Ok(r) => tracing::info!(
                    warned = r.warned,
                    suspended = r.suspended,
                    "dormant-account policy"
                ),
                Err(err) => tracing::warn!(error = %err, "dormant-account policy failed"),
            }
            tokio::time::sleep(PURGE_EVERY).await;
        }
    });
    Ok(vec![outbox, purge])
}

/// One round of forgetting, logged by counts only.
pub async fn forget_expired(db: &DatabaseConnection, mailer: &Mailer) {
    match app::retention::forget_expired(db).await {
        Ok(f) if f.is_empty() => {}
        Ok(f) => tracing::info!(
            accounts = f.accounts,
            sessions = f.sessions,
            links = f.links,
            signups = f.signups,
            messages = f.messages,
            brakes = f.brakes,
            guests = f.guests,
            silent_waits = f.silent_waits,
            bulk_actions = f.bulk_actions,
            imports = f.imports,
            "expired records forgotten"
        ),
        Err(err) => tracing::warn!(error = %err, "forgetting expired records failed"),
    }
    match mailer.sweep_files(db).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(files = n, "mail files of removed messages deleted"),
        Err(err) => tracing::warn!(error = %err, "mail folder sweep failed"),
    }
}

/// The in-memory mailer loses every message: a server that people reach over HTTPS refuses it.
pub fn check_mailer(mailer: &Mailer, production: bool) -> anyhow::Result<()> {
    if production && mailer.is_memory() {
        anyhow::bail!("the in-memory mailer is for tests only; set FRONTDESK_SMTP_URL");
    }
    Ok(())
}

/// Connects, migrates and (on an empty database) seeds, as `frontdesk serve` does at start.
pub async fn prepare(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let db = db::connect(&settings.database_url, settings.db_pool).await?;
    db::migrate(&db).await?;
    Ok(db)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_refuses_the_memory_mailer() {
        let from = "Frontdesk <no-reply@frontdesk.test>";
        let memory = Mailer::memory(from).expect("mailer");
        assert!(check_mailer(&memory, true).is_err());
        assert!(check_mailer(&memory, false).is_ok());
        let files = Mailer::files("data/mail".into(), from).expect("mailer");
        assert!(check_mailer(&files, true).is_ok());
    }
}
