//! The HTTP edge, actix only: parses requests, calls one use case, renders the answer.
//! Imports usecases, channels (links), telemetry, config and domain; never storage.

pub mod api;
pub mod body_deadline;
pub mod desk;
pub mod error;
pub mod extract;
pub mod html;
pub mod member;
pub mod ops;
pub mod routes;
pub mod state;
