//! `/healthz`: the process is up. `/readyz`: the database answers and is migrated, and the
//! delivery queue is not stalled while this process dispatches.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{http::state::AppState, usecases::queries};

const ANSWER_WITHIN: Duration = Duration::from_secs(3);

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    #[schema(example = "ready")]
    pub status: &'static str,
    /// Why the service is not ready.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "Up")))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// Ready to serve: the database is reachable, every migration is applied and, while this
/// process runs the dispatcher, no due delivery has waited longer than
/// `dispatcher.stall_threshold` for an endpoint that no worker is busy with.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, description = "Ready", body = Readiness),
    (status = 503, description = "Not ready, with the reasons", body = Readiness),
))]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let reasons = tokio::time::timeout(ANSWER_WITHIN, not_ready_because(&state))
        .await
        .unwrap_or_else(|_| {
            vec![format!(
                "database did not answer within {} s",
                ANSWER_WITHIN.as_secs()
            )]
        });
    if reasons.is_empty() {
        HttpResponse::Ok().json(Readiness {
            status: "ready",
            reasons,
        })
    } else {
        HttpResponse::ServiceUnavailable().json(Readiness {
            status: "not_ready",
            reasons,
        })
    }
}

async fn not_ready_because(state: &AppState) -> Vec<String> {
    if let Err(reason) = state.db.readiness().await {
        return vec![reason];
    }
    let dispatcher = &state.settings.dispatcher;
    if !dispatcher.enabled {
        return Vec::new();
    }
    match queries::oldest_due_wait(&state.db, chrono::Utc::now()).await {
        Ok(waited) if waited > dispatcher.stall_threshold => vec![format!(
            "the oldest due delivery has waited {} s (threshold {} s)",
            waited.as_secs(),
            dispatcher.stall_threshold.as_secs()
        )],
        Ok(_) => Vec::new(),
        Err(error) => {
            tracing::warn!(%error, "could not read the delivery queue");
            vec!["could not read the delivery queue".to_owned()]
        }
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    use crate::http::routes::at;
    cfg.service(at("/healthz").get(healthz).done())
        .service(at("/readyz").get(readyz).done());
}
