//! Report drafts: the answers of a member filling in the report form step by step, kept
//! server-side under the digest of their browser's form cookie until they submit or the
//! draft expires.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
enum ReportDrafts {
    Table,
    Digest,
    Answers,
    UpdatedAt,
    ExpiresAt,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReportDrafts::Table)
                    .col(string(ReportDrafts::Digest).primary_key())
                    .col(text(ReportDrafts::Answers))
                    .col(timestamp_with_time_zone(ReportDrafts::UpdatedAt))
                    .col(timestamp_with_time_zone(ReportDrafts::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_report_drafts_expires_at")
                    .table(ReportDrafts::Table)
                    .col(ReportDrafts::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ReportDrafts::Table).to_owned())
            .await
    }
}
