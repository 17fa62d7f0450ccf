//! One module per actor or flow. Each opens its transaction, checks the state machine and
//! appends to the timeline and the outbox; the only door from http/ and worker/ to storage/.

pub mod backup;
pub mod deadlines;
pub mod desk;
pub mod desk_counters;
pub mod incident;
pub mod intake;
pub mod member;
pub mod officers;
pub mod outbox;
pub mod payload;
pub mod retention;
pub mod ticket;
