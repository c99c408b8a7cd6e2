//! `frontdesk bench`'s pages: every page an admin or a patient opens, its full
//! server-rendered HTML over HTTP, with the server reading every page from the database
//! (no users-table page kept in memory).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::bench::{Stats, request, stats};

/// Pages a signed-in Clinic Admin opens (`{member}`: a member of the demo clinic).
const ADMIN_PAGES: &[(&str, &str)] = &[
    ("users page", "/admin/users"),
    ("users page, search \"jo\"", "/admin/users?q=jo"),
    (
        "Member Detail, Profile tab",
        "/admin/users?member={member}&tab=profile",
    ),
    (
        "Member Detail, Management tab",
        "/admin/users?member={member}&tab=management",
    ),
    ("Rooms", "/admin/rooms"),
    ("Settings", "/admin/settings"),
    ("Audit log", "/admin/audit"),
    ("Import CSV", "/admin/users/import"),
    ("provider's dashboard", "/provider"),
    ("Account", "/account"),
    ("Account security", "/account/security"),
];

/// Pages anyone opens (`{room}`: the link of one of the demo clinic's rooms).
const PATIENT_PAGES: &[(&str, &str)] = &[
    ("home", "/"),
    ("Log in", "/login"),
    ("Forgot password", "/forgot-password"),
    ("reset password (no link)", "/reset-password"),
    ("confirm email (no link)", "/confirm-email"),
    ("room", "/u/{room}"),
    ("guest entry", "/u/{room}/guest"),
    ("sign-up", "/u/{room}/sign-up"),
    ("waiting room (not waiting)", "/u/{room}/waiting"),
];

/// One page's figures (and the statements the server sent the database per request), or
/// how it answered when not with a page.
pub struct Timed {
    pub name: &'static str,
    pub path: String,
    pub result: Result<(Stats, f64), String>,
}

/// Times each page `iterations` times (after three untimed), one request at a time, each on
/// a new connection. `cookie` signs the admin pages in; `statements` counts what the
/// server sends its database.
pub async fn run(
    addr: SocketAddr,
    statements: &AtomicUsize,
    cookie: &str,
    member: i64,
    room_slug: &str,
    iterations: u32,
) -> anyhow::Result<Vec<Timed>> {
    let mut out = Vec::new();
    let pages = ADMIN_PAGES
        .iter()
        .map(|p| (p, Some(cookie)))
        .chain(PATIENT_PAGES.iter().map(|p| (p, None)));
    for (&(name, path), cookie) in pages {
        let path = path
            .replace("{member}", &member.to_string())
            .replace("{room}", room_slug);
        statements.store(0, Ordering::Relaxed);
        let result = time_page(addr, &path, cookie, iterations).await?.map(|s| {
            let sent = statements.load(Ordering::Relaxed) as f64;
            (s, sent / f64::from(iterations + 3))
        });
        out.push(Timed { name, path, result });
    }
    Ok(out)
}

async fn time_page(
    addr: SocketAddr,
    path: &str,
    cookie: Option<&str>,
    iterations: u32,
) -> anyhow::Result<Result<Stats, String>> {
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    let raw = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{cookie}Connection: close\r\n\r\n");
    let mut samples: Vec<Duration> = Vec::with_capacity(iterations as usize);
    for i in 0..iterations + 3 {
        let t = Instant::now();
        let response = request(addr, &raw).await?;
        let took = t.elapsed();
        let status = response.lines().next().unwrap_or("").to_owned();
        if !status.starts_with("HTTP/1.1 200") || !response.contains("</html>") {
            return Ok(Err(format!("answered `{status}`")));
        }
        if i >= 3 {
            samples.push(took);
        }
    }
    Ok(Ok(stats(samples)))
}
