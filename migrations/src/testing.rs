//! What the migrations' tests share: a SQLite database in memory, statements run as
//! written, and a member's row.

use sea_orm_migration::sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

/// An empty SQLite database in memory, on one connection (each connection to `:memory:`
/// is a database of its own).
pub async fn memory_db() -> DatabaseConnection {
    let mut options = ConnectOptions::new("sqlite::memory:");
    options.max_connections(1);
    Database::connect(options).await.expect("connect")
}

/// Runs `sql`, failing the test (with the statement) if it fails.
pub async fn run(db: &DatabaseConnection, sql: &str) {
    db.execute_unprepared(sql).await.expect(sql);
}

/// The INSERT of member `id` of `clinic`, named `first last`, with `status`; the username
/// and email come from the first name.
pub fn insert_member(id: i64, clinic: i64, first: &str, last: &str, status: &str) -> String {
    let (f, l) = (first.to_lowercase(), last.to_lowercase());
    format!(
        "INSERT INTO users (id, clinic_id, user_type, username, username_lower, email, \
         email_lower, first_name, last_name, search_first, search_last, search_full, status, \
         signed_up_at, updated_at) VALUES \
         ({id}, {clinic}, 'member', '{f}', '{f}', '{f}@x.test', '{f}@x.test', '{first}', \
          '{last}', '{f}', '{l}', '{f} {l}', '{status}', 0, 0)"
    )
}
