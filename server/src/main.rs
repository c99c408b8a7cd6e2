//! `frontdesk`: serve the app, run migrations, or seed demo data.

use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

use server::seed::{self, AdminPassword};
use server::{ServerState, Settings, app_state, prepare, router};

#[derive(Parser)]
#[command(name = "frontdesk", about = "Patient accounts for telehealth clinics")]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate, seed the demo clinic into an empty database, and serve (the default).
    Serve,
    /// Run database migrations and exit.
    Migrate,
    /// Create a clinic and its first Clinic Admin (username: the email address), who gets a
    /// welcome email with a link to set a password. The clinic requires two-step sign-in of
    /// its Clinic Admins and Providers.
    CreateAdmin {
        /// The clinic's name.
        #[arg(long)]
        clinic: String,
        /// The admin's email address, also their username.
        #[arg(long)]
        email: String,
        /// The admin's first name.
        #[arg(long)]
        first: String,
        /// The admin's last name.
        #[arg(long)]
        last: String,
    },
    /// Turn off a member's two-step sign-in (a Clinic Admin with no other admin to do it, who
    /// lost their phone and their recovery codes). Audited, and the member is emailed.
    RemoveTwoStep {
        /// The member's username.
        #[arg(long)]
        username: String,
    },
    /// Add generated members to the demo clinic (seeding it first if the database is empty).
    SeedDemo {
        /// How many members to add.
        #[arg(long, default_value_t = 1000)]
        members: u32,
    },
    /// Measure the users table's query shapes over a seeded database (see BENCHMARKS.md).
    /// Uses --database-url; seeds it first when it holds fewer than --members users.
    Bench {
        /// Members to seed (over several clinics; 70 % in the demo clinic).
        #[arg(long, default_value_t = 1_000_000)]
        members: u32,
        /// Timed runs of each query shape.
        #[arg(long, default_value_t = 200)]
        iterations: u32,
        /// A heading for the results.
        #[arg(long, default_value = "SQLite")]
        label: String,
        /// Rows of the Import CSV benchmark's file (0: no import).
        #[arg(long, default_value_t = 100_000)]
        import_rows: u32,
    },
    /// Load a running server's waiting rooms (50 rooms of 40 waiting patients polling, 20
    /// providers' dashboards) and time its searches against alone. Uses --database-url (the
    /// server's) to add the rooms and providers. See BENCHMARKS.md.
    QueueLoad {
        /// The running server's address.
        #[arg(long)]
        url: String,
        /// The server's process ID, to read its CPU time.
        #[arg(long)]
        pid: Option<u32>,
        /// Seconds of searches, alone and under the load.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Says the database is a throwaway one: the load adds 20 Providers with a known
        /// password and 2,000 guests to its demo clinic.
        #[arg(long)]
        disposable: bool,
    },
    /// Time one password check (argon2id, as at sign-in) and print the sign-ins per second
    /// this machine's cores allow.
    Argon2Limit {
        /// Checks to time.
        #[arg(long, default_value_t = 20)]
        runs: u32,
    },
}

fn main() -> anyhow::Result<()> {
    keep_large_blocks_mmapped();
    tokio::runtime::Builder::new_multi_thread()
        .thread_stack_size(server::WORKER_STACK_BYTES)
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("FRONTDESK_LOG")
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn")),
        )
        .init();
    let cli = Cli::parse();
    let settings = cli.settings;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Migrate => {
            prepare(&settings).await?;
            println!("Migrations are up to date.");
        }
        Command::CreateAdmin {
            clinic,
            email,
            first,
            last,
        } => {
            // The welcome link must reach the admin: no default address will do.
            let Some(public_url) = settings.public_url.as_deref() else {
                anyhow::bail!(
                    "Set FRONTDESK_PUBLIC_URL (and DATABASE_URL) as the server has them: the welcome email links to the public URL."
                );
            };
            let public_url = public_url.trim_end_matches('/').to_owned();
            let db = prepare(&settings).await?;
            let new = server::new_clinic::NewClinic {
                clinic,
                email,
                first,
                last,
            };
            server::new_clinic::create_admin(&db, &public_url, &new).await?;
            println!(
                "Created {} and its Clinic Admin {}. A welcome email with a link to set a password is queued; it goes out while Frontdesk serves{}.",
                new.clinic.trim(),
                new.email.trim(),
                if settings.smtp_url.is_some() {
                    String::new()
                } else {
                    format!(" (without FRONTDESK_SMTP_URL, into {}/)", settings.mail_dir)
                }
            );
        }
        Command::RemoveTwoStep { username } => {
            let db = prepare(&settings).await?;
            if app::two_step::service::remove_from_command_line(&db, &username)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                println!("Two-step sign-in is off for {username}; they were emailed.");
            } else {
                anyhow::bail!("{username} has no second factor to remove (or no such member)");
            }
        }
        Command::SeedDemo { members } => {
            let db = prepare(&settings).await?;
            let state = app_state(db.clone(), &settings)?;
            let password = settings
                .demo_admin_password
                .as_ref()
                .map(|p| p.expose_secret().to_owned());
            let outcome = seed::demo_if_empty(&db, &state.hasher, password.as_deref()).await?;
            print_sign_in(&settings, &outcome);
            let (clinic, rooms) = seed::demo_clinic(&db)
                .await?
                .ok_or_else(|| anyhow::anyhow!("the demo clinic is missing"))?;
            let started = std::time::Instant::now();
            seed::members(&db, clinic, &rooms, members, rand::random()).await?;
            println!(
                "Added {members} members in {:.1} s.",
                started.elapsed().as_secs_f64()
            );
        }
        Command::Serve => serve(settings).await?,
        Command::Bench {
            members,
            iterations,
            label,
            import_rows,
        } => {
            let options = server::bench::Options {
                members,
                iterations,
                import_rows,
            };
            server::bench::run(&label, &settings.database_url, &options).await?;
        }
        Command::QueueLoad {
            url,
            pid,
            seconds,
            disposable,
        } => {
            anyhow::ensure!(
                disposable,
                "queue-load adds 20 Providers with a known password and 2,000 guests to the \
                 database; pass --disposable to say it is a throwaway one"
            );
            let db = prepare(&settings).await?;
            let addr = url
                .trim_start_matches("http://")
                .trim_end_matches('/')
                .parse()?;
            let admin_password = settings
                .demo_admin_password
                .as_ref()
                .map(|p| p.expose_secret().to_owned())
                .ok_or_else(|| anyhow::anyhow!("set FRONTDESK_DEMO_ADMIN_PASSWORD"))?;
            let options = server::queue_load::Options {
                addr,
                admin_password,
                rooms: 50,
                per_room: 40,
                providers: 20,
                seconds,
                pid,
            };
            server::queue_load::run(&db, options).await?;
        }
        Command::Argon2Limit { runs } => {
            let limit = server::bench::argon2_limit(runs).await?;
            println!(
                "RESULT hash_ms={:.1} cores={} limit_per_s={:.1} all_cores_per_s={:.1}",
                limit.one.as_secs_f64() * 1000.0,
                limit.cores,
                limit.limit_per_s,
                limit.all_cores_per_s,
            );
        }
    }
    Ok(())
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    // Where mail goes is settled before anything else is touched.
    let mailer = settings.mailer()?;
    let db = prepare(&settings).await?;
    let state = app_state(db.clone(), &settings)?;
    app::auth::sealing::check_key(&db, &state.sealer)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if settings.seed_demo {
        let password = settings
            .demo_admin_password
            .as_ref()
            .map(|p| p.expose_secret().to_owned());
        let outcome = seed::demo_if_empty(&db, &state.hasher, password.as_deref()).await?;
        print_sign_in(&settings, &outcome);
    }
    if settings.smtp_url.is_none() {
        println!(
            "Mail is written to {}/ (set FRONTDESK_SMTP_URL to send it)",
            settings.mail_dir
        );
    }
    let _background = server::start_background(
        db.clone(),
        mailer,
        settings.secure_cookies(),
        settings.public_url(),
    )?;
    let listener = TcpListener::bind(settings.bind).await?;
    let addr = listener.local_addr()?;
    let queues = state.queues.clone();
    let app = router(ServerState::new(&settings, state));
    tracing::info!(%addr, "listening");
    println!("Frontdesk is ready on http://{addr}");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown().await;
        // Waiting pages' held questions are answered now, not in ten seconds.
        queues.release_all();
    })
    .await?;
    Ok(())
}

fn print_sign_in(settings: &Settings, outcome: &AdminPassword) {
    let url = format!("{}/login", settings.public_url());
    match outcome {
        AdminPassword::Generated(password) => println!(
            "\nDemo clinic seeded. Sign in at {url}\n  username: {}\n  password: {password}\n(This password is shown only once. Set FRONTDESK_DEMO_ADMIN_PASSWORD to choose your own.)\n",
            seed::DEMO_ADMIN
        ),
        AdminPassword::FromSettings => println!(
            "\nSign in at {url}\n  username: {}\n  password: the value of FRONTDESK_DEMO_ADMIN_PASSWORD\n",
            seed::DEMO_ADMIN
        ),
        AdminPassword::Unchanged => println!(
            "\nSign in at {url}\n  username: {}\n  password: the one printed when the demo clinic was first seeded\n  (or restart with FRONTDESK_DEMO_ADMIN_PASSWORD=… to set a new one)\n",
            seed::DEMO_ADMIN
        ),
    }
    println!(
        "Patients enter the demo clinic's waiting room at {}/u/jessica\n",
        settings.public_url()
    );
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Each password hash takes a 19 MiB block on the hashing thread that runs it. glibc
/// raises its mmap threshold after such a block is freed, so later ones come from that
/// thread's heap arena and are never given back, so resident memory grows with every
/// sign-in storm. A fixed threshold keeps every block over 1 MiB mmapped, returned
/// to the system when freed.
fn keep_large_blocks_mmapped() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt takes glibc's own locks, so other threads (the runtime's workers)
    // may allocate meanwhile; it changes the allocation policy and touches no memory.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
    }
}
