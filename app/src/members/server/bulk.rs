//! Actions on many members at once, as the users page asks for them: counted first
//! ([`prepare`]), then confirmed ([`confirm`]) and worked through in the background
//! ([`super::bulk_work`]), its progress read by [`progress`].
//!
//! The action's members are fixed when it is chosen: picked members with the versions they
//! had then; a whole view by its query, listed with their versions once confirmed. A member
//! changed by someone else after that is reported and left alone.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::bulk_work::states;
use super::page_plan::plan_for;
use super::users_table::{capped_count, filtered};
use crate::audit::{self, Action, Change};
use crate::auth::guard::Admin;
use crate::db::now_ms;
use crate::entities::{bulk_action, bulk_action_item, clinic, room, user};
use crate::error::AppError;
use crate::members::UsersQuery;
use crate::members::bulk::{
    BulkKind, BulkLine, BulkMember, BulkPrepared, BulkProgress, BulkScope, MAX_PICKED,
    members_count, outcome,
};
use crate::state::AppState;
use crate::text::format_time;

/// How long a counted action waits for its confirmation.
pub const CONFIRM_WITHIN_MS: i64 = 60 * 60 * 1000;

/// How long a done action's result (its members' outcomes) stays to be read.
pub const KEEP_DONE_MS: i64 = 30 * 86_400_000;

/// The room an action names, when it is one of the admin's clinics' (and, to add members
/// to, open).
async fn room_for(
    db: &impl ConnectionTrait,
    admin: &Admin,
    kind: BulkKind,
    room_id: Option<i64>,
) -> Result<Option<room::Model>, AppError> {
    if !kind.needs_room() {
        return Ok(None);
    }
    let refuse = || AppError::validation("room", "Choose a room of your clinic.");
    let room = room::Entity::find_by_id(room_id.ok_or_else(refuse)?)
        .filter(room::Column::ClinicId.is_in(admin.clinic_ids.clone()))
        .one(db)
        .await?
        .ok_or_else(refuse)?;
    if kind == BulkKind::AddRoom && !room.active {
        return Err(AppError::validation(
            "room",
            "This room is closed: reopen it on the Rooms page first.",
        ));
    }
    Ok(Some(room))
}

/// Counts the members of `scope` and keeps the action, waiting for the admin's confirmation.
#[tracing::instrument(skip_all, fields(actor = admin.user_id))]
pub async fn prepare(
    db: &DatabaseConnection,
    admin: &Admin,
    kind: &str,
    room_id: Option<i64>,
    scope: BulkScope,
) -> Result<BulkPrepared, AppError> {
    let kind = BulkKind::from_key(kind)
        .ok_or_else(|| AppError::validation("action", "Choose an action from the list."))?;
    let room = room_for(db, admin, kind, room_id).await?;
    let now = now_ms();
    let (count, picked, view_query, scope_words) = match scope {
        BulkScope::Picked(ids) => {
            if ids.len() > MAX_PICKED {
                return Err(AppError::validation(
                    "members",
                    "Select the members of one page at most, or all that match.",
                ));
            }
            let ids = crate::accounts::store::dedup(&ids);
            if ids.is_empty() {
                return Err(AppError::validation(
                    "members",
                    "Select at least one member.",
                ));
            }
            let found: Vec<(i64, i32)> = user::Entity::find()
                .select_only()
                .column(user::Column::Id)
                .column(user::Column::Version)
                .filter(user::Column::Id.is_in(ids))
                .filter(user::Column::ClinicId.is_in(admin.clinic_ids.clone()))
                .order_by_asc(user::Column::Id)
                .into_tuple()
                .all(db)
                .await?;
            if found.is_empty() {
                return Err(AppError::validation(
                    "members",
                    "The selected members are no longer there. Reload the page.",
                ));
            }
            let words = format!("{} selected", found.len());
            (found.len() as u64, found, None, words)
        }
        BulkScope::View(query) => {
            let parsed = query.parse()?;
            let counted = capped_count(db, &admin.clinic_ids, &parsed).await?;
            let plan = plan_for(&parsed, counted);
            let count = filtered(&admin.clinic_ids, &parsed, plan).count(db).await?;
            if count == 0 {
                return Err(AppError::validation(
                    "members",
                    "No members match this view.",
                ));
            }
            let json = serde_json::to_string(&query.first_page()).map_err(AppError::internal)?;
            // In words without the search's text, which may name a patient: the action
            // and its audit event outlive any member.
            let unsearched = UsersQuery {
                q: String::new(),
                ..query.clone()
            };
            let mut words = if unsearched.is_filtered() {
                format!(
                    "every member matching {}",
                    super::export::describe(&unsearched)
                )
            } else {
                "every user but guests".to_owned()
            };
            if !query.q.trim().is_empty() {
                words.push_str(" found by a search");
            }
            (count, Vec::new(), Some(json), words)
        }
    };
    // The column holds 400 characters; a long search is cut, in words only.
    let scope_words: String = scope_words.chars().take(380).collect();
    let txn = crate::db::write_txn(db).await?;
    let action = bulk_action::ActiveModel {
        actor_user_id: Set(admin.user_id),
        kind: Set(kind.key().to_owned()),
        room_id: Set(room.as_ref().map(|r| r.id)),
        view_query: Set(view_query),
        scope: Set(scope_words),
        state: Set(states::PREPARED.to_owned()),
        total: Set(count as i64),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if !picked.is_empty() {
        bulk_action_item::Entity::insert_many(picked.into_iter().map(|(id, version)| {
            bulk_action_item::ActiveModel {
                bulk_action_id: Set(action.id),
                user_id: Set(id),
                version: Set(version),
                outcome: Set(None),
            }
        }))
        .exec(&txn)
        .await?;
    }
    txn.commit().await?;
    let grace = clinic::Entity::find()
        .filter(clinic::Column::Id.is_in(admin.clinic_ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.delete_grace_days.max(1))
        .min()
        .unwrap_or(1);
    let room_name = room.map(|r| r.name).unwrap_or_default();
    let words = kind.words(count, &room_name);
    Ok(BulkPrepared {
        id: action.id,
        count,
        question: format!("{words}?"),
        consequence: kind.consequence(grace),
        confirm: words,
    })
}

/// The admin's own action `id`.
async fn own_action(
    db: &impl ConnectionTrait,
    admin: &Admin,
    id: i64,
) -> Result<bulk_action::Model, AppError> {
    bulk_action::Entity::find_by_id(id)
        .filter(bulk_action::Column::ActorUserId.eq(admin.user_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Starts the admin's counted action `id` in the background; audited as one event in each
/// of the admin's clinics (and each member's change as its own, as it is made).
#[tracing::instrument(skip_all, fields(actor = admin.user_id, bulk_action = id))]
pub async fn confirm(state: &AppState, admin: &Admin, id: i64) -> Result<i64, AppError> {
    let action = own_action(&state.db, admin, id).await?;
    let expired = || {
        AppError::validation(
            "confirm",
            "This action was not confirmed in time. Choose it again.",
        )
    };
    if action.state != states::PREPARED {
        // Confirmed already (a second click): it runs once.
        return Ok(id);
    }
    if action.created_at < now_ms() - CONFIRM_WITHIN_MS {
        return Err(expired());
    }
    let next = if action.view_query.is_some() {
        states::SELECTING
    } else {
        states::RUNNING
    };
    let txn = crate::db::write_txn(&state.db).await?;
    // A view's members are those there now: none who joins later is listed.
    let newest: Option<i64> = user::Entity::find()
        .select_only()
        .column_as(user::Column::Id.max(), "newest")
        .into_tuple()
        .one(&txn)
        .await?
        .flatten();
    let started = bulk_action::Entity::update_many()
        .col_expr(
            bulk_action::Column::State,
            sea_orm::sea_query::Expr::val(next),
        )
        .col_expr(
            bulk_action::Column::StartedAt,
            sea_orm::sea_query::Expr::val(now_ms()),
        )
        .col_expr(
            bulk_action::Column::LastMemberId,
            sea_orm::sea_query::Expr::val(newest.unwrap_or(0)),
        )
        .filter(bulk_action::Column::Id.eq(id))
        .filter(bulk_action::Column::State.eq(states::PREPARED))
        .exec(&txn)
        .await?;
    if started.rows_affected == 0 {
        return Ok(id);
    }
    let title = title_of(&txn, &action).await?;
    let changes = [
        Change::new("Action", "", title),
        Change::new("Members", "", action.scope.clone()),
        Change::new("Count", "", action.total.to_string()),
        Change::new(crate::audit::BULK_ACTION_FIELD, "", format!("#{id}")),
    ];
    for &clinic_id in &admin.clinic_ids {
        audit::service::record_clinic(&txn, clinic_id, admin.user_id, Action::BulkAction, &changes)
            .await?;
    }
    txn.commit().await?;
    tracing::info!(kind = %action.kind, total = action.total, "bulk action started");
    super::bulk_work::start(state.db.clone(), state.auth.public_url.clone(), id);
    Ok(id)
}

/// "Suspend", "Add to room: Vaccinations".
async fn title_of(
    db: &impl ConnectionTrait,
    action: &bulk_action::Model,
) -> Result<String, AppError> {
    let label = BulkKind::from_key(&action.kind).map_or("Bulk action", BulkKind::label);
    let Some(room_id) = action.room_id else {
        return Ok(label.to_owned());
    };
    let room = room::Entity::find_by_id(room_id).one(db).await?;
    Ok(match room {
        Some(r) => format!("{label}: {}", r.name),
        None => label.to_owned(),
    })
}

/// Members of action `id` with `outcome` (or, ending in `%`, any outcome it begins), the
/// first `limit` by ID, with their names.
async fn members_with(
    db: &impl ConnectionTrait,
    id: i64,
    pattern: &str,
    limit: u64,
) -> Result<Vec<(BulkMember, String)>, AppError> {
    let mut items =
        bulk_action_item::Entity::find().filter(bulk_action_item::Column::BulkActionId.eq(id));
    items = match pattern.strip_suffix('%') {
        Some(prefix) => items.filter(bulk_action_item::Column::Outcome.starts_with(prefix)),
        None => items.filter(bulk_action_item::Column::Outcome.eq(pattern)),
    };
    let items = items
        .order_by_asc(bulk_action_item::Column::UserId)
        .limit(limit)
        .all(db)
        .await?;
    let names = crate::accounts::store::names_of(db, items.iter().map(|i| i.user_id)).await?;
    Ok(items
        .into_iter()
        .map(|i| {
            let name = names.get(&i.user_id).cloned().unwrap_or_default();
            let why = i.outcome.unwrap_or_default();
            (
                BulkMember {
                    id: i.user_id,
                    name,
                },
                why,
            )
        })
        .collect())
}

/// Where the admin's action `id` stands.
pub async fn progress(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i64,
) -> Result<BulkProgress, AppError> {
    let action = own_action(db, admin, id).await?;
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    let conflicted = members_with(db, id, outcome::CONFLICT, 100)
        .await?
        .into_iter()
        .map(|(m, _)| m)
        .collect();
    let refused_members = members_with(db, id, "refused:%", 100)
        .await?
        .into_iter()
        .map(|(m, why)| (m, outcome::reason(&why).to_owned()))
        .collect();
    Ok(BulkProgress {
        id,
        title: title_of(db, &action).await?,
        scope: action.scope,
        state: action.state,
        total: count(action.total),
        done: count(action.done),
        changed: count(action.changed),
        unchanged: count(action.unchanged),
        conflicts: count(action.conflicts),
        refused: count(action.refused),
        gone: count(action.gone),
        created: format_time(action.created_at, &admin.zone),
        finished: action.finished_at.map(|at| format_time(at, &admin.zone)),
        conflicted,
        refused_members,
    })
}

/// Actions the users page lists: the admin's confirmed ones of the last day, newest first.
const RECENT_MS: i64 = 86_400_000;
const RECENT_AT_MOST: u64 = 3;

/// The admin's recent actions, newest first, with how far each is.
pub async fn recent(db: &DatabaseConnection, admin: &Admin) -> Result<Vec<BulkLine>, AppError> {
    let actions = bulk_action::Entity::find()
        .filter(bulk_action::Column::ActorUserId.eq(admin.user_id))
        .filter(bulk_action::Column::CreatedAt.gt(now_ms() - RECENT_MS))
        .filter(bulk_action::Column::State.ne(states::PREPARED))
        .order_by_desc(bulk_action::Column::Id)
        .limit(RECENT_AT_MOST)
        .all(db)
        .await?;
    let mut lines = Vec::with_capacity(actions.len());
    for action in actions {
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        let state = match action.state.as_str() {
            states::DONE => format!("done: {}", members_count(count(action.total))),
            states::FAILED => "stopped".to_owned(),
            _ => format!(
                "{} of {} done",
                crate::text::thousands(count(action.done)),
                members_count(count(action.total))
            ),
        };
        lines.push(BulkLine {
            id: action.id,
            title: title_of(db, &action).await?,
            state,
        });
    }
    Ok(lines)
}

/// Forgets actions never confirmed in time, and results older than [`KEEP_DONE_MS`] (their
/// members' rows go with them); returns how many.
pub async fn forget_old(db: &impl ConnectionTrait, now: i64) -> Result<u64, AppError> {
    let old = sea_orm::Condition::any()
        .add(
            sea_orm::Condition::all()
                .add(bulk_action::Column::State.eq(states::PREPARED))
                .add(bulk_action::Column::CreatedAt.lt(now - CONFIRM_WITHIN_MS)),
        )
        .add(
            sea_orm::Condition::all()
                .add(bulk_action::Column::State.is_in([states::DONE, states::FAILED]))
                .add(bulk_action::Column::FinishedAt.lt(now - KEEP_DONE_MS)),
        );
    Ok(bulk_action::Entity::delete_many()
        .filter(old)
        .exec(db)
        .await?
        .rows_affected)
}
