//! The account core, below every feature: what a user is (type, status), the profile and
//! the rules for each of its fields, and, on the server, the store (a member found in the
//! admin's clinics, a version claimed, a stale save refused, a profile applied, duplicates
//! and unique violations told apart). Passwords live in `auth::passwords`. Members, patients,
//! rooms, clinics and auth use it; it uses none of them.

pub mod choices;
pub mod fields;
pub mod profile;
#[cfg(feature = "ssr")]
pub mod store;

use serde::{Deserialize, Serialize};

/// The kinds of user the article names, plus guests who entered a room by name only.
///
/// Stored, and written in URLs and forms, in snake case (`clinic_admin`): sea-orm maps the
/// column on the server, strum the same names in the browser.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter))]
#[cfg_attr(
    feature = "ssr",
    sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")
)]
pub enum UserType {
    Member,
    Provider,
    ClinicAdmin,
    Guest,
}

impl UserType {
    pub const ALL: [Self; 4] = [Self::Member, Self::Provider, Self::ClinicAdmin, Self::Guest];

    /// The name stored and sent in URLs and forms: `member`, `provider`, `clinic_admin`, `guest`.
    pub fn key(self) -> &'static str {
        self.into()
    }

    /// The type named by `key`, if it names one.
    pub fn from_key(key: &str) -> Option<Self> {
        key.parse().ok()
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
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter))]
#[cfg_attr(
    feature = "ssr",
    sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")
)]
pub enum Status {
    Active,
    Suspended,
    PendingDelete,
}

impl Status {
    pub const ALL: [Self; 3] = [Self::Active, Self::Suspended, Self::PendingDelete];

    /// The name stored and sent in URLs and forms: `active`, `suspended`, `pending_delete`.
    pub fn key(self) -> &'static str {
        self.into()
    }

    /// The status named by `key`, if it names one.
    pub fn from_key(key: &str) -> Option<Self> {
        key.parse().ok()
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Suspended => "Suspended",
            Self::PendingDelete => "Pending delete",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for t in UserType::ALL {
            assert_eq!(UserType::from_key(t.key()), Some(t));
        }
        for s in Status::ALL {
            assert_eq!(Status::from_key(s.key()), Some(s));
        }
        assert_eq!(UserType::ClinicAdmin.key(), "clinic_admin");
        assert_eq!(Status::PendingDelete.key(), "pending_delete");
        assert_eq!(Status::from_key("deleted"), None);
    }

    /// The database stores the same names the browser sends.
    #[cfg(feature = "ssr")]
    #[test]
    fn stored_names_are_the_keys() {
        use sea_orm::ActiveEnum;
        for t in UserType::ALL {
            assert_eq!(t.to_value(), t.key());
        }
        for s in Status::ALL {
            assert_eq!(s.to_value(), s.key());
        }
    }
}
