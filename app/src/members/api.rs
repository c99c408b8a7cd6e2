//! Server functions of the users table, the Create a Member form and the Member Detail modal.

use crate::ui::post_form::{Fields, FromFields};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::bulk::{BulkLine, BulkPrepared, BulkProgress, BulkScope};
use super::import::ImportProgress;
use super::types::FormOptions;
use super::types::{DeletePreview, MemberDetail, MemberHistory, NewMember, PasswordInfo};
use super::{MemberPage, RoomOption, UsersQuery};
use crate::accounts::profile::ProfileInput;
use crate::error::AppError;

/// One page of the users of the caller's clinics, in the view `query` (as in the URL).
#[server(endpoint = "members/list")]
pub async fn list_members(#[server(default)] query: UsersQuery) -> Result<MemberPage, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    admins_page(&state, &admin, &query.parse()?).await
}

/// The users page's table for the view `query` (the page of [`list_members`]), rendered
/// by the server: its count, its rows and its pager.
#[server(endpoint = "members/table")]
pub async fn members_table(#[server(default)] query: UsersQuery) -> Result<String, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    let parsed = query.parse()?;
    // A table rendered for this page and this address is kept as its page is (under the
    // clinics' member version), so a search repeated meanwhile costs neither query nor render.
    let key = page_key(&admin, &parsed);
    let address = super::users_url(&query);
    if let Some(html) = state.recent_pages.table(&key, &address) {
        return Ok(html);
    }
    let page = admins_page(&state, &admin, &parsed).await?;
    let html = super::server::rendered_table::render(page, query);
    state.recent_pages.keep_table(&key, &address, &html);
    Ok(html)
}

/// Where the admin's page of the view `parsed` is kept: its clinics, their member version,
/// the view, and the admin's time zone (the page's times are written in it).
#[cfg(feature = "ssr")]
fn page_key(admin: &crate::auth::guard::Admin, parsed: &super::ParsedQuery) -> String {
    let key = super::server::remembered::RecentPages::key(
        &admin.clinic_ids,
        admin.members_version,
        parsed,
    );
    format!("{key}|{}", admin.zone.iana_name().unwrap_or("UTC"))
}

/// The page of the admin's clinics' users in the view `parsed`, kept or read (the page both
/// functions above show).
#[cfg(feature = "ssr")]
async fn admins_page(
    state: &crate::state::AppState,
    admin: &crate::auth::guard::Admin,
    parsed: &super::ParsedQuery,
) -> Result<MemberPage, AppError> {
    super::server::users_table::list_recent(
        &state.db,
        &state.capped_views,
        &state.recent_pages,
        &admin.clinic_ids,
        page_key(admin, parsed),
        parsed,
        &admin.zone,
    )
    .await
}

/// The rooms of the caller's clinics, for the room filter.
#[server(endpoint = "members/rooms")]
pub async fn list_rooms() -> Result<Vec<RoomOption>, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::server::users_table::rooms(&state.db, &admin.clinic_ids).await
}

/// The clinics, rooms and lists the Create a Member form and the Profile tab offer.
#[server(endpoint = "members/form")]
pub async fn member_form_options() -> Result<FormOptions, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::server::create::form_options(&state.db, &admin.clinic_ids).await
}

/// Creates a member in one of the caller's clinics; answers the new member's ID.
#[server(endpoint = "members/create", input = Json)]
pub async fn create_member(member: NewMember) -> Result<i64, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::server::create::create(&state, &admin, member).await
}

/// Opens a member's detail (recorded in the audit trail).
#[server(endpoint = "members/detail")]
pub async fn open_member(id: i64) -> Result<MemberDetail, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    crate::auth::guard::started_here()?;
    let state = crate::state::AppState::current()?;
    super::server::edit::open(&state.db, &admin, id).await
}

/// The member's audit history, newest first (the Management tab).
#[server(endpoint = "members/history")]
pub async fn load_member_history(id: i64) -> Result<MemberHistory, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::server::edit::history(&state.db, &admin, id).await
}

/// Saves the Profile tab against the version the admin read.
#[server(endpoint = "members/save_profile", input = Json)]
pub async fn save_member_profile(
    id: i64,
    version: i32,
    profile: ProfileInput,
    /// The possible duplicates the admin was shown and chose to save anyway.
    #[server(default)]
    possible_duplicates_seen: Vec<i64>,
) -> Result<MemberDetail, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::server::edit::save_profile(
        &state.db,
        &admin,
        id,
        version,
        profile,
        &possible_duplicates_seen,
    )
    .await
}

/// Replaces the member's rooms (the Rooms tab) against the version the admin read.
#[server(endpoint = "members/save_rooms", input = Json)]
pub async fn save_member_rooms(
    id: i64,
    version: i32,
    room_ids: Vec<i64>,
) -> Result<MemberDetail, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::server::edit::save_rooms(&state.db, &admin, id, version, room_ids).await
}

/// Changes the member's user type and provider role (the Other tab).
#[server(endpoint = "members/save_type", input = Json)]
pub async fn save_member_type(
    id: i64,
    version: i32,
    user_type: String,
    #[server(default)] provider_role: String,
) -> Result<MemberDetail, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::server::edit::save_type(&state.db, &admin, id, version, &user_type, &provider_role).await
}

/// Saves the status from the Other tab (Active, Suspended, Pending delete).
#[server(endpoint = "members/save_status", input = Json)]
pub async fn save_member_status(
    id: i64,
    version: i32,
    status: String,
) -> Result<MemberDetail, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::server::lifecycle::save_status(&state.db, &admin, id, version, &status).await
}

/// Whose password the Set password dialog sets, and the policy it must meet.
#[server(endpoint = "members/password_info")]
pub async fn load_password_info(id: i64) -> Result<PasswordInfo, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::server::lifecycle::password_info(&state.db, &admin, id).await
}

/// Sets a member's password (the Set password row action).
#[server(endpoint = "members/set_password", input = Json)]
pub async fn set_member_password(
    id: i64,
    password: String,
    confirm_password: String,
    sign_out_everywhere: bool,
) -> Result<(), AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::server::lifecycle::set_password(
        &state,
        &admin,
        id,
        &password,
        &confirm_password,
        sign_out_everywhere,
    )
    .await
}

/// Emails the member a 72-hour link to set a new password.
#[server(endpoint = "members/send_reset")]
pub async fn send_member_reset(id: i64) -> Result<(), AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::server::lifecycle::send_reset(&state, &admin, id).await
}

/// What deleting a member will remove.
#[server(endpoint = "members/delete_preview")]
pub async fn load_delete_preview(id: i64) -> Result<DeletePreview, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::server::lifecycle::delete_preview(&state.db, &admin, id).await
}

/// Deletes a member for good, confirmed by their username.
#[server(endpoint = "members/delete", input = Json)]
pub async fn delete_member(id: i64, confirm_username: String) -> Result<(), AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::server::lifecycle::delete(&state.db, &admin, id, &confirm_username).await
}

/// Counts the members an action on many would change (the members picked on the page, or
/// every member of a view) and keeps it for the admin's confirmation.
#[server(endpoint = "members/bulk/prepare", input = Json)]
pub async fn prepare_bulk(
    kind: String,
    room_id: Option<i64>,
    scope: BulkScope,
) -> Result<BulkPrepared, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::server::bulk::prepare(&state.db, &admin, &kind, room_id, scope).await
}

/// Starts the admin's counted action in the background; answers its ID.
#[server(endpoint = "members/bulk/confirm")]
pub async fn confirm_bulk(id: i64) -> Result<i64, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::server::bulk::confirm(&state, &admin, id).await
}

/// Where the admin's action on many members stands.
#[server(endpoint = "members/bulk/progress")]
pub async fn load_bulk_progress(id: i64) -> Result<BulkProgress, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::server::bulk::progress(&state.db, &admin, id).await
}

/// The admin's own actions on many members of the last day (the newest few), to go back to.
#[server(endpoint = "members/bulk/recent")]
pub async fn recent_bulk() -> Result<Vec<BulkLine>, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::server::bulk::recent(&state.db, &admin).await
}

/// Where the caller's import `id` stands: its preview, progress or result.
#[server(endpoint = "members/import/progress")]
pub async fn load_import(id: i64) -> Result<ImportProgress, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::server::import_state::progress(&state.db, &admin, id).await
}

/// Starts the caller's previewed import `id` (the preview's Import button).
#[server(endpoint = "members/import/start")]
pub async fn start_import(id: i64) -> Result<i64, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::server::import_state::start(&state, &admin, id).await
}

// How each form that posts to these functions makes its call in the browser.

impl FromFields for StartImport {
    fn from_fields(f: &Fields) -> Self {
        Self {
            id: f.text("id").parse().unwrap_or_default(),
        }
    }
}
