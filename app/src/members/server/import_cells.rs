//! Import CSV's cells: the header read into the columns it names (the form's fields, the
//! export's own columns read and not imported, the rest listed as ignored), and each data
//! row's cells cleaned: trimmed, the export's formula escape undone, a formula refused.

use std::collections::HashMap;

use crate::accounts::profile::{ProfileInput, field};
use crate::error::FieldError;
use crate::members::import::{EXPORT_ONLY_COLUMNS, IMPORTED_COLUMNS, REQUIRED_COLUMNS, column_of};

/// The most columns a header may name.
pub const MAX_COLUMNS: usize = 100;

/// Which of the file's columns fill which field.
#[derive(Debug)]
pub struct Columns {
    /// (the cell's index, the field it fills)
    read: Vec<(usize, &'static str)>,
    /// How many cells each row must have.
    pub width: usize,
    /// The header's columns that are not imported, as the file names them.
    pub ignored: Vec<String>,
}

impl Columns {
    /// The header's columns, or why the file is refused.
    pub fn read(header: &[String]) -> Result<Self, String> {
        if header.len() > MAX_COLUMNS {
            return Err(format!(
                "The first line names {} columns; a file of members has {} at most. Export CSV shows the columns Frontdesk reads.",
                crate::text::thousands(header.len() as u64),
                MAX_COLUMNS
            ));
        }
        let mut read = Vec::new();
        let mut ignored = Vec::new();
        for (i, name) in header.iter().enumerate() {
            let name = name.trim();
            let known = IMPORTED_COLUMNS
                .iter()
                .find(|(column, _)| column.eq_ignore_ascii_case(name));
            match known {
                Some((column, f)) => {
                    if read.iter().any(|(_, seen)| seen == f) {
                        return Err(format!(
                            "The column “{column}” is named twice in the first line."
                        ));
                    }
                    read.push((i, *f));
                }
                None if EXPORT_ONLY_COLUMNS
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(name)) => {}
                None if name.is_empty() => {}
                None => ignored.push(name.chars().take(60).collect()),
            }
        }
        let missing: Vec<&str> = REQUIRED_COLUMNS
            .iter()
            .filter(|c| {
                !read
                    .iter()
                    .any(|(_, f)| column_of(f).eq_ignore_ascii_case(c))
            })
            .copied()
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "The first line has no {} column. It must name the columns, as Export CSV writes them: {} are required.",
                missing
                    .iter()
                    .map(|c| format!("“{c}”"))
                    .collect::<Vec<_>>()
                    .join(", "),
                REQUIRED_COLUMNS.join(", ")
            ));
        }
        Ok(Self {
            read,
            width: header.len(),
            ignored,
        })
    }
}

/// The message of a cell a spreadsheet would run as a formula.
pub const FORMULA: &str = "This cell is a spreadsheet formula. Enter the value itself.";

/// A cell as imported: trimmed, with the export's leading apostrophe (which keeps a value
/// such as "+14155550123" from being run as a formula) taken off; a formula refused.
pub fn clean(cell: &str) -> Result<String, &'static str> {
    let t = cell.trim();
    if let Some(rest) = t.strip_prefix('\'')
        && rest.starts_with(['=', '+', '-', '@'])
    {
        return Ok(rest.to_owned());
    }
    let mut chars = t.chars();
    let formula = match chars.next() {
        Some('=' | '@') => true,
        // "+1 415 555 0123" and "-" are values; "+A1" and "-SUM(…)" are not.
        Some('+' | '-') => chars
            .next()
            .is_some_and(|c| !(c.is_ascii_digit() || c == ' ' || c == '(')),
        _ => false,
    };
    if formula {
        Err(FORMULA)
    } else {
        Ok(t.to_owned())
    }
}

/// A data row's cells by field, cleaned, and the messages of cells refused on their own.
#[derive(Debug, Default)]
pub struct Cells {
    pub line: u64,
    values: HashMap<&'static str, String>,
    pub(super) errors: Vec<FieldError>,
}

impl Cells {
    pub fn of(columns: &Columns, line: u64, raw: &[String]) -> Self {
        let mut cells = Self {
            line,
            ..Self::default()
        };
        if raw.len() != columns.width {
            cells.errors.push(FieldError::new(
                "row",
                format!(
                    "This row has {} cells; the first line names {} columns.",
                    crate::text::thousands(raw.len() as u64),
                    columns.width
                ),
            ));
            return cells;
        }
        for &(i, f) in &columns.read {
            match clean(&raw[i]) {
                Ok(v) => {
                    cells.values.insert(f, v);
                }
                Err(message) => cells.errors.push(FieldError::new(f, message)),
            }
        }
        cells
    }

    pub(super) fn get(&self, f: &str) -> Option<&str> {
        self.values.get(f).map(String::as_str)
    }

    /// The username and email as looked up (lower case), when given.
    pub fn username_key(&self) -> Option<String> {
        self.get(field::USERNAME)
            .filter(|v| !v.is_empty())
            .map(str::to_lowercase)
    }

    pub fn email_key(&self) -> Option<String> {
        self.get(field::EMAIL)
            .filter(|v| !v.is_empty())
            .map(str::to_lowercase)
    }

    /// `base` with this row's profile cells written over it.
    pub(super) fn profile_over(
        &self,
        mut p: ProfileInput,
        errors: &mut Vec<FieldError>,
    ) -> ProfileInput {
        for (&f, v) in &self.values {
            let v = v.clone();
            match f {
                field::USERNAME => p.username = v,
                field::FIRST_NAME => p.first_name = v,
                field::LAST_NAME => p.last_name = v,
                field::EMAIL => p.email = v,
                field::ADDRESS => p.address = v,
                field::CITY => p.city = v,
                field::STATE => p.state = v,
                field::ZIP => p.zip = v,
                field::COUNTRY => p.country = v.to_uppercase(),
                field::PHONE => p.phone = v,
                field::PCP_NAME => p.pcp_name = v,
                field::PCP_PHONE => p.pcp_phone = v,
                field::TIMEZONE => p.timezone = v,
                field::DATE_OF_BIRTH => {
                    p.dob_year.clear();
                    p.dob_month.clear();
                    p.dob_day.clear();
                    if v.is_empty() {
                        continue;
                    }
                    let parts: Vec<&str> = v.split('-').collect();
                    let numeric = parts.len() == 3
                        && parts
                            .iter()
                            .all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
                    if numeric {
                        p.set_date_of_birth(Some(&v));
                    } else {
                        errors.push(FieldError::new(
                            f,
                            "Enter the date of birth as YYYY-MM-DD, e.g. 1984-07-21.",
                        ));
                    }
                }
                _ => {}
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn formulas_are_refused_and_the_exports_escape_undone() {
        assert_eq!(clean("'+14155550123"), Ok("+14155550123".to_owned()));
        assert_eq!(clean("'=1+2"), Ok("=1+2".to_owned()));
        assert_eq!(clean("=HYPERLINK(\"x\")"), Err(FORMULA));
        assert_eq!(clean("@SUM(A1)"), Err(FORMULA));
        assert_eq!(clean("+A1"), Err(FORMULA));
        assert_eq!(clean("-SUM(A1)"), Err(FORMULA));
        assert_eq!(clean(" +1 415 555 0123 "), Ok("+1 415 555 0123".to_owned()));
        assert_eq!(clean("-"), Ok("-".to_owned()));
        assert_eq!(clean("O'Brien"), Ok("O'Brien".to_owned()));
    }

    #[test]
    fn the_header_names_the_required_columns_once() {
        let ok = Columns::read(&header(&[
            "ID",
            "username",
            "First Name",
            "Last Name",
            "EMAIL",
            "Notes",
        ]))
        .unwrap();
        assert_eq!(ok.ignored, vec!["Notes".to_owned()]);
        assert_eq!(ok.width, 6);
        let missing = Columns::read(&header(&["Username", "First Name", "Last Name"])).unwrap_err();
        assert!(missing.contains("no “Email” column"), "{missing}");
        let twice = Columns::read(&header(&[
            "Username",
            "Email",
            "First Name",
            "Last Name",
            "email",
        ]))
        .unwrap_err();
        assert!(twice.contains("“Email” is named twice"), "{twice}");
        let wide: Vec<String> = (0..10_000).map(|i| format!("c{i}")).collect();
        assert!(Columns::read(&wide).unwrap_err().contains("10,000 columns"));
    }
}
