//! The acknowledge page behind the signed link in a party's email. Opening the link
//! changes nothing (mail scanners open links); the form's POST acknowledges.

use actix_web::{HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use crate::{
    config::Locale,
    domain::{Actor, ActorKind, BoundedText, TextRule, TicketStatus},
    notify::ack_link::AckLinkError,
    startup::AppState,
    storage::{
        Scope,
        incidents::{self, IncidentKey},
        tickets::{self, TicketRow},
    },
    ticket_actions::{self, TicketAnswer},
};

struct Labels {
    reference: &'static str,
    party: &'static str,
    kind: &'static str,
    page: &'static str,
    status: &'static str,
    external_ref: &'static str,
    note: &'static str,
    submit: &'static str,
    title: &'static str,
    done: &'static str,
    already: &'static str,
    invalid: &'static str,
    expired: &'static str,
}

const VI: Labels = Labels {
    reference: "Mã sự cố",
    party: "Đơn vị",
    kind: "Loại sự cố",
    page: "Trang",
    status: "Trạng thái",
    external_ref: "Mã hồ sơ của đơn vị (nếu có)",
    note: "Ghi chú",
    submit: "Xác nhận đã tiếp nhận",
    title: "Xác nhận tiếp nhận sự cố",
    done: "Đã ghi nhận xác nhận của đơn vị. Cảm ơn.",
    already: "Phiếu này đã được xác nhận trước đó.",
    invalid: "Đường dẫn không hợp lệ.",
    expired: "Đường dẫn đã hết hạn. Vui lòng liên hệ ban thường trực.",
};

const EN: Labels = Labels {
    reference: "Reference",
    party: "Party",
    kind: "Kind",
    page: "Page",
    status: "Status",
    external_ref: "Your case number (optional)",
    note: "Note",
    submit: "Acknowledge",
    title: "Acknowledge an incident",
    done: "Your acknowledgement is recorded. Thank you.",
    already: "This ticket was acknowledged already.",
    invalid: "This link is not valid.",
    expired: "This link has expired. Please contact the committee.",
};

struct TicketSummary {
    reference: String,
    party: String,
    kind: String,
    page: String,
    status: String,
    external_ref: Option<String>,
    open: bool,
}

#[derive(Template)]
#[template(path = "ack.html")]
struct AckPage<'a> {
    lang: &'static str,
    title: &'static str,
    labels: &'a Labels,
    message: Option<&'static str>,
    message_class: &'static str,
    ticket: Option<TicketSummary>,
}

#[derive(Debug, Deserialize)]
pub struct AckForm {
    external_ref: Option<String>,
    note: Option<String>,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/ack/{token}")
            .route(web::get().to(show))
            .route(web::post().to(acknowledge)),
    );
}

fn page(
    status: StatusCode,
    labels: &Labels,
    locale: Locale,
    message: Option<&'static str>,
    problem: bool,
    ticket: Option<TicketSummary>,
) -> HttpResponse {
    let body = AckPage {
        lang: locale.as_str(),
        title: labels.title,
        labels,
        message,
        message_class: if problem { "problem" } else { "notice" },
        ticket,
    }
    .render()
    .unwrap_or_default();
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"))
        .body(body)
}

fn refused(error: AckLinkError) -> HttpResponse {
    match error {
        AckLinkError::Expired => page(
            StatusCode::GONE,
            &VI,
            Locale::Vi,
            Some(VI.expired),
            true,
            None,
        ),
        AckLinkError::Invalid => page(
            StatusCode::NOT_FOUND,
            &VI,
            Locale::Vi,
            Some(VI.invalid),
            true,
            None,
        ),
    }
}

async fn load(state: &AppState, token: &str) -> Result<(TicketRow, Locale), HttpResponse> {
    let id = state.ack.verify(token, Utc::now()).map_err(refused)?;
    match tickets::find(state.db.conn(), id).await {
        Ok(Some(ticket)) => {
            let locale = state
                .settings
                .party(&ticket.party_id)
                .map(|p| p.settings.locale)
                .unwrap_or_default();
            Ok((ticket, locale))
        }
        Ok(None) => Err(refused(AckLinkError::Invalid)),
        Err(error) => {
            tracing::error!(%error, "could not load a ticket for its acknowledge link");
            Err(HttpResponse::InternalServerError().finish())
        }
    }
}

fn labels(locale: Locale) -> &'static Labels {
    match locale {
        Locale::Vi => &VI,
        Locale::En => &EN,
    }
}

async fn summary(state: &AppState, ticket: &TicketRow) -> Option<TicketSummary> {
    let incident = incidents::find(
        state.db.conn(),
        &Scope::All,
        &IncidentKey::Id(ticket.incident_id),
    )
    .await
    .ok()??;
    let party = state.settings.party(&ticket.party_id);
    let name = party
        .map(|p| match p.settings.locale {
            Locale::Vi => p.settings.name.vi.clone(),
            Locale::En => p.settings.name.en.clone(),
        })
        .unwrap_or_else(|| ticket.party_id.clone());
    Some(TicketSummary {
        reference: incident.reference,
        party: name,
        kind: incident.kind,
        page: incident
            .page_url
            .or(incident.page_handle)
            .unwrap_or_default(),
        status: ticket.status.clone(),
        external_ref: ticket.external_ref.clone(),
        open: matches!(ticket.status.as_str(), "pending" | "notified" | "failed"),
    })
}

/// Shows what the link acknowledges. Changes nothing.
pub async fn show(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    let (ticket, locale) = match load(&state, &path).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let l = labels(locale);
    let message =
        (!matches!(ticket.status.as_str(), "pending" | "notified" | "failed")).then_some(l.already);
    page(
        StatusCode::OK,
        l,
        locale,
        message,
        false,
        summary(&state, &ticket).await,
    )
}

/// Acknowledges the ticket the link names, with the party's case number and a note.
pub async fn acknowledge(
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<AckForm>,
) -> HttpResponse {
    let (ticket, locale) = match load(&state, &path).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    let l = labels(locale);
    let clean = |raw: &Option<String>, rule: TextRule| {
        raw.as_deref()
            .filter(|v| !v.trim().is_empty())
            .and_then(|v| BoundedText::parse("", v, rule).ok())
    };
    let answer = TicketAnswer {
        status: TicketStatus::Acknowledged,
        external_ref: clean(&form.external_ref, TextRule::line(1, 100)),
        note: clean(&form.note, TextRule::block(1, 2000)),
    };
    let party_name = state
        .settings
        .party(&ticket.party_id)
        .map(|p| p.settings.name.en.clone());
    let actor = Actor {
        kind: ActorKind::Party,
        id: Some(ticket.party_id.clone()),
        name: party_name,
    };
    let already = !matches!(ticket.status.as_str(), "pending" | "notified" | "failed");
    match ticket_actions::answer(
        &state.db,
        &state.settings,
        &state.outbox,
        ticket.id,
        answer,
        actor,
    )
    .await
    {
        Ok(updated) => {
            let message = if already { l.already } else { l.done };
            page(
                StatusCode::OK,
                l,
                locale,
                Some(message),
                false,
                summary(&state, &updated).await,
            )
        }
        Err(crate::actions::ActionError::Transition(_)) => page(
            StatusCode::CONFLICT,
            l,
            locale,
            Some(l.already),
            true,
            summary(&state, &ticket).await,
        ),
        Err(error) => {
            tracing::error!(%error, "could not record an acknowledgement");
            HttpResponse::InternalServerError().finish()
        }
    }
}
