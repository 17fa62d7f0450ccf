//! Reports that start from the register: the version of a member's declaration a report
//! uses, and that version again whenever the incident's parties are told of it, as the
//! member's proof of ownership.

use uuid::Uuid;

use super::{MemberRow, PageRow, RegisterError};
use crate::{
    domain::register::{Declaration, DeclaredVersion},
    storage::{Conn, Database, DbErr, incidents::IncidentRow, register as store},
};

/// One version of a declared page, as it was written; `None` when the page or the version
/// is unknown, or its snapshot cannot be read.
pub async fn version_of(
    conn: &impl Conn,
    page_id: Uuid,
    version: i32,
) -> Result<Option<DeclaredVersion>, DbErr> {
    let Some(page) = store::page(conn, page_id).await? else {
        return Ok(None);
    };
    let Some(row) = store::version(conn, page_id, version).await? else {
        return Ok(None);
    };
    let Ok(declaration) = serde_json::from_str::<Declaration>(&row.snapshot) else {
        tracing::warn!(page = %page_id, version, "a declaration's snapshot does not read back");
        return Ok(None);
    };
    Ok(Some(DeclaredVersion {
        page_id,
        version,
        at: row.at,
        first_declared_at: page.declared_at,
        declaration,
    }))
}

/// The declaration an incident's report used, when it started from the register.
pub async fn of_incident(
    conn: &impl Conn,
    incident: &IncidentRow,
) -> Result<Option<DeclaredVersion>, DbErr> {
    match (incident.register_page_id, incident.register_version) {
        (Some(page), Some(version)) => version_of(conn, page, version).await,
        _ => Ok(None),
    }
}

/// The member's page a report starts from, and the version it uses: the one the form was
/// filled from (`shown`) when the page has it, else the current one.
pub async fn for_member(
    db: &Database,
    member: &MemberRow,
    page_id: Uuid,
    shown: Option<i32>,
) -> Result<(PageRow, DeclaredVersion), RegisterError> {
    let conn = db.conn();
    let page = store::page(conn, page_id)
        .await?
        .filter(|p| p.member_id == member.id)
        .ok_or(RegisterError::NotFound)?;
    let version = shown
        .filter(|v| (1..=page.version).contains(v))
        .unwrap_or(page.version);
    let declared = version_of(conn, page.id, version)
        .await?
        .ok_or(RegisterError::NotFound)?;
    Ok((page, declared))
}
