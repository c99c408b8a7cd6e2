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
//! The new index is built beside the old one (`CONCURRENTLY`, outside a transaction), then
//! takes its name: a plain rebuild would lock `users`, and with it every signed-in request,
//! for as long as the build takes (minutes at ten million members).
//!
//! SQLite's index holds the search columns already (`m20261201_000005`) and tests them in
//! the index without asking, so there this migration does nothing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each statement on its own: `CONCURRENTLY` refuses to run inside a transaction, and
/// several statements sent at once run in one. A build left invalid by an earlier attempt
/// that stopped halfway is dropped first.
const UP: [&str; 4] = [
    "DROP INDEX CONCURRENTLY IF EXISTS users_clinic_full_next",
    "CREATE INDEX CONCURRENTLY users_clinic_full_next ON users (clinic_id, search_full, id) \
     INCLUDE (search_first, search_last, email_lower, username_lower, status, user_type)",
    "DROP INDEX CONCURRENTLY users_clinic_full",
    "ALTER INDEX users_clinic_full_next RENAME TO users_clinic_full",
];

const DOWN: [&str; 4] = [
    "DROP INDEX CONCURRENTLY IF EXISTS users_clinic_full_next",
    "CREATE INDEX CONCURRENTLY users_clinic_full_next ON users (clinic_id, search_full, id)",
    "DROP INDEX CONCURRENTLY users_clinic_full",
    "ALTER INDEX users_clinic_full_next RENAME TO users_clinic_full",
];

async fn run_each(m: &SchemaManager<'_>, statements: [&str; 4]) -> Result<(), DbErr> {
    if m.get_database_backend() == DbBackend::Postgres {
        for statement in statements {
            m.get_connection().execute_unprepared(statement).await?;
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(false)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        run_each(m, UP).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        run_each(m, DOWN).await
    }
}
