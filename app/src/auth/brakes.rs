//! Brakes kept in the database, where every server sees them: a guess at a password takes
//! its slot before the password is checked, with one conditional `UPDATE` per key, so
//! guesses sent in parallel never pass more than the allowance, three servers do not triple
//! it, and a restart does not reset it. A guess that turns out right gives its slot back.
//!
//! Each key is a GCRA cell (`brakes.tat`, the theoretical arrival time): a guess passes
//! while the cell is at most `burst - 1` intervals ahead of now, and moves it one interval
//! on. Keys are stored as SHA-256 digests: no username, address or ID is readable there.

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::db::now_ms;
use crate::entities::brake;
use crate::error::AppError;

/// A burst, then one more every `every`.
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    pub burst: u32,
    pub every: std::time::Duration,
}

/// The stored form of a brake's key: its parts' SHA-256, in hex.
pub fn key(parts: &[&str]) -> String {
    super::session::hash_token(&parts.join("\0"))
}

fn interval_ms(rate: Rate) -> i64 {
    std::cmp::max(i64::try_from(rate.every.as_millis()).unwrap_or(i64::MAX), 1)
}

/// Takes one slot of `key` at `rate`; false when the brake holds. One statement: a new key
/// starts its cell, a known one moves it on only while it is within the burst.
pub async fn take(db: &impl ConnectionTrait, key: &str, rate: Rate) -> Result<bool, AppError> {
    let now = now_ms();
    let every = interval_ms(rate);
    let burst = i64::from(std::cmp::max(rate.burst, 1));
    let limit = now.saturating_add(every.saturating_mul(burst - 1));
    // The cell moves one interval on from now, or from where it stands if that is later.
    let tat = Expr::col((brake::Entity, brake::Column::Tat));
    let from: Expr = Expr::case(tat.clone().gt(now), tat.clone())
        .finally(now)
        .into();
    let upsert = Query::insert()
        .into_table(brake::Entity)
        .columns([brake::Column::BrakeKey, brake::Column::Tat])
        .values_panic([key.into(), (now + every).into()])
        .on_conflict(
            OnConflict::column(brake::Column::BrakeKey)
                .value(brake::Column::Tat, from.add(every))
                .action_and_where(tat.lte(limit))
                .to_owned(),
        )
        .to_owned();
    Ok(db.execute(&upsert).await?.rows_affected() == 1)
}

/// Gives back a slot taken from `key` at `rate`.
pub async fn give_back(db: &impl ConnectionTrait, key: &str, rate: Rate) -> Result<(), AppError> {
    brake::Entity::update_many()
        .col_expr(
            brake::Column::Tat,
            Expr::col(brake::Column::Tat).sub(interval_ms(rate)),
        )
        .filter(brake::Column::BrakeKey.eq(key))
        .exec(db)
        .await?;
    Ok(())
}

/// Marks `key` until `until` (later marks win).
pub async fn mark(db: &impl ConnectionTrait, key: &str, until: i64) -> Result<(), AppError> {
    let upsert = Query::insert()
        .into_table(brake::Entity)
        .columns([brake::Column::BrakeKey, brake::Column::Tat])
        .values_panic([key.into(), until.into()])
        .on_conflict(
            OnConflict::column(brake::Column::BrakeKey)
                .update_column(brake::Column::Tat)
                .action_and_where(Expr::col((brake::Entity, brake::Column::Tat)).lt(until))
                .to_owned(),
        )
        .to_owned();
    db.execute(&upsert).await?;
    Ok(())
}

/// Whether `key` is marked now.
pub async fn marked(db: &impl ConnectionTrait, key: &str) -> Result<bool, AppError> {
    Ok(brake::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
        .is_some_and(|b| b.tat > now_ms()))
}

/// Forgets every brake that no longer holds anything back; returns how many.
pub async fn sweep(db: &impl ConnectionTrait) -> Result<u64, AppError> {
    Ok(brake::Entity::delete_many()
        .filter(brake::Column::Tat.lte(now_ms()))
        .exec(db)
        .await?
        .rows_affected)
}
