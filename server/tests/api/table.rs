//! The users table at work: filters, sorts, keyset paging with ties, bad input, and the
//! table as the server renders it.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::*;

const T0: i64 = JANE_SIGNED_UP;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_by_status_type_and_room() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;
    app::entities::user::Entity::update_many()
        .col_expr(app::entities::user::Column::Status, "suspended".into())
        .filter(app::entities::user::Column::Id.eq(21_408_301))
        .exec(&app.db)
        .await
        .expect("suspend");

    let suspended = ids(app.list(&client, &[("status", "suspended")]).await).await;
    let admins = ids(app.list(&client, &[("type", "clinic_admin")]).await).await;
    let northside = app.room_id("northside").await.to_string();
    let in_northside = ids(app.list(&client, &[("room", &northside)]).await).await;
    let combined = ids(app
        .list(&client, &[("room", &northside), ("status", "active")])
        .await)
    .await;

    assert_eq!(suspended, vec![21_408_301]);
    assert_eq!(admins, vec![21_400_001]);
    assert_eq!(in_northside, vec![21_408_301, 21_408_300]);
    assert_eq!(combined, vec![21_408_300]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_clinics_room_filters_to_nothing() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;
    let riverside = app.room_id("riverside").await.to_string();

    let seen = ids(app.list(&client, &[("room", &riverside)]).await).await;

    assert!(seen.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_sort_both_ways() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;

    let newest = ids(app.list(&client, &[]).await).await;
    let oldest = ids(app
        .list(&client, &[("sort", "signed_up"), ("dir", "asc")])
        .await)
    .await;
    let az = ids(app.list(&client, &[("sort", "name")]).await).await;
    let za = ids(app
        .list(&client, &[("sort", "name"), ("dir", "desc")])
        .await)
    .await;

    assert_eq!(newest.first(), Some(&21_408_303));
    assert_eq!(oldest.first(), Some(&21_400_001));
    let mut reversed = oldest.clone();
    reversed.reverse();
    assert_eq!(newest, reversed);
    // A to Z by full name: "<b>Bob</b> …" (folded "<b>bob</b>") sorts before letters.
    assert_eq!(
        az,
        vec![
            21_408_303, 21_400_001, JANE_ID, 21_408_300, 21_408_302, 21_408_301
        ]
    );
    let mut reversed = az.clone();
    reversed.reverse();
    assert_eq!(za, reversed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_login_sort_puts_recent_sign_ins_first_and_never_last() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;
    app.signed_in(PATIENT_A).await;

    let recent = ids(app.list(&client, &[("sort", "last_login")]).await).await;

    assert_eq!(&recent[..2], &[21_408_302, 21_400_001]);
    assert_eq!(recent.len(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyset_pages_forward_and_back_through_ties() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;
    // 60 members with the same name and the same sign-up time: only the ID breaks ties.
    app.add_members(60, 21_500_000, "Ann", "Lee", T0 + 10_000)
        .await;

    for view in [
        vec![("sort", "signed_up")],
        vec![("sort", "signed_up"), ("dir", "asc")],
        vec![("sort", "name")],
        vec![("sort", "name"), ("dir", "desc")],
        vec![("sort", "last_login")],
    ] {
        let forward = walk(&app, &client, &view, "next").await;
        let sizes: Vec<usize> = forward.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![25, 25, 16], "{view:?}");
        let all: Vec<i64> = forward.concat();
        let mut unique = all.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 66, "no row twice, none lost: {view:?}");
        let single = ids(app
            .list(&client, &[view.clone(), vec![("size", "100")]].concat())
            .await)
        .await;
        assert_eq!(all, single, "pages join up to the same order: {view:?}");

        // Previous from the last page, then from the middle one, returns the pages seen.
        let token = edge_cursor(&app, &client, &view, forward[2][0]).await;
        let previous = ids(app
            .list(&client, &[view.clone(), vec![("before", &token)]].concat())
            .await)
        .await;
        assert_eq!(previous, forward[1], "{view:?}");
        let token = edge_cursor(&app, &client, &view, forward[1][0]).await;
        let body = json(
            app.list(&client, &[view.clone(), vec![("before", &token)]].concat())
                .await,
        )
        .await;
        let first: Vec<i64> = body["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| r["id"].as_i64().expect("id"))
            .collect();
        assert_eq!(first, forward[0], "{view:?}");
        assert!(body["prev"].is_null(), "back at the start: {view:?}");
    }
}

/// The cursor of row `id` within `view`, as the page holding it reports it in `prev`.
async fn edge_cursor(
    app: &TestApp,
    client: &reqwest::Client,
    view: &[(&str, &str)],
    id: i64,
) -> String {
    let mut cursor: Option<String> = None;
    loop {
        let mut pairs = view.to_vec();
        if let Some(c) = cursor.as_deref() {
            pairs.push(("after", c));
        }
        let body = json(app.list(client, &pairs).await).await;
        if body["rows"][0]["id"].as_i64() == Some(id) {
            return body["prev"].as_str().expect("prev").to_owned();
        }
        cursor = Some(body["next"].as_str().expect("row not found").to_owned());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_page_has_no_previous_and_the_last_no_next() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;

    let body = json(app.list(&client, &[]).await).await;

    assert!(body["prev"].is_null());
    assert!(body["next"].is_null());
    assert_eq!(body["count"], 6);
    assert_eq!(body["count_capped"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_view_parameters_are_named_field_errors() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;
    let long = "x".repeat(5000);

    for (key, value) in [
        ("sort", "password_hash"),
        ("dir", "up"),
        ("size", "10000"),
        ("status", "deleted"),
        ("type", "root"),
        ("room", "1; DROP TABLE users"),
        ("after", "garbage"),
        ("q", long.as_str()),
    ] {
        let response = app.list(&client, &[(key, value)]).await;
        assert_eq!(response.status(), 422, "{key}");
        let body = json(response).await;
        assert_eq!(body["kind"], "validation", "{key}");
        assert_eq!(body["field"], key, "{key}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_and_sql_in_the_search_are_just_text() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;

    for q in [
        "<script>alert(1)</script>",
        "'; DROP TABLE users; --",
        "\" OR \"\"=\"",
        "\\",
        "\u{10FFFF}",
    ] {
        let response = app.list(&client, &[("q", q)]).await;
        assert_eq!(response.status(), 200, "{q}");
        assert!(ids(response).await.is_empty(), "{q}");
    }
    let page = app
        .get(
            &client,
            "/admin/users?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        )
        .await;
    let html = page_text(page).await;
    assert!(!html.contains("<script>alert(1)</script>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_renders_the_view_from_the_url() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;
    app.add_members(30, 21_500_000, "Ann", "Lee", T0 + 10_000)
        .await;

    let first = page_text(app.get(&client, "/admin/users?sort=name&size=25").await).await;
    assert!(first.contains("36 users"));
    assert!(first.contains(r#"rel="next""#));
    let next = first
        .split(r#"href=""#)
        .filter_map(|s| s.split('"').next())
        .find(|href| href.contains("after="))
        .expect("a Next link")
        .replace("&amp;", "&");

    let second = page_text(app.get(&client, &next).await).await;
    assert!(
        second.contains("Sam Smith"),
        "the last names come on page two"
    );
    assert!(second.contains(r#"rel="prev""#));
    assert!(!first.contains("Sam Smith"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_url_shows_a_message_not_an_error_page() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;

    let response = app.get(&client, "/admin/users?size=10000").await;

    assert_eq!(response.status(), 200);
    let html = page_text(response).await;
    assert!(html.contains("Show 25, 50 or 100 users per page."));
}

/// The `members/table` answer for a view: the table's HTML, which the server renders.
async fn table_html(app: &TestApp, client: &reqwest::Client, view: &[(&str, &str)]) -> String {
    let response = app.view(client, "members/table", view).await;
    assert_eq!(response.status(), 200);
    json(response)
        .await
        .as_str()
        .expect("the table's HTML, as a JSON string")
        .to_owned()
}

/// Member IDs in the order the table's rows show them (from each row's Edit link).
fn row_ids(html: &str) -> Vec<i64> {
    html.split(r#"id="edit-"#)
        .skip(1)
        .map(|s| s.split('"').next().unwrap().parse().expect("an ID"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_renders_the_table_of_the_same_page_with_text_escaped() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;
    app.add_members(30, 21_600_000, "<b>Ann</b>", "O'Lee & Co", T0 + 10_000)
        .await;
    let view = [("sort", "name"), ("size", "25")];

    let html = table_html(&app, &client, &view).await;
    let listed = ids(app.list(&client, &view).await).await;
    assert_eq!(row_ids(&html), listed, "the same rows, in the same order");
    assert!(html.contains("36 users"), "the count: {html}");
    assert!(
        html.contains("&lt;b&gt;Ann&lt;/b&gt; O&#39;Lee &amp; Co")
            || html.contains("&lt;b&gt;Ann&lt;/b&gt; O'Lee &amp; Co"),
        "a name shows as typed: {html}"
    );
    assert!(!html.contains("<b>"), "a name is text, never markup");
    // The links keep the view: Edit opens the member over this same sort.
    assert!(html.contains(&format!(
        r#"href="/admin/users?sort=name&amp;member={}&amp;tab=profile""#,
        listed[0]
    )));
    let next = html
        .split(r#"href=""#)
        .filter_map(|s| s.split('"').next())
        .find(|href| href.contains("after="))
        .expect("a Next link")
        .replace("&amp;", "&");
    let next = reqwest::Url::parse(&format!("http://frontdesk.test{next}")).expect("a URL");
    let after = next
        .query_pairs()
        .find(|(k, _)| k == "after")
        .expect("a cursor")
        .1
        .into_owned();
    let second = table_html(
        &app,
        &client,
        &[("sort", "name"), ("size", "25"), ("after", &after)],
    )
    .await;
    let listed = ids(app
        .list(
            &client,
            &[("sort", "name"), ("size", "25"), ("after", &after)],
        )
        .await)
    .await;
    assert_eq!(row_ids(&second), listed);
    assert!(second.contains(r#"rel="prev""#));

    let none = table_html(&app, &client, &[("q", "nobody-by-this-name")]).await;
    assert!(none.contains("No users match this search and these filters."));
    assert!(row_ids(&none).is_empty());
}
