//! An account's life after creation: status, passwords, reset links, deletion, and the
//! background purge of accounts whose pending-delete grace period is over.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};

use super::edit::{find_member, reload};
use crate::accounts::profile::field;
use crate::accounts::store::{claim_version, policy_of, stale};
use crate::accounts::{Status, UserType};
use crate::audit::{self, Action, Change};
use crate::auth::guard::Admin;
use crate::auth::links::queue_link;
use crate::auth::passwords::{end_sessions, new_password_hash, store_password};
use crate::auth::tokens::{self, Purpose};
use crate::db::{DAY_MS, now_ms};
use crate::entities::{
    audit_event, clinic, clinic_admin, mail_outbox, password_history, password_token, session,
    signup, user, user_room, visit,
};
use crate::error::AppError;
use crate::members::types::{self, DeletePreview, MemberDetail};
use crate::state::AppState;

async fn clinic_of(db: &impl ConnectionTrait, u: &user::Model) -> Result<clinic::Model, AppError> {
    clinic::Entity::find_by_id(u.clinic_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// Saves the status from the Other tab. Suspended and Pending delete sign the member out
/// everywhere; Pending delete schedules the deletion after the clinic's grace period, and
/// Active (before then) cancels it with the account untouched.
#[tracing::instrument(skip_all, fields(member_id = id, actor = admin.user_id))]
pub async fn save_status(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i64,
    version: i32,
    status: &str,
) -> Result<MemberDetail, AppError> {
    let old = find_member(db, admin, id).await?;
    let Some(new_status) = Status::from_key(status) else {
        return Err(AppError::validation(
            "status",
            "Choose a status from the list.",
        ));
    };
    if id == admin.user_id && new_status != Status::Active {
        return Err(AppError::validation(
            "status",
            "You cannot suspend or delete your own account.",
        ));
    }
    stale(version, &old)?;
    let old_status = old.status;
    if old_status == new_status {
        return reload(db, admin, id).await;
    }
    let clinic = clinic_of(db, &old).await?;
    let delete_after = (new_status == Status::PendingDelete)
        .then(|| now_ms() + i64::from(clinic.delete_grace_days.max(1)) * DAY_MS);
    let mut am = user::ActiveModel {
        status: Set(new_status),
        delete_after: Set(delete_after),
        ..<user::ActiveModel as Default>::default()
    };
    if new_status == Status::Active {
        // Set Active again: the dormant-account policy counts from now.
        am.active_since = Set(Some(now_ms()));
        am.dormant_warned_at = Set(None);
    }
    let txn = crate::db::write_txn(db).await?;
    claim_version(&txn, id, version, am).await?;
    if new_status != Status::Active {
        end_sessions(&txn, id).await?;
        tokens::kill_all(&txn, id).await?;
    }
    let from = old_status.label();
    audit::service::record(
        &txn,
        old.clinic_id,
        admin.user_id,
        id,
        Action::StatusChanged,
        &[Change::new("Status", from, new_status.label())],
    )
    .await?;
    txn.commit().await?;
    tracing::info!(status = new_status.key(), "member status changed");
    reload(db, admin, id).await
}

/// The Set password row action.
#[tracing::instrument(skip_all, fields(member_id = id, actor = admin.user_id))]
pub async fn set_password(
    state: &AppState,
    admin: &Admin,
    id: i64,
    password: &str,
    confirm: &str,
    sign_out_everywhere: bool,
) -> Result<(), AppError> {
    let member = find_member(&state.db, admin, id).await?;
    if member.user_type == UserType::Guest {
        return Err(AppError::validation(
            field::PASSWORD,
            "A guest has no login to set a password for.",
        ));
    }
    let clinic = clinic_of(&state.db, &member).await?;
    let hash = new_password_hash(state, &member, &policy_of(&clinic), password, confirm).await?;
    let txn = crate::db::write_txn(&state.db).await?;
    store_password(&txn, id, hash, sign_out_everywhere).await?;
    let mut changes = vec![Change::new("Password", "", "set by an admin")];
    if sign_out_everywhere {
        changes.push(Change::new("Sessions", "", "signed out everywhere"));
    }
    audit::service::record(
        &txn,
        member.clinic_id,
        admin.user_id,
        id,
        Action::PasswordSet,
        &changes,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// "Send Reset Password Email": a 72-hour link, queued with its token in one transaction.
#[tracing::instrument(skip_all, fields(member_id = id, actor = admin.user_id))]
pub async fn send_reset(state: &AppState, admin: &Admin, id: i64) -> Result<(), AppError> {
    let member = find_member(&state.db, admin, id).await?;
    if member.user_type == UserType::Guest {
        return Err(AppError::validation(
            "reset",
            "A guest has no login to reset.",
        ));
    }
    let clinic = clinic_of(&state.db, &member).await?;
    let txn = crate::db::write_txn(&state.db).await?;
    queue_link(
        &txn,
        &state.auth.public_url,
        &clinic.name,
        &member,
        Purpose::AdminReset,
    )
    .await?;
    audit::service::record(
        &txn,
        member.clinic_id,
        admin.user_id,
        id,
        Action::ResetSent,
        &[Change::new("Reset email", "", "sent")],
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// What the Set password dialog shows.
pub async fn password_info(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i64,
) -> Result<types::PasswordInfo, AppError> {
    let member = find_member(db, admin, id).await?;
    let clinic = clinic_of(db, &member).await?;
    Ok(types::PasswordInfo {
        id,
        name: format!("{} {}", member.first_name, member.last_name),
        username: member.username,
        policy: policy_of(&clinic),
    })
}

/// What the delete confirmation shows.
pub async fn delete_preview(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i64,
) -> Result<DeletePreview, AppError> {
    let member = find_member(db, admin, id).await?;
    let visits = visit::Entity::find()
        .filter(visit::Column::UserId.eq(id))
        .count(db)
        .await?;
    Ok(DeletePreview {
        id,
        name: format!("{} {}", member.first_name, member.last_name),
        username: member.username,
        visits,
        is_self: id == admin.user_id,
    })
}

/// Removes the member and everything that carries their data, inside `txn`. The audit
/// trail keeps its events, personal values masked, and one more: the deletion. Returns
/// false when the member was already gone.
pub async fn erase(
    txn: &impl ConnectionTrait,
    member: &user::Model,
    actor: Option<i64>,
    reason: &str,
    only_if_due: bool,
) -> Result<bool, AppError> {
    let id = member.id;
    // The member's row first: the first write takes SQLite's write lock, and a second
    // deleter (another server's purge) finds nothing to do. The purge deletes only an
    // account still pending and due: an admin may have set Active meanwhile.
    let mut delete = user::Entity::delete_many().filter(user::Column::Id.eq(id));
    if only_if_due {
        delete = delete
            .filter(user::Column::Status.eq(Status::PendingDelete))
            .filter(user::Column::DeleteAfter.lte(now_ms()));
    }
    let gone = delete.exec(txn).await?;
    if gone.rows_affected == 0 {
        return Ok(false);
    }
    user_room::Entity::delete_many()
        .filter(user_room::Column::UserId.eq(id))
        .exec(txn)
        .await?;
    visit::Entity::delete_many()
        .filter(visit::Column::UserId.eq(id))
        .exec(txn)
        .await?;
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(id))
        .exec(txn)
        .await?;
    password_token::Entity::delete_many()
        .filter(password_token::Column::UserId.eq(id))
        .exec(txn)
        .await?;
    password_history::Entity::delete_many()
        .filter(password_history::Column::UserId.eq(id))
        .exec(txn)
        .await?;
    mail_outbox::Entity::delete_many()
        .filter(mail_outbox::Column::UserId.eq(id))
        .exec(txn)
        .await?;
    clinic_admin::Entity::delete_many()
        .filter(clinic_admin::Column::UserId.eq(id))
        .exec(txn)
        .await?;
    // An import waiting for its Import (or running) keeps no profile meant for them.
    crate::entities::member_import_row::Entity::update_many()
        .col_expr(
            crate::entities::member_import_row::Column::Data,
            sea_orm::sea_query::Expr::val(Option::<String>::None),
        )
        .filter(crate::entities::member_import_row::Column::UserId.eq(id))
        .exec(txn)
        .await?;
    // Sign-ups under the member's address: a confirmed one is gone already; any other
    // can no longer become anyone.
    crate::patients::service::forget_signups(
        txn,
        sea_orm::Condition::all()
            .add(signup::Column::ClinicId.eq(member.clinic_id))
            .add(
                sea_orm::Condition::any()
                    .add(signup::Column::UsernameLower.eq(member.username_lower.clone()))
                    .add(signup::Column::UsernameLower.eq(member.email_lower.clone())),
            ),
    )
    .await?;
    // The trail stays (who viewed and changed the member, and when), with the member's
    // personal values masked; the deletion itself says who deleted whom, by ID, and when.
    audit::service::forget_member(txn, id).await?;
    let changes = [Change::new("Reason", "", reason)];
    let changes = serde_json::to_string(&changes).map_err(AppError::internal)?;
    audit_event::ActiveModel {
        clinic_id: Set(member.clinic_id),
        actor_user_id: Set(actor),
        member_id: Set(Some(id)),
        action: Set(Action::Deleted.as_db().to_owned()),
        changes: Set(changes),
        created_at: Set(now_ms()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(true)
}

/// Delete (row action) and Disable And Remove Log In Detail: the admin confirms by typing
/// the member's username.
#[tracing::instrument(skip_all, fields(member_id = id, actor = admin.user_id))]
pub async fn delete(
    db: &DatabaseConnection,
    admin: &Admin,
    id: i64,
    confirm_username: &str,
) -> Result<(), AppError> {
    let member = find_member(db, admin, id).await?;
    if id == admin.user_id {
        return Err(AppError::validation(
            "confirm",
            "You cannot delete your own account.",
        ));
    }
    if !types::confirms_username(confirm_username, &member.username) {
        return Err(AppError::validation(
            "confirm",
            "Type the member's username exactly to confirm.",
        ));
    }
    let txn = crate::db::write_txn(db).await?;
    erase(
        &txn,
        &member,
        Some(admin.user_id),
        "deleted by an admin",
        false,
    )
    .await?;
    txn.commit().await?;
    tracing::info!("member deleted");
    Ok(())
}

/// Deletes every account whose pending-delete grace period is over; safe to run on several
/// servers at once and to run again. Returns how many it deleted.
pub async fn purge_due(db: &DatabaseConnection) -> Result<usize, AppError> {
    let due = user::Entity::find()
        .filter(user::Column::Status.eq(Status::PendingDelete))
        .filter(user::Column::DeleteAfter.lte(now_ms()))
        .limit(100)
        .all(db)
        .await?;
    let mut deleted = 0;
    for member in due {
        let txn = crate::db::write_txn(db).await?;
        if erase(
            &txn,
            &member,
            None,
            "pending delete: grace period over",
            true,
        )
        .await?
        {
            deleted += 1;
            tracing::info!(member_id = member.id, "pending-delete account removed");
        }
        txn.commit().await?;
    }
    Ok(deleted)
}
