//! The waiting room from the provider's side: each assigned room's queue, live
//! (`/provider`), and the visit a provider starts, ends or marks as a no-show; the visit's
//! own page (`/visit/{id}`) that both sides reach by its link.
//!
//! The dashboard reads the queues again every second (polling with gloo-timers). A waiting
//! patient's page keeps one question open instead (long polling, `watch`): the server
//! answers when the room's queue changes, or after at most 15 seconds, and the page asks again.
//! 2,000 waiting pages cost a few hundred answers a second rather than one each every
//! 1.5 s. Both work through any of several stateless servers on one database: each server
//! reads the queues' fingerprints once a second while pages wait, and at once after a
//! change it made itself. Not server-sent events: a stream per page would hold the same
//! connection, but needs its own endpoint beside the server functions and a reconnect
//! protocol, where an answered question is already one.

mod api;
mod page;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod watch;

pub use api::*;
pub use page::*;

use serde::{Deserialize, Serialize};

/// How often the providers' dashboard asks for the queues, in milliseconds.
pub const BOARD_POLL_MS: u32 = 1_000;
/// A waiting patient whose session has been silent for this long has left (a closed tab):
/// they drop off the queue at once and are recorded as left within a minute. A waiting
/// page's asking keeps the session's `last_seen_at` (written at most every 30 s) fresh, so
/// no write is added per poll; two minutes outlast that and a background tab's slowest
/// timer (Chromium: once a minute).
pub const GONE_AFTER_MS: i64 = 120_000;

/// Every room the caller sees, with who waits and who is in a visit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    /// The server's clock when read (waiting times count from it).
    pub now: i64,
    pub rooms: Vec<RoomQueue>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomQueue {
    pub room_id: i64,
    pub name: String,
    /// In order: the first is next.
    pub waiting: Vec<QueueEntry>,
    pub in_visit: Vec<QueueEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueEntry {
    pub visit_id: i64,
    pub name: String,
    pub guest: bool,
    pub reason: String,
    /// When they entered the waiting room.
    pub entered_at: i64,
    /// In a visit: since when, with whom, and its link.
    pub started_at: Option<i64>,
    pub provider: Option<String>,
    pub link: Option<String>,
}

/// A visit as its page shows it to either side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitView {
    pub room_name: String,
    pub patient: String,
    pub provider: Option<String>,
    /// "In progress", "Completed", …
    pub status: String,
    pub in_progress: bool,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
}

/// The link of visit `id` in a room: the room's own with `{visit}` replaced by the visit's
/// random code (never its number, which the next patient could guess), or Frontdesk's own
/// page, which checks who asks.
pub fn visit_link(room_url: Option<&str>, id: i64, token: Option<&str>) -> String {
    match (room_url.map(str::trim).filter(|u| !u.is_empty()), token) {
        (Some(template), Some(token)) => template.replace("{visit}", token),
        _ => format!("/visit/{id}"),
    }
}

/// Whole minutes from `from` to `to`, as the dashboard says them.
pub fn minutes_between(from: i64, to: i64) -> String {
    match (to - from).max(0) / 60_000 {
        0 => "under a minute".to_owned(),
        1 => "1 min".to_owned(),
        n => format!("{n} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_room_link_takes_the_visits_code_and_frontdesk_has_its_own() {
        let room = Some("https://video.example/r/{visit}");
        assert_eq!(
            visit_link(room, 42, Some("Zx9")),
            "https://video.example/r/Zx9"
        );
        assert_eq!(visit_link(room, 42, None), "/visit/42");
        assert_eq!(visit_link(Some("  "), 42, Some("Zx9")), "/visit/42");
        assert_eq!(visit_link(None, 7, Some("Zx9")), "/visit/7");
    }

    #[test]
    fn waiting_times_read_as_minutes() {
        assert_eq!(minutes_between(0, 59_999), "under a minute");
        assert_eq!(minutes_between(0, 60_000), "1 min");
        assert_eq!(minutes_between(0, 61 * 60_000), "61 min");
        assert_eq!(minutes_between(10, 0), "under a minute");
    }
}
