//! Account enumeration: sign-in, Forgot password and sign-up, each tried 200 times for an
//! existing account and 200 times for an unknown one, interleaved over a few concurrent
//! clients. Every answer is the same (status and body), and the median times of the two
//! groups are within 10 % of each other.

use std::time::{Duration, Instant};

use crate::helpers::*;

const TRIES: usize = 200;
const CLIENTS: usize = 4;

type Form = Vec<(&'static str, String)>;

struct Timed {
    status: u16,
    body: String,
    took: Duration,
}

async fn timed(app: &TestApp, client: &reqwest::Client, endpoint: &str, form: &Form) -> Timed {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let start = Instant::now();
    let response = app.call(client, endpoint, &pairs).await;
    let status = response.status().as_u16();
    let body = response.text().await.expect("body");
    Timed {
        status,
        body,
        took: start.elapsed(),
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Sends `TRIES` requests built by `known` and `TRIES` built by `unknown`, alternating, and
/// checks that the answers match and take as long.
async fn compare(
    app: &TestApp,
    what: &str,
    endpoint: &'static str,
    known: fn(usize) -> Form,
    unknown: fn(usize) -> Form,
) {
    let mut streams = Vec::new();
    for stream in 0..CLIENTS {
        let client = app.client();
        streams.push(async move {
            let mut answers = (Vec::new(), Vec::new());
            for round in 0..TRIES / CLIENTS {
                let n = stream * TRIES + round;
                // Alternate which goes first, so neither always meets a warmer server.
                if round % 2 == 0 {
                    answers
                        .0
                        .push(timed(app, &client, endpoint, &known(n)).await);
                    answers
                        .1
                        .push(timed(app, &client, endpoint, &unknown(n)).await);
                } else {
                    answers
                        .1
                        .push(timed(app, &client, endpoint, &unknown(n)).await);
                    answers
                        .0
                        .push(timed(app, &client, endpoint, &known(n)).await);
                }
            }
            answers
        });
    }
    let (mut known_answers, mut unknown_answers) = (Vec::new(), Vec::new());
    for (k, u) in futures::future::join_all(streams).await {
        known_answers.extend(k);
        unknown_answers.extend(u);
    }
    assert_eq!(known_answers.len(), TRIES);
    let first = &known_answers[0];
    for answer in known_answers.iter().chain(&unknown_answers) {
        assert_eq!(
            (answer.status, &answer.body),
            (first.status, &first.body),
            "{what}: every answer is the same"
        );
    }
    let known_median = median(known_answers.iter().map(|a| a.took).collect());
    let unknown_median = median(unknown_answers.iter().map(|a| a.took).collect());
    let (low, high) = if known_median < unknown_median {
        (known_median, unknown_median)
    } else {
        (unknown_median, known_median)
    };
    let gap = (high - low).as_secs_f64() / high.as_secs_f64();
    eprintln!(
        "{what}: median {known_median:?} for existing accounts, {unknown_median:?} for unknown ones ({:.1} % apart)",
        gap * 100.0
    );
    assert!(
        gap <= 0.10,
        "{what}: existing accounts answer in {known_median:?}, unknown ones in {unknown_median:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_takes_as_long_for_existing_and_unknown_accounts() {
    let app = spawn_app_with_limits(open_limits()).await;
    compare(
        &app,
        "sign-in with a wrong password",
        "auth/login",
        |_| {
            vec![
                ("username", PATIENT_A.into()),
                ("password", "Wrong-Password-1".into()),
            ]
        },
        |n| {
            vec![
                ("username", format!("nobody{n}@example.com")),
                ("password", "Wrong-Password-1".into()),
            ]
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgot_password_takes_as_long_for_existing_and_unknown_accounts() {
    let app = spawn_app_with_limits(open_limits()).await;
    compare(
        &app,
        "Forgot password",
        "auth/forgot",
        |_| vec![("identifier", PATIENT_A.into())],
        |n| vec![("identifier", format!("nobody{n}@example.com"))],
    )
    .await;
    let queued = mail_to_count(&app, PATIENT_A).await;
    assert_eq!(queued, TRIES as u64, "the existing account got every link");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_takes_as_long_for_existing_and_new_addresses() {
    let app = spawn_app_with_limits(open_limits()).await;
    fn form(email: String) -> Form {
        vec![
            ("slug", "jessica".into()),
            ("first_name", "Ana".into()),
            ("last_name", "Ruiz".into()),
            ("email", email),
            ("password", "Meadow-Lantern-58".into()),
            ("confirm_password", "Meadow-Lantern-58".into()),
            ("date_of_birth", "1990-04-21".into()),
            ("phone", "".into()),
            ("timezone", "America/New_York".into()),
        ]
    }
    compare(
        &app,
        "sign-up",
        "patients/sign_up",
        |_| form(PATIENT_A.into()),
        |n| form(format!("ana.new{n}@example.com")),
    )
    .await;
    let queued = mail_to_count(&app, PATIENT_A).await;
    assert_eq!(queued, TRIES as u64, "the existing account got every note");
}

async fn mail_to_count(app: &TestApp, to: &str) -> u64 {
    use app::entities::mail_outbox;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    mail_outbox::Entity::find()
        .filter(mail_outbox::Column::ToAddress.eq(to))
        .count(&app.db)
        .await
        .expect("count")
}
