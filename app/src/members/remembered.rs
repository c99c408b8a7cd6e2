//! What a server remembers of the users table between requests: views found over the
//! count's cap, and pages under the member version of their clinics. One of each per server
//! process, bounded in size and age.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::query::ParsedQuery;
use super::{MemberPage, Status, UserType};
use crate::text::fold;

/// The map behind `mutex`, also after a panic elsewhere left it poisoned (each entry is
/// written whole, so none is ever half-made).
fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Views found to match more than [`COUNT_CAP`](super::query::COUNT_CAP) users,
/// remembered for [`CappedViews::FOR`].
///
/// Counting to the cap reads over ten thousand index entries, the larger part of a search's
/// work; a view that matched more than that still does a moment later, however its members
/// change meanwhile, short of thousands being deleted. Its count shows "10,000+" without
/// being taken again until the entry expires. Counts under the cap are always taken fresh,
/// so they follow every change at once. One per server process; it holds no patient data
/// beyond what the admin typed in the search box, folded, for half a minute.
#[derive(Default)]
pub struct CappedViews {
    seen: Mutex<HashMap<String, Instant>>,
}

impl CappedViews {
    /// How long a view is remembered as over the cap.
    const FOR: Duration = Duration::from_secs(30);
    /// The views remembered at most; expired ones are dropped when this is reached.
    const MOST: usize = 4_096;

    pub(super) fn key(clinic_ids: &[i64], query: &ParsedQuery) -> String {
        format!(
            "{clinic_ids:?}|{:?}|{:?}|{:?}|{}",
            query.user_type.map(UserType::as_db),
            query.status.map(Status::as_db),
            query.room,
            fold(&query.q),
        )
    }

    pub(super) fn is_over_cap(&self, key: &str) -> bool {
        let seen = locked(&self.seen);
        seen.get(key).is_some_and(|at| at.elapsed() < Self::FOR)
    }

    pub(super) fn remember(&self, key: String) {
        let mut seen = locked(&self.seen);
        if seen.len() >= Self::MOST {
            seen.retain(|_, at| at.elapsed() < Self::FOR);
            if seen.len() >= Self::MOST {
                seen.clear();
            }
        }
        seen.insert(key, Instant::now());
    }
}

/// Pages of the users table recently read, each under the member version of its clinics
/// at the time (`member_versions`, which the database moves forward in the same transaction
/// as any change a page could show: a member's columns, their rooms, a room's name).
///
/// A request reads its admin's version with its session (the same statement), so a page
/// kept under that version is exactly what reading the database again would give, on this
/// server or any other sharing the database: every change moves the version and the next
/// request looks under a new key. Admins page back and forth, reopen the table and retype
/// the same searches; those answers cost no query. Pages are kept at most
/// [`RecentPages::FOR`] and at most `most` of them (0 keeps none), so patient data does not
/// linger in memory past the minute it was shown in.
///
/// The users page's rendered tables are kept the same way (beside their page, under the
/// page's key and the view's address, which their links repeat), fewer of them: at most
/// one for every [`RecentPages::PAGES_PER_TABLE`] pages.
pub struct RecentPages {
    most: usize,
    pages: Kept<MemberPage>,
    tables: Kept<String>,
}

/// Values under keys, each with the moment it was kept.
struct Kept<T>(Mutex<HashMap<String, (Instant, T)>>);

impl<T: Clone> Kept<T> {
    fn get(&self, key: &str) -> Option<T> {
        locked(&self.0)
            .get(key)
            .filter(|(at, _)| at.elapsed() < RecentPages::FOR)
            .map(|(_, value)| value.clone())
    }

    /// Keeps `value`, first dropping what has expired when `most` are kept (and all of
    /// them, if none has).
    fn keep(&self, most: usize, key: String, value: &T) {
        if most == 0 {
            return;
        }
        let mut kept = locked(&self.0);
        if kept.len() >= most {
            kept.retain(|_, (at, _)| at.elapsed() < RecentPages::FOR);
            if kept.len() >= most {
                kept.clear();
            }
        }
        kept.insert(key, (Instant::now(), value.clone()));
    }
}

impl Default for RecentPages {
    fn default() -> Self {
        Self::new(Self::MOST)
    }
}

impl RecentPages {
    /// How long a page is kept, whatever its version.
    pub const FOR: Duration = Duration::from_secs(60);
    /// The pages kept by default (a page of 25 rows takes a few kilobytes).
    pub const MOST: usize = 1_024;

    /// Pages kept for each rendered table kept (a table's HTML is several times its page).
    pub const PAGES_PER_TABLE: usize = 16;

    pub fn new(most: usize) -> Self {
        Self {
            most,
            pages: Kept(Mutex::default()),
            tables: Kept(Mutex::default()),
        }
    }

    /// The view's clinics and filters (as [`CappedViews`] keys them), the version, and
    /// which page of it in which order.
    pub(super) fn key(clinic_ids: &[i64], members_version: i64, query: &ParsedQuery) -> String {
        format!(
            "{}@{members_version}|{:?}|{:?}|{}|{:?}",
            CappedViews::key(clinic_ids, query),
            query.sort,
            query.dir,
            query.size,
            query.position,
        )
    }

    pub(super) fn get(&self, key: &str) -> Option<MemberPage> {
        self.pages.get(key)
    }

    pub(super) fn keep(&self, key: String, page: &MemberPage) {
        self.pages.keep(self.most, key, page);
    }

    /// The users page's table for the page under `key`, as rendered for the view at
    /// `address` (its links carry the view as the admin typed it).
    pub(super) fn table(&self, key: &str, address: &str) -> Option<String> {
        self.tables.get(&format!("{key}|{address}"))
    }

    pub(super) fn keep_table(&self, key: &str, address: &str, html: &String) {
        let most = self.most.div_ceil(Self::PAGES_PER_TABLE);
        self.tables.keep(most, format!("{key}|{address}"), html);
    }
}

#[cfg(test)]
mod tests {
    use super::super::MemberRow;
    use super::super::query::Cursor;
    use super::*;

    fn parsed(pairs: &[(&str, &str)]) -> ParsedQuery {
        super::super::query::UsersQuery::from_pairs(
            pairs.iter().map(|(k, v)| (*k, (*v).to_owned())),
        )
        .parse()
        .expect("a valid view")
    }

    #[test]
    fn a_view_over_the_cap_is_remembered_for_its_filters_and_clinics_only() {
        let capped = CappedViews::default();
        let view = parsed(&[("q", "Jane"), ("status", "active")]);
        let key = CappedViews::key(&[1], &view);
        assert!(!capped.is_over_cap(&key));
        capped.remember(key.clone());
        assert!(capped.is_over_cap(&key));
        // The same search typed differently, and another page or order of it.
        for same in [
            parsed(&[("q", "JANE "), ("status", "active")]),
            parsed(&[
                ("q", "jane"),
                ("status", "active"),
                ("sort", "name"),
                ("dir", "desc"),
            ]),
        ] {
            assert!(capped.is_over_cap(&CappedViews::key(&[1], &same)));
        }
        // Another clinic, status, room, type or search is counted.
        for (clinics, other) in [
            (vec![2], parsed(&[("q", "Jane"), ("status", "active")])),
            (vec![1, 2], parsed(&[("q", "Jane"), ("status", "active")])),
            (vec![1], parsed(&[("q", "Jane"), ("status", "suspended")])),
            (
                vec![1],
                parsed(&[("q", "Jane"), ("status", "active"), ("room", "3")]),
            ),
            (
                vec![1],
                parsed(&[("q", "Jane"), ("status", "active"), ("type", "member")]),
            ),
            (vec![1], parsed(&[("q", "Janet"), ("status", "active")])),
            (vec![1], parsed(&[("status", "active")])),
        ] {
            assert!(
                !capped.is_over_cap(&CappedViews::key(&clinics, &other)),
                "{clinics:?} {other:?}"
            );
        }
    }

    fn page(first_name: &str) -> MemberPage {
        MemberPage {
            rows: vec![MemberRow {
                id: 1,
                first_name: first_name.to_owned(),
                last_name: "Gomez".to_owned(),
                username: "jane".to_owned(),
                email: "jane@example.com".to_owned(),
                user_type: UserType::Member,
                status: Status::Active,
                last_login: None,
                signed_up: "2022-04-08 14:23:38".to_owned(),
                rooms: Vec::new(),
            }],
            next: None,
            prev: None,
            count: 1,
            count_capped: false,
        }
    }

    #[test]
    fn a_page_is_kept_for_its_exact_view_and_version_only() {
        let recent = RecentPages::default();
        let view = parsed(&[("q", "Jane"), ("sort", "name")]);
        let key = RecentPages::key(&[1], 7, &view);
        assert_eq!(recent.get(&key), None);
        recent.keep(key.clone(), &page("Jane"));
        assert_eq!(recent.get(&key), Some(page("Jane")));
        // The same search typed differently is the same view.
        let retyped = parsed(&[("q", " JANE"), ("sort", "name")]);
        assert_eq!(
            recent.get(&RecentPages::key(&[1], 7, &retyped)),
            Some(page("Jane"))
        );
        // Another version, clinic set, order, direction, size, page or filter is not.
        let after = Cursor::Name {
            name: "jane gomez".into(),
            id: 1,
        }
        .encode();
        for (clinics, version, other) in [
            (vec![1], 8, view.clone()),
            (vec![1, 2], 7, view.clone()),
            (vec![2], 7, view.clone()),
            (vec![1], 7, parsed(&[("q", "Jane")])),
            (
                vec![1],
                7,
                parsed(&[("q", "Jane"), ("sort", "name"), ("dir", "desc")]),
            ),
            (
                vec![1],
                7,
                parsed(&[("q", "Jane"), ("sort", "name"), ("size", "50")]),
            ),
            (
                vec![1],
                7,
                parsed(&[("q", "Jane"), ("sort", "name"), ("after", &after)]),
            ),
            (
                vec![1],
                7,
                parsed(&[("q", "Jane"), ("sort", "name"), ("status", "active")]),
            ),
            (vec![1], 7, parsed(&[("q", "Janet"), ("sort", "name")])),
        ] {
            let key = RecentPages::key(&clinics, version, &other);
            assert_eq!(recent.get(&key), None, "{clinics:?} {version} {other:?}");
        }
    }

    #[test]
    fn kept_pages_expire_stay_bounded_and_none_are_kept_at_zero() {
        let recent = RecentPages::new(3);
        let key = RecentPages::key(&[1], 1, &parsed(&[]));
        if let Some(long_ago) = Instant::now().checked_sub(RecentPages::FOR) {
            recent
                .pages
                .0
                .lock()
                .unwrap()
                .insert(key.clone(), (long_ago, page("Jane")));
            assert_eq!(recent.get(&key), None, "expired");
        }
        for n in 0..10 {
            recent.keep(format!("view {n}"), &page("Jane"));
            assert!(recent.pages.0.lock().unwrap().len() <= 3);
        }
        assert_eq!(recent.get("view 9"), Some(page("Jane")));
        let none = RecentPages::new(0);
        none.keep(key.clone(), &page("Jane"));
        assert_eq!(none.get(&key), None);
    }

    #[test]
    fn a_remembered_view_expires_and_the_memory_stays_bounded() {
        let capped = CappedViews::default();
        let key = CappedViews::key(&[1], &parsed(&[]));
        let Some(long_ago) = Instant::now().checked_sub(CappedViews::FOR) else {
            return; // the machine started less than half a minute ago
        };
        capped.seen.lock().unwrap().insert(key.clone(), long_ago);
        assert!(!capped.is_over_cap(&key));
        for n in 0..CappedViews::MOST + 10 {
            capped.remember(format!("view {n}"));
        }
        assert!(capped.seen.lock().unwrap().len() <= CappedViews::MOST);
        assert!(capped.is_over_cap(&format!("view {}", CappedViews::MOST + 9)));
    }

    #[test]
    fn a_table_is_kept_for_its_page_and_address_and_fewer_tables_than_pages() {
        let recent = RecentPages::new(RecentPages::PAGES_PER_TABLE * 2);
        let view = parsed(&[("q", "Jane")]);
        let key = RecentPages::key(&[1], 7, &view);
        recent.keep_table(&key, "/admin/users?q=Jane", &"<table/>".to_owned());
        assert_eq!(
            recent.table(&key, "/admin/users?q=Jane").as_deref(),
            Some("<table/>")
        );
        // The same page reached by another address has links of its own.
        assert_eq!(recent.table(&key, "/admin/users?q=jane"), None);
        // A new member version is a new key.
        assert_eq!(
            recent.table(&RecentPages::key(&[1], 8, &view), "/admin/users?q=Jane"),
            None
        );
        // Two tables fit; a third finds none expired and starts again.
        recent.keep_table(&key, "/admin/users?q=JANE", &"<b/>".to_owned());
        recent.keep_table(&key, "/admin/users?q=jAne", &"<i/>".to_owned());
        assert_eq!(recent.table(&key, "/admin/users?q=Jane"), None);
        assert_eq!(
            recent.table(&key, "/admin/users?q=jAne").as_deref(),
            Some("<i/>")
        );
        // None kept at all when pages are not.
        let none = RecentPages::new(0);
        none.keep_table(&key, "/admin/users", &"<table/>".to_owned());
        assert_eq!(none.table(&key, "/admin/users"), None);
    }
}
