use std::{sync::Arc, time::Duration};

use incident_desk::{
    app::Application,
    channels::imap::ImapError,
    config,
    domain::access::{ApiScope, Role},
    storage::{Database, api_keys},
    usecases::officers,
    worker::{
        Dispatcher, Step,
        mailbox::{MailboxPoller, Polled},
    },
};
use reqwest::{Response, StatusCode};
use sea_orm::ConnectionTrait;
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;

pub struct TestDb {
    pub url: String,
    /// Keeps the SQLite folder alive for the test's duration.
    _dir: Option<tempfile::TempDir>,
    pub sqlite_path: Option<std::path::PathBuf>,
}

impl TestDb {
    /// The same database, for another application; the first keeps it alive.
    /// A connection of the test's own, as the service makes it.
    pub async fn database(&self) -> Database {
        let settings = config::DatabaseSettings {
            url: self.url.clone().into(),
            max_connections: 2,
            wait: std::time::Duration::from_secs(10),
        };
        Database::connect(&settings)
            .await
            .expect("connect to the test database")
    }

    pub fn shared(&self) -> TestDb {
        TestDb {
            url: self.url.clone(),
            _dir: None,
            sqlite_path: self.sqlite_path.clone(),
        }
    }
}

/// A fresh database: a new SQLite file, or a new PostgreSQL database on the server
/// named by TEST_DATABASE_URL.
pub async fn fresh_database() -> TestDb {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(server) if !server.is_empty() => {
            let name = format!("incident_desk_test_{}", Uuid::now_v7().simple());
            let admin = sea_orm::Database::connect(server.as_str())
                .await
                .expect("connect to the PostgreSQL server of TEST_DATABASE_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create the test database");
            admin.close().await.ok();
            let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
            TestDb {
                url: format!("{base}/{name}"),
                _dir: None,
                sqlite_path: None,
            }
        }
        _ => {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("incident-desk.db");
            TestDb {
                url: format!("sqlite://{}?mode=rwc", path.display()),
                sqlite_path: Some(path),
                _dir: Some(dir),
            }
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: TestDb,
    /// A key with every scope and no committee binding.
    pub api_key: String,
    /// The evidence folder of this app.
    pub evidence: tempfile::TempDir,
    /// The configuration the app runs with.
    pub settings: config::Settings,
    /// The app's dispatcher, driven by the test, unless the app runs its own in the
    /// background (`dispatcher.enabled`).
    dispatcher: Option<Arc<Dispatcher>>,
    /// The app's IMAP poller, driven by the test, when `email.inbound.imap` is set and the app
    /// does not poll in the background (`enabled = false`).
    mailbox: Option<Arc<MailboxPoller>>,
}

/// More steps than any test needs: a dispatcher still busy after these never settles.
const MOST_STEPS: usize = 50;

pub async fn spawn_app() -> TestApp {
    spawn_app_with("").await
}

/// Starts the application with extra TOML merged over the defaults.
pub async fn spawn_app_with(overrides: &str) -> TestApp {
    spawn_app_on(fresh_database().await, overrides).await
}

/// Starts the application on `db` (fresh, or [`TestDb::shared`] with another
/// application) with extra TOML merged over the defaults.
pub async fn spawn_app_on(db: TestDb, overrides: &str) -> TestApp {
    let evidence = tempfile::tempdir().expect("evidence folder");
    let base = format!(
        r#"
        public_base_url = "http://127.0.0.1"
        [server]
        host = "127.0.0.1"
        port = 0
        workers = 1
        [database]
        url = "{}"
        max_connections = 4
        [email]
        smtp_url = "smtp://127.0.0.1:9"
        timeout = "2s"
        [webhooks]
        connect_timeout = "1s"
        timeout = "2s"
        allow_networks = ["127.0.0.0/8"]
        [dispatcher]
        enabled = false
        poll_interval = "100ms"
        lease = "5s"
        # Retries are due at once, so the next step of a driven dispatcher makes them.
        schedule = ["0s", "0s", "0s", "0s"]
        jitter = 0.0
        [evidence]
        dir = "{}"
        [web.rate_limits]
        submissions = {{ per_minute = 6000, burst = 1000 }}
        tracking = {{ per_minute = 6000, burst = 1000 }}
        "#,
        db.url,
        evidence.path().display()
    );
    let settings = config::from_layers(&[&base, overrides]).expect("test configuration is valid");
    let app = Application::build(settings.clone())
        .await
        .expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let dispatcher = (!settings.dispatcher.enabled)
        .then(|| {
            app.dispatcher()
                .expect("a dispatcher for the test to drive")
        })
        .map(Arc::new);
    let polls_itself = settings
        .email
        .inbound
        .imap
        .as_ref()
        .is_some_and(|imap| imap.enabled);
    let mailbox = if polls_itself {
        None
    } else {
        app.mailbox()
            .expect("an IMAP poller for the test to drive")
            .map(Arc::new)
    };
    tokio::spawn(app.run_until_stopped());
    let mut app = TestApp {
        address,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client"),
        db,
        api_key: String::new(),
        evidence,
        settings,
        dispatcher,
        mailbox,
    };
    app.api_key = app
        .create_key(
            "all scopes",
            &[
                ApiScope::IncidentsWrite,
                ApiScope::IncidentsRead,
                ApiScope::TicketsWrite,
                ApiScope::DirectoryRead,
                ApiScope::DirectoryWrite,
            ],
            None,
        )
        .await;
    app
}

impl TestApp {
    /// Whether the test drives the app's dispatcher (no dispatcher runs in the background).
    pub fn drives_dispatcher(&self) -> bool {
        self.dispatcher.is_some()
    }

    /// One step of the dispatcher: what is due is sent, and every outcome is recorded,
    /// when this returns.
    pub async fn dispatch_once(&self) -> Step {
        self.dispatcher
            .as_ref()
            .expect("this app runs its dispatcher in the background")
            .run_once()
            .await
            .expect("a dispatcher step")
    }

    /// One round of the app's IMAP poller: every message waiting in the folder is stored and
    /// moved, refused and moved, or left in place, when this returns.
    pub async fn poll_mailbox(&self) -> Result<Polled, ImapError> {
        self.mailbox
            .as_ref()
            .expect("this app has no IMAP mailbox, or polls it in the background")
            .poll_once()
            .await
    }

    /// Dispatcher steps until one finds nothing to do; returns the steps that did something.
    pub async fn dispatch_until_idle(&self) -> Vec<Step> {
        let mut steps = Vec::new();
        for _ in 0..MOST_STEPS {
            let step = self.dispatch_once().await;
            if step.is_idle() {
                return steps;
            }
            steps.push(step);
        }
        panic!("the dispatcher was still busy after {MOST_STEPS} steps: {steps:#?}");
    }

    pub async fn database(&self) -> Database {
        self.db.database().await
    }

    /// Every `table.column` of the database whose value contains `needle`, whatever the
    /// column's type (text, JSON or bytes).
    pub async fn tables_containing(&self, needle: &str) -> Vec<String> {
        use sea_orm::{DatabaseBackend, Statement};
        let db = self.database().await;
        let conn = db.conn();
        let backend = conn.get_database_backend();
        let columns_sql = match backend {
            DatabaseBackend::Sqlite => "SELECT m.name, p.name, p.type FROM sqlite_master m \
                 JOIN pragma_table_info(m.name) p WHERE m.type = 'table'"
                .to_owned(),
            _ => "SELECT table_name::text, column_name::text, data_type::text \
                  FROM information_schema.columns WHERE table_schema = 'public'"
                .to_owned(),
        };
        let columns = conn
            .query_all_raw(Statement::from_string(backend, columns_sql))
            .await
            .expect("list columns");
        let pattern = format!("%{}%", needle.replace('\'', "''"));
        let mut found = Vec::new();
        for row in columns {
            let table: String = row.try_get_by_index(0).expect("table");
            let column: String = row.try_get_by_index(1).expect("column");
            let kind: String = row.try_get_by_index(2).expect("type");
            let value = match (backend, kind.as_str()) {
                (DatabaseBackend::Sqlite, _) => format!("CAST(\"{column}\" AS TEXT)"),
                (_, "bytea") => format!("encode(\"{column}\", 'escape')"),
                _ => format!("CAST(\"{column}\" AS TEXT)"),
            };
            let sql = format!("SELECT COUNT(*) FROM \"{table}\" WHERE {value} LIKE '{pattern}'");
            let hits = conn
                .query_one_raw(Statement::from_string(backend, sql))
                .await
                .expect("search a column")
                .and_then(|r| r.try_get_by_index::<i64>(0).ok())
                .unwrap_or(0);
            if hits > 0 {
                found.push(format!("{table}.{column}"));
            }
        }
        found
    }

    /// A key bound to a party, allowed to answer that party's tickets.
    pub async fn create_party_key(&self, party: &str) -> String {
        let db = self.database().await;
        let (_, secret) = api_keys::create(
            db.conn(),
            api_keys::NewApiKey {
                name: format!("{party} desk"),
                scopes: vec![ApiScope::TicketsWrite],
                committee_id: None,
                party_id: Some(party.to_owned()),
            },
        )
        .await
        .expect("create API key");
        secret
    }

    pub async fn create_key(
        &self,
        name: &str,
        scopes: &[ApiScope],
        committee: Option<&str>,
    ) -> String {
        let db = self.database().await;
        let (_, secret) = api_keys::create(
            db.conn(),
            api_keys::NewApiKey {
                name: name.to_owned(),
                scopes: scopes.to_vec(),
                committee_id: committee.map(str::to_owned),
                party_id: None,
            },
        )
        .await
        .expect("create API key");
        secret
    }

    /// A key with `scopes`, bound to a committee or a party (or neither).
    pub async fn create_bound_key(
        &self,
        scopes: &[ApiScope],
        committee: Option<&str>,
        party: Option<&str>,
    ) -> String {
        let db = self.database().await;
        let (_, secret) = api_keys::create(
            db.conn(),
            api_keys::NewApiKey {
                name: format!("key of {}", party.or(committee).unwrap_or("everyone")),
                scopes: scopes.to_vec(),
                committee_id: committee.map(str::to_owned),
                party_id: party.map(str::to_owned),
            },
        )
        .await
        .expect("create API key");
        secret
    }

    /// Creates a desk user named [`officer_name`] through the library, and returns their
    /// password.
    pub async fn create_officer(
        &self,
        username: &str,
        role: Role,
        committee: Option<&str>,
    ) -> String {
        let password = format!("pw-{}", Uuid::now_v7().simple());
        let db = self.database().await;
        let directory =
            incident_desk::usecases::directory::DirectoryCache::open(&db, &self.settings)
                .await
                .expect("load the directory");
        officers::create(
            &db,
            &directory.current(),
            officers::NewOfficer {
                username,
                name: &officer_name(username),
                role,
                committee,
                password: &SecretString::from(password.clone()),
            },
        )
        .await
        .expect("create the officer");
        password
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn post_incident(&self, body: &Value) -> Response {
        self.post_json_as(&self.api_key, "/api/v1/incidents", body)
            .await
    }

    pub async fn post_json_as(&self, key: &str, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(key)
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.post_json_as(&self.api_key, path, body).await
    }

    pub async fn get_as(&self, key: &str, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(key)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.get_as(&self.api_key, path).await
    }

    /// `/readyz`: its status and body.
    pub async fn readiness(&self) -> (StatusCode, Value) {
        let response = self
            .client
            .get(self.url("/readyz"))
            .send()
            .await
            .expect("sent");
        let status = response.status();
        (status, response.json().await.expect("readiness JSON"))
    }

    /// The text of `/metrics`, asked without a token.
    pub async fn metrics(&self) -> String {
        let response = self
            .client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.expect("metrics text")
    }

    /// Files a valid incident and returns the 201 body.
    pub async fn file(&self, body: &Value) -> Value {
        let response = self.post_incident(body).await;
        expect_status(response, StatusCode::CREATED).await
    }

    pub async fn incident(&self, id: &str) -> Value {
        expect_status(
            self.get(&format!("/api/v1/incidents/{id}")).await,
            StatusCode::OK,
        )
        .await
    }

    /// Every incident visible to the all-scope key.
    pub async fn all_incidents(&self) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/incidents?limit=200&cursor={c}"),
                None => "/api/v1/incidents?limit=200".to_owned(),
            };
            let page = expect_status(self.get(&path).await, StatusCode::OK).await;
            items.extend(page["items"].as_array().expect("items").iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return items,
            }
        }
    }
}

/// The full name [`TestApp::create_officer`] gives a user.
pub fn officer_name(username: &str) -> String {
    format!("Cán bộ {username}")
}

/// Asserts the status, and returns the JSON body.
pub async fn expect_status(response: Response, status: StatusCode) -> Value {
    let actual = response.status();
    let text = response.text().await.expect("body");
    assert_eq!(actual, status, "unexpected status; body: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }
}

/// Asserts a problem+json response with this status and code, and returns it.
pub async fn expect_problem(response: Response, status: StatusCode, code: &str) -> Value {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = expect_status(response, status).await;
    assert_eq!(content_type, "application/problem+json", "body: {body}");
    assert_eq!(body["code"], code, "body: {body}");
    assert_eq!(body["status"], status.as_u16());
    body
}

/// The (field, rule) pairs of a validation problem.
pub fn field_rules(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or_default().to_owned(),
                        e["rule"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A realistic report: a hijacked Facebook page of the Ba Dinh committee.
pub fn valid_incident() -> Value {
    json!({
        "kind": "hijacked",
        "description": "Since 07:40 the page posts scam investment offers; the admin email was changed.",
        "detected_at": "2026-11-28T07:45:00+07:00",
        "reporter": {
            "name": "Nguyễn Văn An",
            "email": "an.nguyen@example.org",
            "phone": "+84 912 345 678",
            "committee": "hn-ba-dinh"
        },
        "page": {
            "url": "https://www.facebook.com/badinh.news",
            "handle": "badinh.news",
            "display_name": "Ba Đình News",
            "account_type": "page",
            "linked_email": "page-admin@example.org",
            "created_on": "2019-05-01",
            "purpose": "News of the district committee"
        },
        "containment": {
            "state": "stopped",
            "stopped_at": "2026-11-28T08:10:00+07:00",
            "actions": ["password_changed", "sessions_revoked"]
        }
    })
}

pub fn ticket_parties(body: &Value) -> Vec<String> {
    body["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .map(|t| t["party"].as_str().expect("party").to_owned())
        .collect()
}

/// The id of the API key with this secret.
pub async fn key_id(app: &TestApp, secret: &str) -> String {
    let db = app.database().await;
    api_keys::authenticate(db.conn(), secret)
        .await
        .expect("query")
        .expect("key exists")
        .id
        .to_string()
}

/// A client like a browser's: it keeps cookies and does not follow redirects, so a test
/// sees each answer.
pub fn browser_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client")
}

/// The value of the hidden input `name` in a page.
pub fn hidden_input(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no input `{name}` in the page"))
        + marker.len();
    html[start..]
        .split('"')
        .next()
        .expect("closing quote")
        .to_owned()
}

/// The sum of the samples of `name` whose labels include `labels`, in a Prometheus text
/// exposition; `None` when there is no such sample.
pub fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let values: Vec<f64> = text
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, inner) = match series.split_once('{') {
                Some((metric, rest)) => (metric, rest.strip_suffix('}')?),
                None => (series, ""),
            };
            let found: Vec<(&str, &str)> = inner
                .split("\",")
                .filter(|pair| !pair.is_empty())
                .filter_map(|pair| {
                    let (key, value) = pair.split_once("=\"")?;
                    Some((key, value.trim_end_matches('"')))
                })
                .collect();
            let wanted = metric == name && labels.iter().all(|label| found.contains(label));
            wanted.then(|| value.parse::<f64>().ok()).flatten()
        })
        .collect();
    (!values.is_empty()).then(|| values.iter().sum())
}

/// What the app's writes need, held as another process could hold it, so that the app's
/// database does not answer in time (the app must run with `[database] max_connections =
/// 1` and a short `wait`). On SQLite: the file's write lock, which every write waits on. On
/// PostgreSQL: a lock on the incidents table, which a first filing then waits on while it
/// holds the pool's only connection, so that any other request waits for a connection.
pub struct Held {
    lock: incident_desk::storage::WriteTx,
    first: Option<tokio::task::JoinHandle<StatusCode>>,
    _holder: Database,
}

impl Held {
    pub async fn take(app: &TestApp) -> Held {
        let holder = app.db.database().await;
        let lock = holder.begin_write().await.expect("a write transaction");
        let mut first = None;
        if app.db.sqlite_path.is_none() {
            (*lock)
                .execute_unprepared("LOCK TABLE incidents IN EXCLUSIVE MODE")
                .await
                .expect("lock the incidents table");
            let mut body = valid_incident();
            body["page"]["url"] = json!("https://www.facebook.com/waiting.page");
            let client = app.client.clone();
            let (url, key) = (app.url("/api/v1/incidents"), app.api_key.clone());
            first = Some(tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(key)
                    .json(&body)
                    .send()
                    .await
                    .expect("request sent")
                    .status()
            }));
            // Until that filing waits on the lock, holding the connection.
            let waiting = "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() \
                           AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO \"incidents\"%'";
            let mut polls = 0;
            while holder
                .conn()
                .query_one_raw(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Postgres,
                    waiting,
                ))
                .await
                .expect("pg_stat_activity")
                .is_none()
            {
                polls += 1;
                assert!(polls < 500, "the first filing never waited on the lock");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        Held {
            lock,
            first,
            _holder: holder,
        }
    }

    /// Lets go; on PostgreSQL, the first filing is then written: how many incidents that
    /// adds (it must be answered 201).
    pub async fn release(self) -> usize {
        self.lock.commit().await.expect("release the lock");
        match self.first {
            Some(first) => {
                assert_eq!(first.await.expect("first filing"), StatusCode::CREATED);
                1
            }
            None => 0,
        }
    }
}
