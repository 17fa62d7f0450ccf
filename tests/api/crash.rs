use std::{collections::HashSet, time::Duration};

use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    helpers::{expect_status, fresh_database},
    notifications::{parties, report_for_hn},
    process::{ServiceProcess, create_key, write_config},
    receiver::{Receiver, Reply},
    smtp::SmtpSink,
};

fn config(db_url: &str, smtp: &str, hook: &str, lease: &str) -> String {
    format!(
        r#"public_base_url = "http://127.0.0.1"
[server]
host = "127.0.0.1"
port = 0
workers = 1
[database]
url = "{db_url}"
max_connections = 4
[email]
smtp_url = "{smtp}"
timeout = "2s"
[webhooks]
connect_timeout = "1s"
timeout = "2s"
allow_networks = ["127.0.0.0/8"]
[dispatcher]
enabled = true
poll_interval = "100ms"
lease = "{lease}"
schedule = ["0s", "200ms", "200ms", "200ms", "200ms", "200ms"]
jitter = 0.0
{}"#,
        parties(hook, hook, true)
    )
}

async fn post(client: &reqwest::Client, address: &str, key: &str) -> Value {
    // A phone-only reporter: no confirmation email, five deliveries per report.
    let mut report = report_for_hn();
    report["reporter"] =
        serde_json::json!({ "name": "An", "phone": "0912345678", "committee": "hn" });
    let r = client
        .post(format!("{address}/api/v1/incidents"))
        .bearer_auth(key)
        .json(&report)
        .send()
        .await
        .expect("sent");
    expect_status(r, StatusCode::CREATED).await
}

fn webhook_ids(receiver: &Receiver) -> Vec<String> {
    receiver
        .received()
        .iter()
        .map(|r| r.headers["webhook-id"].to_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn deliveries_claimed_by_a_killed_process_arrive_after_restart_with_their_ids() {
    let db = fresh_database().await;
    let sink = SmtpSink::start().await;
    let hook = Receiver::start(Reply::Hang).await;
    let dir = tempfile::tempdir().expect("dir");
    let path = write_config(dir.path(), &config(&db.url, &sink.url(), &hook.url, "5s"));
    let key = create_key(&path).await;
    let client = reqwest::Client::new();

    let first = ServiceProcess::start(&path).await;
    let filed = post(&client, &first.address, &key).await;
    // Both webhooks are claimed and in flight: the receiver holds them without answering.
    hook.wait_for(2, Duration::from_secs(10)).await;
    let before: HashSet<String> = webhook_ids(&hook).into_iter().collect();
    assert_eq!(before.len(), 2);
    first.kill9().await;

    hook.set_default(Reply::Status(200));
    let second = ServiceProcess::start(&path).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let detail = loop {
        let r = client
            .get(format!(
                "{}/api/v1/incidents/{}",
                second.address,
                filed["id"].as_str().expect("id")
            ))
            .bearer_auth(&key)
            .send()
            .await
            .expect("sent");
        let detail = expect_status(r, StatusCode::OK).await;
        let all_delivered = detail["tickets"]
            .as_array()
            .expect("tickets")
            .iter()
            .flat_map(|t| t["deliveries"].as_array().expect("deliveries").clone())
            .all(|d| d["status"] == "delivered");
        if all_delivered {
            break detail;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not delivered after restart: {detail:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let after: HashSet<String> = webhook_ids(&hook).into_iter().collect();
    assert_eq!(
        after, before,
        "the re-sent webhooks carry their original webhook-id"
    );
    for t in detail["tickets"].as_array().expect("tickets") {
        for d in t["deliveries"].as_array().expect("deliveries") {
            if d["channel"] == "webhook" {
                assert_eq!(d["attempts"], 2, "the killed attempt counts: {d:#}");
            }
        }
    }
    second.kill9().await;
}

#[tokio::test]
async fn two_processes_share_a_thousand_deliveries_each_arriving_once() {
    let db = fresh_database().await;
    let sink = SmtpSink::start().await;
    let hook = Receiver::start(Reply::Status(200)).await;
    let dir = tempfile::tempdir().expect("dir");
    let path = write_config(dir.path(), &config(&db.url, &sink.url(), &hook.url, "60s"));
    let key = create_key(&path).await;
    let client = reqwest::Client::new();
    let one = ServiceProcess::start(&path).await;
    let two = ServiceProcess::start(&path).await;
    // 200 reports x (3 emails + 2 webhooks) = 1,000 deliveries, filed through both.
    for i in 0..200 {
        let address = if i % 2 == 0 {
            &one.address
        } else {
            &two.address
        };
        post(&client, address, &key).await;
    }
    let hooks = hook.wait_for(400, Duration::from_secs(60)).await;
    sink.wait_for(600, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ids: Vec<String> = webhook_ids(&hook);
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(
        ids.len(),
        400,
        "every webhook once ({} arrived)",
        hooks.len()
    );
    assert_eq!(unique.len(), 400);
    let mails = sink.messages().await;
    assert_eq!(
        mails.len(),
        600,
        "every email once ({} arrived)",
        mails.len()
    );
    let message_ids: HashSet<String> = mails
        .iter()
        .map(|m| m.parsed().message_id().expect("id").to_owned())
        .collect();
    assert_eq!(message_ids.len(), 600);
    one.kill9().await;
    two.kill9().await;
}
