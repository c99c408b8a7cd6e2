//! The calls of the authorization matrix: who makes each, and how each kind of body is
//! sent (plain arguments, or a second step, an app's code or a passkey's answer worked out
//! when sent). The table of calls is `matrix`.

use serde_json::{Value, json};

use crate::helpers::*;
use crate::soft_passkey::SoftPasskey;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Who {
    /// Anyone: the function decides itself what the caller may learn.
    Public,
    /// Any signed-in user, about themselves.
    User,
    /// The admin of the clinic whose data the call names.
    Admin,
    /// Any admin, about their own clinics only (lists): another clinic's admin succeeds but
    /// sees none of clinic A.
    AdminList,
}

pub enum Body {
    Form(Vec<(&'static str, String)>),
    Json(Value),
    /// The second step of a sign-in: the client first signs in with `username`'s password,
    /// then sends this recovery code.
    AfterPassword(&'static str, &'static str),
    /// A code from the app being set up, read from the caller's own security page when
    /// sent, with the caller's password.
    AppCode(&'static str),
    /// A new passkey's answer: the caller begins adding one with this password, and the
    /// passkey answers the challenge.
    NewPasskey(&'static str),
    /// The caller's first passkey (read from their security page when sent) and this
    /// password.
    OwnPasskey(&'static str),
    /// The second step with a passkey: the client signs in with `username`'s password,
    /// begins the ceremony, and this passkey answers it.
    PasskeyStep(&'static str, std::sync::Mutex<SoftPasskey>),
}

pub struct Call {
    pub who: Who,
    pub body: Body,
}

impl Body {
    /// The body as plain arguments, for callers that send their own: the second step's
    /// recovery code, the app's code as a field.
    pub fn plain(&self) -> Body {
        match self {
            Body::Form(pairs) => Body::Form(pairs.clone()),
            Body::Json(value) => Body::Json(value.clone()),
            Body::AfterPassword(_, code) => Body::Form(vec![("recovery_code", (*code).to_owned())]),
            Body::AppCode(password) => Body::Form(vec![
                ("password", (*password).to_owned()),
                ("code", "000000".to_owned()),
            ]),
            Body::NewPasskey(_) | Body::PasskeyStep(..) => {
                Body::Form(vec![("answer", "{}".to_owned())])
            }
            Body::OwnPasskey(password) => Body::Form(vec![
                ("passkey", "none".to_owned()),
                ("remove_password", (*password).to_owned()),
            ]),
        }
    }
}

pub fn form(pairs: &[(&'static str, String)]) -> Body {
    Body::Form(pairs.to_vec())
}

pub async fn send(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    body: &Body,
) -> reqwest::Response {
    let endpoint = path.trim_start_matches("/api/");
    match body {
        Body::Form(pairs) => {
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.call(client, endpoint, &pairs).await
        }
        Body::Json(value) => app.call_json(client, endpoint, value.clone()).await,
        Body::AfterPassword(username, code) => {
            app.login(client, username, PASSWORD).await;
            app.call(client, endpoint, &[("recovery_code", code)]).await
        }
        Body::AppCode(password) => {
            let view = app.call(client, "security/view", &[]).await;
            let secret = if view.status().is_success() {
                json(view).await["setup"]["secret"]
                    .as_str()
                    .unwrap_or_default()
                    .replace(' ', "")
            } else {
                String::new()
            };
            let code = if secret.is_empty() {
                "000000".to_owned()
            } else {
                totp_code(&secret, 0)
            };
            app.call(client, endpoint, &[("password", password), ("code", &code)])
                .await
        }
        Body::NewPasskey(password) => {
            let begun = app
                .call(
                    client,
                    "security/passkey/add",
                    &[
                        ("passkey_name", "Matrix key"),
                        ("passkey_password", password),
                    ],
                )
                .await;
            let answer = if begun.status().is_success() {
                SoftPasskey::new(ORIGIN).register(&options(begun).await)
            } else {
                json!({})
            };
            app.call(client, endpoint, &[("answer", &answer.to_string())])
                .await
        }
        Body::OwnPasskey(password) => {
            let view = app.call(client, "security/view", &[]).await;
            let id = if view.status().is_success() {
                json(view).await["passkeys"][0]["id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            } else {
                String::new()
            };
            app.call(
                client,
                endpoint,
                &[("passkey", &id), ("remove_password", password)],
            )
            .await
        }
        Body::PasskeyStep(username, key) => {
            app.login(client, username, PASSWORD).await;
            let begun = app
                .call(client, "auth/second-step/passkey/begin", &[])
                .await;
            let answer = if begun.status().is_success() {
                let options = options(begun).await;
                key.lock().unwrap().sign_in(&options)
            } else {
                json!({})
            };
            app.call(client, endpoint, &[("answer", &answer.to_string())])
                .await
        }
    }
}

/// The test servers' public URL, whose host passkeys belong to.
pub const ORIGIN: &str = "http://frontdesk.test";

/// A passkey ceremony's options, from the server function that began it.
pub async fn options(response: reqwest::Response) -> Value {
    let text = json(response).await;
    serde_json::from_str(text.as_str().unwrap_or("{}")).unwrap_or_default()
}
