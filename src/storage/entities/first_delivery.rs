use sea_orm::entity::prelude::*;

/// When an incident was filed, and when its first delivery to a party arrived.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "first_deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub incident_id: Uuid,
    pub filed_at: DateTimeUtc,
    pub delivered_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
