//! Signed acknowledge links: bound to one ticket, valid until a deadline, and useless to
//! anyone who changes a byte of them.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

#[derive(Clone)]
pub struct AckKey(Vec<u8>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AckLinkError {
    #[error("this link is not valid")]
    Invalid,
    #[error("this link has expired")]
    Expired,
}

impl AckKey {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    fn mac(&self, data: &[u8]) -> Vec<u8> {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts keys of any length"),
        };
        mac.update(b"ack-link.v1.");
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }

    /// `<base64url(ticket id, expiry)>.<base64url(HMAC)>`
    pub fn token(&self, ticket: Uuid, expires: DateTime<Utc>) -> String {
        let mut data = ticket.as_bytes().to_vec();
        data.extend_from_slice(&expires.timestamp().to_be_bytes());
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&data),
            URL_SAFE_NO_PAD.encode(self.mac(&data))
        )
    }

    /// The ticket a token names, if the token is genuine and not expired.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Uuid, AckLinkError> {
        let (data, tag) = token.split_once('.').ok_or(AckLinkError::Invalid)?;
        let data = URL_SAFE_NO_PAD
            .decode(data)
            .map_err(|_| AckLinkError::Invalid)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag)
            .map_err(|_| AckLinkError::Invalid)?;
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts keys of any length"),
        };
        mac.update(b"ack-link.v1.");
        mac.update(&data);
        mac.verify_slice(&tag).map_err(|_| AckLinkError::Invalid)?;
        if data.len() != 24 {
            return Err(AckLinkError::Invalid);
        }
        let ticket = Uuid::from_slice(&data[..16]).map_err(|_| AckLinkError::Invalid)?;
        let mut expiry = [0u8; 8];
        expiry.copy_from_slice(&data[16..]);
        if i64::from_be_bytes(expiry) < now.timestamp() {
            return Err(AckLinkError::Expired);
        }
        Ok(ticket)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    #[test]
    fn a_token_names_its_ticket_until_it_expires_and_cannot_be_forged() {
        let key = AckKey::new(b"0123456789abcdef0123456789abcdef".to_vec());
        let now = Utc::now();
        let ticket = Uuid::now_v7();
        let token = key.token(ticket, now + TimeDelta::hours(1));
        assert_eq!(key.verify(&token, now), Ok(ticket));
        assert_eq!(
            key.verify(&token, now + TimeDelta::hours(2)),
            Err(AckLinkError::Expired)
        );
        let other = AckKey::new(b"another key, another service....".to_vec());
        assert_eq!(other.verify(&token, now), Err(AckLinkError::Invalid));
        let forged = key.token(Uuid::now_v7(), now + TimeDelta::hours(1));
        let (_, tag) = forged.split_once('.').expect("tag");
        let (data, _) = token.split_once('.').expect("data");
        assert_eq!(
            key.verify(&format!("{data}.{tag}"), now),
            Err(AckLinkError::Invalid)
        );
        assert_eq!(key.verify("garbage", now), Err(AckLinkError::Invalid));
    }
}
