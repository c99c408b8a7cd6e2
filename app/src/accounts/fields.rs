//! The rules for one field each, as the profile, sign-up and account forms apply them:
//! names, free text, dates of birth, countries and states, postal codes, phone numbers and
//! time zones. Each answers the normalised value or a sentence for next to the field.

/// The country a new member gets unless the admin picks another (ISO 3166-1 alpha-2).
pub const DEFAULT_COUNTRY: &str = "US";
/// The time zone a new member gets unless the admin picks another (IANA).
pub const DEFAULT_TIMEZONE: &str = "America/Los_Angeles";
/// The oldest age a date of birth may give.
pub const MAX_AGE_YEARS: i32 = 130;

/// Today in UTC: the day the date-of-birth rules compare against (the browser and the
/// server each pass their own).
pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
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
    today: time::Date,
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
    let born = u8::try_from(m)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .zip(u8::try_from(d).ok())
        .and_then(|(month, d)| time::Date::from_calendar_date(y as i32, month, d).ok());
    let Some(born) = born else {
        return Err("That date does not exist.".into());
    };
    if born > today {
        return Err("The date of birth cannot be in the future.".into());
    }
    // Born on this day MAX_AGE_YEARS + 1 years ago: that birthday has been reached (on
    // 29 February, the 28th of that year).
    let year = today.year() - MAX_AGE_YEARS - 1;
    let too_old = today.replace_year(year).unwrap_or_else(|_| {
        time::Date::from_calendar_date(year, time::Month::February, 28).expect("a real day")
    });
    if born <= too_old {
        return Err(format!(
            "The date of birth gives an age over {MAX_AGE_YEARS} years."
        ));
    }
    Ok(Some(format!("{y:04}-{m:02}-{d:02}")))
}

/// An ISO 3166-1 alpha-2 code; whether it names a country is checked against the list on
/// the server (the form offers only listed countries).
pub(crate) fn country_code(input: &str) -> Result<String, String> {
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
pub(crate) fn state(input: &str, country: &str) -> Result<Option<String>, String> {
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
    let zip = crate::text::upper(input.trim());
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
pub(crate) fn timezone_id(input: &str) -> Result<String, String> {
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
