//! The page register on a phone (412 x 915): signing in by email link, choosing a
//! committee, declaring a page with a mistake then rightly, the page with its history,
//! editing and closing it; every page checked with axe-core.

use crate::{
    browser::{Screen, with_browser_on},
    helpers::spawn_app_with,
    smtp::SmtpSink,
};

/// The path of the last sign-in link mailed to `email`.
async fn link_path(sink: &SmtpSink, email: &str) -> String {
    let messages = sink.messages().await;
    let mail = messages
        .iter()
        .rev()
        .find(|m| m.rcpt_to.iter().any(|r| r == email))
        .expect("a mail to the member");
    let text = mail
        .parsed()
        .body_text(0)
        .map(|t| t.to_string())
        .unwrap_or_default();
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/me/link/"))
        .expect("a sign-in link");
    link[link.find("/me/link/").expect("path")..].to_owned()
}

#[tokio::test]
async fn a_member_signs_in_by_email_and_declares_a_page_on_a_phone() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(&format!("[email]\nsmtp_url = \"{}\"\n", sink.url())).await;
    let email = "lan.nguyen@example.org";
    with_browser_on(Screen::Phone, &app.address, async |b| {
        b.open("/me").await;
        assert_eq!(b.path().await, "/me/sign-in");
        b.screenshot("register-sign-in").await;
        b.assert_accessible("the register's sign-in page").await;
        b.type_into("#email", "not an address").await;
        b.follow("button#send-link").await;
        assert_eq!(b.status().await, 422);
        b.find(".error-summary a[href='#email']").await;
        b.assert_accessible("the sign-in page with its error").await;
        b.set_value("#email", email).await;
        b.follow("button#send-link").await;
        b.find("#link-sent").await;
        b.assert_accessible("the page that says the link is on its way")
            .await;

        app.dispatch_until_idle().await;
        let path = link_path(&sink, email).await;
        b.open(&path).await;
        b.find("button#redeem").await;
        b.screenshot("register-link").await;
        b.assert_accessible("the page behind the emailed link")
            .await;
        b.follow("button#redeem").await;
        assert_eq!(b.path().await, "/me");
        b.find("#no-pages").await;
        b.screenshot("register-home").await;
        b.assert_accessible("My pages, empty").await;
        b.open(&path).await;
        assert_eq!(b.status().await, 410);
        b.find("#link-spent").await;
        b.assert_accessible("the page of a link already used").await;
        b.open("/me").await;

        b.follow("#choose-committee").await;
        b.type_into("#q", "ba dinh").await;
        b.follow("button#search").await;
        b.find("#committee-hn-ba-dinh").await;
        b.screenshot("register-committee").await;
        b.assert_accessible("the committee search results").await;
        b.click("#committee-hn-ba-dinh").await;
        b.follow("button#choose").await;
        assert_eq!(b.path().await, "/me?done=committee");
        b.find("#done").await;
        b.find("#committee-unconfirmed").await;

        b.follow("#declare").await;
        assert_eq!(b.path().await, "/me/pages/new");
        b.screenshot("register-declare").await;
        b.assert_accessible("the declaration form").await;
        b.type_into("#name", "Tin tức Ba Đình").await;
        b.type_into("#url", "facebook.com/badinh.news").await;
        b.type_into("#created_month", "3").await;
        b.type_into("#created_year", "2019").await;
        b.follow("button#save").await;
        assert_eq!(b.status().await, 422);
        b.find(".error-summary a[href='#url']").await;
        b.find(".error-summary a[href='#purpose']").await;
        assert_eq!(
            b.prop("#name", "value").await.as_deref(),
            Some("Tin tức Ba Đình"),
            "what was typed is kept"
        );
        b.screenshot("register-declare-error").await;
        b.assert_accessible("the declaration form with its errors")
            .await;
        b.set_value("#url", "https://www.facebook.com/badinh.news")
            .await;
        b.type_into("#purpose", "Đưa tin hoạt động của chi bộ")
            .await;
        b.type_into("#linked_phone", "0912 345 678").await;
        b.type_into("#admins-0-account", "@lan.nguyen").await;
        b.select("#admins-0-role", "owner").await;
        b.type_into("#memberships-0-name", "Nhóm Phúc Xá").await;
        b.type_into(
            "#memberships-0-url",
            "https://www.facebook.com/groups/phucxa",
        )
        .await;
        b.follow("button#save").await;
        assert!(b.path().await.starts_with("/me/pages/"));
        b.find("#done").await;
        b.find("#history").await;
        let page_path = b
            .path()
            .await
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned();
        b.screenshot("register-page").await;
        b.assert_accessible("a declared page with its history")
            .await;

        b.follow("#report").await;
        assert!(b.path().await.ends_with("/report"));
        assert_eq!(
            b.prop("#page-url", "value").await.as_deref(),
            Some("https://www.facebook.com/badinh.news"),
            "the declared link is filled in"
        );
        b.screenshot("register-report").await;
        b.assert_accessible("the report form started from a declared page")
            .await;
        b.open(&page_path).await;

        b.follow("#edit").await;
        b.assert_accessible("the form to edit a declaration").await;
        b.follow("button#more-rows").await;
        b.find("#admins-3-account").await;
        b.set_value("#purpose", "Trang tin của chi bộ Phúc Xá")
            .await;
        b.follow("button#save").await;
        b.find("#done").await;

        b.follow("#close").await;
        b.screenshot("register-close").await;
        b.assert_accessible("the form to close a page").await;
        b.type_into("#closed_reason", "Không còn dùng").await;
        b.follow("button#close-page").await;
        assert_eq!(b.status().await, 422);
        b.find(".error-summary a[href='#closed_on']").await;
        b.assert_accessible("the form to close a page with its error")
            .await;
        let today = (chrono::Utc::now() + chrono::TimeDelta::hours(7))
            .date_naive()
            .to_string();
        b.set_value("#closed_on", &today).await;
        b.follow("button#close-page").await;
        b.find("#done").await;
        assert!(b.text("#facts").await.contains("Đã đóng"));
        b.open("/me").await;
        b.follow("button#confirm-declaration").await;
        b.find("#confirmed-at").await;
        b.assert_accessible("My pages after confirming").await;
    })
    .await;
}
