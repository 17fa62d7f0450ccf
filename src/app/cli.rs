//! The command line: `serve`, `migrate`, `check-config`, `api-key`, `user`, `purge` and
//! `backup`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::{
    app::Application,
    config::{Settings, Sources},
    domain::access::{ApiScope, Role},
    storage::{Database, api_keys, files::FileStore},
    telemetry,
    usecases::{directory::DirectoryCache, officers},
};

#[derive(Debug, Parser)]
#[command(
    name = "incident-desk",
    version,
    about = "Account-compromise incident response desk"
)]
pub struct Cli {
    /// An extra configuration file, merged after config/<env>.toml and before env vars.
    #[arg(long, global = true, env = "INCIDENT_DESK_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (migrations are applied on start).
    Serve,
    /// Apply, revert or list database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Load and validate the configuration, print every problem, and exit.
    CheckConfig,
    /// Manage API keys for integrations.
    ApiKey {
        #[command(subcommand)]
        action: ApiKeyAction,
    },
    /// Manage the officers who sign in to the desk.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Remove the personal data of incidents closed before a cutoff (the reporter, the
    /// page, free texts, sent messages, evidence files), keeping what statistics need.
    Purge {
        /// A date (2026-01-31, midnight at web.utc_offset), an RFC 3339 time, or an age
        /// such as 365d (closed more than that long ago).
        #[arg(long)]
        closed_before: String,
        /// Print what would be removed, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Import parties and routing rules into the directory, or list it.
    Directory {
        #[command(subcommand)]
        action: DirectoryAction,
    },
    /// Load the members of each committee into the page register.
    Members {
        #[command(subcommand)]
        action: MembersAction,
    },
    /// Hand one message on standard input to the service, for a mail server's pipe
    /// transport (Postfix `pipe`, Exim). Exits 0 when stored, 75 (try again later) when the
    /// service cannot take it now, 65 when it refuses the message, 77 when the key is refused.
    Mailgate {
        /// The service's base URL, e.g. https://desk.example.org.
        #[arg(long)]
        url: String,
        /// A file holding an API key with the `mail:inbound` scope.
        #[arg(long)]
        key_file: PathBuf,
        /// The envelope recipient, e.g. Postfix's ${original_recipient}.
        #[arg(long)]
        recipient: Option<String>,
        /// How long to wait for the service.
        #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
        timeout: std::time::Duration,
    },
    /// Copy the SQLite database (consistently, while the service runs) to <FILE> and the
    /// evidence folder to <FILE>.evidence/. For PostgreSQL use `pg_dump -Fc`.
    Backup { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Create an officer. The password is read from standard input with
    /// `--password-stdin`; otherwise one is generated and printed once.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        /// admin (everything), officer (their committee's subtree), viewer (read only).
        #[arg(long)]
        role: String,
        /// The officer's committee; required for officers and viewers.
        #[arg(long)]
        committee: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    List,
    /// Disable a user: their sessions end and they can no longer sign in.
    Disable {
        username: String,
    },
    /// Enable a disabled user again.
    Enable {
        username: String,
    },
    /// Set a new password (read from standard input with `--password-stdin`, otherwise
    /// generated and printed once); the user's sessions end.
    ResetPassword {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DirectoryAction {
    /// Create and update parties from FILE: TOML with `[[parties.committees]]`,
    /// `[[parties.authorities]]`, `[[parties.providers]]` and `[routing]` as in the config,
    /// or CSV of committees with the header `id,parent,name.vi,name.en,emails` (optional
    /// `kind`, `locale`, `ack_deadline`; addresses separated by `;`). Idempotent; parties
    /// the file does not name are left as they are. Exits 1 and writes nothing when a row
    /// is refused.
    Import {
        file: PathBuf,
        /// Print what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print only the counts, not each created or changed party.
        #[arg(long)]
        quiet: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum MembersAction {
    /// Create members and set their committees from a CSV with the header
    /// `email,committee` (other columns ignored): each member confirmed in that committee
    /// at once, a member already in another committee moved with their pages. Idempotent.
    /// Exits 1 and writes nothing when a row is refused.
    Import {
        file: PathBuf,
        /// Print what would change, and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print only the counts.
        #[arg(long)]
        quiet: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    Up,
    Down {
        /// How many migrations to revert (all when absent).
        #[arg(long)]
        steps: Option<u32>,
    },
    Status,
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyAction {
    /// Create a key; the key is printed once and only its digest is stored.
    Create {
        #[arg(long)]
        name: String,
        /// incidents:write, incidents:read, tickets:write, directory:read, directory:write,
        /// register:read (repeat or comma-separate).
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Bind the key to a committee: it sees only that committee's subtree.
        #[arg(long)]
        committee: Option<String>,
        /// Bind the key to a party, to acknowledge that party's tickets.
        #[arg(long)]
        party: Option<String>,
    },
    List,
    Revoke {
        id: Uuid,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    // The mail server runs mailgate on its own host: it needs no configuration.
    if let Command::Mailgate {
        url,
        key_file,
        recipient,
        timeout,
    } = &cli.command
    {
        std::process::exit(mailgate(url, key_file, recipient.as_deref(), *timeout).await);
    }
    let sources = Sources {
        dir: None,
        extra_file: cli.config.clone(),
    };
    let settings = match Settings::load(&sources) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(2);
        }
    };
    match cli.command {
        Command::CheckConfig => {
            println!(
                "configuration is valid: {} committees, {} authorities, {} providers",
                settings.parties.committees.len(),
                settings.parties.authorities.len(),
                settings.parties.providers.len()
            );
            // Warnings, not errors: an organisation may route some reports elsewhere on
            // purpose, and then the member is told who was notified and who was not.
            for gap in settings.routing.gaps() {
                println!("warning: routing: {gap}");
            }
            Ok(())
        }
        Command::Serve => {
            telemetry::init(settings.logging.format, &settings.logging.level);
            let app = Application::build(settings).await?;
            tracing::info!(port = app.port(), "incident-desk listening");
            app.run_until_stopped().await?;
            Ok(())
        }
        Command::Migrate { action } => migrate(&settings, action).await,
        Command::ApiKey { action } => api_key(&settings, action).await,
        Command::Directory { action } => directory(&settings, action).await,
        Command::Members { action } => members(&settings, action).await,
        Command::User { action } => user(&settings, action).await,
        Command::Purge {
            closed_before,
            dry_run,
        } => purge(&settings, &closed_before, dry_run).await,
        Command::Mailgate { .. } => Ok(()),
        Command::Backup { file } => {
            let done = crate::usecases::backup::run(&settings, &file).await?;
            println!(
                "database: {} ({} bytes)",
                done.database.display(),
                done.database_bytes
            );
            println!(
                "evidence: {}/ ({} files, {} bytes)",
                done.evidence.display(),
                done.files,
                done.file_bytes
            );
            Ok(())
        }
    }
}

async fn purge(settings: &Settings, closed_before: &str, dry_run: bool) -> anyhow::Result<()> {
    let offset = settings
        .web
        .offset()
        .unwrap_or_else(|| chrono::Offset::fix(&chrono::Utc));
    let cutoff = crate::domain::retention::parse_cutoff(closed_before, chrono::Utc::now(), offset)
        .map_err(|e| anyhow::anyhow!("--closed-before: {e}"))?;
    let db = Database::connect(&settings.database).await?;
    db.migrate_up()
        .await
        .context("could not apply migrations")?;
    let files = FileStore::open_evidence(&settings.evidence.dir).await?;
    let report = crate::usecases::retention::purge(&db, &files, cutoff, dry_run).await?;
    for incident in &report.purged {
        println!("{}", incident.line(dry_run));
    }
    for (reference, pending) in &report.deferred {
        println!("{reference}: deferred, {pending} notification(s) still being sent");
    }
    println!("{}", report.summary());
    Ok(())
}

/// A password from standard input (its first line), or a generated one that is printed.
fn password(from_stdin: bool) -> anyhow::Result<(SecretString, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("could not read the password from standard input")?;
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        return Ok((SecretString::from(line), false));
    }
    Ok((
        SecretString::from(crate::domain::token::random_token(15)),
        true,
    ))
}

async fn user(settings: &Settings, action: UserAction) -> anyhow::Result<()> {
    let db = Database::connect(&settings.database).await?;
    db.migrate_up()
        .await
        .context("could not apply migrations")?;
    match action {
        UserAction::Create {
            username,
            name,
            role,
            committee,
            password_stdin,
        } => {
            let role: Role = role.parse().map_err(|e| anyhow::anyhow!("--role {e}"))?;
            let (password, generated) = password(password_stdin)?;
            let directory = DirectoryCache::open(&db, settings).await?;
            let row = officers::create(
                &db,
                &directory.current(),
                officers::NewOfficer {
                    username: &username,
                    name: &name,
                    role,
                    committee: committee.as_deref(),
                    password: &password,
                },
            )
            .await?;
            println!(
                "created {} ({}, {})",
                row.username,
                row.role,
                row.committee_id.as_deref().unwrap_or("all committees")
            );
            if generated {
                println!("password: {}", password.expose_secret());
                eprintln!("Give the password to the user now: it is not shown again.");
            }
        }
        UserAction::List => {
            for u in crate::storage::users::list(db.conn()).await? {
                println!(
                    "{}  {}  {}  committee={}  {}",
                    u.username,
                    u.name,
                    u.role,
                    u.committee_id.as_deref().unwrap_or("-"),
                    if u.disabled_at.is_some() {
                        "disabled"
                    } else {
                        "active"
                    }
                );
            }
        }
        UserAction::Disable { username } => {
            officers::set_disabled(&db, &username, true).await?;
            println!("disabled {username}; their sessions have ended");
        }
        UserAction::Enable { username } => {
            officers::set_disabled(&db, &username, false).await?;
            println!("enabled {username}");
        }
        UserAction::ResetPassword {
            username,
            password_stdin,
        } => {
            let (password, generated) = password(password_stdin)?;
            officers::reset_password(&db, &username, &password).await?;
            println!("new password set for {username}; their sessions have ended");
            if generated {
                println!("password: {}", password.expose_secret());
            }
        }
    }
    Ok(())
}

async fn migrate(settings: &Settings, action: MigrateAction) -> anyhow::Result<()> {
    let db = Database::connect(&settings.database).await?;
    match action {
        MigrateAction::Up => {
            db.migrate_up().await?;
            println!("migrations applied");
        }
        MigrateAction::Down { steps } => {
            db.migrate_down(steps).await?;
            println!("migrations reverted");
        }
        MigrateAction::Status => {
            for m in db.migration_status().await? {
                println!("{} {}", m.state(), m.name);
            }
        }
    }
    Ok(())
}

async fn api_key(settings: &Settings, action: ApiKeyAction) -> anyhow::Result<()> {
    let db = Database::connect(&settings.database).await?;
    db.migrate_up()
        .await
        .context("could not apply migrations")?;
    match action {
        ApiKeyAction::Create {
            name,
            scopes,
            committee,
            party,
        } => {
            let scopes = ApiScope::parse_list(&scopes.join(",")).map_err(anyhow::Error::msg)?;
            let dir = DirectoryCache::open(&db, settings).await?.current();
            if let Some(c) = &committee {
                anyhow::ensure!(
                    dir.committee(c).is_some(),
                    "`{c}` is not a committee of the directory"
                );
            }
            if let Some(p) = &party {
                anyhow::ensure!(
                    dir.party(p).is_some(),
                    "`{p}` is not a party of the directory"
                );
            }
            let (row, secret) = api_keys::create(
                db.conn(),
                api_keys::NewApiKey {
                    name,
                    scopes,
                    committee_id: committee,
                    party_id: party,
                },
            )
            .await?;
            println!("id:     {}", row.id);
            println!("scopes: {}", row.scopes);
            println!("key:    {secret}");
            eprintln!("Store the key now: it is not shown again.");
        }
        ApiKeyAction::List => {
            for k in api_keys::list(db.conn()).await? {
                println!(
                    "{}  {}  {}…  scopes={}  committee={}  party={}  {}",
                    k.id,
                    k.name,
                    k.prefix,
                    k.scopes,
                    k.committee_id.as_deref().unwrap_or("-"),
                    k.party_id.as_deref().unwrap_or("-"),
                    if k.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    }
                );
            }
        }
        ApiKeyAction::Revoke { id } => {
            anyhow::ensure!(
                api_keys::revoke(db.conn(), id).await?,
                "no active key with id {id}"
            );
            println!("revoked {id}");
        }
    }
    Ok(())
}

async fn members(settings: &Settings, action: MembersAction) -> anyhow::Result<()> {
    let MembersAction::Import {
        file,
        dry_run,
        quiet,
    } = action;
    let db = Database::connect(&settings.database).await?;
    db.migrate_up()
        .await
        .context("could not apply migrations")?;
    let cache = DirectoryCache::open(&db, settings).await?;
    let dir = cache.current();
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("could not read {}", file.display()))?;
    let rows =
        match crate::domain::register::read_roster(&text, |c| dir.open_committee(c).is_some()) {
            Ok(rows) => rows,
            Err(errors) => {
                for e in &errors {
                    eprintln!("{}: {e}", file.display());
                }
                eprintln!(
                    "nothing imported: {} problem(s) in {}",
                    errors.len(),
                    file.display()
                );
                std::process::exit(1);
            }
        };
    let started = std::time::Instant::now();
    let report =
        crate::usecases::register::import_roster(&db, &dir, rows, dry_run, chrono::Utc::now())
            .await?;
    if !quiet {
        for r in &report.created {
            println!("+ {} {}", r.email, r.committee);
        }
        for (r, before) in &report.moved {
            println!(
                "~ {}: committee: {} -> {}",
                r.email,
                before.as_deref().unwrap_or("none"),
                r.committee
            );
        }
    }
    let verb = if report.applied {
        "imported"
    } else if dry_run {
        "dry run, nothing written"
    } else {
        "nothing to change"
    };
    println!(
        "{verb}: {} created, {} moved or confirmed, {} unchanged; {:.2}s",
        report.created.len(),
        report.moved.len(),
        report.unchanged,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn directory(settings: &Settings, action: DirectoryAction) -> anyhow::Result<()> {
    let DirectoryAction::Import {
        file,
        dry_run,
        quiet,
    } = action;
    let db = Database::connect(&settings.database).await?;
    db.migrate_up()
        .await
        .context("could not apply migrations")?;
    let cache = DirectoryCache::open(&db, settings).await?;
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("could not read {}", file.display()))?;
    let is_csv = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let parsed = if is_csv {
        crate::config::read_csv(&text, &cache.current())
    } else {
        crate::config::read_toml(&text).map_err(|e| vec![e])
    };
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(errors) => {
            for e in errors {
                eprintln!("{}: {e}", file.display());
            }
            std::process::exit(1);
        }
    };
    let actor = crate::domain::Actor {
        kind: crate::domain::ActorKind::System,
        id: Some("directory-import".to_owned()),
        name: Some(format!("import of {}", file.display())),
    };
    let started = std::time::Instant::now();
    let report = crate::usecases::directory::import(&db, &cache, &actor, parsed, dry_run).await?;
    let plan = &report.plan;
    if !plan.errors.is_empty() {
        for e in &plan.errors {
            eprintln!("{}: {e}", file.display());
        }
        eprintln!(
            "nothing imported: {} problem(s) in {}",
            plan.errors.len(),
            file.display()
        );
        std::process::exit(1);
    }
    if !quiet {
        for p in &plan.created {
            println!("+ {} {} ({})", p.after.kind, p.after.id, p.after.name.vi);
        }
        for p in &plan.changed {
            let before = p
                .before
                .as_ref()
                .map(crate::domain::directory::party_record);
            let after = crate::domain::directory::party_record(&p.after);
            let mut fields: Vec<String> = match before {
                Some(serde_json::Value::Object(b)) => b
                    .iter()
                    .filter(|(k, v)| after.get(k.as_str()) != Some(*v))
                    .map(|(k, v)| format!("{k}: {v} -> {}", after[k.as_str()]))
                    .collect(),
                _ => Vec::new(),
            };
            let endpoints_before = p.before.as_ref().map_or(0, |b| b.endpoints.len());
            if fields.is_empty() || endpoints_before != p.after.endpoints.len() {
                fields.push(format!(
                    "webhooks: {endpoints_before} -> {}",
                    p.after.endpoints.len()
                ));
            }
            println!("~ {} {}: {}", p.after.kind, p.after.id, fields.join("; "));
        }
        if plan.routing.is_some() {
            println!("~ routing rules");
        }
    }
    let verb = if report.applied {
        "imported"
    } else if dry_run {
        "dry run, nothing written"
    } else {
        "nothing to change"
    };
    println!(
        "{verb}: {} created, {} changed, {} unchanged, {} not in the file (left as they are){}; {:.2}s",
        plan.created.len(),
        plan.changed.len(),
        plan.unchanged.len(),
        report.not_in_file,
        if plan.routing.is_some() {
            ", routing rules changed"
        } else {
            ""
        },
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Reads the message and the key, hands the message in, and returns the exit status.
async fn mailgate(
    url: &str,
    key_file: &std::path::Path,
    recipient: Option<&str>,
    timeout: std::time::Duration,
) -> i32 {
    use crate::channels::mailgate::{Handed, hand_in};
    use tokio::io::AsyncReadExt;
    const EX_IOERR: i32 = 74;
    const EX_CONFIG: i32 = 78;
    let key = match tokio::fs::read_to_string(key_file).await {
        Ok(key) if !key.trim().is_empty() => key.trim().to_owned(),
        _ => {
            eprintln!(
                "mailgate: cannot read an API key from {}",
                key_file.display()
            );
            return EX_CONFIG;
        }
    };
    let mut raw = Vec::new();
    if let Err(error) = tokio::io::stdin().read_to_end(&mut raw).await {
        eprintln!("mailgate: cannot read the message: {error}");
        return EX_IOERR;
    }
    let (handed, said) = hand_in(url, &key, raw, recipient, timeout).await;
    if handed != Handed::Stored {
        eprintln!("mailgate: {said}");
    }
    handed.exit_code()
}
