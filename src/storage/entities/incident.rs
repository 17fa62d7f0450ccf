use sea_orm::entity::prelude::*;

use crate::domain::{
    AccountType, ContainmentState, IncidentKind, IncidentStatus, Locale, Platform, Severity,
    Source, register::RegisterFlag,
};

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "incidents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub reference: String,
    pub kind: IncidentKind,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub description: String,
    pub detected_at: DateTimeUtc,
    pub reporter_name: String,
    pub reporter_email: Option<String>,
    pub reporter_phone: Option<String>,
    pub committee_id: String,
    pub page_platform: Platform,
    pub page_url: Option<String>,
    pub page_handle: Option<String>,
    pub page_display_name: Option<String>,
    pub page_account_type: Option<AccountType>,
    pub page_linked_email: Option<String>,
    pub page_linked_phone: Option<String>,
    pub page_created_on: Option<String>,
    pub page_purpose: Option<String>,
    pub page_key: String,
    pub containment: ContainmentState,
    pub contained_at: Option<DateTimeUtc>,
    pub containment_actions: Json,
    pub duplicate_of: Option<Uuid>,
    pub source: Source,
    pub tracking_token_hash: Option<String>,
    pub reporter_locale: Locale,
    pub platform_case_ref: Option<String>,
    pub search_text: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When the personal data was purged (closed incidents only).
    pub purged_at: Option<DateTimeUtc>,
    /// The declaration of the page register the report started from, and its version.
    pub register_page_id: Option<Uuid>,
    pub register_version: Option<i32>,
    /// What the register says against the report.
    pub register_flag: Option<RegisterFlag>,
}

impl ActiveModelBehavior for ActiveModel {}
