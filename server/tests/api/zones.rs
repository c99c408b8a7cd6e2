//! Times in the reader's zone: every time shown to an admin is in their profile's Timezone
//! with the zone's abbreviation (users table, its server-rendered page, the detail, the
//! audit log), two admins reading the same view at the same moment each in their own, and a
//! patient's own visits in the patient's zone.

use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::helpers::*;

const TOKYO_ADMIN: &str = "tokyo.admin@example.com";

/// A second admin of clinic A, reading times in Tokyo.
async fn tokyo_admin(app: &TestApp) -> reqwest::Client {
    let admin = app.signed_in(ADMIN_A).await;
    let room = app.room_id("jessica").await;
    let mut member = new_member(1, room, TOKYO_ADMIN);
    member["user_type"] = json!("clinic_admin");
    member["password"] = json!(PASSWORD);
    member["confirm_password"] = json!(PASSWORD);
    member["profile"]["timezone"] = json!("Asia/Tokyo");
    let created = app.create_member(&admin, member).await;
    assert_eq!(created.status(), 200, "{}", created.text().await.unwrap());
    app.signed_in(TOKYO_ADMIN).await
}

fn jane_row(page: &serde_json::Value) -> serde_json::Value {
    page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == JANE_ID)
        .expect("Jane")
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_admin_reads_times_in_their_own_zone_with_its_abbreviation() {
    let app = spawn_app().await;
    let los_angeles = app.signed_in(ADMIN_A).await;
    let tokyo = tokyo_admin(&app).await;
    let view = [("q", "jane.gomez")];

    // The same view at the same version, read by both: each page in its reader's zone (a
    // page kept for one is not served to the other).
    for _ in 0..2 {
        let la = json(app.list(&los_angeles, &view).await).await;
        let jp = json(app.list(&tokyo, &view).await).await;
        assert_eq!(jane_row(&la)["signed_up"], "2022-04-08 07:23:38 PDT");
        assert_eq!(jane_row(&jp)["signed_up"], "2022-04-08 23:23:38 JST");
    }
    let html = page_text(app.get(&tokyo, "/admin/users?q=jane.gomez").await).await;
    assert!(html.contains("Sign up: 2022-04-08 23:23:38 JST"), "{html}");
    // Export CSV's times too.
    let csv = exported(&app, &tokyo, "jane.gomez").await;
    assert!(csv.contains(",2022-04-08T23:23:38+09:00"), "{csv}");
    let html = page_text(app.get(&los_angeles, "/admin/users?q=jane.gomez").await).await;
    assert!(html.contains("Sign up: 2022-04-08 07:23:38 PDT"), "{html}");

    // The detail, and the audit log's times.
    let detail = json(app.detail(&tokyo, JANE_ID).await).await;
    assert_eq!(detail["signed_up"], "2022-04-08 23:23:38 JST");
    let audit = json(app.call(&tokyo, "audit/list", &[]).await).await;
    let at = audit["rows"][0]["at"].as_str().unwrap().to_owned();
    assert!(at.ends_with(" JST"), "{at}");
    let audit = json(app.call(&los_angeles, "audit/list", &[]).await).await;
    let at = audit["rows"][0]["at"].as_str().unwrap().to_owned();
    assert!(at.ends_with(" PST") || at.ends_with(" PDT"), "{at}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patients_own_visits_are_in_the_patients_zone() {
    let app = spawn_app().await;
    let jessica = app.room_id("jessica").await;
    app.visit(21_408_302, jessica, "completed", None).await;
    app.db
        .execute_unprepared("UPDATE users SET timezone = 'Europe/Paris' WHERE id = 21408302")
        .await
        .unwrap();
    let patient = app.signed_in(PATIENT_A).await;

    let account = json(app.call(&patient, "account/me", &[]).await).await;

    let at = account["visits"][0]["at"].as_str().unwrap().to_owned();
    assert!(at.ends_with(" CET") || at.ends_with(" CEST"), "{at}");
}

/// Export CSV of the search `q`, as `client` downloads it.
async fn exported(app: &TestApp, client: &reqwest::Client, q: &str) -> String {
    let csv = client
        .get(app.url(&format!("/admin/users/export.csv?q={q}")))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    csv.text().await.unwrap()
}

/// A client whose pages told the server the browser's zone, as the app's do on loading.
async fn signed_in_from(app: &TestApp, browser_zone: Option<&str>) -> reqwest::Client {
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    if let Some(zone) = browser_zone {
        let url = app.url("/").parse().unwrap();
        jar.add_cookie_str(&format!("frontdesk_zone={zone}; Path=/"), &url);
    }
    let client = reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = app.login(&client, ADMIN_A, PASSWORD).await;
    assert_eq!(response.status(), 200);
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_whose_profile_names_no_zone_reads_times_in_the_browsers() {
    let app = spawn_app().await;
    let view = [("q", "jane.gomez")];
    let signed_up = |page: serde_json::Value| jane_row(&page)["signed_up"].clone();
    let set_zone = |zone: &'static str| {
        let db = app.db.clone();
        async move {
            db.execute_unprepared(&format!(
                "UPDATE users SET timezone = '{zone}' WHERE username = '{ADMIN_A}'"
            ))
            .await
            .unwrap();
        }
    };

    // The profile's zone wins over the browser's.
    let tokyo = signed_in_from(&app, Some("Asia/Tokyo")).await;
    assert_eq!(
        signed_up(json(app.list(&tokyo, &view).await).await),
        "2022-04-08 07:23:38 PDT"
    );

    // Without one, the browser's zone: on the server's page as in the table's answers.
    set_zone("").await;
    assert_eq!(
        signed_up(json(app.list(&tokyo, &view).await).await),
        "2022-04-08 23:23:38 JST"
    );
    let html = page_text(app.get(&tokyo, "/admin/users?q=jane.gomez").await).await;
    assert!(html.contains("Sign up: 2022-04-08 23:23:38 JST"), "{html}");
    // Export CSV's times too.
    let csv = exported(&app, &tokyo, "jane.gomez").await;
    assert!(csv.contains(",2022-04-08T23:23:38+09:00"), "{csv}");

    // A zone the database does not hold, or none said: UTC.
    for said in [Some("Mars/Olympus_Mons"), Some("%3Cb%3E"), None] {
        let client = signed_in_from(&app, said).await;
        let page = json(app.list(&client, &view).await).await;
        assert_eq!(signed_up(page), "2022-04-08 14:23:38 UTC", "{said:?}");
    }
}
