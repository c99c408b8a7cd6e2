//! Sessions keep the README's promises: the clinic's idle time on both sides of it (30
//! minutes by default), activity extending it, the 12-hour absolute limit, and a cookie
//! that says as much.

use sea_orm::ConnectionTrait;

use crate::helpers::*;

const MINUTE: i64 = 60_000;

/// Moves the one session of `username` back in time: its last activity `idle` ago, and its
/// start (and so its absolute end) `age` ago.
async fn age_session(app: &TestApp, username: &str, idle: i64, age: i64) {
    let now = app::db::now_ms();
    app.db
        .execute_unprepared(&format!(
            "UPDATE sessions SET last_seen_at = {seen}, created_at = {start}, \
             expires_at = {start} + 12 * 3600000 \
             WHERE user_id = (SELECT id FROM users WHERE username_lower = '{username}')",
            seen = now - idle,
            start = now - age,
        ))
        .await
        .unwrap();
}

async fn signed_in(app: &TestApp, client: &reqwest::Client) -> bool {
    !json(app.call(client, "auth/me", &[]).await).await.is_null()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_idle_time_is_thirty_minutes_on_both_sides() {
    let app = spawn_app().await;
    let patient = app.signed_in(PATIENT_A).await;

    age_session(&app, PATIENT_A, 29 * MINUTE, 29 * MINUTE).await;
    assert!(signed_in(&app, &patient).await, "29 minutes idle: still in");

    // That request was activity: 29 more minutes from now are fine again.
    let seen = count(
        &app,
        "SELECT last_seen_at AS n FROM sessions WHERE user_id = 21408302",
    )
    .await;
    assert!(
        seen > app::db::now_ms() - MINUTE,
        "activity moves the idle clock"
    );

    age_session(&app, PATIENT_A, 31 * MINUTE, 31 * MINUTE).await;
    assert!(!signed_in(&app, &patient).await, "31 minutes idle: out");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM sessions WHERE user_id = 21408302"
        )
        .await,
        0,
        "the ended session is gone from the database"
    );
}

/// Sessions active in the same second are written together, after the first: none of
/// them is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_of_many_sessions_at_once_is_all_recorded() {
    let app = spawn_app().await;
    let mut browsers = Vec::new();
    for _ in 0..4 {
        browsers.push(app.signed_in(PATIENT_A).await);
    }
    age_session(&app, PATIENT_A, 5 * MINUTE, 5 * MINUTE).await;
    for browser in &browsers {
        assert!(signed_in(&app, browser).await);
    }
    let fresh = "SELECT COUNT(*) AS n FROM sessions WHERE user_id = 21408302 \
                 AND last_seen_at > ";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let recorded = count(&app, &format!("{fresh}{}", app::db::now_ms() - MINUTE)).await;
        if recorded == 4 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "5 s after four sessions' requests, {recorded} of them are recorded as active"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ends_twelve_hours_after_sign_in_however_active() {
    let app = spawn_app().await;
    let patient = app.signed_in(PATIENT_A).await;

    age_session(&app, PATIENT_A, 0, 12 * 60 * MINUTE - MINUTE).await;
    assert!(signed_in(&app, &patient).await, "11 h 59 min: still in");

    age_session(&app, PATIENT_A, 0, 12 * 60 * MINUTE + MINUTE).await;
    assert!(!signed_in(&app, &patient).await, "12 h 1 min, active: out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cookie_lives_as_long_as_the_session_may() {
    let app = spawn_app().await;
    let response = app.login(&app.client(), PATIENT_A, PASSWORD).await;
    assert_eq!(response.status(), 200);
    let cookie = set_cookies(response.headers())
        .into_iter()
        .next()
        .expect("a session cookie");
    assert!(cookie.contains("Max-Age=43200"), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
}

/// A page's frame shows who is signed in and their clinic from the session's own lookup:
/// no statement of the page reads the user or the clinic again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pages_frame_is_described_by_its_session_lookup() {
    use std::sync::{Arc, Mutex};
    let app = spawn_app().await;
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let watched = {
        let seen = seen.clone();
        app.serve_watched(move |sql| seen.lock().unwrap().push(sql.to_owned()))
            .await
    };
    let admin = app.signed_in(ADMIN_A).await;
    for path in ["/admin/users", "/admin/rooms", "/admin/audit"] {
        seen.lock().unwrap().clear();
        let page = admin
            .get(format!("http://{watched}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{path}");
        let html = page.text().await.unwrap();
        assert!(html.contains("Alex Morgan"), "{path}: the admin's name");
        assert!(html.contains("Clinic Portal"), "{path}: their clinic");
        let again: Vec<String> = seen
            .lock()
            .unwrap()
            .iter()
            .filter(|sql| !sql.contains("\"session_id\""))
            .filter(|sql| {
                sql.contains("FROM \"clinics\" WHERE \"clinics\".\"id\" =")
                    || sql.contains("FROM \"users\" WHERE \"users\".\"id\" =")
            })
            .cloned()
            .collect();
        assert!(again.is_empty(), "{path}: {again:#?}");
    }
}

/// A page asks who is signed in from its guard, its frame and each of its parts; the
/// database is asked once per page. Server functions still look up their caller each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_looks_up_its_session_once() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let app = spawn_app().await;
    let lookups = Arc::new(AtomicUsize::new(0));
    let watched = {
        let lookups = lookups.clone();
        app.serve_watched(move |sql| {
            if sql.contains("\"session_id\"") {
                lookups.fetch_add(1, Ordering::Relaxed);
            }
        })
        .await
    };
    let admin = app.signed_in(ADMIN_A).await;
    for path in ["/admin/users", "/admin/rooms", "/account", "/u/jessica"] {
        lookups.store(0, Ordering::Relaxed);
        let page = admin
            .get(format!("http://{watched}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{path}");
        assert!(page.text().await.unwrap().contains("</html>"), "{path}");
        assert_eq!(lookups.load(Ordering::Relaxed), 1, "{path}");
    }
    lookups.store(0, Ordering::Relaxed);
    let listed = admin
        .post(format!("http://{watched}/api/members/list"))
        .form(&[("query[q]", "jane")])
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    assert_eq!(
        lookups.load(Ordering::Relaxed),
        1,
        "a server function's caller"
    );
}
