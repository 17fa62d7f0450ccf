//! The delivery outbox: one row per ticket and contact channel.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, QueryTrait, Statement, UpdateMany,
    sea_query::{Expr, OnConflict, Order, Query},
};
use uuid::Uuid;

use super::entities::{delivery, delivery_attempt, first_delivery, incident};
use crate::domain::delivery::{AttemptOutcome, Channel, DeliveryStatus};

pub use delivery::Model as DeliveryRow;
pub use delivery_attempt::Model as AttemptRow;

pub async fn insert_many(conn: &impl ConnectionTrait, rows: Vec<DeliveryRow>) -> Result<(), DbErr> {
    delivery::Entity::insert_many(rows.into_iter().map(delivery::ActiveModel::from))
        .exec_without_returning(conn)
        .await
        .map(|_| ())
}

pub async fn for_tickets(
    conn: &impl ConnectionTrait,
    ticket_ids: Vec<Uuid>,
) -> Result<Vec<DeliveryRow>, DbErr> {
    delivery::Entity::find()
        .filter(delivery::COLUMN.ticket_id.is_in(ticket_ids))
        .order_by_asc(delivery::Column::Id)
        .all(conn)
        .await
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    Delivered,
    RetryAt(DateTime<Utc>),
    Failed,
}

/// One attempt, as recorded.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub attempted_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub status_code: Option<i32>,
    pub reply: Option<String>,
    pub error: Option<String>,
    pub next: NextStep,
}

/// The `i`-th bound parameter: `$i` on PostgreSQL, `?i` on SQLite.
fn param(backend: DbBackend, i: usize) -> String {
    match backend {
        DbBackend::Postgres => format!("${i}"),
        _ => format!("?{i}"),
    }
}

/// Marks delivered the leased deliveries this worker still holds; returns their ids (not
/// the rows, whose payloads the caller already has).
pub async fn mark_delivered(
    conn: &impl ConnectionTrait,
    ids: Vec<Uuid>,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = delivery::Entity::update_many()
        .col_expr(
            delivery::Column::Status,
            Expr::value(DeliveryStatus::Delivered),
        )
        .col_expr(delivery::Column::DeliveredAt, Expr::value(now))
        .col_expr(
            delivery::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            delivery::Column::LockedBy,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            delivery::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
        .filter(delivery::COLUMN.id.is_in(ids))
        .filter(delivery::COLUMN.locked_by.eq(worker))
        .into_query()
        .returning_col(delivery::Column::Id)
        .to_owned();
    conn.query_all(&stmt)
        .await?
        .iter()
        .map(|row| row.try_get("", "id"))
        .collect()
}

pub async fn insert_attempts(
    conn: &impl ConnectionTrait,
    rows: Vec<delivery_attempt::ActiveModel>,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    delivery_attempt::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await
        .map(|_| ())
}

/// The attempt row of a recorded attempt.
pub fn attempt_row(delivery_id: Uuid, attempt: &AttemptRecord) -> delivery_attempt::ActiveModel {
    let outcome = match attempt.next {
        NextStep::Delivered => AttemptOutcome::Delivered,
        NextStep::RetryAt(_) => AttemptOutcome::Retry,
        NextStep::Failed => AttemptOutcome::Failed,
    };
    delivery_attempt::ActiveModel {
        id: Set(Uuid::now_v7()),
        delivery_id: Set(delivery_id),
        attempted_at: Set(attempt.attempted_at),
        duration_ms: Set(attempt.duration_ms),
        outcome: Set(outcome),
        status_code: Set(attempt.status_code),
        reply: Set(attempt.reply.clone()),
        error: Set(attempt.error.clone()),
    }
}

/// A due delivery, as a claim first sees it.
#[derive(Debug, Clone)]
pub struct Due {
    pub id: Uuid,
    pub channel: Channel,
    pub target: String,
}

/// The first `window` due deliveries nobody holds, oldest due first, leaving out those to
/// the destinations in `full` (the mail server as `smtp`, webhook endpoints by URL): what a
/// claim picks from. `FOR UPDATE SKIP LOCKED` on PostgreSQL, so that several processes
/// never pick the same row; on SQLite the walk reads the covering due index alone.
pub async fn due(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    max_attempts: i32,
    window: u64,
    full: &[&str],
) -> Result<Vec<Due>, DbErr> {
    let backend = conn.get_database_backend();
    let email_full = full.contains(&"smtp");
    let targets: Vec<&str> = full.iter().copied().filter(|t| *t != "smtp").collect();
    let p: Vec<String> = (1..=3 + targets.len()).map(|i| param(backend, i)).collect();
    let lock = if backend == DbBackend::Postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let mut skipped = String::new();
    if email_full {
        skipped.push_str(" AND channel <> 'email'");
    }
    if !targets.is_empty() {
        skipped.push_str(&format!(
            " AND (channel = 'email' OR target NOT IN ({}))",
            p[3..].join(", ")
        ));
    }
    let sql = format!(
        "SELECT id, channel, target FROM deliveries WHERE status = 'pending' AND next_attempt_at <= {n} \
         AND (locked_until IS NULL OR locked_until < {n}) AND attempts < {m}{skipped} \
         ORDER BY next_attempt_at LIMIT {l}{lock}",
        n = p[0],
        m = p[1],
        l = p[2],
    );
    let window = i64::try_from(window).unwrap_or(i64::MAX);
    let mut values: Vec<sea_orm::Value> = vec![now.into(), max_attempts.into(), window.into()];
    values.extend(targets.iter().map(|t| sea_orm::Value::from(*t)));
    let stmt = Statement::from_sql_and_values(backend, sql, values);
    conn.query_all_raw(stmt)
        .await?
        .into_iter()
        .map(|row| {
            Ok(Due {
                id: row.try_get("", "id")?,
                channel: row.try_get("", "channel")?,
                target: row.try_get("", "target")?,
            })
        })
        .collect()
}

/// Leases these deliveries to `worker` until `until`, counting the attempt; returns them,
/// oldest due first.
pub async fn lease(
    conn: &impl ConnectionTrait,
    ids: Vec<Uuid>,
    worker: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<DeliveryRow>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut leased = lease_update(ids, worker, now, until)
        .exec_with_returning(conn)
        .await?;
    leased.sort_by_key(|d| (d.next_attempt_at, d.id));
    Ok(leased)
}

fn lease_update(
    ids: Vec<Uuid>,
    worker: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> UpdateMany<delivery::Entity> {
    delivery::Entity::update_many()
        .col_expr(delivery::Column::LockedBy, Expr::value(worker))
        .col_expr(delivery::Column::LockedUntil, Expr::value(until))
        .col_expr(
            delivery::Column::Attempts,
            Expr::col(delivery::Column::Attempts).add(1),
        )
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
        .filter(delivery::COLUMN.id.is_in(ids))
        // As `due` found them, should a caller lease ids it read in another transaction.
        .filter(super::checked_on_found_rows(
            delivery::COLUMN.status.eq(DeliveryStatus::Pending),
        ))
        .filter(
            Condition::any()
                .add(delivery::COLUMN.locked_until.is_null())
                .add(delivery::COLUMN.locked_until.lt(now)),
        )
}

/// Gives a claimed delivery back without counting the attempt (it was not sent).
pub async fn release(
    conn: &impl ConnectionTrait,
    id: Uuid,
    worker: &str,
    retry_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    delivery::Entity::update_many()
        .col_expr(
            delivery::Column::LockedBy,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            delivery::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            delivery::Column::Attempts,
            Expr::col(delivery::Column::Attempts).sub(1),
        )
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(retry_at))
        .filter(delivery::COLUMN.id.eq(id))
        .filter(delivery::COLUMN.locked_by.eq(worker))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Records an attempt and releases the lease, if this worker still holds it. Returns
/// false (and records nothing) when the lease was lost to another worker.
pub async fn record_attempt(
    conn: &impl ConnectionTrait,
    delivery: &DeliveryRow,
    worker: &str,
    attempt: &AttemptRecord,
) -> Result<bool, DbErr> {
    let (status, next_at, delivered_at) = match attempt.next {
        NextStep::Delivered => (
            DeliveryStatus::Delivered,
            delivery.next_attempt_at,
            Some(attempt.attempted_at),
        ),
        NextStep::RetryAt(at) => (DeliveryStatus::Pending, at, None),
        NextStep::Failed => (DeliveryStatus::Failed, delivery.next_attempt_at, None),
    };
    let updated = delivery::Entity::update_many()
        .col_expr(delivery::Column::Status, Expr::value(status))
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(next_at))
        .col_expr(delivery::Column::DeliveredAt, Expr::value(delivered_at))
        .col_expr(
            delivery::Column::LastError,
            Expr::value(attempt.error.clone()),
        )
        .col_expr(
            delivery::Column::LockedBy,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            delivery::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(delivery::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(delivery::COLUMN.id.eq(delivery.id))
        .filter(delivery::COLUMN.locked_by.eq(worker))
        .exec(conn)
        .await?;
    if updated.rows_affected == 0 {
        return Ok(false);
    }
    delivery_attempt::Entity::insert(attempt_row(delivery.id, attempt))
        .exec_without_returning(conn)
        .await?;
    Ok(true)
}

/// Marks failed the deliveries whose last allowed attempt never came back (the worker
/// died mid-send and the lease expired); returns them.
pub async fn fail_exhausted(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    max_attempts: i32,
) -> Result<Vec<DeliveryRow>, DbErr> {
    let stuck = delivery::Entity::find()
        .filter(delivery::COLUMN.status.eq(DeliveryStatus::Pending))
        .filter(delivery::COLUMN.attempts.gte(max_attempts))
        .filter(
            Condition::any()
                .add(delivery::COLUMN.locked_until.is_null())
                .add(delivery::COLUMN.locked_until.lt(now)),
        )
        .all(conn)
        .await?;
    for d in &stuck {
        delivery::Entity::update_many()
            .col_expr(
                delivery::Column::Status,
                Expr::value(DeliveryStatus::Failed),
            )
            .col_expr(
                delivery::Column::LastError,
                Expr::value("no answer to the last attempt"),
            )
            .col_expr(
                delivery::Column::LockedBy,
                Expr::value(Option::<String>::None),
            )
            .col_expr(
                delivery::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(delivery::COLUMN.id.eq(d.id))
            .filter(delivery::COLUMN.status.eq(DeliveryStatus::Pending))
            .exec(conn)
            .await?;
    }
    Ok(stuck)
}

/// Puts a ticket's failed deliveries back in the queue with a fresh schedule.
pub async fn requeue_failed(
    conn: &impl ConnectionTrait,
    ticket_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    delivery::Entity::update_many()
        .col_expr(
            delivery::Column::Status,
            Expr::value(DeliveryStatus::Pending),
        )
        .col_expr(delivery::Column::Attempts, Expr::value(0))
        .col_expr(delivery::Column::NextAttemptAt, Expr::value(now))
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
        .filter(delivery::COLUMN.ticket_id.eq(ticket_id))
        .filter(delivery::COLUMN.status.eq(DeliveryStatus::Failed))
        .exec(conn)
        .await
        .map(|r| r.rows_affected)
}

pub async fn attempts_for(
    conn: &impl ConnectionTrait,
    delivery_ids: Vec<Uuid>,
) -> Result<Vec<delivery_attempt::Model>, DbErr> {
    delivery_attempt::Entity::find()
        .filter(delivery_attempt::COLUMN.delivery_id.is_in(delivery_ids))
        .order_by_asc(delivery_attempt::Column::Id)
        .all(conn)
        .await
}

/// Cancels the pending deliveries to a disabled endpoint, claimed ones included (a claim's
/// attempt is still recorded by its worker, which checks the disabled set before it sends);
/// returns the deliveries cancelled.
pub async fn cancel_pending_to(
    conn: &impl ConnectionTrait,
    target: &str,
) -> Result<Vec<DeliveryRow>, DbErr> {
    let pending = delivery::Entity::find()
        .filter(delivery::COLUMN.target.eq(target))
        .filter(delivery::COLUMN.status.eq(DeliveryStatus::Pending))
        .all(conn)
        .await?;
    if pending.is_empty() {
        return Ok(pending);
    }
    cancel_update(pending.iter().map(|d| d.id).collect())
        .exec(conn)
        .await?;
    Ok(pending)
}

fn cancel_update(ids: Vec<Uuid>) -> UpdateMany<delivery::Entity> {
    delivery::Entity::update_many()
        .col_expr(
            delivery::Column::Status,
            Expr::value(DeliveryStatus::Failed),
        )
        .col_expr(
            delivery::Column::LastError,
            Expr::value("endpoint disabled after 410 Gone"),
        )
        .filter(delivery::COLUMN.id.is_in(ids))
        .filter(super::checked_on_found_rows(
            delivery::COLUMN.status.eq(DeliveryStatus::Pending),
        ))
}

/// Records `at` as the first arrival of those of `incident_ids` that have none yet, and
/// returns them with when each was filed: one statement, which inserts the incidents'
/// rows and skips those already there. A first arrival stays recorded, even if its email
/// bounces later. The rows go in by incident id, so that two processes inserting at once
/// wait for each other in one order and never deadlock each other.
pub async fn first_arrivals(
    conn: &impl ConnectionTrait,
    incident_ids: Vec<Uuid>,
    at: DateTime<Utc>,
) -> Result<Vec<(Uuid, DateTime<Utc>)>, DbErr> {
    if incident_ids.is_empty() {
        return Ok(Vec::new());
    }
    let incidents = Query::select()
        .column(incident::Column::Id)
        .column(incident::Column::CreatedAt)
        .expr(Expr::value(at))
        .from(incident::Entity)
        .and_where(incident::COLUMN.id.is_in(incident_ids))
        .order_by(incident::Column::Id, Order::Asc)
        .to_owned();
    let insert = Query::insert()
        .into_table(first_delivery::Entity)
        .columns([
            first_delivery::Column::IncidentId,
            first_delivery::Column::FiledAt,
            first_delivery::Column::DeliveredAt,
        ])
        .select_from(incidents)
        .map_err(|error| DbErr::Custom(error.to_string()))?
        .on_conflict(
            OnConflict::column(first_delivery::Column::IncidentId)
                .do_nothing()
                .to_owned(),
        )
        .returning(Query::returning().columns([
            first_delivery::Column::IncidentId,
            first_delivery::Column::FiledAt,
        ]))
        .to_owned();
    conn.query_all(&insert)
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get("", "incident_id")?,
                row.try_get("", "filed_at")?,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_lease_of_many_deliveries_looks_each_one_up_by_its_id() {
        let now = Utc::now();
        super::super::assert_every_step_uses(
            &lease_update(super::super::many_ids(), "w", now, now),
            "sqlite_autoindex_deliveries_1 (id=?)",
        )
        .await;
    }

    #[tokio::test]
    async fn cancelling_many_deliveries_looks_each_one_up_by_its_id() {
        super::super::assert_every_step_uses(
            &cancel_update(super::super::many_ids()),
            "sqlite_autoindex_deliveries_1 (id=?)",
        )
        .await;
    }
}
