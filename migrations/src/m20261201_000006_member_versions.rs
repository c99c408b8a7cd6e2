//! A version per clinic that every change to what the users table shows moves forward.
//!
//! `member_versions` holds one counter per clinic. Triggers raise it in the same transaction
//! as any insert or delete of the clinic's users, any update of a column the table shows,
//! searches, filters or sorts by, any change of their room assignments, and any change of
//! its rooms' names, codes or links (which the table shows). One shown column is left out
//! on purpose: a sign-in's new last login time. A sign-in storm would otherwise empty every
//! kept page of the clinic at each sign-in, when admins need them most; a kept page shows
//! a last login (and orders by it) as it was when read, at most a minute before. A page of the users table read at version `v`
//! is therefore still exact for as long as the clinic's version is `v`, on every server that
//! shares the database; the server keeps recent pages under their clinics' versions and
//! answers a repeated view without reading it again (`members::server::remembered::RecentPages`).
//!
//! The counter is written by the database alone, so no code path that changes a member can
//! forget it. It is a table of its own rather than a column of `clinics`, so that no save of
//! a clinic's settings can write an older value back.
//!
//! SQLite raises it per row. Postgres raises it once per statement and clinic (statement
//! triggers over transition tables): a row trigger would update the same counter row once
//! per inserted member, and a batch of 2,000 would build a chain of 2,000 row versions.
//! Clinics are locked in ID order, so two statements touching the same clinics cannot wait
//! on each other in opposite orders.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// SQLite: one trigger per table and operation, each raising the affected clinics.
const SQLITE_UP: &str = r#"
CREATE TABLE member_versions (
    clinic_id INTEGER NOT NULL PRIMARY KEY,
    version INTEGER NOT NULL
);
CREATE TRIGGER member_versions_users_insert AFTER INSERT ON users BEGIN
    INSERT INTO member_versions (clinic_id, version) VALUES (NEW.clinic_id, 1)
        ON CONFLICT (clinic_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER member_versions_users_update AFTER UPDATE OF
    id, clinic_id, user_type, username, username_lower, email, email_lower, first_name,
    last_name, search_first, search_last, search_full, status, signed_up_at
ON users BEGIN
    INSERT INTO member_versions (clinic_id, version) VALUES (NEW.clinic_id, 1)
        ON CONFLICT (clinic_id) DO UPDATE SET version = version + 1;
    INSERT INTO member_versions (clinic_id, version)
        SELECT OLD.clinic_id, 1 WHERE OLD.clinic_id <> NEW.clinic_id
        ON CONFLICT (clinic_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER member_versions_users_delete AFTER DELETE ON users BEGIN
    INSERT INTO member_versions (clinic_id, version) VALUES (OLD.clinic_id, 1)
        ON CONFLICT (clinic_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER member_versions_rooms_update AFTER UPDATE OF clinic_id, name, code, slug
ON rooms BEGIN
    INSERT INTO member_versions (clinic_id, version)
        SELECT clinic_id, 1 FROM (SELECT OLD.clinic_id AS clinic_id UNION SELECT NEW.clinic_id)
        WHERE true
        ON CONFLICT (clinic_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER member_versions_rooms_delete AFTER DELETE ON rooms BEGIN
    INSERT INTO member_versions (clinic_id, version) VALUES (OLD.clinic_id, 1)
        ON CONFLICT (clinic_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER member_versions_user_rooms_insert AFTER INSERT ON user_rooms BEGIN
    INSERT INTO member_versions (clinic_id, version)
        SELECT clinic_id, 1 FROM users WHERE id = NEW.user_id
        ON CONFLICT (clinic_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER member_versions_user_rooms_update AFTER UPDATE ON user_rooms BEGIN
    INSERT INTO member_versions (clinic_id, version)
        SELECT DISTINCT clinic_id, 1 FROM users WHERE id IN (OLD.user_id, NEW.user_id)
        ON CONFLICT (clinic_id) DO UPDATE SET version = version + 1;
END;
CREATE TRIGGER member_versions_user_rooms_delete AFTER DELETE ON user_rooms BEGIN
    INSERT INTO member_versions (clinic_id, version)
        SELECT clinic_id, 1 FROM users WHERE id = OLD.user_id
        ON CONFLICT (clinic_id) DO UPDATE SET version = version + 1;
END;
"#;

const SQLITE_DOWN: &str = r#"
DROP TRIGGER member_versions_users_insert;
DROP TRIGGER member_versions_users_update;
DROP TRIGGER member_versions_users_delete;
DROP TRIGGER member_versions_rooms_update;
DROP TRIGGER member_versions_rooms_delete;
DROP TRIGGER member_versions_user_rooms_insert;
DROP TRIGGER member_versions_user_rooms_update;
DROP TRIGGER member_versions_user_rooms_delete;
DROP TABLE member_versions;
"#;

/// Postgres: statement triggers. `member_versions_of_rows` takes the clinics from the rows
/// themselves (users, rooms), `member_versions_of_members` from the members that room
/// assignments name, and `member_versions_changed_users` only from members whose shown
/// columns changed. Each reads the transition tables its operation has (as the Postgres
/// manual's audit example does) and raises each clinic once, in ID order.
const POSTGRES_UP: &str = r#"
CREATE TABLE member_versions (
    clinic_id BIGINT NOT NULL PRIMARY KEY,
    version BIGINT NOT NULL
);
CREATE FUNCTION member_versions_raise(clinics BIGINT[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO member_versions (clinic_id, version)
        SELECT DISTINCT c, 1 FROM unnest(clinics) AS c WHERE c IS NOT NULL ORDER BY c
        ON CONFLICT (clinic_id) DO UPDATE SET version = member_versions.version + 1;
$$;
CREATE FUNCTION member_versions_of_rows() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE clinics BIGINT[] := '{}';
BEGIN
    IF TG_OP <> 'DELETE' THEN
        clinics := clinics || ARRAY(SELECT clinic_id FROM new_rows);
    END IF;
    IF TG_OP <> 'INSERT' THEN
        clinics := clinics || ARRAY(SELECT clinic_id FROM old_rows);
    END IF;
    PERFORM member_versions_raise(clinics);
    RETURN NULL;
END $$;
CREATE FUNCTION member_versions_of_members() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE clinics BIGINT[] := '{}';
BEGIN
    IF TG_OP <> 'DELETE' THEN
        clinics := clinics || ARRAY(
            SELECT u.clinic_id FROM new_rows n JOIN users u ON u.id = n.user_id);
    END IF;
    IF TG_OP <> 'INSERT' THEN
        clinics := clinics || ARRAY(
            SELECT u.clinic_id FROM old_rows o JOIN users u ON u.id = o.user_id);
    END IF;
    PERFORM member_versions_raise(clinics);
    RETURN NULL;
END $$;
CREATE FUNCTION member_versions_changed_users() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM member_versions_raise(ARRAY(
        SELECT v.clinic_id
        FROM new_rows n
        JOIN old_rows o ON o.id = n.id
        CROSS JOIN LATERAL (VALUES (n.clinic_id), (o.clinic_id)) AS v (clinic_id)
        WHERE (n.clinic_id, n.user_type, n.username, n.username_lower, n.email,
               n.email_lower, n.first_name, n.last_name, n.search_first, n.search_last,
               n.search_full, n.status, n.signed_up_at)
            IS DISTINCT FROM
              (o.clinic_id, o.user_type, o.username, o.username_lower, o.email,
               o.email_lower, o.first_name, o.last_name, o.search_first, o.search_last,
               o.search_full, o.status, o.signed_up_at)));
    RETURN NULL;
END $$;
CREATE TRIGGER member_versions_users_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION member_versions_of_rows();
CREATE TRIGGER member_versions_users_update AFTER UPDATE ON users
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION member_versions_changed_users();
CREATE TRIGGER member_versions_users_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION member_versions_of_rows();
CREATE TRIGGER member_versions_rooms_update AFTER UPDATE ON rooms
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION member_versions_of_rows();
CREATE TRIGGER member_versions_rooms_delete AFTER DELETE ON rooms
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION member_versions_of_rows();
CREATE TRIGGER member_versions_user_rooms_insert AFTER INSERT ON user_rooms
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION member_versions_of_members();
CREATE TRIGGER member_versions_user_rooms_update AFTER UPDATE ON user_rooms
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION member_versions_of_members();
CREATE TRIGGER member_versions_user_rooms_delete AFTER DELETE ON user_rooms
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION member_versions_of_members();
"#;

const POSTGRES_DOWN: &str = r#"
DROP TRIGGER member_versions_users_insert ON users;
DROP TRIGGER member_versions_users_update ON users;
DROP TRIGGER member_versions_users_delete ON users;
DROP TRIGGER member_versions_rooms_update ON rooms;
DROP TRIGGER member_versions_rooms_delete ON rooms;
DROP TRIGGER member_versions_user_rooms_insert ON user_rooms;
DROP TRIGGER member_versions_user_rooms_update ON user_rooms;
DROP TRIGGER member_versions_user_rooms_delete ON user_rooms;
DROP FUNCTION member_versions_changed_users();
DROP FUNCTION member_versions_of_rows();
DROP FUNCTION member_versions_of_members();
DROP FUNCTION member_versions_raise(BIGINT[]);
DROP TABLE member_versions;
"#;

/// The current members of each clinic count as its first version.
const START: &str = "INSERT INTO member_versions (clinic_id, version) SELECT id, 1 FROM clinics";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DbBackend::Postgres => db.execute_unprepared(POSTGRES_UP).await?,
            _ => db.execute_unprepared(SQLITE_UP).await?,
        };
        db.execute_unprepared(START).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        match m.get_database_backend() {
            DbBackend::Postgres => db.execute_unprepared(POSTGRES_DOWN).await?,
            _ => db.execute_unprepared(SQLITE_DOWN).await?,
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sea_orm_migration::MigratorTrait;
    use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

    use crate::Migrator;
    use crate::testing::{insert_member, memory_db, run};

    async fn version(db: &DatabaseConnection, clinic: i64) -> i64 {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!(
                    "SELECT coalesce((SELECT version FROM member_versions \
                     WHERE clinic_id = {clinic}), 0)"
                ),
            ))
            .await
            .expect("read")
            .expect("a row");
        row.try_get_by_index(0).expect("version")
    }

    /// Every change the users table can show moves its clinic's version, and only its own.
    #[tokio::test]
    async fn every_change_a_page_shows_moves_its_clinics_version_only() {
        let db = memory_db().await;
        Migrator::up(&db, Some(5))
            .await
            .expect("up to the one before");
        run(
            &db,
            "INSERT INTO clinics (id, name, created_at) VALUES (1, 'A', 0), (2, 'B', 0)",
        )
        .await;
        run(&db, &insert_member(10, 1, "Jane", "Doe", "active")).await;
        Migrator::up(&db, None).await.expect("up");
        // Clinics that existed start at version 1.
        assert_eq!((version(&db, 1).await, version(&db, 2).await), (1, 1));

        // A new room holds nobody yet: no page changes.
        run(
            &db,
            "INSERT INTO rooms (id, clinic_id, name, code, slug, created_at) \
             VALUES (7, 1, 'Lobby', 'lobby', 'lobby', 0)",
        )
        .await;
        let mut expected = 1;
        let john = insert_member(11, 1, "John", "Roe", "active");
        for change in [
            john.as_str(),
            "UPDATE users SET status = 'suspended' WHERE id = 11",
            "UPDATE users SET first_name = 'Janet', search_first = 'janet' WHERE id = 10",
            "INSERT INTO user_rooms (user_id, room_id, assigned_at) VALUES (10, 7, 0)",
            "UPDATE rooms SET name = 'Front lobby' WHERE id = 7",
            "DELETE FROM user_rooms WHERE user_id = 10",
            "DELETE FROM users WHERE id = 11",
        ] {
            run(&db, change).await;
            let now = version(&db, 1).await;
            assert!(now > expected, "{change}: version stayed at {now}");
            expected = now;
            assert_eq!(version(&db, 2).await, 1, "{change} moved another clinic");
        }
        // What the table does not show (or, for a sign-in, shows a minute late) keeps it.
        for unseen in [
            "UPDATE users SET last_login_at = 5 WHERE id = 10",
            "UPDATE users SET password_hash = 'x', phone = '555' WHERE id = 10",
            "UPDATE rooms SET active = false WHERE id = 7",
        ] {
            run(&db, unseen).await;
            assert_eq!(version(&db, 1).await, expected, "{unseen}");
        }
        // Moving a member to another clinic changes both clinics' pages.
        run(&db, "UPDATE users SET clinic_id = 2 WHERE id = 10").await;
        assert!(version(&db, 1).await > expected);
        assert!(version(&db, 2).await > 1);

        // Down past this migration (and any after it).
        let after_fifth = Migrator::migrations().len() as u32 - 5;
        Migrator::down(&db, Some(after_fifth)).await.expect("down");
        run(&db, "UPDATE users SET last_login_at = 6 WHERE id = 10").await;
        Migrator::up(&db, None).await.expect("up again");
        assert_eq!(version(&db, 2).await, 1);
    }
}
