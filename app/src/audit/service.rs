//! Writing and reading audit events.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{
    AUDIT_PAGE_SIZE, Action, AuditPage, AuditQuery, AuditRow, Change, cursor, mask_date,
    mask_phone, parse_cursor,
};
use crate::accounts::profile::ValidProfile;
use crate::db::now_ms;
use crate::entities::{audit_event, user};
use crate::error::AppError;
use crate::text::format_time;

/// Writes one event; call it on the transaction that makes the change.
pub async fn record(
    db: &impl ConnectionTrait,
    clinic_id: i64,
    actor_user_id: i64,
    member_id: i64,
    action: Action,
    changes: &[Change],
) -> Result<(), AppError> {
    write(
        db,
        clinic_id,
        actor_user_id,
        Some(member_id),
        action,
        changes,
    )
    .await
}

/// Writes one event per member of `events` (`member_id`, its changes) in one statement: a
/// batch of changes made at once, each recorded as if made alone.
pub async fn record_many(
    db: &impl ConnectionTrait,
    clinic_id: i64,
    actor_user_id: Option<i64>,
    action: Action,
    events: &[(i64, Vec<Change>)],
) -> Result<(), AppError> {
    if events.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    let rows = events
        .iter()
        .map(|(member_id, changes)| {
            Ok(audit_event::ActiveModel {
                clinic_id: Set(clinic_id),
                actor_user_id: Set(actor_user_id),
                member_id: Set(Some(*member_id)),
                action: Set(action.as_db().to_owned()),
                changes: Set(serde_json::to_string(changes).map_err(AppError::internal)?),
                created_at: Set(now),
                ..Default::default()
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    audit_event::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Keeps the trail of a member who is being deleted, with their personal values masked
/// ([`super::forget_personal`]); call it in the deletion's transaction.
pub async fn forget_member(db: &impl ConnectionTrait, member_id: i64) -> Result<(), AppError> {
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::MemberId.eq(member_id))
        .all(db)
        .await?;
    for event in events {
        let mut changes: Vec<Change> = serde_json::from_str(&event.changes).unwrap_or_default();
        super::forget_personal(&mut changes);
        let masked = serde_json::to_string(&changes).map_err(AppError::internal)?;
        if masked != event.changes {
            audit_event::Entity::update_many()
                .col_expr(audit_event::Column::Changes, Expr::val(masked))
                .filter(audit_event::Column::Id.eq(event.id))
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

/// Writes one event about the clinic itself (no member).
pub async fn record_clinic(
    db: &impl ConnectionTrait,
    clinic_id: i64,
    actor_user_id: i64,
    action: Action,
    changes: &[Change],
) -> Result<(), AppError> {
    write(db, clinic_id, actor_user_id, None, action, changes).await
}

async fn write(
    db: &impl ConnectionTrait,
    clinic_id: i64,
    actor_user_id: i64,
    member_id: Option<i64>,
    action: Action,
    changes: &[Change],
) -> Result<(), AppError> {
    let changes = serde_json::to_string(changes).map_err(AppError::internal)?;
    // Written without reading the row back (which SQLite would do in a second statement).
    audit_event::Entity::insert(audit_event::ActiveModel {
        clinic_id: Set(clinic_id),
        actor_user_id: Set(Some(actor_user_id)),
        member_id: Set(member_id),
        action: Set(action.as_db().to_owned()),
        changes: Set(changes),
        created_at: Set(now_ms()),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// A page of events of `clinic_ids`, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    clinic_ids: &[i64],
    query: &AuditQuery,
    zone: &jiff::tz::TimeZone,
) -> Result<AuditPage, AppError> {
    let mut select = audit_event::Entity::find()
        .filter(audit_event::Column::ClinicId.is_in(clinic_ids.to_vec()));
    let member = query.member.trim();
    let member = member.strip_prefix("cmouser").unwrap_or(member);
    if !member.is_empty() {
        let id: i64 = member
            .parse()
            .map_err(|_| AppError::validation("member", "Enter a member's numeric ID."))?;
        select = select.filter(audit_event::Column::MemberId.eq(id));
    }
    if !query.action.is_empty() {
        let action = Action::from_db(&query.action)
            .ok_or_else(|| AppError::validation("action", "Choose an action from the list."))?;
        select = select.filter(audit_event::Column::Action.eq(action.as_db()));
    }
    if !query.before.is_empty() {
        let (at, id) = parse_cursor(&query.before)
            .ok_or_else(|| AppError::validation("before", "That page link is not valid."))?;
        select = select.filter(
            Expr::tuple([
                Expr::col(audit_event::Column::CreatedAt),
                Expr::col(audit_event::Column::Id),
            ])
            .lt(Expr::tuple([Expr::val(at), Expr::val(id)])),
        );
    }
    let mut events = select
        .order_by_desc(audit_event::Column::CreatedAt)
        .order_by_desc(audit_event::Column::Id)
        .limit(AUDIT_PAGE_SIZE + 1)
        .all(db)
        .await?;
    let next = if events.len() as u64 > AUDIT_PAGE_SIZE {
        events.truncate(AUDIT_PAGE_SIZE as usize);
        events.last().map(|e| cursor(e.created_at, e.id))
    } else {
        None
    };
    Ok(AuditPage {
        rows: rows(db, events, zone).await?,
        next,
    })
}

/// The newest events about one member (the Management tab's history).
pub async fn for_member(
    db: &impl ConnectionTrait,
    member_id: i64,
    limit: u64,
    zone: &jiff::tz::TimeZone,
) -> Result<Vec<AuditRow>, AppError> {
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::MemberId.eq(member_id))
        .order_by_desc(audit_event::Column::CreatedAt)
        .order_by_desc(audit_event::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    rows(db, events, zone).await
}

async fn rows(
    db: &impl ConnectionTrait,
    events: Vec<audit_event::Model>,
    zone: &jiff::tz::TimeZone,
) -> Result<Vec<AuditRow>, AppError> {
    let names =
        crate::accounts::store::names_of(db, events.iter().filter_map(|e| e.actor_user_id)).await?;
    Ok(events
        .into_iter()
        .filter_map(|e| {
            let action = Action::from_db(&e.action)?;
            let actor = match e.actor_user_id {
                Some(id) => names
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| format!("ID: {id}")),
                None => action.unattended_actor().to_owned(),
            };
            Some(AuditRow {
                id: e.id,
                at: format_time(e.created_at, zone),
                actor,
                member_id: e.member_id,
                action,
                changes: serde_json::from_str(&e.changes).unwrap_or_default(),
            })
        })
        .collect())
}

/// What changed between the stored profile and the saved one, masked where sensitive.
pub fn profile_changes(old: &user::Model, new: &ValidProfile) -> Vec<Change> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let phone = |v: &Option<String>| mask_phone(&text(v));
    let mut changes = Vec::new();
    let mut diff = |label: &str, from: String, to: String, shown: &dyn Fn(&str) -> String| {
        if from != to {
            changes.push(Change::new(label, shown(&from), shown(&to)));
        }
    };
    let plain = |s: &str| s.to_owned();
    diff(
        "Username",
        old.username.clone(),
        new.username.clone(),
        &plain,
    );
    diff(
        "First Name",
        old.first_name.clone(),
        new.first_name.clone(),
        &plain,
    );
    diff(
        "Last Name",
        old.last_name.clone(),
        new.last_name.clone(),
        &plain,
    );
    diff("Email", old.email.clone(), new.email.clone(), &plain);
    diff(
        "Date of Birth",
        text(&old.date_of_birth),
        text(&new.date_of_birth),
        &mask_date,
    );
    diff("Address", text(&old.address), text(&new.address), &plain);
    diff("City", text(&old.city), text(&new.city), &plain);
    diff("State", text(&old.state), text(&new.state), &plain);
    diff("Zip", text(&old.zip), text(&new.zip), &plain);
    diff("Country", old.country.clone(), new.country.clone(), &plain);
    diff("Phone", text(&old.phone), text(&new.phone), &|s| {
        phone(&Some(s.to_owned()))
    });
    diff(
        "Primary Care Physician Name",
        text(&old.pcp_name),
        text(&new.pcp_name),
        &plain,
    );
    diff(
        "Primary Care Physician Phone",
        text(&old.pcp_phone),
        text(&new.pcp_phone),
        &|s| phone(&Some(s.to_owned())),
    );
    diff(
        "Timezone",
        old.timezone.clone(),
        new.timezone.clone(),
        &plain,
    );
    changes
}
