//! Sessions' activity, written in batches: one statement a second at most, whatever the
//! number of sessions asking.
//!
//! A session's `last_seen_at` moves forward at most every 30 seconds (`session`), but 2,000
//! waiting patients' pages still made that 67 writes a second, each its own transaction,
//! and over SQLite each write makes every other connection read its pages again. Here the
//! first session seen after a quiet second is written at once (so a lone user's activity
//! is in the database when their request ends); the others seen within that second wait
//! for one statement at its end. A server stopping loses at most a second of activity,
//! which the next request of each of those sessions records again.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::db::now_ms;

/// At most one write of sessions' activity this often.
const EVERY: Duration = Duration::from_secs(1);

pub struct Touches {
    db: DatabaseConnection,
    state: Mutex<Pending>,
}

#[derive(Default)]
struct Pending {
    sessions: HashSet<i64>,
    last_write: Option<Instant>,
    /// A task will write `sessions` at the end of the current second.
    scheduled: bool,
}

/// What [`Touches::seen`] leaves to its caller.
enum Next {
    WriteNow(Vec<i64>),
    WriteLater(Duration),
    Nothing,
}

impl Touches {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            state: Mutex::default(),
        }
    }

    /// Records that session `id` was active now.
    pub async fn seen(self: &Arc<Self>, id: i64) {
        let next = {
            let mut state = self.state.lock().expect("touches");
            state.sessions.insert(id);
            if state.scheduled {
                Next::Nothing
            } else {
                match state.last_write.map(|at| at.elapsed()) {
                    Some(since) if since < EVERY => {
                        state.scheduled = true;
                        Next::WriteLater(EVERY - since)
                    }
                    _ => {
                        state.last_write = Some(Instant::now());
                        Next::WriteNow(state.sessions.drain().collect())
                    }
                }
            }
        };
        match next {
            Next::WriteNow(ids) => self.write(ids).await,
            Next::WriteLater(wait) => {
                let touches = Arc::clone(self);
                tokio::spawn(async move {
                    tokio::time::sleep(wait).await;
                    let ids: Vec<i64> = {
                        let mut state = touches.state.lock().expect("touches");
                        state.scheduled = false;
                        state.last_write = Some(Instant::now());
                        state.sessions.drain().collect()
                    };
                    touches.write(ids).await;
                });
            }
            Next::Nothing => {}
        }
    }

    /// One statement for every session in `ids`. A failure is logged, not passed on: the
    /// request it rides on was answered correctly, and each session's next request records
    /// its activity again.
    async fn write(&self, ids: Vec<i64>) {
        let backend = self.db.get_database_backend();
        // Never backwards: a batch written late does not undo a later one.
        let latest = match backend {
            sea_orm::DbBackend::Postgres => "GREATEST",
            _ => "MAX",
        };
        let now = now_ms();
        for chunk in ids.chunks(1000) {
            let list = chunk
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let sql = format!(
                "UPDATE sessions SET last_seen_at = {latest}(last_seen_at, {now}) \
                 WHERE id IN ({list})"
            );
            let statement = Statement::from_string(backend, sql);
            if let Err(err) = self.db.execute_raw(statement).await {
                tracing::warn!(error = %err, sessions = chunk.len(), "sessions' activity not written");
            }
        }
    }
}
