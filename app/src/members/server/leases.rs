//! Background work that one server holds at a time: a row of a work table (bulk actions,
//! imports) with `state`, `runner`, `lease_until` and `failures`. A server claims the row's
//! lease in each transaction of work and renews it there; a server that stops lets the lease
//! run out, and the once-a-minute job of any server takes the work up again. An error
//! pauses the work and is counted; the fifth in a row stops it for good.

use std::time::Duration;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, Value};

use crate::db::now_ms;
use crate::error::AppError;

/// How long a server holds work without renewing its lease.
const LEASE_MS: i64 = 30_000;
/// The pause between transactions, so other writers (sign-ins, saves) are not kept waiting.
const BREATHE: Duration = Duration::from_millis(5);
/// Errors in a row after which work stops for good, rather than be taken up every minute.
const MAX_FAILURES: i32 = 5;

/// A kind of background work: its table and states.
pub struct Work {
    /// The table, and the name its logs give one row ("bulk_action", "import").
    pub table: &'static str,
    pub what: &'static str,
    /// The states in which the work moves.
    pub moving: &'static [&'static str],
    /// The state after [`MAX_FAILURES`] errors in a row.
    pub failed: &'static str,
    /// Columns emptied when the work fails, besides the lease.
    pub forget_on_failure: &'static [&'static str],
}

fn col(name: &str) -> Expr {
    Expr::col(Alias::new(name))
}

fn moving(work: &Work) -> SimpleExpr {
    col("state").is_in(work.moving.iter().copied())
}

async fn exec(
    db: &impl ConnectionTrait,
    statement: &sea_orm::sea_query::UpdateStatement,
) -> Result<u64, AppError> {
    Ok(db
        .execute_raw(db.get_database_backend().build(statement))
        .await?
        .rows_affected())
}

/// Claims (or renews) `runner`'s lease on work `id` inside `txn`, the transaction's first
/// write; false when another server holds it, or the work no longer moves.
pub async fn claim(
    txn: &DatabaseTransaction,
    work: &Work,
    id: i64,
    runner: &str,
) -> Result<bool, AppError> {
    let now = now_ms();
    let statement = Query::update()
        .table(Alias::new(work.table))
        .value(Alias::new("runner"), runner)
        .value(Alias::new("lease_until"), now + LEASE_MS)
        .and_where(col("id").eq(id))
        .and_where(moving(work))
        .and_where(
            col("runner")
                .is_null()
                .or(col("runner").eq(runner))
                .or(col("lease_until").lt(now)),
        )
        .to_owned();
    Ok(exec(txn, &statement).await? == 1)
}

/// `update` also giving up the lease: no server holds the work now.
fn release(
    update: &mut sea_orm::sea_query::UpdateStatement,
) -> &mut sea_orm::sea_query::UpdateStatement {
    update
        .value(Alias::new("runner"), Value::String(None))
        .value(Alias::new("lease_until"), Value::BigInt(None))
}

/// Counts an error of work `id` and gives up its lease; stops it at [`MAX_FAILURES`].
/// Returns whether it stopped.
pub async fn count_failure(
    db: &DatabaseConnection,
    work: &Work,
    id: i64,
) -> Result<bool, AppError> {
    let txn = crate::db::write_txn(db).await?;
    let mut counted = Query::update();
    counted
        .table(Alias::new(work.table))
        .value(Alias::new("failures"), col("failures").add(1))
        .and_where(col("id").eq(id));
    exec(&txn, release(&mut counted)).await?;
    let mut stop = Query::update();
    stop.table(Alias::new(work.table))
        .value(Alias::new("state"), work.failed)
        .value(Alias::new("finished_at"), now_ms())
        .and_where(col("id").eq(id))
        .and_where(col("failures").gte(MAX_FAILURES))
        .and_where(moving(work));
    for column in work.forget_on_failure {
        stop.value(Alias::new(*column), Value::String(None));
    }
    let stopped = exec(&txn, &stop).await? > 0;
    txn.commit().await?;
    Ok(stopped)
}

/// Work that moves but no server holds (its server stopped).
pub async fn abandoned(db: &DatabaseConnection, work: &Work) -> Result<Vec<i64>, AppError> {
    let query = Query::select()
        .column(Alias::new("id"))
        .from(Alias::new(work.table))
        .and_where(moving(work))
        .and_where(
            col("lease_until")
                .is_null()
                .or(col("lease_until").lt(now_ms())),
        )
        .to_owned();
    let rows = db
        .query_all_raw(db.get_database_backend().build(&query))
        .await?;
    rows.iter()
        .map(|row| row.try_get::<i64>("", "id").map_err(AppError::from))
        .collect()
}

/// Runs `step` (one transaction of work under the runner's lease, answering whether more
/// remains) until the work is done or another server holds it, in the background of this
/// server. An error pauses the work and is counted.
pub fn spawn<F, Fut>(db: DatabaseConnection, work: &'static Work, id: i64, step: F)
where
    F: Fn(DatabaseConnection, String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<bool, AppError>> + Send,
{
    tokio::spawn(async move {
        if let Err(err) = run(&db, &step).await {
            tracing::warn!(work = work.what, id, error = %err, "background work paused");
            match count_failure(&db, work, id).await {
                Ok(true) => tracing::warn!(work = work.what, id, "background work stopped"),
                Ok(false) => {}
                Err(err) => {
                    tracing::warn!(work = work.what, id, error = %err, "failure not counted");
                }
            }
        }
    });
}

/// Runs `step` under one new runner's name until it answers that nothing remains.
pub async fn run<F, Fut>(db: &DatabaseConnection, step: &F) -> Result<(), AppError>
where
    F: Fn(DatabaseConnection, String) -> Fut,
    Fut: Future<Output = Result<bool, AppError>>,
{
    let runner = format!("{:016x}", rand::random::<u64>());
    while step(db.clone(), runner.clone()).await? {
        tokio::time::sleep(BREATHE).await;
    }
    Ok(())
}
