//! HTTP handlers: the JSON API and the operational endpoints.

pub mod api;
pub mod health;
pub mod web;
