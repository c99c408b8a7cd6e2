//! What wakes a waiting patient's page: each room's queue, watched once a second per server.
//!
//! A waiting page asks for its place and says what it already shows; when nothing changed,
//! the answer waits (long polling, at most [`HOLD`]) until the room's queue changes. One
//! task per server reads every room's queue fingerprint (who waits, who is in a visit)
//! once a second while any page waits, and at once after this server changed a queue; a
//! change wakes the pages of that room only.
//! A change made through another server on the same database is seen within a second;
//! nothing is shared between servers but the database.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use tokio::sync::{Notify, watch};

use crate::patients::service::visit_status;

/// The longest a waiting page's question is held when nothing changes: well inside the
/// request deadline and the proxies' idle timeouts, and often enough that the session's
/// `last_seen_at` stays fresh and a place that moves because someone ahead went silent
/// shows within it.
pub const HOLD: Duration = Duration::from_secs(15);
/// How often the queues are read while any page waits.
const EVERY: Duration = Duration::from_secs(1);
/// A change made here is read at once, but no more often than this.
const SOONEST: Duration = Duration::from_millis(100);
/// A room's pages, woken together by a change, answer spread over this long: forty pages
/// asking in the same instant would take every database connection at once, and make
/// everyone else's requests wait behind them.
const SPREAD: Duration = Duration::from_millis(400);
/// Seconds without a waiting page before the watching task stops.
const IDLE_TICKS: u32 = 30;

/// A room's queue in three numbers: how many wait or are in a visit, the sum of their
/// visits' ids, how many are in a visit. Anyone entering, leaving, starting or ending
/// changes it.
type Fingerprint = (i64, i64, i64);
type Rooms = Arc<HashMap<i64, Fingerprint>>;

pub struct QueueWatch {
    db: DatabaseConnection,
    /// Every room's fingerprint as last read.
    rooms: RwLock<Rooms>,
    /// `rooms` holds a reading (a room missing from it has no one waiting or in a visit).
    read_once: AtomicBool,
    /// A bell per room that pages wait on: a change wakes that room's pages only.
    bells: Mutex<HashMap<i64, watch::Sender<()>>>,
    /// Questions held now.
    waiting: Arc<AtomicUsize>,
    changed_here: Notify,
    running: AtomicBool,
    /// The server is stopping: held questions are answered at once.
    closing: AtomicBool,
}

impl QueueWatch {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            rooms: RwLock::default(),
            read_once: AtomicBool::new(false),
            bells: Mutex::default(),
            waiting: Arc::default(),
            changed_here: Notify::new(),
            running: AtomicBool::new(false),
            closing: AtomicBool::new(false),
        }
    }

    /// Answers every held question now (the server is stopping).
    pub fn release_all(&self) {
        self.closing.store(true, Ordering::SeqCst);
        for bell in self.bells.lock().expect("bells").values() {
            bell.send_replace(());
        }
    }

    /// This server changed a queue: read them all now rather than within the second.
    pub fn changed_here(&self) {
        self.changed_here.notify_one();
    }

    fn read(&self) -> Rooms {
        self.rooms.read().expect("rooms").clone()
    }

    /// Starts watching the queues as they stand now; [`Watching::until_changed`] waits for
    /// a room's to differ. Take it before reading what the page will be told, so that a
    /// change made in between wakes the wait.
    pub fn watch(self: &Arc<Self>) -> Watching {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        if !self.running.swap(true, Ordering::SeqCst) {
            tokio::spawn(self.clone().run());
        }
        Watching {
            queues: self.clone(),
            seen: self.read(),
        }
    }

    async fn run(self: Arc<Self>) {
        let mut idle = 0;
        // Reads at once on starting: the pages that started it take that reading as where
        // their room stands.
        loop {
            if self.waiting.load(Ordering::SeqCst) == 0 {
                idle += 1;
                if idle >= IDLE_TICKS {
                    // What it read may be stale by the time it runs again.
                    *self.rooms.write().expect("rooms") = Rooms::default();
                    self.read_once.store(false, Ordering::SeqCst);
                    self.bells.lock().expect("bells").clear();
                    self.running.store(false, Ordering::SeqCst);
                    // A page that began waiting just now found the task still running.
                    if self.waiting.load(Ordering::SeqCst) == 0
                        || self.running.swap(true, Ordering::SeqCst)
                    {
                        return;
                    }
                }
            } else {
                idle = 0;
                match read_rooms(&self.db, None).await {
                    Ok(fresh) => self.publish(fresh),
                    Err(err) => tracing::warn!(error = %err, "reading the waiting rooms failed"),
                }
                tokio::time::sleep(SOONEST).await;
            }
            tokio::select! {
                () = tokio::time::sleep(EVERY) => {}
                () = self.changed_here.notified() => {}
            }
        }
    }

    /// Keeps the fresh reading and rings the bells of the rooms whose queue changed.
    fn publish(&self, fresh: HashMap<i64, Fingerprint>) {
        let old = self.read();
        if *old == fresh {
            self.read_once.store(true, Ordering::SeqCst);
            return;
        }
        let changed: Vec<i64> = fresh
            .iter()
            .filter(|(room, print)| old.get(room) != Some(print))
            .map(|(room, _)| *room)
            .chain(old.keys().filter(|room| !fresh.contains_key(room)).copied())
            .collect();
        *self.rooms.write().expect("rooms") = Arc::new(fresh);
        self.read_once.store(true, Ordering::SeqCst);
        let mut bells = self.bells.lock().expect("bells");
        bells.retain(|_, bell| bell.receiver_count() > 0);
        for room in changed {
            if let Some(bell) = bells.get(&room) {
                bell.send_replace(());
            }
        }
    }
}

/// One waiting page's watch on the queues.
pub struct Watching {
    queues: Arc<QueueWatch>,
    seen: Rooms,
}

impl Drop for Watching {
    fn drop(&mut self) {
        self.queues.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Watching {
    /// Returns when room `room`'s queue differs from when the watch began, or after `hold`.
    pub async fn until_changed(self, room: i64, hold: Duration) {
        // The bell first, then the reading: a change published in between rings it.
        let mut bell = self
            .queues
            .bells
            .lock()
            .expect("bells")
            .entry(room)
            .or_insert_with(|| watch::Sender::new(()))
            .subscribe();
        let before = match self.seen.get(&room) {
            Some(seen) => *seen,
            // The room was not in the reading when the watch began (the task had just
            // started, or the caller just entered): where it stands now, read here.
            None => match read_rooms(&self.queues.db, Some(room)).await {
                Ok(mut rooms) => rooms.remove(&room).unwrap_or_default(),
                Err(_) => return,
            },
        };
        let now = self.queues.read().get(&room).copied().unwrap_or_default();
        if self.queues.closing.load(Ordering::SeqCst)
            || (self.queues.read_once.load(Ordering::SeqCst) && now != before)
        {
            return;
        }
        let deadline = tokio::time::sleep(hold);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                () = &mut deadline => return,
                rang = bell.changed() => {
                    if rang.is_err() || self.queues.closing.load(Ordering::SeqCst) {
                        return;
                    }
                    let now = self.queues.read().get(&room).copied().unwrap_or_default();
                    if now != before {
                        tokio::time::sleep(SPREAD.mul_f64(rand::random::<f64>())).await;
                        return;
                    }
                }
            }
        }
    }
}

/// Every room's fingerprint, or only room `only`'s.
async fn read_rooms(
    db: &DatabaseConnection,
    only: Option<i64>,
) -> Result<HashMap<i64, Fingerprint>, sea_orm::DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT room_id, COUNT(*) AS n, CAST(SUM(id) AS BIGINT) AS ids, \
                 CAST(SUM(CASE WHEN status = '{busy}' THEN 1 ELSE 0 END) AS BIGINT) AS busy \
                 FROM visits WHERE status IN ('{waiting}', '{busy}'){only} GROUP BY room_id",
                waiting = visit_status::WAITING,
                busy = visit_status::IN_PROGRESS,
                only = only.map_or(String::new(), |room| format!(" AND room_id = {room}")),
            ),
        ))
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok((
                r.try_get::<i64>("", "room_id")?,
                (
                    r.try_get::<i64>("", "n")?,
                    r.try_get::<i64>("", "ids")?,
                    r.try_get::<i64>("", "busy")?,
                ),
            ))
        })
        .collect()
}
