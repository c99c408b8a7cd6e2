//! Import CSV's rows: each row's cells ([`super::import_cells`]) checked as the Create a
//! Member form and the Profile tab check them, and the preview's plan for the row: create,
//! update, unchanged or rejected, with the form's messages.
//!
//! A row is matched to a member by username (anywhere: usernames are unique), then by email
//! within the clinic. A matched member's profile is what the file's columns change; columns
//! the file lacks keep their values, and User Type and Rooms are read for new members only.
//! Rows that name the same username, email or member as another row are all rejected: which
//! of them is right is for the admin to say.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::import_cells::Cells;
#[cfg(test)]
use super::import_cells::Columns;
use crate::accounts::UserType;
use crate::accounts::choices::check_lists;
use crate::accounts::profile::{ProfileInput, ValidProfile, field, today};
use crate::entities::{room, user};
use crate::error::FieldError;
use crate::members::import::{column_of, plan};

/// What a new member's row holds beside the profile, and what is kept of any row until the
/// import writes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowData {
    pub profile: ProfileInput,
    #[serde(default)]
    pub user_type: String,
    #[serde(default)]
    pub room_ids: Vec<i64>,
}

/// What the preview decided for a row.
#[derive(Debug)]
pub struct Planned {
    pub line: u64,
    pub plan: &'static str,
    pub user_id: Option<i64>,
    pub version: Option<i32>,
    pub data: Option<RowData>,
    /// "Email: Enter a valid email address."
    pub messages: Vec<String>,
}

impl Planned {
    /// Rejects a row planned already (it repeats a later row), with why.
    pub fn reject(&mut self, message: String) {
        self.plan = plan::REJECTED;
        self.user_id = None;
        self.version = None;
        self.data = None;
        self.messages.push(message);
    }

    fn rejected(line: u64, errors: &[FieldError]) -> Self {
        let mut sorted: Vec<&FieldError> = errors.iter().collect();
        sorted.sort_by_key(|e| {
            crate::accounts::profile::FORM_ORDER
                .iter()
                .position(|f| *f == e.field)
        });
        Self {
            line,
            plan: plan::REJECTED,
            user_id: None,
            version: None,
            data: None,
            messages: sorted.iter().map(|e| message_line(e)).collect(),
        }
    }
}

/// "Email: Enter a valid email address."
pub fn message_line(e: &FieldError) -> String {
    format!("{}: {}", column_of(&e.field), e.message)
}

/// What the import checks rows against: the clinic, its open rooms, the members the rows'
/// usernames and emails name, and the rows seen before.
pub struct Check<'a> {
    pub clinic_id: i64,
    pub default_room: Option<i64>,
    /// Open rooms of the clinic by code, lower case.
    pub rooms: &'a HashMap<String, i64>,
    /// Users by username (lower case), in any clinic.
    pub by_username: &'a HashMap<String, user::Model>,
    /// The clinic's users by email (lower case).
    pub by_email: &'a HashMap<String, user::Model>,
}

/// The rows seen so far, by what may not repeat: username, email and matched member. The
/// keys are kept as 64-bit hashes (a file's 200,000 rows hold 600,000 keys): two different
/// keys share one about once in 10^8 files.
#[derive(Default)]
pub struct Seen {
    hasher: std::hash::RandomState,
    first: HashMap<u64, u64>,
    /// Lines already rejected.
    pub rejected: HashSet<u64>,
}

impl Seen {
    /// Notes the row's keys; for each key an earlier row has, that row's line.
    fn note(&mut self, line: u64, keys: &[(String, &'static str)]) -> Vec<(u64, &'static str)> {
        use std::hash::BuildHasher;
        let mut earlier = Vec::new();
        for (key, f) in keys {
            let hashed = self.hasher.hash_one(key);
            match self.first.get(&hashed) {
                Some(&first) if first != line => earlier.push((first, *f)),
                Some(_) => {}
                None => {
                    self.first.insert(hashed, line);
                }
            }
        }
        earlier
    }
}

/// The open rooms of a clinic by code, lower case.
pub fn rooms_by_code(rooms: &[room::Model]) -> HashMap<String, i64> {
    rooms
        .iter()
        .filter(|r| r.active)
        .map(|r| (r.code.to_lowercase(), r.id))
        .collect()
}

/// A rejected line to mark later (the earlier of two rows naming the same key) and its
/// message.
pub type LateRejection = (u64, String);

/// The plan for one row; an earlier row this one repeats is returned to be rejected too.
pub fn plan_row(check: &Check, seen: &mut Seen, cells: &Cells) -> (Planned, Vec<LateRejection>) {
    let line = cells.line;
    let mut errors = cells.errors.clone();
    if errors.iter().any(|e| e.field == "row") {
        seen.rejected.insert(line);
        return (Planned::rejected(line, &errors), Vec::new());
    }
    let matched = cells
        .username_key()
        .and_then(|u| check.by_username.get(&u))
        .or_else(|| cells.email_key().and_then(|e| check.by_email.get(&e)));
    // The same username, email or member on two lines: both rejected.
    let mut keys = Vec::new();
    if let Some(u) = cells.username_key() {
        keys.push((format!("u:{u}"), field::USERNAME));
    }
    if let Some(e) = cells.email_key() {
        keys.push((format!("e:{e}"), field::EMAIL));
    }
    if let Some(m) = matched {
        keys.push((format!("m:{}", m.id), field::USERNAME));
    }
    let mut late = Vec::new();
    for (first, f) in seen.note(line, &keys) {
        let what = if f == field::EMAIL {
            "email"
        } else {
            "username or member"
        };
        errors.push(FieldError::new(
            f,
            format!("The same {what} is on line {first}."),
        ));
        if seen.rejected.insert(first) {
            late.push((
                first,
                message_line(&FieldError::new(
                    f,
                    format!("The same {what} is on line {line}."),
                )),
            ));
        }
    }
    let by_email = matched.is_some()
        && cells
            .username_key()
            .is_none_or(|u| !check.by_username.contains_key(&u));
    let planned = match matched {
        Some(m) if m.clinic_id != check.clinic_id => {
            errors.push(FieldError::new(
                field::USERNAME,
                "That username is taken. Choose another.",
            ));
            Err(errors)
        }
        Some(m) => plan_update(check, cells, m, by_email, errors),
        None => plan_create(check, cells, errors),
    };
    match planned {
        Ok(p) => (p, late),
        Err(errors) => {
            seen.rejected.insert(line);
            (Planned::rejected(line, &errors), late)
        }
    }
}

/// A row for a member who is there: unchanged, or an update of their profile.
fn plan_update(
    check: &Check,
    cells: &Cells,
    member: &user::Model,
    by_email: bool,
    mut errors: Vec<FieldError>,
) -> Result<Planned, Vec<FieldError>> {
    let stored = crate::accounts::store::profile_of(member);
    let mut profile = cells.profile_over(stored.clone(), &mut errors);
    if by_email {
        // Matched by email alone: the member keeps their username, and the row must name
        // the same person by first or last name (a mistyped email would otherwise rewrite
        // someone else).
        profile.username = stored.username.clone();
        let same = |a: &str, b: &str| crate::text::fold(a.trim()) == crate::text::fold(b.trim());
        if !same(&profile.first_name, &stored.first_name)
            && !same(&profile.last_name, &stored.last_name)
        {
            errors.push(FieldError::new(
                field::EMAIL,
                "This email belongs to a member of this clinic with another username and name. Check the row's email.",
            ));
            return Err(errors);
        }
    }
    // A row that says what the member holds (Export CSV's own rows) changes nothing, and
    // is not held to rules the stored values predate. A guest's is matched, never changed.
    if profile != stored && member.user_type == UserType::Guest {
        errors.push(FieldError::new(
            field::USERNAME,
            "A guest has no profile to edit.",
        ));
    }
    if profile == stored || member.user_type == UserType::Guest {
        if !errors.is_empty() {
            return Err(errors);
        }
        return Ok(Planned {
            line: cells.line,
            plan: plan::UNCHANGED,
            user_id: Some(member.id),
            version: Some(member.version),
            data: None,
            messages: Vec::new(),
        });
    }
    let valid = validated(&profile, &mut errors);
    if let Some(v) = &valid {
        let email_owner = check.by_email.get(&v.email.to_lowercase());
        if email_owner.is_some_and(|o| o.id != member.id) {
            errors.push(FieldError::new(
                field::EMAIL,
                "Another user of this clinic has that email address.",
            ));
        }
    }
    if member.user_type == UserType::ClinicAdmin {
        errors.push(FieldError::new(
            field::USERNAME,
            "A Clinic Admin's profile is changed on their Member Detail, not by import.",
        ));
    }
    let valid = match valid {
        Some(v) if errors.is_empty() => v,
        _ => return Err(errors),
    };
    let unchanged = crate::audit::service::profile_changes(member, &valid).is_empty();
    Ok(Planned {
        line: cells.line,
        plan: if unchanged {
            plan::UNCHANGED
        } else {
            plan::UPDATE
        },
        user_id: Some(member.id),
        version: Some(member.version),
        data: (!unchanged).then(|| RowData {
            profile,
            ..RowData::default()
        }),
        messages: Vec::new(),
    })
}

/// A row for a new member: its profile, type and rooms checked as the form checks them.
fn plan_create(
    check: &Check,
    cells: &Cells,
    mut errors: Vec<FieldError>,
) -> Result<Planned, Vec<FieldError>> {
    let profile = cells.profile_over(ProfileInput::new_member(), &mut errors);
    let user_type = match cells
        .get(field::USER_TYPE)
        .map(str::to_lowercase)
        .as_deref()
    {
        None | Some("" | "member") => UserType::Member,
        Some("provider") => UserType::Provider,
        Some("clinic admin") => {
            errors.push(FieldError::new(
                field::USER_TYPE,
                "Create Clinic Admins one by one, with New Member.",
            ));
            UserType::Member
        }
        Some(_) => {
            errors.push(FieldError::new(
                field::USER_TYPE,
                "Choose Member or Provider.",
            ));
            UserType::Member
        }
    };
    let mut room_ids = Vec::new();
    for code in cells
        .get(field::ROOMS)
        .unwrap_or_default()
        .split([' ', ',', ';'])
        .filter(|c| !c.is_empty())
    {
        match check.rooms.get(&code.to_lowercase()) {
            Some(id) if !room_ids.contains(id) => room_ids.push(*id),
            Some(_) => {}
            None => errors.push(FieldError::new(
                field::ROOMS,
                format!(
                    "No open room of this clinic has the code “{}”.",
                    code.chars().take(40).collect::<String>()
                ),
            )),
        }
    }
    if room_ids.is_empty() {
        match check.default_room {
            Some(id) => room_ids.push(id),
            None => errors.push(FieldError::new(field::ROOMS, "Choose at least one room.")),
        }
    }
    let valid = validated(&profile, &mut errors);
    match valid {
        Some(_) if errors.is_empty() => Ok(Planned {
            line: cells.line,
            plan: plan::CREATE,
            user_id: None,
            version: None,
            data: Some(RowData {
                profile,
                user_type: user_type.key().to_owned(),
                room_ids,
            }),
            messages: Vec::new(),
        }),
        _ => Err(errors),
    }
}

/// The profile as the form checks it (its fields, then the server's lists).
pub fn validated(profile: &ProfileInput, errors: &mut Vec<FieldError>) -> Option<ValidProfile> {
    match profile.validate(today()) {
        Ok(valid) => {
            let before = errors.len();
            check_lists(&valid, errors);
            (errors.len() == before).then_some(valid)
        }
        Err(errs) => {
            // A cell refused on its own (a formula) keeps its one message.
            for e in errs {
                if !errors.iter().any(|seen| seen.field == e.field) {
                    errors.push(e);
                }
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_row_of_the_wrong_width_is_rejected_whole() {
        let columns =
            Columns::read(&header(&["Username", "First Name", "Last Name", "Email"])).unwrap();
        let cells = Cells::of(&columns, 7, &header(&["a"; 10_000]));
        let rooms = HashMap::new();
        let none = HashMap::new();
        let check = Check {
            clinic_id: 1,
            default_room: Some(1),
            rooms: &rooms,
            by_username: &none,
            by_email: &none,
        };
        let (planned, late) = plan_row(&check, &mut Seen::default(), &cells);
        assert_eq!(planned.plan, plan::REJECTED);
        assert!(late.is_empty());
        assert_eq!(
            planned.messages,
            vec!["Row: This row has 10,000 cells; the first line names 4 columns.".to_owned()]
        );
    }

    #[test]
    fn new_rows_are_checked_as_the_form_checks_them_and_repeats_rejected_both() {
        let columns = Columns::read(&header(&[
            "Username",
            "First Name",
            "Last Name",
            "Email",
            "Rooms",
        ]))
        .unwrap();
        let mut rooms = HashMap::new();
        rooms.insert("vax".to_owned(), 5);
        let none = HashMap::new();
        let check = Check {
            clinic_id: 1,
            default_room: Some(9),
            rooms: &rooms,
            by_username: &none,
            by_email: &none,
        };
        let mut seen = Seen::default();
        let row = |line, cells: &[&str]| Cells::of(&columns, line, &header(cells));
        let (jane, _) = plan_row(
            &check,
            &mut seen,
            &row(
                2,
                &["jane.gomez", "Jane", "Gomez", "jane@example.com", "VAX"],
            ),
        );
        assert_eq!(jane.plan, plan::CREATE);
        assert_eq!(jane.data.unwrap().room_ids, vec![5]);
        let (html, _) = plan_row(
            &check,
            &mut seen,
            &row(3, &["bob1", "<b>Bob</b>", "Smith", "bob@example.com", ""]),
        );
        assert_eq!(html.plan, plan::REJECTED);
        assert_eq!(
            html.messages,
            vec![
                "First Name: A first name may hold letters, spaces, apostrophes, hyphens and periods only."
                    .to_owned()
            ]
        );
        let (again, late) = plan_row(
            &check,
            &mut seen,
            &row(4, &["Jane.Gomez", "Jane", "Gomez", "other@example.com", ""]),
        );
        assert_eq!(again.plan, plan::REJECTED);
        assert_eq!(
            again.messages,
            vec!["Username: The same username or member is on line 2.".to_owned()]
        );
        assert_eq!(
            late,
            vec![(
                2,
                "Username: The same username or member is on line 4.".to_owned()
            )]
        );
        let (room, _) = plan_row(
            &check,
            &mut seen,
            &row(5, &["sam1", "Sam", "Lee", "sam@example.com", "nope"]),
        );
        assert_eq!(
            room.messages,
            vec!["Rooms: No open room of this clinic has the code “nope”.".to_owned()]
        );
    }
}
