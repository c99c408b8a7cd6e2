//! Passkeys on the account's side: one is added after the password with a real signature
//! over the server's challenge, brings recovery codes, signs in in place of a code, and is
//! removed after the password; registration answers that are malformed, made for another
//! page or another challenge, or sent twice change nothing. The second step's own refusals
//! are in `passkey_sign_in`. The passkey here is `soft_passkey::SoftPasskey`; the browser
//! suite uses Chromium's virtual authenticator.

use reqwest::{Client, Response};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::soft_passkey::SoftPasskey;
use crate::two_step::{
    first_step, mails_to_patient, patient_events, redirect_to, signed_in_now, view,
};

/// The test servers' public URL: passkeys belong to its host.
pub(crate) const ORIGIN: &str = "http://frontdesk.test";
pub(crate) const PATIENT_ID: i64 = 21_408_302;

/// The ceremony's options a server function answered with (a JSON text, as JSON).
pub(crate) async fn options_of(response: Response) -> Value {
    assert_eq!(response.status(), 200, "options expected");
    let text = json(response).await;
    serde_json::from_str(text.as_str().expect("a JSON text")).expect("options")
}

pub(crate) async fn begin_adding(app: &TestApp, client: &Client, name: &str) -> Response {
    app.call(
        client,
        "security/passkey/add",
        &[("passkey_name", name), ("passkey_password", PASSWORD)],
    )
    .await
}

pub(crate) async fn confirm(app: &TestApp, client: &Client, answer: &Value) -> Response {
    app.call(
        client,
        "security/passkey/confirm",
        &[("answer", &answer.to_string())],
    )
    .await
}

/// Adds a passkey named `name` for the signed-in `client`.
pub(crate) async fn add(app: &TestApp, client: &Client, name: &str) -> SoftPasskey {
    add_this(app, client, name, SoftPasskey::new(ORIGIN)).await
}

/// Adds `key` as a passkey named `name` for the signed-in `client`.
pub(crate) async fn add_this(
    app: &TestApp,
    client: &Client,
    name: &str,
    mut key: SoftPasskey,
) -> SoftPasskey {
    let options = options_of(begin_adding(app, client, name).await).await;
    let done = confirm(app, client, &key.register(&options)).await;
    assert_eq!(
        done.status(),
        200,
        "{}",
        done.text().await.unwrap_or_default()
    );
    key
}

/// Begins the passkey ceremony of `client`'s half-done sign-in: its options.
pub(crate) async fn begin_step(app: &TestApp, client: &Client) -> Value {
    options_of(
        app.call(client, "auth/second-step/passkey/begin", &[])
            .await,
    )
    .await
}

/// The password, then the passkey's answer to the server's challenge: the last answer,
/// and the client holding whatever the sign-in gave.
pub(crate) async fn sign_in_with(
    app: &TestApp,
    username: &str,
    key: &mut SoftPasskey,
) -> (Response, Client) {
    let (first, client) = first_step(app, username).await;
    assert!(redirect_to(&first).contains("/login/second-step"));
    let options = options_of(
        app.call(&client, "auth/second-step/passkey/begin", &[])
            .await,
    )
    .await;
    let answer = key.sign_in(&options);
    let done = step_with(app, &client, &answer).await;
    (done, client)
}

pub(crate) async fn step_with(app: &TestApp, client: &Client, answer: &Value) -> Response {
    app.call(
        client,
        "auth/second-step/passkey",
        &[("answer", &answer.to_string())],
    )
    .await
}

pub(crate) async fn passkeys_of(app: &TestApp, user_id: i64) -> i64 {
    count(
        app,
        &format!("SELECT COUNT(*) AS n FROM passkeys WHERE user_id = {user_id}"),
    )
    .await
}

pub(crate) async fn says(response: Response, status: u16, words: &str) {
    assert_eq!(response.status(), status);
    let text = response.text().await.unwrap();
    assert!(text.contains(words), "{words:?} not in {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_added_after_the_password_signs_in_in_place_of_a_code() {
    let app = spawn_app().await;
    let other_session = app.signed_in(PATIENT_A).await;
    let patient = app.signed_in(PATIENT_A).await;

    let mut key = add(&app, &patient, "  Work laptop ").await;

    let shown = view(&app, &patient).await;
    assert_eq!(shown["passkeys"][0]["name"], "Work laptop");
    assert!(shown["passkeys"][0]["last_used"].is_null());
    assert_eq!(shown["app_on"], false);
    assert_eq!(
        shown["new_codes"].as_array().unwrap().len(),
        10,
        "the first factor brings recovery codes"
    );
    assert_eq!(
        mails_to_patient(&app, "A second factor was added to your account").await,
        1
    );
    assert_eq!(
        patient_events(
            &app,
            "action = 'two_step_changed' AND changes LIKE '%Work laptop%'"
        )
        .await,
        1
    );
    assert!(
        !signed_in_now(&app, &other_session).await,
        "a session opened with the password alone ended"
    );
    assert!(
        signed_in_now(&app, &patient).await,
        "the one that added it stays"
    );

    // The password alone leads to the second step, which offers the passkey.
    let (first, client) = first_step(&app, PATIENT_A).await;
    assert!(redirect_to(&first).contains("/login/second-step"));
    assert!(!signed_in_now(&app, &client).await);
    let ways = json(app.call(&client, "auth/second-step/view", &[]).await).await;
    assert_eq!(
        ways,
        json!({"app": false, "passkey": true, "passkeys_here": true})
    );

    let options = options_of(
        app.call(&client, "auth/second-step/passkey/begin", &[])
            .await,
    )
    .await;
    let answer = key.sign_in(&options);
    let done = step_with(&app, &client, &answer).await;
    assert_eq!(done.status(), 200);
    assert_eq!(json(done).await, "/account", "where the browser goes");
    assert!(signed_in_now(&app, &client).await);
    // The day, in the member's own zone (their profile's: Los Angeles).
    let today = app::text::format_time(app::db::now_ms(), &app::text::zone("America/Los_Angeles"));
    assert_eq!(
        view(&app, &client).await["passkeys"][0]["last_used"],
        today[..10]
    );

    // The answer that signed in once does not sign in again: the next sign-in has another
    // challenge. Nor does something that is not an answer.
    let (_, again) = first_step(&app, PATIENT_A).await;
    let _ = options_of(
        app.call(&again, "auth/second-step/passkey/begin", &[])
            .await,
    )
    .await;
    says(step_with(&app, &again, &answer).await, 422, "not accepted").await;
    says(
        step_with(&app, &again, &json!({"id": "x"})).await,
        422,
        "could not be read",
    )
    .await;
    assert!(!signed_in_now(&app, &again).await);

    // The passkey's next answer to this sign-in's own challenge passes.
    let (done, client) = sign_in_with(&app, PATIENT_A, &mut key).await;
    assert_eq!(done.status(), 200);
    assert!(signed_in_now(&app, &client).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_a_passkey_refuses_bad_answers_and_changes_nothing() {
    let app = spawn_app().await;
    let patient = app.signed_in(PATIENT_A).await;

    // The password is asked, and a name.
    let wrong_password = app
        .call(
            &patient,
            "security/passkey/add",
            &[
                ("passkey_name", "Phone"),
                ("passkey_password", "Not-It-123"),
            ],
        )
        .await;
    assert_eq!(wrong_password.status(), 422);
    let text = wrong_password.text().await.unwrap();
    assert!(
        text.contains("passkey_password") && text.contains("not your password"),
        "{text}"
    );
    says(
        begin_adding(&app, &patient, "   ").await,
        422,
        "Name the passkey",
    )
    .await;
    let pending = count(
        &app,
        &format!("SELECT COUNT(*) AS n FROM two_step WHERE user_id = {PATIENT_ID} AND passkey_pending IS NOT NULL"),
    )
    .await;
    assert_eq!(pending, 0, "nothing begun without the password and a name");

    // An answer that is not one, one made on another page, one for an earlier challenge.
    let first = options_of(begin_adding(&app, &patient, "Phone").await).await;
    let second = options_of(begin_adding(&app, &patient, "Phone").await).await;
    says(
        app.call(
            &patient,
            "security/passkey/confirm",
            &[("answer", "{not json")],
        )
        .await,
        422,
        "could not be read",
    )
    .await;
    let mut key = SoftPasskey::new(ORIGIN);
    let phished = key
        .at_origin("http://frontdesk.evil.test")
        .register(&second);
    says(
        confirm(&app, &patient, &phished).await,
        422,
        "could not be added",
    )
    .await;
    let earlier = key.register(&first);
    says(
        confirm(&app, &patient, &earlier).await,
        422,
        "could not be added",
    )
    .await;
    assert_eq!(passkeys_of(&app, PATIENT_ID).await, 0);
    assert_eq!(mails_to_patient(&app, "A second factor was added").await, 0);

    // The answer to the latest challenge adds it, once.
    let right = key.register(&second);
    assert_eq!(confirm(&app, &patient, &right).await.status(), 200);
    says(confirm(&app, &patient, &right).await, 422, "took too long").await;
    assert_eq!(passkeys_of(&app, PATIENT_ID).await, 1);

    // The same device cannot be added to another account.
    let admin = app.signed_in(ADMIN_A).await;
    let options = options_of(begin_adding(&app, &admin, "Borrowed").await).await;
    let mut same_device = key.at_origin(ORIGIN);
    says(
        confirm(&app, &admin, &same_device.register(&options)).await,
        409,
        "added already",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_a_passkey_asks_the_password_and_the_last_takes_the_codes() {
    let app = spawn_app().await;
    let patient = app.signed_in(PATIENT_A).await;
    let _laptop = add(&app, &patient, "Laptop").await;
    let _phone = add(&app, &patient, "Phone").await;
    let admin = app.signed_in(ADMIN_A).await;
    let _admins = add(&app, &admin, "Admin's key").await;
    let listed = view(&app, &patient).await;
    let ids: Vec<String> = listed["passkeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(
        listed["codes_left"], 10,
        "the second passkey kept the codes"
    );
    let admins_id = view(&app, &admin).await["passkeys"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let remove = |id: String, password: &'static str| {
        let (app, patient) = (&app, &patient);
        async move {
            app.call(
                patient,
                "security/passkey/remove",
                &[("passkey", id.as_str()), ("remove_password", password)],
            )
            .await
        }
    };
    says(
        remove(ids[0].clone(), "Not-It-123").await,
        422,
        "not your password",
    )
    .await;
    says(
        remove(admins_id, PASSWORD).await,
        422,
        "Choose one of your passkeys",
    )
    .await;
    assert_eq!(passkeys_of(&app, PATIENT_ID).await, 2);
    assert_eq!(
        passkeys_of(&app, 21_400_001).await,
        1,
        "the admin's is untouched"
    );

    assert_eq!(remove(ids[0].clone(), PASSWORD).await.status(), 200);
    assert_eq!(view(&app, &patient).await["codes_left"], 10);
    let (first, _) = first_step(&app, PATIENT_A).await;
    assert!(
        redirect_to(&first).contains("/login/second-step"),
        "one passkey is left"
    );

    assert_eq!(remove(ids[1].clone(), PASSWORD).await.status(), 200);
    assert_eq!(
        mails_to_patient(&app, "A second factor was removed from your account").await,
        2
    );
    let told = count(
        &app,
        &format!(
            "SELECT COUNT(*) AS n FROM mail_outbox WHERE user_id = {PATIENT_ID} \
             AND text_body LIKE '%Signing in now asks for your password only.%'"
        ),
    )
    .await;
    assert_eq!(
        told, 1,
        "the last removal says the password alone signs in now"
    );
    assert_eq!(
        view(&app, &patient).await["codes_left"],
        0,
        "no factor, no codes"
    );
    let (first, client) = first_step(&app, PATIENT_A).await;
    assert!(!redirect_to(&first).contains("second-step"));
    assert!(
        signed_in_now(&app, &client).await,
        "the password alone signs in again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_members_passkeys_go_with_them() {
    let app = spawn_app().await;
    let patient = app.signed_in(PATIENT_A).await;
    let _key = add(&app, &patient, "Laptop").await;
    let admin = app.signed_in(ADMIN_A).await;
    let deleted = app.delete_member(&admin, PATIENT_ID, PATIENT_A).await;
    assert_eq!(
        deleted.status(),
        200,
        "{}",
        deleted.text().await.unwrap_or_default()
    );
    assert_eq!(passkeys_of(&app, PATIENT_ID).await, 0);
    let rows = count(
        &app,
        &format!("SELECT COUNT(*) AS n FROM two_step WHERE user_id = {PATIENT_ID}"),
    )
    .await;
    assert_eq!(rows, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passkeys_are_off_where_frontdesk_is_reached_at_an_ip_address() {
    let app = spawn_app().await;
    let address = app
        .serve_another(|s| s.public_url = Some("http://127.0.0.1:3000".into()))
        .await;
    let client = app.client();
    let post = |endpoint: &str, form: &[(&str, &str)]| {
        client
            .post(format!("http://{address}/api/{endpoint}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(crate::answers::encode(form))
            .send()
    };
    let login = post(
        "auth/login",
        &[("username", PATIENT_A), ("password", PASSWORD)],
    )
    .await
    .unwrap();
    assert_eq!(login.status(), 200);
    let shown = json(post("security/view", &[]).await.unwrap()).await;
    assert_eq!(shown["passkeys_here"], false);
    says(
        post(
            "security/passkey/add",
            &[("passkey_name", "Laptop"), ("passkey_password", PASSWORD)],
        )
        .await
        .unwrap(),
        409,
        "not at an IP address",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_meets_the_clinics_requirement_and_an_admin_can_remove_it() {
    let app = spawn_app().await;
    sea_orm::ConnectionTrait::execute_unprepared(
        &app.db,
        "UPDATE clinics SET require_two_step = TRUE WHERE id = \
         (SELECT clinic_id FROM users WHERE id = 21400001)",
    )
    .await
    .unwrap();
    let (_, admin) = first_step(&app, ADMIN_A).await;
    assert_eq!(app.list_members(&admin, "").await.status(), 403);
    let mut admins = add(&app, &admin, "Desk key").await;
    assert_eq!(view(&app, &admin).await["required"], false);
    assert_eq!(app.list_members(&admin, "").await.status(), 200);
    let (done, admin) = sign_in_with(&app, ADMIN_A, &mut admins).await;
    assert_eq!(done.status(), 200);
    assert_eq!(json(done).await, "/admin/users");

    // A patient with an app and a passkey loses both to the admin's removal.
    let patient = app.signed_in(PATIENT_A).await;
    let _key = add(&app, &patient, "Laptop").await;
    assert_eq!(
        app.call(&patient, "security/app/add", &[]).await.status(),
        200
    );
    let secret = view(&app, &patient).await["setup"]["secret"]
        .as_str()
        .unwrap()
        .replace(' ', "");
    let on = app
        .call(
            &patient,
            "security/app/confirm",
            &[("password", PASSWORD), ("code", &totp_code(&secret, 0))],
        )
        .await;
    assert_eq!(on.status(), 200);
    let detail = json(app.detail(&admin, PATIENT_ID).await).await;
    assert_eq!(detail["two_step"], "an authenticator app and a passkey");
    let removed = app
        .call(
            &admin,
            "members/two-step/remove",
            &[
                ("member_id", &PATIENT_ID.to_string()),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(removed.status(), 200);
    assert_eq!(passkeys_of(&app, PATIENT_ID).await, 0);
    assert!(json(app.detail(&admin, PATIENT_ID).await).await["two_step"].is_null());
    let (first, client) = first_step(&app, PATIENT_A).await;
    assert!(!redirect_to(&first).contains("second-step"));
    assert!(signed_in_now(&app, &client).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_answers_to_one_ceremony_at_once_add_one_passkey() {
    let app = spawn_app().await;
    let patient = app.signed_in(PATIENT_A).await;
    let options = options_of(begin_adding(&app, &patient, "Laptop").await).await;
    let answer = SoftPasskey::new(ORIGIN).register(&options);
    let (one, two) = tokio::join!(
        confirm(&app, &patient, &answer),
        confirm(&app, &patient, &answer)
    );
    let mut statuses = [one.status().as_u16(), two.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses[0], 200);
    assert_ne!(statuses[1], 200);
    assert_eq!(passkeys_of(&app, PATIENT_ID).await, 1);
    assert_eq!(
        mails_to_patient(&app, "A second factor was added to your account").await,
        1
    );
}
