//! HTTP handlers: the JSON API, the member pages, the committee desk and the operational
//! endpoints.

pub mod api;
pub mod desk;
pub mod health;
pub mod metrics;
pub mod web;
