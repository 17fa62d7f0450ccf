//! `[retention]`: `serve` purges closed incidents on its own, and `check-config` checks
//! the section.

use super::{
    Cli, admin, close_on_the_desk, events, file_on_the_web, notifying_app, png, stored, wait_until,
};
use crate::{helpers::spawn_app, smtp::SmtpSink};

#[tokio::test]
async fn the_server_purges_closed_incidents_on_its_schedule() {
    let sink = SmtpSink::start().await;
    let (app, _a, _b) = notifying_app(
        &sink,
        "[retention]\npurge_closed_after = \"1s\"\npurge_interval = \"300ms\"\n",
    )
    .await;
    let (closed_file, open_file) = (png("scheduled closed"), png("scheduled open"));
    let (_, id, reference) = file_on_the_web(&app, ("dong.png", closed_file.clone())).await;
    let (_, open_id, _) = file_on_the_web(&app, ("mo.png", open_file.clone())).await;
    close_on_the_desk(&admin(&app).await, &reference, "Đã xử lý xong.").await;
    // Closed incidents wait for their notifications before they are purged.
    app.dispatch_until_idle().await;

    let purged = wait_until(&app, &id, |d| !events(d, "personal_data_purged").is_empty()).await;
    assert_eq!(purged["reporter"]["name"], "[redacted]");
    assert_eq!(purged["reporter"]["email"], serde_json::Value::Null);
    assert_eq!(purged["status"], "closed");
    assert!(!stored(app.evidence.path(), &closed_file));

    // A few more rounds change nothing more, and leave the open incident alone.
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    let later = app.incident(&id).await;
    assert_eq!(events(&later, "personal_data_purged").len(), 1);
    let open = app.incident(&open_id).await;
    assert_eq!(open["reporter"]["name"], "Nguyễn Thị Bình");
    assert!(events(&open, "personal_data_purged").is_empty());
    assert!(stored(app.evidence.path(), &open_file));
}

#[tokio::test]
async fn check_config_names_a_bad_retention_setting() {
    let app = spawn_app().await;
    let cli = Cli::with(
        &app.db.url,
        app.evidence.path(),
        "[retention]\npurge_closed_after = \"365d\"\npurge_interval = \"0s\"\n",
    );
    let out = cli.run(&["check-config"]).await;
    assert_eq!(out.status.code(), Some(2));
    let error = String::from_utf8_lossy(&out.stderr);
    assert!(
        error.contains("retention.purge_interval: must be longer than zero"),
        "{error}"
    );

    let cli = Cli::with(
        &app.db.url,
        app.evidence.path(),
        "[retention]\npurge_closed_after = \"365d\"\npurge_interval = \"24h\"\n",
    );
    let out = cli.ok(&["check-config"]).await;
    assert!(out.starts_with("configuration is valid"), "{out}");
}
