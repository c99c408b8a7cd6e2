//! The demo clinic: what `make run` shows on first start, and generated members in bulk for
//! trying the users table at scale (`frontdesk seed-demo --members N`).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};

use app::accounts::{Status, UserType};
use app::auth::password::PasswordHasher;
use app::db::now_ms;
use app::entities::{clinic, clinic_admin, room, user, user_room, visit};
use app::text::fold;

pub const DEMO_ADMIN: &str = "admin@frontdesk.test";
pub const DEMO_CLINIC: &str = "Clinic Portal";
/// Jane Gomez, the article's example member.
pub const JANE_ID: i64 = 21_408_246;
/// 2022-04-08 14:23:38 UTC, Jane's sign-up time in the article.
const JANE_SIGNED_UP: i64 = 1_649_427_818_000;
/// Members generated on first start.
pub const DEMO_MEMBERS: u32 = 300;

/// What seeding did about the demo admin's password.
pub enum AdminPassword {
    /// Generated now: print it, it is shown only this once.
    Generated(String),
    /// Taken from `FRONTDESK_DEMO_ADMIN_PASSWORD`.
    FromSettings,
    /// The database was already seeded; the password is the one printed back then.
    Unchanged,
}

const ROOMS: &[(&str, &str, &str)] = &[
    ("Jessica Laynes' Clinic", "TVJC-jessica", "jessica"),
    ("Northside Pediatrics", "TVNP-northside", "northside"),
    ("Harbor Family Medicine", "TVHF-harbor", "harbor"),
    ("Lakeview Behavioral Health", "TVLB-lakeview", "lakeview"),
];
const OTHER_CLINIC: &str = "Riverside Health";
const OTHER_ROOMS: &[(&str, &str, &str)] =
    &[("Riverside Urgent Care", "TVRU-riverside", "riverside")];

const FIRST_NAMES: &[&str] = &[
    "James", "Mary", "José", "Zoë", "Renée", "Chloé", "Martín", "Sofía", "Noémie", "Björn",
    "Aisha", "Wei", "Priya", "Liam", "Olivia", "Noah", "Emma", "Mateo", "Ava", "Ethan", "Isabella",
    "Lucas", "Mia", "Amara", "Hiroshi", "Fatima", "Diego", "Chiara", "Omar", "Grace", "Daniel",
    "Hannah", "Samuel", "Leila", "Jorge", "Ana", "Kofi", "Ingrid", "Raúl", "Siobhán",
];
const LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Gómez",
    "Müller",
    "Núñez",
    "O'Brien",
    "Nguyen",
    "García",
    "Martínez",
    "Brown",
    "Davis",
    "Rodríguez",
    "López",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Lee",
    "Pérez",
    "Thompson",
    "White",
    "Harris",
    "Sánchez",
    "Clark",
    "Ramírez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Hill",
    "Flores",
    "Green",
    "Adams",
];

fn email_local(first: &str, last: &str) -> String {
    let clean = |s: &str| {
        fold(s)
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
    };
    format!("{}.{}", clean(first), clean(last))
}

/// A user row with the folded search columns filled in.
#[expect(
    clippy::too_many_arguments,
    reason = "one argument per column that varies"
)]
pub fn user_model(
    id: i64,
    clinic_id: i64,
    user_type: UserType,
    username: &str,
    email: &str,
    first: &str,
    last: &str,
    status: Status,
    signed_up_at: i64,
    last_login_at: Option<i64>,
    password_hash: Option<String>,
) -> user::ActiveModel {
    let now = now_ms();
    user::ActiveModel {
        id: Set(id),
        clinic_id: Set(clinic_id),
        user_type: Set(user_type),
        provider_role: Set((user_type == UserType::Provider).then(|| "Doctor".to_owned())),
        username: Set(username.to_owned()),
        username_lower: Set(username.to_lowercase()),
        email: Set(email.to_owned()),
        email_lower: Set(email.to_lowercase()),
        first_name: Set(first.to_owned()),
        last_name: Set(last.to_owned()),
        search_first: Set(fold(first)),
        search_last: Set(fold(last)),
        search_full: Set(fold(&format!("{first} {last}"))),
        password_hash: Set(password_hash),
        date_of_birth: Set(None),
        address: Set(None),
        city: Set(None),
        state: Set(None),
        zip: Set(None),
        country: Set("US".to_owned()),
        phone: Set(None),
        pcp_name: Set(None),
        pcp_phone: Set(None),
        timezone: Set("America/Los_Angeles".to_owned()),
        status: Set(status),
        delete_after: Set((status == Status::PendingDelete).then(|| now + 30 * 86_400_000)),
        email_confirmed_at: Set(Some(signed_up_at)),
        last_login_at: Set(last_login_at.unwrap_or(0)),
        signed_up_at: Set(signed_up_at),
        updated_at: Set(now),
        version: Set(1),
        dormant_warned_at: Set(None),
        active_since: Set(None),
    }
}

fn random_password() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 15];
    rand::fill(&mut bytes);
    // 20 characters of base64url plus fixed classes, so it meets any clinic policy.
    format!(
        "{}-7a",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ) + "Q"
}

/// A clinic with the default settings and `rooms`. The demo's and the benchmark's do not
/// require two-step sign-in (trying Frontdesk stays two commands); a real clinic's does.
pub async fn insert_clinic(
    db: &impl ConnectionTrait,
    name: &str,
    rooms: &[(&str, &str, &str)],
    require_two_step: bool,
) -> anyhow::Result<(i64, Vec<i64>)> {
    let now = now_ms();
    let result = clinic::Entity::insert(clinic::ActiveModel {
        name: Set(name.to_owned()),
        signup_allowed: Set(true),
        guest_allowed: Set(true),
        pw_min_length: Set(8),
        pw_require_upper: Set(true),
        pw_require_lower: Set(true),
        pw_require_digit: Set(true),
        pw_require_symbol: Set(true),
        pw_history_count: Set(6),
        delete_grace_days: Set(30),
        idle_timeout_minutes: Set(30),
        require_two_step: Set(require_two_step),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(db)
    .await?;
    let clinic_id = result.last_insert_id;
    let mut room_ids = Vec::new();
    for (name, code, slug) in rooms {
        let r = room::Entity::insert(room::ActiveModel {
            clinic_id: Set(clinic_id),
            name: Set((*name).to_owned()),
            code: Set((*code).to_owned()),
            slug: Set((*slug).to_owned()),
            active: Set(true),
            guest_allowed: Set(true),
            signup_allowed: Set(true),
            created_at: Set(now),
            ..Default::default()
        })
        .exec(db)
        .await?;
        room_ids.push(r.last_insert_id);
    }
    Ok((clinic_id, room_ids))
}

async fn next_user_id(db: &impl ConnectionTrait) -> anyhow::Result<i64> {
    let max: Option<i64> = user::Entity::find()
        .select_only()
        .column_as(user::Column::Id.max(), "max")
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten();
    Ok(max.map_or(21_400_000, |m| m + 1))
}

/// Keeps Postgres's ID sequence ahead of IDs inserted explicitly.
pub async fn sync_user_sequence(db: &impl ConnectionTrait) -> anyhow::Result<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared(
            "SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT MAX(id) FROM users))",
        )
        .await?;
    }
    Ok(())
}

/// Seeds the demo clinic into an empty database. On a seeded database, only makes sure the
/// demo admin's password is `admin_password` when one is given.
pub async fn demo_if_empty(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    admin_password: Option<&str>,
) -> anyhow::Result<AdminPassword> {
    if clinic::Entity::find().count(db).await? > 0 {
        let Some(password) = admin_password else {
            return Ok(AdminPassword::Unchanged);
        };
        if let Some(admin) = user::Entity::find()
            .filter(user::Column::UsernameLower.eq(DEMO_ADMIN))
            .one(db)
            .await?
            && !hasher
                .verify(password.to_owned(), admin.password_hash.clone())
                .await?
        {
            let hash = hasher.hash(password.to_owned()).await?;
            user::Entity::update_many()
                .col_expr(user::Column::PasswordHash, Some(hash).into())
                .filter(user::Column::Id.eq(admin.id))
                .exec(db)
                .await?;
        }
        return Ok(AdminPassword::FromSettings);
    }

    let (outcome, password) = match admin_password {
        Some(p) => (AdminPassword::FromSettings, p.to_owned()),
        None => {
            let p = random_password();
            (AdminPassword::Generated(p.clone()), p)
        }
    };
    let admin_hash = hasher.hash(password).await?;
    let other_admin_hash = hasher.hash(random_password()).await?;

    let txn = app::db::write_txn(db).await?;
    let (clinic_id, room_ids) = insert_clinic(&txn, DEMO_CLINIC, ROOMS, false).await?;
    let (other_clinic, other_rooms) = insert_clinic(&txn, OTHER_CLINIC, OTHER_ROOMS, false).await?;
    let now = now_ms();

    let admins = [
        (
            21_400_001, clinic_id, DEMO_ADMIN, "Alex", "Morgan", admin_hash,
        ),
        (
            21_400_002,
            other_clinic,
            "admin@riverside.test",
            "Robin",
            "Hale",
            other_admin_hash,
        ),
    ];
    for (id, clinic, username, first, last, hash) in admins {
        let mut admin = user_model(
            id,
            clinic,
            UserType::ClinicAdmin,
            username,
            username,
            first,
            last,
            Status::Active,
            now - 400 * 86_400_000,
            None,
            Some(hash),
        );
        // The demo's admins read times in UTC, as the help article's example does ("Sign
        // up: 2022-04-08 14:23:38"); each admin chooses their own on their profile.
        admin.timezone = Set("UTC".to_owned());
        user::Entity::insert(admin).exec(&txn).await?;
        clinic_admin::Entity::insert(clinic_admin::ActiveModel {
            user_id: Set(id),
            clinic_id: Set(clinic),
        })
        .exec(&txn)
        .await?;
    }

    user::Entity::insert(user_model(
        JANE_ID,
        clinic_id,
        UserType::Member,
        "jane.gomez@me.com",
        "jane.gomez@me.com",
        "Jane",
        "Gomez",
        Status::Active,
        JANE_SIGNED_UP,
        None,
        None,
    ))
    .exec(&txn)
    .await?;
    user_room::Entity::insert(user_room::ActiveModel {
        user_id: Set(JANE_ID),
        room_id: Set(room_ids[0]),
        assigned_at: Set(JANE_SIGNED_UP),
    })
    .exec(&txn)
    .await?;
    // Two past visits, so her Management tab has something to show.
    for (days_after, reason) in [(3, "Follow-up on lab results"), (40, "Seasonal allergies")] {
        let entered = JANE_SIGNED_UP + days_after * 86_400_000;
        visit::ActiveModel {
            clinic_id: Set(clinic_id),
            room_id: Set(room_ids[0]),
            user_id: Set(JANE_ID),
            reason: Set(reason.to_owned()),
            status: Set("completed".to_owned()),
            entered_at: Set(entered),
            ended_at: Set(Some(entered + 20 * 60_000)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;

    members(db, clinic_id, &room_ids, DEMO_MEMBERS, 7).await?;
    members(db, other_clinic, &other_rooms, 60, 11).await?;
    Ok(outcome)
}

/// Adds `count` generated members to `clinic_id`, spread over `room_ids`, in batches.
/// `seed` makes the names and dates reproducible.
pub async fn members(
    db: &DatabaseConnection,
    clinic_id: i64,
    room_ids: &[i64],
    count: u32,
    seed: u64,
) -> anyhow::Result<()> {
    // Rows per INSERT: as many as the bound-parameter limit allows (SQLite: 32,766;
    // Postgres: 65,535; a user row binds 34 values).
    let batch: u32 = match db.get_database_backend() {
        DbBackend::Postgres => 1900,
        _ => 950,
    };
    let mut rng = StdRng::seed_from_u64(seed ^ u64::from(count));
    // Birth dates and phones come from a generator of their own: the names and dates drawn
    // by `rng` stay what they were before members had them.
    let mut extra = StdRng::seed_from_u64(!seed ^ u64::from(count));
    let now = now_ms();
    // Generated members signed up between 2019-01-01 and the day before Jane Gomez, so the
    // article's example is the first row of the demo's default view (newest sign-up first).
    let (start, end) = (1_546_300_800_000, JANE_SIGNED_UP - 86_400_000);
    let mut next_id = next_user_id(db).await?;
    let mut done = 0;
    // Batches stored at once: two on Postgres, whose every connection has a backend
    // process of its own (the load is the database's work, not the generator's); one on
    // SQLite, which writes one transaction at a time.
    let at_once = match db.get_database_backend() {
        DbBackend::Postgres => 2,
        _ => 1,
    };
    let mut storing = std::collections::VecDeque::new();
    while done < count {
        let n = batch.min(count - done);
        let mut users = Vec::with_capacity(n as usize);
        let mut links = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let id = next_id;
            next_id += 1;
            let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
            let last = LAST_NAMES[rng.random_range(0..LAST_NAMES.len())];
            let email = format!("{}{id}@example.com", email_local(first, last));
            let status = match rng.random_range(0..100) {
                0..85 => Status::Active,
                85..95 => Status::Suspended,
                _ => Status::PendingDelete,
            };
            let user_type = if rng.random_range(0..100) < 5 {
                UserType::Provider
            } else {
                UserType::Member
            };
            let signed_up = rng.random_range(start..end);
            let last_login =
                (rng.random_range(0..100) < 70).then(|| rng.random_range(signed_up..now));
            let mut user = user_model(
                id, clinic_id, user_type, &email, &email, first, last, status, signed_up,
                last_login, None,
            );
            // Most give a birth date and a phone, as patients do; what "Possible
            // duplicate" looks up.
            if extra.random_range(0..100) < 90 {
                user.date_of_birth = Set(Some(format!(
                    "{}-{:02}-{:02}",
                    extra.random_range(1930..2020),
                    extra.random_range(1..13),
                    extra.random_range(1..29)
                )));
            }
            if extra.random_range(0..100) < 80 {
                // A North American number: area code and exchange from 2 up, never N11.
                let part = |rng: &mut StdRng| {
                    format!(
                        "{}{}{}",
                        rng.random_range(2..10),
                        rng.random_range(0..10),
                        rng.random_range(2..10)
                    )
                };
                let (area, exchange) = (part(&mut extra), part(&mut extra));
                let line = extra.random_range(0..10_000);
                user.phone = Set(Some(format!("+1{area}{exchange}{line:04}")));
            }
            users.push(user);
            let room = room_ids[rng.random_range(0..room_ids.len())];
            links.push(user_room::ActiveModel {
                user_id: Set(id),
                room_id: Set(room),
                assigned_at: Set(signed_up),
            });
            if rng.random_range(0..100) < 15 {
                let second = room_ids[rng.random_range(0..room_ids.len())];
                if second != room {
                    links.push(user_room::ActiveModel {
                        user_id: Set(id),
                        room_id: Set(second),
                        assigned_at: Set(signed_up),
                    });
                }
            }
        }
        // The next batch is generated while the database stores the ones before.
        if storing.len() == at_once
            && let Some(stored) = storing.pop_front()
        {
            let stored: tokio::task::JoinHandle<anyhow::Result<()>> = stored;
            stored.await??;
        }
        storing.push_back(tokio::spawn(store(db.clone(), users, links)));
        done += n;
        // Statistics that follow the tables' growth: the member version's trigger joins
        // each batch to `users`, and a planner that still takes `users` for empty (where
        // autovacuum is off) scans all of it at every batch.
        if db.get_database_backend() == DbBackend::Postgres && done % (batch * 50) == 0 {
            db.execute_unprepared("ANALYZE users, user_rooms").await?;
        }
    }
    for stored in storing {
        stored.await??;
    }
    sync_user_sequence(db).await?;
    settle_after_bulk_load(db).await
}

/// Stores one batch of generated members and their room assignments, in one transaction.
async fn store(
    db: DatabaseConnection,
    users: Vec<user::ActiveModel>,
    links: Vec<user_room::ActiveModel>,
) -> anyhow::Result<()> {
    let txn = app::db::write_txn(&db).await?;
    if db.get_database_backend() == DbBackend::Postgres {
        // Generated rows: a crash may lose the last batches acknowledged (nothing else
        // depends on them; the bench's seed then starts over on an emptied database).
        txn.execute_unprepared("SET LOCAL synchronous_commit = off")
            .await?;
    }
    user::Entity::insert_many(users).exec(&txn).await?;
    user_room::Entity::insert_many(links).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Fresh statistics after many rows were written at once, so the query planner knows how
/// selective each index is. On Postgres the two bulk-loaded tables are first vacuumed,
/// which marks their pages visible to every transaction: until then an index-only scan
/// (the users table's search and sort shapes) visits the table for each entry it reads,
/// which makes those shapes several times slower right after a bulk load (BENCHMARKS.md).
/// Autovacuum does the same later where it is on;
/// it may be off. SQLite keeps no such map (its `VACUUM` rewrites the whole file): its
/// write-ahead log, grown to the size of the load, is emptied, then it analyzes. SQLite
/// reads the statistics when a connection opens: connections opened before see the new
/// ones only once reopened.
pub async fn settle_after_bulk_load(db: &impl ConnectionTrait) -> anyhow::Result<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("VACUUM users, user_rooms").await?;
    } else {
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await?;
    }
    db.execute_unprepared("ANALYZE").await?;
    Ok(())
}

/// The demo clinic's ID and room IDs, once seeded.
pub async fn demo_clinic(db: &DatabaseConnection) -> anyhow::Result<Option<(i64, Vec<i64>)>> {
    let Some(c) = clinic::Entity::find()
        .filter(clinic::Column::Name.eq(DEMO_CLINIC))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let rooms = room::Entity::find()
        .filter(room::Column::ClinicId.eq(c.id))
        .select_only()
        .column(room::Column::Id)
        .into_tuple::<i64>()
        .all(db)
        .await?;
    Ok(Some((c.id, rooms)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_meet_the_default_policy() {
        let policy = app::validation::PasswordPolicy::default();
        for _ in 0..50 {
            let p = random_password();
            assert_eq!(policy.check(&p, DEMO_ADMIN), Ok(()), "{p}");
        }
    }

    #[test]
    fn email_local_parts_are_ascii() {
        assert_eq!(email_local("José", "O'Brien"), "jose.obrien");
        assert_eq!(email_local("Siobhán", "Núñez"), "siobhan.nunez");
    }
}
