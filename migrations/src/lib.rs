//! Schema migrations for incident-desk, applied by `incident-desk migrate` and on start.

pub use sea_orm_migration::prelude::*;

mod m20261128_000001_create_schema;
mod m20261128_000002_add_delivery_bookkeeping;
mod m20261128_000003_create_tracking_tokens;
mod m20261129_000004_add_member_web_fields;
mod m20261129_000005_create_officers;
mod m20261129_000006_add_incident_search_text;
mod m20261129_000008_add_incident_purged_at;
mod m20261203_000009_create_directory;
mod m20261203_000010_create_register;
mod m20261204_000011_create_correspondence;
mod m20261204_000012_unique_inbound_message_id;
mod m20261206_000013_create_report_drafts;
mod m20261206_000014_add_party_contact;
mod m20261206_000015_covering_due_index;
mod m20261206_000016_create_first_deliveries;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_create_schema::Migration),
            Box::new(m20261128_000002_add_delivery_bookkeeping::Migration),
            Box::new(m20261128_000003_create_tracking_tokens::Migration),
            Box::new(m20261129_000004_add_member_web_fields::Migration),
            Box::new(m20261129_000005_create_officers::Migration),
            Box::new(m20261129_000006_add_incident_search_text::Migration),
            Box::new(m20261129_000008_add_incident_purged_at::Migration),
            Box::new(m20261203_000009_create_directory::Migration),
            Box::new(m20261203_000010_create_register::Migration),
            Box::new(m20261204_000011_create_correspondence::Migration),
            Box::new(m20261204_000012_unique_inbound_message_id::Migration),
            Box::new(m20261206_000013_create_report_drafts::Migration),
            Box::new(m20261206_000014_add_party_contact::Migration),
            Box::new(m20261206_000015_covering_due_index::Migration),
            Box::new(m20261206_000016_create_first_deliveries::Migration),
        ]
    }
}
