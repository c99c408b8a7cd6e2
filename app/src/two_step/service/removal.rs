//! Removing a member's second factor for them: a Clinic Admin's, for a lost phone, and the
//! server's command line's, for a clinic's only admin.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{Mail, account, changed, forget, is_on, lock_account, own_password};
use crate::audit::Change;
use crate::entities::{clinic, user};
use crate::error::AppError;
use crate::state::AppState;

/// A Clinic Admin removes member `member_id`'s second factor (a lost phone), after their
/// own password.
pub async fn remove_for_member(
    state: &AppState,
    admin: &crate::auth::guard::Admin,
    member_id: i64,
    password: &str,
) -> Result<(), AppError> {
    let (me, _) = account(&state.db, admin.user_id).await?;
    let member = user::Entity::find_by_id(member_id)
        .one(&state.db)
        .await?
        .filter(|m| admin.clinic_ids.contains(&m.clinic_id))
        .ok_or(AppError::NotFound)?;
    own_password(state, &me, "password", password).await?;
    if !is_on(&state.db, member.id).await? {
        return Err(AppError::Conflict {
            message: "This member has no second factor to remove.".to_owned(),
        });
    }
    let c = clinic::Entity::find_by_id(member.clinic_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let txn = crate::db::write_txn(&state.db).await?;
    lock_account(&txn, member.id).await?;
    forget(&txn, member.id).await?;
    let change = Change::new("Two-step sign-in", "On", "Removed by an admin");
    changed(&txn, &c, &member, admin.user_id, change, Mail::AllRemoved).await?;
    txn.commit().await?;
    tracing::info!(
        member_id = member.id,
        actor = admin.user_id,
        "second factor removed"
    );
    Ok(())
}

/// Turns off `username`'s two-step sign-in from the server's command line, for an account
/// no admin can help (the clinic's only admin lost their phone and codes). Audited as the
/// member's own change, and mailed. False when there was nothing to remove.
pub async fn remove_from_command_line(
    db: &sea_orm::DatabaseConnection,
    username: &str,
) -> Result<bool, AppError> {
    let Some(member) = user::Entity::find()
        .filter(user::Column::UsernameLower.eq(username.trim().to_lowercase()))
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    if !is_on(db, member.id).await? {
        return Ok(false);
    }
    let c = clinic::Entity::find_by_id(member.clinic_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let txn = crate::db::write_txn(db).await?;
    lock_account(&txn, member.id).await?;
    forget(&txn, member.id).await?;
    let change = Change::new(
        "Two-step sign-in",
        "On",
        "Removed from the server's command line",
    );
    changed(&txn, &c, &member, member.id, change, Mail::AllRemoved).await?;
    txn.commit().await?;
    tracing::info!(
        member_id = member.id,
        "second factor removed from the command line"
    );
    Ok(true)
}
