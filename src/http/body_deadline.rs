//! The body read deadline: a request's body must arrive whole within
//! `server.body_read_timeout` of its head. A slower body (a client trickling bytes to hold
//! the connection open) is cut: the reader gets a timed-out error, the request is answered
//! 408, and the connection is closed.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use actix_web::{
    body::{EitherBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    error::PayloadError,
    http::ConnectionType,
    middleware::Next,
    web,
};
use futures_util::{StreamExt, stream};

/// The error a reader sees when the body did not arrive in time.
pub fn is_timeout(error: &PayloadError) -> bool {
    matches!(error, PayloadError::Io(e) if e.kind() == std::io::ErrorKind::TimedOut)
}

/// Ends a body's stream with a timed-out error once `deadline` has passed.
pub async fn enforce(
    timeout: web::Data<BodyReadTimeout>,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, impl MessageBody>>, actix_web::Error> {
    let headers = req.headers();
    let bodiless = !headers.contains_key(actix_web::http::header::TRANSFER_ENCODING)
        && headers
            .get(actix_web::http::header::CONTENT_LENGTH)
            .is_none_or(|v| v.as_bytes() == b"0");
    if bodiless {
        // Nothing to wait for: no wrapper on the requests that carry no body.
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let cut = Arc::new(AtomicBool::new(false));
    let deadline = tokio::time::Instant::now() + timeout.0;
    let (head, payload) = req.into_parts();
    let flag = cut.clone();
    let guarded = stream::unfold(Some(payload), move |payload| {
        let flag = flag.clone();
        async move {
            let mut payload = payload?;
            match tokio::time::timeout_at(deadline, payload.next()).await {
                Ok(Some(item)) => Some((item, Some(payload))),
                Ok(None) => None,
                Err(_) => {
                    flag.store(true, Ordering::Release);
                    let error = std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the request body did not arrive in time",
                    );
                    Some((Err(PayloadError::Io(error)), None))
                }
            }
        }
    });
    let req = ServiceRequest::from_parts(
        head,
        Payload::Stream {
            // Readers may poll again after the end (multipart does).
            payload: Box::pin(guarded.fuse()),
        },
    );
    let mut response = next.call(req).await?;
    if cut.load(Ordering::Acquire) {
        tracing::info!("request body cut: it did not arrive within the read timeout");
        response
            .response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(response.map_into_right_body())
}

/// `server.body_read_timeout`, as app data for the middleware.
#[derive(Debug, Clone, Copy)]
pub struct BodyReadTimeout(pub Duration);
