use sea_orm::entity::prelude::*;

use crate::domain::delivery::{Channel, DeliveryStatus, Notice};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub channel: Channel,
    pub target: String,
    pub status: DeliveryStatus,
    pub event_type: Notice,
    pub payload: Vec<u8>,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The webhook endpoint, for webhook deliveries.
    pub endpoint_id: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
