//! `seed`: applies the migrations, seeds the directory from the config, then writes the
//! incidents in large transactions while another thread prepares the next one.

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use chrono::{TimeDelta, Utc};
use incident_desk::{
    config,
    storage::{
        Database, Scope, events,
        incidents::{self, IncidentFilter},
        tickets,
    },
};
use intake_bench::sql::Dialect;
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};

use crate::dataset::{Batch, Generator, Plan};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// sqlite://PATH?mode=rwc or postgres://USER@HOST:PORT/DATABASE (which must exist).
    #[arg(long)]
    database: String,
    /// Incidents to add.
    #[arg(long, default_value_t = 1_000_000)]
    count: u64,
    /// Committees the incidents are filed with (all configured ones when absent).
    #[arg(long, value_delimiter = ',')]
    committees: Vec<String>,
    /// The incidents are filed evenly over this many years up to now.
    #[arg(long, default_value_t = 2)]
    years: u32,
    /// Incidents per transaction.
    #[arg(long, default_value_t = 10_000)]
    batch: u64,
    /// Seed of the generator: the same seed writes the same incidents.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// The last reference number taken in each year, so that new ones follow it.
async fn taken_references(db: &Database) -> anyhow::Result<BTreeMap<i32, u64>> {
    let rows = db
        .conn()
        .query_all_raw(Statement::from_string(
            db.backend(),
            "SELECT year, last_value FROM reference_counters",
        ))
        .await?;
    let mut taken = BTreeMap::new();
    for row in rows {
        let year: i32 = row.try_get("", "year")?;
        let last: i64 = row.try_get("", "last_value")?;
        taken.insert(year, u64::try_from(last).unwrap_or_default());
    }
    Ok(taken)
}

fn progress(label: &str, incidents: u64, rows: u64, started: Instant) {
    let seconds = started.elapsed().as_secs_f64().max(0.001);
    println!(
        "{label} {incidents:>9} incidents {rows:>10} rows in {seconds:>6.1} s: {:>7.0} incidents/s {:>8.0} rows/s",
        incidents as f64 / seconds,
        rows as f64 / seconds,
    );
}

async fn write(db: &Database, batch: &Batch) -> anyhow::Result<()> {
    let tx = db.conn().begin().await?;
    for statement in &batch.statements {
        tx.execute_unprepared(statement)
            .await
            .with_context(|| format!("{}…", &statement[..statement.len().min(200)]))?;
    }
    tx.commit().await?;
    // The server's connections leave checkpoints to it; without them the log would grow.
    db.checkpoint().await?;
    Ok(())
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    // One connection, so that the settings below apply to every statement.
    let settings = config::from_layers(&[&format!(
        "[database]\nurl = \"{}\"\nmax_connections = 1\n",
        args.database
    )])?;
    let committees = if args.committees.is_empty() {
        settings
            .parties
            .committees
            .iter()
            .map(|c| c.id.clone())
            .collect()
    } else {
        for c in &args.committees {
            if settings.committee(c).is_none() {
                bail!("`{c}` is not a configured committee");
            }
        }
        args.committees.clone()
    };
    let db = Database::connect(&settings.database).await?;
    db.migrate_up()
        .await
        .context("could not apply migrations")?;
    incident_desk::usecases::directory::seed_if_empty(&db, &settings).await?;
    let dialect = match db.backend() {
        DbBackend::Sqlite => {
            db.conn()
                .execute_unprepared("PRAGMA cache_size = -262144")
                .await?;
            Dialect::Sqlite
        }
        DbBackend::Postgres => Dialect::Postgres,
        other => bail!("{other:?} is not supported"),
    };
    let until = Utc::now();
    let plan = Plan {
        count: args.count,
        committees: committees.clone(),
        from: until - TimeDelta::days(365 * i64::from(args.years)),
        until,
        taken: taken_references(&db).await?,
        seed: args.seed,
    };
    println!(
        "seeding {} incidents over {} years for {} committees ({}) into {}",
        args.count,
        args.years,
        committees.len(),
        committees.join(", "),
        if dialect == Dialect::Sqlite {
            "SQLite"
        } else {
            "PostgreSQL"
        }
    );

    let (send, mut batches) = tokio::sync::mpsc::channel::<Batch>(2);
    let settings = Arc::new(settings);
    let size = args.batch.max(1);
    let generator = std::thread::spawn({
        let settings = settings.clone();
        move || {
            let mut generator = Generator::new(plan, settings, dialect);
            while let Some(batch) = generator.batch(size) {
                if send.blocking_send(batch).is_err() {
                    break;
                }
            }
        }
    });
    let started = Instant::now();
    let mut last_report = started;
    let (mut incidents, mut rows) = (0, 0);
    while let Some(batch) = batches.recv().await {
        write(&db, &batch).await?;
        incidents += batch.incidents;
        rows += batch.rows;
        if last_report.elapsed() >= Duration::from_secs(5) {
            progress("  ", incidents, rows, started);
            last_report = Instant::now();
        }
    }
    if generator.join().is_err() {
        bail!("the generator stopped");
    }
    progress("written", incidents, rows, started);

    let finish = Instant::now();
    match dialect {
        Dialect::Sqlite => {
            db.conn()
                .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await?;
        }
        // What autovacuum does soon after a large load: statistics and the visibility map.
        Dialect::Postgres => {
            db.conn().execute_unprepared("VACUUM (ANALYZE)").await?;
            println!("vacuum analyze: {:.1} s", finish.elapsed().as_secs_f64());
        }
    }
    check(&db).await?;
    println!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Reads the newest incidents back through the server's own queries.
async fn check(db: &Database) -> anyhow::Result<()> {
    let newest = incidents::list(
        db.conn(),
        &Scope::All,
        &IncidentFilter {
            limit: 50,
            ..Default::default()
        },
    )
    .await
    .context("the incidents do not read back")?;
    let Some(first) = newest.first() else {
        bail!("no incident reads back");
    };
    let ticket_rows = tickets::for_incident(db.conn(), first.id).await?;
    let timeline = events::for_incident(db.conn(), first.id).await?;
    println!(
        "check: newest {} ({}, {}, {}) reads back with {} tickets and {} events",
        first.reference,
        first.committee_id,
        first.status,
        first.created_at.format("%Y-%m-%d %H:%M"),
        ticket_rows.len(),
        timeline.len()
    );
    Ok(())
}
