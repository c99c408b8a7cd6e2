//! Connecting to SQLite or Postgres, and running migrations.

use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};

/// SQLite reads the database file through a memory map of up to this size (SQLite's own
/// ceiling, 2 GiB) instead of copying each page into every connection's cache with a
/// system call: the connections share the operating system's copy of the file.
const MMAP_BYTES: u64 = 0x7fff_0000;

/// Opens a pool. SQLite runs in WAL mode with a busy timeout, so readers never wait for the
/// writer and writers queue briefly instead of failing with "database is locked".
pub async fn connect(url: &str, pool: u32) -> Result<DatabaseConnection, DbErr> {
    connect_with_cache(url, pool, None).await
}

/// As [`connect`], with SQLite's page cache per connection set to `cache_mib` (the default
/// is 2 MiB; bulk loads of a million rows want more).
pub async fn connect_with_cache(
    url: &str,
    pool: u32,
    cache_mib: Option<u32>,
) -> Result<DatabaseConnection, DbErr> {
    if let Some(dir) = sqlite_file(url).and_then(|path| std::path::Path::new(path).parent())
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| DbErr::Custom(e.to_string()))?;
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(pool)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |o| {
            let o = o
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
                .create_if_missing(true)
                .pragma("mmap_size", MMAP_BYTES.to_string());
            match cache_mib {
                Some(mib) => o.pragma("cache_size", format!("-{}", u64::from(mib) * 1024)),
                None => o,
            }
        });
    Database::connect(options).await
}

/// The file path of a `sqlite://` URL.
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite://")?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// Runs pending migrations. On SQLite, also refreshes the planner's statistics where they
/// are stale (`PRAGMA optimize`: cheap when nothing changed).
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await?;
    if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
        db.execute_unprepared("PRAGMA optimize=0x10002").await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_sqlite_file() {
        assert_eq!(
            sqlite_file("sqlite://data/frontdesk.db?mode=rwc"),
            Some("data/frontdesk.db")
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://localhost/x"), None);
    }
}
