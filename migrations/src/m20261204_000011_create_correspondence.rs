//! Correspondence: every mail that comes in (kept whole, once, with what it was matched to or
//! why it was not), the messages of each ticket's conversation and of the member's, and on
//! each ticket whose move it is, how many party messages are unread, and the time its
//! acknowledgement clock spent paused while the desk waited on the member.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
enum InboundMails {
    Table,
    Id,
    ReceivedAt,
    Via,
    MessageId,
    Sha256,
    Sender,
    Subject,
    Kind,
    Status,
    Reason,
    MatchedBy,
    IncidentId,
    TicketId,
    AuthResults,
    Dmarc,
    Raw,
    HandledBy,
    HandledAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    IncidentId,
    TicketId,
    Direction,
    Author,
    AuthorRef,
    Channel,
    Kind,
    Subject,
    Body,
    InboundId,
    SharedWithMember,
    Evidence,
    ReadAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Tickets {
    Table,
    Waiting,
    Unread,
    PausedAt,
    PausedSeconds,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: Vec<DynIden>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in cols {
        index.col(col);
    }
    if unique {
        index.unique();
    }
    manager.create_index(index.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InboundMails::Table)
                    .col(uuid(InboundMails::Id).primary_key())
                    .col(timestamp_with_time_zone(InboundMails::ReceivedAt))
                    .col(string(InboundMails::Via))
                    .col(string_null(InboundMails::MessageId))
                    .col(string(InboundMails::Sha256))
                    .col(string(InboundMails::Sender))
                    .col(text(InboundMails::Subject))
                    .col(string(InboundMails::Kind))
                    .col(string(InboundMails::Status))
                    .col(string_null(InboundMails::Reason))
                    .col(string_null(InboundMails::MatchedBy))
                    .col(uuid_null(InboundMails::IncidentId))
                    .col(uuid_null(InboundMails::TicketId))
                    .col(text_null(InboundMails::AuthResults))
                    .col(string_null(InboundMails::Dmarc))
                    .col(blob(InboundMails::Raw))
                    .col(string_null(InboundMails::HandledBy))
                    .col(timestamp_with_time_zone_null(InboundMails::HandledAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_inbound_mails_sha256",
            InboundMails::Table,
            vec![InboundMails::Sha256.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "idx_inbound_mails_message_id",
            InboundMails::Table,
            vec![InboundMails::MessageId.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "idx_inbound_mails_status",
            InboundMails::Table,
            vec![
                InboundMails::Status.into_iden(),
                InboundMails::ReceivedAt.into_iden(),
            ],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .col(uuid(Messages::Id).primary_key())
                    .col(uuid(Messages::IncidentId))
                    .col(uuid_null(Messages::TicketId))
                    .col(string(Messages::Direction))
                    .col(string(Messages::Author))
                    .col(string_null(Messages::AuthorRef))
                    .col(string(Messages::Channel))
                    .col(string(Messages::Kind))
                    .col(text(Messages::Subject))
                    .col(text(Messages::Body))
                    .col(uuid_null(Messages::InboundId))
                    .col(boolean(Messages::SharedWithMember).default(false))
                    .col(text(Messages::Evidence))
                    .col(timestamp_with_time_zone_null(Messages::ReadAt))
                    .col(timestamp_with_time_zone(Messages::CreatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_messages_ticket",
            Messages::Table,
            vec![
                Messages::TicketId.into_iden(),
                Messages::CreatedAt.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "idx_messages_incident",
            Messages::Table,
            vec![
                Messages::IncidentId.into_iden(),
                Messages::CreatedAt.into_iden(),
            ],
            false,
        )
        .await?;
        // SQLite adds one column per ALTER TABLE.
        for mut column in [
            string(Tickets::Waiting).default("nobody").to_owned(),
            integer(Tickets::Unread).default(0).to_owned(),
            timestamp_with_time_zone_null(Tickets::PausedAt).to_owned(),
            big_integer(Tickets::PausedSeconds).default(0).to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tickets::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Tickets::PausedSeconds,
            Tickets::PausedAt,
            Tickets::Unread,
            Tickets::Waiting,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Tickets::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(Messages::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(InboundMails::Table).to_owned())
            .await
    }
}
