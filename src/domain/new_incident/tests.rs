use super::*;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z")
        .expect("time")
        .with_timezone(&Utc)
}

fn draft() -> IncidentDraft {
    IncidentDraft {
        kind: Some("hijacked".into()),
        severity: None,
        description: Some("Someone changed the page's admins overnight.".into()),
        detected_at: Some("2026-11-28T08:30:00+07:00".into()),
        reporter: ReporterDraft {
            name: Some("Nguyễn Văn An".into()),
            email: Some("an@example.org".into()),
            phone: None,
            committee: Some("hn".into()),
            locale: None,
        },
        page: PageDraft {
            url: Some("https://www.facebook.com/some.page".into()),
            ..Default::default()
        },
        containment: ContainmentDraft::default(),
    }
}

fn rules_of(draft: &IncidentDraft) -> Vec<(String, &'static str)> {
    match draft.parse(now(), |c| c == "hn") {
        Ok(_) => vec![],
        Err(errors) => errors.into_iter().map(|e| (e.field, e.rule)).collect(),
    }
}

#[test]
fn a_complete_draft_becomes_an_incident_with_detected_platform_and_default_severity() {
    let incident = draft().parse(now(), |c| c == "hn").expect("valid");
    assert_eq!(incident.page.platform, Platform::Facebook);
    assert_eq!(incident.severity, Severity::High);
    assert_eq!(incident.containment.state, ContainmentState::Active);
}

#[test]
fn every_broken_rule_is_reported_at_once() {
    let mut d = draft();
    d.kind = Some("stolen".into());
    d.reporter.email = None;
    d.reporter.committee = Some("nowhere".into());
    d.page.url = None;
    let rules = rules_of(&d);
    for want in [
        ("kind", "one_of"),
        ("reporter.email", "contact_required"),
        ("reporter.committee", "unknown_committee"),
        ("page.url", "url_or_handle_required"),
        ("page.platform", "required"),
    ] {
        assert!(
            rules.contains(&(want.0.to_owned(), want.1)),
            "{want:?} in {rules:?}"
        );
    }
}

#[test]
fn stopped_needs_when_and_what() {
    let mut d = draft();
    d.containment.state = Some("stopped".into());
    let rules = rules_of(&d);
    assert!(rules.contains(&("containment.stopped_at".to_owned(), "required")));
    assert!(rules.contains(&("containment.actions".to_owned(), "required")));
    d.containment.stopped_at = Some("2026-11-28T09:00:00+07:00".into());
    d.containment.actions = vec!["password_changed".into(), "sessions_revoked".into()];
    assert_eq!(rules_of(&d), vec![]);
}

#[test]
fn a_platform_can_correct_a_plain_website_but_not_contradict_a_known_host() {
    let mut d = draft();
    d.page.platform = Some("tiktok".into());
    assert_eq!(
        rules_of(&d),
        vec![("page.platform".to_owned(), "platform_mismatch")]
    );
    d.page.url = Some("https://short.example.org/abc".into());
    assert_eq!(rules_of(&d), vec![]);
}
