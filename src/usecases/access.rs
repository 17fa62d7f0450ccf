//! Who an API request comes from: the active key behind a presented secret, its scopes and
//! the committees it sees.

use chrono::Utc;
use uuid::Uuid;

use crate::{
    domain::access::ApiScope,
    domain::directory::Directory,
    storage::{Database, DbErr, Scope, api_keys},
};

/// An authenticated API key.
pub struct KeyHolder {
    pub key_id: Uuid,
    pub name: String,
    pub scopes: Vec<ApiScope>,
    pub committee: Option<String>,
    pub party: Option<String>,
    /// All committees, or the subtree of the key's committee.
    pub scope: Scope,
}

/// The active key whose secret is `presented`; its use is recorded at most once a minute.
pub async fn authenticate(
    db: &Database,
    dir: &Directory,
    presented: &str,
) -> Result<Option<KeyHolder>, DbErr> {
    let conn = db.conn();
    let Some(key) = api_keys::authenticate(conn, presented).await? else {
        return Ok(None);
    };
    api_keys::mark_used(conn, &key, Utc::now()).await?;
    let scope = match &key.committee_id {
        Some(committee) => Scope::Committees(dir.committee_subtree(committee)),
        None => Scope::All,
    };
    Ok(Some(KeyHolder {
        key_id: key.id,
        name: key.name.clone(),
        scopes: api_keys::scopes_of(&key),
        committee: key.committee_id.clone(),
        party: key.party_id.clone(),
        scope,
    }))
}
