//! Rooms: each admin sees and changes their clinics' rooms only; codes and links are unique
//! and links carry only what a URL allows.

use serde_json::json;

use crate::helpers::*;

fn room(id: Option<i64>, name: &str, code: &str, slug: &str) -> serde_json::Value {
    json!({"room": {
        "id": id, "clinic_id": 1, "name": name, "code": code, "slug": slug,
        "guest_allowed": true, "signup_allowed": false
    }})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_list_their_clinics_rooms_with_member_counts() {
    let app = spawn_app().await;
    let a = json(
        app.call(&app.signed_in(ADMIN_A).await, "rooms/list", &[])
            .await,
    )
    .await;
    let b = json(
        app.call(&app.signed_in(ADMIN_B).await, "rooms/list", &[])
            .await,
    )
    .await;

    let names: Vec<&str> = a["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Jessica Laynes' Clinic", "Northside Pediatrics"]);
    assert!(a["rooms"][0]["members"].as_u64().unwrap() >= 1);
    assert_eq!(b["rooms"].as_array().unwrap().len(), 1);
    assert_eq!(b["rooms"][0]["code"], "TVRU-riverside");
    assert_eq!(
        app.call(&app.client(), "rooms/list", &[]).await.status(),
        401
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_room_gets_a_unique_code_and_a_plain_link() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;

    let created = app
        .call_json(
            &admin,
            "rooms/save",
            room(None, "Dr. Lee", "TVJC-lee", "Lee"),
        )
        .await;
    assert_eq!(created.status(), 200);
    let created = json(created).await;
    assert_eq!(created["slug"], "lee", "links are lower-case");
    assert_eq!(created["active"], true);
    let page = page_text(app.get(&app.client(), "/u/lee").await).await;
    assert!(page.contains("Welcome to Dr. Lee"), "{page}");

    let taken = app
        .call_json(
            &admin,
            "rooms/save",
            room(None, "Other", "TVJC-jessica", "riverside"),
        )
        .await;
    assert_eq!(taken.status(), 422);
    assert_eq!(
        rejected_fields(&json(taken).await),
        ["code", "slug"],
        "unique across clinics"
    );

    let bad = app
        .call_json(&admin, "rooms/save", room(None, "", "a b", "x/../y"))
        .await;
    assert_eq!(bad.status(), 422);
    assert_eq!(rejected_fields(&json(bad).await), ["name", "code", "slug"]);

    let id = created["id"].as_i64().unwrap();
    let renamed = app
        .call_json(
            &admin,
            "rooms/save",
            room(Some(id), "Dr. Lee (Pediatrics)", "TVJC-lee", "lee"),
        )
        .await;
    assert_eq!(json(renamed).await["name"], "Dr. Lee (Pediatrics)");
    let events = app.audit_of_clinic(1).await;
    assert!(
        events
            .last()
            .unwrap()
            .to_string()
            .contains("Dr. Lee (Pediatrics)")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_one_changes_another_clinics_rooms() {
    let app = spawn_app().await;
    let admin_b = app.signed_in(ADMIN_B).await;
    let patient = app.signed_in(PATIENT_A).await;
    let jessica = app.room_id("jessica").await.to_string();

    let closed = app.close_room(&admin_b, &jessica).await;
    assert_eq!(closed.status(), 404);
    let edited = app
        .call_json(
            &admin_b,
            "rooms/save",
            room(Some(jessica.parse().unwrap()), "Mine", "X-1", "mine"),
        )
        .await;
    assert_eq!(edited.status(), 404);
    let by_patient = app
        .call_json(&patient, "rooms/save", room(None, "Mine", "X-1", "mine"))
        .await;
    assert_eq!(by_patient.status(), 403);
    let page = page_text(app.get(&app.client(), "/u/jessica").await).await;
    assert!(page.contains("Enter as guest"), "still open");
}
