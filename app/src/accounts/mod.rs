//! The account core, below every feature: what a user is (type, status), the profile and
//! the rules for each of its fields, and, on the server, the store (a member found in the
//! admin's clinics, a version claimed, a stale save refused, a profile applied, duplicates
//! and unique violations told apart). Passwords live in `auth::passwords`. Members, patients,
//! rooms, clinics and auth use it; it uses none of them.

pub mod fields;
pub mod profile;
#[cfg(feature = "ssr")]
pub mod store;

use serde::{Deserialize, Serialize};

/// The kinds of user the article names, plus guests who entered a room by name only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserType {
    Member,
    Provider,
    ClinicAdmin,
    Guest,
}

impl UserType {
    pub const ALL: [Self; 4] = [Self::Member, Self::Provider, Self::ClinicAdmin, Self::Guest];

    pub fn as_db(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Provider => "provider",
            Self::ClinicAdmin => "clinic_admin",
            Self::Guest => "guest",
        }
    }

    pub fn from_db(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_db() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Member => "Member",
            Self::Provider => "Provider",
            Self::ClinicAdmin => "Clinic Admin",
            Self::Guest => "Guest",
        }
    }
}

/// Account status; only Active accounts can sign in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Active,
    Suspended,
    PendingDelete,
}

impl Status {
    pub const ALL: [Self; 3] = [Self::Active, Self::Suspended, Self::PendingDelete];

    pub fn as_db(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::PendingDelete => "pending_delete",
        }
    }

    pub fn from_db(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_db() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Suspended => "Suspended",
            Self::PendingDelete => "Pending delete",
        }
    }
}
