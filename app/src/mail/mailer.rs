//! Where messages go: an SMTP server (lettre, STARTTLS or TLS, credentials from the URL),
//! files under a folder for local runs, or memory for tests.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::Message;

/// How long one send may take before it counts as failed.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
    Memory(Arc<Mutex<Vec<Message>>>),
}

impl Mailer {
    /// An SMTP mailer from a URL such as `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS), `smtps://host` (TLS) or `smtp://127.0.0.1:1025` (plain, for local servers).
    pub fn smtp(url: &str, from: &str) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("SMTP URL: {e}"))?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        Ok(Self {
            from: parse_from(from)?,
            backend: Backend::Smtp(transport),
        })
    }

    /// Writes each message as an `.eml` file under `dir`.
    pub fn files(dir: PathBuf, from: &str) -> Result<Self, String> {
        Ok(Self {
            from: parse_from(from)?,
            backend: Backend::Files(dir),
        })
    }

    /// Keeps messages in memory. For tests only: the server refuses it outside them.
    pub fn memory(from: &str) -> Result<Self, String> {
        Ok(Self {
            from: parse_from(from)?,
            backend: Backend::Memory(Arc::default()),
        })
    }

    pub fn is_memory(&self) -> bool {
        matches!(self.backend, Backend::Memory(_))
    }

    /// The messages a memory mailer has sent.
    pub fn sent(&self) -> Vec<Message> {
        match &self.backend {
            Backend::Memory(sent) => sent.lock().map(|s| s.clone()).unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Sends one message (under [`SEND_TIMEOUT`]). The error says why, without the message's
    /// content.
    pub async fn send(&self, id: i64, message: &Message) -> Result<(), String> {
        let to: Mailbox = message
            .to
            .parse()
            .map_err(|_| "the recipient address is not valid".to_owned())?;
        let email = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                message.text.clone(),
                message.html.clone(),
            ))
            .map_err(|e| format!("building the message: {e}"))?;
        match &self.backend {
            Backend::Smtp(transport) => {
                match tokio::time::timeout(SEND_TIMEOUT, transport.send(email)).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => Err(format!("SMTP: {e}")),
                    Err(_) => Err("SMTP: timed out".to_owned()),
                }
            }
            Backend::Files(dir) => {
                tokio::fs::create_dir_all(dir)
                    .await
                    .map_err(|e| format!("mail folder: {e}"))?;
                let path = dir.join(format!("{:08}.eml", id));
                tokio::fs::write(&path, email.formatted())
                    .await
                    .map_err(|e| format!("writing {}: {e}", path.display()))?;
                tracing::info!(message_id = id, path = %path.display(), "mail written to a file");
                Ok(())
            }
            Backend::Memory(sent) => {
                sent.lock()
                    .map_err(|_| "memory mailer poisoned".to_owned())?
                    .push(message.clone());
                Ok(())
            }
        }
    }
}

impl Mailer {
    /// Deletes the files of messages whose outbox row is gone (their member was deleted, or
    /// their sign-up expired), so a local mail folder keeps no one's data longer than the
    /// database does. Does nothing for other backends; returns how many files went.
    pub async fn sweep_files(&self, db: &sea_orm::DatabaseConnection) -> Result<usize, String> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
        let Backend::Files(dir) = &self.backend else {
            return Ok(0);
        };
        let mut files = Vec::new();
        let mut entries = match tokio::fs::read_dir(dir).await {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(format!("mail folder: {e}")),
        };
        while let Some(entry) = entries.next_entry().await.map_err(|e| e.to_string())? {
            let name = entry.file_name();
            let id = name
                .to_str()
                .and_then(|n| n.strip_suffix(".eml"))
                .and_then(|n| n.parse::<i64>().ok());
            if let Some(id) = id {
                files.push((id, entry.path()));
            }
        }
        let mut removed = 0;
        for chunk in files.chunks(500) {
            let ids: Vec<i64> = chunk.iter().map(|(id, _)| *id).collect();
            let kept: std::collections::HashSet<i64> = crate::entities::mail_outbox::Entity::find()
                .select_only()
                .column(crate::entities::mail_outbox::Column::Id)
                .filter(crate::entities::mail_outbox::Column::Id.is_in(ids))
                .into_tuple::<i64>()
                .all(db)
                .await
                .map_err(|e| e.to_string())?
                .into_iter()
                .collect();
            for (id, path) in chunk {
                if !kept.contains(id) && tokio::fs::remove_file(path).await.is_ok() {
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}

fn parse_from(from: &str) -> Result<Mailbox, String> {
    from.parse()
        .map_err(|_| format!("the sender address {from:?} is not valid"))
}
