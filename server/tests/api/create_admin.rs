//! `frontdesk create-admin`: a new clinic, which requires two-step sign-in, and its first
//! Clinic Admin, whose welcome link sets the password and whose first sign-in leads to
//! setting up a second factor. Bad input and a taken email write nothing.

use sea_orm::EntityTrait;

use app::entities::*;
use server::new_clinic::{NewClinic, create_admin};

use crate::helpers::*;
use crate::two_step::{first_step, redirect_to, view};

fn harbor(email: &str) -> NewClinic {
    NewClinic {
        clinic: "Harbor Health".into(),
        email: email.into(),
        first: "Ana".into(),
        last: "Ruiz".into(),
    }
}

/// The set-password token in the newest message to `to`.
async fn welcome_token(app: &TestApp, to: &str) -> String {
    let body = mail_outbox::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .rev()
        .find(|m| m.to_address == to)
        .expect("the welcome email")
        .text_body;
    let start = body.find("token=").expect("a link") + "token=".len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_clinics_admin_sets_a_password_then_a_second_factor() {
    let app = spawn_app().await;
    let id = create_admin(
        &app.db,
        "http://frontdesk.test",
        &harbor(" ana@harbor.example "),
    )
    .await
    .expect("created");

    let admin = user::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(admin.username, "ana@harbor.example");
    assert!(
        admin.password_hash.is_none(),
        "no password until the link sets one"
    );
    let clinic = clinic::Entity::find_by_id(admin.clinic_id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(clinic.name, "Harbor Health");
    assert!(
        clinic.require_two_step,
        "a new clinic requires two-step sign-in"
    );
    assert_eq!(app.audit_of(id).await[0].0, "created");

    let token = welcome_token(&app, "ana@harbor.example").await;
    let set = app
        .call(
            &app.client(),
            "auth/reset",
            &[
                ("token", &token),
                ("password", "Harbor-Lantern-42"),
                ("confirm_password", "Harbor-Lantern-42"),
            ],
        )
        .await;
    assert_eq!(
        set.status(),
        200,
        "{}",
        set.text().await.unwrap_or_default()
    );
    let client = app.client();
    let first = app
        .login(&client, "ana@harbor.example", "Harbor-Lantern-42")
        .await;
    assert_eq!(first.status(), 200);
    assert!(
        redirect_to(&first).contains("/account/security"),
        "{}",
        redirect_to(&first)
    );
    assert_eq!(view(&app, &client).await["required"], true);
    assert_eq!(app.list_members(&client, "").await.status(), 403);
    // The demo's admins are untouched by the new clinic.
    let (demo, _) = first_step(&app, ADMIN_A).await;
    assert!(!redirect_to(&demo).contains("security"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_admin_refuses_bad_input_and_a_taken_email_and_writes_nothing() {
    let app = spawn_app().await;
    let clinics = || async { clinic::Entity::find().all(&app.db).await.unwrap().len() };
    let before = clinics().await;
    let cases = [
        (
            harbor("not an email"),
            "Enter an email address like name@example.com.",
        ),
        (
            NewClinic {
                clinic: "  ".into(),
                ..harbor("a@harbor.example")
            },
            "The clinic's name has 1 to 100 characters.",
        ),
        (
            NewClinic {
                first: String::new(),
                ..harbor("a@harbor.example")
            },
            "Enter the first name.",
        ),
        (
            NewClinic {
                last: "x".repeat(101),
                ..harbor("a@harbor.example")
            },
            "A last name has at most 100 characters.",
        ),
        (
            NewClinic {
                first: "<b>Ana</b>".into(),
                ..harbor("a@harbor.example")
            },
            "first name",
        ),
        (harbor(PATIENT_A), "already has an account"),
    ];
    for (bad, says) in cases {
        let error = create_admin(&app.db, "http://frontdesk.test", &bad)
            .await
            .expect_err("refused")
            .to_string();
        assert!(error.contains(says), "{error:?} does not say {says:?}");
    }
    assert_eq!(clinics().await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_admin_never_takes_a_deleted_members_id() {
    let app = spawn_app().await;
    let newest = user::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .max()
        .unwrap();
    user::Entity::delete_by_id(newest)
        .exec(&app.db)
        .await
        .unwrap();
    let id = create_admin(
        &app.db,
        "http://frontdesk.test",
        &harbor("ana@harbor.example"),
    )
    .await
    .expect("created");
    assert!(id > newest, "{id} reuses an ID up to {newest}");
}
