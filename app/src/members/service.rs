//! The users table's queries: plain async functions over a database connection.

use std::collections::HashMap;

use sea_orm::sea_query::LikeExpr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::{MemberPage, MemberRow, RoomRef, Status, UserType, format_time};
use crate::entities::{room, user, user_room};
use crate::error::AppError;
use crate::text::fold;

/// Rows per page of the users table.
pub const PAGE_SIZE: u64 = 25;
/// Longest search accepted; longer input cannot match a stored name or email.
pub const MAX_QUERY_CHARS: usize = 254;

/// Escapes LIKE's metacharacters so user input only ever matches literally.
fn like_prefix(folded: &str) -> LikeExpr {
    let mut pattern = String::with_capacity(folded.len() + 1);
    for c in folded.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    LikeExpr::new(pattern).escape('\\')
}

/// A numeric ID or a portal ID ("cmouser21408246") in the search box.
fn id_in_query(folded: &str) -> Option<i64> {
    let digits = folded.strip_prefix("cmouser").unwrap_or(folded);
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The users of `clinic_ids` matching `query` (prefix of first, last or full name, email or
/// username, or an exact ID), newest sign-up first.
#[tracing::instrument(skip(db, query))]
pub async fn list(
    db: &impl ConnectionTrait,
    clinic_ids: &[i64],
    query: &str,
) -> Result<MemberPage, AppError> {
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::validation(
            "q",
            format!("Search for at most {MAX_QUERY_CHARS} characters."),
        ));
    }
    let folded = fold(query);
    let mut select = user::Entity::find().filter(user::Column::ClinicId.is_in(clinic_ids.to_vec()));
    if !folded.is_empty() {
        let mut any = Condition::any()
            .add(user::Column::SearchFirst.like(like_prefix(&folded)))
            .add(user::Column::SearchLast.like(like_prefix(&folded)))
            .add(user::Column::SearchFull.like(like_prefix(&folded)))
            .add(user::Column::EmailLower.like(like_prefix(&folded)))
            .add(user::Column::UsernameLower.like(like_prefix(&folded)));
        if let Some(id) = id_in_query(&folded) {
            any = any.add(user::Column::Id.eq(id));
        }
        select = select.filter(any);
    }
    let mut users = select
        .order_by_desc(user::Column::SignedUpAt)
        .order_by_desc(user::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(db)
        .await?;
    let has_more = users.len() as u64 > PAGE_SIZE;
    users.truncate(PAGE_SIZE as usize);
    let rooms = rooms_of(db, users.iter().map(|u| u.id).collect()).await?;
    let rows = users
        .into_iter()
        .map(|u| {
            let rooms = rooms.get(&u.id).cloned().unwrap_or_default();
            to_row(u, rooms)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(MemberPage { rows, has_more })
}

/// Each user's rooms, by name.
async fn rooms_of(
    db: &impl ConnectionTrait,
    user_ids: Vec<i64>,
) -> Result<HashMap<i64, Vec<RoomRef>>, AppError> {
    if user_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let links = user_room::Entity::find()
        .filter(user_room::Column::UserId.is_in(user_ids))
        .all(db)
        .await?;
    let room_ids: Vec<i64> = links.iter().map(|l| l.room_id).collect();
    let rooms: HashMap<i64, room::Model> = room::Entity::find()
        .filter(room::Column::Id.is_in(room_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let mut by_user: HashMap<i64, Vec<RoomRef>> = HashMap::new();
    for link in links {
        if let Some(r) = rooms.get(&link.room_id) {
            by_user.entry(link.user_id).or_default().push(RoomRef {
                name: r.name.clone(),
                code: r.code.clone(),
                slug: r.slug.clone(),
            });
        }
    }
    for list in by_user.values_mut() {
        list.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(by_user)
}

fn to_row(u: user::Model, rooms: Vec<RoomRef>) -> Result<MemberRow, AppError> {
    let user_type = UserType::from_db(&u.user_type)
        .ok_or_else(|| AppError::internal(format!("user {} has an unknown type", u.id)))?;
    let status = Status::from_db(&u.status)
        .ok_or_else(|| AppError::internal(format!("user {} has an unknown status", u.id)))?;
    Ok(MemberRow {
        id: u.id,
        first_name: u.first_name,
        last_name: u.last_name,
        username: u.username,
        email: u.email,
        user_type,
        status,
        last_login: u.last_login_at.map(format_time),
        signed_up: format_time(u.signed_up_at),
        rooms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_portal_ids_are_recognised() {
        assert_eq!(id_in_query("21408246"), Some(21408246));
        assert_eq!(id_in_query("cmouser21408246"), Some(21408246));
        assert_eq!(id_in_query("cmouser"), None);
        assert_eq!(id_in_query("jane"), None);
        assert_eq!(id_in_query("99999999999999999999999"), None);
    }
}
