//! Signing in and out, session cookies, and what anonymous callers get.

use reqwest::header::{COOKIE, LOCATION};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::helpers::*;
use app::entities::session;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_with_the_right_password_starts_a_session() {
    let app = spawn_app().await;
    let client = app.client();

    let response = app.login(&client, ADMIN_A, PASSWORD).await;

    assert_eq!(response.status(), 200);
    assert_eq!(
        response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok()),
        Some("/admin/users")
    );
    let cookies = set_cookies(response.headers());
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    let cookie = &cookies[0];
    assert!(cookie.starts_with("frontdesk_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain-HTTP localhost cookie: {cookie}"
    );
    assert_eq!(
        session::Entity::find().count(&app.db).await.expect("count"),
        1
    );

    let page = app.get(&client, "/admin/users").await;
    assert_eq!(page.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stored_session_is_a_hash_not_the_token() {
    let app = spawn_app().await;
    let client = app.client();
    let response = app.login(&client, ADMIN_A, PASSWORD).await;
    let cookie = set_cookies(response.headers()).remove(0);
    let token = cookie
        .trim_start_matches("frontdesk_session=")
        .split(';')
        .next()
        .expect("token")
        .to_owned();

    let stored = session::Entity::find()
        .one(&app.db)
        .await
        .expect("query")
        .expect("row");

    assert!(token.len() >= 43, "at least 256 bits: {token}");
    assert_ne!(stored.token_hash, token);
    assert_eq!(stored.token_hash, app::auth::session::hash_token(&token));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = spawn_app().await;
    let client = app.client();

    let wrong = app.login(&client, ADMIN_A, "Wrong-Password-1").await;
    let unknown = app.login(&client, "nobody@example.com", PASSWORD).await;

    assert_eq!(wrong.status(), 422);
    assert_eq!(unknown.status(), 422);
    assert!(set_cookies(wrong.headers()).is_empty());
    assert!(set_cookies(unknown.headers()).is_empty());
    let (wrong, unknown) = (json(wrong).await, json(unknown).await);
    assert_eq!(wrong, unknown);
    assert_eq!(wrong["field"], "form");
    assert_eq!(
        session::Entity::find().count(&app.db).await.expect("count"),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_fields_are_named() {
    let app = spawn_app().await;
    let client = app.client();

    let response = app.login(&client, "", PASSWORD).await;
    assert_eq!(response.status(), 422);
    assert_eq!(json(response).await["field"], "username");

    let response = app.login(&client, ADMIN_A, "").await;
    assert_eq!(response.status(), 422);
    assert_eq!(json(response).await["field"], "password");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    let client = app.client();
    let response = app.login(&client, ADMIN_A, PASSWORD).await;
    let cookie = set_cookies(response.headers()).remove(0);
    let pair = cookie.split(';').next().expect("pair").to_owned();

    let response = app.call(&client, "auth/logout", &[]).await;
    assert_eq!(response.status(), 200);
    assert!(set_cookies(response.headers())[0].contains("Max-Age=0"));

    // Replaying the old cookie after sign-out gets nothing.
    let replay = reqwest::Client::new()
        .post(app.url("/api/members/list"))
        .header(COOKIE, pair)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("query[q]=")
        .send()
        .await
        .expect("request");
    assert_eq!(replay.status(), 401);
    assert_eq!(
        session::Entity::find().count(&app.db).await.expect("count"),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_callers_get_401_and_no_data() {
    let app = spawn_app().await;
    let client = app.client();

    let response = app.list_members(&client, "").await;

    assert_eq!(response.status(), 401);
    let body = response.text().await.expect("body");
    assert!(!body.contains("Gomez"), "{body}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).expect("json")["kind"],
        "unauthorized"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_visitors_of_admin_pages_are_sent_to_sign_in() {
    let app = spawn_app().await;

    let response = app.get(&app.client(), "/admin/users").await;

    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()[LOCATION], "/login");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_is_not_an_admin() {
    let app = spawn_app().await;
    let client = app.signed_in(PATIENT_A).await;

    assert_eq!(app.list_members(&client, "").await.status(), 403);
    assert_eq!(app.get(&client, "/admin/users").await.status(), 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_without_javascript_redirects_with_the_cookie() {
    let app = spawn_app().await;
    let client = app.client();

    let response = app.login_as_browser(&client, ADMIN_A, PASSWORD).await;

    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()[LOCATION], "/admin/users");
    assert_eq!(set_cookies(response.headers()).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_in_without_javascript_returns_to_the_form_with_its_error() {
    let app = spawn_app().await;
    let client = app.client();

    let response = app
        .login_as_browser(&client, ADMIN_A, "Wrong-Password-1")
        .await;

    assert_eq!(response.status(), 302);
    let location = response.headers()[LOCATION]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(location.contains("/login?"), "{location}");
    assert!(location.contains("__err="), "{location}");
    assert!(set_cookies(response.headers()).is_empty());

    let page = client.get(location).send().await.expect("request");
    let html = page_text(page).await;
    assert!(
        html.contains("That username and password do not match an account."),
        "the sign-in page shows the error"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crafted_error_link_cannot_put_its_own_words_on_the_sign_in_page() {
    use base64::Engine;
    let app = spawn_app().await;
    let fake = r#"{"kind":"validation","field":"form","message":"Call 555-0100 to unlock"}"#;
    let err = base64::engine::general_purpose::URL_SAFE.encode(fake);

    let crafted = app
        .get(
            &app.client(),
            &format!("/login?next=/account&__path=/api/auth/login&__err={err}"),
        )
        .await;

    // Not signed by Frontdesk: sent on to the same page without it.
    assert_eq!(crafted.status(), 303);
    assert_eq!(crafted.headers()[LOCATION], "/login?next=/account");
    let forged_sig = app
        .get(
            &app.client(),
            &format!("/login?__path=/api/auth/login&__err={err}&__sig=00ff"),
        )
        .await;
    assert_eq!(forged_sig.status(), 303);
    assert_eq!(forged_sig.headers()[LOCATION], "/login");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_page_shows_words_a_link_brings() {
    use base64::Engine;
    let app = spawn_app().await;
    let fake = r#"{"kind":"validation","field":"form","message":"Guest entry moved: call +1-900-555-0100"}"#;
    let err = base64::engine::general_purpose::URL_SAFE.encode(fake);
    let patient = app.signed_in(PATIENT_A).await;
    for (page, form) in [
        ("/forgot-password", "/api/auth/forgot"),
        ("/reset-password?token=x", "/api/auth/reset"),
        ("/confirm-email?token=x", "/api/auth/confirm"),
        ("/u/jessica", "/api/patients/join"),
        ("/u/jessica/guest", "/api/patients/enter"),
        ("/u/jessica/sign-up", "/api/patients/sign_up"),
        ("/account", "/api/account/password"),
    ] {
        let sep = if page.contains('?') { '&' } else { '?' };
        let client = if page == "/account" {
            &patient
        } else {
            &app.client()
        };
        let crafted = app
            .get(client, &format!("{page}{sep}__path={form}&__err={err}"))
            .await;
        assert_eq!(crafted.status(), 303, "{page}");
        let to = crafted.headers()[LOCATION].to_str().unwrap().to_owned();
        assert!(!to.contains("__err"), "{page} -> {to}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_from_another_site_is_refused() {
    let app = spawn_app().await;

    let response = app
        .client()
        .post(app.url("/api/auth/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", "http://evil.example")
        .body(encode(&[("username", ADMIN_A), ("password", PASSWORD)]))
        .send()
        .await
        .expect("request");

    assert_eq!(response.status(), 403);
    assert!(set_cookies(response.headers()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_records_the_last_login() {
    let app = spawn_app().await;
    let before = app::entities::user::Entity::find_by_id(21_400_001)
        .one(&app.db)
        .await
        .expect("query")
        .expect("admin");
    assert_eq!(before.last_login_at, 0, "never signed in");

    app.signed_in(ADMIN_A).await;

    let after = app::entities::user::Entity::find_by_id(21_400_001)
        .one(&app.db)
        .await
        .expect("query")
        .expect("admin");
    assert!(after.last_login_at > 0);
}
