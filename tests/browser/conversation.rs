//! Correspondence in the browser: the desk's incident page with a party's reply (quoted
//! history folded), an officer's message to the party and to the member, the unmatched
//! mail queue, and the member's tracking page with the conversation; each checked with
//! axe-core.

use incident_desk::{
    domain::access::{ApiScope, Role},
    usecases::officers::{self, NewOfficer},
};
use secrecy::SecretString;
use serde_json::Value;

use crate::{
    browser::{Screen, with_browser_on},
    helpers::{TestApp, spawn_app_with, valid_incident},
    smtp::SmtpSink,
};

const PASSWORD: &str = "Ba-Đình-trực-ban-2026";

fn party(list: &str, id: &str, email: &str, extra: &str) -> String {
    format!(
        "[[parties.{list}]]\nid = \"{id}\"\nname = {{ vi = \"{id}\", en = \"{id}\" }}\n\
         ack_deadline = \"4h\"\ncontacts.emails = [\"{email}\"]\n{extra}\n"
    )
}

/// The default routing's parties by email, with a reply mailbox.
fn settings(sink: &SmtpSink) -> String {
    let mut toml = format!(
        "[email]\nsmtp_url = \"{}\"\nreply_address = \"cases@desk.example.org\"\nmessage_id_domain = \"desk.example.org\"\n",
        sink.url()
    );
    toml += &party("committees", "hn", "desk@hn.example.org", "");
    toml += &party(
        "committees",
        "hn-ba-dinh",
        "bd@hn.example.org",
        "parent = \"hn\"",
    );
    toml += &party("authorities", "cert", "ir@cert.example.org", "");
    toml += &party("authorities", "cyber-police", "police@example.org", "");
    for id in [
        "meta",
        "tiktok",
        "google",
        "zalo",
        "x-corp",
        "telegram",
        "web-abuse",
    ] {
        toml += &party(
            "providers",
            id,
            &format!("{id}@example.org"),
            "locale = \"en\"",
        );
    }
    toml
}

async fn create(app: &TestApp, username: &str, role: Role, committee: Option<&str>) {
    let db = app.database().await;
    let directory = incident_desk::usecases::directory::DirectoryCache::open(&db, &app.settings)
        .await
        .expect("load the directory");
    officers::create(
        &db,
        &directory.current(),
        NewOfficer {
            username,
            name: username,
            role,
            committee,
            password: &SecretString::from(PASSWORD),
        },
    )
    .await
    .expect("create the officer");
}

async fn hand_in(app: &TestApp, key: &str, raw: &str) -> Value {
    let response = app
        .client
        .post(app.url("/api/v1/inbound/email"))
        .bearer_auth(key)
        .header("content-type", "message/rfc822")
        .body(raw.to_owned())
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);
    response.json().await.expect("json")
}

#[tokio::test]
async fn the_conversations_read_well_on_the_desk_and_on_the_members_phone() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(&settings(&sink)).await;
    create(&app, "lan.pham", Role::Officer, Some("hn")).await;
    create(&app, "quan.tri", Role::Admin, None).await;
    let mail_key = app
        .create_key("mail server", &[ApiScope::MailInbound], None)
        .await;
    let filed = app.file(&valid_incident()).await;
    let reference = filed["reference"].as_str().expect("reference").to_owned();
    app.dispatch_until_idle().await;
    let detail = app.incident(filed["id"].as_str().expect("id")).await;
    let meta = detail["tickets"]
        .as_array()
        .expect("tickets")
        .iter()
        .find(|t| t["party"] == "meta")
        .expect("the provider's ticket")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let reply = format!(
        "From: Meta Support <meta@example.org>\r\nTo: cases@desk.example.org\r\nSubject: Re: [{reference}] Page hijacked\r\nMessage-ID: <r1@meta.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nWe locked the page. Case #88123.\r\n\r\nOn Mon, Desk wrote:\r\n> Please lock the page.\r\n"
    );
    assert_eq!(hand_in(&app, &mail_key, &reply).await["status"], "attached");
    let stranger = "From: someone@example.org\r\nTo: cases@desk.example.org\r\nSubject: A question\r\nMessage-ID: <s1@example.org>\r\nContent-Type: text/plain\r\n\r\nWho do I write to?\r\n";
    assert_eq!(
        hand_in(&app, &mail_key, stranger).await["status"],
        "unmatched"
    );

    with_browser_on(Screen::Desktop, &app.address, async |b| {
        b.open("/desk/sign-in").await;
        b.type_into("#username", "lan.pham").await;
        b.type_into("#password", PASSWORD).await;
        b.follow("button#sign-in").await;
        assert_eq!(b.text("#count-unread").await, "1");
        b.open(&format!("/desk/incidents/{reference}")).await;
        let conversation = b.find("details.conversation[open]").await;
        let text = conversation.text().await.expect("text");
        assert!(text.contains("We locked the page."), "{text}");
        assert!(
            !b.find("pre.quoted")
                .await
                .is_displayed()
                .await
                .expect("shown?"),
            "the quoted history is folded away"
        );
        b.screenshot("desk-conversation").await;
        b.assert_accessible("the incident page with a conversation")
            .await;

        b.type_into(
            &format!("#body-{meta}"),
            "Thank you. Please confirm the admin email is restored.",
        )
        .await;
        b.follow(&format!("#ticket-{meta} form.write button")).await;
        assert!(
            b.path().await.ends_with("?done=message"),
            "{}",
            b.path().await
        );
        b.assert_accessible("the incident page after a message")
            .await;

        // Before anything was said, writing to the member is one line to open.
        for summary in b
            .find_all("details.write-member:not([open]) > summary")
            .await
        {
            summary.click().await.expect("open the form to the member");
        }
        b.type_into("#member-body", "Bạn đã đổi lại email quản trị chưa?")
            .await;
        b.follow("#member-body ~ button").await;
        assert!(b.text("#member-messages").await.contains("email quản trị"));
        b.assert_accessible("the incident page with the member's conversation")
            .await;
    })
    .await;

    with_browser_on(Screen::Desktop, &app.address, async |b| {
        b.open("/desk/sign-in").await;
        b.type_into("#username", "quan.tri").await;
        b.type_into("#password", PASSWORD).await;
        b.follow("button#sign-in").await;
        b.open("/desk/mail").await;
        assert!(b.text("#mail").await.contains("A question"));
        b.screenshot("desk-unmatched-mail").await;
        b.assert_accessible("the unmatched mail queue").await;
        b.follow("#mail a").await;
        b.type_into("#mail-reference", &reference).await;
        b.follow("form[method=get] button").await;
        assert!(b.find_all("input[name=to]").await.len() > 1);
        b.assert_accessible("an unmatched mail with its incident's tickets")
            .await;
    })
    .await;

    // The member follows the link of the officer's message on a phone.
    app.dispatch_until_idle().await;
    let mails = sink.messages().await;
    let question = mails
        .iter()
        .rev()
        .find(|m| m.rcpt_to.iter().any(|r| r == "an.nguyen@example.org"))
        .expect("the member's email");
    let text = question.parsed().body_text(0).expect("text").to_string();
    let at = text.find("/track/").expect("a tracking link");
    let link = text[at..]
        .split_whitespace()
        .next()
        .expect("link")
        .to_owned();
    with_browser_on(Screen::Phone, &app.address, async |b| {
        b.open(&link).await;
        let conversation = b.text("#conversation").await;
        assert!(
            conversation.contains("Bạn đã đổi lại email quản trị chưa?"),
            "{conversation}"
        );
        b.screenshot("track-conversation").await;
        b.assert_accessible("the tracking page with the conversation")
            .await;
    })
    .await;
}
