//! Browser tests: the member pages in a headless Chromium on a phone-sized screen and the
//! committee desk on a desktop one, checked with axe-core and saved as screenshots under
//! `<target dir>/screenshots/`. Built only with `--features browser-tests`; they need
//! chromium, chromium-driver and `npm ci --prefix tests/browser`, and fail when any of
//! them is missing.

mod ack;
mod axe;
mod browser;
mod conversation;
mod desk;
mod desk_register;
mod directory;
// Shared with the API tests, which use the parts these tests do not.
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
mod png;
#[allow(dead_code)]
#[path = "../api/receiver.rs"]
mod receiver;
mod register;
mod report;
mod script_off;
#[allow(dead_code)]
#[path = "../api/smtp.rs"]
mod smtp;
mod steps;
