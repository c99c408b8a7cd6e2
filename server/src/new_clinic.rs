//! A new clinic and its first Clinic Admin, from the server's command line
//! (`frontdesk create-admin`): how a clinic starts on a Frontdesk of its own. The clinic
//! requires two-step sign-in of its Clinic Admins and Providers; its admin gets a welcome
//! email with a link to set their password, and sets up a second factor at first sign-in.

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use app::accounts::fields::person_name;
use app::accounts::{Status, UserType};
use app::audit::{self, Action, Change};
use app::db::now_ms;
use app::entities::{clinic_admin, user};
use app::validation::{Email, Username};

use crate::seed;

/// What `create-admin` was given.
pub struct NewClinic {
    pub clinic: String,
    pub email: String,
    pub first: String,
    pub last: String,
}

/// The clinic's name as typed, trimmed, or what is wrong with it.
fn clinic_name(text: &str) -> anyhow::Result<String> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 100 || text.chars().any(char::is_control) {
        anyhow::bail!("The clinic's name has 1 to 100 characters.");
    }
    Ok(text.to_owned())
}

/// Creates the clinic and its admin (username: the email address) in one transaction,
/// with the welcome email queued: the admin's ID.
pub async fn create_admin(
    db: &DatabaseConnection,
    public_url: &str,
    new: &NewClinic,
) -> anyhow::Result<i64> {
    let clinic_name = clinic_name(&new.clinic)?;
    let email = Email::parse(&new.email).map_err(anyhow::Error::msg)?;
    let username = Username::parse(email.as_str()).map_err(anyhow::Error::msg)?;
    // The same rules as the Profile form's, so the admin can save their own name later.
    let first = person_name(&new.first, "first name").map_err(anyhow::Error::msg)?;
    let last = person_name(&new.last, "last name").map_err(anyhow::Error::msg)?;
    let taken = user::Entity::find()
        .filter(user::Column::UsernameLower.eq(username.as_str().to_lowercase()))
        .one(db)
        .await?
        .is_some();
    if taken {
        anyhow::bail!("{} already has an account", username.as_str());
    }
    let txn = app::db::write_txn(db)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (clinic_id, _) = seed::insert_clinic(&txn, &clinic_name, &[], true).await?;
    let mut admin = seed::user_model(
        0,
        clinic_id,
        UserType::ClinicAdmin,
        username.as_str(),
        email.as_str(),
        &first,
        &last,
        Status::Active,
        now_ms(),
        None,
        None,
    );
    // A new ID from the database, never one a deleted member had (audit events and
    // visits outlive their members).
    admin.id = NotSet;
    // Confirmed by setting a password through the welcome link.
    admin.email_confirmed_at = Set(None);
    let admin = user::Entity::insert(admin)
        .exec_with_returning(&txn)
        .await?;
    clinic_admin::Entity::insert(clinic_admin::ActiveModel {
        user_id: Set(admin.id),
        clinic_id: Set(clinic_id),
    })
    .exec(&txn)
    .await?;
    app::auth::links::queue_link(
        &txn,
        public_url,
        &clinic_name,
        &admin,
        app::auth::tokens::Purpose::Welcome,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let changes = [
        Change::new("User Type", "", UserType::ClinicAdmin.label()),
        Change::new("Created by", "", "the server's command line"),
        Change::new("Welcome email", "", "sent"),
    ];
    audit::service::record(
        &txn,
        clinic_id,
        admin.id,
        admin.id,
        Action::Created,
        &changes,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    txn.commit().await?;
    tracing::info!(
        clinic_id,
        admin_id = admin.id,
        "clinic created from the command line"
    );
    Ok(admin.id)
}
