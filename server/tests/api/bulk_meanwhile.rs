//! Bulk actions and what changes while they wait or run: a member saved by someone else,
//! the server stopping, the admin losing their rights, a room closed, a member deleted,
//! members joining or changing after a view's action was confirmed.

use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::bulk::*;
use crate::database::count;
use crate::helpers::*;

/// Marks action `id` confirmed on a server that stopped at once: `state`, no lease, the
/// newest member now the last a view lists.
async fn confirmed_elsewhere(app: &TestApp, id: i64, state: &str) {
    app.db
        .execute_unprepared(&format!(
            "UPDATE bulk_actions SET state = '{state}', started_at = {}, \
             last_member_id = (SELECT MAX(id) FROM users) WHERE id = {id}",
            app::db::now_ms()
        ))
        .await
        .unwrap();
}

/// Runs `statement` on the test's database: what no screen does (a server stopping, a
/// clock moving).
async fn sql(app: &TestApp, statement: &str) {
    app.db.execute_unprepared(statement).await.unwrap();
}

/// A column of action `id`, read from the database.
async fn action_field(app: &TestApp, id: i64, column: &str) -> i64 {
    count(
        app,
        &format!("SELECT {column} AS n FROM bulk_actions WHERE id = {id}"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_changed_after_the_selection_is_reported_not_overwritten() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let other_admin = app.signed_in(ADMIN_A).await;
    let id = prepared_id(
        &app,
        &admin,
        json!({"kind": "pending_delete", "room_id": null, "scope": {"Picked": [SAM, BOB]}}),
    )
    .await;
    // Another session suspends Bob by hand in between.
    let bob = json(app.detail(&other_admin, BOB).await).await;
    let saved = app
        .call_json(
            &other_admin,
            "members/save_status",
            json!({"id": BOB, "version": bob["version"], "status": "suspended"}),
        )
        .await;
    assert_eq!(saved.status(), 200);
    app.call(&admin, "members/bulk/confirm", &[("id", &id.to_string())])
        .await;
    let p = finished(&app, &admin, id).await;
    assert_eq!(p["changed"], 1);
    assert_eq!(p["conflicts"], 1);
    assert_eq!(p["conflicted"][0]["id"], BOB);
    assert_eq!(
        p["conflicted"][0]["name"], "<b>Bob</b> O'Tag & Co",
        "as stored, unescaped"
    );
    assert_eq!(status_of(&app, SAM).await, "pending_delete");
    assert_eq!(status_of(&app, BOB).await, "suspended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_whose_server_stopped_is_taken_up_after_its_lease() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let id = prepared_id(
        &app,
        &admin,
        json!({"kind": "suspend", "room_id": null, "scope": {"Picked": [SAM, BOB]}}),
    )
    .await;
    // Confirmed on a server that stopped at once: running, its lease still held.
    let now = app::db::now_ms();
    sql(&app, &format!(
            "UPDATE bulk_actions SET state = 'running', runner = 'gone', lease_until = {} WHERE id = {id}",
            now + 60_000
        )).await;
    let url = app.url("");
    assert_eq!(
        app::members::server::bulk_work::resume_abandoned(&app.db, &url)
            .await
            .unwrap(),
        0
    );
    assert_eq!(status_of(&app, SAM).await, "active");
    sql(
        &app,
        &format!(
            "UPDATE bulk_actions SET lease_until = {} WHERE id = {id}",
            now - 1
        ),
    )
    .await;
    assert_eq!(
        app::members::server::bulk_work::resume_abandoned(&app.db, &url)
            .await
            .unwrap(),
        1
    );
    let p = finished(&app, &admin, id).await;
    assert_eq!(p["changed"], 2);
    assert_eq!(status_of(&app, SAM).await, "suspended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_suspended_meanwhile_changes_no_one_more() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let id = prepared_id(
        &app,
        &admin,
        json!({"kind": "suspend", "room_id": null, "scope": {"Picked": [SAM, BOB]}}),
    )
    .await;
    confirmed_elsewhere(&app, id, "running").await;
    sql(
        &app,
        &format!("UPDATE users SET status = 'suspended' WHERE id = {ADMIN_A_ID}"),
    )
    .await;
    app::members::server::bulk_work::run(&app.db, &app.url(""), id)
        .await
        .unwrap();
    assert_eq!(status_of(&app, SAM).await, "active");
    assert_eq!(status_of(&app, BOB).await, "active");
    assert_eq!(action_field(&app, id, "gone").await, 2);
    assert_eq!(action_field(&app, id, "done").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_closed_before_the_members_turn_is_not_joined() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let jessica = app.room_id("jessica").await;
    let id = prepared_id(
        &app,
        &admin,
        json!({"kind": "add_room", "room_id": jessica, "scope": {"Picked": [JOSE]}}),
    )
    .await;
    let closed = app.close_room(&admin, &jessica.to_string()).await;
    assert_eq!(closed.status(), 200);
    confirmed_elsewhere(&app, id, "running").await;
    app::members::server::bulk_work::run(&app.db, &app.url(""), id)
        .await
        .unwrap();
    let p = finished(&app, &admin, id).await;
    assert_eq!(p["refused"], 1);
    assert_eq!(
        p["refused_members"][0][1],
        "The room was closed before this member's turn."
    );
    assert_eq!(
        count(&app, &format!("SELECT COUNT(*) AS n FROM user_rooms WHERE user_id = {JOSE} AND room_id = {jessica}")).await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_deleted_before_their_turn_counts_as_gone() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let id = prepared_id(
        &app,
        &admin,
        json!({"kind": "suspend", "room_id": null, "scope": {"Picked": [SAM, BOB]}}),
    )
    .await;
    let deleted = app.delete_member(&admin, BOB, "bob.tags@example.com").await;
    assert_eq!(deleted.status(), 200);
    app.call(&admin, "members/bulk/confirm", &[("id", &id.to_string())])
        .await;
    let p = finished(&app, &admin, id).await;
    assert_eq!(
        (p["total"].as_i64(), p["done"].as_i64()),
        (Some(2), Some(2))
    );
    assert_eq!(
        (p["changed"].as_i64(), p["gone"].as_i64()),
        (Some(1), Some(1))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_holds_its_members_as_confirmed() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let jessica = app.room_id("jessica").await;
    let view = json!({"q": "gomez", "type": "member", "status": "", "room": "", "sort": "",
        "dir": "", "size": "", "after": "", "before": ""});
    let id = prepared_id(
        &app,
        &admin,
        json!({"kind": "suspend", "room_id": null, "scope": {"View": view}}),
    )
    .await;
    // The search's text is kept nowhere: a patient's name, maybe.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM bulk_actions WHERE scope LIKE '%gomez%'"
        )
        .await,
        0
    );
    confirmed_elsewhere(&app, id, "selecting").await;
    // After the confirmation: a new Gomez joins, and José's profile is saved.
    let newcomer = json(
        app.create_member(&admin, new_member(1, jessica, "new.gomez@example.com"))
            .await,
    )
    .await
    .as_i64()
    .unwrap();
    sql(
        &app,
        &format!(
            "UPDATE users SET updated_at = {}, version = version + 1 WHERE id = {JOSE}",
            app::db::now_ms() + 1
        ),
    )
    .await;
    app::members::server::bulk_work::run(&app.db, &app.url(""), id)
        .await
        .unwrap();
    let p = finished(&app, &admin, id).await;
    // Jane (clinic A) was there and unchanged since: suspended. José: reported.
    assert_eq!(status_of(&app, JANE_ID).await, "suspended");
    assert_eq!(status_of(&app, JOSE).await, "active");
    assert_eq!(p["conflicted"][0]["id"], JOSE);
    assert_eq!(status_of(&app, newcomer).await, "active");
    // Confirmed for real, the action's audit event does not hold the search either.
    let again = start(&app, &admin, "reactivate", None, json!({"View": view})).await;
    finished(&app, &admin, again).await;
    let events = count(
        &app,
        "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'bulk_action'",
    )
    .await;
    assert_eq!(events, 1);
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'bulk_action' AND changes LIKE '%gomez%'").await,
        0
    );
}
