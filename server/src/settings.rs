//! Typed settings: defaults, overridden by `FRONTDESK_`-prefixed environment variables
//! (and `DATABASE_URL`), overridden by command-line flags.

use std::net::SocketAddr;

use secrecy::SecretString;

#[derive(clap::Args, Clone, Debug)]
pub struct Settings {
    /// Database: a SQLite file (default) or `postgres://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/frontdesk.db?mode=rwc"
    )]
    pub database_url: String,

    /// Address to listen on.
    #[arg(long, env = "FRONTDESK_BIND", default_value = "127.0.0.1:3000")]
    pub bind: SocketAddr,

    /// The built site (wasm, JS, CSS, favicon), as produced by `cargo leptos build`.
    #[arg(long, env = "FRONTDESK_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,

    /// The address people use to reach Frontdesk (default: http:// and the bind address).
    /// Cookies are marked Secure unless this is plain HTTP.
    #[arg(long, env = "FRONTDESK_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// The demo admin's password; generated (and printed once) when unset.
    #[arg(long, env = "FRONTDESK_DEMO_ADMIN_PASSWORD", hide_env_values = true)]
    pub demo_admin_password: Option<SecretString>,

    /// Seed the demo clinic into an empty database at start-up.
    #[arg(long, env = "FRONTDESK_SEED_DEMO", default_value_t = true, action = clap::ArgAction::Set)]
    pub seed_demo: bool,

    /// Largest database connection pool.
    #[arg(long, env = "FRONTDESK_DB_POOL", default_value_t = 16)]
    pub db_pool: u32,
}

impl Settings {
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.bind),
        }
    }

    pub fn secure_cookies(&self) -> bool {
        !self.public_url().starts_with("http://")
    }
}
