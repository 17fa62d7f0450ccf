//! `incident-desk user …` through the real binary, on the test app's database: the
//! users it makes sign in to the desk, and disabling or a new password ends sessions.

use std::process::{Output, Stdio};

use reqwest::StatusCode;
use tokio::{io::AsyncWriteExt, process::Command};

use super::{Officer, assert_signed_out};
use crate::{
    helpers::{TestApp, spawn_app},
    process::{binary, write_config},
};

/// The command line on the app's database.
struct Cli {
    config: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Cli {
    fn new(app: &TestApp) -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let config = write_config(
            dir.path(),
            &format!(
                "[database]\nurl = \"{}\"\nmax_connections = 2\n",
                app.db.url
            ),
        );
        Self { config, _dir: dir }
    }

    /// Runs `incident-desk user <args>`, with `stdin` as its standard input.
    async fn user(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut child = Command::new(binary())
            .arg("--config")
            .arg(&self.config)
            .arg("user")
            .args(args)
            .env("INCIDENT_DESK__LOGGING__LEVEL", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("run the binary");
        let mut input = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).await.expect("write stdin");
        }
        drop(input);
        child.wait_with_output().await.expect("the binary ends")
    }

    /// Runs a command that must succeed, and returns what it printed.
    async fn ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.user(args, stdin).await;
        assert!(
            out.status.success(),
            "user {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    /// Runs a command that must fail, and returns its error output.
    async fn refused(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.user(args, stdin).await;
        assert!(
            !out.status.success(),
            "user {args:?} succeeded: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    async fn list(&self) -> String {
        self.ok(&["list"], None).await
    }
}

/// The password a command printed once.
fn printed_password(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("a printed password")
        .trim()
        .to_owned()
}

const PASSWORD: &str = "mật khẩu đủ dài của Mai";

#[tokio::test]
async fn a_user_created_on_the_command_line_signs_in_to_the_desk() {
    let app = spawn_app().await;
    let cli = Cli::new(&app);
    let out = cli
        .ok(
            &[
                "create",
                "--username",
                "mai.tran",
                "--name",
                "Trần Thị Mai",
                "--role",
                "officer",
                "--committee",
                "hn-ba-dinh",
                "--password-stdin",
            ],
            Some(&format!("{PASSWORD}\n")),
        )
        .await;
    assert!(
        out.contains("created mai.tran (officer, hn-ba-dinh)"),
        "{out}"
    );
    assert!(!out.contains(PASSWORD), "a typed password is not echoed");

    let officer = Officer::signed_in(&app, "mai.tran", PASSWORD).await;
    let queue = officer.page("/desk").await;
    assert!(queue.contains("Trần Thị Mai"), "{queue}");
    let list = cli.list().await;
    assert!(
        list.contains("mai.tran  Trần Thị Mai  officer  committee=hn-ba-dinh  active"),
        "{list}"
    );

    // Without --password-stdin a password is made and shown once.
    let out = cli
        .ok(
            &[
                "create",
                "--username",
                "root",
                "--name",
                "Quản trị",
                "--role",
                "admin",
            ],
            None,
        )
        .await;
    assert!(
        out.contains("created root (admin, all committees)"),
        "{out}"
    );
    let generated = printed_password(&out);
    assert!(generated.chars().count() >= 12, "{generated}");
    Officer::signed_in(&app, "root", &generated).await;

    // A username is taken once.
    cli.refused(
        &[
            "create",
            "--username",
            "mai.tran",
            "--name",
            "Người khác",
            "--role",
            "viewer",
            "--committee",
            "hcm",
            "--password-stdin",
        ],
        Some("một mật khẩu khác dài\n"),
    )
    .await;
    assert_eq!(cli.list().await.lines().count(), 2);
}

#[tokio::test]
async fn the_command_line_refuses_a_short_password_and_an_officer_without_a_committee() {
    let app = spawn_app().await;
    let cli = Cli::new(&app);
    let create = |username: &'static str, role: &'static str, committee: Option<&'static str>| {
        let mut args = vec![
            "create",
            "--username",
            username,
            "--name",
            "Ai đó",
            "--role",
            role,
            "--password-stdin",
        ];
        if let Some(c) = committee {
            args.extend(["--committee", c]);
        }
        args
    };

    let error = cli
        .refused(
            &create("ngan", "officer", Some("hn-ba-dinh")),
            Some("ngan-qua\n"),
        )
        .await;
    assert!(error.contains("12"), "{error}");
    for (args, why) in [
        (create("khong.ban", "officer", None), "committee"),
        (create("chi.xem", "viewer", None), "committee"),
        (create("xa.lam", "officer", Some("atlantis")), "atlantis"),
        (create("la.lung", "superuser", Some("hn")), "role"),
    ] {
        let error = cli.refused(&args, Some(&format!("{PASSWORD}\n"))).await;
        assert!(error.contains(why), "{args:?}: {error}");
    }
    assert_eq!(cli.list().await, "", "no user was made");
    let browser = Officer::new(&app);
    let r = browser.sign_in("ngan", "ngan-qua").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn disabling_enabling_and_new_passwords_on_the_command_line_take_effect_at_once() {
    let app = spawn_app().await;
    let cli = Cli::new(&app);
    for username in ["mai.tran", "hung.le"] {
        cli.ok(
            &[
                "create",
                "--username",
                username,
                "--name",
                "Cán bộ",
                "--role",
                "officer",
                "--committee",
                "hn-ba-dinh",
                "--password-stdin",
            ],
            Some(&format!("{PASSWORD}\n")),
        )
        .await;
    }

    let first = Officer::signed_in(&app, "mai.tran", PASSWORD).await;
    let out = cli.ok(&["disable", "mai.tran"], None).await;
    assert!(out.contains("disabled mai.tran"), "{out}");
    assert_signed_out(&first.get("/desk").await);
    let refused = Officer::new(&app).sign_in("mai.tran", PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(cli.list().await.contains("committee=hn-ba-dinh  disabled"));

    cli.ok(&["enable", "mai.tran"], None).await;
    let second = Officer::signed_in(&app, "mai.tran", PASSWORD).await;

    // Too short: refused, and the old password still works.
    cli.refused(
        &["reset-password", "mai.tran", "--password-stdin"],
        Some("ngan-qua\n"),
    )
    .await;
    second.page("/desk").await;

    let new_password = "mật khẩu mới hoàn toàn";
    let out = cli
        .ok(
            &["reset-password", "mai.tran", "--password-stdin"],
            Some(&format!("{new_password}\n")),
        )
        .await;
    assert!(out.contains("new password set for mai.tran"), "{out}");
    assert_signed_out(&second.get("/desk").await);
    let old = Officer::new(&app).sign_in("mai.tran", PASSWORD).await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    Officer::signed_in(&app, "mai.tran", new_password).await;

    // A generated password, shown once.
    let colleague = Officer::signed_in(&app, "hung.le", PASSWORD).await;
    let out = cli.ok(&["reset-password", "hung.le"], None).await;
    assert_signed_out(&colleague.get("/desk").await);
    Officer::signed_in(&app, "hung.le", &printed_password(&out)).await;

    for command in ["disable", "enable", "reset-password"] {
        let error = cli
            .refused(&[command, "nobody"], Some(&format!("{PASSWORD}\n")))
            .await;
        assert!(error.contains("nobody"), "{command}: {error}");
    }
}
