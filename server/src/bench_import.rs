//! The benchmark of Import CSV: a file of new members sent to a running server as the
//! import form sends it, previewed, imported, and timed end to end; the members it made are
//! deleted afterwards, so the benchmark database stays as seeded.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection};

const BOUNDARY: &str = "frontdesk-bench-import";

/// `rows` new members in the columns Export CSV writes (those an import reads), all in
/// the demo clinic's room `room_code`, their usernames starting with `tag`.
fn file(rows: u32, tag: &str, room_code: &str) -> Vec<u8> {
    let mut out = String::with_capacity(rows as usize * 200);
    out.push_str("Username,First Name,Last Name,Email,Date of Birth,Address,City,State,Zip,Country,Phone,Timezone,Rooms\n");
    for i in 0..rows {
        out.push_str(&format!(
            "{tag}{i},Imani,O'Connor-Lee,{tag}{i}@example.com,1984-07-{:02},{} Market St,San Francisco,CA,94{:03},US,'+1415555{:04},America/Los_Angeles,{room_code}\n",
            1 + i % 28,
            100 + i % 900,
            i % 1000,
            i % 10_000
        ));
    }
    out.into_bytes()
}

/// Sends `raw` and answers the server's whole answer.
async fn send(addr: SocketAddr, raw: &[u8]) -> anyhow::Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream.write_all(raw).await?;
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// A server function's JSON answer.
async fn call(
    addr: SocketAddr,
    cookie: &str,
    endpoint: &str,
    body: &str,
) -> anyhow::Result<String> {
    let raw = format!(
        "POST /api/{endpoint} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let answer = send(addr, raw.as_bytes()).await?;
    Ok(answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default())
}

/// Imports `rows` new members through the server at `addr` and prints a table row of the
/// times; forgets them afterwards.
pub async fn run(
    db: &DatabaseConnection,
    addr: SocketAddr,
    cookie: &str,
    room_id: i64,
    room_code: &str,
    rows: u32,
) -> anyhow::Result<()> {
    let tag = format!("bench-import-{:x}-", rand::random::<u32>());
    let csv = file(rows, &tag, room_code);
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"room\"\r\n\r\n{room_id}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bench.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&csv);
    body.extend(format!("\r\n--{BOUNDARY}--\r\n").bytes());
    let mut raw = format!(
        "POST /admin/users/import.csv HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend(body);

    let began = Instant::now();
    let answer = send(addr, &raw).await?;
    let id: i64 = answer
        .lines()
        .find_map(|l| l.strip_prefix("location: /admin/import/"))
        .and_then(|id| id.trim().parse().ok())
        .ok_or_else(|| {
            anyhow::anyhow!("upload refused: {}", answer.lines().next().unwrap_or(""))
        })?;
    let previewed = began.elapsed();
    let progress = call(addr, cookie, "members/import/progress", &format!("id={id}")).await?;
    let plan: serde_json::Value = serde_json::from_str(&progress)?;
    anyhow::ensure!(
        plan["to_create"] == rows,
        "the preview plans {} creations of {rows}",
        plan["to_create"]
    );
    let started = Instant::now();
    call(addr, cookie, "members/import/start", &format!("id={id}")).await?;
    let done = loop {
        let p: serde_json::Value = serde_json::from_str(
            &call(addr, cookie, "members/import/progress", &format!("id={id}")).await?,
        )?;
        if p["state"] != "running" {
            break p;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let imported = started.elapsed();
    anyhow::ensure!(
        done["created"] == rows,
        "the import created {}",
        done["created"]
    );
    println!(
        "| {rows} new members, {:.1} MB | {:.1} s | {:.1} s | {:.1} s | {:.0} |",
        csv.len() as f64 / 1_048_576.0,
        previewed.as_secs_f64(),
        imported.as_secs_f64(),
        (previewed + imported).as_secs_f64(),
        f64::from(rows) / (previewed + imported).as_secs_f64()
    );
    forget(db, &tag, id).await
}

/// Deletes the members the benchmark imported, their events and the import.
async fn forget(db: &DatabaseConnection, tag: &str, id: i64) -> anyhow::Result<()> {
    let members = format!("SELECT id FROM users WHERE username_lower LIKE '{tag}%'");
    for sql in [
        format!("DELETE FROM audit_events WHERE member_id IN ({members})"),
        format!(
            "DELETE FROM audit_events WHERE action = 'imported' AND changes LIKE '%\"#{id}\"%'"
        ),
        format!("DELETE FROM users WHERE username_lower LIKE '{tag}%'"),
        format!("DELETE FROM member_imports WHERE id = {id}"),
    ] {
        db.execute_unprepared(&sql).await?;
    }
    Ok(())
}
