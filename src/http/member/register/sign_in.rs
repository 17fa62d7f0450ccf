//! Signing in by email link. Asking for a link always gets the same answer, whether the
//! address is known, new, or over its budget (then nothing is sent); only a malformed
//! address is told so. The link opens a page with one button: a mail scanner that
//! fetches the link does not spend it, only the member's press does (POST), once.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::{Me, redirect, respond};
use crate::{
    domain::Named,
    http::{
        desk::session::MEMBER_KEY,
        extract::{csrf::Csrf, lang::Lang},
        html::{
            error::PageError,
            page::{self, Chrome},
            problems::{self, Shown},
        },
        state::AppState,
    },
    usecases::register::{self as uc, LinkError, RegisterError},
};

#[derive(Template)]
#[template(path = "web/register/sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    csrf_token: String,
    email: String,
    problems: Vec<Shown>,
    /// The link was asked for: say where it went.
    sent: bool,
}

impl SignInPage {
    fn err(&self, name: &str) -> Option<&Shown> {
        problems::of(&self.problems, name)
    }
}

#[derive(Template)]
#[template(path = "web/register/link.html")]
struct LinkPage {
    chrome: Chrome,
    csrf_token: String,
    action: String,
    live: bool,
}

#[derive(Deserialize)]
pub struct AskForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    csrf_token: String,
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf_token: String,
}

fn sign_in_page(
    state: &AppState,
    lang: &Lang,
    csrf: &Csrf,
    status: StatusCode,
    email: String,
    problems: Vec<Shown>,
    sent: bool,
) -> HttpResponse {
    let key = if problems.is_empty() {
        "register-sign-in-title"
    } else {
        "register-sign-in-title-error"
    };
    let page = SignInPage {
        chrome: Chrome::new(lang.locale, key, "/me/sign-in"),
        csrf_token: state.csrf.token(csrf),
        email,
        problems,
        sent,
    };
    respond(state, lang, csrf, status, page::render(&page))
}

pub async fn form(
    state: web::Data<AppState>,
    session: Session,
    lang: Lang,
    csrf: Csrf,
) -> HttpResponse {
    if session
        .get::<uuid::Uuid>(MEMBER_KEY)
        .ok()
        .flatten()
        .is_some()
    {
        return redirect("/me");
    }
    sign_in_page(
        &state,
        &lang,
        &csrf,
        StatusCode::OK,
        String::new(),
        Vec::new(),
        false,
    )
}

#[tracing::instrument(skip_all)]
pub async fn ask(
    req: HttpRequest,
    state: web::Data<AppState>,
    lang: Lang,
    csrf: Csrf,
    form: web::Form<AskForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !state.csrf.verify(&csrf, &form.csrf_token) {
        return page::message(
            &req,
            StatusCode::FORBIDDEN,
            "refused-title",
            &["refused-csrf"],
        );
    }
    if !state.member_sign_in.address_allows(&req) {
        tracing::warn!("member sign-in links throttled for a client address");
        return page::message(
            &req,
            StatusCode::TOO_MANY_REQUESTS,
            "limited-title",
            &["register-sign-in-throttled"],
        );
    }
    if let Err(error) = crate::domain::register::member_email("email", &form.email) {
        let shown = problems::show(lang.locale, vec![problems::from_field_error(&error)]);
        return sign_in_page(
            &state,
            &lang,
            &csrf,
            StatusCode::UNPROCESSABLE_ENTITY,
            form.email,
            shown,
            false,
        );
    }
    // Over the address's budget, nothing is sent, and the answer is the same.
    if state.member_sign_in.email_allows(&form.email) {
        let asked = uc::ask_link(
            &state.db,
            &state.links,
            &state.settings,
            &form.email,
            lang.locale,
            Utc::now(),
        )
        .await;
        match asked {
            Ok(()) => state.outbox.wake(),
            Err(RegisterError::Invalid(_)) => {}
            Err(error) => return PageError::answer("could not queue a sign-in link", error),
        }
    } else {
        tracing::info!("member sign-in links throttled for an email address");
    }
    sign_in_page(
        &state,
        &lang,
        &csrf,
        StatusCode::OK,
        form.email,
        Vec::new(),
        true,
    )
}

/// The page behind the emailed link: one button that signs in.
pub async fn link(
    state: web::Data<AppState>,
    path: web::Path<String>,
    lang: Lang,
    csrf: Csrf,
) -> HttpResponse {
    let token = path.into_inner();
    let live = match uc::link_is_live(&state.db, &token, Utc::now()).await {
        Ok(live) => live,
        Err(error) => return PageError::answer("could not check a sign-in link", error),
    };
    let page = LinkPage {
        chrome: Chrome::new(
            lang.locale,
            if live {
                "register-link-title"
            } else {
                "register-link-spent-title"
            },
            "/me/sign-in",
        ),
        csrf_token: state.csrf.token(&csrf),
        action: format!("/me/link/{token}"),
        live,
    };
    let status = if live {
        StatusCode::OK
    } else {
        StatusCode::GONE
    };
    respond(&state, &lang, &csrf, status, page::render(&page))
}

#[tracing::instrument(skip_all)]
pub async fn redeem(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    session: Session,
    lang: Lang,
    csrf: Csrf,
    form: web::Form<TokenForm>,
) -> HttpResponse {
    if !state.csrf.verify(&csrf, &form.csrf_token) {
        return page::message(
            &req,
            StatusCode::FORBIDDEN,
            "refused-title",
            &["refused-csrf"],
        );
    }
    match uc::redeem(&state.db, &path.into_inner(), lang.locale, Utc::now()).await {
        Ok(member) => {
            // A new session key at sign-in, so a key planted before cannot be used after.
            session.renew();
            if session.insert(MEMBER_KEY, member.id).is_err() {
                return page::broken();
            }
            tracing::info!(member = %member.id, locale = member.locale.as_str(), "member signed in");
            redirect("/me")
        }
        Err(LinkError::Spent) => {
            let page = LinkPage {
                chrome: Chrome::new(lang.locale, "register-link-spent-title", "/me/sign-in"),
                csrf_token: state.csrf.token(&csrf),
                action: String::new(),
                live: false,
            };
            respond(&state, &lang, &csrf, StatusCode::GONE, page::render(&page))
        }
        Err(LinkError::Db(error)) => PageError::answer("could not spend a sign-in link", error),
    }
}

pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, PageError> {
    let me = Me::acting(&req, &state, &session, csrf, &form.csrf_token).await?;
    let _ = me;
    session.purge();
    Ok(redirect("/me/sign-in"))
}
