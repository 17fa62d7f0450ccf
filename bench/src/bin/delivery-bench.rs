//! Delivery benchmark: notifications measured from outside the server, as a user would.
//!
//! It starts `hook-receiver` (a process of its own: webhook receiver, SMTP sink and a port
//! that never answers) and, for each scenario, `target/release/incident-desk serve` on a
//! fresh database: a SQLite file, or a fresh PostgreSQL database on the server that
//! `--database` names. Each incident is a hijacked Facebook page of committee `hn`; it opens
//! tickets for `hn`, `cert` and `meta`, whose webhooks all point at the receiver: three
//! signed webhooks per incident, and no email (the member gives a phone number).
//!
//! Scenarios (`--scenarios`, all by default):
//! - `steady`: an open loop at `--rate` incidents/s for `--seconds`: the POST's latency, the
//!   time from each POST to each webhook's arrival, and the server's CPU seconds.
//! - `saturation`: an open loop at `--saturation-rate` for `--saturation-seconds`: incidents
//!   accepted per second, the POST's p99, and webhooks arriving per second meanwhile.
//! - `drain`: a backlog of `--backlog` deliveries filed with the dispatcher off, then the
//!   server restarted with it on: deliveries per second until the backlog is gone.
//! - `hang`: `--hang-rate` incidents/s while `cert` has a second endpoint that accepts
//!   connections and never answers: the healthy deliveries' rate and latency.
//! - `email`: `--email-rate` incidents/s for `--email-seconds`, routed to `hn` and `meta`
//!   only, where `hn` is notified by email (to the SMTP sink) and `meta` by webhook; then
//!   the same with `hn`'s email replaced by a webhook: emails and webhooks per second.
//!
//! Every scenario prints the server's peak RSS. The server's own settings (pool size,
//! dispatcher) can be changed with `INCIDENT_DESK__...` variables, which it inherits.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::Stdio,
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use anyhow::{Context, bail};
use clap::Parser;
use intake_bench::load::{cpu_seconds, peak_rss_kib, percentile};
use serde_json::json;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines},
    process::{Child, ChildStdin, ChildStdout, Command},
};

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, default_value = "target/release/incident-desk")]
    binary: PathBuf,
    /// A PostgreSQL URL (`postgres://user@host:port/db`): each scenario creates a fresh
    /// database on that server, and drops it after. A fresh SQLite file when left out.
    #[arg(long)]
    database: Option<String>,
    /// Which scenarios to run, in this order.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "steady,saturation,drain,hang,email"
    )]
    scenarios: Vec<Scenario>,
    /// Incidents per second offered in `steady`.
    #[arg(long, default_value_t = 200)]
    rate: u64,
    /// Seconds of load in `steady` and `hang`.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    #[arg(long, default_value_t = 3000)]
    saturation_rate: u64,
    #[arg(long, default_value_t = 10)]
    saturation_seconds: u64,
    /// Deliveries waiting when the dispatcher starts in `drain` (three per incident).
    #[arg(long, default_value_t = 100_000)]
    backlog: u64,
    #[arg(long, default_value_t = 100)]
    hang_rate: u64,
    #[arg(long, default_value_t = 1000)]
    email_rate: u64,
    #[arg(long, default_value_t = 10)]
    email_seconds: u64,
    /// How long to wait for the last deliveries after the load ends.
    #[arg(long, default_value_t = 60)]
    patience: u64,
    #[arg(long, default_value_t = 18_090)]
    port: u16,
    /// Where the server's log goes; discarded when left out.
    #[arg(long)]
    server_log: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Scenario {
    Steady,
    Saturation,
    Drain,
    Hang,
    Email,
}

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// One arrival at the receiver.
#[derive(Debug, Clone)]
struct Arrival {
    email: bool,
    nanos: u128,
    incident: i64,
}

/// The receiver process and the pipe it takes commands on.
struct Receiver {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    http: u16,
    smtp: u16,
    hang: u16,
}

impl Receiver {
    async fn start() -> anyhow::Result<Self> {
        let path = std::env::current_exe()?.with_file_name("hook-receiver");
        let mut child = Command::new(&path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("run {}", path.display()))?;
        let stdin = child.stdin.take().context("stdin")?;
        let mut stdout = BufReader::new(child.stdout.take().context("stdout")?).lines();
        let mut ports = HashMap::new();
        for _ in 0..3 {
            let line = stdout.next_line().await?.context("receiver ended")?;
            let (name, port) = line.split_once(' ').context("receiver line")?;
            ports.insert(name.to_owned(), port.parse::<u16>()?);
        }
        Ok(Self {
            child,
            stdin,
            stdout,
            http: ports["http"],
            smtp: ports["smtp"],
            hang: ports["hang"],
        })
    }

    async fn ask(&mut self, command: &str) -> anyhow::Result<String> {
        self.stdin
            .write_all(format!("{command}\n").as_bytes())
            .await?;
        self.stdin.flush().await?;
        self.stdout.next_line().await?.context("receiver ended")
    }

    /// Webhooks and emails received so far (repeats included).
    async fn count(&mut self) -> anyhow::Result<(u64, u64)> {
        let line = self.ask("count").await?;
        let (h, m) = line.split_once(' ').context("count")?;
        Ok((h.parse()?, m.parse()?))
    }

    /// Every arrival since the last reset, each delivery once (the first time it came).
    async fn arrivals(&mut self, dir: &Path) -> anyhow::Result<Vec<Arrival>> {
        let path = dir.join("arrivals.txt");
        self.ask(&format!("dump {}", path.display())).await?;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for line in std::fs::read_to_string(&path)?.lines() {
            let f: Vec<&str> = line.split(' ').collect();
            if f.len() < 4 || !seen.insert((f[0].to_owned(), f[3].to_owned())) {
                continue;
            }
            out.push(Arrival {
                email: f[0] == "email",
                nanos: f[1].parse()?,
                incident: f[2].parse()?,
            });
        }
        Ok(out)
    }

    async fn reset(&mut self) -> anyhow::Result<()> {
        self.ask("reset").await.map(|_| ())
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// How a scenario's parties are reached.
#[derive(Clone, Copy, Default)]
struct Shape {
    /// `hn` by email instead of webhook, and no authority routed (`hn` and `meta` only).
    email: bool,
    /// No authority routed: two webhooks per incident, to `hn` and `meta`.
    two_webhooks: bool,
    /// `cert` has a second endpoint that never answers.
    hanging: bool,
    dispatcher: bool,
}

fn party(list: &str, id: &str, hooks: &[String], emails: &[&str]) -> String {
    let hooks: Vec<String> = hooks
        .iter()
        .map(|u| format!("{{ url = \"{u}\", secret = \"{SECRET}\" }}"))
        .collect();
    let emails: Vec<String> = emails.iter().map(|e| format!("\"{e}\"")).collect();
    format!(
        "[[parties.{list}]]\nid = \"{id}\"\nname = {{ vi = \"{id}\", en = \"{id}\" }}\nack_deadline = \"24h\"\ncontacts.webhooks = [{}]\ncontacts.emails = [{}]\n",
        hooks.join(", "),
        emails.join(", ")
    )
}

fn config(db: &str, port: u16, receiver: &Receiver, shape: Shape, dir: &Path) -> String {
    // Each party its own endpoint, as separate integrations would be.
    let hook = |id: &str| [format!("http://127.0.0.1:{}/hooks/{id}", receiver.http)];
    let mut toml = format!(
        "public_base_url = \"http://127.0.0.1:{port}\"\n\
         [database]\nurl = \"{db}\"\n\
         [email]\nsmtp_url = \"smtp://127.0.0.1:{smtp}\"\n\
         [webhooks]\nallow_networks = [\"127.0.0.0/8\"]\ntimeout = \"15s\"\n\
         [dispatcher]\nenabled = {dispatcher}\n\
         [logging]\nformat = \"pretty\"\nlevel = \"warn\"\n\
         [evidence]\ndir = \"{evidence}\"\n",
        smtp = receiver.smtp,
        dispatcher = shape.dispatcher,
        evidence = dir.join("evidence").display(),
    );
    if shape.email || shape.two_webhooks {
        // No authority: each incident goes to `hn` and `meta` only.
        toml += "[routing]\nauthorities = []\n";
    }
    let hn = if shape.email {
        party("committees", "hn", &[], &["truc-ban@hn.example.org"])
    } else {
        party("committees", "hn", &hook("hn"), &[])
    };
    toml += &hn;
    toml += &party("committees", "hn-ba-dinh", &hook("hn-ba-dinh"), &[]);
    let mut cert = hook("cert").to_vec();
    if shape.hanging {
        cert.push(format!("http://127.0.0.1:{}/hook", receiver.hang));
    }
    toml += &party("authorities", "cert", &cert, &[]);
    toml += &party("authorities", "cyber-police", &hook("cyber-police"), &[]);
    for id in [
        "meta",
        "tiktok",
        "google",
        "zalo",
        "x-corp",
        "telegram",
        "web-abuse",
    ] {
        toml += &party("providers", id, &hook(id), &[]);
    }
    toml
}

fn incident(i: u64) -> serde_json::Value {
    json!({
        "kind": "hijacked",
        "description": "The page posts scam investment offers; the admin email was changed.",
        "detected_at": "2026-11-28T07:45:00+07:00",
        "reporter": { "name": "Nguyễn Văn An", "phone": "0912345678", "committee": "hn" },
        "page": { "url": format!("https://www.facebook.com/page.{i}") },
        "containment": { "state": "lost_control" }
    })
}

/// A served instance.
struct Server {
    child: Child,
    pid: u32,
    base: String,
}

impl Server {
    async fn start(args: &Args, config: &Path) -> anyhow::Result<Self> {
        // The server logs to its standard output, and a panic goes to its standard error:
        // both are kept.
        let (out, err) = match &args.server_log {
            Some(path) => {
                let log = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?;
                (Stdio::from(log.try_clone()?), Stdio::from(log))
            }
            None => (Stdio::null(), Stdio::null()),
        };
        let child = Command::new(&args.binary)
            .arg("--config")
            .arg(config)
            .arg("serve")
            .env("INCIDENT_DESK__SERVER__PORT", args.port.to_string())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("run {}", args.binary.display()))?;
        let pid = child.id().context("pid")?;
        let base = format!("http://127.0.0.1:{}", args.port);
        let client = reqwest::Client::new();
        intake_bench::wait_until_ready(&client, &base, 300).await?;
        Ok(Self { child, pid, base })
    }

    fn cpu(&self) -> f64 {
        cpu_seconds(self.pid).unwrap_or(f64::NAN)
    }

    fn peak_mib(&self) -> f64 {
        peak_rss_kib(self.pid).map_or(f64::NAN, |k| k as f64 / 1024.0)
    }

    /// Stops the server as an operator would (SIGTERM), and waits for it.
    async fn stop(mut self) -> anyhow::Result<()> {
        Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .await?;
        if tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .is_err()
        {
            self.child.kill().await?;
        }
        Ok(())
    }
}

/// A fresh database for one scenario, and how to drop it after.
struct Db {
    url: String,
    /// PostgreSQL: the server's URL and the database's name.
    drop: Option<(String, String)>,
}

async fn fresh_db(args: &Args, dir: &Path, name: &str) -> anyhow::Result<Db> {
    let Some(server) = &args.database else {
        return Ok(Db {
            url: format!(
                "sqlite://{}?mode=rwc",
                dir.join(format!("{name}.db")).display()
            ),
            drop: None,
        });
    };
    use sea_orm::ConnectionTrait;
    let db_name = format!("delivery_bench_{name}_{}", std::process::id());
    let conn = sea_orm::Database::connect(server.as_str()).await?;
    conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {db_name}"))
        .await?;
    conn.execute_unprepared(&format!("CREATE DATABASE {db_name}"))
        .await?;
    conn.close().await?;
    let (root, _) = server
        .rsplit_once('/')
        .context("the database URL names no database")?;
    Ok(Db {
        url: format!("{root}/{db_name}"),
        drop: Some((server.clone(), db_name)),
    })
}

impl Db {
    async fn drop(self) -> anyhow::Result<()> {
        if let Some((server, name)) = self.drop {
            use sea_orm::ConnectionTrait;
            let conn = sea_orm::Database::connect(server.as_str()).await?;
            conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await?;
        }
        Ok(())
    }
}

/// The API key an instance's integrations use, made with the CLI.
async fn api_key(args: &Args, config: &Path) -> anyhow::Result<String> {
    let out = Command::new(&args.binary)
        .arg("--config")
        .arg(config)
        .args(["api-key", "create", "--name", "bench"])
        .args(["--scope", "incidents:write"])
        .output()
        .await?;
    if !out.status.success() {
        bail!(
            "api-key create failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("key:"))
        .map(|k| k.trim().to_owned())
        .context("no key printed")
}

/// What an open loop of POSTs came to.
struct Filed {
    /// When each incident's POST was due (Unix nanoseconds), by incident number.
    sent: HashMap<i64, u128>,
    /// Milliseconds from each good POST's due time to its answer, sorted.
    post_ms: Vec<f64>,
    errors: u64,
    /// What the failed POSTs came to (an HTTP status, or why no answer came), with counts,
    /// in parentheses; empty when none failed.
    why: String,
    /// Seconds from the first POST's due time to the last answer.
    span: f64,
    /// Unix nanoseconds of the first due time and the last answer.
    from: u128,
    until: u128,
}

/// Milliseconds from a POST's due time to its answer, and the answer: good, or what went
/// wrong.
type Answer = (f64, Result<(), String>);

/// POSTs incidents `first..first + rate * seconds` at `rate` per second, each at its due
/// time whatever the answers before it (an open loop).
async fn file(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    first: u64,
    rate: u64,
    seconds: u64,
) -> anyhow::Result<Filed> {
    let total = rate * seconds;
    let interval = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    let start = Instant::now();
    let from = unix_nanos();
    let answers: Arc<Mutex<Vec<Answer>>> = Arc::default();
    let mut sent = HashMap::with_capacity(total as usize);
    let mut tasks = Vec::with_capacity(total as usize);
    for n in 0..total {
        let offset = interval.mul_f64(n as f64);
        let due = start + offset;
        tokio::time::sleep_until(due.into()).await;
        let i = first + n;
        sent.insert(i as i64, from + offset.as_nanos());
        let (client, url, key, answers) = (
            client.clone(),
            format!("{base}/api/v1/incidents"),
            key.to_owned(),
            answers.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let answer = client
                .post(url)
                .bearer_auth(key)
                .json(&incident(i))
                .send()
                .await;
            let outcome = match answer {
                Ok(r) if r.status().is_success() => Ok(()),
                Ok(r) => Err(format!("HTTP {}", r.status().as_u16())),
                Err(e) if e.is_connect() => Err("no connection".to_owned()),
                Err(e) if e.is_timeout() => Err("timed out".to_owned()),
                Err(e) => Err(std::error::Error::source(&e)
                    .map_or_else(|| e.to_string(), ToString::to_string)),
            };
            let ms = due.elapsed().as_secs_f64() * 1000.0;
            if let Ok(mut a) = answers.lock() {
                a.push((ms, outcome));
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let span = start.elapsed().as_secs_f64();
    let until = unix_nanos();
    let answers = answers.lock().map(|a| a.clone()).unwrap_or_default();
    let mut post_ms: Vec<f64> = answers
        .iter()
        .filter(|a| a.1.is_ok())
        .map(|a| a.0)
        .collect();
    post_ms.sort_by(|a, b| a.total_cmp(b));
    let mut failures: std::collections::BTreeMap<&str, u64> = Default::default();
    for why in answers.iter().filter_map(|a| a.1.as_ref().err()) {
        *failures.entry(why).or_default() += 1;
    }
    let errors = failures.values().sum();
    let why = if failures.is_empty() {
        String::new()
    } else {
        let each: Vec<String> = failures
            .iter()
            .map(|(why, n)| format!("{n} {why}"))
            .collect();
        format!("({})", each.join(", "))
    };
    Ok(Filed {
        sent,
        post_ms,
        errors,
        why,
        span,
        from,
        until,
    })
}

/// Waits until `expected` webhooks and `emails` emails arrived, or `patience` ran out.
async fn wait_for(
    receiver: &mut Receiver,
    hooks: u64,
    emails: u64,
    patience: Duration,
) -> anyhow::Result<bool> {
    let until = Instant::now() + patience;
    loop {
        let (h, m) = receiver.count().await?;
        if h >= hooks && m >= emails {
            return Ok(true);
        }
        if Instant::now() >= until {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Milliseconds from each arrival's POST to the arrival, sorted.
fn latencies(arrivals: &[Arrival], sent: &HashMap<i64, u128>, email: bool) -> Vec<f64> {
    let mut ms: Vec<f64> = arrivals
        .iter()
        .filter(|a| a.email == email)
        .filter_map(|a| {
            sent.get(&a.incident)
                .map(|s| a.nanos.saturating_sub(*s) as f64 / 1e6)
        })
        .collect();
    ms.sort_by(|a, b| a.total_cmp(b));
    ms
}

/// Arrivals per second between the first and the last of them.
fn rate_of(arrivals: &[Arrival], email: bool) -> f64 {
    let times: Vec<u128> = arrivals
        .iter()
        .filter(|a| a.email == email)
        .map(|a| a.nanos)
        .collect();
    match (times.iter().min(), times.iter().max()) {
        (Some(first), Some(last)) if last > first => {
            times.len() as f64 / ((last - first) as f64 / 1e9)
        }
        _ => f64::NAN,
    }
}

fn within(arrivals: &[Arrival], from: u128, until: u128) -> usize {
    arrivals
        .iter()
        .filter(|a| a.nanos >= from && a.nanos <= until)
        .count()
}

fn ms(values: &[f64], p: f64) -> String {
    format!("{:.1}", percentile(values, p))
}

/// One scenario's instance: its database, config, key and client.
struct Run {
    dir: tempfile::TempDir,
    db: Db,
    config: PathBuf,
    client: reqwest::Client,
}

impl Run {
    async fn new(
        args: &Args,
        receiver: &mut Receiver,
        name: &str,
        shape: Shape,
    ) -> anyhow::Result<Self> {
        receiver.reset().await?;
        let dir = tempfile::tempdir()?;
        let db = fresh_db(args, dir.path(), name).await?;
        let config = dir.path().join("bench.toml");
        std::fs::write(
            &config,
            self::config(&db.url, args.port, receiver, shape, dir.path()),
        )?;
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1024)
            .build()?;
        Ok(Self {
            dir,
            db,
            config,
            client,
        })
    }

    fn write_config(&self, args: &Args, receiver: &Receiver, shape: Shape) -> anyhow::Result<()> {
        std::fs::write(
            &self.config,
            config(&self.db.url, args.port, receiver, shape, self.dir.path()),
        )?;
        Ok(())
    }

    async fn finish(self) -> anyhow::Result<()> {
        self.db.drop().await
    }
}

/// A scenario's instance served on a fresh database, with an API key to file with.
async fn served(
    args: &Args,
    receiver: &mut Receiver,
    name: &str,
    shape: Shape,
) -> anyhow::Result<(Run, String, Server)> {
    let run = Run::new(args, receiver, name, shape).await?;
    let key = api_key(args, &run.config).await?;
    let server = Server::start(args, &run.config).await?;
    Ok((run, key, server))
}

async fn steady(args: &Args, receiver: &mut Receiver) -> anyhow::Result<()> {
    let shape = Shape {
        dispatcher: true,
        ..Shape::default()
    };
    let (run, key, server) = served(args, receiver, "steady", shape).await?;
    let cpu0 = server.cpu();
    let filed = file(&run.client, &server.base, &key, 0, args.rate, args.seconds).await?;
    let expected = filed.post_ms.len() as u64 * 3;
    let all = wait_for(receiver, expected, 0, Duration::from_secs(args.patience)).await?;
    let cpu = server.cpu() - cpu0;
    let arrivals = receiver.arrivals(run.dir.path()).await?;
    let lat = latencies(&arrivals, &filed.sent, false);
    println!(
        "steady      {} incidents/s x 3 webhooks for {} s: {} POST errors {}",
        args.rate, args.seconds, filed.errors, filed.why
    );
    println!(
        "  POST answered            p50 {} ms  p99 {} ms",
        ms(&filed.post_ms, 0.5),
        ms(&filed.post_ms, 0.99)
    );
    println!(
        "  POST -> webhook arrived  p50 {} ms  p99 {} ms  max {} ms  ({} of {expected} arrived{})",
        ms(&lat, 0.5),
        ms(&lat, 0.99),
        ms(&lat, 1.0),
        lat.len(),
        if all { "" } else { ", the rest not in time" }
    );
    println!(
        "  server CPU {:.1} s   peak RSS {:.1} MiB",
        cpu,
        server.peak_mib()
    );
    server.stop().await?;
    run.finish().await
}

async fn saturation(args: &Args, receiver: &mut Receiver) -> anyhow::Result<()> {
    let shape = Shape {
        dispatcher: true,
        ..Shape::default()
    };
    let (run, key, server) = served(args, receiver, "saturation", shape).await?;
    let filed = file(
        &run.client,
        &server.base,
        &key,
        0,
        args.saturation_rate,
        args.saturation_seconds,
    )
    .await?;
    let accepted = filed.post_ms.len() as f64 / filed.span;
    let (during, _) = receiver.count().await?;
    let expected = filed.post_ms.len() as u64 * 3;
    let all = wait_for(receiver, expected, 0, Duration::from_secs(args.patience)).await?;
    let arrivals = receiver.arrivals(run.dir.path()).await?;
    let while_accepting = within(&arrivals, filed.from, filed.until) as f64 / filed.span;
    println!(
        "saturation  {} incidents/s offered for {} s: {} POST errors {}",
        args.saturation_rate, args.saturation_seconds, filed.errors, filed.why
    );
    println!(
        "  accepted {accepted:.0} incidents/s (p50 {} ms, p99 {} ms)",
        ms(&filed.post_ms, 0.5),
        ms(&filed.post_ms, 0.99)
    );
    println!(
        "  webhooks while accepting {while_accepting:.0}/s ({during} by the end of the load); \
         all {} arrived at {:.0}/s overall{}",
        arrivals.len(),
        rate_of(&arrivals, false),
        if all { "" } else { " (some not in time)" }
    );
    println!("  server peak RSS {:.1} MiB", server.peak_mib());
    server.stop().await?;
    run.finish().await
}

async fn drain(args: &Args, receiver: &mut Receiver) -> anyhow::Result<()> {
    let mut shape = Shape::default();
    let (run, key, server) = served(args, receiver, "drain", shape).await?;
    let incidents = args.backlog.div_ceil(3);
    // Filed as fast as the server takes them: 64 clients, one POST after another.
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let failed = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut clients = Vec::new();
    for _ in 0..64 {
        let (client, base, key, next, failed) = (
            run.client.clone(),
            server.base.clone(),
            key.clone(),
            next.clone(),
            failed.clone(),
        );
        clients.push(tokio::spawn(async move {
            use std::sync::atomic::Ordering;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= incidents {
                    break;
                }
                let ok = client
                    .post(format!("{base}/api/v1/incidents"))
                    .bearer_auth(&key)
                    .json(&incident(i))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                if !ok {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for c in clients {
        c.await?;
    }
    let filled_peak = server.peak_mib();
    server.stop().await?;
    let failed = failed.load(std::sync::atomic::Ordering::Relaxed);
    let expected = (incidents - failed) * 3;
    shape.dispatcher = true;
    run.write_config(args, receiver, shape)?;
    let started = Instant::now();
    let server = Server::start(args, &run.config).await?;
    let cpu0 = server.cpu();
    let all = wait_for(
        receiver,
        expected,
        0,
        Duration::from_secs(args.patience.max(expected / 500)),
    )
    .await?;
    let took = started.elapsed().as_secs_f64();
    let cpu = server.cpu() - cpu0;
    let arrivals = receiver.arrivals(run.dir.path()).await?;
    println!("drain       a backlog of {expected} webhooks ({failed} POST errors while filing)");
    println!(
        "  {:.0} deliveries/s from the first arrival to the last; {} arrived {:.1} s after the start{}",
        rate_of(&arrivals, false),
        arrivals.len(),
        took,
        if all { "" } else { " (not all in time)" }
    );
    println!(
        "  server CPU {cpu:.1} s   peak RSS {:.1} MiB draining ({filled_peak:.1} MiB filing)",
        server.peak_mib()
    );
    server.stop().await?;
    run.finish().await
}

async fn hang(args: &Args, receiver: &mut Receiver) -> anyhow::Result<()> {
    let shape = Shape {
        dispatcher: true,
        hanging: true,
        ..Shape::default()
    };
    let (run, key, server) = served(args, receiver, "hang", shape).await?;
    let filed = file(
        &run.client,
        &server.base,
        &key,
        0,
        args.hang_rate,
        args.seconds,
    )
    .await?;
    let expected = filed.post_ms.len() as u64 * 3;
    let all = wait_for(receiver, expected, 0, Duration::from_secs(args.patience)).await?;
    let arrivals = receiver.arrivals(run.dir.path()).await?;
    let lat = latencies(&arrivals, &filed.sent, false);
    println!(
        "hang        {} incidents/s for {} s, cert's second endpoint never answers",
        args.hang_rate, args.seconds
    );
    println!(
        "  healthy webhooks {:.0}/s, POST -> arrival p50 {} ms p99 {} ms ({} of {expected}{})",
        rate_of(&arrivals, false),
        ms(&lat, 0.5),
        ms(&lat, 0.99),
        lat.len(),
        if all { "" } else { ", the rest not in time" }
    );
    println!("  server peak RSS {:.1} MiB", server.peak_mib());
    server.stop().await?;
    run.finish().await
}

async fn email(args: &Args, receiver: &mut Receiver) -> anyhow::Result<()> {
    for (label, shape) in [
        (
            "1 email + 1 webhook",
            Shape {
                dispatcher: true,
                email: true,
                ..Shape::default()
            },
        ),
        (
            "2 webhooks",
            Shape {
                dispatcher: true,
                two_webhooks: true,
                ..Shape::default()
            },
        ),
    ] {
        let (run, key, server) = served(args, receiver, "email", shape).await?;
        let filed = file(
            &run.client,
            &server.base,
            &key,
            0,
            args.email_rate,
            args.email_seconds,
        )
        .await?;
        let n = filed.post_ms.len() as u64;
        let (hooks, mails) = if shape.email { (n, n) } else { (2 * n, 0) };
        let all = wait_for(receiver, hooks, mails, Duration::from_secs(args.patience)).await?;
        let arrivals = receiver.arrivals(run.dir.path()).await?;
        let hook_lat = latencies(&arrivals, &filed.sent, false);
        println!(
            "email       {} incidents/s for {} s, {label} each: {} POST errors {}",
            args.email_rate, args.email_seconds, filed.errors, filed.why
        );
        if shape.email {
            let mail_lat = latencies(&arrivals, &filed.sent, true);
            println!(
                "  emails   {:.0}/s, POST -> arrival p50 {} ms p99 {} ms ({} of {n})",
                rate_of(&arrivals, true),
                ms(&mail_lat, 0.5),
                ms(&mail_lat, 0.99),
                mail_lat.len()
            );
        }
        println!(
            "  webhooks {:.0}/s, POST -> arrival p50 {} ms p99 {} ms ({} of {hooks}{})",
            rate_of(&arrivals, false),
            ms(&hook_lat, 0.5),
            ms(&hook_lat, 0.99),
            hook_lat.len(),
            if all { "" } else { "; not all in time" }
        );
        println!("  server peak RSS {:.1} MiB", server.peak_mib());
        server.stop().await?;
        run.finish().await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut receiver = Receiver::start().await?;
    println!(
        "database: {}",
        if args.database.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    for scenario in &args.scenarios {
        match scenario {
            Scenario::Steady => steady(&args, &mut receiver).await?,
            Scenario::Saturation => saturation(&args, &mut receiver).await?,
            Scenario::Drain => drain(&args, &mut receiver).await?,
            Scenario::Hang => hang(&args, &mut receiver).await?,
            Scenario::Email => email(&args, &mut receiver).await?,
        }
    }
    Ok(())
}
