//! The patient side: a room's page (`/u/{slug}`), entering as a guest, the waiting room,
//! signing up with a confirmed email, and the patient's own account page.
//!
//! Every form here works without JavaScript: each posts to its server function, which
//! answers with a redirect (and, after a failure, the error in the URL).

mod account;
mod room;
#[cfg(feature = "ssr")]
pub mod service;
mod signup;

pub use account::*;
pub use room::*;
pub use signup::*;

use serde::{Deserialize, Serialize};

use crate::accounts::choices::Choice;
use crate::accounts::profile::{self, ProfileInput, ValidProfile, field};
use crate::error::FieldError;
use crate::validation::PasswordPolicy;

/// A waiting room the patient can go to: its name and its link's slug (`/u/{slug}`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomLink {
    pub name: String,
    pub slug: String,
}

/// One visit, as the Management tab and the patient's account page list it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitRow {
    /// "YYYY-MM-DD HH:MM:SS" and the zone's abbreviation, in the reader's time zone.
    pub at: String,
    pub room: String,
    pub reason: String,
    pub status: String,
    /// Who saw the patient ("" when no one did).
    pub provider: String,
    /// From start to end ("" when the visit did not take place).
    pub duration: String,
}

/// Words the patient pages share.
pub mod words {
    pub const SIGNUP_ANSWER: &str = "Check your email to finish signing up. We sent a message to the address you gave; its link works for 72 hours.";
    pub const SIGNUP_CLOSED: &str = "Sign-up is not open in this room.";
    pub const GUESTS_CLOSED: &str = "Guest entry is not open in this room.";
    pub const ROOM_FULL: &str =
        "This waiting room is full just now. Please try again in a few minutes.";
    pub const UNCONFIRMED: &str = "Open the link we emailed you to finish signing up, then sign in here. Lost the email? We can send it again.";
    pub const CONFIRM_PASSWORD_MISSING: &str = "Enter the password you chose when you signed up.";
    pub const CONFIRM_PASSWORD_WRONG: &str = "That is not the password chosen for this sign-up. If you did not sign up, ignore the email.";
    pub const RESENT: &str =
        "If a sign-up is waiting for that address, we have sent its link again.";
    pub const ALREADY_MEMBER: &str = "This email address already has an account. Sign in instead.";
    pub const DEAD_CONFIRM: &str = "This link has expired or was already used. Sign up again, or sign in if you already confirmed.";
}

/// How long a sign-up's confirmation link lives.
pub const CONFIRM_HOURS: i64 = 72;
/// How long the waiting room waits before asking again after a failed question, in
/// milliseconds. Otherwise it asks again as soon as it is answered: the server holds the
/// question until the queue changes (see `visits::watch`).
pub const RETRY_MS: u32 = 1_500;

/// A room as its public page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomEntry {
    pub slug: String,
    pub name: String,
    pub clinic_name: String,
    /// False once an admin deactivated the room: the page then says it is closed.
    pub open: bool,
    pub guest_allowed: bool,
    pub signup_allowed: bool,
    /// The signed-in patient's name, when a member (not a guest) is signed in.
    pub signed_in_as: Option<String>,
}

/// The sign-up form's room, password policy and time zones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignUpForm {
    pub room: RoomEntry,
    pub policy: PasswordPolicy,
    pub timezones: Vec<Choice>,
}

/// Where the patient's newest visit stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VisitState {
    /// Waiting, with `place` 1 for the next patient seen.
    Waiting {
        place: u64,
    },
    InProgress,
    Completed,
    /// The provider called and the patient was not there.
    NoShow,
    Left,
}

impl VisitState {
    /// Waiting or in a visit: the page keeps asking.
    pub fn goes_on(self) -> bool {
        matches!(self, Self::Waiting { .. } | Self::InProgress)
    }
}

/// The waiting room's view of the caller's newest visit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitStatus {
    pub slug: String,
    pub room_name: String,
    pub first_name: String,
    pub state: VisitState,
    /// While the visit is in progress: where it takes place.
    pub visit_link: Option<String>,
}

/// Guest entry as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestInput {
    pub first_name: String,
    pub last_name: String,
    pub reason: String,
}

pub mod guest_field {
    pub const FIRST_NAME: &str = "first_name";
    pub const LAST_NAME: &str = "last_name";
    pub const REASON: &str = "reason";
}

/// The reason for a visit: required, at most 500 characters.
pub fn visit_reason(input: &str) -> Result<String, String> {
    let reason = input.split_whitespace().collect::<Vec<_>>().join(" ");
    match reason.chars().count() {
        0 => Err("Enter the reason for your visit.".into()),
        n if n > 500 => Err("The reason has at most 500 characters.".into()),
        _ => Ok(reason),
    }
}

impl GuestInput {
    /// Names and reason, normalised; or one message per rejected field.
    pub fn validate(&self) -> Result<GuestInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut take = |name: &str, r: Result<String, String>| {
            r.unwrap_or_else(|m| {
                errors.push(FieldError::new(name, m));
                String::new()
            })
        };
        let first_name = take(
            guest_field::FIRST_NAME,
            profile::person_name(&self.first_name, "first name"),
        );
        let last_name = take(
            guest_field::LAST_NAME,
            profile::person_name(&self.last_name, "last name"),
        );
        let reason = take(guest_field::REASON, visit_reason(&self.reason));
        if errors.is_empty() {
            Ok(GuestInput {
                first_name,
                last_name,
                reason,
            })
        } else {
            Err(errors)
        }
    }
}

/// The sign-up form as typed. The email is also the username.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignUpInput {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub password: String,
    pub confirm_password: String,
    /// "YYYY-MM-DD", as a date input sends it.
    pub date_of_birth: String,
    pub phone: String,
    pub timezone: String,
}

impl SignUpInput {
    fn profile(&self) -> ProfileInput {
        let mut p = ProfileInput {
            username: self.email.trim().to_owned(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            timezone: self.timezone.clone(),
            ..ProfileInput::new_member()
        };
        p.set_date_of_birth(Some(self.date_of_birth.trim()));
        p
    }

    /// Every rule of the form, the clinic's password policy included; messages in form order.
    pub fn validate(
        &self,
        policy: &PasswordPolicy,
        today: time::Date,
    ) -> Result<ValidProfile, Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.date_of_birth.trim().is_empty() {
            errors.push(FieldError::new(
                field::DATE_OF_BIRTH,
                "Enter your date of birth.",
            ));
        } else if self.date_of_birth.trim().split('-').count() != 3 {
            errors.push(FieldError::new(
                field::DATE_OF_BIRTH,
                "Enter a date of birth like 1990-04-21.",
            ));
        }
        let valid = match self.profile().validate(today) {
            Ok(v) => Some(v),
            Err(errs) => {
                errors.extend(errs.into_iter().filter(|e| {
                    e.field != field::USERNAME
                        && !(e.field == field::DATE_OF_BIRTH
                            && self.date_of_birth.trim().split('-').count() != 3)
                }));
                None
            }
        };
        if self.password.is_empty() {
            errors.push(FieldError::new(field::PASSWORD, "Choose a password."));
        } else {
            errors.extend(profile::check_new_password(
                &self.password,
                &self.confirm_password,
                self.email.trim(),
                policy,
            ));
        }
        const ORDER: [&str; 8] = [
            field::FIRST_NAME,
            field::LAST_NAME,
            field::EMAIL,
            field::PASSWORD,
            field::CONFIRM_PASSWORD,
            field::DATE_OF_BIRTH,
            field::PHONE,
            field::TIMEZONE,
        ];
        errors.sort_by_key(|e| ORDER.iter().position(|f| *f == e.field));
        match valid {
            Some(v) if errors.is_empty() => Ok(v),
            _ => Err(errors),
        }
    }
}

/// The contact fields a patient edits on their account page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactInput {
    pub version: i32,
    pub phone: String,
    pub address: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub country: String,
    pub timezone: String,
}

/// The patient's own account, as their account page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    /// The active rooms the patient belongs to: where they can wait to be seen.
    pub rooms: Vec<RoomLink>,
    pub first_name: String,
    pub last_name: String,
    pub username: String,
    pub email: String,
    pub date_of_birth: Option<String>,
    pub clinic_name: String,
    pub contact: ContactInput,
    pub visits: Vec<VisitRow>,
    pub policy: PasswordPolicy,
    pub countries: Vec<Choice>,
    pub us_states: Vec<Choice>,
    pub timezones: Vec<Choice>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> time::Date {
        time::macros::date!(2026 - 11 - 30)
    }

    fn good() -> SignUpInput {
        SignUpInput {
            first_name: "Ana".into(),
            last_name: "Ruiz".into(),
            email: "ana@example.com".into(),
            password: "Tr1cky-Lantern".into(),
            confirm_password: "Tr1cky-Lantern".into(),
            date_of_birth: "1990-04-21".into(),
            phone: "".into(),
            timezone: "America/New_York".into(),
        }
    }

    #[test]
    fn a_complete_sign_up_passes_with_the_email_as_username() {
        let v = good()
            .validate(&PasswordPolicy::default(), today())
            .unwrap();
        assert_eq!(v.username, "ana@example.com");
        assert_eq!(v.date_of_birth.as_deref(), Some("1990-04-21"));
    }

    #[test]
    fn sign_up_names_each_rejected_field_in_form_order() {
        let bad = SignUpInput {
            first_name: "".into(),
            email: "nope".into(),
            password: "short".into(),
            date_of_birth: "".into(),
            ..good()
        };
        let fields: Vec<String> = bad
            .validate(&PasswordPolicy::default(), today())
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                field::FIRST_NAME,
                field::EMAIL,
                field::PASSWORD,
                field::CONFIRM_PASSWORD,
                field::DATE_OF_BIRTH
            ]
        );
    }

    #[test]
    fn a_future_birth_date_is_refused() {
        let bad = SignUpInput {
            date_of_birth: "2030-01-01".into(),
            ..good()
        };
        let errs = bad
            .validate(&PasswordPolicy::default(), today())
            .unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, field::DATE_OF_BIRTH);
    }

    #[test]
    fn guests_need_names_and_a_reason() {
        let errs = GuestInput::default().validate().unwrap_err();
        assert_eq!(errs.len(), 3);
        let ok = GuestInput {
            first_name: " Lee ".into(),
            last_name: "Park".into(),
            reason: "  Cough  ".into(),
        }
        .validate()
        .unwrap();
        assert_eq!(
            (ok.first_name.as_str(), ok.reason.as_str()),
            ("Lee", "Cough")
        );
    }
}
