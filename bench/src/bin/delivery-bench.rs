//! Delivery benchmark: starts `target/release/incident-desk serve` on a fresh SQLite file
//! with every party's webhook pointing at a receiver inside this process, files incidents
//! at a steady rate, and measures the time from each POST to each signed webhook's arrival,
//! the deliveries per second, and the server's peak memory. `--hanging` adds a second
//! endpoint to one party that accepts connections and never answers.

use std::{
    collections::HashMap,
    process::Stdio,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use clap::Parser;
use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
    process::Command,
};

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, default_value = "target/release/incident-desk")]
    binary: std::path::PathBuf,
    /// Incidents per second offered.
    #[arg(long, default_value_t = 200)]
    rate: u64,
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Add an endpoint that never answers.
    #[arg(long)]
    hanging: bool,
    #[arg(long, default_value_t = 18_090)]
    port: u16,
}

/// Arrival times of webhooks, by incident number.
type Arrivals = Arc<Mutex<Vec<(u64, Instant)>>>;

/// A minimal HTTP/1.1 receiver: reads each request and answers 204 (keep-alive).
async fn receiver(arrivals: Arrivals) -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let arrivals = arrivals.clone();
            tokio::spawn(async move {
                let mut buf = Vec::with_capacity(8192);
                let mut chunk = [0u8; 8192];
                loop {
                    let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    while buf.len() < head_end + 4 + length {
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let body = &buf[head_end + 4..head_end + 4 + length];
                    let arrived = Instant::now();
                    if let Ok(event) = serde_json::from_slice::<serde_json::Value>(body) {
                        let n = event["data"]["incident"]["page"]["url"]
                            .as_str()
                            .and_then(|u| u.rsplit('.').next())
                            .and_then(|n| n.parse::<u64>().ok());
                        if let (Some(n), true) = (n, head.contains("webhook-signature: v1,")) {
                            arrivals.lock().expect("arrivals").push((n, arrived));
                        }
                    }
                    buf.drain(..head_end + 4 + length);
                    if socket
                        .write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    Ok(port)
}

/// Accepts connections and never answers.
async fn black_hole() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    Ok(port)
}

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn party(list: &str, id: &str, hooks: &[String]) -> String {
    let hooks: Vec<String> = hooks
        .iter()
        .map(|u| format!("{{ url = \"{u}\", secret = \"{SECRET}\" }}"))
        .collect();
    format!(
        "[[parties.{list}]]\nid = \"{id}\"\nname = {{ vi = \"{id}\", en = \"{id}\" }}\nack_deadline = \"24h\"\ncontacts.webhooks = [{}]\n",
        hooks.join(", ")
    )
}

fn config(db: &str, hook: &str, hanging: Option<&str>) -> String {
    let mut toml = format!(
        "[database]\nurl = \"{db}\"\nmax_connections = 4\n[webhooks]\nallow_networks = [\"127.0.0.0/8\"]\ntimeout = \"15s\"\n[logging]\nformat = \"pretty\"\nlevel = \"warn\"\n"
    );
    let one = [hook.to_owned()];
    toml += &party("committees", "hn", &one);
    toml += &party("committees", "hn-ba-dinh", &one);
    let mut cert = one.to_vec();
    if let Some(h) = hanging {
        cert.push(h.to_owned());
    }
    toml += &party("authorities", "cert", &cert);
    toml += &party("authorities", "cyber-police", &one);
    for id in [
        "meta",
        "tiktok",
        "google",
        "zalo",
        "x-corp",
        "telegram",
        "web-abuse",
    ] {
        toml += &party("providers", id, &one);
    }
    toml
}

fn incident(i: u64) -> serde_json::Value {
    json!({
        "kind": "hijacked",
        "description": "The page posts scam investment offers; the admin email was changed.",
        "detected_at": "2026-11-28T07:45:00+07:00",
        "reporter": { "name": "Nguyễn Văn An", "email": "an@example.org", "committee": "hn" },
        "page": { "url": format!("https://www.facebook.com/page.{i}") },
        "containment": { "state": "lost_control" }
    })
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let arrivals: Arrivals = Arc::default();
    let hook = format!(
        "http://127.0.0.1:{}/hook",
        receiver(arrivals.clone()).await?
    );
    let hanging = if args.hanging {
        Some(format!("http://127.0.0.1:{}/hook", black_hole().await?))
    } else {
        None
    };
    let dir = tempfile::tempdir()?;
    let db = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let path = dir.path().join("bench.toml");
    std::fs::write(&path, config(&db, &hook, hanging.as_deref()))?;
    let cfg = path.to_str().context("path")?.to_owned();
    let out = Command::new(&args.binary)
        .args([
            "--config",
            &cfg,
            "api-key",
            "create",
            "--name",
            "bench",
            "--scope",
            "incidents:write",
        ])
        .stderr(Stdio::null())
        .output()
        .await?;
    let key = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("key:"))
        .map(|k| k.trim().to_owned())
        .context("no key printed")?;
    let mut child = Command::new(&args.binary)
        .args(["--config", &cfg, "serve"])
        .env("INCIDENT_DESK__SERVER__PORT", args.port.to_string())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().context("pid")?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    let base = format!("http://127.0.0.1:{}", args.port);
    intake_bench::wait_until_ready(&client, &base, 100).await?;

    let sent: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    let start = Instant::now();
    let total = args.rate * args.seconds;
    let interval = Duration::from_secs_f64(1.0 / args.rate as f64);
    let mut tasks = Vec::new();
    for i in 0..total {
        let scheduled = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(scheduled.into()).await;
        sent.lock().expect("sent").insert(i, scheduled);
        let (client, url, key) = (
            client.clone(),
            format!("{base}/api/v1/incidents"),
            key.clone(),
        );
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(key)
                .json(&incident(i))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
        }));
    }
    let mut errors = 0;
    for t in tasks {
        if !t.await? {
            errors += 1;
        }
    }
    let expected = total as usize * 3;
    let deadline = Instant::now() + Duration::from_secs(30);
    while arrivals.lock().expect("arrivals").len() < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = start.elapsed();
    let rss = peak_rss_kib(pid);
    let _ = child.kill().await;

    let arrivals = arrivals.lock().expect("arrivals").clone();
    let sent = sent.lock().expect("sent");
    let mut latencies: Vec<f64> = arrivals
        .iter()
        .filter_map(|(n, at)| {
            sent.get(n)
                .map(|s| at.duration_since(*s).as_secs_f64() * 1000.0)
        })
        .collect();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let n = latencies.len();
    if n == 0 {
        bail!("no webhook arrived");
    }
    let pct = |p: f64| latencies[((n as f64 * p) as usize).min(n - 1)];
    let first = arrivals.iter().map(|(_, t)| *t).min().context("first")?;
    let last = arrivals.iter().map(|(_, t)| *t).max().context("last")?;
    println!(
        "offered:     {} incidents/s for {} s ({} POST errors){}",
        args.rate,
        args.seconds,
        errors,
        if args.hanging {
            ", with one endpoint that never answers"
        } else {
            ""
        }
    );
    println!(
        "webhooks:    {n} of {expected} healthy deliveries arrived in {:.1} s",
        elapsed.as_secs_f64()
    );
    println!(
        "rate:        {:.0} deliveries/s at the healthy receiver",
        n as f64 / last.duration_since(first).as_secs_f64().max(0.001)
    );
    println!(
        "POST->receipt: p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        pct(0.5),
        pct(0.9),
        pct(0.99),
        pct(1.0)
    );
    if let Some(kib) = rss {
        println!("server peak RSS: {:.1} MiB", kib as f64 / 1024.0);
    }
    Ok(())
}
