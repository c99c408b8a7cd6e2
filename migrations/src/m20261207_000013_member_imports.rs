//! Import CSV: members brought in from a file, previewed before anything is written.
//!
//! - `member_imports`: one row per file an admin chose: into which clinic, with which room
//!   for rows that name none, whether new members get the welcome email, and how far it
//!   is. `state` goes `previewed` (the file read and every row checked, nothing written)
//!   → `running` → `done`, or `failed` after `failures` errors in a row; a file refused
//!   whole (its encoding, its size, its header) is `refused`, with `refusal` saying why.
//!   The `to_*` counters are the preview's plan; `created`, `updated`, `unchanged`,
//!   `rejected` and `conflicts` (rows whose member changed, or whose username or email was
//!   taken, since the preview) what the import did, and `done` their sum. A server works on
//!   an import while it holds its lease (`runner`, `lease_until`); another takes it up after
//!   the last batch done (`done_through`: the last line done).
//! - `member_import_rows`: each data row of the file by its line: what the preview planned
//!   (`plan`: create, update, unchanged, rejected), the member it matched (`user_id`, with
//!   the `version` read then), the row's fields (`data`, JSON; emptied when the import ends),
//!   the field messages of a rejected row (`messages`, JSON) and `outcome` `conflict` (with
//!   why in `messages`) for a row that met a change since the preview; a row done without
//!   one went as planned.
//!   Deleting a member empties the `data` of their rows (the member's deletion does it, by
//!   `user_id`, which has no foreign key so that it outlives the member's row).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn up_sql(backend: DbBackend) -> String {
    let id = match backend {
        DbBackend::Postgres => "BIGSERIAL PRIMARY KEY",
        _ => "INTEGER PRIMARY KEY AUTOINCREMENT",
    };
    format!(
        r#"
CREATE TABLE member_imports (
    id {id},
    actor_user_id BIGINT NOT NULL,
    clinic_id BIGINT NOT NULL REFERENCES clinics (id) ON DELETE CASCADE,
    room_id BIGINT NULL,
    file_name VARCHAR(200) NOT NULL,
    welcome BOOLEAN NOT NULL DEFAULT FALSE,
    state VARCHAR(20) NOT NULL,
    refusal TEXT NULL,
    ignored_columns TEXT NOT NULL DEFAULT '[]',
    total BIGINT NOT NULL DEFAULT 0,
    to_create BIGINT NOT NULL DEFAULT 0,
    to_update BIGINT NOT NULL DEFAULT 0,
    to_keep BIGINT NOT NULL DEFAULT 0,
    to_reject BIGINT NOT NULL DEFAULT 0,
    done BIGINT NOT NULL DEFAULT 0,
    created BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0,
    conflicts BIGINT NOT NULL DEFAULT 0,
    done_through BIGINT NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    runner VARCHAR(40) NULL,
    lease_until BIGINT NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT NULL,
    finished_at BIGINT NULL
);
CREATE INDEX member_imports_actor ON member_imports (actor_user_id, created_at);
CREATE INDEX member_imports_state ON member_imports (state, lease_until);
CREATE TABLE member_import_rows (
    import_id BIGINT NOT NULL REFERENCES member_imports (id) ON DELETE CASCADE,
    line BIGINT NOT NULL,
    plan VARCHAR(20) NOT NULL,
    user_id BIGINT NULL,
    version INTEGER NULL,
    data TEXT NULL,
    messages TEXT NULL,
    outcome VARCHAR(20) NULL,
    PRIMARY KEY (import_id, line)
);
CREATE INDEX member_import_rows_user ON member_import_rows (user_id);
"#
    )
}

const DOWN: &str = r#"
DROP TABLE member_import_rows;
DROP TABLE member_imports;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        db.execute_unprepared(&up_sql(db.get_database_backend()))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection().execute_unprepared(DOWN).await?;
        Ok(())
    }
}
