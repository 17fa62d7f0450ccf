//! The affected page: its platform, URL and handle, and the key that finds duplicates.

use super::FieldError;

/// Where the page lives.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::AsRefStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = super::not_one_of::<Self>)]
pub enum Platform {
    Facebook,
    Tiktok,
    Youtube,
    Zalo,
    X,
    Instagram,
    Telegram,
    Website,
    Other,
}

impl Platform {
    /// The platform that serves `host`, or `Website` for any other host.
    pub fn from_host(host: &str) -> Self {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let on = |domain: &str| host == domain || host.ends_with(&format!(".{domain}"));
        if on("facebook.com") || on("fb.com") || on("fb.me") || on("fb.watch") {
            Platform::Facebook
        } else if on("tiktok.com") {
            Platform::Tiktok
        } else if on("youtube.com") || on("youtu.be") {
            Platform::Youtube
        } else if on("zalo.me") || on("zaloapp.com") {
            Platform::Zalo
        } else if on("x.com") || on("twitter.com") {
            Platform::X
        } else if on("instagram.com") || on("instagr.am") {
            Platform::Instagram
        } else if on("t.me") || on("telegram.me") || on("telegram.org") {
            Platform::Telegram
        } else {
            Platform::Website
        }
    }
}

/// What sort of account the page is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::AsRefStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = String, parse_err_fn = super::not_one_of::<Self>)]
pub enum AccountType {
    Profile,
    Page,
    Channel,
    Group,
    OfficialAccount,
    Website,
    Other,
}

/// An absolute http(s) URL of a public page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageUrl(url::Url);

impl PageUrl {
    pub const MAX_LEN: usize = 2048;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim();
        let invalid = || {
            FieldError::new(
                field,
                "url",
                "must be a full web address starting with https:// or http://",
            )
        };
        if value.len() > Self::MAX_LEN {
            return Err(FieldError::new(
                field,
                "too_long",
                format!("must be at most {} characters", Self::MAX_LEN),
            ));
        }
        let url = url::Url::parse(value).map_err(|_| invalid())?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid());
        }
        if has_userinfo(value, &url) {
            return Err(FieldError::new(
                field,
                "no_userinfo",
                "must not contain a user name or password before the host (`user:password@`)",
            ));
        }
        match url.host() {
            Some(url::Host::Domain(d)) if d.contains('.') => Ok(Self(url)),
            Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => Ok(Self(url)),
            _ => Err(invalid()),
        }
    }

    pub fn platform(&self) -> Platform {
        match self.0.host_str() {
            Some(host) => Platform::from_host(host),
            None => Platform::Website,
        }
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Host without `www.`/`m.`, path without trailing slash, and only the query
    /// parameters that name an account (`id`), lowercased.
    fn normalised(&self) -> String {
        let host = self.0.host_str().unwrap_or_default().to_ascii_lowercase();
        let host = host
            .strip_prefix("www.")
            .or_else(|| host.strip_prefix("m."))
            .or_else(|| host.strip_prefix("mobile."))
            .unwrap_or(&host)
            .to_owned();
        let path = self.0.path().trim_end_matches('/').to_ascii_lowercase();
        let id = self
            .0
            .query_pairs()
            .find(|(k, _)| k == "id")
            .map(|(_, v)| format!("?id={v}"))
            .unwrap_or_default();
        format!("{host}{path}{id}")
    }
}

/// Whether a URL carries a user name or a password (`user@`, `:pw@`, `user:pw@`), or an
/// empty one (`:@`, which the parser drops) in the text it was parsed from.
pub fn has_userinfo(raw: &str, url: &url::Url) -> bool {
    let authority = raw
        .split_once("://")
        .map_or("", |(_, rest)| rest)
        .split(['/', '?', '#', '\\'])
        .next()
        .unwrap_or_default();
    !url.username().is_empty() || url.password().is_some() || authority.contains('@')
}

/// A handle or account id, without a leading `@`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageHandle(String);

impl PageHandle {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        use unicode_normalization::UnicodeNormalization;
        let normalised: String = raw.nfc().collect();
        let value = normalised.trim();
        let value = value.strip_prefix('@').unwrap_or(value);
        if value.is_empty() {
            return Err(FieldError::new(field, "required", "must not be empty"));
        }
        if value.chars().count() > 100 {
            return Err(FieldError::new(
                field,
                "too_long",
                "must be at most 100 characters",
            ));
        }
        if let Some(error) = super::text::invisible(field, value, false) {
            return Err(error);
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(FieldError::new(
                field,
                "handle",
                "must be a handle or account id without spaces",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The canonical key of a page: the platform and its handle, or its normalised URL.
pub fn page_key(platform: Platform, handle: Option<&PageHandle>, url: Option<&PageUrl>) -> String {
    match (handle, url) {
        (Some(handle), _) => format!("{platform}:@{}", handle.as_str().to_lowercase()),
        (None, Some(url)) => format!("{platform}:{}", url.normalised()),
        (None, None) => format!("{platform}:"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(raw: &str) -> PageUrl {
        PageUrl::parse("u", raw).expect("valid url")
    }

    #[test]
    fn detects_platforms_from_hosts() {
        let cases = [
            ("https://www.facebook.com/some.page", Platform::Facebook),
            (
                "https://m.facebook.com/profile.php?id=1",
                Platform::Facebook,
            ),
            ("https://fb.me/x", Platform::Facebook),
            ("https://www.tiktok.com/@shop", Platform::Tiktok),
            ("https://youtu.be/abc", Platform::Youtube),
            ("https://www.youtube.com/@chan", Platform::Youtube),
            ("https://zalo.me/123", Platform::Zalo),
            ("https://oa.zalo.me/home", Platform::Zalo),
            ("https://twitter.com/acct", Platform::X),
            ("https://x.com/acct", Platform::X),
            ("https://www.instagram.com/acct/", Platform::Instagram),
            ("https://t.me/channel", Platform::Telegram),
            ("https://example.org/", Platform::Website),
            ("https://notfacebook.com/", Platform::Website),
        ];
        for (raw, platform) in cases {
            assert_eq!(url(raw).platform(), platform, "{raw}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_web_address() {
        for bad in [
            "facebook.com/page",
            "ftp://example.org/x",
            "javascript:alert(1)",
            "https://localhost/x",
            "https://user:pw@example.org/",
            "",
        ] {
            assert!(PageUrl::parse("u", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn refuses_any_userinfo() {
        for bad in [
            "https://:Hunter2-Secret99@www.facebook.com/badinh.news",
            "https://user@www.facebook.com/badinh.news",
            "https://user:pw@www.facebook.com/badinh.news",
            "https://:@www.facebook.com/badinh.news",
        ] {
            let refused = PageUrl::parse("page.url", bad).map_err(|e| e.rule);
            assert_eq!(refused, Err("no_userinfo"), "{bad}");
        }
    }

    #[test]
    fn page_keys_ignore_cosmetic_differences() {
        let a = url("https://www.facebook.com/Some.Page/");
        let b = url("https://m.facebook.com/some.page?ref=share");
        assert_eq!(
            page_key(Platform::Facebook, None, Some(&a)),
            page_key(Platform::Facebook, None, Some(&b))
        );
        let p1 = url("https://facebook.com/profile.php?id=1");
        let p2 = url("https://facebook.com/profile.php?id=2");
        assert_ne!(
            page_key(Platform::Facebook, None, Some(&p1)),
            page_key(Platform::Facebook, None, Some(&p2))
        );
        let h = PageHandle::parse("h", "@Shop.VN").expect("handle");
        assert_eq!(
            page_key(Platform::Tiktok, Some(&h), Some(&a)),
            "tiktok:@shop.vn"
        );
    }

    #[test]
    fn handles_drop_the_at_sign_and_refuse_spaces() {
        assert_eq!(
            PageHandle::parse("h", " @abc ").map(|h| h.0),
            Ok("abc".to_owned())
        );
        assert!(PageHandle::parse("h", "a b").is_err());
        assert!(PageHandle::parse("h", "@").is_err());
    }
}
