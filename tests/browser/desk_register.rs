//! The desk's page register on a phone: the declared pages and a search, a page declared
//! twice with its history and one version, the members with a mistake in the form that
//! adds them, and a declaration request sent after a mistake; each checked with axe-core.

use chrono::{TimeDelta, Utc};
use incident_desk::{
    domain::{access::Role, register::DeclarationDraft},
    usecases::{Scope, directory::DirectoryCache, register as uc},
};

use crate::{
    browser::{Screen, with_browser_on},
    helpers::{TestApp, spawn_app},
};

const USERNAME: &str = "mai.tran";

/// A confirmed member of `committee` who declares a page; returns the page's id.
async fn declared(app: &TestApp, email: &str, committee: &str, name: &str, url: &str) -> String {
    let db = app.database().await;
    let dir = DirectoryCache::open(&db, &app.settings)
        .await
        .expect("the directory")
        .current();
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
    let member = incident_desk::storage::register::member_by_email(db.conn(), email)
        .await
        .expect("read the member")
        .expect("the member");
    let draft = DeclarationDraft {
        name: name.to_owned(),
        url: url.to_owned(),
        created_on: "2019-03".to_owned(),
        purpose: "Đưa tin hoạt động của ban".to_owned(),
        status: "active".to_owned(),
        linked_phone: "0912 345 678".to_owned(),
        admins: vec![("@lan.nguyen".to_owned(), "owner".to_owned())],
        memberships: vec![(
            "Nhóm tình nguyện phường".to_owned(),
            "https://www.facebook.com/groups/tinhnguyen".to_owned(),
        )],
        ..Default::default()
    };
    let page = uc::declare(&db, &member, &draft, Utc::now())
        .await
        .expect("declare");
    let mut edited = draft.clone();
    edited.linked_phone = "0987 654 321".to_owned();
    uc::edit(&db, &member, page.id, 1, &edited, Utc::now())
        .await
        .expect("edit");
    page.id.to_string()
}

#[tokio::test]
async fn an_officer_works_the_page_register_on_a_phone() {
    let app = spawn_app().await;
    let password = app
        .create_officer(USERNAME, Role::Officer, Some("hn-ba-dinh"))
        .await;
    let page = declared(
        &app,
        "lan@example.org",
        "hn-ba-dinh",
        "Tin tức Ba Đình",
        "https://www.facebook.com/badinh.news",
    )
    .await;
    declared(
        &app,
        "hoa@example.org",
        "hn-ba-dinh-phuc-xa",
        "Ba Đình News",
        "https://m.facebook.com/badinh.news/",
    )
    .await;
    let deadline = (Utc::now() + TimeDelta::hours(7) + TimeDelta::days(10))
        .format("%Y-%m-%d")
        .to_string();

    with_browser_on(Screen::Phone, &app.address, async |b| {
        b.open("/desk/sign-in").await;
        b.type_into("#username", USERNAME).await;
        b.type_into("#password", &password).await;
        b.follow("button#sign-in").await;

        b.follow("#nav-register").await;
        assert_eq!(b.path().await, "/desk/register");
        assert_eq!(b.find_all("tr.register-page").await.len(), 2);
        b.find(".flag-shared").await;
        b.screenshot("desk-register").await;
        b.assert_accessible("the declared pages").await;

        b.type_into("#q", "0987 654 321").await;
        b.follow("button#apply-filters").await;
        assert_eq!(b.find_all("tr.register-page").await.len(), 2);
        b.assert_accessible("a search of the register").await;

        b.open(&format!("/desk/register/pages/{page}")).await;
        b.find("#shared-flag").await;
        b.find("#others").await;
        b.find("#version-2").await;
        b.screenshot("desk-register-page").await;
        b.assert_accessible("a declared page").await;
        b.follow("#version-1 a").await;
        assert_eq!(b.text("#fact-linked_phone").await, "0912345678");
        b.assert_accessible("a version of a declaration").await;

        b.open("/desk/register/members").await;
        b.type_into("#emails", "an@example.org\nkhong-phai-email")
            .await;
        b.follow("button#add-members").await;
        assert_eq!(b.status().await, 422);
        b.find(".error-summary").await;
        b.find("#emails-error").await;
        b.screenshot("desk-register-members-error").await;
        b.assert_accessible("the members with a refused form").await;
        b.type_into("#emails", "an@example.org\nbinh@example.org")
            .await;
        b.follow("button#add-members").await;
        b.find("#done").await;
        assert_eq!(b.find_all("tr.member").await.len(), 4);
        b.assert_accessible("the members").await;

        b.follow("#reg-requests").await;
        b.type_into("#message", "Vui lòng rà soát trước ngày họp chi bộ.")
            .await;
        b.follow("button#start-request").await;
        assert_eq!(b.status().await, 422, "no deadline yet");
        b.find("#deadline-error").await;
        b.assert_accessible("the request form with its errors")
            .await;
        b.set_value("#deadline", &deadline).await;
        b.follow("button#start-request").await;
        assert!(b.path().await.starts_with("/desk/register/requests/"));
        assert_eq!(b.text("#count-asked").await, "4");
        b.screenshot("desk-register-request").await;
        b.assert_accessible("a declaration request").await;
        b.follow("a.back").await;
        b.find("tr.request").await;
        b.assert_accessible("the declaration requests").await;
    })
    .await;
}
