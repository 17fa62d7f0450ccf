//! Inbound mail benchmark: `target/release/incident-desk serve` on a fresh database, a
//! few hundred incidents filed, then clients handing in replies through
//! `POST /api/v1/inbound/email` one after another (a closed loop): each a 10 kB text with
//! one 100 kB PNG attachment, from the provider's known address, its subject naming its
//! incident, so each lands on the provider's ticket as a message with a new evidence file.
//! Prints messages per second, latency percentiles, errors, and the server's CPU seconds
//! and peak RSS, against the target (>= 500 messages/s, p99 < 50 ms).

use std::{path::PathBuf, process::Stdio, sync::Arc};

use anyhow::{Context, bail};
use clap::Parser;
use intake_bench::{
    load::{closed_loop, cpu_seconds, peak_rss_kib, percentile},
    rng::Rng,
    server_config, wait_until_ready,
};
use serde_json::{Value, json};
use tokio::process::Command;

#[derive(Debug, Parser)]
struct Args {
    /// A database URL; a fresh SQLite file in a temporary folder when left out. A
    /// PostgreSQL database should be empty (`createdb` it first).
    #[arg(long)]
    database: Option<String>,
    #[arg(long, default_value = "target/release/incident-desk")]
    binary: PathBuf,
    #[arg(long, default_value_t = 18095)]
    port: u16,
    /// Incidents filed before the run; the replies are spread over them.
    #[arg(long, default_value_t = 200)]
    incidents: u64,
    /// Clients handing in mail one after another.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Measured seconds (after 2 s of warm-up).
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Bytes of text in each message.
    #[arg(long, default_value_t = 10 * 1024)]
    text_bytes: usize,
    /// Bytes of the attachment of each message.
    #[arg(long, default_value_t = 100 * 1024)]
    attachment_bytes: usize,
    /// Database connections of the server (`database.max_connections`), as shipped.
    #[arg(long, default_value_t = 8)]
    connections: u32,
    /// Where the server's log goes (with `RUST_LOG`, say); discarded when left out.
    #[arg(long)]
    server_log: Option<std::path::PathBuf>,
}

const PROVIDER: &str = "partner-escalations@meta.example.org";

fn report(i: u64) -> Value {
    json!({
        "kind": "hijacked",
        "description": "The page posts scam investment offers; the admin email was changed.",
        "detected_at": "2026-11-28T07:45:00+07:00",
        "reporter": { "name": "Nguyễn Văn An", "committee": "hn", "phone": "0912345678" },
        "page": { "url": format!("https://www.facebook.com/page.{i}") },
        "containment": { "state": "lost_control" }
    })
}

fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + bytes.len() / 57 * 2 + 4);
    for (n, chunk) in bytes.chunks(3).enumerate() {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(ABC[(v >> 18) as usize & 63] as char);
        out.push(ABC[(v >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            ABC[(v >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            ABC[v as usize & 63] as char
        } else {
            '='
        });
        if n % 19 == 18 {
            out.push_str("\r\n");
        }
    }
    out
}

/// The first header of every prepared message.
const MESSAGE_ID: &str = "Message-ID: <bench-";

/// Message `i`: a reply to incident `reference`, with its own text and attachment bytes.
fn message(i: u64, reference: &str, args: &Args) -> Vec<u8> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (i + 1));
    let words = [
        "the", "page", "was", "restored", "we", "reviewed", "account", "admin", "removed",
        "report", "case", "locked",
    ];
    let mut text = String::with_capacity(args.text_bytes + 64);
    while text.len() < args.text_bytes {
        text.push_str(words[rng.below(words.len() as u64) as usize]);
        text.push(if rng.chance(0.08) { '\n' } else { ' ' });
    }
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    while png.len() < args.attachment_bytes {
        png.extend_from_slice(&rng.next().to_le_bytes());
    }
    format!(
        "{MESSAGE_ID}{i}-{}@meta.example.org>\r\nFrom: Meta Support <{PROVIDER}>\r\nTo: cases@desk.example.org\r\nSubject: Re: [{reference}] Page hijacked\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"proof-{i}.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        uuid::Uuid::now_v7().simple(),
        base64(&png)
    )
    .into_bytes()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let database = args
        .database
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.path().join("mail.db").display()));
    let evidence = dir.path().join("evidence");
    let config = dir.path().join("bench.toml");
    std::fs::write(
        &config,
        format!(
            "{}\n[email]\nreply_address = \"cases@desk.example.org\"\n",
            server_config(args.port, &database, &evidence)
        ),
    )?;
    let out = Command::new(&args.binary)
        .arg("--config")
        .arg(&config)
        .args([
            "api-key",
            "create",
            "--name",
            "mail-bench",
            "--scope",
            "mail:inbound",
            "--scope",
            "incidents:write",
        ])
        .output()
        .await
        .with_context(|| format!("run {}", args.binary.display()))?;
    if !out.status.success() {
        bail!(
            "api-key create failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let key = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("key:"))
        .map(|k| k.trim().to_owned())
        .context("no key printed")?;
    let workers = std::env::var("BENCH_SERVER_WORKERS").unwrap_or_else(|_| "2".to_owned());
    let mut child = Command::new(&args.binary)
        .arg("--config")
        .arg(&config)
        .arg("serve")
        .env("INCIDENT_DESK__SERVER__PORT", args.port.to_string())
        .env("INCIDENT_DESK__SERVER__WORKERS", &workers)
        .env(
            "INCIDENT_DESK__DATABASE__MAX_CONNECTIONS",
            args.connections.to_string(),
        )
        .stdout(match &args.server_log {
            Some(path) => Stdio::from(std::fs::File::create(path)?),
            None => Stdio::null(),
        })
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().context("pid")?;
    let base = format!("http://127.0.0.1:{}", args.port);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;
    wait_until_ready(&client, &base, 600).await?;

    let mut references = Vec::new();
    for i in 0..args.incidents {
        let filed: Value = client
            .post(format!("{base}/api/v1/incidents"))
            .bearer_auth(&key)
            .json(&report(i))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        references.push(filed["reference"].as_str().context("reference")?.to_owned());
    }
    // Messages are built before the run, so the clients measure the service only.
    let prepared = 4096u64;
    let messages: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..prepared)
            .map(|i| message(i, &references[(i % args.incidents) as usize], &args))
            .collect(),
    );
    let size = messages[0].len();
    let cpu_before = cpu_seconds(pid).unwrap_or_default();
    let (url, key2, client2, msgs) = (
        format!("{base}/api/v1/inbound/email"),
        key.clone(),
        client.clone(),
        messages.clone(),
    );
    let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let load = closed_loop(args.clients, args.seconds, move |_| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (url, key, client) = (url.clone(), key2.clone(), client2.clone());
        // After the prepared set is used once, each is sent again with a fresh Message-ID
        // line, so that no message is a duplicate of an earlier one.
        let body = if n < prepared {
            msgs[n as usize].clone()
        } else {
            // The prepared message with a new first header and its Message-ID renamed.
            let original = &msgs[(n % prepared) as usize];
            let at = MESSAGE_ID.len();
            let mut body = Vec::with_capacity(original.len() + 48);
            body.extend_from_slice(format!("X-Bench-Round: {n}\r\n").as_bytes());
            body.extend_from_slice(&original[..at]);
            body.extend_from_slice(format!("r{n}-").as_bytes());
            body.extend_from_slice(&original[at..]);
            body
        };
        async move {
            let response = client
                .post(&url)
                .bearer_auth(&key)
                .header("content-type", "message/rfc822")
                .body(body)
                .send()
                .await
                .ok()?;
            if response.status() != reqwest::StatusCode::CREATED {
                return None;
            }
            let received: Value = response.json().await.ok()?;
            (received["status"] == "attached"
                && received["evidence"]
                    .as_array()
                    .is_some_and(|e| e.len() == 1))
            .then_some(0)
        }
    })
    .await?;
    let cpu = cpu_seconds(pid).unwrap_or_default() - cpu_before;
    let rss = peak_rss_kib(pid).unwrap_or_default();
    let handled = load.latencies_ms.len() as f64;
    let (p50, p95, p99) = (
        percentile(&load.latencies_ms, 0.50),
        percentile(&load.latencies_ms, 0.95),
        percentile(&load.latencies_ms, 0.99),
    );
    let db_kind = if database.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "inbound mail on {db_kind}: {} clients, {} s, messages of {} kB ({} kB text, one {} kB attachment, base64)",
        args.clients,
        args.seconds,
        size / 1024,
        args.text_bytes / 1024,
        args.attachment_bytes / 1024
    );
    let rate_ok = load.accepted_per_s >= 500.0;
    let p99_ok = p99 < 50.0;
    println!(
        "messages/s                 {:>8.0}      target >= 500    {}",
        load.accepted_per_s,
        if rate_ok { "ok" } else { "MISSED" }
    );
    println!(
        "latency p50 / p95 / p99    {p50:.2} / {p95:.2} / {p99:.2} ms      target p99 < 50 ms    {}",
        if p99_ok { "ok" } else { "MISSED" }
    );
    println!("errors                     {:>8}", load.errors);
    println!(
        "server CPU                 {cpu:.1} s, {:.2} ms per message",
        if handled > 0.0 {
            cpu * 1000.0 / handled
        } else {
            0.0
        }
    );
    println!("server peak RSS            {} MiB", rss / 1024);
    child.kill().await.ok();
    child.wait().await.ok();
    // The run wrote gigabytes of mail and files: the folder goes before the exit status.
    drop(dir);
    if load.errors > 0 || !rate_ok || !p99_ok {
        std::process::exit(1);
    }
    Ok(())
}
