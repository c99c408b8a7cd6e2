//! Server functions of the users table.

use leptos::prelude::*;

use super::MemberPage;
use crate::error::AppError;

/// One page of the users of the caller's clinics, filtered by `q`.
#[server(endpoint = "members/list")]
pub async fn list_members(q: String) -> Result<MemberPage, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::service::list(&state.db, &admin.clinic_ids, &q).await
}
