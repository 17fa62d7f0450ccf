//! `incident-desk backup`: an online copy of the SQLite database and the evidence folder,
//! from which a new service starts with the same incidents; on PostgreSQL, a clear refusal.

use std::collections::BTreeSet;

use reqwest::StatusCode;

use super::{Cli, file_on_the_web, png, stored};
use crate::{
    helpers::{spawn_app, valid_incident},
    process::{ServiceProcess, create_key},
};

#[tokio::test]
async fn a_backup_taken_while_serving_restores_the_same_incidents_and_evidence() {
    let app = spawn_app().await;
    let cli = Cli::new(&app);
    let dir = tempfile::tempdir().expect("dir");
    // A quote and a space in the name, which the SQL must carry safely.
    let file = dir.path().join("it's a backup.db");
    let copy = dir.path().join("it's a backup.db.evidence");
    let path = file.to_str().expect("utf-8 path");

    if app.db.sqlite_path.is_none() {
        let error = cli.refused(&["backup", path]).await;
        assert!(error.contains("PostgreSQL"), "{error}");
        assert!(error.contains("pg_dump -Fc"), "{error}");
        assert!(!file.exists() && !copy.exists(), "nothing is written");
        return;
    }

    let (first, second) = (png("backup one"), png("backup two"));
    let (token, _, _) = file_on_the_web(&app, ("mot.png", first.clone())).await;
    file_on_the_web(&app, ("hai.png", second.clone())).await;
    app.file(&valid_incident()).await;
    let references: BTreeSet<String> = app
        .all_incidents()
        .await
        .iter()
        .map(|i| i["reference"].as_str().expect("reference").to_owned())
        .collect();
    assert_eq!(references.len(), 3);

    let out = cli.ok(&["backup", path]).await;
    assert!(out.contains(&format!("database: {path} (")), "{out}");
    assert!(
        out.contains(&format!("evidence: {}/ (2 files, ", copy.display())),
        "{out}"
    );
    assert!(stored(&copy, &first) && stored(&copy, &second));
    assert!(
        !copy.join("tmp").exists(),
        "uploads in progress are not copied"
    );

    let error = cli.refused(&["backup", path]).await;
    assert!(error.contains("already exists"), "{error}");

    // Restore: the copy where a new service's database.url points, the folder at its
    // evidence.dir.
    let restored = dir.path().join("restored.db");
    std::fs::rename(&file, &restored).expect("move the copy into place");
    let config = Cli::with(
        &format!("sqlite://{}?mode=rwc", restored.display()),
        &copy,
        "",
    );
    let key = create_key(&config.config).await;
    let service = ServiceProcess::start(&config.config).await;
    let client = reqwest::Client::new();
    let page: serde_json::Value = client
        .get(format!("{}/api/v1/incidents?limit=200", service.address))
        .bearer_auth(&key)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let restored_references: BTreeSet<String> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["reference"].as_str().expect("reference").to_owned())
        .collect();
    assert_eq!(restored_references, references);
    let tracking = client
        .get(format!("{}/track/{token}", service.address))
        .send()
        .await
        .expect("sent");
    assert_eq!(tracking.status(), StatusCode::OK);
    assert!(tracking.text().await.expect("html").contains("mot.png"));
}
