//! Import CSV: what a file may hold, and what the browser is told of an import, from its
//! preview to its result. Reading the file and writing its members is the server's
//! ([`super::server::import_read`], [`super::server::import_work`]).

use serde::{Deserialize, Serialize};

use crate::accounts::profile::field;

/// The largest file read: a file of 100,000 members as Export CSV writes them is about
/// 30 MB. A larger one is refused before it is read.
pub const MAX_FILE_BYTES: u64 = 40 * 1024 * 1024;
/// "40 MB", as messages say it.
pub const MAX_FILE_WORDS: &str = "40 MB";

/// The import form's page.
pub const FORM_PATH: &str = "/admin/users/import";
/// Where the import form sends its file.
pub const UPLOAD_PATH: &str = "/admin/users/import.csv";

/// An import's states.
pub mod states {
    /// The file is being read and its rows checked.
    pub const READING: &str = "reading";
    /// Every row checked, nothing written: waiting for the admin's Import.
    pub const PREVIEWED: &str = "previewed";
    pub const RUNNING: &str = "running";
    pub const DONE: &str = "done";
    /// Stopped after errors in a row; the batches written stay.
    pub const FAILED: &str = "failed";
    /// The file was refused whole (its encoding, size or header): nothing was read into
    /// Frontdesk.
    pub const REFUSED: &str = "refused";
}

/// What the preview plans for a row, and (with [`CONFLICT`](plan::CONFLICT)) what the
/// import did with it.
pub mod plan {
    pub const CREATE: &str = "create";
    pub const UPDATE: &str = "update";
    pub const UNCHANGED: &str = "unchanged";
    pub const REJECTED: &str = "rejected";
    /// The member changed, or the username or email was taken, between preview and import.
    pub const CONFLICT: &str = "conflict";
}

/// Why a file was refused before its rows were read, as the import form's address says it
/// (`?refused=too_large`): the form shows the message at the file field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EarlyRefusal {
    TooLarge,
    NoFile,
    NoRoom,
    Busy,
}

impl EarlyRefusal {
    pub const ALL: [Self; 4] = [Self::TooLarge, Self::NoFile, Self::NoRoom, Self::Busy];

    pub fn key(self) -> &'static str {
        match self {
            Self::TooLarge => "too_large",
            Self::NoFile => "no_file",
            Self::NoRoom => "no_room",
            Self::Busy => "busy",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.key() == key)
    }

    pub fn message(self) -> String {
        match self {
            Self::TooLarge => format!(
                "This file is larger than {MAX_FILE_WORDS}. Split it into smaller files and import each."
            ),
            Self::NoFile => "Choose a CSV file to import.".to_owned(),
            Self::NoRoom => "Choose a room of your clinic.".to_owned(),
            Self::Busy => {
                "Another file is being read on this server. Try again in a minute.".to_owned()
            }
        }
    }
}

/// The columns read from a file, by the header's name (any case), with the form's field each
/// one fills. `Rooms` and `User Type` are read for new members only.
pub const IMPORTED_COLUMNS: [(&str, &str); 16] = [
    ("Username", field::USERNAME),
    ("First Name", field::FIRST_NAME),
    ("Last Name", field::LAST_NAME),
    ("Email", field::EMAIL),
    ("Date of Birth", field::DATE_OF_BIRTH),
    ("Address", field::ADDRESS),
    ("City", field::CITY),
    ("State", field::STATE),
    ("Zip", field::ZIP),
    ("Country", field::COUNTRY),
    ("Phone", field::PHONE),
    ("Primary Care Physician Name", field::PCP_NAME),
    ("Primary Care Physician Phone", field::PCP_PHONE),
    ("Timezone", field::TIMEZONE),
    ("User Type", field::USER_TYPE),
    ("Rooms", field::ROOMS),
];

/// The columns a file must have.
pub const REQUIRED_COLUMNS: [&str; 4] = ["Username", "First Name", "Last Name", "Email"];

/// Columns Export CSV writes that an import reads but does not write: a member's ID, status,
/// clinic and times are Frontdesk's own.
pub const EXPORT_ONLY_COLUMNS: [&str; 6] = [
    "ID",
    "Portal ID",
    "Status",
    "Clinic",
    "Signed Up",
    "Last Login",
];

/// The column a field's message is shown under ("Email").
pub fn column_of(field_name: &str) -> &'static str {
    IMPORTED_COLUMNS
        .iter()
        .find(|(_, f)| *f == field_name)
        .map_or("Row", |(c, _)| c)
}

/// A rejected row, or one that met a change since the preview: its line in the file and
/// why ("Email: Enter a valid email address.").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportLine {
    pub line: u64,
    pub messages: Vec<String>,
}

/// Where an import stands: the preview's plan, then the import's progress and result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportProgress {
    pub id: i64,
    pub file_name: String,
    pub clinic: String,
    /// The room of new members whose row names none.
    pub room: String,
    pub welcome: bool,
    pub state: String,
    pub refusal: Option<String>,
    /// The header's columns not imported.
    pub ignored: Vec<String>,
    pub total: u64,
    pub to_create: u64,
    pub to_update: u64,
    pub to_keep: u64,
    pub to_reject: u64,
    /// Rows to create that may duplicate a member of the clinic.
    pub to_flag: u64,
    pub done: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    pub conflicts: u64,
    /// The first rejected rows, with their messages.
    pub rejected_lines: Vec<ImportLine>,
    /// The first rows to create that may duplicate a member, with the members' IDs.
    pub flagged_lines: Vec<ImportLine>,
    /// The first rows that met a change since the preview.
    pub conflict_lines: Vec<ImportLine>,
    /// "YYYY-MM-DD HH:MM:SS" and the zone's abbreviation, in the reader's time zone.
    pub created_at: String,
    pub finished: Option<String>,
}

impl ImportProgress {
    /// Whether the page should ask again: the import runs.
    pub fn is_moving(&self) -> bool {
        self.state == states::RUNNING
    }

    /// "1,234 of 5,000 rows done".
    pub fn done_label(&self) -> String {
        format!(
            "{} of {} done",
            crate::text::thousands(self.done),
            rows_count(self.total)
        )
    }
}

/// "1 row", "2,345 rows".
pub fn rows_count(n: u64) -> String {
    if n == 1 {
        "1 row".to_owned()
    } else {
        format!("{} rows", crate::text::thousands(n))
    }
}
