//! Database-backed sessions.
//!
//! The cookie holds 256 random bits; the database holds only their SHA-256, so a leaked
//! database does not hand out live sessions. A session ends at sign-out, after the clinic's
//! idle time, or at the absolute limit, whichever comes first.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult,
    QueryFilter, Set,
};
use sha2::{Digest, Sha256};
use std::sync::Arc;

use crate::accounts::{Status, UserType};
use crate::auth::touches::Touches;
use crate::db::now_ms;
use crate::entities::{clinic, session, user};
use crate::error::AppError;

/// Name of the session cookie over plain HTTP (localhost).
pub const COOKIE: &str = "frontdesk_session";
/// Name of the session cookie over HTTPS: the `__Host-` prefix pins it to this host and path.
pub const SECURE_COOKIE: &str = "__Host-frontdesk_session";

/// Don't write `last_seen_at` more often than this; idle timeouts are minutes long.
const TOUCH_EVERY_MS: i64 = 30_000;

/// A fresh random session token, as sent in the cookie.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Who is behind a valid session.
#[derive(Clone, Debug)]
pub struct SessionUser {
    pub user_id: i64,
    pub clinic_id: i64,
    pub user_type: UserType,
    /// Clinics this user administers (empty for everyone but Clinic Admins).
    pub admin_of: Vec<i64>,
    /// The sum of those clinics' member versions: it moves forward with every change that
    /// any of their users tables would show (`member_versions`, kept by the database).
    pub members_version: i64,
    /// A Clinic Admin or Provider whose clinic requires two-step sign-in, without it on:
    /// they may set it up, and nothing of an admin's or a provider's answers them.
    pub two_step_missing: bool,
    /// Their profile's Timezone (an IANA name): every time shown to them is in it.
    pub timezone: String,
    /// Their name and clinic, as their pages' frame shows them.
    pub shown: Shown,
    /// Their clinic's idle timeout, which their pages count down.
    pub idle_timeout_minutes: i32,
}

/// What a signed-in user's own pages show of them, read with the session. Its `Debug`
/// leaves the names out, so that no name reaches a log by way of a session.
#[derive(Clone)]
pub struct Shown {
    pub display_name: String,
    pub clinic_name: String,
}

impl std::fmt::Debug for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Shown { .. }")
    }
}

/// Starts a session for `user_id` and returns the token for the cookie.
pub async fn create(
    db: &impl ConnectionTrait,
    user_id: i64,
    absolute_ms: i64,
) -> Result<String, AppError> {
    let token = new_token();
    let now = now_ms();
    session::ActiveModel {
        token_hash: Set(hash_token(&token)),
        user_id: Set(user_id),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + absolute_ms),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// One row of [`lookup`]'s statement, read by column name.
#[derive(FromQueryResult)]
struct SessionRow {
    session_id: i64,
    last_seen_at: i64,
    expires_at: i64,
    user_id: i64,
    clinic_id: i64,
    status: Status,
    user_type: UserType,
    idle_timeout_minutes: i32,
    administered: Option<String>,
    members_version: i64,
    two_step_missing: bool,
    timezone: String,
    first_name: String,
    last_name: String,
    clinic_name: String,
}

/// The session, its user (and what their pages show of them), the clinic's idle time and
/// the clinics the user administers, in one statement: every signed-in request starts here.
fn session_statement(backend: DbBackend, token: &str) -> sea_orm::sea_query::SelectStatement {
    let (s, u, c) = (session::Entity, user::Entity, clinic::Entity);
    Query::select()
        .expr_as(
            Expr::col((s, session::Column::Id)),
            Alias::new("session_id"),
        )
        .column((s, session::Column::LastSeenAt))
        .column((s, session::Column::ExpiresAt))
        .expr_as(Expr::col((u, user::Column::Id)), Alias::new("user_id"))
        .column((u, user::Column::ClinicId))
        .column((u, user::Column::Status))
        .column((u, user::Column::UserType))
        .column((u, user::Column::Timezone))
        .column((u, user::Column::FirstName))
        .column((u, user::Column::LastName))
        .expr_as(
            Expr::col((c, clinic::Column::Name)),
            Alias::new("clinic_name"),
        )
        .column((c, clinic::Column::IdleTimeoutMinutes))
        .expr_as(administered_clinics(backend), Alias::new("administered"))
        .expr_as(members_version(backend), Alias::new("members_version"))
        .expr_as(two_step_missing(), Alias::new("two_step_missing"))
        .from(s)
        .inner_join(
            u,
            Expr::col((u, user::Column::Id)).equals((s, session::Column::UserId)),
        )
        .inner_join(
            c,
            Expr::col((c, clinic::Column::Id)).equals((u, user::Column::ClinicId)),
        )
        .and_where(Expr::col((s, session::Column::TokenHash)).eq(hash_token(token)))
        .to_owned()
}

/// The user behind `token`, if the session is live; expired sessions are removed. Its
/// activity is recorded through `touches` (in batches).
pub async fn lookup(
    db: &impl ConnectionTrait,
    touches: &Arc<Touches>,
    token: &str,
) -> Result<Option<SessionUser>, AppError> {
    let found = session_statement(db.get_database_backend(), token);
    let Some(row) = db.query_one(&found).await? else {
        return Ok(None);
    };
    let SessionRow {
        session_id,
        last_seen_at,
        expires_at,
        user_id,
        clinic_id,
        status,
        user_type,
        idle_timeout_minutes: idle_minutes,
        administered,
        members_version,
        two_step_missing,
        timezone,
        first_name,
        last_name,
        clinic_name,
    } = SessionRow::from_query_result(&row, "")?;

    let now = now_ms();
    let idle_deadline = last_seen_at + i64::from(idle_minutes) * 60_000;
    let active = status == Status::Active;
    if now >= expires_at || now >= idle_deadline || !active {
        session::Entity::delete_by_id(session_id).exec(db).await?;
        return Ok(None);
    }
    if now - last_seen_at >= TOUCH_EVERY_MS {
        touches.seen(session_id).await;
    }
    // Only a Clinic Admin administers clinics, whatever the table says of anyone else.
    // Nor does anyone who must turn on two-step sign-in first.
    let admin_of = match administered {
        _ if two_step_missing => Vec::new(),
        Some(ids) if user_type == UserType::ClinicAdmin => parse_ids(&ids)
            .ok_or_else(|| AppError::internal(format!("user {user_id}'s clinics did not read")))?,
        _ => Vec::new(),
    };
    Ok(Some(SessionUser {
        user_id,
        clinic_id,
        user_type,
        admin_of,
        members_version,
        two_step_missing,
        timezone,
        shown: Shown {
            display_name: format!("{first_name} {last_name}"),
            clinic_name,
        },
        idle_timeout_minutes: idle_minutes,
    }))
}

/// Whether the session's user must turn on two-step sign-in before anything else: their
/// clinic requires it of Clinic Admins and Providers, or a clinic they administer does,
/// and they have no factor on (no authenticator app, no passkey).
fn two_step_missing() -> SimpleExpr {
    Expr::cust(
        "((clinics.require_two_step AND users.user_type IN ('clinic_admin', 'provider') \
           OR EXISTS (SELECT 1 FROM clinic_admins ca JOIN clinics rc ON rc.id = ca.clinic_id \
                      WHERE ca.user_id = users.id AND rc.require_two_step)) \
         AND NOT EXISTS (SELECT 1 FROM two_step t WHERE t.user_id = users.id \
         AND t.app_on_at IS NOT NULL) \
         AND NOT EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = users.id))",
    )
}

/// The clinics the session's user administers, as one text column (`"1,4"`; NULL for
/// none), by the primary key of `clinic_admins`.
fn administered_clinics(backend: DbBackend) -> SimpleExpr {
    let from = "FROM clinic_admins ca WHERE ca.user_id = users.id";
    Expr::cust(match backend {
        DbBackend::Postgres => {
            format!("(SELECT string_agg(ca.clinic_id::text, ',' ORDER BY ca.clinic_id) {from})")
        }
        _ => format!("(SELECT group_concat(ca.clinic_id) {from})"),
    })
}

/// The sum of the member versions of the clinics the session's user administers (0 for
/// none). Each clinic's version only grows, so the sum changes whenever any of them does.
fn members_version(backend: DbBackend) -> SimpleExpr {
    let sum = "coalesce(sum(mv.version), 0)";
    let from = "FROM clinic_admins ca JOIN member_versions mv ON mv.clinic_id = ca.clinic_id \
                WHERE ca.user_id = users.id";
    Expr::cust(match backend {
        // Postgres sums BIGINTs as NUMERIC.
        DbBackend::Postgres => format!("(SELECT {sum}::bigint {from})"),
        _ => format!("(SELECT {sum} {from})"),
    })
}

/// `"1,4"` as `[1, 4]`, in order.
fn parse_ids(text: &str) -> Option<Vec<i64>> {
    let mut ids = text
        .split(',')
        .map(|id| id.trim().parse().ok())
        .collect::<Option<Vec<i64>>>()?;
    ids.sort_unstable();
    Some(ids)
}

/// Ends the session behind `token`, if any.
pub async fn end(db: &impl ConnectionTrait, token: &str) -> Result<(), AppError> {
    session::Entity::delete_many()
        .filter(session::Column::TokenHash.eq(hash_token(token)))
        .exec(db)
        .await?;
    Ok(())
}

/// The session token in a `Cookie` header, under either cookie name.
pub fn token_from_cookie_header(header: &str) -> Option<String> {
    cookie::Cookie::split_parse(header)
        .filter_map(Result::ok)
        .find(|c| c.name() == COOKIE || c.name() == SECURE_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|value| !value.is_empty())
}

/// The session token among a request's `Cookie` headers.
pub fn token_from_headers(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(token_from_cookie_header)
}

/// `Set-Cookie` value that stores `token`: `HttpOnly`, `SameSite=Lax`, the whole site, and
/// `Secure` under the `__Host-` name where `secure`.
pub fn set_cookie(token: &str, secure: bool, max_age_s: i64) -> String {
    build_cookie(
        (COOKIE, SECURE_COOKIE),
        token,
        secure,
        cookie::SameSite::Lax,
        max_age_s,
    )
}

/// `Set-Cookie` value of one of Frontdesk's cookies, named `plain` over plain HTTP
/// (localhost) and `secure` (a `__Host-` name) where `secure`: `HttpOnly`, the whole site.
pub fn build_cookie(
    (plain, secure_name): (&str, &str),
    value: &str,
    secure: bool,
    same_site: cookie::SameSite,
    max_age_s: i64,
) -> String {
    let name = if secure { secure_name } else { plain };
    cookie::Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(same_site)
        .max_age(cookie::time::Duration::seconds(max_age_s))
        .build()
        .to_string()
}

/// The value of the cookie `name` among a request's `Cookie` headers.
pub fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|header| cookie::Cookie::split_parse(header).filter_map(Result::ok))
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    set_cookie("", secure, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_hash_to_hex() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "256 bits in unpadded base64url");
        let h = hash_token(&a);
        assert_eq!(h.len(), 64);
        assert!(h.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(h, a);
    }

    #[test]
    fn finds_the_token_among_other_cookies() {
        assert_eq!(
            token_from_cookie_header("theme=dark; frontdesk_session=abc; x=1"),
            Some("abc".to_owned())
        );
        assert_eq!(
            token_from_cookie_header("__Host-frontdesk_session=xyz"),
            Some("xyz".to_owned())
        );
        assert_eq!(token_from_cookie_header("frontdesk_session="), None);
        assert_eq!(token_from_cookie_header("other=1"), None);
    }

    #[test]
    fn administered_clinics_read_in_order_and_refuse_anything_else() {
        assert_eq!(parse_ids("4,1"), Some(vec![1, 4]));
        assert_eq!(parse_ids("7"), Some(vec![7]));
        assert_eq!(parse_ids("1,x"), None);
        assert_eq!(parse_ids(""), None);
    }

    #[test]
    fn cookie_flags() {
        let plain = set_cookie("t", false, 60);
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Lax"));
        assert!(!plain.contains("Secure"));
        let secure = set_cookie("t", true, 60);
        assert!(secure.starts_with("__Host-frontdesk_session=t;"));
        assert!(secure.contains("Secure") && secure.contains("Path=/"));
        assert!(secure.contains("Max-Age=60"), "{secure}");
        assert!(clear_cookie(false).contains("Max-Age=0"));
    }
}
