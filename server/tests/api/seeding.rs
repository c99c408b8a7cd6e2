//! What a bulk load (`frontdesk seed-demo`, the demo seed, `make bench`) leaves behind for
//! the users table's reads.

use crate::helpers::*;

/// Members added in bulk (`seed-demo`, the benchmark) leave the tables ready for the users
/// table's reads: fresh planner statistics, and on Postgres pages marked all-visible, which
/// its index-only scans need to stay off the table (a fresh 1M load without them made the
/// search shapes 2–3× slower).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_added_in_bulk_leave_fresh_statistics_and_visible_pages() {
    let app = spawn_app().await;
    let room = app.room_id("jessica").await;
    server::seed::members(&app.db, 1, &[room], 300, 5)
        .await
        .expect("seed");

    if app.db.get_database_backend() == sea_orm::DbBackend::Postgres {
        let visible = count(
            &app,
            "SELECT relallvisible::bigint AS n FROM pg_class WHERE relname = 'users'",
        )
        .await;
        assert!(
            visible > 0,
            "the users table's pages are marked all-visible"
        );
        let analyzed = count(
            &app,
            "SELECT count(*) AS n FROM pg_stat_user_tables \
             WHERE relname IN ('users', 'user_rooms') AND last_analyze IS NOT NULL",
        )
        .await;
        assert_eq!(analyzed, 2, "both tables analyzed");
    } else {
        let analyzed = count(
            &app,
            "SELECT count(DISTINCT tbl) AS n FROM sqlite_stat1 WHERE tbl IN ('users', 'user_rooms')",
        )
        .await;
        assert_eq!(analyzed, 2, "both tables analyzed");
    }
}
