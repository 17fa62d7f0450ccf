pub mod actions;
pub mod config;
pub mod domain;
pub mod intake;
pub mod notify;
pub mod secrets;
pub mod storage;
