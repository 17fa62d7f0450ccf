//! Rate limits per client address on the member pages: one budget for submissions (a
//! report filed, evidence sent, a form posted on the tracking page), one for the pages
//! read (GET), and one, at the rate of pages, for the answers of the report's steps. Behind a reverse proxy, the address comes from the
//! configured trusted header.

use std::{net::IpAddr, time::Duration};

use actix_governor::{
    Governor, GovernorConfig, GovernorConfigBuilder, KeyExtractor, SimpleKeyExtractionError,
    governor::{
        NotUntil,
        clock::{Clock, DefaultClock, QuantaInstant},
        middleware::NoOpMiddleware,
    },
};
use actix_web::{
    HttpResponse, HttpResponseBuilder,
    dev::ServiceRequest,
    http::{Method, header::HeaderName},
};

use crate::{
    config::{Rate, Settings},
    http::html::page,
};

#[derive(Debug, Clone)]
pub struct ClientAddress {
    trusted_header: Option<HeaderName>,
}

impl ClientAddress {
    pub fn new(settings: &Settings) -> Self {
        Self {
            trusted_header: settings
                .web
                .trusted_proxy_header
                .as_deref()
                .and_then(|h| HeaderName::try_from(h).ok()),
        }
    }

    /// The last address of the trusted header (the one the proxy itself added: earlier
    /// ones come from the client and could be forged), else the peer.
    fn of(&self, req: &ServiceRequest) -> Option<IpAddr> {
        self.of_request(req.request())
    }

    pub fn of_request(&self, req: &actix_web::HttpRequest) -> Option<IpAddr> {
        let forwarded = self.trusted_header.as_ref().and_then(|name| {
            let value = req.headers().get(name)?.to_str().ok()?;
            value.rsplit(',').next()?.trim().parse::<IpAddr>().ok()
        });
        forwarded.or_else(|| req.peer_addr().map(|a| a.ip()))
    }
}

impl KeyExtractor for ClientAddress {
    type Key = IpAddr;
    type KeyExtractionError = SimpleKeyExtractionError<&'static str>;

    fn extract(&self, req: &ServiceRequest) -> Result<Self::Key, Self::KeyExtractionError> {
        self.of(req)
            .ok_or_else(|| SimpleKeyExtractionError::new("no client address"))
    }

    fn exceed_rate_limit_response(
        &self,
        negative: &NotUntil<QuantaInstant>,
        mut response: HttpResponseBuilder,
    ) -> HttpResponse {
        let wait = negative
            .wait_time_from(DefaultClock::default().now())
            .as_secs()
            + 1;
        response
            .insert_header(("Retry-After", wait.to_string()))
            .content_type("text/html; charset=utf-8")
            .insert_header(page::CSP)
            .body(page::too_many_requests(wait))
    }
}

pub type Limit = GovernorConfig<ClientAddress, NoOpMiddleware>;

/// The three budgets, built once so that every worker shares them.
#[derive(Clone)]
pub struct WebLimits {
    pub submissions: Limit,
    pub tracking: Limit,
    /// A step's answers (POST), at the rate of page views: a draft is written for each.
    pub answers: Limit,
}

fn limit(rate: Rate, methods: Vec<Method>, key: ClientAddress) -> Limit {
    let period = Duration::from_millis((60_000 / u64::from(rate.per_minute.max(1))).max(1));
    GovernorConfigBuilder::default()
        .period(period)
        .burst_size(rate.burst.max(1))
        .methods(methods)
        .key_extractor(key)
        .finish()
        .expect("period and burst are at least 1")
}

impl WebLimits {
    pub fn new(settings: &Settings) -> Self {
        let key = ClientAddress::new(settings);
        let limits = &settings.web.rate_limits;
        let built = Self {
            submissions: limit(limits.submissions, vec![Method::POST], key.clone()),
            tracking: limit(
                limits.tracking,
                vec![Method::GET, Method::HEAD],
                key.clone(),
            ),
            answers: limit(limits.tracking, vec![Method::POST], key),
        };
        // Forget addresses whose budget is full again, so the table stays small.
        let (a, b, c) = (
            built.submissions.limiter(),
            built.tracking.limiter(),
            built.answers.limiter(),
        );
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                a.retain_recent();
                b.retain_recent();
                c.retain_recent();
            }
        });
        built
    }

    pub fn submissions(&self) -> Governor<ClientAddress, NoOpMiddleware> {
        Governor::new(&self.submissions)
    }

    pub fn tracking(&self) -> Governor<ClientAddress, NoOpMiddleware> {
        Governor::new(&self.tracking)
    }

    pub fn answers(&self) -> Governor<ClientAddress, NoOpMiddleware> {
        Governor::new(&self.answers)
    }
}
