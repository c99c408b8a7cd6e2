//! Brakes on guessing and oversized requests: proven against the running server.

use std::time::Duration;

use app::auth::throttle::{Limits, Rate};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use app::entities::mail_outbox;

use crate::helpers::*;

fn limits(failures: u32, posts: u32, mails: u32) -> Limits {
    Limits {
        sign_in_failures: Rate {
            burst: failures,
            every: Duration::from_millis(1_500),
        },
        account_failures: Limits::default().account_failures,
        second_step_failures: Limits::default().second_step_failures,
        public_posts: Rate {
            burst: posts,
            every: Duration::from_secs(600),
        },
        mail_per_address: Rate {
            burst: mails,
            every: Duration::from_secs(600),
        },
        guest_entries: Limits::default().guest_entries,
        guests_waiting_per_room: 50,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_hold_known_and_unknown_accounts_alike_and_then_let_go() {
    let app = spawn_app_with_limits(limits(3, 1_000, 100)).await;
    let client = app.client();
    for username in [PATIENT_A, "nobody@example.com"] {
        for attempt in 1..=3 {
            let wrong = app.login(&client, username, "Wrong-Password-1").await;
            assert_eq!(
                wrong.status(),
                422,
                "{username}: failure {attempt} is answered"
            );
        }
        let held = app.login(&client, username, PASSWORD).await;
        assert_eq!(
            held.status(),
            429,
            "{username}: held after the burst, right password or not"
        );
    }
    assert_eq!(
        app.login(&client, ADMIN_A, PASSWORD).await.status(),
        200,
        "other accounts sign in as usual"
    );

    tokio::time::sleep(Duration::from_millis(1_700)).await;
    assert_eq!(
        app.login(&client, PATIENT_A, PASSWORD).await.status(),
        200,
        "the hold ends: no one is locked out for good"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_forms_are_braked_per_client_address() {
    let app = spawn_app_with_limits(limits(100, 3, 100)).await;
    let client = app.client();
    for _ in 0..3 {
        let asked = app
            .call(
                &client,
                "auth/forgot",
                &[("identifier", "someone@example.com")],
            )
            .await;
        assert_eq!(asked.status(), 200);
    }
    let braked = app
        .call(
            &client,
            "auth/forgot",
            &[("identifier", "someone@example.com")],
        )
        .await;
    assert_eq!(braked.status(), 429);
    let guest = app
        .call(
            &client,
            "patients/enter",
            &[
                ("slug", "jessica"),
                ("first_name", "Lee"),
                ("last_name", "Park"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(
        guest.status(),
        429,
        "every public form shares the address's rate"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_forms_send_one_address_only_so_much_mail() {
    let app = spawn_app_with_limits(limits(100, 1_000, 2)).await;
    let client = app.client();
    for _ in 0..5 {
        let asked = app
            .call(&client, "auth/forgot", &[("identifier", PATIENT_A)])
            .await;
        assert_eq!(asked.status(), 200, "the answer never changes");
    }
    let sent = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::ToAddress.eq(PATIENT_A))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(sent, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_refused_with_413() {
    let app = spawn_app().await;
    let huge = "x".repeat(70 * 1024);
    let response = app
        .call(
            &app.client(),
            "auth/login",
            &[("username", &huge), ("password", "x")],
        )
        .await;
    assert_eq!(response.status(), 413);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_allow_only_their_own_scripts_and_nothing_else_runs_anything() {
    let app = spawn_app().await;
    let client = app.client();
    let mut nonces = Vec::new();
    for path in ["/login", "/u/jessica", "/u/jessica/sign-up"] {
        let page = app.get(&client, path).await;
        let policy = page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(policy.contains("object-src 'none'"), "{policy}");
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("a nonce in the policy")
            .to_owned();
        assert!(nonce.len() >= 22, "at least 128 bits: {nonce}");
        let html = page.text().await.unwrap();
        let scripts = html.matches("<script").count();
        assert!(scripts >= 1, "{path} has its hydration script");
        assert_eq!(
            html.matches(&format!("<script nonce=\"{nonce}\"")).count()
                + html
                    .matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
                    .count(),
            scripts,
            "{path}: every inline script carries this response's nonce"
        );
        nonces.push(nonce);
    }
    nonces.dedup();
    assert_eq!(nonces.len(), 3, "a fresh nonce for every response");

    let api = app.call(&client, "auth/me", &[]).await;
    assert_eq!(
        api.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_static_security_headers() {
    let app = spawn_app().await;
    let client = app.client();
    let answers = [
        ("a page", app.get(&client, "/login").await),
        ("a server function", app.call(&client, "auth/me", &[]).await),
        ("a missing file", app.get(&client, "/pkg/none.wasm").await),
        (
            "a refused host",
            client
                .get(app.url("/login"))
                .header(reqwest::header::HOST, "evil.example")
                .send()
                .await
                .unwrap(),
        ),
    ];
    for (what, answer) in answers {
        let headers = answer.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(headers["x-frame-options"], "DENY", "{what}");
        assert_eq!(
            headers["referrer-policy"], "strict-origin-when-cross-origin",
            "{what}"
        );
    }
}
