//! The authorization matrix: every registered server function (`matrix`), called as
//! anonymous, as a patient, as the admin of another clinic and as the right caller. Only the
//! right caller (or anyone, for the public ones) succeeds; the others get 401, 403 or 404
//! and change nothing. The right caller's own request, forged by another site or turned
//! into a GET, is refused and changes nothing.

use sea_orm::EntityTrait;

use app::entities::*;

use crate::helpers::*;
use crate::matrix::{Body, Matrix, Who, matrix, send};

/// The call forged by another site: posted with that site's `Origin` (with and without
/// `Sec-Fetch-Site`), and sent as a GET with its arguments in the query string, from that
/// site and from this one. Returns how each was sent and the status it got.
async fn forged(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    body: &Body,
) -> Vec<(&'static str, u16)> {
    use reqwest::header::CONTENT_TYPE;
    let (content_type, payload, query) = match body.plain() {
        Body::Form(pairs) => {
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let encoded = encode(&pairs);
            (
                "application/x-www-form-urlencoded",
                encoded.clone(),
                encoded,
            )
        }
        Body::Json(value) => (
            "application/json",
            value.to_string(),
            encode(&[("data", &value.to_string())]),
        ),
        _ => unreachable!("plain() answers a form or JSON"),
    };
    let evil = "https://evil.example";
    let post = |cross: bool| {
        let request = client
            .post(app.url(path))
            .header(CONTENT_TYPE, content_type)
            .header("origin", evil)
            .body(payload.clone());
        if cross {
            request.header("sec-fetch-site", "cross-site")
        } else {
            request
        }
    };
    let get = |cross: bool| {
        let request = client.get(app.url(&format!("{path}?{query}")));
        if cross {
            request
                .header("sec-fetch-site", "cross-site")
                .header("origin", evil)
        } else {
            request
        }
    };
    let mut answers = Vec::new();
    for (how, request) in [
        ("posted from another site", post(true)),
        ("posted with another site's Origin only", post(false)),
        ("sent as a GET from another site", get(true)),
        ("sent as a GET", get(false)),
    ] {
        let status = request.send().await.expect("request").status().as_u16();
        answers.push((how, status));
    }
    answers
}

/// Everything a call could change, as text.
pub async fn snapshot(app: &TestApp) -> String {
    let db = &app.db;
    format!(
        "{:?}{:?}{:?}{:?}{:?}{:?}{:?}{:?}{:?}{:?}{:?}{:?}{:?}{:?}",
        user::Entity::find().all(db).await.unwrap(),
        room::Entity::find().all(db).await.unwrap(),
        clinic::Entity::find().all(db).await.unwrap(),
        clinic_admin::Entity::find().all(db).await.unwrap(),
        user_room::Entity::find().all(db).await.unwrap(),
        visit::Entity::find().all(db).await.unwrap(),
        audit_event::Entity::find().all(db).await.unwrap(),
        password_token::Entity::find().all(db).await.unwrap(),
        password_history::Entity::find().all(db).await.unwrap(),
        mail_outbox::Entity::find().all(db).await.unwrap(),
        signup::Entity::find().all(db).await.unwrap(),
        two_step::Entity::find().all(db).await.unwrap(),
        recovery_code::Entity::find().all(db).await.unwrap(),
        passkey::Entity::find().all(db).await.unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_function_answers_only_its_rightful_caller() {
    let app = spawn_app().await;
    let Matrix {
        admin_a,
        admin_b,
        patient,
        anonymous,
        table,
    } = matrix(&app).await;

    for (path, call) in &table {
        let rightful = match call.who {
            Who::Public => &anonymous,
            Who::User => &patient,
            Who::Admin | Who::AdminList => &admin_a,
        };
        // A public call is made as a stranger would: a fresh client each time.
        let stranger = app.client();
        let rightful = if call.who == Who::Public {
            &stranger
        } else {
            rightful
        };
        let before = snapshot(&app).await;
        for (how, status) in forged(&app, rightful, path, &call.body).await {
            // Refused for being forged (403), or, as a plain GET, for its method (405):
            // never for its arguments, which are a rightful call's.
            let expected = if how == "sent as a GET" { 405 } else { 403 };
            assert_eq!(status, expected, "{path} {how}, as its rightful caller");
        }
        assert_eq!(
            snapshot(&app).await,
            before,
            "{path}: requests from another site, or by GET, changed nothing"
        );
        if call.who == Who::Public {
            let response = send(&app, &stranger, path, &call.body).await;
            let status = response.status();
            assert!(
                status.is_success(),
                "{path} as a stranger: {status} {}",
                response.text().await.unwrap_or_default()
            );
            continue;
        }
        let status = send(&app, &anonymous, path, &call.body).await.status();
        assert_eq!(status, 401, "{path} as anonymous");
        if matches!(call.who, Who::Admin | Who::AdminList) {
            let status = send(&app, &patient, path, &call.body).await.status();
            assert_eq!(status, 403, "{path} as a patient");
        }
        match call.who {
            Who::Admin => {
                let status = send(&app, &admin_b, path, &call.body).await.status();
                assert!(
                    [403, 404, 422].contains(&status.as_u16()),
                    "{path} as another clinic's admin: {status}"
                );
            }
            Who::AdminList => {
                let response = send(&app, &admin_b, path, &call.body).await;
                assert_eq!(response.status(), 200, "{path} as another clinic's admin");
                let text = response.text().await.unwrap();
                for marker in ["Jessica", "Clinic Portal", "jane.gomez", "Pat Patient"] {
                    assert!(
                        !text.contains(marker),
                        "{path} shows clinic A's {marker} to clinic B"
                    );
                }
            }
            _ => {}
        }
        assert_eq!(
            snapshot(&app).await,
            before,
            "{path}: a refused call changed nothing"
        );

        let response = send(&app, rightful, path, &call.body).await;
        let status = response.status();
        assert!(
            status.is_success(),
            "{path} as its rightful caller: {status} {}",
            response.text().await.unwrap_or_default()
        );
    }
}
