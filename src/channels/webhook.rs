//! Webhook delivery over one shared reqwest client: Standard Webhooks headers, no
//! redirects, explicit timeouts, and the network guard at connect time.

use std::{sync::Arc, time::Duration};

use reqwest::{StatusCode, header};

use super::{
    guard::{GuardedResolver, NetworkGuard, Refused},
    signature::{SigningKey, signature_header},
};
use crate::{
    config::WebhookSettings,
    domain::delivery::{SendOutcome, truncate},
};

/// At most this much of an answer is kept.
const MAX_REPLY: usize = 20 * 1024;
/// The shortest wait after a timeout or a 429.
const BACKOFF_FLOOR: Duration = Duration::from_secs(60);
/// The longest `Retry-After` honoured.
const RETRY_AFTER_CAP: Duration = Duration::from_secs(10 * 3600);

#[derive(Clone)]
pub struct WebhookSender {
    client: reqwest::Client,
    guard: Arc<NetworkGuard>,
}

impl WebhookSender {
    pub fn new(settings: &WebhookSettings) -> anyhow::Result<Self> {
        let guard = Arc::new(NetworkGuard::new(settings.allow_networks.clone()));
        let client = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(GuardedResolver {
                guard: guard.clone(),
            }))
            .user_agent(concat!("incident-desk/", env!("CARGO_PKG_VERSION")))
            .pool_max_idle_per_host(16)
            .build()?;
        Ok(Self { client, guard })
    }

    /// The guard every send goes through, for checking a URL before it is saved.
    pub fn guard(&self) -> &NetworkGuard {
        &self.guard
    }

    /// Posts `body` to `url`, signed with every key.
    pub async fn send(
        &self,
        url: &str,
        msg_id: &str,
        body: &[u8],
        keys: &[SigningKey],
    ) -> SendOutcome {
        let parsed = match url::Url::parse(url) {
            Ok(u) => u,
            Err(e) => return failed(None, format!("invalid URL: {e}")),
        };
        if crate::domain::has_userinfo(url, &parsed) {
            return failed(None, "the URL carries a user name or password".to_owned());
        }
        let literal = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(reason) = literal.and_then(|ip| self.guard.refuse(ip)) {
            return SendOutcome::Refused { reason };
        }
        let timestamp = chrono::Utc::now().timestamp();
        let request = self
            .client
            .post(parsed)
            .header(header::CONTENT_TYPE, "application/json")
            .header("webhook-id", msg_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                signature_header(keys, msg_id, timestamp, body),
            )
            .body(body.to_vec());
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                if let Some(refused) = guard_refusal(&e) {
                    return SendOutcome::Refused {
                        reason: refused.0.clone(),
                    };
                }
                let at_least = e.is_timeout().then_some(BACKOFF_FLOOR);
                return SendOutcome::Retry {
                    status: None,
                    reply: String::new(),
                    error: error_chain(&e),
                    at_least,
                };
            }
        };
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let (reply, read_error) = read_limited(response).await;
        let code = Some(status.as_u16());
        if let Some(e) = read_error.filter(|_| status.is_success()) {
            return SendOutcome::Retry {
                status: code,
                reply,
                error: format!("answer cut off: {e}"),
                at_least: Some(BACKOFF_FLOOR),
            };
        }
        match status {
            s if s.is_success() => SendOutcome::Delivered {
                status: code,
                reply,
            },
            StatusCode::GONE => SendOutcome::Gone { reply },
            StatusCode::TOO_MANY_REQUESTS => SendOutcome::Retry {
                status: code,
                reply,
                error: "429 Too Many Requests".to_owned(),
                at_least: Some(retry_after.unwrap_or(BACKOFF_FLOOR).max(BACKOFF_FLOOR)),
            },
            s if s.is_redirection() => SendOutcome::Retry {
                status: code,
                reply,
                error: format!("{s}: redirects are not followed"),
                at_least: retry_after,
            },
            s => SendOutcome::Retry {
                status: code,
                reply,
                error: s.to_string(),
                at_least: retry_after,
            },
        }
    }
}

fn failed(status: Option<u16>, error: String) -> SendOutcome {
    SendOutcome::Failed {
        status,
        reply: String::new(),
        error,
    }
}

/// The network guard's refusal, if that is why the request could not connect.
fn guard_refusal<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a Refused> {
    let mut source: Option<&'a (dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(refused) = s.downcast_ref::<Refused>() {
            return Some(refused);
        }
        source = s.source();
    }
    None
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    truncate(text, 2000)
}

/// `Retry-After` as seconds or an HTTP date, capped.
fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => httpdate::parse_http_date(value)
            .ok()?
            .duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    };
    Some(wait.min(RETRY_AFTER_CAP))
}

async fn read_limited(mut response: reqwest::Response) -> (String, Option<String>) {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(bytes)) => {
                let room = MAX_REPLY.saturating_sub(body.len());
                body.extend_from_slice(&bytes[..bytes.len().min(room)]);
                if body.len() >= MAX_REPLY {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                return (
                    String::from_utf8_lossy(&body).into_owned(),
                    Some(e.to_string()),
                );
            }
        }
    }
    (String::from_utf8_lossy(&body).into_owned(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates_and_caps_them() {
        let mut headers = header::HeaderMap::new();
        headers.insert(header::RETRY_AFTER, "120".parse().expect("value"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(120)));
        headers.insert(header::RETRY_AFTER, "999999".parse().expect("value"));
        assert_eq!(retry_after(&headers), Some(RETRY_AFTER_CAP));
        let later = std::time::SystemTime::now() + Duration::from_secs(300);
        headers.insert(
            header::RETRY_AFTER,
            httpdate::fmt_http_date(later).parse().expect("value"),
        );
        let wait = retry_after(&headers).expect("date");
        assert!(
            wait > Duration::from_secs(290) && wait <= Duration::from_secs(300),
            "{wait:?}"
        );
        headers.insert(header::RETRY_AFTER, "soon".parse().expect("value"));
        assert_eq!(retry_after(&headers), None);
    }
}
