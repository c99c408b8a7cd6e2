//! Import CSV refused: files refused whole say why and keep nothing (encodings, binary data,
//! headers, widths, sizes declared or sent); only an admin, into their own clinic, from
//! Frontdesk's pages, reads and starts an import.

use reqwest::header::CONTENT_TYPE;

use crate::database::count;
use crate::helpers::*;
use crate::import::{
    BOUNDARY, form_body, import_id, messages, preview, progress, upload, users_named,
};

/// The session cookies of `username`, as a `Cookie` header's value.
async fn session_cookie(app: &TestApp, username: &str) -> String {
    let response = app.login(&app.client(), username, PASSWORD).await;
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect::<Vec<_>>()
        .join("; ")
}

/// An upload written by hand: `headers`, then `chunks` (chunked when `chunked`), stopping
/// when the server has answered. Answers the status and the body.
async fn raw_post(
    app: &TestApp,
    cookie: &str,
    headers: &str,
    chunks: Vec<Vec<u8>>,
    chunked: bool,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /admin/users/import.csv HTTP/1.1\r\nHost: {}\r\nCookie: {cookie}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nConnection: close\r\n{headers}\r\n",
        app.addr
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    for chunk in chunks {
        let sent = if chunked {
            let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
            framed.extend(chunk);
            framed.extend(b"\r\n");
            socket.write_all(&framed).await
        } else {
            socket.write_all(&chunk).await
        };
        // The server may answer and close before the whole body is sent.
        if sent.is_err() {
            break;
        }
    }
    if chunked {
        let _ = socket.write_all(b"0\r\n\r\n").await;
    }
    let mut answer = Vec::new();
    let _ = socket.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no answer: {answer}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// A refused upload's message and what it kept: nothing.
async fn refused(app: &TestApp, admin: &reqwest::Client, room: i64, file: &[u8]) -> String {
    let response = upload(app, admin, room, false, file).await;
    assert_eq!(response.status(), 422);
    let id = import_id(&response);
    let message = response.text().await.unwrap();
    let p = progress(app, admin, id).await;
    assert_eq!(p["state"], "refused");
    assert_eq!(p["refusal"], message.as_str());
    assert_eq!(
        count(
            app,
            &format!("SELECT COUNT(*) AS n FROM member_import_rows WHERE import_id = {id}")
        )
        .await,
        0
    );
    message
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_files_are_refused_whole_with_a_clear_message() {
    let app = spawn_app().await;
    let room = app.room_id("jessica").await;
    let admin = app.signed_in(ADMIN_A).await;
    let good_rows = "Username,First Name,Last Name,Email\namy,Amy,Lee,amy@example.com\n";
    // Latin-1 ("José" as one byte é) after a good row: refused whole, the good row too.
    let mut latin1 = good_rows.as_bytes().to_vec();
    latin1.extend_from_slice(b"jose,Jos\xe9,Lee,jose@example.com\n");
    assert_eq!(
        refused(&app, &admin, room, &latin1).await,
        "Line 3 is not UTF-8 text. Save the file as “CSV UTF-8” and choose it again."
    );
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(good_rows.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    assert!(
        refused(&app, &admin, room, &utf16)
            .await
            .contains("not UTF-8")
    );
    let binary: Vec<u8> = (0..4096_u32).map(|i| (i * 7 % 256) as u8).collect();
    assert!(
        refused(&app, &admin, room, &binary)
            .await
            .starts_with("This is not a CSV file")
    );
    assert_eq!(
        refused(
            &app,
            &admin,
            room,
            b"Username,First Name,Last Name\namy,Amy,Lee\n"
        )
        .await,
        "The first line has no “Email” column. It must name the columns, as Export CSV writes them: Username, First Name, Last Name, Email are required."
    );
    let wide = (0..10_000)
        .map(|i| format!("c{i}"))
        .collect::<Vec<_>>()
        .join(",");
    assert!(
        refused(&app, &admin, room, wide.as_bytes())
            .await
            .contains("10,000 columns")
    );
    assert!(
        refused(&app, &admin, room, b"")
            .await
            .starts_with("The file is empty")
    );
    // A refused header ahead of many rows: the reading stops at once, nothing waits on it.
    let mut headless = String::from("Username,First Name,Last Name\n");
    for i in 0..20_000 {
        headless.push_str(&format!("user{i},Pat,Many\n"));
    }
    assert!(
        refused(&app, &admin, room, headless.as_bytes())
            .await
            .contains("no “Email” column")
    );
    // A row of 10,000 cells under a good header is a rejected row, not a refused file.
    let long_row = format!("{good_rows}{}\n", vec!["x"; 10_000].join(","));
    let p = preview(&app, &admin, room, &long_row).await;
    assert_eq!(
        (p["to_create"].as_i64(), p["to_reject"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        messages(&p, 3),
        ["Row: This row has 10,000 cells; the first line names 4 columns."]
    );
    // A declared gigabyte is refused before it is read.
    let cookie = session_cookie(&app, ADMIN_A).await;
    let (status, message) = raw_post(
        &app,
        &cookie,
        &format!("Content-Length: {}\r\n", 1_u64 << 30),
        vec![vec![b'a'; 1024]],
        false,
    )
    .await;
    assert_eq!(status, 413);
    assert!(
        message.starts_with("This file is larger than 40 MB"),
        "{message}"
    );
    // A file past the limit without a declared length is cut at the limit.
    let big = vec![b'a'; (app::members::import::MAX_FILE_BYTES + 1024) as usize];
    let body = form_body(room, false, "big.csv", &big);
    let (status, message) = raw_post(
        &app,
        &cookie,
        "Transfer-Encoding: chunked\r\n",
        body.chunks(1 << 20).map(<[u8]>::to_vec).collect(),
        true,
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        message.starts_with("This file is larger than 40 MB"),
        "{message}"
    );
    // Only the rows of the file with a long row were kept.
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM member_import_rows").await,
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_an_admin_imports_into_their_own_clinic_from_frontdesks_pages() {
    let app = spawn_app().await;
    let room_a = app.room_id("jessica").await;
    let room_b = app.room_id("riverside").await;
    let file = b"Username,First Name,Last Name,Email\namy,Amy,Lee,amy@example.com\n";
    let anonymous = app.client();
    assert_eq!(
        upload(&app, &anonymous, room_a, false, file).await.status(),
        303
    );
    let patient = app.signed_in(PATIENT_A).await;
    assert_eq!(
        upload(&app, &patient, room_a, false, file).await.status(),
        303
    );
    let admin_a = app.signed_in(ADMIN_A).await;
    // Another clinic's room: refused before anything is read.
    let response = upload(&app, &admin_a, room_b, false, file).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.text().await.unwrap(),
        "Choose a room of your clinic."
    );
    // A page of another site posting the admin's browser's cookies.
    let response = admin_a
        .post(app.url("/admin/users/import.csv"))
        .header("sec-fetch-site", "cross-site")
        .header(
            CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(form_body(room_a, false, "x.csv", file))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    // A browser's form post is sent on to the import's page.
    let response = admin_a
        .post(app.url("/admin/users/import.csv"))
        .header("sec-fetch-mode", "navigate")
        .header("sec-fetch-site", "same-origin")
        .header(
            CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(form_body(room_a, false, "x.csv", file))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let id = import_id(&response);
    // Another admin neither reads nor starts it.
    let admin_b = app.signed_in(ADMIN_B).await;
    for endpoint in ["members/import/progress", "members/import/start"] {
        let response = app
            .call(&admin_b, endpoint, &[("id", &id.to_string())])
            .await;
        assert_eq!(response.status(), 404, "{endpoint}");
    }
    assert_eq!(users_named(&app, "amy").await, 0);
}
