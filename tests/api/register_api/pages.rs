//! `GET /api/v1/pages` and `GET /api/v1/pages/{id}`: each key reads the register within its
//! reach, searches and filters it, follows its changes page by page, and reads a page's
//! every version.

use reqwest::StatusCode;
use serde_json::Value;

use super::{Declarant, MANY_SIGN_INS, PageForm, ids, read, register_key};
use crate::{
    helpers::{TestApp, expect_problem, expect_status, field_rules, spawn_app_with},
    smtp::SmtpSink,
};

/// One declared page in each of four committees: two in the Ba Dinh subtree, one in Cau
/// Giay (also in Hanoi), one in Ho Chi Minh City. In declaration order.
struct Register<'a> {
    members: Vec<Declarant<'a>>,
    pages: Vec<String>,
}

async fn app(sink: &SmtpSink) -> TestApp {
    spawn_app_with(&format!(
        "{MANY_SIGN_INS}[email]\nsmtp_url = \"{}\"\n",
        sink.url()
    ))
    .await
}

async fn register<'a>(app: &'a TestApp, sink: &SmtpSink) -> Register<'a> {
    let seeds = [
        (
            "lan@example.org",
            "hn-ba-dinh",
            PageForm {
                phone: "0912 345 678",
                email: "Trang.BaDinh@example.org",
                admins: &[("@lan.nguyen", "owner")],
                ..PageForm::new("Tin tức Ba Đình", "https://www.facebook.com/badinh.news")
            },
        ),
        (
            "minh@example.org",
            "hn-ba-dinh-phuc-xa",
            PageForm::new(
                "Đoàn phường Phúc Xá",
                "https://www.facebook.com/phucxa.youth",
            ),
        ),
        (
            "hoa@example.org",
            "hn-cau-giay",
            PageForm::new("Cầu Giấy trẻ", "https://www.tiktok.com/@caugiay.tre"),
        ),
        (
            "nam@example.org",
            "hcm-q1",
            PageForm::new("Thanh niên Quận 1", "https://www.youtube.com/@q1youth"),
        ),
    ];
    let mut register = Register {
        members: Vec::new(),
        pages: Vec::new(),
    };
    for (email, committee, page) in seeds {
        let member = Declarant::sign_in(app, sink, email, committee).await;
        register.pages.push(member.declare(&page).await);
        register.members.push(member);
    }
    register
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[tokio::test]
async fn each_key_reads_the_register_of_its_reach_and_nothing_beyond() {
    let sink = SmtpSink::start().await;
    let app = app(&sink).await;
    let r = register(&app, &sink).await;
    let p = &r.pages;

    let all = register_key(&app, None, None).await;
    let ba_dinh = register_key(&app, Some("hn-ba-dinh"), None).await;
    let hanoi = register_key(&app, Some("hn"), None).await;
    let ba_dinh_party = register_key(&app, None, Some("hn-ba-dinh")).await;
    let provider = register_key(&app, None, Some("meta")).await;
    let cases = [
        ("unbound", &all, vec![0, 1, 2, 3]),
        ("committee hn-ba-dinh: its subtree", &ba_dinh, vec![0, 1]),
        ("committee hn: its subtree", &hanoi, vec![0, 1, 2]),
        (
            "party hn-ba-dinh: its own committee",
            &ba_dinh_party,
            vec![0],
        ),
        ("party meta: no committee, nothing", &provider, vec![]),
    ];
    for (who, key, seen) in cases {
        let list = read(&app, key, "/api/v1/pages").await;
        let expected: Vec<String> = seen.iter().map(|&i| p[i].clone()).collect();
        assert_eq!(sorted(ids(&list)), sorted(expected), "{who}");
        for (i, page) in p.iter().enumerate() {
            let response = app.get_as(key, &format!("/api/v1/pages/{page}")).await;
            if seen.contains(&i) {
                expect_status(response, StatusCode::OK).await;
            } else {
                expect_problem(response, StatusCode::NOT_FOUND, "not_found").await;
            }
        }
    }

    // The committee filter narrows within the reach; it never widens it.
    let narrowed = read(&app, &hanoi, "/api/v1/pages?committee=hn-ba-dinh").await;
    assert_eq!(
        sorted(ids(&narrowed)),
        sorted(vec![p[0].clone(), p[1].clone()])
    );
    let outside = read(&app, &ba_dinh, "/api/v1/pages?committee=hcm").await;
    assert!(ids(&outside).is_empty());

    // Without the scope, or without a key.
    expect_problem(
        app.get("/api/v1/pages").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_problem(
        app.get(&format!("/api/v1/pages/{}", p[0])).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let anonymous = app
        .client
        .get(app.url("/api/v1/pages"))
        .send()
        .await
        .expect("sent");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    expect_problem(
        app.get_as(&all, "/api/v1/pages/not-a-page").await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn an_item_carries_every_declared_field_and_search_finds_it_by_link_phone_email_or_name() {
    let sink = SmtpSink::start().await;
    let app = app(&sink).await;
    let r = register(&app, &sink).await;
    let key = register_key(&app, None, None).await;

    let list = read(&app, &key, "/api/v1/pages").await;
    let item = list["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|i| i["id"] == r.pages[0].as_str())
        .expect("the Ba Dinh page")
        .clone();
    assert_eq!(item["member_email"], "lan@example.org");
    assert_eq!(item["committee"], "hn-ba-dinh");
    assert_eq!(item["version"], 1);
    assert_eq!(item["shared"], false);
    for field in ["declared_at", "updated_at", "confirmed_at"] {
        assert!(item[field].is_string(), "{field} in {item:#}");
    }
    let d = &item["declaration"];
    assert_eq!(d["platform"], "facebook");
    assert_eq!(d["url"], "https://www.facebook.com/badinh.news");
    assert_eq!(d["name"], "Tin tức Ba Đình");
    assert_eq!(d["created_on"], "2020");
    assert_eq!(d["status"], "active");
    assert_eq!(d["linked_phone"], "0912345678");
    assert_eq!(d["linked_email"], "trang.badinh@example.org");
    assert_eq!(d["admins"][0]["account"], "@lan.nguyen");
    assert_eq!(d["admins"][0]["role"], "owner");
    assert!(d["memberships"].as_array().is_some_and(|m| m.is_empty()));
    for field in [
        "purpose",
        "closed_on",
        "closed_reason",
        "deleted_on_platform",
    ] {
        assert!(d.get(field).is_some(), "{field} in {d:#}");
    }

    for q in [
        "https://m.facebook.com/badinh.news/",
        "0912-345-678",
        "+84 912 345 678",
        "TRANG.BADINH@EXAMPLE.ORG",
        "tin tuc ba dinh",
    ] {
        let path = format!("/api/v1/pages?q={}", urlencoding(q));
        assert_eq!(
            ids(&read(&app, &key, &path).await),
            vec![r.pages[0].clone()],
            "q={q}"
        );
    }
    let none = read(
        &app,
        &key,
        "/api/v1/pages?q=https://www.facebook.com/nobody",
    )
    .await;
    assert!(ids(&none).is_empty());
    // A control character in the words is a separator, never a database error.
    let split = read(&app, &key, "/api/v1/pages?q=tin%00ba%0Ad%C3%ACnh").await;
    assert_eq!(ids(&split), vec![r.pages[0].clone()]);
}

fn urlencoding(raw: &str) -> String {
    url::form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}

#[tokio::test]
async fn sync_tools_follow_changes_oldest_first_page_by_page_and_see_each_version() {
    let sink = SmtpSink::start().await;
    let app = app(&sink).await;
    let r = register(&app, &sink).await;
    let key = register_key(&app, None, None).await;
    let p = &r.pages;

    // Newest change first without `updated_since`.
    let newest = read(&app, &key, "/api/v1/pages").await;
    let mut declared_order = p.clone();
    declared_order.reverse();
    assert_eq!(ids(&newest), declared_order);

    // With it, oldest first, two at a time, every page once.
    let since = "2000-01-01T00:00:00Z";
    let mut seen = Vec::new();
    let mut path = format!("/api/v1/pages?updated_since={since}&limit=2");
    loop {
        let page = read(&app, &key, &path).await;
        assert!(page["data"].as_array().expect("data").len() <= 2);
        seen.extend(ids(&page));
        match page["next_after"].as_str() {
            Some(after) => {
                path = format!("/api/v1/pages?updated_since={since}&limit=2&after={after}")
            }
            None => break,
        }
    }
    assert_eq!(seen, *p, "every page once, oldest change first");

    // A tool that synced up to the newest change sees only what changed since.
    let last_sync = newest["data"][0]["updated_at"]
        .as_str()
        .expect("updated_at")
        .to_owned();
    r.members[1]
        .edit(
            &p[1],
            &PageForm {
                purpose: "Tin hoạt động của Đoàn phường",
                ..PageForm::new(
                    "Đoàn phường Phúc Xá",
                    "https://www.facebook.com/phucxa.youth",
                )
            },
        )
        .await;
    r.members[1].close(&p[1], "2026-11-30").await;
    let since_sync = read(
        &app,
        &key,
        &format!("/api/v1/pages?updated_since={}", urlencoding(&last_sync)),
    )
    .await;
    // The newest page of the last sync again (at or after), and the changed one.
    assert_eq!(ids(&since_sync), vec![p[3].clone(), p[1].clone()]);
    let changed = &since_sync["data"][1];
    assert_eq!(changed["version"], 3);
    assert_eq!(changed["declaration"]["status"], "closed");
    let closed = read(&app, &key, "/api/v1/pages?status=closed").await;
    assert_eq!(ids(&closed), vec![p[1].clone()]);

    // The page's whole history: each version's snapshot, change and time.
    let detail = read(&app, &key, &format!("/api/v1/pages/{}", p[1])).await;
    assert_eq!(detail["id"], p[1].as_str());
    assert_eq!(detail["version"], 3);
    let history = detail["history"].as_array().expect("history");
    let changes: Vec<(i64, &str)> = history
        .iter()
        .map(|v| {
            (
                v["version"].as_i64().expect("version"),
                v["change"].as_str().expect("change"),
            )
        })
        .collect();
    assert_eq!(changes, vec![(1, "declared"), (2, "edited"), (3, "closed")]);
    assert_eq!(
        history[0]["declaration"]["purpose"],
        "Đưa tin hoạt động của chi đoàn"
    );
    assert_eq!(
        history[1]["declaration"]["purpose"],
        "Tin hoạt động của Đoàn phường"
    );
    assert_eq!(history[2]["declaration"]["status"], "closed");
    assert_eq!(history[2]["declaration"]["closed_on"], "2026-11-30");
    let at = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v["at"].as_str().expect("at")).expect("a time")
    };
    assert!(at(&history[0]) < at(&history[1]) && at(&history[1]) <= at(&history[2]));
    assert_eq!(history[0]["at"], detail["declared_at"]);
}

#[tokio::test]
async fn a_page_declared_by_two_members_is_shared_and_each_names_the_other() {
    let sink = SmtpSink::start().await;
    let app = app(&sink).await;
    let first = Declarant::sign_in(&app, &sink, "lan@example.org", "hn-ba-dinh").await;
    let second = Declarant::sign_in(&app, &sink, "minh@example.org", "hn-ba-dinh-phuc-xa").await;
    let page = PageForm::new("Tin tức Ba Đình", "https://www.facebook.com/badinh.news");
    let a = first.declare(&page).await;
    let b = second
        .declare(&PageForm {
            url: "https://m.facebook.com/badinh.news",
            ..page
        })
        .await;
    let key = register_key(&app, None, None).await;
    let list = read(&app, &key, "/api/v1/pages").await;
    assert!(
        list["data"]
            .as_array()
            .expect("data")
            .iter()
            .all(|p| p["shared"] == true)
    );
    let detail = read(&app, &key, &format!("/api/v1/pages/{a}")).await;
    let others = detail["others"].as_array().expect("others");
    assert_eq!(others.len(), 1);
    assert_eq!(others[0]["id"], b.as_str());
    assert_eq!(others[0]["member_email"], "minh@example.org");
    assert_eq!(others[0]["committee"], "hn-ba-dinh-phuc-xa");
}

#[tokio::test]
async fn bad_query_parameters_are_422_naming_the_field_and_the_rule() {
    let app = spawn_app_with("").await;
    let key = register_key(&app, None, None).await;
    let long = "x".repeat(201);
    for (query, field, rule) in [
        ("limit=0", "limit", "range"),
        ("limit=201", "limit", "range"),
        ("status=lost", "status", "one_of"),
        ("committee=nowhere", "committee", "unknown_committee"),
        ("updated_since=yesterday", "updated_since", "date_time"),
        ("after=not-a-cursor", "after", "cursor"),
        (&format!("q={long}"), "q", "too_long"),
    ] {
        let problem = expect_problem(
            app.get_as(&key, &format!("/api/v1/pages?{query}")).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert_eq!(
            field_rules(&problem),
            vec![(field.to_owned(), rule.to_owned())],
            "{query}"
        );
    }
    let unknown = app.get_as(&key, "/api/v1/pages?colour=red").await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
}
