//! Rooms: each admin sees and changes their clinics' rooms only; codes and links are unique
//! and links carry only what a URL allows.

use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::json;

use crate::helpers::*;

fn room(id: Option<i64>, name: &str, code: &str, slug: &str) -> serde_json::Value {
    json!({"room": {
        "id": id, "clinic_id": 1, "name": name, "code": code, "slug": slug,
        "guest_allowed": true, "signup_allowed": false, "version": 1
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

/// Each room's count on the Rooms page, and the assignments there are, by room ID.
async fn room_counts(app: &TestApp, admin: &reqwest::Client) -> Vec<(i64, u64, u64)> {
    let listed = json(app.call(admin, "rooms/list", &[]).await).await;
    let mut counts = Vec::new();
    for room in listed["rooms"].as_array().unwrap() {
        let id = room["id"].as_i64().unwrap();
        let there = crate::database::count(
            app,
            &format!("SELECT COUNT(*) AS n FROM user_rooms WHERE room_id = {id}"),
        )
        .await;
        counts.push((id, room["members"].as_u64().unwrap(), there as u64));
    }
    counts
}

/// A room's count follows every way its assignments change: members created in it, a guest
/// entering it, batches inserted at once, an assignment moved, taken away or deleted with
/// its member, and a room deleted with its assignments.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rooms_member_count_follows_every_change_of_its_assignments() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let jessica = app.room_id("jessica").await;
    let counted = |counts: &[(i64, u64, u64)], room: i64| {
        let (_, shown, there) = counts.iter().find(|(id, _, _)| *id == room).unwrap();
        assert_eq!(shown, there, "room {room}: {counts:?}");
        *shown
    };
    let before = counted(&room_counts(&app, &admin).await, jessica);

    for email in ["count.one@example.com", "count.two@example.com"] {
        let created = app
            .create_member(&admin, new_member(1, jessica, email))
            .await;
        assert_eq!(created.status(), 200);
    }
    app.enter_guest("127.0.0.9", "Counted").await;
    app.add_members(600, 70_000, "Batch", "Counted", 0).await;
    assert_eq!(
        counted(&room_counts(&app, &admin).await, jessica),
        before + 603
    );

    let lee = json(
        app.call_json(
            &admin,
            "rooms/save",
            room(None, "Dr. Lee", "TVJC-lee", "lee"),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .unwrap();
    app.db
        .execute_unprepared(&format!(
            "UPDATE user_rooms SET room_id = {lee} WHERE user_id >= 70000 AND user_id < 70100; \
             DELETE FROM user_rooms WHERE user_id >= 70100 AND user_id < 70150; \
             DELETE FROM users WHERE id >= 70150 AND id < 70350"
        ))
        .await
        .unwrap();
    let counts = room_counts(&app, &admin).await;
    assert_eq!(counted(&counts, jessica), before + 603 - 350);
    assert_eq!(counted(&counts, lee), 100);

    app.db
        .execute_unprepared(&format!("DELETE FROM rooms WHERE id = {lee}"))
        .await
        .unwrap();
    let counts = room_counts(&app, &admin).await;
    assert!(counts.iter().all(|(id, _, _)| *id != lee), "{counts:?}");
    assert_eq!(counted(&counts, jessica), before + 603 - 350);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_edited_by_two_admins_keeps_the_first_save_and_tells_the_second() {
    let app = spawn_app().await;
    let (first, second) = (app.signed_in(ADMIN_A).await, app.signed_in(ADMIN_A).await);
    let list = json(app.call(&first, "rooms/list", &[]).await).await;
    let jessica = list["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["slug"] == "jessica")
        .unwrap()
        .clone();
    let opened = jessica["version"].as_i64().unwrap();
    let edit = |name: &str, version: Option<i64>| {
        json!({"room": {
            "id": jessica["id"], "clinic_id": 1, "name": name, "code": "TVJC-jessica",
            "slug": "jessica", "guest_allowed": true, "signup_allowed": true, "version": version
        }})
    };

    let saved = app
        .call_json(&first, "rooms/save", edit("Jessica's Room", Some(opened)))
        .await;
    assert_eq!(saved.status(), 200);
    assert_eq!(json(saved).await["version"], opened + 1);
    for (how, version) in [("an older version", Some(opened)), ("no version", None)] {
        let late = app
            .call_json(&second, "rooms/save", edit("Dr. Laynes", version))
            .await;
        assert_eq!(late.status(), 409, "{how}");
        let said = json(late).await.to_string();
        assert!(said.contains("Another admin changed this room"), "{said}");
    }

    let room = app::entities::room::Entity::find_by_id(jessica["id"].as_i64().unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(room.name, "Jessica's Room", "the first save stands");
    let renames = app
        .audit_of_clinic(1)
        .await
        .iter()
        .filter(|e| e.to_string().contains("Dr. Laynes"))
        .count();
    assert_eq!(renames, 0, "the refused save left no event");
    // Deactivating moves the version too: an edit opened before it is refused.
    let closed = app.close_room(&first, &jessica["id"].to_string()).await;
    assert_eq!(json(closed).await["version"], opened + 2);
    let late = app
        .call_json(&second, "rooms/save", edit("Dr. Laynes", Some(opened + 1)))
        .await;
    assert_eq!(late.status(), 409);
}
