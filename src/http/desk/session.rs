//! Sessions kept in the database through actix-session, for the desk and for the
//! register's members: the cookie holds a random key (signed), and only the key's digest
//! is stored, with the realm, the state and its expiry. A failure of the store is answered
//! as the pages answer their own ([`answer_store_failures`]).

use std::{cell::RefCell, collections::HashMap};

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::{
    body::MessageBody,
    cookie::time::Duration,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
};
use chrono::{TimeDelta, Utc};
use uuid::Uuid;

use crate::domain::access::SessionRealm;
use crate::http::html::error::PageError;
use crate::usecases::{Database, sessions};

pub const USER_KEY: &str = "user_id";

/// Where a realm's session cookie lives and how it behaves.
pub struct CookieSpec {
    pub realm: SessionRealm,
    pub name: &'static str,
    pub path: &'static str,
    pub same_site: actix_web::cookie::SameSite,
    /// Idle time after which the session ends.
    pub ttl: std::time::Duration,
    pub secure: bool,
}

/// A realm's session middleware: a signed cookie holding a random key, HttpOnly, the state
/// in the database under the key's digest; idle time counts from the last request.
pub fn middleware(
    db: Database,
    key: &actix_web::cookie::Key,
    spec: CookieSpec,
) -> actix_session::SessionMiddleware<DbSessionStore> {
    use actix_session::config::{BrowserSession, CookieContentSecurity, TtlExtensionPolicy};
    let ttl = Duration::seconds(i64::try_from(spec.ttl.as_secs()).unwrap_or(7200));
    actix_session::SessionMiddleware::builder(DbSessionStore::new(db, spec.realm), key.clone())
        .cookie_name(spec.name.to_owned())
        .cookie_path(spec.path.to_owned())
        .cookie_http_only(true)
        .cookie_secure(spec.secure)
        .cookie_same_site(spec.same_site)
        .cookie_content_security(CookieContentSecurity::Signed)
        .session_lifecycle(
            BrowserSession::default()
                .state_ttl(ttl)
                .state_ttl_extension_policy(TtlExtensionPolicy::OnEveryRequest),
        )
        .build()
}

tokio::task_local! {
    /// The session store's failure while the request in this task is served, kept for
    /// [`answer_store_failures`].
    static STORE_FAILURE: RefCell<Option<anyhow::Error>>;
}

/// Wraps a realm's session middleware (it goes right outside it). actix-session answers
/// every failure of its store with a bare 500; a request whose session could not be loaded
/// or saved is answered instead as a page's own failure is ([`PageError`]): 503 with
/// `Retry-After` when the database did not answer in time (the same request may go through
/// a moment later), 500 otherwise, logged with its cause either way.
pub async fn answer_store_failures(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    STORE_FAILURE
        .scope(RefCell::new(None), async move {
            let answer = next.call(req).await;
            match (answer, STORE_FAILURE.with(RefCell::take)) {
                (Err(_), Some(cause)) => Err(PageError::Broken(cause).into()),
                (answer, _) => answer,
            }
        })
        .await
}

/// What the store answers actix-session when it fails: the failure itself is kept for
/// [`answer_store_failures`], and actix-session, which only logs it and answers 500, gets
/// its text.
fn store_failed(error: impl Into<anyhow::Error>) -> anyhow::Error {
    let error = error.into();
    if STORE_FAILURE.try_with(|_| ()).is_err() {
        return error;
    }
    let text = format!("{error:#}");
    STORE_FAILURE.with(|kept| *kept.borrow_mut() = Some(error));
    anyhow::anyhow!(text)
}

/// The id a session names under `key`, if any.
pub fn subject(session: &actix_session::Session, key: &str) -> Option<Uuid> {
    session.get::<Uuid>(key).ok().flatten()
}

/// Ends a session that names nobody valid, and sends its holder to sign in.
pub fn to_sign_in(
    session: &actix_session::Session,
    location: &str,
) -> crate::http::html::error::PageError {
    session.purge();
    actix_web::HttpResponse::SeeOther()
        .insert_header(("Location", location.to_owned()))
        .finish()
        .into()
}
pub const MEMBER_KEY: &str = "member_id";

#[derive(Clone)]
pub struct DbSessionStore {
    db: Database,
    realm: SessionRealm,
}

impl DbSessionStore {
    pub fn new(db: Database, realm: SessionRealm) -> Self {
        Self { db, realm }
    }

    /// The officer or member the state names.
    fn subject(&self, state: &HashMap<String, String>) -> Option<Uuid> {
        let key = match self.realm {
            SessionRealm::Desk => USER_KEY,
            SessionRealm::Member => MEMBER_KEY,
        };
        state
            .get(key)
            .and_then(|v| serde_json::from_str::<Uuid>(v).ok())
    }
}

fn expiry(ttl: &Duration) -> chrono::DateTime<Utc> {
    Utc::now() + TimeDelta::seconds(ttl.whole_seconds())
}

impl SessionStore for DbSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<HashMap<String, String>>, LoadError> {
        let state = sessions::load(&self.db, self.realm, key.as_ref())
            .await
            .map_err(|e| LoadError::Other(store_failed(e)))?;
        state
            .map(|s| serde_json::from_str(&s).map_err(|e| LoadError::Deserialization(e.into())))
            .transpose()
    }

    async fn save(
        &self,
        state: HashMap<String, String>,
        ttl: &Duration,
    ) -> Result<SessionKey, SaveError> {
        let key = crate::domain::token::random_token(32);
        let body = serde_json::to_string(&state).map_err(|e| SaveError::Serialization(e.into()))?;
        sessions::create(
            &self.db,
            self.realm,
            &key,
            self.subject(&state),
            body,
            expiry(ttl),
        )
        .await
        .map_err(|e| SaveError::Other(store_failed(e)))?;
        SessionKey::try_from(key).map_err(|e| SaveError::Other(e.into()))
    }

    async fn update(
        &self,
        key: SessionKey,
        state: HashMap<String, String>,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let body =
            serde_json::to_string(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        sessions::update(
            &self.db,
            self.realm,
            key.as_ref(),
            self.subject(&state),
            body,
            expiry(ttl),
        )
        .await
        .map_err(|e| UpdateError::Other(store_failed(e)))?;
        Ok(key)
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &Duration) -> Result<(), anyhow::Error> {
        sessions::extend(&self.db, key.as_ref(), expiry(ttl))
            .await
            .map_err(store_failed)
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        sessions::end(&self.db, key.as_ref())
            .await
            .map_err(store_failed)
    }
}
