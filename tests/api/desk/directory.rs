//! The directory pages of the desk: an admin adds, edits, moves, disables and removes
//! parties and manages endpoints and routing; an officer manages only the addresses and
//! endpoints of the committees of their subtree; a viewer only reads.

use incident_desk::domain::access::Role;
use reqwest::StatusCode;

use super::{Officer, file_in, location};
use crate::{helpers::spawn_app, web::Member};

const TAY_HO: &[(&str, &str)] = &[
    ("id", "hn-tay-ho"),
    ("kind", "committee"),
    ("parent", "hn"),
    ("name_vi", "Ban Quận Tây Hồ"),
    ("name_en", "Tay Ho District Committee"),
    ("locale", "vi"),
    ("ack_deadline", "2h"),
    ("emails", "tay-ho@hn.example.org\n"),
];

#[tokio::test]
async fn an_admin_adds_edits_moves_and_disables_a_unit_and_the_timeline_shows_each_change() {
    let app = spawn_app().await;
    let admin = Officer::create(&app, "an.nguyen", Role::Admin, None).await;

    let r = admin.post_form("/desk/directory/new", TAY_HO).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&r),
        "/desk/directory/parties/hn-tay-ho?done=created"
    );
    let page = admin.page("/desk/directory/parties/hn-tay-ho").await;
    assert!(page.contains("Ban Quận Tây Hồ"), "{page}");
    assert!(page.contains("tay-ho@hn.example.org"));
    // The parent lists it one level down, with the count of units below it.
    let hanoi = admin.page("/desk/directory/parties/hn").await;
    assert!(hanoi.contains("id=\"row-hn-tay-ho\""), "{hanoi}");
    assert!(!hanoi.contains("id=\"row-hn-ba-dinh-phuc-xa\""));

    // Renamed and moved below Ba Dinh.
    let mut edited: Vec<(&str, &str)> =
        TAY_HO.iter().copied().filter(|(k, _)| *k != "id").collect();
    for (k, v) in edited.iter_mut() {
        match *k {
            "name_en" => *v = "Tay Ho Ward Committee",
            "parent" => *v = "hn-ba-dinh",
            _ => {}
        }
    }
    let r = admin
        .post_form("/desk/directory/parties/hn-tay-ho/edit", &edited)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&r),
        "/desk/directory/parties/hn-tay-ho?done=updated"
    );
    let page = admin.page("/desk/directory/parties/hn-tay-ho").await;
    assert!(page.contains("Tay Ho Ward Committee"));
    assert!(
        page.contains("href=\"/desk/directory/parties/hn-ba-dinh\""),
        "the breadcrumbs lead through Ba Dinh: {page}"
    );
    assert!(
        page.contains(
            "Đơn vị cấp trên: <span>Ban Thường trực Thành phố Hà Nội</span> → <span>Ban Quận Ba Đình</span>"
        ),
        "the timeline names the move: {page}"
    );
    assert!(page.contains(
        "Tên tiếng Anh: <span lang=\"en\">Tay Ho District Committee</span> → <span lang=\"en\">Tay Ho Ward Committee</span>"
    ));
    assert!(
        page.contains("an.nguyen") || page.contains(&crate::helpers::officer_name("an.nguyen"))
    );

    let r = admin
        .post_form(
            "/desk/directory/parties/hn-tay-ho/disable",
            &[("reason", "Merged into Ba Dinh")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = admin.page("/desk/directory/parties/hn-tay-ho").await;
    assert!(page.contains("id=\"disabled-notice\""));
    assert!(page.contains("Merged into Ba Dinh"));

    let changes = admin.page("/desk/directory/changes").await;
    assert!(
        changes.matches("class=\"change\"").count() >= 3,
        "{changes}"
    );
    assert!(changes.contains("Merged into Ba Dinh"));

    let r = admin
        .post_form("/desk/directory/parties/hn-tay-ho/enable", &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = admin.page("/desk/directory/parties/hn-tay-ho").await;
    assert!(!page.contains("id=\"disabled-notice\""));
}

#[tokio::test]
async fn refused_input_comes_back_as_422_naming_each_field() {
    let app = spawn_app().await;
    let admin = Officer::create(&app, "an.nguyen", Role::Admin, None).await;
    let mut fields = TAY_HO.to_vec();
    for (k, v) in fields.iter_mut() {
        match *k {
            "id" => *v = "Tây Hồ",
            "ack_deadline" => *v = "soon",
            "parent" => *v = "nowhere",
            _ => {}
        }
    }
    let r = admin.post_form("/desk/directory/new", &fields).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.expect("html");
    for field in ["id", "ack_deadline", "parent"] {
        assert!(
            page.contains(&format!("href=\"#{field}\"")),
            "{field}: {page}"
        );
        assert!(page.contains(&format!("id=\"{field}-error\"")), "{field}");
    }
    assert!(page.contains("class=\"error-summary\""));
    // What was typed is kept.
    assert!(page.contains("Ban Quận Tây Hồ"));
    let r = admin.get("/desk/directory/parties/hn-tay-ho").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // A disable without a reason names the reason.
    let r = admin
        .post_form(
            "/desk/directory/parties/hn-cau-giay/disable",
            &[("reason", " ")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.expect("html");
    assert!(page.contains("id=\"reason-error\""), "{page}");
}

#[tokio::test]
async fn an_officer_manages_the_addresses_of_its_subtree_only() {
    let app = spawn_app().await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;

    // Names are not theirs to change.
    let r = officer
        .post_form(
            "/desk/directory/parties/hn-ba-dinh-phuc-xa/edit",
            &[
                ("name_vi", "Đổi tên"),
                ("name_en", "Renamed"),
                ("ack_deadline", "1h"),
                ("emails", "phuc-xa@hn.example.org"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = officer
        .post_form(
            "/desk/directory/parties/hn-ba-dinh-phuc-xa/disable",
            &[("reason", "no")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Addresses are.
    let r = officer
        .post_form(
            "/desk/directory/parties/hn-ba-dinh-phuc-xa/emails",
            &[(
                "emails",
                "phuc-xa@hn.example.org\nbi-thu@phuc-xa.example.org",
            )],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = officer
        .page("/desk/directory/parties/hn-ba-dinh-phuc-xa")
        .await;
    assert!(page.contains("bi-thu@phuc-xa.example.org"));
    assert!(page.contains("Chi bộ Phường Phúc Xá"), "names unchanged");
    assert!(!page.contains("id=\"edit-party\""));
    assert!(page.contains("id=\"edit-emails\""));

    // A unit outside the subtree is not theirs to see or touch.
    let r = officer.get("/desk/directory/parties/hn-cau-giay").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = officer
        .post_form(
            "/desk/directory/parties/hn-cau-giay/emails",
            &[("emails", "someone@example.org")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = officer.post_form("/desk/directory/new", TAY_HO).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Search stays within the subtree, with authorities and providers.
    let page = officer.page("/desk/directory?q=phuc+xa").await;
    assert!(page.contains("id=\"found-hn-ba-dinh-phuc-xa\""), "{page}");
    let page = officer.page("/desk/directory?q=cau+giay").await;
    assert!(!page.contains("id=\"found-hn-cau-giay\""), "{page}");
    let page = officer.page("/desk/directory").await;
    assert!(page.contains("id=\"row-hn-ba-dinh\""));
    assert!(!page.contains("id=\"row-hn\""));
    assert!(page.contains("id=\"row-cert\""));
}

#[tokio::test]
async fn an_officer_names_the_units_contact_and_members_see_whom_to_call() {
    let app = spawn_app().await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let form = officer
        .page("/desk/directory/parties/hn-ba-dinh/emails")
        .await;
    for id in ["contact-name", "contact-phone", "contact-email"] {
        assert!(form.contains(&format!("id=\"{id}\"")), "{form}");
    }

    // A phone without the person's name is refused, naming the field, with what was typed.
    let r = officer
        .post_form(
            "/desk/directory/parties/hn-ba-dinh/emails",
            &[
                ("emails", "ba-dinh@hn.example.org"),
                ("contact.phone", "0912 345 678"),
                ("contact.email", "lan?cc=someone@evil.example.org"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.expect("html");
    assert!(page.contains("id=\"contact-name-error\""), "{page}");
    assert!(
        page.contains("id=\"contact-email-error\">Vui lòng nhập một địa chỉ email thông thường"),
        "an address that would add to a mailto: link is refused: {page}"
    );
    assert!(page.contains("value=\"0912 345 678\""), "{page}");
    let api = app.get("/api/v1/parties/hn-ba-dinh").await;
    let party: serde_json::Value = api.json().await.expect("json");
    assert_eq!(party["contact"], serde_json::Value::Null, "nothing stored");

    let r = officer
        .post_form(
            "/desk/directory/parties/hn-ba-dinh/emails",
            &[
                ("emails", "ba-dinh@hn.example.org"),
                ("contact.name", "Nguyễn Thị Lan"),
                ("contact.phone", "0912 345 678"),
                ("contact.email", "lan@hn.example.org"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = officer.page("/desk/directory/parties/hn-ba-dinh").await;
    assert!(
        page.contains("<p id=\"contact\">Nguyễn Thị Lan · 0912345678 · lan@hn.example.org</p>"),
        "{page}"
    );
    // The change reads in words: the field's label and the contact's parts, no JSON.
    let changes = crate::web::between(&page, "id=\"directory-timeline\"", "</ol>");
    assert!(
        changes.contains("Người liên hệ cho thành viên: <span>—</span> → <span>Nguyễn Thị Lan · 0912345678 · lan@hn.example.org</span>"),
        "{changes}"
    );
    assert!(
        !changes.contains('{') && !changes.contains("<code>"),
        "{changes}"
    );

    let party: serde_json::Value = app
        .get("/api/v1/parties/hn-ba-dinh")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        party["contact"],
        serde_json::json!({"name": "Nguyễn Thị Lan", "phone": "0912345678", "email": "lan@hn.example.org"})
    );

    // A member of the unit reads whom to call on their report's page, beside the unit.
    let member = Member::new(&app);
    let token = member.file_report().await;
    let page = member.page(&format!("/track/{token}")).await;
    let parties = crate::web::between(&page, "id=\"parties\"", "</table>");
    let unit = crate::web::between(parties, "Ban Quận Ba Đình", "</td>");
    assert!(
        unit.contains("Người liên hệ: <strong>Nguyễn Thị Lan</strong>"),
        "{unit}"
    );
    assert!(unit.contains("href=\"tel:0912345678\""), "{unit}");
    assert!(
        unit.contains("href=\"mailto:lan@hn.example.org\""),
        "{unit}"
    );
    // Other parties have none.
    assert_eq!(parties.matches("class=\"contact\"").count(), 1, "{parties}");

    // Emptied, it is gone.
    let r = officer
        .post_form(
            "/desk/directory/parties/hn-ba-dinh/emails",
            &[("emails", "ba-dinh@hn.example.org")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = member.page(&format!("/track/{token}")).await;
    assert!(!page.contains("Nguyễn Thị Lan"), "{page}");
}

#[tokio::test]
async fn a_viewer_reads_but_every_change_is_403() {
    let app = spawn_app().await;
    let viewer = Officer::create(&app, "lan.vu", Role::Viewer, Some("hn-ba-dinh")).await;
    viewer.page("/desk/directory").await;
    let page = viewer.page("/desk/directory/parties/hn-ba-dinh").await;
    assert!(!page.contains("id=\"edit-emails\""));
    assert!(!page.contains("name=\"reason\""));
    for (path, fields) in [
        (
            "/desk/directory/parties/hn-ba-dinh/emails",
            vec![("emails", "x@example.org")],
        ),
        (
            "/desk/directory/parties/hn-ba-dinh/disable",
            vec![("reason", "x")],
        ),
        ("/desk/directory/parties/hn-ba-dinh/remove", vec![]),
        (
            "/desk/directory/parties/hn-ba-dinh/endpoints/new",
            vec![("url", "http://127.0.0.1:9/hook")],
        ),
        ("/desk/directory/new", TAY_HO.to_vec()),
        ("/desk/directory/routing", vec![]),
    ] {
        let r = viewer.post_form(path, &fields).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let r = viewer.get("/desk/directory/routing").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_form_without_its_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let admin = Officer::create(&app, "an.nguyen", Role::Admin, None).await;
    let r = admin.post_raw("/desk/directory/new", TAY_HO).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = admin
        .post_raw(
            "/desk/directory/parties/hn-cau-giay/disable",
            &[("reason", "x"), ("csrf_token", "forged")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        admin
            .get("/desk/directory/parties/hn-tay-ho")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let page = admin.page("/desk/directory/parties/hn-cau-giay").await;
    assert!(!page.contains("id=\"disabled-notice\""));
}

#[tokio::test]
async fn removing_a_party_with_an_open_ticket_is_refused_with_the_count() {
    let app = spawn_app().await;
    file_in(&app, "hn-cau-giay").await;
    let admin = Officer::create(&app, "an.nguyen", Role::Admin, None).await;
    let r = admin
        .post_form("/desk/directory/parties/hn-cau-giay/remove", &[])
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let page = r.text().await.expect("html");
    assert!(page.contains("id=\"refused\""), "{page}");
    assert!(page.contains("has 1 open ticket(s)"), "{page}");
    admin.page("/desk/directory/parties/hn-cau-giay").await;

    // A party without history goes.
    let r = admin.post_form("/desk/directory/new", TAY_HO).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = admin
        .post_form("/desk/directory/parties/hn-tay-ho/remove", &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/desk/directory?done=removed");
    assert_eq!(
        admin
            .get("/desk/directory/parties/hn-tay-ho")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_officer_adds_an_endpoint_sees_its_secret_once_and_rotates_it() {
    let app = spawn_app().await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let r = officer
        .post_form(
            "/desk/directory/parties/hn-ba-dinh/endpoints/new",
            &[
                ("url", "http://127.0.0.1:9/ba-dinh"),
                ("description", "District desk"),
                ("event_types", "incident.reported"),
                ("event_types", "ticket.escalated"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.expect("html");
    let secret = page
        .split("id=\"secret\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("the secret is shown")
        .to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let party = officer.page("/desk/directory/parties/hn-ba-dinh").await;
    assert!(party.contains("http://127.0.0.1:9/ba-dinh"));
    assert!(
        party.contains("incident.reported, ticket.escalated"),
        "{party}"
    );
    assert!(!party.contains(&secret), "the secret is shown only once");
    let endpoint = party
        .split("id=\"endpoint-")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("an endpoint")
        .to_owned();

    let r = officer
        .post_form(
            &format!("/desk/directory/parties/hn-ba-dinh/endpoints/{endpoint}/rotate"),
            &[("overlap_hours", "2")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.expect("html");
    assert!(page.contains("id=\"secret\">whsec_"));
    assert!(!page.contains(&secret));
    assert!(page.contains("id=\"previous-until\""));

    let r = officer
        .post_form(
            &format!("/desk/directory/parties/hn-ba-dinh/endpoints/{endpoint}/test"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.expect("html");
    assert!(
        page.contains("id=\"test-failed\""),
        "nothing listens on port 9: {page}"
    );

    let r = officer
        .post_form(
            &format!("/desk/directory/parties/hn-ba-dinh/endpoints/{endpoint}/edit"),
            &[("url", "not a url"), ("description", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("html").contains("id=\"url-error\""));

    let r = officer
        .post_form(
            &format!("/desk/directory/parties/hn-ba-dinh/endpoints/{endpoint}/delete"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let party = officer.page("/desk/directory/parties/hn-ba-dinh").await;
    assert!(!party.contains("http://127.0.0.1:9/ba-dinh</h3>"));
}

#[tokio::test]
async fn the_routing_preview_shows_who_would_be_notified() {
    let app = spawn_app().await;
    let admin = Officer::create(&app, "an.nguyen", Role::Admin, None).await;
    let page = admin.page("/desk/directory/routing").await;
    assert!(page.contains("id=\"routing-form\""));
    let page = admin
        .page(
            "/desk/directory/routing/preview?kind=hijacked&platform=facebook&severity=high&committee=hn-ba-dinh",
        )
        .await;
    let reached = page.split("id=\"reached\"").nth(1).expect("the preview");
    for party in ["hn-ba-dinh", "cert", "meta"] {
        assert!(
            reached.contains(&format!("href=\"/desk/directory/parties/{party}\"")),
            "{party}: {reached}"
        );
    }
    assert!(!reached.contains("href=\"/desk/directory/parties/cyber-police\""));

    // A rule naming a party that is not an authority is refused beside its field.
    let r = admin
        .post_form(
            "/desk/directory/routing",
            &[
                ("authority-0-party", "meta"),
                ("authority-0-min_severity", "low"),
                ("default_provider", "web-abuse"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("id=\"authority-0-party-error\"")
    );

    // Saved: only cyber-police for misuse, from medium.
    let r = admin
        .post_form("/desk/directory/routing", super::MISUSE_ROUTING)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = admin
        .page(
            "/desk/directory/routing/preview?kind=hijacked&platform=facebook&severity=high&committee=hn-ba-dinh",
        )
        .await;
    let reached = page.split("id=\"reached\"").nth(1).expect("the preview");
    assert!(!reached.contains("/parties/cert\""));
    assert!(reached.contains("/parties/meta\""));
    let changes = admin.page("/desk/directory/changes").await;
    assert!(changes.contains("routing"), "{changes}");
}

#[tokio::test]
async fn a_disabled_unit_takes_no_report_and_a_disabled_authority_gets_no_ticket() {
    let app = spawn_app().await;
    let admin = Officer::create(&app, "an.nguyen", Role::Admin, None).await;
    let page = admin.page("/desk/directory/routing").await;
    assert!(
        !page.contains("id=\"gaps\""),
        "the shipped routing has no gap"
    );
    let mut report = crate::helpers::valid_incident();
    report["severity"] = serde_json::json!("high");
    let before = app.file(&report).await;
    assert_eq!(
        crate::helpers::ticket_parties(&before),
        ["hn-ba-dinh", "cert", "meta"]
    );

    for id in ["hn-ba-dinh", "cert"] {
        let r = admin
            .post_form(
                &format!("/desk/directory/parties/{id}/disable"),
                &[("reason", "Merged")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{id}");
    }
    // The disabled committee takes no new report; its incidents stay where they were.
    let problem = crate::helpers::expect_problem(
        app.post_incident(&report).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(
        crate::helpers::field_rules(&problem),
        [(
            "reporter.committee".to_owned(),
            "unknown_committee".to_owned()
        )]
    );
    let kept = app.incident(before["id"].as_str().expect("id")).await;
    assert_eq!(kept["reporter"]["committee"], "hn-ba-dinh");
    // Routing skips the disabled authority.
    report["reporter"]["committee"] = serde_json::json!("hn");
    let after = app.file(&report).await;
    assert_eq!(crate::helpers::ticket_parties(&after), ["hn", "meta"]);
    // The routing page names the reports that now reach no authority: abnormal activity
    // and hijacking at every severity, impersonation and misuse below medium (the police
    // take those from medium on).
    let page = admin.page("/desk/directory/routing").await;
    let gaps = page
        .split("id=\"gaps\"")
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .expect("the gaps");
    assert_eq!(gaps.matches("<li>").count(), 10, "{gaps}");
    assert_eq!(
        gaps.matches("ở mức độ Thấp không được gửi tới cơ quan chức năng nào (mọi nền tảng).")
            .count(),
        4,
        "{gaps}"
    );
}
