//! Sign-up, its email confirmation, and sending the link again.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::super::{CONFIRM_HOURS, SignUpInput, words};
use super::{entry_of, room_by_slug};
use crate::accounts::choices::check_lists;
use crate::accounts::profile::ValidProfile;
use crate::accounts::store::{is_unique_violation, policy_of, rejected};
use crate::accounts::{Status, UserType};
use crate::audit::{self, Action, Change};
use crate::auth::session::{self, hash_token, new_token};
use crate::db::now_ms;
use crate::entities::{clinic, mail_outbox, password_history, room, signup, user, user_room};
use crate::error::AppError;
use crate::mail::{outbox, templates};
use crate::state::AppState;
use crate::text::fold;

/// An account that already answers to this email in the clinic, or to this username anywhere.
async fn known_account(
    db: &impl ConnectionTrait,
    clinic_id: i64,
    email_lower: &str,
) -> Result<Option<user::Model>, AppError> {
    Ok(user::Entity::find()
        .filter(
            Condition::any()
                .add(user::Column::UsernameLower.eq(email_lower))
                .add(
                    Condition::all()
                        .add(user::Column::ClinicId.eq(clinic_id))
                        .add(user::Column::EmailLower.eq(email_lower)),
                ),
        )
        .filter(user::Column::UserType.ne(UserType::Guest))
        .one(db)
        .await?)
}

/// Queues the email holding sign-up `s`'s confirmation link (`token`, valid until the
/// sign-up's expiry), in the sign-up's own transaction.
async fn queue_confirmation(
    txn: &impl sea_orm::ConnectionTrait,
    state: &AppState,
    c: &clinic::Model,
    s: &signup::Model,
    token: &str,
) -> Result<(), AppError> {
    let link = format!(
        "{}/confirm-email?token={token}",
        state.auth.public_url.trim_end_matches('/')
    );
    let message = templates::confirm_signup(&s.email, &c.name, &s.first_name, &link, CONFIRM_HOURS);
    let envelope = outbox::Envelope {
        clinic_id: Some(c.id),
        user_id: None,
        signup_id: Some(s.id),
        expires_at: Some(s.expires_at),
    };
    outbox::enqueue(txn, envelope, &message).await?;
    Ok(())
}

/// Removes sign-ups that can no longer become members (`filter`), with the messages
/// queued for them: the data a stranger typed does not outlive its link.
pub async fn forget_signups(db: &impl ConnectionTrait, filter: Condition) -> Result<u64, AppError> {
    let ids: Vec<i64> = signup::Entity::find()
        .select_only()
        .column(signup::Column::Id)
        .filter(filter)
        .into_tuple()
        .all(db)
        .await?;
    if ids.is_empty() {
        return Ok(0);
    }
    mail_outbox::Entity::delete_many()
        .filter(mail_outbox::Column::SignupId.is_in(ids.clone()))
        .exec(db)
        .await?;
    Ok(signup::Entity::delete_many()
        .filter(signup::Column::Id.is_in(ids))
        .exec(db)
        .await?
        .rows_affected)
}

/// Signs up: every caller with a valid form gets the same answer. A new address gets a
/// confirmation link; an address that already has an account gets a note instead.
#[tracing::instrument(skip_all)]
pub async fn sign_up(state: &AppState, slug: &str, input: SignUpInput) -> Result<(), AppError> {
    let (r, c) = room_by_slug(&state.db, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    if !entry_of(&r, &c, None).signup_allowed {
        return Err(AppError::Forbidden);
    }
    let valid = checked(&input, &c)?;
    // Hashed on both paths, so the answer takes as long whether or not the address is known.
    let hash = state.hasher.hash(input.password.clone()).await?;
    let email_lower = valid.email.to_lowercase();
    let txn = crate::db::write_txn(&state.db).await?;
    // Past its rate, an address gets no more mail from here; the answer stays the same.
    let may_mail = state.throttle.may_mail(&email_lower);
    if let Some(existing) = known_account(&txn, c.id, &email_lower).await? {
        if may_mail {
            tell_the_owner(&txn, state, &c, &existing).await?;
            txn.commit().await?;
        }
        return Ok(());
    }
    if !may_mail {
        return Ok(());
    }
    let token = new_token();
    let now = now_ms();
    let pending = signup::ActiveModel {
        clinic_id: Set(c.id),
        room_id: Set(r.id),
        token_hash: Set(hash_token(&token)),
        username_lower: Set(email_lower),
        email: Set(valid.email.clone()),
        first_name: Set(valid.first_name.clone()),
        last_name: Set(valid.last_name.clone()),
        date_of_birth: Set(valid.date_of_birth.clone()),
        phone: Set(valid.phone.clone()),
        timezone: Set(valid.timezone.clone()),
        password_hash: Set(hash),
        created_at: Set(now),
        expires_at: Set(now + CONFIRM_HOURS * 3_600_000),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    queue_confirmation(&txn, state, &c, &pending, &token).await?;
    txn.commit().await?;
    tracing::info!(
        signup_id = pending.id,
        room_id = r.id,
        "sign-up waiting for confirmation"
    );
    Ok(())
}

/// The sign-up's fields by the form's rules, the clinic's password policy, the list of
/// common passwords and the server's lists of countries, states and time zones.
fn checked(input: &SignUpInput, c: &clinic::Model) -> Result<ValidProfile, AppError> {
    let valid = input
        .validate(&policy_of(c), crate::accounts::profile::today())
        .map_err(AppError::fields)?;
    let mut errors = Vec::new();
    if let Some(refusal) = crate::common_passwords::refusal(
        &input.password,
        &[&valid.first_name, &valid.last_name, &valid.email],
    ) {
        errors.push(crate::error::FieldError::new(
            crate::accounts::profile::field::PASSWORD,
            refusal,
        ));
    }
    check_lists(&valid, &mut errors);
    if errors.is_empty() {
        Ok(valid)
    } else {
        Err(rejected(errors))
    }
}

/// A sign-up with an address that already has an account: its owner is told (how to sign
/// in, how to reset), and the stranger learns nothing.
async fn tell_the_owner(
    txn: &DatabaseTransaction,
    state: &AppState,
    c: &clinic::Model,
    existing: &user::Model,
) -> Result<(), AppError> {
    let base = state.auth.public_url.trim_end_matches('/');
    let message = templates::signup_attempt(
        &existing.email,
        &c.name,
        &existing.first_name,
        &format!("{base}/login"),
        &format!("{base}/forgot-password"),
    );
    let envelope = outbox::Envelope {
        clinic_id: Some(existing.clinic_id),
        user_id: Some(existing.id),
        ..Default::default()
    };
    outbox::enqueue(txn, envelope, &message).await?;
    tracing::info!(
        user_id = existing.id,
        "sign-up with a known address: note sent"
    );
    Ok(())
}

async fn live_signup(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<signup::Model>, AppError> {
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    Ok(signup::Entity::find()
        .filter(signup::Column::TokenHash.eq(hash_token(token)))
        .filter(signup::Column::UsedAt.is_null())
        .filter(signup::Column::ExpiresAt.gt(now_ms()))
        .one(db)
        .await?)
}

/// The first name and clinic a live confirmation link belongs to.
pub async fn confirm_info(
    db: &DatabaseConnection,
    token: &str,
) -> Result<Option<(String, String)>, AppError> {
    let Some(s) = live_signup(db, token).await? else {
        return Ok(None);
    };
    let clinic = clinic::Entity::find_by_id(s.clinic_id).one(db).await?;
    Ok(clinic.map(|c| (s.first_name, c.name)))
}

/// Uses a confirmation link: makes the member (Active, of that clinic, in that room) from
/// exactly what the sign-up held, and returns a session token for them.
///
/// The link alone is not enough: whoever confirms must give the password chosen at sign-up,
/// so a stranger who signs up with someone else's address cannot have that person confirm
/// (and sign in to) an account whose password the stranger knows. The sign-up's row and
/// its unsent messages go once it is a member; sent ones follow the member.
#[tracing::instrument(skip_all)]
pub async fn confirm(state: &AppState, token: &str, password: String) -> Result<String, AppError> {
    let dead = || AppError::validation("token", words::DEAD_CONFIRM);
    let s = live_signup(&state.db, token).await?.ok_or_else(dead)?;
    check_signup_password(state, &s, password).await?;
    let txn = crate::db::write_txn(&state.db).await?;
    if !use_up(&txn, &s).await? {
        return Err(dead());
    }
    let member = make_member(&txn, &s).await?;
    let session_token = session::create(&txn, member.id, state.auth.session_absolute_ms).await?;
    txn.commit().await?;
    tracing::info!(member_id = member.id, "sign-up confirmed");
    Ok(session_token)
}

/// The password chosen at sign-up, given again, under the throttle's brakes.
async fn check_signup_password(
    state: &AppState,
    s: &signup::Model,
    password: String,
) -> Result<(), AppError> {
    if password.is_empty() {
        return Err(AppError::validation(
            "password",
            words::CONFIRM_PASSWORD_MISSING,
        ));
    }
    let guess = crate::auth::throttle::Guess::Confirm(s.id);
    let slot = state.throttle.take(&state.db, &guess).await?;
    let chars = password.chars().count();
    let matches = chars <= crate::validation::MAX_PASSWORD_CHARS
        && state
            .hasher
            .verify(password, Some(s.password_hash.clone()))
            .await?;
    if !matches {
        state.throttle.wrong(&state.db, slot).await?;
        return Err(AppError::validation(
            "password",
            words::CONFIRM_PASSWORD_WRONG,
        ));
    }
    state.throttle.right(&state.db, slot).await
}

/// Uses the link up, first thing in the transaction, so that of two racing uses one finds it
/// gone (`false`); other sign-ups for the address, and this one's unsent messages (their
/// link is dead now), go with it.
async fn use_up(txn: &DatabaseTransaction, s: &signup::Model) -> Result<bool, AppError> {
    let used = signup::Entity::delete_many()
        .filter(signup::Column::Id.eq(s.id))
        .filter(signup::Column::UsedAt.is_null())
        .exec(txn)
        .await?;
    if used.rows_affected != 1 {
        return Ok(false);
    }
    forget_signups(
        txn,
        Condition::all()
            .add(signup::Column::ClinicId.eq(s.clinic_id))
            .add(signup::Column::UsernameLower.eq(s.username_lower.clone())),
    )
    .await?;
    mail_outbox::Entity::delete_many()
        .filter(mail_outbox::Column::SignupId.eq(s.id))
        .filter(mail_outbox::Column::Status.ne("sent"))
        .exec(txn)
        .await?;
    Ok(true)
}

/// The member a confirmed sign-up becomes: Active, in the sign-up's room, with its password
/// as the first of its history, audited as created by themselves; the sign-up's sent
/// messages now belong to the member.
async fn make_member(
    txn: &DatabaseTransaction,
    s: &signup::Model,
) -> Result<user::Model, AppError> {
    let now = now_ms();
    let already = || AppError::validation("token", words::ALREADY_MEMBER);
    if known_account(txn, s.clinic_id, &s.username_lower)
        .await?
        .is_some()
    {
        return Err(already());
    }
    let room_name = room::Entity::find_by_id(s.room_id)
        .one(txn)
        .await?
        .map(|r| r.name)
        .unwrap_or_default();
    let member = match member_of(s, now).insert(txn).await {
        Ok(m) => m,
        Err(err) if is_unique_violation(&err) => return Err(already()),
        Err(err) => return Err(err.into()),
    };
    user_room::ActiveModel {
        user_id: Set(member.id),
        room_id: Set(s.room_id),
        assigned_at: Set(now),
    }
    .insert(txn)
    .await?;
    password_history::ActiveModel {
        user_id: Set(member.id),
        password_hash: Set(s.password_hash.clone()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    audit::service::record(
        txn,
        s.clinic_id,
        member.id,
        member.id,
        Action::Created,
        &[
            Change::new("User Type", "", UserType::Member.label()),
            Change::new("Rooms", "", room_name),
            Change::new("Sign up", "", "email confirmed"),
        ],
    )
    .await?;
    mail_outbox::Entity::update_many()
        .col_expr(mail_outbox::Column::UserId, Expr::val(member.id))
        .col_expr(mail_outbox::Column::SignupId, Expr::val(None::<i64>))
        .filter(mail_outbox::Column::SignupId.eq(s.id))
        .exec(txn)
        .await?;
    Ok(member)
}

/// The users row of a confirmed sign-up: exactly what the sign-up held.
fn member_of(s: &signup::Model, now: i64) -> user::ActiveModel {
    user::ActiveModel {
        clinic_id: Set(s.clinic_id),
        user_type: Set(UserType::Member),
        provider_role: Set(None),
        username: Set(s.email.clone()),
        username_lower: Set(s.username_lower.clone()),
        email: Set(s.email.clone()),
        email_lower: Set(s.username_lower.clone()),
        first_name: Set(s.first_name.clone()),
        last_name: Set(s.last_name.clone()),
        search_first: Set(fold(&s.first_name)),
        search_last: Set(fold(&s.last_name)),
        search_full: Set(fold(&format!("{} {}", s.first_name, s.last_name))),
        password_hash: Set(Some(s.password_hash.clone())),
        date_of_birth: Set(s.date_of_birth.clone()),
        phone: Set(s.phone.clone()),
        country: Set(crate::accounts::profile::DEFAULT_COUNTRY.to_owned()),
        timezone: Set(s.timezone.clone()),
        status: Set(Status::Active),
        email_confirmed_at: Set(Some(now)),
        last_login_at: Set(now),
        signed_up_at: Set(s.created_at),
        updated_at: Set(now),
        version: Set(1),
        ..Default::default()
    }
}

/// Sends a waiting sign-up's link again, with a fresh token; silent when there is none.
#[tracing::instrument(skip_all)]
pub async fn resend(state: &AppState, username: &str) -> Result<(), AppError> {
    let lower = username.trim().to_lowercase();
    if lower.is_empty() || lower.len() > 254 || !state.throttle.may_mail(&lower) {
        return Ok(());
    }
    let Some(s) = signup::Entity::find()
        .filter(signup::Column::UsernameLower.eq(lower))
        .filter(signup::Column::UsedAt.is_null())
        .filter(signup::Column::ExpiresAt.gt(now_ms()))
        .order_by_desc(signup::Column::CreatedAt)
        .one(&state.db)
        .await?
    else {
        return Ok(());
    };
    let Some(c) = clinic::Entity::find_by_id(s.clinic_id)
        .one(&state.db)
        .await?
    else {
        return Ok(());
    };
    let token = new_token();
    let now = now_ms();
    let txn = crate::db::write_txn(&state.db).await?;
    signup::Entity::update_many()
        .col_expr(signup::Column::TokenHash, hash_token(&token).into())
        .col_expr(
            signup::Column::ExpiresAt,
            (now + CONFIRM_HOURS * 3_600_000).into(),
        )
        .filter(signup::Column::Id.eq(s.id))
        .exec(&txn)
        .await?;
    let s = signup::Model {
        expires_at: now + CONFIRM_HOURS * 3_600_000,
        ..s
    };
    queue_confirmation(&txn, state, &c, &s, &token).await?;
    txn.commit().await?;
    tracing::info!(signup_id = s.id, "confirmation link sent again");
    Ok(())
}
