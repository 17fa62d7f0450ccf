//! A party's webhook endpoints, managed the way svix and Stripe let integrations manage
//! theirs: created with a secret shown once, filtered by event type, rotated with an
//! overlap in which both secrets sign, disabled with a reason, tested, and watched through
//! their delivery log.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::{DirectoryCache, DirectoryError, Writes, write};
use crate::{
    channels::{signature::SigningKey, webhook::WebhookSender},
    domain::{
        Actor, FieldError,
        delivery::{DeliveryStatus, SendOutcome},
        directory::{
            ChangeAction, ChangeSubject, Directory, DirectoryChange, Disabled, Endpoint,
            EndpointDraft, MAX_ENDPOINTS, Party, check_reason, endpoint_record, new_endpoint_id,
            new_webhook_secret,
        },
        webhook::{EndpointTestData, EventData, WebhookEvent},
    },
    storage::{Database, DbErr, deliveries::DeliveryRow, directory as store},
};

/// The longest overlap of a rotation.
pub const MAX_OVERLAP: Duration = Duration::from_secs(7 * 24 * 3600);

/// A new endpoint and its secret, shown this once.
pub struct NewEndpoint {
    pub endpoint: Endpoint,
    pub secret: SecretString,
}

/// A rotated endpoint, its new secret (shown this once) and when the old one stops signing.
pub struct RotatedSecret {
    pub endpoint: Endpoint,
    pub secret: SecretString,
    pub previous_expires_at: DateTime<Utc>,
}

/// The fields of an endpoint to change; the others stay.
#[derive(Debug, Clone, Default)]
pub struct EndpointChange {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
}

fn endpoint_of<'a>(
    dir: &'a Directory,
    party_id: &str,
    endpoint_id: &str,
) -> Result<(&'a Party, &'a Endpoint), DirectoryError> {
    let party = dir
        .party(party_id)
        .ok_or(DirectoryError::NotFound("party"))?;
    let endpoint = party
        .endpoint(endpoint_id)
        .ok_or(DirectoryError::NotFound("endpoint"))?;
    Ok((party, endpoint))
}

fn endpoint_change(actor: &Actor, e: &Endpoint, action: ChangeAction) -> DirectoryChange {
    DirectoryChange::new(
        actor,
        Utc::now(),
        ChangeSubject::Endpoint,
        &e.id,
        Some(&e.party_id),
        action,
    )
}

/// Saves `after` in place of `before` with one audit record.
fn replaced(
    actor: &Actor,
    before: &Endpoint,
    after: Endpoint,
    action: ChangeAction,
) -> (Endpoint, Writes) {
    let change = endpoint_change(actor, before, action)
        .before(endpoint_record(before))
        .after(endpoint_record(&after));
    (
        after.clone(),
        Writes {
            endpoints: vec![after],
            changes: vec![change],
            ..Writes::default()
        },
    )
}

/// Where `url` leads, checked by the network guard that every send goes through.
async fn guard_url(sender: &WebhookSender, url: &str) -> Result<(), DirectoryError> {
    let Ok(parsed) = url::Url::parse(url) else {
        return Ok(());
    };
    match sender.guard().refuse_url(&parsed).await {
        Some(reason) => Err(DirectoryError::field(
            "url",
            "private_network",
            format!(
                "must lead to a public address: {reason} (an operator can allow a network in webhooks.allow_networks)"
            ),
        )),
        None => Ok(()),
    }
}

/// Adds an endpoint to a party; its secret is the one supplied or a new one.
pub async fn create_endpoint(
    db: &Database,
    cache: &DirectoryCache,
    sender: &WebhookSender,
    actor: &Actor,
    party_id: &str,
    draft: EndpointDraft,
) -> Result<NewEndpoint, DirectoryError> {
    let checked = draft.check().map_err(DirectoryError::Invalid)?;
    guard_url(sender, &checked.url).await?;
    write(db, cache, |dir| {
        let party = dir
            .party(party_id)
            .ok_or(DirectoryError::NotFound("party"))?;
        if party.endpoints.len() >= MAX_ENDPOINTS {
            return Err(DirectoryError::Invalid(vec![
                FieldError::new(
                    "url",
                    "too_many",
                    format!("a party has at most {MAX_ENDPOINTS} endpoints"),
                )
                .with_limit(MAX_ENDPOINTS),
            ]));
        }
        let now = Utc::now();
        let secret = SecretString::from(checked.secret.unwrap_or_else(new_webhook_secret));
        let endpoint = Endpoint {
            id: new_endpoint_id(),
            party_id: party.id.clone(),
            url: checked.url,
            description: checked.description,
            secret: secret.clone(),
            previous_secret: None,
            previous_expires_at: None,
            event_types: checked.event_types,
            disabled: None,
            created_at: now,
            updated_at: now,
        };
        let change = endpoint_change(actor, &endpoint, ChangeAction::Created)
            .after(endpoint_record(&endpoint));
        Ok((
            NewEndpoint {
                endpoint: endpoint.clone(),
                secret,
            },
            Writes {
                endpoints: vec![endpoint],
                changes: vec![change],
                ..Writes::default()
            },
        ))
    })
    .await
}

/// Changes an endpoint's URL, description or event types.
pub async fn update_endpoint(
    db: &Database,
    cache: &DirectoryCache,
    sender: &WebhookSender,
    actor: &Actor,
    party_id: &str,
    endpoint_id: &str,
    change: EndpointChange,
) -> Result<Endpoint, DirectoryError> {
    cache.refresh(db).await?;
    let current = {
        let dir = cache.current();
        endpoint_of(&dir, party_id, endpoint_id)?.1.clone()
    };
    let draft = EndpointDraft {
        url: change.url.unwrap_or_else(|| current.url.clone()),
        description: change
            .description
            .unwrap_or_else(|| current.description.clone()),
        event_types: change
            .event_types
            .unwrap_or_else(|| current.event_types.iter().map(|t| t.to_string()).collect()),
        secret: None,
    };
    let checked = draft.check().map_err(DirectoryError::Invalid)?;
    if checked.url != current.url {
        guard_url(sender, &checked.url).await?;
    }
    write(db, cache, |dir| {
        let (_, before) = endpoint_of(dir, party_id, endpoint_id)?;
        let mut after = before.clone();
        after.url = checked.url;
        after.description = checked.description;
        after.event_types = checked.event_types;
        if endpoint_record(&after) == endpoint_record(before) {
            return Ok((after, Writes::default()));
        }
        after.updated_at = Utc::now();
        Ok(replaced(actor, before, after, ChangeAction::Updated))
    })
    .await
}

/// Gives an endpoint a new secret (the one supplied, or a new one); the old one keeps
/// signing beside it for `overlap`, so a receiver can switch without losing a message.
pub async fn rotate_secret(
    db: &Database,
    cache: &DirectoryCache,
    actor: &Actor,
    party_id: &str,
    endpoint_id: &str,
    secret: Option<String>,
    overlap: Duration,
) -> Result<RotatedSecret, DirectoryError> {
    if overlap > MAX_OVERLAP {
        return Err(DirectoryError::field(
            "overlap_seconds",
            "out_of_range",
            format!("must be at most {} seconds (7 days)", MAX_OVERLAP.as_secs()),
        ));
    }
    if let Some(s) = &secret
        && let Err(rule) = crate::domain::directory::check_webhook_secret(s.trim())
    {
        return Err(DirectoryError::field("secret", "webhook_secret", rule));
    }
    write(db, cache, |dir| {
        let (_, before) = endpoint_of(dir, party_id, endpoint_id)?;
        let now = Utc::now();
        let secret =
            SecretString::from(secret.map_or_else(new_webhook_secret, |s| s.trim().to_owned()));
        if secret.expose_secret() == before.secret.expose_secret() {
            return Err(DirectoryError::field(
                "secret",
                "unchanged",
                "must differ from the current secret",
            ));
        }
        let until = now + TimeDelta::from_std(overlap).unwrap_or(TimeDelta::zero());
        let mut after = before.clone();
        after.previous_secret = (!overlap.is_zero()).then(|| before.secret.clone());
        after.previous_expires_at = (!overlap.is_zero()).then_some(until);
        after.secret = secret.clone();
        after.updated_at = now;
        let (endpoint, writes) = replaced(actor, before, after, ChangeAction::SecretRotated);
        Ok((
            RotatedSecret {
                endpoint,
                secret,
                previous_expires_at: until,
            },
            writes,
        ))
    })
    .await
}

/// Disables an endpoint with a reason (`Some`) or enables it (`None`).
pub async fn set_endpoint_disabled(
    db: &Database,
    cache: &DirectoryCache,
    actor: &Actor,
    party_id: &str,
    endpoint_id: &str,
    reason: Option<&str>,
) -> Result<Endpoint, DirectoryError> {
    let reason = reason
        .map(|r| check_reason("reason", r))
        .transpose()
        .map_err(|e| DirectoryError::Invalid(vec![e]))?;
    write(db, cache, |dir| {
        let (_, before) = endpoint_of(dir, party_id, endpoint_id)?;
        if before.disabled.is_some() == reason.is_some() {
            return Ok((before.clone(), Writes::default()));
        }
        let now = Utc::now();
        let mut after = before.clone();
        after.disabled = reason.map(|reason| Disabled { reason, at: now });
        after.updated_at = now;
        let action = if after.disabled.is_some() {
            ChangeAction::Disabled
        } else {
            ChangeAction::Enabled
        };
        Ok(replaced(actor, before, after, action))
    })
    .await
}

/// Removes an endpoint; its deliveries stay on their tickets.
pub async fn delete_endpoint(
    db: &Database,
    cache: &DirectoryCache,
    actor: &Actor,
    party_id: &str,
    endpoint_id: &str,
) -> Result<(), DirectoryError> {
    write(db, cache, |dir| {
        let (_, before) = endpoint_of(dir, party_id, endpoint_id)?;
        let change =
            endpoint_change(actor, before, ChangeAction::Removed).before(endpoint_record(before));
        Ok((
            (),
            Writes {
                removed_endpoints: vec![before.id.clone()],
                changes: vec![change],
                ..Writes::default()
            },
        ))
    })
    .await
}

/// What a test send did.
#[derive(Debug, Clone)]
pub struct TestResult {
    pub message_id: String,
    pub delivered: bool,
    pub status: Option<u16>,
    pub duration_ms: u64,
    pub error: Option<String>,
}

/// Sends a signed `endpoint.test` event to the endpoint now (even a disabled one, so that
/// it can be checked before it is enabled again) and records the outcome on the audit
/// trail.
pub async fn test_endpoint(
    db: &Database,
    cache: &DirectoryCache,
    sender: &WebhookSender,
    actor: &Actor,
    party_id: &str,
    endpoint_id: &str,
) -> Result<TestResult, DirectoryError> {
    cache.refresh(db).await?;
    let endpoint = {
        let dir = cache.current();
        endpoint_of(&dir, party_id, endpoint_id)?.1.clone()
    };
    let now = Utc::now();
    let event = WebhookEvent::new(
        now,
        EventData::EndpointTest(EndpointTestData {
            endpoint: endpoint.id.clone(),
            party: endpoint.party_id.clone(),
            sent_by: actor.name.clone().or_else(|| actor.id.clone()),
        }),
    );
    let keys: Vec<SigningKey> = endpoint
        .signing_secrets(now)
        .into_iter()
        .filter_map(|s| SigningKey::parse(s.expose_secret()).ok())
        .collect();
    let message_id = format!("msg_{}", uuid::Uuid::now_v7().simple());
    let started = std::time::Instant::now();
    let outcome = sender
        .send(&endpoint.url, &message_id, &event.to_bytes(), &keys)
        .await;
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let result = match outcome {
        SendOutcome::Delivered { status, .. } => TestResult {
            message_id,
            delivered: true,
            status,
            duration_ms,
            error: None,
        },
        SendOutcome::Retry { status, error, .. } | SendOutcome::Failed { status, error, .. } => {
            TestResult {
                message_id,
                delivered: false,
                status,
                duration_ms,
                error: Some(error),
            }
        }
        SendOutcome::Gone { .. } => TestResult {
            message_id,
            delivered: false,
            status: Some(410),
            duration_ms,
            error: Some("the endpoint answered 410 Gone".to_owned()),
        },
        SendOutcome::Refused { reason } => TestResult {
            message_id,
            delivered: false,
            status: None,
            duration_ms,
            error: Some(reason),
        },
    };
    let change = endpoint_change(actor, &endpoint, ChangeAction::Tested).after(json!({
        "message_id": result.message_id,
        "delivered": result.delivered,
        "status": result.status,
        "duration_ms": result.duration_ms,
        "error": result.error,
    }));
    let tx = db.begin_write().await?;
    store::record(&*tx, &[change]).await?;
    tx.commit().await?;
    Ok(result)
}

/// An endpoint's deliveries over a window: counts, success rate and the newest ones.
#[derive(Debug, Clone)]
pub struct EndpointActivity {
    pub since: DateTime<Utc>,
    pub delivered: u64,
    pub failed: u64,
    pub pending: u64,
    /// Delivered over delivered and failed; none when neither happened.
    pub success_rate: Option<f64>,
    pub recent: Vec<DeliveryRow>,
}

/// The endpoint's deliveries of the last `window`, with at most `recent` of the newest.
pub async fn activity(
    db: &Database,
    endpoint_id: &str,
    window: Duration,
    recent: usize,
) -> Result<EndpointActivity, DbErr> {
    let since = Utc::now() - TimeDelta::from_std(window).unwrap_or(TimeDelta::zero());
    let rows = store::endpoint_outcomes(db.conn(), endpoint_id, since).await?;
    let count = |s: DeliveryStatus| rows.iter().filter(|d| d.status == s).count() as u64;
    let (delivered, failed) = (
        count(DeliveryStatus::Delivered),
        count(DeliveryStatus::Failed),
    );
    let pending = rows.len() as u64 - delivered - failed;
    Ok(EndpointActivity {
        since,
        delivered,
        failed,
        pending,
        success_rate: (delivered + failed > 0)
            .then(|| delivered as f64 / (delivered + failed) as f64),
        recent: rows.into_iter().take(recent).collect(),
    })
}
