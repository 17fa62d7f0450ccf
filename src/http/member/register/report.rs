//! A report that starts from a declared page, at `/me/pages/{id}/report`: the report form
//! with every fact the member declared filled in, filed through the same intake as the
//! public form, and linked to the version of the declaration it used.

use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use uuid::Uuid;

use super::{Me, broken};
use crate::{
    domain::{Named, Platform, i18n::text_with, register::DeclaredVersion, token},
    http::{
        extract::csrf::Csrf,
        html::{error::PageError, page},
        member::report::{self, Declared, Filled, FromPage},
        member::track::StopGuide,
        state::AppState,
    },
    usecases::{
        intake::FromRegister,
        register::{MemberRow, PageRow, RegisterError, report::for_member},
    },
};

fn not_found(req: &HttpRequest) -> PageError {
    page::message(
        req,
        StatusCode::NOT_FOUND,
        "register-missing-title",
        &["register-missing"],
    )
    .into()
}

/// The member's page and the version of its declaration the report uses.
async fn declared(
    req: &HttpRequest,
    state: &AppState,
    member: &MemberRow,
    raw: &str,
    shown: Option<i32>,
) -> Result<(PageRow, DeclaredVersion), PageError> {
    let id: Uuid = raw.parse().map_err(|_| not_found(req))?;
    match for_member(&state.db, member, id, shown).await {
        Ok(found) => Ok(found),
        Err(RegisterError::NotFound) => Err(not_found(req)),
        Err(error) => Err(broken(error)),
    }
}

/// What the form says of the declaration, and where it is sent.
fn from_page(me: &Me, page: &PageRow, declared: &DeclaredVersion) -> FromPage {
    let locale = me.lang.locale;
    let at = (declared.at + chrono::TimeDelta::hours(7))
        .format("%d/%m/%Y %H:%M")
        .to_string();
    let version = declared.version.to_string();
    let d = &declared.declaration;
    FromPage {
        action: format!("/me/pages/{}/report", page.id),
        lead: text_with(
            locale,
            "register-report-from",
            &[("name", &d.name), ("version", &version), ("at", &at)],
        ),
        evidence: me.tr().t("register-report-evidence"),
        version: declared.version,
    }
}

/// The form's fields as the declaration fills them.
fn filled(member: &MemberRow, page: &PageRow, declared: &DeclaredVersion) -> Filled {
    let d = &declared.declaration;
    let mut values = HashMap::from([
        ("reporter.email".to_owned(), member.email.clone()),
        (
            "reporter.committee".to_owned(),
            member
                .committee_id
                .clone()
                .unwrap_or_else(|| page.committee_id.clone()),
        ),
        ("page.url".to_owned(), d.url.clone()),
        ("page.platform".to_owned(), d.platform.as_str().to_owned()),
        ("page.display_name".to_owned(), d.name.clone()),
        ("page.purpose".to_owned(), d.purpose.clone()),
    ]);
    values.extend(
        [
            ("page.linked_email", d.linked_email.clone()),
            ("page.linked_phone", d.linked_phone.clone()),
        ]
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_owned(), v?))),
    );
    // The declared creation date, to the day, the month or the year, in its three boxes.
    if let Some(created) = d.created_on {
        let (day, month, year) = created.parts();
        for (part, value) in [("day", day), ("month", month), ("year", year)] {
            values.insert(format!("page.created_on.{part}"), value);
        }
    }
    Filled {
        values,
        ..Filled::default()
    }
}

pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let me = Me::of(&req, &state, &session, csrf).await?;
    let (page, declared) = declared(&req, &state, &me.member, &path, None).await?;
    let mut shown = report::build_page(
        &state,
        me.lang.locale,
        me.csrf_token.clone(),
        token::random_token(16),
        filled(&me.member, &page, &declared),
        Some(from_page(&me, &page, &declared)),
    );
    // The page is known: its platform's steps to stop it come first.
    let platform = declared.declaration.platform;
    shown.stop = (platform != Platform::Other)
        .then(|| StopGuide::new(&state.settings, me.lang.locale, platform));
    Ok(me.respond(&state, StatusCode::OK, page::render(&shown)))
}

#[tracing::instrument(skip_all)]
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    path: web::Path<String>,
    payload: Multipart,
) -> Result<HttpResponse, PageError> {
    let me = Me::of(&req, &state, &session, csrf).await?;
    let mut form = match report::read(&req, &state, &me.csrf, payload).await {
        Ok(form) => form,
        Err(refused) => return Ok(refused),
    };
    let shown = form
        .get("register_version")
        .and_then(|v| v.trim().parse().ok());
    let (page, declared) = match declared(&req, &state, &me.member, &path, shown).await {
        Ok(found) => found,
        Err(error) => {
            form.discard_files().await;
            return Err(error);
        }
    };
    let declared = Declared {
        key: page.page_key.clone(),
        page: from_page(&me, &page, &declared),
        from: FromRegister {
            declared,
            member_email: me.member.email.clone(),
        },
    };
    Ok(report::accept(&req, &state, &me.lang, &me.csrf, form, Some(declared)).await)
}
