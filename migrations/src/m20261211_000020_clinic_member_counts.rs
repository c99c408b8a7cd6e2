//! Each clinic's number of users, kept by the database beside the clinic's member version.
//!
//! How a page of the users table is best read depends on how many rows a walk of the
//! clinic's sort order would pass for each match: a search with 4,000 matches is dense in
//! a clinic of 50,000 and sparse in one of 7,000,000. `member_versions.members` holds the
//! number, changed by triggers in the same transaction as any insert or delete of a user
//! (or a move between clinics), so no code path can forget it and reading it is one lookup.
//!
//! It is a column of `member_versions` because every such change already writes that row
//! (and on Postgres locks it, in clinic ID order): counting takes no lock that changing a
//! member did not take already. SQLite counts per row; Postgres once per statement and
//! clinic, over the transition tables, clinics written in ID order. The triggers' names
//! sort after the version triggers' (Postgres fires a table's triggers in name order), so
//! a statement has locked every clinic it changes, in ID order, before any is counted.
//!
//! The fill counts every user once, in the migration's transaction: on Postgres, sessions
//! (which read `member_versions`) wait for it, once (2.2 s at ten million members).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every clinic's users as they are (`WHERE true`: SQLite's upsert after a SELECT).
const FILL: &str = r#"
INSERT INTO member_versions (clinic_id, version, members)
    SELECT clinic_id, 1, COUNT(*) FROM users WHERE true GROUP BY clinic_id
    ON CONFLICT (clinic_id) DO UPDATE SET members = excluded.members;
"#;

const SQLITE_UP: &str = r#"
ALTER TABLE member_versions ADD COLUMN members INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER member_versions_users_insert_count AFTER INSERT ON users BEGIN
    INSERT INTO member_versions (clinic_id, version, members) VALUES (NEW.clinic_id, 1, 1)
        ON CONFLICT (clinic_id) DO UPDATE SET members = members + 1;
END;
CREATE TRIGGER member_versions_users_move_count AFTER UPDATE OF clinic_id ON users
WHEN OLD.clinic_id <> NEW.clinic_id BEGIN
    UPDATE member_versions SET members = members - 1 WHERE clinic_id = OLD.clinic_id;
    INSERT INTO member_versions (clinic_id, version, members) VALUES (NEW.clinic_id, 1, 1)
        ON CONFLICT (clinic_id) DO UPDATE SET members = members + 1;
END;
CREATE TRIGGER member_versions_users_delete_count AFTER DELETE ON users BEGIN
    UPDATE member_versions SET members = members - 1 WHERE clinic_id = OLD.clinic_id;
END;
"#;

const SQLITE_DOWN: &str = r#"
DROP TRIGGER member_versions_users_delete_count;
DROP TRIGGER member_versions_users_move_count;
DROP TRIGGER member_versions_users_insert_count;
ALTER TABLE member_versions DROP COLUMN members;
"#;

/// Postgres: one function for every operation, adding up each clinic's users gained
/// (`new_rows`) and lost (`old_rows`); an update counts only users whose clinic changed.
const POSTGRES_UP: &str = r#"
ALTER TABLE member_versions ADD COLUMN members BIGINT NOT NULL DEFAULT 0;
CREATE FUNCTION member_versions_count_users() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    gained BIGINT[] := '{}';
    lost BIGINT[] := '{}';
BEGIN
    IF TG_OP = 'INSERT' THEN
        gained := ARRAY(SELECT clinic_id FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
        lost := ARRAY(SELECT clinic_id FROM old_rows);
    ELSE
        SELECT COALESCE(array_agg(n.clinic_id), '{}'), COALESCE(array_agg(o.clinic_id), '{}')
            INTO gained, lost
            FROM new_rows n JOIN old_rows o ON o.id = n.id
            WHERE n.clinic_id <> o.clinic_id;
    END IF;
    INSERT INTO member_versions (clinic_id, version, members)
        SELECT d.clinic_id, 1, SUM(d.n)
        FROM (SELECT c, 1 FROM unnest(gained) AS c
              UNION ALL SELECT c, -1 FROM unnest(lost) AS c) AS d (clinic_id, n)
        GROUP BY d.clinic_id
        HAVING SUM(d.n) <> 0
        ORDER BY d.clinic_id
        ON CONFLICT (clinic_id) DO UPDATE
            SET members = member_versions.members + EXCLUDED.members;
    RETURN NULL;
END $$;
CREATE TRIGGER member_versions_users_insert_count AFTER INSERT ON users
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION member_versions_count_users();
CREATE TRIGGER member_versions_users_update_count AFTER UPDATE ON users
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION member_versions_count_users();
CREATE TRIGGER member_versions_users_delete_count AFTER DELETE ON users
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION member_versions_count_users();
"#;

const POSTGRES_DOWN: &str = r#"
DROP TRIGGER member_versions_users_delete_count ON users;
DROP TRIGGER member_versions_users_update_count ON users;
DROP TRIGGER member_versions_users_insert_count ON users;
DROP FUNCTION member_versions_count_users();
ALTER TABLE member_versions DROP COLUMN members;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let up = match db.get_database_backend() {
            DbBackend::Postgres => POSTGRES_UP,
            _ => SQLITE_UP,
        };
        db.execute_unprepared(up).await?;
        db.execute_unprepared(FILL).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let down = match db.get_database_backend() {
            DbBackend::Postgres => POSTGRES_DOWN,
            _ => SQLITE_DOWN,
        };
        db.execute_unprepared(down).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sea_orm_migration::MigratorTrait;
    use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

    use crate::Migrator;
    use crate::testing::{insert_member, memory_db, run};

    /// `(clinic_id, kept count, users counted now)` of every clinic, in order.
    async fn counts(db: &DatabaseConnection) -> Vec<(i64, i64, i64)> {
        db.query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT c.id, COALESCE(mv.members, 0), \
                    (SELECT COUNT(*) FROM users u WHERE u.clinic_id = c.id) \
             FROM clinics c LEFT JOIN member_versions mv ON mv.clinic_id = c.id ORDER BY c.id",
        ))
        .await
        .expect("read")
        .into_iter()
        .map(|row| {
            (
                row.try_get_by_index(0).expect("clinic"),
                row.try_get_by_index(1).expect("kept"),
                row.try_get_by_index(2).expect("counted"),
            )
        })
        .collect()
    }

    /// Users there before the column are counted; inserts, moves between clinics, other
    /// updates and deletes keep every clinic's count equal to its users, and no other's.
    #[tokio::test]
    async fn every_clinics_count_follows_its_users() {
        let db = memory_db().await;
        Migrator::up(&db, Some(19))
            .await
            .expect("up to the one before");
        run(
            &db,
            "INSERT INTO clinics (id, name, created_at) VALUES (1, 'A', 0), (2, 'B', 0), \
             (3, 'C', 0)",
        )
        .await;
        for id in 1..=3 {
            run(&db, &insert_member(id, 1, &format!("U{id}"), "V", "active")).await;
        }
        Migrator::up(&db, None).await.expect("up");
        assert_eq!(counts(&db).await, [(1, 3, 3), (2, 0, 0), (3, 0, 0)]);

        for id in 4..=6 {
            run(&db, &insert_member(id, 2, &format!("U{id}"), "V", "active")).await;
        }
        assert_eq!(counts(&db).await, [(1, 3, 3), (2, 3, 3), (3, 0, 0)]);

        run(&db, "UPDATE users SET clinic_id = 3 WHERE id IN (1, 4)").await;
        run(&db, "UPDATE users SET status = 'suspended' WHERE id = 2").await;
        assert_eq!(counts(&db).await, [(1, 2, 2), (2, 2, 2), (3, 2, 2)]);

        run(&db, "DELETE FROM users WHERE id IN (2, 5, 6)").await;
        assert_eq!(counts(&db).await, [(1, 1, 1), (2, 0, 0), (3, 2, 2)]);

        let after = Migrator::migrations().len() as u32 - 19;
        Migrator::down(&db, Some(after))
            .await
            .expect("down to the one before");
        Migrator::up(&db, None).await.expect("up again");
        assert_eq!(counts(&db).await, [(1, 1, 1), (2, 0, 0), (3, 2, 2)]);
    }
}
