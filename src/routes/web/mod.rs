//! HTML pages.

pub mod ack;
