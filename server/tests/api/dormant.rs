//! The dormant-account policy on a fake clock: Members who have not signed in for the
//! clinic's months are warned its days before, then suspended, each once however many
//! servers run the job at the same moment; no one else is touched; the settings page says
//! how many the policy would suspend next.

use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use app::db::DAY_MS;
use app::members::server::dormant;

use crate::database::count;
use crate::helpers::*;

/// `months` calendar months before `at`.
fn months_before(at: i64, months: u32) -> i64 {
    dormant::months_before(at, months).expect("a date")
}

/// The IDs `sql` selects (as `id`), in order.
async fn ids(app: &TestApp, sql: &str) -> Vec<i64> {
    let rows = app
        .db
        .query_all_raw(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .unwrap();
    let mut ids: Vec<i64> = rows
        .iter()
        .map(|r| r.try_get::<i64>("", "id").unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

/// The members a policy of 12 months finds dormant at `at`, written from the rule itself:
/// active Members whose last sign-in, or sign-up when they never signed in, is older than
/// the same day 12 months before.
async fn dormant_at(app: &TestApp, at: i64) -> Vec<i64> {
    let before = months_before(at, 12);
    ids(
        app,
        &format!(
            "SELECT id FROM users WHERE clinic_id = 1 AND user_type = 'member' \
             AND status = 'active' AND last_login_at < {before} AND signed_up_at < {before}"
        ),
    )
    .await
}

async fn with_action(app: &TestApp, action: &str) -> Vec<i64> {
    ids(
        app,
        &format!("SELECT member_id AS id FROM audit_events WHERE action = '{action}'"),
    )
    .await
}

async fn set_last_login(app: &TestApp, id: i64, at: i64) {
    app.db
        .execute_unprepared(&format!(
            "UPDATE users SET last_login_at = {at} WHERE id = {id}"
        ))
        .await
        .unwrap();
}

/// Both "servers" run the job at `at`, at once.
async fn two_servers_run(app: &TestApp, at: i64) -> dormant::Round {
    let url = app.url("");
    let (a, b) = tokio::join!(
        dormant::run(&app.db, &url, at),
        dormant::run(&app.db, &url, at)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    dormant::Round {
        warned: a.warned + b.warned,
        suspended: a.suspended + b.suspended,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dormant_members_are_warned_then_suspended_once_each_with_two_servers() {
    let app = spawn_app().await;
    let jessica = app.room_id("jessica").await;
    // 1,500 more members of every kind and age, so the job works in several batches.
    server::seed::members(&app.db, 1, &[jessica], 1_500, 9)
        .await
        .expect("seed");
    let t0 = app::db::now_ms();
    // Sam last signed in 13 months ago; Bob 359 days ago (dormant within the warning's 14
    // days); José 11 months ago (not yet); Pat today.
    set_last_login(&app, 21_408_301, months_before(t0, 13)).await;
    set_last_login(&app, 21_408_303, t0 - 359 * DAY_MS).await;
    set_last_login(&app, 21_408_300, months_before(t0, 11)).await;
    set_last_login(&app, 21_408_302, t0).await;
    let untouched = "SELECT id FROM users WHERE user_type <> 'member' OR status <> 'active' \
                     OR clinic_id <> 1";
    let others_before = ids(&app, untouched).await;

    let admin = app.signed_in(ADMIN_A).await;
    let form = json(app.call(&admin, "clinics/settings", &[]).await).await[0].clone();
    assert_eq!(form["dormant_months"], 0, "off by default");
    let mut input = json!({
        "clinic_id": 1, "signup_allowed": true, "guest_allowed": true, "min_length": "8",
        "require_upper": true, "require_lower": true, "require_digit": true,
        "require_symbol": true, "history_count": "6", "delete_grace_days": "30",
        "idle_timeout_minutes": "30", "guest_retention_days": "30",
        "version": form["version"], "dormant": true, "dormant_months": "12",
        "dormant_warn_days": "14"
    });
    let saved = app
        .call_json(
            &admin,
            "clinics/save_settings",
            json!({ "settings": input.clone() }),
        )
        .await;
    assert_eq!(saved.status(), 200);
    let saved = json(saved).await;
    let dormant_now = dormant_at(&app, app::db::now_ms()).await;
    assert!(dormant_now.contains(&21_408_301) && dormant_now.contains(&JANE_ID));
    assert_eq!(
        saved["dormant_due"].as_u64().unwrap(),
        dormant_now.len() as u64,
        "the settings page counts whom the policy suspends next"
    );
    let asked = app
        .call(
            &admin,
            "clinics/dormant_due",
            &[("clinic_id", "1"), ("months", "12")],
        )
        .await;
    assert_eq!(
        json(asked).await,
        dormant_now.len(),
        "and as the admin chooses"
    );

    // Now: everyone dormant within 14 days is warned, once, by mail; no one is suspended.
    let round = two_servers_run(&app, t0).await;
    let warned = with_action(&app, "dormant_warned").await;
    let due_in_14_days = dormant_at(&app, t0 + 14 * DAY_MS).await;
    assert_eq!(warned, due_in_14_days, "each warned once");
    assert_eq!(round.warned, warned.len());
    assert!(warned.contains(&21_408_303) && !warned.contains(&21_408_300));
    assert_eq!(round.suspended, 0);
    let mails = count(
        &app,
        "SELECT COUNT(*) AS n FROM mail_outbox WHERE subject LIKE '%will be suspended in 14 days'",
    )
    .await;
    assert_eq!(mails as usize, warned.len(), "one email each");
    // Jane signs in after her warning: she is no longer dormant.
    set_last_login(&app, JANE_ID, t0 + DAY_MS).await;

    // 13 days on: no warning is 14 days old yet.
    let round = two_servers_run(&app, t0 + 13 * DAY_MS).await;
    assert_eq!(round.suspended, 0);

    // 14 days on: the warned are suspended, once each, and signed out; Jane is not.
    let at = t0 + 14 * DAY_MS + 60_000;
    let round = two_servers_run(&app, at).await;
    let suspended = with_action(&app, "dormant_suspended").await;
    let expected: Vec<i64> = warned.iter().copied().filter(|&id| id != JANE_ID).collect();
    assert_eq!(suspended, expected, "each suspended once");
    assert_eq!(round.suspended, suspended.len());
    let now_suspended = ids(
        &app,
        &format!(
            "SELECT id FROM users WHERE status = 'suspended' AND id IN ({})",
            expected
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",")
        ),
    )
    .await;
    assert_eq!(now_suspended, expected);
    let actor = count(
        &app,
        "SELECT COUNT(*) AS n FROM audit_events WHERE action LIKE 'dormant_%' \
         AND actor_user_id IS NOT NULL",
    )
    .await;
    assert_eq!(actor, 0, "done by the policy, not by a person");
    assert_eq!(
        ids(&app, untouched).await.len(),
        others_before.len() + expected.len()
    );
    for id in &others_before {
        assert!(
            !suspended.contains(id),
            "{id} was not a dormant active member"
        );
    }

    // Set Active again, a member has the months again from then.
    let sam = 21_408_301;
    let version = json(app.detail(&admin, sam).await).await["version"].clone();
    let active = app
        .call_json(
            &admin,
            "members/save_status",
            json!({"id": sam, "version": version, "status": "active"}),
        )
        .await;
    assert_eq!(active.status(), 200);
    let round = two_servers_run(&app, app::db::now_ms() + 60_000).await;
    assert_eq!(
        round,
        dormant::Round::default(),
        "Sam is not suspended again"
    );

    // Changed, the policy warns again before it suspends: earlier warnings no longer count.
    input["version"] = json!(saved["version"]);
    input["dormant_warn_days"] = json!("7");
    let changed = app
        .call_json(
            &admin,
            "clinics/save_settings",
            json!({ "settings": input.clone() }),
        )
        .await;
    assert_eq!(changed.status(), 200);
    let saved = json(changed).await;
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM users WHERE dormant_warned_at IS NOT NULL"
        )
        .await,
        0
    );
    let later = at + 400 * DAY_MS;
    let round = two_servers_run(&app, later).await;
    assert_eq!(round.suspended, 0, "warned first: {round:?}");
    assert!(round.warned > 0);
    assert!(with_action(&app, "dormant_warned").await.contains(&JANE_ID));

    // Off, it does nothing more.
    input["version"] = json!(saved["version"]);
    input["dormant"] = json!(false);
    let off = app
        .call_json(
            &admin,
            "clinics/save_settings",
            json!({ "settings": input }),
        )
        .await;
    assert_eq!(off.status(), 200);
    assert_eq!(json(off).await["dormant_months"], 0);
    let round = two_servers_run(&app, later + 400 * DAY_MS).await;
    assert_eq!(round, dormant::Round::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_takes_months_from_1_to_60_and_warning_days_from_0_to_30() {
    let app = spawn_app().await;
    let admin = app.signed_in(ADMIN_A).await;
    let form = json(app.call(&admin, "clinics/settings", &[]).await).await[0].clone();
    let body = |months: &str, days: &str| {
        json!({"settings": {
            "clinic_id": 1, "signup_allowed": true, "guest_allowed": true, "min_length": "8",
            "require_upper": true, "require_lower": true, "require_digit": true,
            "require_symbol": true, "history_count": "6", "delete_grace_days": "30",
            "idle_timeout_minutes": "30", "guest_retention_days": "30",
            "version": form["version"], "dormant": true, "dormant_months": months,
            "dormant_warn_days": days
        }})
    };
    for (months, days, fields) in [
        ("0", "14", vec!["dormant_months"]),
        // A warning a month long would come before the last sign-in.
        ("1", "28", vec!["dormant_warn_days"]),
        ("61", "31", vec!["dormant_months", "dormant_warn_days"]),
        ("twelve", "-1", vec!["dormant_months", "dormant_warn_days"]),
    ] {
        let refused = app
            .call_json(&admin, "clinics/save_settings", body(months, days))
            .await;
        assert_eq!(refused.status(), 422, "{months} {days}");
        assert_eq!(rejected_fields(&json(refused).await), fields);
    }
    let saved = app
        .call_json(&admin, "clinics/save_settings", body("60", "0"))
        .await;
    assert_eq!(saved.status(), 200);
    let saved = json(saved).await;
    assert_eq!(
        (
            saved["dormant_months"].clone(),
            saved["dormant_warn_days"].clone()
        ),
        (json!(60), json!(0))
    );
}

/// The settings form of clinic 1 with the dormant-account policy at `months` and `days`.
fn policy(version: &serde_json::Value, months: &str, days: &str) -> serde_json::Value {
    json!({"settings": {
        "clinic_id": 1, "signup_allowed": true, "guest_allowed": true, "min_length": "8",
        "require_upper": true, "require_lower": true, "require_digit": true,
        "require_symbol": true, "history_count": "6", "delete_grace_days": "30",
        "idle_timeout_minutes": "30", "guest_retention_days": "30",
        "version": version, "dormant": true, "dormant_months": months,
        "dormant_warn_days": days
    }})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fewer_warning_days_warn_again_before_they_suspend() {
    let app = spawn_app().await;
    let sam = 21_408_301;
    let t0 = app::db::now_ms();
    set_last_login(&app, sam, months_before(t0, 13)).await;
    let admin = app.signed_in(ADMIN_A).await;
    let version = json(app.call(&admin, "clinics/settings", &[]).await).await[0]["version"].clone();
    let saved = app
        .call_json(
            &admin,
            "clinics/save_settings",
            policy(&version, "12", "14"),
        )
        .await;
    assert_eq!(saved.status(), 200);
    let version = json(saved).await["version"].clone();
    two_servers_run(&app, t0).await;
    let warned_sam = format!(
        "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'dormant_warned' AND member_id = {sam}"
    );
    assert_eq!(count(&app, &warned_sam).await, 1);

    // Warned 14 days ahead, Sam is not suspended after 7 under the shorter policy: he is
    // warned again, by its own days.
    let saved = app
        .call_json(&admin, "clinics/save_settings", policy(&version, "12", "7"))
        .await;
    assert_eq!(saved.status(), 200);
    let round = two_servers_run(&app, t0 + 8 * DAY_MS).await;
    assert_eq!(round.suspended, 0, "{round:?}");
    assert_eq!(count(&app, &warned_sam).await, 2);
    two_servers_run(&app, t0 + 16 * DAY_MS).await;
    let suspended =
        format!("SELECT COUNT(*) AS n FROM users WHERE id = {sam} AND status = 'suspended'");
    assert_eq!(
        count(&app, &suspended).await,
        1,
        "7 days after the new warning"
    );
}
