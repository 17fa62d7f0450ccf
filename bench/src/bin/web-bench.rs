//! Member form benchmark: starts `target/release/incident-desk serve` on a fresh SQLite
//! file with its evidence folder beside it, then measures the report form at `/`:
//!
//! 1. the form page: GET `/` one after another over loopback, and the same page built and
//!    rendered in this process through the library (the server's own time, no network);
//! 2. reports posted with a 1 MiB PNG (POST `/`), each after its own form GET for the CSRF
//!    token and submission id; only the POST is timed, and every answer must be a 303.
//!
//! The dispatcher is off, so only the web path is measured.

use std::{
    path::Path,
    process::Stdio,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use actix_web::{FromRequest, body::MessageBody, dev::Payload, test::TestRequest, web};
use anyhow::{Context, bail};
use clap::Parser;
use incident_desk::{
    channels::ack_link::AckKey,
    config::{self, Locale},
    domain::token,
    http::{
        extract::{
            csrf::{Csrf, CsrfKey},
            lang::Lang,
        },
        html::page,
        member::report::{self, Filled},
        state::AppState,
    },
    storage::{Database, files::FileStore},
    usecases::{intake::Intake, outbox::Outbox},
};
use reqwest::{
    StatusCode,
    multipart::{Form, Part},
};
use tokio::process::Command;

#[derive(Debug, Parser)]
struct Args {
    #[arg(long, default_value = "target/release/incident-desk")]
    binary: std::path::PathBuf,
    /// Form pages fetched and timed, one after another.
    #[arg(long, default_value_t = 2000)]
    gets: usize,
    /// Reports posted and timed.
    #[arg(long, default_value_t = 300)]
    posts: usize,
    /// Untimed requests of each kind first (pages; a tenth as many reports).
    #[arg(long, default_value_t = 200)]
    warmup: usize,
    /// Members posting reports at once.
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Size of each evidence file.
    #[arg(long, default_value_t = 1024 * 1024)]
    file_bytes: usize,
    #[arg(long, default_value_t = 18_100)]
    port: u16,
}

fn good_fields(i: usize) -> Vec<(&'static str, String)> {
    [
        ("reporter.name", "Nguyễn Thị Bình"),
        ("reporter.email", "binh@example.org"),
        ("reporter.phone", "0912 345 678"),
        ("reporter.committee", "hn-ba-dinh"),
        ("page.display_name", "Đoàn phường X"),
        ("page.linked_email", "page-admin@example.org"),
        ("kind", "hijacked"),
        ("detected_at", "2026-11-28T07:30"),
        (
            "description",
            "Người lạ đã gỡ tôi khỏi quyền quản trị trang.",
        ),
        ("containment.state", "lost_control"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .chain([("page.url", format!("https://www.facebook.com/page.{i}"))])
    .collect()
}

const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

fn crc32(parts: &[&[u8]]) -> u32 {
    let mut c = !0u32;
    for part in parts {
        for &b in *part {
            c = CRC_TABLE[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
        }
    }
    !c
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&[kind, data]).to_be_bytes());
}

/// A valid PNG of `size` bytes: one RGB pixel, and a private ancillary chunk of bytes
/// drawn from `seed`, so that every file has its own digest and is stored anew.
fn png(seed: u64, size: usize) -> Vec<u8> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    // The pixel behind filter byte 0, in one stored (uncompressed) zlib block.
    let raw = [0u8, 0xc0, 0x1f, 0x2e];
    let (a, b) = raw.iter().fold((1u32, 0u32), |(a, b), &x| {
        let a = (a + u32::from(x)) % 65_521;
        (a, (b + a) % 65_521)
    });
    let mut idat = vec![0x78, 0x01, 0x01, 4, 0, !4, !0];
    idat.extend_from_slice(&raw);
    idat.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let fixed = SIGNATURE.len() + 4 * 12 + 13 + idat.len();
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut filler = Vec::with_capacity(size.saturating_sub(fixed) + 8);
    while filler.len() < size.saturating_sub(fixed) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        filler.extend_from_slice(&state.to_le_bytes());
    }
    filler.truncate(size.saturating_sub(fixed));

    let mut out = Vec::with_capacity(size.max(fixed));
    out.extend_from_slice(SIGNATURE);
    chunk(&mut out, b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
    chunk(&mut out, b"bnCh", &filler);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// The value of the hidden input `name` in a page.
fn hidden_input(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    html[start..].split('"').next().map(str::to_owned)
}

/// A member's browser: keeps the `csrf` cookie and shows each redirect as it comes.
fn browser() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?)
}

/// Fetches the form and returns its page and how long that took.
async fn form_page(client: &reqwest::Client, base: &str) -> anyhow::Result<(String, Duration)> {
    let t0 = Instant::now();
    let response = client.get(format!("{base}/")).send().await?;
    let status = response.status();
    let html = response.text().await?;
    let took = t0.elapsed();
    if status != StatusCode::OK || !html.contains("name=\"csrf_token\"") {
        bail!("GET / answered {status}");
    }
    Ok((html, took))
}

/// Fetches the form, then posts report `i` with its evidence; returns the POST's time.
async fn report(
    client: &reqwest::Client,
    base: &str,
    i: usize,
    file_bytes: usize,
) -> anyhow::Result<Duration> {
    let evidence = png(i as u64 + 1, file_bytes);
    let (html, _) = form_page(client, base).await?;
    let mut form = Form::new()
        .text(
            "csrf_token",
            hidden_input(&html, "csrf_token").context("no csrf_token")?,
        )
        .text(
            "submission_id",
            hidden_input(&html, "submission_id").context("no submission_id")?,
        );
    for (name, value) in good_fields(i) {
        form = form.text(name, value);
    }
    form = form.part(
        "evidence",
        Part::bytes(evidence)
            .file_name(format!("trang-bi-chiem-{i}.png"))
            .mime_str("image/png")?,
    );
    let t0 = Instant::now();
    let response = client
        .post(format!("{base}/"))
        .multipart(form)
        .send()
        .await?;
    let status = response.status();
    let location = intake_bench::location(&response);
    let body = response.bytes().await?;
    let took = t0.elapsed();
    if status != StatusCode::SEE_OTHER || !location.starts_with("/track/") {
        bail!(
            "POST / answered {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        );
    }
    Ok(took)
}

/// The form page's dependencies wired in this process, as `serve` wires them.
async fn app_state(toml: &str) -> anyhow::Result<AppState> {
    let settings = config::from_layers(&[toml])?;
    let db = Database::connect(&settings.database).await?;
    db.migrate_up().await?;
    let directory =
        incident_desk::usecases::directory::DirectoryCache::open(&db, &settings).await?;
    let settings = Arc::new(settings);
    let outbox = Outbox::default();
    Ok(AppState {
        sign_in: incident_desk::http::desk::SignInLimits::new(&settings),
        member_sign_in: incident_desk::http::member::register::SignInLimits::new(&settings),
        links: token::LinkKey::new(token::random_bytes(32)),
        reply: incident_desk::domain::correspondence::ReplyKey::new(&token::random_bytes(32)),
        counters: incident_desk::usecases::desk_counters::CounterCache::new(
            settings.desk.counters_max_age,
        ),
        intake: Intake::start(
            db.clone(),
            settings.clone(),
            directory.clone(),
            outbox.clone(),
            incident_desk::telemetry::metrics::Metrics::new(),
        ),
        mail: incident_desk::usecases::correspondence::MailWriter::start(
            db.clone(),
            settings.clone(),
            directory.clone(),
            outbox.clone(),
        ),
        webhooks: incident_desk::channels::webhook::WebhookSender::new(&settings.webhooks)?,
        directory,
        files: FileStore::open(&settings.evidence.dir).await?,
        db,
        settings,
        outbox,
        ack: AckKey::new(token::random_bytes(32)),
        csrf: CsrfKey::new(token::random_bytes(32)),
    })
}

/// Times of the page built and rendered (`build_page` and askama), and of the whole
/// handler (also the CSRF token and the response), in this process.
async fn in_process(
    state: AppState,
    warmup: usize,
    n: usize,
) -> anyhow::Result<(Vec<Duration>, Vec<Duration>, usize)> {
    let state = web::Data::new(state);
    let req = TestRequest::get().uri("/").to_http_request();
    let mut rendered = Vec::with_capacity(n);
    let mut handled = Vec::with_capacity(n);
    let mut bytes = 0;
    for i in 0..warmup + n {
        let t0 = Instant::now();
        let page = report::build_page(
            &state,
            Locale::Vi,
            token::random_token(32),
            token::random_token(16),
            Filled::default(),
            None,
        );
        let body = page::render(&page).context("the form did not render")?;
        let took = t0.elapsed();
        bytes = body.len();

        let t0 = Instant::now();
        let csrf = Csrf::from_request(&req, &mut Payload::None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let query = actix_web::web::Query::from_query("").map_err(|e| anyhow::anyhow!("{e}"))?;
        let response = report::show(state.clone(), Lang::of(&req), csrf, query).await;
        let size = response.into_body().size();
        let took_handler = t0.elapsed();
        if !matches!(size, actix_web::body::BodySize::Sized(s) if s > 0) {
            bail!("the form handler answered no page");
        }
        if i >= warmup {
            rendered.push(took);
            handled.push(took_handler);
        }
    }
    Ok((rendered, handled, bytes))
}

fn percentiles(mut times: Vec<Duration>) -> String {
    times.sort_unstable();
    let n = times.len();
    if n == 0 {
        return "none".to_owned();
    }
    let pct = |p: f64| times[((n as f64 * p) as usize).min(n - 1)].as_secs_f64() * 1000.0;
    format!(
        "p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  max {:.3} ms",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0)
    )
}

fn stored_files(evidence: &Path) -> (usize, u64) {
    let (mut count, mut bytes) = (0, 0);
    let Ok(dirs) = std::fs::read_dir(evidence) else {
        return (0, 0);
    };
    for dir in dirs.flatten().filter(|d| d.file_name() != "tmp") {
        for file in std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            count += 1;
            bytes += file.metadata().map_or(0, |m| m.len());
        }
    }
    (count, bytes)
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
    let dir = tempfile::tempdir()?;
    let evidence = dir.path().join("evidence");
    let db = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let path = dir.path().join("bench.toml");
    std::fs::write(
        &path,
        intake_bench::server_config(args.port, &db, &evidence),
    )?;
    let cfg = path.to_str().context("path")?.to_owned();
    let workers = std::env::var("BENCH_SERVER_WORKERS").unwrap_or_else(|_| "2".to_owned());
    let mut child = Command::new(&args.binary)
        .args(["--config", &cfg, "serve"])
        .env("INCIDENT_DESK__SERVER__PORT", args.port.to_string())
        .env("INCIDENT_DESK__SERVER__WORKERS", &workers)
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("run {}", args.binary.display()))?;
    let pid = child.id().context("pid")?;
    let base = format!("http://127.0.0.1:{}", args.port);
    let probe = reqwest::Client::new();
    intake_bench::wait_until_ready(&probe, &base, 100).await?;

    // Phase 1: the form page.
    let client = browser()?;
    let mut page_errors = 0usize;
    let mut first_error = None;
    let mut page_times = Vec::with_capacity(args.gets);
    for i in 0..args.warmup + args.gets {
        match form_page(&client, &base).await {
            Ok((_, took)) if i >= args.warmup => page_times.push(took),
            Ok(_) => {}
            Err(e) => {
                page_errors += 1;
                first_error.get_or_insert(e.to_string());
            }
        }
    }
    let render_dir = dir.path().join("in-process");
    let render_db = format!(
        "sqlite://{}?mode=rwc",
        render_dir.join("render.db").display()
    );
    std::fs::create_dir_all(&render_dir)?;
    let state = app_state(&intake_bench::server_config(
        0,
        &render_db,
        &render_dir.join("evidence"),
    ))
    .await?;
    let (rendered, handled, page_bytes) = in_process(state, args.warmup, args.gets).await?;

    // Phase 2: reports with evidence, from `concurrency` members at once.
    let post_warmup = args.warmup / 10;
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let errors: Arc<Mutex<Vec<String>>> = Arc::default();
    let next = Arc::new(AtomicUsize::new(0));
    let total = post_warmup + args.posts;
    let started = Arc::new(Mutex::new(None::<Instant>));
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency.max(1) {
        let (base, latencies, errors, next, started) = (
            base.clone(),
            latencies.clone(),
            errors.clone(),
            next.clone(),
            started.clone(),
        );
        let member = browser()?;
        let file_bytes = args.file_bytes;
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                if i == post_warmup {
                    started
                        .lock()
                        .expect("start")
                        .get_or_insert_with(Instant::now);
                }
                match report(&member, &base, i, file_bytes).await {
                    Ok(took) if i >= post_warmup => latencies.lock().expect("times").push(took),
                    Ok(_) => {}
                    Err(e) => errors.lock().expect("errors").push(format!("{e:#}")),
                }
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let post_seconds = started
        .lock()
        .expect("start")
        .map_or(0.0, |s| s.elapsed().as_secs_f64());
    let rss = peak_rss_kib(pid);
    let _ = child.kill().await;
    let (files, file_bytes) = stored_files(&evidence);
    let post_times = latencies.lock().expect("times").clone();
    let post_errors = errors.lock().expect("errors").clone();

    println!(
        "machine:      {} cores; server with {workers} workers, SQLite, dispatcher off (web path only)",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    println!(
        "form page:    {} GET / one after another over loopback, after {} untimed ({} errors)",
        page_times.len(),
        args.warmup,
        page_errors
    );
    println!("  round trip:         {}", percentiles(page_times));
    println!(
        "  build + render:     {} ({} bytes, in process)",
        percentiles(rendered),
        page_bytes
    );
    println!(
        "  whole handler:      {} (with CSRF token and headers, in process)",
        percentiles(handled)
    );
    println!(
        "reports:      {} POST / with a {:.2} MiB PNG, {} member(s) at once, after {} untimed ({} errors)",
        post_times.len(),
        args.file_bytes as f64 / (1024.0 * 1024.0),
        args.concurrency.max(1),
        post_warmup,
        post_errors.len()
    );
    println!("  POST round trip:    {}", percentiles(post_times.clone()));
    println!(
        "  answers:            {} of {} were 303 to the confirmation; {:.0} reports/s with their form GETs",
        post_times.len(),
        args.posts,
        post_times.len() as f64 / post_seconds.max(0.001)
    );
    println!(
        "  evidence stored:    {files} files, {:.1} MiB",
        file_bytes as f64 / (1024.0 * 1024.0)
    );
    if let Some(kib) = rss {
        println!("server peak RSS: {:.1} MiB", kib as f64 / 1024.0);
    }
    if let Some(e) = first_error.or_else(|| post_errors.first().cloned()) {
        bail!(
            "{} requests failed; the first: {e}",
            page_errors + post_errors.len()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_evidence_is_a_png_of_the_asked_size_with_its_own_bytes() {
        let one = png(1, 1024 * 1024);
        assert_eq!(one.len(), 1024 * 1024);
        assert_eq!(infer::get(&one).map(|t| t.mime_type()), Some("image/png"));
        // The header chunk's CRC, as any PNG of one RGB pixel has it.
        assert_eq!(&one[29..33], b"\x90wS\xde");
        assert_ne!(one, png(2, 1024 * 1024));
    }
}
