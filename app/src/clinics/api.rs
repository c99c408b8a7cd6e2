//! Server functions of the clinic settings page.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::{ClinicSettings, SettingsInput};
use crate::error::AppError;

/// The settings of every clinic the caller administers.
#[server(endpoint = "clinics/settings")]
pub async fn load_clinic_settings() -> Result<Vec<ClinicSettings>, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::service::settings(&state.db, &admin.clinic_ids).await
}

/// Saves one clinic's settings.
#[server(endpoint = "clinics/save_settings", input = Json)]
pub async fn save_clinic_settings(settings: SettingsInput) -> Result<ClinicSettings, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::service::save(&state.db, &admin, settings).await
}

/// How many guests' records a shorter keeping time would delete: asked before it is saved.
#[server(endpoint = "clinics/guests_past")]
pub async fn guests_past_keeping(clinic_id: i64, days: u32) -> Result<u64, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    super::service::guests_past(&state.db, &admin, clinic_id, days).await
}

/// How many members a dormant-account policy of `months` months would suspend next: said
/// on the settings page as the admin chooses, before saving.
#[server(endpoint = "clinics/dormant_due")]
pub async fn dormant_due(clinic_id: i64, months: u32) -> Result<u64, AppError> {
    let admin = crate::auth::guard::require_admin().await?;
    let state = crate::state::AppState::current()?;
    if !admin.clinic_ids.contains(&clinic_id) {
        return Err(AppError::NotFound);
    }
    if !(super::DORMANT_MONTHS.0..=super::DORMANT_MONTHS.1).contains(&months) {
        return Err(AppError::validation(
            super::field::DORMANT_MONTHS,
            "The number of months is a whole number from 1 to 60.",
        ));
    }
    crate::members::server::dormant::due(&state.db, clinic_id, months, crate::db::now_ms()).await
}
