//! Export CSV: the users page's view, every row it matches in its order (across the
//! export's batches), the article's columns, times in the admin's time zone, formulas kept
//! as text, an audit event with the count; only an admin, of their own clinics.

use sea_orm::ConnectionTrait;

use crate::helpers::*;

const JANE_ID: i64 = 21_408_246;

/// The export of `view` as `client`: its status and its records (header first).
async fn export(
    app: &TestApp,
    client: &reqwest::Client,
    view: &[(&str, &str)],
) -> (u16, Vec<Vec<String>>) {
    let response = app
        .get(client, &format!("/admin/users/export.csv?{}", encode(view)))
        .await;
    let status = response.status().as_u16();
    if status != 200 {
        return (status, Vec::new());
    }
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark first")
        .to_owned();
    let records = csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("a CSV record").iter().map(str::to_owned).collect())
        .collect::<Vec<Vec<String>>>();
    let header = csv::Reader::from_reader(text.as_bytes())
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    (status, [vec![header], records].concat())
}

fn ids(records: &[Vec<String>]) -> Vec<i64> {
    records[1..]
        .iter()
        .map(|r| r[0].parse().expect("an ID"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_is_the_whole_view_in_its_order() {
    let app = spawn_app().await;
    let room = app.room_id("jessica").await;
    // More members than one batch holds, so the export walks several.
    server::seed::members(&app.db, 1, &[room], 2_300, 5)
        .await
        .expect("seed");
    let admin = app.signed_in(ADMIN_A).await;
    let room = room.to_string();
    for view in [
        vec![],
        vec![("sort", "name"), ("dir", "asc")],
        vec![("sort", "name"), ("dir", "desc")],
        vec![("q", "ma"), ("sort", "last_login")],
        vec![("sort", "last_login"), ("dir", "asc")],
        vec![("status", "active"), ("room", room.as_str())],
    ] {
        let (status, records) = export(&app, &admin, &view).await;
        assert_eq!(status, 200, "{view:?}");
        assert_eq!(records[0][0], "ID");
        assert_eq!(records[0].len(), 22);
        let table: Vec<i64> = walk(
            &app,
            &admin,
            &[&view[..], &[("size", "100")]].concat(),
            "next",
        )
        .await
        .concat();
        let exported = ids(&records);
        assert!(
            exported == table,
            "{view:?}: {} rows exported, the table walks {}, or their order differs",
            exported.len(),
            table.len()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compressed_export_arrives_whole() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let response = admin
        .get(app.url("/admin/users/export.csv"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "gzip");
    let body = response
        .bytes()
        .await
        .expect("the whole body, ended cleanly");
    assert!(!body.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cells_are_the_members_fields_formulas_as_text_times_in_the_admins_zone() {
    let app = spawn_app().await;
    app.db
        .execute_unprepared(&format!(
            "UPDATE users SET address = '=HYPERLINK(\"http://evil.example\")', city = '+1' \
             WHERE id = {JANE_ID}; \
             UPDATE users SET timezone = 'America/New_York' WHERE username = '{ADMIN_A}'"
        ))
        .await
        .unwrap();
    let admin = app.signed_in(ADMIN_A).await;
    let (_, records) = export(&app, &admin, &[("q", "jane gomez")]).await;
    assert_eq!(records.len(), 2, "{records:?}");
    let jane: std::collections::HashMap<&str, &str> = records[0]
        .iter()
        .map(String::as_str)
        .zip(records[1].iter().map(String::as_str))
        .collect();
    assert_eq!(jane["ID"], JANE_ID.to_string());
    assert_eq!(jane["Portal ID"], format!("cmouser{JANE_ID}"));
    assert_eq!(jane["Username"], "jane.gomez@me.com");
    assert_eq!(jane["First Name"], "Jane");
    assert_eq!(jane["Address"], "'=HYPERLINK(\"http://evil.example\")");
    assert_eq!(jane["City"], "'+1");
    assert_eq!(jane["Rooms"], "TVJC-jessica");
    // 2022-04-08 14:23:38 UTC, in New York's summer time.
    assert_eq!(jane["Signed Up"], "2022-04-08T10:23:38-04:00");

    // Audited before the first byte: a download dropped after its start shows too.
    let dropped = admin
        .get(app.url("/admin/users/export.csv?q=gomez"))
        .send()
        .await
        .unwrap();
    assert_eq!(dropped.status(), 200);
    drop(dropped);
    let started = count(
        &app,
        "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'exported' \
         AND changes LIKE '%search: gomez%'",
    )
    .await;
    assert_eq!(started, 1, "the dropped download was audited when it began");
    let events = count(
        &app,
        "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'exported' \
         AND member_id IS NULL AND changes LIKE '%jane gomez%' AND changes LIKE '%\"1\"%'",
    )
    .await;
    assert_eq!(
        events, 1,
        "the export is audited with its view and its count"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_admin_exports_and_only_their_clinics_members() {
    let app = spawn_app().await;
    let (anonymous, _) = export(&app, &app.client(), &[]).await;
    assert!(
        (300..400).contains(&anonymous),
        "sent to sign in: {anonymous}"
    );
    let patient = app.signed_in(PATIENT_A).await;
    let (as_patient, _) = export(&app, &patient, &[]).await;
    assert!(
        (300..400).contains(&as_patient),
        "not a patient's: {as_patient}"
    );

    let other = app.signed_in(ADMIN_B).await;
    let (status, records) = export(&app, &other, &[]).await;
    assert_eq!(status, 200);
    assert!(records.len() > 1, "their own members");
    assert!(!ids(&records).contains(&JANE_ID));
    // Another site's page cannot make an admin's browser export.
    let cross = other
        .get(app.url("/admin/users/export.csv"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    assert!(
        records[1..].iter().all(|r| r[4] == "Riverside Health"),
        "another clinic's admin gets their own members only"
    );
    let (bad, _) = export(&app, &other, &[("sort", "password")]).await;
    assert_eq!(bad, 422);
}
