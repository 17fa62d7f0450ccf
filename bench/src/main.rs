//! Intake benchmark: starts `target/release/incident-desk serve` on a fresh database,
//! creates an API key, then POSTs realistic incidents (three parties each) and reports
//! throughput and latency percentiles.
//!
//! Closed loop (`--concurrency N`) finds the sustained maximum; open loop (`--rate R`)
//! offers a fixed rate and measures latency from each request's scheduled start.

use std::{
    path::PathBuf,
    process::Stdio,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use clap::Parser;
use serde_json::json;
use tokio::{process::Command, sync::Mutex};

#[derive(Debug, Parser)]
struct Args {
    /// `sqlite` (a fresh file) or a PostgreSQL server URL such as postgres://postgres@127.0.0.1:5432/postgres
    #[arg(long, default_value = "sqlite")]
    database: String,
    /// The server binary.
    #[arg(long, default_value = "target/release/incident-desk")]
    binary: PathBuf,
    /// Seconds of measured load (after a 2 s warm-up).
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Closed loop: requests in flight at once.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Open loop: requests per second offered (overrides closed loop).
    #[arg(long)]
    rate: Option<u64>,
    #[arg(long, default_value_t = 18_080)]
    port: u16,
}

fn incident(i: u64) -> serde_json::Value {
    json!({
        "kind": "hijacked",
        "description": format!("Page {i} posts scam investment offers since this morning; the admin email was changed."),
        "detected_at": "2026-11-28T07:45:00+07:00",
        "reporter": { "name": "Nguyễn Văn An", "email": "an.nguyen@example.org", "phone": "+84 912 345 678", "committee": "hn-ba-dinh" },
        "page": {
            "url": format!("https://www.facebook.com/page.{i}"),
            "display_name": "Ba Đình News",
            "account_type": "page",
            "linked_email": "page-admin@example.org",
            "created_on": "2019-05-01"
        },
        "containment": { "state": "stopped", "stopped_at": "2026-11-28T08:10:00+07:00", "actions": ["password_changed", "sessions_revoked"] }
    })
}

struct Server {
    child: tokio::process::Child,
    _dir: tempfile::TempDir,
}

async fn start_server(args: &Args) -> anyhow::Result<(Server, String)> {
    let dir = tempfile::tempdir()?;
    let db_url = if args.database == "sqlite" {
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        )
    } else {
        let name = format!("incident_desk_bench_{}", std::process::id());
        for sql in [
            format!("DROP DATABASE IF EXISTS {name}"),
            format!("CREATE DATABASE {name}"),
        ] {
            let status = Command::new("psql")
                .args([args.database.as_str(), "-qc", &sql])
                .status()
                .await
                .context("psql")?;
            if !status.success() {
                bail!("could not create the benchmark database");
            }
        }
        let base = args
            .database
            .rsplit_once('/')
            .map_or(args.database.as_str(), |(b, _)| b);
        format!("{base}/{name}")
    };
    let env = [
        ("INCIDENT_DESK__DATABASE__URL", db_url.clone()),
        ("INCIDENT_DESK__DATABASE__MAX_CONNECTIONS", "4".to_owned()),
        ("INCIDENT_DESK__SERVER__PORT", args.port.to_string()),
        (
            "INCIDENT_DESK__SERVER__WORKERS",
            std::env::var("BENCH_SERVER_WORKERS").unwrap_or_else(|_| "2".to_owned()),
        ),
        // Intake alone: the example parties' addresses do not exist.
        ("INCIDENT_DESK__DISPATCHER__ENABLED", "false".to_owned()),
        (
            "INCIDENT_DESK__LOGGING__LEVEL",
            std::env::var("BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".to_owned()),
        ),
    ];
    let key_out = Command::new(&args.binary)
        .args([
            "api-key",
            "create",
            "--name",
            "bench",
            "--scope",
            "incidents:write",
        ])
        .envs(env.iter().cloned())
        .stderr(Stdio::null())
        .output()
        .await
        .with_context(|| format!("run {}", args.binary.display()))?;
    let stdout = String::from_utf8_lossy(&key_out.stdout);
    let key = stdout
        .lines()
        .find_map(|l| l.strip_prefix("key:"))
        .map(|k| k.trim().to_owned())
        .context("no key printed")?;
    let child = Command::new(&args.binary)
        .arg("serve")
        .envs(env.iter().cloned())
        .stdout(match std::env::var_os("BENCH_SERVER_LOG_FILE") {
            Some(path) => Stdio::from(std::fs::File::create(path)?),
            None => Stdio::null(),
        })
        .kill_on_drop(true)
        .spawn()?;
    let base = format!("http://127.0.0.1:{}", args.port);
    intake_bench::wait_until_ready(&reqwest::Client::new(), &base, 100).await?;
    Ok((Server { child, _dir: dir }, key))
}

#[derive(Default)]
struct Stats {
    latencies_us: Vec<u64>,
    errors: u64,
}

async fn send(client: &reqwest::Client, url: &str, key: &str, i: u64) -> bool {
    client
        .post(url)
        .bearer_auth(key)
        .json(&incident(i))
        .send()
        .await
        .is_ok_and(|r| r.status() == reqwest::StatusCode::CREATED)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (mut server, key) = start_server(&args).await?;
    let url = format!("http://127.0.0.1:{}/api/v1/incidents", args.port);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .build()?;
    let key = Arc::new(key);
    let stats = Arc::new(Mutex::new(Stats::default()));
    let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));

    let warmup = Duration::from_secs(2);
    let total = warmup + Duration::from_secs(args.seconds);
    let start = Instant::now();
    let measure_from = start + warmup;

    let mut tasks = Vec::new();
    match args.rate {
        None => {
            for _ in 0..args.concurrency {
                let (client, url, key, stats, counter) = (
                    client.clone(),
                    url.clone(),
                    key.clone(),
                    stats.clone(),
                    counter.clone(),
                );
                tasks.push(tokio::spawn(async move {
                    while start.elapsed() < total {
                        let i = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let t0 = Instant::now();
                        let ok = send(&client, &url, &key, i).await;
                        if t0 >= measure_from {
                            let mut s = stats.lock().await;
                            if ok {
                                s.latencies_us.push(t0.elapsed().as_micros() as u64);
                            } else {
                                s.errors += 1;
                            }
                        }
                    }
                }));
            }
        }
        Some(rate) => {
            let interval = Duration::from_secs_f64(1.0 / rate as f64);
            let mut i = 0u64;
            loop {
                let scheduled = start + interval.mul_f64(i as f64);
                if scheduled.duration_since(start) >= total {
                    break;
                }
                tokio::time::sleep_until(scheduled.into()).await;
                let (client, url, key, stats) =
                    (client.clone(), url.clone(), key.clone(), stats.clone());
                tasks.push(tokio::spawn(async move {
                    let ok = send(&client, &url, &key, i).await;
                    if scheduled >= measure_from {
                        let mut s = stats.lock().await;
                        if ok {
                            s.latencies_us.push(scheduled.elapsed().as_micros() as u64);
                        } else {
                            s.errors += 1;
                        }
                    }
                }));
                i += 1;
            }
        }
    }
    for task in tasks {
        task.await?;
    }
    let _ = server.child.kill().await;

    let mut s = stats.lock().await;
    s.latencies_us.sort_unstable();
    let n = s.latencies_us.len();
    if n == 0 {
        bail!("no successful requests ({} errors)", s.errors);
    }
    let pct = |p: f64| s.latencies_us[((n as f64 * p) as usize).min(n - 1)] as f64 / 1000.0;
    let mode = match args.rate {
        Some(r) => format!("open loop at {r}/s"),
        None => format!("closed loop, {} in flight", args.concurrency),
    };
    println!(
        "database:   {}",
        if args.database == "sqlite" {
            "sqlite"
        } else {
            "postgresql"
        }
    );
    println!("mode:       {mode}");
    println!(
        "incidents:  {n} filed in {} s ({} errors)",
        args.seconds, s.errors
    );
    println!(
        "throughput: {:.0} incidents/s (3 tickets, 5 deliveries each)",
        n as f64 / args.seconds as f64
    );
    println!(
        "latency:    p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0)
    );
    Ok(())
}
