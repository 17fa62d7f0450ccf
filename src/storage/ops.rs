//! What operations watch, read from the shared database so that every instance sees the
//! same: the delivery queue, how long due work has waited, and overdue tickets.

use std::{collections::HashSet, time::Duration};

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
    sea_query::{Condition, Expr, Func, Query},
};
use uuid::Uuid;

use super::entities::{delivery, delivery_attempt};
use crate::domain::delivery::{Channel, DeliveryStatus, send_slot};

/// An endpoint with an attempt recorded this recently is in a worker's hands: the gap
/// between one send's end and the next claim is not waiting.
pub const RECENT_ATTEMPT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueDepth {
    /// Pending, their time come, and held by no worker.
    pub due: u64,
    /// Held under a lease that has not expired.
    pub in_flight: u64,
    /// Given up; an officer may send them again.
    pub failed: u64,
}

/// Pending, its time come, and no live lease: a dispatcher may claim it now (or, after
/// its last attempt, sweep it to failed).
fn claimable(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(delivery::COLUMN.status.eq(DeliveryStatus::Pending))
        .add(delivery::COLUMN.next_attempt_at.lte(now))
        .add(
            Condition::any()
                .add(delivery::COLUMN.locked_until.is_null())
                .add(delivery::COLUMN.locked_until.lt(now)),
        )
}

fn leased(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(delivery::COLUMN.status.eq(DeliveryStatus::Pending))
        .add(delivery::COLUMN.locked_until.gte(now))
}

pub async fn queue_depth(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<QueueDepth, DbErr> {
    let count = |cond: Condition| delivery::Entity::find().filter(cond).count(conn);
    Ok(QueueDepth {
        due: count(claimable(now)).await?,
        in_flight: count(leased(now)).await?,
        failed: count(Condition::all().add(delivery::COLUMN.status.eq(DeliveryStatus::Failed)))
            .await?,
    })
}

/// What the dispatcher's per-endpoint limit counts as one endpoint: the mail server for
/// every email, the URL for a webhook.
fn endpoint(channel: Channel, target: &str) -> String {
    send_slot(channel, target).to_owned()
}

/// How long the oldest due delivery has waited that no worker is busy with.
///
/// A delivery waits from its next attempt time, or from the expiry of the lease of a
/// worker that never answered. Deliveries to an endpoint that holds a live lease or had
/// an attempt recorded in the last [`RECENT_ATTEMPT`] are skipped: the dispatcher holds
/// them back on purpose, to keep within the endpoint's limit, and takes them in order as
/// the endpoint frees. A stopped dispatcher records nothing and its leases expire, so its
/// due deliveries then count with all the time they have waited. Zero when nothing waits.
pub async fn oldest_due_wait(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<Duration, DbErr> {
    let since = Func::min(Func::coalesce([
        Expr::col(delivery::Column::LockedUntil),
        Expr::col(delivery::Column::NextAttemptAt),
    ]));
    let waiting: Vec<(Channel, String, Option<DateTime<Utc>>)> = delivery::Entity::find()
        .select_only()
        .column(delivery::Column::Channel)
        .column(delivery::Column::Target)
        .expr(since)
        .filter(claimable(now))
        .group_by(delivery::Column::Channel)
        .group_by(delivery::Column::Target)
        .into_tuple()
        .all(conn)
        .await?;
    if waiting.is_empty() {
        return Ok(Duration::ZERO);
    }
    let busy = busy_endpoints(conn, now).await?;
    let oldest = waiting
        .into_iter()
        .filter_map(|(channel, target, since)| {
            let key = endpoint(channel, &target);
            since.filter(|_| !busy.contains(&key))
        })
        .min();
    Ok(oldest
        .and_then(|since| (now - since).to_std().ok())
        .unwrap_or_default())
}

/// Endpoints with a live lease, or with an attempt recorded in the last [`RECENT_ATTEMPT`].
async fn busy_endpoints(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<HashSet<String>, DbErr> {
    let leased: Vec<(Channel, String)> = delivery::Entity::find()
        .select_only()
        .column(delivery::Column::Channel)
        .column(delivery::Column::Target)
        .distinct()
        .filter(leased(now))
        .into_tuple()
        .all(conn)
        .await?;
    // Attempt ids are UUIDv7, minted when the attempt is recorded: the primary key
    // finds the recent ones without reading the whole history.
    let first_id =
        first_v7_at(now - TimeDelta::from_std(RECENT_ATTEMPT).unwrap_or(TimeDelta::zero()));
    let attempted =
        Query::select()
            .distinct()
            .column((delivery::Entity, delivery::Column::Channel))
            .column((delivery::Entity, delivery::Column::Target))
            .from(delivery_attempt::Entity)
            .inner_join(
                delivery::Entity,
                Expr::col((delivery::Entity, delivery::Column::Id)).equals((
                    delivery_attempt::Entity,
                    delivery_attempt::Column::DeliveryId,
                )),
            )
            .and_where(
                Expr::col((delivery_attempt::Entity, delivery_attempt::Column::Id))
                    .gte(Expr::val::<Uuid>(first_id)),
            )
            .to_owned();
    let mut busy: HashSet<String> = leased
        .into_iter()
        .map(|(channel, target)| endpoint(channel, &target))
        .collect();
    for row in conn.query_all(&attempted).await? {
        let channel: Channel = row.try_get("", "channel")?;
        let target: String = row.try_get("", "target")?;
        busy.insert(endpoint(channel, &target));
    }
    Ok(busy)
}

/// The smallest UUIDv7 minted at `at` or later.
fn first_v7_at(at: DateTime<Utc>) -> Uuid {
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or_default();
    uuid::Builder::from_unix_timestamp_millis(millis, &[0; 10]).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_v7_of_a_moment_sorts_before_every_id_minted_from_then_on() {
        let before = Utc::now() - TimeDelta::milliseconds(5);
        let bound = first_v7_at(Utc::now());
        let minted = Uuid::now_v7();
        assert!(bound <= minted);
        assert!(bound.as_bytes() <= minted.as_bytes());
        assert!(first_v7_at(before) < bound);
        assert!(first_v7_at(Utc::now() + TimeDelta::seconds(1)) > minted);
    }
}
