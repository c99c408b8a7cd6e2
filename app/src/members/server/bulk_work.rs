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

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::bulk_changes::{apply, rooms_of, sort};
use super::leases::{self, Work};
use super::page_plan::plan_for;
use super::users_table::filtered;
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
/// The version listed for a member saved after the action was confirmed: no member has it,
/// so they are reported as changed by someone else.
const SAVED_SINCE: i32 = -1;

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

/// Bulk actions as background work held by one server at a time.
static WORK: Work = Work {
    table: "bulk_actions",
    what: "bulk_action",
    moving: &[states::SELECTING, states::RUNNING],
    failed: states::FAILED,
    forget_on_failure: &["view_query"],
};

/// Works on action `id` in the background of this server (see [`leases`]).
pub fn start(db: DatabaseConnection, public_url: String, id: i64) {
    leases::spawn(db, &WORK, id, move |db, runner| {
        let public_url = public_url.clone();
        async move { step(&db, &public_url, id, &runner).await }
    });
}

/// Takes up the actions no server is working on (their server stopped); returns how many.
pub async fn resume_abandoned(
    db: &DatabaseConnection,
    public_url: &str,
) -> Result<usize, AppError> {
    let ids = leases::abandoned(db, &WORK).await?;
    for &id in &ids {
        start(db.clone(), public_url.to_owned(), id);
    }
    Ok(ids.len())
}

/// Works on action `id` until it is done, or another server holds it.
pub async fn run(db: &DatabaseConnection, public_url: &str, id: i64) -> Result<(), AppError> {
    leases::run(db, &|db: DatabaseConnection, runner: String| {
        let public_url = public_url.to_owned();
        async move { step(&db, &public_url, id, &runner).await }
    })
    .await
}

/// One transaction of work on action `id` under `runner`'s lease; whether more remains.
async fn step(
    db: &DatabaseConnection,
    public_url: &str,
    id: i64,
    runner: &str,
) -> Result<bool, AppError> {
    let txn = crate::db::write_txn(db).await?;
    if !leases::claim(&txn, &WORK, id, runner).await? {
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
    bulk_action::Entity::update_many()
        .col_expr(
            bulk_action::Column::Runner,
            Expr::val(Option::<String>::None),
        )
        .col_expr(
            bulk_action::Column::LeaseUntil,
            Expr::val(Option::<i64>::None),
        )
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
