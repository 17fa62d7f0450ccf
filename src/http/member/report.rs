//! The report form at `/`: shown empty, shown again with every typed value and each
//! problem beside its field, or accepted and answered with a redirect to the
//! confirmation page. A signed-in member's report from a declared page
//! (`member::register::report`) is the same form, filled in from the declaration.

use crate::domain::{
    ContainmentState, Named,
    register::ApproxDate,
    report_form::{self, Step},
};
use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::{NaiveDateTime, Utc};
use serde_json::json;

use crate::domain::directory::{Directory, Party};
use crate::http::{
    extract::csrf::Csrf,
    extract::form::{FormData, Problem, Reader},
    extract::lang::Lang,
    html::page::{self, Chrome, Extras},
    html::problems::{self, Shown},
};
use crate::{
    config::Settings,
    domain::i18n::Tr,
    domain::{
        AccountType, Actor, ActorKind, ContainmentAction, IncidentKind, Locale, Platform,
        new_incident::{ContainmentDraft, IncidentDraft, PageDraft, ReporterDraft},
    },
    http::state::AppState,
    usecases::intake::{self, FromRegister, Once, Receipt, Source},
    usecases::member,
};

/// The idempotency principal of the form: a resubmitted form finds its first report.
pub(super) const PRINCIPAL: &str = "web-form";
const FILE_FIELD: &str = "evidence";
const HONEYPOT: &str = "website";

/// The actions offered in the form's checklist, in the order a member does them.
pub const ACTIONS: &[ContainmentAction] = &[
    ContainmentAction::PasswordChanged,
    ContainmentAction::SessionsRevoked,
    ContainmentAction::TwoFactorEnabled,
    ContainmentAction::AdminsRemoved,
    ContainmentAction::AppsRevoked,
    ContainmentAction::EmailSecured,
    ContainmentAction::PostsUnpublished,
    ContainmentAction::PageDeactivated,
    ContainmentAction::Other,
];

pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct Choice {
    pub value: String,
    pub id: String,
    pub label: String,
    pub hint: String,
    pub checked: bool,
}

/// The form of a report that starts from a member's declared page: where it is sent, and
/// what it says of the declaration above the fields.
#[derive(Clone)]
pub struct FromPage {
    pub action: String,
    /// Which declaration filled the form in, and its version.
    pub lead: String,
    pub evidence: String,
    pub version: i32,
}

/// A report from a declared page, as the form is received: the declaration it uses, the
/// page key it must keep, and the form to show again.
pub struct Declared {
    pub from: FromRegister,
    pub key: String,
    pub page: FromPage,
}

#[derive(Template)]
#[template(path = "web/report.html")]
pub struct ReportPage {
    pub chrome: Chrome,
    /// Where the form is sent.
    pub action: String,
    pub from_page: Option<FromPage>,
    pub csrf_token: String,
    pub submission_id: String,
    values: HashMap<String, String>,
    pub problems: Vec<Shown>,
    pub committees: Vec<Opt>,
    pub platforms: Vec<Opt>,
    pub account_types: Vec<Opt>,
    pub kinds: Vec<Choice>,
    pub states: Vec<Choice>,
    pub actions: Vec<Choice>,
    pub files_lost: bool,
    pub max_files: usize,
    pub max_megabytes: usize,
    pub honeypot: &'static str,
    /// Whether the routing sends every report to an authority and a platform; when it
    /// does not, the lead says only what is sure.
    pub reaches_all: bool,
    /// The platforms whose "stop it now" steps the member can open, and the chosen one's.
    pub stop_platforms: Vec<Opt>,
    pub stop: Option<crate::http::member::track::StopGuide>,
    /// The start page: what to do first, and the way into the steps.
    pub start: bool,
    /// On the start page, the step where a kept draft goes on.
    pub continue_at: Option<String>,
    /// The way into the steps, with the platform chosen for its stop steps.
    pub start_href: String,
    /// The platform chosen on the start page, carried to the page step.
    pub carried_platform: Option<String>,
    /// One step of the form; none for the whole form on one page.
    pub step: Option<StepView>,
    /// The committee step's search and its results.
    pub picker: Option<Picker>,
    /// Files already kept for a draft.
    pub kept_files: Vec<crate::domain::EvidenceFile>,
}

/// Where a member is in the steps of the form.
pub struct StepView {
    pub step: Step,
    pub progress: String,
    pub title: String,
    pub back: String,
    /// Sent from "Check your answers": the step goes back there.
    pub change: bool,
}

/// The committee step: what was searched, what matched, and what to say of it.
pub struct Picker {
    pub query: String,
    pub legend: String,
    pub results: Vec<Choice>,
    pub note: Option<String>,
}

impl ReportPage {
    /// Whether the section of the step `slug` is on this page: every section of the whole
    /// form, or the one of its step.
    pub fn shows(&self, slug: &str) -> bool {
        match &self.step {
            Some(view) => view.step.slug() == slug && view.step != Step::Committee,
            None => !self.start,
        }
    }

    /// The boxes of a date, and of a time when `time`: name, width and label key.
    pub fn date_parts(&self, time: &bool) -> Vec<(&'static str, usize, &'static str)> {
        date_parts(*time)
    }

    /// What the member typed in one box of the date `name`.
    pub fn part(&self, name: &str, part: &str) -> &str {
        self.values
            .get(&format!("{name}.{part}"))
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// What the member typed in `name`.
    pub fn v(&self, name: &str) -> &str {
        self.values
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// The problem shown beside `name`.
    pub fn err(&self, name: &str) -> Option<&Shown> {
        problems::of(&self.problems, name)
    }

    pub fn id(&self, name: &str) -> String {
        problems::field_id(name)
    }

    /// `aria-describedby` of a field: its hint and its error, when present.
    pub fn described(&self, name: &str, hint: &bool) -> String {
        let id = problems::field_id(name);
        let mut ids = Vec::new();
        if *hint {
            ids.push(format!("{id}-hint"));
        }
        if self.err(name).is_some() {
            ids.push(format!("{id}-error"));
        }
        ids.join(" ")
    }

    pub fn field_key(&self, name: &str) -> String {
        format!("field-{}", problems::field_id(name))
    }

    pub fn hint_key(&self, name: &str) -> String {
        format!("hint-{}", problems::field_id(name))
    }
}

pub fn configure(cfg: &mut web::ServiceConfig, limits: &crate::http::extract::limits::WebLimits) {
    cfg.service(
        crate::http::routes::at("/")
            .get(show)
            .post(submit)
            .done()
            .wrap(limits.submissions())
            .wrap(limits.tracking()),
    );
}

fn options<T: Copy + PartialEq>(
    all: &[T],
    selected: &str,
    code: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> String,
) -> Vec<Opt> {
    all.iter()
        .map(|&item| Opt {
            value: code(item).to_owned(),
            label: label(item),
            selected: code(item) == selected,
        })
        .collect()
}

/// The committees that take reports, as a tree: each one indented under its parent.
fn committees(dir: &Directory, locale: Locale, selected: &str) -> Vec<Opt> {
    fn walk<'a>(
        dir: &'a Directory,
        locale: Locale,
        selected: &str,
        level: impl Iterator<Item = &'a Party>,
        depth: usize,
        out: &mut Vec<Opt>,
    ) {
        for committee in level.filter(|c| c.is_enabled()) {
            out.push(Opt {
                value: committee.id.clone(),
                label: format!(
                    "{}{}",
                    "\u{2014} ".repeat(depth),
                    committee.name.get(locale)
                ),
                selected: committee.id == selected,
            });
            walk(
                dir,
                locale,
                selected,
                dir.children(&committee.id),
                depth + 1,
                out,
            );
        }
    }
    let mut out = Vec::new();
    walk(dir, locale, selected, dir.roots(), 0, &mut out);
    out
}

/// What a refused form brings back to show.
#[derive(Default)]
pub struct Filled {
    pub values: HashMap<String, String>,
    pub checked: Vec<String>,
    pub problems: Vec<Shown>,
    pub files_lost: bool,
}

pub fn build_page(
    state: &AppState,
    locale: Locale,
    csrf_token: String,
    submission_id: String,
    filled: Filled,
    from_page: Option<FromPage>,
) -> ReportPage {
    let Filled {
        values,
        checked,
        problems,
        files_lost,
    } = filled;
    let tr = Tr(locale);
    let get = |name: &str| values.get(name).cloned().unwrap_or_default();
    let kind = get("kind");
    let state_value = get("containment.state");
    let (chrome, action) = match &from_page {
        Some(f) => (
            Chrome::new(locale, "register-report-title", &f.action),
            f.action.clone(),
        ),
        None => (Chrome::new(locale, "form-title", "/"), "/".to_owned()),
    };
    ReportPage {
        reaches_all: state.directory.current().routing_gaps().is_empty(),
        stop_platforms: Vec::new(),
        stop: None,
        start: false,
        continue_at: None,
        start_href: format!("/report/{}", Step::You.slug()),
        carried_platform: None,
        step: None,
        picker: None,
        kept_files: Vec::new(),
        chrome,
        action,
        from_page,
        csrf_token,
        submission_id,
        committees: committees(
            &state.directory.current(),
            locale,
            &get("reporter.committee"),
        ),
        platforms: options(
            Platform::ALL,
            &get("page.platform"),
            Platform::as_str,
            |p| tr.w("platform", p.as_str()),
        ),
        account_types: options(
            AccountType::ALL,
            &get("page.account_type"),
            AccountType::as_str,
            |a| tr.w("account_type", a.as_str()),
        ),
        kinds: IncidentKind::ALL
            .iter()
            .map(|k| Choice {
                value: k.as_str().to_owned(),
                id: format!("kind-{k}"),
                label: tr.t(&format!("form-kind-{k}")),
                hint: tr.t(&format!("form-kind-{k}-hint")),
                checked: kind == k.as_str(),
            })
            .collect(),
        states: [
            ContainmentState::Stopped,
            ContainmentState::LostControl,
            ContainmentState::Active,
        ]
        .map(<&'static str>::from)
        .into_iter()
        .map(|s| Choice {
            value: s.to_owned(),
            id: format!("containment-state-{s}"),
            label: tr.t(&format!("form-state-{s}")),
            hint: tr.t(&format!("form-state-{s}-hint")),
            checked: state_value == s,
        })
        .collect(),
        actions: ACTIONS
            .iter()
            .map(|a| Choice {
                value: a.as_str().to_owned(),
                id: format!("action-{a}"),
                label: tr.t(&format!("form-action-{a}")),
                hint: String::new(),
                checked: checked.iter().any(|c| c == a.as_str()),
            })
            .collect(),
        values,
        problems,
        files_lost,
        max_files: state.settings.evidence.max_files,
        max_megabytes: state.settings.evidence.max_file_bytes / (1024 * 1024),
        honeypot: HONEYPOT,
    }
}

/// The stop section: every platform with steps of its own, and the steps of `chosen`.
pub fn stop_section(state: &AppState, page: &mut ReportPage, chosen: Option<Platform>) {
    let tr = Tr(page.chrome.tr.0);
    // Every platform but "other", which has no steps of its own.
    let platforms: Vec<Platform> = Platform::ALL
        .iter()
        .copied()
        .filter(|p| *p != Platform::Other)
        .collect();
    page.stop_platforms = options(
        &platforms,
        chosen.map(Platform::as_str).unwrap_or_default(),
        Platform::as_str,
        |p| tr.w("platform", p.as_str()),
    );
    page.stop =
        chosen.map(|p| crate::http::member::track::StopGuide::new(&state.settings, tr.0, p));
}

pub fn secure(state: &AppState) -> bool {
    state.settings.public_base_url.starts_with("https://")
}

#[derive(serde::Deserialize)]
pub struct ShowQuery {
    /// The platform whose steps to stop the page are shown first.
    stop: Option<String>,
}

/// The start page: what to do at once to stop the page, and the way into the steps (or
/// back to a kept draft).
#[tracing::instrument(skip_all)]
pub async fn show(
    state: web::Data<AppState>,
    lang: Lang,
    csrf: Csrf,
    query: web::Query<ShowQuery>,
) -> HttpResponse {
    let chosen: Option<Platform> = query.stop.as_deref().and_then(|p| p.parse().ok());
    let mut page = build_page(
        &state,
        lang.locale,
        state.csrf.token(&csrf),
        String::new(),
        Filled::default(),
        None,
    );
    page.start = true;
    if !csrf.fresh {
        match crate::usecases::drafts::load(&state.db, csrf.value(), Utc::now()).await {
            Ok(Some(answers)) => {
                page.continue_at = Some(match answers.first_open() {
                    Some(step) => format!("/report/{}", step.slug()),
                    None => "/report/check".to_owned(),
                });
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "could not look for a report draft"),
        }
    }
    stop_section(&state, &mut page, chosen);
    if let Some(platform) = chosen {
        page.start_href = format!("{}?platform={}", page.start_href, platform.as_str());
    }
    respond(&state, &lang, &csrf, StatusCode::OK, page)
}

/// A member page of the report, rendered with its language and form cookies.
pub fn respond(
    state: &AppState,
    lang: &Lang,
    csrf: &Csrf,
    status: StatusCode,
    page: impl Template,
) -> HttpResponse {
    match page::render(&page) {
        Some(body) => page::html(
            status,
            body,
            Extras {
                lang: Some(lang),
                csrf: Some(csrf),
                secure: secure(state),
            },
        ),
        None => page::broken(),
    }
}

/// Whether the member chose "stopped" as the page's state (its time and checklist then
/// count).
pub(super) fn chose_stopped(state: Option<&str>) -> bool {
    state.and_then(|s| s.parse::<ContainmentState>().ok()) == Some(ContainmentState::Stopped)
}

/// The boxes of a date, and of a time when `time`: name, width and label key.
pub(super) fn date_parts(time: bool) -> Vec<(&'static str, usize, &'static str)> {
    let mut parts = vec![
        ("day", 2, "register-day"),
        ("month", 2, "register-month"),
        ("year", 4, "register-year"),
    ];
    if time {
        parts.extend([("hour", 2, "form-hour"), ("minute", 2, "form-minute")]);
    }
    parts
}

/// A datetime-local value (`2026-11-28T08:30`) in the configured offset, as RFC 3339;
/// anything else is passed on for the domain to refuse.
pub fn local_time(settings: &Settings, raw: &str) -> String {
    let raw = raw.trim();
    let parsed = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"));
    match (parsed, settings.web.offset()) {
        (Ok(naive), Some(offset)) => naive
            .and_local_timezone(offset)
            .single()
            .map(|t| t.to_rfc3339())
            .unwrap_or_else(|| raw.to_owned()),
        _ => raw.to_owned(),
    }
}

/// A time of the form in the configured offset, as RFC 3339: from its five boxes
/// (`detected_at.day` …), or from one datetime-local value. Boxes that make no time are a
/// problem of their own; the domain is then given a value it refuses, so that nothing
/// goes through.
pub(super) fn time_field(
    settings: &Settings,
    form: &FormData,
    name: &str,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    if let Some(whole) = form.get(name).filter(|v| !v.trim().is_empty()) {
        return Some(local_time(settings, &whole));
    }
    let part = |p: &str| form.get(&format!("{name}.{p}")).unwrap_or_default();
    let parts = report_form::time_from_parts(
        &part("day"),
        &part("month"),
        &part("year"),
        &part("hour"),
        &part("minute"),
    );
    match parts {
        Ok(None) => None,
        Ok(Some(naive)) => Some(local_time(
            settings,
            &naive.format("%Y-%m-%dT%H:%M").to_string(),
        )),
        Err(error) => {
            problems.push(Problem {
                field: name.to_owned(),
                key: match error {
                    report_form::PartsError::Incomplete => "error-date_incomplete",
                    report_form::PartsError::NotReal => "error-date_not_real",
                }
                .to_owned(),
                args: Vec::new(),
            });
            Some(String::from("-"))
        }
    }
}

/// The page's creation date from its day, month and year boxes (the day and the month
/// may be left empty), or from one `YYYY-MM-DD` value.
fn created_on(form: &FormData, problems: &mut Vec<Problem>) -> Option<String> {
    const NAME: &str = "page.created_on";
    if let Some(whole) = form.get(NAME).filter(|v| !v.trim().is_empty()) {
        return Some(whole);
    }
    let part = |p: &str| form.get(&format!("{NAME}.{p}")).unwrap_or_default();
    let today = crate::domain::register::today_in_vietnam(Utc::now());
    match ApproxDate::from_parts(NAME, &part("day"), &part("month"), &part("year"), today) {
        Ok(date) => date.map(|d| d.to_string()),
        Err(error) => {
            let mut problem = problems::from_field_error(&error);
            if error.rule == "future" {
                problem.key = "error-not_in_future".to_owned();
            }
            problems.push(problem);
            Some(String::from("-"))
        }
    }
}

/// The report a form describes, and the problems of its date boxes.
pub fn draft(
    settings: &Settings,
    form: &FormData,
    locale: Locale,
) -> (IncidentDraft, Vec<Problem>) {
    let text = |name: &str| form.get(name).filter(|v| !v.trim().is_empty());
    let containment_state = text("containment.state");
    let stopped = chose_stopped(containment_state.as_deref());
    let mut shown = Vec::new();
    let detected_at = time_field(settings, form, "detected_at", &mut shown);
    // The checklist and time belong to "stopped"; without script they may stay filled
    // in after the member picked another answer.
    let stopped_at = if stopped {
        time_field(settings, form, "containment.stopped_at", &mut shown)
    } else {
        None
    };
    let created_on = created_on(form, &mut shown);
    let draft = IncidentDraft {
        kind: text("kind"),
        severity: None,
        description: text("description"),
        detected_at,
        reporter: ReporterDraft {
            name: text("reporter.name"),
            email: text("reporter.email"),
            phone: text("reporter.phone"),
            committee: text("reporter.committee"),
            locale: Some(locale.as_str().to_owned()),
        },
        page: PageDraft {
            platform: text("page.platform"),
            url: text("page.url"),
            handle: text("page.handle"),
            display_name: text("page.display_name"),
            account_type: text("page.account_type"),
            linked_email: text("page.linked_email"),
            linked_phone: text("page.linked_phone"),
            created_on,
            purpose: text("page.purpose"),
        },
        containment: ContainmentDraft {
            state: containment_state,
            stopped_at,
            actions: if stopped {
                form.all("containment.actions")
            } else {
                Vec::new()
            },
            note: text("containment.note"),
        },
    };
    (draft, shown)
}

/// Every problem of a form: its date boxes first, then the domain's rules (one per
/// field is shown), the state that was not chosen, and the pair of contacts said once.
pub fn problems_of(
    state: &AppState,
    form: &FormData,
    locale: Locale,
) -> (
    Result<crate::domain::new_incident::NewIncident, Vec<crate::domain::FieldError>>,
    Vec<Problem>,
) {
    let (draft, mut shown) = draft(&state.settings, form, locale);
    let dir = state.directory.current();
    let parsed = draft.parse(Utc::now(), |c| dir.open_committee(c).is_some());
    if form
        .get("containment.state")
        .is_none_or(|v| v.trim().is_empty())
    {
        shown.push(Problem {
            field: "containment.state".to_owned(),
            key: "error-choose_one".to_owned(),
            args: Vec::new(),
        });
    }
    if let Err(errors) = &parsed {
        // "An email or a phone" is said once for the pair, and its error shown on the pair.
        shown.extend(errors.iter().map(|e| {
            let mut problem = problems::from_field_error(e);
            if e.rule == "contact_required" {
                problem.field = "reporter.contact".to_owned();
            }
            problem
        }));
    }
    (parsed, shown)
}

#[tracing::instrument(skip_all)]
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    csrf: Csrf,
    payload: Multipart,
) -> HttpResponse {
    match read(&req, &state, &csrf, payload).await {
        Ok(form) => accept(&req, &state, &lang, &csrf, form, None).await,
        Err(refused) => refused,
    }
}

/// Reads a sent report form, its token checked and its files received; a refused form is
/// the answer to send.
pub async fn read(
    req: &HttpRequest,
    state: &AppState,
    csrf: &Csrf,
    payload: Multipart,
) -> Result<FormData, HttpResponse> {
    let reader = Reader {
        store: &state.files,
        limits: &state.settings.evidence,
        key: &state.csrf,
        csrf,
        file_field: Some(FILE_FIELD),
    };
    let mut form = match reader.read(payload).await {
        Ok(form) => form,
        Err(error) => return Err(crate::http::html::refused(req, error)),
    };
    if form.get(HONEYPOT).is_some_and(|v| !v.is_empty()) {
        form.discard_files().await;
        tracing::info!("report refused: the honeypot field was filled");
        return Err(page::message(
            req,
            StatusCode::BAD_REQUEST,
            "refused-title",
            &["refused-honeypot"],
        ));
    }
    Ok(form)
}

/// Files the report of a read form, from a declared page or not, or shows the form again
/// with each problem beside its field.
pub async fn accept(
    req: &HttpRequest,
    state: &AppState,
    lang: &Lang,
    csrf: &Csrf,
    mut form: FormData,
    declared: Option<Declared>,
) -> HttpResponse {
    let locale = lang.locale;
    let (parsed, mut shown) = problems_of(state, &form, locale);
    // A report from a declared page is about that page.
    if let Ok(new) = &parsed
        && declared.as_ref().is_some_and(|d| {
            crate::domain::register::report_key(new.page.url.as_ref()).as_ref() != Some(&d.key)
        })
    {
        shown.push(Problem {
            field: "page.url".to_owned(),
            key: "error-declared_page".to_owned(),
            args: Vec::new(),
        });
    }
    shown.extend(form.read_problems.iter().cloned());
    let (from, from_page) = match declared {
        Some(d) => (Some(d.from), Some(d.page)),
        None => (None, None),
    };
    let new = match parsed {
        Ok(new) if shown.is_empty() => new,
        _ => {
            let files_lost = form.files_sent;
            form.discard_files().await;
            return form_again(state, lang, csrf, &form, shown, files_lost, from_page);
        }
    };
    let submission = form
        .get("submission_id")
        .filter(|v| (16..=64).contains(&v.len()));
    let key = submission.clone();
    let Ok(admission) = state.intake.admit() else {
        form.discard_files().await;
        return busy(req);
    };
    let work = || {
        file(
            state,
            new,
            &mut form,
            Vec::new(),
            submission,
            from,
            admission,
        )
    };
    let result = intake::once(&state.db, PRINCIPAL, key.as_deref(), "web-form", work).await;
    match result {
        Ok(Once::Done(token)) => HttpResponse::SeeOther()
            .insert_header(("Location", format!("/track/{token}/confirmation")))
            .insert_header(("Cache-Control", "no-store"))
            .finish(),
        Ok(Once::Replay { body, .. }) => {
            form.discard_files().await;
            replay(req, state, &body).await
        }
        Ok(Once::InProgress | Once::Mismatch) => {
            form.discard_files().await;
            still_pending(req)
        }
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "could not file a report from the form");
            // Files already kept are no longer temporary; this removes only the rest.
            form.discard_files().await;
            page::message(
                req,
                StatusCode::SERVICE_UNAVAILABLE,
                "failed-title",
                &["failed-body"],
            )
        }
    }
}

/// Keeps the accepted files, then files the report with them and with the files a draft
/// kept already.
pub(super) async fn file(
    state: &AppState,
    mut new: crate::domain::new_incident::NewIncident,
    form: &mut FormData,
    kept: Vec<crate::domain::EvidenceFile>,
    submission: Option<String>,
    from: Option<FromRegister>,
    admission: intake::Admission,
) -> anyhow::Result<String> {
    for accepted in &form.files {
        state.files.keep(&accepted.received).await?;
    }
    new.evidence = kept;
    new.evidence.extend(form.files.drain(..).map(|a| a.file));
    let actor = Actor {
        kind: ActorKind::Member,
        id: None,
        name: Some(new.reporter.name.as_str().to_owned()),
    };
    let receipt = submission.map(|key| Receipt {
        principal: PRINCIPAL.to_owned(),
        key,
        render: Box::new(|filed: &intake::Filed| {
            let body = json!({ "incident_id": filed.incident.id });
            (303u16, body.to_string().into_bytes())
        }),
    });
    let filed = state
        .intake
        .file_from(new, Source::Web, actor, receipt, from, admission)
        .await?;
    Ok(filed.tracking_token)
}

/// 503: as many reports as allowed are being filed; nothing of this one was kept, and the
/// browser may send it again in a second.
pub(super) fn busy(req: &HttpRequest) -> HttpResponse {
    tracing::warn!("a report from the form was refused: as many as allowed are being filed");
    retry_in_a_second(page::message(
        req,
        StatusCode::SERVICE_UNAVAILABLE,
        "failed-title",
        &["busy-body"],
    ))
}

/// 409: the same form is still being filed; the browser may try again in a second.
pub(super) fn still_pending(req: &HttpRequest) -> HttpResponse {
    retry_in_a_second(page::message(
        req,
        StatusCode::CONFLICT,
        "pending-title",
        &["pending-body"],
    ))
}

fn retry_in_a_second(mut response: HttpResponse) -> HttpResponse {
    response.headers_mut().insert(
        actix_web::http::header::RETRY_AFTER,
        actix_web::http::header::HeaderValue::from_static("1"),
    );
    response
}

/// The same form sent again (a double click, a reload): the report exists, so the member
/// gets a new link to it rather than a second report.
pub(super) async fn replay(req: &HttpRequest, state: &AppState, body: &[u8]) -> HttpResponse {
    let incident_id = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["incident_id"].as_str().and_then(|s| s.parse().ok()));
    let Some(incident_id) = incident_id else {
        return still_pending(req);
    };
    let issued = member::issue_link(&state.db, incident_id).await;
    match issued {
        Ok(token) => HttpResponse::SeeOther()
            .insert_header(("Location", format!("/track/{token}/confirmation")))
            .finish(),
        Err(error) => {
            tracing::error!(%error, "could not issue a tracking link for a resubmitted form");
            page::message(
                req,
                StatusCode::SERVICE_UNAVAILABLE,
                "failed-title",
                &["failed-body"],
            )
        }
    }
}

fn form_again(
    state: &AppState,
    lang: &Lang,
    csrf: &Csrf,
    form: &FormData,
    shown: Vec<Problem>,
    files_lost: bool,
    from_page: Option<FromPage>,
) -> HttpResponse {
    let values: HashMap<String, String> = form
        .fields()
        .iter()
        .filter(|(name, _)| name.as_str() != HONEYPOT)
        .filter_map(|(name, values)| Some((name.clone(), values.first()?.clone())))
        .collect();
    let shown = problems::show(lang.locale, shown);
    let page = build_page(
        state,
        lang.locale,
        state.csrf.token(csrf),
        form.get("submission_id")
            .unwrap_or_else(|| crate::domain::token::random_token(16)),
        Filled {
            values,
            checked: form.all("containment.actions"),
            problems: shown,
            files_lost,
        },
        from_page,
    );
    respond(state, lang, csrf, StatusCode::UNPROCESSABLE_ENTITY, page)
}
