//! Passkeys as a second factor (WebAuthn).
//!
//! - `passkeys`: one row per passkey an account added, under the credential's id (base64url;
//!   the primary key, so one credential belongs to one account). `passkey` holds what
//!   checking its signatures takes: the public key and the signature counter (JSON, public
//!   by nature). `name` is the device's name its owner gave it.
//! - `two_step.passkey_handle`: the account's WebAuthn user handle, a random UUID, so an
//!   authenticator knows two passkeys of one account as one user.
//!   `passkey_pending` is a passkey being added (the ceremony's state and the name, JSON)
//!   and `passkey_pending_at` when it began: a ceremony is answered within 5 minutes.
//! - `second_steps.passkey_challenge`: a half-done sign-in's passkey ceremony, whose answer
//!   must sign its challenge.
//!
//! Every row goes with its account (`ON DELETE CASCADE`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE TABLE passkeys (
    credential_id VARCHAR(1400) NOT NULL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name VARCHAR(200) NOT NULL,
    passkey TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    last_used_at BIGINT NULL
);
CREATE INDEX passkeys_user ON passkeys (user_id);
ALTER TABLE two_step ADD COLUMN passkey_handle VARCHAR(36) NULL;
ALTER TABLE two_step ADD COLUMN passkey_pending TEXT NULL;
ALTER TABLE two_step ADD COLUMN passkey_pending_at BIGINT NULL;
ALTER TABLE second_steps ADD COLUMN passkey_challenge TEXT NULL;
"#;

const DOWN: &str = r#"
ALTER TABLE second_steps DROP COLUMN passkey_challenge;
ALTER TABLE two_step DROP COLUMN passkey_pending_at;
ALTER TABLE two_step DROP COLUMN passkey_pending;
ALTER TABLE two_step DROP COLUMN passkey_handle;
DROP TABLE passkeys;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection().execute_unprepared(UP).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection().execute_unprepared(DOWN).await?;
        Ok(())
    }
}
