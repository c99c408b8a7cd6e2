//! A member's profile as the Create a Member form and the Profile tab hold it, and the rules
//! that check it. The same code runs in the browser (as the admin types or leaves a field)
//! and on the server (final word).

use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::validation::{Email, PasswordPolicy, Username};

/// Field names, shared by the form, the validators and the server's field messages.
pub mod field {
    pub const CLINIC: &str = "clinic";
    pub const ROOMS: &str = "rooms";
    pub const USER_TYPE: &str = "user_type";
    pub const USERNAME: &str = "username";
    pub const PASSWORD: &str = "password";
    pub const CONFIRM_PASSWORD: &str = "confirm_password";
    pub const FIRST_NAME: &str = "first_name";
    pub const LAST_NAME: &str = "last_name";
    pub const EMAIL: &str = "email";
    pub const DATE_OF_BIRTH: &str = "date_of_birth";
    pub const ADDRESS: &str = "address";
    pub const CITY: &str = "city";
    pub const STATE: &str = "state";
    pub const ZIP: &str = "zip";
    pub const COUNTRY: &str = "country";
    pub const PHONE: &str = "phone";
    pub const PCP_NAME: &str = "pcp_name";
    pub const PCP_PHONE: &str = "pcp_phone";
    pub const TIMEZONE: &str = "timezone";
}

/// The country a new member gets unless the admin picks another (ISO 3166-1 alpha-2).
pub const DEFAULT_COUNTRY: &str = "US";
/// The time zone a new member gets unless the admin picks another (IANA).
pub const DEFAULT_TIMEZONE: &str = "America/Los_Angeles";
/// The oldest age a date of birth may give.
pub const MAX_AGE_YEARS: i32 = 130;

/// The profile fields exactly as typed: every field a string, so that a rejected form keeps
/// what the admin typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileInput {
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub dob_month: String,
    pub dob_day: String,
    pub dob_year: String,
    pub address: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub country: String,
    pub phone: String,
    pub pcp_name: String,
    pub pcp_phone: String,
    pub timezone: String,
}

/// A profile that passed every rule, normalised for storage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidProfile {
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// "YYYY-MM-DD".
    pub date_of_birth: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
    pub country: String,
    /// E.164, e.g. "+14155550123".
    pub phone: Option<String>,
    pub pcp_name: Option<String>,
    /// E.164.
    pub pcp_phone: Option<String>,
    pub timezone: String,
}

/// A calendar day, for the date-of-birth rules (the browser and the server each pass today).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Day {
    /// Today in UTC.
    pub fn today() -> Self {
        let now = time::OffsetDateTime::now_utc();
        Self {
            year: now.year(),
            month: now.month() as u8,
            day: now.day(),
        }
    }
}

impl ProfileInput {
    /// Checks every field; on failure, one message per rejected field, in form order.
    pub fn validate(&self, today: Day) -> Result<ValidProfile, Vec<FieldError>> {
        let mut errors = Vec::new();
        let e = &mut errors;
        let username: String = take(
            e,
            field::USERNAME,
            Username::parse(&self.username).map(|u| u.as_str().to_owned()),
        );
        let first_name: String = take(
            e,
            field::FIRST_NAME,
            person_name(&self.first_name, "first name"),
        );
        let last_name: String = take(
            e,
            field::LAST_NAME,
            person_name(&self.last_name, "last name"),
        );
        let email: String = take(
            e,
            field::EMAIL,
            Email::parse(&self.email).map(|e| e.as_str().to_owned()),
        );
        let date_of_birth: Option<String> = take(
            e,
            field::DATE_OF_BIRTH,
            date_of_birth(&self.dob_month, &self.dob_day, &self.dob_year, today),
        );
        let address: Option<String> = take(
            e,
            field::ADDRESS,
            optional_text(&self.address, 200, "An address"),
        );
        let city: Option<String> = take(e, field::CITY, optional_text(&self.city, 100, "A city"));
        let country = country_code(&self.country);
        let country_now = country
            .clone()
            .unwrap_or_else(|_| DEFAULT_COUNTRY.to_owned());
        let state: Option<String> = take(e, field::STATE, state(&self.state, &country_now));
        let zip: Option<String> = take(e, field::ZIP, postal_code(&self.zip, &country_now));
        let _: String = take(e, field::COUNTRY, country);
        let phone: Option<String> = take(e, field::PHONE, phone_number(&self.phone));
        let pcp_name: Option<String> = take(
            e,
            field::PCP_NAME,
            optional_text(&self.pcp_name, 200, "A name"),
        );
        let pcp_phone: Option<String> = take(e, field::PCP_PHONE, phone_number(&self.pcp_phone));
        let timezone: String = take(e, field::TIMEZONE, timezone_id(&self.timezone));
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ValidProfile {
            username,
            first_name,
            last_name,
            email,
            date_of_birth,
            address,
            city,
            state,
            zip,
            country: country_now,
            phone,
            pcp_name,
            pcp_phone,
            timezone,
        })
    }

    /// The form's starting values for a new member.
    pub fn new_member() -> Self {
        Self {
            country: DEFAULT_COUNTRY.to_owned(),
            timezone: DEFAULT_TIMEZONE.to_owned(),
            ..Self::default()
        }
    }

    /// The date of birth as typed, "YYYY-MM-DD" when all three parts are filled.
    pub fn set_date_of_birth(&mut self, iso: Option<&str>) {
        let parts: Vec<&str> = iso.unwrap_or_default().split('-').collect();
        if let [y, m, d] = parts[..] {
            self.dob_year = y.to_owned();
            self.dob_month = m.trim_start_matches('0').to_owned();
            self.dob_day = d.trim_start_matches('0').to_owned();
        }
    }
}

/// A field's value when it passed, its default (and a message in `errors`) when not.
fn take<T: Default>(errors: &mut Vec<FieldError>, name: &str, result: Result<T, String>) -> T {
    result.unwrap_or_else(|message| {
        errors.push(FieldError::new(name, message));
        T::default()
    })
}

/// The password fields of the create form: both optional; when given, the clinic's policy
/// applies and the two must match.
pub fn check_new_password(
    password: &str,
    confirm: &str,
    username: &str,
    policy: &PasswordPolicy,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if password.is_empty() && confirm.is_empty() {
        return errors;
    }
    if password.is_empty() {
        errors.push(FieldError::new(
            field::PASSWORD,
            "Enter the password, or clear Confirm Password.",
        ));
        return errors;
    }
    if let Err(message) = policy.check(password, username) {
        errors.push(FieldError::new(field::PASSWORD, message));
    }
    if confirm != password {
        errors.push(FieldError::new(
            field::CONFIRM_PASSWORD,
            "The two passwords do not match.",
        ));
    }
    errors
}

/// A first or last name: required, at most 100 characters, letters with spaces, apostrophes,
/// hyphens and periods between them ("Mary-Jane", "O'Brien", "Gómez", "St. John").
pub fn person_name(input: &str, what: &str) -> Result<String, String> {
    let trimmed = collapse_spaces(input);
    if trimmed.is_empty() {
        return Err(format!("Enter the {what}."));
    }
    if trimmed.chars().count() > 100 {
        return Err(format!("A {what} has at most 100 characters."));
    }
    let allowed = |c: char| c.is_alphabetic() || is_mark(c) || " '’.-".contains(c);
    if !trimmed.chars().all(allowed) || !trimmed.chars().any(char::is_alphabetic) {
        return Err(format!(
            "A {what} may hold letters, spaces, apostrophes, hyphens and periods only."
        ));
    }
    Ok(trimmed)
}

/// Combining marks that follow a letter in decomposed input (e.g. "e" + U+0301).
fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

fn collapse_spaces(input: &str) -> String {
    input.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Free text that may be left empty: trimmed, no control characters, at most `max` long.
pub fn optional_text(input: &str, max: usize, what: &str) -> Result<Option<String>, String> {
    let trimmed = collapse_spaces(input);
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.chars().count() > max {
        return Err(format!("{what} has at most {max} characters."));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(format!("{what} may not hold control characters."));
    }
    Ok(Some(trimmed))
}

/// Month / Day / Year: all empty (not given) or a real date, not in the future, giving an
/// age of at most [`MAX_AGE_YEARS`].
pub fn date_of_birth(
    month: &str,
    day: &str,
    year: &str,
    today: Day,
) -> Result<Option<String>, String> {
    let (month, day, year) = (month.trim(), day.trim(), year.trim());
    if month.is_empty() && day.is_empty() && year.is_empty() {
        return Ok(None);
    }
    if month.is_empty() || day.is_empty() || year.is_empty() {
        return Err("Enter the whole date of birth: month, day and year.".into());
    }
    let number = |s: &str| {
        s.parse::<u32>()
            .ok()
            .filter(|_| s.bytes().all(|b| b.is_ascii_digit()))
    };
    let (Some(m), Some(d), Some(y)) = (number(month), number(day), number(year)) else {
        return Err("Enter the date of birth in numbers, like 4 / 8 / 1990.".into());
    };
    if year.len() != 4 {
        return Err("Enter the year with four digits, like 1990.".into());
    }
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y as i32, m as u8) {
        return Err("That date does not exist.".into());
    }
    let born = Day {
        year: y as i32,
        month: m as u8,
        day: d as u8,
    };
    if born > today {
        return Err("The date of birth cannot be in the future.".into());
    }
    // Born on this day MAX_AGE_YEARS + 1 years ago: that birthday has been reached.
    let too_old = Day {
        year: today.year - MAX_AGE_YEARS - 1,
        ..today
    };
    if born <= too_old {
        return Err(format!(
            "The date of birth gives an age over {MAX_AGE_YEARS} years."
        ));
    }
    Ok(Some(format!("{y:04}-{m:02}-{d:02}")))
}

fn days_in_month(year: i32, month: u8) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// An ISO 3166-1 alpha-2 code; whether it names a country is checked against the list on
/// the server (the form offers only listed countries).
fn country_code(input: &str) -> Result<String, String> {
    let code = input.trim();
    if code.is_empty() {
        return Ok(DEFAULT_COUNTRY.to_owned());
    }
    if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code.to_owned())
    } else {
        Err("Choose a country from the list.".into())
    }
}

/// In the United States a state code (checked against the list on the server); elsewhere
/// a region's name as free text.
fn state(input: &str, country: &str) -> Result<Option<String>, String> {
    let trimmed = input.trim();
    if country == "US" && !trimmed.is_empty() {
        if trimmed.len() == 2 && trimmed.bytes().all(|b| b.is_ascii_uppercase()) {
            return Ok(Some(trimmed.to_owned()));
        }
        return Err("Choose a state from the list.".into());
    }
    optional_text(trimmed, 100, "A state or region")
}

/// A postal code: in the United States a ZIP code ("94103" or "94103-1234"), in Canada
/// "A1A 1A1", elsewhere 2 to 10 letters, digits, spaces or hyphens.
pub fn postal_code(input: &str, country: &str) -> Result<Option<String>, String> {
    let zip = input.trim().to_uppercase();
    if zip.is_empty() {
        return Ok(None);
    }
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match country {
        "US" => {
            let ok = match zip.split_once('-') {
                None => zip.len() == 5 && digits(&zip),
                Some((five, four)) => {
                    five.len() == 5 && digits(five) && four.len() == 4 && digits(four)
                }
            };
            if ok {
                Ok(Some(zip))
            } else {
                Err("Enter a 5-digit ZIP code, or ZIP+4 like 94103-1234.".into())
            }
        }
        "CA" => {
            let compact: String = zip.chars().filter(|c| *c != ' ').collect();
            let b = compact.as_bytes();
            let ok = b.len() == 6
                && b.iter().enumerate().all(|(i, c)| {
                    if i % 2 == 0 {
                        c.is_ascii_uppercase()
                    } else {
                        c.is_ascii_digit()
                    }
                });
            if ok {
                Ok(Some(format!("{} {}", &compact[..3], &compact[3..])))
            } else {
                Err("Enter a postal code like K1A 0B1.".into())
            }
        }
        _ => {
            let ok = (2..=10).contains(&zip.chars().count())
                && zip
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
                && zip.chars().any(|c| c.is_ascii_alphanumeric());
            if ok {
                Ok(Some(zip))
            } else {
                Err("Enter a postal code of 2 to 10 letters, digits, spaces or hyphens.".into())
            }
        }
    }
}

/// A phone number, stored in E.164. Without a leading "+" it is a North American number:
/// ten digits (optionally after a 1) whose area code and exchange do not start with 0 or 1
/// and are not N11 service codes. With "+", a country code and number of 8 to 15 digits.
/// Spaces, dots, hyphens and parentheses are allowed between digits.
pub fn phone_number(input: &str) -> Result<Option<String>, String> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let international = trimmed.starts_with('+');
    let body = if international {
        &trimmed[1..]
    } else {
        trimmed
    };
    if !body
        .chars()
        .all(|c| c.is_ascii_digit() || " .-()".contains(c))
    {
        return Err(
            "A phone number may hold digits, spaces, dots, hyphens and parentheses.".into(),
        );
    }
    let digits: String = body.chars().filter(char::is_ascii_digit).collect();
    if international {
        if (8..=15).contains(&digits.len()) && !digits.starts_with('0') {
            if let Some(national) = digits.strip_prefix('1') {
                return nanp(national).map(Some);
            }
            return Ok(Some(format!("+{digits}")));
        }
        return Err("An international number has 8 to 15 digits after the +.".into());
    }
    let national = match digits.len() {
        10 => digits.as_str(),
        11 if digits.starts_with('1') => &digits[1..],
        _ => {
            return Err(
                "Enter a 10-digit US phone number, or an international number starting with +."
                    .into(),
            );
        }
    };
    nanp(national).map(Some)
}

fn nanp(national: &str) -> Result<String, String> {
    let b = national.as_bytes();
    let valid_part = |p: &[u8]| p[0] >= b'2' && !(p[1] == b'1' && p[2] == b'1');
    if b.len() == 10 && valid_part(&b[0..3]) && valid_part(&b[3..6]) {
        Ok(format!("+1{national}"))
    } else {
        Err("That is not a valid US phone number: check the area code and number.".into())
    }
}

/// Shows an E.164 number the way people write it: "+1 415-555-0123" for North America.
pub fn format_phone(e164: &str) -> String {
    match e164.strip_prefix("+1") {
        Some(n) if n.len() == 10 => format!("+1 {}-{}-{}", &n[..3], &n[3..6], &n[6..]),
        _ => e164.to_owned(),
    }
}

/// An IANA zone name; whether it is one the form offers is checked on the server.
fn timezone_id(input: &str) -> Result<String, String> {
    let id = input.trim();
    if id.is_empty() {
        return Ok(DEFAULT_TIMEZONE.to_owned());
    }
    if id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_-+".contains(c))
    {
        Ok(id.to_owned())
    } else {
        Err("Choose a time zone from the list.".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: Day = Day {
        year: 2026,
        month: 11,
        day: 30,
    };

    fn jane() -> ProfileInput {
        ProfileInput {
            username: "jane.gomez@me.com".into(),
            first_name: "Jane".into(),
            last_name: "Gomez".into(),
            email: "jane.gomez@me.com".into(),
            ..ProfileInput::new_member()
        }
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn the_articles_example_is_valid_with_defaults() {
        let valid = jane().validate(TODAY).expect("valid");
        assert_eq!(valid.country, "US");
        assert_eq!(valid.timezone, "America/Los_Angeles");
        assert_eq!(valid.date_of_birth, None);
        assert_eq!(valid.phone, None);
    }

    #[test]
    fn required_fields_are_named() {
        let errors = ProfileInput::new_member().validate(TODAY).unwrap_err();
        assert_eq!(
            fields(&errors),
            [
                field::USERNAME,
                field::FIRST_NAME,
                field::LAST_NAME,
                field::EMAIL
            ]
        );
    }

    #[test]
    fn names_allow_real_names_only() {
        for ok in [
            "Jane",
            "Mary-Jane",
            "O'Brien",
            "Gómez",
            "St. John",
            "李",
            "Ngũgĩ",
        ] {
            assert!(person_name(ok, "first name").is_ok(), "{ok}");
        }
        for bad in ["", "   ", "J4ne", "<b>Jane</b>", "'", "Jane;DROP"] {
            assert!(person_name(bad, "first name").is_err(), "{bad}");
        }
        assert!(person_name(&"a".repeat(101), "first name").is_err());
        assert_eq!(person_name("  Mary   Ann ", "x").unwrap(), "Mary Ann");
    }

    #[test]
    fn date_of_birth_must_be_real_past_and_plausible() {
        let dob = |m, d, y| date_of_birth(m, d, y, TODAY);
        assert_eq!(dob("4", "8", "1990"), Ok(Some("1990-04-08".into())));
        assert_eq!(dob("", "", ""), Ok(None));
        assert_eq!(dob("2", "29", "2024"), Ok(Some("2024-02-29".into())));
        assert!(dob("2", "29", "2023").is_err(), "not a leap year");
        assert!(dob("4", "31", "1990").is_err());
        assert!(dob("13", "1", "1990").is_err());
        assert!(dob("4", "", "1990").is_err(), "partial");
        assert!(dob("12", "1", "2026").is_err(), "future");
        assert!(dob("12", "1", "1895").is_ok(), "130, turning 131 tomorrow");
        assert!(dob("11", "30", "1895").is_err(), "131 today");
        assert!(dob("x", "1", "1990").is_err());
        assert!(dob("4", "8", "90").is_err(), "two-digit year");
        assert!(dob("+4", "8", "1990").is_err());
    }

    #[test]
    fn phones_are_precise_and_stored_in_e164() {
        assert_eq!(
            phone_number("(415) 555-0123"),
            Ok(Some("+14155550123".into()))
        );
        assert_eq!(
            phone_number("1 415 555 0123"),
            Ok(Some("+14155550123".into()))
        );
        assert_eq!(
            phone_number("+1 415.555.0123"),
            Ok(Some("+14155550123".into()))
        );
        assert_eq!(
            phone_number("+44 20 7946 0958"),
            Ok(Some("+442079460958".into()))
        );
        assert_eq!(phone_number(""), Ok(None));
        for bad in [
            "555-0123",
            "(015) 555-0123",
            "(415) 155-0123",
            "(911) 555-0123",
            "abc",
            "+0 123 456 789",
            "+1234567",
            "415-555-01234",
            "+1 015 555 0123",
        ] {
            assert!(phone_number(bad).is_err(), "{bad}");
        }
        assert_eq!(format_phone("+14155550123"), "+1 415-555-0123");
        assert_eq!(format_phone("+442079460958"), "+442079460958");
    }

    #[test]
    fn postal_codes_follow_the_country() {
        assert_eq!(postal_code("94103", "US"), Ok(Some("94103".into())));
        assert_eq!(
            postal_code("94103-1234", "US"),
            Ok(Some("94103-1234".into()))
        );
        assert!(postal_code("9410", "US").is_err());
        assert!(postal_code("94103-12", "US").is_err());
        assert!(postal_code("ABCDE", "US").is_err());
        assert_eq!(postal_code("k1a0b1", "CA"), Ok(Some("K1A 0B1".into())));
        assert!(postal_code("K1A 0B", "CA").is_err());
        assert_eq!(postal_code("SW1A 1AA", "GB"), Ok(Some("SW1A 1AA".into())));
        assert!(postal_code("<script>", "GB").is_err());
        assert_eq!(postal_code("", "US"), Ok(None));
    }

    #[test]
    fn us_states_are_codes_and_other_regions_free_text() {
        assert_eq!(state("CA", "US"), Ok(Some("CA".into())));
        assert!(state("California", "US").is_err());
        assert_eq!(state("Ontario", "CA"), Ok(Some("Ontario".into())));
        assert_eq!(state("", "US"), Ok(None));
    }

    #[test]
    fn every_rejected_field_is_reported_at_once() {
        let input = ProfileInput {
            email: "nope".into(),
            phone: "123".into(),
            zip: "1".into(),
            dob_month: "2".into(),
            dob_day: "30".into(),
            dob_year: "2000".into(),
            ..jane()
        };
        let errors = input.validate(TODAY).unwrap_err();
        assert_eq!(
            fields(&errors),
            [field::EMAIL, field::DATE_OF_BIRTH, field::ZIP, field::PHONE]
        );
    }

    #[test]
    fn new_passwords_are_optional_but_checked_when_given() {
        let policy = PasswordPolicy::default();
        assert!(check_new_password("", "", "jane", &policy).is_empty());
        assert!(check_new_password("Blue-Harbor-42", "Blue-Harbor-42", "jane", &policy).is_empty());
        let errors = check_new_password("Blue-Harbor-42", "Blue-Harbor-43", "jane", &policy);
        assert_eq!(fields(&errors), [field::CONFIRM_PASSWORD]);
        let errors = check_new_password("short", "", "jane", &policy);
        assert_eq!(fields(&errors), [field::PASSWORD, field::CONFIRM_PASSWORD]);
        let errors = check_new_password("", "Blue-Harbor-42", "jane", &policy);
        assert_eq!(fields(&errors), [field::PASSWORD]);
    }

    #[test]
    fn date_of_birth_round_trips_through_the_form() {
        let mut input = ProfileInput::default();
        input.set_date_of_birth(Some("1990-04-08"));
        assert_eq!(
            (
                input.dob_month.as_str(),
                input.dob_day.as_str(),
                input.dob_year.as_str()
            ),
            ("4", "8", "1990")
        );
    }
}
