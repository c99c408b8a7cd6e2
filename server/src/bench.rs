//! `frontdesk bench`: the users table at scale, measured through the server's own code.
//!
//! Seeds (or reuses) a database of N members spread over several clinics and rooms, then
//! times each query shape many times through the same service function the server function
//! calls, and the first page's full server-rendered HTML over HTTP. Prints a Markdown table.

use std::time::{Duration, Instant};

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

use app::auth::password::PasswordHasher;
use app::entities::{clinic, room, user};
use app::members::UsersQuery;
use app::members::server::remembered::CappedViews;
use app::members::server::users_table as service;
use jiff::tz::TimeZone;

/// The benchmark's pages are written in UTC.
const UTC: TimeZone = TimeZone::UTC;

use crate::{ServerState, Settings, app_state, db, router, seed};

/// The clinics besides the demo clinic, each with three rooms.
const EXTRA_CLINICS: &[&str] = &[
    "Eastside Family Care",
    "Summit Pediatrics",
    "Bayview Health",
];
/// Share of the members in the demo clinic (the one the benchmark queries).
const DEMO_SHARE: f64 = 0.7;

pub struct Options {
    pub members: u32,
    pub iterations: u32,
    /// Rows of the Import CSV file timed (0: none).
    pub import_rows: u32,
}

pub(crate) struct Stats {
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
}

pub(crate) fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() as f64 * q).ceil() as usize).saturating_sub(1)];
    Stats {
        p50: at(0.50),
        p95: at(0.95),
        p99: at(0.99),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// Seeds `members` members unless the database already holds them; returns the seconds
/// seeding took, or `None` when the data was reused.
async fn ensure_seeded(db: &DatabaseConnection, members: u32) -> anyhow::Result<Option<f64>> {
    let have = user::Entity::find().count(db).await?;
    if have >= u64::from(members) {
        return Ok(None);
    }
    if have > 0 {
        anyhow::bail!(
            "the bench database holds {have} users, fewer than {members}: remove it (make bench-clean) and run again"
        );
    }
    let started = Instant::now();
    let hasher = PasswordHasher::new(2);
    crate::bulk_load::without_secondary_indexes(db, async || {
        seed::demo_if_empty(db, &hasher, Some(BENCH_PASSWORD)).await?;
        let (demo, demo_rooms) = seed::demo_clinic(db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no demo clinic"))?;
        let demo_members = (f64::from(members) * DEMO_SHARE) as u32;
        seed::members(db, demo, &demo_rooms, demo_members, 1).await?;
        let rest = members - demo_members;
        for (i, name) in EXTRA_CLINICS.iter().enumerate() {
            let rooms: Vec<(String, String, String)> = (1..=3)
                .map(|r| {
                    let slug = format!("c{i}r{r}");
                    (format!("{name} Room {r}"), format!("TV{i}{r}-{slug}"), slug)
                })
                .collect();
            let refs: Vec<(&str, &str, &str)> = rooms
                .iter()
                .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
                .collect();
            let (clinic_id, room_ids) = seed::insert_clinic(db, name, &refs, false).await?;
            let share = rest / EXTRA_CLINICS.len() as u32;
            seed::members(db, clinic_id, &room_ids, share, 10 + i as u64).await?;
        }
        Ok(())
    })
    .await?;
    Ok(Some(started.elapsed().as_secs_f64()))
}

const BENCH_PASSWORD: &str = "Bench-Admin-Pass-1";

fn view(pairs: &[(&'static str, &str)]) -> UsersQuery {
    UsersQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, (*v).to_owned())))
}

async fn time_shape(
    db: &DatabaseConnection,
    clinics: &[i64],
    query: &UsersQuery,
    iterations: u32,
) -> anyhow::Result<(Stats, usize)> {
    // Every call counts afresh (a new `CappedViews`): the shapes time the database's work.
    let parsed = query.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut rows = 0;
    for _ in 0..5 {
        rows = service::list(db, &CappedViews::default(), clinics, &parsed, &UTC)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .rows
            .len();
    }
    let mut samples = Vec::with_capacity(iterations as usize);
    for _ in 0..iterations {
        let t = Instant::now();
        service::list(db, &CappedViews::default(), clinics, &parsed, &UTC)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        samples.push(t.elapsed());
    }
    Ok((stats(samples), rows))
}

/// A room of the demo clinic holding few of its members (every 2,000th, about 350), where
/// a room filter is narrower than any index on the users; added once to a seeded database.
async fn quiet_room(conn: &DatabaseConnection, demo: i64) -> anyhow::Result<i64> {
    if let Some(r) = room::Entity::find()
        .filter(room::Column::Slug.eq("quiet"))
        .one(conn)
        .await?
    {
        return Ok(r.id);
    }
    let r = room::ActiveModel {
        clinic_id: Set(demo),
        name: Set("Quiet room".into()),
        code: Set("quiet".into()),
        slug: Set("quiet".into()),
        active: Set(true),
        guest_allowed: Set(false),
        signup_allowed: Set(false),
        created_at: Set(0),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    conn.execute_unprepared(&format!(
        "INSERT INTO user_rooms (user_id, room_id, assigned_at) \
         SELECT id, {}, signed_up_at FROM users WHERE clinic_id = {demo} AND id % 2000 = 0",
        r.id
    ))
    .await?;
    Ok(r.id)
}

/// Runs every shape against `url`; prints one Markdown section.
pub async fn run(label: &str, url: &str, options: &Options) -> anyhow::Result<()> {
    let conn = db::connect_with_cache(url, 8, Some(256)).await?;
    db::migrate(&conn).await?;
    let seeded = ensure_seeded(&conn, options.members).await?;
    let total = user::Entity::find().count(&conn).await?;
    let (demo, rooms) = seed::demo_clinic(&conn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no demo clinic"))?;
    let quiet = quiet_room(&conn, demo).await?;
    // Current statistics (and on Postgres a vacuumed table) for every run, including on a
    // database seeded by an older build, read by connections opened after them (SQLite's
    // planner would otherwise keep what each connection read when it opened: right after
    // a seed, no statistics for the indexes built last, and plans seconds slow).
    seed::settle_after_bulk_load(&conn).await?;
    conn.close().await?;
    let conn = db::connect_with_cache(url, 8, Some(256)).await?;
    let demo_count = user::Entity::find()
        .filter(user::Column::ClinicId.eq(demo))
        .count(&conn)
        .await?;
    let clinics = clinic::Entity::find().count(&conn).await?;

    println!("\n### {label}\n");
    match seeded {
        Some(secs) => println!("Seeded {total} users over {clinics} clinics in {secs:.1} s."),
        None => println!("Reused {total} users over {clinics} clinics (seeded earlier)."),
    }
    println!(
        "Queries run as the demo clinic's admin ({demo_count} users in that clinic), {} times each.\n",
        options.iterations
    );
    println!("| shape | rows | p50 ms | p95 ms | p99 ms |");
    println!("|---|---:|---:|---:|---:|");

    let rooms: Vec<i64> = rooms.into_iter().filter(|r| *r != quiet).collect();
    let room = rooms.get(1).copied().unwrap_or(rooms[0]).to_string();
    let shapes: Vec<(&str, UsersQuery)> = vec![
        ("first page, newest sign-up", view(&[])),
        ("common short prefix \"jo\"", view(&[("q", "jo")])),
        ("rare prefix \"hiroshi y\"", view(&[("q", "hiroshi y")])),
        ("full name \"jane gomez\"", view(&[("q", "jane gomez")])),
        ("exact email", view(&[("q", "jane.gomez@me.com")])),
        ("exact ID", view(&[("q", "21408246")])),
        ("portal ID", view(&[("q", "cmouser21408246")])),
        (
            "status + room filter",
            view(&[("status", "suspended"), ("room", &room)]),
        ),
        ("room filter", view(&[("room", &room)])),
        (
            "a room of 350 members",
            view(&[("room", &quiet.to_string())]),
        ),
        (
            "sort sign-up, oldest first",
            view(&[("sort", "signed_up"), ("dir", "asc")]),
        ),
        (
            "sort last login, recent first",
            view(&[("sort", "last_login")]),
        ),
        (
            "sort last login, oldest first",
            view(&[("sort", "last_login"), ("dir", "asc")]),
        ),
        ("sort name A–Z", view(&[("sort", "name")])),
        ("sort name Z–A", view(&[("sort", "name"), ("dir", "desc")])),
        (
            "prefix \"jo\", sorted by name",
            view(&[("q", "jo"), ("sort", "name")]),
        ),
    ];
    for (name, query) in &shapes {
        let (s, rows) = time_shape(&conn, &[demo], query, options.iterations).await?;
        println!(
            "| {name} | {rows} | {} | {} | {} |",
            ms(s.p50),
            ms(s.p95),
            ms(s.p99)
        );
    }

    // Page 500, reached by following Next 499 times (untimed), then timed.
    let mut query = view(&[]);
    for _ in 0..499 {
        let parsed = query.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
        let page = service::list(&conn, &CappedViews::default(), &[demo], &parsed, &UTC)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let Some(next) = page.next else { break };
        query.after = next;
    }
    let (s, rows) = time_shape(&conn, &[demo], &query, options.iterations).await?;
    println!(
        "| page 500 by keyset | {rows} | {} | {} | {} |",
        ms(s.p50),
        ms(s.p95),
        ms(s.p99)
    );

    match crate::bench_duplicates::run(&conn, demo, options.iterations).await? {
        Some((copies, others, found)) => {
            for (name, s, rows) in [
                ("possible duplicates of a copy of a member", copies, found),
                ("possible duplicates of a common name, no match", others, 0),
            ] {
                println!(
                    "| {name} | {rows} | {} | {} | {} |",
                    ms(s.p50),
                    ms(s.p95),
                    ms(s.p99)
                );
            }
        }
        None => println!(
            "| possible duplicates: not timed, the database was seeded before members had \
             birth dates and phones (`make bench-clean`) | | | | |"
        ),
    }

    // The first page's full HTML over HTTP, as a signed-in admin.
    let settings = Settings {
        database_url: url.to_owned(),
        bind: "127.0.0.1:0".parse()?,
        site_root: "target/site".into(),
        public_url: None,
        demo_admin_password: None,
        seed_demo: false,
        db_pool: 8,
        smtp_url: None,
        mail_from: "Frontdesk <no-reply@frontdesk.test>".into(),
        mail_dir: "data/mail".into(),
        mail_to_files: false,
        // The bench seals nothing it keeps.
        secret_key: Some(
            "a key for the benchmark's server only, 32+ chars"
                .to_owned()
                .into(),
        ),
        secret_key_file: "data/secret.key".into(),
        public_post_burst: 60,
        // Every page read from the database: the figure times the work, not the memory.
        recent_pages: 0,
        trusted_proxies: Vec::new(),
        guest_burst: 3,
    };
    // The server's statements are counted: how many a page costs.
    let statements = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut served = conn.clone();
    {
        let statements = statements.clone();
        served.set_metric_callback(move |_| {
            statements.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
    }
    let state = app_state(served, &settings)?;
    let app = router(ServerState::new(&settings, state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let cookie = sign_in(addr).await?;
    let html_samples = time_http(addr, &cookie, options.iterations).await?;
    let s = stats(html_samples);
    println!(
        "| first page, full HTML over HTTP | 25 | {} | {} | {} |",
        ms(s.p50),
        ms(s.p95),
        ms(s.p99)
    );
    print_pages(
        &conn,
        (addr, statements.as_ref()),
        &cookie,
        demo,
        rooms[0],
        options.iterations.min(50),
    )
    .await?;
    println!(
        "\n| writes, one at a time, through the server | requests | p50 ms | p95 ms | p99 ms |"
    );
    println!("|---|---:|---:|---:|---:|");
    let writes = options.iterations.min(50);
    for (name, s) in crate::bench_writes::run(addr, &cookie, (demo, rooms[0]), writes).await? {
        println!(
            "| {name} | {writes} | {} | {} | {} |",
            ms(s.p50),
            ms(s.p95),
            ms(s.p99)
        );
    }
    if options.import_rows > 0 {
        let room = room::Entity::find_by_id(rooms[0])
            .one(&conn)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no room"))?;
        println!("\n| Import CSV (through the server) | preview | import | total | rows/s |");
        println!("|---|---:|---:|---:|---:|");
        crate::bench_import::run(
            &conn,
            addr,
            &cookie,
            room.id,
            &room.code,
            options.import_rows,
        )
        .await?;
    }
    server.abort();
    Ok(())
}

/// Every page's HTML over HTTP (`bench_pages`), as a table of its own.
async fn print_pages(
    conn: &DatabaseConnection,
    (addr, statements): (std::net::SocketAddr, &std::sync::atomic::AtomicUsize),
    cookie: &str,
    demo: i64,
    room_id: i64,
    iterations: u32,
) -> anyhow::Result<()> {
    let member = user::Entity::find()
        .filter(user::Column::ClinicId.eq(demo))
        .filter(user::Column::UserType.eq(app::accounts::UserType::Member))
        .order_by_asc(user::Column::Id)
        .one(conn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no member in the demo clinic"))?;
    let room = room::Entity::find_by_id(room_id)
        .one(conn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no room"))?;
    println!(
        "\nEvery page's full HTML over HTTP, {iterations} requests each, nothing kept in memory \
         (admin pages signed in as the demo clinic's admin; the member is {}):\n",
        member.id
    );
    println!("| page | path | statements | p50 ms | p95 ms | p99 ms |");
    println!("|---|---|---:|---:|---:|---:|");
    let pages =
        crate::bench_pages::run(addr, statements, cookie, member.id, &room.slug, iterations);
    for page in pages.await? {
        match page.result {
            Ok((s, sent)) => println!(
                "| {} | `{}` | {sent:.1} | {} | {} | {} |",
                page.name,
                page.path,
                ms(s.p50),
                ms(s.p95),
                ms(s.p99)
            ),
            Err(answer) => println!("| {} | `{}` | {answer} | | | |", page.name, page.path),
        }
    }
    Ok(())
}

/// Minimal HTTP/1.1 over a TCP socket, so the measurement includes no client library.
pub(crate) async fn request(addr: std::net::SocketAddr, raw: &str) -> anyhow::Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream.write_all(raw.as_bytes()).await?;
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

async fn sign_in(addr: std::net::SocketAddr) -> anyhow::Result<String> {
    let body = format!(
        "username={}&password={BENCH_PASSWORD}",
        seed::DEMO_ADMIN.replace('@', "%40")
    );
    let response = request(
        addr,
        &format!(
            "POST /api/auth/login HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .await?;
    response
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("sign-in failed: {}", response.lines().next().unwrap_or("")))
}

async fn time_http(
    addr: std::net::SocketAddr,
    cookie: &str,
    iterations: u32,
) -> anyhow::Result<Vec<Duration>> {
    let raw = format!(
        "GET /admin/users HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    );
    for _ in 0..5 {
        request(addr, &raw).await?;
    }
    let mut samples = Vec::with_capacity(iterations as usize);
    for _ in 0..iterations {
        let t = Instant::now();
        let response = request(addr, &raw).await?;
        samples.push(t.elapsed());
        if !response.starts_with("HTTP/1.1 200") || !response.contains("Portal ID: ") {
            anyhow::bail!(
                "the users page did not render: {}",
                response.lines().next().unwrap_or("")
            );
        }
    }
    Ok(samples)
}

/// The sign-in limit of this machine, as the benchmark defines it: one password check's
/// median time over `runs` checks (one at a time, as a sign-in does), and the checks per
/// second all cores could do if each did them as fast as one core alone.
pub struct Argon2Limit {
    pub one: Duration,
    pub cores: usize,
    /// `cores` ÷ `one`.
    pub limit_per_s: f64,
    /// Checks per second measured with every core checking at once (`runs` checks per
    /// core), which is what the machine really gives: cores that share memory bandwidth
    /// and caches do not each keep their solo speed under a 19 MiB working set.
    pub all_cores_per_s: f64,
}

pub async fn argon2_limit(runs: u32) -> anyhow::Result<Argon2Limit> {
    let runs = runs.max(1);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let hasher = PasswordHasher::new(cores);
    let stored = hasher.hash(BENCH_PASSWORD.to_owned()).await?;
    let mut samples = Vec::with_capacity(runs as usize);
    for _ in 0..runs {
        let t = Instant::now();
        let ok = hasher
            .verify(BENCH_PASSWORD.to_owned(), Some(stored.clone()))
            .await?;
        samples.push(t.elapsed());
        anyhow::ensure!(ok, "the password did not verify");
    }
    let one = stats(samples).p50;

    let started = Instant::now();
    let mut all = tokio::task::JoinSet::new();
    for _ in 0..cores {
        let (hasher, stored) = (hasher.clone(), stored.clone());
        all.spawn(async move {
            for _ in 0..runs {
                let ok = hasher
                    .verify(BENCH_PASSWORD.to_owned(), Some(stored.clone()))
                    .await?;
                anyhow::ensure!(ok, "the password did not verify");
            }
            Ok(())
        });
    }
    while let Some(done) = all.join_next().await {
        done??;
    }
    let all_cores_per_s = f64::from(runs) * cores as f64 / started.elapsed().as_secs_f64();
    Ok(Argon2Limit {
        one,
        cores,
        limit_per_s: cores as f64 / one.as_secs_f64(),
        all_cores_per_s,
    })
}
