//! Every sea-orm call lives here, and only here imports sea_orm; it imports config and
//! domain. Query functions take `&impl Conn` so they run on the pool or inside a
//! transaction; incident queries take a [`Scope`] so that an unscoped read is hard to write.

pub mod api_keys;
mod columns;
pub mod correspondence;
pub mod deliveries;
pub mod directory;
pub mod disabled_endpoints;
pub mod dossier;
pub mod drafts;
pub mod entities;
pub mod events;
pub mod evidence;
pub mod files;
pub mod idempotency;
pub mod incidents;
pub mod ops;
pub mod queue;
pub mod register;
pub mod retention;
mod scope;
pub mod service_secrets;
pub mod sessions;
pub mod tickets;
pub mod tracking_tokens;
pub mod users;

use std::{
    future::Future,
    panic::Location,
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use secrecy::ExposeSecret;
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use scope::Scope;

/// The error of any database call, named here so callers need not import sea_orm.
pub type DbErr = sea_orm::DbErr;

/// Whether `error` comes from a database that did not answer in time: every connection of
/// the pool stayed busy for `database.wait` (or none could be opened within it), or a SQLite
/// file stayed locked by another connection for as long. Nothing of the failed statement
/// was kept, and the same request may well succeed a moment later.
///
/// The causes are looked for anywhere in the chain, beneath [`DbErr`]: an error that wraps a
/// `DbErr` transparently passes on its causes, not the `DbErr` itself.
pub fn is_overloaded(error: &anyhow::Error) -> bool {
    use sea_orm::{ConnAcquireErr, RuntimeErr};
    error.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<ConnAcquireErr>(),
            Some(ConnAcquireErr::Timeout)
        ) || matches!(
            cause.downcast_ref::<RuntimeErr>(),
            Some(RuntimeErr::SqlxError(e)) if is_sqlite_busy(e)
        )
    })
}

/// The database's own error in `error`'s cause chain, if there is one.
pub fn database_error(error: &anyhow::Error) -> Option<&DbErr> {
    error
        .chain()
        .find_map(|cause| cause.downcast_ref::<DbErr>())
}

/// What the pool answers when no connection came free within `database.wait`.
#[cfg(test)]
pub fn pool_timeout() -> DbErr {
    DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout)
}

/// SQLite's SQLITE_BUSY, in any of its extended codes (the low byte is the primary code).
fn is_sqlite_busy(error: &sea_orm::sqlx::Error) -> bool {
    const SQLITE_BUSY: i32 = 5;
    match error {
        sea_orm::sqlx::Error::Database(e)
            if e.try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>()
                .is_some() =>
        {
            e.code()
                .and_then(|code| code.parse::<i32>().ok())
                .is_some_and(|code| code & 0xff == SQLITE_BUSY)
        }
        _ => false,
    }
}

/// `condition`, written so that SQLite never answers it from an index, for a filter that
/// sits beside a list of ids (`id IN (…)`) which should be looked up one by one.
///
/// SQLite keeps no statistics here, and without them its planner takes an indexed
/// equality to match about ten rows. Beside a list of more ids than that, a filter such as
/// `status = 'pending'` wins the estimate, and the statement walks every pending row
/// through the status index instead of looking up the ids: during a backlog, the whole
/// backlog for each batch. As `(condition) = TRUE` the filter is only checked on the rows the
/// ids found. PostgreSQL, which keeps statistics, plans the ids' lookup either way.
pub(crate) fn checked_on_found_rows(
    condition: sea_orm::sea_query::Expr,
) -> sea_orm::sea_query::Expr {
    use sea_orm::ExprTrait;
    sea_orm::sea_query::Expr::expr(condition).eq(true)
}

/// A connection or an open transaction: what every query function runs on.
pub trait Conn: ConnectionTrait + Sync {}

impl<T: ConnectionTrait + Sync> Conn for T {}

use crate::config::DatabaseSettings;

/// The SQLite log is made to start over once it holds this many frames (about 32 MiB).
const LOG_RESTART_FRAMES: i64 = 8192;

/// Writers are held back only for the copy of at most this many frames (about 1 MiB)...
const LOG_RESTART_REST: i64 = 256;

/// ...or after this many copies beside them, when writes outpace the copies.
const LOG_RESTART_PASSES: usize = 8;

/// Prepared statements each SQLite connection keeps.
const SQLITE_STATEMENT_CACHE: usize = 24;

/// Page cache of the SQLite connection that writes: what it keeps warm between writes.
const SQLITE_WRITER_CACHE_KIB: i64 = 4096;

/// Page cache of each reading SQLite connection. Every write empties it (the next read
/// transaction sees a changed database), so a larger one would hold memory, not speed.
const SQLITE_READER_CACHE_KIB: i64 = 1024;

/// How each SQLite connection is set up, with a page cache of `cache_kib`, waiting up to
/// `wait` for a lock another connection holds.
fn sqlite_options(
    cache_kib: i64,
    wait: Duration,
) -> impl Fn(sea_orm::sqlx::sqlite::SqliteConnectOptions) -> sea_orm::sqlx::sqlite::SqliteConnectOptions
+ Send
+ Sync
+ 'static {
    move |opts| {
        opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
            .busy_timeout(wait)
            .foreign_keys(true)
            .pragma("cache_size", (-cache_kib).to_string())
            // Batched statements differ by their number of rows, and a prepared statement
            // of hundreds of parameters holds a large program: a short cache per
            // connection keeps memory bounded.
            .statement_cache_capacity(SQLITE_STATEMENT_CACHE)
            // Checkpoints run in the background (see `checkpoint`), not inside commits.
            .pragma("wal_autocheckpoint", "0")
            // The log file shrinks back to this size when it starts over.
            .pragma(
                "journal_size_limit",
                (LOG_RESTART_FRAMES * 4096).to_string(),
            )
    }
}

/// What a checkpoint reports of the SQLite log: frames in it, and frames copied.
struct LogState {
    log: i64,
    copied: i64,
}

/// The connection pool, with a gate that lets one write transaction at a time reach
/// SQLite (its single writer would otherwise make writers sleep-wait on each other).
#[derive(Clone)]
pub struct Database {
    conn: DatabaseConnection,
    /// SQLite file: the one connection every write transaction runs on, so that its page
    /// cache stays warm. A write on one connection of a pool empties the caches of all the
    /// others, and the next write on one of them re-reads its pages through the OS.
    writer: Option<DatabaseConnection>,
    write_gate: Option<Arc<Mutex<()>>>,
    /// SQLite: what copies the log into the database file.
    log_copier: Option<LogCopier>,
    /// The SQLite file, whose disappearance would silently lose every later write.
    sqlite_file: Option<PathBuf>,
}

/// What copies the SQLite log: a connection of its own, so that the copy that holds writers
/// back never waits for a connection of the pool, and the database file, to flush the
/// copied pages to disk before writers are held back rather than while they are.
#[derive(Clone)]
struct LogCopier {
    conn: DatabaseConnection,
    /// Open for as long as the pool: closing a descriptor of the file would release the
    /// locks SQLite holds on it in this process.
    file: Arc<std::fs::File>,
    /// The log's copied frames as of the last flush of the file.
    flushed: Arc<std::sync::atomic::AtomicI64>,
}

/// A write transaction; on SQLite it holds the write gate until commit or drop.
pub struct WriteTx {
    tx: DatabaseTransaction,
    _gate: Option<OwnedMutexGuard<()>>,
    _timing: WriteTiming,
}

/// How long a write transaction waited for the write gate and then held it, logged at
/// debug level when it ends (committed or not), with where in the code it began: which
/// writers share the SQLite writer, and in what proportion, read off the log.
struct WriteTiming {
    began_at: &'static Location<'static>,
    waited: Duration,
    since: Instant,
}

impl Drop for WriteTiming {
    fn drop(&mut self) {
        tracing::debug!(
            began_at = %self.began_at,
            waited_us = u64::try_from(self.waited.as_micros()).unwrap_or(u64::MAX),
            held_us = u64::try_from(self.since.elapsed().as_micros()).unwrap_or(u64::MAX),
            "write transaction ended"
        );
    }
}

impl std::ops::Deref for WriteTx {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.tx.commit().await
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    pub name: String,
    pub applied: bool,
}

impl MigrationStatus {
    /// `applied` or `pending`, as `migrate status` prints it.
    pub fn state(&self) -> &'static str {
        if self.applied { "applied" } else { "pending" }
    }
}

impl Database {
    pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        let url = settings.url.expose_secret();
        let sqlite = url.starts_with("sqlite:");
        let sqlite_file = if sqlite { sqlite_path(url) } else { None };
        if let Some(dir) = sqlite_file
            .as_deref()
            .and_then(Path::parent)
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).with_context(|| {
                format!("could not create the database folder {}", dir.display())
            })?;
        }
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .max_connections(settings.max_connections)
            .min_connections(1)
            .acquire_timeout(settings.wait)
            .connect_timeout(Duration::from_secs(10))
            .sqlx_logging(false)
            // A ping before every checkout would double the round trips of short queries.
            .test_before_acquire(false)
            .map_sqlx_sqlite_opts(sqlite_options(SQLITE_READER_CACHE_KIB, settings.wait));
        let conn = sea_orm::Database::connect(options.clone())
            .await
            .context("could not connect to the database")?;
        let writer = match &sqlite_file {
            Some(_) => Some(
                sea_orm::Database::connect(
                    options
                        .clone()
                        .max_connections(1)
                        .map_sqlx_sqlite_opts(sqlite_options(
                            SQLITE_WRITER_CACHE_KIB,
                            settings.wait,
                        ))
                        .to_owned(),
                )
                .await
                .context("could not connect to the database")?,
            ),
            None => None,
        };
        let log_copier = match &sqlite_file {
            Some(path) => Some(LogCopier {
                conn: sea_orm::Database::connect(options.max_connections(1).to_owned())
                    .await
                    .context("could not connect to the database")?,
                file: Arc::new(std::fs::File::open(path).with_context(|| {
                    format!("could not open the database file {}", path.display())
                })?),
                flushed: Arc::default(),
            }),
            None => None,
        };
        Ok(Self {
            conn,
            writer,
            write_gate: sqlite.then(|| Arc::new(Mutex::new(()))),
            log_copier,
            sqlite_file,
        })
    }

    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// A read-only transaction whose reads all see one snapshot (REPEATABLE READ on
    /// PostgreSQL; a deferred transaction on SQLite, which in WAL mode reads one snapshot).
    pub async fn read_snapshot(&self) -> Result<DatabaseTransaction, DbErr> {
        if self.sqlite_file.is_some() || self.backend() == DbBackend::Sqlite {
            self.conn.begin().await
        } else {
            self.conn
                .begin_with_config(
                    Some(sea_orm::IsolationLevel::RepeatableRead),
                    Some(sea_orm::AccessMode::ReadOnly),
                )
                .await
        }
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE` on SQLite). Its wait for the write gate
    /// and its time holding it are logged at debug level, as begun where this was called.
    #[track_caller]
    pub fn begin_write(&self) -> impl Future<Output = Result<WriteTx, DbErr>> + '_ {
        self.begin_write_at(Location::caller())
    }

    async fn begin_write_at(&self, began_at: &'static Location<'static>) -> Result<WriteTx, DbErr> {
        let asked = Instant::now();
        let gate = match &self.write_gate {
            Some(gate) => Some(gate.clone().lock_owned().await),
            None => None,
        };
        let since = Instant::now();
        let waited = since - asked;
        let tx = self
            .writer
            .as_ref()
            .unwrap_or(&self.conn)
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await?;
        Ok(WriteTx {
            tx,
            _gate: gate,
            _timing: WriteTiming {
                began_at,
                waited,
                since,
            },
        })
    }

    /// Copies the SQLite write-ahead log into the database file; a no-op on PostgreSQL.
    ///
    /// The copy runs beside the writers. Under writes that never pause it never catches up
    /// with them, and the log would only grow (gigabytes in a minute of mail). So once the
    /// log holds more than [`LOG_RESTART_FRAMES`], further copies beside the writers take
    /// what was written during the one before (each shorter than the last) until at most
    /// [`LOG_RESTART_REST`] frames are left; then writers are held back for the copy of
    /// those few, after which the next write starts the log over from its beginning.
    ///
    /// A copy beside writers ends before the log does, and SQLite flushes the database file
    /// only after a copy to the log's end: left to it, the flush of everything copied since
    /// the log began would come in the last copy, a large burst of disk writes with writers
    /// held back, that every file synced meanwhile waits behind. So the file is flushed
    /// here after each copy that took frames, in small steps, and never with writers held.
    pub async fn checkpoint(&self) -> Result<(), DbErr> {
        if self.sqlite_file.is_none() {
            return Ok(());
        }
        let started = Instant::now();
        let first = self.passive_checkpoint().await?;
        self.flush_database_file(first.copied).await;
        let Some(gate) = self
            .write_gate
            .as_ref()
            .filter(|_| first.log > LOG_RESTART_FRAMES)
        else {
            return Ok(());
        };
        // A copy reports the frames in the log when it began; those added since the copy
        // before were written during it, and are what the next copy has to take.
        let (mut seen, mut added) = (first.log, i64::MAX);
        for _ in 0..LOG_RESTART_PASSES {
            if added <= LOG_RESTART_REST {
                break;
            }
            let pass = self.passive_checkpoint().await?;
            self.flush_database_file(pass.copied).await;
            (seen, added) = (pass.log, pass.log - seen);
        }
        let copied = started.elapsed();
        let _writers_wait = gate.lock().await;
        let held = Instant::now();
        let last = self.passive_checkpoint().await?;
        tracing::debug!(
            frames = first.log,
            left_for_last_copy = if last.log >= seen {
                last.log - seen
            } else {
                last.log
            },
            copy_ms = copied.as_millis() as u64,
            writers_held_ms = held.elapsed().as_millis() as u64,
            copied_whole = last.copied == last.log,
            "SQLite log copied; it starts over with the next write"
        );
        Ok(())
    }

    /// Writes the database file's changed pages to disk, when a log copy has changed it
    /// since the last flush (`copied`: the copied frames a copy reported).
    async fn flush_database_file(&self, copied: i64) {
        use std::sync::atomic::Ordering;
        let Some(copier) = &self.log_copier else {
            return;
        };
        if copier.flushed.swap(copied, Ordering::Relaxed) == copied {
            return;
        }
        let file = copier.file.clone();
        let outcome = tokio::task::spawn_blocking(move || file.sync_data())
            .await
            .map_err(std::io::Error::other)
            .and_then(|synced| synced);
        if let Err(error) = outcome {
            // SQLite's own flush at the end of the log still comes.
            tracing::warn!(%error, "could not flush the SQLite database file");
        }
    }

    /// One checkpoint that waits for nobody.
    async fn passive_checkpoint(&self) -> Result<LogState, DbErr> {
        let row = self
            .log_copier
            .as_ref()
            .map_or(&self.conn, |c| &c.conn)
            .query_one_raw(sea_orm::Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA wal_checkpoint(PASSIVE)",
            ))
            .await?;
        let column = |i| {
            row.as_ref()
                .and_then(|r| r.try_get_by_index::<i64>(i).ok())
                .unwrap_or(0)
        };
        Ok(LogState {
            log: column(1),
            copied: column(2),
        })
    }

    /// Writes a consistent copy of the SQLite database to `target` (`VACUUM INTO`) while
    /// the service keeps running; `target` must not exist.
    pub async fn copy_sqlite_to(&self, target: &Path) -> Result<(), DbErr> {
        if self.backend() != DbBackend::Sqlite {
            return Err(DbErr::Custom("only a SQLite database can be copied".into()));
        }
        let target = target
            .to_str()
            .ok_or_else(|| DbErr::Custom("the backup path is not valid UTF-8".into()))?;
        self.conn
            .execute_unprepared(&format!("VACUUM INTO '{}'", target.replace('\'', "''")))
            .await
            .map(|_| ())
    }

    pub async fn migrate_up(&self) -> Result<(), DbErr> {
        match self.sqlite_schema_tx().await? {
            Some(tx) => {
                Migrator::up(&*tx, None).await?;
                tx.commit().await
            }
            None => Migrator::up(&self.conn, None).await,
        }
    }

    pub async fn migrate_down(&self, steps: Option<u32>) -> Result<(), DbErr> {
        match self.sqlite_schema_tx().await? {
            Some(tx) => {
                Migrator::down(&*tx, steps).await?;
                tx.commit().await
            }
            None => Migrator::down(&self.conn, steps).await,
        }
    }

    /// On SQLite, migrations run in one write transaction on one connection, whose copy of
    /// the schema is read afresh first. Spread over the pool, a statement could run on a
    /// connection that still held the schema from before an earlier migration and refuse,
    /// say, to create an index that a dropped table had taken with it. It also makes a
    /// failed migration leave nothing behind. PostgreSQL runs each migration in its own
    /// transaction already.
    async fn sqlite_schema_tx(&self) -> Result<Option<WriteTx>, DbErr> {
        if self.backend() != DbBackend::Sqlite {
            return Ok(None);
        }
        let tx = self.begin_write().await?;
        tx.execute_unprepared("SELECT count(*) FROM sqlite_master")
            .await?;
        Ok(Some(tx))
    }

    pub async fn migration_status(&self) -> Result<Vec<MigrationStatus>, DbErr> {
        let applied: Vec<String> = Migrator::get_applied_migrations(&self.conn)
            .await?
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        Ok(Migrator::migrations()
            .iter()
            .map(|m| MigrationStatus {
                name: m.name().to_owned(),
                applied: applied.iter().any(|a| a == m.name()),
            })
            .collect())
    }

    /// Ok when the database answers and every migration is applied.
    pub async fn readiness(&self) -> Result<(), String> {
        if let Some(file) = self.sqlite_file.as_ref().filter(|f| !f.exists()) {
            return Err(format!("database file {} is missing", file.display()));
        }
        self.conn
            .ping()
            .await
            .map_err(|_| "database unreachable".to_owned())?;
        // The database answered the ping, so a failure here is about the migrations, such
        // as one applied by a newer release that this binary does not know.
        let pending = Migrator::get_pending_migrations(&self.conn)
            .await
            .map_err(|e| format!("the migrations could not be checked: {e}"))?;
        if pending.is_empty() {
            Ok(())
        } else {
            Err(format!("{} migration(s) pending", pending.len()))
        }
    }
}

/// The file of a `sqlite:` URL (none for an in-memory database).
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// More ids than SQLite's planner guesses an indexed equality matches, so that a filter
/// beside them could win its estimate (see [`checked_on_found_rows`]).
#[cfg(test)]
fn many_ids() -> Vec<uuid::Uuid> {
    (0..64).map(|_| uuid::Uuid::now_v7()).collect()
}

/// Asserts that SQLite runs every step of `query` through `lookup` (an index and the key it
/// is searched by), on a fresh database of this schema.
#[cfg(test)]
async fn assert_every_step_uses(query: &impl sea_orm::QueryTrait, lookup: &str) {
    let plan = sqlite_plan(query).await;
    assert!(!plan.is_empty());
    assert!(plan.iter().all(|step| step.contains(lookup)), "{plan:?}");
}

/// How SQLite would run `query` on a fresh database of this schema: the detail of each step
/// of its query plan.
#[cfg(test)]
async fn sqlite_plan(query: &impl sea_orm::QueryTrait) -> Vec<String> {
    let db = Database::connect(&DatabaseSettings {
        url: "sqlite::memory:".to_owned().into(),
        max_connections: 1,
        wait: Duration::from_secs(10),
    })
    .await
    .expect("an in-memory database");
    db.migrate_up().await.expect("the schema");
    let statement = query.build(DbBackend::Sqlite);
    let explain = sea_orm::Statement {
        sql: format!("EXPLAIN QUERY PLAN {}", statement.sql),
        ..statement
    };
    db.conn()
        .query_all_raw(explain)
        .await
        .expect("a query plan")
        .iter()
        .map(|row| row.try_get::<String>("", "detail").expect("its detail"))
        .collect()
}
