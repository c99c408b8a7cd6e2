//! A visit seen by a provider: who started and ended it and when. A room may name its own
//! visit link (a video room's address, `{visit}` standing for the visit's `link_token`: a
//! random code made when the visit starts, so one patient's link does not lead to the next).
//!
//! `started_by` and `ended_by` keep a provider's ID like the audit trail keeps an actor's:
//! a number, with no foreign key, so deleting a provider leaves the visits' record whole.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
ALTER TABLE visits ADD COLUMN started_at BIGINT NULL;
ALTER TABLE visits ADD COLUMN started_by BIGINT NULL;
ALTER TABLE visits ADD COLUMN ended_by BIGINT NULL;
ALTER TABLE visits ADD COLUMN link_token VARCHAR(64) NULL;
CREATE INDEX visits_status ON visits (status, entered_at);
ALTER TABLE rooms ADD COLUMN visit_url VARCHAR(500) NULL;
"#;

const DOWN: &str = r#"
ALTER TABLE rooms DROP COLUMN visit_url;
DROP INDEX visits_status;
ALTER TABLE visits DROP COLUMN link_token;
ALTER TABLE visits DROP COLUMN ended_by;
ALTER TABLE visits DROP COLUMN started_by;
ALTER TABLE visits DROP COLUMN started_at;
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
