//! `frontdesk bench`'s writes: Create a Member, a Profile save and Delete, each through its
//! server function over HTTP, as the admin's browser sends it, at the seeded scale.

use std::net::SocketAddr;
use std::time::Instant;

use app::accounts::profile::ProfileInput;
use app::members::types::NewMember;

use crate::bench::{Stats, request, stats};

/// A name of letters only (names allow no digits), different for every `n`.
fn letters(mut n: u64) -> String {
    let mut out = String::new();
    loop {
        out.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
        if n == 0 {
            return out;
        }
    }
}

/// Posts `body` as JSON to the server function at `path`; the answer's body, or why not.
async fn post_json(
    addr: SocketAddr,
    cookie: &str,
    path: &str,
    body: &serde_json::Value,
) -> anyhow::Result<String> {
    post(addr, cookie, path, "application/json", &body.to_string()).await
}

async fn post(
    addr: SocketAddr,
    cookie: &str,
    path: &str,
    content_type: &str,
    body: &str,
) -> anyhow::Result<String> {
    let raw = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let response = request(addr, &raw).await?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| anyhow::anyhow!("{path}: no answer"))?;
    if !head.starts_with("HTTP/1.1 200") {
        anyhow::bail!("{path}: {}", head.lines().next().unwrap_or(""));
    }
    Ok(body.to_owned())
}

/// Creates `n` members in `room_id` of `clinic_id`, saves each one's profile, then deletes
/// each, timing every request; the three kinds' figures.
pub async fn run(
    addr: SocketAddr,
    cookie: &str,
    (clinic_id, room_id): (i64, i64),
    n: u32,
) -> anyhow::Result<[(&'static str, Stats); 3]> {
    let stamp = jiff::Timestamp::now().as_millisecond().unsigned_abs();
    let (mut created, mut saved, mut deleted) = (Vec::new(), Vec::new(), Vec::new());
    let mut members = Vec::new();
    for i in 0..u64::from(n) {
        let email = format!("bench.write.{stamp}.{i}@example.com");
        let member = NewMember {
            clinic_id,
            room_ids: vec![room_id],
            user_type: "member".into(),
            password: String::new(),
            confirm_password: String::new(),
            profile: ProfileInput {
                username: email.clone(),
                first_name: "Benchwrite".into(),
                last_name: format!("Run{}", letters(stamp * 1000 + i)),
                email: email.clone(),
                country: "US".into(),
                timezone: "America/Los_Angeles".into(),
                ..Default::default()
            },
            possible_duplicates_seen: Vec::new(),
        };
        let t = Instant::now();
        let id = post_json(
            addr,
            cookie,
            "/api/members/create",
            &serde_json::json!({ "member": member }),
        )
        .await?;
        created.push(t.elapsed());
        members.push((id.trim().parse::<i64>()?, email));
    }
    for (id, _) in &members {
        let detail = post(
            addr,
            cookie,
            "/api/members/detail",
            "application/x-www-form-urlencoded",
            &format!("id={id}"),
        )
        .await?;
        let detail: serde_json::Value = serde_json::from_str(&detail)?;
        let mut profile = detail["profile"].clone();
        profile["city"] = "Benchville".into();
        let body = serde_json::json!({
            "id": id, "version": detail["version"], "profile": profile
        });
        let t = Instant::now();
        post_json(addr, cookie, "/api/members/save_profile", &body).await?;
        saved.push(t.elapsed());
    }
    for (id, email) in &members {
        let body = serde_json::json!({ "id": id, "confirm_username": email });
        let t = Instant::now();
        post_json(addr, cookie, "/api/members/delete", &body).await?;
        deleted.push(t.elapsed());
    }
    Ok([
        (
            "Create a Member (server function over HTTP)",
            stats(created),
        ),
        ("Profile save", stats(saved)),
        ("Delete", stats(deleted)),
    ])
}
