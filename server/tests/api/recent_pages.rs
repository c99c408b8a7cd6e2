//! Users-table pages kept in memory under their clinics' member versions: a view read again
//! is answered without a query until something it shows changes, and then never stale.

use sea_orm::{ConnectionTrait, DbBackend};

use crate::helpers::*;

async fn run(app: &TestApp, sql: &str) {
    app.db.execute_unprepared(sql).await.expect(sql);
}

/// The first page of clinic A, as the admin's browser gets it.
async fn first_page(app: &TestApp, client: &reqwest::Client) -> serde_json::Value {
    let response = app.list(client, &[]).await;
    assert_eq!(response.status(), 200);
    json(response).await
}

/// Makes a change in the database, then reads the first page again.
async fn after(app: &TestApp, client: &reqwest::Client, sql: &str) -> serde_json::Value {
    run(app, sql).await;
    first_page(app, client).await
}

fn row(page: &serde_json::Value, id: i64) -> Option<serde_json::Value> {
    page["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["id"] == id)
        .cloned()
}

fn jane(page: &serde_json::Value) -> serde_json::Value {
    row(page, JANE_ID).expect("Jane on the first page")
}

/// Each change is made the way another server sharing the database would make it; the very
/// next read of the same view shows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_read_again_shows_every_change_made_since() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let before = first_page(&app, &admin).await;
    assert_eq!(first_page(&app, &admin).await, before, "nothing changed");
    assert_eq!(jane(&before)["first_name"], "Jane");

    let page = after(
        &app,
        &admin,
        &format!("UPDATE users SET first_name = 'Janet' WHERE id = {JANE_ID}"),
    )
    .await;
    assert_eq!(jane(&page)["first_name"], "Janet");

    let page = after(
        &app,
        &admin,
        "UPDATE rooms SET name = 'Laynes Family Clinic' WHERE slug = 'jessica'",
    )
    .await;
    assert_eq!(jane(&page)["rooms"][0]["name"], "Laynes Family Clinic");

    let page = after(
        &app,
        &admin,
        &format!("DELETE FROM user_rooms WHERE user_id = {JANE_ID}"),
    )
    .await;
    assert_eq!(jane(&page)["rooms"], serde_json::json!([]));

    // A sign-in's new last login alone keeps the clinic's pages (the migration says why)…
    let patient = 21_408_302;
    let kept = first_page(&app, &admin).await;
    assert_eq!(
        row(&kept, patient).expect("Pat")["last_login"],
        serde_json::Value::Null
    );
    let signed_in = app.login(&app.client(), PATIENT_A, PASSWORD).await;
    assert_eq!(signed_in.status(), 200);
    assert_eq!(first_page(&app, &admin).await, kept);
    // … and the next change shows it with everything else.
    let page = after(
        &app,
        &admin,
        &format!("UPDATE users SET status = 'suspended' WHERE id = {JANE_ID}"),
    )
    .await;
    assert_eq!(jane(&page)["status"], "Suspended");
    assert_ne!(
        row(&page, patient).expect("Pat")["last_login"],
        serde_json::Value::Null
    );

    let count = page["count"].as_u64().expect("count");
    let page = after(&app, &admin, "DELETE FROM users WHERE id = 21408303").await;
    assert!(row(&page, 21_408_303).is_none(), "a deleted member is gone");
    assert_eq!(page["count"].as_u64(), Some(count - 1));
}

/// The page really comes from memory: with the database's trigger for member updates
/// removed, a rename goes unseen until another change moves the clinic's version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_read_again_is_answered_from_memory_until_its_version_moves() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let before = first_page(&app, &admin).await;
    run(
        &app,
        match app.db.get_database_backend() {
            DbBackend::Postgres => "DROP TRIGGER member_versions_users_update ON users",
            _ => "DROP TRIGGER member_versions_users_update",
        },
    )
    .await;

    run(
        &app,
        &format!("UPDATE users SET first_name = 'Janet' WHERE id = {JANE_ID}"),
    )
    .await;
    assert_eq!(
        first_page(&app, &admin).await,
        before,
        "answered from memory"
    );
    // Another clinic's admin reads their own page, which is not the same view.
    let other = app.signed_in(ADMIN_B).await;
    assert!(row(&first_page(&app, &other).await, JANE_ID).is_none());

    let page = after(
        &app,
        &admin,
        "UPDATE rooms SET name = 'Laynes Family Clinic' WHERE slug = 'jessica'",
    )
    .await;
    assert_eq!(jane(&page)["first_name"], "Janet");
    assert_eq!(jane(&page)["rooms"][0]["name"], "Laynes Family Clinic");
}

/// Two servers over one database, each keeping its own pages: a status saved through one
/// shows at once in the other's kept view.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_saved_through_one_server_shows_at_once_on_another() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let other = listener.local_addr().expect("addr");
    let router = app.another_router();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .expect("serve");
    });
    let list_on_other = || async {
        let response = admin
            .post(format!("http://{other}/api/members/list"))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body("")
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        json(response).await
    };
    let kept = list_on_other().await;
    assert_eq!(jane(&kept)["status"], "Active");
    assert_eq!(list_on_other().await, kept);

    let version = json(app.detail(&admin, JANE_ID).await).await["version"].clone();
    let saved = app
        .call_json(
            &admin,
            "members/save_status",
            serde_json::json!({"id": JANE_ID, "version": version, "status": "suspended"}),
        )
        .await;
    assert_eq!(saved.status(), 200);

    assert_eq!(jane(&list_on_other().await)["status"], "Suspended");
}
