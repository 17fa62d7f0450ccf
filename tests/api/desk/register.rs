//! The page register in the desk: each officer sees the declared pages and the members of
//! their subtree only; the register is searched by link, phone, email or name, exported
//! as CSV, and flags a page declared twice; officers confirm and add members, and send
//! declaration requests whose emails, answers and one reminder the desk follows.

use chrono::{TimeDelta, Utc};
use incident_desk::{
    domain::{Locale, access::Role, i18n, register::DeclarationDraft},
    storage::{Database, entities::declaration_request, register as register_store},
    usecases::{
        Scope,
        directory::DirectoryCache,
        register::{self as uc, MemberRow, PageRow},
    },
};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use uuid::Uuid;

use super::{Officer, location};
use crate::{
    helpers::{TestApp, browser_client, hidden_input, spawn_app, spawn_app_with},
    smtp::SmtpSink,
};

// ---- fixtures ---------------------------------------------------------------------------

/// A member with this email, in `committee`: confirmed by it, or only chosen by the member.
async fn member(app: &TestApp, email: &str, committee: &str, confirmed: bool) -> MemberRow {
    let db = app.database().await;
    let dir = DirectoryCache::open(&db, &app.settings)
        .await
        .expect("the directory")
        .current();
    if confirmed {
        uc::add_members(
            &db,
            &dir,
            &Scope::All,
            committee,
            &[email.to_owned()],
            Utc::now(),
        )
        .await
        .expect("add the member");
    } else {
        let new = register_store::ensure_member(db.conn(), email, Locale::Vi, None, Utc::now())
            .await
            .expect("a new member");
        uc::choose_committee(&db, &dir, &new, committee)
            .await
            .expect("choose a committee");
    }
    register_store::member_by_email(db.conn(), email)
        .await
        .expect("read the member")
        .expect("the member")
}

/// A declaration of an active page named `name` at `url`.
fn draft(name: &str, url: &str) -> DeclarationDraft {
    DeclarationDraft {
        name: name.to_owned(),
        url: url.to_owned(),
        created_on: "2019-03".to_owned(),
        purpose: "Đưa tin hoạt động của ban".to_owned(),
        status: "active".to_owned(),
        admins: vec![("@lan.nguyen".to_owned(), "owner".to_owned())],
        memberships: vec![(
            "Nhóm tình nguyện phường".to_owned(),
            "https://www.facebook.com/groups/tinhnguyen".to_owned(),
        )],
        ..Default::default()
    }
}

async fn declare(app: &TestApp, member: &MemberRow, draft: &DeclarationDraft) -> PageRow {
    uc::declare(&app.database().await, member, draft, Utc::now())
        .await
        .expect("declare the page")
}

/// A member of `committee` (confirmed) with one page named `name` at `url`.
async fn page_of(app: &TestApp, email: &str, committee: &str, name: &str, url: &str) -> PageRow {
    let m = member(app, email, committee, true).await;
    declare(app, &m, &draft(name, url)).await
}

/// The names of the pages a register list shows, top to bottom.
fn names(html: &str) -> Vec<String> {
    html.split("class=\"page-link\">")
        .skip(1)
        .map(|rest| rest.split('<').next().expect("name").to_owned())
        .collect()
}

/// The link to a list's next page, if it has one.
fn next_page(html: &str) -> Option<String> {
    let (before, _) = html.split_once("id=\"next-page\"")?;
    let href = before.rsplit("href=\"").next()?.split('"').next()?;
    Some(href.replace("&#38;", "&").replace("&amp;", "&"))
}

/// The emails of the roster's rows.
fn roster(html: &str) -> Vec<String> {
    html.split("class=\"page-cell member-email\">")
        .skip(1)
        .map(|rest| rest.split('<').next().expect("email").to_owned())
        .collect()
}

/// The part of a page from the element with this id to the first `end` after it.
fn element<'h>(html: &'h str, id: &str, end: &str) -> &'h str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in the page"));
    let rest = &html[start..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

/// The part of a page from the element with this id to the end of its section.
fn section<'h>(html: &'h str, id: &str) -> &'h str {
    element(html, id, "</section>")
}

/// The emails listed in one of a request's lists (`answered`, `not_answered`, `stale`).
fn asked(html: &str, list: &str) -> Vec<String> {
    let mut emails: Vec<String> = section(html, &format!("asked-{list}"))
        .split("class=\"page-cell asked-email\">")
        .skip(1)
        .map(|rest| rest.split('<').next().expect("email").to_owned())
        .collect();
    emails.sort();
    emails
}

/// The text of the element with this id.
fn text_of(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in the page"))
        + marker.len();
    html[start..].split('<').next().expect("text").to_owned()
}

/// The CSV at `path`, as records (the header first).
async fn csv_of(officer: &Officer<'_>, path: &str) -> Vec<Vec<String>> {
    let response = officer.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("attachment; filename=\"register-")
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    let bytes = response.bytes().await.expect("body");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[..]);
    reader
        .records()
        .map(|r| r.expect("a CSV record").iter().map(str::to_owned).collect())
        .collect()
}

/// A deadline `days` ahead, as the form's date input sends it (Vietnam's date).
fn deadline_in(days: i64) -> String {
    (Utc::now() + TimeDelta::hours(7) + TimeDelta::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

/// Sends a declaration request from the desk form; returns the request's page path.
async fn start_request(officer: &Officer<'_>, committee: &str, message: &str) -> String {
    let response = officer
        .post_form(
            "/desk/register/requests",
            &[
                ("committee", committee),
                ("deadline", &deadline_in(10)),
                ("message", message),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "request sent");
    let to = location(&response);
    assert!(to.starts_with("/desk/register/requests/"), "{to}");
    to.split('?').next().expect("path").to_owned()
}

// ---- who sees what ----------------------------------------------------------------------

#[tokio::test]
async fn each_officer_sees_the_pages_members_and_requests_of_their_subtree_only() {
    let app = spawn_app().await;
    let ba_dinh = page_of(
        &app,
        "lan@example.org",
        "hn-ba-dinh",
        "Tin tức Ba Đình",
        "https://www.facebook.com/badinh.news",
    )
    .await;
    let phuc_xa = page_of(
        &app,
        "phuc@example.org",
        "hn-ba-dinh-phuc-xa",
        "Phúc Xá hôm nay",
        "https://www.facebook.com/phucxa.today",
    )
    .await;
    let q1 = page_of(
        &app,
        "binh@example.org",
        "hcm-q1",
        "Quận 1 trẻ",
        "https://www.tiktok.com/@quan1.tre",
    )
    .await;

    let district = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let ward = Officer::create(&app, "phuc.ho", Role::Officer, Some("hn-ba-dinh-phuc-xa")).await;
    let city = Officer::create(&app, "tam.vo", Role::Officer, Some("hcm")).await;
    let admin = Officer::create(&app, "root", Role::Admin, None).await;

    assert_eq!(
        sorted(names(&district.page("/desk/register").await)),
        ["Phúc Xá hôm nay", "Tin tức Ba Đình"]
    );
    assert_eq!(
        names(&ward.page("/desk/register").await),
        ["Phúc Xá hôm nay"]
    );
    assert_eq!(names(&city.page("/desk/register").await), ["Quận 1 trẻ"]);
    assert_eq!(
        sorted(names(&admin.page("/desk/register").await)),
        ["Phúc Xá hôm nay", "Quận 1 trẻ", "Tin tức Ba Đình"]
    );

    // Another committee's page is not found, by its page, a version, a search or a filter.
    for (officer, theirs) in [(&district, &q1), (&ward, &ba_dinh), (&city, &phuc_xa)] {
        for path in [
            format!("/desk/register/pages/{}", theirs.id),
            format!("/desk/register/pages/{}/versions/1", theirs.id),
        ] {
            assert_eq!(
                officer.get(&path).await.status(),
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        let search = format!("/desk/register?q={}", urlencoding(&theirs.declaration.url));
        assert!(names(&officer.page(&search).await).is_empty(), "{search}");
        let filtered = format!("/desk/register?committee={}", theirs.committee_id);
        let shown = names(&officer.page(&filtered).await);
        assert!(
            !shown.contains(&theirs.declaration.name),
            "{filtered}: {shown:?}"
        );
    }
    assert_eq!(
        district
            .get(&format!("/desk/register/pages/{}", Uuid::now_v7()))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        district
            .get("/desk/register/pages/not-a-page")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    for (officer, ours) in [(&district, &phuc_xa), (&admin, &q1)] {
        let page = officer
            .page(&format!("/desk/register/pages/{}", ours.id))
            .await;
        assert!(page.contains(&ours.declaration.name), "{page}");
    }

    // The CSV holds the same pages as the list.
    let lines = csv_of(&district, "/desk/register/export.csv").await;
    let mut in_csv: Vec<&str> = lines[1..].iter().map(|l| l[1].as_str()).collect();
    in_csv.sort_unstable();
    assert_eq!(in_csv, ["Phúc Xá hôm nay", "Tin tức Ba Đình"]);
    assert_eq!(csv_of(&admin, "/desk/register/export.csv").await.len(), 4);

    // The roster holds the subtree's members.
    assert_eq!(
        roster(&district.page("/desk/register/members").await),
        ["lan@example.org", "phuc@example.org"]
    );
    assert_eq!(
        roster(&ward.page("/desk/register/members").await),
        ["phuc@example.org"]
    );
    assert_eq!(
        roster(&admin.page("/desk/register/members").await),
        ["binh@example.org", "lan@example.org", "phuc@example.org"]
    );

    // A request to another city is neither listed nor readable, nor can one be sent there.
    let request = start_request(&admin, "hcm", "").await;
    let listed = district.page("/desk/register/requests").await;
    assert!(!listed.contains(&request), "{listed}");
    assert!(
        admin
            .page("/desk/register/requests")
            .await
            .contains(&request)
    );
    assert_eq!(district.get(&request).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(city.get(&request).await.status(), StatusCode::OK);
    let refused = district
        .post_form(
            "/desk/register/requests",
            &[("committee", "hcm"), ("deadline", &deadline_in(10))],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("html");
    assert!(page.contains("id=\"committee-error\""), "{page}");
    assert!(
        !district
            .page("/desk/register/requests")
            .await
            .contains("class=\"request\"")
    );
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn urlencoding(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

// ---- search, filters, pages -------------------------------------------------------------

#[tokio::test]
async fn the_register_is_searched_by_link_phone_email_or_name_and_paged() {
    let app = spawn_app_with("[register]\npage_size = 10\n").await;
    let lan = member(&app, "lan@example.org", "hn-ba-dinh", true).await;
    for i in 0..8 {
        let url = format!("https://www.facebook.com/trangphu{i}");
        declare(&app, &lan, &draft(&format!("Trang phụ {i}"), &url)).await;
    }
    let mut news = draft("Tin tức Ba Đình", "https://www.facebook.com/badinh.news");
    news.linked_phone = "0912 345 678".to_owned();
    news.linked_email = "Admin.BaDinh@example.org".to_owned();
    declare(&app, &lan, &news).await;
    declare(
        &app,
        &lan,
        &draft(
            "Thanh niên Ba Đình",
            "https://www.youtube.com/@thanhnienbadinh",
        ),
    )
    .await;
    let mut closed = draft("Trang cũ của phường", "https://zalo.me/trangcu");
    closed.status = "closed".to_owned();
    closed.closed_on = "2024-05-01".to_owned();
    closed.closed_reason = "Không còn dùng".to_owned();
    declare(&app, &lan, &closed).await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;

    for query in [
        "https://m.facebook.com/badinh.news/",
        "0912-345-678",
        "admin.badinh@EXAMPLE.org",
        "tin tuc",
        "Tin tức",
    ] {
        let page = officer
            .page(&format!("/desk/register?q={}", urlencoding(query)))
            .await;
        assert_eq!(names(&page), ["Tin tức Ba Đình"], "{query}");
    }
    let nothing = officer.page("/desk/register?q=0987654321").await;
    assert!(names(&nothing).is_empty());
    assert!(nothing.contains("id=\"empty\""));
    assert_eq!(
        names(&officer.page("/desk/register?q=ba+dinh").await).len(),
        2,
        "every word of the name"
    );
    assert_eq!(
        names(&officer.page("/desk/register?status=closed").await),
        ["Trang cũ của phường"]
    );
    assert_eq!(
        names(&officer.page("/desk/register?status=active").await).len(),
        10
    );

    // Ten to a page, newest change first; the next page carries the filters.
    let first = officer.page("/desk/register").await;
    assert_eq!(names(&first).len(), 10);
    assert_eq!(
        names(&first)[..3],
        [
            "Trang cũ của phường",
            "Thanh niên Ba Đình",
            "Tin tức Ba Đình"
        ]
    );
    let second = officer.page(&next_page(&first).expect("a next page")).await;
    assert_eq!(names(&second), ["Trang phụ 0"]);
    assert_eq!(next_page(&second), None);
    let filtered = officer.page("/desk/register?status=active").await;
    assert_eq!(next_page(&filtered), None, "ten active pages fit one page");
    let words = officer.page("/desk/register?q=https").await;
    let next = next_page(&words).expect("a next page");
    assert!(next.starts_with("/desk/register?q=https&after="), "{next}");
    assert_eq!(names(&officer.page(&next).await), ["Trang phụ 0"]);
    assert!(
        filtered.contains("href=\"/desk/register/export.csv?status=active\""),
        "{filtered}"
    );
}

#[tokio::test]
async fn a_page_shows_every_fact_and_every_version_with_its_time() {
    let app = spawn_app().await;
    let lan = member(&app, "lan@example.org", "hn-ba-dinh", true).await;
    let mut first = draft("Tin tức Ba Đình", "https://www.facebook.com/badinh.news");
    first.linked_phone = "0912 345 678".to_owned();
    let page = declare(&app, &lan, &first).await;
    let db = app.database().await;
    let mut second = first.clone();
    second.linked_phone = "0987 654 321".to_owned();
    uc::edit(&db, &lan, page.id, 1, &second, Utc::now())
        .await
        .expect("edit");
    let mut third = second.clone();
    third.status = "closed".to_owned();
    third.closed_on = "2024-01-15".to_owned();
    third.closed_reason = "Chuyển sang trang mới".to_owned();
    third.deleted_on_platform = true;
    uc::edit(&db, &lan, page.id, 2, &third, Utc::now())
        .await
        .expect("close");

    let viewer = Officer::create(&app, "xem", Role::Viewer, Some("hn")).await;
    let html = viewer
        .page(&format!("/desk/register/pages/{}", page.id))
        .await;
    assert_eq!(text_of(&html, "page-name"), "Tin tức Ba Đình");
    assert_eq!(
        text_of(&html, "fact-url"),
        "https://www.facebook.com/badinh.news"
    );
    assert_eq!(text_of(&html, "fact-linked_phone"), "0987654321");
    assert_eq!(text_of(&html, "fact-created_on"), "03/2019");
    assert_eq!(text_of(&html, "fact-status"), "Đã đóng");
    assert_eq!(text_of(&html, "fact-closed_on"), "15/01/2024");
    assert_eq!(
        text_of(&html, "fact-closed_reason"),
        "Chuyển sang trang mới"
    );
    assert_eq!(text_of(&html, "fact-deleted_on_platform"), "Có");
    assert_eq!(text_of(&html, "declarer"), "lan@example.org");
    assert_eq!(text_of(&html, "committee"), "Ban Quận Ba Đình");
    assert_eq!(text_of(&html, "version"), "3");
    assert!(
        section(&html, "admins").contains("@lan.nguyen · chủ sở hữu"),
        "{html}"
    );
    assert!(
        section(&html, "memberships").contains("Nhóm tình nguyện phường"),
        "{html}"
    );
    let history = section(&html, "history");
    for (version, change) in [
        (1, "Khai báo lần đầu"),
        (2, "Sửa khai báo"),
        (3, "Đóng trang"),
    ] {
        let line = element(history, &format!("version-{version}"), "</li>");
        assert!(line.contains(change), "{line}");
        assert!(line.contains("lúc "), "declared on a time: {line}");
    }
    assert!(!html.contains("id=\"shared-flag\""));

    let v1 = viewer
        .page(&format!("/desk/register/pages/{}/versions/1", page.id))
        .await;
    assert_eq!(text_of(&v1, "fact-linked_phone"), "0912345678");
    assert_eq!(text_of(&v1, "fact-status"), "Đang hoạt động");
    assert!(text_of(&v1, "version-line").starts_with("Khai báo lần đầu lúc "));
    assert_eq!(
        viewer
            .get(&format!("/desk/register/pages/{}/versions/4", page.id))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let english = viewer
        .page(&format!("/desk/register/pages/{}?lang=en", page.id))
        .await;
    assert_eq!(text_of(&english, "fact-status"), "Closed");
}

#[tokio::test]
async fn a_page_declared_by_two_members_is_flagged_wherever_it_shows() {
    let app = spawn_app().await;
    let lan = page_of(
        &app,
        "lan@example.org",
        "hn-ba-dinh",
        "Tin tức Ba Đình",
        "https://www.facebook.com/badinh.news",
    )
    .await;
    let hoa = page_of(
        &app,
        "hoa@example.org",
        "hn-ba-dinh-phuc-xa",
        "Ba Đình News",
        "https://m.facebook.com/badinh.news/",
    )
    .await;
    let alone = page_of(
        &app,
        "minh@example.org",
        "hn-ba-dinh",
        "Cầu Giấy trẻ",
        "https://www.tiktok.com/@caugiay.tre",
    )
    .await;

    let district = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let list = district.page("/desk/register").await;
    for (page, shared) in [(&lan, true), (&hoa, true), (&alone, false)] {
        let row = section_row(&list, &format!("register-{}", page.id));
        assert_eq!(row.contains("flag-shared"), shared, "{row}");
    }
    let html = district
        .page(&format!("/desk/register/pages/{}", lan.id))
        .await;
    assert!(html.contains("id=\"shared-flag\""), "{html}");
    let others = section(&html, "others");
    assert!(others.contains("hoa@example.org"), "{others}");
    assert!(!others.contains("lan@example.org"), "{others}");
    assert!(!html.contains("id=\"shared-elsewhere\""));

    // The ward sees the flag, and that the other declaration is outside its reach.
    let ward = Officer::create(&app, "phuc.ho", Role::Officer, Some("hn-ba-dinh-phuc-xa")).await;
    let html = ward.page(&format!("/desk/register/pages/{}", hoa.id)).await;
    assert!(html.contains("id=\"shared-flag\""));
    assert!(html.contains("id=\"shared-elsewhere\""), "{html}");
    assert!(!html.contains("lan@example.org"));

    let lines = csv_of(&district, "/desk/register/export.csv").await;
    let shared_column = lines[0].iter().position(|h| h == "shared").expect("shared");
    for line in &lines[1..] {
        let expected = if line[0] == alone.id.to_string() {
            "false"
        } else {
            "true"
        };
        assert_eq!(line[shared_column], expected, "{line:?}");
    }
}

/// The table row with this id.
fn section_row<'h>(html: &'h str, id: &str) -> &'h str {
    element(html, id, "</tr>")
}

#[tokio::test]
async fn the_csv_is_the_filtered_register_of_the_scope_with_formula_cells_neutralised() {
    let app = spawn_app().await;
    let lan = member(&app, "lan@example.org", "hn-ba-dinh", true).await;
    let mut evil = draft(
        "=HYPERLINK(\"http://evil.example/\",\"Bấm vào đây\")",
        "https://www.facebook.com/badinh.news",
    );
    evil.purpose = "+84 là số của tôi".to_owned();
    evil.admins = vec![("@SUM(A1:A9)".to_owned(), "admin".to_owned())];
    evil.linked_phone = "+33 6 12 34 56 78".to_owned();
    let page = declare(&app, &lan, &evil).await;
    let mut closed = draft("-1+1 trang cũ", "https://zalo.me/trangcu");
    closed.status = "closed".to_owned();
    closed.closed_on = "2024-05-01".to_owned();
    closed.closed_reason = "Không còn dùng".to_owned();
    declare(&app, &lan, &closed).await;
    page_of(
        &app,
        "binh@example.org",
        "hcm-q1",
        "Quận 1 trẻ",
        "https://www.tiktok.com/@quan1.tre",
    )
    .await;

    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let lines = csv_of(&officer, "/desk/register/export.csv").await;
    assert_eq!(
        lines[0],
        [
            "id",
            "name",
            "url",
            "platform",
            "status",
            "declarer_email",
            "committee",
            "created_on",
            "purpose",
            "linked_phone",
            "linked_email",
            "admins",
            "memberships",
            "closed_on",
            "closed_reason",
            "deleted_on_platform",
            "declared_at",
            "updated_at",
            "confirmed_at",
            "version",
            "shared"
        ]
    );
    assert_eq!(lines.len(), 3, "two pages of the scope: {lines:?}");
    let line = lines
        .iter()
        .find(|l| l[0] == page.id.to_string())
        .expect("the page's line");
    assert_eq!(
        line[1],
        "'=HYPERLINK(\"http://evil.example/\",\"Bấm vào đây\")"
    );
    assert_eq!(line[2], "https://www.facebook.com/badinh.news");
    assert_eq!(line[3], "facebook");
    assert_eq!(line[4], "active");
    assert_eq!(line[5], "lan@example.org");
    assert_eq!(line[6], "Ban Quận Ba Đình");
    assert_eq!(line[7], "2019-03");
    assert_eq!(line[8], "'+84 là số của tôi");
    assert_eq!(line[9], "'+33612345678");
    assert_eq!(line[11], "'@SUM(A1:A9) (admin)");
    line[16]
        .parse::<chrono::DateTime<Utc>>()
        .expect("an RFC 3339 time");
    assert_eq!(line[19], "1");
    for line in &lines[1..] {
        for value in line {
            assert!(
                !value.starts_with(['=', '+', '-', '@']),
                "{value} in {line:?}"
            );
        }
    }

    let closed_only = csv_of(&officer, "/desk/register/export.csv?status=closed").await;
    assert_eq!(closed_only.len(), 2);
    assert_eq!(closed_only[1][1], "'-1+1 trang cũ");
    assert_eq!(closed_only[1][13], "2024-05-01");
    let none = csv_of(&officer, "/desk/register/export.csv?q=quan+1").await;
    assert_eq!(none.len(), 1, "only the header: {none:?}");
    // Signed out, there is no CSV.
    let stranger = Officer::new(&app);
    let response = stranger.get("/desk/register/export.csv").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

// ---- members ----------------------------------------------------------------------------

#[tokio::test]
async fn an_officer_confirms_the_members_who_chose_a_committee_of_their_scope() {
    let app = spawn_app().await;
    let waiting = member(&app, "moi@example.org", "hn-ba-dinh-phuc-xa", false).await;
    let elsewhere = member(&app, "xa@example.org", "hcm-q1", false).await;
    member(&app, "cu@example.org", "hn-ba-dinh", true).await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;

    let all = officer.page("/desk/register/members").await;
    assert_eq!(roster(&all), ["cu@example.org", "moi@example.org"]);
    let awaiting = officer
        .page("/desk/register/members?filter=unconfirmed")
        .await;
    assert_eq!(roster(&awaiting), ["moi@example.org"]);
    assert!(awaiting.contains(&format!("id=\"pick-{}\"", waiting.id)));

    // A forged id of another city's member is ignored.
    let waiting_id = waiting.id.to_string();
    let elsewhere_id = elsewhere.id.to_string();
    let response = officer
        .post_form(
            "/desk/register/members/confirm",
            &[("member", &waiting_id), ("member", &elsewhere_id)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let back = officer.page(location(&response)).await;
    assert_eq!(text_of(&back, "done"), "Đã xác nhận 1 thành viên.");
    assert!(roster(&back).is_empty(), "nobody waits any more");
    let admin = Officer::create(&app, "root", Role::Admin, None).await;
    assert_eq!(
        roster(
            &admin
                .page("/desk/register/members?filter=unconfirmed")
                .await
        ),
        ["xa@example.org"]
    );
    let row = section_row(
        &officer.page("/desk/register/members").await,
        &format!("member-{}", waiting.id),
    )
    .to_owned();
    assert!(!row.contains("flag-awaiting"), "{row}");
}

#[tokio::test]
async fn adding_members_names_each_refused_line_and_adds_none_until_all_are_good() {
    let app = spawn_app().await;
    member(&app, "da-co-ban@example.org", "hcm-q1", true).await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;

    let form = officer.page("/desk/register/members").await;
    assert!(form.contains("id=\"add-form\""));
    assert!(
        form.contains("<option value=\"hn-ba-dinh\" selected>"),
        "own committee first"
    );
    assert!(form.contains("<option value=\"hn-ba-dinh-phuc-xa\""));
    assert!(!form.contains("<option value=\"hcm"), "{form}");

    let typed = "an@example.org\nkhong-phai-email\nbinh@example.org, da-co-ban@example.org";
    let refused = officer
        .post_form(
            "/desk/register/members/add",
            &[("committee", "hn-ba-dinh"), ("emails", typed)],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.expect("html");
    let errors = element(&html, "emails-error", "</ul>").to_owned();
    assert!(errors.contains("Dòng 2 (khong-phai-email)"), "{errors}");
    assert!(
        errors.contains("Dòng 3 (da-co-ban@example.org)"),
        "{errors}"
    );
    assert!(errors.contains("ban khác"), "{errors}");
    assert!(!errors.contains("(an@example.org)"), "{errors}");
    assert!(
        html.contains("khong-phai-email\nbinh@example.org"),
        "what was typed stays"
    );
    assert!(roster(&officer.page("/desk/register/members").await).is_empty());

    let outside = officer
        .post_form(
            "/desk/register/members/add",
            &[("committee", "hcm-q1"), ("emails", "an@example.org")],
        )
        .await;
    assert_eq!(outside.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        outside
            .text()
            .await
            .expect("html")
            .contains("id=\"committee-error\"")
    );

    let added = officer
        .post_form(
            "/desk/register/members/add",
            &[
                ("committee", "hn-ba-dinh-phuc-xa"),
                ("emails", "An@Example.org\n\nbinh@example.org; "),
            ],
        )
        .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let back = officer.page(location(&added)).await;
    assert_eq!(text_of(&back, "done"), "Đã thêm 2 thành viên vào ban.");
    assert_eq!(roster(&back), ["an@example.org", "binh@example.org"]);
    assert!(
        !back.contains("flag-awaiting"),
        "added members are confirmed at once"
    );
}

// ---- who may act ------------------------------------------------------------------------

#[tokio::test]
async fn a_viewer_reads_the_register_but_every_change_is_refused() {
    let app = spawn_app().await;
    let waiting = member(&app, "moi@example.org", "hn-ba-dinh", false).await;
    let page = page_of(
        &app,
        "lan@example.org",
        "hn-ba-dinh",
        "Tin tức Ba Đình",
        "https://www.facebook.com/badinh.news",
    )
    .await;
    let viewer = Officer::create(&app, "xem", Role::Viewer, Some("hn-ba-dinh")).await;

    for path in [
        "/desk/register".to_owned(),
        format!("/desk/register/pages/{}", page.id),
        "/desk/register/members".to_owned(),
        "/desk/register/requests".to_owned(),
    ] {
        let html = viewer.page(&path).await;
        for form in ["add-form", "start-form", "confirm-members", "pick-"] {
            assert!(!html.contains(&format!("id=\"{form}")), "{form} on {path}");
        }
    }
    let waiting_id = waiting.id.to_string();
    let deadline = deadline_in(10);
    for (path, fields) in [
        (
            "/desk/register/members/confirm",
            vec![("member", waiting_id.as_str())],
        ),
        (
            "/desk/register/members/add",
            vec![("committee", "hn-ba-dinh"), ("emails", "an@example.org")],
        ),
        (
            "/desk/register/requests",
            vec![("committee", "hn-ba-dinh"), ("deadline", deadline.as_str())],
        ),
    ] {
        let response = viewer.post_form(path, &fields).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "POST {path}");
    }
    let admin = Officer::create(&app, "root", Role::Admin, None).await;
    assert_eq!(
        roster(
            &admin
                .page("/desk/register/members?filter=unconfirmed")
                .await
        ),
        ["moi@example.org"]
    );
    assert_eq!(
        roster(&admin.page("/desk/register/members").await),
        ["lan@example.org", "moi@example.org"]
    );
    assert!(
        !admin
            .page("/desk/register/requests")
            .await
            .contains("class=\"request\"")
    );
}

#[tokio::test]
async fn register_forms_without_the_officers_token_are_refused() {
    let app = spawn_app().await;
    let waiting = member(&app, "moi@example.org", "hn-ba-dinh", false).await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let someone_else = Officer::create(&app, "khac", Role::Officer, Some("hn-ba-dinh")).await;
    let foreign_token = someone_else.token().await;
    let waiting_id = waiting.id.to_string();
    let deadline = deadline_in(10);
    let forms = [
        (
            "/desk/register/members/confirm",
            vec![("member", waiting_id.as_str())],
        ),
        (
            "/desk/register/members/add",
            vec![("committee", "hn-ba-dinh"), ("emails", "an@example.org")],
        ),
        (
            "/desk/register/requests",
            vec![("committee", "hn-ba-dinh"), ("deadline", deadline.as_str())],
        ),
    ];
    for (path, fields) in &forms {
        let bare = officer.post_raw(path, fields).await;
        assert_eq!(bare.status(), StatusCode::FORBIDDEN, "no token: {path}");
        let mut forged = fields.clone();
        forged.push(("csrf_token", foreign_token.as_str()));
        let response = officer.post_raw(path, &forged).await;
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "another's token: {path}"
        );
    }
    assert_eq!(
        roster(
            &officer
                .page("/desk/register/members?filter=unconfirmed")
                .await
        ),
        ["moi@example.org"]
    );
    assert_eq!(
        roster(&officer.page("/desk/register/members").await),
        ["moi@example.org"]
    );
    assert!(
        !officer
            .page("/desk/register/requests")
            .await
            .contains("class=\"request\"")
    );
}

// ---- a request campaign -----------------------------------------------------------------

/// The path of the sign-in link in a mail.
fn link_in(mail: &crate::smtp::ReceivedMail) -> String {
    let parsed = mail.parsed();
    let text = parsed.body_text(0).expect("a text part").into_owned();
    let start = text
        .find("http://127.0.0.1/me/link/")
        .unwrap_or_else(|| panic!("no sign-in link in {text}"))
        + "http://127.0.0.1".len();
    text[start..]
        .split_whitespace()
        .next()
        .expect("the link")
        .to_owned()
}

fn subject(mail: &crate::smtp::ReceivedMail) -> String {
    mail.parsed().subject().expect("a subject").to_owned()
}

fn is_kind(mail: &crate::smtp::ReceivedMail, key: &str) -> bool {
    let subject = subject(mail);
    [Locale::Vi, Locale::En]
        .into_iter()
        .any(|l| subject == i18n::text(l, key))
}

/// The mails of `key`'s kind to each address, sorted.
fn recipients(mails: &[crate::smtp::ReceivedMail], key: &str) -> Vec<String> {
    let mut to: Vec<String> = mails
        .iter()
        .filter(|m| is_kind(m, key))
        .flat_map(|m| m.rcpt_to.clone())
        .collect();
    to.sort();
    to
}

/// The member follows the link of their mail and confirms their declaration.
async fn answer(app: &TestApp, mail: &crate::smtp::ReceivedMail) {
    let browser = browser_client();
    let path = link_in(mail);
    let landing = browser.get(app.url(&path)).send().await.expect("sent");
    assert_eq!(landing.status(), StatusCode::OK, "the link's page");
    let token = hidden_input(&landing.text().await.expect("html"), "csrf_token");
    let signed_in = browser
        .post(app.url(&path))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER, "signed in");
    assert_eq!(signed_in.headers()["location"], "/me");
    let home = browser.get(app.url("/me")).send().await.expect("sent");
    assert_eq!(home.status(), StatusCode::OK);
    let token = hidden_input(&home.text().await.expect("html"), "csrf_token");
    let confirmed = browser
        .post(app.url("/me/confirm"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .expect("sent");
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER, "confirmed");
}

/// Time passes until the request's one reminder falls due.
async fn reminder_falls_due(db: &Database, request: Uuid) {
    declaration_request::Entity::update_many()
        .col_expr(
            declaration_request::Column::RemindAt,
            Expr::value(Utc::now()),
        )
        .filter(declaration_request::Column::Id.eq(request))
        .exec(db.conn())
        .await
        .expect("move the reminder");
}

#[tokio::test]
async fn a_request_mails_every_member_of_the_subtree_follows_their_answers_and_reminds_once() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(&format!(
        "[email]\nsmtp_url = \"{}\"\n[register]\nreminder_before = \"3d\"\n",
        sink.url()
    ))
    .await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let admin = Officer::create(&app, "root", Role::Admin, None).await;
    for (by, committee, emails) in [
        (&officer, "hn-ba-dinh", "an@example.org\nbinh@example.org"),
        (&officer, "hn-ba-dinh-phuc-xa", "chi@example.org"),
        (&admin, "hcm-q1", "dung@example.org"),
    ] {
        let added = by
            .post_form(
                "/desk/register/members/add",
                &[("committee", committee), ("emails", emails)],
            )
            .await;
        assert_eq!(added.status(), StatusCode::SEE_OTHER, "{emails}");
    }

    let request = start_request(
        &officer,
        "hn-ba-dinh",
        "Vui lòng rà soát trước ngày họp chi bộ.",
    )
    .await;
    let page = officer.page(&format!("{request}?done=started&n=3")).await;
    assert_eq!(text_of(&page, "count-asked"), "3");
    assert_eq!(text_of(&page, "count-answered"), "0");
    assert_eq!(
        asked(&page, "not_answered"),
        ["an@example.org", "binh@example.org", "chi@example.org"]
    );

    // The first step mails the request; its reminder is not due yet.
    let step = app.dispatch_once().await;
    assert_eq!(
        (step.member_mails, step.request_reminders),
        (3, 0),
        "{step:?}"
    );
    let mails = sink.messages().await;
    assert_eq!(
        recipients(&mails, "email-member-request-subject"),
        ["an@example.org", "binh@example.org", "chi@example.org"]
    );
    for mail in &mails {
        let text = mail.parsed().body_text(0).expect("text").into_owned();
        assert!(
            text.contains("Vui lòng rà soát trước ngày họp chi bộ."),
            "{text}"
        );
        assert!(text.contains("Ban Quận Ba Đình"), "{text}");
        assert!(link_in(mail).starts_with("/me/link/"));
    }
    let page = officer.page(&request).await;
    let progress = element(&page, "mail", "</table>").to_owned();
    assert!(
        progress.contains("<td class=\"delivered\">3</td>"),
        "{progress}"
    );

    let to_an = mails
        .iter()
        .find(|m| m.rcpt_to == ["an@example.org"])
        .expect("An's mail");
    answer(&app, to_an).await;
    let page = officer.page(&request).await;
    assert_eq!(text_of(&page, "count-answered"), "1");
    assert_eq!(text_of(&page, "count-not-answered"), "2");
    assert_eq!(asked(&page, "answered"), ["an@example.org"]);
    assert_eq!(
        asked(&page, "not_answered"),
        ["binh@example.org", "chi@example.org"]
    );
    assert!(asked(&page, "stale").is_empty());
    let listed = officer.page("/desk/register/requests").await;
    let row = section_row(
        &listed,
        &format!("request-{}", request.rsplit('/').next().expect("id")),
    )
    .to_owned();
    assert!(
        row.contains("<span class=\"answered\">1</span>/<span class=\"asked\">3</span>"),
        "{row}"
    );

    // The reminder goes once, to those who have not answered.
    let id: Uuid = request
        .rsplit('/')
        .next()
        .expect("id")
        .parse()
        .expect("uuid");
    reminder_falls_due(&app.database().await, id).await;
    let step = app.dispatch_once().await;
    assert_eq!(
        (step.request_reminders, step.member_mails),
        (2, 2),
        "{step:?}"
    );
    let step = app.dispatch_once().await;
    assert_eq!(
        (step.request_reminders, step.member_mails),
        (0, 0),
        "{step:?}"
    );
    let mails = sink.messages().await;
    assert_eq!(
        recipients(&mails, "email-member-reminder-subject"),
        ["binh@example.org", "chi@example.org"]
    );
    assert_eq!(mails.len(), 5, "three requests and two reminders");
    let page = officer.page(&request).await;
    assert!(
        page.contains(&i18n::text(Locale::Vi, "desk-reg-reminded")),
        "{page}"
    );
    assert!(element(&page, "mail", "</table>").contains("<td class=\"delivered\">2</td>"));

    // A reminder's link signs in too, and answering moves the member to the answered list.
    let to_chi = mails
        .iter()
        .find(|m| m.rcpt_to == ["chi@example.org"] && is_kind(m, "email-member-reminder-subject"))
        .expect("Chi's reminder");
    answer(&app, to_chi).await;
    let page = officer.page(&request).await;
    assert_eq!(
        asked(&page, "answered"),
        ["an@example.org", "chi@example.org"]
    );
    assert_eq!(asked(&page, "not_answered"), ["binh@example.org"]);
    assert!(app.dispatch_once().await.is_idle());
    assert_eq!(sink.messages().await.len(), 5, "no mail to the other city");
}

#[tokio::test]
async fn the_lists_of_a_request_come_in_keyset_pages() {
    let app = spawn_app_with("[register]\npage_size = 10\n").await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let emails: Vec<String> = (0..12).map(|i| format!("tv{i:02}@example.org")).collect();
    let added = officer
        .post_form(
            "/desk/register/members/add",
            &[("committee", "hn-ba-dinh"), ("emails", &emails.join("\n"))],
        )
        .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let members = officer.page("/desk/register/members").await;
    assert_eq!(roster(&members).len(), 10);
    let rest = officer
        .page(&next_page(&members).expect("the roster's next page"))
        .await;
    assert_eq!(roster(&rest), ["tv10@example.org", "tv11@example.org"]);

    let request = start_request(&officer, "hn-ba-dinh", "").await;
    let page = officer.page(&request).await;
    assert_eq!(text_of(&page, "count-asked"), "12");
    let first = asked(&page, "not_answered");
    assert_eq!(first.len(), 10);
    let list = section(&page, "asked-not_answered");
    let (before, _) = list.split_once("class=\"next-page\"").expect("a next page");
    let next = before
        .rsplit("href=\"")
        .next()
        .and_then(|h| h.split('"').next())
        .expect("href")
        .replace("&#38;", "&");
    assert!(next.contains("not_answered_after="), "{next}");
    let second = asked(&officer.page(&next).await, "not_answered");
    assert_eq!(second.len(), 2);
    let mut all = [first, second].concat();
    all.sort();
    all.dedup();
    assert_eq!(all, emails, "every member once");
}

#[tokio::test]
async fn the_request_form_names_each_problem_and_sends_nothing() {
    let app = spawn_app().await;
    member(&app, "an@example.org", "hn-ba-dinh", true).await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let form = officer.page("/desk/register/requests").await;
    assert!(form.contains("id=\"start-form\""));
    assert!(
        form.contains("<option value=\"hn-ba-dinh\" selected>"),
        "{form}"
    );
    // Another committee of the scope is found by searching.
    let found = officer.page("/desk/register/requests?cq=phuc+xa").await;
    assert!(
        found.contains("<option value=\"hn-ba-dinh-phuc-xa\""),
        "{found}"
    );
    let outside = officer.page("/desk/register/requests?cq=quan+1").await;
    assert!(!outside.contains("<option value=\"hcm-q1\""), "{outside}");

    let today = deadline_in(0);
    let refused = officer
        .post_form(
            "/desk/register/requests",
            &[
                ("committee", "hn-ba-dinh"),
                ("deadline", &today),
                ("message", "Nhắn"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.expect("html");
    assert!(html.contains("id=\"deadline-error\""), "{html}");
    assert!(
        html.contains(&format!("value=\"{today}\"")),
        "what was typed stays"
    );
    let refused = officer
        .post_form(
            "/desk/register/requests",
            &[("committee", "hn-ba-dinh"), ("deadline", "mai")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        !officer
            .page("/desk/register/requests")
            .await
            .contains("class=\"request\"")
    );
    assert!(app.dispatch_once().await.is_idle(), "nothing was queued");
}

#[tokio::test]
async fn the_register_is_in_the_desks_navigation_in_both_languages() {
    let app = spawn_app().await;
    let officer = Officer::create(&app, "mai.tran", Role::Officer, Some("hn-ba-dinh")).await;
    let queue = officer.page("/desk").await;
    assert!(
        queue.contains("href=\"/desk/register\" id=\"nav-register\""),
        "{queue}"
    );
    let english = officer.page("/desk/register/members?lang=en").await;
    assert!(english.contains(">Page register<"), "{english}");
    assert!(english.contains(">Add members<"), "{english}");
}
