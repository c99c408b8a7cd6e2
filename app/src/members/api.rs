//! Server functions of the users table.

use leptos::prelude::*;

use super::{MemberPage, RoomOption, UsersQuery};
use crate::error::AppError;

/// One page of the users of the caller's clinics, in the view `query` (as in the URL).
#[server(endpoint = "members/list")]
pub async fn list_members(#[server(default)] query: UsersQuery) -> Result<MemberPage, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    let parsed = query.parse()?;
    super::service::list(&state.db, &admin.clinic_ids, &parsed).await
}

/// The rooms of the caller's clinics, for the room filter.
#[server(endpoint = "members/rooms")]
pub async fn list_rooms() -> Result<Vec<RoomOption>, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::service::rooms(&state.db, &admin.clinic_ids).await
}
