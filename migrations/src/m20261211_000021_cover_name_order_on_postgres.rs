//! On Postgres, the users table's name order carries the columns a walk of it tests.
//!
//! A page whose matches are many walks the clinic in the table's order and tests each entry
//! until the page is full. In name order the matches can sit far from the start: "jo"
//! matches every Johnson, and in a clinic of 7,000,000 the first "Aisha Johnson" comes after
//! some 57,000 "Aisha Adams" to "Aisha Jackson". A plain index scan reads each of those rows
//! from the table before testing it (226 ms at ten million members). With the tested
//! columns in the index (`INCLUDE`), the walk that finds the page's IDs is an index-only
//! scan, and only the page's rows are read from the table.
//!
//! SQLite's index holds the search columns already (`m20261201_000005`) and tests them in
//! the index without asking, so there this migration does nothing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
DROP INDEX users_clinic_full;
CREATE INDEX users_clinic_full ON users (clinic_id, search_full, id)
    INCLUDE (search_first, search_last, email_lower, username_lower, status, user_type);
"#;

const DOWN: &str = r#"
DROP INDEX users_clinic_full;
CREATE INDEX users_clinic_full ON users (clinic_id, search_full, id);
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DbBackend::Postgres {
            m.get_connection().execute_unprepared(UP).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DbBackend::Postgres {
            m.get_connection().execute_unprepared(DOWN).await?;
        }
        Ok(())
    }
}
