//! A clinic's rooms: the waiting rooms patients reach through `/u/{slug}`. Admins list,
//! create, edit, deactivate and reopen them at `/admin/rooms`.

mod api;
mod page;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::*;
pub use page::*;

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// Field names of the room form.
pub mod field {
    pub const CLINIC: &str = "clinic";
    pub const NAME: &str = "name";
    pub const CODE: &str = "code";
    pub const SLUG: &str = "slug";
    pub const VISIT_URL: &str = "visit_url";
}

/// A room as the rooms page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomRow {
    pub id: i64,
    pub clinic_id: i64,
    pub name: String,
    pub code: String,
    pub slug: String,
    pub active: bool,
    pub guest_allowed: bool,
    pub signup_allowed: bool,
    /// Where a started visit takes place ("" for Frontdesk's own visit page).
    pub visit_url: String,
    /// Members, providers and guests assigned to the room.
    pub members: u64,
    /// Moves at every save: the edit form sends back the one it started from.
    pub version: i32,
}

/// The admin's clinics and their rooms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomList {
    pub clinics: Vec<(i64, String)>,
    pub rooms: Vec<RoomRow>,
}

/// The room form as typed. `id` is `None` for a new room.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomInput {
    pub id: Option<i64>,
    pub clinic_id: i64,
    pub name: String,
    pub code: String,
    pub slug: String,
    pub guest_allowed: bool,
    pub signup_allowed: bool,
    /// The room's visit link, `{visit}` standing for the visit's random code; empty for
    /// Frontdesk's own visit page.
    #[serde(default)]
    pub visit_url: String,
    /// The room's version the edit started from; a change without it, or from an older
    /// one, is refused (another admin saved in between).
    #[serde(default)]
    pub version: Option<i32>,
}

impl RoomInput {
    pub fn from_row(r: &RoomRow) -> Self {
        Self {
            id: Some(r.id),
            clinic_id: r.clinic_id,
            name: r.name.clone(),
            code: r.code.clone(),
            slug: r.slug.clone(),
            guest_allowed: r.guest_allowed,
            signup_allowed: r.signup_allowed,
            visit_url: r.visit_url.clone(),
            version: Some(r.version),
        }
    }

    /// Checks each field; returns the input trimmed, or one message per rejected field.
    pub fn validate(&self) -> Result<RoomInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut take = |name: &str, r: Result<String, String>| {
            r.unwrap_or_else(|m| {
                errors.push(FieldError::new(name, m));
                String::new()
            })
        };
        let name = take(field::NAME, room_name(&self.name));
        let code = take(field::CODE, room_code(&self.code));
        let slug = take(field::SLUG, room_slug(&self.slug));
        let visit_url = take(field::VISIT_URL, visit_url(&self.visit_url));
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(RoomInput {
            name,
            code,
            slug,
            visit_url,
            ..self.clone()
        })
    }
}

/// A room's visit link: empty (Frontdesk's own page), or an https address holding `{visit}`.
pub fn visit_url(input: &str) -> Result<String, String> {
    let url = input.trim();
    if url.is_empty() {
        return Ok(String::new());
    }
    if url.chars().count() > 500 {
        return Err("A visit link has at most 500 characters.".into());
    }
    if !url.starts_with("https://") || url.len() <= "https://".len() {
        return Err("A visit link starts with https://.".into());
    }
    if url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>'))
    {
        return Err("A visit link may not hold spaces, quotes or angle brackets.".into());
    }
    if !url.contains("{visit}") {
        return Err("A visit link holds {visit} where the visit's code goes.".into());
    }
    Ok(url.to_owned())
}

pub fn room_name(input: &str) -> Result<String, String> {
    let name = input.split_whitespace().collect::<Vec<_>>().join(" ");
    match name.chars().count() {
        0 => Err("Enter the room's name.".into()),
        n if n > 200 => Err("A room's name has at most 200 characters.".into()),
        _ if name.chars().any(char::is_control) => {
            Err("A room's name may not hold control characters.".into())
        }
        _ => Ok(name),
    }
}

/// A code like "TVJC-jessica": letters, digits and hyphens.
pub fn room_code(input: &str) -> Result<String, String> {
    let code = input.trim();
    if code.is_empty() {
        return Err("Enter the room's code, e.g. TVJC-jessica.".into());
    }
    if !(2..=64).contains(&code.len())
        || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err("A code has 2 to 64 letters, digits and hyphens.".into());
    }
    Ok(code.to_owned())
}

/// The last part of the room's link (`/u/{slug}`): lower-case letters, digits and hyphens,
/// starting and ending with a letter or digit, so the link needs no escaping.
pub fn room_slug(input: &str) -> Result<String, String> {
    let slug = crate::text::lower(input.trim());
    if slug.is_empty() {
        return Err("Enter the room's link, e.g. jessica.".into());
    }
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !(2..=64).contains(&slug.len())
        || !slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        || !edge_ok(slug.chars().next())
        || !edge_ok(slug.chars().last())
    {
        return Err(
            "A link has 2 to 64 letters (a–z), digits and hyphens, and starts and ends with a letter or digit."
                .into(),
        );
    }
    Ok(slug)
}

/// A link suggested from a room's name: "Jessica Laynes' Clinic" → "jessica-laynes-clinic".
pub fn suggest_slug(name: &str) -> String {
    let folded = crate::text::fold(name);
    let mut out = String::new();
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if (c.is_whitespace() || c == '-') && !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let short: String = out.chars().take(64).collect();
    short.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_allow_only_what_a_link_carries_plainly() {
        assert_eq!(room_slug(" Jessica ").unwrap(), "jessica");
        assert_eq!(room_slug("dr-lee-2").unwrap(), "dr-lee-2");
        for bad in ["", "a", "-x", "x-", "a b", "a/b", "café", "a?b", "a%20b"] {
            assert!(room_slug(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn codes_are_letters_digits_hyphens() {
        assert_eq!(room_code("TVJC-jessica").unwrap(), "TVJC-jessica");
        assert!(room_code("TVJC jessica").is_err());
        assert!(room_code("").is_err());
    }

    #[test]
    fn suggested_links_are_valid() {
        assert_eq!(
            suggest_slug("Jessica Laynes' Clinic"),
            "jessica-laynes-clinic"
        );
        assert_eq!(suggest_slug("Dr. Gómez — Room 2"), "dr-gomez-room-2");
        assert!(room_slug(&suggest_slug("Dr. Gómez — Room 2")).is_ok());
        // Cut at 64 characters, it still does not end in a hyphen.
        let long = suggest_slug(&format!("{} b", "a".repeat(63)));
        assert_eq!(long, "a".repeat(63));
    }

    #[test]
    fn every_rejected_field_is_named() {
        let fields: Vec<String> = RoomInput::default()
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, [field::NAME, field::CODE, field::SLUG]);
    }
}
