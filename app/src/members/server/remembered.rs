//! What a server remembers of the users table between requests: views found over the
//! count's cap, and pages under the member version of their clinics. One of each per server
//! process, bounded in size and age.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use moka::policy::EvictionPolicy;
use moka::sync::Cache;
use tokio::sync::OnceCell;

use crate::accounts::{Status, UserType};
use crate::members::MemberPage;
use crate::members::query::ParsedQuery;
use crate::text::fold;

/// The map behind `mutex`, also after a panic elsewhere left it poisoned (each entry is
/// written whole, so none is ever half-made).
fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Views found to match more than [`COUNT_CAP`](crate::members::query::COUNT_CAP) users,
/// remembered for [`CappedViews::FOR`].
///
/// Counting to the cap reads over ten thousand index entries, the larger part of a search's
/// work; a view that matched more than that still does a moment later, however its members
/// change meanwhile, short of thousands being deleted. Its count shows "10,000+" without
/// being taken again until the entry expires. Counts under the cap are always taken fresh,
/// so they follow every change at once. One per server process; it holds no patient data
/// beyond what the admin typed in the search box, folded, for half a minute.
pub struct CappedViews {
    seen: Cache<String, ()>,
}

impl Default for CappedViews {
    fn default() -> Self {
        Self::lasting(Self::FOR)
    }
}

impl CappedViews {
    /// How long a view is remembered as over the cap.
    const FOR: Duration = Duration::from_secs(30);
    /// The views remembered at most; the least recently used goes first.
    const MOST: u64 = 4_096;

    fn lasting(ttl: Duration) -> Self {
        Self {
            seen: bounded(Self::MOST, ttl),
        }
    }

    pub(in crate::members) fn key(clinic_ids: &[i64], query: &ParsedQuery) -> String {
        format!(
            "{clinic_ids:?}|{:?}|{}|{:?}|{:?}|{}",
            query.user_type.map(UserType::key),
            query.without_guests,
            query.status.map(Status::key),
            query.room,
            fold(&query.q),
        )
    }

    pub(in crate::members) fn is_over_cap(&self, key: &str) -> bool {
        self.seen.get(key).is_some()
    }

    pub(in crate::members) fn remember(&self, key: String) {
        self.seen.insert(key, ());
    }
}

/// A cache (moka) of at most `most` entries, each kept at most `ttl`; when full, the least
/// recently used entry makes room (every new entry is kept: an admin's latest page is the
/// likeliest to be read again).
fn bounded<V: Clone + Send + Sync + 'static>(most: u64, ttl: Duration) -> Cache<String, V> {
    Cache::builder()
        .max_capacity(most)
        .time_to_live(ttl)
        .eviction_policy(EvictionPolicy::lru())
        .build()
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
/// A page not kept is read once however many requests ask for it at the same moment: the
/// first reads it, the others wait for that read ([`RecentPages::get_or_read`]). After a
/// start, when nothing is kept yet, many admins (or tabs) asking for the same view no
/// longer each send the database the same query.
///
/// The users page's rendered tables are kept the same way (beside their page, under the
/// page's key and the view's address, which their links repeat), fewer of them: at most
/// one for every [`RecentPages::PAGES_PER_TABLE`] pages.
pub struct RecentPages {
    most: usize,
    pages: Cache<String, MemberPage>,
    tables: Cache<String, String>,
    /// Reads under way, by key; an entry lives only while its read does.
    reading: Mutex<HashMap<String, Arc<OnceCell<MemberPage>>>>,
}

/// A request's part in a read under way. When the request ends (or is dropped, its client
/// gone), the read is forgotten once it has its answer or no other request waits on it, so
/// no key outlives its last request.
struct Asking<'a> {
    reading: &'a Mutex<HashMap<String, Arc<OnceCell<MemberPage>>>>,
    key: &'a str,
    cell: Arc<OnceCell<MemberPage>>,
}

impl Drop for Asking<'_> {
    fn drop(&mut self) {
        let mut reading = locked(self.reading);
        // Requests take their share of a read under this lock, so when only the map's and
        // this one's remain, no other request waits on it.
        let last = Arc::strong_count(&self.cell) <= 2;
        if (self.cell.initialized() || last)
            && reading
                .get(self.key)
                .is_some_and(|now| Arc::ptr_eq(now, &self.cell))
        {
            reading.remove(self.key);
        }
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
        Self::lasting(most, Self::FOR)
    }

    fn lasting(most: usize, ttl: Duration) -> Self {
        let tables = most.div_ceil(Self::PAGES_PER_TABLE);
        Self {
            most,
            pages: bounded(most as u64, ttl),
            tables: bounded(tables as u64, ttl),
            reading: Mutex::default(),
        }
    }

    /// The view's clinics and filters (as [`CappedViews`] keys them), the version, and
    /// which page of it in which order.
    pub(in crate::members) fn key(
        clinic_ids: &[i64],
        members_version: i64,
        query: &ParsedQuery,
    ) -> String {
        format!(
            "{}@{members_version}|{:?}|{:?}|{}|{:?}",
            CappedViews::key(clinic_ids, query),
            query.sort,
            query.dir,
            query.size,
            query.position,
        )
    }

    pub(in crate::members) fn get(&self, key: &str) -> Option<MemberPage> {
        self.pages.get(key)
    }

    pub(in crate::members) fn keep(&self, key: String, page: &MemberPage) {
        if self.most > 0 {
            self.pages.insert(key, page.clone());
        }
    }

    /// The page under `key`: kept, or being read by another request (then its read's
    /// answer), or read by `read` and kept. A read that fails is not shared: each request
    /// waiting on it then reads in turn. With `most` 0 nothing is kept or shared.
    pub(in crate::members) async fn get_or_read<E>(
        &self,
        key: String,
        read: impl AsyncFnOnce() -> Result<MemberPage, E>,
    ) -> Result<MemberPage, E> {
        if let Some(page) = self.get(&key) {
            return Ok(page);
        }
        if self.most == 0 {
            return read().await;
        }
        let cell = Arc::clone(locked(&self.reading).entry(key.clone()).or_default());
        let asking = Asking {
            reading: &self.reading,
            key: &key,
            cell,
        };
        asking
            .cell
            .get_or_try_init(async || {
                // A read that ended between the look above and this one was kept.
                if let Some(page) = self.get(&key) {
                    return Ok(page);
                }
                let page = read().await?;
                self.keep(key.clone(), &page);
                Ok(page)
            })
            .await
            .cloned()
    }

    /// The users page's table for the page under `key`, as rendered for the view at
    /// `address` (its links carry the view as the admin typed it).
    pub(in crate::members) fn table(&self, key: &str, address: &str) -> Option<String> {
        self.tables.get(&format!("{key}|{address}"))
    }

    pub(in crate::members) fn keep_table(&self, key: &str, address: &str, html: &str) {
        if self.most > 0 {
            self.tables
                .insert(format!("{key}|{address}"), html.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::members::MemberRow;
    use crate::members::query::Cursor;

    fn parsed(pairs: &[(&str, &str)]) -> ParsedQuery {
        crate::members::query::UsersQuery::from_pairs(
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
        let brief = RecentPages::lasting(3, Duration::from_millis(50));
        let key = RecentPages::key(&[1], 1, &parsed(&[]));
        brief.keep(key.clone(), &page("Jane"));
        assert_eq!(brief.get(&key), Some(page("Jane")));
        std::thread::sleep(Duration::from_millis(80));
        assert_eq!(brief.get(&key), None, "expired");

        let recent = RecentPages::new(3);
        for n in 0..10 {
            recent.keep(format!("view {n}"), &page("Jane"));
            recent.pages.run_pending_tasks();
            assert!(recent.pages.entry_count() <= 3);
        }
        assert_eq!(
            recent.get("view 9"),
            Some(page("Jane")),
            "the newest is kept"
        );
        let none = RecentPages::new(0);
        none.keep(key.clone(), &page("Jane"));
        assert_eq!(none.get(&key), None);
    }

    #[test]
    fn a_remembered_view_expires_and_the_memory_stays_bounded() {
        let brief = CappedViews::lasting(Duration::from_millis(50));
        let key = CappedViews::key(&[1], &parsed(&[]));
        brief.remember(key.clone());
        assert!(brief.is_over_cap(&key));
        std::thread::sleep(Duration::from_millis(80));
        assert!(!brief.is_over_cap(&key), "expired");

        let capped = CappedViews::default();
        for n in 0..CappedViews::MOST + 10 {
            capped.remember(format!("view {n}"));
        }
        capped.seen.run_pending_tasks();
        assert!(capped.seen.entry_count() <= CappedViews::MOST);
        assert!(capped.is_over_cap(&format!("view {}", CappedViews::MOST + 9)));
    }

    #[test]
    fn a_table_is_kept_for_its_page_and_address_and_fewer_tables_than_pages() {
        let recent = RecentPages::new(RecentPages::PAGES_PER_TABLE * 2);
        let view = parsed(&[("q", "Jane")]);
        let key = RecentPages::key(&[1], 7, &view);
        recent.keep_table(&key, "/admin/users?q=Jane", "<table/>");
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
        // Two tables fit; a third makes room by dropping the least recently used.
        recent.keep_table(&key, "/admin/users?q=JANE", "<b/>");
        recent.keep_table(&key, "/admin/users?q=jAne", "<i/>");
        recent.tables.run_pending_tasks();
        assert_eq!(recent.tables.entry_count(), 2);
        assert_eq!(recent.table(&key, "/admin/users?q=Jane"), None);
        assert_eq!(
            recent.table(&key, "/admin/users?q=jAne").as_deref(),
            Some("<i/>")
        );
        // None kept at all when pages are not.
        let none = RecentPages::new(0);
        none.keep_table(&key, "/admin/users", "<table/>");
        assert_eq!(none.table(&key, "/admin/users"), None);
    }

    /// Asks for the page under `key` from `asking` requests at once, each with a read that
    /// takes a while and fails if `fail_first` and it is the first; answers how many reads
    /// ran and how many requests got an error.
    async fn ask_at_once(
        recent: &Arc<RecentPages>,
        key: &str,
        asking: usize,
        fail_first: bool,
    ) -> (usize, usize) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let reads = Arc::new(AtomicUsize::new(0));
        let mut requests = tokio::task::JoinSet::new();
        for _ in 0..asking {
            let (recent, key, reads) = (Arc::clone(recent), key.to_owned(), Arc::clone(&reads));
            requests.spawn(async move {
                recent
                    .get_or_read(key, async || {
                        let nth = reads.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        if fail_first && nth == 0 {
                            Err("the database went away")
                        } else {
                            Ok(page("Jane"))
                        }
                    })
                    .await
            });
        }
        let mut errors = 0;
        while let Some(answer) = requests.join_next().await {
            match answer.expect("a request ran to its end") {
                Ok(got) => assert_eq!(got, page("Jane")),
                Err(_) => errors += 1,
            }
        }
        (reads.load(Ordering::SeqCst), errors)
    }

    #[tokio::test]
    async fn requests_for_a_page_being_read_wait_for_that_read() {
        let recent = Arc::new(RecentPages::default());
        let key = RecentPages::key(&[1], 7, &parsed(&[("q", "Jane")]));
        assert_eq!(ask_at_once(&recent, &key, 8, false).await, (1, 0));
        assert_eq!(recent.get(&key), Some(page("Jane")), "the read was kept");
        assert!(recent.reading.lock().unwrap().is_empty(), "no read is left");
        // Kept now: asking again reads nothing.
        assert_eq!(ask_at_once(&recent, &key, 3, false).await, (0, 0));
    }

    #[tokio::test]
    async fn a_failed_read_is_not_shared_and_with_none_kept_every_request_reads() {
        let recent = Arc::new(RecentPages::default());
        let key = RecentPages::key(&[1], 7, &parsed(&[("q", "Jane")]));
        // The first read fails for its own request only; the next waiting request reads
        // again, and the rest wait for that read.
        assert_eq!(ask_at_once(&recent, &key, 6, true).await, (2, 1));
        assert!(recent.reading.lock().unwrap().is_empty(), "no read is left");
        let none = Arc::new(RecentPages::new(0));
        assert_eq!(ask_at_once(&none, &key, 4, false).await, (4, 0));
        assert_eq!(none.get(&key), None);
    }

    #[tokio::test]
    async fn a_request_that_goes_away_leaves_no_read_behind() {
        let recent = Arc::new(RecentPages::default());
        let key = RecentPages::key(&[1], 7, &parsed(&[("q", "Jane")]));
        let asking = {
            let (recent, key) = (Arc::clone(&recent), key.clone());
            tokio::spawn(async move {
                recent
                    .get_or_read(key, async || {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        Ok::<_, ()>(page("Jane"))
                    })
                    .await
            })
        };
        while recent.reading.lock().unwrap().is_empty() {
            tokio::task::yield_now().await;
        }
        // Its client went away: the server drops the request mid-read.
        asking.abort();
        assert!(asking.await.unwrap_err().is_cancelled());
        assert!(recent.reading.lock().unwrap().is_empty(), "no read is left");
        assert_eq!(recent.get(&key), None);
    }
}
