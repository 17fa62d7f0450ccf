//! Guidance for reporting to the platform itself: its official help pages (from config),
//! the steps it recommends, and a summary of the incident ready to paste into its form.

use crate::{
    config::Settings,
    domain::i18n::{self, Tr},
    domain::{IncidentKind, Locale, Named, Platform},
    usecases::{EvidenceRow, IncidentRow},
};

pub struct Guide {
    pub platform: String,
    pub links: Vec<(String, String)>,
    pub steps: Vec<String>,
    pub summary: String,
}

impl Guide {
    pub fn new(
        settings: &Settings,
        locale: Locale,
        incident: &IncidentRow,
        evidence: &[EvidenceRow],
    ) -> Self {
        let tr = Tr(locale);
        let platform = incident.page_platform.as_str();
        let pages = settings
            .platforms
            .get(&incident.page_platform)
            .cloned()
            .unwrap_or_default();
        let lists = match incident.kind {
            IncidentKind::Impersonated => [
                ("impersonation", &pages.impersonation),
                ("hacked", &pages.hacked),
            ],
            IncidentKind::Misused => [("misuse", &pages.misuse), ("hacked", &pages.hacked)],
            _ => [
                ("hacked", &pages.hacked),
                ("impersonation", &pages.impersonation),
            ],
        };
        Self {
            platform: tr.w("platform", platform),
            links: help_links(tr, &lists, pages.language),
            steps: steps(locale, incident.page_platform),
            summary: summary(settings, locale, incident, evidence),
        }
    }
}

/// What a member does first, before reporting: the platform's recommended steps to stop
/// the page and its official help pages for a hacked account, from config.
pub struct StopGuide {
    pub platform: String,
    pub links: Vec<(String, String)>,
    pub steps: Vec<String>,
}

impl StopGuide {
    pub fn new(settings: &Settings, locale: Locale, platform: Platform) -> Self {
        let tr = Tr(locale);
        let pages = settings
            .platforms
            .get(&platform)
            .cloned()
            .unwrap_or_default();
        Self {
            platform: tr.w("platform", platform.as_str()),
            links: help_links(tr, &[("hacked", &pages.hacked)], pages.language),
            steps: steps(locale, platform),
        }
    }
}

/// The help pages of each list, in order, each with link text of its own: a list of
/// several pages numbers them, and a page in another language than the member's says so.
fn help_links(
    tr: Tr,
    lists: &[(&str, &Vec<String>)],
    language: Option<Locale>,
) -> Vec<(String, String)> {
    let mut links = Vec::new();
    for (list, urls) in lists {
        let label = tr.t(&format!("guide-link-{list}"));
        for (i, url) in urls.iter().enumerate() {
            let text = if urls.len() > 1 {
                i18n::text_with(
                    tr.0,
                    "guide-link-nth",
                    &[
                        ("label", &label),
                        ("n", &(i + 1).to_string()),
                        ("count", &urls.len().to_string()),
                    ],
                )
            } else {
                label.clone()
            };
            let text = match language.or_else(|| i18n::language_of_address(url)) {
                Some(other) if other != tr.0 => {
                    format!(
                        "{text} {}",
                        tr.t(&format!("guide-link-in-{}", other.as_str()))
                    )
                }
                _ => text,
            };
            links.push((text, url.clone()));
        }
    }
    links
}

/// The steps the platform recommends to stop the page, one per line of its message.
fn steps(locale: Locale, platform: Platform) -> Vec<String> {
    i18n::try_text(locale, &format!("guide-steps-{}", platform.as_str()))
        .map(|text| {
            text.lines()
                .map(|l| l.trim().trim_start_matches("- ").to_owned())
                .filter(|l| !l.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The facts platforms' forms ask for, one per line.
fn summary(
    settings: &Settings,
    locale: Locale,
    incident: &IncidentRow,
    evidence: &[EvidenceRow],
) -> String {
    let tr = Tr(locale);
    let mut lines = vec![tr.t1("summary-heading", "reference", &incident.reference)];
    let mut add = |key: &str, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            lines.push(format!("{}: {value}", tr.t(key)));
        }
    };
    add(
        "summary-kind",
        Some(tr.t(&format!("form-kind-{}", incident.kind))),
    );
    add(
        "summary-platform",
        Some(tr.w("platform", incident.page_platform)),
    );
    add("summary-url", incident.page_url.clone());
    add("summary-handle", incident.page_handle.clone());
    add("summary-display-name", incident.page_display_name.clone());
    add(
        "summary-account-type",
        incident
            .page_account_type
            .as_ref()
            .map(|a| tr.w("account_type", a)),
    );
    add("summary-linked-email", incident.page_linked_email.clone());
    add("summary-linked-phone", incident.page_linked_phone.clone());
    add("summary-created-on", incident.page_created_on.clone());
    add("summary-purpose", incident.page_purpose.clone());
    add(
        "summary-detected-at",
        Some(super::local(settings, locale, incident.detected_at)),
    );
    let actions: Vec<String> = incident
        .containment_actions
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str())
        .map(|a| tr.t(&format!("form-action-{a}")))
        .collect();
    add(
        "summary-containment",
        Some(tr.t(&format!("track-state-{}", incident.containment))),
    );
    add("summary-actions", Some(actions.join("; ")));
    add("summary-owner", Some(incident.reporter_name.clone()));
    add(
        "summary-evidence",
        (!evidence.is_empty()).then(|| evidence.len().to_string()),
    );
    lines.push(String::new());
    lines.push(incident.description.clone());
    lines.join("\n")
}
