//! "Check your answers", `/report/check`: every answer of the draft under its step, each
//! step with a Change link, and the one button that files the report. Submitting twice
//! (a double tap, a reload) finds the first report.

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;

use super::{
    report::{self, PRINCIPAL},
    steps::{self, kept, section_key},
};
use crate::{
    domain::{
        Locale, Named, Platform,
        i18n::{self, Tr},
        register::ApproxDate,
        report_form::{Answers, Step},
    },
    http::{
        extract::{csrf::Csrf, form::FormData, lang::Lang},
        html::page::{self, Chrome},
        html::problems,
        state::AppState,
    },
    usecases::{drafts, intake},
};

pub fn configure(cfg: &mut web::ServiceConfig, limits: &crate::http::extract::limits::WebLimits) {
    cfg.service(
        crate::http::routes::at("/report/check")
            .get(show)
            .post(submit)
            .done()
            .wrap(limits.submissions())
            .wrap(limits.tracking()),
    );
}

/// One step's answers, with the link that changes them.
pub struct Section {
    pub id: &'static str,
    pub title: String,
    pub change: String,
    pub change_label: String,
    pub rows: Vec<(String, String)>,
}

/// A problem of the whole report, linked to the step that asks it.
pub struct Fix {
    pub href: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "web/check.html")]
pub struct CheckPage {
    pub chrome: Chrome,
    pub csrf_token: String,
    pub submission_id: String,
    pub sections: Vec<Section>,
    pub fixes: Vec<Fix>,
    pub back: String,
}

#[tracing::instrument(skip_all)]
async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    csrf: Csrf,
) -> HttpResponse {
    match kept(&req, &state, &csrf).await {
        Ok(Some(answers)) => {
            let fixes = fixes(&state, &answers, lang.locale);
            let status = StatusCode::OK;
            report::respond(
                &state,
                &lang,
                &csrf,
                status,
                page(&state, &lang, &csrf, &answers, fixes),
            )
        }
        Ok(None) => to_start(),
        Err(response) => response,
    }
}

fn to_start() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", "/"))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

fn page(
    state: &AppState,
    lang: &Lang,
    csrf: &Csrf,
    answers: &Answers,
    fixes: Vec<Fix>,
) -> CheckPage {
    let mut chrome = Chrome::new(lang.locale, "check-title", "/report/check");
    if !fixes.is_empty() {
        chrome.title = format!("{} {}", chrome.tr.t("error-title-prefix"), chrome.title);
    }
    CheckPage {
        chrome,
        csrf_token: state.csrf.token(csrf),
        submission_id: answers.submission_id.clone(),
        sections: sections(state, lang.locale, answers),
        fixes,
        back: format!("/report/{}", Step::Evidence.slug()),
    }
}

/// What is still wrong with the whole report, each linked to its step.
fn fixes(state: &AppState, answers: &Answers, locale: Locale) -> Vec<Fix> {
    let form = FormData::from_fields(answers.fields.clone().into_iter().collect());
    let (_, found) = report::problems_of(state, &form, locale);
    let mut fixes = Vec::new();
    for shown in problems::show(locale, found) {
        let step = Step::of(&shown.id.replacen('-', ".", 1))
            .or_else(|| Step::of(&shown.id))
            .unwrap_or(Step::You);
        fixes.push(Fix {
            href: format!("/report/{}?change=1#{}", step.slug(), shown.id),
            text: format!("{}: {}", shown.label, shown.message),
        });
    }
    // A step never passed is unanswered even when none of its questions is required.
    for step in Step::ALL.into_iter().filter(|s| !answers.is_done(*s)) {
        if !fixes
            .iter()
            .any(|f| f.href.starts_with(&format!("/report/{}?", step.slug())))
        {
            fixes.push(Fix {
                href: format!("/report/{}?change=1", step.slug()),
                text: i18n::text_with(
                    locale,
                    "check-unanswered",
                    &[("step", &i18n::text(locale, section_key(step)))],
                ),
            });
        }
    }
    fixes
}

/// Each step's answers as the member gave them, in their words.
fn sections(state: &AppState, locale: Locale, answers: &Answers) -> Vec<Section> {
    let tr = Tr(locale);
    let get = |name: &str| answers.get(name).map(str::to_owned);
    let label = |name: &str| tr.t(&format!("field-{}", problems::field_id(name)));
    let row = |name: &str, value: Option<String>| value.map(|v| (label(name), v));
    let time = |name: &str| {
        let part = |p: &str| {
            answers
                .get(&format!("{name}.{p}"))
                .unwrap_or_default()
                .to_owned()
        };
        (!part("year").is_empty()).then(|| {
            format!(
                "{:0>2}/{:0>2}/{} {:0>2}:{:0>2} ({})",
                part("day"),
                part("month"),
                part("year"),
                part("hour"),
                part("minute"),
                tr.t("time-zone-vietnam")
            )
        })
    };
    let dir = state.directory.current();
    let committee = get("reporter.committee").map(|id| {
        dir.path(&id)
            .iter()
            .rev()
            .map(|p| p.name.get(locale).to_owned())
            .collect::<Vec<_>>()
            .join(" · ")
    });
    let created_on = {
        let part = |p: &str| {
            answers
                .get(&format!("page.created_on.{p}"))
                .unwrap_or_default()
        };
        ApproxDate::from_parts(
            "page.created_on",
            part("day"),
            part("month"),
            part("year"),
            chrono::NaiveDate::MAX,
        )
        .ok()
        .flatten()
        .map(|d| d.display())
    };
    let stopped = super::report::chose_stopped(get("containment.state").as_deref());
    let actions: Vec<String> = answers
        .fields
        .get("containment.actions")
        .into_iter()
        .flatten()
        .map(|a| tr.t(&format!("form-action-{a}")))
        .collect();
    let word = |group: &str, name: &str| get(name).map(|v| tr.w(group, v));
    let per_step = |step: Step| -> Vec<(String, String)> {
        let rows = match step {
            Step::You => vec![
                row("reporter.name", get("reporter.name")),
                row("reporter.email", get("reporter.email")),
                row("reporter.phone", get("reporter.phone")),
            ],
            Step::Committee => vec![row("reporter.committee", committee.clone())],
            Step::Page => vec![
                row("page.url", get("page.url")),
                row(
                    "page.platform",
                    get("page.platform")
                        .and_then(|p| p.parse::<Platform>().ok())
                        .map(|p| tr.w("platform", p.as_str())),
                ),
                row("page.handle", get("page.handle")),
                row("page.display_name", get("page.display_name")),
                row(
                    "page.account_type",
                    word("account_type", "page.account_type"),
                ),
                row("page.linked_email", get("page.linked_email")),
                row("page.linked_phone", get("page.linked_phone")),
                row("page.created_on", created_on.clone()),
                row("page.purpose", get("page.purpose")),
            ],
            Step::What => vec![
                row("kind", get("kind").map(|k| tr.t(&format!("form-kind-{k}")))),
                row("detected_at", time("detected_at")),
                row("description", get("description")),
            ],
            Step::Stopped => vec![
                row(
                    "containment.state",
                    get("containment.state").map(|s| tr.t(&format!("form-state-{s}"))),
                ),
                row(
                    "containment.stopped_at",
                    time("containment.stopped_at").filter(|_| stopped),
                ),
                row(
                    "containment.actions",
                    (stopped && !actions.is_empty()).then(|| i18n::joined(locale, &actions)),
                ),
                row("containment.note", get("containment.note")),
            ],
            Step::Evidence => vec![Some((
                tr.t("field-evidence"),
                if answers.files.is_empty() {
                    tr.t("check-no-files")
                } else {
                    let names: Vec<String> =
                        answers.files.iter().map(|f| f.file_name.clone()).collect();
                    names.join(", ")
                },
            ))],
        };
        rows.into_iter().flatten().collect()
    };
    Step::ALL
        .into_iter()
        .map(|step| {
            let title = tr.t(section_key(step));
            Section {
                id: step.slug(),
                change_label: i18n::text_with(locale, "check-change", &[("step", &title)]),
                title,
                change: format!("/report/{}?change=1", step.slug()),
                rows: per_step(step),
            }
        })
        .collect()
}

/// Files the draft's report, once: the draft goes, and a second Submit of the same draft
/// finds the first report.
#[tracing::instrument(skip_all)]
async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    csrf: Csrf,
    payload: Multipart,
) -> HttpResponse {
    let mut sent = match report::read(&req, &state, &csrf, payload).await {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    sent.discard_files().await;
    let key = sent
        .get("submission_id")
        .filter(|v| (16..=64).contains(&v.len()));
    let answers = match kept(&req, &state, &csrf).await {
        Ok(answers) => answers,
        Err(response) => return response,
    };
    let Some(answers) = answers else {
        // Submitted already (the draft went with it), or expired.
        let gone = || async { Err::<String, _>(anyhow::anyhow!("no draft to submit")) };
        return match intake::once(&state.db, PRINCIPAL, key.as_deref(), "web-form", gone).await {
            Ok(intake::Once::Replay { body, .. }) => report::replay(&req, &state, &body).await,
            Ok(intake::Once::InProgress | intake::Once::Mismatch) => report::still_pending(&req),
            _ => page::message(
                &req,
                StatusCode::GONE,
                "draft-gone-title",
                &["draft-gone-body"],
            ),
        };
    };
    let form = FormData::from_fields(answers.fields.clone().into_iter().collect());
    let (parsed, _) = report::problems_of(&state, &form, lang.locale);
    let fixes = fixes(&state, &answers, lang.locale);
    let new = match parsed {
        Ok(new) if fixes.is_empty() => new,
        _ => {
            let page = page(&state, &lang, &csrf, &answers, fixes);
            return report::respond(&state, &lang, &csrf, StatusCode::UNPROCESSABLE_ENTITY, page);
        }
    };
    let submission = Some(answers.submission_id.clone());
    let mut none = FormData::default();
    let files = answers.files.clone();
    let Ok(admission) = state.intake.admit() else {
        return report::busy(&req);
    };
    let work = || report::file(&state, new, &mut none, files, submission, None, admission);
    let result = intake::once(
        &state.db,
        PRINCIPAL,
        Some(&answers.submission_id),
        "web-form",
        work,
    )
    .await;
    let confirmation = match result {
        Ok(intake::Once::Done(token)) => format!("/track/{token}/confirmation"),
        Ok(intake::Once::Replay { body, .. }) => {
            if let Err(error) = drafts::discard(&state.db, csrf.value()).await {
                tracing::warn!(%error, "could not drop a submitted report draft");
            }
            return report::replay(&req, &state, &body).await;
        }
        Ok(intake::Once::InProgress | intake::Once::Mismatch) => {
            return report::still_pending(&req);
        }
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "could not file a report from a draft");
            return steps::unavailable(&req);
        }
    };
    // Filed: the draft goes. Were this to fail, the draft's next Submit finds the report.
    if let Err(error) = drafts::discard(&state.db, csrf.value()).await {
        tracing::warn!(%error, "could not drop a submitted report draft");
    }
    HttpResponse::SeeOther()
        .insert_header(("Location", confirmation))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}
