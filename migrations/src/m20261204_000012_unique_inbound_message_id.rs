//! An inbound mail's Message-ID is unique, as its digest already is: the database itself
//! keeps the same mail from being stored twice, also when two copies arrive at once (two
//! ways in, or two instances of the service on PostgreSQL). Mail without a Message-ID is
//! told apart by its digest alone.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum InboundMails {
    Table,
    MessageId,
}

const PLAIN: &str = "idx_inbound_mails_message_id";
const UNIQUE: &str = "idx_inbound_mails_message_id_unique";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(PLAIN)
                    .table(InboundMails::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(UNIQUE)
                    .table(InboundMails::Table)
                    .col(InboundMails::MessageId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(UNIQUE)
                    .table(InboundMails::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(PLAIN)
                    .table(InboundMails::Table)
                    .col(InboundMails::MessageId)
                    .to_owned(),
            )
            .await
    }
}
