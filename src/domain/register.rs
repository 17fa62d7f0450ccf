//! The page register: what a member declares about each page or account they run, as the
//! organisation's rule lists it (name, link, creation date, purpose, status, linked phone
//! and email, administrator accounts, the groups and pages they belong to), checked with
//! every broken rule named; the versions a declaration goes through; the committees'
//! declaration requests; the mail that reaches members; and the flags an incident gets
//! when the register contradicts it.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::{
    BoundedText, Email, FieldError, Locale, PageUrl, Phone, Platform, TextRule, fold_for_search,
    page_key,
};

/// A string enum of the register's vocabulary, with the derives the crate's enums share.
macro_rules! register_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
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
        pub enum $name { $($(#[$vmeta])* $variant),+ }
    };
}

register_enum!(
    /// Whether a declared page is in use.
    PageStatus {
        Active,
        Inactive,
        /// No longer used: closed by the member, with the date and the reason.
        Closed,
    }
);

register_enum!(
    /// What an administrator account may do on the page.
    AdminRole {
        Owner,
        Admin,
        Editor,
        Moderator,
        Other,
    }
);

register_enum!(
    /// What made a new version of a declaration.
    PageChange {
        Declared,
        Edited,
        Closed,
        Reopened,
    }
);

register_enum!(
    /// The mail a member receives from the register.
    MemberMailKind {
        /// A one-time sign-in link the member asked for.
        SignIn,
        /// A committee asks the member to confirm or update their pages.
        Request,
        /// The request's one reminder before its deadline.
        Reminder,
    }
);

register_enum!(
    /// What the register says against an incident's report.
    RegisterFlag {
        /// The page is declared, by another member than the reporter.
        DeclaredByOther,
        /// The page's declaration says it was closed.
        Closed,
    }
);

register_enum!(
    /// Where a member stands in a declaration request.
    AnswerState {
        Answered,
        NotAnswered,
        /// Answered, but some page was not confirmed within the configured time.
        Stale,
    }
);

/// One mail ready to render: to whom, in which language, and what it carries. Not
/// `Debug`: its link carries a live token, which must never reach a log.
#[derive(Clone)]
pub struct MailJob {
    pub id: uuid::Uuid,
    pub attempts: i32,
    pub kind: MemberMailKind,
    pub to: String,
    pub locale: Locale,
    /// The sign-in URL, with its freshly derived token.
    pub link: Option<String>,
    pub link_expires_at: Option<DateTime<Utc>>,
    /// For requests and reminders: the committee asking, its deadline and message.
    pub committee: Option<String>,
    pub deadline: Option<DateTime<Utc>>,
    pub message: Option<String>,
}

/// A date known to the year, the month or the day (`2019`, `2019-03`, `2019-03-10`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApproxDate {
    pub year: i32,
    pub month: Option<u32>,
    pub day: Option<u32>,
}

impl ApproxDate {
    /// From the three boxes of the form, each possibly empty (a day needs its month).
    pub fn from_parts(
        field: &str,
        day: &str,
        month: &str,
        year: &str,
        today: NaiveDate,
    ) -> Result<Option<Self>, FieldError> {
        let (day, month, year) = (day.trim(), month.trim(), year.trim());
        if day.is_empty() && month.is_empty() && year.is_empty() {
            return Ok(None);
        }
        let text = match (day.is_empty(), month.is_empty()) {
            (true, true) => year.to_owned(),
            (true, false) => format!("{year}-{month:0>2}"),
            (false, false) => format!("{year}-{month:0>2}-{day:0>2}"),
            (false, true) => return Err(Self::invalid(field)),
        };
        Self::parse(field, &text, today).map(Some)
    }

    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, not after `today` and not before 1990.
    pub fn parse(field: &str, raw: &str, today: NaiveDate) -> Result<Self, FieldError> {
        let parts: Vec<&str> = raw.trim().split('-').collect();
        let number = |s: &str| -> Result<u32, FieldError> {
            if s.is_empty() || s.len() > 4 || !s.chars().all(|c| c.is_ascii_digit()) {
                return Err(Self::invalid(field));
            }
            s.parse().map_err(|_| Self::invalid(field))
        };
        let year = number(parts[0])?;
        let year = i32::try_from(year).map_err(|_| Self::invalid(field))?;
        let date = match parts.as_slice() {
            [_] => Self {
                year,
                month: None,
                day: None,
            },
            [_, m] => Self {
                year,
                month: Some(number(m)?),
                day: None,
            },
            [_, m, d] => Self {
                year,
                month: Some(number(m)?),
                day: Some(number(d)?),
            },
            _ => return Err(Self::invalid(field)),
        };
        let first = date.first_day().ok_or_else(|| Self::invalid(field))?;
        if let Some(day) = date.day
            && NaiveDate::from_ymd_opt(year, date.month.unwrap_or(1), day).is_none()
        {
            return Err(Self::invalid(field));
        }
        if year < 1990 {
            return Err(FieldError::new(
                field,
                "too_early",
                "must be in 1990 or later",
            ));
        }
        if first > today {
            return Err(FieldError::new(
                field,
                "future",
                "must not be in the future",
            ));
        }
        Ok(date)
    }

    fn invalid(field: &str) -> FieldError {
        FieldError::new(
            field,
            "approx_date",
            "must be a year, a month and year, or a full date (YYYY, YYYY-MM or YYYY-MM-DD)",
        )
    }

    /// The first day the date can mean.
    pub fn first_day(&self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year, self.month.unwrap_or(1), self.day.unwrap_or(1))
    }

    /// Day, month and year as the form shows them (empty where unknown).
    pub fn parts(&self) -> (String, String, String) {
        (
            self.day.map(|d| d.to_string()).unwrap_or_default(),
            self.month.map(|m| m.to_string()).unwrap_or_default(),
            self.year.to_string(),
        )
    }

    /// In the Vietnamese order: `10/03/2019`, `03/2019` or `2019`.
    pub fn display(&self) -> String {
        match (self.day, self.month) {
            (Some(d), Some(m)) => format!("{d:02}/{m:02}/{}", self.year),
            (None, Some(m)) => format!("{m:02}/{}", self.year),
            _ => self.year.to_string(),
        }
    }
}

impl std::fmt::Display for ApproxDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.month, self.day) {
            (Some(m), Some(d)) => write!(f, "{:04}-{m:02}-{d:02}", self.year),
            (Some(m), None) => write!(f, "{:04}-{m:02}", self.year),
            _ => write!(f, "{:04}", self.year),
        }
    }
}

impl serde::Serialize for ApproxDate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ApproxDate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        // A stored date was checked when it was declared; only its shape is checked again.
        Self::parse("date", &text, NaiveDate::MAX).map_err(|e| serde::de::Error::custom(e.message))
    }
}

/// An administrator account of a page: who (a name or handle) and what they may do.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PageAdmin {
    /// The account's name or handle; never a password.
    pub account: String,
    pub role: AdminRole,
}

/// A group or page the member belongs to through this account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Membership {
    pub name: String,
    pub url: String,
}

/// A declaration as typed, every field a string as it came.
#[derive(Debug, Clone, Default)]
pub struct DeclarationDraft {
    pub name: String,
    pub url: String,
    pub created_on: String,
    pub purpose: String,
    pub status: String,
    pub closed_on: String,
    pub closed_reason: String,
    pub deleted_on_platform: bool,
    pub linked_phone: String,
    pub linked_email: String,
    /// (account, role) pairs; rows left blank are ignored.
    pub admins: Vec<(String, String)>,
    /// (name, link) pairs; rows left blank are ignored.
    pub memberships: Vec<(String, String)>,
}

/// A checked declaration: what one version of a declared page says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Declaration {
    pub platform: Platform,
    pub url: String,
    pub name: String,
    pub created_on: Option<ApproxDate>,
    pub purpose: String,
    pub status: PageStatus,
    pub closed_on: Option<NaiveDate>,
    pub closed_reason: Option<String>,
    #[serde(default)]
    pub deleted_on_platform: bool,
    pub linked_phone: Option<String>,
    pub linked_email: Option<String>,
    pub admins: Vec<PageAdmin>,
    pub memberships: Vec<Membership>,
}

/// Most administrator accounts or memberships one declaration lists.
pub const MAX_ROWS: usize = 50;
const NAME: TextRule = TextRule::line(1, 200);
const PURPOSE: TextRule = TextRule::block(1, 1000);
const REASON: TextRule = TextRule::block(1, 1000);
const ACCOUNT: TextRule = TextRule::line(1, 200);

impl DeclarationDraft {
    /// The declaration, or every rule it breaks, each with its field.
    pub fn check(&self, today: NaiveDate) -> Result<Declaration, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = keep(&mut errors, BoundedText::parse("name", &self.name, NAME));
        let url = keep(&mut errors, PageUrl::parse("url", &self.url));
        let created_on = keep(
            &mut errors,
            if self.created_on.trim().is_empty() {
                Ok(None)
            } else {
                ApproxDate::parse("created_on", &self.created_on, today).map(Some)
            },
        )
        .flatten();
        let purpose = keep(
            &mut errors,
            BoundedText::parse("purpose", &self.purpose, PURPOSE),
        );
        let status = keep(
            &mut errors,
            if self.status.trim().is_empty() {
                Err(FieldError::new("status", "required", "must not be empty"))
            } else {
                self.status
                    .trim()
                    .parse::<PageStatus>()
                    .map_err(|m| FieldError::new("status", "one_of", m))
            },
        );
        let closed = status == Some(PageStatus::Closed);
        let closed_on = keep(
            &mut errors,
            match (closed, self.closed_on.trim()) {
                (true, "") => Err(FieldError::new(
                    "closed_on",
                    "required",
                    "must say when the page was closed",
                )),
                (true, raw) => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                    .map_err(|_| {
                        FieldError::new("closed_on", "date", "must be a date (YYYY-MM-DD)")
                    })
                    .and_then(|d| {
                        if d > today {
                            Err(FieldError::new(
                                "closed_on",
                                "future",
                                "must not be in the future",
                            ))
                        } else {
                            Ok(Some(d))
                        }
                    }),
                (false, _) => Ok(None),
            },
        )
        .flatten();
        let closed_reason = keep(
            &mut errors,
            match (closed, self.closed_reason.trim()) {
                (true, "") => Err(FieldError::new(
                    "closed_reason",
                    "required",
                    "must say why the page was closed",
                )),
                (true, raw) => {
                    BoundedText::parse("closed_reason", raw, REASON).map(|t| Some(t.into_inner()))
                }
                (false, _) => Ok(None),
            },
        )
        .flatten();
        let linked_phone = keep(
            &mut errors,
            match self.linked_phone.trim() {
                "" => Ok(None),
                raw => Phone::parse("linked_phone", raw).map(|p| Some(national_phone(p.as_str()))),
            },
        )
        .flatten();
        let linked_email = keep(
            &mut errors,
            match self.linked_email.trim() {
                "" => Ok(None),
                raw => Email::parse("linked_email", raw).map(|e| Some(e.as_str().to_lowercase())),
            },
        )
        .flatten();
        let mut admins = Vec::new();
        let mut memberships = Vec::new();
        let filled = |a: &str, b: &str| !(a.trim().is_empty() && b.trim().is_empty());
        let admin_rows: Vec<_> = self.admins.iter().filter(|(a, r)| filled(a, r)).collect();
        let member_rows: Vec<_> = self
            .memberships
            .iter()
            .filter(|(n, u)| filled(n, u))
            .collect();
        if admin_rows.len() > MAX_ROWS {
            errors.push(
                FieldError::new(
                    "admins",
                    "too_many",
                    format!("must list at most {MAX_ROWS}"),
                )
                .with_limit(MAX_ROWS),
            );
        }
        if member_rows.len() > MAX_ROWS {
            errors.push(
                FieldError::new(
                    "memberships",
                    "too_many",
                    format!("must list at most {MAX_ROWS}"),
                )
                .with_limit(MAX_ROWS),
            );
        }
        for (i, (account, role)) in admin_rows.into_iter().take(MAX_ROWS).enumerate() {
            let account = BoundedText::parse(&format!("admins[{i}].account"), account, ACCOUNT);
            let role = role
                .trim()
                .parse::<AdminRole>()
                .map_err(|m| FieldError::new(format!("admins[{i}].role"), "one_of", m));
            match (account, role) {
                (Ok(account), Ok(role)) => admins.push(PageAdmin {
                    account: account.into_inner(),
                    role,
                }),
                (a, r) => {
                    errors.extend(a.err());
                    errors.extend(r.err());
                }
            }
        }
        for (i, (name, url)) in member_rows.into_iter().take(MAX_ROWS).enumerate() {
            let name = BoundedText::parse(&format!("memberships[{i}].name"), name, NAME);
            let url = PageUrl::parse(&format!("memberships[{i}].url"), url);
            match (name, url) {
                (Ok(name), Ok(url)) => memberships.push(Membership {
                    name: name.into_inner(),
                    url: url.as_str().to_owned(),
                }),
                (n, u) => {
                    errors.extend(n.err());
                    errors.extend(u.err());
                }
            }
        }
        match (name, url, purpose, status) {
            (Some(name), Some(url), Some(purpose), Some(status)) if errors.is_empty() => {
                Ok(Declaration {
                    platform: url.platform(),
                    url: url.as_str().to_owned(),
                    name: name.into_inner(),
                    created_on,
                    purpose: purpose.into_inner(),
                    status,
                    closed_on,
                    closed_reason,
                    deleted_on_platform: closed && self.deleted_on_platform,
                    linked_phone,
                    linked_email,
                    admins,
                    memberships,
                })
            }
            _ => Err(errors),
        }
    }
}

fn keep<T>(errors: &mut Vec<FieldError>, result: Result<T, FieldError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

impl Declaration {
    /// The key that finds the same page whoever declared it, as incidents compute it.
    pub fn page_key(&self) -> String {
        key_of_url(&self.url).unwrap_or_else(|| format!("{}:{}", self.platform, self.url))
    }

    /// Name, link, phone, email and administrators, folded for searching.
    pub fn search_text(&self) -> String {
        let mut parts = vec![self.name.clone(), self.url.clone()];
        parts.extend(self.linked_phone.clone());
        parts.extend(self.linked_email.clone());
        parts.extend(self.admins.iter().map(|a| a.account.clone()));
        fold_for_search(&parts.join(" "))
    }

    /// What changing this declaration into `next` is called in its history.
    pub fn change_to(&self, next: &Declaration) -> PageChange {
        match (self.status, next.status) {
            (PageStatus::Closed, PageStatus::Closed) => PageChange::Edited,
            (_, PageStatus::Closed) => PageChange::Closed,
            (PageStatus::Closed, _) => PageChange::Reopened,
            _ => PageChange::Edited,
        }
    }

    /// The draft that fills the form again with this declaration.
    pub fn draft(&self) -> DeclarationDraft {
        DeclarationDraft {
            name: self.name.clone(),
            url: self.url.clone(),
            created_on: self.created_on.map(|d| d.to_string()).unwrap_or_default(),
            purpose: self.purpose.clone(),
            status: self.status.to_string(),
            closed_on: self.closed_on.map(|d| d.to_string()).unwrap_or_default(),
            closed_reason: self.closed_reason.clone().unwrap_or_default(),
            deleted_on_platform: self.deleted_on_platform,
            linked_phone: self.linked_phone.clone().unwrap_or_default(),
            linked_email: self.linked_email.clone().unwrap_or_default(),
            admins: self
                .admins
                .iter()
                .map(|a| (a.account.clone(), a.role.to_string()))
                .collect(),
            memberships: self
                .memberships
                .iter()
                .map(|m| (m.name.clone(), m.url.clone()))
                .collect(),
        }
    }
}

/// The page key of a link, as the report form computes it for an incident's page.
pub fn key_of_url(raw: &str) -> Option<String> {
    let url = PageUrl::parse("url", raw).ok()?;
    Some(page_key(url.platform(), None, Some(&url)))
}

/// What a search box of the register asks for: a link, a phone number, an email address,
/// or words of a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterQuery {
    PageKey(String),
    Phone(String),
    Email(String),
    Words(String),
}

impl RegisterQuery {
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        if raw.contains("://")
            && let Some(key) = key_of_url(raw)
        {
            return Some(Self::PageKey(key));
        }
        if raw.contains('@')
            && let Ok(email) = Email::parse("q", raw)
        {
            return Some(Self::Email(email.as_str().to_lowercase()));
        }
        if let Ok(phone) = Phone::parse("q", raw) {
            return Some(Self::Phone(national_phone(phone.as_str())));
        }
        Some(Self::Words(fold_for_search(raw)))
    }
}

/// A Vietnamese number in the form people dial at home (`+84 912…` as `0912…`), so that
/// a page is found by its phone however the number was typed; other numbers as they are.
pub fn national_phone(phone: &str) -> String {
    match phone.strip_prefix("+84") {
        Some(rest) if !rest.starts_with('0') => format!("0{rest}"),
        Some(rest) => rest.to_owned(),
        None => phone.to_owned(),
    }
}

/// A member's email as the register keys it.
pub fn member_email(field: &str, raw: &str) -> Result<String, FieldError> {
    Email::parse(field, raw).map(|e| e.as_str().to_lowercase())
}

/// One row of a roster file: a member's email and their committee, with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    pub line: usize,
    pub email: String,
    pub committee: String,
}

/// Reads a roster CSV (header `email,committee`, in any order, other columns ignored):
/// every row checked (a real address; a committee of the directory, open), every problem
/// named with its line, and an address given twice refused.
pub fn read_roster(
    text: &str,
    is_committee: impl Fn(&str) -> bool,
) -> Result<Vec<RosterRow>, Vec<String>> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(vec![
            "line 1: the file is empty; it needs the header `email,committee`".to_owned(),
        ]);
    };
    let names: Vec<String> = header
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let (Some(at_email), Some(at_committee)) = (
        names.iter().position(|n| n == "email"),
        names.iter().position(|n| n == "committee"),
    ) else {
        return Err(vec![
            "line 1: the header must name the columns `email` and `committee`".to_owned(),
        ]);
    };
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (i, raw) in lines {
        let line = i + 1;
        let cells: Vec<&str> = raw.split(',').map(str::trim).collect();
        let email = cells.get(at_email).copied().unwrap_or_default();
        let committee = cells.get(at_committee).copied().unwrap_or_default();
        let email = match member_email("email", email) {
            Ok(e) => e,
            Err(e) => {
                errors.push(format!("line {line}: email: {}", e.message));
                continue;
            }
        };
        if !is_committee(committee) {
            errors.push(format!(
                "line {line}: committee: `{committee}` is not an open committee of the directory"
            ));
            continue;
        }
        if let Some(first) = seen.insert(email.clone(), line) {
            errors.push(format!(
                "line {line}: email: {email} is already on line {first}"
            ));
            continue;
        }
        rows.push(RosterRow {
            line,
            email,
            committee: committee.to_owned(),
        });
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// A declaration request as an officer sends it: the committee (a subtree root), the
/// deadline and a message.
#[derive(Debug, Clone)]
pub struct RequestDraft {
    pub committee: String,
    pub deadline: String,
    pub message: String,
}

/// A checked request.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub committee: String,
    pub deadline: DateTime<Utc>,
    pub message: String,
}

impl RequestDraft {
    /// The request, with its deadline at the end of the given day in Vietnam (UTC+7), at
    /// least a day and at most a year ahead.
    pub fn check(&self, now: DateTime<Utc>) -> Result<NewRequest, Vec<FieldError>> {
        let mut errors = Vec::new();
        let committee = self.committee.trim().to_owned();
        if committee.is_empty() {
            errors.push(FieldError::new(
                "committee",
                "required",
                "must not be empty",
            ));
        }
        let deadline = match NaiveDate::parse_from_str(self.deadline.trim(), "%Y-%m-%d") {
            Err(_) => {
                errors.push(FieldError::new(
                    "deadline",
                    "date",
                    "must be a date (YYYY-MM-DD)",
                ));
                None
            }
            Ok(day) => {
                let end = day
                    .and_hms_opt(23, 59, 59)
                    .map(|t| t.and_utc() - chrono::TimeDelta::hours(7));
                match end {
                    Some(end) if end < now + chrono::TimeDelta::days(1) => {
                        errors.push(FieldError::new(
                            "deadline",
                            "too_soon",
                            "must be at least a day from now",
                        ));
                        None
                    }
                    Some(end) if end > now + chrono::TimeDelta::days(366) => {
                        errors.push(FieldError::new(
                            "deadline",
                            "too_late",
                            "must be within a year",
                        ));
                        None
                    }
                    other => other,
                }
            }
        };
        let message = if self.message.trim().is_empty() {
            Some(String::new())
        } else {
            BoundedText::parse("message", &self.message, TextRule::block(1, 2000))
                .map(BoundedText::into_inner)
                .map_err(|e| errors.push(e))
                .ok()
        };
        match (deadline, message) {
            (Some(deadline), Some(message)) if errors.is_empty() => Ok(NewRequest {
                committee,
                deadline,
                message,
            }),
            _ => Err(errors),
        }
    }
}

/// When a request's one reminder is due: `before` its deadline, but never before the
/// halfway point between sending and the deadline.
pub fn reminder_at(
    sent: DateTime<Utc>,
    deadline: DateTime<Utc>,
    before: chrono::TimeDelta,
) -> DateTime<Utc> {
    let halfway = sent + (deadline - sent) / 2;
    (deadline - before).max(halfway)
}

/// Where a member stands: answered since the request was sent, and every page confirmed
/// within `stale_after`.
pub fn answer_state(
    answered: Option<DateTime<Utc>>,
    oldest_confirmation: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    stale_after: chrono::TimeDelta,
) -> AnswerState {
    match (answered, oldest_confirmation) {
        (None, _) => AnswerState::NotAnswered,
        (Some(_), Some(oldest)) if now - oldest > stale_after => AnswerState::Stale,
        (Some(_), _) => AnswerState::Answered,
    }
}

/// What the register says about a reported page, given the declarations of its key:
/// (declarer, whether that declaration is closed).
pub fn flag_for(
    reporter: Option<uuid::Uuid>,
    declarations: &[(uuid::Uuid, bool)],
) -> Option<RegisterFlag> {
    if declarations.is_empty() {
        return None;
    }
    let own: Vec<_> = declarations
        .iter()
        .filter(|(member, _)| Some(*member) == reporter)
        .collect();
    if own.is_empty() {
        return Some(RegisterFlag::DeclaredByOther);
    }
    own.iter()
        .all(|(_, closed)| *closed)
        .then_some(RegisterFlag::Closed)
}

/// The version of a declaration an incident's report started from, as the register kept
/// it: the member's proof of ownership that goes with the incident's notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredVersion {
    pub page_id: uuid::Uuid,
    pub version: i32,
    /// When this version was written.
    pub at: DateTime<Utc>,
    /// When the page was first declared (version 1).
    pub first_declared_at: DateTime<Utc>,
    pub declaration: Declaration,
}

/// The register's key of a reported page: from its link, as declarations are keyed, since
/// a report's own key prefers the handle.
pub fn report_key(url: Option<&PageUrl>) -> Option<String> {
    url.map(|u| page_key(u.platform(), None, Some(u)))
}

/// A year's months are 1 to 12; today's date in Vietnam for the checks above.
pub fn today_in_vietnam(now: DateTime<Utc>) -> NaiveDate {
    (now + chrono::TimeDelta::hours(7)).date_naive()
}

/// Whether a page's declared creation date comes before a moment (an approximate date
/// counts from its first day).
pub fn declared_before(date: &ApproxDate, moment: DateTime<Utc>) -> bool {
    date.first_day()
        .is_some_and(|d| d.year() <= moment.year() && d <= moment.date_naive())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 3).expect("date")
    }

    fn draft() -> DeclarationDraft {
        DeclarationDraft {
            name: "Tin tức Ba Đình".into(),
            url: "https://www.facebook.com/badinh.news".into(),
            created_on: "2019-03".into(),
            purpose: "Đưa tin hoạt động của phường".into(),
            status: "active".into(),
            linked_phone: "0912 345 678".into(),
            linked_email: "Admin@Example.org".into(),
            admins: vec![
                ("@lan.nguyen".into(), "owner".into()),
                (" ".into(), "".into()),
            ],
            memberships: vec![("Nhóm phường".into(), "https://facebook.com/groups/1".into())],
            ..Default::default()
        }
    }

    #[test]
    fn a_full_declaration_is_kept_with_normalised_contacts() {
        let d = draft().check(today()).expect("valid");
        assert_eq!(d.platform, Platform::Facebook);
        assert_eq!(d.linked_phone.as_deref(), Some("0912345678"));
        assert_eq!(d.linked_email.as_deref(), Some("admin@example.org"));
        assert_eq!(d.admins.len(), 1);
        assert_eq!(
            d.created_on.map(|c| c.to_string()).as_deref(),
            Some("2019-03")
        );
        assert_eq!(d.page_key(), "facebook:facebook.com/badinh.news");
        assert_eq!(d.draft().check(today()), Ok(d));
    }

    #[test]
    fn every_broken_rule_is_named_with_its_field() {
        let bad = DeclarationDraft {
            name: String::new(),
            url: "facebook.com/x".into(),
            created_on: "2030".into(),
            purpose: String::new(),
            status: "closed".into(),
            admins: vec![("x".into(), "king".into())],
            memberships: vec![("g".into(), "nope".into())],
            ..Default::default()
        };
        let errors = bad.check(today()).expect_err("invalid");
        let fields: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.rule)).collect();
        for expected in [
            ("name", "required"),
            ("url", "url"),
            ("created_on", "future"),
            ("purpose", "required"),
            ("closed_on", "required"),
            ("closed_reason", "required"),
            ("admins[0].role", "one_of"),
            ("memberships[0].url", "url"),
        ] {
            assert!(fields.contains(&expected), "{expected:?} in {fields:?}");
        }
    }

    #[test]
    fn approximate_dates_take_a_year_a_month_or_a_day() {
        assert_eq!(
            ApproxDate::from_parts("d", "", "3", "2019", today()).map(|d| d.map(|d| d.to_string())),
            Ok(Some("2019-03".to_owned()))
        );
        assert_eq!(ApproxDate::from_parts("d", "", "", "", today()), Ok(None));
        assert!(ApproxDate::from_parts("d", "5", "", "2019", today()).is_err());
        assert!(ApproxDate::parse("d", "2019-02-30", today()).is_err());
        assert_eq!(
            ApproxDate::parse("d", "2019-03-10", today()).map(|d| d.display()),
            Ok("10/03/2019".to_owned())
        );
    }

    #[test]
    fn queries_tell_links_phones_emails_and_names_apart() {
        assert_eq!(
            RegisterQuery::parse("https://m.facebook.com/badinh.news/"),
            Some(RegisterQuery::PageKey(
                "facebook:facebook.com/badinh.news".into()
            ))
        );
        assert_eq!(
            RegisterQuery::parse("0912-345-678"),
            Some(RegisterQuery::Phone("0912345678".into()))
        );
        assert_eq!(
            RegisterQuery::parse("+84 912 345 678"),
            Some(RegisterQuery::Phone("0912345678".into()))
        );
        assert_eq!(
            RegisterQuery::parse("A@Example.org"),
            Some(RegisterQuery::Email("a@example.org".into()))
        );
        assert_eq!(
            RegisterQuery::parse("Tin Tức"),
            Some(RegisterQuery::Words("tin tuc".into()))
        );
    }

    #[test]
    fn a_roster_names_every_bad_line() {
        let known = |c: &str| c == "hn" || c == "hn-ba-dinh";
        let ok = read_roster(
            "committee,email\nhn, Lan@Example.org\n\nhn-ba-dinh,minh@example.org\n",
            known,
        )
        .expect("valid");
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].email, "lan@example.org");
        assert_eq!(ok[1].line, 4);
        let bad = read_roster(
            "email,committee\nx,hn\na@example.org,nowhere\nb@example.org,hn\nB@example.org,hn\n",
            known,
        )
        .expect_err("invalid");
        assert_eq!(bad.len(), 3, "{bad:?}");
        assert!(bad[0].starts_with("line 2: email:"));
        assert!(bad[1].starts_with("line 3: committee:"));
        assert!(bad[2].starts_with("line 5: email:"));
        assert!(read_roster("name\nx\n", known).is_err());
    }

    #[test]
    fn flags_name_pages_declared_by_others_or_closed() {
        let me = uuid::Uuid::from_u128(1);
        let other = uuid::Uuid::from_u128(2);
        assert_eq!(flag_for(Some(me), &[]), None);
        assert_eq!(flag_for(Some(me), &[(me, false)]), None);
        assert_eq!(
            flag_for(Some(me), &[(me, true)]),
            Some(RegisterFlag::Closed)
        );
        assert_eq!(
            flag_for(Some(me), &[(other, false)]),
            Some(RegisterFlag::DeclaredByOther)
        );
        assert_eq!(
            flag_for(None, &[(other, false)]),
            Some(RegisterFlag::DeclaredByOther)
        );
    }

    #[test]
    fn the_reminder_comes_before_the_deadline_but_not_at_once() {
        let sent = Utc::now();
        let deadline = sent + chrono::TimeDelta::days(10);
        assert_eq!(
            reminder_at(sent, deadline, chrono::TimeDelta::days(3)),
            deadline - chrono::TimeDelta::days(3)
        );
        let soon = sent + chrono::TimeDelta::days(2);
        assert_eq!(
            reminder_at(sent, soon, chrono::TimeDelta::days(3)),
            sent + chrono::TimeDelta::days(1)
        );
    }
}
