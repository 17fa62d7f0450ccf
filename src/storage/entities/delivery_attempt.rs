use sea_orm::entity::prelude::*;

use crate::domain::delivery::AttemptOutcome;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "delivery_attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub delivery_id: Uuid,
    pub attempted_at: DateTimeUtc,
    pub duration_ms: i64,
    pub outcome: AttemptOutcome,
    pub status_code: Option<i32>,
    pub reply: Option<String>,
    pub error: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
