//! Outbound notifications: what is sent to each party.

pub mod ack_link;
pub mod deadlines;
pub mod dispatcher;
pub mod email;
pub mod email_channel;
pub mod guard;
pub mod outbox;
pub mod outcome;
pub mod payload;
pub mod signature;
pub mod webhook;
