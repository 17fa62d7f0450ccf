//! Directory benchmark: a directory at the scale of a whole organisation (about 20,000
//! committees in five levels, 200 authorities and providers) imported and used the way
//! an administrator and the members would, against `target/release/incident-desk`:
//!
//! 1. the import: wall time of `directory import` of the CSV and of the TOML on a fresh
//!    SQLite file, and of a second, idempotent run of each;
//! 2. routing: the directory loaded in this process through the library, and
//!    `Directory::route` timed for random committees;
//! 3. committee search over HTTP, open loop at a fixed rate, on every route given with
//!    `--search-path` (a route answering 404 is reported missing and fails the run);
//! 4. intake at a fixed offered rate with this directory and with the example directory
//!    of the embedded config: accepted incidents per second, latency, the server's CPU
//!    seconds and peak RSS, and the ratio of the two.
//!
//! Prints a table of every figure against its target; exits 1 when a route was missing.

use std::{
    fmt::Write as _,
    path::{Path, PathBuf},
    process::Stdio,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, bail, ensure};
use clap::Parser;
use incident_desk::domain::{IncidentKind, Platform, Severity, fold_for_search};
use intake_bench::load::{Load, cpu_seconds, open_loop, peak_rss_kib, percentile};
use serde_json::json;
use tokio::{io::AsyncWriteExt, process::Command};

#[derive(Debug, Parser)]
struct Args {
    /// The server binary.
    #[arg(long, default_value = "target/release/incident-desk")]
    binary: PathBuf,
    #[arg(long, default_value_t = 18_095)]
    port: u16,
    /// Provinces at the top of the tree; each has `--districts` districts, each district
    /// `--communes` communes, each commune `--villages` villages, each village
    /// `--groups` groups (40 x 6 x 5 x 4 x 3: 20,680 committees).
    #[arg(long, default_value_t = 40)]
    provinces: usize,
    #[arg(long, default_value_t = 6)]
    districts: usize,
    #[arg(long, default_value_t = 5)]
    communes: usize,
    #[arg(long, default_value_t = 4)]
    villages: usize,
    #[arg(long, default_value_t = 3)]
    groups: usize,
    /// Routing decisions timed in process.
    #[arg(long, default_value_t = 100_000)]
    routes: usize,
    /// Search requests per second, and for how long (after a 2 s warm-up).
    #[arg(long, default_value_t = 50)]
    search_rate: u64,
    #[arg(long, default_value_t = 20)]
    search_seconds: u64,
    /// A search route to time; `{q}` is replaced by a search word. Repeat for several.
    #[arg(
        long = "search-path",
        default_values_t = [
            "/api/v1/parties?kind=committee&q={q}&limit=20".to_owned(),
            "/desk/directory?q={q}".to_owned(),
            "/desk/directory".to_owned(),
        ]
    )]
    search_paths: Vec<String>,
    /// Incidents per second offered to each server, and for how long (after a 2 s warm-up).
    #[arg(long, default_value_t = 300)]
    intake_rate: u64,
    #[arg(long, default_value_t = 15)]
    intake_seconds: u64,
    /// Keep the generated CSV, TOML and database here instead of a temporary folder.
    #[arg(long)]
    keep: Option<PathBuf>,
}

/// splitmix64: the same directory and the same requests on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const PROVINCES: [&str; 63] = [
    "Hà Giang",
    "Cao Bằng",
    "Bắc Kạn",
    "Tuyên Quang",
    "Lào Cai",
    "Điện Biên",
    "Lai Châu",
    "Sơn La",
    "Yên Bái",
    "Hòa Bình",
    "Thái Nguyên",
    "Lạng Sơn",
    "Quảng Ninh",
    "Bắc Giang",
    "Phú Thọ",
    "Vĩnh Phúc",
    "Bắc Ninh",
    "Hải Dương",
    "Hưng Yên",
    "Thái Bình",
    "Hà Nam",
    "Nam Định",
    "Ninh Bình",
    "Thanh Hóa",
    "Nghệ An",
    "Hà Tĩnh",
    "Quảng Bình",
    "Quảng Trị",
    "Thừa Thiên Huế",
    "Quảng Nam",
    "Quảng Ngãi",
    "Bình Định",
    "Phú Yên",
    "Khánh Hòa",
    "Ninh Thuận",
    "Bình Thuận",
    "Kon Tum",
    "Gia Lai",
    "Đắk Lắk",
    "Đắk Nông",
    "Lâm Đồng",
    "Bình Phước",
    "Tây Ninh",
    "Bình Dương",
    "Đồng Nai",
    "Bà Rịa - Vũng Tàu",
    "Long An",
    "Tiền Giang",
    "Bến Tre",
    "Trà Vinh",
    "Vĩnh Long",
    "Đồng Tháp",
    "An Giang",
    "Kiên Giang",
    "Hậu Giang",
    "Sóc Trăng",
    "Bạc Liêu",
    "Cà Mau",
    "Điện Bàn",
    "Hải Phòng",
    "Đà Nẵng",
    "Cần Thơ",
    "Hà Nội",
];

/// Syllables of place names; two make a district, commune or village name.
const FIRST: [&str; 24] = [
    "Thanh", "Hòa", "Phú", "Tân", "Bình", "Long", "An", "Đông", "Tây", "Vĩnh", "Quảng", "Hưng",
    "Đức", "Cẩm", "Yên", "Kim", "Xuân", "Hải", "Mỹ", "Trung", "Thạch", "Nghĩa", "Phước", "Lạc",
];
const SECOND: [&str; 24] = [
    "Xuân", "Lộc", "Mỹ", "Thịnh", "Sơn", "Hà", "Phong", "Điền", "Khê", "Thủy", "Lâm", "Thành",
    "Nguyên", "Lợi", "Châu", "Định", "Hưng", "Phước", "Bình", "Hội", "Trạch", "Quang", "Tiến",
    "Đạt",
];

/// Title case of a name without diacritics, for `name.en`.
fn english(vi: &str) -> String {
    fold_for_search(vi)
        .split_whitespace()
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn place(rng: &mut Rng) -> String {
    format!("{} {}", rng.pick(&FIRST), rng.pick(&SECOND))
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The committee tree as CSV, and every committee id.
fn committees_csv(args: &Args) -> (String, Vec<String>) {
    let mut rng = Rng(20_261_203);
    let mut csv = String::from("id,parent,name.vi,name.en,emails\n");
    let mut ids = Vec::new();
    let mut row = |csv: &mut String, id: &str, parent: &str, vi: &str, en: &str| {
        let _ = writeln!(
            csv,
            "{id},{parent},{},{},{id}@dang.example.vn",
            csv_field(vi),
            csv_field(en)
        );
        ids.push(id.to_owned());
    };
    for p in 0..args.provinces {
        let province = PROVINCES[p % PROVINCES.len()];
        let pid = format!("t{:02}", p + 1);
        row(
            &mut csv,
            &pid,
            "",
            &format!("Ban Thường vụ Tỉnh ủy {province}"),
            &format!("{} Provincial Standing Committee", english(province)),
        );
        for d in 0..args.districts {
            let district = place(&mut rng);
            let did = format!("{pid}-h{:02}", d + 1);
            row(
                &mut csv,
                &did,
                &pid,
                &format!("Ban Thường vụ Huyện ủy {district}, {province}"),
                &format!(
                    "{} District Committee, {}",
                    english(&district),
                    english(province)
                ),
            );
            for c in 0..args.communes {
                let commune = place(&mut rng);
                let cid = format!("{did}-x{:02}", c + 1);
                row(
                    &mut csv,
                    &cid,
                    &did,
                    &format!("Đảng ủy Xã {commune}, Huyện {district}"),
                    &format!(
                        "{} Commune Committee, {} District",
                        english(&commune),
                        english(&district)
                    ),
                );
                for v in 0..args.villages {
                    let village = place(&mut rng);
                    let vid = format!("{cid}-th{:02}", v + 1);
                    row(
                        &mut csv,
                        &vid,
                        &cid,
                        &format!("Chi bộ Thôn {village}, Xã {commune}"),
                        &format!(
                            "{} Village Branch, {} Commune",
                            english(&village),
                            english(&commune)
                        ),
                    );
                    for g in 0..args.groups {
                        row(
                            &mut csv,
                            &format!("{vid}-to{}", g + 1),
                            &vid,
                            &format!("Tổ Đảng số {}, Thôn {village}, Xã {commune}", g + 1),
                            &format!(
                                "Party Group {}, {} Village, {} Commune",
                                g + 1,
                                english(&village),
                                english(&commune)
                            ),
                        );
                    }
                }
            }
        }
    }
    (csv, ids)
}

/// 200 authorities and providers, some with a webhook, and routing rules naming some.
fn parties_toml() -> String {
    let mut toml = String::new();
    let mut party = |list: &str, id: &str, vi: &str, en: &str, locale: &str, webhook: bool| {
        let _ = write!(
            toml,
            "[[parties.{list}]]\nid = \"{id}\"\nname = {{ vi = \"{vi}\", en = \"{en}\" }}\nlocale = \"{locale}\"\nack_deadline = \"24h\"\ncontacts.emails = [\"{id}@tiep-nhan.example.vn\"]\n"
        );
        if webhook {
            let _ = writeln!(
                toml,
                "contacts.webhooks = [{{ url = \"https://hooks.{id}.example.vn/incident-desk\", secret = \"{}\" }}]",
                incident_desk::domain::directory::new_webhook_secret()
            );
        }
        toml.push('\n');
    };
    party(
        "authorities",
        "vncert",
        "Trung tâm Ứng cứu khẩn cấp không gian mạng Việt Nam",
        "Vietnam Computer Emergency Response Team",
        "vi",
        true,
    );
    party(
        "authorities",
        "a05",
        "Cục An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao",
        "Department of Cybersecurity and High-Tech Crime Prevention",
        "vi",
        true,
    );
    for (i, province) in PROVINCES.iter().enumerate() {
        party(
            "authorities",
            &format!("pa05-{:02}", i + 1),
            &format!("Phòng An ninh mạng Công an tỉnh {province}"),
            &format!(
                "Cybersecurity Unit, {} Provincial Police",
                english(province)
            ),
            "vi",
            i % 10 == 0,
        );
        party(
            "authorities",
            &format!("stttt-{:02}", i + 1),
            &format!("Sở Thông tin và Truyền thông {province}"),
            &format!(
                "{} Department of Information and Communications",
                english(province)
            ),
            "vi",
            false,
        );
    }
    // 2 + 126 authorities so far; 72 providers make 200.
    let platforms = [
        ("meta", "Meta (Facebook, Instagram)"),
        ("tiktok", "TikTok"),
        ("google", "Google (YouTube)"),
        ("zalo", "Zalo (VNG)"),
        ("x-corp", "X"),
        ("telegram", "Telegram"),
    ];
    for (id, name) in platforms {
        party("providers", id, name, name, "en", true);
    }
    for i in 0..66 {
        let id = format!("hosting-{:02}", i + 1);
        let vi = format!("Nhà cung cấp hosting và tên miền số {}", i + 1);
        let en = format!("Hosting and domain provider {}", i + 1);
        party("providers", &id, &vi, &en, "vi", i % 5 == 0);
    }
    toml.push_str(
        r#"[[routing.authorities]]
party = "vncert"
min_severity = "high"

[[routing.authorities]]
party = "a05"
kinds = ["impersonated", "misused"]
min_severity = "medium"

[routing.providers]
facebook = "meta"
instagram = "meta"
tiktok = "tiktok"
youtube = "google"
zalo = "zalo"
x = "x-corp"
telegram = "telegram"

[routing]
default_provider = "hosting-01"
"#,
    );
    toml
}

/// Search words: place syllables with and without diacritics, and level words.
fn search_words() -> Vec<String> {
    let mut words: Vec<String> = FIRST
        .iter()
        .chain(&SECOND)
        .flat_map(|w| [w.to_lowercase(), fold_for_search(w)])
        .collect();
    words.extend(
        ["thôn", "xa", "huyện", "tổ", "quang", "ha giang", "phu loc"]
            .iter()
            .map(|w| w.to_string()),
    );
    words
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Wall time of a CLI run; its standard output, which must end in success.
async fn cli(binary: &Path, config: &Path, args: &[&str]) -> anyhow::Result<(Duration, String)> {
    let start = Instant::now();
    let out = Command::new(binary)
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .await
        .with_context(|| format!("run {}", binary.display()))?;
    let elapsed = start.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    ensure!(
        out.status.success(),
        "`incident-desk {}` failed: {}{}",
        args.join(" "),
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    Ok((elapsed, stdout))
}

/// The summary line of an import, checked to start with `expect`.
fn summary(stdout: &str, expect: &str) -> anyhow::Result<String> {
    let line = stdout
        .lines()
        .find(|l| l.contains(" created, "))
        .context("no summary line")?
        .to_owned();
    ensure!(line.contains(expect), "expected `{expect}` in `{line}`");
    Ok(line)
}

struct Served {
    child: tokio::process::Child,
    pid: u32,
    base: String,
    key: String,
}

impl Served {
    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// `serve` on `config`, with a key of `scopes` made through the CLI first.
async fn serve(args: &Args, config: &Path, scopes: &str) -> anyhow::Result<Served> {
    let (_, out) = cli(
        &args.binary,
        config,
        &["api-key", "create", "--name", "bench", "--scope", scopes],
    )
    .await?;
    let key = out
        .lines()
        .find_map(|l| l.strip_prefix("key:"))
        .map(|k| k.trim().to_owned())
        .context("no key printed")?;
    let child = Command::new(&args.binary)
        .arg("--config")
        .arg(config)
        .arg("serve")
        .env("INCIDENT_DESK__SERVER__PORT", args.port.to_string())
        .env(
            "INCIDENT_DESK__SERVER__WORKERS",
            std::env::var("BENCH_SERVER_WORKERS").unwrap_or_else(|_| "2".to_owned()),
        )
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().context("pid")?;
    let base = format!("http://127.0.0.1:{}", args.port);
    intake_bench::wait_until_ready(&reqwest::Client::new(), &base, 300).await?;
    Ok(Served {
        child,
        pid,
        base,
        key,
    })
}

/// One row of the final table.
struct Row {
    figure: String,
    measured: String,
    target: String,
    /// `None` when the figure has no target.
    met: Option<bool>,
}

fn row(
    figure: impl Into<String>,
    measured: impl Into<String>,
    target: &str,
    met: Option<bool>,
) -> Row {
    Row {
        figure: figure.into(),
        measured: measured.into(),
        target: target.to_owned(),
        met,
    }
}

enum Search {
    Measured(Load),
    /// The route answered this status to its first request: not measured.
    Refused(u16, String),
}

/// A desk admin made through the CLI, and a client signed in as them.
async fn desk_admin(args: &Args, config: &Path, base: &str) -> anyhow::Result<reqwest::Client> {
    let password = "directory-bench-Mật-khẩu-2026";
    let mut child = Command::new(&args.binary)
        .arg("--config")
        .arg(config)
        .args([
            "user",
            "create",
            "--username",
            "bench-admin",
            "--name",
            "Quản trị viên",
            "--role",
            "admin",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().context("stdin")?;
    stdin.write_all(password.as_bytes()).await?;
    drop(stdin);
    let out = child.wait_with_output().await?;
    ensure!(
        out.status.success(),
        "could not create the desk admin: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let client = client(true)?;
    let form = client
        .get(format!("{base}/desk/sign-in"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let token = form
        .split("name=\"csrf_token\"")
        .nth(1)
        .and_then(|rest| rest.split("value=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .context("the sign-in form has no csrf_token")?
        .to_owned();
    let response = client
        .post(format!("{base}/desk/sign-in"))
        .form(&[
            ("username", "bench-admin"),
            ("password", password),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await?;
    ensure!(
        response.status() == reqwest::StatusCode::SEE_OTHER
            && intake_bench::location(&response) == "/desk",
        "signing in to the desk answered {}",
        response.status()
    );
    Ok(client)
}

/// A client that shows each redirect as it comes, keeping cookies when asked.
fn client(cookies: bool) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .cookie_store(cookies)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(30))
        .build()?)
}

async fn measure_search(
    args: &Args,
    served: &Served,
    path: &str,
    client: reqwest::Client,
) -> anyhow::Result<Search> {
    let words = Arc::new(search_words());
    let url = |i: u64| {
        let q = percent_encode(&words[(i as usize * 7919) % words.len()]);
        format!("{}{}", served.base, path.replace("{q}", &q))
    };
    let probe = client
        .get(url(0))
        .bearer_auth(&served.key)
        .send()
        .await
        .with_context(|| format!("GET {path}"))?;
    if !probe.status().is_success() {
        let location = intake_bench::location(&probe);
        return Ok(Search::Refused(probe.status().as_u16(), location));
    }
    let (key, base, path) = (served.key.clone(), served.base.clone(), path.to_owned());
    let load = open_loop(args.search_rate, args.search_seconds, move |i| {
        let (client, key, words) = (client.clone(), key.clone(), words.clone());
        let q = percent_encode(&words[(i as usize * 7919) % words.len()]);
        let url = format!("{base}{}", path.replace("{q}", &q));
        async move {
            let r = client.get(url).bearer_auth(key).send().await.ok()?;
            if !r.status().is_success() {
                return None;
            }
            r.bytes().await.ok().map(|b| b.len() as u64)
        }
    })
    .await?;
    Ok(Search::Measured(load))
}

fn incident(i: u64, committee: &str) -> serde_json::Value {
    json!({
        "kind": "hijacked",
        "description": format!("Page {i} posts scam investment offers since this morning; the admin email was changed."),
        "detected_at": "2026-11-28T07:45:00+07:00",
        "reporter": { "name": "Nguyễn Văn An", "email": "an.nguyen@example.org", "phone": "+84 912 345 678", "committee": committee },
        "page": {
            "url": format!("https://www.facebook.com/page.{i}"),
            "display_name": "Tin tức Phường",
            "account_type": "page",
            "linked_email": "page-admin@example.org",
            "created_on": "2019-05-01"
        },
        "containment": { "state": "stopped", "stopped_at": "2026-11-28T08:10:00+07:00", "actions": ["password_changed", "sessions_revoked"] }
    })
}

struct Intake {
    load: Load,
    cpu_s: f64,
    peak_rss_mib: f64,
}

/// Files incidents at `--intake-rate` to random committees of `committees`.
async fn measure_intake(
    args: &Args,
    served: &Served,
    committees: Arc<Vec<String>>,
) -> anyhow::Result<Intake> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .timeout(Duration::from_secs(60))
        .build()?;
    let cpu_before = cpu_seconds(served.pid).context("server CPU")?;
    let url = format!("{}/api/v1/incidents", served.base);
    let key = served.key.clone();
    let picks: Arc<Vec<usize>> = Arc::new({
        let mut rng = Rng(7);
        let n = (args.intake_rate * (args.intake_seconds + 3)) as usize;
        (0..n).map(|_| rng.below(committees.len())).collect()
    });
    let load = open_loop(args.intake_rate, args.intake_seconds, move |i| {
        let (client, url, key) = (client.clone(), url.clone(), key.clone());
        let committee = committees[picks[i as usize % picks.len()]].clone();
        async move {
            let r = client
                .post(url)
                .bearer_auth(key)
                .json(&incident(i, &committee))
                .send()
                .await
                .ok()?;
            (r.status() == reqwest::StatusCode::CREATED).then_some(0)
        }
    })
    .await?;
    let cpu_s = cpu_seconds(served.pid).context("server CPU")? - cpu_before;
    let peak_rss_mib = peak_rss_kib(served.pid).unwrap_or(0) as f64 / 1024.0;
    Ok(Intake {
        load,
        cpu_s,
        peak_rss_mib,
    })
}

fn ms(v: f64) -> String {
    if v < 0.1 {
        format!("{:.1} µs", v * 1000.0)
    } else {
        format!("{v:.2} ms")
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    ensure!(
        args.binary.exists(),
        "{} is missing: cargo build --release -p incident-desk -p intake-bench",
        args.binary.display()
    );
    let temp = tempfile::tempdir()?;
    let dir = match &args.keep {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d.clone()
        }
        None => temp.path().to_owned(),
    };
    let mut rows = Vec::new();
    let mut missing = Vec::new();

    // The files.
    let (csv, committee_ids) = committees_csv(&args);
    let toml = parties_toml();
    let csv_path = dir.join("committees.csv");
    let toml_path = dir.join("parties.toml");
    std::fs::write(&csv_path, &csv)?;
    std::fs::write(&toml_path, &toml)?;
    let other_parties = toml.matches("[[parties.").count();
    println!(
        "directory: {} committees ({} bytes of CSV), {} authorities and providers",
        committee_ids.len(),
        csv.len(),
        other_parties
    );

    // 1. The import, on a fresh SQLite file whose migrations are applied first.
    let db_path = dir.join("directory.db");
    let _ = std::fs::remove_file(&db_path);
    let db_url = format!("sqlite://{}?mode=rwc", db_path.display());
    let evidence = dir.join("evidence");
    std::fs::create_dir_all(&evidence)?;
    let config = dir.join("incident-desk.toml");
    std::fs::write(
        &config,
        intake_bench::server_config(args.port, &db_url, &evidence),
    )?;
    cli(&args.binary, &config, &["migrate", "up"]).await?;
    let n = committee_ids.len();
    let csv_arg = csv_path.to_str().context("path")?;
    let toml_arg = toml_path.to_str().context("path")?;
    let (t, out) = cli(
        &args.binary,
        &config,
        &["directory", "import", csv_arg, "--quiet"],
    )
    .await?;
    let line = summary(&out, &format!("imported: {n} created, 0 changed"))?;
    println!("csv import:        {line}");
    rows.push(row(
        format!("import CSV, {n} committees, fresh SQLite"),
        format!("{:.2} s", t.as_secs_f64()),
        "< 10 s",
        Some(t < Duration::from_secs(10)),
    ));
    let (t, out) = cli(
        &args.binary,
        &config,
        &["directory", "import", toml_arg, "--quiet"],
    )
    .await?;
    // The six platform providers of the example directory exist already: changed.
    let line = summary(&out, "imported: ")?;
    println!("toml import:       {line}");
    rows.push(row(
        format!("import TOML, {other_parties} parties + routing"),
        format!("{:.2} s", t.as_secs_f64()),
        "",
        None,
    ));
    let (t, out) = cli(
        &args.binary,
        &config,
        &["directory", "import", csv_arg, "--quiet"],
    )
    .await?;
    let line = summary(&out, &format!(": 0 created, 0 changed, {n} unchanged"))?;
    println!("csv again:         {line}");
    rows.push(row(
        "import CSV again (idempotent, 0 changed)",
        format!("{:.2} s", t.as_secs_f64()),
        "< 10 s",
        Some(t < Duration::from_secs(10)),
    ));
    let (t, out) = cli(
        &args.binary,
        &config,
        &["directory", "import", toml_arg, "--quiet"],
    )
    .await?;
    let line = summary(&out, ": 0 created, 0 changed")?;
    println!("toml again:        {line}");
    rows.push(row(
        "import TOML again (idempotent)",
        format!("{:.2} s", t.as_secs_f64()),
        "",
        None,
    ));

    // 2. Routing in process, over the snapshot the server would load.
    let conn = sea_orm::Database::connect(db_url.as_str()).await?;
    let start = Instant::now();
    let directory = incident_desk::storage::directory::load(&conn).await?;
    let load_time = start.elapsed();
    conn.close().await?;
    ensure!(
        directory.len() >= n + other_parties,
        "the loaded directory has {} parties",
        directory.len()
    );
    rows.push(row(
        format!("load the snapshot ({} parties)", directory.len()),
        format!("{:.0} ms", load_time.as_secs_f64() * 1000.0),
        "",
        None,
    ));
    let kinds: Vec<IncidentKind> = ["abnormal", "hijacked", "impersonated", "misused"]
        .iter()
        .map(|k| k.parse().map_err(anyhow::Error::msg))
        .collect::<Result<_, _>>()?;
    let severities: Vec<Severity> = ["low", "medium", "high", "critical"]
        .iter()
        .map(|k| k.parse().map_err(anyhow::Error::msg))
        .collect::<Result<_, _>>()?;
    let platforms: Vec<Platform> = ["facebook", "tiktok", "youtube", "zalo", "x", "website"]
        .iter()
        .map(|k| k.parse().map_err(anyhow::Error::msg))
        .collect::<Result<_, _>>()?;
    let mut rng = Rng(42);
    let mut route_ms = Vec::with_capacity(args.routes);
    let mut tickets = 0usize;
    for _ in 0..args.routes {
        let committee = rng.pick(&committee_ids).as_str();
        let (k, s, p) = (
            *rng.pick(&kinds),
            *rng.pick(&severities),
            *rng.pick(&platforms),
        );
        let t0 = Instant::now();
        let routes = directory.route(committee, k, s, p);
        route_ms.push(t0.elapsed().as_nanos() as f64 / 1e6);
        ensure!(
            routes.first().is_some_and(|r| r.party_id == committee),
            "{committee} is not routed to itself"
        );
        tickets += routes.len();
    }
    route_ms.sort_by(|a, b| a.total_cmp(b));
    let (p50, p99) = (percentile(&route_ms, 0.5), percentile(&route_ms, 0.99));
    rows.push(row(
        format!(
            "route(), {} random committees ({:.2} parties each): p50 / p99",
            args.routes,
            tickets as f64 / args.routes as f64
        ),
        format!("{} / {}", ms(p50), ms(p99)),
        "p99 < 1 ms",
        Some(p99 < 1.0),
    ));
    let words = search_words();
    let mut search_ms = Vec::new();
    for i in 0..2000 {
        let t0 = Instant::now();
        let found = directory.search(
            &words[i % words.len()],
            Some(incident_desk::domain::routing::PartyKind::Committee),
            None,
            20,
        );
        search_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(found);
    }
    search_ms.sort_by(|a, b| a.total_cmp(b));
    rows.push(row(
        "Directory::search in process, limit 20: p50 / p99",
        format!(
            "{} / {}",
            ms(percentile(&search_ms, 0.5)),
            ms(percentile(&search_ms, 0.99))
        ),
        "",
        None,
    ));
    drop(directory);

    // 3. Search over HTTP, and 4. intake, on the 20k directory.
    let served = serve(&args, &config, "incidents:write,directory:read").await?;
    let desk = if args.search_paths.iter().any(|p| p.starts_with("/desk")) {
        Some(desk_admin(&args, &config, &served.base).await?)
    } else {
        None
    };
    for path in &args.search_paths {
        let figure = format!(
            "GET {path} at {}/s for {} s: p50 / p99",
            args.search_rate, args.search_seconds
        );
        let client = match (&desk, path.starts_with("/desk")) {
            (Some(desk), true) => desk.clone(),
            _ => client(false)?,
        };
        match measure_search(&args, &served, path, client).await? {
            Search::Measured(load) => {
                let p99 = percentile(&load.latencies_ms, 0.99);
                let good = load.latencies_ms.len();
                rows.push(row(
                    figure,
                    format!(
                        "{} / {} ({} errors, {} KiB each)",
                        ms(percentile(&load.latencies_ms, 0.5)),
                        ms(p99),
                        load.errors,
                        load.bytes / good.max(1) as u64 / 1024
                    ),
                    "p99 < 20 ms",
                    Some(p99 < 20.0 && load.errors == 0),
                ));
            }
            Search::Refused(404, _) => {
                eprintln!("MISSING: GET {path} answered 404 Not Found; not measured");
                missing.push(path.clone());
                rows.push(row(
                    figure,
                    "MISSING: 404, not measured",
                    "p99 < 20 ms",
                    Some(false),
                ));
            }
            Search::Refused(status, location) => {
                eprintln!("NOT MEASURED: GET {path} answered {status} {location}");
                rows.push(row(
                    figure,
                    format!("not measured: answered {status} {location}"),
                    "p99 < 20 ms",
                    Some(false),
                ));
            }
        }
    }
    let big = measure_intake(&args, &served, Arc::new(committee_ids.clone())).await?;
    served.stop().await;

    // The same intake on a fresh database seeded from the embedded config's example.
    let example_dir = dir.join("example");
    let _ = std::fs::remove_dir_all(&example_dir);
    std::fs::create_dir_all(example_dir.join("evidence"))?;
    let example_config = example_dir.join("incident-desk.toml");
    std::fs::write(
        &example_config,
        intake_bench::server_config(
            args.port,
            &format!(
                "sqlite://{}?mode=rwc",
                example_dir.join("example.db").display()
            ),
            &example_dir.join("evidence"),
        ),
    )?;
    let served = serve(&args, &example_config, "incidents:write").await?;
    let example_committees: Vec<String> = [
        "hn",
        "hn-ba-dinh",
        "hn-ba-dinh-phuc-xa",
        "hn-cau-giay",
        "hcm",
        "hcm-q1",
    ]
    .map(str::to_owned)
    .to_vec();
    let small = measure_intake(&args, &served, Arc::new(example_committees)).await?;
    served.stop().await;

    let large = format!("{n}-committee directory");
    for (name, intake) in [("example directory", &small), (large.as_str(), &big)] {
        let l = &intake.load;
        rows.push(row(
            format!(
                "intake at {}/s, {name}: accepted/s, p50 / p99",
                args.intake_rate
            ),
            format!(
                "{:.0}/s, {} / {} ({} errors)",
                l.accepted_per_s,
                ms(percentile(&l.latencies_ms, 0.5)),
                ms(percentile(&l.latencies_ms, 0.99)),
                l.errors
            ),
            "",
            None,
        ));
        let per = intake.cpu_s * 1000.0 / l.latencies_ms.len().max(1) as f64;
        rows.push(row(
            format!("  server CPU, peak RSS ({name})"),
            format!(
                "{:.1} s ({per:.2} ms per incident), {:.1} MiB",
                intake.cpu_s, intake.peak_rss_mib
            ),
            "",
            None,
        ));
    }
    let ratio = big.load.accepted_per_s / small.load.accepted_per_s;
    rows.push(row(
        "intake accepted/s, large / example",
        format!("{ratio:.3}"),
        ">= 0.95",
        Some(ratio >= 0.95),
    ));
    let cpu_ratio = (big.cpu_s / big.load.latencies_ms.len().max(1) as f64)
        / (small.cpu_s / small.load.latencies_ms.len().max(1) as f64);
    rows.push(row(
        "server CPU per incident, large / example",
        format!("{cpu_ratio:.3}"),
        "<= 1.05",
        Some(cpu_ratio <= 1.05),
    ));

    let width = rows
        .iter()
        .map(|r| r.figure.chars().count())
        .max()
        .unwrap_or(0);
    let mwidth = rows
        .iter()
        .map(|r| r.measured.chars().count())
        .max()
        .unwrap_or(0);
    println!();
    for r in &rows {
        let verdict = match r.met {
            Some(true) => "ok",
            Some(false) => "MISSED",
            None => "",
        };
        println!(
            "{:width$}  {:mwidth$}  {:12} {verdict}",
            r.figure, r.measured, r.target
        );
    }
    if !missing.is_empty() {
        bail!(
            "{} route(s) answered 404 and were not measured: {}",
            missing.len(),
            missing.join(", ")
        );
    }
    Ok(())
}
