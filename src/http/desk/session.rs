//! Sessions kept in the database through actix-session, for the desk and for the
//! register's members: the cookie holds a random key (signed), and only the key's digest
//! is stored, with the realm, the state and its expiry.

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;
use chrono::{TimeDelta, Utc};
use uuid::Uuid;

use crate::domain::access::SessionRealm;
use crate::usecases::{Database, sessions};

pub const USER_KEY: &str = "user_id";
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
            .map_err(|e| LoadError::Other(e.into()))?;
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
        .map_err(|e| SaveError::Other(e.into()))?;
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
        .map_err(|e| UpdateError::Other(e.into()))?;
        Ok(key)
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &Duration) -> Result<(), anyhow::Error> {
        Ok(sessions::extend(&self.db, key.as_ref(), expiry(ttl)).await?)
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        Ok(sessions::end(&self.db, key.as_ref()).await?)
    }
}
