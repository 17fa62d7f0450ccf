//! Who may see and do what in the desk: an officer sees their committee's subtree only,
//! an admin sees everything, a viewer reads and never acts; and every form needs its
//! token.

use incident_desk::domain::access::Role;
use reqwest::StatusCode;

use super::{Officer, file_in, location, rows, state_of};
use crate::{
    helpers::{TestApp, spawn_app},
    notifications::ticket,
    web::{Member, PNG, good_fields},
};

/// An incident filed through the member form with one PNG as evidence.
struct WithEvidence {
    id: String,
    reference: String,
    /// The desk's download address of the evidence.
    evidence: String,
    /// The id of the committee's ticket.
    ticket: String,
}

async fn report_with_evidence(app: &TestApp, committee: &str) -> WithEvidence {
    let mut fields = good_fields();
    fields.retain(|(name, _)| *name != "reporter.committee");
    fields.push(("reporter.committee", committee));
    let response = Member::new(app)
        .report(&fields, vec![("anh-chup.png", PNG.to_vec())])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let summary = app
        .all_incidents()
        .await
        .into_iter()
        .find(|i| i["committee"] == committee)
        .expect("the report");
    let id = summary["id"].as_str().expect("id").to_owned();
    let reference = summary["reference"].as_str().expect("reference").to_owned();
    let detail = app.incident(&id).await;
    let ticket = ticket(&detail, committee)["id"]
        .as_str()
        .expect("ticket")
        .to_owned();
    // The admin's page names the file.
    let admin = Officer::new(app);
    let username = format!("root-{committee}");
    let password = app.create_officer(&username, Role::Admin, None).await;
    admin.sign_in(&username, &password).await;
    let page = admin.page(&format!("/desk/incidents/{reference}")).await;
    let marker = format!("href=\"/desk/incidents/{reference}/evidence/");
    let start = page.find(&marker).expect("an evidence link") + "href=\"".len();
    let evidence = page[start..].split('"').next().expect("link").to_owned();
    WithEvidence {
        id,
        reference,
        evidence,
        ticket,
    }
}

/// Every action form of the desk on `incident`, with the ticket `ticket` (the fields
/// each would need to succeed).
fn every_action(reference: &str, ticket: &str) -> Vec<(String, Vec<(&'static str, String)>)> {
    let at = |tail: &str| format!("/desk/incidents/{reference}{tail}");
    vec![
        (at("/status"), vec![("status", "in_progress".to_owned())]),
        (
            at("/note"),
            vec![
                ("text", "Ghi chú của ban khác".to_owned()),
                ("visibility", "shared".to_owned()),
            ],
        ),
        (at("/parties"), vec![("party", "cyber-police".to_owned())]),
        (at("/escalate"), vec![]),
        (at(&format!("/tickets/{ticket}/resend")), vec![]),
        (at(&format!("/tickets/{ticket}/test")), vec![]),
    ]
}

async fn post_each(
    officer: &Officer<'_>,
    actions: &[(String, Vec<(&'static str, String)>)],
    expected: StatusCode,
) {
    for (path, fields) in actions {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = officer.post_form(path, &fields).await;
        assert_eq!(r.status(), expected, "POST {path}");
    }
}

#[tokio::test]
async fn an_officer_of_one_committee_cannot_list_read_download_or_export_anothers_incidents() {
    let app = spawn_app().await;
    let theirs = report_with_evidence(&app, "hcm").await;
    let ours = report_with_evidence(&app, "hn-ba-dinh").await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;

    let queue = officer.page("/desk").await;
    assert_eq!(rows(&queue), [ours.reference.as_str()]);
    assert!(queue.contains("id=\"count-open\">1<"), "{queue}");
    assert!(!queue.contains("<option value=\"hcm\""), "{queue}");
    for query in [
        "committee=hcm".to_owned(),
        format!("q={}", theirs.reference),
        "status=open&committee=hcm".to_owned(),
    ] {
        assert!(rows(&officer.page(&format!("/desk?{query}")).await).is_empty());
    }

    for key in [
        theirs.reference.clone(),
        theirs.reference.to_lowercase(),
        theirs.id.clone(),
    ] {
        let r = officer.get(&format!("/desk/incidents/{key}")).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{key}");
        let html = r.text().await.expect("html");
        assert!(!html.contains("Nguyễn Thị Bình"), "{html}");
    }
    let r = officer.get(&theirs.evidence).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Nor under the address of an incident the officer may see.
    let file_id = theirs.evidence.rsplit('/').next().expect("id");
    let r = officer
        .get(&format!(
            "/desk/incidents/{}/evidence/{file_id}",
            ours.reference
        ))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let own = officer.get(&ours.evidence).await;
    assert_eq!(own.status(), StatusCode::OK);
    let headers = own.headers();
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"anh-chup.png\""
    );
    assert_eq!(headers["cache-control"], "no-store");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .expect("ascii")
            .contains("sandbox")
    );
    assert_eq!(&own.bytes().await.expect("bytes")[..], PNG);

    let csv = officer
        .get("/desk/export.csv")
        .await
        .text()
        .await
        .expect("csv");
    assert!(csv.contains(&ours.reference), "{csv}");
    assert!(!csv.contains(&theirs.reference), "{csv}");
    let csv = officer
        .get("/desk/export.csv?committee=hcm")
        .await
        .text()
        .await
        .expect("csv");
    assert_eq!(csv.lines().count(), 1, "the header only: {csv}");
}

#[tokio::test]
async fn an_officer_of_one_committee_cannot_act_on_anothers_incidents() {
    let app = spawn_app().await;
    let theirs = report_with_evidence(&app, "hcm").await;
    let ours = report_with_evidence(&app, "hn-ba-dinh").await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let before = (
        state_of(&app.incident(&theirs.id).await),
        state_of(&app.incident(&ours.id).await),
    );

    post_each(
        &officer,
        &every_action(&theirs.reference, &theirs.ticket),
        StatusCode::NOT_FOUND,
    )
    .await;
    post_each(
        &officer,
        &every_action(&theirs.id, &theirs.ticket),
        StatusCode::NOT_FOUND,
    )
    .await;
    // Their ticket under our incident's address.
    for action in ["resend", "test"] {
        let r = officer
            .post_form(
                &format!(
                    "/desk/incidents/{}/tickets/{}/{action}",
                    ours.reference, theirs.ticket
                ),
                &[],
            )
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{action}");
    }
    // Ticked in a bulk change: refused and counted.
    let r = officer
        .post_form(
            "/desk/bulk",
            &[
                ("action", "reject"),
                ("reason", "spam"),
                ("incident", &theirs.id),
            ],
        )
        .await;
    assert_eq!(location(&r), "/desk?changed=0&refused=1");
    // Named as the original of a duplicate: as if it did not exist.
    let r = officer
        .post_form(
            &format!("/desk/incidents/{}/status", ours.reference),
            &[
                ("status", "rejected"),
                ("reason", "duplicate"),
                ("duplicate_of", &theirs.reference),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let after = (
        state_of(&app.incident(&theirs.id).await),
        state_of(&app.incident(&ours.id).await),
    );
    assert_eq!(after, before);
}

#[tokio::test]
async fn an_officer_of_a_parent_committee_sees_and_acts_on_its_childrens_incidents() {
    let app = spawn_app().await;
    let (_, badinh) = file_in(&app, "hn-ba-dinh").await;
    let (ward_id, ward) = file_in(&app, "hn-ba-dinh-phuc-xa").await;
    let (_, city) = file_in(&app, "hn").await;
    let (hcm_id, hcm) = file_in(&app, "hcm-q1").await;

    let officer = Officer::create(&app, "hung.le", Role::Officer, Some("hn")).await;
    let mut listed = rows(&officer.page("/desk").await);
    listed.sort();
    let mut expected = vec![badinh.clone(), ward.clone(), city.clone()];
    expected.sort();
    assert_eq!(listed, expected);
    for reference in [&badinh, &ward, &city] {
        officer.page(&format!("/desk/incidents/{reference}")).await;
    }
    let r = officer.get(&format!("/desk/incidents/{hcm}")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let r = officer
        .post_form(
            &format!("/desk/incidents/{ward}/status"),
            &[("status", "in_progress")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.incident(&ward_id).await["status"], "in_progress");

    // A district officer does not see the city's own incidents.
    let district = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let mut listed = rows(&district.page("/desk").await);
    listed.sort();
    let mut expected = vec![badinh.clone(), ward.clone()];
    expected.sort();
    assert_eq!(listed, expected);
    let r = district.get(&format!("/desk/incidents/{city}")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let admin = Officer::create(&app, "root", Role::Admin, None).await;
    assert_eq!(rows(&admin.page("/desk").await).len(), 4);
    admin.page(&format!("/desk/incidents/{hcm}")).await;
    let r = admin
        .post_form(
            &format!("/desk/incidents/{hcm}/note"),
            &[("text", "Ban Thường trực đã xem.")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let detail = app.incident(&hcm_id).await;
    assert_eq!(
        super::last_event(&detail, "note.added")["actor"]["id"],
        "root"
    );
    let csv = admin
        .get("/desk/export.csv")
        .await
        .text()
        .await
        .expect("csv");
    assert_eq!(csv.lines().count(), 5, "{csv}");
}

#[tokio::test]
async fn a_viewer_reads_their_subtree_but_every_action_is_403_and_changes_nothing() {
    let app = spawn_app().await;
    let ours = report_with_evidence(&app, "hn-ba-dinh").await;
    let (_, theirs) = file_in(&app, "hcm").await;
    let viewer = Officer::create(&app, "xem.thoi", Role::Viewer, Some("hn-ba-dinh")).await;

    let queue = viewer.page("/desk").await;
    assert_eq!(rows(&queue), [ours.reference.as_str()]);
    assert!(!queue.contains("name=\"incident\""), "no ticking");
    assert!(!queue.contains("id=\"bulk-submit\""), "no bulk change");
    let detail = viewer
        .page(&format!("/desk/incidents/{}", ours.reference))
        .await;
    for form in [
        "id=\"status-form\"",
        "id=\"note-form\"",
        "id=\"party-form\"",
        "id=\"escalate-form\"",
        "/resend\"",
        "/test\"",
    ] {
        assert!(!detail.contains(form), "{form}");
    }
    let download = viewer.get(&ours.evidence).await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(
        viewer
            .get(&format!("/desk/incidents/{theirs}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let csv = viewer
        .get("/desk/export.csv")
        .await
        .text()
        .await
        .expect("csv");
    assert!(csv.contains(&ours.reference));

    let before = state_of(&app.incident(&ours.id).await);
    post_each(
        &viewer,
        &every_action(&ours.reference, &ours.ticket),
        StatusCode::FORBIDDEN,
    )
    .await;
    for action in ["close", "reject"] {
        let r = viewer
            .post_form(
                "/desk/bulk",
                &[
                    ("action", action),
                    ("reason", "spam"),
                    ("incident", &ours.id),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "bulk {action}");
    }
    assert_eq!(state_of(&app.incident(&ours.id).await), before);
}

#[tokio::test]
async fn an_action_without_a_valid_token_is_403_and_changes_nothing() {
    let app = spawn_app().await;
    let ours = report_with_evidence(&app, "hn-ba-dinh").await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let other = Officer::create(&app, "hung.le", Role::Officer, Some("hn-ba-dinh")).await;
    let foreign = other.token().await;
    let before = state_of(&app.incident(&ours.id).await);

    let mut actions = every_action(&ours.reference, &ours.ticket);
    actions.push((
        "/desk/bulk".to_owned(),
        vec![
            ("action", "reject".to_owned()),
            ("reason", "spam".to_owned()),
            ("incident", ours.id.clone()),
        ],
    ));
    for (path, fields) in &actions {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let missing = officer.post_raw(path, &fields).await;
        assert_eq!(missing.status(), StatusCode::FORBIDDEN, "POST {path}");
        let mut forged = fields.clone();
        forged.push(("csrf_token", &foreign));
        let r = officer.post_raw(path, &forged).await;
        assert_eq!(
            r.status(),
            StatusCode::FORBIDDEN,
            "POST {path}, foreign token"
        );
        let mut garbled = fields.clone();
        garbled.push(("csrf_token", "bm90LWEtdG9rZW4"));
        let r = officer.post_raw(path, &garbled).await;
        assert_eq!(
            r.status(),
            StatusCode::FORBIDDEN,
            "POST {path}, garbled token"
        );
    }
    assert_eq!(state_of(&app.incident(&ours.id).await), before);
}
