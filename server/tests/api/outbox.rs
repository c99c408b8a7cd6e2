//! The mail outbox against a real SMTP server: mail queued while it is down is delivered
//! once it is back, and two workers on one database send each message once.

use std::time::Duration;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use app::entities::mail_outbox;

use crate::helpers::*;
use crate::lifecycle::drain_outbox;
use crate::smtp::SmtpServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_queued_while_smtp_is_down_is_delivered_once_after_a_restart() {
    let mut app = spawn_app_with_smtp(SmtpServer::reserve().await).await;
    let admin = app.signed_in(ADMIN_A).await;
    app.add_members(100, 21_500_000, "Reset", "Person", JANE_SIGNED_UP)
        .await;

    for id in 21_500_000..21_500_100 {
        let response = app
            .call(&admin, "members/send_reset", &[("id", &id.to_string())])
            .await;
        assert_eq!(
            response.status(),
            200,
            "queued even with the mail server down"
        );
    }
    // Until the worker has tried and failed (no fixed wait: a busy machine takes longer).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let failed_once = loop {
        let failed = mail_outbox::Entity::find()
            .filter(mail_outbox::Column::Attempts.gt(0))
            .all(&app.db)
            .await
            .unwrap();
        if !failed.is_empty() {
            break failed;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the worker tried and failed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // A message may be in flight at this instant (claimed, its failure not yet written).
    assert!(
        failed_once.iter().all(|m| m.status == "pending"),
        "none given up"
    );
    assert!(
        failed_once.iter().any(|m| m.last_error.is_some()),
        "the last error is kept"
    );

    app.restart_worker();
    app.smtp.up().await;
    drain_outbox(&app, Duration::from_secs(30)).await;

    let messages = app.smtp.messages();
    assert_eq!(messages.len(), 100);
    let mut to: Vec<String> = messages.iter().map(|m| m.to[0].clone()).collect();
    to.sort();
    to.dedup();
    assert_eq!(to.len(), 100, "each delivered exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_on_one_database_send_each_message_once() {
    let mut app = spawn_mail_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    app.add_members(60, 21_600_000, "Two", "Workers", JANE_SIGNED_UP)
        .await;
    app.stop_worker();
    for id in 21_600_000..21_600_060 {
        app.call(&admin, "members/send_reset", &[("id", &id.to_string())])
            .await;
    }

    app.start_workers(2);
    drain_outbox(&app, Duration::from_secs(30)).await;

    let messages = app.smtp.messages();
    assert_eq!(messages.len(), 60, "no message sent twice, none lost");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_failure_doubles_the_wait_and_the_last_allowed_one_gives_up() {
    // No worker of the app's own: this test runs the worker's rounds itself.
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let sent = app
        .call(&admin, "members/send_reset", &[("id", "21408302")])
        .await;
    assert_eq!(sent.status(), 200);
    let down = SmtpServer::reserve().await;
    let mailer = app::mail::mailer::Mailer::smtp(&down.url(), "F <f@x.test>").unwrap();
    let settings = app::mail::outbox::OutboxSettings {
        first_retry_ms: 1_000,
        max_retry_ms: 60_000,
        max_attempts: 3,
        ..Default::default()
    };
    let mut waits = Vec::new();
    for _ in 0..3 {
        let sent = app::mail::outbox::run_once(&app.db, &mailer, &settings)
            .await
            .unwrap();
        assert_eq!(sent, 0);
        let row = mail_outbox::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        waits.push((row.status.clone(), row.next_attempt_at - app::db::now_ms()));
        // Due again at once, as if the wait had passed.
        use sea_orm::ConnectionTrait;
        app.db
            .execute_unprepared("UPDATE mail_outbox SET next_attempt_at = 0")
            .await
            .unwrap();
    }
    let statuses: Vec<&str> = waits.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(statuses, ["pending", "pending", "failed"]);
    // Waits of about 1 s, then 2 s (a little less, for the time the round took).
    assert!((800..=1_000).contains(&waits[0].1), "{waits:?}");
    assert!((1_800..=2_000).contains(&waits[1].1), "{waits:?}");
    let given_up = mail_outbox::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(given_up.last_error.is_some(), "why is kept");
    assert!(
        given_up.text_body.is_empty() && given_up.to_address.is_empty(),
        "a message given up keeps no link and no address"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_served_process_runs_the_outbox_and_the_once_a_minute_purge_by_itself() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let sent = app
        .call(&admin, "members/send_reset", &[("id", "21408303")])
        .await;
    assert_eq!(sent.status(), 200);
    // Pat's grace period is over.
    app.db
        .execute_unprepared(
            "UPDATE users SET status = 'pending_delete', delete_after = 1 WHERE id = 21408302",
        )
        .await
        .unwrap();
    let smtp = SmtpServer::start().await;
    let mailer = app::mail::mailer::Mailer::smtp(&smtp.url(), "F <f@x.test>").unwrap();

    let background = server::start_background(app.db.clone(), mailer, false, app.url("")).unwrap();

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let gone = count(&app, "SELECT COUNT(*) AS n FROM users WHERE id = 21408302").await == 0;
        if gone && smtp.messages().len() == 1 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "within 10 s: purged {gone}, mail {}",
            smtp.messages().len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for task in background {
        task.abort();
    }
}
