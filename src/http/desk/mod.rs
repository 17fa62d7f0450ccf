//! The committee desk: sign-in, the queue, incident detail and officer actions, the
//! directory, and the page register. Pages share the member pages' frame and
//! protections; every query goes through the officer's scope.

mod actions;
mod auth;
mod detail;
mod directory;
mod export;
mod mail;
mod queue;
mod register;
mod sentence;
pub mod session;
pub mod throttle;

use actix_session::{Session, SessionMiddleware};
use actix_web::{
    HttpRequest, HttpResponse,
    cookie::{Key, SameSite},
    http::StatusCode,
    web,
};

pub use auth::SignInLimits;

use crate::http::{
    extract::{csrf::Csrf, lang::Lang},
    html::{
        error::PageError,
        page::{self, Chrome, Extras},
    },
};
use crate::{
    domain::access::Officer, domain::i18n::Tr, http::state::AppState, usecases::Scope,
    usecases::officers,
};

pub const SESSION_COOKIE: &str = "desk_session";

/// The desk's session middleware: its own cookie, path `/desk`, SameSite=Strict.
pub fn sessions(state: &AppState, key: &Key) -> SessionMiddleware<session::DbSessionStore> {
    session::middleware(
        state.db.clone(),
        key,
        session::CookieSpec {
            realm: crate::domain::access::SessionRealm::Desk,
            name: SESSION_COOKIE,
            path: "/desk",
            same_site: SameSite::Strict,
            ttl: state.settings.desk.session_ttl,
            secure: secure(state),
        },
    )
}

pub fn configure(cfg: &mut web::ServiceConfig, state: &web::Data<AppState>, key: &Key) {
    use crate::http::routes::at;
    let counters = state.counters.clone();
    cfg.service(
        web::scope("/desk")
            .wrap(sessions(state, key))
            .wrap(actix_web::middleware::from_fn(
                session::answer_store_failures,
            ))
            // An officer's change shows in the queue's counters on the next page.
            .wrap_fn(move |req, srv| {
                let changes = req.method() == actix_web::http::Method::POST;
                let counters = counters.clone();
                let answer = actix_web::dev::Service::call(srv, req);
                async move {
                    let res = answer.await?;
                    if changes && res.status().is_redirection() {
                        counters.forget();
                    }
                    Ok(res)
                }
            })
            .service(at("").get(queue::show).done())
            .service(at("/").get(queue::show).done())
            .service(at("/export.csv").get(queue::export).done())
            .service(at("/bulk").post(actions::bulk).done())
            .service(at("/sign-in").get(auth::form).post(auth::sign_in).done())
            .service(at("/sign-out").post(auth::sign_out).done())
            .service(at("/incidents/{reference}").get(detail::show).done())
            .service(
                at("/incidents/{reference}/evidence/{id}")
                    .get(detail::evidence)
                    .done(),
            )
            .service(
                at("/incidents/{reference}/status")
                    .post(actions::status)
                    .done(),
            )
            .service(at("/incidents/{reference}/note").post(actions::note).done())
            .service(
                at("/incidents/{reference}/parties")
                    .post(actions::add_party)
                    .done(),
            )
            .service(
                at("/incidents/{reference}/escalate")
                    .post(actions::escalate)
                    .done(),
            )
            .service(
                at("/incidents/{reference}/tickets/{ticket}/resend")
                    .post(actions::resend)
                    .done(),
            )
            .service(
                at("/incidents/{reference}/tickets/{ticket}/test")
                    .post(actions::test)
                    .done(),
            )
            .service(
                at("/incidents/{reference}/tickets/{ticket}/messages")
                    .post(actions::message)
                    .done(),
            )
            .service(
                at("/incidents/{reference}/messages")
                    .post(actions::message_member)
                    .done(),
            )
            .service(at("/mail").get(mail::list).done())
            .service(at("/mail/{id}").get(mail::show).done())
            .service(at("/mail/{id}/attach").post(mail::attach).done())
            .service(at("/mail/{id}/discard").post(mail::discard).done())
            .service(at("/register").get(register::index).done())
            .service(at("/register/export.csv").get(register::export).done())
            .service(at("/register/pages/{id}").get(register::show).done())
            .service(
                at("/register/pages/{id}/versions/{version}")
                    .get(register::version)
                    .done(),
            )
            .service(at("/register/members").get(register::roster).done())
            .service(
                at("/register/members/confirm")
                    .post(register::confirm)
                    .done(),
            )
            .service(at("/register/members/add").post(register::add).done())
            .service(
                at("/register/requests")
                    .get(register::requests)
                    .post(register::start)
                    .done(),
            )
            .service(at("/register/requests/{id}").get(register::request).done())
            .service(at("/directory").get(directory::index).done())
            .service(at("/directory/changes").get(directory::changes).done())
            .service(
                at("/directory/new")
                    .get(directory::new_form)
                    .post(directory::create)
                    .done(),
            )
            .service(
                at("/directory/routing")
                    .get(directory::routing_page)
                    .post(directory::save_routing)
                    .done(),
            )
            .service(
                at("/directory/routing/preview")
                    .get(directory::preview)
                    .done(),
            )
            .service(at("/directory/parties/{id}").get(directory::party).done())
            .service(
                at("/directory/parties/{id}/edit")
                    .get(directory::edit_form)
                    .post(directory::edit)
                    .done(),
            )
            .service(
                at("/directory/parties/{id}/emails")
                    .get(directory::edit_emails_form)
                    .post(directory::edit_emails)
                    .done(),
            )
            .service(
                at("/directory/parties/{id}/disable")
                    .post(directory::disable)
                    .done(),
            )
            .service(
                at("/directory/parties/{id}/enable")
                    .post(directory::enable)
                    .done(),
            )
            .service(
                at("/directory/parties/{id}/remove")
                    .post(directory::remove)
                    .done(),
            )
            .service(
                at("/directory/parties/{id}/endpoints/new")
                    .get(directory::new_endpoint_form)
                    .post(directory::new_endpoint)
                    .done(),
            )
            .service(
                at("/directory/parties/{id}/endpoints/{endpoint}/edit")
                    .get(directory::edit_endpoint_form)
                    .post(directory::edit_endpoint)
                    .done(),
            )
            .service(
                at("/directory/parties/{id}/endpoints/{endpoint}/rotate")
                    .post(directory::rotate_endpoint)
                    .done(),
            )
            .service(
                at("/directory/parties/{id}/endpoints/{endpoint}/disable")
                    .post(directory::disable_endpoint)
                    .done(),
            )
            .service(
                at("/directory/parties/{id}/endpoints/{endpoint}/enable")
                    .post(directory::enable_endpoint)
                    .done(),
            )
            .service(
                at("/directory/parties/{id}/endpoints/{endpoint}/delete")
                    .post(directory::delete_endpoint)
                    .done(),
            )
            .service(
                at("/directory/parties/{id}/endpoints/{endpoint}/test")
                    .post(directory::test_endpoint)
                    .done(),
            ),
    );
}

fn secure(state: &AppState) -> bool {
    state.settings.public_base_url.starts_with("https://")
}

/// A signed-in officer with what every desk page needs.
pub struct Desk {
    pub officer: Officer,
    pub scope: Scope,
    pub lang: Lang,
    pub csrf: Csrf,
    pub csrf_token: String,
}

impl Desk {
    /// The officer of this session, or a redirect to the sign-in page.
    pub async fn of(
        req: &HttpRequest,
        state: &AppState,
        session: &Session,
        csrf: Csrf,
    ) -> Result<Self, PageError> {
        let officer = match session::subject(session, session::USER_KEY) {
            Some(id) => officers::current(&state.db, id).await.map_err(|error| {
                PageError::broken(
                    anyhow::Error::new(error).context("could not load the signed-in officer"),
                )
            })?,
            None => None,
        };
        let Some(officer) = officer else {
            return Err(session::to_sign_in(session, "/desk/sign-in"));
        };
        Ok(Self {
            scope: officers::scope(&officer, &state.directory.current()),
            lang: Lang::of(req),
            csrf_token: state.csrf.token(&csrf),
            csrf,
            officer,
        })
    }

    pub fn tr(&self) -> Tr {
        Tr(self.lang.locale)
    }

    pub fn chrome(&self, title_key: &str, path: &str) -> Chrome {
        Chrome::new(self.lang.locale, title_key, path)
    }

    /// Officers and admins act; viewers only read.
    pub fn may_act(&self) -> bool {
        self.officer.role.may_act()
    }

    pub fn respond(
        &self,
        state: &AppState,
        status: StatusCode,
        body: Option<String>,
    ) -> HttpResponse {
        match body {
            Some(body) => page::html(
                status,
                body,
                Extras {
                    lang: Some(&self.lang),
                    csrf: Some(&self.csrf),
                    secure: secure(state),
                },
            ),
            None => page::broken(),
        }
    }

    /// The answer to a viewer who tries to act.
    pub fn read_only(&self, req: &HttpRequest) -> HttpResponse {
        page::message(
            req,
            StatusCode::FORBIDDEN,
            "desk-read-only-title",
            &["desk-read-only-body"],
        )
    }
}

/// The officer's name and the sign-out form, shown in every desk page's header.
pub struct Who {
    pub name: String,
    pub role: String,
    pub csrf_token: String,
}

impl Who {
    pub fn of(desk: &Desk) -> Self {
        Self {
            name: desk.officer.name.clone(),
            role: desk.tr().t(&format!("desk-role-{}", desk.officer.role)),
            csrf_token: desk.csrf_token.clone(),
        }
    }
}
