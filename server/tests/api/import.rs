//! Import CSV: a file previewed (nothing written) with each row's plan and the form's
//! messages, then imported in the background, each member audited; the export's own file
//! imported back changes no one; the same file again creates no one twice; a member saved
//! between preview and import is reported, not overwritten; an import whose server stopped
//! finished once, one failing five times stopped. What is refused is in `import_refusals`.

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, LOCATION};
use sea_orm::ConnectionTrait;
use serde_json::Value;

use crate::database::count;
use crate::helpers::*;

pub const BOUNDARY: &str = "frontdesk-import-test-7MA4YWxk";

/// The import form's post, as a browser sends it: the room, the welcome box, the file.
pub fn form_body(room: i64, welcome: bool, file_name: &str, file: &[u8]) -> Vec<u8> {
    let mut body =
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"room\"\r\n\r\n{room}\r\n")
            .into_bytes();
    if welcome {
        body.extend(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"welcome\"\r\n\r\n1\r\n"
            )
            .bytes(),
        );
    }
    body.extend(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .bytes(),
    );
    body.extend_from_slice(file);
    body.extend(format!("\r\n--{BOUNDARY}--\r\n").bytes());
    body
}

pub async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    room: i64,
    welcome: bool,
    file: &[u8],
) -> reqwest::Response {
    client
        .post(app.url("/admin/users/import.csv"))
        .header(
            CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(form_body(room, welcome, "members.csv", file))
        .send()
        .await
        .expect("upload")
}

/// The import's ID from an upload's answer.
pub fn import_id(response: &reqwest::Response) -> i64 {
    response.headers()[LOCATION]
        .to_str()
        .unwrap()
        .strip_prefix("/admin/import/")
        .expect("the import's page")
        .parse()
        .unwrap()
}

/// Uploads `file` and answers its preview.
pub async fn preview(app: &TestApp, admin: &reqwest::Client, room: i64, file: &str) -> Value {
    let response = upload(app, admin, room, false, file.as_bytes()).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    progress(app, admin, import_id(&response)).await
}

pub async fn progress(app: &TestApp, admin: &reqwest::Client, id: i64) -> Value {
    json(
        app.call(admin, "members/import/progress", &[("id", &id.to_string())])
            .await,
    )
    .await
}

/// Starts the previewed import and answers its result once done.
pub async fn import(app: &TestApp, admin: &reqwest::Client, id: i64) -> Value {
    let started = app
        .call(admin, "members/import/start", &[("id", &id.to_string())])
        .await;
    assert_eq!(started.status(), 200);
    finished(app, admin, id).await
}

pub async fn finished(app: &TestApp, admin: &reqwest::Client, id: i64) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let p = progress(app, admin, id).await;
        if p["state"] == "done" {
            return p;
        }
        assert!(tokio::time::Instant::now() < deadline, "still {p}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const HEADER: &str = "Username,First Name,Last Name,Email,Date of Birth,Phone,Rooms,Notes\n";

pub fn messages(p: &Value, line: u64) -> Vec<String> {
    p["rejected_lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["line"] == line)
        .unwrap_or_else(|| panic!("line {line} not rejected: {p}"))["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect()
}

/// How many of import `id`'s rows (those `more` narrows to) still hold their fields.
async fn rows_holding_fields(app: &TestApp, id: i64, more: &str) -> i64 {
    count(
        app,
        &format!(
            "SELECT COUNT(*) AS n FROM member_import_rows WHERE import_id = {id} AND data IS NOT NULL {more}"
        ),
    )
    .await
}

pub async fn users_named(app: &TestApp, username: &str) -> i64 {
    count(
        app,
        &format!("SELECT COUNT(*) AS n FROM users WHERE username_lower = '{username}'"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_is_previewed_then_imported_and_each_member_audited() {
    let app = spawn_app().await;
    let room = app.room_id("jessica").await;
    let admin = app.signed_in(ADMIN_A).await;
    let file = format!(
        "{HEADER}\
         amy.lee,Amy,Lee,amy.lee@example.com,1990-02-03,'+14155550123,TVNP-northside,call first\n\
         jane.gomez@me.com,Jane,Gomez-Ruiz,jane.gomez@me.com,,,,\n\
         bad.one,<b>Bob</b>,Smith,not-an-email,1990-13-40,,,\n\
         twin,Tom,Twin,twin1@example.com,,,,\n\
         TWIN,Tim,Twin,twin2@example.com,,,,\n\
         formula,=HYPERLINK(\"http://x\"),Smith,f@example.com,,,,\n\
         ghost,Gus,Ghost,gus@example.com,,,NOPE,\n"
    );
    let p = preview(&app, &admin, room, &file).await;
    assert_eq!(p["state"], "previewed");
    assert_eq!(p["total"], 7);
    assert_eq!(p["to_create"], 1, "{p}");
    assert_eq!(p["to_update"], 1, "{p}");
    assert_eq!(p["to_keep"], 0);
    assert_eq!(p["to_reject"], 5);
    assert_eq!(p["ignored"], serde_json::json!(["Notes"]));
    // The form's own messages, by column, at the row's line.
    let bad = messages(&p, 4);
    assert_eq!(bad.len(), 3, "{bad:?}");
    assert_eq!(
        bad[0],
        "First Name: A first name may hold letters, spaces, apostrophes, hyphens and periods only."
    );
    assert!(bad[1].starts_with("Email: "), "{bad:?}");
    assert!(bad[2].starts_with("Date of Birth: "), "{bad:?}");
    assert_eq!(
        messages(&p, 5),
        ["Username: The same username or member is on line 6."]
    );
    assert_eq!(
        messages(&p, 6),
        ["Username: The same username or member is on line 5."]
    );
    assert_eq!(
        messages(&p, 7),
        ["First Name: This cell is a spreadsheet formula. Enter the value itself."]
    );
    assert_eq!(
        messages(&p, 8),
        ["Rooms: No open room of this clinic has the code “NOPE”."]
    );
    // Nothing is written before Import.
    assert_eq!(users_named(&app, "amy.lee").await, 0);
    let id = p["id"].as_i64().unwrap();
    let done = import(&app, &admin, id).await;
    assert_eq!(
        (
            done["created"].as_i64(),
            done["updated"].as_i64(),
            done["rejected"].as_i64()
        ),
        (Some(1), Some(1), Some(5)),
        "{done}"
    );
    assert_eq!(done["done"], 7);
    let amy: i64 = count(
        &app,
        "SELECT id AS n FROM users WHERE username_lower = 'amy.lee'",
    )
    .await;
    let (phone, dob) = {
        let row = app
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                app.db.get_database_backend(),
                format!("SELECT phone, date_of_birth FROM users WHERE id = {amy}"),
            ))
            .await
            .unwrap()
            .unwrap();
        (
            row.try_get::<String>("", "phone").unwrap(),
            row.try_get::<String>("", "date_of_birth").unwrap(),
        )
    };
    assert_eq!(
        (phone.as_str(), dob.as_str()),
        ("+14155550123", "1990-02-03")
    );
    // Her room by its code, not the form's default.
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT COUNT(*) AS n FROM user_rooms ur JOIN rooms r ON r.id = ur.room_id \
                 WHERE ur.user_id = {amy} AND r.code = 'TVNP-northside'"
            )
        )
        .await,
        1
    );
    let events = app.audit_of(amy).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, "created");
    assert!(
        events[0]
            .1
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "Import" && c["to"] == format!("#{id}")),
        "{events:?}"
    );
    let jane = app.audit_of(JANE_ID).await;
    let (action, changes) = jane.last().unwrap();
    assert_eq!(action, "profile_changed");
    assert!(
        changes
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "Last Name" && c["to"] == "Gomez-Ruiz"),
        "{changes}"
    );
    // One event for the import itself, in the clinic.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'imported'"
        )
        .await,
        1
    );
    // No welcome email unless asked for.
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) AS n FROM mail_outbox WHERE user_id = {amy}")
        )
        .await,
        0
    );
    // The rows' fields are forgotten once done; their outcomes and messages stay.
    assert_eq!(rows_holding_fields(&app, id, "").await, 0);
    // The same file again: everyone is matched, no one is created twice.
    let again = preview(&app, &admin, room, &file).await;
    assert_eq!(
        (
            again["to_create"].as_i64(),
            again["to_update"].as_i64(),
            again["to_keep"].as_i64()
        ),
        (Some(0), Some(0), Some(2)),
        "{again}"
    );
    assert_eq!(users_named(&app, "amy.lee").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_match_members_with_care() {
    let app = spawn_app().await;
    let room = app.room_id("jessica").await;
    let admin = app.signed_in(ADMIN_A).await;
    let p = preview(
        &app,
        &admin,
        room,
        "Username,First Name,Last Name,Email\n\
         sam.s,Sam,Smith-Jones,sam.smith@example.com\n\
         maria.lopez,Maria,Lopez,jose.gomez@example.com\n\
         admin@clinic-a.test,Alexander,Morgan,admin@clinic-a.test\n\
         gloria.gomez@example.com,Gloria,Gomez,gloria.b@example.com\n\
         robin.h,Robin,Hale,admin@clinic-b.test\n\
         jane.gomez@me.com,Jane,Gomez,jane.new@example.com\n",
    )
    .await;
    // Sam by email (the same first name): updated, keeping his username.
    assert_eq!(p["to_update"], 2, "{p}");
    // José's email on another person's row: a typo, not an update of José.
    assert_eq!(
        messages(&p, 3),
        [
            "Email: This email belongs to a member of this clinic with another username and name. Check the row's email."
        ]
    );
    assert_eq!(
        messages(&p, 4),
        ["Username: A Clinic Admin's profile is changed on their Member Detail, not by import."]
    );
    // Another clinic's member's username is taken; their email is free in this clinic.
    assert_eq!(
        messages(&p, 5),
        ["Username: That username is taken. Choose another."]
    );
    assert_eq!(p["to_create"], 1);
    let id = p["id"].as_i64().unwrap();
    // Jane is deleted before the import: the profile meant for her goes with her.
    let deleted = app
        .delete_member(&admin, JANE_ID, "jane.gomez@me.com")
        .await;
    assert_eq!(deleted.status(), 200);
    assert_eq!(rows_holding_fields(&app, id, "AND line = 7").await, 0);
    let done = import(&app, &admin, id).await;
    assert_eq!(
        (
            done["updated"].as_i64(),
            done["created"].as_i64(),
            done["conflicts"].as_i64()
        ),
        (Some(1), Some(1), Some(1)),
        "{done}"
    );
    assert_eq!(
        done["conflict_lines"][0]["messages"][0],
        "Row: This member was deleted since the preview."
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM users WHERE username_lower = 'sam.smith@example.com' AND last_name = 'Smith-Jones'"
        )
        .await,
        1
    );
    assert_eq!(users_named(&app, "sam.s").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_members_get_the_welcome_email_when_the_admin_ticks_it() {
    let app = spawn_app().await;
    let room = app.room_id("jessica").await;
    let admin = app.signed_in(ADMIN_A).await;
    let file = b"Username,First Name,Last Name,Email\nwelcomed,Wendy,Lee,wendy@example.com\n";
    let response = upload(&app, &admin, room, true, file).await;
    assert_eq!(response.status(), 201);
    let id = import_id(&response);
    assert_eq!(progress(&app, &admin, id).await["welcome"], true);
    let done = import(&app, &admin, id).await;
    assert_eq!(done["created"], 1);
    let wendy = count(
        &app,
        "SELECT id AS n FROM users WHERE username_lower = 'welcomed'",
    )
    .await;
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) AS n FROM mail_outbox WHERE user_id = {wendy}")
        )
        .await,
        1
    );
    let (_, changes) = app.audit_of(wendy).await.remove(0);
    assert!(
        changes
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "Welcome email" && c["to"] == "sent"),
        "{changes}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exports_own_file_imports_back_unchanged() {
    let app = spawn_app().await;
    let room = app.room_id("jessica").await;
    server::seed::members(&app.db, 1, &[room], 300, 5)
        .await
        .expect("seed");
    let admin = app.signed_in(ADMIN_A).await;
    // A formula-like address, kept as text by the export and read back as it was.
    app.db
        .execute_unprepared(&format!(
            "UPDATE users SET address = '=1+2 Main St', phone = '+14155550123' WHERE id = {JANE_ID}"
        ))
        .await
        .unwrap();
    let file = app
        .get(&admin, "/admin/users/export.csv")
        .await
        .text()
        .await
        .unwrap();
    let lines = file.lines().count() as i64 - 1;
    let p = preview(&app, &admin, room, &file).await;
    assert_eq!(p["total"], lines);
    assert_eq!(p["to_keep"], lines, "{p}");
    assert_eq!(p["to_create"], 0);
    assert_eq!(p["to_update"], 0);
    assert_eq!(p["to_reject"], 0, "{p}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_saved_between_preview_and_import_is_reported_not_overwritten() {
    let app = spawn_app().await;
    let room = app.room_id("jessica").await;
    let admin = app.signed_in(ADMIN_A).await;
    let p = preview(
        &app,
        &admin,
        room,
        "Username,First Name,Last Name,Email\njane.gomez@me.com,Janet,Gomez,jane.gomez@me.com\n",
    )
    .await;
    assert_eq!(p["to_update"], 1);
    app.db
        .execute_unprepared(&format!(
            "UPDATE users SET city = 'Oakland', version = version + 1 WHERE id = {JANE_ID}"
        ))
        .await
        .unwrap();
    let done = import(&app, &admin, p["id"].as_i64().unwrap()).await;
    assert_eq!(done["conflicts"], 1, "{done}");
    assert_eq!(done["updated"], 0);
    assert_eq!(
        done["conflict_lines"][0]["messages"][0],
        "Row: This member was changed by someone else since the preview."
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT COUNT(*) AS n FROM users WHERE id = {JANE_ID} AND first_name = 'Jane'"
            )
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_whose_server_stopped_is_finished_once_by_the_others() {
    let app = spawn_app().await;
    let room = app.room_id("jessica").await;
    let admin = app.signed_in(ADMIN_A).await;
    let mut file = String::from("Username,First Name,Last Name,Email\n");
    for i in 0..700 {
        file.push_str(&format!("pat{i},Pat,Many,pat{i}@example.com\n"));
    }
    let p = preview(&app, &admin, room, &file).await;
    assert_eq!(p["to_create"], 700);
    let id = p["id"].as_i64().unwrap();
    // As if a server took it up and stopped: running, its lease run out.
    app.db.execute_unprepared(
        &format!(
            "UPDATE member_imports SET state = 'running', runner = 'gone', lease_until = 1 WHERE id = {id}"
        ),
    )
    .await
    .unwrap();
    // Two servers take it up at once.
    let url = "http://frontdesk.test";
    let (a, b) = tokio::join!(
        app::members::server::import_work::run(&app.db, url, id),
        app::members::server::import_work::run(&app.db, url, id),
    );
    a.unwrap();
    b.unwrap();
    let done = finished(&app, &admin, id).await;
    assert_eq!(done["created"], 700, "{done}");
    assert_eq!(done["conflicts"], 0);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM users WHERE last_name = 'Many'"
        )
        .await,
        700
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_failing_five_times_in_a_row_stops_and_forgets_its_rows() {
    let app = spawn_app().await;
    let room = app.room_id("jessica").await;
    let admin = app.signed_in(ADMIN_A).await;
    let p = preview(
        &app,
        &admin,
        room,
        "Username,First Name,Last Name,Email\namy,Amy,Lee,amy@example.com\n",
    )
    .await;
    let id = p["id"].as_i64().unwrap();
    // A row no server can read: every attempt fails.
    app.db
        .execute_unprepared(&format!(
            "UPDATE member_import_rows SET data = 'not JSON' WHERE import_id = {id};
             UPDATE member_imports SET state = 'running' WHERE id = {id}"
        ))
        .await
        .unwrap();
    let state = |app: &TestApp| {
        let db = app.db.clone();
        async move {
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    format!("SELECT state, failures, runner FROM member_imports WHERE id = {id}"),
                ))
                .await
                .unwrap()
                .unwrap();
            (
                row.try_get::<String>("", "state").unwrap(),
                row.try_get::<i32>("", "failures").unwrap(),
                row.try_get::<Option<String>>("", "runner").unwrap(),
            )
        }
    };
    let url = "http://frontdesk.test";
    for attempt in 1..=5 {
        // Each failure gives the lease up, so the next minute's job takes the import again.
        assert_eq!(
            app::members::server::import_work::resume_abandoned(&app.db, url)
                .await
                .unwrap(),
            1
        );
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while state(&app).await.1 < attempt {
            assert!(tokio::time::Instant::now() < deadline, "attempt {attempt}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(state(&app).await.2, None, "the lease is given up");
    }
    assert_eq!(state(&app).await.0, "failed");
    assert_eq!(
        app::members::server::import_work::resume_abandoned(&app.db, url)
            .await
            .unwrap(),
        0
    );
    assert_eq!(users_named(&app, "amy").await, 0);
    // The once-a-minute forgetting empties a stopped import's rows.
    app.forget_expired().await;
    assert_eq!(rows_holding_fields(&app, id, "").await, 0);
    assert_eq!(progress(&app, &admin, id).await["state"], "failed");
}
