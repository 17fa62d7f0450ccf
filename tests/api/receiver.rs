//! A real HTTP receiver on loopback for webhook tests, answering from a script.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

#[derive(Debug, Clone)]
pub enum Reply {
    Status(u16),
    /// A status with one extra header.
    WithHeader(u16, &'static str, String),
    /// A status, answered after a wait.
    After(Duration, u16),
    /// Never answer.
    Hang,
}

#[derive(Debug, Clone)]
pub struct Received {
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
    /// When the request arrived.
    pub at: std::time::Instant,
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    script: VecDeque<Reply>,
    default: Option<Reply>,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    state: Arc<Mutex<State>>,
}

async fn handle(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<Arc<Mutex<State>>>,
) -> HttpResponse {
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in req.headers() {
        if let (Ok(n), Ok(v)) = (
            reqwest::header::HeaderName::from_bytes(name.as_str().as_bytes()),
            reqwest::header::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.insert(n, v);
        }
    }
    let reply = {
        let mut s = state.lock().expect("receiver state");
        s.received.push(Received {
            headers,
            body: body.to_vec(),
            at: std::time::Instant::now(),
        });
        s.script
            .pop_front()
            .or_else(|| s.default.clone())
            .unwrap_or(Reply::Status(200))
    };
    match reply {
        Reply::Status(code) => {
            HttpResponse::build(actix_web::http::StatusCode::from_u16(code).expect("status"))
                .body("ok")
        }
        Reply::WithHeader(code, name, value) => {
            HttpResponse::build(actix_web::http::StatusCode::from_u16(code).expect("status"))
                .insert_header((name, value))
                .finish()
        }
        Reply::After(wait, code) => {
            tokio::time::sleep(wait).await;
            HttpResponse::build(actix_web::http::StatusCode::from_u16(code).expect("status"))
                .body("gone")
        }
        Reply::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            HttpResponse::Ok().finish()
        }
    }
}

impl Receiver {
    /// Starts a receiver answering `default` once its script is used up.
    pub async fn start(default: Reply) -> Receiver {
        Self::start_on("127.0.0.1", default).await
    }

    /// As `start`, listening on another loopback address (such as 127.0.0.2).
    pub async fn start_on(host: &str, default: Reply) -> Receiver {
        let state = Arc::new(Mutex::new(State {
            default: Some(default),
            ..Default::default()
        }));
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(handle))
        })
        .workers(1)
        .bind((host, 0))
        .expect("bind receiver");
        let port = server.addrs()[0].port();
        tokio::spawn(server.run());
        Receiver {
            url: format!("http://{host}:{port}/hook"),
            state,
        }
    }

    /// Answers `reply` once the script is used up.
    pub fn set_default(&self, reply: Reply) {
        self.state.lock().expect("receiver state").default = Some(reply);
    }

    /// Answers these replies first, in order.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.state
            .lock()
            .expect("receiver state")
            .script
            .extend(replies);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().expect("receiver state").received.clone()
    }

    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= count {
                return got;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "receiver got {} of {count} requests in {timeout:?}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
