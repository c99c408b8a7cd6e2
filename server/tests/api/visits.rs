//! The waiting room from the provider's side: a provider sees the queues of the rooms they
//! are assigned to, starts, ends and marks no-shows; the patient's page follows; two
//! providers starting the same patient: one wins; a silent page drops off the queue.

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::*;

const PAT_ID: i64 = 21_408_302;
const PROVIDER_PASSWORD: &str = "Quiet-Lantern-42";

/// A Provider of clinic A assigned to `room_id`, signed in.
async fn provider(app: &TestApp, email: &str, first: &str, room_id: i64) -> reqwest::Client {
    let admin = app.signed_in(ADMIN_A).await;
    let mut member = new_member(1, room_id, email);
    member["user_type"] = json!("provider");
    member["password"] = json!(PROVIDER_PASSWORD);
    member["confirm_password"] = json!(PROVIDER_PASSWORD);
    member["profile"]["first_name"] = json!(first);
    member["profile"]["last_name"] = json!("Provider");
    let created = app.create_member(&admin, member).await;
    assert_eq!(created.status(), 200, "{}", created.text().await.unwrap());
    let client = app.client();
    let signed_in = app.login(&client, email, PROVIDER_PASSWORD).await;
    assert!(signed_in.status().is_redirection() || signed_in.status().is_success());
    client
}

async fn board(app: &TestApp, client: &reqwest::Client) -> Value {
    json(app.call(client, "visits/board", &[]).await).await
}

/// The waiting names of a room on the board, in order.
fn waiting(board: &Value, room: &str) -> Vec<String> {
    board["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == room)
        .map(|r| {
            r["waiting"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["name"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_sees_their_rooms_queue_and_sees_a_guest_from_start_to_end() {
    let app = spawn_app().await;
    let jessica = app.room_id("jessica").await;
    let doc = provider(&app, "dr.lena@example.com", "Lena", jessica).await;
    let first = app.enter_guest("127.0.0.2", "Ada").await;
    let second = app.enter_guest("127.0.0.3", "Bo").await;

    let b = board(&app, &doc).await;
    let rooms: Vec<&str> = b["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        rooms,
        ["Jessica Laynes' Clinic"],
        "only the room they are assigned to"
    );
    assert_eq!(
        waiting(&b, "Jessica Laynes' Clinic"),
        ["Ada Visitor", "Bo Visitor"]
    );
    let entry = &b["rooms"][0]["waiting"][0];
    assert_eq!(entry["guest"], true);
    assert_eq!(entry["reason"], "Ear pain");
    assert_eq!(
        app.queue(&second).await["state"],
        json!({"Waiting": {"place": 2}})
    );

    // Start: the guest's page has the visit's link; the other moves up at once.
    let visit_id = entry["visit_id"].as_i64().unwrap();
    let started = app
        .call(&doc, "visits/start", &[("visit_id", &visit_id.to_string())])
        .await;
    assert_eq!(started.status(), 200);
    let link = json(started).await;
    assert_eq!(link, format!("/visit/{visit_id}"));
    let seen = app.queue(&first).await;
    assert_eq!(seen["state"], "InProgress");
    assert_eq!(seen["visit_link"], link);
    assert_eq!(
        app.queue(&second).await["state"],
        json!({"Waiting": {"place": 1}})
    );
    let b = board(&app, &doc).await;
    assert_eq!(waiting(&b, "Jessica Laynes' Clinic"), ["Bo Visitor"]);
    assert_eq!(b["rooms"][0]["in_visit"][0]["provider"], "Lena Provider");

    // Both sides open the visit's page; a stranger does not.
    let page = json(
        app.call(
            &first,
            "visits/open",
            &[("visit_id", &visit_id.to_string())],
        )
        .await,
    )
    .await;
    assert_eq!(page["patient"], "Ada Visitor");
    assert_eq!(page["provider"], "Lena Provider");
    assert_eq!(page["in_progress"], true);
    let by_doc = app
        .call(&doc, "visits/open", &[("visit_id", &visit_id.to_string())])
        .await;
    assert_eq!(by_doc.status(), 200);
    let stranger = app.signed_in(PATIENT_A).await;
    let refused = app
        .call(
            &stranger,
            "visits/open",
            &[("visit_id", &visit_id.to_string())],
        )
        .await;
    assert_eq!(refused.status(), 404);

    // End: the guest's page says so; the visit records who and when.
    let ended = app
        .call(&doc, "visits/end", &[("visit_id", &visit_id.to_string())])
        .await;
    assert_eq!(ended.status(), 200);
    assert_eq!(app.queue(&first).await["state"], "Completed");
    let again = app
        .call(&doc, "visits/end", &[("visit_id", &visit_id.to_string())])
        .await;
    assert_eq!(again.status(), 409, "ending twice is refused");
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT v.started_by AS s, v.ended_by AS e, v.started_at AS a, v.ended_at AS b, u.first_name AS f \
                     FROM visits v JOIN users u ON u.id = v.started_by WHERE v.id = {visit_id}"),
        ))
        .await
        .unwrap()
        .expect("the visit");
    assert_eq!(row.try_get::<String>("", "f").unwrap(), "Lena");
    assert_eq!(
        row.try_get::<i64>("", "s").unwrap(),
        row.try_get::<i64>("", "e").unwrap()
    );
    assert!(row.try_get::<i64>("", "a").unwrap() <= row.try_get::<i64>("", "b").unwrap());

    // No-show from the queue: the patient's page says the visit ended.
    let b = board(&app, &doc).await;
    let bo = b["rooms"][0]["waiting"][0]["visit_id"].as_i64().unwrap();
    let missed = app
        .call(&doc, "visits/no_show", &[("visit_id", &bo.to_string())])
        .await;
    assert_eq!(missed.status(), 200);
    assert_eq!(app.queue(&second).await["state"], "NoShow");
    assert!(waiting(&board(&app, &doc).await, "Jessica Laynes' Clinic").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_providers_starting_the_same_patient_one_wins_and_the_other_is_told() {
    let app = spawn_app().await;
    let jessica = app.room_id("jessica").await;
    let lena = provider(&app, "dr.lena@example.com", "Lena", jessica).await;
    let omar = provider(&app, "dr.omar@example.com", "Omar", jessica).await;
    let visit_id = app
        .visit(PAT_ID, jessica, "waiting", None)
        .await
        .to_string();
    let form = [("visit_id", visit_id.as_str())];
    let (a, b) = tokio::join!(
        app.call(&lena, "visits/start", &form),
        app.call(&omar, "visits/start", &form),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    let (winner, loser) = if a.status() == 409 {
        (&omar, a)
    } else {
        (&lena, b)
    };
    let told = loser.text().await.unwrap();
    assert!(told.contains("has already started this visit"), "{told}");
    // The winner pressing again gets their visit, not an error.
    assert_eq!(app.call(winner, "visits/start", &form).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_acts_only_in_their_rooms_and_patients_not_at_all() {
    let app = spawn_app().await;
    let jessica = app.room_id("jessica").await;
    let northside = app.room_id("northside").await;
    let doc = provider(&app, "dr.lena@example.com", "Lena", northside).await;
    let visit_id = app
        .visit(PAT_ID, jessica, "waiting", None)
        .await
        .to_string();
    assert!(waiting(&board(&app, &doc).await, "Jessica Laynes' Clinic").is_empty());
    for action in ["visits/start", "visits/no_show", "visits/end"] {
        let refused = app.call(&doc, action, &[("visit_id", &visit_id)]).await;
        assert_eq!(refused.status(), 404, "{action} in a room not theirs");
    }
    let patient = app.signed_in(PATIENT_A).await;
    assert_eq!(app.call(&patient, "visits/board", &[]).await.status(), 403);
    let refused = app
        .call(&patient, "visits/start", &[("visit_id", &visit_id)])
        .await;
    assert_eq!(refused.status(), 403);
    // The admin of the clinic sees every room of it, the other clinic's admin none of them.
    let admin = app.signed_in(ADMIN_A).await;
    assert_eq!(
        waiting(&board(&app, &admin).await, "Jessica Laynes' Clinic"),
        ["Pat Patient"]
    );
    let other = app.signed_in(ADMIN_B).await;
    assert!(
        !board(&app, &other)
            .await
            .to_string()
            .contains("Pat Patient")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_page_gone_silent_drops_off_the_queue_and_is_recorded_as_left() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let jessica = app.room_id("jessica").await;
    let _gone = app.enter_guest("127.0.0.2", "Gone").await;
    let stays = app.enter_guest("127.0.0.3", "Stays").await;
    let seen = app.enter_guest("127.0.0.4", "Seen").await;
    assert_eq!(
        app.queue(&seen).await["state"],
        json!({"Waiting": {"place": 3}})
    );
    // A visit in progress whose patient went quiet is the provider's to end, not the job's.
    let in_visit = app
        .visit(PAT_ID, jessica, "in_progress", Some(21_400_001))
        .await;
    // "Gone" was last heard from just over two minutes ago (their tab closed); "Stays"
    // entered as long ago, but their page still asks (their session was seen just now).
    let silent = app::db::now_ms() - app::visits::GONE_AFTER_MS - 1_000;
    app.db
        .execute_unprepared(&format!(
            "UPDATE visits SET entered_at = {silent} - 1 WHERE id = {in_visit} OR user_id IN \
             (SELECT id FROM users WHERE first_name IN ('Gone', 'Stays')); \
             UPDATE sessions SET last_seen_at = {silent} WHERE user_id = {PAT_ID} OR user_id IN \
             (SELECT id FROM users WHERE first_name = 'Gone')"
        ))
        .await
        .unwrap();
    assert_eq!(
        waiting(&board(&app, &admin).await, "Jessica Laynes' Clinic"),
        ["Stays Visitor", "Seen Visitor"]
    );
    assert_eq!(
        app.queue(&seen).await["state"],
        json!({"Waiting": {"place": 2}})
    );

    app.forget_expired().await;
    let status = |who: &str| {
        let (app, who) = (&app, who.to_owned());
        async move {
            let row = app
                .db
                .query_one_raw(sea_orm::Statement::from_string(
                    app.db.get_database_backend(),
                    format!("SELECT v.status AS s, v.ended_at AS e FROM visits v {who}"),
                ))
                .await
                .unwrap()
                .expect("the visit");
            (
                row.try_get::<String>("", "s").unwrap(),
                row.try_get::<Option<i64>>("", "e").unwrap(),
            )
        }
    };
    let by_name = |n: &str| format!("JOIN users u ON u.id = v.user_id WHERE u.first_name = '{n}'");
    assert_eq!(
        status(&by_name("Gone")).await,
        ("left".to_owned(), Some(silent)),
        "left when last seen"
    );
    assert_eq!(status(&by_name("Stays")).await.0, "waiting");
    assert_eq!(
        app.queue(&stays).await["state"],
        json!({"Waiting": {"place": 1}})
    );
    assert_eq!(
        status(&format!("WHERE v.id = {in_visit}")).await.0,
        "in_progress"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_management_tab_lists_who_saw_the_member_and_for_how_long() {
    let app = spawn_app().await;
    let jessica = app.room_id("jessica").await;
    let doc = provider(&app, "dr.lena@example.com", "Lena", jessica).await;
    let visit_id = app
        .visit(PAT_ID, jessica, "waiting", None)
        .await
        .to_string();
    assert_eq!(
        app.call(&doc, "visits/start", &[("visit_id", &visit_id)])
            .await
            .status(),
        200
    );
    assert_eq!(
        app.call(&doc, "visits/end", &[("visit_id", &visit_id)])
            .await
            .status(),
        200
    );
    // Started five minutes before it ended.
    app.db
        .execute_unprepared(&format!(
            "UPDATE visits SET started_at = ended_at - 300000 WHERE id = {visit_id}"
        ))
        .await
        .unwrap();
    let admin = app.signed_in(ADMIN_A).await;
    let detail = json(app.detail(&admin, PAT_ID).await).await;
    let newest = &detail["visits"][0];
    assert_eq!(newest["provider"], "Lena Provider");
    assert_eq!(newest["duration"], "5 min");
    assert_eq!(newest["status"], "Completed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rooms_own_visit_link_takes_the_visit_number_and_is_checked() {
    let app = spawn_app().await;
    let jessica = app.room_id("jessica").await;
    let admin = app.signed_in(ADMIN_A).await;
    let room = |visit_url: &str| {
        json!({"room": {
            "id": jessica, "clinic_id": 1, "name": "Jessica Laynes' Clinic", "code": "TVJC-jessica",
            "slug": "jessica", "guest_allowed": true, "signup_allowed": true, "visit_url": visit_url,
            "version": 1
        }})
    };
    for bad in [
        "http://video.example.com/{visit}",
        "https://video.example.com/r/",
        "https://a b/{visit}",
    ] {
        let refused = app.call_json(&admin, "rooms/save", room(bad)).await;
        assert_eq!(refused.status(), 422, "{bad}");
        let said = refused.text().await.unwrap();
        assert!(said.contains("\"visit_url\""), "{bad}: {said}");
    }
    let saved = app
        .call_json(
            &admin,
            "rooms/save",
            room("https://video.example.com/r/{visit}"),
        )
        .await;
    assert_eq!(saved.status(), 200);
    let visit_id = app.visit(PAT_ID, jessica, "waiting", None).await;
    let link = json(
        app.call(
            &admin,
            "visits/start",
            &[("visit_id", &visit_id.to_string())],
        )
        .await,
    )
    .await;
    let code = link
        .as_str()
        .unwrap()
        .strip_prefix("https://video.example.com/r/")
        .expect("the room's link");
    assert!(
        code.len() >= 32 && code != visit_id.to_string(),
        "an unguessable code: {code}"
    );
    let patient = app.signed_in(PATIENT_A).await;
    assert_eq!(app.queue(&patient).await["visit_link"], link);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_is_ended_by_whoever_started_it_or_the_admin_even_when_the_room_closed() {
    let app = spawn_app().await;
    let jessica = app.room_id("jessica").await;
    let admin = app.signed_in(ADMIN_A).await;
    let doc = provider(&app, "dr.lena@example.com", "Lena", jessica).await;
    let first = app
        .visit(PAT_ID, jessica, "waiting", None)
        .await
        .to_string();
    let second = app
        .visit(JANE_ID, jessica, "waiting", None)
        .await
        .to_string();
    for v in [&first, &second] {
        assert_eq!(
            app.call(&doc, "visits/start", &[("visit_id", v)])
                .await
                .status(),
            200
        );
    }
    let room = jessica.to_string();
    let closed = app.close_room(&admin, &room).await;
    assert_eq!(closed.status(), 200);
    assert_eq!(
        app.call(&doc, "visits/end", &[("visit_id", &first)])
            .await
            .status(),
        200
    );
    let missed = app
        .call(&admin, "visits/no_show", &[("visit_id", &second)])
        .await;
    assert_eq!(missed.status(), 200);
    let third = app
        .visit(PAT_ID, jessica, "in_progress", Some(21_400_001))
        .await
        .to_string();
    let other = app.signed_in(ADMIN_B).await;
    assert_eq!(
        app.call(&other, "visits/end", &[("visit_id", &third)])
            .await
            .status(),
        404
    );
    let not_theirs = app.call(&doc, "visits/end", &[("visit_id", &third)]).await;
    assert_eq!(not_theirs.status(), 404, "not theirs, and the room closed");
}

/// Asks for the caller's place as a page that shows `shown` does; the answer and its time.
async fn ask_showing(
    app: &TestApp,
    client: &reqwest::Client,
    shown: &Value,
) -> (Value, std::time::Duration) {
    let t = std::time::Instant::now();
    let answer = app
        .call_json(client, "patients/queue", json!({ "shown": shown }))
        .await;
    assert_eq!(answer.status(), 200);
    (json(answer).await, t.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_pages_question_is_answered_when_its_place_moves() {
    use std::time::Duration;
    let app = spawn_app().await;
    let jessica = app.room_id("jessica").await;
    let doc = provider(&app, "dr.hold@example.com", "Hold", jessica).await;
    let _first = app.enter_guest("127.0.0.2", "Ada").await;
    let second = app.enter_guest("127.0.0.3", "Bo").await;
    let shown = app.queue(&second).await;
    assert_eq!(shown["state"], json!({"Waiting": {"place": 2}}));

    // A page that shows something else than what holds is answered at once.
    let mut behind = shown.clone();
    behind["state"] = json!({"Waiting": {"place": 5}});
    let (answer, took) = ask_showing(&app, &second, &behind).await;
    assert_eq!(answer, shown);
    assert!(took < Duration::from_secs(1), "answered after {took:?}");

    // A page that shows its place as it is: the answer waits for the queue to move.
    let start_later = async {
        tokio::time::sleep(Duration::from_millis(800)).await;
        let id = board(&app, &doc).await["rooms"][0]["waiting"][0]["visit_id"].to_string();
        app.call(&doc, "visits/start", &[("visit_id", &id)])
            .await
            .status()
    };
    let ((answer, took), started) = tokio::join!(ask_showing(&app, &second, &shown), start_later);
    assert_eq!(started, 200);
    assert_eq!(answer["state"], json!({"Waiting": {"place": 1}}));
    assert!(
        took >= Duration::from_millis(800) && took < Duration::from_secs(2),
        "answered after {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_through_another_server_wakes_the_waiting_page() {
    use std::time::Duration;
    let app = spawn_app().await;
    let jessica = app.room_id("jessica").await;
    let doc = provider(&app, "dr.far@example.com", "Far", jessica).await;
    let _first = app.enter_guest("127.0.0.2", "Ada").await;
    let second = app.enter_guest("127.0.0.3", "Bo").await;
    let shown = app.queue(&second).await;
    assert_eq!(shown["state"], json!({"Waiting": {"place": 2}}));
    let first_visit = board(&app, &doc).await["rooms"][0]["waiting"][0]["visit_id"]
        .as_i64()
        .unwrap();

    // Another server (here: the database itself) starts the first guest's visit; this
    // server hears of it only by reading the queues.
    let elsewhere = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        app.db
            .execute_unprepared(&format!(
                "UPDATE visits SET status = 'in_progress' WHERE id = {first_visit}"
            ))
            .await
            .unwrap();
    };
    let ((answer, took), ()) = tokio::join!(ask_showing(&app, &second, &shown), elsewhere);
    assert_eq!(answer["state"], json!({"Waiting": {"place": 1}}));
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_millis(2500),
        "answered after {took:?}"
    );
}
