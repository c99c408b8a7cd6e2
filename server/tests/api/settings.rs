//! Clinic settings: only the clinic's admins change them, bad numbers are field errors, and
//! what they say is what passwords, pending deletes and idle sessions follow.

use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::json;

use app::entities::user;

use crate::helpers::*;

fn settings(clinic_id: i64) -> serde_json::Value {
    json!({
        "clinic_id": clinic_id, "signup_allowed": true, "guest_allowed": false,
        "min_length": "12", "require_upper": true, "require_lower": true,
        "require_digit": true, "require_symbol": false, "history_count": "3",
        "delete_grace_days": "7", "idle_timeout_minutes": "5", "version": 1
    })
}

async fn save(
    app: &TestApp,
    client: &reqwest::Client,
    body: serde_json::Value,
) -> reqwest::Response {
    app.call_json(client, "clinics/save_settings", json!({ "settings": body }))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_admin_reads_only_their_clinics_settings() {
    let app = spawn_app().await;
    let admin_b = app.signed_in(ADMIN_B).await;

    let list = json(app.call(&admin_b, "clinics/settings", &[]).await).await;

    let list = list.as_array().expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["name"], "Riverside Health");
    assert_eq!(list[0]["policy"]["min_length"], 8);
    assert_eq!(list[0]["delete_grace_days"], 30);
    assert_eq!(list[0]["idle_timeout_minutes"], 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saved_settings_govern_passwords_pending_deletes_and_idle_sessions() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;

    let saved = save(&app, &admin, settings(1)).await;

    assert_eq!(saved.status(), 200);
    let saved = json(saved).await;
    assert_eq!(saved["policy"]["min_length"], 12);
    assert_eq!(saved["guest_allowed"], false);
    let events = app.audit_of_clinic(1).await;
    let text = events.last().expect("an event").to_string();
    assert!(
        text.contains(r#""field":"Minimum password length","from":"8","to":"12""#),
        "{text}"
    );

    // The policy: 12 characters, no symbol needed.
    let set = |password: &str| {
        app.call_json(
            &admin,
            "members/set_password",
            json!({"id": JANE_ID, "password": password, "confirm_password": password, "sign_out_everywhere": true}),
        )
    };
    assert_eq!(
        set("Harbor1light").await.status(),
        200,
        "no symbol needed now"
    );
    assert_eq!(set("Harbor1ligh").await.status(), 422, "11 characters");

    // The grace period: 7 days.
    let version = json(app.detail(&admin, JANE_ID).await).await["version"]
        .as_i64()
        .unwrap();
    let pending = app
        .call_json(
            &admin,
            "members/save_status",
            json!({"id": JANE_ID, "version": version, "status": "pending_delete"}),
        )
        .await;
    assert_eq!(pending.status(), 200);
    let jane = user::Entity::find_by_id(JANE_ID)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let days = (jane.delete_after.unwrap() - app::db::now_ms()) as f64 / 86_400_000.0;
    assert!((6.9..=7.0).contains(&days), "{days}");

    // The idle time: a session quiet for six minutes is over.
    let patient = app.signed_in(PATIENT_A).await;
    app.db
        .execute_unprepared(&format!(
            "UPDATE sessions SET last_seen_at = {} WHERE user_id = 21408302",
            app::db::now_ms() - 6 * 60_000
        ))
        .await
        .unwrap();
    assert!(
        json(app.call(&patient, "auth/me", &[]).await)
            .await
            .is_null()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_numbers_are_field_errors_and_nothing_changes() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let mut body = settings(1);
    body["min_length"] = json!("3");
    body["idle_timeout_minutes"] = json!("ten");

    let response = save(&app, &admin, body).await;

    assert_eq!(response.status(), 422);
    assert_eq!(
        rejected_fields(&json(response).await),
        ["min_length", "idle_timeout_minutes"]
    );
    let list = json(app.call(&admin, "clinics/settings", &[]).await).await;
    assert_eq!(list[0]["policy"]["min_length"], 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_clinics_admins_may_change_its_settings() {
    let app = spawn_app().await;
    let admin_b = app.signed_in(ADMIN_B).await;
    let patient = app.signed_in(PATIENT_A).await;

    assert_eq!(save(&app, &admin_b, settings(1)).await.status(), 404);
    assert_eq!(save(&app, &patient, settings(1)).await.status(), 403);
    assert_eq!(save(&app, &app.client(), settings(1)).await.status(), 401);
    assert_eq!(
        app.call(&patient, "clinics/settings", &[]).await.status(),
        403
    );
    let admin_a = app.signed_in(ADMIN_A).await;
    let list = json(app.call(&admin_a, "clinics/settings", &[]).await).await;
    assert_eq!(list[0]["policy"]["min_length"], 8, "unchanged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shorter_guest_keeping_time_says_how_many_records_it_deletes() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    app.enter_guest("127.0.0.2", "Tenday").await;
    app.enter_guest("127.0.0.3", "Today").await;
    app.date_back_guest("Tenday", 10).await;
    let past = |days: u32| {
        let (app, admin) = (&app, &admin);
        async move {
            let days = days.to_string();
            json(
                app.call(
                    admin,
                    "clinics/guests_past",
                    &[("clinic_id", "1"), ("days", &days)],
                )
                .await,
            )
            .await
        }
    };
    assert_eq!(past(30).await, 0, "within 30 days: no one");
    assert_eq!(past(10).await, 1, "the guest whose visit ended 10 days ago");
    assert_eq!(past(1).await, 1, "the guest still waiting is never counted");

    let mut body = settings(1);
    body["guest_retention_days"] = json!("5");
    assert_eq!(save(&app, &admin, body).await.status(), 200);
    app.forget_expired().await;
    assert!(
        where_found(&app, "Tenday").await.is_empty(),
        "the one counted went"
    );
    assert!(
        !where_found(&app, "Today").await.is_empty(),
        "the waiting guest stays"
    );
    assert_eq!(past(5).await, 0, "nothing left to count");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_saved_by_two_admins_keep_the_first_save_and_tell_the_second() {
    let app = spawn_app().await;
    let (first, second) = (app.signed_in(ADMIN_A).await, app.signed_in(ADMIN_A).await);
    let opened = json(app.call(&first, "clinics/settings", &[]).await).await[0]["version"]
        .as_i64()
        .unwrap();

    let mut mine = settings(1);
    mine["version"] = json!(opened);
    let saved = save(&app, &first, mine).await;
    assert_eq!(saved.status(), 200);
    assert_eq!(json(saved).await["version"], opened + 1);
    let mut theirs = settings(1);
    theirs["idle_timeout_minutes"] = json!("60");
    for (how, version) in [
        ("an older version", json!(opened)),
        ("no version", json!(null)),
    ] {
        theirs["version"] = version;
        let late = save(&app, &second, theirs.clone()).await;
        assert_eq!(late.status(), 409, "{how}");
        let said = json(late).await.to_string();
        assert!(
            said.contains("Another admin saved this clinic's settings"),
            "{said}"
        );
    }

    let now = json(app.call(&first, "clinics/settings", &[]).await).await;
    assert_eq!(now[0]["idle_timeout_minutes"], 5, "the first save stands");
    let idle_changes = app
        .audit_of_clinic(1)
        .await
        .iter()
        .filter(|e| e.to_string().contains("Idle sign-out"))
        .count();
    assert_eq!(idle_changes, 1, "only the first save is in the audit log");
}
