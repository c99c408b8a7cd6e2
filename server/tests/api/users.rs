//! The users page and its search: rows as the article shows them, only the admin's own
//! clinics, and guests only under All types.

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_users_page_shows_janes_row_as_the_article_does() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;

    let response = app.get(&client, "/admin/users").await;

    assert_eq!(response.status(), 200);
    let html = page_text(response).await;
    for line in [
        "Last login",
        "Not logged in!",
        "Sign up: 2022-04-08 07:23:38 PDT",
        "Status: Active",
        "Jane Gomez",
        "ID: 21408246",
        "User name: jane.gomez@me.com",
        "Email: jane.gomez@me.com",
        "Portal ID: cmouser21408246",
        "Type: Member",
    ] {
        assert!(html.contains(line), "missing {line:?}");
    }
    assert!(html.contains("Code: TVJC-jessica"));
    assert!(html.contains("Link: /u/jessica"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_search_is_a_plain_get_form() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;

    let html = app.get(&client, "/admin/users?q=gom").await;
    let html = page_text(html).await;

    assert!(html.contains(r#"method="get""#));
    assert!(html.contains(r#"name="q""#));
    assert!(html.contains("Jane Gomez"));
    assert!(html.contains("José Gómez"), "accent-insensitive");
    assert!(!html.contains("Sam Smith"));
    assert!(!html.contains("Gloria Gomez"), "another clinic's member");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_matches_prefixes_of_names_email_and_username() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;

    assert_eq!(
        ids(app.list_members(&client, "gom").await).await,
        vec![21_408_300, JANE_ID],
        "newest sign-up first"
    );
    assert_eq!(
        ids(app.list_members(&client, "GÓMEZ").await).await,
        vec![21_408_300, JANE_ID]
    );
    assert_eq!(
        ids(app.list_members(&client, "jane gom").await).await,
        vec![JANE_ID]
    );
    assert_eq!(
        ids(app.list_members(&client, "sam.smith@").await).await,
        vec![21_408_301]
    );
    assert_eq!(
        ids(app.list_members(&client, "  smi ").await).await,
        vec![21_408_301]
    );
    assert!(
        ids(app.list_members(&client, "omez").await)
            .await
            .is_empty(),
        "prefix, not substring"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_an_id_and_a_portal_id() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;

    assert_eq!(
        ids(app.list_members(&client, "21408246").await).await,
        vec![JANE_ID]
    );
    assert_eq!(
        ids(app.list_members(&client, "cmouser21408246").await).await,
        vec![JANE_ID]
    );
    assert!(
        ids(app.list_members(&client, "21408304").await)
            .await
            .is_empty(),
        "another clinic's member by ID"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_admin_sees_only_their_clinic() {
    let app = spawn_app().await;
    let a = app.signed_in(ADMIN_A).await;
    let b = app.signed_in(ADMIN_B).await;

    let seen_by_a = ids(app.list_members(&a, "").await).await;
    let seen_by_b = ids(app.list_members(&b, "").await).await;

    assert_eq!(seen_by_a.len(), 6);
    assert!(!seen_by_a.contains(&21_408_304));
    assert_eq!(seen_by_b, vec![21_408_304, 21_400_002]);
    assert_eq!(
        ids(app.list_members(&b, "gom").await).await,
        vec![21_408_304]
    );
}

/// An admin of two clinics (a row in `clinic_admins` for each) sees both clinics' members:
/// the clinics come with the session, read in the same statement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_of_two_clinics_sees_both() {
    use app::entities::{clinic_admin, user};
    use sea_orm::{ActiveValue::Set, EntityTrait};
    let app = spawn_app().await;
    let clinic_a = user::Entity::find_by_id(21_400_001)
        .one(&app.db)
        .await
        .expect("read admin A")
        .expect("admin A")
        .clinic_id;
    clinic_admin::Entity::insert(clinic_admin::ActiveModel {
        user_id: Set(21_400_002),
        clinic_id: Set(clinic_a),
    })
    .exec(&app.db)
    .await
    .expect("admin B administers clinic A too");
    let b = app.signed_in(ADMIN_B).await;

    let seen = ids(app.list_members(&b, "").await).await;

    assert_eq!(seen.len(), 8, "both clinics' members: {seen:?}");
    assert!(seen.contains(&JANE_ID) && seen.contains(&21_408_304));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn like_metacharacters_match_only_themselves() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;

    assert!(ids(app.list_members(&client, "%").await).await.is_empty());
    assert!(ids(app.list_members(&client, "_").await).await.is_empty());
    assert!(
        ids(app.list_members(&client, "' OR 1=1 --").await)
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_search_is_a_field_error_not_a_500() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;

    let response = app.list_members(&client, &"a".repeat(5000)).await;

    assert_eq!(response.status(), 422);
    let body = json(response).await;
    assert_eq!(body["kind"], "validation");
    assert_eq!(body["field"], "q");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_escaped_in_the_page() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;

    let html = app.get(&client, "/admin/users?q=bob").await;
    let html = page_text(html).await;

    assert!(!html.contains("<b>Bob</b>"));
    assert!(html.contains("&lt;b&gt;Bob&lt;/b&gt;"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_list_each_room_with_code_and_link() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;

    let body = json(app.list_members(&client, "jane").await).await;

    let rooms = &body["rows"][0]["rooms"];
    assert_eq!(rooms[0]["name"], "Jessica Laynes' Clinic");
    assert_eq!(rooms[0]["code"], "TVJC-jessica");
    assert_eq!(rooms[0]["slug"], "jessica");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_list_every_room_by_name_and_none_for_a_user_without_rooms() {
    use app::entities::{room, user_room};
    use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

    let app = spawn_app().await;
    let jessica = room::Entity::find()
        .filter(room::Column::Slug.eq("jessica"))
        .one(&app.db)
        .await
        .expect("query")
        .expect("Jane's room");
    // Made after Jane's room, so it comes second by ID but first by name.
    let annex = room::Entity::insert(room::ActiveModel {
        clinic_id: Set(jessica.clinic_id),
        name: Set("Annex Clinic".into()),
        code: Set("TVAC-annex".into()),
        slug: Set("annex".into()),
        active: Set(true),
        guest_allowed: Set(true),
        signup_allowed: Set(true),
        created_at: Set(JANE_SIGNED_UP),
        ..Default::default()
    })
    .exec(&app.db)
    .await
    .expect("a second room")
    .last_insert_id;
    user_room::Entity::insert(user_room::ActiveModel {
        user_id: Set(JANE_ID),
        room_id: Set(annex),
        assigned_at: Set(JANE_SIGNED_UP),
    })
    .exec(&app.db)
    .await
    .expect("Jane joins a second room");
    let client = app.signed_in(ADMIN_A).await;

    let jane = json(app.list_members(&client, "jane").await).await;
    let names: Vec<&str> = jane["rows"][0]["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .map(|r| r["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["Annex Clinic", "Jessica Laynes' Clinic"]);
    assert_eq!(jane["rows"][0]["rooms"][0]["code"], "TVAC-annex");

    let alex = json(app.list_members(&client, "alex").await).await;
    assert_eq!(alex["rows"][0]["first_name"], "Alex");
    assert_eq!(alex["rows"][0]["rooms"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_view_leaves_guests_out_of_its_rows_and_counts_and_all_types_has_them() {
    let app = spawn_app().await;
    app.enter_guest("127.0.0.2", "Lee").await;
    let admin = app.signed_in(ADMIN_A).await;
    let guests = json(app.list(&admin, &[("type", "guest")]).await).await;
    let guest = guests["rows"][0]["id"].as_i64().expect("the guest");
    let ids = |page: &serde_json::Value| -> Vec<i64> {
        page["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect()
    };
    // With a room or not: the room's count is read another way.
    let jessica = app.room_id("jessica").await.to_string();
    for view in [vec![], vec![("room", jessica.as_str())]] {
        let default = json(app.list(&admin, &view).await).await;
        let mut all_view = view.clone();
        all_view.push(("type", "all"));
        let all = json(app.list(&admin, &all_view).await).await;
        assert!(
            !ids(&default).contains(&guest),
            "{view:?}: no guest by default"
        );
        assert!(
            ids(&all).contains(&guest),
            "{view:?}: the guest under All types"
        );
        assert_eq!(
            default["count"].as_u64().unwrap() + 1,
            all["count"].as_u64().unwrap(),
            "{view:?}: counted apart"
        );
    }
}
