//! `frontdesk queue-load`: the waiting rooms under load, against a running server.
//!
//! Adds 50 rooms to the demo clinic and 20 Providers (each assigned to two or three of them)
//! in the database, then over HTTP: 40 guests enter each room (2,000 waiting patients),
//! the Providers sign in. Each page keeps its connection open (keep-alive), as a browser's
//! does. It times searches of the users table (eight admins, one search every 25 ms each)
//! alone, then again while every waiting patient's page keeps a question about their place
//! open (asked again as soon as answered, as the browser page does), every Provider's
//! dashboard reads its queues every second, and each Provider starts or ends a visit every
//! 10 s, then alone once more. Prints the searches' and dashboards' p50/p99, how soon a
//! started patient's page showed it, the searches' p99 during the load against alone before
//! it (and alone after it against before: how far it moves without the load), and the CPU
//! of the server and of this program, its searches included (from `/proc`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use app::accounts::{Status, UserType};
use app::auth::password::PasswordHasher;
use app::entities::{room, user, user_room};

use crate::bench::{Stats, request, stats};
use crate::seed;

pub struct Options {
    pub addr: SocketAddr,
    pub admin_password: String,
    pub rooms: usize,
    pub per_room: usize,
    pub providers: usize,
    pub seconds: u64,
    /// The server's process, to read its CPU time.
    pub pid: Option<u32>,
}

const PROVIDER_PASSWORD: &str = "Queue-Load-Provider-42";

/// Rooms and Providers in the demo clinic; returns the rooms' slugs and the Providers'
/// usernames.
async fn prepare(
    db: &DatabaseConnection,
    options: &Options,
) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let (clinic, _) = seed::demo_clinic(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo clinic is missing"))?;
    let now = app::db::now_ms();
    let mut room_ids = Vec::new();
    let mut slugs = Vec::new();
    for n in 0..options.rooms {
        let slug = format!("load-{n}");
        let existing = room::Entity::find()
            .filter(room::Column::Slug.eq(slug.clone()))
            .one(db)
            .await?;
        let id = match existing {
            Some(r) => r.id,
            None => {
                room::ActiveModel {
                    clinic_id: Set(clinic),
                    name: Set(format!("Load room {n}")),
                    code: Set(format!("TVLD-load-{n}")),
                    slug: Set(slug.clone()),
                    active: Set(true),
                    guest_allowed: Set(true),
                    signup_allowed: Set(true),
                    created_at: Set(now),
                    visit_url: Set(None),
                    ..Default::default()
                }
                .insert(db)
                .await?
                .id
            }
        };
        room_ids.push(id);
        slugs.push(slug);
    }
    let hash = PasswordHasher::new(1)
        .hash(PROVIDER_PASSWORD.to_owned())
        .await?;
    let mut usernames = Vec::new();
    for n in 0..options.providers {
        let username = format!("load.provider.{n}@example.com");
        let found = user::Entity::find()
            .filter(user::Column::UsernameLower.eq(username.clone()))
            .one(db)
            .await?;
        if found.is_none() {
            let mut model = seed::user_model(
                0,
                clinic,
                UserType::Provider,
                &username,
                &username,
                "Load",
                &format!("Provider{n}"),
                Status::Active,
                now,
                None,
                Some(hash.clone()),
            );
            model.id = sea_orm::ActiveValue::NotSet;
            let id = model.insert(db).await?.id;
            // Rooms n, n + 20, n + 40, …: every room has a Provider.
            for (i, room_id) in room_ids.iter().enumerate() {
                if i % options.providers == n {
                    user_room::ActiveModel {
                        user_id: Set(id),
                        room_id: Set(*room_id),
                        assigned_at: Set(now),
                    }
                    .insert(db)
                    .await?;
                }
            }
        }
        usernames.push(username);
    }
    seed::sync_user_sequence(db).await?;
    Ok((slugs, usernames))
}

fn post(addr: SocketAddr, path: &str, cookie: Option<&str>, body: &str) -> String {
    post_as(
        addr,
        path,
        cookie,
        "application/x-www-form-urlencoded",
        body,
    )
}

fn post_as(addr: SocketAddr, path: &str, cookie: Option<&str>, kind: &str, body: &str) -> String {
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {kind}\r\n\
         {cookie}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// The same request on a connection kept open.
fn keep_alive(raw: &str) -> String {
    raw.replace("Connection: close\r\n", "")
}

/// One browser's connection, kept open between requests (HTTP/1.1 keep-alive), as a page
/// that asks every second or two keeps its connection.
struct KeptAlive {
    addr: SocketAddr,
    stream: Option<tokio::io::BufReader<tokio::net::TcpStream>>,
}

impl KeptAlive {
    /// Sends `raw`; returns the answer's status code and body.
    async fn send(&mut self, raw: &str) -> anyhow::Result<(u16, Vec<u8>)> {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
        if self.stream.is_none() {
            let s = tokio::net::TcpStream::connect(self.addr).await?;
            s.set_nodelay(true)?;
            self.stream = Some(tokio::io::BufReader::new(s));
        }
        let stream = self.stream.as_mut().expect("connected");
        let result: anyhow::Result<(u16, Vec<u8>)> = async {
            stream.get_mut().write_all(raw.as_bytes()).await?;
            let mut status = String::new();
            stream.read_line(&mut status).await?;
            let code = status
                .split_whitespace()
                .nth(1)
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            let mut length = 0usize;
            loop {
                let mut header = String::new();
                if stream.read_line(&mut header).await? == 0 {
                    anyhow::bail!("closed");
                }
                let header = header.trim_end();
                if header.is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse()?;
                }
            }
            let mut body = vec![0; length];
            stream.read_exact(&mut body).await?;
            Ok((code, body))
        }
        .await;
        if result.is_err() {
            self.stream = None;
        }
        result
    }
}

fn session_cookie(response: &str) -> anyhow::Result<String> {
    response
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no session: {}", response.lines().next().unwrap_or("")))
}

async fn sign_in(addr: SocketAddr, username: &str, password: &str) -> anyhow::Result<String> {
    let body = format!(
        "username={}&password={password}",
        username.replace('@', "%40")
    );
    session_cookie(&request(addr, &post(addr, "/api/auth/login", None, &body)).await?)
}

fn record(shared: &Shared, what: &'static str, took: Duration, ok: bool) {
    if shared.record.load(Ordering::Relaxed) {
        let mut samples = shared.samples.lock().expect("samples");
        samples.entry(what).or_default().push(took);
        if !ok {
            *samples.entry("failed").or_default() = vec![Duration::ZERO; 1];
        }
    }
}

/// A waiting patient's page: asks for its place saying what it shows, and asks again as
/// soon as answered, until the visit ends. Counts answers; when the page first shows the
/// visit started, records how long after the Provider started it.
async fn wait_in_queue(addr: SocketAddr, name: String, cookie: String, shared: Arc<Shared>) {
    let mut connection = KeptAlive { addr, stream: None };
    let mut shown = serde_json::Value::Null;
    // Pages opened at different times.
    tokio::time::sleep(Duration::from_secs(2).mul_f64(rand::random::<f64>())).await;
    while !shared.stop.load(Ordering::Relaxed) {
        let body = serde_json::json!({ "shown": shown }).to_string();
        let raw = keep_alive(&post_as(
            addr,
            "/api/patients/queue",
            Some(&cookie),
            "application/json",
            &body,
        ));
        let t = Instant::now();
        let answer = connection.send(&raw).await;
        let fresh = match &answer {
            Ok((200, body)) => serde_json::from_slice::<serde_json::Value>(body).ok(),
            _ => None,
        };
        record(&shared, QUEUE, t.elapsed(), fresh.is_some());
        let Some(fresh) = fresh else {
            tokio::time::sleep(Duration::from_millis(u64::from(app::patients::RETRY_MS))).await;
            continue;
        };
        if fresh["state"] == "InProgress" && shown["state"] != "InProgress" {
            let started = shared.started.lock().expect("started").remove(&name);
            if let Some(started) = started {
                record(&shared, SEEN, started.elapsed(), true);
            }
        }
        let goes_on = fresh["state"] == "InProgress" || fresh["state"].get("Waiting").is_some();
        shown = fresh;
        if !goes_on {
            return;
        }
    }
}

/// A Provider's dashboard: reads the queues every second; every 10 s starts the next
/// patient of one of its rooms or ends the visit it started.
async fn dashboard(addr: SocketAddr, cookie: String, shared: Arc<Shared>) {
    let every = Duration::from_millis(u64::from(app::visits::BOARD_POLL_MS));
    let board_raw = keep_alive(&post(addr, "/api/visits/board", Some(&cookie), ""));
    let mut connection = KeptAlive { addr, stream: None };
    tokio::time::sleep(every.mul_f64(rand::random::<f64>())).await;
    let mut next = Instant::now();
    let mut tick = rand::random::<u32>() % ACT_EVERY;
    let mut in_visit: Option<i64> = None;
    while !shared.stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        let answer = connection.send(&board_raw).await;
        let board = match &answer {
            Ok((200, body)) => serde_json::from_slice::<app::visits::Board>(body).ok(),
            _ => None,
        };
        record(&shared, BOARD, t.elapsed(), board.is_some());
        tick += 1;
        let change = board
            .filter(|_| tick.is_multiple_of(ACT_EVERY))
            .and_then(|board| match in_visit.take() {
                Some(id) => Some(("/api/visits/end", id, None)),
                None => board
                    .rooms
                    .iter()
                    .find_map(|r| r.waiting.first())
                    .map(|next| ("/api/visits/start", next.visit_id, Some(next.name.clone()))),
            });
        if let Some((path, id, name)) = change {
            if let Some(name) = &name {
                shared
                    .started
                    .lock()
                    .expect("started")
                    .insert(name.clone(), Instant::now());
            }
            let raw = keep_alive(&post(addr, path, Some(&cookie), &format!("visit_id={id}")));
            let t = Instant::now();
            let ok = connection
                .send(&raw)
                .await
                .is_ok_and(|(code, _)| code == 200);
            record(&shared, CHANGE, t.elapsed(), ok);
            if ok && name.is_some() {
                in_visit = Some(id);
            }
        }
        next += every;
        tokio::time::sleep_until(next.into()).await;
    }
}

/// A Provider starts or ends a visit every this many dashboard reads (seconds): each of
/// the 50 rooms' queues changes about every 25 s, far more often than visits of minutes do.
const ACT_EVERY: u32 = 10;
const QUEUE: &str = "queue";
const SEEN: &str = "seen";
const BOARD: &str = "board";
const CHANGE: &str = "change";

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    record: AtomicBool,
    samples: Mutex<HashMap<&'static str, Vec<Duration>>>,
    /// Patients whose visit a Provider started, by name, and when.
    started: Mutex<HashMap<String, Instant>>,
}

/// [`searches`] on a thread and runtime of their own: an admin's browser is not in the
/// process of 2,000 patients' browsers, so the times are the server's, not those of this
/// program's own runtime, busy with the patients' answers.
async fn searches_apart(
    addr: SocketAddr,
    cookie: &str,
    loops: usize,
    seconds: u64,
) -> Vec<Duration> {
    let cookie = cookie.to_owned();
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the searches");
        let _ = tx.send(runtime.block_on(searches(addr, &cookie, loops, seconds)));
    });
    rx.await.unwrap_or_default()
}

/// Searches for `seconds`: `loops` admins each searching every 25 ms (320 a second in all,
/// far more than a clinic's admins type, and well below what the server answers flat out,
/// so the times show interference rather than a queue of searches). Their answer times.
async fn searches(addr: SocketAddr, cookie: &str, loops: usize, seconds: u64) -> Vec<Duration> {
    let names = [
        "jo", "ma", "jane", "gomez", "smith", "li", "garcia", "ann", "rob", "kim",
    ];
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for l in 0..loops {
        let cookie = cookie.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            let mut i = l;
            let mut connection = KeptAlive { addr, stream: None };
            let every = Duration::from_millis(25);
            tokio::time::sleep(every.mul_f64(l as f64 / loops as f64)).await;
            let mut next = Instant::now();
            while Instant::now() < until {
                let body = format!("query%5Bq%5D={}", names[i % names.len()]);
                let raw = keep_alive(&post(addr, "/api/members/table", Some(&cookie), &body));
                i += 1;
                let t = Instant::now();
                if connection
                    .send(&raw)
                    .await
                    .is_ok_and(|(code, _)| code == 200)
                {
                    out.push(t.elapsed());
                }
                next += every;
                tokio::time::sleep_until(next.into()).await;
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap_or_default());
    }
    all
}

/// A process's CPU time so far, in seconds (user + system).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn line(name: &str, s: &Stats, n: usize) -> String {
    format!(
        "| {name} | {n} | {:.2} | {:.2} |",
        s.p50.as_secs_f64() * 1000.0,
        s.p99.as_secs_f64() * 1000.0
    )
}

pub async fn run(db: &DatabaseConnection, options: Options) -> anyhow::Result<()> {
    let addr = options.addr;
    let (slugs, providers) = prepare(db, &options).await?;
    let admin = sign_in(addr, seed::DEMO_ADMIN, &options.admin_password).await?;
    let mut patients = Vec::new();
    for slug in &slugs {
        for _ in 0..options.per_room {
            // Each guest's own name (letters only), to match the Providers' starts to pages.
            let last = format!("Guest{}", letters(patients.len()));
            let body = format!("slug={slug}&first_name=Load&last_name={last}&reason=Sore+throat");
            let response = request(addr, &post(addr, "/api/patients/enter", None, &body)).await?;
            patients.push((format!("Load {last}"), session_cookie(&response)?));
        }
    }
    let mut dashboards = Vec::new();
    for username in &providers {
        dashboards.push(sign_in(addr, username, PROVIDER_PASSWORD).await?);
    }
    println!(
        "{} patients waiting in {} rooms, {} providers signed in",
        patients.len(),
        slugs.len(),
        dashboards.len()
    );

    let cpu_alone_before = options.pid.and_then(cpu_seconds);
    let alone_started = Instant::now();
    let alone = searches_apart(addr, &admin, 8, options.seconds).await;
    let cpu_alone = options
        .pid
        .and_then(cpu_seconds)
        .zip(cpu_alone_before)
        .map(|(after, before)| (after - before) / alone_started.elapsed().as_secs_f64() * 100.0);

    let shared = Arc::new(Shared::default());
    let mut waiting = Vec::new();
    for (name, cookie) in patients {
        waiting.push(tokio::spawn(wait_in_queue(
            addr,
            name,
            cookie,
            shared.clone(),
        )));
    }
    let mut providers = Vec::new();
    for cookie in dashboards {
        providers.push(tokio::spawn(dashboard(addr, cookie, shared.clone())));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    shared.record.store(true, Ordering::Relaxed);
    let cpu_before = options.pid.and_then(cpu_seconds);
    let own_cpu_before = cpu_seconds(std::process::id());
    let started = Instant::now();
    let during = searches_apart(addr, &admin, 8, options.seconds).await;
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = options
        .pid
        .and_then(cpu_seconds)
        .zip(cpu_before)
        .map(|(after, before)| (after - before) / elapsed * 100.0);
    let own_cpu = cpu_seconds(std::process::id())
        .zip(own_cpu_before)
        .map(|(after, before)| (after - before) / elapsed * 100.0);
    shared.stop.store(true, Ordering::Relaxed);
    shared.record.store(false, Ordering::Relaxed);
    for p in providers {
        let _ = p.await;
    }
    // A waiting page's question is held until a change: no need to wait for it.
    for w in waiting {
        w.abort();
    }
    // The searches alone once more, once every held question has run out (≤ 15 s): how far
    // they move over the minute, from the machine or from what the load leaves behind.
    tokio::time::sleep(Duration::from_secs(16)).await;
    let again = searches_apart(addr, &admin, 8, options.seconds).await;
    let mut samples = std::mem::take(&mut *shared.samples.lock().expect("samples"));
    let failed = samples.contains_key("failed");
    let mut take = |what| samples.remove(what).unwrap_or_default();
    let (queue, seen, board, change) = (take(QUEUE), take(SEEN), take(BOARD), take(CHANGE));
    anyhow::ensure!(
        [&alone, &during, &again, &queue, &seen, &board, &change]
            .iter()
            .all(|s| !s.is_empty()),
        "no answers"
    );
    let ns = [
        alone.len(),
        during.len(),
        queue.len(),
        seen.len(),
        board.len(),
        change.len(),
    ];
    let nq = queue.len();
    let n_again = again.len();
    let (sa, sd, sg) = (stats(alone), stats(during), stats(again));
    println!("| Requests | answered | p50 ms | p99 ms |\n|---|---:|---:|---:|");
    println!("{}", line("searches alone (8 loops)", &sa, ns[0]));
    println!("{}", line("searches during the queue load", &sd, ns[1]));
    println!("{}", line("searches alone again, after it", &sg, n_again));
    println!(
        "{}",
        line(
            "a waiting page's question (held until its queue changes, ≤ 15 s)",
            &stats(queue),
            ns[2]
        )
    );
    let seen = stats(seen);
    let seen_p99 = seen.p99;
    println!(
        "{}",
        line(
            "a started visit, until the patient's page shows it",
            &seen,
            ns[3]
        )
    );
    println!(
        "{}",
        line("a provider's dashboard (every 1 s)", &stats(board), ns[4])
    );
    println!(
        "{}",
        line("a provider's Start or End", &stats(change), ns[5])
    );
    // The goal's figure: during the load against alone before it. The run alone after it
    // shows how far the searches alone move in a minute, whether from the machine or from
    // something the load leaves behind; not a baseline, since it may carry the load's cost.
    let ratio = sd.p99.as_secs_f64() / sa.p99.as_secs_f64();
    let alone_ratio = sg.p99.as_secs_f64() / sa.p99.as_secs_f64();
    let percent = |c: Option<f64>| c.map_or("unknown".to_owned(), |c| format!("{c:.0}"));
    println!(
        "RESULT search_p99_ratio={ratio:.2} alone_again_ratio={alone_ratio:.2} seen_p99_ms={:.0} queue_answers_per_s={:.0} cpu_percent={} cpu_alone_percent={} load_generator_cpu_percent={} failed={failed}",
        seen_p99.as_secs_f64() * 1000.0,
        nq as f64 / elapsed,
        percent(cpu),
        percent(cpu_alone),
        percent(own_cpu),
    );
    Ok(())
}

/// `n` in letters: a, b, …, z, ba, bb, …
fn letters(mut n: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'a' + (n % 26) as u8);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("letters")
}
