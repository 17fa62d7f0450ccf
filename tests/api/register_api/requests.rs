//! `GET /api/v1/declaration-requests/{id}/members`: the committee's tools read who a
//! declaration request asked and who has not answered, within the key's reach.

use chrono::{TimeDelta, Utc};
use incident_desk::{
    domain::{
        access::{Officer, Role},
        register::RequestDraft,
        token::{LinkKey, random_bytes},
    },
    storage::service_secrets,
    usecases::{Scope, directory::DirectoryCache, register},
};
use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

use super::{Declarant, MANY_SIGN_INS, PageForm, read, register_key};
use crate::{
    helpers::{TestApp, expect_problem, field_rules, spawn_app_with},
    smtp::SmtpSink,
};

/// A declaration request of the Ba Dinh committee for its subtree, as an officer of Ba Dinh
/// sends it from the desk; its id.
async fn request_for_ba_dinh(app: &TestApp) -> String {
    let db = app.database().await;
    let key = LinkKey::new(
        service_secrets::get_or_create(db.conn(), "member_link_key", random_bytes(32))
            .await
            .expect("the member link key"),
    );
    let dir = DirectoryCache::open(&db, &app.settings)
        .await
        .expect("the directory");
    let officer = Officer {
        id: Uuid::now_v7(),
        username: "mai.tran".to_owned(),
        name: "Trần Thị Mai".to_owned(),
        role: Role::Officer,
        committee: Some("hn-ba-dinh".to_owned()),
    };
    let scope = Scope::Committees(dir.current().committee_subtree("hn-ba-dinh"));
    let deadline = (Utc::now() + TimeDelta::days(10)).date_naive().to_string();
    let (request, asked) = register::start_request(
        &db,
        &key,
        &app.settings,
        &dir.current(),
        &officer,
        &scope,
        &RequestDraft {
            committee: "hn-ba-dinh".to_owned(),
            deadline,
            message: "Vui lòng rà soát và xác nhận các trang bạn đang quản lý.".to_owned(),
        },
        Utc::now(),
    )
    .await
    .expect("the request is sent");
    assert_eq!(asked, 3, "the members of the Ba Dinh subtree");
    request.id.to_string()
}

/// Moves the last confirmation of every page of `email` back by `ago`, as time would.
async fn last_confirmed(app: &TestApp, email: &str, ago: TimeDelta) {
    use incident_desk::storage::entities::{member, register_page};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let db = app.database().await;
    let member = member::Entity::find()
        .filter(member::Column::Email.eq(email))
        .one(db.conn())
        .await
        .expect("query")
        .expect("the member");
    register_page::Entity::update_many()
        .col_expr(
            register_page::Column::ConfirmedAt,
            Expr::value(Utc::now() - ago),
        )
        .filter(register_page::Column::MemberId.eq(member.id))
        .exec(db.conn())
        .await
        .expect("update");
}

fn emails(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|m| m["email"].as_str().expect("email").to_owned())
        .collect()
}

#[tokio::test]
async fn a_committees_tool_lists_who_has_not_answered_who_has_and_nothing_beyond_its_reach() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(&format!(
        "{MANY_SIGN_INS}[email]\nsmtp_url = \"{}\"\n",
        sink.url()
    ))
    .await;
    let lan = Declarant::sign_in(&app, &sink, "lan@example.org", "hn-ba-dinh").await;
    let minh = Declarant::sign_in(&app, &sink, "minh@example.org", "hn-ba-dinh-phuc-xa").await;
    Declarant::sign_in(&app, &sink, "an@example.org", "hn-ba-dinh-phuc-xa").await;
    Declarant::sign_in(&app, &sink, "hoa@example.org", "hn-cau-giay").await;
    lan.declare(&PageForm::new(
        "Tin tức Ba Đình",
        "https://www.facebook.com/badinh.news",
    ))
    .await;
    let request = request_for_ba_dinh(&app).await;

    // Lan confirms her declaration, which answers the request.
    let confirmed = lan
        .post_form("/me", "/me/confirm", &[] as &[(&str, &str)])
        .await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);

    let key = register_key(&app, Some("hn-ba-dinh"), None).await;
    let members = |query: &str| format!("/api/v1/declaration-requests/{request}/members{query}");
    let waiting = read(&app, &key, &members("")).await;
    // By member id: in the order they first signed in.
    assert_eq!(
        emails(&waiting),
        vec!["minh@example.org", "an@example.org"],
        "not answered, when no state is given"
    );
    assert!(
        waiting["data"]
            .as_array()
            .expect("data")
            .iter()
            .all(|m| m["state"] == "not_answered"
                && m["answered_at"].is_null()
                && m["committee"] == "hn-ba-dinh-phuc-xa")
    );
    let answered = read(&app, &key, &members("?state=answered")).await;
    assert_eq!(emails(&answered), vec!["lan@example.org"]);
    assert_eq!(answered["data"][0]["state"], "answered");
    assert!(answered["data"][0]["answered_at"].is_string());
    assert!(answered["data"][0]["oldest_confirmation"].is_string());
    let stale = read(&app, &key, &members("?state=stale")).await;
    assert!(emails(&stale).is_empty());

    // A year and more later, Lan's answer stands but her page was not confirmed again.
    last_confirmed(&app, "lan@example.org", TimeDelta::days(400)).await;
    let stale = read(&app, &key, &members("?state=stale")).await;
    assert_eq!(emails(&stale), vec!["lan@example.org"]);
    assert_eq!(stale["data"][0]["state"], "stale");
    let answered = read(&app, &key, &members("?state=answered")).await;
    assert_eq!(
        emails(&answered),
        vec!["lan@example.org"],
        "stale is answered too"
    );
    assert_eq!(answered["data"][0]["state"], "stale");

    // One at a time, by member id, each once.
    let first = read(&app, &key, &members("?state=not_answered&limit=1")).await;
    let after = first["next_after"].as_str().expect("a next page");
    let second = read(
        &app,
        &key,
        &members(&format!("?state=not_answered&limit=1&after={after}")),
    )
    .await;
    assert!(second["next_after"].is_null());
    let mut both = emails(&first);
    both.extend(emails(&second));
    both.sort();
    assert_eq!(both, vec!["an@example.org", "minh@example.org"]);

    // Minh answers too: only An is left.
    minh.post_form("/me", "/me/confirm", &[] as &[(&str, &str)])
        .await;
    assert_eq!(
        emails(&read(&app, &key, &members("")).await),
        vec!["an@example.org"]
    );

    // Every key that reaches Ba Dinh reads it; the others do not know it.
    for reaching in [
        register_key(&app, None, None).await,
        register_key(&app, Some("hn"), None).await,
        register_key(&app, None, Some("hn-ba-dinh")).await,
    ] {
        read(&app, &reaching, &members("")).await;
    }
    for beyond in [
        register_key(&app, Some("hn-cau-giay"), None).await,
        register_key(&app, Some("hn-ba-dinh-phuc-xa"), None).await,
        register_key(&app, None, Some("meta")).await,
    ] {
        expect_problem(
            app.get_as(&beyond, &members("")).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    expect_problem(
        app.get(&members("")).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_problem(
        app.get_as(
            &key,
            &format!("/api/v1/declaration-requests/{}/members", Uuid::now_v7()),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    for (query, field, rule) in [
        ("?state=late", "state", "one_of"),
        ("?limit=0", "limit", "range"),
    ] {
        let problem = expect_problem(
            app.get_as(&key, &members(query)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert_eq!(
            field_rules(&problem),
            vec![(field.to_owned(), rule.to_owned())]
        );
    }
}
