use crate::helpers::fresh_database;
use incident_desk::{config::DatabaseSettings, storage::Database};

#[tokio::test]
async fn migrations_go_up_down_and_up_again() {
    let test_db = fresh_database().await;
    let db = Database::connect(&DatabaseSettings {
        url: test_db.url.clone().into(),
        max_connections: 2,
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
