//! Reading the server's answers: form encoding, cookies, JSON bodies, the users table's
//! pages and IDs, a page's text as a person reads it, and a 422's fields.

use reqwest::header::HeaderMap;
use reqwest::{Client, Response};

use crate::helpers::TestApp;

pub fn encode(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

/// The JSON body of a server function's answer.
pub async fn json(response: Response) -> serde_json::Value {
    let text = response.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

/// Follows `next` (or `prev`) cursors from the view until the end, collecting IDs.
pub async fn walk(
    app: &TestApp,
    client: &Client,
    view: &[(&str, &str)],
    key: &str,
) -> Vec<Vec<i64>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut pairs: Vec<(&str, &str)> = view.to_vec();
        let edge = if key == "next" { "after" } else { "before" };
        if let Some(c) = cursor.as_deref() {
            pairs.push((edge, c));
        }
        let response = app.list(client, &pairs).await;
        assert_eq!(response.status(), 200);
        let body = json(response).await;
        pages.push(
            body["rows"]
                .as_array()
                .expect("rows")
                .iter()
                .map(|r| r["id"].as_i64().expect("id"))
                .collect(),
        );
        match body[key].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(pages.len() < 100, "paging does not end");
    }
    pages
}

/// IDs of the rows in a `members/list` answer.
pub async fn ids(response: Response) -> Vec<i64> {
    assert_eq!(response.status(), 200);
    let body = json(response).await;
    body["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect()
}

/// A page's HTML without the comment markers hydration leaves between text nodes, so that
/// "Sign up: " and the date read as one line, as a person sees them.
pub async fn page_text(response: Response) -> String {
    let html = response.text().await.expect("html").replace("<!>", "");
    let mut out = String::with_capacity(html.len());
    let mut rest = html.as_str();
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        match rest[start..].find("-->") {
            Some(end) => rest = &rest[start + end + 3..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The field names of a 422 answer's messages.
pub fn rejected_fields(body: &serde_json::Value) -> Vec<String> {
    match body["kind"].as_str() {
        Some("validation") => vec![body["field"].as_str().unwrap_or_default().to_owned()],
        Some("invalid") => body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
            .collect(),
        _ => panic!("not a field error: {body}"),
    }
}
