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
