//! HTTP at the protocol level, over raw sockets: slow bodies, methods, strict JSON.

use std::time::{Duration, Instant};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::{TestApp, spawn_app_with};

/// Sends `head` and the first bytes of a body that never finishes; returns what the server
/// answered before it closed the connection, and when it closed.
async fn trickle(app: &TestApp, head: &str, first: &[u8]) -> (String, Duration) {
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut socket = TcpStream::connect(address).await.expect("connect");
    let started = Instant::now();
    socket.write_all(head.as_bytes()).await.expect("head");
    socket.write_all(first).await.expect("first bytes");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), socket.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection was still open after 20 s");
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_cut_with_408_and_the_connection_closed() {
    let app = spawn_app_with("[server]\nbody_read_timeout = \"1s\"\n").await;
    let api = format!(
        "POST /api/v1/incidents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n",
        app.api_key
    );
    let form = "POST / HTTP/1.1\r\nHost: x\r\n\
         Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 400000\r\n\r\n";
    let slow = (0..20).map(|i| {
        let app = &app;
        let head = if i % 2 == 0 {
            api.clone()
        } else {
            form.to_owned()
        };
        async move {
            let first: &[u8] = if i % 2 == 0 {
                b"{\"kind\":"
            } else {
                b"--XyZ\r\n"
            };
            trickle(app, &head, first).await
        }
    });
    let answers = futures_util::future::join_all(slow).await;
    for (answer, took) in answers {
        assert!(took < Duration::from_secs(10), "closed after {took:?}");
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
    // The JSON API names the problem.
    let (answer, _) = trickle(&app, &api, b"{").await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("body_timeout"), "{answer}");
    assert!(
        answer.to_lowercase().contains("connection: close"),
        "{answer}"
    );
    // The service is still there for everyone else.
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), reqwest::StatusCode::OK);
}

/// Posts `body` as JSON text to `path` with the app's all-scope key.
async fn post_raw(app: &TestApp, path: &str, body: String) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(&app.api_key)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn json_bodies_are_one_object_and_nothing_else() {
    let app = crate::helpers::spawn_app().await;
    let valid = crate::helpers::valid_incident().to_string();
    let filed = crate::helpers::expect_status(
        post_raw(&app, "/api/v1/incidents", valid.clone()).await,
        reqwest::StatusCode::CREATED,
    )
    .await;
    let ticket = filed["tickets"][0]["id"]
        .as_str()
        .expect("ticket")
        .to_owned();
    let incident = filed["id"].as_str().expect("id").to_owned();
    let by_position = serde_json::json!([
        "hijacked",
        null,
        "Someone took over the page and posts in our name.",
        "2026-11-28T08:00:00+07:00"
    ])
    .to_string();
    let cases = [
        ("/api/v1/incidents".to_owned(), format!("{valid} garbage")),
        ("/api/v1/incidents".to_owned(), format!("{valid}{valid}")),
        ("/api/v1/incidents".to_owned(), by_position),
        ("/api/v1/incidents".to_owned(), "\"hijacked\"".to_owned()),
        (
            format!("/api/v1/tickets/{ticket}/acknowledge"),
            "[null, null]".to_owned(),
        ),
        (
            format!("/api/v1/tickets/{ticket}/acknowledge"),
            "{} []".to_owned(),
        ),
        (
            format!("/api/v1/incidents/{incident}/notes"),
            "[\"a note\", \"shared\"]".to_owned(),
        ),
        (
            format!("/api/v1/incidents/{incident}/status"),
            "[\"triaged\"]".to_owned(),
        ),
    ];
    for (path, body) in cases {
        let response = post_raw(&app, &path, body.clone()).await;
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json"),
            "{path} {body}"
        );
        let problem = crate::helpers::expect_problem(
            response,
            reqwest::StatusCode::BAD_REQUEST,
            "malformed_json",
        )
        .await;
        assert!(problem["detail"].is_string(), "{problem}");
    }
    // An array where an object belongs, inside the body, is a wrong type named by its path.
    let mut nested = crate::helpers::valid_incident();
    nested["reporter"] =
        serde_json::json!(["Nguyễn Thị Bình", "binh@example.org", null, "hn-ba-dinh"]);
    let problem = crate::helpers::expect_problem(
        post_raw(&app, "/api/v1/incidents", nested.to_string()).await,
        reqwest::StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(
        crate::helpers::field_rules(&problem),
        vec![("reporter".to_owned(), "type".to_owned())]
    );
    assert_eq!(app.all_incidents().await.len(), 1, "nothing else was filed");
    let detail = app.incident(&incident).await;
    assert_eq!(
        detail["tickets"][0]["status"],
        filed["tickets"][0]["status"]
    );
}
