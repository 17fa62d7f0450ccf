use chrono::{DateTime, Utc};
use sea_orm::EntityTrait;
use uuid::Uuid;

use crate::{
    helpers::fresh_database,
    notifications::{app_with, report_for_hn, settled},
    receiver::{Receiver, Reply},
    smtp::SmtpSink,
};
use incident_desk::{
    config::DatabaseSettings,
    storage::{Database, entities::first_delivery},
};

#[tokio::test]
async fn migrations_go_up_down_and_up_again() {
    let test_db = fresh_database().await;
    let db = Database::connect(&DatabaseSettings {
        url: test_db.url.clone().into(),
        max_connections: 2,
        wait: std::time::Duration::from_secs(10),
    })
    .await
    .expect("connect");
    db.migrate_up().await.expect("up");
    assert!(
        db.migration_status()
            .await
            .expect("status")
            .iter()
            .all(|m| m.applied)
    );
    assert!(db.readiness().await.is_ok());
    db.migrate_down(None).await.expect("down");
    assert!(
        db.migration_status()
            .await
            .expect("status")
            .iter()
            .all(|m| !m.applied)
    );
    assert!(db.readiness().await.is_err());
    db.migrate_up().await.expect("up again");
    assert!(db.readiness().await.is_ok());
}

/// When the incident was filed and when its first delivery to a party arrived, as the
/// database holds them.
async fn first_arrival(db: &Database, incident: &str) -> Option<first_delivery::Model> {
    let id: Uuid = incident.parse().expect("an incident id");
    first_delivery::Entity::find_by_id(id)
        .one(db.conn())
        .await
        .expect("read first_deliveries")
}

#[tokio::test]
async fn an_upgrade_records_the_first_arrival_of_incidents_delivered_before_it() {
    let sink = SmtpSink::start().await;
    let committee = Receiver::start(Reply::Status(200)).await;
    let provider = Receiver::start(Reply::Status(204)).await;
    let app = app_with(&sink, &committee.url, &provider.url, true).await;
    let id = app.file(&report_for_hn()).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let detail = settled(&app, &id).await;
    let earliest = detail["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .flat_map(|t| t["deliveries"].as_array().expect("deliveries"))
        .filter(|d| d["status"] == "delivered" && d["event_type"] != "reporter.confirmation")
        .map(|d| {
            DateTime::parse_from_rfc3339(d["delivered_at"].as_str().expect("delivered_at"))
                .expect("a time")
                .with_timezone(&Utc)
        })
        .min()
        .expect("a delivery to a party arrived");
    let db = app.database().await;
    let recorded = first_arrival(&db, &id)
        .await
        .expect("recorded by the batch that brought it");
    assert_eq!(recorded.delivered_at, earliest);
    let filed = DateTime::parse_from_rfc3339(detail["created_at"].as_str().expect("created_at"))
        .expect("a time");
    assert_eq!(recorded.filed_at, filed);

    db.migrate_down(Some(1)).await.expect("down");
    db.migrate_up().await.expect("up");
    assert_eq!(first_arrival(&db, &id).await, Some(recorded));
}
