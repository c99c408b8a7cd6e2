//! A member's detail and its edits: the view audited, profile saves against the version
//! read (masked in the history), rooms, user type, the audit list, and the detail opened
//! from the users page's URL.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use app::entities::{clinic_admin, user, user_room};

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_detail_shows_the_member_and_records_the_view() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;

    let response = app.detail(&client, JANE_ID).await;

    assert_eq!(response.status(), 200);
    let d = json(response).await;
    assert_eq!(d["first_name"], "Jane");
    assert_eq!(d["username"], "jane.gomez@me.com");
    assert_eq!(d["profile"]["country"], "US");
    assert_eq!(d["rooms"][0]["name"], "Jessica Laynes' Clinic");
    // In the admin's zone (their profile's: Los Angeles), with its abbreviation.
    assert_eq!(d["signed_up"], "2022-04-08 07:23:38 PDT");
    assert_eq!(d["last_login"], serde_json::Value::Null);
    assert_eq!(d["version"], 1);
    let audit = app.audit_of(JANE_ID).await;
    assert_eq!(audit.last().map(|a| a.0.as_str()), Some("viewed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_clinics_member_is_not_found_and_patients_are_forbidden() {
    let app = spawn_app().await;
    let admin_b = app.signed_in(ADMIN_B).await;
    let patient = app.signed_in(PATIENT_A).await;

    assert_eq!(app.detail(&admin_b, JANE_ID).await.status(), 404);
    assert_eq!(app.detail(&patient, JANE_ID).await.status(), 403);
    assert_eq!(app.detail(&app.client(), JANE_ID).await.status(), 401);
    let save = app
        .call_json(
            &admin_b,
            "members/save_profile",
            json!({"id": JANE_ID, "version": 1, "profile": jane_profile()}),
        )
        .await;
    assert_eq!(save.status(), 404);
    let rooms = app
        .call_json(
            &admin_b,
            "members/save_rooms",
            json!({"id": JANE_ID, "version": 1, "room_ids": [3]}),
        )
        .await;
    assert_eq!(rooms.status(), 404);
    let kind = app
        .call_json(
            &patient,
            "members/save_type",
            json!({"id": JANE_ID, "version": 1, "user_type": "provider"}),
        )
        .await;
    assert_eq!(kind.status(), 403);
    assert!(
        app.audit_of(JANE_ID).await.is_empty(),
        "nothing happened to Jane"
    );
}

fn jane_profile() -> serde_json::Value {
    json!({
        "username": "jane.gomez@me.com", "first_name": "Jane", "last_name": "Gomez",
        "email": "jane.gomez@me.com", "dob_month": "", "dob_day": "", "dob_year": "",
        "address": "", "city": "", "state": "", "zip": "", "country": "US", "phone": "",
        "pcp_name": "", "pcp_phone": "", "timezone": "America/Los_Angeles"
    })
}

async fn save_profile(
    app: &TestApp,
    client: &reqwest::Client,
    version: i64,
    profile: serde_json::Value,
) -> reqwest::Response {
    app.call_json(
        client,
        "members/save_profile",
        json!({"id": JANE_ID, "version": version, "profile": profile}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saving_the_profile_changes_it_and_records_what_changed_masked() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;
    let mut profile = jane_profile();
    profile["city"] = json!("Portland");
    profile["phone"] = json!("415 555 0123");
    profile["dob_month"] = json!("4");
    profile["dob_day"] = json!("8");
    profile["dob_year"] = json!("1990");
    profile["last_name"] = json!("Gómez");

    let response = save_profile(&app, &client, 1, profile).await;

    assert_eq!(response.status(), 200);
    let d = json(response).await;
    assert_eq!(d["version"], 2);
    assert_eq!(d["profile"]["city"], "Portland");
    assert_eq!(d["profile"]["phone"], "+1 415-555-0123");
    let (action, changes) = app.audit_of(JANE_ID).await.pop().expect("event");
    assert_eq!(action, "profile_changed");
    let text = changes.to_string();
    assert!(
        text.contains(r#"{"field":"City","from":"","to":"Portland"}"#),
        "{text}"
    );
    assert!(text.contains("••••••23"), "phone masked: {text}");
    assert!(
        !text.contains("4155550123") && !text.contains("1990"),
        "{text}"
    );
    // The search columns follow the name.
    let listed = json(app.list_members(&client, "gomez").await).await;
    assert!(listed.to_string().contains("Gómez"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_version_is_refused_and_nothing_is_overwritten() {
    let app = spawn_app().await;
    // Two sessions of admins, both reading version 1.
    let first = app.signed_in(ADMIN_A).await;
    let second = app.signed_in(ADMIN_A).await;
    let read_first = json(app.detail(&first, JANE_ID).await).await;
    let read_second = json(app.detail(&second, JANE_ID).await).await;
    assert_eq!(read_first["version"], read_second["version"]);

    let mut mine = jane_profile();
    mine["city"] = json!("Portland");
    let mut theirs = jane_profile();
    theirs["city"] = json!("Seattle");
    let (a, b) = tokio::join!(
        save_profile(&app, &first, 1, mine),
        save_profile(&app, &second, 1, theirs),
    );

    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    let loser = if a.status() == 409 { a } else { b };
    let body = json(loser).await;
    assert_eq!(
        body["message"],
        "This member was changed by someone else — reload to see their changes"
    );
    let jane = user::Entity::find_by_id(JANE_ID)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(jane.version, 2);
    let changes: Vec<_> = app
        .audit_of(JANE_ID)
        .await
        .into_iter()
        .filter(|(a, _)| a == "profile_changed")
        .collect();
    assert_eq!(changes.len(), 1, "only the winning save is recorded");
    assert!(
        changes[0]
            .1
            .to_string()
            .contains(jane.city.as_deref().unwrap())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_saves_check_fields_and_duplicates_like_create() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;
    let mut profile = jane_profile();
    profile["email"] = json!("SAM.SMITH@example.com");
    profile["zip"] = json!("1");

    let response = save_profile(&app, &client, 1, profile).await;

    assert_eq!(response.status(), 422);
    assert_eq!(rejected_fields(&json(response).await), ["email", "zip"]);
    let jane = user::Entity::find_by_id(JANE_ID)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(jane.version, 1);
}

async fn rooms_of(app: &TestApp, id: i64) -> Vec<i64> {
    let mut ids: Vec<i64> = user_room::Entity::find()
        .filter(user_room::Column::UserId.eq(id))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.room_id)
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_are_added_and_removed_but_one_always_stays() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;
    let jessica = app.room_id("jessica").await;
    let northside = app.room_id("northside").await;
    let riverside = app.room_id("riverside").await;
    let save = |version: i64, rooms: Vec<i64>| {
        app.call_json(
            &client,
            "members/save_rooms",
            json!({"id": JANE_ID, "version": version, "room_ids": rooms}),
        )
    };

    let added = save(1, vec![jessica, northside]).await;
    assert_eq!(added.status(), 200);
    assert_eq!(rooms_of(&app, JANE_ID).await, [jessica, northside]);
    let removed = save(2, vec![northside]).await;
    assert_eq!(removed.status(), 200);
    assert_eq!(rooms_of(&app, JANE_ID).await, [northside]);

    assert_eq!(save(3, vec![]).await.status(), 422);
    assert_eq!(
        save(3, vec![riverside]).await.status(),
        422,
        "another clinic's room"
    );
    assert_eq!(save(1, vec![jessica]).await.status(), 409, "stale");
    assert_eq!(rooms_of(&app, JANE_ID).await, [northside]);
    let events: Vec<String> = app
        .audit_of(JANE_ID)
        .await
        .into_iter()
        .filter(|(a, _)| a == "rooms_changed")
        .map(|(_, c)| c.to_string())
        .collect();
    assert_eq!(events.len(), 2);
    assert!(events[0].contains("Rooms added") && events[0].contains("Northside Pediatrics"));
    assert!(events[1].contains("Rooms removed") && events[1].contains("Jessica Laynes' Clinic"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_user_type_changes_and_clinic_admin_rights_follow_it() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;
    let save = |version: i64, kind: &str, role: &str| {
        app.call_json(
            &client,
            "members/save_type",
            json!({"id": JANE_ID, "version": version, "user_type": kind, "provider_role": role}),
        )
    };

    let provider = json(save(1, "provider", "Nurse").await).await;
    assert_eq!(provider["user_type"], "Provider");
    assert_eq!(provider["provider_role"], "Nurse");
    assert_eq!(save(2, "clinic_admin", "").await.status(), 200);
    let admins = clinic_admin::Entity::find()
        .filter(clinic_admin::Column::UserId.eq(JANE_ID))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(admins, 1);
    assert_eq!(save(3, "member", "").await.status(), 200);
    let admins = clinic_admin::Entity::find()
        .filter(clinic_admin::Column::UserId.eq(JANE_ID))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(admins, 0);
    assert_eq!(save(4, "guest", "").await.status(), 422);
    assert_eq!(save(4, "provider", "Wizard").await.status(), 422);
    let changes: Vec<String> = app
        .audit_of(JANE_ID)
        .await
        .into_iter()
        .filter(|(a, _)| a == "type_changed")
        .map(|(_, c)| c.to_string())
        .collect();
    assert_eq!(changes.len(), 3);
    assert!(
        changes[0].contains(r#""from":"Member","to":"Provider (Nurse)""#),
        "{}",
        changes[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_cannot_take_away_their_own_admin_type() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;

    let response = app
        .call_json(
            &client,
            "members/save_type",
            json!({"id": 21_400_001, "version": 1, "user_type": "member"}),
        )
        .await;

    assert_eq!(response.status(), 422);
    assert_eq!(
        app.signed_in(ADMIN_A)
            .await
            .get(app.url("/admin/users"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_list_is_the_clinics_newest_first_filtered_and_paged() {
    let app = spawn_app().await;
    let admin_a = app.signed_in(ADMIN_A).await;
    let admin_b = app.signed_in(ADMIN_B).await;
    for _ in 0..55 {
        assert_eq!(app.detail(&admin_a, JANE_ID).await.status(), 200);
    }
    assert_eq!(app.detail(&admin_a, 21_408_301).await.status(), 200);
    assert_eq!(app.detail(&admin_b, 21_408_304).await.status(), 200);
    let list = |client: &reqwest::Client, pairs: Vec<(&str, String)>| {
        let form: Vec<(String, String)> = pairs
            .into_iter()
            .map(|(k, v)| (format!("query[{k}]"), v))
            .collect();
        let client = client.clone();
        let app = &app;
        async move {
            let form: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            json(app.call(&client, "audit/list", &form).await).await
        }
    };

    let first = list(&admin_a, vec![]).await;
    let rows = first["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 50);
    assert_eq!(rows[0]["member_id"], 21_408_301, "newest first");
    assert!(
        rows.iter().all(|r| r["actor"] == "Alex Morgan"),
        "each view names its admin: {:?}",
        rows[0]["actor"]
    );
    assert!(
        rows.iter().all(|r| r["member_id"] != 21_408_304),
        "only clinic A"
    );
    let next = first["next"].as_str().expect("older page").to_owned();
    let second = list(&admin_a, vec![("before", next)]).await;
    assert_eq!(second["rows"].as_array().unwrap().len(), 6);
    assert!(second["next"].is_null());

    let janes = list(
        &admin_a,
        vec![("member", JANE_ID.to_string()), ("action", "viewed".into())],
    )
    .await;
    assert_eq!(janes["rows"].as_array().unwrap().len(), 50);
    assert!(
        janes["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["member_id"] == JANE_ID)
    );
    let none = list(&admin_a, vec![("action", "created".into())]).await;
    assert!(none["rows"].as_array().unwrap().is_empty());
    let bad = app
        .call(&admin_a, "audit/list", &[("query[action]", "nope")])
        .await;
    assert_eq!(bad.status(), 422);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_users_page_opens_the_member_detail_from_its_url() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;

    let response = app
        .get(&client, "/admin/users?member=21408246&tab=other")
        .await;

    assert_eq!(response.status(), 200);
    let html = page_text(response).await;
    assert!(html.contains("MEMBER DETAIL: JANE GOMEZ"), "title");
    assert!(html.contains("Login detail"));
    assert!(html.contains("xxxxxxxxxxxx"));
    assert!(html.contains(r#"aria-selected="true""#));
}
