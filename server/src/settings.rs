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

    /// The address people use to reach Frontdesk (default: http:// and the bind address,
    /// as `localhost` when that is a loopback address). Passkeys belong to its host name.
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

    /// Where mail goes: `smtp://user:pass@host:587?tls=required` (STARTTLS),
    /// `smtps://user:pass@host` (TLS), or `smtp://127.0.0.1:1025` (a local server without
    /// TLS). Unset: each message is written as a file under the mail folder.
    #[arg(long, env = "FRONTDESK_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<SecretString>,

    /// The sender of every message.
    #[arg(
        long,
        env = "FRONTDESK_MAIL_FROM",
        default_value = "Frontdesk <no-reply@frontdesk.test>"
    )]
    pub mail_from: String,

    /// Posts to the public forms (sign-in, forgot password, sign-up, guest entry) one
    /// client address may make in a burst, before it is held to 2 a second. Raise it when
    /// many people share one address (a load test on loopback, a clinic behind one NAT).
    #[arg(long, env = "FRONTDESK_PUBLIC_POST_BURST", default_value_t = 60)]
    pub public_post_burst: u32,

    /// Users-table pages kept in memory, each under the member version it was read at, so
    /// that a view read again before anything in it changed costs no query (0: none).
    #[arg(long, env = "FRONTDESK_RECENT_PAGES", default_value_t = app::members::server::remembered::RecentPages::MOST)]
    pub recent_pages: usize,

    /// Guests one client address may enter at once (then one every ten minutes). Raise it
    /// where many patients share one address.
    #[arg(long, env = "FRONTDESK_GUEST_BURST", default_value_t = 3)]
    pub guest_burst: u32,

    /// Where messages are written when no SMTP server is set.
    #[arg(long, env = "FRONTDESK_MAIL_DIR", default_value = "data/mail")]
    pub mail_dir: String,

    /// Write mail to files although the public URL is https (a staging server, say). Without
    /// it, a server with an https public URL and no SMTP server refuses to start: patients'
    /// reset links and welcome emails would never leave the machine.
    #[arg(long, env = "FRONTDESK_MAIL_TO_FILES", default_value_t = false, action = clap::ArgAction::Set)]
    pub mail_to_files: bool,

    /// The key that seals secrets kept at rest (authenticator apps' secrets): any text of at
    /// least 32 characters, such as `openssl rand -base64 32`. Unset: the key in
    /// `--secret-key-file`, generated there on first start. Never in the database.
    #[arg(long, env = "FRONTDESK_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<SecretString>,

    /// Where the generated secret key is kept when `FRONTDESK_SECRET_KEY` is unset.
    #[arg(
        long,
        env = "FRONTDESK_SECRET_KEY_FILE",
        default_value = "data/secret.key"
    )]
    pub secret_key_file: String,

    /// Proxies whose `X-Forwarded-For` names the client (comma-separated CIDRs, such as
    /// `10.0.0.0/8,127.0.0.1/32`); none by default, so the peer is the client.
    #[arg(
        long,
        env = "FRONTDESK_TRUSTED_PROXIES",
        value_delimiter = ',',
        num_args = 0..
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Settings {
    /// The sealer of the configured secret key; without one, the key file's, generated on
    /// first start (readable by this user only).
    pub fn sealer(&self) -> anyhow::Result<app::auth::sealing::Sealer> {
        use secrecy::ExposeSecret;
        let key = match &self.secret_key {
            Some(key) => key.expose_secret().to_owned(),
            None => key_file(std::path::Path::new(&self.secret_key_file))?,
        };
        app::auth::sealing::Sealer::from_setting(key.trim()).map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// The mailer these settings describe: SMTP when a URL is set, files otherwise.
    pub fn mailer(&self) -> anyhow::Result<app::mail::mailer::Mailer> {
        use secrecy::ExposeSecret;
        let mailer = match &self.smtp_url {
            Some(url) => app::mail::mailer::Mailer::smtp(url.expose_secret(), &self.mail_from),
            None if self.secure_cookies() && !self.mail_to_files => anyhow::bail!(
                "The public URL is {} but FRONTDESK_SMTP_URL is not set: mail to patients and \
                 admins would only be written to files under {}/. Set FRONTDESK_SMTP_URL, or \
                 FRONTDESK_MAIL_TO_FILES=true to write files on purpose.",
                self.public_url(),
                self.mail_dir
            ),
            None => app::mail::mailer::Mailer::files(self.mail_dir.clone().into(), &self.mail_from),
        };
        mailer.map_err(anyhow::Error::msg)
    }

    /// The public URL as set; unset, plain HTTP at the bind address, named `localhost`
    /// when that is this machine's own (browsers keep passkeys for names, never for IP
    /// addresses).
    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None if self.bind.ip().is_loopback() => {
                format!("http://localhost:{}", self.bind.port())
            }
            None => format!("http://{}", self.bind),
        }
    }

    pub fn secure_cookies(&self) -> bool {
        !self.public_url().starts_with("http://")
    }
}

/// The key in `path`, made there first when the file does not exist.
fn key_file(path: &std::path::Path) -> anyhow::Result<String> {
    use anyhow::Context;
    use base64::Engine;
    use std::io::Write;
    match std::fs::read_to_string(path) {
        Ok(key) => {
            #[cfg(unix)]
            if let Ok(meta) = std::fs::metadata(path) {
                use std::os::unix::fs::PermissionsExt;
                if meta.permissions().mode() & 0o077 != 0 {
                    tracing::warn!(
                        path = %path.display(),
                        "the secret key file can be read by other users: chmod 600 it"
                    );
                }
            }
            return Ok(key);
        }
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
            return Err(err).with_context(|| format!("reading the secret key {}", path.display()));
        }
        Err(_) => {}
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    let key = base64::engine::general_purpose::STANDARD.encode(bytes);
    // Written whole under a name of its own, then linked into place: a server starting at
    // the same moment reads either no file or the whole key, never half of one.
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".{}.tmp", std::process::id()));
    let temporary = std::path::PathBuf::from(temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&temporary)
        .with_context(|| format!("writing the secret key {}", temporary.display()))?;
    file.write_all(key.as_bytes())?;
    file.sync_all()?;
    drop(file);
    let linked = std::fs::hard_link(&temporary, path);
    let _ = std::fs::remove_file(&temporary);
    match linked {
        Ok(()) => {
            tracing::info!(path = %path.display(), "generated the secret key");
            Ok(key)
        }
        // Another server of the same folder made it first.
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(std::fs::read_to_string(path)?)
        }
        Err(err) => Err(err).with_context(|| format!("writing the secret key {}", path.display())),
    }
}
