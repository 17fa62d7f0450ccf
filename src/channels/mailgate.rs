//! `incident-desk mailgate`: hands one message from a mail server's pipe to the service's
//! `POST /api/v1/inbound/email`, and says in sysexits terms what the mail server should do.

use std::time::Duration;

/// What the mail server is told, as an exit status it understands (sysexits.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handed {
    /// Stored (or stored before): 0.
    Stored,
    /// The service is down, overloaded or slow: 75 (EX_TEMPFAIL), the mail server retries.
    TryLater,
    /// The service refused the message for good (not a message, too large): 65 (EX_DATAERR).
    Refused,
    /// The key is wrong or lacks `mail:inbound`: 77 (EX_NOPERM).
    NoPermission,
}

impl Handed {
    pub fn exit_code(self) -> i32 {
        match self {
            Self::Stored => 0,
            Self::TryLater => 75,
            Self::Refused => 65,
            Self::NoPermission => 77,
        }
    }
}

/// Posts `raw` to `url` (the service's base URL). Never logs the key or the message.
pub async fn hand_in(
    url: &str,
    key: &str,
    raw: Vec<u8>,
    recipient: Option<&str>,
    timeout: Duration,
) -> (Handed, String) {
    let client = match reqwest::Client::builder()
        .timeout(timeout)
        .user_agent(concat!(
            "incident-desk-mailgate/",
            env!("CARGO_PKG_VERSION")
        ))
        .build()
    {
        Ok(client) => client,
        Err(error) => return (Handed::TryLater, format!("no HTTP client: {error}")),
    };
    let endpoint = format!("{}/api/v1/inbound/email", url.trim_end_matches('/'));
    let mut endpoint = match url::Url::parse(&endpoint) {
        Ok(endpoint) => endpoint,
        Err(error) => return (Handed::TryLater, format!("`{url}` is not a URL: {error}")),
    };
    endpoint.query_pairs_mut().append_pair("via", "mailgate");
    if let Some(recipient) = recipient {
        endpoint
            .query_pairs_mut()
            .append_pair("recipient", recipient);
    }
    let sent = client
        .post(endpoint)
        .bearer_auth(key)
        .header(reqwest::header::CONTENT_TYPE, "message/rfc822")
        .body(raw)
        .send()
        .await;
    let response = match sent {
        Ok(response) => response,
        Err(error) => {
            return (
                Handed::TryLater,
                format!("the service could not be reached: {error}"),
            );
        }
    };
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    let said: String = body.chars().take(500).collect();
    let handed = match status.as_u16() {
        200..=299 => Handed::Stored,
        401 | 403 => Handed::NoPermission,
        413 | 415 | 422 => Handed::Refused,
        _ => Handed::TryLater,
    };
    (handed, format!("{status}: {said}"))
}
