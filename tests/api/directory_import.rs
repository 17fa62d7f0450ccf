//! `incident-desk directory import` as an administrator runs it: the built binary on a
//! config file and a fresh database, its output read as text, and what it wrote seen
//! through a served instance on the same database.

use std::path::{Path, PathBuf};

use serde_json::json;
use tokio::process::Command;

use crate::{
    helpers::{TestApp, TestDb, fresh_database, spawn_app_on, ticket_parties, valid_incident},
    process::{binary, write_config},
};

/// A folder with the config of a CLI run on `db`, and the files it imports.
struct Cli {
    dir: tempfile::TempDir,
    config: PathBuf,
}

/// What one run printed and how it ended.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn summary(&self) -> &str {
        self.stdout
            .lines()
            .find(|l| l.contains(" created, "))
            .unwrap_or_else(|| panic!("no summary line in {}", self.stdout))
    }

    fn lines_starting(&self, prefix: &str) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| l.starts_with(prefix))
            .collect()
    }
}

impl Cli {
    fn new(db: &TestDb) -> Cli {
        let dir = tempfile::tempdir().expect("dir");
        let config = write_config(
            dir.path(),
            &format!(
                "public_base_url = \"http://127.0.0.1\"\n[database]\nurl = \"{}\"\nmax_connections = 4\n",
                db.url
            ),
        );
        Cli { dir, config }
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write the import file");
        path
    }

    async fn import(&self, file: &Path, flags: &[&str]) -> Run {
        let out = Command::new(binary())
            .arg("--config")
            .arg(&self.config)
            .args(["directory", "import"])
            .arg(file)
            .args(flags)
            .env("INCIDENT_DESK__LOGGING__LEVEL", "warn")
            .output()
            .await
            .expect("run directory import");
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Imports `file`, which must succeed, and returns the run.
    async fn import_ok(&self, file: &Path, flags: &[&str]) -> Run {
        let run = self.import(file, flags).await;
        assert_eq!(
            run.code,
            Some(0),
            "stdout: {}\nstderr: {}",
            run.stdout,
            run.stderr
        );
        run
    }
}

/// A province, two districts and three wards, with diacritics and a row whose parent comes
/// after it in the file.
const TREE: &str = "\
id,parent,name.vi,name.en,emails
qn,,Ban Thường trực Tỉnh Quảng Ninh,Quang Ninh Provincial Committee,truc-ban@qn.example.org
qn-ha-long-bai-chay,qn-ha-long,Chi bộ Phường Bãi Cháy,Bai Chay Ward Branch,bai-chay@qn.example.org
qn-ha-long,qn,Ban Thành phố Hạ Long,Ha Long City Committee,ha-long@qn.example.org;van-phong@qn.example.org
qn-ha-long-hong-gai,qn-ha-long,Chi bộ Phường Hồng Gai,Hong Gai Ward Branch,hong-gai@qn.example.org
qn-cam-pha,qn,Ban Thành phố Cẩm Phả,Cam Pha City Committee,cam-pha@qn.example.org
qn-cam-pha-cua-ong,qn-cam-pha,Chi bộ Phường Cửa Ông,Cua Ong Ward Branch,cua-ong@qn.example.org
";

const TREE_IDS: [&str; 6] = [
    "qn",
    "qn-ha-long-bai-chay",
    "qn-ha-long",
    "qn-ha-long-hong-gai",
    "qn-cam-pha",
    "qn-cam-pha-cua-ong",
];

#[tokio::test]
async fn a_csv_tree_creates_committees_that_the_service_offers_and_routes_to() {
    let db = fresh_database().await;
    let cli = Cli::new(&db);
    let file = cli.file("tree.csv", TREE);

    let run = cli.import_ok(&file, &[]).await;

    assert!(
        run.summary().starts_with("imported: 6 created, 0 changed"),
        "{}",
        run.stdout
    );
    let created = run.lines_starting("+ committee ");
    assert_eq!(created.len(), 6, "{}", run.stdout);
    for id in TREE_IDS {
        assert!(
            created
                .iter()
                .any(|l| l.starts_with(&format!("+ committee {id} ("))),
            "`{id}` not reported created: {}",
            run.stdout
        );
    }

    let app = spawn_app_on(db.shared(), "").await;
    // The member form finds the new units by name.
    for name in [
        "Ban Thường trực Tỉnh Quảng Ninh",
        "Ban Thành phố Hạ Long",
        "Chi bộ Phường Bãi Cháy",
        "Chi bộ Phường Cửa Ông",
    ] {
        let found = committee_search(&app, name).await;
        assert!(found.contains(name), "the form does not offer {name}");
    }
    // A ward imported before its parent's row takes reports, and its ticket goes to it.
    let mut report = valid_incident();
    report["reporter"]["committee"] = json!("qn-ha-long-bai-chay");
    let filed = app.file(&report).await;
    let parties = ticket_parties(&filed);
    assert_eq!(
        parties.first().map(String::as_str),
        Some("qn-ha-long-bai-chay"),
        "{filed:#}"
    );
}

#[tokio::test]
async fn importing_the_same_csv_again_changes_nothing() {
    let db = fresh_database().await;
    let cli = Cli::new(&db);
    let file = cli.file("tree.csv", TREE);
    cli.import_ok(&file, &[]).await;

    let again = cli.import_ok(&file, &[]).await;

    assert!(
        again
            .summary()
            .contains(" 0 created, 0 changed, 6 unchanged,"),
        "{}",
        again.stdout
    );
    assert!(again.lines_starting("+").is_empty(), "{}", again.stdout);
    assert!(again.lines_starting("~").is_empty(), "{}", again.stdout);
    // The parties of the embedded config, seeded on first use, are left as they are.
    assert!(
        !again.summary().contains(" 0 not in the file"),
        "{}",
        again.stdout
    );
}

#[tokio::test]
async fn a_dry_run_shows_a_renamed_committee_and_writes_nothing_until_a_real_run() {
    let db = fresh_database().await;
    let cli = Cli::new(&db);
    cli.import_ok(&cli.file("tree.csv", TREE), &[]).await;
    let renamed = cli.file(
        "renamed.csv",
        &TREE.replace("Ban Thành phố Cẩm Phả,", "Ban Thành ủy Cẩm Phả,"),
    );

    let dry = cli.import_ok(&renamed, &["--dry-run"]).await;

    let changed = dry.lines_starting("~ ");
    assert_eq!(changed.len(), 1, "{}", dry.stdout);
    assert!(
        changed[0].starts_with("~ committee qn-cam-pha: name: "),
        "{}",
        changed[0]
    );
    let (before, after) = changed[0].split_once(" -> ").expect("before -> after");
    assert!(before.contains("Ban Thành phố Cẩm Phả"), "{}", changed[0]);
    assert!(after.contains("Ban Thành ủy Cẩm Phả"), "{}", changed[0]);
    assert!(
        dry.summary()
            .starts_with("dry run, nothing written: 0 created, 1 changed, 5 unchanged"),
        "{}",
        dry.stdout
    );
    // Nothing was written: the service still shows the old name, and a second dry run
    // sees the same change.
    let app = spawn_app_on(db.shared(), "").await;
    let form = committee_search(&app, "Cẩm Phả").await;
    assert!(form.contains("Ban Thành phố Cẩm Phả"), "{form}");
    assert!(!form.contains("Ban Thành ủy Cẩm Phả"));
    let dry_again = cli.import_ok(&renamed, &["--dry-run"]).await;
    assert_eq!(dry_again.lines_starting("~ "), changed);

    let real = cli.import_ok(&renamed, &[]).await;
    assert!(
        real.summary()
            .starts_with("imported: 0 created, 1 changed, 5 unchanged"),
        "{}",
        real.stdout
    );
    let after_real = cli.import_ok(&renamed, &["--dry-run"]).await;
    assert!(
        after_real
            .summary()
            .contains(" 0 created, 0 changed, 6 unchanged"),
        "{}",
        after_real.stdout
    );
}

const PARTIES_TOML: &str = r#"
[[parties.committees]]
id = "dn"
name = { vi = "Ban Thường trực Thành phố Đà Nẵng", en = "Da Nang City Standing Committee" }
ack_deadline = "4h"
contacts.emails = ["truc-ban@dn.example.org"]

[[parties.authorities]]
id = "dn-soc"
name = { vi = "Trung tâm Giám sát an toàn thông tin Đà Nẵng", en = "Da Nang Security Operations Centre" }
ack_deadline = "8h"
contacts.emails = ["soc@dn.example.org"]
contacts.webhooks = [
  { url = "https://soc.dn.example.org/hooks/incident-desk", secret = "whsec_O9hjB81RkWoaDP7b+fuv5j7WKLyY9Qtqhmm8e7K8Xe4=" },
]

[[parties.providers]]
id = "social-vn"
name = { vi = "Mạng xã hội Việt", en = "Viet Social Network" }
locale = "vi"
ack_deadline = "24h"
contacts.emails = ["abuse@social.example.vn"]

[[routing.authorities]]
party = "dn-soc"
min_severity = "low"

[routing.providers]
facebook = "social-vn"

[routing]
default_provider = "social-vn"
"#;

#[tokio::test]
async fn a_toml_file_imports_authorities_webhooks_and_routing() {
    let db = fresh_database().await;
    let cli = Cli::new(&db);
    let file = cli.file("parties.toml", PARTIES_TOML);

    let run = cli.import_ok(&file, &[]).await;

    for line in [
        "+ committee dn (",
        "+ authority dn-soc (",
        "+ provider social-vn (",
    ] {
        assert!(
            run.stdout.lines().any(|l| l.starts_with(line)),
            "no `{line}` in {}",
            run.stdout
        );
    }
    assert!(run.stdout.lines().any(|l| l == "~ routing rules"));
    assert!(
        run.summary().starts_with("imported: 3 created, 0 changed")
            && run.summary().contains(", routing rules changed;"),
        "{}",
        run.stdout
    );

    // The service routes by the imported rules: the committee, the authority, the provider.
    let app = spawn_app_on(db.shared(), "").await;
    let mut report = valid_incident();
    report["reporter"]["committee"] = json!("dn");
    let filed = app.file(&report).await;
    assert_eq!(
        ticket_parties(&filed),
        ["dn", "dn-soc", "social-vn"],
        "{filed:#}"
    );
    let database = app.database().await;
    let dir = incident_desk::storage::directory::load(database.conn())
        .await
        .expect("load the directory");
    let endpoints = &dir.party("dn-soc").expect("dn-soc").endpoints;
    assert_eq!(endpoints.len(), 1);
    assert_eq!(
        endpoints[0].url,
        "https://soc.dn.example.org/hooks/incident-desk"
    );

    // Idempotent: the same endpoint (matched by URL), the same rules.
    let again = cli.import_ok(&file, &[]).await;
    assert!(
        again
            .summary()
            .contains(" 0 created, 0 changed, 3 unchanged,")
            && !again.summary().contains("routing rules changed"),
        "{}",
        again.stdout
    );
}

#[tokio::test]
async fn a_units_named_contact_comes_from_a_csv_column_or_a_toml_table() {
    let db = fresh_database().await;
    let cli = Cli::new(&db);
    let with_contact = "\
id,parent,name.vi,name.en,emails,contact.name,contact.phone,contact.email
qn,,Ban Thường trực Tỉnh Quảng Ninh,Quang Ninh Provincial Committee,truc-ban@qn.example.org,Trần Văn Hải,+84 203 3835 123,hai@qn.example.org
qn-cam-pha,qn,Ban Thành phố Cẩm Phả,Cam Pha City Committee,cam-pha@qn.example.org,,,
";
    cli.import_ok(&cli.file("contacts.csv", with_contact), &[])
        .await;
    let load = |db: &TestDb| {
        let db = db.shared();
        async move {
            incident_desk::storage::directory::load(db.database().await.conn())
                .await
                .expect("load the directory")
        }
    };
    let dir = load(&db).await;
    let contact = dir
        .party("qn")
        .and_then(|p| p.contact.clone())
        .expect("qn's contact");
    assert_eq!(contact.name, "Trần Văn Hải");
    assert_eq!(contact.phone.as_deref(), Some("+842033835123"));
    assert_eq!(contact.email.as_deref(), Some("hai@qn.example.org"));
    assert!(
        dir.party("qn-cam-pha")
            .expect("qn-cam-pha")
            .contact
            .is_none()
    );

    // A file without contact columns leaves the contacts as they are.
    let again = cli.import_ok(&cli.file("plain.csv", TREE), &[]).await;
    assert!(
        !again.stdout.contains("~ committee qn ("),
        "{}",
        again.stdout
    );
    assert!(
        load(&db)
            .await
            .party("qn")
            .and_then(|p| p.contact.clone())
            .is_some()
    );

    // A file with only the phone column changes the phone and keeps the rest.
    let phones = cli.file(
        "phones.csv",
        "id,parent,name.vi,name.en,emails,contact.phone\nqn,,Ban Thường trực Tỉnh Quảng Ninh,Quang Ninh Provincial Committee,truc-ban@qn.example.org,0203 3835 999\n",
    );
    cli.import_ok(&phones, &[]).await;
    let contact = load(&db)
        .await
        .party("qn")
        .and_then(|p| p.contact.clone())
        .expect("qn's contact");
    assert_eq!(contact.name, "Trần Văn Hải");
    assert_eq!(contact.phone.as_deref(), Some("02033835999"));
    assert_eq!(contact.email.as_deref(), Some("hai@qn.example.org"));

    // A phone without a name is refused on its line, and nothing is written.
    let bad = cli.file(
        "bad.csv",
        "id,parent,name.vi,name.en,emails,contact.phone\nqn-x,qn,Ban X,X Committee,x@qn.example.org,0912345678\n",
    );
    let run = cli.import(&bad, &[]).await;
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("line 2: contact.name: must name the person"),
        "{}",
        run.stderr
    );
    assert!(load(&db).await.party("qn-x").is_none());

    // In TOML, the person is a table of the party's contacts.
    let toml = PARTIES_TOML.replace(
        "contacts.emails = [\"truc-ban@dn.example.org\"]",
        "contacts.emails = [\"truc-ban@dn.example.org\"]\ncontacts.person = { name = \"Lê Thị Hoa\", phone = \"0236 3821 111\" }",
    );
    cli.import_ok(&cli.file("parties.toml", &toml), &[]).await;
    let contact = load(&db)
        .await
        .party("dn")
        .and_then(|p| p.contact.clone())
        .expect("dn's contact");
    assert_eq!(contact.name, "Lê Thị Hoa");
    assert_eq!(contact.phone.as_deref(), Some("02363821111"));
    assert_eq!(contact.email, None);
}

#[tokio::test]
async fn refused_rows_exit_1_naming_their_line_and_write_nothing() {
    let db = fresh_database().await;
    let cli = Cli::new(&db);
    let good = "qn,,Ban Thường trực Tỉnh Quảng Ninh,Quang Ninh Provincial Committee,truc-ban@qn.example.org\n";
    let cases = [
        (
            "unknown parent",
            "qn-x,qn-nowhere,Ban X,X Committee,x@qn.example.org\n",
            "line 3: parent: `qn-nowhere` is not a committee",
        ),
        (
            "empty name",
            "qn-x,qn,,X Committee,x@qn.example.org\n",
            "line 3: name.vi: ",
        ),
        (
            "bad email",
            "qn-x,qn,Ban X,X Committee,not-an-address\n",
            "line 3: emails[0]: ",
        ),
        (
            "duplicate id",
            "qn-x,qn,Ban X,X Committee,x@qn.example.org\nqn-x,qn,Ban Y,Y Committee,y@qn.example.org\n",
            "line 4: id: `qn-x` is already in this file at line 3",
        ),
        (
            "cycle",
            "qn-a,qn-b,Ban A,A Committee,a@qn.example.org\nqn-b,qn-a,Ban B,B Committee,b@qn.example.org\n",
            "line 3: parent: `qn-a` would be its own ancestor",
        ),
    ];
    for (case, rows, expected) in cases {
        let file = cli.file(
            "bad.csv",
            &format!("id,parent,name.vi,name.en,emails\n{good}{rows}"),
        );

        let run = cli.import(&file, &[]).await;

        assert_eq!(
            run.code,
            Some(1),
            "{case}: stdout {} stderr {}",
            run.stdout,
            run.stderr
        );
        assert!(
            run.stderr.contains(expected),
            "{case}: no `{expected}` in {}",
            run.stderr
        );
        assert!(
            run.stderr.contains("nothing imported"),
            "{case}: {}",
            run.stderr
        );
        assert!(!run.stdout.contains("imported:"), "{case}: {}", run.stdout);
    }

    // Not even the good row of each file was written.
    let good_file = cli.file(
        "good.csv",
        &format!("id,parent,name.vi,name.en,emails\n{good}"),
    );
    let dry = cli.import_ok(&good_file, &["--dry-run"]).await;
    assert!(
        dry.summary()
            .contains(": 1 created, 0 changed, 0 unchanged"),
        "{}",
        dry.stdout
    );
}

/// The committee step of the member form after searching for `query`.
async fn committee_search(app: &TestApp, query: &str) -> String {
    let url = reqwest::Url::parse_with_params(&app.url("/report/committee"), [("q", query)])
        .expect("url");
    reqwest::get(url)
        .await
        .expect("sent")
        .text()
        .await
        .expect("html")
}

/// A province -> district -> ward tree of `provinces` x 20 x 20 committees, with the same
/// twenty ward names in every district, as in a real country.
fn big_tree(provinces: usize) -> String {
    const WARDS: [&str; 20] = [
        "Bến Nghé",
        "Tân Định",
        "Đa Kao",
        "Bến Thành",
        "Nguyễn Thái Bình",
        "Phạm Ngũ Lão",
        "Cầu Ông Lãnh",
        "Cô Giang",
        "Nguyễn Cư Trinh",
        "Cầu Kho",
        "Phúc Xá",
        "Trúc Bạch",
        "Vĩnh Phúc",
        "Cống Vị",
        "Liễu Giai",
        "Ngọc Hà",
        "Điện Biên",
        "Đội Cấn",
        "Kim Mã",
        "Giảng Võ",
    ];
    let mut csv = String::from("id,parent,name.vi,name.en,emails\n");
    for p in 1..=provinces {
        let province = format!("p{p:02}");
        csv.push_str(&format!(
            "{province},,Ban Thường trực Tỉnh {p},Province {p} Committee,{province}@example.org\n"
        ));
        for d in 1..=20 {
            let district = format!("{province}-d{d:02}");
            csv.push_str(&format!(
                "{district},{province},Ban Quận {d} Tỉnh {p},District {d} of Province {p},{district}@example.org\n"
            ));
            for (w, name) in WARDS.iter().enumerate() {
                let ward = format!("{district}-w{:02}", w + 1);
                csv.push_str(&format!(
                    "{ward},{district},Chi bộ Phường {name},{name} Ward Branch,{ward}@example.org\n"
                ));
            }
        }
    }
    csv
}

#[tokio::test]
async fn a_member_finds_their_committee_among_twenty_thousand_without_script() {
    let db = fresh_database().await;
    let cli = Cli::new(&db);
    let file = cli.file("country.csv", &big_tree(50));
    let run = cli.import_ok(&file, &[]).await;
    assert!(
        run.summary().starts_with("imported: 21050 created"),
        "{}",
        run.summary()
    );
    let app = spawn_app_on(db.shared(), "").await;
    let member = crate::web::Member::new(&app);

    // The step is a search, never a list of 21,050 choices.
    let step = member.page("/report/committee").await;
    assert!(step.contains("id=\"committee-search\""), "{step}");
    assert!(!step.contains("<select"), "no drop-down list");
    assert_eq!(step.matches("name=\"reporter.committee\"").count(), 0);
    assert!(step.len() < 20_000, "the step is {} bytes", step.len());

    // A common name finds twenty, each with the committees above it, and asks for more.
    let common = member.page("/report/committee?q=ben+nghe").await;
    assert_eq!(common.matches("name=\"reporter.committee\"").count(), 20);
    assert!(
        common.contains("Vui lòng gõ thêm chữ để thu hẹp."),
        "{common}"
    );
    assert!(
        common.contains("Ban Quận 1 Tỉnh 1 · Ban Thường trực Tỉnh 1"),
        "{common}"
    );
    assert!(
        common.len() < 40_000,
        "the results are {} bytes",
        common.len()
    );
    // Nothing found says so.
    let none = member.page("/report/committee?q=atlantis").await;
    assert!(
        none.contains("Không tìm thấy đơn vị nào khớp với “atlantis”."),
        "{none}"
    );

    // The member's own ward, by its name and district, with or without accents.
    for query in [
        "Kim+M%C3%A3+Qu%E1%BA%ADn+7+T%E1%BB%89nh+42",
        "kim+ma+quan+7+tinh+42",
        "p42-d07-w19",
    ] {
        let own = member.page(&format!("/report/committee?q={query}")).await;
        assert_eq!(
            own.matches("name=\"reporter.committee\"").count(),
            1,
            "{query}: {own}"
        );
        assert!(own.contains("value=\"p42-d07-w19\""), "{query}: {own}");
    }
    let chosen = member
        .post(
            "/report/committee?q=p42-d07-w19",
            "/report/committee",
            &[("reporter.committee", "p42-d07-w19")],
            Vec::new(),
        )
        .await;
    assert_eq!(chosen.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(chosen.headers()["location"], "/report/page");
    // Back on the step, the choice is kept without searching again.
    let back = member.page("/report/committee").await;
    assert!(back.contains("value=\"p42-d07-w19\" checked"), "{back}");
}
