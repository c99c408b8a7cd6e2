//! Two-step sign-in: an authenticator app's secret (sealed with the server's key, never
//! readable from the database alone), one-time recovery codes (hashed), the half-done
//! sign-ins between the password and the code, and the clinic's rule that Clinic Admins and
//! Providers must have a second factor.
//!
//! - `two_step`: one row per account that has set anything up. `app_secret` is the app that
//!   is on (with `app_on_at`), `app_last_step` the last 30-second step a code was accepted
//!   for (a code is accepted once), `app_pending` an app being set up, `unseen_codes`
//!   recovery codes made but not yet shown to their owner (sealed; shown once, then gone).
//! - `recovery_codes`: the SHA-256 of each unused code; a used code's row is deleted.
//! - `second_steps`: the SHA-256 of the cookie of a sign-in whose password was right, until
//!   its second step passes, 5 minutes end or 5 wrong answers were given to it.
//!
//! Every row goes with its account (foreign keys with `ON DELETE CASCADE`). A clinic created
//! from now on requires a second factor of its Clinic Admins and Providers; the clinics that
//! already exist keep signing in as they did until an admin turns the rule on.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE TABLE two_step (
    user_id BIGINT NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    app_secret VARCHAR(200) NULL,
    app_on_at BIGINT NULL,
    app_last_step BIGINT NOT NULL DEFAULT 0,
    app_pending VARCHAR(200) NULL,
    unseen_codes VARCHAR(600) NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE recovery_codes (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash VARCHAR(64) NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);
CREATE TABLE second_steps (
    token_hash VARCHAR(64) NOT NULL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    next_path VARCHAR(200) NULL,
    expires_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX second_steps_user ON second_steps (user_id);
CREATE INDEX second_steps_expires ON second_steps (expires_at);
ALTER TABLE clinics ADD COLUMN require_two_step BOOLEAN NOT NULL DEFAULT TRUE;
UPDATE clinics SET require_two_step = FALSE;
"#;

const DOWN: &str = r#"
ALTER TABLE clinics DROP COLUMN require_two_step;
DROP TABLE second_steps;
DROP TABLE recovery_codes;
DROP TABLE two_step;
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
