//! Two-step sign-in: after the right password, a 6-digit code from an authenticator app
//! (TOTP, RFC 6238), a passkey (WebAuthn) or a one-time recovery code. The account's own
//! page for it is
//! `/account/security`; the step itself is `/login/second-step`. A clinic may require it of
//! its Clinic Admins and Providers: until they have turned it on, no admin page or admin
//! server function answers them, and signing in leads them to set it up.
//!
//! Both pages work without JavaScript for codes: their forms post to the server functions,
//! which answer with a redirect. Passkeys need JavaScript (the browser's
//! `navigator.credentials`), and the pages say so when it is off.

mod api;
mod browser;
mod fields;
mod page;
mod passkey_forms;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::*;
pub use page::*;

use serde::{Deserialize, Serialize};

/// Where a Clinic Admin or Provider who must turn on two-step sign-in is sent.
pub const SECURITY_REQUIRED: &str = "/account/security?required=1";

/// The longest name a passkey may be given.
pub const PASSKEY_NAME_MAX: usize = 60;

/// How many recovery codes an account gets at a time.
pub const RECOVERY_CODES: usize = 10;

/// What `/account/security` shows its owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityView {
    pub clinic_name: String,
    pub is_admin: bool,
    /// An authenticator app is on.
    pub app_on: bool,
    /// An app being set up: the secret to enter or scan.
    pub setup: Option<AppSetup>,
    /// The passkeys added, oldest first.
    pub passkeys: Vec<PasskeyItem>,
    /// Passkeys can be used here: Frontdesk is reached at a host name, not an IP address.
    pub passkeys_here: bool,
    /// Unused recovery codes left.
    pub codes_left: u32,
    /// Recovery codes just made, shown this once.
    pub new_codes: Vec<String>,
    /// The clinic requires a second factor of this account, and it has none yet.
    pub required: bool,
}

impl SecurityView {
    /// Any second factor is on.
    pub fn factor_on(&self) -> bool {
        self.app_on || !self.passkeys.is_empty()
    }
}

/// A passkey of the account, as its Security page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyItem {
    /// The credential's id (base64url): what removing it names.
    pub id: String,
    pub name: String,
    /// The day it was added ("2026-12-05"), in the account's time zone.
    pub added: String,
    /// The day it was last used, in the account's time zone.
    pub last_used: Option<String>,
}

/// Which answers a half-done sign-in can take.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    /// A code from an authenticator app.
    pub app: bool,
    /// A passkey.
    pub passkey: bool,
    /// Passkeys can be used here (a host name, not an IP address).
    pub passkeys_here: bool,
}

/// An authenticator app being set up. The secret is the account's own, shown to it until
/// the app is turned on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSetup {
    /// Base32, in groups of four for reading.
    pub secret: String,
    /// The `otpauth://` link the QR code holds.
    pub link: String,
    /// The QR code as an SVG image, made on the server.
    pub qr_svg: String,
}

/// Words shown on more than one screen, and the field messages a test names.
pub mod words {
    pub const WRONG_CODE: &str = "That code is not right. Check the app and try again.";
    pub const ENTER_CODE: &str = "Enter the 6-digit code from your app.";
    pub const USED_CODE: &str = "That code was just used. Wait for the next one in your app.";
    pub const WRONG_RECOVERY: &str = "That recovery code is not right, or was used already.";
    pub const ENTER_RECOVERY: &str = "Enter one of your recovery codes.";
    pub const STEP_EXPIRED: &str = "This sign-in has expired. Sign in again.";
    pub const SET_UP_FIRST: &str = "Set up the authenticator app first.";
    pub const ALREADY_ON: &str = "An authenticator app is already on.";
    pub const NOT_ON: &str = "No second factor is on.";
    pub const APP_NOT_ON: &str = "No authenticator app is on.";
    pub const REQUIRED: &str = "Your clinic requires two-step sign-in. Set up an authenticator app or add a passkey to continue.";
    pub const NAME_PASSKEY: &str = "Name the passkey, for example \"Work laptop\".";
    pub const PICK_PASSKEY: &str = "Choose one of your passkeys.";
    pub const PASSKEYS_NEED_A_NAME: &str = "Passkeys work only when Frontdesk is reached at a name such as frontdesk.example.org or localhost, not at an IP address.";
    pub const PASSKEY_EXPIRED: &str = "Adding the passkey took too long. Try again.";
    pub const PASSKEY_UNREADABLE: &str = "The passkey's answer could not be read. Try again.";
    pub const PASSKEY_REFUSED: &str = "That passkey could not be added. Try again.";
    pub const PASSKEY_TAKEN: &str = "That passkey is added already.";
    pub const NO_PASSKEY: &str = "This account has no passkey. Use another way.";
    pub const PASSKEY_AGAIN: &str = "Choose \"Use a passkey\" again.";
    pub const WRONG_PASSKEY: &str = "That passkey was not accepted. Try again, or use another way.";
    pub const NEEDS_JAVASCRIPT: &str = "Passkeys need JavaScript, which is off in this browser.";
    pub const NO_PASSKEYS_HERE: &str =
        "This browser cannot use passkeys. Use another way, or another browser.";
    pub const PASSKEY_CANCELLED: &str = "The passkey was not used. Try again when you are ready.";
}
