//! A party's webhook endpoints in the desk: add (the secret is shown once, on the page
//! that answers the form), edit, rotate the secret (the new one shown once), disable or
//! enable, delete, and send a test. Admins, and officers for the committees of their
//! subtree.

use std::collections::HashMap;

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use secrecy::ExposeSecret;

use super::{
    Desk, Failure, Fields, Opt, Who, acting, failure, party_href, party_refused, redirect, shown,
    visible,
};
use crate::{
    domain::{
        FieldError, Named, access::DirectoryRight, directory::EndpointDraft, webhook::EventType,
    },
    http::{
        extract::csrf::Csrf,
        html::{
            error::PageError,
            page::{self, Chrome},
            problems::{self, Shown},
        },
        state::AppState,
    },
    usecases::directory as uc,
};

/// The overlap of a rotation when the form leaves it empty.
const DEFAULT_OVERLAP_HOURS: u64 = 24;

#[derive(Template)]
#[template(path = "desk/directory/endpoint_form.html")]
struct EndpointFormPage {
    chrome: Chrome,
    who: Who,
    csrf_token: String,
    heading: String,
    action: String,
    back: String,
    party: String,
    url: String,
    description: String,
    event_types: Vec<Opt>,
    problems: Vec<Shown>,
}

impl EndpointFormPage {
    pub fn err(&self, id: &str) -> Option<&Shown> {
        super::problem(&self.problems, id)
    }
}

/// What a test send did, as the result page shows it.
pub struct TestView {
    pub delivered: bool,
    pub status: String,
    pub duration: String,
    pub error: String,
}

#[derive(Template)]
#[template(path = "desk/directory/endpoint_result.html")]
struct ResultPage {
    chrome: Chrome,
    who: Who,
    heading: String,
    party_href: String,
    party: String,
    url: String,
    secret: Option<String>,
    previous_until: Option<String>,
    test: Option<TestView>,
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    desk: &Desk,
    party_id: &str,
    party: &str,
    endpoint: Option<&str>,
    url: &str,
    description: &str,
    chosen: &[String],
    problems: Vec<Shown>,
) -> EndpointFormPage {
    let tr = desk.tr();
    let (title, action) = match endpoint {
        Some(ep) => (
            "desk-dir-endpoint-edit-title",
            format!("{}/endpoints/{ep}/edit", party_href(party_id)),
        ),
        None => (
            "desk-dir-endpoint-new-title",
            format!("{}/endpoints/new", party_href(party_id)),
        ),
    };
    EndpointFormPage {
        chrome: desk.chrome(title, &action),
        who: Who::of(desk),
        csrf_token: desk.csrf_token.clone(),
        heading: tr.t(title),
        action,
        back: party_href(party_id),
        party: party.to_owned(),
        url: url.to_owned(),
        description: description.to_owned(),
        event_types: EventType::ALL
            .iter()
            .map(|t| Opt {
                value: t.to_string(),
                label: t.to_string(),
                selected: chosen.iter().any(|c| *c == t.to_string()),
            })
            .collect(),
        problems,
    }
}

fn respond(
    state: &AppState,
    desk: &Desk,
    status: StatusCode,
    page: &impl Template,
) -> HttpResponse {
    desk.respond(state, status, page::render(page))
}

/// Where each field of an endpoint form is shown.
fn form_field(field: &str) -> String {
    problems::field_id(field)
}

pub async fn new_endpoint_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let desk = Desk::of(&req, &state, &session, csrf).await?;
    let dir = state.directory.current();
    let (party, right) = visible(&req, &desk, &dir, &path)?;
    if right < DirectoryRight::Contacts {
        return Err(desk.read_only(&req).into());
    }
    let name = party.name.get(desk.tr().0).to_owned();
    let page = form_page(&desk, &path, &name, None, "", "", &[], Vec::new());
    Ok(respond(&state, &desk, StatusCode::OK, &page))
}

fn party_name(state: &AppState, desk: &Desk, id: &str) -> String {
    state.directory.current().name_of(id, desk.tr().0)
}

pub async fn new_endpoint(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let f = Fields::parse(&body);
    let id = path.into_inner();
    let desk = acting(
        &req,
        &state,
        &session,
        csrf,
        f.token(),
        Some(&id),
        DirectoryRight::Contacts,
    )
    .await?;
    let chosen = f.all("event_types");
    let draft = EndpointDraft {
        url: f.get("url").to_owned(),
        description: f.get("description").to_owned(),
        event_types: chosen.clone(),
        secret: None,
    };
    let result = uc::create_endpoint(
        &state.db,
        &state.directory,
        &state.webhooks,
        &desk.officer.actor(),
        &id,
        draft,
    )
    .await;
    let name = party_name(&state, &desk, &id);
    match result {
        Ok(created) => {
            let tr = desk.tr();
            let page = ResultPage {
                chrome: desk.chrome("desk-dir-endpoint-created", &party_href(&id)),
                who: Who::of(&desk),
                heading: tr.t("desk-dir-endpoint-created"),
                party_href: party_href(&id),
                party: name,
                url: created.endpoint.url.clone(),
                secret: Some(created.secret.expose_secret().to_owned()),
                previous_until: None,
                test: None,
            };
            Ok(respond(&state, &desk, StatusCode::OK, &page))
        }
        Err(error) => match failure(&req, error)? {
            Failure::Invalid(errors) => {
                let problems = shown(desk.tr().0, &errors, form_field);
                let page = form_page(
                    &desk,
                    &id,
                    &name,
                    None,
                    f.get("url"),
                    f.get("description"),
                    &chosen,
                    problems,
                );
                Ok(respond(
                    &state,
                    &desk,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &page,
                ))
            }
            refusal => {
                party_refused(
                    &req,
                    &state,
                    &desk,
                    &id,
                    refusal,
                    form_field,
                    HashMap::new(),
                )
                .await
            }
        },
    }
}

pub async fn edit_endpoint_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, PageError> {
    let desk = Desk::of(&req, &state, &session, csrf).await?;
    let (id, ep) = path.into_inner();
    let dir = state.directory.current();
    let (party, right) = visible(&req, &desk, &dir, &id)?;
    if right < DirectoryRight::Contacts {
        return Err(desk.read_only(&req).into());
    }
    let endpoint = party.endpoint(&ep).ok_or_else(|| super::not_found(&req))?;
    let chosen: Vec<String> = endpoint
        .event_types
        .iter()
        .map(ToString::to_string)
        .collect();
    let page = form_page(
        &desk,
        &id,
        party.name.get(desk.tr().0),
        Some(&ep),
        &endpoint.url,
        &endpoint.description,
        &chosen,
        Vec::new(),
    );
    Ok(respond(&state, &desk, StatusCode::OK, &page))
}

/// The form, the party and endpoint of the path, and the officer who may change that
/// party's endpoints (CSRF checked): what every endpoint action starts with.
async fn endpoint_action(
    req: &HttpRequest,
    state: &AppState,
    session: &Session,
    csrf: Csrf,
    path: web::Path<(String, String)>,
    body: &web::Bytes,
) -> Result<(Fields, String, String, Desk), PageError> {
    let f = Fields::parse(body);
    let (id, ep) = path.into_inner();
    let desk = acting(
        req,
        state,
        session,
        csrf,
        f.token(),
        Some(&id),
        DirectoryRight::Contacts,
    )
    .await?;
    Ok((f, id, ep, desk))
}

pub async fn edit_endpoint(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let (f, id, ep, desk) = endpoint_action(&req, &state, &session, csrf, path, &body).await?;
    let chosen = f.all("event_types");
    let change = uc::EndpointChange {
        url: Some(f.get("url").to_owned()),
        description: Some(f.get("description").to_owned()),
        event_types: Some(chosen.clone()),
    };
    let result = uc::update_endpoint(
        &state.db,
        &state.directory,
        &state.webhooks,
        &desk.officer.actor(),
        &id,
        &ep,
        change,
    )
    .await;
    match result {
        Ok(_) => Ok(redirect(format!(
            "{}?done=endpoint_updated",
            party_href(&id)
        ))),
        Err(error) => match failure(&req, error)? {
            Failure::Invalid(errors) => {
                let problems = shown(desk.tr().0, &errors, form_field);
                let name = party_name(&state, &desk, &id);
                let page = form_page(
                    &desk,
                    &id,
                    &name,
                    Some(&ep),
                    f.get("url"),
                    f.get("description"),
                    &chosen,
                    problems,
                );
                Ok(respond(
                    &state,
                    &desk,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &page,
                ))
            }
            refusal => {
                party_refused(
                    &req,
                    &state,
                    &desk,
                    &id,
                    refusal,
                    form_field,
                    HashMap::new(),
                )
                .await
            }
        },
    }
}

/// The element id of a field of an endpoint's forms on the party page.
fn on_party_page(ep: &str) -> impl Fn(&str) -> String + '_ {
    move |field| match field {
        "overlap_seconds" | "overlap_hours" => format!("{ep}-overlap"),
        "reason" => format!("{ep}-reason"),
        "secret" => format!("{ep}-overlap"),
        other => problems::field_id(other),
    }
}

/// The party page again after one of an endpoint's forms on it was refused.
async fn refused_on_party(
    req: &HttpRequest,
    state: &AppState,
    desk: &Desk,
    id: &str,
    ep: &str,
    error: uc::DirectoryError,
    values: HashMap<String, String>,
) -> Result<HttpResponse, PageError> {
    let failure = failure(req, error)?;
    party_refused(req, state, desk, id, failure, on_party_page(ep), values).await
}

pub async fn rotate_endpoint(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let (f, id, ep, desk) = endpoint_action(&req, &state, &session, csrf, path, &body).await?;
    let raw = f.get("overlap_hours").trim();
    let values = HashMap::from([(format!("{ep}-overlap"), raw.to_owned())]);
    let hours = if raw.is_empty() {
        DEFAULT_OVERLAP_HOURS
    } else {
        match raw.parse::<u64>() {
            Ok(h) => h,
            Err(_) => {
                let error = uc::DirectoryError::Invalid(vec![FieldError::new(
                    "overlap_hours",
                    "whole_hours",
                    "must be a whole number of hours",
                )]);
                return refused_on_party(&req, &state, &desk, &id, &ep, error, values).await;
            }
        }
    };
    let overlap = std::time::Duration::from_secs(hours.saturating_mul(3600));
    let result = uc::rotate_secret(
        &state.db,
        &state.directory,
        &desk.officer.actor(),
        &id,
        &ep,
        None,
        overlap,
    )
    .await;
    match result {
        Ok(rotated) => {
            let tr = desk.tr();
            let page = ResultPage {
                chrome: desk.chrome("desk-dir-endpoint-rotated", &party_href(&id)),
                who: Who::of(&desk),
                heading: tr.t("desk-dir-endpoint-rotated"),
                party_href: party_href(&id),
                party: party_name(&state, &desk, &id),
                url: rotated.endpoint.url.clone(),
                secret: Some(rotated.secret.expose_secret().to_owned()),
                previous_until: (hours > 0)
                    .then(|| super::local_time(&state.settings, tr.0, rotated.previous_expires_at)),
                test: None,
            };
            Ok(respond(&state, &desk, StatusCode::OK, &page))
        }
        Err(error) => refused_on_party(&req, &state, &desk, &id, &ep, error, values).await,
    }
}

pub async fn disable_endpoint(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let (f, id, ep, desk) = endpoint_action(&req, &state, &session, csrf, path, &body).await?;
    let reason = f.get("reason");
    let result = uc::set_endpoint_disabled(
        &state.db,
        &state.directory,
        &desk.officer.actor(),
        &id,
        &ep,
        Some(reason),
    )
    .await;
    match result {
        Ok(_) => Ok(redirect(format!(
            "{}?done=endpoint_disabled",
            party_href(&id)
        ))),
        Err(error) => {
            let values = HashMap::from([(format!("{ep}-reason"), reason.to_owned())]);
            refused_on_party(&req, &state, &desk, &id, &ep, error, values).await
        }
    }
}

pub async fn enable_endpoint(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let (_, id, ep, desk) = endpoint_action(&req, &state, &session, csrf, path, &body).await?;
    let result = uc::set_endpoint_disabled(
        &state.db,
        &state.directory,
        &desk.officer.actor(),
        &id,
        &ep,
        None,
    )
    .await;
    match result {
        Ok(_) => Ok(redirect(format!(
            "{}?done=endpoint_enabled",
            party_href(&id)
        ))),
        Err(error) => refused_on_party(&req, &state, &desk, &id, &ep, error, HashMap::new()).await,
    }
}

pub async fn delete_endpoint(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let (_, id, ep, desk) = endpoint_action(&req, &state, &session, csrf, path, &body).await?;
    let result =
        uc::delete_endpoint(&state.db, &state.directory, &desk.officer.actor(), &id, &ep).await;
    match result {
        Ok(()) => Ok(redirect(format!(
            "{}?done=endpoint_deleted",
            party_href(&id)
        ))),
        Err(error) => refused_on_party(&req, &state, &desk, &id, &ep, error, HashMap::new()).await,
    }
}

pub async fn test_endpoint(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let (_, id, ep, desk) = endpoint_action(&req, &state, &session, csrf, path, &body).await?;
    let result = uc::test_endpoint(
        &state.db,
        &state.directory,
        &state.webhooks,
        &desk.officer.actor(),
        &id,
        &ep,
    )
    .await;
    let tested = match result {
        Ok(tested) => tested,
        Err(error) => {
            return refused_on_party(&req, &state, &desk, &id, &ep, error, HashMap::new()).await;
        }
    };
    let tr = desk.tr();
    let url = state
        .directory
        .current()
        .party(&id)
        .and_then(|p| p.endpoint(&ep).map(|e| e.url.clone()))
        .unwrap_or_default();
    let page = ResultPage {
        chrome: desk.chrome("desk-dir-endpoint-tested", &party_href(&id)),
        who: Who::of(&desk),
        heading: tr.t("desk-dir-endpoint-tested"),
        party_href: party_href(&id),
        party: party_name(&state, &desk, &id),
        url,
        secret: None,
        previous_until: None,
        test: Some(TestView {
            delivered: tested.delivered,
            status: tested
                .status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "—".to_owned()),
            duration: format!("{} ms", tested.duration_ms),
            error: tested.error.unwrap_or_default(),
        }),
    };
    Ok(respond(&state, &desk, StatusCode::OK, &page))
}
