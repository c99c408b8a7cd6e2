//! Creating members: validation, duplicates, rooms, user types and who may do it. Their
//! detail and later edits are in `member_edits`.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use app::entities::{password_history, user};

use crate::helpers::*;

const CLINIC_A: i64 = 1;
const CLINIC_B: i64 = 2;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_creates_a_member_who_appears_in_the_table_at_once() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;
    let room = app.room_id("jessica").await;

    let response = app
        .create_member(&client, new_member(CLINIC_A, room, "jane.gomez2@me.com"))
        .await;

    assert_eq!(response.status(), 200);
    let id = json(response).await.as_i64().expect("new id");
    let listed = json(app.list_members(&client, "jane.gomez2").await).await;
    assert_eq!(listed["rows"][0]["id"].as_i64(), Some(id));
    assert_eq!(listed["rows"][0]["rooms"][0]["code"], "TVJC-jessica");
    let stored = user::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.password_hash, None,
        "no password: cannot sign in yet"
    );
    assert_eq!(stored.search_full, "jane gomez");
    assert_eq!(stored.timezone, "America/Los_Angeles");
    let audit = app.audit_of(id).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].0, "created");
    assert!(audit[0].1.to_string().contains("Jessica Laynes' Clinic"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_created_with_a_password_can_sign_in_with_it() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;
    let room = app.room_id("jessica").await;
    let mut member = new_member(CLINIC_A, room, "pw.member@example.com");
    member["password"] = json!("Blue-Harbor-42");
    member["confirm_password"] = json!("Blue-Harbor-42");

    let response = app.create_member(&client, member).await;

    assert_eq!(response.status(), 200);
    let id = json(response).await.as_i64().unwrap();
    let patient = app.client();
    let login = app
        .login(&patient, "pw.member@example.com", "Blue-Harbor-42")
        .await;
    assert_eq!(login.status(), 200);
    let history = password_history::Entity::find()
        .filter(password_history::Column::UserId.eq(id))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(history, 1, "the first password starts the history");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_optional_field_is_stored_normalised() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;
    let room = app.room_id("jessica").await;
    let mut member = new_member(CLINIC_A, room, "full.profile@example.com");
    member["profile"]["dob_month"] = json!("4");
    member["profile"]["dob_day"] = json!("8");
    member["profile"]["dob_year"] = json!("1990");
    member["profile"]["address"] = json!("  1 Market   St ");
    member["profile"]["city"] = json!("San Francisco");
    member["profile"]["state"] = json!("CA");
    member["profile"]["zip"] = json!("94103-1234");
    member["profile"]["phone"] = json!("(415) 555-0123");
    member["profile"]["pcp_name"] = json!("Dr. Lee");
    member["profile"]["pcp_phone"] = json!("+44 20 7946 0958");
    member["profile"]["timezone"] = json!("America/New_York");

    let response = app.create_member(&client, member).await;

    assert_eq!(response.status(), 200);
    let id = json(response).await.as_i64().unwrap();
    let u = user::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u.date_of_birth.as_deref(), Some("1990-04-08"));
    assert_eq!(u.address.as_deref(), Some("1 Market St"));
    assert_eq!(u.state.as_deref(), Some("CA"));
    assert_eq!(u.phone.as_deref(), Some("+14155550123"));
    assert_eq!(u.pcp_phone.as_deref(), Some("+442079460958"));
    assert_eq!(u.timezone, "America/New_York");
}

/// Spoils one field of a new member.
type Breaker = Box<dyn Fn(&mut serde_json::Value)>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_invalid_field_gets_its_own_message_and_nothing_is_written() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;
    let room = app.room_id("jessica").await;
    let before = user::Entity::find().count(&app.db).await.unwrap();
    let cases: Vec<(&str, Breaker)> = vec![
        (
            "first_name",
            Box::new(|m| m["profile"]["first_name"] = json!("")),
        ),
        (
            "last_name",
            Box::new(|m| m["profile"]["last_name"] = json!("G0mez")),
        ),
        (
            "email",
            Box::new(|m| m["profile"]["email"] = json!("jane@")),
        ),
        (
            "username",
            Box::new(|m| m["profile"]["username"] = json!("a b")),
        ),
        (
            "date_of_birth",
            Box::new(|m| {
                m["profile"]["dob_month"] = json!("2");
                m["profile"]["dob_day"] = json!("30");
                m["profile"]["dob_year"] = json!("1990");
            }),
        ),
        (
            "date_of_birth",
            Box::new(|m| {
                m["profile"]["dob_month"] = json!("1");
                m["profile"]["dob_day"] = json!("1");
                m["profile"]["dob_year"] = json!("2999");
            }),
        ),
        (
            "date_of_birth",
            Box::new(|m| {
                m["profile"]["dob_month"] = json!("1");
                m["profile"]["dob_day"] = json!("1");
                m["profile"]["dob_year"] = json!("1850");
            }),
        ),
        ("zip", Box::new(|m| m["profile"]["zip"] = json!("941"))),
        (
            "phone",
            Box::new(|m| m["profile"]["phone"] = json!("555-0123")),
        ),
        (
            "pcp_phone",
            Box::new(|m| m["profile"]["pcp_phone"] = json!("call me")),
        ),
        ("state", Box::new(|m| m["profile"]["state"] = json!("ZZ"))),
        (
            "country",
            Box::new(|m| m["profile"]["country"] = json!("XQ")),
        ),
        (
            "timezone",
            Box::new(|m| m["profile"]["timezone"] = json!("Mars/Olympus")),
        ),
        ("rooms", Box::new(|m| m["room_ids"] = json!([]))),
        ("user_type", Box::new(|m| m["user_type"] = json!("guest"))),
        (
            "password",
            Box::new(|m| {
                m["password"] = json!("short");
                m["confirm_password"] = json!("short");
            }),
        ),
        (
            "confirm_password",
            Box::new(|m| {
                m["password"] = json!("Blue-Harbor-42");
                m["confirm_password"] = json!("Blue-Harbor-24");
            }),
        ),
        (
            "address",
            Box::new(|m| m["profile"]["address"] = json!("x".repeat(201))),
        ),
    ];

    for (field, break_it) in cases {
        let mut member = new_member(CLINIC_A, room, "new.person@example.com");
        break_it(&mut member);
        let response = app.create_member(&client, member).await;
        assert_eq!(response.status(), 422, "{field}");
        let body = json(response).await;
        assert_eq!(rejected_fields(&body), [field], "{body}");
    }
    assert_eq!(user::Entity::find().count(&app.db).await.unwrap(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_bad_fields_are_reported_together_in_form_order() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;
    let mut member = new_member(CLINIC_A, app.room_id("jessica").await, "x@example.com");
    member["room_ids"] = json!([]);
    member["profile"]["email"] = json!("nope");
    member["profile"]["first_name"] = json!("");

    let response = app.create_member(&client, member).await;

    assert_eq!(response.status(), 422);
    assert_eq!(
        rejected_fields(&json(response).await),
        ["rooms", "first_name", "email"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_of_another_clinic_or_a_clinic_not_administered_is_refused() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;
    let theirs = app.room_id("riverside").await;
    let mine = app.room_id("jessica").await;

    let response = app
        .create_member(&client, new_member(CLINIC_A, theirs, "x@example.com"))
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(rejected_fields(&json(response).await), ["rooms"]);

    let response = app
        .create_member(&client, new_member(CLINIC_B, mine, "x@example.com"))
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(rejected_fields(&json(response).await), ["clinic"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_usernames_anywhere_and_emails_in_the_clinic_are_field_messages() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;
    let room = app.room_id("jessica").await;

    // Jane's username, in other letters' case.
    let mut member = new_member(CLINIC_A, room, "someone@example.com");
    member["profile"]["username"] = json!("JANE.GOMEZ@ME.COM");
    let response = app.create_member(&client, member).await;
    assert_eq!(response.status(), 422);
    assert_eq!(rejected_fields(&json(response).await), ["username"]);

    // Jane's email with a new username.
    let mut member = new_member(CLINIC_A, room, "Jane.Gomez@me.com");
    member["profile"]["username"] = json!("jane.second");
    let response = app.create_member(&client, member).await;
    assert_eq!(response.status(), 422);
    assert_eq!(rejected_fields(&json(response).await), ["email"]);

    // The same email is free in another clinic; the username is taken in every clinic.
    let admin_b = app.signed_in(ADMIN_B).await;
    let riverside = app.room_id("riverside").await;
    let mut member = new_member(CLINIC_B, riverside, "jane.gomez@me.com");
    member["profile"]["username"] = json!("jane.at.riverside");
    assert_eq!(app.create_member(&admin_b, member).await.status(), 200);
    let member = new_member(CLINIC_B, riverside, "jane.gomez@me.com");
    let response = app.create_member(&admin_b, member).await;
    assert_eq!(
        rejected_fields(&json(response).await),
        ["username", "email"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_may_create_members() {
    let app = spawn_app().await;
    let room = app.room_id("jessica").await;
    let member = new_member(CLINIC_A, room, "x@example.com");

    let anonymous = app.create_member(&app.client(), member.clone()).await;
    assert_eq!(anonymous.status(), 401);
    let patient = app.signed_in(PATIENT_A).await;
    assert_eq!(app.create_member(&patient, member).await.status(), 403);
    let count = user::Entity::find()
        .filter(user::Column::EmailLower.eq("x@example.com"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_clinic_admin_administers_the_clinic() {
    let app = spawn_app().await;
    let client = app.signed_in(ADMIN_A).await;
    let mut member = new_member(
        CLINIC_A,
        app.room_id("jessica").await,
        "second.admin@example.com",
    );
    member["user_type"] = json!("clinic_admin");
    member["password"] = json!(PASSWORD);
    member["confirm_password"] = json!(PASSWORD);

    assert_eq!(app.create_member(&client, member).await.status(), 200);

    let second = app.signed_in("second.admin@example.com").await;
    let listed = app.list_members(&second, "jane.gomez").await;
    assert_eq!(listed.status(), 200);
    let listed = json(listed).await.to_string();
    assert!(
        listed.contains("jane.gomez@me.com"),
        "the new admin sees clinic A's members: {listed}"
    );
}
