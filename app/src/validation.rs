//! Validated input types: each parses once and is trusted afterwards.
//!
//! The same code runs in the browser (as the admin types) and on the server (final word).

use serde::{Deserialize, Serialize};

/// An email address, trimmed, checked against RFC 5322 by the `email_address` crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, String> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err("Enter an email address.".into());
        }
        if trimmed.len() > 254 {
            return Err("An email address has at most 254 characters.".into());
        }
        match email_address::EmailAddress::parse_with_options(
            trimmed,
            email_address::Options::default()
                .with_required_tld()
                .without_display_text()
                .without_domain_literal(),
        ) {
            Ok(_) => Ok(Self(trimmed.to_owned())),
            Err(_) => Err("Enter an email address like name@example.com.".into()),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A username: usually the email address; letters, digits and `. _ - + @`, 3 to 254 long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(input: &str) -> Result<Self, String> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err("Enter a username.".into());
        }
        let len = trimmed.chars().count();
        if !(3..=254).contains(&len) {
            return Err("A username has 3 to 254 characters.".into());
        }
        if !trimmed
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_+@".contains(c))
        {
            return Err("A username may hold letters, digits and . _ - + @ only.".into());
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A clinic's password policy. Every password check in Frontdesk reads one of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    pub min_length: u32,
    pub require_upper: bool,
    pub require_lower: bool,
    pub require_digit: bool,
    pub require_symbol: bool,
    /// How many previous passwords may not be reused.
    pub history_count: u32,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: 8,
            require_upper: true,
            require_lower: true,
            require_digit: true,
            require_symbol: true,
            history_count: 6,
        }
    }
}

/// The longest password accepted, whatever the policy: hashing cost stays bounded.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// Passwords too common to allow, whatever else they satisfy (compared case-insensitively).
const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "password1",
    "password1!",
    "password123",
    "password123!",
    "p@ssw0rd",
    "p@ssword1",
    "passw0rd!",
    "qwerty123!",
    "qwerty1!",
    "welcome1!",
    "welcome123!",
    "letmein1!",
    "admin123!",
    "iloveyou1!",
    "abc123!@#",
    "123456aa!",
    "changeme1!",
    "summer2024!",
    "winter2024!",
    "spring2024!",
    "autumn2024!",
    "football1!",
    "monkey123!",
];

/// One rule of a policy, for the live "Password requirements" hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleCheck {
    pub label: String,
    pub met: bool,
}

impl PasswordPolicy {
    /// Every rule of this policy with whether `password` meets it, in display order.
    pub fn rules(&self, password: &str, username: &str) -> Vec<RuleCheck> {
        let chars = password.chars().count();
        let mut rules = vec![RuleCheck {
            label: format!("{} to {MAX_PASSWORD_CHARS} characters", self.min_length),
            met: chars >= self.min_length as usize && chars <= MAX_PASSWORD_CHARS,
        }];
        let mut add = |on: bool, label: &str, met: bool| {
            if on {
                rules.push(RuleCheck {
                    label: label.to_owned(),
                    met,
                });
            }
        };
        add(
            self.require_upper,
            "an upper-case letter",
            password.chars().any(char::is_uppercase),
        );
        add(
            self.require_lower,
            "a lower-case letter",
            password.chars().any(char::is_lowercase),
        );
        add(
            self.require_digit,
            "a digit",
            password.chars().any(|c| c.is_ascii_digit()),
        );
        add(
            self.require_symbol,
            "a symbol",
            password
                .chars()
                .any(|c| !c.is_alphanumeric() && !c.is_whitespace()),
        );
        let lower = crate::text::lower(password);
        rules.push(RuleCheck {
            label: "not a common password".into(),
            met: !password.is_empty() && !COMMON_PASSWORDS.contains(&lower.as_str()),
        });
        rules.push(RuleCheck {
            label: "not the username".into(),
            met: !password.is_empty()
                && (username.is_empty() || lower != crate::text::lower(username.trim())),
        });
        rules
    }

    /// The first unmet rule as a sentence, or `Ok` when the password satisfies the policy.
    /// (Password history is checked by the server against stored hashes.)
    pub fn check(&self, password: &str, username: &str) -> Result<(), String> {
        match self.rules(password, username).into_iter().find(|r| !r.met) {
            None => Ok(()),
            Some(rule) => Err(format!("The password needs {}.", rule.label)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_rule_is_met_by_an_empty_password() {
        let policy = PasswordPolicy::default();
        let rules = policy.rules("", "jane");
        assert!(rules.iter().all(|r| !r.met), "{rules:?}");
        let rules = policy.rules("Granite-Meadow-2026", "jane");
        assert!(rules.iter().all(|r| r.met), "{rules:?}");
    }

    #[test]
    fn email_accepts_the_articles_example_and_trims() {
        let email = Email::parse("  jane.gomez@me.com ").expect("valid");
        assert_eq!(email.as_str(), "jane.gomez@me.com");
    }

    #[test]
    fn email_rejects_empty_missing_at_and_missing_domain() {
        assert!(Email::parse("").is_err());
        assert!(Email::parse("jane.gomez").is_err());
        assert!(Email::parse("jane@").is_err());
        assert!(Email::parse("jane@localhost").is_err());
        assert!(Email::parse(&format!("{}@me.com", "a".repeat(260))).is_err());
    }

    #[test]
    fn username_rules() {
        assert!(Username::parse("jane.gomez@me.com").is_ok());
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("jane gomez").is_err());
        assert!(Username::parse("<script>").is_err());
        assert!(Username::parse("").is_err());
    }

    #[test]
    fn default_policy_accepts_a_strong_password() {
        let policy = PasswordPolicy::default();
        assert_eq!(policy.check("Blue-Harbor-42", "jane.gomez@me.com"), Ok(()));
    }

    #[test]
    fn default_policy_names_the_first_unmet_rule() {
        let policy = PasswordPolicy::default();
        assert_eq!(
            policy.check("Sh0rt!", ""),
            Err("The password needs 8 to 128 characters.".into())
        );
        assert_eq!(
            policy.check("lowercase-only-1", ""),
            Err("The password needs an upper-case letter.".into())
        );
        assert_eq!(
            policy.check("NoDigitsHere!", ""),
            Err("The password needs a digit.".into())
        );
        assert_eq!(
            policy.check("NoSymbols123", ""),
            Err("The password needs a symbol.".into())
        );
        assert!(
            policy.check("Password123!", "").is_err(),
            "common passwords are refused"
        );
        assert!(policy.check(&"Aa1!".repeat(40), "").is_err(), "over 128");
    }

    #[test]
    fn password_may_not_be_the_username() {
        let policy = PasswordPolicy::default();
        assert!(
            policy
                .check("Jane.Gomez@Me.com1", "jane.gomez@me.com1")
                .is_err()
        );
    }

    #[test]
    fn relaxed_policy_lists_fewer_rules() {
        let policy = PasswordPolicy {
            require_symbol: false,
            require_upper: false,
            ..PasswordPolicy::default()
        };
        assert!(policy.check("harbor42x", "").is_ok());
        let labels: Vec<_> = policy.rules("", "").into_iter().map(|r| r.label).collect();
        assert!(!labels.iter().any(|l| l.contains("symbol")));
    }
}
