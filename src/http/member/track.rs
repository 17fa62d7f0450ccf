//! The member's private pages behind the tracking link: the confirmation right after
//! filing, and the tracking page with the parties' tickets, the timeline and what the
//! member can still do (add information and evidence, update containment, record the
//! platform's case number, revoke the link).

use crate::domain::Named;
use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::{DateTime, Utc};

use crate::http::html::error::PageError;
use crate::http::{
    extract::csrf::Csrf,
    extract::form::{FormData, Problem, Reader},
    extract::lang::Lang,
    html::page::{self, Chrome, Extras},
    html::problems::{self, Shown},
};
use crate::{
    domain::i18n::{self, Tr},
    domain::{
        Actor, ActorKind, BoundedText, Locale, StateMachine, TextRule,
        new_incident::ContainmentDraft,
    },
    http::state::AppState,
    usecases::incident::{self, ActionError},
    usecases::member,
    usecases::{DbErr, Dossier, IncidentKey, IncidentRow, Scope},
};

mod guide;
mod view;

use guide::Guide;
pub use guide::StopGuide;
pub use view::size;
use view::{EventLine, IncidentFacts, PartyLine};

pub fn configure(cfg: &mut web::ServiceConfig, limits: &crate::http::extract::limits::WebLimits) {
    use crate::http::routes::at;
    cfg.service(
        web::scope("/track/{token}")
            .wrap(limits.tracking())
            .wrap(limits.submissions())
            .service(at("").get(show).done())
            .service(at("/confirmation").get(confirmation).done())
            .service(at("/info").post(add_info).done())
            .service(at("/containment").post(update_containment).done())
            .service(at("/case").post(record_case).done())
            .service(at("/revoke").post(revoke).done()),
    );
}

#[derive(Template)]
#[template(path = "web/confirmation.html")]
struct ConfirmationPage {
    chrome: Chrome,
    incident: IncidentFacts,
    parties: Vec<PartyLine>,
    notified: Vec<String>,
    tracking_url: String,
    emailed: bool,
    guide: Guide,
    csrf_token: String,
    token: String,
}

#[derive(Template)]
#[template(path = "web/track.html")]
struct TrackPage {
    chrome: Chrome,
    incident: IncidentFacts,
    parties: Vec<PartyLine>,
    conversation: Vec<view::ConversationLine>,
    timeline: Vec<EventLine>,
    evidence: Vec<(String, String)>,
    guide: Guide,
    csrf_token: String,
    token: String,
    saved: Option<String>,
    problems: Vec<Shown>,
    next_states: Vec<(String, String, bool)>,
    actions: Vec<(String, String)>,
    values: HashMap<String, String>,
    max_files: usize,
    max_megabytes: usize,
}

impl TrackPage {
    fn err(&self, name: &str) -> Option<&Shown> {
        problems::of(&self.problems, name)
    }

    fn v(&self, name: &str) -> &str {
        self.values
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// The boxes of the time the page was stopped.
    fn time_parts(&self) -> Vec<(&'static str, usize, &'static str)> {
        super::report::date_parts(true)
    }
}

fn member(incident: &IncidentRow) -> Actor {
    Actor {
        kind: ActorKind::Member,
        id: None,
        name: Some(incident.reporter_name.clone()),
    }
}

fn not_found(req: &HttpRequest) -> HttpResponse {
    page::message(
        req,
        StatusCode::NOT_FOUND,
        "track-missing-title",
        &["track-missing-body"],
    )
}

fn failed(req: &HttpRequest, error: impl std::fmt::Display) -> HttpResponse {
    tracing::error!(%error, "a tracking page request failed");
    page::message(
        req,
        StatusCode::SERVICE_UNAVAILABLE,
        "failed-title",
        &["failed-body"],
    )
}

async fn load(state: &AppState, token: &str) -> Result<Option<Dossier>, DbErr> {
    member::dossier(&state.db, token).await
}

fn extras<'a>(state: &AppState, lang: &'a Lang, csrf: &'a Csrf) -> Extras<'a> {
    Extras {
        lang: Some(lang),
        csrf: Some(csrf),
        secure: state.settings.public_base_url.starts_with("https://"),
    }
}

fn tracking_url(state: &AppState, token: &str) -> String {
    format!(
        "{}/track/{token}",
        state.settings.public_base_url.trim_end_matches('/')
    )
}

#[tracing::instrument(skip_all)]
async fn confirmation(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    lang: Lang,
    csrf: Csrf,
) -> HttpResponse {
    let loaded = match load(&state, &token).await {
        Ok(Some(loaded)) => loaded,
        Ok(None) => return not_found(&req),
        Err(error) => return failed(&req, error),
    };
    let locale = lang.locale;
    let path = format!("/track/{token}/confirmation");
    let page = ConfirmationPage {
        chrome: Chrome::new(locale, "confirm-title", &path),
        incident: IncidentFacts {
            duplicate_of: loaded.duplicate_of.clone(),
            ..IncidentFacts::new(&state.settings, locale, &loaded.incident)
        },
        parties: PartyLine::all(
            &state.settings,
            &state.directory.current(),
            locale,
            &loaded.tickets,
            Utc::now(),
        ),
        notified: view::notified(
            &state.directory.current(),
            locale,
            &loaded.incident.committee_id,
            &loaded.tickets,
        ),
        tracking_url: tracking_url(&state, &token),
        emailed: loaded.incident.reporter_email.is_some(),
        guide: Guide::new(&state.settings, locale, &loaded.incident, &loaded.evidence),
        csrf_token: state.csrf.token(&csrf),
        token: token.into_inner(),
    };
    match page::render(&page) {
        Some(body) => page::html(StatusCode::OK, body, extras(&state, &lang, &csrf)),
        None => page::broken(),
    }
}

#[derive(serde::Deserialize)]
struct ShowQuery {
    saved: Option<String>,
}

#[tracing::instrument(skip_all)]
async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    query: web::Query<ShowQuery>,
    lang: Lang,
    csrf: Csrf,
) -> HttpResponse {
    let saved = query
        .saved
        .as_deref()
        .filter(|s| matches!(*s, "info" | "containment" | "case"))
        .map(|s| Tr(lang.locale).t(&format!("track-saved-{s}")));
    render_track(
        &req,
        &state,
        &token,
        &lang,
        &csrf,
        saved,
        Vec::new(),
        HashMap::new(),
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn render_track(
    req: &HttpRequest,
    state: &AppState,
    token: &str,
    lang: &Lang,
    csrf: &Csrf,
    saved: Option<String>,
    problems: Vec<Shown>,
    values: HashMap<String, String>,
    status: StatusCode,
) -> HttpResponse {
    let loaded = match load(state, token).await {
        Ok(Some(loaded)) => loaded,
        Ok(None) => return not_found(req),
        Err(error) => return failed(req, error),
    };
    let locale = lang.locale;
    let tr = Tr(locale);
    let current = loaded.incident.containment;
    let chosen = values.get("containment.state").cloned().unwrap_or_default();
    let page = TrackPage {
        chrome: Chrome::new(locale, "track-title", &format!("/track/{token}")),
        incident: IncidentFacts {
            duplicate_of: loaded.duplicate_of.clone(),
            ..IncidentFacts::new(&state.settings, locale, &loaded.incident)
        },
        parties: PartyLine::all(
            &state.settings,
            &state.directory.current(),
            locale,
            &loaded.tickets,
            Utc::now(),
        ),
        conversation: view::ConversationLine::all(&state.settings, locale, &loaded.messages),
        timeline: EventLine::all(
            &state.settings,
            &state.directory.current(),
            locale,
            &loaded.events,
            &loaded.tickets,
        ),
        evidence: loaded
            .evidence
            .iter()
            .map(|e| (e.file_name.clone(), view::size(locale, e.size_bytes)))
            .collect(),
        guide: Guide::new(&state.settings, locale, &loaded.incident, &loaded.evidence),
        csrf_token: state.csrf.token(csrf),
        token: token.to_owned(),
        saved,
        problems,
        next_states: current
            .allowed_next()
            .iter()
            .map(|s| {
                (
                    s.as_str().to_owned(),
                    tr.t(&format!("track-state-{s}")),
                    chosen == s.as_str(),
                )
            })
            .collect(),
        actions: super::report::ACTIONS
            .iter()
            .map(|a| (a.as_str().to_owned(), tr.t(&format!("form-action-{a}"))))
            .collect(),
        values,
        max_files: state.settings.evidence.max_files,
        max_megabytes: state.settings.evidence.max_file_bytes / (1024 * 1024),
    };
    match page::render(&page) {
        Some(body) => page::html(status, body, extras(state, lang, csrf)),
        None => page::broken(),
    }
}

/// Reads a tracking form; answers the request itself when the form or the link is bad.
async fn read_form(
    req: &HttpRequest,
    state: &AppState,
    token: &str,
    csrf: &Csrf,
    payload: Multipart,
    files: bool,
) -> Result<(IncidentRow, FormData), HttpResponse> {
    let reader = Reader {
        store: &state.files,
        limits: &state.settings.evidence,
        key: &state.csrf,
        csrf,
        file_field: files.then_some("evidence"),
    };
    let mut form = reader
        .read(payload)
        .await
        .map_err(|e| crate::http::html::refused(req, e))?;
    match member::open(&state.db, token).await {
        Ok(Some(incident)) => Ok((incident, form)),
        Ok(None) => {
            form.discard_files().await;
            Err(not_found(req))
        }
        Err(error) => {
            form.discard_files().await;
            Err(failed(req, error))
        }
    }
}

fn saved(token: &str, what: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", format!("/track/{token}?saved={what}#top")))
        .finish()
}

fn values(form: &FormData) -> HashMap<String, String> {
    form.fields()
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v.first()?.clone())))
        .collect()
}

#[allow(clippy::too_many_arguments)]
async fn again(
    req: &HttpRequest,
    state: &AppState,
    token: &str,
    lang: &Lang,
    csrf: &Csrf,
    form: &FormData,
    problems: Vec<Problem>,
) -> HttpResponse {
    let shown = problems::show(lang.locale, problems);
    render_track(
        req,
        state,
        token,
        lang,
        csrf,
        None,
        shown,
        values(form),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

#[tracing::instrument(skip_all)]
async fn add_info(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    lang: Lang,
    csrf: Csrf,
    payload: Multipart,
) -> Result<HttpResponse, PageError> {
    let (incident, mut form) = read_form(&req, &state, &token, &csrf, payload, true).await?;
    let mut problems: Vec<Problem> = form.read_problems.clone();
    let text = form.get("info").filter(|v| !v.trim().is_empty());
    let text = match text.map(|t| BoundedText::parse("info", &t, TextRule::block(1, 5000))) {
        Some(Ok(text)) => Some(text),
        Some(Err(error)) => {
            problems.push(problems::from_field_error(&error));
            None
        }
        None => None,
    };
    if problems.is_empty() && text.is_none() && form.files.is_empty() {
        problems.push(Problem {
            field: "info".to_owned(),
            key: "error-info_empty".to_owned(),
            args: Vec::new(),
        });
    }
    if !problems.is_empty() {
        form.discard_files().await;
        return Ok(again(&req, &state, &token, &lang, &csrf, &form, problems).await);
    }
    for accepted in &form.files {
        if let Err(error) = state.files.keep(&accepted.received).await {
            form.discard_files().await;
            return Ok(failed(&req, error));
        }
    }
    let files: Vec<_> = form.files.drain(..).map(|a| a.file).collect();
    Ok(
        match member::add_info(&state.db, incident.id, text, &files, member(&incident)).await {
            Ok(()) => saved(&token, "info"),
            Err(error) => failed(&req, error),
        },
    )
}

#[tracing::instrument(skip_all)]
async fn update_containment(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    lang: Lang,
    csrf: Csrf,
    payload: Multipart,
) -> Result<HttpResponse, PageError> {
    let (incident, form) = read_form(&req, &state, &token, &csrf, payload, false).await?;
    let text = |name: &str| form.get(name).filter(|v| !v.trim().is_empty());
    let chosen = text("containment.state");
    let stopped = super::report::chose_stopped(chosen.as_deref());
    let mut problems = Vec::new();
    let draft = ContainmentDraft {
        state: chosen,
        stopped_at: if stopped {
            super::report::time_field(
                &state.settings,
                &form,
                "containment.stopped_at",
                &mut problems,
            )
        } else {
            None
        },
        actions: if stopped {
            form.all("containment.actions")
        } else {
            Vec::new()
        },
        note: text("containment.note"),
    };
    let mut errors = Vec::new();
    let parsed = draft.parse(&mut errors, Utc::now());
    let Some(change) = parsed.filter(|_| errors.is_empty() && problems.is_empty()) else {
        // A problem of the boxes themselves says more than the domain's about the value.
        let named: Vec<String> = problems.iter().map(|p| p.field.clone()).collect();
        problems.extend(
            errors
                .iter()
                .filter(|e| !named.contains(&e.field))
                .map(problems::from_field_error),
        );
        return Ok(again(&req, &state, &token, &lang, &csrf, &form, problems).await);
    };
    let result = incident::change_containment(
        &state.db,
        state.notify(),
        &Scope::All,
        &IncidentKey::Id(incident.id),
        change,
        member(&incident),
    )
    .await;
    Ok(match result {
        Ok(_) => saved(&token, "containment"),
        Err(ActionError::Transition(_)) => {
            let problem = Problem {
                field: "containment.state".to_owned(),
                key: "error-transition".to_owned(),
                args: Vec::new(),
            };
            again(&req, &state, &token, &lang, &csrf, &form, vec![problem]).await
        }
        Err(error) => failed(&req, error),
    })
}

#[tracing::instrument(skip_all)]
async fn record_case(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    lang: Lang,
    csrf: Csrf,
    payload: Multipart,
) -> Result<HttpResponse, PageError> {
    let (incident, form) = read_form(&req, &state, &token, &csrf, payload, false).await?;
    let raw = form.get("platform_case_ref").unwrap_or_default();
    Ok(
        match BoundedText::parse("platform_case_ref", &raw, TextRule::line(1, 100)) {
            Ok(case_ref) => {
                match member::record_platform_case(
                    &state.db,
                    incident.id,
                    case_ref,
                    member(&incident),
                )
                .await
                {
                    Ok(()) => saved(&token, "case"),
                    Err(error) => failed(&req, error),
                }
            }
            Err(error) => {
                let problems = vec![problems::from_field_error(&error)];
                again(&req, &state, &token, &lang, &csrf, &form, problems).await
            }
        },
    )
}

#[tracing::instrument(skip_all)]
async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    token: web::Path<String>,
    csrf: Csrf,
    payload: Multipart,
) -> Result<HttpResponse, PageError> {
    let (incident, _) = read_form(&req, &state, &token, &csrf, payload, false).await?;
    Ok(
        match member::revoke(&state.db, &state.outbox, incident.id, member(&incident)).await {
            Ok(true) => page::message(
                &req,
                StatusCode::OK,
                "revoked-title",
                &["revoked-body", "revoked-emailed"],
            ),
            Ok(false) => page::message(
                &req,
                StatusCode::OK,
                "revoked-title",
                &["revoked-body", "revoked-no-email"],
            ),
            Err(error) => failed(&req, error),
        },
    )
}

/// A time in the form's offset, in the member's words.
pub fn local(settings: &crate::config::Settings, locale: Locale, at: DateTime<Utc>) -> String {
    let offset = settings
        .web
        .offset()
        .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("zero offset"));
    let format = i18n::text(locale, "time-format");
    // Vietnam's offset is named as people say it.
    let zone = if offset.local_minus_utc() == 7 * 3600 {
        i18n::text(locale, "time-zone-vietnam")
    } else {
        format!("UTC{}", settings.web.utc_offset)
    };
    format!("{} ({zone})", at.with_timezone(&offset).format(&format))
}
