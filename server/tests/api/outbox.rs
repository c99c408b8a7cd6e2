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
    tokio::time::sleep(Duration::from_millis(400)).await;
    let failed_once = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::Attempts.gt(0))
        .all(&app.db)
        .await
        .unwrap();
    assert!(!failed_once.is_empty(), "the worker tried and failed");
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
