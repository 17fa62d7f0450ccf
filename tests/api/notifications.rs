use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, expect_status, spawn_app_with, ticket_parties, valid_incident},
    receiver::{Receiver, Reply},
    smtp::{SinkMode, SmtpSink},
};

pub const SECRET_A: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SECRET_B: &str = "whsec_O9hjB81RkWoaDP7b+fuv5j7WKLyY9Qtqhmm8e7K8Xe4=";
pub const WAIT: Duration = Duration::from_secs(15);

fn party(list: &str, id: &str, extra: &str) -> String {
    format!(
        "[[parties.{list}]]\nid = \"{id}\"\nname = {{ vi = \"{id}\", en = \"{id}\" }}\nack_deadline = \"4h\"\n{extra}\n"
    )
}

/// Parties of the default routing, with the committee `hn` (email and webhook A) and the
/// provider `meta` (email and webhook B) reachable on loopback.
pub fn parties(committee_hook: &str, provider_hook: &str, allow_loopback: bool) -> String {
    let mut toml = String::new();
    if !allow_loopback {
        toml.push_str("[webhooks]\nallow_networks = []\n");
    }
    toml += &party(
        "committees",
        "hn",
        &format!(
            "contacts.emails = [\"desk@hn.example.org\"]\ncontacts.webhooks = [{{ url = \"{committee_hook}\", secret = \"{SECRET_A}\" }}]"
        ),
    );
    toml += &party(
        "committees",
        "hn-ba-dinh",
        "parent = \"hn\"\ncontacts.emails = [\"ba-dinh@hn.example.org\"]",
    );
    toml += &party(
        "authorities",
        "cert",
        "contacts.emails = [\"ir@cert.example.org\"]",
    );
    toml += &party(
        "authorities",
        "cyber-police",
        "contacts.emails = [\"police@example.org\"]",
    );
    toml += &party(
        "providers",
        "meta",
        &format!(
            "locale = \"en\"\ncontacts.emails = [\"partners@meta.example.org\"]\ncontacts.webhooks = [{{ url = \"{provider_hook}\", secret = \"{SECRET_B}\" }}]"
        ),
    );
    for id in [
        "tiktok",
        "google",
        "zalo",
        "x-corp",
        "telegram",
        "web-abuse",
    ] {
        toml += &party(
            "providers",
            id,
            &format!("contacts.emails = [\"{id}@example.org\"]"),
        );
    }
    toml
}

/// An app whose dispatcher the test drives, with the parties of [`parties`].
pub async fn app_with(
    sink: &SmtpSink,
    committee_hook: &str,
    provider_hook: &str,
    allow_loopback: bool,
) -> TestApp {
    let overrides = format!(
        "{}\n[email]\nsmtp_url = \"{}\"\n",
        parties(committee_hook, provider_hook, allow_loopback),
        sink.url()
    );
    spawn_app_with(&overrides).await
}

/// As `app_with` with loopback allowed, plus more TOML (which may set `[dispatcher]`,
/// `[notifications]` or `[tickets]` keys, not `[email]`).
pub async fn app_with_extra(
    sink: &SmtpSink,
    committee_hook: &str,
    provider_hook: &str,
    extra: &str,
) -> TestApp {
    let overrides = format!(
        "{extra}\n{}\n[email]\nsmtp_url = \"{}\"\n",
        parties(committee_hook, provider_hook, true),
        sink.url()
    );
    spawn_app_with(&overrides).await
}

/// As `app_with_extra`, with the app's own dispatcher running in the background.
pub async fn background_app_with(
    sink: &SmtpSink,
    committee_hook: &str,
    provider_hook: &str,
    extra: &str,
) -> TestApp {
    let dispatcher = if extra.contains("[dispatcher]") {
        extra.replacen("[dispatcher]\n", "[dispatcher]\nenabled = true\n", 1)
    } else {
        format!("[dispatcher]\nenabled = true\n{extra}")
    };
    app_with_extra(sink, committee_hook, provider_hook, &dispatcher).await
}

pub fn report_for_hn() -> Value {
    let mut body = valid_incident();
    body["reporter"]["committee"] = json!("hn");
    body
}

/// Every delivery of every ticket of an incident's detail.
fn deliveries(detail: &Value) -> Vec<Value> {
    detail["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .flat_map(|t| t["deliveries"].as_array().expect("deliveries").clone())
        .collect()
}

/// Waits until every delivery of the incident has left `pending`, and returns the incident:
/// drives the app's dispatcher until it is idle, or polls while it works in the background.
pub async fn settled(app: &TestApp, id: &str) -> Value {
    let pending = |detail: &Value| {
        deliveries(detail)
            .into_iter()
            .any(|d| d["status"] == "pending")
    };
    if app.drives_dispatcher() {
        app.dispatch_until_idle().await;
        let detail = app.incident(id).await;
        assert!(!pending(&detail), "deliveries still pending: {detail:#}");
        return detail;
    }
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let detail = app.incident(id).await;
        if !pending(&detail) {
            return detail;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "deliveries still pending: {detail:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn ticket<'a>(detail: &'a Value, party: &str) -> &'a Value {
    detail["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .find(|t| t["party"] == party)
        .expect("ticket of party")
}

#[tokio::test]
async fn every_party_is_notified_by_signed_webhook_and_threaded_email() {
    let sink = SmtpSink::start().await;
    let a = Receiver::start(Reply::Status(200)).await;
    let b = Receiver::start(Reply::Status(204)).await;
    let app = app_with(&sink, &a.url, &b.url, true).await;
    let filed = app.file(&report_for_hn()).await;
    let id = filed["id"].as_str().expect("id");

    let detail = settled(&app, id).await;
    for t in detail["tickets"].as_array().expect("tickets") {
        assert_eq!(t["status"], "notified", "{t:#}");
        for d in t["deliveries"].as_array().expect("deliveries") {
            assert_eq!(d["status"], "delivered", "{d:#}");
            assert_eq!(d["attempts"], 1);
        }
    }
    let notified = detail["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["type"] == "ticket.notified")
        .count();
    assert_eq!(notified, 3);

    for (receiver, secret, party, role) in [
        (&a, SECRET_A, "hn", "committee"),
        (&b, SECRET_B, "meta", "provider"),
    ] {
        let got = receiver.wait_for(1, WAIT).await;
        assert_eq!(got.len(), 1);
        let hook = standardwebhooks::Webhook::new(secret).expect("secret");
        hook.verify(&got[0].body, &got[0].headers)
            .expect("a valid Standard Webhooks signature");
        let event: Value = serde_json::from_slice(&got[0].body).expect("json");
        assert_eq!(event["type"], "incident.reported");
        assert_eq!(event["data"]["incident"]["reference"], filed["reference"]);
        assert_eq!(event["data"]["ticket"]["party"], party);
        assert_eq!(event["data"]["ticket"]["role"], role);
        assert!(
            got[0].headers["webhook-id"]
                .to_str()
                .expect("id")
                .starts_with("msg_")
        );
    }
    // The reporter is sent a private tracking link, which is not kept in the outbox.
    let confirmation = sink
        .wait_for(4, WAIT)
        .await
        .into_iter()
        .find(|m| m.rcpt_to == ["an.nguyen@example.org"])
        .expect("confirmation");
    let id = filed["id"].as_str().expect("id");
    let text = confirmation
        .parsed()
        .body_text(0)
        .expect("text")
        .into_owned();
    assert!(text.contains(filed["reference"].as_str().expect("reference")));
    let start = text.find("http://127.0.0.1/track/").expect("tracking link");
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    assert!(link.len() > "http://127.0.0.1/track/".len() + 20, "{link}");
    let stored = app.incident(id).await;
    assert!(
        !stored.to_string().contains(&link[23..]),
        "the token is not stored or shown"
    );
    // Providers are not given the member's own contacts.
    let provider_event: Value = serde_json::from_slice(&b.received()[0].body).expect("json");
    assert!(
        provider_event["data"]["incident"]["reporter"]
            .get("email")
            .is_none()
    );

    let mails = sink.wait_for(4, WAIT).await;
    let mut recipients: Vec<String> = mails.iter().flat_map(|m| m.rcpt_to.clone()).collect();
    recipients.sort();
    assert_eq!(
        recipients,
        [
            "an.nguyen@example.org",
            "desk@hn.example.org",
            "ir@cert.example.org",
            "partners@meta.example.org"
        ]
    );
    for mail in mails
        .iter()
        .filter(|m| m.rcpt_to != ["an.nguyen@example.org"])
    {
        let parsed = mail.parsed();
        let subject = parsed.subject().expect("subject");
        assert!(
            subject.contains(filed["reference"].as_str().expect("reference")),
            "{subject}"
        );
        let message_id = parsed.message_id().expect("message id");
        assert!(
            message_id.starts_with("ticket-"),
            "the first message starts the party's thread: {message_id}"
        );
        let text = parsed.body_text(0).expect("text part");
        assert!(
            text.contains("/ack/"),
            "the acknowledge link is in the mail: {text}"
        );
        assert!(parsed.body_html(0).is_some(), "an HTML part");
    }
}

#[tokio::test]
async fn a_5xx_is_retried_until_the_endpoint_answers_2xx() {
    let sink = SmtpSink::start().await;
    let a = Receiver::start(Reply::Status(200)).await;
    a.script([Reply::Status(503), Reply::Status(500)]);
    let b = Receiver::start(Reply::Status(200)).await;
    let app = app_with(&sink, &a.url, &b.url, true).await;
    let filed = app.file(&report_for_hn()).await;
    let detail = settled(&app, filed["id"].as_str().expect("id")).await;
    let hn = ticket(&detail, "hn");
    let hook = hn["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .find(|d| d["channel"] == "webhook")
        .expect("webhook");
    assert_eq!(hook["status"], "delivered");
    assert_eq!(hook["attempts"], 3);
    let got = a.received();
    assert_eq!(got.len(), 3);
    let ids: Vec<&str> = got
        .iter()
        .map(|r| r.headers["webhook-id"].to_str().expect("id"))
        .collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "every retry carries the same webhook-id"
    );
    assert_eq!(got[0].body, got[2].body, "the same bytes on every attempt");
}

#[tokio::test]
async fn a_410_fails_the_delivery_and_disables_the_endpoint() {
    let sink = SmtpSink::start().await;
    let a = Receiver::start(Reply::Status(200)).await;
    let b = Receiver::start(Reply::Status(410)).await;
    let app = app_with(&sink, &a.url, &b.url, true).await;
    let filed = app.file(&report_for_hn()).await;
    let detail = settled(&app, filed["id"].as_str().expect("id")).await;
    let meta = ticket(&detail, "meta");
    let hook = meta["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .find(|d| d["channel"] == "webhook")
        .expect("webhook");
    assert_eq!(hook["status"], "failed");
    assert_eq!(hook["attempts"], 1, "no retry after 410");
    assert!(
        detail["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .any(|e| e["type"] == "webhook.endpoint_disabled")
    );
    assert_eq!(
        meta["status"], "notified",
        "the email still reached the provider"
    );

    // Later events to that endpoint are not sent.
    let second = app.file(&report_for_hn()).await;
    settled(&app, second["id"].as_str().expect("id")).await;
    assert_eq!(b.received().len(), 1);
}

#[tokio::test]
async fn webhooks_to_private_addresses_are_refused() {
    let sink = SmtpSink::start().await;
    let target = Receiver::start(Reply::Status(200)).await;
    let port = target
        .url
        .split(':')
        .nth(2)
        .expect("port")
        .split('/')
        .next()
        .expect("port")
        .to_owned();
    for (committee_hook, provider_hook) in [
        (target.url.clone(), format!("http://localhost:{port}/hook")),
        (
            format!("http://[::ffff:127.0.0.1]:{port}/hook"),
            format!("http://[::1]:{port}/hook"),
        ),
    ] {
        let app = app_with(&sink, &committee_hook, &provider_hook, false).await;
        let filed = app.file(&report_for_hn()).await;
        let detail = settled(&app, filed["id"].as_str().expect("id")).await;
        for party in ["hn", "meta"] {
            let hook = ticket(&detail, party)["deliveries"]
                .as_array()
                .expect("deliveries")
                .iter()
                .find(|d| d["channel"] == "webhook")
                .cloned()
                .expect("webhook");
            assert_eq!(hook["status"], "failed", "{hook:#}");
            let error = hook["last_error"].as_str().expect("error");
            assert!(error.contains("private or reserved"), "{error}");
        }
    }
    assert!(
        target.received().is_empty(),
        "nothing reached the private address"
    );
}

/// The provider `meta` reachable by webhook only, at `hook`.
fn provider_by_webhook_only(
    committee_hook: &str,
    hook: &str,
    sink: &SmtpSink,
    extra: &str,
) -> String {
    format!(
        "{extra}\n{}\n[email]\nsmtp_url = \"{}\"\n",
        parties(committee_hook, hook, false).replacen(
            "contacts.emails = [\"partners@meta.example.org\"]\n",
            "contacts.emails = []\n",
            1
        ),
        sink.url()
    )
}

#[tokio::test]
async fn a_target_the_guard_refuses_fails_at_once_and_the_committee_is_told() {
    let sink = SmtpSink::start().await;
    let committee = Receiver::start_on("127.0.0.2", Reply::Status(200)).await;
    let target = Receiver::start(Reply::Status(200)).await;
    let port = target
        .url
        .rsplit(':')
        .next()
        .expect("port")
        .split('/')
        .next()
        .expect("port")
        .to_owned();
    for refused in [
        format!("http://localhost:{port}/hook"),
        format!("http://[::127.0.0.1]:{port}/hook"),
    ] {
        // Loopback is refused, except the committee's own receiver's address.
        let overrides = provider_by_webhook_only(&committee.url, &refused, &sink, "").replacen(
            "allow_networks = []",
            "allow_networks = [\"127.0.0.2/32\"]",
            1,
        );
        let app = spawn_app_with(&overrides).await;
        let filed = app.file(&report_for_hn()).await;
        let id = filed["id"].as_str().expect("id");
        app.dispatch_once().await;
        let detail = app.incident(id).await;
        let meta = ticket(&detail, "meta");
        let hook = &meta["deliveries"][0];
        assert_eq!(
            hook["status"], "failed",
            "one attempt, then given up: {hook:#}"
        );
        assert_eq!(hook["attempts"], 1, "{hook:#}");
        let error = hook["last_error"].as_str().expect("error");
        assert!(error.contains("network guard"), "{error}");
        assert!(error.contains("private or reserved"), "{error}");
        assert_eq!(meta["status"], "failed", "{meta:#}");
        assert_eq!(
            crate::helpers::sample(&app.metrics().await, "webhook_targets_refused_total", &[]),
            Some(1.0),
            "the refusal is counted"
        );
        // The committee hears of the failed ticket as for any other.
        app.dispatch_until_idle().await;
        let told = committee.received().into_iter().any(|r| {
            let body: Value = serde_json::from_slice(&r.body).expect("json");
            body["type"] == "ticket.failed" && body["data"]["ticket"]["party"] == "meta"
        });
        assert!(told, "the committee's webhook got ticket.failed for meta");
    }
    assert!(
        target.received().is_empty(),
        "nothing reached the refused address"
    );
}

#[tokio::test]
async fn no_request_starts_after_an_endpoint_answered_410() {
    let sink = SmtpSink::start().await;
    let committee = Receiver::start(Reply::Status(200)).await;
    let gone = Receiver::start(Reply::After(Duration::from_millis(500), 410)).await;
    let extra = "[dispatcher]\nper_endpoint_concurrency = 8\n";
    let overrides = provider_by_webhook_only(&committee.url, &gone.url, &sink, extra).replacen(
        "allow_networks = []",
        "allow_networks = [\"127.0.0.0/8\"]",
        1,
    );
    let app = spawn_app_with(&overrides).await;
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(
            app.file(&report_for_hn()).await["id"]
                .as_str()
                .expect("id")
                .to_owned(),
        );
    }
    app.dispatch_until_idle().await;
    let arrived = gone.received();
    assert!(!arrived.is_empty());
    let first_answer = arrived[0].at + Duration::from_millis(500);
    let late: Vec<_> = arrived.iter().filter(|r| r.at >= first_answer).collect();
    assert!(
        late.is_empty(),
        "{} of {} requests started after the first 410 came back",
        late.len(),
        arrived.len()
    );
    assert!(arrived.len() <= 8, "{} requests", arrived.len());
    for id in &ids {
        let detail = app.incident(id).await;
        let meta = ticket(&detail, "meta");
        assert_eq!(meta["deliveries"][0]["status"], "failed", "{meta:#}");
        assert_eq!(
            meta["status"], "failed",
            "its only way in is gone: {meta:#}"
        );
    }
}

#[tokio::test]
async fn smtp_451_is_retried_and_550_fails() {
    let sink = SmtpSink::start().await;
    let a = Receiver::start(Reply::Status(200)).await;
    let b = Receiver::start(Reply::Status(200)).await;
    sink.set_mode(SinkMode::TempFail);
    let app = app_with(&sink, &a.url, &b.url, true).await;
    let filed = app.file(&report_for_hn()).await;
    let id = filed["id"].as_str().expect("id");
    app.dispatch_once().await;
    assert!(
        sink.deferred_to("ir@cert.example.org"),
        "no message to the authority was deferred"
    );
    sink.set_mode(SinkMode::Accept);
    let detail = settled(&app, id).await;
    let cert = ticket(&detail, "cert");
    let mail = &cert["deliveries"][0];
    assert_eq!(mail["status"], "delivered", "{mail:#}");
    assert!(mail["attempts"].as_i64().expect("attempts") >= 2);

    sink.set_mode(SinkMode::PermFail);
    let second = app.file(&report_for_hn()).await;
    let detail = settled(&app, second["id"].as_str().expect("id")).await;
    let cert = ticket(&detail, "cert");
    assert_eq!(cert["deliveries"][0]["status"], "failed");
    assert_eq!(cert["deliveries"][0]["attempts"], 1, "no retry after 5xx");
    assert_eq!(
        cert["status"], "failed",
        "every channel of the authority gave up"
    );
    assert!(
        detail["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .any(|e| e["type"] == "ticket.failed"),
        "the failure is on the timeline"
    );
}

#[tokio::test]
async fn a_receiver_that_hangs_does_not_delay_the_others() {
    let sink = SmtpSink::start().await;
    let hanging = Receiver::start(Reply::Hang).await;
    let fast = Receiver::start(Reply::Status(200)).await;
    let app = background_app_with(&sink, &hanging.url, &fast.url, "").await;
    let started = std::time::Instant::now();
    let filed_first = app.file(&report_for_hn()).await;
    for _ in 0..4 {
        app.file(&report_for_hn()).await;
    }
    fast.wait_for(5, Duration::from_secs(3)).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "healthy endpoint served in {:?}",
        started.elapsed()
    );
    // The hanging endpoint's attempts time out and wait at least a minute before the next.
    tokio::time::sleep(Duration::from_millis(2600)).await;
    let detail = app.incident(filed_first["id"].as_str().expect("id")).await;
    let hook = ticket(&detail, "hn")["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .find(|d| d["channel"] == "webhook")
        .cloned()
        .expect("webhook");
    assert_eq!(hook["status"], "pending", "{hook:#}");
    assert!(
        hook["last_error"]
            .as_str()
            .expect("error")
            .contains("timed out"),
        "{hook:#}"
    );
    let next =
        chrono::DateTime::parse_from_rfc3339(hook["next_attempt_at"].as_str().expect("time"))
            .expect("time");
    assert!(
        next.signed_duration_since(chrono::Utc::now()) > chrono::TimeDelta::seconds(50),
        "{hook:#}"
    );
    expect_status(
        app.client
            .get(app.url("/readyz"))
            .send()
            .await
            .expect("sent"),
        StatusCode::OK,
    )
    .await;
}

/// A filing hands its deliveries to the running dispatcher before it writes them, holding
/// a slot for each; a filing whose write fails must give those slots back.
#[tokio::test]
async fn a_filing_whose_write_fails_gives_back_the_slots_it_took_at_the_running_dispatcher() {
    use sea_orm::ConnectionTrait;

    let sink = SmtpSink::start().await;
    let a = Receiver::start(Reply::Status(200)).await;
    let b = Receiver::start(Reply::Status(200)).await;
    // Two sends at a time to each endpoint and to the mail server, and two more waiting:
    // room for one report's emails, which a failed filing that kept its slots would take
    // for good.
    let app = background_app_with(
        &sink,
        &a.url,
        &b.url,
        "[dispatcher]\nper_endpoint_concurrency = 2\n",
    )
    .await;
    let sent = |detail: &Value| {
        deliveries(detail)
            .into_iter()
            .map(|d| d["status"].as_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    // Once the dispatcher has found the queue empty, new deliveries go straight to it. A
    // filing that meets a claim in progress finds its slots taken and is queued instead, so
    // each hand-off is waited for over a few filings, every one of them delivered.
    let (detail, filings) = filed_until_handed_over(&app).await;
    let each = sent(&detail);
    assert!(each.iter().all(|s| s == "delivered"), "{detail:#}");
    let emails = deliveries(&detail)
        .into_iter()
        .filter(|d| d["channel"] == "email")
        .count();
    assert!(
        (2..=4).contains(&emails),
        "room for every email of a report, and no more: {detail:#}"
    );
    assert_eq!(a.received().len(), filings);
    let (a_before, b_before) = (a.received().len(), b.received().len());
    let filed_before = app.all_incidents().await.len();

    // The database refuses the deliveries' insert, after the rest of the filing's writes.
    let holder = app.db.database().await;
    let (refuse, allow) = if app.db.sqlite_path.is_some() {
        (
            "CREATE TRIGGER refuse_deliveries BEFORE INSERT ON deliveries \
             BEGIN SELECT RAISE(ABORT, 'deliveries refused'); END",
            "DROP TRIGGER refuse_deliveries",
        )
    } else {
        (
            "CREATE FUNCTION refuse_deliveries() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'deliveries refused'; END $$; \
             CREATE TRIGGER refuse_deliveries BEFORE INSERT ON deliveries \
             FOR EACH ROW EXECUTE FUNCTION refuse_deliveries()",
            "DROP TRIGGER refuse_deliveries ON deliveries",
        )
    };
    holder
        .conn()
        .execute_unprepared(refuse)
        .await
        .expect("refuse inserts");
    for _ in 0..2 {
        let refused = app.post_incident(&report_for_hn()).await;
        assert!(refused.status().is_server_error(), "{}", refused.status());
    }
    assert_eq!(
        app.all_incidents().await.len(),
        filed_before,
        "nothing of them kept"
    );
    holder
        .conn()
        .execute_unprepared(allow)
        .await
        .expect("allow inserts");

    // Every slot came back: a report's emails and webhooks are all sent, and still handed over.
    let (detail, filings) = filed_until_handed_over(&app).await;
    assert_eq!(sent(&detail).len(), each.len(), "{detail:#}");
    assert_eq!(a.received().len(), a_before + filings);
    assert_eq!(b.received().len(), b_before + filings);
}

/// While reports keep coming faster than their deliveries can be sent, new deliveries may
/// still go straight to the running dispatcher, but hold at most half of its slots while
/// others wait in the queue: the queue keeps the rest, so what was queued first is sent
/// while the reports still come, not once they stop.
#[tokio::test]
async fn queued_deliveries_are_sent_while_new_reports_keep_coming_faster_than_they_can_be_sent() {
    let sink = SmtpSink::start().await;
    // Two slots, and each webhook takes 300 ms: about six webhooks a second, fewer than the
    // reports below bring.
    let slow = Reply::After(Duration::from_millis(300), 200);
    let a = Receiver::start(slow.clone()).await;
    let b = Receiver::start(slow).await;
    let app = background_app_with(&sink, &a.url, &b.url, "[dispatcher]\nconcurrency = 2\n").await;
    let undelivered = |detail: &Value| {
        deliveries(detail)
            .into_iter()
            .filter(|d| d["status"] != "delivered")
            .count()
    };
    let file = || async {
        let filed = app.file(&report_for_hn()).await;
        filed["id"].as_str().expect("id").to_owned()
    };
    let mut first = Vec::new();
    for _ in 0..3 {
        first.push(file().await);
    }
    let mut later = Vec::new();
    loop {
        later.push(file().await);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut waiting = 0;
        for id in &first {
            waiting += undelivered(&app.incident(id).await);
        }
        if waiting == 0 {
            break;
        }
        assert!(
            later.len() < 100,
            "{waiting} deliveries of the first three reports still not delivered after {} more reports",
            later.len()
        );
    }
    // The reports did come faster than they could be sent: deliveries of the later ones wait.
    let mut waiting = 0;
    for id in &later {
        waiting += undelivered(&app.incident(id).await);
    }
    assert!(
        waiting > 0,
        "all {} later reports' deliveries were already sent: no queue to drain",
        later.len()
    );
}

/// Files reports one after another, each settled with every delivery delivered, until one
/// of them was handed over to the running dispatcher; that report's detail, and how many
/// were filed.
async fn filed_until_handed_over(app: &TestApp) -> (Value, usize) {
    let handed_over = |metrics: String| {
        crate::helpers::sample(&metrics, "deliveries_handed_over_total", &[]).unwrap_or(0.0)
    };
    let before = handed_over(app.metrics().await);
    for filings in 1..=20 {
        let filed = app.file(&report_for_hn()).await;
        let detail = settled(app, filed["id"].as_str().expect("id")).await;
        let undelivered = deliveries(&detail)
            .into_iter()
            .filter(|d| d["status"] != "delivered")
            .count();
        assert_eq!(undelivered, 0, "{detail:#}");
        if handed_over(app.metrics().await) > before {
            return (detail, filings);
        }
    }
    panic!("none of 20 filings had its deliveries handed over");
}

#[tokio::test]
async fn a_429_waits_at_least_a_minute_or_its_retry_after_and_redirects_are_not_followed() {
    let sink = SmtpSink::start().await;
    let elsewhere = Receiver::start(Reply::Status(200)).await;
    let a = Receiver::start(Reply::WithHeader(429, "Retry-After", "120".to_owned())).await;
    let b = Receiver::start(Reply::WithHeader(302, "Location", elsewhere.url.clone())).await;
    let app = app_with(&sink, &a.url, &b.url, true).await;
    let filed = app.file(&report_for_hn()).await;
    let id = filed["id"].as_str().expect("id");
    app.dispatch_once().await;
    a.wait_for(1, WAIT).await;
    b.wait_for(1, WAIT).await;
    let detail = app.incident(id).await;
    let hook = |party: &str| {
        ticket(&detail, party)["deliveries"]
            .as_array()
            .expect("deliveries")
            .iter()
            .find(|d| d["channel"] == "webhook")
            .cloned()
            .expect("webhook")
    };
    let (limited, redirected) = (hook("hn"), hook("meta"));
    assert!(
        limited["last_error"].is_string() && redirected["last_error"].is_string(),
        "attempts not recorded: {detail:#}"
    );
    let next = |d: &Value| {
        chrono::DateTime::parse_from_rfc3339(d["next_attempt_at"].as_str().expect("time"))
            .expect("rfc3339")
    };
    let wait = next(&limited).signed_duration_since(chrono::Utc::now());
    assert!(
        wait > chrono::TimeDelta::seconds(110),
        "429 with Retry-After: 120 waits about 120 s, got {wait}"
    );
    assert_eq!(limited["status"], "pending");
    assert!(
        redirected["last_error"]
            .as_str()
            .expect("error")
            .contains("redirects are not followed")
    );
    app.dispatch_until_idle().await;
    assert!(
        elsewhere.received().is_empty(),
        "the redirect target was never contacted"
    );
}

#[tokio::test]
async fn containment_and_status_changes_reach_every_party_webhook() {
    let sink = SmtpSink::start().await;
    let a = Receiver::start(Reply::Status(200)).await;
    let b = Receiver::start(Reply::Status(200)).await;
    let app = app_with(&sink, &a.url, &b.url, true).await;
    let filed = app.file(&report_for_hn()).await;
    let id = filed["id"].as_str().expect("id");
    settled(&app, id).await;
    expect_status(
        app.post_json(
            &format!("/api/v1/incidents/{id}/containment"),
            &json!({"state": "recovered"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        app.post_json(
            &format!("/api/v1/incidents/{id}/status"),
            &json!({"status": "in_progress"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    app.dispatch_until_idle().await;
    for (receiver, secret) in [(&a, SECRET_A), (&b, SECRET_B)] {
        let got = receiver.wait_for(3, WAIT).await;
        let hook = standardwebhooks::Webhook::new(secret).expect("secret");
        let types: Vec<String> = got
            .iter()
            .map(|r| {
                hook.verify(&r.body, &r.headers).expect("signed");
                let event: Value = serde_json::from_slice(&r.body).expect("json");
                event["type"].as_str().expect("type").to_owned()
            })
            .collect();
        assert!(
            types.contains(&"incident.containment_changed".to_owned()),
            "{types:?}"
        );
        assert!(
            types.contains(&"incident.status_changed".to_owned()),
            "{types:?}"
        );
    }
    let changed = a
        .received()
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).expect("json"))
        .find(|e| e["type"] == "incident.containment_changed")
        .expect("event");
    assert_eq!(changed["data"]["change"]["to"], "recovered");
    assert_eq!(
        changed["data"]["incident"]["containment"]["state"],
        "recovered"
    );
}

#[tokio::test]
async fn what_each_kind_of_party_is_told_is_configurable() {
    let sink = SmtpSink::start().await;
    let a = Receiver::start(Reply::Status(200)).await;
    let b = Receiver::start(Reply::Status(200)).await;
    let app = app_with_extra(
        &sink,
        &a.url,
        &b.url,
        "[notifications]\nreporter_contacts_for = [\"committee\", \"provider\"]\naccount_contacts_for = [\"committee\"]\n",
    )
    .await;
    app.file(&report_for_hn()).await;
    app.dispatch_until_idle().await;
    let got = b.wait_for(1, WAIT).await;
    let event: Value = serde_json::from_slice(&got[0].body).expect("json");
    let incident = &event["data"]["incident"];
    assert_eq!(incident["reporter"]["email"], "an.nguyen@example.org");
    assert!(incident["page"]["linked_email"].is_null(), "{incident:#}");
    let got = a.wait_for(1, WAIT).await;
    let event: Value = serde_json::from_slice(&got[0].body).expect("json");
    assert_eq!(
        event["data"]["incident"]["page"]["linked_email"],
        "page-admin@example.org"
    );
}

/// The reporter's confirmation of `filed`, once every delivery has left `pending`:
/// its subject, text part and HTML part.
async fn confirmation(app: &TestApp, sink: &SmtpSink, filed: &Value) -> (String, String, String) {
    settled(app, filed["id"].as_str().expect("id")).await;
    // One email to each party (each has one address), and the confirmation.
    let emails = filed["tickets"].as_array().expect("tickets").len() + 1;
    let mail = sink
        .wait_for(emails, WAIT)
        .await
        .into_iter()
        .find(|m| m.rcpt_to == ["an.nguyen@example.org"])
        .expect("confirmation");
    let parsed = mail.parsed();
    (
        parsed.subject().expect("subject").to_owned(),
        parsed.body_text(0).expect("text part").into_owned(),
        parsed.body_html(0).expect("HTML part").into_owned(),
    )
}

#[tokio::test]
async fn the_reporter_confirmation_is_written_in_the_language_the_member_chose() {
    let sink = SmtpSink::start().await;
    let a = Receiver::start(Reply::Status(200)).await;
    let b = Receiver::start(Reply::Status(200)).await;
    let app = app_with(&sink, &a.url, &b.url, true).await;
    let mut report = report_for_hn();
    report["reporter"]["locale"] = json!("en");
    let filed = app.file(&report).await;
    let reference = filed["reference"].as_str().expect("reference");

    let (subject, text, html) = confirmation(&app, &sink, &filed).await;
    assert_eq!(subject, format!("[{reference}] Incident report received"));
    for expected in [
        format!("We have received your incident report {reference}."),
        "Page: https://www.facebook.com/badinh.news".to_owned(),
        "Kind: hijacked".to_owned(),
        "We are notifying hn (your committee), cert (authority) and the platform meta by email and through their systems.".to_owned(),
        "http://127.0.0.1/track/".to_owned(),
    ] {
        assert!(text.contains(&expected), "text lacks {expected:?}:\n{text}");
    }
    assert!(html.contains("<html lang=\"en\">"), "{html}");
    assert!(html.contains(">Track the incident</a>"), "{html}");
    for vietnamese in ["Chúng tôi", "Trang:", "Loại sự cố", "bị chiếm quyền"] {
        assert!(
            !text.contains(vietnamese),
            "text shows {vietnamese:?}:\n{text}"
        );
        assert!(
            !html.contains(vietnamese),
            "html shows {vietnamese:?}:\n{html}"
        );
    }
}

#[tokio::test]
async fn the_reporter_confirmation_is_in_vietnamese_when_no_language_is_given() {
    let sink = SmtpSink::start().await;
    let a = Receiver::start(Reply::Status(200)).await;
    let b = Receiver::start(Reply::Status(200)).await;
    // The reporter's committee reads English, which must not decide the member's language.
    let parties = parties(&a.url, &b.url, true).replacen(
        "id = \"hn\"\n",
        "id = \"hn\"\nlocale = \"en\"\n",
        1,
    );
    let app = spawn_app_with(&format!(
        "{parties}\n[email]\nsmtp_url = \"{}\"\n",
        sink.url()
    ))
    .await;
    let filed = app.file(&report_for_hn()).await;
    let reference = filed["reference"].as_str().expect("reference");

    let (subject, text, html) = confirmation(&app, &sink, &filed).await;
    assert_eq!(subject, format!("[{reference}] Đã nhận báo cáo sự cố"));
    for expected in [
        format!("Chúng tôi đã nhận báo cáo sự cố {reference}."),
        "Trang: https://www.facebook.com/badinh.news".to_owned(),
        "Loại sự cố: bị chiếm quyền".to_owned(),
        "Chúng tôi đang thông báo cho hn (đơn vị của bạn), cert (cơ quan chức năng) và nền tảng meta qua email và hệ thống của các bên.".to_owned(),
        "http://127.0.0.1/track/".to_owned(),
    ] {
        assert!(text.contains(&expected), "text lacks {expected:?}:\n{text}");
    }
    assert!(html.contains("<html lang=\"vi\">"), "{html}");
    assert!(html.contains(">Theo dõi sự cố</a>"), "{html}");
    for english in ["We have received", "Page:", "Kind:", "hijacked"] {
        assert!(!text.contains(english), "text shows {english:?}:\n{text}");
        assert!(!html.contains(english), "html shows {english:?}:\n{html}");
    }
    let committee = sink
        .wait_for(4, WAIT)
        .await
        .into_iter()
        .find(|m| m.rcpt_to == ["desk@hn.example.org"])
        .expect("the committee's email");
    let committee_subject = committee.parsed().subject().expect("subject").to_owned();
    assert!(
        committee_subject.contains("Account incident"),
        "the committee is written to in English: {committee_subject}"
    );
    // The platform by its name, not by its code.
    assert!(
        committee_subject.ends_with(" — Facebook"),
        "{committee_subject}"
    );
}

#[tokio::test]
async fn a_report_that_reaches_no_authority_says_so_in_the_confirmation_and_its_email() {
    let sink = SmtpSink::start().await;
    let a = Receiver::start(Reply::Status(200)).await;
    let b = Receiver::start(Reply::Status(200)).await;
    // An organisation whose routing sends only high and critical reports to an authority.
    let app = spawn_app_with(&format!(
        "{}\n[[routing.authorities]]\nparty = \"cert\"\nmin_severity = \"high\"\n\n[email]\nsmtp_url = \"{}\"\n",
        parties(&a.url, &b.url, true),
        sink.url()
    ))
    .await;
    let mut report = report_for_hn();
    report["kind"] = json!("abnormal");
    report["severity"] = json!("low");
    report["reporter"]["locale"] = json!("en");
    let filed = app.file(&report).await;
    assert_eq!(ticket_parties(&filed), ["hn", "meta"]);

    let (_, text, html) = confirmation(&app, &sink, &filed).await;
    for expected in [
        "We are notifying hn (your committee) and the platform meta by email and through their systems.",
        "No authority was notified of this report: none is currently set to receive this kind of report.",
    ] {
        assert!(text.contains(expected), "text lacks {expected:?}:\n{text}");
        // Up to the first apostrophe, which the HTML part escapes.
        let head = expected.split('\'').next().unwrap_or_default();
        assert!(html.contains(head), "html lacks {head:?}:\n{html}");
    }
    assert!(!text.contains("cert"), "{text}");
}

#[tokio::test]
async fn the_members_confirmation_does_not_count_as_reaching_the_committee() {
    let sink = SmtpSink::start().await;
    let gone = Receiver::start(Reply::Status(410)).await;
    let provider = Receiver::start(Reply::Status(200)).await;
    // The committee is reachable by webhook only, and that endpoint is gone; the member's
    // confirmation, queued on the committee's ticket, is delivered by email.
    let overrides = format!(
        "{}\n[email]\nsmtp_url = \"{}\"\n",
        parties(&gone.url, &provider.url, true).replacen(
            "contacts.emails = [\"desk@hn.example.org\"]\n",
            "contacts.emails = []\n",
            1
        ),
        sink.url()
    );
    let app = spawn_app_with(&overrides).await;
    let filed = app.file(&report_for_hn()).await;
    let detail = settled(&app, filed["id"].as_str().expect("id")).await;
    let hn = ticket(&detail, "hn");
    let deliveries = hn["deliveries"].as_array().expect("deliveries");
    let confirmation = deliveries
        .iter()
        .find(|d| d["event_type"] == "reporter.confirmation")
        .expect("the confirmation");
    assert_eq!(confirmation["status"], "delivered");
    assert!(
        deliveries
            .iter()
            .filter(|d| d["event_type"] != "reporter.confirmation")
            .all(|d| d["status"] == "failed"),
        "{deliveries:#?}"
    );
    assert_eq!(hn["status"], "failed", "the committee was never reached");
    assert!(
        !detail["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .any(|e| e["type"] == "ticket.notified" && e["data"]["party"] == "hn"),
        "no notified entry for the committee"
    );
}
