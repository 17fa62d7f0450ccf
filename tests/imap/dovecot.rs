//! A Dovecot of the test's own on loopback: a free port, a temporary configuration and mail
//! folder, one user in a passwd file. It is stopped when dropped. Dovecot comes from Debian's
//! `dovecot-imapd` (`.ci/run` installs it); `DOVECOT` names another binary.

use std::{path::Path, process::Stdio, time::Duration};

use async_imap::{Client, Session, types::Fetch};
use futures_util::TryStreamExt;
use tokio::{
    net::TcpStream,
    process::{Child, Command},
};

pub const USER: &str = "cases";
pub const PASSWORD: &str = "pw-of-the-cases-mailbox";

/// How long Dovecot may take to start listening.
const START: Duration = Duration::from_secs(20);

pub struct Dovecot {
    port: u16,
    /// The implicit-TLS port, when started with [`Dovecot::start_tls`].
    tls_port: Option<u16>,
    dir: tempfile::TempDir,
    child: Child,
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// Who the Dovecot processes run as: as root, Dovecot's own users and `nobody` for the
/// mail; otherwise the user running the tests for everything.
struct Users {
    internal: String,
    login: String,
    mail_user: String,
    mail_group: String,
}

async fn output(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .await
        .unwrap_or_else(|e| panic!("{program} runs: {e}"));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

async fn users() -> Users {
    if output("id", &["-u"]).await == "0" {
        Users {
            internal: "dovecot".into(),
            login: "dovenull".into(),
            mail_user: "nobody".into(),
            mail_group: "nogroup".into(),
        }
    } else {
        let user = output("id", &["-un"]).await;
        Users {
            internal: user.clone(),
            login: user.clone(),
            mail_user: user,
            mail_group: output("id", &["-gn"]).await,
        }
    }
}

impl Dovecot {
    /// Starts Dovecot with `extra` lines at the end of its configuration.
    pub async fn start_with(extra: &str) -> Dovecot {
        Self::launch(extra, false).await
    }

    /// Starts Dovecot with implicit TLS on a second port too, its certificate (for 127.0.0.1)
    /// self-signed: [`Dovecot::certificate`] is the file a client must trust.
    pub async fn start_tls() -> Dovecot {
        Self::launch("", true).await
    }

    async fn launch(extra: &str, tls: bool) -> Dovecot {
        let binary = std::env::var("DOVECOT").unwrap_or_else(|_| "/usr/sbin/dovecot".into());
        assert!(
            Path::new(&binary).exists(),
            "{binary} is missing: install Debian's dovecot-imapd (the IMAP tests need a real server)"
        );
        let dir = tempfile::tempdir().expect("a folder for Dovecot");
        let root = dir.path();
        let users = users().await;
        std::fs::create_dir_all(root.join("mail")).expect("mail folder");
        set_mode(root, 0o755);
        let chown = Command::new("chown")
            .arg(format!("{}:{}", users.mail_user, users.mail_group))
            .arg(root.join("mail"))
            .status()
            .await
            .expect("chown runs");
        assert!(chown.success(), "the mail folder belongs to the mail user");
        std::fs::write(root.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}\n"))
            .expect("passwd file");
        set_mode(&root.join("passwd"), 0o644);
        let port = free_port();
        let tls_port = tls.then(free_port);
        let root_text = root.display();
        let ssl = match tls_port {
            None => "ssl = no".to_owned(),
            Some(_) => {
                make_certificate(root).await;
                format!(
                    "ssl = yes\nssl_cert = <{root_text}/cert.pem\nssl_key = <{root_text}/key.pem"
                )
            }
        };
        let config = format!(
            r#"
base_dir = {root_text}/run
state_dir = {root_text}/state
log_path = {root_text}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = {internal}
default_login_user = {login}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root_text}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={root_text}/mail/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
  }}
}}
service anvil {{
  chroot =
}}
{extra}
"#,
            internal = users.internal,
            login = users.login,
            mail_user = users.mail_user,
            mail_group = users.mail_group,
            imaps_port = tls_port.unwrap_or(0),
        );
        std::fs::write(root.join("dovecot.conf"), config).expect("Dovecot configuration");
        let child = Command::new(&binary)
            .arg("-F")
            .arg("-c")
            .arg(root.join("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{binary} starts: {e}"));
        let dovecot = Dovecot {
            port,
            tls_port,
            dir,
            child,
        };
        dovecot.until_listening().await;
        dovecot
    }

    async fn until_listening(&self) {
        let deadline = tokio::time::Instant::now() + START;
        for port in std::iter::once(self.port).chain(self.tls_port) {
            while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "Dovecot did not listen on port {port} within {START:?}; its log:\n{}",
                    self.log()
                );
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        }
    }

    /// The `imaps://` URL of a Dovecot started with [`Dovecot::start_tls`].
    pub fn tls_url(&self) -> String {
        let port = self.tls_port.expect("Dovecot was started with TLS");
        format!("imaps://127.0.0.1:{port}")
    }

    /// The self-signed certificate of a Dovecot started with [`Dovecot::start_tls`].
    pub fn certificate(&self) -> std::path::PathBuf {
        self.dir.path().join("cert.pem")
    }

    /// Dovecot's own log, for a failure message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    pub fn url(&self) -> String {
        format!("imap://127.0.0.1:{}", self.port)
    }

    /// The app's `[email.inbound.imap]` for this server, with `extra` TOML keys.
    pub fn settings(&self, extra: &str) -> String {
        format!(
            "[email.inbound.imap]\nurl = \"{}\"\nuser = \"{USER}\"\npassword = \"{PASSWORD}\"\n{extra}\n",
            self.url()
        )
    }

    /// A session of the test's own, as a mail server or a person would have.
    pub async fn client(&self) -> Session<TcpStream> {
        let tcp = TcpStream::connect(("127.0.0.1", self.port))
            .await
            .expect("connect to Dovecot");
        let mut client = Client::new(tcp);
        client
            .read_response()
            .await
            .expect("greeting")
            .expect("a greeting");
        client
            .login(USER, PASSWORD)
            .await
            .map_err(|(e, _)| e)
            .unwrap_or_else(|e| panic!("login: {e}; Dovecot's log:\n{}", self.log()))
    }

    /// Delivers `raw` into `folder`, as the organisation's mail host does.
    pub async fn deliver(&self, folder: &str, raw: &str) {
        let mut session = self.client().await;
        session
            .append(folder, None, None, raw.as_bytes())
            .await
            .expect("APPEND");
        session.logout().await.expect("LOGOUT");
    }

    /// Every message in `folder` (its name as on the wire), as the server keeps it; empty when
    /// the folder does not exist.
    pub async fn messages_in(&self, folder: &str) -> Vec<Vec<u8>> {
        let mut session = self.client().await;
        let Ok(mailbox) = session.examine(folder).await else {
            return Vec::new();
        };
        let bodies = if mailbox.exists == 0 {
            Vec::new()
        } else {
            let fetched: Vec<Fetch> = session
                .fetch("1:*", "BODY.PEEK[]")
                .await
                .expect("FETCH")
                .try_collect()
                .await
                .expect("FETCH answers");
            fetched
                .iter()
                .map(|f| f.body().expect("a body").to_vec())
                .collect()
        };
        session.logout().await.expect("LOGOUT");
        bodies
    }
}

/// A key and a self-signed certificate for 127.0.0.1, with the openssl that Debian's Dovecot
/// depends on.
async fn make_certificate(root: &Path) {
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(root.join("key.pem"))
        .arg("-out")
        .arg(root.join("cert.pem"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .expect("openssl runs");
    assert!(status.success(), "openssl made a certificate");
    set_mode(&root.join("key.pem"), 0o600);
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("its address").port()
}
