//! Finding the members a new or changed profile may duplicate: the same folded first and
//! last name and date of birth, or the same phone, in the same clinic. Each is one range of
//! an index (`users_clinic_name_birth`, `users_clinic_phone`; migration
//! `m20261208_000015`), read for at most [`SHOWN`] rows.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::accounts::profile::ValidProfile;
use crate::audit::Change;
use crate::entities::user;
use crate::error::AppError;
use crate::members::duplicates::PossibleDuplicate;
use crate::text::fold;

/// The most matches shown (and read) for each way of matching.
pub const SHOWN: u64 = 10;

/// The clinic's members `valid` may duplicate, but the member `except` (the one being
/// saved), oldest first.
pub async fn find(
    db: &impl ConnectionTrait,
    clinic_id: i64,
    valid: &ValidProfile,
    except: Option<i64>,
) -> Result<Vec<PossibleDuplicate>, AppError> {
    let in_clinic = || {
        let select = user::Entity::find().filter(user::Column::ClinicId.eq(clinic_id));
        match except {
            Some(id) => select.filter(user::Column::Id.ne(id)),
            None => select,
        }
    };
    let mut found: Vec<user::Model> = Vec::new();
    if let Some(birth) = &valid.date_of_birth {
        found = in_clinic()
            .filter(user::Column::SearchLast.eq(fold(&valid.last_name)))
            .filter(user::Column::SearchFirst.eq(fold(&valid.first_name)))
            .filter(user::Column::DateOfBirth.eq(birth.clone()))
            .order_by_asc(user::Column::Id)
            .limit(SHOWN)
            .all(db)
            .await?;
    }
    if let Some(phone) = &valid.phone {
        let same_phone = in_clinic()
            .filter(user::Column::Phone.eq(phone.clone()))
            .order_by_asc(user::Column::Id)
            .limit(SHOWN)
            .all(db)
            .await?;
        for u in same_phone {
            if !found.iter().any(|f| f.id == u.id) {
                found.push(u);
            }
        }
    }
    found.sort_by_key(|u| u.id);
    Ok(found.iter().map(|u| to_match(u, valid)).collect())
}

fn to_match(u: &user::Model, valid: &ValidProfile) -> PossibleDuplicate {
    PossibleDuplicate {
        id: u.id,
        name: format!("{} {}", u.first_name, u.last_name),
        date_of_birth: u.date_of_birth.clone(),
        same_name_and_birth: valid.date_of_birth.is_some()
            && u.date_of_birth == valid.date_of_birth
            && u.search_first == fold(&valid.first_name)
            && u.search_last == fold(&valid.last_name),
        same_phone: valid.phone.is_some() && u.phone == valid.phone,
    }
}

/// For each of many new members (by their key, such as an import's line), the IDs of the
/// clinic's members each may duplicate: two statements for all of them, one by name and
/// birth date, one by phone, each a list of ranges of its index.
pub async fn find_each(
    db: &impl ConnectionTrait,
    clinic_id: i64,
    profiles: &[(u64, ValidProfile)],
) -> Result<HashMap<u64, Vec<i64>>, AppError> {
    type Key = (String, String, String);
    let mut by_person: HashMap<Key, Vec<u64>> = HashMap::new();
    let mut by_phone: HashMap<String, Vec<u64>> = HashMap::new();
    for (key, valid) in profiles {
        if let Some(birth) = &valid.date_of_birth {
            let person = (
                fold(&valid.last_name),
                fold(&valid.first_name),
                birth.clone(),
            );
            by_person.entry(person).or_default().push(*key);
        }
        if let Some(phone) = &valid.phone {
            by_phone.entry(phone.clone()).or_default().push(*key);
        }
    }
    let mut found: HashMap<u64, Vec<i64>> = HashMap::new();
    if !by_person.is_empty() {
        let people = by_person.keys().map(|(last, first, birth)| {
            Expr::tuple([
                Expr::val(last.clone()),
                Expr::val(first.clone()),
                Expr::val(birth.clone()),
            ])
        });
        let rows: Vec<(i64, String, String, Option<String>)> = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .column(user::Column::SearchLast)
            .column(user::Column::SearchFirst)
            .column(user::Column::DateOfBirth)
            .filter(user::Column::ClinicId.eq(clinic_id))
            .filter(
                Expr::tuple([
                    Expr::col(user::Column::SearchLast),
                    Expr::col(user::Column::SearchFirst),
                    Expr::col(user::Column::DateOfBirth),
                ])
                .is_in(people),
            )
            .into_tuple()
            .all(db)
            .await?;
        for (id, last, first, birth) in rows {
            let person = (last, first, birth.unwrap_or_default());
            for key in by_person.get(&person).into_iter().flatten() {
                found.entry(*key).or_default().push(id);
            }
        }
    }
    if !by_phone.is_empty() {
        let rows: Vec<(i64, Option<String>)> = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .column(user::Column::Phone)
            .filter(user::Column::ClinicId.eq(clinic_id))
            .filter(user::Column::Phone.is_in(by_phone.keys().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        for (id, phone) in rows {
            for key in by_phone
                .get(&phone.unwrap_or_default())
                .into_iter()
                .flatten()
            {
                let ids = found.entry(*key).or_default();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
    }
    for ids in found.values_mut() {
        ids.sort_unstable();
        ids.truncate(SHOWN as usize);
    }
    Ok(found)
}

/// An import row's note of the members it may duplicate, by ID only (the rows outlive
/// those members' names): "Possible duplicate of #12, #34".
pub fn import_note(ids: &[i64]) -> String {
    let ids: Vec<String> = ids.iter().map(|id| format!("#{id}")).collect();
    format!("{NOTE_PREFIX}{}", ids.join(", "))
}

/// How an import row's note begins.
pub const NOTE_PREFIX: &str = "Possible duplicate of ";

/// The possible duplicates of `valid`, once the admin has seen each of them (`seen`: the
/// IDs the form was shown); otherwise the warning that shows them all.
pub async fn seen_all(
    db: &impl ConnectionTrait,
    clinic_id: i64,
    valid: &ValidProfile,
    except: Option<i64>,
    seen: &[i64],
) -> Result<Vec<PossibleDuplicate>, AppError> {
    let matches = find(db, clinic_id, valid, except).await?;
    if matches.iter().any(|m| !seen.contains(&m.id)) {
        return Err(AppError::PossibleDuplicates { matches });
    }
    Ok(matches)
}

/// The audit line of a save made despite possible duplicates: whom it may duplicate.
pub fn audit_line(matches: &[PossibleDuplicate]) -> Option<Change> {
    (!matches.is_empty()).then(|| {
        let ids: Vec<String> = matches.iter().map(|m| format!("#{}", m.id)).collect();
        Change::new(
            "Possible duplicate of",
            "",
            format!("{} (saved anyway)", ids.join(", ")),
        )
    })
}

/// Whether a profile change touches what duplicates are found by.
pub fn matching_fields_changed(old: &user::Model, valid: &ValidProfile) -> bool {
    old.search_first != fold(&valid.first_name)
        || old.search_last != fold(&valid.last_name)
        || old.date_of_birth != valid.date_of_birth
        || old.phone != valid.phone
}
