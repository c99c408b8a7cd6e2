//! Email: what Frontdesk sends, and how it leaves.
//!
//! A message is written to the `mail_outbox` table in the same transaction as the change that
//! caused it ([`outbox::enqueue`]); a worker on each server sends what is due
//! ([`outbox::run_once`]), retrying with backoff, and a lease on each row keeps two servers
//! from sending one message twice. Messages carry the clinic's name and no patient data
//! beyond the greeting.

#[cfg(feature = "ssr")]
pub mod mailer;
#[cfg(feature = "ssr")]
pub mod outbox;
pub mod templates;

/// One email: subject, a plain-text part and an HTML part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}
