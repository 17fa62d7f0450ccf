//! On SQLite, the due index (`status`, `next_attempt_at`) gains every other column a
//! dispatcher's claim reads. Its walk past deliveries already leased, or to destinations
//! with no free slot, then reads index entries alone instead of each row with its payload
//! (a page each, re-read from disk once other connections' writes have emptied the cache).
//! PostgreSQL keeps the index as it is: a claim there locks the rows it reads, so it reads
//! them anyway, and an email's target (its recipients) can outgrow an index entry.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const INDEX: &str = "idx_deliveries_due";

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    Status,
    NextAttemptAt,
    LockedUntil,
    Attempts,
    Channel,
    Target,
    Id,
}

async fn replace(manager: &SchemaManager<'_>, columns: Vec<Deliveries>) -> Result<(), DbErr> {
    manager
        .drop_index(
            Index::drop()
                .name(INDEX)
                .table(Deliveries::Table)
                .to_owned(),
        )
        .await?;
    let mut index = Index::create();
    index.name(INDEX).table(Deliveries::Table);
    for column in columns {
        index.col(column);
    }
    manager.create_index(index.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm_migration::sea_orm::DatabaseBackend::Sqlite {
            return Ok(());
        }
        replace(
            manager,
            vec![
                Deliveries::Status,
                Deliveries::NextAttemptAt,
                Deliveries::LockedUntil,
                Deliveries::Attempts,
                Deliveries::Channel,
                Deliveries::Target,
                Deliveries::Id,
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm_migration::sea_orm::DatabaseBackend::Sqlite {
            return Ok(());
        }
        replace(manager, vec![Deliveries::Status, Deliveries::NextAttemptAt]).await
    }
}
