//! The per-ticket reply address: `cases+<token>@desk.example.org`.
//!
//! The token is the ticket's (or, for the member's mail, the incident's) id encrypted as one
//! AES block, so it reveals nothing, followed by an HMAC tag over it, so it cannot be forged.
//! It is base32 in lower case: mail servers may change the case of a local part.

use aes::{
    Aes128,
    cipher::{BlockDecrypt, BlockEncrypt, KeyInit, generic_array::GenericArray},
};
use data_encoding::{Encoding, Specification};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

/// Bytes of the HMAC tag kept in a token.
const TAG_BYTES: usize = 10;

/// Whose conversation a reply belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyTo {
    /// A party's ticket.
    Ticket(Uuid),
    /// The member's side of an incident.
    Incident(Uuid),
}

impl ReplyTo {
    fn prefix(self) -> char {
        match self {
            Self::Ticket(_) => 't',
            Self::Incident(_) => 'm',
        }
    }

    fn id(self) -> Uuid {
        match self {
            Self::Ticket(id) | Self::Incident(id) => id,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReplyTokenError {
    #[error("the reply token is malformed")]
    Malformed,
    #[error("the reply token was not issued by this service")]
    Forged,
}

/// Seals and opens reply tokens.
#[derive(Clone)]
pub struct ReplyKey {
    cipher: Aes128,
    mac: Vec<u8>,
}

impl std::fmt::Debug for ReplyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReplyKey(..)")
    }
}

fn derive(secret: &[u8], label: &[u8]) -> [u8; 32] {
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(label);
    mac.finalize().into_bytes().into()
}

fn base32() -> Encoding {
    let mut spec = Specification::new();
    spec.symbols.push_str("abcdefghijklmnopqrstuvwxyz234567");
    spec.translate.from.push_str("ABCDEFGHIJKLMNOPQRSTUVWXYZ");
    spec.translate.to.push_str("abcdefghijklmnopqrstuvwxyz");
    match spec.encoding() {
        Ok(encoding) => encoding,
        Err(_) => unreachable!("the alphabet has 32 distinct symbols"),
    }
}

impl ReplyKey {
    /// A key from the service's stored secret; the cipher and MAC keys are derived from it.
    pub fn new(secret: &[u8]) -> Self {
        let aes = derive(secret, b"reply-token.v1.aes");
        Self {
            cipher: Aes128::new(GenericArray::from_slice(&aes[..16])),
            mac: derive(secret, b"reply-token.v1.mac").to_vec(),
        }
    }

    fn tag(&self, prefix: char, sealed: &[u8]) -> [u8; TAG_BYTES] {
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&self.mac) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts keys of any length"),
        };
        mac.update(&[prefix as u8]);
        mac.update(sealed);
        let full = mac.finalize().into_bytes();
        let mut tag = [0u8; TAG_BYTES];
        tag.copy_from_slice(&full[..TAG_BYTES]);
        tag
    }

    /// The token of a conversation: one letter, then 42 base32 characters.
    pub fn token(&self, to: ReplyTo) -> String {
        let mut block = GenericArray::clone_from_slice(to.id().as_bytes());
        self.cipher.encrypt_block(&mut block);
        let mut bytes = block.to_vec();
        bytes.extend_from_slice(&self.tag(to.prefix(), &block));
        format!("{}{}", to.prefix(), base32().encode(&bytes))
    }

    /// The conversation a token stands for, if this service issued it.
    pub fn open(&self, token: &str) -> Result<ReplyTo, ReplyTokenError> {
        let mut chars = token.chars();
        let prefix = chars
            .next()
            .map(|c| c.to_ascii_lowercase())
            .ok_or(ReplyTokenError::Malformed)?;
        let bytes = base32()
            .decode(chars.as_str().as_bytes())
            .map_err(|_| ReplyTokenError::Malformed)?;
        if bytes.len() != 16 + TAG_BYTES || !matches!(prefix, 't' | 'm') {
            return Err(ReplyTokenError::Malformed);
        }
        let (sealed, tag) = bytes.split_at(16);
        let expected = self.tag(prefix, sealed);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(&expected[..], tag)) {
            return Err(ReplyTokenError::Forged);
        }
        let mut block = GenericArray::clone_from_slice(sealed);
        self.cipher.decrypt_block(&mut block);
        let id = Uuid::from_slice(&block).map_err(|_| ReplyTokenError::Malformed)?;
        Ok(match prefix {
            't' => ReplyTo::Ticket(id),
            _ => ReplyTo::Incident(id),
        })
    }
}

/// The mailbox replies go to, `cases@desk.example.org`, from which every conversation's
/// plus-address is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyMailbox {
    local: String,
    domain: String,
}

impl ReplyMailbox {
    /// `local@domain`, with no `+` in the local part (it separates the token).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let (local, domain) = raw
            .rsplit_once('@')
            .ok_or_else(|| format!("`{raw}` is not an address of the form local@domain"))?;
        let plain = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        };
        if !plain(local) || !plain(domain) || !domain.contains('.') {
            return Err(format!(
                "`{raw}` must be a plain address (letters, digits, `.`, `-`, `_`; no `+`)"
            ));
        }
        Ok(Self {
            local: local.to_ascii_lowercase(),
            domain: domain.to_ascii_lowercase(),
        })
    }

    /// The plus-address of one conversation.
    pub fn address(&self, token: &str) -> String {
        format!("{}+{token}@{}", self.local, self.domain)
    }

    /// The token of `address` when it is one of this mailbox's plus-addresses.
    pub fn token_in<'a>(&self, address: &'a str) -> Option<&'a str> {
        let (local, domain) = address.trim().rsplit_once('@')?;
        let (base, token) = local.split_once('+')?;
        (base.eq_ignore_ascii_case(&self.local)
            && domain.eq_ignore_ascii_case(&self.domain)
            && !token.is_empty())
        .then_some(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_opens_to_its_conversation_and_hides_the_id() {
        let key = ReplyKey::new(b"a service secret of thirty-two b");
        let id = Uuid::now_v7();
        let token = key.token(ReplyTo::Ticket(id));
        assert_eq!(token.len(), 43);
        assert!(!token.contains(&id.simple().to_string()[..8]));
        assert_eq!(key.open(&token), Ok(ReplyTo::Ticket(id)));
        assert_eq!(key.open(&token.to_uppercase()), Ok(ReplyTo::Ticket(id)));
        let member = key.token(ReplyTo::Incident(id));
        assert_eq!(key.open(&member), Ok(ReplyTo::Incident(id)));
        assert_ne!(member[1..], token[1..]);
    }

    #[test]
    fn a_token_cannot_be_forged_or_moved() {
        let key = ReplyKey::new(b"a service secret of thirty-two b");
        let other = ReplyKey::new(b"another service, another secret!");
        let id = Uuid::now_v7();
        let token = key.token(ReplyTo::Ticket(id));
        assert_eq!(other.open(&token), Err(ReplyTokenError::Forged));
        let swapped = format!("m{}", &token[1..]);
        assert_eq!(key.open(&swapped), Err(ReplyTokenError::Forged));
        let mut flipped = token.clone().into_bytes();
        flipped[5] = if flipped[5] == b'a' { b'b' } else { b'a' };
        let flipped = String::from_utf8(flipped).expect("ascii");
        assert_eq!(key.open(&flipped), Err(ReplyTokenError::Forged));
        assert_eq!(key.open("t123"), Err(ReplyTokenError::Malformed));
        assert_eq!(key.open(""), Err(ReplyTokenError::Malformed));
    }

    #[test]
    fn the_mailbox_makes_and_reads_plus_addresses() {
        let mailbox = ReplyMailbox::parse("Cases@Desk.Example.org").expect("valid");
        assert_eq!(mailbox.address("tabc"), "cases+tabc@desk.example.org");
        assert_eq!(
            mailbox.token_in("CASES+tabc@desk.example.org"),
            Some("tabc")
        );
        assert_eq!(mailbox.token_in("cases@desk.example.org"), None);
        assert_eq!(mailbox.token_in("other+tabc@desk.example.org"), None);
        assert_eq!(mailbox.token_in("cases+tabc@elsewhere.org"), None);
        assert!(ReplyMailbox::parse("cases+x@desk.example.org").is_err());
        assert!(ReplyMailbox::parse("not an address").is_err());
    }
}
