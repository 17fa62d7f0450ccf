//! The incident's own actions through the desk's forms, checked through the API: status
//! changes, notes, duplicates and bulk changes, each on the timeline in the officer's name.

use incident_desk::domain::access::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{
    Officer, event_types, file_in, last_event, location, officer_actor, set_status, state_of,
};
use crate::{
    helpers::{TestApp, spawn_app},
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
