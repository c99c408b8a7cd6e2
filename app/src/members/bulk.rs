//! Actions on many members at once: what an admin may ask for, and what the browser is told
//! of an action's progress. The work itself is the server's ([`super::server::bulk`]).

use serde::{Deserialize, Serialize};

use super::UsersQuery;

/// An action on many members, as the users page offers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BulkKind {
    Suspend,
    Reactivate,
    PendingDelete,
    SendReset,
    AddRoom,
    RemoveRoom,
}

impl BulkKind {
    pub const ALL: [Self; 6] = [
        Self::Suspend,
        Self::Reactivate,
        Self::PendingDelete,
        Self::SendReset,
        Self::AddRoom,
        Self::RemoveRoom,
    ];

    /// The name stored and sent: `suspend`, `add_room`, …
    pub fn key(self) -> &'static str {
        match self {
            Self::Suspend => "suspend",
            Self::Reactivate => "reactivate",
            Self::PendingDelete => "pending_delete",
            Self::SendReset => "send_reset",
            Self::AddRoom => "add_room",
            Self::RemoveRoom => "remove_room",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }

    /// As the action list names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Suspend => "Suspend",
            Self::Reactivate => "Reactivate",
            Self::PendingDelete => "Pending delete",
            Self::SendReset => "Send Reset Password Email",
            Self::AddRoom => "Add to room",
            Self::RemoveRoom => "Remove from room",
        }
    }

    /// Whether the action names a room.
    pub fn needs_room(self) -> bool {
        matches!(self, Self::AddRoom | Self::RemoveRoom)
    }

    /// The action on `count` members as the confirmation asks it ("Suspend 3 members?" is
    /// `words(…)` with a question mark; the confirming button says `words(…)`).
    pub fn words(self, count: u64, room: &str) -> String {
        let members = members_count(count);
        match self {
            Self::Suspend => format!("Suspend {members}"),
            Self::Reactivate => format!("Reactivate {members}"),
            Self::PendingDelete => format!("Set {members} to Pending delete"),
            Self::SendReset => format!("Send a reset password email to {members}"),
            Self::AddRoom => format!("Add {members} to {room}"),
            Self::RemoveRoom => format!("Remove {members} from {room}"),
        }
    }

    /// What the action does to each member, said before it is confirmed.
    pub fn consequence(self, grace_days: i32) -> String {
        match self {
            Self::Suspend => {
                "Each is signed out everywhere and cannot sign in until reactivated.".to_owned()
            }
            Self::Reactivate => {
                "Each can sign in again; a scheduled deletion is cancelled.".to_owned()
            }
            Self::PendingDelete => format!(
                "Each is signed out everywhere and deleted for good after {grace_days} days, \
                 unless reactivated before then."
            ),
            Self::SendReset => {
                "Each gets an email with a link to set a new password, valid for 72 hours."
                    .to_owned()
            }
            Self::AddRoom => "Each is added to the room.".to_owned(),
            Self::RemoveRoom => {
                "Each is removed from the room; a member whose only room it is keeps it.".to_owned()
            }
        }
    }
}

/// Which members an action is on: those picked on the page (by ID), or every member the
/// view matches (by its query, never a list of IDs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BulkScope {
    Picked(Vec<i64>),
    View(UsersQuery),
}

/// Members picked on one page at most: the largest page.
pub const MAX_PICKED: usize = 100;

/// An action counted and waiting for the admin's confirmation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkPrepared {
    pub id: i64,
    pub count: u64,
    /// "Suspend 3 members?"
    pub question: String,
    /// What happens to each, from [`BulkKind::consequence`].
    pub consequence: String,
    /// The confirming button's words ("Suspend 3 members").
    pub confirm: String,
}

/// A member named in an action's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkMember {
    pub id: i64,
    pub name: String,
}

/// An action as its progress page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkProgress {
    pub id: i64,
    /// "Suspend", "Add to room: Vaccinations".
    pub title: String,
    pub scope: String,
    /// `prepared`, `selecting`, `running`, `done`, `failed`.
    pub state: String,
    pub total: u64,
    pub done: u64,
    pub changed: u64,
    pub unchanged: u64,
    pub conflicts: u64,
    pub refused: u64,
    pub gone: u64,
    /// "YYYY-MM-DD HH:MM:SS" and the zone's abbreviation, in the reader's time zone.
    pub created: String,
    pub finished: Option<String>,
    /// Members changed by someone else after the selection, left as they were (the first 100).
    pub conflicted: Vec<BulkMember>,
    /// Members the action was not allowed on (the first 100), with why.
    pub refused_members: Vec<(BulkMember, String)>,
}

impl BulkProgress {
    /// Whether it will move no more (done, or stopped by errors).
    pub fn is_over(&self) -> bool {
        self.state == "done" || self.state == "failed"
    }

    /// Whether it is still being worked on (its page asks again).
    pub fn is_moving(&self) -> bool {
        self.state == "selecting" || self.state == "running"
    }

    /// "1,200 of 2,345 members done".
    pub fn done_label(&self) -> String {
        format!(
            "{} of {} members done",
            crate::text::thousands(self.done),
            crate::text::thousands(self.total)
        )
    }
}

/// One of the admin's recent actions, as the users page lists them to go back to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkLine {
    pub id: i64,
    /// "Suspend", "Add to room: Vaccinations".
    pub title: String,
    /// "1,200 of 2,345 members done", "done: 2,345 members", "stopped".
    pub state: String,
}

/// "1 member", "2,345 members".
pub fn members_count(n: u64) -> String {
    if n == 1 {
        "1 member".to_owned()
    } else {
        format!("{} members", crate::text::thousands(n))
    }
}

/// What an item's outcome is stored as.
pub mod outcome {
    pub const CHANGED: &str = "changed";
    pub const UNCHANGED: &str = "unchanged";
    pub const CONFLICT: &str = "conflict";
    pub const GONE: &str = "gone";
    /// Not allowed, with its reason after a colon: `refused:own`.
    pub const OWN_ACCOUNT: &str = "refused:own";
    pub const NO_LOGIN: &str = "refused:no_login";
    pub const NOT_THEIR_CLINIC: &str = "refused:other_clinic";
    pub const LAST_ROOM: &str = "refused:last_room";
    pub const ROOM_CLOSED: &str = "refused:room_closed";

    /// Why a refused member was not changed, in words.
    pub fn reason(outcome: &str) -> &'static str {
        match outcome {
            OWN_ACCOUNT => "Your own account is not suspended or deleted.",
            NO_LOGIN => "A guest has no login to reset.",
            NOT_THEIR_CLINIC => "The room is not in this member's clinic.",
            LAST_ROOM => "A member keeps at least one room.",
            ROOM_CLOSED => "The room was closed before this member's turn.",
            _ => "Not allowed.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip() {
        for k in BulkKind::ALL {
            assert_eq!(BulkKind::from_key(k.key()), Some(k));
        }
        assert_eq!(BulkKind::from_key("delete"), None);
    }

    #[test]
    fn counts_read_as_words() {
        assert_eq!(members_count(1), "1 member");
        assert_eq!(members_count(2345), "2,345 members");
    }
}
