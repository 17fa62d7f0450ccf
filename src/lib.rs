//! incident-desk: arrows point down, app -> http / worker -> usecases -> storage / channels
//! -> domain; config and telemetry sit beside them and import only domain.

pub mod app;
pub mod channels;
pub mod config;
pub mod domain;
pub mod http;
pub mod storage;
pub mod telemetry;
pub mod usecases;
pub mod worker;
