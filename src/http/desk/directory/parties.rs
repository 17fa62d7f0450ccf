//! The forms that add, edit, move, disable, enable and remove a party. Adding, renaming,
//! moving, disabling and removing are for admins; an officer edits only the email
//! addresses of a committee of their subtree (through its own form).

use std::collections::HashMap;

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use serde::Deserialize;

use super::{
    Desk, Failure, Fields, Opt, Who, acting, failure, kind_label, party_href, party_refused,
    redirect, shown, visible,
};
use crate::{
    domain::{
        Locale, Named,
        access::DirectoryRight,
        directory::{ContactDraft, Party, PartyDraft},
        i18n,
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
    usecases::directory as uc,
};

/// Which form of a party: a new one, an admin's whole edit, or an officer's addresses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    New,
    Edit,
    Emails,
}

#[derive(Template)]
#[template(path = "desk/directory/party_form.html")]
struct PartyFormPage {
    chrome: Chrome,
    who: Who,
    csrf_token: String,
    heading: String,
    action: String,
    back: String,
    is_new: bool,
    emails_only: bool,
    kinds: Vec<Opt>,
    locales: Vec<Opt>,
    values: HashMap<String, String>,
    problems: Vec<Shown>,
}

impl PartyFormPage {
    pub fn v(&self, id: &str) -> &str {
        self.values.get(id).map_or("", String::as_str)
    }

    pub fn err(&self, id: &str) -> Option<&Shown> {
        super::problem(&self.problems, id)
    }
}

/// The form's values of an existing party, by element id.
fn values_of(p: &Party) -> HashMap<String, String> {
    let contact = ContactDraft::of(p.contact.as_ref());
    HashMap::from([
        ("id".to_owned(), p.id.clone()),
        ("kind".to_owned(), p.kind.as_str().to_owned()),
        ("parent".to_owned(), p.parent.clone().unwrap_or_default()),
        ("name-vi".to_owned(), p.name.vi.clone()),
        ("name-en".to_owned(), p.name.en.clone()),
        ("locale".to_owned(), p.locale.as_str().to_owned()),
        (
            "ack_deadline".to_owned(),
            humantime::format_duration(p.ack_deadline).to_string(),
        ),
        ("emails".to_owned(), p.emails.join("\n")),
        ("contact-name".to_owned(), contact.name),
        ("contact-phone".to_owned(), contact.phone),
        ("contact-email".to_owned(), contact.email),
    ])
}

/// What was posted, by element id, to fill the form again.
fn values_posted(f: &Fields) -> HashMap<String, String> {
    [
        ("id", "id"),
        ("kind", "kind"),
        ("parent", "parent"),
        ("name-vi", "name_vi"),
        ("name-en", "name_en"),
        ("locale", "locale"),
        ("ack_deadline", "ack_deadline"),
        ("emails", "emails"),
        ("contact-name", "contact.name"),
        ("contact-phone", "contact.phone"),
        ("contact-email", "contact.email"),
    ]
    .into_iter()
    .map(|(id, name)| (id.to_owned(), f.get(name).to_owned()))
    .collect()
}

fn lines(raw: &str) -> Vec<String> {
    raw.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn draft(f: &Fields) -> PartyDraft {
    PartyDraft {
        id: f.get("id").trim().to_owned(),
        kind: f.get("kind").parse().ok(),
        parent: Some(f.get("parent").trim().to_owned()).filter(|p| !p.is_empty()),
        name_vi: f.get("name_vi").to_owned(),
        name_en: f.get("name_en").to_owned(),
        locale: f.get("locale").parse().ok(),
        ack_deadline: f.get("ack_deadline").to_owned(),
        emails: lines(f.get("emails")),
        contact: contact_posted(f),
    }
}

fn contact_posted(f: &Fields) -> ContactDraft {
    ContactDraft {
        name: f.get("contact.name").to_owned(),
        phone: f.get("contact.phone").to_owned(),
        email: f.get("contact.email").to_owned(),
    }
}

/// The party as it is, with only its addresses and named contact from the form.
fn emails_draft(p: &Party, f: &Fields) -> PartyDraft {
    PartyDraft {
        id: p.id.clone(),
        kind: Some(p.kind),
        parent: p.parent.clone(),
        name_vi: p.name.vi.clone(),
        name_en: p.name.en.clone(),
        locale: Some(p.locale),
        ack_deadline: humantime::format_duration(p.ack_deadline).to_string(),
        emails: lines(f.get("emails")),
        contact: contact_posted(f),
    }
}

fn form_page(
    desk: &Desk,
    form: Form,
    party: Option<&str>,
    values: HashMap<String, String>,
    problems: Vec<Shown>,
) -> PartyFormPage {
    let tr = desk.tr();
    let (title, action, back) = match (form, party) {
        (Form::Edit, Some(id)) => (
            "desk-dir-edit-title",
            format!("{}/edit", party_href(id)),
            party_href(id),
        ),
        (Form::Emails, Some(id)) => (
            "desk-dir-emails-title",
            format!("{}/emails", party_href(id)),
            party_href(id),
        ),
        _ => (
            "desk-dir-new-title",
            "/desk/directory/new".to_owned(),
            "/desk/directory".to_owned(),
        ),
    };
    let kind = values.get("kind").cloned().unwrap_or_default();
    let locale = values.get("locale").cloned().unwrap_or_default();
    PartyFormPage {
        chrome: desk.chrome(title, &action),
        who: Who::of(desk),
        csrf_token: desk.csrf_token.clone(),
        heading: tr.t(title),
        action,
        back,
        is_new: form == Form::New,
        emails_only: form == Form::Emails,
        kinds: PartyKind::ALL
            .iter()
            .map(|k| Opt {
                value: k.as_str().to_owned(),
                label: kind_label(tr, *k),
                selected: k.as_str() == kind,
            })
            .collect(),
        locales: Locale::ALL
            .iter()
            .map(|l| Opt {
                value: l.as_str().to_owned(),
                label: i18n::text(*l, "language-name"),
                selected: l.as_str() == locale,
            })
            .collect(),
        values,
        problems,
    }
}

fn respond_form(
    state: &AppState,
    desk: &Desk,
    status: StatusCode,
    page: PartyFormPage,
) -> HttpResponse {
    desk.respond(state, status, page::render(&page))
}

/// Only admins open the forms that add or rename parties.
fn admin_only(req: &HttpRequest, desk: &Desk) -> Result<(), PageError> {
    if desk.officer.manages_directory() {
        Ok(())
    } else {
        Err(desk.read_only(req).into())
    }
}

#[derive(Deserialize)]
pub struct NewQuery {
    parent: Option<String>,
    kind: Option<String>,
}

pub async fn new_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, PageError> {
    let desk = Desk::of(&req, &state, &session, csrf).await?;
    admin_only(&req, &desk)?;
    let values = HashMap::from([
        (
            "parent".to_owned(),
            query.parent.clone().unwrap_or_default(),
        ),
        (
            "kind".to_owned(),
            query.kind.clone().unwrap_or_else(|| "committee".to_owned()),
        ),
        ("locale".to_owned(), "vi".to_owned()),
        ("ack_deadline".to_owned(), "4h".to_owned()),
    ]);
    let page = form_page(&desk, Form::New, None, values, Vec::new());
    Ok(respond_form(&state, &desk, StatusCode::OK, page))
}

/// The form again with its problems (422), or the page of the refusal.
async fn refused(
    req: &HttpRequest,
    state: &AppState,
    desk: &Desk,
    form: Form,
    party: Option<&str>,
    f: &Fields,
    error: uc::DirectoryError,
) -> Result<HttpResponse, PageError> {
    match failure(req, error)? {
        Failure::Invalid(errors) => {
            let problems = shown(desk.tr().0, &errors, problems::field_id);
            let page = form_page(desk, form, party, values_posted(f), problems);
            Ok(respond_form(
                state,
                desk,
                StatusCode::UNPROCESSABLE_ENTITY,
                page,
            ))
        }
        refusal => match party {
            Some(id) => {
                party_refused(
                    req,
                    state,
                    desk,
                    id,
                    refusal,
                    problems::field_id,
                    HashMap::new(),
                )
                .await
            }
            None => Err(super::broken(anyhow::anyhow!("a new party was refused"))),
        },
    }
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let f = Fields::parse(&body);
    let desk = acting(
        &req,
        &state,
        &session,
        csrf,
        f.token(),
        None,
        DirectoryRight::Manage,
    )
    .await?;
    let actor = desk.officer.actor();
    match uc::create_party(&state.db, &state.directory, &actor, draft(&f)).await {
        Ok(party) => Ok(redirect(format!("{}?done=created", party_href(&party.id)))),
        Err(error) => refused(&req, &state, &desk, Form::New, None, &f, error).await,
    }
}

pub async fn edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let desk = Desk::of(&req, &state, &session, csrf).await?;
    let dir = state.directory.current();
    let (party, right) = visible(&req, &desk, &dir, &path)?;
    if right < DirectoryRight::Manage {
        return Err(desk.read_only(&req).into());
    }
    let page = form_page(&desk, Form::Edit, Some(&path), values_of(party), Vec::new());
    Ok(respond_form(&state, &desk, StatusCode::OK, page))
}

pub async fn edit(
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
        DirectoryRight::Manage,
    )
    .await?;
    let actor = desk.officer.actor();
    match uc::update_party(&state.db, &state.directory, &actor, &id, draft(&f)).await {
        Ok(_) => Ok(redirect(format!("{}?done=updated", party_href(&id)))),
        Err(error) => refused(&req, &state, &desk, Form::Edit, Some(&id), &f, error).await,
    }
}

pub async fn edit_emails_form(
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
    let page = form_page(
        &desk,
        Form::Emails,
        Some(&path),
        values_of(party),
        Vec::new(),
    );
    Ok(respond_form(&state, &desk, StatusCode::OK, page))
}

pub async fn edit_emails(
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
    let Some(draft) = state
        .directory
        .current()
        .party(&id)
        .map(|p| emails_draft(p, &f))
    else {
        return Err(super::not_found(&req));
    };
    let actor = desk.officer.actor();
    match uc::update_party(&state.db, &state.directory, &actor, &id, draft).await {
        Ok(_) => Ok(redirect(format!("{}?done=emails", party_href(&id)))),
        Err(error) => refused(&req, &state, &desk, Form::Emails, Some(&id), &f, error).await,
    }
}

pub async fn disable(
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
        DirectoryRight::Manage,
    )
    .await?;
    let reason = f.get("reason");
    let result = uc::set_party_disabled(
        &state.db,
        &state.directory,
        &desk.officer.actor(),
        &id,
        Some(reason),
    )
    .await;
    match result {
        Ok(_) => Ok(redirect(format!("{}?done=disabled", party_href(&id)))),
        Err(error) => {
            let values = HashMap::from([("reason".to_owned(), reason.to_owned())]);
            let failure = failure(&req, error)?;
            party_refused(
                &req,
                &state,
                &desk,
                &id,
                failure,
                problems::field_id,
                values,
            )
            .await
        }
    }
}

pub async fn enable(
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
        DirectoryRight::Manage,
    )
    .await?;
    let result = uc::set_party_disabled(
        &state.db,
        &state.directory,
        &desk.officer.actor(),
        &id,
        None,
    )
    .await;
    match result {
        Ok(_) => Ok(redirect(format!("{}?done=enabled", party_href(&id)))),
        Err(error) => {
            let failure = failure(&req, error)?;
            party_refused(
                &req,
                &state,
                &desk,
                &id,
                failure,
                problems::field_id,
                HashMap::new(),
            )
            .await
        }
    }
}

pub async fn remove(
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
        DirectoryRight::Manage,
    )
    .await?;
    match uc::remove_party(&state.db, &state.directory, &desk.officer.actor(), &id).await {
        Ok(()) => Ok(redirect("/desk/directory?done=removed".to_owned())),
        Err(error) => {
            let failure = failure(&req, error)?;
            party_refused(
                &req,
                &state,
                &desk,
                &id,
                failure,
                problems::field_id,
                HashMap::new(),
            )
            .await
        }
    }
}
