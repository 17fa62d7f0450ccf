//! The data lifecycle through the real binary: `purge` of closed incidents' personal data
//! (by hand, as a dry run, and on `serve`'s schedule) and `backup` with its restore.

mod backup;
mod purge;
mod schedule;

use std::{
    path::{Path, PathBuf},
    process::Output,
    time::Duration,
};

use incident_desk::domain::access::Role;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::process::Command;

use crate::{
    desk::Officer,
    helpers::{TestApp, spawn_app_with},
    notifications::{WAIT, parties},
    process::{binary, write_config},
    receiver::{Receiver, Reply},
    smtp::SmtpSink,
    web::{Member, PNG, good_fields},
};

/// The command line on a test app's database and evidence folder.
pub struct Cli {
    pub config: PathBuf,
    _dir: tempfile::TempDir,
}

impl Cli {
    pub fn new(app: &TestApp) -> Self {
        Self::with(&app.db.url, app.evidence.path(), "")
    }

    /// The command line on this database and evidence folder, with more TOML.
    pub fn with(database_url: &str, evidence: &Path, extra: &str) -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let config = write_config(
            dir.path(),
            &format!(
                "[database]\nurl = \"{database_url}\"\nmax_connections = 2\n\
                 [evidence]\ndir = \"{}\"\n\
                 [dispatcher]\nenabled = false\n{extra}",
                evidence.display()
            ),
        );
        Self { config, _dir: dir }
    }

    pub async fn run(&self, args: &[&str]) -> Output {
        Command::new(binary())
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .env("INCIDENT_DESK__LOGGING__LEVEL", "warn")
            .kill_on_drop(true)
            .output()
            .await
            .expect("run the binary")
    }

    /// Runs a command that must succeed, and returns what it printed.
    pub async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// Runs a command that must fail, and returns its error output.
    pub async fn refused(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert!(
            !out.status.success(),
            "{args:?} succeeded: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

/// An app whose parties are reachable on loopback (so every notification settles when the
/// test drives the dispatcher), with more TOML.
pub async fn notifying_app(sink: &SmtpSink, extra: &str) -> (TestApp, Receiver, Receiver) {
    let a = Receiver::start(Reply::Status(200)).await;
    let b = Receiver::start(Reply::Status(200)).await;
    let app = spawn_app_with(&format!(
        "{}\n[email]\nsmtp_url = \"{}\"\n{extra}",
        parties(&a.url, &b.url, true),
        sink.url()
    ))
    .await;
    (app, a, b)
}

/// Evidence bytes that differ by `tag` (a PNG, as its first bytes say).
pub fn png(tag: &str) -> Vec<u8> {
    [PNG, tag.as_bytes()].concat()
}

/// The hex SHA-256 of some bytes, as the evidence folder names files.
pub fn digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Whether the evidence folder holds a file with these bytes.
pub fn stored(evidence: &Path, bytes: &[u8]) -> bool {
    let d = digest(bytes);
    evidence.join(&d[..2]).join(&d).is_file()
}

/// A member files the usual web report with one file; returns (tracking token, id,
/// reference).
pub async fn file_on_the_web(app: &TestApp, file: (&str, Vec<u8>)) -> (String, String, String) {
    let before: Vec<String> = ids(app).await;
    let response = Member::new(app).report(&good_fields(), vec![file]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let token = response.headers()["location"]
        .to_str()
        .expect("location")
        .strip_prefix("/track/")
        .and_then(|rest| rest.strip_suffix("/confirmation"))
        .expect("a confirmation address")
        .to_owned();
    let new = app
        .all_incidents()
        .await
        .into_iter()
        .find(|i| !before.iter().any(|b| i["id"] == b.as_str()))
        .expect("the new incident");
    (
        token,
        new["id"].as_str().expect("id").to_owned(),
        new["reference"].as_str().expect("reference").to_owned(),
    )
}

async fn ids(app: &TestApp) -> Vec<String> {
    app.all_incidents()
        .await
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Resolves then closes an incident through the desk, with `note` on the way.
pub async fn close_on_the_desk(officer: &Officer<'_>, reference: &str, note: &str) {
    let path = format!("/desk/incidents/{reference}/status");
    let steps: [&[(&str, &str)]; 2] = [
        &[("status", "resolved"), ("note", note)],
        &[("status", "closed")],
    ];
    for fields in steps {
        let r = officer.post_form(&path, fields).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{fields:?}");
    }
}

/// An admin's browser on the desk.
pub async fn admin(app: &TestApp) -> Officer<'_> {
    Officer::create(app, "quan.tri", Role::Admin, None).await
}

/// Polls the incident until `done` holds of it.
pub async fn wait_until(app: &TestApp, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let detail = app.incident(id).await;
        if done(&detail) {
            return detail;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting: {detail:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The timeline entries of this type.
pub fn events<'v>(detail: &'v Value, event_type: &str) -> Vec<&'v Value> {
    detail["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["type"] == event_type)
        .collect()
}
