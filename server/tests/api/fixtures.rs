//! What every test starts from: clinic A ("Clinic Portal", two rooms) with its admin and
//! members, among them Jane Gomez as the article shows her and a patient with a password,
//! and clinic B ("Riverside Health") with its admin and one member.

use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};

use app::accounts::{Status, UserType};
use app::auth::password::PasswordHasher;
use app::entities::{clinic_admin, user, user_room};
use server::seed;

use crate::helpers::{ADMIN_A, ADMIN_B, JANE_ID, JANE_SIGNED_UP, PASSWORD, PATIENT_A};

pub async fn insert(db: &DatabaseConnection, hasher: &PasswordHasher) {
    let hash = hasher.hash(PASSWORD.into()).await.expect("hash");
    let (a, a_rooms) = seed::insert_clinic(
        db,
        "Clinic Portal",
        &[
            ("Jessica Laynes' Clinic", "TVJC-jessica", "jessica"),
            ("Northside Pediatrics", "TVNP-northside", "northside"),
        ],
        false,
    )
    .await
    .expect("clinic a");
    let (b, b_rooms) = seed::insert_clinic(
        db,
        "Riverside Health",
        &[("Riverside Urgent Care", "TVRU-riverside", "riverside")],
        false,
    )
    .await
    .expect("clinic b");
    let t0 = JANE_SIGNED_UP;
    let rows = [
        // (id, clinic, type, username, first, last, signed_up, password, room)
        (
            21_400_001,
            a,
            UserType::ClinicAdmin,
            ADMIN_A,
            "Alex",
            "Morgan",
            t0 - 1000,
            Some(hash.clone()),
            None,
        ),
        (
            21_400_002,
            b,
            UserType::ClinicAdmin,
            ADMIN_B,
            "Robin",
            "Hale",
            t0 - 1000,
            Some(hash.clone()),
            None,
        ),
        (
            JANE_ID,
            a,
            UserType::Member,
            "jane.gomez@me.com",
            "Jane",
            "Gomez",
            t0,
            None,
            Some(a_rooms[0]),
        ),
        (
            21_408_300,
            a,
            UserType::Member,
            "jose.gomez@example.com",
            "José",
            "Gómez",
            t0 + 1000,
            None,
            Some(a_rooms[1]),
        ),
        (
            21_408_301,
            a,
            UserType::Member,
            "sam.smith@example.com",
            "Sam",
            "Smith",
            t0 + 2000,
            None,
            Some(a_rooms[1]),
        ),
        (
            21_408_302,
            a,
            UserType::Member,
            PATIENT_A,
            "Pat",
            "Patient",
            t0 + 3000,
            Some(hash.clone()),
            Some(a_rooms[0]),
        ),
        (
            21_408_303,
            a,
            UserType::Member,
            "bob.tags@example.com",
            "<b>Bob</b>",
            "O'Tag & Co",
            t0 + 4000,
            None,
            Some(a_rooms[0]),
        ),
        (
            21_408_304,
            b,
            UserType::Member,
            "gloria.gomez@example.com",
            "Gloria",
            "Gomez",
            t0 + 5000,
            None,
            Some(b_rooms[0]),
        ),
    ];
    for (id, clinic, kind, username, first, last, signed_up, password, room) in rows {
        user::Entity::insert(seed::user_model(
            id,
            clinic,
            kind,
            username,
            username,
            first,
            last,
            Status::Active,
            signed_up,
            None,
            password,
        ))
        .exec(db)
        .await
        .expect("insert user");
        if kind == UserType::ClinicAdmin {
            clinic_admin::Entity::insert(clinic_admin::ActiveModel {
                user_id: Set(id),
                clinic_id: Set(clinic),
            })
            .exec(db)
            .await
            .expect("insert admin");
        }
        if let Some(room) = room {
            user_room::Entity::insert(user_room::ActiveModel {
                user_id: Set(id),
                room_id: Set(room),
                assigned_at: Set(signed_up),
            })
            .exec(db)
            .await
            .expect("insert room");
        }
    }
    seed::sync_user_sequence(db).await.expect("sequence");
}
