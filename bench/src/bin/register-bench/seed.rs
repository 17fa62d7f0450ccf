//! `seed`: applies the migrations, seeds the directory from the config when it is empty,
//! writes the declaration requests, then the members with their pages in large
//! transactions while another thread prepares the next one.

use std::{
    collections::HashSet,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use chrono::{TimeDelta, Utc};
use incident_desk::{
    config,
    domain::{
        register::{AnswerState, RegisterQuery},
        routing::PartyKind,
    },
    storage::{Database, Scope, register::PageFilter},
    usecases::{directory::DirectoryCache, register},
};
use intake_bench::sql::{Dialect, Insert};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use uuid::Uuid;

use crate::dataset::{Batch, Generator, Plan, RequestPlan};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// sqlite://PATH?mode=rwc or postgres://USER@HOST:PORT/DATABASE (which must exist).
    #[arg(long)]
    database: String,
    #[arg(long, default_value_t = 1_000_000)]
    pages: u64,
    #[arg(long, default_value_t = 300_000)]
    members: u64,
    /// Committees the members belong to (every committee of the directory when absent).
    #[arg(long, value_delimiter = ',')]
    committees: Vec<String>,
    /// The committee whose subtree the current declaration request asks.
    #[arg(long, default_value = "hn")]
    request_committee: String,
    /// The share of the members asked who have answered it.
    #[arg(long, default_value_t = 0.5)]
    answered: f64,
    /// Members per transaction.
    #[arg(long, default_value_t = 5_000)]
    batch: usize,
    /// Seed of the generator: the same seed writes the same register.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

async fn count(db: &Database, table: &str) -> anyhow::Result<i64> {
    let row = db
        .conn()
        .query_one_raw(Statement::from_string(
            db.backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await?
        .context("no count")?;
    Ok(row.try_get("", "n")?)
}

fn progress(label: &str, batch: (u64, u64, u64), started: Instant) {
    let (members, pages, rows) = batch;
    let seconds = started.elapsed().as_secs_f64().max(0.001);
    println!(
        "{label} {members:>8} members {pages:>9} pages {rows:>10} rows in {seconds:>6.1} s: {:>7.0} pages/s {:>8.0} rows/s",
        pages as f64 / seconds,
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

/// The rows of the declaration requests themselves.
fn requests_sql(dialect: Dialect, requests: &[RequestPlan]) -> Vec<String> {
    let mut insert = Insert::new(
        dialect,
        "declaration_requests",
        &[
            "id",
            "committee_id",
            "created_by",
            "created_by_name",
            "message",
            "deadline",
            "remind_at",
            "reminded_at",
            "created_at",
        ],
        100,
    );
    let now = Utc::now();
    for (i, r) in requests.iter().enumerate() {
        let remind_at = r.deadline - TimeDelta::days(3);
        let mut row = insert.row();
        row.uuid(r.id)
            .text(&r.committee)
            .uuid(Uuid::from_u128(
                0x0193_0000_0000_7000_8000_0000_0000_0001 + i as u128,
            ))
            .text("Văn phòng Ban Thường trực")
            .text("Vui lòng rà soát và xác nhận các trang, tài khoản bạn đang quản lý trước hạn.")
            .time(r.deadline)
            .time(remind_at)
            .opt_time((remind_at < now).then_some(remind_at))
            .time(r.created_at);
        row.end();
    }
    insert.take()
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    // One connection, so that the settings below apply to every statement.
    let settings = config::from_layers(&[&format!(
        "[database]\nurl = \"{}\"\nmax_connections = 1\n",
        args.database
    )])?;
    let db = Database::connect(&settings.database).await?;
    db.migrate_up()
        .await
        .context("could not apply migrations")?;
    incident_desk::usecases::directory::seed_if_empty(&db, &settings).await?;
    if count(&db, "members").await? > 0 {
        bail!("the register of this database is not empty: seed a fresh one");
    }
    let dir = DirectoryCache::open(&db, &settings).await?.current();
    let committees: Vec<String> = if args.committees.is_empty() {
        dir.of_kind(PartyKind::Committee)
            .map(|p| p.id.clone())
            .collect()
    } else {
        for c in &args.committees {
            if dir.committee(c).is_none() {
                bail!("`{c}` is not a committee of the directory");
            }
        }
        args.committees.clone()
    };
    if dir.committee(&args.request_committee).is_none() {
        bail!(
            "`{}` is not a committee of the directory",
            args.request_committee
        );
    }
    let dialect = match db.backend() {
        DbBackend::Sqlite => {
            db.conn()
                .execute_unprepared("PRAGMA cache_size = -262144")
                .await?;
            Dialect::Sqlite
        }
        DbBackend::Postgres => {
            // A lost commit only loses this run's rows; the benchmark starts again.
            db.conn()
                .execute_unprepared("SET synchronous_commit = off")
                .await?;
            Dialect::Postgres
        }
        other => bail!("{other:?} is not supported"),
    };
    let now = Utc::now();
    let subtree =
        |root: &str| -> HashSet<String> { dir.committee_subtree(root).into_iter().collect() };
    // Last year's request of each top committee, mostly answered, then the current one.
    let mut requests: Vec<RequestPlan> = dir
        .roots()
        .map(|root| RequestPlan {
            id: Uuid::now_v7(),
            committee: root.id.clone(),
            subtree: subtree(&root.id),
            created_at: now - TimeDelta::days(400),
            deadline: now - TimeDelta::days(370),
            answered: 0.85,
        })
        .collect();
    let current = Uuid::now_v7();
    requests.push(RequestPlan {
        id: current,
        committee: args.request_committee.clone(),
        subtree: subtree(&args.request_committee),
        created_at: now - TimeDelta::days(10),
        deadline: now + TimeDelta::days(20),
        answered: args.answered.clamp(0.0, 1.0),
    });
    println!(
        "seeding {} members with {} pages over {} committees into {}; the current request {current} asks the members of {} ({} committees), {:.0}% answered",
        args.members,
        args.pages,
        committees.len(),
        if dialect == Dialect::Sqlite {
            "SQLite"
        } else {
            "PostgreSQL"
        },
        args.request_committee,
        subtree(&args.request_committee).len(),
        args.answered * 100.0
    );
    {
        let tx = db.conn().begin().await?;
        for statement in requests_sql(dialect, &requests) {
            tx.execute_unprepared(&statement).await?;
        }
        tx.commit().await?;
    }

    let plan = Plan {
        members: args.members,
        pages: args.pages,
        committees,
        requests,
        now,
        seed: args.seed,
    };
    let (send, mut batches) = tokio::sync::mpsc::channel::<Batch>(2);
    let size = args.batch.max(1);
    let generator = std::thread::spawn(move || {
        let mut generator = Generator::new(plan, dialect);
        while let Some(batch) = generator.batch(size) {
            if send.blocking_send(batch).is_err() {
                break;
            }
        }
    });
    let started = Instant::now();
    let mut last_report = started;
    let mut done = (0, 0, 0);
    while let Some(batch) = batches.recv().await {
        write(&db, &batch).await?;
        done.0 += batch.members;
        done.1 += batch.pages;
        done.2 += batch.rows;
        if last_report.elapsed() >= Duration::from_secs(10) {
            progress("  ", done, started);
            last_report = Instant::now();
        }
    }
    if generator.join().is_err() {
        bail!("the generator stopped");
    }
    progress("written", done, started);

    let finish = Instant::now();
    // The requests' counts, as answering keeps them.
    db.conn()
        .execute_unprepared(
            "UPDATE declaration_requests SET \
             asked_count = (SELECT COUNT(*) FROM declaration_request_members m \
                 WHERE m.request_id = declaration_requests.id), \
             answered_count = (SELECT COUNT(m.answered_at) FROM declaration_request_members m \
                 WHERE m.request_id = declaration_requests.id)",
        )
        .await?;
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
    check(&db, &settings, current).await?;
    println!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// Reads the register back through the service's own use cases.
async fn check(db: &Database, settings: &config::Settings, request: Uuid) -> anyhow::Result<()> {
    let (newest, _) = register::search(db, &Scope::All, &PageFilter::default(), false, None, 1)
        .await
        .context("the register does not read back")?;
    let Some(page) = newest.first() else {
        bail!("no page reads back");
    };
    let url = &page.page.declaration.url;
    let filter = PageFilter {
        query: RegisterQuery::parse(url),
        ..Default::default()
    };
    let (found, _) = register::search(db, &Scope::All, &filter, false, None, 20).await?;
    let Some((row, asked, answered)) = register::request(db, &Scope::All, request).await? else {
        bail!("the request {request} does not read back");
    };
    let (waiting, _) = register::asked(
        db,
        settings,
        request,
        AnswerState::NotAnswered,
        None,
        50,
        Utc::now(),
    )
    .await?;
    println!(
        "check: {url} found {} time(s); request {} of {} asked {asked}, {answered} answered, first page of not answered has {}",
        found.len(),
        row.id,
        row.committee_id,
        waiting.len()
    );
    Ok(())
}
