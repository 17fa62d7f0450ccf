//! The member's side of the page register, under `/me`: sign-in by a one-time email link,
//! "My pages" (declare, edit, close, history), choosing a committee, confirming the
//! declaration a committee asked for, and starting a report from a declared page.
//!
//! Members have their own session: its own cookie (`member_session`, path `/me`), its own
//! signing key and its own realm in the session table, so a desk cookie never opens a
//! member's pages nor the reverse. No password exists anywhere.

mod pages;
mod report;
mod sign_in;

use std::{net::IpAddr, sync::Arc};

use actix_governor::governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use actix_session::{Session, SessionMiddleware};
use actix_web::{
    HttpRequest, HttpResponse,
    cookie::{Key, SameSite},
    http::StatusCode,
    web,
};

use crate::{
    domain::{access::SessionRealm, i18n::Tr},
    http::{
        desk::{
            session::{self, DbSessionStore, MEMBER_KEY},
            throttle::Failures,
        },
        extract::{csrf::Csrf, lang::Lang, limits::ClientAddress},
        html::{
            error::PageError,
            page::{self, Chrome, Extras},
        },
        state::AppState,
    },
    usecases::register::{self as uc, MemberRow},
};

pub const SESSION_COOKIE: &str = "member_session";

/// Budgets of sign-in link requests: per client address (a rate), per email address (a
/// count in a window). Both are spent whether or not the address is known.
#[derive(Clone)]
pub struct SignInLimits {
    addresses: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    emails: Arc<Failures<String>>,
    client: ClientAddress,
}

impl SignInLimits {
    pub fn new(settings: &crate::config::Settings) -> Self {
        let rate = settings.register.sign_in_per_address;
        let per_minute =
            std::num::NonZeroU32::new(rate.per_minute.max(1)).unwrap_or(std::num::NonZeroU32::MIN);
        let burst =
            std::num::NonZeroU32::new(rate.burst.max(1)).unwrap_or(std::num::NonZeroU32::MIN);
        let budget = settings.register.sign_in_per_email;
        let limits = Self {
            addresses: Arc::new(RateLimiter::keyed(
                Quota::per_minute(per_minute).allow_burst(burst),
            )),
            emails: Arc::new(Failures::new(budget.max, budget.window)),
            client: ClientAddress::new(settings),
        };
        let (addresses, emails) = (limits.addresses.clone(), limits.emails.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tick.tick().await;
                addresses.retain_recent();
                emails.prune();
            }
        });
        limits
    }

    /// Spends one request of the address's budget; false when it is spent.
    fn address_allows(&self, req: &HttpRequest) -> bool {
        match self.client.of_request(req) {
            Some(ip) => self.addresses.check_key(&ip).is_ok(),
            None => true,
        }
    }

    /// Counts one link for `email`; false when the address had its links for now.
    fn email_allows(&self, email: &str) -> bool {
        let key = email.trim().to_lowercase();
        if self.emails.exhausted(&key) {
            return false;
        }
        self.emails.record(&key);
        true
    }
}

fn secure(state: &AppState) -> bool {
    state.settings.public_base_url.starts_with("https://")
}

/// The member's session middleware: its own cookie and realm, path `/me`, SameSite=Lax so
/// that the link in the member's email opens the session.
fn sessions(state: &AppState, key: &Key) -> SessionMiddleware<DbSessionStore> {
    session::middleware(
        state.db.clone(),
        key,
        session::CookieSpec {
            realm: SessionRealm::Member,
            name: SESSION_COOKIE,
            path: "/me",
            same_site: SameSite::Lax,
            ttl: state.settings.register.session_ttl,
            secure: secure(state),
        },
    )
}

pub fn configure(cfg: &mut web::ServiceConfig, state: &web::Data<AppState>, key: &Key) {
    use crate::http::routes::at;
    cfg.service(
        web::scope("/me")
            .wrap(sessions(state, key))
            .wrap(actix_web::middleware::from_fn(
                session::answer_store_failures,
            ))
            .service(at("").get(pages::index).done())
            .service(at("/").get(pages::index).done())
            .service(at("/sign-in").get(sign_in::form).post(sign_in::ask).done())
            .service(
                at("/link/{token}")
                    .get(sign_in::link)
                    .post(sign_in::redeem)
                    .done(),
            )
            .service(at("/sign-out").post(sign_in::sign_out).done())
            .service(
                at("/committee")
                    .get(pages::committee_form)
                    .post(pages::choose_committee)
                    .done(),
            )
            .service(at("/confirm").post(pages::confirm).done())
            .service(
                at("/pages/new")
                    .get(pages::new_form)
                    .post(pages::create)
                    .done(),
            )
            .service(at("/pages/{id}").get(pages::show).done())
            .service(
                at("/pages/{id}/edit")
                    .get(pages::edit_form)
                    .post(pages::edit)
                    .done(),
            )
            .service(
                at("/pages/{id}/close")
                    .get(pages::close_form)
                    .post(pages::close)
                    .done(),
            )
            .service(
                at("/pages/{id}/report")
                    .get(report::form)
                    .post(report::submit)
                    .done(),
            ),
    );
}

/// A signed-in member with what every page of theirs needs.
pub struct Me {
    pub member: MemberRow,
    pub lang: Lang,
    pub csrf: Csrf,
    pub csrf_token: String,
}

impl Me {
    /// The member of this session, or a redirect to the sign-in page.
    pub async fn of(
        req: &HttpRequest,
        state: &AppState,
        session: &Session,
        csrf: Csrf,
    ) -> Result<Self, PageError> {
        let member = match session::subject(session, MEMBER_KEY) {
            Some(id) => uc::member(&state.db, id).await.map_err(|error| {
                PageError::broken(
                    anyhow::Error::new(error).context("could not load the signed-in member"),
                )
            })?,
            None => None,
        };
        let Some(member) = member else {
            return Err(session::to_sign_in(session, "/me/sign-in"));
        };
        Ok(Self {
            lang: Lang::of(req),
            csrf_token: state.csrf.token(&csrf),
            csrf,
            member,
        })
    }

    /// The member of a form: signed in, and the form's token theirs.
    pub async fn acting(
        req: &HttpRequest,
        state: &AppState,
        session: &Session,
        csrf: Csrf,
        token: &str,
    ) -> Result<Self, PageError> {
        let me = Self::of(req, state, session, csrf).await?;
        if !state.csrf.verify(&me.csrf, token) {
            return Err(page::message(
                req,
                StatusCode::FORBIDDEN,
                "refused-title",
                &["refused-csrf"],
            )
            .into());
        }
        Ok(me)
    }

    pub fn tr(&self) -> Tr {
        Tr(self.lang.locale)
    }

    pub fn chrome(&self, title_key: &str, path: &str) -> Chrome {
        Chrome::new(self.lang.locale, title_key, path)
    }

    pub fn respond(
        &self,
        state: &AppState,
        status: StatusCode,
        body: Option<String>,
    ) -> HttpResponse {
        respond(state, &self.lang, &self.csrf, status, body)
    }
}

/// A rendered page with the language and CSRF cookies it needs.
fn respond(
    state: &AppState,
    lang: &Lang,
    csrf: &Csrf,
    status: StatusCode,
    body: Option<String>,
) -> HttpResponse {
    match body {
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

fn redirect(location: impl Into<String>) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location.into()))
        .finish()
}

fn broken(error: impl Into<anyhow::Error>) -> PageError {
    PageError::broken(error.into().context("a register page failed"))
}
