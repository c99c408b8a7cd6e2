//! What a bulk action does to the members of one batch: which of them it changes and why
//! not the others ([`sort`]), and the change itself, each member's audited as if an admin
//! had made it alone ([`apply`]), as the single-member paths do it (Save User Status, Send
//! Reset Password Email, the Rooms tab).

use std::collections::{HashMap, HashSet};

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};

use crate::accounts::{Status, UserType};
use crate::audit::{Action, Change};
use crate::auth::tokens::Purpose;
use crate::db::{DAY_MS, now_ms};
use crate::entities::{audit_event, bulk_action, bulk_action_item, clinic, room, user, user_room};
use crate::error::AppError;
use crate::members::bulk::{BulkKind, outcome};

/// What a batch found its members to be.
pub(super) struct Sorted<'a> {
    pub(super) changed: Vec<&'a user::Model>,
    pub(super) outcomes: HashMap<&'static str, Vec<i64>>,
}

/// The rooms of each of `ids`.
pub(super) async fn rooms_of(
    txn: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, HashSet<i64>>, AppError> {
    let pairs: Vec<(i64, i64)> = user_room::Entity::find()
        .select_only()
        .column(user_room::Column::UserId)
        .column(user_room::Column::RoomId)
        .filter(user_room::Column::UserId.is_in(ids.to_vec()))
        .into_tuple()
        .all(txn)
        .await?;
    let mut rooms: HashMap<i64, HashSet<i64>> = HashMap::new();
    for (user_id, room_id) in pairs {
        rooms.entry(user_id).or_default().insert(room_id);
    }
    Ok(rooms)
}

/// What the action does to each item's member: change them, or why not.
pub(super) fn sort<'a>(
    kind: BulkKind,
    action: &bulk_action::Model,
    items: &[bulk_action_item::Model],
    members: &'a HashMap<i64, user::Model>,
    room: Option<&room::Model>,
    rooms_of: &HashMap<i64, HashSet<i64>>,
) -> Sorted<'a> {
    let mut sorted = Sorted {
        changed: Vec::new(),
        outcomes: HashMap::new(),
    };
    for item in items {
        let what = match members.get(&item.user_id) {
            None => outcome::GONE,
            Some(u) if u.version != item.version => outcome::CONFLICT,
            Some(u) => {
                let in_room = room.is_some_and(|r| {
                    rooms_of
                        .get(&u.id)
                        .is_some_and(|rooms| rooms.contains(&r.id))
                });
                let status_to = |s: Status| {
                    if u.id == action.actor_user_id && s != Status::Active {
                        outcome::OWN_ACCOUNT
                    } else if u.status == s {
                        outcome::UNCHANGED
                    } else {
                        outcome::CHANGED
                    }
                };
                match kind {
                    BulkKind::Suspend => status_to(Status::Suspended),
                    BulkKind::PendingDelete => status_to(Status::PendingDelete),
                    BulkKind::Reactivate => status_to(Status::Active),
                    BulkKind::SendReset if u.user_type == UserType::Guest => outcome::NO_LOGIN,
                    BulkKind::SendReset => outcome::CHANGED,
                    BulkKind::AddRoom => match room {
                        Some(r) if r.clinic_id != u.clinic_id => outcome::NOT_THEIR_CLINIC,
                        Some(_) if in_room => outcome::UNCHANGED,
                        Some(r) if !r.active => outcome::ROOM_CLOSED,
                        Some(_) => outcome::CHANGED,
                        None => outcome::GONE,
                    },
                    BulkKind::RemoveRoom => {
                        let rooms = rooms_of.get(&u.id).map_or(0, HashSet::len);
                        match room {
                            Some(_) if !in_room => outcome::UNCHANGED,
                            Some(_) if rooms <= 1 => outcome::LAST_ROOM,
                            Some(_) => outcome::CHANGED,
                            None => outcome::GONE,
                        }
                    }
                }
            }
        };
        if what == outcome::CHANGED
            && let Some(u) = members.get(&item.user_id)
        {
            sorted.changed.push(u);
        }
        sorted.outcomes.entry(what).or_default().push(item.user_id);
    }
    sorted
}

/// Makes the action's change to `members`, each audited as if an admin had made it alone.
pub(super) async fn apply(
    txn: &impl ConnectionTrait,
    public_url: &str,
    kind: BulkKind,
    action: &bulk_action::Model,
    room: Option<&room::Model>,
    members: &[&user::Model],
) -> Result<(), AppError> {
    if members.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = members.iter().map(|u| u.id).collect();
    let now = now_ms();
    let reference = Change::new(
        crate::audit::BULK_ACTION_FIELD,
        "",
        format!("#{}", action.id),
    );
    let (audit_action, changes): (Action, Vec<Vec<Change>>) = match kind {
        BulkKind::Suspend | BulkKind::PendingDelete | BulkKind::Reactivate => {
            let to = match kind {
                BulkKind::Suspend => Status::Suspended,
                BulkKind::PendingDelete => Status::PendingDelete,
                _ => Status::Active,
            };
            set_status(txn, members, to, now).await?;
            let changes = members
                .iter()
                .map(|u| vec![Change::new("Status", u.status.label(), to.label())])
                .collect();
            (Action::StatusChanged, changes)
        }
        BulkKind::SendReset => {
            let names = clinic_names(txn, members).await?;
            for u in members {
                let clinic = names.get(&u.clinic_id).map_or("", String::as_str);
                crate::auth::links::queue_link(txn, public_url, clinic, u, Purpose::AdminReset)
                    .await?;
            }
            let sent = vec![Change::new("Reset email", "", "sent")];
            (Action::ResetSent, vec![sent; members.len()])
        }
        BulkKind::AddRoom | BulkKind::RemoveRoom => {
            let room = room.ok_or(AppError::NotFound)?;
            if kind == BulkKind::AddRoom {
                user_room::Entity::insert_many(ids.iter().map(|&user_id| user_room::ActiveModel {
                    user_id: Set(user_id),
                    room_id: Set(room.id),
                    assigned_at: Set(now),
                }))
                .exec(txn)
                .await?;
            } else {
                user_room::Entity::delete_many()
                    .filter(user_room::Column::RoomId.eq(room.id))
                    .filter(user_room::Column::UserId.is_in(ids.clone()))
                    .exec(txn)
                    .await?;
            }
            next_versions(txn, &ids, now).await?;
            let change = if kind == BulkKind::AddRoom {
                Change::new("Rooms added", "", room.name.clone())
            } else {
                Change::new("Rooms removed", room.name.clone(), "")
            };
            (Action::RoomsChanged, vec![vec![change]; members.len()])
        }
    };
    let events = members.iter().zip(changes).map(|(u, mut changes)| {
        changes.push(reference.clone());
        let changes = serde_json::to_string(&changes).unwrap_or_else(|_| "[]".to_owned());
        audit_event::ActiveModel {
            clinic_id: Set(u.clinic_id),
            actor_user_id: Set(Some(action.actor_user_id)),
            member_id: Set(Some(u.id)),
            action: Set(audit_action.as_db().to_owned()),
            changes: Set(changes),
            created_at: Set(now),
            ..Default::default()
        }
    });
    audit_event::Entity::insert_many(events).exec(txn).await?;
    Ok(())
}

/// Each member's next version (a save against the old one is then told of the change).
async fn next_versions(txn: &impl ConnectionTrait, ids: &[i64], now: i64) -> Result<(), AppError> {
    user::Entity::update_many()
        .col_expr(user::Column::UpdatedAt, Expr::val(now))
        .col_expr(
            user::Column::Version,
            Expr::col(user::Column::Version).add(1),
        )
        .filter(user::Column::Id.is_in(ids.to_vec()))
        .exec(txn)
        .await?;
    Ok(())
}

/// Sets `members`' status to `to`, as the Other tab's Save User Status does: Pending delete
/// schedules each deletion after their clinic's grace period, and Suspended or Pending
/// delete signs each out everywhere and ends their links.
async fn set_status(
    txn: &impl ConnectionTrait,
    members: &[&user::Model],
    to: Status,
    now: i64,
) -> Result<(), AppError> {
    let mut by_clinic: HashMap<i64, Vec<i64>> = HashMap::new();
    for u in members {
        by_clinic.entry(u.clinic_id).or_default().push(u.id);
    }
    let grace: HashMap<i64, i32> = clinic::Entity::find()
        .filter(clinic::Column::Id.is_in(by_clinic.keys().copied().collect::<Vec<_>>()))
        .all(txn)
        .await?
        .into_iter()
        .map(|c| (c.id, Ord::max(c.delete_grace_days, 1)))
        .collect();
    for (clinic_id, ids) in &by_clinic {
        let delete_after = (to == Status::PendingDelete)
            .then(|| now + i64::from(grace.get(clinic_id).copied().unwrap_or(1)) * DAY_MS);
        user::Entity::update_many()
            .set(user::ActiveModel {
                status: Set(to),
                delete_after: Set(delete_after),
                updated_at: Set(now),
                // Set Active again: the dormant-account policy counts from now.
                active_since: if to == Status::Active {
                    Set(Some(now))
                } else {
                    sea_orm::ActiveValue::NotSet
                },
                dormant_warned_at: if to == Status::Active {
                    Set(None)
                } else {
                    sea_orm::ActiveValue::NotSet
                },
                ..<user::ActiveModel as Default>::default()
            })
            .col_expr(
                user::Column::Version,
                Expr::col(user::Column::Version).add(1),
            )
            .filter(user::Column::Id.is_in(ids.clone()))
            .exec(txn)
            .await?;
    }
    if to != Status::Active {
        let ids: Vec<i64> = members.iter().map(|u| u.id).collect();
        crate::auth::passwords::end_sessions_of(txn, &ids).await?;
        crate::auth::tokens::kill_all_of(txn, &ids).await?;
    }
    Ok(())
}

/// The names of `members`' clinics, for their emails.
async fn clinic_names(
    txn: &impl ConnectionTrait,
    members: &[&user::Model],
) -> Result<HashMap<i64, String>, AppError> {
    let ids: HashSet<i64> = members.iter().map(|u| u.clinic_id).collect();
    Ok(clinic::Entity::find()
        .filter(clinic::Column::Id.is_in(ids.into_iter().collect::<Vec<_>>()))
        .all(txn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect())
}
