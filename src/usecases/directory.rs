//! The directory as data: every instance routes and sends from a cached snapshot, which a
//! watcher reloads when the version counter in the database moves (checked every second);
//! every change is written with its audit record and a new version in one transaction.
//! An empty directory is seeded from the config's `[parties]` and `[routing]`.

mod endpoints;
mod import;

use std::{
    sync::{Arc, RwLock},
    time::Duration,
};

use chrono::{DateTime, Utc};

pub use endpoints::{
    EndpointActivity, EndpointChange, NewEndpoint, RotatedSecret, TestResult, activity,
    create_endpoint, delete_endpoint, rotate_secret, set_endpoint_disabled, test_endpoint,
    update_endpoint,
};
pub use import::{ImportReport, import, seed_if_empty};

use crate::{
    domain::{
        Actor, FieldError,
        directory::{
            ChangeAction, ChangeSubject, Directory, DirectoryChange, Disabled, Endpoint, Party,
            PartyDraft, check_reason, party_record, routing_record,
        },
        routing::{PartyKind, RoutingRules},
    },
    storage::{Database, DbErr, directory as store},
};

/// Why a directory change was not made.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// The change contradicts what is stored (a party with open tickets cannot go).
    #[error("{message}")]
    Refused { rule: &'static str, message: String },
    #[error(transparent)]
    Storage(#[from] DbErr),
}

impl DirectoryError {
    fn field(field: &str, rule: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, rule, message)])
    }
}

/// The snapshot every reader shares; replaced whole when the directory changes.
#[derive(Clone, Default)]
pub struct DirectoryCache {
    current: Arc<RwLock<Arc<Directory>>>,
}

impl DirectoryCache {
    /// Seeds an empty directory from `settings`, then loads it.
    pub async fn open(db: &Database, settings: &crate::config::Settings) -> anyhow::Result<Self> {
        seed_if_empty(db, settings).await?;
        let cache = Self::default();
        cache.reload(db).await?;
        for gap in cache.current().routing_gaps() {
            tracing::warn!(%gap, "the directory's routing leaves out a party that every report should reach");
        }
        Ok(cache)
    }

    pub fn current(&self) -> Arc<Directory> {
        self.current
            .read()
            .map(|d| d.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    async fn reload(&self, db: &Database) -> Result<(), DbErr> {
        let fresh = Arc::new(store::load(db.conn()).await?);
        let mut current = self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if fresh.version() >= current.version() {
            *current = fresh;
        }
        Ok(())
    }

    /// Reloads when the stored version differs from the snapshot's; true when it did.
    pub async fn refresh(&self, db: &Database) -> Result<bool, DbErr> {
        let stored = store::version(db.conn()).await?.unwrap_or(0);
        if stored == self.current().version() {
            return Ok(false);
        }
        self.reload(db).await?;
        Ok(true)
    }

    /// Checks the stored version every `every` and reloads on a change, so that a change
    /// made by another instance is seen within that time.
    pub fn spawn_watch(&self, db: Database, every: Duration) {
        let cache = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match cache.refresh(&db).await {
                    Ok(true) => {
                        tracing::info!(version = cache.current().version(), "directory reloaded")
                    }
                    Ok(false) => {}
                    Err(error) => tracing::warn!(%error, "could not check the directory version"),
                }
            }
        });
    }
}

/// What one directory change writes.
#[derive(Default)]
pub(crate) struct Writes {
    parties: Vec<Party>,
    endpoints: Vec<Endpoint>,
    removed_endpoints: Vec<String>,
    removed_party: Option<String>,
    routing: Option<RoutingRules>,
    changes: Vec<DirectoryChange>,
}

/// Plans a change against the newest snapshot with `plan`, writes it with its audit
/// records and a new version in one transaction, and refreshes the snapshot.
pub(crate) async fn write<T>(
    db: &Database,
    cache: &DirectoryCache,
    plan: impl FnOnce(&Directory) -> Result<(T, Writes), DirectoryError>,
) -> Result<T, DirectoryError> {
    cache.refresh(db).await?;
    let (out, writes) = plan(&cache.current())?;
    if writes.changes.is_empty() {
        return Ok(out);
    }
    let tx = db.begin_write().await?;
    store_writes(&*tx, &writes).await?;
    tx.commit().await?;
    cache.refresh(db).await?;
    Ok(out)
}

async fn store_writes(conn: &impl crate::storage::Conn, w: &Writes) -> Result<(), DbErr> {
    if !w.parties.is_empty() {
        store::save_parties(conn, &w.parties.iter().collect::<Vec<_>>()).await?;
    }
    if !w.endpoints.is_empty() {
        store::save_endpoints(conn, &w.endpoints.iter().collect::<Vec<_>>()).await?;
    }
    for id in &w.removed_endpoints {
        store::delete_endpoint(conn, id).await?;
    }
    if let Some(id) = &w.removed_party {
        store::delete_party(conn, id).await?;
    }
    if let Some(rules) = &w.routing {
        store::replace_routing(conn, rules).await?;
    }
    store::record(conn, &w.changes).await?;
    store::bump(conn).await
}

fn party_change(
    actor: &Actor,
    now: DateTime<Utc>,
    id: &str,
    action: ChangeAction,
) -> DirectoryChange {
    DirectoryChange::new(actor, now, ChangeSubject::Party, id, Some(id), action)
}

/// Adds a party.
pub async fn create_party(
    db: &Database,
    cache: &DirectoryCache,
    actor: &Actor,
    draft: PartyDraft,
) -> Result<Party, DirectoryError> {
    write(db, cache, |dir| {
        let party = draft.check(dir, None).map_err(DirectoryError::Invalid)?;
        let now = Utc::now();
        let change =
            party_change(actor, now, &party.id, ChangeAction::Created).after(party_record(&party));
        Ok((
            party.clone(),
            Writes {
                parties: vec![party],
                changes: vec![change],
                ..Writes::default()
            },
        ))
    })
    .await
}

/// Edits a party's names, locale, deadline, addresses and (for a committee) its parent.
pub async fn update_party(
    db: &Database,
    cache: &DirectoryCache,
    actor: &Actor,
    id: &str,
    draft: PartyDraft,
) -> Result<Party, DirectoryError> {
    write(db, cache, |dir| {
        let before = dir.party(id).ok_or(DirectoryError::NotFound("party"))?;
        let after = draft
            .check(dir, Some(before))
            .map_err(DirectoryError::Invalid)?;
        let (b, a) = (party_record(before), party_record(&after));
        if a == b {
            return Ok((after, Writes::default()));
        }
        let change = party_change(actor, Utc::now(), id, ChangeAction::Updated)
            .before(b)
            .after(a);
        Ok((
            after.clone(),
            Writes {
                parties: vec![after],
                changes: vec![change],
                ..Writes::default()
            },
        ))
    })
    .await
}

/// Disables a party with a reason (`Some`), or enables it again (`None`). A disabled party
/// keeps its history, receives nothing new, and a disabled committee takes no new report;
/// its incidents stay visible to the committees above it.
pub async fn set_party_disabled(
    db: &Database,
    cache: &DirectoryCache,
    actor: &Actor,
    id: &str,
    reason: Option<&str>,
) -> Result<Party, DirectoryError> {
    let reason = reason
        .map(|r| check_reason("reason", r))
        .transpose()
        .map_err(|e| DirectoryError::Invalid(vec![e]))?;
    write(db, cache, |dir| {
        let before = dir.party(id).ok_or(DirectoryError::NotFound("party"))?;
        let now = Utc::now();
        let mut after = before.clone();
        after.disabled = reason.map(|reason| Disabled { reason, at: now });
        after.updated_at = now;
        if before.disabled.is_some() == after.disabled.is_some() {
            return Ok((before.clone(), Writes::default()));
        }
        let action = if after.disabled.is_some() {
            ChangeAction::Disabled
        } else {
            ChangeAction::Enabled
        };
        let change = party_change(actor, now, id, action)
            .before(party_record(before))
            .after(party_record(&after));
        Ok((
            after.clone(),
            Writes {
                parties: vec![after],
                changes: vec![change],
                ..Writes::default()
            },
        ))
    })
    .await
}

/// Removes a party that has no history: refused while it has open tickets (with their
/// count), and while anything refers to it (tickets, incidents, committees below it,
/// routing rules); such a party can be disabled.
pub async fn remove_party(
    db: &Database,
    cache: &DirectoryCache,
    actor: &Actor,
    id: &str,
) -> Result<(), DirectoryError> {
    let history = store::history(db.conn(), id).await?;
    write(db, cache, |dir| {
        let before = dir.party(id).ok_or(DirectoryError::NotFound("party"))?;
        let refuse = |rule, message: String| Err(DirectoryError::Refused { rule, message });
        if history.open_tickets > 0 {
            return refuse(
                "open_tickets",
                format!(
                    "`{id}` has {} open ticket(s); disable it instead, or remove it once they are closed",
                    history.open_tickets
                ),
            );
        }
        if history.tickets > 0 || history.incidents > 0 {
            return refuse(
                "has_history",
                format!(
                    "`{id}` has {} ticket(s) and {} incident(s) on record; disable it instead to keep that history",
                    history.tickets, history.incidents
                ),
            );
        }
        if dir.child_count(id) > 0 {
            return refuse(
                "has_children",
                format!(
                    "`{id}` has {} committee(s) below it; move or remove them first",
                    dir.child_count(id)
                ),
            );
        }
        if dir
            .routing()
            .named_parties()
            .iter()
            .any(|(_, party)| *party == id)
        {
            return refuse(
                "routed",
                format!("`{id}` is named by a routing rule; change the rules first"),
            );
        }
        let change = party_change(actor, Utc::now(), id, ChangeAction::Removed)
            .before(party_record(before));
        Ok((
            (),
            Writes {
                removed_party: Some(id.to_owned()),
                changes: vec![change],
                ..Writes::default()
            },
        ))
    })
    .await
}

/// Replaces the routing rules; every party they name must exist with the right kind.
pub async fn save_routing(
    db: &Database,
    cache: &DirectoryCache,
    actor: &Actor,
    rules: RoutingRules,
) -> Result<RoutingRules, DirectoryError> {
    write(db, cache, |dir| {
        let mut errors = Vec::new();
        for (key, party) in rules.named_parties() {
            let wanted = if key.starts_with("routing.authorities") {
                PartyKind::Authority
            } else {
                PartyKind::Provider
            };
            let field = key.trim_start_matches("routing.").to_owned();
            match dir.party(party) {
                None => errors.push(FieldError::new(
                    field,
                    "unknown_party",
                    format!("`{party}` is not a party"),
                )),
                Some(p) if p.kind != wanted => errors.push(FieldError::new(
                    field,
                    "wrong_kind",
                    format!("`{party}` is a {}, but this rule needs a {wanted}", p.kind),
                )),
                Some(_) => {}
            }
        }
        if !errors.is_empty() {
            return Err(DirectoryError::Invalid(errors));
        }
        let (before, after) = (routing_record(dir.routing()), routing_record(&rules));
        if before == after {
            return Ok((rules, Writes::default()));
        }
        let change = DirectoryChange::new(
            actor,
            Utc::now(),
            ChangeSubject::Routing,
            "routing",
            None,
            ChangeAction::Updated,
        )
        .before(before)
        .after(after);
        Ok((
            rules.clone(),
            Writes {
                routing: Some(rules),
                changes: vec![change],
                ..Writes::default()
            },
        ))
    })
    .await
}

/// The audit trail, newest first: of one party when given, older than `before`.
pub async fn changes(
    db: &Database,
    party: Option<&str>,
    before: Option<uuid::Uuid>,
    limit: u64,
) -> Result<Vec<DirectoryChange>, DbErr> {
    store::changes(db.conn(), party, before, limit).await
}

/// The audit trail within `scope`, newest first, older than `before`: everything for
/// `Scope::All`, else the changes of the committees of the subtree.
pub async fn scoped_changes(
    db: &Database,
    scope: &crate::storage::Scope,
    before: Option<uuid::Uuid>,
    limit: u64,
) -> Result<Vec<DirectoryChange>, DbErr> {
    match scope {
        crate::storage::Scope::All => store::changes(db.conn(), None, before, limit).await,
        crate::storage::Scope::Committees(ids) => {
            store::changes_of(db.conn(), ids, before, limit).await
        }
    }
}
