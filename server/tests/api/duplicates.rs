//! "Possible duplicate": a new member, or a profile save, that matches a member of the same
//! clinic by name and date of birth (whatever the case and accents) or by phone is held
//! back with the matches, until the admin sends it again having seen each of them; then it
//! goes ahead and the audit log says so.

use serde_json::json;

use crate::database::count;
use crate::helpers::*;

/// A member of clinic `clinic_id`'s room `room` with these name, birth date (M, D, Y) and phone.
fn person(
    clinic_id: i64,
    room: i64,
    email: &str,
    (first, last): (&str, &str),
    birth: Option<(&str, &str, &str)>,
    phone: &str,
) -> serde_json::Value {
    let mut member = new_member(clinic_id, room, email);
    let (m, d, y) = birth.unwrap_or(("", "", ""));
    let p = &mut member["profile"];
    p["first_name"] = json!(first);
    p["last_name"] = json!(last);
    p["dob_month"] = json!(m);
    p["dob_day"] = json!(d);
    p["dob_year"] = json!(y);
    p["phone"] = json!(phone);
    member
}

const BIRTH: Option<(&str, &str, &str)> = Some(("3", "14", "1985"));

async fn users_with_email(app: &TestApp, email: &str) -> i64 {
    count(
        app,
        &format!("SELECT COUNT(*) AS n FROM users WHERE email_lower = '{email}'"),
    )
    .await
}

/// The IDs a held-back save names, and what each matched on.
fn matches(answer: &serde_json::Value) -> Vec<(i64, bool, bool)> {
    assert_eq!(answer["kind"], "possible_duplicates", "{answer}");
    answer["matches"]
        .as_array()
        .expect("matches")
        .iter()
        .map(|m| {
            (
                m["id"].as_i64().unwrap(),
                m["same_name_and_birth"].as_bool().unwrap(),
                m["same_phone"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_member_like_one_of_the_clinic_waits_until_the_admin_has_seen_each_match() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let room = app.room_id("jessica").await;
    let create = |member: serde_json::Value| app.create_member(&admin, member);
    let maria = ("María", "López");
    let first = create(person(
        1,
        room,
        "maria.1@example.com",
        maria,
        BIRTH,
        "415 555 0199",
    ))
    .await;
    assert_eq!(first.status(), 200);
    let first = json(first).await.as_i64().unwrap();

    // The same name, in other case and without accents, and the same birth date.
    let twin = person(
        1,
        room,
        "maria.2@example.com",
        ("MARIA", "lopez"),
        BIRTH,
        "",
    );
    let held = create(twin.clone()).await;
    assert_eq!(held.status(), 409);
    let held = json(held).await;
    assert_eq!(matches(&held), [(first, true, false)]);
    assert_eq!(held["matches"][0]["name"], "María López");
    assert_eq!(held["matches"][0]["date_of_birth"], "1985-03-14");
    assert_eq!(users_with_email(&app, "maria.2@example.com").await, 0);

    // The same phone, written otherwise, under another name.
    let by_phone = person(
        1,
        room,
        "other@example.com",
        ("Ann", "Other"),
        None,
        "(415) 555-0199",
    );
    let held = json(create(by_phone).await).await;
    assert_eq!(matches(&held), [(first, false, true)]);

    // Not a match: another birth date, or the same person in another clinic.
    let other_birth = person(
        1,
        room,
        "maria.3@example.com",
        maria,
        Some(("3", "15", "1985")),
        "",
    );
    assert_eq!(create(other_birth).await.status(), 200);
    let riverside = app.room_id("riverside").await;
    let admin_b = app.signed_in(ADMIN_B).await;
    let elsewhere = person(
        2,
        riverside,
        "maria.b@example.com",
        maria,
        BIRTH,
        "415 555 0199",
    );
    assert_eq!(app.create_member(&admin_b, elsewhere).await.status(), 200);

    // Seen, it goes ahead, and the audit log says whom it may duplicate.
    let mut seen = twin.clone();
    seen["possible_duplicates_seen"] = json!([first]);
    let created = create(seen).await;
    assert_eq!(created.status(), 200);
    let second = json(created).await.as_i64().unwrap();
    let (action, changes) = app.audit_of(second).await.remove(0);
    assert_eq!(action, "created");
    let said = changes.to_string();
    assert!(
        said.contains(&format!(
            r##""field":"Possible duplicate of","from":"","to":"#{first} (saved anyway)""##
        )),
        "{said}"
    );

    // Seeing one of two is not seeing both.
    let mut third = person(1, room, "maria.4@example.com", maria, BIRTH, "");
    third["possible_duplicates_seen"] = json!([first]);
    let held = json(create(third).await).await;
    assert_eq!(
        matches(&held),
        [(first, true, false), (second, true, false)]
    );
    assert_eq!(users_with_email(&app, "maria.4@example.com").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_save_that_makes_a_member_match_another_waits_for_the_admin_too() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let room = app.room_id("jessica").await;
    let other = json(
        app.create_member(
            &admin,
            person(1, room, "jane.g@example.com", ("Jane", "Gomez"), BIRTH, ""),
        )
        .await,
    )
    .await
    .as_i64()
    .unwrap();
    let detail = json(app.detail(&admin, JANE_ID).await).await;
    let mut profile = detail["profile"].clone();
    profile["dob_month"] = json!("3");
    profile["dob_day"] = json!("14");
    profile["dob_year"] = json!("1985");
    let save = |profile: serde_json::Value, version: serde_json::Value, seen: Vec<i64>| {
        app.call_json(
            &admin,
            "members/save_profile",
            json!({"id": JANE_ID, "version": version, "profile": profile,
                   "possible_duplicates_seen": seen}),
        )
    };

    let held = save(profile.clone(), detail["version"].clone(), vec![]).await;
    assert_eq!(held.status(), 409);
    assert_eq!(matches(&json(held).await), [(other, true, false)]);
    let unchanged = json(app.detail(&admin, JANE_ID).await).await;
    assert_eq!(unchanged["version"], detail["version"], "nothing saved");

    let saved = save(profile.clone(), detail["version"].clone(), vec![other]).await;
    assert_eq!(saved.status(), 200);
    let saved = json(saved).await;
    let said = app.audit_of(JANE_ID).await.last().unwrap().1.to_string();
    assert!(said.contains("Possible duplicate of"), "{said}");

    // A later save that leaves name, birth date and phone alone is not held again.
    profile["city"] = json!("Portland");
    let city = save(profile, saved["version"].clone(), vec![]).await;
    assert_eq!(city.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_rows_like_members_of_the_clinic_are_listed_then_created_and_audited() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let room = app.room_id("jessica").await;
    let lena = person(
        1,
        room,
        "lena.k@example.com",
        ("Léna", "Kovač"),
        BIRTH,
        "415 555 0177",
    );
    let existing = json(app.create_member(&admin, lena).await)
        .await
        .as_i64()
        .unwrap();
    let file = "Username,First Name,Last Name,Email,Date of Birth,Phone\n\
                lena.2,LENA,kovac,lena.2@example.com,1985-03-14,\n\
                otto.3,Otto,Other,otto@example.com,,(415) 555-0177\n\
                nina.4,Nina,New,nina@example.com,1985-03-14,\n";

    let p = crate::import::preview(&app, &admin, room, file).await;
    assert_eq!(p["to_create"], 3, "{p}");
    assert_eq!(p["to_flag"], 2, "{p}");
    let note = format!("Possible duplicate of #{existing}");
    assert_eq!(
        p["flagged_lines"],
        json!([{"line": 2, "messages": [note]}, {"line": 3, "messages": [note]}])
    );

    let done = crate::import::import(&app, &admin, p["id"].as_i64().unwrap()).await;
    assert_eq!(done["created"], 3, "imported anyway: {done}");
    for (username, flagged) in [("lena.2", true), ("otto.3", true), ("nina.4", false)] {
        let id = ids_of(&app, username).await;
        let created = app.audit_of(id).await.remove(0).1.to_string();
        let line = format!(
            r##""field":"Possible duplicate of","from":"","to":"#{existing} (imported anyway)""##
        );
        assert_eq!(created.contains(&line), flagged, "{username}: {created}");
    }
}

async fn ids_of(app: &TestApp, username: &str) -> i64 {
    count(
        app,
        &format!("SELECT id AS n FROM users WHERE username_lower = '{username}'"),
    )
    .await
}
