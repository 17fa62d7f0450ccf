//! Outbound notifications: what is sent to each party.

pub mod payload;
