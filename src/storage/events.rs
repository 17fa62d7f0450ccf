//! The append-only timeline of each incident.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::entities::event;
use crate::domain::{Actor, TimelineEvent};

pub use event::Model as EventRow;

/// A timeline entry about to be written.
pub struct NewEvent {
    pub incident_id: Uuid,
    pub ticket_id: Option<Uuid>,
    pub actor: Actor,
    pub event_type: TimelineEvent,
    pub data: serde_json::Value,
    pub at: DateTime<Utc>,
}

impl From<NewEvent> for event::ActiveModel {
    fn from(e: NewEvent) -> Self {
        event::ActiveModel {
            id: Set(Uuid::now_v7()),
            incident_id: Set(e.incident_id),
            ticket_id: Set(e.ticket_id),
            actor_kind: Set(e.actor.kind),
            actor_id: Set(e.actor.id),
            actor_name: Set(e.actor.name),
            event_type: Set(e.event_type),
            data: Set(e.data),
            created_at: Set(e.at),
        }
    }
}

pub async fn append(conn: &impl ConnectionTrait, events: Vec<NewEvent>) -> Result<(), DbErr> {
    let rows: Vec<event::ActiveModel> = events.into_iter().map(Into::into).collect();
    event::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await
        .map(|_| ())
}

pub async fn for_incident(
    conn: &impl ConnectionTrait,
    incident_id: Uuid,
) -> Result<Vec<EventRow>, DbErr> {
    event::Entity::find()
        .filter(event::COLUMN.incident_id.eq(incident_id))
        .order_by_asc(event::Column::Id)
        .all(conn)
        .await
}
