//! The users table where many match: counts stop at the cap, and a page reads the same
//! rows whether it collects the matches or walks the sort order, which the clinic's count
//! of its users decides.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use app::entities::user;

use crate::helpers::*;

const T0: i64 = JANE_SIGNED_UP;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_stop_at_ten_thousand() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;
    bulk_members(&app, 10_050).await;

    let body = json(app.list(&client, &[]).await).await;
    let filtered = json(app.list(&client, &[("q", "jane gom")]).await).await;

    assert_eq!(body["count"], 10_000);
    assert_eq!(body["count_capped"], true);
    assert_eq!(filtered["count"], 1);
    assert_eq!(filtered["count_capped"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_matching_thousands_pages_like_one_matching_few() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;
    bulk_members(&app, 2_000).await;
    app.add_members(3_200, 21_600_000, "Ann", "Lee", T0).await;
    // Spread the sign-up times so the order is not just by ID.
    app.db
        .execute_unprepared("UPDATE users SET signed_up_at = signed_up_at + (id * 7919) % 100000 WHERE id >= 21600000")
        .await
        .expect("spread");
    // Every row of clinic A, filtered and ordered here, by the rule the table promises.
    let matches: Vec<user::Model> = app::entities::user::Entity::find()
        .filter(app::entities::user::Column::ClinicId.eq(1))
        .all(&app.db)
        .await
        .expect("users")
        .into_iter()
        .filter(|u| {
            [
                &u.search_first,
                &u.search_last,
                &u.search_full,
                &u.email_lower,
                &u.username_lower,
            ]
            .iter()
            .any(|c| c.starts_with("ann"))
        })
        .collect();
    let mut expected: Vec<(i64, i64)> = matches.iter().map(|u| (u.signed_up_at, u.id)).collect();
    expected.sort_unstable_by(|a, b| b.cmp(a));
    assert!(
        expected.len() >= 3_000,
        "dense enough to read by the sort index: {}",
        expected.len()
    );

    let pages = walk(&app, &client, &[("q", "ann"), ("size", "100")], "next").await;

    let seen: Vec<i64> = pages.concat();
    let wanted: Vec<i64> = expected.iter().map(|(_, id)| *id).collect();
    assert_eq!(seen, wanted);

    // In name order both ways (on Postgres, a walk for the page's IDs alone, then their
    // rows read by ID).
    let mut by_name: Vec<(&str, i64)> = matches
        .iter()
        .map(|u| (u.search_full.as_str(), u.id))
        .collect();
    by_name.sort_unstable();
    let a_to_z: Vec<i64> = by_name.iter().map(|(_, id)| *id).collect();
    let z_to_a: Vec<i64> = a_to_z.iter().rev().copied().collect();
    for (dir, wanted) in [("asc", a_to_z), ("desc", z_to_a)] {
        let view = [
            ("q", "ann"),
            ("sort", "name"),
            ("dir", dir),
            ("size", "100"),
        ];
        assert_eq!(
            walk(&app, &client, &view, "next").await.concat(),
            wanted,
            "{dir}"
        );
    }
}

/// A room filter is read from the room's assignments when few members match and by the
/// sort order's index when many do; either way every page and the count are what the
/// members' own rows say, including statuses changed after they were assigned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_filter_pages_the_same_whether_few_or_many_match() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;
    bulk_members(&app, 4_000).await;
    let room = app.room_id("jessica").await;
    // Some statuses change after assignment (straight from the database).
    app.db
        .execute_unprepared(
            "UPDATE users SET status = CASE status WHEN 'active' THEN 'suspended' \
             ELSE 'active' END WHERE clinic_id = 1 AND id % 13 = 0",
        )
        .await
        .expect("change statuses");
    let in_room: std::collections::HashSet<i64> = app::entities::user_room::Entity::find()
        .filter(app::entities::user_room::Column::RoomId.eq(room))
        .all(&app.db)
        .await
        .expect("assignments")
        .into_iter()
        .map(|a| a.user_id)
        .collect();
    let members: Vec<user::Model> = user::Entity::find()
        .filter(user::Column::ClinicId.eq(1))
        .all(&app.db)
        .await
        .expect("users")
        .into_iter()
        .filter(|u| in_room.contains(&u.id))
        .collect();
    let room = room.to_string();

    for (view, at_least) in [
        (vec![("room", room.as_str())], 3_000),
        (vec![("room", &room), ("status", "suspended")], 300),
        (
            vec![
                ("room", &room),
                ("status", "pending_delete"),
                ("type", "provider"),
            ],
            1,
        ),
    ] {
        let wanted = |u: &&user::Model| {
            view.iter().all(|(k, v)| match *k {
                "status" => u.status.key() == *v,
                "type" => u.user_type.key() == *v,
                _ => true,
            })
        };
        let matching: Vec<&user::Model> = members.iter().filter(wanted).collect();
        assert!(matching.len() >= at_least, "{view:?}: {}", matching.len());

        let mut newest: Vec<(i64, i64)> = matching.iter().map(|u| (u.signed_up_at, u.id)).collect();
        newest.sort_unstable_by(|a, b| b.cmp(a));
        let mut by_name: Vec<(&str, i64)> = matching
            .iter()
            .map(|u| (u.search_full.as_str(), u.id))
            .collect();
        by_name.sort_unstable();

        let mut sized = view.clone();
        sized.push(("size", "100"));
        let body = json(app.list(&client, &sized).await).await;
        assert_eq!(
            body["count"].as_u64(),
            Some(matching.len() as u64),
            "{view:?}"
        );
        let seen = walk(&app, &client, &sized, "next").await.concat();
        let want: Vec<i64> = newest.iter().map(|(_, id)| *id).collect();
        assert_eq!(seen, want, "{view:?}, newest first");
        sized.push(("sort", "name"));
        sized.push(("dir", "asc"));
        let seen = walk(&app, &client, &sized, "next").await.concat();
        let want: Vec<i64> = by_name.iter().map(|(_, id)| *id).collect();
        assert_eq!(seen, want, "{view:?}, by name");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_past_ten_thousand_says_so() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;
    app.add_members(10_020, 21_600_000, "Ann", "Lee", T0).await;

    let many = json(app.list(&client, &[("q", "ann")]).await).await;
    let suspended = json(
        app.list(&client, &[("q", "ann"), ("status", "suspended")])
            .await,
    )
    .await;
    let one = json(app.list(&client, &[("q", "ann.lee21600007@")]).await).await;

    assert_eq!(
        (many["count"].as_u64(), many["count_capped"].as_bool()),
        (Some(10_000), Some(true))
    );
    assert_eq!(many["rows"].as_array().map(Vec::len), Some(25));
    assert_eq!(
        (
            suspended["count"].as_u64(),
            suspended["count_capped"].as_bool()
        ),
        (Some(0), Some(false))
    );
    assert_eq!(
        (one["count"].as_u64(), one["count_capped"].as_bool()),
        (Some(1), Some(false))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_over_ten_thousand_is_not_counted_again_soon_and_smaller_counts_always_are() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;
    app.add_members(10_020, 21_600_000, "Ann", "Lee", T0).await;
    let count = |body: serde_json::Value| (body["count"].as_u64(), body["count_capped"].as_bool());
    assert_eq!(
        count(json(app.list(&client, &[("q", "ann")]).await).await),
        (Some(10_000), Some(true))
    );

    // Thirty of them go (straight from the database): 9,990 match now, but the view was
    // over the cap a moment ago and is shown as such without counting again.
    user::Entity::delete_many()
        .filter(user::Column::Id.gte(21_600_000))
        .filter(user::Column::Id.lt(21_600_030))
        .exec(&app.db)
        .await
        .expect("delete");
    assert_eq!(
        count(json(app.list(&client, &[("q", "ann")]).await).await),
        (Some(10_000), Some(true))
    );
    // A view under the cap is counted on every request.
    assert_eq!(
        count(
            json(
                app.list(&client, &[("q", "ann"), ("status", "active")])
                    .await
            )
            .await
        ),
        (Some(9_990), Some(false))
    );
    app.add_members(1, 21_700_000, "Zed", "Ray", T0).await;
    assert_eq!(
        count(json(app.list(&client, &[("q", "zed")]).await).await),
        (Some(1), Some(false))
    );
    app.add_members(1, 21_700_001, "Zed", "Ray", T0).await;
    assert_eq!(
        count(json(app.list(&client, &[("q", "zed")]).await).await),
        (Some(2), Some(false))
    );
}

async fn bulk_members(app: &TestApp, n: u32) {
    let room = app.room_id("jessica").await;
    server::seed::members(&app.db, 1, &[room], n, 3)
        .await
        .expect("seed");
}

/// Each clinic's number of users as the database keeps it (which decides how the table
/// reads a page) and as counted now, by clinic ID.
async fn clinic_counts(app: &TestApp) -> Vec<(i64, i64, i64)> {
    let mut counts = Vec::new();
    for id in [1, 2] {
        let kept = crate::database::count(
            app,
            &format!("SELECT members AS n FROM member_versions WHERE clinic_id = {id}"),
        )
        .await;
        let there = crate::database::count(
            app,
            &format!("SELECT COUNT(*) AS n FROM users WHERE clinic_id = {id}"),
        )
        .await;
        counts.push((id, kept, there));
    }
    counts
}

/// A clinic's count of users follows every way members come and go: the seed, Create a
/// Member, a guest entering, batches inserted at once, a member moved to another clinic,
/// rows deleted at once and a member deleted by an admin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clinics_member_count_follows_every_change_of_its_members() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let exact = |counts: &[(i64, i64, i64)]| {
        for (id, kept, there) in counts {
            assert_eq!(kept, there, "clinic {id}: {counts:?}");
        }
        (counts[0].1, counts[1].1)
    };
    let (a, b) = exact(&clinic_counts(&app).await);
    assert!(a > 0 && b > 0, "the seed counted");

    let jessica = app.room_id("jessica").await;
    let created = app
        .create_member(&admin, new_member(1, jessica, "counted.one@example.com"))
        .await;
    assert_eq!(created.status(), 200);
    app.enter_guest("127.0.0.9", "Counted").await;
    app.add_members(600, 70_000, "Batch", "Counted", 0).await;
    assert_eq!(exact(&clinic_counts(&app).await), (a + 602, b));

    app.db
        .execute_unprepared(
            "UPDATE users SET clinic_id = 2 WHERE id >= 70000 AND id < 70100; \
             DELETE FROM users WHERE id >= 70100 AND id < 70300",
        )
        .await
        .unwrap();
    assert_eq!(exact(&clinic_counts(&app).await), (a + 302, b + 100));

    let done = app
        .delete_member(&admin, JANE_ID, "jane.gomez@me.com")
        .await;
    assert_eq!(done.status(), 200);
    assert_eq!(exact(&clinic_counts(&app).await), (a + 301, b + 100));
}
