//! The subject, text and HTML of one notification, from an outbox event payload.

use askama::Template;
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde_json::Value;

use super::labels::Labels;
use crate::{config::Locale, domain::routing::PartyKind};

/// One email, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

struct Row {
    label: &'static str,
    value: String,
    /// Only ever an http(s) URL.
    href: Option<String>,
    alert: bool,
}

struct Section {
    heading: &'static str,
    rows: Vec<Row>,
}

struct Evidence {
    name: String,
    size: String,
    sha256: String,
}

struct View<'a> {
    l: &'static Labels,
    title: String,
    intro: &'static str,
    request: &'static str,
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
    let l = Labels::of(locale);
    let event_type = text(event, "/type").unwrap_or_default();
    let incident = event.pointer("/data/incident").unwrap_or(&Value::Null);
    let ticket = event.pointer("/data/ticket").unwrap_or(&Value::Null);
    let view = View {
        l,
        title: subject(l, &event_type, incident),
        intro: l
            .word("intro", &event_type)
            .or_else(|| l.word("intro", "default"))
            .unwrap_or_default(),
        request: l.word("request", kind.as_str()).unwrap_or_default(),
        ack_url,
        ack_href: ack_url.filter(|url| is_web_url(url)),
        sections: sections(l, kind, incident, ticket),
        description: text(incident, "/description")
            .map(|d| d.lines().map(str::to_owned).collect())
            .unwrap_or_default(),
        evidence: evidence(l, incident),
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

fn subject(l: &Labels, event_type: &str, incident: &Value) -> String {
    let mut subject = String::new();
    if let Some(reference) = text(incident, "/reference") {
        subject.push_str(&format!("[{reference}] "));
    }
    subject.push_str(l.account_incident);
    if let Some(kind) = text(incident, "/kind") {
        subject.push_str(&format!(": {}", l.word_or_code("kind", &kind)));
    }
    if let Some(platform) = text(incident, "/page/platform") {
        subject.push_str(&format!(" — {platform}"));
    }
    let suffix = match event_type {
        "incident.reported" => None,
        other => l
            .word("suffix", other)
            .or_else(|| l.word("suffix", "default")),
    };
    if let Some(suffix) = suffix {
        subject.push_str(&format!(" ({suffix})"));
    }
    subject
}

fn sections(l: &'static Labels, kind: PartyKind, incident: &Value, ticket: &Value) -> Vec<Section> {
    let word = |group: &str, pointer: &str| {
        text(incident, pointer).map(|code| l.word_or_code(group, &code))
    };
    let when = |v: &Value, pointer: &str| text(v, pointer).map(|t| instant(l, &t));
    let summary = Section {
        heading: l.heading_summary,
        rows: rows([
            (l.reference, text(incident, "/reference")),
            (l.kind, word("kind", "/kind")),
            (l.severity, word("severity", "/severity")),
            (l.status, word("status", "/status")),
            (l.detected_at, when(incident, "/detected_at")),
            (l.reported_at, when(incident, "/reported_at")),
            (l.deadline, when(ticket, "/deadline_at")),
            (l.ticket, text(ticket, "/id")),
            (l.external_ref, text(ticket, "/external_ref")),
        ]),
    };
    let reporter = Section {
        heading: l.heading_reporter,
        rows: rows([
            (l.name, text(incident, "/reporter/name")),
            (l.email, text(incident, "/reporter/email")),
            (l.phone, text(incident, "/reporter/phone")),
        ]),
    };
    let page_url = text(incident, "/page/url");
    let mut page_rows = rows([(l.platform, word("platform", "/page/platform"))]);
    if let Some(url) = page_url {
        let href = is_web_url(&url).then(|| url.clone());
        page_rows.push(Row {
            href,
            ..Row::new(l.url, url)
        });
    }
    page_rows.extend(rows([
        (l.handle, text(incident, "/page/handle")),
        (l.display_name, text(incident, "/page/display_name")),
        (l.account_type, word("account_type", "/page/account_type")),
        (l.purpose, text(incident, "/page/purpose")),
    ]));
    let page = Section {
        heading: l.heading_page,
        rows: page_rows,
    };
    let ownership = Section {
        heading: l.heading_ownership,
        rows: rows([
            (l.linked_email, text(incident, "/page/linked_email")),
            (l.linked_phone, text(incident, "/page/linked_phone")),
            (
                l.created_on,
                text(incident, "/page/created_on").map(|d| date(l, &d)),
            ),
        ]),
    };
    let state = text(incident, "/containment/state");
    let mut containment_rows = Vec::new();
    if let Some(state) = &state {
        containment_rows.push(Row {
            alert: matches!(state.as_str(), "lost_control" | "active"),
            ..Row::new(l.containment_state, l.word_or_code("containment", state))
        });
    }
    let actions: Vec<String> = incident
        .pointer("/containment/actions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|action| l.word_or_code("action", action))
        .collect();
    containment_rows.extend(rows([
        (l.contained_at, when(incident, "/containment/at")),
        (l.actions, (!actions.is_empty()).then(|| actions.join("; "))),
    ]));
    let containment = Section {
        heading: l.heading_containment,
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
    all.push(containment);
    all.retain(|section| !section.rows.is_empty());
    all
}

fn evidence(l: &Labels, incident: &Value) -> Vec<Evidence> {
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
                    .map(|bytes| size(l, bytes))
                    .unwrap_or_default(),
                sha256: text(item, "/sha256").unwrap_or_default(),
            })
        })
        .collect()
}

impl Row {
    fn new(label: &'static str, value: String) -> Self {
        Self {
            label,
            value,
            href: None,
            alert: false,
        }
    }
}

/// The rows whose value is present.
fn rows<const N: usize>(pairs: [(&'static str, Option<String>); N]) -> Vec<Row> {
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

fn instant(l: &Labels, raw: &str) -> String {
    let (Ok(t), Some(offset)) = (
        DateTime::parse_from_rfc3339(raw),
        FixedOffset::east_opt(l.utc_offset_hours * 3600),
    ) else {
        return raw.to_owned();
    };
    t.with_timezone(&offset).format(l.time_format).to_string()
}

fn date(l: &Labels, raw: &str) -> String {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map(|d| d.format(l.date_format).to_string())
        .unwrap_or_else(|_| raw.to_owned())
}

fn size(l: &Labels, bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    match bytes {
        b if b < KIB => format!("{b} B"),
        b if b < MIB => format!("{} KB", b.div_ceil(KIB)),
        b => {
            let tenths = (b * 10).div_ceil(MIB);
            format!("{}{}{} MB", tenths / 10, l.decimal_separator, tenths % 10)
        }
    }
}
