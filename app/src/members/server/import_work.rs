//! Import CSV, writing: a previewed file's rows worked through in the background in batches,
//! each batch one transaction that creates and updates its members (each audited as if done
//! one by one, plus the import's number), records each row's outcome and moves the import's
//! counters. A server stopped halfway leaves whole batches written or none of a batch; the
//! server that next holds the import's lease goes on after the last batch written, and a
//! file imported again matches the members it created (by username), so no one is created
//! twice.
//!
//! A row is written only as the preview planned it: a member changed since (their version),
//! or a username or email taken since, is reported as a conflict and left alone.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::create::new_row;
use super::import_rows::{RowData, message_line, validated};
use super::leases::{self, Work};
use crate::accounts::UserType;
use crate::accounts::profile::{ValidProfile, field};
use crate::accounts::store::apply_profile;
use crate::audit::{self, Action, Change, IMPORT_FIELD};
use crate::db::now_ms;
use crate::entities::{clinic, member_import, member_import_row, room, user, user_room};
use crate::error::{AppError, FieldError};
use crate::members::import::{plan, states};

/// Rows written in one transaction.
const BATCH: u64 = 250;

/// Imports as background work held by one server at a time.
static WORK: Work = Work {
    table: "member_imports",
    what: "import",
    moving: &[states::RUNNING],
    failed: states::FAILED,
    forget_on_failure: &[],
};

/// Works on import `id` in the background of this server (see [`leases`]).
pub fn start(db: DatabaseConnection, public_url: String, id: i64) {
    leases::spawn(db, &WORK, id, move |db, runner| {
        let public_url = public_url.clone();
        async move { step(&db, &public_url, id, &runner).await }
    });
}

/// Takes up the imports no server is working on (their server stopped); returns how many.
pub async fn resume_abandoned(
    db: &DatabaseConnection,
    public_url: &str,
) -> Result<usize, AppError> {
    let ids = leases::abandoned(db, &WORK).await?;
    for &id in &ids {
        start(db.clone(), public_url.to_owned(), id);
    }
    Ok(ids.len())
}

/// Works on import `id` until it is done, or another server holds it.
pub async fn run(db: &DatabaseConnection, public_url: &str, id: i64) -> Result<(), AppError> {
    leases::run(db, &|db: DatabaseConnection, runner: String| {
        let public_url = public_url.to_owned();
        async move { step(&db, &public_url, id, &runner).await }
    })
    .await
}

/// One batch of import `id` under `runner`'s lease; whether more remains.
async fn step(
    db: &DatabaseConnection,
    public_url: &str,
    id: i64,
    runner: &str,
) -> Result<bool, AppError> {
    let txn = crate::db::write_txn(db).await?;
    if !leases::claim(&txn, &WORK, id, runner).await? {
        return Ok(false);
    }
    let import = member_import::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    // The admin's rights are read again at every batch: one who no longer administers the
    // clinic writes no more.
    let allowed = super::bulk_work::actor_clinics(&txn, import.actor_user_id)
        .await?
        .contains(&import.clinic_id);
    let more = if allowed {
        write_batch(&txn, public_url, &import).await?
    } else {
        finish(&txn, &import, states::FAILED).await?;
        false
    };
    txn.commit().await?;
    Ok(more)
}

/// The conflict of a row whose member was deleted between preview and import.
fn deleted_since() -> FieldError {
    FieldError::new("row", "This member was deleted since the preview.")
}

/// What a batch did with each row: its outcome, and for a conflict why.
#[derive(Default)]
struct Outcomes {
    by_outcome: HashMap<&'static str, Vec<i64>>,
    conflicts: Vec<(i64, String)>,
}

impl Outcomes {
    fn note(&mut self, line: i64, outcome: &'static str) {
        self.by_outcome.entry(outcome).or_default().push(line);
    }

    fn conflict(&mut self, line: i64, error: &FieldError) {
        self.note(line, plan::CONFLICT);
        self.conflicts.push((line, message_line(error)));
    }

    fn count(&self, outcome: &str) -> i64 {
        self.by_outcome.get(outcome).map_or(0, |l| l.len() as i64)
    }
}

/// Writes the next batch of the import's rows; whether more remain.
async fn write_batch(
    txn: &DatabaseTransaction,
    public_url: &str,
    import: &member_import::Model,
) -> Result<bool, AppError> {
    let rows = member_import_row::Entity::find()
        .filter(member_import_row::Column::ImportId.eq(import.id))
        .filter(member_import_row::Column::Line.gt(import.done_through))
        .order_by_asc(member_import_row::Column::Line)
        .limit(BATCH)
        .all(txn)
        .await?;
    let Some(last) = rows.last().map(|r| r.line) else {
        finish(txn, import, states::DONE).await?;
        return Ok(false);
    };
    let clinic = clinic::Entity::find_by_id(import.clinic_id)
        .one(txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut wanted: Vec<(i64, &member_import_row::Model, ValidProfile, RowData)> = Vec::new();
    let mut outcomes = Outcomes::default();
    for row in &rows {
        match row.plan.as_str() {
            plan::CREATE | plan::UPDATE => {
                // A row's fields go with the member it matched, when they are deleted.
                let Some(json) = row.data.as_deref() else {
                    outcomes.conflict(row.line, &deleted_since());
                    continue;
                };
                let data: RowData = serde_json::from_str(json).map_err(AppError::internal)?;
                let mut errors = Vec::new();
                match validated(&data.profile, &mut errors) {
                    Some(valid) => wanted.push((row.line, row, valid, data)),
                    None => match errors.first() {
                        Some(error) => outcomes.conflict(row.line, error),
                        None => outcomes.conflict(row.line, &deleted_since()),
                    },
                }
            }
            plan::UNCHANGED => outcomes.note(row.line, plan::UNCHANGED),
            _ => outcomes.note(row.line, plan::REJECTED),
        }
    }
    let taken = Taken::read(txn, import.clinic_id, &wanted).await?;
    let open_rooms: HashMap<i64, room::Model> =
        crate::accounts::store::active_rooms(txn, clinic.id)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
    let mut creates = Vec::new();
    for (line, row, valid, data) in wanted {
        if row.plan == plan::CREATE {
            match can_create(&open_rooms, &taken, &valid, &data) {
                Ok(()) => creates.push((line, valid, data, possible_duplicates_of(row))),
                Err(error) => outcomes.conflict(line, &error),
            }
            continue;
        }
        match update(txn, import, row, &taken, valid).await? {
            Ok(done) => outcomes.note(line, done),
            Err(error) => outcomes.conflict(line, &error),
        }
    }
    for line in create_all(txn, public_url, import, &clinic, &open_rooms, creates).await? {
        outcomes.note(line, plan::CREATE);
    }
    record(txn, import, &outcomes, last).await?;
    Ok(true)
}

/// The usernames and emails of a batch's rows that belong to someone now.
struct Taken {
    /// username (lower case) → its user
    usernames: HashMap<String, i64>,
    /// email (lower case) in the clinic → its user
    emails: HashMap<String, i64>,
}

impl Taken {
    async fn read(
        txn: &DatabaseTransaction,
        clinic_id: i64,
        wanted: &[(i64, &member_import_row::Model, ValidProfile, RowData)],
    ) -> Result<Self, AppError> {
        let usernames: Vec<String> = wanted
            .iter()
            .map(|(_, _, v, _)| v.username.to_lowercase())
            .collect();
        let emails: Vec<String> = wanted
            .iter()
            .map(|(_, _, v, _)| v.email.to_lowercase())
            .collect();
        let usernames = user::Entity::find()
            .select_only()
            .column(user::Column::UsernameLower)
            .column(user::Column::Id)
            .filter(user::Column::UsernameLower.is_in(usernames))
            .into_tuple::<(String, i64)>()
            .all(txn)
            .await?
            .into_iter()
            .collect();
        let emails = user::Entity::find()
            .select_only()
            .column(user::Column::EmailLower)
            .column(user::Column::Id)
            .filter(user::Column::ClinicId.eq(clinic_id))
            .filter(user::Column::EmailLower.is_in(emails))
            .into_tuple::<(String, i64)>()
            .all(txn)
            .await?
            .into_iter()
            .collect();
        Ok(Self { usernames, emails })
    }

    /// Why `valid` cannot be saved as `who` (none for a new member): the form's message.
    fn refusal(&self, valid: &ValidProfile, who: Option<i64>) -> Option<FieldError> {
        let other = |owner: Option<&i64>| owner.is_some_and(|o| Some(*o) != who);
        if other(self.usernames.get(&valid.username.to_lowercase())) {
            return Some(FieldError::new(
                field::USERNAME,
                "That username was taken since the preview.",
            ));
        }
        if other(self.emails.get(&valid.email.to_lowercase())) {
            return Some(FieldError::new(
                field::EMAIL,
                "Another user of this clinic has had that email address since the preview.",
            ));
        }
        None
    }
}

/// Why a row's new member cannot be created now, if they cannot.
fn can_create(
    open_rooms: &HashMap<i64, room::Model>,
    taken: &Taken,
    valid: &ValidProfile,
    data: &RowData,
) -> Result<(), FieldError> {
    if let Some(error) = taken.refusal(valid, None) {
        return Err(error);
    }
    if data.room_ids.iter().any(|id| !open_rooms.contains_key(id)) {
        return Err(FieldError::new(
            field::ROOMS,
            "A room of this row was closed since the preview.",
        ));
    }
    Ok(())
}

/// The members a new member's row may duplicate, as the preview noted them ("#12, #34").
fn possible_duplicates_of(row: &member_import_row::Model) -> Option<String> {
    let messages: Vec<String> = serde_json::from_str(row.messages.as_deref()?).ok()?;
    messages.iter().find_map(|m| {
        m.strip_prefix(super::possible_duplicates::NOTE_PREFIX)
            .map(str::to_owned)
    })
}

/// Creates the rows' members as Create a Member does (the rows, their rooms, the welcome
/// email if asked for, one audit event each with the import's number), a statement for
/// each kind of row rather than one per member; answers the lines created.
async fn create_all(
    txn: &DatabaseTransaction,
    public_url: &str,
    import: &member_import::Model,
    clinic: &clinic::Model,
    open_rooms: &HashMap<i64, room::Model>,
    creates: Vec<(i64, ValidProfile, RowData, Option<String>)>,
) -> Result<Vec<i64>, AppError> {
    if creates.is_empty() {
        return Ok(Vec::new());
    }
    let now = now_ms();
    let type_of = |data: &RowData| UserType::from_key(&data.user_type).unwrap_or(UserType::Member);
    let rows: Vec<user::ActiveModel> = creates
        .iter()
        .map(|(_, valid, data, _)| new_row(clinic.id, type_of(data), valid, None, now))
        .collect();
    // Matched back by username: one per row, unique among users.
    let created: HashMap<String, user::Model> = user::Entity::insert_many(rows)
        .exec_with_returning(txn)
        .await?
        .into_iter()
        .map(|u| (u.username_lower.clone(), u))
        .collect();
    let mut rooms = Vec::new();
    let mut events = Vec::new();
    let mut lines = Vec::with_capacity(creates.len());
    for (line, valid, data, possible) in &creates {
        let member = created
            .get(&valid.username.to_lowercase())
            .ok_or_else(|| AppError::internal("an imported member was not returned"))?;
        for room_id in &data.room_ids {
            rooms.push(user_room::ActiveModel {
                user_id: Set(member.id),
                room_id: Set(*room_id),
                assigned_at: Set(now),
            });
        }
        let room_names: Vec<String> = data
            .room_ids
            .iter()
            .filter_map(|id| open_rooms.get(id).map(|r| r.name.clone()))
            .collect();
        let mut changes = vec![
            Change::new("User Type", "", type_of(data).label()),
            Change::new("Rooms", "", room_names.join(", ")),
        ];
        if import.welcome {
            crate::auth::links::queue_link(
                txn,
                public_url,
                &clinic.name,
                member,
                crate::auth::tokens::Purpose::Welcome,
            )
            .await?;
            changes.push(Change::new("Welcome email", "", "sent"));
        }
        if let Some(ids) = possible {
            changes.push(Change::new(
                "Possible duplicate of",
                "",
                format!("{ids} (imported anyway)"),
            ));
        }
        changes.push(Change::new(IMPORT_FIELD, "", format!("#{}", import.id)));
        events.push((member.id, changes));
        lines.push(*line);
    }
    user_room::Entity::insert_many(rooms)
        .exec_without_returning(txn)
        .await?;
    audit::service::record_many(
        txn,
        clinic.id,
        Some(import.actor_user_id),
        Action::Created,
        &events,
    )
    .await?;
    Ok(lines)
}

/// Saves a row's profile over the member it matched, as the Profile tab does, if the
/// member is as the preview read them.
async fn update(
    txn: &DatabaseTransaction,
    import: &member_import::Model,
    row: &member_import_row::Model,
    taken: &Taken,
    valid: ValidProfile,
) -> Result<Result<&'static str, FieldError>, AppError> {
    let changed_since = || {
        FieldError::new(
            "row",
            "This member was changed by someone else since the preview.",
        )
    };
    let (Some(id), Some(version)) = (row.user_id, row.version) else {
        return Ok(Err(deleted_since()));
    };
    let old = user::Entity::find_by_id(id)
        .filter(user::Column::ClinicId.eq(import.clinic_id))
        .lock_exclusive()
        .one(txn)
        .await?;
    let Some(old) = old else {
        return Ok(Err(deleted_since()));
    };
    if old.version != version {
        return Ok(Err(changed_since()));
    }
    if let Some(error) = taken.refusal(&valid, Some(id)) {
        return Ok(Err(error));
    }
    let mut changes = crate::audit::service::profile_changes(&old, &valid);
    if changes.is_empty() {
        return Ok(Ok(plan::UNCHANGED));
    }
    let mut am = <user::ActiveModel as Default>::default();
    apply_profile(&mut am, &valid);
    match crate::accounts::store::claim_version(txn, id, version, am).await {
        Ok(()) => {}
        Err(AppError::Conflict { .. }) => return Ok(Err(changed_since())),
        Err(err) => return Err(err),
    }
    // A link sent to the old address (or naming the old username) dies with it.
    if !old.email.eq_ignore_ascii_case(&valid.email)
        || !old.username.eq_ignore_ascii_case(&valid.username)
    {
        crate::auth::tokens::kill_all(txn, id).await?;
    }
    changes.push(Change::new(IMPORT_FIELD, "", format!("#{}", import.id)));
    audit::service::record(
        txn,
        import.clinic_id,
        import.actor_user_id,
        id,
        Action::ProfileChanged,
        &changes,
    )
    .await?;
    Ok(Ok(plan::UPDATE))
}

/// The batch's outcomes on its rows and in the import's counters.
async fn record(
    txn: &DatabaseTransaction,
    import: &member_import::Model,
    outcomes: &Outcomes,
    last: i64,
) -> Result<(), AppError> {
    // Only a row that met a change since the preview is marked: every other row done (up
    // to the import's last line done) went as planned, and the counters say how many.
    // Rewriting every row's outcome cost Postgres a third of a second per batch.
    for (line, why) in &outcomes.conflicts {
        let messages = serde_json::to_string(&[why]).map_err(AppError::internal)?;
        member_import_row::Entity::update_many()
            .col_expr(
                member_import_row::Column::Outcome,
                Expr::val(plan::CONFLICT),
            )
            .col_expr(member_import_row::Column::Messages, Expr::val(messages))
            .filter(member_import_row::Column::ImportId.eq(import.id))
            .filter(member_import_row::Column::Line.eq(*line))
            .exec(txn)
            .await?;
    }
    let done: i64 = outcomes.by_outcome.values().map(|l| l.len() as i64).sum();
    let mut update = member_import::Entity::update_many()
        .col_expr(member_import::Column::DoneThrough, Expr::val(last))
        .col_expr(
            member_import::Column::Done,
            Expr::col(member_import::Column::Done).add(done),
        )
        .col_expr(member_import::Column::Failures, Expr::val(0));
    for (col, outcome) in [
        (member_import::Column::Created, plan::CREATE),
        (member_import::Column::Updated, plan::UPDATE),
        (member_import::Column::Unchanged, plan::UNCHANGED),
        (member_import::Column::Rejected, plan::REJECTED),
        (member_import::Column::Conflicts, plan::CONFLICT),
    ] {
        update = update.col_expr(col, Expr::col(col).add(outcomes.count(outcome)));
    }
    update
        .filter(member_import::Column::Id.eq(import.id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Ends the import (`done`, or `failed` when its admin lost the clinic), and forgets the
/// rows' fields: only their outcomes and messages stay.
async fn finish(
    txn: &impl ConnectionTrait,
    import: &member_import::Model,
    state: &str,
) -> Result<(), AppError> {
    member_import::Entity::update_many()
        .col_expr(
            member_import::Column::Runner,
            Expr::val(Option::<String>::None),
        )
        .col_expr(
            member_import::Column::LeaseUntil,
            Expr::val(Option::<i64>::None),
        )
        .col_expr(member_import::Column::State, Expr::val(state))
        .col_expr(member_import::Column::FinishedAt, Expr::val(now_ms()))
        .filter(member_import::Column::Id.eq(import.id))
        .exec(txn)
        .await?;
    forget_data(txn, import.id).await?;
    tracing::info!(import = import.id, state, "import ended");
    Ok(())
}

/// The rows' fields of import `id`, forgotten.
async fn forget_data(txn: &impl ConnectionTrait, id: i64) -> Result<(), AppError> {
    member_import_row::Entity::update_many()
        .col_expr(
            member_import_row::Column::Data,
            Expr::val(Option::<String>::None),
        )
        .filter(member_import_row::Column::ImportId.eq(id))
        .filter(member_import_row::Column::Data.is_not_null())
        .exec(txn)
        .await?;
    Ok(())
}
