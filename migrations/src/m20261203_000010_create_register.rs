//! The page register: members (known by their email), the one-time links that sign them
//! in, the pages they declare with every version kept, the committees' declaration
//! requests with who was asked and who answered, and the member mail queue that carries
//! links, requests and reminders. Sessions gain a realm, so a member's session and an
//! officer's never stand for each other. An incident can name the declaration it started
//! from, and carries a flag when the register contradicts the report.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
    Email,
    CommitteeId,
    CommitteeConfirmedAt,
    Locale,
    ConfirmedAt,
    CreatedAt,
    LastSignedInAt,
}

#[derive(DeriveIden)]
enum MemberLinks {
    Table,
    Id,
    Digest,
    MemberId,
    RequestId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum RegisterPages {
    Table,
    Id,
    MemberId,
    CommitteeId,
    Platform,
    Url,
    PageKey,
    Name,
    CreatedOn,
    Purpose,
    Status,
    ClosedOn,
    ClosedReason,
    DeletedOnPlatform,
    LinkedPhone,
    LinkedEmail,
    Admins,
    Memberships,
    Version,
    DeclaredAt,
    UpdatedAt,
    ConfirmedAt,
    SearchText,
}

#[derive(DeriveIden)]
enum RegisterPageVersions {
    Table,
    PageId,
    Version,
    At,
    Change,
    Snapshot,
}

#[derive(DeriveIden)]
enum DeclarationRequests {
    Table,
    Id,
    CommitteeId,
    CreatedBy,
    CreatedByName,
    Message,
    Deadline,
    RemindAt,
    RemindedAt,
    CreatedAt,
    AskedCount,
    AnsweredCount,
}

#[derive(DeriveIden)]
enum DeclarationRequestMembers {
    Table,
    RequestId,
    MemberId,
    CommitteeId,
    AskedAt,
    AnsweredAt,
}

#[derive(DeriveIden)]
enum MemberMails {
    Table,
    Id,
    MemberId,
    Kind,
    LinkId,
    RequestId,
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Realm,
    MemberId,
}

#[derive(DeriveIden)]
enum Incidents {
    Table,
    RegisterPageId,
    RegisterVersion,
    RegisterFlag,
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
                    .table(Members::Table)
                    .col(uuid(Members::Id).primary_key())
                    .col(string(Members::Email).unique_key())
                    .col(string_null(Members::CommitteeId))
                    .col(timestamp_with_time_zone_null(Members::CommitteeConfirmedAt))
                    .col(string(Members::Locale))
                    .col(timestamp_with_time_zone_null(Members::ConfirmedAt))
                    .col(timestamp_with_time_zone(Members::CreatedAt))
                    .col(timestamp_with_time_zone_null(Members::LastSignedInAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_members_committee",
            Members::Table,
            vec![Members::CommitteeId.into_iden(), Members::Email.into_iden()],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(MemberLinks::Table)
                    .col(uuid(MemberLinks::Id).primary_key())
                    .col(string(MemberLinks::Digest).unique_key())
                    .col(uuid(MemberLinks::MemberId))
                    .col(uuid_null(MemberLinks::RequestId))
                    .col(timestamp_with_time_zone(MemberLinks::CreatedAt))
                    .col(timestamp_with_time_zone(MemberLinks::ExpiresAt))
                    .col(timestamp_with_time_zone_null(MemberLinks::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_member_links_member")
                            .from(MemberLinks::Table, MemberLinks::MemberId)
                            .to(Members::Table, Members::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_member_links_member",
            MemberLinks::Table,
            vec![
                MemberLinks::MemberId.into_iden(),
                MemberLinks::CreatedAt.into_iden(),
            ],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(RegisterPages::Table)
                    .col(uuid(RegisterPages::Id).primary_key())
                    .col(uuid(RegisterPages::MemberId))
                    .col(string(RegisterPages::CommitteeId))
                    .col(string(RegisterPages::Platform))
                    .col(text(RegisterPages::Url))
                    .col(string(RegisterPages::PageKey))
                    .col(text(RegisterPages::Name))
                    .col(string_null(RegisterPages::CreatedOn))
                    .col(text(RegisterPages::Purpose))
                    .col(string(RegisterPages::Status))
                    .col(string_null(RegisterPages::ClosedOn))
                    .col(text_null(RegisterPages::ClosedReason))
                    .col(boolean(RegisterPages::DeletedOnPlatform).default(false))
                    .col(string_null(RegisterPages::LinkedPhone))
                    .col(string_null(RegisterPages::LinkedEmail))
                    .col(text(RegisterPages::Admins))
                    .col(text(RegisterPages::Memberships))
                    .col(integer(RegisterPages::Version))
                    .col(timestamp_with_time_zone(RegisterPages::DeclaredAt))
                    .col(timestamp_with_time_zone(RegisterPages::UpdatedAt))
                    .col(timestamp_with_time_zone(RegisterPages::ConfirmedAt))
                    .col(text(RegisterPages::SearchText))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_register_pages_member")
                            .from(RegisterPages::Table, RegisterPages::MemberId)
                            .to(Members::Table, Members::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("idx_register_pages_key", vec![RegisterPages::PageKey]),
            ("idx_register_pages_phone", vec![RegisterPages::LinkedPhone]),
            ("idx_register_pages_email", vec![RegisterPages::LinkedEmail]),
            (
                "idx_register_pages_member",
                vec![RegisterPages::MemberId, RegisterPages::UpdatedAt],
            ),
            (
                "idx_register_pages_committee",
                vec![
                    RegisterPages::CommitteeId,
                    RegisterPages::UpdatedAt,
                    RegisterPages::Id,
                ],
            ),
            (
                "idx_register_pages_updated",
                vec![RegisterPages::UpdatedAt, RegisterPages::Id],
            ),
        ] {
            index(
                manager,
                name,
                RegisterPages::Table,
                cols.into_iter().map(IntoIden::into_iden).collect(),
                false,
            )
            .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(RegisterPageVersions::Table)
                    .col(uuid(RegisterPageVersions::PageId))
                    .col(integer(RegisterPageVersions::Version))
                    .col(timestamp_with_time_zone(RegisterPageVersions::At))
                    .col(string(RegisterPageVersions::Change))
                    .col(text(RegisterPageVersions::Snapshot))
                    .primary_key(
                        Index::create()
                            .col(RegisterPageVersions::PageId)
                            .col(RegisterPageVersions::Version),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_register_page_versions_page")
                            .from(RegisterPageVersions::Table, RegisterPageVersions::PageId)
                            .to(RegisterPages::Table, RegisterPages::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DeclarationRequests::Table)
                    .col(uuid(DeclarationRequests::Id).primary_key())
                    .col(string(DeclarationRequests::CommitteeId))
                    .col(uuid(DeclarationRequests::CreatedBy))
                    .col(string(DeclarationRequests::CreatedByName))
                    .col(text(DeclarationRequests::Message))
                    .col(timestamp_with_time_zone(DeclarationRequests::Deadline))
                    .col(timestamp_with_time_zone(DeclarationRequests::RemindAt))
                    .col(timestamp_with_time_zone_null(
                        DeclarationRequests::RemindedAt,
                    ))
                    .col(timestamp_with_time_zone(DeclarationRequests::CreatedAt))
                    // Kept with the members' rows, so that showing a request's progress
                    // does not count a subtree of members on every view.
                    .col(integer(DeclarationRequests::AskedCount).default(0))
                    .col(integer(DeclarationRequests::AnsweredCount).default(0))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_declaration_requests_committee",
            DeclarationRequests::Table,
            vec![
                DeclarationRequests::CommitteeId.into_iden(),
                DeclarationRequests::CreatedAt.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "idx_declaration_requests_remind",
            DeclarationRequests::Table,
            vec![
                DeclarationRequests::RemindedAt.into_iden(),
                DeclarationRequests::RemindAt.into_iden(),
            ],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(DeclarationRequestMembers::Table)
                    .col(uuid(DeclarationRequestMembers::RequestId))
                    .col(uuid(DeclarationRequestMembers::MemberId))
                    .col(string(DeclarationRequestMembers::CommitteeId))
                    .col(timestamp_with_time_zone(DeclarationRequestMembers::AskedAt))
                    .col(timestamp_with_time_zone_null(
                        DeclarationRequestMembers::AnsweredAt,
                    ))
                    .primary_key(
                        Index::create()
                            .col(DeclarationRequestMembers::RequestId)
                            .col(DeclarationRequestMembers::MemberId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_declaration_request_members_request")
                            .from(
                                DeclarationRequestMembers::Table,
                                DeclarationRequestMembers::RequestId,
                            )
                            .to(DeclarationRequests::Table, DeclarationRequests::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_declaration_request_members_open",
            DeclarationRequestMembers::Table,
            vec![
                DeclarationRequestMembers::RequestId.into_iden(),
                DeclarationRequestMembers::AnsweredAt.into_iden(),
                DeclarationRequestMembers::MemberId.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "idx_declaration_request_members_member",
            DeclarationRequestMembers::Table,
            vec![
                DeclarationRequestMembers::MemberId.into_iden(),
                DeclarationRequestMembers::AnsweredAt.into_iden(),
            ],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(MemberMails::Table)
                    .col(uuid(MemberMails::Id).primary_key())
                    .col(uuid(MemberMails::MemberId))
                    .col(string(MemberMails::Kind))
                    .col(uuid_null(MemberMails::LinkId))
                    .col(uuid_null(MemberMails::RequestId))
                    .col(string(MemberMails::Status))
                    .col(integer(MemberMails::Attempts))
                    .col(timestamp_with_time_zone(MemberMails::NextAttemptAt))
                    .col(text_null(MemberMails::LastError))
                    .col(timestamp_with_time_zone(MemberMails::CreatedAt))
                    .col(timestamp_with_time_zone_null(MemberMails::SentAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_member_mails_due",
            MemberMails::Table,
            vec![
                MemberMails::Status.into_iden(),
                MemberMails::NextAttemptAt.into_iden(),
            ],
            false,
        )
        .await?;
        // SQLite adds one column per ALTER TABLE.
        for mut column in [
            string(Sessions::Realm).default("desk").to_owned(),
            uuid_null(Sessions::MemberId).to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Sessions::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        for mut column in [
            uuid_null(Incidents::RegisterPageId).to_owned(),
            integer_null(Incidents::RegisterVersion).to_owned(),
            string_null(Incidents::RegisterFlag).to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Incidents::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Incidents::RegisterFlag,
            Incidents::RegisterVersion,
            Incidents::RegisterPageId,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Incidents::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [Sessions::MemberId, Sessions::Realm] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Sessions::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for table in [
            MemberMails::Table.into_iden(),
            DeclarationRequestMembers::Table.into_iden(),
            DeclarationRequests::Table.into_iden(),
            RegisterPageVersions::Table.into_iden(),
            RegisterPages::Table.into_iden(),
            MemberLinks::Table.into_iden(),
            Members::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
