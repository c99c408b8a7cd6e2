//! Brakes on guessing and flooding, against the running server at the production defaults
//! unless a test opens one: guesses sent at once never pass the allowance, a stranger's
//! guesses do not lock the owner out, an account's hourly allowance from all addresses,
//! change-password braked like sign-in, and a guest flood held per address and per room.

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guesses_sent_at_once_never_pass_more_than_the_allowance() {
    // Production brakes: five guesses per account and address, then one every 30 s.
    let app = spawn_app().await;
    let client = app.client();
    let answers = futures::future::join_all(
        (0..40).map(|_| app.login(&client, PATIENT_A, "Wrong-Password-1")),
    )
    .await;
    let checked = answers.iter().filter(|r| r.status() == 422).count();
    let refused = answers.iter().filter(|r| r.status() == 429).count();
    assert_eq!((checked, refused), (5, 35));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_cannot_lock_the_owner_out() {
    let app = spawn_app().await;
    let stranger = client_from("127.0.0.2");
    for _ in 0..6 {
        app.login(&stranger, ADMIN_A, "Wrong-Password-1").await;
    }
    assert_eq!(
        app.login(&stranger, ADMIN_A, PASSWORD).await.status(),
        429,
        "the guessing address is held"
    );
    assert_eq!(
        app.login(&client_from("127.0.0.1"), ADMIN_A, PASSWORD)
            .await
            .status(),
        200,
        "the owner, from an address that has not failed, gets in"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_takes_only_so_many_guesses_an_hour_from_all_addresses() {
    let mut limits = app::auth::throttle::Limits::default();
    limits.account_failures.burst = 8;
    let app = spawn_app_with_limits(limits).await;
    // Eight addresses fail once each: the account's allowance is spent.
    for n in 2..10 {
        let wrong = app
            .login(&client_from(&format!("127.0.0.{n}")), PATIENT_A, "Wrong-1x")
            .await;
        assert_eq!(wrong.status(), 422);
    }
    assert_eq!(
        app.login(&client_from("127.0.0.2"), PATIENT_A, PASSWORD)
            .await
            .status(),
        429,
        "an address that failed is held once the account's allowance is spent"
    );
    assert_eq!(
        app.login(&client_from("127.0.0.20"), PATIENT_A, PASSWORD)
            .await
            .status(),
        200,
        "one that has not failed still gets in"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_a_password_is_braked_like_signing_in() {
    let app = spawn_app().await;
    let patient = app.signed_in(PATIENT_A).await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let tried = app
            .call(
                &patient,
                "account/password",
                &[
                    ("current_password", "Not-The-Current-1"),
                    ("password", "Brand-New-Pass-7"),
                    ("confirm_password", "Brand-New-Pass-7"),
                ],
            )
            .await;
        statuses.push(tried.status().as_u16());
    }
    assert_eq!(statuses, [422, 422, 422, 422, 422, 429, 429]);
}

async fn guest_from(app: &TestApp, address: &str, n: usize) -> reqwest::StatusCode {
    app.call(
        &client_from(address),
        "patients/enter",
        &[
            ("slug", "jessica"),
            (
                "first_name",
                &format!("Flood{}", char::from(b'a' + (n % 26) as u8)),
            ),
            ("last_name", "Guest"),
            ("reason", "x"),
        ],
    )
    .await
    .status()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_flood_neither_fills_the_queue_nor_comes_from_one_address() {
    let app = spawn_app().await;
    let room = app.room_id("jessica").await;
    let sql = format!(
        "SELECT COUNT(*) AS n FROM visits v JOIN users u ON u.id = v.user_id \
         WHERE v.room_id = {room} AND v.status = 'waiting' AND u.user_type = 'guest'"
    );
    let waiting_guests = || count(&app, &sql);
    let before = waiting_guests().await;
    // 100 entries from each of two addresses: three each get in.
    for address in ["127.0.0.2", "127.0.0.3"] {
        let mut statuses = Vec::new();
        for n in 0..100 {
            statuses.push(guest_from(&app, address, n).await.as_u16());
        }
        let entered = statuses.iter().filter(|s| **s == 200).count();
        assert_eq!(entered, 3, "{address}: {statuses:?}");
    }
    assert_eq!(waiting_guests().await, before + 6);
    // Many addresses: the room holds 50 waiting guests at most.
    let mut full = None;
    for n in 10..80 {
        let status = guest_from(&app, &format!("127.0.1.{n}"), n).await;
        if status != 200 {
            full = Some(status);
            break;
        }
    }
    assert_eq!(full, Some(reqwest::StatusCode::UNPROCESSABLE_ENTITY));
    assert_eq!(waiting_guests().await, 50);
    // A real patient still gets in, 51st at worst.
    let patient = app.signed_in(PATIENT_A).await;
    let joined = app
        .call(
            &patient,
            "patients/join",
            &[("slug", "jessica"), ("reason", "Follow-up")],
        )
        .await;
    assert_eq!(joined.status(), 200);
}
