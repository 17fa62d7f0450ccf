//! What a party reads for each stored event: the payload as intake stores it, rendered by
//! the email channel in the party's language.

use crate::domain::Named;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    channels::email::render,
    config::Locale,
    domain::i18n::try_word,
    domain::{
        AccountType, ContainmentAction, ContainmentState, IncidentKind, IncidentStatus, Platform,
        Severity, Source, TicketStatus,
        routing::PartyKind,
        webhook::{EventData, EventType, IncidentReportedData, WebhookEvent},
    },
    storage::{entities::ticket, incidents::IncidentRow},
    usecases::payload,
};

const ACK: &str = "https://desk.example.org/ack/t0k?sig=ab&exp=1";

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0)
        .single()
        .expect("a valid time")
}

fn incident_row() -> IncidentRow {
    IncidentRow {
        id: Uuid::now_v7(),
        reference: "INC-2026-000123".into(),
        kind: IncidentKind::Hijacked,
        severity: Severity::High,
        status: IncidentStatus::Open,
        description: "Sáng nay trang đăng bài lạ.\nTôi không đăng nhập được nữa.".into(),
        detected_at: at(1, 30),
        reporter_name: "Nguyễn Văn An".into(),
        reporter_email: Some("an.nguyen@example.org".into()),
        reporter_phone: Some("+84901234567".into()),
        committee_id: "hn-ba-dinh".into(),
        page_platform: Platform::Facebook,
        page_url: Some("https://www.facebook.com/doanphuongphucxa".into()),
        page_handle: Some("doanphuongphucxa".into()),
        page_display_name: Some("Đoàn phường Phúc Xá".into()),
        page_account_type: Some(AccountType::Page),
        page_linked_email: Some("trang.phucxa@example.org".into()),
        page_linked_phone: Some("+84241234567".into()),
        page_created_on: Some("2019-05-04".into()),
        page_purpose: Some("Thông tin hoạt động của phường".into()),
        page_key: "facebook:doanphuongphucxa".into(),
        containment: ContainmentState::Stopped,
        contained_at: Some(at(2, 5)),
        containment_actions: json!(["password_changed", "sessions_revoked"]),
        duplicate_of: None,
        source: Source::Web,
        tracking_token_hash: None,
        reporter_locale: Locale::Vi,
        platform_case_ref: None,
        search_text: String::new(),
        created_at: at(2, 10),
        updated_at: at(2, 10),
        purged_at: None,
        register_page_id: None,
        register_version: None,
        register_flag: None,
    }
}

/// The payload exactly as intake stores it in the outbox for a party of `kind`.
fn event_for(row: &IncidentRow, kind: PartyKind) -> Value {
    let ticket = ticket::Model {
        id: Uuid::now_v7(),
        incident_id: row.id,
        party_id: "meta".into(),
        role: kind,
        status: TicketStatus::Pending,
        external_ref: None,
        deadline_at: at(6, 10),
        acknowledged_at: None,
        resolved_at: None,
        reminded_at: None,
        escalated_at: None,
        created_at: row.created_at,
        updated_at: row.created_at,
        waiting: crate::domain::correspondence::Waiting::Nobody,
        unread: 0,
        paused_at: None,
        paused_seconds: 0,
    };
    let bytes = WebhookEvent::new(
        row.created_at,
        EventData::IncidentReported(IncidentReportedData {
            added_by: None,
            incident: payload::incident(row, None, &settings(), kind).expect("a known row"),
            ticket: payload::ticket(&ticket),
        }),
    )
    .to_bytes();
    serde_json::from_slice(&bytes).expect("the payload is JSON")
}

#[test]
fn vietnamese_email_has_the_reference_in_the_subject_and_every_fact_in_the_body() {
    let row = incident_row();
    let event = event_for(&row, PartyKind::Committee);
    let email = render(PartyKind::Committee, Locale::Vi, &event, Some(ACK));

    assert_eq!(
        email.subject,
        "[INC-2026-000123] Sự cố tài khoản: bị chiếm quyền — Facebook"
    );
    for expected in [
        "Một sự cố tài khoản vừa được báo cáo.",
        "- Mã sự cố: INC-2026-000123",
        "- Loại sự cố: bị chiếm quyền",
        "- Mức độ: Cao",
        "- Trạng thái: Mới tiếp nhận",
        "- Phát hiện lúc: 08:30 ngày 02/03/2026 (giờ Việt Nam)",
        "- Hạn xác nhận tiếp nhận: 13:10 ngày 02/03/2026 (giờ Việt Nam)",
        "- Nền tảng: Facebook",
        "- Địa chỉ trang: https://www.facebook.com/doanphuongphucxa",
        "- Tên tài khoản / ID: doanphuongphucxa",
        "- Tên hiển thị: Đoàn phường Phúc Xá",
        "- Loại tài khoản: Trang (fanpage)",
        "- Tình trạng: Thành viên đã dừng hoạt động trang",
        "- Từ lúc: 09:05 ngày 02/03/2026 (giờ Việt Nam)",
        "- Biện pháp đã thực hiện: đổi mật khẩu; đăng xuất khỏi mọi phiên đăng nhập",
        "MÔ TẢ CỦA THÀNH VIÊN\nSáng nay trang đăng bài lạ.\nTôi không đăng nhập được nữa.",
        "Xác nhận đã tiếp nhận:\nhttps://desk.example.org/ack/t0k?sig=ab&exp=1",
        "- Họ và tên: Nguyễn Văn An",
        "- Email: an.nguyen@example.org",
        "- Số điện thoại: +84901234567",
    ] {
        assert!(
            email.text.contains(expected),
            "text lacks {expected:?}:\n{}",
            email.text
        );
    }
    assert!(email.html.contains("<html lang=\"vi\">"));
    assert!(email.html.contains("Đoàn phường Phúc Xá"));
    assert!(
        email
            .html
            .contains("href=\"https://desk.example.org/ack/t0k?sig=ab&#38;exp=1\""),
        "{}",
        email.html
    );
    assert!(email.html.contains(">Xác nhận đã tiếp nhận</a>"));
    assert!(
        email
            .html
            .contains("Sáng nay trang đăng bài lạ.<br>Tôi không")
    );
}

#[test]
fn english_email_uses_english_words_and_utc_times() {
    let mut row = incident_row();
    row.containment = ContainmentState::LostControl;
    row.contained_at = None;
    row.containment_actions = json!([]);
    let event = event_for(&row, PartyKind::Authority);
    let email = render(PartyKind::Authority, Locale::En, &event, Some(ACK));

    assert_eq!(
        email.subject,
        "[INC-2026-000123] Account incident: hijacked — Facebook"
    );
    for expected in [
        "An account incident has just been reported.",
        "Please receive this report and handle it within your competence.",
        "- Reference: INC-2026-000123",
        "- Severity: High",
        "- Detected at: 2026-03-02 01:30 UTC",
        "- Acknowledge by: 2026-03-02 06:10 UTC",
        "- Account type: Page",
        "- State: The member has lost control: the platform must act to stop the page",
        "Acknowledge receipt:\nhttps://desk.example.org/ack/t0k",
    ] {
        assert!(
            email.text.contains(expected),
            "text lacks {expected:?}:\n{}",
            email.text
        );
    }
    assert!(!email.text.contains("Actions taken"));
    assert!(
        !email.text.contains("REPORTER"),
        "only committees see the reporter"
    );
    assert!(email.html.contains("<html lang=\"en\">"));
    assert!(
        email
            .html
            .contains("color:#b91c1c;font-weight:bold;\">The member has lost control")
    );
}

#[test]
fn html_part_escapes_the_description_and_the_text_part_keeps_it_verbatim() {
    let mut row = incident_row();
    row.description = "<script>alert(\"x\")</script> & <b>bold</b>".into();
    row.page_display_name = Some("<img src=x onerror=alert(1)>".into());
    let event = event_for(&row, PartyKind::Committee);
    let email = render(PartyKind::Committee, Locale::Vi, &event, None);

    assert!(!email.html.contains("<script>"), "{}", email.html);
    assert!(!email.html.contains("<img"), "{}", email.html);
    assert!(!email.html.contains("<b>bold"), "{}", email.html);
    assert!(
        email
            .html
            .contains("&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#60;b&#62;")
    );
    assert!(
        email
            .text
            .contains("<script>alert(\"x\")</script> & <b>bold</b>")
    );
    assert!(
        !email.text.contains("Xác nhận đã tiếp nhận"),
        "no link, no button"
    );
    assert!(!email.html.contains("Xác nhận đã tiếp nhận"));
}

#[test]
fn provider_sees_the_ownership_proof_but_not_the_reporter_contacts() {
    let row = incident_row();
    for event in [
        event_for(&row, PartyKind::Provider),
        event_for(&row, PartyKind::Committee),
    ] {
        let email = render(PartyKind::Provider, Locale::En, &event, Some(ACK));
        for hidden in ["an.nguyen@example.org", "+84901234567", "Nguyễn Văn An"] {
            assert!(!email.text.contains(hidden), "text shows {hidden}");
            assert!(!email.html.contains(hidden), "html shows {hidden}");
        }
        for shown in [
            "- Email linked to the account: trang.phucxa@example.org",
            "- Phone linked to the account: +84241234567",
            "- Account created on: 2019-05-04",
            "Please verify ownership",
        ] {
            assert!(email.text.contains(shown), "text lacks {shown:?}");
        }
    }
    let committee = render(
        PartyKind::Committee,
        Locale::En,
        &event_for(&row, PartyKind::Committee),
        None,
    );
    assert!(!committee.text.contains("trang.phucxa@example.org"));
}

#[test]
fn a_payload_missing_optional_fields_renders_without_panic() {
    let sparse = json!({
        "type": EventType::IncidentReported,
        "data": { "incident": { "reference": "INC-2026-000007", "page": {}, "containment": {} } }
    });
    let email = render(PartyKind::Provider, Locale::Vi, &sparse, None);
    assert_eq!(email.subject, "[INC-2026-000007] Sự cố tài khoản");
    assert!(email.text.contains("- Mã sự cố: INC-2026-000007"));
    assert!(
        !email.text.contains("NGĂN CHẶN"),
        "empty sections are left out"
    );

    for odd in [
        json!(null),
        json!({}),
        json!({"type": 5, "data": []}),
        json!({"data": {"incident": {"reference": 7, "kind": "new_kind", "detected_at": "yesterday",
            "evidence": "none", "containment": {"actions": [1, "other"]}}, "ticket": null}}),
    ] {
        let email = render(
            PartyKind::Committee,
            Locale::En,
            &odd,
            Some("javascript:alert(1)"),
        );
        assert!(email.subject.starts_with('[') || email.subject.starts_with("Account incident"));
        assert!(!email.html.contains("href=\"javascript"), "{}", email.html);
        assert!(email.text.contains("-- \n"));
    }
}

#[test]
fn evidence_is_listed_with_size_and_digest() {
    let mut event = event_for(&incident_row(), PartyKind::Authority);
    event["data"]["incident"]["evidence"] = json!([
        {"name": "screenshot-1.png", "size_bytes": 245_000, "sha256": "a".repeat(64)},
        {"name": "thong-bao.pdf", "size_bytes": 1_572_864, "sha256": "b".repeat(64)},
    ]);
    let vi = render(PartyKind::Authority, Locale::Vi, &event, None);
    assert!(vi.text.contains(&format!(
        "BẰNG CHỨNG ĐÍNH KÈM\n- screenshot-1.png (240 KB)\n  SHA-256: {}\n- thong-bao.pdf (1,5 MB)",
        "a".repeat(64)
    )));
    assert!(
        vi.html
            .contains("<li style=\"margin:0 0 6px;\">screenshot-1.png (240 KB)")
    );
    let en = render(PartyKind::Authority, Locale::En, &event, None);
    assert!(en.text.contains("- thong-bao.pdf (1.5 MB)"));
}

#[test]
fn later_events_say_what_changed_and_unknown_ones_read_as_an_update() {
    let mut event = event_for(&incident_row(), PartyKind::Committee);
    event["type"] = json!(EventType::TicketReminder);
    let reminder = render(PartyKind::Committee, Locale::Vi, &event, Some(ACK));
    assert_eq!(
        reminder.subject,
        "[INC-2026-000123] Sự cố tài khoản: bị chiếm quyền — Facebook (nhắc nhở)"
    );
    assert!(
        reminder
            .text
            .starts_with("Nhắc lại: phiếu này chưa được xác nhận tiếp nhận.")
    );

    event["type"] = json!("ticket.reopened_by_someone");
    let unknown = render(PartyKind::Committee, Locale::En, &event, None);
    assert!(unknown.subject.ends_with("— Facebook (update)"));
    assert!(
        unknown
            .text
            .starts_with("There is an update on this incident.")
    );
    assert!(unknown.text.contains("- Reference: INC-2026-000123"));
}

#[test]
fn both_locales_name_every_code_of_the_domain() {
    let codes = IncidentKind::ALL
        .iter()
        .map(|c| ("kind", c.as_str()))
        .chain(Severity::ALL.iter().map(|c| ("severity", c.as_str())))
        .chain(
            ContainmentAction::ALL
                .iter()
                .map(|c| ("action", c.as_str())),
        )
        .chain(
            AccountType::ALL
                .iter()
                .map(|c| ("account_type", c.as_str())),
        )
        .chain(Platform::ALL.iter().map(|c| ("platform", c.as_str())))
        .chain(PartyKind::ALL.iter().map(|c| ("request", c.as_str())))
        .chain(
            crate::domain::IncidentStatus::ALL
                .iter()
                .map(|c| ("status", c.as_str())),
        )
        .chain(
            crate::domain::ContainmentState::ALL
                .iter()
                .map(|c| ("containment", c.as_str())),
        );
    // English falls back to Vietnamese; `i18n::tests` checks that both define the same keys.
    for (group, code) in codes {
        assert!(
            try_word(Locale::Vi, group, code).is_some(),
            "no Vietnamese word for {group}.{code}"
        );
    }
}

fn declared() -> crate::domain::register::DeclaredVersion {
    use crate::domain::register::{AdminRole, ApproxDate, Declaration, PageAdmin, PageStatus};
    crate::domain::register::DeclaredVersion {
        page_id: Uuid::now_v7(),
        version: 3,
        at: at(1, 0) - chrono::TimeDelta::days(30),
        first_declared_at: at(1, 0) - chrono::TimeDelta::days(400),
        declaration: Declaration {
            platform: Platform::Facebook,
            url: "https://www.facebook.com/doanphuongphucxa".into(),
            name: "Đoàn phường Phúc Xá".into(),
            created_on: Some(ApproxDate {
                year: 2019,
                month: Some(5),
                day: None,
            }),
            purpose: "Thông tin hoạt động của phường".into(),
            status: PageStatus::Active,
            closed_on: None,
            closed_reason: None,
            deleted_on_platform: false,
            linked_phone: Some("0241234567".into()),
            linked_email: Some("trang.phucxa@example.org".into()),
            admins: vec![PageAdmin {
                account: "@an.nguyen".into(),
                role: AdminRole::Owner,
            }],
            memberships: Vec::new(),
        },
    }
}

#[test]
fn the_declaration_goes_to_every_party_with_its_contacts_only_where_the_rule_gives_them() {
    let row = incident_row();
    let declared = declared();
    let mut settings = settings();
    settings.notifications.account_contacts_for = vec![PartyKind::Committee];
    for (kind, contacts) in [(PartyKind::Committee, true), (PartyKind::Provider, false)] {
        let incident = payload::incident(&row, Some(&declared), &settings, kind).expect("a row");
        let d = incident.declaration.expect("the declaration");
        assert_eq!(d.version, 3);
        assert_eq!(d.created_on.as_deref(), Some("2019-05"));
        assert_eq!(d.linked_phone.is_some(), contacts, "{kind}");
        assert_eq!(d.linked_email.is_some(), contacts, "{kind}");
        let event = serde_json::to_value(WebhookEvent::new(
            row.created_at,
            EventData::IncidentReported(IncidentReportedData {
                added_by: None,
                incident: payload::incident(&row, Some(&declared), &settings, kind).expect("a row"),
                ticket: payload::ticket(&ticket::Model {
                    id: Uuid::now_v7(),
                    incident_id: row.id,
                    party_id: "meta".into(),
                    role: kind,
                    status: TicketStatus::Pending,
                    external_ref: None,
                    deadline_at: at(6, 10),
                    acknowledged_at: None,
                    resolved_at: None,
                    reminded_at: None,
                    escalated_at: None,
                    created_at: row.created_at,
                    updated_at: row.created_at,
                    waiting: crate::domain::correspondence::Waiting::Nobody,
                    unread: 0,
                    paused_at: None,
                    paused_seconds: 0,
                }),
            }),
        ))
        .expect("JSON");
        let vi = render(kind, Locale::Vi, &event, None);
        for expected in [
            "KHAI BÁO TRANG TRONG SỔ ĐĂNG KÝ CỦA TỔ CHỨC",
            "- Khai báo lần đầu lúc: 08:00 ngày 26/01/2025 (giờ Việt Nam)",
            "- Phiên bản khai báo: 3",
            "- Khai báo trước khi phát hiện sự cố: Có",
            "- Ngày tạo trang (theo khai báo): 05/2019",
            "- Tình trạng trang (theo khai báo): Đang hoạt động",
            "- Tài khoản quản trị: @an.nguyen (chủ sở hữu)",
        ] {
            assert!(
                vi.text.contains(expected),
                "lacks {expected:?}:\n{}",
                vi.text
            );
        }
        assert_eq!(vi.text.contains("0241234567"), contacts, "{}", vi.text);
    }
    let without = payload::incident(&row, None, &settings, PartyKind::Provider).expect("a row");
    let json = serde_json::to_value(&without).expect("JSON");
    assert!(
        json.get("declaration").is_none(),
        "left out when there is none"
    );
}

fn settings() -> crate::config::Settings {
    crate::config::from_defaults_and("public_base_url = \"https://desk.example.org\"", None)
        .expect("settings")
}
