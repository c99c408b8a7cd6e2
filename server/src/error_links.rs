//! Errors that travel in a page's address are signed by the server that made them.
//!
//! A form posted without JavaScript gets its error back in the address of the page it came
//! from (`?__path=…&__err=…`, written by the server-function machinery), and the page shows
//! it. Anyone can write such an address, though, and send it to a patient with words of
//! their own ("Guest entry moved: call +1-900…"). So the redirect that carries an error also
//! carries `__sig`, an HMAC-SHA256 of it under a key every server shares (kept in the
//! database, made on first use); a page asked for with an error and no valid signature is
//! sent on, with a 303, to the same address without it.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use sha2::Sha256;
use tokio::sync::OnceCell;

/// The shared key, read (or made) once per process.
pub struct ErrorLinks {
    db: DatabaseConnection,
    key: OnceCell<Vec<u8>>,
}

const KEY_NAME: &str = "error_links";

impl ErrorLinks {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            key: OnceCell::new(),
        }
    }

    async fn key(&self) -> Result<&[u8], sea_orm::DbErr> {
        self.key
            .get_or_try_init(|| async {
                let backend = self.db.get_database_backend();
                let mut fresh = [0u8; 32];
                rand::fill(&mut fresh);
                let fresh: String = fresh.iter().map(|b| format!("{b:02x}")).collect();
                // The first server to ask makes the key; every other one reads it.
                self.db
                    .execute_raw(Statement::from_string(
                        backend,
                        format!(
                            "INSERT INTO server_secrets (name, secret) VALUES ('{KEY_NAME}', \
                             '{fresh}') ON CONFLICT (name) DO NOTHING"
                        ),
                    ))
                    .await?;
                let row = self
                    .db
                    .query_one_raw(Statement::from_string(
                        backend,
                        format!("SELECT secret FROM server_secrets WHERE name = '{KEY_NAME}'"),
                    ))
                    .await?
                    .ok_or_else(|| sea_orm::DbErr::RecordNotFound(KEY_NAME.into()))?;
                Ok(row.try_get::<String>("", "secret")?.into_bytes())
            })
            .await
            .map(Vec::as_slice)
    }
}

fn signature(key: &[u8], path: &str, err: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(path.as_bytes());
    mac.update(b"\n");
    mac.update(err.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The raw (still encoded) value of `name` in a query string.
fn raw_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

/// The query without the error's parameters.
fn without_error(query: &str) -> String {
    query
        .split('&')
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or_default();
            !matches!(name, "__err" | "__path" | "__sig")
        })
        .collect::<Vec<_>>()
        .join("&")
}

pub async fn sign_error_links(
    State(links): State<Arc<ErrorLinks>>,
    req: Request,
    next: Next,
) -> Response {
    let api = req.uri().path().starts_with("/api/");
    if !api
        && let Some(query) = req.uri().query()
        && let Some(err) = raw_param(query, "__err")
    {
        let path = raw_param(query, "__path").unwrap_or_default();
        let sig = raw_param(query, "__sig").unwrap_or_default();
        let Ok(key) = links.key().await else {
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        };
        let expected = signature(key, path, err);
        if !constant_time_eq(expected.as_bytes(), sig.as_bytes()) {
            let rest = without_error(query);
            let to = if rest.is_empty() {
                req.uri().path().to_owned()
            } else {
                format!("{}?{rest}", req.uri().path())
            };
            return Redirect::to(&to).into_response();
        }
    }
    let mut response = next.run(req).await;
    if !api || !response.status().is_redirection() {
        return response;
    }
    let Some(location) = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
    else {
        return response;
    };
    let Some((_, query)) = location.split_once('?') else {
        return response;
    };
    let Some(err) = raw_param(query, "__err") else {
        return response;
    };
    let path = raw_param(query, "__path").unwrap_or_default();
    let Ok(key) = links.key().await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let signed = format!("{location}&__sig={}", signature(key, path, err));
    if let Ok(value) = HeaderValue::from_str(&signed) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_parameters_are_read_raw_and_removed_together() {
        let q = "next=/account&__path=/api/auth/login&__err=eyJr%3D&__sig=ab";
        assert_eq!(raw_param(q, "__err"), Some("eyJr%3D"));
        assert_eq!(raw_param(q, "__path"), Some("/api/auth/login"));
        assert_eq!(raw_param(q, "_err"), None);
        assert_eq!(without_error(q), "next=/account");
    }

    #[test]
    fn a_signature_binds_the_error_to_its_form() {
        let key = b"k";
        let a = signature(key, "/api/auth/login", "e1");
        assert_eq!(a, signature(key, "/api/auth/login", "e1"));
        assert_ne!(a, signature(key, "/api/auth/forgot", "e1"));
        assert_ne!(a, signature(key, "/api/auth/login", "e2"));
        assert_ne!(a, signature(b"other", "/api/auth/login", "e1"));
    }
}
