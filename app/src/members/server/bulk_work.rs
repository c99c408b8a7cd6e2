//! The background work of a confirmed bulk action: the view's members listed (an action on
//! every member of a view), then the members worked through in batches, each batch one
//! transaction that changes its members, audits each change, records each member's outcome
//! and moves the action's counters. A server stopped halfway leaves whole batches done or
//! not; whichever server next holds the action's lease goes on after the last batch done, so
//! no member is changed twice.
//!
//! A member is changed only when their version is still the one selected (else reported as
//! changed by someone else), in one of the actor's clinics today (else gone), and when the
//! action is allowed on them (else refused, with why).

use std::collections::HashMap;
use std::time::Duration;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, UpdateMany,
};

use super::bulk_changes::{apply, rooms_of, sort};
use super::users_table::{filtered, plan_for};
use crate::accounts::{Status, UserType};
use crate::db::now_ms;
use crate::entities::{bulk_action, bulk_action_item, clinic_admin, room, user};
use crate::error::AppError;
use crate::members::UsersQuery;
use crate::members::bulk::{BulkKind, outcome};

/// Members changed in one transaction.
const BATCH: u64 = 200;
/// Members of a view listed in one transaction.
const LIST_CHUNK: u64 = 2_000;
/// How long a server holds an action it works on without renewing its lease.
const LEASE_MS: i64 = 30_000;
/// The pause between batches, so other writers (sign-ins, saves) are not kept waiting.
const BREATHE: Duration = Duration::from_millis(5);
/// The version listed for a member saved after the action was confirmed: no member has it,
/// so they are reported as changed by someone else.
const SAVED_SINCE: i32 = -1;

/// Errors in a row after which an action stops for good (`failed`), rather than be taken
/// up again every minute.
const MAX_FAILURES: i32 = 5;

/// An action's states.
pub mod states {
    pub const PREPARED: &str = "prepared";
    pub const SELECTING: &str = "selecting";
    pub const RUNNING: &str = "running";
    pub const DONE: &str = "done";
    /// Stopped after errors in a row; what was done stays done.
    pub const FAILED: &str = "failed";
}

/// The view an action on every matching member was chosen for.
fn view_of(action: &bulk_action::Model) -> Result<Option<UsersQuery>, AppError> {
    action
        .view_query
        .as_deref()
        .map(|json| serde_json::from_str(json).map_err(AppError::internal))
        .transpose()
}

/// Works on action `id` in the background of this server. An error pauses it (another
/// server, or this one's next minute, takes it up after its lease) and is counted; the
/// fifth in a row stops it.
pub fn start(db: DatabaseConnection, public_url: String, id: i64) {
    tokio::spawn(async move {
        if let Err(err) = run(&db, &public_url, id).await {
            tracing::warn!(bulk_action = id, error = %err, "bulk action paused");
            if let Err(err) = count_failure(&db, id).await {
                tracing::warn!(bulk_action = id, error = %err, "bulk action failure not counted");
            }
        }
    });
}

/// `update` also giving up the action's lease: no server holds it now.
fn released(update: UpdateMany<bulk_action::Entity>) -> UpdateMany<bulk_action::Entity> {
    update
        .col_expr(
            bulk_action::Column::Runner,
            Expr::val(Option::<String>::None),
        )
        .col_expr(
            bulk_action::Column::LeaseUntil,
            Expr::val(Option::<i64>::None),
        )
}

/// Counts an error of action `id`, stopping it at [`MAX_FAILURES`].
async fn count_failure(db: &DatabaseConnection, id: i64) -> Result<(), AppError> {
    let txn = crate::db::write_txn(db).await?;
    released(bulk_action::Entity::update_many())
        .col_expr(
            bulk_action::Column::Failures,
            Expr::col(bulk_action::Column::Failures).add(1),
        )
        .filter(bulk_action::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    bulk_action::Entity::update_many()
        .col_expr(bulk_action::Column::State, Expr::val(states::FAILED))
        .col_expr(bulk_action::Column::FinishedAt, Expr::val(now_ms()))
        .col_expr(
            bulk_action::Column::ViewQuery,
            Expr::val(Option::<String>::None),
        )
        .filter(bulk_action::Column::Id.eq(id))
        .filter(bulk_action::Column::Failures.gte(MAX_FAILURES))
        .filter(bulk_action::Column::State.is_in([states::SELECTING, states::RUNNING]))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Takes up the actions no server is working on (their server stopped); returns how many.
pub async fn resume_abandoned(
    db: &DatabaseConnection,
    public_url: &str,
) -> Result<usize, AppError> {
    let ids: Vec<i64> = bulk_action::Entity::find()
        .select_only()
        .column(bulk_action::Column::Id)
        .filter(bulk_action::Column::State.is_in([states::SELECTING, states::RUNNING]))
        .filter(
            Condition::any()
                .add(bulk_action::Column::LeaseUntil.is_null())
                .add(bulk_action::Column::LeaseUntil.lt(now_ms())),
        )
        .into_tuple()
        .all(db)
        .await?;
    for &id in &ids {
        start(db.clone(), public_url.to_owned(), id);
    }
    Ok(ids.len())
}

/// Works on action `id` until it is done, or another server holds it.
pub async fn run(db: &DatabaseConnection, public_url: &str, id: i64) -> Result<(), AppError> {
    let runner = format!("{:016x}", rand::random::<u64>());
    while step(db, public_url, id, &runner).await? {
        tokio::time::sleep(BREATHE).await;
    }
    Ok(())
}

/// One transaction of work on action `id` under `runner`'s lease; whether more remains.
async fn step(
    db: &DatabaseConnection,
    public_url: &str,
    id: i64,
    runner: &str,
) -> Result<bool, AppError> {
    let txn = crate::db::write_txn(db).await?;
    let now = now_ms();
    let claimed = bulk_action::Entity::update_many()
        .col_expr(bulk_action::Column::Runner, Expr::val(runner))
        .col_expr(bulk_action::Column::LeaseUntil, Expr::val(now + LEASE_MS))
        .filter(bulk_action::Column::Id.eq(id))
        .filter(bulk_action::Column::State.is_in([states::SELECTING, states::RUNNING]))
        .filter(
            Condition::any()
                .add(bulk_action::Column::Runner.is_null())
                .add(bulk_action::Column::Runner.eq(runner))
                .add(bulk_action::Column::LeaseUntil.lt(now)),
        )
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        return Ok(false);
    }
    let action = bulk_action::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    // The actor's rights are read again at every step: an admin suspended, deleted or no
    // longer a Clinic Admin meanwhile changes no one more.
    let clinics = actor_clinics(&txn, action.actor_user_id).await?;
    let more = if clinics.is_empty() {
        finish(&txn, action.id).await?;
        false
    } else if action.state == states::SELECTING {
        list_chunk(&txn, &action, &clinics).await?
    } else {
        work_batch(&txn, public_url, &action, &clinics).await?
    };
    if action.failures > 0 {
        bulk_action::Entity::update_many()
            .col_expr(bulk_action::Column::Failures, Expr::val(0))
            .filter(bulk_action::Column::Id.eq(id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(more)
}

/// The clinics `actor` administers today: none unless they are still an active Clinic
/// Admin (as a session of theirs would find).
pub(super) async fn actor_clinics(
    db: &impl ConnectionTrait,
    actor: i64,
) -> Result<Vec<i64>, AppError> {
    let still_admin = user::Entity::find_by_id(actor)
        .filter(user::Column::Status.eq(Status::Active))
        .filter(user::Column::UserType.eq(UserType::ClinicAdmin))
        .count(db)
        .await?
        > 0;
    if !still_admin {
        return Ok(Vec::new());
    }
    Ok(clinic_admin::Entity::find()
        .select_only()
        .column(clinic_admin::Column::ClinicId)
        .filter(clinic_admin::Column::UserId.eq(actor))
        .into_tuple()
        .all(db)
        .await?)
}

/// Lists the next members of the action's view, with their versions; whether more remain.
///
/// The members are those of the view when the admin confirmed it: none who joined the
/// clinic since (their IDs are higher), and a member saved since is listed as changed by
/// someone else (a version no member has), so that one who came to match the view only
/// after it was confirmed is reported rather than changed.
async fn list_chunk(
    txn: &impl ConnectionTrait,
    action: &bulk_action::Model,
    clinics: &[i64],
) -> Result<bool, AppError> {
    let query = view_of(action)?.unwrap_or_default();
    let parsed = query.parse()?;
    let plan = plan_for(&parsed, u64::try_from(action.total).unwrap_or(0));
    let confirmed_at = action.started_at.unwrap_or(action.created_at);
    let rows: Vec<(i64, i32, i64)> = filtered(clinics, &parsed, plan)
        .filter(user::Column::Id.gt(action.done_through))
        .filter(user::Column::Id.lte(action.last_member_id.unwrap_or(0)))
        .order_by_asc(user::Column::Id)
        .limit(LIST_CHUNK)
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::Version)
        .column(user::Column::UpdatedAt)
        .into_tuple()
        .all(txn)
        .await?;
    let last = rows.last().map(|(id, _, _)| *id);
    let full = rows.len() as u64 == LIST_CHUNK;
    if !rows.is_empty() {
        bulk_action_item::Entity::insert_many(rows.into_iter().map(|(user_id, version, at)| {
            let version = if at > confirmed_at {
                SAVED_SINCE
            } else {
                version
            };
            bulk_action_item::ActiveModel {
                bulk_action_id: Set(action.id),
                user_id: Set(user_id),
                version: Set(version),
                outcome: Set(None),
            }
        }))
        .exec(txn)
        .await?;
    }
    let update = bulk_action::Entity::update_many().filter(bulk_action::Column::Id.eq(action.id));
    if full {
        update
            .col_expr(
                bulk_action::Column::DoneThrough,
                Expr::val(last.unwrap_or(0)),
            )
            .exec(txn)
            .await?;
        return Ok(true);
    }
    // Listed: the action is on exactly these members.
    let total = bulk_action_item::Entity::find()
        .filter(bulk_action_item::Column::BulkActionId.eq(action.id))
        .count(txn)
        .await?;
    // The view's query is not needed any more (its search may name someone).
    update
        .col_expr(
            bulk_action::Column::ViewQuery,
            Expr::val(Option::<String>::None),
        )
        .col_expr(bulk_action::Column::DoneThrough, Expr::val(0_i64))
        .col_expr(bulk_action::Column::Total, Expr::val(total as i64))
        .col_expr(bulk_action::Column::State, Expr::val(states::RUNNING))
        .exec(txn)
        .await?;
    Ok(true)
}

/// Changes the next batch of the action's members; whether more remain.
async fn work_batch(
    txn: &impl ConnectionTrait,
    public_url: &str,
    action: &bulk_action::Model,
    clinics: &[i64],
) -> Result<bool, AppError> {
    let kind = BulkKind::from_key(&action.kind)
        .ok_or_else(|| AppError::internal(format!("bulk action kind {}", action.kind)))?;
    let items = bulk_action_item::Entity::find()
        .filter(bulk_action_item::Column::BulkActionId.eq(action.id))
        .filter(bulk_action_item::Column::UserId.gt(action.done_through))
        .order_by_asc(bulk_action_item::Column::UserId)
        .limit(BATCH)
        .all(txn)
        .await?;
    let Some(last) = items.last().map(|i| i.user_id) else {
        finish(txn, action.id).await?;
        return Ok(false);
    };
    let ids: Vec<i64> = items.iter().map(|i| i.user_id).collect();
    // Locked (Postgres) until the batch commits, in ID order (two actions on the same
    // members wait for each other rather than deadlock): no save lands between the version
    // check and the change. SQLite's write transaction holds the database already.
    let members: HashMap<i64, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids.clone()))
        .filter(user::Column::ClinicId.is_in(clinics.to_vec()))
        .order_by_asc(user::Column::Id)
        .lock_exclusive()
        .all(txn)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let room = match action.room_id {
        Some(room_id) if kind.needs_room() => room::Entity::find_by_id(room_id).one(txn).await?,
        _ => None,
    };
    let rooms_of = rooms_of(txn, &ids).await?;
    let sorted = sort(kind, action, &items, &members, room.as_ref(), &rooms_of);
    apply(
        txn,
        public_url,
        kind,
        action,
        room.as_ref(),
        &sorted.changed,
    )
    .await?;
    let mut counts = HashMap::new();
    for (what, ids) in &sorted.outcomes {
        bulk_action_item::Entity::update_many()
            .col_expr(bulk_action_item::Column::Outcome, Expr::val(*what))
            .filter(bulk_action_item::Column::BulkActionId.eq(action.id))
            .filter(bulk_action_item::Column::UserId.is_in(ids.clone()))
            .exec(txn)
            .await?;
        let key = if what.starts_with("refused:") {
            "refused"
        } else {
            what
        };
        *counts.entry(key).or_insert(0_i64) += ids.len() as i64;
    }
    let add = |col: bulk_action::Column, key: &str| {
        (
            col,
            Expr::col(col).add(counts.get(key).copied().unwrap_or(0)),
        )
    };
    let mut update = bulk_action::Entity::update_many()
        .col_expr(bulk_action::Column::DoneThrough, Expr::val(last))
        .col_expr(
            bulk_action::Column::Done,
            Expr::col(bulk_action::Column::Done).add(items.len() as i64),
        );
    for (col, expr) in [
        add(bulk_action::Column::Changed, outcome::CHANGED),
        add(bulk_action::Column::Unchanged, outcome::UNCHANGED),
        add(bulk_action::Column::Conflicts, outcome::CONFLICT),
        add(bulk_action::Column::Refused, "refused"),
        add(bulk_action::Column::Gone, outcome::GONE),
    ] {
        update = update.col_expr(col, expr);
    }
    update
        .filter(bulk_action::Column::Id.eq(action.id))
        .exec(txn)
        .await?;
    Ok(true)
}

/// Marks action `id` done. Members it did not reach (deleted before their batch, whose
/// rows went with them, or left when the actor lost their rights) count as gone.
async fn finish(txn: &impl ConnectionTrait, id: i64) -> Result<(), AppError> {
    let not_reached =
        Expr::col(bulk_action::Column::Total).sub(Expr::col(bulk_action::Column::Done));
    released(bulk_action::Entity::update_many())
        .col_expr(
            bulk_action::Column::Gone,
            Expr::col(bulk_action::Column::Gone).add(not_reached),
        )
        .col_expr(
            bulk_action::Column::Done,
            Expr::col(bulk_action::Column::Total),
        )
        .col_expr(
            bulk_action::Column::ViewQuery,
            Expr::val(Option::<String>::None),
        )
        .col_expr(bulk_action::Column::State, Expr::val(states::DONE))
        .col_expr(bulk_action::Column::FinishedAt, Expr::val(now_ms()))
        .filter(bulk_action::Column::Id.eq(id))
        .exec(txn)
        .await?;
    tracing::info!(bulk_action = id, "bulk action done");
    Ok(())
}
