//! The directory in the desk: the committee tree one level at a time, search, each party
//! with its contacts, endpoints and timeline, the forms that change them, the routing
//! rules with a preview, and the directory's timeline.
//!
//! Who may do what is `Officer::directory_right`: admins manage everything; an officer
//! manages the email addresses and webhook endpoints of the committees of their own
//! subtree (not names, parent, deadline, disabled state or removal); a viewer only reads.
//! Every change goes through one use case of `usecases::directory`.

mod endpoints;
mod parties;
mod routing;

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

pub use endpoints::{
    delete_endpoint, disable_endpoint, edit_endpoint, edit_endpoint_form, enable_endpoint,
    new_endpoint, new_endpoint_form, rotate_endpoint, test_endpoint,
};
pub use parties::{
    create, disable, edit, edit_emails, edit_emails_form, edit_form, enable, new_form, remove,
};
pub use routing::{preview, routing_page, save_routing};

use super::{
    Desk, Who,
    queue::{committee_name, local_time},
};
use crate::{
    domain::{
        FieldError, Locale, Named,
        access::DirectoryRight,
        directory::{Directory, DirectoryChange, Party},
        i18n::{self, Tr},
        routing::PartyKind,
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
    usecases::{Scope, directory as uc},
};

/// Search answers at most this many parties.
const SEARCH_LIMIT: usize = 50;
/// Changes per page of a timeline.
const CHANGES_PAGE: u64 = 50;

/// A link in the breadcrumbs or a list.
pub struct Crumb {
    pub href: String,
    pub label: String,
}

/// A party in a list: its name, id, kind, where it sits and how many units are below it.
pub struct PartyRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub path: String,
    pub children: usize,
    pub disabled: bool,
}

/// A field whose value a change replaced, or (`before` absent) a field a change set.
pub struct FieldChange {
    pub name: String,
    pub before: Option<String>,
    pub after: String,
    /// The language of the values when it is not the page's (a party's English name).
    pub lang: Option<&'static str>,
    /// The values are names of the webhook protocol, shown as code.
    pub code: bool,
}

/// One change of the directory's timeline.
pub struct ChangeLine {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub party: Option<Crumb>,
    pub fields: Vec<FieldChange>,
}

/// A choice of a select or a set of checkboxes.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub fn party_href(id: &str) -> String {
    format!("/desk/directory/parties/{id}")
}

fn kind_label(tr: Tr, kind: PartyKind) -> String {
    tr.t(&format!("desk-dir-kind-{}", kind.as_str()))
}

/// The names of the committees above `id` and its own, from the top.
fn path_of(dir: &Directory, locale: Locale, id: &str) -> String {
    dir.path(id)
        .iter()
        .map(|p| p.name.get(locale))
        .collect::<Vec<_>>()
        .join(" › ")
}

fn row(dir: &Directory, locale: Locale, p: &Party) -> PartyRow {
    let tr = Tr(locale);
    PartyRow {
        id: p.id.clone(),
        name: p.name.get(locale).to_owned(),
        kind: kind_label(tr, p.kind),
        path: if p.kind == PartyKind::Committee {
            path_of(dir, locale, &p.id)
        } else {
            String::new()
        },
        children: dir.child_count(&p.id),
        disabled: !p.is_enabled(),
    }
}

/// The problems of a form in the reader's language: the label of each field and the
/// directory's own message for its rule (the generic one, or the use case's text, when
/// there is none).
pub fn shown(locale: Locale, errors: &[FieldError], id_of: impl Fn(&str) -> String) -> Vec<Shown> {
    let mut out: Vec<Shown> = Vec::new();
    for e in errors {
        let id = id_of(&e.field);
        if out.iter().any(|s| s.id == id) {
            continue;
        }
        let limit = e.limit.map(|l| l.to_string()).unwrap_or_default();
        let args: &[(&'static str, &str)] = &[("limit", limit.as_str())];
        let message = i18n::try_text_with(locale, &format!("desk-dir-error-{}", e.rule), args)
            .or_else(|| i18n::try_text_with(locale, &format!("error-{}", e.rule), args))
            .unwrap_or_else(|| e.message.clone());
        let label_key = problems::field_id(&e.field);
        let label = i18n::try_text(locale, &format!("desk-dir-field-{label_key}"))
            .or_else(|| i18n::try_text(locale, &format!("field-{label_key}")))
            .unwrap_or_else(|| label_key.clone());
        out.push(Shown { id, label, message });
    }
    out
}

/// The problem shown beside the field with this element id.
pub fn problem<'a>(problems: &'a [Shown], id: &str) -> Option<&'a Shown> {
    problems.iter().find(|p| p.id == id)
}

/// The words of a `done` code, when it is one of ours.
fn done_text(locale: Locale, done: Option<&str>) -> Option<String> {
    done.filter(|d| d.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .and_then(|d| i18n::try_text(locale, &format!("desk-dir-done-{d}")))
}

fn redirect(location: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .finish()
}

fn not_found(req: &HttpRequest) -> PageError {
    page::message(
        req,
        StatusCode::NOT_FOUND,
        "desk-dir-missing-title",
        &["desk-dir-missing"],
    )
    .into()
}

fn broken(error: impl Into<anyhow::Error>) -> PageError {
    PageError::broken(error.into().context("a directory page failed"))
}

/// The party named in the path, when the officer may see it, with their right over it.
fn visible<'a>(
    req: &HttpRequest,
    desk: &Desk,
    dir: &'a Directory,
    id: &str,
) -> Result<(&'a Party, DirectoryRight), PageError> {
    dir.party(id)
        .and_then(|p| desk.officer.directory_right(dir, p).map(|r| (p, r)))
        .ok_or_else(|| not_found(req))
}

/// The officer of a form that changes the directory: signed in, the form's token theirs,
/// and allowed `needed` over the party `id` (over the whole directory when `None`).
pub async fn acting(
    req: &HttpRequest,
    state: &AppState,
    session: &Session,
    csrf: Csrf,
    token: &str,
    party: Option<&str>,
    needed: DirectoryRight,
) -> Result<Desk, PageError> {
    let desk = Desk::of(req, state, session, csrf).await?;
    if !state.csrf.verify(&desk.csrf, token) {
        return Err(page::message(
            req,
            StatusCode::FORBIDDEN,
            "refused-title",
            &["refused-csrf"],
        )
        .into());
    }
    let dir = state.directory.current();
    let right = match party {
        Some(id) => visible(req, &desk, &dir, id)?.1,
        None if desk.officer.manages_directory() => DirectoryRight::Manage,
        None => DirectoryRight::Read,
    };
    if right < needed {
        return Err(desk.read_only(req).into());
    }
    Ok(desk)
}

/// A urlencoded form read whole, for fields that repeat (checkboxes) or are numbered.
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn parse(body: &[u8]) -> Self {
        Self(
            url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
            .collect()
    }

    pub fn token(&self) -> &str {
        self.get("csrf_token")
    }
}

/// What a use case's refusal shows: the form again (422) with its problems, a 409 with
/// the rule's message, or a not-found page.
pub enum Failure {
    Invalid(Vec<FieldError>),
    Refused(String),
}

fn failure(req: &HttpRequest, error: uc::DirectoryError) -> Result<Failure, PageError> {
    match error {
        uc::DirectoryError::Invalid(errors) => Ok(Failure::Invalid(errors)),
        uc::DirectoryError::Refused { message, .. } => Ok(Failure::Refused(message)),
        uc::DirectoryError::NotFound(_) => Err(not_found(req)),
        uc::DirectoryError::Storage(error) => Err(broken(error)),
    }
}

// ---------------------------------------------------------------------------------------
// The tree and search.
// ---------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "desk/directory/index.html")]
struct IndexPage {
    chrome: Chrome,
    who: Who,
    q: String,
    kinds: Vec<Opt>,
    searched: bool,
    results: Vec<PartyRow>,
    committees: Vec<PartyRow>,
    authorities: Vec<PartyRow>,
    providers: Vec<PartyRow>,
    manages: bool,
    done: Option<String>,
}

#[derive(Deserialize)]
pub struct IndexQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    done: Option<String>,
}

pub async fn index(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    query: web::Query<IndexQuery>,
) -> Result<HttpResponse, PageError> {
    let desk = Desk::of(&req, &state, &session, csrf).await?;
    let dir = state.directory.current();
    let tr = desk.tr();
    let locale = tr.0;
    let q = query.q.trim().to_owned();
    let kind: Option<PartyKind> = query.kind.parse().ok();
    let within = match &desk.scope {
        Scope::All => None,
        Scope::Committees(ids) => Some(ids.as_slice()),
    };
    let searched = !q.is_empty() || kind.is_some();
    let results = if searched {
        // Committees within the officer's subtree; authorities and providers are everyone's.
        let kinds = kind.map_or_else(|| PartyKind::ALL.to_vec(), |k| vec![k]);
        kinds
            .into_iter()
            .flat_map(|k| {
                let scoped = (k == PartyKind::Committee).then_some(within).flatten();
                dir.search(&q, Some(k), scoped, SEARCH_LIMIT)
            })
            .take(SEARCH_LIMIT)
            .map(|p| row(&dir, locale, p))
            .collect()
    } else {
        Vec::new()
    };
    let committees = match (desk.officer.manages_directory(), &desk.officer.committee) {
        (true, _) => dir.roots().map(|p| row(&dir, locale, p)).collect(),
        (false, Some(own)) => dir
            .committee(own)
            .map(|p| row(&dir, locale, p))
            .into_iter()
            .collect(),
        (false, None) => Vec::new(),
    };
    let list = |k| dir.of_kind(k).map(|p| row(&dir, locale, p)).collect();
    let page = IndexPage {
        chrome: desk.chrome("desk-dir-title", "/desk/directory"),
        who: Who::of(&desk),
        kinds: PartyKind::ALL
            .iter()
            .map(|k| Opt {
                value: k.as_str().to_owned(),
                label: kind_label(tr, *k),
                selected: Some(*k) == kind,
            })
            .collect(),
        q,
        searched,
        results,
        committees,
        authorities: list(PartyKind::Authority),
        providers: list(PartyKind::Provider),
        manages: desk.officer.manages_directory(),
        done: done_text(locale, query.done.as_deref()),
    };
    Ok(desk.respond(&state, StatusCode::OK, page::render(&page)))
}

// ---------------------------------------------------------------------------------------
// The directory's timeline.
// ---------------------------------------------------------------------------------------

/// How the officer reads a recorded value: codes in words, parties by name, times in the
/// officer's time, names and contacts as their parts, lists joined; never JSON.
struct Reader<'a> {
    tr: Tr,
    dir: &'a Directory,
    settings: &'a crate::config::Settings,
}

impl Reader<'_> {
    fn value(&self, field: &str, v: Option<&serde_json::Value>) -> String {
        use serde_json::Value;
        let tr = self.tr;
        match v {
            None | Some(Value::Null) => "—".to_owned(),
            Some(Value::String(s)) => match field {
                "kind" => s
                    .parse::<PartyKind>()
                    .map_or_else(|_| s.clone(), |k| kind_label(tr, k)),
                "locale" => s
                    .parse::<Locale>()
                    .map_or_else(|_| s.clone(), |l| i18n::text(l, "language-name")),
                "parent" | "party" | "default_provider" => self.dir.name_of(s, tr.0),
                "platforms" => tr.w("platform", s),
                "kinds" => tr.w("kind", s),
                "min_severity" => tr.w("severity", s),
                "ack_deadline" => humantime::parse_duration(s)
                    .map_or_else(|_| s.clone(), |d| i18n::duration(tr.0, d)),
                "previous_secret_until" => chrono::DateTime::parse_from_rfc3339(s).map_or_else(
                    |_| s.clone(),
                    |t| local_time(self.settings, tr.0, t.with_timezone(&chrono::Utc)),
                ),
                _ => s.clone(),
            },
            Some(Value::Array(a)) if a.is_empty() => "—".to_owned(),
            // Rules are set apart from each other more than the words of one list.
            Some(Value::Array(a)) => a
                .iter()
                .map(|x| self.value(field, Some(x)))
                .collect::<Vec<_>>()
                .join(if a.iter().any(Value::is_object) {
                    " | "
                } else {
                    ", "
                }),
            // A name in each language, or a named contact: its parts, in the order read.
            Some(Value::Object(m))
                if !m.is_empty()
                    && m.keys()
                        .all(|k| ["vi", "en", "name", "phone", "email"].contains(&k.as_str())) =>
            {
                ["name", "vi", "en", "phone", "email"]
                    .iter()
                    .filter_map(|k| m.get(*k).and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join(" · ")
            }
            Some(Value::Object(m)) if m.is_empty() => "—".to_owned(),
            // The providers of platforms: each platform by name, with its provider's.
            Some(Value::Object(m)) if field == "providers" => m
                .iter()
                .map(|(platform, party)| {
                    format!(
                        "{}: {}",
                        tr.w("platform", platform),
                        self.value("party", Some(party))
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
            Some(Value::Object(m)) => m
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| format!("{}: {}", field_label(tr, k), self.value(k, Some(v))))
                .collect::<Vec<_>>()
                .join("; "),
            Some(other) => other.to_string(),
        }
    }
}

/// The label of a recorded field: the form's label of that field.
fn field_label(tr: Tr, field: &str) -> String {
    i18n::try_text(tr.0, &format!("desk-dir-field-{field}")).unwrap_or_else(|| field.to_owned())
}

fn change_line(
    state: &AppState,
    dir: &Directory,
    locale: Locale,
    c: &DirectoryChange,
) -> ChangeLine {
    let tr = Tr(locale);
    let reader = Reader {
        tr,
        dir,
        settings: &state.settings,
    };
    let fields = match (&c.before, &c.after) {
        (Some(_), Some(_)) => c.changed_fields(),
        (Some(serde_json::Value::Object(m)), None) | (None, Some(serde_json::Value::Object(m))) => {
            m.keys().cloned().collect()
        }
        _ => Vec::new(),
    };
    ChangeLine {
        at: local_time(&state.settings, locale, c.at),
        actor: {
            let who = tr.t(&format!("desk-actor-{}", c.actor.kind));
            match c.actor.name.as_deref().or(c.actor.id.as_deref()) {
                Some(n) => format!("{who}: {n}"),
                None => who,
            }
        },
        action: tr.t(&format!("desk-dir-action-{}", c.action.as_str())),
        subject: format!(
            "{} {}",
            tr.t(&format!("desk-dir-subject-{}", c.subject.as_str())),
            c.subject_id
        ),
        party: c.party_id.as_ref().map(|id| Crumb {
            href: party_href(id),
            label: dir.name_of(id, locale),
        }),
        fields: fields
            .iter()
            .flat_map(|name| {
                // A party's names are two fields to the officer, each in its language.
                let parts: Vec<(String, Option<&str>, Option<&'static str>)> = if name == "name" {
                    vec![
                        ("name-vi".to_owned(), Some("vi"), None),
                        ("name-en".to_owned(), Some("en"), Some("en")),
                    ]
                } else {
                    vec![(name.clone(), None, None)]
                };
                let value = |side: &Option<serde_json::Value>, part: Option<&str>| {
                    let v = side.as_ref().and_then(|v| v.get(name));
                    let v = part.map_or(v, |lang| v.and_then(|n| n.get(lang)));
                    reader.value(name, v)
                };
                parts
                    .into_iter()
                    .map(|(label, part, lang)| FieldChange {
                        name: field_label(tr, &label),
                        before: c.before.as_ref().map(|_| value(&c.before, part)),
                        after: value(&c.after, part),
                        lang,
                        code: name == "event_types",
                    })
                    .collect::<Vec<_>>()
            })
            // A value that is the same on both sides, or that a creation leaves empty,
            // says nothing.
            .filter(|f| f.before.as_ref() != Some(&f.after))
            .filter(|f| f.before.is_some() || f.after != "—")
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "desk/directory/changes.html")]
struct ChangesPage {
    chrome: Chrome,
    who: Who,
    changes: Vec<ChangeLine>,
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct ChangesQuery {
    before: Option<String>,
}

pub async fn changes(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    query: web::Query<ChangesQuery>,
) -> Result<HttpResponse, PageError> {
    let desk = Desk::of(&req, &state, &session, csrf).await?;
    let dir = state.directory.current();
    let before = query
        .before
        .as_deref()
        .filter(|b| !b.is_empty())
        .map(|b| b.parse::<uuid::Uuid>().map_err(|_| not_found(&req)))
        .transpose()?;
    let found = uc::scoped_changes(&state.db, &desk.scope, before, CHANGES_PAGE + 1)
        .await
        .map_err(broken)?;
    let more = found.len() as u64 > CHANGES_PAGE;
    let shown: Vec<&DirectoryChange> = found.iter().take(CHANGES_PAGE as usize).collect();
    let next = more
        .then(|| {
            shown
                .last()
                .map(|c| format!("/desk/directory/changes?before={}", c.id))
        })
        .flatten();
    let page = ChangesPage {
        chrome: desk.chrome("desk-dir-changes-title", "/desk/directory/changes"),
        who: Who::of(&desk),
        changes: shown
            .into_iter()
            .map(|c| change_line(&state, &dir, desk.tr().0, c))
            .collect(),
        next,
    };
    Ok(desk.respond(&state, StatusCode::OK, page::render(&page)))
}

// ---------------------------------------------------------------------------------------
// One party.
// ---------------------------------------------------------------------------------------

pub struct Fact {
    pub label: String,
    pub value: String,
    /// The value's language when it is not the page's.
    pub lang: Option<&'static str>,
}

/// An endpoint as the party page shows it: never its secret.
pub struct EndpointView {
    pub id: String,
    pub url: String,
    pub description: String,
    pub event_types: String,
    pub disabled: Option<String>,
    pub previous_until: Option<String>,
    pub rate: String,
}

#[derive(Template)]
#[template(path = "desk/directory/party.html")]
pub struct PartyPage {
    chrome: Chrome,
    who: Who,
    csrf_token: String,
    id: String,
    name: String,
    crumbs: Vec<Crumb>,
    is_committee: bool,
    facts: Vec<Fact>,
    emails: Vec<String>,
    contact: Option<crate::domain::directory::NamedContact>,
    disabled: Option<String>,
    children: Vec<PartyRow>,
    endpoints: Vec<EndpointView>,
    timeline: Vec<ChangeLine>,
    more_changes: Option<String>,
    manages: bool,
    contacts: bool,
    done: Option<String>,
    refused: Option<String>,
    problems: Vec<Shown>,
    values: std::collections::HashMap<String, String>,
}

impl PartyPage {
    pub fn err(&self, id: &str) -> Option<&Shown> {
        problem(&self.problems, id)
    }

    /// What was typed in the field with this element id, when the form comes back.
    pub fn v(&self, id: &str) -> &str {
        self.values.get(id).map_or("", String::as_str)
    }
}

/// What the party page shows besides the party: the outcome of the last form.
#[derive(Default)]
pub struct Outcome {
    pub done: Option<String>,
    pub refused: Option<String>,
    pub problems: Vec<Shown>,
    pub values: std::collections::HashMap<String, String>,
}

pub async fn party_page(
    req: &HttpRequest,
    state: &AppState,
    desk: &Desk,
    id: &str,
    outcome: Outcome,
) -> Result<PartyPage, PageError> {
    let dir = state.directory.current();
    let (party, right) = visible(req, desk, &dir, id)?;
    let tr = desk.tr();
    let locale = tr.0;
    let mut endpoints = Vec::new();
    for e in &party.endpoints {
        let activity = uc::activity(&state.db, &e.id, std::time::Duration::from_secs(86_400), 0)
            .await
            .map_err(broken)?;
        let rate = match activity.success_rate {
            Some(rate) => tr.t1(
                "desk-dir-rate",
                "rate",
                &format!(
                    "{:.0}% ({} / {})",
                    rate * 100.0,
                    activity.delivered,
                    activity.delivered + activity.failed
                ),
            ),
            None => tr.t("desk-dir-rate-none"),
        };
        endpoints.push(EndpointView {
            id: e.id.clone(),
            url: e.url.clone(),
            description: e.description.clone(),
            event_types: e
                .event_types
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            disabled: e.disabled.as_ref().map(|d| d.reason.clone()),
            previous_until: e
                .previous_secret
                .as_ref()
                .and(e.previous_expires_at)
                .map(|at| local_time(&state.settings, locale, at)),
            rate,
        });
    }
    let found = uc::changes(&state.db, Some(id), None, CHANGES_PAGE + 1)
        .await
        .map_err(broken)?;
    let more_changes =
        (found.len() as u64 > CHANGES_PAGE).then(|| "/desk/directory/changes".to_owned());
    let timeline = found
        .iter()
        .take(CHANGES_PAGE as usize)
        .map(|c| change_line(state, &dir, locale, c))
        .collect();
    let mut crumbs = vec![Crumb {
        href: "/desk/directory".to_owned(),
        label: tr.t("desk-dir-title"),
    }];
    let mut above = dir.path(id);
    above.pop();
    crumbs.extend(
        above
            .into_iter()
            .filter(|p| desk.officer.directory_right(&dir, p).is_some())
            .map(|p| Crumb {
                href: party_href(&p.id),
                label: p.name.get(locale).to_owned(),
            }),
    );
    let fact = |key: &str, value: String| Fact {
        label: tr.t(key),
        value,
        lang: None,
    };
    let mut facts = vec![
        fact("desk-dir-id", party.id.clone()),
        fact("desk-dir-kind", kind_label(tr, party.kind)),
        fact("desk-dir-field-name-vi", party.name.vi.clone()),
        Fact {
            lang: Some("en"),
            ..fact("desk-dir-field-name-en", party.name.en.clone())
        },
        fact(
            "desk-dir-field-locale",
            i18n::text(party.locale, "language-name"),
        ),
        fact(
            "desk-dir-field-ack_deadline",
            i18n::duration(locale, party.ack_deadline),
        ),
    ];
    if let Some(parent) = &party.parent {
        facts.push(fact(
            "desk-dir-field-parent",
            format!("{} ({parent})", committee_name(&dir, locale, parent)),
        ));
    }
    Ok(PartyPage {
        chrome: desk.chrome("desk-dir-party-title", &party_href(id)),
        who: Who::of(desk),
        csrf_token: desk.csrf_token.clone(),
        id: party.id.clone(),
        name: party.name.get(locale).to_owned(),
        crumbs,
        is_committee: party.kind == PartyKind::Committee,
        facts,
        emails: party.emails.clone(),
        contact: party.contact.clone(),
        disabled: party.disabled.as_ref().map(|d| {
            format!(
                "{} ({})",
                d.reason,
                local_time(&state.settings, locale, d.at)
            )
        }),
        children: dir.children(id).map(|p| row(&dir, locale, p)).collect(),
        endpoints,
        timeline,
        more_changes,
        manages: right == DirectoryRight::Manage,
        contacts: right >= DirectoryRight::Contacts,
        done: outcome.done,
        refused: outcome.refused,
        problems: outcome.problems,
        values: outcome.values,
    })
}

#[derive(Deserialize)]
pub struct PartyQuery {
    done: Option<String>,
}

pub async fn party(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<String>,
    query: web::Query<PartyQuery>,
) -> Result<HttpResponse, PageError> {
    let desk = Desk::of(&req, &state, &session, csrf).await?;
    let outcome = Outcome {
        done: done_text(desk.tr().0, query.done.as_deref()),
        ..Outcome::default()
    };
    let page = party_page(&req, &state, &desk, &path, outcome).await?;
    Ok(desk.respond(&state, StatusCode::OK, page::render(&page)))
}

/// The party page again after a form on it was refused: 422 with the problems beside
/// their fields, or 409 with the rule that refused it.
pub async fn party_refused(
    req: &HttpRequest,
    state: &AppState,
    desk: &Desk,
    id: &str,
    failure: Failure,
    id_of: impl Fn(&str) -> String,
    values: std::collections::HashMap<String, String>,
) -> Result<HttpResponse, PageError> {
    let (status, outcome) = match failure {
        Failure::Invalid(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Outcome {
                problems: shown(desk.tr().0, &errors, id_of),
                values,
                ..Outcome::default()
            },
        ),
        Failure::Refused(message) => (
            StatusCode::CONFLICT,
            Outcome {
                refused: Some(message),
                ..Outcome::default()
            },
        ),
    };
    let page = party_page(req, state, desk, id, outcome).await?;
    Ok(desk.respond(state, status, page::render(&page)))
}
