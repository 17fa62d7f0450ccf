//! A report as typed by a member or sent by an integration, and the validated incident it
//! becomes. Every broken rule is collected, so the caller can show them all at once.

use chrono::{DateTime, TimeDelta, Utc};

use super::{
    AccountType, BoundedText, ContainmentAction, ContainmentState, Email, EvidenceFile, FieldError,
    IncidentKind, Locale, PageHandle, PageUrl, Phone, Platform, Severity, TextRule,
    register::ApproxDate,
};

/// Raw input, every field as text, so that the web form and the API share the rules.
#[derive(Debug, Clone, Default)]
pub struct IncidentDraft {
    pub kind: Option<String>,
    pub severity: Option<String>,
    pub description: Option<String>,
    pub detected_at: Option<String>,
    pub reporter: ReporterDraft,
    pub page: PageDraft,
    pub containment: ContainmentDraft,
}

/// The member who reports; the API's `reporter` object.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ReporterInput)]
pub struct ReporterDraft {
    /// 2 to 200 characters.
    #[schema(
        required = true,
        nullable = false,
        min_length = 2,
        max_length = 200,
        pattern = "^[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*[^\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF][^\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$"
    )]
    pub name: Option<String>,
    /// Email or phone (at least one).
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Id of the reporter's committee.
    #[schema(required = true, nullable = false, min_length = 1, max_length = 64)]
    pub committee: Option<String>,
    /// The language of the reporter's emails: `vi` (default) or `en`.
    pub locale: Option<String>,
}

/// The affected page. Never send a password or any secret of the account.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PageInput)]
pub struct PageDraft {
    /// Detected from the URL when absent; may correct a URL on an unknown host.
    #[schema(value_type = Option<super::Platform>)]
    pub platform: Option<String>,
    /// The page's address (this or `handle` is required): http(s), no user name or
    /// password before the host, at most 2048 characters.
    #[schema(
        max_length = 2048,
        pattern = "^[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*[Hh][Tt][Tt][Pp][Ss]?://[^@/?#\\s]+([/?#]\\S*)?[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$"
    )]
    pub url: Option<String>,
    /// The account name, with or without a leading `@`: no spaces, at most 100 characters.
    #[schema(
        pattern = "^[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*@?[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]{1,100}[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$"
    )]
    pub handle: Option<String>,
    #[schema(
        max_length = 200,
        pattern = "^[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$|^[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*[^\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF][^\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$"
    )]
    pub display_name: Option<String>,
    /// `profile`, `page`, `channel`, `group`, `official_account`, `website` or `other`.
    #[schema(value_type = Option<super::AccountType>)]
    pub account_type: Option<String>,
    /// The email linked to the account, which helps the provider verify ownership.
    pub linked_email: Option<String>,
    pub linked_phone: Option<String>,
    /// When the page was created, to the day, the month or the year: `YYYY-MM-DD`,
    /// `YYYY-MM` or `YYYY`, from 1990 on.
    #[schema(
        pattern = "^[0-9]{4}(-[0-9]{1,2}(-[0-9]{1,2})?)?$",
        example = "2019-05"
    )]
    pub created_on: Option<String>,
    #[schema(
        max_length = 1000,
        pattern = "^[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$|^[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B\\u200E\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*[^\\s\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B\\u200E\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B\\u200E\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$"
    )]
    pub purpose: Option<String>,
}

/// A containment state; `stopped` needs `stopped_at` and at least one action.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ContainmentInput, example = json!({
    "state": "stopped",
    "stopped_at": "2026-11-28T09:10:00+07:00",
    "actions": ["password_changed", "sessions_revoked", "two_factor_enabled"],
    "note": "Recovered the admin email through the platform's form."
}))]
pub struct ContainmentDraft {
    #[schema(required = true, value_type = super::ContainmentState)]
    pub state: Option<String>,
    #[schema(format = DateTime)]
    pub stopped_at: Option<String>,
    #[serde(default)]
    #[schema(value_type = Vec<super::ContainmentAction>)]
    pub actions: Vec<String>,
    /// 1 to 2000 characters.
    #[schema(
        max_length = 2000,
        pattern = "^[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$|^[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B\\u200E\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*[^\\s\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B\\u200E\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u00AD\\u061C\\u180E\\u200B\\u200E\\u200F\\u202A-\\u202E\\u2060-\\u2064\\u2066-\\u2069\\uFEFF]*[\\t\\n\\u000B\\u000C\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$"
    )]
    pub note: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewIncident {
    pub kind: IncidentKind,
    pub severity: Severity,
    pub description: BoundedText,
    pub detected_at: DateTime<Utc>,
    pub reporter: Reporter,
    pub page: Page,
    pub containment: Containment,
    /// Files already stored by digest; the web form attaches them.
    pub evidence: Vec<EvidenceFile>,
}

#[derive(Debug, Clone)]
pub struct Reporter {
    pub name: BoundedText,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub committee: String,
    /// The language of the member's emails.
    pub locale: Locale,
}

#[derive(Debug, Clone)]
pub struct Page {
    pub platform: Platform,
    pub url: Option<PageUrl>,
    pub handle: Option<PageHandle>,
    pub display_name: Option<BoundedText>,
    pub account_type: Option<AccountType>,
    pub linked_email: Option<Email>,
    pub linked_phone: Option<Phone>,
    pub created_on: Option<ApproxDate>,
    pub purpose: Option<BoundedText>,
}

/// A containment state with what goes with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Containment {
    pub state: ContainmentState,
    /// When the page was stopped or recovered.
    pub at: Option<DateTime<Utc>>,
    pub actions: Vec<ContainmentAction>,
    pub note: Option<BoundedText>,
}

/// Collects field errors while parsing.
#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn take<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }

    fn push(&mut self, field: &str, rule: &'static str, message: impl Into<String>) {
        self.0.push(FieldError::new(field, rule, message));
    }

    fn required(&mut self, field: &str) {
        self.push(field, "required", "is required");
    }
}

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn parse_enum<T: std::str::FromStr<Err = String>>(field: &str, raw: &str) -> Result<T, FieldError> {
    raw.parse::<T>()
        .map_err(|message| FieldError::new(field, "one_of", message))
}

pub fn parse_time(field: &str, raw: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, FieldError> {
    let time = DateTime::parse_from_rfc3339(raw.trim())
        .map_err(|_| {
            FieldError::new(
                field,
                "date_time",
                "must be an RFC 3339 date and time such as 2026-11-28T08:30:00+07:00",
            )
        })?
        .with_timezone(&Utc);
    if time > now + TimeDelta::minutes(5) {
        return Err(FieldError::new(
            field,
            "not_in_future",
            "must not be in the future",
        ));
    }
    if time.timestamp() < 946_684_800 {
        return Err(FieldError::new(
            field,
            "too_old",
            "must be after 2000-01-01",
        ));
    }
    Ok(time)
}

fn optional<T>(
    errors: &mut Errors,
    raw: &Option<String>,
    parse: impl FnOnce(&str) -> Result<T, FieldError>,
) -> Option<T> {
    present(raw).and_then(|v| errors.take(parse(v)))
}

impl IncidentDraft {
    pub fn parse(
        &self,
        now: DateTime<Utc>,
        committee_exists: impl Fn(&str) -> bool,
    ) -> Result<NewIncident, Vec<FieldError>> {
        let mut errors = Errors::default();

        let kind = match present(&self.kind) {
            Some(v) => errors.take(parse_enum::<IncidentKind>("kind", v)),
            None => {
                errors.required("kind");
                None
            }
        };
        let severity = optional(&mut errors, &self.severity, |v| parse_enum("severity", v));
        let description = errors.take(BoundedText::parse(
            "description",
            self.description.as_deref().unwrap_or_default(),
            TextRule::block(10, 5000),
        ));
        let detected_at = match present(&self.detected_at) {
            Some(v) => errors.take(parse_time("detected_at", v, now)),
            None => {
                errors.required("detected_at");
                None
            }
        };
        let reporter = self.reporter.parse(&mut errors, &committee_exists);
        let page = self.page.parse(&mut errors, now);
        let containment = self.containment.parse_into(&mut errors, now, true);
        if let (Some(detected), Some(Containment { at: Some(at), .. })) =
            (detected_at, &containment)
            && *at + TimeDelta::days(1) < detected
        {
            errors.push(
                "containment.stopped_at",
                "after_detection",
                "must not be more than a day before detected_at",
            );
        }

        match (kind, description, detected_at, reporter, page, containment) {
            (
                Some(kind),
                Some(description),
                Some(detected_at),
                Some(reporter),
                Some(page),
                Some(containment),
            ) if errors.0.is_empty() => {
                let severity =
                    severity.unwrap_or_else(|| Severity::default_for(kind, containment.state));
                Ok(NewIncident {
                    kind,
                    severity,
                    description,
                    detected_at,
                    reporter,
                    page,
                    containment,
                    evidence: Vec::new(),
                })
            }
            _ => Err(errors.0),
        }
    }
}

impl ReporterDraft {
    fn parse(
        &self,
        errors: &mut Errors,
        committee_exists: &impl Fn(&str) -> bool,
    ) -> Option<Reporter> {
        let name = errors.take(BoundedText::parse(
            "reporter.name",
            self.name.as_deref().unwrap_or_default(),
            TextRule::line(2, 200),
        ));
        let email = optional(errors, &self.email, |v| Email::parse("reporter.email", v));
        let phone = optional(errors, &self.phone, |v| Phone::parse("reporter.phone", v));
        if present(&self.email).is_none() && present(&self.phone).is_none() {
            errors.push(
                "reporter.email",
                "contact_required",
                "give an email address or a phone number so the committee can reach you",
            );
        }
        let committee = match present(&self.committee) {
            Some(id) if committee_exists(id) => Some(id.to_owned()),
            Some(id) => {
                errors.push(
                    "reporter.committee",
                    "unknown_committee",
                    format!("`{id}` is not a committee that takes reports"),
                );
                None
            }
            None => {
                errors.required("reporter.committee");
                None
            }
        };
        let locale = optional(errors, &self.locale, |v| parse_enum("reporter.locale", v));
        Some(Reporter {
            name: name?,
            email,
            phone,
            committee: committee?,
            locale: locale.unwrap_or_default(),
        })
    }
}

impl PageDraft {
    fn parse(&self, errors: &mut Errors, now: DateTime<Utc>) -> Option<Page> {
        let before = errors.0.len();
        let url = optional(errors, &self.url, |v| PageUrl::parse("page.url", v));
        let handle = optional(errors, &self.handle, |v| {
            PageHandle::parse("page.handle", v)
        });
        if present(&self.url).is_none() && present(&self.handle).is_none() {
            errors.push(
                "page.url",
                "url_or_handle_required",
                "give the page's address or its handle",
            );
        }
        let given = optional(errors, &self.platform, |v| {
            parse_enum::<Platform>("page.platform", v)
        });
        let detected = url.as_ref().map(PageUrl::platform);
        let platform = match (given, detected) {
            (Some(given), Some(detected)) if detected != Platform::Website && given != detected => {
                errors.push(
                    "page.platform",
                    "platform_mismatch",
                    format!("the address is on {detected}, not {given}"),
                );
                None
            }
            (Some(given), _) => Some(given),
            (None, Some(detected)) => Some(detected),
            (None, None) => {
                // An address that did not parse already has its own error.
                if present(&self.platform).is_none() && present(&self.url).is_none() {
                    errors.push(
                        "page.platform",
                        "required",
                        "is required when no page address is given",
                    );
                }
                None
            }
        };
        let display_name = optional(errors, &self.display_name, |v| {
            BoundedText::parse("page.display_name", v, TextRule::line(1, 200))
        });
        let account_type = optional(errors, &self.account_type, |v| {
            parse_enum("page.account_type", v)
        });
        let linked_email = optional(errors, &self.linked_email, |v| {
            Email::parse("page.linked_email", v)
        });
        let linked_phone = optional(errors, &self.linked_phone, |v| {
            Phone::parse("page.linked_phone", v)
        });
        // The day a page was made is often known only to the month or the year.
        let created_on = optional(errors, &self.created_on, |v| {
            ApproxDate::parse("page.created_on", v, super::register::today_in_vietnam(now)).map_err(
                |e| match e.rule {
                    "future" => FieldError::new(
                        "page.created_on",
                        "not_in_future",
                        "must not be in the future",
                    ),
                    "too_early" => e,
                    _ => FieldError::new(
                        "page.created_on",
                        "date",
                        "must be a date such as 2019-05-01, a month such as 2019-05 or a year",
                    ),
                },
            )
        });
        let purpose = optional(errors, &self.purpose, |v| {
            BoundedText::parse("page.purpose", v, TextRule::block(1, 1000))
        });
        if errors.0.len() > before {
            return None;
        }
        Some(Page {
            platform: platform?,
            url,
            handle,
            display_name,
            account_type,
            linked_email,
            linked_phone,
            created_on,
            purpose,
        })
    }
}

impl ContainmentDraft {
    /// `at_filing` limits the states to those a new report can start in.
    pub fn parse(
        &self,
        errors_out: &mut Vec<FieldError>,
        now: DateTime<Utc>,
    ) -> Option<Containment> {
        let mut errors = Errors(std::mem::take(errors_out));
        let result = self.parse_into(&mut errors, now, false);
        *errors_out = errors.0;
        result
    }

    fn parse_into(
        &self,
        errors: &mut Errors,
        now: DateTime<Utc>,
        at_filing: bool,
    ) -> Option<Containment> {
        let before = errors.0.len();
        let state = match present(&self.state) {
            Some(v) => errors.take(parse_enum::<ContainmentState>("containment.state", v)),
            None if at_filing => Some(ContainmentState::Active),
            None => {
                errors.required("containment.state");
                None
            }
        };
        if at_filing && state == Some(ContainmentState::Recovered) {
            errors.push(
                "containment.state",
                "one_of",
                "a new report must be active, stopped or lost_control",
            );
        }
        let at = optional(errors, &self.stopped_at, |v| {
            parse_time("containment.stopped_at", v, now)
        });
        let mut actions = Vec::new();
        for (i, raw) in self.actions.iter().enumerate() {
            let field = format!("containment.actions[{i}]");
            if let Some(action) = errors.take(parse_enum::<ContainmentAction>(&field, raw.trim()))
                && !actions.contains(&action)
            {
                actions.push(action);
            }
        }
        let note = optional(errors, &self.note, |v| {
            BoundedText::parse("containment.note", v, TextRule::block(1, 2000))
        });
        match state {
            Some(ContainmentState::Stopped) => {
                if present(&self.stopped_at).is_none() {
                    errors.push(
                        "containment.stopped_at",
                        "required",
                        "say when the page was stopped",
                    );
                }
                if self.actions.is_empty() {
                    errors.push(
                        "containment.actions",
                        "required",
                        "say at least one thing that was done to stop the page",
                    );
                }
            }
            Some(ContainmentState::Active | ContainmentState::LostControl)
                if !self.actions.is_empty() || present(&self.stopped_at).is_some() =>
            {
                errors.push(
                    "containment.state",
                    "stopped_fields_need_stopped",
                    "stopped_at and actions go with the state `stopped`",
                );
            }
            _ => {}
        }
        if errors.0.len() > before {
            return None;
        }
        let state = state?;
        let at = match state {
            ContainmentState::Recovered => Some(at.unwrap_or(now)),
            _ => at,
        };
        Some(Containment {
            state,
            at,
            actions,
            note,
        })
    }
}

#[cfg(test)]
mod tests;
