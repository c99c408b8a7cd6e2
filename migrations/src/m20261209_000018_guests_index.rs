//! The users table's default view leaves guests out. Counting a room's members without its
//! guests reads the guests once from this index of them alone (guests are kept for days,
//! so it stays small) instead of looking up each assignment's member.

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
            .execute_unprepared("CREATE INDEX users_guests ON users (id) WHERE user_type = 'guest'")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("DROP INDEX users_guests")
            .await?;
        Ok(())
    }
}
