//! A clinic's settings: its patient-entry workflow, its password policy, the pending-delete
//! grace period and the idle sign-out time. Every password check, every session and every
//! pending deletion reads them from here.

mod api;
mod page;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::*;
pub use page::*;

use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::validation::{MAX_PASSWORD_CHARS, PasswordPolicy};

/// Field names of the settings form.
pub mod field {
    pub const MIN_LENGTH: &str = "min_length";
    pub const HISTORY_COUNT: &str = "history_count";
    pub const GRACE_DAYS: &str = "delete_grace_days";
    pub const IDLE_MINUTES: &str = "idle_timeout_minutes";
    pub const GUEST_DAYS: &str = "guest_retention_days";
    pub const DORMANT_MONTHS: &str = "dormant_months";
    pub const DORMANT_WARN_DAYS: &str = "dormant_warn_days";
}

/// The bounds an admin may choose within.
pub const MIN_LENGTH: (u32, u32) = (8, 64);
pub const HISTORY: (u32, u32) = (0, 24);
pub const GRACE_DAYS: (u32, u32) = (1, 365);
pub const IDLE_MINUTES: (u32, u32) = (5, 720);
pub const GUEST_DAYS: (u32, u32) = (1, 3650);
pub const DORMANT_MONTHS: (u32, u32) = (1, 60);
pub const DORMANT_WARN_DAYS: (u32, u32) = (0, 30);
/// Counts of the members a dormant-account policy would suspend stop here: "10,000+".
pub const DORMANT_COUNT_CAP: u64 = 10_000;
/// What the dormant-account fields show while the policy is off.
pub const DORMANT_DEFAULT: (u32, u32) = (12, 14);

/// A clinic's settings as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClinicSettings {
    pub clinic_id: i64,
    pub name: String,
    pub signup_allowed: bool,
    pub guest_allowed: bool,
    pub policy: PasswordPolicy,
    pub delete_grace_days: u32,
    pub idle_timeout_minutes: u32,
    /// Days a guest's record stays after their last visit ended (or began, if it never
    /// ended); then the once-a-minute job deletes it.
    pub guest_retention_days: u32,
    /// Clinic Admins and Providers must turn on two-step sign-in.
    pub require_two_step: bool,
    /// Moves at every save: the form sends back the one it was opened with.
    pub version: i32,
    /// Members who have not signed in for this many months are suspended (0: off).
    pub dormant_months: u32,
    /// Days before the suspension they are emailed a warning (0: none).
    pub dormant_warn_days: u32,
    /// How many members the saved policy would suspend next (0 when it is off), counted up
    /// to `dormant::COUNT_CAP` + 1.
    pub dormant_due: u64,
}

/// The settings form as typed: numbers as strings, so a rejected form keeps them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsInput {
    pub clinic_id: i64,
    pub signup_allowed: bool,
    pub guest_allowed: bool,
    pub min_length: String,
    pub require_upper: bool,
    pub require_lower: bool,
    pub require_digit: bool,
    pub require_symbol: bool,
    pub history_count: String,
    pub delete_grace_days: String,
    pub idle_timeout_minutes: String,
    #[serde(default = "default_guest_days")]
    pub guest_retention_days: String,
    /// Unsent (an older page): the stored rule stays as it is.
    #[serde(default)]
    pub require_two_step: Option<bool>,
    /// The settings' version the form was opened with; a save without it, or from an
    /// older one, is refused (another admin saved in between).
    #[serde(default)]
    pub version: Option<i32>,
    /// The dormant-account policy on or off; unsent (an older page): the stored policy
    /// stays as it is.
    #[serde(default)]
    pub dormant: Option<bool>,
    #[serde(default)]
    pub dormant_months: String,
    #[serde(default)]
    pub dormant_warn_days: String,
}

/// A form sent without the field (an older page) keeps the default.
fn default_guest_days() -> String {
    "30".to_owned()
}

impl From<&ClinicSettings> for SettingsInput {
    fn from(s: &ClinicSettings) -> Self {
        Self {
            clinic_id: s.clinic_id,
            signup_allowed: s.signup_allowed,
            guest_allowed: s.guest_allowed,
            min_length: s.policy.min_length.to_string(),
            require_upper: s.policy.require_upper,
            require_lower: s.policy.require_lower,
            require_digit: s.policy.require_digit,
            require_symbol: s.policy.require_symbol,
            history_count: s.policy.history_count.to_string(),
            delete_grace_days: s.delete_grace_days.to_string(),
            idle_timeout_minutes: s.idle_timeout_minutes.to_string(),
            guest_retention_days: s.guest_retention_days.to_string(),
            require_two_step: Some(s.require_two_step),
            version: Some(s.version),
            dormant: Some(s.dormant_months > 0),
            dormant_months: if s.dormant_months > 0 {
                s.dormant_months
            } else {
                DORMANT_DEFAULT.0
            }
            .to_string(),
            dormant_warn_days: s.dormant_warn_days.to_string(),
        }
    }
}

fn whole_number(input: &str, (low, high): (u32, u32), what: &str) -> Result<u32, String> {
    match input.trim().parse::<u32>() {
        Ok(n) if (low..=high).contains(&n) => Ok(n),
        _ => Err(format!("{what} is a whole number from {low} to {high}.")),
    }
}

impl SettingsInput {
    /// Checks every number; on failure, one message per rejected field. A form that did
    /// not send the two-step requirement reads here as not requiring it: whoever saves
    /// puts the stored rule back in that case (`service::save` does).
    pub fn validate(&self) -> Result<ClinicSettings, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut take = |name: &str, r: Result<u32, String>| {
            r.unwrap_or_else(|m| {
                errors.push(FieldError::new(name, m));
                0
            })
        };
        let min_length = take(
            field::MIN_LENGTH,
            whole_number(&self.min_length, MIN_LENGTH, "The minimum length"),
        );
        let history_count = take(
            field::HISTORY_COUNT,
            whole_number(&self.history_count, HISTORY, "The history count"),
        );
        let grace = take(
            field::GRACE_DAYS,
            whole_number(&self.delete_grace_days, GRACE_DAYS, "The grace period"),
        );
        let idle = take(
            field::IDLE_MINUTES,
            whole_number(&self.idle_timeout_minutes, IDLE_MINUTES, "The idle time"),
        );
        let guest_days = take(
            field::GUEST_DAYS,
            whole_number(
                &self.guest_retention_days,
                GUEST_DAYS,
                "Days a guest is kept",
            ),
        );
        // The policy's numbers are checked when it is on; off, it is stored as 0 months.
        let (dormant_months, dormant_warn_days) = if self.dormant == Some(true) {
            (
                take(
                    field::DORMANT_MONTHS,
                    whole_number(&self.dormant_months, DORMANT_MONTHS, "The number of months"),
                ),
                take(
                    field::DORMANT_WARN_DAYS,
                    whole_number(
                        &self.dormant_warn_days,
                        DORMANT_WARN_DAYS,
                        "The number of days before",
                    ),
                ),
            )
        } else {
            let days = whole_number(&self.dormant_warn_days, DORMANT_WARN_DAYS, "")
                .unwrap_or(DORMANT_DEFAULT.1);
            (0, days)
        };
        // The warning comes within the months, never before the member's last sign-in.
        if dormant_months > 0 && dormant_warn_days >= 28 * dormant_months {
            errors.push(FieldError::new(
                field::DORMANT_WARN_DAYS,
                format!(
                    "Warn fewer than {} days before: the warning comes after the member's last sign-in.",
                    28 * dormant_months
                ),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        debug_assert!(min_length as usize <= MAX_PASSWORD_CHARS);
        Ok(ClinicSettings {
            clinic_id: self.clinic_id,
            name: String::new(),
            signup_allowed: self.signup_allowed,
            guest_allowed: self.guest_allowed,
            policy: PasswordPolicy {
                min_length,
                require_upper: self.require_upper,
                require_lower: self.require_lower,
                require_digit: self.require_digit,
                require_symbol: self.require_symbol,
                history_count,
            },
            delete_grace_days: grace,
            idle_timeout_minutes: idle,
            guest_retention_days: guest_days,
            require_two_step: self.require_two_step.unwrap_or(false),
            version: self.version.unwrap_or_default(),
            dormant_months,
            dormant_warn_days,
            dormant_due: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SettingsInput {
        SettingsInput {
            clinic_id: 1,
            min_length: "8".into(),
            history_count: "6".into(),
            delete_grace_days: "30".into(),
            idle_timeout_minutes: "30".into(),
            guest_retention_days: "30".into(),
            ..SettingsInput::default()
        }
    }

    #[test]
    fn numbers_within_bounds_pass() {
        let s = input().validate().expect("valid");
        assert_eq!(s.policy.min_length, 8);
        assert_eq!(s.delete_grace_days, 30);
    }

    #[test]
    fn each_number_out_of_bounds_is_named() {
        let bad = SettingsInput {
            min_length: "4".into(),
            history_count: "x".into(),
            delete_grace_days: "0".into(),
            idle_timeout_minutes: "100000".into(),
            ..input()
        };
        let fields: Vec<String> = bad
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                field::MIN_LENGTH,
                field::HISTORY_COUNT,
                field::GRACE_DAYS,
                field::IDLE_MINUTES
            ]
        );
    }
}
