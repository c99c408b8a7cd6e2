//! `frontdesk bench`'s "Possible duplicate" lookups: what the check adds to Create a Member
//! (and to a profile save that changes a name, birth date or phone), at the seeded scale.

use std::time::Instant;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use app::accounts::profile::ValidProfile;
use app::entities::user;
use app::members::server::possible_duplicates;

use crate::bench::{Stats, stats};

/// The profile a new member copying `u` would have, with `birth` as the date of birth.
fn profile_like(u: &user::Model, birth: Option<String>) -> ValidProfile {
    ValidProfile {
        username: format!("new.{}", u.username),
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        email: format!("new.{}", u.email),
        date_of_birth: birth,
        address: None,
        city: None,
        state: None,
        zip: None,
        country: "US".into(),
        phone: u.phone.clone(),
        pcp_name: None,
        pcp_phone: None,
        timezone: "America/Los_Angeles".into(),
    }
}

/// Times the lookup for `iterations` members of `clinic` spread over its IDs: once as a
/// copy of each (it finds them), once with another birth date and no phone (a common name
/// that is no one's twin). Returns both, with the matches the copies found; `None` on a
/// database seeded before members had birth dates and phones.
pub async fn run(
    db: &DatabaseConnection,
    clinic: i64,
    iterations: u32,
) -> anyhow::Result<Option<(Stats, Stats, usize)>> {
    let members = user::Entity::find()
        .filter(user::Column::ClinicId.eq(clinic))
        .filter(user::Column::DateOfBirth.is_not_null())
        .filter(user::Column::Phone.is_not_null())
        .order_by_asc(user::Column::Id)
        .limit(u64::from(iterations) * 97)
        .all(db)
        .await?;
    let picked: Vec<&user::Model> = members.iter().step_by(97).collect();
    if picked.is_empty() {
        return Ok(None);
    }
    let (mut copies, mut others, mut found) = (Vec::new(), Vec::new(), 0);
    for u in &picked {
        let copy = profile_like(u, u.date_of_birth.clone());
        let t = Instant::now();
        let matches = possible_duplicates::find(db, clinic, &copy, None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        copies.push(t.elapsed());
        found += matches.len();
        let mut other = profile_like(u, Some("1901-01-01".into()));
        other.phone = None;
        let t = Instant::now();
        possible_duplicates::find(db, clinic, &other, None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        others.push(t.elapsed());
    }
    Ok(Some((stats(copies), stats(others), found)))
}
