//! Each room assignment carries its member's status, so "the suspended members of a room"
//! is one index range: `user_rooms (room_id, status, user_id)`.
//!
//! Without it, the users table's status + room filter had to walk every member of the
//! clinic with that status and probe each one's assignments (tens of thousands of probes
//! at a million members) before it could say how many match.
//!
//! The copy is kept by the database alone: a new or moved assignment takes its member's
//! status, and a member's new status is written to all of their assignments, in the same
//! statement. Application code never writes it. On SQLite the copy does not move the
//! clinic's member version (`m20261201_000006`), since the member's own change already did;
//! on Postgres it moves it once more within the same statement.
//!
//! The index replaces `user_rooms (room_id, user_id)`, whose every use it serves.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The column, filled from the members that are not active (the rest have the default).
const COLUMN: &str = r#"
ALTER TABLE user_rooms ADD COLUMN status VARCHAR(20) NOT NULL DEFAULT 'active';
UPDATE user_rooms SET status = (SELECT u.status FROM users u WHERE u.id = user_rooms.user_id)
    WHERE user_id IN (SELECT id FROM users WHERE status <> 'active');
CREATE INDEX user_rooms_room_status ON user_rooms (room_id, status, user_id);
DROP INDEX user_rooms_room;
"#;

const UNCOLUMN: &str = r#"
CREATE INDEX user_rooms_room ON user_rooms (room_id, user_id);
DROP INDEX user_rooms_room_status;
ALTER TABLE user_rooms DROP COLUMN status;
"#;

/// SQLite, first: the member version's update trigger narrowed to the columns that move an
/// assignment, so that status copies (and the fill-in) leave it alone.
const SQLITE_NARROW: &str = r#"
DROP TRIGGER member_versions_user_rooms_update;
CREATE TRIGGER member_versions_user_rooms_update AFTER UPDATE OF user_id, room_id
ON user_rooms BEGIN
    INSERT INTO member_versions (clinic_id, version)
        SELECT DISTINCT clinic_id, 1 FROM users WHERE id IN (OLD.user_id, NEW.user_id)
        ON CONFLICT (clinic_id) DO UPDATE SET version = version + 1;
END;
"#;

/// SQLite, after the column: row triggers. An assignment whose status differs from its
/// member's is corrected just after it is written (SQLite cannot change a row in a BEFORE
/// trigger); the correction agrees with the member, so it does not fire again.
const SQLITE_UP: &str = r#"
CREATE TRIGGER user_rooms_status_insert AFTER INSERT ON user_rooms
WHEN NEW.status IS NOT (SELECT status FROM users WHERE id = NEW.user_id) BEGIN
    UPDATE user_rooms SET status = (SELECT status FROM users WHERE id = NEW.user_id)
        WHERE user_id = NEW.user_id AND room_id = NEW.room_id;
END;
CREATE TRIGGER user_rooms_status_update AFTER UPDATE OF user_id, status ON user_rooms
WHEN NEW.status IS NOT (SELECT status FROM users WHERE id = NEW.user_id) BEGIN
    UPDATE user_rooms SET status = (SELECT status FROM users WHERE id = NEW.user_id)
        WHERE user_id = NEW.user_id AND room_id = NEW.room_id;
END;
CREATE TRIGGER users_status_to_rooms AFTER UPDATE OF status ON users
WHEN OLD.status IS NOT NEW.status BEGIN
    UPDATE user_rooms SET status = NEW.status WHERE user_id = NEW.id;
END;
"#;

const SQLITE_DOWN: &str = r#"
DROP TRIGGER users_status_to_rooms;
DROP TRIGGER user_rooms_status_update;
DROP TRIGGER user_rooms_status_insert;
DROP TRIGGER member_versions_user_rooms_update;
CREATE TRIGGER member_versions_user_rooms_update AFTER UPDATE ON user_rooms BEGIN
    INSERT INTO member_versions (clinic_id, version)
        SELECT DISTINCT clinic_id, 1 FROM users WHERE id IN (OLD.user_id, NEW.user_id)
        ON CONFLICT (clinic_id) DO UPDATE SET version = version + 1;
END;
"#;

/// Postgres: every written assignment takes its member's status before it is stored (any
/// other value written to the column is replaced), and a member's status change is written
/// to their assignments. The member version's statement trigger stays as it is (Postgres
/// allows no column list on a trigger with transition tables): a status change raises the
/// clinic's version once more in the same statement, which changes nothing a reader sees.
const POSTGRES_UP: &str = r#"
CREATE FUNCTION user_rooms_take_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.status := (SELECT status FROM users WHERE id = NEW.user_id);
    RETURN NEW;
END $$;
CREATE TRIGGER user_rooms_take_status BEFORE INSERT OR UPDATE ON user_rooms
    FOR EACH ROW EXECUTE FUNCTION user_rooms_take_status();
CREATE FUNCTION users_give_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE user_rooms SET status = NEW.status WHERE user_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER users_give_status AFTER UPDATE OF status ON users
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION users_give_status();
"#;

const POSTGRES_DOWN: &str = r#"
DROP TRIGGER users_give_status ON users;
DROP FUNCTION users_give_status();
DROP TRIGGER user_rooms_take_status ON user_rooms;
DROP FUNCTION user_rooms_take_status();
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        // The column before the status triggers, which would otherwise recompute every row
        // the fill-in writes.
        match m.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(COLUMN).await?;
                db.execute_unprepared(POSTGRES_UP).await?;
            }
            _ => {
                db.execute_unprepared(SQLITE_NARROW).await?;
                db.execute_unprepared(COLUMN).await?;
                db.execute_unprepared(SQLITE_UP).await?;
            }
        };
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DbBackend::Postgres => db.execute_unprepared(POSTGRES_DOWN).await?,
            _ => db.execute_unprepared(SQLITE_DOWN).await?,
        };
        db.execute_unprepared(UNCOLUMN).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sea_orm_migration::MigratorTrait;
    use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

    use crate::Migrator;
    use crate::testing::{insert_member, memory_db, run};

    /// `(user_id, room_id, status)` of every assignment, in order.
    async fn assignments(db: &DatabaseConnection) -> Vec<(i64, i64, String)> {
        db.query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT user_id, room_id, status FROM user_rooms ORDER BY user_id, room_id",
        ))
        .await
        .expect("read")
        .into_iter()
        .map(|row| {
            (
                row.try_get_by_index(0).expect("user"),
                row.try_get_by_index(1).expect("room"),
                row.try_get_by_index(2).expect("status"),
            )
        })
        .collect()
    }

    fn member(id: i64, status: &str) -> String {
        insert_member(id, 1, &format!("U{id}"), "V", status)
    }

    /// Assignments that existed take their member's status; new ones, moved ones and every
    /// status change follow; a value written by hand does not stick.
    #[tokio::test]
    async fn every_assignment_carries_its_members_status() {
        let db = memory_db().await;
        Migrator::up(&db, Some(6))
            .await
            .expect("up to the one before");
        run(
            &db,
            "INSERT INTO clinics (id, name, created_at) VALUES (1, 'A', 0)",
        )
        .await;
        run(
            &db,
            "INSERT INTO rooms (id, clinic_id, name, code, slug, created_at) VALUES \
             (7, 1, 'Lobby', 'lobby', 'lobby', 0), (8, 1, 'Annex', 'annex', 'annex', 0)",
        )
        .await;
        run(&db, &member(10, "active")).await;
        run(&db, &member(11, "suspended")).await;
        run(
            &db,
            "INSERT INTO user_rooms (user_id, room_id, assigned_at) VALUES \
             (10, 7, 0), (11, 7, 0), (11, 8, 0)",
        )
        .await;
        Migrator::up(&db, None).await.expect("up");
        let s = |u: i64, r: i64, st: &str| (u, r, st.to_owned());
        assert_eq!(
            assignments(&db).await,
            [
                s(10, 7, "active"),
                s(11, 7, "suspended"),
                s(11, 8, "suspended")
            ]
        );

        run(&db, &member(12, "pending_delete")).await;
        run(
            &db,
            "INSERT INTO user_rooms (user_id, room_id, assigned_at) VALUES (12, 8, 0)",
        )
        .await;
        run(&db, "UPDATE users SET status = 'suspended' WHERE id = 10").await;
        run(&db, "UPDATE users SET status = 'active' WHERE id = 11").await;
        run(
            &db,
            "UPDATE user_rooms SET status = 'active' WHERE user_id = 12",
        )
        .await;
        assert_eq!(
            assignments(&db).await,
            [
                s(10, 7, "suspended"),
                s(11, 7, "active"),
                s(11, 8, "active"),
                s(12, 8, "pending_delete"),
            ]
        );
        run(&db, "UPDATE user_rooms SET user_id = 10 WHERE user_id = 12").await;
        assert_eq!(assignments(&db).await[1], s(10, 8, "suspended"));

        // The copy alone does not move the clinic's member version; the member's change did.
        let version = || async {
            let row = db
                .query_one_raw(Statement::from_string(
                    db.get_database_backend(),
                    "SELECT version FROM member_versions WHERE clinic_id = 1",
                ))
                .await
                .expect("read")
                .expect("a row");
            row.try_get_by_index::<i64>(0).expect("version")
        };
        let before = version().await;
        run(&db, "UPDATE user_rooms SET status = 'x' WHERE user_id = 11").await;
        assert_eq!(version().await, before);
        run(&db, "UPDATE users SET status = 'suspended' WHERE id = 11").await;
        assert_eq!(version().await, before + 1);

        let after_sixth = Migrator::migrations().len() as u32 - 6;
        Migrator::down(&db, Some(after_sixth)).await.expect("down");
        Migrator::up(&db, None).await.expect("up again");
        assert_eq!(assignments(&db).await.len(), 4);
    }
}
