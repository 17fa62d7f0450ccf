//! Signing in and out of the desk. Attempts are throttled per client address; failures per
//! (username, address) pair tightly and per username loosely, so that a stranger cannot
//! lock an officer out; a wrong password and an unknown or disabled user get the same
//! answer.

use std::{net::IpAddr, num::NonZeroU32, sync::Arc};

use actix_governor::governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;
use secrecy::SecretString;
use serde::Deserialize;

use super::{session::USER_KEY, throttle::Failures};
use crate::{
    config::{Rate, Settings},
    http::state::AppState,
    http::{
        extract::{csrf::Csrf, lang::Lang, limits::ClientAddress},
        html::{
            error::PageError,
            page::{self, Chrome, Extras},
        },
    },
    usecases::officers::{self, SignInError},
};

fn quota(rate: Rate) -> Quota {
    let per_minute = NonZeroU32::new(rate.per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(rate.burst.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(per_minute).allow_burst(burst)
}

/// Sign-in budgets, shared by every worker.
#[derive(Clone)]
pub struct SignInLimits {
    addresses: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    pairs: Arc<Failures<(String, Option<IpAddr>)>>,
    accounts: Arc<Failures<String>>,
    client: ClientAddress,
}

/// Whether an attempt may check its password.
#[derive(Debug, PartialEq, Eq)]
enum Gate {
    Open,
    Throttled,
}

impl SignInLimits {
    pub fn new(settings: &Settings) -> Self {
        let desk = &settings.desk;
        let limits = Self {
            addresses: Arc::new(RateLimiter::keyed(quota(desk.sign_in_per_address))),
            pairs: Arc::new(Failures::new(
                desk.sign_in_failures_per_pair.max,
                desk.sign_in_failures_per_pair.window,
            )),
            accounts: Arc::new(Failures::new(
                desk.sign_in_failures_per_account.max,
                desk.sign_in_failures_per_account.window,
            )),
            client: ClientAddress::new(settings),
        };
        limits.spawn_pruning();
        limits
    }

    fn keys(&self, req: &HttpRequest, username: &str) -> (Option<IpAddr>, String) {
        let name: String = username.trim().to_lowercase().chars().take(64).collect();
        (self.client.of_request(req), name)
    }

    /// Spends one attempt of the address's budget, then looks at the failures: too many
    /// from this address for this username, or too many for this username from everywhere
    /// while this address has failed for it too.
    fn gate(&self, address: Option<IpAddr>, name: &str) -> Gate {
        if let Some(ip) = address
            && self.addresses.check_key(&ip).is_err()
        {
            return Gate::Throttled;
        }
        let pair_failures = self.pairs.recent(&(name.to_owned(), address));
        if self.pairs.is_full(pair_failures)
            || (pair_failures > 0 && self.accounts.exhausted(&name.to_owned()))
        {
            return Gate::Throttled;
        }
        Gate::Open
    }

    fn failed(&self, address: Option<IpAddr>, name: &str) {
        self.pairs.record(&(name.to_owned(), address));
        self.accounts.record(&name.to_owned());
    }

    fn succeeded(&self, address: Option<IpAddr>, name: &str) {
        self.pairs.clear(&(name.to_owned(), address));
    }

    /// Forgets budgets that are full again, every minute, so the tables stay small.
    fn spawn_pruning(&self) {
        let (pairs, accounts, addresses) = (
            self.pairs.clone(),
            self.accounts.clone(),
            self.addresses.clone(),
        );
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tick.tick().await;
                pairs.prune();
                accounts.prune();
                addresses.retain_recent();
            }
        });
    }
}

#[derive(Template)]
#[template(path = "desk/sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    csrf_token: String,
    username: String,
    problem: Option<String>,
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
}

#[derive(Deserialize)]
pub struct SignOutForm {
    #[serde(default)]
    csrf_token: String,
}

fn render(
    state: &AppState,
    lang: &Lang,
    csrf: &Csrf,
    status: StatusCode,
    username: String,
    problem: Option<&str>,
) -> HttpResponse {
    let chrome = Chrome::new(lang.locale, "desk-sign-in-title", "/desk/sign-in");
    let page = SignInPage {
        problem: problem.map(|k| chrome.tr.t(k)),
        chrome,
        csrf_token: state.csrf.token(csrf),
        username,
    };
    match page::render(&page) {
        Some(body) => page::html(
            status,
            body,
            Extras {
                lang: Some(lang),
                csrf: Some(csrf),
                secure: state.settings.public_base_url.starts_with("https://"),
            },
        ),
        None => page::broken(),
    }
}

pub async fn form(
    state: web::Data<AppState>,
    session: Session,
    lang: Lang,
    csrf: Csrf,
) -> HttpResponse {
    if session.get::<uuid::Uuid>(USER_KEY).ok().flatten().is_some() {
        return HttpResponse::SeeOther()
            .insert_header(("Location", "/desk"))
            .finish();
    }
    render(&state, &lang, &csrf, StatusCode::OK, String::new(), None)
}

#[tracing::instrument(skip_all)]
pub async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    lang: Lang,
    csrf: Csrf,
    form: web::Form<SignInForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !state.csrf.verify(&csrf, &form.csrf_token) {
        return render(
            &state,
            &lang,
            &csrf,
            StatusCode::FORBIDDEN,
            form.username,
            Some("refused-csrf"),
        );
    }
    let (address, name) = state.sign_in.keys(&req, &form.username);
    if state.sign_in.gate(address, &name) == Gate::Throttled {
        tracing::warn!("desk sign-in throttled");
        return render(
            &state,
            &lang,
            &csrf,
            StatusCode::TOO_MANY_REQUESTS,
            form.username,
            Some("desk-sign-in-throttled"),
        );
    }
    let result =
        officers::sign_in(&state.db, &form.username, SecretString::from(form.password)).await;
    match result {
        Ok(Ok(officer)) => {
            state.sign_in.succeeded(address, &name);
            // A new session key at sign-in, so a key planted before cannot be used after.
            session.renew();
            if session.insert(USER_KEY, officer.id).is_err() {
                return page::broken();
            }
            tracing::info!(user = %officer.username, "signed in to the desk");
            HttpResponse::SeeOther()
                .insert_header(("Location", "/desk"))
                .finish()
        }
        Ok(Err(reason)) => {
            state.sign_in.failed(address, &name);
            if reason == SignInError::Disabled {
                tracing::info!("sign-in refused: the user is disabled");
            }
            render(
                &state,
                &lang,
                &csrf,
                StatusCode::UNAUTHORIZED,
                form.username,
                Some("desk-sign-in-wrong"),
            )
        }
        Err(error) => PageError::answer("sign-in failed", error),
    }
}

pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: Session,
    csrf: Csrf,
    form: web::Form<SignOutForm>,
) -> HttpResponse {
    if !state.csrf.verify(&csrf, &form.csrf_token) {
        return page::message(
            &req,
            StatusCode::FORBIDDEN,
            "refused-title",
            &["refused-csrf"],
        );
    }
    session.purge();
    HttpResponse::SeeOther()
        .insert_header(("Location", "/desk/sign-in"))
        .finish()
}
