//! `measure`: serves a seeded database with the release binary, signs in a desk admin
//! and an officer of one committee, and times the queue's pages one request after
//! another over loopback.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use incident_desk::{config, domain::token, storage::Database};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use tokio::{io::AsyncWriteExt, process::Command};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The seeded database: sqlite://PATH?mode=rwc or postgres://USER@HOST:PORT/DATABASE.
    #[arg(long)]
    database: String,
    /// Timed requests of each page.
    #[arg(long, default_value_t = 500)]
    requests: usize,
    /// Untimed requests of each page first.
    #[arg(long, default_value_t = 50)]
    warmup: usize,
    /// The committee of the officer, who sees its subtree.
    #[arg(long, default_value = "hn-ba-dinh")]
    committee: String,
    /// Another queue page to time as both users, such as `/desk?overdue=1` (repeatable).
    #[arg(long)]
    also: Vec<String>,
    #[arg(long, default_value = "target/release/incident-desk")]
    binary: PathBuf,
    #[arg(long, default_value_t = 18_110)]
    port: u16,
}

/// Creates the desk user, or sets their password when they exist from an earlier run.
async fn desk_user(
    binary: &Path,
    config: &str,
    username: &str,
    role: &str,
    committee: Option<&str>,
    password: &str,
) -> anyhow::Result<()> {
    let mut create = vec![
        "--config",
        config,
        "user",
        "create",
        "--username",
        username,
        "--name",
        username,
        "--role",
        role,
        "--password-stdin",
    ];
    if let Some(c) = committee {
        create.extend(["--committee", c]);
    }
    let reset = [
        "--config",
        config,
        "user",
        "reset-password",
        username,
        "--password-stdin",
    ];
    let mut last = String::new();
    for args in [&create[..], &reset[..]] {
        let mut child = Command::new(binary)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("run {}", binary.display()))?;
        let mut stdin = child.stdin.take().context("stdin")?;
        stdin.write_all(password.as_bytes()).await?;
        drop(stdin);
        let out = child.wait_with_output().await?;
        if out.status.success() {
            return Ok(());
        }
        last = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    }
    bail!("could not create the desk user {username}: {last}")
}

/// The value of the hidden input `name` in a page.
fn hidden_input(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let tag_start = html[..at].rfind('<')?;
    let tag = &html[tag_start..at + html[at..].find('>')?];
    attribute(tag, "value")
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker)? + marker.len();
    tag[start..].split('"').next().map(unescape)
}

/// Decodes the character references an HTML template writes into attribute values.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = rest.find(';').and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => match name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok().and_then(char::from_u32),
                    None => name
                        .strip_prefix('#')
                        .and_then(|d| d.parse().ok())
                        .and_then(char::from_u32),
                },
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The target of the page's `a[rel=next]` link.
fn next_link(html: &str) -> Option<String> {
    let mut rest = html;
    while let Some(at) = rest.find("<a ") {
        let tag = &rest[at..at + rest[at..].find('>')?];
        if tag.contains("rel=\"next\"") {
            return attribute(tag, "href");
        }
        rest = &rest[at + 3..];
    }
    None
}

/// A browser that keeps its cookies and shows each redirect as it comes.
async fn signed_in(base: &str, username: &str, password: &str) -> anyhow::Result<reqwest::Client> {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()?;
    let form = client
        .get(format!("{base}/desk/sign-in"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let token = hidden_input(&form, "csrf_token").context("the sign-in form has no csrf_token")?;
    let response = client
        .post(format!("{base}/desk/sign-in"))
        .form(&[
            ("username", username),
            ("password", password),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await?;
    let status = response.status();
    let location = intake_bench::location(&response);
    if status != StatusCode::SEE_OTHER || location != "/desk" {
        bail!("signing in as {username} answered {status} to `{location}`");
    }
    Ok(client)
}

async fn page(client: &reqwest::Client, url: &str) -> anyhow::Result<(String, Duration)> {
    let t0 = Instant::now();
    let response = client.get(url).send().await?;
    let status = response.status();
    let html = response.text().await?;
    let took = t0.elapsed();
    if status != StatusCode::OK {
        bail!(
            "GET {url} answered {status}: {}",
            &html[..html.len().min(300)]
        );
    }
    Ok((html, took))
}

struct Timed {
    what: String,
    who: &'static str,
    times: Vec<Duration>,
    bytes: usize,
}

async fn time_page(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    who: &'static str,
    args: &Args,
) -> anyhow::Result<(Timed, String)> {
    let url = format!("{base}{path}");
    let mut times = Vec::with_capacity(args.requests);
    let mut html = String::new();
    for i in 0..args.warmup + args.requests {
        let (body, took) = page(client, &url).await?;
        if i >= args.warmup {
            times.push(took);
        }
        html = body;
    }
    let what = if path.contains("after=") {
        let (head, _) = path.split_once("after=").unwrap_or((path, ""));
        format!("{head}after=…")
    } else {
        path.to_owned()
    };
    Ok((
        Timed {
            what: format!("GET {what}"),
            who,
            times,
            bytes: html.len(),
        },
        html,
    ))
}

/// The machine's 1-minute load average: other work on it shows in the times.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn ms(times: &[Duration], p: f64) -> f64 {
    let n = times.len();
    times[((n as f64 * p) as usize).min(n - 1)].as_secs_f64() * 1000.0
}

async fn count_incidents(database: &str) -> anyhow::Result<i64> {
    let settings = config::from_layers(&[&format!(
        "[database]\nurl = \"{database}\"\nmax_connections = 1\n"
    )])?;
    let db = Database::connect(&settings.database).await?;
    let row = db
        .conn()
        .query_one_raw(Statement::from_string(
            db.backend(),
            "SELECT COUNT(*) AS n FROM incidents",
        ))
        .await?
        .context("no count")?;
    Ok(row.try_get("", "n")?)
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let incidents = count_incidents(&args.database)
        .await
        .context("the database is not seeded")?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("desk-bench.toml");
    std::fs::write(
        &path,
        intake_bench::server_config(args.port, &args.database, &dir.path().join("evidence")),
    )?;
    let cfg = path.to_str().context("path")?.to_owned();
    let password = token::random_token(24);
    let officer = format!("desk-officer-{}", args.committee);
    desk_user(&args.binary, &cfg, "desk-admin", "admin", None, &password).await?;
    desk_user(
        &args.binary,
        &cfg,
        &officer,
        "officer",
        Some(&args.committee),
        &password,
    )
    .await?;

    let workers = std::env::var("BENCH_SERVER_WORKERS").unwrap_or_else(|_| "2".to_owned());
    let mut child = Command::new(&args.binary)
        .args(["--config", &cfg, "serve"])
        .env("INCIDENT_DESK__SERVER__PORT", args.port.to_string())
        .env("INCIDENT_DESK__SERVER__WORKERS", &workers)
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("run {}", args.binary.display()))?;
    let base = format!("http://127.0.0.1:{}", args.port);
    let probe = reqwest::Client::new();
    intake_bench::wait_until_ready(&probe, &base, 300).await?;

    let admin = signed_in(&base, "desk-admin", &password).await?;
    let scoped = signed_in(&base, &officer, &password).await?;
    println!(
        "database: {} with {incidents} incidents; server with {workers} workers, dispatcher off",
        if args.database.starts_with("sqlite:") {
            "SQLite"
        } else {
            "PostgreSQL"
        }
    );
    println!(
        "{} requests of each page one after another over loopback, after {} untimed; officer of {}; load {} on {} cores",
        args.requests,
        args.warmup,
        args.committee,
        load(),
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    println!(
        "{:<48} {:<8} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "page", "as", "p50 ms", "p90 ms", "p99 ms", "max ms", "bytes"
    );
    let filtered = "/desk?status=open&platform=facebook";
    for (client, who) in [(&admin, "admin"), (&scoped, "officer")] {
        for path in ["/desk", filtered] {
            let (timed, html) = time_page(client, &base, path, who, &args).await?;
            print_row(timed);
            let next = next_link(&html).with_context(|| format!("{path} has no next page"))?;
            let (timed, _) = time_page(client, &base, &next, who, &args).await?;
            print_row(timed);
        }
        for path in &args.also {
            let (timed, _) = time_page(client, &base, path, who, &args).await?;
            print_row(timed);
        }
    }
    let _ = child.kill().await;
    println!("load at the end: {}", load());
    Ok(())
}

fn print_row(mut row: Timed) {
    row.times.sort_unstable();
    println!(
        "{:<48} {:<8} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8}",
        row.what,
        row.who,
        ms(&row.times, 0.50),
        ms(&row.times, 0.90),
        ms(&row.times, 0.99),
        ms(&row.times, 1.0),
        row.bytes
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_next_link_and_the_token() {
        let html = r#"<form><input type="hidden" name="csrf_token" value="a&#x2f;b"></form>
            <a href="/desk?status=open">x</a> <a href="/desk?status=open&#38;after=0193" rel="next">Next</a>"#;
        assert_eq!(hidden_input(html, "csrf_token").as_deref(), Some("a/b"));
        assert_eq!(
            next_link(html).as_deref(),
            Some("/desk?status=open&after=0193")
        );
        assert_eq!(next_link("<a href=\"/desk\">x</a>"), None);
        assert_eq!(unescape("a&amp;b&#x27;c&#39;&unknown"), "a&b'c'&unknown");
    }
}
