//! "Possible duplicate" looks a new or changed profile up by the same folded first and last
//! name and date of birth, and by the same phone, within the clinic: one range of an index
//! each, however common the name.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE INDEX users_clinic_name_birth ON users (clinic_id, search_last, search_first, date_of_birth);
CREATE INDEX users_clinic_phone ON users (clinic_id, phone);
"#;

const DOWN: &str = r#"
DROP INDEX users_clinic_phone;
DROP INDEX users_clinic_name_birth;
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
