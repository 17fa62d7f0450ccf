//! What an admin, an integration or an import asks to write, checked against the directory
//! before anything is stored; every broken rule is named with its field.

use std::time::Duration;

use base64::Engine;

use super::{Directory, NamedContact, Names, Party};
use crate::domain::{
    BoundedText, Email, FieldError, Locale, Phone, TextRule, has_userinfo, routing::PartyKind,
    webhook::EventType,
};

/// The shortest and longest acknowledgement deadlines a party may have.
pub const DEADLINE_BOUNDS: (Duration, Duration) =
    (Duration::from_secs(1), Duration::from_secs(30 * 24 * 3600));

/// At most this many addresses per party, and endpoints per party.
pub const MAX_EMAILS: usize = 20;
pub const MAX_ENDPOINTS: usize = 20;

const NAME: TextRule = TextRule::line(1, 200);
const DESCRIPTION: TextRule = TextRule::line(0, 200);
const REASON: TextRule = TextRule::line(1, 500);

/// A party as submitted, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct PartyDraft {
    pub id: String,
    pub kind: Option<PartyKind>,
    pub parent: Option<String>,
    pub name_vi: String,
    pub name_en: String,
    pub locale: Option<Locale>,
    /// A duration such as `4h` or `90m`.
    pub ack_deadline: String,
    pub emails: Vec<String>,
    pub contact: ContactDraft,
}

/// A party's named contact as submitted: all three empty for none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactDraft {
    pub name: String,
    pub phone: String,
    pub email: String,
}

impl ContactDraft {
    /// The draft that keeps `contact` as it is.
    pub fn of(contact: Option<&NamedContact>) -> Self {
        contact.map_or_else(Self::default, |c| Self {
            name: c.name.clone(),
            phone: c.phone.clone().unwrap_or_default(),
            email: c.email.clone().unwrap_or_default(),
        })
    }

    /// The contact, or none when every field is empty. A phone or an address needs the
    /// person's name beside it, for a member to know whom they are calling.
    pub fn check(&self) -> Result<Option<NamedContact>, Vec<FieldError>> {
        let (name, phone, email) = (self.name.trim(), self.phone.trim(), self.email.trim());
        if name.is_empty() && phone.is_empty() && email.is_empty() {
            return Ok(None);
        }
        let mut errors = Vec::new();
        let name = if name.is_empty() {
            errors.push(FieldError::new(
                "contact.name",
                "required",
                "must name the person when a phone or an address is given",
            ));
            None
        } else {
            BoundedText::parse("contact.name", name, NAME)
                .map_err(|e| errors.push(e))
                .ok()
        };
        let phone = (!phone.is_empty())
            .then(|| Phone::parse("contact.phone", phone))
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        // Members' pages link the address as `mailto:`, where `?`, `&` or quotes would add
        // recipients or text of someone else's choosing: a plain address only.
        let email = (!email.is_empty())
            .then(|| {
                Email::parse("contact.email", email).and_then(|e| {
                    let plain = e.as_str().split('@').count() == 2
                        && e.as_str().bytes().all(|b| {
                            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-' | b'@')
                        });
                    if plain {
                        Ok(e)
                    } else {
                        Err(FieldError::new(
                            "contact.email",
                            "plain_email",
                            "must be a plain address: letters, digits, '.', '_', '+' and '-' around one '@'",
                        ))
                    }
                })
            })
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        match name {
            Some(name) if errors.is_empty() => Ok(Some(NamedContact {
                name: name.into_inner(),
                phone: phone.map(|p| p.as_str().to_owned()),
                email: email.map(|e| e.as_str().to_owned()),
            })),
            _ => Err(errors),
        }
    }
}

/// `1` to `64` of a-z, 0-9, `-` and `_`.
pub fn check_party_id(field: &str, id: &str) -> Result<(), FieldError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            "party_id",
            "must be 1 to 64 of a-z, 0-9, - and _",
        ))
    }
}

/// A duration such as `4h`, within [`DEADLINE_BOUNDS`].
pub fn parse_deadline(field: &str, raw: &str) -> Result<Duration, FieldError> {
    let d = humantime::parse_duration(raw.trim()).map_err(|_| {
        FieldError::new(
            field,
            "duration",
            "must be a duration such as 30m, 4h or 2d",
        )
    })?;
    if d < DEADLINE_BOUNDS.0 || d > DEADLINE_BOUNDS.1 {
        return Err(FieldError::new(
            field,
            "out_of_range",
            "must be between 1s and 30d",
        ));
    }
    Ok(d)
}

/// A free-text reason for disabling a party or an endpoint.
pub fn check_reason(field: &str, raw: &str) -> Result<String, FieldError> {
    BoundedText::parse(field, raw, REASON).map(BoundedText::into_inner)
}

impl PartyDraft {
    /// The party this draft makes, replacing `existing` when there is one (its kind, id,
    /// endpoints and disabled state are kept). `endpoints` says whether the party has
    /// an enabled endpoint, which lets it go without an email address.
    pub fn check(
        &self,
        dir: &Directory,
        existing: Option<&Party>,
    ) -> Result<Party, Vec<FieldError>> {
        let mut errors = Vec::new();
        if existing.is_none() {
            if let Err(e) = check_party_id("id", &self.id) {
                errors.push(e);
            } else if dir.party(&self.id).is_some() {
                errors.push(FieldError::new("id", "taken", "is already a party's id"));
            }
        }
        let kind = match (existing, self.kind) {
            (Some(p), _) => p.kind,
            (None, Some(k)) => k,
            (None, None) => {
                errors.push(FieldError::new(
                    "kind",
                    "required",
                    "must be committee, authority or provider",
                ));
                PartyKind::Committee
            }
        };
        let id = existing.map_or(self.id.as_str(), |p| p.id.as_str());
        let parent = self
            .parent
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        match (parent, kind) {
            (None, _) => {}
            (Some(_), PartyKind::Authority | PartyKind::Provider) => errors.push(FieldError::new(
                "parent",
                "committees_only",
                "only committees have a parent",
            )),
            (Some(parent), PartyKind::Committee) => match dir.committee(parent) {
                None => errors.push(FieldError::new(
                    "parent",
                    "unknown_committee",
                    format!("`{parent}` is not a committee"),
                )),
                Some(_) if existing.is_some() && dir.is_within(parent, id) => {
                    errors.push(FieldError::new(
                        "parent",
                        "cycle",
                        "must not be the unit itself or a unit below it",
                    ))
                }
                Some(_) => {}
            },
        }
        let name_vi = BoundedText::parse("name.vi", &self.name_vi, NAME)
            .map_err(|e| errors.push(e))
            .ok();
        let name_en = BoundedText::parse("name.en", &self.name_en, NAME)
            .map_err(|e| errors.push(e))
            .ok();
        let deadline = parse_deadline("ack_deadline", &self.ack_deadline)
            .map_err(|e| errors.push(e))
            .ok();
        let mut emails = Vec::new();
        for (i, raw) in self.emails.iter().enumerate() {
            match Email::parse(&format!("emails[{i}]"), raw) {
                Ok(e) if !emails.contains(&e.as_str().to_owned()) => {
                    emails.push(e.as_str().to_owned())
                }
                Ok(_) => {}
                Err(e) => errors.push(e),
            }
        }
        if emails.len() > MAX_EMAILS {
            errors.push(
                FieldError::new(
                    "emails",
                    "too_many",
                    format!("must list at most {MAX_EMAILS} addresses"),
                )
                .with_limit(MAX_EMAILS),
            );
        }
        let contact = self
            .contact
            .check()
            .map_err(|e| errors.extend(e))
            .ok()
            .flatten();
        let has_endpoint =
            existing.is_some_and(|p| p.endpoints.iter().any(|e| e.disabled.is_none()));
        if emails.is_empty()
            && !has_endpoint
            && errors.iter().all(|e| !e.field.starts_with("emails"))
        {
            errors.push(FieldError::new(
                "emails",
                "required",
                "must list at least one address (or the party needs an enabled webhook endpoint)",
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let (Some(vi), Some(en), Some(ack_deadline)) = (name_vi, name_en, deadline) else {
            return Err(errors);
        };
        Ok(Party {
            id: id.to_owned(),
            kind,
            parent: parent.map(str::to_owned),
            name: Names {
                vi: vi.into_inner(),
                en: en.into_inner(),
            },
            locale: self
                .locale
                .or(existing.map(|p| p.locale))
                .unwrap_or_default(),
            ack_deadline,
            emails,
            contact,
            endpoints: existing.map(|p| p.endpoints.clone()).unwrap_or_default(),
            disabled: existing.and_then(|p| p.disabled.clone()),
            updated_at: chrono::Utc::now(),
        })
    }
}

/// A webhook endpoint as submitted.
#[derive(Debug, Clone, Default)]
pub struct EndpointDraft {
    pub url: String,
    pub description: String,
    /// Event type names; every type when empty.
    pub event_types: Vec<String>,
    /// A secret chosen by the caller (`whsec_` and base64 of 24 to 64 bytes); one is
    /// generated when absent.
    pub secret: Option<String>,
}

/// The checked fields of an endpoint draft.
#[derive(Debug, Clone)]
pub struct CheckedEndpoint {
    pub url: String,
    pub description: String,
    pub event_types: Vec<EventType>,
    pub secret: Option<String>,
}

/// An absolute http(s) URL with a host and no user name or password, at most 2,000
/// characters. The network guard checks where it leads separately.
pub fn check_endpoint_url(field: &str, raw: &str) -> Result<url::Url, FieldError> {
    let raw = raw.trim();
    if raw.len() > 2000 {
        return Err(
            FieldError::new(field, "too_long", "must be at most 2000 characters")
                .with_limit(2000u64),
        );
    }
    match url::Url::parse(raw) {
        Ok(u) if has_userinfo(raw, &u) => Err(FieldError::new(
            field,
            "no_userinfo",
            "must not contain a user name or password before the host",
        )),
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(u),
        _ => Err(FieldError::new(
            field,
            "url",
            "must be an absolute http(s) URL",
        )),
    }
}

/// Checks the Standard Webhooks secret format: `whsec_` + base64 of 24 to 64 bytes.
pub fn check_webhook_secret(secret: &str) -> Result<(), &'static str> {
    let encoded = secret
        .strip_prefix("whsec_")
        .ok_or("must start with `whsec_`")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| "must be `whsec_` followed by base64")?;
    if (24..=64).contains(&bytes.len()) {
        Ok(())
    } else {
        Err("must encode 24 to 64 random bytes")
    }
}

/// A new secret: `whsec_` and base64 of 32 random bytes.
pub fn new_webhook_secret() -> String {
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(crate::domain::token::random_bytes(32))
    )
}

/// A new endpoint id: `ep_` and 32 hex digits.
pub fn new_endpoint_id() -> String {
    format!("ep_{}", uuid::Uuid::now_v7().simple())
}

impl EndpointDraft {
    pub fn check(&self) -> Result<CheckedEndpoint, Vec<FieldError>> {
        let mut errors = Vec::new();
        let url = check_endpoint_url("url", &self.url)
            .map_err(|e| errors.push(e))
            .ok();
        let description = BoundedText::parse("description", &self.description, DESCRIPTION)
            .map_err(|e| errors.push(e))
            .ok();
        let mut event_types = Vec::new();
        for (i, raw) in self.event_types.iter().enumerate() {
            match raw.trim().parse::<EventType>() {
                Ok(t) if !event_types.contains(&t) => event_types.push(t),
                Ok(_) => {}
                Err(message) => errors.push(FieldError::new(
                    format!("event_types[{i}]"),
                    "one_of",
                    message,
                )),
            }
        }
        if let Some(secret) = &self.secret
            && let Err(rule) = check_webhook_secret(secret.trim())
        {
            errors.push(FieldError::new("secret", "webhook_secret", rule));
        }
        match (url, description) {
            (Some(url), Some(description)) if errors.is_empty() => Ok(CheckedEndpoint {
                url: {
                    let _ = url;
                    self.url.trim().to_owned()
                },
                description: description.into_inner(),
                event_types,
                secret: self.secret.as_ref().map(|s| s.trim().to_owned()),
            }),
            _ => Err(errors),
        }
    }
}
