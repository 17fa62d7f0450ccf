//! The subject, text and HTML of one notification, from an outbox event payload.

use crate::domain::Named;
use askama::Template;
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde_json::Value;

use super::formats::Formats;
use crate::{
    config::Locale,
    domain::i18n::{Tr, text_with, try_word},
    domain::register::ApproxDate,
    domain::routing::PartyKind,
    domain::webhook::EventType,
};

/// One email, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

struct Row {
    label: String,
    value: String,
    /// Only ever an http(s) URL.
    href: Option<String>,
    alert: bool,
}

struct Section {
    heading: String,
    rows: Vec<Row>,
}

struct Evidence {
    name: String,
    size: String,
    sha256: String,
}

struct View<'a> {
    tr: Tr,
    title: String,
    intro: String,
    request: String,
    ack_url: Option<&'a str>,
    ack_href: Option<&'a str>,
    sections: Vec<Section>,
    description: Vec<String>,
    evidence: Vec<Evidence>,
}

#[derive(Template)]
#[template(path = "email/notification.txt")]
struct TextPart<'a> {
    v: &'a View<'a>,
}

#[derive(Template)]
#[template(path = "email/notification.html")]
struct HtmlPart<'a> {
    v: &'a View<'a>,
}

/// Renders `event` (an outbox payload `{type, timestamp, data: {incident, ticket}}`) for a
/// party of `kind` in `locale`. Missing fields are left out, never a panic.
pub fn render(
    kind: PartyKind,
    locale: Locale,
    event: &Value,
    ack_url: Option<&str>,
) -> RenderedEmail {
    let tr = Tr(locale);
    let event_type = text(event, "/type").unwrap_or_default();
    let incident = event.pointer("/data/incident").unwrap_or(&Value::Null);
    let ticket = event.pointer("/data/ticket").unwrap_or(&Value::Null);
    let view = View {
        tr,
        title: subject(tr, &event_type, incident),
        intro: try_word(locale, "intro", &event_type)
            .or_else(|| try_word(locale, "intro", "default"))
            .unwrap_or_default(),
        request: try_word(locale, "request", kind.as_str()).unwrap_or_default(),
        ack_url,
        ack_href: ack_url.filter(|url| is_web_url(url)),
        sections: sections(tr, kind, incident, ticket),
        description: text(incident, "/description")
            .map(|d| d.lines().map(str::to_owned).collect())
            .unwrap_or_default(),
        evidence: evidence(locale, incident),
    };
    let text = render_part(&TextPart { v: &view }, || view.title.clone());
    let html = render_part(&HtmlPart { v: &view }, || {
        askama::filters::escape(&view.title, askama::filters::Html)
            .map(|title| title.to_string())
            .unwrap_or_default()
    });
    RenderedEmail {
        subject: view.title,
        text,
        html,
    }
}

/// Rendering writes only strings, so it cannot fail in practice; if it ever does, the
/// party still gets the subject rather than nothing.
fn render_part(part: &impl Template, fallback: impl FnOnce() -> String) -> String {
    part.render().unwrap_or_else(|error| {
        tracing::error!(%error, "an email template failed to render");
        fallback()
    })
}

fn subject(tr: Tr, event_type: &str, incident: &Value) -> String {
    let mut subject = String::new();
    if let Some(reference) = text(incident, "/reference") {
        subject.push_str(&format!("[{reference}] "));
    }
    subject.push_str(&tr.t("email-account-incident"));
    if let Some(kind) = text(incident, "/kind") {
        subject.push_str(&format!(": {}", tr.w("kind", &kind)));
    }
    if let Some(platform) = text(incident, "/page/platform") {
        subject.push_str(&format!(" — {}", tr.w("platform", &platform)));
    }
    let suffix = match event_type.parse() {
        Ok(EventType::IncidentReported) => None,
        _ => try_word(tr.0, "suffix", event_type).or_else(|| try_word(tr.0, "suffix", "default")),
    };
    if let Some(suffix) = suffix {
        subject.push_str(&format!(" ({suffix})"));
    }
    subject
}

fn sections(tr: Tr, kind: PartyKind, incident: &Value, ticket: &Value) -> Vec<Section> {
    let word = |group: &str, pointer: &str| text(incident, pointer).map(|code| tr.w(group, &code));
    let when = |v: &Value, pointer: &str| text(v, pointer).map(|t| instant(tr.0, &t));
    let summary = Section {
        heading: tr.t("email-heading-summary"),
        rows: rows([
            (tr.t("email-reference"), text(incident, "/reference")),
            (tr.t("email-kind"), word("kind", "/kind")),
            (tr.t("email-severity"), word("severity", "/severity")),
            (tr.t("email-status"), word("status", "/status")),
            (tr.t("email-detected-at"), when(incident, "/detected_at")),
            (tr.t("email-reported-at"), when(incident, "/reported_at")),
            (tr.t("email-deadline"), when(ticket, "/deadline_at")),
            (tr.t("email-ticket"), text(ticket, "/id")),
            (tr.t("email-external-ref"), text(ticket, "/external_ref")),
        ]),
    };
    let reporter = Section {
        heading: tr.t("email-heading-reporter"),
        rows: rows([
            (tr.t("email-name"), text(incident, "/reporter/name")),
            (tr.t("email-email"), text(incident, "/reporter/email")),
            (tr.t("email-phone"), text(incident, "/reporter/phone")),
        ]),
    };
    let page_url = text(incident, "/page/url");
    let mut page_rows = rows([(tr.t("email-platform"), word("platform", "/page/platform"))]);
    if let Some(url) = page_url {
        let href = is_web_url(&url).then(|| url.clone());
        page_rows.push(Row {
            href,
            ..Row::new(tr.t("email-url"), url)
        });
    }
    page_rows.extend(rows([
        (tr.t("email-handle"), text(incident, "/page/handle")),
        (
            tr.t("email-display-name"),
            text(incident, "/page/display_name"),
        ),
        (
            tr.t("email-account-type"),
            word("account_type", "/page/account_type"),
        ),
        (tr.t("email-purpose"), text(incident, "/page/purpose")),
    ]));
    let page = Section {
        heading: tr.t("email-heading-page"),
        rows: page_rows,
    };
    let ownership = Section {
        heading: tr.t("email-heading-ownership"),
        rows: rows([
            (
                tr.t("email-linked-email"),
                text(incident, "/page/linked_email"),
            ),
            (
                tr.t("email-linked-phone"),
                text(incident, "/page/linked_phone"),
            ),
            (
                tr.t("email-created-on"),
                text(incident, "/page/created_on").map(|d| approximate(tr.0, &d)),
            ),
        ]),
    };
    let state = text(incident, "/containment/state");
    let mut containment_rows = Vec::new();
    if let Some(state) = &state {
        containment_rows.push(Row {
            alert: matches!(state.as_str(), "lost_control" | "active"),
            ..Row::new(tr.t("email-containment-state"), tr.w("containment", state))
        });
    }
    let actions: Vec<String> = incident
        .pointer("/containment/actions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|action| tr.w("action", action))
        .collect();
    containment_rows.extend(rows([
        (
            tr.t("email-contained-at"),
            when(incident, "/containment/at"),
        ),
        (
            tr.t("email-actions"),
            (!actions.is_empty()).then(|| actions.join("; ")),
        ),
    ]));
    let containment = Section {
        heading: tr.t("email-heading-containment"),
        rows: containment_rows,
    };

    let mut all = vec![summary];
    if kind == PartyKind::Committee {
        all.push(reporter);
    }
    all.push(page);
    if kind == PartyKind::Provider {
        all.push(ownership);
    }
    all.extend(declaration(tr, incident));
    all.push(containment);
    all.retain(|section| !section.rows.is_empty());
    all
}

/// The member's declaration of the page in the register, when the report started from
/// one: what they declared, and when, before the incident.
fn declaration(tr: Tr, incident: &Value) -> Option<Section> {
    let declared = incident.pointer("/declaration").filter(|d| d.is_object())?;
    let when = |pointer: &str| text(declared, pointer).map(|t| instant(tr.0, &t));
    let before = match (
        text(declared, "/first_declared_at").and_then(|t| DateTime::parse_from_rfc3339(&t).ok()),
        text(incident, "/detected_at").and_then(|t| DateTime::parse_from_rfc3339(&t).ok()),
    ) {
        (Some(declared), Some(detected)) => Some(tr.t(if declared < detected {
            "email-declared-before-yes"
        } else {
            "email-declared-before-no"
        })),
        _ => None,
    };
    let admins: Vec<String> = declared
        .pointer("/admins")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| {
            let account = text(a, "/account")?;
            Some(match text(a, "/role") {
                Some(role) => format!("{account} ({})", tr.w("admin_role", &role)),
                None => account,
            })
        })
        .collect();
    let status = text(declared, "/status");
    let mut lines = rows([
        (tr.t("email-declared-first"), when("/first_declared_at")),
        (tr.t("email-declared-at"), when("/declared_at")),
        (tr.t("email-declared-version"), text(declared, "/version")),
        (tr.t("email-declared-before"), before),
        (
            tr.t("email-declared-created-on"),
            text(declared, "/created_on").map(|d| approximate(tr.0, &d)),
        ),
    ]);
    if let Some(status) = status {
        lines.push(Row {
            alert: status == "closed",
            ..Row::new(tr.t("email-declared-status"), tr.w("page_status", &status))
        });
    }
    lines.extend(rows([
        (tr.t("email-linked-email"), text(declared, "/linked_email")),
        (tr.t("email-linked-phone"), text(declared, "/linked_phone")),
        (
            tr.t("email-declared-admins"),
            (!admins.is_empty()).then(|| admins.join("; ")),
        ),
    ]));
    Some(Section {
        heading: tr.t("email-heading-declaration"),
        rows: lines,
    })
}

fn evidence(locale: Locale, incident: &Value) -> Vec<Evidence> {
    incident
        .pointer("/evidence")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|item| {
            Some(Evidence {
                name: text(item, "/name")?,
                size: item
                    .pointer("/size_bytes")
                    .and_then(Value::as_u64)
                    .map(|bytes| size(locale, bytes))
                    .unwrap_or_default(),
                sha256: text(item, "/sha256").unwrap_or_default(),
            })
        })
        .collect()
}

impl Row {
    fn new(label: String, value: String) -> Self {
        Self {
            label,
            value,
            href: None,
            alert: false,
        }
    }
}

/// The rows whose value is present.
fn rows<const N: usize>(pairs: [(String, Option<String>); N]) -> Vec<Row> {
    pairs
        .into_iter()
        .filter_map(|(label, value)| Some(Row::new(label, value?)))
        .collect()
}

/// A non-blank string at `pointer`, or a number as text.
fn text(v: &Value, pointer: &str) -> Option<String> {
    match v.pointer(pointer)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn is_web_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

fn instant(locale: Locale, raw: &str) -> String {
    let formats = Formats::of(locale);
    let (Ok(t), Some(offset)) = (
        DateTime::parse_from_rfc3339(raw),
        FixedOffset::east_opt(formats.utc_offset_hours * 3600),
    ) else {
        return raw.to_owned();
    };
    let t = t.with_timezone(&offset);
    let time = t.format("%H:%M").to_string();
    let date = t.format(formats.date_format).to_string();
    text_with(locale, "email-time", &[("time", &time), ("date", &date)])
}

/// A declared date known to the year, the month or the day, in the reader's order.
fn approximate(locale: Locale, raw: &str) -> String {
    match ApproxDate::parse("created_on", raw, NaiveDate::MAX) {
        Ok(d) if locale == Locale::Vi => d.display(),
        Ok(d) => d.to_string(),
        Err(_) => raw.to_owned(),
    }
}

fn size(locale: Locale, bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    match bytes {
        b if b < KIB => format!("{b} B"),
        b if b < MIB => format!("{} KB", b.div_ceil(KIB)),
        b => {
            let tenths = (b * 10).div_ceil(MIB);
            let separator = Formats::of(locale).decimal_separator;
            format!("{}{separator}{} MB", tenths / 10, tenths % 10)
        }
    }
}
