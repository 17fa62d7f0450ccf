//! Outbound notifications: what is sent to each party.

pub mod guard;
pub mod outcome;
pub mod payload;
pub mod signature;
pub mod webhook;
