//! Server functions of the rooms page.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::{RoomInput, RoomList, RoomRow};
use crate::error::AppError;

/// The rooms of every clinic the caller administers, with their member counts.
#[server(endpoint = "rooms/list")]
pub async fn load_rooms() -> Result<RoomList, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::service::list(&state.db, &admin.clinic_ids).await
}

/// Creates a room (`id` empty) or changes one.
#[server(endpoint = "rooms/save", input = Json)]
pub async fn save_room(room: RoomInput) -> Result<RoomRow, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::service::save(&state.db, &admin, room).await
}

/// Deactivates a room (its link then says the room is closed) or opens it again.
#[server(endpoint = "rooms/set_active")]
pub async fn set_room_active(id: i64, active: bool) -> Result<RoomRow, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::service::set_active(&state.db, &admin, id, active).await
}
