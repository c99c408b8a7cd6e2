//! The two things every database write shares: the clock it stores and the transaction it
//! writes in. A leaf: it imports nothing of Frontdesk's own.

use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

/// A day, in the milliseconds every stored time is counted in.
pub const DAY_MS: i64 = 86_400_000;

/// Milliseconds since the Unix epoch, the unit of every stored time.
pub fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Starts a transaction that writes. On SQLite it takes the write lock at `BEGIN IMMEDIATE`,
/// so concurrent writers wait their turn on the busy timeout; a deferred transaction that
/// read first and then writes fails at once with "database is locked" when another writer
/// got in between, and no waiting helps it. Postgres ignores the mode.
pub async fn write_txn(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}
