//! Each room's number of assigned members, kept by the database as assignments come and go.
//!
//! The Rooms page shows every room's count. Counting them as it is read meant a grouped
//! scan of `user_rooms` (two million rows at a million members: 88 ms on SQLite, 135 ms on
//! Postgres, and ten times that at ten million). `room_counts` holds the number instead,
//! changed by triggers in the same transaction as any assignment's insert, delete or move,
//! so no code path that assigns a member can forget it, and reading it is one lookup per
//! room. A room with no row has no members.
//!
//! SQLite counts per row. Postgres counts once per statement (transition tables, as
//! `member_versions` does): an Import CSV batch of 1,000 assignments writes each room's row
//! once, not 1,000 times, and rooms are written in ID order. Before any room's count it
//! locks the rooms' clinics' member versions (in ID order), the lock every change of a
//! clinic's members takes first: so two statements never wait on each other in opposite
//! orders, even a member's deletion, whose assignments go by cascade before the member
//! version's trigger on `users` runs. (The trigger's name also sorts after
//! `member_versions_*`: Postgres fires a table's triggers in name order.)
//!
//! A count's row goes with its room; a statement that deletes a room's assignments because
//! the room itself was deleted writes no row for it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const FILL: &str = r#"
INSERT INTO room_counts (room_id, members)
    SELECT room_id, COUNT(*) FROM user_rooms GROUP BY room_id;
"#;

const SQLITE_UP: &str = r#"
CREATE TABLE room_counts (
    room_id INTEGER NOT NULL PRIMARY KEY REFERENCES rooms (id) ON DELETE CASCADE,
    members INTEGER NOT NULL
);
CREATE TRIGGER room_counts_insert AFTER INSERT ON user_rooms BEGIN
    INSERT INTO room_counts (room_id, members) VALUES (NEW.room_id, 1)
        ON CONFLICT (room_id) DO UPDATE SET members = members + 1;
END;
CREATE TRIGGER room_counts_move AFTER UPDATE OF room_id ON user_rooms
WHEN OLD.room_id <> NEW.room_id BEGIN
    UPDATE room_counts SET members = members - 1 WHERE room_id = OLD.room_id;
    INSERT INTO room_counts (room_id, members) VALUES (NEW.room_id, 1)
        ON CONFLICT (room_id) DO UPDATE SET members = members + 1;
END;
CREATE TRIGGER room_counts_delete AFTER DELETE ON user_rooms BEGIN
    UPDATE room_counts SET members = members - 1 WHERE room_id = OLD.room_id;
END;
"#;

const SQLITE_DOWN: &str = r#"
DROP TRIGGER room_counts_delete;
DROP TRIGGER room_counts_move;
DROP TRIGGER room_counts_insert;
DROP TABLE room_counts;
"#;

/// Postgres: one function for every operation, adding up each room's assignments gained
/// (`new_rows`) and lost (`old_rows`); rooms whose count does not change (a status copied
/// onto assignments) are not written.
const POSTGRES_UP: &str = r#"
CREATE TABLE room_counts (
    room_id BIGINT NOT NULL PRIMARY KEY REFERENCES rooms (id) ON DELETE CASCADE,
    members BIGINT NOT NULL
);
CREATE FUNCTION room_counts_change(gained BIGINT[], lost BIGINT[]) RETURNS void
LANGUAGE sql AS $$
    SELECT 1 FROM member_versions
        WHERE clinic_id IN (SELECT clinic_id FROM rooms WHERE id = ANY (gained || lost))
        ORDER BY clinic_id FOR UPDATE;
    INSERT INTO room_counts (room_id, members)
        SELECT d.room_id, SUM(d.n)
        FROM (SELECT r, 1 FROM unnest(gained) AS r
              UNION ALL SELECT r, -1 FROM unnest(lost) AS r) AS d (room_id, n)
        JOIN rooms ON rooms.id = d.room_id
        GROUP BY d.room_id
        HAVING SUM(d.n) <> 0
        ORDER BY d.room_id
        ON CONFLICT (room_id) DO UPDATE SET members = room_counts.members + EXCLUDED.members;
$$;
CREATE FUNCTION room_counts_of_assignments() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    gained BIGINT[] := '{}';
    lost BIGINT[] := '{}';
BEGIN
    IF TG_OP <> 'DELETE' THEN
        gained := ARRAY(SELECT room_id FROM new_rows);
    END IF;
    IF TG_OP <> 'INSERT' THEN
        lost := ARRAY(SELECT room_id FROM old_rows);
    END IF;
    PERFORM room_counts_change(gained, lost);
    RETURN NULL;
END $$;
CREATE TRIGGER room_counts_insert AFTER INSERT ON user_rooms
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION room_counts_of_assignments();
CREATE TRIGGER room_counts_update AFTER UPDATE ON user_rooms
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION room_counts_of_assignments();
CREATE TRIGGER room_counts_delete AFTER DELETE ON user_rooms
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION room_counts_of_assignments();
"#;

const POSTGRES_DOWN: &str = r#"
DROP TRIGGER room_counts_delete ON user_rooms;
DROP TRIGGER room_counts_update ON user_rooms;
DROP TRIGGER room_counts_insert ON user_rooms;
DROP FUNCTION room_counts_of_assignments();
DROP FUNCTION room_counts_change(BIGINT[], BIGINT[]);
DROP TABLE room_counts;
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

    /// `(room_id, kept count, assignments counted now)` of every room, in order.
    async fn counts(db: &DatabaseConnection) -> Vec<(i64, i64, i64)> {
        db.query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT r.id, COALESCE(c.members, 0), \
                    (SELECT COUNT(*) FROM user_rooms u WHERE u.room_id = r.id) \
             FROM rooms r LEFT JOIN room_counts c ON c.room_id = r.id ORDER BY r.id",
        ))
        .await
        .expect("read")
        .into_iter()
        .map(|row| {
            (
                row.try_get_by_index(0).expect("room"),
                row.try_get_by_index(1).expect("kept"),
                row.try_get_by_index(2).expect("counted"),
            )
        })
        .collect()
    }

    fn room(id: i64) -> String {
        format!(
            "INSERT INTO rooms (id, clinic_id, name, code, slug, active, guest_allowed, \
             signup_allowed, created_at) VALUES ({id}, 1, 'R{id}', 'C{id}', 'r{id}', true, \
             false, false, 0)"
        )
    }

    /// Assignments made before the table are counted; inserts, moves, a member's status
    /// copied onto their assignments, deletes (of an assignment, of its member, of its room)
    /// keep every count equal to the assignments there are.
    #[tokio::test]
    async fn every_rooms_count_follows_its_assignments() {
        let db = memory_db().await;
        Migrator::up(&db, Some(18))
            .await
            .expect("up to the one before");
        run(
            &db,
            "INSERT INTO clinics (id, name, created_at) VALUES (1, 'A', 0)",
        )
        .await;
        for id in 1..=3 {
            run(&db, &room(id)).await;
        }
        for id in 1..=4 {
            run(&db, &insert_member(id, 1, &format!("U{id}"), "V", "active")).await;
        }
        run(
            &db,
            "INSERT INTO user_rooms (user_id, room_id, assigned_at) VALUES (1, 1, 0), (2, 1, 0)",
        )
        .await;
        Migrator::up(&db, None).await.expect("up");
        assert_eq!(counts(&db).await, [(1, 2, 2), (2, 0, 0), (3, 0, 0)]);

        run(
            &db,
            "INSERT INTO user_rooms (user_id, room_id, assigned_at) \
             VALUES (3, 1, 0), (3, 2, 0), (4, 2, 0), (4, 3, 0)",
        )
        .await;
        assert_eq!(counts(&db).await, [(1, 3, 3), (2, 2, 2), (3, 1, 1)]);

        run(&db, "UPDATE user_rooms SET room_id = 3 WHERE user_id = 1").await;
        run(&db, "UPDATE users SET status = 'suspended' WHERE id = 3").await;
        assert_eq!(counts(&db).await, [(1, 2, 2), (2, 2, 2), (3, 2, 2)]);

        run(&db, "DELETE FROM user_rooms WHERE user_id = 2").await;
        run(&db, "DELETE FROM users WHERE id = 4").await;
        assert_eq!(counts(&db).await, [(1, 1, 1), (2, 1, 1), (3, 1, 1)]);

        run(&db, "DELETE FROM rooms WHERE id = 3").await;
        assert_eq!(counts(&db).await, [(1, 1, 1), (2, 1, 1)]);

        let after = Migrator::migrations().len() as u32 - 18;
        Migrator::down(&db, Some(after))
            .await
            .expect("down to the one before");
        Migrator::up(&db, None).await.expect("up again");
        assert_eq!(counts(&db).await, [(1, 1, 1), (2, 1, 1)]);
    }
}
