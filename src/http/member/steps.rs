//! The report form in steps, `/report/{step}`: each step shows its questions with the
//! answers kept so far, and its Continue keeps the answers in the draft (under the
//! browser's form cookie) before going on. Nothing is filed until the member submits
//! from "Check your answers" (`check`).

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use chrono::Utc;

use super::report::{self, Filled, Picker, ReportPage, StepView};
use crate::{
    domain::{
        i18n::Tr,
        report_form::{Answers, Step},
    },
    http::{
        extract::{csrf::Csrf, form::FormData, form::Problem, lang::Lang},
        html::{page, problems},
        state::AppState,
    },
    usecases::drafts,
};

/// The most committees one search lists; more matches ask for more words.
const RESULTS: usize = 20;
/// An organisation this small lists every committee without a search.
const LIST_ALL_UP_TO: usize = 12;

pub fn configure(cfg: &mut web::ServiceConfig, limits: &crate::http::extract::limits::WebLimits) {
    cfg.service(
        crate::http::routes::at("/report/discard")
            .post(discard)
            .done()
            .wrap(limits.submissions()),
    );
    // Every step read counts as a page; the answers of the step that takes files count as
    // a submission, the others' against a budget of their own at the rate of pages.
    cfg.service(
        crate::http::routes::at("/report/{step:evidence}")
            .get(show)
            .post(answer)
            .done()
            .wrap(limits.submissions())
            .wrap(limits.tracking()),
    );
    cfg.service(
        crate::http::routes::at("/report/{step}")
            .get(show)
            .post(answer)
            .done()
            .wrap(limits.answers())
            .wrap(limits.tracking()),
    );
}

#[derive(serde::Deserialize)]
pub struct StepQuery {
    /// The committee search.
    q: Option<String>,
    /// Opened from "Check your answers".
    change: Option<String>,
    /// The platform chosen for its stop steps on the start page.
    platform: Option<String>,
}

/// The kept draft of this browser, if any.
pub async fn kept(
    req: &HttpRequest,
    state: &AppState,
    csrf: &Csrf,
) -> Result<Option<Answers>, HttpResponse> {
    if csrf.fresh {
        return Ok(None);
    }
    drafts::load(&state.db, csrf.value(), Utc::now())
        .await
        .map_err(|error| {
            tracing::error!(%error, "could not read a report draft");
            unavailable(req)
        })
}

#[tracing::instrument(skip_all)]
async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    csrf: Csrf,
    slug: web::Path<String>,
    query: web::Query<StepQuery>,
) -> HttpResponse {
    let Some(step) = Step::from_slug(&slug) else {
        return missing(&req);
    };
    let answers = match kept(&req, &state, &csrf).await {
        Ok(answers) => answers.unwrap_or_default(),
        Err(response) => return response,
    };
    let filled = filled(&answers, Vec::new());
    let change = query.change.is_some();
    let mut page = step_page(
        &state,
        &lang,
        &csrf,
        step,
        &answers,
        filled,
        change,
        query.q.as_deref(),
    );
    if step == Step::You && answers.get("page.platform").is_none() {
        page.carried_platform = query
            .platform
            .as_deref()
            .and_then(|p| p.parse::<crate::domain::Platform>().ok())
            .map(|p| crate::domain::Named::as_str(p).to_owned());
    }
    report::respond(&state, &lang, &csrf, StatusCode::OK, page)
}

/// The answers as the form shows them (the first value of each field, and the ticked
/// actions), with the step's problems.
fn filled(answers: &Answers, problems: Vec<problems::Shown>) -> Filled {
    Filled {
        values: answers
            .fields
            .iter()
            .filter_map(|(name, values)| Some((name.clone(), values.first()?.clone())))
            .collect(),
        checked: answers
            .fields
            .get("containment.actions")
            .cloned()
            .unwrap_or_default(),
        problems,
        files_lost: false,
    }
}

#[allow(clippy::too_many_arguments)]
fn step_page(
    state: &AppState,
    lang: &Lang,
    csrf: &Csrf,
    step: Step,
    answers: &Answers,
    filled: Filled,
    change: bool,
    search: Option<&str>,
) -> ReportPage {
    let tr = Tr(lang.locale);
    let mut page = report::build_page(
        state,
        lang.locale,
        state.csrf.token(csrf),
        answers.submission_id.clone(),
        filled,
        None,
    );
    let title = tr.t(section_key(step));
    let progress = crate::domain::i18n::text_with(
        lang.locale,
        "step-progress",
        &[
            ("number", &step.number().to_string()),
            ("total", &Step::ALL.len().to_string()),
        ],
    );
    page.chrome.title = format!("{progress}: {title}");
    page.action = format!("/report/{}", step.slug());
    page.chrome.switch_href = format!(
        "{}?lang={}{}",
        page.action,
        page.chrome.switch_lang,
        if change { "&change=1" } else { "" }
    );
    page.step = Some(StepView {
        step,
        progress,
        title,
        back: match (change, step.previous()) {
            (true, _) => "/report/check".to_owned(),
            (false, Some(previous)) => format!("/report/{}", previous.slug()),
            (false, None) => "/".to_owned(),
        },
        change,
    });
    if step == Step::Committee {
        page.picker = Some(picker(state, lang, answers, search));
    }
    if step == Step::Evidence {
        page.kept_files = answers.files.clone();
    }
    page
}

/// The message key of a step's title.
pub fn section_key(step: Step) -> &'static str {
    match step {
        Step::You => "form-section-you",
        Step::Committee => "form-section-committee",
        Step::Page => "form-section-page",
        Step::What => "form-section-what",
        Step::Stopped => "form-section-stop",
        Step::Evidence => "form-section-evidence",
    }
}

/// The committee step without script: a small organisation lists every committee; a
/// large one is searched by name (with or without accents), each result named with the
/// committees above it so that two branches of the same name can be told apart.
fn picker(state: &AppState, lang: &Lang, answers: &Answers, search: Option<&str>) -> Picker {
    let tr = Tr(lang.locale);
    let dir = state.directory.current();
    let chosen = answers.get("reporter.committee").unwrap_or_default();
    let open: Vec<&crate::domain::directory::Party> = dir
        .of_kind(crate::domain::routing::PartyKind::Committee)
        .filter(|c| c.is_enabled())
        .collect();
    let query = search.map(str::trim).unwrap_or_default().to_owned();
    let (found, note) = if open.len() <= LIST_ALL_UP_TO && query.is_empty() {
        (open, None)
    } else if query.is_empty() {
        let kept = dir.open_committee(chosen).into_iter().collect();
        (kept, None)
    } else {
        let mut found = dir.find_committees(&query, RESULTS + 1);
        let more = found.len() > RESULTS;
        found.truncate(RESULTS);
        let note = if found.is_empty() {
            tr.t1("committee-none", "query", &query)
        } else if more {
            tr.t1("committee-more", "count", &RESULTS.to_string())
        } else {
            tr.t1("committee-found", "count", &found.len().to_string())
        };
        (found, Some(note))
    };
    let results = found
        .into_iter()
        .map(|c| {
            let above: Vec<String> = dir
                .path(&c.id)
                .iter()
                .rev()
                .skip(1)
                .map(|p| p.name.get(lang.locale).to_owned())
                .collect();
            report::Choice {
                value: c.id.clone(),
                id: format!("committee-{}", problems::field_id(&c.id)),
                label: c.name.get(lang.locale).to_owned(),
                hint: above.join(" · "),
                checked: c.id == chosen,
            }
        })
        .collect();
    Picker {
        query,
        legend: tr.t("field-reporter-committee"),
        results,
        note,
    }
}

/// Keeps the step's answers, then goes on (to the next step, or back to "Check your
/// answers"), or shows the step again with its problems.
#[tracing::instrument(skip_all)]
async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    csrf: Csrf,
    slug: web::Path<String>,
    payload: Multipart,
) -> HttpResponse {
    let Some(step) = Step::from_slug(&slug) else {
        return missing(&req);
    };
    let mut form = match report::read(&req, &state, &csrf, payload).await {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    let mut answers = match kept(&req, &state, &csrf).await {
        Ok(Some(answers)) => answers,
        Ok(None) => Answers::new(crate::domain::token::random_token(16)),
        Err(response) => {
            form.discard_files().await;
            return response;
        }
    };
    let change = form.get("change").is_some();
    let mut shown: Vec<Problem> = Vec::new();
    let mut removed = Vec::new();
    if step == Step::Evidence {
        shown.extend(form.read_problems.iter().cloned());
        match keep_files(&state, &mut form, &mut answers, &mut shown).await {
            Ok(dropped) => removed = dropped,
            Err(error) => {
                tracing::error!(%error, "could not keep a draft's files");
                form.discard_files().await;
                return unavailable(&req);
            }
        }
    } else {
        // Only the evidence step takes files.
        form.discard_files().await;
        answers.answer(step, form.fields().clone());
    }
    // The platform whose stop steps the member read is the page's, until they say more.
    if step == Step::You
        && answers.get("page.platform").is_none()
        && let Some(platform) = form
            .get("page.platform")
            .and_then(|p| p.parse::<crate::domain::Platform>().ok())
    {
        let code = crate::domain::Named::as_str(platform).to_owned();
        answers
            .fields
            .insert("page.platform".to_owned(), vec![code]);
    }
    shown.extend(step_problems(&state, &answers, step, lang.locale));
    if shown.is_empty() {
        answers.pass(step);
    }
    let now = Utc::now();
    let lifetime = state.settings.web.draft_lifetime;
    if let Err(error) = drafts::save(&state.db, csrf.value(), &answers, now, lifetime).await {
        tracing::error!(error = %format!("{error:#}"), "could not keep a report draft");
        return unavailable(&req);
    }
    drafts::release(&state.db, &state.files, removed).await;
    let cookie = csrf.lasting_cookie(report::secure(&state), lifetime);
    if shown.is_empty() {
        let next = match (change, step.next()) {
            (false, Some(next)) => format!("/report/{}", next.slug()),
            _ => "/report/check".to_owned(),
        };
        return HttpResponse::SeeOther()
            .insert_header(("Location", next))
            .insert_header(("Cache-Control", "no-store"))
            .cookie(cookie)
            .finish();
    }
    let filled = filled(&answers, problems::show(lang.locale, shown));
    let page = step_page(&state, &lang, &csrf, step, &answers, filled, change, None);
    let mut response =
        report::respond(&state, &lang, &csrf, StatusCode::UNPROCESSABLE_ENTITY, page);
    let _ = response.add_cookie(&cookie);
    response
}

/// Keeps the files sent on the evidence step with the draft, and drops the ones the
/// member asked to remove (returned, to be deleted once the draft no longer names
/// them); files beyond the limit are refused.
async fn keep_files(
    state: &AppState,
    form: &mut FormData,
    answers: &mut Answers,
    shown: &mut Vec<Problem>,
) -> std::io::Result<Vec<String>> {
    let remove = form.all("remove");
    let removed: Vec<String> = answers
        .files
        .iter()
        .filter(|f| remove.contains(&f.sha256))
        .map(|f| f.sha256.clone())
        .collect();
    answers.files.retain(|f| !remove.contains(&f.sha256));
    let max = state.settings.evidence.max_files;
    for accepted in form.files.drain(..) {
        let duplicate = answers
            .files
            .iter()
            .any(|f| f.sha256 == accepted.file.sha256);
        if duplicate {
            accepted.received.discard().await;
        } else if answers.files.len() >= max {
            accepted.received.discard().await;
            shown.push(Problem {
                field: "evidence".to_owned(),
                key: "error-too_many_files".to_owned(),
                args: vec![("limit", max.to_string())],
            });
        } else {
            state.files.keep(&accepted.received).await?;
            answers.files.push(accepted.file);
        }
    }
    Ok(removed)
}

/// The problems of the answers that belong to `step`.
pub fn step_problems(
    state: &AppState,
    answers: &Answers,
    step: Step,
    locale: crate::domain::Locale,
) -> Vec<Problem> {
    let form = FormData::from_fields(answers.fields.clone().into_iter().collect());
    let (_, shown) = report::problems_of(state, &form, locale);
    shown.into_iter().filter(|p| step.owns(&p.field)).collect()
}

/// "Delete this report and start again": the draft and the files only it kept go, so a
/// shared phone keeps nothing of the member's report.
#[tracing::instrument(skip_all)]
async fn discard(
    req: HttpRequest,
    state: web::Data<AppState>,
    csrf: Csrf,
    payload: Multipart,
) -> HttpResponse {
    let mut form = match report::read(&req, &state, &csrf, payload).await {
        Ok(form) => form,
        Err(refused) => return refused,
    };
    form.discard_files().await;
    let answers = match kept(&req, &state, &csrf).await {
        Ok(answers) => answers,
        Err(response) => return response,
    };
    if let Some(answers) = answers {
        if let Err(error) = drafts::discard(&state.db, csrf.value()).await {
            tracing::error!(%error, "could not delete a report draft");
            return unavailable(&req);
        }
        let files = answers.files.into_iter().map(|f| f.sha256).collect();
        drafts::release(&state.db, &state.files, files).await;
    }
    HttpResponse::SeeOther()
        .insert_header(("Location", "/"))
        .insert_header(("Cache-Control", "no-store"))
        .finish()
}

fn missing(req: &HttpRequest) -> HttpResponse {
    page::message(
        req,
        StatusCode::NOT_FOUND,
        "step-missing-title",
        &["step-missing-body"],
    )
}

pub fn unavailable(req: &HttpRequest) -> HttpResponse {
    page::message(
        req,
        StatusCode::SERVICE_UNAVAILABLE,
        "failed-title",
        &["failed-body"],
    )
}
