//! A test server: `spawn_app()` and its variants over a fresh database, its outbox
//! workers, a second server over the same database, and its background jobs run once.

use std::net::SocketAddr;

use sea_orm::{ConnectionTrait, DatabaseConnection};

use app::auth::password::PasswordHasher;
use app::mail::mailer::Mailer;
use app::mail::outbox::{self, OutboxSettings};

use crate::smtp::SmtpServer;
use server::{ServerState, Settings, app_state, db, router};

pub struct TestApp {
    pub addr: SocketAddr,
    pub db: DatabaseConnection,
    /// The SMTP server the outbox worker sends to.
    pub smtp: SmtpServer,
    mailer: Mailer,
    workers: Vec<tokio::task::JoinHandle<()>>,
    /// Cleans up the database when the test ends.
    _database: TestDatabase,
}

/// The outbox paced for tests: quick polls and retries, and a short lease (a message held
/// by a worker that was stopped mid-send is taken over after it).
fn test_outbox() -> OutboxSettings {
    OutboxSettings {
        lease_ms: 3_000,
        poll: std::time::Duration::from_millis(40),
        first_retry_ms: 100,
        max_retry_ms: 400,
        ..OutboxSettings::default()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for worker in &self.workers {
            worker.abort();
        }
    }
}

/// Keeps a test's database alive for as long as the test runs. Postgres test databases
/// (`frontdesk_test_*`) are dropped by `make api-postgres` before and after the suite:
/// dropping them here would block the test's runtime while its own pool still holds
/// connections.
pub enum TestDatabase {
    Sqlite(
        #[expect(dead_code, reason = "held for its Drop, which deletes the files")]
        tempfile::TempDir,
    ),
    Postgres,
}

pub async fn fresh_database() -> (String, TestDatabase) {
    match std::env::var("FRONTDESK_TEST_POSTGRES") {
        Ok(base) if !base.is_empty() => {
            let base = base.trim_end_matches('/').to_owned();
            let name = format!("frontdesk_test_{:016x}", rand::random::<u64>());
            let admin = sea_orm::Database::connect(format!("{base}/postgres"))
                .await
                .expect("connect to Postgres");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            admin.close().await.expect("close");
            (format!("{base}/{name}"), TestDatabase::Postgres)
        }
        _ => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}/test.db?mode=rwc", dir.path().display());
            (url, TestDatabase::Sqlite(dir))
        }
    }
}

/// Starts the server over a fresh database holding two clinics (A and B), each with an
/// admin and members, and clinic A's patient with a password. Mail is queued but not sent:
/// tests about mail use [`spawn_mail_app`].
pub async fn spawn_app() -> TestApp {
    start(SmtpServer::reserve().await, 0).await
}

/// [`spawn_app`] with an outbox worker sending to a fresh SMTP server.
pub async fn spawn_mail_app() -> TestApp {
    start(SmtpServer::start().await, 1).await
}

/// [`spawn_mail_app`], sending to `smtp` (which may be down).
pub async fn spawn_app_with_smtp(smtp: SmtpServer) -> TestApp {
    start(smtp, 1).await
}

/// Brakes loose enough that none holds during a test that sends hundreds of requests.
pub fn open_limits() -> app::auth::throttle::Limits {
    let open = app::auth::throttle::Rate {
        burst: 100_000,
        every: std::time::Duration::from_millis(1),
    };
    app::auth::throttle::Limits {
        sign_in_failures: open,
        account_failures: open,
        second_step_failures: open,
        public_posts: open,
        mail_per_address: open,
        guest_entries: open,
        guests_waiting_per_room: 100_000,
    }
}

/// [`spawn_app`] with the brakes on guessing set to `limits`.
pub async fn spawn_app_with_limits(limits: app::auth::throttle::Limits) -> TestApp {
    start_with(SmtpServer::reserve().await, 0, Some(limits)).await
}

/// [`spawn_app`] over the (empty) database at `url`, which the test looks after itself.
pub async fn spawn_app_on(url: String) -> TestApp {
    let smtp = SmtpServer::reserve().await;
    start_over(smtp, 0, None, (url, TestDatabase::Postgres), NO_SITE.into()).await
}

/// [`spawn_app`] serving the built site (bundle, stylesheet, favicon) under `site_root`.
pub async fn spawn_app_serving(site_root: &std::path::Path) -> TestApp {
    let site_root = site_root.display().to_string();
    start_over(
        SmtpServer::reserve().await,
        0,
        None,
        fresh_database().await,
        site_root,
    )
    .await
}

/// Most tests need no files: their site root does not exist.
const NO_SITE: &str = "target/site";

async fn start(smtp: SmtpServer, workers: usize) -> TestApp {
    start_with(smtp, workers, None).await
}

async fn start_with(
    smtp: SmtpServer,
    workers: usize,
    limits: Option<app::auth::throttle::Limits>,
) -> TestApp {
    start_over(
        smtp,
        workers,
        limits,
        fresh_database().await,
        NO_SITE.into(),
    )
    .await
}

/// A test server's settings, over the database at `url`.
fn test_settings(url: String, site_root: String) -> Settings {
    Settings {
        database_url: url,
        bind: "127.0.0.1:0".parse().expect("addr"),
        site_root,
        public_url: Some("http://frontdesk.test".into()),
        demo_admin_password: None,
        seed_demo: false,
        db_pool: 5,
        smtp_url: None,
        mail_from: "Frontdesk <no-reply@frontdesk.test>".into(),
        mail_dir: "data/mail".into(),
        mail_to_files: false,
        secret_key: Some(
            "a secret key for the test servers, 32+ chars"
                .to_owned()
                .into(),
        ),
        secret_key_file: "data/secret.key".into(),
        public_post_burst: 60,
        recent_pages: app::members::server::remembered::RecentPages::MOST,
        trusted_proxies: Vec::new(),
        guest_burst: 3,
    }
}

async fn start_over(
    smtp: SmtpServer,
    workers: usize,
    limits: Option<app::auth::throttle::Limits>,
    (url, database): (String, TestDatabase),
    site_root: String,
) -> TestApp {
    // Warnings (a request past its deadline, a database error) go to the test's output,
    // which shows when the test fails.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("warn")
        .with_test_writer()
        .try_init();
    let settings = test_settings(url, site_root);
    let conn = db::connect(&settings.database_url, settings.db_pool)
        .await
        .expect("connect");
    db::migrate(&conn).await.expect("migrate");
    let hasher = PasswordHasher::new(2);
    crate::fixtures::insert(&conn, &hasher).await;

    let mut state = app_state(conn.clone(), &settings).expect("state");
    if let Some(limits) = limits {
        state.throttle = std::sync::Arc::new(app::auth::throttle::Throttle::new(limits));
    }
    let app = router(ServerState::new(&settings, state));
    let addr = serve_on_a_free_port(app).await;
    let mailer = Mailer::smtp(&smtp.url(), "Frontdesk <no-reply@frontdesk.test>").expect("mailer");
    let mut app = TestApp {
        addr,
        db: conn,
        smtp,
        mailer,
        workers: Vec::new(),
        _database: database,
    };
    app.start_workers(workers);
    app
}

impl TestApp {
    /// Builds the router a second server in this process would serve, over this server's
    /// database (and serves nothing with it).
    pub fn another_router(&self) -> axum::Router {
        let settings = test_settings(String::new(), NO_SITE.into());
        router(ServerState::new(
            &settings,
            app_state(self.db.clone(), &settings).expect("state"),
        ))
    }

    /// Serves a second server over this server's database, with its settings changed by
    /// `change`; returns its address.
    pub async fn serve_another(&self, change: impl FnOnce(&mut Settings)) -> SocketAddr {
        let mut settings = test_settings(String::new(), NO_SITE.into());
        change(&mut settings);
        let app = router(ServerState::new(
            &settings,
            app_state(self.db.clone(), &settings).expect("state"),
        ));
        serve_on_a_free_port(app).await
    }

    /// Serves a second server over this server's database that shows `seen` the SQL of
    /// every statement it sends; returns its address.
    pub async fn serve_watched(&self, seen: impl Fn(&str) + Send + Sync + 'static) -> SocketAddr {
        let mut db = self.db.clone();
        db.set_metric_callback(move |info| seen(&info.statement.sql));
        let settings = test_settings(String::new(), NO_SITE.into());
        let app = router(ServerState::new(
            &settings,
            app_state(db, &settings).expect("state"),
        ));
        serve_on_a_free_port(app).await
    }

    /// Starts `n` more outbox workers, as `n` servers would.
    pub fn start_workers(&mut self, n: usize) {
        for _ in 0..n {
            let (db, mailer) = (self.db.clone(), self.mailer.clone());
            self.workers
                .push(tokio::spawn(outbox::run_forever(db, mailer, test_outbox())));
        }
    }

    /// Stops every outbox worker, as if the servers went away.
    pub fn stop_worker(&mut self) {
        for worker in self.workers.drain(..) {
            worker.abort();
        }
    }

    /// Stops the outbox worker and starts a new one, as a server restart does.
    pub fn restart_worker(&mut self) {
        self.stop_worker();
        self.start_workers(1);
    }

    /// Runs the pending-delete purge once; returns how many accounts it deleted.
    pub async fn purge(&self) -> usize {
        app::members::server::lifecycle::purge_due(&self.db)
            .await
            .expect("purge")
    }

    /// Runs the once-a-minute job that forgets what has expired, once.
    pub async fn forget_expired(&self) {
        server::forget_expired(&self.db, &self.mailer).await;
    }
}

/// Serves `app` on a free loopback port, in the background; its address.
async fn serve_on_a_free_port(app: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("serve");
    });
    addr
}
