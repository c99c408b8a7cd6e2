//! The second step with a passkey: only an answer to this sign-in's own challenge, signed
//! by a passkey the account added, passes, once. Answers without a half-done sign-in, before
//! the ceremony, from unknown passkeys, with another key behind the right credential ID,
//! for another sign-in, replayed (even from a passkey that keeps no counter), sent twice at
//! once, or from a copied authenticator are refused.

use serde_json::json;

use crate::helpers::*;
use crate::passkeys::{
    ORIGIN, PATIENT_ID, add, add_this, begin_step, options_of, says, sign_in_with, step_with,
};
use crate::soft_passkey::SoftPasskey;
use crate::two_step::{first_step, signed_in_now};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_second_step_refuses_passkeys_it_did_not_ask_for() {
    let app = spawn_app().await;
    let patient = app.signed_in(PATIENT_A).await;
    let key = add(&app, &patient, "Laptop").await;

    // No half-done sign-in: nothing to answer.
    let stranger = app.client();
    says(
        app.call(&stranger, "auth/second-step/passkey/begin", &[])
            .await,
        422,
        "expired",
    )
    .await;
    let mut unknown = SoftPasskey::new(ORIGIN);
    let made_up = unknown.sign_in(&json!({"challenge": "c29tZXRoaW5n"}));
    says(step_with(&app, &stranger, &made_up).await, 422, "expired").await;

    // An answer before the ceremony began, then one from a passkey this account never
    // added: refused, counted against the half-done sign-in.
    let (_, client) = first_step(&app, PATIENT_A).await;
    says(step_with(&app, &client, &made_up).await, 422, "again").await;
    let options = options_of(
        app.call(&client, "auth/second-step/passkey/begin", &[])
            .await,
    )
    .await;
    says(
        step_with(&app, &client, &unknown.sign_in(&options)).await,
        422,
        "not accepted",
    )
    .await;
    // The right credential's id with another key's signature.
    let options = options_of(
        app.call(&client, "auth/second-step/passkey/begin", &[])
            .await,
    )
    .await;
    says(
        step_with(&app, &client, &key.impostor().sign_in(&options)).await,
        422,
        "not accepted",
    )
    .await;
    assert!(!signed_in_now(&app, &client).await);
    let attempts = count(
        &app,
        &format!(
            "SELECT COALESCE(SUM(attempts), 0) AS n FROM second_steps WHERE user_id = {PATIENT_ID}"
        ),
    )
    .await;
    assert_eq!(attempts, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_signs_in_once_even_from_a_passkey_without_a_counter() {
    let app = spawn_app().await;
    let patient = app.signed_in(PATIENT_A).await;
    let synced = SoftPasskey::new(ORIGIN).without_counter();
    let mut key = add_this(&app, &patient, "Synced", synced).await;

    // Two half-done sign-ins; an answer to one does not answer the other.
    let (_, a) = first_step(&app, PATIENT_A).await;
    let (_, b) = first_step(&app, PATIENT_A).await;
    let for_a = key.sign_in(&begin_step(&app, &a).await);
    let _ = begin_step(&app, &b).await;
    says(step_with(&app, &b, &for_a).await, 422, "not accepted").await;
    assert!(!signed_in_now(&app, &b).await);

    // Sent twice at once to its own sign-in: one session.
    let (one, two) = tokio::join!(step_with(&app, &a, &for_a), step_with(&app, &a, &for_a));
    let mut statuses = [one.status().as_u16(), two.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses[0], 200);
    assert_ne!(statuses[1], 200, "the answer passed once");
    assert!(signed_in_now(&app, &a).await);

    // Replayed on a new sign-in: refused, though the passkey keeps no counter.
    let (_, c) = first_step(&app, PATIENT_A).await;
    let _ = begin_step(&app, &c).await;
    says(step_with(&app, &c, &for_a).await, 422, "not accepted").await;
    assert!(!signed_in_now(&app, &c).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copied_passkey_is_refused_once_the_original_has_signed_in() {
    let app = spawn_app().await;
    let patient = app.signed_in(PATIENT_A).await;
    let mut original = add(&app, &patient, "Laptop").await;
    let mut copy = original.at_origin(ORIGIN);

    // The copy begins a sign-in first; the owner signs in meanwhile; the copy's answer
    // carries a counter the passkey has already used.
    let (_, thief) = first_step(&app, PATIENT_A).await;
    let thiefs = begin_step(&app, &thief).await;
    let (done, _) = sign_in_with(&app, PATIENT_A, &mut original).await;
    assert_eq!(done.status(), 200);
    says(
        step_with(&app, &thief, &copy.sign_in(&thiefs)).await,
        422,
        "not accepted",
    )
    .await;
    assert!(!signed_in_now(&app, &thief).await);
}
