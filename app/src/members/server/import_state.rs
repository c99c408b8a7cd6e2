//! Import CSV between the preview and the result: the admin's Import (started once, audited
//! in the clinic), where an import stands, and imports forgotten once old.

use sea_orm::sea_query::{Expr, ExprTrait, IntoCondition};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::audit::{self, Action, Change};
use crate::auth::guard::Admin;
use crate::db::now_ms;
use crate::entities::{clinic, member_import, member_import_row, room};
use crate::error::AppError;
use crate::members::import::{ImportLine, ImportProgress, plan, rows_count, states};
use crate::state::AppState;
use crate::text::format_time;

/// How long a preview waits for the admin's Import (and a refused file's page stays).
pub const IMPORT_WITHIN_MS: i64 = 60 * 60 * 1000;
/// How long an import's result (its rows' outcomes and messages) stays to be read.
pub const KEEP_DONE_MS: i64 = 30 * 86_400_000;
/// Rejected and conflicting rows listed on the page.
const LINES_SHOWN: u64 = 200;

/// The admin's import `id`, in one of their clinics.
async fn own_import(
    db: &impl ConnectionTrait,
    admin: &Admin,
    id: i64,
) -> Result<member_import::Model, AppError> {
    member_import::Entity::find_by_id(id)
        .filter(member_import::Column::ActorUserId.eq(admin.user_id))
        .filter(member_import::Column::ClinicId.is_in(admin.clinic_ids.clone()))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Starts the admin's previewed import `id` in the background; audited as one event in
/// its clinic (and each member's creation or change as its own, as it is written).
#[tracing::instrument(skip_all, fields(actor = admin.user_id, import = id))]
pub async fn start(state: &AppState, admin: &Admin, id: i64) -> Result<i64, AppError> {
    let import = own_import(&state.db, admin, id).await?;
    match import.state.as_str() {
        states::PREVIEWED => {}
        // Started already (a second click): it runs once.
        states::RUNNING | states::DONE | states::FAILED => return Ok(id),
        _ => {
            return Err(AppError::validation(
                "import",
                "This file was not read. Choose it again.",
            ));
        }
    }
    if import.created_at < now_ms() - IMPORT_WITHIN_MS {
        return Err(AppError::validation(
            "import",
            "This preview is over an hour old. Choose the file again.",
        ));
    }
    let txn = crate::db::write_txn(&state.db).await?;
    let started = member_import::Entity::update_many()
        .col_expr(member_import::Column::State, Expr::val(states::RUNNING))
        .col_expr(member_import::Column::StartedAt, Expr::val(now_ms()))
        .filter(member_import::Column::Id.eq(id))
        .filter(member_import::Column::State.eq(states::PREVIEWED))
        .exec(&txn)
        .await?;
    if started.rows_affected == 0 {
        return Ok(id);
    }
    let n = |v: i64| crate::text::thousands(u64::try_from(v).unwrap_or(0));
    // The file's name stays out of the trail: it may name a patient.
    let changes = [
        Change::new(
            "Rows",
            "",
            rows_count(u64::try_from(import.total).unwrap_or(0)),
        ),
        Change::new(
            "Plan",
            "",
            format!(
                "{} to create, {} to update, {} unchanged, {} rejected",
                n(import.to_create),
                n(import.to_update),
                n(import.to_keep),
                n(import.to_reject)
            ),
        ),
        Change::new(
            "Welcome email",
            "",
            if import.welcome { "sent" } else { "not sent" },
        ),
        Change::new(audit::IMPORT_FIELD, "", format!("#{id}")),
    ];
    audit::service::record_clinic(
        &txn,
        import.clinic_id,
        admin.user_id,
        Action::Imported,
        &changes,
    )
    .await?;
    txn.commit().await?;
    tracing::info!(rows = import.total, "import started");
    super::import_work::start(state.db.clone(), state.auth.public_url.clone(), id);
    Ok(id)
}

/// The first rows of import `id` that meet `which`, with their messages.
async fn lines(
    db: &impl ConnectionTrait,
    id: i64,
    which: sea_orm::Condition,
) -> Result<Vec<ImportLine>, AppError> {
    let rows: Vec<(i64, Option<String>)> = member_import_row::Entity::find()
        .select_only()
        .column(member_import_row::Column::Line)
        .column(member_import_row::Column::Messages)
        .filter(member_import_row::Column::ImportId.eq(id))
        .filter(which)
        .order_by_asc(member_import_row::Column::Line)
        .limit(LINES_SHOWN)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(import_line).collect())
}

/// A kept row's line and messages as the page shows them.
fn import_line((line, messages): (i64, Option<String>)) -> ImportLine {
    ImportLine {
        line: u64::try_from(line).unwrap_or(0),
        messages: messages
            .and_then(|m| serde_json::from_str(&m).ok())
            .unwrap_or_default(),
    }
}

/// Where the admin's import `id` stands.
pub async fn progress(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i64,
) -> Result<ImportProgress, AppError> {
    let import = own_import(db, admin, id).await?;
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    let clinic = clinic::Entity::find_by_id(import.clinic_id)
        .one(db)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    let room = match import.room_id {
        Some(room_id) => room::Entity::find_by_id(room_id)
            .one(db)
            .await?
            .map(|r| r.name)
            .unwrap_or_default(),
        None => String::new(),
    };
    use member_import_row::Column as Row;
    let rejected_lines = lines(db, id, Row::Plan.eq(plan::REJECTED).into_condition()).await?;
    // Rows to create that may duplicate a member of the clinic carry the note.
    let flagged_lines = if import.to_flag > 0 {
        let which = Row::Plan.eq(plan::CREATE).and(Row::Messages.is_not_null());
        lines(db, id, which.into_condition()).await?
    } else {
        Vec::new()
    };
    let conflict_lines = lines(db, id, Row::Outcome.eq(plan::CONFLICT).into_condition()).await?;
    Ok(ImportProgress {
        id,
        file_name: import.file_name,
        clinic,
        room,
        welcome: import.welcome,
        state: import.state,
        refusal: import.refusal,
        ignored: serde_json::from_str(&import.ignored_columns).unwrap_or_default(),
        total: count(import.total),
        to_create: count(import.to_create),
        to_update: count(import.to_update),
        to_keep: count(import.to_keep),
        to_reject: count(import.to_reject),
        to_flag: count(import.to_flag),
        done: count(import.done),
        created: count(import.created),
        updated: count(import.updated),
        unchanged: count(import.unchanged),
        rejected: count(import.rejected),
        conflicts: count(import.conflicts),
        rejected_lines,
        flagged_lines,
        conflict_lines,
        created_at: format_time(import.created_at, &admin.zone),
        finished: import.finished_at.map(|at| format_time(at, &admin.zone)),
    })
}

/// Forgets imports never started within the hour (and files refused), and results older
/// than [`KEEP_DONE_MS`] (their rows go with them); returns how many. The rows of an import
/// stopped by errors lose their fields.
pub async fn forget_old(db: &impl ConnectionTrait, now: i64) -> Result<u64, AppError> {
    let old = sea_orm::Condition::any()
        .add(
            sea_orm::Condition::all()
                .add(member_import::Column::State.is_in([
                    states::READING,
                    states::PREVIEWED,
                    states::REFUSED,
                ]))
                .add(member_import::Column::CreatedAt.lt(now - IMPORT_WITHIN_MS)),
        )
        .add(
            sea_orm::Condition::all()
                .add(member_import::Column::State.is_in([states::DONE, states::FAILED]))
                .add(member_import::Column::FinishedAt.lt(now - KEEP_DONE_MS)),
        );
    // An import stopped by errors keeps no row's fields either (its work ended there).
    let failed = sea_orm::sea_query::Query::select()
        .column(member_import::Column::Id)
        .from(member_import::Entity)
        .and_where(member_import::Column::State.eq(states::FAILED))
        .to_owned();
    member_import_row::Entity::update_many()
        .col_expr(
            member_import_row::Column::Data,
            Expr::val(Option::<String>::None),
        )
        .filter(member_import_row::Column::Data.is_not_null())
        .filter(member_import_row::Column::ImportId.in_subquery(failed))
        .exec(db)
        .await?;
    Ok(member_import::Entity::delete_many()
        .filter(old)
        .exec(db)
        .await?
        .rows_affected)
}
