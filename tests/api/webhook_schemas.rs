//! The webhook contract as published: the service is driven to send every event type,
//! and each body that reaches a real endpoint is checked against its schema in the served
//! OpenAPI document.

use std::collections::BTreeSet;

use incident_desk::domain::Named;
use incident_desk::domain::{access::Role, webhook::EventType};
use jsonschema::{Draft, Validator};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    desk::Officer,
    helpers::{TestApp, expect_status, spawn_app_with},
    notifications::{SECRET_A, WAIT, parties, report_for_hn, settled, ticket},
    receiver::{Receiver, Reply},
    smtp::{SinkMode, SmtpSink},
    web::Member,
};

/// The default parties with the police reachable by webhook, and two deadlines short
/// enough to pass during the test: the district committee's (escalated to `hn`) and the
/// police's (reminded).
fn config(committee: &Receiver, provider: &Receiver, police: &Receiver, sink: &SmtpSink) -> String {
    let deadline = |id: &str| {
        format!("id = \"{id}\"\nname = {{ vi = \"{id}\", en = \"{id}\" }}\nack_deadline = ")
    };
    let police_contacts = "contacts.emails = [\"police@example.org\"]";
    let config = parties(&committee.url, &provider.url, true)
        .replacen(
            &format!("{}\"4h\"", deadline("hn-ba-dinh")),
            &format!("{}\"1s\"", deadline("hn-ba-dinh")),
            1,
        )
        .replacen(
            &format!("{}\"4h\"", deadline("cyber-police")),
            &format!("{}\"1s\"", deadline("cyber-police")),
            1,
        )
        .replacen(
            police_contacts,
            &format!(
                "{police_contacts}\ncontacts.webhooks = [{{ url = \"{}\", secret = \"{SECRET_A}\" }}]",
                police.url
            ),
            1,
        );
    assert_eq!(config.matches("ack_deadline = \"1s\"").count(), 2);
    assert!(config.contains(&police.url));
    format!("{config}\n[email]\nsmtp_url = \"{}\"\n", sink.url())
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("id").to_owned()
}

/// Every body received so far, as JSON.
fn bodies(receivers: &[&Receiver]) -> Vec<Value> {
    receivers
        .iter()
        .flat_map(|r| r.received())
        .map(|r| serde_json::from_slice(&r.body).expect("a JSON body"))
        .collect()
}

fn types(bodies: &[Value]) -> BTreeSet<String> {
    bodies
        .iter()
        .map(|b| b["type"].as_str().expect("type").to_owned())
        .collect()
}

/// Steps the dispatcher (each step also sweeps deadlines) until every type of `expected`
/// has reached an endpoint; returns every body. The two 1 s deadlines pass meanwhile.
async fn every_type_received(
    app: &TestApp,
    receivers: &[&Receiver],
    expected: &BTreeSet<String>,
) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + WAIT * 2;
    loop {
        app.dispatch_once().await;
        let got = bodies(receivers);
        let seen = types(&got);
        let missing: Vec<&String> = expected.difference(&seen).collect();
        if missing.is_empty() {
            return got;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never sent: {missing:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Marks every object schema of the document closed, so that a field sent but not
/// published fails validation too.
pub fn closed(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            if object.contains_key("properties") && !object.contains_key("additionalProperties") {
                object.insert("additionalProperties".to_owned(), json!(false));
            }
            object.values_mut().for_each(closed);
        }
        Value::Array(items) => items.iter_mut().for_each(closed),
        _ => {}
    }
}

/// A validator for the schema at `reference` (`#/components/schemas/..`) in `components`.
pub fn validator(components: &Value, reference: &str) -> Validator {
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .build(&json!({ "$ref": reference, "components": components }))
        .unwrap_or_else(|e| panic!("{reference} compiles: {e}"))
}

pub fn problems(validator: &Validator, body: &Value) -> Vec<String> {
    validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

async fn post_ok(app: &TestApp, key: Option<&str>, path: &str, body: Value) {
    let response = match key {
        Some(key) => app.post_json_as(key, path, &body).await,
        None => app.post_json(path, &body).await,
    };
    expect_status(response, StatusCode::OK).await;
}

#[tokio::test]
async fn every_webhook_event_the_service_sends_matches_its_published_schema() {
    let sink = SmtpSink::start().await;
    let committee = Receiver::start(Reply::Status(200)).await;
    let provider = Receiver::start(Reply::Status(200)).await;
    let police = Receiver::start(Reply::Status(200)).await;
    // The provider's endpoint fails the first report's whole schedule, until re-sent.
    provider.script(vec![Reply::Status(500); 4]);
    let app = spawn_app_with(&config(&committee, &provider, &police, &sink)).await;

    let doc = expect_status(
        app.client
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .expect("sent"),
        StatusCode::OK,
    )
    .await;
    let mapping = doc["components"]["schemas"]["WebhookEvent"]["discriminator"]["mapping"]
        .as_object()
        .expect("WebhookEvent maps each type to its schema")
        .clone();
    let published: BTreeSet<String> = mapping.keys().cloned().collect();
    let variants: BTreeSet<String> = EventType::ALL
        .iter()
        .map(|t| t.as_str().to_owned())
        .collect();
    assert_eq!(published, variants, "every event type is published");

    // Filed through the API: each routed party is told, the provider once re-sent.
    let filed = app.file(&report_for_hn()).await;
    let id = id_of(&filed);
    let reference = filed["reference"].as_str().expect("reference").to_owned();
    let detail = settled(&app, &id).await;
    let (hn, cert, meta) = (
        id_of(ticket(&detail, "hn")),
        id_of(ticket(&detail, "cert")),
        id_of(ticket(&detail, "meta")),
    );
    let body = expect_status(
        app.post_json(&format!("/api/v1/tickets/{meta}/redeliver"), &json!({}))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["requeued"], 1, "the provider's webhook had failed");
    settled(&app, &id).await;

    // Filed from the web with evidence in the district, whose committee lets its deadline
    // pass: the city committee is escalated to.
    Member::new(&app).file_report().await;

    // From the desk: a test notification, and the police added (and later reminded).
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn")).await;
    for (path, fields) in [
        (
            format!("/desk/incidents/{reference}/tickets/{hn}/test"),
            vec![],
        ),
        (
            format!("/desk/incidents/{reference}/parties"),
            vec![("party", "cyber-police")],
        ),
    ] {
        let r = officer.post_form(&path, &fields).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
    }

    // The parties answer; the committee hears of each answer.
    let cert_key = app.create_party_key("cert").await;
    let meta_key = app.create_party_key("meta").await;
    let answer = |ticket: &str, action: &str| format!("/api/v1/tickets/{ticket}/{action}");
    post_ok(
        &app,
        Some(&cert_key),
        &answer(&cert, "acknowledge"),
        json!({"external_ref": "CERT-2026-0001"}),
    )
    .await;
    post_ok(&app, Some(&cert_key), &answer(&cert, "resolve"), json!({})).await;
    post_ok(
        &app,
        Some(&meta_key),
        &answer(&meta, "reject"),
        json!({"note": "Not our platform."}),
    )
    .await;

    // A conversation: an officer writes to the provider, the provider answers by API.
    expect_status(
        app.post_json(
            &format!("/api/v1/tickets/{meta}/messages"),
            &json!({"subject": "Page restored?", "body": "Please confirm."}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    expect_status(
        app.post_json_as(
            &meta_key,
            &format!("/api/v1/tickets/{meta}/messages"),
            &json!({"body": "Confirmed."}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;

    // Containment and status change, with and without a time and a reason.
    let incident = |action: &str| format!("/api/v1/incidents/{id}/{action}");
    for (action, body) in [
        ("containment", json!({"state": "lost_control"})),
        ("containment", json!({"state": "recovered"})),
        ("status", json!({"status": "in_progress"})),
        ("status", json!({"status": "rejected", "reason": "spam"})),
    ] {
        post_ok(&app, None, &incident(action), body).await;
    }
    expect_status(
        app.post_json(
            &incident("notes"),
            &json!({"text": "Called the member.", "visibility": "shared"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;

    // Every channel of the authority gives up: the committee is told.
    sink.set_mode(SinkMode::PermFail);
    app.file(&report_for_hn()).await;

    // An endpoint of the committee is checked: `endpoint.test`.
    let endpoints = expect_status(
        app.get("/api/v1/parties/hn/endpoints").await,
        StatusCode::OK,
    )
    .await;
    let endpoint = endpoints["data"][0]["id"]
        .as_str()
        .expect("an endpoint of hn");
    post_ok(
        &app,
        None,
        &format!("/api/v1/parties/hn/endpoints/{endpoint}/test"),
        json!({}),
    )
    .await;

    let receivers = [&committee, &provider, &police];
    let sent = every_type_received(&app, &receivers, &published).await;
    assert_eq!(types(&sent), published, "nothing unpublished is sent");
    let reported_with = |pointer: &str| {
        sent.iter()
            .any(|b| b["type"] == "incident.reported" && b.pointer(pointer).is_some())
    };
    assert!(
        reported_with("/data/incident/evidence"),
        "a report with evidence"
    );
    assert!(
        reported_with("/data/added_by"),
        "a party added from the desk"
    );

    let published_schemas = &doc["components"];
    let mut closed_schemas = published_schemas.clone();
    closed(&mut closed_schemas);
    let any = validator(published_schemas, "#/components/schemas/WebhookEvent");
    let mut failures = Vec::new();
    for body in &sent {
        let kind = body["type"].as_str().expect("type");
        let reference = mapping[kind].as_str().expect("a schema reference");
        for (schema, check) in [
            ("WebhookEvent", &any),
            (reference, &validator(&closed_schemas, reference)),
        ] {
            for problem in problems(check, body) {
                failures.push(format!("{kind} against {schema}: {problem}\n{body:#}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));

    // The schemas do refuse what breaks the contract.
    let first = sent
        .iter()
        .find(|b| b["type"] == "incident.reported")
        .expect("a report");
    let reported = validator(
        &closed_schemas,
        mapping["incident.reported"].as_str().expect("reference"),
    );
    let breaks: [fn(&mut Value); 5] = [
        |b: &mut Value| b["data"]["incident"]["severity"] = json!("apocalyptic"),
        |b: &mut Value| b["data"]["ticket"] = json!(null),
        |b: &mut Value| b["data"]["incident"]["surprise"] = json!(true),
        |b: &mut Value| b["type"] = json!("ticket.reminder"),
        |b: &mut Value| b["timestamp"] = json!("yesterday"),
    ];
    for broken in breaks {
        let mut body = first.clone();
        broken(&mut body);
        assert!(!reported.is_valid(&body), "accepted {body:#}");
    }
}
