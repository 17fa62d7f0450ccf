//! Parties are configured in files and mirrored here so that tickets can reference them.

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, QueryFilter, sea_query::OnConflict,
};

use super::entities::party;
use crate::config::Settings;

/// Upserts every configured party and marks the ones no longer configured inactive.
pub async fn sync(conn: &impl ConnectionTrait, settings: &Settings) -> Result<(), DbErr> {
    let now = Utc::now();
    let rows: Vec<party::ActiveModel> = settings
        .all_parties()
        .map(|p| party::ActiveModel {
            id: Set(p.settings.id.clone()),
            kind: Set(p.kind),
            parent_id: Set(p.settings.parent.clone()),
            name_vi: Set(p.settings.name.vi.clone()),
            name_en: Set(p.settings.name.en.clone()),
            locale: Set(p.settings.locale),
            ack_deadline_secs: Set(
                i64::try_from(p.settings.ack_deadline.as_secs()).unwrap_or(i64::MAX)
            ),
            active: Set(true),
            updated_at: Set(now),
        })
        .collect();
    let ids: Vec<String> = settings
        .all_parties()
        .map(|p| p.settings.id.clone())
        .collect();
    party::Entity::update_many()
        .col_expr(party::Column::Active, false.into())
        .filter(party::COLUMN.id.is_not_in(ids))
        .exec(conn)
        .await?;
    party::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(party::Column::Id)
                .update_columns([
                    party::Column::Kind,
                    party::Column::ParentId,
                    party::Column::NameVi,
                    party::Column::NameEn,
                    party::Column::Locale,
                    party::Column::AckDeadlineSecs,
                    party::Column::Active,
                    party::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}
