//! An account's life: status, passwords, reset and welcome links through real SMTP, and
//! deletion that leaves nothing behind. The outbox's own delivery is in `outbox`.

use std::time::Duration;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;

use app::entities::{mail_outbox, password_token, user};

use crate::helpers::*;

const PAT_ID: i64 = 21_408_302;

async fn save_status(
    app: &TestApp,
    client: &reqwest::Client,
    id: i64,
    status: &str,
) -> reqwest::Response {
    let version = json(app.detail(client, id).await).await["version"]
        .as_i64()
        .unwrap();
    app.call_json(
        client,
        "members/save_status",
        json!({"id": id, "version": version, "status": status}),
    )
    .await
}

/// Waits until every queued message is sent (or the time is up).
pub async fn drain_outbox(app: &TestApp, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let pending = tokio::time::timeout(
            Duration::from_secs(10),
            mail_outbox::Entity::find()
                .filter(mail_outbox::Column::Status.ne("sent"))
                .all(&app.db),
        )
        .await
        .expect("the outbox answers")
        .unwrap();
        if pending.is_empty() {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} messages still unsent",
            pending.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The set-password link in a message as the SMTP server received it.
fn link_in(data: &str) -> String {
    let unfolded = data.replace("=\r\n", "").replace("=3D", "=");
    let start = unfolded
        .find("/reset-password?token=")
        .expect("link in the message");
    let rest = &unfolded[start..];
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .unwrap_or(rest.len());
    rest[..end].to_owned()
}

/// Whether `client`'s session is gone (`auth/me` answers nobody).
async fn signed_out(app: &TestApp, client: &reqwest::Client) -> bool {
    json(app.call(client, "auth/me", &[]).await).await.is_null()
}

fn token_of(link: &str) -> String {
    link.split("token=").nth(1).unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspending_signs_the_member_out_and_refuses_sign_in_after_a_correct_password() {
    let app = spawn_mail_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let patient = app.signed_in(PATIENT_A).await;
    assert!(!signed_out(&app, &patient).await);

    let response = save_status(&app, &admin, PAT_ID, "suspended").await;

    assert_eq!(response.status(), 200);
    assert_eq!(json(response).await["status"], "Suspended");
    assert!(signed_out(&app, &patient).await, "signed out");
    let right = json(app.login(&app.client(), PATIENT_A, PASSWORD).await).await;
    assert_eq!(
        right["message"],
        "This account is not active. Please contact your clinic."
    );
    let wrong = json(
        app.login(&app.client(), PATIENT_A, "Wrong-Password-1")
            .await,
    )
    .await;
    let unknown = json(
        app.login(&app.client(), "nobody@example.com", "Wrong-Password-1")
            .await,
    )
    .await;
    assert_eq!(
        wrong, unknown,
        "a wrong password says nothing about the account"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_delete_schedules_deletion_and_active_restores_the_account_untouched() {
    let app = spawn_mail_app().await;
    let admin = app.signed_in(ADMIN_A).await;

    let pending = json(save_status(&app, &admin, PAT_ID, "pending_delete").await).await;
    assert_eq!(pending["status"], "PendingDelete");
    let delete_on = pending["delete_on"]
        .as_str()
        .expect("deletion date shown")
        .to_owned();
    let stored = user::Entity::find_by_id(PAT_ID)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let days = (stored.delete_after.unwrap() - app::db::now_ms()) as f64 / 86_400_000.0;
    assert!(
        (29.9..=30.0).contains(&days),
        "30-day grace period, got {days}"
    );
    // In the admin's zone (their profile's: Los Angeles).
    let zone = app::text::zone("America/Los_Angeles");
    assert_eq!(
        delete_on,
        app::text::format_time(stored.delete_after.unwrap(), &zone)
    );

    // The grace period runs out: had the account stayed pending, the purge would take it.
    app.db
        .execute_unprepared(&format!(
            "UPDATE users SET delete_after = 1 WHERE id = {PAT_ID}"
        ))
        .await
        .unwrap();
    let active = json(save_status(&app, &admin, PAT_ID, "active").await).await;
    assert_eq!(active["status"], "Active");
    assert!(active["delete_on"].is_null());
    assert_eq!(app.purge().await, 0, "an Active account is never purged");
    assert!(
        user::Entity::find_by_id(PAT_ID)
            .one(&app.db)
            .await
            .unwrap()
            .is_some_and(|u| u.delete_after.is_none()),
        "Active clears the deletion date"
    );
    assert_eq!(
        app.login(&app.client(), PATIENT_A, PASSWORD).await.status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_purge_deletes_accounts_past_their_grace_period_once_and_leaves_nothing() {
    let app = spawn_mail_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let _patient_session = app.signed_in(PATIENT_A).await;
    assert_eq!(
        save_status(&app, &admin, PAT_ID, "pending_delete")
            .await
            .status(),
        200
    );
    assert_eq!(app.purge().await, 0, "not yet due");
    app.db
        .execute_unprepared(&format!(
            "UPDATE users SET delete_after = 1 WHERE id = {PAT_ID}"
        ))
        .await
        .unwrap();

    let (a, b) = tokio::join!(app.purge(), app.purge());

    assert_eq!(a + b, 1, "deleted exactly once by two purges at once");
    assert_eq!(app.purge().await, 0, "safe to run again");
    assert_nothing_refers_to(&app, PAT_ID, "pat.patient@example.com").await;
}

/// Walks every table for rows that refer to `id`, and every column of every table for the
/// member's username; the audit trail keeps its events about the member, masked, ending
/// with the deletion.
async fn assert_nothing_refers_to(app: &TestApp, id: i64, username: &str) {
    // Every column of the schema that holds a user's ID, read from the database itself: a
    // table added later is walked too. Only the audit trail may still name the member.
    let mut walked = 0;
    for (table, column) in schema_columns(app).await {
        let refers = column.ends_with("user_id")
            || column == "member_id"
            || (table == "users" && column == "id");
        if !refers || table == "audit_events" {
            continue;
        }
        walked += 1;
        let count = count(
            app,
            &format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} = {id}"),
        )
        .await;
        assert_eq!(count, 0, "{table}.{column} still refers to the member");
    }
    assert!(walked >= 8, "walked {walked} columns");
    assert_eq!(where_found(app, username).await, Vec::<String>::new());
    let events = app.audit_of(id).await;
    assert_eq!(events.last().expect("the trail is kept").0, "deleted");
    for (_, changes) in &events {
        let text = changes.to_string();
        assert!(
            !text.contains(username) && !text.contains("Patient"),
            "no personal value kept: {text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_needs_the_username_typed_and_removes_everything_in_one_go() {
    let app = spawn_mail_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let _patient_session = app.signed_in(PATIENT_A).await;
    app.db
        .execute_unprepared(&format!(
            "INSERT INTO visits (clinic_id, room_id, user_id, reason, status, entered_at) VALUES (1, 1, {PAT_ID}, 'Cough', 'completed', 1), (1, 1, {PAT_ID}, 'Rash', 'left', 2)"
        ))
        .await
        .unwrap();
    // One of everything else a member can have: a changed password (history), a live
    // reset link with its mail, and a message still queued (the SMTP server is down).
    app.smtp.down();
    let set = app
        .call_json(
            &admin,
            "members/set_password",
            json!({"id": PAT_ID, "password": "Fresh-Harbor-19", "confirm_password": "Fresh-Harbor-19", "sign_out_everywhere": false}),
        )
        .await;
    assert_eq!(set.status(), 200);
    let sent = app
        .call(&admin, "members/send_reset", &[("id", &PAT_ID.to_string())])
        .await;
    assert_eq!(sent.status(), 200);
    for table in [
        "password_tokens",
        "password_history",
        "mail_outbox",
        "sessions",
        "visits",
        "user_rooms",
    ] {
        let rows = count(
            &app,
            &format!("SELECT COUNT(*) AS n FROM {table} WHERE user_id = {PAT_ID}"),
        )
        .await;
        assert!(rows > 0, "{table}: the member has one before the deletion");
    }
    let preview = json(
        app.call(
            &admin,
            "members/delete_preview",
            &[("id", &PAT_ID.to_string())],
        )
        .await,
    )
    .await;
    assert_eq!(preview["visits"], 2);
    assert_eq!(preview["username"], "pat.patient@example.com");

    let wrong = app.delete_member(&admin, PAT_ID, "pat").await;
    assert_eq!(wrong.status(), 422);
    assert!(
        user::Entity::find_by_id(PAT_ID)
            .one(&app.db)
            .await
            .unwrap()
            .is_some()
    );
    let other_clinic = app.signed_in(ADMIN_B).await;
    let theirs = app
        .delete_member(&other_clinic, PAT_ID, "pat.patient@example.com")
        .await;
    assert_eq!(theirs.status(), 404);

    let done = app
        .delete_member(&admin, PAT_ID, "PAT.PATIENT@example.com")
        .await;

    assert_eq!(done.status(), 200);
    assert_nothing_refers_to(&app, PAT_ID, "pat.patient@example.com").await;
    let listed = json(app.list_members(&admin, "pat").await).await;
    assert_eq!(listed["rows"].as_array().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_password_follows_the_policy_and_history_and_signs_out_when_asked() {
    let app = spawn_mail_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let patient = app.signed_in(PATIENT_A).await;
    let set = |password: &str, sign_out: bool| {
        app.call_json(
            &admin,
            "members/set_password",
            json!({"id": PAT_ID, "password": password, "confirm_password": password, "sign_out_everywhere": sign_out}),
        )
    };

    assert_eq!(set("weak", true).await.status(), 422);
    // The fixture's password is the current one; the history is seeded by set_password.
    assert_eq!(set("Fresh-Harbor-77", false).await.status(), 200);
    assert!(!signed_out(&app, &patient).await, "still signed in");
    let reuse = set("Fresh-Harbor-77", true).await;
    assert_eq!(reuse.status(), 422);
    assert!(
        json(reuse).await["message"]
            .as_str()
            .unwrap()
            .contains("used recently")
    );
    assert_eq!(set("Other-Harbor-78", true).await.status(), 200);
    assert!(signed_out(&app, &patient).await, "signed out everywhere");
    assert_eq!(
        app.login(&app.client(), PATIENT_A, "Other-Harbor-78")
            .await
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_email_arrives_and_its_link_sets_the_password_once() {
    let app = spawn_mail_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let patient = app.signed_in(PATIENT_A).await;

    let sent = app
        .call(&admin, "members/send_reset", &[("id", &PAT_ID.to_string())])
        .await;
    assert_eq!(sent.status(), 200);
    drain_outbox(&app, Duration::from_secs(10)).await;
    let messages = app.smtp.messages();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].to[0].contains(PATIENT_A));
    assert!(messages[0].data.contains("Clinic Portal"));
    assert!(
        messages[0].data.contains("multipart/alternative"),
        "text and HTML parts"
    );
    let link = link_in(&messages[0].data);
    let token = token_of(&link);
    let stored = password_token::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let hours = (stored.expires_at - stored.created_at) / 3_600_000;
    assert_eq!(hours, 72, "an admin's link lasts 72 hours");
    assert_ne!(stored.token_hash, token, "stored hashed");

    let page = app.get(&app.client(), &app.local(&link)).await;
    assert_eq!(page.status(), 200);
    assert!(page_text(page).await.contains("Set Password Now"));
    let reset = |password: &'static str| {
        let token = token.clone();
        let app = &app;
        async move {
            app.call(
                &app.client(),
                "auth/reset",
                &[
                    ("token", &token),
                    ("password", password),
                    ("confirm_password", password),
                ],
            )
            .await
        }
    };
    assert_eq!(reset("New-Harbor-55").await.status(), 200);
    assert!(signed_out(&app, &patient).await, "other sessions end");
    let reused = reset("Another-Harbor-56").await;
    assert_eq!(reused.status(), 422, "single use");
    assert_eq!(
        app.login(&app.client(), PATIENT_A, "New-Harbor-55")
            .await
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_links_and_links_older_than_a_password_change_are_refused() {
    let app = spawn_mail_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    for _ in 0..2 {
        app.call(&admin, "members/send_reset", &[("id", &PAT_ID.to_string())])
            .await;
    }
    drain_outbox(&app, Duration::from_secs(10)).await;
    let messages = app.smtp.messages();
    let (first, second) = (
        token_of(&link_in(&messages[0].data)),
        token_of(&link_in(&messages[1].data)),
    );
    let use_link = |token: String, password: &'static str| {
        let app = &app;
        async move {
            app.call(
                &app.client(),
                "auth/reset",
                &[
                    ("token", &token),
                    ("password", password),
                    ("confirm_password", password),
                ],
            )
            .await
        }
    };

    app.db
        .execute_unprepared("UPDATE password_tokens SET expires_at = 1 WHERE id = 1")
        .await
        .unwrap();
    assert_eq!(
        use_link(first, "New-Harbor-55").await.status(),
        422,
        "expired"
    );
    // A password set another way kills the outstanding link.
    let set = app
        .call_json(&admin, "members/set_password", json!({"id": PAT_ID, "password": "Set-By-Admin-9", "confirm_password": "Set-By-Admin-9", "sign_out_everywhere": true}))
        .await;
    assert_eq!(set.status(), 200);
    assert_eq!(
        use_link(second, "New-Harbor-55").await.status(),
        422,
        "dead after a password change"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgot_password_answers_the_same_for_known_and_unknown_accounts() {
    let app = spawn_mail_app().await;

    let known = app
        .call(&app.client(), "auth/forgot", &[("identifier", PATIENT_A)])
        .await;
    let unknown = app
        .call(
            &app.client(),
            "auth/forgot",
            &[("identifier", "nobody@example.com")],
        )
        .await;

    assert_eq!(known.status(), unknown.status());
    assert_eq!(
        known.headers().get("location"),
        unknown.headers().get("location")
    );
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
    drain_outbox(&app, Duration::from_secs(10)).await;
    let messages = app.smtp.messages();
    assert_eq!(messages.len(), 1, "only the known account gets mail");
    let stored = password_token::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.expires_at - stored.created_at,
        3_600_000,
        "the patient's own link lasts 1 hour"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_created_without_a_password_gets_a_welcome_link() {
    let app = spawn_mail_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let room = app.room_id("jessica").await;

    let created = app
        .create_member(&admin, new_member(1, room, "welcome.me@example.com"))
        .await;

    assert_eq!(created.status(), 200);
    drain_outbox(&app, Duration::from_secs(10)).await;
    let messages = app.smtp.messages();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].data.contains("Welcome to Clinic Portal"));
    let token = token_of(&link_in(&messages[0].data));
    let set = app
        .call(
            &app.client(),
            "auth/reset",
            &[
                ("token", &token),
                ("password", "Welcome-Harbor-1"),
                ("confirm_password", "Welcome-Harbor-1"),
            ],
        )
        .await;
    assert_eq!(set.status(), 200);
    assert_eq!(
        app.login(&app.client(), "welcome.me@example.com", "Welcome-Harbor-1")
            .await
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_of_the_members_clinic_manage_its_lifecycle() {
    let app = spawn_mail_app().await;
    let patient = app.signed_in(PATIENT_A).await;
    let other = app.signed_in(ADMIN_B).await;
    let anonymous = app.client();
    let id = JANE_ID.to_string();

    for (client, expected) in [(&anonymous, 401), (&patient, 403), (&other, 404)] {
        let status = app
            .call_json(
                client,
                "members/save_status",
                json!({"id": JANE_ID, "version": 1, "status": "suspended"}),
            )
            .await
            .status();
        assert_eq!(status, expected);
        assert_eq!(
            app.call(client, "members/send_reset", &[("id", &id)])
                .await
                .status(),
            expected
        );
        let delete = app
            .delete_member(client, JANE_ID, "jane.gomez@me.com")
            .await;
        assert_eq!(delete.status(), expected);
    }
    let jane = user::Entity::find_by_id(JANE_ID)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(jane.status.key(), "active");
    assert_eq!(
        mail_outbox::Entity::find()
            .filter(mail_outbox::Column::UserId.eq(JANE_ID))
            .all(&app.db)
            .await
            .unwrap()
            .len(),
        0
    );
}
