//! Everything about one incident, read from one snapshot so that its parts agree: the
//! incident, its tickets with their deliveries and every attempt, the evidence and the
//! timeline.

use super::{
    Database, DbErr, Scope, deliveries,
    deliveries::{AttemptRow, DeliveryRow},
    events::{self, EventRow},
    evidence::{self, EvidenceRow},
    incidents::{self, IncidentKey, IncidentRow},
    tickets::{self, TicketRow},
};

pub struct Dossier {
    pub incident: IncidentRow,
    pub tickets: Vec<TicketRow>,
    pub deliveries: Vec<DeliveryRow>,
    pub attempts: Vec<AttemptRow>,
    pub evidence: Vec<EvidenceRow>,
    pub events: Vec<EventRow>,
    /// The incident this one duplicates, if any (its reference).
    pub duplicate_of: Option<String>,
    /// Other incidents about the same page, within the reader's scope.
    pub same_page: Vec<IncidentRow>,
    /// Every message of every conversation of the incident, oldest first.
    pub messages: Vec<super::correspondence::MessageRow>,
    /// Each inbound mail of the incident with the `dmarc=` verdict it arrived with.
    pub mail_auth: Vec<(uuid::Uuid, Option<String>)>,
}

pub async fn load(
    db: &Database,
    scope: &Scope,
    key: &IncidentKey,
) -> Result<Option<Dossier>, DbErr> {
    let tx = db.read_snapshot().await?;
    let Some(incident) = incidents::find(&tx, scope, key).await? else {
        tx.commit().await?;
        return Ok(None);
    };
    let tickets = tickets::for_incident(&tx, incident.id).await?;
    let deliveries = deliveries::for_tickets(&tx, tickets.iter().map(|t| t.id).collect()).await?;
    let attempts = deliveries::attempts_for(&tx, deliveries.iter().map(|d| d.id).collect()).await?;
    let evidence = evidence::for_incident(&tx, incident.id).await?;
    let events = events::for_incident(&tx, incident.id).await?;
    let duplicate_of = match incident.duplicate_of {
        Some(id) => incidents::find(&tx, &Scope::All, &IncidentKey::Id(id))
            .await?
            .map(|i| i.reference),
        None => None,
    };
    let same_page = incidents::same_page(&tx, scope, &incident.page_key, incident.id).await?;
    let messages = super::correspondence::incident_messages(&tx, incident.id).await?;
    let mail_auth = super::correspondence::incident_mail_auth(&tx, incident.id).await?;
    tx.commit().await?;
    Ok(Some(Dossier {
        incident,
        tickets,
        deliveries,
        attempts,
        evidence,
        events,
        duplicate_of,
        same_page,
        messages,
        mail_auth,
    }))
}
