//! The lists a profile's fields choose from: countries, US states and time zones, and the
//! check that a saved profile's choices are on them.
//!
//! The lists are built on the server (countries and states from ISO 3166 by `rust_iso3166`,
//! time-zone offsets from the IANA database by `jiff`) and sent with the form, so the browser
//! bundle carries none of that data; the server checks every submitted value against them.

use serde::{Deserialize, Serialize};

/// One option of a select: the stored value and what the admin reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// Time zones offered, with the names people know them by (IANA zone, name).
#[cfg(feature = "ssr")]
const TIMEZONES: &[(&str, &str)] = &[
    ("Pacific/Midway", "Midway Island, Samoa"),
    ("Pacific/Honolulu", "Hawaii"),
    ("America/Anchorage", "Alaska"),
    ("America/Los_Angeles", "Pacific Time (US & Canada)"),
    ("America/Tijuana", "Tijuana, Baja California"),
    ("America/Phoenix", "Arizona"),
    ("America/Denver", "Mountain Time (US & Canada)"),
    ("America/Chihuahua", "Chihuahua, La Paz, Mazatlan"),
    ("America/Chicago", "Central Time (US & Canada)"),
    ("America/Mexico_City", "Guadalajara, Mexico City, Monterrey"),
    ("America/Regina", "Saskatchewan"),
    ("America/Guatemala", "Central America"),
    ("America/New_York", "Eastern Time (US & Canada)"),
    ("America/Indiana/Indianapolis", "Indiana (East)"),
    ("America/Bogota", "Bogota, Lima, Quito"),
    ("America/Puerto_Rico", "Puerto Rico"),
    ("America/Halifax", "Atlantic Time (Canada)"),
    ("America/Caracas", "Caracas"),
    ("America/Santiago", "Santiago"),
    ("America/St_Johns", "Newfoundland"),
    ("America/Sao_Paulo", "Brasilia"),
    ("America/Argentina/Buenos_Aires", "Buenos Aires"),
    ("Atlantic/South_Georgia", "Mid-Atlantic"),
    ("Atlantic/Azores", "Azores"),
    ("Atlantic/Cape_Verde", "Cape Verde Is."),
    ("UTC", "Coordinated Universal Time"),
    ("Europe/London", "Dublin, Edinburgh, Lisbon, London"),
    ("Africa/Casablanca", "Casablanca"),
    (
        "Europe/Berlin",
        "Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna",
    ),
    ("Europe/Paris", "Brussels, Copenhagen, Madrid, Paris"),
    ("Europe/Warsaw", "Sarajevo, Skopje, Warsaw, Zagreb"),
    ("Africa/Lagos", "West Central Africa"),
    ("Europe/Athens", "Athens, Bucharest"),
    ("Africa/Cairo", "Cairo"),
    ("Africa/Johannesburg", "Harare, Pretoria"),
    (
        "Europe/Helsinki",
        "Helsinki, Kyiv, Riga, Sofia, Tallinn, Vilnius",
    ),
    ("Asia/Jerusalem", "Jerusalem"),
    ("Europe/Istanbul", "Istanbul"),
    ("Europe/Moscow", "Moscow, St. Petersburg"),
    ("Asia/Riyadh", "Kuwait, Riyadh"),
    ("Africa/Nairobi", "Nairobi"),
    ("Asia/Tehran", "Tehran"),
    ("Asia/Dubai", "Abu Dhabi, Muscat"),
    ("Asia/Kabul", "Kabul"),
    ("Asia/Karachi", "Islamabad, Karachi"),
    ("Asia/Tashkent", "Tashkent"),
    ("Asia/Kolkata", "Chennai, Kolkata, Mumbai, New Delhi"),
    ("Asia/Kathmandu", "Kathmandu"),
    ("Asia/Dhaka", "Dhaka"),
    ("Asia/Yangon", "Yangon (Rangoon)"),
    ("Asia/Bangkok", "Bangkok, Hanoi, Jakarta"),
    ("Asia/Shanghai", "Beijing, Chongqing, Hong Kong, Urumqi"),
    ("Asia/Singapore", "Kuala Lumpur, Singapore"),
    ("Australia/Perth", "Perth"),
    ("Asia/Taipei", "Taipei"),
    ("Asia/Manila", "Manila"),
    ("Asia/Tokyo", "Osaka, Sapporo, Tokyo"),
    ("Asia/Seoul", "Seoul"),
    ("Australia/Adelaide", "Adelaide"),
    ("Australia/Darwin", "Darwin"),
    ("Australia/Brisbane", "Brisbane"),
    ("Australia/Sydney", "Canberra, Melbourne, Sydney"),
    ("Pacific/Guam", "Guam, Port Moresby"),
    ("Australia/Hobart", "Hobart"),
    ("Pacific/Noumea", "Solomon Is., New Caledonia"),
    ("Pacific/Auckland", "Auckland, Wellington"),
    ("Pacific/Fiji", "Fiji"),
    ("Pacific/Tongatapu", "Nuku'alofa"),
];

/// Time zones labelled with their offset now, "(UTC-07:00) Pacific Time (US & Canada)",
/// ordered by that offset.
#[cfg(feature = "ssr")]
pub fn timezones() -> Vec<Choice> {
    let now = jiff::Timestamp::now();
    let mut zones: Vec<(i32, Choice)> = TIMEZONES
        .iter()
        .filter_map(|(id, name)| {
            let tz = jiff::tz::TimeZone::get(id).ok()?;
            let seconds = tz.to_offset(now).seconds();
            let sign = if seconds < 0 { '-' } else { '+' };
            let minutes = seconds.unsigned_abs() / 60;
            let label = format!("(UTC{sign}{:02}:{:02}) {name}", minutes / 60, minutes % 60);
            Some((
                seconds,
                Choice {
                    value: (*id).to_owned(),
                    label,
                },
            ))
        })
        .collect();
    zones.sort_by_key(|(offset, _)| *offset);
    zones.into_iter().map(|(_, choice)| choice).collect()
}

/// Every ISO 3166-1 country, by name; the United States under the name the article uses.
#[cfg(feature = "ssr")]
pub fn countries() -> Vec<Choice> {
    let mut list: Vec<Choice> = rust_iso3166::ALL
        .iter()
        .map(|c| Choice {
            value: c.alpha2.to_owned(),
            label: match c.alpha2 {
                "US" => "United States".to_owned(),
                "GB" => "United Kingdom".to_owned(),
                _ => c.name.to_owned(),
            },
        })
        .collect();
    list.sort_by(|a, b| a.label.cmp(&b.label));
    list
}

/// The states, district and territories of the United States (ISO 3166-2:US), by name.
#[cfg(feature = "ssr")]
pub fn us_states() -> Vec<Choice> {
    let subdivisions = rust_iso3166::iso3166_2::SUBDIVISION_COUNTRY_MAP
        .get("US")
        .copied()
        .unwrap_or_default();
    let mut list: Vec<Choice> = subdivisions
        .iter()
        .map(|s| Choice {
            value: s.region_code.to_owned(),
            label: s.name.to_owned(),
        })
        .collect();
    list.sort_by(|a, b| a.label.cmp(&b.label));
    list
}

/// The checks only the server can make: the country, state and time zone are on its lists.
#[cfg(feature = "ssr")]
pub(crate) fn check_lists(
    valid: &super::profile::ValidProfile,
    errors: &mut Vec<crate::error::FieldError>,
) {
    if !countries().iter().any(|c| c.value == valid.country) {
        errors.push(crate::error::FieldError::new(
            super::profile::field::COUNTRY,
            "Choose a country from the list.",
        ));
    }
    if let (Some(state), "US") = (&valid.state, valid.country.as_str())
        && !us_states().iter().any(|s| &s.value == state)
    {
        errors.push(crate::error::FieldError::new(
            super::profile::field::STATE,
            "Choose a state from the list.",
        ));
    }
    if !timezones().iter().any(|t| t.value == valid.timezone) {
        errors.push(crate::error::FieldError::new(
            super::profile::field::TIMEZONE,
            "Choose a time zone from the list.",
        ));
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn pacific_time_is_offered_with_its_offset() {
        let zones = timezones();
        assert_eq!(zones.len(), TIMEZONES.len(), "every listed zone is known");
        let pacific = zones
            .iter()
            .find(|z| z.value == "America/Los_Angeles")
            .expect("pacific");
        assert!(
            pacific.label == "(UTC-07:00) Pacific Time (US & Canada)"
                || pacific.label == "(UTC-08:00) Pacific Time (US & Canada)",
            "{}",
            pacific.label
        );
        assert!(zones.iter().any(|z| z.label.starts_with("(UTC+05:30)")));
    }

    #[test]
    fn countries_and_states_come_from_iso_3166() {
        let countries = countries();
        assert!(countries.len() >= 249);
        assert!(
            countries
                .iter()
                .any(|c| c.value == "US" && c.label == "United States")
        );
        let states = us_states();
        assert!(
            states
                .iter()
                .any(|s| s.value == "CA" && s.label == "California")
        );
        assert!(states.iter().any(|s| s.value == "DC"));
        assert!(states.len() >= 51);
    }
}
