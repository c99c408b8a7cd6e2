//! The one error type every server function returns.
//!
//! Variants other than [`AppError::Internal`] carry words a person may read. `Internal`
//! carries nothing: its cause is logged on the server (by ID, never by patient data) and the
//! browser only learns that something went wrong. The HTTP status for each variant is chosen
//! in one place, [`AppError::status`], and applied by the server's error-status layer.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// Why one field of a form was rejected; `field` names the form field it belongs next to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// A member who may be the same person as the one being saved: what a save held back as a
/// possible duplicate answers with (`members::duplicates` shows them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PossibleDuplicate {
    pub id: i64,
    pub name: String,
    /// "YYYY-MM-DD", when the member has one.
    pub date_of_birth: Option<String>,
    /// What matched: both, when name, date of birth and phone all do.
    pub same_name_and_birth: bool,
    pub same_phone: bool,
}

impl PossibleDuplicate {
    /// "04/08/1990", as the form's Month / Day / Year.
    pub fn birth_label(&self) -> String {
        match self
            .date_of_birth
            .as_deref()
            .map(|d| d.split('-').collect::<Vec<_>>())
        {
            Some(parts) if parts.len() == 3 => format!("{}/{}/{}", parts[1], parts[2], parts[0]),
            _ => "—".to_owned(),
        }
    }

    /// "Same name and date of birth", "Same phone", or both.
    pub fn reason(&self) -> &'static str {
        match (self.same_name_and_birth, self.same_phone) {
            (true, true) => "Same name, date of birth and phone",
            (true, false) => "Same name and date of birth",
            _ => "Same phone",
        }
    }
}

/// Sent as one object tagged by `kind` (`{"kind":"validation","field":…,"message":…}`), and
/// read back through [`WireError`]: a flat struct, which keeps serde's buffering of tagged
/// enums out of the browser's bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(test, derive(strum::EnumCount))]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "WireError")]
pub enum AppError {
    /// A field of the input was rejected; `field` names the form field it belongs next to.
    #[error("{message}")]
    Validation { field: String, message: String },
    /// Several fields of a form were rejected at once.
    #[error("Some fields need your attention.")]
    Invalid { errors: Vec<FieldError> },
    #[error("Please sign in.")]
    Unauthorized,
    #[error("You are not allowed to do that.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    #[error("{message}")]
    Conflict { message: String },
    /// The save would make a member who may be the same person as these members of the
    /// clinic; sent again with their IDs seen, it goes ahead.
    #[error("Possible duplicate")]
    PossibleDuplicates { matches: Vec<PossibleDuplicate> },
    #[error("Too many attempts. Wait a moment and try again.")]
    RateLimited,
    /// Transport or codec problems reported by the server-function machinery itself.
    #[error("The request could not be completed.")]
    Request { message: String },
    /// The database cannot be reached just now (restarting, or the network to it is down).
    #[error("Frontdesk cannot reach its database just now. Try again in a minute.")]
    Unavailable,
    /// Too much of one kind of work is waiting (password checks in a storm of sign-ins).
    #[error("Frontdesk is busy just now. Try again in a moment.")]
    Busy,
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
}

impl AppError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// Several rejected fields as one error; a single one stays a plain `Validation`.
    pub fn fields(mut errors: Vec<FieldError>) -> Self {
        if errors.len() == 1 {
            let FieldError { field, message } = errors.remove(0);
            return Self::Validation { field, message };
        }
        Self::Invalid { errors }
    }

    /// Every field message this error carries.
    pub fn field_errors(&self) -> Vec<FieldError> {
        match self {
            Self::Validation { field, message } => vec![FieldError::new(field, message.clone())],
            Self::Invalid { errors } => errors.clone(),
            _ => Vec::new(),
        }
    }

    /// The HTTP status this error is answered with (to clients that are not a plain form post).
    pub fn status(&self) -> u16 {
        match self {
            Self::Validation { .. } | Self::Invalid { .. } => 422,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::Conflict { .. } | Self::PossibleDuplicates { .. } => 409,
            Self::RateLimited => 429,
            Self::Request { .. } => 400,
            Self::Unavailable | Self::Busy => 503,
            Self::Internal => 500,
        }
    }

    /// The message for `field`, when this error belongs next to that field.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            Self::Validation { field: f, message } if f == field => Some(message.clone()),
            Self::Invalid { errors } => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone()),
            _ => None,
        }
    }

    /// Logs the cause of an internal failure and returns the opaque error sent to clients.
    #[cfg(feature = "ssr")]
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::Internal
    }
}

/// Every field any kind of [`AppError`] is sent with; each kind reads the ones it has.
#[derive(Deserialize)]
struct WireError {
    kind: String,
    #[serde(default)]
    field: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    errors: Vec<FieldError>,
    #[serde(default)]
    matches: Vec<PossibleDuplicate>,
}

impl TryFrom<WireError> for AppError {
    type Error = String;

    fn try_from(wire: WireError) -> Result<Self, String> {
        let WireError {
            kind,
            field,
            message,
            errors,
            matches,
        } = wire;
        Ok(match kind.as_str() {
            "validation" => Self::Validation { field, message },
            "invalid" => Self::Invalid { errors },
            "unauthorized" => Self::Unauthorized,
            "forbidden" => Self::Forbidden,
            "not_found" => Self::NotFound,
            "conflict" => Self::Conflict { message },
            "possible_duplicates" => Self::PossibleDuplicates { matches },
            "rate_limited" => Self::RateLimited,
            "request" => Self::Request { message },
            "unavailable" => Self::Unavailable,
            "busy" => Self::Busy,
            "internal" => Self::Internal,
            _ => return Err(format!("unknown kind of error: {kind}")),
        })
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::ServerError(_) | ServerFnErrorErr::MiddlewareError(_) => {
                Self::Internal
            }
            other => Self::Request {
                message: other.to_string(),
            },
        }
    }
}

#[cfg(feature = "ssr")]
impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        if database_unreachable(&err) {
            tracing::warn!(error = %err, "database unreachable");
            return Self::Unavailable;
        }
        Self::internal(err)
    }
}

/// Whether `err` says the database could not be reached, rather than that a statement
/// failed: no connection from the pool in time, a connection dropped mid-request, or a
/// server that is shutting down or starting up.
#[cfg(feature = "ssr")]
fn database_unreachable(err: &sea_orm::DbErr) -> bool {
    use sea_orm::sqlx::Error as SqlxError;
    use sea_orm::{DbErr, RuntimeErr};
    let sqlx = match err {
        DbErr::ConnectionAcquire(_) => return true,
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => e.as_ref(),
        _ => return false,
    };
    match sqlx {
        SqlxError::Io(_)
        | SqlxError::Tls(_)
        | SqlxError::PoolTimedOut
        | SqlxError::PoolClosed
        | SqlxError::WorkerCrashed => true,
        // admin_shutdown, crash_shutdown, cannot_connect_now (Postgres restarting).
        SqlxError::Database(db) => {
            matches!(db.code().as_deref(), Some("57P01" | "57P02" | "57P03"))
        }
        _ => false,
    }
}

/// Shows a failed save on its form: each field message next to its field, anything else
/// (a conflict, a lost session) as one line over the form.
pub fn show_failure(
    err: AppError,
    fields: leptos::prelude::RwSignal<Vec<FieldError>>,
    line: leptos::prelude::RwSignal<Option<String>>,
) {
    use leptos::prelude::Set;
    let found = err.field_errors();
    if found.is_empty() {
        line.set(Some(err.to_string()));
    }
    fields.set(found);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_client_errors_except_internal() {
        assert_eq!(AppError::validation("email", "x").status(), 422);
        assert_eq!(AppError::Unauthorized.status(), 401);
        assert_eq!(AppError::Forbidden.status(), 403);
        assert_eq!(AppError::NotFound.status(), 404);
        assert_eq!(AppError::Unavailable.status(), 503);
        assert_eq!(AppError::Internal.status(), 500);
    }

    #[test]
    fn serializes_with_a_kind_tag_and_no_internal_details() {
        let json = serde_json_like(&AppError::Internal);
        assert_eq!(json, r#"{"kind":"internal"}"#);
        let json = serde_json_like(&AppError::validation("email", "Enter an email"));
        assert_eq!(
            json,
            r#"{"kind":"validation","field":"email","message":"Enter an email"}"#
        );
    }

    fn serde_json_like(err: &AppError) -> String {
        let bytes = <AppError as FromServerFnError>::ser(err);
        String::from_utf8(bytes.to_vec()).expect("utf-8")
    }

    /// One of each kind, with every field filled.
    fn one_of_each_kind() -> Vec<AppError> {
        vec![
            AppError::validation("email", "Enter an email"),
            AppError::Invalid {
                errors: vec![
                    FieldError::new("first_name", "Enter a first name"),
                    FieldError::new("email", "Enter an email"),
                ],
            },
            AppError::Unauthorized,
            AppError::Forbidden,
            AppError::NotFound,
            AppError::Conflict {
                message: "That email is taken".into(),
            },
            AppError::PossibleDuplicates {
                matches: vec![PossibleDuplicate {
                    id: 7,
                    name: "Jane Doe".into(),
                    date_of_birth: Some("1990-04-08".into()),
                    same_name_and_birth: true,
                    same_phone: false,
                }],
            },
            AppError::RateLimited,
            AppError::Request {
                message: "bad body".into(),
            },
            AppError::Unavailable,
            AppError::Busy,
            AppError::Internal,
        ]
    }

    #[test]
    fn every_error_reads_back_from_what_it_is_sent_as() {
        let every = one_of_each_kind();
        let kinds: std::collections::HashSet<_> =
            every.iter().map(std::mem::discriminant).collect();
        assert_eq!(
            kinds.len(),
            <AppError as strum::EnumCount>::COUNT,
            "a kind of error is missing here"
        );
        for err in every {
            let bytes = <AppError as FromServerFnError>::ser(&err);
            let back = <AppError as FromServerFnError>::de(bytes);
            assert_eq!(back, err, "sent as {}", serde_json_like(&err));
        }
    }

    #[test]
    fn an_unknown_kind_is_a_request_error_not_a_panic() {
        let back = <AppError as FromServerFnError>::de(r#"{"kind":"sideways"}"#.into());
        assert!(matches!(back, AppError::Request { .. }), "{back:?}");
    }

    #[test]
    fn field_message_only_for_its_field() {
        let err = AppError::validation("email", "Enter an email");
        assert_eq!(
            err.field_message("email").as_deref(),
            Some("Enter an email")
        );
        assert_eq!(err.field_message("username"), None);
    }
}
