//! The dormant-account policy: a clinic may suspend Members who have not signed in for
//! `dormant_months` months (0: off), after emailing them `dormant_warn_days` days before.
//! `users.dormant_warned_at` is when a member was last warned; a warning counts for the
//! dormancy it was sent in (sent after their last sign-in), and is cleared when the policy
//! changes. `users.active_since` is when an admin last set the member Active: the policy
//! counts their months from then too, not only from their last sign-in. The job finds
//! them by `users_clinic_status_last_login`: the active members of a clinic by last sign-in,
//! with their sign-up and type, so it reads only the members it is about to act on.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
ALTER TABLE clinics ADD COLUMN dormant_months INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clinics ADD COLUMN dormant_warn_days INTEGER NOT NULL DEFAULT 14;
ALTER TABLE users ADD COLUMN dormant_warned_at BIGINT NULL;
ALTER TABLE users ADD COLUMN active_since BIGINT NULL;
CREATE INDEX users_clinic_status_last_login ON users (clinic_id, status, last_login_at, signed_up_at, user_type);
"#;

const DOWN: &str = r#"
DROP INDEX users_clinic_status_last_login;
ALTER TABLE users DROP COLUMN active_since;
ALTER TABLE users DROP COLUMN dormant_warned_at;
ALTER TABLE clinics DROP COLUMN dormant_warn_days;
ALTER TABLE clinics DROP COLUMN dormant_months;
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
