//! What trust needs from the schema:
//!
//! - `mail_outbox.expires_at`: a message that carries a link says when the link dies, so a
//!   message still unsent by then is dropped rather than delivered dead (or kept live).
//! - `brakes`: the brakes on guessing, shared by every server on the database. One row per
//!   key holds its theoretical arrival time (GCRA): a guess takes its slot with one
//!   conditional `UPDATE`, so parallel guesses can never pass more than the allowance, three
//!   servers do not triple it, and a restart does not reset it.
//! - `mail_outbox.signup_id`: the sign-up a confirmation message belongs to, so the message
//!   follows the sign-up (to its member, or away with it) and leaves no patient data behind.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
ALTER TABLE mail_outbox ADD COLUMN expires_at BIGINT NULL;
ALTER TABLE mail_outbox ADD COLUMN signup_id BIGINT NULL;
CREATE INDEX mail_outbox_signup ON mail_outbox (signup_id);
CREATE TABLE brakes (
    brake_key VARCHAR(400) NOT NULL PRIMARY KEY,
    tat BIGINT NOT NULL
);
CREATE INDEX brakes_tat ON brakes (tat);
CREATE TABLE server_secrets (
    name VARCHAR(64) NOT NULL PRIMARY KEY,
    secret VARCHAR(200) NOT NULL
);
ALTER TABLE clinics ADD COLUMN guest_retention_days INTEGER NOT NULL DEFAULT 30;
"#;

const DOWN: &str = r#"
ALTER TABLE clinics DROP COLUMN guest_retention_days;
DROP TABLE server_secrets;
DROP TABLE brakes;
DROP INDEX mail_outbox_signup;
ALTER TABLE mail_outbox DROP COLUMN signup_id;
ALTER TABLE mail_outbox DROP COLUMN expires_at;
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
