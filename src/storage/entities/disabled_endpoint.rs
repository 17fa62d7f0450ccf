use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "disabled_endpoints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub url: String,
    pub party_id: String,
    pub reason: String,
    pub disabled_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
