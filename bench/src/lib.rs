//! What the benchmark tools share: the configuration of a served instance and the wait
//! until it is ready, the shapes of load and the server's resource figures, and bulk
//! INSERT statements for seeding.

pub mod load;
pub mod rng;
pub mod sql;

use std::{path::Path, time::Duration};

use anyhow::bail;

/// An instance on `port` over `db`, its dispatcher off, with limits high enough that no
/// request of a run is ever answered 429.
pub fn server_config(port: u16, db: &str, evidence: &Path) -> String {
    format!(
        r#"public_base_url = "http://127.0.0.1:{port}"
[database]
url = "{db}"
max_connections = 4
[dispatcher]
enabled = false
[logging]
format = "pretty"
level = "warn"
[evidence]
dir = "{}"
[web.rate_limits]
submissions = {{ per_minute = 1000000, burst = 1000000 }}
tracking = {{ per_minute = 1000000, burst = 1000000 }}
"#,
        evidence.display()
    )
}

/// Polls `{base}/readyz` every 100 ms until it answers 2xx, for at most `tries` polls.
pub async fn wait_until_ready(
    client: &reqwest::Client,
    base: &str,
    tries: u32,
) -> anyhow::Result<()> {
    for _ in 0..tries {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("server did not become ready")
}

/// Where a redirect points; empty when the answer has no `Location`.
pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
