//! Black-box tests: each test runs the real application on port 0 with its own database
//! (a fresh SQLite file, or a fresh PostgreSQL database when TEST_DATABASE_URL is set).

mod auth;
mod correspondence;
mod crash;
mod desk;
mod directory;
mod directory_import;
mod health;
mod helpers;
mod idempotency;
mod incidents;
mod lifecycle;
mod members_import;
mod metrics;
mod migrations;
mod notifications;
mod process;
mod protocol;
mod receiver;
mod register;
mod register_api;
mod report_steps;
mod smtp;
mod tickets;
mod transitions;
mod validation;
mod web;
mod webhook_schemas;
