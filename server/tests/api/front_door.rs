//! The front door, against the running server: the host a request names, the address the
//! brakes count by (behind a proxy or not), HSTS, and a NUL in any field.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HOST};

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_naming_another_host_is_refused() {
    let app = spawn_app().await;
    let client = app.client();
    for (host, expected) in [
        ("evil.example", StatusCode::MISDIRECTED_REQUEST),
        (
            "frontdesk.test.evil.example",
            StatusCode::MISDIRECTED_REQUEST,
        ),
        ("frontdesk.test", StatusCode::OK),
        ("localhost:3000", StatusCode::OK),
    ] {
        let answer = client
            .get(app.url("/login"))
            .header(HOST, host)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), expected, "Host: {host}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hsts_is_sent_when_the_public_url_is_https() {
    let app = spawn_app().await;
    let plain = app.client().get(app.url("/login")).send().await.unwrap();
    assert!(plain.headers().get("strict-transport-security").is_none());
    let https = app
        .serve_another(|s| s.public_url = Some("https://frontdesk.test".into()))
        .await;
    let answer = app
        .client()
        .get(format!("http://{https}/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
}

/// Six wrong passwords for one account, each said to be forwarded for `forwarded[i]`;
/// returns the statuses.
async fn guesses(addr: std::net::SocketAddr, forwarded: &[&str]) -> Vec<u16> {
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for f in forwarded {
        let answer = client
            .post(format!("http://{addr}/api/auth/login"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("x-forwarded-for", *f)
            .body(format!("username={PATIENT_A}&password=Wrong-Password-1"))
            .send()
            .await
            .unwrap();
        statuses.push(answer.status().as_u16());
    }
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_forwarded_for_names_the_client_only_behind_a_trusted_proxy() {
    let app = spawn_app().await;
    // Not trusted: every guess counts against the peer, whatever the header says.
    let forged: Vec<String> = (1..=6).map(|n| format!("198.51.100.{n}")).collect();
    let forged: Vec<&str> = forged.iter().map(String::as_str).collect();
    assert_eq!(
        guesses(app.addr, &forged).await,
        [422, 422, 422, 422, 422, 429]
    );

    // Behind a trusted proxy: each forwarded client has its own allowance.
    let proxied = app
        .serve_another(|s| s.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()])
        .await;
    let one = ["203.0.113.7"; 6];
    assert_eq!(guesses(proxied, &one).await, [422, 422, 422, 422, 422, 429]);
    assert_eq!(
        guesses(proxied, &["203.0.113.8"]).await,
        [422],
        "another client behind the proxy is not held"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_in_any_field_is_a_message_not_a_500() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    for (client, endpoint, form, field) in [
        (&admin, "members/list", vec![("q", "jo\0e")], "q"),
        (
            &app.client(),
            "auth/login",
            vec![("username", "a\0b"), ("password", "x")],
            "username",
        ),
        (
            &app.client(),
            "auth/forgot",
            vec![("identifier", "\0")],
            "identifier",
        ),
    ] {
        let answer = app.call(client, endpoint, &form).await;
        assert_eq!(answer.status(), 422, "{endpoint}");
        assert_eq!(rejected_fields(&json(answer).await), [field], "{endpoint}");
    }
    let json_nul = app
        .call_json(
            &admin,
            "members/create",
            serde_json::json!({"member": {"first_name": "A\u{0}"}}),
        )
        .await;
    assert_eq!(json_nul.status(), 422);
    assert_eq!(rejected_fields(&json(json_nul).await), ["first_name"]);
    let page = app.get(&admin, "/admin/users?q=jo%00e").await;
    assert_eq!(page.status(), 400);
}
