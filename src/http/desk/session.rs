//! Desk sessions kept in the database through actix-session: the cookie holds a random
//! key (signed), and only the key's digest is stored, with the state and its expiry.

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;
use chrono::{TimeDelta, Utc};
use uuid::Uuid;

use crate::storage::{Database, sessions};

pub const USER_KEY: &str = "user_id";

#[derive(Clone)]
pub struct DbSessionStore {
    db: Database,
}

impl DbSessionStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn expiry(ttl: &Duration) -> chrono::DateTime<Utc> {
    Utc::now() + TimeDelta::seconds(ttl.whole_seconds())
}

fn user_of(state: &HashMap<String, String>) -> Option<Uuid> {
    state
        .get(USER_KEY)
        .and_then(|v| serde_json::from_str::<Uuid>(v).ok())
}

impl SessionStore for DbSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<HashMap<String, String>>, LoadError> {
        let state = sessions::load(self.db.conn(), key.as_ref(), Utc::now())
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
        let tx = self
            .db
            .begin_write()
            .await
            .map_err(|e| SaveError::Other(e.into()))?;
        sessions::store(&*tx, &key, user_of(&state), body, expiry(ttl), Utc::now())
            .await
            .map_err(|e| SaveError::Other(e.into()))?;
        tx.commit().await.map_err(|e| SaveError::Other(e.into()))?;
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
        let tx = self
            .db
            .begin_write()
            .await
            .map_err(|e| UpdateError::Other(e.into()))?;
        // A session ended meanwhile (signed out, user disabled) stays ended.
        sessions::update(&*tx, key.as_ref(), user_of(&state), body, expiry(ttl))
            .await
            .map_err(|e| UpdateError::Other(e.into()))?;
        tx.commit()
            .await
            .map_err(|e| UpdateError::Other(e.into()))?;
        Ok(key)
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &Duration) -> Result<(), anyhow::Error> {
        let tx = self.db.begin_write().await?;
        sessions::extend(&*tx, key.as_ref(), expiry(ttl)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        let tx = self.db.begin_write().await?;
        sessions::delete(&*tx, key.as_ref()).await?;
        tx.commit().await?;
        Ok(())
    }
}
