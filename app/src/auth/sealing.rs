//! Secrets kept at rest only sealed: AES-256-GCM under the server's secret key, which lives
//! in the settings (`FRONTDESK_SECRET_KEY`) or a file of the data folder, never in the
//! database. A copy of the database alone does not give out anyone's authenticator secret.
//!
//! A sealed value is `v1.` and the base64 of a fresh 96-bit nonce followed by the ciphertext
//! and its tag. What it is and whose (`app_secret:21408302`) are bound in as associated
//! data: a sealed value copied onto another account's row, or into another column, does
//! not open there.

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use sha2::{Digest, Sha256};

use crate::error::AppError;

const VERSION: &str = "v1.";
const NONCE_BYTES: usize = 12;

pub struct Sealer {
    cipher: Aes256Gcm,
}

impl Sealer {
    /// The sealer of a secret key as configured: any text of at least 32 characters (its
    /// SHA-256 is the AES key), such as the output of `openssl rand -base64 32`.
    pub fn from_setting(key: &str) -> Result<Self, String> {
        if key.chars().count() < 32 {
            return Err("the secret key must be at least 32 characters long".to_owned());
        }
        let digest = Sha256::digest(key.as_bytes());
        let cipher = Aes256Gcm::new_from_slice(&digest).map_err(|e| e.to_string())?;
        Ok(Self { cipher })
    }

    /// Seals `plain`, a `purpose` (what it is) of the account `owner`.
    pub fn seal(&self, plain: &[u8], purpose: &str, owner: i64) -> Result<String, AppError> {
        let nonce = Nonce::generate();
        let aad = format!("{purpose}:{owner}").into_bytes();
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| AppError::internal("a secret could not be sealed"))?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(format!("{VERSION}{}", STANDARD_NO_PAD.encode(bytes)))
    }

    /// Opens what [`Sealer::seal`] made for `purpose` and `owner`; anything else (another
    /// key, purpose or owner, altered bytes) is an error.
    pub fn open(&self, sealed: &str, purpose: &str, owner: i64) -> Result<Vec<u8>, AppError> {
        let unreadable = || AppError::internal("a sealed secret did not open");
        let bytes = sealed
            .strip_prefix(VERSION)
            .and_then(|b64| STANDARD_NO_PAD.decode(b64).ok())
            .filter(|bytes| bytes.len() > NONCE_BYTES)
            .ok_or_else(unreadable)?;
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce = Nonce::try_from(nonce).map_err(|_| unreadable())?;
        let aad = format!("{purpose}:{owner}").into_bytes();
        self.cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| unreadable())
    }
}

/// The name of the sealed value by which a server checks, at start, that its key is the one
/// the database's secrets were sealed with.
pub const KEY_CHECK: &str = "sealing_key_check";
const KEY_CHECK_PLAIN: &[u8] = b"Frontdesk sealing key check";

/// Checks `sealer`'s key against the database: the first server to start seals a known text
/// into `server_secrets`; every later start must open it. A server started with another key
/// (a lost key file, a second server that made its own) refuses to start, instead of
/// failing every sign-in code later.
pub async fn check_key(db: &impl sea_orm::ConnectionTrait, sealer: &Sealer) -> Result<(), String> {
    use sea_orm::Statement;
    let backend = db.get_database_backend();
    let read = Statement::from_sql_and_values(
        backend,
        match backend {
            sea_orm::DbBackend::Postgres => "SELECT secret FROM server_secrets WHERE name = $1",
            _ => "SELECT secret FROM server_secrets WHERE name = ?",
        },
        [KEY_CHECK.into()],
    );
    let stored = db
        .query_one_raw(read.clone())
        .await
        .map_err(|e| e.to_string())?
        .map(|row| row.try_get::<String>("", "secret"))
        .transpose()
        .map_err(|e| e.to_string())?;
    let stored = match stored {
        Some(stored) => stored,
        None => {
            let sealed = sealer
                .seal(KEY_CHECK_PLAIN, KEY_CHECK, 0)
                .map_err(|e| e.to_string())?;
            let insert = match backend {
                sea_orm::DbBackend::Postgres => {
                    "INSERT INTO server_secrets (name, secret) VALUES ($1, $2) ON CONFLICT DO NOTHING"
                }
                _ => {
                    "INSERT INTO server_secrets (name, secret) VALUES (?, ?) ON CONFLICT DO NOTHING"
                }
            };
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                insert,
                [KEY_CHECK.into(), sealed.into()],
            ))
            .await
            .map_err(|e| e.to_string())?;
            // Another server may have sealed it first: read what stands.
            db.query_one_raw(read)
                .await
                .map_err(|e| e.to_string())?
                .ok_or("the key check was not stored")?
                .try_get::<String>("", "secret")
                .map_err(|e| e.to_string())?
        }
    };
    match sealer.open(&stored, KEY_CHECK, 0) {
        Ok(plain) if plain == KEY_CHECK_PLAIN => Ok(()),
        _ => Err(
            "the secret key is not the one this database's secrets were sealed with: \
                  set FRONTDESK_SECRET_KEY (or FRONTDESK_SECRET_KEY_FILE) to that key"
                .to_owned(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "a test key that is long enough to be used";

    #[test]
    fn a_sealed_secret_opens_for_its_owner_under_its_key_only() {
        let sealer = Sealer::from_setting(KEY).unwrap();
        let sealed = sealer.seal(b"JBSWY3DPEHPK3PXP", "app", 7).unwrap();
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(sealer.open(&sealed, "app", 7).unwrap(), b"JBSWY3DPEHPK3PXP");
        assert!(sealer.open(&sealed, "app", 8).is_err(), "another owner");
        assert!(sealer.open(&sealed, "codes", 7).is_err(), "another purpose");
        let other = Sealer::from_setting("another key, also long enough to be used").unwrap();
        assert!(other.open(&sealed, "app", 7).is_err(), "another key");
        let mut altered = sealed.clone();
        altered.pop();
        altered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(sealer.open(&altered, "app", 7).is_err(), "altered bytes");
        assert_ne!(
            sealer.seal(b"same", "app", 7).unwrap(),
            sealer.seal(b"same", "app", 7).unwrap()
        );
    }

    #[test]
    fn a_short_key_is_refused() {
        assert!(Sealer::from_setting("short").is_err());
    }
}
