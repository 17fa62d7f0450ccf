use sea_orm::entity::prelude::*;

use crate::domain::{
    ActorKind,
    directory::{ChangeAction, ChangeSubject},
};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "directory_changes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub at: DateTimeUtc,
    pub actor_kind: ActorKind,
    pub actor_id: Option<String>,
    pub actor_name: Option<String>,
    pub subject: ChangeSubject,
    pub subject_id: String,
    pub party_id: Option<String>,
    pub action: ChangeAction,
    /// JSON.
    pub before: Option<String>,
    /// JSON.
    pub after: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
