//! The desk's queue: filtered, searched, sorted and paged incidents of a scope, the flags
//! of each row (overdue, failed), and the counters at the top. Every query takes the
//! caller's [`Scope`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
    sea_query::{Condition, Expr, Query, QueryStatementBuilder, SelectStatement, SimpleExpr},
};
use uuid::Uuid;

use super::{
    Scope,
    entities::{delivery, incident, ticket},
};
use crate::domain::{
    ContainmentState, IncidentKind, IncidentStatus, Platform, TicketStatus,
    correspondence::Waiting, delivery::DeliveryStatus,
};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    Newest,
    Oldest,
    Updated,
}

/// Where a page starts: after this incident (and, for `Updated`, this time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub id: Uuid,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub status: Option<IncidentStatus>,
    pub kind: Option<IncidentKind>,
    pub platform: Option<Platform>,
    pub containment: Option<ContainmentState>,
    /// A committee's subtree, within the scope.
    pub committees: Option<Vec<String>>,
    pub overdue_only: bool,
    pub failed_only: bool,
    /// Only incidents with a party's message nobody has answered yet.
    pub waiting_only: bool,
    /// A reference, or part of a page address, handle or the reporter's name, email or phone.
    pub search: Option<String>,
    pub sort: Sort,
    pub after: Option<Cursor>,
    pub limit: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub open: u64,
    pub overdue_tickets: u64,
    pub failed_deliveries: u64,
    pub lost_control: u64,
    /// Tickets whose party wrote last, with messages no officer has read.
    pub unread_tickets: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    pub overdue: bool,
    pub failed: bool,
    /// Party messages no officer has read, over the incident's tickets.
    pub unread: i64,
    /// A party wrote last on one of its tickets.
    pub waiting_on_us: bool,
}

fn scoped(scope: &Scope) -> Select<incident::Entity> {
    let select = incident::Entity::find();
    match scope {
        Scope::All => select,
        Scope::Committees(ids) => select.filter(incident::COLUMN.committee_id.is_in(ids.clone())),
    }
}

/// Whether `inner` has a row that belongs to the outer incident row.
///
/// A scalar subquery rather than `EXISTS`: SQLite (3.51) turns an `EXISTS` into a join,
/// and then sorts every incident of a committee before it can take the first page, where
/// this form lets it stop after the page (1.6 ms instead of 1.8 s on a million incidents).
fn exists_for_incident(mut inner: SelectStatement) -> SimpleExpr {
    let inner = inner
        .and_where(
            Expr::col((ticket::Entity, ticket::Column::IncidentId))
                .equals((incident::Entity, incident::Column::Id)),
        )
        .limit(1)
        .to_owned();
    SimpleExpr::SubQuery(None, Box::new(inner.into_sub_query_statement())).is_not_null()
}

/// The outer incident has a ticket past its deadline that still waits for the party.
fn has_overdue_ticket(now: DateTime<Utc>) -> SimpleExpr {
    exists_for_incident(
        Query::select()
            .expr(Expr::val(1))
            .from(ticket::Entity)
            .and_where(
                Expr::col((ticket::Entity, ticket::Column::Status)).is_in(TicketStatus::OPEN),
            )
            .and_where(Expr::col((ticket::Entity, ticket::Column::DeadlineAt)).lt(now))
            .and_where(Expr::col((ticket::Entity, ticket::Column::PausedAt)).is_null())
            .to_owned(),
    )
}

/// The outer incident has a ticket whose party wrote last.
fn has_ticket_waiting_on_us() -> SimpleExpr {
    exists_for_incident(
        Query::select()
            .expr(Expr::val(1))
            .from(ticket::Entity)
            .and_where(Expr::col((ticket::Entity, ticket::Column::Waiting)).eq(Waiting::OnUs))
            .to_owned(),
    )
}

/// The outer incident has a failed ticket, or a ticket with a delivery that gave up.
fn has_failed_ticket() -> SimpleExpr {
    exists_for_incident(
        Query::select()
            .expr(Expr::val(1))
            .from(ticket::Entity)
            .cond_where(
                Condition::any()
                    .add(
                        Expr::col((ticket::Entity, ticket::Column::Status))
                            .eq(TicketStatus::Failed),
                    )
                    .add(Expr::exists(
                        Query::select()
                            .expr(Expr::val(1))
                            .from(delivery::Entity)
                            .and_where(
                                Expr::col((delivery::Entity, delivery::Column::TicketId))
                                    .equals((ticket::Entity, ticket::Column::Id)),
                            )
                            .and_where(
                                Expr::col((delivery::Entity, delivery::Column::Status))
                                    .eq(DeliveryStatus::Failed),
                            )
                            .to_owned(),
                    )),
            )
            .to_owned(),
    )
}

/// `EXISTS` over the ticket's incident, within the scope, matching `cond`.
fn ticket_incident(scope: &Scope, cond: Condition) -> SimpleExpr {
    let mut q = Query::select();
    q.expr(Expr::val(1))
        .from(incident::Entity)
        .and_where(
            Expr::col((incident::Entity, incident::Column::Id))
                .equals((ticket::Entity, ticket::Column::IncidentId)),
        )
        .cond_where(cond);
    if let Scope::Committees(ids) = scope {
        q.and_where(
            Expr::col((incident::Entity, incident::Column::CommitteeId)).is_in(ids.clone()),
        );
    }
    Expr::exists(q.to_owned())
}

fn search(term: &str) -> Condition {
    let pattern = format!(
        "%{}%",
        term.to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    Condition::any()
        .add(Expr::col(incident::Column::Reference).eq(term.to_uppercase()))
        .add(
            Expr::col(incident::Column::SearchText)
                .like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')),
        )
}

pub async fn page(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    filter: &QueueFilter,
    now: DateTime<Utc>,
) -> Result<Vec<incident::Model>, DbErr> {
    let mut select = scoped(scope);
    if let Some(status) = filter.status {
        select = select.filter(incident::COLUMN.status.eq(status));
    }
    if let Some(kind) = filter.kind {
        select = select.filter(incident::COLUMN.kind.eq(kind));
    }
    if let Some(platform) = filter.platform {
        select = select.filter(incident::COLUMN.page_platform.eq(platform));
    }
    if let Some(containment) = filter.containment {
        select = select.filter(incident::COLUMN.containment.eq(containment));
    }
    if let Some(committees) = &filter.committees {
        select = select.filter(incident::COLUMN.committee_id.is_in(committees.clone()));
    }
    if filter.overdue_only {
        select = select
            .filter(incident::COLUMN.status.is_not_in(IncidentStatus::FINISHED))
            .filter(has_overdue_ticket(now));
    }
    if filter.failed_only {
        select = select.filter(has_failed_ticket());
    }
    if filter.waiting_only {
        select = select.filter(has_ticket_waiting_on_us());
    }
    if let Some(term) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        select = select.filter(search(term));
    }
    if let Some(after) = filter.after {
        select = match (filter.sort, after.updated_at) {
            (Sort::Newest, _) => select.filter(incident::COLUMN.id.lt(after.id)),
            (Sort::Oldest, _) => select.filter(incident::COLUMN.id.gt(after.id)),
            (Sort::Updated, Some(at)) => select.filter(
                Condition::any()
                    .add(incident::COLUMN.updated_at.lt(at))
                    .add(
                        Condition::all()
                            .add(incident::COLUMN.updated_at.eq(at))
                            .add(incident::COLUMN.id.lt(after.id)),
                    ),
            ),
            (Sort::Updated, None) => select.filter(incident::COLUMN.id.lt(after.id)),
        };
    }
    select = match filter.sort {
        Sort::Newest => select.order_by_desc(incident::Column::Id),
        Sort::Oldest => select.order_by_asc(incident::Column::Id),
        Sort::Updated => select
            .order_by_desc(incident::Column::UpdatedAt)
            .order_by_desc(incident::Column::Id),
    };
    select.limit(filter.limit).all(conn).await
}

/// Whether each incident has an overdue ticket or a failed ticket or delivery.
pub async fn flags(
    conn: &impl ConnectionTrait,
    incidents: &[incident::Model],
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, Flags>, DbErr> {
    let mut flags: HashMap<Uuid, Flags> = HashMap::new();
    if incidents.is_empty() {
        return Ok(flags);
    }
    let ids: Vec<Uuid> = incidents.iter().map(|i| i.id).collect();
    let finished: Vec<Uuid> = incidents
        .iter()
        .filter(|i| i.status.is_finished())
        .map(|i| i.id)
        .collect();
    let tickets = ticket::Entity::find()
        .filter(ticket::COLUMN.incident_id.is_in(ids))
        .all(conn)
        .await?;
    let failed_deliveries: Vec<Uuid> = failed_deliveries_of(tickets.iter().map(|t| t.id).collect())
        .into_tuple()
        .all(conn)
        .await?;
    for t in &tickets {
        let entry = flags.entry(t.incident_id).or_default();
        if t.status.is_open()
            && t.deadline_at < now
            && t.paused_at.is_none()
            && !finished.contains(&t.incident_id)
        {
            entry.overdue = true;
        }
        if t.status == TicketStatus::Failed || failed_deliveries.contains(&t.id) {
            entry.failed = true;
        }
        entry.unread += i64::from(t.unread);
        entry.waiting_on_us |= t.waiting == Waiting::OnUs;
    }
    Ok(flags)
}

/// The ticket of each failed delivery of these tickets.
fn failed_deliveries_of(ticket_ids: Vec<Uuid>) -> Select<delivery::Entity> {
    delivery::Entity::find()
        .select_only()
        .column(delivery::Column::TicketId)
        .filter(super::checked_on_found_rows(
            delivery::COLUMN.status.eq(DeliveryStatus::Failed),
        ))
        .filter(delivery::COLUMN.ticket_id.is_in(ticket_ids))
}

/// Tickets of the scope past their deadline that still wait for the party, of incidents
/// neither closed nor rejected. Driven by the few open tickets, each checked against its
/// incident, rather than by the scope's whole history.
pub async fn overdue_tickets(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    ticket::Entity::find()
        .filter(ticket::COLUMN.status.is_in(TicketStatus::OPEN))
        .filter(ticket::COLUMN.deadline_at.lt(now))
        .filter(ticket::Column::PausedAt.is_null())
        .filter(ticket_incident(
            scope,
            Condition::all().add(
                Expr::col((incident::Entity, incident::Column::Status))
                    .is_not_in(IncidentStatus::FINISHED),
            ),
        ))
        .count(conn)
        .await
}

pub async fn counters(
    conn: &impl ConnectionTrait,
    scope: &Scope,
    now: DateTime<Utc>,
) -> Result<Counters, DbErr> {
    let open = scoped(scope)
        .filter(incident::COLUMN.status.is_in(IncidentStatus::ACTIVE))
        .count(conn)
        .await?;
    let lost_control = scoped(scope)
        .filter(
            incident::COLUMN
                .containment
                .eq(ContainmentState::LostControl),
        )
        .filter(incident::COLUMN.status.is_in(IncidentStatus::ACTIVE))
        .count(conn)
        .await?;
    let mut failed =
        delivery::Entity::find().filter(delivery::COLUMN.status.eq(DeliveryStatus::Failed));
    if matches!(scope, Scope::Committees(_)) {
        failed = failed.filter(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(ticket::Entity)
                .and_where(
                    Expr::col((ticket::Entity, ticket::Column::Id))
                        .equals((delivery::Entity, delivery::Column::TicketId)),
                )
                .and_where(ticket_incident(scope, Condition::all()))
                .to_owned(),
        ));
    }
    let unread_tickets = ticket::Entity::find()
        .filter(ticket::COLUMN.unread.gt(0))
        .filter(ticket_incident(scope, Condition::all()))
        .count(conn)
        .await?;
    Ok(Counters {
        open,
        overdue_tickets: overdue_tickets(conn, scope, now).await?,
        failed_deliveries: failed.count(conn).await?,
        lost_control,
        unread_tickets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_failed_deliveries_of_many_tickets_are_looked_up_by_ticket() {
        super::super::assert_every_step_uses(
            &failed_deliveries_of(super::super::many_ids()),
            "idx_deliveries_ticket (ticket_id=?)",
        )
        .await;
    }
}
