//! The directory's tables: parties, their endpoints, the routing rules, the version counter
//! every instance watches, and the audit trail of changes.

use std::{collections::HashMap, time::Duration};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
    sea_query::{Expr, OnConflict},
};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::entities::{
    directory_change, directory_state, endpoint, incident, party, routing_rule, ticket,
};
use crate::domain::{
    Actor, IncidentKind, Named, Platform, TicketStatus,
    directory::{Directory, DirectoryChange, Disabled, Endpoint, NamedContact, Names, Party},
    routing::{AuthorityRule, RoutingRules, RuleKind},
};

/// Rows per INSERT: well under SQLite's limit of bound parameters.
const BATCH: usize = 500;

/// The directory's version, or `None` before it was first seeded.
pub async fn version(conn: &impl ConnectionTrait) -> Result<Option<i64>, DbErr> {
    Ok(directory_state::Entity::find_by_id(1)
        .one(conn)
        .await?
        .map(|s| s.version))
}

/// Marks the directory seeded at version 1; false when it already was.
pub async fn mark_seeded(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let inserted = directory_state::Entity::insert(directory_state::ActiveModel {
        id: Set(1),
        version: Set(1),
        seeded_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(directory_state::Column::Id)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(inserted == 1)
}

/// Tells every instance that the directory changed.
pub async fn bump(conn: &impl ConnectionTrait) -> Result<(), DbErr> {
    directory_state::Entity::update_many()
        .col_expr(
            directory_state::Column::Version,
            Expr::col(directory_state::Column::Version).add(1),
        )
        .filter(directory_state::COLUMN.id.eq(1))
        .exec(conn)
        .await
        .map(|_| ())
}

fn list<T: std::str::FromStr>(text: &str) -> Vec<T> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect()
}

fn join<T: Named>(items: &[T]) -> String {
    items
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn disabled(reason: Option<String>, at: Option<DateTime<Utc>>) -> Option<Disabled> {
    match (reason, at) {
        (Some(reason), Some(at)) => Some(Disabled { reason, at }),
        _ => None,
    }
}

fn endpoint_from(row: endpoint::Model) -> Endpoint {
    Endpoint {
        id: row.id,
        party_id: row.party_id,
        url: row.url,
        description: row.description,
        secret: SecretString::from(row.secret),
        previous_secret: row.previous_secret.map(SecretString::from),
        previous_expires_at: row.previous_expires_at,
        event_types: list(&row.event_types),
        disabled: disabled(row.disabled_reason, row.disabled_at),
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

fn endpoint_model(e: &Endpoint) -> endpoint::ActiveModel {
    let event_types: Vec<&str> = e.event_types.iter().map(|t| t.as_ref()).collect();
    endpoint::ActiveModel {
        id: Set(e.id.clone()),
        party_id: Set(e.party_id.clone()),
        url: Set(e.url.clone()),
        description: Set(e.description.clone()),
        secret: Set(e.secret.expose_secret().to_owned()),
        previous_secret: Set(e
            .previous_secret
            .as_ref()
            .map(|s| s.expose_secret().to_owned())),
        previous_expires_at: Set(e.previous_expires_at),
        event_types: Set(event_types.join(",")),
        disabled_reason: Set(e.disabled.as_ref().map(|d| d.reason.clone())),
        disabled_at: Set(e.disabled.as_ref().map(|d| d.at)),
        created_at: Set(e.created_at),
        updated_at: Set(e.updated_at),
    }
}

fn party_model(p: &Party) -> party::ActiveModel {
    party::ActiveModel {
        id: Set(p.id.clone()),
        kind: Set(p.kind),
        parent_id: Set(p.parent.clone()),
        name_vi: Set(p.name.vi.clone()),
        name_en: Set(p.name.en.clone()),
        locale: Set(p.locale),
        ack_deadline_secs: Set(i64::try_from(p.ack_deadline.as_secs()).unwrap_or(i64::MAX)),
        active: Set(true),
        updated_at: Set(p.updated_at),
        emails: Set(serde_json::to_string(&p.emails).unwrap_or_else(|_| "[]".to_owned())),
        disabled_reason: Set(p.disabled.as_ref().map(|d| d.reason.clone())),
        disabled_at: Set(p.disabled.as_ref().map(|d| d.at)),
        contact_name: Set(p.contact.as_ref().map(|c| c.name.clone())),
        contact_phone: Set(p.contact.as_ref().and_then(|c| c.phone.clone())),
        contact_email: Set(p.contact.as_ref().and_then(|c| c.email.clone())),
    }
}

/// The whole directory as one snapshot.
pub async fn load(conn: &impl ConnectionTrait) -> Result<Directory, DbErr> {
    let version = version(conn).await?.unwrap_or(0);
    let mut endpoints: HashMap<String, Vec<Endpoint>> = HashMap::new();
    for row in endpoint::Entity::find()
        .order_by_asc(endpoint::Column::CreatedAt)
        .order_by_asc(endpoint::Column::Id)
        .all(conn)
        .await?
    {
        endpoints
            .entry(row.party_id.clone())
            .or_default()
            .push(endpoint_from(row));
    }
    let parties = party::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|row| Party {
            endpoints: endpoints.remove(&row.id).unwrap_or_default(),
            emails: serde_json::from_str(&row.emails).unwrap_or_default(),
            contact: row.contact_name.map(|name| NamedContact {
                name,
                phone: row.contact_phone,
                email: row.contact_email,
            }),
            id: row.id,
            kind: row.kind,
            parent: row.parent_id,
            name: Names {
                vi: row.name_vi,
                en: row.name_en,
            },
            locale: row.locale,
            ack_deadline: Duration::from_secs(u64::try_from(row.ack_deadline_secs).unwrap_or(0)),
            disabled: disabled(row.disabled_reason, row.disabled_at),
            updated_at: row.updated_at,
        })
        .collect();
    let routing = routing(conn).await?;
    Ok(Directory::new(version, parties, routing))
}

async fn routing(conn: &impl ConnectionTrait) -> Result<RoutingRules, DbErr> {
    let mut rules = RoutingRules::default();
    for row in routing_rule::Entity::find()
        .order_by_asc(routing_rule::Column::Position)
        .all(conn)
        .await?
    {
        match row.rule {
            RuleKind::Authority => rules.authorities.push(AuthorityRule {
                party: row.party_id,
                kinds: list::<IncidentKind>(&row.kinds),
                platforms: list::<Platform>(&row.platforms),
                min_severity: row.min_severity,
            }),
            RuleKind::Provider => {
                for platform in list::<Platform>(&row.platforms) {
                    rules.providers.insert(platform, row.party_id.clone());
                }
            }
            RuleKind::DefaultProvider => rules.default_provider = Some(row.party_id),
        }
    }
    Ok(rules)
}

/// Replaces every routing rule with `rules`.
pub async fn replace_routing(
    conn: &impl ConnectionTrait,
    rules: &RoutingRules,
) -> Result<(), DbErr> {
    routing_rule::Entity::delete_many().exec(conn).await?;
    let mut rows = Vec::new();
    let mut push = |rule: RuleKind, party: &str, kinds: String, platforms: String, min| {
        rows.push(routing_rule::ActiveModel {
            id: Set(Uuid::now_v7().simple().to_string()),
            position: Set(i32::try_from(rows.len()).unwrap_or(i32::MAX)),
            rule: Set(rule),
            party_id: Set(party.to_owned()),
            kinds: Set(kinds),
            platforms: Set(platforms),
            min_severity: Set(min),
        });
    };
    for a in &rules.authorities {
        push(
            RuleKind::Authority,
            &a.party,
            join(&a.kinds),
            join(&a.platforms),
            a.min_severity,
        );
    }
    for (platform, party) in &rules.providers {
        push(
            RuleKind::Provider,
            party,
            String::new(),
            platform.as_str().to_owned(),
            crate::domain::Severity::Low,
        );
    }
    if let Some(party) = &rules.default_provider {
        push(
            RuleKind::DefaultProvider,
            party,
            String::new(),
            String::new(),
            crate::domain::Severity::Low,
        );
    }
    if rows.is_empty() {
        return Ok(());
    }
    routing_rule::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await
        .map(|_| ())
}

/// Inserts new parties, or replaces the stored fields of existing ones (not their
/// endpoints).
pub async fn save_parties(conn: &impl ConnectionTrait, parties: &[&Party]) -> Result<(), DbErr> {
    for chunk in parties.chunks(BATCH) {
        party::Entity::insert_many(chunk.iter().map(|p| party_model(p)))
            .on_conflict(
                OnConflict::column(party::Column::Id)
                    .update_columns([
                        party::Column::ParentId,
                        party::Column::NameVi,
                        party::Column::NameEn,
                        party::Column::Locale,
                        party::Column::AckDeadlineSecs,
                        party::Column::Active,
                        party::Column::UpdatedAt,
                        party::Column::Emails,
                        party::Column::DisabledReason,
                        party::Column::DisabledAt,
                        party::Column::ContactName,
                        party::Column::ContactPhone,
                        party::Column::ContactEmail,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// Inserts or replaces endpoints.
pub async fn save_endpoints(
    conn: &impl ConnectionTrait,
    endpoints: &[&Endpoint],
) -> Result<(), DbErr> {
    for chunk in endpoints.chunks(BATCH) {
        endpoint::Entity::insert_many(chunk.iter().map(|e| endpoint_model(e)))
            .on_conflict(
                OnConflict::column(endpoint::Column::Id)
                    .update_columns([
                        endpoint::Column::Url,
                        endpoint::Column::Description,
                        endpoint::Column::Secret,
                        endpoint::Column::PreviousSecret,
                        endpoint::Column::PreviousExpiresAt,
                        endpoint::Column::EventTypes,
                        endpoint::Column::DisabledReason,
                        endpoint::Column::DisabledAt,
                        endpoint::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

pub async fn delete_endpoint(conn: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    endpoint::Entity::delete_by_id(id.to_owned())
        .exec(conn)
        .await
        .map(|_| ())
}

pub async fn delete_party(conn: &impl ConnectionTrait, id: &str) -> Result<(), DbErr> {
    endpoint::Entity::delete_many()
        .filter(endpoint::COLUMN.party_id.eq(id))
        .exec(conn)
        .await?;
    party::Entity::delete_by_id(id.to_owned())
        .exec(conn)
        .await
        .map(|_| ())
}

/// What a party's history holds: its open tickets, all its tickets, and the incidents
/// filed for it as a committee.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct History {
    pub open_tickets: u64,
    pub tickets: u64,
    pub incidents: u64,
}

pub async fn history(conn: &impl ConnectionTrait, id: &str) -> Result<History, DbErr> {
    let open = [
        TicketStatus::Pending,
        TicketStatus::Notified,
        TicketStatus::Acknowledged,
        TicketStatus::Failed,
    ];
    Ok(History {
        open_tickets: ticket::Entity::find()
            .filter(ticket::COLUMN.party_id.eq(id))
            .filter(ticket::COLUMN.status.is_in(open))
            .count(conn)
            .await?,
        tickets: ticket::Entity::find()
            .filter(ticket::COLUMN.party_id.eq(id))
            .count(conn)
            .await?,
        incidents: incident::Entity::find()
            .filter(incident::COLUMN.committee_id.eq(id))
            .count(conn)
            .await?,
    })
}

/// Appends changes to the audit trail.
pub async fn record(conn: &impl ConnectionTrait, changes: &[DirectoryChange]) -> Result<(), DbErr> {
    let text = |v: &Option<serde_json::Value>| v.as_ref().map(ToString::to_string);
    for chunk in changes.chunks(BATCH) {
        directory_change::Entity::insert_many(chunk.iter().map(|c| {
            directory_change::ActiveModel {
                id: Set(c.id),
                at: Set(c.at),
                actor_kind: Set(c.actor.kind),
                actor_id: Set(c.actor.id.clone()),
                actor_name: Set(c.actor.name.clone()),
                subject: Set(c.subject),
                subject_id: Set(c.subject_id.clone()),
                party_id: Set(c.party_id.clone()),
                action: Set(c.action),
                before: Set(text(&c.before)),
                after: Set(text(&c.after)),
            }
        }))
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

/// The newest changes first, of one party when given, older than `before` when given.
pub async fn changes(
    conn: &impl ConnectionTrait,
    party_id: Option<&str>,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<DirectoryChange>, DbErr> {
    let mut query = directory_change::Entity::find();
    if let Some(p) = party_id {
        query = query.filter(directory_change::COLUMN.party_id.eq(p));
    }
    changes_page(conn, query, before, limit).await
}

/// The audit trail of the parties `party_ids` (a committee's subtree), newest first,
/// older than `before`.
pub async fn changes_of(
    conn: &impl ConnectionTrait,
    party_ids: &[String],
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<DirectoryChange>, DbErr> {
    let query = directory_change::Entity::find()
        .filter(directory_change::COLUMN.party_id.is_in(party_ids.to_vec()));
    changes_page(conn, query, before, limit).await
}

async fn changes_page(
    conn: &impl ConnectionTrait,
    mut query: sea_orm::Select<directory_change::Entity>,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<DirectoryChange>, DbErr> {
    if let Some(before) = before {
        query = query.filter(directory_change::COLUMN.id.lt(before));
    }
    let parse = |t: Option<String>| t.and_then(|t| serde_json::from_str(&t).ok());
    Ok(query
        .order_by_desc(directory_change::Column::Id)
        .limit(limit)
        .all(conn)
        .await?
        .into_iter()
        .map(|row| DirectoryChange {
            id: row.id,
            at: row.at,
            actor: Actor {
                kind: row.actor_kind,
                id: row.actor_id,
                name: row.actor_name,
            },
            subject: row.subject,
            subject_id: row.subject_id,
            party_id: row.party_id,
            action: row.action,
            before: parse(row.before),
            after: parse(row.after),
        })
        .collect())
}

/// Webhook deliveries to an endpoint since `since`: how many were delivered and how many
/// failed for good, for its success rate.
pub async fn endpoint_outcomes(
    conn: &impl ConnectionTrait,
    endpoint_id: &str,
    since: DateTime<Utc>,
) -> Result<Vec<super::deliveries::DeliveryRow>, DbErr> {
    use super::entities::delivery;
    delivery::Entity::find()
        .filter(delivery::COLUMN.endpoint_id.eq(endpoint_id))
        .filter(delivery::COLUMN.created_at.gte(since))
        .order_by_desc(delivery::Column::Id)
        .all(conn)
        .await
}
