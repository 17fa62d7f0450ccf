//! One module per actor or flow. Each opens its transaction, checks the state machine and
//! appends to the timeline and the outbox; the only door from http/ and worker/ to storage/.

pub mod access;
pub mod backup;
pub mod correspondence;
pub mod deadlines;
pub mod delivery;
pub mod desk;
pub mod desk_counters;
pub mod directory;
pub mod drafts;
pub mod group_commit;
pub mod incident;
pub mod intake;
pub mod member;
pub mod officers;
pub mod outbox;
pub mod payload;
pub mod queries;
pub mod register;
pub mod retention;
pub mod sessions;
pub mod ticket;

/// The records the use cases hand to the edge, and the keys and filters that find them.
pub use crate::storage::{
    Database, DbErr, Scope,
    deliveries::{AttemptRow, DeliveryRow},
    dossier::Dossier,
    events::EventRow,
    evidence::EvidenceRow,
    files::{FileStore, Received},
    idempotency::Claim,
    incidents::{IncidentFilter, IncidentKey, IncidentRow},
    is_overloaded,
    queue::{Counters, Cursor, Flags, QueueFilter, Sort},
    tickets::TicketRow,
};
