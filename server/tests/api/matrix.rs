//! One rightful call of every registered server function, and who makes it: the table the
//! authorization matrix (`authz`) and the fuzzing (`fuzz`) go through. Built from the
//! server-function registry, so a function added without a row fails here.

use std::collections::BTreeMap;

use sea_orm::EntityTrait;
use serde_json::{Value, json};

use app::entities::*;

use crate::helpers::*;
pub use crate::matrix_calls::{Body, Call, Who, send};
use crate::matrix_calls::{ORIGIN, form, options};
use crate::soft_passkey::SoftPasskey;

const SAM: i64 = 21_408_301;

const JOSE: i64 = 21_408_300;

const BOB: i64 = 21_408_303;

/// The callers, and one call of every server function as its rightful caller would make it.
pub struct Matrix {
    pub admin_a: reqwest::Client,
    pub admin_b: reqwest::Client,
    pub patient: reqwest::Client,
    pub anonymous: reqwest::Client,
    pub table: BTreeMap<&'static str, Call>,
}

impl Matrix {
    /// The client a call's rightful caller uses.
    pub fn rightful(&self, who: Who) -> &reqwest::Client {
        match who {
            Who::Public => &self.anonymous,
            Who::User => &self.patient,
            Who::Admin | Who::AdminList => &self.admin_a,
        }
    }
}

/// Signs in every kind of caller and writes down one rightful call of every registered
/// server function; fails when the registry holds one the table does not list.
pub async fn matrix(app: &TestApp) -> Matrix {
    let admin_a = app.signed_in(ADMIN_A).await;
    let admin_b = app.signed_in(ADMIN_B).await;
    let patient = app.signed_in(PATIENT_A).await;
    let anonymous = app.client();
    let jessica = app.room_id("jessica").await;
    let northside = app.room_id("northside").await;
    let version = |v: &Value| v["version"].as_i64().unwrap();
    let jane = json(app.detail(&admin_a, JANE_ID).await).await;
    let sam = json(app.detail(&admin_a, SAM).await).await;
    let jose = json(app.detail(&admin_a, JOSE).await).await;
    let bob = json(app.detail(&admin_a, BOB).await).await;
    let doomed = json(
        app.create_member(&admin_a, new_member(1, jessica, "delete.me@example.com"))
            .await,
    )
    .await
    .as_i64()
    .expect("created");
    // A member of their own for the bulk actions (no other call's version moves), and an
    // action counted for them to confirm and read: reactivating an active member, whose
    // background work changes nothing that a later call's check could see move.
    let bulk_member = json(
        app.create_member(&admin_a, new_member(1, jessica, "bulk.matrix@example.com"))
            .await,
    )
    .await
    .as_i64()
    .expect("created");
    let bulk_action = json(
        app.call_json(
            &admin_a,
            "members/bulk/prepare",
            json!({"kind": "reactivate", "room_id": null, "scope": {"Picked": [bulk_member]}}),
        )
        .await,
    )
    .await["id"]
        .as_i64()
        .expect("prepared");
    // An import of theirs, previewed, to read and start: its one row is Jane as she is, so
    // importing it writes nothing another call could see.
    let import = crate::import::import_id(
        &crate::import::upload(
            app,
            &admin_a,
            jessica,
            false,
            b"Username,First Name,Last Name,Email\njane.gomez@me.com,Jane,Gomez,jane.gomez@me.com\n",
        )
        .await,
    );
    // Live links for the public functions that take one: a reset link (one to read, one to
    // use) and a sign-up waiting for its confirmation (the outbox holds its message: this
    // app runs no worker).
    let reset_token = |db: sea_orm::DatabaseConnection| async move {
        app::auth::tokens::issue(&db, SAM, app::auth::tokens::Purpose::AdminReset)
            .await
            .expect("a link")
            .0
    };
    let (read_token, use_token) = (
        reset_token(app.db.clone()).await,
        reset_token(app.db.clone()).await,
    );
    let signup_form = |email: &str| {
        vec![
            ("slug", "jessica".to_owned()),
            ("first_name", "Mira".to_owned()),
            ("last_name", "Quill".to_owned()),
            ("email", email.to_owned()),
            ("password", "Matrix-Meadow-77".to_owned()),
            ("confirm_password", "Matrix-Meadow-77".to_owned()),
            ("date_of_birth", "1991-02-03".to_owned()),
            ("phone", String::new()),
            ("timezone", "America/New_York".to_owned()),
        ]
    };
    let waiting = signup_form("matrix.waiting@example.com");
    let pairs: Vec<(&str, &str)> = waiting.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        app.call(&app.client(), "patients/sign_up", &pairs)
            .await
            .status(),
        200
    );
    let confirmation = mail_outbox::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.to_address == "matrix.waiting@example.com")
        .expect("the confirmation")
        .text_body;
    let start = confirmation.find("token=").expect("a link") + "token=".len();
    let confirm_token: String = confirmation[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let mut profile = jane["profile"].clone();
    profile["city"] = json!("Oakland");
    let contact = json(app.call(&patient, "account/me", &[]).await).await["contact"].clone();
    let id = |n: i64| vec![("id", n.to_string())];
    // Visits in clinic A's first room: two waiting (one to start, one to mark as a
    // no-show), one in progress (to end), and the patient's own (to open).
    let to_start = app.visit(JANE_ID, jessica, "waiting", None).await;
    let to_miss = app.visit(JOSE, jessica, "waiting", None).await;
    let to_end = app
        .visit(BOB, jessica, "in_progress", Some(21_400_001))
        .await;
    let own = app.visit(21_408_302, jessica, "waiting", None).await;
    let visit = |n: i64| form(&[("visit_id", n.to_string())]);

    let mut table: BTreeMap<&str, Call> = BTreeMap::new();
    let mut add = |path: &'static str, who: Who, body: Body| {
        table.insert(path, Call { who, body });
    };
    // Public: each with the arguments a rightful call has.
    let slug = || vec![("slug", "jessica".to_owned())];
    add(
        "/api/auth/login",
        Who::Public,
        // Admin B: no other call of the matrix changes that password.
        form(&[("username", ADMIN_B.into()), ("password", PASSWORD.into())]),
    );
    add("/api/auth/logout", Who::Public, form(&[]));
    add("/api/auth/me", Who::Public, form(&[]));
    add(
        "/api/auth/forgot",
        Who::Public,
        form(&[("identifier", PATIENT_A.into())]),
    );
    add(
        "/api/auth/reset_info",
        Who::Public,
        form(&[("token", read_token)]),
    );
    add(
        "/api/auth/reset",
        Who::Public,
        form(&[
            ("token", use_token),
            ("password", "Matrix-Reset-77".into()),
            ("confirm_password", "Matrix-Reset-77".into()),
        ]),
    );
    add(
        "/api/auth/confirm_info",
        Who::Public,
        form(&[("token", confirm_token.clone())]),
    );
    add(
        "/api/auth/confirm",
        Who::Public,
        form(&[
            ("token", confirm_token),
            ("password", "Matrix-Meadow-77".into()),
        ]),
    );
    add(
        "/api/auth/resend",
        Who::Public,
        form(&[("username", "matrix.resend@example.com".into())]),
    );
    add("/api/patients/room", Who::Public, form(&slug()));
    add(
        "/api/patients/enter",
        Who::Public,
        form(&[
            ("slug", "jessica".into()),
            ("first_name", "Matrix".into()),
            ("last_name", "Guest".into()),
            ("reason", "Checkup".into()),
        ]),
    );
    add(
        "/api/patients/queue",
        Who::Public,
        Body::Json(json!({ "shown": null })),
    );
    add("/api/patients/signup_form", Who::Public, form(&slug()));
    add(
        "/api/patients/sign_up",
        Who::Public,
        Body::Form(signup_form("matrix.new.signup@example.com")),
    );
    // A signed-in user, about themselves.
    add("/api/account/me", Who::User, form(&[]));
    add(
        "/api/account/save",
        Who::User,
        Body::Json(json!({ "contact": contact })),
    );
    add(
        "/api/account/password",
        Who::User,
        form(&[
            ("current_password", PASSWORD.into()),
            ("password", "Matrix-Meadow-77".into()),
            ("confirm_password", "Matrix-Meadow-77".into()),
        ]),
    );
    add(
        "/api/patients/join",
        Who::User,
        form(&[("slug", "jessica".into()), ("reason", "Checkup".into())]),
    );
    add("/api/patients/leave", Who::User, form(&[]));
    // Lists: each admin sees their own clinics. The users lists get every field of a
    // query (so the fuzzer generates each of them), the audit list every field of its own.
    let users_query = || {
        form(&[
            ("query[q]", "gomez".into()),
            ("query[type]", "member".into()),
            ("query[status]", "active".into()),
            ("query[room]", String::new()),
            ("query[sort]", "name".into()),
            ("query[dir]", "asc".into()),
            ("query[size]", "25".into()),
            ("query[after]", String::new()),
            ("query[before]", String::new()),
        ])
    };
    add("/api/members/list", Who::AdminList, users_query());
    add("/api/members/table", Who::AdminList, users_query());
    add(
        "/api/audit/list",
        Who::AdminList,
        form(&[
            ("query[member]", String::new()),
            ("query[action]", String::new()),
            ("query[before]", String::new()),
        ]),
    );
    for path in [
        "/api/members/bulk/recent",
        "/api/members/rooms",
        "/api/members/form",
        "/api/rooms/list",
        "/api/clinics/settings",
    ] {
        add(path, Who::AdminList, form(&[]));
    }
    // Clinic A's data.
    add("/api/members/detail", Who::Admin, form(&id(JANE_ID)));
    add("/api/members/history", Who::Admin, form(&id(JANE_ID)));
    add("/api/members/password_info", Who::Admin, form(&id(JANE_ID)));
    add(
        "/api/members/delete_preview",
        Who::Admin,
        form(&id(JANE_ID)),
    );
    add("/api/members/send_reset", Who::Admin, form(&id(JANE_ID)));
    add(
        "/api/members/bulk/prepare",
        Who::Admin,
        Body::Json(
            json!({"kind": "reactivate", "room_id": null, "scope": {"Picked": [bulk_member]}}),
        ),
    );
    add(
        "/api/members/bulk/confirm",
        Who::Admin,
        form(&id(bulk_action)),
    );
    add(
        "/api/members/bulk/progress",
        Who::Admin,
        form(&id(bulk_action)),
    );
    add(
        "/api/members/import/progress",
        Who::Admin,
        form(&id(import)),
    );
    add("/api/members/import/start", Who::Admin, form(&id(import)));
    add(
        "/api/members/create",
        Who::Admin,
        Body::Json(json!({ "member": new_member(1, jessica, "matrix.new@example.com") })),
    );
    add(
        "/api/members/save_profile",
        Who::Admin,
        Body::Json(json!({"id": JANE_ID, "version": version(&jane), "profile": profile})),
    );
    add(
        "/api/members/save_rooms",
        Who::Admin,
        Body::Json(json!({"id": SAM, "version": version(&sam), "room_ids": [jessica, northside]})),
    );
    add(
        "/api/members/save_type",
        Who::Admin,
        Body::Json(
            json!({"id": JOSE, "version": version(&jose), "user_type": "provider", "provider_role": "Doctor"}),
        ),
    );
    add(
        "/api/members/save_status",
        Who::Admin,
        Body::Json(json!({"id": BOB, "version": version(&bob), "status": "suspended"})),
    );
    add(
        "/api/members/set_password",
        Who::Admin,
        Body::Json(
            json!({"id": JOSE, "password": "Matrix-Pass-77", "confirm_password": "Matrix-Pass-77", "sign_out_everywhere": true}),
        ),
    );
    add(
        "/api/members/delete",
        Who::Admin,
        Body::Json(json!({"id": doomed, "confirm_username": "delete.me@example.com"})),
    );
    add(
        "/api/rooms/save",
        Who::Admin,
        Body::Json(json!({"room": {
            "id": northside, "clinic_id": 1, "name": "Northside Pediatrics", "code": "TVNP-northside",
            "slug": "northside", "guest_allowed": true, "signup_allowed": false, "version": 1
        }})),
    );
    add(
        "/api/rooms/set_active",
        Who::Admin,
        form(&[("id", jessica.to_string()), ("active", "true".into())]),
    );
    add(
        "/api/clinics/save_settings",
        Who::Admin,
        Body::Json(json!({"settings": {
            "clinic_id": 1, "signup_allowed": true, "guest_allowed": true,
            "min_length": "8", "require_upper": true, "require_lower": true,
            "require_digit": true, "require_symbol": true, "history_count": "6",
            "delete_grace_days": "30", "idle_timeout_minutes": "45", "version": 1
        }})),
    );
    add(
        "/api/clinics/guests_past",
        Who::Admin,
        form(&[("clinic_id", "1".into()), ("days", "1".into())]),
    );
    add(
        "/api/clinics/dormant_due",
        Who::Admin,
        form(&[("clinic_id", "1".into()), ("months", "12".into())]),
    );

    add("/api/visits/board", Who::AdminList, form(&[]));
    add("/api/visits/start", Who::Admin, visit(to_start));
    add("/api/visits/no_show", Who::Admin, visit(to_miss));
    add("/api/visits/end", Who::Admin, visit(to_end));
    add("/api/visits/open", Who::User, visit(own));

    // Two-step sign-in. Admin B has recovery codes and a passkey (the second step's
    // rightful caller signs in with his password first); Sam has an app on, for his admin
    // to remove. The patient's own functions run in this order: the app's add, confirm,
    // new codes, remove, then the passkey's add, confirm, remove, then view, after
    // `account/password` changed the patient's password.
    const RECOVERY: &str = "matrixcode000001";
    let pk = format!(
        "INSERT INTO two_step (user_id, app_secret, app_on_at, app_last_step, updated_at) \
         VALUES (21400002, 'v1.none', 1, 0, 1), ({SAM}, 'v1.none', 1, 0, 1); \
         INSERT INTO recovery_codes (user_id, code_hash) VALUES (21400002, '{}')",
        app::auth::session::hash_token(RECOVERY)
    );
    sea_orm::ConnectionTrait::execute_unprepared(&app.db, &pk)
        .await
        .expect("second factors");
    add(
        "/api/auth/second-step",
        Who::Public,
        Body::AfterPassword(ADMIN_B, RECOVERY),
    );
    add(
        "/api/members/two-step/remove",
        Who::Admin,
        form(&[
            ("member_id", SAM.to_string()),
            ("password", PASSWORD.into()),
        ]),
    );
    add(
        "/api/auth/second-step/view",
        Who::Public,
        Body::AfterPassword(ADMIN_B, RECOVERY),
    );
    // Admin B also has a passkey, added as a browser would.
    let mut admin_b_key = SoftPasskey::new(ORIGIN);
    let begun = app
        .call(
            &admin_b,
            "security/passkey/add",
            &[
                ("passkey_name", "Admin B's key"),
                ("passkey_password", PASSWORD),
            ],
        )
        .await;
    let answer = admin_b_key.register(&options(begun).await);
    let added = app
        .call(
            &admin_b,
            "security/passkey/confirm",
            &[("answer", &answer.to_string())],
        )
        .await;
    assert_eq!(added.status(), 200, "Admin B's passkey");
    add(
        "/api/auth/second-step/passkey/begin",
        Who::Public,
        Body::AfterPassword(ADMIN_B, RECOVERY),
    );
    add(
        "/api/auth/second-step/passkey",
        Who::Public,
        Body::PasskeyStep(ADMIN_B, std::sync::Mutex::new(admin_b_key)),
    );
    add(
        "/api/security/passkey/add",
        Who::User,
        form(&[
            ("passkey_name", "Laptop".into()),
            ("passkey_password", "Matrix-Meadow-77".into()),
        ]),
    );
    add(
        "/api/security/passkey/confirm",
        Who::User,
        Body::NewPasskey("Matrix-Meadow-77"),
    );
    add(
        "/api/security/passkey/remove",
        Who::User,
        Body::OwnPasskey("Matrix-Meadow-77"),
    );
    add("/api/security/view", Who::User, form(&[]));
    add("/api/security/app/add", Who::User, form(&[]));
    add(
        "/api/security/app/confirm",
        Who::User,
        Body::AppCode("Matrix-Meadow-77"),
    );
    add(
        "/api/security/app/new-codes",
        Who::User,
        form(&[("codes_password", "Matrix-Meadow-77".into())]),
    );
    add(
        "/api/security/app/remove",
        Who::User,
        form(&[("password", "Matrix-Meadow-77".into())]),
    );

    let registered: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let listed: Vec<String> = table.keys().map(|k| (*k).to_owned()).collect();
    assert_eq!(
        registered, listed,
        "every registered server function has a row in this matrix"
    );
    Matrix {
        admin_a,
        admin_b,
        patient,
        anonymous,
        table,
    }
}
