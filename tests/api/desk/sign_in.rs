//! Signing in and out: one answer for every wrong credential, budgets per username and per
//! address, sessions that end when the user is disabled, given a new password or signs
//! out, and forms that need their token.

use std::{net::IpAddr, time::Duration};

use incident_desk::{domain::access::Role, usecases::officers};
use reqwest::StatusCode;
use secrecy::SecretString;

use super::{Officer, assert_signed_out, file_in, location, state_of};
use crate::helpers::{hidden_input, spawn_app, spawn_app_with};

/// The problem shown above the sign-in form.
fn problem(html: &str) -> String {
    let start = html
        .find("id=\"sign-in-problem\">")
        .expect("a problem on the form")
        + "id=\"sign-in-problem\">".len();
    html[start..].split('<').next().expect("text").to_owned()
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_401_and_no_session() {
    let app = spawn_app().await;
    let password = app
        .create_officer("mai.tran", Role::Officer, Some("hn-ba-dinh"))
        .await;
    let browser = Officer::new(&app);

    let wrong = browser.sign_in("mai.tran", "not-the-password-1").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().get("location").is_none());
    let wrong = problem(&wrong.text().await.expect("html"));
    assert_signed_out(&browser.get("/desk").await);

    let unknown = browser.sign_in("nobody.here", &password).await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(problem(&unknown.text().await.expect("html")), wrong);
    assert_signed_out(&browser.get("/desk").await);
    assert!(!browser.cookies().contains("desk_session="));

    let right = browser.sign_in("mai.tran", &password).await;
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&right), "/desk");
    let cookie = right
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().expect("ascii"))
        .find(|c| c.starts_with("desk_session="))
        .expect("a session cookie")
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/desk"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let queue = browser.page("/desk").await;
    assert!(queue.contains("Cán bộ mai.tran"), "{queue}");
}

#[tokio::test]
async fn five_failures_from_one_address_stop_that_address_for_that_username_only() {
    let app = spawn_app().await;
    let password = app
        .create_officer("mai.tran", Role::Officer, Some("hn-ba-dinh"))
        .await;
    let other = app
        .create_officer("hung.le", Role::Officer, Some("hn-ba-dinh"))
        .await;
    let browser = Officer::new(&app);
    let mut wrong = String::new();
    for attempt in 1..=5 {
        let r = browser
            .sign_in("mai.tran", &format!("wrong-password-{attempt}"))
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {attempt}");
        wrong = problem(&r.text().await.expect("html"));
    }
    let sixth = browser.sign_in("mai.tran", &password).await;
    assert_eq!(sixth.status(), StatusCode::TOO_MANY_REQUESTS);
    let throttled = problem(&sixth.text().await.expect("html"));
    assert_ne!(throttled, wrong, "the form says to wait");
    assert_signed_out(&browser.get("/desk").await);
    // The budget is the username's at this address, however the name is typed.
    let seventh = browser.sign_in("  MAI.TRAN ", &password).await;
    assert_eq!(seventh.status(), StatusCode::TOO_MANY_REQUESTS);
    // The officer, from their own address, is not locked out by the guesser.
    Officer::signed_in_from(&app, IpAddr::from([127, 0, 0, 2]), "mai.tran", &password).await;
    // Another username from the guessing address still signs in.
    Officer::signed_in(&app, "hung.le", &other).await;
}

#[tokio::test]
async fn a_stranger_guessing_from_many_addresses_cannot_lock_an_officer_out() {
    let app = spawn_app_with(
        "[desk]\nsign_in_failures_per_pair = { max = 5, window = \"15m\" }\n\
         sign_in_failures_per_account = { max = 8, window = \"1h\" }\n",
    )
    .await;
    let password = app
        .create_officer("mai.tran", Role::Officer, Some("hn-ba-dinh"))
        .await;
    // Two failures from each of four addresses: the username's loose budget is spent.
    for host in 2..=5u8 {
        let guesser = Officer::from_address(&app, IpAddr::from([127, 0, 0, host]));
        for attempt in 1..=2 {
            let r = guesser
                .sign_in("mai.tran", &format!("guess-{host}-{attempt}"))
                .await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{host}/{attempt}");
        }
    }
    // An address that has failed for this username waits, even with the right password.
    let guesser = Officer::from_address(&app, IpAddr::from([127, 0, 0, 2]));
    let r = guesser.sign_in("mai.tran", &password).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_signed_out(&guesser.get("/desk").await);
    // A fresh address may try once; after its failure it waits too.
    let fresh = Officer::from_address(&app, IpAddr::from([127, 0, 0, 6]));
    let r = fresh.sign_in("mai.tran", "another-guess-1").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = fresh.sign_in("mai.tran", &password).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // The officer, from an address without failures, signs in with the right password.
    Officer::signed_in_from(&app, IpAddr::from([127, 0, 0, 1]), "mai.tran", &password).await;
}

#[tokio::test]
async fn attempts_beyond_an_addresss_budget_are_429_whatever_the_username() {
    // One attempt back per minute, so that slow hashing cannot refill the budget midway.
    let app = spawn_app_with("[desk]\nsign_in_per_address = { per_minute = 1, burst = 5 }\n").await;
    let password = app
        .create_officer("mai.tran", Role::Officer, Some("hn-ba-dinh"))
        .await;
    let browser = Officer::new(&app);
    for attempt in 1..=5 {
        let r = browser
            .sign_in(&format!("guess-{attempt}"), "wrong-password-1")
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let r = browser.sign_in("mai.tran", &password).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_signed_out(&browser.get("/desk").await);
    // The same user from another address is let in.
    Officer::signed_in_from(&app, IpAddr::from([127, 0, 0, 2]), "mai.tran", &password).await;
}

#[tokio::test]
async fn a_disabled_user_cannot_sign_in_and_their_open_session_ends_at_once() {
    let app = spawn_app().await;
    let (id, reference) = file_in(&app, "hn-ba-dinh").await;
    let password = app
        .create_officer("mai.tran", Role::Officer, Some("hn-ba-dinh"))
        .await;
    let browser = Officer::signed_in(&app, "mai.tran", &password).await;
    let token = browser.token().await;
    let before = state_of(&app.incident(&id).await);

    let db = app.database().await;
    officers::set_disabled(&db, "mai.tran", true)
        .await
        .expect("disable");
    assert_signed_out(&browser.get("/desk").await);
    assert_signed_out(&browser.get(&format!("/desk/incidents/{reference}")).await);
    let note = browser
        .post_raw(
            &format!("/desk/incidents/{reference}/note"),
            &[("text", "Còn phiên cũ"), ("csrf_token", &token)],
        )
        .await;
    assert_signed_out(&note);
    assert_eq!(state_of(&app.incident(&id).await), before);

    let again = Officer::new(&app);
    let refused = again.sign_in("mai.tran", &password).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_signed_out(&again.get("/desk").await);

    officers::set_disabled(&db, "mai.tran", false)
        .await
        .expect("enable");
    Officer::signed_in(&app, "mai.tran", &password).await;
}

#[tokio::test]
async fn a_new_password_ends_every_session_of_the_user() {
    let app = spawn_app().await;
    let password = app
        .create_officer("mai.tran", Role::Officer, Some("hn-ba-dinh"))
        .await;
    let keeper = app
        .create_officer("hung.le", Role::Officer, Some("hn-ba-dinh"))
        .await;
    let office = Officer::signed_in(&app, "mai.tran", &password).await;
    let phone = Officer::signed_in(&app, "mai.tran", &password).await;
    let colleague = Officer::signed_in(&app, "hung.le", &keeper).await;

    let db = app.database().await;
    let new_password = "một mật khẩu mới dài";
    officers::reset_password(&db, "mai.tran", &SecretString::from(new_password))
        .await
        .expect("reset");

    assert_signed_out(&office.get("/desk").await);
    assert_signed_out(&phone.get("/desk").await);
    colleague.page("/desk").await;
    let old = Officer::new(&app);
    assert_eq!(
        old.sign_in("mai.tran", &password).await.status(),
        StatusCode::UNAUTHORIZED
    );
    Officer::signed_in(&app, "mai.tran", new_password).await;
}

#[tokio::test]
async fn signing_out_ends_the_session_and_its_old_cookie_opens_nothing() {
    let app = spawn_app().await;
    let password = app
        .create_officer("mai.tran", Role::Officer, Some("hn-ba-dinh"))
        .await;
    let browser = Officer::signed_in(&app, "mai.tran", &password).await;
    let cookies = browser.cookies();
    assert!(cookies.contains("desk_session="), "{cookies}");

    // Without the form's token, signing out is refused and the session goes on.
    let forged = browser.post_raw("/desk/sign-out", &[]).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    browser.page("/desk").await;

    let out = browser.post_form("/desk/sign-out", &[]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&out), "/desk/sign-in");
    assert_signed_out(&browser.get("/desk").await);

    // The cookie the browser had before is worth nothing now.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(app.url("/desk"))
        .header("cookie", cookies)
        .send()
        .await
        .expect("sent");
    assert_signed_out(&replay);
}

#[tokio::test]
async fn a_sign_in_without_a_valid_token_is_403_and_opens_no_session() {
    let app = spawn_app().await;
    let password = app
        .create_officer("mai.tran", Role::Officer, Some("hn-ba-dinh"))
        .await;
    let browser = Officer::new(&app);
    browser.page("/desk/sign-in").await;
    let credentials = [("username", "mai.tran"), ("password", password.as_str())];

    let missing = browser.post_raw("/desk/sign-in", &credentials).await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    assert_signed_out(&browser.get("/desk").await);

    // A token made for another browser's cookie.
    let elsewhere = Officer::new(&app);
    let foreign = hidden_input(&elsewhere.page("/desk/sign-in").await, "csrf_token");
    let mut fields = credentials.to_vec();
    fields.push(("csrf_token", &foreign));
    let forged = browser.post_raw("/desk/sign-in", &fields).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_signed_out(&browser.get("/desk").await);

    // With no cookie at all, a token is worth nothing.
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(app.url("/desk/sign-in"))
        .form(&fields)
        .send()
        .await
        .expect("sent");
    assert_eq!(bare.status(), StatusCode::FORBIDDEN);
    assert!(
        bare.headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| { !c.to_str().expect("ascii").starts_with("desk_session=") })
    );
}

#[tokio::test]
async fn a_session_in_use_outlives_its_idle_time_and_an_unused_one_ends() {
    // The shortest idle time the configuration accepts is one minute.
    let app = spawn_app_with("[desk]\nsession_ttl = \"1m\"\n").await;
    let password = app
        .create_officer("mai.tran", Role::Officer, Some("hn-ba-dinh"))
        .await;
    let busy = Officer::signed_in(&app, "mai.tran", &password).await;
    let idle = Officer::signed_in(&app, "mai.tran", &password).await;
    let started = tokio::time::Instant::now();
    while started.elapsed() < Duration::from_secs(75) {
        tokio::time::sleep(Duration::from_secs(10)).await;
        let r = busy.get("/desk").await;
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "signed out after {:?} of steady use",
            started.elapsed()
        );
    }
    assert_signed_out(&idle.get("/desk").await);
}
