//! Reading the database behind a test's server as an auditor would: counts, the schema's
//! own list of columns, every place a value is found, and the clinic's own audit events.

use sea_orm::{ConnectionTrait, EntityTrait};

use crate::helpers::TestApp;

impl TestApp {
    /// The changes of every audit event about the clinic itself (no member), oldest first.
    pub async fn audit_of_clinic(&self, clinic_id: i64) -> Vec<serde_json::Value> {
        use app::entities::audit_event;
        use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
        audit_event::Entity::find()
            .filter(audit_event::Column::ClinicId.eq(clinic_id))
            .filter(audit_event::Column::MemberId.is_null())
            .order_by_asc(audit_event::Column::Id)
            .all(&self.db)
            .await
            .expect("audit")
            .into_iter()
            .map(|e| serde_json::from_str(&e.changes).expect("json"))
            .collect()
    }
}

/// The number a query selects as `n`, in its first row.
pub async fn count(app: &TestApp, sql: &str) -> i64 {
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// Every (table, column) of the schema, read from the database itself.
pub async fn schema_columns(app: &TestApp) -> Vec<(String, String)> {
    use sea_orm::{DbBackend, Statement};
    let backend = app.db.get_database_backend();
    let columns_sql = match backend {
        DbBackend::Postgres => "SELECT table_name AS t, column_name AS c FROM \
             information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2"
            .to_owned(),
        _ => "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p \
              WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY 1, 2"
            .to_owned(),
    };
    let columns = app
        .db
        .query_all_raw(Statement::from_string(backend, columns_sql))
        .await
        .expect("the schema's columns");
    assert!(columns.len() > 50, "read the whole schema");
    columns
        .into_iter()
        .map(|row| (row.try_get("", "t").unwrap(), row.try_get("", "c").unwrap()))
        .collect()
}

/// Columns that hold only digests or sealed bytes (base64 of random-looking data): a value
/// typed by anyone cannot stand in them as typed, but a short needle matches them by chance
/// (a four-letter name in an argon2 hash, ignoring case, about once in 17,000 hashes).
fn holds_only_random_text(column: &str) -> bool {
    column.ends_with("_hash") || ["app_secret", "app_pending", "unseen_codes"].contains(&column)
}

/// Every `table.column` of the schema (read from the database itself, so a new table or
/// column is searched too) whose value, as text, contains `needle`, ignoring case. Columns
/// of digests and sealed values are not searched ([`holds_only_random_text`]).
pub async fn where_found(app: &TestApp, needle: &str) -> Vec<String> {
    let pattern = needle
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
        .replace('\'', "''");
    let mut found = Vec::new();
    for (table, column) in schema_columns(app).await {
        if holds_only_random_text(&column) {
            continue;
        }
        let n = count(
            app,
            &format!(
                "SELECT COUNT(*) AS n FROM \"{table}\" WHERE \
                 LOWER(CAST(\"{column}\" AS TEXT)) LIKE '%{pattern}%' ESCAPE '\\'"
            ),
        )
        .await;
        if n > 0 {
            found.push(format!("{table}.{column}"));
        }
    }
    found
}
