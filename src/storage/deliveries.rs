//! The delivery outbox: one row per ticket and contact channel.

use sea_orm::{ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::entities::delivery;

pub use delivery::Model as DeliveryRow;

pub async fn insert_many(
    conn: &impl ConnectionTrait,
    rows: Vec<delivery::ActiveModel>,
) -> Result<(), DbErr> {
    delivery::Entity::insert_many(rows)
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
