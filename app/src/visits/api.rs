//! Server functions of the providers' dashboard and the visit page.

use leptos::prelude::*;

use super::{Board, VisitView};
use crate::error::AppError;

/// The queues of every room the caller serves.
#[server(endpoint = "visits/board")]
pub async fn load_board() -> Result<Board, AppError> {
    let who = crate::auth::guard::require_provider().await?;
    let state = crate::state::AppState::current()?;
    super::service::board(&state.db, &who).await
}

/// Starts a waiting patient's visit; returns the visit's link.
#[server(endpoint = "visits/start")]
pub async fn start_visit(visit_id: i64) -> Result<String, AppError> {
    let who = crate::auth::guard::require_provider().await?;
    let state = crate::state::AppState::current()?;
    let link = super::service::start(&state.db, &who, visit_id).await?;
    state.queues.changed_here();
    Ok(link)
}

/// Ends a visit in progress.
#[server(endpoint = "visits/end")]
pub async fn end_visit(visit_id: i64) -> Result<(), AppError> {
    let who = crate::auth::guard::require_provider().await?;
    let state = crate::state::AppState::current()?;
    super::service::finish(&state.db, &who, visit_id, false).await?;
    state.queues.changed_here();
    Ok(())
}

/// Records that the patient was not there when called.
#[server(endpoint = "visits/no_show")]
pub async fn mark_no_show(visit_id: i64) -> Result<(), AppError> {
    let who = crate::auth::guard::require_provider().await?;
    let state = crate::state::AppState::current()?;
    super::service::finish(&state.db, &who, visit_id, true).await?;
    state.queues.changed_here();
    Ok(())
}

/// A visit, for its patient or a provider of its room.
#[server(endpoint = "visits/open")]
pub async fn open_visit(visit_id: i64) -> Result<VisitView, AppError> {
    let me = crate::auth::guard::require_user().await?;
    let state = crate::state::AppState::current()?;
    super::service::view(&state.db, &me, visit_id).await
}
