//! Two-step sign-in: after the right password, a 6-digit code from an authenticator app
//! (TOTP, RFC 6238) or a one-time recovery code. The account's own page for it is
//! `/account/security`; the step itself is `/login/second-step`. A clinic may require it of
//! its Clinic Admins and Providers: until they have turned it on, no admin page or admin
//! server function answers them, and signing in leads them to set it up.
//!
//! Both pages work without JavaScript: their forms post to the server functions, which
//! answer with a redirect.

mod api;
mod page;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::*;
pub use page::*;

use serde::{Deserialize, Serialize};

/// Where a Clinic Admin or Provider who must turn on two-step sign-in is sent.
pub const SECURITY_REQUIRED: &str = "/account/security?required=1";

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
    /// Unused recovery codes left.
    pub codes_left: u32,
    /// Recovery codes just made, shown this once.
    pub new_codes: Vec<String>,
    /// The clinic requires a second factor of this account, and it has none yet.
    pub required: bool,
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
    pub const NOT_ON: &str = "No authenticator app is on.";
    pub const REQUIRED: &str =
        "Your clinic requires two-step sign-in. Set up an authenticator app to continue.";
}
