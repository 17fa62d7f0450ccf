//! `incident-desk members import` as an administrator runs it: the built binary on a
//! config file and a fresh database; what it wrote read back from the database.

use sea_orm::{ConnectionTrait, Statement};
use tokio::process::Command;

use crate::{
    helpers::{TestDb, fresh_database},
    process::{binary, write_config},
};

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

async fn import(db: &TestDb, dir: &std::path::Path, csv: &str, flags: &[&str]) -> Run {
    let config = write_config(
        dir,
        &format!(
            "public_base_url = \"http://127.0.0.1\"\n[database]\nurl = \"{}\"\nmax_connections = 4\n",
            db.url
        ),
    );
    let file = dir.join("members.csv");
    std::fs::write(&file, csv).expect("write the roster");
    let out = Command::new(binary())
        .arg("--config")
        .arg(&config)
        .args(["members", "import"])
        .arg(&file)
        .args(flags)
        .env("INCIDENT_DESK__LOGGING__LEVEL", "warn")
        .output()
        .await
        .expect("run members import");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// (email, committee, confirmed) of every member, by email.
async fn members(db: &TestDb) -> Vec<(String, Option<String>, bool)> {
    let conn = sea_orm::Database::connect(db.url.as_str())
        .await
        .expect("connect");
    let rows = conn
        .query_all_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT email, committee_id, committee_confirmed_at IS NOT NULL AS confirmed \
             FROM members ORDER BY email",
        ))
        .await
        .expect("members");
    rows.iter()
        .map(|r| {
            (
                r.try_get::<String>("", "email").expect("email"),
                r.try_get::<Option<String>>("", "committee_id")
                    .expect("committee"),
                r.try_get::<bool>("", "confirmed").expect("confirmed"),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_roster_is_imported_once_and_a_bad_file_writes_nothing() {
    let db = fresh_database().await;
    let dir = tempfile::tempdir().expect("dir");
    let roster =
        "email,committee,name\nLan@Example.org,hn-ba-dinh,Lan\nminh@example.org,hcm-q1,Minh\n";

    let dry = import(&db, dir.path(), roster, &["--dry-run"]).await;
    assert_eq!(dry.code, Some(0), "{} {}", dry.stdout, dry.stderr);
    assert!(
        dry.stdout.contains("dry run, nothing written: 2 created"),
        "{}",
        dry.stdout
    );
    assert!(members(&db).await.is_empty());

    let run = import(&db, dir.path(), roster, &[]).await;
    assert_eq!(run.code, Some(0), "{} {}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("+ lan@example.org hn-ba-dinh"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("imported: 2 created, 0 moved or confirmed, 0 unchanged")
    );
    assert_eq!(
        members(&db).await,
        vec![
            (
                "lan@example.org".to_owned(),
                Some("hn-ba-dinh".to_owned()),
                true
            ),
            (
                "minh@example.org".to_owned(),
                Some("hcm-q1".to_owned()),
                true
            ),
        ]
    );

    let again = import(&db, dir.path(), roster, &[]).await;
    assert!(
        again
            .stdout
            .contains("nothing to change: 0 created, 0 moved or confirmed, 2 unchanged"),
        "{}",
        again.stdout
    );

    let moved = import(
        &db,
        dir.path(),
        "email,committee\nminh@example.org,hn-cau-giay\n",
        &[],
    )
    .await;
    assert!(
        moved
            .stdout
            .contains("~ minh@example.org: committee: hcm-q1 -> hn-cau-giay"),
        "{}",
        moved.stdout
    );

    let bad = import(
        &db,
        dir.path(),
        "email,committee\nnew@example.org,hn\nnot-an-address,hn\nx@example.org,nowhere\n",
        &[],
    )
    .await;
    assert_eq!(bad.code, Some(1));
    assert!(bad.stderr.contains("line 3: email:"), "{}", bad.stderr);
    assert!(
        bad.stderr.contains("line 4: committee: `nowhere`"),
        "{}",
        bad.stderr
    );
    assert!(
        bad.stderr.contains("nothing imported: 2 problem(s)"),
        "{}",
        bad.stderr
    );
    assert_eq!(
        members(&db).await.len(),
        2,
        "nothing of the refused file was written"
    );
}
