//! Import CSV notes each new member's row that may duplicate a member of the clinic
//! ("Possible duplicate of #12", in the row's `messages`, its plan still `create`);
//! `member_imports.to_flag` counts those rows for the preview.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(
                "ALTER TABLE member_imports ADD COLUMN to_flag BIGINT NOT NULL DEFAULT 0",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("ALTER TABLE member_imports DROP COLUMN to_flag")
            .await?;
        Ok(())
    }
}
