//! The patient side: room pages, guests and the queue, sign-up with a confirmed email, and
//! the patient's own account — each rule with the clinic's workflow on and off.

use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION, ORIGIN, REFERER};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::json;

use app::entities::{mail_outbox, signup, user, user_room, visit};

use crate::helpers::*;

const SIGNUP_EMAIL: &str = "ana.ruiz@example.com";
const SIGNUP_PASSWORD: &str = "Tr1cky-Lantern";

async fn enter(
    app: &TestApp,
    client: &reqwest::Client,
    slug: &str,
    first: &str,
) -> reqwest::Response {
    app.call(
        client,
        "patients/enter",
        &[
            ("slug", slug),
            ("first_name", first),
            ("last_name", "Guest"),
            ("reason", "Sore throat"),
        ],
    )
    .await
}

fn sign_up_form<'a>(slug: &'a str, email: &'a str, password: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("slug", slug),
        ("first_name", "Ana"),
        ("last_name", "Ruiz"),
        ("email", email),
        ("password", password),
        ("confirm_password", password),
        ("date_of_birth", "1990-04-21"),
        ("phone", "(415) 555-0134"),
        ("timezone", "America/New_York"),
    ]
}

async fn sign_up(app: &TestApp, client: &reqwest::Client, email: &str) -> reqwest::Response {
    app.call(
        client,
        "patients/sign_up",
        &sign_up_form("jessica", email, SIGNUP_PASSWORD),
    )
    .await
}

/// Messages queued to `to`, oldest first.
async fn mail_to(app: &TestApp, to: &str) -> Vec<mail_outbox::Model> {
    mail_outbox::Entity::find()
        .filter(mail_outbox::Column::ToAddress.eq(to))
        .order_by_asc(mail_outbox::Column::Id)
        .all(&app.db)
        .await
        .expect("outbox")
}

fn confirm_token(message: &mail_outbox::Model) -> String {
    let start = message
        .text_body
        .find("/confirm-email?token=")
        .expect("a confirmation link")
        + "/confirm-email?token=".len();
    message.text_body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

async fn switch_workflow(app: &TestApp, signup: bool, guest: bool) {
    let admin = app.signed_in(ADMIN_A).await;
    let version = json(app.call(&admin, "clinics/settings", &[]).await).await[0]["version"].clone();
    let saved = app
        .call_json(
            &admin,
            "clinics/save_settings",
            json!({"settings": {
                "clinic_id": 1, "signup_allowed": signup, "guest_allowed": guest,
                "min_length": "8", "require_upper": true, "require_lower": true,
                "require_digit": true, "require_symbol": true, "history_count": "6",
                "delete_grace_days": "30", "idle_timeout_minutes": "30", "version": version
            }}),
        )
        .await;
    assert_eq!(saved.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_room_page_offers_what_the_workflow_allows() {
    let app = spawn_app().await;
    let anyone = app.client();

    let page = page_text(app.get(&anyone, "/u/jessica").await).await;
    assert!(page.contains("Welcome to Jessica Laynes"), "{page}");
    assert!(page.contains("Enter as guest") && page.contains("Sign up") && page.contains("Log in"));

    switch_workflow(&app, false, true).await;
    let page = page_text(app.get(&anyone, "/u/jessica").await).await;
    assert!(
        page.contains("Enter as guest") && !page.contains(">Sign up<"),
        "{page}"
    );

    switch_workflow(&app, true, false).await;
    let page = page_text(app.get(&anyone, "/u/jessica").await).await;
    assert!(
        !page.contains("Enter as guest") && page.contains(">Sign up<"),
        "{page}"
    );

    let missing = app.get(&anyone, "/u/no-such-room").await;
    assert_eq!(missing.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_refuses_what_the_workflow_forbids() {
    let app = spawn_app().await;
    switch_workflow(&app, false, false).await;
    let anyone = app.client();
    let users_before = user::Entity::find().count(&app.db).await.unwrap();

    let guest = enter(&app, &anyone, "jessica", "Lee").await;
    let signed = sign_up(&app, &anyone, SIGNUP_EMAIL).await;

    assert_eq!(guest.status(), 403, "guest entry is off");
    assert_eq!(signed.status(), 403, "sign-up is off");
    assert_eq!(
        user::Entity::find().count(&app.db).await.unwrap(),
        users_before
    );
    assert_eq!(signup::Entity::find().count(&app.db).await.unwrap(), 0);
    assert!(mail_to(&app, SIGNUP_EMAIL).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_sees_their_place_move_up_when_someone_ahead_leaves() {
    let app = spawn_app().await;
    let first = app.client();
    let second = app.client();

    assert_eq!(enter(&app, &first, "jessica", "Lee").await.status(), 200);
    assert_eq!(enter(&app, &second, "jessica", "Kim").await.status(), 200);

    let mine = app.queue(&second).await;
    assert_eq!(mine["state"]["Waiting"]["place"], 2, "{mine}");
    assert_eq!(mine["first_name"], "Kim");
    assert_eq!(app.queue(&first).await["state"]["Waiting"]["place"], 1);

    assert_eq!(app.call(&first, "patients/leave", &[]).await.status(), 200);

    assert_eq!(app.queue(&second).await["state"]["Waiting"]["place"], 1);
    // Leaving ended the guest's session.
    assert_eq!(app.queue(&first).await, serde_json::Value::Null);
    let left = visit::Entity::find()
        .filter(visit::Column::Status.eq("left"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(left, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_is_a_guest_user_in_the_room_with_a_waiting_visit() {
    let app = spawn_app().await;
    let guest = app.client();
    assert_eq!(enter(&app, &guest, "jessica", "Lee").await.status(), 200);

    let admin = app.signed_in(ADMIN_A).await;
    let rows = json(app.list(&admin, &[("type", "guest")]).await).await;
    let rows = rows["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["user_type"], "Guest");
    assert_eq!(rows[0]["first_name"], "Lee");
    assert_eq!(rows[0]["status"], "Active");
    assert_eq!(rows[0]["rooms"][0]["slug"], "jessica");
    let html = page_text(app.get(&admin, "/admin/users?type=guest").await).await;
    assert!(
        html.contains("Type: Guest") && html.contains("Code: TVJC-jessica"),
        "{html}"
    );
    assert!(
        !html.contains("User name: guest-") && !html.contains("Set password"),
        "no login parts"
    );
    let id = rows[0]["id"].as_i64().unwrap();

    let visits = visit::Entity::find()
        .filter(visit::Column::UserId.eq(id))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(visits.len(), 1);
    assert_eq!(
        (visits[0].status.as_str(), visits[0].reason.as_str()),
        ("waiting", "Sore throat")
    );

    // A guest reaches neither admin functions nor an account page.
    assert_eq!(app.list(&guest, &[]).await.status(), 403);
    assert_eq!(app.call(&guest, "account/me", &[]).await.status(), 403);
    assert_eq!(app.get(&guest, "/account").await.status(), 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_entry_names_each_missing_field_and_writes_nothing() {
    let app = spawn_app().await;
    let users_before = user::Entity::find().count(&app.db).await.unwrap();

    let response = app
        .call(
            &app.client(),
            "patients/enter",
            &[
                ("slug", "jessica"),
                ("first_name", ""),
                ("last_name", "R2-D2"),
                ("reason", " "),
            ],
        )
        .await;

    assert_eq!(response.status(), 422);
    assert_eq!(
        rejected_fields(&json(response).await),
        ["first_name", "last_name", "reason"]
    );
    assert_eq!(
        user::Entity::find().count(&app.db).await.unwrap(),
        users_before
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_room_says_so_and_lets_no_one_in() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let room = app.room_id("jessica").await.to_string();
    let closed = app.close_room(&admin, &room).await;
    assert_eq!(closed.status(), 200);

    let page = page_text(app.get(&app.client(), "/u/jessica").await).await;
    assert!(page.contains("This room is closed"), "{page}");
    assert!(!page.contains("Enter as guest"));
    assert_eq!(
        enter(&app, &app.client(), "jessica", "Lee").await.status(),
        403
    );
    assert_eq!(
        sign_up(&app, &app.client(), SIGNUP_EMAIL).await.status(),
        403
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_answers_the_same_for_new_and_known_addresses() {
    let app = spawn_app().await;

    let new = sign_up(&app, &app.client(), SIGNUP_EMAIL).await;
    let known = sign_up(&app, &app.client(), PATIENT_A).await;

    assert_eq!(new.status(), known.status());
    assert_eq!(new.status(), 200);
    let (new_body, known_body) = (new.text().await.unwrap(), known.text().await.unwrap());
    assert_eq!(new_body, known_body);
    // The new address gets a confirmation link; the known one a note, and no account.
    let to_new = mail_to(&app, SIGNUP_EMAIL).await;
    assert_eq!(to_new.len(), 1);
    assert!(
        to_new[0].subject.contains("confirm your email"),
        "{}",
        to_new[0].subject
    );
    let to_known = mail_to(&app, PATIENT_A).await;
    assert_eq!(to_known.len(), 1);
    assert!(to_known[0].subject.contains("someone tried to sign up"));
    assert!(
        to_known[0]
            .text_body
            .contains("http://frontdesk.test/login")
    );
    assert!(
        to_known[0]
            .text_body
            .contains("http://frontdesk.test/forgot-password")
    );
    assert!(!to_known[0].text_body.contains("confirm-email"));
    let accounts = user::Entity::find()
        .filter(user::Column::EmailLower.eq(SIGNUP_EMAIL))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(accounts, 0, "no account before the email is confirmed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_sign_up_is_an_active_member_of_the_room_and_signed_in() {
    let app = spawn_app().await;
    assert_eq!(
        sign_up(&app, &app.client(), SIGNUP_EMAIL).await.status(),
        200
    );

    // Before confirming, the right password and a wrong one get the same answer.
    let early = app
        .login(&app.client(), SIGNUP_EMAIL, SIGNUP_PASSWORD)
        .await;
    assert_eq!(early.status(), 422);
    let early = json(early).await;
    let wrong = json(app.login(&app.client(), SIGNUP_EMAIL, "Wrong-Pass-1").await).await;
    assert_eq!(rejected_fields(&wrong), ["form"]);
    assert_eq!(early, wrong);
    let resent = app
        .call(&app.client(), "auth/resend", &[("username", SIGNUP_EMAIL)])
        .await;
    assert_eq!(resent.status(), 200);
    let mails = mail_to(&app, SIGNUP_EMAIL).await;
    assert_eq!(mails.len(), 2, "the link was sent again");
    let (old_token, token) = (confirm_token(&mails[0]), confirm_token(&mails[1]));
    let browser = app.client();
    let stale = app
        .call(
            &browser,
            "auth/confirm",
            &[("token", &old_token), ("password", SIGNUP_PASSWORD)],
        )
        .await;
    assert_eq!(stale.status(), 422, "resending replaced the old link");

    let confirmed = app
        .call(
            &browser,
            "auth/confirm",
            &[("token", &token), ("password", SIGNUP_PASSWORD)],
        )
        .await;

    assert_eq!(confirmed.status(), 200);
    assert_eq!(confirmed.headers()[LOCATION], "/account?welcome=1");
    let member = user::Entity::find()
        .filter(user::Column::EmailLower.eq(SIGNUP_EMAIL))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the member");
    assert_eq!(
        (
            member.user_type.key(),
            member.status.key(),
            member.clinic_id
        ),
        ("member", "active", 1)
    );
    assert!(member.email_confirmed_at.is_some());
    assert_eq!(member.phone.as_deref(), Some("+14155550134"));
    assert_eq!(member.date_of_birth.as_deref(), Some("1990-04-21"));
    let rooms = user_room::Entity::find()
        .filter(user_room::Column::UserId.eq(member.id))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(rooms.len(), 1);
    assert_eq!(rooms[0].room_id, app.room_id("jessica").await);
    let me = json(app.call(&browser, "account/me", &[]).await).await;
    assert_eq!(me["email"], SIGNUP_EMAIL);

    // The link works once; the password signs in.
    let again = app
        .call(
            &app.client(),
            "auth/confirm",
            &[("token", &token), ("password", SIGNUP_PASSWORD)],
        )
        .await;
    assert_eq!(again.status(), 422);
    assert_eq!(
        app.login(&app.client(), SIGNUP_EMAIL, SIGNUP_PASSWORD)
            .await
            .status(),
        200
    );

    // The admin table shows the sign-up with its room, time and status.
    let admin = app.signed_in(ADMIN_A).await;
    let rows = json(app.list_members(&admin, "ana").await).await;
    let row = &rows["rows"][0];
    assert_eq!(row["email"], SIGNUP_EMAIL);
    assert_eq!(row["user_type"], "Member");
    assert_eq!(row["status"], "Active");
    assert_eq!(row["rooms"][0]["code"], "TVJC-jessica");
    assert!(row["signed_up"].as_str().unwrap().starts_with("20"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_checks_every_field_and_the_clinics_policy() {
    let app = spawn_app().await;
    let mut form = sign_up_form("jessica", "not-an-email", "short");
    form.retain(|(k, _)| *k != "date_of_birth");
    form.push(("date_of_birth", ""));

    let response = app.call(&app.client(), "patients/sign_up", &form).await;

    assert_eq!(response.status(), 422);
    assert_eq!(
        rejected_fields(&json(response).await),
        ["email", "password", "date_of_birth"]
    );
    assert_eq!(signup::Entity::find().count(&app.db).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_and_guest_entry_work_without_javascript() {
    let app = spawn_app().await;
    let browser = app.client();
    let post = |path: &str, form: Vec<(&str, &str)>, from: &str| {
        browser
            .post(app.url(path))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "text/html,application/xhtml+xml")
            .header(REFERER, app.url(from))
            .header(ORIGIN, format!("http://{}", app.addr))
            .body(encode(&form))
            .send()
    };

    let signed = post(
        "/api/patients/sign_up",
        sign_up_form("jessica", SIGNUP_EMAIL, SIGNUP_PASSWORD),
        "/u/jessica/sign-up",
    )
    .await
    .unwrap();
    assert_eq!(signed.status(), 302);
    assert_eq!(signed.headers()[LOCATION], "/u/jessica/sign-up?sent=1");
    let sent = page_text(app.get(&browser, "/u/jessica/sign-up?sent=1").await).await;
    assert!(
        sent.contains("Check your email to finish signing up"),
        "{sent}"
    );

    let rejected = post(
        "/api/patients/sign_up",
        sign_up_form("jessica", "nope", SIGNUP_PASSWORD),
        "/u/jessica/sign-up",
    )
    .await
    .unwrap();
    assert_eq!(rejected.status(), 302);
    let back = rejected.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(
        back.starts_with(&app.url("/u/jessica/sign-up?"))
            || back.starts_with("/u/jessica/sign-up?"),
        "{back}"
    );
    let shown = page_text(app.get(&browser, &back.replace(&app.url(""), "")).await).await;
    assert!(
        shown.contains("Enter an email address like name@example.com."),
        "the email's message is on the page: {shown}"
    );

    let entered = post(
        "/api/patients/enter",
        vec![
            ("slug", "jessica"),
            ("first_name", "Lee"),
            ("last_name", "Park"),
            ("reason", "Rash"),
        ],
        "/u/jessica/guest",
    )
    .await
    .unwrap();
    assert_eq!(entered.status(), 302);
    assert_eq!(entered.headers()[LOCATION], "/u/jessica/waiting");
    let waiting = page_text(app.get(&browser, "/u/jessica/waiting").await).await;
    assert!(waiting.contains("You are in the waiting room"), "{waiting}");
    assert!(
        waiting.contains("<span class=\"queue-place\">1</span>")
            && waiting.contains("You are next."),
        "{waiting}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_edits_their_contact_fields_and_changes_their_password() {
    let app = spawn_app().await;
    let patient = app.signed_in(PATIENT_A).await;
    let other_session = app.signed_in(PATIENT_A).await;
    let me = json(app.call(&patient, "account/me", &[]).await).await;
    let mut contact = me["contact"].clone();
    contact["phone"] = json!("(415) 555-0199");
    contact["city"] = json!("Oakland");

    let saved = app
        .call_json(&patient, "account/save", json!({ "contact": contact }))
        .await;
    assert_eq!(saved.status(), 200);
    let saved = json(saved).await;
    assert_eq!(saved["contact"]["phone"], "+1 415-555-0199");
    assert_eq!(saved["contact"]["city"], "Oakland");

    let mut bad = saved["contact"].clone();
    bad["phone"] = json!("12");
    let refused = app
        .call_json(&patient, "account/save", json!({ "contact": bad }))
        .await;
    assert_eq!(refused.status(), 422);
    assert_eq!(rejected_fields(&json(refused).await), ["phone"]);

    async fn change(
        app: &TestApp,
        client: &reqwest::Client,
        current: &str,
        new: &str,
    ) -> reqwest::Response {
        app.call(
            client,
            "account/password",
            &[
                ("current_password", current),
                ("password", new),
                ("confirm_password", new),
            ],
        )
        .await
    }
    let wrong = change(&app, &patient, "Not-My-Password-1", "Fresh-Meadow-77").await;
    assert_eq!(wrong.status(), 422);
    assert_eq!(rejected_fields(&json(wrong).await), ["current_password"]);
    assert_eq!(
        change(&app, &patient, PASSWORD, "Fresh-Meadow-77")
            .await
            .status(),
        200
    );

    assert_eq!(
        app.call(&patient, "account/me", &[]).await.status(),
        200,
        "this session stays"
    );
    assert_eq!(
        app.call(&other_session, "account/me", &[]).await.status(),
        401,
        "others end"
    );
    assert_eq!(
        app.login(&app.client(), PATIENT_A, "Fresh-Meadow-77")
            .await
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_reaches_no_admin_function_and_no_one_elses_data() {
    let app = spawn_app().await;
    let patient = app.signed_in(PATIENT_A).await;

    assert_eq!(app.list(&patient, &[]).await.status(), 403);
    assert_eq!(app.detail(&patient, JANE_ID).await.status(), 403);
    assert_eq!(app.call(&patient, "rooms/list", &[]).await.status(), 403);
    assert_eq!(
        app.call(&patient, "clinics/settings", &[]).await.status(),
        403
    );
    assert_eq!(app.get(&patient, "/admin/users").await.status(), 303);
    let me = json(app.call(&patient, "account/me", &[]).await).await;
    assert_eq!(
        me["email"], PATIENT_A,
        "account/me is always the caller's own"
    );
    assert_eq!(
        app.call(&app.client(), "account/me", &[]).await.status(),
        401
    );
}
