//! Loading millions of generated members fast: the members' tables' secondary indexes are
//! set aside while the rows go in, then built again in one pass each.
//!
//! Inserting into a table with a dozen indexes updates every index at every row, in key
//! order the rows do not follow; once the indexes outgrow memory, each row costs a read per
//! index. Building an index after the load sorts its keys once. Primary keys (filled in key
//! order) stay; unique constraints are set aside on Postgres and made again (checking
//! every row) after the load; every trigger stays, so the counts and versions the triggers
//! keep are exact.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};

/// The tables whose indexes are set aside.
const TABLES: &str = "'users', 'user_rooms'";

/// (name, the statement that builds it) of each index set aside.
async fn secondary_indexes(db: &DatabaseConnection) -> anyhow::Result<Vec<(String, String)>> {
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => format!(
            "SELECT indexname AS name, indexdef AS def FROM pg_indexes \
             WHERE schemaname = current_schema() AND tablename IN ({TABLES}) \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = indexname) \
             ORDER BY indexname"
        ),
        _ => format!(
            "SELECT name, sql AS def FROM sqlite_master \
             WHERE type = 'index' AND tbl_name IN ({TABLES}) AND sql IS NOT NULL ORDER BY name"
        ),
    };
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("", "name")?, row.try_get("", "def")?)))
        .collect()
}

/// (table, name, definition) of each unique constraint but the primary keys: on Postgres a
/// unique constraint is an index too, filled in random key order, and set aside as one.
/// SQLite cannot drop a constraint declared with its table; it keeps those (its unique
/// indexes made apart from the table are set aside with the others).
async fn unique_constraints(
    db: &DatabaseConnection,
) -> anyhow::Result<Vec<(String, String, String)>> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(Vec::new());
    }
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            format!(
                "SELECT c.conrelid::regclass::text AS tbl, c.conname AS name, \
                 pg_get_constraintdef(c.oid) AS def FROM pg_constraint c \
                 JOIN pg_class t ON t.oid = c.conrelid \
                 WHERE c.contype = 'u' AND t.relname IN ({TABLES}) \
                 AND t.relnamespace = current_schema()::regnamespace ORDER BY c.conname"
            ),
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("", "tbl")?,
                row.try_get("", "name")?,
                row.try_get("", "def")?,
            ))
        })
        .collect()
}

/// Runs `load` with the members' tables' secondary indexes set aside, then builds them
/// again (on Postgres with a large sort memory, the work spread over its maintenance
/// workers). If `load` fails, the indexes are built again all the same.
pub async fn without_secondary_indexes<T>(
    db: &DatabaseConnection,
    load: impl AsyncFnOnce() -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let uniques = unique_constraints(db).await?;
    let indexes = secondary_indexes(db).await?;
    for (table, name, _) in &uniques {
        db.execute_unprepared(&format!("ALTER TABLE {table} DROP CONSTRAINT \"{name}\""))
            .await?;
    }
    for (name, _) in &indexes {
        db.execute_unprepared(&format!("DROP INDEX \"{name}\""))
            .await?;
    }
    let loaded = load().await;
    let txn = db.begin().await?;
    if db.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared("SET LOCAL maintenance_work_mem = '1GB'")
            .await?;
    }
    for (_, def) in &indexes {
        txn.execute_unprepared(def).await?;
    }
    for (table, name, def) in &uniques {
        txn.execute_unprepared(&format!(
            "ALTER TABLE {table} ADD CONSTRAINT \"{name}\" {def}"
        ))
        .await?;
    }
    txn.commit().await?;
    loaded
}
