//! The page register in the desk: the declared pages of the officer's scope (search,
//! filters, keyset pages, the CSV), one page with its versions and the other members'
//! declarations of the same page, the members of the scope (confirm them, add them by
//! email), and the declaration requests with who answered.
//!
//! Every read goes through `Desk.scope`, as the queue's do; viewers read, officers and
//! admins act, and every form carries its token. Each handler calls one use case of
//! `usecases::register`.

mod csv;
mod members;
mod pages;
mod requests;

use actix_web::{HttpRequest, HttpResponse, http::StatusCode};
use chrono::{DateTime, Utc};

pub use csv::export;
pub use members::{add, confirm, roster};
pub use pages::{index, show, version};
pub use requests::{request, requests, start};

use super::{Desk, queue::Opt};
use crate::{
    config::Settings,
    domain::{
        FieldError, Locale,
        directory::Directory,
        i18n::{self, Tr},
        routing::PartyKind,
    },
    http::html::{error::PageError, page, problems::Shown},
    usecases::Scope,
};

/// Committees a picker offers at once; more are found by searching.
const PICKER_LIMIT: usize = 50;

fn not_found(req: &HttpRequest) -> PageError {
    page::message(
        req,
        StatusCode::NOT_FOUND,
        "desk-reg-missing-title",
        &["desk-reg-missing"],
    )
    .into()
}

fn broken(error: impl Into<anyhow::Error>) -> PageError {
    PageError::broken(error.into().context("a register page of the desk failed"))
}

fn redirect(location: String) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .finish()
}

/// A time as the desk shows it, in the configured zone.
fn local(desk: &Desk, settings: &Settings, at: DateTime<Utc>) -> String {
    super::queue::local_time(settings, desk.lang.locale, at)
}

fn committee_name(dir: &Directory, locale: Locale, id: &str) -> String {
    super::queue::committee_name(dir, locale, id)
}

/// The words of a `done` code, when it is one of ours, with its count.
fn done_text(locale: Locale, done: Option<&str>, count: Option<u64>) -> Option<String> {
    let count = count.unwrap_or(0).to_string();
    done.filter(|d| d.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .and_then(|d| {
            i18n::try_text_with(locale, &format!("desk-reg-done-{d}"), &[("count", &count)])
        })
}

/// The message of a broken rule: the register's words for it, else the shared ones.
fn rule_text(locale: Locale, e: &FieldError) -> String {
    let limit = e.limit.map(|l| l.to_string()).unwrap_or_default();
    let args: &[(&'static str, &str)] = &[("limit", limit.as_str())];
    i18n::try_text_with(locale, &format!("desk-reg-error-{}", e.rule), args)
        .or_else(|| i18n::try_text_with(locale, &format!("error-{}", e.rule), args))
        .unwrap_or_else(|| i18n::text(locale, "error-invalid"))
}

/// A form's problems, one per field, each labelled with the field's name.
fn shown(locale: Locale, errors: &[FieldError]) -> Vec<Shown> {
    let mut out: Vec<Shown> = Vec::new();
    for e in errors {
        let id = crate::http::html::problems::field_id(&e.field);
        if out.iter().any(|s| s.id == id) {
            continue;
        }
        out.push(Shown {
            label: Tr(locale).t(&format!("desk-reg-field-{id}")),
            message: rule_text(locale, e),
            id,
        });
    }
    out
}

/// The committees a form offers: those matching `search` within the scope, or else the
/// officer's own committee and those below it (the top committees for an admin); the
/// committee already chosen stays offered, selected.
fn committee_choices(desk: &Desk, dir: &Directory, search: &str, chosen: &str) -> Vec<Opt> {
    let locale = desk.lang.locale;
    let within = match &desk.scope {
        Scope::All => None,
        Scope::Committees(ids) => Some(ids.as_slice()),
    };
    let mut ids: Vec<String> = if !search.trim().is_empty() {
        dir.search(search, Some(PartyKind::Committee), within, PICKER_LIMIT)
            .into_iter()
            .map(|p| p.id.clone())
            .collect()
    } else {
        match &desk.officer.committee {
            Some(own) => dir.committee_subtree(own),
            None => dir.roots().map(|p| p.id.clone()).collect(),
        }
    };
    ids.truncate(PICKER_LIMIT);
    let default = desk.officer.committee.clone().unwrap_or_default();
    let chosen = if chosen.is_empty() {
        default.as_str()
    } else {
        chosen
    };
    if !chosen.is_empty()
        && !ids.iter().any(|id| id == chosen)
        && dir.committee(chosen).is_some()
        && desk.scope.allows(chosen)
    {
        ids.insert(0, chosen.to_owned());
    }
    ids.into_iter()
        .filter(|id| dir.open_committee(id).is_some() && desk.scope.allows(id))
        .map(|id| Opt {
            label: dir
                .path(&id)
                .iter()
                .map(|p| p.name.get(locale))
                .collect::<Vec<_>>()
                .join(" › "),
            selected: id == chosen,
            value: id,
        })
        .collect()
}
