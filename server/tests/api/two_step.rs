//! Two-step sign-in: an authenticator app turned on with its own code, the second step
//! that alone opens a session, codes accepted once, recovery codes once, the clinic's rule
//! for Clinic Admins and Providers, an admin removing a lost phone's app, and secrets that
//! the database alone does not give out. Codes are computed here with `totp-rs` from the
//! secret the page shows, as an app would (`helpers::totp_code`).

use sea_orm::ConnectionTrait;

use crate::helpers::*;

const PATIENT_ID: i64 = 21_408_302;
const ADMIN_A_ID: i64 = 21_400_001;

/// Messages queued for the patient whose subject holds `subject`.
pub(crate) async fn mails_to_patient(app: &TestApp, subject: &str) -> i64 {
    count(
        app,
        &format!(
            "SELECT COUNT(*) AS n FROM mail_outbox WHERE user_id = {PATIENT_ID} \
             AND subject LIKE '%{subject}%'"
        ),
    )
    .await
}

/// The patient's audit events that meet `condition` (SQL over `audit_events`).
pub(crate) async fn patient_events(app: &TestApp, condition: &str) -> i64 {
    count(
        app,
        &format!(
            "SELECT COUNT(*) AS n FROM audit_events WHERE member_id = {PATIENT_ID} \
             AND {condition}"
        ),
    )
    .await
}

pub(crate) async fn view(app: &TestApp, client: &reqwest::Client) -> serde_json::Value {
    let response = app.call(client, "security/view", &[]).await;
    assert_eq!(response.status(), 200);
    json(response).await
}

/// Turns on an authenticator app for the signed-in `client`; returns its secret and the
/// recovery codes shown once.
async fn turn_on(app: &TestApp, client: &reqwest::Client) -> (String, Vec<String>) {
    assert_eq!(
        app.call(client, "security/app/add", &[]).await.status(),
        200
    );
    let secret = view(app, client).await["setup"]["secret"]
        .as_str()
        .expect("a secret to enter")
        .to_owned();
    let on = app
        .call(
            client,
            "security/app/confirm",
            &[("password", PASSWORD), ("code", &totp_code(&secret, 0))],
        )
        .await;
    assert_eq!(on.status(), 200, "{}", on.text().await.unwrap_or_default());
    let shown = view(app, client).await;
    assert_eq!(shown["app_on"], true);
    let codes = shown["new_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (secret, codes)
}

/// Signs in with the password only: the answer and the client, which holds the half-done
/// sign-in's cookie.
pub(crate) async fn first_step(
    app: &TestApp,
    username: &str,
) -> (reqwest::Response, reqwest::Client) {
    let client = app.client();
    let response = app.login(&client, username, PASSWORD).await;
    (response, client)
}

pub(crate) async fn signed_in_now(app: &TestApp, client: &reqwest::Client) -> bool {
    !json(app.call(client, "auth/me", &[]).await).await.is_null()
}

pub(crate) fn redirect_to(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .or_else(|| response.headers().get("serverfnredirect"))
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_turned_on_with_its_code_makes_sign_in_ask_for_a_code_once() {
    let app = spawn_app().await;
    let patient = app.signed_in(PATIENT_A).await;

    // A wrong code turns nothing on, and says so next to the field.
    assert_eq!(
        app.call(&patient, "security/app/add", &[]).await.status(),
        200
    );
    let wrong = app
        .call(
            &patient,
            "security/app/confirm",
            &[("password", PASSWORD), ("code", "000000")],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("That code is not right")
    );
    assert_eq!(view(&app, &patient).await["app_on"], false);
    // Nor does the right code without the password (a session alone is not enough).
    let pending = view(&app, &patient).await["setup"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let no_password = app
        .call(
            &patient,
            "security/app/confirm",
            &[
                ("password", "Not-It-123"),
                ("code", &totp_code(&pending, 0)),
            ],
        )
        .await;
    assert_eq!(no_password.status(), 422);
    assert!(
        no_password
            .text()
            .await
            .unwrap()
            .contains("not your password")
    );
    assert_eq!(view(&app, &patient).await["app_on"], false);

    let (secret, codes) = turn_on(&app, &patient).await;
    assert_eq!(codes.len(), 10, "ten recovery codes, shown once");
    assert!(
        view(&app, &patient).await["new_codes"]
            .as_array()
            .unwrap()
            .is_empty(),
        "the codes are not shown a second time"
    );
    assert_eq!(patient_events(&app, "action = 'two_step_changed'").await, 1);
    assert_eq!(
        mails_to_patient(&app, "A second factor was added to your account").await,
        1
    );

    // The password alone opens no session: it leads to the second step.
    let (first, client) = first_step(&app, PATIENT_A).await;
    assert_eq!(first.status(), 200);
    assert!(
        redirect_to(&first).contains("/login/second-step"),
        "{}",
        redirect_to(&first)
    );
    assert!(
        !set_cookies(first.headers())
            .iter()
            .any(|c| c.starts_with("frontdesk_session=")),
        "no session before the second step"
    );
    assert!(!signed_in_now(&app, &client).await);

    // A wrong code: 422 next to the field, still no session.
    let wrong = app
        .call(&client, "auth/second-step", &[("code", "123456")])
        .await;
    assert_eq!(wrong.status(), 422);
    assert!(!signed_in_now(&app, &client).await);

    // The right code opens the session. (The code that turned the app on was used: the
    // app's next one, accepted one step early.)
    let now_code = totp_code(&secret, 1);
    let right = app
        .call(&client, "auth/second-step", &[("code", &now_code)])
        .await;
    assert_eq!(
        right.status(),
        200,
        "{}",
        right.text().await.unwrap_or_default()
    );
    assert!(signed_in_now(&app, &client).await);

    // The same code again, in another sign-in: refused (a code is accepted once).
    let (_, again) = first_step(&app, PATIENT_A).await;
    let replay = app
        .call(&again, "auth/second-step", &[("code", &now_code)])
        .await;
    assert_eq!(replay.status(), 422);
    assert!(replay.text().await.unwrap().contains("just used"));
    assert!(!signed_in_now(&app, &again).await);

    // A recovery code works once.
    let recovery = codes[0].to_uppercase();
    let used = app
        .call(&again, "auth/second-step", &[("recovery_code", &recovery)])
        .await;
    assert_eq!(used.status(), 200);
    assert!(signed_in_now(&app, &again).await);
    let (_, third) = first_step(&app, PATIENT_A).await;
    let twice = app
        .call(&third, "auth/second-step", &[("recovery_code", &recovery)])
        .await;
    assert_eq!(twice.status(), 422);
    assert!(!signed_in_now(&app, &third).await);
    assert_eq!(view(&app, &patient).await["codes_left"], 9);
    // The code's use is in the trail and in the owner's mail.
    assert_eq!(
        patient_events(&app, "changes LIKE '%Recovery codes left%'").await,
        1
    );
    assert_eq!(
        mails_to_patient(&app, "A recovery code was used to sign in").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_step_without_a_first_or_past_five_minutes_is_refused() {
    let app = spawn_app().await;
    let patient = app.signed_in(PATIENT_A).await;
    let (secret, _) = turn_on(&app, &patient).await;

    // No half-done sign-in at all.
    let stranger = app.client();
    let none = app
        .call(
            &stranger,
            "auth/second-step",
            &[("code", &totp_code(&secret, 0))],
        )
        .await;
    assert_eq!(none.status(), 422);
    assert!(none.text().await.unwrap().contains("expired"));
    assert!(!signed_in_now(&app, &stranger).await);

    // A half-done sign-in older than five minutes.
    let (_, client) = first_step(&app, PATIENT_A).await;
    app.db
        .execute_unprepared(&format!(
            "UPDATE second_steps SET expires_at = {} WHERE user_id = {PATIENT_ID}",
            app::db::now_ms() - 1
        ))
        .await
        .unwrap();
    let stale = app
        .call(
            &client,
            "auth/second-step",
            &[("code", &totp_code(&secret, 1))],
        )
        .await;
    assert_eq!(stale.status(), 422);
    assert!(!signed_in_now(&app, &client).await);

    // Suspended between the password and the code: the sign-in is over.
    let (_, client) = first_step(&app, PATIENT_A).await;
    app.db
        .execute_unprepared(&format!(
            "UPDATE users SET status = 'suspended' WHERE id = {PATIENT_ID}"
        ))
        .await
        .unwrap();
    let suspended = app
        .call(
            &client,
            "auth/second-step",
            &[("code", &totp_code(&secret, 1))],
        )
        .await;
    assert_eq!(suspended.status(), 422);
    assert!(suspended.text().await.unwrap().contains("expired"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_answers_the_same_with_or_without_a_second_factor() {
    let app = spawn_app().await;
    let before = app
        .login(&app.client(), PATIENT_A, "Wrong-Password-1")
        .await;
    let before = (before.status(), before.text().await.unwrap());
    let patient = app.signed_in(PATIENT_A).await;
    turn_on(&app, &patient).await;
    let after = app
        .login(&app.client(), PATIENT_A, "Wrong-Password-1")
        .await;
    assert_eq!((after.status(), after.text().await.unwrap()), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_and_recovery_codes_are_not_in_the_database_as_they_are_shown() {
    let app = spawn_app().await;
    let patient = app.signed_in(PATIENT_A).await;
    let (secret, codes) = turn_on(&app, &patient).await;
    let rows = app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COALESCE(app_secret, '') || ' ' || COALESCE(unseen_codes, '') AS t \
             FROM two_step UNION ALL SELECT code_hash AS t FROM recovery_codes",
        ))
        .await
        .unwrap();
    let stored: String = rows
        .iter()
        .map(|r| r.try_get::<String>("", "t").unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(stored.contains("v1."), "the secret is kept sealed");
    assert!(!stored.contains(&secret.replace(' ', "")));
    for c in &codes {
        assert!(!stored.contains(c.as_str()));
        assert!(!stored.contains(&c.replace('-', "")));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turning_the_app_off_asks_for_the_password() {
    let app = spawn_app().await;
    let patient = app.signed_in(PATIENT_A).await;
    turn_on(&app, &patient).await;
    let wrong = app
        .call(
            &patient,
            "security/app/remove",
            &[("password", "Not-It-123")],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    assert_eq!(view(&app, &patient).await["app_on"], true);
    let right = app
        .call(&patient, "security/app/remove", &[("password", PASSWORD)])
        .await;
    assert_eq!(right.status(), 200);
    let now = view(&app, &patient).await;
    assert_eq!(now["app_on"], false);
    assert_eq!(now["codes_left"], 0, "no factor, no recovery codes");
    let (first, client) = first_step(&app, PATIENT_A).await;
    assert!(!redirect_to(&first).contains("second-step"));
    assert!(
        signed_in_now(&app, &client).await,
        "the password alone again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clinic_that_requires_it_leads_its_admin_to_set_it_up_first() {
    let app = spawn_app().await;
    app.db
        .execute_unprepared(
            "UPDATE clinics SET require_two_step = TRUE WHERE id = \
             (SELECT clinic_id FROM users WHERE id = 21400001)",
        )
        .await
        .unwrap();
    let (first, admin) = first_step(&app, ADMIN_A).await;
    assert_eq!(first.status(), 200);
    assert!(
        redirect_to(&first).contains("/account/security"),
        "{}",
        redirect_to(&first)
    );
    // No admin server function and no admin page answers yet.
    assert_eq!(app.list_members(&admin, "").await.status(), 403);
    let page = app.get(&admin, "/admin/users").await;
    assert!(page.status().is_redirection());
    assert!(redirect_to(&page).contains("/account/security"));
    assert_eq!(view(&app, &admin).await["required"], true);
    // A patient of the same clinic is not asked.
    let patient = app.signed_in(PATIENT_A).await;
    assert_eq!(view(&app, &patient).await["required"], false);

    turn_on(&app, &admin).await;
    assert_eq!(app.list_members(&admin, "").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_removes_a_members_lost_app_after_their_own_password() {
    let app = spawn_app().await;
    let patient = app.signed_in(PATIENT_A).await;
    turn_on(&app, &patient).await;
    let admin = app.signed_in(ADMIN_A).await;
    let id = PATIENT_ID.to_string();

    let wrong = app
        .call(
            &admin,
            "members/two-step/remove",
            &[("member_id", &id), ("password", "Not-It-123")],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    assert_eq!(view(&app, &patient).await["app_on"], true);

    // Another clinic's admin cannot, whatever their password.
    let other = app.signed_in(ADMIN_B).await;
    let elsewhere = app
        .call(
            &other,
            "members/two-step/remove",
            &[("member_id", &id), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(elsewhere.status(), 404);

    let removed = app
        .call(
            &admin,
            "members/two-step/remove",
            &[("member_id", &id), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(removed.status(), 200);
    assert_eq!(view(&app, &patient).await["app_on"], false);
    let by_admin = format!("action = 'two_step_changed' AND actor_user_id = {ADMIN_A_ID}");
    assert_eq!(patient_events(&app, &by_admin).await, 1);
    assert_eq!(
        mails_to_patient(&app, "A second factor was removed from your account").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_member_removes_their_second_factor() {
    let app = spawn_app().await;
    let patient = app.signed_in(PATIENT_A).await;
    turn_on(&app, &patient).await;
    let _ = first_step(&app, PATIENT_A).await;
    app.db
        .execute_unprepared(&format!("DELETE FROM users WHERE id = {PATIENT_ID}"))
        .await
        .unwrap();
    for table in ["two_step", "recovery_codes", "second_steps"] {
        assert_eq!(
            count(
                &app,
                &format!("SELECT COUNT(*) AS n FROM {table} WHERE user_id = {PATIENT_ID}")
            )
            .await,
            0,
            "{table}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_requirement_is_a_clinic_setting_kept_by_forms_that_do_not_send_it() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let mut form = json(app.call(&admin, "clinics/settings", &[]).await).await[0].clone();
    assert_eq!(form["require_two_step"], false);
    let clinic_id = form["clinic_id"].clone();
    let settings = serde_json::json!({
        "clinic_id": clinic_id, "signup_allowed": true, "guest_allowed": true,
        "min_length": "8", "require_upper": true, "require_lower": true,
        "require_digit": true, "require_symbol": true, "history_count": "6",
        "delete_grace_days": "30", "idle_timeout_minutes": "30", "guest_retention_days": "30",
        "require_two_step": true, "version": form["version"]
    });
    let saved = app
        .call_json(
            &admin,
            "clinics/save_settings",
            serde_json::json!({ "settings": settings }),
        )
        .await;
    assert_eq!(saved.status(), 200);
    form = json(saved).await;
    assert_eq!(form["require_two_step"], true);
    let changed = "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'settings_changed' \
                   AND changes LIKE '%Two-step sign-in required%'";
    assert_eq!(count(&app, changed).await, 1);
    // The admin who turned it on has no factor: from his next call, he sets one up first.
    assert_eq!(app.list_members(&admin, "").await.status(), 403);
    let mut older = settings.clone();
    older.as_object_mut().unwrap().remove("require_two_step");
    older["idle_timeout_minutes"] = serde_json::json!("45");
    older["version"] = form["version"].clone();
    let another = app.signed_in(ADMIN_A).await;
    turn_on(&app, &another).await;
    let saved = app
        .call_json(
            &another,
            "clinics/save_settings",
            serde_json::json!({ "settings": older }),
        )
        .await;
    assert_eq!(saved.status(), 200);
    assert_eq!(json(saved).await["require_two_step"], true, "kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turning_the_app_on_ends_the_other_sessions() {
    let app = spawn_app().await;
    let patient = app.signed_in(PATIENT_A).await;
    let elsewhere = app.signed_in(PATIENT_A).await;
    turn_on(&app, &patient).await;
    assert!(
        signed_in_now(&app, &patient).await,
        "the session that turned it on stays"
    );
    assert!(
        !signed_in_now(&app, &elsewhere).await,
        "a session opened with the password alone ends"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_wrong_codes_end_the_half_done_sign_in_and_tell_the_owner() {
    let app = spawn_app().await;
    let patient = app.signed_in(PATIENT_A).await;
    let (secret, _) = turn_on(&app, &patient).await;
    let (_, client) = first_step(&app, PATIENT_A).await;
    for _ in 0..5 {
        let wrong = app
            .call(&client, "auth/second-step", &[("code", "000000")])
            .await;
        assert_eq!(wrong.status(), 422);
    }
    let right = app
        .call(
            &client,
            "auth/second-step",
            &[("code", &totp_code(&secret, 1))],
        )
        .await;
    assert_eq!(right.status(), 422, "the half-done sign-in is over");
    assert!(right.text().await.unwrap().contains("expired"));
    assert!(!signed_in_now(&app, &client).await);
    assert_eq!(
        mails_to_patient(&app, "Someone signed in with your password").await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_with_another_secret_key_is_refused() {
    let app = spawn_app().await;
    let ours =
        app::auth::sealing::Sealer::from_setting("a secret key for the test servers, 32+ chars")
            .unwrap();
    app::auth::sealing::check_key(&app.db, &ours)
        .await
        .expect("the key the database knows");
    let other =
        app::auth::sealing::Sealer::from_setting("another key altogether, 32+ characters").unwrap();
    let refused = app::auth::sealing::check_key(&app.db, &other).await;
    assert!(refused.is_err(), "another key starts no server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_removes_a_lost_app_when_no_admin_can() {
    let app = spawn_app().await;
    let patient = app.signed_in(PATIENT_A).await;
    turn_on(&app, &patient).await;
    let removed = app::two_step::service::remove_from_command_line(&app.db, PATIENT_A)
        .await
        .unwrap();
    assert!(removed);
    assert_eq!(view(&app, &patient).await["app_on"], false);
    assert_eq!(
        patient_events(&app, "changes LIKE '%command line%'").await,
        1
    );
    let again = app::two_step::service::remove_from_command_line(&app.db, PATIENT_A)
        .await
        .unwrap();
    assert!(!again, "nothing left to remove");
}
