//! Property tests over every validator and every input type the server functions take: any
//! string, of any length, in any script, with HTML and SQL metacharacters. Each answers with
//! a value or a field message (never a panic), names only fields of its own form, and never
//! repeats markup it was given.

use proptest::prelude::*;

use app::accounts::profile::{self, ProfileInput};
use app::clinics::SettingsInput;
use app::error::{AppError, FieldError};
use app::members::query::UsersQuery;
use app::patients::{GuestInput, SignUpInput, visit_reason};
use app::rooms::{self, RoomInput};
use app::text::fold;
use app::validation::{Email, PasswordPolicy, Username};

/// Text as people and attackers type it: anything at all, long runs, markup, SQL and the
/// characters validators care about.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        ".{0,3000}",
        "[ <>&'\"%_;\\\\()/=*-]{0,40}",
        "[a-zA-Z0-9 .@+-]{0,80}",
        "\\PC{0,120}",
        Just("<script>alert(1)</script>".to_owned()),
        Just("' OR 1=1; DROP TABLE users; --".to_owned()),
        Just("%_\\".to_owned()),
        Just("\u{0}\u{202e}\u{feff}".to_owned()),
        "[0-9]{0,30}",
        Just("-9223372036854775808".to_owned()),
        Just("99999999999999999999999".to_owned()),
    ]
}

const TODAY: time::Date = time::macros::date!(2026 - 11 - 30);

/// A message is fixed wording: it never carries markup back to the page.
fn plain(message: &str) -> bool {
    !message.is_empty() && !message.contains('<') && !message.contains('>')
}

fn check_messages(errors: &[FieldError], allowed: &[&str]) -> Result<(), TestCaseError> {
    prop_assert!(!errors.is_empty(), "a rejection names at least one field");
    for e in errors {
        prop_assert!(
            allowed.contains(&e.field.as_str()),
            "unknown field {}",
            e.field
        );
        prop_assert!(plain(&e.message), "message {:?}", e.message);
    }
    Ok(())
}

fn check_error(error: &AppError, allowed: &[&str]) -> Result<(), TestCaseError> {
    match error {
        AppError::Validation { field, message } => {
            prop_assert!(allowed.contains(&field.as_str()), "unknown field {field}");
            prop_assert!(plain(message), "message {message:?}");
        }
        AppError::Invalid { errors } => check_messages(errors, allowed)?,
        other => prop_assert!(false, "a validator answered {other:?}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn single_field_validators_answer_a_value_or_a_message(s in text(), t in text()) {
        for result in [
            Email::parse(&s).map(|_| ()),
            Username::parse(&s).map(|_| ()),
            profile::person_name(&s, "first name").map(|_| ()),
            profile::optional_text(&s, 100, "address").map(|_| ()),
            profile::postal_code(&s, &t).map(|_| ()),
            profile::postal_code(&s, "US").map(|_| ()),
            profile::phone_number(&s).map(|_| ()),
            profile::date_of_birth(&s, &t, &s, TODAY).map(|_| ()),
            profile::date_of_birth("4", &s, "1990", TODAY).map(|_| ()),
            visit_reason(&s).map(|_| ()),
            rooms::room_name(&s).map(|_| ()),
            rooms::room_code(&s).map(|_| ()),
            rooms::room_slug(&s).map(|_| ()),
        ] {
            if let Err(message) = result {
                prop_assert!(plain(&message), "message {message:?} for {s:?}");
            }
        }
    }

    #[test]
    fn accepted_values_are_normalised_and_stable(s in text()) {
        if let Ok(email) = Email::parse(&s) {
            prop_assert!(Email::parse(email.as_str()).is_ok(), "an accepted email parses again");
            prop_assert!(email.as_str().chars().count() <= 254);
        }
        if let Ok(name) = profile::person_name(&s, "first name") {
            prop_assert_eq!(profile::person_name(&name, "first name"), Ok(name.clone()));
            prop_assert!(!name.contains('<') && name.chars().count() <= 100);
        }
        if let Ok(Some(phone)) = profile::phone_number(&s) {
            prop_assert!(phone.starts_with('+') && phone[1..].bytes().all(|b| b.is_ascii_digit()));
        }
        let suggested = rooms::suggest_slug(&s);
        // Links are 2 to 64 characters; a one-letter name suggests too short a link, which the form then names.
        if suggested.chars().count() >= 2 {
            prop_assert!(rooms::room_slug(&suggested).is_ok(), "suggested {suggested:?} for {s:?}");
        }
        let folded = fold(&s);
        prop_assert_eq!(fold(&folded), folded.clone(), "folding twice changes nothing");
    }

    #[test]
    fn passwords_are_checked_without_panicking(password in text(), username in text(), min in 0u32..80) {
        let policy = PasswordPolicy { min_length: min, ..PasswordPolicy::default() };
        let rules = policy.rules(&password, &username);
        let result = policy.check(&password, &username);
        prop_assert_eq!(result.is_ok(), rules.iter().all(|r| r.met), "check agrees with the ticked list");
        if let Err(message) = result {
            prop_assert!(plain(&message));
        }
    }

    #[test]
    fn the_profile_form_names_only_its_fields(
        fields in proptest::collection::vec(text(), 16)
    ) {
        let input = ProfileInput {
            username: fields[0].clone(),
            first_name: fields[1].clone(),
            last_name: fields[2].clone(),
            email: fields[3].clone(),
            dob_month: fields[4].clone(),
            dob_day: fields[5].clone(),
            dob_year: fields[6].clone(),
            address: fields[7].clone(),
            city: fields[8].clone(),
            state: fields[9].clone(),
            zip: fields[10].clone(),
            country: fields[11].clone(),
            phone: fields[12].clone(),
            pcp_name: fields[13].clone(),
            pcp_phone: fields[14].clone(),
            timezone: fields[15].clone(),
        };
        if let Err(errors) = input.validate(TODAY) {
            use app::accounts::profile::field::*;
            check_messages(&errors, &[
                USERNAME, FIRST_NAME, LAST_NAME, EMAIL, DATE_OF_BIRTH, ADDRESS, CITY, STATE,
                ZIP, COUNTRY, PHONE, PCP_NAME, PCP_PHONE, TIMEZONE,
            ])?;
        }
    }

    #[test]
    fn the_patient_forms_name_only_their_fields(
        fields in proptest::collection::vec(text(), 8),
        reason in text(),
    ) {
        let sign_up = SignUpInput {
            first_name: fields[0].clone(),
            last_name: fields[1].clone(),
            email: fields[2].clone(),
            password: fields[3].clone(),
            confirm_password: fields[4].clone(),
            date_of_birth: fields[5].clone(),
            phone: fields[6].clone(),
            timezone: fields[7].clone(),
        };
        if let Err(errors) = sign_up.validate(&PasswordPolicy::default(), TODAY) {
            use app::accounts::profile::field::*;
            check_messages(&errors, &[
                FIRST_NAME, LAST_NAME, EMAIL, PASSWORD, CONFIRM_PASSWORD, DATE_OF_BIRTH,
                PHONE, TIMEZONE,
            ])?;
        }
        let guest = GuestInput {
            first_name: fields[0].clone(),
            last_name: fields[1].clone(),
            reason,
        };
        if let Err(errors) = guest.validate() {
            check_messages(&errors, &["first_name", "last_name", "reason"])?;
        }
    }

    #[test]
    fn the_admin_forms_name_only_their_fields(
        fields in proptest::collection::vec(text(), 10),
        flags in any::<(bool, bool)>(),
        ids in any::<(Option<i64>, i64)>(),
    ) {
        let room = RoomInput {
            id: ids.0,
            clinic_id: ids.1,
            name: fields[0].clone(),
            code: fields[1].clone(),
            slug: fields[2].clone(),
            guest_allowed: flags.0,
            signup_allowed: flags.1,
            visit_url: fields[3].clone(),
            version: None,
        };
        if let Err(errors) = room.validate() {
            check_messages(&errors, &["name", "code", "slug", "visit_url"])?;
        }
        let settings = SettingsInput {
            clinic_id: ids.1,
            signup_allowed: flags.0,
            guest_allowed: flags.1,
            min_length: fields[3].clone(),
            require_upper: flags.0,
            require_lower: flags.1,
            require_digit: flags.0,
            require_symbol: flags.1,
            history_count: fields[4].clone(),
            delete_grace_days: fields[5].clone(),
            idle_timeout_minutes: fields[6].clone(),
            require_two_step: Some(flags.0),
            guest_retention_days: fields[7].clone(),
            version: None,
            dormant: Some(flags.1),
            dormant_months: fields[8].clone(),
            dormant_warn_days: fields[9].clone(),
        };
        if let Err(errors) = settings.validate() {
            use app::clinics::field::*;
            check_messages(
                &errors,
                &[
                    MIN_LENGTH,
                    HISTORY_COUNT,
                    GRACE_DAYS,
                    IDLE_MINUTES,
                    GUEST_DAYS,
                    DORMANT_MONTHS,
                    DORMANT_WARN_DAYS,
                ],
            )?;
        }
    }

    #[test]
    fn every_view_of_the_users_table_parses_or_names_its_field(
        fields in proptest::collection::vec(text(), 9)
    ) {
        let query = UsersQuery {
            q: fields[0].clone(),
            user_type: fields[1].clone(),
            status: fields[2].clone(),
            room: fields[3].clone(),
            sort: fields[4].clone(),
            dir: fields[5].clone(),
            size: fields[6].clone(),
            after: fields[7].clone(),
            before: fields[8].clone(),
        };
        if let Err(error) = query.parse() {
            check_error(&error, &["q", "type", "status", "room", "sort", "dir", "size", "after", "before"])?;
        }
    }

    #[test]
    fn page_links_round_trip(at in any::<i64>(), id in any::<i64>(), name in text()) {
        for (sort, key) in [("signed_up", at.to_string()), ("name", name.chars().take(200).collect())] {
            let cursor = format!("{key}~{id}");
            let query = UsersQuery {
                sort: sort.into(),
                after: cursor.clone(),
                ..UsersQuery::default()
            };
            match query.parse() {
                Ok(parsed) => {
                    let app::members::query::Position::After(c) = parsed.position else {
                        return Err(TestCaseError::fail("an after link is read as after"));
                    };
                    prop_assert_eq!(c.encode(), cursor);
                }
                Err(error) => check_error(&error, &["after"])?,
            }
        }
    }
}
