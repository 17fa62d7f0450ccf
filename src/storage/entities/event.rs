use sea_orm::entity::prelude::*;

use crate::domain::{ActorKind, TimelineEvent};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub incident_id: Uuid,
    pub ticket_id: Option<Uuid>,
    pub actor_kind: ActorKind,
    pub actor_id: Option<String>,
    pub actor_name: Option<String>,
    pub event_type: TimelineEvent,
    pub data: Json,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
