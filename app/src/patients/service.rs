//! The patient side's rules, on the server: which rooms let whom in, guests and their
//! visits, the queue, sign-ups and their confirmation, and the patient's own account.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};

use super::{
    AccountView, CONFIRM_HOURS, ContactInput, GuestInput, RoomEntry, SignUpForm, SignUpInput,
    VisitState, WaitStatus, words,
};
use crate::audit::{self, Action, Change};
use crate::auth::session::{self, SessionUser, hash_token, new_token};
use crate::entities::{clinic, password_history, room, signup, user, user_room, visit};
use crate::error::AppError;
use crate::mail::{outbox, templates};
use crate::members::detail::VisitRow;
use crate::members::edit::{claim_version, profile_changes, profile_of, stale, visit_status_label};
use crate::members::lifecycle::{new_password_hash, store_password};
use crate::members::manage::{check_lists, is_unique_violation, policy_of, rejected};
use crate::members::profile::Day;
use crate::members::{Status, UserType, format_time, options};
use crate::state::{AppState, now_ms};
use crate::text::fold;

/// Visits' statuses as stored.
pub mod visit_status {
    pub const WAITING: &str = "waiting";
    pub const IN_PROGRESS: &str = "in_progress";
    pub const COMPLETED: &str = "completed";
    pub const LEFT: &str = "left";
}

/// The room behind a link, with its clinic.
async fn room_by_slug(
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

fn entry_of(r: &room::Model, c: &clinic::Model, signed_in_as: Option<String>) -> RoomEntry {
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
        timezones: options::timezones(),
    }))
}

/// A unique username for a guest, who never signs in with it.
fn guest_username() -> String {
    let token = new_token();
    format!("guest-{}", &hash_token(&token)[..20])
}

/// Creates a guest and their visit (waiting) in the room; returns the session token.
#[tracing::instrument(skip_all)]
pub async fn enter_as_guest(
    state: &AppState,
    slug: &str,
    input: GuestInput,
) -> Result<String, AppError> {
    let (r, c) = room_by_slug(&state.db, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    if !entry_of(&r, &c, None).guest_allowed {
        return Err(AppError::Forbidden);
    }
    let valid = input.validate().map_err(AppError::fields)?;
    let now = now_ms();
    let username = guest_username();
    let txn = state.db.begin().await?;
    let guest = user::ActiveModel {
        clinic_id: Set(c.id),
        user_type: Set(UserType::Guest.as_db().to_owned()),
        provider_role: Set(None),
        username: Set(username.clone()),
        username_lower: Set(username.clone()),
        email: Set(String::new()),
        email_lower: Set(username),
        first_name: Set(valid.first_name.clone()),
        last_name: Set(valid.last_name.clone()),
        search_first: Set(fold(&valid.first_name)),
        search_last: Set(fold(&valid.last_name)),
        search_full: Set(fold(&format!("{} {}", valid.first_name, valid.last_name))),
        password_hash: Set(None),
        country: Set(crate::members::profile::DEFAULT_COUNTRY.to_owned()),
        timezone: Set(crate::members::profile::DEFAULT_TIMEZONE.to_owned()),
        status: Set(Status::Active.as_db().to_owned()),
        last_login_at: Set(now),
        signed_up_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    user_room::ActiveModel {
        user_id: Set(guest.id),
        room_id: Set(r.id),
        assigned_at: Set(now),
    }
    .insert(&txn)
    .await?;
    add_visit(&txn, &r, guest.id, valid.reason).await?;
    let token = session::create(&txn, guest.id, state.auth.session_absolute_ms).await?;
    txn.commit().await?;
    tracing::info!(
        user_id = guest.id,
        room_id = r.id,
        "guest entered a waiting room"
    );
    Ok(token)
}

async fn add_visit(
    db: &impl ConnectionTrait,
    r: &room::Model,
    user_id: i64,
    reason: String,
) -> Result<(), AppError> {
    visit::ActiveModel {
        clinic_id: Set(r.clinic_id),
        room_id: Set(r.id),
        user_id: Set(user_id),
        reason: Set(reason),
        status: Set(visit_status::WAITING.to_owned()),
        entered_at: Set(now_ms()),
        ended_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A signed-in member enters a room of their clinic's waiting room.
#[tracing::instrument(skip_all, fields(user_id = me.user_id))]
pub async fn join(
    db: &DatabaseConnection,
    me: &SessionUser,
    slug: &str,
    reason: &str,
) -> Result<(), AppError> {
    if me.user_type == UserType::Guest {
        return Err(AppError::Forbidden);
    }
    let (r, _) = room_by_slug(db, slug).await?.ok_or(AppError::NotFound)?;
    if r.clinic_id != me.clinic_id {
        return Err(AppError::NotFound);
    }
    if !r.active {
        return Err(AppError::validation("form", "This room is closed."));
    }
    let reason = super::visit_reason(reason)
        .map_err(|m| AppError::validation(super::guest_field::REASON, m))?;
    let txn = db.begin().await?;
    // One wait at a time: an earlier wait in any room counts as left.
    end_waiting(&txn, me.user_id, visit_status::LEFT).await?;
    add_visit(&txn, &r, me.user_id, reason).await?;
    txn.commit().await?;
    Ok(())
}

async fn end_waiting(db: &impl ConnectionTrait, user_id: i64, to: &str) -> Result<u64, AppError> {
    Ok(visit::Entity::update_many()
        .col_expr(visit::Column::Status, to.into())
        .col_expr(visit::Column::EndedAt, now_ms().into())
        .filter(visit::Column::UserId.eq(user_id))
        .filter(visit::Column::Status.eq(visit_status::WAITING))
        .exec(db)
        .await?
        .rows_affected)
}

/// The caller's newest visit and, while they wait, their place in the queue.
pub async fn queue(
    db: &DatabaseConnection,
    me: &SessionUser,
) -> Result<Option<WaitStatus>, AppError> {
    let Some(v) = visit::Entity::find()
        .filter(visit::Column::UserId.eq(me.user_id))
        .order_by_desc(visit::Column::EnteredAt)
        .order_by_desc(visit::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(r) = room::Entity::find_by_id(v.room_id).one(db).await? else {
        return Ok(None);
    };
    let first_name = user::Entity::find_by_id(me.user_id)
        .one(db)
        .await?
        .map(|u| u.first_name)
        .unwrap_or_default();
    let state = match v.status.as_str() {
        visit_status::WAITING => {
            // Those who entered this room before, and still wait; over the
            // (room_id, status, entered_at) index.
            let ahead = visit::Entity::find()
                .filter(visit::Column::RoomId.eq(v.room_id))
                .filter(visit::Column::Status.eq(visit_status::WAITING))
                .filter(
                    Condition::any()
                        .add(visit::Column::EnteredAt.lt(v.entered_at))
                        .add(
                            Condition::all()
                                .add(visit::Column::EnteredAt.eq(v.entered_at))
                                .add(visit::Column::Id.lt(v.id)),
                        ),
                )
                .count(db)
                .await?;
            VisitState::Waiting { place: ahead + 1 }
        }
        visit_status::IN_PROGRESS => VisitState::InProgress,
        visit_status::COMPLETED => VisitState::Completed,
        _ => VisitState::Left,
    };
    Ok(Some(WaitStatus {
        slug: r.slug,
        room_name: r.name,
        first_name,
        state,
    }))
}

/// Leaves the waiting room; returns the room's link, when the caller had a visit.
#[tracing::instrument(skip_all, fields(user_id = me.user_id))]
pub async fn leave(db: &DatabaseConnection, me: &SessionUser) -> Result<Option<String>, AppError> {
    let newest = visit::Entity::find()
        .filter(visit::Column::UserId.eq(me.user_id))
        .order_by_desc(visit::Column::EnteredAt)
        .order_by_desc(visit::Column::Id)
        .one(db)
        .await?;
    end_waiting(db, me.user_id, visit_status::LEFT).await?;
    let Some(v) = newest else { return Ok(None) };
    Ok(room::Entity::find_by_id(v.room_id)
        .one(db)
        .await?
        .map(|r| r.slug))
}

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
        .filter(user::Column::UserType.ne(UserType::Guest.as_db()))
        .one(db)
        .await?)
}

fn confirm_link(public_url: &str, token: &str) -> String {
    format!(
        "{}/confirm-email?token={token}",
        public_url.trim_end_matches('/')
    )
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
    let valid = input.validate(&policy_of(&c), Day::today());
    let valid = match valid {
        Ok(v) => {
            let mut errors = Vec::new();
            check_lists(&v, &mut errors);
            if !errors.is_empty() {
                return Err(rejected(errors));
            }
            v
        }
        Err(errors) => return Err(AppError::fields(errors)),
    };
    // Hashed on both paths, so the answer takes as long whether or not the address is known.
    let hash = state.hasher.hash(input.password.clone()).await?;
    let email_lower = valid.email.to_lowercase();
    let txn = state.db.begin().await?;
    // Past its rate, an address gets no more mail from here; the answer stays the same.
    let may_mail = state.throttle.may_mail(&email_lower);
    if let Some(existing) = known_account(&txn, c.id, &email_lower).await? {
        if !may_mail {
            return Ok(());
        }
        let base = state.auth.public_url.trim_end_matches('/');
        let message = templates::signup_attempt(
            &existing.email,
            &c.name,
            &existing.first_name,
            &format!("{base}/login"),
            &format!("{base}/forgot-password"),
        );
        outbox::enqueue(&txn, Some(existing.clinic_id), Some(existing.id), &message).await?;
        txn.commit().await?;
        tracing::info!(
            user_id = existing.id,
            "sign-up with a known address: note sent"
        );
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
    let message = templates::confirm_signup(
        &valid.email,
        &c.name,
        &valid.first_name,
        &confirm_link(&state.auth.public_url, &token),
        CONFIRM_HOURS,
    );
    outbox::enqueue(&txn, Some(c.id), None, &message).await?;
    txn.commit().await?;
    tracing::info!(
        signup_id = pending.id,
        room_id = r.id,
        "sign-up waiting for confirmation"
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
#[tracing::instrument(skip_all)]
pub async fn confirm(state: &AppState, token: &str) -> Result<String, AppError> {
    let dead = || AppError::validation("token", words::DEAD_CONFIRM);
    let s = live_signup(&state.db, token).await?.ok_or_else(dead)?;
    let now = now_ms();
    let txn = state.db.begin().await?;
    // Use the link up first: of two racing uses, one finds it gone.
    let used = signup::Entity::update_many()
        .col_expr(signup::Column::UsedAt, now.into())
        .filter(signup::Column::Id.eq(s.id))
        .filter(signup::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if used.rows_affected != 1 {
        return Err(dead());
    }
    let already = || AppError::validation("token", words::ALREADY_MEMBER);
    if known_account(&txn, s.clinic_id, &s.username_lower)
        .await?
        .is_some()
    {
        return Err(already());
    }
    let room_name = room::Entity::find_by_id(s.room_id)
        .one(&txn)
        .await?
        .map(|r| r.name)
        .unwrap_or_default();
    let inserted = user::ActiveModel {
        clinic_id: Set(s.clinic_id),
        user_type: Set(UserType::Member.as_db().to_owned()),
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
        country: Set(crate::members::profile::DEFAULT_COUNTRY.to_owned()),
        timezone: Set(s.timezone.clone()),
        status: Set(Status::Active.as_db().to_owned()),
        email_confirmed_at: Set(Some(now)),
        last_login_at: Set(now),
        signed_up_at: Set(s.created_at),
        updated_at: Set(now),
        version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let member = match inserted {
        Ok(m) => m,
        Err(err) if is_unique_violation(&err) => return Err(already()),
        Err(err) => return Err(err.into()),
    };
    user_room::ActiveModel {
        user_id: Set(member.id),
        room_id: Set(s.room_id),
        assigned_at: Set(now),
    }
    .insert(&txn)
    .await?;
    password_history::ActiveModel {
        user_id: Set(member.id),
        password_hash: Set(s.password_hash.clone()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::service::record(
        &txn,
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
    let session_token = session::create(&txn, member.id, state.auth.session_absolute_ms).await?;
    txn.commit().await?;
    tracing::info!(member_id = member.id, "sign-up confirmed");
    Ok(session_token)
}

/// The password hash of the newest live sign-up with this username, for the sign-in page
/// to tell "confirm your email first" from a wrong password.
pub async fn unconfirmed_hash(
    db: &impl ConnectionTrait,
    username_lower: &str,
) -> Result<Option<String>, AppError> {
    Ok(signup::Entity::find()
        .filter(signup::Column::UsernameLower.eq(username_lower))
        .filter(signup::Column::UsedAt.is_null())
        .filter(signup::Column::ExpiresAt.gt(now_ms()))
        .order_by_desc(signup::Column::CreatedAt)
        .one(db)
        .await?
        .map(|s| s.password_hash))
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
    let txn = state.db.begin().await?;
    signup::Entity::update_many()
        .col_expr(signup::Column::TokenHash, hash_token(&token).into())
        .col_expr(
            signup::Column::ExpiresAt,
            (now + CONFIRM_HOURS * 3_600_000).into(),
        )
        .filter(signup::Column::Id.eq(s.id))
        .exec(&txn)
        .await?;
    let message = templates::confirm_signup(
        &s.email,
        &c.name,
        &s.first_name,
        &confirm_link(&state.auth.public_url, &token),
        CONFIRM_HOURS,
    );
    outbox::enqueue(&txn, Some(c.id), None, &message).await?;
    txn.commit().await?;
    tracing::info!(signup_id = s.id, "confirmation link sent again");
    Ok(())
}

/// The caller's own account; guests have none.
async fn own_account(db: &impl ConnectionTrait, me: &SessionUser) -> Result<user::Model, AppError> {
    if me.user_type == UserType::Guest {
        return Err(AppError::Forbidden);
    }
    user::Entity::find_by_id(me.user_id)
        .one(db)
        .await?
        .ok_or(AppError::Unauthorized)
}

pub async fn account(db: &DatabaseConnection, me: &SessionUser) -> Result<AccountView, AppError> {
    let u = own_account(db, me).await?;
    let c = clinic::Entity::find_by_id(u.clinic_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let visits = visit::Entity::find()
        .filter(visit::Column::UserId.eq(u.id))
        .order_by_desc(visit::Column::EnteredAt)
        .limit(50)
        .all(db)
        .await?;
    let room_ids: Vec<i64> = visits.iter().map(|v| v.room_id).collect();
    let rooms = room::Entity::find()
        .filter(room::Column::Id.is_in(room_ids))
        .all(db)
        .await?;
    let p = profile_of(&u);
    Ok(AccountView {
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        username: u.username.clone(),
        email: u.email.clone(),
        date_of_birth: u.date_of_birth.clone(),
        clinic_name: c.name.clone(),
        contact: ContactInput {
            version: u.version,
            phone: p.phone,
            address: p.address,
            city: p.city,
            state: p.state,
            zip: p.zip,
            country: p.country,
            timezone: p.timezone,
        },
        visits: visits
            .into_iter()
            .map(|v| VisitRow {
                at: format_time(v.entered_at),
                room: rooms
                    .iter()
                    .find(|r| r.id == v.room_id)
                    .map(|r| r.name.clone())
                    .unwrap_or_default(),
                reason: v.reason,
                status: visit_status_label(&v.status),
            })
            .collect(),
        policy: policy_of(&c),
        countries: options::countries(),
        us_states: options::us_states(),
        timezones: options::timezones(),
    })
}

/// Saves the contact fields of the caller's own profile, through the same rules as the
/// admin's Profile tab.
#[tracing::instrument(skip_all, fields(user_id = me.user_id))]
pub async fn save_contact(
    db: &DatabaseConnection,
    me: &SessionUser,
    input: ContactInput,
) -> Result<AccountView, AppError> {
    let old = own_account(db, me).await?;
    let mut profile = profile_of(&old);
    profile.phone = input.phone;
    profile.address = input.address;
    profile.city = input.city;
    profile.state = input.state;
    profile.zip = input.zip;
    profile.country = input.country;
    profile.timezone = input.timezone;
    let valid = match profile.validate(Day::today()) {
        Ok(v) => v,
        Err(errors) => return Err(rejected(errors)),
    };
    let mut errors = Vec::new();
    check_lists(&valid, &mut errors);
    if !errors.is_empty() {
        return Err(rejected(errors));
    }
    stale(input.version, &old)?;
    let changes = profile_changes(&old, &valid);
    if !changes.is_empty() {
        let am = user::ActiveModel {
            address: Set(valid.address.clone()),
            city: Set(valid.city.clone()),
            state: Set(valid.state.clone()),
            zip: Set(valid.zip.clone()),
            country: Set(valid.country.clone()),
            phone: Set(valid.phone.clone()),
            timezone: Set(valid.timezone.clone()),
            ..<user::ActiveModel as Default>::default()
        };
        let txn = db.begin().await?;
        claim_version(&txn, old.id, input.version, am).await?;
        audit::service::record(
            &txn,
            old.clinic_id,
            old.id,
            old.id,
            Action::ProfileChanged,
            &changes,
        )
        .await?;
        txn.commit().await?;
    }
    account(db, me).await
}

/// Changes the caller's own password after checking the current one; every other session
/// of theirs ends.
#[tracing::instrument(skip_all, fields(user_id = me.user_id))]
pub async fn change_password(
    state: &AppState,
    me: &SessionUser,
    current_token: &str,
    current: &str,
    password: &str,
    confirm: &str,
) -> Result<(), AppError> {
    let u = own_account(&state.db, me).await?;
    if current.is_empty() {
        return Err(AppError::validation(
            "current_password",
            "Enter your current password.",
        ));
    }
    if !state
        .hasher
        .verify(current.to_owned(), u.password_hash.clone())
        .await?
    {
        return Err(AppError::validation(
            "current_password",
            "That is not your current password.",
        ));
    }
    let c = clinic::Entity::find_by_id(u.clinic_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let hash = new_password_hash(state, &u, &policy_of(&c), password, confirm).await?;
    let txn = state.db.begin().await?;
    store_password(&txn, u.id, hash, false).await?;
    crate::entities::session::Entity::delete_many()
        .filter(crate::entities::session::Column::UserId.eq(u.id))
        .filter(crate::entities::session::Column::TokenHash.ne(hash_token(current_token)))
        .exec(&txn)
        .await?;
    audit::service::record(
        &txn,
        u.clinic_id,
        u.id,
        u.id,
        Action::PasswordSet,
        &[Change::new("Password", "", "changed by the member")],
    )
    .await?;
    txn.commit().await?;
    tracing::info!("password changed by its owner");
    Ok(())
}
