//! Rooms and clinic settings get the version members have: a save names the version it was
//! made from, and a save made from an older one is refused instead of silently undoing
//! another admin's change. Every write of a room or of a clinic's settings moves it by one.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
ALTER TABLE rooms ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE clinics ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
"#;

const DOWN: &str = r#"
ALTER TABLE clinics DROP COLUMN version;
ALTER TABLE rooms DROP COLUMN version;
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
