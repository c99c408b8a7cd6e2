//! Promises of the README that had no test of their own: stale saves refused on every save
//! that carries a version, Pending delete signing the member out, a room closing guest entry
//! or sign-up for itself, and the rules of a member's entry to a waiting room.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use app::entities::{user, visit};

use crate::helpers::*;

const PAT_ID: i64 = 21_408_302;
const BOB: i64 = 21_408_303;
const STALE: &str = "This member was changed by someone else — reload to see their changes";

async fn version_of(app: &TestApp, client: &reqwest::Client, id: i64) -> i64 {
    json(app.detail(client, id).await).await["version"]
        .as_i64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_and_user_type_saves_against_an_older_version_are_refused() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let read = version_of(&app, &admin, BOB).await;
    // Someone else saves first.
    let first = app
        .call_json(
            &admin,
            "members/save_status",
            json!({"id": BOB, "version": read, "status": "suspended"}),
        )
        .await;
    assert_eq!(first.status(), 200);

    let late_status = app
        .call_json(
            &admin,
            "members/save_status",
            json!({"id": BOB, "version": read, "status": "pending_delete"}),
        )
        .await;
    assert_eq!(late_status.status(), 409);
    assert_eq!(json(late_status).await["message"], STALE);
    let late_type = app
        .call_json(
            &admin,
            "members/save_type",
            json!({"id": BOB, "version": read, "user_type": "provider", "provider_role": "Nurse"}),
        )
        .await;
    assert_eq!(late_type.status(), 409);
    let bob = user::Entity::find_by_id(BOB)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (bob.status.key(), bob.user_type.key()),
        ("suspended", "member")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patients_own_save_against_an_older_version_is_refused() {
    let app = spawn_app().await;
    let patient = app.signed_in(PATIENT_A).await;
    let admin = app.signed_in(ADMIN_A).await;
    let mut contact = json(app.call(&patient, "account/me", &[]).await).await["contact"].clone();
    // The clinic changes the member meanwhile.
    let version = version_of(&app, &admin, PAT_ID).await;
    let mut profile = json(app.detail(&admin, PAT_ID).await).await["profile"].clone();
    profile["city"] = json!("Oakland");
    let saved = app
        .call_json(
            &admin,
            "members/save_profile",
            json!({"id": PAT_ID, "version": version, "profile": profile}),
        )
        .await;
    assert_eq!(saved.status(), 200);

    contact["city"] = json!("Berkeley");
    let late = app
        .call_json(&patient, "account/save", json!({ "contact": contact }))
        .await;
    assert_eq!(late.status(), 409);
    let pat = user::Entity::find_by_id(PAT_ID)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pat.city.as_deref(), Some("Oakland"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_delete_signs_the_member_out_at_once() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let patient = app.signed_in(PATIENT_A).await;
    let version = version_of(&app, &admin, PAT_ID).await;
    let saved = app
        .call_json(
            &admin,
            "members/save_status",
            json!({"id": PAT_ID, "version": version, "status": "pending_delete"}),
        )
        .await;
    assert_eq!(saved.status(), 200);
    // Ended by the save itself, before the member's browser asks anything.
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) AS n FROM sessions WHERE user_id = {PAT_ID}")
        )
        .await,
        0
    );
    assert!(
        json(app.call(&patient, "auth/me", &[]).await)
            .await
            .is_null()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_closes_guest_entry_and_sign_up_for_itself() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let jessica = app.room_id("jessica").await;
    let saved = app
        .call_json(
            &admin,
            "rooms/save",
            json!({"room": {
                "id": jessica, "clinic_id": 1, "name": "Jessica Laynes' Clinic",
                "code": "TVJC-jessica", "slug": "jessica",
                "guest_allowed": false, "signup_allowed": false, "version": 1
            }}),
        )
        .await;
    assert_eq!(saved.status(), 200, "{}", saved.text().await.unwrap());
    let anyone = app.client();
    let guest = app
        .call(
            &anyone,
            "patients/enter",
            &[
                ("slug", "jessica"),
                ("first_name", "Lee"),
                ("last_name", "Park"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(guest.status(), 403);
    let signed = app
        .call(
            &anyone,
            "patients/sign_up",
            &[
                ("slug", "jessica"),
                ("first_name", "Ana"),
                ("last_name", "Ruiz"),
                ("email", "room.closed@example.com"),
                ("password", "Tr1cky-Lantern"),
                ("confirm_password", "Tr1cky-Lantern"),
                ("date_of_birth", "1990-04-21"),
                ("phone", ""),
                ("timezone", "America/New_York"),
            ],
        )
        .await;
    assert_eq!(signed.status(), 403);
    // The clinic's other room is still open to both.
    let other = app
        .call(
            &anyone,
            "patients/enter",
            &[
                ("slug", "northside"),
                ("first_name", "Lee"),
                ("last_name", "Park"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(other.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_waits_in_rooms_of_their_clinic_one_at_a_time() {
    let app = spawn_app().await;
    let patient = app.signed_in(PATIENT_A).await;
    let join = |slug: &'static str| {
        let (app, patient) = (&app, &patient);
        async move {
            app.call(
                patient,
                "patients/join",
                &[("slug", slug), ("reason", "Checkup")],
            )
            .await
            .status()
            .as_u16()
        }
    };
    assert_eq!(join("riverside").await, 404, "another clinic's room");
    assert_eq!(join("jessica").await, 200);
    assert_eq!(join("northside").await, 200);
    let waiting = visit::Entity::find()
        .filter(visit::Column::UserId.eq(PAT_ID))
        .filter(visit::Column::Status.eq("waiting"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(waiting, 1, "one wait at a time: the earlier one is left");
    app.db
        .execute_unprepared("UPDATE rooms SET active = false WHERE slug = 'jessica'")
        .await
        .unwrap();
    assert_eq!(join("jessica").await, 422, "a closed room");
    // A guest cannot join another room with their guest session.
    let guest = app.client();
    let entered = app
        .call(
            &guest,
            "patients/enter",
            &[
                ("slug", "northside"),
                ("first_name", "Lee"),
                ("last_name", "Park"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(entered.status(), 200);
    let joined = app
        .call(
            &guest,
            "patients/join",
            &[("slug", "northside"), ("reason", "Again")],
        )
        .await;
    assert_eq!(joined.status(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_public_form_is_braked_per_address_at_the_production_defaults() {
    // 60 posts from one address, then 2 a second: the 61st at once is refused.
    let app = spawn_app().await;
    let forms: [(&str, &[(&str, &str)]); 7] = [
        ("auth/login", &[("username", ""), ("password", "")]),
        (
            "patients/sign_up",
            &[
                ("slug", "jessica"),
                ("first_name", ""),
                ("last_name", ""),
                ("email", ""),
                ("password", ""),
                ("confirm_password", ""),
                ("date_of_birth", ""),
                ("phone", ""),
                ("timezone", ""),
            ],
        ),
        ("auth/confirm", &[("token", ""), ("password", "")]),
        ("auth/resend", &[("username", "")]),
        (
            "auth/reset",
            &[("token", ""), ("password", ""), ("confirm_password", "")],
        ),
        ("auth/forgot", &[("identifier", "")]),
        (
            "patients/enter",
            &[
                ("slug", "jessica"),
                ("first_name", ""),
                ("last_name", ""),
                ("reason", ""),
            ],
        ),
    ];
    for (n, (endpoint, form)) in forms.into_iter().enumerate() {
        let client = reqwest::Client::builder()
            .local_address(
                format!("127.0.2.{}", n + 1)
                    .parse::<std::net::IpAddr>()
                    .unwrap(),
            )
            .build()
            .unwrap();
        for post in 1..=60 {
            let status = app.call(&client, endpoint, form).await.status();
            assert_ne!(status, 429, "{endpoint}: post {post} of the burst");
        }
        assert_eq!(
            app.call(&client, endpoint, form).await.status(),
            429,
            "{endpoint}: the 61st at once"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_and_resend_send_one_address_five_emails_then_none() {
    let app = spawn_app().await;
    let sign_up = |email: &'static str| {
        let app = &app;
        async move {
            app.call(
                &app.client(),
                "patients/sign_up",
                &[
                    ("slug", "jessica"),
                    ("first_name", "Ana"),
                    ("last_name", "Ruiz"),
                    ("email", email),
                    ("password", "Tr1cky-Lantern"),
                    ("confirm_password", "Tr1cky-Lantern"),
                    ("date_of_birth", "1990-04-21"),
                    ("phone", ""),
                    ("timezone", "America/New_York"),
                ],
            )
            .await
            .status()
        }
    };
    let mails_to = |email: &'static str| {
        let app = &app;
        async move {
            count(
                app,
                &format!("SELECT COUNT(*) AS n FROM mail_outbox WHERE to_address = '{email}'"),
            )
            .await
        }
    };
    for _ in 0..7 {
        assert_eq!(
            sign_up("many.signups@example.com").await,
            200,
            "the same answer"
        );
    }
    assert_eq!(mails_to("many.signups@example.com").await, 5);

    assert_eq!(sign_up("many.resends@example.com").await, 200);
    for _ in 0..7 {
        let resent = app
            .call(
                &app.client(),
                "auth/resend",
                &[("username", "many.resends@example.com")],
            )
            .await;
        assert_eq!(resent.status(), 200, "the same answer");
    }
    assert_eq!(mails_to("many.resends@example.com").await, 5);
}
