//! The service as a child process (`incident-desk serve`), for crash and multi-process tests.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use tokio::process::{Child, Command};

pub struct ServiceProcess {
    child: Child,
    pub address: String,
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_incident-desk")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Writes a configuration file for child processes.
pub fn write_config(dir: &std::path::Path, toml: &str) -> PathBuf {
    let path = dir.join("incident-desk.toml");
    std::fs::write(&path, toml).expect("write config");
    path
}

/// Creates an API key with every scope through the CLI.
pub async fn create_key(config: &Path) -> String {
    let out = Command::new(binary())
        .args([
            "--config",
            config.to_str().expect("path"),
            "api-key",
            "create",
            "--name",
            "proc",
            "--scope",
            "incidents:write,incidents:read,tickets:write",
        ])
        .env("INCIDENT_DESK__SERVER__PORT", "0")
        .output()
        .await
        .expect("run api-key create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("key:"))
        .map(|k| k.trim().to_owned())
        .expect("key printed")
}

impl ServiceProcess {
    pub async fn start(config: &Path) -> ServiceProcess {
        let port = free_port();
        let child = Command::new(binary())
            .args(["--config", config.to_str().expect("path"), "serve"])
            .env("INCIDENT_DESK__SERVER__PORT", port.to_string())
            .env("INCIDENT_DESK__LOGGING__LEVEL", "warn")
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start the service");
        let address = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client
                .get(format!("{address}/readyz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return ServiceProcess { child, address };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the service did not become ready");
    }

    /// SIGKILL: no shutdown, no cleanup.
    pub async fn kill9(mut self) {
        self.child.start_kill().expect("kill");
        let _ = self.child.wait().await;
    }
}
