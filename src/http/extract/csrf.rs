//! Cross-site request forgery protection for the forms, without an account: a random
//! value in a cookie, and in each form a MAC of it under the service's key (the signed
//! double-submit pattern). A forged form has no way to read the cookie or to make the MAC.

use std::future::{Ready, ready};

use actix_web::{
    FromRequest, HttpRequest,
    cookie::{Cookie, SameSite},
    dev::Payload,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::token;

pub const COOKIE: &str = "csrf";
pub const FIELD: &str = "csrf_token";

#[derive(Clone)]
pub struct CsrfKey(Vec<u8>);

impl CsrfKey {
    pub fn new(key: Vec<u8>) -> Self {
        Self(key)
    }

    fn mac(&self, cookie: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(b"csrf:");
        mac.update(cookie.as_bytes());
        mac
    }

    pub fn token(&self, csrf: &Csrf) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(&csrf.value).finalize().into_bytes())
    }

    /// Whether `token` was made for this request's cookie.
    pub fn verify(&self, csrf: &Csrf, token: &str) -> bool {
        if csrf.fresh {
            return false;
        }
        match URL_SAFE_NO_PAD.decode(token.trim()) {
            Ok(bytes) => self.mac(&csrf.value).verify_slice(&bytes).is_ok(),
            Err(_) => false,
        }
    }
}

/// The request's CSRF cookie, or a new one to set.
#[derive(Debug, Clone)]
pub struct Csrf {
    value: String,
    /// The request had none: the response sets it.
    pub fresh: bool,
}

impl Csrf {
    /// The cookie's random value: the key of the member's report draft (stored only as
    /// its digest).
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The cookie again, kept by the browser for `lifetime` rather than for the session,
    /// so that a draft outlives a closed browser.
    pub fn lasting_cookie(&self, secure: bool, lifetime: std::time::Duration) -> Cookie<'static> {
        Cookie::build(COOKIE, self.value.clone())
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::seconds(
                i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX),
            ))
            .finish()
    }

    pub fn cookie(&self, secure: bool) -> Option<Cookie<'static>> {
        self.fresh.then(|| {
            Cookie::build(COOKIE, self.value.clone())
                .path("/")
                .http_only(true)
                .secure(secure)
                .same_site(SameSite::Lax)
                .finish()
        })
    }
}

impl FromRequest for Csrf {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let existing = req
            .cookie(COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|v| {
                v.len() == 22
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
        ready(Ok(match existing {
            Some(value) => Csrf {
                value,
                fresh: false,
            },
            None => Csrf {
                value: token::random_token(16),
                fresh: true,
            },
        }))
    }
}
