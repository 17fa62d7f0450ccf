//! Outbound notifications: what is sent to each party.

pub mod guard;
pub mod payload;
pub mod signature;
