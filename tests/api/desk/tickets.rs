//! The parties' tickets from the desk, checked through the API: re-sending what failed,
//! a test notification, a party that routing missed, and escalation to the parent
//! committee.

use incident_desk::domain::access::Role;
use reqwest::StatusCode;
use serde_json::Value;

use super::{Officer, file_in, last_event, location, officer_actor, state_of};
use crate::{
    helpers::spawn_app,
    notifications::{SECRET_A, WAIT, app_with, report_for_hn, settled, ticket},
    receiver::{Receiver, Reply},
    smtp::SmtpSink,
};

#[tokio::test]
async fn resending_a_failed_ticket_delivers_it_again_in_the_officers_name() {
    let sink = SmtpSink::start().await;
    let committee = Receiver::start(Reply::Status(200)).await;
    let provider = Receiver::start(Reply::Status(500)).await;
    let app = app_with(&sink, &committee.url, &provider.url, true).await;
    let filed = app.file(&report_for_hn()).await;
    let id = filed["id"].as_str().expect("id");
    let reference = filed["reference"].as_str().expect("reference");
    let detail = settled(&app, id).await;
    let meta = ticket(&detail, "meta").clone();
    assert_eq!(meta["status"], "notified", "the email got through");
    let hook = |detail: &Value| {
        ticket(detail, "meta")["deliveries"]
            .as_array()
            .expect("deliveries")
            .iter()
            .find(|d| d["channel"] == "webhook")
            .cloned()
            .expect("webhook")
    };
    assert_eq!(hook(&detail)["status"], "failed");
    let sent_before = provider.received().len();

    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn")).await;
    let row = officer.page("/desk").await;
    assert!(row.contains("flag-failed"), "{row}");
    provider.set_default(Reply::Status(200));
    let meta_id = meta["id"].as_str().expect("ticket id");
    let r = officer
        .post_form(
            &format!("/desk/incidents/{reference}/tickets/{meta_id}/resend"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&r),
        format!("/desk/incidents/{reference}?done=resent")
    );

    let detail = settled(&app, id).await;
    assert_eq!(hook(&detail)["status"], "delivered");
    assert_eq!(provider.received().len(), sent_before + 1);
    let resent = last_event(&detail, "ticket.redelivery_requested");
    assert_eq!(resent["actor"], officer_actor("mai.tran"));
    assert_eq!(resent["ticket_id"], meta["id"]);
    assert_eq!(resent["data"]["deliveries"], 1);
    assert!(!officer.page("/desk").await.contains("flag-failed"));
}

#[tokio::test]
async fn a_ticket_is_resent_or_tested_only_under_its_own_incident() {
    let app = spawn_app().await;
    let (first_id, _) = file_in(&app, "hn-ba-dinh").await;
    let (second_id, second) = file_in(&app, "hn-ba-dinh").await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let first_detail = app.incident(&first_id).await;
    let ticket_id = ticket(&first_detail, "hn-ba-dinh")["id"]
        .as_str()
        .expect("ticket id")
        .to_owned();
    let before = (
        state_of(&first_detail),
        state_of(&app.incident(&second_id).await),
    );
    for action in ["resend", "test"] {
        let r = officer
            .post_form(
                &format!("/desk/incidents/{second}/tickets/{ticket_id}/{action}"),
                &[],
            )
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{action}");
    }
    let after = (
        state_of(&app.incident(&first_id).await),
        state_of(&app.incident(&second_id).await),
    );
    assert_eq!(after, before);
}

#[tokio::test]
async fn a_test_notification_reaches_the_partys_webhook_signed_and_leaves_the_ticket_as_it_was() {
    let sink = SmtpSink::start().await;
    let committee = Receiver::start(Reply::Status(200)).await;
    let provider = Receiver::start(Reply::Status(200)).await;
    let app = app_with(&sink, &committee.url, &provider.url, true).await;
    let filed = app.file(&report_for_hn()).await;
    let id = filed["id"].as_str().expect("id");
    let reference = filed["reference"].as_str().expect("reference");
    let detail = settled(&app, id).await;
    let hn = ticket(&detail, "hn").clone();
    assert_eq!(hn["status"], "notified");
    committee.wait_for(1, WAIT).await;

    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn")).await;
    let hn_id = hn["id"].as_str().expect("ticket id");
    let r = officer
        .post_form(
            &format!("/desk/incidents/{reference}/tickets/{hn_id}/test"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&r),
        format!("/desk/incidents/{reference}?done=tested")
    );

    app.dispatch_until_idle().await;
    let got = committee.wait_for(2, WAIT).await;
    assert_eq!(got.len(), 2);
    standardwebhooks::Webhook::new(SECRET_A)
        .expect("secret")
        .verify(&got[1].body, &got[1].headers)
        .expect("a valid Standard Webhooks signature");
    let event: Value = serde_json::from_slice(&got[1].body).expect("json");
    assert_eq!(event["type"], "notification.test");
    assert_eq!(event["data"]["incident"]["reference"], reference);
    assert_eq!(event["data"]["ticket"]["party"], "hn");
    assert_eq!(event["data"]["sent_by"], "Cán bộ mai.tran");

    let detail = settled(&app, id).await;
    let after = ticket(&detail, "hn");
    assert_eq!(
        after["status"], "notified",
        "the ticket itself is as it was"
    );
    let tests: Vec<&Value> = after["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .filter(|d| d["event_type"] == "notification.test")
        .collect();
    let mut channels: Vec<&str> = tests
        .iter()
        .map(|d| d["channel"].as_str().expect("channel"))
        .collect();
    channels.sort_unstable();
    assert_eq!(channels, ["email", "webhook"]);
    assert!(
        tests.iter().all(|d| d["status"] == "delivered"),
        "{tests:?}"
    );
    let sent = last_event(&detail, "ticket.test_sent");
    assert_eq!(sent["actor"], officer_actor("mai.tran"));
    assert_eq!(sent["ticket_id"], hn["id"]);
    assert_eq!(sent["data"]["deliveries"], 2);
    // Nobody else was disturbed.
    assert_eq!(provider.received().len(), 1);
    let mails = sink.wait_for(5, WAIT).await;
    let to_hn = mails
        .iter()
        .filter(|m| m.rcpt_to == ["desk@hn.example.org"])
        .count();
    assert_eq!(to_hn, 2);
}

#[tokio::test]
async fn adding_a_party_that_routing_missed_opens_its_ticket_once() {
    let app = spawn_app().await;
    let (id, reference) = file_in(&app, "hn-ba-dinh").await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let path = format!("/desk/incidents/{reference}/parties");
    let before = app.incident(&id).await;
    assert!(
        !crate::helpers::ticket_parties(&before).contains(&"cyber-police".to_owned()),
        "routing did not choose the police"
    );

    let r = officer.post_form(&path, &[("party", "cyber-police")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&r),
        format!("/desk/incidents/{reference}?done=party")
    );
    let detail = app.incident(&id).await;
    assert_eq!(
        detail["tickets"].as_array().expect("tickets").len(),
        before["tickets"].as_array().expect("tickets").len() + 1
    );
    let police = ticket(&detail, "cyber-police");
    assert_eq!(police["role"], "authority");
    assert_eq!(police["status"], "pending");
    let deliveries = police["deliveries"].as_array().expect("deliveries");
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0]["channel"], "email");
    assert_eq!(deliveries[0]["target"], "tiep-nhan@cyberpolice.example.org");
    assert_eq!(deliveries[0]["event_type"], "incident.reported");
    let opened = last_event(&detail, "ticket.opened");
    assert_eq!(opened["actor"], officer_actor("mai.tran"));
    assert_eq!(opened["ticket_id"], police["id"]);
    assert_eq!(opened["data"]["added_by"], "Cán bộ mai.tran");

    // Twice, or a party nobody configured: refused, nothing added.
    let after = state_of(&detail);
    for party in ["cyber-police", "interpol", "hn-ba-dinh"] {
        let r = officer.post_form(&path, &[("party", party)]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{party}");
    }
    assert_eq!(state_of(&app.incident(&id).await), after);
}

#[tokio::test]
async fn escalating_opens_a_ticket_for_the_parent_committee_and_is_refused_at_the_top() {
    let app = spawn_app().await;
    let (id, reference) = file_in(&app, "hn-ba-dinh").await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let path = format!("/desk/incidents/{reference}/escalate");

    let r = officer.post_form(&path, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&r),
        format!("/desk/incidents/{reference}?done=escalated")
    );
    let detail = app.incident(&id).await;
    let parent = ticket(&detail, "hn");
    assert_eq!(parent["role"], "committee");
    assert_eq!(parent["status"], "pending");
    assert_eq!(parent["deliveries"][0]["target"], "truc-ban@hn.example.org");
    assert_eq!(parent["deliveries"][0]["event_type"], "ticket.escalated");
    let escalated = last_event(&detail, "ticket.escalated");
    assert_eq!(escalated["actor"], officer_actor("mai.tran"));
    assert_eq!(escalated["ticket_id"], parent["id"]);
    assert_eq!(escalated["data"]["from"], "hn-ba-dinh");
    assert_eq!(escalated["data"]["to"], "hn");
    assert_eq!(detail["status"], "open");

    // The parent has its ticket already.
    let after = state_of(&detail);
    let again = officer.post_form(&path, &[]).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(state_of(&app.incident(&id).await), after);

    // A city committee has no parent.
    let (top_id, top) = file_in(&app, "hn").await;
    let city = Officer::create(&app, "hung.le", Role::Officer, Some("hn")).await;
    let before = state_of(&app.incident(&top_id).await);
    let r = city
        .post_form(&format!("/desk/incidents/{top}/escalate"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(state_of(&app.incident(&top_id).await), before);
}

#[tokio::test]
async fn the_incident_page_speaks_the_officer_s_words_never_stored_codes() {
    let app = crate::helpers::spawn_app().await;
    let filed = app.file(&crate::helpers::valid_incident()).await;
    let reference = filed["reference"].as_str().expect("reference");
    let admin = Officer::create(&app, "an.nguyen", Role::Admin, None).await;
    let page = admin.page(&format!("/desk/incidents/{reference}")).await;
    for words in [
        "<dd>hệ thống kết nối (API)</dd>",
        "<dd>tiếng Việt</dd>",
        "<dt>Họ và tên</dt>",
        "<strong>Email</strong>",
    ] {
        assert!(page.contains(words), "lacks {words}: {page}");
    }
    for code in [
        "<dd>api</dd>",
        "<dd>vi</dd>",
        "Email của bạn",
        "<strong>email</strong>",
        "<strong>webhook</strong>",
        "class=\"delivery-status\">pending<",
        "class=\"delivery-status\">delivered<",
        "class=\"delivery-status\">failed<",
    ] {
        assert!(!page.contains(code), "shows {code}: {page}");
    }
    let statuses: Vec<&str> = page
        .split("class=\"delivery-status\">")
        .skip(1)
        .filter_map(|rest| rest.split('<').next())
        .collect();
    assert!(!statuses.is_empty(), "{page}");
    for status in statuses {
        assert!(
            ["đang chờ gửi", "đã gửi tới nơi", "không gửi được"].contains(&status),
            "{status}"
        );
    }
}

#[tokio::test]
async fn the_incident_page_opens_with_where_it_stands_and_what_to_do_next() {
    let app = crate::helpers::spawn_app().await;
    let mut report = crate::helpers::valid_incident();
    report["containment"] = serde_json::json!({ "state": "active" });
    let filed = app.file(&report).await;
    let reference = filed["reference"].as_str().expect("reference");
    let path = format!("/desk/incidents/{reference}");
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let page = officer.page(&path).await;
    // Where it stands comes first, before the facts, the tickets and the timeline.
    let now = page.find("id=\"now\"").expect("the standing");
    for later in [
        "id=\"facts-title\"",
        "id=\"tickets-title\"",
        "id=\"timeline\"",
    ] {
        assert!(
            now < page.find(later).expect(later),
            "{later} before the standing"
        );
    }
    let standing = crate::web::between(&page, "id=\"now\"", "</section>");
    for words in [
        "Tình hình hiện tại",
        "Mới tiếp nhận",
        "Trang chưa dừng hoạt động",
        "0 trên 3 bên đã phản hồi",
        "Việc cần làm:",
        "vui lòng giúp thành viên dừng hoạt động trang",
    ] {
        assert!(standing.contains(words), "lacks {words}: {standing}");
    }
    // Each delivery folds its attempts under one line.
    assert!(page.contains("<details class=\"delivery\""), "{page}");
    // Every timeline entry is a sentence, never field names or stored codes.
    let timeline = crate::web::between(&page, "id=\"timeline\"", "</ol>");
    assert!(
        timeline.contains("Đã nhận báo cáo của thành viên"),
        "{timeline}"
    );
    // The tickets the service opened at that moment read as one line.
    assert!(
        timeline.contains("Đã mở phiếu cho Ban Quận Ba Đình, Trung tâm Ứng cứu khẩn cấp không gian mạng và Meta (Facebook, Instagram)"),
        "{timeline}"
    );
    assert_eq!(timeline.matches("Đã mở phiếu cho").count(), 1, "{timeline}");
    for code in ["from:", "to:", "party:", "hn-ba-dinh", "{", "_"] {
        assert!(!timeline.contains(code), "shows {code}: {timeline}");
    }

    // Once the page is stopped, the next thing is the report's own state.
    let stopped = app
        .post_json(
            &format!(
                "/api/v1/incidents/{}/containment",
                filed["id"].as_str().expect("id")
            ),
            &serde_json::json!({
                "state": "stopped",
                "stopped_at": chrono::Utc::now().to_rfc3339(),
                "actions": ["password_changed"],
            }),
        )
        .await;
    assert!(stopped.status().is_success(), "{}", stopped.status());
    let page = officer.page(&path).await;
    let standing = crate::web::between(&page, "id=\"now\"", "</section>");
    assert!(
        standing.contains("Vui lòng đọc báo cáo, rồi chuyển sang “đang xử lý”."),
        "{standing}"
    );
    let timeline = crate::web::between(&page, "id=\"timeline\"", "</ol>");
    assert!(
        timeline.contains(
            "Trang chuyển từ “Trang chưa dừng hoạt động” sang “Thành viên đã dừng hoạt động trang”"
        ),
        "{timeline}"
    );
}
