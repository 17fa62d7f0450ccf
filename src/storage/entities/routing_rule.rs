use sea_orm::entity::prelude::*;

use crate::domain::{Severity, routing::RuleKind};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "routing_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub position: i32,
    pub rule: RuleKind,
    pub party_id: String,
    /// Comma-separated incident kinds; every kind when empty.
    pub kinds: String,
    /// Comma-separated platforms; every platform when empty.
    pub platforms: String,
    pub min_severity: Severity,
}

impl ActiveModelBehavior for ActiveModel {}
