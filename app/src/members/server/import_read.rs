//! Import CSV, reading a file: the upload read as it arrives (never held whole: a few
//! chunks and a few batches of a thousand rows or a megabyte are in memory at once), parsed
//! on a blocking thread, each batch checked against the clinic's members and kept as the
//! preview's plan
//! ([`super::import_rows`]). Nothing is written to any member here; the admin's Import
//! does that ([`super::import_work`]).
//!
//! A file too large, not UTF-8, binary, or with a header that lacks a required column is
//! refused whole, with why, and keeps nothing of its rows.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::Multipart;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect,
};
use tokio::sync::mpsc;

use super::import_cells::{Cells, Columns};
use super::import_parse::{Chunks, EMPTY, Parsed, parse};
use super::import_rows::{Check, Planned, Seen, plan_row, rooms_by_code};
use crate::accounts::store::active_rooms;
use crate::auth::session::SessionUser;
use crate::db::now_ms;
use crate::entities::{member_import, member_import_row, room, user};
use crate::error::AppError;
use crate::members::import::{EarlyRefusal, MAX_FILE_BYTES, plan, states};
use crate::state::AppState;

/// Files one server reads at once.
pub const AT_ONCE: usize = 1;
/// How long an upload may send nothing before it is cut.
const IDLE: std::time::Duration = std::time::Duration::from_secs(30);
const CUT: &str = "The file did not arrive whole. Choose it again.";

/// How an upload ended.
enum Received {
    /// Read and previewed, or refused whole: its page says which.
    Import { id: i64, refusal: Option<String> },
    /// Refused before its rows were read.
    Early(EarlyRefusal),
}

/// The import form's upload (`POST /admin/users/import.csv`, multipart: `room`, `welcome`, then
/// `file`). A browser's form post is sent on to the import's page (or back to the form,
/// with why); any other caller gets the status: 201, or 4xx with the message.
pub async fn import_csv(
    state: AppState,
    headers: &HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let navigate = headers
        .get("sec-fetch-mode")
        .is_some_and(|v| v.as_bytes() == b"navigate");
    let see = |to: String| (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response();
    match receive(&state, headers, multipart).await {
        Ok(Received::Import { id, refusal }) => {
            let page = format!("/admin/import/{id}");
            match refusal {
                _ if navigate => see(page),
                None => (StatusCode::CREATED, [(header::LOCATION, page)]).into_response(),
                Some(message) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    [(header::LOCATION, page)],
                    message,
                )
                    .into_response(),
            }
        }
        Ok(Received::Early(refusal)) if navigate => see(format!(
            "{}?refused={}",
            crate::members::import::FORM_PATH,
            refusal.key()
        )),
        Ok(Received::Early(refusal)) => {
            let status = match refusal {
                EarlyRefusal::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                EarlyRefusal::Busy => StatusCode::SERVICE_UNAVAILABLE,
                EarlyRefusal::NoFile | EarlyRefusal::NoRoom => StatusCode::BAD_REQUEST,
            };
            (status, refusal.message()).into_response()
        }
        Err(err) => {
            let status =
                StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, err.to_string()).into_response()
        }
    }
}

async fn receive(
    state: &AppState,
    headers: &HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Received, AppError> {
    // An admin only, into their own clinics, from Frontdesk's own pages.
    let me = super::export::admin_of(state, headers).await?;
    if crate::auth::guard::started_elsewhere(headers) {
        return Err(AppError::Forbidden);
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // The form's other fields and the multipart framing add a little to the file.
    if declared.is_some_and(|n| n > MAX_FILE_BYTES + 64 * 1024) {
        return Ok(Received::Early(EarlyRefusal::TooLarge));
    }
    let Ok(mut multipart) = multipart else {
        return Ok(Received::Early(EarlyRefusal::NoFile));
    };
    let mut room: Option<room::Model> = None;
    let mut welcome = false;
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("room") => {
                let id = field.text().await.ok().and_then(|t| t.trim().parse().ok());
                room = match id {
                    Some(id) => room_of(&state.db, &me, id).await?,
                    None => None,
                };
            }
            Some("welcome") => welcome = field.text().await.is_ok_and(|t| !t.is_empty()),
            Some("file") => {
                let Some(room) = room else {
                    return Ok(Received::Early(EarlyRefusal::NoRoom));
                };
                let file_name: String = field
                    .file_name()
                    .unwrap_or("members.csv")
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect();
                if file_name.is_empty() {
                    return Ok(Received::Early(EarlyRefusal::NoFile));
                }
                let Ok(_permit) = state.imports.clone().try_acquire_owned() else {
                    return Ok(Received::Early(EarlyRefusal::Busy));
                };
                let import = begin(&state.db, &me, &room, &file_name, welcome).await?;
                // Nothing half-read stays: not after an error, nor when the request is
                // dropped halfway (the client gone, the deadline passed).
                let unfinished = Unfinished {
                    db: state.db.clone(),
                    id: Some(import.id),
                };
                let refusal = read_file(&state.db, &import, &room, field).await?;
                unfinished.done();
                return Ok(Received::Import {
                    id: import.id,
                    refusal,
                });
            }
            _ => {}
        }
    }
    Ok(Received::Early(if room.is_none() {
        EarlyRefusal::NoRoom
    } else {
        EarlyRefusal::NoFile
    }))
}

/// An import whose file is being read: deleted, with its rows, unless the reading ends.
struct Unfinished {
    db: DatabaseConnection,
    id: Option<i64>,
}

impl Unfinished {
    fn done(mut self) {
        self.id = None;
    }
}

impl Drop for Unfinished {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            let db = self.db.clone();
            tokio::spawn(async move {
                if let Err(err) = member_import::Entity::delete_by_id(id).exec(&db).await {
                    tracing::warn!(import = id, error = %err, "unfinished import not deleted");
                }
            });
        }
    }
}

/// The open room `id` of one of the admin's clinics.
async fn room_of(
    db: &DatabaseConnection,
    me: &SessionUser,
    id: i64,
) -> Result<Option<room::Model>, AppError> {
    Ok(room::Entity::find_by_id(id)
        .filter(room::Column::ClinicId.is_in(me.admin_of.clone()))
        .filter(room::Column::Active.eq(true))
        .one(db)
        .await?)
}

/// The import's row, while its file is read.
async fn begin(
    db: &DatabaseConnection,
    me: &SessionUser,
    room: &room::Model,
    file_name: &str,
    welcome: bool,
) -> Result<member_import::Model, AppError> {
    Ok(member_import::ActiveModel {
        actor_user_id: Set(me.user_id),
        clinic_id: Set(room.clinic_id),
        room_id: Set(Some(room.id)),
        file_name: Set(file_name.to_owned()),
        welcome: Set(welcome),
        state: Set(states::READING.to_owned()),
        created_at: Set(now_ms()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Reads the file into the import's plan; returns why the file was refused, if it was.
async fn read_file(
    db: &DatabaseConnection,
    import: &member_import::Model,
    room: &room::Model,
    mut field: axum::extract::multipart::Field<'_>,
) -> Result<Option<String>, AppError> {
    let (chunk_tx, chunk_rx) = mpsc::channel::<Result<Bytes, ()>>(4);
    let (rows_tx, rows_rx) = mpsc::channel::<Parsed>(2);
    let parser = tokio::task::spawn_blocking(move || {
        parse(
            Chunks {
                rx: chunk_rx,
                current: Bytes::new(),
            },
            &rows_tx,
        );
    });
    // The upload, chunk by chunk, to the parser: cut at the limit. Once the parser has
    // stopped (it has said why), the rest is read and dropped, so that a browser still
    // sending gets the answer rather than a closed connection.
    let pump = async move {
        let mut tx = Some(chunk_tx);
        let mut size = 0_u64;
        loop {
            let chunk = match tokio::time::timeout(IDLE, field.chunk()).await {
                Ok(Ok(Some(chunk))) => chunk,
                Ok(Ok(None)) => return Ok(()),
                Ok(Err(_)) | Err(_) => {
                    if let Some(tx) = &tx {
                        let _ = tx.send(Err(())).await;
                    }
                    return Err(CUT.to_owned());
                }
            };
            size += chunk.len() as u64;
            if size > MAX_FILE_BYTES {
                if let Some(tx) = &tx {
                    let _ = tx.send(Err(())).await;
                }
                return Err(EarlyRefusal::TooLarge.message());
            }
            if let Some(sender) = &tx
                && sender.send(Ok(chunk)).await.is_err()
            {
                tx = None;
            }
        }
    };
    let rooms = rooms_by_code(&active_rooms(db, import.clinic_id).await?);
    // Owns the parser's channel: when it stops early (a refused header), the parser's
    // next hand-over fails and the parser stops too.
    let stage = async move {
        let mut rows_rx = rows_rx;
        let mut columns: Option<Columns> = None;
        let mut seen = Seen::default();
        while let Some(parsed) = rows_rx.recv().await {
            match parsed {
                Parsed::Header(names) => match Columns::read(&names) {
                    Ok(c) => columns = Some(c),
                    Err(message) => return Ok(Staged::refused(message)),
                },
                Parsed::Rows(rows) => {
                    let Some(columns) = &columns else {
                        return Ok(Staged::refused(EMPTY.to_owned()));
                    };
                    keep_rows(db, import, room, &rooms, columns, &mut seen, rows).await?;
                }
                Parsed::Refused(message) => return Ok(Staged::refused(message)),
            }
        }
        Ok::<_, AppError>(match columns {
            Some(c) => Staged {
                refusal: None,
                ignored: c.ignored,
            },
            None => Staged::refused(EMPTY.to_owned()),
        })
    };
    let (pumped, staged) = tokio::join!(pump, stage);
    let _ = parser.await;
    let staged = staged?;
    // A cut upload or a file past the limit says so, whatever the parser made of it; the
    // parser stops without a word only when the upload was cut.
    let refusal = match (pumped, staged.refusal) {
        (Err(message), _) => Some(message),
        (Ok(()), Some(message)) if message.is_empty() => Some(CUT.to_owned()),
        (Ok(()), refusal) => refusal,
    };
    match &refusal {
        Some(message) => refuse(db, import.id, message).await?,
        None => previewed(db, import.id, &staged.ignored).await?,
    }
    Ok(refusal)
}

/// What reading a file came to.
struct Staged {
    refusal: Option<String>,
    ignored: Vec<String>,
}

impl Staged {
    fn refused(message: String) -> Self {
        Self {
            refusal: Some(message),
            ignored: Vec::new(),
        }
    }
}

/// Checks a thousand rows and keeps their plan. A row repeating one kept earlier rejects
/// that one too.
async fn keep_rows(
    db: &DatabaseConnection,
    import: &member_import::Model,
    room: &room::Model,
    rooms: &HashMap<String, i64>,
    columns: &Columns,
    seen: &mut Seen,
    rows: Vec<(u64, Vec<String>)>,
) -> Result<(), AppError> {
    let cells: Vec<Cells> = rows
        .iter()
        .map(|(line, raw)| Cells::of(columns, *line, raw))
        .collect();
    let usernames: Vec<String> = cells.iter().filter_map(Cells::username_key).collect();
    let emails: Vec<String> = cells.iter().filter_map(Cells::email_key).collect();
    let by_username: HashMap<String, user::Model> = user::Entity::find()
        .filter(user::Column::UsernameLower.is_in(usernames))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.username_lower.clone(), u))
        .collect();
    let by_email: HashMap<String, user::Model> = user::Entity::find()
        .filter(user::Column::ClinicId.eq(import.clinic_id))
        .filter(user::Column::EmailLower.is_in(emails))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.email_lower.clone(), u))
        .collect();
    let check = Check {
        clinic_id: import.clinic_id,
        default_room: Some(room.id),
        rooms,
        by_username: &by_username,
        by_email: &by_email,
    };
    let mut planned: Vec<Planned> = Vec::with_capacity(cells.len());
    let mut earlier = Vec::new();
    for c in &cells {
        let (p, late) = plan_row(&check, seen, c);
        planned.push(p);
        for (line, message) in late {
            match planned.iter_mut().find(|p| p.line == line) {
                Some(p) => p.reject(message),
                None => earlier.push((line, message)),
            }
        }
    }
    note_possible_duplicates(db, import.clinic_id, &mut planned).await?;
    let models = planned
        .into_iter()
        .map(|p| kept_row(import.id, p))
        .collect::<Result<Vec<_>, _>>()?;
    let txn = crate::db::write_txn(db).await?;
    member_import_row::Entity::insert_many(models)
        .exec(&txn)
        .await?;
    for (line, message) in earlier {
        let messages = serde_json::to_string(&[message]).map_err(AppError::internal)?;
        member_import_row::Entity::update_many()
            .col_expr(member_import_row::Column::Plan, Expr::val(plan::REJECTED))
            .col_expr(member_import_row::Column::Messages, Expr::val(messages))
            .col_expr(
                member_import_row::Column::Data,
                Expr::val(Option::<String>::None),
            )
            .col_expr(
                member_import_row::Column::UserId,
                Expr::val(Option::<i64>::None),
            )
            .filter(member_import_row::Column::ImportId.eq(import.id))
            .filter(member_import_row::Column::Line.eq(line as i64))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Notes on each new member's row the clinic's members it may duplicate ("Possible
/// duplicate"): the preview lists them, and the import audits each as created anyway.
async fn note_possible_duplicates(
    db: &DatabaseConnection,
    clinic_id: i64,
    planned: &mut [Planned],
) -> Result<(), AppError> {
    let profiles: Vec<(u64, crate::accounts::profile::ValidProfile)> = planned
        .iter()
        .filter(|p| p.plan == plan::CREATE)
        .filter_map(|p| {
            let data = p.data.as_ref()?;
            super::import_rows::validated(&data.profile, &mut Vec::new()).map(|v| (p.line, v))
        })
        .collect();
    if profiles.is_empty() {
        return Ok(());
    }
    let found = super::possible_duplicates::find_each(db, clinic_id, &profiles).await?;
    for p in planned.iter_mut() {
        if let Some(ids) = found.get(&p.line) {
            p.messages = vec![super::possible_duplicates::import_note(ids)];
        }
    }
    Ok(())
}

/// A planned row as kept.
fn kept_row(import_id: i64, p: Planned) -> Result<member_import_row::ActiveModel, AppError> {
    let data = p
        .data
        .map(|d| serde_json::to_string(&d))
        .transpose()
        .map_err(AppError::internal)?;
    let messages = (!p.messages.is_empty())
        .then(|| serde_json::to_string(&p.messages))
        .transpose()
        .map_err(AppError::internal)?;
    Ok(member_import_row::ActiveModel {
        import_id: Set(import_id),
        line: Set(p.line as i64),
        plan: Set(p.plan.to_owned()),
        user_id: Set(p.user_id),
        version: Set(p.version),
        data: Set(data),
        messages: Set(messages),
        outcome: Set(None),
    })
}

/// The file refused whole: none of its rows kept.
async fn refuse(db: &DatabaseConnection, id: i64, message: &str) -> Result<(), AppError> {
    let txn = crate::db::write_txn(db).await?;
    member_import_row::Entity::delete_many()
        .filter(member_import_row::Column::ImportId.eq(id))
        .exec(&txn)
        .await?;
    member_import::Entity::update_many()
        .col_expr(member_import::Column::State, Expr::val(states::REFUSED))
        .col_expr(member_import::Column::Refusal, Expr::val(message))
        .filter(member_import::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Every row checked: the plan's counts, and the import waits for the admin.
async fn previewed(db: &DatabaseConnection, id: i64, ignored: &[String]) -> Result<(), AppError> {
    let counts: HashMap<String, i64> = member_import_row::Entity::find()
        .select_only()
        .column(member_import_row::Column::Plan)
        .column_as(Expr::col(member_import_row::Column::Line).count(), "n")
        .filter(member_import_row::Column::ImportId.eq(id))
        .group_by(member_import_row::Column::Plan)
        .into_tuple::<(String, i64)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let count = |p: &str| counts.get(p).copied().unwrap_or(0);
    let flagged = member_import_row::Entity::find()
        .filter(member_import_row::Column::ImportId.eq(id))
        .filter(member_import_row::Column::Plan.eq(plan::CREATE))
        .filter(member_import_row::Column::Messages.is_not_null())
        .count(db)
        .await?;
    let ignored = serde_json::to_string(ignored).map_err(AppError::internal)?;
    member_import::Entity::update_many()
        .col_expr(member_import::Column::State, Expr::val(states::PREVIEWED))
        .col_expr(member_import::Column::IgnoredColumns, Expr::val(ignored))
        .col_expr(
            member_import::Column::Total,
            Expr::val(counts.values().sum::<i64>()),
        )
        .col_expr(
            member_import::Column::ToCreate,
            Expr::val(count(plan::CREATE)),
        )
        .col_expr(
            member_import::Column::ToUpdate,
            Expr::val(count(plan::UPDATE)),
        )
        .col_expr(
            member_import::Column::ToKeep,
            Expr::val(count(plan::UNCHANGED)),
        )
        .col_expr(
            member_import::Column::ToReject,
            Expr::val(count(plan::REJECTED)),
        )
        .col_expr(member_import::Column::ToFlag, Expr::val(flagged as i64))
        .filter(member_import::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
