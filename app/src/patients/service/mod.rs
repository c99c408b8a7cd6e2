//! The patient side's rules, on the server: which rooms let whom in, guests and their
//! visits, the queue, sign-ups and their confirmation, and the patient's own account.

use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::{RoomEntry, SignUpForm};
use crate::accounts::UserType;
use crate::accounts::choices;
use crate::accounts::store::policy_of;
use crate::auth::session::SessionUser;
use crate::entities::{clinic, room, user};
use crate::error::AppError;

mod account;
mod signups;
mod visits;

pub use account::*;
pub use signups::*;
pub use visits::*;

/// Visits' statuses as stored.
pub mod visit_status {
    pub const WAITING: &str = "waiting";
    pub const IN_PROGRESS: &str = "in_progress";
    pub const COMPLETED: &str = "completed";
    pub const LEFT: &str = "left";
    pub const NO_SHOW: &str = "no_show";

    /// A stored status as the Management tab and the patient's account page show it.
    pub fn label(status: &str) -> String {
        match status {
            WAITING => "Waiting",
            IN_PROGRESS => "In progress",
            COMPLETED => "Completed",
            LEFT => "Left",
            NO_SHOW => "No-show",
            other => other,
        }
        .to_owned()
    }
}

/// The room behind a link, with its clinic.
pub(super) async fn room_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<Option<(room::Model, clinic::Model)>, AppError> {
    let slug = slug.trim().to_lowercase();
    if slug.is_empty() || slug.len() > 64 {
        return Ok(None);
    }
    let Some(r) = room::Entity::find()
        .filter(room::Column::Slug.eq(slug))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(c) = clinic::Entity::find_by_id(r.clinic_id).one(db).await? else {
        return Ok(None);
    };
    Ok(Some((r, c)))
}

pub(super) fn entry_of(
    r: &room::Model,
    c: &clinic::Model,
    signed_in_as: Option<String>,
) -> RoomEntry {
    RoomEntry {
        slug: r.slug.clone(),
        name: r.name.clone(),
        clinic_name: c.name.clone(),
        open: r.active,
        guest_allowed: r.active && r.guest_allowed && c.guest_allowed,
        signup_allowed: r.active && r.signup_allowed && c.signup_allowed,
        signed_in_as,
    }
}

pub async fn room_entry(
    db: &DatabaseConnection,
    slug: &str,
    caller: Option<SessionUser>,
) -> Result<Option<RoomEntry>, AppError> {
    let Some((r, c)) = room_by_slug(db, slug).await? else {
        return Ok(None);
    };
    let mut signed_in_as = None;
    if let Some(me) = caller.filter(|me| me.user_type != UserType::Guest && me.clinic_id == c.id) {
        signed_in_as = user::Entity::find_by_id(me.user_id)
            .one(db)
            .await?
            .map(|u| format!("{} {}", u.first_name, u.last_name));
    }
    Ok(Some(entry_of(&r, &c, signed_in_as)))
}

pub async fn signup_form(
    db: &DatabaseConnection,
    slug: &str,
) -> Result<Option<SignUpForm>, AppError> {
    let Some((r, c)) = room_by_slug(db, slug).await? else {
        return Ok(None);
    };
    Ok(Some(SignUpForm {
        room: entry_of(&r, &c, None),
        policy: policy_of(&c),
        timezones: choices::timezones(),
    }))
}

/// Visits as the Management tab and the account page list them: when (in the reader's
/// `zone`), where, who saw the patient and for how long.
pub async fn visit_rows(
    db: &impl ConnectionTrait,
    visits: Vec<crate::entities::visit::Model>,
    room_name: impl Fn(i64) -> String,
    zone: &jiff::tz::TimeZone,
) -> Result<Vec<super::VisitRow>, AppError> {
    let providers =
        crate::accounts::store::names_of(db, visits.iter().filter_map(|v| v.started_by)).await?;
    Ok(visits
        .into_iter()
        .map(|v| super::VisitRow {
            at: crate::text::format_time(v.entered_at, zone),
            room: room_name(v.room_id),
            provider: v
                .started_by
                .map(|id| {
                    providers
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| format!("ID {id}"))
                })
                .unwrap_or_default(),
            duration: match (v.started_at, v.ended_at) {
                (Some(start), Some(end)) => crate::visits::minutes_between(start, end),
                _ => String::new(),
            },
            reason: v.reason,
            status: visit_status::label(&v.status),
        })
        .collect())
}
