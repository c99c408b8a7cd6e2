//! The audit trail: who did what to which member, and when. Every admin action and every
//! opening of a member's detail writes an event in the same transaction as the change.

mod api;
mod page;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::*;
pub use page::*;

use serde::{Deserialize, Serialize};

/// What an audit event records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    Created,
    ProfileChanged,
    RoomsChanged,
    TypeChanged,
    Viewed,
    StatusChanged,
    PasswordSet,
    ResetSent,
    Deleted,
    SettingsChanged,
    RoomCreated,
    RoomChanged,
    TwoStepChanged,
    /// The users page's view downloaded as CSV.
    Exported,
    /// An action on many members confirmed (each member's change is an event of its own).
    BulkAction,
    /// A file of members imported (each member's creation or change is an event of its own).
    Imported,
    /// The dormant-account policy emailed a member that their account will be suspended.
    DormantWarned,
    /// The dormant-account policy suspended a member who had not signed in for its months.
    DormantSuspended,
}

impl Action {
    pub const ALL: [Self; 18] = [
        Self::Created,
        Self::ProfileChanged,
        Self::RoomsChanged,
        Self::TypeChanged,
        Self::Viewed,
        Self::StatusChanged,
        Self::PasswordSet,
        Self::ResetSent,
        Self::Deleted,
        Self::SettingsChanged,
        Self::RoomCreated,
        Self::RoomChanged,
        Self::TwoStepChanged,
        Self::Exported,
        Self::BulkAction,
        Self::Imported,
        Self::DormantWarned,
        Self::DormantSuspended,
    ];

    pub fn as_db(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::ProfileChanged => "profile_changed",
            Self::RoomsChanged => "rooms_changed",
            Self::TypeChanged => "type_changed",
            Self::Viewed => "viewed",
            Self::StatusChanged => "status_changed",
            Self::PasswordSet => "password_set",
            Self::ResetSent => "reset_sent",
            Self::Deleted => "deleted",
            Self::SettingsChanged => "settings_changed",
            Self::RoomCreated => "room_created",
            Self::RoomChanged => "room_changed",
            Self::TwoStepChanged => "two_step_changed",
            Self::Exported => "exported",
            Self::BulkAction => "bulk_action",
            Self::Imported => "imported",
            Self::DormantWarned => "dormant_warned",
            Self::DormantSuspended => "dormant_suspended",
        }
    }

    pub fn from_db(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_db() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Created => "Created",
            Self::ProfileChanged => "Profile changed",
            Self::RoomsChanged => "Rooms changed",
            Self::TypeChanged => "User type changed",
            Self::Viewed => "Detail viewed",
            Self::StatusChanged => "Status changed",
            Self::PasswordSet => "Password set",
            Self::ResetSent => "Reset email sent",
            Self::Deleted => "Deleted",
            Self::SettingsChanged => "Clinic settings changed",
            Self::RoomCreated => "Room created",
            Self::RoomChanged => "Room changed",
            Self::TwoStepChanged => "Two-step sign-in changed",
            Self::Exported => "Users exported",
            Self::BulkAction => "Bulk action",
            Self::Imported => "Users imported",
            Self::DormantWarned => "Dormant-account warning sent",
            Self::DormantSuspended => "Suspended as dormant",
        }
    }

    /// Who did it, when no person did: the policy that acts on its own, or Frontdesk.
    pub fn unattended_actor(self) -> &'static str {
        match self {
            Self::DormantWarned | Self::DormantSuspended => "The dormant-account policy",
            _ => "Frontdesk",
        }
    }
}

/// The field of a change that names the bulk action it was part of ("#12").
pub const BULK_ACTION_FIELD: &str = "Bulk action";

/// The field of a change that names the import it was part of ("#12").
pub const IMPORT_FIELD: &str = "Import";

/// One changed field: its label, the old and the new value (masked where sensitive).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    pub from: String,
    pub to: String,
}

impl Change {
    pub fn new(field: &str, from: impl Into<String>, to: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            from: from.into(),
            to: to.into(),
        }
    }
}

/// One event as the audit list and the Management tab show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    /// "YYYY-MM-DD HH:MM:SS" and the zone's abbreviation, in the reader's time zone.
    pub at: String,
    /// The actor's name, or their ID when they no longer exist.
    pub actor: String,
    pub member_id: Option<i64>,
    pub action: Action,
    pub changes: Vec<Change>,
}

/// One page of events, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    /// Cursor for the next (older) page, when there is one.
    pub next: Option<String>,
}

/// The audit list's filters and position, as in the URL (`?member=…&action=…&before=…`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    pub member: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub before: String,
}

/// Events per page.
pub const AUDIT_PAGE_SIZE: u64 = 50;

/// A page cursor: the edge event's time and ID, "1700000000000.42".
pub fn cursor(at_ms: i64, id: i64) -> String {
    format!("{at_ms}.{id}")
}

pub fn parse_cursor(text: &str) -> Option<(i64, i64)> {
    let (at, id) = text.split_once('.')?;
    Some((at.parse().ok()?, id.parse().ok()?))
}

/// Masks a date of birth in the trail: the fact of a change is kept, the value is not.
pub fn mask_date(value: &str) -> String {
    if value.is_empty() {
        String::new()
    } else {
        "••••-••-••".to_owned()
    }
}

/// Masks a phone number in the trail, keeping its last two digits.
pub fn mask_phone(value: &str) -> String {
    let digits: Vec<char> = value.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 2 {
        return String::new();
    }
    let tail: String = digits[digits.len() - 2..].iter().collect();
    format!("••••••{tail}")
}

/// Fields whose values say nothing personal about a member (their account's settings and
/// what was done); every other value is masked once the member is deleted.
const IMPERSONAL_FIELDS: &[&str] = &[
    "Status",
    "User Type",
    "Rooms",
    "Rooms added",
    "Rooms removed",
    "Password",
    "Welcome email",
    "Reset email",
    "Sign up",
    "Sessions",
    "Reason",
];

/// What a deleted member's events keep: each change's field, and the values of impersonal
/// fields only. The fact that something changed stays; what it was does not.
pub fn forget_personal(changes: &mut [Change]) {
    for change in changes {
        if !IMPERSONAL_FIELDS.contains(&change.field.as_str()) {
            for value in [&mut change.from, &mut change.to] {
                if !value.is_empty() {
                    *value = "(removed with the member)".to_owned();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deleted_members_values_are_forgotten_but_not_the_facts() {
        let mut changes = vec![
            Change::new("First Name", "Ana", "Anna"),
            Change::new("Phone", "", "••••••34"),
            Change::new("Status", "Active", "Suspended"),
            Change::new("Rooms", "", "Jessica Laynes' Clinic"),
        ];
        forget_personal(&mut changes);
        assert_eq!(
            changes,
            vec![
                Change::new(
                    "First Name",
                    "(removed with the member)",
                    "(removed with the member)"
                ),
                Change::new("Phone", "", "(removed with the member)"),
                Change::new("Status", "Active", "Suspended"),
                Change::new("Rooms", "", "Jessica Laynes' Clinic"),
            ]
        );
    }

    #[test]
    fn sensitive_values_are_masked() {
        assert_eq!(mask_date("1990-04-08"), "••••-••-••");
        assert_eq!(mask_date(""), "");
        assert_eq!(mask_phone("+14155550123"), "••••••23");
        assert_eq!(mask_phone(""), "");
    }

    #[test]
    fn cursors_round_trip() {
        assert_eq!(
            parse_cursor(&cursor(1_700_000_000_000, 42)),
            Some((1_700_000_000_000, 42))
        );
        assert_eq!(parse_cursor("x.1"), None);
        assert_eq!(parse_cursor("17"), None);
    }

    #[test]
    fn actions_round_trip() {
        for a in Action::ALL {
            assert_eq!(Action::from_db(a.as_db()), Some(a));
        }
    }
}
