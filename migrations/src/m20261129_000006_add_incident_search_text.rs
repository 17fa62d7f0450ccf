//! A lower-cased copy of what the desk searches in (reference, page address and handle,
//! the reporter's name, email and phone), written at intake in Rust so that Vietnamese
//! letters match whatever their case; SQLite's LOWER only folds ASCII.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Incidents {
    Table,
    SearchText,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Incidents::Table)
                    .add_column(text(Incidents::SearchText).default(""))
                    .to_owned(),
            )
            .await?;
        // Rows filed before this column: the database's own lower-casing is the best
        // available here.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE incidents SET search_text = LOWER(reference || ' ' || COALESCE(page_url, '') \
                 || ' ' || COALESCE(page_handle, '') || ' ' || reporter_name || ' ' \
                 || COALESCE(reporter_email, '') || ' ' || COALESCE(reporter_phone, ''))",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Incidents::Table)
                    .drop_column(Incidents::SearchText)
                    .to_owned(),
            )
            .await
    }
}
