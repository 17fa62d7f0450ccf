//! The page language: `?lang=` (remembered in a cookie), then the cookie, then
//! Accept-Language; Vietnamese when nothing says otherwise.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload};

use crate::domain::Locale;

pub const COOKIE: &str = "lang";

#[derive(Debug, Clone, Copy)]
pub struct Lang {
    pub locale: Locale,
    /// The choice came from `?lang=` and should be remembered.
    pub remember: bool,
}

impl Lang {
    pub fn of(req: &HttpRequest) -> Self {
        let from_query = req.query_string().split('&').find_map(|pair| {
            pair.strip_prefix("lang=")
                .and_then(|v| v.parse::<Locale>().ok())
        });
        if let Some(locale) = from_query {
            return Self {
                locale,
                remember: true,
            };
        }
        let from_cookie = req
            .cookie(COOKIE)
            .and_then(|c| c.value().parse::<Locale>().ok());
        let locale = from_cookie
            .or_else(|| accept_language(req))
            .unwrap_or_default();
        Self {
            locale,
            remember: false,
        }
    }
}

/// The first of Vietnamese or English in Accept-Language, by quality.
fn accept_language(req: &HttpRequest) -> Option<Locale> {
    let header = req.headers().get("accept-language")?.to_str().ok()?;
    let mut best: Option<(f32, Locale)> = None;
    for item in header.split(',') {
        let mut parts = item.trim().split(';');
        let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let quality = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or_default();
        let Ok(locale) = primary.parse::<Locale>() else {
            continue;
        };
        if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, locale));
        }
    }
    best.map(|(_, locale)| locale)
}

impl FromRequest for Lang {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Lang::of(req)))
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn query_then_cookie_then_header_then_vietnamese() {
        let req = TestRequest::with_uri("/?lang=en").to_http_request();
        assert_eq!(Lang::of(&req).locale, Locale::En);
        assert!(Lang::of(&req).remember);
        let req = TestRequest::default()
            .cookie(actix_web::cookie::Cookie::new(COOKIE, "en"))
            .insert_header(("accept-language", "vi"))
            .to_http_request();
        assert_eq!(Lang::of(&req).locale, Locale::En);
        let req = TestRequest::default()
            .insert_header(("accept-language", "fr-FR, en-GB;q=0.8, vi;q=0.5"))
            .to_http_request();
        assert_eq!(Lang::of(&req).locale, Locale::En);
        let req = TestRequest::default()
            .insert_header(("accept-language", "fr"))
            .to_http_request();
        assert_eq!(Lang::of(&req).locale, Locale::Vi);
    }
}
