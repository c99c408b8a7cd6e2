//! Any input, over HTTP: every registered server function (the authorization matrix's
//! rightful call) sent again with each argument replaced by generated values (any string,
//! any length, any Unicode, markup, SQL, numbers out of range, the wrong JSON type), and
//! every page that reads its address given markup. The answer is a value or a 4xx with a
//! message, never a 5xx; pages never carry the markup back unescaped.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::Value;

use crate::helpers::*;
use crate::matrix::{Body, matrix, send};

const CASES: usize = 24;
const MARKUP: &str = "\"><script>alert(1)</script>";

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        ".{0,2000}",
        "[ <>&'\"%_;\\\\()/=*~-]{0,40}",
        "[a-zA-Z0-9 .@+-]{0,60}",
        Just(MARKUP.to_owned()),
        Just("' OR 1=1; --".to_owned()),
        "-?[0-9]{1,25}",
    ]
}

fn draw<S: Strategy>(runner: &mut TestRunner, strategy: &S) -> S::Value {
    strategy.new_tree(runner).expect("value").current()
}

/// Which arguments a case replaces: all of them, or one alone with the others left as the
/// rightful call sent them (so a value that the first validator refuses cannot hide the
/// later arguments from the generated values).
#[derive(Clone, Copy)]
enum Replace {
    All,
    Only(usize),
}

impl Replace {
    /// Case `case` of a function with `arguments` leaves: every other case replaces them
    /// all, the rest take each argument alone in turn.
    fn for_case(case: usize, arguments: usize) -> Self {
        if case.is_multiple_of(2) || arguments == 0 {
            Self::All
        } else {
            Self::Only((case / 2) % arguments)
        }
    }

    fn covers(self, leaf: usize) -> bool {
        match self {
            Self::All => true,
            Self::Only(n) => n == leaf,
        }
    }
}

fn any_leaf(runner: &mut TestRunner) -> Value {
    match draw(runner, &(0..6u8)) {
        0 => Value::Null,
        1 => Value::from(draw(runner, &any::<i64>())),
        2 => Value::from(draw(runner, &any::<f64>()).to_string()),
        3 => Value::Bool(draw(runner, &any::<bool>())),
        _ => Value::String(draw(runner, &text())),
    }
}

fn leaves(value: &Value) -> usize {
    match value {
        Value::Object(map) => map.values().map(leaves).sum(),
        Value::Array(items) => items.iter().map(leaves).sum(),
        _ => 1,
    }
}

/// The JSON value with the chosen leaves replaced (numbered depth first from `*next`):
/// strings by any text, numbers and booleans by any number, text or `null`.
fn mutate_json(
    value: &Value,
    replace: Replace,
    next: &mut usize,
    runner: &mut TestRunner,
) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), mutate_json(v, replace, next, runner)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| mutate_json(v, replace, next, runner))
                .collect(),
        ),
        leaf => {
            let n = *next;
            *next += 1;
            if replace.covers(n) {
                any_leaf(runner)
            } else {
                leaf.clone()
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_function_answers_any_input_with_a_value_or_a_4xx() {
    let app = spawn_app_with_limits(open_limits()).await;
    let m = matrix(&app).await;
    let mut runner = TestRunner::deterministic();
    let mut answered = std::collections::BTreeMap::new();
    for (path, call) in &m.table {
        let caller = m.rightful(call.who);
        let plain = call.body.plain();
        let arguments = match &plain {
            Body::Form(pairs) => pairs.len(),
            Body::Json(value) => leaves(value),
            _ => 0,
        };
        // Enough cases for each argument to be replaced alone at least once.
        for case in 0..CASES.max(2 * arguments) {
            let body = match &plain {
                Body::Form(pairs) => {
                    let replace = Replace::for_case(case, arguments);
                    let mut pairs: Vec<(&'static str, String)> = pairs
                        .iter()
                        .enumerate()
                        .map(|(n, (k, v))| {
                            if replace.covers(n) {
                                (*k, draw(&mut runner, &text()))
                            } else {
                                (*k, v.clone())
                            }
                        })
                        .collect();
                    if matches!(replace, Replace::All) {
                        // Arguments the function never named, and ones it needs left out.
                        pairs.push(("slug", draw(&mut runner, &text())));
                        pairs.push(("id", draw(&mut runner, &text())));
                        pairs.push(("identifier", draw(&mut runner, &text())));
                        if draw(&mut runner, &any::<bool>()) {
                            pairs.truncate(draw(&mut runner, &(0..pairs.len())));
                        }
                    }
                    Body::Form(pairs)
                }
                Body::Json(value) => {
                    let replace = Replace::for_case(case, arguments);
                    Body::Json(mutate_json(value, replace, &mut 0, &mut runner))
                }
                other => other.plain(),
            };
            let response = send(&app, caller, path, &body).await;
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            assert!(
                status < 500,
                "{path} answered {status} to generated input: {text}"
            );
            *answered.entry(status).or_insert(0) += 1;
        }
    }
    eprintln!("answers to generated input, by status: {answered:?}");
    assert!(
        answered.keys().any(|s| *s == 422),
        "generated input reached the validators"
    );
    // Still serving, and still right.
    assert_eq!(
        app.login(&app.client(), ADMIN_A, PASSWORD).await.status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_never_carry_markup_from_their_address_back_unescaped() {
    let app = spawn_app_with_limits(open_limits()).await;
    let admin = app.signed_in(ADMIN_A).await;
    let anyone = app.client();
    let mut runner = TestRunner::deterministic();
    let encoded = |s: &str| encode(&[("x", s)])[2..].to_owned();
    for round in 0..CASES {
        let value = if round == 0 {
            MARKUP.to_owned()
        } else {
            format!("{}{MARKUP}", draw(&mut runner, &text()))
        };
        let v = encoded(&value);
        for (client, path) in [
            (&anyone, format!("/login?next={v}&error={v}")),
            (
                &anyone,
                format!("/forgot-password?identifier={v}&error={v}"),
            ),
            (&anyone, format!("/reset-password?token={v}&error={v}")),
            (&anyone, format!("/confirm-email?token={v}")),
            (&anyone, format!("/u/{v}")),
            (&anyone, format!("/u/jessica?error={v}")),
            (
                &anyone,
                format!("/u/jessica/guest?first_name={v}&error={v}"),
            ),
            (&anyone, format!("/u/jessica/sign-up?email={v}&error={v}")),
            (
                &admin,
                format!("/admin/users?q={v}&status={v}&sort={v}&after={v}"),
            ),
            (&admin, format!("/admin/users?member={v}&tab={v}")),
            (&admin, format!("/admin/audit?q={v}&after={v}")),
            (&admin, format!("/admin/rooms?error={v}")),
            (&admin, format!("/admin/settings?error={v}")),
        ] {
            let response = app.get(client, &path).await;
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            assert!(status < 500, "{path} answered {status}");
            assert!(
                !body.contains("<script>alert(1)"),
                "{path} carried markup back unescaped"
            );
        }
    }
}
