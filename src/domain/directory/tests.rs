use std::time::Duration;

use super::*;
use crate::domain::routing::AuthorityRule;

fn party(id: &str, kind: PartyKind, parent: Option<&str>) -> Party {
    Party {
        id: id.to_owned(),
        kind,
        parent: parent.map(str::to_owned),
        name: Names {
            vi: format!("Ban {id}"),
            en: format!("Committee {id}"),
        },
        locale: Locale::Vi,
        ack_deadline: Duration::from_secs(3600),
        emails: vec![format!("{id}@example.org")],
        contact: None,
        endpoints: Vec::new(),
        disabled: None,
        updated_at: Utc::now(),
    }
}

fn directory() -> Directory {
    let mut hcm = party("hcm", PartyKind::Committee, None);
    hcm.name.vi = "Thành phố Hồ Chí Minh".into();
    let mut police = party("police", PartyKind::Authority, None);
    police.disabled = Some(Disabled {
        reason: "merged".into(),
        at: Utc::now(),
    });
    Directory::new(
        3,
        vec![
            party("hn-bd-px", PartyKind::Committee, Some("hn-bd")),
            party("hn", PartyKind::Committee, None),
            party("hn-bd", PartyKind::Committee, Some("hn")),
            hcm,
            party("cert", PartyKind::Authority, None),
            police,
            party("meta", PartyKind::Provider, None),
        ],
        RoutingRules {
            authorities: vec![
                AuthorityRule {
                    party: "cert".into(),
                    kinds: vec![],
                    platforms: vec![],
                    min_severity: Severity::Low,
                },
                AuthorityRule {
                    party: "police".into(),
                    kinds: vec![],
                    platforms: vec![],
                    min_severity: Severity::Low,
                },
            ],
            providers: Default::default(),
            default_provider: Some("meta".into()),
        },
    )
}

#[test]
fn the_tree_is_walked_both_ways() {
    let d = directory();
    assert_eq!(d.committee_subtree("hn"), ["hn", "hn-bd", "hn-bd-px"]);
    let path: Vec<&str> = d.path("hn-bd-px").iter().map(|p| p.id.as_str()).collect();
    assert_eq!(path, ["hn", "hn-bd", "hn-bd-px"]);
    assert!(d.is_within("hn-bd-px", "hn"));
    assert!(!d.is_within("hn", "hn-bd"));
    assert_eq!(d.roots().count(), 2);
    assert!(d.committee("cert").is_none());
}

#[test]
fn routing_skips_disabled_parties() {
    let d = directory();
    let ids: Vec<String> = d
        .route(
            "hn",
            IncidentKind::Hijacked,
            Severity::High,
            Platform::Facebook,
        )
        .into_iter()
        .map(|r| r.party_id)
        .collect();
    assert_eq!(ids, ["hn", "cert", "meta"]);
}

#[test]
fn search_ignores_case_and_diacritics() {
    let d = directory();
    let found: Vec<&str> = d
        .search("ho chi minh", Some(PartyKind::Committee), None, 10)
        .iter()
        .map(|p| p.id.as_str())
        .collect();
    assert_eq!(found, ["hcm"]);
    let within = d.committee_subtree("hn");
    assert_eq!(d.search("ban", None, Some(&within), 10).len(), 3);
}

#[test]
fn a_member_finds_a_committee_by_its_name_and_the_names_above_it() {
    let d = directory();
    let ids = |q: &str| -> Vec<String> {
        d.find_committees(q, 10)
            .iter()
            .map(|p| p.id.clone())
            .collect()
    };
    // Its own name first, then the committees below one that is named.
    assert_eq!(ids("ban hn-bd"), ["hn-bd", "hn-bd-px"]);
    // A word of a committee above narrows it down.
    assert_eq!(ids("hn-bd-px ban hn"), ["hn-bd-px"]);
    // Words start words: "ho" is not inside "thoi".
    assert_eq!(ids("ho chi"), ["hcm"]);
    assert!(ids("chi minh hn").is_empty());
    assert!(ids("  ").is_empty());
    // Authorities and providers are never a member's committee.
    assert!(ids("cert").is_empty());
    assert_eq!(d.find_committees("ban", 2).len(), 2);
}

#[test]
fn a_unit_cannot_move_below_itself() {
    let d = directory();
    let existing = d.party("hn").cloned();
    let draft = PartyDraft {
        parent: Some("hn-bd-px".into()),
        name_vi: "Hà Nội".into(),
        name_en: "Hanoi".into(),
        ack_deadline: "4h".into(),
        emails: vec!["hn@example.org".into()],
        ..Default::default()
    };
    let errors = draft
        .check(&d, existing.as_ref())
        .expect_err("a unit moved below itself is refused");
    assert_eq!(errors[0].field, "parent");
    assert_eq!(errors[0].rule, "cycle");
}

#[test]
fn an_import_sorts_rows_and_names_bad_ones_by_place() {
    let d = directory();
    let row = |place: &str, id: &str, parent: Option<&str>, vi: &str| ImportRow {
        place: place.into(),
        draft: PartyDraft {
            id: id.into(),
            kind: Some(PartyKind::Committee),
            parent: parent.map(str::to_owned),
            name_vi: vi.into(),
            name_en: format!("Committee {id}"),
            locale: Some(Locale::Vi),
            ack_deadline: "1h".into(),
            emails: vec![format!("{id}@example.org")],
            contact: ContactDraft::default(),
        },
        endpoints: None,
    };
    let plan = ImportPlan::new(
        &d,
        vec![
            row("line 2", "new-child", Some("new-parent"), "Con"),
            row("line 3", "new-parent", Some("hn"), "Cha"),
            row("line 4", "hn", None, "Ban hn"),
            row("line 5", "hn-bd", None, "Renamed"),
            row("line 6", "bad", Some("nowhere"), ""),
        ],
        None,
        Utc::now(),
    );
    assert_eq!(plan.created.len(), 2, "{:?}", plan.errors);
    assert_eq!(plan.unchanged, ["hn"]);
    assert_eq!(plan.changed.len(), 1);
    assert_eq!(plan.errors.len(), 2, "{:?}", plan.errors);
    assert!(
        plan.errors[0].starts_with("line 6: parent:"),
        "{:?}",
        plan.errors
    );
    assert!(
        plan.errors[1].starts_with("line 6: name.vi:"),
        "{:?}",
        plan.errors
    );
}

#[test]
fn a_named_contact_needs_its_name_and_a_plain_address() {
    let draft = |name: &str, phone: &str, email: &str| ContactDraft {
        name: name.into(),
        phone: phone.into(),
        email: email.into(),
    };
    assert_eq!(draft("", "", " ").check(), Ok(None));
    let lan = draft("Nguyễn Thị Lan", "0912 345 678", "lan@hn.example.org")
        .check()
        .expect("a good contact")
        .expect("a contact");
    assert_eq!(lan.phone.as_deref(), Some("0912345678"));
    let rules = |d: ContactDraft| -> Vec<(String, &'static str)> {
        d.check()
            .expect_err("refused")
            .into_iter()
            .map(|e| (e.field, e.rule))
            .collect()
    };
    assert_eq!(
        rules(draft("", "0912 345 678", "")),
        [("contact.name".to_owned(), "required")]
    );
    // What a mailto: link would read as more recipients or a text of someone's choosing.
    for email in [
        "lan?cc=other@evil.example.org",
        "lan&body=x@hn.example.org",
        "\"a@evil.org\"@hn.example.org",
    ] {
        let refused = rules(draft("Lan", "", email));
        assert_eq!(refused.len(), 1, "{email}: {refused:?}");
        assert_eq!(refused[0].0, "contact.email", "{email}");
    }
}
