//! `measure`: serves a seeded register with the release binary and times, from outside
//! the process, a committee's tool searching the register by link and by phone (most
//! existing, some unknown) and reading the members who have not answered its current
//! declaration request: latency at a fixed offered rate, throughput with a fixed number of
//! clients, and the server's CPU time and peak memory.
//!
//! When the binary has no register API (the CLI refuses the `register:read` scope, or the
//! routes answer 404), or with `--in-process`, the same queries go through the use cases
//! the API calls (`usecases::register::search` and `asked`) in this process instead; the
//! table says which.

use std::{path::PathBuf, process::Stdio, sync::Arc, time::Duration};

use anyhow::{Context, bail, ensure};
use chrono::Utc;
use incident_desk::{
    config::{self, Settings},
    domain::register::{AnswerState, RegisterQuery},
    storage::{Database, Scope, register::PageFilter},
    usecases::{directory::DirectoryCache, register},
};
use intake_bench::load::{Load, closed_loop, cpu_seconds, open_loop, peak_rss_kib, percentile};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use tokio::process::Command;
use uuid::Uuid;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The seeded database: sqlite://PATH?mode=rwc or postgres://USER@HOST:PORT/DATABASE.
    #[arg(long)]
    database: String,
    /// Requests per second offered for each query while its latency is measured.
    #[arg(long, default_value_t = 100)]
    rate: u64,
    /// Seconds of each measured run (after 2 s of warm-up).
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Clients sending one request after another while the throughput is measured.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// The committee the key is bound to (its subtree); `all` for a key that sees every
    /// committee. The committee of the newest declaration request when absent.
    #[arg(long)]
    committee: Option<String>,
    /// Links and phones sampled from the register for the searches.
    #[arg(long, default_value_t = 20_000)]
    sample: usize,
    /// The share of searches for a link or phone that is not in the register.
    #[arg(long, default_value_t = 0.1)]
    unknown: f64,
    /// Time the use cases in this process instead of the API.
    #[arg(long)]
    in_process: bool,
    #[arg(long, default_value = "target/release/incident-desk")]
    binary: PathBuf,
    #[arg(long, default_value_t = 18_120)]
    port: u16,
}

/// What the searches look for: links and phones as an officer would paste them.
struct Queries {
    links: Vec<String>,
    phones: Vec<String>,
    /// Every `unknown_every`-th search is for something not in the register.
    unknown_every: u64,
}

impl Queries {
    fn link(&self, i: u64) -> (String, bool) {
        if self.unknown_every > 0 && i.is_multiple_of(self.unknown_every) {
            return (
                format!("https://www.facebook.com/khong.co.trang.{i}"),
                false,
            );
        }
        let url = &self.links[(spread(i) % self.links.len() as u64) as usize];
        // The same page as typed or copied in other ways: the register's key is the same.
        let variant = match i % 4 {
            0 if url.contains("://www.") => url.replacen("://www.", "://m.", 1),
            1 if !url.contains('?') => format!("{url}?ref=share"),
            2 if !url.ends_with('/') && !url.contains('?') => format!("{url}/"),
            _ => url.clone(),
        };
        (variant, true)
    }

    fn phone(&self, i: u64) -> (String, bool) {
        if self.unknown_every > 0 && i.is_multiple_of(self.unknown_every) {
            return (format!("0999{:06}", i % 1_000_000), false);
        }
        let p = &self.phones[(spread(i) % self.phones.len() as u64) as usize];
        let variant = match (i % 3, p.len()) {
            (0, 10) => format!("{} {} {}", &p[..4], &p[4..7], &p[7..]),
            (1, 10) => format!("{}.{}.{}", &p[..4], &p[4..7], &p[7..]),
            _ => p.clone(),
        };
        (variant, true)
    }
}

/// Request `i`'s pick, spread over the sample.
fn spread(i: u64) -> u64 {
    i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 17
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The facts `measure` needs from the seeded database.
struct Register {
    members: i64,
    pages: i64,
    request: Uuid,
    request_committee: String,
    asked: i64,
    not_answered: i64,
}

async fn scalar(db: &Database, sql: &str) -> anyhow::Result<i64> {
    let row = db
        .conn()
        .query_one_raw(Statement::from_string(db.backend(), sql.to_owned()))
        .await?
        .context("no row")?;
    Ok(row.try_get("", "n")?)
}

async fn register_facts(db: &Database) -> anyhow::Result<Register> {
    let members = scalar(db, "SELECT COUNT(*) AS n FROM members").await?;
    let pages = scalar(db, "SELECT COUNT(*) AS n FROM register_pages").await?;
    ensure!(
        pages > 0,
        "the register is empty: run `register-bench seed` first"
    );
    let (request, _, _) = register::requests(db, &Scope::All, 1)
        .await?
        .into_iter()
        .next()
        .context("the database has no declaration request")?;
    let (_, asked, answered) = register::request(db, &Scope::All, request.id)
        .await?
        .context("the request does not read back")?;
    Ok(Register {
        members,
        pages,
        request: request.id,
        request_committee: request.committee_id,
        asked: asked as i64,
        not_answered: asked as i64 - answered as i64,
    })
}

/// Links and phones of pages the scope sees, picked at random.
async fn sample(
    db: &Database,
    scope: &Scope,
    n: usize,
) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let within = match scope {
        Scope::All => String::new(),
        Scope::Committees(ids) => format!(
            "WHERE committee_id IN ({})",
            ids.iter()
                .map(|c| format!("'{}'", c.replace('\'', "''")))
                .collect::<Vec<_>>()
                .join(",")
        ),
    };
    let rows = db
        .conn()
        .query_all_raw(Statement::from_string(
            db.backend(),
            format!(
                "SELECT url, linked_phone FROM register_pages {within} ORDER BY random() LIMIT {n}"
            ),
        ))
        .await?;
    let mut links = Vec::with_capacity(rows.len());
    let mut phones = Vec::with_capacity(rows.len());
    for row in rows {
        links.push(row.try_get::<String>("", "url")?);
        if let Some(p) = row.try_get::<Option<String>>("", "linked_phone")? {
            phones.push(p);
        }
    }
    ensure!(
        !links.is_empty() && !phones.is_empty(),
        "the scope sees no page with a linked phone"
    );
    Ok((links, phones))
}

/// The served instance, with a key of the register's read scope.
struct Served {
    child: tokio::process::Child,
    pid: u32,
    base: String,
    key: String,
}

/// Creates the key and starts the server; `Err` with the reason when this build of the
/// binary has no register API.
async fn serve(
    args: &Args,
    config: &std::path::Path,
    committee: Option<&str>,
) -> anyhow::Result<Served> {
    let mut create = vec![
        "--config".to_owned(),
        config.display().to_string(),
        "api-key".to_owned(),
        "create".to_owned(),
        "--name".to_owned(),
        "register-bench".to_owned(),
        "--scope".to_owned(),
        "register:read".to_owned(),
    ];
    if let Some(c) = committee {
        create.extend(["--committee".to_owned(), c.to_owned()]);
    }
    let out = Command::new(&args.binary)
        .args(&create)
        .output()
        .await
        .with_context(|| format!("run {}", args.binary.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "`incident-desk api-key create --scope register:read` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let key = stdout
        .lines()
        .find_map(|l| l.strip_prefix("key:"))
        .map(|k| k.trim().to_owned())
        .context("no key printed")?;
    let workers = std::env::var("BENCH_SERVER_WORKERS").unwrap_or_else(|_| "2".to_owned());
    let child = Command::new(&args.binary)
        .arg("--config")
        .arg(config)
        .arg("serve")
        .env("INCIDENT_DESK__SERVER__PORT", args.port.to_string())
        .env("INCIDENT_DESK__SERVER__WORKERS", &workers)
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("run {}", args.binary.display()))?;
    let pid = child.id().context("pid")?;
    let base = format!("http://127.0.0.1:{}", args.port);
    intake_bench::wait_until_ready(&reqwest::Client::new(), &base, 600).await?;
    Ok(Served {
        child,
        pid,
        base,
        key,
    })
}

/// The number of rows of a JSON list answer (`data`, or `items`), when it has them.
fn items(body: &[u8]) -> Option<usize> {
    let value = serde_json::from_slice::<serde_json::Value>(body).ok()?;
    value
        .get("data")
        .or_else(|| value.get("items"))?
        .as_array()
        .map(Vec::len)
}

/// One query of the benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Link,
    Phone,
    NotAnswered,
}

impl Kind {
    const ALL: [Kind; 3] = [Kind::Link, Kind::Phone, Kind::NotAnswered];

    fn label(self) -> &'static str {
        match self {
            Kind::Link => "search by link",
            Kind::Phone => "search by phone",
            Kind::NotAnswered => "request: not answered",
        }
    }

    fn target_ms(self) -> f64 {
        match self {
            Kind::Link | Kind::Phone => 20.0,
            Kind::NotAnswered => 50.0,
        }
    }
}

/// Counts answers that contradict the register: an existing link or phone not found, an
/// unknown one found, a first page of members not answered that is empty.
#[derive(Default)]
struct Wrong(std::sync::atomic::AtomicU64);

impl Wrong {
    fn check(&self, expect_found: bool, found: Option<usize>) {
        if let Some(n) = found
            && (n > 0) != expect_found
        {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    fn get(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// What a run sends: one kind of query, its searches and the request it reads.
struct Job {
    queries: Arc<Queries>,
    request: Uuid,
    kind: Kind,
    wrong: Wrong,
}

impl Job {
    /// The text searched for by search `i`, and whether the register has it.
    fn search(&self, i: u64) -> (String, bool) {
        if self.kind == Kind::Link {
            self.queries.link(i)
        } else {
            self.queries.phone(i)
        }
    }
}

/// The request `i` of a job over HTTP: the answer's size when it is 200.
async fn over_http(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    job: &Job,
    i: u64,
) -> Option<u64> {
    let request = job.request;
    let (url, expect) = match job.kind {
        Kind::Link | Kind::Phone => {
            let (q, known) = job.search(i);
            (
                format!("{base}/api/v1/pages?q={}&limit=20", percent_encode(&q)),
                known,
            )
        }
        Kind::NotAnswered => (
            format!(
                "{base}/api/v1/declaration-requests/{request}/members?state=not_answered&limit=50"
            ),
            true,
        ),
    };
    let response = client.get(url).bearer_auth(key).send().await.ok()?;
    if response.status() != StatusCode::OK {
        return None;
    }
    let body = response.bytes().await.ok()?;
    job.wrong.check(expect, items(&body));
    Some(body.len() as u64)
}

/// The same request through the use cases the API calls, in this process: the number of
/// rows it read stands for the answer's size.
async fn in_process(
    db: &Database,
    settings: &Settings,
    scope: &Scope,
    job: &Job,
    i: u64,
) -> Option<u64> {
    match job.kind {
        Kind::Link | Kind::Phone => {
            let (q, known) = job.search(i);
            let filter = PageFilter {
                query: RegisterQuery::parse(&q),
                ..Default::default()
            };
            let (rows, _) = register::search(db, scope, &filter, false, None, 20)
                .await
                .ok()?;
            job.wrong.check(known, Some(rows.len()));
            Some(rows.len() as u64)
        }
        Kind::NotAnswered => {
            // As the API does: the request must be in the key's reach.
            register::request(db, scope, job.request).await.ok()??;
            let (rows, _) = register::asked(
                db,
                settings,
                job.request,
                AnswerState::NotAnswered,
                None,
                50,
                Utc::now(),
            )
            .await
            .ok()?;
            job.wrong.check(true, Some(rows.len()));
            Some(rows.len() as u64)
        }
    }
}

/// Where the queries are sent.
#[derive(Clone)]
enum Target {
    Http {
        client: reqwest::Client,
        base: Arc<str>,
        key: Arc<str>,
    },
    InProcess {
        db: Database,
        settings: Arc<Settings>,
        scope: Arc<Scope>,
    },
}

impl Target {
    async fn send(&self, job: &Job, i: u64) -> Option<u64> {
        match self {
            Target::Http { client, base, key } => over_http(client, base, key, job, i).await,
            Target::InProcess {
                db,
                settings,
                scope,
            } => in_process(db, settings, scope, job, i).await,
        }
    }
}

/// One query's runs: latency at the offered rate, then throughput with `concurrency` clients.
struct Measured {
    kind: Kind,
    latency: Load,
    throughput: Load,
    /// CPU seconds of the serving process during each run.
    cpu: (f64, f64),
    wrong: u64,
}

async fn measure_kind(
    args: &Args,
    target: &Target,
    queries: &Arc<Queries>,
    request: Uuid,
    kind: Kind,
    pid: u32,
) -> anyhow::Result<Measured> {
    let job = Arc::new(Job {
        queries: queries.clone(),
        request,
        kind,
        wrong: Wrong::default(),
    });
    let sender = {
        let (target, job) = (target.clone(), job.clone());
        move |i: u64| {
            let (target, job) = (target.clone(), job.clone());
            async move { target.send(&job, i).await }
        }
    };
    let before = cpu_seconds(pid).context("CPU time")?;
    let latency = open_loop(args.rate, args.seconds, sender.clone()).await?;
    let middle = cpu_seconds(pid).context("CPU time")?;
    let throughput = closed_loop(args.concurrency, args.seconds, sender).await?;
    let after = cpu_seconds(pid).context("CPU time")?;
    Ok(Measured {
        kind,
        latency,
        throughput,
        cpu: (middle - before, after - middle),
        wrong: job.wrong.get(),
    })
}

/// The machine's 1-minute load average: other work on it shows in the times.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("register-bench.toml");
    let toml = intake_bench::server_config(args.port, &args.database, &dir.path().join("evidence"));
    std::fs::write(&path, &toml)?;
    let settings = Arc::new(config::from_layers(&[&toml])?);
    let db = Database::connect(&settings.database).await?;
    let facts = register_facts(&db)
        .await
        .context("the database is not seeded")?;
    let directory = DirectoryCache::open(&db, &settings).await?.current();
    let committee = match args.committee.as_deref() {
        Some("all") => None,
        Some(c) => Some(c.to_owned()),
        None => Some(facts.request_committee.clone()),
    };
    let scope = match &committee {
        None => Scope::All,
        Some(c) => {
            ensure!(
                directory.committee(c).is_some(),
                "`{c}` is not a committee of the directory"
            );
            Scope::Committees(directory.committee_subtree(c))
        }
    };
    let (links, phones) = sample(&db, &scope, args.sample).await?;
    let unknown_every = if args.unknown > 0.0 {
        (1.0 / args.unknown).round().max(1.0) as u64
    } else {
        0
    };
    let queries = Arc::new(Queries {
        links,
        phones,
        unknown_every,
    });

    let mut served = None;
    let why_in_process = if args.in_process {
        Some("asked for with --in-process".to_owned())
    } else {
        match serve(&args, &path, committee.as_deref()).await {
            Err(e) => Some(format!("{e:#}")),
            Ok(s) => {
                let probe = reqwest::Client::new();
                let mut missing = Vec::new();
                for route in [
                    "/api/v1/pages?q=0912345678&limit=20".to_owned(),
                    format!(
                        "/api/v1/declaration-requests/{}/members?state=not_answered&limit=50",
                        facts.request
                    ),
                ] {
                    let status = probe
                        .get(format!("{}{route}", s.base))
                        .bearer_auth(&s.key)
                        .send()
                        .await?
                        .status();
                    if status == StatusCode::NOT_FOUND {
                        missing.push(route);
                    } else if status != StatusCode::OK {
                        bail!("GET {route} answered {status}");
                    }
                }
                served = Some(s);
                (!missing.is_empty())
                    .then(|| format!("the server answers 404 to {}", missing.join(" and ")))
            }
        }
    };
    let (target, pid, where_) = match (&why_in_process, &served) {
        (None, Some(s)) => (
            Target::Http {
                client: reqwest::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .pool_max_idle_per_host(64)
                    .build()?,
                base: s.base.as_str().into(),
                key: s.key.as_str().into(),
            },
            s.pid,
            format!(
                "over HTTP to `incident-desk serve` ({} workers, dispatcher off)",
                std::env::var("BENCH_SERVER_WORKERS").unwrap_or_else(|_| "2".to_owned())
            ),
        ),
        (Some(why), _) => {
            if let Some(mut s) = served.take() {
                let _ = s.child.kill().await;
            }
            (
                Target::InProcess {
                    db: db.clone(),
                    settings: settings.clone(),
                    scope: Arc::new(scope.clone()),
                },
                std::process::id(),
                format!(
                    "IN PROCESS through usecases::register::search and ::asked on a pool of {} connections, not over HTTP: {why}",
                    settings.database.max_connections
                ),
            )
        }
        (None, None) => bail!("no server and no reason"),
    };

    println!(
        "database: {} with {} members and {} pages; request {} of {} asked {} members, {} not answered",
        if args.database.starts_with("sqlite:") {
            "SQLite"
        } else {
            "PostgreSQL"
        },
        facts.members,
        facts.pages,
        facts.request,
        facts.request_committee,
        facts.asked,
        facts.not_answered
    );
    println!(
        "scope: {}; {} links and {} phones sampled, {:.0}% of searches for unknown ones",
        committee
            .as_deref()
            .map_or("every committee".to_owned(), |c| format!(
                "the subtree of {c} ({} committees)",
                match &scope {
                    Scope::Committees(ids) => ids.len(),
                    Scope::All => 0,
                }
            )),
        queries.links.len(),
        queries.phones.len(),
        args.unknown * 100.0
    );
    println!("measured {where_}");
    println!(
        "each query: {} req/s offered for {} s, then {} clients for {} s; load {} on {} cores",
        args.rate,
        args.seconds,
        args.concurrency,
        args.seconds,
        load_average(),
        std::thread::available_parallelism().map_or(0, usize::from)
    );

    let mut results = Vec::new();
    for kind in Kind::ALL {
        let m = measure_kind(&args, &target, &queries, facts.request, kind, pid).await?;
        println!(
            "  {:<24} p50 {:>6.2} ms  p95 {:>6.2} ms  p99 {:>6.2} ms  max {:>7.2} ms  errors {}  | {:>6.0} req/s with {} clients (p99 {:.1} ms)",
            kind.label(),
            percentile(&m.latency.latencies_ms, 0.5),
            percentile(&m.latency.latencies_ms, 0.95),
            percentile(&m.latency.latencies_ms, 0.99),
            percentile(&m.latency.latencies_ms, 1.0),
            m.latency.errors + m.throughput.errors,
            m.throughput.accepted_per_s,
            args.concurrency,
            percentile(&m.throughput.latencies_ms, 0.99),
        );
        results.push(m);
    }
    let peak_rss_mib = peak_rss_kib(pid).unwrap_or(0) as f64 / 1024.0;
    if let Some(mut s) = served.take() {
        let _ = s.child.kill().await;
    }
    print_table(&results, &args, peak_rss_mib, why_in_process.is_some());
    println!("load at the end: {}", load_average());
    let missed = results.iter().any(|m| {
        percentile(&m.latency.latencies_ms, 0.99) >= m.kind.target_ms()
            || m.latency.errors + m.throughput.errors > 0
            || m.wrong > 0
    });
    if missed {
        bail!("a target was missed");
    }
    Ok(())
}

fn print_table(results: &[Measured], args: &Args, peak_rss_mib: f64, in_process: bool) {
    let process = if in_process { "this process" } else { "server" };
    let mut rows: Vec<(String, String, String, Option<bool>)> = Vec::new();
    for m in results {
        let l = &m.latency;
        let p99 = percentile(&l.latencies_ms, 0.99);
        let target = m.kind.target_ms();
        rows.push((
            format!("{} p50 / p95 / p99 at {} req/s", m.kind.label(), args.rate),
            format!(
                "{:.2} / {:.2} / {:.2} ms",
                percentile(&l.latencies_ms, 0.5),
                percentile(&l.latencies_ms, 0.95),
                p99
            ),
            format!("p99 < {target:.0} ms"),
            Some(p99 < target),
        ));
        let errors = l.errors + m.throughput.errors;
        rows.push((
            format!("{} errors, wrong answers", m.kind.label()),
            format!("{errors}, {}", m.wrong),
            "0, 0".to_owned(),
            Some(errors == 0 && m.wrong == 0),
        ));
        let t = &m.throughput;
        rows.push((
            format!(
                "{} throughput, {} clients",
                m.kind.label(),
                args.concurrency
            ),
            format!(
                "{:.0} req/s (p99 {:.1} ms)",
                t.accepted_per_s,
                percentile(&t.latencies_ms, 0.99)
            ),
            String::new(),
            None,
        ));
        let requests = (l.latencies_ms.len() + t.latencies_ms.len()).max(1) as f64;
        rows.push((
            format!("{} {process} CPU", m.kind.label()),
            format!(
                "{:.1} s, {:.2} ms per request",
                m.cpu.0 + m.cpu.1,
                (m.cpu.0 + m.cpu.1) * 1000.0 / requests
            ),
            String::new(),
            None,
        ));
    }
    rows.push((
        format!("{process} peak RSS"),
        format!("{peak_rss_mib:.0} MiB"),
        String::new(),
        None,
    ));
    let width = rows.iter().map(|r| r.0.chars().count()).max().unwrap_or(0);
    let mwidth = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
    println!();
    for (figure, measured, target, met) in &rows {
        let verdict = match met {
            Some(true) => "ok",
            Some(false) => "MISSED",
            None => "",
        };
        println!("{figure:width$}  {measured:mwidth$}  {target:14} {verdict}");
    }
}
