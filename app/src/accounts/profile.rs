//! A member's profile as the Create a Member form and the Profile tab hold it, and the rules
//! that check it. The same code runs in the browser (as the admin types or leaves a field)
//! and on the server (final word).

use serde::{Deserialize, Serialize};

use crate::error::FieldError;
// The single-field rules live in `fields`; the form and its callers reach them through here.
pub use super::fields::{
    DEFAULT_COUNTRY, DEFAULT_TIMEZONE, MAX_AGE_YEARS, date_of_birth, format_phone, optional_text,
    person_name, phone_number, postal_code, today,
};
use super::fields::{country_code, state, timezone_id};
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

/// The form's order of fields, for listing field messages in the order the admin reads them.
pub const FORM_ORDER: [&str; 19] = [
    field::CLINIC,
    field::ROOMS,
    field::USER_TYPE,
    field::USERNAME,
    field::PASSWORD,
    field::CONFIRM_PASSWORD,
    field::FIRST_NAME,
    field::LAST_NAME,
    field::EMAIL,
    field::DATE_OF_BIRTH,
    field::ADDRESS,
    field::CITY,
    field::STATE,
    field::ZIP,
    field::COUNTRY,
    field::PHONE,
    field::PCP_NAME,
    field::PCP_PHONE,
    field::TIMEZONE,
];

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

impl ProfileInput {
    /// Checks every field; on failure, one message per rejected field, in form order.
    pub fn validate(&self, today: time::Date) -> Result<ValidProfile, Vec<FieldError>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: time::Date = time::macros::date!(2026 - 11 - 30);

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
