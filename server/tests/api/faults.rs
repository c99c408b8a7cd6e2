//! Faults under a running server: Postgres restarted, and the server killed mid-write. The
//! restart runs in the Postgres pass of the suite, on a private Postgres cluster of its own
//! (initdb'd in a temporary directory, listening only on a Unix socket in that directory),
//! so stopping it disturbs no other test and no other process can take its address.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::helpers::*;

/// A Postgres server of the test's own, stopped and removed when dropped.
struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    as_root: bool,
}

impl Cluster {
    /// `None` when this machine has no Postgres server binaries.
    fn create() -> Option<Self> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path().join("bin"))
            .find(|b| b.join("initdb").exists())?;
        let dir = tempfile::tempdir().expect("temp dir");
        let as_root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        if as_root {
            // Postgres refuses to run as root: the cluster belongs to the postgres user.
            run(Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(dir.path()));
        }
        let cluster = Self { bin, dir, as_root };
        cluster.pg(
            "initdb",
            &[
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-D",
                &cluster.data(),
            ],
        );
        cluster.start();
        Some(cluster)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// `tool` of the Postgres server binaries, run as the cluster's owner.
    fn command(&self, tool: &str, args: &[&str]) -> Command {
        let program = self.bin.join(tool);
        let mut command = if self.as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        command.args(args).current_dir(self.dir.path());
        command
    }

    fn pg(&self, tool: &str, args: &[&str]) {
        run(&mut self.command(tool, args));
    }

    fn start(&self) {
        let options = format!(
            "-k {} -c listen_addresses='' -c fsync=off",
            self.dir.path().display()
        );
        let log = self.dir.path().join("log").display().to_string();
        self.pg(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-o",
                &options,
                "-l",
                &log,
                "-w",
                "start",
            ],
        );
    }

    /// Stops the server the way a restart does: connections are cut, new ones refused.
    fn stop(&self) {
        self.pg("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    fn url(&self) -> String {
        format!(
            "postgres://postgres@localhost/postgres?host={}",
            self.dir.path().display()
        )
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self
            .command("pg_ctl", &["-D", &data, "-m", "immediate", "stop"])
            .output();
    }
}

fn run(command: &mut Command) {
    let out = command.output().expect("run");
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn in_postgres_pass() -> bool {
    std::env::var("FRONTDESK_TEST_POSTGRES").is_ok_and(|v| !v.is_empty())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_restart_fails_requests_cleanly_and_the_server_recovers_by_itself() {
    // The Makefile skips this test by name over SQLite and says so; run any other way, it
    // fails rather than passing without having tried.
    assert!(
        in_postgres_pass(),
        "needs the Postgres pass (FRONTDESK_TEST_POSTGRES); make test skips it over SQLite"
    );
    let Some(cluster) = Cluster::create() else {
        panic!("Postgres server binaries are needed under /usr/lib/postgresql");
    };
    assert!(Path::new(&cluster.data()).exists());
    let app = spawn_app_on(cluster.url()).await;
    let admin = app.signed_in(ADMIN_A).await;
    assert_eq!(app.list_members(&admin, "gomez").await.status(), 200);

    cluster.stop();
    let started = Instant::now();
    let during = app.list_members(&admin, "gomez").await;
    let took = started.elapsed();
    let status = during.status();
    let body = during.text().await.unwrap_or_default();
    assert_eq!(status, 503, "while Postgres is down: {body}");
    let error: app::error::AppError = serde_json::from_str(&body).expect("an AppError");
    assert!(
        error.to_string().contains("cannot reach its database"),
        "the browser says what is wrong: {error}"
    );
    assert!(
        took < Duration::from_secs(10),
        "failing took {took:?}: requests must not hang"
    );
    let page = app.get(&admin, "/admin/users").await;
    assert_eq!(page.status(), 503, "pages too");

    cluster.start();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = app.list_members(&admin, "gomez").await.status();
        if status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still {status} 20 s after Postgres came back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The same session, and new sign-ins, work without restarting Frontdesk.
    assert_eq!(app.get(&admin, "/admin/users").await.status(), 200);
    assert_eq!(
        app.login(&app.client(), PATIENT_A, PASSWORD).await.status(),
        200
    );
}

/// The `frontdesk` binary's command to serve `url` on a free port, with the mail folder and
/// nothing else of the environment's Frontdesk settings.
fn command(url: &str, mail_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_frontdesk"));
    for (name, _) in std::env::vars() {
        if name.starts_with("FRONTDESK_") {
            command.env_remove(name);
        }
    }
    command
        .args(["--database-url", url, "--bind", "127.0.0.1:0"])
        .env(
            "FRONTDESK_SECRET_KEY",
            "a key for this test's own server, 32+ chars",
        )
        .env("FRONTDESK_DEMO_ADMIN_PASSWORD", DEMO_PASSWORD)
        .env("FRONTDESK_MAIL_DIR", mail_dir)
        .env("FRONTDESK_LOG", "warn");
    command
}

/// The `frontdesk` binary, serving `url` on a free port.
struct Served {
    child: std::process::Child,
    addr: std::net::SocketAddr,
}

const DEMO_PASSWORD: &str = "Kill-Nine-Demo-42";

impl Served {
    /// Binds port 0 itself, so the address is the server's from the start; the test learns
    /// it from the "ready" line, printed once the server is listening.
    async fn start(url: &str, mail_dir: &Path) -> Self {
        Self::start_with(url, mail_dir, &[]).await
    }

    /// [`Served::start`], with more settings in the environment.
    async fn start_with(url: &str, mail_dir: &Path, settings: &[(&str, &str)]) -> Self {
        use std::io::BufRead;
        let mut child = command(url, mail_dir)
            .envs(settings.iter().copied())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start frontdesk");
        let stdout = child.stdout.take().expect("stdout");
        let addr = tokio::task::spawn_blocking(move || {
            let mut lines = std::io::BufReader::new(stdout).lines();
            let addr = lines
                .by_ref()
                .map_while(Result::ok)
                .find_map(|line| {
                    line.split_once("ready on http://")
                        .map(|(_, addr)| addr.trim().parse::<std::net::SocketAddr>())
                })
                .expect("frontdesk printed its ready line")
                .expect("an address");
            // Keep reading so the server never blocks on a full pipe.
            std::thread::spawn(move || lines.for_each(drop));
            addr
        });
        let addr = tokio::time::timeout(Duration::from_secs(60), addr)
            .await
            .expect("frontdesk did not start within 60 s")
            .expect("reader");
        Self { child, addr }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// SIGKILL: no shutdown, no flush, nothing the process could finish.
    fn kill(&mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn sign_in(served: &Served) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let response = client
        .post(served.url("/api/auth/login"))
        .form(&[
            ("username", server::seed::DEMO_ADMIN),
            ("password", DEMO_PASSWORD),
        ])
        .send()
        .await
        .expect("sign in");
    assert_eq!(response.status(), 200);
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_bulk_create_leaves_only_whole_members() {
    use app::entities::{audit_event, clinic, room, user, user_room};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    let (url, _database) = fresh_database().await;
    let mail = tempfile::tempdir().expect("mail dir");
    let mut served = Served::start(&url, mail.path()).await;
    let db = server::db::connect(&url, 2).await.expect("connect");
    let demo = clinic::Entity::find()
        .filter(clinic::Column::Name.eq(server::seed::DEMO_CLINIC))
        .one(&db)
        .await
        .unwrap()
        .expect("demo clinic");
    let room_id = room::Entity::find()
        .filter(room::Column::ClinicId.eq(demo.id))
        .one(&db)
        .await
        .unwrap()
        .expect("a room")
        .id;
    let admin = sign_in(&served).await;

    // Eight admins' worth of creations at once, until the server dies under them.
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut writers = Vec::new();
    for writer in 0..8 {
        let (admin, acknowledged) = (admin.clone(), acknowledged.clone());
        let create = served.url("/api/members/create");
        writers.push(tokio::spawn(async move {
            for n in 0.. {
                let email = format!("bulk.{writer}.{n}@example.com");
                let body = serde_json::json!({ "member": new_member(demo.id, room_id, &email) });
                match admin.post(&create).json(&body).send().await {
                    Ok(r) if r.status() == 200 => acknowledged.lock().unwrap().push(email),
                    Ok(r) => panic!("{email}: {}", r.status()),
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    // Killed once creations are well under way (no fixed time: a slow machine waits longer).
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged.lock().unwrap().len() < 16 {
        assert!(Instant::now() < deadline, "no creations within 60 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    served.kill();
    for writer in writers {
        writer.await.expect("writer");
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 16,
        "creations were under way: {}",
        acknowledged.len()
    );

    let served = Served::start(&url, mail.path()).await;
    let bulk = user::Entity::find()
        .filter(user::Column::UsernameLower.like("bulk.%"))
        .all(&db)
        .await
        .unwrap();
    let names: std::collections::HashSet<&str> = bulk.iter().map(|u| u.username.as_str()).collect();
    for email in &acknowledged {
        assert!(
            names.contains(email.as_str()),
            "{email} was acknowledged, then lost"
        );
    }
    // At most the requests in flight when it died are there without an answer.
    assert!(bulk.len() <= acknowledged.len() + 8);
    for member in &bulk {
        let rooms = user_room::Entity::find()
            .filter(user_room::Column::UserId.eq(member.id))
            .all(&db)
            .await
            .unwrap();
        let created = audit_event::Entity::find()
            .filter(audit_event::Column::MemberId.eq(member.id))
            .all(&db)
            .await
            .unwrap();
        assert_eq!(rooms.len(), 1, "{}: its room came with it", member.username);
        assert_eq!(created.len(), 1, "{}: its audit event too", member.username);
    }
    // And the restarted server shows exactly them.
    let admin = sign_in(&served).await;
    let listed: serde_json::Value = admin
        .post(served.url("/api/members/list"))
        .form(&[("query[q]", "bulk."), ("query[size]", "100")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    eprintln!(
        "{} creations acknowledged before SIGKILL, {} members after restart",
        acknowledged.len(),
        bulk.len()
    );
    assert_eq!(
        listed["count"].as_u64(),
        Some(bulk.len() as u64),
        "{listed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_https_server_without_smtp_refuses_to_start_unless_files_are_chosen() {
    let (url, _database) = fresh_database().await;
    let mail = tempfile::tempdir().expect("mail dir");
    let public = [("FRONTDESK_PUBLIC_URL", "https://clinic.example")];

    let mut refused = command(&url, mail.path())
        .envs(public)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start frontdesk");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = refused.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = refused.kill();
            panic!("frontdesk served an https address with mail going to files");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut said = String::new();
    std::io::Read::read_to_string(&mut refused.stderr.take().expect("stderr"), &mut said)
        .expect("stderr");
    assert!(!status.success());
    assert!(said.contains("FRONTDESK_SMTP_URL"), "{said}");
    assert!(said.contains("FRONTDESK_MAIL_TO_FILES"), "{said}");

    // Chosen explicitly, files it is.
    let served = Served::start_with(
        &url,
        mail.path(),
        &[public[0], ("FRONTDESK_MAIL_TO_FILES", "true")],
    )
    .await;
    let answer = reqwest::get(served.url("/login"))
        .await
        .expect("login page");
    assert_eq!(answer.status(), 200);
}
