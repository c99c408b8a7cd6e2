//! What the Create a Member form sends and what the Member Detail modal shows.

use serde::{Deserialize, Serialize};

use super::RoomOption;
use super::{Status, UserType};
use crate::accounts::choices::Choice;
use crate::accounts::profile::ProfileInput;
use crate::audit::AuditRow;
use crate::patients::VisitRow;
use crate::validation::PasswordPolicy;

/// The Create a Member form. `password` is plain text on its way to be hashed: the type has
/// no `Debug` that would print it.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMember {
    pub clinic_id: i64,
    pub room_ids: Vec<i64>,
    /// `member`, `provider` or `clinic_admin` (as [`UserType::key`]).
    pub user_type: String,
    pub password: String,
    pub confirm_password: String,
    pub profile: ProfileInput,
    /// The possible duplicates the admin was shown and chose to create the member anyway.
    #[serde(default)]
    pub possible_duplicates_seen: Vec<i64>,
}

impl std::fmt::Debug for NewMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewMember")
            .field("clinic_id", &self.clinic_id)
            .field("room_ids", &self.room_ids)
            .field("user_type", &self.user_type)
            .finish_non_exhaustive()
    }
}

/// A room a member is assigned to, or may be.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignedRoom {
    pub id: i64,
    pub name: String,
    pub code: String,
    pub slug: String,
}

/// Everything the Member Detail modal shows about one member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberDetail {
    pub id: i64,
    pub clinic_id: i64,
    pub clinic_name: String,
    /// Sent back with every save: a save against an older version is refused.
    pub version: i32,
    pub user_type: UserType,
    pub provider_role: Option<String>,
    pub status: Status,
    pub first_name: String,
    pub last_name: String,
    pub username: String,
    pub email: String,
    /// The Profile tab's fields, as the form holds them.
    pub profile: ProfileInput,
    pub rooms: Vec<AssignedRoom>,
    /// The clinic's active rooms, for adding.
    pub clinic_rooms: Vec<AssignedRoom>,
    /// "YYYY-MM-DD HH:MM:SS" and the zone's abbreviation, in the reader's time zone.
    pub signed_up: String,
    /// `None` for "Not logged in!".
    pub last_login: Option<String>,
    /// The newest visits, and how many there are in all.
    pub visits: Vec<VisitRow>,
    pub visit_count: u64,
    /// Whether this detail belongs to the admin looking at it.
    pub is_self: bool,
    /// When a Pending delete account goes for good, "YYYY-MM-DD HH:MM:SS" and the zone's abbreviation, in the reader's time zone.
    pub delete_on: Option<String>,
    /// The clinic's grace period: how many days after Pending delete is saved the account
    /// goes for good.
    pub delete_grace_days: u32,
    /// The member's second factors, as the Management tab names them ("an authenticator
    /// app and a passkey"); none when two-step sign-in is off.
    pub two_step: Option<String>,
}

/// What the delete confirmation shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletePreview {
    pub id: i64,
    pub name: String,
    pub username: String,
    /// Visit records that go with the account.
    pub visits: u64,
    pub is_self: bool,
}

/// Whether `typed` is `username`, whatever the case and the spaces around it: what deleting
/// an account asks the admin to type. The delete dialog enables its button by it, and the
/// server refuses a delete without it.
pub fn confirms_username(typed: &str, username: &str) -> bool {
    crate::text::lower(typed.trim()) == crate::text::lower(username)
}

/// What the Set password dialog needs: whose password, and the policy it must meet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordInfo {
    pub id: i64,
    pub name: String,
    pub username: String,
    pub policy: crate::validation::PasswordPolicy,
}

impl MemberDetail {
    /// "JANE GOMEZ", as the modal's title shows it.
    pub fn title_name(&self) -> String {
        crate::text::upper(&format!("{} {}", self.first_name, self.last_name))
    }

    /// "Member", or "Provider (Doctor)".
    pub fn type_label(&self) -> String {
        match &self.provider_role {
            Some(role) if self.user_type == UserType::Provider => {
                format!("{} ({role})", self.user_type.label())
            }
            _ => self.user_type.label().to_owned(),
        }
    }
}

/// The Management tab's audit history of a member, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberHistory {
    pub rows: Vec<AuditRow>,
}

/// A clinic the admin may create members in, with its active rooms and password policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClinicChoice {
    pub id: i64,
    pub name: String,
    pub rooms: Vec<RoomOption>,
    pub policy: PasswordPolicy,
}

/// Everything the create form and the Profile tab offer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormOptions {
    pub clinics: Vec<ClinicChoice>,
    pub countries: Vec<Choice>,
    pub us_states: Vec<Choice>,
    pub timezones: Vec<Choice>,
}

impl FormOptions {
    pub fn clinic(&self, id: i64) -> Option<&ClinicChoice> {
        self.clinics.iter().find(|c| c.id == id)
    }
}

/// Provider roles (the article's "User Roles"): what kind of provider a Provider is.
pub const PROVIDER_ROLES: [&str; 4] = ["Doctor", "Nurse", "Medical Assistant", "Other"];
