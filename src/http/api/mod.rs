//! The versioned JSON API under `/api/v1`.

pub mod auth;
pub mod correspondence;
pub mod directory;
pub mod incidents;
pub mod openapi;
pub mod register;
pub mod tickets;
pub mod views;

use actix_web::{HttpResponse, web};

use crate::http::{error::ApiError, routes};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .app_data(web::QueryConfig::default().error_handler(|err, _| {
                ApiError::BadRequest(format!("invalid query string: {err}")).into()
            }))
            .app_data(web::PathConfig::default().error_handler(|err, _| {
                ApiError::BadRequest(format!("invalid path: {err}")).into()
            }))
            .configure(incidents::configure)
            .configure(tickets::configure)
            .configure(correspondence::configure)
            .configure(directory::configure)
            .configure(register::configure)
            .service(routes::at("/openapi.json").get(openapi::serve).done())
            .default_service(web::to(not_found)),
    );
}

pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound("resource"))
}
