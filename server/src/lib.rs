//! Frontdesk's server: wires axum, the database, background work and the command line
//! around the `app` crate.

pub mod bench;
pub mod db;
mod middleware;
pub mod seed;
pub mod settings;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use sea_orm::DatabaseConnection;
use tower_http::compression::CompressionLayer;

use app::auth::password::PasswordHasher;
use app::state::{AppState, AuthSettings};
use app::{App, shell};

pub use settings::Settings;

/// Largest request body a server function reads; larger ones are refused with 413.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Everything the router's handlers share.
#[derive(Clone, FromRef)]
pub struct ServerState {
    pub leptos_options: LeptosOptions,
    pub app: AppState,
}

/// Leptos options for a built site under `site_root`.
pub fn leptos_options(settings: &Settings) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("frontdesk")
        .site_root(settings.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(settings.bind)
        .build()
}

pub fn app_state(db: DatabaseConnection, settings: &Settings) -> AppState {
    AppState {
        db,
        hasher: PasswordHasher::for_this_machine(),
        auth: Arc::new(AuthSettings {
            secure_cookies: settings.secure_cookies(),
            ..AuthSettings::default()
        }),
    }
}

/// The whole HTTP application: pages, server functions, static files.
pub fn router(state: ServerState) -> Router {
    let routes = generate_route_list(App);
    let context = {
        let app = state.app.clone();
        move || provide_context(app.clone())
    };
    let admin_guard =
        axum::middleware::from_fn_with_state(state.app.clone(), middleware::admin_pages);

    // `leptos_routes_with_context` registers the pages and every server function
    // (under /api/); the layers below tell the two apart by path.
    Router::new()
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
        .layer(axum::middleware::from_fn(middleware::same_origin))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_BODY_BYTES,
        ))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .with_state(state)
}

/// Connects, migrates and (on an empty database) seeds, as `frontdesk serve` does at start.
pub async fn prepare(settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    let db = db::connect(&settings.database_url, settings.db_pool).await?;
    db::migrate(&db).await?;
    Ok(db)
}
