//! Each officer action through the desk's forms, checked through the API: the status,
//! the timeline (with the officer as actor), the tickets and their deliveries.

use incident_desk::domain::access::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Officer, event_types, file_in, last_event, location, officer_actor, state_of};
use crate::{
    helpers::{TestApp, expect_status, spawn_app},
    notifications::{SECRET_A, WAIT, app_with, report_for_hn, settled, ticket},
    receiver::{Receiver, Reply},
    smtp::SmtpSink,
    web::Member,
};

fn count(detail: &Value, event_type: &str) -> usize {
    event_types(detail)
        .iter()
        .filter(|t| *t == event_type)
        .count()
}

#[tokio::test]
async fn an_officer_moves_an_incident_through_allowed_statuses_and_the_timeline_names_them() {
    let app = spawn_app().await;
    let (id, reference) = file_in(&app, "hn-ba-dinh").await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let path = format!("/desk/incidents/{reference}/status");

    let r = officer
        .post_form(
            &path,
            &[
                ("status", "in_progress"),
                ("reason", ""),
                ("duplicate_of", ""),
                ("note", "Đã gọi cho quản trị viên của trang."),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&r),
        format!("/desk/incidents/{reference}?done=status")
    );
    let detail = app.incident(&id).await;
    assert_eq!(detail["status"], "in_progress");
    let changed = last_event(&detail, "status.changed");
    assert_eq!(changed["actor"], officer_actor("mai.tran"));
    assert_eq!(changed["data"]["from"], "open");
    assert_eq!(changed["data"]["to"], "in_progress");
    assert_eq!(
        changed["data"]["note"],
        "Đã gọi cho quản trị viên của trang."
    );

    for next in ["resolved", "closed"] {
        let r = officer.post_form(&path, &[("status", next)]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "to {next}");
    }
    let detail = app.incident(&id).await;
    assert_eq!(detail["status"], "closed");
    assert_eq!(count(&detail, "status.changed"), 3);
    assert_eq!(
        last_event(&detail, "status.changed")["data"]["from"],
        "resolved"
    );
    let page = officer
        .page(&format!("/desk/incidents/{reference}?done=status"))
        .await;
    assert!(page.contains("Cán bộ mai.tran"), "{page}");
}

#[tokio::test]
async fn an_illegal_status_change_is_409_and_changes_nothing() {
    let app = spawn_app().await;
    let (id, reference) = file_in(&app, "hn-ba-dinh").await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let path = format!("/desk/incidents/{reference}/status");
    let before = state_of(&app.incident(&id).await);

    let r = officer.post_form(&path, &[("status", "closed")]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(state_of(&app.incident(&id).await), before);
    // Not a status, and a rejection without its reason: refused as invalid.
    for fields in [
        vec![("status", "archived")],
        vec![("status", "rejected")],
        vec![("status", "rejected"), ("reason", "because")],
    ] {
        let r = officer.post_form(&path, &fields).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert_eq!(state_of(&app.incident(&id).await), before);
    }

    for next in ["resolved", "closed"] {
        officer.post_form(&path, &[("status", next)]).await;
    }
    let closed = state_of(&app.incident(&id).await);
    for next in ["open", "in_progress", "resolved"] {
        let r = officer.post_form(&path, &[("status", next)]).await;
        assert_eq!(r.status(), StatusCode::CONFLICT, "closed to {next}");
    }
    assert_eq!(state_of(&app.incident(&id).await), closed);
}

#[tokio::test]
async fn a_shared_note_reaches_the_members_tracking_page_and_an_internal_one_does_not() {
    let app = spawn_app().await;
    let member = Member::new(&app);
    let token = member.file_report().await;
    let incident = app.all_incidents().await.remove(0);
    let id = incident["id"].as_str().expect("id");
    let reference = incident["reference"].as_str().expect("reference");
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let path = format!("/desk/incidents/{reference}/note");

    let internal = "Nội bộ: số điện thoại của người báo cáo đã được xác minh.";
    let shared = "Chúng tôi đã gửi yêu cầu khôi phục trang cho Meta.";
    let r = officer
        .post_form(&path, &[("text", internal), ("visibility", "internal")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&r),
        format!("/desk/incidents/{reference}?done=note")
    );
    let r = officer
        .post_form(&path, &[("text", shared), ("visibility", "shared")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let detail = app.incident(id).await;
    let notes: Vec<&Value> = detail["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["type"] == "note.added")
        .collect();
    assert_eq!(notes.len(), 2);
    assert_eq!(
        notes[0]["data"],
        json!({ "text": internal, "visibility": "internal" })
    );
    assert_eq!(
        notes[1]["data"],
        json!({ "text": shared, "visibility": "shared" })
    );
    for note in notes {
        assert_eq!(note["actor"], officer_actor("mai.tran"));
    }

    let tracking = member.page(&format!("/track/{token}")).await;
    assert!(tracking.contains(shared), "{tracking}");
    assert!(!tracking.contains(internal), "{tracking}");

    // An empty note is refused.
    let before = state_of(&app.incident(id).await);
    let r = officer
        .post_form(&path, &[("text", "   "), ("visibility", "shared")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(state_of(&app.incident(id).await), before);
}

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
async fn marking_a_duplicate_rejects_it_and_links_both_timelines() {
    let app = spawn_app().await;
    let (original_id, original) = file_in(&app, "hn-ba-dinh").await;
    let (copy_id, copy) = file_in(&app, "hn-ba-dinh").await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let path = format!("/desk/incidents/{copy}/status");
    let before = (
        state_of(&app.incident(&original_id).await),
        state_of(&app.incident(&copy_id).await),
    );

    for duplicate_of in ["", copy.as_str(), "INC-2099-999999", "not a reference"] {
        let r = officer
            .post_form(
                &path,
                &[
                    ("status", "rejected"),
                    ("reason", "duplicate"),
                    ("duplicate_of", duplicate_of),
                ],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "duplicate of {duplicate_of:?}"
        );
    }
    let unchanged = (
        state_of(&app.incident(&original_id).await),
        state_of(&app.incident(&copy_id).await),
    );
    assert_eq!(unchanged, before);

    let r = officer
        .post_form(
            &path,
            &[
                ("status", "rejected"),
                ("reason", "duplicate"),
                ("duplicate_of", &original.to_lowercase()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let rejected = app.incident(&copy_id).await;
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["duplicate_of"], original_id.as_str());
    let changed = last_event(&rejected, "status.changed");
    assert_eq!(changed["actor"], officer_actor("mai.tran"));
    assert_eq!(changed["data"]["reason"], "duplicate");
    assert_eq!(changed["data"]["duplicate_of"], original.as_str());

    let kept = app.incident(&original_id).await;
    assert_eq!(kept["status"], "open");
    let linked = last_event(&kept, "duplicate.linked");
    assert_eq!(linked["actor"], officer_actor("mai.tran"));
    assert_eq!(linked["data"]["duplicate"], copy.as_str());
    let page = officer.page(&format!("/desk/incidents/{copy}")).await;
    assert!(page.contains(&original), "{page}");
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

async fn bulk(
    officer: &Officer<'_>,
    action: &str,
    reason: &str,
    picked: &[&String],
) -> reqwest::Response {
    let mut fields = vec![("action", action), ("reason", reason)];
    fields.extend(picked.iter().map(|id| ("incident", id.as_str())));
    officer.post_form("/desk/bulk", &fields).await
}

async fn statuses(app: &TestApp, ids: &[String]) -> Vec<Value> {
    let mut out = Vec::new();
    for id in ids {
        out.push(app.incident(id).await["status"].clone());
    }
    out
}

async fn set_status(app: &TestApp, id: &str, status: &str) {
    expect_status(
        app.post_json(
            &format!("/api/v1/incidents/{id}/status"),
            &json!({ "status": status }),
        )
        .await,
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn bulk_close_and_reject_move_what_they_can_and_count_the_rest() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.push(file_in(&app, "hn-ba-dinh").await.0);
    }
    let (resolved, open, in_progress, closed) = (&ids[0], &ids[1], &ids[2], &ids[3]);
    set_status(&app, resolved, "resolved").await;
    set_status(&app, in_progress, "in_progress").await;
    set_status(&app, closed, "resolved").await;
    set_status(&app, closed, "closed").await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let unmoved = state_of(&app.incident(open).await);

    let r = bulk(
        &officer,
        "close",
        "spam",
        &[resolved, open, in_progress, closed],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/desk?changed=1&refused=3");
    officer.page(location(&r)).await;
    assert_eq!(
        statuses(&app, &ids).await,
        ["closed", "open", "in_progress", "closed"]
    );
    assert_eq!(state_of(&app.incident(open).await), unmoved);
    let closed_now = app.incident(resolved).await;
    assert_eq!(
        last_event(&closed_now, "status.changed")["actor"],
        officer_actor("mai.tran")
    );

    let r = bulk(&officer, "reject", "spam", &[open, in_progress, closed]).await;
    assert_eq!(location(&r), "/desk?changed=2&refused=1");
    assert_eq!(
        statuses(&app, &ids).await,
        ["closed", "rejected", "rejected", "closed"]
    );
    let rejected = app.incident(open).await;
    let changed = last_event(&rejected, "status.changed");
    assert_eq!(changed["data"]["reason"], "spam");
    assert_eq!(changed["actor"], officer_actor("mai.tran"));

    // A duplicate needs its original, which a bulk change cannot name; an unknown action
    // is refused too.
    let before = statuses(&app, &ids).await;
    let r = bulk(&officer, "reject", "duplicate", &[open]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = bulk(&officer, "delete", "spam", &[open]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(statuses(&app, &ids).await, before);
}
