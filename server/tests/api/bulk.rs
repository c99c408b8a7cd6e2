//! Actions on many members: counted, confirmed, worked through in the background; each
//! member's change audited as its own event; a whole view chosen by its query; two servers
//! on one action change each member once; only an admin, on their own clinics' members.
//! What changes while an action waits or runs is in `bulk_meanwhile`.

use std::time::Duration;

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::database::count;
use crate::helpers::*;

pub const ADMIN_A_ID: i64 = 21_400_001;
pub const JOSE: i64 = 21_408_300;
pub const SAM: i64 = 21_408_301;
pub const PAT: i64 = 21_408_302;
pub const BOB: i64 = 21_408_303;
pub const GLORIA: i64 = 21_408_304;

pub async fn prepare(app: &TestApp, admin: &reqwest::Client, body: Value) -> reqwest::Response {
    app.call_json(admin, "members/bulk/prepare", body).await
}

/// Counts and confirms `kind` on `scope`; answers the action's ID.
pub async fn start(
    app: &TestApp,
    admin: &reqwest::Client,
    kind: &str,
    room: Option<i64>,
    scope: Value,
) -> i64 {
    let response = prepare(
        app,
        admin,
        json!({"kind": kind, "room_id": room, "scope": scope}),
    )
    .await;
    assert_eq!(response.status(), 200);
    let id = json(response).await["id"].as_i64().unwrap();
    let confirmed = app
        .call(admin, "members/bulk/confirm", &[("id", &id.to_string())])
        .await;
    assert_eq!(confirmed.status(), 200);
    id
}

/// The action's progress once done (it runs in the background).
pub async fn finished(app: &TestApp, admin: &reqwest::Client, id: i64) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let p = json(
            app.call(admin, "members/bulk/progress", &[("id", &id.to_string())])
                .await,
        )
        .await;
        if p["state"] == "done" {
            return p;
        }
        assert!(tokio::time::Instant::now() < deadline, "still {p}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn status_of(app: &TestApp, id: i64) -> String {
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT status FROM users WHERE id = {id}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<String>("", "status").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspending_picked_members_changes_and_audits_each() {
    let app = spawn_app().await;
    let _patient = app.signed_in(PATIENT_A).await;
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) AS n FROM sessions WHERE user_id = {PAT}")
        )
        .await,
        1
    );
    let admin = app.signed_in(ADMIN_A).await;
    // Gloria is clinic B's: not counted, never touched. The admin's own account is refused.
    let response = prepare(
        &app,
        &admin,
        json!({"kind": "suspend", "room_id": null, "scope": {"Picked": [SAM, PAT, BOB, ADMIN_A_ID, GLORIA]}}),
    )
    .await;
    let prepared = json(response).await;
    assert_eq!(prepared["count"], 4);
    assert_eq!(prepared["question"], "Suspend 4 members?");
    // Nothing is written before the confirmation.
    assert_eq!(status_of(&app, SAM).await, "active");
    let id = prepared["id"].as_i64().unwrap();
    let confirmed = app
        .call(&admin, "members/bulk/confirm", &[("id", &id.to_string())])
        .await;
    assert_eq!(confirmed.status(), 200);
    let p = finished(&app, &admin, id).await;
    assert_eq!(
        (p["total"].as_i64(), p["done"].as_i64()),
        (Some(4), Some(4))
    );
    assert_eq!(p["changed"], 3);
    assert_eq!(p["refused"], 1);
    assert_eq!(p["refused_members"][0][0]["id"], ADMIN_A_ID);
    assert_eq!(p["refused_members"][0][0]["name"], "Alex Morgan");
    for member in [SAM, PAT, BOB] {
        assert_eq!(status_of(&app, member).await, "suspended");
        let events = app.audit_of(member).await;
        let (action, changes) = events.last().unwrap();
        assert_eq!(action, "status_changed");
        assert_eq!(changes[0]["from"], "Active");
        assert_eq!(changes[0]["to"], "Suspended");
        assert_eq!(changes[1]["to"], format!("#{id}"));
    }
    assert_eq!(status_of(&app, ADMIN_A_ID).await, "active");
    assert_eq!(status_of(&app, GLORIA).await, "active");
    // Suspended: signed out everywhere.
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) AS n FROM sessions WHERE user_id = {PAT}")
        )
        .await,
        0
    );
    // One event for the action itself, in the clinic's trail.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'bulk_action' AND clinic_id = 1"
        )
        .await,
        1
    );
    // Confirming again runs nothing twice.
    app.call(&admin, "members/bulk/confirm", &[("id", &id.to_string())])
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        app.audit_of(SAM)
            .await
            .iter()
            .filter(|(a, _)| a == "status_changed")
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_member_of_a_view_is_chosen_by_its_query() {
    let app = spawn_app().await;
    let northside = app.room_id("northside").await;
    // More than one listing chunk (2,000) and many batches.
    server::seed::members(&app.db, 1, &[northside], 3_000, 9)
        .await
        .expect("seed");
    let admin = app.signed_in(ADMIN_A).await;
    let view = json!({"q": "", "type": "member", "status": "active", "room": northside.to_string(),
        "sort": "", "dir": "", "size": "", "after": "", "before": ""});
    let matching = count(
        &app,
        &format!(
            "SELECT COUNT(*) AS n FROM users u JOIN user_rooms r ON r.user_id = u.id \
             WHERE u.clinic_id = 1 AND u.user_type = 'member' AND u.status = 'active' AND r.room_id = {northside}"
        ),
    )
    .await;
    assert!(matching > 2_000, "{matching}");
    let prepared = json(
        prepare(
            &app,
            &admin,
            json!({"kind": "suspend", "room_id": null, "scope": {"View": view}}),
        )
        .await,
    )
    .await;
    assert_eq!(prepared["count"], matching);
    let id = prepared["id"].as_i64().unwrap();
    app.call(&admin, "members/bulk/confirm", &[("id", &id.to_string())])
        .await;
    let p = finished(&app, &admin, id).await;
    assert_eq!(p["total"], matching);
    assert_eq!(p["changed"], matching);
    let left = count(
        &app,
        &format!(
            "SELECT COUNT(*) AS n FROM users u JOIN user_rooms r ON r.user_id = u.id \
             WHERE u.clinic_id = 1 AND u.status = 'active' AND u.user_type = 'member' AND r.room_id = {northside}"
        ),
    )
    .await;
    assert_eq!(left, 0);
    // Jane (the other room) and clinic B are untouched; one event per member changed.
    assert_eq!(status_of(&app, JANE_ID).await, "active");
    assert_eq!(status_of(&app, GLORIA).await, "active");
    assert_eq!(
        count(&app, &format!("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'status_changed' AND changes LIKE '%\"#{id}\"%'")).await,
        matching
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_action_change_each_member_once() {
    let app = spawn_app().await;
    let jessica = app.room_id("jessica").await;
    server::seed::members(&app.db, 1, &[jessica], 1_500, 4)
        .await
        .expect("seed");
    let admin = app.signed_in(ADMIN_A).await;
    let view = json!({"q": "", "type": "member", "status": "", "room": "", "sort": "",
        "dir": "", "size": "", "after": "", "before": ""});
    let prepared = json(
        prepare(
            &app,
            &admin,
            json!({"kind": "send_reset", "room_id": null, "scope": {"View": view}}),
        )
        .await,
    )
    .await;
    let id = prepared["id"].as_i64().unwrap();
    let total = prepared["count"].as_i64().unwrap();
    // Confirmed on this server; two more take it up as if their own had stopped, at once.
    app.call(&admin, "members/bulk/confirm", &[("id", &id.to_string())])
        .await;
    let url = app.url("");
    let (a, b) = tokio::join!(
        app::members::server::bulk_work::run(&app.db, &url, id),
        app::members::server::bulk_work::run(&app.db, &url, id),
    );
    a.unwrap();
    b.unwrap();
    let p = finished(&app, &admin, id).await;
    assert_eq!(p["done"], total);
    let resets = count(
        &app,
        &format!("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'reset_sent' AND changes LIKE '%\"#{id}\"%'"),
    )
    .await;
    assert_eq!(resets, p["changed"].as_i64().unwrap());
    let links = count(&app, "SELECT COUNT(*) AS n FROM password_tokens").await;
    assert_eq!(links, resets, "one link per member, however many servers");
    let messages = count(
        &app,
        "SELECT COUNT(*) AS n FROM mail_outbox WHERE user_id IS NOT NULL",
    )
    .await;
    assert_eq!(messages, resets);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_are_added_and_a_last_room_kept() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let jessica = app.room_id("jessica").await;
    let northside = app.room_id("northside").await;
    // Jose and Sam are in Northside only; Jane in Jessica's.
    let id = start(
        &app,
        &admin,
        "add_room",
        Some(jessica),
        json!({"Picked": [JOSE, SAM, JANE_ID]}),
    )
    .await;
    let p = finished(&app, &admin, id).await;
    assert_eq!(
        (p["changed"].as_i64(), p["unchanged"].as_i64()),
        (Some(2), Some(1))
    );
    let in_jessica = count(&app, &format!("SELECT COUNT(*) AS n FROM user_rooms WHERE room_id = {jessica} AND user_id IN ({JOSE}, {SAM})")).await;
    assert_eq!(in_jessica, 2);
    let id = start(
        &app,
        &admin,
        "remove_room",
        Some(northside),
        json!({"Picked": [JOSE, JANE_ID]}),
    )
    .await;
    let p = finished(&app, &admin, id).await;
    assert_eq!(
        (p["changed"].as_i64(), p["unchanged"].as_i64()),
        (Some(1), Some(1))
    );
    let id = start(
        &app,
        &admin,
        "remove_room",
        Some(jessica),
        json!({"Picked": [JOSE]}),
    )
    .await;
    let p = finished(&app, &admin, id).await;
    assert_eq!(p["refused"], 1);
    assert_eq!(
        p["refused_members"][0][1],
        "A member keeps at least one room."
    );
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) AS n FROM user_rooms WHERE user_id = {JOSE}")
        )
        .await,
        1
    );
    let (action, changes) = app.audit_of(SAM).await.last().cloned().unwrap();
    assert_eq!(action, "rooms_changed");
    assert_eq!(changes[0]["field"], "Rooms added");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_admin_acts_and_only_on_their_clinics() {
    let app = spawn_app().await;
    let admin_a = app.signed_in(ADMIN_A).await;
    let admin_b = app.signed_in(ADMIN_B).await;
    let patient = app.signed_in(PATIENT_A).await;
    let body = json!({"kind": "suspend", "room_id": null, "scope": {"Picked": [SAM]}});
    assert_eq!(prepare(&app, &patient, body.clone()).await.status(), 403);
    assert_eq!(
        prepare(&app, &app.client(), body.clone()).await.status(),
        401
    );
    // Another clinic's admin finds none of clinic A's members.
    let refused = prepare(&app, &admin_b, body.clone()).await;
    assert_eq!(refused.status(), 422);
    // Nor clinic A's room; nor an action that is not on the list.
    let jessica = app.room_id("jessica").await;
    let refused = prepare(
        &app,
        &admin_b,
        json!({"kind": "add_room", "room_id": jessica, "scope": {"Picked": [GLORIA]}}),
    )
    .await;
    assert_eq!(refused.status(), 422);
    let refused = prepare(
        &app,
        &admin_a,
        json!({"kind": "delete", "room_id": null, "scope": {"Picked": [SAM]}}),
    )
    .await;
    assert_eq!(refused.status(), 422);
    let too_many: Vec<i64> = (0..101).map(|i| 21_408_000 + i).collect();
    let refused = prepare(
        &app,
        &admin_a,
        json!({"kind": "suspend", "room_id": null, "scope": {"Picked": too_many}}),
    )
    .await;
    assert_eq!(refused.status(), 422);
    // Admin A's action is A's: B can neither confirm nor read it.
    let id = json(prepare(&app, &admin_a, body).await).await["id"]
        .as_i64()
        .unwrap();
    let id = id.to_string();
    assert_eq!(
        app.call(&admin_b, "members/bulk/confirm", &[("id", &id)])
            .await
            .status(),
        404
    );
    assert_eq!(
        app.call(&admin_b, "members/bulk/progress", &[("id", &id)])
            .await
            .status(),
        404
    );
    assert_eq!(status_of(&app, SAM).await, "active");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_selected_holds_only_the_members_picked() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let response = app
        .get(
            &admin,
            &format!("/admin/users/export.csv?ids={SAM},{BOB},{GLORIA}"),
        )
        .await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let ids: Vec<i64> = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes())
        .records()
        .map(|r| r.unwrap()[0].parse().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&SAM) && ids.contains(&BOB), "{ids:?}");
    let many: Vec<String> = (0..101).map(|i| (21_408_000 + i).to_string()).collect();
    let refused = app
        .get(
            &admin,
            &format!("/admin/users/export.csv?ids={}", many.join(",")),
        )
        .await;
    assert_eq!(refused.status(), 422);
}

/// Counts an action (`members/bulk/prepare`) as `admin`; answers its ID.
pub async fn prepared_id(app: &TestApp, admin: &reqwest::Client, body: Value) -> i64 {
    let response = prepare(app, admin, body).await;
    assert_eq!(response.status(), 200);
    json(response).await["id"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_users_page_lists_the_admins_own_recent_actions() {
    let app = spawn_app().await;
    let admin_a = app.signed_in(ADMIN_A).await;
    let admin_b = app.signed_in(ADMIN_B).await;
    let recent = |client: reqwest::Client| {
        let app = &app;
        async move { json(app.call(&client, "members/bulk/recent", &[]).await).await }
    };
    let id = prepared_id(
        &app,
        &admin_a,
        json!({"kind": "suspend", "room_id": null, "scope": {"Picked": [SAM]}}),
    )
    .await;
    assert_eq!(
        recent(admin_a.clone()).await,
        json!([]),
        "a counted action is not listed"
    );
    app.call(&admin_a, "members/bulk/confirm", &[("id", &id.to_string())])
        .await;
    finished(&app, &admin_a, id).await;
    let listed = recent(admin_a.clone()).await;
    assert_eq!(listed[0]["id"], id);
    assert_eq!(listed[0]["title"], "Suspend");
    assert_eq!(listed[0]["state"], "done: 1 member");
    assert_eq!(recent(admin_b.clone()).await, json!([]));
}
