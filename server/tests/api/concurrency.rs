//! Many writers at once: admins saving profiles, creating members and guests entering,
//! all in the same moment. Over SQLite this is where "database is locked" would reach a
//! user (a transaction that read first and then writes cannot wait for the lock); every
//! request succeeds, and every write is there afterwards.

use futures::future::join_all;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use app::entities::{user, visit};

use crate::helpers::*;

const EACH: i64 = 100;
const FIRST_ID: i64 = 30_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_all_succeed_and_every_write_stays() {
    let app = spawn_app_with_limits(open_limits()).await;
    app.add_members(EACH, FIRST_ID, "Con", "Current", JANE_SIGNED_UP)
        .await;
    let admin = app.signed_in(ADMIN_A).await;
    let jessica = app.room_id("jessica").await;
    let mut details = Vec::new();
    for i in 0..EACH {
        details.push(json(app.detail(&admin, FIRST_ID + i).await).await);
    }

    let saves = details.iter().enumerate().map(|(i, detail)| {
        let admin = admin.clone();
        let app = &app;
        async move {
            let mut profile = detail["profile"].clone();
            profile["city"] = json!(format!("Concord {i}"));
            let id = FIRST_ID + i as i64;
            app.call_json(
                &admin,
                "members/save_profile",
                json!({"id": id, "version": detail["version"], "profile": profile}),
            )
            .await
            .status()
            .as_u16()
        }
    });
    let creates = (0..EACH).map(|i| {
        let admin = admin.clone();
        let app = &app;
        async move {
            let email = format!("new.writer{i}@example.com");
            app.create_member(&admin, new_member(1, jessica, &email))
                .await
                .status()
                .as_u16()
        }
    });
    let guests = (0..EACH).map(|i| {
        let app = &app;
        async move {
            let first = format!("Guest{}", char::from(b'a' + (i % 26) as u8));
            let client = app.client();
            app.call(
                &client,
                "patients/enter",
                &[
                    ("slug", "jessica"),
                    ("first_name", &first),
                    ("last_name", "Walker"),
                    ("reason", "Sore throat"),
                ],
            )
            .await
            .status()
            .as_u16()
        }
    });
    let (saved, created, entered) =
        tokio::join!(join_all(saves), join_all(creates), join_all(guests));
    for (what, statuses) in [
        ("profile saves", &saved),
        ("creations", &created),
        ("guest entries", &entered),
    ] {
        assert!(
            statuses.iter().all(|s| *s == 200),
            "{what}: every one succeeds: {statuses:?}"
        );
    }

    let db = &app.db;
    let cities = user::Entity::find()
        .filter(user::Column::City.like("Concord %"))
        .count(db)
        .await
        .unwrap();
    let members = user::Entity::find()
        .filter(user::Column::UsernameLower.like("new.writer%"))
        .count(db)
        .await
        .unwrap();
    let waiting = visit::Entity::find().count(db).await.unwrap();
    assert_eq!(
        (cities, members, waiting),
        (EACH as u64, EACH as u64, EACH as u64),
        "every write is there"
    );
}
