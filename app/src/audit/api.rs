//! Server functions of the audit trail.

use leptos::prelude::*;

use super::{AuditPage, AuditQuery};
use crate::error::AppError;

/// The events of the caller's clinics, newest first, filtered as in the URL.
#[server(endpoint = "audit/list")]
pub async fn list_audit(#[server(default)] query: AuditQuery) -> Result<AuditPage, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::service::list(&state.db, &admin.clinic_ids, &query, &admin.zone).await
}
