//! The composition root, and no rules: builds the application (database, migrations,
//! parties, HTTP server, background tasks) and runs the CLI. It may import every module.

pub mod cli;

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_web::{
    App, HttpMessage, HttpServer,
    dev::{Server, Service},
    http::header::{HeaderName, HeaderValue},
    middleware::{DefaultHeaders, from_fn},
    web,
};
use anyhow::Context;
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa_scalar::{Scalar, Servable};

use crate::{
    channels::{ack_link::AckKey, email_channel::EmailChannel},
    config::Settings,
    domain::{correspondence::ReplyKey, token::LinkKey},
    http::{
        self,
        extract::{csrf::CsrfKey, limits::WebLimits},
        state::AppState,
    },
    storage::{self, Database, files::FileStore},
    telemetry::RequestSpan,
    telemetry::metrics::Metrics,
    usecases::correspondence::MailWriter,
    usecases::directory::DirectoryCache,
    usecases::intake::Intake,
    usecases::outbox::Outbox,
    worker::{
        Dispatcher, DispatcherHandle,
        mailbox::{MailboxHandle, MailboxPoller, PollerParts},
    },
};

/// How often each instance checks whether another changed the directory.
const DIRECTORY_CHECK: Duration = Duration::from_secs(1);

pub struct Application {
    port: u16,
    server: Server,
    dispatcher: Option<DispatcherHandle>,
    mailbox: Option<MailboxHandle>,
    parts: DispatcherParts,
}

/// What a dispatcher shares with the rest of the application.
#[derive(Clone)]
struct DispatcherParts {
    db: Database,
    settings: Arc<Settings>,
    directory: DirectoryCache,
    outbox: Outbox,
    ack: AckKey,
    reply: ReplyKey,
    files: FileStore,
    links: LinkKey,
    metrics: Metrics,
    /// Stores inbound mail from every way in.
    mail: MailWriter,
}

impl DispatcherParts {
    fn dispatcher(&self) -> anyhow::Result<Dispatcher> {
        let email = EmailChannel::new(&self.settings, self.ack.clone(), self.reply.clone())?
            .with_files(self.files.clone());
        Dispatcher::new(
            self.db.clone(),
            self.settings.clone(),
            self.directory.clone(),
            &self.outbox,
            email,
            self.links.clone(),
            self.metrics.clone(),
        )
    }

    /// The IMAP poller, when `email.inbound.imap` is set.
    fn mailbox(&self) -> anyhow::Result<Option<MailboxPoller>> {
        let Some(imap) = &self.settings.email.inbound.imap else {
            return Ok(None);
        };
        let parts = PollerParts {
            db: self.db.clone(),
            settings: self.settings.clone(),
            directory: self.directory.clone(),
            outbox: self.outbox.clone(),
            files: self.files.clone(),
            reply: self.reply.clone(),
            writer: self.mail.clone(),
        };
        MailboxPoller::new(imap, parts).map(Some)
    }
}

impl Application {
    /// Connects, migrates, loads the directory (seeding it from the config when empty) and binds the listener
    /// (port 0 picks a free port).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = Database::connect(&settings.database).await?;
        db.migrate_up()
            .await
            .context("could not apply migrations")?;
        let directory = DirectoryCache::open(&db, &settings)
            .await
            .context("could not load the directory")?;
        directory.spawn_watch(db.clone(), DIRECTORY_CHECK);
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))
            .with_context(|| {
                format!(
                    "could not bind {}:{}",
                    settings.server.host, settings.server.port
                )
            })?;
        let port = listener.local_addr()?.port();
        let settings = Arc::new(settings);
        let outbox = Outbox::default();
        let ack = AckKey::new(
            storage::service_secrets::get_or_create(
                db.conn(),
                "ack_link_key",
                crate::domain::token::random_bytes(32),
            )
            .await
            .context("could not load the acknowledge-link key")?,
        );
        let csrf = CsrfKey::new(
            storage::service_secrets::get_or_create(
                db.conn(),
                "csrf_key",
                crate::domain::token::random_bytes(32),
            )
            .await
            .context("could not load the CSRF key")?,
        );
        let links = LinkKey::new(
            storage::service_secrets::get_or_create(
                db.conn(),
                "member_link_key",
                crate::domain::token::random_bytes(32),
            )
            .await
            .context("could not load the member link key")?,
        );
        let member_session_key = actix_web::cookie::Key::from(
            &storage::service_secrets::get_or_create(
                db.conn(),
                "member_session_key",
                crate::domain::token::random_bytes(64),
            )
            .await
            .context("could not load the member session key")?,
        );
        let files = FileStore::open_evidence(&settings.evidence.dir).await?;
        let limits = WebLimits::new(&settings);
        let sign_in = http::desk::SignInLimits::new(&settings);
        let member_sign_in = http::member::register::SignInLimits::new(&settings);
        let reply = ReplyKey::new(
            &storage::service_secrets::get_or_create(
                db.conn(),
                "reply_token_key",
                crate::domain::token::random_bytes(32),
            )
            .await
            .context("could not load the reply-address key")?,
        );
        let session_key = actix_web::cookie::Key::from(
            &storage::service_secrets::get_or_create(
                db.conn(),
                "desk_session_key",
                crate::domain::token::random_bytes(64),
            )
            .await
            .context("could not load the desk session key")?,
        );
        let metrics = Metrics::new();
        let parts = DispatcherParts {
            db: db.clone(),
            settings: settings.clone(),
            directory: directory.clone(),
            outbox: outbox.clone(),
            ack: ack.clone(),
            reply: reply.clone(),
            files: files.clone(),
            links: links.clone(),
            metrics: metrics.clone(),
            mail: MailWriter::start(
                db.clone(),
                settings.clone(),
                directory.clone(),
                outbox.clone(),
            ),
        };
        let dispatcher = if settings.dispatcher.enabled {
            Some(parts.dispatcher()?.spawn())
        } else {
            None
        };
        let mailbox = match parts.mailbox()? {
            Some(poller)
                if settings
                    .email
                    .inbound
                    .imap
                    .as_ref()
                    .is_some_and(|i| i.enabled) =>
            {
                Some(poller.spawn())
            }
            _ => None,
        };
        let counters =
            crate::usecases::desk_counters::CounterCache::new(settings.desk.counters_max_age);
        let webhooks = crate::channels::webhook::WebhookSender::new(&settings.webhooks)?;
        let state = web::Data::new(AppState {
            intake: Intake::start(
                db.clone(),
                settings.clone(),
                directory.clone(),
                outbox.clone(),
                metrics.clone(),
            ),
            db: db.clone(),
            settings,
            outbox,
            ack,
            csrf,
            files,
            sign_in,
            counters,
            webhooks,
            directory,
            links,
            member_sign_in,
            reply: reply.clone(),
            mail: parts.mail.clone(),
        });
        crate::usecases::retention::spawn_schedule(
            db.clone(),
            state.settings.clone(),
            state.files.clone(),
        );
        spawn_housekeeping(db, metrics.clone());
        let workers = state.settings.server.workers;
        let metrics = web::Data::new(metrics);
        let body_timeout = web::Data::new(http::body_deadline::BodyReadTimeout(
            state.settings.server.body_read_timeout,
        ));
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(http::body_deadline::enforce))
                .wrap(from_fn(http::ops::metrics::count_requests))
                .wrap_fn(|req, srv| {
                    let request_id = req.extensions().get::<RequestId>().map(ToString::to_string);
                    let fut = srv.call(req);
                    async move {
                        let mut response = fut.await?;
                        if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok())
                        {
                            response
                                .headers_mut()
                                .insert(HeaderName::from_static("x-request-id"), id);
                        }
                        Ok(response)
                    }
                })
                .wrap(
                    DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("Referrer-Policy", "no-referrer"))
                        .add(("X-Frame-Options", "DENY")),
                )
                .wrap(TracingLogger::<RequestSpan>::new())
                .app_data(state.clone())
                .app_data(metrics.clone())
                .app_data(body_timeout.clone())
                .configure(http::ops::health::configure)
                .configure(|cfg| http::ops::metrics::configure(cfg, &state.settings.metrics))
                .configure(http::api::configure)
                .configure(|cfg| http::member::configure(cfg, &limits))
                .configure(|cfg| http::desk::configure(cfg, &state, &session_key))
                .configure(|cfg| {
                    http::member::register::configure(cfg, &state, &member_session_key)
                })
                .service(Scalar::with_url(
                    "/api/docs",
                    http::api::openapi::document(),
                ))
                .default_service(web::to(http::api::not_found))
        })
        .shutdown_timeout(20)
        .listen(listener)?;
        if let Some(workers) = workers {
            server = server.workers(workers);
        }
        Ok(Self {
            port,
            server: server.run(),
            dispatcher,
            mailbox,
            parts,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A dispatcher over this application's database, outbox, acknowledge links and
    /// metrics, for a caller that drives it step by step with [`Dispatcher::run_once`]
    /// (the application's own runs in the background when `dispatcher.enabled`).
    pub fn dispatcher(&self) -> anyhow::Result<Dispatcher> {
        self.parts.dispatcher()
    }

    /// The IMAP poller over this application's database, outbox and evidence folder, when
    /// `email.inbound.imap` is set, for a caller that drives it round by round with
    /// [`MailboxPoller::poll_once`] (the application's own polls in the background when
    /// `email.inbound.imap.enabled`).
    pub fn mailbox(&self) -> anyhow::Result<Option<MailboxPoller>> {
        self.parts.mailbox()
    }

    /// Serves until SIGINT/SIGTERM, then drains in-flight requests, lets the dispatcher
    /// finish its sends in flight and the IMAP poller the message in hand.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        if let Some(mailbox) = self.mailbox {
            mailbox.shutdown().await;
        }
        if let Some(dispatcher) = self.dispatcher {
            dispatcher.shutdown().await;
        }
        result
    }
}

/// Checkpoints the SQLite log ten times a second (small copies, each flushed to disk on
/// its own, so short bursts of disk writes beside the writers); folds recorded histogram samples into their
/// buckets every few seconds; forgets idempotency records past their retention, expired
/// sessions and sign-in links expired a day ago, hourly.
fn spawn_housekeeping(db: Database, metrics: Metrics) {
    let checkpoints = db.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(error) = checkpoints.checkpoint().await {
                tracing::warn!(%error, "could not checkpoint the database log");
            }
        }
    });
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            metrics.upkeep();
        }
    });
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let result = async {
                let tx = db.begin_write().await?;
                let now = chrono::Utc::now();
                let purged = storage::idempotency::purge_expired(&*tx, now).await?
                    + storage::sessions::purge_expired(&*tx, now).await?
                    + storage::register::purge_links(&*tx, now - chrono::TimeDelta::days(1))
                        .await?;
                tx.commit().await?;
                Ok::<_, crate::storage::DbErr>(purged)
            }
            .await;
            match result {
                Ok(purged) => {
                    tracing::debug!(
                        purged,
                        "expired idempotency keys, sessions and sign-in links purged"
                    )
                }
                Err(error) => {
                    tracing::warn!(%error, "could not purge expired idempotency keys, sessions and sign-in links")
                }
            }
        }
    });
}
