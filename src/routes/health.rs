//! `/healthz`: the process is up. `/readyz`: the database answers and is migrated.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::startup::AppState;

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

/// Ready to serve: the database is reachable and every migration is applied.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, description = "Ready", body = Readiness),
    (status = 503, description = "Not ready, with the reasons", body = Readiness),
))]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match tokio::time::timeout(std::time::Duration::from_secs(3), state.db.readiness()).await {
        Ok(Ok(())) => HttpResponse::Ok().json(Readiness {
            status: "ready",
            reasons: vec![],
        }),
        Ok(Err(reason)) => HttpResponse::ServiceUnavailable().json(Readiness {
            status: "not_ready",
            reasons: vec![reason],
        }),
        Err(_) => HttpResponse::ServiceUnavailable().json(Readiness {
            status: "not_ready",
            reasons: vec!["database did not answer within 3 s".to_owned()],
        }),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
}
