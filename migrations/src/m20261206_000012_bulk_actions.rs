//! Actions on many members at once (the users page's bulk actions).
//!
//! - `bulk_actions`: one row per action an admin asked for: what (`kind`, and `room_id` for
//!   the room actions), on which members (`view_query`: the users page's query, when the admin
//!   chose every member a view matches), by whom, and how far it is. `state` goes
//!   `prepared` (counted, waiting for the admin's confirmation) → `selecting` (the view's
//!   members being listed: those there when it was confirmed, up to `last_member_id`) →
//!   `running` → `done`, or `failed` after `failures` errors in a row. The counters say how many members were
//!   changed, were already so, were changed by someone else meanwhile (`conflicts`), were
//!   not allowed (`refused`) or were gone, and `done` their sum. A server works on an
//!   action while it holds its lease (`runner`, `lease_until`); a server that stops leaves
//!   the lease to run out, and another takes the action up where it was (`done_through`: the last
//!   member done, in ID order).
//! - `bulk_action_items`: the members an action is on, with the version each had when it
//!   was selected and, once done, what happened to them. A member's rows go with them
//!   (`ON DELETE CASCADE`): the action keeps its counts, not the member.

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
CREATE TABLE bulk_actions (
    id {id},
    actor_user_id BIGINT NOT NULL,
    kind VARCHAR(40) NOT NULL,
    room_id BIGINT NULL,
    view_query TEXT NULL,
    scope VARCHAR(400) NOT NULL,
    state VARCHAR(20) NOT NULL,
    total BIGINT NOT NULL DEFAULT 0,
    done BIGINT NOT NULL DEFAULT 0,
    changed BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    conflicts BIGINT NOT NULL DEFAULT 0,
    refused BIGINT NOT NULL DEFAULT 0,
    gone BIGINT NOT NULL DEFAULT 0,
    done_through BIGINT NOT NULL DEFAULT 0,
    last_member_id BIGINT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    runner VARCHAR(40) NULL,
    lease_until BIGINT NULL,
    created_at BIGINT NOT NULL,
    started_at BIGINT NULL,
    finished_at BIGINT NULL
);
CREATE INDEX bulk_actions_actor ON bulk_actions (actor_user_id, created_at);
CREATE INDEX bulk_actions_state ON bulk_actions (state, lease_until);
CREATE TABLE bulk_action_items (
    bulk_action_id BIGINT NOT NULL REFERENCES bulk_actions (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    outcome VARCHAR(20) NULL,
    PRIMARY KEY (bulk_action_id, user_id)
);
CREATE INDEX bulk_action_items_user ON bulk_action_items (user_id);
"#
    )
}

const DOWN: &str = r#"
DROP TABLE bulk_action_items;
DROP TABLE bulk_actions;
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
